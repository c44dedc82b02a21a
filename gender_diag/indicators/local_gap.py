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

Computation: respondents and members are held as separate blocks (a unit's rows × its own
indicators, ordered by sex then area, so every group is a slice), sharing one stacked design
over the design columns only; an area's influence values are formed on the area's rows and
:meth:`SurveyDesign.vcov_total` (``rows=``) sums them into PSU totals. Memory is that of the
indicator values themselves, never an n × K matrix of mostly empty cells.

CIs are :math:`\hat I \pm t_{df} \cdot SE`, clipped to [0, 1]. The truncation makes the
index biased downwards when indicators are near parity (noise pushes ratios below 1 but not
above): read small departures from 1 with their CI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from gender_diag.contracts.parameters import resolve_confidence
from gender_diag.errors import EstimationError, bad_parameter
from gender_diag.indicators.catalogue import TAG_VALUES, Catalogue
from gender_diag.indicators.compute import (
    as_catalogue,
    indicator_values,
    make_design,
    prepare_tables,
    tables_and_design,
    unit_table,
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


#: Rows per chunk when known cells enter a product: a ``chunk × K`` float at most, never
#: ``n × K`` (the known-cell mask is held as bool, 1 byte a cell).
_CHUNK = 1 << 16


class _UnitRows:
    r"""The rows of one unit of analysis (respondents or members), ordered by sex, then area.

    Only the unit's own indicators are held (respondent rows carry no member indicator and
    the reverse), so nothing is stored for the cells that are empty by construction; the
    survey design is one stacked design over the units' design columns, in which this
    unit's rows are ``offset .. offset + n - 1`` in the same order.

    Attributes
    ----------
    offset : int
        Position of the unit's first row in the stacked design.
    cols : ndarray of int
        Positions of the unit's indicators among all the index's indicators.
    values : ndarray, shape (n, K_u)
        Indicator values :math:`y_{ik}`, 0 where unknown.
    known : ndarray of bool, shape (n, K_u)
        :math:`1[y_{ik}\ \mathrm{known}]`.
    sex_start : ndarray of int, shape (3,)
        First row of the women, men and unknown-sex rows.
    area : ndarray of int, shape (n,)
        Area code of each row (ascending within each sex; no area last).
    """

    def __init__(self, offset, cols, values, known, sex_rank, area):
        self.offset = offset
        self.cols = cols
        self.values = values
        self.known = known
        self.area = area
        self.sex_start = np.searchsorted(sex_rank, [0, 1, 2])

    def rows(self, sex: int, area: int | None) -> slice:
        """Rows of one sex (0 women, 1 men) in one area (None: every area)."""
        lo, hi = int(self.sex_start[sex]), int(self.sex_start[sex + 1])
        if area is None:
            return slice(lo, hi)
        a, b = np.searchsorted(self.area[lo:hi], [area, area + 1])
        return slice(lo + int(a), lo + int(b))


def _chunks(sl: slice):
    """Sub-slices of ``sl`` of at most :data:`_CHUNK` rows."""
    for lo in range(sl.start, sl.stop, _CHUNK):
        yield slice(lo, min(lo + _CHUNK, sl.stop))


def _group_means(W: np.ndarray, unit: _UnitRows, sl: slice) -> tuple[np.ndarray, np.ndarray]:
    r"""Weighted means of the unit's indicators over rows ``sl``, under every weight column.

    .. math::

        \bar y_{rk} = \frac{\sum_i w_{ri}\, y_{ik}}{\hat N_{rk}}, \qquad
        \hat N_{rk} = \sum_i w_{ri}\, 1[y_{ik}\ \mathrm{known}]

    (NaN when :math:`\hat N_{rk} = 0`). ``W`` holds the weight columns of the rows of ``sl``
    (shape (n_sl, R)). The known-cell sums run over row chunks, so the 0/1 mask is never a
    full float matrix.

    Returns
    -------
    means, n_hat : ndarray, shape (R, K_u)
    """
    num = W.T @ unit.values[sl]
    den = np.zeros_like(num)
    known = unit.known[sl]
    for c in _chunks(slice(0, sl.stop - sl.start)):
        den += W[c].T @ known[c].astype(float)  # cast first: numpy's bool @ float is slow
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan), den


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


def _influence(w, units, groups, f, m, n_f, n_m, dirs, kinds, r_idx, n_rights):
    r"""Influence variables of the overall and domain indices (delta method), area rows only.

    For the index component *j* with indicator weights :math:`a_{jk}` (1/c in its domain,
    divided by the number of domains for the overall index) and ratio gradients
    :math:`g^F_k = \partial r_k / \partial F_k`, :math:`g^M_k = \partial r_k / \partial M_k`,

    .. math::

        z_{ij} = w_i \sum_k C_{jk}\, 1[y_{ik}\ \mathrm{known}]\, (y_{ik} - \bar y_k), \qquad
        C_{jk} = a_{jk}\, g_k / \hat N_k,

    with :math:`g, \bar y, \hat N` those of the woman's or man's group. It is zero outside
    the area's women and men, so only their rows are formed, as the two products
    :math:`w_i (Y C^\top)_{ij} - w_i (1[\mathrm{known}] (\bar y C)^\top)_{ij}` over row
    chunks (no ``n × K`` temporaries).

    Parameters
    ----------
    w : ndarray, shape (n,)
        Weights of the stacked design.
    units : list of _UnitRows
    groups : list of (slice, slice)
        Rows of the area's women and men in each unit.
    f, m : ndarray, shape (K,)
        Women's and men's means; ``n_f``, ``n_m`` their :math:`\hat N_k`.

    Returns
    -------
    z : ndarray, shape (n_area, 1 + D)
    rows : ndarray of int, shape (n_area,)
        Positions of the rows of ``z`` in the stacked design (ascending).
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
    coef = []
    for g, mean, n_hat in ((gf, f, n_f), (gm, m, n_m)):
        C = (A * np.nan_to_num(g)) / np.where(n_hat > 0, n_hat, 1.0)
        # an indicator nobody of this sex answered in the area has no ratio (A's column is
        # 0) and a NaN mean: its term is zero, not 0 · NaN, which made every SE of the area NaN
        coef.append((C, C * np.where(np.isnan(mean), 0.0, mean)))
    pieces = [
        (unit, sl, C[:, unit.cols], Cm[:, unit.cols])
        for unit, both in zip(units, groups, strict=True)
        for sl, (C, Cm) in zip(both, coef, strict=True)
    ]
    n_area = sum(sl.stop - sl.start for _, sl, _, _ in pieces)
    # formed transposed, (1 + D) × rows: C Yᵀ is several times faster than Y Cᵀ in BLAS
    # for so few output columns
    zt = np.empty((A.shape[0], n_area))
    rows = np.empty(n_area, dtype=np.int64)
    at = 0
    for unit, sl, Cu, Cmu in pieces:
        for c in _chunks(sl):
            size = c.stop - c.start
            part = Cu @ unit.values[c].T
            part -= Cmu @ unit.known[c].astype(float).T  # cast first: bool @ float is slow
            lo = unit.offset + c.start
            np.multiply(part, w[lo : lo + size], out=zt[:, at : at + size])
            rows[at : at + size] = np.arange(lo, lo + size)
            at += size
    return zt.T, rows


def _area_means(W, units, slices, n_ind):
    r"""Means (R, K) and their :math:`\hat N` (K,) of every indicator over one group's rows.

    ``slices`` gives the group's rows in each unit; each indicator is read from its own
    unit only.
    """
    means = np.full((W.shape[1], n_ind), np.nan)
    n_hat = np.zeros(n_ind)
    for unit, sl in zip(units, slices, strict=True):
        rows = slice(unit.offset + sl.start, unit.offset + sl.stop)
        means[:, unit.cols], den = _group_means(W[rows], unit, sl)
        n_hat[unit.cols] = den[0]
    return means, n_hat


def _stack_units(tables, spec, inds, by):
    """The units' rows ordered by sex then area, and the stacked design frame.

    Respondents and members share one design (one set of jackknife replicates): its frame
    stacks only the design columns, each unit's rows in the unit's (sex, area) order, so
    every area's women (men) are one contiguous block read through views (the design is
    order-free). The indicator values are gathered once, in that order, per unit.

    Returns
    -------
    units : list of _UnitRows
    design_frame : DataFrame
        The design columns of every unit's rows, stacked.
    uniques : ndarray
        The areas, indexed by the codes of :attr:`_UnitRows.area` (no area: code
        ``len(uniques)``).
    """
    ids = [i.id for i in inds]
    parts = []
    for unit in ("respondent", "member"):
        mine = [i for i in inds if i.unit == unit]
        if not mine:
            continue
        parts.append((unit_table(tables, unit, mine), mine))
    # area codes shared by the units: factorised per table, then matched to the areas in
    # order of first appearance over the stacked rows
    codes, seen = [], []
    for table, _ in parts:
        if by and by in table.columns:
            c, u = pd.factorize(table[by])
            codes.append(c)
            seen.append(np.asarray(u, dtype=object))
        else:
            codes.append(np.full(len(table), -1, dtype=np.int64))
            seen.append(np.array([], dtype=object))
    uniques = pd.unique(np.concatenate(seen)) if seen else np.array([], dtype=object)
    index = pd.Index(uniques, dtype=object)
    units, design_parts, offset = [], [], 0
    for (table, mine), c, u in zip(parts, codes, seen, strict=True):
        to_all = np.append(index.get_indexer(u), len(uniques))  # code −1 (no area) → last
        area = to_all[c]
        rank = np.full(len(table), 2, dtype=np.int64)
        if "sex" in table.columns:
            for code, label in ((0, "F"), (1, "M")):
                rank[(table["sex"] == label).to_numpy(dtype=bool, na_value=False)] = code
        order = np.lexsort((area, rank))
        values = np.empty((len(table), len(mine)))
        for k, ind in enumerate(mine):
            values[:, k] = indicator_values(tables, ind)[order]
        unknown = np.isnan(values)
        values[unknown] = 0.0  # zero where unknown, in place: formed once, not per area
        known = np.logical_not(unknown, out=unknown)
        cols = np.array([ids.index(i.id) for i in mine], dtype=np.int64)
        units.append(_UnitRows(offset, cols, values, known, rank[order], area[order]))
        keep = [v for v in spec.columns(table) if v in table.columns]
        design_parts.append(table[keep].take(order).reset_index(drop=True))
        offset += len(table)
    return units, _stack_frames(design_parts), uniques


def _stack_frames(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``parts`` stacked; a column categorical in every part stays categorical.

    ``pd.concat`` turns categoricals with different categories (respondents' and members'
    household ids) into text, which the design would then hash row by row; the union of the
    categories keeps integer codes.
    """
    cat = [
        c
        for c in parts[0].columns
        if all(c in p.columns and isinstance(p[c].dtype, pd.CategoricalDtype) for p in parts)
    ]
    frame = pd.concat([p.drop(columns=cat) for p in parts], ignore_index=True, sort=False)
    for c in cat:
        frame[c] = union_categoricals([p[c] for p in parts], ignore_order=True)
    return frame


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
    ids = [i.id for i in inds]
    meta = {i.id: i for i in inds}
    units, design_frame, uniques = _stack_units(tables, spec, inds, by)
    d = make_design(design_frame, spec)
    del design_frame
    if variance == "jackknife":
        jk = d.jackknife()
        W = np.column_stack([d.weights, jk.replicate_weights])  # (n, 1 + R)
        df = jk.df
    else:
        jk, W, df = None, d.weights[:, None], d.df

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
        groups = [(unit.rows(0, j), unit.rows(1, j)) for unit in units]
        F, n_f = _area_means(W, units, [g[0] for g in groups], len(ids))  # (1 + R, K)
        M, n_m = _area_means(W, units, [g[1] for g in groups], len(ids))
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
            Z, rows = _influence(W[:, 0], units, groups, F[0], M[0], n_f, n_m, dirs, kinds,
                                 r_idx, len(present))  # fmt: skip
            ok = ~np.isnan(full)
            v = d.vcov_total(Z, rows=rows)
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
