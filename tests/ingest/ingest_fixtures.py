"""Small hand-made fixtures in the real export formats (Kobo XLSX / CSV, ODK CSV set).

A tiny XLSForm of our own (households, roster, parcels, individual module) and a clean
3-household export are built in code, so every test starts from a known-good file and plants
exactly one kind of problem.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gender_diag.ingest.xlsform import write_form

L = "label::Español (es)"
E = "label::English (en)"
F = "label::Français (fr)"


def q(type_, name, es="", **kw):
    row = {"type": type_, "name": name, L: es or name, E: (es or name) + " (en)", F: ""}
    row.update(kw)
    return row


SURVEY = [
    q("start", "start"),
    q("begin_group", "ident", "Identificación"),
    q("select_one district", "district", "Distrito", required="yes"),
    q("select_one community", "community", "Comunidad", required="yes"),
    q("text", "hhid", "Código del hogar", required="yes", constraint="regex(., '^H[0-9]{5}$')"),
    q("text", "phone", "Teléfono", **{"bind::gd:identifier": "true"}),
    q("geopoint", "gps", "GPS"),
    q("select_one yes_no", "consent", "Consentimiento", required="yes"),
    q("end_group", ""),
    q("begin_repeat", "roster", "Miembros", relevant="${consent} = 'yes'"),
    q("calculate", "line", calculation="position(..)"),
    q("text", "member_name", "Nombre", **{"bind::gd:identifier": "true"}),
    q("select_one sex", "sex", "Sexo", required="yes"),
    q("integer", "age", "Edad", required="yes", constraint=". >= 0 and . <= 110"),
    q("select_one marital", "marital", "Estado civil", relevant="${age} >= 12"),
    q("select_one yes_no", "has_dni", "¿Tiene DNI?"),
    q(
        "text",
        "dni_number",
        "Número de DNI",
        relevant="${has_dni} = 'yes'",
        **{"bind::gd:identifier": "true"},
    ),
    q("end_repeat", ""),
    q("select_multiple assets", "assets_major", "Bienes"),
    q("select_one yes_no", "credit_any", "Crédito"),
    q("begin_repeat", "parcels", "Parcelas"),
    q("calculate", "parcel", calculation="position(..)"),
    q("decimal", "parcel_area", "Área (ha)", constraint=". > 0 and . <= 200"),
    q("end_repeat", ""),
    q("begin_repeat", "individual", "Módulo individual"),
    q("select_one line", "resp_line", "Línea del encuestado", required="yes"),
    q("select_one sex", "resp_sex", "Sexo del encuestado"),
    q("select_one input_scale", "input_food_crops", "Decisiones"),
    q("decimal", "tu_sleep", "Horas durmiendo"),
    q("decimal", "tu_farm", "Horas en la chacra"),
    q("decimal", "tu_domestic", "Horas de trabajo doméstico"),
    q("decimal", "tu_other", "Otras horas"),
    q("select_one yes_no", "own_income", "Ingreso propio"),
    q("select_one decider", "income_decider", "Quién decide", relevant="${own_income} = 'yes'"),
    q("select_multiple groups", "groups", "Grupos"),
    q("text", "comment", "Comentario"),
    q("end_repeat", ""),
]


def choices():
    rows = []

    def add(lst, name, es, en=None, fr=None):
        rows.append({"list_name": lst, "name": name, L: es, E: en or es, F: fr or es})

    for c, lab in [("acomayo", "Acomayo"), ("pomacanchi", "Pomacanchi")]:
        add("district", c, lab)
    for c in ("c01", "c02", "c03"):
        add("community", c, f"Comunidad {c}")
    add("yes_no", "yes", "Sí", "Yes", "Oui")
    add("yes_no", "no", "No", "No", "Non")
    add("sex", "F", "Mujer", "Woman", "Femme")
    add("sex", "M", "Hombre", "Man", "Homme")
    for c in ("single", "married", "cohabiting"):
        add("marital", c, c.capitalize())
    for c in ("cattle", "sheep", "plough_oxen"):
        add("assets", c, c.replace("_", " ").capitalize())
    for i in range(1, 21):
        add("line", str(i), f"Persona {i}")
    for c in ("1", "2", "3", "4", "9"):
        add("input_scale", c, f"Nivel {c}")
    for c in ("self", "joint", "spouse", "other"):
        add("decider", c, c)
    for c in ("producers", "water_users", "none"):
        add("groups", c, c)
    return rows


SETTINGS = {"form_id": "tiny", "version": "3", "default_language": "Español (es)"}


def write_tiny_form(path: Path, *, version: str = "3") -> Path:
    return write_form(path, SURVEY, choices(), {**SETTINGS, "version": version})


def kobo_frames() -> dict[str, pd.DataFrame]:
    """A clean Kobo export (XML headers with group paths, dummy columns) of 3 households."""
    hh = pd.DataFrame(
        {
            "start": ["2026-03-01T08:00:00.000-05:00"] * 3,
            "ident/district": ["acomayo", "acomayo", "pomacanchi"],
            "ident/community": ["c01", "c02", "c03"],
            "ident/hhid": ["H00001", "H00002", "H00003"],
            "ident/phone": ["987654321", "912345678", None],
            "ident/gps": ["-13.9170 -71.6920 3500 5", "-13.9180 -71.6930 3510 5", None],
            "_ident/gps_latitude": ["-13.9170", "-13.9180", None],
            "ident/consent": ["yes", "yes", "yes"],
            "assets_major": ["cattle sheep", "", "plough_oxen"],
            "assets_major/cattle": ["1", "", "0"],
            "assets_major/sheep": ["1", "", "0"],
            "assets_major/plough_oxen": ["0", "", "1"],
            "credit_any": ["no", "yes", "no"],
            "_version_": ["3", "3", "3"],
            "_id": ["101", "102", "103"],
            "_uuid": ["u1", "u2", "u3"],
            "_submission_time": ["2026-03-01T14:00:00"] * 3,
            "_index": ["1", "2", "3"],
        }
    )
    roster = pd.DataFrame(
        {
            "roster/line": ["1", "2", "1", "2", "3", "1"],
            "roster/member_name": ["Rosa Quispe", "Juan Mamani", "Ana", "Luis", "Nina", "Eva"],
            "roster/sex": ["F", "M", "F", "M", "F", "F"],
            "roster/age": ["40", "42", "35", "38", "8", "60"],
            "roster/marital": ["married", "married", "cohabiting", "cohabiting", "", "single"],
            "roster/has_dni": ["yes", "yes", "yes", "no", "no", "yes"],
            "roster/dni_number": ["40123456", "41234567", "42345678", "", "", "43456789"],
            "_index": ["1", "2", "3", "4", "5", "6"],
            "_parent_index": ["1", "1", "2", "2", "2", "3"],
            "_parent_table_name": ["tiny"] * 6,
        }
    )
    parcels = pd.DataFrame(
        {
            "parcels/parcel": ["1", "2", "1"],
            "parcels/parcel_area": ["0.5", "1.25", "0.75"],
            "_index": ["1", "2", "3"],
            "_parent_index": ["1", "1", "3"],
            "_parent_table_name": ["tiny"] * 3,
        }
    )
    ind = pd.DataFrame(
        {
            "individual/resp_line": ["1", "2", "1", "2", "1"],
            "individual/resp_sex": ["F", "M", "F", "M", "F"],
            "individual/input_food_crops": ["3", "4", "2", "9", "1"],
            "individual/tu_sleep": ["8", "8", "7.5", "8", "9"],
            "individual/tu_farm": ["4", "8", "5", "9", "2"],
            "individual/tu_domestic": ["8", "1", "7.5", "2", "6"],
            "individual/tu_other": ["4", "7", "4", "5", "7"],
            "individual/own_income": ["yes", "yes", "no", "yes", "no"],
            "individual/income_decider": ["self", "joint", "", "self", ""],
            "individual/groups": ["producers", "producers water_users", "none", "", "none"],
            "individual/groups/producers": ["1", "1", "0", "", "0"],
            "individual/groups/water_users": ["0", "1", "0", "", "0"],
            "individual/groups/none": ["0", "0", "1", "", "1"],
            "individual/comment": ["", "llamar al 987111222", "", "", ""],
            "_index": ["1", "2", "3", "4", "5"],
            "_parent_index": ["1", "1", "2", "2", "3"],
            "_parent_table_name": ["tiny"] * 5,
        }
    )
    return {"tiny": hh, "roster": roster, "parcels": parcels, "individual": ind}


IDENTIFIER_VALUES = [
    "987654321",
    "912345678",
    "-13.9170",
    "Rosa Quispe",
    "Juan Mamani",
    "40123456",
    "41234567",
    "42345678",
    "43456789",
    "987111222",
]


def write_kobo_xlsx(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
        for sheet, df in frames.items():
            df.to_excel(xw, sheet_name=sheet, index=False)
    return path


def write_kobo_csv(frames: dict[str, pd.DataFrame], path: Path, *, encoding="utf-8") -> Path:
    frames["tiny"].to_csv(path, sep=";", index=False, encoding=encoding)
    return path


def odk_frames() -> dict[str, pd.DataFrame]:
    """The same data as an ODK Briefcase CSV set (``-`` group separator, KEY/PARENT_KEY)."""
    k = kobo_frames()
    hh = k["tiny"].drop(
        columns=["_id", "_index", "_submission_time", "_uuid", "_version_", "_ident/gps_latitude"]
    )
    hh = hh.drop(columns=[c for c in hh.columns if c.startswith("assets_major/")])
    hh.columns = [c.replace("/", "-") for c in hh.columns]
    hh["meta-instanceID"] = ["uuid:a", "uuid:b", "uuid:c"]
    hh["KEY"] = hh["meta-instanceID"]
    out = {"tiny": hh}
    keys = dict(zip(["1", "2", "3"], hh["KEY"], strict=True))
    for rep in ("roster", "parcels", "individual"):
        df = k[rep].copy()
        df = df.drop(columns=[c for c in df.columns if c.count("/") >= 2])
        df["PARENT_KEY"] = df["_parent_index"].map(keys)
        df["KEY"] = (
            df["PARENT_KEY"]
            + f"/{rep}["
            + (df.groupby("PARENT_KEY").cumcount() + 1).astype(str)
            + "]"
        )
        df = df.drop(columns=["_index", "_parent_index", "_parent_table_name"])
        df.columns = [c.replace("/", "-") for c in df.columns]
        out[f"tiny-{rep}"] = df
    return out


def write_odk(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def design_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["acomayo", "acomayo", "pomacanchi"],
            "community": ["c01", "c02", "c03"],
            "communities_total": [15, 15, 12],
            "households_total": [80, 120, 60],
            "households_sampled": [1, 1, 1],
            "prob_community": [0.2, 0.2, 0.25],
            "weight": [400.0, 600.0, 240.0],
        }
    )
