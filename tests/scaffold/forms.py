"""Two real public XLSForms (excerpts) and synthetic Kobo exports for them.

The forms' structure — question names, types, groups, repeats, choice lists and codes,
``relevant`` and ``calculation`` expressions — is taken from the public forms named in
``tests/data/forms/SOURCE.md``; the labels are short paraphrases written here. Only the
questions the tests need are kept (see SOURCE.md for why the workbooks themselves are not
committed).

:func:`kobo_export` writes an export in KoboToolbox's XLSX shape: the main sheet with group
paths (``group/sub/name``), one sheet per repeat with ``_index``/``_parent_index``/
``_parent_table_name``, select_multiple as the space-separated text plus one 0/1 column per
option (``path/code``), and the ``__version__``, ``_uuid``, ``_index``, ``_submission_time``
bookkeeping columns. A gap is planted: the planted question's "yes" probability depends on the
sex of the household head (household questions) or of the person (roster questions).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.ingest.xlsform import read_form, write_form
from gender_diag.scaffold.infer import KEEP_REPEAT_NAMES

# ---------------------------------------------------------------------------- RHoMIS 1.6
# (type, name, label en, label fr, label es, relevant, calculation)
_RHOMIS = [
    ("begin group", "SECTION_META", "Metadata", "Métadonnées", "Metadatos", "", ""),
    ("begin group", "metadata", "", "", "", "", ""),
    ("select_one int_name", "interviewername", "Interviewer", "Enquêteur", "Encuestador", "", ""),
    ("start", "starttime_auto", "", "", "", "", ""),
    ("end group", "metadata", "", "", "", "", ""),
    ("begin group", "Location", "Location", "Lieu", "Lugar", "", ""),
    ("select_one region", "region", "Region", "Région", "Región", "", ""),
    ("end group", "Location", "", "", "", "", ""),
    ("begin group", "Location2", "", "", "", "", ""),
    ("select_one village", "village", "Village", "Village", "Aldea", "", ""),
    ("text", "householdID", "Household ID", "Identifiant du ménage", "Código del hogar", "", ""),
    (
        "select_one beneficiary",
        "beneficiary",
        "Project beneficiary household",
        "Ménage bénéficiaire du projet",
        "Hogar beneficiario del proyecto",
        "",
        "",
    ),
    ("end group", "Location2", "", "", "", "", ""),
    ("end group", "SECTION_META", "", "", "", "", ""),
    ("begin group", "introduction", "", "", "", "", ""),
    (
        "select_one yes_no",
        "participation",
        "Consent to the survey",
        "Consentement",
        "Consentimiento",
        "",
        "",
    ),
    ("end group", "introduction", "", "", "", "", ""),
    ("begin group", "survey_grp", "", "", "", "${participation} = 'Y'", ""),
    ("begin group", "SECTION_HOUSEHOLD_INFO", "Household", "Ménage", "Hogar", "", ""),
    ("begin group", "RespondentDetails", "Respondent", "Répondant", "Entrevistado", "", ""),
    (
        "select_one male_female",
        "respondentsex",
        "Respondent's sex",
        "Sexe du répondant",
        "Sexo del entrevistado",
        "",
        "",
    ),
    (
        "text",
        "respondentname",
        "Respondent's name",
        "Nom du répondant",
        "Nombre del entrevistado",
        "",
        "",
    ),
    (
        "select_one yes_no",
        "respondent_is_head",
        "Respondent is the head",
        "Le répondant est le chef",
        "El entrevistado es el jefe",
        "",
        "",
    ),
    ("end group", "RespondentDetails", "", "", "", "", ""),
    ("begin group", "HouseholdHeadDetails", "Head", "Chef", "Jefe", "", ""),
    (
        "select_one education",
        "education_level",
        "Education of the head",
        "Éducation du chef",
        "Educación del jefe",
        "",
        "",
    ),
    ("end group", "HouseholdHeadDetails", "", "", "", "", ""),
    ("begin group", "householdpopulation", "", "", "", "", ""),
    (
        "integer",
        "count_people",
        "People in the household",
        "Personnes du ménage",
        "Personas del hogar",
        "",
        "",
    ),
    ("begin repeat", "hh_pop_repeat", "", "", "", "", ""),
    ("calculate", "hh_pop_rep_num", "", "", "", "", "position(..)"),
    ("begin group", "hh_pop_repeat_grp", "", "", "", "position(..) <=  ${count_people}", ""),
    ("select_one male_female", "person_gender", "Gender", "Sexe", "Sexo", "", ""),
    ("integer", "person_age", "Age in years", "Âge en années", "Edad en años", "", ""),
    (
        "select_one yes_no",
        "head_person",
        "Is head of household?",
        "Est chef de ménage ?",
        "¿Es jefe del hogar?",
        "",
        "",
    ),
    ("end group", "hh_pop_repeat_grp", "", "", "", "", ""),
    ("end repeat", "hh_pop_repeat", "", "", "", "", ""),
    ("end group", "householdpopulation", "", "", "", "", ""),
    ("end group", "SECTION_HOUSEHOLD_INFO", "", "", "", "", ""),
    ("begin group", "farm_size_grp", "Land", "Terres", "Tierras", "", ""),
    (
        "select_multiple land_tenure",
        "land_tenure",
        "Land the household owns, rents or uses",
        "Terres possédées, louées ou utilisées",
        "Tierra propia, alquilada o comunal",
        "",
        "",
    ),
    (
        "decimal",
        "landcultivated",
        "Land cultivated (last 12 months)",
        "Terre cultivée (12 derniers mois)",
        "Tierra cultivada (últimos 12 meses)",
        "",
        "",
    ),
    ("end group", "farm_size_grp", "", "", "", "", ""),
    (
        "select_one yes_no",
        "grow_crops",
        "The household grows crops",
        "Le ménage cultive",
        "El hogar cultiva",
        "",
        "",
    ),
    ("begin repeat", "crop_repeat", "", "", "", "", ""),
    ("select_one crop_list", "crop_name", "Crop", "Culture", "Cultivo", "", ""),
    ("end repeat", "crop_repeat", "", "", "", "", ""),
    (
        "select_one yes_no",
        "livestock_owners",
        "The household keeps livestock",
        "Le ménage élève du bétail",
        "El hogar cría ganado",
        "",
        "",
    ),
    (
        "integer",
        "livestock_heads_cattle",
        "Number of cattle",
        "Nombre de bovins",
        "Número de vacunos",
        "",
        "",
    ),
    (
        "select_one yes_no",
        "gather_wildfoods",
        "The household gathers wild foods",
        "Le ménage cueille des aliments sauvages",
        "El hogar recolecta alimentos silvestres",
        "",
        "",
    ),
    ("end group", "survey_grp", "", "", "", "", ""),
]
# (list, code, en, fr, es)
_RHOMIS_CHOICES = [
    ("int_name", "int_1", "Interviewer 1", "Enquêteur 1", "Encuestador 1"),
    ("int_name", "int_2", "Interviewer 2", "Enquêteur 2", "Encuestador 2"),
    *[("region", f"r{i}", f"Region {i}", f"Région {i}", f"Región {i}") for i in (1, 2, 3)],
    *[("village", f"v{i:02d}", f"Village {i}", f"Village {i}", f"Aldea {i}") for i in range(1, 13)],
    ("beneficiary", "Y", "Yes", "Oui", "Si"),
    ("beneficiary", "N", "No", "Non", "No"),
    ("yes_no", "Y", "Yes", "Oui", "Si"),
    ("yes_no", "N", "No", "Non", "No"),
    ("yes_no", "no_answer", "No answer", "Pas de réponse", "Sin respuesta"),
    ("male_female", "M", "Male", "Homme", "Hombre"),
    ("male_female", "F", "Female", "Femme", "Mujer"),
    ("male_female", "no_answer", "No answer", "Pas de réponse", "Sin respuesta"),
    ("education", "No_school", "No school", "Pas d'école", "Sin escuela"),
    ("education", "primary", "Primary", "Primaire", "Primaria"),
    ("education", "secondary", "Secondary", "Secondaire", "Secundaria"),
    ("education", "no_answer", "No answer", "Pas de réponse", "Sin respuesta"),
    ("land_tenure", "own", "Owns land", "Possède", "Propia"),
    ("land_tenure", "rentin", "Rents in", "Loue", "Alquila"),
    ("land_tenure", "none", "No land", "Pas de terre", "Sin tierra"),
    ("crop_list", "maize", "Maize", "Maïs", "Maíz"),
    ("crop_list", "beans", "Beans", "Haricots", "Frijoles"),
]

# ---------------------------------------------------------------------------- Nairobi 2021
# (type, name, label, relevant, calculation, repeat_count)
_NAIROBI = [
    ("start", "start", "", "", "", ""),
    ("end", "end", "", "", "", ""),
    ("text", "Enum_Name", "Name of the enumerator", "", "", ""),
    ("text", "Area_Code", "Area code", "", "", ""),
    (
        "select_one Informed_consent",
        "Informed_consent",
        "Did the participant give consent?",
        "",
        "",
        "",
    ),
    ("begin_group", "group_HH_members", "", "", "", ""),
    ("begin_repeat", "Rep_names_HH", "First names", "", "", ""),
    ("text", "Name", "First name of the person", "", "", ""),
    ("end_repeat", "", "", "", "", ""),
    ("calculate", "Count_HH_members", "", "", "count(${Name})", ""),
    ("begin_repeat", "Rep_Bio_HH", "Personal details", "", "", "${Count_HH_members}"),
    ("calculate", "Name_bio", "", "", "indexed-repeat(${Name}, ${Rep_names_HH}, position(..))", ""),
    (
        "select_one Relation_to_HH",
        "Relation_to_HH",
        "What is the relation of the person to the head of the household?",
        "",
        "",
        "",
    ),
    ("select_one Lives_Here", "Lives_Here", "Does the person usually live here?", "", "", ""),
    ("begin_group", "group_HH_members", "", "", "", ""),
    ("select_one Sex", "Sex", "What is the sex of the person?", "", "", ""),
    ("integer", "Age", "How old is the person (in years)?", "", "", ""),
    (
        "select_one Diarrhoea",
        "Diarrhoea",
        "Has the person had diarrhoea in the last 2 weeks?",
        "",
        "",
        "",
    ),
    (
        "select_one School_current",
        "School_current",
        "Is the person currently attending school?",
        "${Age} <= 18",
        "",
        "",
    ),
    ("end_group", "", "", "", "", ""),
    ("end_repeat", "", "", "", "", ""),
    ("end_group", "", "", "", "", ""),
    ("begin_group", "group_WaterHygiene", "", "", "", ""),
    (
        "select_one DrinkingWaterGroup",
        "DrinkingWaterGroup",
        "Where do you usually obtain drinking water for this household?",
        "",
        "",
        "",
    ),
    (
        "integer",
        "DrinkingWaterDist",
        "How long (in minutes) does it take to go there, get water, and come back?",
        "",
        "",
        "",
    ),
    ("end_group", "", "", "", "", ""),
    ("begin_group", "group_HH_characteristics", "", "", "", ""),
    ("select_multiple HHITEMS", "HHITEMS", "Does your household have:", "", "", ""),
    (
        "select_one HHANIMALS",
        "HHANIMALS",
        "Does this household own and keep any animals?",
        "",
        "",
        "",
    ),
    ("integer", "HHROOMS", "How many rooms does this household have?", "", "", ""),
    ("end_group", "", "", "", "", ""),
    ("begin_group", "group_HH_location", "", "", "", ""),
    ("text", "HH_Number", "Household number indicated on the map", "", "", ""),
    ("geopoint", "HH_Record_location", "Record the location of the household", "", "", ""),
    ("end_group", "", "", "", "", ""),
]
_NAIROBI_CHOICES = [
    ("Informed_consent", "Consent_OK", "The participant gave informed consent"),
    ("Informed_consent", "Consent_NOT_OK", "The participant did NOT give consent"),
    ("Relation_to_HH", "Head", "Head of household"),
    ("Relation_to_HH", "W_H", "Wife or husband"),
    ("Relation_to_HH", "S_D", "Son or daughter"),
    ("Relation_to_HH", "Other", "Other relative"),
    ("Relation_to_HH", "NA", "Does not know / prefers not to answer"),
    ("Lives_Here", "Y", "Yes"),
    ("Lives_Here", "N", "No"),
    ("Sex", "M", "Male"),
    ("Sex", "F", "Female"),
    ("Sex", "T", "Transexual"),
    ("Sex", "NA", "Does not know / prefers not to answer"),
    ("Diarrhoea", "Y", "Yes"),
    ("Diarrhoea", "N", "No"),
    ("Diarrhoea", "NA", "Does not know / prefers not to answer"),
    ("School_current", "Y", "Yes"),
    ("School_current", "N", "No"),
    ("School_current", "NA", "Does not know / prefers not to answer"),
    ("DrinkingWaterGroup", "Private", "Private or semi-private source"),
    ("DrinkingWaterGroup", "Public", "Public or commercial source"),
    ("DrinkingWaterGroup", "Surface", "Surface water"),
    ("HHITEMS", "Electricity", "Electricity?"),
    ("HHITEMS", "Radio", "A radio device?"),
    ("HHITEMS", "Smartphone", "A smartphone?"),
    ("HHITEMS", "Noitems", "None of the above"),
    ("HHANIMALS", "Y", "Yes"),
    ("HHANIMALS", "N", "No"),
]


def rhomis_form(path: Path) -> Path:
    """RHoMIS 1.6 excerpt: roster repeat, one respondent per household, en/fr/es labels."""
    survey = [
        {
            "type": t,
            "name": n,
            "label::English (en)": en,
            "label::Français (fr)": fr,
            "label::Español (es)": es,
            "relevant": rel,
            "calculation": calc,
        }
        for t, n, en, fr, es, rel, calc in _RHOMIS
    ]
    choices = [
        {
            "list_name": ln,
            "name": c,
            "label::English (en)": en,
            "label::Français (fr)": fr,
            "label::Español (es)": es,
        }
        for ln, c, en, fr, es in _RHOMIS_CHOICES
    ]
    settings = {
        "form_title": "RHoMIS 1.6.1",
        "form_id": "Rhomis_core_v1_6_1",
        "version": "1",
        "default_language": "English (en)",
    }
    return write_form(path, survey, choices, settings)


def nairobi_form(path: Path) -> Path:
    """Nairobi 2021 household WASH survey excerpt: roster, no respondent, sex M/F/T."""
    survey = [
        {
            "type": t,
            "name": n,
            "label": lab,
            "relevant": rel,
            "calculation": calc,
            "repeat_count": rc,
        }
        for t, n, lab, rel, calc, rc in _NAIROBI
    ]
    choices = [{"list_name": ln, "name": c, "label": lab} for ln, c, lab in _NAIROBI_CHOICES]
    return write_form(path, survey, choices, {"form_title": "Nairobi_2021", "version": "2021"})


# ---------------------------------------------------------------------------- exports
@dataclass(frozen=True)
class Plant:
    """A planted gap: P(question == yes) is ``p_female`` for women (female-headed households)
    and ``p_male`` for men (male-headed households)."""

    question: str
    yes: str
    no: str
    p_female: float
    p_male: float

    @property
    def gap(self) -> float:
        return self.p_female - self.p_male


@dataclass(frozen=True)
class Spec:
    """What the export generator needs to know about a form beyond its XLSForm."""

    household_id: str
    roster: str
    sex: str
    age: str
    female: str
    male: str
    head: tuple[str, str, str]  # (question, head code, other code)
    place: dict  # question -> list of codes (first: district-like, then community-like)
    identifiers: dict  # question -> prefix of the identifying text values
    plant: Plant
    respondent_sex: str = ""
    other_sex: str = ""  # a third sex code occurring in the data


RHOMIS = Spec(
    household_id="householdID",
    roster="hh_pop_repeat",
    sex="person_gender",
    age="person_age",
    female="F",
    male="M",
    head=("head_person", "Y", "N"),
    place={"region": ["r1", "r2", "r3"], "village": [f"v{i:02d}" for i in range(1, 13)]},
    identifiers={"respondentname": "Respondent Zq", "householdID": "RHH-"},
    plant=Plant("livestock_owners", "Y", "N", p_female=0.35, p_male=0.70),
    respondent_sex="respondentsex",
)
NAIROBI = Spec(
    household_id="HH_Number",
    roster="Rep_Bio_HH",
    sex="Sex",
    age="Age",
    female="F",
    male="M",
    head=("Relation_to_HH", "Head", "S_D"),
    place={"Area_Code": ["MU1", "MU2", "MU3", "AM1", "AM2", "AM3", "UA1", "UA2", "UA3"]},
    identifiers={"Enum_Name": "Enumerator Xw", "HH_Number": "99"},
    plant=Plant("HHANIMALS", "Y", "N", p_female=0.20, p_male=0.55),
    other_sex="T",
)


def _value(rng, typ: str, codes: list[str], n: int) -> list:
    if typ == "integer":
        return list(rng.integers(0, 12, n))
    if typ == "decimal":
        return list(np.round(rng.gamma(2.0, 0.8, n), 2))
    if typ == "select_one":
        return list(rng.choice(codes, n))
    if typ == "select_multiple":
        picks = rng.random((n, len(codes))) < 0.4
        return [
            " ".join(c for c, p in zip(codes, row, strict=True) if p) or codes[0] for row in picks
        ]
    return [f"x{i}" for i in rng.integers(0, 10**6, n)]


def kobo_export(
    form_path: Path, spec: Spec, path: Path, *, n_households: int = 480, seed: int = 7
) -> dict:
    """Write a synthetic Kobo XLSX export of ``form_path``; return the planted truth.

    Households are spread evenly over the place codes; each has 2–6 members, one of them the
    head (female in about 40 % of households); the planted question follows :class:`Plant`.
    """
    rng = np.random.default_rng(seed)
    form = read_form(form_path, repeat_tables=KEEP_REPEAT_NAMES)
    v = form.variables
    codes = {
        ln: [c for c in form.choice_codes(ln) if c not in ("no_answer", "NA")]
        for ln in form.choices["list_name"].unique()
    }
    main_vars = v[v["table"] == "households"]
    n = n_households
    head_female = rng.random(n) < 0.4
    main: dict[str, list] = {}
    for r in main_vars.itertuples(index=False):
        cl = codes.get(r.list_name, []) if r.list_name else []
        if r.type in ("start", "end"):
            vals = ["2026-05-04T09:00:00"] * n
        elif r.type == "calculate" or r.type == "geopoint":
            vals = ["-1.28 36.82 1700 5" if r.type == "geopoint" else ""] * n
        elif cl == ["Y", "N"] or r.name in ("participation",):
            vals = ["Y"] * n if r.name == "participation" else list(rng.choice(["Y", "N"], n))
        else:
            vals = _value(rng, r.type, cl, n)
        main[r.path] = vals
        if r.type == "select_multiple":
            for c in cl:
                main[f"{r.path}/{c}"] = [int(c in str(x).split()) for x in vals]
    for q, prefix in spec.identifiers.items():
        path_q = v.loc[v["name"] == q, "path"].iloc[0]
        main[path_q] = [f"{prefix}{i:05d}" for i in range(1, n + 1)]
    place_qs = list(spec.place)
    comm = spec.place[place_qs[-1]]
    comm_of = np.array([comm[i % len(comm)] for i in range(n)])
    main[v.loc[v["name"] == place_qs[-1], "path"].iloc[0]] = list(comm_of)
    if len(place_qs) > 1:
        dist = spec.place[place_qs[0]]
        per = len(comm) // len(dist)
        lookup = {c: dist[min(i // per, len(dist) - 1)] for i, c in enumerate(comm)}
        main[v.loc[v["name"] == place_qs[0], "path"].iloc[0]] = [lookup[c] for c in comm_of]
    p = spec.plant
    prob = np.where(head_female, p.p_female, p.p_male)
    main[v.loc[v["name"] == p.question, "path"].iloc[0]] = list(
        np.where(rng.random(n) < prob, p.yes, p.no)
    )
    if spec.respondent_sex:
        resp_path = v.loc[v["name"] == spec.respondent_sex, "path"].iloc[0]
        main[resp_path] = list(np.where(head_female, spec.female, spec.male))
    main_frame = pd.DataFrame(main)
    main_frame["__version__"] = "vAbc123"
    main_frame["_uuid"] = [f"uuid-{i:06d}" for i in range(1, n + 1)]
    main_frame["_submission_time"] = "2026-05-04T10:00:00"
    main_frame["_index"] = range(1, n + 1)

    # roster
    ros_vars = v[v["table"] == spec.roster]
    rows = []
    sizes = rng.integers(2, 7, n)
    for h in range(n):
        for k in range(sizes[h]):
            is_head = k == 0
            female = head_female[h] if is_head else rng.random() < 0.5
            if not is_head and spec.other_sex and rng.random() < 0.02:
                sex = spec.other_sex
            else:
                sex = spec.female if female else spec.male
            row = {}
            for r in ros_vars.itertuples(index=False):
                cl = codes.get(r.list_name, []) if r.list_name else []
                if r.name == spec.sex:
                    val = sex
                elif r.name == spec.age:
                    val = int(rng.integers(30, 70) if is_head else rng.integers(0, 60))
                elif r.name == spec.head[0]:
                    val = spec.head[1] if is_head else spec.head[2]
                elif r.type == "calculate":
                    val = str(k + 1) if "position" in str(r.calculation) else ""
                elif r.type == "select_one":
                    val = str(rng.choice(cl)) if cl else ""
                else:
                    val = _value(rng, r.type, cl, 1)[0]
                row[r.path] = val
            row["_index"] = len(rows) + 1
            row["_parent_index"] = h + 1
            row["_parent_table_name"] = "main"
            row["_submission__uuid"] = f"uuid-{h + 1:06d}"
            rows.append(row)
    sheets = {"main": main_frame, spec.roster[:31]: pd.DataFrame(rows)}
    for rep in form.repeats:
        if rep in (spec.roster,):
            continue
        rv = v[v["table"] == rep]
        rrows = []
        for h in range(n):
            for _ in range(int(rng.integers(1, 3))):
                row = {}
                for r in rv.itertuples(index=False):
                    cl = codes.get(r.list_name, []) if r.list_name else []
                    row[r.path] = _value(rng, r.type, cl, 1)[0]
                row["_index"] = len(rrows) + 1
                row["_parent_index"] = h + 1
                row["_parent_table_name"] = "main"
                rrows.append(row)
        sheets[rep[:31]] = pd.DataFrame(rrows)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            frame.to_excel(xw, sheet_name=name, index=False)
    return {
        "plant": p,
        "households": n,
        "members": int(sizes.sum()),
        "identifiers": {
            q: [f"{prefix}{i:05d}" for i in range(1, n + 1)]
            for q, prefix in spec.identifiers.items()
        },
    }
