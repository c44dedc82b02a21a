"""Alkire–Foster counting measure: headcount H, intensity A and adjusted headcount M0.

Each person *i* has deprivation indicators :math:`g_{ij} \\in \\{0, 1\\}` (1 = deprived) and
indicator weights :math:`w_j` with :math:`\\sum_j w_j = 1`. The deprivation score is

.. math:: c_i = \\sum_j w_j g_{ij}

and person *i* is identified as deprived (multidimensionally poor, disempowered …) when
:math:`c_i \\ge k` (``strict=False``, Alkire & Foster 2011) or :math:`c_i > k`
(``strict=True``, the WEAI family). With survey weights :math:`s_i`:

- :math:`H = \\sum_i s_i P_i / \\sum_i s_i` (share identified, :math:`P_i` = 1 if identified);
- :math:`A = \\sum_i s_i P_i c_i / \\sum_i s_i P_i` (mean score among the identified);
- :math:`M_0 = H A = \\sum_j w_j CH_j`, where the censored headcount
  :math:`CH_j = \\sum_i s_i P_i g_{ij} / \\sum_i s_i`;
- contribution of indicator *j*: :math:`w_j CH_j / M_0`;
- subgroup decomposition: :math:`M_0 = \\sum_g (N_g / N) M_{0,g}`.

Scores and the cutoff are rounded to 4 decimals before they are compared. Weights such as
tenths and fifteenths are not exact in binary floating point, so a score that is exactly 0.20
on paper can come out as 0.20000000000000007 depending on the order of the additions (e.g.
1 − (eight adequacies of 1/10 summed) = 1 − 0.7999999999999999), which would wrongly count
as "> 0.20". Rounding both sides to 1e-4 (far finer than any difference between weight
combinations in use) makes the comparison follow the exact arithmetic.

References
----------
Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
*Journal of Public Economics* 95(7–8), 476–487.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gender_diag.contracts.columns import INDEX_FRAME_COLUMNS
from gender_diag.errors import EstimationError, ValidationError, bad_parameter

__all__ = ["AlkireFosterResult", "alkire_foster", "deprivations_from_achievements"]

#: Decimals to which scores and cutoffs are rounded before comparison (see module docstring).
SCORE_DECIMALS = 4


# ----------------------------------------------------------------------------------------------
# input helpers (shared with weai.py)
# ----------------------------------------------------------------------------------------------
def _as_float_weights(weights: Mapping | pd.Series, owner: str) -> pd.Series:
    """Indicator weights as a float Series normalised to sum 1 (Fractions accepted)."""
    if isinstance(weights, pd.Series):
        items = list(weights.items())
    elif isinstance(weights, Mapping):
        items = list(weights.items())
    else:
        raise bad_parameter("weights", owner, "a dict or Series of indicator weights", weights)
    if not items:
        raise bad_parameter("weights", owner, "a non-empty dict of indicator weights", weights)
    values = []
    for key, value in items:
        try:
            number = float(Fraction(value)) if isinstance(value, str) else float(value)
        except (TypeError, ValueError, ZeroDivisionError):
            raise bad_parameter(
                "weights", owner, f"numbers (weight of {key!r} is not a number)", value
            ) from None
        if not np.isfinite(number) or number < 0:
            raise bad_parameter(
                "weights", owner, f"finite non-negative numbers (weight of {key!r})", value
            )
        values.append(number)
    out = pd.Series(values, index=pd.Index([k for k, _ in items], dtype=object), dtype=float)
    total = out.sum()
    if total <= 0:
        raise bad_parameter("weights", owner, "weights with a positive sum", dict(items))
    return out / total


def survey_weights(frame: pd.DataFrame, weight: Any, owner: str) -> np.ndarray:
    """Survey weights as a float array (column name, array-like or None = all ones)."""
    n = len(frame)
    if weight is None:
        return np.ones(n)
    if isinstance(weight, str):
        if weight not in frame.columns:
            raise bad_parameter(
                "weight", owner, f"a column of the data (columns: {list(frame.columns)})", weight
            )
        values = pd.to_numeric(frame[weight], errors="coerce").to_numpy(dtype=float)
        label = f"column {weight!r}"
    else:
        values = np.asarray(weight, dtype=float).reshape(-1)
        label = "the weight array"
        if values.shape[0] != n:
            raise bad_parameter(
                "weight", owner, f"a column name or an array of length {n}", f"length {len(values)}"
            )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        rows = list(frame.index[bad][:5])
        raise ValidationError(
            f"{owner}: survey weights in {label} must be finite and non-negative; "
            f"{int(bad.sum())} row(s) are missing or invalid (first rows: {rows}). "
            "Fix the weights or drop those rows explicitly before computing the index."
        )
    return values


def check_binary(frame: pd.DataFrame, columns: Sequence[str], owner: str, what: str) -> np.ndarray:
    """Columns as a float matrix of 0/1/NaN; anything else is a clear error."""
    block = frame[list(columns)]
    try:
        # fast path: numeric, boolean and nullable columns convert in one array operation
        matrix = block.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        # text columns: convert one by one so that the message can name the column
        matrix = np.column_stack(
            [
                pd.to_numeric(
                    block[c].astype(object).where(block[c].notna(), np.nan), errors="coerce"
                ).to_numpy(dtype=float)
                for c in columns
            ]
        )
    bad = block.notna().to_numpy() & ~np.isin(matrix, (0.0, 1.0))
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        col = columns[j]
        rows_bad = bad[:, j]
        raise ValidationError(
            f"{owner}: column {col!r} must hold {what} coded 0/1 (missing allowed); "
            f"{int(rows_bad.sum())} row(s) hold other values, e.g. "
            f"{list(block[col][rows_bad].iloc[:3])} at rows {list(frame.index[rows_bad][:5])}. "
            "Recode the column to 0/1 before computing the index."
        )
    return matrix


def group_codes(frame: pd.DataFrame, by: Any, owner: str) -> tuple[str | None, pd.Series | None]:
    """Subgroup labels for ``by`` (a column name or an array-like), or (None, None)."""
    if by is None:
        return None, None
    if isinstance(by, str):
        if by not in frame.columns:
            raise bad_parameter(
                "by", owner, f"a column of the data (columns: {list(frame.columns)})", by
            )
        return by, frame[by]
    values = pd.Series(np.asarray(by, dtype=object), index=frame.index)
    if len(values) != len(frame):
        raise bad_parameter("by", owner, f"a column name or an array of length {len(frame)}", by)
    return getattr(by, "name", None) or "group", values


def identify(scores: np.ndarray, k: float, *, strict: bool) -> np.ndarray:
    """Who is identified: ``round(c, 4) > round(k, 4)`` (strict) or ``>=`` (weak).

    Examples
    --------
    >>> c = np.array([1 - sum([0.1] * 8), 0.25])  # 0.2 on paper, 0.20000000000000007 here
    >>> bool(c[0] > 0.2)  # the floating-point trap
    True
    >>> identify(c, 0.2, strict=True).tolist()
    [False, True]
    """
    rounded = np.round(scores, SCORE_DECIMALS)
    cut = round(float(k), SCORE_DECIMALS)
    return rounded > cut if strict else rounded >= cut


def _weighted_summary(
    dep: np.ndarray,
    ind_w: np.ndarray,
    sw: np.ndarray,
    poor: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
) -> dict[str, np.ndarray]:
    """Weighted sums per group code (0..n_groups-1), one bincount per quantity (vectorised)."""

    def gsum(x: np.ndarray) -> np.ndarray:
        return np.bincount(groups, weights=x, minlength=n_groups)

    ps = sw * poor
    pop = gsum(sw)
    n = np.bincount(groups, minlength=n_groups)
    poor_pop = gsum(ps)
    poor_score = gsum(ps * scores)
    # censored and raw weighted deprivation totals per group × indicator: one sparse product
    onehot = sp.csr_matrix(
        (np.ones(len(groups)), (groups, np.arange(len(groups)))), shape=(n_groups, len(groups))
    )
    censored = np.asarray(onehot @ (dep * ps[:, None]))
    raw = np.asarray(onehot @ (dep * sw[:, None]))
    with np.errstate(invalid="ignore", divide="ignore"):
        h = poor_pop / pop
        a = poor_score / poor_pop
        m0 = poor_score / pop
        ch = censored / pop[:, None]
        rh = raw / pop[:, None]
        contrib = ch * ind_w[None, :] / m0[:, None]
    return {
        "n": n,
        "population": pop,
        "h": h,
        "a": a,
        "m0": m0,
        "censored": ch,
        "raw": rh,
        "contributions": contrib,
    }


# ----------------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------------
@dataclass
class AlkireFosterResult:
    """Result of :func:`alkire_foster`.

    Attributes
    ----------
    h, a, m0 : float
        Headcount ratio, intensity (average score of the identified) and adjusted headcount.
    n : int
        People used (complete on every indicator). ``excluded`` people with a missing
        indicator were left out (listwise).
    population : float
        Sum of survey weights of the people used.
    k, strict : float, bool
        Cutoff and comparison rule (``c > k`` when strict, else ``c >= k``).
    weights : Series
        Indicator weights, normalised to sum 1.
    raw_headcounts, censored_headcounts, contributions : Series
        Per indicator: share deprived; share identified *and* deprived; share of M0.
    scores : Series
        Deprivation score of every input row (NaN for excluded rows).
    identified : Series
        Boolean per input row (False for excluded rows; see ``complete``).
    complete : Series
        Boolean per input row: all indicators observed.
    subgroups : DataFrame or None
        With ``by=``: one row per group with n, population, share, h, a, m0, contribution
        (share of the overall M0 due to the group; sums to 1).
    se : DataFrame or None
        With ``design=``: design-based ``estimate, se, ci_low, ci_high, df, n`` of H, A and
        M0 (overall and per group).
    """

    h: float
    a: float
    m0: float
    n: int
    excluded: int
    population: float
    k: float
    strict: bool
    weights: pd.Series
    raw_headcounts: pd.Series
    censored_headcounts: pd.Series
    contributions: pd.Series
    scores: pd.Series
    identified: pd.Series
    complete: pd.Series
    by: str | None = None
    subgroups: pd.DataFrame | None = None
    group_headcounts: pd.DataFrame | None = field(default=None, repr=False)
    se: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: by, by_value, measure, indicator, estimate, se, ci_low, ci_high,
        df, n (``by = "total"`` and ``by_value = ""`` for the whole sample)."""
        rows = _summary_rows("total", "", self.h, self.a, self.m0, self.n, self.population)
        rows += _indicator_rows("total", "", self, self.n)
        if self.subgroups is not None:
            for _, g in self.subgroups.iterrows():  # one row per subgroup, not per person
                value = str(g["by_value"])
                rows += _summary_rows(self.by, value, g["h"], g["a"], g["m0"], g["n"], None)
                rows.append(_row(self.by, value, "share", "", g["share"], g["n"]))
                rows.append(
                    _row(self.by, value, "group_contribution", "", g["contribution"], g["n"])
                )
            if self.group_headcounts is not None:
                for _, g in self.group_headcounts.iterrows():
                    rows.append(
                        _row(
                            self.by,
                            str(g["by_value"]),
                            g["measure"],
                            g["indicator"],
                            g["estimate"],
                            g["n"],
                        )
                    )
        frame = pd.DataFrame(rows, columns=list(INDEX_FRAME_COLUMNS))
        return _attach_se(frame, self.se)


def _row(by, by_value, measure, indicator, estimate, n) -> dict[str, Any]:
    return {
        "by": by,
        "by_value": by_value,
        "measure": measure,
        "indicator": indicator,
        "estimate": float(estimate),
        "se": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "df": np.nan,
        "n": int(n),
    }


def _summary_rows(by, by_value, h, a, m0, n, population) -> list[dict[str, Any]]:
    rows = [
        _row(by, by_value, "H", "", h, n),
        _row(by, by_value, "A", "", a, n),
        _row(by, by_value, "M0", "", m0, n),
    ]
    if population is not None:
        rows.append(_row(by, by_value, "population", "", population, n))
    return rows


def _indicator_rows(by, by_value, res, n) -> list[dict[str, Any]]:
    rows = []
    for measure, series in (
        ("weight", res.weights),
        ("raw_headcount", res.raw_headcounts),
        ("censored_headcount", res.censored_headcounts),
        ("contribution", res.contributions),
    ):
        rows += [_row(by, by_value, measure, ind, v, n) for ind, v in series.items()]
    return rows


def _attach_se(frame: pd.DataFrame, se: pd.DataFrame | None) -> pd.DataFrame:
    """Fill se/ci/df from a frame keyed by (by, by_value, measure, indicator)."""
    if se is None or se.empty:
        return frame
    keys = ["by", "by_value", "measure", "indicator"]
    merged = frame.drop(columns=["se", "ci_low", "ci_high", "df"]).merge(
        se[[*keys, "se", "ci_low", "ci_high", "df"]], on=keys, how="left"
    )
    return merged[list(INDEX_FRAME_COLUMNS)]


# ----------------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------------
def alkire_foster(
    deprivations: pd.DataFrame,
    weights: Mapping | pd.Series | None = None,
    *,
    k: float = 0.5,
    strict: bool = False,
    weight: str | Sequence[float] | np.ndarray | None = None,
    by: str | Sequence | None = None,
    design: Any = None,
) -> AlkireFosterResult:
    """Alkire–Foster adjusted headcount M0 with its partial indices.

    Parameters
    ----------
    deprivations : DataFrame
        One row per person; indicator columns coded 1 = deprived, 0 = not deprived, missing =
        unknown. People missing any indicator are excluded (listwise) and counted in
        ``excluded``.
    weights : dict or Series, optional
        Indicator weights (numbers or fraction strings such as ``"1/15"``), normalised to sum
        1. Its keys select the indicator columns. Default: equal weights over every column
        except ``weight`` and ``by``.
    k : float, default 0.5
        Poverty cutoff as a share of the weighted indicators, ``0 < k <= 1`` (k = 2 of 4
        equally weighted indicators is ``k=0.5``).
    strict : bool, default False
        ``False``: identified iff ``c >= k`` (Alkire & Foster 2011). ``True``: ``c > k``
        (the WEAI family). Scores and k are rounded to 1e-4 first (module docstring).
    weight : str or array-like, optional
        Survey weights: a column of ``deprivations`` or an array. Default: unweighted.
    by : str or array-like, optional
        Subgroups for the decomposition :math:`M_0 = \\sum_g (N_g/N) M_{0,g}`.
    design : SurveyDesign or dict, optional
        Design for standard errors of H, A and M0 (see :func:`gender_diag.indices._se`).
        A dict gives the design column names in ``deprivations``
        (``{"strata": ..., "psu": ..., "fpc": ...}``); a ``SurveyDesign`` must be built on
        a frame with the same rows (index) as ``deprivations``.

    Returns
    -------
    AlkireFosterResult

    Examples
    --------
    The worked example of Alkire & Foster (2011): deprivation counts (0, 2, 4, 1) over four
    equally weighted dimensions, k = 2 of 4.

    >>> g = pd.DataFrame({"d1": [0, 0, 1, 0], "d2": [0, 1, 1, 1],
    ...                   "d3": [0, 0, 1, 0], "d4": [0, 1, 1, 0]})
    >>> res = alkire_foster(g, k=0.5)
    >>> res.h, res.a, res.m0
    (0.5, 0.75, 0.375)
    >>> res.censored_headcounts.tolist()
    [0.25, 0.5, 0.25, 0.5]
    """
    owner = "alkire_foster"
    if not isinstance(deprivations, pd.DataFrame):
        raise bad_parameter("deprivations", owner, "a DataFrame", type(deprivations).__name__)
    if not isinstance(strict, bool | np.bool_):
        raise bad_parameter("strict", owner, "True or False", strict)
    try:
        k = float(Fraction(k)) if isinstance(k, str) else float(k)
    except (TypeError, ValueError):
        raise bad_parameter("k", owner, "a number in (0, 1]", k) from None
    if not 0 < k <= 1:
        raise bad_parameter("k", owner, "a number in (0, 1]", k)

    by_name, groups = group_codes(deprivations, by, owner)
    reserved = {c for c in (weight if isinstance(weight, str) else None, by_name) if c}
    if weights is None:
        columns = [c for c in deprivations.columns if c not in reserved]
        if not columns:
            raise bad_parameter("deprivations", owner, "at least one indicator column", [])
        ind_w = pd.Series(1.0 / len(columns), index=pd.Index(columns, dtype=object))
    else:
        ind_w = _as_float_weights(weights, owner)
        missing = [c for c in ind_w.index if c not in deprivations.columns]
        if missing:
            raise bad_parameter(
                "weights",
                owner,
                f"keys that are columns of the data (columns: {list(deprivations.columns)})",
                missing,
            )
    columns = list(ind_w.index)
    dep = check_binary(deprivations, columns, owner, "deprivations (1 = deprived)")
    sw = survey_weights(deprivations, weight, owner)
    if design is not None:
        from gender_diag.indices._se import resolve_design

        design, sw = resolve_design(deprivations, design, weight, sw, owner)
    return compute_af(
        deprivations,
        dep,
        ind_w,
        sw,
        k=k,
        strict=bool(strict),
        by_name=by_name,
        groups=groups,
        design=design,
    )


def compute_af(
    frame: pd.DataFrame,
    dep: np.ndarray,
    ind_w: pd.Series,
    sw: np.ndarray,
    *,
    k: float,
    strict: bool,
    by_name: str | None,
    groups: pd.Series | None,
    design: Any,
    owner: str = "alkire_foster",
) -> AlkireFosterResult:
    """Point estimates (and SEs) from a validated deprivation matrix."""
    complete = ~np.isnan(dep).any(axis=1)
    if groups is not None:
        # a person without a group label cannot enter the decomposition: exclude, and count
        complete &= groups.notna().to_numpy()
    if not complete.any():
        raise EstimationError(
            f"{owner}: no person has all indicators ({list(ind_w.index)}) observed"
            + (f" and a value of {by_name!r}" if groups is not None else "")
            + "; the index cannot be computed."
        )
    if sw[complete].sum() <= 0:
        raise EstimationError(f"{owner}: the survey weights of the complete cases sum to zero.")
    w = ind_w.to_numpy()
    d = dep[complete]
    s = sw[complete]
    # a weighted share: clip the rounding excess of weights that sum to 1 ± 1 ulp
    scores = np.clip(d @ w, 0.0, 1.0)
    poor = identify(scores, k, strict=strict)
    summary = _weighted_summary(d, w, s, poor, scores, np.zeros(len(d), dtype=np.intp), 1)

    idx = ind_w.index
    all_scores = np.full(len(frame), np.nan)
    all_scores[complete] = scores
    identified = np.zeros(len(frame), dtype=bool)
    identified[complete] = poor

    result = AlkireFosterResult(
        h=float(summary["h"][0]),
        a=float(summary["a"][0]),
        m0=float(summary["m0"][0]),
        n=int(complete.sum()),
        excluded=int((~complete).sum()),
        population=float(summary["population"][0]),
        k=k,
        strict=strict,
        weights=ind_w.rename("weight"),
        raw_headcounts=pd.Series(summary["raw"][0], index=idx, name="raw_headcount"),
        censored_headcounts=pd.Series(summary["censored"][0], index=idx, name="censored_headcount"),
        contributions=pd.Series(summary["contributions"][0], index=idx, name="contribution"),
        scores=pd.Series(all_scores, index=frame.index, name="score"),
        identified=pd.Series(identified, index=frame.index, name="identified"),
        complete=pd.Series(complete, index=frame.index, name="complete"),
        by=by_name,
    )
    if groups is not None:
        labels = groups[complete]
        codes, uniques = pd.factorize(labels, sort=True)
        g = _weighted_summary(d, w, s, poor, scores, codes.astype(np.intp), len(uniques))
        share = g["population"] / g["population"].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            contribution = share * g["m0"] / result.m0
        result.subgroups = pd.DataFrame(
            {
                "by_value": list(uniques),
                "n": g["n"],
                "population": g["population"],
                "share": share,
                "h": g["h"],
                "a": g["a"],
                "m0": g["m0"],
                "contribution": contribution,
            }
        )
        long = []
        for name, key in (("raw_headcount", "raw"), ("censored_headcount", "censored")):
            block = pd.DataFrame(g[key], columns=list(idx))
            block["by_value"] = list(uniques)
            block["n"] = g["n"]
            block = block.melt(
                id_vars=["by_value", "n"], var_name="indicator", value_name="estimate"
            )
            block["measure"] = name
            long.append(block)
        result.group_headcounts = pd.concat(long, ignore_index=True)
    if design is not None:
        from gender_diag.indices._se import af_standard_errors

        result.se = af_standard_errors(
            frame,
            design,
            complete=complete,
            identified=identified,
            scores=all_scores,
            weight=sw,
            by_name=by_name,
            groups=groups,
            owner=owner,
        )
    return result


def deprivations_from_achievements(
    frame: pd.DataFrame, cutoffs: Mapping[str, float] | pd.Series, *, below: bool = True
) -> pd.DataFrame:
    """Turn achievements into 0/1 deprivations against per-indicator cutoffs.

    Parameters
    ----------
    frame : DataFrame
        Achievements, one row per person.
    cutoffs : dict or Series
        Column → cutoff :math:`z_j`; only these columns are returned, in this order.
    below : bool, default True
        ``True``: deprived iff :math:`y_{ij} < z_j` (Alkire & Foster 2011). ``False``:
        deprived iff :math:`y_{ij} > z_j` (for "bads" such as hours worked).

    Returns
    -------
    DataFrame
        Float 0/1 per person and indicator; missing achievement → missing deprivation.

    Examples
    --------
    >>> y = pd.DataFrame({"income": [13.1, 15.2, 12.5, 20], "school": [14, 7, 10, 11]})
    >>> deprivations_from_achievements(y, {"income": 13, "school": 12})
    ...     # doctest: +NORMALIZE_WHITESPACE
       income  school
    0     0.0     0.0
    1     0.0     1.0
    2     1.0     1.0
    3     0.0     1.0
    """
    owner = "deprivations_from_achievements"
    cut = pd.Series(cutoffs, dtype=object) if not isinstance(cutoffs, pd.Series) else cutoffs
    missing = [c for c in cut.index if c not in frame.columns]
    if missing:
        raise bad_parameter(
            "cutoffs", owner, f"keys that are columns of the data ({list(frame.columns)})", missing
        )
    try:
        z = cut.astype(float).to_numpy()
    except (TypeError, ValueError):
        raise bad_parameter("cutoffs", owner, "numeric cutoffs", dict(cut)) from None
    cols = list(cut.index)
    values = frame[cols].apply(pd.to_numeric, errors="coerce")
    not_numeric = values.isna() & frame[cols].notna()
    if not_numeric.any().any():
        col = not_numeric.any().idxmax()
        rows = list(frame.index[not_numeric[col].to_numpy()][:5])
        raise ValidationError(
            f"{owner}: column {col!r} holds non-numeric achievements at rows {rows}; "
            "recode them as numbers or missing."
        )
    y = values.to_numpy(dtype=float)
    deprived = (y < z[None, :]) if below else (y > z[None, :])
    out = np.where(np.isnan(y), np.nan, deprived.astype(float))
    return pd.DataFrame(out, index=frame.index, columns=cols)
