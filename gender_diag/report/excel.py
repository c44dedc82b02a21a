"""Excel workbook of the diagnostic, one per language (openpyxl).

Sheets: summary; indicators by sex; gaps; disaggregations; indices (with the WEAI
decomposition); ranking with robustness; direct actions; indirect actions; data quality
(row accounting and validation issues); methodology notes; provenance. Headers are frozen and
bold, numbers keep their value with a number format (so Excel shows the decimal separator of
the reader's locale), suppressed cells hold the mark ``s`` on a grey fill and are explained in
a note under each table. Creation and modification dates come from the provenance and the zip
entries are normalised, so the same input gives the same file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from gender_diag.report import layout
from gender_diag.report.i18n import Texts
from gender_diag.report.layout import Table
from gender_diag.report.reproducible import fixed_datetime, normalise_zip
from gender_diag.report.tables import Published, is_percent

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="5B2C6F")
SUPPRESSED_FILL = PatternFill("solid", fgColor="DDDDDD")
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")


def number_format(kind: str, unit: object) -> str:
    """Excel number format of a value kind (see :mod:`gender_diag.report.layout`).

    >>> number_format("est", "proportion"), number_format("est", "hours"), number_format("int", None)
    ('0.0%', '0.00', '#,##0')
    """
    if kind in ("est", "gap"):
        return "0.0%" if is_percent(unit) else "0.00"
    return {"int": "#,##0", "prob": "0%", "p": "0.000", "num": "0.00"}.get(kind, "General")


def _excel_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):  # numpy scalar → Python scalar
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_table(ws, table: Table, texts: Texts, *, start_row: int = 1, notes=()) -> int:
    """Write ``table`` at ``start_row``; return the next free row."""
    mark = texts["values.suppressed_mark"]
    widths = [len(c.header) for c in table.columns]
    for j, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=start_row, column=j, value=col.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    frame = table.frame.reset_index(drop=True)
    units = frame["unit"] if "unit" in frame.columns else pd.Series(None, index=frame.index)
    for j, col in enumerate(table.columns, start=1):
        values = frame[col.key].tolist()
        flags = (
            frame[col.flag].fillna(False).astype(bool).tolist()
            if col.flag and col.flag in frame.columns
            else [False] * len(frame)
        )
        fmt_cache: dict[object, str] = {}
        for i, (value, flag, unit) in enumerate(zip(values, flags, units, strict=True)):
            cell = ws.cell(row=start_row + 1 + i, column=j)
            if flag:
                cell.value, cell.fill = mark, SUPPRESSED_FILL
                cell.alignment = Alignment(horizontal="center")
                continue
            cell.value = _excel_value(value)
            if col.kind != "text":
                if unit not in fmt_cache:
                    fmt_cache[unit] = number_format(col.kind, unit)
                cell.number_format = fmt_cache[unit]
            elif isinstance(cell.value, str):
                widths[j - 1] = max(widths[j - 1], min(len(cell.value), 60))
        if col.kind != "text":
            widths[j - 1] = max(widths[j - 1], 10)
    for j, w in enumerate(widths, start=1):
        letter = get_column_letter(j)
        current = ws.column_dimensions[letter].width or 0
        ws.column_dimensions[letter].width = max(current, min(w + 2, 62))
    row = start_row + 1 + len(frame) + 1
    for note in notes:
        ws.cell(row=row, column=1, value=note).font = Font(italic=True, size=9)
        row += 1
    return row + 1


def _paragraphs(ws, title: str, paragraphs: list[str], *, start_row: int = 1) -> int:
    ws.column_dimensions["A"].width = 120
    ws.cell(row=start_row, column=1, value=title).font = HEADING_FONT
    row = start_row + 1
    for text in paragraphs:
        cell = ws.cell(row=row, column=1, value=text)
        cell.alignment = WRAP
        row += 1
    return row + 1


def _sheet(wb: Workbook, title: str):
    # Excel limits sheet names to 31 characters and forbids []:*?/\
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    return wb.create_sheet(clean)


def build_workbook(pub: Published, texts: Texts) -> Workbook:
    """Build the workbook in memory (see :func:`write_excel`)."""
    t = texts
    wb = Workbook()
    wb.remove(wb.active)
    notes = layout.sdc_notes(pub, t)

    ws = _sheet(wb, t["sheets.summary"])
    ws.cell(row=1, column=1, value=t["report.title"]).font = TITLE_FONT
    ws.cell(row=2, column=1, value=t.get("report.subtitle", name=pub.name))
    ws.cell(row=3, column=1, value=t.get("report.generated", version=pub.version, date=pub.date))
    row = _paragraphs(ws, t["sections.findings"], layout.finding_sentences(pub, t), start_row=5)
    _paragraphs(ws, t["sections.sdc"], notes, start_row=row)

    single = [
        ("sheets.indicators", layout.indicators_table(pub, t)),
        ("sheets.gaps", layout.gaps_table(pub, t)),
        ("sheets.disaggregations", layout.disaggregations_table(pub, t)),
    ]
    for key, table in single:
        ws = _sheet(wb, t[key])
        write_table(ws, table, t, notes=notes[:2])
        ws.freeze_panes = "B2"
        ws.row_dimensions[1].height = 45

    ws = _sheet(wb, t["sheets.indices"])
    row = 1
    for table in layout.indices_tables(pub, t):
        ws.cell(row=row, column=1, value=table.title).font = HEADING_FONT
        row = write_table(ws, table, t, start_row=row + 1)

    for key, table in (
        ("sheets.ranking", layout.ranking_table(pub, t)),
        ("sheets.direct", layout.direct_table(pub, t)),
        ("sheets.indirect", layout.indirect_table(pub, t)),
    ):
        ws = _sheet(wb, t[key])
        write_table(ws, table, t, notes=notes[:1] if key == "sheets.ranking" else ())
        ws.freeze_panes = "C2"
        ws.row_dimensions[1].height = 45

    ws = _sheet(wb, t["sheets.quality"])
    ws.cell(row=1, column=1, value=t["sections.accounting"]).font = HEADING_FONT
    row = write_table(ws, layout.accounting_table(pub, t), t, start_row=2)
    ws.cell(row=row, column=1, value=t["sections.issues"]).font = HEADING_FONT
    write_table(ws, layout.issues_table(pub, t), t, start_row=row + 1)

    ws = _sheet(wb, t["sheets.methods"])
    row = _paragraphs(ws, t["sections.methods"], layout.methods_paragraphs(pub, t))
    _paragraphs(ws, t["sections.sdc"], notes, start_row=row)

    ws = _sheet(wb, t["sheets.provenance"])
    write_table(ws, layout.provenance_table(pub, t), t)
    ws.freeze_panes = "A2"

    when = fixed_datetime(pub.date)
    wb.properties.created = when
    wb.properties.modified = when
    wb.properties.creator = "gender_diag"
    wb.properties.title = t["report.title"]
    wb.properties.language = t.lang
    return wb


def write_excel(pub: Published, texts: Texts, path: Path) -> Path:
    """Write the workbook of one language to ``path`` (e.g. ``es/diagnostico.xlsx``)."""
    from zipfile import ZIP_DEFLATED, ZipFile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = build_workbook(pub, texts)
    # openpyxl's save_workbook stamps "modified" with the current time; write directly instead.
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    normalise_zip(path, fixed_datetime(pub.date))
    return path
