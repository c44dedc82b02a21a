"""One priority per concept: hand-checked collapse of a ranking and its invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.indicators import load_catalogue
from gender_diag.prioritise import rank_gaps
from gender_diag.prioritise.concepts import concept_map, concept_priorities
from gender_diag.prioritise.fixtures import example_gap_table


def _table(rows):
    cols = ["rank", "gap_id", "indicator", "by", "by_value", "crit_gap", "ci_excludes_zero"]
    return pd.DataFrame(rows, columns=cols)


def test_hand_checked_collapse():
    # ipv ever and ipv 12 months are one concept; hours and share of unpaid work another
    t = _table(
        [
            (1, "ipv12|district|p", "ipv12", "district", "p", 0.39, True),
            (2, "ipvever|district|a", "ipvever", "district", "a", 0.48, True),
            (3, "tp|total|", "tp", "total", "", 0.49, True),
            (4, "ipv12|total|", "ipv12", "total", "", 0.27, True),
            (5, "ipv12|district|a", "ipv12", "district", "a", 0.26, True),
            (6, "ipv12|district|s", "ipv12", "district", "s", 0.05, False),  # CI includes 0
            (7, "hours|total|", "hours", "total", "", 4.2, True),
            (7, "share|total|", "share", "total", "", 0.17, True),  # tied with hours
            (9, "land|district|a", "land", "district", "a", -0.1, True),  # women better off
        ]
    )
    concepts = {"ipvever": "ipv", "ipv12": "ipv", "hours": "unpaid", "share": "unpaid"}
    p = concept_priorities(t, concepts)
    assert p["concept"].tolist() == ["ipv", "tp", "unpaid", "land"]
    assert p["priority"].tolist() == [1, 2, 3, 4]  # whole numbers, one per concept
    assert p["gap_id"].tolist() == [
        "ipv12|district|p",
        "tp|total|",
        "hours|total|",
        "land|district|a",
    ]
    # places where women are significantly worse off on the same indicator, best first
    assert p.loc[0, "places"] == "p;a"
    assert p.loc[0, "related"] == "ipvever"
    assert p.loc[0, "n_gaps"] == 5
    assert p.loc[2, "related"] == "share"
    assert p.loc[3, "places"] == ""  # the only place is one where women are better off


def test_ties_between_concepts_share_the_priority():
    t = _table(
        [
            (1, "a|total|", "a", "total", "", 0.3, True),
            (1, "b|total|", "b", "total", "", 0.3, True),
            (3, "c|total|", "c", "total", "", 0.1, True),
        ]
    )
    assert concept_priorities(t)["priority"].tolist() == [1, 1, 3]


def test_suppressed_rows_are_never_priorities():
    t = _table(
        [(1, "a|total|", "a", "total", "", 0.3, True), (2, "b|total|", "b", "total", "", 0.2, True)]
    )
    t["suppressed"] = [True, False]
    assert concept_priorities(t)["indicator"].tolist() == ["b"]


def test_catalogue_groups_workload_items_with_time_poverty():
    concepts = concept_map(load_catalogue().to_frame())
    assert concepts["time_poverty"] == concepts["adequacy_workload"] == concepts["work_hours"]
    assert concepts["unpaid_care_hours"] == concepts["unpaid_care_share"]
    assert concepts["ipv_ever"] == concepts["ipv_any_12m"]
    assert concepts["has_dni"] == "has_dni"  # no concept given: its own


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), groups=st.integers(1, 4))
def test_every_concept_once_in_rank_order(seed, groups):
    gaps = example_gap_table(n_indicators=6, seed=seed % 50)
    table = rank_gaps(gaps, draws=0).table
    ids = sorted(set(table["indicator"]))
    concepts = {i: f"c{k % groups}" for k, i in enumerate(ids)}
    p = concept_priorities(table, concepts)
    assert sorted(p["concept"]) == sorted(set(concepts.values()))
    assert p["priority"].is_monotonic_increasing
    assert np.issubdtype(p["priority"].dtype, np.integer)
    # each representative is its concept's best-ranked gap
    best = table.assign(c=table["indicator"].map(concepts)).groupby("c")["rank"].min()
    assert (p.set_index("concept")["rank"] == best.reindex(p["concept"]).to_numpy()).all()
