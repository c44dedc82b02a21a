"""Build the XLSForm survey instrument from its reviewable CSV sources.

The instrument lives in ``surveys/instrument/src/`` as one UTF-8 CSV per XLSForm sheet
(``survey.csv``, ``choices.csv``, ``settings.csv``) so that changes are reviewed as text
diffs. :func:`build_xlsform` writes the ``.xlsx`` that KoboToolbox and ODK Collect deploy;
``python -m gender_diag.synth.instrument`` rebuilds the committed
``surveys/instrument/gender_diag_household.xlsx``.

The build is deterministic (fixed workbook timestamps, cells written as text exactly as in the
CSVs) so that a test can check that the committed workbook equals a fresh build.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from gender_diag.errors import InputFileError
from gender_diag.resources import instrument_dir

SHEETS = ("survey", "choices", "settings")
FORM_FILE = "gender_diag_household.xlsx"
LANGUAGES = ("Español (es)", "English (en)", "Français (fr)")
# A fixed timestamp keeps the workbook metadata identical from one build to the next.
_EPOCH = dt.datetime(2026, 1, 1)


def read_sources(src_dir: str | Path) -> dict[str, list[list[str]]]:
    """Read the three CSV sources into lists of rows (header first).

    Parameters
    ----------
    src_dir : path
        Folder holding ``survey.csv``, ``choices.csv`` and ``settings.csv``.

    Returns
    -------
    dict
        Sheet name → list of rows, each a list of strings.

    Examples
    --------
    >>> rows = read_sources(instrument_dir() / "src")
    >>> rows["settings"][0][:2]
    ['form_title', 'form_id']
    """
    src = Path(src_dir)
    out: dict[str, list[list[str]]] = {}
    for sheet in SHEETS:
        path = src / f"{sheet}.csv"
        if not path.is_file():
            raise InputFileError(
                f"The XLSForm source {path} is missing: the instrument needs one CSV per sheet "
                f"({', '.join(s + '.csv' for s in SHEETS)}). Restore it from version control."
            )
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = [row for row in csv.reader(fh)]
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{path} is not valid UTF-8 ({exc.reason} at byte {exc.start}). "
                "Save it again as 'CSV UTF-8'."
            ) from exc
        if not rows:
            raise InputFileError(f"{path} is empty: it needs at least a header row.")
        width = len(rows[0])
        for i, row in enumerate(rows[1:], start=2):
            if len(row) != width:
                raise InputFileError(
                    f"{path}, row {i}: {len(row)} fields but the header has {width}. "
                    "Check for a stray comma or a missing quote."
                )
        out[sheet] = rows
    return out


def build_xlsform(src_dir: str | Path, out_path: str | Path) -> Path:
    """Write the XLSForm workbook from the CSV sources.

    Empty CSV fields become empty cells; every other value is written as text, exactly as in
    the CSV, so the workbook round-trips to the same sources.

    Parameters
    ----------
    src_dir : path
        Folder with ``survey.csv``, ``choices.csv``, ``settings.csv``.
    out_path : path
        The ``.xlsx`` file to write (parent folders are created).

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> out = build_xlsform(instrument_dir() / "src", Path(tempfile.mkdtemp()) / "f.xlsx")
    >>> openpyxl.load_workbook(out).sheetnames
    ['survey', 'choices', 'settings']
    """
    from openpyxl import Workbook

    sources = read_sources(src_dir)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet)
        for row in sources[sheet]:
            ws.append([value if value != "" else None for value in row])
        ws.freeze_panes = "C2" if sheet == "survey" else "A2"
    wb.properties.creator = "gender_diag"
    wb.properties.created = _EPOCH
    wb.properties.modified = _EPOCH
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def read_xlsform_rows(path: str | Path) -> dict[str, list[list[str]]]:
    """Read an XLSForm workbook back into rows of strings (blank cells → ``""``).

    Used to compare a committed workbook with a fresh build cell by cell (zip timestamps make
    a byte comparison meaningless).
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append(["" if v is None else str(v) for v in row])
        out[ws.title] = rows
    wb.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """Rebuild ``surveys/instrument/gender_diag_household.xlsx`` from ``src/``."""
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else instrument_dir() / FORM_FILE
    path = build_xlsform(instrument_dir() / "src", out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
