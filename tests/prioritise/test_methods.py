"""Scoring methods, normalisation and the tie rule.

Reference values for TOPSIS and PROMETHEE II are the documented examples of pymcdm 1.4.0
(docstrings of ``pymcdm.methods.TOPSIS`` and ``pymcdm.methods.PROMETHEE_II``); our vectorised
implementations are also compared with pymcdm itself on random matrices.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gender_diag.prioritise.methods import (
    method_name,
    normalise_column,
    promethee_ii,
    rank_scores,
    topsis,
    unicriterion_flows,
    weighted_sum,
)

pymcdm = pytest.importorskip("pymcdm")


def test_weighted_sum_hand_case():
    z = np.array([[1.0, 0.8], [0.4285714285714, 0.99], [0.0, 0.5]])
    s = weighted_sum(z, np.array([0.5, 0.5]))
    np.testing.assert_allclose(s, [0.9, 0.7092857142857, 0.25], atol=1e-12)


def test_topsis_pymcdm_documented_example():
    # pymcdm.methods.TOPSIS docstring: matrix [[1, 3000], [2, 3750], [5, 4500]],
    # weights [0.5, 0.5], types [-1, 1] (cost, profit) -> [0.500, 0.617, 0.500].
    # Our topsis takes min-max normalised, benefit-oriented columns: cost column inverted.
    x = np.array([[1, 3000], [2, 3750], [5, 4500]], dtype=float)
    z = np.column_stack([(5 - x[:, 0]) / 4, (x[:, 1] - 3000) / 1500])
    np.testing.assert_allclose(topsis(z, np.array([0.5, 0.5])), [0.5, 0.617, 0.5], atol=5e-4)


def test_promethee_pymcdm_documented_example():
    # pymcdm.methods.PROMETHEE_II docstring: usual preference, weights [0.5, 0.3, 0.2],
    # all profit -> net flows [0.1, -0.3, 0.2].
    z = np.array([[4, 3, 2], [3, 2, 4], [5, 1, 3]], dtype=float)
    out = promethee_ii(z, np.array([0.5, 0.3, 0.2]), preference="usual")
    np.testing.assert_allclose(out, [0.1, -0.3, 0.2], atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_topsis_and_promethee_match_pymcdm(seed):
    from pymcdm.methods import PROMETHEE_II, TOPSIS

    rng = np.random.default_rng(seed)
    z = rng.uniform(size=(12, 5))
    z = (z - z.min(axis=0)) / (z.max(axis=0) - z.min(axis=0))  # min-max: pymcdm keeps it
    w = rng.dirichlet(np.ones(5))
    types = np.ones(5)
    np.testing.assert_allclose(topsis(z, w), TOPSIS()(z, w, types), atol=1e-12)
    ref = PROMETHEE_II("vshape", p=[0.5] * 5)(z, w, types)
    np.testing.assert_allclose(promethee_ii(z, w, preference="vshape", p=0.5), ref, atol=1e-12)
    ref = PROMETHEE_II("usual")(z, w, types)
    np.testing.assert_allclose(promethee_ii(z, w, preference="usual"), ref, atol=1e-12)


def test_methods_vectorised_over_draws_equal_single_calls():
    rng = np.random.default_rng(3)
    z = rng.uniform(size=(7, 4))
    w = rng.dirichlet(np.ones(4), size=5)
    flows = unicriterion_flows(z)
    for f in (weighted_sum, topsis, lambda z_, w_: promethee_ii(z_, w_, flows=flows)):
        many = f(z, w)
        assert many.shape == (5, 7)
        for d in range(5):
            np.testing.assert_allclose(many[d], f(z, w[d]), atol=1e-12)


def test_tie_rule_shares_best_rank():
    assert rank_scores(np.array([0.5, 0.9, 0.5, 0.1])).tolist() == [2, 1, 2, 4]
    assert rank_scores(np.array([0.5, 0.5 + 1e-12]), tol=1e-9).tolist() == [1, 1]
    assert rank_scores(np.array([0.3, np.nan, 0.9])).tolist() == [2, 3, 1]


def test_minmax_constant_column_is_neutral():
    assert normalise_column(np.array([3.0, 3.0, 3.0])).tolist() == [0.5, 0.5, 0.5]


def test_method_name_errors_clearly():
    assert method_name("promethee") == "promethee_ii"
    with pytest.raises(ValueError, match="'method' parameter of rank_gaps"):
        method_name("electre")


def test_subnormal_and_near_constant_columns_are_constant():
    # Regression: hypothesis drew [0, 5e-324, ...]; subnormals carry no significant digits.
    tiny = np.array([0.0, 5e-324, 5e-324, 5e-324])
    assert normalise_column(tiny).tolist() == [0.5] * 4
    assert normalise_column(np.array([1.0, 1.0 + 1e-15, 1.0])).tolist() == [0.5] * 3
    assert normalise_column(tiny, "vector").tolist() == [0.0] * 4


# The invariant holds where c * x is representable without losing digits: values are 0 or
# of a magnitude that stays normal after scaling by c >= 0.01.
_SCALABLE = st.floats(-100, 100).filter(lambda v: v == 0 or abs(v) > 1e-250)


@settings(max_examples=40, deadline=None)
@given(
    arrays(float, (6,), elements=_SCALABLE),
    st.floats(0.01, 1000),
    st.sampled_from(["minmax", "vector"]),
)
def test_normalisation_scale_invariant(x, c, how):
    np.testing.assert_allclose(normalise_column(c * x, how), normalise_column(x, how), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(float, (5, 3), elements=st.floats(0, 1)), st.sampled_from(["ws", "topsis", "prom"]))
def test_zero_weight_criterion_changes_nothing(z, method):
    w = np.array([0.5, 0.3, 0.2])
    extra = np.column_stack([z, np.random.default_rng(0).uniform(size=5)])
    w0 = np.append(w, 0.0)
    f = {"ws": weighted_sum, "topsis": topsis, "prom": promethee_ii}[method]
    np.testing.assert_allclose(f(extra, w0), f(z, w), atol=1e-12)
