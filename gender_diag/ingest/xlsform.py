"""Read an XLSForm (sheets ``survey``, ``choices``, ``settings``) into tidy metadata.

Only what ingest needs: each question's table (main sheet or repeat), tidy name, group path,
type, choice list, labels per language, effective ``relevant`` (group conditions included),
``required``, ``constraint`` and the custom bind columns ``bind::gd:sensitive`` and
``bind::gd:identifier`` (docs/contracts.md §1). The XLSForm specification is at
https://xlsform.org; the converter that deploys forms is pyxform.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gender_diag.ingest.files import excel_engine
from gender_diag.ingest.report import input_error
from gender_diag.ingest.survey import CHOICE_COLUMNS, VARIABLE_COLUMNS

#: Repeat group name → tidy table name (the gender_diag instrument); other repeats keep
#: their own name.
DEFAULT_REPEAT_TABLES = {
    "roster": "members",
    "parcels": "parcels",
    "individual": "respondents",
}
MAIN_TABLE = "households"

#: Tidy renames applied after ingest (contract: ``resp_line`` becomes ``line``).
TIDY_RENAMES = {"respondents": {"resp_line": "line"}}

NUMERIC_TYPES = {"integer", "decimal", "range"}
DATE_TYPES = {"date", "datetime", "start", "end", "today", "time"}
META_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "imei",
    "start-geopoint",
    "background-audio",
}
GEO_TYPES = {"geopoint", "geotrace", "geoshape", "start-geopoint"}
NO_DATA_TYPES = {"note", "begin group", "end group", "begin repeat", "end repeat"}

_LANG_CODES = {
    "es": "es",
    "español": "es",
    "espanol": "es",
    "spanish": "es",
    "castellano": "es",
    "en": "en",
    "english": "en",
    "inglés": "en",
    "fr": "fr",
    "français": "fr",
    "francais": "fr",
    "french": "fr",
}


def _lang_of(header: str) -> str | None:
    """Language code of a ``label::Español (es)`` style header.

    Examples
    --------
    >>> _lang_of("label::Español (es)"), _lang_of("label::English"), _lang_of("label")
    ('es', 'en', None)
    """
    if "::" not in header:
        return None
    lang = header.split("::", 1)[1].strip()
    m = re.search(r"\(([A-Za-z-]+)\)\s*$", lang)
    if m:
        return m.group(1).lower().split("-")[0]
    return _LANG_CODES.get(lang.lower(), lang.lower())


def _truthy(v: object) -> bool:
    return str(v).strip().lower() in {"true", "yes", "1", "true()", "si", "sí"}


@dataclass
class Form:
    """Parsed XLSForm metadata.

    Attributes
    ----------
    variables : DataFrame
        One row per data field: table, name, type, list_name, label_es, label_en, label_fr,
        relevant, sensitive, identifier, path (Kobo group path with ``/``), group, required,
        constraint, base_type.
    choices : DataFrame
        list_name, name, label_es, label_en, label_fr.
    settings : dict
        The settings sheet (form_id, version, default_language, ...).
    repeats : dict
        Repeat name → table name.
    path : str or None
        File the form was read from; ``sha256`` its hash.
    """

    variables: pd.DataFrame
    choices: pd.DataFrame
    settings: dict = field(default_factory=dict)
    repeats: dict = field(default_factory=dict)
    path: str | None = None
    sha256: str | None = None
    #: Nested repeats: table → the table of the repeat enclosing it (main sheet not listed).
    parents: dict = field(default_factory=dict)
    #: Form field → canonical name, when a ``[mapping]`` renamed fields (see ingest.mapping).
    field_renames: dict = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        """The form's ``settings.version`` (None when absent)."""
        v = self.settings.get("version")
        return None if v is None or str(v).strip() == "" else str(v).strip()

    def table_vars(self, table: str) -> pd.DataFrame:
        """Variables of one table."""
        return self.variables[self.variables["table"] == table]

    def choice_codes(self, list_name: str) -> list[str]:
        """Codes of one choice list, in form order."""
        return self.choices.loc[self.choices["list_name"] == list_name, "name"].tolist()


def _clean_sheet(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    return df.dropna(how="all")


def load_form(form: str | Path | Form | None) -> Form | None:
    """A form given as a path, an already read :class:`Form`, or None (no form)."""
    if form is None or isinstance(form, Form):
        return form
    return read_form(form)


def read_form(path: str | Path, *, repeat_tables: dict | None = None) -> Form:
    """Parse an XLSForm workbook.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` XLSForm.
    repeat_tables : dict, optional
        Repeat name → table name; defaults to :data:`DEFAULT_REPEAT_TABLES`.

    Returns
    -------
    Form

    Raises
    ------
    InputFileError
        Missing ``survey`` sheet or ``type``/``name`` columns, or an unreadable file.
    """
    path = Path(path)
    if not path.is_file():
        raise input_error(
            "missing_column" if path.exists() else "empty_file",
            file=path,
            what="the XLSForm file does not exist",
            fix="give the path of the form's .xlsx (e.g. surveys/instrument/instrument.xlsx)",
        )
    from gender_diag.ingest import limits

    limits.check_workbook(path)
    raw = path.read_bytes()
    try:
        # keep_default_na=False: the English label "None" must stay a label, not become NaN
        sheets = pd.read_excel(
            path,
            sheet_name=None,
            dtype=str,
            engine=excel_engine(),
            keep_default_na=False,
            na_values=[""],
        )
    except Exception as exc:  # openpyxl raises many types for a broken zip
        raise input_error(
            "corrupt_file",
            file=path,
            what=f"the XLSForm cannot be opened as an Excel workbook ({type(exc).__name__})",
            fix="open it in Excel and save it again as .xlsx",
        ) from None
    lower = {k.strip().lower(): k for k in sheets}
    if "survey" not in lower:
        raise input_error(
            "bad_sheet",
            file=path,
            what=f"the XLSForm has no 'survey' sheet (sheets: {', '.join(sheets)})",
            fix="name the questions sheet 'survey' as XLSForm requires",
        )
    survey = _clean_sheet(sheets[lower["survey"]])
    choices = _clean_sheet(sheets[lower["choices"]]) if "choices" in lower else pd.DataFrame()
    settings_df = _clean_sheet(sheets[lower["settings"]]) if "settings" in lower else None
    settings = {}
    if settings_df is not None and len(settings_df):
        settings = {k: v for k, v in settings_df.iloc[0].items() if pd.notna(v)}
    for col in ("type", "name"):
        if col not in survey.columns:
            raise input_error(
                "missing_column",
                file=path,
                sheet=lower["survey"],
                what=f"the XLSForm survey sheet has no {col!r} column",
                fix=f"add the {col!r} column (see xlsform.org)",
            )
    default_lang = _lang_of("label::" + str(settings.get("default_language", "es"))) or "es"
    variables = _parse_survey(survey, repeat_tables or DEFAULT_REPEAT_TABLES, default_lang)
    choice_frame = _parse_choices(choices, default_lang)
    repeats = dict(variables.attrs.pop("repeats", {}))
    parents = dict(variables.attrs.pop("parents", {}))
    return Form(
        variables=variables,
        choices=choice_frame,
        settings=settings,
        repeats=repeats,
        parents=parents,
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _label_columns(cols, default_lang: str) -> dict[str, str]:
    """Map ``label_<lang>`` → source column for label headers."""
    out = {}
    for c in cols:
        base = c.split("::", 1)[0].strip().lower()
        if base != "label":
            continue
        lang = _lang_of(c) or default_lang
        out.setdefault(f"label_{lang}", c)
    return out


def _parse_choices(choices: pd.DataFrame, default_lang: str) -> pd.DataFrame:
    if not len(choices) or "list_name" not in choices.columns:
        return pd.DataFrame(columns=CHOICE_COLUMNS)
    labels = _label_columns(choices.columns, default_lang)
    out = pd.DataFrame(
        {
            "list_name": choices["list_name"].astype(str).str.strip(),
            "name": choices["name"].astype(str).str.strip(),
        }
    )
    for lang in ("es", "en", "fr"):
        col = labels.get(f"label_{lang}")
        out[f"label_{lang}"] = choices[col].to_numpy() if col else pd.NA
    out = out[out["list_name"].ne("nan") & out["name"].ne("nan")]
    return out.reset_index(drop=True)


def _parse_survey(survey: pd.DataFrame, repeat_tables: dict, default_lang: str) -> pd.DataFrame:
    labels = _label_columns(survey.columns, default_lang)
    cols = {c.lower(): c for c in survey.columns}

    def get(row, name):
        c = cols.get(name)
        if c is None:
            return None
        v = row[c]
        return None if pd.isna(v) or str(v).strip() == "" else str(v).strip()

    stack: list[tuple[str, str, str | None]] = []  # (kind, name, relevant)
    rows = []
    repeats = {}
    parents = {}
    for _, row in survey.iterrows():  # a form has a few hundred rows: a loop is fine here
        typ = get(row, "type")
        if typ is None:
            continue
        typ_norm = re.sub(r"[\s_]+", " ", typ.lower()).strip()
        name = get(row, "name")
        rel = get(row, "relevant")
        if typ_norm in {"begin group", "begin repeat"}:
            kind = "repeat" if "repeat" in typ_norm else "group"
            stack.append((kind, name or "", rel))
            if kind == "repeat":
                repeats[name] = repeat_tables.get(name, name)
                outer = [n for k, n, _ in stack[:-1] if k == "repeat"]
                if outer:
                    parents[repeats[name]] = repeat_tables.get(outer[-1], outer[-1])
            continue
        if typ_norm in {"end group", "end repeat"}:
            if stack:
                stack.pop()
            continue
        if name is None:
            continue
        parts = typ.split()
        base = parts[0].lower()
        list_name = None
        if base in {"select_one", "select_multiple", "rank"} and len(parts) > 1:
            list_name = parts[1]
        elif base.startswith("select_one_from_file") or base.startswith("select_multiple_from"):
            list_name = parts[1] if len(parts) > 1 else None
        reps = [n for k, n, _ in stack if k == "repeat"]
        table = repeat_tables.get(reps[-1], reps[-1]) if reps else MAIN_TABLE
        conds = [r for _, _, r in stack if r] + ([rel] if rel else [])
        relevant = conds[0] if len(conds) == 1 else " and ".join(f"({c})" for c in conds) or None
        sens = get(row, "bind::gd:sensitive")
        ident = get(row, "bind::gd:identifier")
        rec = {
            "table": table,
            "name": name,
            "type": base,
            "list_name": list_name,
            "relevant": relevant,
            "sensitive": _truthy(sens) if sens else False,
            "identifier": (_truthy(ident) if ident else False) or base in GEO_TYPES,
            "path": "/".join([n for _, n, _ in stack] + [name]),
            "group": "/".join(n for _, n, _ in stack),
            "required": _truthy(get(row, "required") or ""),
            "constraint": get(row, "constraint"),
            "calculation": get(row, "calculation"),
        }
        for lang in ("es", "en", "fr"):
            col = labels.get(f"label_{lang}")
            v = row[col] if col else None
            rec[f"label_{lang}"] = None if v is None or pd.isna(v) else str(v)
        if typ_norm in NO_DATA_TYPES or base in {"note"}:
            continue
        rows.append(rec)
    out = pd.DataFrame(rows)
    if not len(out):
        extra = ["path", "group", "required", "constraint", "calculation"]
        out = pd.DataFrame(columns=[*VARIABLE_COLUMNS, *extra])
    first = list(VARIABLE_COLUMNS)
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs["repeats"] = repeats
    out.attrs["parents"] = parents
    return out


def write_form(
    path: str | Path,
    survey: list[dict],
    choices: list[dict],
    settings: dict | None = None,
) -> Path:
    """Write a small XLSForm workbook (used by tests and examples).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f.xlsx")
    >>> _ = write_form(p, [{"type": "integer", "name": "age", "label": "Age"}], [],
    ...                {"form_id": "t", "version": "1"})
    >>> read_form(p).variables[["table", "name", "type"]].to_dict("records")
    [{'table': 'households', 'name': 'age', 'type': 'integer'}]
    """
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame(survey).to_excel(xw, sheet_name="survey", index=False)
        ch = pd.DataFrame(choices) if choices else pd.DataFrame(columns=["list_name", "name"])
        ch.to_excel(xw, sheet_name="choices", index=False)
        pd.DataFrame([settings or {}]).to_excel(xw, sheet_name="settings", index=False)
    return path
