"""The XLSForm instrument: builds, converts with pyxform, matches the contract vocabulary."""

from __future__ import annotations

import csv
import shutil

import pytest
from pyxform.xls2xform import convert

from gender_diag.errors import InputFileError
from gender_diag.resources import instrument_dir
from gender_diag.synth.instrument import (
    FORM_FILE,
    LANGUAGES,
    build_xlsform,
    read_sources,
    read_xlsform_rows,
)

SRC = instrument_dir() / "src"

# docs/contracts.md §1, expanded by hand (the families are spelled out so that a renamed
# variable fails here rather than downstream).
ACTIVITIES = ["food_crops", "cash_crops", "livestock", "nonfarm", "wage", "fishing_forest"]
ASSETS = ["land", "large_livestock", "small_livestock", "farm_equipment", "nonfarm_equipment",
          "house", "durables", "mobile", "transport"]  # fmt: skip
TU = ["sleep", "personal", "farm", "livestock", "business", "wage", "domestic", "care",
      "water_fuel", "community", "commute", "school", "leisure", "other"]  # fmt: skip
CONTRACT = {
    "households": "start end today deviceid consent district community hhid gps interviewer "
    "phone hh_size water_source irrigation assets_major assets_minor credit_any credit_source "
    "program_participant".split(),
    "roster": "line member_name sex age relation marital education literate mother_tongue "
    "main_activity has_dni dni_number health_insurance".split(),
    "parcels": "parcel parcel_area parcel_use parcel_irrigated parcel_owners parcel_titled "
    "parcel_title_names parcel_decider".split(),
    "individual": "resp_line resp_sex resp_role ind_consent groups groups_active_member "
    "leader_positions leisure_sat rai_external rai_introjected rai_autonomous "
    "ipv_att_goes_out ipv_att_neglects_children ipv_att_argues ipv_att_refuses_sex "
    "ipv_att_burns_food respect_from_spouse respect_to_spouse trust_spouse disagree_spouse "
    "visit_market visit_family visit_health visit_municipality decide_health decide_purchases "
    "decide_visits own_income income_decider territorial_planning participatory_budget "
    "say_natural_resources training promoter has_mobile mobile_internet bank_account "
    "vio_consent vio_private vio_emotional vio_physical vio_sexual".split()
    + [f"{p}_{a}" for a in ACTIVITIES for p in ("participates", "input", "income")]
    + [f"own_{x}" for x in ASSETS]
    + [f"credit_{s}" for s in ("ngo", "informal", "formal", "group")]
    + [f"speak_{t}" for t in ("infrastructure", "authorities", "water")]
    + [f"tu_{t}" for t in TU]
    + [f"tu2_{t}" for t in ("care", "domestic", "farm", "livestock")]
    + [f"gse_{i}" for i in range(1, 9)],
}
CHOICES = {
    "district": ["acomayo", "pomacanchi", "sangarara"],
    "sex": ["F", "M"],
    "relation": [
        "head",
        "spouse",
        "child",
        "parent",
        "sibling",
        "other_relative",
        "non_relative",
    ],  # fmt: skip
    "marital": ["single", "cohabiting", "married", "separated", "widowed"],
    "input_scale": ["1", "2", "3", "4", "9"],
    "own_status": ["none_in_hh", "no", "sole", "joint"],
    "credit_who": ["none_in_hh", "self", "joint", "other_member"],
    "groups": [
        "producers",
        "water_users",
        "credit_savings",
        "mutual_help",
        "religious",
        "womens_org",
        "civic",
        "none",
    ],  # fmt: skip
    "leader": ["community_board", "water_committee", "producers_assoc", "womens_org", "none"],
    "speak": ["1", "2", "3", "4", "5"],
    "vio_freq": ["never", "before_12m", "last_12m", "refused"],
    "line": [str(i) for i in range(1, 21)],
}


@pytest.fixture(scope="module")
def sources():
    return read_sources(SRC)


def _records(rows):
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


@pytest.fixture(scope="module")
def survey(sources):
    return _records(sources["survey"])


@pytest.fixture(scope="module")
def choices(sources):
    return _records(sources["choices"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_xlsform(SRC, tmp_path_factory.mktemp("form") / FORM_FILE)


def _tables(survey):
    """Question name → enclosing repeat (or 'households')."""
    out, stack = {}, []
    for r in survey:
        if r["type"] == "begin repeat":
            stack.append(r["name"])
        elif r["type"] == "end repeat":
            stack.pop()
        elif not r["type"].startswith(("begin", "end group")):
            out[r["name"]] = stack[-1] if stack else "households"
    return out


def test_pyxform_converts_without_warnings(built):
    # validate=True runs ODK Validate (Java, bundled with pyxform) when available.
    result = convert(xlsform=str(built), validate=shutil.which("java") is not None)
    assert result.warnings == []
    xml = result.xform
    assert 'xmlns:gd="https://gender-diag.org/xforms"' in xml
    assert 'gd:sensitive="true"' in xml and 'gd:identifier="true"' in xml
    assert "instance('community')/root/item[district= /data/ident/district ]" in xml
    assert 'calculate="count( /data/roster )"' in xml


def test_pyxform_reports_a_broken_source(tmp_path, sources):
    # The conversion check is able to fail: an unknown choice list is an error.
    src = tmp_path / "src"
    src.mkdir()
    for sheet, rows in sources.items():
        rows = [list(r) for r in rows]
        if sheet == "survey":
            rows[-2][0] = "select_one no_such_list"
        with (src / f"{sheet}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    out = build_xlsform(src, tmp_path / "broken.xlsx")
    with pytest.raises(Exception, match="no_such_list"):
        convert(xlsform=str(out), validate=False)


def test_committed_workbook_equals_fresh_build(built):
    committed = instrument_dir() / FORM_FILE
    assert committed.is_file(), "run python -m gender_diag.synth.instrument"
    assert read_xlsform_rows(committed) == read_xlsform_rows(built), (
        "surveys/instrument/gender_diag_household.xlsx is stale: "
        "run python -m gender_diag.synth.instrument"
    )


def test_settings(sources):
    settings = _records(sources["settings"])[0]
    assert settings["form_id"] == "gender_diag_household"
    assert settings["default_language"] == "Español (es)"
    assert settings["namespaces"] == 'gd="https://gender-diag.org/xforms"'
    assert settings["version"] and settings["form_title"]


def test_contract_variables_present_in_their_table(survey):
    tables = _tables(survey)
    for table, names in CONTRACT.items():
        missing = [n for n in names if n not in tables]
        assert not missing, f"{table}: missing {missing}"
        wrong = {n: tables[n] for n in names if tables[n] != table}
        assert not wrong, f"{table}: variables in another table {wrong}"


def test_names_unique(survey):
    names = [r["name"] for r in survey if not r["type"].startswith("end")]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes


def test_choice_codes(choices):
    lists = {}
    for c in choices:
        lists.setdefault(c["list_name"], []).append(c["name"])
    for name, codes in CHOICES.items():
        assert lists[name] == codes, name
    community = [c for c in choices if c["list_name"] == "community"]
    assert [c["name"] for c in community] == [f"c{i:02d}" for i in range(1, 46)]
    for district in CHOICES["district"]:
        assert sum(c["district"] == district for c in community) == 15
    labels = [c["label::Español (es)"] for c in community]
    assert len(set(labels)) == 45


def test_every_select_and_question_has_three_languages(survey, choices):
    lists = {c["list_name"] for c in choices}
    for r in survey:
        kind = r["type"].split()
        if kind[0] in ("select_one", "select_multiple"):
            assert kind[1] in lists, r["name"]
            opts = [c for c in choices if c["list_name"] == kind[1]]
            for c in opts:
                for lang in LANGUAGES:
                    assert c[f"label::{lang}"].strip(), (kind[1], c["name"], lang)
        if kind[0] not in ("calculate", "end", "start", "today", "deviceid") and r["name"] != "end":
            for lang in LANGUAGES:
                assert r[f"label::{lang}"].strip(), (r["name"], lang)


def test_sensitive_and_identifier_columns(survey):
    tables = _tables(survey)
    sensitive = {r["name"] for r in survey if r["bind::gd:sensitive"] == "true"}
    vio = {n for n in tables if n.startswith("vio_") and n != "vio_intro"}
    assert vio <= sensitive
    assert all(n.startswith("vio") or n == "violence" for n in sensitive)
    identifiers = {r["name"] for r in survey if r["bind::gd:identifier"] == "true"}
    assert identifiers == {"interviewer", "gps", "phone", "member_name", "dni_number"}


def test_constraints_and_relevance(survey):
    by = {r["name"]: r for r in survey}
    assert by["age"]["constraint"] == ". >= 0 and . <= 110"
    assert by["parcel_area"]["constraint"] == ". >= 0.001 and . <= 200"
    assert "23.99" in by["tu_other"]["constraint"]
    assert by["marital"]["relevant"] == "${age} >= 12"
    assert by["credit_source"]["relevant"] == "${credit_any} = 'yes'"
    assert by["line"]["calculation"] == "position(..)"
    assert by["hh_size"]["calculation"] == "count(${roster})"
    assert by["community"]["choice_filter"] == "district=${district}"
    assert "indexed-repeat" in by["resp_sex"]["constraint"]


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(InputFileError, match=r"survey\.csv is missing"):
        read_sources(tmp_path)


def test_ragged_source_is_a_clear_error(tmp_path, sources):
    for sheet, rows in sources.items():
        with (tmp_path / f"{sheet}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows + ([["x"]] if sheet == "choices" else []))
    with pytest.raises(InputFileError, match=r"choices\.csv, row 202"):
        read_sources(tmp_path)


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_odk_validate_catches_a_broken_expression(tmp_path, sources):
    # pyxform alone accepts a malformed XPath; ODK Validate (run by the test above) rejects it.
    src = tmp_path / "src"
    src.mkdir()
    for sheet, rows in sources.items():
        rows = [list(r) for r in rows]
        if sheet == "survey":
            head = rows[0]
            for r in rows:
                if r[1] == "marital":
                    r[head.index("relevant")] = "${age} >= 12 and ("
        with (src / f"{sheet}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    out = build_xlsform(src, tmp_path / "broken.xlsx")
    with pytest.raises(Exception, match="mismatched brackets"):
        convert(xlsform=str(out), validate=True)
