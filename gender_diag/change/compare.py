"""``gd.compare_rounds``: what changed between survey rounds, with design-based inference.

From a configuration with ``[[rounds]]`` (or already ingested surveys / run results) to one
tidy frame of changes. Each later round is compared with the first (the baseline). Only the
indicators both rounds can compute are compared; the others are listed in
:attr:`Comparison.skipped` with the reason (a question renamed or added between the forms,
a module missing in one round). A change is suppressed (figures blanked, ``suppressed``
True) when a cell it rests on — a round × sex (× arm) × place cell — holds fewer units than
the disclosure threshold (the stricter sensitive threshold for sensitive indicators), so a
change is never shown where either round's own estimate would be withheld.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.change.estimate import CHANGE_COLUMNS, LEVEL_COLUMNS, change_estimates
from gender_diag.change.stack import panel_overlap, stack_frames
from gender_diag.design.multiple import bh_qvalues
from gender_diag.errors import ConfigError, EstimationError, ValidationError, bad_parameter

__all__ = [
    "apply_round_suppression",
    "Comparison",
    "RoundData",
    "compare",
    "compare_rounds",
    "read_treatment",
]

#: Extra columns after the contract's (docs: architecture "change over time").
OUTPUT_COLUMNS = [*CHANGE_COLUMNS, "suppressed"]


@dataclass
class RoundData:
    """One survey round ready to compare."""

    name: str
    survey: Any
    design: dict
    date: str = ""
    treatment: pd.Series | None = None  # community -> 0/1


@dataclass
class Comparison:
    """Everything :func:`compare` found.

    Attributes
    ----------
    changes : DataFrame
        ``gd.compare_rounds`` frame (contract columns plus ``suppressed``).
    levels : DataFrame
        Each round's women, men and gap estimates per indicator × place (for the charts).
    skipped : DataFrame
        ``indicator, reason``: indicators not compared.
    rounds : DataFrame
        ``round, date, households, panel_households``.
    adjusted : DataFrame
        With ``controls``: covariate-adjusted changes at the total level (average marginal
        effects of a survey GLM, :func:`gender_diag.change.adjusted.adjusted_changes`).
    """

    changes: pd.DataFrame
    levels: pd.DataFrame
    skipped: pd.DataFrame
    rounds: pd.DataFrame = field(default_factory=pd.DataFrame)
    adjusted: pd.DataFrame = field(default_factory=pd.DataFrame)


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------
def _yes_no(values: pd.Series, column: str, file: str) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    mapping = {"1": 1, "0": 0, "yes": 1, "no": 0, "si": 1, "sí": 1, "oui": 1, "non": 0,
               "true": 1, "false": 0, "1.0": 1, "0.0": 0}  # fmt: skip
    out = text.map(mapping)
    bad = text.notna() & out.isna()
    if bad.any():
        raise ConfigError(
            f"{file}: the treatment column {column!r} must hold 0/1 or yes/no; found "
            f"{sorted(set(text[bad]))[:3]}. Fix: mark programme communities 1 (yes), the "
            "others 0 (no)."
        )
    return out


def read_treatment(design_file: str | Path | pd.DataFrame, column: str) -> pd.Series:
    """Community → 0/1 programme marker from a design file (CSV, or a DataFrame).

    Examples
    --------
    >>> d = pd.DataFrame({"community": ["c01", "c02"], "project": ["yes", "no"]})
    >>> read_treatment(d, "project").to_dict()
    {'c01': 1, 'c02': 0}
    """
    if isinstance(design_file, pd.DataFrame):
        frame, file = design_file.copy(), "<design>"
    else:
        file = str(design_file)
        path = Path(design_file)
        if path.suffix.lower() in (".xlsx", ".xls"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    col = column.strip().lower()
    if col not in frame.columns or "community" not in frame.columns:
        raise ConfigError(
            f"{file}: [evaluation] treatment = {column!r} is not a column of the design file "
            f"(columns: {', '.join(frame.columns)}). Fix: add a 0/1 column {column!r} (1 = the "
            "programme works in the community) or correct the name."
        )
    values = _yes_no(frame[col], column, file)
    values.index = frame["community"].astype(str).str.strip()
    return values[~values.index.duplicated()].dropna().astype(int)


def apply_rename(survey, rename: Mapping[str, str]):
    """This round's variables under the baseline's names, in every table and the variable list.

    Returns a new Survey (the caller's object is left as it is).
    """
    import dataclasses

    if not rename:
        return survey
    tables = {k: v.rename(columns=dict(rename)) for k, v in survey.tables.items()}
    changes = {"tables": tables}
    variables = getattr(survey, "variables", None)
    if isinstance(variables, pd.DataFrame) and "name" in variables.columns:
        changes["variables"] = variables.assign(name=variables["name"].replace(dict(rename)))
    if dataclasses.is_dataclass(survey):
        return dataclasses.replace(survey, **changes)
    return tables  # a plain mapping of tables


def rounds_from_config(config) -> tuple[list[RoundData], dict]:
    """Ingest every round of a configuration with ``[[rounds]]``."""
    from gender_diag.config import load_config
    from gender_diag.pipeline import design_columns, ingest_survey

    cfg = load_config(config)
    ev = cfg.get("evaluation")
    if not ev or not ev.get("rounds"):
        raise ConfigError(
            f"{cfg.get('config_path', '<config>')}: no [[rounds]] to compare. Fix: list two or "
            "more rounds (name, date, config) in diagnostic.toml."
        )
    out = []
    for spec in ev["rounds"]:
        rcfg = spec["config"]
        survey = ingest_survey(rcfg)
        if not survey.report.valid:
            raise ValidationError(
                f"Round {spec['name']!r}: the data have {len(survey.report.blocking)} blocking "
                f"problem(s); first: {survey.report.blocking[0]}. Fix: run `gender-diag "
                f"validate` on that round.",
                report=survey.report,
            )
        survey = apply_rename(survey, spec["rename"])
        treat = None
        if ev["treatment"]:
            design_file = rcfg["input"]["design"]
            if design_file is None:
                raise ConfigError(
                    f"Round {spec['name']!r}: [evaluation] treatment needs the round's design "
                    "file ([input] design). Fix: give the design file."
                )
            treat = read_treatment(design_file, ev["treatment"])
        roles = design_columns(rcfg, survey.design)
        out.append(RoundData(spec["name"], survey, roles, spec["date"], treat))
    return out, cfg


def _as_rounds(obj, treatment) -> list[RoundData]:
    """Rounds from a mapping / sequence of Survey or RunResult objects."""
    items = (
        list(obj.items())
        if isinstance(obj, Mapping)
        else [(f"round_{i + 1}", v) for i, v in enumerate(obj)]
    )
    out = []
    for name, value in items:
        if isinstance(value, RoundData):
            out.append(value)
            continue
        survey = getattr(value, "survey", None) or value
        if not hasattr(survey, "tables"):
            raise bad_parameter(
                "config_or_results",
                "compare_rounds",
                "a configuration with [[rounds]], or Surveys / RunResults by round",
                type(value).__name__,
            )
        roles = dict(getattr(survey, "design", None) or {})
        cfg = getattr(value, "config", None)
        if cfg:
            from gender_diag.pipeline import design_columns

            roles = design_columns(cfg, survey.design)
        treat = treatment.get(name) if isinstance(treatment, Mapping) else treatment
        if treat is not None and not isinstance(treat, pd.Series):
            treat = pd.Series(treat)
        out.append(RoundData(str(name), survey, roles, "", treat))
    return out


# --------------------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------------------
def _comparable(rounds: Sequence[RoundData], catalogue) -> tuple[list[str], pd.DataFrame]:
    from gender_diag.indicators.compute import available_indicators

    per_round = [available_indicators(r.survey, catalogue) for r in rounds]
    ok = set.intersection(*(set(ids) for ids, _ in per_round))
    types = {i.id: i.type for i in catalogue.indicators}
    skipped = []
    for ind in catalogue.ids:
        if ind in ok:
            if types.get(ind) == "share_women":
                skipped.append((ind, "share of women among right-holders: compared per round"))
            continue
        reasons = []
        for r, (_, sk) in zip(rounds, per_round, strict=True):
            why = sk.loc[sk["indicator"] == ind, "reason"]
            if len(why):
                reasons.append(f"{r.name}: {why.iloc[0]}")
        if reasons:
            skipped.append((ind, "not in every round — " + "; ".join(reasons)))
    ids = [i for i in catalogue.ids if i in ok and types.get(i) != "share_women"]
    return ids, pd.DataFrame(skipped, columns=["indicator", "reason"])


def _arm(frame: pd.DataFrame, spec: Mapping, treat: pd.Series | None) -> np.ndarray:
    if treat is None:
        return np.full(len(frame), np.nan)
    col = "community" if "community" in frame.columns else spec.get("psu")
    if not col or col not in frame.columns:
        raise ConfigError(
            "[evaluation] treatment: the data have no community column to match the design "
            "file on. Fix: map the community column ([mapping] community)."
        )
    return frame[col].astype(str).map(treat.astype(float)).to_numpy(dtype=float)


def _check_treatment(rounds: Sequence[RoundData]) -> None:
    first = rounds[0].treatment
    for r in rounds[1:]:
        if first is None or r.treatment is None:
            continue
        both = first.index.intersection(r.treatment.index)
        differ = both[first[both].to_numpy() != r.treatment[both].to_numpy()]
        if len(differ):
            raise ConfigError(
                f"[evaluation] treatment: community {differ[0]!r} is marked "
                f"{int(first[differ[0]])} in {rounds[0].name!r} and {int(r.treatment[differ[0]])}"
                f" in {r.name!r}. Rule: a community's programme status is fixed for the "
                "evaluation. Fix: use the same marker in both design files."
            )


def _suppress(frame: pd.DataFrame, limits: pd.Series) -> pd.DataFrame:
    limit = frame["indicator"].map(limits).to_numpy(dtype=float)
    small = (frame["n_min"].to_numpy(dtype=float) < limit) & np.isfinite(limit)
    frame["suppressed"] = small
    return _blank(frame)


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank the figures of suppressed rows, their counts included (as the indicator table)."""
    hide = frame["suppressed"].to_numpy(dtype=bool)
    figures = ["estimate", "se", "ci_low", "ci_high", "p_value", "q_value"]
    frame.loc[hide, figures] = np.nan
    for col in ("n_from", "n_to", "n"):
        if col in frame.columns:
            frame[col] = frame[col].astype("Int64")
            frame.loc[hide, col] = pd.NA
    return frame


def apply_round_suppression(changes: pd.DataFrame, *tables: pd.DataFrame) -> pd.DataFrame:
    """Suppress a change wherever either round's published cell (F or M) is suppressed.

    ``tables`` are the rounds' indicator tables after disclosure control (``indicator, by,
    by_value, sex, suppressed``). Programme-arm rows (``by = "treatment"``) are not cells of
    those tables; their own cell counts decided already.
    """
    out = changes.copy()
    if "suppressed" not in out.columns:
        out["suppressed"] = False
    keys = ["indicator", "by", "by_value"]
    for t in tables:
        if t is None or not len(t) or "suppressed" not in t.columns:
            continue
        hidden = t.loc[t["suppressed"].astype(bool), keys].drop_duplicates()
        hidden = hidden.assign(_hide=True)
        merged = out[keys].merge(hidden, on=keys, how="left")
        out["suppressed"] = out["suppressed"].to_numpy() | merged["_hide"].fillna(False).to_numpy(
            dtype=bool
        )
    return _blank(out)


def compare(
    rounds: Sequence[RoundData],
    *,
    catalogue=None,
    by: Sequence[str] = ("district",),
    panel: str = "auto",
    confidence: float = 0.95,
    threshold: int = 5,
    sensitive_threshold: int = 10,
    sensitive_min_level: str = "district",
    controls: Sequence[str] = (),
) -> Comparison:
    """Compare every later round with the first; see :func:`compare_rounds`."""
    from gender_diag.indicators.catalogue import Catalogue, load_catalogue
    from gender_diag.indicators.compute import indicator_frames, make_design, prepare_tables

    if len(rounds) < 2:
        raise bad_parameter("rounds", "compare_rounds", "two or more rounds", len(rounds))
    if panel not in ("auto", "yes", "no"):
        raise bad_parameter("panel", "compare_rounds", "'auto', 'yes' or 'no'", panel)
    catalogue = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
    by = [by] if isinstance(by, str) else list(by)
    treated = any(r.treatment is not None for r in rounds)
    if treated and any(r.treatment is None for r in rounds):
        raise ConfigError("treatment: give the programme marker for every round.")
    _check_treatment(rounds)
    ids, skipped = _comparable(rounds, catalogue)
    if not ids:
        raise EstimationError(
            "compare_rounds: no indicator can be computed in every round: "
            + "; ".join(skipped["reason"].head(3))
        )
    meta = {i.id: i for i in catalogue.indicators}
    frames = []
    for r in rounds:
        tables = prepare_tables(r.survey, catalogue)
        roles = {k: v for k, v in r.design.items() if k in ("weight", "strata", "psu", "ssu",
                                                             "fpc", "fpc2")}  # fmt: skip
        keep = [*by, *[c for c in controls if c not in by]]  # columns the frames carry
        f = indicator_frames(tables, catalogue, design=roles, by=keep, indicators=ids)
        frames.append({u: fr.assign(_arm=_arm(fr, roles, r.treatment)) for u, fr in f.items()})
    base = rounds[0]
    changes, levels, info, adjusted = [], [], [], []
    for j in range(1, len(rounds)):
        later = rounds[j]
        overlap = 0
        for unit, f_from in frames[0].items():
            f_to = frames[j].get(unit)
            if f_to is None:
                continue
            overlap = max(overlap, panel_overlap(f_from, f_to))
            use_panel = panel != "no"
            if panel == "yes" and panel_overlap(f_from, f_to) == 0:
                raise ConfigError(
                    f"[evaluation] panel = 'yes' but no household id (hhid) of "
                    f"{base.name!r} appears in {later.name!r}. Fix: check the household ids "
                    "or set panel = 'auto'."
                )
            unit_ids = [c for c in f_from.columns if c in ids]
            by_cols = [b for b in by if b in f_from.columns and b in f_to.columns]
            ctrl = [c for c in controls if c in f_from.columns and c in f_to.columns]
            carry = ["sex", "_arm", *by_cols, *[c for c in ctrl if c not in by_cols], *unit_ids]
            data, spec = stack_frames(
                f_from, f_to, _roles(base), _roles(later), columns=carry, panel=use_panel
            )
            # lonely-PSU policy and with-replacement choice of the diagnostic (default adjust)
            spec["lonely_psu"] = base.design.get("lonely_psu") or "adjust"
            spec["with_replacement"] = bool(base.design.get("with_replacement", False))
            design = make_design(data, spec)
            est = change_estimates(
                design,
                unit_ids,
                by=[None, *by_cols],
                arm_col="_arm" if treated else None,
                rounds=(base.name, later.name),
                confidence=confidence,
            )
            ch = est.changes
            if controls:
                from gender_diag.change.adjusted import adjusted_changes

                adjusted.append(
                    adjusted_changes(
                        design,
                        unit_ids,
                        controls=ctrl,
                        arm_col="_arm" if treated else None,
                        rounds=(base.name, later.name),
                        confidence=confidence,
                    )
                )
            # sensitive indicators: no place finer than sensitive_min_level (methods §5)
            fine = ch["by"].isin([b for b in by_cols if b != sensitive_min_level]) & ch[
                "indicator"
            ].map(lambda i: bool(meta[i].sensitive))
            changes.append(ch.loc[~fine])
            lv = est.levels
            lv_fine = lv["by"].isin([b for b in by_cols if b != sensitive_min_level]) & lv[
                "indicator"
            ].map(lambda i: bool(meta[i].sensitive))
            levels.append(lv.loc[~lv_fine])
        hh_from = base.survey.tables.get("households")
        hh_to = later.survey.tables.get("households")
        if hh_from is not None and hh_to is not None:
            overlap = panel_overlap(hh_from, hh_to)
        n_from = len(base.survey.tables.get("households", []))
        n_to = len(later.survey.tables.get("households", []))
        info.append((later.name, later.date, n_to, overlap, base.name, n_from))
    out = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(columns=CHANGE_COLUMNS)
    out["q_value"] = np.nan
    for _, idx in out.groupby("quantity", sort=False).groups.items():
        out.loc[idx, "q_value"] = bh_qvalues(out.loc[idx, "p_value"].to_numpy(dtype=float))
    limits = pd.Series(
        {i: (sensitive_threshold if meta[i].sensitive else threshold) for i in ids}, dtype=float
    )
    out = _suppress(out, limits)
    order = {i: n for n, i in enumerate(ids)}
    out = out.assign(_o=out["indicator"].map(order)).sort_values(
        ["round_to", "_o", "by", "by_value"], kind="stable"
    )
    lv = pd.concat(levels, ignore_index=True) if levels else pd.DataFrame(columns=LEVEL_COLUMNS)
    if len(lv):
        lim = lv["indicator"].map(limits).to_numpy(dtype=float)
        lv["suppressed"] = lv["n"].to_numpy(dtype=float) < lim
        lv = _blank(lv)
        lv = lv.drop_duplicates(["indicator", "by", "by_value", "round", "quantity"])
    rounds_info = pd.DataFrame(
        [(base.name, base.date, info[0][5] if info else 0, 0)]
        + [(n, d, h, o) for n, d, h, o, _, _ in info],
        columns=["round", "date", "households", "panel_households"],
    )
    adj = pd.concat(adjusted, ignore_index=True) if adjusted else pd.DataFrame()
    if len(adj):
        adj["q_value"] = np.nan
        for _, idx in adj.groupby("quantity", sort=False).groups.items():
            adj.loc[idx, "q_value"] = bh_qvalues(adj.loc[idx, "p_value"].to_numpy(dtype=float))
        # the same cells as the raw change: suppressed where the raw change is
        hidden = out.loc[out["suppressed"] & out["by"].eq("total"), ["indicator", "quantity"]]
        mask = adj.set_index(["indicator", "quantity"]).index.isin(pd.MultiIndex.from_frame(hidden))
        adj["suppressed"] = mask
        adj = _blank(adj)
    return Comparison(
        adjusted=adj,
        changes=out[OUTPUT_COLUMNS].reset_index(drop=True),
        levels=lv.reset_index(drop=True),
        skipped=skipped,
        rounds=rounds_info,
    )


def _is_config(obj) -> bool:
    """A configuration (path or parsed TOML), as opposed to rounds given as objects."""
    if obj is None or isinstance(obj, str | Path):
        return True
    if isinstance(obj, Mapping):
        return not any(
            hasattr(v, "tables") or hasattr(v, "survey") or isinstance(v, RoundData)
            for v in obj.values()
        )
    return False


def _roles(r: RoundData) -> dict:
    return {k: v for k, v in r.design.items() if k in ("weight", "strata", "psu", "ssu",
                                                       "fpc", "fpc2") and v}  # fmt: skip


def compare_rounds(
    config_or_results,
    *,
    by: Sequence[str] | None = None,
    treatment=None,
    panel: str | None = None,
    catalogue=None,
    confidence: float | None = None,
    threshold: int | None = None,
    sensitive_threshold: int | None = None,
    controls: Sequence[str] | None = None,
    details: bool = False,
) -> pd.DataFrame | Comparison:
    """What changed between survey rounds: women's and men's change, the gap's, and DiDs.

    Parameters
    ----------
    config_or_results : path, dict, Mapping or sequence
        A ``diagnostic.toml`` (or its folder, or a parsed dict) with ``[[rounds]]``; or the
        rounds themselves as ``{name: Survey | RunResult}`` (or a list, named
        ``round_1``, ``round_2`` …), the first being the baseline.
    by : sequence of str, optional
        Places besides the total (default: ``district``, or the configuration's ranking
        levels). Programme arms add ``by = "treatment"`` rows.
    treatment : Series or dict, optional
        With surveys: community → 0/1 programme marker (one Series for all rounds, or a
        dict round → Series). With a configuration: ``[evaluation] treatment``.
    panel : {"auto", "yes", "no"}, optional
        Same household id in two rounds = the same household (``auto``/``yes``); ``no``
        treats the rounds' households as distinct. Default from ``[evaluation] panel``.
    catalogue : Catalogue or path, optional
        Default: the configuration's, or the bundled catalogue.
    confidence : float, optional
        Confidence level (default the configuration's, 0.95).
    threshold, sensitive_threshold : int, optional
        Disclosure thresholds (default the configuration's ``[disclosure]``, 5 and 10).
    controls : sequence of str, optional
        Covariates (columns of the unit tables, e.g. ``age``, ``education``) for the
        adjusted estimates (``Comparison.adjusted``); default ``[evaluation] controls``.
    details : bool
        Return the whole :class:`Comparison` (levels, skipped indicators, rounds).

    Returns
    -------
    DataFrame
        ``indicator, by, by_value, round_from, round_to, quantity, estimate, se, ci_low,
        ci_high, df, p_value, q_value, n_from, n_to, suppressed`` with ``quantity`` in
        ``change_f, change_m, change_gap`` and, with a programme marker, ``did_f,
        did_gap`` (see :mod:`gender_diag.change.estimate` for the formulas). ``q_value`` is
        Benjamini–Hochberg within each quantity.
    """
    cfg = None
    if _is_config(config_or_results):
        rounds, cfg = rounds_from_config(config_or_results)
    else:
        rounds = _as_rounds(config_or_results, treatment)
    ev = (cfg or {}).get("evaluation", {})
    if cfg is not None:
        by = by if by is not None else [b for b in cfg["ranking"]["levels"] if b != "total"]
        catalogue = catalogue if catalogue is not None else cfg["indicators"]["catalogue"]
        confidence = confidence if confidence is not None else cfg["indicators"]["confidence"]
        threshold = threshold if threshold is not None else cfg["disclosure"]["threshold"]
        if sensitive_threshold is None:
            sensitive_threshold = cfg["disclosure"]["sensitive_threshold"]
    result = compare(
        rounds,
        catalogue=catalogue,
        by=("district",) if by is None else by,
        panel=panel or ev.get("panel", "auto"),
        confidence=0.95 if confidence is None else confidence,
        threshold=5 if threshold is None else threshold,
        sensitive_threshold=10 if sensitive_threshold is None else sensitive_threshold,
        controls=tuple(controls if controls is not None else ev.get("controls", ())),
    )
    return result if details else result.changes
