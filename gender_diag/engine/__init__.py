"""Columnar, out-of-core engines: the indicators stage in DuckDB (embedded) or Spark.

``compute_indicators_sql`` gives the table of :func:`gender_diag.indicators.compute_indicators`
from rules compiled to SQL and sufficient statistics; ``resolve_engine`` applies
``[engine] kind = "auto"``.
"""

from gender_diag.engine.compute import compute_indicators_sql
from gender_diag.engine.select import AUTO_THRESHOLD_ROWS, ENGINES, resolve_engine

__all__ = ["AUTO_THRESHOLD_ROWS", "ENGINES", "compute_indicators_sql", "resolve_engine"]
