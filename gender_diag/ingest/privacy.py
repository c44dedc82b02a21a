"""Privacy at the door: direct identifiers never leave ingest.

Identifier columns are recognised

* from the form: ``bind::gd:identifier = true`` and the types geopoint/geotrace/geoshape;
* by name: ``name``, ``nombre``, ``apellido``, ``phone``, ``telefono``, ``celular``, ``dni``,
  ``gps``, ``email``, ``correo``, ``latitude``/``longitude``, ``address``/``direccion``,
  device ids, enumerator user names (free-text or unknown-type columns only, so that a coded
  question such as ``has_dni`` is kept);
* by value: in text columns, a majority of values that are 8-digit DNI numbers, 9-digit
  Peruvian mobile numbers starting with 9 (optionally +51), coordinates or e-mail addresses.

They are **dropped**, or — for ids that must still link records (``pseudonymise=``, only when
a ``salt`` is given) — replaced by a salted pseudonym ``sha256(salt + value)[:16]``.
Identifier-like substrings inside other free-text answers are redacted. Every column removed
is listed in ``report.identifiers`` and as an ``identifier_removed`` info issue.

Indirect identification is measured too: :func:`k_anonymity` counts the roster members whose
combination of quasi-identifiers (community, age band, sex, household size, mother tongue) is
shared by fewer than *k* people — the records that would be re-identifiable if microdata were
ever shared (methods §5; Sweeney 2002, Int. J. Uncertainty, Fuzziness and Knowledge-Based
Systems 10(5): 557-570). gender_diag itself never exports microdata.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from gender_diag.ingest.report import ValidationReport, make_issues

NAME_PATTERN = re.compile(
    r"(^|[_\W])(name|names|nombre|nombres|apellido|apellidos|phone|phonenumber|telefono|"
    r"teléfono|celular|cel|movil|móvil|dni|gps|email|e_mail|correo|latitude|longitude|lat|lon|"
    r"lng|altitude|geolocation|address|direccion|dirección|deviceid|imei|subscriberid|"
    r"simserial|username|submitted_by|submittername|submitterid|interviewer|encuestador|"
    r"enumerator)($|[_\W])",
    re.IGNORECASE,
)
VALUE_PATTERNS = {
    "dni": r"\d{8}",
    "phone": r"(?:\+?51[\s-]?)?9\d{2}[\s-]?\d{3}[\s-]?\d{3}",
    "coordinates": r"-?\d{1,3}\.\d{3,}[\s,;]+-?\d{1,3}\.\d{3,}(?:[\s,;]+-?\d+(?:\.\d+)?){0,2}",
    "email": r"[\w.+-]+@[\w-]+\.[\w.-]+",
}
_FULL = {k: re.compile(rf"^\s*{v}\s*$") for k, v in VALUE_PATTERNS.items()}
_ANY = re.compile(r"(?<![\w.@])(?:" + "|".join(VALUE_PATTERNS.values()) + r")(?![\w@])")
_CODED = {"select_one", "select_multiple", "integer", "decimal", "calculate", "range"}
SHARE_THRESHOLD = 0.5
INTERNAL = {"__row__", "__key__", "__parent__", "__hh_row__"}
#: Export bookkeeping columns (never free text).
EXPORT_META = {
    "KEY",
    "PARENT_KEY",
    "SubmissionDate",
    "instanceID",
    "instanceName",
    "Status",
    "ReviewState",
    "FormVersion",
    "Edits",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "start",
    "end",
    "today",
}
#: Export bookkeeping columns whose names look like identifiers but are not.
NOT_IDENTIFIERS = {"_parent_table_name", "instanceName", "meta/instanceName", "formhub/uuid"}


def pseudonym(values: pd.Series, salt: str) -> pd.Series:
    """Salted sha256 pseudonym (16 hex characters); missing stays missing.

    Examples
    --------
    >>> pseudonym(pd.Series(["12345678", None]), "s").tolist()
    ['625895fc35fb2c93', <NA>]
    """
    s = values.astype("string")
    out = s.map(
        lambda v: hashlib.sha256((salt + v).encode("utf-8")).hexdigest()[:16],
        na_action="ignore",
    )
    return out.astype("string")


def _form_types(form, table):
    if form is None:
        return {}, set()
    tv = form.table_vars(table)
    types = dict(zip(tv["name"], tv["type"], strict=True))
    flagged = set(tv.loc[tv["identifier"].astype(bool), "name"])
    return types, flagged


def find_identifiers(tables: dict[str, pd.DataFrame], *, form=None) -> pd.DataFrame:
    """Identifier columns of every table: table, column, detected_by.

    Examples
    --------
    >>> t = {"households": pd.DataFrame({"hhid": ["H1", "H2"], "tel": ["987654321", "912345678"],
    ...                                 "nombre_jefe": ["Ana", "Luis"], "has_dni": ["yes", "no"]})}
    >>> find_identifiers(t)[["column", "detected_by"]].to_dict("records")
    [{'column': 'tel', 'detected_by': 'value:phone'}, {'column': 'nombre_jefe', 'detected_by': 'name'}]
    """
    rows = []
    for name, df in tables.items():
        types, flagged = _form_types(form, name)
        for col in df.columns:
            if col in INTERNAL or col == "hhid" or col in NOT_IDENTIFIERS:
                continue
            base = col.split("__")[0]
            typ = types.get(base)
            if base in flagged:
                rows.append((name, col, "form"))
                continue
            if typ in _CODED:
                continue
            s = df[col]
            if (
                NAME_PATTERN.search(col) or NAME_PATTERN.search(col.lstrip("_"))
            ) and not _is_coded_values(s):
                rows.append((name, col, "name"))
                continue
            by = _value_kind(s)
            if by:
                rows.append((name, col, f"value:{by}"))
    return pd.DataFrame(rows, columns=["table", "column", "detected_by"])


def _is_coded_values(s: pd.Series) -> bool:
    """Yes/no style columns are answers, not identifiers (e.g. ``has_dni``)."""
    vals = s.dropna().astype("string").str.strip().str.lower()
    if not len(vals):
        return False
    return bool(vals.isin({"yes", "no", "si", "sí", "1", "0", "true", "false", "dk"}).all())


def _value_kind(s: pd.Series) -> str | None:
    vals = s.dropna()
    if not len(vals):
        return None
    if len(vals) > 2000:
        vals = vals.sample(2000, random_state=0)
    if pd.api.types.is_numeric_dtype(vals):
        x = pd.to_numeric(vals, errors="coerce").dropna()
        if not len(x) or not (x % 1 == 0).all():
            return None
        if ((x >= 1e7) & (x < 1e8)).mean() >= SHARE_THRESHOLD:
            return "dni"
        if ((x >= 9e8) & (x < 1e9)).mean() >= SHARE_THRESHOLD:
            return "phone"
        return None
    txt = vals.astype("string")
    for kind, pat in _FULL.items():
        if txt.str.match(pat).fillna(False).mean() >= SHARE_THRESHOLD:
            return kind
    return None


def apply(
    tables: dict[str, pd.DataFrame],
    ids: pd.DataFrame,
    *,
    salt: str | None,
    pseudonymise=("dni_number",),
    report: ValidationReport,
    form=None,
) -> dict[str, pd.DataFrame]:
    """Drop (or pseudonymise) identifier columns and redact identifiers inside free text.

    Only free-text columns are scanned for identifier-like substrings: the form's ``text``
    questions, or every text column when there is no form (coded answers cannot hold one).
    """
    out = {}
    actions = []
    for name, df in tables.items():
        types, _ = _form_types(form, name)
        mine = ids[ids["table"] == name]
        drop, pseudo = [], {}
        for col, by in zip(mine["column"], mine["detected_by"], strict=True):
            if salt is not None and col in set(pseudonymise):
                pseudo[col] = pseudonym(df[col], salt)
                actions.append((name, col, "pseudonymised", by))
            else:
                drop.append(col)
                actions.append((name, col, "dropped", by))
        df = df.drop(columns=drop)
        for col, val in pseudo.items():
            df[col] = val
        # free text left: redact identifier-looking substrings (a phone typed in a comment)
        for col in df.columns:
            if col in INTERNAL or col in pseudo or col == "hhid" or col.startswith("_"):
                continue
            if form is not None and types.get(col.split("__")[0]) != "text":
                continue  # coded answers and export bookkeeping (KEY, dates) hold no free text
            if col in EXPORT_META:
                continue
            s = df[col]
            if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
                continue
            txt = s.astype("string")
            hit = txt.str.contains(_ANY, regex=True).fillna(False)
            if hit.any():
                df[col] = txt.str.replace(_ANY, "[redacted]", regex=True)
                actions.append((name, col, f"redacted in {int(hit.sum())} rows", "value"))
        out[name] = df
    ident = pd.DataFrame(actions, columns=["table", "column", "action", "detected_by"])
    report.identifiers = ident
    if len(ident):
        report.add(
            make_issues(
                np.ones(len(ident), dtype="int64"),
                table=ident["table"].tolist(),
                column=ident["column"].tolist(),
                rule="direct identifiers never leave ingest",
                reason="identifier_removed",
                severity="info",
                message=(
                    "Identifier column "
                    + ident["table"]
                    + "."
                    + ident["column"]
                    + " "
                    + ident["action"]
                    + " (detected by "
                    + ident["detected_by"]
                    + ")."
                ).to_numpy(),
                fix="Nothing to do: identifiers are removed on purpose.",
                values=ident["column"],
            )
        )
    return out


#: Quasi-identifiers of the roster checked for k-anonymity (methods §5).
QUASI_IDENTIFIERS = ("community", "age_band", "sex", "hh_size", "mother_tongue")


def k_anonymity(
    members: pd.DataFrame,
    households: pd.DataFrame | None = None,
    *,
    k: int = 5,
    quasi: tuple[str, ...] = QUASI_IDENTIFIERS,
) -> pd.DataFrame:
    """Equivalence classes of the quasi-identifiers that hold fewer than ``k`` people.

    Parameters
    ----------
    members : DataFrame
        The roster (``hhid``, ``age``, ``sex``, ``mother_tongue``, …).
    households : DataFrame, optional
        Gives ``community`` and ``hh_size`` by ``hhid`` when the roster lacks them.
    k : int
        Smallest acceptable class size (5 by default, as the cell threshold).
    quasi : tuple of str
        Quasi-identifiers; ``age_band`` is made from ``age`` in 10-year bands. Those absent
        from the data are left out.

    Returns
    -------
    DataFrame
        One row per class smaller than ``k``: the quasi-identifier values and ``size``.

    Examples
    --------
    >>> m = pd.DataFrame({"hhid": [1, 1, 2, 2, 3], "age": [30, 32, 35, 61, 38],
    ...                   "sex": ["F", "F", "F", "M", "F"], "community": "c1"})
    >>> k_anonymity(m, k=2)[["age_band", "sex", "size"]].values.tolist()
    [['60-69', 'M', 1]]
    """
    frame = members.copy()
    if households is not None and "hhid" in frame.columns and "hhid" in households.columns:
        extra = [c for c in ("community", "hh_size") if c in households.columns]
        extra = [c for c in extra if c not in frame.columns]
        if extra:
            frame = frame.merge(households[["hhid", *extra]], on="hhid", how="left")
    if "age_band" in quasi and "age" in frame.columns:
        age = pd.to_numeric(frame["age"], errors="coerce")
        low = (age // 10 * 10).astype("Int64")
        frame["age_band"] = (low.astype("string") + "-" + (low + 9).astype("string")).astype(object)
    cols = [c for c in quasi if c in frame.columns]
    if not cols:
        return pd.DataFrame(columns=["size"])
    sizes = frame.groupby(cols, dropna=False, observed=True).size().rename("size")
    return sizes[sizes < k].reset_index()


def check_k_anonymity(tables: dict[str, pd.DataFrame], report: ValidationReport, *, k: int = 5):
    """Report, as one info issue, how many roster members are rare on their quasi-identifiers."""
    members = tables.get("members")
    if members is None or not len(members):
        return
    rare = k_anonymity(members, tables.get("households"), k=k)
    people = int(rare["size"].sum()) if len(rare) else 0
    if not people:
        return
    share = people / len(members)
    cols = [c for c in rare.columns if c != "size"]
    report.add(
        make_issues(
            [0],
            table="members",
            column="",
            rule=f"k-anonymity (k = {k}) on {', '.join(cols)}",
            reason="k_anonymity",
            severity="info",
            message=(
                f"{people} roster members ({share:.0%}) fall in {len(rare)} groups of fewer "
                f"than {k} people on {', '.join(cols)}: they could be re-identified from "
                "microdata. gender_diag publishes aggregates only."
            ),
            fix="Never share the microdata as is; coarsen age and community or remove "
            "household size before any data sharing.",
        )
    )
