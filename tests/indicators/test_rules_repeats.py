"""Aggregation over any repeat table, nested repeats and person references (issue 14 item 4).

A hand-checkable household of tables (expected values worked out by hand in the comments):

households H1, H2, H3
members    H1: 1 F, 2 M        H2: 1 M, 2 F, 3 F        H3: 1 M
plots      H1: p1 (owner 1, 1.5 ha), p2 (owner 2, 0.5 ha)   H2: p3 (owner 1, 2 ha)   H3: none
crops      nested in plots: p1: maize (deciders 1 2), beans (1); p2: maize (2);
           p3: cassava (1 3)
"""

from __future__ import annotations

import pandas as pd
import pytest

from gender_diag.errors import RuleError
from gender_diag.indicators.rules import aggregation, parse_rule


def _dummies(answers: list[str], n: int = 3) -> dict[str, list]:
    return {f"crop_decider__{k}": [str(k) in a.split() for a in answers] for k in range(1, n + 1)}


@pytest.fixture
def tables():
    households = pd.DataFrame({"hhid": ["H1", "H2", "H3"]})
    members = pd.DataFrame(
        {
            "hhid": ["H1", "H1", "H2", "H2", "H2", "H3"],
            "line": [1, 2, 1, 2, 3, 1],
            "sex": ["F", "M", "M", "F", "F", "M"],
            "relation": ["head", "spouse", "head", "spouse", "child", "head"],
        }
    )
    plots = pd.DataFrame(
        {
            "hhid": ["H1", "H1", "H2"],
            "_key": ["1", "2", "3"],
            "plot_owner": [1, 2, 1],
            "plot_area": [1.5, 0.5, 2.0],
        }
    )
    deciders = ["1 2", "1", "2", "1 3"]
    crops = pd.DataFrame(
        {
            "hhid": ["H1", "H1", "H1", "H2"],
            "_parent_key": ["1", "1", "2", "3"],
            "_parent_table": "plots",
            "crop_name": ["maize", "beans", "maize", "cassava"],
            "crop_decider": deciders,
            **_dummies(deciders),
        }
    )
    for c in ("crop_decider__1", "crop_decider__2", "crop_decider__3"):
        crops[c] = crops[c].astype("boolean")
    return {"households": households, "members": members, "plots": plots, "crops": crops}


def hh(rule, tables):
    return parse_rule(rule).evaluate(tables, unit="household").tolist()


def test_aggregation_names():
    assert aggregation("count_crops") == ("crops", "count")
    assert aggregation("max_livestock") == ("livestock", "max")
    assert aggregation("any_member") == ("members", "any")
    assert aggregation("selected") is None and aggregation("if_else") is None


def test_count_any_sum_mean_min_max_over_any_repeat(tables):
    assert hh("count_crops(crop_name == 'maize')", tables) == [2, 0, 0]
    assert hh("any_crop(crop_name == 'cassava')", tables) == [False, True, False]
    assert hh("all_crops(crop_name != 'beans')", tables) == [False, True, True]  # none: True
    assert hh("sum_plots(plot_area)", tables) == [2.0, 2.0, 0.0]
    assert hh("mean_plots(plot_area)", tables) == [1.0, 2.0, pd.NA]
    assert hh("max_plots(plot_area)", tables)[:2] == [1.5, 2.0]
    assert hh("min_plots(plot_area)", tables)[:2] == [0.5, 2.0]


def test_nested_repeat_aggregates_per_outer_row(tables):
    # p1 has 2 crops, p2 has 1, p3 has 1: per plot, not per household (which would be 3)
    assert hh("count_plots(count_crops(True) == 2)", tables) == [1, 0, 0]
    assert hh("sum_plots(count_crops(crop_name == 'maize'))", tables) == [2, 0, 0]


def test_person_reference_select_one_resolves_to_sex(tables):
    # p1 owner line 1 of H1 = F; p2 owner line 2 of H1 = M; p3 owner line 1 of H2 = M
    assert hh("any_plots(sex_of(plot_owner) == 'F')", tables) == [True, False, False]
    assert hh("count_plots(sex_of(plot_owner) == 'M')", tables) == [1, 1, 0]


def test_person_reference_select_multiple_counts_women_and_men(tables):
    # H1: maize (1 F, 2 M) 1 woman, beans (1 F) 1, maize (2 M) 0 → 2 women, 2 men
    # H2: cassava (1 M, 3 F) → 1 woman, 1 man
    assert hh("sum_crops(women_in(crop_decider))", tables) == [2, 1, 0]
    assert hh("sum_crops(men_in(crop_decider))", tables) == [2, 1, 0]
    assert hh("any_crops(women_in(crop_decider) > 0 and men_in(crop_decider) == 0)", tables) == [
        True,
        False,
        False,
    ]


def test_person_reference_line_not_in_roster_is_missing(tables):
    tables["plots"].loc[2, "plot_owner"] = 9
    assert hh("any_plots(sex_of(plot_owner) == 'F')", tables) == [True, pd.NA, False]


def test_unknown_table_and_function_messages(tables):
    with pytest.raises(RuleError, match="unknown function 'foo'"):
        parse_rule("count_crops(True) + foo(1)")
    with pytest.raises(RuleError, match="no 'goats' table"):
        hh("count_goats(True)", tables)
    with pytest.raises(RuleError, match="select_multiple name"):
        parse_rule("women_in('x')")


def test_available_indicators_skip_a_repeat_the_survey_lacks(tables):
    from gender_diag.indicators.catalogue import Catalogue, Indicator
    from gender_diag.indicators.compute import available_indicators

    def ind(i, rule):
        return Indicator(
            id=i, domain="agri", labels={}, definitions={}, unit="household", universe="all",
            type="mean", rule=rule, direction="higher_better", standard="", sensitive=False,
            tags={}, parsed_rule=parse_rule(rule),
        )  # fmt: skip

    cat = Catalogue(indicators=[ind("a", "count_crops(True)"), ind("b", "count_goats(True)")])
    ids, skipped = available_indicators(tables, cat)
    assert ids == ["a"]
    assert skipped["reason"].tolist() == ["no goats table in the survey"]
