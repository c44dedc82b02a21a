"""The survey design object: weights, strata, clusters, fpc, replicate weights.

``SurveyDesign`` validates the design once, computes integer codes for strata, PSUs and
SSUs and the per-unit variance scale factors, and hands the estimators a single kernel:
:meth:`SurveyDesign.vcov_total`, the design covariance of estimated totals of weighted
influence values. Estimators (``mean``, ``total``, ``proportion``, ``ratio``,
``quantile``, ``gap``) live in :mod:`gender_diag.design.estimators` and are attached as
methods.

Conventions follow R ``survey`` (Lumley 2004, 2010): ``svydesign(ids=~psu+ssu,
strata=~strata, weights=~w, fpc=~fpc+fpc2, nest=TRUE)``; fpc values > 1 are population
sizes, values ≤ 1 sampling fractions; with-replacement designs ignore the fpc; the second
stage adds to the variance only when the first-stage fpc is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gender_diag.design import calibration, estimators
from gender_diag.design._kernel import StageStructure, group_sum
from gender_diag.errors import DesignError, bad_parameter

LONELY_POLICIES = ("fail", "remove", "adjust", "certainty")
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")
_CERTAINTY = 1e-7  # R survey: a stage with (1 - f) below this is a certainty stage


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise bad_parameter(role, "SurveyDesign", "a column name (str)", name)
    if name not in data.columns:
        raise DesignError(
            f"SurveyDesign: the {role} column {name!r} is not in the data. "
            f"Available columns: {', '.join(map(str, data.columns[:30]))}. "
            f"Fix: pass the name of an existing column as {role}=."
        )
    return data[name]


def _numeric(series: pd.Series, role: str, *, allow_na: bool = False) -> np.ndarray:
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"SurveyDesign: the {role} column {series.name!r} must be numeric; "
            f"it holds values such as {series.dropna().iloc[:3].tolist()!r}. "
            f"Fix: convert it to numbers before building the design."
        ) from exc
    bad = ~np.isfinite(values)
    if not allow_na and bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise DesignError(
            f"SurveyDesign: the {role} column {series.name!r} has {int(bad.sum())} missing or "
            f"infinite values (first row positions {rows}). Rule: every row needs a finite "
            f"{role}. Fix: fill or remove those rows explicitly before building the design."
        )
    return values


def _codes(series: pd.Series, role: str) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(series, sort=True)
    if (codes < 0).any():
        rows = np.flatnonzero(codes < 0)[:5].tolist()
        raise DesignError(
            f"SurveyDesign: the {role} column {series.name!r} has {int((codes < 0).sum())} "
            f"missing values (first row positions {rows}). Rule: every row must belong to a "
            f"{role}. Fix: fill the {role} of those rows."
        )
    return codes.astype(np.int64), np.asarray(uniques)


def _nested(outer: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of (outer, inner) pairs, and the outer code of each pair (R ``nest=TRUE``)."""
    key = outer * (int(inner.max()) + 1 if inner.size else 1) + inner
    codes, uniques = pd.factorize(key, sort=True)
    codes = codes.astype(np.int64)
    parent = (uniques // (int(inner.max()) + 1 if inner.size else 1)).astype(np.int64)
    return codes, parent


def _per_group_constant(
    values: np.ndarray, group: np.ndarray, n_groups: int, role: str, column: str, group_role: str
) -> np.ndarray:
    lo = np.full(n_groups, np.inf)
    hi = np.full(n_groups, -np.inf)
    np.minimum.at(lo, group, values)
    np.maximum.at(hi, group, values)
    if np.any(~np.isclose(lo, hi, rtol=1e-9, atol=0)):
        bad = int(np.flatnonzero(~np.isclose(lo, hi, rtol=1e-9, atol=0))[0])
        raise DesignError(
            f"SurveyDesign: the {role} column {column!r} must be constant within each "
            f"{group_role}; one {group_role} has values from {lo[bad]} to {hi[bad]}. "
            f"Fix: give one population size (or sampling fraction) per {group_role}."
        )
    return lo


def _population_size(values: np.ndarray, n_units: np.ndarray, role: str, column: str) -> np.ndarray:
    """Population sizes from a fpc given as sizes (> 1) or sampling fractions (≤ 1)."""
    if np.any(values <= 0):
        raise DesignError(
            f"SurveyDesign: the {role} column {column!r} has values ≤ 0. Rule: give population "
            f"sizes (> 1) or sampling fractions in (0, 1]. Fix: correct those values."
        )
    # R survey (as.fpc): fractions only when every value is ≤ 1, otherwise sizes (a
    # population of 1 is a valid size, e.g. a district with a single school).
    if np.all(values <= 1):
        return n_units / values
    short = values < n_units - 1e-9
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise DesignError(
            f"SurveyDesign: the {role} column {column!r} gives a population size "
            f"{values[i]:g} smaller than the {int(n_units[i])} units sampled there. "
            f"Fix: check the population sizes (or give sampling fractions ≤ 1)."
        )
    return values


def _stage_scale(
    n: np.ndarray, pop: np.ndarray | None, lonely: str, labels, stage: str, lonely_psu: str
) -> tuple[np.ndarray, np.ndarray]:
    """Scale ``(1-f) n/(n-1)`` per group and the lonely-adjust flag (R ``onestrat``)."""
    one_minus_f = np.ones_like(n) if pop is None else (pop - n) / pop
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 1, one_minus_f * n / (n - 1), 0.0)
    alone = (n == 1) & (one_minus_f >= _CERTAINTY)
    adjust = np.zeros(n.shape, dtype=bool)
    if alone.any():
        if lonely_psu == "fail":
            names = [str(labels[i]) for i in np.flatnonzero(alone)[:10]]
            raise DesignError(
                f"SurveyDesign: {int(alone.sum())} {lonely} have a single {stage} "
                f"(lonely PSU), e.g. {', '.join(names)}. Rule: a variance needs two or more "
                f"{stage}s per {lonely[:-1] if lonely.endswith('s') else lonely}. Fix: merge "
                f"strata, or choose lonely_psu='remove', 'adjust' or 'certainty' "
                f"(as R options(survey.lonely.psu=))."
            )
        if lonely_psu == "adjust":
            scale = np.where(alone, one_minus_f, scale)
            adjust = alone
    return scale, adjust


class SurveyDesign:
    """A complex survey design: weights, strata, one- or two-stage clusters, fpc, replicates.

    Parameters
    ----------
    data : DataFrame
        One row per sampled unit. Kept by reference (pandas copy-on-write).
    weight : str
        Column of sampling weights (finite, ≥ 0).
    strata : str, optional
        Stratum column. PSU identifiers are nested within strata.
    psu, ssu : str, optional
        First- and second-stage cluster columns. ``psu=None`` makes every row a PSU.
    fpc, fpc2 : str, optional
        Finite-population correction at stage 1 (per stratum) and stage 2 (per PSU), as
        population sizes (> 1) or sampling fractions (≤ 1).
    with_replacement : bool
        Treat the first stage as with-replacement: fpc ignored, no second-stage term.
    lonely_psu : {"fail", "remove", "adjust", "certainty"}
        What to do with strata holding a single PSU (R ``survey.lonely.psu``).
    replicate_weights : list of str or str, optional
        Replicate weight columns (full weights, R ``combined.weights=TRUE``), or a prefix
        that selects them.
    replicate_type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "other"}, optional
    scale, rscales : float, array_like, optional
        Replicate variance ``V = scale · Σ_r rscales_r (θ_r − θ̄)²``. Defaults as R
        ``svrepdesign``: JK1 (R−1)/R, BRR 1/R, bootstrap 1/(R−1), other 1; JKn and Fay need
        ``rscales`` / ``scale`` (Fay: ``1/(R (1−ρ)²)``).
    mse : bool
        Centre replicate deviations on the full-sample estimate instead of their mean.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": 2.0, "h": [1, 1, 2, 2]})
    >>> d = SurveyDesign(df, weight="w", strata="h")
    >>> d.df
    2
    >>> # each stratum: z = (2, 4) and (6, 8) → 2/1 · (1 + 1) = 4; two strata → 8
    >>> float(d.vcov_total(df[["y"]].to_numpy() * 2.0)[0, 0])
    8.0
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        *,
        strata: str | None = None,
        psu: str | None = None,
        ssu: str | None = None,
        fpc: str | None = None,
        fpc2: str | None = None,
        with_replacement: bool = False,
        lonely_psu: str = "fail",
        replicate_weights: Sequence[str] | str | None = None,
        replicate_type: str | None = None,
        scale: float | None = None,
        rscales=None,
        mse: bool = False,
    ):
        if not isinstance(data, pd.DataFrame):
            raise bad_parameter("data", "SurveyDesign", "a pandas DataFrame", type(data).__name__)
        if lonely_psu not in LONELY_POLICIES:
            raise bad_parameter(
                "lonely_psu",
                "SurveyDesign",
                "'fail', 'remove', 'adjust' or 'certainty'",
                lonely_psu,
            )
        if data.shape[0] == 0:
            raise DesignError("SurveyDesign: the data have no rows. Fix: pass the sample data.")
        self._data = data
        self._spec = dict(
            weight=weight,
            strata=strata,
            psu=psu,
            ssu=ssu,
            fpc=fpc,
            fpc2=fpc2,
            with_replacement=bool(with_replacement),
            lonely_psu=lonely_psu,
        )
        n = data.shape[0]
        w = _numeric(_column(data, weight, "weight"), "weight")
        if np.any(w < 0):
            raise DesignError(
                f"SurveyDesign: the weight column {weight!r} has {int((w < 0).sum())} negative "
                f"values. Rule: sampling weights are ≥ 0. Fix: correct the weights."
            )
        self._w = w
        self._domain = np.ones(n, dtype=bool)
        self._cache: dict = {}
        self._calib = None

        if strata is None:
            h, h_labels = np.zeros(n, dtype=np.int64), np.array(["(all)"], dtype=object)
        else:
            h, h_labels = _codes(_column(data, strata, "strata"), "stratum")
        if psu is None:
            if ssu is not None:
                raise DesignError("SurveyDesign: ssu= needs psu=. Fix: give the PSU column.")
            p, p_stratum = np.arange(n, dtype=np.int64), h.copy()
        else:
            psu_codes, _ = _codes(_column(data, psu, "psu"), "PSU")
            p, p_stratum = _nested(h, psu_codes)
        n_strata = h_labels.size
        n_psu_h = np.bincount(p_stratum, minlength=n_strata).astype(float)

        pop1 = None
        if fpc is not None and not with_replacement:
            vals = _numeric(_column(data, fpc, "fpc"), "fpc")
            per_h = _per_group_constant(vals, h, n_strata, "fpc", fpc, "stratum")
            pop1 = _population_size(per_h, n_psu_h, "fpc", fpc)
        scale1, adjust1 = _stage_scale(n_psu_h, pop1, "strata", h_labels, "PSU", lonely_psu)
        self._stage1 = StageStructure(p, p_stratum, scale1[p_stratum], adjust1[p_stratum])
        self._strata_codes, self._strata_labels = h, h_labels
        self._pop1 = pop1

        self._stage2 = None
        if fpc2 is not None and fpc is None:
            raise DesignError(
                "SurveyDesign: fpc2= was given without fpc=. Rule: the second-stage "
                "correction needs the first-stage one (R survey). Fix: give fpc= as well."
            )
        if fpc2 is not None and ssu is None:
            raise DesignError("SurveyDesign: fpc2= needs ssu=. Fix: give the SSU column.")
        if ssu is not None and fpc2 is not None and not with_replacement:
            ssu_codes, _ = _codes(_column(data, ssu, "ssu"), "SSU")
            s, s_psu = _nested(p, ssu_codes)
            n_psu = p_stratum.size
            n_ssu_p = np.bincount(s_psu, minlength=n_psu).astype(float)
            vals = _numeric(_column(data, fpc2, "fpc2"), "fpc2")
            per_p = _per_group_constant(vals, p, n_psu, "fpc2", fpc2, "PSU")
            pop2 = _population_size(per_p, n_ssu_p, "fpc2", fpc2)
            scale2, adjust2 = _stage_scale(
                n_ssu_p, pop2, "PSUs", np.arange(n_psu), "SSU", lonely_psu
            )
            # R multistage(): the second-stage term is multiplied by n_h / N_h.
            scale2 = scale2 * (n_psu_h / pop1)[p_stratum]
            stage2 = StageStructure(s, s_psu, scale2[s_psu], adjust2[s_psu])
            self._stage2 = stage2 if stage2.active else None
        if psu is None:
            self._df = int(n - n_strata)
        else:
            self._df = int(p_stratum.size - n_strata)

        self._rep = None
        if replicate_weights is not None:
            self._rep = _Replicates.from_columns(
                self, replicate_weights, replicate_type, scale, rscales, mse
            )
        elif replicate_type is not None:
            raise DesignError(
                "SurveyDesign: replicate_type= was given without replicate_weights=. "
                "Fix: pass the replicate weight columns, or use d.jackknife()/d.bootstrap()."
            )

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> pd.DataFrame:
        """The sample data (all rows, also those outside a :meth:`subset`)."""
        return self._data

    @property
    def spec(self) -> dict:
        """Column roles and options: weight, strata, psu, ssu, fpc, fpc2, with_replacement,
        lonely_psu (a copy; the design itself is immutable)."""
        return dict(self._spec)

    @property
    def weights(self) -> np.ndarray:
        """Full-sample weights, shape (n,)."""
        return self._w

    @property
    def domain_mask(self) -> np.ndarray:
        """Rows inside the current domain (:meth:`subset`), shape (n,)."""
        return self._domain

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs − strata (Taylor); rank − 1 of replicate weights."""
        if self._rep is not None:
            return self._rep.df
        return self._df

    @property
    def is_replicate(self) -> bool:
        """True when variances come from replicate weights."""
        return self._rep is not None

    @property
    def replicate_weights(self) -> np.ndarray:
        """Replicate weights, shape (n, R) (materialised on demand)."""
        self._need_replicates("replicate_weights")
        return self._rep.weights(self._w)

    @property
    def scale(self) -> float:
        """Overall replicate variance multiplier."""
        self._need_replicates("scale")
        return self._rep.scale

    @property
    def rscales(self) -> np.ndarray:
        """Per-replicate variance multipliers, shape (R,)."""
        self._need_replicates("rscales")
        return self._rep.rscales

    @property
    def mse(self) -> bool:
        """Replicate deviations centred on the full-sample estimate."""
        self._need_replicates("mse")
        return self._rep.mse

    @property
    def replicate_type(self) -> str | None:
        """Replicate method name, or None for a Taylor-linearisation design."""
        return None if self._rep is None else self._rep.kind

    def _need_replicates(self, what: str) -> None:
        if self._rep is None:
            raise DesignError(
                f"SurveyDesign.{what}: this design has no replicate weights. Fix: build one with "
                f"replicate_weights=, or call d.jackknife() / d.bootstrap()."
            )

    def __repr__(self) -> str:
        s = self._spec
        kind = f"replicate ({self._rep.kind}, R={self._rep.n_rep})" if self._rep else "Taylor"
        return (
            f"SurveyDesign(n={self._w.size}, weight={s['weight']!r}, strata={s['strata']!r},"
            f" psu={s['psu']!r}, ssu={s['ssu']!r}, fpc={s['fpc']!r}, df={self.df}, {kind})"
        )

    # ------------------------------------------------------------------ variance hooks
    def vcov_total(self, z: np.ndarray) -> np.ndarray:
        """Design covariance of estimated totals ``Σ_i z_i``.

        Parameters
        ----------
        z : ndarray, shape (n,) or (n, p)
            Already-weighted influence values, rows aligned with :attr:`data` (zeros outside
            a domain; rows are never dropped).

        Returns
        -------
        ndarray, shape (p, p)
            Taylor design covariance (strata, PSUs, second stage, fpc, lonely-PSU policy),
            or for replicate designs ``scale Σ_r rscales_r (T_r − T̄)(T_r − T̄)ᵀ`` with
            ``T_r = Σ_i (w_ri / w_i) z_i``.
        """
        z = np.asarray(z, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if z.shape[0] != self._w.size:
            raise bad_parameter(
                "z", "SurveyDesign.vcov_total", f"an array with {self._w.size} rows", z.shape
            )
        if self._rep is not None:
            full = z.sum(axis=0)
            reps = self._rep.totals(z, self._w)
            return self._rep.vcov(full, reps)
        if self._calib is not None:
            z = calibration.residuals(self, z)
        totals = self._stage1.matrix @ z
        v = self._stage1.cov(np.asarray(totals))
        if self._stage2 is not None:
            v = v + self._stage2.cov(np.asarray(self._stage2.matrix @ z))
        return v

    def vcov_replicates(self, theta_full, theta_reps) -> np.ndarray:
        """Replicate covariance ``scale Σ_r rscales_r (θ_r − c)(θ_r − c)ᵀ``.

        ``c`` is the mean of the replicates, or ``theta_full`` when ``mse=True``.
        ``theta_full`` has shape (p,), ``theta_reps`` shape (R, p).
        """
        self._need_replicates("vcov_replicates")
        return self._rep.vcov(
            np.atleast_1d(np.asarray(theta_full, dtype=float)),
            np.asarray(theta_reps, dtype=float).reshape(self._rep.n_rep, -1),
        )

    # ------------------------------------------------------------------ domains
    def subset(self, mask) -> SurveyDesign:
        """Domain-preserving subset: rows outside ``mask`` get zero influence, PSUs stay.

        Parameters
        ----------
        mask : array_like of bool, shape (n,), or boolean Series aligned with ``data``
            Rows that form the subpopulation. Missing values count as outside.
        """
        if isinstance(mask, pd.Series):
            if not mask.index.equals(self._data.index):
                mask = mask.reindex(self._data.index)
            mask = mask.to_numpy(dtype=float, na_value=0.0)
        mask = np.asarray(mask)
        if mask.shape != (self._w.size,):
            raise bad_parameter(
                "mask",
                "SurveyDesign.subset",
                f"a boolean array of length {self._w.size}",
                mask.shape,
            )
        new = self._copy()
        new._domain = self._domain & (np.nan_to_num(mask.astype(float)) != 0)
        return new

    def _copy(self) -> SurveyDesign:
        new = object.__new__(SurveyDesign)
        new.__dict__.update(self.__dict__)
        new._cache = {}
        return new

    def _domain_codes(self, by) -> tuple[np.ndarray, pd.DataFrame]:
        """Domain code of every row (−1 outside) and the domain keys (one row per domain)."""
        cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
        key = tuple(cols)
        if key in self._cache:
            return self._cache[key]
        n = self._w.size
        if not cols:
            codes = np.where(self._domain, 0, -1).astype(np.int64)
            keys = pd.DataFrame(index=range(1 if self._domain.any() else 0))
        else:
            for c in cols:
                _column(self._data, c, "by")
            # Mixed-radix code of the by-columns (each factorised with sort=True, so the
            # domains come out in sorted key order); a row with a missing key is in none.
            raw = np.zeros(n, dtype=np.int64)
            missing = np.zeros(n, dtype=bool)
            for c in cols:
                c_codes, c_uniques = pd.factorize(self._data[c], sort=True)
                missing |= c_codes < 0
                raw = raw * max(len(c_uniques), 1) + np.maximum(c_codes, 0)
            raw = np.where(missing | ~self._domain, -1, raw)
            dense, present = pd.factorize(raw)
            present = np.asarray(present, dtype=np.int64)
            keep = present >= 0
            order = np.argsort(present[keep], kind="stable")
            rank = np.full(present.size, -1, dtype=np.int64)
            rank[np.flatnonzero(keep)[order]] = np.arange(order.size)
            codes = np.where(raw >= 0, rank[dense], -1)
            first = np.full(order.size, -1, dtype=np.int64)
            valid_rows = np.flatnonzero(codes >= 0)
            # first row of every domain (reverse assignment keeps the smallest index)
            first[codes[valid_rows[::-1]]] = valid_rows[::-1]
            keys = self._data[cols].iloc[first].reset_index(drop=True)
        if codes.size != n:  # pragma: no cover - defensive
            raise DesignError("SurveyDesign: internal domain coding error.")
        self._cache[key] = (codes, keys)
        return codes, keys

    # ------------------------------------------------------------------ estimators
    def mean(self, variables, *, by=None, ci: str = "t", level: float = 0.95) -> pd.DataFrame:
        """Weighted means by domain; see :func:`gender_diag.design.estimators.mean`."""
        return estimators.mean(self, variables, by=by, ci=ci, level=level)

    def total(self, variables, *, by=None, ci: str = "t", level: float = 0.95) -> pd.DataFrame:
        """Estimated totals by domain; see :func:`gender_diag.design.estimators.total`."""
        return estimators.total(self, variables, by=by, ci=ci, level=level)

    def proportion(
        self,
        variables,
        *,
        by=None,
        level=None,
        ci_method: str = "logit",
        ci: str = "t",
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Proportions by domain; see :func:`gender_diag.design.estimators.proportion`."""
        return estimators.proportion(
            self, variables, by=by, level=level, ci_method=ci_method, ci=ci, conf_level=conf_level
        )

    def ratio(
        self, numerator, denominator, *, by=None, ci: str = "t", level: float = 0.95
    ) -> pd.DataFrame:
        """Ratios of totals by domain; see :func:`gender_diag.design.estimators.ratio`."""
        return estimators.ratio(self, numerator, denominator, by=by, ci=ci, level=level)

    def quantile(
        self, variables, q=0.5, *, by=None, ci: str = "t", level: float = 0.95
    ) -> pd.DataFrame:
        """Woodruff quantiles by domain; see :func:`gender_diag.design.estimators.quantile`."""
        return estimators.quantile(self, variables, q, by=by, ci=ci, level=level)

    def gap(
        self,
        variables,
        *,
        between: str = "sex",
        reference="M",
        kind: str = "difference",
        by=None,
        estimator: str = "mean",
        ci: str = "t",
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Gaps between groups from the same PSUs; see :func:`gender_diag.design.estimators.gap`."""
        return estimators.gap(
            self,
            variables,
            between=between,
            reference=reference,
            kind=kind,
            by=by,
            estimator=estimator,
            ci=ci,
            level=level,
        )

    # ------------------------------------------------------------------ calibration
    def poststratify(self, column: str, counts) -> SurveyDesign:
        """Post-stratify to known population counts; see :mod:`gender_diag.design.calibration`."""
        return calibration.rake(self, {column: counts}, _owner="SurveyDesign.poststratify")

    def rake(self, margins: dict, *, max_iter: int = 100, tol: float = 1e-10) -> SurveyDesign:
        """Rake to known margins; see :func:`gender_diag.design.calibration.rake`."""
        return calibration.rake(self, margins, max_iter=max_iter, tol=tol)

    # ------------------------------------------------------------------ replicates
    def jackknife(self) -> SurveyDesign:
        """Jackknife replicate design: JK1 without strata, JKn with strata.

        Replicate *r* drops PSU *r* and multiplies the other PSUs of its stratum by
        ``n_h/(n_h − 1)``; ``rscales_r = (1 − f_h)(n_h − 1)/n_h`` (JKn) or
        ``scale = (1 − f)(R − 1)/R`` (JK1), as R ``as.svrepdesign(type="auto")``.
        Strata with one PSU give no replicate (they contribute no variance).
        """
        from gender_diag.design.replicates import jackknife_factors

        factors, scale, rscales, kind = jackknife_factors(self)
        return self._with_factors(factors, kind, scale, rscales)

    def bootstrap(self, replicates: int = 500, seed: int = 0) -> SurveyDesign:
        """Rao–Wu rescaling bootstrap with ``n_h − 1`` PSUs drawn per stratum.

        Factor of PSU *i* in replicate *r*: ``n_h/(n_h − 1) · m_hi^r`` where ``m_hi^r`` is the
        number of times it was drawn (Rao, Wu & Yue 1992; R ``as.svrepdesign(type=
        "subbootstrap")``); ``scale = 1/(R − 1)``.
        """
        from gender_diag.design.replicates import bootstrap_factors

        if not isinstance(replicates, int | np.integer) or replicates < 2:
            raise bad_parameter(
                "replicates", "SurveyDesign.bootstrap", "an integer ≥ 2", replicates
            )
        factors = bootstrap_factors(self, int(replicates), seed)
        return self._with_factors(factors, "bootstrap", 1.0 / (replicates - 1), np.ones(replicates))

    def _with_factors(self, factors, kind, scale, rscales) -> SurveyDesign:
        new = self._copy()
        new._rep = _Replicates(self._stage1.unit, factors, None, kind, scale, rscales, False)
        return new


class _Replicates:
    """Replicate weights stored compactly: ``w_ri = w_i · F[code_i, r]`` or dense ``W``."""

    def __init__(self, codes, factors, dense, kind, scale, rscales, mse):
        self.codes = codes
        self.factors = factors
        self.dense = dense
        self.kind = kind
        self.n_rep = (factors if dense is None else dense).shape[1]
        self.scale = float(scale)
        self.rscales = np.broadcast_to(np.asarray(rscales, dtype=float), (self.n_rep,)).copy()
        self.mse = bool(mse)
        self._df = None
        self._matrix = None

    @classmethod
    def from_columns(cls, design, columns, kind, scale, rscales, mse):
        data = design.data
        if isinstance(columns, str):
            cols = [c for c in data.columns if str(c).startswith(columns)]
            if not cols:
                raise DesignError(
                    f"SurveyDesign: no column starts with the replicate prefix {columns!r}. "
                    f"Fix: pass the list of replicate weight columns."
                )
        else:
            cols = list(columns)
        if kind not in REPLICATE_TYPES:
            raise bad_parameter(
                "replicate_type", "SurveyDesign", ", ".join(repr(k) for k in REPLICATE_TYPES), kind
            )
        n_rep = len(cols)
        if n_rep < 2:
            raise DesignError("SurveyDesign: at least two replicate weight columns are needed.")
        dense = np.column_stack(
            [_numeric(_column(data, c, "replicate weight"), "replicate weight") for c in cols]
        )
        if scale is None:
            defaults = {
                "JK1": (n_rep - 1) / n_rep,
                "BRR": 1.0 / n_rep,
                "bootstrap": 1.0 / (n_rep - 1),
                "other": 1.0,
                "JKn": 1.0,
            }
            if kind == "Fay":
                raise DesignError(
                    "SurveyDesign: replicate_type='Fay' needs scale= (1/(R·(1−rho)²), R "
                    "svrepdesign(type='Fay', rho=)). Fix: pass scale=."
                )
            scale = defaults[kind]
        if rscales is None:
            if kind == "JKn":
                raise DesignError(
                    "SurveyDesign: replicate_type='JKn' needs rscales= ((n_h−1)/n_h for each "
                    "replicate of stratum h). Fix: pass rscales=, or use d.jackknife()."
                )
            rscales = np.ones(n_rep)
        rscales = np.asarray(rscales, dtype=float)
        if rscales.shape not in ((), (n_rep,)):
            raise bad_parameter("rscales", "SurveyDesign", f"{n_rep} numbers", rscales.shape)
        codes, factors = _compress(dense, design.weights)
        if codes is not None:
            return cls(codes, factors, None, kind, scale, rscales, mse)
        return cls(None, None, dense, kind, scale, rscales, mse)

    def weights(self, w: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.dense
        return w[:, None] * self.factors[self.codes]

    def totals(self, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Replicate totals ``T_r = Σ_i (w_ri/w_i) z_i`` (R × p) of weighted values ``z``."""
        if self.dense is None:
            by_code = group_sum(self.codes, self.factors.shape[0], z)
            return self.factors.T @ by_code
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(w[:, None] > 0, self.dense / w[:, None], 0.0)
        return ratio.T @ z

    def vcov(self, full: np.ndarray, reps: np.ndarray) -> np.ndarray:
        centre = full if self.mse else reps.mean(axis=0)
        dev = reps - centre
        return self.scale * (dev.T @ (dev * self.rscales[:, None]))

    def var(self, full: np.ndarray, reps: np.ndarray) -> np.ndarray:
        """Diagonal of :meth:`vcov` for arrays of any trailing shape (reps: R × ...)."""
        centre = full if self.mse else reps.mean(axis=0)
        dev = reps - centre
        r = self.rscales.reshape((-1,) + (1,) * (reps.ndim - 1))
        return self.scale * (r * dev**2).sum(axis=0)

    @property
    def df(self) -> int:
        """R ``degf`` for replicate designs: rank of the replicate weights − 1."""
        if self._df is None:
            if self.dense is None:
                mat = self.factors
            else:
                mat = self.dense
            gram = mat.T @ mat
            eig = np.linalg.eigvalsh(gram)
            self._df = int(np.sum(eig > eig.max() * 1e-10)) - 1
        return self._df


def _compress(dense: np.ndarray, w: np.ndarray):
    """Find rows sharing one replicate-factor pattern (usually one per PSU).

    Returns ``(codes, factors)`` with ``dense == w[:, None] * factors[codes]`` exactly, or
    ``(None, None)`` when the weights are not PSU-patterned (then a dense path is used).
    """
    if np.any(w <= 0):
        return None, None
    ratio = dense / w[:, None]
    probe = ratio @ np.random.default_rng(12345).random(ratio.shape[1])
    codes, _ = pd.factorize(probe)
    n_codes = int(codes.max()) + 1
    if n_codes > max(1, w.size // 4):
        return None, None
    _, first = np.unique(codes, return_index=True)
    factors = ratio[first]
    if not np.allclose(ratio, factors[codes], rtol=1e-12, atol=0):
        return None, None
    return codes.astype(np.int64), factors
