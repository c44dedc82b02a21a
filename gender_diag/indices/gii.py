"""UNDP Gender Inequality Index (GII).

Following the Human Development Report technical notes (UNDP HDR 2015, Technical note 4):

- maternal mortality ratio MMR (deaths per 100 000 live births) clipped to [10, 1000];
  adolescent birth rate ABR (births per 1 000 women aged 15–19);
- female health :math:`H_F = \\sqrt{(10/MMR)\\,(1/ABR)}`, :math:`H_M = 1`;
- empowerment :math:`E_s = \\sqrt{PR_s \\cdot SE_s}` (share of parliamentary seats and share
  with at least some secondary education, as proportions);
  a zero parliament share is replaced by 0.1 % as in the HDR 2015 tables;
- :math:`G_s = (H_s E_s LFPR_s)^{1/3}`; harmonic mean across sexes
  :math:`HARM = 2 / (1/G_F + 1/G_M)`;
- reference :math:`\\bar G = [((H_F + 1)/2)((E_F + E_M)/2)((LFPR_F + LFPR_M)/2)]^{1/3}`;
- :math:`GII = 1 - HARM / \\bar G`.

Shares are given in percent, as the HDR tables print them, and divided by 100 here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.errors import ValidationError, bad_parameter

__all__ = ["gii"]

_REQUIRED = ("mmr", "abr", "parliament_f", "secondary_f", "secondary_m", "lfpr_f", "lfpr_m")
_PERCENT = ("parliament_f", "parliament_m", "secondary_f", "secondary_m", "lfpr_f", "lfpr_m")


def gii(frame: pd.DataFrame) -> pd.Series:
    """Gender Inequality Index per row.

    Parameters
    ----------
    frame : DataFrame
        Columns ``mmr``, ``abr``, ``parliament_f``, ``secondary_f``, ``secondary_m``,
        ``lfpr_f``, ``lfpr_m`` (shares in percent); ``parliament_m`` optional (default
        100 − ``parliament_f``). Rows with a missing input get NaN.

    Returns
    -------
    Series
        GII in [0, 1] (0 = equality), indexed as ``frame``.

    Examples
    --------
    Norway in HDR 2015 (published GII 0.067):

    >>> row = pd.DataFrame({"mmr": [4], "abr": [7.8], "parliament_f": [39.6],
    ...                     "secondary_f": [97.4], "secondary_m": [96.7],
    ...                     "lfpr_f": [61.2], "lfpr_m": [68.7]}, index=["Norway"])
    >>> gii(row).round(3)
    Norway    0.067
    Name: gii, dtype: float64
    """
    if not isinstance(frame, pd.DataFrame):
        raise bad_parameter("frame", "gii", "a DataFrame", type(frame).__name__)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise bad_parameter("frame", "gii", f"a frame with columns {list(_REQUIRED)}", missing)
    cols = [*_REQUIRED, *(["parliament_m"] if "parliament_m" in frame.columns else [])]
    x = frame[cols].apply(pd.to_numeric, errors="coerce")
    bad_text = x.isna() & frame[cols].notna()
    if bad_text.any().any():
        col = bad_text.any().idxmax()
        raise ValidationError(
            f"gii: column {col!r} holds non-numeric values at rows "
            f"{list(frame.index[bad_text[col].to_numpy()][:5])}; use numbers or missing."
        )
    for col in (c for c in _PERCENT if c in x.columns):
        out = (x[col] < 0) | (x[col] > 100)
        if out.any():
            raise ValidationError(
                f"gii: column {col!r} must be a percentage in [0, 100]; rows "
                f"{list(frame.index[out.to_numpy()][:5])} are outside. Give shares in percent."
            )
    nonpos = (x["abr"] <= 0) | (x["mmr"] < 0)
    if nonpos.any():
        raise ValidationError(
            "gii: 'abr' must be positive and 'mmr' non-negative; check rows "
            f"{list(frame.index[nonpos.to_numpy()][:5])}."
        )
    mmr = x["mmr"].clip(10, 1000).to_numpy(dtype=float)
    abr = x["abr"].to_numpy(dtype=float)
    pr_f = x["parliament_f"].to_numpy(dtype=float)
    pr_m = x["parliament_m"].to_numpy(dtype=float) if "parliament_m" in x else 100.0 - pr_f
    # HDR 2015: a zero share of seats is replaced by 0.1 % (the geometric mean needs > 0)
    pr_f = np.where(pr_f == 0, 0.1, pr_f) / 100.0
    pr_m = np.where(pr_m == 0, 0.1, pr_m) / 100.0
    se_f = x["secondary_f"].to_numpy(dtype=float) / 100.0
    se_m = x["secondary_m"].to_numpy(dtype=float) / 100.0
    lf_f = x["lfpr_f"].to_numpy(dtype=float) / 100.0
    lf_m = x["lfpr_m"].to_numpy(dtype=float) / 100.0

    h_f = np.sqrt((10.0 / mmr) * (1.0 / abr))
    e_f = np.sqrt(pr_f * se_f)
    e_m = np.sqrt(pr_m * se_m)
    g_f = np.cbrt(h_f * e_f * lf_f)
    g_m = np.cbrt(1.0 * e_m * lf_m)
    with np.errstate(divide="ignore", invalid="ignore"):
        harm = 2.0 / (1.0 / g_f + 1.0 / g_m)
    g_bar = np.cbrt(((h_f + 1.0) / 2.0) * ((e_f + e_m) / 2.0) * ((lf_f + lf_m) / 2.0))
    return pd.Series(1.0 - harm / g_bar, index=frame.index, name="gii")
