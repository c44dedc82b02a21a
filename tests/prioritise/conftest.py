"""Shared fixtures: small hand-checkable gap tables and a criteria config with two criteria."""

from __future__ import annotations

import pandas as pd
import pytest

from gender_diag.prioritise.criteria import parse_criteria


def _crit(weight, norm="minmax", rng=None, transform="none"):
    d = {
        "weight": weight,
        "normalisation": norm,
        "transform": transform,
        "name": {"es": "x", "fr": "x", "en": "x"},
        "description": {"es": "x", "fr": "x", "en": "x"},
    }
    if rng is not None:
        d["range"] = rng
    return d


@pytest.fixture
def crit():
    return _crit


@pytest.fixture
def two_criteria():
    """gap (min–max) and confidence (fixed 0–1), weights 0.5 / 0.5."""
    return parse_criteria(
        {"criteria": {"gap": _crit(0.5), "confidence": _crit(0.5, "fixed", [0, 1])}}
    )


@pytest.fixture
def three_gaps():
    """Three proportion gaps, higher is better (women worse off when F < M).

    oriented gap: A 0.40, B 0.20, C 0.05; confidence 1 - q: A 0.80, B 0.99, C 0.50.
    """
    return pd.DataFrame(
        {
            "gap_id": ["A|total|", "B|total|", "C|total|"],
            "indicator": ["A", "B", "C"],
            "by": "total",
            "by_value": "",
            "estimate_f": [0.2, 0.3, 0.5],
            "estimate_m": [0.6, 0.5, 0.55],
            "gap": [-0.4, -0.2, -0.05],
            "gap_ci_low": [-0.5, -0.3, -0.15],
            "gap_ci_high": [-0.3, -0.1, 0.05],
            "q_value": [0.20, 0.01, 0.5],
            "affected": [100.0, 200.0, 300.0],
            "reliability": ["reliable", "reliable", "unreliable"],
            "direction": "higher_better",
            "domain": ["land", "water", "finance"],
        }
    )
