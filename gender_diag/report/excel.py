"""Excel workbook of the diagnostic, one per language (XlsxWriter).

Sheets: summary; indicators by sex; gaps; disaggregations; indices (with the WEAI
decomposition); ranking with robustness; direct actions; indirect actions; data quality
(row accounting and validation issues); methodology notes; provenance. Headers are frozen and
bold, numbers keep their value with a number format (so Excel shows the decimal separator of
the reader's locale), suppressed cells hold the mark ``s`` on a grey fill and are explained in
a note under each table.

XlsxWriter is used rather than openpyxl because it is several times faster on large
disaggregation tables, never turns text that starts with ``=`` into a formula (text from the
survey is written as text), and stamps zip entries with a fixed date; the document's creation
date comes from the provenance, so the same input gives the same file.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import xlsxwriter

from gender_diag.report import layout
from gender_diag.report.i18n import Texts
from gender_diag.report.layout import Table
from gender_diag.report.reproducible import fixed_datetime
from gender_diag.report.tables import Published, is_percent
from gender_diag.safe_output import neutralise

PURPLE = "#5B2C6F"


def number_format(kind: str, unit: object) -> str:
    """Excel number format of a value kind (see :mod:`gender_diag.report.layout`).

    >>> number_format("est", "proportion"), number_format("est", "hours"), number_format("int", None)
    ('0.0%', '0.00', '#,##0')
    """
    if kind in ("est", "gap"):
        return "0.0%" if is_percent(unit) else "0.00"
    return {"int": "#,##0", "prob": "0%", "p": "0.000", "num": "0.00"}.get(kind, "General")


class _Formats:
    """XlsxWriter formats, created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.header = wb.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": PURPLE,
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
            }
        )
        self.suppressed = wb.add_format({"bg_color": "#DDDDDD", "align": "center"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.heading = wb.add_format({"bold": True, "font_size": 12})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_size": 9})
        self._numbers: dict[str, object] = {}

    def number(self, fmt: str):
        if fmt not in self._numbers:
            self._numbers[fmt] = self.wb.add_format({"num_format": fmt})
        return self._numbers[fmt]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def write_table(
    ws, table: Table, texts: Texts, fmt: _Formats, *, start_row: int = 0, notes=()
) -> int:
    """Write ``table`` with its header at ``start_row`` (0-based); return the next free row."""
    mark = texts["values.suppressed_mark"]
    widths = [min(len(c.header), 40) for c in table.columns]
    for j, col in enumerate(table.columns):
        ws.write_string(start_row, j, col.header, fmt.header)
    frame = table.frame.reset_index(drop=True)
    units = frame["scale"].tolist() if "scale" in frame.columns else [None] * len(frame)
    for j, col in enumerate(table.columns):
        values = frame[col.key].tolist()
        flags = (
            frame[col.flag].fillna(False).astype(bool).tolist()
            if col.flag and col.flag in frame.columns
            else [False] * len(frame)
        )
        numeric = col.kind != "text"
        for i, (value, flag, unit) in enumerate(zip(values, flags, units, strict=True)):
            row = start_row + 1 + i
            if flag:
                ws.write_string(row, j, mark, fmt.suppressed)
            elif _is_missing(value):
                continue
            elif numeric and isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(row, j, float(value), fmt.number(number_format(col.kind, unit)))
            else:
                text = str(value.item() if hasattr(value, "item") else value)
                ws.write_string(row, j, neutralise(text))
                widths[j] = max(widths[j], min(len(text), 60))
        if numeric:
            widths[j] = max(widths[j], 10)
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(w + 2, 62))
    row = start_row + 1 + len(frame) + 1
    for note in notes:
        ws.write_string(row, 0, note, fmt.note)
        row += 1
    return row + 1


def _paragraphs(ws, title: str, paragraphs: list[str], fmt: _Formats, *, start_row: int = 0) -> int:
    ws.set_column(0, 0, 120)
    ws.write_string(start_row, 0, title, fmt.heading)
    row = start_row + 1
    for text in paragraphs:
        ws.write_string(row, 0, neutralise(text), fmt.wrap)
        row += 1
    return row + 1


def _sheet_name(title: str) -> str:
    # Excel limits sheet names to 31 characters and forbids []:*?/\
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]


def write_excel(pub: Published, texts: Texts, path: Path) -> Path:
    """Write the workbook of one language to ``path`` (e.g. ``es/diagnostico.xlsx``)."""
    t = texts
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": True,
    }
    wb = xlsxwriter.Workbook(str(path), options)
    fmt = _Formats(wb)
    notes = layout.sdc_notes(pub, t)

    from gender_diag.report.changes import excel_sheet

    excel_sheet(wb, pub, t, fmt)  # "What changed" first, when rounds are compared
    ws = wb.add_worksheet(_sheet_name(t["sheets.summary"]))
    ws.write_string(0, 0, t["report.title"], fmt.title)
    ws.write_string(1, 0, t.get("report.subtitle", name=pub.name))
    ws.write_string(2, 0, t.get("report.generated", version=pub.version, date=pub.date))
    row = _paragraphs(
        ws, t["sections.findings"], layout.finding_sentences(pub, t), fmt, start_row=4
    )
    _paragraphs(ws, t["sections.sdc"], notes, fmt, start_row=row)

    for key, table in (
        ("sheets.indicators", layout.indicators_table(pub, t)),
        ("sheets.gaps", layout.gaps_table(pub, t)),
        ("sheets.disaggregations", layout.disaggregations_table(pub, t)),
    ):
        ws = wb.add_worksheet(_sheet_name(t[key]))
        write_table(ws, table, t, fmt, notes=notes[:2])
        ws.freeze_panes(1, 1)
        ws.set_row(0, 45)

    ws = wb.add_worksheet(_sheet_name(t["sheets.indices"]))
    row = 0
    for table in layout.indices_tables(pub, t):
        ws.write_string(row, 0, table.title, fmt.heading)
        row = write_table(ws, table, t, fmt, start_row=row + 1)

    for key, table in (
        ("sheets.ranking", layout.ranking_table(pub, t)),
        ("sheets.direct", layout.direct_table(pub, t)),
        ("sheets.indirect", layout.indirect_table(pub, t)),
    ):
        ws = wb.add_worksheet(_sheet_name(t[key]))
        write_table(ws, table, t, fmt, notes=notes[:1] if key == "sheets.ranking" else ())
        ws.freeze_panes(1, 2)
        ws.set_row(0, 45)

    ws = wb.add_worksheet(_sheet_name(t["sheets.quality"]))
    ws.write_string(0, 0, t["sections.accounting"], fmt.heading)
    row = write_table(ws, layout.accounting_table(pub, t), t, fmt, start_row=1)
    ws.write_string(row, 0, t["sections.issues"], fmt.heading)
    write_table(ws, layout.issues_table(pub, t), t, fmt, start_row=row + 1)

    ws = wb.add_worksheet(_sheet_name(t["sheets.methods"]))
    row = _paragraphs(ws, t["sections.methods"], layout.methods_paragraphs(pub, t), fmt)
    _paragraphs(ws, t["sections.sdc"], notes, fmt, start_row=row)

    ws = wb.add_worksheet(_sheet_name(t["sheets.provenance"]))
    write_table(ws, layout.provenance_table(pub, t), t, fmt)
    ws.freeze_panes(1, 0)

    wb.set_properties(
        {
            "title": t["report.title"],
            "author": "gender_diag",
            "comments": t.get("report.subtitle", name=pub.name),
            "created": fixed_datetime(pub.date),
        }
    )
    wb.close()
    return path
