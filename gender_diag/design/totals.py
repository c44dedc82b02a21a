"""Designs over cells of sufficient statistics: estimation when the rows never reach Python.

An out-of-core engine (:mod:`gender_diag.engine`) scans the data where they live (DuckDB,
Spark) and returns, per stratum × PSU [× SSU] × domain cell and per variable *j*,

* ``A_j = Σ w m_j a_j`` (weighted total of the values present),
* ``B_j = Σ w m_j`` (weighted count of the values present, the mean's denominator),
* ``n_j = Σ m_j`` (unweighted count),

with ``m_j`` = 1 when the value is present. Every Taylor-linearised estimator of the
design stage needs only these: the influence value of a mean in domain *g* is
``z_i = w_i m_i (a_i − R_g) / B_g`` so its PSU × domain totals are ``(A − R_g B) / B_g``
(:mod:`gender_diag.design._engine`), the same numbers whether they are summed from rows or
from cells. :class:`TotalsDesign` is a :class:`~gender_diag.design.SurveyDesign` whose "rows"
are those cells (weight 1); the existing estimators (``mean``, ``gap``) run on it unchanged
and give the estimates, SEs, gaps, p-values and design df of the row-level design.

A design without PSUs (every row its own PSU; a census or an unclustered sample) needs
second moments instead, because the variance sums squared row-level influence values:
``V = Σ_h (1 − f_h) n_h / (n_h − 1) [Σ_{i∈h} z_i² − (Σ_{i∈h} z_i)² / n_h]`` (Särndal,
Swensson & Wretman 1992, result 4.3.1) with
``Σ_{i∈h,g} z_i² = (S_aa − 2 R_g S_ab + R_g² S_bb) / B_g²`` where ``S_aa = Σ w² m a²``,
``S_ab = Σ w² m a`` and ``S_bb = Σ w² m``. The cells are then stratum × domain, and each
stratum's row count ``n_h`` is given separately.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.design._engine import each_contrast
from gender_diag.design._kernel import group_sum
from gender_diag.design._structure import per_group_constant, population_size, stage_scale
from gender_diag.design.survey import SurveyDesign
from gender_diag.errors import DesignError

__all__ = ["MOMENTS", "SUFFIXES", "TotalsDesign"]

#: Column suffixes of a variable's statistics in the cells frame (the variable's own column
#: holds ``A``).
SUFFIXES = {"den": "@den", "n": "@n"}
#: Second-moment suffixes, needed only for designs without PSUs.
MOMENTS = {"aa": "@aa", "ab": "@ab", "bb": "@bb"}
_W = "__cell_weight"


class _Cells:
    """What :func:`gender_diag.design._engine.run` asks of a cells design."""

    def __init__(self, design: TotalsDesign):
        self.design = design

    def _name(self, column) -> str:
        """The variable a column of the estimators stands for.

        Estimators pass names or ``lambda v=name: ...`` closures over the name; the name is
        what identifies the variable's statistics in the cells frame.
        """
        if isinstance(column, str):
            return column
        for v in getattr(column, "__defaults__", None) or ():
            if isinstance(v, str) and f"{v}{SUFFIXES['den']}" in self.design.data.columns:
                return v
        raise DesignError(
            "TotalsDesign: this estimator is not available on cells of totals "
            "(only means, proportions of 0/1 variables and their gaps are)."
        )

    def _block(self, names, suffix=""):
        data = self.design.data
        cols = [f"{self._name(v)}{suffix}" for v in names]
        return np.column_stack([data[c].to_numpy(dtype=float) for c in cols])

    def materialise(self, names):
        """``a = A``, ``b = B`` per cell; nothing is missing at the cell level."""
        return self._block(names), self._block(names, SUFFIXES["den"]), None, False

    def counts(self, names, codes, G):
        return group_sum(codes, G, self._block(names, SUFFIXES["n"]))

    @property
    def moments(self) -> bool:
        return self.design._rows_per_stratum is not None

    def estimate_without_psu(self, out, sl, names, a, b, codes, G, total, contrasts):
        """Fill ``out[..., sl]`` for a design without PSUs (no PSU × domain array is formed).

        Estimates from domain sums of the cells; variances from their second moments
        (:meth:`srs_var`).
        """
        if total:  # pragma: no cover - the engine estimates means and gaps only
            raise DesignError("TotalsDesign: totals are not available on cells of totals.")
        num = group_sum(codes, G, a)
        den = group_sum(codes, G, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = num / den
            inv_den = np.where(den != 0, 1.0 / den, 0.0)
        est0 = np.nan_to_num(est)
        out["numerator"][:, sl] = num
        out["denominator"][:, sl] = den
        out["population"][:, sl] = den
        out["n"][:, sl] = self.counts(names, codes, G)
        out["estimate"][:, sl] = est
        out["deff"][:, sl] = np.nan
        out["var"][:, sl] = self.srs_var(names, codes, G, est0, inv_den)
        for store, build in each_contrast(contrasts):
            con = build(est)
            store(out, con, out["estimate"].shape[1])[:, sl] = self.srs_var(
                names, codes, G, est0, inv_den, con
            )

    def srs_var(self, names, codes, G, est0, inv_den, contrast=None):
        """Variance (T, kc) of domain means — or of contrasts — in a design without PSUs."""
        d = self.design
        A = self._block(names)
        B = self._block(names, SUFFIXES["den"])
        saa, sab, sbb = (self._block(names, s) for s in MOMENTS.values())
        safe = np.maximum(codes, 0)
        inside = (codes >= 0)[:, None]
        e, dd = est0[safe], inv_den[safe]
        t = np.where(inside, (A - e * B) * dd, 0.0)  # Σ z over the cell's rows
        q = np.where(inside, (saa - 2 * e * sab + e * e * sbb) * dd * dd, 0.0)  # Σ z²
        if contrast is None:
            target, T = codes, G
        else:
            coef = contrast.coef[safe]
            t, q = t * coef, q * coef * coef
            target = np.where(codes >= 0, contrast.target[safe], -1)
            T = contrast.n_targets
        H = d.strata_labels.size
        key = np.where(target >= 0, d._cell_stratum * T + target, -1)
        st = group_sum(key, H * T, t).reshape(H, T, -1)
        sq = group_sum(key, H * T, q).reshape(H, T, -1)
        n_h = d._rows_per_stratum[:, None, None]
        dev2 = sq - st * st / n_h
        if d._centre_zero.any():  # lonely strata centred at the mean of all unit totals
            grand = st.sum(axis=0) / d._rows_per_stratum.sum()
            lone = d._centre_zero
            dev2[lone] = sq[lone] - 2 * grand * st[lone] + n_h[lone] * grand * grand
        return np.maximum(np.einsum("htj,h->tj", dev2, d._scale_per_stratum), 0.0)


class TotalsDesign(SurveyDesign):
    """A survey design whose rows are cells of weighted totals (see the module docstring).

    Parameters
    ----------
    cells : DataFrame
        One row per stratum × PSU [× SSU] × domain cell (PSU designs) or stratum × domain
        cell (designs without PSUs), with the design columns, the domain columns and, per
        variable ``v``: ``v`` (A), ``v@den`` (B), ``v@n`` (count); without PSUs also
        ``v@aa``, ``v@ab``, ``v@bb``. Every PSU (SSU) of the sample must have at least one
        cell (cells whose domain is missing keep PSUs that hold no domain member).
    strata, psu, ssu, fpc, fpc2, with_replacement, lonely_psu
        As :class:`~gender_diag.design.SurveyDesign`, naming columns of ``cells``.
    rows_per_stratum : Series, optional
        Designs without PSUs: number of rows of each stratum (index: stratum value; one
        value under the key ``"(all)"`` when there are no strata).

    Examples
    --------
    Two PSUs in one stratum, one domain; a mean from cell totals equals the row-level one:

    >>> rows = pd.DataFrame({"y": [1.0, 0, 1, 1], "w": [1.0, 2, 1, 1], "p": [1, 1, 2, 2]})
    >>> cells = pd.DataFrame({"p": [1, 2], "y": [1.0, 2.0], "y@den": [3.0, 2.0], "y@n": [2, 2]})
    >>> a = SurveyDesign(rows, weight="w", psu="p").mean("y")
    >>> b = TotalsDesign(cells, psu="p").mean("y")
    >>> bool(np.allclose(a[["estimate", "se", "n"]], b[["estimate", "se", "n"]]))
    True
    """

    def __init__(
        self,
        cells: pd.DataFrame,
        *,
        strata: str | None = None,
        psu: str | None = None,
        ssu: str | None = None,
        fpc: str | None = None,
        fpc2: str | None = None,
        with_replacement: bool = False,
        lonely_psu: str = "fail",
        rows_per_stratum: pd.Series | None = None,
    ):
        if psu is None and rows_per_stratum is None:
            raise DesignError(
                "TotalsDesign: a design without PSUs needs rows_per_stratum (each row is a "
                "PSU, so the variance needs the number of rows of every stratum)."
            )
        data = pd.concat([cells, pd.Series(1.0, index=cells.index, name=_W)], axis=1)
        super().__init__(
            data,
            _W,
            strata=strata,
            psu=psu,
            ssu=ssu,
            fpc=fpc,
            fpc2=fpc2,
            with_replacement=with_replacement,
            # without PSUs the cells are not units: the real lonely check is done below
            lonely_psu="certainty" if psu is None else lonely_psu,
        )
        self._rows_per_stratum = None
        self.cell_totals = _Cells(self)
        if psu is not None:
            return
        labels = self.strata_labels
        # without PSUs every cell is a first-stage "unit": its stratum is its unit's group
        self._cell_stratum = self.stage1.unit_group[self.stage1.unit]
        counts = pd.Series(rows_per_stratum)
        n_h = counts.reindex(pd.Index(labels)).to_numpy(dtype=float)
        if strata is None:
            n_h = np.array([float(counts.sum())])
        if np.isnan(n_h).any():
            raise DesignError("TotalsDesign: rows_per_stratum misses strata of the cells.")
        pop1 = None
        if fpc is not None and not with_replacement:
            vals = cells[fpc].to_numpy(dtype=float)
            per_h = per_group_constant(vals, self._cell_stratum, labels.size, "fpc", fpc, "stratum")
            pop1 = population_size(per_h, n_h, "fpc", fpc)
        scale, adjust = stage_scale(n_h, pop1, "strata", labels, "PSU", lonely_psu)
        self._rows_per_stratum = n_h
        self._scale_per_stratum = scale
        self._centre_zero = adjust
        self._df_rows = int(n_h.sum() - labels.size)

    @property
    def df(self) -> int:
        """Design df of the row-level design (rows − strata without PSUs)."""
        return super().df if self._rows_per_stratum is None else self._df_rows

    def vcov_total(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - guard
        raise DesignError(
            "TotalsDesign: row-level influence values do not exist in a design of cell "
            "totals; use mean() and gap()."
        )
