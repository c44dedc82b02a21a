"""The design stage of :func:`gender_diag.run`: the one survey design spec every later stage
uses, from the design file given at ingest and the ``[design]`` section.

:func:`design_columns` (the roles as a plain dict) is kept for code that used it before the
:class:`~gender_diag.design.spec.DesignSpec`."""

from __future__ import annotations

from typing import Any

from gender_diag.contracts.stages import Progress, RunState
from gender_diag.design.spec import DesignSpec
from gender_diag.errors import ConfigError

DESIGN_ROLES = ("weight", "strata", "psu", "fpc", "ssu", "fpc2")


def design_columns(config: dict, survey_design: dict | None = None) -> dict[str, Any]:
    """Design roles: those of the ingested survey, overridden by ``[design]``.

    A role left empty in the configuration keeps the column the design file gave at ingest;
    ``"none"`` removes the role. Dropping the second stage of a two-stage design with
    stage-1 fpc shrinks every SE (the within-community variance is lost), so the default is
    to keep what the design file says.

    Examples
    --------
    >>> cfg = {"design": {"weight": "", "strata": "", "psu": "", "fpc": "", "ssu": "none",
    ...        "fpc2": "", "with_replacement": False, "lonely_psu": "adjust"}}
    >>> d = design_columns(cfg, {"weight": "w", "psu": "community", "ssu": "hhid"})
    >>> d["weight"], d["psu"], d["ssu"], d["strata"]
    ('w', 'community', None, None)
    """
    d = config["design"]
    roles = {role: (survey_design or {}).get(role) for role in DESIGN_ROLES}
    for role in DESIGN_ROLES:
        if d[role]:
            roles[role] = None if d[role].lower() == "none" else d[role]
    if roles["weight"] is None:
        raise ConfigError(
            "No sampling weight: neither the design file nor [design] weight names a weight "
            'column. Fix: give [input] design = "design.csv" or [design] weight = "<column>".'
        )
    return {**roles, "with_replacement": d["with_replacement"], "lonely_psu": d["lonely_psu"]}


def design_config(config: dict, survey) -> dict:
    """With ``[mapping]``, the ``[design]`` names translated to the survey's columns."""
    if config.get("mapping") is None:
        return config
    from gender_diag.ingest.mapping import load_mapping, translate_design

    tables = getattr(survey, "tables", {}) or {}
    columns = {c for t in tables.values() for c in t.columns}
    design = translate_design(config["design"], load_mapping(config["mapping"]), columns)
    return {**config, "design": design}


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Build the one :class:`DesignSpec` of the run; every later stage reads ``state.design``
    (roles are checked against each table when a stage uses them)."""
    survey = state.result.survey
    state.design = DesignSpec.from_config(design_config(config, survey), survey.design)
    state.summary = ", ".join(f"{k}={v}" for k, v in state.design.roles().items())
    return state
