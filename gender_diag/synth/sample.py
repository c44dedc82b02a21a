"""Stratified two-stage sample from a synthetic population, with its design file.

Stage 1: in each district (stratum h) ``k_h`` of the ``C_h`` communities are drawn by simple
random sampling without replacement (SRSWOR), so :math:`\\pi_{c} = k_h / C_h`. Stage 2: in
each sampled community ``m_c`` of its ``M_c`` households are drawn by SRSWOR,
:math:`\\pi_{i|c} = m_c / M_c`. The household weight is the inverse inclusion probability

.. math:: w_i = \\frac{1}{\\pi_c\\,\\pi_{i|c}} = \\frac{C_h}{k_h}\\,\\frac{M_c}{m_c},

and the finite-population corrections are the population sizes ``C_h`` (stage 1,
``fpc``) and ``M_c`` (stage 2, ``fpc2``), as R's ``svydesign(ids = ~community + hhid,
strata = ~district, fpc = ~fpc + fpc2)`` expects (Lumley 2010, *Complex Surveys*, §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gender_diag.errors import DesignError, bad_parameter
from gender_diag.synth.population import Population

DESIGN_COLUMNS = (
    "district",
    "community",
    "communities_total",
    "households_total",
    "households_sampled",
    "prob_community",
    "weight",
)


@dataclass(frozen=True)
class Sample:
    """A drawn sample.

    Attributes
    ----------
    households : DataFrame
        Sampled households in (district, community, pop_id) order: ``pop_id``, ``hhid``
        (``H00001``…), ``district``, ``community``, ``hh_type``, ``prob`` (inclusion
        probability), ``weight`` (= 1/prob).
    design : DataFrame
        One row per sampled community, columns :data:`DESIGN_COLUMNS` (contract
        ``design.csv``).
    """

    households: pd.DataFrame
    design: pd.DataFrame


def allocate(n_households: int, n_communities: int) -> np.ndarray:
    """Spread ``n`` households as evenly as possible over ``K`` communities.

    Examples
    --------
    >>> allocate(10, 4).tolist()
    [3, 3, 2, 2]
    """
    base, extra = divmod(n_households, n_communities)
    return base + (np.arange(n_communities) < extra).astype(np.int64)


def draw_sample(
    pop: Population,
    *,
    communities_per_district: int = 10,
    households_per_community: int | None = None,
    n_households: int | None = None,
    seed: int = 0,
) -> Sample:
    """Draw a stratified two-stage SRSWOR sample of households.

    Parameters
    ----------
    pop : Population
        From :func:`gender_diag.synth.population.population`.
    communities_per_district : int
        Communities drawn in each district (all of them when the district has fewer).
    households_per_community : int, optional
        Households drawn in each sampled community (all of them in a smaller community);
        default 15 unless ``n_households`` is given.
    n_households : int, optional
        Instead of ``households_per_community``: the total sample size, spread as evenly as
        possible over the sampled communities (in random order); every sampled community
        must then hold enough households.
    seed : int

    Returns
    -------
    Sample

    Examples
    --------
    >>> from gender_diag.synth.population import population
    >>> pop = population(n_households=2000, communities_per_district=6, seed=0)
    >>> s = draw_sample(pop, communities_per_district=4, households_per_community=10)
    >>> len(s.households), len(s.design)
    (120, 12)
    >>> d = s.design.iloc[0]
    >>> bool(np.isclose(d.weight, d.communities_total / 4 * d.households_total / 10))
    True
    """
    owner = "gender_diag.synth.draw_sample"
    if isinstance(communities_per_district, bool) or not (
        isinstance(communities_per_district, int | np.integer) and communities_per_district >= 1
    ):
        raise bad_parameter(
            "communities_per_district", owner, "an integer >= 1", communities_per_district
        )
    if households_per_community is not None and n_households is not None:
        raise bad_parameter(
            "households_per_community",
            owner,
            "None when n_households is given (give one of the two)",
            households_per_community,
        )
    rng = np.random.default_rng([seed, 2])
    comm = pop.communities
    # Stage 1: SRSWOR of communities within each district (a random permutation's head).
    keys = rng.random(len(comm))
    c_total = comm.groupby("district", sort=False)["community"].transform("size").to_numpy()
    rank = pd.Series(keys).groupby(comm["district"].to_numpy()).rank(method="first").to_numpy()
    k_h = np.minimum(communities_per_district, c_total)
    chosen = rank <= k_h
    design = comm.loc[chosen, ["district", "community", "households_total"]].copy()
    design["communities_total"] = c_total[chosen]
    design["prob_community"] = (k_h / c_total)[chosen]
    big_m = design["households_total"].to_numpy()
    if n_households is not None:
        if n_households < len(design) or n_households > big_m.sum():
            raise bad_parameter(
                "n_households",
                owner,
                f"between {len(design)} and {int(big_m.sum()):,} for this population",
                n_households,
            )
        # Random order so that the communities receiving one extra household vary by seed.
        m = np.empty(len(design), np.int64)
        m[rng.permutation(len(design))] = allocate(n_households, len(design))
        short = m > big_m
        if short.any():
            bad = design.loc[short, "community"].iloc[0]
            raise DesignError(
                f"Community {bad} holds fewer households than the {int(m[short][0])} to draw; "
                "draw a population with a larger min_households."
            )
    else:
        if households_per_community is None:
            households_per_community = 15
        if isinstance(households_per_community, bool) or not (
            isinstance(households_per_community, int | np.integer) and households_per_community >= 1
        ):
            raise bad_parameter(
                "households_per_community", owner, "an integer >= 1", households_per_community
            )
        m = np.minimum(households_per_community, big_m)
    design["households_sampled"] = m
    design["weight"] = 1.0 / (design["prob_community"].to_numpy() * m / big_m)

    # Stage 2: SRSWOR of households within each sampled community.
    hh = pop.households
    m_of = pd.Series(m, index=design["community"].to_numpy())
    in_sampled = hh["community"].isin(design["community"]).to_numpy()
    cand = hh.loc[in_sampled, ["pop_id", "district", "community", "hh_type"]]
    u = rng.random(len(cand))
    r = pd.Series(u).groupby(cand["community"].to_numpy()).rank(method="first").to_numpy()
    take = r <= m_of.reindex(cand["community"]).to_numpy()
    households = cand.loc[take].reset_index(drop=True)
    w = design.set_index("community")["weight"]
    households["weight"] = w.reindex(households["community"]).to_numpy()
    households["prob"] = 1.0 / households["weight"]
    width = max(5, len(str(len(households))))
    households.insert(1, "hhid", [f"H{i:0{width}d}" for i in range(1, len(households) + 1)])
    design = design[list(DESIGN_COLUMNS)].reset_index(drop=True)
    return Sample(households=households, design=design)
