"""Disclosure control: hand-checkable cases and hypothesis properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.errors import ConfigError
from gender_diag.report.sdc import OFFERED_THRESHOLDS, apply_sdc, reliability_from_cv

KEY = ["indicator", "by", "by_value", "sex"]


def frame(rows, **extra):
    df = pd.DataFrame(rows, columns=["indicator", "by", "by_value", "sex", "n"])
    df["estimate"] = 0.5
    df["se"] = 0.05
    df["ci_low"], df["ci_high"] = 0.4, 0.6
    df["population"] = df["n"] * 20.0
    df["affected"] = df["n"] * 10.0
    for k, v in extra.items():
        df[k] = v
    return df


def test_primary_and_secondary_hand_case():
    # community cells of one indicator × sex: a is primary (3 < 5); the next smallest
    # unsuppressed (c, n=6) must go too so that a cannot be recovered as total − b − c − d.
    t = frame(
        [
            ("x", "total", "", "F", 100),
            ("x", "community", "a", "F", 3),
            ("x", "community", "b", "F", 40),
            ("x", "community", "c", "F", 6),
            ("x", "community", "d", "F", 51),
        ]
    )
    out, log = apply_sdc(t, threshold=5)
    sup = dict(zip(out["by_value"], out["suppressed"], strict=True))
    assert sup == {"": False, "a": True, "b": False, "c": True, "d": False}
    assert log[["by_value", "reason"]].values.tolist() == [["a", "primary"], ["c", "secondary"]]
    blanked = out[out["suppressed"]]
    for col in ("estimate", "se", "ci_low", "ci_high", "population", "affected", "n"):
        assert blanked[col].isna().all(), col
    assert out.loc[~out["suppressed"], "estimate"].notna().all()
    assert log.loc[log["reason"] == "primary", "n"].tolist() == [3.0]


def test_two_primary_cells_need_no_secondary():
    t = frame([("x", "district", d, "F", n) for d, n in zip("abc", (2, 4, 50), strict=True)])
    out, log = apply_sdc(t)
    assert out["suppressed"].tolist() == [True, True, False]
    assert set(log["reason"]) == {"primary"}


@pytest.mark.parametrize("threshold", OFFERED_THRESHOLDS)
def test_offered_thresholds(threshold):
    t = frame([("x", "district", str(k), "F", k) for k in range(1, 13)])
    out, _ = apply_sdc(t, threshold=threshold, sensitive_threshold=max(threshold, 10))
    primary = out["by_value"].astype(int) < threshold
    assert out.loc[primary, "suppressed"].all()
    published = out[~out["suppressed"]]
    assert (published["n"] >= threshold).all()


def test_sensitive_threshold_and_level():
    t = frame(
        [
            ("vio", "total", "", "F", 60),
            ("vio", "district", "d1", "F", 8),  # below 10: suppressed for a sensitive one
            ("vio", "district", "d2", "F", 30),
            ("vio", "district", "d3", "F", 22),
            ("vio", "community", "c1", "F", 25),  # never published, whatever its n
            ("vio", "community", "c2", "F", 35),
            ("own", "district", "d1", "F", 8),  # ordinary indicator: published at n = 8
            ("own", "district", "d2", "F", 30),
        ],
        sensitive=[True] * 6 + [False] * 2,
    )
    out, log = apply_sdc(t, threshold=5, sensitive_threshold=10)
    assert not ((out["indicator"] == "vio") & (out["by"] == "community")).any()
    vio = out[out["indicator"] == "vio"].set_index("by_value")["suppressed"]
    assert vio["d1"] and vio["d3"] and not vio["d2"] and not vio[""]
    assert not out[out["indicator"] == "own"]["suppressed"].any()
    withheld = log[log["reason"] == "sensitive_level"]
    assert len(withheld) == 1
    # nothing about the withheld rows (group values, n) is written to the log
    assert withheld["by_value"].tolist() == ["*"] and withheld["n"].isna().all()
    assert "c1" not in set(log["by_value"])


def test_gap_blanked_when_either_sex_suppressed():
    t = frame(
        [
            ("x", "district", "a", "F", 3),
            ("x", "district", "a", "M", 30),
            ("x", "district", "b", "F", 30),
            ("x", "district", "b", "M", 30),
            ("x", "district", "c", "F", 31),
            ("x", "district", "c", "M", 30),
        ],
        gap=0.1,
        gap_ci_low=0.0,
        gap_ci_high=0.2,
        p_value=0.04,
    )
    out, log = apply_sdc(t)
    out = out.set_index(["by_value", "sex"])
    assert out.loc[("a", "M"), "estimate"] == 0.5  # the other sex stays published
    assert np.isnan(out.loc[("a", "M"), "gap"]) and np.isnan(out.loc[("a", "F"), "gap"])
    assert np.isnan(out.loc[("b", "M"), "gap"])  # b/F is the secondary cell of group F
    assert out.loc[("c", "F"), "gap"] == 0.1
    assert (log["reason"] == "gap").sum() == 2


def test_nesting_forms_groups_within_parent_area():
    # Without nesting, c1 (primary) would be protected by c4 in another district; with the
    # community → district nesting the secondary cell must come from the same district.
    t = frame(
        [
            ("x", "community", "c1", "F", 2),
            ("x", "community", "c2", "F", 40),
            ("x", "community", "c3", "F", 30),
            ("x", "community", "c4", "F", 6),
        ]
    )
    nesting = {"community": {"c1": "d1", "c2": "d1", "c3": "d1", "c4": "d2"}}
    flat, _ = apply_sdc(t)
    nested, _ = apply_sdc(t, nesting=nesting)
    assert flat.set_index("by_value")["suppressed"].to_dict()["c4"]
    got = nested.set_index("by_value")["suppressed"].to_dict()
    assert got == {"c1": True, "c2": False, "c3": True, "c4": False}


def test_missing_n_is_suppressed_and_reliability_is_kept():
    t = frame([("x", "district", "a", "F", 30), ("x", "district", "b", "F", 30)])
    t["n"] = [np.nan, 30]
    t["reliability"] = ["caution", "caution"]
    out, _ = apply_sdc(t)
    assert out["suppressed"].tolist() == [True, True]
    t2 = frame([("x", "district", "a", "F", 30)])
    out2, _ = apply_sdc(t2)
    assert out2["reliability"].tolist() == ["reliable"]  # cv = 0.05 / 0.5 = 0.1


def test_required_columns_named():
    t = frame([("x", "district", "a", "F", 30)]).drop(columns=["n"])
    with pytest.raises(ConfigError, match="'n'"):
        apply_sdc(t)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"threshold": 0}, "threshold"),
        ({"threshold": 2.5}, "threshold"),
        ({"threshold": 10, "sensitive_threshold": 5}, "sensitive_threshold"),
        ({"sensitive_min_level": "region"}, "sensitive_min_level"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        apply_sdc(frame([("x", "total", "", "F", 30)]), **kwargs)


def test_reliability_cut_offs():
    # methods.md §5: CV > 30 % unreliable, 15–30 % caution.
    got = reliability_from_cv(pd.Series([0.15, 0.1500001, 0.3, 0.31]))
    assert got.tolist() == ["reliable", "caution", "caution", "unreliable"]


cells = st.lists(
    st.tuples(
        st.sampled_from(["i1", "i2", "i3"]),
        st.sampled_from(["district", "community", "age_group"]),
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.sampled_from(["F", "M"]),
        st.integers(min_value=0, max_value=25),
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda r: r[:4],
)


@settings(max_examples=60, deadline=None)
@given(
    rows=cells,
    threshold=st.sampled_from(OFFERED_THRESHOLDS),
    sensitive=st.sets(st.sampled_from(["i1", "i2", "i3"])),
    parents=st.lists(st.sampled_from(["p1", "p2"]), min_size=5, max_size=5),
)
def test_properties(rows, threshold, sensitive, parents):
    t = frame(rows)
    t["sensitive"] = t["indicator"].isin(sensitive)
    strict = max(threshold, 10)
    nesting = {"community": dict(zip("abcde", parents, strict=True))}
    out, log = apply_sdc(t, threshold=threshold, sensitive_threshold=strict, nesting=nesting)
    merged = out.merge(t[[*KEY, "n", "sensitive"]], on=KEY, suffixes=("", "_in"))
    # 1. no published cell has n below its threshold
    limit = np.where(merged["sensitive_in"], strict, threshold)
    published = ~merged["suppressed"]
    assert (merged.loc[published, "n_in"] >= limit[published.to_numpy()]).all()
    # 2. no group of two or more cells (communities: within one parent area) has exactly one
    # suppressed cell
    parent = np.where(out["by"] == "community", out["by_value"].map(nesting["community"]), "")
    counts = (
        out.assign(parent=parent)
        .groupby(["indicator", "sex", "by", "parent"])["suppressed"]
        .agg(["sum", "size"])
    )
    assert not ((counts["sum"] == 1) & (counts["size"] > 1)).any()
    # 3. sensitive indicators never appear below district level; nothing else disappears
    withheld = t["sensitive"] & (t["by"] == "community")
    assert not (out["sensitive"] & (out["by"] == "community")).any()
    assert len(out) == len(t) - withheld.sum()
    # 4. suppressed cells carry no value; every suppression is logged
    assert out.loc[out["suppressed"], ["estimate", "n", "population"]].isna().all().all()
    cell_log = log[log["reason"].isin(["primary", "secondary"])]
    assert len(cell_log) == out["suppressed"].sum()
    # 5. idempotent: protecting an already protected table changes nothing
    again, _ = apply_sdc(out, threshold=threshold, sensitive_threshold=strict, nesting=nesting)
    assert again["suppressed"].tolist() == out["suppressed"].tolist()
