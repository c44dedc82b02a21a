"""The indicators stage of :func:`gender_diag.run`: every computable catalogue indicator ×
sex × disaggregation, and the within-couple comparisons. Disclosure control and the gap
table follow in the ``disclosure`` row of the stage table (:mod:`gender_diag.report.stage`).
"""

from __future__ import annotations

import pandas as pd

from gender_diag.contracts.stages import Progress, RunState
from gender_diag.engine.select import indicators_function
from gender_diag.errors import ConfigError
from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.indicators.compute import (
    DEFAULT_BY,
    available_indicators,
    cache_evaluations,
    couple_comparisons,
    release_evaluations,
)
from gender_diag.skips import attempt


def check_disaggregations(table: pd.DataFrame, requested: list[str]) -> list[str]:
    """Refuse a disaggregation that produced no row: a typo must not pass silently.

    The disaggregations gender_diag derives (age band, sex of the household head, …) may be
    impossible with partial data (no roster): those are returned, to be reported, not refused.
    """
    present = set(table["by"])
    missing = [b for b in requested if b not in present]
    unknown = [b for b in missing if b not in DEFAULT_BY]
    if unknown:
        raise ConfigError(
            f"[indicators] disaggregations: {', '.join(map(repr, unknown))} gave no estimate: "
            "it is not a column of the survey. Fix: use "
            + ", ".join(DEFAULT_BY)
            + " or another column of the survey tables."
        )
    return missing


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Compute the indicator table (before disclosure control) and the couple comparisons."""
    result, icfg = state.result, config["indicators"]
    survey = result.survey
    cache_evaluations(survey)  # rules evaluated once across this stage and the later ones
    catalogue = load_catalogue(icfg["catalogue"], languages=config["diagnostic"]["languages"])
    computable, result.skipped_indicators = available_indicators(survey, catalogue)
    if not computable:
        raise ConfigError(
            "No indicator of the catalogue can be computed from these data: "
            + "; ".join(result.skipped_indicators["reason"].unique()[:3])
            + ". Fix: check [input] (format, sheet) and the catalogue."
        )
    table = indicators_function(config, survey.tables)(  # the configured engine
        survey,
        catalogue,
        design=state.design,
        indicators=computable,
        by=tuple(icfg["disaggregations"]),
        confidence=icfg["confidence"],
        ci_method=icfg["ci_method"],
    )
    unavailable = check_disaggregations(table, icfg["disaggregations"])
    result.indicators = table
    result.labels = catalogue.to_frame()
    result.catalogue = catalogue
    couples = attempt(state.skips, "indicators", "couple comparisons", couple_comparisons,
                      survey, catalogue, state.design, confidence=icfg["confidence"],
                      indicators=computable)  # fmt: skip
    if couples is not None:  # suppressed by the disclosure row
        result.couples = couples
    # the indices stage reads the person indicators again (WEAI inputs, local gap index)
    release_evaluations(survey, keep_units=("respondent", "member"))
    for level in unavailable:
        state.skips.add("indicators", f"disaggregation {level}", "not possible with these data")
    state.computable = computable
    skipped = len(result.skipped_indicators)
    note = f", {skipped} skipped (inputs not in the data)" if skipped else ""
    if catalogue.notes:  # a translation missing: another language's text is shown instead
        note += f"; {len(catalogue.notes)} text(s) borrowed from another language"
    if skipped:
        state.note(f"indicators: {skipped} skipped, their inputs are not in the data")
    if unavailable:
        note += f"; not possible with these data: {', '.join(unavailable)}"
        state.note(f"indicators: no {', '.join(unavailable)} breakdown with these data")
    state.summary = f"{table['indicator'].nunique()} indicators, {len(table)} rows{note}"
    return state
