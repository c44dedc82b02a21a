"""Calibration: post-stratification, raking and linear (GREG) calibration, with variances.

Weights ``w = g · d`` (``d`` the design weights) are adjusted so that weighted totals of
auxiliary variables ``x`` hit known totals:

* raking to categorical margins by iterative proportional fitting (Deming & Stephan 1940;
  R ``survey::rake``); post-stratification is raking on one margin (R ``postStratify``);
* linear calibration (GREG; Deville & Särndal 1992; R ``calibrate(calfun="linear")``) to
  totals of numeric and categorical variables: ``g_i = 1 + x_iᵀ λ / σ²_i`` (``σ²_i`` the
  optional ``variance``, R ``calibrate(variance=)``), optionally bounded ``L ≤ g ≤ U``
  (R ``bounds=``; truncated linear distance solved by Newton steps as R ``grake``).

Variance (Taylor): the influence values ``z`` are replaced by the calibration residuals
``z − w xᵀ B`` with ``B = (Σ r x xᵀ / σ²)⁻ Σ r x e / σ²`` where ``e = z / w`` and ``r`` the
regression weights. ``residuals="design"`` (default) uses the pre-calibration design weights
``r = d`` — R's convention (``svyrecvar`` on ``calibrate()`` and ``rake()`` designs:
``qr(mm · sqrt(d))``); ``residuals="calibrated"`` uses the calibrated weights ``r = w``
(Särndal, Swensson & Wretman 1992, §6.6 variant). Post-stratification gives the same
variance under both (``g`` is constant within a post-stratum). When the control totals are
themselves estimated from an independent sample (``totals_vcov=`` their covariance), the
variance adds ``Bᵀ V(t̂_x) B`` (Dever & Valliant 2010, eq. 8). Replicate designs are
re-calibrated replicate by replicate, so they need no residuals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gender_diag.design._kernel import group_sum
from gender_diag.errors import DesignError, bad_parameter

RESIDUAL_WEIGHTS = ("design", "calibrated")


@dataclass(frozen=True)
class Calibration:
    """Everything the variance engine needs about a calibration (immutable).

    x : sparse (n × q) model matrix; reg_w : regression weights ``r/σ²`` per row;
    pinv : ``(Σ r x xᵀ/σ²)⁻``; wx_psu / wx_ssu : ``Σ w x`` by PSU / SSU (calibrated
    weights); k2 : second-stage ``Σ_s c_s (wx)_s (wx)_sᵀ``; totals_vcov : covariance of
    estimated control totals (q × q) or None; margins : categorical raking margins (kept to
    rake again); base : pre-calibration design weights.
    """

    x: sp.csr_matrix
    reg_w: np.ndarray
    pinv: np.ndarray
    wx_psu: np.ndarray
    wx_ssu: np.ndarray | None
    k2: np.ndarray | None
    totals_vcov: np.ndarray | None
    margins: tuple
    base: np.ndarray
    residuals: str

    @property
    def q(self) -> int:
        return self.x.shape[1]


# ---------------------------------------------------------------------- model matrices
def _margin_codes(design, column: str, counts, owner: str):
    data = design.data
    if column not in data.columns:
        raise DesignError(
            f"{owner}: the column {column!r} is not in the design data. Columns that exist: "
            f"{', '.join(map(str, list(data.columns)[:30]))}."
        )
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


def _indicators(margins, n: int) -> sp.csr_matrix:
    offsets = np.concatenate([[0], np.cumsum([t.size for _, t in margins])])
    rows = np.concatenate([np.arange(n)] * len(margins))
    cols = np.concatenate([codes + offsets[i] for i, (codes, _) in enumerate(margins)])
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, int(offsets[-1])))


def model_matrix(design, totals: Mapping, population, owner: str):
    """Model matrix (n × q) and control totals (q,) from ``{column: total or {level: total}}``.

    A numeric total names a numeric column (its population total); a dict of totals names a
    categorical column (one indicator per level); ``population`` adds an intercept column.
    """
    if not isinstance(totals, Mapping) or (not totals and population is None):
        raise bad_parameter("totals", owner, "a dict {column: total or {level: total}}", totals)
    n = design.weights.size
    cols, target = [], []
    if population is not None:
        cols.append(sp.csr_matrix(np.ones((n, 1))))
        target.append(float(population))
    for column, total in totals.items():
        if isinstance(total, Mapping | pd.Series):
            codes, counts = _margin_codes(design, column, total, owner)
            cols.append(_indicators([(codes, counts)], n))
            target.extend(counts.tolist())
            continue
        if column not in design.data.columns:
            raise DesignError(f"{owner}: the column {column!r} is not in the design data.")
        x = pd.to_numeric(design.data[column], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(x[design.weights > 0]).all():
            raise DesignError(
                f"{owner}: the calibration variable {column!r} has missing or non-numeric "
                "values. Rule: every sampled row needs its auxiliary values. Fix: impute them "
                "or drop the variable."
            )
        cols.append(sp.csr_matrix(np.nan_to_num(x)[:, None]))
        target.append(float(total))
    target = np.asarray(target, dtype=float)
    if not np.isfinite(target).all():
        raise DesignError(f"{owner}: every control total must be a finite number.")
    return sp.hstack(cols, format="csr"), target


# ---------------------------------------------------------------------- weights
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


def linear_g(x, d, target, *, bounds=(-np.inf, np.inf), sigma2=None, max_iter=50, tol=1e-7):
    """Calibration factors ``g = clip(1 + x λ / σ², L, U)`` with ``Σ d g x = target``.

    Newton iterations on λ with the Jacobian over rows inside the bounds (R ``grake`` with
    ``cal.linear``); convergence when every ``|misfit| / (1 + |target|) < tol``. Unbounded
    calibration converges in one step.

    Examples
    --------
    >>> x = sp.csr_matrix(np.array([[1.0, 1], [1, 2], [1, 3]]))
    >>> g = linear_g(x, np.ones(3), np.array([3.0, 7.0]))
    >>> np.round(g, 6).tolist()
    [0.5, 1.0, 1.5]
    """
    lo, hi = bounds
    s2 = np.ones(d.size) if sigma2 is None else sigma2
    lam = np.zeros(x.shape[1])
    for _ in range(max_iter):
        u = np.asarray(x @ lam) / s2
        g = np.clip(1 + u, lo, hi)
        misfit = target - np.asarray(x.T @ (d * g))
        if np.all(np.abs(misfit) / (1 + np.abs(target)) < tol):
            return g
        inside = ((1 + u) < hi) & ((1 + u) > lo)
        jac = (x.T @ x.multiply((d * inside / s2)[:, None])).toarray()
        lam = lam + np.linalg.pinv(jac, rcond=256 * np.finfo(float).eps) @ misfit
    raise DesignError(
        f"calibrate: the calibration did not converge in {max_iter} iterations (largest "
        f"relative misfit {float(np.max(np.abs(misfit) / (1 + np.abs(target)))):.2e}). "
        "Fix: widen the bounds, check the totals, or raise max_iter."
    )


# ---------------------------------------------------------------------- state
def _state(design, x, base, *, residuals, sigma2, totals_vcov, margins) -> Calibration:
    """Variance state of a calibrated design whose weights are already set."""
    if residuals not in RESIDUAL_WEIGHTS:
        raise bad_parameter("residuals", "calibration", "'design' or 'calibrated'", residuals)
    w = design.weights
    reg = (base if residuals == "design" else w) / (1.0 if sigma2 is None else sigma2)
    gram = (x.T @ x.multiply(reg[:, None])).toarray()
    wx = x.multiply(w[:, None]).tocsr()
    s1, s2 = design.stage1, design.stage2
    wx_psu = np.asarray(group_sum(s1.unit, s1.n_units, wx.toarray()))
    wx_ssu = k2 = None
    if s2 is not None:
        wx_ssu = np.asarray(group_sum(s2.unit, s2.n_units, wx.toarray()))
        k2 = wx_ssu.T @ (wx_ssu * s2.scale[:, None])
    return Calibration(
        x=x.tocsr(),
        reg_w=reg,
        pinv=np.linalg.pinv(gram),
        wx_psu=wx_psu,
        wx_ssu=wx_ssu,
        k2=k2,
        totals_vcov=totals_vcov,
        margins=tuple(margins),
        base=base,
        residuals=residuals,
    )


def _stack(prior: Calibration | None, x):
    """Joint projection on earlier and new calibration variables."""
    return x if prior is None else sp.hstack([prior.x, x], format="csr")


def _stack_vcov(prior: Calibration | None, q_new: int, vcov):
    old = None if prior is None else prior.totals_vcov
    if old is None and vcov is None:
        return None
    q_old = 0 if prior is None else prior.q
    out = np.zeros((q_old + q_new, q_old + q_new))
    if old is not None:
        out[:q_old, :q_old] = old
    if vcov is not None:
        out[q_old:, q_old:] = vcov
    return out


def rake(
    design,
    margins: dict,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    residuals: str = "design",
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
    residuals : {"design", "calibrated"}
        Weights of the variance's residual regression: pre-calibration design weights
        (R's convention, default) or the raked weights.

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
    prior = design.calibration
    new_margins = [_margin_codes(design, col, cnt, _owner) for col, cnt in margins.items()]
    w = design.weights
    g_w = _ipf(w[:, None], new_margins, max_iter, tol, _owner)[:, 0]
    rep = design.replicates
    if rep is not None:
        new_rep = _recalibrate_replicates(rep, w, g_w, new_margins, max_iter, tol, _owner)
        return design.evolve(weights=g_w, replicates=new_rep, calibration=None)
    base = w if prior is None else prior.base
    x_new = _indicators(new_margins, w.size)
    new = design.evolve(weights=g_w)
    state = _state(
        new,
        _stack(prior, x_new),
        base,
        residuals=residuals,
        sigma2=None,
        totals_vcov=_stack_vcov(prior, x_new.shape[1], None),
        margins=(() if prior is None else prior.margins) + tuple(new_margins),
    )
    return new.evolve(calibration=state)


def calibrate(
    design,
    totals: Mapping,
    *,
    population: float | None = None,
    bounds=(-np.inf, np.inf),
    variance=None,
    residuals: str = "design",
    totals_vcov=None,
    trim=None,
    max_iter: int = 50,
    tol: float = 1e-7,
):
    """Linear (GREG) calibration to totals of numeric and categorical variables.

    Parameters
    ----------
    design : SurveyDesign
    totals : dict
        ``{numeric column: population total, categorical column: {level: count}}``.
    population : float, optional
        Population size: adds an intercept (R ``calibrate(d, ~x, c(N, T_x))``).
    bounds : (float, float)
        Bounds ``L ≤ g ≤ U`` of the calibration factors (R ``bounds=``).
    variance : str or array_like, optional
        Heteroskedasticity ``σ²_i`` of the calibration model (R ``variance=``): a column
        name, an array, or None (constant). ``variance=`` the auxiliary column with the
        model ``~x − 1`` gives the ratio estimator.
    residuals : {"design", "calibrated"}
        Weights of the residual regression in the variance (R's convention: "design").
    totals_vcov : array_like (q × q), optional
        Covariance of the control totals when they are estimates from an independent sample
        (order: intercept if any, then ``totals`` with one entry per category); adds
        ``Bᵀ V B`` to every variance. None: the totals are known population values.
    trim : (float, float), optional
        Trim the factors to ``[lower, upper]`` after calibrating and spread the trimmed
        weight evenly over the untrimmed factors (R ``calibrate(trim=)``); the weight total
        is kept, the other totals then hold only approximately.

    Returns
    -------
    SurveyDesign
        Calibrated design (weights ``g · d``).
    """
    owner = "SurveyDesign.calibrate"
    if design.replicates is not None:
        raise DesignError(
            f"{owner}: linear calibration of replicate designs is not implemented. Fix: "
            "calibrate the Taylor design (replicates are then not needed), or use rake()."
        )
    lo, hi = (float(b) for b in bounds)
    if not lo < 1 < hi:
        raise bad_parameter("bounds", owner, "(lower < 1, upper > 1)", bounds)
    x, target = model_matrix(design, totals, population, owner)
    sigma2 = _sigma2(design, variance, owner)
    d = design.weights
    g = linear_g(x, d, target, bounds=(lo, hi), sigma2=sigma2, max_iter=max_iter, tol=tol)
    if trim is not None:
        g = trim_factors(g, d, trim)
    prior = design.calibration
    vcov = None
    if totals_vcov is not None:
        vcov = np.asarray(totals_vcov, dtype=float).reshape(target.size, target.size)
    base = d if prior is None else prior.base
    new = design.evolve(weights=d * g)
    state = _state(
        new,
        _stack(prior, x),
        base,
        residuals=residuals,
        sigma2=sigma2,
        totals_vcov=_stack_vcov(prior, target.size, vcov),
        margins=() if prior is None else prior.margins,
    )
    return new.evolve(calibration=state)


def trim_factors(g: np.ndarray, d: np.ndarray, trim) -> np.ndarray:
    """Clip ``g`` to ``trim`` and add ``Σ (g − g') d / Σ_untrimmed d`` to the untrimmed factors.

    Examples
    --------
    >>> trim_factors(np.array([0.5, 1.0, 3.0]), np.ones(3), (0.8, 2.0)).tolist()
    [0.8, 1.7, 2.0]
    """
    lo, hi = (float(t) for t in trim)
    new = np.clip(g, lo, hi)
    outside = (g < lo) | (g > hi)
    if outside.any() and (~outside).any():
        new[~outside] += float(((g - new) * d).sum()) / float(d[~outside].sum())
    return new


def _sigma2(design, variance, owner):
    if variance is None:
        return None
    if isinstance(variance, str):
        variance = design.data[variance]
    s2 = np.asarray(pd.to_numeric(pd.Series(np.asarray(variance)), errors="coerce"), dtype=float)
    if s2.shape != design.weights.shape or not np.all(np.isfinite(s2) & (s2 > 0)):
        raise bad_parameter("variance", owner, "positive numbers, one per row", "other values")
    return s2


# ---------------------------------------------------------------------- variance helpers
class _XCells:
    """Group sums by calibration variable × domain (``X_dᵀ v`` for each domain ``d``)."""

    def __init__(self, matrix):
        self.matrix = matrix

    def sums(self, x):
        return np.asarray(self.matrix @ x)


def cells(cal: Calibration, codes, n_domains):
    """Sparse ``(Q·G × n)`` matrix: row ``q·G + g`` holds ``x_iq`` for the rows of domain g."""
    x = cal.x.tocoo()
    dom = codes[x.row]
    keep = dom >= 0
    key = x.col[keep] * n_domains + dom[keep]
    matrix = sp.csr_matrix(
        (x.data[keep], (key, x.row[keep])), shape=(cal.q * n_domains, codes.size)
    )
    return _XCells(matrix)


def coefficients(design, z):
    """Residual-regression coefficients ``B`` (q × p) of row-level influence values ``z``."""
    cal = design.calibration
    w = design.weights
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(w[:, None] > 0, z / w[:, None], 0.0)
    return cal.pinv @ np.asarray(cal.x.T @ (cal.reg_w[:, None] * e))


def residuals(design, z):
    """Calibration residuals ``z − w x Bᵀ`` of row-level weighted influence values (n × p)."""
    beta = coefficients(design, z)
    return z - design.weights[:, None] * np.asarray(design.calibration.x @ beta)


def totals_term(cal: Calibration, beta: np.ndarray) -> np.ndarray:
    """``Bᵀ V(t̂_x) B`` for coefficient arrays ``beta`` (q, T, kc) → (T, kc)."""
    if cal.totals_vcov is None:
        return 0.0
    return np.einsum("qtj,qr,rtj->tj", beta, cal.totals_vcov, beta)


def stage2_terms(design, beta, cell_unit, cell_target, cell_totals, n_targets):
    """Second-stage corrections for calibration residuals.

    With SSU totals ``t_s`` and corrections ``C_s = (w x)_sᵀ B``,
    ``Σ_s c_s (t_s − C_s)² = Σ c t² − 2 Σ c t C + Bᵀ K B`` with ``K = Σ_s c_s (wx)_s (wx)_sᵀ``;
    returns ``(−2 Σ c t C + Bᵀ K B)`` as an array (T, kc). Only SSU × target cells that
    hold sample rows enter the cross term (``t_s = 0`` elsewhere).
    """
    cal = design.calibration
    s2 = design.stage2
    kc = cell_totals.shape[1]
    b = beta.reshape(cal.q, n_targets, kc)
    quad = np.einsum("qtj,qr,rtj->tj", b, cal.k2, b)
    corr = np.zeros_like(cell_totals)
    wx = cal.wx_ssu[cell_unit]
    for q in range(cal.q):  # Q calibration variables (a handful), not rows or PSUs
        corr += wx[:, q][:, None] * b[q][cell_target]
    weighted = s2.scale[cell_unit][:, None] * cell_totals * corr
    cross = group_sum(cell_target, n_targets, weighted)
    return quad - 2 * cross


def _recalibrate_replicates(rep, w, g_w, margins, max_iter, tol, owner):
    if rep.dense is not None:
        return rep.with_factors(None, None, _ipf(rep.dense, margins, max_iter, tol, owner))
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
    return rep.with_factors(key.astype(np.int64), factors)
