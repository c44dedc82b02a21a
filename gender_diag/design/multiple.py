"""Multiple-testing control for many indicators at once.

A diagnostic tests dozens of gaps between women and men. Reporting every p-value below 0.05
as a "significant gap" would flag several gaps by chance alone, so the indicator stage adds
Benjamini–Hochberg q-values (false discovery rate) next to the p-values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.errors import bad_parameter

__all__ = ["bh_qvalues"]


def bh_qvalues(p_values):
    r"""Benjamini–Hochberg q-values (FDR-adjusted p-values).

    With the :math:`m` non-missing p-values sorted increasingly,
    :math:`p_{(1)} \le \dots \le p_{(m)}`,

    .. math:: q_{(i)} = \min_{j \ge i} \min\left(1, \frac{m}{j}\, p_{(j)}\right).

    A gap is declared at false discovery rate :math:`\alpha` when :math:`q \le \alpha`.
    Missing p-values (an indicator that could not be tested) stay missing and do not count in
    :math:`m`. Same values as R ``p.adjust(p, method = "BH")`` and statsmodels
    ``multipletests(p, method="fdr_bh")[1]``.

    Parameters
    ----------
    p_values : array-like or pandas.Series
        P-values in [0, 1]; NaN allowed.

    Returns
    -------
    numpy.ndarray or pandas.Series
        q-values in the input's order (a Series with the same index when given a Series).

    Raises
    ------
    ValueError
        If a non-missing p-value lies outside [0, 1].

    References
    ----------
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical
    and powerful approach to multiple testing. JRSS B 57(1), 289–300.

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, 0.03, float("nan"), 0.5]).round(4).tolist()
    [0.04, 0.0533, 0.0533, nan, 0.5]
    """
    is_series = isinstance(p_values, pd.Series)
    p = np.asarray(p_values, dtype=float).ravel()
    finite = ~np.isnan(p)
    bad = finite & ((p < 0) | (p > 1))
    if bad.any():
        raise bad_parameter(
            "p_values", "bh_qvalues", "probabilities between 0 and 1 (or NaN)", p[bad][0].item()
        )
    q = np.full(p.shape, np.nan)
    pv = p[finite]
    m = pv.size
    if m:
        order = np.argsort(pv, kind="stable")
        ranked = pv[order] * m / np.arange(1, m + 1)
        # Step-up: a q-value is the smallest adjusted value at its rank or any larger rank.
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(ranked, 1.0)
        q[finite] = out
    if is_series:
        return pd.Series(q, index=p_values.index, name=p_values.name)
    return q
