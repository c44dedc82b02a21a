"""Row links of aggregations, the evaluation cache and its release (issue 13, round 3).

The aggregations link a unit's rows to a child table's rows by integer codes instead of a
merge of text keys; the child rows of each parent must come in the merge's order so that
sums add the same numbers in the same order (results unchanged to the last bit). The key
columns may be text or ``category`` (ingest may hold them either way).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.indicators.compute import (
    PreparedTables,
    _restored,
    _stored,
    cache_evaluations,
    compute_indicators,
    couple_comparisons,
    indicator_frames,
    prepare_tables,
    release_evaluations,
)
from gender_diag.indicators.rules import _link, parse_rule

_KEYS = st.sampled_from(["H1", "H2", "H3", "10", "x"])


def _merge_link(parent: pd.Series, child: pd.Series):
    """The reference: inner merge of the keys as text, left order kept (pandas)."""
    mine = pd.DataFrame({"k": parent.astype(str).to_numpy(), "_parent": np.arange(len(parent))})
    theirs = pd.DataFrame({"k": child.astype(str).to_numpy(), "_child": np.arange(len(child))})
    m = mine.merge(theirs, on="k", how="inner", sort=False)
    return m["_parent"].to_numpy(), m["_child"].to_numpy()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_KEYS, max_size=25),
    st.lists(_KEYS, max_size=40),
    st.booleans(),
    st.booleans(),
)
def test_link_is_the_merge_order(parent, child, parent_cat, child_cat):
    p = pd.Series(parent, dtype=object)
    c = pd.Series(child, dtype=object)
    p = p.astype("category") if parent_cat else p
    c = c.astype("category") if child_cat else c
    got = _link(p, c)
    want = _merge_link(p, c)
    assert np.array_equal(got[0], want[0])
    assert np.array_equal(got[1], want[1])


def test_link_by_hand():
    # parent rows H2, H1, H9; child rows H1 (0), H2 (1), H1 (2)
    parent_index, rows = _link(pd.Series(["H2", "H1", "H9"]), pd.Series(["H1", "H2", "H1"]))
    assert parent_index.tolist() == [0, 1, 1]  # H2 has one child row, H1 two, H9 none
    assert rows.tolist() == [1, 0, 2]


def test_numbers_match_text_as_before():
    # 10 (a number) and '10' (text) are the same key, as with astype(str) on both sides
    parent_index, rows = _link(pd.Series([10, 7]), pd.Series(["10", "7", "10"]))
    assert parent_index.tolist() == [0, 0, 1]
    assert rows.tolist() == [0, 2, 1]


@pytest.fixture
def survey_tables():
    households = pd.DataFrame({"hhid": ["H1", "H2", "H3"]})
    respondents = pd.DataFrame(
        {"hhid": ["H1", "H1", "H2", "H3"], "line": [1, 2, 1, 1], "sex": ["F", "M", "F", "M"]}
    )
    parcels = pd.DataFrame(
        {
            "hhid": ["H2", "H1", "H1"],
            "parcel": [1, 1, 2],
            "area": [0.1, 0.2, 0.3],
            "titled": ["yes", "no", "yes"],
        }  # fmt: skip
    )
    return {"households": households, "respondents": respondents, "parcels": parcels}


@pytest.mark.parametrize("as_category", [False, True])
def test_aggregations_with_text_or_category_keys(survey_tables, as_category):
    tables = {k: v.copy() for k, v in survey_tables.items()}
    if as_category:
        for t in tables.values():
            t["hhid"] = t["hhid"].astype("category")
    area = parse_rule("sum_parcels(area)").evaluate_float(tables, unit="respondent")
    # H1: 0.2 + 0.3 (added in the parcels' own order), H2: 0.1, H3: no parcel -> 0
    assert area.tolist() == [0.2 + 0.3, 0.2 + 0.3, 0.1, 0.0]
    titled = parse_rule("any_parcel(titled == 'yes')").evaluate_mask(tables, unit="respondent")
    assert titled.tolist() == [True, True, True, False]  # H3 has no parcel
    n = parse_rule("count_parcels(parcel > 1)").evaluate_float(tables, unit="household")
    assert n.tolist() == [1.0, 0.0, 0.0]


def test_links_are_kept_with_prepared_tables(survey_tables):
    tables = PreparedTables(survey_tables)
    rule = parse_rule("count_parcels(parcel > 0)")
    first = rule.evaluate_float(tables, unit="respondent")
    assert ("child", "respondents", "parcels") in tables.links
    assert np.array_equal(rule.evaluate_float(tables, unit="respondent"), first)
    assert first.tolist() == [2.0, 2.0, 1.0, 0.0]


def test_literals_are_not_written_to(survey_tables):
    # a literal is a read-only broadcast view; every operation returns new arrays
    rule = parse_rule("coalesce(NA, 1) + if_else(titled == 'yes', 1, 0)")
    assert rule.evaluate_float(survey_tables, unit="parcel").tolist() == [2.0, 1.0, 2.0]
    text = parse_rule("titled in ['yes', 'maybe']").evaluate(survey_tables, unit="parcel")
    assert text.tolist() == [True, False, True]


def test_stored_indicator_values_round_trip():
    x = np.array([0.0, 1.0, np.nan, 1.0])
    kept = _stored(x.copy(), "proportion")
    assert kept.dtype == np.int8 and not kept.flags.writeable
    back = _restored(kept)
    assert np.array_equal(back, x, equal_nan=True) and back.dtype == float
    means = np.array([0.5, np.nan, 2.25])
    kept = _stored(means.copy(), "mean")
    assert kept.dtype == float and np.array_equal(_restored(kept), means, equal_nan=True)


def test_release_keeps_what_later_stages_read(toy_survey):
    # a survey object of its own (same tables): the cache is attached to the object
    example_survey = SimpleNamespace(tables=dict(toy_survey.tables), design=toy_survey.design)
    catalogue = load_catalogue()
    cache_evaluations(example_survey)
    tables = prepare_tables(example_survey, catalogue)
    before = indicator_frames(tables, catalogue)
    units = {u for u, _ in tables.rule_values}
    assert {"respondent", "member"} <= units
    assert not tables.column_values  # each unit's converted columns freed after its rules
    parse_rule("any_member(age >= 18)").evaluate_float(tables, unit="household")
    assert tables.column_values and tables.links
    release_evaluations(example_survey, keep_units=("respondent", "member"))
    assert {u for u, _ in tables.rule_values} == {"respondent", "member"}
    assert not tables.column_values and not tables.links
    assert prepare_tables(example_survey, catalogue) is tables  # still cached
    again = indicator_frames(tables, catalogue, indicators=before["respondent"].columns)
    pd.testing.assert_frame_equal(again["respondent"], before["respondent"])
    release_evaluations(example_survey)  # the last reader ran: nothing is kept
    assert example_survey._gd_evaluations is None
    assert not isinstance(prepare_tables(example_survey, catalogue), PreparedTables)


def _with_category_keys(survey):
    tables = {}
    for name, t in survey.tables.items():
        t = t.copy()
        for c in ("hhid", "district", "community"):
            if c in t.columns:
                t[c] = t[c].astype("category")
        tables[name] = t
    return SimpleNamespace(tables=tables, design=survey.design)


def test_text_or_category_keys_give_the_same_tables(toy_survey):
    # ingest may hold hhid, district and community as text or as category: the indicator
    # and couples tables must not depend on it (cached run, as in the pipeline)
    catalogue = load_catalogue()
    results = []
    for survey in (toy_survey, _with_category_keys(toy_survey)):
        survey = SimpleNamespace(tables=dict(survey.tables), design=survey.design)
        cache_evaluations(survey)
        table = compute_indicators(survey, catalogue)
        couples = couple_comparisons(survey, catalogue)
        results.append((table, couples))
    for got, want in zip(results[1], results[0], strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
