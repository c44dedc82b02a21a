"""The indicator catalogue: plain YAML files, validated on load.

The catalogue lives in ``surveys/catalogue/indicators*.yaml`` (found through
:func:`gender_diag.resources.catalogue_dir`). Each file holds a mapping with an optional
``derived:`` list (helper variables computed before the indicators, e.g. ``in_union``) and an
``indicators:`` list. One indicator::

    - id: land_own_any
      domain: land
      label: {es: ..., fr: ..., en: ...}
      definition: {es: ..., fr: ..., en: ...}
      unit: respondent            # respondent | member | household | parcel
      universe: age >= 15         # rule; 'all' (or omitted) for everybody
      type: proportion            # proportion | mean
      rule: own_land in ['sole', 'joint']
      direction: higher_better    # higher_better | higher_worse
      standard: SDG 5.a.1
      sensitive: false
      tags: {moser: strategic, roles: productive, harvard: control, rights: economic}
      weai_key: ownership_assets  # optional: WEAI-family adequacy column it provides
      concept: land_rights        # optional: indicators measuring the same thing share one
                                  # concept and get one priority (default: the id)
      note: deviations from the standard, in plain words

Every problem of every file is collected and reported at once in one :class:`ConfigError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from gender_diag import resources
from gender_diag.errors import ConfigError, RuleError
from gender_diag.indicators.rules import UNIT_TABLES, Rule, parse_rule
from gender_diag.indices.presets import KNOWN_INDICATORS

__all__ = [
    "LANGUAGES",
    "STRUCTURAL_VARIABLES",
    "WEAI_KEYS",
    "Catalogue",
    "Derived",
    "Indicator",
    "load_catalogue",
]

LANGUAGES = ("es", "fr", "en")
UNITS = tuple(UNIT_TABLES)
TYPES = ("proportion", "mean", "share_women")
DIRECTIONS = ("higher_better", "higher_worse")
TAG_VALUES = {
    "moser": ("practical", "strategic"),
    "roles": ("productive", "reproductive", "community"),
    "harvard": ("access", "control"),
    "rights": ("economic", "social", "cultural", "environmental", "civil_political"),
}
#: Canonical WEAI-family adequacy keys (public API contract), as the index presets know them.
WEAI_KEYS = tuple(sorted(KNOWN_INDICATORS))
#: Columns every ingested table may carry besides the instrument's questions
#: (docs/contracts.md §1–2) and the disaggregation columns built by ``compute``.
STRUCTURAL_VARIABLES = frozenset(
    {
        "hhid",
        "line",
        "parcel",
        "district",
        "community",
        "weight",
        "fpc",
        "fpc2",
        "sex",
        "age",
        "age_band",
        "head_sex",
        "resp_role",
    }
)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_REQUIRED = ("id", "domain", "label", "definition", "unit", "type", "rule", "direction", "tags")


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see the module docstring for the YAML fields)."""

    id: str
    domain: str
    labels: dict[str, str]
    definitions: dict[str, str]
    unit: str
    universe: str
    type: str
    rule: str
    direction: str
    standard: str
    sensitive: bool
    tags: dict[str, str]
    weai_key: str | None = None
    note: str = ""
    source: str = ""
    concept: str = ""
    parsed_rule: Rule | None = field(default=None, repr=False, compare=False)
    parsed_universe: Rule | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Derived:
    """A helper variable computed on a unit table before the indicators."""

    name: str
    unit: str
    rule: str
    parsed_rule: Rule | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Catalogue:
    """The validated indicator catalogue."""

    indicators: list[Indicator]
    derived: list[Derived] = field(default_factory=list)
    paths: tuple[Path, ...] = ()
    #: Texts borrowed from another language (a translation missing), one line each.
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, key: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == key:
                return ind
        raise KeyError(key)

    @property
    def ids(self) -> list[str]:
        """Indicator ids in catalogue order."""
        return [i.id for i in self.indicators]

    def weai_indicators(self) -> dict[str, Indicator]:
        """Canonical WEAI key → indicator providing that adequacy column."""
        return {i.weai_key: i for i in self.indicators if i.weai_key}

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: metadata, labels and definitions per language, tags."""
        rows = []
        for i in self.indicators:
            row = {
                "indicator": i.id,
                "domain": i.domain,
                "unit": i.unit,
                "universe": i.universe,
                "type": i.type,
                "rule": i.rule,
                "direction": i.direction,
                "standard": i.standard,
                "sensitive": i.sensitive,
                "weai_key": i.weai_key or "",
                "concept": i.concept or i.id,
                "note": i.note,
            }
            for lang in LANGUAGES:
                row[f"label_{lang}"] = i.labels.get(lang, "")
                row[f"definition_{lang}"] = i.definitions.get(lang, "")
            for tag in TAG_VALUES:
                row[tag] = i.tags.get(tag, "")
            rows.append(row)
        return pd.DataFrame(rows)


def _known_names(variables) -> set[str] | None:
    """Normalise the ``variables`` argument to a set of names (None = do not check)."""
    if variables is None:
        return None
    frame = getattr(variables, "variables", variables)  # a Survey or its variables frame
    names: set[str] = set()
    if isinstance(frame, pd.DataFrame):
        names |= set(frame["name"].astype(str))
        tables = getattr(variables, "tables", None)
        if isinstance(tables, dict):
            for t in tables.values():
                names |= {str(c) for c in t.columns}
    else:
        names |= {str(v) for v in variables}
    return names


def _check_variable(name: str, known: set[str]) -> bool:
    if name in known:
        return True
    if "__" in name:  # select_multiple dummy q__code: the question must exist
        return name.split("__", 1)[0] in known
    return False


def _read_yaml(path: Path, problems: list[str]) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        problems.append(f"{path}: cannot read the file ({e.strerror}).")
        return None
    try:
        # libyaml's parser when present (same safe schema, ~10× faster on the catalogue)
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)}).")
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping with 'indicators:' at the top level.")
        return None
    return data


def _texts(
    entry: dict,
    key: str,
    where: str,
    problems: list[str],
    languages: tuple[str, ...] = LANGUAGES,
    notes: list[str] | None = None,
) -> dict[str, str]:
    """Texts of one field per language: required in ``languages`` only (issue 14 §9).

    A language of ``LANGUAGES`` without a text borrows the first text found (in the order of
    ``languages``, then es, fr, en) and a note says so; the reports then show, say, the
    English label in the Spanish report rather than nothing.
    """
    val = entry.get(key)
    if not isinstance(val, dict):
        problems.append(
            f"{where}: '{key}' must map each language ({', '.join(languages)}) to a text."
        )
        return {}
    out = {}
    for lang in LANGUAGES:
        txt = val.get(lang)
        if isinstance(txt, str) and txt.strip():
            out[lang] = txt.strip()
        elif lang in languages:
            problems.append(f"{where}: missing translation '{key}.{lang}'. Add the {lang} text.")
    for lang in val:
        if lang not in LANGUAGES:
            problems.append(f"{where}: unknown language '{key}.{lang}' (use es, fr, en).")
    have = [lang for lang in (*languages, *LANGUAGES) if lang in out]
    if have:
        for lang in LANGUAGES:
            if lang not in out:
                out[lang] = out[have[0]]
                if notes is not None and lang in languages:
                    notes.append(f"{where}: no {lang} {key}; the {have[0]} text is used.")
    return out


def _enum(value, allowed, field_name: str, where: str, problems: list[str]) -> bool:
    if value not in allowed:
        problems.append(
            f"{where}: bad value {value!r} for '{field_name}'; allowed: {', '.join(allowed)}."
        )
        return False
    return True


def _parse(text, ident: str, where: str, problems: list[str]) -> Rule | None:
    try:
        return parse_rule(str(text), indicator=ident)
    except RuleError as e:
        problems.append(f"{where}: {e}")
        return None


def _check_rule_vars(rule, ident, where, known, local, problems) -> None:
    if rule is None or known is None:
        return
    for name in sorted(rule.variables()):
        if not _check_variable(name, known | local):
            problems.append(
                f"{where}: rule {rule.text!r} uses unknown variable {name!r} (not in the "
                "instrument). Fix the name or add the question to the instrument."
            )


def _catalogue_files(path) -> list[Path]:
    if path is None:
        path = resources.catalogue_dir()
    paths = [Path(p) for p in ([path] if isinstance(path, str | Path) else path)]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("indicators*.yaml")) + sorted(p.glob("indicators*.yml"))
        else:
            files.append(p)
    return files


def load_catalogue(path=None, *, variables=None, languages=LANGUAGES) -> Catalogue:
    """Load and validate the indicator catalogue.

    Parameters
    ----------
    path : str, Path, list of paths or None
        A YAML file, a folder (every ``indicators*.yaml`` in it, in name order) or a list of
        them. Default: :func:`gender_diag.resources.catalogue_dir`.
    variables : Survey, DataFrame or iterable of str, optional
        The instrument's variables (``survey.variables`` with a ``name`` column, a ``Survey``,
        or plain names). When given, every variable a rule reads must be one of them, one of
        the structural columns (:data:`STRUCTURAL_VARIABLES`), a derived variable or a
        select_multiple dummy ``q__code`` of a known question ``q``.
    languages : sequence of str
        Languages whose label and definition are required (default es, fr, en); the others
        borrow an available text, listed in :attr:`Catalogue.notes`.

    Returns
    -------
    Catalogue

    Raises
    ------
    ConfigError
        Listing every problem found (file, indicator, field, value, what to do): unreadable
        or invalid YAML, missing field, missing translation, bad enum value, duplicate id,
        bad rule (a :class:`RuleError` message) or unknown variable.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> len(cat) >= 45, cat["has_mobile"].standard, cat["has_mobile"].labels["es"]
    (True, 'SDG 5.b.1', 'Tiene teléfono celular')
    >>> sorted(cat.weai_indicators())[:3]
    ['attitudes_ipv', 'autonomy_income', 'control_income']
    """
    problems: list[str] = []
    notes: list[str] = []
    languages = tuple(lang for lang in LANGUAGES if lang in tuple(languages)) or LANGUAGES
    files = _catalogue_files(path)
    if not files:
        raise ConfigError(f"No indicator catalogue found at {path!r} (indicators*.yaml).")
    known = _known_names(variables)
    if known is not None:
        known = known | STRUCTURAL_VARIABLES
    indicators: list[Indicator] = []
    derived: list[Derived] = []
    seen: dict[str, str] = {}
    weai_seen: dict[str, str] = {}
    raw: list[tuple[Path, list, list]] = []
    for f in files:
        if not f.exists():
            problems.append(f"{f}: file not found.")
            continue
        data = _read_yaml(f, problems)
        if data is None:
            continue
        unknown_top = set(data) - {"indicators", "derived", "version", "notes"}
        for k in sorted(unknown_top):
            problems.append(f"{f}: unknown top-level key {k!r} (use indicators, derived).")
        inds, ders = data.get("indicators") or [], data.get("derived") or []
        if not isinstance(inds, list) or not isinstance(ders, list):
            problems.append(f"{f}: 'indicators' and 'derived' must be lists (entries start '- ').")
            continue
        raw.append((f, inds, ders))

    local = {d.get("name") for _, _, ders in raw for d in ders if isinstance(d, dict)}
    local = {str(x) for x in local if x}
    for f, _, ders in raw:
        for k, d in enumerate(ders, start=1):
            where = f"{f.name}: derived #{k}"
            if not isinstance(d, dict) or not {"name", "unit", "rule"} <= set(d):
                problems.append(f"{where}: needs 'name', 'unit' and 'rule'.")
                continue
            where = f"{f.name}: derived {d['name']!r}"
            if not _ID.match(str(d["name"])):
                problems.append(f"{where}: name must be lower_case_with_underscores.")
            _enum(d["unit"], UNITS, "unit", where, problems)
            r = _parse(d["rule"], str(d["name"]), where, problems)
            _check_rule_vars(r, d["name"], where, known, local, problems)
            derived.append(Derived(str(d["name"]), str(d["unit"]), str(d["rule"]), r))

    for f, inds, _ in raw:
        for k, e in enumerate(inds, start=1):
            where = f"{f.name}: indicator #{k}"
            if not isinstance(e, dict):
                problems.append(f"{where}: each indicator must be a mapping of fields.")
                continue
            ident = str(e.get("id", ""))
            if ident:
                where = f"{f.name}: indicator {ident!r}"
            missing = [r for r in _REQUIRED if r not in e]
            if missing:
                problems.append(f"{where}: missing field(s) {', '.join(missing)}.")
                continue
            if not _ID.match(ident):
                problems.append(f"{where}: id must be lower_case_with_underscores.")
            if ident in seen:
                problems.append(f"{where}: duplicate id (already defined in {seen[ident]}).")
            seen[ident] = f.name
            labels = _texts(e, "label", where, problems, languages, notes)
            defs = _texts(e, "definition", where, problems, languages, notes)
            _enum(e["unit"], UNITS, "unit", where, problems)
            _enum(e["type"], TYPES, "type", where, problems)
            _enum(e["direction"], DIRECTIONS, "direction", where, problems)
            sensitive = e.get("sensitive", False)
            if not isinstance(sensitive, bool):
                problems.append(f"{where}: 'sensitive' must be true or false.")
                sensitive = bool(sensitive)
            tags = e["tags"] if isinstance(e["tags"], dict) else {}
            if not isinstance(e["tags"], dict):
                problems.append(f"{where}: 'tags' must be a mapping (moser, roles, ...).")
            for tag, allowed in TAG_VALUES.items():
                if tag not in tags:
                    problems.append(f"{where}: missing tag '{tag}' ({', '.join(allowed)}).")
                else:
                    _enum(tags[tag], allowed, f"tags.{tag}", where, problems)
            for tag in tags:
                if tag not in TAG_VALUES:
                    problems.append(f"{where}: unknown tag {tag!r}.")
            key = e.get("weai_key")
            if key is not None:
                if _enum(key, WEAI_KEYS, "weai_key", where, problems) and key in weai_seen:
                    problems.append(f"{where}: weai_key {key!r} already given by {weai_seen[key]}.")
                weai_seen[key] = ident
            concept = str(e.get("concept") or ident)
            if not _ID.match(concept):
                problems.append(f"{where}: concept must be lower_case_with_underscores.")
            rule = _parse(e["rule"], ident, where, problems)
            universe_text = str(e.get("universe") or "all").strip()
            uni = None
            if universe_text.lower() != "all":
                uni = _parse(universe_text, ident, f"{where} (universe)", problems)
            _check_rule_vars(rule, ident, where, known, local, problems)
            _check_rule_vars(uni, ident, f"{where} (universe)", known, local, problems)
            indicators.append(
                Indicator(
                    id=ident,
                    domain=str(e["domain"]),
                    labels=labels,
                    definitions=defs,
                    unit=str(e["unit"]),
                    universe=universe_text,
                    type=str(e["type"]),
                    rule=str(e["rule"]),
                    direction=str(e["direction"]),
                    standard=str(e.get("standard") or ""),
                    sensitive=sensitive,
                    tags={k: str(v) for k, v in tags.items()},
                    weai_key=key,
                    note=str(e.get("note") or "").strip(),
                    source=f.name,
                    concept=concept,
                    parsed_rule=rule,
                    parsed_universe=uni,
                )
            )
    if problems:
        head = f"The indicator catalogue has {len(problems)} problem(s):"
        raise ConfigError("\n".join([head, *(f"  - {p}" for p in problems)]))
    return Catalogue(indicators, derived, tuple(files), tuple(notes))


def variables_from_xlsform(path) -> set[str]:
    """Variable names of an XLSForm: survey ``name`` column plus ``q__code`` dummies.

    Parameters
    ----------
    path : str or Path
        The XLSForm workbook (sheets ``survey`` and ``choices``).
    """
    path = Path(path)
    try:
        survey = pd.read_excel(path, sheet_name="survey", dtype=str, engine="openpyxl")
        choices = pd.read_excel(path, sheet_name="choices", dtype=str, engine="openpyxl")
    except (OSError, ValueError) as e:
        raise ConfigError(
            f"{path}: cannot read the XLSForm 'survey'/'choices' sheets ({e})."
        ) from None
    names = set(survey["name"].dropna().astype(str))
    for _, row in survey.dropna(subset=["type", "name"]).iterrows():
        parts = str(row["type"]).split()
        if parts and parts[0] == "select_multiple" and len(parts) > 1:
            codes = choices.loc[choices["list_name"] == parts[1], "name"].dropna().astype(str)
            names |= {f"{row['name']}__{c}" for c in codes}
    return names
