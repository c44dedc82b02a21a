"""The reports of a census diagnostic (``[input] format = "census"``), one set per language.

Built from a :class:`~gender_diag.report.district.DistrictView` with the survey reports'
writers, template, texts and chart style, so the two read alike::

    out_dir/district_ranking.csv           every district (language-independent)
    out_dir/gaps.csv, indicators.csv       published figures (suppressed cells blank)
    out_dir/charts/<lang>/district.png|svg the district's place among all districts
    out_dir/<lang>/<report>.html           summary first, then ranking, chart, comparison
    out_dir/<lang>/<annex>.html            all districts ranked
    out_dir/<lang>/<workbook>.xlsx         summary, all districts, comparison, country
    out_dir/<lang>/<brief>.docx            one-page brief: summary, chart, comparison

File names per language come from ``district.file_*`` in the i18n YAML files.
"""

from __future__ import annotations

import io
from pathlib import Path

from gender_diag.report.district import (
    DistrictView,
    chart_blocks,
    comparison_table,
    main_rows,
    ranking_table,
    render_position,
    summary_sentences,
)
from gender_diag.report.i18n import LANGUAGES, Texts, load_texts
from gender_diag.version import __version__


def _file(texts: Texts, key: str) -> str:
    """A file name from the texts, refused unless it is a plain name (no folder, no ``..``)."""
    from gender_diag.safe_output import safe_name

    return safe_name(
        texts[f"district.{key}"], what=f"report text district.{key} ({texts.lang}.yaml)"
    )


def _head(view: DistrictView, texts: Texts, date: str, *, title: str) -> dict[str, str]:
    return {
        "title": title,
        "subtitle": texts.get("district.subtitle", name=view.name),
        "meta": "",
        "generated": texts.get("report.generated", version=__version__, date=date[:10]),
    }


def _render(view: DistrictView, texts: Texts, blocks: list[dict], head: dict) -> str:
    from gender_diag.report.html import template_env

    for b in blocks:
        b.setdefault("paragraphs", [])
        b.setdefault("notes", [])
        b.setdefault("captions", False)
    return (
        template_env()
        .get_template("report.html.j2")
        .render(
            lang=texts.lang, t=texts, version=__version__, name=view.name, head=head, blocks=blocks
        )  # fmt: skip
    )


def _sup_note(view: DistrictView, texts: Texts) -> str:
    return texts.get("notes.suppressed", threshold=view.threshold,
                     sensitive_threshold=view.threshold)  # fmt: skip


def render_report(view: DistrictView, texts: Texts, chart: dict | None, *, annex: str,
                  date: str) -> str:  # fmt: skip
    """The main census page: summary (with the chart), ranking, comparison, method."""
    from gender_diag.report.html import html_table

    t = texts
    sup = _sup_note(view, t)
    n = len(view.ranking)  # every district, ranked or not, is in the annex
    blocks: list[dict] = []
    charts = chart_blocks(chart, t)
    blocks.append(
        {
            "id": "summary",
            "title": t["district.summary"],
            "kind": "tables",
            "paragraphs": summary_sentences(view, t),
            "tables": [],
        }  # fmt: skip
    )
    if charts:
        blocks.append(
            {"id": "position", "title": t["district.title"], "kind": "charts", "charts": charts}
        )
    ranking = ranking_table(view, t, rows=main_rows(view))
    blocks.append(
        {
            "id": "ranking",
            "title": t["district.ranking"],
            "kind": "tables",
            "paragraphs": [t["district.ranking_intro"]],
            "tables": [html_table(ranking, t, suppressed_title=sup)],
            "notes": [t.get("district.ranking_annex", n=n, file=annex)],
        }
    )
    comp = comparison_table(view, t)
    blocks.append(
        {
            "id": "comparison",
            "title": comp.title,
            "kind": "tables",
            "tables": [html_table(comp, t, suppressed_title=sup)],
            "notes": [sup, t["notes.percent_points"]],
        }
    )
    blocks.append(
        {
            "id": "methods",
            "title": t["sections.methods"],
            "kind": "tables",
            "paragraphs": [view.method_text(t)],
            "tables": [],
        }
    )
    head = _head(view, t, date, title=t["district.report_title"])
    return _render(view, t, blocks, head)


def render_annex(view: DistrictView, texts: Texts, *, date: str) -> str:
    """Every district ranked (long; print-ready)."""
    from gender_diag.report.html import html_table

    t = texts
    n = len(view.ranking)  # every district, ranked or not, is in the annex
    table = ranking_table(view, t, title=t.get("district.ranking_all", n=n))
    blocks = [
        {
            "id": "ranking-all",
            "title": table.title,
            "kind": "tables",
            "tables": [html_table(table, t, suppressed_title=_sup_note(view, t))],
            "notes": [view.method_text(t)],
        }
    ]
    head = _head(view, t, date, title=t.get("district.annex_title", name=view.name))
    return _render(view, t, blocks, head)


def write_workbook(view: DistrictView, texts: Texts, path: Path, *, date: str) -> Path:
    """Excel workbook: summary, all districts, the district comparison, the country."""
    import xlsxwriter

    from gender_diag.report.excel import (
        Formats,
        paragraphs_block,
        print_setup,
        sheet_name,
        table_sheet,
    )
    from gender_diag.report.reproducible import fixed_datetime
    from gender_diag.safe_output import neutralise

    t = texts
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False, "nan_inf_to_errors": True}  # fmt: skip
    wb = xlsxwriter.Workbook(str(path), options)
    fmt = Formats(wb)
    ws = wb.add_worksheet(sheet_name(t["district.sheets.summary"]))
    ws.write_string(0, 0, neutralise(t["district.report_title"]), fmt.title)
    ws.write_string(1, 0, neutralise(t.get("district.subtitle", name=view.name)))
    row = paragraphs_block(ws, t["district.summary"], summary_sentences(view, t), fmt, start_row=3)
    paragraphs_block(ws, t["sections.methods"], [view.method_text(t)],
                fmt, start_row=row)  # fmt: skip
    print_setup(ws)
    sup = [_sup_note(view, t)]
    table_sheet(wb, t["district.sheets.ranking"], ranking_table(view, t), t, fmt, sup)
    comp = comparison_table(view, t)
    if view.chosen is not None:
        table_sheet(wb, t["district.sheets.comparison"], comp, t, fmt, sup)
    national = DistrictView(**{**view.__dict__, "district": None})
    table_sheet(wb, t["district.sheets.national"], comparison_table(national, t), t, fmt, sup)
    wb.set_properties({"title": t["district.report_title"], "author": "gender_diag",
                       "created": fixed_datetime(date)})  # fmt: skip
    wb.close()
    return path


def write_brief(view: DistrictView, texts: Texts, chart: dict | None, path: Path, *,
                date: str) -> Path:  # fmt: skip
    """Word brief: the summary, the chart, and the indicators by sex of the comparison."""
    import docx
    from docx.shared import Cm, Pt

    from gender_diag.report.docx import repeat_header, set_properties, shade, small
    from gender_diag.report.layout import format_cell
    from gender_diag.report.reproducible import fixed_datetime, normalise_zip

    t = texts
    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(1.8)
    sec.top_margin = sec.bottom_margin = Cm(1.5)
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(t["district.report_title"], level=0)
    doc.add_paragraph(t.get("district.subtitle", name=view.name)).runs[0].italic = True
    doc.add_heading(t["district.summary"], level=1)
    for sentence in summary_sentences(view, t):
        small(doc.add_paragraph(sentence, style="List Bullet"), 9.5)
    if chart is not None:
        doc.add_picture(io.BytesIO(chart["png_bytes"]), width=Cm(15))
        cap = doc.add_paragraph(f"{chart['title']}. {chart['caption']}")
        small(cap, 8)
    comp = comparison_table(view, t)
    doc.add_heading(comp.title, level=1)
    mark = t["values.suppressed_mark"]
    table = doc.add_table(rows=1, cols=len(comp.columns))
    table.style = "Table Grid"
    repeat_header(table.rows[0])
    for cell, col in zip(table.rows[0].cells, comp.columns, strict=True):
        cell.text = col.header
        cell.paragraphs[0].runs[0].bold = True
        small(cell.paragraphs[0], 8.5)
        shade(cell, "F1E8F5")
    for rec in comp.frame.to_dict("records"):
        cells = table.add_row().cells
        for cell, col in zip(cells, comp.columns, strict=True):
            flagged = bool(col.flag and rec.get(col.flag))
            cell.text = mark if flagged else format_cell(rec[col.key], col.kind, rec["scale"], t)
            small(cell.paragraphs[0], 8)
    note = doc.add_paragraph(view.method_text(t))
    small(note, 8)
    set_properties(doc, title=t["district.report_title"], lang=t.lang, date=date)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    normalise_zip(path, fixed_datetime(date))
    return path


def write_census_reports(view: DistrictView, out_dir: str | Path, *, languages=LANGUAGES,
                         date: str = "2000-01-01") -> list[Path]:  # fmt: skip
    """Write the CSV tables and every language's report, annex, workbook, brief and chart."""
    from gender_diag import safe_output

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [safe_output.write_csv(view.ranking, out / "district_ranking.csv")]
    written.append(safe_output.write_csv(view.gaps, out / "gaps.csv"))
    for lang in languages:
        t = load_texts(lang)
        chart = render_position(view, t)
        if chart is not None:
            folder = out / "charts" / lang
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "district.png").write_bytes(chart["png_bytes"])
            (folder / "district.svg").write_text(chart["svg_text"], encoding="utf-8", newline="\n")
            written += [folder / "district.png", folder / "district.svg"]
        folder = out / lang
        folder.mkdir(parents=True, exist_ok=True)
        annex = folder / _file(t, "file_annex")
        report = folder / _file(t, "file_report")
        report.write_text(render_report(view, t, chart, annex=annex.name, date=date),
                          encoding="utf-8", newline="\n")  # fmt: skip
        annex.write_text(render_annex(view, t, date=date), encoding="utf-8", newline="\n")
        written += [report, annex]
        written.append(write_workbook(view, t, folder / _file(t, "file_workbook"), date=date))
        written.append(write_brief(view, t, chart, folder / _file(t, "file_brief"), date=date))
    return [Path(p) for p in written]


__all__ = ["render_annex", "render_report", "write_brief", "write_census_reports", "write_workbook"]
