"""Priorities in words, citation cards, action tables by action, optional sections, and the
workshop CSV read back."""

from __future__ import annotations

import dataclasses

import openpyxl
import pandas as pd
import pytest

from gender_diag.errors import ConfigError
from gender_diag.prioritise.criteria import read_team_scores, read_team_weights
from gender_diag.prioritise.fixtures import example_gap_table
from gender_diag.report import summary as sm
from gender_diag.report import write_reports
from gender_diag.report.html import render_html
from gender_diag.report.i18n import load_texts
from gender_diag.report.layout import Column, Table
from gender_diag.report.sections import BUILDERS, ReportSection, register
from gender_diag.report.tables import publish

ES, FR, EN = load_texts("es"), load_texts("fr"), load_texts("en")


def test_gap_direction_in_words_with_units():
    # violence: higher is worse, women higher -> women worse off
    assert sm.gap_words(0.388, "higher_worse", "percent", ES) == (
        "desventaja para las mujeres: 38,8\u00a0pp"
    )
    # land titled: higher is better, women lower -> women worse off, the same words
    assert sm.gap_words(-0.445, "higher_better", "percent", ES) == (
        "desventaja para las mujeres: 44,5\u00a0pp"
    )
    assert sm.gap_words(0.1, "higher_better", "percent", FR).startswith(
        "désavantage pour les hommes"
    )
    assert sm.gap_words(4.2, "higher_worse", "hours", EN) == "women worse off: 4.2\u00a0h"
    assert sm.value_text(6.23, "hours", ES) == "6,2\u00a0h"
    assert sm.measure_unit("unpaid_care_hours", "mean") == "hours"


def test_citation_cards_quote_reliable_estimates_only(result_factory):
    result = result_factory()
    result.config = {
        "diagnostic": {
            "title": "Acomayo 2026",
            "organisation": "Consorcio X",
            "survey": "Encuesta de hogares",
            "fieldwork": "mayo de 2026",
            "year": 2026,
        }
    }
    pub = publish(result)
    cards = sm.citation_cards(pub, ES, limit=10)
    assert cards
    for card in cards:
        assert (
            card["source"]
            == "Fuente: Consorcio X, Encuesta de hogares, trabajo de campo mayo de 2026, 2026."
        )
        assert "0.1.0" not in card["source"] and "SHA" not in card["source"]
    reliable = pub.indicators.groupby(["indicator", "by", "by_value"], dropna=False)[
        "reliability"
    ].agg(lambda r: set(r) == {"reliable"})
    for card, prio in zip(cards, sm.priorities(pub, ES, limit=10), strict=True):
        if card["cited"]:
            assert "IC 95 %" in card["sentence"] and "n = " in card["sentence"]
        else:  # nothing reliable to quote for that priority
            rows = reliable.loc[prio.indicator] if prio.indicator in reliable.index else []
            assert not any(rows)


def test_one_row_per_distinct_action(run_result):
    pub = publish(run_result)
    direct = pub.direct.copy()
    direct["action_id"] = "D-SAME"  # every gap answered by the same action
    pub = dataclasses.replace(pub, direct=direct)
    table = sm.actions_by_action(pub, ES, "direct")
    assert len(table.frame) == 1
    answers = table.frame.loc[0, "answers"]
    assert answers.count(";") == len(direct["gap_id"].unique()) - 1
    assert table.frame.loc[0, "priority"] == int(direct["rank"].min())


def test_optional_section_plugs_into_html_and_excel(tmp_path, result_factory):
    def changes(pub, texts):
        frame = pd.DataFrame({"what": ["uno", "dos"]})
        table = Table("changes", "Cambios", frame, [Column("what", "Qué cambió")])
        return ReportSection("changes", "Qué cambió", after="priorities", tables=[table])

    register(changes)
    try:
        pub = publish(result_factory())
        html = render_html(pub, ES, {})
        assert (
            html.index('id="priorities"')
            < html.index('id="changes"')
            < html.index('id="citations"')
        )
        write_reports(result_factory(), tmp_path, languages=["es"])
        wb = openpyxl.load_workbook(tmp_path / "es" / ES["files.workbook"])
        assert "Qué cambió" in wb.sheetnames
    finally:
        BUILDERS.remove(changes)


def test_workshop_csv_is_read_back(tmp_path):
    gaps = example_gap_table(n_indicators=3, seed=1)
    ids = gaps["gap_id"].tolist()
    lines = ["gap_id,indicator,place,feasibility,leverage,weight_gap,weight_reach"]
    lines += [f"{ids[0]},x,Total,5,4,0.7,0.3", f"{ids[1]},y,Total,,,0.7,0.3"]
    path = tmp_path / "team_scores.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    scores = read_team_scores(path, gaps)
    row = scores.set_index("gap_id").loc[ids[0]]
    assert (row["feasibility"], row["leverage"]) == (5.0, 4.0)
    assert scores.set_index("gap_id").loc[ids[1], ["feasibility", "leverage"]].isna().all()
    assert read_team_weights(path) == {"gap": 0.7, "reach": 0.3}
    path.write_text("\n".join([*lines, f"{ids[2]},z,Total,3,3,0.5,0.5"]) + "\n")
    with pytest.raises(ConfigError, match="row 4: the weight_\\* columns differ"):
        read_team_weights(path)
    path.write_text("\n".join([lines[0], f"{ids[0]},x,Total,9,4,0.7,0.3"]) + "\n")
    with pytest.raises(ConfigError, match="team scores"):
        read_team_scores(path, gaps)
