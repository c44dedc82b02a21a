"""Work on the distinct values of a column, not on every row.

A survey column of 100,000 answers holds a few hundred distinct values at most (choice codes,
village names, yes/no); the checks of ingest (identifier patterns, blank answers, the form's
``relevant`` and ``constraint`` expressions) are functions of the value alone, so they are
computed once per distinct value and mapped back to the rows by the factorize codes. Every
helper here is *exact*: two rows share a code only when the computation cannot tell them
apart (same text, or the same bits of a number), so the mapped-back result equals the
row-by-row one — the property tests of ``tests/ingest/test_distinct.py`` check it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["column_codes", "combine", "first_positions", "row_codes", "text_codes"]


def _is_text(dtype) -> bool:
    return isinstance(dtype, pd.StringDtype)


def text_codes(txt: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes and distinct values of a text column (``str``/``string``, or object of str).

    Returns ``codes`` (one per row, ``-1`` where missing) and ``uniques`` as a nullable
    ``string`` Series, so that ``uniques.astype("string")[codes]`` is ``txt.astype("string")``
    row by row; every unique value occurs in some row (unused categories are left out). Any other dtype is converted with ``astype("string")`` first, as the callers
    would (the conversion is not always value by value: dates are formatted as a whole).

    Examples
    --------
    >>> codes, u = text_codes(pd.Series(["a", None, "b", "a"]))
    >>> codes.tolist(), u.tolist()
    ([0, -1, 1, 0], ['a', 'b'])
    """
    if _is_text(txt.dtype):
        codes, uniques = pd.factorize(txt.array)
        return codes, pd.Series(uniques, dtype="string")
    if isinstance(txt.dtype, pd.CategoricalDtype):
        # what pandas does for astype: convert the categories, then take them by code
        cat_codes, texts = pd.factorize(txt.cat.categories.astype("string").array)
        codes = np.asarray(txt.cat.codes, dtype=np.intp)
        codes = np.append(cat_codes, -1)[codes]  # -1 (missing) reads the appended -1
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(texts)))
        remap = np.full(len(texts) + 1, -1, dtype=np.intp)
        remap[used] = np.arange(len(used))
        return remap[codes], pd.Series(texts.take(used), dtype="string")
    if pd.api.types.is_bool_dtype(txt.dtype) or pd.api.types.is_integer_dtype(txt.dtype):
        # booleans and integers are written value by value, one text per value: only the
        # distinct values are converted (a per-row conversion would make a string per row)
        codes, uniques = pd.factorize(txt.array)
        return codes, pd.Series(pd.Series(uniques).astype("string").array, dtype="string")
    if pd.api.types.is_object_dtype(txt.dtype):
        codes, uniques = pd.factorize(txt.to_numpy())
        # 1, 1.0 and True are one key of the hash table but three texts
        if all(type(u) is str for u in uniques):
            return codes, pd.Series(uniques, dtype="string")
    codes, uniques = pd.factorize(txt.astype("string").array)
    return codes, pd.Series(uniques, dtype="string")


def _column_codes(col: pd.Series) -> np.ndarray:
    """Codes of one column: equal codes only for values no expression can tell apart."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(col.cat.codes, dtype=np.int64)
    if _is_text(dtype):
        return pd.factorize(col.array)[0]
    if pd.api.types.is_object_dtype(dtype):
        codes, uniques = pd.factorize(col.to_numpy())
        if all(type(u) is str for u in uniques):
            return codes
        return pd.factorize(col.astype("string").array)[0]
    if pd.api.types.is_float_dtype(dtype):
        # by bits: 0.0 and -0.0 are one hash key but "0.0" and "-0.0" as text; missing apart
        missing = col.isna().to_numpy()
        bits = col.to_numpy(dtype="float64", na_value=np.nan).view(np.int64)
        codes = pd.factorize(bits)[0]
        return np.where(missing, -1, codes)
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return pd.factorize(col.array)[0]
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return pd.factorize(col.array)[0]
    # anything else: by its text, which every other dtype's values differ in
    return pd.factorize(col.astype("string").array)[0]


def column_codes(col: pd.Series) -> np.ndarray:
    """Codes of one column (``-1`` = missing), in the smallest integer type that holds them:
    two rows share a code only when no expression can tell their values apart.

    >>> column_codes(pd.Series([0.0, -0.0, None, 0.0])).tolist()
    [0, 1, -1, 0]
    """
    codes = _column_codes(col)
    top = int(codes.max()) if len(codes) else 0
    return codes.astype(np.min_scalar_type(-max(top, 1)), copy=False)


def combine(codes: list[np.ndarray], n: int) -> np.ndarray:
    """Row codes from the codes of several columns: equal iff equal in every column,
    numbered by first appearance (as :func:`pandas.factorize`).

    >>> combine([np.array([0, 1, 0, 0]), np.array([0, 1, 0, -1])], 4).tolist()
    [0, 1, 0, 2]
    """
    key = np.zeros(n, dtype=np.int64)
    for c in codes:
        c = c.astype(np.int64) + 1  # missing = 0
        width = int(c.max()) + 1 if n else 1
        key = pd.factorize(key * width + c)[0].astype(np.int64)
    return key


def row_codes(frame: pd.DataFrame) -> np.ndarray:
    """One code per row of ``frame``: rows share a code iff all their values are the same.

    Codes are numbered in order of first appearance (as :func:`pandas.factorize`), so the
    first row of each group is the first row of the frame with those values.

    Examples
    --------
    >>> row_codes(pd.DataFrame({"a": [1, 2, 1, 1], "b": ["x", "y", "x", None]})).tolist()
    [0, 1, 0, 2]
    """
    return combine([_column_codes(frame[c]) for c in frame.columns], len(frame))


def first_positions(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code (codes numbered from 0 by first appearance).

    >>> first_positions(np.array([0, 1, 0, 2])).tolist()
    [0, 1, 3]
    """
    k = int(codes.max()) + 1 if len(codes) else 0
    first = np.empty(k, dtype=np.intp)
    # written in reverse so that the earliest row of each code is the one left
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first
