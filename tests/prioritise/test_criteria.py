"""Criteria values, criteria.yaml validation, and the team scoring sheet round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from gender_diag.errors import ConfigError
from gender_diag.prioritise import (
    criteria_matrix,
    load_criteria,
    read_team_scores,
    write_team_template,
)
from gender_diag.prioritise.criteria import parse_criteria
from gender_diag.prioritise.fixtures import example_gap_table


def test_orientation_and_sizes(three_gaps):
    g = three_gaps.copy()
    g.loc[2, ["direction", "estimate_f", "estimate_m", "gap"]] = ["higher_worse", 0.3, 0.1, 0.2]
    m = criteria_matrix(g)
    np.testing.assert_allclose(m["gap"], [0.4, 0.2, 0.2])  # all: women worse off
    np.testing.assert_allclose(m["parity"], [math.log(3), math.log(5 / 3), math.log(3)])
    np.testing.assert_allclose(m["confidence"], [0.8, 0.99, 0.5])
    assert m["ci_excludes_zero"].tolist() == [True, True, False]
    assert (m["feasibility"] == 3).all() and not m["team_scored"].any()


def test_means_use_relative_difference():
    g = pd.DataFrame(
        {"gap_id": ["h|total|"], "indicator": ["h"], "by": "total", "by_value": "",
         "estimate_f": [12.0], "estimate_m": [9.0], "gap": [3.0], "direction": "higher_worse",
         "domain": "time_use", "type": "mean"}
    )  # fmt: skip
    assert criteria_matrix(g)["gap"].iloc[0] == pytest.approx(0.25)  # 3 / max(12, 9)


def test_severity_rights_areas_and_sensitive(three_gaps):
    cfg = load_criteria()
    g = three_gaps.assign(
        rights=["economic", "civil_political; environmental", None],
        domain=["land", "water", "violence"],
        sensitive=[False, False, True],
    )
    sev = cfg.severity
    m = criteria_matrix(g, config=cfg)
    expected = [
        sev["rights"]["economic"] * sev["areas"]["land"],
        max(sev["rights"]["civil_political"], sev["rights"]["environmental"])
        * sev["areas"]["water"],
        sev["rights_default"] * max(sev["areas"]["violence"], sev["sensitive"]),
    ]
    np.testing.assert_allclose(m["severity"], expected)


def test_bundled_criteria_file_is_valid():
    cfg = load_criteria()
    assert cfg.names == [
        "gap", "parity", "confidence", "reach", "severity", "feasibility", "leverage"
    ]  # fmt: skip
    assert cfg.weights.sum() == pytest.approx(1.0)
    assert all(set(c.labels) == {"es", "fr", "en"} for c in cfg.criteria.values())


def test_criteria_yaml_errors_are_all_reported(crit):
    bad = {
        "criteria": {
            "gap": crit(-1),
            "reach": {**crit(0.5), "normalisation": "zscore"},
            "beauty": crit(0.5),
            "severity": {**crit(0.5), "name": {"es": "gravedad"}},
            "confidence": crit(0.2, "fixed", None),
        },
        "robustness": {"concentration": 0},
    }
    with pytest.raises(ConfigError) as err:
        parse_criteria(bad, source="criteria.yaml")
    msg = str(err.value)
    for part in (
        "criteria.gap.weight",
        "criteria.reach.normalisation",
        "criteria.beauty: unknown criterion",
        "criteria.severity.name: needs a text in each of es, fr, en",
        "criteria.confidence.range",
        "robustness.concentration",
    ):
        assert part in msg


def test_override_weights_validated():
    cfg = load_criteria()
    with pytest.raises(ConfigError, match="unknown criterion 'size'"):
        cfg.with_weights({"size": 1})
    with pytest.raises(ConfigError, match="at least one weight"):
        cfg.with_weights(dict.fromkeys(cfg.names, 0))


# ---------------------------------------------------------------------------- team sheet
@pytest.fixture
def gaps():
    return example_gap_table(n_indicators=4, districts=("acomayo",), seed=0, suppress=1)


def _fill(path, values):
    """values: list of (feasibility, leverage) per data row (None = leave empty)."""
    wb = load_workbook(path)
    ws = wb["scores"]
    for i, (f, lev) in enumerate(values, start=2):
        ws.cell(row=i, column=11, value=f)
        ws.cell(row=i, column=12, value=lev)
    wb.save(path)


def test_template_round_trip(tmp_path, gaps):
    path = write_team_template(gaps, tmp_path / "t.xlsx", lang="es", labels={
        "land_title_name": {"es": "Título a su nombre", "fr": "Titre", "en": "Title"}})  # fmt: skip
    wb = load_workbook(path)
    ws = wb["scores"]
    assert ws["A1"].value == "id de brecha" and ws["K1"].value == "factibilidad (1–5)"
    assert ws["B2"].value == "Título a su nombre"
    n = ws.max_row - 1
    assert n == len(gaps) - 1  # the suppressed row is not offered for scoring
    dv = ws.data_validations.dataValidation
    assert dv and dv[0].formula1 == '"1,2,3,4,5"'
    assert {str(r) for r in dv[0].sqref.ranges} == {f"K2:K{n + 1}", f"L2:L{n + 1}"}
    assert "instructions" in wb.sheetnames
    _fill(path, [(5, 4)] + [(3, 3)] * (n - 1))
    scores = read_team_scores(path, gaps)
    assert len(scores) == n
    assert scores.iloc[0][["feasibility", "leverage"]].tolist() == [5.0, 4.0]
    m = criteria_matrix(gaps, team_scores=scores)
    first = gaps["gap_id"].iloc[0]
    assert m.loc[gaps["gap_id"] == first, "feasibility"].iloc[0] == 5.0
    assert m["team_scored"].sum() == n


def test_french_headers_are_read(tmp_path, gaps):
    path = write_team_template(gaps, tmp_path / "t.xlsx", lang="fr")
    n = load_workbook(path)["scores"].max_row - 1
    _fill(path, [(2, 2)] * n)
    assert (read_team_scores(path, gaps)["feasibility"] == 2).all()


def test_team_score_errors_collected(tmp_path, gaps):
    path = write_team_template(gaps, tmp_path / "t.xlsx", lang="en")
    n = load_workbook(path)["scores"].max_row - 1
    _fill(path, [(None, 3), (7, 3), ("alta", 3.5)] + [(3, 3)] * (n - 3))
    wb = load_workbook(path)
    ws = wb["scores"]
    ws.cell(row=5, column=1, value="nonexistent|total|")  # unknown id (its gap now absent)
    ws.cell(row=6, column=1, value=ws.cell(row=7, column=1).value)  # duplicate of row 7
    wb.save(path)
    with pytest.raises(ConfigError) as err:
        read_team_scores(path, gaps)
    p = err.value.problems
    rules = p.set_index(["row", "column"])["rule"].to_dict()
    assert rules[(2, "K")] == "missing_score"
    assert rules[(3, "K")] == "out_of_range"
    assert rules[(4, "K")] == "not_numeric"
    assert rules[(4, "L")] == "out_of_range"
    assert rules[(5, "A")] == "unknown_gap_id"
    assert "duplicate_gap_id" in set(p["rule"])
    assert (p["rule"] == "missing_row").sum() == 2  # rows 5 and 6 lost their own gap ids
    msg = str(err.value)
    assert "t.xlsx, sheet 'scores', row 3, column K" in msg and "Fix:" in msg


def test_missing_scores_may_default_to_neutral(tmp_path, gaps):
    path = write_team_template(gaps, tmp_path / "t.xlsx")
    scores = read_team_scores(path, gaps, on_missing="neutral")
    assert scores["feasibility"].isna().all()
    assert (criteria_matrix(gaps, team_scores=scores)["feasibility"] == 3).all()


def test_unreadable_or_wrong_sheet(tmp_path, gaps):
    from gender_diag.errors import InputFileError

    bad = tmp_path / "bad.xlsx"
    bad.write_text("not excel")
    with pytest.raises(InputFileError, match="cannot be read"):
        read_team_scores(bad, gaps)
    path = write_team_template(gaps, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    wb["scores"].title = "hoja1"
    wb.save(path)
    with pytest.raises(ConfigError, match="no sheet named 'scores'"):
        read_team_scores(path, gaps)
