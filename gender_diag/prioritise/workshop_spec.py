"""What the workshop page needs of the ranking configuration: criteria, weights, rules.

Kept in the prioritise stage (not in the report) so that the published tables can carry it
without the report modules importing one another in a cycle.
"""

from __future__ import annotations

from typing import Any

from gender_diag.config import catalogue_file
from gender_diag.prioritise.criteria import load_criteria


def criteria_info(result: Any) -> dict[str, Any]:
    """What the workshop needs of the ranking configuration (from ``RunResult``)."""
    ranking = getattr(result, "ranking_result", None)
    if ranking is None:
        return {}
    config = dict(getattr(result, "config", None) or {})
    try:
        path = catalogue_file(config, "criteria.yaml") if config else None
    except (KeyError, TypeError):  # a result built outside the pipeline: the bundled criteria
        path = None
    spec = load_criteria(path)
    weights = dict(getattr(ranking, "weights", {}) or {})
    out = []
    for name, c in spec.criteria.items():
        rng = list(c.range) if c.range else None
        out.append(
            {
                "name": name,
                "labels": dict(c.labels),
                "weight": float(weights.get(name, c.weight)),
                "team": bool(c.team),
                "normalisation": c.normalisation if c.transform == "none" or c.team else "embedded",
                "range": rng,
            }
        )
    settings = dict(getattr(ranking, "settings", {}) or {})
    return {
        "method": getattr(ranking, "method", ""),
        "criteria": out,
        "neutral": float(spec.team_neutral_score),
        "tol": float(settings.get("tie_tolerance", 1e-9)),
    }
