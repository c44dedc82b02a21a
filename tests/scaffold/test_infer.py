"""Inference rules of ``gender-diag init --form``: what is chosen, why, and what is asked."""

from __future__ import annotations

import tomllib

import pytest

from gender_diag.indicators import load_catalogue
from gender_diag.ingest.xlsform import read_form, write_form
from gender_diag.scaffold import init_diagnostic
from gender_diag.scaffold.infer import KEEP_REPEAT_NAMES, detect_language, infer_mapping, sex_codes


def _form(tmp_path, survey, choices, settings=None, name="f.xlsx"):
    return write_form(tmp_path / name, survey, choices, settings or {"version": "1"})


def _q(type_, name, label=""):
    return {"type": type_, "name": name, "label::English (en)": label}


def _c(list_name, name, label):
    return {"list_name": list_name, "name": name, "label::English (en)": label}


ROSTER = [
    _q("text", "hh_code", "Household code"),
    _q("select_one dist", "district_name", "District"),
    _q("select_one vill", "village", "Village"),
    _q("begin repeat", "members_rep"),
    _q("select_one sx", "msex", "Sex of the member"),
    _q("integer", "mage", "Age in years"),
    _q("select_one rel", "relation", "Relation to the head"),
    _q("select_one yn", "school", "Attends school"),
    _q("end repeat", "members_rep"),
    _q("select_one yn", "electricity", "Household has electricity"),
]
CHOICES = [
    _c("sx", "1", "Male"),
    _c("sx", "2", "Female"),
    _c("rel", "hd", "Head of household"),
    _c("rel", "sp", "Spouse"),
    _c("yn", "1", "Yes"),
    _c("yn", "0", "No"),
    _c("dist", "d1", "North"),
    _c("vill", "v1", "Hill"),
]


def test_codes_one_two_are_read_from_labels_in_any_language():
    # evidence: the labels, not the codes, say which code is female
    assert sex_codes(_frame([("1", "Hombre"), ("2", "Mujer")]), "s") == (["2"], ["1"], [])
    assert sex_codes(_frame([("h", "Homme"), ("f", "Femme"), ("9", "NSP")]), "s") == (
        ["f"],
        ["h"],
        ["9"],
    )
    assert sex_codes(_frame([("female", ""), ("male", "")]), "s") == (["female"], ["male"], [])
    # a household type list mentions women but is not a sex question
    assert (
        sex_codes(_frame([("couple", "Couple"), ("woman_single", "Woman – single")]), "s") is None
    )


def _frame(pairs):
    import pandas as pd

    from gender_diag.ingest.xlsform import Form

    ch = pd.DataFrame(
        {
            "list_name": ["s"] * len(pairs),
            "name": [p[0] for p in pairs],
            "label_en": [p[1] for p in pairs],
            "label_es": [None] * len(pairs),
            "label_fr": [None] * len(pairs),
        }
    )
    return Form(variables=pd.DataFrame(), choices=ch)


def test_roster_head_household_id_and_places_are_inferred_with_evidence(tmp_path):
    inf = infer_mapping(_form(tmp_path, ROSTER, CHOICES))
    m = inf.mapping
    assert m["members"] == {
        "table": "members_rep",
        "line": "",
        "sex": "msex",
        "age": "mage",
        "head": "relation == 'hd'",
    }
    assert m["sex_codes"] == {"female": ["2"], "male": ["1"]}
    assert (m["household_id"], m["district"], m["community"]) == (
        "hh_code",
        "district_name",
        "village",
    )
    assert m["respondents"]["table"] == "none"
    why = {c.key: c.evidence for c in inf.choices}
    assert "'msex'" in why["members.table"] and "'mage'" in why["members.table"]
    assert "hd" in why["members.head"]
    assert not inf.questions


def test_two_possible_rosters_become_a_question_not_a_guess(tmp_path):
    survey = [
        *ROSTER[:-1],
        _q("begin repeat", "visitors"),
        _q("select_one sx", "vsex", "Sex of the visitor"),
        _q("integer", "vage", "Age"),
        _q("end repeat", "visitors"),
    ]
    inf = infer_mapping(_form(tmp_path, survey, CHOICES))
    # "members_rep" says roster by its name, so it wins; an unnamed pair stays a question
    assert inf.mapping["members"]["table"] == "members_rep"
    survey2 = [s if s["name"] != "members_rep" else {**s, "name": "block_a"} for s in survey]
    inf2 = infer_mapping(_form(tmp_path, survey2, CHOICES, name="g.xlsx"))
    assert inf2.mapping["members"]["table"] == "none"
    question = next(q for q in inf2.questions if q.key == "members.table")
    assert {v for v, _ in question.options} == {"block_a", "visitors"}


def test_ambiguous_config_asks_and_still_loads(tmp_path):
    survey = [
        *ROSTER,
        _q("select_one sx", "resp_sex", "Respondent sex"),
        _q("select_one sx", "resp_sex_check", "Respondent sex again"),
    ]
    form = _form(tmp_path, survey, CHOICES)
    init_diagnostic(tmp_path / "d", form=form)
    text = (tmp_path / "d" / "diagnostic.toml").read_text(encoding="utf-8")
    assert "# QUESTION: which question gives the respondent's sex?" in text
    assert '# table = "main"; sex = "resp_sex"' in text
    assert tomllib.loads(text)["mapping"]["respondents"]["table"] == "none"


def test_untagged_labels_are_detected_as_english(tmp_path):
    survey = [
        {"type": s["type"], "name": s["name"], "label": s["label::English (en)"]} for s in ROSTER
    ]
    choices = [
        {"list_name": c["list_name"], "name": c["name"], "label": c["label::English (en)"]}
        for c in CHOICES
    ]
    inf = infer_mapping(_form(tmp_path, survey, choices))
    assert inf.languages == ["en"]
    assert any("no language tag" in n for n in inf.notes)
    assert detect_language(["¿Cuántas personas viven en su hogar?"]) == "es"


def test_generated_catalogue_loads_with_the_form_variables(tmp_path):
    form = _form(tmp_path, ROSTER, CHOICES)
    init_diagnostic(tmp_path / "d", form=form, languages=["en"])
    variables = set(read_form(form, repeat_tables=KEEP_REPEAT_NAMES).variables["name"])
    cat = load_catalogue(tmp_path / "d" / "catalogo", variables=variables, languages=["en"])
    assert {i.id: i.unit for i in cat.indicators} == {
        "school": "member",
        "electricity": "household",
    }
    assert cat["electricity"].rule == "electricity == '1'"
    assert cat["electricity"].universe == "electricity in ['1', '0']"
    # languages the diagnostic does not ask for are not required: they borrow a form text
    assert cat["school"].labels["es"] == cat["school"].labels["en"] == "Attends school — Yes"
    assert not cat.notes


def test_a_language_the_form_lacks_falls_back_with_a_note(tmp_path):
    form = _form(tmp_path, ROSTER, CHOICES)
    init_diagnostic(tmp_path / "d", form=form, languages=["es"])
    cat = load_catalogue(tmp_path / "d" / "catalogo", languages=["es"])
    assert cat["school"].labels["es"] == "Attends school — Yes"
    assert "The form has no label in es: the en text is shown" in cat["school"].note
    config = (tmp_path / "d" / "diagnostic.toml").read_text(encoding="utf-8")
    assert "the form has no labels in es" in config
    assert tomllib.loads(config)["diagnostic"]["languages"] == ["es"]


def test_init_refuses_a_bad_country_code(tmp_path):
    from gender_diag.errors import ConfigError

    form = _form(tmp_path, ROSTER, CHOICES)
    with pytest.raises(ConfigError, match="two-letter"):
        init_diagnostic(tmp_path / "d", form=form, country="Kenya")


def test_cli_init_counts_the_questions_and_writes_an_equal_weight_design(tmp_path, capsys):
    import pandas as pd

    from gender_diag.cli import main

    survey = [
        *ROSTER,
        _q("begin repeat", "visitors"),
        _q("select_one sx", "vsex", "Sex"),
        _q("integer", "vage", "Age"),
        _q("end repeat", "visitors"),
    ]
    survey = [s if s["name"] != "members_rep" else {**s, "name": "block_a"} for s in survey]
    form = _form(tmp_path, survey, CHOICES)
    export = tmp_path / "export.xlsx"
    pd.DataFrame(
        {
            "village": ["v1", "v2", "v1"],
            "district_name": ["d1", "d1", "d1"],
            "hh_code": ["a", "b", "c"],
        }
    ).to_excel(export, sheet_name="main", index=False)
    assert main(["init", str(tmp_path / "d"), "--form", str(form), "--data", str(export)]) == 0
    out = capsys.readouterr().out
    assert "2 question(s)" in out and "diagnostic.toml need your answer" in out
    design = pd.read_csv(tmp_path / "d" / "datos" / "design.csv")
    assert sorted(design["village"]) == ["v1", "v2"] and set(design["weight"]) == {1.0}
    config = (tmp_path / "d" / "diagnostic.toml").read_text(encoding="utf-8")
    assert "gives every household the same weight" in config
    assert 'psu = "village"' in config and 'strata = "district_name"' in config


def test_weight_column_of_the_design_file(tmp_path):
    import pandas as pd

    design = pd.DataFrame(columns=["ward", "village", "hh_weight"])
    inf = infer_mapping(_form(tmp_path, ROSTER, CHOICES), design=design)
    assert inf.design_columns["weight"] == "hh_weight"


def test_the_bundled_instrument_maps_onto_itself(tmp_path):
    from gender_diag.resources import instrument_dir

    form = instrument_dir() / "gender_diag_household.xlsx"
    init_diagnostic(tmp_path / "d", form=form, country="PE")
    config = tomllib.loads((tmp_path / "d" / "diagnostic.toml").read_text(encoding="utf-8"))
    m = config["mapping"]
    assert m["members"] == {
        "table": "roster",
        "line": "line",
        "sex": "sex",
        "age": "age",
        "head": "relation == 'head'",
    }
    assert m["respondents"] == {"table": "individual", "sex": "resp_sex", "line": "resp_line"}
    assert m["tables"] == {"parcels": "parcels"}
    assert (m["household_id"], m["district"], m["community"]) == ("hhid", "district", "community")
    variables = set(read_form(form, repeat_tables=KEEP_REPEAT_NAMES).variables["name"])
    cat = load_catalogue(tmp_path / "d" / "catalogo", variables=variables)
    bundled = [i for i in cat.indicators if i.source == "indicators_bundled.yaml"]
    # (a): bundled indicators whose questions the form asks, with their derived variables
    assert len(bundled) >= 50 and "has_mobile" in cat.ids
    assert {i.unit for i in cat.indicators} == {"respondent", "member", "household", "parcel"}
    # the violence module stays sensitive in the generated indicators
    assert all(cat[i].sensitive for i in cat.ids if i.startswith("vio_"))
    actions = (tmp_path / "d" / "catalogo" / "actions.yaml").read_text(encoding="utf-8")
    assert "country: PE" in actions
