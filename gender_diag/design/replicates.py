"""Replicate weights created from a design: stratified jackknife and Rao–Wu bootstrap.

Factors are stored per PSU (``P × R``): replicate weight ``w_ri = w_i · F[psu_i, r]``, so
replicate totals cost one group sum by PSU × domain and one small matrix product.
"""

from __future__ import annotations

import numpy as np

from gender_diag.errors import DesignError

_MAX_JACKKNIFE_PSUS = 20_000  # P × R factor matrix must fit in memory


def _stratum_fractions(design) -> np.ndarray:
    """First-stage sampling fraction per stratum (0 without fpc)."""
    s1 = design._stage1
    if design._pop1 is None:
        return np.zeros(s1.n_groups)
    return s1.group_size / design._pop1


def jackknife_factors(design):
    """PSU factors (P × R), scale, rscales and type of the delete-one-PSU jackknife.

    JKn (R ``jknweights``): replicate *r* deletes PSU *r* of stratum *h*, the other PSUs of
    *h* get ``n_h/(n_h − 1)``; ``rscales_r = (1 − f_h)(n_h − 1)/n_h``, ``scale = 1``.
    JK1 (one stratum, R ``jk1weights``): ``scale = (1 − f)(R − 1)/R``, ``rscales = 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> from gender_diag.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 1, 1]}), weight="w")
    >>> f, scale, rscales, kind = jackknife_factors(d)
    >>> f.tolist(), round(scale, 4), kind
    ([[0.0, 1.5, 1.5], [1.5, 0.0, 1.5], [1.5, 1.5, 0.0]], 0.6667, 'JK1')
    """
    s1 = design._stage1
    n_psu = s1.n_units
    if n_psu > _MAX_JACKKNIFE_PSUS:
        raise DesignError(
            f"SurveyDesign.jackknife: {n_psu} PSUs would give {n_psu} replicates (limit "
            f"{_MAX_JACKKNIFE_PSUS}). Fix: declare psu= clusters, or use d.bootstrap()."
        )
    n_h = s1.group_size
    frac = _stratum_fractions(design)
    usable = n_h[s1.unit_group] >= 2
    rep_psu = np.flatnonzero(usable)
    rep_stratum = s1.unit_group[rep_psu]
    same = s1.unit_group[:, None] == rep_stratum[None, :]
    nh = n_h[rep_stratum]
    factors = np.where(same, (nh / (nh - 1))[None, :], 1.0)
    factors[rep_psu, np.arange(rep_psu.size)] = 0.0
    n_rep = rep_psu.size
    if n_rep < 2:
        raise DesignError(
            "SurveyDesign.jackknife: fewer than two replicates can be formed "
            "(every stratum has a single PSU)."
        )
    if s1.n_groups == 1:
        scale = (1 - frac[0]) * (n_rep - 1) / n_rep
        return factors, float(scale), np.ones(n_rep), "JK1"
    rscales = (1 - frac[rep_stratum]) * (nh - 1) / nh
    return factors, 1.0, rscales, "JKn"


def bootstrap_factors(design, replicates: int, seed: int) -> np.ndarray:
    """Rao–Wu rescaling bootstrap factors (P × R) with ``m_h = n_h − 1`` draws per stratum.

    ``F_hi = 1 − λ_h + λ_h (n_h / m_h) r_hi``, ``λ_h = sqrt(m_h (1 − f_h) / (n_h − 1))``
    (Rao, Wu & Yue 1992, eq. 2.4), ``r_hi`` the number of times PSU *i* was drawn. Strata
    with one PSU keep factor 1. Draws are vectorised over strata and replicates.
    """
    s1 = design._stage1
    n_h = s1.group_size.astype(np.int64)
    frac = _stratum_fractions(design)
    m_h = np.maximum(n_h - 1, 0)
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(n_h)])[:-1]
    draw_stratum = np.repeat(np.arange(n_h.size), m_h)
    u = rng.random((draw_stratum.size, replicates))
    # PSU codes are sorted by stratum (factorised on stratum × psu), so a stratum's PSUs
    # are the contiguous block offsets[h] .. offsets[h] + n_h - 1.
    psu = offsets[draw_stratum][:, None] + np.floor(u * n_h[draw_stratum][:, None]).astype(np.int64)
    key = psu * replicates + np.arange(replicates)[None, :]
    counts = np.bincount(key.ravel(), minlength=s1.n_units * replicates).reshape(
        s1.n_units, replicates
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.sqrt(np.where(n_h > 1, m_h * (1 - frac) / np.maximum(n_h - 1, 1), 0.0))
        mult = np.where(m_h > 0, n_h / np.maximum(m_h, 1), 0.0)
    lam_p = lam[s1.unit_group][:, None]
    return 1 - lam_p + lam_p * mult[s1.unit_group][:, None] * counts
