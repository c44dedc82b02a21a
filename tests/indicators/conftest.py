"""A small random survey shaped like docs/contracts.md §1–2, for tests that cannot wait for
the synthetic generator. Values are random; tests compare compute_indicators with direct
SurveyDesign calls on the same data, never with hard-coded numbers from this generator."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

DISTRICTS = ("acomayo", "pomacanchi", "sangarara")
ACTS = ("food_crops", "cash_crops", "livestock", "nonfarm", "wage", "fishing_forest")
ASSETS = ("land", "large_livestock", "small_livestock", "farm_equipment", "nonfarm_equipment",
          "house", "durables", "mobile", "transport")  # fmt: skip
MULTI = {
    "groups": ("producers", "water_users", "credit_savings", "mutual_help", "religious",
               "womens_org", "civic", "none"),
    "leader_positions": ("community_board", "water_committee", "producers_assoc", "womens_org",
                         "none"),
    "training": ("agroecology", "natural_resources", "water_management", "business",
                 "leadership", "none"),
}  # fmt: skip


def _pick(rng, codes, n, p=None):
    return rng.choice(np.array(codes, dtype=object), size=n, p=p)


def _multi(rng, name, codes, n, p=0.3):
    return {f"{name}__{c}": pd.array(rng.random(n) < p, dtype="boolean") for c in codes}


def make_toy_survey(seed: int = 1, communities_per_district: int = 4, hh_per_community: int = 8):
    rng = np.random.default_rng(seed)
    comm = [(d, f"c{d[:2]}{k}") for d in DISTRICTS for k in range(communities_per_district)]
    hh_rows = []
    for d, c in comm:
        for _ in range(hh_per_community):
            hh_rows.append((d, c))
    n = len(hh_rows)
    hh = pd.DataFrame(hh_rows, columns=["district", "community"])
    hh.insert(0, "hhid", [f"H{i:05d}" for i in range(1, n + 1)])
    hh["weight"] = np.repeat(rng.uniform(20, 60, len(comm)), hh_per_community)
    hh["fpc"] = 30
    hh["program_participant"] = _pick(rng, ["yes", "no"], n)
    hh["credit_any"] = _pick(rng, ["yes", "no"], n)
    hh = pd.concat([hh, pd.DataFrame(_multi(rng, "assets_major", [
        "cattle", "alpacas_llamas", "sheep", "plough_oxen", "irrigation_kit", "house_town",
        "motorcycle", "truck"], n))], axis=1)  # fmt: skip
    design_cols = ["district", "community", "weight", "fpc"]
    # members: head F or M, spouse of the other sex, 0-3 children
    mem = []
    for _, row in hh.iterrows():
        head_sex = "F" if rng.random() < 0.3 else "M"
        mem.append((row.hhid, 1, head_sex, int(rng.integers(20, 80)), "head"))
        mem.append((row.hhid, 2, "M" if head_sex == "F" else "F", int(rng.integers(18, 80)),
                    "spouse"))  # fmt: skip
        for k in range(int(rng.integers(0, 4))):
            mem.append((row.hhid, 3 + k, _pick(rng, ["F", "M"], 1)[0], int(rng.integers(0, 30)),
                        "child"))  # fmt: skip
    members = pd.DataFrame(mem, columns=["hhid", "line", "sex", "age", "relation"])
    m = len(members)
    members["age"] = members["age"].astype(float)
    members.loc[rng.random(m) < 0.03, "age"] = np.nan  # a few unknown ages
    members["marital"] = _pick(rng, ["married", "cohabiting", "single", "widowed"], m)
    members["education"] = _pick(rng, ["none", "primary_incomplete", "primary",
                                       "secondary_incomplete", "secondary", "higher"], m)  # fmt: skip
    members["literate"] = _pick(rng, ["yes", "no"], m, p=[0.8, 0.2])
    members["mother_tongue"] = _pick(rng, ["quechua", "spanish"], m, p=[0.7, 0.3])
    members["has_dni"] = _pick(rng, ["yes", "no"], m, p=[0.85, 0.15])
    members["health_insurance"] = _pick(rng, ["sis", "essalud", "other", "none"], m)
    members["main_activity"] = _pick(rng, ["agriculture", "livestock", "domestic_work"], m)
    members = members.merge(hh[["hhid", *design_cols]], on="hhid")
    # parcels
    par = []
    for hid in hh.hhid:
        for k in range(int(rng.integers(0, 4))):
            par.append((hid, k + 1))
    parcels = pd.DataFrame(par, columns=["hhid", "parcel"])
    p = len(parcels)
    parcels["parcel_area"] = rng.uniform(0.1, 3, p)
    parcels["parcel_titled"] = _pick(rng, ["yes", "no"], p)
    for q in ("parcel_owners", "parcel_title_names", "parcel_decider"):
        for line in (1, 2, 3):
            v = pd.array(rng.random(p) < 0.5, dtype="boolean")
            if q == "parcel_title_names":
                v[parcels["parcel_titled"].to_numpy() == "no"] = pd.NA
            parcels[f"{q}__{line}"] = v
    parcels = parcels.merge(hh[["hhid", *design_cols]], on="hhid")
    # respondents: the head and the spouse
    resp = members.loc[members["line"] <= 2, ["hhid", "line", "sex", "age", "marital",
                                              "education", "literate", "mother_tongue",
                                              *design_cols]].reset_index(drop=True)  # fmt: skip
    r = len(resp)
    female = (resp["sex"] == "F").to_numpy()
    resp["resp_role"] = np.where(female, "primary_female", "primary_male")
    for a in ACTS:
        part = rng.random(r) < 0.6
        resp[f"participates_{a}"] = np.where(part, "yes", "no")
        inp = rng.integers(1, 5, r).astype(float) + female * 0  # planted gap below
        resp[f"input_{a}"] = np.where(part, inp, np.nan)
        resp[f"income_{a}"] = np.where(part, rng.integers(1, 5, r).astype(float), np.nan)
    for x in ASSETS:
        resp[f"own_{x}"] = _pick(rng, ["none_in_hh", "no", "sole", "joint"], r)
    # planted gap: women own land less often
    resp.loc[female & (rng.random(r) < 0.4), "own_land"] = "no"
    for s in ("ngo", "informal", "formal", "group"):
        resp[f"credit_{s}"] = _pick(rng, ["none_in_hh", "self", "joint", "other_member"], r)
    for name, codes in MULTI.items():
        resp = pd.concat([resp, pd.DataFrame(_multi(rng, name, codes, r))], axis=1)
    resp["groups_active_member"] = _pick(rng, ["yes", "no"], r)
    for t in ("infrastructure", "authorities", "water"):
        resp[f"speak_{t}"] = rng.integers(1, 6, r).astype(float)
    work = {"tu_farm": 3, "tu_livestock": 2, "tu_business": 0.5, "tu_wage": 1, "tu_domestic": 2,
            "tu_care": 1.5, "tu_water_fuel": 1, "tu_commute": 0.5, "tu_community": 0.3,
            "tu_school": 0.1, "tu_other": 0.2, "tu_leisure": 2.5, "tu_personal": 1.4}  # fmt: skip
    for k, v in work.items():
        resp[k] = np.round(rng.gamma(2.0, v / 2.0, r), 1)
    resp["tu_domestic"] += female * 2.0  # planted gap: women's domestic work
    resp["tu_sleep"] = 24 - resp[list(work)].sum(axis=1)
    for k in ("tu2_care", "tu2_domestic", "tu2_farm", "tu2_livestock"):
        resp[k] = np.round(rng.uniform(0, 1.5, r), 1)
    resp["leisure_sat"] = rng.integers(1, 11, r).astype(float)
    for k in ("rai_external", "rai_introjected", "rai_autonomous"):
        resp[k] = rng.integers(1, 5, r).astype(float)
    for k in range(1, 9):
        resp[f"gse_{k}"] = rng.integers(1, 6, r).astype(float)
    for k in ("goes_out", "neglects_children", "argues", "refuses_sex", "burns_food"):
        resp[f"ipv_att_{k}"] = _pick(rng, ["yes", "no", "dk"], r, p=[0.15, 0.8, 0.05])
    in_union = resp["marital"].isin(["married", "cohabiting"]).to_numpy()
    for k in ("respect_from_spouse", "respect_to_spouse", "trust_spouse", "disagree_spouse"):
        resp[k] = np.where(in_union, _pick(rng, ["yes", "no"], r, p=[0.8, 0.2]), None)
    for k in ("market", "family", "health", "municipality"):
        resp[f"visit_{k}"] = _pick(rng, ["never", "less_monthly", "monthly", "weekly", "daily"], r)
    for k in ("health", "purchases", "visits"):
        resp[f"decide_{k}"] = _pick(rng, ["self", "joint", "spouse", "other"], r)
    resp["own_income"] = _pick(rng, ["yes", "no"], r)
    resp["income_decider"] = np.where(
        resp["own_income"] == "yes", _pick(rng, ["self", "joint", "spouse", "other"], r), None
    )
    for k in ("territorial_planning", "participatory_budget", "promoter", "has_mobile",
              "bank_account"):  # fmt: skip
        resp[k] = _pick(rng, ["yes", "no"], r)
    resp["say_natural_resources"] = rng.integers(1, 5, r).astype(float)
    resp["mobile_internet"] = np.where(resp["has_mobile"] == "yes", _pick(rng, ["yes", "no"], r),
                                       None)  # fmt: skip
    resp["vio_consent"] = np.where(in_union, _pick(rng, ["yes", "no"], r, p=[0.9, 0.1]), None)
    resp["vio_private"] = np.where(in_union, "yes", None)
    asked = in_union & (resp["vio_consent"] == "yes").to_numpy()
    for k in ("emotional", "physical", "sexual"):
        resp[f"vio_{k}"] = np.where(
            asked, _pick(rng, ["never", "before_12m", "last_12m"], r, p=[0.7, 0.2, 0.1]), None
        )
    tables = {"households": hh, "members": members, "parcels": parcels, "respondents": resp}
    design = dict(weight="weight", strata="district", psu="community", fpc="fpc", ssu=None,
                  fpc2=None)  # fmt: skip
    return SimpleNamespace(tables=tables, design=design)


@pytest.fixture(scope="session")
def toy_survey():
    return make_toy_survey()
