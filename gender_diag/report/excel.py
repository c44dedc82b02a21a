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

import numpy as np
import pandas as pd
import xlsxwriter

from gender_diag.report import layout
from gender_diag.report.i18n import Texts
from gender_diag.report.layout import Table
from gender_diag.report.reproducible import fixed_datetime
from gender_diag.report.tables import PERCENT_UNITS, Published, is_percent
from gender_diag.safe_output import neutralise

PURPLE = "#5B2C6F"


def number_format(kind: str, unit: object) -> str:
    """Excel number format of a value kind (see :mod:`gender_diag.report.layout`).

    >>> number_format("est", "proportion"), number_format("gap", "proportion")
    ('0.0%', '0.0" pp"')
    >>> number_format("est", "hours"), number_format("int", None)
    ('0.00', '#,##0')
    """
    if kind == "gap":
        # written as percentage points (value × 100), see write_table
        return '0.0" pp"' if is_percent(unit) else "0.00"
    if kind == "est":
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
    """Write ``table`` with its header at ``start_row`` (0-based); return the next free row.

    Column by column: a numeric column is converted, scaled and given its number formats in
    one pass; only the XlsxWriter call remains per cell.
    """
    mark = texts["values.suppressed_mark"]
    widths = [min(len(c.header), 40) for c in table.columns]
    for j, col in enumerate(table.columns):
        ws.write_string(start_row, j, neutralise(col.header), fmt.header)
    frame = table.frame.reset_index(drop=True)
    n = len(frame)
    units = frame["scale"].tolist() if "scale" in frame.columns else [None] * n
    pct = pd.Series(units, dtype="object").astype(str).isin(PERCENT_UNITS).to_numpy()
    first = start_row + 1
    for j, col in enumerate(table.columns):
        series = frame[col.key]
        flags = (
            frame[col.flag].fillna(False).astype(bool).to_numpy()
            if col.flag and col.flag in frame.columns
            else np.zeros(n, dtype=bool)
        )
        numeric = col.kind != "text"
        if (
            numeric
            and pd.api.types.is_numeric_dtype(series)
            and not pd.api.types.is_bool_dtype(series)
        ):
            _number_column(ws, j, first, series, flags, pct, col.kind, mark, fmt)
        else:
            longest = _text_column(
                ws, j, first, series.tolist(), flags, pct, col.kind, texts, mark, fmt
            )
            widths[j] = max(widths[j], longest)
        if numeric:
            widths[j] = max(widths[j], 10)
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(w + 2, 52))
    last = start_row + n
    if table.columns:
        # filter and sort on every table; frozen header when it is the sheet's first table
        if start_row == 0:
            ws.autofilter(start_row, 0, max(last, start_row), len(table.columns) - 1)
            ws.freeze_panes(start_row + 1, 1)
            ws.repeat_rows(start_row)
        _print_setup(ws)
    row = start_row + 1 + n + 1
    for note in notes:
        ws.write_string(row, 0, neutralise(note), fmt.note)
        row += 1
    return row + 1


def _number_column(ws, j, first, series, flags, pct, kind, mark, fmt) -> None:
    """A numeric column: suppressed cells get the mark, blanks stay empty, numbers keep their
    value (gaps of proportions × 100, in percentage points) with their number format."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if kind == "gap":
        values = np.where(pct, values * 100, values)
    # formats are created on first use, as before, so that styles.xml keeps its order
    formats: dict[bool, object] = {}
    write_number, write_string = ws.write_number, ws.write_string
    blank = np.isnan(values)
    for i, (value, flag, is_pct, skip) in enumerate(
        zip(values.tolist(), flags.tolist(), pct.tolist(), blank.tolist(), strict=True)
    ):
        if flag:
            write_string(first + i, j, mark, fmt.suppressed)
        elif not skip:
            if is_pct not in formats:
                unit = "proportion" if is_pct else None
                formats[is_pct] = fmt.number(number_format(kind, unit))
            write_number(first + i, j, value, formats[is_pct])


def _text_column(ws, j, first, values, flags, pct, kind, texts, mark, fmt) -> int:
    """A text (or mixed) column cell by cell; returns the longest text (capped at 50)."""
    numeric = kind != "text"
    longest = 0
    safe: dict[str, object] = {}
    for i, (value, flag, is_pct) in enumerate(
        zip(values, flags.tolist(), pct.tolist(), strict=True)
    ):
        row = first + i
        if flag:
            ws.write_string(row, j, mark, fmt.suppressed)
        elif _is_missing(value):
            continue
        elif numeric and isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value) * (100 if kind == "gap" and is_pct else 1)
            unit = "proportion" if is_pct else None
            ws.write_number(row, j, number, fmt.number(number_format(kind, unit)))
        else:
            if isinstance(value, bool | np.bool_):
                text = texts.value("", str(bool(value)))
            else:
                text = str(value.item() if hasattr(value, "item") else value)
            if text not in safe:
                safe[text] = neutralise(text)
            ws.write_string(row, j, safe[text], fmt.wrap if len(text) > 30 else None)
            longest = max(longest, min(len(text), 50))
    return longest


def _print_setup(ws) -> None:
    """A4 landscape, one page wide (as many pages long as needed)."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _paragraphs(ws, title: str, paragraphs: list[str], fmt: _Formats, *, start_row: int = 0) -> int:
    ws.set_column(0, 0, 120)
    ws.write_string(start_row, 0, neutralise(title), fmt.heading)
    row = start_row + 1
    for text in paragraphs:
        ws.write_string(row, 0, neutralise(text), fmt.wrap)
        row += 1
    return row + 1


def _sheet_name(title: str) -> str:
    # Excel limits sheet names to 31 characters and forbids []:*?/\
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]


def _table_sheet(wb, name: str, table: Table, texts: Texts, fmt: _Formats, notes=()) -> None:
    ws = wb.add_worksheet(_sheet_name(name))
    write_table(ws, table, texts, fmt, notes=notes)
    ws.set_row(0, 45)


def _tables_sheet(wb, name: str, tables: list[Table], texts: Texts, fmt: _Formats) -> None:
    """Several tables on one sheet, each under its title; every table gets an autofilter
    by being written as an Excel table object."""
    ws = wb.add_worksheet(_sheet_name(name))
    row = 0
    for table in tables:
        ws.write_string(row, 0, neutralise(table.title), fmt.heading)
        start = row + 1
        row = write_table(ws, table, texts, fmt, start_row=start)
        if table.columns and len(table.frame):
            heads = _unique([c.header for c in table.columns])
            ws.add_table(
                start,
                0,
                start + len(table.frame),
                len(table.columns) - 1,
                {
                    "columns": [{"header": h} for h in heads],
                    "style": "Table Style Light 1",
                    "autofilter": True,
                },
            )
    _print_setup(ws)


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


def write_excel(pub: Published, texts: Texts, path: Path) -> Path:
    """Write the workbook of one language to ``path`` (e.g. ``es/diagnostico.xlsx``).

    Every table has its header frozen, an autofilter, wrapped long text and an A4 landscape
    one-page-wide print setup; gaps of proportions are in percentage points; the technical
    columns of the ranking (criteria, normalised values, contributions) have their own sheet.
    """
    from gender_diag.report import summary as sm
    from gender_diag.report.sections import extra_sections

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

    _changes_sheet(wb, pub, t, fmt)  # "What changed" first, when rounds are compared
    ws = wb.add_worksheet(_sheet_name(t["sheets.summary"]))
    ws.write_string(0, 0, t["report.title"], fmt.title)
    ws.write_string(1, 0, neutralise(t.get("report.subtitle", name=pub.name)))
    who = ", ".join(x for x in (pub.organisation, pub.survey, pub.fieldwork) if x)
    ws.write_string(
        2, 0, neutralise(who or t.get("report.generated", version=pub.version, date=pub.date))
    )
    messages = [m["text"] for m in sm.key_messages(pub, t)]
    row = _paragraphs(ws, t["sections.exec_summary"], messages, fmt, start_row=4)
    found = sm.citation_cards(pub, t)
    cards = [c["sentence"] for c in found]
    if cards:
        cards.append(found[0]["source"])
    row = _paragraphs(ws, t["sections.citations"], cards, fmt, start_row=row)
    _paragraphs(ws, t["sections.sdc"], notes, fmt, start_row=row)
    _print_setup(ws)

    _table_sheet(wb, t["sheets.priorities"], sm.priorities_table(pub, t, limit=None), t, fmt)
    _table_sheet(wb, t["sheets.indicators"], layout.indicators_table(pub, t), t, fmt, notes[:2])
    _table_sheet(wb, t["sheets.gaps"], layout.gaps_table(pub, t), t, fmt, notes[:2])
    _table_sheet(
        wb, t["sheets.disaggregations"], layout.disaggregations_table(pub, t), t, fmt, notes[:2]
    )
    _tables_sheet(wb, t["sheets.indices"], sm.index_tables(pub, t), t, fmt)
    _table_sheet(
        wb, t["sheets.ranking"], layout.ranking_table(pub, t, criteria=False), t, fmt, notes[:1]
    )
    _table_sheet(wb, t["sheets.technical"], layout.technical_table(pub, t), t, fmt)
    _table_sheet(wb, t["sheets.direct"], sm.actions_by_action(pub, t, "direct"), t, fmt)
    _table_sheet(wb, t["sheets.indirect"], sm.actions_by_action(pub, t, "indirect"), t, fmt)
    for extra in extra_sections(pub, t):
        if extra.tables and extra.sheet != "":
            _tables_sheet(wb, extra.sheet or extra.title, extra.tables, t, fmt)

    _tables_sheet(
        wb,
        t["sheets.quality"],
        [layout.accounting_table(pub, t), layout.issues_table(pub, t)],
        t,
        fmt,
    )

    ws = wb.add_worksheet(_sheet_name(t["sheets.methods"]))
    row = _paragraphs(ws, t["sections.methods"], layout.methods_paragraphs(pub, t), fmt)
    row = _paragraphs(ws, t["sections.sdc"], notes, fmt, start_row=row)
    terms = [f"{a}: {m}" for a, m in sm.glossary(t)]
    _paragraphs(ws, t["sections.glossary"], terms, fmt, start_row=row)
    _print_setup(ws)

    _table_sheet(wb, t["sheets.provenance"], layout.provenance_table(pub, t), t, fmt)

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


def _changes_sheet(wb, pub: Published, texts: Texts, fmt: _Formats) -> None:
    """Add the "What changed" sheet: the sentences, then every change with its interval."""
    from gender_diag.report.changes import change_sentences, changes_table, has_changes, intro

    if not has_changes(pub):
        return
    t = texts
    ws = wb.add_worksheet(_sheet_name(t["changes.sheet"]))
    row = _paragraphs(ws, t["changes.title"], [intro(pub, t), *change_sentences(pub, t)], fmt)
    write_table(ws, changes_table(pub, t), t, fmt, start_row=row, notes=changes_table(pub, t).notes)


# Public names of the helpers other workbooks reuse (the census workbook,
# gender_diag.report.census_report), so that every workbook looks the same.
Formats = _Formats
paragraphs_block = _paragraphs
print_setup = _print_setup
sheet_name = _sheet_name
table_sheet = _table_sheet
