"""Result shapes shared by the stages: every result offers ``.to_frame()``.

A composite result (a WEAI, the local gap index, the recommendation tables) is an object with
named parts and ``.to_frame()`` giving its tidy long frame; a result that is one table is an
:class:`IndexFrame`: a DataFrame (so existing code keeps working) that also answers
``.to_frame()``, so that ``{name: res.to_frame() for name, res in result.indices.items()}``
works whatever the index.
"""

from __future__ import annotations

import pandas as pd


class IndexFrame(pd.DataFrame):
    """A DataFrame that is also a result object (``.to_frame()`` returns a plain copy).

    Operations on it return plain DataFrames.

    Examples
    --------
    >>> f = IndexFrame({"value": [0.5]})
    >>> type(f.to_frame()).__name__, type(f.head()).__name__
    ('DataFrame', 'DataFrame')
    """

    @property
    def _constructor(self):
        return pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table as a plain DataFrame (a copy)."""
        return pd.DataFrame(self, copy=True)
