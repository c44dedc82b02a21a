"""Report charts (matplotlib, Agg backend), deterministic and labelled in the report language.

Each ``chart_*`` function takes the published tables and the texts of one language and returns
a matplotlib Figure (or ``None`` when there is nothing to draw); :func:`write_charts` saves them
as PNG and SVG. Files are byte-identical across runs: fixed rcParams, a fixed ``svg.hashsalt``
per chart (so element ids are stable and do not clash when several SVGs are inlined in one
HTML page), text kept as text (``svg.fonttype = "none"``), and no date in the metadata.
Suppressed cells are never plotted (their estimates are already blank); estimates flagged
"caution" or "unreliable" by their coefficient of variation are drawn as hollow markers.

Charts of proportions share one 0–100 % axis; indicators in other units (hours, scores) are
left out of the multi-indicator charts rather than drawn on a misleading common scale.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from gender_diag.errors import ConfigError
from gender_diag.report.i18n import Texts, format_number
from gender_diag.report.tables import Published, is_percent, label_map, sex_wide

WOMEN = "#7b3294"
MEN = "#008837"
NEUTRAL = "#666666"

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "path.simplify": True,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.autolayout": False,
}

CHART_NAMES = ("dumbbell", "gaps", "weai", "priority", "communities")


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _percent_axis(ax, lang: str, axis: str = "x", *, points: bool = False) -> None:
    def fmt(v, _pos):
        return format_number(v, lang, digits=0) + ("" if points else " %")

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(FuncFormatter(fmt))


def _number_axis(ax, lang: str, axis: str = "x", digits: int = 1) -> None:
    fmt = FuncFormatter(lambda v, _pos: format_number(v, lang, digits=digits))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _percent_rows(pub: Published, by: str = "total") -> pd.DataFrame:
    wide = sex_wide(pub, by=by)
    return wide[wide["scale"].map(is_percent)].reset_index(drop=True)


def chart_dumbbell(
    pub: Published, texts: Texts, *, limit: int = 25, indicators: list[str] | None = None
) -> Figure | None:
    """Women vs men by indicator, total level, with 95 % CIs (proportions, in %)."""
    wide = _percent_rows(pub)
    if indicators is not None:
        pos = {k: i for i, k in enumerate(indicators)}
        wide = wide[wide["indicator"].isin(pos)]
        wide = wide.iloc[wide["indicator"].map(pos).argsort(kind="mergesort")]
    wide = wide[wide[["estimate_f", "estimate_m"]].notna().any(axis=1)]
    if indicators is None and len(wide) > limit:
        # too many to read: the largest gaps, kept in catalogue order
        keep = wide["gap"].abs().fillna(-1).sort_values(ascending=False, kind="mergesort")
        wide = wide.loc[sorted(keep.index[:limit])]
    wide = wide.head(limit)
    if wide.empty:
        return None
    labels = label_map(pub, texts.lang)
    y = np.arange(len(wide))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(wide) + 1.4))
    for sfx, colour, name in (("f", WOMEN, "women"), ("m", MEN, "men")):
        est = wide[f"estimate_{sfx}"].to_numpy(dtype=float) * 100
        lo = wide[f"ci_low_{sfx}"].to_numpy(dtype=float) * 100
        hi = wide[f"ci_high_{sfx}"].to_numpy(dtype=float) * 100
        ok = ~np.isnan(est)
        weak = wide[f"reliability_{sfx}"].isin(["caution", "unreliable"]).to_numpy()
        offset = 0.12 if sfx == "f" else -0.12
        ax.hlines(y[ok] + offset, lo[ok], hi[ok], color=colour, lw=1.2, alpha=0.7)
        ax.plot(
            est[ok & ~weak],
            y[ok & ~weak] + offset,
            "o",
            color=colour,
            ms=5,
            label=texts[f"charts.{name}"],
        )
        # estimates flagged by their CV are drawn hollow
        ax.plot(est[ok & weak], y[ok & weak] + offset, "o", mfc="white", mec=colour, ms=5)
    both = wide[["estimate_f", "estimate_m"]].notna().all(axis=1).to_numpy()
    ax.hlines(
        y[both],
        wide.loc[both, "estimate_f"].to_numpy(dtype=float) * 100,
        wide.loc[both, "estimate_m"].to_numpy(dtype=float) * 100,
        color=NEUTRAL,
        lw=0.6,
        zorder=0,
    )
    ax.set_yticks(y, [_wrap(labels.get(i, i), 45) for i in wide["indicator"]])
    ax.set_xlim(0, 100)
    _percent_axis(ax, texts.lang)
    ax.set_xlabel(texts["charts.dumbbell_x"])
    ax.set_title(texts["charts.dumbbell_title"], loc="left")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    fig.tight_layout()
    return fig


def chart_gaps(pub: Published, texts: Texts, *, limit: int = 25) -> Figure | None:
    """Gaps (women − men, percentage points) at the total level, ranked by size."""
    wide = _percent_rows(pub)
    wide = wide[wide["gap"].notna()].copy()
    if wide.empty:
        return None
    wide["abs"] = wide["gap"].abs()
    wide = wide.sort_values(["abs", "indicator"], ascending=[False, True]).head(limit)
    wide = wide.iloc[::-1]
    labels = label_map(pub, texts.lang)
    y = np.arange(len(wide))
    gap = wide["gap"].to_numpy(dtype=float) * 100
    err = np.vstack(
        [
            gap - wide["gap_ci_low"].to_numpy(dtype=float) * 100,
            wide["gap_ci_high"].to_numpy(dtype=float) * 100 - gap,
        ]
    )
    # colour by who is disadvantaged, which depends on the indicator's direction
    sign = np.where(wide["direction"].astype(str) == "higher_worse", -1.0, 1.0)
    women_behind = gap * sign < 0
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(wide) + 1.4))
    ax.barh(y, gap, color=np.where(women_behind, WOMEN, MEN), alpha=0.8)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=WOMEN, alpha=0.8, label=texts["charts.women_behind"]),
        plt.Rectangle((0, 0), 1, 1, color=MEN, alpha=0.8, label=texts["charts.men_behind"]),
    ]
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=8)
    ax.errorbar(gap, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#333333", lw=0.8)
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(y, [_wrap(labels.get(i, i), 45) for i in wide["indicator"]])
    _percent_axis(ax, texts.lang, points=True)
    ax.set_xlabel(texts["charts.gaps_x"] + " (pp)")
    ax.set_title(texts["charts.gaps_title"], loc="left")
    fig.tight_layout()
    return fig


def _weai_label(texts: Texts, key: object) -> str:
    """Translated name of a WEAI-family indicator key, or the key made readable."""
    try:
        return texts[f"weai.{key}"]
    except ConfigError:
        return str(key).replace("_", " ")


def chart_weai(pub: Published, texts: Texts) -> Figure | None:
    """Contributions of each indicator to disempowerment, women and men (first index)."""
    weai = pub.weai
    if weai.empty:
        return None
    first = weai[weai["index"] == weai["index"].iloc[0]]
    y = np.arange(len(first))[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(first) + 1.4))
    h = 0.38
    ax.barh(y + h / 2, first["contribution_f"] * 100, h, color=WOMEN, label=texts["charts.women"])
    ax.barh(y - h / 2, first["contribution_m"] * 100, h, color=MEN, label=texts["charts.men"])
    ax.set_yticks(y, [_wrap(_weai_label(texts, i), 34) for i in first["indicator"]])
    _number_axis(ax, texts.lang, digits=0)
    ax.set_xlabel(texts["charts.weai_x"])
    ax.set_title(f"{texts['charts.weai_title']} ({first['index'].iloc[0]})", loc="left")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def chart_priority(pub: Published, texts: Texts, *, limit: int = 20) -> Figure | None:
    """Priority matrix of the ``limit`` top-ranked published gaps: size against feasibility,
    points labelled by rank."""
    rk = pub.ranking
    if not rk.empty:
        rk = rk[~rk["suppressed"].astype(bool)].sort_values("rank", kind="mergesort").head(limit)
    # criterion columns as the ranking stage names them (crit_*), or plain names
    x_col = next((c for c in ("size", "crit_gap", "norm_gap") if c in rk.columns), None)
    y_col = next(
        (c for c in ("feasibility", "crit_feasibility", "norm_feasibility") if c in rk.columns),
        None,
    )
    if rk.empty or y_col is None:
        return None
    size = rk[x_col] if x_col else rk.get("gap", pd.Series(np.nan, index=rk.index)).abs()
    data = pd.DataFrame(
        {
            "rank": rk["rank"],
            "x": pd.to_numeric(size, errors="coerce"),
            "y": pd.to_numeric(rk[y_col], errors="coerce"),
        }
    )
    data = data.dropna()
    if data.empty:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ax.scatter(data["x"], data["y"], s=60, color=WOMEN, alpha=0.7)
    # gaps at the same point get one label ("10, 11") instead of overprinted numbers
    # points closer than 2 % of the axis ranges share one label ("10, 11")
    span_x = max(float(np.ptp(data["x"])), 1e-9)
    span_y = max(float(np.ptp(data["y"])), 1e-9)
    data = data.assign(
        bx=((data["x"] - data["x"].min()) / span_x * 50).round(),
        by=((data["y"] - data["y"].min()) / span_y * 50).round(),
        rank=data["rank"].astype(int),
    ).sort_values("rank")
    for k, (_, grp) in enumerate(data.groupby(["bx", "by"], sort=True)):
        label = ", ".join(str(r) for r in grp["rank"].drop_duplicates())
        x, yv = grp["x"].iloc[0], grp["y"].iloc[0]
        # alternate above / below so that neighbouring labels do not overprint
        offset = (4, 5) if k % 2 == 0 else (4, -11)
        ax.annotate(label, (x, yv), textcoords="offset points", xytext=offset, fontsize=8)
    if data["y"].nunique() == 1:  # e.g. no team scores yet: one feasibility for every gap
        ax.set_ylim(data["y"].iloc[0] - 1, data["y"].iloc[0] + 1)
    ax.axvline(data["x"].median(), color="#bbbbbb", lw=0.8, ls="--")
    ax.axhline(data["y"].median(), color="#bbbbbb", lw=0.8, ls="--")
    _number_axis(ax, texts.lang, "x", digits=2)
    _number_axis(ax, texts.lang, "y", digits=1)
    ax.set_xlabel(texts["charts.matrix_x"])
    ax.set_ylabel(texts["charts.matrix_y"])
    ax.set_title(texts["charts.matrix_title"], loc="left")
    fig.tight_layout()
    return fig


def chart_communities(pub: Published, texts: Texts, *, panels: int = 6) -> Figure | None:
    """Small multiples: women and men by community for the top-ranked proportion indicators."""
    comm = _percent_rows(pub, by="community")
    if comm.empty:
        return None
    ranked = (
        pub.ranking["indicator"].astype(str).drop_duplicates().tolist()
        if not pub.ranking.empty
        else []
    )
    order = [i for i in ranked if i in set(comm["indicator"])]
    order += [i for i in comm["indicator"].drop_duplicates() if i not in order]
    order = order[:panels]
    labels = label_map(pub, texts.lang)
    ncol = 3
    nrow = int(np.ceil(len(order) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.8 * nrow), sharex=True, squeeze=False)
    values = sorted(comm["by_value"].astype(str).unique())
    x = np.arange(len(values))
    for ax, ind in zip(axes.flat, order, strict=False):
        sub = comm[comm["indicator"] == ind].set_index("by_value").reindex(values)
        for sfx, colour, off in (("f", WOMEN, -0.12), ("m", MEN, 0.12)):
            est = sub[f"estimate_{sfx}"].to_numpy(dtype=float) * 100
            ok = ~np.isnan(est)
            weak = sub[f"reliability_{sfx}"].isin(["caution", "unreliable"]).to_numpy()
            ax.plot(x[ok & ~weak] + off, est[ok & ~weak], "o", color=colour, ms=4)
            ax.plot(x[ok & weak] + off, est[ok & weak], "o", mfc="white", mec=colour, ms=4)
        ax.set_title(_wrap(labels.get(ind, ind), 34), fontsize=8, loc="left")
        ax.set_ylim(0, 100)
        _percent_axis(ax, texts.lang, "y")
        # at most ~15 labelled communities per panel, or the codes overprint
        step = int(np.ceil(len(values) / 15))
        names = [pub.places.get(v, v) for v in values]
        ax.set_xticks(x[::step], names[::step], rotation=90, fontsize=7)
        ax.set_xticks(x, minor=True)
    for ax in list(axes.flat)[len(order) :]:
        ax.set_visible(False)
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=WOMEN, label=texts["charts.women"]),
        plt.Line2D([], [], marker="o", ls="", color=MEN, label=texts["charts.men"]),
    ]
    fig.legend(handles=handles, loc="upper right", frameon=False, ncol=2)
    fig.suptitle(texts["charts.communities_title"], x=0.01, ha="left", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def chart_brief(pub: Published, texts: Texts, *, limit: int = 8) -> Figure | None:
    """The policy-brief chart: women vs men for the top-ranked proportion indicators."""
    ranked = (
        pub.ranking["indicator"].astype(str).drop_duplicates().tolist()
        if not pub.ranking.empty
        else []
    )
    pct = set(_percent_rows(pub)["indicator"])
    chosen = [i for i in ranked if i in pct][:limit]
    if not chosen:
        return chart_dumbbell(pub, texts, limit=limit)
    return chart_dumbbell(pub, texts, limit=limit, indicators=chosen)


BUILDERS = {
    "dumbbell": chart_dumbbell,
    "gaps": chart_gaps,
    "weai": chart_weai,
    "priority": chart_priority,
    "communities": chart_communities,
    "brief": chart_brief,
}


def render_chart(name: str, pub: Published, texts: Texts) -> tuple[bytes, str] | None:
    """Draw one chart and return ``(png_bytes, svg_text)``, or ``None`` if nothing to draw."""
    import io

    rc = dict(RC, **{"svg.hashsalt": f"gender_diag-{name}-{texts.lang}"})
    with matplotlib.rc_context(rc):
        fig = BUILDERS[name](pub, texts)
        if fig is None:
            return None
        try:
            png, svg = io.BytesIO(), io.StringIO()
            fig.savefig(png, format="png", metadata={"Software": None})
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    return png.getvalue(), svg.getvalue()


def write_charts(pub: Published, texts: Texts, out_dir: Path) -> dict[str, dict[str, object]]:
    """Write every chart as PNG and SVG under ``out_dir``.

    Returns
    -------
    dict
        Chart name → ``{"png": Path, "svg": Path, "png_bytes": bytes, "svg_text": str,
        "title": str}`` for the charts that could be drawn.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    titles = {
        "dumbbell": "charts.dumbbell_title",
        "gaps": "charts.gaps_title",
        "weai": "charts.weai_title",
        "priority": "charts.matrix_title",
        "communities": "charts.communities_title",
    }
    written: dict[str, dict[str, object]] = {}
    for name in CHART_NAMES:
        drawn = render_chart(name, pub, texts)
        if drawn is None:
            continue
        png, svg = drawn
        png_path, svg_path = out_dir / f"{name}.png", out_dir / f"{name}.svg"
        png_path.write_bytes(png)
        svg_path.write_text(svg, encoding="utf-8", newline="\n")
        written[name] = {
            "png": png_path,
            "svg": svg_path,
            "png_bytes": png,
            "svg_text": svg,
            "title": texts[titles[name]],
        }
    return written
