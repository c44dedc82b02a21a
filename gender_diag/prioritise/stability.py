"""Robustness of a ranking: SMAA weight draws, agreement between methods, leave-one-out.

SMAA (stochastic multicriteria acceptability analysis; Lahdelma, Hokkanen & Salminen 1998,
*EJOR* 106:137–143): the agreed weights :math:`w` are uncertain, so weights are drawn from
:math:`\\mathrm{Dirichlet}(c\\,w)` — mean :math:`w`, variance :math:`w_j(1-w_j)/(c+1)` — with
the concentration :math:`c` configurable (``criteria.yaml``, ``robustness.concentration``).
Criteria with weight 0 stay at 0. For each draw the whole score matrix (draws × gaps) is one
matrix product and the ranks one row-wise argsort (:func:`~.methods.rank_scores`, ties share
the best rank). Draws are processed in blocks whose rank counts are accumulated into a
gaps × ranks histogram, so memory stays bounded for large tables; the median rank and the
rank interval are quantiles of that histogram (inverse-CDF definition: the smallest rank r
with :math:`P(\\text{rank} \\le r) \\ge q`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from gender_diag.errors import bad_parameter
from gender_diag.prioritise.methods import METHODS, rank_scores, scores_for


def dirichlet_weights(
    weights: np.ndarray, *, draws: int, concentration: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw weight vectors (draws × C) from a Dirichlet centred on ``weights``.

    Examples
    --------
    >>> w = dirichlet_weights(np.array([0.5, 0.5, 0.0]), draws=4, concentration=30,
    ...                       rng=np.random.default_rng(0))
    >>> w.shape, bool(np.allclose(w.sum(axis=1), 1)), bool((w[:, 2] == 0).all())
    ((4, 3), True, True)
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    pos = w > 0
    out = np.zeros((draws, w.size))
    if pos.sum() == 1:
        out[:, pos] = 1.0
    else:
        out[:, pos] = rng.dirichlet(concentration * w[pos], size=draws)
    return out


def _quantile_from_hist(cum: np.ndarray, total: int, q: float) -> np.ndarray:
    # cum: (G, G) cumulative counts over ranks 1..G; smallest r with cum >= q * total
    return np.argmax(cum >= q * total - 1e-9, axis=1) + 1


def smaa(
    z: np.ndarray,
    weights: np.ndarray,
    *,
    method: str = "weighted_sum",
    draws: int = 10_000,
    seed: int = 0,
    concentration: float = 30.0,
    top_k: int = 5,
    interval: float = 0.90,
    tol: float = 1e-9,
    block: int = 1000,
    flows: np.ndarray | None = None,
    promethee: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Rank acceptability under weight uncertainty.

    Parameters
    ----------
    z : ndarray (G, C)
        Normalised criteria.
    weights : ndarray (C,)
        Agreed weights (any positive scale).
    method : str
        One of ``weighted_sum``, ``topsis``, ``promethee_ii``.
    draws, seed, concentration, top_k, interval, tol
        Number of Dirichlet draws, random seed, Dirichlet concentration, k of P(top-k),
        central probability of the rank interval, score tie tolerance.
    progress : callable, optional
        Called as ``progress(done, total)`` after each block of draws.

    Returns
    -------
    DataFrame
        One row per gap (order of ``z``): ``median_rank, rank_low, rank_high, p_top_1,
        p_top_k, mean_rank``.

    Examples
    --------
    >>> z = np.array([[1.0, 1.0], [0.0, 0.0], [0.5, 0.2]])  # gap 2 dominated by gap 1
    >>> r = smaa(z, np.array([0.5, 0.5]), draws=200, top_k=1)
    >>> r["p_top_1"].tolist(), r["median_rank"].tolist()
    ([1.0, 0.0, 0.0], [1, 3, 2])
    """
    z = np.asarray(z, dtype=float)
    g = z.shape[0]
    if draws < 1:
        raise bad_parameter("draws", "smaa", "a positive number of draws", draws)
    if method not in METHODS:
        raise bad_parameter("method", "smaa", f"one of {METHODS}", method)
    rng = np.random.default_rng(seed)
    hist = np.zeros(g * g, dtype=np.int64)
    offsets = np.arange(g) * g
    done = 0
    while done < draws:
        n = min(block, draws - done)
        w = dirichlet_weights(weights, draws=n, concentration=concentration, rng=rng)
        s = scores_for(method, z, w, flows=flows, **(promethee or {}))
        r = rank_scores(s, tol=tol)  # (n, G)
        hist += np.bincount((offsets[None, :] + r - 1).ravel(), minlength=g * g)
        done += n
        if progress is not None:
            progress(done, draws)
    hist = hist.reshape(g, g)
    cum = hist.cumsum(axis=1)
    alpha = (1 - interval) / 2
    k = min(max(int(top_k), 1), g)
    return pd.DataFrame(
        {
            "median_rank": _quantile_from_hist(cum, draws, 0.5),
            "rank_low": _quantile_from_hist(cum, draws, alpha),
            "rank_high": _quantile_from_hist(cum, draws, 1 - alpha),
            "p_top_1": hist[:, 0] / draws,
            "p_top_k": cum[:, k - 1] / draws,
            "mean_rank": (hist * np.arange(1, g + 1)).sum(axis=1) / draws,
        }
    )


def method_agreement(scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """Kendall's tau-b between the scores of each pair of methods.

    Examples
    --------
    >>> method_agreement({"a": np.array([1, 2, 3.]), "b": np.array([1, 3, 2.])})["tau"].round(3).tolist()
    [0.333]
    """
    names = list(scores)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            res = stats.kendalltau(scores[a], scores[b])
            rows.append(
                {
                    "method_a": a,
                    "method_b": b,
                    "tau": float(res.statistic),
                    "p_value": float(res.pvalue),
                }
            )
    return pd.DataFrame(rows, columns=["method_a", "method_b", "tau", "p_value"])


def leave_one_out(
    z: np.ndarray,
    weights: np.ndarray,
    names: list[str],
    *,
    method: str = "weighted_sum",
    tol: float = 1e-9,
    flows: np.ndarray | None = None,
    promethee: dict | None = None,
) -> pd.DataFrame:
    """Ranks with each positively weighted criterion removed (others rescaled to sum to 1).

    Returns a long frame ``position, criterion_left_out, rank, base_rank, rank_change``
    (``position`` = row of ``z``; rank_change > 0 = the gap moves down without it).
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    base = rank_scores(scores_for(method, z, w, flows=flows, **(promethee or {})), tol=tol)
    frames = []
    active = np.flatnonzero(w > 0)
    if active.size < 2:
        return pd.DataFrame(
            columns=["position", "criterion_left_out", "rank", "base_rank", "rank_change"]
        )
    for j in active:  # one pass per criterion (a handful), each fully vectorised
        wj = w.copy()
        wj[j] = 0.0
        wj /= wj.sum()
        r = rank_scores(scores_for(method, z, wj, flows=flows, **(promethee or {})), tol=tol)
        frames.append(
            pd.DataFrame(
                {
                    "position": np.arange(len(r)),
                    "criterion_left_out": names[j],
                    "rank": r,
                    "base_rank": base,
                    "rank_change": r - base,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
