"""``gender-diag validate PATH``: read any supported export and return its report.

:func:`read_path` picks the reader from the path (folder or CSV with ``KEY`` → ODK; XLSX or
CSV with Kobo columns → Kobo; ``.sav``/``.por``/``.zsav`` → SPSS; ``.dta`` → Stata; other
CSV/XLSX → hand-typed table). :func:`validate_path` never raises for bad input: a malformed
file becomes one blocking entry of the report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gender_diag.errors import GenderDiagError, ParameterError, bad_parameter
from gender_diag.ingest.report import ValidationReport
from gender_diag.ingest.survey import Survey

_KOBO_MARKERS = {"_uuid", "_index", "_submission_time", "_id"}


def _kind(path: Path) -> str:
    suf = path.suffix.lower()
    if path.is_dir():
        return "odk"
    if suf in {".sav", ".zsav", ".por"}:
        return "spss"
    if suf == ".dta":
        return "stata"
    if suf in {".xlsx", ".xlsm"}:
        from gender_diag.ingest import limits

        limits.check_workbook(path)  # a zip bomb is refused before openpyxl opens it
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            ws = wb.worksheets[0]
            header = next(ws.iter_rows(max_row=1, values_only=True), ()) or ()
            wb.close()
            if _KOBO_MARKERS & {str(h).strip() for h in header if h is not None}:
                return "kobo"
        except Exception:  # a corrupt file: let the Kobo reader give the clear message
            return "kobo"
        return "table"
    if suf in {".csv", ".txt"}:
        try:
            with path.open("rb") as fh:
                head = fh.readline().decode("utf-8", errors="replace")
        except OSError:
            return "table"
        cols = {c.strip().strip('"') for c in head.replace(";", ",").split(",")}
        if "KEY" in cols:
            return "odk"
        if _KOBO_MARKERS & cols:
            return "kobo"
        return "table"
    return "table"


FORMATS = ("kobo", "odk", "table", "stata", "spss")


def read_path(
    path: str | Path,
    *,
    form=None,
    design=None,
    salt: str | None = None,
    format: str | None = None,
    mapping=None,
    design_names: dict | None = None,
) -> Survey:
    """Read ``path`` with the reader its format calls for (see module docstring).

    ``format`` forces a reader (``kobo``, ``odk``, ``table``, ``stata``, ``spss``); None
    detects it from the path. ``mapping`` (a ``[mapping]`` section, see
    :mod:`gender_diag.ingest.mapping`) is read with Kobo and ODK exports.
    """
    from gender_diag.ingest.kobo import read_kobo
    from gender_diag.ingest.odk import read_odk
    from gender_diag.ingest.tables import read_spss, read_stata, read_table

    path = Path(path)
    if format is not None and format not in FORMATS:
        raise bad_parameter("format", "read_path", " / ".join(map(repr, FORMATS)), format)
    kind = format or (_kind(path) if path.exists() else "table")
    mapped = {}
    if mapping is not None:
        if kind not in ("kobo", "odk"):
            from gender_diag.errors import ConfigError

            raise ConfigError(
                f"A [mapping] is read with Kobo and ODK exports; {path} was read as {kind!r}. "
                "Fix: give --format kobo (or odk), or rename the table's columns instead."
            )
        mapped = {"mapping": mapping, "design_names": design_names}
    if kind == "kobo":
        return read_kobo(path, form=form, design=design, salt=salt, **mapped)
    if kind == "odk":
        return read_odk(path, form=form, design=design, salt=salt, **mapped)
    if kind == "spss":
        return read_spss(path, design=design, salt=salt)
    if kind == "stata":
        return read_stata(path, design=design, salt=salt)
    return read_table(path, form=form, design=design, salt=salt)


def validate_path(
    path: str | Path,
    *,
    form=None,
    design=None,
    format: str | None = None,
    mapping=None,
    design_names: dict | None = None,
) -> ValidationReport:
    """Read and validate any supported export; return the :class:`ValidationReport`.

    A malformed file (empty, corrupt, wrong sheets, ...) gives a report with one blocking
    entry whose reason is the error's code; it never raises for bad input.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "empty.csv")
    >>> open(p, "w").close()
    >>> rep = validate_path(p)
    >>> rep.valid, rep.issues["reason"].tolist()
    (False, ['empty_file'])
    """
    try:
        return read_path(
            path,
            form=form,
            design=design,
            format=format,
            mapping=mapping,
            design_names=design_names,
        ).report
    except ParameterError:
        raise  # a wrong call, not a problem of the file
    except GenderDiagError as exc:
        rep = ValidationReport()
        rep.add_blocking(
            getattr(exc, "reason", "corrupt_file"),
            str(exc),
            fix=getattr(exc, "fix", "see the message"),
            file=getattr(exc, "file", str(path)),
            sheet=getattr(exc, "sheet", None) or "",
        )
        return rep


def format_report(report: ValidationReport, *, max_rows: int = 50, lang: str = "en") -> str:
    """Plain-text report for the terminal: summary, then the first issues in full.

    ``lang`` (``en``, ``es``, ``fr``) sets the language of the summary's reason titles; the
    per-row messages are in English.

    Examples
    --------
    >>> print(format_report(ValidationReport()))
    valid
    No problems found.
    """
    lines = [report.summary(lang=lang)]
    iss = report.issues
    shown = iss[iss["reason"] != "identifier_removed"]
    if not len(shown):
        lines.append("No problems found.")
        return "\n".join(lines)
    order = {"blocking": 0, "error": 1, "warning": 2, "info": 3}
    shown = shown.sort_values(
        ["severity", "table", "row"],
        key=lambda s: s.map(order) if s.name == "severity" else s,
        kind="stable",
    )
    lines.append("")
    lines.append(f"{len(shown)} issue(s); first {min(max_rows, len(shown))}:")
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        for r in shown.head(max_rows).itertuples(index=False):
            where = ", ".join(
                x
                for x in (
                    str(r.file),
                    f"sheet {r.sheet}" if r.sheet else "",
                    f"row {r.row}" if r.row else "",
                    f"column {r.column}" if r.column else "",
                )
                if x
            )
            val = f" (value {r.value!r})" if r.value else ""
            # a file-level message already carries its fix: do not say it twice
            fix = "" if not r.fix or str(r.fix) in str(r.message) else f" Fix: {r.fix}"
            lines.append(f"[{r.severity}] {r.reason}: {where}{val}: {r.message}{fix}")
    return "\n".join(lines)
