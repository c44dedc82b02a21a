"""Alkire–Foster counting measure: the published worked example and hand-checked variants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gender_diag.errors import ValidationError
from gender_diag.indices import alkire_foster, deprivations_from_achievements
from gender_diag.indices.alkire_foster import identify

DATA = Path(__file__).parents[1] / "data" / "alkire_foster" / "af2011_example.csv"
TOL = 1e-12  # exact rational arithmetic up to floating-point rounding


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    """Deprivation matrix of Alkire & Foster (2011), Section 4 (see tests/data SOURCE.md)."""
    raw = pd.read_csv(DATA, dtype={"person": str})
    cutoffs = raw[raw["person"] == "cutoff_z"].drop(columns="person").iloc[0]
    people = raw[raw["person"] != "cutoff_z"].set_index("person")
    return deprivations_from_achievements(people, cutoffs.astype(float), below=True)


def test_deprivation_counts_match_paper(example):
    # Alkire & Foster (2011), Section 4: deprivation counts c = (0, 2, 4, 1)
    assert example.sum(axis=1).tolist() == [0, 2, 4, 1]


def test_published_k2_of_4(example):
    # Alkire & Foster (2011), Section 4: k = 2 of 4 → H = 1/2, A = 3/4, M0 = 3/8
    res = alkire_foster(example, k=0.5)
    assert res.h == pytest.approx(1 / 2, abs=TOL)
    assert res.a == pytest.approx(3 / 4, abs=TOL)
    assert res.m0 == pytest.approx(3 / 8, abs=TOL)
    assert res.n == 4 and res.excluded == 0
    # by hand: persons 2 and 3 identified; censored matrix keeps their deprivations
    assert res.censored_headcounts.tolist() == pytest.approx([1 / 4, 2 / 4, 1 / 4, 2 / 4])
    assert res.raw_headcounts.tolist() == pytest.approx([1 / 4, 3 / 4, 1 / 4, 2 / 4])
    assert res.contributions.tolist() == pytest.approx([1 / 6, 1 / 3, 1 / 6, 1 / 3])
    assert res.identified.tolist() == [False, True, True, False]


@pytest.mark.parametrize(
    ("k", "strict", "h", "a", "m0"),
    [
        # scores c = (0, 1/2, 1, 1/4); by hand:
        (0.25, False, 3 / 4, 7 / 12, 7 / 16),  # union-like: persons 2, 3, 4
        (0.75, False, 1 / 4, 1.0, 1 / 4),  # person 3 only
        (1.0, False, 1 / 4, 1.0, 1 / 4),  # intersection: person 3
        (0.5, True, 1 / 4, 1.0, 1 / 4),  # strict c > 1/2: person 3 only
        (0.25, True, 1 / 2, 3 / 4, 3 / 8),  # strict c > 1/4: persons 2 and 3
    ],
)
def test_other_cutoffs_by_hand(example, k, strict, h, a, m0):
    res = alkire_foster(example, k=k, strict=strict)
    assert (res.h, res.a, res.m0) == pytest.approx((h, a, m0), abs=TOL)


def test_survey_weights_by_hand(example):
    # weights (1, 2, 3, 4); identified persons 2 (w=2, c=1/2) and 3 (w=3, c=1):
    # H = 5/10, A = (2·1/2 + 3·1)/5 = 4/5, M0 = 4/10
    res = alkire_foster(example, k=0.5, weight=[1, 2, 3, 4])
    assert (res.h, res.a, res.m0) == pytest.approx((1 / 2, 4 / 5, 2 / 5), abs=TOL)
    assert res.population == pytest.approx(10)


def test_weight_column_is_not_an_indicator(example):
    frame = example.assign(w=[1.0, 2.0, 3.0, 4.0])
    res = alkire_foster(frame, k=0.5, weight="w")
    assert list(res.weights.index) == ["d1_income", "d2_years_school", "d3_dim3", "d4_binary"]
    assert res.m0 == pytest.approx(2 / 5, abs=TOL)


def test_subgroup_decomposition_by_hand(example):
    frame = example.assign(g=["a", "a", "b", "b"])
    res = alkire_foster(frame, k=0.5, by="g")
    sub = res.subgroups.set_index("by_value")
    # group a: persons 1, 2 → H = 1/2, A = 1/2, M0 = 1/4; group b: persons 3, 4 → M0 = 1/2
    assert sub.loc["a", ["h", "a", "m0"]].tolist() == pytest.approx([1 / 2, 1 / 2, 1 / 4])
    assert sub.loc["b", ["h", "a", "m0"]].tolist() == pytest.approx([1 / 2, 1.0, 1 / 2])
    # contribution of a = (1/2 · 1/4) / (3/8) = 1/3
    assert sub["contribution"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert (sub["share"] * sub["m0"]).sum() == pytest.approx(res.m0)


def test_unequal_indicator_weights_and_fractions(example):
    # weights 1/2, 1/6, 1/6, 1/6 (as fraction strings); scores: p1 0, p2 1/3, p3 1, p4 1/6
    w = {"d1_income": "1/2", "d2_years_school": "1/6", "d3_dim3": "1/6", "d4_binary": "1/6"}
    res = alkire_foster(example, w, k="1/3")
    # c >= 1/3: persons 2 and 3 → H = 1/2, A = (1/3 + 1)/2 = 2/3, M0 = 1/3
    assert (res.h, res.a, res.m0) == pytest.approx((1 / 2, 2 / 3, 1 / 3), abs=TOL)
    assert (res.weights * res.censored_headcounts).sum() == pytest.approx(res.m0)


def test_listwise_exclusion_is_counted(example):
    frame = pd.concat([example, pd.DataFrame({c: [np.nan] for c in example.columns}, index=["5"])])
    frame.loc["5", "d1_income"] = 1.0
    res = alkire_foster(frame, k=0.5)
    assert res.excluded == 1 and res.n == 4
    assert res.m0 == pytest.approx(3 / 8)
    assert np.isnan(res.scores.loc["5"]) and not res.identified.loc["5"]


def test_rounding_rule_floating_point_trap():
    # ten indicators weighted 1/10: three deprivations sum to 0.30000000000000004 in floating
    # point (0.1 + 0.1 + 0.1), which a naive "c > 0.3" would count as above the cutoff.
    cols = [f"i{j}" for j in range(10)]
    frame = pd.DataFrame([[1, 1, 1] + [0] * 7, [1, 1, 1, 1] + [0] * 6], columns=cols)
    res = alkire_foster(frame, dict.fromkeys(cols, 0.1), k=0.3, strict=True)
    assert res.scores.iloc[0] > 0.3  # the raw float is above the cutoff …
    assert res.identified.tolist() == [False, True]  # … but 3/10 is not "> 3/10"
    assert identify(np.array([0.2 + 1e-15, 0.2001]), 0.2, strict=True).tolist() == [False, True]
    assert identify(np.array([0.2 - 1e-15]), 0.2, strict=False).tolist() == [True]


def test_to_frame_is_tidy(example):
    f = alkire_foster(example.assign(g=["a", "a", "b", "b"]), k=0.5, by="g").to_frame()
    assert list(f.columns) == [
        "by",
        "by_value",
        "measure",
        "indicator",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "n",
    ]
    total = f[(f["by"] == "total") & (f["indicator"] == "")].set_index("measure")["estimate"]
    assert total["M0"] == pytest.approx(3 / 8)
    assert set(f.loc[f["by"] == "g", "by_value"]) == {"a", "b"}
    ch = f[(f["by"] == "g") & (f["measure"] == "censored_headcount") & (f["by_value"] == "b")]
    assert ch["estimate"].tolist() == pytest.approx([1 / 2, 1 / 2, 1 / 2, 1 / 2])


def test_bad_values_are_reported_with_column_and_rows(example):
    bad = example.assign(d3_dim3=[0, 2, 1, 0])
    with pytest.raises(ValidationError, match=r"'d3_dim3'.*0/1.*\[2\]"):
        alkire_foster(bad)
    with pytest.raises(ValueError, match="'k' parameter of alkire_foster"):
        alkire_foster(example, k=0)
    with pytest.raises(ValueError, match="'weights' parameter"):
        alkire_foster(example, {"nope": 1})
    with pytest.raises(ValidationError, match="survey weights"):
        alkire_foster(example, weight=[1, -1, 1, 1])


def test_achievements_above_cutoff_rule():
    y = pd.DataFrame({"hours": [8.0, 11.0, np.nan]})
    out = deprivations_from_achievements(y, {"hours": 10.5}, below=False)
    assert out["hours"].tolist()[:2] == [0.0, 1.0] and np.isnan(out["hours"].iloc[2])
