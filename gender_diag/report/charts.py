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

One direction everywhere: gaps are drawn oriented so that bars to the right mean women are
worse off (whatever the indicator's ``direction``), and indicators are sorted by that oriented
gap. Every estimate carries its 95 % CI, the WEAI contributions included. The priority matrix
(gap size against feasibility) is drawn only when the team scored feasibility; otherwise the
priorities are a ranked dot chart. Each chart has its own caption (``charts.<name>_caption``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine
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
    # print and slides: 200 dpi PNG (the SVG is resolution-free)
    "savefig.dpi": 200,
    "figure.autolayout": False,
}

CHART_NAMES = ("dumbbell", "gaps", "weai", "priority", "communities")


@dataclass
class Drawn:
    """A chart's geometry, drawn once, and the function that writes one language's texts
    (titles, axis labels and tick labels, legends, number formats) onto it.

    The data of a chart do not depend on the language; only its texts do. So every
    language relabels the same figure instead of drawing it again: :meth:`labelled` puts
    the subplot parameters back to those of the freshly drawn figure, writes the texts and
    lays the figure out, which gives the figure a fresh drawing in that language would.
    """

    fig: Figure
    label: Callable[[Texts], None]

    def __post_init__(self) -> None:
        sp = self.fig.subplotpars
        self._params = {k: getattr(sp, k) for k in ("left", "right", "bottom", "top")}
        self._params.update(wspace=sp.wspace, hspace=sp.hspace)

    def labelled(self, texts: Texts) -> Figure:
        self.fig.subplots_adjust(**self._params)
        self.label(texts)
        return self.fig


def _labelled(drawn: Drawn | None, texts: Texts) -> Figure | None:
    return None if drawn is None else drawn.labelled(texts)


def wrap_label(text: str, width: int = 38) -> str:
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
    return _labelled(_dumbbell(pub, limit=limit, indicators=indicators), texts)


def _dumbbell(pub: Published, *, limit: int = 25, indicators: list[str] | None = None):
    wide = _percent_rows(pub)
    if indicators is not None:
        pos = {k: i for i, k in enumerate(indicators)}
        wide = wide[wide["indicator"].isin(pos)]
        wide = wide.iloc[wide["indicator"].map(pos).argsort(kind="mergesort")]
    wide = wide[wide[["estimate_f", "estimate_m"]].notna().any(axis=1)]
    if indicators is None:
        # the largest disadvantages for women first (oriented gap, see _oriented)
        wide = wide.assign(_o=_oriented(wide)).sort_values(
            ["_o", "indicator"], ascending=[False, True], kind="mergesort", na_position="last"
        )
    wide = wide.head(limit)
    if wide.empty:
        return None
    y = np.arange(len(wide))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(wide) + 1.4))
    keyed = []
    for sfx, colour, name in (("f", WOMEN, "women"), ("m", MEN, "men")):
        est = wide[f"estimate_{sfx}"].to_numpy(dtype=float) * 100
        lo = wide[f"ci_low_{sfx}"].to_numpy(dtype=float) * 100
        hi = wide[f"ci_high_{sfx}"].to_numpy(dtype=float) * 100
        ok = ~np.isnan(est)
        weak = wide[f"reliability_{sfx}"].isin(["caution", "unreliable"]).to_numpy()
        offset = 0.12 if sfx == "f" else -0.12
        ax.hlines(y[ok] + offset, lo[ok], hi[ok], color=colour, lw=1.2, alpha=0.7)
        (line,) = ax.plot(est[ok & ~weak], y[ok & ~weak] + offset, "o", color=colour, ms=5)
        keyed.append((line, f"charts.{name}"))
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
    ax.set_xlim(0, 100)
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    indicators_shown = wide["indicator"].tolist()

    def label(texts: Texts) -> None:
        labels = label_map(pub, texts.lang)
        ax.set_yticks(y, [wrap_label(labels.get(i, i), 45) for i in indicators_shown])
        _percent_axis(ax, texts.lang)
        ax.set_xlabel(texts["charts.dumbbell_x"])
        _title(fig, texts["charts.dumbbell_title"])
        for line, key in keyed:
            line.set_label(texts[key])
        ax.legend(loc="lower right", frameon=False)
        _layout(fig)

    return Drawn(fig, label)


def _oriented(wide: pd.DataFrame) -> np.ndarray:
    """Women − men gap oriented so that positive means women are worse off."""
    sign = np.where(wide["direction"].astype(str) == "higher_worse", 1.0, -1.0)
    return wide["gap"].to_numpy(dtype=float) * sign


def chart_gaps(pub: Published, texts: Texts, *, limit: int = 25) -> Figure | None:
    """Gaps at the total level in percentage points, oriented (right = women worse off) and
    sorted, with 95 % CIs."""
    return _labelled(_gaps(pub, limit=limit), texts)


def _gaps(pub: Published, *, limit: int = 25) -> Drawn | None:
    wide = _percent_rows(pub)
    wide = wide[wide["gap"].notna()].copy()
    if wide.empty:
        return None
    sign = np.where(wide["direction"].astype(str) == "higher_worse", 1.0, -1.0)
    wide["o"] = _oriented(wide) * 100
    lo = wide["gap_ci_low"].to_numpy(dtype=float) * 100 * sign
    hi = wide["gap_ci_high"].to_numpy(dtype=float) * 100 * sign
    wide["o_lo"], wide["o_hi"] = np.minimum(lo, hi), np.maximum(lo, hi)
    wide["abs"] = wide["o"].abs()
    wide = wide.sort_values(["abs", "indicator"], ascending=[False, True]).head(limit)
    wide = wide.sort_values(["o", "indicator"], ascending=[True, False], kind="mergesort")
    y = np.arange(len(wide))
    gap = wide["o"].to_numpy(dtype=float)
    err = np.vstack([gap - wide["o_lo"].to_numpy(float), wide["o_hi"].to_numpy(float) - gap])
    women_behind = gap > 0
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(wide) + 1.6))
    ax.barh(y, gap, color=np.where(women_behind, WOMEN, MEN), alpha=0.8)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=WOMEN, alpha=0.8),
        plt.Rectangle((0, 0), 1, 1, color=MEN, alpha=0.8),
    ]
    ax.errorbar(gap, y, xerr=np.nan_to_num(np.abs(err)), fmt="none", ecolor="#333333", lw=0.8)
    ax.axvline(0, color="#333333", lw=0.8)
    indicators_shown = wide["indicator"].tolist()

    def label(texts: Texts) -> None:
        labels = label_map(pub, texts.lang)
        for handle, key in zip(handles, ("women_behind", "men_behind"), strict=True):
            handle.set_label(texts[f"charts.{key}"])
        ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=8)
        ax.set_yticks(y, [wrap_label(labels.get(i, i), 45) for i in indicators_shown])
        _percent_axis(ax, texts.lang, points=True)
        ax.set_xlabel(texts["charts.gaps_x"])
        _title(fig, texts["charts.gaps_title"])
        _layout(fig)

    return Drawn(fig, label)


def _weai_label(texts: Texts, key: object) -> str:
    """Translated name of a WEAI-family indicator key, or the key made readable."""
    try:
        return texts[f"weai.{key}"]
    except ConfigError:
        return str(key).replace("_", " ")


def _weai_contributions(pub: Published) -> tuple[str, pd.DataFrame] | None:
    """Contributions (%) with 95 % CIs by indicator and sex, of the first WEAI-family index."""
    for name, frame in pub.indices.items():
        if not {"measure", "sex", "indicator", "estimate"} <= set(frame.columns):
            continue
        c = frame[frame["measure"].astype(str) == "contribution"]
        if c.empty:
            continue
        wide = c.pivot_table(
            index="indicator",
            columns="sex",
            values=["estimate", "ci_low", "ci_high"],
            aggfunc="first",
            sort=False,
        )
        wide.columns = [f"{v}_{s.lower()}" for v, s in wide.columns]
        return name, wide.reset_index()
    if pub.weai.empty:
        return None
    first = pub.weai[pub.weai["index"] == pub.weai["index"].iloc[0]]
    wide = pd.DataFrame(
        {
            "indicator": first["indicator"].to_numpy(),
            "estimate_f": first["contribution_f"].to_numpy(float),
            "estimate_m": first["contribution_m"].to_numpy(float),
        }
    )
    return str(first["index"].iloc[0]), wide


def chart_weai(pub: Published, texts: Texts) -> Figure | None:
    """Share of women and men inadequate in each indicator of the first WEAI-family index,
    with 95 % CIs (from the catalogue's adequacy indicators, total level), sorted by women.

    The contributions to disempowerment carry no standard error upstream, so the chart shows
    the inadequacy rates behind them, which do; the contributions are in the indices table.
    """
    return _labelled(_weai(pub), texts)


def _weai(pub: Published) -> Drawn | None:
    found = _weai_contributions(pub)
    if found is None:
        return None
    name, contrib = found
    if "weai_key" not in pub.labels.columns:
        return _weai_contribution_bars(name, contrib)
    keys = dict(zip(pub.labels["weai_key"].astype(str), pub.labels["indicator"].astype(str),
                    strict=True))  # fmt: skip
    wide = sex_wide(pub, by="total").set_index("indicator")
    rows = []
    for key in contrib["indicator"].astype(str):
        ind = keys.get(key)
        if ind is None or ind not in wide.index:
            continue
        r = wide.loc[ind]
        rows.append(
            {
                "key": key,
                **{
                    f"{v}_{sfx}": 100 * (1 - float(r[f"{src}_{sfx}"]))
                    for sfx in ("f", "m")
                    for v, src in (("est", "estimate"), ("lo", "ci_high"), ("hi", "ci_low"))
                },
            }
        )
    if not rows:
        return _weai_contribution_bars(name, contrib)
    data = pd.DataFrame(rows).sort_values(["est_f", "key"], kind="mergesort")
    y = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(data) + 1.6))
    h = 0.38
    keyed = []
    for sfx, colour, off in (("f", WOMEN, h / 2), ("m", MEN, -h / 2)):
        est = data[f"est_{sfx}"].to_numpy(float)
        err = np.nan_to_num(np.abs(np.vstack([est - data[f"lo_{sfx}"], data[f"hi_{sfx}"] - est])))
        bars = ax.barh(y + off, est, h, color=colour, alpha=0.85)
        keyed.append((bars, "charts.women" if sfx == "f" else "charts.men"))
        ax.errorbar(est, y + off, xerr=err, fmt="none", ecolor="#333333", lw=0.8)
    ax.set_xlim(0, 100)
    return _weai_bars_drawn(
        fig, ax, y, data["key"].tolist(), keyed, name, axis=_percent_axis, text="charts.weai"
    )


def _weai_contribution_bars(name: str, contrib: pd.DataFrame) -> Drawn:
    """Contributions to disempowerment (no CI upstream), when no adequacy indicator is known."""
    data = contrib.sort_values(["estimate_f", "indicator"], kind="mergesort")
    y = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(data) + 1.6))
    h = 0.38
    keyed = []
    for sfx, colour, off in (("f", WOMEN, h / 2), ("m", MEN, -h / 2)):
        if f"estimate_{sfx}" in data.columns:
            est = data[f"estimate_{sfx}"].to_numpy(float) * 100
            bars = ax.barh(y + off, est, h, color=colour)
            keyed.append((bars, "charts.women" if sfx == "f" else "charts.men"))
    return _weai_bars_drawn(
        fig,
        ax,
        y,
        data["indicator"].tolist(),
        keyed,
        name,
        axis=lambda ax, lang: _number_axis(ax, lang, digits=0),
        text="charts.weai_contrib",
    )


def _weai_bars_drawn(fig, ax, y, keys, keyed, name: str, *, axis, text: str) -> Drawn:
    """The WEAI bar chart (women's and men's bars per indicator key) and its labeller.

    ``axis(ax, lang)`` formats the value axis; ``text`` is the prefix of the chart's i18n
    keys (``<text>_x``, ``<text>_title``); ``keyed`` pairs each bar container with its legend
    key.
    """
    index = name.upper().replace("PRO-", "pro-")

    def label(texts: Texts) -> None:
        ax.set_yticks(y, [wrap_label(_weai_label(texts, k), 34) for k in keys])
        axis(ax, texts.lang)
        ax.set_xlabel(texts[f"{text}_x"])
        _title(fig, f"{texts[f'{text}_title']} ({index})")
        for bars, key in keyed:
            bars.set_label(texts[key])
        ax.legend(loc="lower right", frameon=False)
        _layout(fig)

    return Drawn(fig, label)


def _title(fig: Figure, text: str) -> None:
    """Figure title at the left edge (an axes title would run off a narrow figure)."""
    fig.suptitle(wrap_label(text, 80), x=0.01, ha="left", fontsize=11)


def _layout(fig: Figure, rect: tuple[float, ...] | None = None) -> None:
    """``fig.tight_layout(rect=...)`` without leaving a placeholder layout engine on the
    figure, which would make every ``savefig`` draw the whole figure once more first."""
    rect = rect or (0, 0, 1, 1 - 0.5 / fig.get_figheight())
    TightLayoutEngine(rect=rect).execute(fig)


def chart_priority(pub: Published, texts: Texts, *, limit: int = 20) -> Figure | None:
    """Priority matrix of the ``limit`` top-ranked published gaps: size against feasibility,
    points labelled by rank."""
    return _labelled(_priority(pub, texts, limit=limit), texts)


def _priority(pub: Published, texts: Texts, *, limit: int = 20) -> Drawn | None:
    rk = pub.ranking
    if not rk.empty:
        rk = rk[~rk["suppressed"].astype(bool)].sort_values("rank", kind="mergesort").head(limit)
    # criterion columns as the ranking stage names them (crit_*), or plain names
    x_col = next((c for c in ("size", "crit_gap", "norm_gap") if c in rk.columns), None)
    y_col = next(
        (c for c in ("feasibility", "crit_feasibility", "norm_feasibility") if c in rk.columns),
        None,
    )
    if rk.empty:
        return None
    scored = "team_scored" in rk.columns and rk["team_scored"].fillna(False).astype(bool).any()
    if y_col is None or not scored:
        return _priority_dots(pub, texts)
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
    ax.axvline(data["x"].median(), color="#bbbbbb", lw=0.8, ls="--")
    ax.axhline(data["y"].median(), color="#bbbbbb", lw=0.8, ls="--")

    def label(texts: Texts) -> None:
        _number_axis(ax, texts.lang, "x", digits=2)
        _number_axis(ax, texts.lang, "y", digits=1)
        ax.set_xlabel(texts["charts.matrix_x"])
        ax.set_ylabel(texts["charts.matrix_y"])
        _title(fig, texts["charts.matrix_title"])
        _layout(fig)

    return Drawn(fig, label)


def chart_priority_dots(pub: Published, texts: Texts, *, limit: int = 15) -> Figure | None:
    """The distinct priorities (one per concept) ranked, as a dot chart of their scores with
    the 90 % rank interval under weight uncertainty written beside each dot."""
    return _labelled(_priority_dots(pub, texts, limit=limit), texts)


def _priority_dots(pub: Published, texts: Texts, *, limit: int = 15) -> Drawn | None:
    """The dot chart; ``texts`` serve only to list the priorities (their order, scores and
    reliability do not depend on the language)."""
    from gender_diag.report.summary import priorities

    rows = priorities(pub, texts, limit=limit)
    if not rows:
        return None
    score = np.array([_as_float(r.row.get("score")) for r in rows])
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.34 * len(rows) + 1.4))
    reliable = np.array([r.reliable for r in rows])
    ax.plot(score[reliable], y[reliable], "o", color=WOMEN, ms=6)
    ax.plot(score[~reliable], y[~reliable], "o", mfc="white", mec=WOMEN, ms=6)
    ax.hlines(y, np.nanmin(score) * 0.95 if np.isfinite(score).any() else 0, score,
              color="#dddddd", lw=0.8, zorder=0)  # fmt: skip

    def label(texts: Texts) -> None:
        named = priorities(pub, texts, limit=limit)
        ax.set_yticks(y, [wrap_label(f"{r.priority}. {r.label} — {r.place}", 60) for r in named])
        _number_axis(ax, texts.lang, "x", digits=2)
        ax.set_xlabel(texts["charts.priority_x"])
        _title(fig, texts["charts.priority_title"])
        _layout(fig)

    return Drawn(fig, label)


def _as_float(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def chart_communities(pub: Published, texts: Texts, *, panels: int = 6) -> Figure | None:
    """Small multiples: women and men by community for the top-ranked proportion indicators."""
    return _labelled(_communities(pub, panels=panels), texts)


def _communities(pub: Published, *, panels: int = 6) -> Drawn | None:
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
    ncol = 2
    nrow = int(np.ceil(len(order) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 3.2 * nrow), sharex=True, squeeze=False)
    # communities grouped by district (a gap between districts), every community labelled
    nest = pub.community_district
    values = sorted(
        comm["by_value"].astype(str).unique(),
        key=lambda c: (pub.places.get(nest.get(c, ""), nest.get(c, "")), pub.places.get(c, c)),
    )
    districts = [nest.get(v, "") for v in values]
    x = (
        np.arange(len(values))
        + np.cumsum([0] + [int(a != b) for a, b in zip(districts, districts[1:], strict=False)])
        * 1.0
    )
    for ax, ind in zip(axes.flat, order, strict=False):
        sub = comm[comm["indicator"] == ind].set_index("by_value").reindex(values)
        for sfx, colour, off in (("f", WOMEN, -0.12), ("m", MEN, 0.12)):
            est = sub[f"estimate_{sfx}"].to_numpy(dtype=float) * 100
            ok = ~np.isnan(est)
            weak = sub[f"reliability_{sfx}"].isin(["caution", "unreliable"]).to_numpy()
            lo = sub[f"ci_low_{sfx}"].to_numpy(dtype=float) * 100
            hi = sub[f"ci_high_{sfx}"].to_numpy(dtype=float) * 100
            ax.vlines(x[ok] + off, lo[ok], hi[ok], color=colour, lw=0.5, alpha=0.5)
            ax.plot(x[ok & ~weak] + off, est[ok & ~weak], "o", color=colour, ms=4)
            ax.plot(x[ok & weak] + off, est[ok & weak], "o", mfc="white", mec=colour, ms=4)
        ax.set_ylim(0, 100)
        names = [pub.places.get(v, v) for v in values]
        ax.set_xticks(x, names, rotation=90, fontsize=5.5)
        for d in dict.fromkeys(districts):
            if not d:
                continue
            xs = x[[k for k, dd in enumerate(districts) if dd == d]]
            ax.axvspan(xs.min() - 0.5, xs.max() + 0.5, color="#f3f3f3", zorder=0)
            ax.text(xs.mean(), 98, pub.places.get(d, d), ha="center", va="top", fontsize=7,
                    color="#444444")  # fmt: skip
    for ax in list(axes.flat)[len(order) :]:
        ax.set_visible(False)
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=WOMEN),
        plt.Line2D([], [], marker="o", ls="", color=MEN),
    ]

    def label(texts: Texts) -> None:
        labels = label_map(pub, texts.lang)
        for ax, ind in zip(axes.flat, order, strict=False):
            ax.set_title(wrap_label(labels.get(ind, ind), 34), fontsize=8, loc="left")
            _percent_axis(ax, texts.lang, "y")
        for legend in list(fig.legends):  # the previous language's
            legend.remove()
        for handle, key in zip(handles, ("charts.women", "charts.men"), strict=True):
            handle.set_label(texts[key])
        fig.legend(handles=handles, loc="upper right", frameon=False, ncol=2)
        fig.suptitle(texts["charts.communities_title"], x=0.01, ha="left", fontsize=11)
        _layout(fig, rect=(0, 0, 1, 0.95))

    return Drawn(fig, label)


def chart_brief(pub: Published, texts: Texts, *, limit: int = 8) -> Figure | None:
    """The policy-brief chart: women vs men for the top-ranked proportion indicators."""
    return _labelled(_brief(pub, limit=limit), texts)


def _brief(pub: Published, *, limit: int = 8) -> Drawn | None:
    ranked = (
        pub.priorities["indicator"].astype(str).tolist()
        if len(pub.priorities)
        else pub.ranking["indicator"].astype(str).drop_duplicates().tolist()
        if not pub.ranking.empty
        else []
    )
    pct = set(_percent_rows(pub)["indicator"])
    chosen = [i for i in ranked if i in pct][:limit]
    if not chosen:
        return _dumbbell(pub, limit=limit)
    return _dumbbell(pub, limit=limit, indicators=chosen)


BUILDERS = {
    "dumbbell": chart_dumbbell,
    "gaps": chart_gaps,
    "weai": chart_weai,
    "priority": chart_priority,
    "communities": chart_communities,
    "brief": chart_brief,
}

#: The geometry of each chart, drawn once for every language (:class:`Drawn`); the
#: builders that need texts use them only to find what to draw, never for its wording.
DRAWERS: dict[str, Callable[[Published, Texts], Drawn | None]] = {
    "dumbbell": lambda pub, _t: _dumbbell(pub),
    "gaps": lambda pub, _t: _gaps(pub),
    "weai": lambda pub, _t: _weai(pub),
    "priority": lambda pub, t: _priority(pub, t),
    "communities": lambda pub, _t: _communities(pub),
    "brief": lambda pub, _t: _brief(pub),
}


def figure_files(fig: Figure) -> tuple[bytes, str]:
    """``(png_bytes, svg_text)`` of ``fig`` under the current rcParams: a 200 dpi PNG and an
    SVG, both without the date or software metadata that would make runs differ."""
    import io

    png, svg = io.BytesIO(), io.StringIO()
    fig.savefig(png, format="png", metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def render_chart(name: str, pub: Published, texts: Texts) -> tuple[bytes, str] | None:
    """Draw one chart and return ``(png_bytes, svg_text)``, or ``None`` if nothing to draw."""
    drawn = render_charts(name, pub, [texts])
    return None if drawn is None else drawn[texts.lang]


def render_charts(
    name: str, pub: Published, languages: Sequence[Texts]
) -> dict[str, tuple[bytes, str]] | None:
    """Draw one chart once and save it labelled in each language.

    Returns ``{lang: (png_bytes, svg_text)}``, or ``None`` if there is nothing to draw. The
    geometry is drawn once (:class:`Drawn`); each language writes its texts on it, is laid
    out and saved as a 200 dpi PNG and an SVG, the same files as a drawing per language.
    """
    if not languages:
        return {}

    def rc(texts: Texts) -> dict[str, object]:
        return dict(RC, **{"svg.hashsalt": f"gender_diag-{name}-{texts.lang}"})

    with matplotlib.rc_context(rc(languages[0])):
        drawn = DRAWERS[name](pub, languages[0])
    if drawn is None:
        return None
    out: dict[str, tuple[bytes, str]] = {}
    try:
        for texts in languages:
            with matplotlib.rc_context(rc(texts)):
                out[texts.lang] = figure_files(drawn.labelled(texts))
    finally:
        plt.close(drawn.fig)
    return out


def write_charts(pub: Published, texts: Texts, out_dir: Path) -> dict[str, dict[str, object]]:
    """Write every chart as PNG and SVG under ``out_dir``.

    Returns
    -------
    dict
        Chart name → ``{"png": Path, "svg": Path, "png_bytes": bytes, "svg_text": str,
        "title": str}`` for the charts that could be drawn.
    """
    return write_charts_languages(pub, [texts], {texts.lang: Path(out_dir)})[texts.lang]


def write_charts_languages(
    pub: Published,
    languages: Sequence[Texts],
    out_dirs: dict[str, Path],
    *,
    rendered: dict[str, dict[str, tuple[bytes, str]] | None] | None = None,
) -> dict[str, dict[str, dict[str, object]]]:
    """:func:`write_charts` for several languages, each chart drawn once for all of them.

    ``out_dirs`` maps each language to its folder; returns ``{lang: write_charts(...)}``.
    ``rendered``: chart name → :func:`render_charts` of it, when already drawn (the report
    stage draws the charts in worker processes, :mod:`gender_diag.report.parallel`).
    """
    for folder in out_dirs.values():
        Path(folder).mkdir(parents=True, exist_ok=True)
    titles = {
        "brief": "charts.brief_title",
        "dumbbell": "charts.dumbbell_title",
        "gaps": "charts.gaps_title",
        "weai": "charts.weai_title",
        "priority": "charts.matrix_title",
        "communities": "charts.communities_title",
    }
    scored = (
        "team_scored" in pub.ranking.columns
        and pub.ranking["team_scored"].fillna(False).astype(bool).any()
    )
    if not scored:
        titles["priority"] = "charts.priority_title"
    written: dict[str, dict[str, dict[str, object]]] = {t.lang: {} for t in languages}
    for name in ("brief", *CHART_NAMES):
        drawn = rendered[name] if rendered is not None else render_charts(name, pub, languages)
        if drawn is None:
            continue
        for texts in languages:
            png, svg = drawn[texts.lang]
            out_dir = Path(out_dirs[texts.lang])
            png_path, svg_path = out_dir / f"{name}.png", out_dir / f"{name}.svg"
            png_path.write_bytes(png)
            svg_path.write_text(svg, encoding="utf-8", newline="\n")
            written[texts.lang][name] = {
                "png": png_path,
                "svg": svg_path,
                "png_bytes": png,
                "svg_text": svg,
                "title": texts[titles[name]],
                "caption": " ".join(
                    [texts[f"charts.{_caption_key(name, scored)}_caption"], texts["charts.hollow"]]
                ),
            }
    return written


def _caption_key(name: str, scored: bool) -> str:
    if name == "priority":
        return "matrix" if scored else "priority"
    return name


# Public names of the helpers other charts reuse (the district chart,
# gender_diag.report.district), so that every chart has the same axes and titles.
number_axis = _number_axis
figure_title = _title
