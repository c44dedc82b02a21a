"""rank_gaps: hand-checkable rankings, invariances, SMAA, ties, flags and exclusions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gender_diag.prioritise import rank_gaps
from gender_diag.prioritise.criteria import parse_criteria
from gender_diag.prioritise.fixtures import example_gap_table
from gender_diag.prioritise.methods import rank_scores, weighted_sum
from gender_diag.prioritise.stability import dirichlet_weights, smaa


def _ranks(r):
    return dict(zip(r.table["gap_id"], r.table["rank"], strict=True))


def test_three_gaps_two_criteria_by_hand(three_gaps, two_criteria):
    # z_gap = (0.40, 0.15/0.35, 0) ; z_conf = (0.80, 0.99, 0.50)
    # equal weights: A 0.5*1 + 0.5*0.8 = 0.9 ; B 0.5*0.428571 + 0.5*0.99 = 0.709286 ; C 0.25
    r = rank_gaps(three_gaps, config=two_criteria, draws=0)
    np.testing.assert_allclose(r.table["score"], [0.9, 0.7092857142857, 0.25], atol=1e-12)
    assert r.table["gap_id"].tolist() == ["A|total|", "B|total|", "C|total|"]
    np.testing.assert_allclose(
        r.table[["contrib_gap", "contrib_confidence"]].sum(axis=1), r.table["score"], atol=1e-12
    )
    # weights 0.1 / 0.9: A 0.1 + 0.72 = 0.82 ; B 0.0428571 + 0.891 = 0.933857 ; C 0.45
    r2 = rank_gaps(three_gaps, config=two_criteria, weights={"gap": 1, "confidence": 9}, draws=0)
    assert r2.table["gap_id"].tolist() == ["B|total|", "A|total|", "C|total|"]
    np.testing.assert_allclose(r2.table["score"], [0.9338571428571, 0.82, 0.45], atol=1e-12)


def test_leave_one_out_by_hand(three_gaps, two_criteria):
    r = rank_gaps(three_gaps, config=two_criteria, draws=0)
    loo = r.loo.set_index(["criterion_left_out", "gap_id"])["rank"]
    # without gap: confidence alone, B (0.99) > A (0.80) > C (0.50)
    assert [loo["gap", g] for g in ("A|total|", "B|total|", "C|total|")] == [2, 1, 3]
    # without confidence: gap size alone, A > B > C
    assert [loo["confidence", g] for g in ("A|total|", "B|total|", "C|total|")] == [1, 2, 3]


def test_adding_zero_weight_criterion_changes_nothing(three_gaps, crit):
    base = parse_criteria({"criteria": {"gap": crit(0.6), "reach": crit(0.4)}})
    more = parse_criteria(
        {"criteria": {"gap": crit(0.6), "reach": crit(0.4), "severity": crit(0.0)}}
    )
    a = rank_gaps(three_gaps, config=base, draws=300)
    b = rank_gaps(three_gaps, config=more, draws=300)
    pd.testing.assert_series_equal(a.table["score"], b.table["score"])
    for c in ("rank", "median_rank", "rank_low", "rank_high", "p_top_k"):
        pd.testing.assert_series_equal(a.table[c], b.table[c])


@pytest.mark.parametrize("method", ["weighted_sum", "topsis", "promethee"])
def test_scaling_a_criterion_keeps_normalised_ranking(three_gaps, crit, method):
    cfg = parse_criteria({"criteria": {"gap": crit(0.5), "reach": crit(0.5)}})
    scaled = three_gaps.assign(affected=three_gaps["affected"] * 1000)
    a = rank_gaps(three_gaps, config=cfg, draws=0, method=method)
    b = rank_gaps(scaled, config=cfg, draws=0, method=method)
    assert _ranks(a) == _ranks(b)


def test_dominated_gap_is_never_first():
    g = example_gap_table(n_indicators=6, districts=(), seed=2)
    # D: a copy of the best gap, worse on every criterion (smaller gap, less sure, fewer women)
    best = rank_gaps(g, draws=0).table.iloc[0]["gap_id"]
    row = g[g["gap_id"] == best].copy()
    row["gap_id"] = "dominated|total|"
    row["estimate_f"] = row["estimate_f"] + 0.01
    row["gap"] = row["gap"] + 0.01
    row["ratio"] = row["estimate_f"] / row["estimate_m"]
    row["q_value"] = row["q_value"] + 0.01
    row["affected"] = row["affected"] - 10
    r = rank_gaps(pd.concat([g, row], ignore_index=True), draws=2000, top_k=3, seed=1)
    t = r.table.set_index("gap_id")
    assert t.loc["dominated|total|", "p_top_1"] == 0.0
    assert t.loc["dominated|total|", "rank_low"] >= 2
    assert t.loc[best, "p_top_1"] > 0


def test_smaa_histogram_quantiles_match_explicit_ranks():
    rng = np.random.default_rng(5)
    z = rng.uniform(size=(9, 4))
    w = np.array([0.4, 0.3, 0.2, 0.1])
    res = smaa(z, w, draws=500, seed=7, concentration=10, top_k=3, block=500)
    draws = dirichlet_weights(w, draws=500, concentration=10, rng=np.random.default_rng(7))
    ranks = rank_scores(weighted_sum(z, draws))
    med = np.quantile(ranks, 0.5, axis=0, method="inverted_cdf")
    lo = np.quantile(ranks, 0.05, axis=0, method="inverted_cdf")
    hi = np.quantile(ranks, 0.95, axis=0, method="inverted_cdf")
    np.testing.assert_array_equal(res["median_rank"], med)
    np.testing.assert_array_equal(res["rank_low"], lo)
    np.testing.assert_array_equal(res["rank_high"], hi)
    np.testing.assert_allclose(res["p_top_k"], (ranks <= 3).mean(axis=0))


def test_dirichlet_centred_on_agreed_weights():
    w = np.array([0.5, 0.3, 0.2])
    d = dirichlet_weights(w, draws=20000, concentration=30, rng=np.random.default_rng(0))
    np.testing.assert_allclose(d.mean(axis=0), w, atol=0.005)
    # Var = w (1 - w) / (c + 1)
    np.testing.assert_allclose(d.var(axis=0), w * (1 - w) / 31, rtol=0.05)


def test_ties_share_rank_and_are_flagged(three_gaps, two_criteria):
    g = pd.concat([three_gaps, three_gaps.iloc[[0]].assign(gap_id="A2|total|")])
    r = rank_gaps(g.reset_index(drop=True), config=two_criteria, draws=0)
    t = r.table.set_index("gap_id")
    assert t.loc["A|total|", "rank"] == t.loc["A2|total|", "rank"] == 1
    assert t.loc["B|total|", "rank"] == 3
    assert "tie" in t.loc["A|total|", "flags"]
    assert r.table["gap_id"].tolist()[:2] == ["A2|total|", "A|total|"]  # ties by gap_id


def test_unreliable_flagged_suppressed_excluded_but_listed(three_gaps, two_criteria):
    g = three_gaps.assign(suppressed=[False, True, False])
    r = rank_gaps(g, config=two_criteria, draws=0)
    assert "B|total|" not in set(r.table["gap_id"])
    assert r.excluded[["gap_id", "reason"]].values.tolist() == [["B|total|", "suppressed"]]
    assert "estimate_f" not in r.excluded  # suppressed figures never travel on
    t = r.table.set_index("gap_id")
    assert "unreliable" in t.loc["C|total|", "flags"]
    assert "not_significant" in t.loc["C|total|", "flags"]
    assert "Estimación poco fiable" in t.loc["C|total|", "why_es"]
    full = r.to_frame()
    assert len(full) == 3 and full["rank"].isna().sum() == 1


def test_why_sentences_and_progress(three_gaps, two_criteria):
    calls = []
    r = rank_gaps(
        three_gaps, config=two_criteria, draws=2500, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (2500, 2500) and len(calls) == 3
    first = r.table.iloc[0]
    assert first["why_es"].startswith("Puesto 1 de 3")
    for lang in ("es", "fr", "en"):
        assert r.table[f"why_{lang}"].str.len().min() > 40


def test_methods_table_and_agreement():
    g = example_gap_table(n_indicators=8, seed=4)
    r = rank_gaps(g, draws=200, method="topsis")
    assert set(r.methods.columns) >= {"rank_weighted_sum", "rank_topsis", "rank_promethee_ii"}
    assert len(r.agreement) == 3 and r.agreement["tau"].between(-1, 1).all()
    assert (r.table["method"] == "topsis").all()
    assert r.methods["rank_topsis"].tolist() == sorted(r.methods["rank_topsis"])


def test_reproducible_with_seed():
    g = example_gap_table(n_indicators=5, seed=0)
    a = rank_gaps(g, draws=500, seed=3).table
    b = rank_gaps(g, draws=500, seed=3).table
    pd.testing.assert_frame_equal(a, b)


def test_bad_inputs_raise_clear_errors(three_gaps):
    with pytest.raises(ValueError, match="gap table with columns"):
        rank_gaps(three_gaps.drop(columns="direction"))
    with pytest.raises(ValueError, match="higher_better"):
        rank_gaps(three_gaps.assign(direction="up"))
    with pytest.raises(ValueError, match="'draws' parameter"):
        rank_gaps(three_gaps, draws=-1)
    with pytest.raises(ValueError, match="unique gap_id"):
        rank_gaps(pd.concat([three_gaps, three_gaps]))


def test_progress_as_fraction(three_gaps, two_criteria):
    seen = []
    rank_gaps(three_gaps, config=two_criteria, draws=2000, progress=lambda f: seen.append(f))
    assert seen == [0.5, 1.0]


def test_single_gap_and_all_suppressed():
    one = rank_gaps(example_gap_table(n_indicators=1, districts=()), draws=100)
    assert one.table["rank"].tolist() == [1] and one.table["p_top_k"].tolist() == [1.0]
    g = example_gap_table(n_indicators=2).assign(suppressed=True)
    r = rank_gaps(g, draws=100)
    assert r.table.empty and len(r.excluded) == len(g) and len(r.to_frame()) == len(g)


@pytest.mark.parametrize("seed", [0, 1])
def test_row_order_does_not_matter(seed):
    g = example_gap_table(n_indicators=10, seed=seed)
    shuffled = g.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    a = rank_gaps(g, draws=0).table.set_index("gap_id")
    b = rank_gaps(shuffled, draws=0).table.set_index("gap_id").loc[a.index]
    pd.testing.assert_series_equal(a["rank"], b["rank"])
    np.testing.assert_allclose(a["score"], b["score"], atol=1e-12)
