"""The last rows of the stage table of :func:`gender_diag.run`.

* :func:`disclose` — disclosure control of the indicator table, right after the indicators
  (``with_previous``: ``until="indicators"`` runs it too), then the gap table built from the
  suppressed cells. **The one call site of disclosure control in a run**: every later stage
  and every report reads the suppressed tables.
* :func:`run_stage` — the report stage: validation files and every report in every language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag import safe_output
from gender_diag.contracts.stages import Progress, RunState
from gender_diag.indicators.compute import gap_table
from gender_diag.ingest.stage import write_validation
from gender_diag.report import sdc
from gender_diag.report.tables import nesting_from_survey
from gender_diag.report.writer import write_reports


def suppress_small(
    frame: pd.DataFrame, *, sensitive: set[str], threshold: int, sensitive_threshold: int
) -> pd.DataFrame:
    """Blank the figures of rows based on fewer than the threshold of units (``n``).

    Used for tables that are not cells of the indicator × sex grid (couple comparisons):
    their rows are not margins of one another, so primary suppression suffices.
    """
    out = frame.copy()
    limit = np.where(out["indicator"].isin(sensitive), sensitive_threshold, threshold)
    small = out["n"].to_numpy(dtype=float) < limit
    figures = [
        c
        for c in out.columns
        if c not in ("indicator", "domain", "direction", "by", "by_value", "n", "reliability")
    ]
    out[figures] = out[figures].astype(float)
    out.loc[small, figures] = np.nan
    out["suppressed"] = small
    return out


def sensitive_variables(catalogue) -> set[str]:
    """Variables read by the catalogue's sensitive indicators (never quoted in side files)."""
    out: set[str] = set()
    for ind in getattr(catalogue, "indicators", ()):
        if ind.sensitive and ind.parsed_rule is not None:
            out |= {v.split("__")[0] for v in ind.parsed_rule.variables()}
    return out


def disclose(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Disclosure control of the indicator table and the couple comparisons; the gap table."""
    result, dcfg = state.result, config["disclosure"]
    # -- disclosure control: the single call site in a run (issue 11 makes the report use it)
    table, result.sdc_log = sdc.apply_sdc(
        result.indicators,
        threshold=dcfg["threshold"],
        sensitive_threshold=dcfg["sensitive_threshold"],
        sensitive_min_level=dcfg["sensitive_min_level"],
        nesting=nesting_from_survey(result.survey),
    )
    result.indicators = table
    result.gaps = gap_table(table, result.catalogue)
    if len(result.couples.columns):  # none when the data have no couples to compare
        result.couples = suppress_small(
            result.couples,
            sensitive=set(result.labels.loc[result.labels["sensitive"], "indicator"]),
            threshold=dcfg["threshold"],
            sensitive_threshold=dcfg["sensitive_threshold"],
        )
    suppressed = int(table["suppressed"].sum()) if "suppressed" in table else 0
    state.summary = f"{suppressed} cells suppressed"
    return state


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Write the validation files and every report (``state.out``)."""
    result, out = state.result, state.out
    safe_output.remove_stale(out)
    paths = write_validation(
        result.survey.report,
        out / "validation",
        variables=result.survey.variables,
        sensitive=sensitive_variables(result.catalogue),
    )
    if len(result.skipped_indicators):
        path = out / "validation" / "skipped_indicators.csv"
        paths.append(safe_output.write_csv(result.skipped_indicators, path))
    if state.skips is not None:
        result.skipped = state.skips.frame()
    if len(result.skipped):
        path = out / "validation" / "skipped.csv"
        paths.append(safe_output.write_csv(result.skipped, path))
    dcfg = config["disclosure"]
    paths += write_reports(
        result,
        out,
        languages=tuple(config["diagnostic"]["languages"]),
        threshold=dcfg["threshold"],
        sensitive_threshold=dcfg["sensitive_threshold"],
        sensitive_min_level=dcfg["sensitive_min_level"],
    )
    result.outputs = paths
    safe_output.record(out, paths)
    state.summary = f"{len(paths)} files in {out}"
    return state
