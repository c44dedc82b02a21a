"""One vocabulary and one error shape across stages (issue 9)."""

from __future__ import annotations

import pandas as pd
import pytest

import gender_diag as gd
from gender_diag.contracts.parameters import resolve_confidence
from gender_diag.contracts.results import IndexFrame
from gender_diag.errors import GenderDiagError, ParameterError, bad_parameter
from gender_diag.recommend import Recommendations


def test_bad_parameter_is_a_gender_diag_error_and_a_value_error():
    err = bad_parameter("k", "f", "a number", "x")
    assert isinstance(err, ParameterError)
    assert isinstance(err, GenderDiagError) and isinstance(err, ValueError)
    assert gd.ParameterError is ParameterError


@pytest.mark.parametrize("bad", [0, 1, 95, -0.1, "0.95", True])
def test_confidence_outside_zero_one_is_refused(bad):
    with pytest.raises(ParameterError, match="'confidence' parameter of g"):
        resolve_confidence(bad, owner="g")


def test_alpha_is_the_older_name_of_one_minus_confidence():
    assert resolve_confidence(alpha=0.1, owner="g") == pytest.approx(0.9)
    with pytest.raises(ParameterError, match="'alpha' parameter"):
        resolve_confidence(alpha=5, owner="g")


def test_compute_indicators_refuses_a_percent_confidence():
    with pytest.raises(ParameterError, match="'confidence' parameter of compute_indicators"):
        gd.compute_indicators({}, confidence=95)


def test_index_frame_is_a_frame_with_to_frame():
    f = IndexFrame({"component": ["overall"], "value": [0.8]})
    assert isinstance(f, pd.DataFrame)
    out = f.to_frame()
    assert type(out) is pd.DataFrame and out.equals(pd.DataFrame(f))
    assert type(f[["value"]]) is pd.DataFrame


def test_recommendations_unpack_and_stack():
    direct = pd.DataFrame({"kind": ["direct"], "action_id": ["a"]})
    indirect = pd.DataFrame({"kind": ["indirect", "indirect"], "action_id": ["b", "c"]})
    rec = Recommendations(direct, indirect, pd.DataFrame())
    d, i, u = rec
    assert d is direct and i is indirect
    assert rec.to_frame()["kind"].tolist() == ["direct", "indirect", "indirect"]
