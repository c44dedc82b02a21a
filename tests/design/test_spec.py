"""DesignSpec: one validated design for every stage (issue 9) and design checks that bite
(issue 11, item 7)."""

import dataclasses
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gender_diag as gd
from gender_diag.design import DesignSpec, SurveyDesign
from gender_diag.errors import DesignError, DesignWarning, GenderDiagError


def _toy_module():
    path = Path(__file__).resolve().parents[1] / "indicators" / "conftest.py"
    spec = importlib.util.spec_from_file_location("toy_survey_builder", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_survey():
    return _toy_module().make_toy_survey(seed=3, communities_per_district=3, hh_per_community=6)


def _frame():
    return pd.DataFrame(
        {
            "y": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
            "district": list("AAAABBBB"),
            "community": ["c1", "c1", "c2", "c2", "c1", "c1", "c2", "c2"],
        }
    )


# ---------------------------------------------------------------------- the object
def test_spec_is_public_frozen_and_validated():
    assert gd.DesignSpec is DesignSpec
    spec = DesignSpec(weight="w", strata="district", psu="community", lonely_psu="average")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.psu = "other"
    assert spec.replace(psu=None).psu is None and spec.psu == "community"
    assert spec["psu"] == "community"
    problems = [
        dict(weight=""),
        dict(weight="w", lonely_psu="sometimes"),
        dict(weight="w", confidence=1.5),
        dict(weight="w", ssu="hh"),
        dict(weight="w", psu="p", ssu="s", fpc2="f2"),
        dict(weight="w", replicate_type="JK1"),
        dict(weight="w", reused_psu="pool"),
    ]
    for kw in problems:
        with pytest.raises(DesignError):
            DesignSpec(**kw)
    with pytest.raises(DesignError, match="unknown design key"):
        DesignSpec.coerce({"weight": "w", "cluster": "c"})


def test_from_config_merges_design_file_roles_and_options():
    cfg = {
        "design": {"weight": "", "strata": "none", "psu": "", "ssu": "", "lonely_psu": "fail",
                   "with_replacement": True, "confidence": 0.0, "replicate_type": ""},
        "indicators": {"confidence": 0.9},
    }  # fmt: skip
    file_roles = {"weight": "w", "strata": "district", "psu": "community", "ssu": "hhid"}
    spec = DesignSpec.from_config(cfg, file_roles)
    assert (spec.weight, spec.strata, spec.psu, spec.ssu) == ("w", None, "community", "hhid")
    assert spec.lonely_psu == "fail" and spec.with_replacement and spec.confidence == 0.9
    cfg["design"]["confidence"] = 0.8
    assert DesignSpec.from_config(cfg, file_roles).confidence == 0.8
    with pytest.raises(DesignError, match="No sampling weight"):
        DesignSpec.from_config({"design": {}}, {})


def test_bundled_configuration_gives_the_example_spec():
    from gender_diag.config import load_config

    cfg = load_config(Path(gd.__file__).resolve().parents[1] / "surveys/example/diagnostic.toml")
    spec = DesignSpec.from_config(cfg)
    assert spec.roles() == {"weight": "weight", "strata": "district", "psu": "community",
                            "ssu": "hhid", "fpc": "fpc", "fpc2": "fpc2"}  # fmt: skip
    assert spec.lonely_psu == "adjust" and spec.confidence == 0.95


# ---------------------------------------------------------------------- checks
def test_unknown_column_names_role_column_and_existing_columns():
    spec = DesignSpec(weight="w", strata="distrct", psu="comunity")
    with pytest.raises(DesignError) as err:
        SurveyDesign.from_spec(_frame(), spec)
    msg = str(err.value)
    for text in ("strata", "'distrct'", "psu", "'comunity'", "community", "district"):
        assert text in msg


def test_weights_non_finite_negative_zero_and_extreme():
    df = _frame()
    for bad in (np.nan, np.inf, -1.0):
        with pytest.raises(DesignError, match="weight"):
            SurveyDesign.from_spec(df.assign(w=[bad, *df.w[1:]]), {"weight": "w"})
    with pytest.warns(DesignWarning, match="weight 0"):
        d = SurveyDesign.from_spec(df.assign(w=[0.0, *df.w[1:]]), {"weight": "w"})
    assert any("weight 0" in n for n in d.notes)
    with pytest.warns(DesignWarning, match="100 × the median"):
        d = SurveyDesign.from_spec(df.assign(w=[1e300, *df.w[1:]]), {"weight": "w"})
    assert any("1e+300" in n for n in d.notes)


def test_reused_psu_ids_are_nested_with_a_note_never_pooled():
    df = _frame()  # c1 and c2 exist in both districts: four different communities
    spec = DesignSpec(weight="w", strata="district", psu="community")
    with pytest.warns(DesignWarning, match="more than one stratum"):
        d = SurveyDesign.from_spec(df, spec)
    assert d.stage1.n_units == 4 and d.df == 2
    by_psu = d.mean("y", by="community")
    assert len(by_psu) == 4  # one estimate per community, none pools two
    assert by_psu["community"].tolist() == ["A·c1", "A·c2", "B·c1", "B·c2"]
    np.testing.assert_allclose(by_psu.estimate, [1.5, 3.5, 5.5, 7.5])
    with pytest.raises(DesignError, match="reused_psu='fail'"):
        SurveyDesign.from_spec(df, spec.replace(reused_psu="fail"))
    # unique codes: no note, no relabelling
    unique = df.assign(community=df.district + df.community)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SurveyDesign.from_spec(unique, spec).notes == ()


# ---------------------------------------------------------------------- every stage
def test_indicators_refuse_a_typo_in_a_design_role(small_survey):
    with pytest.raises(DesignError) as err:
        gd.compute_indicators(small_survey, design={"psu": "comunity"}, indicators=["has_dni"])
    assert "psu" in str(err.value) and "'comunity'" in str(err.value)
    assert "community" in str(err.value)
    assert isinstance(err.value, GenderDiagError)


def _se(out):
    return out.loc[out.by == "total"].set_index("sex")["se"]


def test_with_replacement_and_lonely_policy_reach_indicator_ses(small_survey):
    ids = ["has_dni", "work_hours"]
    base = gd.compute_indicators(small_survey, indicators=ids, by=())
    wr = gd.compute_indicators(
        small_survey, design={"with_replacement": True}, indicators=ids, by=()
    )
    # with replacement ignores the fpc (30 communities per district): larger SEs
    assert (wr.se.to_numpy() > base.se.to_numpy()).all()
    np.testing.assert_allclose(wr.estimate, base.estimate)
    # a stratum with a single PSU: "fail" refuses, the policies give different SEs
    tables = dict(small_survey.tables)
    first = tables["households"]["community"].iloc[0]
    for name, t in tables.items():
        lonely = t["community"] == first
        tables[name] = t.assign(district=t["district"].where(~lonely, "solo"))
    lonely_survey = type(small_survey)(tables=tables, design=small_survey.design)
    with pytest.raises(DesignError, match="lonely PSU"):
        gd.compute_indicators(lonely_survey, design={"lonely_psu": "fail"}, indicators=ids, by=())
    ses = {
        policy: _se(
            gd.compute_indicators(
                lonely_survey, design={"lonely_psu": policy}, indicators=ids, by=()
            )
        )
        for policy in ("remove", "adjust", "average")
    }
    assert not np.allclose(ses["remove"], ses["adjust"])
    assert not np.allclose(ses["remove"], ses["average"])
    # the default (no policy stated) stays "adjust", as before
    default = _se(gd.compute_indicators(lonely_survey, indicators=ids, by=()))
    np.testing.assert_allclose(default, ses["adjust"])


def test_confidence_of_the_spec_reaches_indicator_intervals(small_survey):
    ids = ["work_hours"]
    wide = gd.compute_indicators(small_survey, design={"confidence": 0.99}, indicators=ids, by=())
    base = gd.compute_indicators(small_survey, indicators=ids, by=())
    assert ((wide.ci_high - wide.ci_low) > (base.ci_high - base.ci_low)).all()


def test_indices_use_the_same_spec_and_refuse_typos(small_survey):
    people = gd.indicators.weai_inputs(small_survey)
    keys = ["input_decisions", "ownership_assets", "credit_decisions", "control_income",
            "group_member", "workload"]  # fmt: skip
    if not all(k in people.columns for k in keys):
        pytest.skip("toy survey lacks A-WEAI inputs")
    spec = DesignSpec(weight="weight", strata="district", psu="community", fpc="fpc",
                      lonely_psu="adjust")  # fmt: skip
    res = gd.indices.weai(people, preset="a-weai", weight="weight", design=spec)
    wr = gd.indices.weai(
        people, preset="a-weai", weight="weight", design=spec.replace(with_replacement=True)
    )
    f, g = res.to_frame(), wr.to_frame()
    assert (g.se.fillna(0) >= f.se.fillna(0) - 1e-12).all() and (g.se > f.se).any()
    with pytest.raises(DesignError, match="comunity"):
        gd.indices.weai(people, preset="a-weai", weight="weight",
                        design=spec.replace(psu="comunity"))  # fmt: skip


def test_design_file_rows_are_matched_by_district_and_community():
    # Issue 11: community codes reused in two districts must keep their own weights
    from gender_diag.ingest.assemble import _merge_design

    hh = pd.DataFrame({"hhid": ["h1", "h2", "h3"], "district": ["A", "B", "B"],
                       "community": ["c1", "c1", "c2"]})  # fmt: skip
    design = pd.DataFrame({"community": ["c1", "c1", "c2"], "district": ["A", "B", "B"],
                           "weight": [2.0, 7.0, 5.0], "fpc": [10.0, 12.0, 12.0],
                           "fpc2": [np.nan] * 3})  # fmt: skip
    design["community"] = design["community"].astype("string")
    design["district"] = design["district"].astype("string")
    tables, roles = _merge_design({"households": hh}, design)
    assert tables["households"]["weight"].tolist() == [2.0, 7.0, 5.0]
    assert roles["strata"] == "district" and roles["psu"] == "community"
