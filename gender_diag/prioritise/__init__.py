"""prioritise stage: criteria per gap, ranking methods, robustness (SMAA) and explanations.

Public entry points: :func:`rank_gaps` → :class:`Ranking`; :func:`write_team_template` and
:func:`read_team_scores` for the technical team's feasibility and leverage scores.
"""

from __future__ import annotations

from gender_diag.prioritise.criteria import (
    CriteriaConfig,
    criteria_matrix,
    load_criteria,
    read_team_scores,
    write_team_template,
)
from gender_diag.prioritise.ranking import Ranking, rank_gaps

__all__ = [
    "CriteriaConfig",
    "Ranking",
    "criteria_matrix",
    "load_criteria",
    "rank_gaps",
    "read_team_scores",
    "write_team_template",
]
