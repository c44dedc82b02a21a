"""Synthetic survey: determinism, design, truth, planted quantities and skip logic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gender_diag.synth import draw_sample, generate, population, truth
from gender_diag.synth.population import QUANTITIES, SECONDARY_COLUMNS, WORK_COLUMNS
from gender_diag.synth.sample import DESIGN_COLUMNS

TU_PRIMARY = [
    "tu_sleep",
    "tu_personal",
    *WORK_COLUMNS,
    "tu_school",
    "tu_leisure",
    "tu_other",
]


@pytest.fixture(scope="module")
def synth():
    return generate(240, seed=11)


def _str(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None)


def _tokens(series: pd.Series) -> pd.Series:
    return _str(series).map(lambda v: set() if v is None else set(str(v).split()))


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_tables(synth):
    again = generate(240, seed=11)
    for name, table in synth.tables.items():
        pd.testing.assert_frame_equal(table, again.tables[name])
    pd.testing.assert_frame_equal(synth.design, again.design)
    pd.testing.assert_frame_equal(synth.truth, again.truth)


def test_other_seed_other_tables(synth):
    other = generate(240, seed=12)
    assert not synth.tables["roster"]["age"].equals(other.tables["roster"]["age"])


def test_errors_do_not_change_the_clean_draw(synth):
    dirty = generate(240, seed=11, errors=True)
    clean_main = synth.tables["households"]
    dirty_main = dirty.tables["households"].iloc[: len(clean_main)]
    changed = clean_main.ne(dirty_main) & ~(clean_main.isna() & dirty_main.isna())
    # Only the planted duplicated _uuid differs among the original submissions.
    assert changed.to_numpy().sum() == 1 and changed["_uuid"].sum() == 1


def test_sample_size_and_parameters():
    with pytest.raises(ValueError, match="'n_households' parameter"):
        generate(10)
    with pytest.raises(ValueError, match="'n_households' parameter"):
        generate(2_000_000)
    with pytest.raises(ValueError, match="'n_districts' parameter"):
        population(n_households=500, n_districts=4)
    with pytest.raises(ValueError, match="'communities_per_district' parameter"):
        population(n_households=500, communities_per_district=16)


# ----------------------------------------------------------------------------- design
def test_design_file_columns_and_fpc(synth):
    d = synth.design
    assert list(d.columns) == list(DESIGN_COLUMNS)
    pop = synth.population.communities
    sizes = pop.set_index("community")["households_total"]
    per_district = pop.groupby("district").size()
    assert (d["households_total"].to_numpy() == sizes.reindex(d["community"]).to_numpy()).all()
    assert (
        d["communities_total"].to_numpy() == per_district.reindex(d["district"]).to_numpy()
    ).all()
    k = d.groupby("district")["community"].transform("size")
    np.testing.assert_allclose(d["prob_community"], k / d["communities_total"])
    main = synth.tables["households"]
    sampled = main.groupby("community", observed=True).size()
    assert (d["households_sampled"].to_numpy() == sampled.reindex(d["community"]).to_numpy()).all()
    # w = (C_h / k_h) (M_c / m_c): the household weight is the inverse inclusion probability.
    np.testing.assert_allclose(
        d["weight"], 1 / (d["prob_community"] * d["households_sampled"] / d["households_total"])
    )
    assert synth.households["hhid"].tolist() == main["hhid"].tolist()


def test_weights_sum_to_community_sizes(synth):
    # Within a sampled community the weights add up to (C_h/k_h) M_c exactly, so the
    # weighted household count is the Horvitz-Thompson estimate of the population size.
    hh = synth.households
    d = synth.design.set_index("community")
    wsum = hh.groupby("community")["weight"].sum()
    np.testing.assert_allclose(
        wsum.reindex(d.index), d["households_total"] / d["prob_community"], rtol=1e-12
    )


def test_weighted_count_is_unbiased_for_population_size():
    # E[sum of w] = N under SRSWOR at both stages; the mean over 200 draws is within 2 %.
    pop = population(n_households=3000, communities_per_district=8, min_households=10, seed=4)
    totals = [
        draw_sample(pop, communities_per_district=3, households_per_community=10, seed=s)
        .households["weight"]
        .sum()
        for s in range(200)
    ]
    assert abs(np.mean(totals) / 3000 - 1) < 0.02


def test_draw_sample_parameters():
    pop = population(n_households=400, communities_per_district=3, seed=0)
    with pytest.raises(ValueError, match="'households_per_community' parameter"):
        draw_sample(pop, households_per_community=5, n_households=50)
    with pytest.raises(ValueError, match="'n_households' parameter"):
        draw_sample(pop, communities_per_district=2, n_households=5000)
    s = draw_sample(pop, communities_per_district=9, households_per_community=1000)
    # All communities and all households: certainty at both stages, weight 1.
    assert len(s.households) == 400 and np.allclose(s.households["weight"], 1)


# ----------------------------------------------------------------------------- truth
def test_truth_matches_population(synth):
    pop = synth.population
    t = synth.truth
    p = pop.persons
    for q in ("land_title", "work_hours", "leader", "overworked"):
        for sex in ("F", "M"):
            row = t[(t.quantity == q) & (t.by == "total") & (t.sex == sex)].iloc[0]
            values = p.loc[p.sex == sex, q].astype(float).to_numpy()
            assert row["value"] == pytest.approx(values.mean(), rel=1e-12)
            assert row["persons"] == len(values)
        by = t[(t.quantity == q) & (t.by == "district")]
        for (district, sex), v in by.set_index(["by_value", "sex"])["value"].items():
            mask = (p.district == district) & (p.sex == sex)
            assert v == pytest.approx(p.loc[mask, q].astype(float).mean(), rel=1e-12)
    total = t[t.by == "total"].pivot_table(index="quantity", columns="sex", values="value")
    gaps = t[t.by == "total"].drop_duplicates("quantity").set_index("quantity")["gap"]
    np.testing.assert_allclose(gaps.reindex(total.index), total["F"] - total["M"])
    assert set(t["quantity"]) == set(QUANTITIES)


def test_planted_gaps_have_the_intended_sign(synth):
    big = truth(population(n_households=20_000, seed=1))
    gaps = big[big.by == "total"].drop_duplicates("quantity").set_index("quantity")["gap"]
    assert (gaps.drop(["work_hours", "overworked"]) < 0).all()  # women disadvantaged
    assert gaps["work_hours"] > 1.0 and gaps["overworked"] > 0.2
    assert gaps["land_title"] == pytest.approx(-0.3, abs=0.08)


# ----------------------------------------------------------------------------- rendered data
def _respondents(synth):
    """Consenting respondents joined to their population person."""
    t = synth.tables
    ind = t["individual"]
    main = t["households"].set_index("_index")
    hh = synth.households.set_index("hhid")
    hhid = main["hhid"].reindex(ind["_parent_index"]).to_numpy()
    out = ind.assign(
        hhid=hhid,
        pop_id=hh["pop_id"].reindex(hhid).to_numpy(),
        sex=_str(ind["resp_sex"]).to_numpy(),
        line=_str(ind["resp_line"]).astype(int).to_numpy(),
    )
    persons = synth.population.persons.set_index(["pop_id", "sex"])
    planted = persons.reindex(pd.MultiIndex.from_arrays([out["pop_id"], out["sex"]]))
    return out, planted.reset_index(drop=True)


def test_rendered_answers_reproduce_planted_quantities(synth):
    resp, planted = _respondents(synth)
    t = synth.tables
    ok = (_str(resp["ind_consent"]) == "yes").to_numpy()
    s = lambda c: _str(resp[c])  # noqa: E731
    derived = {
        "owns_land": s("own_land").isin(["sole", "joint"]),
        "decides_food_crops": (s("participates_food_crops") == "yes")
        & s("input_food_crops").isin(["3", "4"]),
        "own_income": s("own_income") == "yes",
        "controls_income": (s("own_income") == "yes") & s("income_decider").isin(["self", "joint"]),
        "group_member": ~_tokens(resp["groups"]).map(lambda w: "none" in w),
        "leader": ~_tokens(resp["leader_positions"]).map(lambda w: "none" in w),
        "speaks_public": s("speak_water").isin(["4", "5"]),
        "territorial_planning": s("territorial_planning") == "yes",
        "training": ~_tokens(resp["training"]).map(lambda w: "none" in w),
        "promoter": s("promoter") == "yes",
        "has_mobile": s("has_mobile") == "yes",
        "bank_account": s("bank_account") == "yes",
        "work_hours": resp[list(WORK_COLUMNS)].astype(float).sum(axis=1),
    }
    derived["overworked"] = (
        derived["work_hours"] + 0.5 * resp[list(SECONDARY_COLUMNS)].astype(float).sum(axis=1)
    ) > 10.5
    for q, values in derived.items():
        got = np.asarray(values)[ok].astype(float)
        want = planted[q].to_numpy()[ok].astype(float)
        np.testing.assert_array_equal(got, want, err_msg=q)
    # Land title: own roster line on the title of at least one parcel of the household.
    parcels = t["parcels"]
    names = _tokens(parcels["parcel_title_names"])
    held = {
        (p, int(line)) for p, w in zip(parcels["_parent_index"], names, strict=True) for line in w
    }
    land = [(p, ln) in held for p, ln in zip(resp["_parent_index"], resp["line"], strict=True)]
    np.testing.assert_array_equal(np.asarray(land), planted["land_title"].to_numpy())
    # Roster-based quantities (asked of everyone, whatever the individual consent).
    roster = t["roster"].set_index(["_parent_index", "line"])
    rows = roster.reindex(pd.MultiIndex.from_arrays([resp["_parent_index"], resp["line"]]))
    np.testing.assert_array_equal(
        (_str(rows["has_dni"]) == "yes").to_numpy(), planted["has_dni"].to_numpy()
    )
    np.testing.assert_array_equal(
        (_str(rows["literate"]) == "yes").to_numpy(), planted["literate"].to_numpy()
    )
    # The respondent's sex is the roster's.
    assert (_str(rows["sex"]).to_numpy() == resp["sex"].to_numpy()).all()


def test_time_use_sums_to_24(synth):
    ind = synth.tables["individual"]
    asked = (_str(ind["ind_consent"]) == "yes").to_numpy()
    total = ind.loc[asked, TU_PRIMARY].astype(float).sum(axis=1)
    np.testing.assert_allclose(total, 24.0)
    assert ind.loc[~asked, TU_PRIMARY].isna().all().all()
    assert (ind.loc[asked, TU_PRIMARY].astype(float) >= 0).all().all()


def test_skip_logic(synth):
    t = synth.tables
    r = t["roster"]
    age = r["age"].astype(float)
    assert r.loc[age < 12, "marital"].isna().all() and r.loc[age >= 12, "marital"].notna().all()
    assert r.loc[age < 3, "education"].isna().all()
    assert r.loc[age < 6, ["literate", "main_activity"]].isna().all().all()
    no_dni = (_str(r["has_dni"]) == "no").to_numpy()
    assert r.loc[no_dni, "dni_number"].isna().all()
    assert r.loc[~no_dni, "dni_number"].astype("string").str.fullmatch(r"\d{8}").all()
    h = t["households"]
    no_credit = (_str(h["credit_any"]) != "yes").to_numpy()
    assert h.loc[no_credit, "credit_source"].isna().all()
    assert h.loc[~no_credit, "credit_source"].notna().all()
    refused = (_str(h["consent"]) == "no").to_numpy()
    assert (h.loc[refused, "hh_size"] == 0).all()
    assert not r["_parent_index"].isin(h.loc[refused, "_index"]).any()
    ind = t["individual"]
    part = (_str(ind["participates_wage"]) == "yes").to_numpy()
    assert ind.loc[~part, ["input_wage", "income_wage"]].isna().all().all()
    union = (_str(ind["resp_in_union"]) == "yes").to_numpy()
    vio = ["vio_consent", "vio_private", "vio_emotional", "vio_physical", "vio_sexual"]
    assert ind.loc[~union, vio + ["respect_from_spouse"]].isna().all().all()
    private = ((_str(ind["vio_consent"]) == "yes") & (_str(ind["vio_private"]) == "yes")).to_numpy()
    assert ind.loc[~private, ["vio_emotional", "vio_physical", "vio_sexual"]].isna().all().all()
    assert ind.loc[private, "vio_physical"].notna().all()
    mobile = (_str(ind["has_mobile"]) == "yes").to_numpy()
    assert ind.loc[~mobile, "mobile_internet"].isna().all()
    titled = (_str(t["parcels"]["parcel_titled"]) == "yes").to_numpy()
    assert t["parcels"].loc[~titled, "parcel_title_names"].isna().all()
    assert t["parcels"].loc[titled, "parcel_title_names"].notna().all()
    # resp_in_union is the roster marital status of the respondent's line.
    roster = r.set_index(["_parent_index", "line"])["marital"]
    lines = _str(ind["resp_line"]).astype(int)
    marital = _str(roster.reindex(pd.MultiIndex.from_arrays([ind["_parent_index"], lines])))
    assert (marital.isin(["married", "cohabiting"]).to_numpy() == union).all()


def test_item_nonresponse_is_realistic(synth):
    ind = synth.tables["individual"]
    consent = (_str(ind["ind_consent"]) == "yes").to_numpy()
    assert 0 < ind.loc[consent, "leisure_sat"].isna().mean() < 0.1
    assert 0 < synth.tables["parcels"]["parcel_area"].isna().mean() < 0.1


# ----------------------------------------------------------------------------- property
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(50, 130), seed=st.integers(0, 10_000))
def test_invariants_on_small_samples(n, seed):
    s = generate(n, seed=seed)
    t = s.tables
    main = t["households"]
    assert len(main) == n and main["hhid"].is_unique and main["_uuid"].is_unique
    assert s.design["households_sampled"].sum() == n
    assert (s.design["weight"] >= 1).all()
    for name in ("roster", "parcels", "individual"):
        assert t[name]["_parent_index"].isin(main["_index"]).all()
        assert t[name]["_index"].tolist() == list(range(1, len(t[name]) + 1))
    size = t["roster"].groupby("_parent_index").size()
    assert (main.set_index("_index")["hh_size"].reindex(size.index) == size).all()
    roles = t["individual"].groupby(["_parent_index", "resp_sex"], observed=True).size()
    assert roles.max() == 1
    ind = t["individual"]
    ok = (_str(ind["ind_consent"]) == "yes").to_numpy()
    np.testing.assert_allclose(ind.loc[ok, TU_PRIMARY].astype(float).sum(axis=1), 24.0)


def test_every_form_field_is_rendered_with_valid_codes(synth):
    form = synth.form
    tables = {"": "households", "roster": "roster", "parcels": "parcels"}
    tables["individual"] = "individual"
    for repeat, name in tables.items():
        table = synth.tables[name]
        fields = form.table_fields(repeat)
        missing = set(fields["name"]) - set(table.columns)
        assert not missing, (name, missing)
        for f in fields.itertuples():
            values = table[f.name].dropna()
            if f.type == "select_one":
                assert set(map(str, values)) <= set(form.codes(f.list_name)), f.name
            elif f.type == "select_multiple":
                tokens = set(" ".join(map(str, values)).split())
                assert tokens <= set(form.codes(f.list_name)), f.name
                # "none" is exclusive, as the form's constraint requires.
                assert not any("none" in str(v).split() and " " in str(v) for v in values)
            elif f.type in ("integer", "decimal"):
                assert pd.api.types.is_numeric_dtype(table[f.name].dtype), f.name
