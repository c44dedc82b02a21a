"""Action catalogue validation and the recommendation tables."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from gender_diag.errors import ConfigError
from gender_diag.prioritise import rank_gaps
from gender_diag.prioritise.fixtures import example_gap_table
from gender_diag.recommend import evidence_sentences, load_actions, recommend
from gender_diag.recommend.catalogue import parse_actions
from gender_diag.resources import catalogue_dir


@pytest.fixture(scope="module")
def gaps():
    return example_gap_table(seed=0, suppress=2)


@pytest.fixture(scope="module")
def ranking(gaps):
    return rank_gaps(gaps, draws=500, seed=1)


def test_every_top_gap_with_covered_domain_gets_an_action(gaps, ranking):
    cat = load_actions()
    covered = {d for a in cat.actions for d in a["match"].get("domains", [])}
    direct, indirect, unmatched = recommend(ranking, gaps, top_n=15, lang="es")
    top = ranking.table[ranking.table["rank"] <= 15]
    with_action = set(direct["gap_id"]) | set(indirect["gap_id"])
    for _, row in top.iterrows():
        if row["domain"] in covered:
            assert row["gap_id"] in with_action, row["gap_id"]
    assert unmatched.empty
    # every row carries its evidence, rank interval and sentences
    for frame in (direct, indirect):
        assert (
            frame[["estimate_f", "estimate_m", "n_f", "n_m", "rank", "rank_low"]]
            .notna()
            .all()
            .all()
        )
        assert frame["sentence_es"].str.contains("las mujeres").all()


def test_unmatched_gap_is_reported_not_dropped(gaps):
    odd = gaps.iloc[[0]].assign(
        gap_id="astro_sign|total|", indicator="astro_sign", domain="astrology",
        moser=None, harvard=None, rights=None, estimate_f=0.01, gap=0.01 - gaps.iloc[0]["estimate_m"],
    )  # fmt: skip
    g = pd.concat([gaps, odd], ignore_index=True)
    r = rank_gaps(g, draws=0, weights={"gap": 1, "parity": 0, "confidence": 0, "reach": 0,
                                       "severity": 0, "feasibility": 0, "leverage": 0})  # fmt: skip
    assert r.table.iloc[0]["gap_id"] == "astro_sign|total|"
    direct, indirect, unmatched = recommend(r, g, top_n=3)
    assert unmatched["gap_id"].tolist() == ["astro_sign|total|"]
    assert "astro_sign|total|" not in set(direct["gap_id"]) | set(indirect["gap_id"])
    assert unmatched["sentence_en"].iloc[0].startswith("In the surveyed districts")


def test_assignment_rule(gaps, ranking):
    direct, indirect, _ = recommend(ranking, gaps, top_n=93)
    kinds = (
        pd.concat([direct.assign(k="d"), indirect.assign(k="i")])
        .groupby("gap_id")["k"].agg(lambda s: "".join(sorted(set(s))))
    )  # fmt: skip
    # practical need outside the "both" domains -> direct only (mobile phones, SDG 5.b.1)
    assert kinds["mobile_phone|total|"] == "d"
    # strategic, structural gap in land -> both
    assert kinds["land_owner|total|"] == "di"
    # strategic gap in decisions -> indirect (policy), not in both_domains
    assert kinds["decides_health|total|"] == "i"


def test_direct_if_team_scores_high_feasibility(gaps):
    from gender_diag.prioritise import criteria_matrix  # noqa: F401

    scores = pd.DataFrame({"gap_id": ["decides_health|total|"], "feasibility": [5.0],
                           "leverage": [3.0]})  # fmt: skip
    r = rank_gaps(gaps, draws=0, team_scores=scores)
    direct, _, _ = recommend(r, gaps, top_n=93)
    assert "decides_health|total|" in set(direct["gap_id"])


def test_language_columns(gaps, ranking):
    d_all, i_all, _ = recommend(ranking, gaps, top_n=3)
    assert {"intervention_es", "intervention_fr", "intervention_en"} <= set(d_all.columns)
    assert {"proposal_es", "authority_fr", "alignment_en"} <= set(i_all.columns)
    d_fr, i_fr, _ = recommend(ranking, gaps, top_n=3, lang="fr")
    assert "intervention" in d_fr and "proposal" in i_fr
    assert i_fr["alignment"].str.startswith("PNIG OP").all()
    with pytest.raises(ValueError, match="'lang' parameter of recommend"):
        recommend(ranking, gaps, lang="de")


def test_labels_from_catalogue_mapping(gaps, ranking):
    labels = {"land_title_name": {"es": "Parcela titulada a su nombre", "fr": "Parcelle titrée",
                                  "en": "Plot titled in own name"}}  # fmt: skip
    d, _, _ = recommend(ranking, gaps, top_n=93, labels=labels)
    row = d[d["indicator"] == "land_title_name"].iloc[0]
    assert "Parcela titulada a su nombre" in row["sentence_es"]
    assert row["label_en"] == "Plot titled in own name"
    other = d[d["indicator"] == "land_owner"].iloc[0]
    assert other["label_es"] == "land_owner"  # falls back to the id


def test_sentence_means_use_decimal_comma():
    row = {"by": "district", "by_value": "Pomacanchi", "estimate_f": 11.84, "ci_low_f": 11.2,
           "ci_high_f": 12.46, "estimate_m": 9.1, "ci_low_m": 8.7, "ci_high_m": 9.5,
           "n_f": 140, "n_m": 132}  # fmt: skip
    s = evidence_sentences(row, label="horas de trabajo al día", proportion=False)
    assert s["es"] == (
        "En el distrito de Pomacanchi, horas de trabajo al día: 11,8 en promedio entre las "
        "mujeres (IC 95 %: 11,2–12,5) frente a 9,1 entre los hombres (IC 95 %: 8,7–9,5) "
        "(n = 140 y 132)."
    )
    assert "11.8 on average among women (95% CI: 11.2–12.5)" in s["en"]
    assert "11,8 en moyenne" in s["fr"]


def test_bundled_catalogue_valid_and_complete():
    cat = load_actions()
    assert {a["type"] for a in cat.actions} == {"direct", "indirect"}
    levels = {a["authority"]["level"] for a in cat.of_kind("indirect")}
    assert {"community_assembly", "district_municipality", "regional_government"} <= levels


def test_catalogue_errors_are_clear():
    raw = yaml.safe_load((catalogue_dir() / "actions.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(raw)
    bad["actions"][0]["type"] = "both"
    bad["actions"][1]["intervention"].pop("fr")
    bad["actions"][2]["id"] = bad["actions"][3]["id"]
    ind = next(a for a in bad["actions"] if a["type"] == "indirect")
    ind["authority"]["level"] = "president"
    ind["alignment"] = "OP9"
    bad["actions"][4]["match"] = {}
    with pytest.raises(ConfigError) as err:
        parse_actions(bad, source="actions.yaml")
    msg = str(err.value)
    assert "actions[1] (id 'D-LAND-JOINT-TITLE').type: must be direct or indirect" in msg
    assert "actions[2] (id 'D-ASSET-SAVINGS').intervention: needs a non-empty text" in msg
    assert "duplicated id" in msg
    assert "authority.level: must be one of" in msg
    assert "alignment: must be one of the pnig codes" in msg
    assert "match: needs at least one of" in msg


def _catalogue_indicators():
    ids = {}
    for path in sorted(catalogue_dir().glob("indicators*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for ind in raw.get("indicators", []):
            ids[ind["id"]] = ind
    return ids


def test_action_indicator_ids_exist_and_every_indicator_has_an_action():
    """Re-check the link with the indicator catalogue of this repository (same folder)."""
    from gender_diag.recommend.catalogue import match_level

    inds = _catalogue_indicators()
    if not inds:
        pytest.skip("no indicator catalogue in surveys/catalogue yet")
    cat = load_actions()
    listed = {i for a in cat.actions for i in a["match"].get("indicators", [])}
    assert listed - set(inds) == set(), "actions.yaml names indicator ids not in the catalogue"
    for iid, ind in inds.items():
        tags = {str(v).lower() for v in (ind.get("tags") or {}).values()}
        hits = [
            a["id"]
            for a in cat.actions
            if match_level(a, indicator=iid, domain=ind["domain"], tags=tags) is not None
        ]
        assert hits, f"indicator {iid} ({ind['domain']}) has no candidate action"


def test_place_labels_in_sentences(gaps, ranking):
    d, _, _ = recommend(ranking, gaps, top_n=93, place_labels={"sangarara": "Sangarará"})
    row = d[d["by_value"] == "sangarara"].iloc[0]
    assert row["sentence_es"].startswith("En el distrito de Sangarará,")
