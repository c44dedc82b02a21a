"""Hand-checkable cases: every expected number is derived in the comment beside it."""

import math

import numpy as np
import pandas as pd
import pytest

from gender_diag.design import SurveyDesign
from gender_diag.errors import DesignError, EstimationError


def test_srs_textbook_formula():
    # SRS without replacement, n = 5 of N = 50, y = 2, 4, 6, 8, 10 (Cochran 1977, eq. 2.12):
    # ȳ = 6, s² = (16 + 4 + 0 + 4 + 16) / 4 = 10, V(ȳ) = (1 − 5/50) s²/n = 0.9 · 2 = 1.8
    df = pd.DataFrame({"y": [2.0, 4, 6, 8, 10], "w": 10.0, "N": 50, "f": 0.1})
    for fpc in ("N", "f"):  # fpc as a population size or as a sampling fraction
        d = SurveyDesign(df, weight="w", fpc=fpc)
        m = d.mean("y").iloc[0]
        assert m.estimate == 6
        assert m.se == pytest.approx(math.sqrt(1.8), rel=1e-12)
        t = d.total("y").iloc[0]  # Ŷ = 10 · 30 = 300, SE = N · SE(ȳ)
        assert t.estimate == pytest.approx(300)
        assert t.se == pytest.approx(50 * math.sqrt(1.8), rel=1e-12)
        assert m.df == 4
        # t(4) quantile 2.776445: CI 6 ± 2.776445 · 1.341641
        assert m.ci_low == pytest.approx(6 - 2.7764451 * math.sqrt(1.8), rel=1e-7)
    # Without fpc (with replacement): V = s²/n = 2
    assert SurveyDesign(df, weight="w").mean("y").se[0] == pytest.approx(math.sqrt(2.0))


def test_two_psu_stratum_by_hand():
    # Stratum A: PSU a1 rows (y=1, w=1), (y=3, w=1) → total 4; PSU a2 row (y=5, w=2) → 10.
    #   n_h/(n_h−1) Σ (t − t̄)² = 2 · ((4−7)² + (10−7)²) = 36
    # Stratum B: PSUs b1, b2, b3 with totals 2, 4, 9 → mean 5, Σ dev² = 9+1+16 = 26, ·3/2 = 39
    # V(Ŷ) = 36 + 39 = 75
    df = pd.DataFrame(
        {
            "h": ["A", "A", "A", "B", "B", "B"],
            "p": ["a1", "a1", "a2", "b1", "b2", "b3"],
            "y": [1.0, 3, 5, 2, 4, 9],
            "w": [1.0, 1, 2, 1, 1, 1],
        }
    )
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    t = d.total("y").iloc[0]
    assert t.estimate == 1 + 3 + 10 + 2 + 4 + 9
    assert t.se == pytest.approx(math.sqrt(75), rel=1e-12)
    assert d.df == 5 - 2
    z = (df.w * df.y).to_numpy()
    assert d.vcov_total(z)[0, 0] == pytest.approx(75)
    # Two columns at once: the covariance matrix is symmetric with the 75 on the diagonal.
    v = d.vcov_total(np.column_stack([z, df.w.to_numpy()]))
    assert v.shape == (2, 2) and v[0, 1] == pytest.approx(v[1, 0]) and v[0, 0] == 75


def test_two_stage_fpc_by_hand():
    # One stratum, N1 = 4 PSUs, n1 = 2 sampled; PSU P1: N2 = 10 SSUs, 2 sampled with
    # totals 3 and 5; PSU P2: N2 = 5, 2 sampled with totals 4 and 8.
    # Stage 1: PSU totals 8, 12 → (1 − 2/4) · 2/1 · ((8−10)² + (12−10)²) = 8
    # Stage 2 (× f1 = 2/4): P1 (1 − 2/10) · 2 · ((3−4)² + (5−4)²) = 3.2;
    #                       P2 (1 − 2/5) · 2 · ((4−6)² + (8−6)²) = 9.6 → 0.5 · 12.8 = 6.4
    # V = 8 + 6.4 = 14.4
    df = pd.DataFrame(
        {
            "p": [1, 1, 2, 2],
            "s": [1, 2, 1, 2],
            "y": [3.0, 5, 4, 8],
            "w": 1.0,
            "N1": 4,
            "N2": [10, 10, 5, 5],
        }
    )
    d = SurveyDesign(df, weight="w", psu="p", ssu="s", fpc="N1", fpc2="N2")
    assert d.vcov_total(df.y.to_numpy())[0, 0] == pytest.approx(14.4)
    # Only P1's rows carry influence (P2's are zero): stage 1 totals 8, 0 → 0.5·2·32 = 32,
    # stage 2: 0.5 · 3.2 = 1.6 → 33.6, with or without the zero rows formed
    assert d.vcov_total(df.y.to_numpy()[:2], rows=[0, 1])[0, 0] == pytest.approx(33.6)
    assert d.vcov_total(np.r_[3.0, 5, 0, 0])[0, 0] == pytest.approx(33.6)
    assert d.total("y").se[0] == pytest.approx(math.sqrt(14.4))
    # Fractions instead of sizes give the same: f1 = 0.5, f2 = 0.2 and 0.4
    df2 = df.assign(N1=0.5, N2=[0.2, 0.2, 0.4, 0.4])
    d2 = SurveyDesign(df2, weight="w", psu="p", ssu="s", fpc="N1", fpc2="N2")
    assert d2.total("y").se[0] == pytest.approx(math.sqrt(14.4))
    # A domain touching only some SSUs uses the same formula with zeros elsewhere:
    # y·1[s=1] → SSU totals P1 (3, 0), P2 (4, 0); stage 1: PSU totals 3, 4 →
    # 0.5·2·(0.25+0.25) = 0.5; stage 2: 0.5·(0.8·2·(1.5²·2) + 0.6·2·(2²·2)) = 0.5·(7.2+9.6)
    dom = d.subset(df.s == 1).total("y")
    assert dom.se[0] == pytest.approx(math.sqrt(0.5 + 0.5 * (7.2 + 9.6)))


LONELY = pd.DataFrame(
    {
        "h": ["A", "A", "B", "B", "C"],
        "p": [1, 2, 3, 4, 5],
        "y": [1.0, 3.0, 2.0, 6.0, 10.0],
        "w": 1.0,
    }
)


def test_lonely_psu_policies():
    # Strata A and B: n_h/(n_h−1) Σ dev² = 2·(1+1) + 2·(4+4) = 20 for the total.
    with pytest.raises(DesignError, match="lonely PSU"):
        SurveyDesign(LONELY, weight="w", strata="h", psu="p")
    for policy in ("remove", "certainty"):
        d = SurveyDesign(LONELY, weight="w", strata="h", psu="p", lonely_psu=policy)
        assert d.total("y").se[0] == pytest.approx(math.sqrt(20))
    # adjust: stratum C's total 10 is centred on the grand mean of PSU totals (22/5 = 4.4):
    # 20 + (10 − 4.4)² = 51.36
    d = SurveyDesign(LONELY, weight="w", strata="h", psu="p", lonely_psu="adjust")
    assert d.total("y").se[0] == pytest.approx(math.sqrt(20 + 5.6**2))
    # A certainty stratum (fpc = its one PSU) is not lonely: no error under "fail".
    df = LONELY.assign(N=[10, 10, 10, 10, 1])
    d = SurveyDesign(df, weight="w", strata="h", psu="p", fpc="N")
    # fpc (1 − 2/10) on A and B: 0.8 · 20 = 16
    assert d.total("y").se[0] == pytest.approx(math.sqrt(16))


def test_domain_is_subpopulation_not_subset():
    # PSU 3 has no women. Subpopulation: its PSU total is 0 and it stays in the variance;
    # the subset design (rows dropped) would have 2 PSUs instead of 3.
    df = pd.DataFrame(
        {"p": [1, 1, 2, 2, 3, 3], "sex": list("FMFMMM"), "y": [1.0, 0, 3, 1, 2, 2], "w": 1.0}
    )
    d = SurveyDesign(df, weight="w", psu="p")
    women = d.mean("y", by="sex").set_index("sex").loc["F"]
    # mean 2; z_i = (y − 2)/2 → PSU totals −0.5, 0.5, 0 → Σdev² = 0.5 → V = 3/2·0.5 = 0.75
    assert women.estimate == 2
    assert women.se == pytest.approx(math.sqrt(0.75))
    assert women.n == 2 and women.population == 2
    dropped = SurveyDesign(df[df.sex == "F"], weight="w", psu="p").mean("y").se[0]
    assert dropped == pytest.approx(1.0)  # 2/1·((−0.5)² + 0.5²) = 1: different, as expected
    # subset() gives the same numbers as by=
    sub = d.subset(df.sex == "F").mean("y").iloc[0]
    assert sub.estimate == women.estimate and sub.se == pytest.approx(women.se)


def test_missing_values_excluded_but_psu_kept():
    # PSU 2's only value is missing: the mean is over 3 rows, PSU 2 contributes zero.
    df = pd.DataFrame({"p": [1, 1, 2, 3], "y": [1.0, 3.0, np.nan, 5.0], "w": 1.0})
    r = SurveyDesign(df, weight="w", psu="p").mean("y").iloc[0]
    # ȳ = 3; z = (y − 3)/3 → PSU totals (−2+0)/3, 0, 2/3 → Σdev² = 8/9, ·3/2 = 4/3
    assert r.estimate == 3 and r.n == 3
    assert r.se == pytest.approx(math.sqrt(4 / 3))


def test_ratio_and_proportion_by_hand():
    df = pd.DataFrame(
        {"y": [1.0, 2, 3, 4], "x": [1.0, 1, 2, 4], "w": 1.0, "c": ["a", "b", "a", "a"]}
    )
    d = SurveyDesign(df, weight="w")
    r = d.ratio("y", "x").iloc[0]
    # R = 10/8; z = (y − 1.25 x)/8 = (−0.25, 0.75, 0.5, −1)/8; Σ z = 0;
    # V = n/(n−1) Σ z² = 4/3 · (0.0625 + 0.5625 + 0.25 + 1)/64 = 4/3 · 1.875/64
    assert r.estimate == 1.25 and r.variable == "y/x"
    assert r.se == pytest.approx(math.sqrt(4 / 3 * 1.875 / 64))
    p = d.proportion("c").set_index("level")
    # p_a = 3/4; z = (1[a] − 0.75)/4 → V = 4/3 · (3·0.0625 + 0.5625)/16 = 0.0625
    assert p.loc["a", "estimate"] == 0.75
    assert p.loc["a", "se"] == pytest.approx(0.25)
    assert p.loc["b", "estimate"] == 0.25


def test_proportion_ci_methods_stay_in_unit_interval():
    df = pd.DataFrame({"y": [1, 0, 0, 0, 0, 0, 0, 0], "w": 1.0})
    d = SurveyDesign(df, weight="w")
    for method in ("logit", "wilson", "korn-graubard", "clopper-pearson"):
        r = d.proportion("y", ci_method=method).iloc[0]
        assert 0 <= r.ci_low <= r.estimate <= r.ci_high <= 1, method
    wald = d.proportion("y", ci_method="wald").iloc[0]
    assert wald.ci_low < 0  # Wald is the one allowed outside [0, 1]
    # logit by hand: p = 1/8, se = sqrt(8/7 · Σ((1[y]−1/8)/8)²) , t(7)
    p, se = 0.125, wald.se
    eta, half = math.log(p / (1 - p)), 2.3646243 * se / (p * (1 - p))
    logit = d.proportion("y").iloc[0]
    assert logit.ci_low == pytest.approx(1 / (1 + math.exp(-(eta - half))), rel=1e-6)


def test_gap_difference_uses_covariance_from_same_psus():
    # 2 PSUs × (1 woman, 1 man). difference of means = Σ over PSUs of contrast influence.
    df = pd.DataFrame(
        {"p": [1, 1, 2, 2, 3, 3], "sex": list("FMFMFM"), "y": [1.0, 0, 0, 0, 1, 1], "w": 1.0}
    )
    d = SurveyDesign(df, weight="w", psu="p")
    g = d.gap("y").iloc[0]
    # F mean 2/3, M mean 1/3; z_F = (y−2/3)/3 on F rows, z_M = (y−1/3)/3 on M rows;
    # PSU totals of z_F − z_M: (1/9 + 1/9), (−2/9 + 1/9), (1/9 − 2/9) = 2/9, −1/9, −1/9
    # V = 3/2 · (4 + 1 + 1)/81 = 1/9
    assert g.estimate == pytest.approx(1 / 3)
    assert g.se == pytest.approx(1 / 3)
    assert g.t == pytest.approx(1.0)
    assert g.df == 2
    assert g.p_value == pytest.approx(2 * 0.2113249, rel=1e-6)  # 2·P(t_2 > 1)
    assert g.focal == "F" and g.reference == "M" and g.n_focal == 3
    # ratio and log-ratio by the delta method on the same contrast
    r = d.gap("y", kind="ratio").iloc[0]
    assert r.estimate == pytest.approx(2.0)
    lr = d.gap("y", kind="log-ratio").iloc[0]
    assert lr.estimate == pytest.approx(math.log(2))
    assert r.se == pytest.approx(lr.se * 2.0)  # se(R) = R · se(log R)


def test_quantile_math_rule_and_woodruff():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], "w": 1.0})
    d = SurveyDesign(df, weight="w")
    r = d.quantile("y", [0.5, 0.25]).set_index("quantile")
    assert r.loc[0.5, "estimate"] == 5  # min{y : F(y) ≥ 0.5} = 5
    assert r.loc[0.25, "estimate"] == 3  # F(2) = 0.2 < 0.25 ≤ F(3)
    # Woodruff: se of F̂(5) = sqrt(10/9 · Σ((1[y≤5] − 0.5)/10)²) = sqrt(10/9 · 0.025)
    se_f = math.sqrt(10 / 9 * 0.025)
    lo_p, hi_p = 0.5 - 2.2621572 * se_f, 0.5 + 2.2621572 * se_f  # t(9)
    assert r.loc[0.5, "ci_low"] == math.ceil(lo_p * 10 - 1e-9)
    assert r.loc[0.5, "ci_high"] == math.ceil(hi_p * 10 - 1e-9)


def test_bad_input_messages():
    df = pd.DataFrame({"y": [1.0, 2], "w": [1.0, np.nan], "s": ["a", "b"]})
    with pytest.raises(DesignError, match="weight column 'w'"):
        SurveyDesign(df, weight="w")
    with pytest.raises(DesignError, match="not in the data"):
        SurveyDesign(df, weight="nope")
    ok = df.assign(w=1.0)
    with pytest.raises(ValueError, match="lonely_psu"):
        SurveyDesign(ok, weight="w", lonely_psu="bogus")
    d = SurveyDesign(ok, weight="w")
    with pytest.raises(EstimationError, match="not numeric"):
        d.mean("s")
    with pytest.raises(ValueError, match="kind"):
        d.gap("y", between="s", reference="a", kind="odds")
    with pytest.raises(EstimationError, match="reference group"):
        d.gap("y", between="s", reference="zz")
    with pytest.raises(DesignError, match="fpc"):
        SurveyDesign(ok.assign(N=1.5), weight="w", fpc="N")  # 2 sampled of a population 1.5


def test_normal_ci_level_and_two_by_columns_with_missing_keys():
    df = pd.DataFrame(
        {
            "y": [2.0, 4, 6, 8, 10, 12],
            "w": 1.0,
            "a": ["x", "x", "x", "y", "y", None],
            "b": [1, 2, 1, 2, 1, 2],
        }
    )
    d = SurveyDesign(df, weight="w")
    r = d.mean("y", ci="normal", confidence=0.90).iloc[0]
    # ȳ = 7, s² = 14, se = sqrt(14/6); normal 90 % quantile 1.6448536
    assert r.ci_high == pytest.approx(7 + 1.6448536 * math.sqrt(14 / 6), rel=1e-7)
    by = d.mean("y", by=["a", "b"])
    # the row with a missing 'a' belongs to no domain; domains sorted by (a, b)
    assert list(zip(by.a, by.b, strict=True)) == [("x", 1), ("x", 2), ("y", 1), ("y", 2)]
    assert by.n.tolist() == [2, 1, 1, 1]
    assert by.estimate.tolist() == [4.0, 4.0, 10.0, 8.0]


def test_categorical_proportion_excludes_missing_from_denominator():
    df = pd.DataFrame({"c": ["a", "b", None, "a"], "w": [1.0, 1, 5, 2]})
    p = SurveyDesign(df, weight="w").proportion("c").set_index("level")
    assert p.loc["a", "estimate"] == pytest.approx(3 / 4)  # (1 + 2) / (1 + 1 + 2)
    assert p.loc["a", "n"] == 3 and p.loc["a", "population"] == 4


@pytest.mark.parametrize("replicate", [False, True])
def test_mean_and_gaps_equals_separate_estimators(replicate):
    # One engine pass for the means by (by, sex) and every gap kind must give the frames of
    # mean() and gap() called one by one (issue #13: the rows are summed once, not 3 times).
    from gender_diag.design.estimators import mean_and_gaps

    rng = np.random.default_rng(3)
    n = 240
    df = pd.DataFrame(
        {
            "h": np.repeat(["A", "B", "C"], n // 3),
            "p": np.repeat(np.arange(24), n // 24),
            "sex": rng.choice(["F", "M", "X"], n, p=[0.45, 0.45, 0.1]),
            "area": rng.choice(["n", "s"], n),
            "w": rng.uniform(1, 5, n),
            "y": rng.integers(0, 2, n).astype(float),
            "z": rng.normal(10, 3, n),
        }
    )
    df.loc[rng.choice(n, 20, replace=False), "y"] = np.nan
    d = SurveyDesign(df, weight="w", strata="h", psu="p")
    if replicate:
        d = d.jackknife()
    for by in (None, "area"):
        means, (diff, ratio) = mean_and_gaps(
            d, ["y", "z"], between="sex", reference="M", kinds=("difference", "ratio"), by=by
        )
        pd.testing.assert_frame_equal(
            means, d.mean(["y", "z"], by=["sex"] if by is None else [by, "sex"]), rtol=1e-12
        )
        for kind, got in (("difference", diff), ("ratio", ratio)):
            want = d.gap(["y", "z"], between="sex", reference="M", kind=kind, by=by)
            assert set(want["focal"]) == {"F", "X"}  # two focal groups in one pass
            pd.testing.assert_frame_equal(got, want, rtol=1e-12)
