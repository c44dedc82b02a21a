"""The checks of ingest computed on distinct values equal the row-by-row computation.

Each ``naive_*`` function below is the row-by-row implementation the distinct-value one
replaced (gender_diag before issue #13, verbatim); the property tests draw columns of many
dtypes and value kinds and require identical results.
"""

import hashlib
import hmac
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gender_diag.ingest import distinct, expr, privacy
from gender_diag.ingest.privacy import (
    _ANY,
    _FULL,
    _LONG_NUMBER,
    _PERSON,
    _SELECT,
    SHARE_THRESHOLD,
)

# -- the row-by-row reference implementations ---------------------------------------------


def naive_is_coded_values(s):
    vals = s.dropna().astype("string").str.strip().str.lower()
    if not len(vals):
        return False
    return bool(
        vals.isin({"yes", "no", "si", "sí", "oui", "non", "1", "0", "true", "false", "dk"}).all()
    )


def naive_plausible(kind, s, typ):
    vals = s.dropna()
    if not len(vals):
        return True
    if naive_is_coded_values(vals):
        return False
    numeric = pd.to_numeric(
        vals.astype("string").str.replace(r"[\s+-]", "", regex=True), errors="coerce"
    )
    share_num = float(numeric.notna().mean())
    if kind == "name":
        return typ not in _SELECT and share_num < SHARE_THRESHOLD
    if kind in ("phone", "id_number"):
        if typ in _SELECT:
            return False
        if share_num >= SHARE_THRESHOLD:
            return bool((numeric.dropna().abs() >= 1e4).mean() >= SHARE_THRESHOLD)
        return True
    if kind == "gps":
        return typ not in _SELECT
    return not (typ in _SELECT and kind == "contact")


def naive_value_kind(s):
    vals = s.dropna()
    if not len(vals):
        return None
    if len(vals) > 2000:
        vals = vals.sample(2000, random_state=0)
    if pd.api.types.is_bool_dtype(vals):
        return None
    if pd.api.types.is_numeric_dtype(vals):
        x = pd.to_numeric(vals, errors="coerce").dropna()
        if not len(x) or not (x % 1 == 0).all():
            return None
        if ((x >= 1e7) & (x < 1e8)).mean() >= SHARE_THRESHOLD:
            return "dni"
        if ((x >= 9e8) & (x < 1e9)).mean() >= SHARE_THRESHOLD:
            return "phone"
        if (x.abs() >= 1e6).mean() >= SHARE_THRESHOLD and x.nunique() >= 0.9 * len(x) > 1:
            return "long_number"
        return None
    txt = vals.astype("string")
    for kind, pat in _FULL.items():
        if txt.str.match(pat).fillna(False).mean() >= SHARE_THRESHOLD:
            return kind
    digits = txt.str.fullmatch(r"\s*" + _LONG_NUMBER + r"\s*").fillna(False)
    if digits.mean() >= SHARE_THRESHOLD and txt[digits].nunique() >= 0.9 * digits.sum() > 1:
        return "long_number"
    person = txt.str.match(_PERSON).fillna(False)
    if (
        len(txt) >= 3
        and person.mean() >= SHARE_THRESHOLD
        and txt[person].nunique() >= 0.8 * person.sum()
    ):
        return "person_name"
    return None


def naive_redact_text(values):
    txt = values.astype("string")
    hit = txt.str.contains(_ANY, regex=True).fillna(False)
    if not hit.any():
        return values, 0
    return txt.str.replace(_ANY, "[redacted]", regex=True), int(hit.sum())


def naive_pseudonym(values, salt):
    s = values.astype("string")
    key = salt.encode("utf-8")
    out = s.map(
        lambda v: hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:16],
        na_action="ignore",
    )
    return out.astype("string")


def naive_k_anonymity(members, households=None, *, k=5, quasi=privacy.QUASI_IDENTIFIERS):
    frame = members.copy()
    if households is not None and "hhid" in frame.columns and "hhid" in households.columns:
        extra = [c for c in ("community", "hh_size") if c in households.columns]
        extra = [c for c in extra if c not in frame.columns]
        if extra:
            frame = frame.merge(households[["hhid", *extra]], on="hhid", how="left")
    if "age_band" in quasi and "age" in frame.columns:
        age = pd.to_numeric(frame["age"], errors="coerce")
        low = (age // 10 * 10).astype("Int64")
        frame["age_band"] = (low.astype("string") + "-" + (low + 9).astype("string")).astype(object)
    cols = [c for c in quasi if c in frame.columns]
    if not cols:
        return pd.DataFrame(columns=["size"])
    sizes = frame.groupby(cols, dropna=False, observed=True).size().rename("size")
    return sizes[sizes < k].reset_index()


# -- random columns ---------------------------------------------------------------------------

PIECES = st.one_of(
    st.integers(10**7, 10**8 - 1).map(str),  # DNI
    st.integers(9 * 10**8, 10**9 - 1).map(lambda v: f"+51 {v}"),  # phone
    st.integers(0, 10**12).map(str),
    st.sampled_from(["yes", "no", " Sí ", "1", "0", "dk", "TRUE", "", "  "]),
    st.sampled_from(["María Quispe", "Juan de la Cruz", "Pampa Ñaña", "maize", "a b c"]),
    st.sampled_from(["ana@x.pe", "-13.5123, -71.9876", "llamar al 987654321 mañana"]),
    st.sampled_from(["2026-05-01", "12.0", "-0.0", "1e5", "+5", " 42 "]),
    st.text(alphabet="ab 19@.-+", max_size=12),
)


@st.composite
def text_columns(draw):
    """A column drawn from a small pool of values, repeated (sometimes past the sample
    size), with missing values, in one of the dtypes ingest meets."""
    pool = draw(st.lists(PIECES, min_size=1, max_size=8))
    n = draw(st.sampled_from([1, 3, 17, 60, 2100]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    vals = np.array(pool, dtype=object)[rng.integers(0, len(pool), n)]
    vals[rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.9]))] = None
    dtype = draw(st.sampled_from(["object", "str", "string", "category"]))
    return pd.Series(vals, dtype=dtype, name="col")


@st.composite
def number_columns(draw):
    pool = draw(
        st.lists(
            st.one_of(
                st.integers(-(10**9), 10**9),
                st.sampled_from([0.0, -0.0, 0.5, 1e7 + 1, 9.1e8, 12.0]),
            ),
            min_size=1,
            max_size=8,
        )
    )
    n = draw(st.sampled_from([1, 5, 40, 2100]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    vals = np.array(pool, dtype=float)[rng.integers(0, len(pool), n)]
    mask = rng.random(n) < draw(st.sampled_from([0.0, 0.2]))
    s = pd.Series(np.where(mask, np.nan, vals), name="col")
    kind = draw(st.sampled_from(["float64", "Float64", "Int64", "object"]))
    if kind == "Int64":
        s = s.round().astype("Int64")
    elif kind == "object":
        s = s.astype(object).where(s.notna(), None)
    else:
        s = s.astype(kind)
    return s


ANY_COLUMN = st.one_of(text_columns(), number_columns())
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ANY_COLUMN)
def test_value_kind_equals_the_row_by_row_scan(s):
    assert privacy._value_kind(s) == naive_value_kind(s)


@FAST
@given(
    ANY_COLUMN,
    st.sampled_from(["name", "phone", "id_number", "gps", "contact", "staff"]),
    st.sampled_from([None, "text", "select_one", "integer"]),
)
def test_plausible_equals_the_row_by_row_test(s, kind, typ):
    assert privacy._plausible(kind, s, typ) == naive_plausible(kind, s, typ)
    assert privacy._is_coded_values(s) == naive_is_coded_values(s)


@FAST
@given(text_columns())
def test_redaction_equals_the_row_by_row_redaction(s):
    got, hits = privacy.redact_text(s)
    want, want_hits = naive_redact_text(s)
    assert hits == want_hits
    pd.testing.assert_series_equal(got, want)


@FAST
@given(ANY_COLUMN)
def test_pseudonym_equals_the_row_by_row_hmac(s):
    pd.testing.assert_series_equal(privacy.pseudonym(s, "k"), naive_pseudonym(s, "k"))


def test_the_sample_is_pandas_own():
    s = pd.Series(np.arange(5000.0))
    s[::7] = np.nan
    want = s.dropna().sample(privacy.SAMPLE, random_state=0)
    pd.testing.assert_series_equal(privacy._sampled(s), want)


@FAST
@given(
    st.integers(1, 60),
    st.integers(0, 2**16),
    st.integers(1, 6),
    st.sampled_from([("community", "age_band", "sex", "hh_size"), ("sex",), ("age_band",)]),
)
def test_k_anonymity_on_the_quasi_columns_only(n, seed, k, quasi):
    rng = np.random.default_rng(seed)
    members = pd.DataFrame(
        {
            "hhid": rng.integers(0, 8, n),
            "age": pd.array(rng.integers(0, 90, n), dtype="Int64"),
            "sex": rng.choice(["F", "M", None], n),
            "other": rng.random(n),
        }
    )
    households = pd.DataFrame(
        {"hhid": np.arange(8), "community": rng.choice(["c1", "c2"], 8), "hh_size": 3}
    )
    got = privacy.k_anonymity(members, households, k=k, quasi=quasi)
    pd.testing.assert_frame_equal(got, naive_k_anonymity(members, households, k=k, quasi=quasi))


# -- expressions: distinct rows == every row ------------------------------------------------

EXPRESSIONS = [
    "${a} = 'yes' and ${n} >= 12",
    "selected(${m}, 'b') or count-selected(${m}) > 1",
    "not(selected(${m}, 'none') and count-selected(${m}) > 1)",
    "string-length(${a}) > 2 or ${a} != 'no'",
    "if(${n} > 3, ${a}, 'z') = 'yes'",
    "concat(${a}, '-', ${m}) = 'yes-a b'",
    "coalesce(${a}, ${m})",
    "regex(${a}, '^[0-9]{2}$')",
    ". >= 0 and . <= 24",
    "${n} + ${x} > 5",
    "string(${x}) = '0'",
    "selected-at(${m}, 1) = 'b'",
    "int(${x}) mod 2 = 0",
    "normalize-space(${m}) = 'a b'",
]


@st.composite
def frames(draw):
    n = draw(st.integers(1, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a = rng.choice(np.array(["yes", "no", "", "12", None], dtype=object), n)
    m = rng.choice(np.array(["a b", " b  c ", "none", "a", "", None], dtype=object), n)
    x = rng.choice(np.array([0.0, -0.0, 1.5, 2.0, np.nan]), n)
    num = pd.array(rng.integers(0, 30, n), dtype="Int64")
    num[rng.random(n) < 0.2] = pd.NA
    frame = pd.DataFrame(
        {
            "a": pd.Series(a, dtype=draw(st.sampled_from(["object", "str", "string", "category"]))),
            "m": pd.Series(m, dtype=draw(st.sampled_from(["object", "str", "string"]))),
            "n": num,
            "x": pd.Series(x, dtype=draw(st.sampled_from(["float64", "Float64"]))),
        },
        index=pd.RangeIndex(n) * 3 + 7,
    )
    return frame


@FAST
@given(frames(), st.sampled_from(EXPRESSIONS))
def test_expression_on_distinct_rows_equals_every_row(frame, text):
    tree = expr.parse(text)
    current = "n"  # what "." reads, in the constraints
    try:
        want = expr.evaluate(tree, frame, current=current, distinct=False)
    except Exception as exc:  # the same error either way
        with pytest.raises(type(exc)):
            expr.evaluate(tree, frame, current=current)
        return
    got = expr.evaluate(tree, frame, current=current)
    pd.testing.assert_series_equal(got, want)
    codes = distinct.row_codes(frame)
    pd.testing.assert_series_equal(expr.evaluate(tree, frame, current=current, codes=codes), want)


@FAST
@given(frames())
def test_rows_sharing_a_code_have_the_same_values(frame):
    codes = distinct.row_codes(frame)
    first = distinct.first_positions(codes)
    assert (codes[first] == np.arange(len(first))).all()
    shown = np.array(
        ["|".join("NA" if pd.isna(v) else repr(v) for v in row) for row in frame.itertuples()]
    )
    shown = np.array([s.split("|", 1)[1] for s in shown])  # without the index
    for c in range(len(first)):
        assert len(set(shown[codes == c])) == 1
    # and different codes, different values (up to missing kinds, which all read as missing)
    assert len(set(shown[first])) == len(first) or frame.isna().any().any()


def test_zero_and_minus_zero_are_two_values():
    assert distinct.column_codes(pd.Series([0.0, -0.0, 0.0])).tolist() == [0, 1, 0]
    assert distinct.text_codes(pd.Series([1, 1.0, True], dtype=object))[1].tolist() == [
        "1",
        "1.0",
        "True",
    ]


@FAST
@given(frames(), st.sampled_from(EXPRESSIONS))
def test_categorical_columns_read_as_plain_ones(frame, text):
    """Coded answers may be stored as categories: the checks see the same values."""
    plain = frame.assign(a=frame["a"].astype(object), m=frame["m"].astype(object))
    coded = frame.assign(a=plain["a"].astype("category"), m=plain["m"].astype("category"))
    tree = expr.parse(text)
    try:
        want = expr.evaluate(tree, plain, current="n", distinct=False)
    except Exception as exc:
        with pytest.raises(type(exc)):
            expr.evaluate(tree, coded, current="n")
        return
    got = expr.evaluate(tree, coded, current="n")
    pd.testing.assert_series_equal(got, want, check_dtype=False, check_categorical=False)


@FAST
@given(text_columns())
def test_categorical_text_is_scanned_like_plain_text(s):
    plain = s.astype(object)
    coded = plain.astype("category")
    assert privacy._value_kind(coded) == privacy._value_kind(plain)
    assert privacy._is_free_text(coded, None) and privacy._is_free_text(plain, None)
    got, hits = privacy.redact_text(coded)
    want, want_hits = privacy.redact_text(plain)
    assert hits == want_hits
    if hits:
        pd.testing.assert_series_equal(got, want)


@FAST
@given(text_columns(), st.sampled_from([r"^[0-9]{8}$", r"\d", r"^\+?51", r"a|b"]))
def test_regex_searches_value_by_value(s, pattern):
    got = expr.evaluate(f"regex(${{col}}, '{pattern}')", s.to_frame(), distinct=False)
    text = s.astype("string").replace("", pd.NA)
    want = text.map(lambda x: bool(re.search(pattern, x)) if isinstance(x, str) else pd.NA).astype(
        "boolean"
    )
    pd.testing.assert_series_equal(got, want, check_names=False)


@FAST
@given(ANY_COLUMN)
def test_text_codes_give_back_the_text_of_every_row(s):
    codes, uniq = distinct.text_codes(s)
    assert uniq.is_unique and len(uniq) == len(set(codes[codes >= 0]))
    back = pd.Series(uniq.array.take(codes, allow_fill=True), index=s.index, name=s.name)
    pd.testing.assert_series_equal(back, s.astype("string"))
    coded = s.astype("category")
    codes, uniq = distinct.text_codes(coded)
    back = pd.Series(uniq.array.take(codes, allow_fill=True), index=s.index, name=s.name)
    pd.testing.assert_series_equal(back, coded.astype("string"))
