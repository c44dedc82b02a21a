"""Design-based SEs of the counting indices, checked against the textbook formula.

Reference formula (Taylor linearisation, with-replacement first stage, no fpc; Lumley 2010
§2.5, Stata ``svy`` / R ``svydesign(id=~psu, strata=~stratum)``): for a ratio
R = Σ_D w y / Σ_D w x, z_i = w_i d_i (y_i − R x_i)/X̂, PSU totals Z_hi, and
V = Σ_h n_h/(n_h − 1) Σ_i (Z_hi − Z̄_h)². Computed here with pandas, independently of the
design engine, keeping PSUs with no domain member (domains are subpopulations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gender_diag.design.survey import SurveyDesign
from gender_diag.errors import DesignError
from gender_diag.indices import alkire_foster, weai

KEYS = [
    "input_decisions",
    "ownership_assets",
    "credit_decisions",
    "control_income",
    "group_member",
    "workload",
]


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(20261128)
    n_hh = 3 * 4 * 5  # 3 strata × 4 PSUs × 5 households, a woman and a man each
    hh = np.arange(n_hh)
    frame = pd.DataFrame(
        {
            "hhid": np.repeat(hh, 2),
            "sex": np.tile(["F", "M"], n_hh),
            "stratum": np.repeat(hh // 20, 2),
            "psu": np.repeat(hh // 5, 2),
            "w": np.repeat(rng.uniform(1, 4, n_hh), 2),
            "area": rng.choice(["a", "b"], 2 * n_hh),
        }
    )
    for j, key in enumerate(KEYS):
        frame[key] = (rng.random(len(frame)) < 0.55 + 0.05 * j).astype(float)
    # PSU 0 holds men only: women of PSU 0 become men's partners elsewhere is not needed —
    # simply drop its women so that the women's domain is absent from one PSU
    frame = frame[~((frame["psu"] == 0) & (frame["sex"] == "F"))].reset_index(drop=True)
    frame.loc[7, "workload"] = np.nan  # one incomplete person (listwise exclusion)
    return frame


def reference_se(frame, y, x, domain, w):
    wd = np.where(domain, w, 0.0)
    r = (wd * y).sum() / (wd * x).sum()
    z = wd * (y - r * x) / (wd * x).sum()
    t = pd.DataFrame({"z": z, "h": frame["stratum"], "p": frame["psu"]})
    totals = t.groupby(["h", "p"])["z"].sum().reset_index()
    dev = totals["z"] - totals.groupby("h")["z"].transform("mean")
    n_h = totals.groupby("h")["z"].transform("size")
    return r, float(np.sqrt((n_h / (n_h - 1) * dev**2).sum()))


def test_alkire_foster_se_matches_formula(people):
    dep = 1 - people[KEYS]
    res = alkire_foster(
        dep.assign(stratum=people["stratum"], psu=people["psu"]),
        dict.fromkeys(KEYS, 1),
        k=0.4,
        weight=people["w"].to_numpy(),
        design={"strata": "stratum", "psu": "psu"},
    )
    # weights given as an array: the stratum/psu columns must not be taken as indicators
    complete = dep.notna().all(axis=1).to_numpy()
    poor = res.identified.to_numpy().astype(float)
    pc = np.where(res.identified, res.scores.fillna(0), 0.0)
    w = people["w"].to_numpy()
    ones = np.ones(len(people))
    se = res.se.set_index("measure")
    for measure, y, x in (("H", poor, ones), ("M0", pc, ones), ("A", pc, poor)):
        est, ref = reference_se(people, y, x, complete, w)
        assert se.loc[measure, "estimate"] == pytest.approx(est, rel=1e-12)
        assert se.loc[measure, "se"] == pytest.approx(ref, rel=1e-10)
    assert se.loc["H", "df"] == 12 - 3
    lo, hi = se.loc["H", ["ci_low", "ci_high"]]
    assert lo < res.h < hi


def test_weai_domain_ses_keep_every_psu(people):
    d = SurveyDesign(people, weight="w", strata="stratum", psu="psu")
    res = weai(people, "a-weai", design=d, by="area")
    w = people["w"].to_numpy()
    female = (people["sex"] == "F").to_numpy()
    complete = people[KEYS].notna().all(axis=1).to_numpy()
    women = female & complete
    poor = np.zeros(len(people))
    poor[female] = res.women.identified.to_numpy()
    est, ref = reference_se(people, poor, np.ones(len(people)), women, w)
    se = res.women.se.set_index(["by", "by_value", "measure"])
    assert se.loc[("total", "", "H"), "se"] == pytest.approx(ref, rel=1e-10)
    assert se.loc[("total", "", "H"), "estimate"] == pytest.approx(res.women.h)
    # dropping the men-only PSU first would change the SE (the classic domain error)
    kept = people["psu"] != 0
    _, wrong = reference_se(people[kept], poor[kept], np.ones(kept.sum()), women[kept], w[kept])
    assert abs(wrong - ref) > 1e-6
    # a subgroup (area a) is a domain too
    in_a = women & (people["area"] == "a").to_numpy()
    _, ref_a = reference_se(people, poor, np.ones(len(people)), in_a, w)
    assert se.loc[("area", "a", "H"), "se"] == pytest.approx(ref_a, rel=1e-10)
    # 5DE = 1 − M0: same SE, mirrored interval, in the tidy frame
    f = res.to_frame().set_index(["sex", "by", "by_value", "measure"])
    m0 = f.loc[("F", "total", "", "M0")]
    de = f.loc[("F", "total", "", "5DE")]
    assert de["se"] == pytest.approx(m0["se"])
    assert de["ci_low"] == pytest.approx(1 - m0["ci_high"])


def test_gpi_and_index_se_match_formula(people):
    d = SurveyDesign(people, weight="w", strata="stratum", psu="psu")
    res = weai(people, "a-weai", design=d)
    n = len(people)
    t = res.households
    dual = np.zeros(n, dtype=bool)
    dual[t["row"]] = True
    lg = np.zeros(n)
    lg[t["row"]] = t["lacks_parity"] * t["gap"]
    w = people["w"].to_numpy()
    est, ref = reference_se(people, lg, np.ones(n), dual, w)
    se = res.gpi.se.set_index("measure")
    assert se.loc["GPI", "estimate"] == pytest.approx(res.gpi.value)
    assert 1 - est == pytest.approx(res.gpi.value)
    assert se.loc["GPI", "se"] == pytest.approx(ref, rel=1e-10)
    # overall index: linearised combination 0.9·z(M0_W) + 0.1·z(H·I), covariance included
    female = (people["sex"] == "F").to_numpy() & people[KEYS].notna().all(axis=1).to_numpy()
    pc = np.zeros(n)
    pc[(people["sex"] == "F").to_numpy()] = np.where(
        res.women.identified, res.women.scores.fillna(0), 0
    )
    wd = np.where(female, w, 0)
    z_m0 = wd * (pc - (wd * pc).sum() / wd.sum()) / wd.sum()
    wg = np.where(dual, w, 0)
    z_hi = wg * (lg - (wg * lg).sum() / wg.sum()) / wg.sum()
    z = 0.9 * z_m0 + 0.1 * z_hi
    tz = pd.DataFrame({"z": z, "h": people["stratum"], "p": people["psu"]})
    tot = tz.groupby(["h", "p"])["z"].sum().reset_index()
    dev = tot["z"] - tot.groupby("h")["z"].transform("mean")
    n_h = tot.groupby("h")["z"].transform("size")
    ref_index = float(np.sqrt((n_h / (n_h - 1) * dev**2).sum()))
    assert se.loc["a-weai", "estimate"] == pytest.approx(res.value)
    assert se.loc["a-weai", "se"] == pytest.approx(ref_index, rel=1e-10)


def test_design_must_match_rows(people):
    d = SurveyDesign(people.iloc[:-2], weight="w", strata="stratum", psu="psu")
    with pytest.raises(DesignError, match="same frame"):
        weai(people, "a-weai", design=d)
    d = SurveyDesign(people, weight="w", strata="stratum", psu="psu")
    with pytest.raises(DesignError, match="differs from the weights"):
        weai(people, "a-weai", design=d, weight=np.ones(len(people)))
    with pytest.raises(DesignError, match="subset"):
        weai(people, "a-weai", design=d.subset(people["area"] == "a"))


def test_agrees_with_design_engine_estimators(people):
    # the same H, M0 and A through SurveyDesign.mean / .ratio on person-level variables
    d = SurveyDesign(people, weight="w", strata="stratum", psu="psu")
    res = weai(people, "a-weai", design=d)
    female = (people["sex"] == "F").to_numpy()
    complete = people[KEYS].notna().all(axis=1).to_numpy()
    poor = np.full(len(people), np.nan)
    poor[female & complete] = res.women.identified[complete[female]].to_numpy()
    pc = np.where(poor == 1, res.women.scores.reindex(people.index).to_numpy(), 0.0)
    pc[np.isnan(poor)] = np.nan
    data = people.assign(poor=poor, pc=pc)
    d2 = SurveyDesign(data, weight="w", strata="stratum", psu="psu").subset(female & complete)
    means = d2.mean(["poor", "pc"]).set_index("variable")
    ratio = d2.ratio("pc", "poor")
    se = res.women.se.set_index("measure")
    assert se.loc["H", "se"] == pytest.approx(means.loc["poor", "se"], rel=1e-9)
    assert se.loc["M0", "se"] == pytest.approx(means.loc["pc", "se"], rel=1e-9)
    assert se.loc["A", "se"] == pytest.approx(ratio["se"].iloc[0], rel=1e-9)
    assert se.loc["A", "estimate"] == pytest.approx(ratio["estimate"].iloc[0], rel=1e-12)
