"""Survey-weighted GLMs and adjusted gaps: R reference values, identities, hand case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.design import SurveyDesign
from gender_diag.design.models import adjusted_gap, svyglm, svyglm_fit
from gender_diag.errors import DesignError, EstimationError

DATA = Path(__file__).resolve().parents[1] / "data" / "survey_api"


@pytest.fixture(scope="module")
def apiclus2():
    return pd.read_csv(DATA / "apiclus2.csv")


@pytest.fixture(scope="module")
def apistrat():
    df = pd.read_csv(DATA / "apistrat.csv")
    df["sw"] = (df["sch.wide"] == "Yes").astype(float)
    return df


@pytest.fixture(scope="module")
def dstrat(apistrat):
    # R: svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    return SurveyDesign(apistrat, weight="pw", strata="stype", fpc="fpc")


@pytest.fixture(scope="module")
def apiclus1():
    df = pd.read_csv(DATA / "apiclus1.csv")
    df["sw"] = (df["sch.wide"] == "Yes").astype(float)
    df["hi"] = (df["api00"] > 700).astype(float)
    return df


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    # R: svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    return SurveyDesign(apiclus1, weight="pw", psu="dnum", fpc="fpc")


# ------------------------------------------------------------------------------------------
# Published R survey results
# ------------------------------------------------------------------------------------------
def test_r_svyglm_dclus2_linear(apiclus2):
    # Source: R survey regression example (Lumley), example-regression.html:
    #   dclus2 <- svydesign(id=~dnum+snum, weights=~pw, data=apiclus2)
    #   summary(svyglm(api00 ~ ell + meals + mobility, design = dclus2))
    d = SurveyDesign(apiclus2, weight="pw", psu="dnum", ssu="snum")
    tab = svyglm(d, "api00 ~ ell + meals + mobility", family="gaussian").set_index("term")
    expected = {  # term: (estimate, SE) as printed
        "Intercept": (811.4907, 30.8795),
        "ell": (-2.0592, 1.4075),
        "meals": (-1.7772, 1.1053),
        "mobility": (0.3253, 0.5305),
    }
    for term, (est, se) in expected.items():
        assert tab.loc[term, "estimate"] == pytest.approx(est, abs=5e-5)
        assert tab.loc[term, "se"] == pytest.approx(se, abs=5e-5)
    # R residual df of svyglm: degf(design) + 1 - p = (40 - 1) + 1 - 4
    assert (tab["df"] == 36).all()
    assert (tab["n"] == 126).all()


def test_r_svyglm_dclus2_domain_means(apiclus2):
    # Same source: summary(svyglm(api00 ~ stype - 1, dclus2)) -> stypeE 692.81 (30.28),
    # stypeH 598.34 (16.96), stypeM 642.35 (45.34)
    d = SurveyDesign(apiclus2, weight="pw", psu="dnum", ssu="snum")
    tab = svyglm(d, "api00 ~ stype - 1", family="gaussian").set_index("term")
    for term, (est, se) in {
        "stype[E]": (692.81, 30.28),
        "stype[H]": (598.34, 16.96),
        "stype[M]": (642.35, 45.34),
    }.items():
        assert tab.loc[term, "estimate"] == pytest.approx(est, abs=5e-3)
        assert tab.loc[term, "se"] == pytest.approx(se, abs=5e-3)


# ------------------------------------------------------------------------------------------
# (a) point estimates equal statsmodels weighted fits
# ------------------------------------------------------------------------------------------
def test_logit_point_estimates_match_statsmodels(apistrat, dstrat):
    fit = svyglm_fit(dstrat, "sw", x=["ell", "meals", "mobility"], family="binomial")
    X = sm.add_constant(apistrat[["ell", "meals", "mobility"]].astype(float))
    ref = sm.GLM(apistrat["sw"], X, family=sm.families.Binomial(), freq_weights=apistrat["pw"]).fit(
        tol=1e-12
    )
    np.testing.assert_allclose(fit.coef, ref.params.to_numpy(), rtol=1e-8, atol=1e-10)
    tab = fit.table()
    np.testing.assert_allclose(tab["odds_ratio"], np.exp(tab["estimate"]), rtol=1e-14)
    assert (tab["or_ci_low"] < tab["odds_ratio"]).all()


def test_linear_point_estimates_match_wls(apistrat, dstrat):
    tab = svyglm(dstrat, "api00", x=["ell", "meals", "mobility"], family="gaussian")
    X = sm.add_constant(apistrat[["ell", "meals", "mobility"]].astype(float))
    ref = sm.WLS(apistrat["api00"], X, weights=apistrat["pw"]).fit()
    np.testing.assert_allclose(tab["estimate"], ref.params.to_numpy(), rtol=1e-10)
    assert "odds_ratio" not in tab.columns


# ------------------------------------------------------------------------------------------
# (b) intercept-only model = design mean; (c) sex-only linear model = design gap
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("y", ["api00", "enroll", "sw"])
def test_intercept_only_equals_design_mean(dclus1, y):
    # enroll has no NA in apiclus1, api00 neither; sw is 0/1 (also fitted as linear here)
    fit = svyglm(dclus1, y, family="gaussian")
    m = dclus1.mean(y)
    assert fit["estimate"].iloc[0] == pytest.approx(m["estimate"].iloc[0], rel=1e-10)
    assert fit["se"].iloc[0] == pytest.approx(m["se"].iloc[0], rel=1e-8)
    # p = 1 -> df equals the design df
    assert fit["df"].iloc[0] == dclus1.df


def test_intercept_only_logit_se_by_delta_method(dclus1):
    # logit(p) has SE = SE(p) / (p (1 - p)) exactly for the intercept-only logistic model.
    fit = svyglm(dclus1, "sw", family="binomial")
    m = dclus1.mean("sw")
    p, se = m["estimate"].iloc[0], m["se"].iloc[0]
    assert fit["estimate"].iloc[0] == pytest.approx(np.log(p / (1 - p)), rel=1e-10)
    assert fit["se"].iloc[0] == pytest.approx(se / (p * (1 - p)), rel=1e-8)


def test_intercept_only_with_missing_keeps_psus(apiclus2):
    # enroll is NA in 6 schools that fill the clusters dnum 228 and 452: those PSUs must count
    # as zeros. R: svytotal(~enroll, dclus2wr, na.rm=TRUE) SE 820261 (tests/api.Rout.save)
    # uses the same rule; the model must agree with the design's own mean.
    d = SurveyDesign(apiclus2, weight="pw", psu="dnum", ssu="snum")
    fit = svyglm_fit(d, "enroll", family="gaussian")
    m = d.mean("enroll")
    assert fit.n == 120 and fit.n_missing == 6
    assert fit.coef[0] == pytest.approx(m["estimate"].iloc[0], rel=1e-10)
    assert fit.se[0] == pytest.approx(m["se"].iloc[0], rel=1e-8)


@pytest.mark.parametrize("y", ["api00", "sw"])
def test_sex_only_linear_equals_design_gap(dstrat, y):
    # "awards" (Yes/No) plays the role of sex: the coefficient of the focal group in
    # y ~ group is the difference of domain means, with the same linearised SE.
    fit = svyglm(dstrat, y, x="awards", family="gaussian", references={"awards": "No"})
    row = fit.set_index("term").loc["awards[T.Yes]"]
    g = dstrat.gap(y, between="awards", reference="No")
    assert row["estimate"] == pytest.approx(g["estimate"].iloc[0], rel=1e-10)
    assert row["se"] == pytest.approx(g["se"].iloc[0], rel=1e-8)


def test_adjusted_gap_without_controls_equals_raw_gap(dstrat):
    # Saturated logit: the average marginal effect is the raw F - M difference of shares and
    # its linearised SE equals the design SE of the gap. ("comp.imp" plays the role of sex;
    # "awards" cannot: every school with awards met its target, a zero cell.)
    g = dstrat.gap("sw", between="comp.imp", reference="No")
    a = adjusted_gap(dstrat, "sw", sex="comp.imp", reference="No")
    assert a["family"].iloc[0] == "binomial"
    assert a["focal"].iloc[0] == "Yes"
    assert a["ame"].iloc[0] == pytest.approx(g["estimate"].iloc[0], rel=1e-9)
    assert a["ame_se"].iloc[0] == pytest.approx(g["se"].iloc[0], rel=1e-7)
    lin = adjusted_gap(dstrat, "sw", sex="comp.imp", reference="No", family="gaussian")
    assert lin["estimate"].iloc[0] == pytest.approx(g["estimate"].iloc[0], rel=1e-10)
    assert lin["ame_se"].iloc[0] == pytest.approx(lin["se"].iloc[0], rel=1e-12)


def test_adjusted_gap_ame_point_matches_statsmodels(apistrat, dstrat):
    a = adjusted_gap(dstrat, "sw", sex="comp.imp", controls=["meals", "stype"], reference="No")
    X = pd.get_dummies(apistrat[["meals", "stype"]], columns=["stype"], drop_first=True)
    X.insert(0, "compimpYes", (apistrat["comp.imp"] == "Yes").astype(float))
    X = sm.add_constant(X.astype(float))
    ref = sm.GLM(apistrat["sw"], X, family=sm.families.Binomial(), freq_weights=apistrat["pw"]).fit(
        tol=1e-12
    )
    assert a["estimate"].iloc[0] == pytest.approx(ref.params["compimpYes"], rel=1e-8)
    X1, X0 = X.copy(), X.copy()
    X1["compimpYes"], X0["compimpYes"] = 1.0, 0.0
    w = apistrat["pw"].to_numpy()
    ame = np.sum(w * (ref.predict(X1) - ref.predict(X0))) / w.sum()
    assert a["ame"].iloc[0] == pytest.approx(ame, rel=1e-8)
    assert a["ame_se"].iloc[0] > 0
    assert a["ame_ci_low"].iloc[0] < a["ame"].iloc[0] < a["ame_ci_high"].iloc[0]


# ------------------------------------------------------------------------------------------
# (d) hand case: sandwich computed by explicit loops over strata and PSUs
# ------------------------------------------------------------------------------------------
def test_hand_case_linear_sandwich():
    df = pd.DataFrame(
        {
            "h": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 4.0, 4.0],
            "x": [0.0, 1.0, 2.0, 3.0, 1.0, 2.0, 0.0, 4.0],
            "y": [1.0, 2.0, 2.5, 5.0, 2.0, 2.0, 1.0, 6.0],
        }
    )
    d = SurveyDesign(df, weight="w", strata="h", psu="psu")
    fit = svyglm_fit(d, "y", x="x", family="gaussian")
    X = np.c_[np.ones(8), df["x"]]
    w, y = df["w"].to_numpy(), df["y"].to_numpy()
    A = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(A, X.T @ (w * y))
    u = w[:, None] * X * (y - X @ beta)[:, None]
    B = np.zeros((2, 2))
    for h in (1, 2):  # with-replacement PSUs: n_h/(n_h-1) sum (t_hi - mean)^2
        psus = df.loc[df["h"] == h, "psu"].unique()
        tot = np.array([u[(df["psu"] == k).to_numpy()].sum(0) for k in psus])
        dev = tot - tot.mean(0)
        B += len(psus) / (len(psus) - 1) * dev.T @ dev
    V = np.linalg.inv(A) @ B @ np.linalg.inv(A)
    np.testing.assert_allclose(fit.coef, beta, rtol=1e-12)
    np.testing.assert_allclose(fit.vcov, V, rtol=1e-10, atol=1e-14)
    # 4 PSUs - 2 strata = 2 design df; minus p - 1 = 1 -> 1
    assert fit.df == 1


# ------------------------------------------------------------------------------------------
# replicate designs: vectorised refits equal one-by-one refits
# ------------------------------------------------------------------------------------------
def test_replicate_design_refits(apiclus1, dclus1):
    rep = dclus1.jackknife()
    fit = svyglm_fit(rep, "api00", x=["ell", "meals"], family="gaussian")
    rw = np.asarray(rep.replicate_weights)
    X = sm.add_constant(apiclus1[["ell", "meals"]].astype(float))
    thetas = np.array(
        [sm.WLS(apiclus1["api00"], X, weights=rw[:, r]).fit().params for r in range(rw.shape[1])]
    )
    np.testing.assert_allclose(fit._internals["reps"], thetas, rtol=1e-9)
    np.testing.assert_allclose(fit.vcov, rep.vcov_replicates(fit.coef, thetas), rtol=1e-9)
    # intercept-only on the replicate design equals the replicate design's mean
    # (R: svymean(~api00, rclus1) SE 26.329, tests/api.Rout.save)
    m = svyglm(rep, "api00", family="gaussian")
    assert m["se"].iloc[0] == pytest.approx(26.329, abs=5e-4)


def test_replicate_design_logit_and_ame(dclus1):
    rep = dclus1.jackknife()
    lin = adjusted_gap(dclus1, "hi", sex="comp.imp", reference="No", controls=["meals"])
    r = adjusted_gap(rep, "hi", sex="comp.imp", reference="No", controls=["meals"])
    assert r["estimate"].iloc[0] == pytest.approx(lin["estimate"].iloc[0], rel=1e-10)
    assert r["ame"].iloc[0] == pytest.approx(lin["ame"].iloc[0], rel=1e-10)
    # jackknife and linearisation agree to first order (15 clusters: within 35 %)
    assert r["se"].iloc[0] == pytest.approx(lin["se"].iloc[0], rel=0.35)
    assert r["ame_se"].iloc[0] == pytest.approx(lin["ame_se"].iloc[0], rel=0.35)


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(scale=st.floats(0.01, 100), seed=st.integers(0, 2**16))
def test_weight_scale_and_row_order_invariance(apistrat, scale, seed):
    base = SurveyDesign(apistrat, weight="pw", strata="stype")
    ref = svyglm_fit(base, "sw", x=["meals", "ell"], family="binomial")
    perm = np.random.default_rng(seed).permutation(len(apistrat))
    df = apistrat.iloc[perm].reset_index(drop=True).assign(pw=lambda f: f["pw"] * scale)
    fit = svyglm_fit(SurveyDesign(df, weight="pw", strata="stype"), "sw", x=["meals", "ell"])
    np.testing.assert_allclose(fit.coef, ref.coef, rtol=1e-8)
    np.testing.assert_allclose(fit.se, ref.se, rtol=1e-7)


def test_domain_equals_subpopulation_not_subset(apistrat, dstrat):
    # A domain keeps every stratum's PSUs; its estimates equal those of the subset fit.
    dom = (apistrat["stype"] != "H").to_numpy()
    fit = svyglm_fit(dstrat, "api00", x="meals", family="gaussian", domain=dom)
    sub = apistrat[dom]
    X = sm.add_constant(sub[["meals"]].astype(float))
    ref = sm.WLS(sub["api00"], X, weights=sub["pw"]).fit()
    np.testing.assert_allclose(fit.coef, ref.params.to_numpy(), rtol=1e-10)
    assert fit.n == int(dom.sum())
    # the same domain given through SurveyDesign.subset()
    via_subset = svyglm_fit(dstrat.subset(dom), "api00", x="meals", family="gaussian")
    np.testing.assert_allclose(via_subset.coef, fit.coef, rtol=1e-12)
    np.testing.assert_allclose(via_subset.vcov, fit.vcov, rtol=1e-12)


# ------------------------------------------------------------------------------------------
# errors name the problem
# ------------------------------------------------------------------------------------------
def test_errors(apistrat, dstrat):
    with pytest.raises(DesignError, match="nope"):
        svyglm(dstrat, "nope", family="gaussian")
    with pytest.raises(EstimationError, match="0/1"):
        svyglm(dstrat, "api00", x="meals", family="binomial")
    with pytest.raises(ValueError, match="family"):
        svyglm(dstrat, "api00", family="poisson")
    with pytest.raises(ValueError, match="reference"):
        adjusted_gap(dstrat, "sw", sex="awards", reference="Maybe")
    with pytest.raises(ValueError, match="reference"):
        adjusted_gap(dstrat, "sw", sex="stype", reference="E")  # three groups
    with pytest.raises(EstimationError, match="did not converge"):
        svyglm(dstrat, "sw", x="meals", max_iter=2)
    with pytest.raises(EstimationError, match="singular"):
        svyglm(
            SurveyDesign(apistrat.assign(m2=apistrat["meals"] * 2.0), weight="pw"),
            "api00",
            x=["meals", "m2"],
            family="gaussian",
        )


def test_ame_se_equals_numerical_influence(apistrat, dstrat):
    # Independent check of the analytic linearisation: the influence value of row i is
    # w_i * d(AME)/d(w_i), obtained here by refitting statsmodels' weighted GLM with row i's
    # weight perturbed (forward difference); its design variance must match ame_se.
    a = adjusted_gap(dstrat, "sw", sex="comp.imp", controls=["meals"], reference="No")
    X = sm.add_constant(
        pd.DataFrame(
            {"f": (apistrat["comp.imp"] == "Yes").astype(float), "meals": apistrat["meals"]}
        ).astype(float)
    )
    X1, X0 = X.assign(f=1.0), X.assign(f=0.0)
    y = apistrat["sw"].to_numpy()
    w0 = apistrat["pw"].to_numpy()

    def ame(w):
        b = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-13).params
        pr1 = 1 / (1 + np.exp(-(X1 @ b)))
        pr0 = 1 / (1 + np.exp(-(X0 @ b)))
        return float(np.sum(w * (pr1 - pr0)) / w.sum())

    base, eps = ame(w0), 1e-6
    z = np.empty(len(w0))
    for i in range(len(w0)):  # n = 200 refits: fine for a test, not for the library
        w = w0.copy()
        w[i] *= 1 + eps
        z[i] = (ame(w) - base) / eps
    se = np.sqrt(dstrat.vcov_total(z)[0, 0])
    assert a["ame"].iloc[0] == pytest.approx(base, rel=1e-8)
    assert a["ame_se"].iloc[0] == pytest.approx(se, rel=1e-4)


def test_separation_is_flagged_not_fatal(apistrat):
    # Complete separation (sep = meals > 50 predicted by meals): like R glm, the fit stops when
    # the deviance stops moving, warns, and flags it; the coefficient is huge.
    sep = apistrat.assign(sep=(apistrat["meals"] > 50).astype(float))
    d = SurveyDesign(sep, weight="pw", strata="stype")
    with pytest.warns(RuntimeWarning, match="separation"):
        fit = svyglm_fit(d, "sep", x="meals")
    assert fit.separation
    assert abs(fit.coef[1]) > 1
    # Quasi-separation in a control (every school of type H meets "hi"): the AME of the
    # focal group stays finite and close to the fit without the offending level.
    df = apistrat.assign(hi=((apistrat["api00"] > 650) | (apistrat["stype"] == "H")).astype(float))
    d2 = SurveyDesign(df, weight="pw", strata="stype")
    with pytest.warns(RuntimeWarning, match="separation"):
        a = adjusted_gap(d2, "hi", sex="comp.imp", reference="No", controls=["stype"])
    assert bool(a["separation"].iloc[0])
    assert np.isfinite(a["ame"].iloc[0]) and 0 < a["ame_se"].iloc[0] < 0.5
