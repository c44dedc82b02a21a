"""Optional stages of a run: what the data cannot support is skipped with a note, not fatal.

A partner's own survey often lacks parts of the bundled instrument: one respondent per
household (no couples to compare), no WEAI module, no roster, a disaggregation the form does
not have. Each such stage is *optional*: :func:`attempt` runs it and, when the data cannot
support it (:class:`~gender_diag.errors.EstimationError` or
:class:`~gender_diag.errors.DesignError`), records why in a :class:`SkipLog` and the run goes
on. The log becomes ``RunResult.skipped`` and ``validation/skipped.csv`` (columns
``stage, item, reason``), and each entry is announced on the progress line. Configuration
mistakes (:class:`~gender_diag.errors.ConfigError`) still stop the run: they are the user's
to fix, not a property of the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from gender_diag.errors import DesignError, EstimationError

__all__ = ["SKIP_COLUMNS", "SkipLog", "attempt"]

SKIP_COLUMNS = ["stage", "item", "reason"]


class SkipLog:
    """The optional parts a run left out, with the reason for each.

    Examples
    --------
    >>> log = SkipLog()
    >>> log.add("indicators", "couple comparisons", "one respondent per household")
    >>> log.frame().values.tolist()
    [['indicators', 'couple comparisons', 'one respondent per household']]
    """

    def __init__(self, progress: Callable[[str, str], None] | None = None):
        self._rows: list[tuple[str, str, str]] = []
        self._progress = progress

    def add(self, stage: str, item: str, reason: str) -> None:
        """Record one skipped part and announce it on the progress line."""
        self._rows.append((stage, item, reason))
        if self._progress is not None:
            self._progress(stage, f"skipped {item}: {reason}")

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        """``stage, item, reason``, one row per skipped part, in run order."""
        return pd.DataFrame(self._rows, columns=SKIP_COLUMNS)


def _reason(exc: Exception) -> str:
    """The first sentence-line of an error, without the function prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    head, sep, rest = text.partition(": ")
    return rest if sep and " " not in head else text


def attempt(log: SkipLog, stage: str, item: str, fn: Callable[..., Any], *args, **kwargs):
    """``fn(*args, **kwargs)``, or None (with a note in ``log``) when the data cannot support it.

    Examples
    --------
    >>> from gender_diag.errors import EstimationError
    >>> def couples():
    ...     raise EstimationError("couple_comparisons: no household has two respondents.")
    >>> log = SkipLog()
    >>> attempt(log, "indicators", "couple comparisons", couples) is None
    True
    >>> log.frame()["reason"].tolist()
    ['no household has two respondents.']
    """
    try:
        return fn(*args, **kwargs)
    except (EstimationError, DesignError) as exc:
        log.add(stage, item, _reason(exc))
        return None
