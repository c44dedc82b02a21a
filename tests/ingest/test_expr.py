"""The safe XLSForm expression evaluator (relevant/constraint subset), never eval."""

from __future__ import annotations

import pandas as pd
import pytest

from gender_diag.errors import RuleError
from gender_diag.ingest.expr import evaluate, fields, parse


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "consent": ["yes", "no", None, "yes"],
            "age": pd.array([30, 8, 12, None], dtype="Int64"),
            "groups": ["producers water_users", "none", None, ""],
            "n": [1.5, 2.0, None, 0.0],
        }
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("${consent} = 'yes'", [True, False, pd.NA, True]),
        ("${consent} != 'yes'", [False, True, pd.NA, False]),
        ("${age} >= 12", [True, False, True, pd.NA]),
        ("${age} >= 12 and ${consent} = 'yes'", [True, False, pd.NA, pd.NA]),
        # Kleene: False and unknown = False; True or unknown = True
        ("${age} < 0 and ${consent} = 'yes'", [False, False, False, pd.NA]),
        ("${age} >= 0 or ${consent} = 'yes'", [True, True, True, True]),
        ("not(${consent} = 'yes')", [False, True, pd.NA, False]),
        ("selected(${groups}, 'water_users')", [True, False, pd.NA, pd.NA]),
        ("count-selected(${groups}) > 1", [True, False, pd.NA, pd.NA]),
        ("${n} * 2 = 3", [True, False, pd.NA, False]),
        ("${n} div 2 < 1 and ${n} mod 2 = 0", [False, False, pd.NA, True]),
        ("-${n} < -1", [True, True, pd.NA, False]),
        ("string-length(${consent}) = 3", [True, False, pd.NA, True]),
        ("${age} = '12'", [False, False, True, pd.NA]),
    ],
)
def test_evaluate(df, text, expected):
    got = evaluate(text, df).astype("boolean").tolist()
    assert got == expected


def test_constraint_dot(df):
    assert evaluate(". >= 0 and . <= 110", df, current="age").tolist() == [True, True, True, pd.NA]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        "${a} = 'x'; ${b}",
        "${a} ==",
        "open('/etc/passwd')",
        "lambda: 1",
        "${a} = 'x' )",
    ],
)
def test_rejects_anything_else(text):
    with pytest.raises(RuleError):
        parse(text)


def test_unknown_field(df):
    with pytest.raises(RuleError, match="Unknown field"):
        evaluate("${nope} = 'x'", df)


def test_fields():
    assert fields(parse("(${a} = 'x') and (selected(${b}, 'c') or ${a} > 1)")) == {"a", "b"}
