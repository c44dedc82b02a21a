"""Design structure: integer codes of strata, PSUs and SSUs, and per-unit variance scales.

Built once per :class:`~gender_diag.design.SurveyDesign` from a
:class:`~gender_diag.design.spec.DesignSpec` and the data. Conventions follow R ``survey``
(Lumley 2004, 2010): ``svydesign(ids=~psu+ssu, strata=~strata, weights=~w, fpc=~fpc+fpc2,
nest=TRUE)``; fpc values > 1 are population sizes, values ≤ 1 sampling fractions;
with-replacement designs ignore the fpc; the second stage adds to the variance only when the
first-stage fpc is given. Lonely PSUs (R ``survey.lonely.psu``): ``fail`` raises,
``remove``/``certainty`` contribute nothing, ``adjust`` centres the lonely PSU on the grand
mean, ``average`` scales the stage variance by ``H / (H − lonely strata)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gender_diag.design._kernel import StageStructure
from gender_diag.errors import DesignError, bad_parameter

_CERTAINTY = 1e-7  # R survey: a stage with (1 - f) below this is a certainty stage


def column_of(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise bad_parameter(role, "SurveyDesign", "a column name (str)", name)
    if name not in data.columns:
        raise DesignError(
            f"SurveyDesign: the {role} column {name!r} is not in the data. "
            f"Available columns: {', '.join(map(str, data.columns[:30]))}. "
            f"Fix: pass the name of an existing column as {role}=."
        )
    return data[name]


def _numeric(series: pd.Series, role: str, *, allow_na: bool = False) -> np.ndarray:
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"SurveyDesign: the {role} column {series.name!r} must be numeric; "
            f"it holds values such as {series.dropna().iloc[:3].tolist()!r}. "
            f"Fix: convert it to numbers before building the design."
        ) from exc
    bad = ~np.isfinite(values)
    if not allow_na and bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise DesignError(
            f"SurveyDesign: the {role} column {series.name!r} has {int(bad.sum())} missing or "
            f"infinite values (first row positions {rows}). Rule: every row needs a finite "
            f"{role}. Fix: fill or remove those rows explicitly before building the design."
        )
    return values


def _codes(series: pd.Series, role: str) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(series, sort=True)
    if (codes < 0).any():
        rows = np.flatnonzero(codes < 0)[:5].tolist()
        raise DesignError(
            f"SurveyDesign: the {role} column {series.name!r} has {int((codes < 0).sum())} "
            f"missing values (first row positions {rows}). Rule: every row must belong to a "
            f"{role}. Fix: fill the {role} of those rows."
        )
    return codes.astype(np.int64), np.asarray(uniques)


def _nested(outer: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of (outer, inner) pairs, and the outer code of each pair (R ``nest=TRUE``)."""
    key = outer * (int(inner.max()) + 1 if inner.size else 1) + inner
    codes, uniques = pd.factorize(key, sort=True)
    codes = codes.astype(np.int64)
    parent = (uniques // (int(inner.max()) + 1 if inner.size else 1)).astype(np.int64)
    return codes, parent


def per_group_constant(
    values: np.ndarray, group: np.ndarray, n_groups: int, role: str, column: str, group_role: str
) -> np.ndarray:
    lo = np.full(n_groups, np.inf)
    hi = np.full(n_groups, -np.inf)
    np.minimum.at(lo, group, values)
    np.maximum.at(hi, group, values)
    if np.any(~np.isclose(lo, hi, rtol=1e-9, atol=0)):
        bad = int(np.flatnonzero(~np.isclose(lo, hi, rtol=1e-9, atol=0))[0])
        raise DesignError(
            f"SurveyDesign: the {role} column {column!r} must be constant within each "
            f"{group_role}; one {group_role} has values from {lo[bad]} to {hi[bad]}. "
            f"Fix: give one population size (or sampling fraction) per {group_role}."
        )
    return lo


def population_size(values: np.ndarray, n_units: np.ndarray, role: str, column: str) -> np.ndarray:
    """Population sizes from a fpc given as sizes (> 1) or sampling fractions (≤ 1)."""
    if np.any(values <= 0):
        raise DesignError(
            f"SurveyDesign: the {role} column {column!r} has values ≤ 0. Rule: give population "
            f"sizes (> 1) or sampling fractions in (0, 1]. Fix: correct those values."
        )
    # R survey (as.fpc): fractions only when every value is ≤ 1, otherwise sizes (a
    # population of 1 is a valid size, e.g. a district with a single school).
    if np.all(values <= 1):
        return n_units / values
    short = values < n_units - 1e-9
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise DesignError(
            f"SurveyDesign: the {role} column {column!r} gives a population size "
            f"{values[i]:g} smaller than the {int(n_units[i])} units sampled there. "
            f"Fix: check the population sizes (or give sampling fractions ≤ 1)."
        )
    return values


def stage_scale(
    n: np.ndarray, pop: np.ndarray | None, lonely: str, labels, stage: str, lonely_psu: str
) -> tuple[np.ndarray, np.ndarray]:
    """Scale ``(1-f) n/(n-1)`` per group and the lonely-adjust flag (R ``onestrat``)."""
    one_minus_f = np.ones_like(n) if pop is None else (pop - n) / pop
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 1, one_minus_f * n / (n - 1), 0.0)
    alone = (n == 1) & (one_minus_f >= _CERTAINTY)
    adjust = np.zeros(n.shape, dtype=bool)
    if alone.any():
        if lonely_psu == "fail":
            names = [str(labels[i]) for i in np.flatnonzero(alone)[:10]]
            raise DesignError(
                f"SurveyDesign: {int(alone.sum())} {lonely} have a single {stage} "
                f"(lonely PSU), e.g. {', '.join(names)}. Rule: a variance needs two or more "
                f"{stage}s per {lonely[:-1] if lonely.endswith('s') else lonely}. Fix: merge "
                f"strata, or choose lonely_psu='remove', 'adjust', 'average' or 'certainty' "
                f"(as R options(survey.lonely.psu=))."
            )
        if lonely_psu == "adjust":
            scale = np.where(alone, one_minus_f, scale)
            adjust = alone
        if lonely_psu == "average":
            # R svyrecvar: v / (1 - share of lonely strata) — the other strata's average
            # contribution stands in for each lonely one.
            scale = scale * n.size / (n.size - int(alone.sum()))
    return scale, adjust


@dataclass(frozen=True)
class Structure:
    """Weights, stage structures, strata labels, stage-1 population sizes and design df."""

    weights: np.ndarray
    stage1: StageStructure
    stage2: StageStructure | None
    strata_labels: np.ndarray
    population1: np.ndarray | None
    df: int


def _weights(data: pd.DataFrame, weight: str) -> np.ndarray:
    w = _numeric(column_of(data, weight, "weight"), "weight")
    if np.any(w < 0):
        raise DesignError(
            f"SurveyDesign: the weight column {weight!r} has {int((w < 0).sum())} negative "
            f"values. Rule: sampling weights are ≥ 0. Fix: correct the weights."
        )
    return w


def _first_stage(data, spec):
    """Stratum codes and labels, PSU codes nested in strata and the PSU → stratum map."""
    n = data.shape[0]
    if spec.strata is None:
        h, h_labels = np.zeros(n, dtype=np.int64), np.array(["(all)"], dtype=object)
    else:
        h, h_labels = _codes(column_of(data, spec.strata, "strata"), "stratum")
    if spec.psu is None:
        return h, h_labels, np.arange(n, dtype=np.int64), h.copy()
    psu_codes, _ = _codes(column_of(data, spec.psu, "psu"), "PSU")
    p, p_stratum = _nested(h, psu_codes)
    return h, h_labels, p, p_stratum


def _second_stage(data, spec, p, p_stratum, n_psu_h, pop1):
    """Second-stage structure (SSUs nested in PSUs), or None when it adds no variance."""
    if spec.ssu is None or spec.fpc2 is None or spec.with_replacement:
        return None
    ssu_codes, _ = _codes(column_of(data, spec.ssu, "ssu"), "SSU")
    s, s_psu = _nested(p, ssu_codes)
    n_psu = p_stratum.size
    n_ssu_p = np.bincount(s_psu, minlength=n_psu).astype(float)
    vals = _numeric(column_of(data, spec.fpc2, "fpc2"), "fpc2")
    per_p = per_group_constant(vals, p, n_psu, "fpc2", spec.fpc2, "PSU")
    pop2 = population_size(per_p, n_ssu_p, "fpc2", spec.fpc2)
    scale2, adjust2 = stage_scale(n_ssu_p, pop2, "PSUs", np.arange(n_psu), "SSU", spec.lonely_psu)
    # R multistage(): the second-stage term is multiplied by n_h / N_h.
    scale2 = scale2 * (n_psu_h / pop1)[p_stratum]
    stage2 = StageStructure(s, s_psu, scale2[s_psu], adjust2[s_psu])
    return stage2 if stage2.active else None


def build_structure(data: pd.DataFrame, spec) -> Structure:
    """Codes and variance scales of a validated spec on ``data`` (R ``svydesign``)."""
    if not isinstance(data, pd.DataFrame):
        raise bad_parameter("data", "SurveyDesign", "a pandas DataFrame", type(data).__name__)
    if data.shape[0] == 0:
        raise DesignError("SurveyDesign: the data have no rows. Fix: pass the sample data.")
    w = _weights(data, spec.weight)
    h, h_labels, p, p_stratum = _first_stage(data, spec)
    n_strata = h_labels.size
    n_psu_h = np.bincount(p_stratum, minlength=n_strata).astype(float)
    pop1 = None
    if spec.fpc is not None and not spec.with_replacement:
        vals = _numeric(column_of(data, spec.fpc, "fpc"), "fpc")
        per_h = per_group_constant(vals, h, n_strata, "fpc", spec.fpc, "stratum")
        pop1 = population_size(per_h, n_psu_h, "fpc", spec.fpc)
    scale1, adjust1 = stage_scale(n_psu_h, pop1, "strata", h_labels, "PSU", spec.lonely_psu)
    stage1 = StageStructure(p, p_stratum, scale1[p_stratum], adjust1[p_stratum])
    stage2 = _second_stage(data, spec, p, p_stratum, n_psu_h, pop1)
    units = data.shape[0] if spec.psu is None else p_stratum.size
    return Structure(w, stage1, stage2, h_labels, pop1, int(units - n_strata))
