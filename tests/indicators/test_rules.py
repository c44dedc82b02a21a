"""The safe rule language: parsing, rejection of unsafe input, vectorised evaluation."""

from __future__ import annotations

import builtins

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.errors import RuleError
from gender_diag.indicators.rules import FUNCTIONS, Rule, parse_rule

NA = pd.NA


@pytest.fixture
def tables():
    hh = pd.DataFrame({"hhid": ["H1", "H2", "H3"], "program_participant": ["yes", "no", None]})
    members = pd.DataFrame(
        {
            "hhid": ["H1", "H1", "H2", "H2", "H3"],
            "line": [1, 2, 1, 2, 1],
            "sex": ["F", "M", "F", "M", "F"],
            "age": [30, 35, 14, None, 70],
            "relation": ["head", "spouse", "head", "child", "head"],
        }
    )
    parcels = pd.DataFrame(
        {
            "hhid": ["H1", "H1", "H2"],
            "parcel": [1, 2, 1],
            "parcel_area": [1.5, 0.5, None],
            "parcel_titled": ["yes", "no", "yes"],
            "parcel_title_names__1": pd.array([True, NA, False], dtype="boolean"),
            "parcel_title_names__2": pd.array([True, NA, True], dtype="boolean"),
        }
    )
    resp = pd.DataFrame(
        {
            "hhid": ["H1", "H1", "H2", "H3"],
            "line": [1, 2, 1, 1],
            "own_land": ["sole", "none_in_hh", None, "joint"],
            "input_food_crops": [3.0, 1.0, None, 4.0],
            "groups__producers": pd.array([True, False, NA, False], dtype="boolean"),
            "groups__womens_org": pd.array([False, False, NA, True], dtype="boolean"),
        }
    )
    return {"households": hh, "members": members, "parcels": parcels, "respondents": resp}


def ev(rule, tables, unit="respondent"):
    return parse_rule(rule).evaluate(tables, unit=unit).tolist()


@pytest.mark.parametrize(
    ("rule", "unit", "expected"),
    [
        # membership, NA propagates
        ("own_land in ['sole', 'joint']", "respondent", [True, False, NA, True]),
        ("own_land not in ['sole', 'joint']", "respondent", [False, True, NA, False]),
        # numeric comparison; chain a < x <= b
        ("input_food_crops >= 3", "respondent", [True, False, NA, True]),
        ("1 < age <= 35", "member", [True, True, True, NA, False]),
        # variables of the roster and household are found from the respondent table
        ("age + 1", "respondent", [31.0, 36.0, 15.0, 71.0]),
        ("program_participant == 'yes'", "respondent", [True, True, False, NA]),
        # Kleene logic: False and NA is False, True or NA is True
        ("own_land == 'sole' and input_food_crops >= 3", "respondent", [True, False, NA, False]),
        ("own_land == 'joint' or input_food_crops >= 3", "respondent", [True, False, NA, True]),
        ("not (own_land == 'sole')", "respondent", [False, True, NA, True]),
        # isna / notna / coalesce let a rule say what missing means
        ("isna(own_land)", "respondent", [False, False, True, False]),
        ("coalesce(own_land == 'sole', False)", "respondent", [True, False, False, False]),
        # select_multiple dummies
        ("selected(groups, 'producers')", "respondent", [True, False, NA, False]),
        (
            "any(selected(groups, 'producers'), selected(groups, 'womens_org'))",
            "respondent",
            [True, False, NA, True],
        ),
        ("count(own_land == 'sole', input_food_crops >= 3)", "respondent", [2.0, 0.0, NA, 1.0]),
        # aggregation from parcels and members
        (
            "any_parcel(parcel_titled == 'yes' and has_line(parcel_title_names, line))",
            "respondent",
            [True, True, False, False],
        ),
        ("count_members(age >= 15)", "household", [2.0, NA, 1.0]),
        ("count_members(coalesce(age >= 15, False))", "household", [2.0, 0.0, 1.0]),
        ("any_member(relation == 'head' and sex == 'F')", "household", [True, True, True]),
        ("sum_parcels(parcel_area)", "household", [2.0, NA, 0.0]),
        ("mean_parcels(parcel_area)", "household", [1.0, NA, NA]),
        ("count_members(outer.line == line)", "respondent", [1.0, 1.0, 1.0, 1.0]),
        # arithmetic; division by zero is missing
        ("age / (age - 30)", "member", [NA, 7.0, -0.875, NA, 1.75]),
        (
            "if_else(age >= 18, 'adult', 'minor')",
            "member",
            ["adult", "adult", "minor", NA, "adult"],
        ),
        ("selected(parcel_title_names, 2)", "parcel", [True, NA, True]),
    ],
)
def test_evaluation_on_hand_tables(tables, rule, unit, expected):
    got = ev(rule, tables, unit)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if e is NA:
            assert g is NA, (rule, got)
        else:
            assert g == e, (rule, got)


def test_evaluate_keeps_index(tables):
    resp = tables["respondents"].set_axis([10, 11, 12, 13])
    out = parse_rule("own_land == 'sole'").evaluate({**tables, "respondents": resp})
    assert list(out.index) == [10, 11, 12, 13]
    assert str(out.dtype) == "boolean"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("age >=", "bad syntax"),
        ("age >= 15 and", "bad syntax"),
        ("frobnicate(age)", "unknown function 'frobnicate'"),
        ("__import__('os').system('ls')", "only"),
        ("__import__('os')", "unknown function '__import__'"),
        ("age.__class__", "only 'outer.<variable>'"),
        ("__builtins__", "names starting with '_'"),
        ("lambda: 1", "'Lambda' expressions are not allowed"),
        ("age[0]", "'Subscript' expressions are not allowed"),
        ("[x for x in age]", "'ListComp' expressions are not allowed"),
        ("age ** 2", "unsupported operator"),
        ("any(age > 1, key=1)", "takes no keyword arguments"),
        ("isna(age, sex)", "isna() takes 1 argument(s), got 2"),
        ("own_land in own_land", "needs a list of values"),
        ("selected('groups', 'x')", "is a select_multiple name"),
        ("(yield)", "not allowed"),
        ("f'{age}'", "not allowed"),
        ("", "the rule is empty"),
        ("any", "is a function"),
    ],
)
def test_invalid_rules_name_indicator_and_problem(rule, problem):
    with pytest.raises(RuleError) as info:
        parse_rule(rule, indicator="ind_x")
    msg = str(info.value)
    assert "'ind_x'" in msg and problem in msg
    assert info.value.indicator == "ind_x" and info.value.rule is not None


def test_error_position_points_at_the_problem():
    with pytest.raises(RuleError) as info:
        parse_rule("age >= 15 and frobnicate(x)", indicator="k")
    assert info.value.position == 15
    assert "at position 15" in str(info.value)


def test_unknown_variable_at_evaluation(tables):
    with pytest.raises(RuleError, match="unknown variable 'nonexistent'") as info:
        parse_rule("nonexistent == 1", indicator="k").evaluate(tables, unit="respondent")
    assert "'k'" in str(info.value)


def test_text_compared_with_number_is_an_error(tables):
    with pytest.raises(RuleError, match="text value 'sole' used where a number"):
        parse_rule("own_land > 2").evaluate(tables, unit="respondent")


def test_variables_and_functions_listed():
    r = parse_rule("any_parcel(has_line(parcel_owners, line)) and selected(groups, 'civic')")
    assert r.variables() == {"parcel_owners", "line", "groups__civic"}
    assert r.functions() == {"any_parcel", "has_line", "selected"}


def _never(*a, **k):  # pragma: no cover - must not be reached
    raise AssertionError("eval/exec/compile reached")


_PIECES = st.sampled_from(list("abcdefg_()[]'\".,=<>!+-*/ %:;{}@^~&|\\\n0123456789")) | st.sampled_from(
    ["__import__", "os", "system", "eval", "exec", "lambda", "open", "getattr", "__class__",
     "__subclasses__", " and ", " or ", " not ", " in ", "age", "any(", "outer.", "selected("]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_no_input_reaches_eval(text):
    """Any text either parses into the rule tree or raises RuleError; nothing is executed."""
    table = pd.DataFrame({"hhid": ["H1"], "line": [1], "age": [20], "a": [1.0]})
    with (
        pytest.MonkeyPatch.context() as mp
    ):  # eval/exec/compile would raise if anything reached them
        mp.setattr(builtins, "eval", _never)
        mp.setattr(builtins, "exec", _never)
        try:
            rule = parse_rule(text, indicator="h")
        except RuleError as e:
            assert "'h'" in str(e)
            return
        assert isinstance(rule, Rule)
        try:
            out = rule.evaluate({"respondents": table}, unit="respondent")
        except RuleError:
            return
        assert len(out) == 1


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os').system('echo pwned')",
        "().__class__.__bases__[0].__subclasses__()",
        "getattr(age, '__class__')",
        "eval('1')",
        "exec('x=1')",
        "open('/etc/passwd')",
        "(lambda: 1)()",
        "age.__dict__",
        "{'a': 1}",
    ],
)
def test_attacks_are_rejected(attack):
    with pytest.raises(RuleError):
        parse_rule(attack, indicator="attack")


def test_function_table_is_documented():
    assert "any_parcel" in FUNCTIONS and "count_members" in FUNCTIONS
    assert np.all([lo >= 1 for lo, _ in FUNCTIONS.values()])
