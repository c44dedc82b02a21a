"""A finite population of Andean households with planted gender gaps of known size.

Every household has a primary woman and/or a primary man (dual-adult households have both).
For each of them the population holds the *planted quantities* — land title in own name,
input in decisions, own income and control over it, group membership, leadership, public
speaking, training, DNI, literacy, mobile phone, bank account, workload — drawn from a
logistic model with

.. math::

    \\operatorname{logit} P(x_{i} = 1) = \\operatorname{logit} p_{s} + a_{d} + u_{c} + h_{i}
        + [s = F]\\,(v_{d} + g_{c})

where :math:`p_s` is the base rate for sex :math:`s`, :math:`a_d \\sim N(0, 0.25^2)` a
district level, :math:`u_c \\sim N(0, 0.45^2)` a community level (the intra-cluster
correlation that makes design effects realistic), :math:`h_i \\sim N(0, 0.5^2)` a household
level shared by the woman and the man, and :math:`v_d \\sim N(0, 0.3^2)`,
:math:`g_c \\sim N(0, 0.3^2)` district and community shifts of the women's rate so that the
gap varies between districts and communities. The *truth* is the finite-population value
(the realised mean over all persons), not the model's expectation, so a design-unbiased
estimator from a sample drawn with :func:`gender_diag.synth.sample.draw_sample` is unbiased
for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.synth.form import load_form

DISTRICTS = ("acomayo", "pomacanchi", "sangarara")
#: The instrument's community list holds 15 communities per district (codes c01–c45).
MAX_COMMUNITIES = 15
HH_TYPES = ("dual", "female_only", "male_only")
HH_TYPE_P = (0.80, 0.15, 0.05)


@dataclass(frozen=True)
class Planted:
    """One planted quantity: base rate (or mean hours) for women and men, and its definition.

    ``given`` makes the quantity conditional (realised value = given AND draw, e.g. a leader
    is a group member); ``either`` makes it a union (realised = either OR draw).
    """

    name: str
    f: float
    m: float
    definition: str
    given: str = ""
    either: str = ""


#: Planted quantities, in the order they are drawn (conditions before what depends on them).
#: Definitions name the instrument variables they are rendered into (docs/contracts.md §1).
PLANTED: tuple[Planted, ...] = (
    Planted("land_title", 0.20, 0.52, "own roster line in parcel_title_names of >= 1 parcel"),
    Planted(
        "owns_land",
        0.40,
        0.50,
        "own_land in {sole, joint} (individual module)",
        either="land_title",
    ),
    Planted(
        "decides_food_crops",
        0.50,
        0.78,
        "participates_food_crops = yes and input_food_crops in {3, 4}",
    ),
    Planted("own_income", 0.42, 0.80, "own_income = yes"),
    Planted(
        "controls_income",
        0.72,
        0.95,
        "own_income = yes and income_decider in {self, joint}",
        given="own_income",
    ),
    Planted("group_member", 0.48, 0.62, "groups not 'none' (at least one group)"),
    Planted(
        "leader",
        0.15,
        0.42,
        "leader_positions not 'none' (a leader is always a group member)",
        given="group_member",
    ),
    Planted("speaks_public", 0.28, 0.66, "speak_water in {4, 5}"),
    Planted("territorial_planning", 0.18, 0.40, "territorial_planning = yes"),
    Planted("training", 0.25, 0.46, "training not 'none'"),
    Planted("promoter", 0.14, 0.20, "promoter = yes (a promoter received training)", "training"),
    Planted("has_dni", 0.93, 0.985, "has_dni = yes in the roster row of the person"),
    Planted("literate", 0.68, 0.93, "literate = yes in the roster row of the person"),
    Planted("has_mobile", 0.52, 0.86, "has_mobile = yes"),
    Planted("bank_account", 0.14, 0.31, "bank_account = yes"),
)
#: Mean (sd) hours of primary work in the previous 24 h, and of secondary activities.
WORK_HOURS = {"F": (10.6, 2.2), "M": (8.7, 2.0)}
SECONDARY_HOURS = {"F": 2.4, "M": 0.7}
WORK_COLUMNS = (
    "tu_farm",
    "tu_livestock",
    "tu_business",
    "tu_wage",
    "tu_domestic",
    "tu_care",
    "tu_water_fuel",
    "tu_community",
    "tu_commute",
)
SECONDARY_COLUMNS = ("tu2_care", "tu2_domestic", "tu2_farm", "tu2_livestock")
#: Continuous and derived quantities (rendered into the 24-hour time-use module).
DERIVED = {
    "work_hours": "sum of " + ", ".join(WORK_COLUMNS) + " (hours, primary activity)",
    "overworked": "work_hours + 0.5 * sum of " + ", ".join(SECONDARY_COLUMNS) + " > 10.5",
}
QUANTITIES = tuple(p.name for p in PLANTED) + tuple(DERIVED)


@dataclass(frozen=True)
class Population:
    """A finite population.

    Attributes
    ----------
    communities : DataFrame
        ``district``, ``community`` (code c01…), ``community_name``, ``households_total``.
    households : DataFrame
        ``pop_id`` (0…N−1), ``district``, ``community``, ``hh_type`` (dual, female_only,
        male_only).
    persons : DataFrame
        One row per primary woman or man: ``pop_id``, ``sex``, ``district``, ``community``
        and one column per quantity in :data:`QUANTITIES` (bool, or float hours), plus
        ``work_q`` and ``secondary_q`` (quarter hours, int16).
    seed : int
    """

    communities: pd.DataFrame
    households: pd.DataFrame
    persons: pd.DataFrame
    seed: int

    def truth(self) -> pd.DataFrame:
        """Finite-population values of the planted quantities by sex (see :func:`truth`)."""
        return truth(self)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1.0 - p))


def _check_int(name, value, low, high, owner="gender_diag.synth.population"):
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise bad_parameter(name, owner, f"an integer from {low} to {high:,}", value)


def community_sizes(
    n_households: int, n_communities: int, *, min_households: int, rng: np.random.Generator
) -> np.ndarray:
    """Split ``n_households`` over communities: ``min_households`` each plus a lognormal share.

    Examples
    --------
    >>> sizes = community_sizes(1000, 6, min_households=20, rng=np.random.default_rng(0))
    >>> int(sizes.sum()), bool(sizes.min() >= 20)
    (1000, True)
    """
    share = rng.lognormal(0.0, 0.6, n_communities)
    extra = rng.multinomial(n_households - n_communities * min_households, share / share.sum())
    return min_households + extra


def population(
    *,
    n_households: int = 5000,
    n_districts: int = 3,
    communities_per_district: int = MAX_COMMUNITIES,
    min_households: int = 10,
    seed: int = 0,
) -> Population:
    """Draw a finite population of communities, households and primary adults.

    Parameters
    ----------
    n_households : int
        Households in the population.
    n_districts : int
        Districts (strata), 1–3, taken in the order acomayo, pomacanchi, sangarara.
    communities_per_district : int
        Communities (PSUs) per district, 1–15 (the instrument lists 15 per district).
    min_households : int
        Smallest community size (a sample of ``m`` households per community needs ``m``).
    seed : int
        Seed; the same arguments give the same population.

    Returns
    -------
    Population

    Examples
    --------
    >>> pop = population(n_households=600, communities_per_district=4, seed=1)
    >>> len(pop.households), len(pop.communities), sorted(pop.persons["sex"].unique())
    (600, 12, ['F', 'M'])
    >>> int(pop.communities["households_total"].sum())
    600
    """
    owner = "gender_diag.synth.population"
    _check_int("n_districts", n_districts, 1, len(DISTRICTS), owner)
    _check_int("communities_per_district", communities_per_district, 1, MAX_COMMUNITIES, owner)
    _check_int("min_households", min_households, 1, 10_000_000, owner)
    n_comm = n_districts * communities_per_district
    _check_int("n_households", n_households, n_comm * min_households, 50_000_000, owner)
    _check_int("seed", seed, 0, 2**63 - 1, owner)
    rng = np.random.default_rng([seed, 1])

    # Communities: the instrument's codes c01..c45, 15 per district in district order.
    form = load_form()
    names = form.choices.loc[form.choices["list_name"] == "community"]
    d_idx = np.repeat(np.arange(n_districts), communities_per_district)
    c_pos = d_idx * MAX_COMMUNITIES + np.tile(np.arange(communities_per_district), n_districts)
    sizes = community_sizes(n_households, n_comm, min_households=min_households, rng=rng)
    communities = pd.DataFrame(
        {
            "district": np.asarray(DISTRICTS)[d_idx],
            "community": names["name"].to_numpy()[c_pos],
            "community_name": names["label::Español (es)"].to_numpy()[c_pos],
            "households_total": sizes.astype(np.int64),
        }
    )

    # Households.
    h_comm = np.repeat(np.arange(n_comm), sizes)
    h_type = rng.choice(3, size=n_households, p=HH_TYPE_P)
    households = pd.DataFrame(
        {
            "pop_id": np.arange(n_households, dtype=np.int64),
            # Categoricals keep a million-household population small and fast.
            "district": pd.Categorical.from_codes(d_idx[h_comm], DISTRICTS[:n_districts]),
            "community": pd.Categorical.from_codes(h_comm, communities["community"]),
            "hh_type": pd.Categorical.from_codes(h_type, HH_TYPES),
        }
    )

    # Persons: the primary woman (dual, female_only) then the primary man (dual, male_only).
    has_f = h_type != 2
    has_m = h_type != 1
    p_hh = np.concatenate([np.flatnonzero(has_f), np.flatnonzero(has_m)])
    p_female = np.concatenate([np.ones(has_f.sum(), bool), np.zeros(has_m.sum(), bool)])
    order = np.lexsort((~p_female, p_hh))
    p_hh, p_female = p_hh[order], p_female[order]
    n_p = len(p_hh)
    p_comm = h_comm[p_hh]
    p_dist = d_idx[p_comm]

    data: dict[str, np.ndarray] = {}
    for q in PLANTED:
        a_d = rng.normal(0.0, 0.25, n_districts)
        u_c = rng.normal(0.0, 0.45, n_comm)
        v_d = rng.normal(0.0, 0.30, n_districts)
        g_c = rng.normal(0.0, 0.30, n_comm)
        h_i = rng.normal(0.0, 0.50, n_households)
        base = np.where(p_female, _logit(q.f), _logit(q.m))
        eta = base + a_d[p_dist] + u_c[p_comm] + h_i[p_hh] + p_female * (v_d[p_dist] + g_c[p_comm])
        x = rng.random(n_p) < _expit(eta)
        if q.given:
            x &= data[q.given]
        if q.either:
            x |= data[q.either]
        data[q.name] = x

    # Workload: primary work hours (quarter hours, 1–16 h) and secondary hours (0–8 h).
    mean = np.where(p_female, WORK_HOURS["F"][0], WORK_HOURS["M"][0])
    sd = np.where(p_female, WORK_HOURS["F"][1], WORK_HOURS["M"][1])
    shift = rng.normal(0.0, 0.8, n_comm)[p_comm] + rng.normal(0.0, 0.5, n_districts)[p_dist]
    z = rng.standard_normal(n_p)
    work_q = np.clip(np.rint((mean + shift + sd * z) * 4), 4, 64).astype(np.int16)
    sec_mean = np.where(p_female, SECONDARY_HOURS["F"], SECONDARY_HOURS["M"])
    sec_q = np.clip(np.rint(rng.gamma(1.5, sec_mean / 1.5) * 4), 0, 32).astype(np.int16)
    data["work_hours"] = work_q / 4.0
    data["overworked"] = (work_q / 4.0 + 0.5 * sec_q / 4.0) > 10.5

    persons = pd.DataFrame(
        {
            "pop_id": p_hh.astype(np.int64),
            "sex": pd.Categorical.from_codes((~p_female).astype(np.int8), ["F", "M"]),
            "district": pd.Categorical.from_codes(p_dist, DISTRICTS[:n_districts]),
            "community": pd.Categorical.from_codes(p_comm, communities["community"]),
            **data,
            "work_q": work_q,
            "secondary_q": sec_q,
        }
    )
    return Population(communities=communities, households=households, persons=persons, seed=seed)


def definitions() -> dict[str, str]:
    """Quantity → how it is read from the instrument's variables."""
    return {p.name: p.definition for p in PLANTED} | DERIVED


def truth(pop: Population, *, by: tuple[str, ...] = ("district",)) -> pd.DataFrame:
    """Finite-population values of the planted quantities, by sex, in total and by district.

    Parameters
    ----------
    pop : Population
    by : tuple of str
        Extra breakdowns besides the total (columns of ``pop.persons``).

    Returns
    -------
    DataFrame
        ``quantity, by, by_value, sex, value, persons, gap, definition``: ``value`` is the
        population mean over the primary adults of that sex (a proportion for yes/no
        quantities, hours for ``work_hours``); ``gap`` = value(F) − value(M), repeated on
        both rows; ``by`` is ``"total"`` (``by_value`` ``""``) or the breakdown column.

    Examples
    --------
    >>> pop = population(n_households=300, communities_per_district=2, seed=3)
    >>> t = truth(pop)
    >>> row = t[(t.quantity == "has_dni") & (t.by == "total")].set_index("sex")
    >>> women = pop.persons[pop.persons.sex == "F"]
    >>> bool(row.loc["F", "value"] == women["has_dni"].mean())
    True
    """
    cols = list(QUANTITIES)
    p = pop.persons
    frames = []
    for key in ("total", *by):
        group = ["sex"] if key == "total" else [key, "sex"]
        grouped = p.groupby(group, observed=True)
        wide = grouped[cols].mean()
        wide["persons"] = grouped.size()
        wide = wide.reset_index()
        wide[group] = wide[group].astype(str)
        long = wide.melt(id_vars=[*group, "persons"], value_vars=cols, var_name="quantity")
        long["by"] = key
        long["by_value"] = "" if key == "total" else long[key]
        frames.append(long[["quantity", "by", "by_value", "sex", "value", "persons"]])
    out = pd.concat(frames, ignore_index=True)
    wide = out.pivot_table(
        index=["quantity", "by", "by_value"], columns="sex", values="value", observed=True
    )
    gap = (wide["F"] - wide["M"]).rename("gap")
    out = out.join(gap, on=["quantity", "by", "by_value"])
    out["definition"] = out["quantity"].map(definitions())
    order = {q: i for i, q in enumerate(QUANTITIES)}
    out["_o"] = out["quantity"].map(order)
    out["_b"] = out["by"] != "total"
    out = out.sort_values(["_o", "_b", "by", "by_value", "sex"], kind="stable")
    out = out.drop(columns=["_o", "_b"])
    return out.reset_index(drop=True)
