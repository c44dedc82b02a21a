"""Which engine runs the indicators stage (``[engine] kind``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

ENGINES = ("auto", "pandas", "duckdb", "spark")
#: ``auto`` switches from pandas to DuckDB above this many rows across the survey tables.
#: Measured (benchmarks/results/scale.md): for a survey already held in pandas (Kobo/ODK
#: ingest) the pandas path is faster and lighter at every size measured — 1,000,000
#: households (9.2 M rows) end to end in under 4 min and 6.5 GB, while registering the same
#: tables in DuckDB took 2.3x the indicators time and 2.8x the memory at 100,000 households.
#: The engine pays where data are scanned from files (census, ``[census] path``), which always
#: use it; for a survey, only well past the largest size measured.
AUTO_THRESHOLD_ROWS = 20_000_000


def resolve_engine(
    kind: str,
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    rows: int | None = None,
    threshold: int = AUTO_THRESHOLD_ROWS,
) -> str:
    """The engine that will run: ``kind`` itself, or for ``auto`` pandas or DuckDB by size.

    Examples
    --------
    >>> resolve_engine("auto", rows=10), resolve_engine("auto", rows=10**8)
    ('pandas', 'duckdb')
    >>> resolve_engine("spark")
    'spark'
    """
    if kind != "auto":
        return kind
    if rows is None:
        rows = sum(len(t) for t in (tables or {}).values())
    return "duckdb" if rows > threshold else "pandas"


def indicators_function(config: Mapping, tables: Mapping[str, pd.DataFrame]):
    """``compute_indicators`` of the engine the configuration selects (same signature)."""
    from functools import partial

    from gender_diag.indicators import compute_indicators

    eng = config.get("engine") or {}
    kind = resolve_engine(
        eng.get("kind", "auto"),
        tables,
        threshold=eng.get("auto_threshold_rows", AUTO_THRESHOLD_ROWS),
    )
    if kind == "pandas":
        return compute_indicators
    from gender_diag.engine.compute import compute_indicators_sql

    return partial(
        compute_indicators_sql, engine=kind, spark_master=eng.get("spark_master", "local[2]")
    )
