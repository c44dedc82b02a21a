r"""Local gender gap index: the WEF truncated-ratio method over the catalogue's indicators.

For each person-level indicator *k* (units respondent and member; types proportion and mean)
with women's and men's design-weighted estimates :math:`F_k, M_k`, the *oriented ratio*
measures women's standing relative to men's:

* ``higher_better``: :math:`r_k = F_k / M_k`;
* ``higher_worse`` proportion: :math:`r_k = (1 - F_k) / (1 - M_k)`, the ratio of the shares
  *free* of the disadvantage;
* ``higher_worse`` mean (e.g. hours of work): :math:`r_k = M_k / F_k`.

Why the complement for proportions: the WEF index is built from "achievement" ratios (F/M of
something good). For a disadvantage, the achievement is being free of it; :math:`M/F` would
explode when few women are affected (0.02 vs 0.01 gives 0.5 although 98 % vs 99 % of people
are free of it) and is undefined at :math:`F = 0`, whereas :math:`(1-F)/(1-M)` is bounded
and continuous. A zero denominator means women cannot be behind: :math:`r_k = 1`.

Each ratio is truncated at the equality benchmark, :math:`\min(r_k, 1)` (WEF Global Gender
Gap Report 2015, methodology; methods.md §4), so women's advantage on one indicator does not
offset disadvantage on another. The index of a rights domain (economic, social, cultural,
environmental, civil_political tag of the catalogue) is the equally weighted mean of its
indicators' truncated ratios over the indicators available in the area; the overall index is
the mean of the domain indices (as the WEF overall index is the mean of its subindexes).
1 = parity; 0.8 = women stand on average 20 % below men.

Standard errors (``variance=``):

* ``"linearization"`` (default): delta method. The index is a smooth function of the women's
  and men's domain means (piecewise: a ratio truncated at 1 has zero derivative), so its
  influence variable is :math:`z = \sum_k a_k (\partial r_k/\partial F_k\, z_{F,k} +
  \partial r_k/\partial M_k\, z_{M,k})` with the mean influence
  :math:`z_{F,k} = w\,1[F]\,(y_k - F_k)/\hat N_{F,k}` and :math:`a_k` the weight of
  indicator *k* in the component (1/c_j in its domain, divided by the number of domains for
  the overall index); :meth:`SurveyDesign.vcov_total` gives its variance with strata, PSUs,
  second stage and fpc (Binder 1983; Lumley 2010 §2.3).
* ``"jackknife"``: delete-one-PSU jackknife (:meth:`SurveyDesign.jackknife`, JKn; R
  ``as.svrepdesign(type="auto")``): the whole index is recomputed with every replicate weight
  and :meth:`SurveyDesign.vcov_replicates` combines them. Like R's replicate conversion it
  keeps only the first stage: with a large first-stage sampling fraction (most communities
  sampled) the fpc makes it far too small — use linearisation there.

CIs are :math:`\hat I \pm t_{df} \cdot SE`, clipped to [0, 1]. The truncation makes the
index biased downwards when indicators are near parity (noise pushes ratios below 1 but not
above): read small departures from 1 with their CI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from gender_diag.contracts.parameters import resolve_confidence
from gender_diag.errors import EstimationError, bad_parameter
from gender_diag.indicators.catalogue import TAG_VALUES, Catalogue
from gender_diag.indicators.compute import (
    as_catalogue,
    indicator_frames,
    make_design,
    prepare_tables,
    tables_and_design,
)

__all__ = ["local_gap_index", "oriented_ratio"]

_RIGHTS = TAG_VALUES["rights"]


def oriented_ratio(f, m, *, direction, kind):
    """Truncated oriented ratio of women's to men's estimates (vectorised).

    Parameters
    ----------
    f, m : array_like
        Women's and men's estimates (any shape, broadcast together).
    direction : array_like of {'higher_better', 'higher_worse'}
    kind : array_like of {'proportion', 'mean'}

    Examples
    --------
    >>> oriented_ratio([0.4, 0.1, 6.0, 0.0], [0.5, 0.05, 4.0, 0.0],
    ...                direction=["higher_better", "higher_worse", "higher_worse", "higher_better"],
    ...                kind=["proportion", "proportion", "mean", "proportion"]).round(4).tolist()
    [0.8, 0.9474, 0.6667, 1.0]
    """
    f, m = np.asarray(f, dtype=float), np.asarray(m, dtype=float)
    worse = np.asarray(direction) == "higher_worse"
    prop = np.asarray(kind) == "proportion"
    num = np.where(worse, np.where(prop, 1 - f, m), f)
    den = np.where(worse, np.where(prop, 1 - m, f), m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
    r = np.where(np.isnan(f) | np.isnan(m), np.nan, r)
    return np.minimum(r, 1.0)


def _group_means(W: np.ndarray, Y0: np.ndarray, K1: np.ndarray) -> np.ndarray:
    """Weighted means of every column of Y under every weight column of W: (R, K).

    ``Y0`` holds the values with 0 where unknown, ``K1`` 1.0 where known (rows of one group).
    """
    num = W.T @ Y0
    den = W.T @ K1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _index(F, M, meta_dir, meta_kind, rights_idx, n_rights):
    """Domain indices (…, n_rights) and overall (…,) from F, M of shape (…, K)."""
    r = oriented_ratio(F, M, direction=meta_dir, kind=meta_kind)
    avail = ~np.isnan(r)
    onehot = np.zeros((r.shape[-1], n_rights))
    onehot[np.arange(r.shape[-1]), rights_idx] = 1.0
    s = np.where(avail, r, 0.0) @ onehot
    c = avail.astype(float) @ onehot
    with np.errstate(divide="ignore", invalid="ignore"):
        dom = np.where(c > 0, s / np.where(c > 0, c, 1.0), np.nan)
    overall = np.nanmean(np.where(c > 0, dom, np.nan), axis=-1) if dom.size else np.nan
    return dom, overall, r


def _ratio_gradient(f, m, direction, kind):
    """Derivatives of the truncated oriented ratio with respect to F and M, shape (K,)."""
    worse = direction == "higher_worse"
    prop = kind == "proportion"
    with np.errstate(divide="ignore", invalid="ignore"):
        # r = F/M
        gf = np.where(worse, 0.0, 1.0 / m)
        gm = np.where(worse, 0.0, -f / m**2)
        # r = (1 - F)/(1 - M)
        gf = np.where(worse & prop, -1.0 / (1 - m), gf)
        gm = np.where(worse & prop, (1 - f) / (1 - m) ** 2, gm)
        # r = M/F
        gf = np.where(worse & ~prop, -m / f**2, gf)
        gm = np.where(worse & ~prop, 1.0 / f, gm)
    raw_num = np.where(worse, np.where(prop, 1 - f, m), f)
    raw_den = np.where(worse, np.where(prop, 1 - m, f), m)
    flat = ~(raw_den > 0) | (raw_num >= raw_den)  # truncated at 1 or parity by convention
    gf = np.where(flat | ~np.isfinite(gf), 0.0, gf)
    gm = np.where(flat | ~np.isfinite(gm), 0.0, gm)
    return gf, gm


def _influence(w, Y0, known, rows_f, rows_m, f, m, dirs, kinds, r_idx, n_rights):
    """Influence variables (n, 1 + D) of the overall and domain indices (delta method).

    ``Y0`` is the indicator matrix with 0 where unknown; ``rows_f`` / ``rows_m`` the rows of
    the area's women and men: the mean influence is zero elsewhere, so only those rows are
    formed (the cost is the area's size, not the sample's).
    """
    r = oriented_ratio(f, m, direction=dirs, kind=kinds)
    avail = ~np.isnan(r)
    counts = np.bincount(r_idx[avail], minlength=n_rights).astype(float)
    a_dom = np.zeros((n_rights, len(r)))
    k = np.flatnonzero(avail)
    a_dom[r_idx[k], k] = 1.0 / counts[r_idx[k]]
    n_dom = max(int((counts > 0).sum()), 1)
    A = np.vstack([a_dom.sum(axis=0) / n_dom, a_dom])  # (1 + D, K)
    gf, gm = _ratio_gradient(f, m, dirs, kinds)
    out = np.zeros((w.size, A.shape[0]))
    for rows, g, mean in ((rows_f, gf, f), (rows_m, gm, m)):
        # Σ_k z_ik B_jk with z_ik = w_i 1[known] (y_ik − mean_k) / N̂_k, as two products
        # (w_i (Y0 C')_ij − w_i (K1 (mean·C)')_ij, C = B / N̂): no n × K temporaries
        k1 = known[rows].astype(float)
        n_hat = w[rows] @ k1
        C = (A * np.nan_to_num(g)) / np.where(n_hat > 0, n_hat, 1.0)
        part = Y0[rows] @ C.T - k1 @ (C * mean).T
        out[rows] += w[rows, None] * part
    return out


class LocalGapResult(Mapping):
    """Result of :func:`local_gap_index`: the index table and the ratios behind it.

    Also a read-only mapping with keys ``"index"`` and ``"ratios"`` (the shape it had before).

    Attributes
    ----------
    index_table : DataFrame
        area_type, area, component, value, se, ci_low, ci_high, df, n_indicators.
    ratios : DataFrame
        The truncated oriented ratio of every indicator in every area.
    """

    def __init__(self, index_table: pd.DataFrame, ratios: pd.DataFrame):
        self.index_table = index_table
        self.ratios = ratios

    def __getitem__(self, key: str) -> pd.DataFrame:
        return {"index": self.index_table, "ratios": self.ratios}[key]

    def __iter__(self):
        return iter(("index", "ratios"))

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        return f"<LocalGapResult {len(self.index_table)} index rows, {len(self.ratios)} ratios>"

    def to_frame(self) -> pd.DataFrame:
        """The index table (tidy, one row per area × component)."""
        return self.index_table.copy()


def local_gap_index(
    survey,
    catalogue: Catalogue | None = None,
    design=None,
    *,
    by: str | None = "district",
    indicators: Iterable[str] | None = None,
    include_weai: bool = False,
    confidence: float = 0.95,
    alpha: float | None = None,
    variance: str = "linearization",
) -> LocalGapResult:
    """Local gender gap index by rights domain and overall, for the territory and by area.

    Parameters
    ----------
    survey : Survey or dict of DataFrame
    catalogue : Catalogue, optional
        Default: the bundled catalogue.
    design : dict, optional
        Design column roles (default ``survey.design``).
    by : str or None
        Area column (default ``district``); None for the territory only.
    indicators : iterable of str, optional
        Indicator ids to use; default every person-level proportion/mean indicator without a
        ``weai_key`` (WEAI adequacies duplicate catalogue indicators; ``include_weai=True``
        adds them).
    confidence : float
        Confidence level of the intervals (default 0.95).
    alpha : float, optional
        Older name: 1 − ``confidence``; used when given.
    variance : {'linearization', 'jackknife'}
        How standard errors are computed (see the module docstring).

    Returns
    -------
    LocalGapResult
        ``.to_frame()`` / ``["index"]``: area_type ("territory"/by), area, component ("overall" or a rights
        domain), value, se, ci_low, ci_high, df, n_indicators.
        ``"ratios"``: area_type, area, indicator, rights, direction, type, estimate_f,
        estimate_m, ratio (truncated oriented ratio).
    """
    from gender_diag.design.intervals import critical_value

    if variance not in ("linearization", "jackknife"):
        raise bad_parameter("variance", "local_gap_index", "'linearization' or 'jackknife'",
                            variance)  # fmt: skip
    level = resolve_confidence(confidence, alpha, owner="local_gap_index")
    catalogue = as_catalogue(catalogue)
    _, spec = tables_and_design(survey, design)
    tables = prepare_tables(survey, catalogue)
    if by and not any(by in t.columns for t in tables.values()):
        by = None  # a survey without that area column (no district mapped): territory only
    wanted = None if indicators is None else set(indicators)
    inds = [
        i
        for i in catalogue.indicators
        if i.unit in ("respondent", "member")
        and i.type in ("proportion", "mean")
        and (include_weai or not i.weai_key)
        and (wanted is None or i.id in wanted)
    ]
    if not inds:
        raise EstimationError("local_gap_index: no person-level indicator to combine.")
    area_cols = [by] if by else []
    frames = indicator_frames(
        tables, catalogue, design=spec, by=area_cols, indicators=[i.id for i in inds]
    )
    # stack respondents and members: one design, one set of jackknife replicates; only the
    # columns used below (the design's, the area, sex and the indicators) are stacked
    used = {*area_cols, "sex", *(i.id for i in inds)}

    def needed(f: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(spec, "columns"):  # a plain dict design: keep every column
            return f
        keep = used.union(spec.columns(f))
        return f[[c for c in f.columns if c in keep]]

    frame = pd.concat([needed(f) for f in frames.values()], ignore_index=True, sort=False)
    del frames
    # rows ordered by sex, then area: every area's women (men) are one contiguous block, so
    # each group is read through array views, never copied (the design is order-free)
    sex_rank = frame["sex"].astype(str).map({"F": 0, "M": 1}).fillna(2).to_numpy(dtype=int)
    if by:
        codes, uniques = pd.factorize(frame[by].astype(object))
        codes = np.where(codes < 0, len(uniques), codes)  # no area last
    else:
        codes, uniques = np.zeros(len(frame), dtype=np.int64), []
    order = np.lexsort((codes, sex_rank))
    frame = frame.iloc[order].reset_index(drop=True)
    sex_rank, codes = sex_rank[order], codes[order]
    ids = [i.id for i in inds if i.id in frame.columns]
    meta = {i.id: i for i in inds}
    d = make_design(frame, spec)
    if variance == "jackknife":
        jk = d.jackknife()
        W = np.column_stack([d.weights, jk.replicate_weights])  # (n, 1 + R)
        df = jk.df
    else:
        jk, W, df = None, d.weights[:, None], d.df
    Y0 = frame[ids].to_numpy(dtype=float, copy=True)
    known = ~np.isnan(Y0)
    Y0[~known] = 0.0  # zero where unknown, in place: formed once, not per area
    K1 = known.astype(float)
    del frame
    start = np.searchsorted(sex_rank, [0, 1, 2])  # women [s0, s1), men [s1, s2)

    def block(sex: int, area: int | None) -> slice:
        lo, hi = int(start[sex]), int(start[sex + 1])
        if area is None:
            return slice(lo, hi)
        a, b = np.searchsorted(codes[lo:hi], [area, area + 1])
        return slice(lo + int(a), lo + int(b))

    areas = [("territory", "", None)]
    if by:
        for j in sorted(range(len(uniques)), key=lambda j: str(uniques[j])):
            areas.append((by, str(uniques[j]), j))
    rights = [meta[k].tags.get("rights", "economic") for k in ids]
    present = [r for r in _RIGHTS if r in rights]
    r_idx = np.array([present.index(r) for r in rights])
    dirs = np.array([meta[k].direction for k in ids])
    kinds = np.array([meta[k].type for k in ids])
    q = float(critical_value(df, confidence=level))
    out_rows, ratio_rows = [], []
    for area_type, area, j in areas:
        rows_f, rows_m = block(0, j), block(1, j)
        F = _group_means(W[rows_f], Y0[rows_f], K1[rows_f])  # (1 + R, K)
        M = _group_means(W[rows_m], Y0[rows_m], K1[rows_m])
        dom, overall, r = _index(F, M, dirs, kinds, r_idx, len(present))
        theta = np.column_stack([overall, dom])  # (1 + R, 1 + D)
        full = theta[0]
        se = np.full(full.shape, np.nan)
        if jk is not None:
            reps = theta[1:]
            ok = ~np.isnan(reps).any(axis=0) & ~np.isnan(full)
            if ok.any():
                v = jk.vcov_replicates(full[ok], reps[:, ok])
                se[ok] = np.sqrt(np.clip(np.diag(v), 0, None))
        else:
            Z = _influence(W[:, 0], Y0, known, rows_f, rows_m, F[0], M[0], dirs, kinds, r_idx,
                           len(present))  # fmt: skip
            ok = ~np.isnan(full)
            v = d.vcov_total(Z)
            se[ok] = np.sqrt(np.clip(np.diag(v), 0, None))[ok]
        n_ind = [int((~np.isnan(r[0])).sum())] + [
            int(((~np.isnan(r[0])) & (r_idx == j)).sum()) for j in range(len(present))
        ]
        for j, comp in enumerate(["overall", *present]):
            out_rows.append(
                dict(
                    area_type=area_type,
                    area=area,
                    component=comp,
                    value=full[j],
                    se=se[j],
                    ci_low=max(0.0, full[j] - q * se[j]) if np.isfinite(se[j]) else np.nan,
                    ci_high=min(1.0, full[j] + q * se[j]) if np.isfinite(se[j]) else np.nan,
                    df=df,
                    n_indicators=n_ind[j],
                )
            )
        ratio_rows.append(
            pd.DataFrame(
                dict(
                    area_type=area_type,
                    area=area,
                    indicator=ids,
                    rights=rights,
                    direction=dirs,
                    type=kinds,
                    estimate_f=F[0],
                    estimate_m=M[0],
                    ratio=r[0],
                )
            )
        )
    return LocalGapResult(pd.DataFrame(out_rows), pd.concat(ratio_rows, ignore_index=True))
