"""Where the plan runs: an embedded DuckDB connection or a Spark session.

Both backends offer the same four operations — register an in-memory table, register a
Parquet/CSV file (scanned, never loaded), read a table's schema, and run a SQLGlot query
— so :mod:`gender_diag.engine.compute` builds ONE plan and only the dialect differs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import sqlglot.expressions as exp

from gender_diag.engine.sql import kind_of_type
from gender_diag.errors import ConfigError

__all__ = ["Backend", "DuckDBBackend", "SparkBackend", "open_backend", "spark_available"]


class Backend:
    """Common interface (see the module docstring)."""

    dialect = ""

    def register(self, name: str, frame: pd.DataFrame) -> None:  # pragma: no cover
        raise NotImplementedError

    def register_file(self, name: str, path: str | Path) -> None:  # pragma: no cover
        raise NotImplementedError

    def schema(self, name: str) -> dict[str, str]:  # pragma: no cover
        raise NotImplementedError

    def fetch(self, query: exp.Expression) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass


def _file_kind(path: Path) -> str:
    suffix = "".join(path.suffixes).lower()
    if suffix.endswith(".parquet") or path.is_dir():
        return "parquet"
    if suffix.endswith((".csv", ".csv.gz", ".tsv")):
        return "csv"
    raise ConfigError(
        f"{path}: the engine scans Parquet (.parquet) or CSV (.csv) files. Fix: convert the "
        "file (gender-diag reads SPSS/Stata and can write Parquet) or point to the Parquet copy."
    )


class DuckDBBackend(Backend):
    """Embedded DuckDB: columnar, out of core (spills to disk past its memory limit)."""

    dialect = "duckdb"

    def __init__(self, *, memory_limit: str | None = None, threads: int | None = None):
        import duckdb

        self.con = duckdb.connect(database=":memory:")
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        if threads:
            self.con.execute("SET threads = ?", [int(threads)])
        self._frames: dict[str, pd.DataFrame] = {}

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self._frames[name] = frame  # the connection scans it in place
        self.con.register(name, frame)

    def register_file(self, name: str, path: str | Path) -> None:
        path = Path(path)
        if _file_kind(path) == "parquet":
            rel = self.con.read_parquet(str(path / "*.parquet") if path.is_dir() else str(path))
        else:
            rel = self.con.read_csv(str(path))
        rel.create_view(name, replace=True)

    def schema(self, name: str) -> dict[str, str]:
        rel = self.con.table(name)
        return {c: kind_of_type(str(t)) for c, t in zip(rel.columns, rel.types, strict=True)}

    def fetch(self, query: exp.Expression) -> pd.DataFrame:
        return self.con.execute(query.sql(dialect=self.dialect)).fetchdf()

    def close(self) -> None:
        self.con.close()


def spark_available() -> str | None:
    """None when PySpark and a Java runtime are present, else the reason they are not."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'gender_diag[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime (install default-jre-headless)"
    return None


class SparkBackend(Backend):
    """A Spark session (``master`` e.g. ``local[2]`` or ``spark://host:7077``)."""

    dialect = "spark"

    def __init__(self, master: str = "local[2]", *, tmp_dir: str | Path | None = None):
        reason = spark_available()
        if reason:
            raise ConfigError(f'[engine] kind = "spark" cannot run: {reason}.')
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master(master)
            .appName("gender_diag")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.ansi.enabled", "false")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self._tmp = Path(tmp_dir) if tmp_dir else None

    def register(self, name: str, frame: pd.DataFrame) -> None:
        # In-memory frames travel as Parquet written by DuckDB: one typed, columnar copy
        # that every Spark executor can read (no pandas-to-JVM row conversion).
        import tempfile

        import duckdb

        base = self._tmp or Path(tempfile.mkdtemp(prefix="gender_diag_spark_"))
        base.mkdir(parents=True, exist_ok=True)
        path = base / f"{name}.parquet"
        con = duckdb.connect()
        con.register("frame", frame)
        con.table("frame").write_parquet(str(path))
        con.close()
        self.register_file(name, path)

    def register_file(self, name: str, path: str | Path) -> None:
        path = Path(path)
        if _file_kind(path) == "parquet":
            df = self.spark.read.parquet(str(path))
        else:
            df = self.spark.read.csv(str(path), header=True, inferSchema=True)
        df.createOrReplaceTempView(name)

    def schema(self, name: str) -> dict[str, str]:
        return {c: kind_of_type(t) for c, t in self.spark.table(name).dtypes}

    def fetch(self, query: exp.Expression) -> pd.DataFrame:
        rows = self.spark.sql(query.sql(dialect=self.dialect)).collect()
        cols = self.spark.sql(query.sql(dialect=self.dialect)).columns if not rows else None
        if rows:
            return pd.DataFrame([r.asDict() for r in rows])
        return pd.DataFrame(columns=cols)


def open_backend(kind: str, *, spark_master: str = "local[2]", **options) -> Backend:
    """A backend by name: ``duckdb`` or ``spark``."""
    if kind == "duckdb":
        return DuckDBBackend(**options)
    if kind == "spark":
        return SparkBackend(spark_master)
    raise ConfigError(f'[engine] kind = "{kind}": choose "duckdb" or "spark" for a backend.')
