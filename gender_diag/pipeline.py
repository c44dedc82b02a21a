"""``gd.run(config)``: the whole diagnostic, a loop over a table of stages.

ingest → design → indicators (+ disclosure control) → indices → prioritise → recommend
(+ provenance) → report. Each row of :data:`STAGES` names a stage entry point with the one
signature ``run_stage(state, config, *, progress) -> state``
(:class:`gender_diag.contracts.stages.StageFunction`); each is usable on its own from Python.
This module only loops over the table, times the stages and reports progress. An optional
stage is one more row with a ``when`` condition (a skipped row leaves a note in
``RunResult.notes``). A blocking validation problem stops the run after the validation
report has been written, with :class:`ValidationError`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from gender_diag.config import catalogue_file, load_config, output_dir
from gender_diag.contracts.stages import (
    STAGE_ALIASES,
    STAGE_NAMES,
    Progress,
    RunState,
    Stage,
    quiet,
)

# entry points and helpers of the stages, importable from here as before
from gender_diag.design.stage import DESIGN_ROLES, design_columns
from gender_diag.errors import bad_parameter
from gender_diag.indicators.stage import check_disaggregations
from gender_diag.ingest.stage import ingest_survey, write_validation
from gender_diag.prioritise.stage import ranking_candidates
from gender_diag.recommend.stage import indicator_labels
from gender_diag.report.stage import sensitive_variables, suppress_small
from gender_diag.result import RunResult
from gender_diag.skips import SkipLog

__all__ = [
    "DESIGN_ROLES",
    "STAGES",
    "STAGE_NAMES",
    "Progress",
    "Stage",
    "catalogue_file",
    "check_disaggregations",
    "design_columns",
    "indicator_labels",
    "ingest_survey",
    "ranking_candidates",
    "run",
    "sensitive_variables",
    "summary_table",
    "suppress_small",
    "write_validation",
]


def _not_writing(state: RunState, config: dict) -> str | None:
    return None if state.write else "report: not written (write=False)"


def _one_round(state: RunState, config: dict) -> str | None:
    return None if config.get("evaluation") else "changes: one survey round only"


#: The stages of a run, in order. ``with_previous`` rows run with the stage before them.
STAGES: tuple[Stage, ...] = (
    Stage("ingest", "gender_diag.ingest.stage"),
    # the latest round's renamed questions, only with [[rounds]] (issue 12)
    Stage(
        "rename",
        "gender_diag.change.stage:rename_stage",
        when=_one_round,
        with_previous=True,
        quiet_skip=True,
    ),  # fmt: skip
    Stage("design", "gender_diag.design.stage"),
    Stage("indicators", "gender_diag.indicators.stage"),
    Stage("disclosure", "gender_diag.report.stage:disclose", with_previous=True),
    Stage("indices", "gender_diag.indices.stage"),
    Stage("prioritise", "gender_diag.prioritise.stage"),
    Stage("recommend", "gender_diag.recommend.stage"),
    # change since the baseline, only with [[rounds]] (issue 12)
    Stage(
        "changes", "gender_diag.change.stage", when=_one_round, with_previous=True, quiet_skip=True
    ),  # fmt: skip
    Stage("provenance", "gender_diag.provenance", with_previous=True),
    Stage("report", "gender_diag.report.stage", when=_not_writing),
)


def last_stage(until: str, stages: tuple[Stage, ...] = STAGES) -> int:
    """Index of the last row to run for ``until`` (rows ``with_previous`` follow their stage).

    Examples
    --------
    >>> STAGES[last_stage("indicators")].name
    'disclosure'
    >>> STAGES[last_stage("ranking")].name
    'prioritise'
    """
    names = [s.name for s in stages]
    name = STAGE_ALIASES.get(until, until)
    if name not in names:
        raise bad_parameter("until", "run", "one of " + ", ".join(STAGE_NAMES), until)
    stop = names.index(name)
    while stop + 1 < len(stages) and stages[stop + 1].with_previous:
        stop += 1
    return stop


def run_stages(
    state: RunState, config: dict, stages: tuple[Stage, ...], *, progress: Progress
) -> RunState:
    """Run stage rows in order: skip a row whose ``when`` gives a reason (noted), else run it
    between a ``start`` and a timed summary progress event."""
    for stage in stages:
        reason = stage.when(state, config) if stage.when else None
        if reason:
            if not stage.quiet_skip:
                state.note(reason)
            continue
        progress(stage.name, "start")
        started = time.perf_counter()
        state.summary = ""
        state = stage.load()(state, config, progress=progress)
        elapsed = time.perf_counter() - started
        progress(stage.name, f"{state.summary} ({elapsed:.1f} s)")
    return state


def run(
    config: str | Path | dict | None = None,
    *,
    until: str = "report",
    progress: Progress | None = None,
    write: bool = True,
) -> RunResult:
    """Run the diagnostic described by a ``diagnostic.toml``.

    Parameters
    ----------
    config : str, Path, dict or None
        Configuration file (or folder holding ``diagnostic.toml``, or a parsed dict);
        ``None`` runs the bundled example survey.
    until : str
        Last stage to run, one of :data:`~gender_diag.contracts.stages.STAGE_NAMES`
        (``"report"`` runs everything; ``"ranking"`` is the older name of ``"prioritise"``).
    progress : callable, optional
        ``progress(stage, message)`` called as each stage starts and ends.
    write : bool
        Write the reports and tables to the output folder (the ``report`` stage).

    Returns
    -------
    RunResult

    Raises
    ------
    ValidationError
        When the data have a blocking problem; the validation report is written first.
    """
    stop = last_stage(until)
    cfg = load_config(config)  # configuration problems first, before any stage runs
    if cfg["input"]["format"] == "census":  # a person file scanned by the engine, no stages
        from gender_diag.engine.census import run_census

        return run_census(cfg, progress=progress, write=write and until == "report")
    state = RunState(result=RunResult(config=cfg), out=output_dir(cfg), write=write)
    state.skips = SkipLog(progress)
    state = run_stages(state, cfg, STAGES[: stop + 1], progress=progress or quiet)
    return state.result


def summary_table(result: RunResult, *, top: int = 5, lang: str = "en") -> pd.DataFrame:
    """Final summary for the CLI, in ``lang``: rows accepted/quarantined, the distinct top
    priorities with women's and men's values in the language's number format, files."""
    from gender_diag.report.console import summary_rows

    out = str(output_dir(result.config)) if result.outputs else ""
    return summary_rows(result, top=top, lang=lang, out=out)
