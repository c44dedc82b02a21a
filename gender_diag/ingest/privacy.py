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

import contextlib
import contextvars
import functools
import hashlib
import hmac
import re
import secrets

import numpy as np
import pandas as pd

from gender_diag.ingest.distinct import text_codes
from gender_diag.ingest.report import ValidationReport, make_issues

#: Words that make a column (by its name or its label, in any language) an identifier,
#: by kind. Names are split into words on ``_``, spaces, punctuation and camelCase; a word also
#: counts when it *ends* a run-together name (``respondentname``, ``interviewername``).
IDENTIFIER_WORDS = {
    "name": {
        "name",
        "names",
        "fullname",
        "firstname",
        "lastname",
        "surname",
        "surnames",
        "nombre",
        "nombres",
        "apellido",
        "apellidos",
        "nom",
        "noms",
        "prenom",
        "prénom",
        "prenoms",
        "prénoms",
        "jefe_nombre",
    },
    "phone": {
        "phone",
        "phones",
        "phonenumber",
        "telephone",
        "téléphone",
        "telefono",
        "teléfono",
        "tel",
        "tél",
        "celular",
        "cel",
        "movil",
        "móvil",
        "cellphone",
        "whatsapp",
        "msisdn",
        "fono",
    },
    "id_number": {
        "dni",
        "cedula",
        "cédula",
        "passport",
        "pasaporte",
        "passeport",
        "cni",
        "curp",
        "rut",
        "ssn",
        "nin",
        "nid",
        "carnet",
        "ruc",
        "nationalid",
        "idnumber",
    },
    "gps": {
        "gps",
        "latitude",
        "longitude",
        "latitud",
        "longitud",
        "lat",
        "lon",
        "lng",
        "long",
        "altitude",
        "altitud",
        "geolocation",
        "geopoint",
        "geolocalizacion",
        "coord",
        "coords",
        "coordinates",
        "coordenadas",
        "coordonnees",
        "coordonnées",
        "utm",
    },
    "contact": {
        "email",
        "mail",
        "correo",
        "courriel",
        "address",
        "direccion",
        "dirección",
        "adresse",
        "domicilio",
    },
    "device": {
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "username",
        "submittedby",
        "submittername",
        "submitterid",
    },
    "staff": {
        "interviewer",
        "interviewers",
        "encuestador",
        "encuestadora",
        "enumerator",
        "enqueteur",
        "enquêteur",
        "enquetrice",
        "enquêtrice",
        "entrevistador",
        "entrevistadora",
    },
}
#: Run-together endings (``respondentname``, ``hhphone``) — only the unambiguous ones.
_SUFFIXES = ("name", "nombre", "phone", "telefono", "teléfono", "interviewer", "number_dni")
#: Words that turn an identifier word into an ordinary question (``has_dni``, ``phone_type``,
#: ``n_phones``, ``tiene_celular``, "¿Tiene DNI?", "Do you own a mobile phone?").
QUALIFIERS = {
    "has",
    "have",
    "having",
    "own",
    "owns",
    "owned",
    "use",
    "uses",
    "access",
    "type",
    "types",
    "kind",
    "tipo",
    "tiene",
    "tienen",
    "tenencia",
    "posee",
    "count",
    "n",
    "nb",
    "num",
    "many",
    "cuantos",
    "cuántos",
    "cuantas",
    "cuántas",
    "combien",
    "possede",
    "possède",
    "avez",
    "utilise",
    "usa",
    "usage",
    "know",
    "knows",
    "sabe",
    "does",
    "do",
    "did",
    "is",
    "are",
    "is_",
    "¿tiene",
    "¿cuántos",
    "¿cuántas",
    "ownership",
    "propiedad",
    "ever",
}
NOT_NAME_WORDS = {"instancename", "filename", "rename", "username_", "placename", "nombre_de"}
#: Column words that announce place names (which look like person names by value).
PLACE_WORDS = {
    "community",
    "comunidad",
    "communaute",
    "communauté",
    "village",
    "pueblo",
    "localidad",
    "district",
    "distrito",
    "province",
    "provincia",
    "region",
    "región",
    "departamento",
    "municipio",
    "commune",
    "caserio",
    "caserío",
    "anexo",
    "sector",
    "barrio",
    "place",
    "lugar",
    "site",
    "sitio",
}
#: Groups of the form whose questions are sensitive whatever their flags say (WHO 2001).
SENSITIVE_GROUP = re.compile(
    r"(?:violen|ipv|abuse|abus|maltrato|agresi|sexual|domestic_?violence|dv_|gbv|vbg)", re.I
)
SENSITIVE_NAME = re.compile(r"^(vio|ipv_exp|dv|gbv|vbg)_", re.I)
VALUE_PATTERNS = {
    "dni": r"\d{8}",
    "phone": r"(?:\+?\d{1,3}[\s-]?)?9\d{2}[\s-]?\d{3}[\s-]?\d{3}|\+\d[\d\s-]{7,15}\d",
    "coordinates": r"-?\d{1,3}\.\d{3,}[\s,;]+-?\d{1,3}\.\d{3,}(?:[\s,;]+-?\d+(?:\.\d+)?){0,2}",
    "email": r"[\w.+-]+@[\w-]+\.[\w.-]+",
}
_FULL = {k: re.compile(rf"^\s*{v}\s*$") for k, v in VALUE_PATTERNS.items()}
_LONG_NUMBER = r"(?!\d{4}-\d\d-\d\d)\+?\d(?:[\s-]?\d){7,}"
_ANY = re.compile(
    r"(?<![\w.@])(?:" + "|".join([*VALUE_PATTERNS.values(), _LONG_NUMBER]) + r")(?![\w@])"
)
_PERSON = re.compile(
    r"^\s*[A-ZÁÉÍÓÚÑÜÇÈÊ][a-záéíóúñüçèêëïôû'’-]+(?:\s+(?:de\s+|del\s+|la\s+)?"
    r"[A-ZÁÉÍÓÚÑÜÇÈÊ][a-záéíóúñüçèêëïôû'’-]+){1,4}\s*$"
)
_CODED = {"select_one", "select_multiple", "integer", "decimal", "calculate", "range", "rank"}
_SELECT = {"select_one", "select_multiple", "rank"}
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
    "_id",
    "_uuid",
    "_index",
    "_parent_index",
    "_parent_table_name",
    "_submission_time",
    "_validation_status",
    "_status",
    "_version",
    "__version__",
    "_tags",
    "_notes",
    "_xform_id_string",
    "_attachments",
    "_geolocation",
}
#: Export bookkeeping columns whose names look like identifiers but are not.
NOT_IDENTIFIERS = {"_parent_table_name", "instanceName", "meta/instanceName", "formhub/uuid"}
#: Columns that link records and are kept (pseudonymised when their values look personal).
KEEP = {"hhid"}

_SETTINGS: contextvars.ContextVar[dict] = contextvars.ContextVar("privacy_settings", default=None)


@contextlib.contextmanager
def settings(*, identifiers=(), key: str | None = None):
    """The run's privacy settings while ingest reads the data.

    ``identifiers`` are extra column names (``[privacy] identifiers``) dropped as direct
    identifiers whatever their type; ``key`` is the secret of the keyed pseudonyms
    (``[input] salt``). Readers take them from here so that every reader honours them.
    """
    token = _SETTINGS.set({"identifiers": tuple(identifiers), "key": key})
    try:
        yield
    finally:
        _SETTINGS.reset(token)


@functools.cache
def _run_key() -> str:
    """A random secret for this process, when no ``[input] salt`` is configured: pseudonyms
    then link records within the run and can never be reversed or matched across runs."""
    return secrets.token_hex(32)


def sensitive_columns(variables: pd.DataFrame | None, *, catalogue_variables=()) -> set[str]:
    """Names of the sensitive questions: flagged in the form, in a sensitive group, named like
    the violence module, or used by a sensitive indicator of the catalogue.

    An ordinary Kobo form has no ``bind::gd:sensitive`` column: the module (group) and the
    catalogue still mark its violence questions.

    >>> v = pd.DataFrame({"name": ["vio_physical", "age", "q7"], "sensitive": False,
    ...                   "group": ["", "", "modulo_violencia"]})
    >>> sorted(sensitive_columns(v))
    ['q7', 'vio_physical']
    """
    out = set(catalogue_variables)
    if variables is None or not len(variables):
        return out
    names = variables["name"].astype(str)
    flag = variables.get("sensitive", pd.Series(False, index=variables.index))
    hit = flag.fillna(False).astype(bool) | names.str.match(SENSITIVE_NAME)
    for col in ("group", "path"):
        if col in variables.columns:
            hit |= variables[col].fillna("").astype(str).str.contains(SENSITIVE_GROUP)
    return out | set(names[hit.to_numpy()])


def configured_identifiers() -> tuple[str, ...]:
    """Extra identifier columns of the current run (``[privacy] identifiers``)."""
    return tuple((_SETTINGS.get() or {}).get("identifiers", ()))


def pseudonym(values: pd.Series, salt: str) -> pd.Series:
    """Keyed pseudonym: HMAC-SHA256 of the value with the secret ``salt``, 16 hex characters.

    A plain ``sha256(salt + value)`` is open to a dictionary attack once the salt is known
    (every 8-digit DNI in minutes); the key of an HMAC is a secret that never leaves the
    configuration (RFC 2104). Missing stays missing.

    Examples
    --------
    >>> pseudonym(pd.Series(["12345678", None]), "s").tolist()
    ['3661dcfd7c1c1892', <NA>]
    """
    codes, uniq = text_codes(values)
    key = salt.encode("utf-8")
    # one HMAC per distinct value: a household id repeated on every roster line is keyed once
    digest = pd.array(
        [hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for v in uniq],
        dtype="string",
    )
    return pd.Series(digest.take(codes, allow_fill=True), index=values.index, name=values.name)


def _words(text: str) -> list[str]:
    """Lower-case words of a column name or label (``_``, punctuation and camelCase split)."""
    text = re.sub(r"([a-záéíóúñ])([A-Z])", r"\1 \2", str(text))
    return [w for w in re.split(r"[^\wáéíóúñüçèêëïôû¿]+|_", text.lower()) if w]


def identifier_word(text: str, *, label: bool = False) -> str | None:
    """The kind of identifier a column name (or label) names, or None.

    Examples
    --------
    >>> [identifier_word(c) for c in ["respondentname", "nombre_jefe", "telefono", "DNI",
    ...  "celular", "nom", "téléphone", "has_dni", "phone_type", "coord_x", "age"]]
    ['name', 'name', 'phone', 'id_number', 'phone', 'name', 'phone', None, None, 'gps', None]
    >>> identifier_word("¿Tiene DNI?", label=True), identifier_word("Número de DNI", label=True)
    (None, 'id_number')
    """
    raw = str(text)
    if raw in NOT_IDENTIFIERS:
        return None
    words = _words(raw.split("/")[-1] if not label else raw)
    if any(w.lstrip("¿") in QUALIFIERS for w in words):
        return None
    if not label and "".join(words) in {"n", ""}:
        return None
    for w in words:
        for kind, vocab in IDENTIFIER_WORDS.items():
            if w in vocab:
                return kind
    if not label:
        joined = "".join(words)
        if joined in NOT_NAME_WORDS or any(w in NOT_NAME_WORDS for w in words):
            return None
        for w in [*words, joined]:
            for suffix in _SUFFIXES:
                if len(w) > len(suffix) and w.endswith(suffix):
                    return {
                        "nombre": "name",
                        "telefono": "phone",
                        "teléfono": "phone",
                        "interviewer": "staff",
                        "number_dni": "id_number",
                    }.get(suffix, "phone" if suffix == "phone" else "name")
            for kind, vocab in IDENTIFIER_WORDS.items():
                if joined in vocab or joined.lstrip("_") in vocab:
                    return kind
    return None


def _form_info(form, table):
    if form is None:
        return {}, set(), {}
    tv = form.table_vars(table)
    types = dict(zip(tv["name"], tv["type"], strict=True))
    flagged = set(tv.loc[tv["identifier"].astype(bool), "name"])
    label_cols = [c for c in tv.columns if str(c).startswith("label")]
    labels = {
        name: " | ".join(str(v) for v in row if isinstance(v, str))
        for name, row in zip(tv["name"], tv[label_cols].itertuples(index=False), strict=True)
    }
    return types, flagged, labels


def _form_types(form, table):
    types, flagged, _ = _form_info(form, table)
    return types, flagged


def _plausible(kind: str, s: pd.Series, typ: str | None) -> bool:
    """Whether the values of a column named like an identifier can be one.

    A person's name is text, not a number (French ``nombre`` means *number*); phone and ID
    numbers are long; a yes/no answer or a choice code never is. Computed on the distinct
    values, each weighted by its number of rows.
    """
    vals = s.dropna()
    if not len(vals):
        return True  # an empty identifier column is dropped all the same
    codes, uniq = text_codes(vals)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
    if _is_coded_text(uniq):
        return False
    numeric = pd.to_numeric(uniq.str.replace(r"[\s+-]", "", regex=True), errors="coerce")
    is_num = numeric.notna().to_numpy(dtype=bool)
    share_num = _share(counts, is_num)
    if kind == "name":
        # a select_one/multiple answer is a choice code (``crop_name`` = maize), never a name
        return typ not in _SELECT and share_num < SHARE_THRESHOLD
    if kind in ("phone", "id_number"):
        if typ in _SELECT:
            return False
        if share_num >= SHARE_THRESHOLD:
            long = (numeric[is_num].abs() >= 1e4).to_numpy(dtype=bool)
            return bool(_share(counts[is_num], long) >= SHARE_THRESHOLD)
        return True
    if kind == "gps":
        return typ not in _SELECT
    return not (typ in _SELECT and kind == "contact")


def _share(counts: np.ndarray, hit: np.ndarray) -> float:
    """Share of the rows whose distinct value is ``hit`` (``counts`` rows per value): the
    ``mean()`` of the row-wise flags, k / n exactly."""
    n = int(counts.sum())
    return float(int(counts[hit].sum()) / n) if n else float("nan")


def find_identifiers(
    tables: dict[str, pd.DataFrame], *, form=None, extra: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Identifier columns of every table: table, column, detected_by.

    Every column is examined — coded, numeric, not in the form, unknown — by four tests in
    turn: the configuration's list (``[privacy] identifiers``; ``extra``), the form's flag and
    geo types, the words of its name and of its labels in every language of the form (see
    :data:`IDENTIFIER_WORDS`; a qualifier such as ``has_`` or "¿Tiene …?" makes it an
    ordinary question), and its values (a majority of DNI-like, phone-like, coordinate or
    e-mail values, long distinct integers, or person names).

    Examples
    --------
    >>> t = {"households": pd.DataFrame({"hhid": ["H1", "H2"], "tel": ["987654321", "912345678"],
    ...                                 "nombre_jefe": ["Ana", "Luis"], "has_dni": ["yes", "no"]})}
    >>> find_identifiers(t)[["column", "detected_by"]].to_dict("records")
    [{'column': 'tel', 'detected_by': 'name:phone'}, {'column': 'nombre_jefe', 'detected_by': 'name:name'}]
    """
    extra = set(configured_identifiers() if extra is None else extra)
    rows = []
    for name, df in tables.items():
        types, flagged, labels = _form_info(form, name)
        for col in df.columns:
            if col in INTERNAL or col in KEEP or col in NOT_IDENTIFIERS or col in EXPORT_META:
                continue
            base = col.split("__")[0]
            if col in extra or base in extra or f"{name}.{col}" in extra:
                rows.append((name, col, "configuration"))
                continue
            if base in flagged:
                rows.append((name, col, "form"))
                continue
            typ = types.get(base)
            s = df[col]
            kind = identifier_word(col) or identifier_word(col.lstrip("_"))
            if kind and _plausible(kind, s, typ):
                rows.append((name, col, f"name:{kind}"))
                continue
            lab = labels.get(base)
            kind = identifier_word(lab, label=True) if lab else None
            if kind and _plausible(kind, s, typ):
                rows.append((name, col, f"label:{kind}"))
                continue
            by = _value_kind(s)
            if by == "person_name" and PLACE_WORDS & set(_words(col)):
                by = None  # "Pampa Ñaña" is a community, not a person
            if by:
                rows.append((name, col, f"value:{by}"))
    return pd.DataFrame(rows, columns=["table", "column", "detected_by"])


_CODED_WORDS = frozenset({"yes", "no", "si", "sí", "oui", "non", "1", "0", "true", "false", "dk"})


def _is_coded_text(uniq: pd.Series) -> bool:
    """Whether every distinct (non-missing) text is a yes/no style answer."""
    return bool(uniq.str.strip().str.lower().isin(_CODED_WORDS).all())


def _is_coded_values(s: pd.Series) -> bool:
    """Yes/no style columns are answers, not identifiers (e.g. ``has_dni``)."""
    vals = s.dropna()
    if not len(vals):
        return False
    return _is_coded_text(text_codes(vals)[1])


#: Rows a column's value scan looks at (a random sample, the same on every run).
SAMPLE = 2000


@functools.lru_cache(maxsize=16)
def _sample_positions(n: int) -> np.ndarray:
    """The rows ``Series.sample(SAMPLE, random_state=0)`` takes out of ``n``.

    pandas draws them as ``RandomState(0).choice(n, SAMPLE, replace=False)``, a permutation
    of all ``n`` rows: cached, since every column of a table without gaps has the same ``n``.
    """
    pos = np.random.RandomState(0).choice(n, size=SAMPLE, replace=False).astype(np.intp)
    pos.flags.writeable = False
    return pos


def _sampled(s: pd.Series) -> pd.Series:
    """``s.dropna().sample(SAMPLE, random_state=0)`` when longer than SAMPLE, else
    ``s.dropna()``."""
    present = np.flatnonzero(s.notna().to_numpy(dtype=bool))
    if len(present) > SAMPLE:
        present = present[_sample_positions(len(present))]
    return s.take(present)


def _value_kind(s: pd.Series) -> str | None:
    """The kind of identifier a majority of a column's values look like, or None.

    Looks at a fixed random sample of SAMPLE present values; the text patterns are matched
    once per distinct value and weighted by its number of rows.
    """
    if pd.api.types.is_bool_dtype(s):
        return None  # yes/no answers (empty or not)
    vals = _sampled(s)
    if not len(vals):
        return None
    if pd.api.types.is_numeric_dtype(vals):
        x = pd.to_numeric(vals, errors="coerce").dropna()
        if not len(x) or not (x % 1 == 0).all():
            return None
        if ((x >= 1e7) & (x < 1e8)).mean() >= SHARE_THRESHOLD:
            return "dni"
        if ((x >= 9e8) & (x < 1e9)).mean() >= SHARE_THRESHOLD:
            return "phone"
        # long numbers, nearly all different: an ID or phone number in any country
        if (x.abs() >= 1e6).mean() >= SHARE_THRESHOLD and x.nunique() >= 0.9 * len(x) > 1:
            return "long_number"
        return None
    codes, txt = text_codes(vals)
    counts = np.bincount(codes[codes >= 0], minlength=len(txt))
    n = int(counts.sum())
    for kind, pat in _FULL.items():
        if _share(counts, _flags(txt.str.match(pat))) >= SHARE_THRESHOLD:
            return kind
    digits = _flags(txt.str.fullmatch(r"\s*" + _LONG_NUMBER + r"\s*"))
    # distinct values are distinct texts: their number is the nunique() of the rows
    if _share(counts, digits) >= SHARE_THRESHOLD and digits.sum() >= 0.9 * counts[digits].sum() > 1:
        return "long_number"
    person = _flags(txt.str.match(_PERSON))
    if (
        n >= 3
        and _share(counts, person) >= SHARE_THRESHOLD
        and person.sum() >= 0.8 * counts[person].sum()
    ):
        return "person_name"
    return None


def _flags(hit: pd.Series) -> np.ndarray:
    return hit.fillna(False).to_numpy(dtype=bool)


def redact_text(values: pd.Series) -> tuple[pd.Series, int]:
    """Replace identifier-like substrings (phones, ID numbers, e-mails, coordinates, any run
    of 8+ digits) by ``[redacted]``; returns the new values and how many were changed.

    Each distinct text is searched and rewritten once, and mapped back to its rows.

    >>> redact_text(pd.Series(["llamar al tel 987654329", "ok", None]))[0].tolist()
    ['llamar al tel [redacted]', 'ok', <NA>]
    """
    codes, uniq = text_codes(values)
    hit = _flags(uniq.str.contains(_ANY, regex=True))
    rows = np.bincount(codes[codes >= 0], minlength=len(uniq))
    hits = int(rows[hit].sum())
    if not hits:
        return values, 0
    new = uniq.str.replace(_ANY, "[redacted]", regex=True)
    out = new.array.take(codes, allow_fill=True)
    return pd.Series(out, index=values.index, name=values.name, dtype="string"), hits


def _is_free_text(s: pd.Series, typ: str | None) -> bool:
    """Text answers that are not choice codes: typed text, unknown columns, extra columns."""
    if typ in _CODED or typ in {"date", "datetime", "time", "start", "end", "today"}:
        return False
    if isinstance(s.dtype, pd.CategoricalDtype):  # text stored as categories is text too
        return pd.api.types.is_string_dtype(s.cat.categories) or s.cat.categories.dtype == object
    return bool(pd.api.types.is_string_dtype(s) or s.dtype == object)


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

    Every text column that is not a coded answer is scanned for identifier-like substrings —
    the form's ``text`` questions, columns not in the form and columns of unknown type alike
    (a phone typed in an ``obs`` column added after the form).
    """
    out = {}
    actions = []
    key = salt or (_SETTINGS.get() or {}).get("key")
    for name, df in tables.items():
        types, _ = _form_types(form, name)
        mine = ids[ids["table"] == name]
        drop, pseudo = [], {}
        for col, by in zip(mine["column"], mine["detected_by"], strict=True):
            if key and col in set(pseudonymise):
                pseudo[col] = pseudonym(df[col], key)
                actions.append((name, col, "pseudonymised", by))
            else:
                drop.append(col)
                actions.append((name, col, "dropped", by))
        df = df.drop(columns=drop)
        for col, val in pseudo.items():
            df[col] = val
        # a linking id that is itself personal (a DNI or phone as household id) is keyed
        for col in KEEP & set(df.columns):
            kind = _value_kind(df[col])
            if kind:
                df[col] = pseudonym(df[col], key or _run_key())
                actions.append((name, col, "pseudonymised", f"value:{kind}"))
        # free text left: redact identifier-looking substrings (a phone typed in a comment)
        for col in df.columns:
            if col in INTERNAL or col in pseudo or col in KEEP or col in EXPORT_META:
                continue
            if col.startswith("_"):
                continue
            if not _is_free_text(df[col], types.get(col.split("__")[0])):
                continue
            new, hits = redact_text(df[col])
            if hits:
                df[col] = new
                actions.append((name, col, f"redacted in {hits} rows", "value"))
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
    # only the columns the classes are made of: the roster has a hundred more
    keep = [c for c in ("hhid", "age", *quasi) if c in members.columns]
    frame = members[list(dict.fromkeys(keep))]
    if households is not None and "hhid" in frame.columns and "hhid" in households.columns:
        extra = [c for c in ("community", "hh_size") if c in households.columns]
        extra = [c for c in extra if c not in members.columns]
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
