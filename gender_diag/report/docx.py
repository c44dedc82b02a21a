"""Word policy brief for advocates, one per language (python-docx).

Two to four pages: title, the key findings as citation-ready sentences, one chart (women vs men
for the top-ranked indicators), the policy proposals (indirect actions: competent authority,
policy instrument, proposal), a short methods box and a provenance line. Core properties
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
from docx.shared import Cm, Pt, RGBColor

from gender_diag.report import layout
from gender_diag.report.charts import render_chart
from gender_diag.report.i18n import Texts
from gender_diag.report.reproducible import fixed_datetime, normalise_zip
from gender_diag.report.tables import Published, label_map

#: At most this many proposals, so that the brief stays within four pages.
MAX_PROPOSALS = 6


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


def build_brief(pub: Published, texts: Texts) -> docx.document.Document:
    """Build the policy brief in memory (see :func:`write_brief`)."""
    t = texts
    doc = docx.Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)

    doc.add_heading(t["report.brief_title"], level=0)
    sub = doc.add_paragraph(t.get("report.subtitle", name=pub.name))
    sub.runs[0].italic = True
    doc.add_paragraph(t.get("report.brief_intro", name=pub.name))

    from gender_diag.report.changes import docx_section

    docx_section(doc, pub, t)  # "What changed" first, when rounds are compared
    doc.add_heading(t["sections.findings"], level=1)
    findings = layout.finding_sentences(pub, t)
    for sentence in findings or [t["report.none"]]:
        doc.add_paragraph(sentence, style="List Number")

    drawn = render_chart("brief", pub, t)
    if drawn is not None:
        doc.add_picture(io.BytesIO(drawn[0]), width=Cm(15.5))
        cap = doc.add_paragraph(f"{t['charts.dumbbell_title']}. {t['charts.hollow']}")
        cap.runs[0].italic = True
        cap.runs[0].font.size = Pt(9)

    doc.add_heading(t["sections.indirect"], level=1)
    props = proposals(pub, t)
    if props.empty:
        doc.add_paragraph(t["report.none"])
    else:
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        headers = ("label", "authority", "instrument", "proposal")
        for cell, key in zip(table.rows[0].cells, headers, strict=True):
            cell.text = t[f"columns.{key}"]
            cell.paragraphs[0].runs[0].bold = True
            _shade(cell, "F1E8F5")
        for row in props.itertuples(index=False):
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = str(value)
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(9.5)

    doc.add_paragraph()
    box = doc.add_table(rows=1, cols=1)
    box.style = "Table Grid"
    cell = box.rows[0].cells[0]
    _shade(cell, "F5F5F5")
    head = cell.paragraphs[0]
    head.add_run(t["sections.methods_box"]).bold = True
    methods = layout.methods_paragraphs(pub, t)
    for text in (methods[0], methods[2], methods[5]):  # design, gaps, disclosure control
        par = cell.add_paragraph(text)
        for run in par.runs:
            run.font.size = Pt(9)

    line = doc.add_paragraph(
        t.get(
            "sentences.provenance_line",
            name=pub.name,
            config_sha=pub.config_sha,
            version=pub.version,
            date=pub.date,
        )
    )
    line.runs[0].font.size = Pt(8)
    line.runs[0].font.color.rgb = RGBColor(0x66, 0x66, 0x66)

    when = fixed_datetime(pub.date)
    core = doc.core_properties
    core.created = core.modified = core.last_printed = when
    core.author = core.last_modified_by = "gender_diag"
    core.title = t["report.brief_title"]
    core.language = t.lang
    core.revision = 1
    return doc


def write_brief(pub: Published, texts: Texts, path: Path) -> Path:
    """Write the policy brief of one language (e.g. ``es/resumen_politicas.docx``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_brief(pub, texts).save(str(path))
    normalise_zip(path, fixed_datetime(pub.date))
    return path
