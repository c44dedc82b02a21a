"""Shared contracts: the names several stages rely on, in one bottom-layer package.

Nothing here imports a stage; every stage may import from here.

* :mod:`~gender_diag.contracts.columns` – tidy column tuples (indicator table, estimates,
  index frames, validation issues).
* :mod:`~gender_diag.contracts.reliability` – the one CV reliability rule and its cut-offs.
* :mod:`~gender_diag.contracts.catalogue` – reason/check catalogues (severity, action, rule,
  message and fix templates in es/fr/en), their loader and the template renderer.
* :mod:`~gender_diag.contracts.stages` – stage names, the stage table row and the one stage
  entry-point signature.
"""

from __future__ import annotations

from gender_diag.contracts.catalogue import (
    ACTIONS,
    LANGUAGES,
    SEVERITIES,
    CheckSpec,
    load_check_catalogue,
    render,
)
from gender_diag.contracts.columns import (
    DESIGN_ESTIMATE_COLUMNS,
    ESTIMATE_COLUMNS,
    INDEX_FRAME_COLUMNS,
    INDICATOR_COLUMNS,
    ISSUE_COLUMNS,
    PAIR_GAP_COLUMNS,
)
from gender_diag.contracts.reliability import (
    CV_CAUTION,
    CV_UNRELIABLE,
    RELIABILITY_LEVELS,
    reliability_from_cv,
)
from gender_diag.contracts.stages import STAGE_NAMES, RunState, Stage

__all__ = [
    "ACTIONS",
    "CV_CAUTION",
    "CV_UNRELIABLE",
    "DESIGN_ESTIMATE_COLUMNS",
    "ESTIMATE_COLUMNS",
    "INDEX_FRAME_COLUMNS",
    "INDICATOR_COLUMNS",
    "ISSUE_COLUMNS",
    "LANGUAGES",
    "PAIR_GAP_COLUMNS",
    "RELIABILITY_LEVELS",
    "SEVERITIES",
    "STAGE_NAMES",
    "CheckSpec",
    "RunState",
    "Stage",
    "load_check_catalogue",
    "reliability_from_cv",
    "render",
]
