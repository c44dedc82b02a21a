"""Post-stratification and raking to known population margins.

Weights are raked by iterative proportional fitting (Deming & Stephan 1940; R
``survey::rake``); post-stratification is raking on one margin (R ``postStratify``).
Variances use the calibration residuals (Deville & Särndal 1992; R ``svyrecvar`` with
``postStrata``): the influence values are replaced by ``z_i − w_i x_iᵀ B`` with
``B = (Σ w x xᵀ)⁻ Σ x z`` and ``x`` the margin indicators, applied to the first-stage PSU
totals (a second-stage term, if any, is left unadjusted). Replicate designs are
re-calibrated replicate by replicate, so their variances need no adjustment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gender_diag.design._kernel import group_sum
from gender_diag.errors import DesignError, bad_parameter


def _margin_codes(design, column: str, counts, owner: str):
    data = design.data
    if column not in data.columns:
        raise DesignError(f"{owner}: the column {column!r} is not in the design data.")
    if isinstance(counts, pd.Series):
        counts = counts.to_dict()
    if not isinstance(counts, dict) or not counts:
        raise bad_parameter("counts", owner, "a dict {category: population count}", counts)
    levels = list(counts)
    totals = np.array([float(counts[lv]) for lv in levels])
    if np.any(~np.isfinite(totals)) or np.any(totals <= 0):
        raise DesignError(
            f"{owner}: population counts for {column!r} must be positive numbers; got {counts!r}."
        )
    values = data[column]
    lookup = {lv: i for i, lv in enumerate(levels)}
    codes = values.map(lookup).to_numpy(dtype=float, na_value=np.nan)
    codes = np.where(np.isfinite(codes), codes, -1).astype(np.int64)
    bad = (codes < 0) & (design.weights > 0)
    if bad.any():
        seen = sorted(map(str, pd.unique(values[bad].astype(object))))[:10]
        raise DesignError(
            f"{owner}: {int(bad.sum())} rows of {column!r} have a value with no population "
            f"count (e.g. {seen}). Rule: every sampled category needs a count. Fix: add the "
            f"count, or recode the category."
        )
    codes = np.where(codes < 0, 0, codes)
    return codes, totals


def _ipf(weights: np.ndarray, margins, max_iter: int, tol: float, owner: str) -> np.ndarray:
    """Rake the columns of ``weights`` (n × R) to every margin; returns adjusted weights."""
    w = weights.copy()
    for _ in range(max_iter):
        worst = 0.0
        for codes, totals in margins:
            current = group_sum(codes, totals.size, w)
            if np.any(current <= 0):
                raise DesignError(
                    f"{owner}: a calibration cell has no sampled weight; raking cannot "
                    f"reach its population count. Fix: collapse that category."
                )
            factor = totals[:, None] / current
            worst = max(worst, float(np.max(np.abs(factor - 1))))
            w *= factor[codes]
        if worst < tol:
            return w
    raise DesignError(
        f"{owner}: raking did not converge in {max_iter} iterations (largest margin "
        f"discrepancy {worst:.2e}). Fix: check that the margins are consistent (equal "
        f"grand totals) or raise max_iter."
    )


def rake(
    design,
    margins: dict,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    _owner: str = "SurveyDesign.rake",
):
    """Calibrate the weights to known margins by raking; returns a new design.

    Parameters
    ----------
    design : SurveyDesign
    margins : dict
        ``{column: {category: population count}}``; every sampled category needs a count.
    max_iter, tol : int, float
        Iteration limit and convergence tolerance (largest relative margin discrepancy).

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"s": ["a", "a", "b"], "y": [1.0, 2.0, 3.0], "w": 1.0})
    >>> d = SurveyDesign(df, weight="w").poststratify("s", {"a": 10, "b": 30})
    >>> d.weights.tolist()
    [5.0, 5.0, 30.0]
    """
    if not isinstance(margins, dict) or not margins:
        raise bad_parameter("margins", _owner, "a dict {column: {category: count}}", margins)
    prior = [] if design._calib is None else design._calib["margins"]
    new_margins = [_margin_codes(design, col, cnt, _owner) for col, cnt in margins.items()]
    w = design.weights
    g_w = _ipf(w[:, None], new_margins, max_iter, tol, _owner)[:, 0]
    new = design._copy()
    new._w = g_w
    all_margins = prior + new_margins
    rep = design._rep
    if rep is not None:
        new._rep = _recalibrate_replicates(rep, w, g_w, new_margins, max_iter, tol, _owner)
        new._calib = None
        return new
    new._calib = _calibration_state(new, all_margins)
    return new


def _calibration_state(design, margins) -> dict:
    n = design.weights.size
    offsets = np.concatenate([[0], np.cumsum([t.size for _, t in margins])])
    q_total = int(offsets[-1])
    rows = np.concatenate([np.arange(n)] * len(margins))
    cols = np.concatenate([codes + offsets[i] for i, (codes, _) in enumerate(margins)])
    x = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, q_total))
    w = design.weights
    gram = (x.T @ x.multiply(w[:, None])).toarray()
    wx_psu = np.asarray(
        group_sum(design._stage1.unit, design._stage1.n_units, x.multiply(w[:, None]).toarray())
    )
    state = {
        "margins": margins,
        "x_cols": cols,
        "x_rows": rows,
        "q": q_total,
        "pinv": np.linalg.pinv(gram),
        "wx_psu": wx_psu,
    }
    s2 = design._stage2
    if s2 is not None:
        wx_ssu = np.asarray(group_sum(s2.unit, s2.n_units, x.multiply(w[:, None]).toarray()))
        state["wx_ssu"] = wx_ssu
        state["k2"] = wx_ssu.T @ (wx_ssu * s2.scale[:, None])
    return state


class _XCells:
    """Group sums by calibration cell × domain (a row belongs to one cell per margin)."""

    def __init__(self, matrix):
        self.matrix = matrix

    def sums(self, x):
        return np.asarray(self.matrix @ x)


def cells(design, codes, n_domains):
    """Sparse ``(Q·G × n)`` matrix summing rows by calibration cell × domain."""
    cal = design._calib
    rows = cal["x_rows"]
    dom = codes[rows]
    keep = dom >= 0
    key = cal["x_cols"][keep] * n_domains + dom[keep]
    matrix = sp.csr_matrix(
        (np.ones(key.size), (key, rows[keep])), shape=(cal["q"] * n_domains, codes.size)
    )
    return _XCells(matrix)


def residuals(design, z):
    """Calibration residuals ``z − w x Bᵀ`` of row-level weighted influence values (n × p)."""
    cal = design._calib
    n = z.shape[0]
    x = sp.csr_matrix(
        (np.ones(cal["x_rows"].size), (cal["x_rows"], cal["x_cols"])), shape=(n, cal["q"])
    )
    beta = cal["pinv"] @ np.asarray(x.T @ z)
    return z - design.weights[:, None] * np.asarray(x @ beta)


def stage2_terms(design, beta, cell_unit, cell_target, cell_totals, n_targets):
    """Second-stage corrections for calibration residuals.

    With SSU totals ``t_s`` and corrections ``C_s = (w x)_sᵀ B``,
    ``Σ_s c_s (t_s − C_s)² = Σ c t² − 2 Σ c t C + Bᵀ K B`` with ``K = Σ_s c_s (wx)_s (wx)_sᵀ``;
    returns ``(−2 Σ c t C + Bᵀ K B)`` as an array (T, kc). Only SSU × target cells that
    hold sample rows enter the cross term (``t_s = 0`` elsewhere).
    """
    cal = design._calib
    s2 = design._stage2
    kc = cell_totals.shape[1]
    b = beta.reshape(cal["q"], n_targets, kc)
    quad = np.einsum("qtj,qr,rtj->tj", b, cal["k2"], b)
    corr = np.zeros_like(cell_totals)
    wx = cal["wx_ssu"][cell_unit]
    for q in range(cal["q"]):  # Q calibration cells (a handful), not rows or PSUs
        corr += wx[:, q][:, None] * b[q][cell_target]
    weighted = s2.scale[cell_unit][:, None] * cell_totals * corr
    cross = group_sum(cell_target, n_targets, weighted)
    return quad - 2 * cross


def _recalibrate_replicates(rep, w, g_w, margins, max_iter, tol, owner):
    from gender_diag.design.survey import _Replicates

    if rep.dense is not None:
        dense = _ipf(rep.dense, margins, max_iter, tol, owner)
        return _Replicates(None, None, dense, rep.kind, rep.scale, rep.rscales, rep.mse)
    # Rows sharing a replicate pattern and a margin-cell combination share every factor.
    combo = np.zeros(w.size, dtype=np.int64)
    for codes, totals in margins:
        combo = combo * totals.size + codes
    key, uniques = pd.factorize(rep.codes.astype(np.int64) * (int(combo.max()) + 1) + combo)
    n_key = uniques.size
    _, first = np.unique(key, return_index=True)
    pat = rep.codes[first]
    base = group_sum(key, n_key, w)
    cell_w = base[:, None] * rep.factors[pat]
    cell_margins = [(codes[first], totals) for codes, totals in margins]
    raked = _ipf(cell_w, cell_margins, max_iter, tol, owner)
    g_full = g_w[first] / w[first]
    factors = raked / base[:, None] / g_full[:, None]
    return _Replicates(
        key.astype(np.int64), factors, None, rep.kind, rep.scale, rep.rscales, rep.mse
    )
