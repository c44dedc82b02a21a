"""Column names shared by several stages (docs/contracts.md §§2–4).

A stage that produces one of these tables and the stages that read it import the tuple from
here, so that a renamed column fails in one place and not silently downstream.
"""

from __future__ import annotations

#: The core of every tidy estimate (design engine, indicators, indices, round changes).
ESTIMATE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "n")

#: Columns the design engine adds to :data:`ESTIMATE_COLUMNS` (contract §3).
DESIGN_ESTIMATE_COLUMNS = (*ESTIMATE_COLUMNS, "population", "cv", "deff", "reliability")

#: The long indicator table, one row per indicator × disaggregation × group value × sex
#: (contract §4), in this order.
INDICATOR_COLUMNS = (
    "indicator",
    "domain",
    "unit",
    "type",
    "direction",
    "sensitive",
    "by",
    "by_value",
    "sex",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "population",
    "cv",
    "reliability",
    "affected",
    "gap",
    "gap_se",
    "gap_ci_low",
    "gap_ci_high",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "p_value",
    "q_value",
    "suppressed",
)

#: Gap columns of the indicator table, repeated on the F and M rows of a pair.
PAIR_GAP_COLUMNS = (
    "gap",
    "gap_se",
    "gap_ci_low",
    "gap_ci_high",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "p_value",
    "q_value",
)

#: Columns of every tidy index frame (``to_frame()`` of Alkire–Foster and WEAI results).
INDEX_FRAME_COLUMNS = ("by", "by_value", "measure", "indicator", *ESTIMATE_COLUMNS)

#: Columns of :attr:`ValidationReport.issues` (contract §2), in this order.
ISSUE_COLUMNS = (
    "file",
    "sheet",
    "table",
    "row",
    "column",
    "value",
    "rule",
    "reason",
    "severity",
    "message",
    "fix",
)

#: Sex codes after ingest (contract §0).
FEMALE, MALE = "F", "M"
