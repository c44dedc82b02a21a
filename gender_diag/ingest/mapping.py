"""Where gender_diag's concepts live in a partner's own form: the ``[mapping]`` section.

gender_diag's stages read canonical tidy tables (``households`` keyed by ``hhid``, ``members``
with ``sex`` coded ``F``/``M``, ``respondents``, docs/contracts.md §2). A partner's Kobo/ODK form
names these things its own way (``householdID``, a roster repeat ``hh_pop_repeat`` with
``person_gender`` coded ``female``/``male``, one respondent per household on the main sheet). The
mapping is data a gender team writes by hand::

    [mapping]
    household_id = "householdID"
    district = "region"
    community = "village"
    form_version = "check"          # check | warn | ignore
    [mapping.members]
    table = "hh_pop_repeat"         # repeat name, sheet name, or "none"
    line = "hh_pop_rep_num"
    sex = "person_gender"
    age = "person_age"
    head = "head_person == 'Y'"     # a rule in the safe rule language
    [mapping.respondents]
    table = "main"                  # one respondent per household on the main sheet
    sex = "respondentsex"
    [mapping.sex_codes]
    female = ["female", "2"]
    male = ["male", "1"]
    [mapping.tables]
    crops = "crop_repeat"

This module (1) validates the section on load (:func:`parse_mapping`, every problem at once),
(2) renames the form's repeats and fields to the canonical names (:func:`map_form`), so that
ingest reads the export as if it came from the bundled instrument, (3) checks every mapped
name against the form and the export (:func:`check_mapping`) and (4) finishes the tidy tables
(:func:`finish_tables`: sex recoded to ``F``/``M`` with every other value reported by row,
the household head from the rule, respondents from the main sheet). Names may carry their
Kobo group path (``hh/householdID``): only the last segment counts, as in the tidy tables.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.errors import ConfigError, RuleError

__all__ = [
    "MEMBERS",
    "RESPONDENTS",
    "SurveyMapping",
    "check_mapping",
    "finish_tables",
    "load_mapping",
    "map_form",
    "parse_mapping",
]

MEMBERS, RESPONDENTS, MAIN = "members", "respondents", "households"
FORM_VERSION = ("check", "warn", "ignore")
#: Canonical table names a ``[mapping.tables]`` unit may not take (they have their own keys).
_RESERVED_UNITS = {MAIN, MEMBERS, RESPONDENTS}
_UNIT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TOP = ("household_id", "district", "community", "form_version")
_SUB = {
    "members": ("table", "line", "sex", "age", "head"),
    "respondents": ("table", "sex", "line"),
    "sex_codes": ("female", "male"),
    "tables": None,  # any unit name
}
#: Column the head rule marks in the members table.
HEAD_COLUMN = "is_head"


def _last(name: str) -> str:
    """Tidy name of a mapped field: the last segment of a Kobo group path."""
    return str(name).strip().strip("/").split("/")[-1].strip()


def _code(value: Any) -> str:
    """A sex code as text (``2``, ``2.0`` and ``'2'`` are the same code), case-folded."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().casefold()


@dataclass(frozen=True)
class SurveyMapping:
    """A validated ``[mapping]`` section (see the module docstring for the keys).

    Empty strings mean "not mapped": the canonical name is used as it is (``hhid``,
    ``district``, ...), as in the bundled instrument. ``members_table == "none"`` says the
    survey has no roster; ``respondents_table == "main"`` says the individual module is on
    the main sheet (one respondent per household).
    """

    household_id: str = ""
    district: str = ""
    community: str = ""
    form_version: str = "check"
    members_table: str = ""
    members_line: str = ""
    members_sex: str = ""
    members_age: str = ""
    members_head: str = ""
    respondents_table: str = ""
    respondents_sex: str = ""
    respondents_line: str = ""
    female: tuple[str, ...] = ("F",)
    male: tuple[str, ...] = ("M",)
    tables: dict[str, str] = field(default_factory=dict)
    source: str = "[mapping]"

    # -- derived views ----------------------------------------------------------------
    def repeat_tables(self) -> dict[str, str]:
        """Repeat (or sheet) name → canonical table name."""
        out = {}
        if self.members_table and self.members_table.lower() != "none":
            out[self.members_table] = MEMBERS
        if self.respondents_table and self.respondents_table.lower() not in ("main", "none"):
            out[self.respondents_table] = RESPONDENTS
        for unit, rep in self.tables.items():
            out[rep] = unit
        return out

    def column_renames(self) -> dict[str, dict[str, str]]:
        """Canonical table → {source column → canonical column}."""
        main = {
            self.household_id: "hhid",
            self.district: "district",
            self.community: "community",
        }
        mem = {self.members_line: "line", self.members_sex: "sex", self.members_age: "age"}
        resp = {self.respondents_line: "line", self.respondents_sex: "sex"}
        out = {MAIN: main, MEMBERS: mem}
        if self.respondents_table.lower() != "main":
            out[RESPONDENTS] = resp
        return {t: {s: c for s, c in m.items() if s and s != c} for t, m in out.items()}

    @property
    def no_members(self) -> bool:
        return self.members_table.lower() == "none"

    @property
    def respondents_on_main(self) -> bool:
        return self.respondents_table.lower() == "main"

    def sex_of(self, code: Any) -> str | None:
        """``'F'``, ``'M'`` or None for one answer (code or label).

        Examples
        --------
        >>> m = SurveyMapping(female=("female", "2"), male=("male", "1"))
        >>> m.sex_of("Female"), m.sex_of(1), m.sex_of(2.0), m.sex_of("other")
        ('F', 'M', 'F', None)
        """
        c = _code(code)
        if c in {_code(v) for v in self.female}:
            return "F"
        if c in {_code(v) for v in self.male}:
            return "M"
        return None


# -- 1. validation on load ------------------------------------------------------------


def _close(name: str, options) -> str:
    hit = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {hit[0]!r}?)" if hit else ""


def parse_mapping(raw: dict | None, *, source: str = "[mapping]") -> tuple[SurveyMapping, list]:
    """Check a parsed ``[mapping]`` table; return the mapping and the list of problems.

    Each problem is one sentence naming the key, what was found and what to write instead;
    :func:`load_mapping` and :func:`gender_diag.config.validate_config` raise them together.

    Examples
    --------
    >>> m, problems = parse_mapping({"household_id": "hh/householdID",
    ...     "members": {"table": "hh_pop_repeat", "sex": "person_gender", "head": "rel == 'head'"},
    ...     "sex_codes": {"female": ["female", 2], "male": ["male", 1]}})
    >>> m.household_id, m.members_sex, m.female, problems
    ('householdID', 'person_gender', ('female', '2'), [])
    >>> _, problems = parse_mapping({"househld_id": "x", "form_version": "maybe",
    ...     "members": {"head": "relation = 'head'"}})
    >>> for p in problems: print(p)  # doctest: +ELLIPSIS
    [mapping] unknown key 'househld_id' (did you mean 'household_id'?). Fix: use one of household_id, district, community, form_version, members, respondents, sex_codes, tables.
    [mapping] form_version: 'maybe' is not allowed. Fix: use one of 'check', 'warn', 'ignore'.
    [mapping.members] head: the rule "relation = 'head'" cannot be read (bad syntax ...). Fix: write a condition such as relation == 'head'.
    """
    raw = dict(raw or {})
    problems: list[str] = []
    _unknown_keys("[mapping]", raw, [*_TOP, *_SUB], problems)
    subs: dict[str, dict] = {}
    for sub, keys in _SUB.items():
        given = raw.get(sub, {})
        if not isinstance(given, dict):
            problems.append(
                f"[mapping.{sub}] must be a table (a [mapping.{sub}] header with keys)."
            )
            given = {}
        if keys is not None:
            _unknown_keys(f"[mapping.{sub}]", given, keys, problems)
        subs[sub] = given
    vals = {key: _text("", key, raw.get(key), problems) for key in _TOP}
    vals["form_version"] = _form_version(vals["form_version"], problems)
    for prefix in ("members", "respondents"):
        for k in _SUB[prefix]:
            v = _text(prefix, k, subs[prefix].get(k), problems)
            vals[f"{prefix}_{k}"] = v if k == "head" else (_last(v) if v else "")
    for key in ("household_id", "district", "community"):
        vals[key] = _last(vals[key]) if vals[key] else ""
    _check_people(vals, problems)
    codes = _sex_codes(subs["sex_codes"], problems)
    tables = _unit_tables(subs["tables"], vals, problems)
    mapping = SurveyMapping(
        **{k: v for k, v in vals.items() if k in SurveyMapping.__dataclass_fields__},
        female=codes["female"],
        male=codes["male"],
        tables=tables,
        source=source,
    )
    return mapping, problems


def _unknown_keys(where: str, given: dict, allowed, problems: list) -> None:
    for key in given:
        if key not in allowed:
            problems.append(
                f"{where} unknown key {key!r}{_close(key, allowed)}. Fix: use one of "
                + ", ".join(allowed)
                + "."
            )


def _text(section: str, key: str, value: Any, problems: list) -> str:
    """A mapped name (text; a number is read as text), '' when absent."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        where = f"[mapping{'.' + section if section else ''}] {key}"
        problems.append(f'{where}: expected a name in quotes, got {value!r}. Fix: {key} = "...".')
        return ""
    return str(value).strip()


def _form_version(value: str, problems: list) -> str:
    value = value or "check"
    if value in FORM_VERSION:
        return value
    problems.append(
        f"[mapping] form_version: {value!r} is not allowed. Fix: use one of "
        + ", ".join(repr(c) for c in FORM_VERSION)
        + "."
    )
    return "check"


def _check_people(vals: dict, problems: list) -> None:
    """The head rule reads in the safe rule language; no roster keys without a roster."""
    head = vals["members_head"]
    if head:
        from gender_diag.indicators.rules import parse_rule

        try:
            parse_rule(head)
        except RuleError as exc:
            problem = getattr(exc, "problem", str(exc))
            problems.append(
                f"[mapping.members] head: the rule {head!r} cannot be read ({problem}). Fix: "
                "write a condition such as relation == 'head'."
            )
    if vals["members_table"].lower() == "none" and any(
        vals[f"members_{k}"] for k in ("line", "sex", "age", "head")
    ):
        problems.append(
            '[mapping.members] table = "none" says there is no roster, but sex/age/line/head '
            "are mapped. Fix: name the roster repeat, or remove the other members keys."
        )


def _sex_codes(given: dict, problems: list) -> dict[str, tuple[str, ...]]:
    """``female``/``male`` lists (default F / M), no code in both."""
    codes = {}
    for k in ("female", "male"):
        v = given.get(k)
        if v is None:
            codes[k] = ("F",) if k == "female" else ("M",)
            continue
        if isinstance(v, str | int) and not isinstance(v, bool):
            v = [v]
        if not isinstance(v, list) or not v or any(isinstance(x, bool | dict | list) for x in v):
            problems.append(
                f'[mapping.sex_codes] {k}: expected a list of codes like ["{k}", "2"], got {v!r}.'
            )
            codes[k] = ()
            continue
        codes[k] = tuple(
            str(int(x)) if isinstance(x, float) and x.is_integer() else str(x).strip() for x in v
        )
    both = {_code(x) for x in codes["female"]} & {_code(x) for x in codes["male"]}
    if both:
        problems.append(
            f"[mapping.sex_codes] {', '.join(sorted(both))!r} is listed as both female and male. "
            "Fix: keep each code in one list."
        )
    return codes


def _unit_tables(given: dict, vals: dict, problems: list) -> dict[str, str]:
    """``[mapping.tables]``: unit name → repeat, each repeat once, not the roster again."""
    tables: dict[str, str] = {}
    seen: dict[str, str] = {}
    for unit, rep in given.items():
        if not _UNIT_NAME.match(str(unit)) or str(unit) in _RESERVED_UNITS:
            problems.append(
                f"[mapping.tables] {unit!r}: a unit name is letters, digits and _ (starting with "
                "a letter) and not households/members/respondents (those have their own keys). "
                'Fix: e.g. crops = "crop_repeat".'
            )
            continue
        r = _text("tables", unit, rep, problems)
        if not r:
            problems.append(f'[mapping.tables] {unit}: give the repeat name, e.g. {unit} = "...".')
            continue
        r = _last(r)
        if r in seen:
            problems.append(
                f"[mapping.tables] the repeat {r!r} is mapped twice ({seen[r]} and {unit}). "
                "Fix: map each repeat once."
            )
        seen[r] = unit
        tables[str(unit)] = r
    for name in (vals["members_table"], vals["respondents_table"]):
        if name and name in seen:
            problems.append(
                f"[mapping.tables] {seen[name]} = {name!r} is already the members or respondents "
                "table. Fix: remove it from [mapping.tables]."
            )
    return tables


def load_mapping(path_or_raw: str | Path | dict | SurveyMapping | None) -> SurveyMapping | None:
    """A :class:`SurveyMapping` from a TOML file (its ``[mapping]`` section), a dict or None.

    The file may be a whole ``diagnostic.toml`` or a file holding only ``[mapping]``.

    Raises
    ------
    ConfigError
        Every problem of the section at once.
    """
    if path_or_raw is None or isinstance(path_or_raw, SurveyMapping):
        return path_or_raw
    source = "[mapping]"
    if isinstance(path_or_raw, dict):
        raw = path_or_raw.get("mapping", path_or_raw)
    else:
        path = Path(path_or_raw)
        source = str(path)
        if not path.is_file():
            raise ConfigError(f"Mapping file {source!r} not found. Fix: check the path.")
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{source}: not valid TOML ({exc}). Fix: check quotes, brackets and '=' on "
                "that line."
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not UTF-8 text. Fix: save the file as UTF-8.") from None
        if "mapping" not in doc:
            raise ConfigError(
                f"{source}: no [mapping] section. Fix: start the file with a [mapping] line."
            )
        raw = doc["mapping"]
    mapping, problems = parse_mapping(raw, source=source)
    if problems:
        raise ConfigError(
            f"{source}: {len(problems)} problem(s) in the mapping:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return mapping


def design_file_columns(mapping: SurveyMapping, names: dict | None) -> dict[str, list[str]]:
    """Candidate names of the design file's columns, per role (see ``load_design``).

    The join key is the mapped community column (or ``[design] psu``); the strata are
    ``[design] strata`` or the mapped district column; weight and fpc are ``[design]``'s.

    Examples
    --------
    >>> design_file_columns(SurveyMapping(community="village", district="region"),
    ...                     {"weight": "wt", "strata": "region", "fpc": "n_villages"})
    {'community': ['village', ''], 'district': ['region', 'region'], 'weight': ['wt'], 'fpc': ['n_villages'], 'fpc2': ['']}
    """
    n = {
        k: (v if isinstance(v, str) and v.lower() != "none" else "")
        for k, v in (names or {}).items()
    }
    return {
        "community": [mapping.community, n.get("psu", "")],
        "district": [n.get("strata", ""), mapping.district],
        "weight": [n.get("weight", "")],
        "fpc": [n.get("fpc", "")],
        "fpc2": [n.get("fpc2", "")],
    }


def translate_design(design: dict, mapping: SurveyMapping, columns) -> dict:
    """``[design]`` roles under the survey's canonical column names.

    With a mapping, ``[design]`` names the partner's own columns (``strata = "region"``,
    ``fpc = "n_villages"`` of the design file). A name that is a column of the survey stays;
    a mapped place or id column takes its canonical name; any other (a design-file column,
    merged by ingest as ``weight``/``fpc``/``fpc2``) is left empty so that the role comes from
    the design file, as for the bundled example.

    Examples
    --------
    >>> m = SurveyMapping(district="region", community="village")
    >>> d = {"weight": "wt", "strata": "region", "psu": "village", "fpc": "n_villages",
    ...      "ssu": "none", "fpc2": "", "lonely_psu": "adjust"}
    >>> translate_design(d, m, ["hhid", "district", "community", "weight", "fpc"])
    {'weight': '', 'strata': 'district', 'psu': 'community', 'fpc': '', 'ssu': 'none', 'fpc2': '', 'lonely_psu': 'adjust'}
    """
    canon = {
        mapping.district: "district",
        mapping.community: "community",
        mapping.household_id: "hhid",
    }
    canon.pop("", None)
    cols = set(columns)
    out = dict(design)
    for role in ("weight", "strata", "psu", "fpc", "ssu", "fpc2"):
        name = design.get(role)
        if not isinstance(name, str) or not name or name.lower() == "none" or name in cols:
            continue
        out[role] = canon.get(name, "")
    return out


def read_mapping_file(path: str | Path) -> tuple[SurveyMapping, dict | None]:
    """The mapping of a TOML file and, when it is a whole ``diagnostic.toml``, its ``[design]``.

    Used by ``gender-diag validate --mapping FILE.toml``: with a diagnostic's configuration,
    the design file's columns are read under the ``[design]`` names as in ``run``.
    """
    mapping = load_mapping(path)
    doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    design = doc.get("design")
    return mapping, (design if isinstance(design, dict) else None)


# -- 2. the form under canonical names -------------------------------------------------


def _rewrite(expr: Any, renames: dict[str, str]) -> Any:
    """Rename ``${field}`` references in a form expression.

    Examples
    --------
    >>> _rewrite("${person_gender} = 'female' and ${age} > 3", {"person_gender": "sex"})
    "${sex} = 'female' and ${age} > 3"
    """
    if not isinstance(expr, str) or not renames:
        return expr
    return re.sub(
        r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}",
        lambda m: "${" + renames.get(m.group(1), m.group(1)) + "}",
        expr,
    )


def map_form(form, mapping: SurveyMapping | None):
    """The form with its repeats and mapped fields under gender_diag's canonical names.

    Repeats named in the mapping become ``members``, ``respondents`` or their unit name;
    other repeats keep their own name (the bundled defaults ``roster``/``individual`` do not
    apply once a mapping is given). Mapped fields take their canonical name (``sex``,
    ``hhid``, ...) and ``${...}`` references in ``relevant``/``constraint``/``calculation``
    follow; ``source_name`` keeps the form's own name so export headers still match.
    """
    if form is None or mapping is None:
        return form
    v = form.variables.copy()
    rep_map = {r: t for r, t in mapping.repeat_tables().items()}
    own = {r: r for r in form.repeats}
    # a repeat keeping its own name must not take a canonical table's name by accident
    for r in own:
        if r in _RESERVED_UNITS and r not in rep_map and rep_map.get(r) is None:
            own[r] = f"{r}_repeat"
    repeats = {r: rep_map.get(r, own[r]) for r in form.repeats}
    inverse = {t: r for r, t in form.repeats.items()}  # current table → repeat
    v["source_name"] = v["name"]
    v["table"] = v["table"].map(lambda t: t if t == MAIN else repeats.get(inverse.get(t, t), t))
    renames = mapping.column_renames()
    field_renames: dict[str, str] = {}
    for table, ren in renames.items():
        for src, dst in ren.items():
            hit = (v["table"] == table) & (v["name"] == src)
            v.loc[hit, "name"] = dst
            if hit.any():
                field_renames[src] = dst
    for col in ("relevant", "constraint", "calculation"):
        if col in v.columns:
            v[col] = v[col].map(lambda e: _rewrite(e, field_renames))
    parents = {
        repeats.get(inverse.get(c, c), c): repeats.get(inverse.get(p, p), p)
        for c, p in (form.parents or {}).items()
    }
    out = replace(form, variables=v, repeats=repeats, parents=parents, field_renames=field_renames)
    return out


# -- 3. every mapped name against the form and the export ------------------------------


def _columns_of(frame: pd.DataFrame | None) -> set[str]:
    if frame is None:
        return set()
    out = set()
    for c in frame.columns:
        c = str(c)
        if c.startswith("_"):
            continue
        out.add(_last(c))
    return out


def check_mapping(
    mapping: SurveyMapping,
    *,
    form=None,
    sheets: dict[str, pd.DataFrame] | None = None,
    main_sheet: str | None = None,
    file: str = "",
    report,
) -> None:
    """Report every mapped name that is neither in the form nor in the export, at once.

    Each problem is a blocking entry of the report naming the file, sheet, key, the name
    that was not found, the rule and the fix (with the closest existing name).
    """
    check = _MappingCheck(mapping, form, sheets or {}, main_sheet, file, report)
    for key in ("household_id", "district", "community"):
        check.column(key, getattr(mapping, key), MAIN, None, check.main_cols)
    found = check.tables()
    if MEMBERS in found:
        rep, cols = found[MEMBERS]
        for k in ("line", "sex", "age"):
            name = getattr(mapping, f"members_{k}")
            check.column(f"[mapping.members] {k}", name, MEMBERS, rep, cols)
        check.head_rule(rep, cols)
    if RESPONDENTS in found:
        rep, cols = found[RESPONDENTS]
        table = MAIN if rep is None else RESPONDENTS
        for k in ("sex", "line"):
            name = getattr(mapping, f"respondents_{k}")
            check.column(f"[mapping.respondents] {k}", name, table, rep, cols)
    _check_sex_lists(mapping, form, report, file)


class _MappingCheck:
    """The form's and the export's names, and one blocking message shape for every problem."""

    def __init__(self, mapping, form, sheets, main_sheet, file, report):
        self.mapping, self.sheets, self.main_sheet = mapping, sheets, main_sheet
        self.file, self.report = file, report
        self.names: dict[str, set[str]] = {}
        if form is not None:
            v = form.variables
            src = v["source_name"] if "source_name" in v.columns else v["name"]
            for t, name in zip(v["table"], src, strict=True):
                self.names.setdefault(t, set()).add(str(name))
        self.repeats = dict(getattr(form, "repeats", {}) or {})
        self.main_cols = _columns_of(sheets.get(main_sheet)) if main_sheet is not None else set()

    def sheet_for(self, name: str) -> str | None:
        """The export sheet of a repeat (Kobo cuts sheet names to Excel's 31 characters)."""
        if name in self.sheets:
            return name
        return next(
            (s for s in self.sheets if len(s) >= 31 and name.lower().startswith(s.lower())), None
        )

    def problem(self, key, what, fix, *, sheet="", column="") -> None:
        self.report.add_blocking(
            "mapping_invalid",
            f"{self.mapping.source} {key}: {what}",
            fix=fix,
            file=self.file,
            sheet=sheet,
            table="mapping",
            column=column,
        )

    def column(self, key: str, name: str, table: str, repeat: str | None, cols: set[str]):
        """A mapped column: in the export's sheet or among the form's fields of that table."""
        known = set(cols) | self.names.get(table, set())
        if not name or name in known:
            return
        where = f"sheet {repeat!r}" if repeat else "the main sheet"
        self.problem(
            key,
            f"no column {name!r} in {where} of the export nor field of the form there"
            + _close(name, known)
            + ".",
            "Write the field name as in the form's survey sheet (one of: "
            + ", ".join(sorted(known)[:12])
            + ("…" if len(known) > 12 else "")
            + ").",
            sheet=repeat or (self.main_sheet or ""),
            column=name,
        )

    def tables(self) -> dict[str, tuple[str | None, set[str]]]:
        """Canonical table → (repeat, export columns) of every mapped table that exists."""
        m = self.mapping
        found: dict[str, tuple[str | None, set[str]]] = {MAIN: (None, self.main_cols)}
        for key, rep, table in (
            ("[mapping.members] table", m.members_table, MEMBERS),
            ("[mapping.respondents] table", m.respondents_table, RESPONDENTS),
            *((f"[mapping.tables] {u}", r, u) for u, r in m.tables.items()),
        ):
            if rep.lower() == "main":
                found[table] = (None, self.main_cols)
            if not rep or rep.lower() in ("none", "main"):
                continue
            sheet = self.sheet_for(rep)
            if rep not in self.repeats and sheet is None:
                options = sorted(set(self.repeats) | set(self.sheets))
                self.problem(
                    key,
                    f"{rep!r} is neither a repeat group of the form nor a sheet of the export"
                    + _close(rep, options)
                    + ".",
                    "Use the repeat's name (the 'begin repeat' row of the form): "
                    + ", ".join(options)
                    + ".",
                    column=rep,
                )
                continue
            found[table] = (rep, _columns_of(self.sheets.get(sheet)) if sheet else set())
        return found

    def head_rule(self, rep: str | None, cols: set[str]) -> None:
        """Every variable of the head rule is a field of the roster."""
        head = self.mapping.members_head
        if not head:
            return
        from gender_diag.indicators.rules import parse_rule

        try:
            need = parse_rule(head).variables()
        except RuleError:
            return  # reported when the mapping was loaded
        known = cols | self.names.get(MEMBERS, set()) | {"sex", "age", "line"}
        for var in sorted(need):
            if var not in known and var.split("__")[0] not in known:
                self.problem(
                    "[mapping.members] head",
                    f"the rule {head!r} uses {var!r}, which is not a field of the roster "
                    f"{rep!r}" + _close(var, known) + ".",
                    "Write the rule with the roster's own field names, e.g. relation == 'head'.",
                    sheet=rep or "",
                    column=var,
                )


def _check_sex_lists(mapping, form, report, file) -> None:
    """The choice lists of the mapped sex questions against ``[mapping.sex_codes]``."""
    if form is None:
        return
    v = form.variables
    for table, col in ((MEMBERS, "sex"), (RESPONDENTS, "sex"), (MAIN, mapping.respondents_sex)):
        if not col:
            continue
        if table == MAIN and not mapping.respondents_on_main:
            continue
        hit = v[(v["table"] == table) & (v["name"] == col)]
        if not len(hit) or not isinstance(hit["list_name"].iloc[0], str):
            continue
        lst = hit["list_name"].iloc[0]
        ch = form.choices[form.choices["list_name"] == lst]
        sexes = [_choice_sex(mapping, r) for r in ch.itertuples(index=False)]
        if "F" not in sexes or "M" not in sexes:
            missing = [s for s in ("female", "male") if s[0].upper() not in sexes]
            report.add_blocking(
                "mapping_invalid",
                f"{mapping.source} [mapping.sex_codes]: no choice of the list {lst!r} "
                f"(codes {', '.join(ch['name'].astype(str))}) is {' or '.join(missing)}.",
                fix="List the codes of that choice list under [mapping.sex_codes] female and male.",
                file=file,
                table="mapping",
                column=str(hit["source_name"].iloc[0]) if "source_name" in hit else col,
            )


def _choice_sex(mapping: SurveyMapping, choice) -> str | None:
    """Sex of a choice: its code, else any of its labels, in the mapping's lists."""
    s = mapping.sex_of(choice.name)
    if s is not None:
        return s
    for lang in ("en", "es", "fr"):
        lab = getattr(choice, f"label_{lang}", None)
        if isinstance(lab, str) and lab.strip():
            s = mapping.sex_of(lab)
            if s is not None:
                return s
    return None


# -- 4. finishing the canonical tables --------------------------------------------------


def _sex_lookup(mapping: SurveyMapping, form, table: str, col: str) -> dict[str, str]:
    """Code → F/M for one sex column: the mapping's lists, extended by the choice labels."""
    out: dict[str, str] = {}
    if form is None:
        return out
    v = form.variables
    hit = v[(v["table"] == table) & (v["name"] == col)]
    if len(hit) and isinstance(hit["list_name"].iloc[0], str):
        ch = form.choices[form.choices["list_name"] == hit["list_name"].iloc[0]]
        for r in ch.itertuples(index=False):
            s = _choice_sex(mapping, r)
            if s is not None:
                out[_code(r.name)] = s
    return out


def recode_sex(
    values: pd.Series, mapping: SurveyMapping, *, extra: dict[str, str] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Sex answers as ``F``/``M``; returns the recoded column and the mask of unknown codes.

    Examples
    --------
    >>> m = SurveyMapping(female=("female",), male=("male",))
    >>> s, bad = recode_sex(pd.Series(["female", "male", None, "other"]), m)
    >>> s.tolist(), bad.tolist()
    (['F', 'M', <NA>, <NA>], [False, False, False, True])
    """
    lookup = {_code(c): "F" for c in mapping.female}
    lookup.update({_code(c): "M" for c in mapping.male})
    lookup.update(extra or {})
    present = values.notna() & values.astype("string").str.strip().ne("")
    keys = values.map(lambda x: _code(x) if pd.notna(x) else None)
    out = keys.map(lookup).astype("string")
    bad = (present & out.isna()).fillna(False).to_numpy(dtype=bool)
    return out.where(present, pd.NA), bad


def finish_tables(tables, meta, quarantine, *, mapping, form, report, row_col: str) -> None:
    """Sex to F/M (other values reported with their row and set to missing), the head flag.

    Runs after the form's checks (whose expressions use the form's own codes) and before
    the quarantine split. Respondents on the main sheet are built later, by
    :func:`respondents_from_main`, from the accepted households.
    """
    from gender_diag.ingest.report import make_issues

    targets = [(MEMBERS, "sex", mapping.members_sex)]
    if not mapping.respondents_on_main:
        targets.append((RESPONDENTS, "sex", mapping.respondents_sex))
    else:
        targets.append((MAIN, mapping.respondents_sex or "", mapping.respondents_sex))
    for table, col, src in targets:
        if not col or table not in tables or col not in tables[table].columns:
            continue
        df = tables[table]
        new, bad = recode_sex(df[col], mapping, extra=_sex_lookup(mapping, form, table, col))
        if bad.any():
            report.add(
                make_issues(
                    df.loc[bad, row_col].to_numpy(),
                    table=table,
                    column=src or col,
                    rule="sex is one of [mapping.sex_codes] female / male",
                    reason="sex_unknown",
                    severity="error",
                    message=f"{src or col}: this value is neither a female nor a male code; "
                    "the person's sex is set to missing (left out of comparisons by sex).",
                    fix="Correct the answer, or add the code to [mapping.sex_codes] female or "
                    f"male (now female = {list(mapping.female)}, male = {list(mapping.male)}).",
                    values=df.loc[bad, col],
                    file=meta[table].file,
                    sheet=meta[table].sheet,
                )
            )
        if table == MAIN:
            df["__resp_sex__"] = new
        else:
            df[col] = new
    if mapping.members_head and MEMBERS in tables:
        _mark_head(tables, mapping, form, report, meta)


def _mark_head(tables, mapping, form, report, meta) -> None:
    """``is_head`` on the roster from the ``head`` rule (read with the form's own names)."""
    from gender_diag.indicators.rules import parse_rule

    mem = tables[MEMBERS]
    renames = (form.field_renames if form is not None else None) or {}
    aliases = {s: d for s, d in renames.items() if d in mem.columns and s not in mem.columns}
    frame = mem.assign(**{src: mem[dst] for src, dst in aliases.items()})
    try:
        rule = parse_rule(mapping.members_head)
        ctx = {MEMBERS: frame}
        if MAIN in tables:
            ctx[MAIN] = tables[MAIN]
        val = rule.evaluate(ctx, unit="member")
    except RuleError as exc:
        report.add_blocking(
            "mapping_invalid",
            f"{mapping.source} [mapping.members] head: the rule {mapping.members_head!r} "
            f"cannot be evaluated ({getattr(exc, 'problem', exc)}).",
            fix="Write it with the roster's field names and codes, e.g. relation == 'head'.",
            file=meta[MEMBERS].file,
            sheet=meta[MEMBERS].sheet,
            table="mapping",
        )
        return
    mem[HEAD_COLUMN] = val.astype("boolean").fillna(False).to_numpy(dtype=bool)


def respondents_from_main(tables, mapping: SurveyMapping) -> None:
    """One respondent per household, on the main sheet: ``respondents`` = accepted households.

    ``sex`` is the mapped respondent sex (recoded), ``line`` the respondent's roster line
    when mapped (then sex, age, ... come from the roster as for a separate module).
    """
    if not mapping.respondents_on_main or MAIN not in tables:
        return
    main = tables[MAIN]
    resp = main.copy()
    if "__resp_sex__" in main.columns:
        resp["sex"] = main["__resp_sex__"]
        tables[MAIN] = main.drop(columns="__resp_sex__")
        resp = resp.drop(columns="__resp_sex__")
    if mapping.respondents_line and mapping.respondents_line in resp.columns:
        resp = resp.rename(columns={mapping.respondents_line: "line"})
    tables[RESPONDENTS] = resp.reset_index(drop=True)
