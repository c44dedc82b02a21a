"""UNDP Gender Inequality Index against the HDR 2015 table (tests/data/gii_hdr2015)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gender_diag.errors import ValidationError
from gender_diag.indices import gii

DATA = Path(__file__).parents[1] / "data" / "gii_hdr2015" / "gender_inequality.csv"
COLUMNS = [
    "rank",
    "country",
    "gii",
    "mmr",
    "abr",
    "parliament_f",
    "secondary_f",
    "secondary_m",
    "lfpr_f",
    "lfpr_m",
]
# Published GII is printed with 3 decimals; methods.md §4 states reproduction within 0.001.
TOL = 0.001
# Countries whose printed inputs are too coarsely rounded to reproduce the 3-decimal GII
# within 0.001. For each one the test below shows that the published value is reached by
# moving the inputs within their printed rounding (± half a unit of the last digit), so the
# gap is rounding in the table, not the formula. Kuwait (parliament 1.5 %) is the case named
# in reference-data/README.md; Korea (ABR 2.2), Myanmar (parliament 4.7 %) and Yemen
# (parliament 0.7 %) have the same problem: a small printed input with large relative error.
ROUNDED_INPUTS = {"Kuwait", "Korea (Republic of)", "Myanmar", "Yemen"}
N_COMPLETE = 155  # ranked countries with every input and the published GII
N_TESTED = N_COMPLETE - len(ROUNDED_INPUTS)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    t = pd.read_csv(DATA, na_values=[".."])
    t.columns = COLUMNS
    # unranked rows are regional aggregates (computed differently): not test cases
    return t[t["rank"].notna()].dropna().set_index("country")


def test_hdr2015_table_within_0001(table):
    assert len(table) == N_COMPLETE
    tested = table.drop(index=sorted(ROUNDED_INPUTS))
    assert len(tested) == N_TESTED == 151
    diff = (gii(tested) - tested["gii"]).abs()
    assert diff.max() <= TOL, diff.sort_values().tail()
    # the zero-seat rule (0.1 %) is exercised by Qatar and Tonga
    assert (tested["parliament_f"] == 0).sum() == 2


def test_excluded_countries_are_explained_by_input_rounding(table):
    cols = ["mmr", "abr", "parliament_f", "secondary_f", "secondary_m", "lfpr_f", "lfpr_m"]
    half = {"mmr": 0.5, **{c: 0.05 for c in cols[1:]}}  # MMR printed as integer, others 1 dp
    for country in sorted(ROUNDED_INPUTS):
        row = table.loc[[country]]
        published = row["gii"].iloc[0]
        assert abs(gii(row).iloc[0] - published) > TOL  # really outside the tolerance …
        grid = pd.concat([row] * 3 ** len(cols), ignore_index=True)
        signs = np.array(list(itertools.product([-1, 0, 1], repeat=len(cols))))
        for j, c in enumerate(cols):
            grid[c] = grid[c] + signs[:, j] * half[c]
        values = gii(grid)
        # … yet reachable from inputs consistent with the printed (rounded) ones
        assert values.min() - 0.0005 <= published <= values.max() + 0.0005, country


def test_norway_by_hand():
    # HDR 2015 Table 5, Norway: MMR 4 → clipped to 10; ABR 7.8; PR 39.6 %; SE 97.4/96.7;
    # LFPR 61.2/68.7. Step by step (Technical note 4):
    hf = np.sqrt(10 / 10 * 1 / 7.8)
    ef, em = np.sqrt(0.396 * 0.974), np.sqrt(0.604 * 0.967)
    gf, gm = np.cbrt(hf * ef * 0.612), np.cbrt(1 * em * 0.687)
    harm = 2 / (1 / gf + 1 / gm)
    gbar = np.cbrt((hf + 1) / 2 * (ef + em) / 2 * (0.612 + 0.687) / 2)
    frame = pd.DataFrame(
        {
            "mmr": [4],
            "abr": [7.8],
            "parliament_f": [39.6],
            "secondary_f": [97.4],
            "secondary_m": [96.7],
            "lfpr_f": [61.2],
            "lfpr_m": [68.7],
        }
    )
    assert gii(frame).iloc[0] == pytest.approx(1 - harm / gbar, abs=1e-12)
    assert gii(frame).iloc[0] == pytest.approx(0.067, abs=TOL)  # published


def test_parliament_m_optional_and_missing_inputs():
    frame = pd.DataFrame(
        {
            "mmr": [100, 100],
            "abr": [50, np.nan],
            "parliament_f": [20, 20],
            "secondary_f": [50, 50],
            "secondary_m": [60, 60],
            "lfpr_f": [40, 40],
            "lfpr_m": [70, 70],
        }
    )
    out = gii(frame)
    assert np.isnan(out.iloc[1])
    assert gii(frame.assign(parliament_m=80)).iloc[0] == pytest.approx(out.iloc[0])
    with pytest.raises(ValidationError, match="'lfpr_f' must be a percentage"):
        gii(frame.assign(lfpr_f=[0.4, 0.4]).assign(lfpr_f=[140, 40]))
    with pytest.raises(ValueError, match="'frame' parameter of gii"):
        gii(frame.drop(columns="abr"))
