"""The linear-algebra core of the differencing attacker, shared by the disclosure tests.

An attacker who knows the structure of the published tables writes one equation per margin,
``parent = Σ children``. A suppressed cell is recoverable when its unit vector lies in the row
space of those equations restricted to the suppressed cells (the published cells are known
constants): adding it does not raise the rank.
"""

from __future__ import annotations

import numpy as np


def recoverable(eqs: list[tuple[int, list[int]]], n_cells: int, unknown) -> list[int]:
    """Positions of ``unknown`` (suppressed cell positions) that the equations determine."""
    a = np.zeros((len(eqs), n_cells))
    for r, (parent, kids) in enumerate(eqs):
        a[r, parent] += 1
        a[r, kids] -= 1
    a_u = a[:, unknown]
    rank = np.linalg.matrix_rank(a_u)
    out = []
    for j, u in enumerate(unknown):
        e = np.zeros((1, len(unknown)))
        e[0, j] = 1
        if np.linalg.matrix_rank(np.vstack([a_u, e])) == rank:
            out.append(int(u))
    return out
