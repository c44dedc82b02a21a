"""Local gender gap index (truncated-ratio method)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.indicators.compute import compute_indicators
from gender_diag.indicators.local_gap import local_gap_index, oriented_ratio


def test_oriented_ratio_by_hand():
    # F/M; (1-F)/(1-M); M/F; truncation at 1; zero denominators are parity
    r = oriented_ratio(
        [0.3, 0.5, 0.2, 8.0, 0.9, 0.0],
        [0.6, 0.4, 0.6, 6.0, 0.0, 1.0],
        direction=[
            "higher_better",
            "higher_better",
            "higher_worse",
            "higher_worse",
            "higher_better",
            "higher_worse",
        ],  # fmt: skip
        kind=["proportion", "proportion", "proportion", "mean", "proportion", "proportion"],
    )
    np.testing.assert_allclose(r, [0.5, 1.0, 1.0, 0.75, 1.0, 1.0])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
)
def test_oriented_ratio_bounded(f, m):
    k = min(len(f), len(m))
    for d in ("higher_better", "higher_worse"):
        r = oriented_ratio(f[:k], m[:k], direction=d, kind="proportion")
        assert np.all((r >= 0) & (r <= 1))


def test_index_equals_manual_combination_of_estimates(toy_survey):
    cat = load_catalogue()
    res = local_gap_index(toy_survey, cat)
    idx, ratios = res["index"], res["ratios"]
    used = ratios[ratios.area_type == "territory"].set_index("indicator")
    est = compute_indicators(toy_survey, cat, by=(), indicators=list(used.index))
    wide = est.pivot_table(index="indicator", columns="sex", values="estimate")
    np.testing.assert_allclose(used.estimate_f, wide.loc[used.index, "F"], rtol=1e-10)
    np.testing.assert_allclose(used.estimate_m, wide.loc[used.index, "M"], rtol=1e-10)
    r = oriented_ratio(wide.loc[used.index, "F"], wide.loc[used.index, "M"],
                       direction=used.direction, kind=used.type)  # fmt: skip
    dom = pd.Series(r, index=used.index).groupby(used.rights).mean()
    terr = idx[idx.area_type == "territory"].set_index("component")
    for k, v in dom.items():
        assert terr.loc[k, "value"] == pytest.approx(v, rel=1e-10)
    assert terr.loc["overall", "value"] == pytest.approx(dom.mean(), rel=1e-10)
    assert (idx.se > 0).all() and (idx.value <= 1).all()
    assert set(idx.area) == {"", "acomayo", "pomacanchi", "sangarara"}


def test_identical_women_and_men_give_parity(toy_survey):
    """Copy every woman's answers onto a man in the same PSU: all ratios are 1.

    Land indicators are left out: they read the roster line ticked on parcels, which the
    copies (new lines) do not have.
    """
    t = toy_survey.tables
    resp = t["respondents"]
    women = resp[resp.sex == "F"]
    men = women.assign(sex="M", line=women.line + 50)
    mem = t["members"]
    mem_w = mem[mem.sex == "F"]
    mem_m = mem_w.assign(sex="M", line=mem_w.line + 50)
    twin = {**t, "respondents": pd.concat([women, men], ignore_index=True),
            "members": pd.concat([mem_w, mem_m], ignore_index=True)}  # fmt: skip
    cat = load_catalogue()
    ids = [i.id for i in cat.indicators if i.domain != "land"]
    res = local_gap_index(twin, cat, by=None, indicators=ids)
    np.testing.assert_allclose(res["index"].value, 1.0)


def test_linearised_se_of_one_ratio_equals_design_ratio_gap(toy_survey):
    """With one indicator below parity the index is F/M: same SE as SurveyDesign.gap(ratio)."""
    from gender_diag.design import SurveyDesign

    cat = load_catalogue()
    res = local_gap_index(toy_survey, cat, by=None, indicators=["land_own_self_report"])
    row = res["index"].set_index("component").loc["overall"]
    resp = toy_survey.tables["respondents"]
    y = np.where(resp.own_land.isna(), np.nan, resp.own_land.isin(["sole", "joint"]))
    d = SurveyDesign(resp.assign(y=y), weight="weight", strata="district", psu="community",
                     fpc="fpc", lonely_psu="adjust")  # fmt: skip
    g = d.gap("y", between="sex", reference="M", kind="ratio").iloc[0]
    assert g.estimate < 1
    assert row.value == pytest.approx(g.estimate, rel=1e-12)
    assert row.se == pytest.approx(g.se, rel=1e-9)


def test_jackknife_and_linearisation_agree_at_territory_level(toy_survey):
    cat = load_catalogue()
    lin = local_gap_index(toy_survey, cat, by=None)["index"].set_index("component")
    jk = local_gap_index(toy_survey, cat, by=None, variance="jackknife")["index"]
    jk = jk.set_index("component")
    np.testing.assert_allclose(lin.value, jk.value)
    assert jk.loc["overall", "se"] == pytest.approx(lin.loc["overall", "se"], rel=0.3)


def test_result_object_keeps_the_mapping_shape(toy_survey):
    res = local_gap_index(toy_survey, load_catalogue(), by=None)
    assert list(res) == ["index", "ratios"] and dict(res)["ratios"] is res.ratios
    assert res.to_frame().equals(res["index"]) and res.to_frame() is not res.index_table


def _stacked_reference(survey, cat, by="district"):
    """The straightforward computation the blocked one must equal: respondents and members
    stacked into one n × K matrix (NaN where a row has no such indicator), every group mean
    and every influence column over all n rows, and :meth:`SurveyDesign.vcov_total` on the
    full-length influence matrix. Returns {(area, component): (value, se)}."""
    from gender_diag.design import SurveyDesign
    from gender_diag.indicators.catalogue import TAG_VALUES
    from gender_diag.indicators.compute import indicator_frames, prepare_tables, tables_and_design

    _, spec = tables_and_design(survey, None)
    tables = prepare_tables(survey, cat)
    inds = [i for i in cat.indicators if i.unit in ("respondent", "member")
            and i.type in ("proportion", "mean") and not i.weai_key]  # fmt: skip
    ids = [i.id for i in inds]
    frames = indicator_frames(tables, cat, design=spec, by=[by], indicators=ids)
    frame = pd.concat(frames.values(), ignore_index=True, sort=False)
    d = SurveyDesign.from_spec(frame, spec)
    w = d.weights
    y = frame[ids].to_numpy(dtype=float)
    known = ~np.isnan(y)
    y0 = np.where(known, y, 0.0)
    rights = [i.tags.get("rights", "economic") for i in inds]
    present = [r for r in TAG_VALUES["rights"] if r in rights]
    dirs = np.array([i.direction for i in inds])
    kinds = np.array([i.type for i in inds])
    area_of = frame[by].astype(object).where(frame[by].notna(), None).to_numpy()
    sex = frame["sex"].astype(str).to_numpy()
    out = {}
    for area in [None, *sorted({str(a) for a in area_of if a is not None})]:
        inside = np.ones(len(frame), bool) if area is None else np.array(
            [a is not None and str(a) == area for a in area_of])  # fmt: skip
        group = {s: inside & (sex == s) for s in ("F", "M")}
        n_hat = {s: (w[group[s], None] * known[group[s]]).sum(axis=0) for s in group}
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = {s: np.where(n_hat[s] > 0, (w[group[s], None] * y0[group[s]]).sum(axis=0)
                                / n_hat[s], np.nan) for s in group}  # fmt: skip
        f, m = mean["F"], mean["M"]
        r = oriented_ratio(f, m, direction=dirs, kind=kinds)
        # component weights: 1/c_j within a domain; the overall index averages the domains
        A = np.zeros((1 + len(present), len(ids)))
        dom_vals = []
        for j, dom in enumerate(present):
            ks = [k for k in range(len(ids)) if rights[k] == dom and not np.isnan(r[k])]
            if ks:
                A[1 + j, ks] = 1.0 / len(ks)
                dom_vals.append(np.mean(r[ks]))
        A[0] = A[1:].sum(axis=0) / max(len(dom_vals), 1)
        value = np.concatenate([[np.mean(dom_vals)], A[1:] @ np.nan_to_num(r)])
        # gradients of the truncated ratio by finite formulas, zero where truncated
        worse, prop = dirs == "higher_worse", kinds == "proportion"
        num = np.where(worse, np.where(prop, 1 - f, m), f)
        den = np.where(worse, np.where(prop, 1 - m, f), m)
        flat = ~(den > 0) | (num >= den)
        with np.errstate(divide="ignore", invalid="ignore"):
            gf = np.where(worse, np.where(prop, -1 / (1 - m), -m / f**2), 1 / m)
            gm = np.where(worse, np.where(prop, (1 - f) / (1 - m) ** 2, 1 / f), -f / m**2)
        Z = np.zeros((len(frame), A.shape[0]))
        for s, g, mu in (("F", gf, f), ("M", gm, m)):
            g = np.where(flat | ~np.isfinite(g), 0.0, g)
            with np.errstate(invalid="ignore"):
                z = np.where(
                    group[s][:, None] & known,
                    w[:, None] * (y0 - mu) / np.where(n_hat[s] > 0, n_hat[s], 1),
                    0.0,
                )
            Z += z @ (A * g).T  # fmt: skip
        se = np.sqrt(np.clip(np.diag(d.vcov_total(Z)), 0, None))
        for j, comp in enumerate(["overall", *present]):
            out[(area or "", comp)] = (value[j], se[j])
    return out


@pytest.mark.parametrize(("seed", "categorical"), [(2, False), (5, True)])
def test_blocked_computation_equals_the_stacked_one(seed, categorical):
    """Per-unit blocks, chunked sums and area-only influence rows give the numbers of the
    straightforward stacked computation (random surveys, unequal weights, rows without an
    area)."""
    from tests.indicators.conftest import make_toy_survey

    survey = make_toy_survey(seed=seed, communities_per_district=3, hh_per_community=6)
    rng = np.random.default_rng(seed)
    for name in ("respondents", "members"):
        t = survey.tables[name]
        t["weight"] = t["weight"] * rng.uniform(0.5, 2.0, len(t))  # unequal weights in a PSU
    # an area column with missing values among respondents and an area members lack
    resp, mem = survey.tables["respondents"], survey.tables["members"]
    resp["zone"] = rng.choice(np.array(["north", "south", "east", None], dtype=object), len(resp))
    mem["zone"] = rng.choice(np.array(["south", "north"], dtype=object), len(mem))
    if categorical:  # design columns as categoricals with different categories per table
        for t in (resp, mem):
            for c in ("district", "community"):
                t[c] = t[c].astype("category")
        mem["community"] = mem["community"].cat.add_categories(["unused"])
    cat = load_catalogue()
    got = local_gap_index(survey, cat, by="zone")["index"]
    ref = _stacked_reference(survey, cat, by="zone")
    assert {"", "east", "north", "south"} == set(got.area)
    assert len(got) == len(ref)
    for row in got.itertuples():
        value, se = ref[(row.area, row.component)]
        assert row.value == pytest.approx(value, rel=1e-12, abs=1e-14)
        assert row.se == pytest.approx(se, rel=1e-12, abs=1e-14)
