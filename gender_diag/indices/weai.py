"""Women's Empowerment in Agriculture Index family: WEAI, A-WEAI, pro-WEAI, custom sets.

Method (Alkire et al. 2013; Malapit et al. 2015/2020 A-WEAI guide; Malapit et al. 2019
pro-WEAI; IFPRI Stata commands ``weai`` / ``proweai``):

- Adequacy indicators :math:`I_{ij}` (1 = adequate), weights :math:`w_j` summing to 1 (from a
  preset in ``surveys/catalogue/presets/``). Inadequacy score
  :math:`c_i = \\sum_j w_j (1 - I_{ij})`.
- Disempowered iff :math:`c_i > k` (``comparison: greater_than``), with k = 1/5 (WEAI, A-WEAI,
  pro-WEAI-10: empowered when adequate in at least 80 %) or k = 1/4 (pro-WEAI with 12
  indicators: 75 %). Scores are rounded to 1e-4 before the comparison (see
  :mod:`gender_diag.indices.alkire_foster`).
- Per sex: H, A, M0 = H·A, 5DE (3DE for pro-WEAI) = 1 − M0, censored headcounts and
  contributions — the Alkire–Foster measure on the inadequacies.
- Gender Parity Index over *dual-adult* households (exactly one woman and one man in
  ``people`` for the household, both with every indicator observed): censored scores
  :math:`c' = \\max(c, k)` (censoring *up* to the cutoff, so an empowered woman never lacks
  parity); the household lacks parity iff :math:`c'_W > c'_M`; gap
  :math:`(c'_W - c'_M)/(1 - c'_M)`; :math:`H_{GPI}` = share lacking parity, :math:`I_{GPI}` =
  mean gap among them, :math:`GPI = 1 - H_{GPI} I_{GPI}`.
- Overall index = 9/10 · 5DE(women) + 1/10 · GPI (weights from the preset).

Weighting choice: survey weights are used throughout; the GPI is weighted by the woman's
weight (``gpi_weighted=True``). IFPRI's Stata command computes the GPI unweighted: pass
``gpi_weighted=False`` to reproduce it.

Missing data: a person missing any indicator of the index is excluded (listwise); the count
is reported in ``res.women.excluded`` / ``res.men.excluded``.

Optional pro-WEAI indicators: the 12-indicator preset ``pro-weai`` needs the columns
``respect_household`` and ``influential_groups``. When one is absent the call fails with a
message pointing to ``preset="pro-weai-10"`` (10 indicators at 1/10, 80 %), which is the
version the method prescribes when they were not collected — weights are never silently
re-spread over the remaining indicators.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.contracts.columns import INDEX_FRAME_COLUMNS
from gender_diag.errors import EstimationError, ValidationError, bad_parameter
from gender_diag.indices.alkire_foster import (
    SCORE_DECIMALS,
    AlkireFosterResult,
    check_binary,
    compute_af,
    group_codes,
    survey_weights,
)
from gender_diag.indices.presets import Preset, custom_preset, load_preset

__all__ = ["EmpowermentResult", "GPIResult", "WEAIResult", "weai"]

_COLUMNS = ["index", "sex", *INDEX_FRAME_COLUMNS]


@dataclass
class EmpowermentResult(AlkireFosterResult):
    """Alkire–Foster result for one sex, on inadequacies, with ``de = 1 − M0``.

    ``de`` is the 5DE (WEAI, A-WEAI) or 3DE (pro-WEAI) score; ``label`` says which.
    """

    label: str = "5DE"

    @property
    def de(self) -> float:
        """Empowerment score 1 − M0 (5DE or 3DE)."""
        return 1.0 - self.m0


@dataclass
class GPIResult:
    """Gender Parity Index over dual-adult households.

    Attributes
    ----------
    value : float
        GPI = 1 − H_GPI · I_GPI (NaN without dual-adult households).
    h, i : float
        Share of dual-adult households lacking parity; mean relative gap among them.
    households : int
        Dual-adult households used (one woman and one man, both complete).
    excluded_households : int
        Households with a woman in ``people`` that are not usable dual-adult households.
    weighted : bool
        Weighted by the woman's survey weight (True) or unweighted (Stata ``weai``).
    by_group : DataFrame or None
        With ``by=``: per group of the woman's value: households, h, i, value.
    """

    value: float
    h: float
    i: float
    households: int
    excluded_households: int
    weighted: bool
    by_group: pd.DataFrame | None = None
    se: pd.DataFrame | None = field(default=None, repr=False)


@dataclass
class WEAIResult:
    """Result of :func:`weai`.

    Attributes
    ----------
    preset : Preset
        The validated index definition used.
    women, men : EmpowermentResult
        H, A, M0, ``de`` (5DE/3DE), n, excluded, headcounts, contributions, subgroups and
        (with a design) ``se``. ``men`` is None when no man has every indicator observed.
    gpi : GPIResult
        Gender Parity Index.
    value : float
        Overall index: e·DE(women) + p·GPI with the preset's weights (9/10, 1/10).
    households : DataFrame
        One row per dual-adult household: hh, row (position of the woman in ``people``),
        c_w, c_m, censored scores, lacks_parity, gap, weight.
    notes : list of str
        Why a part was not estimated (e.g. ``men`` None: no man with every indicator
        observed, and the reason the estimator gave).
    """

    preset: Preset
    women: EmpowermentResult
    men: EmpowermentResult | None
    gpi: GPIResult
    value: float
    households: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: index, sex, by, by_value, measure, indicator, estimate, se,
        ci_low, ci_high, df, n. Sex ``""`` marks household-level (GPI) and overall rows."""
        label = self.preset.empowerment_label
        parts = []
        for sex, res in (("F", self.women), ("M", self.men)):
            if res is None:
                continue
            f = res.to_frame()
            de = f[f["measure"] == "M0"].copy()
            de["measure"] = label
            de["estimate"] = 1.0 - de["estimate"]
            # 1 − M0 has the SE of M0; its CI is the mirrored one
            de["ci_low"], de["ci_high"] = 1.0 - de["ci_high"], 1.0 - de["ci_low"]
            excl = f.iloc[:1].copy()
            excl[["measure", "indicator", "estimate", "se", "ci_low", "ci_high", "df"]] = [
                "excluded",
                "",
                float(res.excluded),
                np.nan,
                np.nan,
                np.nan,
                np.nan,
            ]
            f = pd.concat([f, de, excl], ignore_index=True)
            f.insert(0, "sex", sex)
            parts.append(f)
        g = self.gpi
        gpi_rows = [
            ("total", "", "H_GPI", g.h, g.households),
            ("total", "", "I_GPI", g.i, g.households),
            ("total", "", "GPI", g.value, g.households),
            ("total", "", "households", g.households, g.households),
            ("total", "", "excluded_households", g.excluded_households, g.households),
            ("total", "", self.preset.id, self.value, g.households),
        ]
        if g.by_group is not None:
            by = self.women.by
            for _, r in g.by_group.iterrows():  # one row per subgroup
                v = str(r["by_value"])
                gpi_rows += [
                    (by, v, "H_GPI", r["h"], r["households"]),
                    (by, v, "I_GPI", r["i"], r["households"]),
                    (by, v, "GPI", r["value"], r["households"]),
                    (by, v, "households", r["households"], r["households"]),
                    (by, v, self.preset.id, r["index_value"], r["households"]),
                ]
        hh = pd.DataFrame(gpi_rows, columns=["by", "by_value", "measure", "estimate", "n"])
        hh["sex"] = ""
        hh["indicator"] = ""
        for c in ("se", "ci_low", "ci_high", "df"):
            hh[c] = np.nan
        if g.se is not None:
            keys = ["by", "by_value", "measure"]
            hh = hh.drop(columns=["se", "ci_low", "ci_high", "df"]).merge(
                g.se[[*keys, "se", "ci_low", "ci_high", "df"]], on=keys, how="left"
            )
        parts.append(hh)
        out = pd.concat(parts, ignore_index=True)
        out["index"] = self.preset.id
        out["n"] = out["n"].astype(int)
        return out[_COLUMNS]


def _resolve_preset(preset, indicators, cutoff) -> Preset:
    if indicators is not None:
        kwargs = {} if cutoff is None else {"cutoff": cutoff}
        return custom_preset(dict(indicators), **kwargs)
    if isinstance(preset, Preset):
        p = preset
    elif isinstance(preset, str | Path):
        p = load_preset(preset)
    else:
        raise bad_parameter("preset", "weai", "a preset id, a YAML path or a Preset", preset)
    if cutoff is not None:
        from dataclasses import replace

        p = replace(p, cutoff=Fraction(str(cutoff)))
    return p


def _check_columns(people: pd.DataFrame, p: Preset) -> None:
    missing = [c for c in p.weights if c not in people.columns]
    if not missing:
        return
    optional = [c for c in missing if c in p.optional]
    if optional:
        raise ValidationError(
            f"weai(preset={p.id!r}): the optional pro-WEAI indicator column(s) {optional} are "
            f"not in the data. The {len(p.weights)}-indicator preset needs them; when they were "
            "not collected use preset='pro-weai-10' (10 indicators at 1/10, empowered at 80 %)."
            + (
                f" Also missing: {[c for c in missing if c not in optional]}."
                if len(optional) < len(missing)
                else ""
            )
        )
    raise ValidationError(
        f"weai(preset={p.id!r}): adequacy column(s) {missing} are not in the data "
        f"(columns: {list(people.columns)}). Compute them with the indicator catalogue "
        "(1 = adequate, 0 = inadequate, missing = unknown) or pass indicators={column: weight}."
    )


def _gpi(
    people: pd.DataFrame,
    *,
    is_f: np.ndarray,
    is_m: np.ndarray,
    complete: np.ndarray,
    scores: np.ndarray,
    sw: np.ndarray,
    household: str,
    k: float,
    weighted: bool,
    groups: pd.Series | None,
) -> tuple[pd.DataFrame, int]:
    """Household table of dual-adult households with censored scores, lack of parity, gap.

    Returns the table (one row per dual household, vectorised) and the number of households
    with a woman that could not be used.
    """
    hh = people[household].to_numpy()
    frame = pd.DataFrame(
        {
            "hh": hh,
            "f": is_f,
            "m": is_m,
            "fc": is_f & complete,
            "mc": is_m & complete,
        }
    )
    counts = frame.groupby("hh", sort=False)[["f", "m", "fc", "mc"]].sum()
    dual = counts.index[
        (counts["f"] == 1) & (counts["m"] == 1) & (counts["fc"] == 1) & (counts["mc"] == 1)
    ]
    women_hh = counts.index[counts["f"] > 0]
    excluded = int(len(women_hh) - len(dual))
    in_dual = pd.Index(dual).get_indexer(hh) >= 0
    wsel = in_dual & is_f
    msel = in_dual & is_m
    women = pd.DataFrame(
        {
            "hh": hh[wsel],
            "row": np.flatnonzero(wsel),
            "c_w": scores[wsel],
            "weight": sw[wsel] if weighted else 1.0,
        }
    )
    men = pd.DataFrame({"hh": hh[msel], "c_m": scores[msel]})
    t = women.merge(men, on="hh", how="inner", validate="one_to_one")
    if groups is not None:
        t["group"] = groups.to_numpy()[t["row"].to_numpy()]
    cw = np.maximum(t["c_w"].to_numpy(), k)
    cm = np.maximum(t["c_m"].to_numpy(), k)
    lack = np.round(cw, SCORE_DECIMALS) > np.round(cm, SCORE_DECIMALS)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(lack, (cw - cm) / (1.0 - cm), 0.0)
    t["cw_censored"] = cw
    t["cm_censored"] = cm
    t["lacks_parity"] = lack
    t["gap"] = gap
    return t, excluded


def _gpi_summary(t: pd.DataFrame) -> tuple[float, float, float]:
    w = t["weight"].to_numpy(dtype=float)
    lack = t["lacks_parity"].to_numpy()
    gap = t["gap"].to_numpy()
    if len(t) == 0 or w.sum() <= 0:
        return np.nan, np.nan, np.nan
    h = float((w * lack).sum() / w.sum())
    i = float((w * lack * gap).sum() / (w * lack).sum()) if lack.any() else 0.0
    return h, i, 1.0 - h * i


def weai(
    people: pd.DataFrame,
    preset: str | Path | Preset = "a-weai",
    *,
    sex: str = "sex",
    female: Any = "F",
    male: Any = None,
    household: str = "hhid",
    weight: str | np.ndarray | None = None,
    indicators: Mapping[str, Any] | None = None,
    cutoff: Any = None,
    design: Any = None,
    by: str | None = None,
    gpi_weighted: bool = True,
) -> WEAIResult:
    """WEAI / A-WEAI / pro-WEAI (or a custom indicator set) for women and men, with the GPI.

    Parameters
    ----------
    people : DataFrame
        One row per respondent (the primary woman and the primary man of each household),
        with the adequacy columns of the preset coded 1 = adequate, 0 = inadequate, missing
        = unknown, plus ``sex`` and ``household``.
    preset : str, Path or Preset, default "a-weai"
        ``"weai"``, ``"a-weai"``, ``"pro-weai"`` (12 indicators, 75 %), ``"pro-weai-10"``
        (10 indicators, 80 %), or a YAML file in the same format.
    sex, female, male : str
        Sex column and its codes. ``male=None`` (default) takes the one other code present
        (``"M"`` with the default ``"F"``, or ``1`` when ``female=2``). Rows with a third
        value or a missing sex are an error.
    household : str
        Household identifier, used to pair the woman and the man for the GPI.
    weight : str or array-like, optional
        Survey weights (column name or array). Default: unweighted.
    indicators : dict, optional
        Custom index: ``{adequacy column: weight}`` (normalised), cutoff 1/5 strict unless
        ``cutoff`` is given. Overrides ``preset``.
    cutoff : number or str, optional
        Override the preset's inadequacy cutoff (e.g. ``"1/4"``).
    design : SurveyDesign or dict, optional
        For design-based SEs of H, A, M0, 5DE/3DE and the GPI (see
        :func:`gender_diag.indices._se.af_standard_errors`).
    by : str, optional
        Column of ``people`` for subgroup results (decomposition per sex; GPI by the
        woman's group). People without a value are excluded and counted in ``excluded``.
    gpi_weighted : bool, default True
        Weight the GPI by the woman's survey weight; ``False`` reproduces the unweighted
        GPI of IFPRI's Stata command.

    Returns
    -------
    WEAIResult

    Examples
    --------
    >>> people = pd.DataFrame({
    ...     "hhid": [1, 1, 2, 2], "sex": ["F", "M", "F", "M"],
    ...     "input_decisions": [1, 1, 0, 1], "ownership_assets": [0, 1, 0, 1],
    ...     "credit_decisions": [1, 1, 1, 0], "control_income": [1, 1, 0, 1],
    ...     "group_member": [0, 1, 1, 1], "workload": [1, 1, 1, 1]})
    >>> res = weai(people, "a-weai")
    >>> round(res.women.h, 3), round(res.women.de, 4), res.gpi.households
    (1.0, 0.5667, 2)
    >>> round(res.gpi.value, 4), round(res.value, 4)
    (0.7083, 0.5808)
    """
    owner = "weai"
    if not isinstance(people, pd.DataFrame):
        raise bad_parameter("people", owner, "a DataFrame", type(people).__name__)
    p = _resolve_preset(preset, indicators, cutoff)
    _check_columns(people, p)
    for name, col in (("sex", sex), ("household", household)):
        if col not in people.columns:
            raise bad_parameter(name, owner, f"a column of the data ({list(people.columns)})", col)
    sexes = people[sex]
    is_f = (sexes == female).fillna(False).to_numpy(dtype=bool)
    if male is None:
        others = pd.unique(sexes[~is_f & sexes.notna().to_numpy()])
        male = others[0] if len(others) == 1 else "M"
    is_m = (sexes == male).fillna(False).to_numpy(dtype=bool)
    other = ~(is_f | is_m)
    if other.any():
        rows = list(people.index[other][:5])
        raise ValidationError(
            f"weai: column {sex!r} must be {female!r} or {male!r}; {int(other.sum())} row(s) "
            f"hold other or missing values (first rows: {rows}, values "
            f"{list(sexes[other].iloc[:3])}). Fix the sex codes or drop those rows explicitly."
        )
    if people[household].isna().any():
        rows = list(people.index[people[household].isna().to_numpy()][:5])
        raise ValidationError(f"weai: household column {household!r} is missing at rows {rows}.")

    ind_w = pd.Series(p.float_weights(), dtype=float)
    ind_w.index = pd.Index(list(ind_w.index), dtype=object)
    adequacy = check_binary(people, list(ind_w.index), owner, "adequacy (1 = adequate)")
    dep = 1.0 - adequacy
    sw = survey_weights(people, weight, owner)
    if design is not None:
        from gender_diag.indices._se import resolve_design

        design, sw = resolve_design(people, design, weight, sw, owner)
    by_name, groups = group_codes(people, by, owner)
    k = float(p.cutoff)

    def one_sex(mask: np.ndarray, label: str) -> EmpowermentResult | None:
        if not mask.any():
            return None
        sub = people.loc[mask, []]  # compute_af reads only the rows' index: no column copied
        try:
            af = compute_af(
                sub,
                dep[mask],
                ind_w,
                sw[mask],
                k=k,
                strict=p.strict,
                by_name=by_name,
                groups=None if groups is None else groups[mask],
                design=None,
                owner=f"weai ({label})",
            )
        except EstimationError as exc:
            if label == "women":
                raise
            # the index is defined by the women's 5DE and the GPI; the men's figures are
            # context, so the index goes on without them, saying why
            notes.append(f"men: not estimated ({exc})")
            return None
        return EmpowermentResult(**af.__dict__, label=p.empowerment_label)

    notes: list[str] = []
    women = one_sex(is_f, "women")
    if women is None:
        raise EstimationError("weai: the data hold no woman; the index cannot be computed.")
    men = one_sex(is_m, "men")
    if not is_m.any():
        notes.append("men: the data hold no man")

    complete = ~np.isnan(dep).any(axis=1)
    scores = np.where(complete, np.clip(np.nan_to_num(dep) @ ind_w.to_numpy(), 0.0, 1.0), np.nan)
    table, excluded_hh = _gpi(
        people,
        is_f=is_f,
        is_m=is_m,
        complete=complete,
        scores=scores,
        sw=sw,
        household=household,
        k=k,
        weighted=gpi_weighted,
        groups=groups,
    )
    h, i, value = _gpi_summary(table)
    e_w, p_w = (float(x) for x in p.index_weights)
    gpi = GPIResult(
        value=value,
        h=h,
        i=i,
        households=len(table),
        excluded_households=excluded_hh,
        weighted=gpi_weighted,
    )
    if groups is not None:
        rows = []
        for g, sub in table.groupby("group", sort=True):  # one pass per subgroup (few)
            gh, gi, gv = _gpi_summary(sub)
            m0 = women.subgroups.set_index("by_value")["m0"].get(g, np.nan)
            rows.append(
                {
                    "by_value": g,
                    "households": len(sub),
                    "h": gh,
                    "i": gi,
                    "value": gv,
                    "index_value": e_w * (1 - m0) + p_w * gv,
                }
            )
        gpi.by_group = pd.DataFrame(
            rows, columns=["by_value", "households", "h", "i", "value", "index_value"]
        )
    result = WEAIResult(
        preset=p,
        women=women,
        men=men,
        gpi=gpi,
        value=e_w * women.de + p_w * value,
        households=table,
        notes=notes,
    )
    if design is not None:
        from gender_diag.indices._se import weai_standard_errors

        weai_standard_errors(
            result,
            people,
            design,
            is_f=is_f,
            is_m=is_m,
            complete=complete,
            scores=scores,
            sw=sw,
            by_name=by_name,
            groups=groups,
            gpi_weighted=gpi_weighted,
        )
    return result
