"""The recommend stage of :func:`gender_diag.run`: direct and indirect action tables."""

from __future__ import annotations

import pandas as pd

from gender_diag.config import catalogue_file
from gender_diag.contracts.stages import Progress, RunState
from gender_diag.recommend.catalogue import load_actions
from gender_diag.recommend.tables import recommend
from gender_diag.report.tables import place_names


def indicator_labels(labels: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Indicator id → {language: label} from the catalogue frame."""
    return {
        row.indicator: {lang: getattr(row, f"label_{lang}") for lang in ("es", "fr", "en")}
        for row in labels.itertuples()
    }


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Match the top-ranked gaps with the action catalogue."""
    result = state.result
    direct, indirect, unmatched = recommend(
        result.ranking_result,
        result.gaps,
        actions=load_actions(catalogue_file(config, "actions.yaml")),
        top_n=config["recommend"]["top_n"],
        labels=indicator_labels(result.labels),
        place_labels=place_names(result.survey),
    )
    result.direct_actions, result.indirect_actions, result.unmatched = direct, indirect, unmatched
    state.summary = f"{len(direct)} direct, {len(indirect)} indirect actions"
    return state
