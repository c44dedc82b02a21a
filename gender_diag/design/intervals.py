"""Confidence intervals for design-based estimates.

Proportion intervals follow R ``survey::svyciprop`` and Stata ``svy: proportion``:

* ``logit`` (default, Stata): ``expit(logit(p) ± q · se / (p (1 - p)))``;
* ``wilson``: Wilson score interval with the effective sample size
  ``n_eff = p (1 - p) / se²`` (Kish);
* ``korn-graubard``: Clopper–Pearson (beta) limits with ``n_eff`` multiplied by
  ``(t_{n-1} / t_df)²`` (Korn & Graubard 1998; R ``svyciprop(method="beta")``);
* ``clopper-pearson``: beta limits with the plain effective sample size;
* ``wald`` (also ``"mean"``, R's name): ``p ± q · se``, the only one that may leave [0, 1].

``q`` is the ``t`` quantile with the design degrees of freedom (``ci="t"``, the default) or
the normal quantile (``ci="normal"``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from gender_diag.errors import bad_parameter

PROPORTION_METHODS = ("logit", "wilson", "korn-graubard", "clopper-pearson", "wald", "mean")


def critical_value(df, *, confidence: float = 0.95, ci: str = "t") -> np.ndarray:
    """Two-sided critical value: ``t_{df}`` quantile, or normal when ``ci="normal"``.

    Examples
    --------
    >>> round(float(critical_value(10)), 4)
    2.2281
    >>> round(float(critical_value(10, ci="normal")), 4)
    1.96
    """
    if ci not in ("t", "normal"):
        raise bad_parameter("ci", "SurveyDesign estimators", "'t' or 'normal'", ci)
    if not 0 < confidence < 1:
        raise bad_parameter(
            "confidence", "SurveyDesign estimators", "a number in (0, 1)", confidence
        )
    alpha = 1.0 - confidence
    df = np.asarray(df, dtype=float)
    if ci == "normal":
        return np.full(df.shape, stats.norm.ppf(1 - alpha / 2))
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.t.ppf(1 - alpha / 2, np.maximum(df, 1)), np.nan)


def symmetric(estimate, se, q):
    """``estimate ± q · se``."""
    estimate = np.asarray(estimate, dtype=float)
    half = np.asarray(q) * np.asarray(se, dtype=float)
    return estimate - half, estimate + half


def proportion_ci(
    p, se, *, df, n=None, method: str = "logit", confidence: float = 0.95, ci: str = "t"
):
    """Confidence limits for proportions ``p`` with design standard errors ``se``.

    Parameters
    ----------
    p, se : array_like
        Estimated proportions and their design-based standard errors.
    df : array_like
        Design degrees of freedom.
    n : array_like, optional
        Unweighted sample sizes (used by ``korn-graubard`` for the ``t_{n-1}`` factor, and for
        the exact limit of an estimate of 0 or 1 under every method but Wald).
    method : str
        One of ``logit``, ``wilson``, ``korn-graubard``, ``clopper-pearson``, ``wald``/``mean``.
    confidence : float
        Confidence level (0.95).

    Returns
    -------
    (low, high) : tuple of ndarray
        Inside [0, 1] for every method except Wald.

    Examples
    --------
    >>> lo, hi = proportion_ci([0.5], [0.05], df=[1e9], method="logit", ci="normal")
    >>> [round(float(lo[0]), 4), round(float(hi[0]), 4)]
    [0.4032, 0.5968]
    >>> lo, hi = proportion_ci([0.0], [0.0], df=[10], method="korn-graubard")
    >>> [float(lo[0]), float(hi[0])]
    [0.0, 0.0]
    >>> lo, hi = proportion_ci([0.0, 1.0], [0.0, 0.0], df=[10, 10], n=[12, 12])
    >>> [round(float(x), 4) for x in (lo[0], hi[0], lo[1], hi[1])]
    [0.0, 0.2646, 0.7354, 1.0]
    """
    if method not in PROPORTION_METHODS:
        raise bad_parameter(
            "ci_method",
            "SurveyDesign.proportion",
            ", ".join(repr(m) for m in PROPORTION_METHODS),
            method,
        )
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), p.shape)
    q = critical_value(df, confidence=confidence, ci=ci)
    if method in ("wald", "mean"):
        return symmetric(p, se, q)
    degenerate = (se <= 0) | (p <= 0) | (p >= 1)
    low, high = _open_interval(method, p, se, q, df, n, confidence, ci)
    # A zero SE (e.g. a census domain) has a degenerate interval at the estimate.
    low = np.where(degenerate, np.clip(p, 0, 1), low)
    high = np.where(degenerate, np.clip(p, 0, 1), high)
    if n is not None:
        low, high = _exact_edges(p, n, low, high, confidence)
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def _open_interval(method, p, se, q, df, n, confidence, ci):
    """Limits of the logit, Wilson and beta intervals (estimates strictly inside (0, 1))."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "logit":
            eta = np.log(p / (1 - p))
            half = q * se / (p * (1 - p))
            return 1 / (1 + np.exp(-(eta - half))), 1 / (1 + np.exp(-(eta + half)))
        n_eff = p * (1 - p) / se**2
        if method == "wilson":
            k2 = q**2
            centre = (p + k2 / (2 * n_eff)) / (1 + k2 / n_eff)
            half = (np.sqrt(k2) / (1 + k2 / n_eff)) * np.sqrt(
                p * (1 - p) / n_eff + k2 / (4 * n_eff**2)
            )
            return centre - half, centre + half
        alpha = 1.0 - confidence
        if method == "korn-graubard" and ci == "t":
            n_obs = np.asarray(n if n is not None else np.inf, dtype=float)
            t_n = stats.t.ppf(alpha / 2, np.maximum(n_obs - 1, 1))
            t_df = stats.t.ppf(alpha / 2, np.maximum(df, 1))
            n_eff = n_eff * (t_n / t_df) ** 2
        x = n_eff * p
        low = stats.beta.ppf(alpha / 2, x, n_eff - x + 1)
        high = stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x)
        return low, high


def _exact_edges(p, n, low, high, confidence):
    """Open-side limit of an estimate of exactly 0 or 1.

    Such an estimate has no design SE to work with; as Korn & Graubard (1998, Survey
    Methodology 24(2): 193-201) recommend, take n_eff = n and give the exact
    Clopper-Pearson limit on the open side: [0, 1 - (alpha/2)^(1/n)] or [(alpha/2)^(1/n), 1].
    """
    n_obs = np.broadcast_to(np.asarray(n, dtype=float), p.shape)
    half_alpha = (1.0 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = half_alpha ** (1.0 / n_obs)
    known = n_obs >= 1
    high = np.where(known & (p <= 0), 1.0 - edge, high)
    low = np.where(known & (p >= 1), edge, low)
    return low, high


def reliability(cv) -> np.ndarray:
    """Reliability flag from the coefficient of variation.

    CV > 30 % "unreliable", 15–30 % "caution", else "reliable" (methods.md §5); an undefined
    CV (estimate 0) is "unreliable".

    Examples
    --------
    >>> reliability([0.1, 0.2, 0.4, np.nan]).tolist()
    ['reliable', 'caution', 'unreliable', 'unreliable']
    """
    cv = np.asarray(cv, dtype=float)
    out = np.where(cv > 0.30, "unreliable", np.where(cv > 0.15, "caution", "reliable"))
    return np.where(np.isfinite(cv), out, "unreliable").astype(object)
