"""Batched linearisation engine: many variables × many domains in one pass.

Every estimator of the design stage is a total ``Y = Σ w m a`` or a ratio of totals
``R = Σ w m a / Σ w m b`` per domain (means: ``b = 1``; proportions: ``a = 1[y = level]``;
Woodruff quantiles: ``a = 1[y ≤ q]``), where ``m`` is 1 when the row's values are present
(R ``na.rm=TRUE``). Its influence value on row *i* of domain *g* is

.. math::  z_i = w_i m_i (a_i - \\hat R_g b_i) / \\hat B_g   \\quad (z_i = w_i m_i a_i
           \\text{ for totals}),

zero outside the domain, and every PSU is kept (Lumley 2010 §2.3 and §3.4). Because
``z`` is linear in ``a`` and ``b`` within a domain, its PSU × domain totals are
``(A_pg − R_g B_pg) / B_g`` with ``A_pg = Σ_{i ∈ p, g} w a`` and ``B_pg = Σ_{i ∈ p, g} w b``.
So the engine

1. materialises a few columns at a time (memory stays at a small multiple of ``n``),
2. takes ONE sparse group sum of ``w a`` (and of ``w b`` when values are missing or a
   denominator is given) by stratum-PSU × domain — PSUs without members of a domain are
   kept as zeros — and gets the domain totals by summing over PSUs,
3. applies the stage kernels of :mod:`gender_diag.design._kernel` to the PSU × domain
   totals of ``z`` (second stage: the same over SSU × domain cells that hold rows;
   calibration: the same over calibration-cell × domain cells).

Replicate designs take the same group sum by replicate pattern × domain and one matrix
product with the replicate factors. Contrasts between domains (gaps) are linear
combinations of the domain columns of these totals, so they cost no extra pass over rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gender_diag.design import calibration
from gender_diag.design._kernel import group_sum, group_sums, indicator_matrix

Column = str | Callable[[], tuple[np.ndarray, np.ndarray | None]]
#: Values materialised at once (≈16 MB per float array; a chunk holds ~16 such arrays).
#: Chunks cost little time since a pass's group-sum matrices are built once for all of
#: them (100,000 households, chunks of 2-11 columns: same time, stage peak −430 MB).
_CELLS_PER_CHUNK = 2_000_000


def _chunks(k: int, n: int):
    size = max(1, min(k, _CELLS_PER_CHUNK // max(n, 1)))
    for start in range(0, k, size):
        yield slice(start, min(k, start + size))


def _materialise(design, columns: list[Column], n: int):
    """Stack columns into ``a``, ``b`` (zeros where missing), the mask ``m`` and flags.

    A plain column name is read with the others in one block copy (numeric columns).
    Returns ``a, b, m, complete`` with ``b = None`` for means/totals and ``complete`` True
    when nothing is missing (then ``m`` is not needed).
    """
    names = [c for c in columns if isinstance(c, str)]
    block = None
    if names:
        block = np.ascontiguousarray(design.data[names].to_numpy(dtype=float, na_value=np.nan))
    b_cols: list = []
    if len(names) == len(columns):
        a = block if block.base is None else block.copy()
        b_cols = [None] * len(columns)
    else:
        a = np.empty((n, len(columns)))
        pos = 0
        for j, col in enumerate(columns):
            if isinstance(col, str):
                a[:, j] = block[:, pos]
                pos += 1
                b_cols.append(None)
            else:
                num, den = col()
                a[:, j] = num
                b_cols.append(den)
    if all(x is None for x in b_cols):
        b = None
        present = np.isfinite(a)
    else:
        b = np.column_stack([np.ones(n) if x is None else x for x in b_cols])
        present = np.isfinite(a) & np.isfinite(b)
    complete = bool(present.all())
    if complete:
        return a, b, None, True
    a[~present] = 0.0
    if b is not None:
        b[~present] = 0.0
    return a, b, present.astype(float), False


class Contrast:
    """Linear combination of domain estimates: ``Σ_g coef[g, j] θ_gj`` into target ``t(g)``.

    Parameters
    ----------
    coef : ndarray (G, kc)
        Coefficient of each domain's estimate (0 for domains not involved).
    target : ndarray of int (G,)
        Output row (0..T-1) each domain contributes to, −1 if none.
    n_targets : int
    """

    def __init__(self, coef: np.ndarray, target: np.ndarray, n_targets: int):
        self.coef = coef
        self.target = np.asarray(target, dtype=np.int64)
        self.n_targets = n_targets


class _Cells:
    """Group-sum structure of one partition of rows (units × domains), built once per call."""

    def __init__(
        self,
        unit: np.ndarray,
        n_units: int,
        codes: np.ndarray,
        G: int,
        compact: bool = False,
        stage=None,
    ):
        if stage is not None and G == 1 and not compact and bool(np.all(codes == 0)):
            # Whole sample, one domain: the stage's own unit-by-row matrix serves.
            self.size, self.matrix, self.n_units, self.G = n_units, stage.matrix, n_units, 1
            return
        key = np.where(codes >= 0, unit * G + codes, -1)
        if compact:
            cell, uniques = pd.factorize(key)
            uniques = np.asarray(uniques, dtype=np.int64)
            cell = np.where(key >= 0, cell, -1)
            valid = uniques >= 0
            self.size = uniques.size
            self.unit = np.where(valid, uniques // G, 0)
            self.domain = np.where(valid, uniques % G, -1)
            self.matrix = indicator_matrix(cell, self.size)
        else:
            self.size = n_units * G
            self.matrix = indicator_matrix(key, self.size)
        self.n_units = n_units
        self.G = G

    def sums(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix @ x)


class _Pass:
    """Shared structures of one :func:`run` call (cells, caches), built once."""

    def __init__(self, design, codes, G, total):
        self.design = design
        self.codes = codes
        self.G = G
        self.total = total
        self.w = design.weights
        self.rep = design.replicates
        s1, s2 = design.stage1, design.stage2
        taylor = self.rep is None
        self.psu = _Cells(s1.unit, s1.n_units, codes, G, stage=s1)
        self.ssu = _Cells(s2.unit, s2.n_units, codes, G, compact=True) if (taylor and s2) else None
        self.cal = design.calibration if taylor else None
        self.xcells = calibration.cells(self.cal, codes, G) if self.cal is not None else None
        self._ones: dict = {}
        self.deff = True  # compute the design effects (Σ w m e² per domain)
        self.count_all = np.bincount(codes[codes >= 0], minlength=G).astype(float)

    def ones(self, which: str, cells, weights):
        """Cell sums of the weights alone (the denominator of complete means), cached."""
        if which not in self._ones:
            self._ones[which] = cells.sums(weights)[:, None]
        return self._ones[which]

    def cell_sums(self, which, cells, block: _Block, weights):
        """Cell sums of ``weights·a`` and of the denominator ``weights·b`` (or ``weights·m``)."""
        wa, wd = block.weighted(weights)
        sa = cells.sums(wa)
        if wd is None:
            return sa, self.ones(which, cells, weights)
        return sa, cells.sums(wd)


class _Block:
    """Materialised values of one chunk of columns and their weighted copies.

    The weighted values ``w·a`` and ``w·b`` (or ``w·m``) are formed once per weight vector
    and reused by every stage and every domain partition summed from this chunk.
    """

    def __init__(self, a, b, m, complete):
        self.a, self.b, self.m, self.complete = a, b, m, complete
        self._weighted: dict = {}

    @property
    def binary(self) -> bool:
        """No denominator and every value 0/1 (checked once for every partition)."""
        if not hasattr(self, "_binary"):
            self._binary = self.b is None and bool(np.all((self.a == 0) | (self.a == 1)))
        return self._binary

    def weighted(self, weights: np.ndarray):
        key = id(weights)
        if key not in self._weighted:
            wa = weights[:, None] * self.a
            wd = None
            if not (self.b is None and self.complete):
                mm = np.ones_like(self.a) if self.m is None else self.m
                wd = weights[:, None] * (mm if self.b is None else self.b)
            self._weighted[key] = (weights, wa, wd)  # the weights are kept: id stays valid
        return self._weighted[key][1:]


def run(
    design,
    columns: list[Column],
    codes: np.ndarray,
    n_domains: int,
    *,
    total: bool = False,
    contrasts: Callable | None = None,
) -> dict:
    """Estimate every column in every domain, with Taylor or replicate variances.

    Parameters
    ----------
    design : SurveyDesign
    columns : list
        Column names (numeric, denominator 1) or callables returning ``(a, b)``:
        numerator and denominator values (``b=None`` means 1), float arrays of length n
        with NaN for missing.
    codes : ndarray of int (n,)
        Domain of each row, −1 outside every domain.
    n_domains : int
    total : bool
        Estimate totals ``Σ w m a`` instead of ratios.
    contrasts : callable or sequence of callables, optional
        ``contrasts(est_chunk) -> Contrast`` from the estimates (G, kc) of a chunk of
        columns; the Taylor variance of the contrast is returned as ``contrast_var``
        (T, k). A sequence asks for several contrasts of the same cell sums (e.g. the
        difference and the ratio gap): their variances come back as the list
        ``contrast_vars``, in order. Replicate designs return ``reps`` and the caller
        applies the contrast.

    Returns
    -------
    dict of arrays (G, k): ``estimate, var, n, population, numerator, denominator, deff``;
    ``reps`` (R, G, k) for replicate designs; ``contrast_var`` (T, k) (or the list
    ``contrast_vars``) when asked.
    """
    cells = getattr(design, "cell_totals", None)  # rows are cells of totals (design.totals)
    if cells is None:
        return run_partitions(design, columns, [(codes, n_domains, contrasts)], total=total)[0]
    n = design.weights.size
    k = len(columns)
    ps = _Pass(design, codes, n_domains, total)
    out = _empty_out(ps, n_domains, k)
    for sl in _chunks(k, n):
        a, b, m, complete = cells.materialise(columns[sl])
        if cells.moments:  # no PSUs: domain sums, variances from second moments
            cells.estimate_without_psu(
                out, sl, columns[sl], a, b, codes, n_domains, total, contrasts
            )
            continue
        _chunk(ps, out, sl, _Block(a, b, m, complete), contrasts, k)
        # counts and weighted counts are columns of the cells; no rows, no design effect
        out["n"][:, sl] = cells.counts(columns[sl], codes, n_domains)
        out["population"][:, sl] = out["denominator"][:, sl]
        out["deff"][:, sl] = np.nan
    return _finish(ps, out, total)


def run_partitions(
    design, columns: list[Column], partitions: list, *, total: bool = False, deff: bool = True
):
    """:func:`run` for several domain partitions of the same rows (e.g. one per by-column).

    ``partitions`` is a list of ``(codes, n_domains, contrasts)``; returns one result dict
    per partition, each equal to ``run(design, columns, codes, n_domains, contrasts=...)``.
    Each chunk of columns is materialised and weighted once and summed by every partition,
    instead of once per partition. ``deff=False``: the design effects are not wanted (NaN;
    saves one pass over the rows per partition and chunk).
    """
    if getattr(design, "cell_totals", None) is not None:
        return [
            run(design, columns, codes, G, total=total, contrasts=con)
            for codes, G, con in partitions
        ]
    n = design.weights.size
    k = len(columns)
    chunks = list(_chunks(k, n))
    if len(chunks) == 1:  # the usual case: each partition's structures live one at a time
        block = _Block(*_materialise(design, columns, n))
        outs = []
        for codes, G, con in partitions:
            ps = _Pass(design, codes, G, total)
            ps.deff = deff
            out = _empty_out(ps, G, k)
            _chunk(ps, out, chunks[0], block, con, k)
            outs.append(_finish(ps, out, total))
        return outs
    passes = [_Pass(design, codes, G, total) for codes, G, _ in partitions]
    for ps in passes:
        ps.deff = deff
    outs = [_empty_out(ps, G, k) for ps, (_, G, _) in zip(passes, partitions, strict=True)]
    for sl in chunks:
        block = _Block(*_materialise(design, columns[sl], n))
        for ps, out, (_, _, con) in zip(passes, outs, partitions, strict=True):
            _chunk(ps, out, sl, block, con, k)
        del block  # one chunk's values at a time
    return [_finish(ps, out, total) for ps, out in zip(passes, outs, strict=True)]


def _empty_out(ps: _Pass, n_domains: int, k: int) -> dict:
    out = {
        key: np.full((n_domains, k), np.nan)
        for key in ("estimate", "var", "n", "population", "numerator", "denominator", "deff")
    }
    if ps.rep is not None:
        out["reps"] = np.full((ps.rep.n_rep, n_domains, k), np.nan)
    return out


def _finish(ps: _Pass, out: dict, total: bool) -> dict:
    if ps.rep is not None:
        out["var"] = ps.rep.var(out["estimate"], out["reps"])
    out["deff"] = _deff(out, out["deff"], total)
    return out


def each_contrast(contrasts) -> list:
    """``(store, builder)`` of every contrast asked for; ``store(out, con, k)`` is its array.

    One callable fills ``out["contrast_var"]``; a sequence fills ``out["contrast_vars"][i]``.
    """
    if contrasts is None:
        return []
    if callable(contrasts):
        fns, key = [contrasts], None
    else:
        fns, key = list(contrasts), "contrast_vars"

    def store(i):
        def get(out, con, k):
            if key is None:
                if "contrast_var" not in out:
                    out["contrast_var"] = np.full((con.n_targets, k), np.nan)
                return out["contrast_var"]
            arrays = out.setdefault(key, [None] * len(fns))
            if arrays[i] is None:
                arrays[i] = np.full((con.n_targets, k), np.nan)
            return arrays[i]

        return get

    return [(store(i), fn) for i, fn in enumerate(fns)]


def _chunk(ps: _Pass, out: dict, sl: slice, values, contrasts, k: int) -> None:
    """Point estimates and variances of one chunk of columns, written into ``out``."""
    block = values
    a, b, m, complete = block.a, block.b, block.m, block.complete
    G, codes, w, total = ps.G, ps.codes, ps.w, ps.total
    kc = a.shape[1]
    P = ps.design.stage1.n_units
    pa, pb = ps.cell_sums("psu", ps.psu, block, w)
    pa, pb = pa.reshape(P, G, kc), pb.reshape(P, G, -1)
    if b is None and complete:
        count = np.broadcast_to(ps.count_all[:, None], (G, kc))
        pop = pb.sum(axis=0)
    else:
        by_domain = group_sums(ps, codes, G)
        count = by_domain(np.ones_like(a) if m is None else m)
        pop = pb.sum(axis=0) if b is None else by_domain(w[:, None] * m_or_ones(a, m))
    num = pa.sum(axis=0)
    den = pop if total else pb.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = num if total else num / den
        inv_den = np.where(den != 0, 1.0 / den, 0.0)
    for key, value in (("numerator", num), ("denominator", den), ("n", count), ("estimate", est)):
        out[key][:, sl] = value
    out["population"][:, sl] = np.broadcast_to(pop, (G, kc))
    est0 = np.nan_to_num(est)
    lin = _Linear(est0, inv_den, total)
    if ps.deff:  # else left NaN
        out["deff"][:, sl] = _deviation_sums(
            ps.design, a, b, m, codes, G, est0, num, pop, total, binary=block.binary,
            by_domain=group_sums(ps, codes, G),
        )  # fmt: skip
    if ps.rep is not None:
        out["reps"][:, :, sl] = _replicate_estimates(ps, a, b, m, total)
        return
    z1 = lin(pa, pb)  # (P, G, kc)
    z2 = None
    if ps.ssu is not None:
        z2 = lin(*ps.cell_sums("ssu", ps.ssu, block, w), ps.ssu.domain)
    beta = None
    if ps.xcells is not None:
        xa, xb = ps.cell_sums("x", ps.xcells, block, ps.cal.reg_w)
        beta = np.einsum(
            "qr,rgj->qgj", ps.cal.pinv, lin(xa.reshape(-1, G, kc), xb.reshape(-1, G, xb.shape[-1]))
        )
    out["var"][:, sl] = _taylor(ps.design, z1, z2, ps.ssu, beta, G)
    for store, build in each_contrast(contrasts):
        con = build(est)
        store(out, con, k)[:, sl] = _contrast_var(ps.design, con, z1, z2, ps.ssu, beta)


def m_or_ones(a: np.ndarray, m) -> np.ndarray:
    """The presence mask, or ones when nothing is missing."""
    return np.ones_like(a) if m is None else m


class _Linear:
    """Totals of z over cells from totals of ``w a`` and ``w b`` over the same cells.

    ``z = (a − R̂ b) / B̂`` for ratios (``R̂``, ``1/B̂`` per domain), ``z = a`` for totals.
    """

    def __init__(self, est0, inv_den, total):
        self.est0, self.inv_den, self.total = est0, inv_den, total

    def __call__(self, sa, sb, dom=None):
        if self.total:
            return sa
        # (sa − e·sb)·d with one temporary (the same operations in the same order); per
        # cell, the gathered estimates are multiplied in place (e·sb = sb·e exactly)
        if dom is None:
            z = self.est0 * sb
        else:
            z = self.est0[dom]
            z *= sb
        np.subtract(sa, z, out=z)
        z *= self.inv_den if dom is None else self.inv_den[dom]
        return z


def _replicate_estimates(ps: _Pass, a, b, m, total):
    """Replicate estimates (R, G, kc) of one chunk."""
    rnum = _replicate_domain_totals(ps.rep, a, ps.codes, ps.G, ps.w)
    if total:
        return rnum
    rb = m_or_ones(a, m) if b is None else b
    rden = _replicate_domain_totals(ps.rep, rb, ps.codes, ps.G, ps.w)
    with np.errstate(divide="ignore", invalid="ignore"):
        return rnum / rden


def _combine(matrix_t: sp.csr_matrix, x: np.ndarray) -> np.ndarray:
    """Sum the domain axis (axis 1) of ``x`` (U, G, kc) into targets: (U, T, kc)."""
    U, G, kc = x.shape
    flat = np.moveaxis(x, 1, 0).reshape(G, U * kc)
    res = np.asarray(matrix_t @ flat)
    return np.moveaxis(res.reshape(-1, U, kc), 0, 1)


def _contrast_var(design, con: Contrast, z1, z2, ssu, beta) -> np.ndarray:
    T = con.n_targets
    G = con.coef.shape[0]
    to_t = indicator_matrix(con.target, T)  # (T × G)
    c1 = _combine(to_t, z1 * con.coef[None])
    cbeta = None if beta is None else _combine(to_t, beta * con.coef[None])
    c2 = None
    sub = None
    if z2 is not None:
        cell, uniques, sub = _target_cells(ssu, con.target, T)
        if not hasattr(ssu, "_in_domain"):  # per-cell masks, once per pass
            ssu._in_domain = np.where(ssu.domain >= 0, 1.0, 0.0)[:, None]
            ssu._safe_domain = np.maximum(ssu.domain, 0)
        weighted = z2 * ssu._in_domain
        weighted *= con.coef[ssu._safe_domain]
        c2 = group_sums(ssu, cell, uniques.size)(weighted)
    del G
    return _taylor(design, c1, c2, sub, cbeta, T)


def _target_cells(ssu: _Cells, target: np.ndarray, T: int):
    """SSU × target cells of the SSU × domain cells and their (SSU, target) codes;
    memoised per target map (the same pairs of domains serve every gap kind and every
    chunk of columns, so their group-sum matrices are built once)."""
    memo = ssu.__dict__.setdefault("_targets", {})
    mkey = (T, target.tobytes())
    if mkey not in memo:
        tgt = np.where(ssu.domain >= 0, target[np.maximum(ssu.domain, 0)], -1)
        key = np.where(tgt >= 0, ssu.unit * T + tgt, -1)
        cell, uniques = pd.factorize(key)
        uniques = np.asarray(uniques, dtype=np.int64)
        sub = _Sub(np.where(uniques >= 0, uniques // T, 0), np.where(uniques >= 0, uniques % T, -1))
        memo[mkey] = (np.where(key >= 0, cell, -1), uniques, sub)
    return memo[mkey]


class _Sub:
    def __init__(self, unit, domain):
        self.unit = unit
        self.domain = domain


def _taylor(design, z1, z2, cells, beta, T) -> np.ndarray:
    """Taylor variance (T, kc) from PSU × target totals z1 (P, T, kc) and SSU cells z2.

    Second stage: ``Σ_j c_j (t_j − t̄_i)² = Σ_j c_j t_j² − c_i t_i² / m_i`` within PSU *i*
    (``t_i`` the PSU total), so only the SSU × target cells that hold rows are needed.
    """
    s1, s2 = design.stage1, design.stage2
    P, _, kc = z1.shape
    extra = 0.0
    if beta is not None:
        cal = design.calibration
        z1 = z1 - np.einsum("pq,qtj->ptj", cal.wx_psu, beta)
        extra = calibration.totals_term(cal, beta)
    flat = z1.reshape(P, T * kc)
    v = s1.var(flat).reshape(T, kc)
    if z2 is not None:
        scale = s2.scale[cells.unit]
        first = group_sums(cells, cells.domain, T)(scale[:, None] * z2**2)
        if beta is not None:
            first = first + calibration.stage2_terms(
                design, beta.reshape(beta.shape[0], T * kc), cells.unit, cells.domain, z2, T
            )
        psu_scale = np.zeros(P)
        psu_scale[s2.unit_group] = s2.scale
        psu_adjust = np.zeros(P, dtype=bool)
        psu_adjust[s2.unit_group] = s2.centre_zero
        factor = np.where(psu_adjust, 0.0, psu_scale / np.maximum(s2.group_size, 1.0))
        second = np.einsum("pj,p->j", flat**2, factor).reshape(T, kc)
        v = v + first - second
    return np.maximum(v, 0.0) + extra


def _deviation_sums(
    design, a, b, m, codes, G, est0, num, pop, total, *, binary=None, by_domain=None
):
    """``Σ_{i∈g} w m e²`` with ``e = a − R b`` (ratios) or ``a − Ȳ`` (totals), for the deff.

    0/1 columns without a denominator use ``Σ w a² = Σ w a`` (no pass over rows);
    other columns form the residuals row by row (no cancellation error).
    """
    if binary is None:
        binary = b is None and bool(np.all((a == 0) | (a == 1)))
    if binary:
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = est0 if not total else np.nan_to_num(num / pop)
        return num - 2 * centre * num + centre**2 * pop
    safe = np.where(codes >= 0, codes, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = est0 if not total else np.nan_to_num(num / pop)
    bb = (np.ones_like(a) if m is None else m) if (b is None or total) else b
    # e = a − centre·bb (× m), then w·e·e: the same operations, two temporaries
    e = np.multiply(centre[safe], bb)
    np.subtract(a, e, out=e)
    if m is not None:
        e *= m
    we = design.weights[:, None] * e
    we *= e
    return group_sum(codes, G, we) if by_domain is None else by_domain(we)


def _replicate_domain_totals(
    rep, x: np.ndarray, codes: np.ndarray, G: int, w: np.ndarray
) -> np.ndarray:
    """``Σ_i w_ri x_ij 1[codes_i = g]`` for every replicate: array (R, G, kc)."""
    kc = x.shape[1]
    if rep.dense is None:
        n_pat = rep.factors.shape[0]
        key = np.where(codes >= 0, rep.codes * G + codes, -1)
        by_pattern = group_sum(key, n_pat * G, w[:, None] * x).reshape(n_pat, G * kc)
        return (rep.factors.T @ by_pattern).reshape(rep.n_rep, G, kc)
    rows = np.flatnonzero(codes >= 0)
    cols = (codes[rows][:, None] * kc + np.arange(kc)[None, :]).ravel()
    mat = sp.csr_matrix((x[rows].ravel(), (np.repeat(rows, kc), cols)), shape=(codes.size, G * kc))
    return np.asarray(mat.T @ rep.dense).T.reshape(rep.n_rep, G, kc)


def taylor_var(design, z: np.ndarray, target: np.ndarray, n_targets: int) -> np.ndarray:
    """Taylor variance of the totals of row-level ``z`` (n × kc) within each target: (T, kc).

    Used by :meth:`SurveyDesign.vcov_total`-style callers that already hold influence
    values; the estimators use the faster totals-based path of :func:`run`.
    """
    s1, s2 = design.stage1, design.stage2
    T = n_targets
    kc = z.shape[1]
    psu = _Cells(s1.unit, s1.n_units, target, T)
    z1 = psu.sums(z).reshape(s1.n_units, T, kc)
    z2 = cells = None
    if s2 is not None:
        cells = _Cells(s2.unit, s2.n_units, target, T, compact=True)
        z2 = cells.sums(z)
    beta = None
    cal = design.calibration
    if cal is not None:
        w = design.weights
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.where(w[:, None] > 0, z / w[:, None], 0.0)
        xz = calibration.cells(cal, target, T).sums(cal.reg_w[:, None] * e).reshape(-1, T, kc)
        beta = np.einsum("qr,rgj->qgj", cal.pinv, xz)
    return _taylor(design, z1, z2, cells, beta, T)


def _deff(out: dict, se2: np.ndarray, total: bool) -> np.ndarray:
    """Design effect against SRS without replacement (R ``svymean(deff=TRUE)``).

    ``s² = n/(n−1) Σ w e² / N`` with ``e`` the linearised residual; ratios rescale by
    ``(N / B)²``; ``V_srs = s² (1 − n/N) / n`` (× ``N²`` for totals).
    """
    n = out["n"]
    pop = out["population"]
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = se2 / pop * n / (n - 1)
        if total:
            vsrs = pop**2 * s2 * (1 - n / pop) / n
        else:
            s2 = s2 * (pop / out["denominator"]) ** 2
            vsrs = s2 * (1 - n / pop) / n
        deff = out["var"] / vsrs
    return np.where(np.isfinite(deff), deff, np.nan)
