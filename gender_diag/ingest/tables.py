"""The readers for hand-typed tables and SPSS/Stata files.

* :func:`read_table` – a CSV/XLSX typed by hand (header case and spaces, "Sí"/"si"/"1"
  answers, Excel serial dates: :func:`normalise_header`, :func:`yes_no`, :func:`excel_dates`).
* :func:`read_stata`, :func:`read_spss` – pyreadstat, value labels kept, user-missing codes
  (e.g. ENAHO/ENDES 98/99 = don't know/refused) set to missing with a count per column.

Low-level reading (CSV decoding, XLSX sheets, header cleaning) is in
:mod:`gender_diag.ingest.files`; its names are re-exported here for older imports.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.ingest.assemble import RawTable, assemble
from gender_diag.ingest.files import (  # noqa: F401  (re-exported for older imports)
    EXCEL_EPOCH,
    check_file,
    decode,
    read_delimited,
    read_sheets,
    sha256,
    sniff_sep,
)
from gender_diag.ingest.report import ValidationReport, input_error, make_issues
from gender_diag.ingest.survey import CHOICE_COLUMNS, VARIABLE_COLUMNS, Survey
from gender_diag.ingest.xlsform import load_form

# -- hand-typed tables ----------------------------------------------------------------------


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def normalise_header(h: str) -> str:
    """Header as a tidy name: trimmed, lower case, accents removed, spaces → ``_``.

    Examples
    --------
    >>> normalise_header("  Edad  Años ")
    'edad_anos'
    """
    h = _strip_accents(str(h)).strip().lower()
    return re.sub(r"[\s\-]+", "_", h)


YES = {"yes", "si", "s", "1", "true", "verdadero", "oui", "y", "x"}
NO = {"no", "n", "0", "false", "falso", "non"}


def yes_no(values: pd.Series) -> pd.Series:
    """Map hand-typed yes/no answers ("Sí", "si", "1", "NO", "0") to ``yes``/``no``.

    Unrecognised answers are left as typed (the code check reports them).

    Examples
    --------
    >>> yes_no(pd.Series(["Sí", " si", "1", "NO", "0", "tal vez", None])).tolist()
    ['yes', 'yes', 'yes', 'no', 'no', 'tal vez', <NA>]
    """
    s = values.astype("string")
    key = s.str.strip().str.lower().map(_strip_accents, na_action="ignore")
    out = s.copy()
    out[key.isin(YES).fillna(False)] = "yes"
    out[key.isin(NO).fillna(False)] = "no"
    return out.str.strip()


def excel_dates(values: pd.Series, *, dayfirst: bool = True) -> pd.Series:
    """Dates typed as text or stored as Excel serial numbers (days since 1899-12-30).

    Text dates like ``05/03/2024`` are read day first (the convention in Peru and most of
    Latin America and Europe); ISO dates ``2024-03-05`` are unambiguous.

    Examples
    --------
    >>> d = excel_dates(pd.Series(["45292", "2024-01-02", "05/03/2024", None]))
    >>> d.dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-01', '2024-01-02', '2024-03-05', nan]
    """
    s = values.astype("string").str.strip()
    num = pd.to_numeric(s, errors="coerce")
    serial = num.between(1, 2_958_465).fillna(False).astype(bool)  # up to 9999-12-31
    iso = s.str.match(r"^\d{4}-\d{1,2}-\d{1,2}").fillna(False).astype(bool)
    # pandas' dayfirst would also swap ISO dates: parse them on their own
    out = pd.to_datetime(
        s.where(~serial & ~iso), errors="coerce", format="mixed", dayfirst=dayfirst
    )
    out = out.where(~iso, pd.to_datetime(s.where(iso), errors="coerce", format="mixed"))
    days = pd.to_timedelta(num.where(serial), unit="D")
    return out.where(~serial, EXCEL_EPOCH + days)


def read_table(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    sheet: str | int | None = None,
    table: str = "respondents",
    form=None,
    design=None,
    salt: str | None = None,
    date_columns: tuple[str, ...] = (),
) -> Survey:
    """Read a hand-typed CSV or XLSX table into a :class:`Survey`.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (UTF-8 or Latin-1/cp1252, ``;`` or ``,``) or ``.xlsx``.
    mapping : dict, optional
        Source header → tidy name (e.g. ``{"Edad": "age", "Sexo": "sex"}``); headers are
        matched ignoring case, accents and spaces. Unmapped headers are normalised.
    sheet : str or int, optional
        Sheet of a workbook (default: the first).
    table : str
        Tidy table the rows belong to (``households``, ``members``, ``parcels``,
        ``respondents``).
    form : str, Path or Form, optional
        XLSForm giving types and choice lists; yes/no answers typed as "Sí", "si", "1" are
        mapped to the codes, labels to codes.
    design : str, Path or DataFrame, optional
        Design file merged by ``community``.
    salt : str, optional
        Salt for pseudonymising linking ids (see :mod:`gender_diag.ingest.privacy`).
    date_columns : tuple of str
        Columns to read as dates (Excel serial numbers accepted) besides the form's dates.

    Returns
    -------
    Survey
        With the single table ``table``.
    """

    path = Path(path)
    report = ValidationReport()
    fm = load_form(form)
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        sheets = read_sheets(path)
        names = list(sheets)
        if sheet is None:
            sname = names[0]
        elif isinstance(sheet, int):
            sname = names[sheet]
        else:
            match = [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
            if not match:
                raise input_error(
                    "bad_sheet",
                    file=path,
                    sheet=str(sheet),
                    what=f"there is no such sheet (sheets: {', '.join(names)})",
                    fix="give sheet= one of the sheet names",
                )
            sname = match[0]
        df = sheets[sname]
    else:
        sname = ""
        df, _ = read_delimited(path, report=report)
    df = df.dropna(how="all")
    if not len(df):
        raise input_error(
            "empty_file", file=path, sheet=sname or None, what="no data rows", fix="add data rows"
        )
    norm_map = {normalise_header(k): v for k, v in (mapping or {}).items()}
    df.columns = [norm_map.get(normalise_header(c), normalise_header(c)) for c in df.columns]
    date_cols = set(date_columns) | {c for c in df.columns if re.search(r"(^|_)(date|fecha)", c)}
    if fm is not None:
        tv = fm.variables
        yn_lists = {
            ln
            for ln, g in fm.choices.groupby("list_name")
            if set(g["name"]) <= {"yes", "no", "dk"} and {"yes", "no"} <= set(g["name"])
        }
        for v in tv.itertuples(index=False):
            if v.name in df.columns and v.list_name in yn_lists:
                df[v.name] = yes_no(df[v.name])
            if v.name in df.columns and v.type in {"date", "today"}:
                date_cols.add(v.name)
    for c in date_cols & set(df.columns):
        df[c] = excel_dates(df[c]).dt.strftime("%Y-%m-%d").astype("string")
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object:
            df[c] = df[c].astype("string").str.strip().replace("", pd.NA)
    if "sex" in df.columns:
        df["sex"] = _sex_codes(df["sex"], None)
    raw = {table: RawTable(name=table, frame=df, file=str(path), sheet=sname)}
    return assemble(
        raw,
        form=fm,
        design=design,
        source={str(path): sha256(path)},
        salt=salt,
        report=report,
        link_by="hhid",
        require_main=False,
    )


# -- SPSS / Stata ---------------------------------------------------------------------------


def declared_missing(meta, missing_codes, numeric: set[str]) -> dict[str, set]:
    """Column → user-missing values of an SPSS/Stata file: the file's own declarations
    (``missing_user_values``; ``missing_ranges`` as ``("range", lo, hi)``, one-value ranges as
    scalars), plus ``missing_codes`` given by column (dict) or for every ``numeric`` column."""
    declared: dict[str, set] = {}
    for col, vals in (getattr(meta, "missing_user_values", None) or {}).items():
        declared.setdefault(col, set()).update(vals)
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        for r in ranges:
            if r.get("lo") == r.get("hi"):
                declared.setdefault(col, set()).add(r["lo"])
            else:
                declared.setdefault(col, set()).add(("range", r["lo"], r["hi"]))
    if isinstance(missing_codes, dict):
        for col, vals in missing_codes.items():
            declared.setdefault(col, set()).update(vals)
    elif missing_codes is not None:
        for col in numeric:
            declared.setdefault(col, set()).update(missing_codes)
    return declared


def _read_stat(
    path,
    *,
    kind: str,
    table: str,
    mapping: dict | None,
    missing_codes,
    apply_labels: bool,
    design,
    salt,
) -> Survey:
    import pyreadstat

    path = Path(path)
    check_file(path)
    try:
        if kind == "spss":
            reader = pyreadstat.read_por if path.suffix.lower() == ".por" else pyreadstat.read_sav
            df, meta = reader(path, user_missing=True)
        else:
            df, meta = pyreadstat.read_dta(path, user_missing=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise input_error(
            "corrupt_file",
            file=path,
            what=f"the {'SPSS' if kind == 'spss' else 'Stata'} file cannot be read "
            f"({type(exc).__name__}: {exc})"[:240],
            fix="check that the file is complete and in the format its extension says",
        ) from None
    if not len(df):
        raise input_error("empty_file", file=path, what="the file has no rows", fix="re-export it")
    report = ValidationReport()
    labels = dict(meta.variable_value_labels or {})
    numeric = {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])}
    declared = declared_missing(meta, missing_codes, numeric)
    counts = []
    for col, vals in declared.items():
        if col not in df.columns:
            continue
        s = df[col]
        hit = pd.Series(False, index=df.index)
        for v in vals:
            if isinstance(v, tuple):
                hit |= pd.to_numeric(s, errors="coerce").between(v[1], v[2])
            else:
                hit |= s.eq(v) if s.dtype == object else pd.to_numeric(s, errors="coerce").eq(v)
        n = int(hit.sum())
        if n:
            df.loc[hit, col] = np.nan
            shown = ", ".join(str(v) for v in sorted(vals, key=str))
            counts.append((col, n, shown))
    if counts:
        report.add(
            make_issues(
                [1] * len(counts),
                table=table,
                column=[c for c, _, _ in counts],
                rule="user-missing codes are missing values",
                reason="user_missing",
                severity="info",
                message=[f"{n} value(s) of {c} coded {v} set to missing." for c, n, v in counts],
                fix="Nothing to do; give missing_codes= to change which codes are missing.",
                values=[str(n) for _, n, _ in counts],
                file=str(path),
            )
        )
    # Stata's extended missing (.a–.z) arrive as letters with user_missing=True
    for col in df.columns:
        if df[col].dtype == object and col not in labels:
            num = pd.to_numeric(df[col], errors="coerce")
            letters = df[col].astype("string").str.fullmatch(r"[a-z]").fillna(False)
            if letters.any() and (num.notna() | letters | df[col].isna()).all():
                df[col] = num
    names = {c: (mapping or {}).get(c, c) for c in df.columns}
    var_labels = dict(
        zip(meta.column_names, meta.column_labels or [None] * len(df.columns), strict=False)
    )
    choices_rows, var_rows = [], []
    for col in df.columns:
        lab_set = labels.get(col)
        list_name = names[col] if lab_set else None
        var_rows.append(
            {
                "table": table,
                "name": names[col],
                "type": "select_one"
                if lab_set
                else ("decimal" if pd.api.types.is_numeric_dtype(df[col]) else "text"),
                "list_name": list_name,
                "label_es": var_labels.get(col),
                "label_en": var_labels.get(col),
                "label_fr": var_labels.get(col),
                "relevant": None,
                "sensitive": False,
                "identifier": False,
                "source_name": col,
            }
        )
        for code, lab in (lab_set or {}).items():
            choices_rows.append(
                {
                    "list_name": list_name,
                    "name": _code_str(code),
                    "label_es": lab,
                    "label_en": lab,
                    "label_fr": lab,
                }
            )
    if apply_labels:
        for col, lab_set in labels.items():
            if col in df.columns:
                df[col] = df[col].map(lab_set).astype("string").where(df[col].notna(), pd.NA)
    df = df.rename(columns=names)
    if "sex" in df.columns:
        df["sex"] = _sex_codes(df["sex"], labels.get(_src(names, "sex")))
    raw = {table: RawTable(name=table, frame=df, file=str(path))}
    survey = assemble(
        raw,
        form=None,
        design=design,
        source={str(path): sha256(path)},
        salt=salt,
        report=report,
        link_by="hhid",
        require_main=False,
    )
    survey.variables = pd.DataFrame(var_rows, columns=[*VARIABLE_COLUMNS, "source_name"])
    survey.choices = pd.DataFrame(choices_rows, columns=CHOICE_COLUMNS)
    return survey


def _src(names: dict, tidy: str):
    return next((k for k, v in names.items() if v == tidy), None)


def _code_str(code) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


def _sex_codes(s: pd.Series, labels: dict | None) -> pd.Series:
    """Recode a sex column to ``F``/``M`` using its value labels (or common spellings)."""
    fem = re.compile(r"^(f|mujer|female|femme|femenino|woman|women)", re.IGNORECASE)
    mas = re.compile(
        r"^(m|hombre|male|homme|masculino|varon|varón|man|men)$|^hombre|^homme|^male", re.IGNORECASE
    )
    txt = s.astype("string")
    if labels:
        lab = {_code_str(k): v for k, v in labels.items()}
        num = pd.to_numeric(s, errors="coerce")
        key = num.map(lambda x: _code_str(float(x)), na_action="ignore").astype("string")
        txt = key.map(lab).astype("string").where(key.notna(), txt)
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    t = txt.str.strip()
    out[t.str.match(fem).fillna(False)] = "F"
    out[(t.str.match(mas).fillna(False)) & out.isna()] = "M"
    # anything else is kept as typed so that the report shows it
    return out.where(out.notna() | t.isna(), t)


def read_stata(
    path: str | Path,
    *,
    table: str = "respondents",
    mapping: dict[str, str] | None = None,
    missing_codes=None,
    apply_labels: bool = False,
    design=None,
    salt: str | None = None,
) -> Survey:
    """Read a Stata ``.dta`` file (pyreadstat) into a :class:`Survey` with one table.

    Parameters
    ----------
    path : str or Path
    table : str
        Tidy table name of the rows.
    mapping : dict, optional
        Source variable → tidy name (e.g. ENAHO ``{"p207": "sex", "p208a": "age"}``).
    missing_codes : list or dict, optional
        Codes meaning don't know / refused (e.g. ``[98, 99]`` for every numeric column, or
        ``{"p301a": [99]}``): set to missing, with a count per column in the report
        (reason ``user_missing``). Stata's extended missing values ``.a``–``.z`` are missing
        in any case.
    apply_labels : bool
        Replace codes by their value labels (the labels are kept in ``survey.choices`` either
        way).
    design, salt
        As in :func:`read_table`.
    """
    return _read_stat(
        path,
        kind="stata",
        table=table,
        mapping=mapping,
        missing_codes=missing_codes,
        apply_labels=apply_labels,
        design=design,
        salt=salt,
    )


def read_spss(
    path: str | Path,
    *,
    table: str = "respondents",
    mapping: dict[str, str] | None = None,
    missing_codes=None,
    apply_labels: bool = False,
    design=None,
    salt: str | None = None,
) -> Survey:
    """Read an SPSS ``.sav``/``.zsav``/``.por`` file (pyreadstat) into a :class:`Survey`.

    The file's declared user-missing values (``MISSING VALUES``) and any ``missing_codes``
    given are set to missing and counted in the report (reason ``user_missing``). Other
    parameters as in :func:`read_stata`.
    """
    return _read_stat(
        path,
        kind="spss",
        table=table,
        mapping=mapping,
        missing_codes=missing_codes,
        apply_labels=apply_labels,
        design=design,
        salt=salt,
    )


#: Public name for the chunked SPSS/Stata conversion (gender_diag.engine.convert), which
#: recodes sex exactly as the whole-file readers do.
sex_codes = _sex_codes
