"""Invariants of the Alkire–Foster measure (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gender_diag.indices import alkire_foster


@st.composite
def problems(draw):
    n = draw(st.integers(2, 25))
    j = draw(st.integers(1, 6))
    dep = draw(arrays(np.int8, (n, j), elements=st.integers(0, 1)))
    ind_w = draw(arrays(float, j, elements=st.floats(0.05, 5.0)))
    sw = draw(arrays(float, n, elements=st.floats(0.1, 50.0)))
    k = draw(st.sampled_from([0.1, 0.2, 1 / 3, 0.5, 0.75, 1.0]))
    strict = draw(st.booleans())
    groups = draw(arrays(np.int8, n, elements=st.integers(0, 2)))
    cols = [f"i{c}" for c in range(j)]
    frame = pd.DataFrame(dep, columns=cols).astype(float)
    return frame, dict(zip(cols, ind_w, strict=True)), sw, k, strict, groups


SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(problems())
def test_identities_and_bounds(p):
    frame, w, sw, k, strict, _ = p
    res = alkire_foster(frame, w, k=k, strict=strict, weight=sw)
    assert 0 <= res.h <= 1 and 0 <= res.m0 <= 1
    assert np.isnan(res.a) or 0 < res.a <= 1 + 1e-12
    # M0 = Σ_j w_j CH_j and M0 = H·A
    assert np.isclose(res.m0, (res.weights * res.censored_headcounts).sum())
    if res.h > 0:
        assert np.isclose(res.m0, res.h * res.a)
        assert np.isclose(res.contributions.sum(), 1.0)
        assert res.a + 1e-9 >= k
    # a censored headcount never exceeds the raw one
    assert (res.censored_headcounts <= res.raw_headcounts + 1e-12).all()


@SETTINGS
@given(problems(), st.randoms(use_true_random=False))
def test_permutation_and_scale_invariance(p, rnd):
    frame, w, sw, k, strict, _ = p
    base = alkire_foster(frame, w, k=k, strict=strict, weight=sw)
    order = list(range(len(frame)))
    rnd.shuffle(order)
    perm = alkire_foster(frame.iloc[order], w, k=k, strict=strict, weight=sw[order])
    scaled = alkire_foster(
        frame, {c: 7.0 * v for c, v in w.items()}, k=k, strict=strict, weight=sw * 3.5
    )
    # reordering the columns does not change anything either
    cols = list(frame.columns)[::-1]
    flipped = alkire_foster(frame[cols], {c: w[c] for c in cols}, k=k, strict=strict, weight=sw)
    for other in (perm, scaled, flipped):
        assert np.allclose([base.h, base.m0], [other.h, other.m0])
        assert np.allclose(base.censored_headcounts[cols], other.censored_headcounts[cols])


@SETTINGS
@given(problems())
def test_subgroup_decomposition(p):
    frame, w, sw, k, strict, groups = p
    res = alkire_foster(frame.assign(g=groups), w, k=k, strict=strict, weight=sw, by="g")
    sub = res.subgroups
    # M0 = Σ_g (N_g / N) M0_g, and likewise H
    assert np.isclose((sub["share"] * sub["m0"]).sum(), res.m0)
    assert np.isclose((sub["share"] * sub["h"]).sum(), res.h)
    assert sub["n"].sum() == len(frame)
    if res.m0 > 0:
        assert np.isclose(sub["contribution"].sum(), 1.0)


@st.composite
def couples(draw):
    from gender_diag.indices import load_preset

    keys = list(load_preset("a-weai").weights)
    n = draw(st.integers(1, 15))
    adequacy = draw(arrays(np.int8, (2 * n, len(keys)), elements=st.integers(0, 1)))
    frame = pd.DataFrame(adequacy, columns=keys).astype(float)
    frame["hhid"] = np.repeat(np.arange(n), 2)
    frame["sex"] = np.tile(["F", "M"], n)
    frame["w"] = np.repeat(draw(arrays(float, n, elements=st.floats(0.5, 5.0))), 2)
    return frame


@SETTINGS
@given(couples())
def test_weai_bounds_and_parity(frame):
    from gender_diag.indices import weai

    res = weai(frame, "a-weai", weight="w")
    assert 0 <= res.women.de <= 1 and 0 <= res.gpi.value <= 1
    assert res.gpi.households == len(frame) // 2
    assert np.isclose(res.value, 0.9 * res.women.de + 0.1 * res.gpi.value)
    # a woman with the same adequacies as her partner never lacks parity
    same = frame.copy()
    men = same["sex"] == "M"
    same.loc[men, list(res.preset.weights)] = same.loc[~men, list(res.preset.weights)].to_numpy()
    assert weai(same, "a-weai", weight="w").gpi.value == 1.0
    # empowered women never lack parity: lack of parity implies the woman is disempowered
    t = res.households
    women_dis = res.women.identified.to_numpy()[t["row"].to_numpy() // 2]
    assert not (t["lacks_parity"].to_numpy() & ~women_dis).any()
