"""Typing once per distinct value (``coerce_table``) equals a simple cell-by-cell typing.

The reference below types every cell on its own, the way the readers were first written:
strip, blank → missing, a number through ``pd.to_numeric`` (then with a decimal comma), a
select_one code kept or its label mapped back to a code, a select_multiple split into codes.
The fast path must give the same values, the same issue rows and values, on random columns
mixing numbers with blanks and commas, codes, labels, unknown text and missing cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.errors import InputFileError
from gender_diag.ingest.assemble import (
    ROW,
    _code_maps,
    _norm,
    coded_as_categories,
    coerce_table,
)
from gender_diag.ingest.files import as_categories
from gender_diag.ingest.report import ValidationReport
from gender_diag.ingest.xlsform import Form

CODES = {"yn": ["yes", "no"], "col": ["red", "green", "blue_sky"], "num": ["1", "2", "9"]}
LABELS = {"yes": "Sí", "no": "No", "red": "Rojo", "green": "Verde", "blue_sky": "Azul cielo",
          "1": "Uno", "2": "Dos", "9": "No sabe"}  # fmt: skip
VARS = [
    ("amount", "decimal", None),
    ("count", "integer", None),
    ("answer", "select_one", "yn"),
    ("colour", "select_one", "col"),
    ("scale", "select_one", "num"),
    ("colours", "select_multiple", "col"),
    ("note", "text", None),
]


def _form() -> Form:
    variables = pd.DataFrame(
        [{"table": "t", "name": n, "type": t, "list_name": lst} for n, t, lst in VARS]
    )
    for lang in ("es", "en", "fr"):
        variables[f"label_{lang}"] = variables["name"]
    choices = pd.DataFrame(
        [
            {"list_name": lst, "name": c, "label_es": LABELS[c], "label_en": None, "label_fr": None}
            for lst, codes in CODES.items()
            for c in codes
        ]
    )
    return Form(variables=variables, choices=choices)


NUMBERS = st.sampled_from(
    ["1", " 2 ", "3.5", "1,5", " 0,25 ", "-4", "1e2", "abc", "", " ", "7.", ".5", "1.2.3", "+3"]
)
SELECT_ONE = st.sampled_from(
    ["yes", "no", " yes", "YES", "Sí", "si", "1", "0", "true", "maybe", "", "red", "Rojo",
     " azul cielo ", "green", "blue_sky", "2", "9", "Dos", "no sabe", "purple", "1.0"]
)  # fmt: skip
MULTI = st.lists(
    st.sampled_from(["red", "green", "blue_sky", "Rojo", "verde", "purple", "RED"]), max_size=3
).map(" ".join)
CELL = {
    "decimal": NUMBERS,
    "integer": NUMBERS,
    "select_one": SELECT_ONE,
    "select_multiple": st.one_of(MULTI, st.just("  red  green ")),
    "text": st.sampled_from(["a", " a", "b ", "", "Ñandú"]),
}


def _ref_number(t):
    v = pd.to_numeric(pd.Series([t], dtype="string"), errors="coerce").iloc[0]
    if pd.isna(v):
        v = pd.to_numeric(pd.Series([t.replace(",", ".")]), errors="coerce").iloc[0]
    return None if pd.isna(v) else float(v)


def _reference(cells: dict[str, list], form: Form):
    """Cell-by-cell typing: values per column and the (column, row, value) issues."""
    codes, lookup = _code_maps(form)
    typed, issues = {}, set()
    for name, typ, lst in VARS:
        vals = []
        for i, cell in enumerate(cells[name]):
            t = None if cell is None else cell.strip() or None
            row = i + 2
            if t is None:
                vals.append(None)
            elif typ in ("decimal", "integer"):
                v = _ref_number(t)
                if v is None:
                    issues.add((name, row, t))
                vals.append(v)
            elif typ == "select_one":
                c = t if t in codes[lst] else lookup[lst].get(_norm(t))
                if c is None:
                    issues.add((name, row, t))
                vals.append(None if c is None else (float(c) if lst == "num" else c))
            elif typ == "select_multiple":
                toks = t.split()
                if all(x in codes[lst] for x in toks):
                    vals.append(frozenset(toks))
                    continue
                mapped = [x if x in codes[lst] else lookup[lst].get(_norm(x)) for x in toks]
                if any(m is None for m in mapped):
                    issues.add((name, row, t))
                vals.append(frozenset(m for m in mapped if m is not None))
            else:
                vals.append(t)
        typed[name] = vals
    return typed, issues


def _fast(cells: dict[str, list], form: Form, *, categorical: bool):
    df = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in cells.items()})
    if categorical:
        df = as_categories(df)
    df[ROW] = np.arange(len(df)) + 2
    codes, lookup = _code_maps(form)
    rep = ValidationReport()
    out = coerce_table(
        df, table="t", form=form, report=rep, file="f.csv", sheet="", codes=codes, lookup=lookup
    )
    typed = {}
    for name, typ, lst in VARS:
        if typ == "select_multiple":
            flags = out[[f"{name}__{c}" for c in CODES[lst]]]
            typed[name] = [
                None
                if pd.isna(r.iloc[0])
                else frozenset(c for c, f in zip(CODES[lst], r, strict=True) if f)
                for _, r in flags.iterrows()
            ]
        else:
            typed[name] = [
                None if pd.isna(v) else (float(v) if typ != "text" and lst != "yn" and lst != "col"
                                         else v)
                for v in out[name].astype(object)
            ]  # fmt: skip
    iss = rep.issues
    issues = set(zip(iss["column"], iss["row"].astype(int), iss["value"], strict=True))
    return typed, issues, out


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=30), st.booleans())
def test_fast_typing_equals_cellwise_reference(data, n, categorical):
    form = _form()
    cells = {
        name: data.draw(st.lists(st.one_of(st.none(), CELL[typ]), min_size=n, max_size=n))
        for name, typ, _ in VARS
    }
    want, want_issues = _reference(cells, form)
    got, got_issues, _ = _fast(cells, form, categorical=categorical)
    assert got == want
    assert got_issues == want_issues


def test_unknown_choice_keeps_the_other_answers():
    """One unknown choice in a select_multiple removes that choice only: every other answer
    of the column keeps its codes (it used to blank them all)."""
    form = _form()
    cells = {name: ["red"] * 4 for name, _, _ in VARS}
    cells["colours"] = ["red green", "purple blue_sky", None, "Rojo"]
    got, issues, out = _fast(cells, form, categorical=False)
    assert got["colours"] == [
        frozenset({"red", "green"}),
        frozenset({"blue_sky"}),
        None,
        frozenset({"red"}),
    ]
    assert out["colours"].tolist() == ["red green", "blue_sky", pd.NA, "red"]
    assert {i for i in issues if i[0] == "colours"} == {("colours", 3, "purple blue_sky")}


def test_coded_answers_become_categories_with_the_same_values():
    form = _form()
    cells = {name: ["red", None, " green", "Verde"] for name, _, _ in VARS}
    cells["answer"] = ["Sí", None, "no", " yes "]
    _, _, out = _fast(cells, form, categorical=True)
    tables = coded_as_categories({"t": out.copy()}, form.variables)
    cat = tables["t"]
    for col in ("answer", "colour", "colours"):
        assert isinstance(cat[col].dtype, pd.CategoricalDtype), col
        assert cat[col].astype(object).tolist() == out[col].astype(object).tolist()
    assert cat["answer"].tolist() == ["yes", pd.NA, "no", "yes"]
    assert (cat["answer"] == "yes").tolist() == [True, False, False, True]
    assert cat["scale"].dtype == "Int64"  # numeric codes stay numbers
    assert cat["note"].dtype == out["note"].dtype  # free text is not a category


@pytest.mark.parametrize("sep", [",", ";"])
def test_categorical_csv_reads_like_text(tmp_path, sep):
    from gender_diag.ingest.files import read_delimited

    p = tmp_path / "x.csv"
    p.write_bytes(
        (
            "\ufeffa" + sep + "b" + sep + "a\n x" + sep + sep + "é\nx" + sep + "1" + sep + "\n"
        ).encode("utf-8")
    )
    text, _ = read_delimited(p, sep=sep)
    cat, _ = read_delimited(p, sep=sep, categorical=True)
    assert list(cat.columns) == list(text.columns) == ["a", "b", "a.1"]
    assert all(isinstance(d, pd.CategoricalDtype) for d in cat.dtypes)
    pd.testing.assert_frame_equal(cat.astype("str"), text)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_chunked_categorical_read_equals_text(tmp_path, monkeypatch, encoding):
    """Read in chunks of 3 rows (codes re-based across chunks), the categories hold exactly
    the text of a one-go read; a ragged line is reported on the same line number."""
    from gender_diag.ingest import files

    monkeypatch.setattr(files, "CHUNK_ROWS", 3)
    lines = ["k;v;w"] + [f"{i};{'' if i % 5 == 0 else 'á' * (i % 3)};x{i % 2}" for i in range(20)]
    p = tmp_path / "x.csv"
    p.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    text, _ = files.read_delimited(p)
    cat, _ = files.read_delimited(p, categorical=True)
    assert all(isinstance(d, pd.CategoricalDtype) for d in cat.dtypes)
    pd.testing.assert_frame_equal(cat.astype("str"), text)
    p.write_bytes(("\n".join([*lines[:12], "1;2;3;4", *lines[12:]]) + "\n").encode(encoding))
    messages = []
    for categorical in (False, True):
        with pytest.raises(InputFileError) as err:
            files.read_delimited(p, categorical=categorical)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "line 13" in messages[0]
