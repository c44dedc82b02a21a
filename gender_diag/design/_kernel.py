"""Array kernels of the design engine: group sums and the Taylor variance of totals.

Everything here works on integer codes computed once when the design is built, so an
estimator only pays for one sparse group sum per stage (no Python loop over PSUs,
strata, domains or variables).

The variance of an estimated total ``sum_i z_i`` under stratified multistage sampling is
(Särndal, Swensson & Wretman 1992, result 4.3.1; R ``survey:::svyrecvar``)

.. math::

    V = \\sum_h (1 - f_h) \\frac{n_h}{n_h - 1} \\sum_{i \\in h} (z_{hi} - \\bar z_h)^2
        + \\sum_h f_h \\sum_{i \\in h} (1 - f_{2i}) \\frac{m_i}{m_i - 1}
          \\sum_{j \\in i} (z_{hij} - \\bar z_{hi})^2

where :math:`z_{hi}` are PSU totals, :math:`f_h = n_h / N_h` the first-stage sampling
fraction, :math:`m_i` the number of sampled SSUs in PSU *i* and :math:`f_{2i}` their
sampling fraction. The second term is present only when the first-stage fpc is given (as R
``survey`` does for ``svydesign(id=~psu+ssu, fpc=~N1+N2)``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def indicator_matrix(codes: np.ndarray, size: int) -> sp.csr_matrix:
    """Sparse ``(size × n)`` 0/1 matrix with a one at ``(codes[i], i)``; rows with code −1 skip.

    ``indicator_matrix(c, K) @ x`` is the group sum of the rows of ``x`` by ``c``.

    Examples
    --------
    >>> m = indicator_matrix(np.array([0, 1, 0, -1]), 2)
    >>> (m @ np.array([1.0, 2.0, 3.0, 4.0])).tolist()
    [4.0, 2.0]
    """
    codes = np.asarray(codes, dtype=np.int64)
    keep = codes >= 0
    rows = codes[keep]
    cols = np.flatnonzero(keep)
    data = np.ones(rows.size)
    return sp.csr_matrix((data, (rows, cols)), shape=(size, codes.size))


def group_sum(codes: np.ndarray, size: int, x: np.ndarray) -> np.ndarray:
    """Sum the rows of ``x`` (n × p or n) by integer ``codes`` into ``size`` groups.

    Examples
    --------
    >>> group_sum(np.array([1, 1, 0]), 3, np.array([[1.0], [2.0], [5.0]])).ravel().tolist()
    [5.0, 3.0, 0.0]
    """
    x = np.asarray(x)
    if x.ndim == 1 or x.shape[1] == 1:
        # One column: np.bincount is a single C loop, no sparse matrix to build.
        codes = np.asarray(codes)
        keep = codes >= 0
        flat = x.reshape(-1)
        out = np.bincount(codes[keep], weights=flat[keep], minlength=size)
        return out if x.ndim == 1 else out[:, None]
    return np.asarray(indicator_matrix(codes, size) @ x)


class GroupSum:
    """:func:`group_sum` by fixed ``codes`` repeated on many arrays: the sparse matrix is
    built once, on first use (the same matrix, so the same sums to the last bit).

    Examples
    --------
    >>> by = GroupSum(np.array([1, 1, 0]), 3)
    >>> by(np.array([[1.0, 2.0], [2.0, 3.0], [5.0, 7.0]])).tolist()
    [[5.0, 7.0], [3.0, 5.0], [0.0, 0.0]]
    """

    def __init__(self, codes: np.ndarray, size: int):
        self.codes, self.size = codes, size
        self._matrix: sp.csr_matrix | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 1 or x.shape[1] == 1:
            return group_sum(self.codes, self.size, x)  # one bincount, no matrix
        if self._matrix is None:
            self._matrix = indicator_matrix(self.codes, self.size)
        return np.asarray(self._matrix @ x)


def group_sums(owner, codes: np.ndarray, size: int) -> GroupSum:
    """The :class:`GroupSum` of ``codes`` kept on ``owner`` (one per code array and size), so
    a loop over chunks of columns builds each group-sum matrix once."""
    memo = owner.__dict__.setdefault("_group_sums", {})
    key = (id(codes), size)
    if key not in memo:
        memo[key] = (codes, GroupSum(codes, size))  # the codes are kept: the id stays valid
    return memo[key][1]


class StageStructure:
    """Codes and scale factors of one sampling stage.

    Parameters
    ----------
    unit : ndarray of int, shape (n,)
        Code of the sampling unit (PSU or SSU) of each row, ``0 .. U-1``.
    unit_group : ndarray of int, shape (U,)
        Code of the stratum (stage 1) or parent PSU (stage 2) of each unit, ``0 .. G-1``.
    scale : ndarray of float, shape (U,)
        Multiplier of the squared deviation of each unit: ``(1 - f) n/(n-1)`` times any
        higher-stage factor; 0 for certainty, removed or lonely units.
    centre_zero : ndarray of bool, shape (U,)
        Lonely units under ``lonely_psu="adjust"``: their deviation is taken from the grand
        mean of all unit totals instead of their (one-unit) group mean (R
        ``survey.lonely.psu="adjust"``, Stata ``singleunit(centered)``). For means,
        proportions and ratios the influence values sum to zero, so this is the deviation
        from zero. At the second stage (``taylor_var``) lonely SSUs are centred at zero.
    """

    def __init__(self, unit, unit_group, scale, centre_zero):
        self.unit = np.asarray(unit, dtype=np.int64)
        self.unit_group = np.asarray(unit_group, dtype=np.int64)
        self.scale = np.asarray(scale, dtype=float)
        self.centre_zero = np.asarray(centre_zero, dtype=bool)
        self.n_units = self.unit_group.size
        self.n_groups = int(self.unit_group.max()) + 1 if self.n_units else 0
        self.group_size = np.bincount(self.unit_group, minlength=self.n_groups).astype(float)
        self.active = bool(np.any(self.scale != 0))
        self._matrix = None

    @property
    def matrix(self) -> sp.csr_matrix:
        """Sparse unit-by-row indicator, built once and cached."""
        if self._matrix is None:
            self._matrix = indicator_matrix(self.unit, self.n_units)
        return self._matrix

    def deviations(self, totals: np.ndarray) -> np.ndarray:
        """Unit totals minus their group mean (``U × p``); lonely-adjust units: grand mean."""
        sums = group_sum(self.unit_group, self.n_groups, totals)
        means = sums / np.maximum(self.group_size, 1.0)[:, None]
        dev = totals - means[self.unit_group]
        if self.centre_zero.any():
            grand = totals.mean(axis=0)
            dev[self.centre_zero] = totals[self.centre_zero] - grand
        return dev

    def cov(self, totals: np.ndarray) -> np.ndarray:
        """``p × p`` variance contribution of this stage from unit totals (``U × p``)."""
        dev = self.deviations(totals)
        return dev.T @ (dev * self.scale[:, None])

    def var(self, totals: np.ndarray) -> np.ndarray:
        """Diagonal of :meth:`cov` without forming the ``p × p`` matrix."""
        dev = self.deviations(totals)
        return np.einsum("ij,ij,i->j", dev, dev, self.scale)
