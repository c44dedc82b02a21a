"""Exact identities of the design-based change (issue 12) and invariance properties.

Reference for the variance formula: the design engine (``SurveyDesign.mean``), itself
checked against R ``survey`` in tests/design/test_reference_api.py. The identities below hold
exactly (to floating-point rounding, tolerance 1e-10 relative):

* full panel, the same weights in both rounds: the change in a mean and its linearised SE
  equal the mean of the within-unit differences and its SE, because the stacked influence
  value summed by unit is ``w (d − d̄)/N`` (Lumley 2010 §2.3);
* independent samples in disjoint PSUs (their own strata): ``SE²(change) = SE₁² + SE₂²``;
* a round compared with itself: change 0 and SE 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.change import change_estimates, stack_frames
from gender_diag.design import SurveyDesign
from gender_diag.indicators.compute import make_design

API = Path(__file__).resolve().parents[1] / "data" / "survey_api"


def _people(rng, *, strata=3, psus=4, households=5, weights="equal"):
    """Two adults (F, M) per household in ``strata × psus`` communities."""
    rows = []
    for h in range(strata):
        for c in range(psus):
            for k in range(households):
                w = 10.0 if weights == "equal" else float(rng.uniform(5, 30))
                for sex in "FM":
                    rows.append((f"s{h}", f"c{h}{c}", f"h{h}{c}{k}", sex, w, 2.0 * psus))
    df = pd.DataFrame(rows, columns=["stratum", "community", "hhid", "sex", "w", "fpc"])
    df["y"] = (rng.random(len(df)) < 0.4).astype(float)
    df["x"] = rng.normal(5, 2, len(df))
    return df


SPEC = {"weight": "w", "strata": "stratum", "psu": "community", "fpc": "fpc"}


def _stack(a, b, spec_a=SPEC, spec_b=SPEC, *, cols=("y", "x"), panel=True, arm=False):
    carry = ["sex", *cols] + (["arm"] if arm else [])
    data, spec = stack_frames(a, b, spec_a, spec_b, columns=carry, panel=panel)
    return make_design(data, spec)


def _row(frame, quantity, by="total", by_value=""):
    sel = frame[(frame.quantity == quantity) & (frame.by == by) & (frame.by_value == by_value)]
    return sel.set_index("indicator")


def test_full_panel_equals_mean_of_differences():
    rng = np.random.default_rng(1)
    a = _people(rng)
    b = a.assign(y=(rng.random(len(a)) < 0.6).astype(float), x=a["x"] + rng.normal(1, 1, len(a)))
    ch = change_estimates(_stack(a, b), ["y", "x"]).changes
    diff = a.assign(y=b["y"] - a["y"], x=b["x"] - a["x"])
    ref = SurveyDesign(diff, weight="w", strata="stratum", psu="community", fpc="fpc")
    for sex, q in (("F", "change_f"), ("M", "change_m")):
        want = ref.subset(diff["sex"].eq(sex)).mean(["y", "x"]).set_index("variable")
        got = _row(ch, q)
        np.testing.assert_allclose(got.loc[["y", "x"], "estimate"], want["estimate"], rtol=1e-10)
        np.testing.assert_allclose(got.loc[["y", "x"], "se"], want["se"], rtol=1e-10)
        assert (got["df"] == ref.df).all()


def test_full_panel_api_clusters_identity():
    # apiclus1 (R survey): the same 183 schools scored in 1999 and 2000. Stacking api99
    # (round 0) and api00 (round 1) over dclus1 = svydesign(id=~dnum, fpc=~fpc) must give
    # svymean(~I(api00 - api99), dclus1) exactly.
    api = pd.read_csv(API / "apiclus1.csv")
    api["sex"] = "F"
    spec = {"weight": "pw", "psu": "dnum", "fpc": "fpc"}
    a = api.assign(score=api["api99"].astype(float), hhid=api["snum"])
    b = api.assign(score=api["api00"].astype(float), hhid=api["snum"])
    ch = change_estimates(_stack(a, b, spec, spec, cols=("score",)), ["score"]).changes
    got = _row(ch, "change_f").loc["score"]
    d = SurveyDesign(api.assign(d=api["api00"] - api["api99"]), weight="pw", psu="dnum", fpc="fpc")
    want = d.mean("d").iloc[0]
    assert got["estimate"] == pytest.approx(want["estimate"], rel=1e-12)
    assert got["se"] == pytest.approx(want["se"], rel=1e-10)
    assert got["df"] == 14  # 15 districts − 1 stratum, as degf(dclus1)


def test_independent_samples_add_variances():
    rng = np.random.default_rng(2)
    a = _people(rng, weights="unequal")
    b = _people(rng, weights="unequal")
    b["community"] = "n" + b["community"]  # new communities: no PSU in common
    b["hhid"] = "n" + b["hhid"]
    ch = change_estimates(_stack(a, b), ["y", "x"]).changes
    for sex, q in (("F", "change_f"), ("M", "change_m")):
        va = SurveyDesign(a, weight="w", strata="stratum", psu="community", fpc="fpc")
        vb = SurveyDesign(b, weight="w", strata="stratum", psu="community", fpc="fpc")
        sa = va.subset(a["sex"].eq(sex)).mean(["y", "x"]).set_index("variable")
        sb = vb.subset(b["sex"].eq(sex)).mean(["y", "x"]).set_index("variable")
        got = _row(ch, q)
        np.testing.assert_allclose(
            got.loc[["y", "x"], "se"] ** 2, sa["se"] ** 2 + sb["se"] ** 2, rtol=1e-10
        )
        np.testing.assert_allclose(
            got.loc[["y", "x"], "estimate"], sb["estimate"] - sa["estimate"], rtol=1e-10
        )
    # the gap's change: the two rounds' gap variances add up too
    gap_a = SurveyDesign(a, weight="w", strata="stratum", psu="community", fpc="fpc").gap("y")
    gap_b = SurveyDesign(b, weight="w", strata="stratum", psu="community", fpc="fpc").gap("y")
    got = _row(ch, "change_gap").loc["y"]
    assert got["se"] ** 2 == pytest.approx(gap_a.se[0] ** 2 + gap_b.se[0] ** 2, rel=1e-10)
    assert got["estimate"] == pytest.approx(gap_b.estimate[0] - gap_a.estimate[0], rel=1e-10)


def test_round_compared_with_itself_is_zero():
    rng = np.random.default_rng(3)
    a = _people(rng, weights="unequal")
    a["arm"] = a["community"].str[-1].isin(["0", "1"]).astype(float)
    est = change_estimates(_stack(a, a, arm=True), ["y", "x"], arm_col="arm", by=(None,))
    ch = est.changes
    assert set(ch.quantity) == {"change_f", "change_m", "change_gap", "did_f", "did_gap"}
    assert (ch["estimate"] == 0).all()
    # influence values cancel pairwise; only the summation order leaves ~1e-17
    np.testing.assert_allclose(ch["se"], 0.0, atol=1e-14)


def test_two_stage_panel_with_second_stage_fpc():
    # with stage-1 and stage-2 fpc the panel covariance enters through the household term;
    # the full-panel identity still holds against the same two-stage design.
    rng = np.random.default_rng(4)
    a = _people(rng, households=6)
    a["fpc2"] = 40.0
    b = a.assign(x=a["x"] + rng.normal(0.5, 1, len(a)))
    spec = {**SPEC, "ssu": "hhid", "fpc2": "fpc2"}
    ch = change_estimates(_stack(a, b, spec, spec, cols=("x",)), ["x"]).changes
    diff = a.assign(x=b["x"] - a["x"])
    ref = make_design(diff, spec).subset(diff["sex"].eq("F")).mean("x").iloc[0]
    got = _row(ch, "change_f").loc["x"]
    assert got["se"] == pytest.approx(ref["se"], rel=1e-10)


def test_panel_no_treats_households_as_distinct():
    rng = np.random.default_rng(5)
    a = _people(rng, households=6)
    a["fpc2"] = 40.0
    b = a.assign(x=a["x"] + rng.normal(0.5, 0.2, len(a)))
    spec = {**SPEC, "ssu": "hhid", "fpc2": "fpc2"}
    paired = _row(change_estimates(_stack(a, b, spec, spec, cols=("x",)), ["x"]).changes,
                  "change_f").loc["x", "se"]  # fmt: skip
    apart = _row(
        change_estimates(_stack(a, b, spec, spec, cols=("x",), panel=False), ["x"]).changes,
        "change_f",
    ).loc["x", "se"]
    assert paired < apart  # positively correlated panel answers: pairing reduces the SE


def test_difference_in_differences_by_hand():
    # two units per cell, weights 1: programme women go from 0 to 1, nobody else changes:
    # did_f = (1 − 0) − (0 − 0) = 1 and did_gap = (1 − 0) − (0 − 0) = 1
    df = pd.DataFrame(
        {
            "_round": [0, 1] * 8,
            "sex": (["F"] * 2 + ["M"] * 2) * 4,
            "arm": [1.0] * 8 + [0.0] * 8,
            "y": [0, 1, 0, 0, 0, 1, 0, 0] + [0] * 8,
            "w": 1.0,
        }
    )
    ch = change_estimates(SurveyDesign(df, weight="w"), ["y"], arm_col="arm").changes
    tot = ch[ch.by == "total"].set_index("quantity")["estimate"]
    assert tot["did_f"] == pytest.approx(1.0)
    assert tot["did_gap"] == pytest.approx(1.0)
    arms = ch[ch.by == "treatment"].set_index(["by_value", "quantity"])["estimate"]
    assert arms[("programme", "change_gap")] == pytest.approx(1.0)
    assert arms[("comparison", "change_gap")] == pytest.approx(0.0)


def test_missing_values_keep_their_psu():
    rng = np.random.default_rng(6)
    a = _people(rng)
    b = a.assign(y=(rng.random(len(a)) < 0.6).astype(float))
    b.loc[b["community"] == "c00", "y"] = np.nan  # one community did not answer in round 2
    ch = change_estimates(_stack(a, b), ["y"]).changes
    assert np.isfinite(_row(ch, "change_f").loc["y", "se"])
    assert _row(ch, "change_f").loc["y", "n_to"] == (b["sex"].eq("F") & b["y"].notna()).sum()


# ------------------------------------------------------------------------------ properties
@st.composite
def _panel(draw):
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    a = _people(rng, strata=2, psus=3, households=3, weights="unequal")
    b = a.assign(x=a["x"] + rng.normal(0, 1, len(a)), y=(rng.random(len(a)) < 0.5).astype(float))
    return a, b


@settings(max_examples=25, deadline=None)
@given(_panel(), st.floats(0.01, 1000))
def test_weight_scale_invariance(pair, c):
    a, b = pair
    one = change_estimates(_stack(a, b), ["y", "x"]).changes
    scaled = change_estimates(_stack(a.assign(w=a.w * c), b.assign(w=b.w * c)), ["y", "x"]).changes
    np.testing.assert_allclose(one["estimate"], scaled["estimate"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(one["se"], scaled["se"], rtol=1e-9, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(_panel())
def test_swapping_rounds_negates_changes(pair):
    a, b = pair
    fwd = change_estimates(_stack(a, b), ["y", "x"]).changes
    back = change_estimates(_stack(b, a), ["y", "x"]).changes
    np.testing.assert_allclose(fwd["estimate"], -back["estimate"], atol=1e-12)
    np.testing.assert_allclose(fwd["se"], back["se"], rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(_panel(), st.randoms(use_true_random=False))
def test_row_order_invariance_and_gap_identity(pair, rnd):
    a, b = pair
    one = change_estimates(_stack(a, b), ["y", "x"]).changes
    order = list(range(len(b)))
    rnd.shuffle(order)
    other = change_estimates(_stack(a, b.iloc[order]), ["y", "x"]).changes
    np.testing.assert_allclose(one["estimate"], other["estimate"], atol=1e-12)
    np.testing.assert_allclose(one["se"], other["se"], rtol=1e-9)
    t = one.set_index(["indicator", "quantity"])["estimate"]
    for v in ("y", "x"):
        assert t[(v, "change_gap")] == pytest.approx(t[(v, "change_f")] - t[(v, "change_m")])


def test_adjusted_saturated_model_reproduces_the_programme_contrasts():
    # Without controls the GLM with round × sex × arm interactions is saturated in the eight
    # cells, so its average marginal effects within each arm are the cell differences: did_f
    # and did_gap (estimate and linearised SE) equal the raw estimator's, exactly.
    from gender_diag.change.adjusted import adjusted_changes

    rng = np.random.default_rng(7)
    a = _people(rng, weights="unequal")
    a["arm"] = a["community"].str[-1].isin(["0", "1"]).astype(float)
    b = a.assign(y=(rng.random(len(a)) < 0.5).astype(float), x=a["x"] + rng.normal(0, 1, len(a)))
    b.loc[b["hhid"].str.endswith("4"), "hhid"] = "new" + b["hhid"]  # a partial panel
    design = _stack(a, b, arm=True)
    raw = change_estimates(design, ["y", "x"], arm_col="arm").changes
    raw = raw[raw.by == "total"].set_index(["indicator", "quantity"])
    adj = adjusted_changes(design, ["y", "x"], arm_col="arm").set_index(["indicator", "quantity"])
    assert set(adj["family"]) == {"binomial", "gaussian"}
    for key in [(v, q) for v in ("y", "x") for q in ("did_f", "did_gap")]:
        assert adj.loc[key, "estimate"] == pytest.approx(raw.loc[key, "estimate"], rel=1e-8)
        assert adj.loc[key, "se"] == pytest.approx(raw.loc[key, "se"], rel=1e-6)


def test_adjusted_with_a_control_moves_towards_the_truth():
    # the follow-up interviews older women, and age raises y: the raw change is confounded,
    # the adjusted AME recovers the true zero change within its interval
    from gender_diag.change.adjusted import adjusted_changes

    rng = np.random.default_rng(8)
    a = _people(rng, households=20)
    b = _people(rng, households=20)
    b["community"], b["hhid"] = "n" + b["community"], "n" + b["hhid"]
    a["age"] = rng.normal(30, 5, len(a))
    b["age"] = rng.normal(40, 5, len(b))
    for f in (a, b):
        f["y"] = (rng.random(len(f)) < 1 / (1 + np.exp(-(f["age"] - 35) / 3))).astype(float)
    data, spec = stack_frames(a, b, SPEC, SPEC, columns=["sex", "y", "age"])
    design = make_design(data, spec)
    raw = change_estimates(design, ["y"]).changes.set_index("quantity").loc["change_f"]
    adj = adjusted_changes(design, ["y"], controls=["age"]).set_index("quantity").loc["change_f"]
    assert raw["ci_low"] > 0.2  # confounded
    assert adj["ci_low"] < 0 < adj["ci_high"]
