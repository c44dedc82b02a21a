"""The action catalogue (``surveys/catalogue/actions.yaml``): loading, validation, matching.

An action matches a gap at one of four levels, most specific first: ``indicator`` (the gap's
indicator id is listed), ``keyword`` (the id contains a listed keyword), ``domain`` (the
gap's domain is listed) and ``tag`` (one of the gap's moser / harvard / rights tags is
listed). See the header of the YAML file for the assignment rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gender_diag.config import read_yaml
from gender_diag.errors import ConfigError
from gender_diag.resources import catalogue_dir

LANGS = ("es", "fr", "en")
KINDS = ("direct", "indirect")
DIRECT_TEXTS = (
    "intervention",
    "target_group",
    "responsible",
    "household_member",
    "output_indicator",
    "target",
    "timing",
)
INDIRECT_TEXTS = ("proposal",)
#: Optional texts of any action (es/fr/en): counterpart institution and programme, budget line
#: or instrument, indicator to follow.
OPTIONAL_TEXTS = ("counterpart", "budget", "follow_up")
AUTHORITY_LEVELS = (
    "community_assembly",
    "district_municipality",
    "provincial_municipality",
    "regional_government",
    "national_sector",
    "water_users_organisation",
)
INSTRUMENTS = (
    "municipal_ordinance",
    "participatory_budget",
    "local_development_plan",
    "gender_plan",
    "board_quota",
    "land_titling_programme",
    "public_service",
    "regional_ordinance",
    "sector_programme",
)
RISK_LEVELS = ("low", "medium", "high")
MATCH_LEVELS = ("indicator", "keyword", "domain", "tag")
TAG_COLUMNS = ("moser", "harvard", "rights")


@dataclass(frozen=True)
class ActionCatalogue:
    """Validated action catalogue."""

    actions: list[dict]
    assignment: dict
    pnig: dict[str, dict[str, str]]
    source: str = "actions.yaml"
    #: ISO 3166 code of the context the actions were written for; "*" = generic (any).
    country: str = "*"

    def of_kind(self, kind: str) -> list[dict]:
        """Actions of one kind (``direct`` or ``indirect``)."""
        return [a for a in self.actions if a["type"] == kind]


def load_actions(path: str | Path | None = None) -> ActionCatalogue:
    """Load and validate the action catalogue; all problems are reported at once.

    Examples
    --------
    >>> cat = load_actions()
    >>> len(cat.of_kind("direct")) > 5 and len(cat.of_kind("indirect")) > 5
    True
    """
    path = Path(path) if path is not None else catalogue_dir() / "actions.yaml"
    raw = read_yaml(path, what="action catalogue")
    return parse_actions(raw, source=str(path))


def _texts(problems, where, value):
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lg), str) or not value[lg].strip() for lg in LANGS
    ):
        problems.append(f"{where}: needs a non-empty text for each of es, fr, en.")


def parse_actions(raw: object, *, source: str = "actions.yaml") -> ActionCatalogue:
    """Validate the parsed YAML of an action catalogue (see :func:`load_actions`)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("actions"), list):
        raise ConfigError(
            f"{source}: the file must be a mapping with an 'actions' list (and optional "
            "'assignment' and 'pnig' sections)."
        )
    problems: list[str] = []
    pnig = raw.get("pnig", {}) or {}
    if not isinstance(pnig, dict):
        problems.append("pnig: must be a mapping objective code → {es, fr, en}.")
        pnig = {}
    for code, txt in pnig.items():
        _texts(problems, f"pnig.{code}", txt)
    assign = {
        "practical": ["direct"],
        "strategic": ["indirect"],
        "untagged": ["direct", "indirect"],
        "both_domains": [],
        "direct_if_feasibility_at_least": None,
    } | (raw.get("assignment", {}) or {})
    for key in ("practical", "strategic", "untagged"):
        v = assign[key]
        if not isinstance(v, list) or not v or any(k not in KINDS for k in v):
            problems.append(
                f"assignment.{key}: must be a list of direct and/or indirect, got {v!r}."
            )
    if not isinstance(assign["both_domains"], list):
        problems.append("assignment.both_domains: must be a list of domain names.")
    thr = assign["direct_if_feasibility_at_least"]
    if thr is not None and (not isinstance(thr, int | float) or not 1 <= thr <= 5):
        problems.append(f"assignment.direct_if_feasibility_at_least: must be 1–5, got {thr!r}.")
    seen: set[str] = set()
    actions = []
    for i, a in enumerate(raw["actions"], start=1):
        if not isinstance(a, dict):
            problems.append(f"actions[{i}]: must be a mapping with id, type, match, ...")
            continue
        aid = a.get("id")
        where = f"actions[{i}] (id {aid!r})"
        if not isinstance(aid, str) or not aid:
            problems.append(f"{where}: missing id.")
        elif aid in seen:
            problems.append(f"{where}: duplicated id; each action needs its own id.")
        seen.add(str(aid))
        kind = a.get("type")
        if kind not in KINDS:
            problems.append(f"{where}.type: must be direct or indirect, got {kind!r}.")
            continue
        m = a.get("match")
        if not isinstance(m, dict) or not any(
            m.get(k) for k in ("indicators", "keywords", "domains", "tags")
        ):
            problems.append(
                f"{where}.match: needs at least one of indicators, keywords, domains, tags."
            )
            m = {}
        else:
            for k, v in m.items():
                if k not in ("indicators", "keywords", "domains", "tags"):
                    problems.append(
                        f"{where}.match.{k}: unknown key; use indicators, keywords, domains, tags."
                    )
                elif not isinstance(v, list) or any(not isinstance(x, str) for x in v):
                    problems.append(f"{where}.match.{k}: must be a list of names.")
        for key in OPTIONAL_TEXTS:
            if key in a:
                _texts(problems, f"{where}.{key}", a.get(key))
        if kind == "direct":
            for key in DIRECT_TEXTS:
                _texts(problems, f"{where}.{key}", a.get(key))
            risk = a.get("workload_risk")
            if not isinstance(risk, dict) or risk.get("level") not in RISK_LEVELS:
                problems.append(f"{where}.workload_risk.level: must be low, medium or high.")
            else:
                _texts(problems, f"{where}.workload_risk.note", risk.get("note"))
        else:
            _texts(problems, f"{where}.proposal", a.get("proposal"))
            auth, inst = a.get("authority"), a.get("instrument")
            if not isinstance(auth, dict) or auth.get("level") not in AUTHORITY_LEVELS:
                problems.append(
                    f"{where}.authority.level: must be one of {', '.join(AUTHORITY_LEVELS)}."
                )
            else:
                _texts(problems, f"{where}.authority.name", auth.get("name"))
            if not isinstance(inst, dict) or inst.get("kind") not in INSTRUMENTS:
                problems.append(
                    f"{where}.instrument.kind: must be one of {', '.join(INSTRUMENTS)}."
                )
            else:
                _texts(problems, f"{where}.instrument.name", inst.get("name"))
            al = a.get("alignment")
            if al not in pnig:
                problems.append(
                    f"{where}.alignment: must be one of the pnig codes ({', '.join(pnig)}), "
                    f"got {al!r}."
                )
        actions.append({**a, "match": m})
    if problems:
        raise ConfigError(f"{source} is invalid:\n- " + "\n- ".join(problems))
    context = raw.get("context") or {}
    country = str(context.get("country", "*") if isinstance(context, dict) else "*").upper()
    return ActionCatalogue(actions, assign, pnig, source, country)


def select_actions(
    path: str | Path | None = None, *, country: str = ""
) -> tuple[ActionCatalogue, str]:
    """The action catalogue fitting the diagnostic's country, and a note saying which.

    An action catalogue carries ``context: {country: XX}``; the bundled one was written for
    Peru (``PE``: Peruvian authorities and national policy). When ``country`` is given and
    differs, the generic catalogue (``actions_generic.yaml``: no named authority, every action
    marked "adapt to your context") is used instead, and the note says so. Without a country
    the catalogue is used as it is and the note names its context.

    Examples
    --------
    >>> cat, note = select_actions(country="KE")
    >>> cat.country, "generic" in note
    ('*', True)
    >>> select_actions(country="PE")[0].country
    'PE'
    """
    catalogue = load_actions(path)
    country = (country or "").strip().upper()
    if catalogue.country == "*":
        return catalogue, "generic action catalogue: adapt each action to your context"
    if not country:
        return catalogue, (
            f"action catalogue written for {catalogue.country}; set [recommend] country to "
            "use the generic catalogue elsewhere"
        )
    if country == catalogue.country:
        return catalogue, f"action catalogue for {country}"
    generic = load_actions(catalogue_dir() / "actions_generic.yaml")
    return generic, (
        f"the action catalogue is for {catalogue.country}, the diagnostic for {country}: the "
        "generic catalogue is used (adapt each action to your context)"
    )


def match_level(action: dict, *, indicator: str, domain: str, tags: set[str]) -> int | None:
    """Index in :data:`MATCH_LEVELS` of the most specific match, or None.

    Examples
    --------
    >>> a = {"match": {"domains": ["land"], "keywords": ["title"]}}
    >>> match_level(a, indicator="land_title_name", domain="land", tags=set())
    1
    >>> match_level(a, indicator="credit", domain="finance", tags=set()) is None
    True
    """
    m = action["match"]
    ind = indicator.lower()
    if ind in {x.lower() for x in m.get("indicators", [])}:
        return 0
    if any(k.lower() in ind for k in m.get("keywords", [])):
        return 1
    if domain.lower() in {x.lower() for x in m.get("domains", [])}:
        return 2
    if tags & {x.lower() for x in m.get("tags", [])}:
        return 3
    return None
