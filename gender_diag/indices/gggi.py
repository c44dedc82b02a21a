"""Truncated-ratio gender gap index (World Economic Forum Global Gender Gap Index method).

For unit *r* (country, district …) and indicator *j* with female/male ratio
:math:`x_{rj}` and equality benchmark :math:`b_j` (1 unless stated; WEF: sex ratio at birth
0.944, healthy life expectancy 1.06):

.. math:: G_r = \\frac{\\sum_{j \\in O_r} w_j \\min(x_{rj}, b_j)}{\\sum_{j \\in O_r} w_j}

where :math:`O_r` is the set of indicators observed for *r* (weights are renormalised over the
available indicators). Truncation means that women being ahead on one indicator does not
offset a gap on another. Scores are not rescaled by the benchmark, so the WEF health subindex
tops out at 0.693·0.944 + 0.307·1.06 ≈ 0.980. The overall WEF index is the unweighted mean of
the four subindexes (economic, education, health, political).

The same function gives a *local gender gap index* over survey indicators (ratios of women's
to men's levels of "higher is better" indicators).

Reference: World Economic Forum (2015). The Global Gender Gap Report 2015, Part 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.config import read_yaml
from gender_diag.errors import ConfigError, ValidationError, bad_parameter
from gender_diag.resources import catalogue_dir

__all__ = ["gggi", "load_wef_weights", "wef_gggi"]


def _as_series(x, name: str, owner: str) -> pd.Series:
    if isinstance(x, pd.Series):
        s = x
    elif isinstance(x, Mapping):
        s = pd.Series(dict(x), dtype=object)
    else:
        raise bad_parameter(name, owner, "a dict or Series keyed by indicator", x)
    try:
        return s.astype(float)
    except (TypeError, ValueError):
        raise bad_parameter(name, owner, "numbers", dict(s)) from None


def gggi(
    ratios: pd.DataFrame,
    weights: Mapping[str, float] | pd.Series,
    *,
    benchmarks: Mapping[str, float] | pd.Series | None = None,
) -> pd.Series:
    """Truncated-ratio gap index per row.

    Parameters
    ----------
    ratios : DataFrame
        One row per unit, one column per indicator: female/male ratio (missing allowed).
    weights : dict or Series
        Indicator → weight (non-negative); selects the columns used. Renormalised per row
        over the observed indicators.
    benchmarks : dict or Series, optional
        Indicator → equality benchmark at which the ratio is truncated (default 1).

    Returns
    -------
    Series
        Index in [0, max benchmark] (1 = no gap), NaN for a row without any indicator.

    Examples
    --------
    >>> r = pd.DataFrame({"a": [0.5, 1.2], "b": [1.0, None]}, index=["x", "y"])
    >>> gggi(r, {"a": 0.25, "b": 0.75})
    x    0.875
    y    1.000
    Name: gggi, dtype: float64
    """
    owner = "gggi"
    if not isinstance(ratios, pd.DataFrame):
        raise bad_parameter("ratios", owner, "a DataFrame", type(ratios).__name__)
    w = _as_series(weights, "weights", owner)
    missing = [c for c in w.index if c not in ratios.columns]
    if missing:
        raise bad_parameter(
            "weights", owner, f"keys that are columns of ratios ({list(ratios.columns)})", missing
        )
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise bad_parameter("weights", owner, "finite non-negative weights, not all 0", dict(w))
    b = pd.Series(1.0, index=w.index)
    if benchmarks is not None:
        bm = _as_series(benchmarks, "benchmarks", owner)
        unknown = [c for c in bm.index if c not in w.index]
        if unknown:
            raise bad_parameter("benchmarks", owner, "keys that are weighted indicators", unknown)
        if (bm <= 0).any():
            raise bad_parameter("benchmarks", owner, "positive benchmarks", dict(bm))
        b.loc[bm.index] = bm
    cols = list(w.index)
    x = ratios[cols].apply(pd.to_numeric, errors="coerce")
    bad = (x.isna() & ratios[cols].notna()) | (x < 0)
    if bad.any().any():
        col = bad.any().idxmax()
        raise ValidationError(
            f"gggi: column {col!r} holds non-numeric or negative ratios at rows "
            f"{list(ratios.index[bad[col].to_numpy()][:5])}; use ratios ≥ 0 or missing."
        )
    values = x.to_numpy(dtype=float)
    truncated = np.minimum(values, b.to_numpy()[None, :])
    observed = ~np.isnan(values)
    wv = w.to_numpy()[None, :] * observed
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.nansum(truncated * wv, axis=1) / wv.sum(axis=1)
    return pd.Series(score, index=ratios.index, name="gggi")


def load_wef_weights(path: str | Path | None = None) -> pd.DataFrame:
    """WEF subindex structure from ``presets/wef-gggi-2015.yaml``.

    Returns
    -------
    DataFrame
        One row per indicator: subindex, indicator, weight, benchmark, label_es/fr/en.

    Examples
    --------
    >>> w = load_wef_weights()
    >>> w.groupby("subindex")["indicator"].count().to_dict()
    {'economic': 5, 'education': 4, 'health': 2, 'political': 3}
    """
    path = Path(path) if path is not None else catalogue_dir() / "presets" / "wef-gggi-2015.yaml"
    data = read_yaml(path, what="WEF weights preset")
    subs = data.get("subindexes") if isinstance(data, dict) else None
    if not isinstance(subs, dict) or not subs:
        raise ConfigError(f"{path}: needs a mapping 'subindexes' of indicators with weights.")
    rows = []
    for sub, body in subs.items():
        inds = body.get("indicators") if isinstance(body, dict) else None
        if not isinstance(inds, dict) or not inds:
            raise ConfigError(f"{path}: subindex {sub!r} needs a mapping 'indicators'.")
        for key, spec in inds.items():
            where = f"{path}: indicator {key!r}"
            try:
                weight = float(spec["weight"])
                bench = float(spec.get("benchmark", 1.0))
            except (KeyError, TypeError, ValueError):
                raise ConfigError(f"{where}: needs a numeric 'weight' (and 'benchmark').") from None
            if weight < 0 or bench <= 0:
                raise ConfigError(f"{where}: weight must be ≥ 0 and benchmark > 0.")
            labels = spec.get("labels") or {}
            if any(not labels.get(lang) for lang in ("es", "fr", "en")):
                raise ConfigError(f"{where}: labels in es, fr and en are required.")
            rows.append(
                {
                    "subindex": sub,
                    "indicator": key,
                    "weight": weight,
                    "benchmark": bench,
                    **{f"label_{lang}": labels[lang] for lang in ("es", "fr", "en")},
                }
            )
    return pd.DataFrame(rows)


def wef_gggi(frame: pd.DataFrame, *, weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """WEF Global Gender Gap Index: four subindexes and the overall score.

    Parameters
    ----------
    frame : DataFrame
        One row per country; columns are the indicator keys of ``wef-gggi-2015.yaml``
        (female/male ratios, untruncated; missing allowed). Other columns are ignored.
    weights : DataFrame, optional
        Structure as returned by :func:`load_wef_weights` (default: the 2015 preset).

    Returns
    -------
    DataFrame
        Columns economic, education, health, political, overall (mean of the four).
    """
    w = load_wef_weights() if weights is None else weights
    out = {}
    for sub, block in w.groupby("subindex", sort=False):
        cols = list(block["indicator"])
        absent = [c for c in cols if c not in frame.columns]
        if absent:
            raise bad_parameter("frame", "wef_gggi", f"a frame with the {sub} columns", absent)
        out[sub] = gggi(
            frame[cols],
            dict(zip(cols, block["weight"], strict=True)),
            benchmarks=dict(zip(cols, block["benchmark"], strict=True)),
        )
    res = pd.DataFrame(out, index=frame.index)
    res["overall"] = res.mean(axis=1, skipna=False)
    return res
