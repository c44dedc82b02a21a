"""Write a synthetic survey in the formats partners actually receive.

- **KoboToolbox XLSX** ("XML values and headers", group names included): one sheet per
  section — the main sheet named after the form title, one sheet per repeat. Headers are
  group paths joined with ``/`` (``ident/district``, ``roster/member_name``); a
  ``select_multiple`` is a space-separated column followed by one 0/1 column per choice
  (``individual/collective/groups/womens_org``), all blank when the question was not asked;
  a geopoint is followed by ``_<name>_latitude``, ``_longitude``, ``_altitude``,
  ``_precision``. The main sheet ends with ``_id``, ``_uuid``, ``_submission_time``, …,
  ``_index``; repeat sheets with ``_index``, ``_parent_table_name``, ``_parent_index``,
  ``_submission__id``, ``_submission__uuid``, ….
- **KoboToolbox CSV**: the main sheet only, ``;``-separated, every field quoted.
- **ODK Central / Briefcase CSV**: ``<form_id>.csv`` plus ``<form_id>-<repeat>.csv`` per
  repeat; group separator ``-``; submissions keyed ``KEY = uuid:…``, repeat rows
  ``KEY = uuid:…/roster[1]`` with ``PARENT_KEY``; geopoints split into ``-Latitude``,
  ``-Longitude``, ``-Altitude``, ``-Accuracy``.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.errors import GenderDiagError, bad_parameter
from gender_diag.resources import instrument_dir
from gender_diag.synth.form import FormSpec
from gender_diag.synth.instrument import FORM_FILE

#: Above this many households an XLSX export is impractical (Excel row limits, memory, time).
MAX_XLSX_HOUSEHOLDS = 50_000
FORMATS = ("kobo_xlsx", "kobo_csv", "odk_csv")
KOBO_XLSX = "kobo_export.xlsx"
KOBO_CSV = "kobo_export.csv"
ODK_DIR = "odk"
_GEO_KOBO = ("latitude", "longitude", "altitude", "precision")
_GEO_ODK = ("Latitude", "Longitude", "Altitude", "Accuracy")


def _values(series: pd.Series, *, text: bool = False) -> pd.Series:
    """Export values, typed: choice codes stay categorical, numbers nullable numbers.

    ``text=True`` prints integers kept for speed in a text field (phone, DNI) as text.
    """
    if text and pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("string")
    return series


def _geo_parts(series: pd.Series) -> list[pd.Series]:
    parts = series.astype("string")
    split = parts.str.split(" ", expand=True)
    if split.shape[1] < 4:
        split = split.reindex(columns=range(4))
    return [pd.to_numeric(split[i], errors="coerce").astype("Float64") for i in range(4)]


def _dummies(series: pd.Series, codes: list[str]) -> list[pd.Series]:
    """One 0/1 column per choice; blank (None) where the question was not answered."""
    # Decode each distinct answer once, then index by category code (vectorised).
    cat = pd.Categorical(series.astype(object).where(series.notna(), None))
    words = [set(str(c).split()) for c in cat.categories]
    table = np.array([[code in w for code in codes] for w in words], dtype=np.int64)
    table = table.reshape(len(words), len(codes))
    asked = cat.codes >= 0
    out = []
    for j in range(len(codes)):
        col = pd.array(table[np.maximum(cat.codes, 0), j], dtype="Int64")
        col[~asked] = pd.NA
        out.append(pd.Series(col, index=series.index))
    return out


def export_frame(
    table: pd.DataFrame, form: FormSpec, repeat: str, *, style: str = "kobo"
) -> pd.DataFrame:
    """Columns of one sheet/file, in form order, with export headers (no metadata).

    Parameters
    ----------
    table : DataFrame
        A rendered table (tidy column names).
    form : FormSpec
    repeat : str
        ``""`` for the main sheet, else the repeat name.
    style : {"kobo", "odk"}
    """
    cols: dict[str, pd.Series] = {}
    for f in form.table_fields(repeat).itertuples():
        if f.name not in table.columns:
            continue
        s = table[f.name]
        if style == "kobo":
            head = f.path
            cols[head] = _values(s, text=f.type == "text")
            if f.type == "geopoint":
                group = head.rsplit("/", 1)[0] + "/" if "/" in head else ""
                for suffix, part in zip(_GEO_KOBO, _geo_parts(s), strict=True):
                    cols[f"{group}_{f.name}_{suffix}"] = part
            if f.type == "select_multiple":
                for code, dummy in zip(
                    form.codes(f.list_name), _dummies(s, form.codes(f.list_name)), strict=True
                ):
                    cols[f"{head}/{code}"] = dummy
        else:
            head = f.relpath.replace("/", "-")
            if f.type == "geopoint":
                for suffix, part in zip(_GEO_ODK, _geo_parts(s), strict=True):
                    cols[f"{head}-{suffix}"] = part
            else:
                cols[head] = _values(s, text=f.type == "text")
    return pd.DataFrame(cols, index=table.index)


def kobo_main_sheet(synth) -> pd.DataFrame:
    """The main sheet of the Kobo export (also the whole Kobo CSV export)."""
    form = synth.form
    main = synth.tables["households"]
    out = export_frame(main, form, "")
    n = len(main)
    version = form.settings.get("version", "")
    meta = {
        "_id": main["_id"].to_numpy(),
        "_uuid": main["_uuid"].to_numpy(),
        "_submission_time": main["_submission_time"].to_numpy(),
        "_validation_status": [None] * n,
        "_notes": [None] * n,
        "_status": ["submitted_via_web"] * n,
        "_submitted_by": [None] * n,
        # Kobo writes the form version the submission was collected with in __version__.
        "__version__": [version] * n,
        "_version": [version] * n,
        "_tags": [None] * n,
        "_index": main["_index"].to_numpy(),
    }
    for k, v in meta.items():
        out[k] = v
    return out


def kobo_sheets(synth) -> dict[str, pd.DataFrame]:
    """The Kobo XLSX export as sheet name → DataFrame (main sheet first)."""
    form, t = synth.form, synth.tables
    main = t["households"]
    sheet = form.main_sheet
    sheets = {sheet: kobo_main_sheet(synth)}
    by_index = main.set_index("_index")
    for repeat in form.repeats:
        df = t[repeat]
        frame = export_frame(df, form, repeat)
        parent = df["_parent_index"].to_numpy()
        known = np.isin(parent, by_index.index.to_numpy())
        # An orphan row (planted error) keeps its parent index but has no submission fields.
        look = by_index.reindex(np.where(known, parent, -1))
        frame["_index"] = df["_index"].to_numpy()
        frame["_parent_table_name"] = sheet
        frame["_parent_index"] = parent
        frame["_submission__id"] = look["_id"].to_numpy()
        frame["_submission__uuid"] = look["_uuid"].to_numpy()
        frame["_submission__submission_time"] = look["_submission_time"].to_numpy()
        frame["_submission__validation_status"] = None
        frame["_submission__notes"] = None
        frame["_submission__status"] = np.where(known, "submitted_via_web", None)
        frame["_submission__submitted_by"] = None
        frame["_submission___version__"] = np.where(known, form.settings.get("version", ""), None)
        frame["_submission__tags"] = None
        sheets[repeat] = frame
    return sheets


def write_kobo_xlsx(synth, path: str | Path) -> Path:
    """Write the KoboToolbox XLSX export (one sheet per section).

    Raises
    ------
    GenderDiagError
        Above :data:`MAX_XLSX_HOUSEHOLDS` households: write CSV instead.
    """
    n = len(synth.tables["households"])
    if n > MAX_XLSX_HOUSEHOLDS:
        raise GenderDiagError(
            f"An XLSX export of {n:,} households is too large to be practical (limit "
            f"{MAX_XLSX_HOUSEHOLDS:,}: Excel slows down and memory grows with every cell). "
            "Write the CSV formats instead: formats=('kobo_csv', 'odk_csv') or, on the "
            "command line, --format kobo_csv --format odk_csv."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import xlsxwriter

    sheets = kobo_sheets(synth)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": False})
    # A fixed creation time keeps the workbook identical across runs with the same seed.
    book.set_properties({"author": "KoboToolbox", "created": dt.datetime(2026, 6, 15, 12, 0)})
    try:
        for name, frame in sheets.items():
            ws = book.add_worksheet(name)
            ws.write_row(0, 0, list(frame.columns))
            for j, col in enumerate(frame.columns):
                _write_column(ws, j, frame[col])
    finally:
        book.close()
    return path


def _write_column(ws, j: int, series: pd.Series) -> None:
    """Write one column cell by cell, typed (numbers as numbers), blanks left empty.

    The cell type is decided once per column when the dtype allows it (the common case);
    only object columns (holding a planted error) are dispatched cell by cell.
    """
    present = series.notna().to_numpy()
    rows = (np.flatnonzero(present) + 1).tolist()
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        write = ws.write_number
        values = series[present].to_numpy(dtype=float)
        if pd.api.types.is_integer_dtype(dtype):
            values = values.astype(np.int64)
        for i, v in zip(rows, values.tolist(), strict=True):
            write(i, j, v)
        return
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
        mixed = dtype == np.dtype(object) and pd.api.types.infer_dtype(series[present]) != "string"
        if not mixed:
            write = ws.write_string
            for i, v in zip(rows, series[present].astype(str).tolist(), strict=True):
                write(i, j, v)
            return
    values = series.to_numpy(dtype=object)
    write_number, write_string = ws.write_number, ws.write_string
    for i, v in enumerate(values, start=1):
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, bool | np.bool_):
            write_number(i, j, int(v))
        elif isinstance(v, int | float | np.integer | np.floating):
            write_number(i, j, float(v) if isinstance(v, float | np.floating) else int(v))
        else:
            write_string(i, j, str(v))


def write_kobo_csv(synth, path: str | Path) -> Path:
    """Write the KoboToolbox CSV export of the main sheet (``;``-separated, quoted)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kobo_main_sheet(synth).to_csv(
        path, sep=";", index=False, quoting=csv.QUOTE_ALL, encoding="utf-8", lineterminator="\n"
    )
    return path


def odk_frames(synth) -> dict[str, pd.DataFrame]:
    """The ODK Central CSV set as file name → DataFrame (main file first)."""
    form, t = synth.form, synth.tables
    form_id = form.settings["form_id"]
    main = t["households"]
    key = "uuid:" + main["_uuid"].astype(str)
    submitted = main["_submission_time"].astype(str) + ".000Z"
    frame = export_frame(main, form, "", style="odk")
    frame.insert(0, "SubmissionDate", submitted.to_numpy())
    frame["meta-instanceID"] = key.to_numpy()
    frame["KEY"] = key.to_numpy()
    frame["SubmitterID"] = 7
    frame["SubmitterName"] = "enumerator"
    frame["AttachmentsPresent"] = 0
    frame["AttachmentsExpected"] = 0
    frame["Status"] = None
    frame["ReviewState"] = None
    frame["DeviceID"] = main["deviceid"].to_numpy()
    frame["Edits"] = 0
    frame["FormVersion"] = form.settings.get("version", "")
    out = {f"{form_id}.csv": frame}
    key_of = pd.Series(key.to_numpy(), index=main["_index"].to_numpy())
    key_of = key_of[~key_of.index.duplicated()]
    for repeat in form.repeats:
        df = t[repeat]
        rf = export_frame(df, form, repeat, style="odk")
        parent = df["_parent_index"].to_numpy()
        pkey = key_of.reindex(parent).to_numpy(dtype=object)
        missing = pd.isna(pkey)
        # An orphan row points to a submission that is not in the export.
        pkey[missing] = [f"uuid:00000000-0000-4000-8000-{int(p):012d}" for p in parent[missing]]
        pos = df.groupby("_parent_index", sort=False).cumcount().to_numpy() + 1
        rf["PARENT_KEY"] = pkey
        rf["KEY"] = pd.Series(pkey).astype(str).to_numpy() + f"/{repeat}[" + pos.astype(str) + "]"
        out[f"{form_id}-{repeat}.csv"] = rf
    return out


def write_odk_csv(synth, folder: str | Path) -> list[Path]:
    """Write the ODK Central/Briefcase CSV set into ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in odk_frames(synth).items():
        p = folder / name
        frame.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(p)
    return paths


def write_survey(
    synth, folder: str | Path, *, formats: Iterable[str] = FORMATS
) -> dict[str, Path | list[Path]]:
    """Write a complete synthetic survey folder.

    Writes the requested export ``formats`` (``kobo_xlsx`` → ``kobo_export.xlsx``,
    ``kobo_csv`` → ``kobo_export.csv``, ``odk_csv`` → ``odk/``), plus ``design.csv``,
    ``truth.csv``, ``planted_errors.csv`` (when errors were planted) and a copy of the
    XLSForm.

    Returns
    -------
    dict
        What → path(s) written.
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise bad_parameter(
            "formats", "gender_diag.synth.write_survey", f"one or more of {FORMATS}", formats
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path | list[Path]] = {}
    if "kobo_xlsx" in formats:
        out["kobo_xlsx"] = write_kobo_xlsx(synth, folder / KOBO_XLSX)
    if "kobo_csv" in formats:
        out["kobo_csv"] = write_kobo_csv(synth, folder / KOBO_CSV)
    if "odk_csv" in formats:
        out["odk_csv"] = write_odk_csv(synth, folder / ODK_DIR)
    out["design"] = folder / "design.csv"
    synth.design.to_csv(out["design"], index=False, lineterminator="\n")
    out["truth"] = folder / "truth.csv"
    synth.truth.to_csv(out["truth"], index=False, lineterminator="\n", float_format="%.10g")
    if len(synth.planted_errors):
        out["planted_errors"] = folder / "planted_errors.csv"
        synth.planted_errors.to_csv(out["planted_errors"], index=False, lineterminator="\n")
    out["form"] = folder / FORM_FILE
    shutil.copyfile(instrument_dir() / FORM_FILE, out["form"])
    return out
