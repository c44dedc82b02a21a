"""Library side of the ``rank`` subcommand."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from gender_diag.prioritise.commands import rank_command
from gender_diag.prioritise.fixtures import example_gap_table


def test_template_then_scores_then_rank(tmp_path):
    gaps = example_gap_table(n_indicators=6, seed=0, suppress=1)
    out = io.StringIO()
    (tpl,) = rank_command(gaps, out_dir=tmp_path, template=True, stream=out)
    wb = load_workbook(tpl)
    ws = wb["scores"]
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=11, value=4)
        ws.cell(row=row, column=12, value=2)
    wb.save(tpl)
    paths = rank_command(
        gaps, out_dir=tmp_path, team_scores=tpl, draws=300, top_n=5, stream=out, progress=False
    )
    names = {p.name for p in paths}
    assert {"ranking.csv", "actions_direct.csv", "actions_unmatched.csv"} <= names
    ranking = pd.read_csv(tmp_path / "ranking.csv", encoding="utf-8-sig")
    assert len(ranking) == len(gaps)  # excluded rows listed too
    assert ranking["crit_feasibility"].dropna().eq(4).all()
    text = out.getvalue()
    assert "Brechas prioritarias" in text and "Puesto 1 de" in text
