"""The ingest stage of :func:`gender_diag.run`: read the configured survey, stop on blocking
problems after writing the validation report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gender_diag.contracts.stages import Progress, RunState
from gender_diag.errors import ConfigError, ValidationError
from gender_diag.ingest.kobo import read_kobo
from gender_diag.ingest.odk import read_odk
from gender_diag.ingest.tables import read_spss, read_stata, read_table

#: ``[input] format`` → reader.
READERS = {
    "kobo": read_kobo,
    "odk": read_odk,
    "table": read_table,
    "stata": read_stata,
    "spss": read_spss,
}


def ingest_survey(config: dict):
    """Read the survey named in the configuration with the matching reader."""
    inp = config["input"]
    reader = READERS[inp["format"]]
    options: dict[str, Any] = {}
    if inp["form"] is not None:
        if inp["format"] in ("stata", "spss"):
            raise ConfigError(
                f"[input] form: an XLSForm is not used with {inp['format']} files (their value "
                "labels travel inside the file). Fix: remove the form line."
            )
        options["form"] = inp["form"]
    if inp["design"] is not None:
        options["design"] = inp["design"]
    if inp["salt"]:
        options["salt"] = inp["salt"]
    return reader(inp["path"], **options)


def write_validation(report, out_dir: Path) -> list[Path]:
    """Write the validation issues, row accounting and quarantined rows (no identifiers)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "validation_issues.csv", out_dir / "row_accounting.csv"]
    report.issues.to_csv(paths[0], index=False)
    report.accounting().to_csv(paths[1], index=False)
    for table, rows in sorted(report.quarantine.items()):
        if len(rows):
            path = out_dir / f"quarantine_{table}.csv"
            rows.to_csv(path, index=False)
            paths.append(path)
    return paths


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Ingest and validate; a blocking problem raises :class:`ValidationError` once the
    validation report is written to ``<out>/validation``."""
    survey = ingest_survey(config)
    state.result.survey = survey
    report = survey.report
    if not report.valid:
        paths = write_validation(report, state.out / "validation")
        raise ValidationError(
            f"The data have {len(report.blocking)} blocking problem(s); nothing was estimated. "
            f"The validation report is in {paths[0].parent}. First problem: "
            f"{report.blocking[0]}",
            report=report,
        )
    accepted = sum(report.rows_accepted.values())
    quarantined = sum(report.rows_quarantined.values())
    state.summary = f"{accepted} rows accepted, {quarantined} quarantined"
    return state
