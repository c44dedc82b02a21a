"""Turn raw exported sheets into the tidy, typed, validated, de-identified :class:`Survey`.

Shared by every reader: Kobo (XLSX and ``;`` CSV), ODK CSV sets and hand-typed tables.
The steps, in order:

1. **headers** → tidy names (last segment of the group path, label headers mapped back to
   names, Kobo's ``q/choice`` dummies to ``q__choice``);
2. **links** → every repeat row gets ``hhid`` (and ``district``, ``community``) through
   ``_parent_index``/``_index`` (Kobo) or ``PARENT_KEY``/``KEY`` (ODK); unmatched rows are
   orphans;
3. **types** from the XLSForm (numbers, dates, codes checked against the choice list, labels
   mapped back to codes, select_multiple decoded to nullable booleans ``<q>__<choice>``);
4. **checks** (:mod:`gender_diag.ingest.validate`), all of them, vectorised;
5. **privacy** (:mod:`gender_diag.ingest.privacy`): identifiers dropped or pseudonymised;
6. **quarantine** rows with row-level errors (a quarantined household takes its repeat rows);
7. respondents get ``sex``, ``age``, ... from the roster; design columns merged everywhere;
8. **compact** (:mod:`gender_diag.ingest.compact`): export bookkeeping dropped, link keys as
   one shared category dtype (the tables are kept for the whole run).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.ingest import privacy, validate
from gender_diag.ingest.compact import compact_tables
from gender_diag.ingest.files import sha256  # noqa: F401  (re-exported for older imports)
from gender_diag.ingest.report import ValidationReport, input_error, make_issues
from gender_diag.ingest.survey import CHOICE_COLUMNS, VARIABLE_COLUMNS, Survey
from gender_diag.ingest.xlsform import (
    DATE_TYPES,
    MAIN_TABLE,
    NUMERIC_TYPES,
    TIDY_RENAMES,
    Form,
)

ROW = "__row__"  # source row number as the user sees it (header = 1)
OWN = "__key__"  # the row's own link key (Kobo _index, ODK KEY)
PARENT = "__parent__"  # link to the parent row (Kobo _parent_index, ODK PARENT_KEY)

VERSION_COLUMNS = ("__version__", "_version_", "FormVersion", "version", "_version")
#: Export link columns with no meaning once tables are linked by hhid.
DROP_AFTER = {"_index", "_parent_index", "_parent_table_name", "PARENT_KEY"}
ROSTER_FIELDS = ("sex", "age", "marital", "education", "literate", "mother_tongue")
LINK_FIELDS = ("hhid", "district", "community")


@dataclass
class RawTable:
    """One sheet or CSV file as read, every cell a string (``<NA>`` when blank).

    ``own_key``/``parent_key`` name the link columns; ``header_rows`` is the number of rows
    above the first data row (1 for a normal export), used to report row numbers.
    """

    name: str
    frame: pd.DataFrame
    file: str
    sheet: str = ""
    own_key: str | None = None
    parent_key: str | None = None
    header_rows: int = 1


# -- 1. headers -----------------------------------------------------------------------------


def _norm(s: str) -> str:
    s = "".join(c for c in unicodedata.normalize("NFKD", str(s)) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", s).strip().lower()


def tidy_headers(
    columns: list[str],
    *,
    form: Form | None,
    table: str,
    sep: str = "/",
    languages: tuple[str, ...] = ("es", "en", "fr"),
) -> dict[str, str]:
    """Map export headers to tidy names.

    Handles XML names with group paths (``ident/district`` or ODK ``ident-district``), Kobo
    select_multiple dummies (``assets_major/cattle`` → ``assets_major__cattle``) and label
    headers (``Distrito`` → ``district``) when a form is given.

    Examples
    --------
    >>> tidy_headers(["ident/district", "_uuid", "assets/cattle", "assets"], form=None,
    ...              table="households")
    {'ident/district': 'district', '_uuid': '_uuid', 'assets/cattle': 'assets__cattle', 'assets': 'assets'}
    """
    out: dict[str, str] = {}
    cols = [str(c).strip() for c in columns]
    vars_ = form.variables if form is not None else None
    names, paths, labels, multi, geo = {}, {}, {}, {}, set()
    choice_labels: dict[str, dict[str, str]] = {}
    if vars_ is not None:
        for r in vars_.itertuples(index=False):
            names[r.name.lower()] = r.name
            paths[r.path.lower()] = r.name
            src = getattr(r, "source_name", None)
            if isinstance(src, str) and src != r.name:
                # a field renamed by [mapping]: its header still carries the form's own name
                names.setdefault(src.lower(), r.name)
            for lang in languages:
                lab = getattr(r, f"label_{lang}", None)
                if isinstance(lab, str) and lab.strip():
                    labels.setdefault(_norm(lab), r.name)
            if r.type == "select_multiple" and isinstance(r.list_name, str):
                multi[r.name] = r.list_name
            if r.type in {"geopoint", "geotrace", "geoshape", "start-geopoint"}:
                geo.add(r.name)
        ch = form.choices
        for r in ch.itertuples(index=False):
            for lang in languages:
                lab = getattr(r, f"label_{lang}", None)
                if isinstance(lab, str):
                    choice_labels.setdefault(r.list_name, {})[_norm(lab)] = r.name
    all_paths = {c.replace(sep, "/") for c in cols}
    for raw in cols:
        if raw in validate.META_COLUMNS or raw.startswith("_") or raw.lower().startswith("meta/"):
            out[raw] = raw.split("/")[-1] if raw.lower().startswith("meta/") else raw
            continue
        path = raw.replace(sep, "/") if sep != "/" else raw
        low = path.lower()
        if low in paths:
            out[raw] = paths[low]
            continue
        parts = [p.strip() for p in path.split("/") if p.strip()]
        last = parts[-1] if parts else raw
        if last.lower() in names and (len(parts) == 1 or parts[-2].lower() not in names):
            out[raw] = names[last.lower()]
            continue
        if len(parts) >= 2:
            parent = parts[-2]
            pname = names.get(parent.lower()) or labels.get(_norm(parent))
            if pname in geo:
                # ODK splits a geopoint into -Latitude, -Longitude, -Altitude, -Accuracy
                out[raw] = f"{pname}__{last.lower()}"
                continue
            if pname in multi:
                code = last
                codes = set(form.choice_codes(multi[pname]))
                if code not in codes:
                    code = choice_labels.get(multi[pname], {}).get(_norm(last), code)
                out[raw] = f"{pname}__{code}"
                continue
            if form is None and "/".join(parts[:-1]) in all_paths:
                out[raw] = f"{parent}__{last}"
                continue
        if _norm(last) in labels:
            out[raw] = labels[_norm(last)]
            continue
        if _norm(path) in labels:
            out[raw] = labels[_norm(path)]
            continue
        out[raw] = last
    # Two headers mapping to one name: keep the full path for the later ones.
    seen: dict[str, str] = {}
    for raw, tidy in list(out.items()):
        if tidy in seen:
            out[raw] = raw.replace("/", "_")
        else:
            seen[tidy] = raw
    return out


# -- 3. types -------------------------------------------------------------------------------


def _languages(language: str | None) -> tuple[str, ...]:
    """Label languages in the order they are tried (the preferred one first)."""
    base = ("es", "en", "fr")
    if language is None:
        return base
    return (language, *[x for x in base if x != language])


def _code_maps(form: Form, langs: tuple[str, ...] = ("es", "en", "fr")) -> tuple[dict, dict]:
    """list_name → codes; list_name → {normalised label or code: code}."""
    codes, lookup = {}, {}
    for lst, grp in form.choices.groupby("list_name", sort=False):
        codes[lst] = list(grp["name"])
        m = {}
        for lang in langs:
            if f"label_{lang}" not in grp:
                continue
            for lab, code in zip(grp[f"label_{lang}"], grp["name"], strict=True):
                if isinstance(lab, str):
                    m.setdefault(_norm(lab), code)
        for code in grp["name"]:
            m[_norm(code)] = code
        if {"yes", "no"} <= set(grp["name"]):
            # hand-typed and label exports: "Sí", "si", "1", "true" mean yes
            for k in ("si", "s", "1", "true", "verdadero", "oui", "y"):
                m.setdefault(k, "yes")
            for k in ("n", "0", "false", "falso", "non"):
                m.setdefault(k, "no")
        lookup[lst] = m
    return codes, lookup


def _all_numeric(codes: list[str]) -> bool:
    return bool(codes) and all(re.fullmatch(r"-?\d+(\.\d+)?", c) for c in codes)


_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def _arrow_numeric(s: pd.Series) -> pd.Series | None:
    """Text → float64 with pyarrow compute (4x faster than pd.to_numeric on arrow strings);
    None when the column is not arrow-backed."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None:
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            return None
        ok = pc.match_substring_regex(arr, _NUMBER)
        clean = pc.utf8_trim_whitespace(pc.if_else(ok, arr, pa.scalar(None, arr.type)))
        vals = pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False)
    except Exception:  # any arrow hiccup: the pandas path below is always right
        return None
    return pd.Series(vals, index=s.index)


def _to_numeric(s: pd.Series) -> pd.Series:
    """Numbers from text; a decimal comma (hand-typed "1,5") is accepted."""
    num = _arrow_numeric(s)
    if num is None:
        num = pd.to_numeric(s, errors="coerce")
    retry = (num.isna() & s.notna()).to_numpy(dtype=bool)
    if retry.any():
        txt = s[retry].astype("string").str.strip().str.replace(",", ".", regex=False)
        num = pd.Series(num.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        num.iloc[np.flatnonzero(retry)] = pd.to_numeric(txt, errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    return num


class _Distinct:
    """A column as its distinct values and, per row, the position of its value.

    Survey columns repeat a few codes over many rows: typing, checking and mapping labels are
    done once per distinct value and spread back by position (``take``), never once per cell.
    ``values`` keeps the column's dtype and ends with one missing cell when any cell is
    missing, so that dtype inference (``pd.to_numeric``, ``pd.to_datetime``) sees exactly the
    values it would see on the whole column, and gives the same dtype.
    """

    __slots__ = ("codes", "has_na", "index", "name", "values")

    def __init__(self, codes: np.ndarray, values: pd.Series, *, has_na: bool, index, name):
        self.codes = codes  # row → position in values; −1 = missing
        self.has_na = has_na  # values ends with one missing cell
        self.values = values.reset_index(drop=True)
        self.index = index
        self.name = name

    @classmethod
    def of(cls, col: pd.Series) -> _Distinct:
        """The distinct values of ``col`` as they are (no stripping), in the column's dtype."""
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy().astype("int64")
            used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=1))
            remap = np.full(len(col.cat.categories) + 1, -1, dtype="int64")
            remap[used] = np.arange(len(used))
            codes = remap[codes]
            vals = pd.Series(np.asarray(col.cat.categories.take(used), dtype=object), dtype="str")
            has_na = bool((codes < 0).any())
            if has_na:
                vals = pd.concat([vals, pd.Series([np.nan], dtype="str")])
            return cls(codes, vals, has_na=has_na, index=col.index, name=col.name)
        codes, _ = pd.factorize(col)
        codes = codes.astype("int64", copy=False)
        # factorize numbers values in order of first appearance: a value is new where the
        # running maximum of the codes rises
        run = np.maximum.accumulate(codes) if len(codes) else codes
        firsts = np.flatnonzero(np.diff(run, prepend=-1) > 0)
        missing = codes < 0
        has_na = bool(missing.any())
        if has_na:
            firsts = np.append(firsts, int(np.argmax(missing)))
        return cls(codes, col.take(firsts), has_na=has_na, index=col.index, name=col.name)

    @classmethod
    def stripped(cls, col: pd.Series) -> _Distinct:
        """Distinct values as text (``string``) with surrounding blanks removed, empty cells
        missing."""
        raw = cls.of(col)
        n = len(raw.values) - raw.has_na
        clean = raw.values.iloc[:n].astype("string").str.strip().replace("", pd.NA)
        remap, uniq = pd.factorize(clean)
        codes = np.append(remap, -1).astype("int64")[raw.codes]  # missing stays missing
        has_na = bool((codes < 0).any())
        vals = pd.Series(uniq, dtype="string")
        if has_na:
            vals = pd.concat([vals, pd.Series([pd.NA], dtype="string")])
        return cls(codes, vals, has_na=has_na, index=col.index, name=col.name)

    @property
    def present(self) -> np.ndarray:
        """Rows with a value."""
        return self.codes >= 0

    @property
    def distinct(self) -> pd.Series:
        """The distinct non-missing values."""
        return self.values.iloc[: len(self.values) - self.has_na]

    def rows(self, flagged) -> np.ndarray:
        """Boolean mask of the rows whose distinct value is flagged (missing rows: False)."""
        flags = np.asarray(flagged, dtype=bool)[: len(self.values) - self.has_na]
        return np.append(flags, False)[self.codes]

    def spread(self, per_value) -> pd.Series:
        """A result per entry of ``values`` (missing last) put back on every row."""
        arr = pd.Series(per_value).array
        idx = np.where(self.codes >= 0, self.codes, len(arr) - 1) if self.has_na else self.codes
        return pd.Series(arr.take(idx), index=self.index, name=self.name)

    def categories(self) -> pd.Series:
        """The column as a ``category`` of its distinct values (sorted, as ``astype``)."""
        vals = self.distinct
        order = np.argsort(vals.to_numpy(dtype=object), kind="stable")
        rank = np.empty(len(order), dtype="int64")
        rank[order] = np.arange(len(order))
        codes = np.append(rank, -1)[self.codes]
        dtype = pd.CategoricalDtype(pd.Index(vals.to_numpy(dtype=object)[order], dtype=vals.dtype))
        cat = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
        return pd.Series(cat, index=self.index, name=self.name)

    def text(self) -> pd.Series:
        """The column itself (as ``values``' dtype) on every row."""
        return self.spread(self.values)

    def spread_category(self, per_value) -> pd.Series:
        """A text result per entry of ``values`` put back on every row as a ``category``
        (codes taken by position; no text is hashed per row).

        Equal in values to ``spread(per_value)``; the categories are the distinct results
        (``string`` dtype), in no particular order: :func:`coded_as_categories` keeps the
        used ones, sorted, once the tables are final.
        """
        pv = pd.Series(per_value).astype("string")
        n = len(self.values) - self.has_na
        codes_v, uniq = pd.factorize(pv.iloc[:n].array)
        codes = np.append(codes_v, -1).astype("int64")[self.codes]
        dtype = pd.CategoricalDtype(pd.Index(np.asarray(uniq, dtype=object), dtype="string"))
        cat = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
        return pd.Series(cat, index=self.index, name=self.name)


def stripped_text(col: pd.Series) -> pd.Series:
    """``col`` as text with surrounding blanks removed and empty cells missing.

    Computed once per distinct value and spread back by position: survey columns repeat a few
    codes over many rows, so this is several times faster than stripping every cell.

    >>> stripped_text(pd.Series([" a", "b ", "", None, " a"])).tolist()
    ['a', 'b', <NA>, <NA>, 'a']
    """
    return _Distinct.stripped(col).text()


def _stripped_keys(col: pd.Series) -> pd.Series:
    """Link keys as text without surrounding blanks (``col.astype("string").str.strip()``,
    computed once per distinct key)."""
    d = _Distinct.of(col)
    return d.spread(d.values.astype("string").str.strip())


def _numbers(d: _Distinct) -> pd.Series:
    """:func:`_to_numeric` of each distinct value (aligned with ``d.values``)."""
    return _to_numeric(d.values)


def coerce_table(
    df: pd.DataFrame,
    *,
    table: str,
    form: Form | None,
    report: ValidationReport,
    file: str,
    sheet: str,
    codes: dict,
    lookup: dict,
) -> pd.DataFrame:
    """Type the columns of one table from the form; report what cannot be typed.

    Cells that cannot be typed (text in a number, unknown code) become missing and are
    reported (``not_numeric``, ``invalid_code``, ``not_date``): the row itself is kept.

    Each column is typed once per distinct value (:class:`_Distinct`) and spread back by
    position; the typed columns replace the text ones in a shallow copy of ``df`` (pandas'
    copy-on-write shares every untouched column), so no second copy of the text is made.
    """
    out = df.copy(deep=False)
    rows = out[ROW].to_numpy()
    if form is None:
        for col in out.columns:
            if col.startswith("__") or not (
                out[col].dtype == object
                or pd.api.types.is_string_dtype(out[col])
                or isinstance(out[col].dtype, pd.CategoricalDtype)
            ):
                continue
            d = _Distinct.of(out[col])
            num = _numbers(d)
            if d.present.any() and num.iloc[: len(num) - d.has_na].notna().all():
                out[col] = d.spread(num)
            elif isinstance(out[col].dtype, pd.CategoricalDtype):
                out[col] = d.text()
        return out
    tv = form.table_vars(table)
    # a hand-typed table may mix questions of several form tables (e.g. sex in respondents)
    other = form.variables[
        form.variables["name"].isin(out.columns) & ~form.variables["name"].isin(tv["name"])
    ].drop_duplicates("name")
    tv = pd.concat([tv, other], ignore_index=True) if len(other) else tv
    coded: set[str] = set()
    for r in tv.itertuples(index=False):
        col = r.name
        if col not in out.columns:
            continue
        d = _Distinct.stripped(out[col])
        if r.type in NUMERIC_TYPES or (r.type == "calculate" and col not in ("hhid",)):
            num = _numbers(d)
            bad_v = d.values.notna().to_numpy() & num.isna().to_numpy()
            if r.type == "calculate":
                # a calculate is numeric only when every answer is a number
                if bad_v.any():
                    out[col] = d.text()
                    continue
            elif bad_v.any():
                bad = d.rows(bad_v)
                report.add(
                    make_issues(
                        rows[bad],
                        table=table,
                        column=col,
                        rule=f"{col} is a number ({r.type})",
                        reason="not_numeric",
                        severity="error",
                        message=f"Text where a number was expected in {col}; set to missing.",
                        fix=f"Type a number in {col} (decimals with a point) or leave it blank.",
                        values=d.values.to_numpy()[d.codes[bad]],
                        file=file,
                        sheet=sheet,
                    )
                )
            if r.type in {"integer", "calculate"} and (num.dropna() % 1 == 0).all():
                num = num.astype("Int64")  # roster line, counts: whole numbers stay whole
            out[col] = d.spread(num)
        elif r.type in DATE_TYPES:
            dt = pd.to_datetime(d.values, errors="coerce", utc=True, format="mixed")
            bad_v = d.values.notna().to_numpy() & dt.isna().to_numpy()
            if bad_v.any():
                bad = d.rows(bad_v)
                report.add(
                    make_issues(
                        rows[bad],
                        table=table,
                        column=col,
                        rule=f"{col} is a date",
                        reason="not_date",
                        severity="warning",
                        message=f"{col} is not a date; set to missing.",
                        fix="Use the ISO format YYYY-MM-DD.",
                        values=d.values.to_numpy()[d.codes[bad]],
                        file=file,
                        sheet=sheet,
                    )
                )
            out[col] = d.spread(dt)
        elif r.type == "select_one" and r.list_name in codes:
            out[col] = _coerce_select_one(
                d, col, r.list_name, codes, lookup, rows, table, report, file, sheet
            )
        elif r.type == "select_multiple" and r.list_name in codes:
            _coerce_select_multiple(
                out, d, col, r.list_name, codes, lookup, rows, table, report, file, sheet
            )
        else:
            out[col] = d.text()
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            coded.add(col)
    return _text_columns(out, keep=coded)


def _text_columns(df: pd.DataFrame, *, keep=frozenset()) -> pd.DataFrame:
    """Columns still as read as categories (export metadata the form does not type: KEY,
    instanceID, SubmissionDate...) back to text, as every reader gives them; ``keep``: the
    coded answers typed as categories."""
    for col in df.columns:
        if col not in keep and isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = _Distinct.of(df[col]).text()
    return df


def _coerce_select_one(d, col, lst, codes, lookup, rows, table, report, file, sheet):
    """Codes of a select_one, labels mapped back to codes, once per distinct value."""
    s = d.values
    present = s.notna().to_numpy()
    fixed = s.copy()
    need = present & ~s.isin(codes[lst]).to_numpy()
    if need.any():
        mapped = s[need].map(lambda v: lookup[lst].get(_norm(v)))  # labels → codes
        fixed[need] = mapped
        bad_v = need & fixed.isna().to_numpy()
        if bad_v.any():
            bad = d.rows(bad_v)
            shown = ", ".join(codes[lst][:12]) + (", …" if len(codes[lst]) > 12 else "")
            report.add(
                make_issues(
                    rows[bad],
                    table=table,
                    column=col,
                    rule=f"{col} in choice list {lst!r}",
                    reason="invalid_code",
                    severity="error",
                    message=f"Value not in the choice list {lst!r} of {col}; set to missing.",
                    fix=f"Use one of: {shown}.",
                    values=s.to_numpy()[d.codes[bad]],
                    file=file,
                    sheet=sheet,
                )
            )
    if _all_numeric(codes[lst]):
        num = pd.to_numeric(fixed, errors="coerce")
        return d.spread(num.astype("Int64") if (num.dropna() % 1 == 0).all() else num)
    if col in LINK_FIELDS:
        return d.spread(fixed.astype("string"))  # link keys: text until compact_tables
    return d.spread_category(fixed)


def _dummies_answer(out: pd.DataFrame, col: str, dummies: list[str]) -> pd.Series:
    """The answer string of a select_multiple rebuilt from its exported 0/1 columns."""
    parts = []
    for dm in dummies:
        flag = _to_numeric(out[dm])
        parts.append(flag.map({1: dm[len(col) + 2 :] + " "}).fillna(""))
    any_answer = pd.concat([_to_numeric(out[dm]).notna() for dm in dummies], axis=1).any(axis=1)
    joined = pd.concat(parts, axis=1).sum(axis=1).str.strip()
    return joined.where(any_answer, pd.NA).astype("string")


def _coerce_select_multiple(out, d, col, lst, codes, lookup, rows, table, report, file, sheet):
    """Space-separated codes of a select_multiple: labels mapped back to codes, unknown codes
    removed (and reported), one nullable boolean ``<col>__<code>`` per choice (``<NA>`` when
    the question has no answer). Checked once per distinct answer."""
    dummies = [c for c in out.columns if c.startswith(col + "__")]
    if not d.present.any() and dummies:
        # only the 0/1 columns were exported: rebuild the answer string from them
        d = _Distinct.of(_dummies_answer(out, col, dummies))
    s = d.distinct
    known = set(codes[lst])
    # fast path: every answer is a space-separated list of valid codes (one regex pass)
    alt = "|".join(re.escape(c) for c in sorted(codes[lst], key=len, reverse=True))
    valid = s.str.fullmatch(rf"\s*(?:{alt})(?:\s+(?:{alt}))*\s*").fillna(True).to_numpy(bool)
    answers = s.to_numpy(dtype=object).copy()
    if not valid.all():
        tokens = {i: str(answers[i]).split() for i in np.flatnonzero(~valid)}
        if any(t not in known for toks in tokens.values() for t in toks):
            # labels → codes; a token that is neither a code nor a label is removed
            unknown = np.zeros(len(answers), dtype=bool)
            for i, toks in tokens.items():
                fixed = [t if t in known else lookup[lst].get(_norm(t)) for t in toks]
                unknown[i] = any(f is None for f in fixed)
                answers[i] = " ".join(f for f in fixed if f is not None)
            if unknown.any():
                bad = d.rows(unknown)
                report.add(
                    make_issues(
                        rows[bad],
                        table=table,
                        column=col,
                        rule=f"{col} choices in list {lst!r}",
                        reason="invalid_code",
                        severity="error",
                        message=f"Unknown choice in {col}; the unknown code was removed.",
                        fix=f"Use codes of the list {lst!r} separated by spaces.",
                        values=s.to_numpy(dtype=object)[d.codes[bad]],
                        file=file,
                        sheet=sheet,
                    )
                )
    per_value = pd.Series(answers, dtype="string")
    if d.has_na:
        per_value = pd.concat([per_value, pd.Series([pd.NA], dtype="string")])
    out[col] = d.spread_category(per_value)
    present = d.present
    padded = [f" {a} " for a in answers]
    new = {}
    for code in codes[lst]:
        hit = np.array([f" {code} " in p for p in padded], dtype=bool)
        flags = np.append(hit, False)[d.codes]
        new[f"{col}__{code}"] = pd.Series(
            pd.arrays.BooleanArray(flags, ~present), index=out.index, name=f"{col}__{code}"
        )
    for dm in dummies:
        if dm not in new:
            del out[dm]
    for k, v in new.items():
        out[k] = v


# -- the whole assembly ---------------------------------------------------------------------


def assemble(
    raw: dict[str, RawTable],
    *,
    form: Form | None = None,
    design: str | Path | pd.DataFrame | None = None,
    source: dict[str, str] | None = None,
    salt: str | None = None,
    pseudonymise: tuple[str, ...] = ("dni_number",),
    report: ValidationReport | None = None,
    sep: str = "/",
    link_by: str = "parent",
    require_main: bool = True,
    language: str | None = None,
    mapping=None,
    design_names: dict | None = None,
) -> Survey:
    """Build a :class:`Survey` from raw tables (see module docstring for the steps).

    ``link_by="parent"`` links repeat rows through ``__parent__`` → parent ``__key__``;
    ``link_by="hhid"`` (hand-typed tables) links them through an ``hhid`` column.
    ``mapping`` (:class:`~gender_diag.ingest.mapping.SurveyMapping`) renames the partner's
    own fields to the canonical ones; ``form`` is then the mapped form
    (:func:`~gender_diag.ingest.mapping.map_form`) and raw tables are named canonically.
    ``design_names`` (the ``[design]`` weight/strata/psu/fpc/fpc2 names) then name the
    design file's own columns; its join key is the mapped community column.
    """
    survey_map = mapping
    report = report or ValidationReport()
    source = dict(source or {})
    langs = _languages(language)
    codes, lookup = _code_maps(form, langs) if form is not None else ({}, {})
    tables: dict[str, pd.DataFrame] = {}
    meta: dict[str, RawTable] = {}
    outers = set(dict(form.parents).values()) if form is not None else set()
    for name, rt in raw.items():
        df = rt.frame
        mapping = tidy_headers(list(df.columns), form=form, table=name, sep=sep, languages=langs)
        df = df.rename(columns=mapping)
        if survey_map is not None:
            df = _map_columns(df, survey_map.column_renames().get(name, {}))
        twice = df.columns.duplicated()
        if twice.any():
            # e.g. "hh_size" next to " hh_size ": the first is kept, and the user is told
            report.add(
                make_issues(
                    np.ones(int(twice.sum()), dtype="int64"),
                    table=name,
                    column=[str(c) for c in df.columns[twice]],
                    rule="each column appears once",
                    reason="unknown_column",
                    severity="warning",
                    message=[
                        f"Column {c!r} appears more than once (names compared without spaces "
                        "and group paths); only the first copy is read."
                        for c in df.columns[twice]
                    ],
                    fix="Delete or rename the extra copy in the export.",
                    file=rt.file,
                    sheet=rt.sheet,
                )
            )
            df = df.loc[:, ~twice]  # (a copy of the frame: only when a column repeats)
        df[ROW] = np.arange(len(df), dtype="int64") + rt.header_rows + 1
        if rt.own_key and rt.own_key in df.columns and (name == MAIN_TABLE or name in outers):
            # a repeat's own key links only the repeats nested in it (see _link)
            df[OWN] = _stripped_keys(df[rt.own_key])
        if rt.parent_key and rt.parent_key in df.columns:
            df[PARENT] = _stripped_keys(df[rt.parent_key])
        df = df.reset_index(drop=True)
        report.rows_read[name] = len(df)
        tables[name] = df
        meta[name] = rt
    if MAIN_TABLE not in tables and require_main:
        raise input_error(
            "bad_sheet",
            file=next(iter(raw.values())).file if raw else "?",
            what="no main (household) sheet was found",
            fix="export the main sheet, or pass sheet_map={'<sheet>': 'households'}",
        )
    validate.check_columns(tables, meta, form=form, report=report)
    if survey_map is None or survey_map.form_version != "ignore":
        validate.check_version(
            tables,
            meta,
            form=form,
            report=report,
            **({"warn_only": True} if survey_map and survey_map.form_version == "warn" else {}),
        )
    for name, df in tables.items():
        tables[name] = coerce_table(
            df,
            table=name,
            form=form,
            report=report,
            file=meta[name].file,
            sheet=meta[name].sheet,
            codes=codes,
            lookup=lookup,
        )
        for old, new in TIDY_RENAMES.get(name, {}).items():
            if old in tables[name].columns and new not in tables[name].columns:
                tables[name] = tables[name].rename(columns={old: new})
    quarantine = {name: validate.Flags(len(df)) for name, df in tables.items()}
    if MAIN_TABLE in tables:
        parents = dict(form.parents) if form is not None else {}
        _link(tables, meta, quarantine, report, link_by=link_by, parents=parents)
    design_cols_in = None
    if survey_map is not None:
        from gender_diag.ingest.mapping import design_file_columns

        design_cols_in = design_file_columns(survey_map, design_names)
    design_frame = validate.load_design(
        design, report=report, source=source, columns=design_cols_in
    )
    validate.run_checks(tables, meta, quarantine, form=form, report=report, design=design_frame)
    if survey_map is not None:
        from gender_diag.ingest import mapping as mapping_mod

        mapping_mod.finish_tables(
            tables, meta, quarantine, mapping=survey_map, form=form, report=report, row_col=ROW
        )
    ids = privacy.find_identifiers(tables, form=form)
    validate.mask_identifier_values(report, ids)
    tables = privacy.apply(
        tables, ids, salt=salt, pseudonymise=pseudonymise, report=report, form=form
    )
    tables = _split_quarantine(tables, meta, quarantine, report)
    _withhold_sensitive(report, form)
    _nothing_left(report, meta)
    if survey_map is not None:
        from gender_diag.ingest.mapping import respondents_from_main

        respondents_from_main(tables, survey_map)
    tables = _enrich_respondents(tables)
    _one_sex(report, tables, meta)
    privacy.check_k_anonymity(tables, report)
    tables, design_cols = _merge_design(tables, design_frame)
    variables, choices = _metadata(form, tables)
    for name in list(tables):
        drop = [c for c in tables[name].columns if c in (ROW, OWN, PARENT) or c in DROP_AFTER]
        tables[name] = tables[name].drop(columns=drop).reset_index(drop=True)
    tables = coded_as_categories(tables, variables)
    tables = compact_tables(tables, variables=variables)
    return Survey(
        tables=tables,
        report=report,
        variables=variables,
        choices=choices,
        design=design_cols,
        source=source,
    )


#: Question types whose text answers are kept as categories (a few codes, or combinations of
#: codes, repeated over every row).
CODED_TYPES = ("select_one", "select_multiple")


def coded_as_categories(tables: dict[str, pd.DataFrame], variables: pd.DataFrame) -> dict:
    """Text answers of select_one (and select_multiple) questions as ``category`` columns.

    A coded answer repeats a handful of codes over every row: as a category each cell is a
    one-byte code into the list of codes seen, instead of a pointer to a string (8 bytes, plus
    the string). Values, missing cells, ``==``, ``isin`` and ``.str`` behave as on text.
    Only the accepted tables are converted, after every check, so that validation and privacy
    see the same text columns as before. Numeric codes stay ``Int64``; link keys (``hhid``,
    ``district``, ``community``) are left to :func:`~gender_diag.ingest.compact.compact_tables`,
    which gives them one category dtype shared by every table.
    """
    if variables is None or not len(variables) or "type" not in variables:
        return tables
    coded = set(variables.loc[variables["type"].isin(CODED_TYPES), "name"].astype(str))
    coded -= set(LINK_FIELDS)
    for name, df in tables.items():
        cols = [
            c
            for c in df.columns
            if c in coded
            and (
                pd.api.types.is_string_dtype(df[c].dtype)
                or isinstance(df[c].dtype, pd.CategoricalDtype)
            )
        ]
        if cols:
            tables[name] = df.assign(**{c: _final_categories(df[c]) for c in cols})
    return tables


def _final_categories(col: pd.Series) -> pd.Series:
    """A coded column as a category of the values it holds, sorted, with ``string``
    categories (the same dtype whether the column arrives as text or as a category)."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return _Distinct.of(col).categories()
    cats = col.cat.categories
    codes = col.cat.codes.to_numpy().astype("int64")
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(cats)))
    vals = np.asarray(cats.take(used), dtype=object)
    order = np.argsort(vals, kind="stable")
    rank = np.full(len(cats) + 1, -1, dtype="int64")
    rank[used[order]] = np.arange(len(used))
    dtype = pd.CategoricalDtype(pd.Index(vals[order], dtype="string"))
    cat = pd.Categorical.from_codes(rank[codes], dtype=dtype, validate=False)
    return pd.Series(cat, index=col.index, name=col.name)


def _map_columns(df: pd.DataFrame, renames: dict[str, str]) -> pd.DataFrame:
    """Rename mapped columns still under the form's own name (no form, or no match).

    A column already holding the canonical name is kept as ``orig_<name>``: the mapping says
    which column means ``sex`` (or ``hhid``...), not the header.
    """
    todo = {s: d for s, d in renames.items() if s in df.columns and s != d}
    clash = {d: f"orig_{d}" for d in todo.values() if d in df.columns}
    return df.rename(columns=clash).rename(columns=todo)


def _depth(name: str, parents: dict) -> int:
    d, seen = 0, set()
    while name in parents and name not in seen:
        seen.add(name)
        name, d = parents[name], d + 1
    return d


def _link(tables, meta, quarantine, report, *, link_by, parents=None):
    """Give every repeat row its household's hhid/district/community; flag orphans.

    A repeat nested in another repeat (``parents``: table → enclosing table) links to the
    enclosing repeat's rows (Kobo: its ``_parent_index`` is the outer sheet's ``_index``) and
    takes the household from there; both keep the link as ``_key``/``_parent_key`` (and the
    child ``_parent_table``) so that rules can aggregate a nested repeat per outer row.
    """
    parents = {c: p for c, p in (parents or {}).items() if c in tables and p in tables}
    main = tables[MAIN_TABLE]
    carry = [c for c in LINK_FIELDS if c in main.columns]
    order = sorted((n for n in tables if n != MAIN_TABLE), key=lambda n: _depth(n, parents))
    for name in order:
        df = tables[name]
        rt = meta[name]
        outer = parents.get(name)
        if outer is not None and link_by == "parent" and PARENT in df.columns:
            up = tables[outer]
            if OWN in up.columns:
                pidx = pd.Index(up[OWN])
                pos = pidx.get_indexer(df[PARENT])
                ok = pos >= 0
                safe = np.where(ok, pos, 0)
                hh = up["__hh_row__"].to_numpy()[safe] if "__hh_row__" in up.columns else None
                alive = quarantine[outer].alive[safe]
                found = pd.Series(ok & (hh >= 0 if hh is not None else True), index=df.index)
                for c in carry:
                    if c in up.columns:
                        vals = pd.Series(up[c].to_numpy()[safe], index=df.index).where(ok)
                        df[c] = df[c].where(df[c].notna(), vals) if c in df.columns else vals
                df["__hh_row__"] = np.where(ok, hh if hh is not None else -1, -1)
                up["_key"] = up[OWN]
                df["_parent_key"] = df[PARENT].where(pd.Series(ok, index=df.index))
                df["_parent_table"] = outer
                # an outer row already quarantined takes its nested rows with it
                gone = ok & ~alive
                if gone.any():
                    quarantine[name].add(gone, "parent_quarantined")
                _flag_orphans(df, found, name, rt, report, quarantine, link_by)
                tables[name] = df
                continue
        if link_by == "parent" and PARENT in df.columns and OWN in main.columns:
            parent = main.drop_duplicates(OWN)
            pidx = pd.Index(parent[OWN])
            keys = df[PARENT]
            pos = pidx.get_indexer(keys)
            miss = pos < 0
            if miss.any():
                # ODK nests: PARENT_KEY of a repeat in a repeat is the outer repeat's KEY;
                # the household key is the part before the first '/'.
                outer = keys[miss].str.split("/", n=1).str[0]
                pos[miss] = pidx.get_indexer(outer)
            found = pd.Series(pos >= 0, index=df.index)
            safe = np.where(pos >= 0, pos, 0)
            for c in carry:
                vals = pd.Series(parent[c].to_numpy()[safe], index=df.index).where(pos >= 0)
                if c in df.columns:
                    df[c] = df[c].where(df[c].notna(), vals)
                else:
                    df[c] = vals
            df["__hh_row__"] = np.where(pos >= 0, parent[ROW].to_numpy()[safe], -1)
        elif "hhid" in df.columns and "hhid" in main.columns:
            found = df["hhid"].isin(main["hhid"].dropna())
            m = main.drop_duplicates("hhid").set_index("hhid")
            for c in carry:
                if c == "hhid":
                    continue
                vals = m[c].reindex(df["hhid"].to_numpy()).to_numpy()
                df[c] = df[c].where(df[c].notna(), vals) if c in df.columns else vals
            df["__hh_row__"] = m[ROW].reindex(df["hhid"].to_numpy()).to_numpy()
        else:
            report.add_blocking(
                "missing_column",
                f"The sheet of table {name} has no link to the household sheet "
                f"(no {rt.parent_key or '_parent_index / PARENT_KEY'} or hhid column).",
                fix="Export the repeat sheets with their _parent_index (Kobo) or PARENT_KEY "
                "(ODK) column, or add an hhid column.",
                file=rt.file,
                sheet=rt.sheet,
                table=name,
            )
            found = pd.Series(False, index=df.index)
        _flag_orphans(df, found, name, rt, report, quarantine, link_by)
        tables[name] = df


def _flag_orphans(df, found, name, rt, report, quarantine, link_by) -> None:
    """Report and quarantine the repeat rows that link to no parent row."""
    orphan = ~found.to_numpy(dtype=bool)
    if orphan.any():
        link_col = PARENT if link_by == "parent" and PARENT in df.columns else "hhid"
        report.add(
            make_issues(
                df.loc[orphan, ROW].to_numpy(),
                table=name,
                column=rt.parent_key or "hhid",
                rule="repeat row links to an existing household",
                reason="orphan_row",
                severity="error",
                message="This row points to no household in the main sheet; quarantined.",
                fix="Check that the main sheet was exported completely (same export) or "
                "correct the parent key.",
                values=df.loc[orphan, link_col] if link_col in df else None,
                file=rt.file,
                sheet=rt.sheet,
            )
        )
        quarantine[name].add(orphan, "orphan_row")


def _split_quarantine(tables, meta, quarantine, report):
    """Move flagged rows aside; a quarantined household takes its repeat rows with it."""
    bad_hh_rows = set()
    if MAIN_TABLE in tables:
        main = tables[MAIN_TABLE]
        bad_hh_rows = set(main.loc[quarantine[MAIN_TABLE].mask, ROW].tolist())
    out = {}
    for name, df in tables.items():
        q = quarantine[name]
        if name != MAIN_TABLE and "__hh_row__" in df.columns and bad_hh_rows:
            takes = df["__hh_row__"].isin(bad_hh_rows).to_numpy() & q.alive
            if takes.any():
                rt = meta[name]
                report.add(
                    make_issues(
                        df.loc[takes, ROW].to_numpy(),
                        table=name,
                        column="",
                        rule="the household row is accepted",
                        reason="parent_quarantined",
                        severity="error",
                        message=pd.Series(
                            "Quarantined with its household (household row "
                            + df.loc[takes, "__hh_row__"].astype("Int64").astype("string")
                            + ")."
                        ),
                        fix="Fix the household row; its repeat rows come back with it.",
                        file=rt.file,
                        sheet=rt.sheet,
                    )
                )
                q.add(takes, "parent_quarantined")
        mask = q.mask
        qdf = df.loc[mask].copy()
        qdf.insert(0, "reasons", q.reasons())
        qdf.insert(0, "row", qdf.pop(ROW).to_numpy())
        qdf = qdf.drop(columns=[c for c in (OWN, PARENT, "__hh_row__") if c in qdf.columns])
        report.quarantine[name] = qdf.reset_index(drop=True)
        acc = df.loc[~mask]
        out[name] = acc.drop(columns=[c for c in ("__hh_row__",) if c in acc.columns])
    return out


#: Columns a quarantined row keeps: what identifies the record for the team (never shared,
#: see :mod:`gender_diag.report.side_files`) — never another answer.
QUARANTINE_KEYS = ("hhid", "line", "parcel", "_uuid", "_id", "_index", "_parent_index", "KEY")


def _withhold_sensitive(report: ValidationReport, form) -> None:
    """Default-deny quarantine: a quarantined row keeps its keys, reasons and offending columns.

    Quarantined rows and issue values are written beside the reports; no answer may leave
    that way (identifiers, free text, and the violence module — WHO 2001 — least of all), so
    each quarantined row is reduced to its source ``row``, its keys (:data:`QUARANTINE_KEYS`),
    ``reasons`` and ``columns`` (the columns its issues name), and issue values of sensitive
    questions — flagged, in a sensitive group or named like the violence module — are masked.
    """
    issues = report.issues
    for name, rows in report.quarantine.items():
        cols = pd.Series("", index=rows.index, dtype="object")
        if len(rows) and len(issues):
            mine = issues[(issues["table"] == name) & issues["column"].astype(bool)]
            named = (
                mine.groupby("row")["column"]
                .agg(lambda c: ";".join(dict.fromkeys(map(str, c))))
                .to_dict()
            )
            cols = rows["row"].map(named).astype("object").fillna("")
        keep = [c for c in ("row", *QUARANTINE_KEYS) if c in rows.columns]
        out = rows[keep].copy()
        out["reasons"] = rows["reasons"].to_numpy()
        out["columns"] = cols.to_numpy()
        report.quarantine[name] = out
    variables = form.variables if form is not None else None
    sensitive = privacy.sensitive_columns(variables)
    if len(issues):
        base = issues["column"].astype(str).str.split("__").str[0]
        hit = base.isin(sensitive) | base.str.match(privacy.SENSITIVE_NAME)
        # Whole-column assignment: the issue frame may hold read-only arrays after concat.
        issues["value"] = issues["value"].astype("object").where(~hit.to_numpy(), "[sensitive]")


#: A table with more than this share of its rows quarantined is not "valid": the accepted
#: rows are no longer the sample that was designed (a damaged or wrong file, or a zip bomb
#: of empty rows), and estimates from them would be silently biased.
MAX_QUARANTINED_SHARE = 0.5


def _nothing_left(report: ValidationReport, meta: dict) -> None:
    """A table whose rows were all — or mostly — quarantined cannot be analysed: blocking."""
    for name, n in report.rows_read.items():
        q = report.quarantine.get(name)
        if not n or q is None or not len(q):
            continue
        share = len(q) / n
        if share <= MAX_QUARANTINED_SHARE:
            continue
        reasons = q["reasons"].str.split(";").explode().value_counts()
        main = reasons.index[0]
        if main == "parent_quarantined":
            continue  # the household table says it already
        what = f"all {n} rows" if len(q) == n else f"{len(q)} of {n} rows ({share:.0%})"
        report.add_blocking(
            main,
            f"Table {name}: {what} were quarantined (mostly: {main}); "
            + (
                "nothing is left to analyse."
                if len(q) == n
                else "the accepted rows are no longer the designed sample."
            ),
            fix="See the issues of this table; fix the first one and read the file again.",
            file=meta[name].file,
            sheet=meta[name].sheet,
            table=name,
        )


def _one_sex(report: ValidationReport, tables: dict, meta: dict) -> None:
    """A table analysed by sex whose accepted rows are all women (or all men): blocking.

    Every indicator compares women and men; with one sex only, the first gap would fail deep
    inside the estimation with a message meant for programmers.
    """
    for name in ("members", "respondents"):
        df = tables.get(name)
        if df is None or "sex" not in df.columns or not len(df):
            continue
        sexes = set(pd.unique(df["sex"].dropna().astype(str))) & {"F", "M"}  # distinct only
        if len(sexes) != 1:
            continue
        only = {"F": "women", "M": "men"}[sexes.pop()]
        report.add_blocking(
            "invalid_code",
            f"Table {name}: every accepted row is about {only} (sex has one value); a gender "
            "diagnostic compares women and men, so there is no gap to estimate.",
            fix="Include the other sex's questionnaire (or roster), or check the sex codes "
            "(F/M, or the form's female/male choices).",
            file=meta[name].file if name in meta else "",
            sheet=meta[name].sheet if name in meta else "",
            table=name,
            column="sex",
        )


def _enrich_respondents(tables):
    """Copy sex, age, marital, education, literate, mother_tongue from the roster."""
    if "respondents" not in tables or "members" not in tables:
        return tables
    resp, mem = tables["respondents"], tables["members"]
    if not {"hhid", "line"} <= set(resp.columns) or not {"hhid", "line"} <= set(mem.columns):
        return tables
    fields = [c for c in ROSTER_FIELDS if c in mem.columns]
    roster = mem.drop_duplicates(["hhid", "line"])[["hhid", "line", *fields]]
    resp = resp.drop(columns=[c for c in fields if c in resp.columns])
    key = resp["line"]
    resp = resp.assign(__line__=pd.to_numeric(key, errors="coerce").astype("Float64"))
    roster = roster.assign(
        __line__=pd.to_numeric(roster["line"], errors="coerce").astype("Float64")
    ).drop(columns="line")
    merged = resp.merge(roster, on=["hhid", "__line__"], how="left", validate="many_to_one")
    tables["respondents"] = merged.drop(columns="__line__")
    return tables


def _merge_design(tables, design):
    cols = dict(weight=None, strata=None, psu=None, fpc=None, ssu=None, fpc2=None)
    main = tables.get(MAIN_TABLE, next(iter(tables.values())))
    if "district" in main.columns:
        cols["strata"] = "district"
    if "community" in main.columns:
        cols["psu"] = "community"
    if design is None:
        if "weight" in main.columns:
            cols["weight"] = "weight"
        return tables, cols
    # A community code may recur in several districts (PSU ids reused across strata): the
    # design row is then found by (district, community), never by the code alone, so two
    # communities are never given one community's weight.
    by_district = "district" in design.columns and design["district"].notna().all()
    # The strata may live in the design file only (a partner's form without a district):
    # the community code then identifies the design row and brings its district along.
    from_design = "district" not in main.columns and design["district"].notna().any()
    if from_design:
        cols["strata"] = "district"
    for name, df in tables.items():
        if "community" not in df.columns:
            continue
        keys = (
            ["district", "community"] if by_district and "district" in df.columns else ["community"]
        )
        extra = ["district"] if from_design and "district" not in df.columns else []
        add = design[[*keys, *extra, "weight", "fpc", "fpc2"]].drop_duplicates(keys)
        base = df.drop(columns=[c for c in ("weight", "fpc", "fpc2") if c in df.columns])
        merged = base.merge(add, on=keys, how="left", validate="many_to_one")
        merged.index = df.index
        tables[name] = merged
    cols.update(weight="weight", fpc="fpc")
    if design["fpc2"].notna().any():
        cols.update(ssu="hhid", fpc2="fpc2")
    return tables, cols


def _metadata(form, tables):
    if form is None:
        rows = []
        for name, df in tables.items():
            for c in df.columns:
                if c.startswith("__"):
                    continue
                typ = "decimal" if pd.api.types.is_numeric_dtype(df[c]) else "text"
                rows.append({"table": name, "name": c, "type": typ})
        v = pd.DataFrame(rows, columns=VARIABLE_COLUMNS)
        v["sensitive"] = False
        v["identifier"] = False
        return v, pd.DataFrame(columns=CHOICE_COLUMNS)
    v = form.variables.copy()
    for name, renames in TIDY_RENAMES.items():
        for old, new in renames.items():
            v.loc[(v["table"] == name) & (v["name"] == old), "name"] = new
    return v.reset_index(drop=True), form.choices.copy()
