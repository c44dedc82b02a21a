"""The one reliability rule: flags from the coefficient of variation.

Every stage that labels an estimate ``reliable`` / ``caution`` / ``unreliable`` (the design
engine's tidy frames, disclosure control in the report) uses :func:`reliability_from_cv` and
the cut-offs below, so that a table and the report never disagree.
"""

from __future__ import annotations

import numpy as np

#: CV at or below which an estimate is ``reliable`` (methods.md §5; INEI and Statistics Canada
#: publish the same cut-offs).
CV_CAUTION = 0.15
#: CV above which an estimate is ``unreliable``; between the two cut-offs it is ``caution``.
CV_UNRELIABLE = 0.30
#: The labels, from best to worst.
RELIABILITY_LEVELS = ("reliable", "caution", "unreliable")


def reliability_from_cv(cv) -> np.ndarray:
    """Flag estimates by coefficient of variation ``cv = se / |estimate|``.

    ``cv`` ≤ 0.15 → ``reliable``; 0.15 < ``cv`` ≤ 0.30 → ``caution``; > 0.30, infinite or
    unknown (an estimate of 0) → ``unreliable``.

    Parameters
    ----------
    cv : array-like of float
        Coefficients of variation (NaN where undefined).

    Returns
    -------
    ndarray of object
        One label per value.

    Examples
    --------
    >>> reliability_from_cv([0.1, 0.15, 0.2, 0.3, 0.4, np.nan, np.inf]).tolist()
    ['reliable', 'reliable', 'caution', 'caution', 'unreliable', 'unreliable', 'unreliable']
    """
    cv = np.asarray(cv, dtype=float)
    out = np.where(
        cv > CV_UNRELIABLE, "unreliable", np.where(cv > CV_CAUTION, "caution", "reliable")
    )
    return np.where(np.isfinite(cv), out, "unreliable").astype(object)
