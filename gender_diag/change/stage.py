"""The optional ``changes`` stage of ``gd.run``: runs only when ``[[rounds]]`` are configured.

It compares every later round with the baseline (:func:`gender_diag.change.compare`) and
ranks the baseline's gaps with the run's own criteria, so that the report can say what
happened to the priorities the team set at baseline.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["baseline_config", "rename_current", "run_changes", "run_stage"]


def rename_current(survey: Any, cfg: dict) -> Any:
    """Apply the latest round's ``rename`` to the run's own survey when it is that round.

    The run describes the latest round (its ``[input]`` defaults to the last round's), so a
    question renamed in the new form keeps the baseline's name in the current tables too.
    """
    from gender_diag.change.compare import apply_rename

    last = cfg["evaluation"]["rounds"][-1]
    if last["rename"] and last["config"]["input"]["path"] == cfg["input"]["path"]:
        return apply_rename(survey, last["rename"])
    return survey


def baseline_config(cfg: dict) -> dict:
    """The run's configuration with the baseline round's input and design.

    Catalogue, criteria, disaggregations and thresholds stay the run's, so the baseline's
    priorities are ranked exactly as the current ones; the robustness draws are skipped (only
    the order of the baseline's gaps is needed).
    """
    from gender_diag.config import Config

    first = cfg["evaluation"]["rounds"][0]["config"]
    out = {k: v for k, v in cfg.items() if k != "evaluation"}
    out["input"] = first["input"]
    out["design"] = first["design"]
    out["ranking"] = {**cfg["ranking"], "draws": 0, "team_scores": None}
    return Config(out)


def run_changes(result: Any, cfg: dict) -> str:
    """Fill ``result.changes`` and ``result.change_detail``; return a progress message."""
    from gender_diag.change.compare import apply_round_suppression, compare_rounds
    from gender_diag.pipeline import run

    comp = compare_rounds(cfg, details=True)
    base = run(baseline_config(cfg), until="ranking", write=False)
    top = base.ranking.head(cfg["ranking"]["top_k"])
    keep = [c for c in ("rank", "indicator", "by", "by_value", "score") if c in top.columns]
    # a change is withheld wherever either round's published cell is (methods §5)
    result.changes = apply_round_suppression(comp.changes, base.indicators, result.indicators)
    result.change_detail = {
        "levels": comp.levels,
        "skipped": comp.skipped,
        "rounds": comp.rounds,
        "priorities": top[keep].reset_index(drop=True) if len(top) else pd.DataFrame(),
        "treatment": bool(cfg["evaluation"]["treatment"]),
        "adjusted": comp.adjusted,
    }
    names = comp.rounds["round"].tolist()
    return (
        f"{names[0]} → {', '.join(names[1:])}: {comp.changes['indicator'].nunique()} indicators "
        f"compared, {len(comp.skipped)} not comparable"
    )


def run_stage(state: Any, config: dict, *, progress: Any) -> Any:
    """Stage-table entry point (row ``changes`` of :data:`gender_diag.pipeline.STAGES`)."""
    state.summary = run_changes(state.result, config)
    return state


def rename_stage(state: Any, config: dict, *, progress: Any) -> Any:
    """Stage-table entry point (row ``rename``, right after ingest): the latest round's
    renamed questions in the run's own survey."""
    state.result.survey = rename_current(state.result.survey, config)
    state.summary = "latest round's renamed questions applied"
    return state
