"""XLSForm functions real forms use in ``relevant`` (issue 14 item 5), one test each.

Expected values follow the ODK form-operators reference
(https://docs.getodk.org/form-operators-functions/): ``substr`` is 0-based with the end
excluded, ``selected-at`` is 0-based, dates compare and subtract as days.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gender_diag.errors import RuleError
from gender_diag.ingest import expr
from gender_diag.ingest.expr import Context, evaluate, fields, parse


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "name": ["  Ana  María ", "luis", None],
            "g": ["a b c", "b", None],
            "x": [1.0, None, 3.0],
            "y": [5.0, 6.0, None],
            "code": ["H001", "X12", None],
            "dob": pd.to_datetime(["2000-01-15", "2010-06-01", None]),
        }
    )


def ev(text, df, **kw):
    return evaluate(text, df, **kw).tolist()


def test_coalesce_and_if(df):
    assert ev("coalesce(${x}, ${y})", df) == [1.0, 6.0, 3.0]
    assert ev("if(${x} > 2, 'big', 'small')", df) == ["small", "small", "big"]


def test_selected_at_and_count_selected(df):
    assert ev("selected-at(${g}, 1)", df) == ["b", pd.NA, pd.NA]
    assert ev("selected-at(${g}, 0) = 'b'", df) == [False, True, pd.NA]
    assert ev("count-selected(${g})", df) == [3, 1, pd.NA]


def test_string_functions(df):
    assert ev("concat(${code}, '-', ${name})", df)[1] == "X12-luis"
    assert ev("substr(${code}, 1, 3)", df) == ["00", "12", pd.NA]
    assert ev("substr(${code}, 1)", df)[0] == "001"
    assert ev("contains(${code}, '1')", df) == [True, True, pd.NA]
    assert ev("starts-with(${code}, 'H')", df) == [True, False, pd.NA]
    assert ev("ends-with(${code}, '2')", df) == [False, True, pd.NA]
    assert ev("normalize-space(${name})", df)[:2] == ["Ana María", "luis"]
    assert ev("translate(${name}, 'lu', 'LU')", df)[1] == "LUis"
    assert ev("string-length(${code})", df) == [4, 3, pd.NA]
    assert ev("regex(${code}, '^H[0-9]{3}$')", df) == [True, False, pd.NA]


def test_number_functions(df):
    assert ev("round(2.5) + floor(1.7) + ceiling(1.2) + abs(-1)", df)[0] == 3 + 1 + 2 + 1
    assert ev("round(${x} div 3, 2)", df)[2] == 1.0
    assert ev("pow(${y}, 2)", df)[:2] == [25.0, 36.0]
    assert ev("int(7 div 2)", df)[0] == 3


def test_date_functions(df):
    ctx = Context(today=dt.date(2026, 1, 15))
    # age in whole years: (today − dob) / 365.25
    assert ev("int((today() - ${dob}) div 365.25)", df, context=ctx)[:2] == [26, 15]
    assert ev("${dob} < date('2005-01-01')", df) == [True, False, pd.NA]
    assert ev("decimal-date-time(${dob}) = date('2000-01-15')", df)[0] is True
    assert ev("format-date(${dob}, '%Y')", df)[:2] == ["2000", "2010"]
    assert ev("date('1970-01-02')", df)[0] == 1.0


def test_position_needs_the_repeat_context(df):
    with pytest.raises(RuleError, match="position"):
        evaluate("position(..) > 1", df)
    ctx = Context(position=pd.Series([1.0, 2.0, 1.0], index=df.index))
    assert ev("position(..) > 1 and ${y} > 0", df, context=ctx) == [False, True, False]


def test_indexed_repeat_reads_another_repeat(df):
    calls = []

    def other(field, repeat, index):
        calls.append((field, repeat, index.tolist()))
        return pd.Series(["F", "M", "F"], index=df.index)

    got = ev(
        "indexed-repeat(${sex}, ${roster}, ${x}) = 'F'", df, context=Context(indexed_repeat=other)
    )
    assert got == [True, False, True]
    assert calls == [("sex", "roster", [1.0, pd.NA, 3.0])]
    # the field and the repeat are not columns of this row
    assert fields(parse("indexed-repeat(${sex}, ${roster}, ${x})")) == {"x"}


def test_choice_name_uses_the_form_labels(df):
    ctx = Context(choice_label=lambda f, codes: codes.map({"b": "Beans"}).astype("string"))
    assert ev("jr:choice-name(${g}, '${g}') = 'Beans'", df, context=ctx) == [pd.NA, True, pd.NA]
    with pytest.raises(RuleError, match="choice labels"):
        evaluate("jr:choice-name(${g}, '${g}')", df)


@pytest.mark.parametrize(
    "text", ["once(${x})", "../x = 1", "${x} | ${y}", "sum(${x})", "uuid()", "eval('1')"]
)
def test_still_unsupported_raises_rule_error(df, text):
    with pytest.raises(RuleError):
        evaluate(text, df)


def test_never_eval():
    assert "eval" not in expr.FUNCTIONS and "__import__" not in expr.FUNCTIONS


# -- in validation: position(..) works, anything unsupported is "not checked" ------------


def _foreign(tmp_path, relevant=None):
    import foreign_fixtures as ff

    from gender_diag.ingest import read_kobo
    from gender_diag.ingest.xlsform import write_form

    paths = ff.write_foreign(tmp_path, households_per_village=3)
    if relevant is not None:
        survey = [dict(r) for r in ff.SURVEY]
        for r in survey:
            if r["name"] == "attends_school":
                r["relevant"] = relevant
        write_form(paths["form"], survey, ff.choices(), {"form_id": "farm", "version": "3"})
    names = {"weight": "wt", "strata": "region", "fpc": "n_villages", "fpc2": "n_hh"}
    return read_kobo(paths["export"], form=paths["form"], design=paths["design"],
                     mapping=paths["mapping"], design_names=names)  # fmt: skip


def test_position_in_relevant_is_checked_without_false_alarms(tmp_path):
    iss = _foreign(tmp_path).report.issues
    assert not iss["reason"].isin(["relevant_unsupported", "missing_required"]).any()


def test_position_in_relevant_finds_a_real_skip_error(tmp_path):
    # the head (position 1) was never asked: an answer there is reported
    s = _foreign(tmp_path, relevant="position(..) = 1")
    iss = s.report.issues
    hit = iss[(iss["reason"] == "answered_not_relevant") & (iss["column"] == "attends_school")]
    assert len(hit) > 0


def test_unsupported_relevant_gives_one_info_line_and_no_flood(tmp_path):
    s = _foreign(tmp_path, relevant="once(${person_age}) < 18")
    iss = s.report.issues
    info = iss[iss["reason"] == "relevant_unsupported"]
    assert len(info) == 1 and (info["severity"] == "info").all()
    assert "not checked" in info["message"].iloc[0]
    assert not ((iss["reason"] == "missing_required") & (iss["column"] == "attends_school")).any()


def test_count_and_sum_over_a_repeat_need_the_context(df):
    with pytest.raises(RuleError, match="repeats"):
        evaluate("count(${roster}) > 1", df)

    def agg(how, name):
        return pd.Series({"count": [3, 1, 0], "sum": [2.5, None, 0.0]}[how], index=df.index)

    ctx = Context(repeat_aggregate=agg)
    assert ev("count(${roster}) > 1", df, context=ctx) == [True, False, False]
    assert ev("sum(${plot_area}) >= 1", df, context=ctx) == [True, pd.NA, False]


def test_count_of_the_roster_in_validation(tmp_path):
    # the roster has 2 to 5 members: count(${hh_pop_repeat}) > 1 is true in every household
    s = _foreign(tmp_path, relevant="count(${hh_pop_repeat}) > 1 and ${person_age} < 18")
    iss = s.report.issues
    assert not iss["reason"].isin(["relevant_unsupported", "answered_not_relevant"]).any()
    s = _foreign(tmp_path, relevant="count(${hh_pop_repeat}) > 10")
    iss = s.report.issues
    assert ((iss["reason"] == "answered_not_relevant") & (iss["column"] == "attends_school")).any()
