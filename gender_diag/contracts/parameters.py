"""Checks of parameters every stage shares: one name and one rule for each.

``confidence`` is the confidence level of an interval (0.95), everywhere; ``level`` names a
category of a variable, never a confidence level. ``alpha`` (= 1 − confidence) is accepted
under its older name where it was a parameter before.
"""

from __future__ import annotations

from gender_diag.errors import bad_parameter


def resolve_confidence(
    confidence: float = 0.95, alpha: float | None = None, *, owner: str
) -> float:
    """The confidence level from ``confidence`` or the older ``alpha`` (= 1 − confidence).

    Raises
    ------
    ParameterError
        When the level is not strictly between 0 and 1 (message names the parameter).

    Examples
    --------
    >>> resolve_confidence(0.9, owner="f")
    0.9
    >>> round(resolve_confidence(alpha=0.01, owner="f"), 10)
    0.99
    >>> resolve_confidence(95, owner="compute_indicators")
    Traceback (most recent call last):
    ...
    gender_diag.errors.ParameterError: The 'confidence' parameter of compute_indicators must be a number in (0, 1), e.g. 0.95. Got 95 instead.
    """
    if alpha is not None:
        if not isinstance(alpha, int | float) or not 0 < alpha < 1:
            raise bad_parameter("alpha", owner, "a number in (0, 1) (1 − confidence)", alpha)
        return 1.0 - float(alpha)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise bad_parameter("confidence", owner, "a number in (0, 1), e.g. 0.95", confidence)
    if not 0 < confidence < 1:
        raise bad_parameter("confidence", owner, "a number in (0, 1), e.g. 0.95", confidence)
    return float(confidence)
