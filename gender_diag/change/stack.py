"""Stack two rounds' unit frames into one design (methods §1: rounds are domains).

The stacked design must reproduce each round's own design while letting what the rounds
share enter the covariance:

* **Strata.** A stratum whose communities were visited in both rounds is one stratum of the
  stacked design, its PSUs the union of the rounds' PSUs. A stratum whose two rounds share no
  PSU is split by round (``<stratum>|<round>``), so that two independent samples keep their
  own stratum means and ``n_h/(n_h − 1)`` factors: then ``Var(change) = V₁ + V₂`` exactly.
* **PSUs.** PSU id = (stratum, community): the same community in both rounds is one PSU. A
  design without PSUs gets the household (``hhid``) as PSU, so panel households still pair.
* **Second stage.** Households (``ssu``) keep their ``hhid``: a household interviewed in
  both rounds (panel) is one second-stage unit. ``panel=False`` makes every household id
  round-specific (re-used ids are then not the same household).
* **fpc.** Stage-1 and stage-2 population sizes are those of the design files (the same
  communities have the same size); they are kept only when both rounds give them. Where the
  stacked stratum (PSU) holds more PSUs (households) than either round sampled — new
  communities, fresh households beside the panel — the size is scaled so that the sampling
  fraction stays the rounds' own (:func:`_union_fpc`); benchmarks/change_coverage.py shows
  the intervals then keep their 95 % coverage.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gender_diag.errors import EstimationError

__all__ = ["STACKED_DESIGN", "stack_frames", "panel_overlap"]

#: Column roles of the stacked frame.
STACKED_DESIGN = {
    "weight": "_w",
    "strata": "_stratum",
    "psu": "_psu",
    "ssu": "_ssu",
    "fpc": "_fpc",
    "fpc2": "_fpc2",
}


def _role(frame: pd.DataFrame, spec: Mapping, role: str) -> pd.Series | None:
    name = spec.get(role)
    if name and name in frame.columns:
        return frame[name]
    return None


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("<NA>")


def _union_fpc(data: pd.DataFrame, fpc: str, group: str, unit: str) -> None:
    """Keep each round's sampling fraction when the stacked stage holds the union of units.

    A stratum (PSU) re-visited with some new PSUs (households) holds more units in the
    stacked design than either round sampled; with the population size unchanged, the
    stacked sampling fraction ``union/N`` would overstate the rounds' own ``k/N`` and shrink
    the variance. The population size is scaled by ``union / max_r k_r`` so that the
    fraction stays that of the larger round (identical when both rounds hold the same units;
    fractions given as values ≤ 1 need no change, the engine derives ``N = n/f``).
    """
    if fpc not in data.columns:
        return
    values = data[fpc].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values <= 1).all():
        return
    union = data.groupby(group, sort=False)[unit].transform("nunique").to_numpy(dtype=float)
    per_round = data.groupby([group, "_round"], sort=False)[unit].transform("nunique")
    largest = per_round.groupby(data[group], sort=False).transform("max").to_numpy(dtype=float)
    data[fpc] = values * union / largest


def panel_overlap(frame_from: pd.DataFrame, frame_to: pd.DataFrame, key: str = "hhid") -> int:
    """Number of household ids present in both rounds."""
    if key not in frame_from.columns or key not in frame_to.columns:
        return 0
    a = set(frame_from[key].astype(str).unique())
    return len(a & set(frame_to[key].astype(str).unique()))


def stack_frames(
    frame_from: pd.DataFrame,
    frame_to: pd.DataFrame,
    spec_from: Mapping,
    spec_to: Mapping,
    *,
    columns: list[str],
    panel: bool = True,
    household: str = "hhid",
) -> tuple[pd.DataFrame, dict]:
    """One frame with both rounds (``_round`` 0/1) and the stacked design columns.

    Parameters
    ----------
    frame_from, frame_to : DataFrame
        The same unit (respondents, members, ...) in each round, with the design columns
        named by ``spec_from`` / ``spec_to`` (roles weight, strata, psu, ssu, fpc, fpc2).
    columns : list of str
        Other columns to carry (sex, by-columns, arm, indicators). Missing ones are NaN.
    panel : bool
        Treat the same ``household`` id in both rounds as the same household.
    household : str
        Household id column.

    Returns
    -------
    (frame, spec)
        ``spec`` maps design roles to the stacked columns (:data:`STACKED_DESIGN`), roles
        absent in either round removed.

    Examples
    --------
    >>> a = pd.DataFrame({"w": [1.0, 1], "h": ["x", "x"], "c": ["c1", "c2"], "y": [0, 1]})
    >>> b = pd.DataFrame({"w": [1.0, 1], "h": ["x", "x"], "c": ["c3", "c4"], "y": [1, 1]})
    >>> spec = {"weight": "w", "strata": "h", "psu": "c"}
    >>> st, roles = stack_frames(a, b, spec, spec, columns=["y"])
    >>> st["_stratum"].tolist()  # no shared community: the stratum splits by round
    ['x|0', 'x|0', 'x|1', 'x|1']
    """
    parts = []
    for r, (frame, spec) in enumerate(((frame_from, spec_from), (frame_to, spec_to))):
        if _role(frame, spec, "weight") is None:
            raise EstimationError(
                f"Round {r + 1} has no sampling weight column ({spec.get('weight')!r}). "
                "Fix: give each round a design file with weights."
            )
        out = pd.DataFrame(index=frame.index)
        out["_round"] = r
        out["_w"] = pd.to_numeric(_role(frame, spec, "weight"), errors="coerce").astype(float)
        strata = _role(frame, spec, "strata")
        out["_s0"] = _text(strata) if strata is not None else "all"
        psu = _role(frame, spec, "psu")
        hh = frame[household] if household in frame.columns else None
        hh_key = (
            _text(hh) if hh is not None else pd.Series(np.arange(len(frame)), index=frame.index)
        )
        if not panel or hh is None:
            hh_key = hh_key.astype(str) + f"|r{r}"
        out["_hh"] = hh_key.astype(str)
        out["_p0"] = _text(psu) if psu is not None else out["_hh"]
        ssu = _role(frame, spec, "ssu")
        if ssu is not None:
            out["_ssu"] = (_text(ssu) + ("" if panel else f"|r{r}")).astype(str)
        for role in ("fpc", "fpc2"):
            v = _role(frame, spec, role)
            if v is not None:
                out[f"_{role}"] = pd.to_numeric(v, errors="coerce").astype(float)
        for c in columns:
            out[c] = frame[c].to_numpy() if c in frame.columns else np.nan
        parts.append(out)
    data = pd.concat(parts, ignore_index=True)
    # strata shared between rounds only where they share a community
    pairs = data[["_round", "_s0", "_p0"]].drop_duplicates()
    both = pairs.groupby(["_s0", "_p0"])["_round"].nunique()
    shared_strata = set(both[both > 1].index.get_level_values(0))
    split = ~data["_s0"].isin(shared_strata)
    data["_stratum"] = data["_s0"].where(~split, data["_s0"] + "|" + data["_round"].astype(str))
    data["_psu"] = data["_stratum"] + "#" + data["_p0"]
    _union_fpc(data, "_fpc", "_stratum", "_psu")
    if "_ssu" in data.columns:
        _union_fpc(data, "_fpc2", "_psu", "_ssu")
    spec = {"weight": "_w", "strata": "_stratum", "psu": "_psu"}
    if "_ssu" in data.columns and data["_ssu"].notna().all():
        spec["ssu"] = "_ssu"
    for role in ("fpc", "fpc2"):
        col = f"_{role}"
        if col in data.columns and data[col].notna().all():
            spec[role] = col
    if "fpc2" in spec and "ssu" not in spec:
        del spec["fpc2"]
    return data.drop(columns=["_s0", "_p0"]), spec
