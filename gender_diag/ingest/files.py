"""Reading files: bytes to text to string frames, nothing about surveys.

* :func:`read_delimited` – CSV with UTF-8 or Latin-1/cp1252 text, ``;`` or ``,`` separator.
* :func:`read_sheets` – every sheet of an XLSX as strings (calamine when installed, else
  openpyxl), with one clear sentence for a truncated or corrupt workbook.
* :func:`sha256` – the digest recorded for every input file.

The bottom of :mod:`gender_diag.ingest`: the readers (kobo, odk, tables), the form reader and
the design-file check all use it, and it imports none of them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
from pandas.api.types import union_categoricals

from gender_diag.ingest import limits
from gender_diag.ingest.report import ValidationReport, input_error, make_issues

_NA = [""]
#: Excel's day zero for serial dates (the 1900 leap-year bug makes it 1899-12-30).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def check_file(path: Path) -> None:
    if not path.exists():
        raise input_error(
            "empty_file", file=path, what="the file does not exist", fix="check the path"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise input_error(
            "empty_file",
            file=path,
            what="the file is empty (0 bytes)",
            fix="export the data again from Kobo/ODK",
        )


def decode(raw: bytes, *, file, report: ValidationReport | None = None) -> str:
    """Decode bytes as UTF-8 (or UTF-16 with its byte-order mark, as Excel's "Unicode text"
    saves it), else cp1252/Latin-1 (reported as an ``encoding`` warning). Old Mac line ends
    (CR only) become ``\\n``."""
    return _decode_text(raw, file=file, report=report)[0]


def _decode_text(raw: bytes, *, file, report: ValidationReport | None = None) -> tuple[str, str]:
    """:func:`decode`, and the encoding the bytes were read with."""
    text, enc = _decode(raw, file=file, report=report)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
        enc = "cr"  # the text is no longer the bytes
    return text, enc


def _decode(raw: bytes, *, file, report: ValidationReport | None = None) -> tuple[str, str]:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and raw[1:200:2].count(0) > 50):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc:
        pos = exc.start
    try:
        text = raw.decode("cp1252")
        enc = "cp1252"
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        enc = "latin-1"
    if report is not None:
        line = raw[:pos].count(b"\n") + 1
        report.add(
            make_issues(
                [line],
                table="",
                column="",
                rule="text is UTF-8",
                reason="encoding",
                severity="warning",
                message=f"The file is not UTF-8 (first non-UTF-8 byte on line {line}); "
                f"read as {enc}.",
                fix="Save the file as 'CSV UTF-8' to be sure accents are read right.",
                file=str(file),
            )
        )
    return text, enc


def sniff_sep(text: str) -> str:
    """``;`` or ``,`` (or tab), whichever splits the header line into more fields.

    Examples
    --------
    >>> sniff_sep("a;b;c\\n1;2;3"), sniff_sep("a,b\\n1,2")
    (';', ',')
    """
    head = text.split("\n", 1)[0]
    counts = {s: len(next(csv.reader([head], delimiter=s))) for s in (";", ",", "\t")}
    return max(counts, key=lambda s: (counts[s], s == ","))


def read_delimited(
    path: str | Path,
    *,
    report: ValidationReport | None = None,
    sep: str | None = None,
    categorical: bool = False,
) -> tuple[pd.DataFrame, str]:
    """Read a CSV as strings (blank → ``<NA>``); returns the frame and the separator.

    ``categorical=True`` gives every column as a ``category`` of its text (the survey
    readers): the parser keeps each distinct text once and a small integer per cell, so a
    raw export takes a few bytes per cell instead of a pointer and a string object, and
    typing (:func:`gender_diag.ingest.assemble.coerce_table`) works on the categories.
    """
    path = Path(path)
    check_file(path)
    limits.check_text_file(path)
    raw = path.read_bytes()
    text, enc = _decode_text(raw, file=path, report=report)
    if not text.strip():
        raise input_error(
            "empty_file", file=path, what="the file has no text", fix="export the data again"
        )
    sep = sep or sniff_sep(text)
    if enc == "utf-8-sig":
        # the parser reads UTF-8 bytes itself: no second copy of the file as text
        text = raw
    del raw
    try:
        df = _parse_csv(text, sep, categorical=categorical)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise input_error(
            "corrupt_file",
            file=path,
            what=f"the CSV cannot be parsed ({str(exc).strip().splitlines()[-1]})",
            fix="check for unbalanced quotes or a stray separator on that line",
        ) from None
    except pd.errors.EmptyDataError:
        raise input_error(
            "empty_file", file=path, what="the file has no header row", fix="export it again"
        ) from None
    if not len(df.columns):
        raise input_error("empty_file", file=path, what="the file has no columns", fix="re-export")
    limits.check_frame(df, file=path)
    df.columns = [str(c).strip() for c in df.columns]
    return df, sep


#: Rows parsed at a time when a survey CSV is read as categories: the text of one chunk is
#: held at once, the rest as category codes.
CHUNK_ROWS = 100_000


def _parse_csv(text: str | bytes, sep: str, *, categorical: bool = False) -> pd.DataFrame:
    """Parse CSV text (or UTF-8 bytes) as strings, or as categories of strings chunk by chunk
    (:data:`CHUNK_ROWS`); the pyarrow parser when available, else pandas' C parser."""
    kw = dict(sep=sep, dtype=str, keep_default_na=False, na_values=_NA)
    if not categorical:
        return _parse_text(text, kw)
    if isinstance(text, bytes) and _pyarrow() is None:
        chunks, keep_text = [], None
        with pd.read_csv(_source(text), chunksize=CHUNK_ROWS, **kw) as reader:
            for chunk in reader:
                if keep_text is None:  # decided on the first chunk, kept for the others
                    keep_text = _mostly_distinct(chunk)
                chunks.append(as_categories(chunk, keep_text=keep_text))
        if len(chunks) != 1:
            return _union(chunks) if chunks else _parse_text(text, kw)
        return chunks[0]
    return as_categories(_parse_text(text, kw))


def _pyarrow():
    try:
        import pyarrow

        return pyarrow
    except ImportError:
        return None


def _source(text: str | bytes):
    return io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)


def _union(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """Category frames of consecutive row chunks as one frame (codes re-based on the union of
    the chunks' categories)."""
    cols = {}
    for i in range(chunks[0].shape[1]):
        parts = [c.iloc[:, i].array for c in chunks]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            cols[i] = union_categoricals(parts)
        else:  # a column kept as text (keys): the chunks one after the other
            cols[i] = pd.concat([c.iloc[:, i] for c in chunks], ignore_index=True).array
    out = pd.DataFrame(cols, index=pd.RangeIndex(sum(len(c) for c in chunks)))
    out.columns = chunks[0].columns
    return out


#: A column of a CSV chunk whose distinct texts are more than this share of its rows is kept
#: as text (submission keys, names, ID numbers): as a category it would hold every text once
#: all the same, after hashing it, and its categories would be merged chunk by chunk.
MOSTLY_DISTINCT = 0.5


def _mostly_distinct(df: pd.DataFrame) -> frozenset[int]:
    """Positions of the columns of a chunk with (nearly) one distinct text per row."""
    n = len(df)
    if n < 1000:  # small files: every column a category, as always
        return frozenset()
    head = df.iloc[: min(n, 5000)]
    return frozenset(
        i for i in range(df.shape[1]) if head.iloc[:, i].nunique() > MOSTLY_DISTINCT * len(head)
    )


def as_categories(df: pd.DataFrame, *, keep_text: frozenset[int] = frozenset()) -> pd.DataFrame:
    """Every column of a text frame as a ``category`` (its distinct texts once, a small
    integer code per cell; missing stays missing), except the columns at the positions
    ``keep_text``, left as read.

    pandas' own ``dtype="category"`` parsing is 3-4x slower on columns with a distinct value
    per row (keys, names), so the text is read first and each column factorised once.

    >>> as_categories(pd.DataFrame({"a": ["x", None, "x"]}))["a"].cat.codes.tolist()
    [0, -1, 0]
    """
    cols = {}
    for i in range(df.shape[1]):  # by position: header names may repeat
        if i in keep_text:
            cols[i] = df.iloc[:, i].array
            continue
        codes, uniques = pd.factorize(df.iloc[:, i].to_numpy(dtype=object))
        cats = pd.Index(uniques, dtype="str")
        cols[i] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats), validate=False)
    out = pd.DataFrame(cols, index=df.index)
    out.columns = df.columns
    return out


def _parse_text(text: str | bytes, kw: dict) -> pd.DataFrame:
    if _pyarrow() is not None:
        try:
            data = io.BytesIO(text if isinstance(text, bytes) else text.encode("utf-8"))
            return pd.read_csv(data, engine="pyarrow", **kw)
        except Exception:  # pyarrow is stricter (ragged rows...): the C parser says it best
            pass
    return pd.read_csv(_source(text), **kw)


def read_sheets(path: str | Path, *, sheets: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every (or the named) sheet of an XLSX as string frames, blank → ``<NA>``.

    Raises :class:`InputFileError` (``corrupt_file``) for a truncated or non-XLSX file.
    """
    path = Path(path)
    check_file(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"} and not zipfile.is_zipfile(path):
        raise input_error(
            "corrupt_file",
            file=path,
            what="the workbook is truncated or is not an .xlsx file",
            fix="download the export again, or open it in Excel and save it as .xlsx",
        )
    limits.check_workbook(path)  # size, extent, macros and links before any parsing
    engine = excel_engine()
    try:
        frames = pd.read_excel(
            path,
            sheet_name=sheets if sheets is not None else None,
            dtype=str,
            keep_default_na=False,
            na_values=_NA,
            engine=engine,
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        if isinstance(exc, ValueError) and "Worksheet" in str(exc):
            raise input_error(
                "bad_sheet",
                file=path,
                what=str(exc).rstrip("."),
                fix="check the sheet names (Excel tabs)",
            ) from None
        raise input_error(
            "corrupt_file",
            file=path,
            what=f"the workbook cannot be read ({type(exc).__name__})",
            fix="download the export again, or open it in Excel and save it as .xlsx",
        ) from None
    except Exception as exc:  # calamine raises its own error types for broken files
        raise input_error(
            "corrupt_file",
            file=path,
            what=f"the workbook cannot be read ({type(exc).__name__}: {exc})"[:200],
            fix="download the export again, or open it in Excel and save it as .xlsx",
        ) from None
    out = {}
    for name, df in frames.items():
        df.columns = [str(c).strip() for c in df.columns]
        out[name] = df
    return out


def excel_engine() -> str:
    try:
        import python_calamine  # noqa: F401  (fast Rust reader; optional)

        return "calamine"
    except ImportError:
        return "openpyxl"


def sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
