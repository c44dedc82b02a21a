"""Every catalogue indicator by sex, with its gap, over the requested disaggregations.

Pipeline (docs/contracts.md §4):

1. :func:`prepare_tables` copies the survey tables and adds the disaggregation columns
   (``age_band``, ``head_sex``, head's ``mother_tongue`` and ``age_band`` for households,
   ``program_participant`` everywhere) and the catalogue's derived variables;
2. :func:`indicator_frames` evaluates each rule once per indicator (vectorised over rows) into
   one frame per unit of analysis (respondent, member, household, parcel), coded 1/0 for
   proportions and NaN when the rule's inputs are missing or the unit is outside the
   indicator's universe;
3. :func:`compute_indicators` builds one :class:`~gender_diag.design.SurveyDesign` per unit
   frame and makes, per disaggregation, one batched call each to ``mean`` (women and men)
   and ``gap`` (difference and ratio) over all the unit's indicators — no loop over
   indicators; then BH q-values across the whole table.

Household and parcel indicators are compared by the sex of the household head (``sex``
holds ``head_sex`` on those rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from gender_diag.contracts.columns import INDICATOR_COLUMNS
from gender_diag.contracts.parameters import resolve_confidence
from gender_diag.errors import EstimationError, GenderDiagError, bad_parameter
from gender_diag.indicators.catalogue import Catalogue, load_catalogue
from gender_diag.indicators.rules import UNIT_TABLES

if TYPE_CHECKING:
    from gender_diag.design import DesignSpec

__all__ = [
    "AGE_BANDS",
    "DEFAULT_BY",
    "RESULT_COLUMNS",
    "compute_indicators",
    "couple_comparisons",
    "gap_table",
    "indicator_frames",
    "indicator_values",
    "make_design",
    "prepare_tables",
    "weai_inputs",
]

DEFAULT_BY = (
    "district",
    "community",
    "age_band",
    "mother_tongue",
    "head_sex",
    "program_participant",
)
#: Age bands (inclusive lower bound, label). DHS-style 10-year bands for working ages, a
#: youth band 15–24 (SDG 4.6 youth literacy) and 60+ for the elderly.
AGE_BANDS = ((0, "0-14"), (15, "15-24"), (25, "25-34"), (35, "35-44"), (45, "45-59"), (60, "60+"))
RESULT_COLUMNS = list(INDICATOR_COLUMNS)
_DEFAULT_DESIGN = dict(weight="weight", strata="district", psu="community", fpc="fpc")
_KEYS = {"respondent": ["hhid", "line"], "member": ["hhid", "line"], "household": ["hhid"],
         "parcel": ["hhid", "parcel"]}  # fmt: skip
#: By-columns never used for sensitive indicators (WHO 2001: no community-level violence
#: tables when communities are small).
_SENSITIVE_EXCLUDED_BY = frozenset({"community"})


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------
def as_catalogue(catalogue) -> Catalogue:
    """A Catalogue as given, or loaded from a path (None: the bundled catalogue)."""
    if isinstance(catalogue, Catalogue):
        return catalogue
    return load_catalogue(catalogue)


def tables_and_design(survey, design) -> tuple[dict[str, pd.DataFrame], DesignSpec]:
    """The survey's tables and ONE :class:`~gender_diag.design.DesignSpec` for every unit.

    Roles come from ``survey.design`` (the design file), overridden by ``design``: a
    :class:`DesignSpec` or :class:`SurveyDesign` (used as given) or a dict of roles and
    options (roles not mentioned — e.g. the second stage ingest set — are kept: dropping the
    second stage while keeping a large first-stage fpc would shrink every SE towards zero).
    Without a stated policy, strata with one PSU are ``lonely_psu="adjust"``. A dict of
    tables without design uses :data:`_DEFAULT_DESIGN`, keeping only the roles whose column
    exists.
    """
    from gender_diag.design import DesignSpec, SurveyDesign

    if isinstance(survey, Mapping):
        tables = dict(survey)
        first = next(iter(tables.values()), pd.DataFrame())
        roles = {k: v for k, v in _DEFAULT_DESIGN.items() if v in first.columns or k == "weight"}
    else:
        tables = dict(getattr(survey, "tables", {}) or {})
        roles = dict(getattr(survey, "design", None) or _DEFAULT_DESIGN)
    if not tables:
        raise bad_parameter("survey", "compute_indicators", "a Survey or a dict of tables", survey)
    if isinstance(design, SurveyDesign):
        design = design.spec
    if isinstance(design, DesignSpec):
        return tables, design
    spec = {"lonely_psu": "adjust", **roles, **dict(design or {})}
    if not spec.get("weight"):
        raise GenderDiagError(
            "compute_indicators: the survey has no weight column. Rule: design-based "
            "estimates need sampling weights. Fix: give a design file at ingest."
        )
    return tables, DesignSpec.coerce(spec)


def age_band(age: pd.Series) -> pd.Series:
    """Label of :data:`AGE_BANDS` for each age (missing stays missing).

    Examples
    --------
    >>> age_band(pd.Series([3, 15, 24, 25, 59, 60, None])).tolist()
    ['0-14', '15-24', '15-24', '25-34', '45-59', '60+', nan]
    """
    edges = [lo for lo, _ in AGE_BANDS] + [np.inf]
    labels = [lab for _, lab in AGE_BANDS]
    a = pd.to_numeric(age, errors="coerce")
    out = pd.cut(a, bins=edges, right=False, labels=labels)
    return out.astype(object).where(out.notna(), np.nan)


def available_indicators(
    survey, catalogue: Catalogue | None = None
) -> tuple[list[str], pd.DataFrame]:
    """Split the catalogue into indicators the survey can compute and those it cannot.

    A partner's file often holds part of the instrument (a hand-typed respondent sheet, an
    ENDES extract): an indicator whose unit table, aggregated table (members, parcels) or
    variables are absent is left out with its reason, instead of stopping the diagnostic.

    Returns
    -------
    (ids, skipped)
        Computable indicator ids, and a frame ``indicator, reason`` of the others.
    """
    from gender_diag.indicators.catalogue import STRUCTURAL_VARIABLES
    from gender_diag.indicators.rules import aggregation, resolve_table

    catalogue = as_catalogue(catalogue)
    tables = getattr(survey, "tables", survey)
    known = {str(c) for t in tables.values() for c in t.columns}
    known |= {d.name for d in catalogue.derived} | set(STRUCTURAL_VARIABLES)
    known |= {"age_band", "head_sex"}
    mem = tables.get("members")
    # household and parcel units are compared by the head's sex: a roster without a head
    # (no relation == 'head', no [mapping.members] head rule) cannot support them
    headless = mem is not None and not (
        "sex" in mem.columns and ({"relation", "is_head"} & set(mem.columns))
    )
    ids, skipped = [], []
    for ind in catalogue.indicators:
        needs = {UNIT_TABLES[ind.unit]}
        rules = [r for r in (ind.parsed_rule, ind.parsed_universe) if r is not None]
        for f in {f for r in rules for f in r.functions()}:
            agg = aggregation(f)
            if agg is not None:
                needs.add(resolve_table(agg[0], tables) or agg[0])
            if f in ("sex_of", "women_in", "men_in"):
                needs.add("members")  # person references resolve through the roster
        if ind.unit in ("household", "parcel"):
            needs.add("members")  # compared by the sex of the head, found in the roster
        absent_tables = sorted(t for t in needs if t not in tables)
        variables = {v for r in rules for v in r.variables()}
        # exact names: a select_multiple answer is read from its 0/1 columns ``q__code``
        absent = sorted(v for v in variables if v not in known)
        if absent_tables:
            skipped.append((ind.id, f"no {', '.join(absent_tables)} table in the survey"))
        elif headless and ind.unit in ("household", "parcel"):
            skipped.append((ind.id, "no household head in the roster (map [mapping.members] head)"))
        elif absent:
            skipped.append((ind.id, f"variables not in the survey: {', '.join(absent)}"))
        else:
            ids.append(ind.id)
    return ids, pd.DataFrame(skipped, columns=["indicator", "reason"])


class PreparedTables(dict):
    """Prepared survey tables plus a cache of indicator values (rules evaluated once).

    Only built when the survey carries an evaluation cache (:func:`cache_evaluations`, which
    the pipeline turns on): the indicators, couples, WEAI and local-index stages then share
    one copy of the tables and evaluate each rule once instead of four times.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_values: dict[tuple[str, str], np.ndarray] = {}  # see _stored / _restored
        self.column_values: dict = {}  # (table, column) -> converted column (rules.py)
        self.links: dict = {}  # row links between tables (rules.py)


def cache_evaluations(survey) -> None:
    """Let :func:`prepare_tables` and :func:`indicator_frames` reuse their work for ``survey``.

    The survey's tables must not change afterwards (the pipeline never changes them). The
    cache is keyed by the catalogue object, so a different catalogue is prepared afresh.
    """
    try:
        survey._gd_evaluations = {}
    except AttributeError:  # pragma: no cover - a mapping of tables: nothing to attach to
        pass


def release_evaluations(survey, *, keep_units: Iterable[str] | None = None) -> None:
    """Free the evaluation cache of ``survey`` once its consumers are done.

    ``keep_units`` given: keep the prepared tables and the indicator values of these units
    (what later stages still read), drop the converted columns, the row links and the
    other units' values. Without it: drop the whole cache and stop caching (the last
    consumer ran; a later call prepares afresh).
    """
    cache = getattr(survey, "_gd_evaluations", None)
    if not cache:
        return
    if keep_units is None:
        survey._gd_evaluations = None
        return
    keep = set(keep_units)
    for _, prepared in cache.values():
        prepared.column_values.clear()
        prepared.links.clear()
        for key in [k for k in prepared.rule_values if k[0] not in keep]:
            del prepared.rule_values[key]


def _stored(x: np.ndarray, kind: str) -> np.ndarray:
    """An indicator's values as kept in the cache: 0/1 indicators as int8 (−1 missing),
    an eighth of the float64 array; other values unchanged. Read-only."""
    if kind == "proportion":
        x = np.where(np.isnan(x), -1, x).astype(np.int8)
    x.flags.writeable = False  # shared by every later caller
    return x


def _restored(x: np.ndarray) -> np.ndarray:
    """The float values of a cached indicator (1/0, NaN where missing)."""
    if x.dtype != np.int8:
        return x
    out = x.astype(float)
    out[x < 0] = np.nan
    return out


def prepare_tables(survey, catalogue: Catalogue | None = None) -> dict[str, pd.DataFrame]:
    """Copy the survey tables, add disaggregation columns and the derived variables.

    Added columns
    -------------
    ``age_band`` (members, respondents: own age; households, parcels: the head's),
    ``head_sex`` (every table: sex of the roster member with ``relation == 'head'``, or
    marked ``is_head`` by the mapping's head rule),
    ``mother_tongue`` (households and parcels: the head's), ``program_participant``
    (every table, from households), ``resp_role`` untouched. Then every derived variable
    of the catalogue on its unit's table.
    """
    cache = getattr(survey, "_gd_evaluations", None)
    if cache is not None and id(catalogue) in cache and cache[id(catalogue)][0] is catalogue:
        return cache[id(catalogue)][1]
    t = _prepare(survey, catalogue)
    if cache is not None:
        cache[id(catalogue)] = (catalogue, PreparedTables(t))
        return cache[id(catalogue)][1]
    return t


def _prepare(survey, catalogue: Catalogue | None) -> dict[str, pd.DataFrame]:
    tables, _ = tables_and_design(survey, None)
    # shallow copies: pandas copy-on-write keeps the survey's own tables unchanged when
    # columns are added here, without duplicating every column in memory
    t = {k: v.copy(deep=False) for k, v in tables.items()}
    mem = t.get("members")
    head = None
    if mem is not None and {"hhid", "is_head"} <= set(mem.columns):
        # the head marked by the [mapping.members] head rule (gender_diag.ingest.mapping)
        head = mem.loc[mem["is_head"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
        head = head.drop_duplicates("hhid")
        head = head.set_index(head["hhid"].astype(str))
    elif mem is not None and {"hhid", "relation"} <= set(mem.columns):
        head = mem.loc[mem["relation"].astype(str) == "head"].drop_duplicates("hhid")
        head = head.set_index(head["hhid"].astype(str))
    hh = t.get("households")
    for name, frame in t.items():
        if "age" in frame.columns and name in ("members", "respondents"):
            frame["age_band"] = age_band(frame["age"])
        if "hhid" not in frame.columns:
            continue
        key = frame["hhid"].astype(str)
        if head is not None:
            if "sex" in head.columns:
                frame["head_sex"] = key.map(head["sex"].astype(object)).to_numpy()
            if name in ("households", "parcels"):
                if "age" in head.columns:
                    frame["age_band"] = age_band(key.map(head["age"].astype(float)))
                if "mother_tongue" in head.columns and "mother_tongue" not in frame.columns:
                    frame["mother_tongue"] = key.map(head["mother_tongue"].astype(object))
        if (
            hh is not None
            and name != "households"
            and "program_participant" in hh.columns
            and "program_participant" not in frame.columns
        ):
            pp = hh.set_index(hh["hhid"].astype(str))["program_participant"]
            pp = pp[~pp.index.duplicated()]
            frame["program_participant"] = key.map(pp.astype(object)).to_numpy()
        t[name] = frame
    if catalogue is not None:
        for d in catalogue.derived:
            table = UNIT_TABLES[d.unit]
            if table in t:
                t[table][d.name] = d.parsed_rule.evaluate(t, unit=d.unit)
    return t


def unit_table(tables: Mapping[str, pd.DataFrame], unit: str, inds) -> pd.DataFrame:
    """The table of ``unit`` that indicators ``inds`` are computed on; an error naming them
    when the survey has no such table."""
    table = tables.get(UNIT_TABLES[unit])
    if table is None:
        raise GenderDiagError(
            f"compute_indicators: indicators {[i.id for i in inds][:3]} need the "
            f"{UNIT_TABLES[unit]!r} table, which the survey does not have."
        )
    return table


def indicator_frames(
    tables: Mapping[str, pd.DataFrame],
    catalogue: Catalogue,
    *,
    design: Mapping | None = None,
    by: Sequence[str] = DEFAULT_BY,
    indicators: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """One frame per unit of analysis: keys, design, ``sex``, by-columns and indicators.

    Indicator columns are floats: 1/0 for proportions, values for means, NaN when missing
    or outside the universe. For household and parcel units ``sex`` is the head's sex.
    ``share_women`` indicators hold 1 inside their universe (their rule is evaluated for
    the share itself, see :func:`compute_indicators`).
    """
    from gender_diag.design import DesignSpec

    if not isinstance(design, DesignSpec):
        design = DesignSpec.coerce({**_DEFAULT_DESIGN, **dict(design or {})})
    wanted = None if indicators is None else set(indicators)
    out: dict[str, pd.DataFrame] = {}
    for unit in UNIT_TABLES:
        inds = [i for i in catalogue.indicators if i.unit == unit]
        if wanted is not None:
            inds = [i for i in inds if i.id in wanted]
        if not inds:
            continue
        table = unit_table(tables, unit, inds)
        keep = [c for c in _KEYS[unit] if c in table.columns]
        keep += [v for v in design.columns(table) if v in table.columns and v not in keep]
        keep += [c for c in by if c in table.columns and c not in keep]
        for extra in ("sex", "head_sex", "resp_role"):
            if extra in table.columns and extra not in keep:
                keep.append(extra)
        frame = table[keep].copy()
        if unit in ("household", "parcel"):
            if "head_sex" not in table.columns:
                raise GenderDiagError(
                    f"compute_indicators: cannot compare {unit} indicators by sex of the head: "
                    "no head in the roster (relation == 'head')."
                )
            frame["sex"] = table["head_sex"].to_numpy()
        cols = {ind.id: indicator_values(tables, ind) for ind in inds}
        # the unit's converted columns served its rules, whose values are now cached: free
        # them (a survey's worth of converted columns otherwise stays for the whole stage)
        converted = getattr(tables, "column_values", None)
        if getattr(tables, "rule_values", None) is not None and converted:
            for key in [k for k in converted if k[0] == UNIT_TABLES[unit]]:
                del converted[key]
        out[unit] = pd.concat([frame.reset_index(drop=True), pd.DataFrame(cols)], axis=1)
        del cols
    return out


def indicator_values(tables: Mapping[str, pd.DataFrame], ind) -> np.ndarray:
    """The values of one indicator on its unit's table: float array, one entry per row.

    1/0 for proportions, values for means, NaN when missing or outside the universe
    (``share_women``: 1 inside the universe). With :func:`prepare_tables`' tables the rule is
    evaluated once and its values are cached for every later caller (0/1 indicators as int8,
    see :func:`_stored`; a float array is returned, read-only when shared).
    """
    unit = ind.unit
    memo = getattr(tables, "rule_values", None)  # PreparedTables: each rule evaluated once
    if memo is not None and (unit, ind.id) in memo:
        return _restored(memo[(unit, ind.id)])
    x = ind.parsed_rule.evaluate_float(tables, unit=unit)  # arrays, no Series
    if ind.type == "share_women":
        x = np.ones(len(tables[UNIT_TABLES[unit]]))
    if ind.parsed_universe is not None:
        inside = ind.parsed_universe.evaluate_mask(tables, unit=unit)
        x = np.where(inside, x, np.nan)
    if ind.type == "proportion":
        bad = ~np.isnan(x) & (x != 0) & (x != 1)
        if bad.any():
            raise GenderDiagError(
                f"Indicator {ind.id!r}: rule {ind.rule!r} gives values other than "
                "true/false, but the indicator type is 'proportion'. Fix: make the "
                "rule a condition or set type: mean."
            )
    if memo is not None:
        memo[(unit, ind.id)] = _stored(x, ind.type)
    return x


def make_design(frame: pd.DataFrame, spec):
    """The :class:`~gender_diag.design.SurveyDesign` of a unit frame from the one spec.

    Every role of ``spec`` (a :class:`~gender_diag.design.DesignSpec` or a dict) must name a
    column of ``frame``: a missing one is an error naming the role, never silently dropped.
    """
    from gender_diag.design import SurveyDesign

    return SurveyDesign.from_spec(frame, spec)


# --------------------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------------------
def _by_list(frame: pd.DataFrame, by: Sequence[str], unit: str) -> list[str | None]:
    # household and parcel rows are already split by the head's sex: head_sex adds nothing
    skip = {"head_sex"} if unit in ("household", "parcel") else set()
    return [None] + [b for b in by if b in frame.columns and b not in skip]


def _by_text(key: pd.Series) -> pd.Series:
    """A by-column as text (categorical, numeric or object alike), missing kept missing."""
    return key.astype(object).where(key.notna(), None).astype("string")


_GAP_KINDS = ("difference", "ratio")


def _means_and_gaps(d, props, bys, *, level):
    """Means by sex and both gap kinds for every disaggregation of ``bys``, one pass."""
    from gender_diag.design.estimators import means_and_gaps_by

    # no design effects: the indicator table has no deff column (saves a pass over rows)
    return means_and_gaps_by(
        d, props, bys, between="sex", reference="M", kinds=_GAP_KINDS, confidence=level,
        deff=False,
    )  # fmt: skip


def _estimate_unit(d, ids, b, *, level, ci_method, types, spec, estimated=None) -> pd.DataFrame:
    """Batched estimates by sex and gaps for one unit and one disaggregation.

    ``estimated`` is the :func:`_means_and_gaps` result of ``b`` when already computed
    together with the unit's other disaggregations.
    """
    props = [i for i in ids if types[i] in ("proportion", "mean")]
    shares = [i for i in ids if types[i] == "share_women"]
    rows = []
    if props:
        if estimated is None:
            estimated = _means_and_gaps(d, props, [b], level=level)[0]
        est, (gd, gr) = estimated
        est = est.rename(columns={b: "by_value"}) if b else est.assign(by_value="")
        is_prop = est["variable"].map(types).eq("proportion").to_numpy()
        if is_prop.any():
            from gender_diag.design.intervals import proportion_ci

            lo, hi = proportion_ci(
                est["estimate"],
                est["se"],
                df=est["df"],
                n=est["n"],
                method=ci_method,
                confidence=level,
            )
            est.loc[is_prop, "ci_low"] = lo[is_prop]
            est.loc[is_prop, "ci_high"] = hi[is_prop]
        gd = gd.rename(columns={b: "by_value"}) if b else gd.assign(by_value="")
        gr = gr.rename(columns={b: "by_value"}) if b else gr.assign(by_value="")
        g = gd[["by_value", "variable", "estimate", "se", "ci_low", "ci_high", "p_value"]].rename(
            columns={
                "estimate": "gap",
                "se": "gap_se",
                "ci_low": "gap_ci_low",
                "ci_high": "gap_ci_high",
            }
        )
        r = gr[["by_value", "variable", "estimate", "ci_low", "ci_high"]].rename(
            columns={"estimate": "ratio", "ci_low": "ratio_ci_low", "ci_high": "ratio_ci_high"}
        )
        # F / M is undefined when men's estimate is 0 (or missing): no ratio, no ratio CI
        no_ratio = ~(gr["estimate_reference"].to_numpy(dtype=float) > 0)
        r.loc[no_ratio, ["ratio", "ratio_ci_low", "ratio_ci_high"]] = np.nan
        g = g.merge(r, on=["by_value", "variable"], how="outer")
        est["by_value"] = est["by_value"].astype(object)
        g["by_value"] = g["by_value"].astype(object)
        rows.append(est.merge(g, on=["by_value", "variable"], how="left"))
    if shares:
        rows.append(_share_women(d, shares, b, level=level, spec=spec))
    out = pd.concat(rows, ignore_index=True)
    out["by"] = "total" if b is None else b
    out["by_value"] = out["by_value"].astype(object).where(out["by_value"].notna(), "")
    out["by_value"] = out["by_value"].astype(str)
    return out


def _share_women(d, ids, b, *, level, spec) -> pd.DataFrame:
    """Share of women among the universe (SDG 5.a.1(b)); the M row holds the share of men.

    With p the share of women, the gap F−M is 2p − 1 with SE 2·se(p), tested against parity
    (t = (p − 0.5)/se(p), design df); the ratio is p/(1 − p) (women per man).
    """
    sex = d.data["sex"].astype(object)
    # unknown sex stays unknown (not counted as a man)
    female = np.where(sex.isin(["F", "M"]), sex.eq("F"), np.nan).astype(float)
    frame = d.data
    cols = {}
    for i in ids:  # share of women = mean of 1[F] over the indicator's universe
        inside = ~np.isnan(frame[i].to_numpy(dtype=float))
        cols[i] = np.where(inside, female, np.nan)
    d2 = d.evolve(data=frame.assign(**cols))  # same rows and design: no new structure
    return share_women_rows(d2.mean(ids, by=b, confidence=level), b, level=level)


def share_women_rows(est: pd.DataFrame, b: str | None, *, level: float) -> pd.DataFrame:
    """F and M rows of share-of-women indicators from the mean of 1[F] over each universe."""
    from gender_diag.design.intervals import critical_value, proportion_ci

    est = est.rename(columns={b: "by_value"}) if b else est.assign(by_value="")
    p, se, df = est["estimate"].to_numpy(), est["se"].to_numpy(), est["df"].to_numpy()
    lo, hi = proportion_ci(p, se, df=df, n=est["n"], confidence=level)
    q = critical_value(df, confidence=level)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (p - 0.5) / se
        pval = 2 * stats.t.sf(np.abs(t), np.maximum(df, 1))
        ratio = p / (1 - p)
    gap = 2 * p - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        r_lo, r_hi = lo / (1 - lo), np.where(hi < 1, hi / (1 - hi), np.inf)
    common = dict(
        by_value=est["by_value"].to_numpy(),
        variable=est["variable"].to_numpy(),
        se=se,
        df=df,
        n=est["n"].to_numpy(),
        population=est["population"].to_numpy(),
        gap=gap,
        gap_se=2 * se,
        gap_ci_low=gap - 2 * q * se,
        gap_ci_high=gap + 2 * q * se,
        ratio=ratio,
        ratio_ci_low=r_lo,
        ratio_ci_high=r_hi,
        p_value=np.where(se > 0, pval, np.nan),
    )
    f = pd.DataFrame({**common, "sex": "F", "estimate": p, "ci_low": lo, "ci_high": hi})
    m = pd.DataFrame({**common, "sex": "M", "estimate": 1 - p, "ci_low": 1 - hi, "ci_high": 1 - lo})
    out = pd.concat([f, m], ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cv"] = out["se"] / out["estimate"]
    from gender_diag.design.intervals import reliability

    out["reliability"] = reliability(out["cv"])
    return out


def compute_indicators(
    survey,
    catalogue: Catalogue | None = None,
    design=None,
    *,
    by: Sequence[str] = DEFAULT_BY,
    confidence: float | None = None,
    alpha: float | None = None,
    ci_method: str = "logit",
    indicators: Iterable[str] | None = None,
    include_sensitive_by: Iterable[str] = (),
) -> pd.DataFrame:
    """Every indicator × disaggregation × sex, with the gap between women and men.

    Parameters
    ----------
    survey : Survey or dict of DataFrame
        Ingested survey (``.tables``, ``.design``), or its tables (design columns then
        default to ``weight``, ``district`` (strata), ``community`` (PSU), ``fpc``).
    catalogue : Catalogue or path, optional
        Default :func:`load_catalogue` (the bundled catalogue).
    design : DesignSpec, SurveyDesign or dict, optional
        The design (:class:`~gender_diag.design.DesignSpec`), or design roles and options
        (``weight``, ``strata``, ``psu``, ``ssu``, ``fpc``, ``fpc2``, ``lonely_psu``,
        ``with_replacement``, ...) overriding those of ``survey.design`` (a role set to None
        is removed). Every role must name an existing column.
    by : sequence of str
        Disaggregations besides the total. Default :data:`DEFAULT_BY`. Columns absent from a
        unit's table are skipped for that unit. Sensitive indicators are never broken down by
        ``community`` unless listed in ``include_sensitive_by``.
    confidence : float, optional
        Confidence level of every interval; default the design's ``confidence`` (0.95).
    alpha : float, optional
        Older name: 1 − ``confidence``; used when given.
    ci_method : str
        Proportion interval (``logit`` default, as Stata ``svy: prop``; see
        :func:`gender_diag.design.intervals.proportion_ci`).
    indicators : iterable of str, optional
        Restrict to these indicator ids.

    Returns
    -------
    DataFrame
        Columns :data:`RESULT_COLUMNS` (docs/contracts.md §4). ``gap`` = F − M and ``ratio``
        = F / M with design-based SE/CI and Wald-t p-value from ``SurveyDesign.gap``
        (the contrast is linearised, so the covariance between women and men of the same
        PSUs is accounted for); ``q_value`` = Benjamini–Hochberg over every gap of the table;
        ``affected`` (F rows of proportions) = weighted number of women in the universe with
        the disadvantage: ``population · p`` when higher is worse, ``population · (1 − p)``
        when higher is better; NaN for means and on M rows. For household and parcel
        indicators the F rows are female-headed households (parcels), so ``affected`` counts
        female-headed households (parcels) with the disadvantage.
    """
    level = None  # default: the design's confidence
    if confidence is not None or alpha is not None:  # a wrong level fails before any work
        c = 0.95 if confidence is None else confidence
        level = resolve_confidence(c, alpha, owner="compute_indicators")
    catalogue = as_catalogue(catalogue)
    tables, spec = tables_and_design(survey, design)
    if "households" in tables:  # fail early, listing the survey's columns, not a unit frame's
        spec.check(tables["households"], where="the households table")
    level = spec.confidence if level is None else level
    tables = prepare_tables(survey, catalogue)
    by = [by] if isinstance(by, str) else list(by)
    meta = {i.id: i for i in catalogue.indicators}
    types = {i.id: i.type for i in catalogue.indicators}
    wanted = None if indicators is None else set(indicators)
    parts = []
    for unit in UNIT_TABLES:
        # one unit's frame at a time: it is freed before the next one is built
        own = [i.id for i in catalogue.indicators if i.unit == unit]
        own = [i for i in own if wanted is None or i in wanted]
        if not own:
            continue
        frame = indicator_frames(tables, catalogue, design=spec, by=by, indicators=own)[unit]
        ids = [c for c in frame.columns if c in meta]
        plan = []  # (by, indicators) in output order
        for b in _by_list(frame, by, unit):
            use = ids
            if b in _SENSITIVE_EXCLUDED_BY and b not in set(include_sensitive_by):
                use = [i for i in ids if not meta[i].sensitive]
            if use:
                plan.append((b, use))
        if not plan:
            continue
        # strata, PSUs and weights factorised once per unit; every by-column as text
        base = make_design(frame, spec)
        bys = [b for b, _ in plan if b is not None]
        d = base.evolve(data=base.data.assign(**{b: _by_text(base.data[b]) for b in bys}))
        # the disaggregations sharing an indicator list are estimated in one engine pass
        estimated = {}
        for use in {tuple(u) for _, u in plan}:
            props = [i for i in use if types[i] in ("proportion", "mean")]
            same = [b for b, u in plan if tuple(u) == use]
            if props:
                results = _means_and_gaps(d, props, same, level=level)
                estimated.update(zip(same, results, strict=True))
        for b, use in plan:
            parts.append(
                _estimate_unit(
                    d, use, b, level=level, ci_method=ci_method, types=types, spec=spec,
                    estimated=estimated.get(b),
                )
            )  # fmt: skip
        del frame, base, d, estimated  # before the next unit's frame is built
    return finish_table(parts, catalogue, by)


def finish_table(
    parts: list[pd.DataFrame], catalogue: Catalogue, by: Sequence[str]
) -> pd.DataFrame:
    """Assemble the per-unit estimates into the result table (shared by every engine).

    Adds the catalogue columns, ``affected``, the BH q-values over the distinct gaps and
    the catalogue order; see :func:`compute_indicators`.
    """
    meta = {i.id: i for i in catalogue.indicators}
    if not parts:
        raise EstimationError("compute_indicators: no indicator could be computed.")
    out = pd.concat(parts, ignore_index=True).rename(columns={"variable": "indicator"})
    out = out.loc[out["sex"].astype(str).isin(["F", "M"])].reset_index(drop=True)
    out["sex"] = out["sex"].astype(str)
    for col in ("domain", "unit", "type", "direction", "sensitive"):
        out[col] = out["indicator"].map({k: getattr(v, col) for k, v in meta.items()})
    # affected: weighted number of women showing the disadvantage (proportions only)
    worse = out["direction"].eq("higher_worse").to_numpy()
    p = out["estimate"].to_numpy(dtype=float)
    share = np.where(worse, p, 1 - p)
    ok = out["type"].eq("proportion").to_numpy() & out["sex"].eq("F").to_numpy()
    out["affected"] = np.where(ok, out["population"].to_numpy(dtype=float) * share, np.nan)
    # BH q-values over the distinct gaps (one p-value per indicator × by × by_value)
    gkey = out["indicator"] + "|" + out["by"] + "|" + out["by_value"]
    first = ~gkey.duplicated()
    from gender_diag.design.multiple import bh_qvalues

    q = pd.Series(bh_qvalues(out.loc[first, "p_value"].to_numpy(dtype=float)), index=gkey[first])
    out["q_value"] = gkey.map(q).to_numpy(dtype=float)
    out["suppressed"] = False
    for c in RESULT_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    order = {k: n for n, k in enumerate(catalogue.ids)}
    by_order = {b: n for n, b in enumerate(["total", *by])}
    out = out.assign(_o=out["indicator"].map(order), _b=out["by"].map(by_order))
    out = out.sort_values(["_o", "_b", "by_value", "sex"], kind="stable")
    return out[RESULT_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# derived tables
# --------------------------------------------------------------------------------------
def gap_table(indicators: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """One row per indicator × by × by_value: women's and men's estimates side by side.

    Columns (docs/contracts.md §4): ``gap_id`` ("<indicator>|<by>|<by_value>"), indicator,
    by, by_value, estimate_f/m, ci_low_f/m, ci_high_f/m, n_f/m, gap, gap_se, gap_ci_low,
    gap_ci_high, ratio, p_value, q_value, affected, reliability (worst of the two), direction,
    domain, sensitive, and the catalogue tags moser, roles, harvard, rights (when a catalogue
    is given, else the bundled one is used for the tags when it has the indicator).
    """
    keys = ["indicator", "by", "by_value"]
    f = indicators.loc[indicators["sex"] == "F"].set_index(keys)
    m = indicators.loc[indicators["sex"] == "M"].set_index(keys)
    idx = f.index.union(m.index, sort=False)
    f, m = f.reindex(idx), m.reindex(idx)
    out = pd.DataFrame(index=idx)
    for c in ("estimate", "ci_low", "ci_high", "n"):
        out[f"{c}_f"] = f[c]
        out[f"{c}_m"] = m[c]
    shared = ["gap", "gap_se", "gap_ci_low", "gap_ci_high", "ratio", "p_value", "q_value"]
    for c in shared:
        out[c] = f[c].combine_first(m[c])
    out["affected"] = f["affected"]
    rank = {"reliable": 0, "caution": 1, "unreliable": 2}
    rf = f["reliability"].map(rank).fillna(2)
    rm = m["reliability"].map(rank).fillna(2)
    inv = {v: k for k, v in rank.items()}
    out["reliability"] = np.maximum(rf, rm).map(inv)
    for c in ("direction", "domain", "sensitive", "unit", "type"):
        out[c] = f[c].combine_first(m[c])
    out = out.reset_index()
    out.insert(0, "gap_id", out["indicator"] + "|" + out["by"] + "|" + out["by_value"])
    if catalogue is None:
        try:
            catalogue = load_catalogue()
        except GenderDiagError:
            catalogue = None
    tags = {}
    if catalogue is not None:
        tags = {i.id: i.tags for i in catalogue.indicators}
    for t in ("moser", "roles", "harvard", "rights"):
        out[t] = out["indicator"].map(lambda k, t=t: tags.get(k, {}).get(t, ""))
    return out


def couple_comparisons(
    survey,
    catalogue: Catalogue | None = None,
    design=None,
    *,
    by: Sequence[str] = ("district",),
    confidence: float = 0.95,
    alpha: float | None = None,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Within-couple comparisons on every binary respondent indicator.

    ``confidence`` is the level of the intervals (``alpha`` = 1 − confidence, older name).

    For households with exactly one female and one male respondent (primary woman and
    man), the woman is *worse off* when she lacks what he has (``higher_better``: W = 0,
    M = 1) or has the disadvantage he lacks (``higher_worse``: W = 1, M = 0). Estimated as
    design-based proportions over couples with both values known (household weight of the
    woman's row), logit CIs.

    Returns
    -------
    DataFrame
        indicator, domain, direction, by, by_value, estimate (share of couples where the
        woman is worse off), se, ci_low, ci_high, df, n (couples), population,
        share_man_worse, share_equal, reliability. Sensitive indicators are left out.
    """
    level = resolve_confidence(confidence, alpha, owner="couple_comparisons")
    catalogue = as_catalogue(catalogue)
    _, spec = tables_and_design(survey, design)
    tables = prepare_tables(survey, catalogue)
    inds = [
        i
        for i in catalogue.indicators
        if i.unit == "respondent" and i.type == "proportion" and not i.sensitive
    ]
    if indicators is not None:
        wanted = set(indicators)
        inds = [i for i in inds if i.id in wanted]
    # only the respondents' frame, with only the compared indicators
    frames = indicator_frames(
        tables, catalogue, design=spec, by=by, indicators=[i.id for i in inds]
    )
    resp = frames.pop("respondent", None)
    del frames
    if resp is None or not inds:
        raise EstimationError("couple_comparisons: no binary respondent indicator to compare.")
    sexes = resp["sex"].astype(str)
    # women and men per household by counting codes (a crosstab loops over households)
    hh, households = pd.factorize(resp["hhid"])
    n_hh = len(households)
    known = hh >= 0
    is_f, is_m = sexes.eq("F").to_numpy(), sexes.eq("M").to_numpy()
    women = np.bincount(hh[known & is_f], minlength=n_hh)
    men = np.bincount(hh[known & is_m], minlength=n_hh)
    dual = (women == 1) & (men == 1)
    if not dual.any():
        raise EstimationError(
            "couple_comparisons: no household has exactly one female and one male respondent "
            "(e.g. one respondent per household), so there is no couple to compare."
        )
    # row positions of each couple's woman (in row order) and of the man of her household:
    # arrays taken per indicator instead of two copies of the whole frame
    in_dual = known & dual[np.maximum(hh, 0)]
    w_pos = np.flatnonzero(in_dual & is_f)
    man_of = np.full(n_hh, -1)
    man_of[hh[in_dual & is_m]] = np.flatnonzero(in_dual & is_m)
    m_pos = man_of[hh[w_pos]]
    ind_ids = {i.id for i in catalogue.indicators}
    base_cols = [c for c in resp.columns if c not in ind_ids and c != "hhid"]
    couples = resp[["hhid", *base_cols]].iloc[w_pos].reset_index(drop=True)
    worse, better, equal = {}, {}, {}
    for ind in inds:
        values = resp[ind.id].to_numpy(dtype=float)
        a, b_ = values[w_pos], values[m_pos]
        known = ~np.isnan(a) & ~np.isnan(b_)
        if ind.direction == "higher_better":
            ww, mw = (a == 0) & (b_ == 1), (a == 1) & (b_ == 0)
        else:
            ww, mw = (a == 1) & (b_ == 0), (a == 0) & (b_ == 1)
        worse[ind.id] = np.where(known, ww, np.nan)
        better[f"{ind.id}__m"] = np.where(known, mw, np.nan)
        equal[f"{ind.id}__eq"] = np.where(known, a == b_, np.nan)
    del resp, values
    couples = pd.concat([couples, pd.DataFrame({**worse, **better, **equal})], axis=1)
    d = make_design(couples, spec)
    ids = [i.id for i in inds]
    parts = []
    from gender_diag.design.estimators import means_by
    from gender_diag.design.intervals import proportion_ci

    bys = [None] + [c for c in by if c in couples.columns]
    # every by-column as text once; the total and every disaggregation from one pass
    d = d.evolve(data=d.data.assign(**{b: _by_text(d.data[b]) for b in bys if b}))
    variables = ids + list(better) + list(equal)
    estimates = means_by(d, variables, bys, confidence=level, deff=False)  # no deff column
    for b, est in zip(bys, estimates, strict=True):
        est = est.rename(columns={b: "by_value"}) if b else est.assign(by_value="")
        est["by"] = b or "total"
        parts.append(est)
    est = pd.concat(parts, ignore_index=True)
    est["by_value"] = est["by_value"].astype(object).where(est["by_value"].notna(), "").astype(str)
    main = est.loc[est["variable"].isin(ids)].copy()
    lo, hi = proportion_ci(main["estimate"], main["se"], df=main["df"], confidence=level)
    main["ci_low"], main["ci_high"] = lo, hi
    keyed = est.set_index(["variable", "by", "by_value"])["estimate"]
    main["share_man_worse"] = [
        keyed.get((v + "__m", b, bv), np.nan)
        for v, b, bv in zip(main["variable"], main["by"], main["by_value"], strict=True)
    ]
    main["share_equal"] = [
        keyed.get((v + "__eq", b, bv), np.nan)
        for v, b, bv in zip(main["variable"], main["by"], main["by_value"], strict=True)
    ]
    meta = {i.id: i for i in inds}
    main = main.rename(columns={"variable": "indicator"})
    main["domain"] = main["indicator"].map(lambda k: meta[k].domain)
    main["direction"] = main["indicator"].map(lambda k: meta[k].direction)
    cols = ["indicator", "domain", "direction", "by", "by_value", "estimate", "se", "ci_low",
            "ci_high", "df", "n", "population", "share_man_worse", "share_equal", "reliability"]  # fmt: skip
    return main[[c for c in cols if c in main.columns]].reset_index(drop=True)


def weai_inputs(
    survey,
    catalogue: Catalogue | None = None,
    design=None,
    *,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Person frame for :func:`gender_diag.indices.weai`: one row per respondent.

    Columns: ``hhid``, ``line``, ``sex``, the design columns (weight, strata, PSU, fpc...),
    ``resp_role`` and the by-columns present, then one column per canonical WEAI-family
    adequacy key the catalogue provides (``weai_key``), coded 1 = adequate, 0 = inadequate,
    NaN = not known (listwise exclusion is the index's job). ``indicators`` restricts the
    adequacy indicators to these ids (e.g. those :func:`available_indicators` allows).
    """
    catalogue = as_catalogue(catalogue)
    _, spec = tables_and_design(survey, design)
    keyed = catalogue.weai_indicators()
    if indicators is not None:
        wanted = set(indicators)
        keyed = {key: ind for key, ind in keyed.items() if ind.id in wanted}
    if not keyed:
        raise EstimationError("weai_inputs: the catalogue has no indicator with a weai_key.")
    tables = prepare_tables(survey, catalogue)
    ids = [i.id for i in keyed.values()]
    frames = indicator_frames(tables, catalogue, design=spec, indicators=ids)
    if "respondent" not in frames:
        raise EstimationError("weai_inputs: no WEAI adequacy indicator of the respondents.")
    people = frames["respondent"]
    return people.rename(columns={ind.id: key for key, ind in keyed.items()})
