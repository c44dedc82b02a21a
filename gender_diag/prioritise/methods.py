"""Normalisation and the three multi-criteria scoring methods, vectorised over weight draws.

Every method takes a normalised matrix ``z`` (gaps × criteria, higher = more urgent) and
either one weight vector (shape ``(C,)``) or a stack of weight draws (shape ``(D, C)``) and
returns scores of shape ``(G,)`` or ``(D, G)``: higher score = higher priority. Scores for all
draws come from matrix products, never from a loop over draws.

* Weighted sum: :math:`S_i = \\sum_j w_j z_{ij}` — the transparent default; it decomposes
  exactly into criterion contributions :math:`w_j z_{ij}`.
* TOPSIS (Hwang & Yoon 1981): with :math:`v_{ij} = w_j z_{ij}`, ideal
  :math:`v^+_j = \\max_i v_{ij}`, anti-ideal :math:`v^-_j = \\min_i v_{ij}`,
  :math:`S_i = D^-_i / (D^+_i + D^-_i)`. Because :math:`w_j \\ge 0`,
  :math:`(D^+_i)^2 = \\sum_j w_j^2 (z_{ij} - \\max_k z_{kj})^2`: one matrix product with the
  squared weights gives the distances for all draws. No further normalisation is applied
  (pymcdm's ``TOPSIS`` re-normalises by min–max, which leaves [0, 1] min–max columns unchanged).
* PROMETHEE II (Brans & Vincke 1985): net flow
  :math:`\\phi_i = \\sum_j w_j \\phi_{ij}`, with the unicriterion net flow
  :math:`\\phi_{ij} = \\frac{1}{n-1} \\sum_k [P_j(z_{ij} - z_{kj}) - P_j(z_{kj} - z_{ij})]`
  and :math:`P_j` the preference function (pymcdm's definitions: usual, ushape, vshape, level,
  vshape_2). Linear in the weights, so again one matrix product.

Both TOPSIS and PROMETHEE II are checked against ``pymcdm`` in the tests.
"""

from __future__ import annotations

import numpy as np

from gender_diag.errors import bad_parameter

METHODS = ("weighted_sum", "topsis", "promethee_ii")
_ALIASES = {"promethee": "promethee_ii", "wsm": "weighted_sum", "weighted-sum": "weighted_sum"}


def method_name(method: str) -> str:
    """Canonical method name (accepts ``promethee`` for ``promethee_ii``)."""
    m = _ALIASES.get(str(method).lower(), str(method).lower())
    if m not in METHODS:
        raise bad_parameter(
            "method", "rank_gaps", "'weighted_sum', 'topsis' or 'promethee'", method
        )
    return m


# Relative range below which a criterion column is constant (rounding noise, not information).
_NEAR_CONSTANT = 1e-12


def normalise_column(
    x: np.ndarray, how: str = "minmax", *, value_range: tuple[float, float] | None = None
) -> np.ndarray:
    """Put one criterion on a common scale; NaN stays NaN.

    ``minmax``: :math:`(x - \\min x) / (\\max x - \\min x)`; a constant column becomes 0.5
    (it then shifts every score by the same amount). A column is treated as constant when its
    range is below :math:`10^{-12}` of its largest magnitude, and subnormal values (below
    ``numpy.finfo(float).tiny``) count as zero: they carry no significant digits, so scaling
    them (or the rest of the column) would otherwise turn rounding noise into a full 0-1 spread. ``vector``:
    :math:`x / \\sqrt{\\sum x^2}` (Hwang & Yoon 1981). ``fixed``: :math:`(x - a) / (b - a)` with
    ``value_range = (a, b)``, clipped to [0, 1].

    Examples
    --------
    >>> normalise_column(np.array([2.0, 4.0, 6.0])).tolist()
    [0.0, 0.5, 1.0]
    >>> normalise_column(np.array([3.0, 4.0]), "vector").tolist()
    [0.6, 0.8]
    >>> normalise_column(np.array([1.0, 3.0, 5.0]), "fixed", value_range=(1, 5)).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    if how == "fixed":
        if value_range is None:
            raise bad_parameter("value_range", "normalise_column", "(low, high)", None)
        a, b = value_range
        return np.clip((x - a) / (b - a), 0.0, 1.0)
    if not ok.any():
        return x.copy()
    x = np.where(np.abs(x) < np.finfo(float).tiny, 0.0, x)
    if how == "minmax":
        lo, hi = np.nanmin(x), np.nanmax(x)
        if hi - lo <= _NEAR_CONSTANT * max(abs(lo), abs(hi)):
            return np.where(ok, 0.5, np.nan)
        return (x - lo) / (hi - lo)
    if how == "vector":
        norm = np.sqrt(np.nansum(x**2))
        return x / norm if norm > 0 else np.where(ok, 0.0, np.nan)
    raise bad_parameter("how", "normalise_column", "'minmax', 'vector' or 'fixed'", how)


def _as_draws(weights: np.ndarray) -> tuple[np.ndarray, bool]:
    w = np.asarray(weights, dtype=float)
    return (w[None, :], True) if w.ndim == 1 else (w, False)


def weighted_sum(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted sum of normalised criteria; ``weights`` (C,) or (D, C).

    Examples
    --------
    >>> z = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> weighted_sum(z, np.array([0.7, 0.3])).tolist()
    [0.7, 0.5, 0.3]
    """
    w, single = _as_draws(weights)
    s = w @ np.asarray(z, dtype=float).T
    return s[0] if single else s


def topsis(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """TOPSIS closeness coefficient on an already normalised matrix.

    Examples
    --------
    >>> z = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> topsis(z, np.array([0.5, 0.5])).round(3).tolist()
    [0.5, 0.5, 0.5]
    """
    z = np.asarray(z, dtype=float)
    w, single = _as_draws(weights)
    if z.shape[0] == 0:
        return np.zeros(0) if single else np.zeros((w.shape[0], 0))
    w2 = (w**2).T  # (C, D)
    dp = np.sqrt(((z - z.max(axis=0)) ** 2) @ w2)  # (G, D)
    dm = np.sqrt(((z - z.min(axis=0)) ** 2) @ w2)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(dp + dm > 0, dm / (dp + dm), 0.5).T
    return s[0] if single else s


def _preference(d: np.ndarray, kind: str, p: float, q: float) -> np.ndarray:
    # pymcdm.methods.partial.promethee_i._PreferenceFunctions, written for arrays
    if kind == "usual":
        return (d > 0).astype(float)
    if kind == "ushape":
        return (d > q).astype(float)
    if kind == "vshape":
        return np.where(d > p, 1.0, np.where(d > 0, d / p if p > 0 else 1.0, 0.0))
    if kind == "level":
        return np.where(d > p, 1.0, np.where(d > q, 0.5, 0.0))
    if kind == "vshape_2":
        return np.where(d > p, 1.0, np.where(d > q, (d - q) / (p - q) if p > q else 1.0, 0.0))
    raise bad_parameter("preference", "promethee_ii", "usual/ushape/vshape/level/vshape_2", kind)


def unicriterion_flows(
    z: np.ndarray, *, preference: str = "vshape", p: float = 0.5, q: float = 0.0
) -> np.ndarray:
    """PROMETHEE unicriterion net flows :math:`\\phi_{ij}`, shape (G, C).

    Loops over the (few) criteria only; each criterion's G × G difference table is one array.
    """
    z = np.asarray(z, dtype=float)
    n, c = z.shape
    if n < 2:
        return np.zeros_like(z)
    out = np.empty_like(z)
    for j in range(c):
        d = z[:, j, None] - z[None, :, j]  # d[a, b] = z_a - z_b
        pref = _preference(d, preference, p, q)
        out[:, j] = (pref.sum(axis=1) - pref.sum(axis=0)) / (n - 1)
    return out


def promethee_ii(
    z: np.ndarray,
    weights: np.ndarray,
    *,
    preference: str = "vshape",
    p: float = 0.5,
    q: float = 0.0,
    flows: np.ndarray | None = None,
) -> np.ndarray:
    """PROMETHEE II net flows; ``flows`` may pass precomputed :func:`unicriterion_flows`.

    Examples
    --------
    >>> z = np.array([[4, 3, 2], [3, 2, 4], [5, 1, 3]], dtype=float)
    >>> promethee_ii(z, np.array([0.5, 0.3, 0.2]), preference="usual").round(2).tolist()
    [0.1, -0.3, 0.2]
    """
    phi = flows if flows is not None else unicriterion_flows(z, preference=preference, p=p, q=q)
    return weighted_sum(phi, weights)


def scores_for(
    method: str, z: np.ndarray, weights: np.ndarray, *, flows=None, **promethee
) -> np.ndarray:
    """Dispatch to one of :data:`METHODS`."""
    m = method_name(method)
    if m == "weighted_sum":
        return weighted_sum(z, weights)
    if m == "topsis":
        return topsis(z, weights)
    return promethee_ii(z, weights, flows=flows, **promethee)


def rank_scores(scores: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """Ranks (1 = highest score) with the tie rule "ties share the best rank" (1, 2, 2, 4).

    Scores within ``tol`` of the next higher one are tied. Works on (G,) or row-wise on
    (D, G) through one argsort; NaN scores rank last.

    Examples
    --------
    >>> rank_scores(np.array([0.2, 0.9, 0.5, 0.5])).tolist()
    [4, 1, 2, 2]
    >>> rank_scores(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist()
    [[2, 1], [1, 2]]
    """
    s = np.asarray(scores, dtype=float)
    single = s.ndim == 1
    s2 = np.where(np.isnan(s), -np.inf, s)[None, :] if single else np.where(np.isnan(s), -np.inf, s)
    # the order inside a group of equal scores does not matter: the group gets its best rank
    order = np.argsort(-s2, axis=1)
    ss = np.take_along_axis(s2, order, axis=1)
    g = s2.shape[1]
    new = np.ones_like(ss, dtype=bool)
    with np.errstate(invalid="ignore"):
        new[:, 1:] = ~((ss[:, :-1] - ss[:, 1:]) <= tol)
    pos = np.where(new, np.arange(1, g + 1)[None, :], 0)
    start = np.maximum.accumulate(pos, axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, start, axis=1)
    return ranks[0] if single else ranks
