"""The accepted tables held compactly once ingest is done.

Every later stage keeps ``survey.tables`` for the whole run, so what they hold per row is
paid for until the reports are written. After validation and privacy:

* the export's bookkeeping columns (ODK ``KEY``, ``instanceID``, ``SubmissionDate``, …) are
  dropped: they identify a submission on the server, no rule or estimator reads them, and
  every row is already accounted for in the validation report by its file and row number
  (the quarantine keeps the keys of the rows set aside);
* the link keys (``hhid``, ``district``, ``community``) become ``category`` columns with
  **one dtype per key across all tables** (the sorted union of the values), so that a merge or
  ``isin`` between tables compares integer codes, and each distinct text is held once instead
  of once per row;
* remaining text columns of the form's ``calculate`` fields with few distinct values (e.g.
  ``resp_in_union`` = ``"true"``/``"false"``) become categories too.

A category behaves as text for ``==``, ``isin``, ``.str``, ``astype(str)``, ``groupby``
(sorted as the text, since the categories are sorted) and ``merge`` on the same dtype.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.ingest.validate import ODK_BOOKKEEPING

#: Link keys held as one shared ``category`` dtype across the tables.
SHARED_KEYS = ("hhid", "district", "community")

#: A text column becomes a category when its distinct values are at most this share of its
#: rows (a category of unique texts would cost more than the text).
MAX_DISTINCT_SHARE = 0.5


def _is_text(col: pd.Series) -> bool:
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_string_dtype(dtype):
        return True
    if pd.api.types.is_object_dtype(dtype):
        sample = col.dropna().head(1000)
        return bool(len(sample)) and all(isinstance(v, str) for v in sample)
    return False


def _as_text(col: pd.Series) -> pd.Series:
    return col if pd.api.types.is_string_dtype(col.dtype) else col.astype("string")


def shared_dtype(columns: list[pd.Series]) -> pd.CategoricalDtype | None:
    """One category dtype for the text columns given: their distinct values, sorted.

    None when a column is not text (numeric household ids stay numbers).

    >>> shared_dtype([pd.Series(["b", "a"]), pd.Series(["c", None, "a"])]).categories.tolist()
    ['a', 'b', 'c']
    """
    uniq = []
    for col in columns:
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if not pd.api.types.is_string_dtype(cats.dtype) and not pd.api.types.is_object_dtype(
                cats.dtype
            ):
                return None
            uniq.append(pd.Index(cats).astype("str"))
        elif _is_text(col):
            uniq.append(pd.Index(pd.unique(_as_text(col).dropna().array), dtype="str"))
        else:
            return None
    if not uniq:
        return None
    values = uniq[0].append(uniq[1:]).unique() if len(uniq) > 1 else uniq[0].unique()
    order = np.argsort(values.to_numpy(dtype=object), kind="stable")
    return pd.CategoricalDtype(pd.Index(values.to_numpy(dtype=object)[order], dtype="str"))


def _to_dtype(col: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.astype("str").astype(dtype) if col.dtype != dtype else col
    codes = dtype.categories.get_indexer(_as_text(col).array)
    cat = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.Series(cat, index=col.index, name=col.name)


def _within_first(cols: list[pd.Series]) -> list[pd.Series] | None:
    """The columns as categories of the first one's values (the household table's keys,
    which every repeat row took at linking), looked up once per row with no text made; None
    when a value lies outside them (then the union of all columns is used)."""
    dtype = shared_dtype(cols[:1])
    if dtype is None:
        return None
    out = []
    for col in cols:
        vals = col.to_numpy(dtype=object)
        codes = dtype.categories.get_indexer(vals)
        if ((codes < 0) & pd.notna(vals)).any():
            return None
        cat = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
        out.append(pd.Series(cat, index=col.index, name=col.name))
    return out


def compact_tables(
    tables: dict[str, pd.DataFrame], *, variables: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The accepted tables without export bookkeeping, link keys as shared categories.

    Parameters
    ----------
    tables : dict of DataFrame
        The accepted, de-identified tables at the end of ingest.
    variables : DataFrame, optional
        The form's variables (``name``, ``type``): a column the form declares is kept even
        when its name is a bookkeeping one; text ``calculate`` fields with few distinct
        values become categories.

    Returns
    -------
    dict of DataFrame
        The same rows in the same order; values unchanged (as text).
    """
    # a team's own question may carry a bookkeeping name ("Status", "Edits"): a column the
    # form declares is data, never dropped
    declared = set()
    if variables is not None and len(variables) and "name" in variables:
        declared = set(variables["name"].astype(str))
    out = {}
    for name, df in tables.items():
        drop = [c for c in df.columns if c in ODK_BOOKKEEPING and c not in declared]
        out[name] = df.drop(columns=drop) if drop else df
    for key in SHARED_KEYS:
        names = [name for name, df in out.items() if key in df.columns]
        cols = [out[name][key] for name in names]
        shared = _within_first(cols) if cols else None
        if shared is None:
            dtype = shared_dtype(cols) if cols else None
            if dtype is None:
                continue
            shared = [_to_dtype(col, dtype) for col in cols]
        for name, col in zip(names, shared, strict=True):
            out[name] = out[name].assign(**{key: col})
    calculated = set()
    if variables is not None and len(variables) and "type" in variables:
        calculated = set(variables.loc[variables["type"].eq("calculate"), "name"].astype(str))
    for name, df in out.items():
        new = {}
        for c in df.columns:
            if c not in calculated or c in SHARED_KEYS or not _is_text(df[c]):
                continue
            codes, uniques = pd.factorize(_as_text(df[c]).array)
            if len(uniques) > MAX_DISTINCT_SHARE * max(len(df), 1):
                continue
            dtype = pd.CategoricalDtype(pd.Index(sorted(uniques), dtype="str"))
            new[c] = _to_dtype(df[c], dtype)
        if new:
            out[name] = df.assign(**new)
    return out
