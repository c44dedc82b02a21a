""" "Your district among all districts": the census comparison, as report tables and a chart.

A :class:`DistrictView` holds the published (suppressed) gap table of a census at the
country, department and district levels, the district ranking of
:func:`gender_diag.engine.census.district_ranking` and, optionally, the district the reader
cares about. From it this module builds, in the language of a :class:`Texts`:

* summary sentences (:func:`summary_sentences`) — the country's and the department's largest
  gaps, where the chosen district stands (or the districts at both ends of the ranking);
* layout tables (:mod:`gender_diag.report.layout`) — the ranked districts (the ends and the
  chosen district's neighbourhood, or all of them for the annex and the workbook), the
  indicators by sex for the chosen district against its department and the country, and the
  country's indicators by sex;
* a chart (:func:`chart_position`) — every district's index sorted, the chosen one
  highlighted; drawn with the style and the deterministic SVG settings of
  :mod:`gender_diag.report.charts`.

The census reports (:mod:`gender_diag.report.census_report`) and the optional section of a
survey report (:func:`district_section`) are both built from these pieces, so the figures
are the same wherever they appear. Only aggregated, suppressed figures enter a view: cells
below the disclosure threshold are blank before the ranking is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gender_diag.report.i18n import Texts, format_number, format_percent
from gender_diag.report.layout import Column, Table

#: Rows at each end of the ranking and on each side of the chosen district in the main page.
ENDS = 10
NEIGHBOURS = 5


@dataclass
class DistrictView:
    """Everything a district comparison shows (published figures only)."""

    ranking: pd.DataFrame
    gaps: pd.DataFrame
    labels: pd.DataFrame
    district: str | None = None
    by: str = "district"
    parent: str | None = "department"
    persons: int = 0
    threshold: int = 5
    name: str = ""
    #: indicators a district needs to be ranked (the rule the method text states)
    min_indicators: int = 1
    #: codes → display names (optional)
    places: dict[str, str] = field(default_factory=dict)

    def method_text(self, texts: Texts) -> str:
        """The method paragraph: the index, the suppression threshold, the ranking rule."""
        return texts.get("district.method", threshold=self.threshold, need=self.min_indicators)

    @property
    def chosen(self) -> pd.Series | None:
        """The ranking row of the chosen district, or ``None`` (not set, or not found)."""
        if not self.district:
            return None
        hit = self.ranking.loc[self.ranking[self.by].astype(str) == str(self.district)]
        return None if hit.empty else hit.iloc[0]

    @property
    def department(self) -> str | None:
        """The chosen district's parent area (its code's prefix in the gap table)."""
        if self.chosen is None or not self.parent:
            return None
        parents = self.gaps.loc[self.gaps["by"] == self.parent, "by_value"].astype(str)
        code = str(self.district)
        match = sorted((p for p in parents.unique() if code.startswith(p)), key=len)
        return match[-1] if match else None


def build_view(
    gaps: pd.DataFrame,
    ranking: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    district: str | None = None,
    by: str = "district",
    parent: str | None = "department",
    persons: int = 0,
    threshold: int = 5,
    name: str = "",
) -> DistrictView:
    """Assemble a :class:`DistrictView` (codes compared as text)."""
    ranking = ranking.copy()
    ranking[by] = ranking[by].astype(str)
    n = int(ranking["local_gap_index"].notna().sum())
    # share of districts strictly further from parity (rank 1 → 0 %)
    ranking["further"] = (ranking["rank"].astype(float) - 1) / max(n, 1)
    if parent and (gaps["by"] == parent).any():
        codes = gaps.loc[gaps["by"] == parent, "by_value"].astype(str).unique()
        ranking[parent] = _parent_of(ranking[by], codes)
    else:
        parent = None
    return DistrictView(
        ranking=ranking,
        gaps=gaps,
        labels=labels,
        district=None if district in (None, "") else str(district),
        by=by,
        parent=parent,
        persons=int(persons),
        threshold=int(threshold),
        name=name,
        min_indicators=int(ranking.attrs.get("min_indicators", 1)),
    )


def _parent_of(children: pd.Series, parents) -> pd.Series:
    """Each child code's longest parent code that prefixes it (``""`` when none does)."""
    out = pd.Series("", index=children.index, dtype=object)
    for code in sorted(parents, key=len):  # longer prefixes overwrite shorter ones
        out[children.str.startswith(code)] = code
    return out


# -- small helpers ------------------------------------------------------------------------------


def _scale(frame: pd.DataFrame) -> pd.Series:
    kind = frame["type"].astype(str) if "type" in frame.columns else pd.Series("", frame.index)
    return pd.Series(np.where(kind == "proportion", "proportion", "number"), index=frame.index)


def _labels(view: DistrictView, lang: str) -> dict[str, str]:
    col = f"label_{lang}"
    return dict(
        zip(view.labels["indicator"].astype(str), view.labels[col].astype(str), strict=True)
    )


def _oriented(frame: pd.DataFrame) -> pd.Series:
    """Gap oriented so that positive = women worse off (whatever the direction)."""
    sign = np.where(frame["direction"].astype(str) == "higher_worse", 1.0, -1.0)
    return pd.Series(frame["gap"].to_numpy(dtype=float) * sign, index=frame.index)


def _value(value: object, scale: str, texts: Texts) -> str:
    if value is None or pd.isna(value):
        return "–"
    if scale == "proportion":
        return format_percent(float(value), texts.lang)
    return format_number(float(value), texts.lang, digits=2)


def _gap(value: object, scale: str, texts: Texts) -> str:
    if value is None or pd.isna(value):
        return "–"
    if scale == "proportion":
        return format_number(float(value) * 100, texts.lang, digits=1) + " pp"
    return format_number(float(value), texts.lang, digits=2)


def _level_rows(view: DistrictView, level: str, value: str | None) -> pd.DataFrame:
    g = view.gaps.loc[view.gaps["by"] == level]
    if level != "total":
        g = g.loc[g["by_value"].astype(str) == str(value)]
    return g


def _largest(view: DistrictView, rows: pd.DataFrame, texts: Texts, key: str, **extra) -> str:
    """One sentence on the largest oriented gap among ``rows`` ('' when none is published)."""
    rows = rows.dropna(subset=["gap"])
    if rows.empty:
        return ""
    best = rows.loc[_oriented(rows).idxmax()]
    scale = "proportion" if str(best.get("type", "")) == "proportion" else "number"
    return texts.get(
        key,
        label=_labels(view, texts.lang).get(str(best["indicator"]), str(best["indicator"])),
        women=_value(best["estimate_f"], scale, texts),
        men=_value(best["estimate_m"], scale, texts),
        gap=_gap(best["gap"], scale, texts),
        **extra,
    )


def _index(value: object, texts: Texts) -> str:
    return format_number(value, texts.lang, digits=3)


# -- sentences ------------------------------------------------------------------------------


def summary_sentences(view: DistrictView, texts: Texts, *, intro: bool = True) -> list[str]:
    """The summary, in order: context, country, department, the chosen district or both ends."""
    t = texts
    ranked = view.ranking.dropna(subset=["local_gap_index"])
    out = []
    if intro:
        out.append(
            t.get(
                "district.intro",
                persons=format_number(view.persons, t.lang, digits=0),
                n=format_number(len(view.ranking), t.lang, digits=0),
                k=format_number(view.labels["indicator"].nunique(), t.lang, digits=0),
            )
        )
        unranked = len(view.ranking) - len(ranked)
        if unranked:
            out.append(
                t.get(
                    "district.unranked",
                    m=format_number(unranked, t.lang, digits=0),
                    n=format_number(len(view.ranking), t.lang, digits=0),
                    need=format_number(view.min_indicators, t.lang, digits=0),
                )
            )
    out.append(_largest(view, _level_rows(view, "total", None), t, "district.national"))
    chosen = view.chosen
    if view.district and chosen is None:
        out.append(t.get("district.not_found", district=view.district))
    dep = view.department
    if dep is not None:
        out.append(
            _largest(
                view, _level_rows(view, view.parent, dep), t, "district.department", department=dep
            )  # fmt: skip
        )
    if chosen is not None and pd.isna(chosen["local_gap_index"]):
        out.append(
            t.get(
                "district.not_ranked",
                district=view.district,
                k=format_number(chosen["n_indicators"], t.lang, digits=0),
                need=format_number(view.min_indicators, t.lang, digits=0),
            )
        )
    if chosen is not None and pd.notna(chosen["local_gap_index"]):
        out.append(
            t.get(
                "district.chosen",
                district=view.district,
                rank=format_number(chosen["rank"], t.lang, digits=0),
                n=format_number(len(ranked), t.lang, digits=0),
                index=_index(chosen["local_gap_index"], t),
                median=_index(ranked["local_gap_index"].median(), t),
                share=format_percent(chosen["further"], t.lang, digits=0),
            )
        )
        # the indicator the ranking names (lowest oriented women/men ratio), for consistency
        rows = _level_rows(view, view.by, view.district)
        worst = rows.loc[rows["indicator"] == chosen["worst_indicator"]]
        out.append(_largest(view, worst if len(worst) else rows, t, "district.chosen_worst"))
    if len(ranked):
        out.append(
            t.get(
                "district.ends",
                low=ranked.iloc[0][view.by],
                low_index=_index(ranked.iloc[0]["local_gap_index"], t),
                high=ranked.iloc[-1][view.by],
                high_index=_index(ranked.iloc[-1]["local_gap_index"], t),
            )
        )
    return [s for s in out if s]


# -- tables ---------------------------------------------------------------------------------


def main_rows(
    view: DistrictView, *, ends: int = ENDS, neighbours: int = NEIGHBOURS
) -> pd.DataFrame:
    """The ranking rows of the main page: both ends and the chosen district's neighbours."""
    r = view.ranking.reset_index(drop=True)
    keep = np.zeros(len(r), dtype=bool)
    keep[:ends] = True
    ranked = r["local_gap_index"].notna().to_numpy()
    last = np.flatnonzero(ranked)
    if last.size:
        keep[max(last[-1] - ends + 1, 0) : last[-1] + 1] = True
    if view.chosen is not None:
        i = int(np.flatnonzero(r[view.by] == str(view.district))[0])
        keep[max(i - neighbours, 0) : i + neighbours + 1] = True
    return r.loc[keep].reset_index(drop=True)


def ranking_table(view: DistrictView, texts: Texts, *, rows: pd.DataFrame | None = None,
                  title: str | None = None) -> Table:  # fmt: skip
    """Ranked districts: code, department, index, rank, share further, worst indicator."""
    t = texts
    frame = (view.ranking if rows is None else rows).copy()
    lab = _labels(view, t.lang)
    frame["worst_label"] = frame["worst_indicator"].map(
        lambda k: lab.get(str(k), "") if pd.notna(k) else ""
    )
    scales = dict(zip(view.gaps["indicator"], _scale(view.gaps), strict=True))
    frame["worst_text"] = [
        _gap(g, scales.get(k, "number"), t) if pd.notna(g) else ""
        for k, g in zip(frame["worst_indicator"], frame["worst_gap"], strict=True)
    ]
    chosen = str(view.district) if view.district else None
    frame["place"] = [f"▶ {c}" if chosen and str(c) == chosen else str(c) for c in frame[view.by]]
    c = "district.columns."
    cols = [
        Column("rank", t[c + "rank"], "int"),
        Column("place", t[c + "district"]),
    ]
    if view.parent and view.parent in frame.columns:
        cols.append(Column(view.parent, t[c + "department"]))
    cols += [
        Column("local_gap_index", t[c + "index"], "p"),  # 3 decimals
        Column("further", t[c + "percentile"], "prob"),
        Column("worst_label", t[c + "worst"]),
        Column("worst_text", t[c + "worst_gap"], "vtext"),
        Column("n_indicators", t[c + "n_indicators"], "int"),
    ]
    return Table("district_ranking", title or t["district.ranking"], frame, cols)


def comparison_table(view: DistrictView, texts: Texts) -> Table:
    """Indicators by sex with the gap, the chosen district against its department and the country.

    One row per indicator and level (district, department, country), so that the three
    figures of an indicator sit together. Without a chosen district: the country only.
    """
    t = texts
    levels: list[tuple[str, str | None]] = []
    if view.chosen is not None:
        levels.append((view.by, view.district))
        if view.department is not None:
            levels.append((view.parent, view.department))
    levels.append(("total", None))
    parts = []
    for order, (level, value) in enumerate(levels):
        rows = _level_rows(view, level, value).copy()
        rows["level_order"] = order
        name = t[f"district.levels.{'district' if level == view.by else level}"]
        rows["level"] = name if value is None else f"{name} {value}"
        parts.append(rows)
    frame = pd.concat(parts, ignore_index=True)
    order = {k: i for i, k in enumerate(view.labels["indicator"].astype(str))}
    frame["ind_order"] = frame["indicator"].astype(str).map(order)
    frame = frame.sort_values(["ind_order", "level_order"], kind="stable").reset_index(drop=True)
    frame["label"] = frame["indicator"].astype(str).map(_labels(view, t.lang))
    frame["scale"] = _scale(frame)
    # cells blanked by disclosure control show the suppression mark, not a dash
    for s in ("f", "m"):
        n = frame[f"n_{s}"].astype(float)  # blanked on suppressed cells
        frame[f"sup_{s}"] = frame[f"estimate_{s}"].isna() & (n.isna() | (n < view.threshold))
    frame["sup_gap"] = frame["sup_f"] | frame["sup_m"]
    c = "district.columns."
    cols = [
        Column("label", t["columns.label"]),
        Column("level", t[c + "level"]),
        Column("estimate_f", t[c + "women"], "est", "sup_f"),
        Column("estimate_m", t[c + "men"], "est", "sup_m"),
        Column("gap", t[c + "gap"], "gap", "sup_gap"),
    ]
    if view.chosen is not None:
        title = t.get("district.comparison", district=view.district,
                      department=view.department or "–")  # fmt: skip
    else:
        title = t["district.national_table"]
    return Table("district_comparison", title, frame, cols)


# -- chart ----------------------------------------------------------------------------------


def chart_position(view: DistrictView, texts: Texts):
    """Every district's local gap index sorted (dots), parity line, chosen district marked."""
    import matplotlib.pyplot as plt

    from gender_diag.report.charts import NEUTRAL, WOMEN, figure_title, number_axis

    t = texts
    ranked = view.ranking.dropna(subset=["local_gap_index"]).reset_index(drop=True)
    if ranked.empty:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    x = ranked["rank"].to_numpy(dtype=float)
    y = ranked["local_gap_index"].to_numpy(dtype=float)
    ax.scatter(x, y, s=6, color=NEUTRAL, alpha=0.55, linewidths=0)
    ax.axhline(1.0, color="#999999", lw=0.8, ls="--")
    chosen = view.chosen
    if chosen is not None and pd.notna(chosen["local_gap_index"]):
        cx, cy = float(chosen["rank"]), float(chosen["local_gap_index"])
        ax.axvline(cx, color=WOMEN, lw=0.6, alpha=0.4)
        ax.scatter([cx], [cy], s=60, color=WOMEN, zorder=3, edgecolors="white", linewidths=0.8)
        # below and to the right: the sorted curve rises, so that corner is always empty
        right = cx < 0.8 * len(ranked)
        ax.annotate(
            t.get("district.chart_you", district=view.district),
            (cx, cy),
            xytext=(8 if right else -8, -16),
            textcoords="offset points",
            ha="left" if right else "right",
            color=WOMEN,
            fontweight="bold",
        )
    ax.set_xlabel(t["district.chart_rank"])
    ax.set_ylabel(t["district.chart_index"])
    ax.set_xlim(0, max(len(ranked), 1) + 1)
    number_axis(ax, t.lang, axis="y", digits=2)
    number_axis(ax, t.lang, axis="x", digits=0)
    figure_title(fig, t["district.chart_title"])
    fig.tight_layout()  # the suptitle is taken into account
    return fig


def chart_blocks(chart: dict[str, object] | None, texts: Texts) -> list[dict[str, object]]:
    """The chart of :func:`render_position` as the report template's chart entries (the SVG
    inlined, with its title as label and alt text); empty when there is no chart."""
    if chart is None:
        return []
    from gender_diag.report.html import inline_svg

    title = str(chart["title"])
    return [
        {
            "name": "district",
            "title": chart["title"],
            "caption": chart["caption"],
            "alt": texts.get("notes.chart_alt", title=title),
            "svg": inline_svg(str(chart["svg_text"]), label=title, prefix="district"),
        }
    ]


def render_position(view: DistrictView, texts: Texts) -> dict[str, object] | None:
    """The chart as ``{"png_bytes", "svg_text", "title", "caption"}`` (deterministic bytes)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from gender_diag.report.charts import RC, figure_files

    rc = dict(RC, **{"svg.hashsalt": f"gender_diag-district-{texts.lang}"})
    with matplotlib.rc_context(rc):
        fig = chart_position(view, texts)
        if fig is None:
            return None
        try:
            png, svg = figure_files(fig)
        finally:
            plt.close(fig)
    return {
        "png_bytes": png,
        "svg_text": svg,
        "title": texts["district.chart_title"],
        "caption": texts["district.chart_caption"],
    }


__all__ = [
    "DistrictView",
    "build_view",
    "chart_blocks",
    "chart_position",
    "comparison_table",
    "district_section",
    "main_rows",
    "ranking_table",
    "render_position",
    "summary_sentences",
]


# -- the optional section of a survey report ------------------------------------------------


def district_section(pub, texts: Texts):
    """The "Your district among all districts" section of a survey report (or ``None``)."""
    from gender_diag.report.sections import ReportSection

    view = pub.extra.get("district_view") if hasattr(pub, "extra") else None
    if view is None:
        return None
    t = texts
    chart = render_position(view, t)
    charts = chart_blocks(chart, t)
    ranking = ranking_table(view, t, rows=main_rows(view))
    return ReportSection(
        "district_position",
        t["district.title"],
        after="districts",
        paragraphs=summary_sentences(view, t, intro=False),
        tables=[ranking, comparison_table(view, t)],
        notes=[view.method_text(t)],
        charts=charts,
    )


def _register() -> None:
    from gender_diag.report.sections import register

    register(district_section)


_register()
