"""The ingested tables are held compactly (issue #13): link keys as one shared category dtype,
export bookkeeping dropped, no ``object`` columns — and every input row is still accounted
for in the validation report."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gender_diag as gd
from gender_diag.ingest import files, read_odk
from gender_diag.ingest.assemble import _Distinct
from gender_diag.ingest.compact import compact_tables, shared_dtype
from gender_diag.ingest.validate import ODK_BOOKKEEPING


def _data_rows(path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """A 1,200-household ODK export (the main CSV is long enough for the key columns to be
    read as text) with an orphan respondent row and a duplicated roster row."""
    folder = tmp_path_factory.mktemp("compact")
    synth = gd.synth.generate(1200, seed=5)
    written = gd.synth.write_survey(synth, folder, formats=("odk_csv",))
    main = written["odk_csv"][0]
    repeats = {p.stem.split("-")[-1]: p for p in main.parent.glob(main.stem + "-*.csv")}
    lines = repeats["individual"].read_text(encoding="utf-8").splitlines()
    pk = lines[0].split(",").index("PARENT_KEY")
    row = lines[5].split(",")
    row[pk] = "uuid:no-such-household"
    lines[5] = ",".join(row)  # file row 6 (the header is row 1)
    repeats["individual"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = repeats["roster"].read_text(encoding="utf-8").splitlines()
    key = lines[0].split(",").index("KEY")
    copy = lines[7].split(",")
    copy[key] += "-copy"
    lines.append(",".join(copy))
    repeats["roster"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    survey = read_odk(main, form=written["form"], design=written["design"])
    files_of = {"households": main, "respondents": repeats["individual"]}
    files_of.update(members=repeats["roster"], parcels=repeats["parcels"])
    return survey, files_of


def test_link_keys_are_one_category_dtype_across_tables(damaged):
    survey, _ = damaged
    for key in ("hhid", "district", "community"):
        dtypes = {name: df[key].dtype for name, df in survey.tables.items()}
        first = dtypes["households"]
        assert isinstance(first, pd.CategoricalDtype), key
        assert all(d == first for d in dtypes.values()), (key, dtypes)
        cats = list(first.categories)
        assert cats == sorted(cats)  # groupby/sort order as on the text
    # every repeat row's household is a household of the main table
    hh = set(survey.tables["households"]["hhid"])
    for name in ("members", "parcels", "respondents"):
        assert set(survey.tables[name]["hhid"].dropna()) <= hh


def test_no_object_columns_and_no_export_bookkeeping(damaged):
    survey, _ = damaged
    for name, df in survey.tables.items():
        objects = [c for c in df.columns if df[c].dtype == np.dtype(object)]
        assert objects == [], (name, objects)
        assert not set(df.columns) & ODK_BOOKKEEPING, name
    assert isinstance(survey.tables["respondents"]["resp_in_union"].dtype, pd.CategoricalDtype)


def test_every_input_row_is_accounted_for(damaged):
    survey, files_of = damaged
    report = survey.report
    acc = report.accounting().set_index("table")
    for name, path in files_of.items():
        n = _data_rows(path)
        assert acc.loc[name, "rows_read"] == n, name
        assert acc.loc[name, "rows_accepted"] + acc.loc[name, "rows_quarantined"] == n
        assert len(survey.tables[name]) == acc.loc[name, "rows_accepted"]
        q = report.quarantine.get(name)
        quarantined = q["row"].tolist() if q is not None else []
        assert len(quarantined) == acc.loc[name, "rows_quarantined"]
        assert len(set(quarantined)) == len(quarantined)
        assert all(2 <= r <= n + 1 for r in quarantined)  # header = row 1
    # the two damaged rows are located by file and row
    orphan = report.issues[report.issues["reason"] == "orphan_row"]
    assert orphan["row"].tolist() == [6] and orphan["file"].str.endswith("individual.csv").all()
    dup = report.issues[report.issues["reason"] == "duplicate_key"]
    assert dup["row"].tolist() == [_data_rows(files_of["members"]) + 1]


def test_compact_tables_by_hand():
    hh = pd.DataFrame({"hhid": ["H2", "H1"], "district": ["b", "a"], "KEY": ["uuid:2", "uuid:1"]})
    mem = pd.DataFrame(
        {
            "hhid": pd.Series(["H1", "H1", "H2"], dtype=object),
            "district": pd.Series(["a", "a", "b"], dtype="string"),
            "line": [1, 2, 1],
            "KEY": ["k1", "k2", "k3"],
        }
    )
    out = compact_tables({"households": hh, "members": mem})
    assert "KEY" not in out["households"] and "KEY" not in out["members"]
    assert out["members"]["hhid"].dtype == out["households"]["hhid"].dtype
    assert list(out["households"]["hhid"].dtype.categories) == ["H1", "H2"]
    assert out["members"]["hhid"].tolist() == ["H1", "H1", "H2"]
    # a merge on the shared dtype keeps it and equals the merge on text
    m = out["members"].merge(out["households"], on="hhid", suffixes=("", "_hh"))
    assert isinstance(m["hhid"].dtype, pd.CategoricalDtype)
    assert m["district_hh"].astype(str).tolist() == ["a", "a", "b"]
    # numeric household ids stay numbers
    num = compact_tables({"households": pd.DataFrame({"hhid": [3, 1]})})
    assert num["households"]["hhid"].dtype == np.int64
    assert shared_dtype([pd.Series([1, 2])]) is None


def test_a_question_with_a_bookkeeping_name_is_kept():
    # a team's own instrument asks "Status" (e.g. marital status): declared by the form, data
    hh = pd.DataFrame({"hhid": ["H1", "H2"], "Status": ["married", "single"], "Edits": [0, 1]})
    variables = pd.DataFrame({"name": ["hhid", "Status"], "type": ["text", "select_one"]})
    out = compact_tables({"households": hh}, variables=variables)["households"]
    assert out["Status"].tolist() == ["married", "single"]
    assert "Edits" not in out  # not in the form: the server's bookkeeping


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", " a", "b ", "", "c", None, "Sí"]), min_size=1, max_size=40))
def test_spread_category_equals_spread(values):
    col = pd.Series(values, dtype="string")
    d = _Distinct.stripped(col)
    per_value = d.values.str.upper()
    as_text = d.spread(per_value)
    as_cat = d.spread_category(per_value)
    assert isinstance(as_cat.dtype, pd.CategoricalDtype)
    assert as_cat.astype("string").tolist() == as_text.astype("string").tolist()


def test_chunked_csv_keeps_distinct_columns_as_text(tmp_path, monkeypatch):
    n = 2500
    rows = ["KEY,district,age"] + [
        f"uuid:{i:05d},{'abc'[i % 3]},{'' if i % 7 == 0 else i % 90}" for i in range(n)
    ]
    path = tmp_path / "main.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    whole, _ = files.read_delimited(path, categorical=True)
    monkeypatch.setattr(files, "CHUNK_ROWS", 1000)  # three chunks
    chunked, _ = files.read_delimited(path, categorical=True)
    assert not isinstance(chunked["KEY"].dtype, pd.CategoricalDtype)  # one text per row
    assert isinstance(chunked["district"].dtype, pd.CategoricalDtype)
    assert isinstance(chunked["age"].dtype, pd.CategoricalDtype)
    for c in whole.columns:
        a = whole[c].astype(object).where(whole[c].notna(), None).tolist()
        b = chunked[c].astype(object).where(chunked[c].notna(), None).tolist()
        assert a == b, c
    assert chunked["KEY"].iloc[-1] == f"uuid:{n - 1:05d}"
    assert chunked["age"].isna().sum() == len(range(0, n, 7))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), min_size=1, max_size=30),
    st.sampled_from(["Int64", "boolean", "int64", "bool"]),
)
def test_text_codes_of_numbers_equal_row_by_row_text(values, dtype):
    from gender_diag.ingest.distinct import text_codes

    if dtype in ("int64", "bool"):
        values = [v or 0 for v in values]
    if dtype in ("boolean", "bool"):
        values = [None if v is None else v % 2 == 0 for v in values]
    col = pd.Series(values, dtype=dtype)
    codes, uniques = text_codes(col)
    got = [None if c < 0 else uniques.iloc[c] for c in codes]
    want = [None if pd.isna(v) else v for v in col.astype("string")]
    assert got == want
    assert len(set(uniques)) == len(uniques)  # one text per distinct value


def test_key_outside_the_first_table_uses_the_union():
    a = pd.DataFrame({"hhid": ["H2", "H1"]})
    b = pd.DataFrame({"hhid": pd.Series(["H3", None, "H1"], dtype=object)})
    out = compact_tables({"households": a, "other": b})
    assert list(out["other"]["hhid"].dtype.categories) == ["H1", "H2", "H3"]
    assert out["households"]["hhid"].dtype == out["other"]["hhid"].dtype
    assert out["other"]["hhid"].astype(object).where(
        out["other"]["hhid"].notna(), None
    ).tolist() == [
        "H3",
        None,
        "H1",
    ]
    # mixed text and numbers are left alone
    c = compact_tables({"households": a, "other": pd.DataFrame({"hhid": [1, 2]})})
    assert c["other"]["hhid"].dtype == np.int64
