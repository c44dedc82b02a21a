"""Post-stratification and raking."""

import numpy as np
import pandas as pd
import pytest

from gender_diag.design import SurveyDesign
from gender_diag.errors import DesignError


def test_poststratify_weights_and_zero_variance_of_calibrated_totals(apiclus1):
    d = SurveyDesign(apiclus1, weight="pw", psu="dnum", fpc="fpc")
    counts = {"E": 4421, "H": 755, "M": 1018}
    ps = d.poststratify("stype", counts)
    df = apiclus1.assign(**{f"is_{s}": (apiclus1.stype == s).astype(float) for s in "EHM"})
    ps2 = SurveyDesign(df, weight="pw", psu="dnum", fpc="fpc").poststratify("stype", counts)
    tot = ps2.total(["is_E", "is_H", "is_M"])
    # The calibrated totals are known exactly: estimate = count, SE = 0.
    np.testing.assert_allclose(tot.estimate, [4421, 755, 1018])
    np.testing.assert_allclose(tot.se, 0, atol=1e-6)
    # The overall weight total equals the population size 6194.
    assert ps.weights.sum() == pytest.approx(6194)


def test_rake_two_margins_reaches_both():
    df = pd.DataFrame(
        {"a": list("xxyyxy"), "b": list("uvuvvu"), "w": 1.0, "y": [1.0, 2, 3, 4, 5, 6]}
    )
    d = SurveyDesign(df, weight="w").rake({"a": {"x": 30, "y": 70}, "b": {"u": 40, "v": 60}})
    w = pd.Series(d.weights)
    assert w[df.a == "x"].sum() == pytest.approx(30)
    assert w[df.b == "u"].sum() == pytest.approx(40)
    assert d.mean("y").se[0] > 0


def test_calibration_errors():
    df = pd.DataFrame({"a": list("xxy"), "w": 1.0})
    d = SurveyDesign(df, weight="w")
    with pytest.raises(DesignError, match="no population count"):
        d.poststratify("a", {"x": 10})
    with pytest.raises(DesignError, match="positive"):
        d.poststratify("a", {"x": 10, "y": -1})
    with pytest.raises(DesignError, match="did not converge"):
        d.rake({"a": {"x": 10, "y": 10}, "w": {1.0: 50}}, max_iter=5)


def test_vcov_total_hook_matches_estimator_after_calibration(apiclus2):
    # The hook used by the model code must give the same SE as total() on a calibrated
    # two-stage design (R postStratify example: enroll SE 292584).
    d = SurveyDesign(apiclus2, weight="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2")
    ps = d.poststratify("stype", {"E": 4421, "H": 755, "M": 1018})
    z = ps.weights * apiclus2["enroll"].fillna(0).to_numpy()
    assert np.sqrt(ps.vcov_total(z)[0, 0]) == pytest.approx(292584, abs=0.5)
