"""XLSForm parsing: tables from repeats, tidy names, effective relevant, flags, labels."""

from __future__ import annotations

import pandas as pd
import pytest

from gender_diag.errors import InputFileError
from gender_diag.ingest import read_form, validate_path
from gender_diag.ingest.expr import parse
from gender_diag.resources import instrument_dir


def test_tiny_form(form):
    f = read_form(form)
    v = f.variables.set_index("name")
    assert f.version == "3" and f.settings["form_id"] == "tiny"
    assert f.repeats == {"roster": "members", "parcels": "parcels", "individual": "respondents"}
    assert v.loc["district", "table"] == "households"
    assert v.loc["district", "path"] == "ident/district"
    assert v.loc["age", "table"] == "members" and v.loc["age", "type"] == "integer"
    assert v.loc["groups", "list_name"] == "groups"
    # group conditions are part of the effective relevant
    assert v.loc["marital", "relevant"] == "(${consent} = 'yes') and (${age} >= 12)"
    assert bool(v.loc["phone", "identifier"]) and bool(v.loc["gps", "identifier"])
    assert not bool(v.loc["has_dni", "identifier"])
    assert v.loc["sex", "label_es"] == "Sexo" and v.loc["sex", "label_en"] == "Sexo (en)"
    ch = f.choices[f.choices["list_name"] == "yes_no"]
    assert ch[["name", "label_es", "label_en", "label_fr"]].values.tolist() == [
        ["yes", "Sí", "Yes", "Oui"],
        ["no", "No", "No", "Non"],
    ]


def test_instrument_parses_and_relevants_are_supported():
    f = read_form(instrument_dir() / "gender_diag_household.xlsx")
    v = f.variables
    assert set(v["table"]) == {"households", "members", "parcels", "respondents"}
    assert v["name"].is_unique
    assert {"member_name", "dni_number", "gps", "phone", "interviewer"} <= set(
        v.loc[v["identifier"], "name"]
    )
    assert {"vio_emotional", "vio_physical", "vio_sexual"} <= set(v.loc[v["sensitive"], "name"])
    # every skip condition of the instrument is in the safe subset the checker evaluates
    for rel in v["relevant"].dropna().unique():
        parse(rel)
    assert (
        len(f.choices) > 100 and f.choices[["label_es", "label_en", "label_fr"]].notna().all().all()
    )


def test_form_errors(tmp_path):
    p = tmp_path / "nosurvey.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(p, sheet_name="hoja", index=False)
    with pytest.raises(InputFileError, match="no 'survey' sheet"):
        read_form(p)
    q = tmp_path / "broken.xlsx"
    q.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InputFileError, match="cannot be opened"):
        read_form(q)


def test_validate_path_format_option(tmp_path, form):
    p = tmp_path / "x.csv"
    pd.DataFrame({"hhid": ["H1"], "weight": [1.0]}).to_csv(p, index=False)
    assert validate_path(p, format="table").valid
    with pytest.raises(ValueError, match="'format' parameter"):
        validate_path(p, format="sas")
