"""WEAI: a part that cannot be estimated is recorded, never dropped silently (issue 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gender_diag.errors import EstimationError
from gender_diag.indices import weai

KEYS = [
    "input_decisions",
    "ownership_assets",
    "credit_decisions",
    "control_income",
    "group_member",
    "workload",
]


def _people(men_known: bool) -> pd.DataFrame:
    rows = []
    for hh in (1, 2):
        rows.append({"hhid": hh, "sex": "F", **dict.fromkeys(KEYS, 1.0)})
        rows.append({"hhid": hh, "sex": "M", **dict.fromkeys(KEYS, 1.0 if men_known else np.nan)})
    return pd.DataFrame(rows)


def test_men_not_estimated_says_why():
    res = weai(_people(men_known=False), "a-weai")
    assert res.men is None
    assert len(res.notes) == 1
    assert res.notes[0].startswith("men: not estimated (")
    assert "no person has all indicators" in res.notes[0]
    assert res.women.n == 2  # the index itself is still computed from the women


def test_no_note_when_everything_is_estimated():
    res = weai(_people(men_known=True), "a-weai")
    assert res.men is not None and res.notes == []


def test_women_not_estimable_is_an_error():
    people = _people(men_known=True)
    people.loc[people["sex"] == "F", KEYS] = np.nan
    with pytest.raises(EstimationError, match="no person has all indicators"):
        weai(people, "a-weai")
