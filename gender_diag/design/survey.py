"""The survey design object: weights, strata, clusters, fpc, replicate weights, calibration.

``SurveyDesign`` is built from a :class:`~gender_diag.design.spec.DesignSpec` (column roles
and variance options, validated once) and the data. It computes the integer codes of
strata, PSUs and SSUs and the per-unit variance scale factors
(:mod:`gender_diag.design._structure`), and hands the estimators a single kernel:
:meth:`SurveyDesign.vcov_total`, the design covariance of estimated totals of weighted
influence values. Estimators (``mean``, ``total``, ``proportion``, ``ratio``,
``quantile``, ``gap``) live in :mod:`gender_diag.design.estimators` and are attached as
methods; calibration in :mod:`gender_diag.design.calibration`; replicate weights in
:mod:`gender_diag.design.replicates`.

The modules of the design stage talk to a design only through its public attributes
(:attr:`~SurveyDesign.stage1`, :attr:`~SurveyDesign.stage2`,
:attr:`~SurveyDesign.population1`, :attr:`~SurveyDesign.replicates`,
:attr:`~SurveyDesign.calibration`, :meth:`~SurveyDesign.domain_codes`) and build modified
copies with :meth:`~SurveyDesign.evolve`; a design is never changed in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gender_diag.design import calibration, estimators
from gender_diag.design._kernel import group_sum
from gender_diag.design._structure import build_structure, column_of
from gender_diag.design.replicates import (
    REPLICATE_TYPES,
    Replicates,
    bootstrap_factors,
    jackknife_factors,
)
from gender_diag.design.spec import LONELY_POLICIES, DesignSpec
from gender_diag.errors import DesignError, bad_parameter

__all__ = ["LONELY_POLICIES", "REPLICATE_TYPES", "SurveyDesign"]

_KEEP = object()  # evolve(): leave this part unchanged


class SurveyDesign:
    """A complex survey design: weights, strata, one- or two-stage clusters, fpc, replicates.

    Parameters
    ----------
    data : DataFrame
        One row per sampled unit. Kept by reference (pandas copy-on-write).
    weight : str
        Column of sampling weights (finite, ≥ 0).
    strata : str, optional
        Stratum column. PSU identifiers are nested within strata; identifiers reused in
        several strata are different PSUs (relabelled ``stratum·psu``, with a
        :class:`~gender_diag.errors.DesignWarning`).
    psu, ssu : str, optional
        First- and second-stage cluster columns. ``psu=None`` makes every row a PSU.
    fpc, fpc2 : str, optional
        Finite-population correction at stage 1 (per stratum) and stage 2 (per PSU), as
        population sizes (> 1) or sampling fractions (≤ 1).
    with_replacement : bool
        Treat the first stage as with-replacement: fpc ignored, no second-stage term.
    lonely_psu : {"fail", "remove", "adjust", "certainty", "average"}
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
    confidence : float
        Default confidence level of every interval (0.95).

    See Also
    --------
    SurveyDesign.from_spec : the same from a :class:`~gender_diag.design.spec.DesignSpec`.

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
        confidence: float = 0.95,
    ):
        if lonely_psu not in LONELY_POLICIES:
            raise bad_parameter(
                "lonely_psu", "SurveyDesign", ", ".join(map(repr, LONELY_POLICIES)), lonely_psu
            )
        for role, value in (("strata", strata), ("psu", psu), ("ssu", ssu), ("fpc", fpc)):
            if value is not None and not isinstance(value, str):
                raise bad_parameter(role, "SurveyDesign", "a column name (str)", value)
        if replicate_type is not None and replicate_weights is None:
            raise DesignError(
                "SurveyDesign: replicate_type= was given without replicate_weights=. "
                "Fix: pass the replicate weight columns, or use d.jackknife()/d.bootstrap()."
            )
        if replicate_weights is not None and replicate_type not in REPLICATE_TYPES:
            raise bad_parameter(
                "replicate_type", "SurveyDesign", ", ".join(map(repr, REPLICATE_TYPES)),
                replicate_type,
            )  # fmt: skip
        spec = DesignSpec(
            weight=weight,
            strata=strata,
            psu=psu,
            ssu=ssu,
            fpc=fpc,
            fpc2=fpc2,
            with_replacement=with_replacement,
            lonely_psu=lonely_psu,
            replicate_weights=replicate_weights,
            replicate_type=replicate_type,
            scale=scale,
            rscales=rscales,
            mse=mse,
            confidence=confidence,
        )
        self._setup(data, spec)

    @classmethod
    def from_spec(cls, data: pd.DataFrame, spec: DesignSpec | dict) -> SurveyDesign:
        """Build the design of ``data`` from a :class:`~gender_diag.design.spec.DesignSpec`.

        The spec is checked against the data first (:meth:`DesignSpec.check`): a role naming
        a missing column is an error naming the role, the column and the columns that exist.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": 1.0, "c": [1, 1, 2, 2]})
        >>> SurveyDesign.from_spec(df, DesignSpec(weight="w", psu="c")).df
        1
        >>> SurveyDesign.from_spec(df, {"weight": "w", "psu": "comunity"})
        Traceback (most recent call last):
        ...
        gender_diag.errors.DesignError: Design: the psu column 'comunity' is not in the data. Columns that exist: y, w, c. Fix: correct the name in [design] (or the design file), or write "none" for a role the design does not have.
        """
        new = object.__new__(cls)
        new._setup(data, DesignSpec.coerce(spec))
        return new

    def _setup(self, data: pd.DataFrame, spec: DesignSpec) -> None:
        if not isinstance(data, pd.DataFrame):
            raise bad_parameter("data", "SurveyDesign", "a pandas DataFrame", type(data).__name__)
        if data.shape[0] == 0:
            raise DesignError("SurveyDesign: the data have no rows. Fix: pass the sample data.")
        data, spec = spec.prepare(data)
        structure = build_structure(data, spec)
        self._data = data
        self._spec = spec
        self._w = structure.weights
        self._structure = structure
        self._domain = np.ones(data.shape[0], dtype=bool)
        self._cache: dict = {}
        self._calib = None
        self._rep = None
        if spec.replicate_weights is not None:
            self._rep = Replicates.from_columns(
                data,
                self._w,
                spec.replicate_weights,
                spec.replicate_type,
                spec.scale,
                spec.rscales,
                spec.mse,
            )

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> pd.DataFrame:
        """The sample data (all rows, also those outside a :meth:`subset`)."""
        return self._data

    @property
    def spec(self) -> DesignSpec:
        """The validated :class:`~gender_diag.design.spec.DesignSpec` (immutable)."""
        return self._spec

    @property
    def notes(self) -> tuple[str, ...]:
        """Notes found when the design was checked (zero/extreme weights, nested PSUs)."""
        return self._spec.notes

    @property
    def confidence(self) -> float:
        """Default confidence level of the intervals."""
        return self._spec.confidence

    @property
    def weights(self) -> np.ndarray:
        """Full-sample (calibrated, if calibrated) weights, shape (n,)."""
        return self._w

    @property
    def domain_mask(self) -> np.ndarray:
        """Rows inside the current domain (:meth:`subset`), shape (n,)."""
        return self._domain

    @property
    def stage1(self):
        """First-stage :class:`~gender_diag.design._kernel.StageStructure` (PSUs in strata)."""
        return self._structure.stage1

    @property
    def stage2(self):
        """Second-stage structure (SSUs in PSUs), or None when it adds no variance."""
        return self._structure.stage2

    @property
    def population1(self) -> np.ndarray | None:
        """Stage-1 population size (PSUs) per stratum, or None without fpc."""
        return self._structure.population1

    @property
    def strata_labels(self) -> np.ndarray:
        """Stratum labels in code order."""
        return self._structure.strata_labels

    @property
    def replicates(self) -> Replicates | None:
        """Replicate weights (:class:`~gender_diag.design.replicates.Replicates`) or None."""
        return self._rep

    @property
    def calibration(self):
        """Calibration state (:class:`~gender_diag.design.calibration.Calibration`) or None."""
        return self._calib

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs − strata (Taylor); rank − 1 of replicate weights."""
        if self._rep is not None:
            return self._rep.df
        return self._structure.df

    @property
    def is_replicate(self) -> bool:
        """True when variances come from replicate weights."""
        return self._rep is not None

    @property
    def replicate_weights(self) -> np.ndarray:
        """Replicate weights, shape (n, R) (materialised on demand)."""
        return self._need_replicates("replicate_weights").weights(self._w)

    @property
    def scale(self) -> float:
        """Overall replicate variance multiplier."""
        return self._need_replicates("scale").scale

    @property
    def rscales(self) -> np.ndarray:
        """Per-replicate variance multipliers, shape (R,)."""
        return self._need_replicates("rscales").rscales

    @property
    def mse(self) -> bool:
        """Replicate deviations centred on the full-sample estimate."""
        return self._need_replicates("mse").mse

    @property
    def replicate_type(self) -> str | None:
        """Replicate method name, or None for a Taylor-linearisation design."""
        return None if self._rep is None else self._rep.kind

    def _need_replicates(self, what: str) -> Replicates:
        if self._rep is None:
            raise DesignError(
                f"SurveyDesign.{what}: this design has no replicate weights. Fix: build one with "
                f"replicate_weights=, or call d.jackknife() / d.bootstrap()."
            )
        return self._rep

    def __repr__(self) -> str:
        s = self._spec
        kind = f"replicate ({self._rep.kind}, R={self._rep.n_rep})" if self._rep else "Taylor"
        return (
            f"SurveyDesign(n={self._w.size}, weight={s.weight!r}, strata={s.strata!r},"
            f" psu={s.psu!r}, ssu={s.ssu!r}, fpc={s.fpc!r}, df={self.df}, {kind})"
        )

    def evolve(
        self, *, weights=None, calibration=_KEEP, replicates=_KEEP, domain=None, data=None
    ) -> SurveyDesign:
        """A copy with new weights, calibration state, replicates, domain mask or data.

        Used by the calibration and replicate code of the design stage; the structure
        (strata, PSUs, fpc) is shared, never recomputed. ``data`` replaces the sample data
        by a frame with the same rows in the same order whose design columns are unchanged
        (added columns, or other columns recoded — e.g. a by-column as text): every
        estimate then uses the structure already built instead of factorising the strata
        and PSUs again.
        """
        new = object.__new__(SurveyDesign)
        new.__dict__.update(self.__dict__)
        new._cache = {}
        if data is not None:
            if not isinstance(data, pd.DataFrame) or data.shape[0] != self._w.size:
                raise bad_parameter(
                    "data", "SurveyDesign.evolve", f"a DataFrame with {self._w.size} rows", data
                )
            new._data = data
        if weights is not None:
            new._w = np.asarray(weights, dtype=float)
        if calibration is not _KEEP:
            new._calib = calibration
        if replicates is not _KEEP:
            new._rep = replicates
        if domain is not None:
            new._domain = np.asarray(domain, dtype=bool)
        return new

    # ------------------------------------------------------------------ variance hooks
    def vcov_total(self, z: np.ndarray, *, rows=None) -> np.ndarray:
        r"""Design covariance of estimated totals ``Σ_i z_i``.

        Parameters
        ----------
        z : ndarray, shape (n,) or (n, p)
            Already-weighted influence values, rows aligned with :attr:`data` (zeros outside
            a domain; rows are never dropped).
        rows : array_like of int, optional
            Positions in :attr:`data` of the rows of ``z`` (then shape (len(rows), p)); every
            other row has zero influence. A domain then costs its own rows, not the
            sample's: the unit totals :math:`z_{hi} = \sum_{j \in hi} z_{hij}` are summed
            over the given rows only (the other rows add zero), and the same stage
            covariances are applied to them.

        Returns
        -------
        ndarray, shape (p, p)
            Taylor design covariance (strata, PSUs, second stage, fpc, lonely-PSU policy,
            calibration residuals), or for replicate designs
            ``scale Σ_r rscales_r (T_r − T̄)(T_r − T̄)ᵀ`` with ``T_r = Σ_i (w_ri / w_i) z_i``.
        """
        z = np.asarray(z, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            if rows.shape != (z.shape[0],):
                raise bad_parameter(
                    "rows", "SurveyDesign.vcov_total", f"{z.shape[0]} row positions", rows.shape
                )
            if self._rep is None and self._calib is None:
                return self._stage_cov(lambda s: group_sum(s.unit[rows], s.n_units, z))
            # replicate weights and calibration residuals involve every row: zeros elsewhere
            full = np.zeros((self._w.size, z.shape[1]))
            full[rows] = z
            z = full
        if z.shape[0] != self._w.size:
            raise bad_parameter(
                "z", "SurveyDesign.vcov_total", f"an array with {self._w.size} rows", z.shape
            )
        if self._rep is not None:
            return self._rep.vcov(z.sum(axis=0), self._rep.totals(z, self._w))
        extra = 0.0
        if self._calib is not None:
            if self._calib.totals_vcov is not None:
                beta = calibration.coefficients(self, z)
                extra = beta.T @ self._calib.totals_vcov @ beta
            z = calibration.residuals(self, z)
        return self._stage_cov(lambda s: np.asarray(s.matrix @ z)) + extra

    def _stage_cov(self, unit_totals) -> np.ndarray:
        """Taylor covariance summed over the stages from ``unit_totals(stage)`` (U × p)."""
        s1, s2 = self.stage1, self.stage2
        v = s1.cov(unit_totals(s1))
        if s2 is not None:
            v = v + s2.cov(unit_totals(s2))
        return v

    def vcov_replicates(self, theta_full, theta_reps) -> np.ndarray:
        """Replicate covariance ``scale Σ_r rscales_r (θ_r − c)(θ_r − c)ᵀ``.

        ``c`` is the mean of the replicates, or ``theta_full`` when ``mse=True``.
        ``theta_full`` has shape (p,), ``theta_reps`` shape (R, p).
        """
        rep = self._need_replicates("vcov_replicates")
        return rep.vcov(
            np.atleast_1d(np.asarray(theta_full, dtype=float)),
            np.asarray(theta_reps, dtype=float).reshape(rep.n_rep, -1),
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
        return self.evolve(domain=self._domain & (np.nan_to_num(mask.astype(float)) != 0))

    def domain_codes(self, by) -> tuple[np.ndarray, pd.DataFrame]:
        """Domain code of every row (−1 outside) and the domain keys (one row per domain).

        Domains come out in sorted key order; a row with a missing key is in none.
        """
        cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
        key = tuple(cols)
        if key not in self._cache:
            for c in cols:
                column_of(self._data, c, "by")
            factors = self._cache.setdefault("_factors", {})  # by-column codes, once each
            self._cache[key] = _domain_codes(self._data, self._domain, cols, factors)
        return self._cache[key]

    # ------------------------------------------------------------------ estimators
    def mean(self, variables, *, by=None, ci="t", confidence=None, complete_cases=False):
        """Weighted means by domain; see :func:`gender_diag.design.estimators.mean`."""
        return estimators.mean(
            self, variables, by=by, ci=ci, confidence=confidence, complete_cases=complete_cases
        )

    def total(self, variables, *, by=None, ci="t", confidence=None, complete_cases=False):
        """Estimated totals by domain; see :func:`gender_diag.design.estimators.total`."""
        return estimators.total(
            self, variables, by=by, ci=ci, confidence=confidence, complete_cases=complete_cases
        )

    def proportion(
        self, variables, *, by=None, level=None, ci_method="logit", ci="t", confidence=None
    ) -> pd.DataFrame:
        """Proportions by domain; see :func:`gender_diag.design.estimators.proportion`."""
        return estimators.proportion(
            self, variables, by=by, level=level, ci_method=ci_method, ci=ci, confidence=confidence
        )

    def ratio(self, numerator, denominator, *, by=None, ci="t", confidence=None) -> pd.DataFrame:
        """Ratios of totals by domain; see :func:`gender_diag.design.estimators.ratio`."""
        return estimators.ratio(self, numerator, denominator, by=by, ci=ci, confidence=confidence)

    def quantile(self, variables, q=0.5, *, by=None, ci="t", confidence=None) -> pd.DataFrame:
        """Woodruff quantiles by domain; see :func:`gender_diag.design.estimators.quantile`."""
        return estimators.quantile(self, variables, q, by=by, ci=ci, confidence=confidence)

    def gap(self, variables, *, between="sex", reference="M", **options) -> pd.DataFrame:
        """Gaps between groups from the same PSUs; see :func:`gender_diag.design.estimators.gap`.

        Options: ``kind``, ``by``, ``estimator``, ``ci``, ``confidence``.
        """
        return estimators.gap(self, variables, between=between, reference=reference, **options)

    # ------------------------------------------------------------------ calibration
    def poststratify(self, column: str, counts, *, residuals: str = "design") -> SurveyDesign:
        """Post-stratify to known population counts; see :mod:`gender_diag.design.calibration`."""
        return calibration.rake(
            self, {column: counts}, residuals=residuals, _owner="SurveyDesign.poststratify"
        )

    def rake(self, margins: dict, **options) -> SurveyDesign:
        """Rake to known margins; see :func:`gender_diag.design.calibration.rake`.

        Options: ``max_iter``, ``tol``, ``residuals`` ("design", R's convention, or
        "calibrated").
        """
        return calibration.rake(self, margins, **options)

    def calibrate(self, totals: dict, **options) -> SurveyDesign:
        """Linear (GREG) calibration; see :func:`gender_diag.design.calibration.calibrate`.

        Options: ``population``, ``bounds``, ``variance``, ``residuals``, ``totals_vcov``,
        ``max_iter``, ``tol``.
        """
        return calibration.calibrate(self, totals, **options)

    # ------------------------------------------------------------------ replicates
    def jackknife(self, *, mse: bool = False) -> SurveyDesign:
        """Jackknife replicate design: JK1 without strata, JKn with strata.

        Replicate *r* drops PSU *r* and multiplies the other PSUs of its stratum by
        ``n_h/(n_h − 1)``; ``rscales_r = (1 − f_h)(n_h − 1)/n_h`` (JKn) or
        ``scale = (1 − f)(R − 1)/R`` (JK1), as R ``as.svrepdesign(type="auto")``. Lonely
        PSUs follow the design's ``lonely_psu`` as R ``jknweights`` (see
        :mod:`gender_diag.design.replicates`). ``mse=True`` centres the replicates on the
        full-sample estimate (R ``mse=TRUE``).
        """
        factors, scale, rscales, kind = jackknife_factors(self)
        return self._with_factors(factors, kind, scale, rscales, mse)

    def bootstrap(self, replicates: int = 500, seed: int = 0, *, mse: bool = False):
        """Rao–Wu rescaling bootstrap with ``n_h − 1`` PSUs drawn per stratum.

        Factor of PSU *i* in replicate *r*: ``n_h/(n_h − 1) · m_hi^r`` where ``m_hi^r`` is the
        number of times it was drawn (Rao, Wu & Yue 1992; R ``as.svrepdesign(type=
        "subbootstrap")``); ``scale = 1/(R − 1)``; ``mse`` as in :meth:`jackknife`.
        """
        if not isinstance(replicates, int | np.integer) or replicates < 2:
            raise bad_parameter(
                "replicates", "SurveyDesign.bootstrap", "an integer ≥ 2", replicates
            )
        factors, multiplier = bootstrap_factors(self, int(replicates), seed)
        scale = multiplier / (replicates - 1)
        return self._with_factors(factors, "bootstrap", scale, np.ones(replicates), mse)

    def _with_factors(self, factors, kind, scale, rscales, mse) -> SurveyDesign:
        rep = Replicates(self.stage1.unit, factors, None, kind, scale, rscales, mse)
        return self.evolve(replicates=rep)


def _domain_codes(data: pd.DataFrame, domain: np.ndarray, cols: list, factors=None) -> tuple:
    """Domain code of every row and the domain keys (sorted), for by-columns ``cols``.

    ``factors`` (column → sorted codes and uniques) memoises the factorisation of each
    by-column for the design's data, so ``sex`` is factorised once, not once per
    disaggregation.
    """
    factors = {} if factors is None else factors
    n = domain.size
    if not cols:
        codes = np.where(domain, 0, -1).astype(np.int64)
        return codes, pd.DataFrame(index=range(1 if domain.any() else 0))
    # Mixed-radix code of the by-columns (each factorised with sort=True, so the domains
    # come out in sorted key order); a row with a missing key is in none.
    raw = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for c in cols:
        if c not in factors:
            factors[c] = pd.factorize(data[c], sort=True)
        c_codes, c_uniques = factors[c]
        missing |= c_codes < 0
        raw = raw * max(len(c_uniques), 1) + np.maximum(c_codes, 0)
    raw = np.where(missing | ~domain, -1, raw)
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
    return codes, data[cols].iloc[first].reset_index(drop=True)
