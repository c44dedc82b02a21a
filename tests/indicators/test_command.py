"""Library side of `gender-diag indicators`."""

from __future__ import annotations

import pandas as pd

from gender_diag.indicators.command import indicators_command


def test_indicators_command_writes_tables_and_top_gaps(toy_survey, tmp_path):
    res = indicators_command(toy_survey, tmp_path / "out", lang="en", top=5)
    names = sorted(p.name for p in res.paths)
    assert names == ["couples.csv", "gaps.csv", "indicators.csv", "indicators.xlsx",
                     "local_gap.csv"]  # fmt: skip
    assert all(p.exists() for p in res.paths)
    back = pd.read_csv(tmp_path / "out" / "indicators.csv")
    assert len(back) == len(res.indicators)
    lines = res.top_gaps.splitlines()
    assert lines[0].startswith("indicator") and len(lines) == 2 + 5
    # the planted domestic-work gap of the toy survey is among the top gaps
    assert "Unpaid domestic and care hours" in res.top_gaps
    # no microdata: every written table is an aggregate without household ids
    for p in res.paths:
        if p.suffix == ".csv":
            assert "hhid" not in pd.read_csv(p, nrows=1).columns
