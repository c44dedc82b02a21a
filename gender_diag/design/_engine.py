"""Batched linearisation engine: many variables × many domains in one pass.

Every estimator of the design stage is a total ``Y = Σ w m a`` or a ratio of totals
``R = Σ w m a / Σ w m b`` per domain (means: ``b = 1``; proportions: ``a = 1[y = level]``;
Woodruff quantiles: ``a = 1[y ≤ q]``), where ``m`` is 1 when the row's values are present
(R ``na.rm=TRUE``). Its influence value on row *i* of domain *g* is

.. math::  z_i = w_i m_i (a_i - \\hat R_g b_i) / \\hat B_g   \\quad (z_i = w_i m_i a_i
           \\text{ for totals}),

zero outside the domain, and every PSU is kept (Lumley 2010 §2.3 and §3.4). The engine

1. materialises a few columns at a time (memory stays at a small multiple of ``n``),
2. takes one sparse group sum by domain (pass 1: totals, counts, estimates),
3. takes one sparse group sum by stratum × PSU × target domain of the influence values
   (pass 2) and applies the stage kernels of :mod:`gender_diag.design._kernel`;

replicate designs replace pass 2 by replicate totals ``F^T`` (group sum by replicate
pattern × domain). Contrasts between domains (gaps) are linear combinations of influence
values with per-domain coefficients and a target domain, handled in the same pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gender_diag.design import calibration
from gender_diag.design._kernel import group_sum, indicator_matrix

Column = Callable[[], tuple[np.ndarray, np.ndarray | None]]
_CELLS_PER_CHUNK = 16_000_000  # values materialised at once (≈128 MB per float array)


def _chunks(k: int, n: int):
    size = max(1, min(k, _CELLS_PER_CHUNK // max(n, 1)))
    for start in range(0, k, size):
        yield slice(start, min(k, start + size))


def _materialise(columns: list[Column], n: int):
    """Stack columns into ``a``, ``b`` (zeros where missing) and the presence mask ``m``."""
    pairs = [col() for col in columns]
    a = np.column_stack([p[0] for p in pairs]) if pairs else np.empty((n, 0))
    if all(p[1] is None for p in pairs):
        b = None
        m = np.isfinite(a)
    else:
        b = np.column_stack([np.ones(n) if p[1] is None else p[1] for p in pairs])
        m = np.isfinite(a) & np.isfinite(b)
        b = np.where(m, b, 0.0)
    a = np.where(m, a, 0.0)
    return a, b, m.astype(float)


class Contrast:
    """Linear combination of domain estimates: ``Σ_g coef[g, j] θ_gj`` into target ``t(g)``.

    Parameters
    ----------
    coef : ndarray (G, k)
        Coefficient of each domain's estimate (0 for domains not involved).
    target : ndarray of int (G,)
        Output row (0..T-1) each domain contributes to, −1 if none.
    n_targets : int
    """

    def __init__(self, coef: np.ndarray, target: np.ndarray, n_targets: int):
        self.coef = coef
        self.target = np.asarray(target, dtype=np.int64)
        self.n_targets = n_targets


def run(
    design,
    columns: list[Column],
    codes: np.ndarray,
    n_domains: int,
    *,
    total: bool = False,
    contrasts: Callable | None = None,
) -> dict:
    """Estimate every column in every domain, with Taylor or replicate variances.

    Parameters
    ----------
    design : SurveyDesign
    columns : list of callables
        Each returns ``(a, b)``: numerator values and denominator values (``None`` = 1),
        float arrays of length n with NaN for missing.
    codes : ndarray of int (n,)
        Domain of each row, −1 outside every domain.
    n_domains : int
    total : bool
        Estimate totals ``Σ w m a`` instead of ratios.
    contrasts : callable, optional
        ``contrasts(est) -> Contrast`` built from the full-sample estimates (G, k); its
        variance is returned as ``contrast_var`` (T, k) and, for replicate designs, its
        replicate values are computed from the replicate estimates by the caller.

    Returns
    -------
    dict with arrays (G, k): ``estimate, var, n, population, numerator, denominator, deff``;
    ``reps`` (R, G, k) for replicate designs; ``contrast_var`` (T, k) when asked.
    """
    n = design.weights.size
    w = design.weights
    k = len(columns)
    G = n_domains
    inside = codes >= 0
    safe = np.where(inside, codes, 0)
    dom = indicator_matrix(codes, G)
    rep = design._rep
    out = {
        key: np.full((G, k), np.nan)
        for key in ("estimate", "var", "n", "population", "numerator", "denominator", "deff")
    }
    if rep is not None:
        out["reps"] = np.full((rep.n_rep, G, k), np.nan)
    stash = []
    # Pass 1: domain totals (and replicate totals).
    for sl in _chunks(k, n):
        a, b, m = _materialise(columns[sl], n)
        wm = w[:, None] * m
        wa = w[:, None] * a
        num = np.asarray(dom @ wa)
        pop = np.asarray(dom @ wm)
        den = pop if (total or b is None) else np.asarray(dom @ (w[:, None] * b))
        out["numerator"][:, sl] = num
        out["denominator"][:, sl] = den
        out["population"][:, sl] = pop
        out["n"][:, sl] = np.asarray(dom @ m)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["estimate"][:, sl] = num if total else num / den
        if rep is not None:
            rnum = _replicate_domain_totals(rep, a, codes, G, w)
            if total:
                out["reps"][:, :, sl] = rnum
            else:
                rden = _replicate_domain_totals(rep, m if b is None else b, codes, G, w)
                with np.errstate(divide="ignore", invalid="ignore"):
                    out["reps"][:, :, sl] = rnum / rden
        stash.append(sl)
    contrast = contrasts(out["estimate"]) if contrasts is not None else None
    if contrast is not None:
        out["contrast_var"] = np.full((contrast.n_targets, k), np.nan)
    # Pass 2: influence values → PSU totals → stage kernels; SRS variance for the deff.
    se2 = np.zeros((G, k))
    for sl in stash:
        a, b, m = _materialise(columns[sl], n)
        est = out["estimate"][:, sl]
        den = out["denominator"][:, sl]
        with np.errstate(divide="ignore", invalid="ignore"):
            if total:
                centre = np.nan_to_num(est / out["population"][:, sl])
                e = m * (a - centre[safe])
                z = w[:, None] * a
            else:
                bb = m if b is None else b
                e = a - np.nan_to_num(est)[safe] * bb
                z = w[:, None] * e * np.nan_to_num(1.0 / den)[safe]
        e[~inside] = 0.0
        z[~inside] = 0.0
        se2[:, sl] = np.asarray(dom @ (w[:, None] * e * e))
        if rep is None:
            out["var"][:, sl] = taylor_var(design, z, codes, G)
        if contrast is not None and rep is None:
            coef = contrast.coef[:, sl][safe]
            target = np.where(inside, contrast.target[safe], -1)
            out["contrast_var"][:, sl] = taylor_var(design, z * coef, target, contrast.n_targets)
    if rep is not None:
        out["var"] = rep.var(out["estimate"], out["reps"])
    out["deff"] = _deff(out, se2, total)
    return out


def _replicate_domain_totals(
    rep, x: np.ndarray, codes: np.ndarray, G: int, w: np.ndarray
) -> np.ndarray:
    """``Σ_i w_ri x_ij 1[codes_i = g]`` for every replicate: array (R, G, kc)."""
    kc = x.shape[1]
    if rep.dense is None:
        n_pat = rep.factors.shape[0]
        key = np.where(codes >= 0, rep.codes * G + codes, -1)
        by_pattern = group_sum(key, n_pat * G, w[:, None] * x).reshape(n_pat, G * kc)
        return (rep.factors.T @ by_pattern).reshape(rep.n_rep, G, kc)
    rows = np.flatnonzero(codes >= 0)
    cols = (codes[rows][:, None] * kc + np.arange(kc)[None, :]).ravel()
    mat = sp.csr_matrix((x[rows].ravel(), (np.repeat(rows, kc), cols)), shape=(codes.size, G * kc))
    return np.asarray(mat.T @ rep.dense).T.reshape(rep.n_rep, G, kc)


def taylor_var(design, z: np.ndarray, target: np.ndarray, n_targets: int) -> np.ndarray:
    """Taylor variance of the totals of ``z`` (n × kc) within each target domain: (T, kc).

    One sparse group sum by PSU × target; the second stage uses
    ``Σ_j (z_j − z̄)² = Σ_j z_j² − (Σ_j z_j)²/m`` over the SSU × target cells present, so
    absent cells cost nothing.
    """
    s1 = design._stage1
    T = n_targets
    kc = z.shape[1]
    key = np.where(target >= 0, s1.unit * T + target, -1)
    psu_tot = group_sum(key, s1.n_units * T, z).reshape(s1.n_units, T * kc)
    beta = None
    if design._calib is not None:
        psu_tot, beta = calibration.adjust_psu_totals(design, psu_tot, target, T, z)
    v = s1.var(psu_tot).reshape(T, kc)
    s2 = design._stage2
    if s2 is not None:
        key2 = np.where(target >= 0, s2.unit * T + target, -1)
        cell, uniques = pd.factorize(key2, use_na_sentinel=True)
        valid = uniques >= 0
        cell = np.where(key2 >= 0, cell, -1)
        ssu_tot = group_sum(cell, uniques.size, z)
        unit = np.where(valid, uniques // T, 0)
        tgt = np.where(valid, uniques % T, -1)
        scale = np.where(valid, s2.scale[unit], 0.0)
        first = group_sum(tgt, T, scale[:, None] * ssu_tot**2)
        if beta is not None:
            keep = valid
            first = first + calibration.stage2_terms(
                design, beta, unit[keep], tgt[keep], ssu_tot[keep], T
            )
        n_psu = s1.n_units
        psu_scale = np.zeros(n_psu)
        psu_scale[s2.unit_group] = s2.scale
        psu_adjust = np.zeros(n_psu, dtype=bool)
        psu_adjust[s2.unit_group] = s2.centre_zero
        m = np.maximum(s2.group_size, 1.0)
        factor = np.where(psu_adjust, 0.0, psu_scale / m)
        second = np.einsum("pj,p->j", psu_tot**2, factor).reshape(T, kc)
        v = v + first - second
    return np.maximum(v, 0.0)


def _deff(out: dict, se2: np.ndarray, total: bool) -> np.ndarray:
    """Design effect against SRS without replacement (R ``svymean(deff=TRUE)``).

    ``s² = n/(n−1) Σ w e² / N`` with ``e`` the linearised residual; ratios rescale by
    ``(N / B)²``; ``V_srs = s² (1 − n/N) / n`` (× ``N²`` for totals).
    """
    n = out["n"]
    pop = out["population"]
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = se2 / pop * n / (n - 1)
        if total:
            vsrs = pop**2 * s2 * (1 - n / pop) / n
        else:
            s2 = s2 * (pop / out["denominator"]) ** 2
            vsrs = s2 * (1 - n / pop) / n
        deff = out["var"] / vsrs
    return np.where(np.isfinite(deff), deff, np.nan)
