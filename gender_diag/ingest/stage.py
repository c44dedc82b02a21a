"""The ingest stage of :func:`gender_diag.run`: read the configured survey, stop on blocking
problems after writing the validation report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gender_diag import safe_output
from gender_diag.contracts.stages import Progress, RunState
from gender_diag.errors import ConfigError, ValidationError
from gender_diag.ingest import limits, privacy
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
    if config.get("mapping") is not None:
        if inp["format"] not in ("kobo", "odk"):
            raise ConfigError(
                f"[mapping] is read with Kobo and ODK exports, not with {inp['format']!r} "
                "files. Fix: rename the columns of the table instead, or export from Kobo/ODK."
            )
        options["mapping"] = config["mapping"]
        options["design_names"] = config["design"]
    caps = {k: inp.get(k) for k in ("max_uncompressed_mb", "max_rows", "max_columns")}
    identifiers = config.get("privacy", {}).get("identifiers", ())
    with privacy.settings(identifiers=identifiers), limits.settings(**caps):
        return reader(inp["path"], **options)


def write_validation(
    report,
    out_dir: Path,
    *,
    variables=None,
    sensitive: set[str] = frozenset(),
    internal_dir: Path | None = None,
) -> list[Path]:
    """Write the shareable validation folder and the internal folder beside it (default deny:
    keys, columns, rules and reasons, never answers; see :mod:`gender_diag.report.side_files`)."""
    from gender_diag.report.side_files import write_validation as write

    return write(
        report, out_dir, variables=variables, sensitive=sensitive, internal_dir=internal_dir
    )


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Ingest and validate; a blocking problem raises :class:`ValidationError` once the
    validation report is written to ``<out>/validation``."""
    survey = ingest_survey(config)
    state.result.survey = survey
    report = survey.report
    if not report.valid:
        safe_output.remove_stale(state.out)  # an earlier run's files never sit beside these
        paths = write_validation(report, state.out / "validation", variables=survey.variables)
        safe_output.record(state.out, paths)
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
