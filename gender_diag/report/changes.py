"""The "What changed" section: the baseline's priorities and their change, in words.

Shown first in every report when the diagnostic has ``[[rounds]]`` (issue 12). For each of
the baseline's priority gaps it says whether the gap closed or widened since the baseline,
by how much, with the 95 % interval — in programme and comparison communities when the
evaluation marks them — and draws the gap at baseline beside the gap at follow-up. The
tables travel in ``Published.extra`` (so the tidy CSV writer writes them too): ``changes``,
``change_levels``, ``change_priorities``, ``change_rounds``, ``changes_not_comparable``.

Disclosure control: changes arrive already suppressed where a cell they rest on is below
the threshold (:func:`gender_diag.change.compare.compare`) or where either round's
published cell is suppressed (:func:`gender_diag.change.compare.apply_round_suppression`); a suppressed change is
named, never quantified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.report.i18n import Texts, format_number
from gender_diag.report.layout import Column, Table
from gender_diag.report.tables import is_percent, scale_map

__all__ = [
    "change_extra",
    "change_sentences",
    "changes_table",
    "chart_changes",
    "has_changes",
    "priority_changes",
]

CHANGE_KEYS = ("changes", "change_levels", "change_priorities", "change_rounds",
               "changes_not_comparable")  # fmt: skip


def change_extra(result: Any) -> dict[str, pd.DataFrame]:
    """The change tables of a run, for ``Published.extra`` (empty without rounds)."""
    changes = getattr(result, "changes", None)
    if changes is None or not len(changes):
        return {}
    detail = getattr(result, "change_detail", {}) or {}
    return {
        "changes": changes,
        "change_levels": detail.get("levels", pd.DataFrame()),
        "change_priorities": detail.get("priorities", pd.DataFrame()),
        "change_rounds": detail.get("rounds", pd.DataFrame()),
        "changes_not_comparable": detail.get("skipped", pd.DataFrame()),
        "changes_adjusted": detail.get("adjusted", pd.DataFrame()),
    }


def has_changes(pub) -> bool:
    """Whether the published tables hold a comparison of rounds."""
    ch = pub.extra.get("changes")
    return isinstance(ch, pd.DataFrame) and len(ch) > 0


def _units(pub) -> dict[str, str]:
    """Indicator → display scale (``proportion`` for percentages), as the other tables."""
    ind = pub.indicators
    if "scale" in ind.columns:
        return scale_map(pub)
    if "type" in ind.columns:  # before disclosure-control publishing added the scale
        types = ind.drop_duplicates("indicator").set_index("indicator")["type"]
        return {str(k): "proportion" if v == "proportion" else str(v) for k, v in types.items()}
    return {}


def _labels(pub, lang: str) -> dict[str, str]:
    lab = pub.labels
    col = f"label_{lang}"
    if col not in lab.columns:
        return {}
    return dict(zip(lab["indicator"].astype(str), lab[col].astype(str), strict=True))


def priority_changes(pub) -> pd.DataFrame:
    """One row per baseline priority: the gap then and now, and the change of the gap.

    Columns: ``rank, indicator, by, by_value, unit, gap_from, gap_to, closing, closing_low,
    closing_high, q_value, suppressed`` (``closing`` = how much the gap narrowed: positive
    when it closed, negative when it widened), and for programme evaluations the same for
    each arm (``closing_programme`` …, ``closing_comparison`` …) plus the triple difference
    ``did_closing`` (programme minus comparison).
    """
    ch = pub.extra.get("changes", pd.DataFrame())
    prio = pub.extra.get("change_priorities", pd.DataFrame())
    levels = pub.extra.get("change_levels", pd.DataFrame())
    if not len(ch) or not len(prio):
        return pd.DataFrame()
    last = ch["round_to"].iloc[-1]
    ch = ch[ch["round_to"] == last]
    units = _units(pub)
    rows = []
    for p in prio.itertuples(index=False):
        key = (ch["indicator"] == p.indicator) & (ch["quantity"] == "change_gap")
        here = ch[key & (ch["by"] == p.by) & (ch["by_value"] == p.by_value)]
        gap_from = gap_to = np.nan
        if len(levels):
            lv = levels[(levels["indicator"] == p.indicator) & (levels["by"] == p.by)
                        & (levels["by_value"] == p.by_value) & (levels["quantity"] == "gap")]  # fmt: skip
            first = lv[lv["round"] == ch["round_from"].iloc[0]]
            now = lv[lv["round"] == last]
            gap_from = float(first["estimate"].iloc[0]) if len(first) else np.nan
            gap_to = float(now["estimate"].iloc[0]) if len(now) else np.nan
        # a gap "closes" when it moves towards zero: the change has the sign opposite to it
        sign = -1.0 if (np.isfinite(gap_from) and gap_from < 0) else 1.0
        row = {
            "rank": getattr(p, "rank", np.nan),
            "indicator": p.indicator,
            "by": p.by,
            "by_value": p.by_value,
            "unit": units.get(p.indicator, "proportion"),
            "gap_from": gap_from,
            "gap_to": gap_to,
        }

        def put(prefix, frame, row=row, sign=sign):
            if not len(frame):
                row.update({prefix: np.nan, f"{prefix}_low": np.nan, f"{prefix}_high": np.nan,
                            f"{prefix}_suppressed": True})  # fmt: skip
                return
            r = frame.iloc[0]
            lo, hi = sorted((-sign * r["ci_low"], -sign * r["ci_high"]))
            row.update({prefix: -sign * r["estimate"], f"{prefix}_low": lo, f"{prefix}_high": hi,
                        f"{prefix}_q": r["q_value"],
                        f"{prefix}_suppressed": bool(r["suppressed"])})  # fmt: skip

        put("closing", here)
        if p.by == "total":
            arms = ch[key & (ch["by"] == "treatment")]
            if len(arms):
                put("closing_programme", arms[arms["by_value"] == "programme"])
                put("closing_comparison", arms[arms["by_value"] == "comparison"])
            did = ch[(ch["indicator"] == p.indicator) & (ch["quantity"] == "did_gap")
                     & (ch["by"] == "total")]  # fmt: skip
            if len(did):
                put("did_closing", did)
        rows.append(row)
    return pd.DataFrame(rows)


def _amount(value: float, unit: str, lang: str) -> str:
    if is_percent(unit):
        return format_number(abs(value) * 100, lang, digits=1) + "\u00a0pp"
    return format_number(abs(value), lang, digits=2)


def _interval(lo: float, hi: float, unit: str, lang: str, sign: float) -> str:
    scale = 100 if is_percent(unit) else 1
    digits = 1 if is_percent(unit) else 2
    a, b = sorted((sign * lo * scale, sign * hi * scale))
    return f"{format_number(a, lang, digits=digits)}–{format_number(b, lang, digits=digits)}"


def _part(texts: Texts, row: dict, prefix: str) -> str:
    t = texts
    if row.get(f"{prefix}_suppressed", True) or not np.isfinite(row.get(prefix, np.nan)):
        return t["changes.suppressed"]
    value = row[prefix]
    verb = t["changes.closed"] if value >= 0 else t["changes.widened"]
    sign = 1.0 if value >= 0 else -1.0  # the interval of what is said (closed or widened by)
    return t.get(
        "changes.amount",
        verb=verb,
        amount=_amount(value, row["unit"], t.lang),
        interval=_interval(row[f"{prefix}_low"], row[f"{prefix}_high"], row["unit"], t.lang, sign),
    )


def _place(pub, texts: Texts, by: str, value: str) -> str:
    if by == "total":
        return ""
    return texts.get("changes.place", place=pub.places.get(str(value), str(value)))


def change_sentences(pub, texts: Texts) -> list[str]:
    """One sentence per baseline priority, e.g. "Land titles: the gap closed by 9.4 pp
    (95 % CI 3.1–15.7) in programme communities and by 1.2 pp (…) in the others."."""
    t = texts
    table = priority_changes(pub)
    labels = _labels(pub, t.lang)
    out = []
    for row in table.to_dict("records"):
        label = labels.get(row["indicator"], row["indicator"]) + _place(
            pub, t, row["by"], row["by_value"]
        )
        if row["by"] == "total" and np.isfinite(row.get("closing_programme", np.nan)):
            text = t.get(
                "changes.sentence_arms",
                label=label,
                programme=_part(t, row, "closing_programme"),
                comparison=_part(t, row, "closing_comparison"),
            )
            if "did_closing" in row and not row.get("did_closing_suppressed", True):
                text += " " + t.get("changes.sentence_did", did=_part(t, row, "did_closing"))
        else:
            text = t.get("changes.sentence", label=label, change=_part(t, row, "closing"))
        out.append(text)
    return out


def intro(pub, texts: Texts) -> str:
    """Which rounds are compared, and how many households were interviewed in both."""
    rounds = pub.extra.get("change_rounds", pd.DataFrame())
    if not len(rounds):
        return ""
    a, b = rounds.iloc[0], rounds.iloc[-1]
    return texts.get(
        "changes.intro",
        first=str(a["round"]),
        first_date=str(a["date"]),
        last=str(b["round"]),
        last_date=str(b["date"]),
        panel=format_number(int(b["panel_households"]), texts.lang, digits=0),
    )


def changes_table(pub, texts: Texts) -> Table:
    """Every change (indicator × place × quantity) with its interval, for the workbook."""
    t = texts
    ch = pub.extra.get("changes", pd.DataFrame()).copy()
    labels = _labels(pub, t.lang)
    units = _units(pub)
    ch["label"] = ch["indicator"].map(lambda i: labels.get(i, i))
    ch["scale"] = ch["indicator"].map(lambda i: units.get(i, "proportion"))
    ch["quantity_label"] = ch["quantity"].map(lambda q: t[f"changes.quantities.{q}"])
    ch["place"] = ch["by_value"].map(lambda v: pub.places.get(str(v), str(v)))
    cols = [
        Column("label", t["columns.label"]),
        Column("by", t["changes.columns.by"]),
        Column("place", t["changes.columns.place"]),
        Column("round_from", t["changes.columns.round_from"]),
        Column("round_to", t["changes.columns.round_to"]),
        Column("quantity_label", t["changes.columns.quantity"]),
        Column("estimate", t["changes.columns.estimate"], "gap", "suppressed"),
        Column("ci_low", t["changes.columns.ci_low"], "gap", "suppressed"),
        Column("ci_high", t["changes.columns.ci_high"], "gap", "suppressed"),
        Column("p_value", t["changes.columns.p_value"], "p", "suppressed"),
        Column("q_value", t["changes.columns.q_value"], "p", "suppressed"),
        Column("n_from", t["changes.columns.n_from"], "int"),
        Column("n_to", t["changes.columns.n_to"], "int"),
    ]
    return Table("changes", t["changes.title"], ch, cols, notes=[t["changes.note_quantities"]])


def chart_changes(pub, texts: Texts):
    """Gap at baseline (hollow) and at the latest round (filled) for each priority."""
    import matplotlib.pyplot as plt

    from gender_diag.report.charts import WOMEN, wrap_label

    table = priority_changes(pub)
    if not len(table):
        return None
    table = table[np.isfinite(table["gap_from"]) & np.isfinite(table["gap_to"])]
    if not len(table):
        return None
    labels = _labels(pub, texts.lang)
    names = [
        wrap_label(labels.get(r.indicator, r.indicator) + _place(pub, texts, r.by, r.by_value))
        for r in table.itertuples()
    ]
    scale = np.where(table["unit"].map(is_percent), 100.0, 1.0)
    y = np.arange(len(table))[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.55 * len(table)))
    a, b = table["gap_from"].to_numpy() * scale, table["gap_to"].to_numpy() * scale
    ax.hlines(y, np.minimum(a, b), np.maximum(a, b), color="#999999", lw=2)
    ax.scatter(a, y, facecolors="white", edgecolors=WOMEN, s=55, zorder=3,
               label=texts["changes.chart_from"])  # fmt: skip
    ax.scatter(b, y, color=WOMEN, s=55, zorder=3, label=texts["changes.chart_to"])
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(y, names)
    ax.set_xlabel(texts["changes.chart_axis"])
    ax.legend(loc="best", frameon=False, fontsize=8)
    ax.set_title(texts["changes.chart_title"], fontsize=10)
    fig.tight_layout()
    return fig


def write_chart(pub, texts: Texts, out_dir: Path) -> dict[str, dict[str, object]]:
    """Draw :func:`chart_changes` as PNG and SVG (same conventions as the other charts)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from gender_diag.report.charts import RC, figure_files

    if not has_changes(pub):
        return {}
    rc = dict(RC, **{"svg.hashsalt": f"gender_diag-changes-{texts.lang}"})
    with matplotlib.rc_context(rc):
        fig = chart_changes(pub, texts)
        if fig is None:
            return {}
        try:
            png, svg = figure_files(fig)
        finally:
            plt.close(fig)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png_path, svg_path = out_dir / "changes.png", out_dir / "changes.svg"
    png_path.write_bytes(png)
    svg_path.write_text(svg, encoding="utf-8", newline="\n")
    return {
        "changes": {
            "png": png_path,
            "svg": svg_path,
            "png_bytes": png,
            "svg_text": svg,
            "title": texts["changes.chart_title"],
        }
    }


def docx_section(doc, pub, texts: Texts) -> None:
    """Add the section to the Word brief (heading, intro, one bullet per priority)."""
    if not has_changes(pub):
        return
    doc.add_heading(texts["changes.title"], level=1)
    doc.add_paragraph(intro(pub, texts))
    for sentence in change_sentences(pub, texts):
        doc.add_paragraph(sentence, style="List Bullet")
