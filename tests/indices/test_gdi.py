"""UNDP Gender Development Index: a worked case computed by hand from the HDR technical notes.

No published GDI table is bundled (reference-data has none), so the test spells out every
step of HDR 2015 Technical note 3 with the goalposts of methods.md §4.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gender_diag.errors import ValidationError
from gender_diag.indices import gdi
from gender_diag.indices.gdi import hdi_by_sex

CASE = pd.DataFrame(
    {
        "le_f": [75.0],
        "le_m": [70.0],
        "eys_f": [13.0],
        "eys_m": [12.5],
        "mys_f": [8.0],
        "mys_m": [9.0],
        "gni_f": [6000.0],
        "gni_m": [12000.0],
    }
)


def test_worked_case_step_by_step():
    # health: (75 − 22.5)/(87.5 − 22.5) = 52.5/65 and (70 − 17.5)/(82.5 − 17.5) = 52.5/65
    health_f = 52.5 / 65
    health_m = 52.5 / 65
    # education: mean of EYS/18 and MYS/15
    edu_f = (13 / 18 + 8 / 15) / 2  # 0.627778
    edu_m = (12.5 / 18 + 9 / 15) / 2  # 0.647222
    # income: (ln GNI − ln 100)/(ln 75 000 − ln 100) = ln(GNI/100)/ln(750)
    inc_f = math.log(60) / math.log(750)  # 0.618474
    inc_m = math.log(120) / math.log(750)  # 0.723178
    hdi_f = (health_f * edu_f * inc_f) ** (1 / 3)  # 0.679398
    hdi_m = (health_m * edu_m * inc_m) ** (1 / 3)  # 0.723072
    parts = hdi_by_sex(CASE).iloc[0]
    assert parts["health_f"] == pytest.approx(health_f, abs=1e-12)
    assert parts["education_m"] == pytest.approx(edu_m, abs=1e-12)
    assert parts["income_f"] == pytest.approx(inc_f, abs=1e-12)
    assert parts["hdi_m"] == pytest.approx(hdi_m, abs=1e-12)
    assert gdi(CASE).iloc[0] == pytest.approx(hdi_f / hdi_m, abs=1e-12)
    assert gdi(CASE).iloc[0] == pytest.approx(0.939600, abs=5e-7)  # hand calculator value


def test_caps_at_goalposts():
    # EYS 20 > 18, MYS 16 > 15, GNI 90 000 > 75 000: each index capped at 1
    capped = CASE.assign(eys_f=20.0, mys_f=16.0, gni_f=90_000.0)
    parts = hdi_by_sex(capped).iloc[0]
    assert parts["education_f"] == 1.0 and parts["income_f"] == 1.0


def test_missing_and_bad_values():
    out = gdi(pd.concat([CASE, CASE.assign(le_f=np.nan)], ignore_index=True))
    assert np.isnan(out.iloc[1]) and not np.isnan(out.iloc[0])
    with pytest.raises(ValidationError, match="'gni_m'"):
        gdi(CASE.assign(gni_m=-1.0))
