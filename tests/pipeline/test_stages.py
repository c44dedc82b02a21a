"""The stage table of ``gd.run``: one entry-point signature, ``until=``, optional rows."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from gender_diag import pipeline
from gender_diag.contracts.stages import STAGE_NAMES, RunState, Stage
from gender_diag.result import RunResult


def test_every_stage_package_has_one_entry_point_with_one_signature():
    rows = {s.name: s for s in pipeline.STAGES}
    assert set(STAGE_NAMES) <= set(rows)
    for stage in pipeline.STAGES:
        params = inspect.signature(stage.load()).parameters
        assert list(params)[:2] == ["state", "config"], stage.name
        assert params["progress"].kind is inspect.Parameter.KEYWORD_ONLY, stage.name
    # the design is a stage of its own, and the user-facing names are in pipeline order
    names = [s.name for s in pipeline.STAGES]
    assert [n for n in names if n in STAGE_NAMES] == list(STAGE_NAMES)


@pytest.mark.parametrize(
    ("until", "last"),
    [
        ("ingest", "rename"),  # the latest round's renames (rounds only) go with ingest
        ("design", "design"),
        ("indicators", "disclosure"),  # disclosure control runs with the indicators
        ("ranking", "prioritise"),  # older name
        ("recommend", "provenance"),  # changes between rounds and provenance go with it
        ("report", "report"),
    ],
)
def test_until_runs_the_stage_and_the_rows_that_belong_to_it(until, last):
    assert pipeline.STAGES[pipeline.last_stage(until)].name == last


def test_unknown_until_is_a_parameter_error():
    with pytest.raises(ValueError, match="'until' parameter of run must be one of ingest"):
        pipeline.last_stage("everything")


def _record(state, config, *, progress):
    state.extra.setdefault("ran", []).append(config["tag"])
    state.summary = "ok"
    return state


def test_run_stages_skips_optional_rows_with_a_note_and_reports_progress():
    events = []
    stages = (
        Stage("first", f"{__name__}:_record"),
        Stage("changes", f"{__name__}:_record", when=lambda s, c: "changes: one round only"),
        Stage("last", f"{__name__}:_record"),
    )
    state = RunState(result=RunResult(), out=Path("."))
    state = pipeline.run_stages(
        state, {"tag": "x"}, stages, progress=lambda s, m: events.append((s, m))
    )
    assert state.extra["ran"] == ["x", "x"]
    assert state.result.notes == ["changes: one round only"]
    assert [e[0] for e in events] == ["first", "first", "last", "last"]
    assert events[0][1] == "start" and events[1][1].startswith("ok (")
