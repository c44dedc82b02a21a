"""The whole diagnostic in one command, on the example and on a damaged synthetic survey.

Checks what a partner relies on: outputs in three languages that open, no identifier and no
small cell in anything published, every input row accounted for, identical files on a re-run,
and a blocking data problem that stops the run with the validation report written.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

import gender_diag as gd
from gender_diag.cli import main
from gender_diag.resources import example_dir
from tests.pipeline.outputs import output_texts

EXAMPLE = example_dir()
DRAWS = 1000  # fewer robustness draws than the default keep the suite fast


def example_config(out: Path, **ranking) -> dict:
    return {
        "diagnostic": {"name": "example", "output_dir": str(out)},
        "input": {
            "path": str(EXAMPLE / "kobo_export.xlsx"),
            "form": str(EXAMPLE / "gender_diag_household.xlsx"),
            "design": str(EXAMPLE / "design.csv"),
        },
        "ranking": {"draws": DRAWS, **ranking},
    }


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    return gd.run(example_config(out)), out


def identifier_values() -> set[str]:
    """Direct identifiers typed in the raw example export (names, phones, DNI, GPS)."""
    raw = pd.read_excel(EXAMPLE / "kobo_export.xlsx", sheet_name=None, dtype=str)
    values: set[str] = set()
    for frame in raw.values():
        for column in frame.columns:
            if re.search(r"(member_name|phone|dni_number|gps|interviewer)$", column):
                values |= {v for v in frame[column].dropna() if len(v) >= 5}
    return values


def test_outputs_in_three_languages_open(example_run):
    result, out = example_run
    for lang, html, xlsx, brief in (
        ("es", "informe.html", "diagnostico.xlsx", "resumen_politicas.docx"),
        ("fr", "rapport.html", "diagnostic.xlsx", "note_politique.docx"),
        ("en", "report.html", "diagnostic.xlsx", "policy_brief.docx"),
    ):
        folder = out / lang
        assert (folder / html).stat().st_size > 10_000
        workbook = openpyxl.load_workbook(folder / xlsx, read_only=True)
        assert len(workbook.sheetnames) >= 10
        document = docx.Document(folder / brief)
        assert len(document.paragraphs) > 10
    spanish = (out / "es" / "informe.html").read_text(encoding="utf-8")
    # decimal comma, and a no-break space before the percent sign
    assert "IC 95 %" in spanish and re.search(r"\d+,\d\u00a0%", spanish)
    assert set(result.indices) >= {"a-weai", "pro-weai"}
    assert len(result.direct_actions) and len(result.indirect_actions)
    assert result.outputs and all(Path(p).exists() for p in result.outputs)


def test_every_index_result_has_to_frame(example_run):
    result, _ = example_run
    for name, res in result.indices.items():
        frame = res.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame), name


def test_provenance_records_inputs_and_seeds(example_run):
    result, _ = example_run
    prov = result.provenance
    assert prov["version"] == gd.__version__
    assert prov["seeds"]["ranking"] == result.config["ranking"]["seed"]
    digests = prov["inputs_sha256"]
    assert {"kobo_export.xlsx", "design.csv", "gender_diag_household.xlsx"} <= set(digests)
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests.values())


def test_every_input_row_accounted_for(example_run):
    result, _ = example_run
    report = result.survey.report
    for table, read in report.rows_read.items():
        assert read == report.rows_accepted[table] + report.rows_quarantined[table]
    assert sum(report.rows_read.values()) > 5000


def test_no_identifier_value_in_any_output(example_run):
    _, out = example_run
    secrets = identifier_values()
    assert len(secrets) > 500  # the scan looks for real values
    numbers = {s for s in secrets if s.isdigit()}  # DNI and phone numbers
    words = secrets - numbers  # names, GPS strings
    for path, text in output_texts(out):
        # a DNI must not match the digits of a longer number such as 0.7965013912
        leaked = sorted(numbers & set(re.findall(r"(?<![\d.])\d+(?![\d.])", text)))
        leaked += [s for s in words if s in text]
        assert not leaked, f"{path} contains identifier values such as {leaked[:3]}"


def test_no_published_cell_below_its_threshold(example_run):
    result, out = example_run
    table = pd.read_csv(out / "csv" / "indicators.csv", keep_default_na=False)
    shown = table[table["estimate"].astype(str) != ""]
    sensitive = shown["sensitive"].astype(str).str.lower().eq("true")
    limit = sensitive.map({True: 10, False: 5})
    assert (shown["n"].astype(float) >= limit).all()
    # sensitive indicators are never published below district level
    assert not shown.loc[sensitive, "by"].eq("community").any()
    assert len(shown) > 1000


def test_rerun_gives_identical_files(example_run, tmp_path):
    _, first = example_run
    gd.run(example_config(tmp_path))
    for rel in ("csv/indicators.csv", "csv/ranking.csv", "es/informe.html", "en/report.html"):
        assert (first / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_damaged_survey_runs_with_quarantine(tmp_path):
    synth = gd.synth.generate(200, seed=5, errors=True)
    files = gd.synth.write_survey(synth, tmp_path / "data", formats=("kobo_xlsx",))
    config = {
        "diagnostic": {"name": "damaged", "output_dir": str(tmp_path / "out"), "languages": ["es"]},
        "input": {
            "path": str(files["kobo_xlsx"]),
            "form": str(files["form"]),
            "design": str(files["design"]),
        },
        "ranking": {"draws": 200},
    }
    result = gd.run(config)
    report = result.survey.report
    assert sum(report.rows_quarantined.values()) > 0
    reasons = set(report.issues["reason"])
    assert set(synth.planted_errors["kind"]) <= reasons
    quarantine = tmp_path / "out" / "validation" / "quarantine_households.csv"
    assert quarantine.exists()
    # quarantined rows are microdata: never with the violence module's answers
    for path in (tmp_path / "out" / "validation").glob("quarantine_*.csv"):
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert "vio_" not in header, path
    assert (tmp_path / "out" / "es" / "informe.html").exists()


def test_blocking_problem_stops_with_report(tmp_path, capsys):
    design = pd.read_csv(EXAMPLE / "design.csv").drop(columns="weight")
    design.to_csv(tmp_path / "design.csv", index=False)
    (tmp_path / "diagnostic.toml").write_text(
        f"""
[diagnostic]
name = "blocked"
output_dir = "{tmp_path / "out"}"
[input]
path = "{EXAMPLE / "kobo_export.xlsx"}"
form = "{EXAMPLE / "gender_diag_household.xlsx"}"
design = "design.csv"
""",
        encoding="utf-8",
    )
    assert main(["run", str(tmp_path / "diagnostic.toml")]) == 1
    err = capsys.readouterr().err
    assert "blocking problem" in err and "weight" in err and "Traceback" not in err
    assert (tmp_path / "out" / "validation" / "validation_issues.csv").exists()
    assert not (tmp_path / "out" / "es").exists()


def test_unknown_disaggregation_is_refused(tmp_path):
    config = example_config(tmp_path)
    config["indicators"] = {"disaggregations": ["district", "comunity"]}
    config["ranking"]["levels"] = ["total"]
    with pytest.raises(gd.ConfigError, match="'comunity' gave no estimate"):
        gd.run(config, until="indicators")


def test_partial_data_from_stata_runs_with_skipped_indicators(tmp_path):
    """A respondents-only Stata file (no roster, no parcels) still gives a diagnostic."""
    import pyreadstat

    survey = gd.read_kobo(
        EXAMPLE / "kobo_export.xlsx",
        form=EXAMPLE / "gender_diag_household.xlsx",
        design=EXAMPLE / "design.csv",
    )
    resp = survey.tables["respondents"]
    keep = [
        c
        for c in resp.columns
        if not c.startswith("_") and c not in ("weight", "fpc", "fpc2") and len(c) <= 32
    ]  # Stata names have at most 32 characters
    resp = resp[keep].copy()
    for column in resp.columns:
        if resp[column].dtype.kind in "biuf" or str(resp[column].dtype) in (
            "Int64",
            "Float64",
            "boolean",
        ):
            resp[column] = resp[column].astype(float)
        else:
            resp[column] = resp[column].astype(object).where(resp[column].notna(), "").astype(str)
    pyreadstat.write_dta(resp, tmp_path / "respondents.dta")
    config = {
        "diagnostic": {"name": "stata", "output_dir": str(tmp_path / "out"), "languages": ["en"]},
        "input": {
            "format": "stata",
            "path": str(tmp_path / "respondents.dta"),
            "design": str(EXAMPLE / "design.csv"),
        },
        "ranking": {"draws": 200},
    }
    result = gd.run(config)
    skipped = result.skipped_indicators
    assert {"land_secure_rights", "literacy_15plus"} <= set(skipped["indicator"])
    assert skipped["reason"].str.contains("table in the survey|not in the survey").all()
    assert result.indicators["indicator"].nunique() >= 40
    assert (tmp_path / "out" / "validation" / "skipped_indicators.csv").exists()
    assert (tmp_path / "out" / "en" / "report.html").exists()
    # what could not be done is said in the result, not only in the progress lines
    assert any(n.startswith("indicators: ") and "skipped" in n for n in result.notes)
    assert all(hasattr(res, "to_frame") for res in result.indices.values())
