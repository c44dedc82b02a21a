"""Invariants of the design engine (hypothesis property tests)."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gender_diag.design import SurveyDesign

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw):
    """A stratified two-stage-free cluster sample: 2–3 strata × 2–4 PSUs × 1–4 rows."""
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    rows = []
    for h in range(draw(st.integers(2, 3))):
        for p in range(draw(st.integers(2, 4))):
            for _ in range(draw(st.integers(1, 4))):
                rows.append((h, f"{h}-{p}"))
    n = len(rows)
    df = pd.DataFrame(rows, columns=["h", "p"])
    df["w"] = rng.uniform(0.5, 5.0, n)
    df["y"] = rng.normal(10, 3, n)
    df["x"] = rng.uniform(1, 4, n)
    df["b"] = rng.integers(0, 2, n)
    df["sex"] = rng.choice(["F", "M"], n)
    df.loc[0, "sex"], df.loc[1, "sex"] = "F", "M"
    return df


def _design(df):
    return SurveyDesign(df, weight="w", strata="h", psu="p")


@SETTINGS
@given(samples(), st.floats(0.01, 100))
def test_scaling_weights_leaves_means_and_ses(df, c):
    a = _design(df).mean(["y", "b"], by="sex")
    b = _design(df.assign(w=df.w * c)).mean(["y", "b"], by="sex")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-10)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-8, atol=1e-9)


@SETTINGS
@given(samples(), st.integers(0, 1000))
def test_row_order_does_not_matter(df, seed):
    perm = np.random.default_rng(seed).permutation(len(df))
    a = _design(df).mean(["y"], by="sex")
    b = _design(df.iloc[perm].reset_index(drop=True)).mean(["y"], by="sex")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-10)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-8, atol=1e-9)
    g1 = _design(df).gap("y")
    g2 = _design(df.iloc[perm].reset_index(drop=True)).gap("y")
    np.testing.assert_allclose(g1.se, g2.se, rtol=1e-8, atol=1e-9)


@SETTINGS
@given(samples())
def test_domain_mean_equals_ratio_of_indicators(df):
    # Domain mean of y among women = ratio Σ w y·1[F] / Σ w 1[F] on the whole design.
    women = (df.sex == "F").astype(float)
    aug = df.assign(yf=df.y * women, f=women)
    dom = _design(df).mean("y", by="sex").set_index("sex").loc["F"]
    rat = _design(aug).ratio("yf", "f").iloc[0]
    assert np.isclose(dom.estimate, rat.estimate, rtol=1e-10)
    assert np.isclose(dom.se, rat.se, rtol=1e-8, atol=1e-12)


@SETTINGS
@given(samples())
def test_gap_of_variable_with_itself_is_zero(df):
    # The same rows appear once as group "F" and once as group "M" in the same PSUs: the
    # gap is 0 and so is its linearised contrast in every PSU.
    both = pd.concat([df.assign(grp="F"), df.assign(grp="M")], ignore_index=True)
    g = SurveyDesign(both, weight="w", strata="h", psu="p").gap(["y", "b"], between="grp")
    np.testing.assert_allclose(g.estimate, 0, atol=1e-9)
    np.testing.assert_allclose(g.se, 0, atol=1e-9)
    lr = SurveyDesign(both, weight="w", strata="h", psu="p").gap(
        "y", between="grp", kind="log-ratio"
    )
    assert abs(lr.estimate[0]) < 1e-12 and lr.se[0] < 1e-9


@SETTINGS
@given(samples(), st.sampled_from(["logit", "wilson", "korn-graubard", "clopper-pearson"]))
def test_proportion_ci_inside_unit_interval(df, method):
    p = _design(df).proportion("b", by="sex", ci_method=method)
    ok = p.ci_low.notna()
    assert (p.ci_low[ok] >= 0).all() and (p.ci_high[ok] <= 1).all()
    assert (p.ci_low[ok] <= p.estimate[ok] + 1e-12).all()
    assert (p.estimate[ok] <= p.ci_high[ok] + 1e-12).all()


@SETTINGS
@given(samples())
def test_vcov_total_matches_estimator_se(df):
    d = _design(df)
    z = (df.w * df.y).to_numpy()
    assert np.isclose(np.sqrt(d.vcov_total(z)[0, 0]), d.total("y").se[0], rtol=1e-10)


@SETTINGS
@given(samples(), st.integers(0, 10_000))
def test_vcov_total_of_some_rows_equals_zeros_elsewhere(df, seed):
    """``vcov_total(z, rows=)`` is the covariance of the full z with zeros outside ``rows``
    (Taylor path from the rows alone; replicate designs through the full-length path)."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(len(df)) < 0.5)
    z = rng.normal(size=(rows.size, 2))
    full = np.zeros((len(df), 2))
    full[rows] = z
    for d in (_design(df), _design(df).jackknife()):
        np.testing.assert_allclose(
            d.vcov_total(z, rows=rows), d.vcov_total(full), rtol=1e-12, atol=1e-12
        )


@SETTINGS
@given(samples(), st.floats(0.05, 0.6))
def test_complete_cases_equal_the_domain_of_complete_rows(df, share):
    rng = np.random.default_rng(len(df))
    df = df.assign(y=np.where(rng.random(len(df)) < share, np.nan, df["y"]))
    d = _design(df)
    cc = d.mean(["y", "x"], complete_cases=True)
    complete = df["y"].notna().to_numpy()
    if not complete.any():
        return
    sub = d.subset(complete).mean(["y", "x"])
    np.testing.assert_allclose(cc.estimate, sub.estimate, rtol=1e-10)
    np.testing.assert_allclose(cc.se, sub.se, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(samples(), st.floats(0.5, 2.0))
def test_calibrated_totals_hit_their_targets_with_zero_variance(df, factor):
    d = _design(df)
    target = float((d.weights * df["x"]).sum()) * factor
    g = d.calibrate({"x": target}, population=float(d.weights.sum()))
    t = g.total(["x"]).iloc[0]
    assert np.isclose(t.estimate, target, rtol=1e-9)
    assert t.se <= 1e-6 * target  # a calibration variable is known exactly


@SETTINGS
@given(samples())
def test_both_residual_conventions_agree_for_poststratification(df):
    df = df.copy()
    df.loc[0, "b"], df.loc[1, "b"] = 0, 1  # both post-strata sampled
    d = _design(df)
    counts = {0: 50.0, 1: 80.0}
    a = d.poststratify("b", counts).mean("y").se[0]
    b = d.poststratify("b", counts, residuals="calibrated").mean("y").se[0]
    assert np.isclose(a, b, rtol=1e-9)
