"""The stages of a diagnostic and the one signature every stage entry point has.

Each stage package exposes ``run_stage(state, config, *, progress) -> state`` in its
``stage`` module (``gender_diag.ingest.stage``, ``gender_diag.design.stage``, …);
:func:`gender_diag.pipeline.run` is a loop over its ``STAGES`` table of :class:`Stage` rows.
An optional stage (say, changes between survey rounds) is one more row with a ``when``
condition; a row skipped by its condition leaves a note in ``RunState.notes``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: The stages a user can name in ``run(until=...)``, in order (``ranking`` is accepted as
#: the older name of ``prioritise``).
STAGE_NAMES = ("ingest", "design", "indicators", "indices", "prioritise", "recommend", "report")
STAGE_ALIASES = {"ranking": "prioritise"}

#: ``progress(stage, message)``: called as each stage starts and ends.
Progress = Callable[[str, str], None]


def quiet(stage: str, message: str) -> None:
    """Default progress callback: say nothing."""


@dataclass
class RunState:
    """What the stages pass along: the user-facing result plus the run's working context.

    Attributes
    ----------
    result : RunResult
        What :func:`gender_diag.run` returns; each stage fills its part.
    out : Path
        Output folder.
    write : bool
        Whether the report stage writes files.
    design : DesignSpec
        The one survey design spec of the run, built by the design stage.
    computable : list of str
        Indicator ids the data support (indicators stage).
    extra : dict
        Anything else a stage hands to a later one.
    summary : str
        One line the stage leaves for the progress report (e.g. "512 rows accepted").
    skips : SkipLog, optional
        Optional parts the data cannot support (:mod:`gender_diag.skips`).
    """

    result: Any
    out: Path
    write: bool = True
    design: Any = None
    computable: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    summary: str = ""
    skips: Any = None

    def note(self, text: str) -> None:
        """Record a note for the user (a skipped stage, a fallback taken)."""
        self.result.notes.append(text)


class StageFunction(Protocol):
    """The one signature of a stage entry point."""

    def __call__(self, state: RunState, config: dict, *, progress: Progress) -> RunState: ...


@dataclass(frozen=True)
class Stage:
    """One row of the pipeline's stage table.

    Attributes
    ----------
    name : str
        Stage name (used by ``until=`` and progress messages).
    entry : str
        ``"module"`` or ``"module:function"``; the function defaults to ``run_stage``.
        Imported only when the stage runs, so that ``import gender_diag`` stays light.
    when : callable, optional
        ``when(state, config) -> str | None``: a reason to skip the stage (recorded as a
        note unless ``quiet_skip``), or None to run it.
    quiet_skip : bool
        Skip without a note (a stage most runs do not use, e.g. changes between rounds).
    with_previous : bool
        The row belongs to the stage before it: ``until=`` that stage runs this row too
        (e.g. disclosure control right after the indicators).
    """

    name: str
    entry: str
    when: Callable[[RunState, dict], str | None] | None = None
    with_previous: bool = False
    quiet_skip: bool = False

    def load(self) -> StageFunction:
        """The entry point function."""
        import importlib

        module, _, func = self.entry.partition(":")
        return getattr(importlib.import_module(module), func or "run_stage")
