"""Self-contained HTML report, one file per language (jinja2 with autoescaping).

The file needs nothing else: CSS is inline, charts are inline SVG (text kept as text, ids
salted per chart), there is no script, font, image or link to fetch. Every value is escaped by
jinja2 except the SVG produced by matplotlib (which escapes its own text). Numbers are
formatted for the language (decimal comma in es and fr). The output depends only on the input,
so two runs give identical bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from gender_diag.report import layout
from gender_diag.report.i18n import Texts
from gender_diag.report.layout import Table, format_cell
from gender_diag.report.tables import Published

#: Rows of the ranking shown in the HTML report (the workbook and CSV have all of them).
RANKING_ROWS = 50
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\b(id)="([^"]+)"')
_HREF = re.compile(r'((?:xlink:)?href)="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


@dataclass
class Cell:
    text: str
    cls: str = ""
    title: str = ""


@dataclass
class HtmlTable:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]


@dataclass
class Section:
    id: str
    title: str
    table: HtmlTable | None = None
    tables: list[HtmlTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def html_table(table: Table, texts: Texts, *, suppressed_title: str = "") -> HtmlTable:
    """Format a layout table into strings (suppressed values shown as the mark)."""
    frame = table.frame.reset_index(drop=True)
    mark = texts["values.suppressed_mark"]
    units = frame["scale"].tolist() if "scale" in frame.columns else [None] * len(frame)
    columns = []
    for col in table.columns:
        flags = (
            frame[col.flag].fillna(False).astype(bool).tolist()
            if col.flag and col.flag in frame.columns
            else [False] * len(frame)
        )
        cls = "" if col.kind == "text" else "num"
        cells = []
        for value, flag, unit in zip(frame[col.key].tolist(), flags, units, strict=True):
            if flag:
                cells.append(Cell(mark, "sup", suppressed_title))
                continue
            text = format_cell(value, col.kind, unit, texts)
            extra = " unreliable" if text == texts["values.unreliable"] else ""
            cells.append(Cell(text, (cls + extra).strip()))
        columns.append(cells)
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return HtmlTable(table.name, table.title, [c.header for c in table.columns], rows)


def inline_svg(svg: str, *, label: str, prefix: str = "") -> Markup:
    """Prepare a matplotlib SVG for inlining in HTML.

    Strips the XML prolog, DOCTYPE and metadata, prefixes every element id (matplotlib numbers
    them ``figure_1``, ``axes_1``, … in every file, which would clash between charts on one
    page) and its references, and labels the SVG for screen readers.

    >>> str(inline_svg('<?xml version="1.0"?><svg x="1"><g id="a"/><use href="#a"/></svg>',
    ...                label="t", prefix="c"))
    '<svg role="img" aria-label="t" x="1"><g id="c-a"/><use href="#c-a"/></svg>'
    """
    body = _PROLOG.sub("", svg, count=1)
    body = _METADATA.sub("", body, count=1)
    if prefix:
        body = _ID.sub(lambda m: f'{m.group(1)}="{prefix}-{m.group(2)}"', body)
        body = _HREF.sub(lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', body)
        body = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", body)
    body = body.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" ', 1)
    # trusted markup: matplotlib escapes the text it writes into the SVG
    return Markup(body)


def _attr(text: str) -> str:
    return str(Markup.escape(text))


def render_html(pub: Published, texts: Texts, charts: dict[str, dict[str, object]]) -> str:
    """Render the report of one language to a string."""
    t = texts
    notes = layout.sdc_notes(pub, t)
    sup_title = notes[0]

    def ht(table: Table) -> HtmlTable:
        return html_table(table, t, suppressed_title=sup_title)

    ranking = layout.ranking_table(pub, t, criteria=False, limit=RANKING_ROWS)
    sections = [
        Section("findings", t["sections.findings"]),
        Section("charts", t["sections.charts"]),
        Section(
            "indicators",
            t["sections.indicators"],
            ht(layout.indicators_table(pub, t)),
            notes=notes[:5],
        ),
        Section("gaps", t["sections.gaps"], ht(layout.gaps_table(pub, t)), notes=notes[:1]),
        Section(
            "disaggregations",
            t["sections.disaggregations"],
            ht(layout.disaggregations_table(pub, t)),
            notes=notes[:3],
        ),
        Section(
            "indices",
            t["sections.indices"],
            tables=[ht(x) for x in layout.indices_tables(pub, t)],
        ),
        Section("ranking", t["sections.ranking"], ht(ranking), notes=[*ranking.notes, notes[0]]),
        Section("direct", t["sections.direct"], ht(layout.direct_table(pub, t))),
        Section("indirect", t["sections.indirect"], ht(layout.indirect_table(pub, t))),
        Section(
            "quality",
            t["sections.quality"],
            tables=[ht(layout.accounting_table(pub, t)), ht(layout.issues_table(pub, t))],
        ),
        Section("methods", t["sections.methods"]),
        Section("provenance", t["sections.provenance"]),
    ]
    chart_items = [
        {
            "name": name,
            "title": info["title"],
            "alt": t.get("notes.chart_alt", title=info["title"]),
            "svg": inline_svg(str(info["svg_text"]), label=str(info["title"]), prefix=name),
        }
        for name, info in charts.items()
        if name != "changes"  # drawn inside the "What changed" section
    ]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    from gender_diag.report.changes import html_section

    return template.render(
        changes=Markup(html_section(pub, t, charts)),
        lang=t.lang,
        t=t,
        version=pub.version,
        name=pub.name,
        title=t["report.title"],
        subtitle=t.get("report.subtitle", name=pub.name),
        generated=t.get("report.generated", version=pub.version, date=pub.date),
        sections=sections,
        findings=layout.finding_sentences(pub, t),
        charts=chart_items,
        methods=layout.methods_paragraphs(pub, t),
        notes=notes,
        provenance=ht(layout.provenance_table(pub, t)),
    )


def write_html(
    pub: Published, texts: Texts, charts: dict[str, dict[str, object]], path: Path
) -> Path:
    """Write the report of one language to ``path`` (e.g. ``es/informe.html``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(pub, texts, charts), encoding="utf-8", newline="\n")
    return path


__all__ = ["html_table", "inline_svg", "render_html", "write_html"]
