"""Optional report sections: a small registry other modules plug into.

A builder takes the published tables and the texts of one language and returns a
:class:`ReportSection` (or ``None`` when it has nothing to show). The HTML report renders each
section after the section named in ``after`` (an id of the main report: ``summary``,
``priorities``, ``citations``, ``direct``, ``indirect``, ``workshop``, ``indicators``,
``districts``, ``charts``, ``indices``, ``methods``); the Excel workbook writes each section
with tables as its own sheet. Register a builder once, at import time::

    from gender_diag.report.sections import ReportSection, register

    @register
    def what_changed(pub, texts):
        if not len(pub.extra.get("changes", ())):
            return None
        return ReportSection("changes", texts["sections.changes"], after="priorities",
                             tables=[...], paragraphs=[...])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gender_diag.report.layout import Table


@dataclass
class ReportSection:
    """One optional section: a title, paragraphs, tables (layout tables) and notes."""

    id: str
    title: str
    after: str = "indirect"
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Excel sheet name (default: the title); ``""`` keeps the section out of the workbook.
    sheet: str | None = None
    #: Charts shown after the tables in the HTML report: dicts with ``name``, ``title``,
    #: ``caption``, ``alt`` and ``svg`` (inline markup, see :func:`gender_diag.report.html.inline_svg`).
    charts: list[dict[str, Any]] = field(default_factory=list)


Builder = Callable[[Any, Any], "ReportSection | None"]
#: Registered builders, in registration order.
BUILDERS: list[Builder] = []


def register(builder: Builder) -> Builder:
    """Add a section builder (usable as a decorator); registering twice is a no-op."""
    if builder not in BUILDERS:
        BUILDERS.append(builder)
    return builder


def extra_sections(pub: Any, texts: Any) -> list[ReportSection]:
    """The sections every registered builder returns for this report, in order."""
    out = []
    for build in BUILDERS:
        section = build(pub, texts)
        if section is not None:
            out.append(section)
    return out


__all__ = ["BUILDERS", "ReportSection", "extra_sections", "register"]
