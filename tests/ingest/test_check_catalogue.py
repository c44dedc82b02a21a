"""The check catalogue (``gender_diag/ingest/checks.yaml``): validated on load, every entry
used by a check and every check's id in the catalogue."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pandas as pd
import pytest

from gender_diag.contracts.catalogue import LANGUAGES, load_check_catalogue, render
from gender_diag.errors import ConfigError
from gender_diag.ingest import validate
from gender_diag.ingest.report import REASONS, ValidationReport


def _finding_ids() -> set[str]:
    """Check ids named in ``Finding(...)`` calls of validate.py (first argument)."""
    tree = ast.parse(inspect.getsource(validate))
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding":
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                ids.add(arg.value)
            elif isinstance(arg, ast.Name):  # a variable chosen among literals nearby
                continue
    return ids


def test_every_check_id_is_catalogued_and_every_entry_used():
    cat = validate.check_catalogue()
    named = _finding_ids()
    source = inspect.getsource(validate)
    assert named <= set(cat), named - set(cat)
    unused = [k for k in cat if f'"{k}"' not in source]
    assert not unused, f"catalogue entries no check uses: {unused}"


def test_entries_use_known_reasons_and_every_language():
    for spec in validate.check_catalogue().values():
        assert spec.reason in REASONS
        assert set(spec.message) == set(LANGUAGES) == set(spec.fix)


def test_invalid_catalogue_lists_every_problem(tmp_path):
    bad = tmp_path / "checks.yaml"
    bad.write_text(
        "a:\n  reason: nope\n  severity: error\n"
        "  message: {en: 'x {col}', es: 'y', fr: 'z {col}'}\n"
        "  fix: {en: f, es: f}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_check_catalogue(bad, reasons=REASONS)
    text = str(err.value)
    assert "unknown reason code 'nope'" in text
    assert "message in es uses other fields" in text
    assert "fix needs a text in each of en, es, fr" in text


def test_render_per_row_and_shared_fields():
    out = render("{key} shared by rows {rows}.", {"key": "hhid", "rows": pd.Series(["2, 5"])}, 1)
    assert out.tolist() == ["hhid shared by rows 2, 5."]
    assert render("{name!r} missing", {"name": ["a", "b"]}, 2).tolist() == [
        "'a' missing",
        "'b' missing",
    ]
    assert render("{n} rows", {"n": 3}, 3) == "3 rows"


def test_apply_finding_quarantines_and_reports_in_spanish():
    df = pd.DataFrame({"hhid": ["H1", None, "H3"], "__row__": [2, 3, 4]})
    meta = {"households": type("M", (), {"file": "f.xlsx", "sheet": "s"})()}
    q = {"households": validate.Flags(3)}
    report = ValidationReport()
    ctx = validate.Context({"households": df}, meta, q, report, lang="es")
    mask = np.array([False, True, False])
    validate.apply_finding(
        ctx,
        validate.Finding(
            "household_key_missing", "households", mask=mask, column="hhid", fields={"key": "hhid"}
        ),
    )
    iss = report.issues
    assert iss[["row", "reason", "severity"]].values.tolist() == [[3, "missing_required", "error"]]
    assert iss["message"].iloc[0].startswith("Falta hhid")
    assert iss["rule"].iloc[0] == "hhid is required"
    assert q["households"].mask.tolist() == [False, True, False]
    assert q["households"].reasons().tolist() == ["missing_required"]


def test_blank_action_sets_cells_missing():
    df = pd.DataFrame({"age": pd.array([30, 150, 40], dtype="Int64"), "__row__": [2, 3, 4]})
    meta = {"members": type("M", (), {"file": "f", "sheet": ""})()}
    report = ValidationReport()
    ctx = validate.Context({"members": df}, meta, {"members": validate.Flags(3)}, report)
    found = validate.Finding(
        "default_range",
        "members",
        mask=np.array([False, True, False]),
        column="age",
        fields={"low": 0, "high": 110},
    )
    validate.apply_finding(ctx, found)
    assert df["age"].isna().tolist() == [False, True, False]
    assert report.issues["value"].tolist() == ["150"]
    assert report.issues["message"].tolist() == ["age outside 0–110; set to missing."]
