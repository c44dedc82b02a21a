"""Rank the gaps: criteria → normalised matrix → score → ranks, robustness and explanations.

Rules applied, in order:

1. Suppressed cells (``suppressed`` true after disclosure control) and gaps without any
   estimate are **not ranked**; they are listed in :attr:`Ranking.excluded` with the reason
   (and without their figures), so nothing disappears silently.
2. Every other gap is ranked. Gaps whose estimate is ``unreliable`` or ``caution`` are ranked
   like the others and **flagged** (``flags`` column, and a sentence in ``why_*``).
3. **Ties**: scores within ``robustness.tie_tolerance`` are tied and share the best of their
   ranks (1, 2, 2, 4); tied gaps are listed by ``gap_id`` and flagged ``tie``.
4. Score decomposition: ``contrib_<criterion>`` = weight × normalised value, which sums to the
   weighted-sum score. For PROMETHEE II it is weight × unicriterion net flow (sums to the net
   flow); TOPSIS is not additive, so its table shows the weighted-sum decomposition.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.prioritise.criteria import (
    CriteriaConfig,
    check_gap_table,
    criteria_matrix,
    load_criteria,
)
from gender_diag.prioritise.methods import (
    METHODS,
    method_name,
    normalise_column,
    rank_scores,
    scores_for,
    unicriterion_flows,
)
from gender_diag.prioritise.stability import leave_one_out, method_agreement, smaa
from gender_diag.prioritise.texts import LANGS, fmt_percent, load_texts

_ID_COLS = ["gap_id", "indicator", "by", "by_value"]
_EVIDENCE = [
    "domain",
    "estimate_f",
    "estimate_m",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "ratio",
    "q_value",
    "affected",
    "reliability",
]


@dataclass
class Ranking:
    """Result of :func:`rank_gaps`.

    Attributes
    ----------
    table : DataFrame
        One row per ranked gap, best first: ``rank, gap_id, indicator, by, by_value, score``,
        evidence columns, ``crit_<c>`` (raw criteria), ``norm_<c>`` (0–1), ``contrib_<c>``,
        ``median_rank, rank_low, rank_high, p_top_1, p_top_k, flags, why_es, why_fr, why_en``.
    methods : DataFrame
        ``gap_id`` and ``rank_<method>``, ``score_<method>`` for the three methods; the
        Kendall taus are in ``methods.attrs["kendall_tau"]`` and :attr:`agreement`.
    agreement : DataFrame
        ``method_a, method_b, tau, p_value``.
    loo : DataFrame
        Leave-one-criterion-out ranks: ``gap_id, criterion_left_out, rank, base_rank,
        rank_change``.
    excluded : DataFrame
        Gaps not ranked: ``gap_id, indicator, by, by_value, reason``.
    """

    table: pd.DataFrame
    methods: pd.DataFrame
    agreement: pd.DataFrame
    loo: pd.DataFrame
    excluded: pd.DataFrame
    method: str
    weights: dict[str, float]
    top_k: int
    draws: int
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Ranked gaps followed by the excluded ones (rank missing, reason in ``flags``)."""
        ex = self.excluded.rename(columns={"reason": "flags"})
        if ex.empty:
            return self.table.copy()
        out = pd.concat([self.table, ex], ignore_index=True)
        out["rank"] = out["rank"].astype("Int64")
        return out

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best-ranked gaps (ties at the cut included)."""
        return self.table[self.table["rank"] <= n]


def _normalise(raw: pd.DataFrame, config: CriteriaConfig) -> np.ndarray:
    cols = []
    for name, c in config.criteria.items():
        x = raw[name].to_numpy(float)
        if c.transform == "log1p":
            x = np.log1p(np.clip(x, 0.0, None))
            rng = tuple(np.log1p(c.range)) if c.range else None
        else:
            rng = c.range
        z = normalise_column(x, c.normalisation, value_range=rng)
        # no evidence on a criterion (e.g. no count of women affected) = least urgent on it
        cols.append(np.nan_to_num(z, nan=0.0))
    return np.column_stack(cols)


def _excluded(gaps: pd.DataFrame) -> pd.Series:
    reason = pd.Series("", index=gaps.index, dtype="string")
    if "suppressed" in gaps.columns:
        reason[gaps["suppressed"].fillna(False).astype(bool)] = "suppressed"
    f = pd.to_numeric(gaps["estimate_f"], errors="coerce")
    m = pd.to_numeric(gaps["estimate_m"], errors="coerce")
    g = pd.to_numeric(gaps["gap"], errors="coerce")
    none = (f.isna() | m.isna()) & g.isna()
    reason[none & (reason == "")] = "no_estimate"
    return reason


def rank_gaps(
    gaps: pd.DataFrame,
    *,
    weights: dict[str, float] | None = None,
    team_scores: pd.DataFrame | None = None,
    method: str = "weighted_sum",
    draws: int = 10_000,
    seed: int = 0,
    top_k: int = 5,
    progress: Callable[[int, int], None] | None = None,
    config: CriteriaConfig | None = None,
    texts: dict | None = None,
) -> Ranking:
    """Rank the gaps of a gap table by weighted criteria, with robustness and explanations.

    Parameters
    ----------
    gaps : DataFrame
        Gap table (docs/contracts.md §4), one row per ``gap_id``.
    weights : dict, optional
        criterion → weight, overriding ``criteria.yaml`` (rescaled to sum to 1).
    team_scores : DataFrame, optional
        ``gap_id, feasibility, leverage`` (:func:`read_team_scores`); unscored = neutral 3.
    method : {"weighted_sum", "topsis", "promethee"}
        Method of the base ranking and of the SMAA draws.
    draws : int
        Dirichlet weight draws for SMAA; 0 switches the robustness analysis off.
    seed : int
        Random seed of the draws (results are reproducible).
    top_k : int
        k of P(top-k).
    progress : callable, optional
        Called after each block of 1,000 draws (for a CLI progress bar), as
        ``progress(done, total)`` — or ``progress(fraction)`` when the callable takes a single
        positional argument.
    config, texts : optional
        Parsed ``criteria.yaml`` / ``ranking_texts.yaml`` (default: the bundled files).

    Returns
    -------
    Ranking

    Examples
    --------
    >>> from gender_diag.prioritise.fixtures import example_gap_table
    >>> r = rank_gaps(example_gap_table(n_indicators=4, seed=1), draws=200)
    >>> int(r.table["rank"].min()), list(r.methods.columns[:2])
    (1, ['gap_id', 'rank_weighted_sum'])
    """
    check_gap_table(gaps)
    method = method_name(method)
    if not isinstance(draws, int | np.integer) or draws < 0:
        raise bad_parameter("draws", "rank_gaps", "an integer >= 0", draws)
    if not isinstance(top_k, int | np.integer) or top_k < 1:
        raise bad_parameter("top_k", "rank_gaps", "an integer >= 1", top_k)
    config = (config or load_criteria()).with_weights(weights)
    texts = texts or load_texts()
    rob = config.robustness
    tol = float(rob["tie_tolerance"])
    prom = {
        "preference": rob["promethee_preference"],
        "p": float(rob["promethee_p"]),
        "q": float(rob["promethee_q"]),
    }

    reason = _excluded(gaps)
    keep = (reason == "").to_numpy()
    excluded = gaps.loc[~keep, _ID_COLS].assign(reason=reason[~keep].astype(str))
    g = gaps.loc[keep].reset_index(drop=True)
    names = config.names
    w = config.weights
    raw = criteria_matrix(g, config=config, team_scores=team_scores)
    z = _normalise(raw, config) if len(g) else np.zeros((0, len(names)))
    flows = unicriterion_flows(z, **prom) if len(g) else np.zeros_like(z)

    all_scores = {m: scores_for(m, z, w, flows=flows) for m in METHODS}
    score = all_scores[method]
    rank = rank_scores(score, tol=tol) if len(g) else np.zeros(0, dtype=int)
    contrib = (flows if method == "promethee_ii" else z) * w[None, :]

    out = g[[c for c in _ID_COLS]].copy()
    out.insert(0, "rank", rank)
    out["score"] = score
    out["method"] = method
    for c in _EVIDENCE:
        if c in g.columns:
            out[c] = g[c]
    out["ci_excludes_zero"] = raw["ci_excludes_zero"].to_numpy()
    out["team_scored"] = raw["team_scored"].to_numpy()
    for c in names:
        out[f"crit_{c}"] = raw[c].to_numpy(float)
    for j, c in enumerate(names):
        out[f"norm_{c}"] = z[:, j]
    for j, c in enumerate(names):
        out[f"contrib_{c}"] = contrib[:, j]

    k = min(top_k, max(len(g), 1))
    if draws > 0 and len(g):
        st = smaa(
            z,
            w,
            method=method,
            draws=int(draws),
            seed=seed,
            concentration=float(rob["concentration"]),
            top_k=k,
            interval=float(rob["interval"]),
            tol=tol,
            flows=flows,
            promethee=prom,
            progress=_progress_adapter(progress),
        )
        for c in ("median_rank", "rank_low", "rank_high", "p_top_1", "p_top_k"):
            out[c] = st[c].to_numpy()
    else:
        for c in ("median_rank", "rank_low", "rank_high", "p_top_1", "p_top_k"):
            out[c] = np.nan

    out["flags"] = _flags(out, g, rank)
    why = explain(out, config=config, texts=texts, top_k=k, robustness=draws > 0)
    for lang in LANGS:
        out[f"why_{lang}"] = why[lang]
    out = out.sort_values(["rank", "gap_id"], kind="stable").reset_index(drop=True)

    methods = pd.DataFrame({"gap_id": g["gap_id"]})
    for m, s in all_scores.items():
        methods[f"rank_{m}"] = rank_scores(s, tol=tol) if len(g) else []
        methods[f"score_{m}"] = s
    # agreement of the rankings (ties within ``tol`` as the ranks have them): Kendall's tau on
    # raw scores would count floating-point noise between tied scores as an order, and differ
    # by engine
    ranked = {m: _tied_ranks(s, tol) for m, s in all_scores.items()}
    agreement = (
        method_agreement(ranked)
        if len(g) > 1
        else pd.DataFrame(columns=["method_a", "method_b", "tau", "p_value"])
    )
    methods = methods.sort_values(f"rank_{method}", kind="stable").reset_index(drop=True)
    methods.attrs["kendall_tau"] = agreement.to_dict("records")

    loo = leave_one_out(z, w, names, method=method, tol=tol, flows=flows, promethee=prom)
    loo.insert(0, "gap_id", g["gap_id"].to_numpy()[loo["position"].to_numpy(int)])
    loo = loo.drop(columns="position")

    return Ranking(
        table=out,
        methods=methods,
        agreement=agreement,
        loo=loo,
        excluded=excluded.reset_index(drop=True),
        method=method,
        weights=dict(zip(names, w.round(6).tolist(), strict=True)),
        top_k=k,
        draws=int(draws),
        settings={"seed": seed, **{k2: rob[k2] for k2 in rob}},
    )


def _progress_adapter(progress):
    """Accept ``progress(done, total)`` and ``progress(fraction)`` callables."""
    if progress is None:
        return None
    try:
        params = inspect.signature(progress).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: use the documented form
        return progress
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) or len(positional) != 1:
        return progress
    return lambda done, total: progress(done / total)


def _flags(out: pd.DataFrame, g: pd.DataFrame, rank: np.ndarray) -> list[str]:
    flags: list[list[str]] = [[] for _ in range(len(out))]
    if "reliability" in g.columns:
        rel = g["reliability"].astype("string").fillna("").str.lower().to_numpy()
        for i, r in enumerate(rel):
            if r in ("unreliable", "caution"):
                flags[i].append(r)
    if len(rank):
        counts = pd.Series(rank).value_counts()
        tied = pd.Series(rank).map(counts).to_numpy() > 1
        for i in np.flatnonzero(tied):
            flags[i].append("tie")
    if {"gap_ci_low", "gap_ci_high"} <= set(g.columns):
        has_ci = g["gap_ci_low"].notna().to_numpy() & g["gap_ci_high"].notna().to_numpy()
        for i in np.flatnonzero(has_ci & ~out["ci_excludes_zero"].to_numpy(bool)):
            flags[i].append("not_significant")
    for i in np.flatnonzero(out["crit_gap"].to_numpy(float) < 0) if "crit_gap" in out else []:
        flags[i].append("women_better_off")
    return [";".join(f) for f in flags]


def explain(
    table: pd.DataFrame,
    *,
    config: CriteriaConfig,
    texts: dict,
    top_k: int,
    robustness: bool = True,
) -> dict[str, list[str]]:
    """One "why it ranks here" sentence per gap and language, from the YAML templates.

    The drivers are the (at most two) criteria whose contribution exceeds most the average
    contribution of that criterion over all ranked gaps; a criterion more than 0.02 below its
    average is named as holding the gap back.
    """
    names = config.names
    if table.empty:
        return {lang: [] for lang in LANGS}
    contrib = table[[f"contrib_{c}" for c in names]].to_numpy(float)
    rel = contrib - contrib.mean(axis=0, keepdims=True)
    n = len(table)
    ranks = table["rank"].to_numpy(int)
    p_top = table["p_top_k"].to_numpy(float)
    r_low = table["rank_low"].to_numpy(float)
    r_high = table["rank_high"].to_numpy(float)
    all_flags = table["flags"].astype(str).to_numpy()
    result: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for i in range(n):  # sentence assembly is text work per gap; the numbers are vectorised
        order = np.argsort(-rel[i], kind="stable")
        drivers = [j for j in order[:2] if rel[i, j] > 1e-12]
        if not drivers:
            drivers = [int(np.argmax(contrib[i]))]
        worst = int(np.argmin(rel[i]))
        against = rel[i, worst] < -0.02
        flags = [f for f in all_flags[i].split(";") if f]
        for lang in LANGS:
            t = texts["why"][lang]
            lab = [config.criteria[names[j]].labels.get(lang, names[j]) for j in drivers]
            drv = f" {t['and']} ".join(lab)
            ag = (
                t["against"].format(criteria=config.criteria[names[worst]].labels.get(lang))
                if against
                else ""
            )
            if robustness and not np.isnan(p_top[i]):
                stab = t["stability"].format(
                    p_top_k=fmt_percent(float(p_top[i]), lang),
                    top_k=top_k,
                    rank_low=int(r_low[i]),
                    rank_high=int(r_high[i]),
                )
            else:
                stab = t["no_stability"]
            fl = "".join(t["flags"].get(f, "") for f in flags)
            result[lang].append(
                t["sentence"].format(
                    rank=int(ranks[i]),
                    n=n,
                    drivers=drv,
                    against=ag,
                    stability=stab,
                    flags=fl,
                )
            )
    return result


def _tied_ranks(scores: np.ndarray, tol: float) -> np.ndarray:
    """Ranks of ``scores`` with ties within ``tol`` (``rank_scores``), NaN scores kept NaN
    (so Kendall's tau treats them as the raw scores would).

    >>> _tied_ranks(np.array([0.5, 0.5 + 1e-15, np.nan, 0.2]), 1e-9).tolist()
    [1.0, 1.0, nan, 3.0]
    """
    s = np.asarray(scores, dtype=float)
    if not len(s):
        return s
    ranks = rank_scores(s, tol=tol).astype(float)
    ranks[np.isnan(s)] = np.nan
    return ranks
