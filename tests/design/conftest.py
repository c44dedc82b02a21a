"""Fixtures of the design-engine tests: the R ``survey`` api samples (tests/data/survey_api)."""

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "survey_api"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


@pytest.fixture(scope="session")
def apistrat() -> pd.DataFrame:
    return _read("apistrat")


@pytest.fixture(scope="session")
def apiclus1() -> pd.DataFrame:
    return _read("apiclus1")


@pytest.fixture(scope="session")
def apiclus2() -> pd.DataFrame:
    return _read("apiclus2")


@pytest.fixture(scope="session")
def apisrs() -> pd.DataFrame:
    df = _read("apisrs")
    for s in "EHM":
        df[f"stype{s}"] = (df["stype"] == s).astype(float)
    return df
