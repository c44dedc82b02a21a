"""Hand-typed tables (CSV/XLSX) and SPSS/Stata files with value labels (pyreadstat)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from gender_diag.errors import InputFileError
from gender_diag.ingest import read_spss, read_stata, read_table, validate_path
from gender_diag.ingest.tables import excel_dates, sniff_sep, yes_no


def _messy_frame():
    # What a partner types by hand: odd header case/spaces, Sí/si/1, labels for codes,
    # an Excel serial date, a DNI column.
    return pd.DataFrame(
        {
            "  HHID ": ["H00001", "H00002", "H00003", "H00004"],
            "Comunidad": ["c01", "c01", "c02", "c03"],
            "Distrito": ["acomayo", "acomayo", "acomayo", "pomacanchi"],
            "Línea": [1, 2, 1, 1],
            "Sexo": ["Mujer", "hombre", "F", "M"],
            "Edad": [34, 41, "treinta", 200],
            "Ingreso propio": ["Sí", "si", "1", "NO"],
            "Fecha": [45352, "2024-03-05", 45353, None],
            "DNI": ["40123456", "41234567", "42345678", "43456789"],
        }
    )


MAPPING = {
    "Comunidad": "community",
    "Distrito": "district",
    "Línea": "line",
    "Sexo": "sex",
    "Edad": "age",
    "Ingreso propio": "own_income",
    "Fecha": "date",
}


def test_messy_excel(tmp_path, form):
    p = tmp_path / "messy.xlsx"
    _messy_frame().to_excel(p, index=False, sheet_name="Datos")
    s = read_table(p, mapping=MAPPING, sheet="datos", table="respondents", form=form)
    r = s.tables["respondents"]
    assert r["own_income"].tolist() == ["yes", "yes", "yes", "no"]
    assert r["sex"].tolist() == ["F", "M", "F", "M"]
    assert r["date"].fillna("").tolist() == ["2024-03-01", "2024-03-05", "2024-03-02", ""]
    assert "dni" not in r.columns  # identifier by name
    iss = s.report.issues
    assert iss.loc[iss["reason"] == "not_numeric", "row"].tolist() == [4]
    assert iss.loc[iss["reason"] == "out_of_range", "row"].tolist() == [5]
    assert "hhid" in r.columns


def test_latin1_semicolon_csv(tmp_path, form):
    p = tmp_path / "hand.csv"
    _messy_frame().to_csv(p, sep=";", index=False, encoding="cp1252")
    s = read_table(p, mapping=MAPPING, form=form)
    assert s.tables["respondents"]["own_income"].tolist() == ["yes", "yes", "yes", "no"]
    assert "encoding" in set(s.report.issues["reason"])


def test_read_table_errors(tmp_path):
    p = tmp_path / "a.xlsx"
    _messy_frame().to_excel(p, index=False, sheet_name="Datos")
    with pytest.raises(InputFileError, match="no such sheet"):
        read_table(p, sheet="Hoja1")
    e = tmp_path / "e.csv"
    e.write_text("a;b\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no data rows"):
        read_table(e)


def test_helpers():
    assert sniff_sep("a;b,c;d\n") == ";"
    assert yes_no(pd.Series(["SI", "Si ", "x", "n"])).tolist() == ["yes", "yes", "yes", "no"]
    # Excel serial 1 = 1900-01-01; 60 is Excel's phantom 1900-02-29 → 1900-02-28 + 1 day
    d = excel_dates(pd.Series(["1", "45292"]))
    assert d.dt.strftime("%Y-%m-%d").tolist() == ["1899-12-31", "2024-01-01"]


def _stat_frame():
    return pd.DataFrame(
        {
            "conglome": ["001", "001", "002", "003"],
            "hhid": ["H1", "H2", "H3", "H4"],
            "p207": [1.0, 2.0, 2.0, 1.0],
            "p208a": [34.0, 99.0, 51.0, 98.0],
            "p301a": [3.0, 4.0, 99.0, 2.0],
        }
    )


LABELS = {
    "p207": {1.0: "Hombre", 2.0: "Mujer"},
    "p301a": {
        1.0: "Sin nivel",
        2.0: "Inicial",
        3.0: "Primaria incompleta",
        4.0: "Primaria completa",
        99.0: "No sabe",
    },
}


def test_stata_value_labels_and_user_missing(tmp_path):
    p = tmp_path / "enaho.dta"
    pyreadstat.write_dta(
        _stat_frame(),
        p,
        variable_value_labels=LABELS,
        column_labels=["Conglomerado", "Hogar", "Sexo", "Edad", "Nivel"],
    )
    s = read_stata(
        p,
        table="members",
        mapping={"p207": "sex", "p208a": "age"},
        missing_codes={"age": [98, 99], "p208a": [98, 99], "p301a": [99]},
    )
    m = s.tables["members"]
    assert m["sex"].tolist() == ["M", "F", "F", "M"]
    assert m["age"].isna().tolist() == [False, True, False, True]
    assert m["p301a"].isna().sum() == 1
    um = s.report.issues[s.report.issues["reason"] == "user_missing"]
    assert dict(zip(um["column"], um["value"], strict=True)) == {"p208a": "2", "p301a": "1"}
    ch = s.choices[s.choices["list_name"] == "p301a"]
    assert dict(zip(ch["name"], ch["label_es"], strict=True))["3"] == "Primaria incompleta"
    v = s.variables.set_index("name")
    assert v.loc["age", "label_es"] == "Edad" and v.loc["age", "source_name"] == "p208a"


def test_stata_apply_labels(tmp_path):
    p = tmp_path / "enaho.dta"
    pyreadstat.write_dta(_stat_frame(), p, variable_value_labels=LABELS)
    s = read_stata(p, table="members", apply_labels=True)
    assert s.tables["members"]["p301a"].tolist()[:2] == ["Primaria incompleta", "Primaria completa"]


def test_spss_declared_user_missing(tmp_path):
    p = tmp_path / "endes.sav"
    df = _stat_frame()
    pyreadstat.write_sav(
        df,
        p,
        variable_value_labels=LABELS,
        missing_ranges={"p208a": [98.0, 99.0], "p301a": [{"lo": 90.0, "hi": 99.0}]},
    )
    s = read_spss(p, table="members", mapping={"p207": "sex"})
    m = s.tables["members"]
    assert m["p208a"].isna().tolist() == [False, True, False, True]
    assert m["p301a"].isna().tolist() == [False, False, True, False]
    assert m["sex"].tolist() == ["M", "F", "F", "M"]
    um = s.report.issues[s.report.issues["reason"] == "user_missing"]
    assert sorted(um["column"]) == ["p208a", "p301a"]


def test_corrupt_stat_files(tmp_path):
    p = tmp_path / "bad.sav"
    p.write_bytes(b"not an spss file at all")
    rep = validate_path(p)
    assert set(rep.issues["reason"]) == {"corrupt_file"}
    d = tmp_path / "bad.dta"
    d.write_bytes(b"\x00" * 10)
    with pytest.raises(InputFileError, match="Stata"):
        read_stata(d)


def test_weight_column_checked(tmp_path):
    p = tmp_path / "w.csv"
    pd.DataFrame({"hhid": ["H1", "H2"], "weight": [10.0, np.nan]}).to_csv(p, index=False)
    s = read_table(p, table="households")
    assert s.report.rows_quarantined == {"households": 1}
    assert s.design["weight"] == "weight"


DATA = __import__("pathlib").Path(__file__).parents[1] / "data" / "ingest"


def test_committed_hand_typed_cp1252(form):
    mapping = {
        "Código hogar": "hhid",
        "N° línea": "line",
        "Sexo": "sex",
        "Edad": "age",
        "¿Tiene ingreso propio?": "own_income",
        "Fecha entrevista": "date",
    }
    s = read_table(DATA / "hand_typed_cp1252.csv", mapping=mapping, form=form, table="respondents")
    r = s.tables["respondents"]
    assert r["sex"].tolist() == ["F", "M", "F", "M"]
    assert r["own_income"].tolist() == ["yes", "yes", "yes", "no"]
    assert r["date"].fillna("").tolist() == ["2024-03-01", "2024-03-05", "2024-03-02", ""]
    assert r["community"].tolist() == ["c01", "c01", "c02", "c03"]
    assert "telefono" not in r.columns
    assert "987654321" not in r.to_csv() + s.report.issues.to_csv()
    reasons = set(s.report.issues["reason"])
    assert {"encoding", "not_numeric", "identifier_removed"} <= reasons


def test_committed_truncated_export(form):
    rep = validate_path(DATA / "truncated_export.xlsx", form=form)
    assert rep.issues["reason"].tolist() == ["corrupt_file"]
    assert "truncated_export.xlsx" in rep.blocking[0]
