"""The prioritise stage of :func:`gender_diag.run`: rank the gaps with robustness analysis."""

from __future__ import annotations

import pandas as pd

from gender_diag.config import catalogue_file
from gender_diag.contracts.stages import Progress, RunState
from gender_diag.prioritise.criteria import load_criteria, read_team_scores, read_team_weights
from gender_diag.prioritise.ranking import rank_gaps


def ranking_candidates(gaps: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The gaps that compete for priority: the ``[ranking] levels`` of disaggregation.

    WEAI adequacy indicators are left out: they restate catalogue indicators under the
    index's definitions and are reported with the indices instead.
    """
    keep = gaps["by"].isin(config["ranking"]["levels"]) & gaps["domain"].ne("weai")
    return gaps.loc[keep].reset_index(drop=True)


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Rank the candidate gaps (``[ranking]``); team scores when given."""
    result, rcfg = state.result, config["ranking"]
    team = None
    team_weights: dict[str, float] = {}
    if rcfg["team_scores"] is not None:
        team = read_team_scores(rcfg["team_scores"], result.gaps)
        team_weights = read_team_weights(rcfg["team_scores"])  # the workshop page's CSV
    ranking = rank_gaps(
        ranking_candidates(result.gaps, config),
        config=load_criteria(catalogue_file(config, "criteria.yaml")),
        weights=rcfg["weights"] or team_weights or None,
        team_scores=team,
        method=rcfg["method"],
        draws=rcfg["draws"],
        seed=rcfg["seed"],
        top_k=rcfg["top_k"],
        progress=lambda done, total: progress("prioritise", f"{done / total:.0%}"),
    )
    result.ranking = ranking.table
    result.ranking_result = ranking
    result.ranking_detail = {
        "methods": ranking.methods,
        "agreement": ranking.agreement,
        "loo": ranking.loo,
        "excluded": ranking.excluded,
    }
    state.summary = f"{len(ranking.table)} gaps ranked"
    return state
