"""SPSS and Stata files to a Parquet folder, chunk by chunk, for the out-of-core engines.

A census or a pooled survey saved as ``.sav``/``.zsav``/``.por``/``.dta`` can be larger than
memory; DuckDB and Spark cannot read it. :func:`stat_to_parquet` reads it with
``pyreadstat.read_file_in_chunks`` (``chunksize`` rows at a time) and writes one Parquet part
per chunk, so no more than one chunk is ever in memory. Each chunk is cleaned exactly as the
whole-file readers :func:`gender_diag.ingest.read_spss` / :func:`~gender_diag.ingest.read_stata`
clean a file:

* the file's declared user-missing values and ranges (and ``missing_codes`` given) become
  missing — counted per column, as those readers report them;
* Stata's extended missing values (``.a``–``.z``) become missing in numeric columns;
* value labels are kept as codes (``apply_labels=False``, the readers' default) or replaced by
  their labels;
* columns are renamed by ``mapping``; a ``sex`` column is recoded to ``F``/``M`` from its
  value labels.

Every part has the same schema, taken from the file's metadata rather than from the chunk's
values (a chunk whose column is all missing would otherwise get another type): numeric
variables are ``DOUBLE``, text and labelled-then-labelled variables ``VARCHAR``. The number of
rows written is checked against the file's row count, so no row is lost silently.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.ingest.report import input_error

#: File suffixes converted (lower case).
STAT_SUFFIXES = (".sav", ".zsav", ".por", ".dta")
#: Rows per chunk: ~100 columns × 500,000 rows of doubles is ~400 MB.
CHUNK_ROWS = 500_000


@dataclass
class Conversion:
    """What :func:`stat_to_parquet` wrote: the folder, rows, parts, user-missing counts."""

    folder: Path
    rows: int
    parts: int
    user_missing: dict[str, int] = field(default_factory=dict)


def is_stat_file(path) -> bool:
    """Whether ``path`` is an SPSS or Stata file (by its suffix)."""
    return Path(path).suffix.lower() in STAT_SUFFIXES


def _reader(path: Path):
    import pyreadstat

    suffix = path.suffix.lower()
    if suffix == ".dta":
        return pyreadstat.read_dta, "Stata"
    if suffix == ".por":
        return pyreadstat.read_por, "SPSS"
    return pyreadstat.read_sav, "SPSS"


def _numeric_columns(meta) -> set[str]:
    types = getattr(meta, "readstat_variable_types", None) or {}
    return {c for c, t in types.items() if t != "string"}


def clean_chunk(
    df: pd.DataFrame,
    meta,
    *,
    declared: dict[str, set],
    numeric: set[str],
    apply_labels: bool,
    mapping: dict[str, str] | None,
    counts: dict[str, int],
) -> pd.DataFrame:
    """One chunk cleaned like the whole-file readers (see the module docstring).

    ``counts`` (column → values set to missing) is updated in place.
    """
    from gender_diag.ingest.tables import sex_codes

    labels = dict(meta.variable_value_labels or {})
    for col, vals in declared.items():
        if col not in df.columns:
            continue
        s = df[col]
        num = pd.to_numeric(s, errors="coerce")
        hit = np.zeros(len(s), dtype=bool)
        for v in vals:
            if isinstance(v, tuple):
                hit |= num.between(v[1], v[2]).to_numpy()
            elif s.dtype == object and col not in numeric:
                hit |= s.eq(v).to_numpy()
            else:
                hit |= num.eq(v).to_numpy()
        n = int(hit.sum())
        if n:
            df.loc[hit, col] = np.nan
            counts[col] = counts.get(col, 0) + n
    out = {}
    for col in df.columns:
        s = df[col]
        if col in numeric:
            # Stata's extended missing (.a–.z) arrive as letters: missing, the column numeric
            s = pd.to_numeric(s, errors="coerce").astype("float64")
            if apply_labels and col in labels:
                s = s.map(labels[col]).astype("string").where(s.notna(), pd.NA)
        else:
            s = s.astype("string")
            if apply_labels and col in labels:
                s = s.map(labels[col]).astype("string").where(s.notna(), pd.NA)
        out[col] = s
    frame = pd.DataFrame(out, index=df.index)
    names = {c: (mapping or {}).get(c, c) for c in frame.columns}
    frame = frame.rename(columns=names)
    if "sex" in frame.columns:
        source = next((k for k, v in names.items() if v == "sex"), None)
        # recoded once per distinct value (a census has two or three), not once per row
        codes, uniques = pd.factorize(frame["sex"], use_na_sentinel=True)
        recoded = sex_codes(pd.Series(uniques), labels.get(source)).astype("string")
        values = (
            recoded.to_numpy(dtype=object)[np.where(codes < 0, 0, codes)] if len(uniques) else None
        )
        frame["sex"] = pd.array(
            np.where(codes < 0, None, values) if values is not None else [None] * len(codes),
            dtype="string",
        )
    return frame


def _write_part(frame: pd.DataFrame, path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("chunk", frame)
        con.table("chunk").write_parquet(str(path), compression="zstd")
    finally:
        con.close()


def stat_to_parquet(
    path,
    out_dir,
    *,
    chunksize: int = CHUNK_ROWS,
    apply_labels: bool = False,
    missing_codes=None,
    mapping: dict[str, str] | None = None,
) -> Conversion:
    """Convert an SPSS/Stata file to a folder of Parquet parts, ``chunksize`` rows at a time.

    Parameters
    ----------
    path : path
        ``.sav``, ``.zsav``, ``.por`` or ``.dta`` file.
    out_dir : path
        Folder to write ``part-00000.parquet``, ... into (emptied of old parts first).
    chunksize : int
        Rows read and written per part; memory holds one chunk at a time.
    apply_labels, missing_codes, mapping
        As in :func:`gender_diag.ingest.read_spss` (codes kept by default).

    Returns
    -------
    Conversion

    Raises
    ------
    InputError
        When the file cannot be read (file, what, fix), or fewer rows were written than the
        file declares.
    """
    import pyreadstat

    from gender_diag.ingest.files import check_file

    path, out = Path(path), Path(out_dir)
    check_file(path)
    read, kind = _reader(path)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    try:
        _, meta = read(path, metadataonly=True, user_missing=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise input_error(
            "corrupt_file",
            file=path,
            what=f"the {kind} file cannot be read ({type(exc).__name__}: {exc})"[:240],
            fix="check that the file is complete and in the format its extension says",
        ) from None
    numeric = _numeric_columns(meta)
    from gender_diag.ingest.tables import declared_missing

    declared = declared_missing(meta, missing_codes, numeric)
    counts: dict[str, int] = {}
    rows = parts = 0
    chunks = pyreadstat.read_file_in_chunks(read, path, chunksize=max(int(chunksize), 1),
                                            user_missing=True)  # fmt: skip
    for df, chunk_meta in chunks:
        if not len(df):
            continue
        frame = clean_chunk(df, chunk_meta, declared=declared, numeric=numeric,
                            apply_labels=apply_labels, mapping=mapping, counts=counts)  # fmt: skip
        _write_part(frame, out / f"part-{parts:05d}.parquet")
        rows += len(frame)
        parts += 1
    expected = getattr(meta, "number_rows", None)
    if not rows or (expected not in (None, -1) and rows != expected):
        raise input_error(
            "empty_file" if not rows else "corrupt_file",
            file=path,
            what=f"{rows} rows converted but the file declares {expected}",
            fix="re-export the file from SPSS/Stata",
        )
    return Conversion(out, rows, parts, counts)


__all__ = [
    "CHUNK_ROWS",
    "STAT_SUFFIXES",
    "Conversion",
    "clean_chunk",
    "is_stat_file",
    "stat_to_parquet",
]
