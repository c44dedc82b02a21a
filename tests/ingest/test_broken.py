"""A corpus of broken inputs, each with the reason code it must produce.

Each case starts from the clean tiny Kobo export (tests/ingest/ingest_fixtures.py) and plants one
problem; the report (through ``validate_path``, which never raises) must carry the expected
reason code, and ``read_kobo`` must raise ``InputFileError`` with one sentence (no traceback)
where the file cannot be read at all.
"""

from __future__ import annotations

import zipfile

import ingest_fixtures as fx
import pandas as pd
import pytest

from gender_diag.errors import InputFileError
from gender_diag.ingest import read_kobo, read_odk, validate_path


def _kobo(tmp_path, frames, name="k.xlsx"):
    return fx.write_kobo_xlsx(frames, tmp_path / name)


def _reasons(report):
    return set(report.issues["reason"])


def test_clean_export_is_valid(tmp_path, form, design, frames):
    rep = validate_path(_kobo(tmp_path, frames), form=form, design=design)
    assert rep.valid
    bad = rep.issues[rep.issues["severity"].isin(["blocking", "error"])]
    assert bad.empty, bad
    assert rep.rows_read == {"households": 3, "members": 6, "parcels": 3, "respondents": 5}


def test_empty_file(tmp_path, form):
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    rep = validate_path(p, form=form)
    assert not rep.valid and _reasons(rep) == {"empty_file"}
    with pytest.raises(InputFileError, match="empty"):
        read_kobo(p, form=form)


def test_empty_csv_header_only(tmp_path, form):
    p = tmp_path / "k.csv"
    p.write_text("_uuid;ident/hhid\n", encoding="utf-8")
    rep = validate_path(p, form=form)
    assert "empty_file" in _reasons(rep) and not rep.valid


def test_truncated_xlsx(tmp_path, form, frames):
    good = _kobo(tmp_path, frames).read_bytes()
    p = tmp_path / "truncated.xlsx"
    p.write_bytes(good[: len(good) // 2])
    rep = validate_path(p, form=form)
    assert _reasons(rep) == {"corrupt_file"}
    with pytest.raises(InputFileError) as err:
        read_kobo(p, form=form)
    msg = str(err.value)
    assert "truncated.xlsx" in msg and "Fix:" in msg and "\n" not in msg


def test_corrupt_xlsx_member(tmp_path, form, frames):
    """A zip that opens but whose sheet XML is garbage."""
    good = _kobo(tmp_path, frames)
    p = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet1"):
                data = b"<not xml"
            zout.writestr(item, data)
    rep = validate_path(p, form=form)
    assert "corrupt_file" in _reasons(rep) and not rep.valid


def test_wrong_sheet_names(tmp_path, form, frames):
    renamed = {
        "tiny": frames["tiny"],
        "Hoja2": frames["roster"],
        "Hoja3": frames["parcels"],
        "Hoja4": frames["individual"],
    }
    rep = validate_path(_kobo(tmp_path, renamed), form=form)
    assert "bad_sheet" in _reasons(rep) and not rep.valid
    msgs = " ".join(rep.blocking)
    assert "Hoja2" in msgs and "roster" in msgs


def test_sheet_map_fixes_wrong_names(tmp_path, form, frames):
    renamed = {
        "tiny": frames["tiny"],
        "Hoja2": frames["roster"],
        "Hoja3": frames["parcels"],
        "Hoja4": frames["individual"],
    }
    s = read_kobo(
        _kobo(tmp_path, renamed),
        form=form,
        sheet_map={
            "tiny": "households",
            "Hoja2": "members",
            "Hoja3": "parcels",
            "Hoja4": "respondents",
        },
    )
    assert s.report.valid and len(s.tables["members"]) == 6


def test_missing_key_column(tmp_path, form, frames):
    frames["tiny"] = frames["tiny"].drop(columns=["ident/hhid"])
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    assert not rep.valid
    hit = rep.issues[(rep.issues["reason"] == "missing_column") & (rep.issues["column"] == "hhid")]
    assert len(hit) == 1 and hit["severity"].iloc[0] == "blocking"


def test_missing_parent_index(tmp_path, form, frames):
    frames["roster"] = frames["roster"].drop(columns=["_parent_index"])
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    assert not rep.valid and "missing_column" in _reasons(rep)
    # the unlinkable rows are still accounted for
    acc = rep.accounting().set_index("table")
    assert acc.loc["members", "rows_read"] == 6
    assert acc.loc["members", "rows_quarantined"] == 6


def test_latin1_csv(tmp_path, form, frames):
    frames["tiny"].loc[0, "ident/phone"] = None
    frames["tiny"]["ident/hhid"] = ["H00001", "H00002", "H00003"]
    frames["tiny"]["obs"] = ["Señora Núñez", "", ""]
    p = fx.write_kobo_csv(frames, tmp_path / "k.csv", encoding="cp1252")
    rep = validate_path(p, form=form)
    assert "encoding" in _reasons(rep)
    enc = rep.issues[rep.issues["reason"] == "encoding"]
    assert enc["severity"].tolist() == ["warning"] and enc["row"].tolist() == [2]
    assert rep.valid


def test_duplicate_uuid(tmp_path, form, design, frames):
    frames["tiny"].loc[2, "_uuid"] = "u1"
    rep = validate_path(_kobo(tmp_path, frames), form=form, design=design)
    hit = rep.issues[rep.issues["reason"] == "duplicate_key"]
    assert sorted(hit[["column", "row", "severity"]].values.tolist()) == [
        ["_uuid", 2, "warning"],  # the first is kept, but named
        ["_uuid", 4, "error"],
    ]
    assert "shared by rows 2, 4" in hit["message"].iloc[0]
    # the household and its repeat rows are quarantined, and said so
    assert rep.rows_quarantined["households"] == 1
    assert rep.rows_quarantined["members"] == 1  # household 3 has one member
    assert "parent_quarantined" in _reasons(rep)


def test_duplicate_submission(tmp_path, form, frames):
    hh = frames["tiny"]
    dup = hh.iloc[[0]].assign(_index="4", _uuid="u4", _id="104")
    frames["tiny"] = pd.concat([hh, dup], ignore_index=True)
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    hit = rep.issues[rep.issues["reason"] == "duplicate_submission"]
    assert hit["row"].tolist() == [5]
    assert "Same content as row 2" in hit["message"].iloc[0]
    # not reported a second time as a duplicate hhid
    assert "duplicate_key" not in _reasons(rep)


def test_orphan_repeat_rows(tmp_path, form, frames):
    frames["roster"].loc[5, "_parent_index"] = "99"
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    hit = rep.issues[rep.issues["reason"] == "orphan_row"]
    assert hit[["table", "row", "value"]].values.tolist() == [["members", 7, "99"]]
    assert rep.rows_quarantined["members"] == 1
    q = rep.quarantine["members"]
    assert q["reasons"].tolist() == ["orphan_row"] and q["row"].tolist() == [7]


def test_invalid_codes(tmp_path, form, frames):
    frames["roster"].loc[0, "roster/sex"] = "X"
    frames["tiny"].loc[1, "assets_major"] = "cattle goats"
    s = read_kobo(_kobo(tmp_path, frames), form=form)
    hit = s.report.issues[s.report.issues["reason"] == "invalid_code"]
    assert sorted(hit["column"]) == ["assets_major", "sex"]
    assert pd.isna(s.tables["members"].loc[0, "sex"])
    # the unknown choice is dropped, the known one kept
    assert s.tables["households"].loc[1, "assets_major__cattle"]


def test_labels_instead_of_codes_are_mapped(tmp_path, form, frames):
    frames["roster"]["roster/sex"] = ["Mujer", "Hombre", "Woman", "M", "Femme", "F"]
    s = read_kobo(_kobo(tmp_path, frames), form=form)
    assert s.tables["members"]["sex"].tolist() == ["F", "M", "F", "M", "F", "F"]
    assert "invalid_code" not in set(s.report.issues["reason"])


def test_text_in_numeric_field(tmp_path, form, frames):
    frames["roster"].loc[1, "roster/age"] = "cuarenta"
    s = read_kobo(_kobo(tmp_path, frames), form=form)
    hit = s.report.issues[s.report.issues["reason"] == "not_numeric"]
    assert hit[["table", "row", "column", "value"]].values.tolist() == [
        ["members", 3, "age", "cuarenta"]
    ]
    assert pd.isna(s.tables["members"].loc[1, "age"])


def test_out_of_range(tmp_path, form, frames):
    frames["roster"].loc[2, "roster/age"] = "150"
    frames["parcels"].loc[0, "parcels/parcel_area"] = "0"
    s = read_kobo(_kobo(tmp_path, frames), form=form)
    hit = s.report.issues[s.report.issues["reason"] == "out_of_range"]
    assert sorted(hit["column"]) == ["age", "parcel_area"]


def test_mismatched_form_version(tmp_path, frames):
    form9 = fx.write_tiny_form(tmp_path / "form9.xlsx", version="9")
    rep = validate_path(_kobo(tmp_path, frames), form=form9)
    assert "form_version_mismatch" in _reasons(rep) and not rep.valid


def test_form_of_another_survey(tmp_path, frames):
    """An export checked against an unrelated form: blocking mismatch, not a traceback."""
    from gender_diag.ingest.xlsform import write_form

    other = write_form(
        tmp_path / "other.xlsx",
        [{"type": "integer", "name": f"x{i}", "label": "x"} for i in range(10)],
        [],
        {"form_id": "other", "version": "3"},
    )
    rep = validate_path(_kobo(tmp_path, frames), form=other)
    assert "form_version_mismatch" in _reasons(rep) and not rep.valid


def test_time_use_not_24(tmp_path, form, frames):
    frames["individual"].loc[0, "individual/tu_farm"] = "10"
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    hit = rep.issues[rep.issues["reason"] == "time_use_sum"]
    assert hit["row"].tolist() == [2] and hit["value"].tolist() == ["30"]


def test_time_use_within_tolerance(tmp_path, form, frames):
    frames["individual"].loc[0, "individual/tu_farm"] = "4.2"
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    assert "time_use_sum" not in _reasons(rep)


def test_respondent_not_in_roster_and_sex_mismatch(tmp_path, form, frames):
    frames["individual"].loc[4, "individual/resp_line"] = "7"
    frames["individual"].loc[1, "individual/resp_sex"] = "F"
    s = read_kobo(_kobo(tmp_path, frames), form=form)
    iss = s.report.issues
    assert iss.loc[iss["reason"] == "respondent_unknown", "row"].tolist() == [6]
    assert iss.loc[iss["reason"] == "sex_mismatch", "row"].tolist() == [3]
    # sex comes from the roster
    r = s.tables["respondents"]
    assert r.loc[r["line"].eq(2) & r["hhid"].eq("H00001"), "sex"].tolist() == ["M"]


def test_answered_not_relevant(tmp_path, form, frames):
    frames["individual"].loc[2, "individual/income_decider"] = "self"  # own_income = no
    frames["roster"].loc[4, "roster/marital"] = "married"  # age 8
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    hit = rep.issues[rep.issues["reason"] == "answered_not_relevant"]
    assert sorted(hit[["table", "row", "column"]].values.tolist()) == [
        ["members", 6, "marital"],
        ["respondents", 4, "income_decider"],
    ]


def test_missing_required(tmp_path, form, frames):
    frames["tiny"].loc[1, "ident/community"] = None
    frames["roster"].loc[0, "roster/age"] = None
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    hit = rep.issues[rep.issues["reason"] == "missing_required"]
    got = sorted(hit[["table", "column", "severity"]].values.tolist())
    assert got == [["households", "community", "error"], ["members", "age", "warning"]]
    assert rep.rows_quarantined["households"] == 1


def test_design_invalid(tmp_path, form, frames):
    d = fx.design_frame()
    d.loc[1, "weight"] = 0
    d = d.drop(index=2)
    p = tmp_path / "design.csv"
    d.to_csv(p, index=False)
    rep = validate_path(_kobo(tmp_path, frames), form=form, design=p)
    hit = rep.issues[rep.issues["reason"] == "design_invalid"]
    assert not rep.valid  # a zero weight is blocking
    assert set(hit["table"]) == {"design", "households"}
    assert rep.rows_quarantined["households"] == 2  # c02 (weight 0) and c03 (absent)


def test_design_missing_columns(tmp_path, form, frames):
    p = tmp_path / "design.csv"
    pd.DataFrame({"community": ["c01"]}).to_csv(p, index=False)
    rep = validate_path(_kobo(tmp_path, frames), form=form, design=p)
    assert not rep.valid and "design_invalid" in _reasons(rep)


def test_odk_missing_folder_and_empty_folder(tmp_path, form):
    rep = validate_path(tmp_path / "nothing_here", form=form)
    assert not rep.valid
    (tmp_path / "odk").mkdir()
    with pytest.raises(InputFileError, match="no CSV"):
        read_odk(tmp_path / "odk", form=form)


def test_every_issue_row_is_complete(tmp_path, form, design, frames):
    frames["roster"].loc[0, "roster/sex"] = "X"
    frames["roster"].loc[5, "_parent_index"] = "99"
    frames["individual"].loc[0, "individual/tu_farm"] = "10"
    rep = validate_path(_kobo(tmp_path, frames), form=form, design=design)
    iss = rep.issues[rep.issues["severity"] != "info"]
    for col in ("file", "table", "rule", "reason", "severity", "message", "fix"):
        assert iss[col].astype(str).str.len().gt(0).all(), col
    assert iss["row"].gt(1).all()


def test_every_household_quarantined_is_blocking(tmp_path, form, frames):
    frames["tiny"]["ident/hhid"] = None
    rep = validate_path(_kobo(tmp_path, frames), form=form)
    assert not rep.valid
    assert any("all 3 rows were quarantined" in m for m in rep.blocking)
    assert rep.rows_quarantined == {"households": 3, "members": 6, "parcels": 3, "respondents": 5}
