"""Replicate weights: storage, variance, and the jackknife and Rao–Wu bootstrap built from a design.

Factors are stored per replicate pattern (usually one per PSU, ``P × R``): replicate weight
``w_ri = w_i · F[code_i, r]``, so replicate totals cost one group sum by pattern × domain and
one small matrix product. User-supplied replicate columns that are not PSU-patterned are kept
dense.

Lonely PSUs (strata with a single non-certainty PSU) follow R ``survey::jknweights``:

* ``fail``: an error;
* ``remove`` / ``certainty``: the stratum gives no replicate (it adds no variance);
* ``average``: no replicate, and ``scale`` is multiplied by (PSUs / replicates);
* ``adjust``: one extra replicate per lonely stratum that drops it and multiplies every other
  PSU by ``G/(G − 1)`` (``G`` strata), with ``rscale = (G − 1)/G``.

Strata sampled exhaustively (``f_h = 1``) give no replicate (R ``survey.drop.replicates``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gender_diag.design._kernel import group_sum
from gender_diag.errors import DesignError, DesignWarning, bad_parameter

_MAX_JACKKNIFE_PSUS = 20_000  # P × R factor matrix must fit in memory
_CERTAINTY = 1e-7  # as R survey: a stage with (1 - f) below this is a certainty stage


class Replicates:
    """Replicate weights stored compactly: ``w_ri = w_i · F[code_i, r]`` or dense ``W``.

    Parameters
    ----------
    codes : ndarray of int (n,) or None
        Pattern of each row (compact storage), None for dense storage.
    factors : ndarray (patterns × R) or None
    dense : ndarray (n × R) or None
        Full replicate weights when not PSU-patterned.
    kind : str
        Replicate method name (``JK1``, ``JKn``, ``BRR``, ``Fay``, ``bootstrap``, ``other``).
    scale, rscales : float, array_like
        ``V = scale Σ_r rscales_r (θ_r − c)²``.
    mse : bool
        ``c`` = full-sample estimate (True) or mean of the replicates (False).
    """

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

    def with_factors(self, codes, factors, dense=None) -> Replicates:
        """Same variance options, new weights (e.g. after re-calibration)."""
        return Replicates(codes, factors, dense, self.kind, self.scale, self.rscales, self.mse)

    @classmethod
    def from_columns(cls, data, weights, columns, kind, scale, rscales, mse) -> Replicates:
        """Replicates from full replicate-weight columns (R ``combined.weights=TRUE``)."""
        cols = _replicate_columns(data, columns)
        if kind not in REPLICATE_TYPES:
            raise bad_parameter(
                "replicate_type", "SurveyDesign", ", ".join(repr(k) for k in REPLICATE_TYPES), kind
            )
        n_rep = len(cols)
        if n_rep < 2:
            raise DesignError("SurveyDesign: at least two replicate weight columns are needed.")
        dense = np.column_stack([_finite(data[c]) for c in cols])
        scale = _default_scale(kind, n_rep) if scale is None else scale
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
        codes, factors = compress(dense, weights)
        if codes is not None:
            return cls(codes, factors, None, kind, scale, rscales, mse)
        return cls(None, None, dense, kind, scale, rscales, mse)

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Replicate weights (n × R)."""
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
        """``scale Σ_r rscales_r (θ_r − c)(θ_r − c)ᵀ`` (p × p)."""
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
            mat = self.factors if self.dense is None else self.dense
            eig = np.linalg.eigvalsh(mat.T @ mat)
            self._df = int(np.sum(eig > eig.max() * 1e-10)) - 1
        return self._df


REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")


def _replicate_columns(data: pd.DataFrame, columns) -> list:
    if isinstance(columns, str):
        cols = [c for c in data.columns if str(c).startswith(columns)]
        if not cols:
            raise DesignError(
                f"SurveyDesign: no column starts with the replicate prefix {columns!r}. "
                f"Fix: pass the list of replicate weight columns."
            )
        return cols
    cols = list(columns)
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise DesignError(
            f"SurveyDesign: the replicate weight column(s) {absent[:5]} are not in the data. "
            f"Fix: pass existing columns (or a prefix)."
        )
    return cols


def _finite(series: pd.Series) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(values).all():
        raise DesignError(
            f"SurveyDesign: the replicate weight column {series.name!r} has missing, "
            "non-numeric or infinite values. Fix: correct the replicate weights."
        )
    return values


def _default_scale(kind: str, n_rep: int) -> float:
    """R ``svrepdesign`` default scale for ``kind``."""
    if kind == "Fay":
        raise DesignError(
            "SurveyDesign: replicate_type='Fay' needs scale= (1/(R·(1−rho)²), R "
            "svrepdesign(type='Fay', rho=)). Fix: pass scale=."
        )
    return {
        "JK1": (n_rep - 1) / n_rep,
        "BRR": 1.0 / n_rep,
        "bootstrap": 1.0 / (n_rep - 1),
        "other": 1.0,
        "JKn": 1.0,
    }[kind]


def compress(dense: np.ndarray, w: np.ndarray):
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


# ---------------------------------------------------------------------- created replicates
@dataclass(frozen=True)
class _Strata:
    """First-stage PSU counts, fractions and lonely flags of a design."""

    group: np.ndarray  # stratum of each PSU (P,)
    n_h: np.ndarray  # PSUs per stratum (H,)
    frac: np.ndarray  # sampling fraction per stratum (H,)

    @property
    def certain(self) -> np.ndarray:
        return (1 - self.frac) < _CERTAINTY

    @property
    def lonely(self) -> np.ndarray:
        return (self.n_h == 1) & ~self.certain


def _strata(design) -> _Strata:
    s1 = design.stage1
    pop = design.population1
    frac = np.zeros(s1.n_groups) if pop is None else s1.group_size / pop
    return _Strata(s1.unit_group, s1.group_size, frac)


def _check_lonely(st: _Strata, policy: str, owner: str) -> None:
    if policy == "fail" and st.lonely.any():
        raise DesignError(
            f"{owner}: {int(st.lonely.sum())} stratum/strata have a single PSU (lonely PSU) "
            "and lonely_psu='fail'. Fix: merge strata, or choose lonely_psu='remove', "
            "'adjust', 'average' or 'certainty' (as R options(survey.lonely.psu=))."
        )


def jackknife_factors(design, lonely_psu: str | None = None):
    """PSU factors (P × R), scale, rscales and type of the delete-one-PSU jackknife.

    JKn (R ``jknweights``): replicate *r* deletes PSU *r* of stratum *h*, the other PSUs of
    *h* get ``n_h/(n_h − 1)``; ``rscales_r = (1 − f_h)(n_h − 1)/n_h``, ``scale = 1``; lonely
    strata as in the module docstring. JK1 (one stratum, R ``jk1weights``):
    ``scale = (1 − f)(R − 1)/R``, ``rscales = 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> from gender_diag.design import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 1, 1]}), weight="w")
    >>> f, scale, rscales, kind = jackknife_factors(d)
    >>> f.tolist(), round(scale, 4), kind
    ([[0.0, 1.5, 1.5], [1.5, 0.0, 1.5], [1.5, 1.5, 0.0]], 0.6667, 'JK1')
    """
    policy = design.spec.lonely_psu if lonely_psu is None else lonely_psu
    st = _strata(design)
    n_psu = st.group.size
    if n_psu > _MAX_JACKKNIFE_PSUS:
        raise DesignError(
            f"SurveyDesign.jackknife: {n_psu} PSUs would give {n_psu} replicates (limit "
            f"{_MAX_JACKKNIFE_PSUS}). Fix: declare psu= clusters, or use d.bootstrap()."
        )
    _check_lonely(st, policy, "SurveyDesign.jackknife")
    H = st.n_h.size
    usable = (st.n_h[st.group] >= 2) & ~st.certain[st.group]
    rep_psu = np.flatnonzero(usable)
    rep_stratum = st.group[rep_psu]
    nh = st.n_h[rep_stratum]
    factors = np.where(st.group[:, None] == rep_stratum[None, :], (nh / (nh - 1))[None, :], 1.0)
    factors[rep_psu, np.arange(rep_psu.size)] = 0.0
    rscales = (1 - st.frac[rep_stratum]) * (nh - 1) / nh
    if H == 1:
        if rep_psu.size < 2:
            raise DesignError(
                "SurveyDesign.jackknife: fewer than two replicates can be formed "
                "(every stratum has a single PSU)."
            )
        scale = (1 - st.frac[0]) * (rep_psu.size - 1) / rep_psu.size
        return factors, float(scale), np.ones(rep_psu.size), "JK1"
    scale = 1.0
    if policy == "adjust" and st.lonely.any():
        lonely = np.flatnonzero(st.lonely)
        extra = np.where(st.group[:, None] == lonely[None, :], 0.0, H / (H - 1))
        factors = np.hstack([factors, extra])
        rscales = np.concatenate([rscales, np.full(lonely.size, (H - 1) / H)])
    if factors.shape[1] == 0:
        raise DesignError(
            "SurveyDesign.jackknife: no replicate can be formed (every stratum has a single "
            "PSU or was sampled exhaustively)."
        )
    if policy == "average" and factors.shape[1] < n_psu:
        scale = n_psu / factors.shape[1]
    return factors, scale, rscales, "JKn"


def bootstrap_factors(design, replicates: int, seed: int, lonely_psu: str | None = None):
    """Rao–Wu rescaling bootstrap factors (P × R) with ``m_h = n_h − 1`` draws per stratum.

    ``F_hi = 1 − λ_h + λ_h (n_h / m_h) r_hi``, ``λ_h = sqrt(m_h (1 − f_h) / (n_h − 1))``
    (Rao, Wu & Yue 1992, eq. 2.4), ``r_hi`` the number of times PSU *i* was drawn. Strata
    with one PSU keep factor 1: with ``lonely_psu="average"`` the variance multiplier is
    ``H / (H − lonely strata)`` (as the Taylor ``average`` policy); ``fail`` refuses lonely
    PSUs; ``adjust`` has no bootstrap analogue and is treated as ``remove`` with a warning.
    Draws are vectorised over strata and replicates.

    Returns
    -------
    factors : ndarray (P × R)
    multiplier : float
        Extra factor of the bootstrap ``scale`` (``average`` policy), else 1.
    """
    policy = design.spec.lonely_psu if lonely_psu is None else lonely_psu
    st = _strata(design)
    _check_lonely(st, policy, "SurveyDesign.bootstrap")
    multiplier = 1.0
    if st.lonely.any() and policy == "average":
        multiplier = st.n_h.size / (st.n_h.size - int(st.lonely.sum()))
    elif st.lonely.any() and policy == "adjust":
        warnings.warn(
            "SurveyDesign.bootstrap: lonely_psu='adjust' has no bootstrap analogue; strata "
            "with a single PSU add no variance (as 'remove'). Use 'average' or d.jackknife().",
            DesignWarning,
            stacklevel=3,
        )
    n_h = st.n_h.astype(np.int64)
    m_h = np.maximum(n_h - 1, 0)
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(n_h)])[:-1]
    draw_stratum = np.repeat(np.arange(n_h.size), m_h)
    u = rng.random((draw_stratum.size, replicates))
    # PSU codes are sorted by stratum (factorised on stratum × psu), so a stratum's PSUs
    # are the contiguous block offsets[h] .. offsets[h] + n_h - 1.
    psu = offsets[draw_stratum][:, None] + np.floor(u * n_h[draw_stratum][:, None]).astype(np.int64)
    key = psu * replicates + np.arange(replicates)[None, :]
    n_psu = st.group.size
    counts = np.bincount(key.ravel(), minlength=n_psu * replicates).reshape(n_psu, replicates)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.sqrt(np.where(n_h > 1, m_h * (1 - st.frac) / np.maximum(n_h - 1, 1), 0.0))
        mult = np.where(m_h > 0, n_h / np.maximum(m_h, 1), 0.0)
    lam_p = lam[st.group][:, None]
    return 1 - lam_p + lam_p * mult[st.group][:, None] * counts, multiplier
