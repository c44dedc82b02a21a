"""Tidy CSV export of every published table (UTF-8, comma-separated, one header row).

The CSV files are language-independent: codes rather than translated values, with the
indicator labels in the three languages as columns, so that they can be reused in Excel, R or
Stata. Numbers are written at full precision with a decimal point. Only published (disclosure-
controlled) aggregate tables are written; never survey microdata.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gender_diag import safe_output
from gender_diag.report.tables import Published


def _stem(name: object) -> str:
    """A safe file stem.

    >>> _stem("a-weai")
    'a_weai'
    """
    return "".join(ch if ch.isalnum() else "_" for ch in str(name))


def tidy_tables(pub: Published) -> dict[str, pd.DataFrame]:
    """File stem → table, for every published table that has rows or columns."""
    labels = pub.labels[["indicator", "label_es", "label_fr", "label_en"]]
    tables = {
        "indicators": pub.indicators.merge(labels, on="indicator", how="left"),
        "gaps": pub.gaps,
        "ranking": pub.ranking,
        "direct_actions": pub.direct,
        "indirect_actions": pub.indirect,
        "unmatched_gaps": pub.unmatched,
        "weai_decomposition": pub.weai,
        "row_accounting": pub.accounting,
        "validation_issues": pub.issues,
        "provenance": pub.provenance,
    }
    for name, frame in pub.extra.items():
        tables[_stem(name)] = frame  # e.g. ranking_methods: ranks under each scoring method
    for name, frame in pub.indices.items():
        tables[f"index_{_stem(name)}"] = frame
    return {k: v for k, v in tables.items() if isinstance(v, pd.DataFrame) and len(v.columns)}


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write one frame as spreadsheet-safe UTF-8 CSV with ``\\n`` line ends (identical bytes
    across runs; text that would run as a formula is neutralised, see
    :mod:`gender_diag.safe_output`)."""
    return safe_output.write_csv(frame, path)


def write_csvs(pub: Published, out_dir: Path) -> list[Path]:
    """Write every tidy table under ``out_dir``; return the paths."""
    return [
        write_csv(frame, Path(out_dir) / f"{name}.csv") for name, frame in tidy_tables(pub).items()
    ]
