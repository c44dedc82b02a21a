"""The recommend stage of :func:`gender_diag.run`: direct and indirect action tables."""

from __future__ import annotations

import pandas as pd

from gender_diag.config import catalogue_file
from gender_diag.contracts.stages import Progress, RunState
from gender_diag.prioritise.concepts import concept_map, concept_priorities
from gender_diag.recommend.catalogue import select_actions
from gender_diag.recommend.tables import recommend
from gender_diag.report.tables import place_names
from gender_diag.report.wording import unit_label


def indicator_labels(labels: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Indicator id → {language: label} from the catalogue frame.

    Household (and parcel) labels name the compared groups, female- and male-headed
    households (:func:`gender_diag.report.wording.unit_label`).
    """
    return {
        row.indicator: {
            lang: unit_label(getattr(row, f"label_{lang}"), getattr(row, "unit", ""), lang)
            for lang in ("es", "fr", "en")
        }
        for row in labels.itertuples()
    }


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Match the top-ranked gaps with the action catalogue."""
    result = state.result
    actions, actions_note = select_actions(
        catalogue_file(config, "actions.yaml"), country=config["recommend"]["country"]
    )
    # one priority per concept (catalogue `concept`): actions answer distinct problems
    priorities = concept_priorities(result.ranking, concept_map(result.labels))
    direct, indirect, unmatched = recommend(
        priorities.assign(rank=priorities["priority"]),
        result.gaps,
        actions=actions,
        top_n=config["recommend"]["top_n"],
        labels=indicator_labels(result.labels),
        place_labels=place_names(result.survey),
    )
    result.direct_actions, result.indirect_actions, result.unmatched = direct, indirect, unmatched
    state.summary = f"{len(direct)} direct, {len(indirect)} indirect actions ({actions_note})"
    return state
