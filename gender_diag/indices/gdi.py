"""UNDP Gender Development Index (GDI): female HDI divided by male HDI.

HDR technical notes (UNDP HDR 2015 Technical note 3; goalposts as in methods.md §4):

- health: :math:`(LE - min)/(max - min)` with life-expectancy goalposts 22.5–87.5 years
  for women and 17.5–82.5 for men (the 5-year female biological advantage);
- education: mean of :math:`EYS/18` and :math:`MYS/15` (each capped at 1);
- income: :math:`(\\ln GNI - \\ln 100)/(\\ln 75\\,000 - \\ln 100)` with GNI per capita in PPP $;
- every dimension index is capped to [0, 1];
- :math:`HDI_s = (I_{health} I_{education} I_{income})^{1/3}`; :math:`GDI = HDI_F / HDI_M`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.errors import ValidationError, bad_parameter

__all__ = ["GOALPOSTS", "gdi", "hdi_by_sex"]

#: UNDP goalposts (minimum, maximum).
GOALPOSTS = {
    "le_f": (22.5, 87.5),
    "le_m": (17.5, 82.5),
    "eys": (0.0, 18.0),
    "mys": (0.0, 15.0),
    "gni": (100.0, 75_000.0),
}

_REQUIRED = ("le_f", "le_m", "eys_f", "eys_m", "mys_f", "mys_m", "gni_f", "gni_m")


def _index(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def hdi_by_sex(frame: pd.DataFrame) -> pd.DataFrame:
    """Dimension indices and HDI for each sex (columns ``health_f``, ``education_f``,
    ``income_f``, ``hdi_f`` and the same with ``_m``), indexed as ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise bad_parameter("frame", "gdi", "a DataFrame", type(frame).__name__)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise bad_parameter("frame", "gdi", f"a frame with columns {list(_REQUIRED)}", missing)
    x = frame[list(_REQUIRED)].apply(pd.to_numeric, errors="coerce")
    bad = (x.isna() & frame[list(_REQUIRED)].notna()) | (x < 0)
    if bad.any().any():
        col = bad.any().idxmax()
        raise ValidationError(
            f"gdi: column {col!r} holds non-numeric or negative values at rows "
            f"{list(frame.index[bad[col].to_numpy()][:5])}; use non-negative numbers or missing."
        )
    out = {}
    for s in ("f", "m"):
        health = _index(x[f"le_{s}"].to_numpy(float), *GOALPOSTS[f"le_{s}"])
        education = (
            _index(x[f"eys_{s}"].to_numpy(float), *GOALPOSTS["eys"])
            + _index(x[f"mys_{s}"].to_numpy(float), *GOALPOSTS["mys"])
        ) / 2.0
        lo, hi = GOALPOSTS["gni"]
        with np.errstate(divide="ignore"):
            income = _index(np.log(x[f"gni_{s}"].to_numpy(float)), np.log(lo), np.log(hi))
        out[f"health_{s}"] = health
        out[f"education_{s}"] = education
        out[f"income_{s}"] = income
        out[f"hdi_{s}"] = np.cbrt(health * education * income)
    return pd.DataFrame(out, index=frame.index)


def gdi(frame: pd.DataFrame) -> pd.Series:
    """Gender Development Index per row: :math:`HDI_F / HDI_M`.

    Parameters
    ----------
    frame : DataFrame
        Columns ``le_f, le_m`` (life expectancy at birth, years), ``eys_f, eys_m`` (expected
        years of schooling), ``mys_f, mys_m`` (mean years of schooling), ``gni_f, gni_m``
        (estimated GNI per capita, PPP $). Rows with a missing input get NaN.

    Returns
    -------
    Series
        GDI (1 = parity; below 1 = female HDI lower), indexed as ``frame``.

    Examples
    --------
    >>> f = pd.DataFrame({"le_f": [87.5], "le_m": [82.5], "eys_f": [18.0], "eys_m": [18.0],
    ...                   "mys_f": [15.0], "mys_m": [15.0], "gni_f": [75_000.0],
    ...                   "gni_m": [90_000.0]})
    >>> float(gdi(f).iloc[0])  # all indices capped at 1: parity
    1.0
    """
    parts = hdi_by_sex(frame)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (parts["hdi_f"] / parts["hdi_m"]).rename("gdi")
