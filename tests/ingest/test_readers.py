"""Kobo XLSX / ``;`` CSV / label headers and ODK CSV sets give the same tidy Survey."""

from __future__ import annotations

import ingest_fixtures as fx
import pandas as pd
import pytest

from gender_diag.ingest import read_kobo, read_odk, read_path
from gender_diag.ingest.detect import format_report


@pytest.fixture
def kobo(tmp_path, form, design, frames):
    return read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"), form=form, design=design)


def test_tables_and_keys(kobo):
    t = kobo.tables
    assert set(t) == {"households", "members", "parcels", "respondents"}
    for name, df in t.items():
        assert {"hhid", "district", "community", "weight", "fpc", "fpc2"} <= set(df.columns), name
        assert not {"__row__", "__key__", "__parent__", "__hh_row__"} & set(df.columns)
    assert t["members"].groupby("hhid").size().to_dict() == {"H00001": 2, "H00002": 3, "H00003": 1}
    assert t["parcels"]["hhid"].tolist() == ["H00001", "H00001", "H00003"]


def test_types(kobo):
    m = kobo.tables["members"]
    assert pd.api.types.is_integer_dtype(m["age"]) and m["age"].tolist()[:2] == [40, 42]
    r = kobo.tables["respondents"]
    # input scale codes "1".."4","9" become numbers (contract §1)
    assert pd.api.types.is_numeric_dtype(r["input_food_crops"])
    assert r["input_food_crops"].tolist() == [3, 4, 2, 9, 1]
    assert r["tu_sleep"].sum() == pytest.approx(40.5)
    h = kobo.tables["households"]
    assert str(h["start"].dtype).startswith("datetime64")


def test_select_multiple_blank_is_not_zero(kobo):
    h = kobo.tables["households"]
    assert str(h["assets_major__cattle"].dtype) == "boolean"
    assert h["assets_major__cattle"].tolist() == [True, pd.NA, False]
    assert h["assets_major"].tolist() == ["cattle sheep", pd.NA, "plough_oxen"]
    r = kobo.tables["respondents"]
    assert r["groups__water_users"].tolist() == [False, True, False, pd.NA, False]


def test_respondents_get_roster_fields(kobo):
    r = kobo.tables["respondents"]
    for c in ("sex", "age", "marital", "line"):
        assert c in r.columns
    assert r["sex"].tolist() == ["F", "M", "F", "M", "F"]
    assert r["age"].tolist() == [40, 42, 35, 38, 60]


def test_design_and_metadata(kobo):
    assert kobo.design == {
        "weight": "weight",
        "strata": "district",
        "psu": "community",
        "fpc": "fpc",
        "ssu": "hhid",
        "fpc2": "fpc2",
    }
    h = kobo.tables["households"]
    assert h["weight"].tolist() == [400.0, 600.0, 240.0]
    assert h["fpc"].tolist() == [15, 15, 12] and h["fpc2"].tolist() == [80, 120, 60]
    v = kobo.variables
    assert {
        "table",
        "name",
        "type",
        "list_name",
        "label_es",
        "label_en",
        "label_fr",
        "relevant",
        "sensitive",
        "identifier",
    } <= set(v.columns)
    assert kobo.labels("members", "sex", lang="fr") == {"F": "Femme", "M": "Homme"}
    assert len(kobo.source) == 3 and all(len(h) == 64 for h in kobo.source.values())
    acc = kobo.report.accounting()
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()


def test_kobo_csv(tmp_path, form, frames):
    s = read_kobo(fx.write_kobo_csv(frames, tmp_path / "k.csv"), form=form)
    assert list(s.tables) == ["households"]
    assert s.tables["households"]["assets_major__sheep"].tolist() == [True, pd.NA, False]
    assert s.report.valid


def test_label_headers_and_label_values(tmp_path, form, frames):
    """Kobo 'labels' export: headers and values in Spanish."""
    hh = frames["tiny"].rename(
        columns={
            "ident/district": "Identificación/Distrito",
            "ident/community": "Comunidad",
            "ident/hhid": "Código del hogar",
            "ident/consent": "Consentimiento",
        }
    )
    hh["Consentimiento"] = "Sí"
    frames["tiny"] = hh
    ro = frames["roster"].rename(columns={"roster/sex": "Sexo", "roster/age": "Edad"})
    ro["Sexo"] = ["Mujer", "Hombre", "Mujer", "Hombre", "Mujer", "Mujer"]
    frames["roster"] = ro
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"), form=form)
    h = s.tables["households"]
    assert h["district"].tolist() == ["acomayo", "acomayo", "pomacanchi"]
    assert h["consent"].tolist() == ["yes"] * 3
    assert s.tables["members"]["sex"].tolist() == ["F", "M", "F", "M", "F", "F"]
    assert s.tables["members"]["age"].tolist()[0] == 40


def test_odk_set_equals_kobo(tmp_path, form, design, kobo):
    folder = fx.write_odk(fx.odk_frames(), tmp_path / "odk")
    s = read_odk(folder, form=form, design=design)
    assert s.report.valid, format_report(s.report)
    for name in ("members", "parcels", "respondents"):
        cols = ["hhid", "line"] if name != "parcels" else ["hhid", "parcel"]
        a = s.tables[name].sort_values(cols).reset_index(drop=True)
        b = kobo.tables[name].sort_values(cols).reset_index(drop=True)
        shared = [c for c in b.columns if c in a.columns and not c.startswith("_")]
        shared = [c for c in shared if c != "KEY"]
        pd.testing.assert_frame_equal(a[shared], b[shared], check_dtype=False)
    # the main CSV given directly finds its repeat files
    s2 = read_odk(folder / "tiny.csv", form=form)
    assert len(s2.tables["members"]) == 6


def test_read_path_dispatch(tmp_path, form, frames):
    x = fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx")
    o = fx.write_odk(fx.odk_frames(), tmp_path / "odk")
    assert len(read_path(x, form=form).tables) == 4
    assert len(read_path(o, form=form).tables) == 4


def test_without_form(tmp_path, frames):
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"))
    m = s.tables["members"]
    assert pd.api.types.is_numeric_dtype(m["age"])
    assert "member_name" not in m.columns and "dni_number" not in m.columns  # by name
    assert "assets_major__cattle" in s.tables["households"].columns


def test_format_report_names_everything(tmp_path, form, frames):
    frames["roster"].loc[1, "roster/age"] = "cuarenta"
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"), form=form)
    text = format_report(s.report)
    assert "not_numeric" in text and "sheet roster" in text and "row 3" in text
    assert "column age" in text and "Fix:" in text


def test_no_design_is_a_warning(tmp_path, form, frames):
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"), form=form)
    hit = s.report.issues.query("reason == 'design_invalid'")
    assert hit["severity"].tolist() == ["warning"] and s.report.valid
    assert s.design["weight"] is None and s.design["psu"] == "community"


def test_summary_languages(tmp_path, form, frames):
    frames["roster"].loc[5, "_parent_index"] = "99"
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"), form=form)
    assert "Fila de repetición sin su hogar" in format_report(s.report, lang="es")
    assert "Ligne de répétition sans son ménage" in s.report.summary(lang="fr")
    assert "Repeat row without its household" in s.report.summary()


def test_truncated_repeat_sheet_names(tmp_path, frames):
    """Kobo cuts sheet names to Excel's 31 characters."""
    from gender_diag.ingest.xlsform import read_form, write_form

    long = "individual_module_primary_adults_long"
    survey = [dict(r, name=long) if r["name"] == "individual" else r for r in fx.SURVEY]
    p = write_form(tmp_path / "f.xlsx", survey, fx.choices(), fx.SETTINGS)
    f = read_form(p, repeat_tables={"roster": "members", "parcels": "parcels", long: "respondents"})
    assert f.repeats[long] == "respondents"
    renamed = {
        "tiny": frames["tiny"],
        "roster": frames["roster"],
        "parcels": frames["parcels"],
        long[:31]: frames["individual"],
    }
    s = read_kobo(fx.write_kobo_xlsx(renamed, tmp_path / "k.xlsx"), form=f)
    assert len(s.tables["respondents"]) == 5


def test_language_preference_for_labels(tmp_path, form, frames):
    # "No" is a label in every language; "Non"/"Oui" only in French
    frames["tiny"]["ident/consent"] = ["Oui", "Oui", "Oui"]
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"), form=form, language="fr")
    assert s.tables["households"]["consent"].tolist() == ["yes"] * 3
