"""Issue 13 item 3: reports and outputs are identical whichever engine ran.

One small synthetic survey, the whole pipeline with ``[engine] kind = "pandas"`` and
``"duckdb"`` into two folders; every output file must exist in both and hold the same text:
HTML and SVG text, Excel cell values, Word paragraphs and tables, CSV lines. Numbers are
compared to 1e-9 (the engines add in different orders, so full-precision values differ in the
last bits) — which means shown numbers, rounded to a few digits, must be equal digit for
digit. Excepted: the engine's name (provenance) and the date.
"""

from __future__ import annotations

import re

import pytest

import gender_diag as gd
from tests.report.report_texts import folder_texts, same_line

pytest.importorskip("duckdb")
pytestmark = pytest.mark.slow  # two whole runs with reports in three languages (~30 s)

ENGINES = ("pandas", "duckdb")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+-]+)?")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("engines")
    survey = gd.synth.generate(150, seed=11)
    data = gd.synth.write_survey(survey, root / "data", formats=("odk_csv",))
    folders = {}
    for kind in ENGINES:
        config = {
            "diagnostic": {"name": "engines", "output_dir": str(root / kind)},
            "input": {
                "format": "odk",
                "path": str(data["odk_csv"][0]),
                "form": str(data["form"]),
                "design": str(data["design"]),
            },
            "ranking": {"draws": 100},
            "engine": {"kind": kind},
        }
        gd.run(config, write=True)
        assert f"engine.kind,{kind}" in (root / kind / "csv" / "provenance.csv").read_text()
        folders[kind] = root / kind
    return {kind: folder_texts(folder) for kind, folder in folders.items()}


def _normal(line: str, kind: str) -> str:
    return _DATE.sub("<date>", line.replace(kind, "<engine>"))


def test_same_files(outputs):
    assert set(outputs["pandas"]) == set(outputs["duckdb"])
    kinds = {name.rsplit(".", 1)[-1] for name in outputs["pandas"]}
    assert {"html", "xlsx", "docx", "csv", "svg", "png"} <= kinds


def test_same_text_whichever_engine(outputs):
    a, b = outputs["pandas"], outputs["duckdb"]
    problems = []
    for name in sorted(a):
        la = [_normal(x, "pandas") for x in a[name]]
        lb = [_normal(x, "duckdb") for x in b[name]]
        if len(la) != len(lb):
            problems.append(f"{name}: {len(la)} vs {len(lb)} lines")
            continue
        bad = [
            (i, x, y) for i, (x, y) in enumerate(zip(la, lb, strict=True)) if not same_line(x, y)
        ]
        if bad:
            i, x, y = bad[0]
            problems.append(
                f"{name}: {len(bad)} lines differ, first {i}: {x[:120]!r} vs {y[:120]!r}"
            )
    assert not problems, "\n".join(problems)


def test_comparison_sees_a_shown_digit():
    """The comparison itself: a displayed digit or a word differs → not the same."""
    assert same_line("Mujeres 93,8 %", "Mujeres 93,8 %")
    assert not same_line("Mujeres 93,8 %", "Mujeres 93,7 %")
    assert not same_line("−0,0 pp", "0,0 pp")
    assert same_line("0.9374999999999999", "0.9375")
    assert not same_line("sin brecha", "desventaja")
