"""Coded answers leave ingest as categories and every later stage gives the same numbers as
with text columns (the categorical dtype is a storage choice, never a change of result)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import gender_diag as gd
from gender_diag.ingest import read_odk


@pytest.fixture(scope="module")
def small_survey(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cat")
    synth = gd.synth.generate(150, seed=3)
    written = gd.synth.write_survey(synth, folder, formats=("odk_csv",))
    return read_odk(written["odk_csv"][0], form=written["form"], design=written["design"])


def _as_text(survey):
    tables = {
        name: df.assign(
            **{
                c: df[c].astype("string")
                for c in df.columns
                if isinstance(df[c].dtype, pd.CategoricalDtype)
            }
        )
        for name, df in survey.tables.items()
    }
    return dataclasses.replace(survey, tables=tables)


def test_coded_columns_are_categories(small_survey):
    members = small_survey.tables["members"]
    for col in ("sex", "education", "literate"):
        assert isinstance(members[col].dtype, pd.CategoricalDtype), col
    assert set(members["sex"].dropna()) == {"F", "M"}
    resp = small_survey.tables["respondents"]
    assert isinstance(resp["groups"].dtype, pd.CategoricalDtype)  # select_multiple answer
    assert resp["groups__producers"].dtype == "boolean"
    assert resp["input_food_crops"].dtype == "Int64"  # numeric codes stay numbers
    # link keys are categories of one dtype shared by every table (merged on by codes)
    assert isinstance(members["hhid"].dtype, pd.CategoricalDtype)
    assert members["hhid"].dtype == small_survey.tables["households"]["hhid"].dtype


def test_indicators_equal_with_text_columns(small_survey):
    from gender_diag.indicators.compute import compute_indicators

    with_categories = compute_indicators(small_survey)
    with_text = compute_indicators(_as_text(small_survey))
    assert len(with_categories) > 100
    pd.testing.assert_frame_equal(with_categories, with_text)
