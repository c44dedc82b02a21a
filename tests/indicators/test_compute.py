"""compute_indicators, gap_table, couple_comparisons and weai_inputs."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from gender_diag.design import SurveyDesign
from gender_diag.design.multiple import bh_qvalues
from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.indicators.compute import (
    RESULT_COLUMNS,
    compute_indicators,
    couple_comparisons,
    gap_table,
    weai_inputs,
)

ONE = """
indicators:
- id: owns
  domain: land
  label: {es: a, fr: b, en: c}
  definition: {es: a, fr: b, en: c}
  unit: respondent
  type: proportion
  rule: own_land == 'sole'
  direction: higher_better
  tags: {moser: strategic, roles: productive, harvard: control, rights: economic}
"""


@pytest.fixture
def one_indicator(tmp_path):
    p = tmp_path / "indicators.yaml"
    p.write_text(textwrap.dedent(ONE), encoding="utf-8")
    return load_catalogue(p)


def test_hand_checkable_case(one_indicator):
    """8 respondents, weight 1, every row its own PSU, no strata.

    Women own [1, 1, 0, 0] → 0.5; men [1, 1, 1, 0] → 0.75; gap −0.25. Linearised SEs
    (methods.md §1, R ``svyby(~y, ~sex, svydesign(ids=~1, data=d), svymean)``):
    z_F = (y − 0.5)/4 on women, 0 on men → V = 8/7 · 4 · 0.125² → se 0.267261;
    contrast z = z_F − z_M → V = 8/7 · (4 · 0.125² + 3 · 0.0625² + 0.1875²) = 0.125 →
    se 0.353553.
    """
    resp = pd.DataFrame(
        {
            "hhid": [f"H{i}" for i in range(8)],
            "line": 1,
            "sex": list("FFFFMMMM"),
            "own_land": ["sole", "sole", "no", "joint", "sole", "sole", "sole", "no"],
            "w": 1.0,
        }
    )
    out = compute_indicators({"respondents": resp}, one_indicator, design={"weight": "w"}, by=())
    f = out[out.sex == "F"].iloc[0]
    m = out[out.sex == "M"].iloc[0]
    assert f.estimate == pytest.approx(0.5) and m.estimate == pytest.approx(0.75)
    assert f.se == pytest.approx(np.sqrt(8 / 7 * 4 * 0.125**2), abs=1e-9)
    assert f.gap == pytest.approx(-0.25) and m.gap == pytest.approx(-0.25)
    assert f.gap_se == pytest.approx(0.353553, abs=1e-6)
    assert f.ratio == pytest.approx(0.5 / 0.75)
    assert f.n == 4 and f.population == pytest.approx(4.0)
    # 2 of 4 women lack the asset, each weighing 1
    assert f.affected == pytest.approx(2.0) and np.isnan(m.affected)
    assert list(out.columns) == RESULT_COLUMNS


def test_numbers_equal_direct_survey_design_calls(toy_survey):
    cat = load_catalogue()
    ids = ["land_own_self_report", "work_hours", "has_dni", "hh_credit"]
    out = compute_indicators(toy_survey, cat, by=("district",), indicators=ids)
    resp = toy_survey.tables["respondents"]
    # independent construction of the 0/1 and the numeric variables (no rule language)
    frame = resp.assign(
        y=np.where(resp.own_land.isna(), np.nan, resp.own_land.isin(["sole", "joint"])),
        h=resp.tu_farm
        + resp.tu_livestock
        + resp.tu_business
        + resp.tu_wage
        + resp.tu_domestic
        + resp.tu_care
        + resp.tu_water_fuel
        + resp.tu_commute
        + (resp.tu2_care + resp.tu2_domestic + resp.tu2_farm + resp.tu2_livestock) / 2,
    )
    d = SurveyDesign(frame, weight="weight", strata="district", psu="community", fpc="fpc",
                     lonely_psu="adjust")  # fmt: skip
    for ind, var in (("land_own_self_report", "y"), ("work_hours", "h")):
        est = d.mean(var, by="sex").set_index("sex")
        gap = d.gap(var, between="sex", reference="M").iloc[0]
        got = out[(out.indicator == ind) & (out.by == "total")].set_index("sex")
        for s in "FM":
            assert got.loc[s, "estimate"] == pytest.approx(est.loc[s, "estimate"], rel=1e-12)
            assert got.loc[s, "se"] == pytest.approx(est.loc[s, "se"], rel=1e-10)
            assert got.loc[s, "gap"] == pytest.approx(gap.estimate, rel=1e-12)
            assert got.loc[s, "gap_se"] == pytest.approx(gap.se, rel=1e-10)
            assert got.loc[s, "p_value"] == pytest.approx(gap.p_value, rel=1e-9)
        by_d = d.gap(var, between="sex", reference="M", by="district").set_index("district")
        got_d = out[(out.indicator == ind) & (out.by == "district") & (out.sex == "F")]
        for _, row in got_d.iterrows():
            assert row.gap == pytest.approx(by_d.loc[row.by_value, "estimate"], rel=1e-12)
    # household indicator: compared by the sex of the household head
    hh = toy_survey.tables["households"]
    mem = toy_survey.tables["members"]
    head = mem[mem.relation == "head"].set_index("hhid")["sex"]
    hframe = hh.assign(sex=hh.hhid.map(head), y=(hh.credit_any == "yes").astype(float))
    dh = SurveyDesign(hframe, weight="weight", strata="district", psu="community", fpc="fpc",
                      lonely_psu="adjust")  # fmt: skip
    est = dh.mean("y", by="sex").set_index("sex")
    got = out[(out.indicator == "hh_credit") & (out.by == "total")].set_index("sex")
    for s in "FM":
        assert got.loc[s, "estimate"] == pytest.approx(est.loc[s, "estimate"], rel=1e-12)


def test_full_catalogue_on_toy_survey(toy_survey):
    cat = load_catalogue()
    out = compute_indicators(toy_survey, cat)
    assert set(out.indicator) == set(cat.ids)
    assert out.indicator.nunique() >= 45
    # every total row has an estimate for both sexes
    tot = out[out.by == "total"]
    assert (tot.groupby("indicator").sex.nunique() == 2).all()
    assert tot.estimate.notna().all()
    # proportions and their CIs stay in [0, 1]; CI contains the estimate
    prop = out[(out.type == "proportion") & out.estimate.notna()]
    assert prop.estimate.between(0, 1).all()
    assert (prop.ci_low <= prop.estimate + 1e-12).all() and (
        prop.ci_high >= prop.estimate - 1e-12
    ).all()
    # sensitive indicators never by community
    assert not ((out.sensitive) & (out.by == "community")).any()
    assert ((~out.sensitive) & (out.by == "community")).any()
    # q-values: BH across the distinct gaps of the table
    g = out.drop_duplicates(["indicator", "by", "by_value"])
    np.testing.assert_allclose(g.q_value, bh_qvalues(g.p_value.to_numpy()), equal_nan=True)
    # share_women: F and M shares add to one
    sw = tot[tot.type == "share_women"].set_index("sex")
    assert sw.estimate.sum() == pytest.approx(1.0)
    # the planted gaps (women own land less, do more domestic work) show up
    own = tot[tot.indicator == "land_own_self_report"].iloc[0]
    assert own.gap < 0
    care = tot[tot.indicator == "unpaid_care_hours"].iloc[0]
    assert care.gap > 1 and care.p_value < 0.001


def test_gap_table(toy_survey):
    cat = load_catalogue()
    out = compute_indicators(toy_survey, cat, by=("district",))
    gt = gap_table(out, cat)
    assert gt.gap_id.is_unique
    assert len(gt) == len(out.drop_duplicates(["indicator", "by", "by_value"]))
    row = gt[gt.gap_id == "has_mobile|total|"].iloc[0]
    f = out[(out.indicator == "has_mobile") & (out.by == "total") & (out.sex == "F")].iloc[0]
    assert row.estimate_f == f.estimate and row.gap == f.gap and row.rights == "economic"
    for c in ("estimate_m", "ci_low_f", "ci_high_m", "n_f", "n_m", "affected", "q_value",
              "moser", "harvard", "reliability"):  # fmt: skip
        assert c in gt.columns


def test_couple_comparisons(toy_survey):
    cat = load_catalogue()
    cc = couple_comparisons(toy_survey, cat, indicators=["has_mobile", "time_poverty"])
    tot = cc[cc.by == "total"].set_index("indicator")
    resp = toy_survey.tables["respondents"]
    w = resp[resp.sex == "F"].set_index("hhid")
    m = resp[resp.sex == "M"].set_index("hhid").reindex(w.index)
    worse = (w.has_mobile == "no") & (m.has_mobile == "yes")
    expected = np.average(worse, weights=w.weight)
    assert tot.loc["has_mobile", "estimate"] == pytest.approx(expected, rel=1e-12)
    row = tot.loc["has_mobile"]
    assert row.ci_low <= row.estimate <= row.ci_high
    assert row.estimate + row.share_man_worse + row.share_equal == pytest.approx(1.0)


def test_weai_inputs(toy_survey):
    people = weai_inputs(toy_survey)
    for k in ("input_decisions", "ownership_assets", "credit_decisions", "control_income",
              "group_member", "workload", "autonomy_income", "mobility"):  # fmt: skip
        assert k in people.columns
        vals = set(people[k].dropna().unique())
        assert vals <= {0.0, 1.0}
    assert {"hhid", "line", "sex", "weight", "district", "community"} <= set(people.columns)
    assert len(people) == len(toy_survey.tables["respondents"])


def test_weai_inputs_feed_the_weai_index(toy_survey):
    from gender_diag.indices import weai

    people = weai_inputs(toy_survey)
    res = weai(people, preset="a-weai", weight="weight")
    keys = ["input_decisions", "ownership_assets", "credit_decisions", "control_income",
            "group_member", "workload"]  # fmt: skip
    complete = people.dropna(subset=keys)
    assert res.women.n == (complete.sex == "F").sum()
    assert 0 < res.value < 1


def test_design_roles_override_and_keep_the_survey_ones():
    from types import SimpleNamespace

    from gender_diag.indicators.compute import tables_and_design

    survey = SimpleNamespace(
        tables={"households": pd.DataFrame({"hhid": ["H1"]})},
        design=dict(
            weight="weight", strata="district", psu="community", fpc="fpc", ssu="hhid", fpc2="fpc2"
        ),  # fmt: skip
    )
    _, spec = tables_and_design(survey, {"weight": "w2", "fpc2": None})
    assert spec["weight"] == "w2" and spec["ssu"] == "hhid" and spec["fpc2"] is None


def test_categorical_columns_give_the_same_table(toy_survey):
    # Ingest may store coded columns as pandas categoricals (issue #13, lighter frames):
    # by-columns, sex, strata and PSUs as categories must give the same numbers as text.
    from types import SimpleNamespace

    def as_categories(t):
        obj = [c for c in t.columns if t[c].dtype == object or pd.api.types.is_string_dtype(t[c])]
        return t.astype({c: "category" for c in obj})

    cat = load_catalogue()
    tables = {k: as_categories(v) for k, v in toy_survey.tables.items()}
    assert isinstance(tables["respondents"]["sex"].dtype, pd.CategoricalDtype)
    categorical = SimpleNamespace(tables=tables, design=toy_survey.design)
    want = compute_indicators(toy_survey, cat)
    got = compute_indicators(categorical, cat)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)
