"""Self-contained HTML report, one file per language (jinja2 with autoescaping).

The file needs nothing else: CSS is inline, charts are inline SVG (text kept as text, ids
salted per chart), there is no font, image or link to fetch; the only script is the inline
workshop script (:mod:`gender_diag.report.workshop`), which fetches nothing. Every value is
escaped by jinja2 except the SVG produced by matplotlib (which escapes its own text). The long
gap and disaggregation tables go to a separate annex file. Numbers are
formatted for the language (decimal comma in es and fr). The output depends only on the input,
so two runs give identical bytes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
from markupsafe import Markup, escape

from gender_diag.report import layout
from gender_diag.report.i18n import Texts
from gender_diag.report.layout import Table, format_cells
from gender_diag.report.tables import Published

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\b(id)="([^"]+)"')
_HREF = re.compile(r'((?:xlink:)?href)="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


@dataclass
class HtmlTable:
    """A table ready for the template: ``rows`` hold each row's cells as escaped markup."""

    name: str
    title: str
    headers: list[str]
    rows: list[Markup]


@dataclass
class Section:
    id: str
    title: str
    table: HtmlTable | None = None
    tables: list[HtmlTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _escaped(values: list[str]) -> list[str]:
    """HTML-escape a column, each distinct text once (labels and groups repeat down a column)."""
    done = {v: str(escape(v)) for v in set(values)}
    return [done[v] for v in values]


def html_table(table: Table, texts: Texts, *, suppressed_title: str = "") -> HtmlTable:
    """Format a layout table into escaped ``<td>`` cells (suppressed values shown as the
    mark), column by column: one formatting pass and one escape per distinct text."""
    frame = table.frame.reset_index(drop=True)
    n = len(frame)
    mark = texts["values.suppressed_mark"]
    unreliable = texts["values.unreliable"]
    units = frame["scale"].tolist() if "scale" in frame.columns else [None] * n
    sup = f'<td class="sup"{_title_attr(suppressed_title)}>{escape(mark)}</td>'
    columns = []
    for col in table.columns:
        flags = (
            frame[col.flag].fillna(False).astype(bool).to_numpy()
            if col.flag and col.flag in frame.columns
            else np.zeros(n, dtype=bool)
        )
        cls = "" if col.kind == "text" else "num"
        if col.kind == "vtext":
            cls = "num nowrap"
        text = format_cells(frame[col.key], col.kind, units, texts)
        html = _escaped(text)
        # the column's class on every cell, then the few exceptions fixed one by one
        start = f'<td class="{cls}">' if cls else "<td>"
        cells = [f"{start}{h}</td>" for h in html]
        words = np.asarray(text, dtype=object)
        odd = words == unreliable
        if col.kind == "vtext":
            odd |= np.fromiter((len(w) > 14 for w in text), dtype=bool, count=n)
        for i in np.flatnonzero(odd & ~flags).tolist():
            c = cls + (" unreliable" if text[i] == unreliable else "")
            if col.kind == "vtext" and len(text[i]) > 14:
                c += " wrap"
            c = c.strip()
            cells[i] = f'<td class="{escape(c)}">{html[i]}</td>' if c else f"<td>{html[i]}</td>"
        for i in np.flatnonzero(flags).tolist():
            cells[i] = sup
        columns.append(cells)
    rows = [Markup("".join(r)) for r in zip(*columns, strict=True)] if columns else []
    return HtmlTable(table.name, table.title, [c.header for c in table.columns], rows)


def _title_attr(title: str) -> str:
    return f' title="{escape(title)}"' if title else ""


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


@functools.cache
def _env() -> jinja2.Environment:
    """The report template environment, one per process (templates compiled once)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _chart_item(name: str, info: dict[str, object], texts: Texts) -> dict[str, object]:
    return {
        "name": name,
        "title": info["title"],
        "caption": info.get("caption", ""),
        "alt": texts.get("notes.chart_alt", title=info["title"]),
        "svg": inline_svg(str(info["svg_text"]), label=str(info["title"]), prefix=name),
    }


def _header(pub: Published, texts: Texts) -> dict[str, str]:
    t = texts
    who = ", ".join(x for x in (pub.organisation, pub.survey, pub.fieldwork) if x)
    return {
        "title": t["report.title"],
        "subtitle": t.get("report.subtitle", name=pub.name),
        "meta": who,
        "generated": t.get("report.generated", version=pub.version, date=pub.date),
    }


def render_html(
    pub: Published,
    texts: Texts,
    charts: dict[str, dict[str, object]],
    *,
    annex_file: str = "",
) -> str:
    """Render the main report of one language: a summary first, then the evidence.

    Order: executive summary (key messages, one chart); the priorities (one per concept);
    figures to cite; direct and indirect actions by action; registered optional sections
    (:mod:`gender_diag.report.sections`); the workshop page; indicators by sex at the total
    and district levels; charts; empowerment indices; methods, data quality, disclosure
    control, acronyms and provenance. The full gap and disaggregation tables are in the annex.
    """
    from gender_diag.report import summary as sm
    from gender_diag.report.sections import extra_sections
    from gender_diag.report.workshop import workshop_data, workshop_json, workshop_script

    t = texts
    notes = layout.sdc_notes(pub, t)
    sup_title = notes[0]

    def ht(table: Table) -> HtmlTable:
        return html_table(table, t, suppressed_title=sup_title)

    prio = sm.priorities_table(pub, t)
    blocks: list[dict[str, object]] = []

    def add(id_: str, title: str, kind: str, **kw: object) -> None:
        blocks.append({"id": id_, "title": title, "kind": kind, **kw})

    changes = changes_section(pub, t, charts)
    if changes:  # "What changed" first, when rounds are compared (its own partial)
        add("changes", t["changes.title"], "raw", markup=Markup(changes))
    summary_chart = charts.get("brief") or charts.get("dumbbell")
    n_ind = int(pub.indicators["indicator"].nunique()) if len(pub.indicators) else 0
    add(
        "summary",
        t["sections.exec_summary"],
        "summary",
        intro=t.get("summary.intro", n=n_ind, name=pub.survey or pub.name),
        messages=sm.key_messages(pub, t),
        chart=_chart_item("summary", summary_chart, t) if summary_chart else None,
        more=t["summary.more"],
    )
    add(
        "priorities",
        t["sections.ranking"],
        "tables",
        tables=[ht(prio)],
        notes=[*prio.notes, t["notes.unreliable_marked"], t["notes.reliability"]],
    )
    add(
        "citations",
        t["sections.citations"],
        "cards",
        intro=t["citation.intro"],
        cards=sm.citation_cards(pub, t),
    )
    add(
        "direct",
        t["sections.direct"],
        "tables",
        tables=[ht(sm.actions_by_action(pub, t, "direct"))],
        notes=[],
    )
    add(
        "indirect",
        t["sections.indirect"],
        "tables",
        tables=[ht(sm.actions_by_action(pub, t, "indirect"))],
        notes=[],
    )
    data = workshop_data(pub, t)
    if data is not None:
        add(
            "workshop",
            t["sections.workshop"],
            "workshop",
            intro=t["workshop.intro"],
            howto=t["workshop.howto"],
            criteria=data["criteria"],
            data=workshop_json(data),
            script=workshop_script(),
            decimal="," if t.lang in ("es", "fr") else ".",
        )
    annex_note = [t.get("sections.annex_link", file=annex_file)] if annex_file else []
    add(
        "indicators",
        t["sections.indicators"],
        "tables",
        tables=[ht(sm.indicators_text_table(pub, t, by="total"))],
        notes=[*annex_note, notes[0], notes[3]],
    )
    if (pub.indicators["by"] == "district").any():
        add(
            "districts",
            t["sections.indicators_district"],
            "tables",
            tables=[ht(sm.indicators_text_table(pub, t, by="district"))],
            notes=[notes[0], notes[1]],
        )
    shown = [n for n in charts if n not in ("brief", "dumbbell", "changes")]
    if shown:
        add(
            "charts",
            t["sections.charts"],
            "charts",
            charts=[_chart_item(n, charts[n], t) for n in shown],
        )
    index_tables = sm.index_tables(pub, t)
    if index_tables:
        add(
            "indices",
            t["sections.indices"],
            "tables",
            tables=[ht(x) for x in index_tables],
            notes=[],
            captions=True,
        )
    add(
        "methods",
        t["sections.methods"],
        "methods",
        text=layout.methods_paragraphs(pub, t),
        sdc_title=t["sections.sdc"],
        sdc=notes,
    )
    add(
        "quality",
        t["sections.quality"],
        "tables",
        tables=[ht(layout.accounting_table(pub, t)), ht(layout.issues_table(pub, t))],
        notes=[],
        captions=True,
    )
    add("glossary", t["sections.glossary"], "glossary", terms=sm.glossary(t))
    add(
        "provenance",
        t["sections.provenance"],
        "tables",
        tables=[ht(layout.provenance_table(pub, t))],
        notes=[],
    )
    for extra in extra_sections(pub, t):
        pos = next((i for i, b in enumerate(blocks) if b["id"] == extra.after), len(blocks) - 1)
        # after the anchor and any extra section already placed after it
        while pos + 1 < len(blocks) and blocks[pos + 1].get("extra"):
            pos += 1
        blocks.insert(
            pos + 1,
            {
                "id": extra.id,
                "title": extra.title,
                "kind": "tables",
                "extra": True,
                "paragraphs": extra.paragraphs,
                "tables": [ht(x) for x in extra.tables],
                "notes": extra.notes,
                "captions": len(extra.tables) > 1,
                "charts": extra.charts,
            },
        )
    for b in blocks:
        b.setdefault("paragraphs", [])
        b.setdefault("notes", [])
        b.setdefault("captions", False)
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            lang=t.lang,
            t=t,
            version=pub.version,
            name=pub.name,
            head=_header(pub, t),
            blocks=blocks,
        )
    )


def render_annex(pub: Published, texts: Texts, *, report_file: str = "") -> str:
    """Render the annex: the full gap and disaggregation tables (long; print-ready)."""
    t = texts
    notes = layout.sdc_notes(pub, t)

    def ht(table: Table) -> HtmlTable:
        return html_table(table, t, suppressed_title=notes[0])

    blocks = [
        {
            "id": "gaps",
            "title": t["sections.gaps"],
            "kind": "tables",
            "tables": [ht(layout.gaps_table(pub, t))],
            "notes": notes[:1] + notes[4:5],
        },
        {
            "id": "disaggregations",
            "title": t["sections.disaggregations"],
            "kind": "tables",
            "tables": [ht(layout.disaggregations_table(pub, t))],
            "notes": notes[:3],
        },
    ]
    for b in blocks:
        b.update(paragraphs=[], captions=False)
    head = _header(pub, t)
    head["title"] = f"{t['sections.annex']}"
    return (
        _env()
        .get_template("report.html.j2")
        .render(lang=t.lang, t=t, version=pub.version, name=pub.name, head=head, blocks=blocks)
    )


def write_html(
    pub: Published, texts: Texts, charts: dict[str, dict[str, object]], path: Path
) -> Path:
    """Write the report of one language to ``path`` (e.g. ``es/informe.html``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    annex = path.with_name(texts["files.annex"])
    text = render_html(pub, texts, charts, annex_file=annex.name)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_annex(pub: Published, texts: Texts, path: Path) -> Path:
    """Write the annex of one language (e.g. ``es/anexo.html``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_annex(pub, texts), encoding="utf-8", newline="\n")
    return path


#: Public name of the report template environment (the census reports reuse the template).
template_env = _env

__all__ = [
    "html_table",
    "inline_svg",
    "render_annex",
    "render_html",
    "template_env",
    "write_annex",
    "write_html",
]


def changes_section(pub: Published, texts: Texts, charts: dict) -> str:
    """The "What changed" section as HTML (its own partial, ``templates/changes.html.j2``)."""
    from gender_diag.report.changes import change_sentences, has_changes, intro

    if not has_changes(pub):
        return ""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    chart = charts.get("changes")
    svg = None
    if chart is not None:
        svg = inline_svg(str(chart["svg_text"]), label=str(chart["title"]), prefix="changes")
    skipped = pub.extra.get("changes_not_comparable", ())
    return env.get_template("changes.html.j2").render(
        t=texts,
        intro=intro(pub, texts),
        sentences=change_sentences(pub, texts),
        chart=svg,
        chart_title=chart["title"] if chart else "",
        not_comparable=texts.get("changes.not_comparable", n=len(skipped)) if len(skipped) else "",
    )
