"""Local gender gap index (truncated-ratio method)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.indicators.compute import compute_indicators
from gender_diag.indicators.local_gap import local_gap_index, oriented_ratio


def test_oriented_ratio_by_hand():
    # F/M; (1-F)/(1-M); M/F; truncation at 1; zero denominators are parity
    r = oriented_ratio(
        [0.3, 0.5, 0.2, 8.0, 0.9, 0.0],
        [0.6, 0.4, 0.6, 6.0, 0.0, 1.0],
        direction=[
            "higher_better",
            "higher_better",
            "higher_worse",
            "higher_worse",
            "higher_better",
            "higher_worse",
        ],  # fmt: skip
        kind=["proportion", "proportion", "proportion", "mean", "proportion", "proportion"],
    )
    np.testing.assert_allclose(r, [0.5, 1.0, 1.0, 0.75, 1.0, 1.0])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
)
def test_oriented_ratio_bounded(f, m):
    k = min(len(f), len(m))
    for d in ("higher_better", "higher_worse"):
        r = oriented_ratio(f[:k], m[:k], direction=d, kind="proportion")
        assert np.all((r >= 0) & (r <= 1))


def test_index_equals_manual_combination_of_estimates(toy_survey):
    cat = load_catalogue()
    res = local_gap_index(toy_survey, cat)
    idx, ratios = res["index"], res["ratios"]
    used = ratios[ratios.area_type == "territory"].set_index("indicator")
    est = compute_indicators(toy_survey, cat, by=(), indicators=list(used.index))
    wide = est.pivot_table(index="indicator", columns="sex", values="estimate")
    np.testing.assert_allclose(used.estimate_f, wide.loc[used.index, "F"], rtol=1e-10)
    np.testing.assert_allclose(used.estimate_m, wide.loc[used.index, "M"], rtol=1e-10)
    r = oriented_ratio(wide.loc[used.index, "F"], wide.loc[used.index, "M"],
                       direction=used.direction, kind=used.type)  # fmt: skip
    dom = pd.Series(r, index=used.index).groupby(used.rights).mean()
    terr = idx[idx.area_type == "territory"].set_index("component")
    for k, v in dom.items():
        assert terr.loc[k, "value"] == pytest.approx(v, rel=1e-10)
    assert terr.loc["overall", "value"] == pytest.approx(dom.mean(), rel=1e-10)
    assert (idx.se > 0).all() and (idx.value <= 1).all()
    assert set(idx.area) == {"", "acomayo", "pomacanchi", "sangarara"}


def test_identical_women_and_men_give_parity(toy_survey):
    """Copy every woman's answers onto a man in the same PSU: all ratios are 1.

    Land indicators are left out: they read the roster line ticked on parcels, which the
    copies (new lines) do not have.
    """
    t = toy_survey.tables
    resp = t["respondents"]
    women = resp[resp.sex == "F"]
    men = women.assign(sex="M", line=women.line + 50)
    mem = t["members"]
    mem_w = mem[mem.sex == "F"]
    mem_m = mem_w.assign(sex="M", line=mem_w.line + 50)
    twin = {**t, "respondents": pd.concat([women, men], ignore_index=True),
            "members": pd.concat([mem_w, mem_m], ignore_index=True)}  # fmt: skip
    cat = load_catalogue()
    ids = [i.id for i in cat.indicators if i.domain != "land"]
    res = local_gap_index(twin, cat, by=None, indicators=ids)
    np.testing.assert_allclose(res["index"].value, 1.0)


def test_linearised_se_of_one_ratio_equals_design_ratio_gap(toy_survey):
    """With one indicator below parity the index is F/M: same SE as SurveyDesign.gap(ratio)."""
    from gender_diag.design import SurveyDesign

    cat = load_catalogue()
    res = local_gap_index(toy_survey, cat, by=None, indicators=["land_own_self_report"])
    row = res["index"].set_index("component").loc["overall"]
    resp = toy_survey.tables["respondents"]
    y = np.where(resp.own_land.isna(), np.nan, resp.own_land.isin(["sole", "joint"]))
    d = SurveyDesign(resp.assign(y=y), weight="weight", strata="district", psu="community",
                     fpc="fpc", lonely_psu="adjust")  # fmt: skip
    g = d.gap("y", between="sex", reference="M", kind="ratio").iloc[0]
    assert g.estimate < 1
    assert row.value == pytest.approx(g.estimate, rel=1e-12)
    assert row.se == pytest.approx(g.se, rel=1e-9)


def test_jackknife_and_linearisation_agree_at_territory_level(toy_survey):
    cat = load_catalogue()
    lin = local_gap_index(toy_survey, cat, by=None)["index"].set_index("component")
    jk = local_gap_index(toy_survey, cat, by=None, variance="jackknife")["index"]
    jk = jk.set_index("component")
    np.testing.assert_allclose(lin.value, jk.value)
    assert jk.loc["overall", "se"] == pytest.approx(lin.loc["overall", "se"], rel=0.3)


def test_result_object_keeps_the_mapping_shape(toy_survey):
    res = local_gap_index(toy_survey, load_catalogue(), by=None)
    assert list(res) == ["index", "ratios"] and dict(res)["ratios"] is res.ratios
    assert res.to_frame().equals(res["index"]) and res.to_frame() is not res.index_table
