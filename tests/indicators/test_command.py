"""Library side of `gender-diag indicators`: the tables written and the top-gaps summary."""

from __future__ import annotations

import pandas as pd

from gender_diag.indicators import (
    compute_indicators,
    couple_comparisons,
    gap_table,
    load_catalogue,
    top_gaps_text,
    write_tables,
)


def test_write_tables_and_top_gaps(toy_survey, tmp_path):
    catalogue = load_catalogue()
    ind = compute_indicators(toy_survey, catalogue, by=("district",))
    gaps = gap_table(ind, catalogue)
    couples = couple_comparisons(toy_survey, catalogue)
    frames = {"indicators": ind, "gaps": gaps, "couples": couples}
    paths = write_tables(frames, tmp_path / "out")
    assert sorted(p.name for p in paths) == [
        "couples.csv",
        "gaps.csv",
        "indicators.csv",
        "indicators.xlsx",
    ]
    back = pd.read_csv(tmp_path / "out" / "indicators.csv")
    assert len(back) == len(ind)
    assert sorted(pd.ExcelFile(tmp_path / "out" / "indicators.xlsx").sheet_names) == sorted(frames)
    text = top_gaps_text(gaps, catalogue, top=5, lang="en")
    lines = text.splitlines()
    assert lines[0].startswith("indicator") and len(lines) == 2 + 5
    # the planted domestic-work gap of the toy survey is among the top gaps
    assert "Unpaid domestic and care hours" in text
    # no microdata: every written table is an aggregate without household ids
    for p in paths:
        if p.suffix == ".csv":
            assert "hhid" not in pd.read_csv(p, nrows=1).columns
