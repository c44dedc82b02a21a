"""Safe output: spreadsheet-safe text, sanitised output names and no stale files.

Every file gender_diag writes is opened by people in a spreadsheet, so three rules hold for
every CSV and XLSX cell and every output path:

* **Formula injection** (OWASP, *CSV Injection*): a text cell that begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return and is not a number is run as a formula by Excel,
  LibreOffice and Google Sheets (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``, ``@SUM(1)``). Such
  cells are neutralised by a leading apostrophe, as OWASP recommends; numbers such as ``-0.5``
  are left alone.
* **Output names** are plain names: no path separator, no ``..``, no drive or absolute path,
  so that a diagnostic name cannot write outside the output folder.
* **No stale files**: a run records what it wrote (:data:`MANIFEST`) and the next run into the
  same folder first removes those files, so an old ``quarantine_*.csv`` never sits beside a
  row accounting that says nothing was quarantined.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.errors import ConfigError

#: Characters that make a spreadsheet cell a formula (OWASP CSV-injection rule).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: File listing, one relative path a line, what the last run wrote into an output folder.
MANIFEST = ".gender_diag_files"
_NUMBER = re.compile(r"^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*%?\s*$")


def neutralise(value: object) -> object:
    """A text that a spreadsheet would run as a formula, made inert with a leading ``'``.

    Examples
    --------
    >>> [neutralise(v) for v in ["=HYPERLINK(1)", "@SUM(1)", "-0.5", "+51 987", "ok", 3]]
    ["'=HYPERLINK(1)", "'@SUM(1)", '-0.5', "'+51 987", 'ok', 3]
    >>> neutralise("\\t=1+1")
    "'\\t=1+1"
    """
    if not isinstance(value, str) or len(value) < 2 or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.match(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are spreadsheet-safe.

    >>> neutralise_frame(pd.DataFrame({"=a": ["=1+1", "x"], "n": [1, 2]})).to_dict("list")
    {"'=a": ["'=1+1", 'x'], 'n': [1, 2]}
    """
    out = frame.copy()
    out.columns = [neutralise(str(c)) if isinstance(c, str) else c for c in out.columns]
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_string_dtype(col) or col.dtype == object:
            vals = col.to_numpy(dtype=object)
            starts = np.fromiter(
                (isinstance(v, str) and v.startswith(FORMULA_START) for v in vals),
                dtype=bool,
                count=len(vals),
            )
            if starts.any():
                new = vals.copy()
                new[starts] = [neutralise(v) for v in vals[starts]]
                out.isetitem(i, pd.Series(new, index=out.index, dtype=object))
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as spreadsheet-safe UTF-8 CSV with ``\\n`` line ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def safe_name(name: str, *, what: str = "[diagnostic] name") -> str:
    """Check that ``name`` is a plain folder name: no separator, no ``..``, no drive.

    >>> safe_name("cusco_2026")
    'cusco_2026'
    >>> safe_name("../../etc")
    Traceback (most recent call last):
    ...
    gender_diag.errors.ConfigError: [diagnostic] name: '../../etc' is not a plain name (it contains a path separator or '..'). Fix: use letters, digits, '-' or '_', e.g. "cusco_2026".
    """
    text = str(name)
    bad = (
        not text.strip()
        or "/" in text
        or "\\" in text
        or ".." in text
        or ":" in text
        or text.startswith(".")
        or any(ord(ch) < 32 for ch in text)
    )
    if bad:
        raise ConfigError(
            f"{what}: {text!r} is not a plain name (it contains a path separator or '..'). "
            "Fix: use letters, digits, '-' or '_', e.g. \"cusco_2026\"."
        )
    return text


def inside(path: str | Path, root: str | Path) -> Path:
    """``path`` resolved, refused when it is not inside ``root``."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    if resolved != base and base not in resolved.parents:
        raise ConfigError(
            f"Output file {Path(path).name!r} would be written outside the output folder. "
            "Fix: use plain names in the configuration and the report texts."
        )
    return resolved


def remove_stale(out_dir: str | Path) -> list[Path]:
    """Remove what the previous run wrote into ``out_dir`` (listed in :data:`MANIFEST`).

    Only files named in the manifest and inside ``out_dir`` are removed; anything the user
    put there is left alone.
    """
    out = Path(out_dir)
    manifest = out / MANIFEST
    removed: list[Path] = []
    if not manifest.is_file():
        return removed
    for line in manifest.read_text(encoding="utf-8").splitlines():
        rel = line.strip()
        if not rel or rel.startswith("/") or ".." in Path(rel).parts:
            continue
        path = out / rel
        try:
            inside(path, out)
        except ConfigError:
            continue
        if path.is_file():
            path.unlink()
            removed.append(path)
    manifest.unlink()
    return removed


def record(out_dir: str | Path, paths: Iterable[str | Path]) -> Path:
    """Write the manifest of the files this run wrote into ``out_dir``."""
    out = Path(out_dir).resolve()
    rel = []
    for p in paths:
        try:
            rel.append(Path(p).resolve().relative_to(out).as_posix())
        except ValueError:
            continue
    manifest = out / MANIFEST
    out.mkdir(parents=True, exist_ok=True)
    old = manifest.read_text(encoding="utf-8").splitlines() if manifest.is_file() else []
    manifest.write_text("\n".join(sorted(set(old) | set(rel))) + "\n", encoding="utf-8")
    return manifest
