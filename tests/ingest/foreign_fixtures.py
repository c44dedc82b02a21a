"""A small synthetic survey in the shape of a partner's own Kobo form (not our instrument).

Built in code, like a farm-household form this project did not write: the household id is
``householdID`` in a group ``hh``, places are ``region``/``village``, the roster is the repeat
``hh_pop_repeat`` (``hh_pop_rep_num`` = position, ``person_gender`` coded ``female``/``male``/
``other``, ``person_age``, ``head_person`` Y/N), one respondent per household on the main
sheet (``respondentsex``), a ``plot_repeat`` with the nested ``crop_repeat`` (who decides
on the crop: a select_multiple over roster line numbers), ``__version__`` and Kobo's
``_index``/``_parent_index`` links. The design file has its own column names (``region``,
``village``, ``wt``, ``n_villages``, ``n_hh``).

A gap is planted: women respondents own a phone less often than men (0.35 vs 0.75).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.ingest.xlsform import write_form

E = "label::English (en)"

MAPPING_TOML = """
[mapping]
household_id = "hh/householdID"
district = "region"
community = "village"
form_version = "check"

[mapping.members]
table = "hh_pop_repeat"
line = "hh_pop_rep_num"
sex = "person_gender"
age = "person_age"
head = "head_person == 'Y'"

[mapping.respondents]
table = "main"
sex = "respondentsex"

[mapping.sex_codes]
female = ["female"]
male = ["male"]

[mapping.tables]
plots = "plot_repeat"
crops = "crop_repeat"
"""


def q(type_, name, label="", **kw):
    row = {"type": type_, "name": name, E: label or name}
    row.update(kw)
    return row


SURVEY = [
    q("start", "start"),
    q("end", "end"),
    q("begin_group", "hh", "Household"),
    q("text", "householdID", "Household ID", required="yes"),
    q("select_one region", "region", "Region", required="yes"),
    q("select_one village", "village", "Village", required="yes"),
    q("select_one gender", "respondentsex", "Sex of the respondent", required="yes"),
    q("integer", "respondentage", "Age of the respondent"),
    q("select_one yn", "owns_phone", "Do you own a mobile phone?", required="yes"),
    q(
        "select_one yn",
        "phone_internet",
        "Does it connect to the internet?",
        relevant="${owns_phone} = 'Y' and string-length(${householdID}) > 0",
        required="yes",
    ),
    q("end_group", ""),
    q("begin_repeat", "hh_pop_repeat", "Household members"),
    q("calculate", "hh_pop_rep_num", calculation="position(..)"),
    q("select_one gender", "person_gender", "Sex", required="yes"),
    q("integer", "person_age", "Age", required="yes"),
    q("select_one yn", "head_person", "Is this the head?", required="yes"),
    q(
        "select_one yn",
        "attends_school",
        "Attends school?",
        relevant="${person_age} < 18 and position(..) > 1",
        required="yes",
    ),
    q("end_repeat", ""),
    q("begin_repeat", "plot_repeat", "Plots"),
    q("decimal", "plot_area", "Area (ha)"),
    q("select_one members", "plot_owner", "Who owns this plot? (roster line)"),
    q("begin_repeat", "crop_repeat", "Crops on the plot"),
    q("select_one crop", "crop_name", "Crop"),
    q("select_multiple members", "crop_decider", "Who decides on this crop? (roster lines)"),
    q("end_repeat", ""),
    q("end_repeat", ""),
]


def choices() -> list[dict]:
    rows = [{"list_name": "gender", "name": n, E: n.title()} for n in ("female", "male", "other")]
    rows += [{"list_name": "yn", "name": n, E: lab} for n, lab in (("Y", "Yes"), ("N", "No"))]
    rows += [{"list_name": "region", "name": r, E: r.title()} for r in ("north", "south")]
    rows += [{"list_name": "village", "name": f"v{i:02d}", E: f"Village {i}"} for i in range(1, 9)]
    rows += [{"list_name": "crop", "name": c, E: c.title()} for c in ("maize", "beans", "cassava")]
    rows += [{"list_name": "members", "name": str(i), E: f"Member {i}"} for i in range(1, 9)]
    return rows


def write_foreign(
    folder: Path, *, households_per_village: int = 10, seed: int = 0, plant_other_sex: bool = True
) -> dict[str, Path]:
    """Write form.xlsx, export.xlsx, design.csv and mapping.toml; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    form = write_form(folder / "form.xlsx", SURVEY, choices(), {"form_id": "farm", "version": "3"})
    villages = [(f"v{i:02d}", "north" if i <= 4 else "south") for i in range(1, 9)]
    main, roster, plots, crops = [], [], [], []
    seen = {True: 0, False: 0}
    idx = 0
    for vil, reg in villages:
        for _ in range(households_per_village):
            idx += 1
            female = rng.random() < 0.5
            # the planted share is realised exactly in each sex (a systematic pattern), so the
            # sample gap is the planted one up to the weighting
            p = 0.35 if female else 0.75
            k = seen[female]
            owns = int((k + 1) * p) > int(k * p)
            seen[female] += 1
            main.append(
                {
                    "start": "2026-05-01T09:00:00",
                    "end": "2026-05-01T09:40:00",
                    "hh/householdID": f"HH-{idx:04d}",
                    "hh/region": reg,
                    "hh/village": vil,
                    "hh/respondentsex": "female" if female else "male",
                    "hh/respondentage": int(rng.integers(18, 70)),
                    "hh/owns_phone": "Y" if owns else "N",
                    "hh/phone_internet": ("Y" if rng.random() < 0.5 else "N") if owns else None,
                    "__version__": "3",
                    "_id": 1000 + idx,
                    "_uuid": f"uuid-{idx:04d}",
                    "_submission_time": "2026-05-02T10:00:00",
                    "_index": idx,
                }
            )
            size = int(rng.integers(2, 6))
            head_female = rng.random() < 0.3
            for line in range(1, size + 1):
                sex = (
                    ("female" if head_female else "male")
                    if line == 1
                    else ("female" if rng.random() < 0.5 else "male")
                )
                age = int(rng.integers(25, 70)) if line == 1 else int(rng.integers(1, 60))
                roster.append(
                    {
                        "hh_pop_repeat/hh_pop_rep_num": line,
                        "hh_pop_repeat/person_gender": sex,
                        "hh_pop_repeat/person_age": age,
                        "hh_pop_repeat/head_person": "Y" if line == 1 else "N",
                        "hh_pop_repeat/attends_school": (
                            ("Y" if rng.random() < 0.8 else "N") if age < 18 else None
                        ),
                        "_index": len(roster) + 1,
                        "_parent_index": idx,
                        "_parent_table_name": "farm",
                    }
                )
            for _ in range(int(rng.integers(1, 3))):
                plots.append(
                    {
                        "plot_repeat/plot_area": round(float(rng.uniform(0.1, 3)), 2),
                        "plot_repeat/plot_owner": str(int(rng.integers(1, size + 1))),
                        "_index": len(plots) + 1,
                        "_parent_index": idx,
                        "_parent_table_name": "farm",
                    }
                )
                for crop in rng.choice(["maize", "beans", "cassava"], size=2, replace=False):
                    deciders = sorted({1, int(rng.integers(1, size + 1))})
                    row = {
                        "plot_repeat/crop_repeat/crop_name": str(crop),
                        "plot_repeat/crop_repeat/crop_decider": " ".join(map(str, deciders)),
                    }
                    for k in range(1, 9):
                        row[f"plot_repeat/crop_repeat/crop_decider/{k}"] = int(k in deciders)
                    row.update(
                        {
                            "_index": len(crops) + 1,
                            "_parent_index": len(plots),
                            "_parent_table_name": "plot_repeat",
                        }
                    )
                    crops.append(row)
    if plant_other_sex:
        roster[4]["hh_pop_repeat/person_gender"] = "other"  # sheet row 6
    export = folder / "export.xlsx"
    with pd.ExcelWriter(export, engine="openpyxl") as xw:
        pd.DataFrame(main).to_excel(xw, sheet_name="farm", index=False)
        pd.DataFrame(roster).to_excel(xw, sheet_name="hh_pop_repeat", index=False)
        pd.DataFrame(plots).to_excel(xw, sheet_name="plot_repeat", index=False)
        pd.DataFrame(crops).to_excel(xw, sheet_name="crop_repeat", index=False)
    counts = pd.Series([h["hh/village"] for h in main]).value_counts()
    design = pd.DataFrame(
        {
            "region": [r for _, r in villages],
            "village": [v for v, _ in villages],
            "wt": [20.0 if r == "north" else 30.0 for _, r in villages],
            "n_villages": [12 if r == "north" else 15 for _, r in villages],
            "n_hh": [counts[v] * (20 if r == "north" else 30) for v, r in villages],
        }
    )
    design.to_csv(folder / "design.csv", index=False)
    (folder / "mapping.toml").write_text(MAPPING_TOML, encoding="utf-8")
    return {
        "form": form,
        "export": export,
        "design": folder / "design.csv",
        "mapping": folder / "mapping.toml",
    }


CATALOGUE_YAML = """
version: 1
indicators:
- id: owns_phone
  domain: digital
  label: {es: Tiene teléfono, fr: Possède un téléphone, en: Owns a mobile phone}
  definition: {es: Tiene teléfono., fr: Possède un téléphone., en: Owns a mobile phone.}
  unit: respondent
  universe: all
  type: proportion
  rule: owns_phone == 'Y'
  direction: higher_better
  standard: SDG 5.b.1
  sensitive: false
  tags: {moser: strategic, roles: productive, harvard: access, rights: economic}
- id: grows_maize
  domain: agriculture
  label: {es: Cultiva maíz, fr: Cultive du maïs, en: Grows maize}
  definition: {es: Hogar con maíz., fr: Ménage avec maïs., en: Household growing maize.}
  unit: household
  universe: all
  type: proportion
  rule: any_crops(crop_name == 'maize')
  direction: higher_better
  standard: ''
  sensitive: false
  tags: {moser: practical, roles: productive, harvard: access, rights: economic}
- id: woman_decides_crop
  domain: agriculture
  label: {es: Una mujer decide un cultivo, fr: Une femme décide d'une culture,
          en: A woman decides on a crop}
  definition: {es: Al menos un cultivo., fr: Au moins une culture., en: At least one crop.}
  unit: household
  universe: count_crops(True) > 0
  type: proportion
  rule: any_crops(women_in(crop_decider) > 0)
  direction: higher_better
  standard: ''
  sensitive: false
  tags: {moser: strategic, roles: productive, harvard: control, rights: economic}
- id: plot_area_ha
  domain: agriculture
  label: {es: Superficie, fr: Superficie, en: Plot area}
  definition: {es: Hectáreas., fr: Hectares., en: Hectares.}
  unit: household
  universe: all
  type: mean
  rule: sum_plots(plot_area)
  direction: higher_better
  standard: ''
  sensitive: false
  tags: {moser: practical, roles: productive, harvard: access, rights: economic}
- id: woman_owns_plot
  domain: agriculture
  label: {es: Mujer dueña de parcela, fr: Femme propriétaire, en: A woman owns a plot}
  definition: {es: Al menos una., fr: Au moins une., en: At least one plot.}
  unit: household
  universe: count_plots(True) > 0
  type: proportion
  rule: any_plots(sex_of(plot_owner) == 'F')
  direction: higher_better
  standard: ''
  sensitive: false
  tags: {moser: strategic, roles: productive, harvard: control, rights: economic}
- id: school_attendance
  domain: education
  label: {es: Asiste a la escuela, fr: Va à l'école, en: Attends school}
  definition: {es: Menores de 18., fr: Moins de 18 ans., en: Members under 18.}
  unit: member
  universe: age < 18 and age >= 6
  type: proportion
  rule: attends_school == 'Y'
  direction: higher_better
  standard: ''
  sensitive: false
  tags: {moser: practical, roles: reproductive, harvard: access, rights: social}
"""

DIAGNOSTIC_TOML = """
[diagnostic]
name = "foreign"
languages = ["en"]
output_dir = "{out}"

[input]
format = "kobo"
path = "export.xlsx"
form = "form.xlsx"
design = "design.csv"

[design]
weight = "wt"
strata = "region"
psu = "village"
fpc = "n_villages"
fpc2 = "n_hh"

[indicators]
catalogue = "catalogue.yaml"
disaggregations = ["district", "age_band", "head_sex"]

[indices]
presets = []

[ranking]
draws = 200
"""


def write_diagnostic(folder: Path, out: Path, **kw) -> Path:
    """A foreign survey with a hand-written diagnostic.toml ([mapping] included)."""
    write_foreign(folder, **kw)
    (folder / "catalogue.yaml").write_text(CATALOGUE_YAML, encoding="utf-8")
    cfg = folder / "diagnostic.toml"
    cfg.write_text(DIAGNOSTIC_TOML.format(out=out) + MAPPING_TOML, encoding="utf-8")
    return cfg
