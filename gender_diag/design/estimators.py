"""Design-based estimators returning the tidy frame of ``docs/contracts.md`` §3.

Each function takes a :class:`~gender_diag.design.survey.SurveyDesign` first and is also a
method of it (``d.mean("y", by="sex")``). All variables and all domains are estimated in one
batched pass (:mod:`gender_diag.design._engine`).

Result columns: ``<by...>, variable, [level], estimate, se, ci_low, ci_high, df, n,
population, cv, deff, reliability`` — ``n`` is the unweighted count of non-missing values in
the domain, ``population`` the weighted count, ``cv = se / |estimate|``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from gender_diag.design import _engine
from gender_diag.design.intervals import (
    PROPORTION_METHODS,
    critical_value,
    proportion_ci,
    reliability,
    symmetric,
)
from gender_diag.errors import EstimationError, bad_parameter

GAP_KINDS = ("difference", "ratio", "log-ratio")


# ---------------------------------------------------------------------- helpers
def _names(variables, owner: str) -> list[str]:
    if isinstance(variables, str):
        return [variables]
    try:
        names = list(variables)
    except TypeError:
        raise bad_parameter(
            "variables", owner, "a column name or a list of names", variables
        ) from None
    if not names or not all(isinstance(v, str) for v in names):
        raise bad_parameter("variables", owner, "a column name or a list of names", variables)
    return names


def _by(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _values(design, name: str, owner: str) -> np.ndarray:
    """Column as float with NaN for missing; booleans become 0/1."""
    data = design.data
    if name not in data.columns:
        raise EstimationError(
            f"{owner}: the variable {name!r} is not in the design data. Fix: check the "
            f"name (available: {', '.join(map(str, data.columns[:30]))})."
        )
    s = data[name]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan)
    raise EstimationError(
        f"{owner}: the variable {name!r} is not numeric (dtype {s.dtype}). Rule: means, "
        f"totals and ratios need numbers or booleans. Fix: use proportion() for categories, "
        f"or convert the column."
    )


def _numeric_names(design, names: list[str], owner: str) -> list[str]:
    """Check that every variable is a numeric or boolean column; return the names."""
    data = design.data
    for name in names:
        if name not in data.columns:
            raise EstimationError(
                f"{owner}: the variable {name!r} is not in the design data. Fix: check the "
                f"name (available: {', '.join(map(str, data.columns[:30]))})."
            )
        dtype = data[name].dtype
        if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
            raise EstimationError(
                f"{owner}: the variable {name!r} is not numeric (dtype {dtype}). Rule: means, "
                f"totals and ratios need numbers or booleans. Fix: use proportion() for "
                f"categories, or convert the column."
            )
    return names


def _frame(
    design, keys: pd.DataFrame, labels: list[tuple], out: dict, *, q, ci_limits, level_col: bool
) -> pd.DataFrame:
    """Assemble the tidy frame: one row per (variable[, level]) × domain."""
    G, k = out["estimate"].shape
    est = out["estimate"]
    se = np.sqrt(out["var"])
    lo, hi = ci_limits(est, se)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est)
    frame = (
        pd.concat([keys] * k, ignore_index=True)
        if len(keys.columns)
        else pd.DataFrame(index=range(G * k))
    )
    frame["variable"] = np.repeat([lab[0] for lab in labels], G)
    if level_col:
        frame["level"] = pd.Series(
            np.repeat(np.array([lab[1] for lab in labels], dtype=object), G), dtype=object
        )

    def flat(x):
        return np.asarray(x).T.ravel()

    frame["estimate"] = flat(est)
    frame["se"] = flat(se)
    frame["ci_low"] = flat(lo)
    frame["ci_high"] = flat(hi)
    frame["df"] = design.df
    frame["n"] = flat(out["n"]).astype(np.int64)
    frame["population"] = flat(out["population"])
    frame["cv"] = flat(cv)
    frame["deff"] = flat(out["deff"])
    frame["reliability"] = reliability(frame["cv"].to_numpy())
    return frame


def _domains(design, by):
    cols = _by(by)
    codes, keys = design.domain_codes(cols)
    return cols, codes, keys


def _check_ci(ci: str, owner: str) -> None:
    if ci not in ("t", "normal"):
        raise bad_parameter("ci", owner, "'t' or 'normal'", ci)


# ---------------------------------------------------------------------- estimators
def _confidence(design, confidence) -> float:
    """The confidence level asked for, or the design's default (its spec's ``confidence``)."""
    return design.confidence if confidence is None else confidence


def _complete_mask(design, names: list[str], owner: str) -> np.ndarray:
    """Rows where every variable is present (R ``na.rm=TRUE`` on a multi-variable formula)."""
    present = np.ones(design.weights.size, dtype=bool)
    for v in names:
        present &= np.isfinite(_values(design, v, owner))
    return present


def _value_columns(design, names: list[str], owner: str, complete_cases: bool) -> list:
    """Column builders: each variable with NaN where missing (or where any is missing)."""
    if not complete_cases:
        return [(lambda v=v: (_values(design, v, owner), None)) for v in names]
    keep = _complete_mask(design, names, owner)

    def build(v):
        return np.where(keep, _values(design, v, owner), np.nan), None

    return [(lambda v=v: build(v)) for v in names]


def _symmetric_frame(design, keys, names, out, confidence, ci) -> pd.DataFrame:
    q = critical_value(design.df, confidence=confidence, ci=ci)
    return _frame(
        design,
        keys,
        [(v, None) for v in names],
        out,
        q=q,
        ci_limits=lambda e, s: symmetric(e, s, q),
        level_col=False,
    )


# ---------------------------------------------------------------------- estimators
def mean(
    design, variables, *, by=None, ci: str = "t", confidence=None, complete_cases: bool = False
) -> pd.DataFrame:
    """Weighted mean ``Σ w y / Σ w`` of one or many variables, by domain.

    Linearised variance with ``z = w (y − ȳ) / N̂`` (Lumley 2010, eq. 2.4), domains as
    subpopulations. Missing values:

    * ``complete_cases=False`` (default, *available cases*): each variable uses the rows
      where it is present (R ``svymean(~y, na.rm=TRUE)`` one variable at a time);
    * ``complete_cases=True``: every variable uses only the rows where *all* the listed
      variables are present (R ``svymean(~y1 + y2, na.rm=TRUE)``); the other rows stay in
      the design with zero influence (domain estimation), as R's ``design[nas == 0, ]``.

    ``confidence`` defaults to the design's (``DesignSpec.confidence``, 0.95).

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": 1.0})
    >>> r = SurveyDesign(df, weight="w").mean("y")
    >>> [float(r.estimate[0]), round(float(r.se[0]), 6)]
    [2.5, 0.645497]
    """
    owner = "SurveyDesign.mean"
    names = _names(variables, owner)
    _check_ci(ci, owner)
    _, codes, keys = _domains(design, by)
    columns = _value_columns(design, names, owner, complete_cases)
    out = _engine.run(design, columns, codes, len(keys))
    return _symmetric_frame(design, keys, names, out, _confidence(design, confidence), ci)


def means_by(
    design, variables, bys, *, ci: str = "t", confidence=None, deff: bool = True
) -> list[pd.DataFrame]:
    """:func:`mean` (available cases) for every disaggregation of ``bys`` (None = total).

    One frame per entry of ``bys``, each equal to ``mean(design, variables, by=by)``; the
    variables are read and weighted once for all of them
    (:func:`gender_diag.design._engine.run_partitions`). ``deff=False`` leaves the design
    effects NaN (one pass over the rows less).
    """
    owner = "SurveyDesign.mean"
    names = _names(variables, owner)
    _check_ci(ci, owner)
    domains = [_domains(design, by) for by in bys]
    columns = _value_columns(design, names, owner, False)
    partitions = [(codes, len(keys), None) for _, codes, keys in domains]
    outs = _engine.run_partitions(design, columns, partitions, deff=deff)
    confidence = _confidence(design, confidence)
    return [
        _symmetric_frame(design, keys, names, out, confidence, ci)
        for (_, _, keys), out in zip(domains, outs, strict=True)
    ]


def total(
    design, variables, *, by=None, ci: str = "t", confidence=None, complete_cases: bool = False
) -> pd.DataFrame:
    """Estimated population total ``Σ w y`` (missing values count as absent), by domain.

    ``complete_cases=True`` drops, for every variable, the rows where any listed variable
    is missing (R ``svytotal(~y1 + y2, na.rm=TRUE)``); see :func:`mean`.

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": 10.0, "N": 40})
    >>> float(SurveyDesign(df, weight="w", fpc="N").total("y").estimate[0])
    100.0
    """
    owner = "SurveyDesign.total"
    names = _names(variables, owner)
    _check_ci(ci, owner)
    _, codes, keys = _domains(design, by)
    columns = _numeric_names(design, names, owner)
    if complete_cases:
        columns = _value_columns(design, names, owner, True)
    out = _engine.run(design, columns, codes, len(keys), total=True)
    return _symmetric_frame(design, keys, names, out, _confidence(design, confidence), ci)


def _levels(design, name: str, level, owner: str):
    """Levels of a variable counted by ``proportion`` and a column builder per level."""
    data = design.data
    if name not in data.columns:
        raise EstimationError(f"{owner}: the variable {name!r} is not in the design data.")
    s = data[name]
    numeric = pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype)
    if numeric and level in (None, 1, True, [1], [True]):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        if bool(np.all(np.isnan(values) | (values == 0) | (values == 1))):
            # Binary column: the share of 1/True, read directly (no factorisation).
            lv = True if pd.api.types.is_bool_dtype(s.dtype) else 1
            return [((name, lv), name)]
    codes, uniques = pd.factorize(s, sort=True)
    uniques = list(uniques)
    binary = pd.api.types.is_bool_dtype(s.dtype) or (
        pd.api.types.is_numeric_dtype(s.dtype) and set(uniques) <= {0, 1}
    )
    if level is not None:
        wanted = list(level) if isinstance(level, list | tuple) else [level]
        missing = [lv for lv in wanted if lv not in uniques]
        if missing and not (binary and all(lv in (0, 1, True, False) for lv in missing)):
            raise EstimationError(
                f"{owner}: the level(s) {missing!r} of {name!r} do not occur in the data "
                f"(levels present: {uniques!r}). Fix: check the level spelling."
            )
    elif binary:
        wanted = [True] if pd.api.types.is_bool_dtype(s.dtype) else [1]
    else:
        wanted = uniques
    missing_mask = codes < 0
    out = []
    for lv in wanted:
        idx = uniques.index(lv) if lv in uniques else -2

        def build(idx=idx):
            a = (codes == idx).astype(float)
            a[missing_mask] = np.nan
            return a, None

        out.append(((name, lv), build))
    return out


def proportion(
    design,
    variables,
    *,
    by=None,
    level=None,
    ci_method: str = "logit",
    ci: str = "t",
    confidence=None,
) -> pd.DataFrame:
    """Proportions of binary or categorical variables, by domain.

    Binary variables (booleans, 0/1) give the share of ``True``/1; other variables give one
    row per category (or only ``level`` when given). Missing values are excluded from
    numerator and denominator. ``ci_method`` in ``logit`` (default), ``wilson``,
    ``korn-graubard``, ``clopper-pearson``, ``wald`` (``mean``); see
    :mod:`gender_diag.design.intervals`.

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"x": ["a", "b", "b", "b"], "w": 1.0})
    >>> SurveyDesign(df, weight="w").proportion("x").estimate.tolist()
    [0.25, 0.75]
    """
    owner = "SurveyDesign.proportion"
    names = _names(variables, owner)
    if ci_method not in PROPORTION_METHODS:
        raise bad_parameter(
            "ci_method", owner, ", ".join(repr(m) for m in PROPORTION_METHODS), ci_method
        )
    _check_ci(ci, owner)
    _, codes, keys = _domains(design, by)
    specs = [s for v in names for s in _levels(design, v, level, owner)]
    out = _engine.run(design, [s[1] for s in specs], codes, len(keys))
    confidence = _confidence(design, confidence)
    q = critical_value(design.df, confidence=confidence, ci=ci)
    n_obs = out["n"]

    def limits(e, s):
        return proportion_ci(
            e, s, df=design.df, n=n_obs, method=ci_method, confidence=confidence, ci=ci
        )

    return _frame(design, keys, [s[0] for s in specs], out, q=q, ci_limits=limits, level_col=True)


def ratio(
    design, numerator, denominator, *, by=None, ci: str = "t", confidence=None
) -> pd.DataFrame:
    """Ratio of totals ``R = Σ w y / Σ w x`` (R ``svyratio``), by domain.

    ``numerator`` and ``denominator`` are column names or equal-length lists (pairs);
    ``z = w (y − R x) / X̂``. Rows missing either value are excluded from both totals.

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [2.0, 2.0, 2.0], "w": 1.0})
    >>> float(SurveyDesign(df, weight="w").ratio("y", "x").estimate[0])
    1.0
    """
    owner = "SurveyDesign.ratio"
    nums = _names(numerator, owner)
    dens = _names(denominator, owner)
    if len(dens) == 1 and len(nums) > 1:
        dens = dens * len(nums)
    if len(nums) != len(dens):
        raise bad_parameter(
            "denominator", owner, f"one name or {len(nums)} names (one per numerator)", denominator
        )
    _check_ci(ci, owner)
    _, codes, keys = _domains(design, by)
    columns = [
        (lambda a=a, b=b: (_values(design, a, owner), _values(design, b, owner)))
        for a, b in zip(nums, dens, strict=True)
    ]
    out = _engine.run(design, columns, codes, len(keys))
    q = critical_value(design.df, confidence=_confidence(design, confidence), ci=ci)
    labels = [(f"{a}/{b}", None) for a, b in zip(nums, dens, strict=True)]
    return _frame(
        design, keys, labels, out, q=q, ci_limits=lambda e, s: symmetric(e, s, q), level_col=False
    )


# ---------------------------------------------------------------------- quantiles
def _weighted_quantiles(y, w, codes, G, probs):
    """Quantile rule ``min{y : F̂(y) ≥ p}`` per domain (R ``svyquantile(qrule="math")``).

    Returns an array (G, len(probs)); NaN for empty domains.
    """
    valid = np.isfinite(y) & (codes >= 0) & (w > 0)
    yv, wv, cv = y[valid], w[valid], codes[valid]
    order = np.lexsort((yv, cv))
    yv, wv, cv = yv[order], wv[order], cv[order]
    totals = np.bincount(cv, weights=wv, minlength=G)
    cum = np.cumsum(wv)
    start = np.concatenate([[0.0], np.cumsum(totals)])[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (cum - start[cv]) / totals[cv]
    # Position key: domain g occupies (g, g + 1]; the tolerance guards against p·N sums
    # that should be exact but are not in floating point.
    key = cv + frac
    probs = np.asarray(probs, dtype=float)
    target = np.arange(G)[:, None] + probs[None, :] - 1e-12
    idx = np.searchsorted(key, target.ravel(), side="left").reshape(G, -1)
    counts = np.bincount(cv, minlength=G)
    out = np.full(idx.shape, np.nan)
    ok = (counts[:, None] > 0) & (idx < yv.size)
    out[ok] = yv[np.minimum(idx, yv.size - 1)][ok]
    # The searched position must stay in the domain (clip to its last value).
    last = np.concatenate([[0], np.cumsum(counts)])[1:] - 1
    beyond = ok & (idx > last[:, None])
    out[beyond] = yv[np.broadcast_to(last[:, None], idx.shape)[beyond]]
    return out


def _woodruff_limits(y, w, codes, G, centre, se_f, crit):
    """Quantile limits from the probability-scale interval ``F̂(q̂) ± t·se`` (NaN outside [0, 1])."""
    lo_p = centre - crit * se_f
    hi_p = centre + crit * se_f
    lo = np.full(centre.shape, np.nan)
    hi = np.full(centre.shape, np.nan)
    idx = np.arange(G)
    for j in range(centre.shape[1]):
        probs = np.clip(np.nan_to_num(np.concatenate([lo_p[:, j], hi_p[:, j]])), 0, 1)
        qs = _weighted_quantiles(y, w, codes, G, probs)
        lo[:, j] = np.where(lo_p[:, j] >= 0, qs[idx, idx], np.nan)
        hi[:, j] = np.where(hi_p[:, j] <= 1, qs[idx, G + idx], np.nan)
    return lo, hi


def quantile(design, variables, q=0.5, *, by=None, ci: str = "t", confidence=None) -> pd.DataFrame:
    """Quantiles with Woodruff (1952) confidence intervals, by domain.

    Quantile rule ``q̂ = min{y : F̂(y) ≥ p}`` (R ``qrule="math"``). The interval is R
    ``svyquantile``'s default (survey ≥ 4.0, ``interval.type="mean"``): the Wald interval
    ``F̂(q̂) ± t·se(F̂(q̂))`` of the estimated share at or below the quantile — centred on
    ``F̂(q̂)``, not on ``p`` — mapped back through the weighted quantile function; a limit
    outside [0, 1] gives a missing bound, as R. ``se = (upper − lower) / (2 t)``.
    One pass per variable (sorting is per variable); domains and probabilities are batched.

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0], "w": 1.0})
    >>> float(SurveyDesign(df, weight="w").quantile("y", 0.5).estimate[0])
    3.0
    """
    owner = "SurveyDesign.quantile"
    names = _names(variables, owner)
    probs = [q] if np.isscalar(q) else list(q)
    if not all(0 <= p <= 1 for p in probs):
        raise bad_parameter("q", owner, "probabilities in [0, 1]", q)
    _check_ci(ci, owner)
    _, codes, keys = _domains(design, by)
    G = len(keys)
    w = design.weights
    crit = critical_value(design.df, confidence=_confidence(design, confidence), ci=ci)
    safe = np.where(codes >= 0, codes, 0)
    frames = []
    for v in names:
        y = _values(design, v, owner)
        qhat = _weighted_quantiles(y, w, codes, G, probs)

        def build(j, y=y, qhat=qhat):
            a = (y <= qhat[safe, j]).astype(float)
            a[~np.isfinite(y)] = np.nan
            return a, None

        columns = [(lambda j=j, b=build: b(j)) for j in range(len(probs))]
        out = _engine.run(design, columns, codes, G)
        lo, hi = _woodruff_limits(y, w, codes, G, out["estimate"], np.sqrt(out["var"]), crit)
        res = dict(out, estimate=qhat, var=((hi - lo) / (2 * crit)) ** 2)
        res["deff"] = np.full(qhat.shape, np.nan)
        frame = _frame(
            design,
            keys,
            [(v, p_) for p_ in probs],
            res,
            q=crit,
            ci_limits=lambda e, s, lo=lo, hi=hi: (lo, hi),
            level_col=True,
        )
        frames.append(frame.rename(columns={"level": "quantile"}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------- gaps
def _gap_value(kind, ef, em):
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"difference": ef - em, "ratio": ef / em, "log-ratio": np.log(ef / em)}[kind]


def _gap_coefficients(kind, ef, em):
    """Derivatives of the gap with respect to the focal and reference estimates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "difference":
            return np.ones_like(ef), -np.ones_like(em)
        if kind == "ratio":
            return 1.0 / em, -ef / em**2
        return 1.0 / ef, -1.0 / em


def _check_gap_inputs(design, names, between, reference, by_cols, estimator, kind, owner):
    if kind not in GAP_KINDS:
        raise bad_parameter("kind", owner, "'difference', 'ratio' or 'log-ratio'", kind)
    if estimator not in ("mean", "proportion", "total"):
        raise bad_parameter("estimator", owner, "'mean', 'proportion' or 'total'", estimator)
    if between in by_cols:
        raise bad_parameter("by", owner, f"columns other than between={between!r}", by_cols)
    if estimator == "proportion":
        for v in names:
            vals = _values(design, v, owner)
            bad = np.isfinite(vals) & (vals != 0) & (vals != 1)
            if bad.any():
                raise EstimationError(
                    f"{owner}: estimator='proportion' needs a 0/1 or boolean variable; "
                    f"{v!r} has other values. Fix: use estimator='mean' or recode it."
                )


def _gap_targets(keys: pd.DataFrame, by_cols: list[str]):
    """Target (by-domain) of every between × by domain, and the target keys."""
    if not by_cols:
        return np.zeros(len(keys), dtype=np.int64), pd.DataFrame(index=range(1))
    t_of_g, tkeys_idx = pd.factorize(pd.MultiIndex.from_frame(keys[by_cols]))
    if len(by_cols) > 1:
        return t_of_g, pd.DataFrame(list(tkeys_idx), columns=by_cols)
    values = [t[0] if isinstance(t, tuple) else t for t in tkeys_idx]
    return t_of_g, pd.DataFrame({by_cols[0]: values})


class _Pair:
    """Domains of the focal and reference groups within each target (−1 when absent)."""

    def __init__(self, groups: pd.Series, t_of_g, T: int, focal, reference):
        self.f = np.full(T, -1)
        self.m = np.full(T, -1)
        is_f = (groups == focal).to_numpy()
        is_m = (groups == reference).to_numpy()
        self.f[t_of_g[is_f]] = np.flatnonzero(is_f)
        self.m[t_of_g[is_m]] = np.flatnonzero(is_m)
        self.both = (self.f >= 0) & (self.m >= 0)
        self.T = T

    def take(self, x):
        """Focal and reference rows of a (G, …) array (first axis) — or (R, G, …) with axis."""
        return x[np.maximum(self.f, 0)], x[np.maximum(self.m, 0)]

    def contrast(self, kind: str, G: int):
        def build(est):
            ef, em = self.take(est)
            cf, cm = _gap_coefficients(kind, ef, em)
            coef = np.zeros((G, est.shape[1]))
            target = np.full(G, -1)
            coef[self.f[self.both]] = cf[self.both]
            coef[self.m[self.both]] = cm[self.both]
            target[self.f[self.both]] = np.flatnonzero(self.both)
            target[self.m[self.both]] = np.flatnonzero(self.both)
            # a zero reference estimate makes ratio coefficients infinite: such contrasts
            # are undefined (set to NaN later), so they must not feed huge numbers to the sums
            return _engine.Contrast(np.where(np.isfinite(coef), coef, 0.0), target, self.T)

        return build


def _gap_inference(kind, value, se, df, crit, ci):
    """Limits, Wald t and two-sided p-value of the gaps (log scale for ratios)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "ratio":
            se_log = se / value
            lo = np.exp(np.log(value) - crit * se_log)
            hi = np.exp(np.log(value) + crit * se_log)
            tstat = np.log(value) / se_log
        else:
            lo, hi = symmetric(value, se, crit)
            tstat = value / se
    dist = stats.norm if ci == "normal" else stats.t(max(df, 1))
    return lo, hi, tstat, 2 * dist.sf(np.abs(tstat))


def _one_gap(design, columns, codes, keys, tkeys, pair, *, kind, total_est, crit, ci):
    """The gap frame of one focal group against the reference."""
    G = len(keys)
    out = _engine.run(design, columns, codes, G, total=total_est, contrasts=pair.contrast(kind, G))
    return _gap_frame(
        design, out, out.get("contrast_var"), tkeys, pair, kind=kind, crit=crit, ci=ci
    )


def _gap_frame(design, out, contrast_var, tkeys, pair, *, kind, crit, ci):
    """The gap frame of one focal group from an engine result (``contrast_var`` its variance)."""
    ef, em = pair.take(out["estimate"])
    value = _gap_value(kind, ef, em)
    if design.is_replicate:
        rf, rm = pair.take(np.moveaxis(out["reps"], 0, 1))
        var = design.replicates.var(value, np.moveaxis(_gap_value(kind, rf, rm), 1, 0))
    else:
        var = contrast_var
    undefined = ~pair.both[:, None] | ~np.isfinite(value)
    value[undefined] = np.nan
    se = np.sqrt(var)
    se[undefined] = np.nan
    lo, hi, tstat, p_value = _gap_inference(kind, value, se, design.df, crit, ci)
    se_f, se_m = pair.take(np.sqrt(out["var"]))
    n_f, n_m = pair.take(out["n"])
    k = out["estimate"].shape[1]
    frame = pd.concat([tkeys] * k, ignore_index=True) if len(tkeys.columns) else None
    frame = pd.DataFrame(index=range(pair.T * k)) if frame is None else frame

    def flat(x, where=pair.both):
        return np.asarray(np.where(where[:, None], x, np.nan)).T.ravel()

    cols = {
        "estimate_focal": flat(ef),
        "estimate_reference": flat(em),
        "se_focal": flat(se_f),
        "se_reference": flat(se_m),
        "n_focal": np.nan_to_num(flat(n_f, pair.f >= 0)).astype(np.int64),
        "n_reference": np.nan_to_num(flat(n_m, pair.m >= 0)).astype(np.int64),
        "kind": kind,
        "estimate": value.T.ravel(),
        "se": se.T.ravel(),
        "ci_low": np.asarray(lo).T.ravel(),
        "ci_high": np.asarray(hi).T.ravel(),
        "df": design.df,
        "t": np.asarray(tstat).T.ravel(),
        "p_value": np.asarray(p_value).T.ravel(),
    }
    return frame.assign(**cols)


def gap(
    design,
    variables,
    *,
    between: str = "sex",
    reference="M",
    kind: str = "difference",
    by=None,
    estimator: str = "mean",
    ci: str = "t",
    confidence=None,
) -> pd.DataFrame:
    """Gap between groups of ``between`` (e.g. women vs men) within each ``by`` domain.

    Both groups come from the same PSUs, so the contrast is linearised as one influence
    variable ``z = c_F z_F + c_M z_M`` summed by PSU (never as two independent samples):

    * ``difference``: ``θ_F − θ_M``; ``c = (1, −1)``;
    * ``ratio``: ``θ_F / θ_M``; ``c = (1/θ_M, −θ_F/θ_M²)``; CI ``exp(log-ratio CI)``;
    * ``log-ratio``: ``log(θ_F / θ_M)``; ``c = (1/θ_F, −1/θ_M)``.

    The test is the design-based Wald t = estimate / se (log scale for ``ratio``) with the
    design df; ``p_value`` two-sided. Replicate designs apply the same contrast to every
    replicate. ``estimator`` in ``mean``, ``proportion`` (mean of a 0/1 or boolean
    variable), ``total``.

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 0, 1, 1, 0, 0], "sex": list("FFFMMM"), "w": 1.0})
    >>> g = SurveyDesign(df, weight="w").gap("y")
    >>> round(float(g.estimate[0]), 4)
    0.3333
    """
    owner = "SurveyDesign.gap"
    names = _names(variables, owner)
    _check_ci(ci, owner)
    by_cols = _by(by)
    _check_gap_inputs(design, names, between, reference, by_cols, estimator, kind, owner)
    codes, keys = design.domain_codes(by_cols + [between])
    columns = _numeric_names(design, names, owner)
    groups = keys[between]
    if not (groups == reference).any():
        raise EstimationError(
            f"{owner}: the reference group {reference!r} does not occur in {between!r} "
            f"(values: {sorted(map(str, groups.unique()))}). Fix: pass reference= one of them."
        )
    t_of_g, tkeys = _gap_targets(keys, by_cols)
    crit = critical_value(design.df, confidence=_confidence(design, confidence), ci=ci)
    frames = []
    for focal in sorted((lv for lv in pd.unique(groups) if lv != reference), key=str):
        pair = _Pair(groups, t_of_g, len(tkeys), focal, reference)
        frame = _one_gap(
            design, columns, codes, keys, tkeys, pair,
            kind=kind, total_est=estimator == "total", crit=crit, ci=ci,
        )  # fmt: skip
        frame.insert(len(tkeys.columns), "variable", np.repeat(names, pair.T))
        frame.insert(len(tkeys.columns) + 1, "focal", focal)
        frame.insert(len(tkeys.columns) + 2, "reference", reference)
        frames.append(frame)
    if not frames:
        raise EstimationError(
            f"{owner}: {between!r} has no group other than the reference {reference!r}."
        )
    return pd.concat(frames, ignore_index=True)


def mean_and_gaps(
    design,
    variables,
    *,
    between: str = "sex",
    reference="M",
    kinds=("difference",),
    by=None,
    ci: str = "t",
    confidence=None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Means by ``by`` × ``between`` and their gaps of several kinds, from ONE engine pass.

    The same frames as ``mean(design, variables, by=[*by, between])`` and, for each kind,
    ``gap(design, variables, between=between, reference=reference, kind=kind, by=by)``
    (estimator ``mean``): the means and every contrast share the cell sums of one
    :func:`gender_diag.design._engine.run` call, so the rows are summed once instead of
    once per estimator and per gap kind.

    Returns
    -------
    (DataFrame, list of DataFrame)
        The means, and one gap frame per kind (in the order of ``kinds``).
    """
    return means_and_gaps_by(
        design, variables, [by], between=between, reference=reference, kinds=kinds, ci=ci,
        confidence=confidence,
    )[0]  # fmt: skip


def means_and_gaps_by(
    design,
    variables,
    bys,
    *,
    between: str = "sex",
    reference="M",
    kinds=("difference",),
    ci: str = "t",
    confidence=None,
    deff: bool = True,
) -> list[tuple[pd.DataFrame, list[pd.DataFrame]]]:
    """:func:`mean_and_gaps` for every disaggregation of ``bys`` (None = no by-column).

    One result per entry of ``bys``. The variables are read and weighted once for all the
    disaggregations (:func:`gender_diag.design._engine.run_partitions`), then summed by
    each one's domains. ``deff=False`` leaves the design effects of the means NaN (one
    pass over the rows less per disaggregation).
    """
    owner = "SurveyDesign.gap"
    names = _names(variables, owner)
    _check_ci(ci, owner)
    columns = _numeric_names(design, names, owner)
    confidence = _confidence(design, confidence)
    crit = critical_value(design.df, confidence=confidence, ci=ci)
    plans, partitions = [], []
    for by in bys:
        by_cols = _by(by)
        for kind in kinds:
            _check_gap_inputs(design, names, between, reference, by_cols, "mean", kind, owner)
        codes, keys = design.domain_codes(by_cols + [between])
        groups = keys[between]
        if not (groups == reference).any():
            raise EstimationError(
                f"{owner}: the reference group {reference!r} does not occur in {between!r} "
                f"(values: {sorted(map(str, groups.unique()))}). Fix: pass reference= one of "
                "them."
            )
        t_of_g, tkeys = _gap_targets(keys, by_cols)
        G = len(keys)
        focals = sorted((lv for lv in pd.unique(groups) if lv != reference), key=str)
        if not focals:
            raise EstimationError(
                f"{owner}: {between!r} has no group other than the reference {reference!r}."
            )
        pairs = [_Pair(groups, t_of_g, len(tkeys), focal, reference) for focal in focals]
        wanted = [(kind, f, pair) for kind in kinds for f, pair in zip(focals, pairs, strict=True)]
        plans.append((keys, tkeys, wanted))
        partitions.append((codes, G, [pair.contrast(kind, G) for kind, _, pair in wanted]))
    outs = _engine.run_partitions(design, columns, partitions, deff=deff)
    results = []
    for (keys, tkeys, wanted), out in zip(plans, outs, strict=True):
        means = _symmetric_frame(design, keys, names, out, confidence, ci)
        variances = out.get("contrast_vars") or [None] * len(wanted)
        gaps = []
        for kind in kinds:
            frames = []
            for (k_, focal, pair), var in zip(wanted, variances, strict=True):
                if k_ != kind:
                    continue
                frame = _gap_frame(design, out, var, tkeys, pair, kind=kind, crit=crit, ci=ci)
                frame.insert(len(tkeys.columns), "variable", np.repeat(names, pair.T))
                frame.insert(len(tkeys.columns) + 1, "focal", focal)
                frame.insert(len(tkeys.columns) + 2, "reference", reference)
                frames.append(frame)
            gaps.append(pd.concat(frames, ignore_index=True))
        results.append((means, gaps))
    return results
