"""WEAI family: a five-person WEAI on paper, the GPI by hand, presets as validated data.

The published pilot figures (Alkire et al. 2013, Table 2ff.: Bangladesh 5DE 0.746, GPI 0.899,
WEAI 0.762, …) need the pilot microdata, which is not public in this project; they are not
reproduced here, and no test pretends to.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from gender_diag.errors import ConfigError, ValidationError
from gender_diag.indices import load_preset, weai
from gender_diag.indices.presets import KNOWN_INDICATORS, PRESETS, parse_preset

WEAI_KEYS = [
    "input_decisions",
    "autonomy_production",
    "ownership_assets",
    "rights_assets",
    "credit_decisions",
    "control_income",
    "group_member",
    "speaking_public",
    "workload",
    "leisure",
]


def _person(hhid, sex, inadequate, w=1.0):
    row = {"hhid": hhid, "sex": sex, "w": w}
    row.update({k: 0.0 if k in inadequate else 1.0 for k in WEAI_KEYS})
    return row


@pytest.fixture
def five() -> pd.DataFrame:
    """Five respondents; WEAI weights: 1/10 each except assets/rights/credit 1/15 and
    control_income 1/5. Scores on paper:

    - W1 (hh 1): ownership, rights, credit = 3/15 = 0.20 exactly → NOT disempowered (c > 0.2)
    - W2 (hh 2): control_income 1/5 + group 1/10 + workload 1/10 = 0.40 → disempowered
    - W3 (hh 3, no man): input 1/10 + autonomy 1/10 + ownership 1/15 = 4/15 → disempowered
    - M1 (hh 1): leisure 1/10 = 0.10 → empowered
    - M2 (hh 2): speaking + workload + leisure + credit = 3/10 + 1/15 = 11/30 → disempowered
    """
    return pd.DataFrame(
        [
            _person(1, "F", {"ownership_assets", "rights_assets", "credit_decisions"}, 1.0),
            _person(2, "F", {"control_income", "group_member", "workload"}, 3.0),
            _person(3, "F", {"input_decisions", "autonomy_production", "ownership_assets"}, 1.0),
            _person(1, "M", {"leisure"}, 1.0),
            _person(2, "M", {"speaking_public", "workload", "leisure", "credit_decisions"}, 3.0),
        ]
    )


def test_five_person_weai_on_paper(five):
    res = weai(five, "weai")
    w = res.women
    assert w.identified.tolist() == [False, True, True]  # 0.20 exactly is not > 0.20
    # women: H = 2/3, A = (2/5 + 4/15)/2 = 1/3, M0 = 2/9, 5DE = 7/9
    assert (w.h, w.a, w.m0, w.de) == pytest.approx((2 / 3, 1 / 3, 2 / 9, 7 / 9), abs=1e-12)
    assert w.n == 3 and w.excluded == 0 and w.label == "5DE"
    # men: H = 1/2, A = 11/30, M0 = 11/60, 5DE = 49/60
    m = res.men
    assert (m.h, m.a, m.m0, m.de) == pytest.approx((1 / 2, 11 / 30, 11 / 60, 49 / 60), abs=1e-12)
    # women's censored headcounts: W3 gives input, autonomy, ownership; W2 income, group, work
    ch = w.censored_headcounts
    assert ch[
        [
            "input_decisions",
            "autonomy_production",
            "ownership_assets",
            "control_income",
            "group_member",
            "workload",
        ]
    ].tolist() == pytest.approx([1 / 3] * 6)
    assert ch[["rights_assets", "credit_decisions", "speaking_public", "leisure"]].sum() == 0
    assert w.raw_headcounts["ownership_assets"] == pytest.approx(2 / 3)  # W1 and W3
    # contributions: w_j · CH_j / M0, e.g. control_income (1/5 · 1/3)/(2/9) = 3/10
    assert w.contributions["control_income"] == pytest.approx(0.3)
    assert w.contributions["input_decisions"] == pytest.approx(0.15)
    assert w.contributions["ownership_assets"] == pytest.approx(0.1)
    assert w.contributions.sum() == pytest.approx(1.0)


def test_gpi_by_hand(five):
    res = weai(five, "weai", gpi_weighted=False)
    g = res.gpi
    # dual households 1 and 2; household 3 (woman alone) cannot enter the GPI
    assert g.households == 2 and g.excluded_households == 1
    t = res.households.set_index("hh")
    # hh 1: c'_W = max(0.2, 0.2) = 0.2, c'_M = max(0.1, 0.2) = 0.2 → no lack of parity
    #       (the empowered woman never lacks parity, although her raw score is higher)
    assert not t.loc[1, "lacks_parity"]
    assert t.loc[1, ["cw_censored", "cm_censored"]].tolist() == pytest.approx([0.2, 0.2])
    # hh 2: c'_W = 0.4 > c'_M = 11/30 → gap = (0.4 − 11/30)/(1 − 11/30) = 1/19
    assert t.loc[2, "lacks_parity"] and t.loc[2, "gap"] == pytest.approx(1 / 19)
    # H_GPI = 1/2, I_GPI = 1/19, GPI = 1 − 1/38
    assert (g.h, g.i, g.value) == pytest.approx((1 / 2, 1 / 19, 37 / 38), abs=1e-12)
    # WEAI = 0.9 · 7/9 + 0.1 · 37/38
    assert res.value == pytest.approx(0.9 * 7 / 9 + 0.1 * 37 / 38, abs=1e-12)


def test_gpi_weighted_by_the_womans_weight(five):
    # woman's weights: hh 1 → 1, hh 2 → 3: H_GPI = 3/4, I_GPI = 1/19, GPI = 1 − 3/76
    res = weai(five, "weai", weight="w")
    assert res.gpi.weighted
    assert (res.gpi.h, res.gpi.i, res.gpi.value) == pytest.approx((3 / 4, 1 / 19, 1 - 3 / 76))
    # women weighted: W1 (1, not dis.), W2 (3, c=0.4), W3 (1, c=4/15): H = 4/5,
    # M0 = (3·0.4 + 4/15)/5 = 22/75
    assert (res.women.h, res.women.m0) == pytest.approx((4 / 5, 22 / 75))
    assert res.value == pytest.approx(0.9 * (1 - 22 / 75) + 0.1 * (1 - 3 / 76))


def test_listwise_exclusion_and_incomplete_households(five):
    five.loc[3, "leisure"] = np.nan  # M1 incomplete → household 1 is no longer dual
    res = weai(five, "weai")
    assert res.men.excluded == 1 and res.men.n == 1
    assert res.gpi.households == 1 and res.gpi.excluded_households == 2
    f = res.to_frame()
    excl = f[(f["measure"] == "excluded") & (f["sex"] == "M")]["estimate"]
    assert excl.tolist() == [1.0]


def test_a_weai_preset_weights():
    p = load_preset("a-weai")
    # A-WEAI Instructional Guide (Malapit et al. 2015), Table 1
    assert p.weights == {
        "input_decisions": Fraction(1, 5),
        "ownership_assets": Fraction(2, 15),
        "credit_decisions": Fraction(1, 15),
        "control_income": Fraction(1, 5),
        "group_member": Fraction(1, 5),
        "workload": Fraction(1, 5),
    }
    assert p.cutoff == Fraction(1, 5) and p.strict and p.empowerment_label == "5DE"
    assert p.index_weights == (Fraction(9, 10), Fraction(1, 10))


@pytest.mark.parametrize(
    ("name", "n", "weight", "cutoff", "label"),
    [
        ("weai", 10, None, Fraction(1, 5), "5DE"),
        ("a-weai", 6, None, Fraction(1, 5), "5DE"),
        ("pro-weai", 12, Fraction(1, 12), Fraction(1, 4), "3DE"),
        ("pro-weai-10", 10, Fraction(1, 10), Fraction(1, 5), "3DE"),
    ],
)
def test_every_preset_loads_and_sums_to_one(name, n, weight, cutoff, label):
    p = load_preset(name)
    assert len(p.weights) == n and sum(p.weights.values()) == 1
    assert p.cutoff == cutoff and p.strict and p.empowerment_label == label
    if weight is not None:
        assert set(p.weights.values()) == {weight}
    assert set(p.weights) <= KNOWN_INDICATORS
    for lang in ("es", "fr", "en"):
        assert all(p.labels[k][lang] for k in p.weights)


def test_pro_weai_without_optional_indicator_names_the_10_indicator_preset():
    p12 = load_preset("pro-weai")
    assert p12.optional == {"respect_household", "influential_groups"}
    cols = [k for k in p12.weights if k != "respect_household"]
    people = pd.DataFrame({"hhid": [1, 1], "sex": ["F", "M"], **{c: [1, 1] for c in cols}})
    with pytest.raises(ValidationError, match="pro-weai-10"):
        weai(people, "pro-weai")
    res = weai(people.drop(columns="influential_groups"), "pro-weai-10")
    assert res.women.de == 1.0 and res.gpi.value == 1.0


def test_pro_weai_75_percent_rule():
    # 12 indicators at 1/12: 3 inadequacies = 0.25 → empowered (≥ 75 %); 4 → disempowered
    keys = list(load_preset("pro-weai").weights)
    rows = []
    for hh, bad in ((1, 3), (2, 4)):
        rows.append({"hhid": hh, "sex": "F", **{k: float(j >= bad) for j, k in enumerate(keys)}})
        rows.append({"hhid": hh, "sex": "M", **dict.fromkeys(keys, 1.0)})
    res = weai(pd.DataFrame(rows), "pro-weai")
    assert res.women.identified.tolist() == [False, True]
    assert res.women.h == 0.5 and res.women.a == pytest.approx(1 / 3)


def test_custom_indicators_and_to_frame(five):
    res = weai(five, indicators={"control_income": 1, "group_member": 1}, cutoff="1/3")
    # W2 inadequate in both (c = 1) → disempowered; others 0
    assert res.women.h == pytest.approx(1 / 3) and res.preset.id == "custom"
    f = res.to_frame()
    assert list(f.columns) == [
        "index",
        "sex",
        "by",
        "by_value",
        "measure",
        "indicator",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "n",
    ]
    de = f[(f["measure"] == "DE") & (f["sex"] == "F") & (f["by"] == "total")]["estimate"]
    assert de.tolist() == pytest.approx([1 - res.women.m0])


def test_by_subgroups(five):
    five["district"] = ["a", "b", "b", "a", "b"]
    res = weai(five, "weai", by="district")
    sub = res.women.subgroups.set_index("by_value")
    assert sub.loc["a", "m0"] == 0.0 and sub.loc["b", "h"] == 1.0
    assert (sub["share"] * sub["m0"]).sum() == pytest.approx(res.women.m0)
    gpi = res.gpi.by_group.set_index("by_value")
    assert gpi.loc["a", "value"] == 1.0 and gpi.loc["b", "value"] == pytest.approx(1 - 1 / 19)


def test_bad_inputs_are_clear(five):
    with pytest.raises(ValidationError, match="'sex' must be 'F' or 'M'"):
        weai(five.assign(sex=["F", "F", "X", "M", "M"]), "weai")
    with pytest.raises(ValidationError, match=r"column 'leisure' must hold adequacy"):
        weai(five.assign(leisure=[1, 1, 1, 1, 5]), "weai")
    with pytest.raises(ValidationError, match="adequacy column"):
        weai(five.drop(columns="leisure"), "weai")
    with pytest.raises(ConfigError, match="Unknown WEAI preset"):
        weai(five, "weai-2")


def _preset_dict(**change):
    base = {
        "id": "t",
        "cutoff": "1/5",
        "comparison": "greater_than",
        "empowerment_label": "5DE",
        "index_weights": {"empowerment": "9/10", "parity": "1/10"},
        "name": {"en": "x", "es": "x", "fr": "x"},
        "domains": {
            "d": {
                "labels": {"en": "d", "es": "d", "fr": "d"},
                "indicators": {
                    "workload": {"weight": "1/3", "labels": {"en": "w", "es": "w", "fr": "w"}},
                    "leisure": {"weight": "2/3", "labels": {"en": "l", "es": "l", "fr": "l"}},
                },
            }
        },
    }
    base.update(change)
    return base


def test_preset_validation_messages():
    assert parse_preset(_preset_dict(), source="t.yaml").weights["leisure"] == Fraction(2, 3)
    bad_sum = _preset_dict()
    bad_sum["domains"]["d"]["indicators"]["leisure"]["weight"] = "1/2"
    with pytest.raises(ConfigError, match=r"t.yaml: indicator weights must sum exactly to 1.*5/6"):
        parse_preset(bad_sum, source="t.yaml")
    unknown = _preset_dict()
    unknown["domains"]["d"]["indicators"]["sleep"] = unknown["domains"]["d"]["indicators"].pop(
        "leisure"
    )
    with pytest.raises(ConfigError, match="indicator 'sleep': unknown indicator key"):
        parse_preset(unknown, source="t.yaml")
    with pytest.raises(ConfigError, match="'comparison' must be one of"):
        parse_preset(_preset_dict(comparison=">"), source="t.yaml")
    no_fr = _preset_dict()
    del no_fr["domains"]["d"]["indicators"]["workload"]["labels"]["fr"]
    with pytest.raises(ConfigError, match=r"indicator 'workload': labels are missing.*fr"):
        parse_preset(no_fr, source="t.yaml")
    with pytest.raises(ConfigError, match="cutoff"):
        parse_preset(_preset_dict(cutoff="one fifth"), source="t.yaml")


def test_preset_ids_are_files():
    assert set(PRESETS) == {"weai", "a-weai", "pro-weai", "pro-weai-10"}


def test_numeric_sex_codes_need_only_the_female_code(five):
    """Survey files often code sex 1 = man, 2 = woman: female=2 is enough."""
    coded = five.assign(sex=five["sex"].map({"M": 1, "F": 2}))
    a = weai(five, "weai", weight="w")
    b = weai(coded, "weai", weight="w", female=2)
    assert b.women.de == a.women.de and b.men.de == a.men.de
    assert b.gpi.value == a.gpi.value and b.value == a.value
    with pytest.raises(ValidationError, match="must be 2 or"):
        weai(coded.assign(sex=[2, 2, 2, 1, 3]), "weai", weight="w", female=2)
