"""Indicators stage: the catalogue, the safe rule language and the indicator table.

- :func:`load_catalogue` reads and validates ``surveys/catalogue/indicators*.yaml``;
- :func:`parse_rule` parses a rule of the safe declarative language (never ``eval``);
- :func:`compute_indicators` gives every indicator × disaggregation × sex with the gap
  between women and men (docs/contracts.md §4); :func:`gap_table` one row per gap;
  :func:`couple_comparisons` within-couple comparisons; :func:`weai_inputs` the person
  frame of WEAI-family adequacies for :func:`gender_diag.indices.weai`;
- :func:`local_gap_index` the truncated-ratio local gender gap index;
- :func:`write_tables`, :func:`top_gaps_text` the library side of ``gender-diag indicators``.
"""

from gender_diag.indicators.catalogue import Catalogue, Derived, Indicator, load_catalogue
from gender_diag.indicators.command import top_gaps_text, write_tables
from gender_diag.indicators.compute import (
    AGE_BANDS,
    DEFAULT_BY,
    available_indicators,
    compute_indicators,
    couple_comparisons,
    gap_table,
    prepare_tables,
    weai_inputs,
)
from gender_diag.indicators.local_gap import LocalGapResult, local_gap_index, oriented_ratio
from gender_diag.indicators.rules import Rule, parse_rule

__all__ = [
    "AGE_BANDS",
    "DEFAULT_BY",
    "LocalGapResult",
    "Catalogue",
    "Derived",
    "Indicator",
    "Rule",
    "compute_indicators",
    "couple_comparisons",
    "available_indicators",
    "gap_table",
    "top_gaps_text",
    "write_tables",
    "load_catalogue",
    "local_gap_index",
    "oriented_ratio",
    "parse_rule",
    "prepare_tables",
    "weai_inputs",
]
