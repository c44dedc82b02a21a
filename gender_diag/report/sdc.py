"""Statistical disclosure control (SDC) of the indicator tables, applied before any output.

Rules (methods.md §5; ONS, *Disclosure control policy for tables produced from surveys*,
and the WHO *Putting women first* recommendations for violence data, 2001):

1. **Primary suppression.** A cell (indicator × disaggregation value × sex) whose unweighted
   count ``n`` is below the threshold is suppressed: ``threshold`` (default 5; 3 and 10 are
   the other offered values) or, for sensitive indicators, ``sensitive_threshold``
   (default 10). A cell without a known ``n`` is suppressed too.
2. **Sensitive level.** Rows of sensitive indicators (violence module) disaggregated below
   ``sensitive_min_level`` in the geographic hierarchy (default ``total`` > ``district`` >
   ``community``) are *withheld*: removed from the published table, not merely blanked, and
   logged in aggregate (no ``n``, no group value) so that nothing about them is written.
   Non-geographic disaggregations (age band, mother tongue, ...) cut the whole population and
   are published under the stricter threshold.
3. **Secondary suppression.** Counts and weighted populations are additive: the cells of one
   indicator × sex × disaggregation (within one parent area when a nesting such as
   community → district is given) add up to the margin that is published one level up. If
   exactly one cell of such a group is suppressed, its ``n``, ``population`` and ``affected``
   (and, through them, the numerator of a proportion) could be recovered as *margin minus
   the other cells*. So when exactly one cell of a group is suppressed, the unsuppressed cell
   with the next smallest ``n`` (ties broken by group value) is suppressed too. Weighted means
   and proportions are not additive, so a suppressed estimate cannot be back-calculated from
   the other published estimates alone; what this rule protects are the additive quantities
   (unweighted counts, weighted populations, numbers of women affected — and through
   ``affected / population`` the proportion itself), hence the small numerators behind
   percentages. Groups with a single cell (e.g. the total) need no partner: their margin is
   the cell itself.
4. **Gaps.** When either sex of a pair is suppressed, the gap and ratio columns (which would
   reveal the suppressed estimate from the published one) are blanked on both rows.

The log keeps the true ``n`` of each suppressed cell for the analyst (it is a count of
respondents, not of an outcome); it holds nothing about withheld sensitive rows.

Suppressed cells keep their identifying columns, get ``suppressed = True`` and have
``estimate, se, ci_low, ci_high, population, affected, n, cv, deff`` blanked. Reliability
flags (coefficient of variation: > 30 % unreliable, 15–30 % caution) are kept or computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

# the one CV reliability rule of the package (CV_* re-exported for older imports)
from gender_diag.contracts.columns import PAIR_GAP_COLUMNS
from gender_diag.contracts.reliability import CV_CAUTION, CV_UNRELIABLE  # noqa: F401
from gender_diag.contracts.reliability import reliability_from_cv as cv_rule
from gender_diag.errors import ConfigError, bad_parameter

#: Thresholds offered to users (unweighted count below which a cell is suppressed).
OFFERED_THRESHOLDS = (3, 5, 10)

#: Geographic levels from coarsest to finest.
DEFAULT_GEOGRAPHY = ("total", "district", "community")

#: Columns every indicator table must carry for disclosure control.
REQUIRED_COLUMNS = ("indicator", "by", "by_value", "sex", "estimate", "n")

#: Columns blanked on a suppressed cell.
CELL_VALUE_COLUMNS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "population",
    "affected",
    "n",
    "cv",
    "deff",
)

#: Columns blanked on both rows of a pair when either sex is suppressed.
GAP_COLUMNS = PAIR_GAP_COLUMNS

#: ``DataFrame.attrs`` key marking a table protected by :func:`apply_sdc`.
APPLIED = "gender_diag_sdc"

LOG_COLUMNS = ("indicator", "by", "by_value", "sex", "reason", "n", "threshold", "detail")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, table: str) -> None:
    """Raise :class:`ConfigError` naming every required column missing from ``frame``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], table="t")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], table="t")
    Traceback (most recent call last):
    ...
    gender_diag.errors.ConfigError: The t table lacks required column(s) 'b' ...
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        raise ConfigError(
            f"The {table} table lacks required column(s) {listed} (has: "
            f"{', '.join(map(str, frame.columns))}). Produce it with the matching gender_diag "
            "stage or add the column(s)."
        )


def reliability_from_cv(cv: pd.Series) -> pd.Series:
    """Flag estimates by coefficient of variation ``cv = se / |estimate|``.

    ``cv`` ≤ 0.15 → ``reliable``; 0.15 < ``cv`` ≤ 0.30 → ``caution``; > 0.30 or unknown →
    ``unreliable`` (methods.md §5; INEI and Statistics Canada use the same cut-offs).

    Examples
    --------
    >>> reliability_from_cv(pd.Series([0.1, 0.2, 0.5, np.nan])).tolist()
    ['reliable', 'caution', 'unreliable', 'unreliable']
    """
    cv = pd.to_numeric(cv, errors="coerce").astype(float)
    return pd.Series(cv_rule(cv.to_numpy()), index=cv.index, dtype="object")


_TRUE = frozenset({"true", "1", "yes", "y", "t", "si", "sí", "oui", "vrai"})


def as_flag(values: pd.Series) -> pd.Series:
    """Read a yes/no column robustly: booleans, 0/1, or text such as ``"True"``/``"false"``.

    ``astype(bool)`` would turn the text ``"False"`` into ``True``; missing means ``False``.

    >>> as_flag(pd.Series([True, None, "False", "true", 1, 0, "sí"])).tolist()
    [True, False, False, True, True, False, True]
    """
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.astype(bool)
    out = [
        (str(v).strip().lower() in _TRUE) if not isinstance(v, bool | int | float) else bool(v)
        for v in values.astype("object").where(values.notna(), False)
    ]
    return pd.Series(out, index=values.index, dtype=bool)


def _check_threshold(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise bad_parameter(
            name, "apply_sdc", f"a positive integer, e.g. one of {OFFERED_THRESHOLDS}", value
        )
    return int(value)


def _parent_values(
    table: pd.DataFrame, nesting: Mapping[str, Mapping[str, str]] | None
) -> pd.Series:
    """Parent area of every row (``""`` when the disaggregation is not nested)."""
    parent = pd.Series("", index=table.index, dtype="object")
    for by, mapping in (nesting or {}).items():
        rows = table["by"] == by
        if rows.any():
            mapped = table.loc[rows, "by_value"].astype(str).map(dict(mapping))
            parent.loc[rows] = mapped.fillna("").astype(str).to_numpy()
    return parent


def _log_rows(table: pd.DataFrame, mask: pd.Series, reason: str, thresholds: pd.Series):
    sub = table.loc[mask]
    return pd.DataFrame(
        {
            "indicator": sub["indicator"].astype(str).to_numpy(),
            "by": sub["by"].astype(str).to_numpy(),
            "by_value": sub["by_value"].astype(str).to_numpy(),
            "sex": sub["sex"].astype(str).to_numpy(),
            "reason": reason,
            "n": pd.to_numeric(sub["n"], errors="coerce").to_numpy(dtype=float),
            "threshold": thresholds.loc[mask].to_numpy(dtype=float),
            "detail": "",
        }
    )


def apply_sdc(
    indicators: pd.DataFrame,
    *,
    threshold: int = 5,
    sensitive_threshold: int = 10,
    sensitive_min_level: str = "district",
    geography: Sequence[str] = DEFAULT_GEOGRAPHY,
    nesting: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress small and disclosive cells of a long indicator table.

    Parameters
    ----------
    indicators : DataFrame
        Long indicator table (docs/contracts.md §4). Required columns: ``indicator, by,
        by_value, sex, estimate, n``; ``sensitive`` (bool) is read when present. Extra columns
        are kept.
    threshold : int, default 5
        Smallest unweighted ``n`` published for ordinary indicators (3, 5 or 10 are offered).
    sensitive_threshold : int, default 10
        Smallest ``n`` published for sensitive indicators; never lower than ``threshold``.
    sensitive_min_level : str, default "district"
        Finest geographic level at which sensitive indicators are published.
    geography : sequence of str
        Geographic disaggregations from coarsest to finest.
    nesting : mapping, optional
        ``{by: {by_value: parent_value}}``, e.g. ``{"community": {"c01": "acomayo"}}``: groups
        for secondary suppression are then formed within each parent area.

    Returns
    -------
    table : DataFrame
        The published table: withheld rows removed, ``suppressed`` set, suppressed values
        blanked, ``reliability`` present.
    log : DataFrame
        ``indicator, by, by_value, sex, reason, n, threshold, detail`` with ``reason`` in
        ``primary``, ``secondary``, ``sensitive_level`` (aggregated per indicator × by, without
        ``n``) and ``gap``.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "indicator": "owns_land", "by": "community", "by_value": ["a", "b", "c", "d"],
    ...     "sex": "F", "estimate": [0.2, 0.3, 0.4, 0.5], "n": [3, 40, 12, 50]})
    >>> out, log = apply_sdc(t)
    >>> out["suppressed"].tolist()
    [True, False, True, False]
    >>> log[["by_value", "reason"]].values.tolist()
    [['a', 'primary'], ['c', 'secondary']]
    """
    threshold = _check_threshold(threshold, "threshold")
    sensitive_threshold = _check_threshold(sensitive_threshold, "sensitive_threshold")
    if sensitive_threshold < threshold:
        raise bad_parameter(
            "sensitive_threshold",
            "apply_sdc",
            f"at least threshold={threshold}",
            sensitive_threshold,
        )
    geography = tuple(geography)
    if sensitive_min_level not in geography:
        raise bad_parameter(
            "sensitive_min_level", "apply_sdc", f"one of {geography}", sensitive_min_level
        )
    require_columns(indicators, REQUIRED_COLUMNS, table="indicators")

    table = indicators.copy().reset_index(drop=True)
    table["by_value"] = table["by_value"].fillna("").astype(str)
    sensitive = (
        as_flag(table["sensitive"])
        if "sensitive" in table.columns
        else pd.Series(False, index=table.index)
    )
    table["sensitive"] = sensitive.to_numpy()
    n = pd.to_numeric(table["n"], errors="coerce").astype(float)
    limits = pd.Series(np.where(sensitive, sensitive_threshold, threshold), index=table.index)
    logs: list[pd.DataFrame] = []

    # 2. sensitive indicators below the allowed geographic level: withheld entirely.
    too_fine = list(geography[geography.index(sensitive_min_level) + 1 :])
    withheld = sensitive & table["by"].astype(str).isin(too_fine)
    if withheld.any():
        agg = (
            table.loc[withheld]
            .groupby(["indicator", "by"], sort=True)
            .size()
            .reset_index(name="cells")
        )
        logs.append(
            pd.DataFrame(
                {
                    "indicator": agg["indicator"].astype(str),
                    "by": agg["by"].astype(str),
                    "by_value": "*",
                    "sex": "*",
                    "reason": "sensitive_level",
                    "n": np.nan,
                    "threshold": np.nan,
                    "detail": [
                        f"{c} rows withheld: sensitive indicator, finer than {sensitive_min_level}"
                        for c in agg["cells"]
                    ],
                }
            )
        )
        keep = ~withheld
        table, n, limits = table.loc[keep], n.loc[keep], limits.loc[keep]
        table, n, limits = (x.reset_index(drop=True) for x in (table, n, limits))

    # 1. primary suppression (cells already marked upstream count as primary).
    previously = (
        as_flag(table["suppressed"])
        if "suppressed" in table.columns
        else pd.Series(False, index=table.index)
    )
    primary = (n.isna() | (n < limits) | previously).to_numpy()
    logs.append(_log_rows(table, pd.Series(primary, index=table.index), "primary", limits))

    # 3. secondary suppression over the whole hierarchy and every margin published together
    secondary = secondary_suppression(
        table, pd.Series(primary, index=table.index), n=n, nesting=nesting, geography=geography
    )
    logs.append(_log_rows(table, secondary, "secondary", limits))
    suppressed = pd.Series(primary, index=table.index) | secondary

    # reliability flags are computed before blanking so that they describe the estimate.
    if "cv" not in table.columns and "se" in table.columns:
        est = pd.to_numeric(table["estimate"], errors="coerce").astype(float)
        se = pd.to_numeric(table["se"], errors="coerce").astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            table["cv"] = np.where(est != 0, se / est.abs(), np.nan)
    if "reliability" not in table.columns:
        table["reliability"] = (
            reliability_from_cv(table["cv"]) if "cv" in table.columns else "unreliable"
        )
    table["suppressed"] = suppressed.to_numpy(dtype=bool)
    for col in CELL_VALUE_COLUMNS:
        if col in table.columns:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
            table.loc[table["suppressed"], col] = np.nan
    table.loc[table["suppressed"], "reliability"] = ""

    # 4. gaps: blanked on both rows when either sex is suppressed.
    pair = [table["indicator"].astype(str), table["by"].astype(str), table["by_value"]]
    pair_sup = table["suppressed"].groupby(pair).transform("any")
    gap_cols = [c for c in GAP_COLUMNS if c in table.columns]
    if gap_cols:
        for col in gap_cols:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
            table.loc[pair_sup, col] = np.nan
        gap_rows = pair_sup & (table["sex"].astype(str) == "F")
        if gap_rows.any():
            g = _log_rows(table, gap_rows, "gap", limits)
            g["sex"] = "F-M"
            g["n"] = np.nan
            g["detail"] = "gap blanked: one sex suppressed"
            logs.append(g)
    table["gap_suppressed"] = pair_sup.to_numpy(dtype=bool)

    parts = [x for x in logs if len(x)]
    if parts:
        log = pd.concat(parts, ignore_index=True)
    else:
        log = pd.DataFrame({c: pd.Series(dtype="object") for c in LOG_COLUMNS})
    log = log.loc[:, list(LOG_COLUMNS)].reset_index(drop=True)
    table.attrs[APPLIED] = settings_key(
        threshold=threshold,
        sensitive_threshold=sensitive_threshold,
        sensitive_min_level=sensitive_min_level,
        geography=geography,
    )
    return table, log


def settings_key(**settings) -> str:
    """A stable text of the disclosure-control settings, stored on a protected table."""
    return repr(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in settings.items()))


def already_applied(table: pd.DataFrame, **settings) -> bool:
    """Whether ``table`` came out of :func:`apply_sdc` with these settings: disclosure control
    then happens once, and the writers reuse its decisions instead of running it again.

    >>> t = pd.DataFrame({"indicator": ["x"], "by": ["total"], "by_value": [""], "sex": ["F"],
    ...                   "estimate": [0.5], "n": [30]})
    >>> out, _ = apply_sdc(t)
    >>> already_applied(out, threshold=5, sensitive_threshold=10,
    ...                 sensitive_min_level="district", geography=DEFAULT_GEOGRAPHY)
    True
    >>> already_applied(t, threshold=5)
    False
    """
    return table.attrs.get(APPLIED) == settings_key(**settings)


def margin_relations(
    cells: pd.DataFrame,
    *,
    nesting: Mapping[str, Mapping[str, str]] | None = None,
    geography: Sequence[str] = DEFAULT_GEOGRAPHY,
) -> list[tuple[int | None, list[int]]]:
    """The additive relations among the cells of one indicator × sex: ``(parent, children)``.

    Counts and weighted populations add up: every community of a district sums to the
    district (when ``nesting`` places it), every district to the total, and the values of
    each other disaggregation (age band, mother tongue, …) to the total. ``cells`` is a frame
    with ``by`` and ``by_value``, one row per cell; positions are returned. A parent that is not
    in ``cells`` is ``None``: it is treated as *known* (a margin such as the population of a
    district may be published elsewhere, e.g. in a census), the cautious assumption.

    Examples
    --------
    >>> c = pd.DataFrame({"by": ["total", "district", "district", "community", "age_band"],
    ...                   "by_value": ["", "d1", "d2", "c1", "15-29"]})
    >>> margin_relations(c, nesting={"community": {"c1": "d1"}})
    [(0, [1, 2]), (1, [3]), (0, [4])]
    """
    by = cells["by"].astype(str).to_numpy()
    value = cells["by_value"].astype(str).to_numpy()
    pos = {(b, v): i for i, (b, v) in enumerate(zip(by, value, strict=True))}
    total = next((i for i, b in enumerate(by) if b == "total"), None)
    geo = [g for g in geography if g != "total"]
    relations: list[tuple[int | None, list[int]]] = []
    levels = list(dict.fromkeys(by))
    for level in levels:
        if level == "total":
            continue
        members = [i for i, b in enumerate(by) if b == level]
        mapping = dict((nesting or {}).get(level, {}))
        if level in geo and mapping:
            coarser = geo[geo.index(level) - 1] if geo.index(level) > 0 else None
            groups: dict[str, list[int]] = {}
            loose = []
            for i in members:
                parent_value = mapping.get(value[i])
                if parent_value is None or coarser is None:
                    loose.append(i)
                else:
                    groups.setdefault(str(parent_value), []).append(i)
            for parent_value, kids in groups.items():
                relations.append((pos.get((coarser, parent_value)), kids))
            if loose:
                relations.append((total, loose))
        else:
            relations.append((total, members))
    return relations


def disclosed_cells(
    suppressed: np.ndarray, relations: Sequence[tuple[int | None, list[int]]]
) -> np.ndarray:
    """Suppressed cells an attacker can rebuild exactly from the published ones.

    Each relation says ``parent - sum(children) = 0``; with the published cells known, the
    suppressed cells (and unpublished parents) are the unknowns of a linear system
    ``A_U x_U = b`` (a parent absent from the table, ``None``, counts as known). A suppressed cell ``u`` is determined iff the unit vector ``e_u`` lies in
    the row space of ``A_U``, i.e. iff every vector of the null space of ``A_U`` is zero at
    ``u`` (Willenborg & de Waal 2001, *Elements of Statistical Disclosure Control*, §4.3, for
    the linear-programming view; the exact linear case is this one).

    Examples
    --------
    >>> rel = [(0, [1, 2, 3])]
    >>> disclosed_cells(np.array([False, True, False, False]), rel).tolist()
    [False, True, False, False]
    >>> disclosed_cells(np.array([False, True, True, False]), rel).tolist()
    [False, False, False, False]
    """
    suppressed = np.asarray(suppressed, dtype=bool)
    n_cells = len(suppressed)
    matrix = np.zeros((len(relations), n_cells))
    for r, (parent, kids) in enumerate(relations):
        if parent is not None:  # a parent absent from the table is taken as known
            matrix[r, parent] += 1.0
        matrix[r, kids] -= 1.0
    cols = np.flatnonzero(suppressed)
    out = np.zeros(n_cells, dtype=bool)
    if not len(cols):
        return out
    a_u = matrix[:, cols]
    if not a_u.any():
        return out
    _, sv, vt = np.linalg.svd(a_u)
    rank = int((sv > 1e-9 * max(1.0, sv[0])).sum())
    null = vt[rank:]  # rows span the null space of A_U
    determined = (
        np.ones(len(cols), dtype=bool) if not len(null) else (np.abs(null).max(axis=0) < 1e-9)
    )
    involved = np.abs(a_u).sum(axis=0) > 0
    out[cols] = determined & involved
    return out


def secondary_suppression(
    table: pd.DataFrame,
    primary: pd.Series,
    *,
    n: pd.Series,
    nesting: Mapping[str, Mapping[str, str]] | None = None,
    geography: Sequence[str] = DEFAULT_GEOGRAPHY,
) -> pd.Series:
    """Cells to suppress besides ``primary`` so that no suppressed cell can be rebuilt.

    For each indicator × sex the relations of :func:`margin_relations` are audited with
    :func:`disclosed_cells`; while a suppressed cell is determined, one more cell of a relation
    holding it is suppressed: a sibling first (then its parent, then its children), the one
    with the smallest ``n`` (ties by group value, so that indicators with the same counts make
    the same choice). Every published figure of a cell (estimate, n, population, affected) is
    suppressed together, so one pattern protects them all.
    """
    secondary = pd.Series(False, index=table.index)
    keys = [table["indicator"].astype(str), table["sex"].astype(str)]
    size = pd.to_numeric(n, errors="coerce").fillna(-1.0)
    for _, idx in table.groupby(keys, sort=False).groups.items():
        cells = table.loc[idx, ["by", "by_value"]].reset_index(drop=True)
        if len(cells) < 2:
            continue
        sup = primary.loc[idx].to_numpy(dtype=bool).copy()
        if not sup.any():
            continue
        relations = margin_relations(cells, nesting=nesting, geography=geography)
        counts = size.loc[idx].to_numpy()
        values = cells["by_value"].astype(str).to_numpy()
        start = sup.copy()
        hopeless = np.zeros(len(cells), dtype=bool)  # a lone child of a margin kept outside
        for _ in range(2 * len(cells)):
            open_ = disclosed_cells(sup, relations) & ~hopeless
            if not open_.any():
                break
            u = int(np.flatnonzero(open_)[0])
            candidates = []
            for parent, kids in relations:
                if u in kids:
                    candidates += [(0, k) for k in kids if k != u]
                    if parent is not None:
                        candidates.append((1, parent))
                elif u == parent:
                    candidates += [(2, k) for k in kids]
            candidates = [(rank, c) for rank, c in candidates if not sup[c]]
            if not candidates:
                hopeless[u] = True
                continue
            _, pick = min(candidates, key=lambda rc: (rc[0], counts[rc[1]], values[rc[1]]))
            sup[pick] = True
        secondary.loc[idx] = sup & ~start
    return secondary


def withheld_keys(indicators: pd.DataFrame, published: pd.DataFrame) -> set[tuple[str, str, str]]:
    """``(indicator, by, by_value)`` present in ``indicators`` but withheld from ``published``.

    Examples
    --------
    >>> a = pd.DataFrame({"indicator": ["v", "v"], "by": ["total", "community"],
    ...                   "by_value": ["", "c1"]})
    >>> sorted(withheld_keys(a, a.iloc[:1]))
    [('v', 'community', 'c1')]
    """

    return set(_cell_keys(indicators)) - set(_cell_keys(published))


def _cell_keys(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(indicator, by, by_value)`` of every row, as plain strings (read as NumPy object
    arrays: iterating pandas string arrays element by element is several times slower)."""
    cols = [frame["indicator"], frame["by"], frame["by_value"].fillna("")]
    arrays = [c.astype(str).to_numpy(dtype=object) for c in cols]
    return list(zip(*arrays, strict=True))


def protect_gap_rows(
    frame: pd.DataFrame,
    published: pd.DataFrame,
    withheld: set[tuple[str, str, str]],
    *,
    value_columns: Sequence[str],
    text_columns: Sequence[str] = (),
    suppressed_text: str = "",
    sensitive: set[str] | frozenset[str] = frozenset(),
    too_fine: Sequence[str] = (),
) -> pd.DataFrame:
    """Apply the indicator table's disclosure decisions to a table keyed by gap.

    Rows about a withheld cell, or about a ``sensitive`` indicator at a level in ``too_fine``,
    are removed; rows about a gap whose pair is suppressed keep
    their identity but get ``suppressed = True``, ``value_columns`` blanked and
    ``text_columns`` (sentences that quote numbers) replaced by ``suppressed_text``.

    ``frame`` must carry ``indicator, by, by_value`` or ``gap_id``.
    """
    out = frame.copy().reset_index(drop=True)
    if out.empty:
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    if {"indicator", "by", "by_value"} <= set(out.columns):
        key = _cell_keys(out)
    elif "gap_id" in out.columns:
        key = [tuple((str(g).split("|") + ["", "", ""])[:3]) for g in out["gap_id"]]
    else:
        require_columns(out, ["gap_id"], table="gap-keyed")
    key_s = pd.Series(key, index=out.index)
    # withheld cells, and any other row about a sensitive indicator below the allowed level
    fine = set(too_fine)
    drop = key_s.isin(withheld) | key_s.map(lambda k: k[0] in sensitive and k[1] in fine)
    pub_key = pd.Series(_cell_keys(published))
    sup_flag = published.get("gap_suppressed", published["suppressed"]).astype(bool)
    sup_keys = set(pub_key[sup_flag.to_numpy()])
    sup = key_s.isin(sup_keys) & ~drop
    if "suppressed" in out.columns:
        sup = sup | as_flag(out["suppressed"])
    out["suppressed"] = sup.to_numpy(dtype=bool)
    for col in value_columns:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
            out.loc[out["suppressed"], col] = np.nan
    for col in text_columns:
        if col in out.columns:
            out[col] = out[col].astype("object")
            out.loc[out["suppressed"], col] = suppressed_text
    return out.loc[~drop].reset_index(drop=True)
