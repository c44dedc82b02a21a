"""Truncated-ratio gap index; WEF Global Gender Gap Index 2015 reproduced from its tables."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gender_diag.indices import gggi, load_wef_weights, wef_gggi

DATA = Path(__file__).parents[1] / "data" / "wef_gggr2015"
FILES = {
    "labour_force_participation": "Labour-force-participation.csv",
    "wage_equality": "Wage-equality-survey.csv",
    "estimated_earned_income": "Estimated-earned-income.csv",
    "legislators_managers": "Legislators,-senior-officials-and-managers.csv",
    "professional_technical": "Professional-and-technical-workers.csv",
    "literacy": "Literacy-rate.csv",
    "primary_enrolment": "Enrolment-in-primary-education.csv",
    "secondary_enrolment": "Enrolment-in-secondary-education.csv",
    "tertiary_enrolment": "Enrolment-in-tertiary-education.csv",
    "sex_ratio_at_birth": "Sex-ratio-at-birth.csv",
    "healthy_life_expectancy": "Healthy-life-expectancy.csv",
    "women_parliament": "Women-in-parliament.csv",
    "women_ministers": "Women-in-ministerial-positions.csv",
    "female_head_of_state_years": "Years-with-female-head-of-state.csv",
}
# Column holding the untruncated F/M ratio (0-based). Estimated earned income: the ratio of
# the incomes capped at $40 000 (column 5). Sex ratio at birth: F/M (column 2).
RATIO_COLUMN = {"wage_equality": 2, "estimated_earned_income": 5, "sex_ratio_at_birth": 2}
SPELLING = {"Cote d'Ivoire": "Côte d'Ivoire", "Syrian Arab Republic": "Syria"}
N_COUNTRIES = 145
# WEF 2015 prints ratios with 2 decimals, so a weighted mean of them is within 0.005 of WEF's
# (methods.md §4); scores are printed with 3 decimals.
TOL = 0.005


def _name(raw: str) -> str:
    name = raw.strip().rstrip("*")
    return SPELLING.get(name, name)


def _number(text: str) -> float:
    return np.nan if text.strip() in {"—", ""} else float(text)


def _ratios() -> pd.DataFrame:
    columns = {}
    for key, file in FILES.items():
        with open(DATA / file, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        j = RATIO_COLUMN.get(key, 3)
        columns[key] = pd.Series({_name(r[0]): _number(r[j]) for r in rows})
    return pd.DataFrame(columns)


def _published() -> pd.DataFrame:
    g = pd.read_csv(DATA / "global-index.csv", header=None).iloc[:, :11]
    g.columns = [
        "country",
        "rank",
        "overall",
        "r_e",
        "economic",
        "r_ed",
        "education",
        "r_h",
        "health",
        "r_p",
        "political",
    ]
    g["country"] = g["country"].map(_name)
    return g.set_index("country")[["economic", "education", "health", "political", "overall"]]


def test_wef_2015_subindexes_and_overall():
    # WEF (2015) The Global Gender Gap Report 2015, overall and subindex rankings
    published = _published()
    ratios = _ratios()
    assert len(published) == N_COUNTRIES
    assert set(published.index) <= set(ratios.index)  # every country found in every file
    ours = wef_gggi(ratios).reindex(published.index)
    assert ours.notna().all().all()
    diff = (ours - published).abs()
    assert len(diff) == N_COUNTRIES
    assert (diff.max() <= TOL).all(), diff.max()


def test_health_ceiling_is_not_rescaled():
    # sex ratio truncated at 0.944, healthy life expectancy at 1.06: best score 0.980
    r = pd.DataFrame({"sex_ratio_at_birth": [0.99], "healthy_life_expectancy": [1.2]})
    out = wef_gggi(r.assign(**{k: 1.0 for k in FILES if k not in r.columns}))
    assert out["health"].iloc[0] == pytest.approx(0.693 * 0.944 + 0.307 * 1.06)


def test_truncation_and_renormalisation_by_hand():
    r = pd.DataFrame({"a": [0.5, 1.3, np.nan], "b": [1.2, 0.4, np.nan], "c": [np.nan, 1, 1]})
    out = gggi(r, {"a": 0.5, "b": 0.3, "c": 0.2}, benchmarks={"c": 0.9})
    # row 0: c missing → (0.5·0.5 + 0.3·1)/0.8; row 1: (0.5·1 + 0.3·0.4 + 0.2·0.9)/1;
    # row 2: only c → 0.9
    assert out.tolist() == pytest.approx([0.55 / 0.8, 0.8, 0.9])


def test_weights_preset_is_data():
    w = load_wef_weights()
    assert w.groupby("subindex")["weight"].sum().round(3).to_dict() == {
        "economic": 1.0,
        "education": 1.001,
        "health": 1.0,
        "political": 1.0,
    }
    assert w.set_index("indicator").loc["sex_ratio_at_birth", "benchmark"] == 0.944
    assert w[["label_es", "label_fr", "label_en"]].notna().all().all()
