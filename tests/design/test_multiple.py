"""Benjamini–Hochberg q-values: published example, statsmodels agreement, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from gender_diag.design.multiple import bh_qvalues

# Benjamini & Hochberg (1995), JRSS B 57:289-300, Section 4: the 15 p-values of the
# Neuhaus et al. thrombolysis trial. At FDR 0.05 the step-up procedure rejects exactly the
# four smallest (p <= 0.0095).
BH1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000,
]  # fmt: skip


def test_bh1995_example_rejects_four():
    q = bh_qvalues(BH1995)
    assert (q <= 0.05).sum() == 4
    assert (q[:4] <= 0.05).all()
    # Hand computation: q_(4) = 0.0095 * 15 / 4; q_(5) = min_j>=5 15 p_(j)/j = 0.0201 * 15 / 5.
    assert q[3] == pytest.approx(0.0095 * 15 / 4, abs=1e-12)
    assert q[4] == pytest.approx(0.0201 * 15 / 5, abs=1e-12)
    assert q[-1] == pytest.approx(1.0, abs=1e-12)


def test_hand_case_with_nan():
    # m = 4 non-missing: sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.06, 0.0533.., 0.5; the
    # step-up minimum makes the second equal to the third.
    q = bh_qvalues([0.01, 0.04, 0.03, np.nan, 0.5])
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, np.nan, 0.5], atol=1e-12)


def test_matches_statsmodels_fdr_bh():
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(size=80), rng.uniform(0, 0.01, size=20)])
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(bh_qvalues(p), expected, rtol=0, atol=1e-14)


def test_series_keeps_index_and_nan():
    s = pd.Series([0.2, np.nan, 0.01], index=["a", "b", "c"], name="p")
    q = bh_qvalues(s)
    assert list(q.index) == ["a", "b", "c"]
    assert np.isnan(q["b"])
    assert q["c"] == pytest.approx(0.02, abs=1e-12)
    assert q["a"] == pytest.approx(0.2, abs=1e-12)


def test_empty_and_all_nan():
    assert bh_qvalues([]).size == 0
    assert np.isnan(bh_qvalues([np.nan, np.nan])).all()


def test_out_of_range_rejected():
    with pytest.raises(ValueError, match="p_values"):
        bh_qvalues([0.2, 1.5])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(0, 1, allow_nan=False), st.just(float("nan"))),
        min_size=1,
        max_size=40,
    )
)
def test_properties(p):
    p = np.asarray(p, dtype=float)
    q = bh_qvalues(p)
    ok = ~np.isnan(p)
    assert np.array_equal(np.isnan(q), ~ok)
    pv, qv = p[ok], q[ok]
    assert (qv >= pv - 1e-15).all()
    assert (qv <= 1.0).all()
    # monotone: a smaller p never gets a larger q
    order = np.argsort(pv, kind="stable")
    assert (np.diff(qv[order]) >= -1e-15).all()
    if ok.any():
        np.testing.assert_allclose(qv, multipletests(pv, method="fdr_bh")[1], atol=1e-12)
