"""Resource limits checked *before* a file is parsed.

An ``.xlsx`` is a zip archive: 2.8 MB on disk can unpack to a gigabyte of XML (a "zip
bomb"), and a parser that trusts it spends minutes and gigabytes before failing. The
archive's central directory states every member's size, and each sheet states its extent in
its ``<dimension ref="A1:K1048576"/>`` tag, so both are checked first, in milliseconds:

* total uncompressed size ≤ ``max_uncompressed_mb`` (``[input]``, default 1000 MB), and no
  member compressed more than :data:`MAX_RATIO` to 1 beyond a few megabytes;
* rows ≤ ``max_rows`` and columns ≤ ``max_columns`` per sheet (and per CSV once read);
* no macros (``vbaProject.bin``) and no external links: an ``.xlsm`` with code or links to
  other workbooks is refused with the fix (save as a plain ``.xlsx``).

Zip members are read through :mod:`zipfile`, which stops at the size the directory states,
so a member that lies about its size cannot unpack further than the check allowed.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gender_diag.ingest.report import input_error

#: A compression ratio above this, on a member over :data:`RATIO_FLOOR` bytes, is a bomb
#: (sheet XML compresses 10-30:1; a bomb 1000:1 and more).
MAX_RATIO = 200
RATIO_FLOOR = 16 * 2**20


@dataclass(frozen=True)
class Limits:
    """Caps on an input file; configurable in ``[input]`` of ``diagnostic.toml``."""

    max_uncompressed_mb: int = 1000
    max_rows: int = 2_000_000
    max_columns: int = 5_000


_LIMITS: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("limits", default=None)


def current() -> Limits:
    """The limits in force (the configuration's while a run reads its input)."""
    return _LIMITS.get() or Limits()


@contextlib.contextmanager
def settings(**caps):
    """Apply the configuration's limits while the input is read."""
    token = _LIMITS.set(Limits(**{k: int(v) for k, v in caps.items() if v is not None}))
    try:
        yield
    finally:
        _LIMITS.reset(token)


_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode("ascii"):
        n = n * 26 + (ord(ch) - 64)
    return n


def _too_large(path, what: str, fix: str):
    return input_error("too_large", file=Path(path).name, what=what, fix=fix)


def check_workbook(path: str | Path) -> None:
    """Refuse an xlsx/xlsm/zip whose unpacked size, sheet extent, macros or links are unsafe.

    Raises
    ------
    InputFileError
        ``too_large`` (with the size found and the ``[input]`` key to raise the cap), or
        ``corrupt_file`` for macros and external links.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return
    caps = current()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > caps.max_uncompressed_mb * 2**20:
                raise _too_large(
                    path,
                    f"the workbook unpacks to {total / 2**20:,.0f} MB, more than the "
                    f"{caps.max_uncompressed_mb:,} MB allowed (a damaged or malicious file?)",
                    "export the data again; if the survey really is that large, raise "
                    "[input] max_uncompressed_mb in diagnostic.toml or export CSV files",
                )
            for info in infos:
                if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1
                ):
                    raise _too_large(
                        path,
                        f"part {info.filename!r} unpacks {info.file_size // max(info.compress_size, 1):,} "
                        "times its size (a zip bomb, not a survey export)",
                        "export the data again from Kobo/ODK; do not open this file",
                    )
            names = {i.filename.lower() for i in infos}
            if any(n.endswith("vbaproject.bin") for n in names):
                raise input_error(
                    "corrupt_file",
                    file=path.name,
                    what="the workbook contains macros (VBA code)",
                    fix="open it in Excel and save it as a plain .xlsx (Excel Workbook), "
                    "without macros; gender_diag never runs them but will not read them either",
                )
            if any(n.startswith("xl/externallinks/") for n in names):
                raise input_error(
                    "corrupt_file",
                    file=path.name,
                    what="the workbook has links to other workbooks (external links)",
                    fix="in Excel use Data › Edit Links › Break Link, save, and try again",
                )
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with archive.open(info) as fh:
                        head = fh.read(4096)
                    _check_dimension(path, info.filename, head, caps)
    except zipfile.BadZipFile:
        return  # the reader gives its own clear message for a corrupt workbook


def _check_dimension(path: Path, member: str, head: bytes, caps: Limits) -> None:
    m = _DIMENSION.search(head)
    if not m:
        return
    last_col, last_row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
    rows, cols = int(last_row), _column_number(last_col)
    check_shape(rows - 1, cols, file=path, where=f"sheet {Path(member).stem}")


def check_shape(rows: int, columns: int, *, file, where: str = "") -> None:
    """Refuse a table with more rows or columns than the limits allow."""
    caps = current()
    place = f" ({where})" if where else ""
    if rows > caps.max_rows:
        raise _too_large(
            file,
            f"{rows:,} rows{place}, more than the {caps.max_rows:,} allowed",
            "check the export (an empty sheet formatted to the last row counts as rows); "
            "raise [input] max_rows in diagnostic.toml if the survey really is that large",
        )
    if columns > caps.max_columns:
        raise _too_large(
            file,
            f"{columns:,} columns{place}, more than the {caps.max_columns:,} allowed",
            "check the export; raise [input] max_columns in diagnostic.toml if needed",
        )


def check_text_file(path: str | Path) -> None:
    """Refuse a text (CSV) file larger than the uncompressed-size cap before reading it."""
    path = Path(path)
    caps = current()
    size = path.stat().st_size if path.is_file() else 0
    if size > caps.max_uncompressed_mb * 2**20:
        raise _too_large(
            path,
            f"the file is {size / 2**20:,.0f} MB, more than the {caps.max_uncompressed_mb:,} MB "
            "allowed",
            "raise [input] max_uncompressed_mb in diagnostic.toml if the survey really is "
            "that large",
        )


def check_frame(frame: pd.DataFrame, *, file, where: str = "") -> None:
    """:func:`check_shape` on a frame already read (CSV)."""
    check_shape(len(frame), len(frame.columns), file=file, where=where)
