"""The ``[mapping]`` section: validation on load, checks against form and export, mapped ingest.

The foreign-shaped survey is built by ``foreign_fixtures.write_foreign`` (a partner's own form:
``householdID``, ``hh_pop_repeat``, ``person_gender`` female/male/other, one respondent per
household on the main sheet, nested plot/crop repeats).
"""

from __future__ import annotations

import foreign_fixtures as ff
import pandas as pd
import pytest

from gender_diag.cli import main as cli_main
from gender_diag.errors import ConfigError
from gender_diag.ingest import read_kobo
from gender_diag.ingest.mapping import (
    SurveyMapping,
    load_mapping,
    parse_mapping,
    recode_sex,
    translate_design,
)

DESIGN_NAMES = {"weight": "wt", "strata": "region", "psu": "village", "fpc": "n_villages",
                "fpc2": "n_hh"}  # fmt: skip


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    return ff.write_foreign(tmp_path_factory.mktemp("foreign"), households_per_village=4)


@pytest.fixture(scope="module")
def survey(foreign):
    return read_kobo(
        foreign["export"],
        form=foreign["form"],
        design=foreign["design"],
        mapping=foreign["mapping"],
        design_names=DESIGN_NAMES,
    )


# -- validation on load ----------------------------------------------------------------


def test_contract_keys_are_read_and_group_paths_dropped():
    m = load_mapping(ff.MAPPING_TOML and __import__("tomllib").loads(ff.MAPPING_TOML))
    assert m.household_id == "householdID"
    assert (m.members_table, m.members_line, m.members_sex, m.members_age) == (
        "hh_pop_repeat",
        "hh_pop_rep_num",
        "person_gender",
        "person_age",
    )
    assert m.members_head == "head_person == 'Y'"
    assert m.respondents_on_main and m.respondents_sex == "respondentsex"
    assert m.tables == {"plots": "plot_repeat", "crops": "crop_repeat"}
    assert m.repeat_tables() == {
        "hh_pop_repeat": "members",
        "plot_repeat": "plots",
        "crop_repeat": "crops",
    }


def test_every_problem_reported_at_once_with_fix():
    raw = {
        "household": "x",
        "form_version": "sometimes",
        "members": {"table": "none", "sex": "g", "colour": "red"},
        "sex_codes": {"female": ["f", "2"], "male": ["2"]},
        "tables": {
            "members": "roster",
            "_bad": "x",
            "crops": "crop_repeat",
            "crop2": "crop_repeat",
        },
    }
    _, problems = parse_mapping(raw)
    text = "\n".join(problems)
    assert "unknown key 'household' (did you mean 'household_id'?)" in text
    assert "form_version: 'sometimes' is not allowed" in text
    assert "[mapping.members] unknown key 'colour'" in text
    assert 'table = "none" says there is no roster' in text
    assert "'2' is listed as both female and male" in text
    assert "[mapping.tables] 'members'" in text and "[mapping.tables] '_bad'" in text
    assert "the repeat 'crop_repeat' is mapped twice" in text
    assert all("Fix:" in p for p in problems)


def test_head_rule_is_parsed_with_the_safe_rule_language():
    _, problems = parse_mapping({"members": {"head": "__import__('os').system('x')"}})
    assert len(problems) == 1 and "[mapping.members] head" in problems[0]


def test_load_mapping_raises_config_error_listing_problems(tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('[mapping]\nform_version = "x"\n[mapping.sex_codes]\nfemale = "F"\nmale = true\n')
    with pytest.raises(ConfigError) as e:
        load_mapping(p)
    assert "2 problem(s)" in str(e.value)
    p.write_text("[design]\nweight = 'w'\n")
    with pytest.raises(ConfigError, match="no \\[mapping\\] section"):
        load_mapping(p)


def test_diagnostic_toml_validates_the_mapping_section(tmp_path):
    from gender_diag.config import load_config

    (tmp_path / "x.xlsx").write_bytes(b"")
    cfg = tmp_path / "diagnostic.toml"
    cfg.write_text('[input]\npath = "x.xlsx"\n[mapping]\nhousehold_id = "hid"\nfoo = 1\n')
    with pytest.raises(ConfigError, match="unknown key 'foo'"):
        load_config(cfg)
    cfg.write_text('[input]\npath = "x.xlsx"\n[mapping]\nhousehold_id = "hid"\n')
    assert load_config(cfg)["mapping"] == {"household_id": "hid"}
    cfg.write_text('[input]\npath = "x.xlsx"\n')
    assert "mapping" not in load_config(cfg)  # the bundled shape is untouched


# -- sex codes ---------------------------------------------------------------------------


def test_sex_codes_numbers_labels_and_case():
    m = SurveyMapping(female=("2", "Mujer"), male=("1", "hombre"))
    s, bad = recode_sex(pd.Series(["2", 1, 2.0, "MUJER", "Hombre", "3", None]), m)
    assert s.tolist() == ["F", "M", "F", "F", "M", pd.NA, pd.NA]
    assert bad.tolist() == [False] * 5 + [True, False]


def test_sex_neither_female_nor_male_is_reported_by_validate_with_its_row(survey):
    iss = survey.report.issues
    hit = iss[iss["reason"] == "sex_unknown"]
    assert len(hit) == 1
    r = hit.iloc[0]
    assert (r["sheet"], int(r["row"]), r["column"], r["value"]) == (
        "hh_pop_repeat",
        6,
        "person_gender",
        "other",
    )
    assert "[mapping.sex_codes]" in r["fix"]
    assert set(survey.tables["members"]["sex"].dropna()) == {"F", "M"}
    assert survey.tables["members"]["sex"].isna().sum() == 1


def test_sex_codes_absent_from_the_choice_list_block(foreign, tmp_path):
    p = tmp_path / "m.toml"
    p.write_text(ff.MAPPING_TOML.replace('female = ["female"]', 'female = ["mujer"]'))
    s = read_kobo(foreign["export"], form=foreign["form"], design=foreign["design"], mapping=p,
                  design_names=DESIGN_NAMES)  # fmt: skip
    assert not s.report.valid
    msg = " ".join(s.report.blocking)
    assert "no choice of the list 'gender'" in msg and "female" in msg


# -- checks against the form and the export ---------------------------------------------


def test_every_mapped_name_checked_against_form_and_export_at_once(foreign, tmp_path):
    bad = (
        ff.MAPPING_TOML.replace('"hh/householdID"', '"householdId"')
        .replace('sex = "person_gender"', 'sex = "person_gendr"')
        .replace("\"head_person == 'Y'\"", '"is_hed == 1"')
        .replace('crops = "crop_repeat"', 'crops = "crops_repeat"')
    )
    p = tmp_path / "m.toml"
    p.write_text(bad)
    s = read_kobo(foreign["export"], form=foreign["form"], design=foreign["design"], mapping=p,
                  design_names=DESIGN_NAMES)  # fmt: skip
    iss = s.report.issues
    mi = iss[iss["reason"] == "mapping_invalid"]
    text = " | ".join(mi["message"])
    assert "household_id: no column 'householdId'" in text and "'householdID'" in text
    assert "sex: no column 'person_gendr' in sheet 'hh_pop_repeat'" in text
    assert "did you mean 'person_gender'?" in text
    assert "uses 'is_hed'" in text
    assert "'crops_repeat' is neither a repeat group" in text and "'crop_repeat'" in text
    assert (mi["severity"] == "blocking").all() and mi["fix"].str.len().gt(0).all()
    assert str(foreign["export"]) in set(mi["file"])


# -- the tidy tables ----------------------------------------------------------------------


def test_mapped_ingest_gives_canonical_tables(survey):
    t = survey.tables
    assert {"households", "members", "respondents", "plots", "crops"} <= set(t)
    assert survey.report.valid
    hh = t["households"]
    assert hh["hhid"].str.startswith("HH-").all() and "householdID" not in hh
    assert set(hh["district"]) == {"north", "south"}
    assert hh["community"].str.match(r"v0\d").all()
    mem = t["members"]
    assert {"line", "sex", "age", "is_head"} <= set(mem.columns)
    assert mem.groupby("hhid")["is_head"].sum().eq(1).all()
    resp = t["respondents"]
    assert len(resp) == len(hh) and set(resp["sex"]) == {"F", "M"}
    # the design file's own columns, joined on the mapped community column
    assert survey.design["weight"] == "weight" and survey.design["fpc2"] == "fpc2"
    assert set(hh["weight"]) == {20.0, 30.0} and hh["fpc"].notna().all()


def test_nested_repeat_links_through_its_outer_repeat(survey, foreign):
    crops = survey.tables["crops"]
    plots = survey.tables["plots"]
    raw = pd.read_excel(foreign["export"], sheet_name=None, engine="openpyxl")
    # every crop row belongs to the household of its plot (not to household _parent_index)
    plot_hh = dict(zip(plots["_key"].astype(str), plots["hhid"], strict=True))
    assert (crops["_parent_key"].astype(str).map(plot_hh) == crops["hhid"]).all()
    assert len(crops) == len(raw["crop_repeat"]) and (crops["_parent_table"] == "plots").all()


def test_relevant_with_renamed_fields_follows_the_mapping(survey):
    # ${owns_phone} drives phone_internet: no false alarm either way
    reasons = set(survey.report.issues["reason"])
    assert "answered_not_relevant" not in reasons


def test_translate_design_names():
    m = SurveyMapping(household_id="householdID", district="region", community="village")
    d = {"weight": "wt", "strata": "region", "psu": "village", "ssu": "householdID",
         "fpc": "n_villages", "fpc2": "none", "lonely_psu": "adjust"}  # fmt: skip
    out = translate_design(d, m, ["hhid", "district", "community"])
    assert out["strata"] == "district" and out["psu"] == "community" and out["ssu"] == "hhid"
    assert out["weight"] == "" and out["fpc"] == "" and out["fpc2"] == "none"


def test_cli_validate_with_mapping_writes_the_full_issue_list(foreign, tmp_path, capsys):
    cfg = tmp_path / "diag.toml"
    cfg.write_text(
        ff.MAPPING_TOML
        + '\n[design]\nweight = "wt"\nstrata = "region"\npsu = "village"\nfpc = "n_villages"\n'
    )
    code = cli_main(
        ["validate", str(foreign["export"]), "--form", str(foreign["form"]), "--design",
         str(foreign["design"]), "--mapping", str(cfg), "--out", str(tmp_path / "val")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.index("sex_unknown") < out.index("issue(s); first")  # summary by rule first
    issues = pd.read_csv(tmp_path / "val" / "validation_issues.csv")
    assert "sex_unknown" in set(issues["reason"])
    # default deny: the shareable list has no values; the internal folder stays inside --out
    assert "value" not in issues.columns
    assert (tmp_path / "val" / "interno" / "README.md").exists()
    assert not (tmp_path / "interno").exists()


def test_odk_csv_set_reads_with_the_same_mapping(foreign, tmp_path):
    """The same survey as an ODK Central CSV set (``-`` group separator, KEY/PARENT_KEY)."""
    from gender_diag.ingest import read_odk

    sheets = pd.read_excel(foreign["export"], sheet_name=None, engine="openpyxl")
    main = sheets["farm"].rename(columns=lambda c: c.replace("/", "-"))
    main["KEY"] = "uuid:" + main["_index"].astype(str)
    keys = dict(zip(main["_index"], main["KEY"], strict=True))
    main.drop(columns=["_index", "_id", "_uuid", "_submission_time"]).to_csv(
        tmp_path / "farm.csv", index=False
    )
    outer_keys = {}
    for rep, parent in (("hh_pop_repeat", None), ("plot_repeat", None), ("crop_repeat", "plot")):
        df = sheets[rep].rename(columns=lambda c: c.replace("/", "-"))
        up = keys if parent is None else outer_keys
        df["PARENT_KEY"] = df["_parent_index"].map(up)
        df["KEY"] = df["PARENT_KEY"] + f"/{rep}[" + df["_index"].astype(str) + "]"
        if rep == "plot_repeat":
            outer_keys = dict(zip(df["_index"], df["KEY"], strict=True))
        df.drop(columns=["_index", "_parent_index", "_parent_table_name"]).to_csv(
            tmp_path / f"farm-{rep}.csv", index=False
        )
    s = read_odk(tmp_path, form=foreign["form"], design=foreign["design"],
                 mapping=foreign["mapping"], design_names=DESIGN_NAMES)  # fmt: skip
    kobo = read_kobo(foreign["export"], form=foreign["form"], design=foreign["design"],
                     mapping=foreign["mapping"], design_names=DESIGN_NAMES)  # fmt: skip
    assert s.report.valid
    for t in ("households", "members", "respondents", "plots", "crops"):
        assert len(s.tables[t]) == len(kobo.tables[t]), t
    assert s.tables["members"]["sex"].value_counts().to_dict() == (
        kobo.tables["members"]["sex"].value_counts().to_dict()
    )
    assert (s.tables["crops"]["hhid"].value_counts().sort_index().to_numpy()
            == kobo.tables["crops"]["hhid"].value_counts().sort_index().to_numpy()).all()  # fmt: skip
