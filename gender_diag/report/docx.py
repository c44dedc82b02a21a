"""Word policy brief for advocates, one per language (python-docx).

Two A4 pages: title, a key-asks box, the headline figures as citation-ready sentences, one
chart (women vs men on the priorities), the policy proposals with their evidence, what the
project does, and a plain-language methods box with the source. No software version or hash:
advocates cite the organisation, the survey and its fieldwork. Core properties
(created, modified) are set from the provenance date and the zip entries normalised, so the
same input gives the same document.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pandas as pd
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from gender_diag.report.charts import render_chart
from gender_diag.report.i18n import Texts
from gender_diag.report.reproducible import fixed_datetime, normalise_zip
from gender_diag.report.tables import Published, label_map

#: At most this many rows and items, so that the brief stays within two A4 pages.
MAX_PROPOSALS = 4
MAX_ASKS = 4
MAX_FIGURES = 4
MAX_DIRECT = 4


def _shade(cell, colour: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour)
    props.append(shd)


def _pick(frame: pd.DataFrame, key: str, lang: str) -> pd.Series:
    for cand in (f"{key}_{lang}", key):
        if cand in frame.columns:
            return frame[cand].fillna("").astype(str)
    return pd.Series("", index=frame.index)


def proposals(pub: Published, texts: Texts) -> pd.DataFrame:
    """The distinct policy proposals in rank order: indicator label, authority, instrument,
    proposal (published rows only)."""
    ind = pub.indirect
    if ind.empty:
        return pd.DataFrame(columns=["label", "authority", "instrument", "proposal"])
    ind = ind.sort_values("rank", kind="mergesort")
    out = pd.DataFrame(
        {
            "label": ind["indicator"].map(label_map(pub, texts.lang)).to_numpy(),
            "authority": _pick(ind, "authority", texts.lang).to_numpy(),
            "instrument": _pick(ind, "instrument", texts.lang).to_numpy(),
            "proposal": _pick(ind, "proposal", texts.lang).to_numpy(),
        }
    )
    if (out["proposal"] == "").all():
        out["proposal"] = _pick(ind, "sentence", texts.lang).to_numpy()
    return out.drop_duplicates().head(MAX_PROPOSALS).reset_index(drop=True)


def _repeat_header(row) -> None:
    """Mark a table row as a header repeated on every page."""
    props = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    props.append(el)


def _keep_row(row) -> None:
    """Forbid a table row from splitting across pages."""
    props = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    props.append(el)


def _small(paragraph, size: float = 9.0) -> None:
    for run in paragraph.runs:
        run.font.size = Pt(size)


def _space(paragraph, before: float = 0, after: float = 3) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)


def build_brief(
    pub: Published, texts: Texts, *, chart_png: bytes | None = None
) -> docx.document.Document:
    """Build the policy brief in memory (see :func:`write_brief`).

    Two A4 pages: title and source; a key-asks box (the policy proposals, by action); the
    headline figures (citation sentences with 95 % CI and n, reliable estimates only); one
    chart of the priorities; the policy table with its evidence; what the project itself
    does; plain-language methods and the source. Table rows never split across pages and
    headers repeat.
    """
    from gender_diag.report import summary as sm

    t = texts
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(3)
    for name in ("Heading 1", "Title"):
        doc.styles[name].paragraph_format.space_before = Pt(6)
        doc.styles[name].paragraph_format.space_after = Pt(3)
    doc.styles["Heading 1"].font.size = Pt(12.5)
    doc.styles["Title"].font.size = Pt(20)

    doc.add_heading(t["report.brief_title"], level=0)
    who = ", ".join(x for x in (pub.organisation, pub.survey or pub.name, pub.fieldwork) if x)
    sub = doc.add_paragraph(who)
    sub.runs[0].italic = True
    doc.add_paragraph(t.get("report.brief_intro", name=pub.survey or pub.name))

    from gender_diag.report.changes import docx_section

    docx_section(doc, pub, t)  # "What changed" first, when rounds are compared
    # key asks: the distinct policy proposals, first priorities first
    policy = sm.actions_by_action(pub, t, "indirect").frame
    asks = policy.head(MAX_ASKS) if len(policy) else policy
    box = doc.add_table(rows=1, cols=1)
    box.style = "Table Grid"
    cell = box.rows[0].cells[0]
    _shade(cell, "F1E8F5")
    head = cell.paragraphs[0]
    head.add_run(t["sections.key_asks"]).bold = True
    for r in asks.to_dict("records"):
        par = cell.add_paragraph(style="List Bullet")
        par.add_run(r["action"]).bold = False
        if r.get("who"):
            par.add_run(f" — {r['who']}").italic = True
        _small(par, 9.5)
        _space(par, after=1)
    if asks.empty:
        cell.add_paragraph(t["report.none"])

    doc.add_heading(t["sections.headline"], level=1)
    cards = [c for c in sm.citation_cards(pub, t, limit=MAX_FIGURES) if c["cited"]]
    for c in cards:
        par = doc.add_paragraph(c["sentence"], style="List Bullet")
        _small(par, 9.5)
        _space(par, after=1)
    if cards:
        src = doc.add_paragraph(cards[0]["source"])
        _small(src, 8.5)
        src.runs[0].italic = True
    else:
        doc.add_paragraph(t["report.none"])

    if chart_png is None:
        drawn = render_chart("brief", pub, t)
        chart_png = None if drawn is None else drawn[0]
    if chart_png is not None:
        doc.add_picture(io.BytesIO(chart_png), width=Cm(13.5))
        cap = doc.add_paragraph(f"{t['charts.brief_title']}. {t['charts.hollow']}")
        _small(cap, 8)
        cap.runs[0].italic = True

    doc.add_heading(t["sections.indirect"], level=1)
    rows = policy.head(MAX_PROPOSALS)
    if rows.empty:
        doc.add_paragraph(t["report.none"])
    else:
        keys = ("action", "who", "budget", "evidence")
        heads = ("proposal", "who", "budget", "evidence")
        table = doc.add_table(rows=1, cols=len(keys))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = (Cm(5.6), Cm(3.6), Cm(3.4), Cm(4.8))
        _repeat_header(table.rows[0])
        for cell, key, width in zip(table.rows[0].cells, heads, widths, strict=True):
            cell.text = t[f"columns.{key}"]
            cell.width = width
            cell.paragraphs[0].runs[0].bold = True
            _small(cell.paragraphs[0], 8.5)
            _shade(cell, "F1E8F5")
        for r in rows.to_dict("records"):
            new = table.add_row()
            _keep_row(new)
            for cell, key, width in zip(new.cells, keys, widths, strict=True):
                cell.text = (
                    _first_sentence(str(r.get(key) or ""))
                    if key == "evidence"
                    else str(r.get(key) or "")
                )
                cell.width = width
                _small(cell.paragraphs[0], 8)
                _space(cell.paragraphs[0], after=0)

    direct = sm.actions_by_action(pub, t, "direct").frame
    if len(direct):
        doc.add_heading(t["sections.direct"], level=1)
        for r in direct.head(MAX_DIRECT).to_dict("records"):
            par = doc.add_paragraph(r["action"], style="List Bullet")
            _small(par, 9)
            _space(par, after=1)

    box = doc.add_table(rows=1, cols=1)
    box.style = "Table Grid"
    cell = box.rows[0].cells[0]
    _shade(cell, "F5F5F5")
    cell.paragraphs[0].add_run(t["sections.methods_box"]).bold = True
    par = cell.add_paragraph(
        t.get("brief.methods", threshold=pub.threshold, sensitive_threshold=pub.sensitive_threshold)
    )
    _small(par, 8.5)

    set_properties(doc, title=t["report.brief_title"], lang=t.lang, date=pub.date)
    return doc


def set_properties(doc, *, title: str, lang: str, date) -> None:
    """Document properties that do not change between runs of the same data: the fixed
    date (:func:`~gender_diag.report.reproducible.fixed_datetime`), author, title, language."""
    when = fixed_datetime(date)
    core = doc.core_properties
    core.created = core.modified = core.last_printed = when
    core.author = core.last_modified_by = "gender_diag"
    core.title = title
    core.language = lang
    core.revision = 1


def _first_sentence(text: str) -> str:
    """The first evidence sentence of an action (the table cell stays short)."""
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def write_brief(
    pub: Published, texts: Texts, path: Path, *, chart_png: bytes | None = None
) -> Path:
    """Write the policy brief of one language (e.g. ``es/resumen_politicas.docx``).

    ``chart_png``: the brief chart already drawn in this language (the report's), else it
    is drawn here.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_brief(pub, texts, chart_png=chart_png).save(str(path))
    normalise_zip(path, fixed_datetime(pub.date))
    return path


# Public names of the helpers other Word documents reuse (the census brief,
# gender_diag.report.census_report).
shade = _shade
small = _small
repeat_header = _repeat_header
