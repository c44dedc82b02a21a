"""The DuckDB (and Spark) indicators stage equals the pandas path to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gender_diag.engine import compute_indicators_sql, resolve_engine
from gender_diag.engine.backends import spark_available
from gender_diag.indicators import compute_indicators, load_catalogue
from gender_diag.indicators.rules import parse_rule
from tests.indicators.conftest import make_toy_survey

COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "n", "population", "gap", "gap_se",
           "gap_ci_low", "gap_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high", "p_value",
           "q_value", "affected"]  # fmt: skip
KEY = ["indicator", "by", "by_value", "sex"]


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b)
    m = a.merge(b, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    assert (m["_merge"] == "both").all()
    for c in COLUMNS:
        x, y = m[f"{c}_a"].to_numpy(float), m[f"{c}_b"].to_numpy(float)
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=c)


@pytest.fixture(scope="module")
def toy():
    return make_toy_survey()


@pytest.fixture(scope="module")
def pandas_table(toy):
    return compute_indicators(toy, by=("district", "age_band", "head_sex"))


def test_duckdb_equals_pandas(toy, pandas_table):
    table = compute_indicators_sql(toy, by=("district", "age_band", "head_sex"), engine="duckdb")
    assert_same(pandas_table, table)


def test_census_design_without_psu_equals_pandas(toy):
    design = {"weight": "weight", "strata": None, "psu": None, "fpc": None}
    ids = [i.id for i in load_catalogue().indicators if i.unit == "respondent"][:12]
    a = compute_indicators(toy, design=design, by=("district",), indicators=ids)
    b = compute_indicators_sql(toy, design=design, by=("district",), indicators=ids)
    assert_same(a, b)


def test_parquet_scanned_equals_in_memory(tmp_path):
    from gender_diag.engine.census import run_census
    from gender_diag.synth.census import census_frame, write_census

    paths = write_census(tmp_path, persons=3000, seed=3)
    cat = load_catalogue(paths["catalogue"])
    frame = census_frame(3000, seed=3)
    design = {"weight": "weight", "strata": None, "psu": None, "fpc": None}
    by = ("department",)
    a = compute_indicators({"members": frame}, cat, design=design, by=by)
    b = compute_indicators_sql(files={"members": paths["persons"]}, catalogue=cat,
                               design=design, by=by)  # fmt: skip
    assert_same(a, b)
    from gender_diag.config import load_config

    cfg = load_config(paths["config"])
    cfg["diagnostic"]["output_dir"] = str(tmp_path / "out")
    cfg["census"]["min_indicators"] = 1  # 3,000 persons: most district cells are suppressed
    res = run_census(cfg, write=True)
    ranking = res.indices["district_ranking"]
    assert ranking["district"].is_unique and ranking["rank"].min() == 1
    assert (ranking["ranked"] == ranking["rank"].notna()).all()
    for p in res.outputs:  # the identifier never reaches an output
        if p.suffix in (".csv", ".html"):
            text = p.read_text(encoding="utf-8")
            # the indicator's id and its Spanish label name the DNI; no column or value may
            text = text.lower().replace("has_dni", "").replace("tiene dni", "")
            assert "dni" not in text
    dnis = frame["dni"].dropna().head(50)
    text = (tmp_path / "out" / "indicators.csv").read_text()
    assert not any(d in text for d in dnis if len(d) == 8 and d not in ("00000000",))


RULES = [
    "age >= 18 and has_dni == 'yes'",
    "not (x > 2) or y in ['a', 'b']",
    "if_else(x > 1, y == 'a', NA)",
    "count(x > 1, y == 'b', z)",
    "sum(x, 2) / z",
    "min(x, z) + max(x, 1) - mean(x, z)",
    "coalesce(x, 0) * 2",
    "isna(y) or notna(x)",
    "x not in [1, 3]",
    "selected(q, 'b') and not selected(q, 'c')",
    "has_line(q, line)",
    "code == 2",
]


@pytest.mark.parametrize("rule", RULES)
def test_compiled_rules_match_evaluator(rule):
    """Kleene logic, NA propagation, division by zero and text numbers as the evaluator."""
    import duckdb

    from gender_diag.engine.sql import Lookup, compile_rule

    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame(
        {
            "age": rng.choice([10.0, 20.0, np.nan], n),
            "has_dni": rng.choice(np.array(["yes", "no", None], dtype=object), n),
            "x": rng.choice([0.0, 1.0, 2.0, 3.0, np.nan], n),
            "z": rng.choice([0.0, 1.0, np.nan], n),
            "y": rng.choice(np.array(["a", "b", "c", None], dtype=object), n),
            "line": rng.choice([1.0, 2.0, np.nan], n),
            "code": rng.choice(np.array(["1", "2", None], dtype=object), n),
            "q__b": rng.choice(np.array([True, False, None], dtype=object), n),
            "q__c": rng.choice(np.array([True, False], dtype=object), n),
            "q__1": rng.choice(np.array([True, False, None], dtype=object), n),
            "q__2": rng.choice(np.array([True, False], dtype=object), n),
        }
    )
    parsed = parse_rule(rule)
    want = parsed.evaluate({"respondents": df}, unit="respondent")
    con = duckdb.connect()
    con.register("t", df)
    kinds = {c: t for c, t in zip(con.table("t").columns, con.table("t").types, strict=True)}
    from gender_diag.engine.sql import kind_of_type

    look = Lookup({"t": {c: kind_of_type(str(t)) for c, t in kinds.items()}})
    col = compile_rule(parsed, look)
    got = con.execute(f"SELECT {col.expr.sql('duckdb')} AS v FROM t").fetchdf()["v"]
    w = want.astype(object).where(want.notna(), None).tolist()
    g = got.astype(object).where(got.notna(), None).tolist()
    assert [None if v is None else float(v) for v in w] == [
        None if v is None else float(v) for v in g
    ]


def test_literals_are_escaped_not_concatenated():
    import sqlglot.expressions as exp

    from gender_diag.engine.sql import Column, compile_rule

    cols = {"y": Column(exp.column("y", quoted=True), "str")}
    sql = compile_rule(parse_rule('y == "x\'); DROP TABLE t; --"'), cols.get).expr.sql("duckdb")
    assert sql == "(\"y\" = 'x''); DROP TABLE t; --')"


def test_auto_engine_by_size():
    assert resolve_engine("auto", rows=1000) == "pandas"
    assert resolve_engine("auto", rows=50_000_000) == "duckdb"
    assert resolve_engine("pandas", rows=50_000_000) == "pandas"


@pytest.mark.slow
@pytest.mark.skipif(spark_available() is not None, reason=str(spark_available()))
def test_spark_equals_duckdb(toy, tmp_path):
    """The same plan on Spark local[2] (few indicators: each query is a Spark job)."""
    ids = [i.id for i in load_catalogue().indicators if i.unit == "respondent"][:6]
    duck = compute_indicators_sql(toy, by=("district",), indicators=ids, engine="duckdb")
    spark = compute_indicators_sql(toy, by=("district",), indicators=ids, engine="spark")
    assert_same(duck, spark)
