"""Rao–Scott tests of association: R reference values, SRS reduction, properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from gender_diag.design import SurveyDesign
from gender_diag.design.tables import svychisq
from gender_diag.errors import DesignError, EstimationError

DATA = Path(__file__).resolve().parents[1] / "data" / "survey_api"


@pytest.fixture(scope="module")
def apiclus1():
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    # R: dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    return SurveyDesign(apiclus1, weight="pw", psu="dnum", fpc="fpc")


def test_r_svychisq_second_order(dclus1):
    # Source: R survey contingency-table example (Lumley, example-chisq.html):
    #   svychisq(~sch.wide + stype, dclus1)
    #   F = 5.1934, ndf = 1.495, ddf = 20.925, p-value = 0.02175
    r = svychisq(dclus1, "sch.wide", "stype").iloc[0]
    assert r["statistic"] == pytest.approx(5.1934, abs=5e-5)
    assert r["ndf"] == pytest.approx(1.495, abs=5e-4)
    assert r["ddf"] == pytest.approx(20.925, abs=5e-4)
    assert r["p_value"] == pytest.approx(0.02175, abs=5e-6)
    assert r["n"] == 183


def test_r_svychisq_first_order(dclus1):
    # Same source: svychisq(~sch.wide + stype, dclus1, statistic = "Chisq")
    #   X-squared = 11.9409 (unadjusted Pearson, as that version printed), df = 2,
    #   p-value = 0.005553
    r = svychisq(dclus1, "sch.wide", "stype", statistic="Chisq").iloc[0]
    assert r["pearson"] == pytest.approx(11.9409, abs=5e-5)
    assert r["ndf"] == 2
    assert r["p_value"] == pytest.approx(0.005553, abs=5e-7)
    assert r["statistic"] == pytest.approx(r["pearson"] / r["mean_deff"], rel=1e-12)


def _srs_table(seed: int, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.choice(["x", "y", "z"], size=n, p=[0.5, 0.3, 0.2])
    b = np.where(rng.random(n) < np.where(a == "x", 0.3, 0.6), "p", "q")
    return pd.DataFrame({"a": a, "b": b, "w": 1.0})


def test_srs_equal_weights_reduces_to_pearson():
    # Under SRS with replacement and equal weights the design covariance of the cell
    # proportions is (D - pp')/(n-1) while Rao-Scott's SRS reference is (D - pp')/n, so
    # every generalised design effect equals n/(n-1) (hand derivation; Rao & Scott 1984).
    df = _srs_table(3)
    n = len(df)
    counts = pd.crosstab(df["a"], df["b"]).to_numpy()
    x2 = stats.chi2_contingency(counts, correction=False)[0]
    k = 2  # (3 - 1) * (2 - 1)
    d = SurveyDesign(df, weight="w")
    first = svychisq(d, "a", "b", statistic="Chisq").iloc[0]
    assert first["pearson"] == pytest.approx(x2, rel=1e-10)
    assert first["mean_deff"] == pytest.approx(n / (n - 1), rel=1e-10)
    assert first["statistic"] == pytest.approx(x2 * (n - 1) / n, rel=1e-10)
    assert first["p_value"] == pytest.approx(stats.chi2.sf(x2 * (n - 1) / n, k), rel=1e-9)
    second = svychisq(d, "a", "b").iloc[0]
    assert second["statistic"] == pytest.approx(x2 * (n - 1) / n / k, rel=1e-10)
    assert second["ndf"] == pytest.approx(k, rel=1e-10)
    assert second["ddf"] == pytest.approx(k * (n - 1), rel=1e-10)


def test_exact_independence_gives_p_one():
    # Cell counts proportional to the product of the margins: X^2 = 0, p = 1.
    rows = [("x", "p", 10), ("x", "q", 20), ("y", "p", 5), ("y", "q", 10)]
    df = pd.DataFrame([(a, b) for a, b, k in rows for _ in range(k)], columns=["a", "b"])
    df["w"] = 1.0
    df["psu"] = np.arange(len(df)) % 9
    r = svychisq(SurveyDesign(df, weight="w", psu="psu"), "a", "b").iloc[0]
    assert r["pearson"] == pytest.approx(0.0, abs=1e-10)
    assert r["p_value"] == pytest.approx(1.0, abs=1e-10)


def test_strong_association_small_p():
    df = pd.DataFrame({"a": ["x"] * 50 + ["y"] * 50, "b": ["p"] * 45 + ["q"] * 55, "w": 1.0})
    r = svychisq(SurveyDesign(df, weight="w"), "a", "b").iloc[0]
    assert r["p_value"] < 1e-10


def test_missing_values_keep_psus(apiclus1, dclus1):
    # Rows with a missing category leave the table but keep their PSU (zero contribution):
    # the result equals that of an explicit domain indicator with the same rows.
    df = apiclus1.copy()
    df.loc[df.index[:20], "stype"] = np.nan
    d = SurveyDesign(df, weight="pw", psu="dnum", fpc="fpc")
    r = svychisq(d, "sch.wide", "stype").iloc[0]
    assert r["n"] == 163
    sub = dclus1.subset(np.arange(len(df)) >= 20)
    r2 = svychisq(sub, "sch.wide", "stype").iloc[0]
    assert r["statistic"] == pytest.approx(r2["statistic"], rel=1e-12)
    assert r["ddf"] == pytest.approx(r2["ddf"], rel=1e-12)


def test_replicate_design(dclus1):
    # Jackknife replicates of the same design give the same Pearson statistic and a
    # comparable correction (the two variance estimators agree to first order).
    lin = svychisq(dclus1, "sch.wide", "stype").iloc[0]
    rep = svychisq(dclus1.jackknife(), "sch.wide", "stype").iloc[0]
    assert rep["pearson"] == pytest.approx(lin["pearson"], rel=1e-12)
    assert 0 < rep["p_value"] < 0.2
    assert rep["mean_deff"] == pytest.approx(lin["mean_deff"], rel=0.5)


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(0.01, 1000), seed=st.integers(0, 2**16))
def test_weight_scale_and_row_order_invariance(apiclus1, dclus1, scale, seed):
    ref = svychisq(dclus1, "sch.wide", "stype").iloc[0]
    perm = np.random.default_rng(seed).permutation(len(apiclus1))
    df = apiclus1.iloc[perm].reset_index(drop=True).assign(pw=lambda f: f["pw"] * scale)
    # fpc given as sampling fraction-free population size: unaffected by the weight scale
    r = svychisq(SurveyDesign(df, weight="pw", psu="dnum", fpc="fpc"), "sch.wide", "stype")
    for col in ("statistic", "ndf", "ddf", "p_value", "pearson"):
        assert r[col].iloc[0] == pytest.approx(ref[col], rel=1e-8)


def test_transposed_table_same_test(dclus1):
    a = svychisq(dclus1, "sch.wide", "stype").iloc[0]
    b = svychisq(dclus1, "stype", "sch.wide").iloc[0]
    for col in ("statistic", "ndf", "ddf", "p_value", "pearson"):
        assert a[col] == pytest.approx(b[col], rel=1e-10)


def test_errors(apiclus1, dclus1):
    with pytest.raises(ValueError, match="statistic"):
        svychisq(dclus1, "sch.wide", "stype", statistic="Wald")
    with pytest.raises(DesignError, match="nope"):
        svychisq(dclus1, "nope", "stype")
    const = SurveyDesign(apiclus1.assign(k="same"), weight="pw", psu="dnum", fpc="fpc")
    with pytest.raises(EstimationError, match="at least two"):
        svychisq(const, "k", "stype")
