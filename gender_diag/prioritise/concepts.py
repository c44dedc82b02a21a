"""One priority per concept: collapse the ranked gaps so that a concept is listed once.

The ranking orders every gap (indicator × place). Readers need the distinct problems: the same
indicator in three districts, or two indicators measuring the same thing (hours of unpaid work
and the share of the day it takes), are one priority. Indicators that measure the same thing
share a ``concept`` in the indicator catalogue (default: the indicator id).

Rule: each concept is represented by its best-ranked gap (the total or the place where it is
worst); its **priority** is the competition rank of that best rank among the concepts (1, 2, 2,
4 when two concepts tie), so priorities are whole numbers. The other places where women are
significantly worse off on the same indicator (oriented gap > 0, 95 % CI excluding zero) are
listed in ``places``, best-ranked first, and the other indicators of the concept that were
ranked in ``related``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def concept_map(labels: pd.DataFrame | None) -> dict[str, str]:
    """Indicator id → concept from a catalogue frame (``Catalogue.to_frame()``).

    >>> concept_map(pd.DataFrame({"indicator": ["a", "b"], "concept": ["x", None]}))
    {'a': 'x', 'b': 'b'}
    """
    if labels is None or "indicator" not in getattr(labels, "columns", ()):
        return {}
    ids = labels["indicator"].astype(str)
    if "concept" not in labels.columns:
        return dict(zip(ids, ids, strict=True))
    con = labels["concept"].astype("object").where(labels["concept"].notna(), ids)
    con = con.astype(str).where(con.astype(str) != "", ids)
    return dict(zip(ids, con, strict=True))


def concept_priorities(
    table: pd.DataFrame, concepts: Mapping[str, str] | None = None, *, max_places: int = 6
) -> pd.DataFrame:
    """Collapse a ranking table to one row per concept.

    Parameters
    ----------
    table : DataFrame
        ``Ranking.table`` (columns ``rank, gap_id, indicator, by, by_value`` at least; rows
        with ``suppressed`` true are left out).
    concepts : mapping, optional
        indicator → concept (:func:`concept_map`); an indicator not listed is its own concept.
    max_places : int
        At most this many places listed per priority.

    Returns
    -------
    DataFrame
        The representative rows, best first, with the columns of ``table`` plus ``concept``,
        ``priority`` (whole number), ``places`` (``;``-joined ``by_value`` codes of the places
        where women are significantly worse off on the same indicator, the representative's
        own place first when it is not the total), ``related`` (``;``-joined other ranked
        indicators of the concept) and ``n_gaps`` (ranked gaps of the concept).

    Examples
    --------
    >>> t = pd.DataFrame({"rank": [1, 2, 3, 4], "gap_id": list("abcd"),
    ...     "indicator": ["x", "y", "x", "z"], "by": ["district", "total", "total", "total"],
    ...     "by_value": ["d1", "", "", ""], "crit_gap": [0.3, 0.2, 0.1, 0.1],
    ...     "ci_excludes_zero": [True, True, True, True]})
    >>> p = concept_priorities(t, {"y": "x"})
    >>> p[["priority", "indicator", "places", "related"]].values.tolist()
    [[1, 'x', 'd1', 'y'], [2, 'z', '', '']]
    """
    if table.empty:
        out = table.copy()
        for c in ("concept", "places", "related"):
            out[c] = pd.Series(dtype="object")
        out["priority"] = pd.Series(dtype="int64")
        out["n_gaps"] = pd.Series(dtype="int64")
        return out
    t = table
    if "suppressed" in t.columns:
        t = t[~t["suppressed"].fillna(False).astype(bool)]
    t = t[pd.to_numeric(t["rank"], errors="coerce").notna()]
    t = t.sort_values(["rank", "gap_id"], kind="mergesort").reset_index(drop=True)
    concepts = dict(concepts or {})
    con = t["indicator"].astype(str).map(lambda i: concepts.get(i, i))
    oriented = (
        pd.to_numeric(t["crit_gap"], errors="coerce")
        if "crit_gap" in t.columns
        else pd.Series(np.nan, index=t.index)
    )
    signif = (
        t["ci_excludes_zero"].fillna(False).astype(bool)
        if "ci_excludes_zero" in t.columns
        else pd.Series(True, index=t.index)
    )
    worse = (oriented > 0) & signif & (t["by"].astype(str) != "total")
    first = ~con.duplicated()
    rep = t[first].copy()
    rep.insert(0, "concept", con[first].to_numpy())
    places, related, counts = [], [], []
    for idx in rep.index:
        same_con = con == con[idx]
        same_ind = t["indicator"] == t.at[idx, "indicator"]
        where = t.loc[same_ind & worse, "by_value"].astype(str).tolist()
        places.append(";".join(list(dict.fromkeys(where))[:max_places]))
        others = t.loc[same_con & ~same_ind, "indicator"].astype(str).tolist()
        related.append(";".join(dict.fromkeys(others)))
        counts.append(int(same_con.sum()))
    rep["places"] = places
    rep["related"] = related
    rep["n_gaps"] = counts
    best = pd.to_numeric(rep["rank"]).to_numpy(float)
    rep.insert(1, "priority", pd.Series(best).rank(method="min").astype(int).to_numpy())
    return rep.reset_index(drop=True)


__all__ = ["concept_map", "concept_priorities"]
