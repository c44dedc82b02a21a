"""The one rule for numbers about to be rounded for display.

Two engines (pandas, DuckDB, Spark) add the same numbers in different orders, so their results
differ in the last bits (about 1e-16 relative). That is invisible unless the exact value sits
on a rounding tie — 15/16 = 93.75 % shown with one decimal, common with small cells — where
93.74999999999999 and 93.75000000000001 round apart. :func:`settle` rounds a value to
:data:`DIGITS` significant digits (and values closer to zero than :data:`ZERO` to zero) before it
is formatted, so a report shows the same digits whichever engine computed it.
An exact tie is then rounded as Python formats it (half to even: 93.75 → 93.8, 6.25 → 6.2),
the same rule whichever engine ran.
"""

from __future__ import annotations

import math

#: Significant digits kept before display rounding: far more than any report shows, far
#: fewer than the 15–16 a double holds, so floating-point noise is rounded away.
DIGITS = 12
#: Values closer to zero than this display as zero (noise around an exact zero gap).
ZERO = 1e-12


def settle(x: float) -> float:
    """``x`` rounded to :data:`DIGITS` significant digits; 0 when ``|x| <`` :data:`ZERO`.

    NaN and infinities are returned unchanged.

    Examples
    --------
    >>> settle(93.74999999999999), settle(93.75000000000001), settle(-2.2e-14)
    (93.75, 93.75, 0.0)
    >>> f"{settle(0.9374999999999999) * 100:.1f}"
    '93.8'
    """
    if not math.isfinite(x):
        return x
    if abs(x) < ZERO:
        return 0.0
    return float(f"{x:.{DIGITS}g}")
