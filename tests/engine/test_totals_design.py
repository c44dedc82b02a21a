"""TotalsDesign (cells of weighted totals) equals the row-level SurveyDesign to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gender_diag.design import SurveyDesign
from gender_diag.design.totals import TotalsDesign

TOL = dict(rtol=1e-9, atol=1e-12)


def _rows(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    h = rng.integers(0, 4, n)
    p = h * 10 + rng.integers(0, 3, n)
    df = pd.DataFrame(
        {
            "h": h,
            "p": p,
            "s": p * 10 + rng.integers(0, 3, n),
            "N": 50.0 + h,  # PSUs per stratum in the population
            "N2": 20.0,
            "w": rng.uniform(0.5, 3.0, n),
            "sex": rng.choice(["F", "M"], n),
            "dist": rng.choice(["a", "b", "c"], n),
            "y": rng.integers(0, 2, n).astype(float),
            "x": rng.normal(5, 2, n),
        }
    )
    df.loc[rng.random(n) < 0.15, "y"] = np.nan
    df.loc[rng.random(n) < 0.05, "dist"] = None
    # a stratum with a single PSU (lonely, adjusted)
    lone = df["h"] == 3
    df.loc[lone, "p"] = 30
    return df


def _cells(df: pd.DataFrame, keys: list[str], values: list[str], moments: bool) -> pd.DataFrame:
    parts = {}
    g = df.assign(**{"dist": df["dist"].fillna("__na__")})
    for v in values:
        m = g[v].notna()
        a = g[v].fillna(0.0)
        parts[v] = g["w"] * a * m
        parts[f"{v}@den"] = g["w"] * m
        parts[f"{v}@n"] = m.astype(float)
        if moments:
            parts[f"{v}@aa"] = (g["w"] * a) ** 2 * m
            parts[f"{v}@ab"] = g["w"] ** 2 * a * m
            parts[f"{v}@bb"] = g["w"] ** 2 * m
    frame = pd.concat([g[keys], pd.DataFrame(parts)], axis=1)
    out = frame.groupby(keys, dropna=False).sum().reset_index()
    out["dist"] = out["dist"].replace("__na__", None)
    return out


def _compare(a: pd.DataFrame, b: pd.DataFrame, cols) -> None:
    for c in cols:
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), **TOL, err_msg=c)


@pytest.mark.parametrize(
    "spec",
    [
        dict(strata="h", psu="p"),
        dict(strata="h", psu="p", fpc="N"),
        dict(strata="h", psu="p", ssu="s", fpc="N", fpc2="N2"),
        dict(psu="p"),
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_psu_designs_match_rows(spec, seed):
    df = _rows(seed)
    keys = [c for c in ("h", "p", "s", "N", "N2") if c in spec.values()] + ["dist", "sex"]
    cells = _cells(df, keys, ["y", "x"], moments=False)
    rd = SurveyDesign(df, weight="w", lonely_psu="adjust", **spec)
    td = TotalsDesign(cells, lonely_psu="adjust", **spec)
    assert td.df == rd.df
    cols = ["estimate", "se", "ci_low", "ci_high", "n", "population", "df"]
    _compare(rd.mean(["y", "x"], by=["dist", "sex"]), td.mean(["y", "x"], by=["dist", "sex"]), cols)
    for kind in ("difference", "ratio"):
        a = rd.gap(["y", "x"], by="dist", kind=kind)
        b = td.gap(["y", "x"], by="dist", kind=kind)
        _compare(a, b, ["estimate", "se", "ci_low", "ci_high", "p_value", "df", "n_focal"])


@pytest.mark.parametrize("spec", [dict(), dict(strata="h"), dict(strata="h", fpc="N")])
def test_designs_without_psu_match_rows(spec):
    df = _rows(3)
    if "fpc" in spec:  # population sizes at least the rows of each stratum
        df["N"] = df.groupby("h")["w"].transform("size") * 3.0
    keys = [c for c in ("h", "N") if c in spec.values()] + ["dist", "sex"]
    cells = _cells(df, keys, ["y", "x"], moments=True)
    rows = df.groupby("h").size() if "strata" in spec else pd.Series({"(all)": len(df)})
    rd = SurveyDesign(df, weight="w", lonely_psu="adjust", **spec)
    td = TotalsDesign(cells, lonely_psu="adjust", rows_per_stratum=rows, **spec)
    assert td.df == rd.df
    cols = ["estimate", "se", "n", "population", "df"]
    _compare(rd.mean(["y", "x"], by=["dist", "sex"]), td.mean(["y", "x"], by=["dist", "sex"]), cols)
    for kind in ("difference", "ratio"):
        a = rd.gap(["y", "x"], by="dist", kind=kind)
        b = td.gap(["y", "x"], by="dist", kind=kind)
        _compare(a, b, ["estimate", "se", "p_value", "df"])


def test_lonely_row_stratum_adjusted():
    df = _rows(4)
    df.loc[df.index[0], "h"] = 9  # a stratum of one row
    cells = _cells(df, ["h", "dist", "sex"], ["y", "x"], moments=True)
    rd = SurveyDesign(df, weight="w", strata="h", lonely_psu="adjust")
    td = TotalsDesign(
        cells, strata="h", lonely_psu="adjust", rows_per_stratum=df.groupby("h").size()
    )
    _compare(rd.mean(["y", "x"], by="sex"), td.mean(["y", "x"], by="sex"), ["estimate", "se"])


def test_without_psu_needs_row_counts():
    from gender_diag.errors import DesignError

    with pytest.raises(DesignError, match="rows_per_stratum"):
        TotalsDesign(pd.DataFrame({"y": [1.0], "y@den": [1.0], "y@n": [1.0]}))
