"""Infer where gender_diag's concepts live in a partner's own XLSForm.

``gender-diag init DIR --form FORM.xlsx`` reads the form (and, when given, the Kobo export and
the design file) and proposes the ``[mapping]`` of ``diagnostic.toml``: the person roster, the
respondents, the household id, the place columns and the sex codes. Every decision is a
:class:`Choice` carrying its evidence in plain words, written as a comment beside the key, so
the gender team can check it. When two candidates are equally plausible nothing is guessed:
the key gets a safe value (``"none"`` or empty) and a :class:`Choice` with ``question`` set,
written as a commented choice the team answers by uncommenting one line.

The rules, in order of evidence (names and labels are compared after lower-casing and
removing accents, in every language the form has):

* **sex question** — a ``select_one`` whose list has a choice meaning *female* and one
  meaning *male* (choice name or label equal to a word of :data:`FEMALE_WORDS` /
  :data:`MALE_WORDS`, e.g. ``F``/``M``, ``female``, ``mujer``, ``femme``, or codes ``1``/``2``
  labelled *Male*/*Female*) and at most five choices;
* **roster** — the repeat holding a sex question and an integer age question (name or label
  in :data:`AGE_WORDS`); head of household = a yes/no question about the *head* or a
  relation-to-head question's choice meaning *head*;
* **respondents** — a sex question on the main sheet (one respondent per household,
  ``table = "main"``) or in a repeat other than the roster (an individual module);
* **household id** — a main-sheet question named like ``hhid``, ``householdID``,
  ``hh_number``, ``id_hogar``; else the Kobo submission id ``_uuid``;
* **places** — main-sheet questions named like a region/district (stratum) and like a
  village/community/area (cluster), preferring names that are also columns of the design file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gender_diag.ingest.xlsform import Form, read_form

LANGS = ("es", "fr", "en")
#: ``read_form`` falls back to the bundled instrument's repeat → table names when given an
#: empty mapping; a mapping no repeat matches keeps every repeat under its own name.
KEEP_REPEAT_NAMES = {"\0": "\0"}

FEMALE_WORDS = frozenset(
    "f female woman women girl w fem feminine mujer mujeres femenino femenina nina "
    "femme femmes feminin fille".split()
)
MALE_WORDS = frozenset(
    "m male man men boy h masc masculine hombre hombres masculino varon nino "
    "homme hommes masculin garcon".split()
)
YES_WORDS = frozenset("y yes si oui true vrai sim".split())
NO_WORDS = frozenset("n no non false faux nao".split())
HEAD_WORDS = ("head", "jefe", "jefa", "chef", "cabeza", "hoh")
AGE_WORDS = ("age", "edad", "years", "anos", "annees")
#: Choice codes that are not substantive answers: no indicator is made of them.
NON_ANSWERS = frozenset(
    "no_answer noanswer dk dont_know don_t_know refused refuse prefer_not_to_say "
    "ns nr ns_nr nsp na -99 -98 -88 99 98 88 999 other_specify".split()
)
_HHID = re.compile(
    r"^(hh|household|hogar|menage|hhold|hh_?head)?[ _]?(id|code|number|num|no|key)$"
    r"|^(hhid|householdid|household_id|hh_id|id_hogar|id_menage|hh_number|hhnumber|"
    r"codigo_hogar|code_menage|num_menage|numero_menage|hh_code)$",
    re.I,
)
_DISTRICT = re.compile(
    r"(region|district|distrito|province|provincia|county|departamento|department|"
    r"departement|state|estado|municipio|municipality|commune|canton|prefecture|zone)",
    re.I,
)
#: Cluster-level place names, most specific first (a village beats a sub-region).
_COMMUNITY = re.compile(
    r"(village|community|comunidad|communaute|localite|locality|localidad|cluster|caserio|"
    r"aldea|vereda|barrio|quartier|hamlet|colonia|poblado)",
    re.I,
)
_COMMUNITY_WEAK = re.compile(
    r"(sublocation|sub_location|ward|site|area|sector|secteur|ea|enumeration|zone_code)", re.I
)
_WEIGHT = re.compile(
    r"^(weight|wt|w|peso|poids|factor|fexp|expansion|pondera\w*|weight_\w+|\w+_weight|"
    r"\w+_wt|factor_\w+)$",
    re.I,
)
_LINE = re.compile(r"(line|linea|ligne|num|number|numero|position|rep_num|index|pid|id)$", re.I)
_RESPONDENT = re.compile(r"(resp|interview|encuest|enquet|informant)", re.I)
_ROSTER = re.compile(r"(member|roster|pop|person|miembro|persona|individu|bio|hh_)", re.I)
_STOPWORDS = {
    "en": {"the", "of", "is", "what", "how", "does", "your", "you", "in", "and", "many", "do"},
    "es": {"el", "la", "de", "que", "cuantos", "su", "en", "los", "las", "es", "usted", "y"},
    "fr": {"le", "la", "de", "est", "quel", "quelle", "votre", "vous", "les", "des", "et", "du"},
}


def norm(text: object) -> str:
    """Lower-case, accent-free, punctuation-free text (for matching names and labels).

    Examples
    --------
    >>> norm("  Niña / Mujer! "), norm("Homme"), norm(None)
    ('nina mujer', 'homme', '')
    """
    if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA:
        return ""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9_\-]+", " ", s).strip()


@dataclass
class Choice:
    """One inference: the key, the value chosen, why, and any open question."""

    key: str
    value: object
    evidence: str
    question: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, evidence)


@dataclass
class SexQuestion:
    """A question whose choices mean female/male."""

    table: str
    name: str
    list_name: str
    female: list[str]
    male: list[str]
    other: list[str]
    evidence: str


@dataclass
class Inference:
    """Everything ``init`` inferred from the form (and data, design file)."""

    form: Form
    languages: list[str]
    mapping: dict
    choices: list[Choice]
    sex_questions: list[SexQuestion]
    roster: str | None
    respondent_table: str | None  # "main", a repeat name, or None
    head_rule: str
    repeats: list[str]
    design_columns: dict
    notes: list[str] = field(default_factory=list)

    @property
    def questions(self) -> list[Choice]:
        """The inferences the team must answer (ambiguous evidence)."""
        return [c for c in self.choices if c.question]


# ------------------------------------------------------------------ the form's languages
def detect_language(texts: list[str]) -> str | None:
    """Language (es, fr, en) of a list of labels by counting frequent short words.

    Examples
    --------
    >>> detect_language(["How many people live in your household?", "What is the age"])
    'en'
    >>> detect_language(["¿Cuántos años tiene usted?", "Sexo de la persona"])
    'es'
    """
    counts = dict.fromkeys(_STOPWORDS, 0)
    for t in texts:
        words = set(norm(t).split())
        for lang, stop in _STOPWORDS.items():
            counts[lang] += len(words & stop)
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else None


def form_languages(form: Form, path: Path) -> tuple[Form, list[str], str]:
    """The form's label languages among es/fr/en, fixing an untagged ``label`` column.

    A bare ``label`` column is read by ingest as the settings' ``default_language`` (Spanish
    when absent); when the settings do not say, its language is detected from the words of
    the labels and the form's label columns are moved accordingly.
    """
    note = ""
    try:
        header = pd.read_excel(path, sheet_name="survey", nrows=0, engine="openpyxl").columns
    except Exception:
        header = []
    bare = any(str(c).strip().lower() == "label" for c in header)
    if bare and not form.settings.get("default_language"):
        texts = form.variables["label_es"].dropna().astype(str).tolist()
        lang = detect_language(texts) or "en"
        note = (
            f"the form's labels have no language tag; their words look {lang!r} "
            "(set default_language in the form's settings sheet to say otherwise)"
        )
        if lang != "es":
            for frame in (form.variables, form.choices):
                frame[f"label_{lang}"] = frame["label_es"]
                frame["label_es"] = pd.NA
    langs = [
        lang
        for lang in LANGS
        if f"label_{lang}" in form.variables.columns
        and form.variables[f"label_{lang}"].notna().any()
    ]
    return form, langs or ["en"], note


# ------------------------------------------------------------------ rules
def _choice_words(form: Form, list_name: str) -> pd.DataFrame:
    ch = form.choices[form.choices["list_name"] == list_name]
    rows = []
    for r in ch.itertuples(index=False):
        labels = {norm(getattr(r, f"label_{lang}", None)) for lang in LANGS} - {""}
        rows.append({"name": str(r.name), "code": norm(r.name), "labels": labels})
    return pd.DataFrame(rows, columns=["name", "code", "labels"])


def _means(code: str, labels: set[str], words: frozenset) -> bool:
    if code in words:
        return True
    return any(lab in words for lab in labels)


def sex_codes(form: Form, list_name: str) -> tuple[list[str], list[str], list[str]] | None:
    """Female, male and other codes of a choice list, or None when it is not a sex list.

    A list qualifies when at least one choice means female and one means male (by its code or
    by a label in any language) and it has at most five choices.

    Examples
    --------
    >>> import pandas as pd
    >>> ch = pd.DataFrame({"list_name": ["s", "s", "s"], "name": ["1", "2", "9"],
    ...     "label_en": ["Male", "Female", "No answer"], "label_es": [None] * 3,
    ...     "label_fr": [None] * 3})
    >>> f = Form(variables=pd.DataFrame(), choices=ch)
    >>> sex_codes(f, "s")
    (['2'], ['1'], ['9'])
    """
    words = _choice_words(form, list_name)
    if not 2 <= len(words) <= 5:
        return None
    female, male, other = [], [], []
    for r in words.itertuples(index=False):
        is_f = _means(r.code, r.labels, FEMALE_WORDS)
        is_m = _means(r.code, r.labels, MALE_WORDS)
        if is_f and not is_m:
            female.append(r.name)
        elif is_m and not is_f:
            male.append(r.name)
        else:
            other.append(r.name)
    if not female or not male:
        return None
    return female, male, other


def yes_no_codes(form: Form, list_name: str) -> tuple[str, str] | None:
    """(yes code, no code) of a yes/no list (other choices must be non-answers)."""
    words = _choice_words(form, list_name)
    if not 2 <= len(words) <= 4:
        return None
    yes = [r.name for r in words.itertuples(index=False) if _means(r.code, r.labels, YES_WORDS)]
    no = [r.name for r in words.itertuples(index=False) if _means(r.code, r.labels, NO_WORDS)]
    rest = set(words["name"]) - set(yes) - set(no)
    if len(yes) != 1 or len(no) != 1 or any(norm(c) not in NON_ANSWERS for c in rest):
        if len(yes) == 1 and len(no) == 1 and len(rest) <= 1:
            return yes[0], no[0]  # a third "don't know"-like choice with another code
        return None
    return yes[0], no[0]


def _label_text(row) -> str:
    return " ".join(norm(getattr(row, f"label_{lang}", None)) for lang in LANGS)


def find_sex_questions(form: Form) -> list[SexQuestion]:
    """Every select_one whose choices mean female/male, in form order."""
    out = []
    v = form.variables
    for r in v[(v["type"] == "select_one") & v["list_name"].notna()].itertuples(index=False):
        codes = sex_codes(form, r.list_name)
        if codes is None:
            continue
        female, male, other = codes
        out.append(
            SexQuestion(
                table=r.table,
                name=r.name,
                list_name=r.list_name,
                female=female,
                male=male,
                other=other,
                evidence=(
                    f"select_one {r.list_name}: choice(s) {', '.join(female)} mean female and "
                    f"{', '.join(male)} mean male"
                    + (f"; {', '.join(other)} neither" if other else "")
                ),
            )
        )
    return out


def _age_question(form: Form, table: str) -> str | None:
    v = form.variables[form.variables["table"] == table]
    for r in v[v["type"].isin(["integer", "decimal", "range"])].itertuples(index=False):
        words = set(norm(r.name).replace("_", " ").split()) | set(_label_text(r).split())
        if any(w in words for w in AGE_WORDS):  # whole words: 'tu_wage' is not an age
            return r.name
    return None


def head_rule(form: Form, table: str) -> tuple[str, str]:
    """The rule marking the household head in the roster, with its evidence ('' if none)."""
    v = form.variables[
        (form.variables["table"] == table) & (form.variables["type"] == "select_one")
    ]
    for r in v.itertuples(index=False):
        text = norm(r.name).replace("_", " ") + " " + _label_text(r)
        if any(w in text.split() or w in norm(r.name) for w in HEAD_WORDS):
            yn = yes_no_codes(form, r.list_name) if r.list_name else None
            if yn:
                return f"{r.name} == '{yn[0]}'", f"yes/no question {r.name!r} asks about the head"
    for r in v.itertuples(index=False):
        if not r.list_name:
            continue
        for c in _choice_words(form, r.list_name).itertuples(index=False):
            first_words = {lab.split()[0] for lab in c.labels if lab.split()}
            if c.code in HEAD_WORDS or c.code.startswith("head") or first_words & set(HEAD_WORDS):
                return (
                    f"{r.name} == '{c.name}'",
                    f"choice {c.name!r} of {r.name!r} means the head of household",
                )
    return "", ""


def _line_question(form: Form, table: str, types=("integer", "calculate")) -> str:
    v = form.variables[form.variables["table"] == table]
    for r in v[v["type"].isin(list(types))].itertuples(index=False):
        if _LINE.search(norm(r.name)) and not _age_question_name(r):
            return r.name
    return ""


def _age_question_name(r) -> bool:
    return any(w in norm(r.name).replace("_", " ").split() for w in AGE_WORDS)


# ------------------------------------------------------------------ inference
def _pick(key: str, candidates: list[tuple[str, str]], *, none_value: object, what: str) -> Choice:
    """One candidate → chosen; several → a question; none → ``none_value``."""
    if len(candidates) == 1:
        return Choice(key, candidates[0][0], candidates[0][1])
    if not candidates:
        return Choice(key, none_value, f"no {what} found in the form")
    return Choice(
        key,
        none_value,
        f"{len(candidates)} questions could be the {what}",
        question=f"which is the {what}? Uncomment one line",
        options=candidates,
    )


def infer_mapping(
    form_path: str | Path,
    *,
    data_tables: dict[str, pd.DataFrame] | None = None,
    design: pd.DataFrame | None = None,
) -> Inference:
    """Infer the ``[mapping]`` of a diagnostic from its XLSForm (and data, design file).

    Parameters
    ----------
    form_path : str or Path
        The XLSForm workbook.
    data_tables : dict, optional
        The Kobo export's sheets (name → frame), used to check that a household id is unique
        and which sex codes occur.
    design : DataFrame, optional
        The design file: its column names break ties between place questions.

    Returns
    -------
    Inference
    """
    form_path = Path(form_path)
    form = read_form(form_path, repeat_tables=KEEP_REPEAT_NAMES)
    form, languages, lang_note = form_languages(form, form_path)
    notes = [lang_note] if lang_note else []
    v = form.variables
    repeats = list(form.repeats)
    choices: list[Choice] = []
    sexq = find_sex_questions(form)

    # roster: a repeat with a sex question and an age question
    rosters = []
    for table in repeats:
        sq = [s for s in sexq if s.table == table]
        age = _age_question(form, table)
        if sq and age:
            rosters.append((table, sq[0], age))
    if len(rosters) > 1:  # prefer a name that says roster/member/person
        named = [r for r in rosters if _ROSTER.search(r[0])]
        rosters = named if len(named) == 1 else rosters
    roster_choice = _pick(
        "members.table",
        [(t, f"repeat {t!r} holds sex {s.name!r} and age {a!r}") for t, s, a in rosters],
        none_value="none",
        what="person roster (a repeat with sex and age)",
    )
    choices.append(roster_choice)
    roster = roster_choice.value if roster_choice.value != "none" else None
    members: dict = {"table": roster_choice.value}
    head = ""
    sex_for_codes: list[SexQuestion] = []
    if roster:
        _, rsex, rage = next(r for r in rosters if r[0] == roster)
        sex_for_codes.append(rsex)
        line = _line_question(form, roster)
        head, head_ev = head_rule(form, roster)
        members.update(line=line, sex=rsex.name, age=rage, head=head)
        choices += [
            Choice("members.sex", rsex.name, rsex.evidence),
            Choice("members.age", rage, f"integer question {rage!r} asks the age"),
            Choice(
                "members.line",
                line,
                f"{line!r} numbers the persons"
                if line
                else "no line-number question: the export's _index numbers the persons",
            ),
            Choice(
                "members.head",
                head,
                head_ev
                or "no question marks the household head: household indicators "
                "cannot be split by the head's sex",
            ),
        ]

    # respondents: a sex question on the main sheet, or in another repeat
    main_sex = [s for s in sexq if s.table == "households"]
    other_sex = [s for s in sexq if s.table not in ("households", roster)]
    if len(main_sex) > 1:
        named = [s for s in main_sex if _RESPONDENT.search(s.name)]
        main_sex = named if len(named) == 1 else main_sex
    resp_cands = [("main", s, f"main-sheet question {s.name!r}: {s.evidence}") for s in main_sex]
    resp_cands += [
        (s.table, s, f"question {s.name!r} in repeat {s.table!r}: {s.evidence}") for s in other_sex
    ]
    respondents: dict = {"table": "none", "sex": "", "line": ""}
    if len(resp_cands) == 1:
        table, s, ev = resp_cands[0]
        # the respondent's roster line (e.g. a select_one of roster lines): an individual module
        line = (
            ""
            if table == "main" or not roster
            else _line_question(form, table, ("integer", "select_one"))
        )
        respondents = {"table": table, "sex": s.name, "line": line}
        sex_for_codes.append(s)
        choices.append(Choice("respondents.table", table, ev))
        choices.append(Choice("respondents.sex", s.name, s.evidence))
    elif not resp_cands:
        choices.append(
            Choice(
                "respondents.table",
                "none",
                "no sex question outside the roster: there is no individual respondent module",
            )
        )
    else:
        choices.append(
            Choice(
                "respondents.table",
                "none",
                f"{len(resp_cands)} sex questions could be the respondent's",
                question="which question gives the respondent's sex? Uncomment one pair",
                options=[(f"{t}|{s.name}", ev) for t, s, ev in resp_cands],
            )
        )
    respondent_table = respondents["table"] if respondents["table"] != "none" else None

    # sex codes: union over the mapped sex questions
    female = sorted({c for s in sex_for_codes for c in s.female})
    male = sorted({c for s in sex_for_codes for c in s.male})
    neither = sorted({c for s in sex_for_codes for c in s.other if norm(c) not in NON_ANSWERS})
    if data_tables is not None:
        notes += _sex_codes_in_data(data_tables, sex_for_codes, female, male)
    choices.append(
        Choice(
            "sex_codes",
            {"female": female, "male": male},
            "; ".join(dict.fromkeys(f"{s.name}: {s.evidence}" for s in sex_for_codes))
            or "no sex question found",
        )
    )
    if neither:
        notes.append(
            f"sex code(s) {', '.join(neither)} mean neither female nor male: those persons are "
            "counted in totals but not in the comparison of women and men"
        )

    # household id
    main = v[v["table"] == "households"]
    ids = [
        (r.name, f"main-sheet {r.type} question named like a household id")
        for r in main.itertuples(index=False)
        if r.type in ("text", "integer", "calculate", "barcode") and _HHID.match(norm(r.name))
    ]
    if data_tables is not None and len(ids) > 1:
        ids = [c for c in ids if _unique_in_data(data_tables, c[0])] or ids
    hh = _pick("household_id", ids, none_value="_uuid", what="household id")
    if not ids:
        hh.evidence = (
            "no question looks like a household id: the Kobo submission id _uuid identifies "
            "each household"
        )
    choices.append(hh)

    # places
    design_cols = [str(c) for c in design.columns] if design is not None else []
    places = {}
    for key, patterns, what in (
        ("district", (_DISTRICT,), "stratum-level place (region, district, …)"),
        ("community", (_COMMUNITY, _COMMUNITY_WEAK), "cluster-level place (village, area, …)"),
    ):
        cands = []
        for pattern in patterns:  # the first pattern that finds a question decides
            cands = cands or [
                r.name
                for r in main.itertuples(index=False)
                if r.type in ("select_one", "text", "integer") and pattern.search(norm(r.name))
            ]
        if key == "community":
            cands = [c for c in cands if c != places.get("district")]
        in_design = [c for c in cands if c in design_cols]
        cands = in_design or cands[:1]  # form order: the first match is the question asked
        ev = (
            "a column of the design file and a main-sheet question"
            if in_design
            else f"main-sheet question named like a {what.split(' (')[0]}"
        )
        choice = _pick(key, [(c, ev) for c in cands], none_value="", what=what)
        places[key] = choice.value
        choices.append(choice)

    version = Choice(
        "form_version",
        "warn",
        "a Kobo export carries __version__; submissions from another version of the form are "
        "reported, not refused",
    )
    choices.append(version)
    weight = ""
    if design is not None:
        w = [c for c in design_cols if _WEIGHT.match(c)]
        weight = w[0] if w else ""
    mapping = {
        "household_id": hh.value,
        "district": places["district"],
        "community": places["community"],
        "form_version": version.value,
        "members": members,
        "respondents": respondents,
        "sex_codes": {"female": female, "male": male},
        "tables": {_unit_name(t): t for t in repeats if t not in (roster, respondent_table)},
    }
    return Inference(
        form=form,
        languages=languages,
        mapping=mapping,
        choices=choices,
        sex_questions=sexq,
        roster=roster,
        respondent_table=respondent_table,
        head_rule=head,
        repeats=repeats,
        design_columns={"columns": design_cols, "weight": weight},
        notes=notes,
    )


_PLOTS = re.compile(r"(parcel|plot|parcela|parcelle|field|champ|chacra|land_rep)", re.I)


def _other_units(repeats: list[str]) -> dict[str, str]:
    """Unit name → repeat for the other repeats; the first plot-like repeat is ``parcels``.

    ``parcels`` is the canonical table of the ``parcel`` unit of analysis: its questions are
    then compared by the sex of the household head like household questions.
    """
    out: dict[str, str] = {}
    plots = [t for t in repeats if _PLOTS.search(t)]
    for t in repeats:
        name = "parcels" if plots and t == plots[0] else _unit_name(t)
        while name in out or name in ("households", "members", "respondents"):
            name += "_"
        out[name] = t
    return out


def _unit_name(repeat: str) -> str:
    """A short unit name for a repeat: ``crop_repeat`` → ``crop``."""
    name = re.sub(r"(_?repeat|_?rep|_?loop|_?roster|^rep_?)", "", repeat, flags=re.I)
    name = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return name or repeat.lower()


def _columns_named(data_tables: dict[str, pd.DataFrame], name: str) -> list[pd.Series]:
    out = []
    for frame in data_tables.values():
        for col in frame.columns:
            if str(col) == name or str(col).endswith("/" + name):
                out.append(frame[col])
    return out


def _unique_in_data(data_tables: dict[str, pd.DataFrame], name: str) -> bool:
    cols = _columns_named(data_tables, name)
    return bool(cols) and cols[0].dropna().is_unique


def _sex_codes_in_data(data_tables, questions, female, male) -> list[str]:
    notes = []
    for q in questions:
        for col in _columns_named(data_tables, q.name):
            seen = set(col.dropna().astype(str))
            odd = sorted(seen - set(female) - set(male) - set(q.other))
            if odd:
                notes.append(
                    f"the export has value(s) {', '.join(odd)} in {q.name!r} that are not codes "
                    "of its choice list: `gender-diag validate` lists the rows"
                )
    return notes
