"""Change over time: baseline, follow-up and the mid-term evaluation (issue 12).

Stages: :mod:`~gender_diag.change.rounds` (``[[rounds]]``/``[evaluation]`` in the
configuration) → :mod:`~gender_diag.change.stack` (both rounds as domains of one design) →
:mod:`~gender_diag.change.estimate` (linearised change, DiD and triple difference) →
:mod:`~gender_diag.change.compare` (``gd.compare_rounds``).
"""

from gender_diag.change.estimate import (
    CHANGE_COLUMNS,
    QUANTITIES,
    ChangeEstimates,
    change_estimates,
)
from gender_diag.change.stack import stack_frames

__all__ = [
    "CHANGE_COLUMNS",
    "QUANTITIES",
    "ChangeEstimates",
    "change_estimates",
    "stack_frames",
]
