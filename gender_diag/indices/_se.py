"""Design-based standard errors of the counting indices by Taylor linearisation.

Every measure here is a ratio of weighted totals over a domain D (Lumley 2010, §2.5):
:math:`R = \\sum_{i \\in D} w_i y_i / \\sum_{i \\in D} w_i x_i`, with influence values
:math:`z_i = w_i d_i (y_i - R x_i) / \\hat X` (:math:`d_i` = 1 inside the domain, 0 outside:
domains are subpopulations, every PSU is kept). The design covariance of the totals of
``z`` comes from :meth:`gender_diag.design.SurveyDesign.vcov_total`, which honours strata,
PSUs, fpc, the lonely-PSU policy and replicate weights. One call covers all measures.

- H = mean of :math:`P_i` (identified) → y = P, x = 1;
- M0 = mean of :math:`P_i c_i` → y = P c, x = 1; 5DE/3DE = 1 − M0 (same SE, mirrored CI);
- A = ratio of :math:`P_i c_i` to :math:`P_i`;
- GPI = 1 − H_GPI·I_GPI = 1 − mean over dual-adult households (on the woman's row) of
  lack·gap, because H·I = Σ w lack gap / Σ w; H_GPI, I_GPI likewise;
- WEAI = 1 − (e M0_W + p H_GPI I_GPI): influence e z_M0 + p z_HI (same PSUs, covariance
  included).

Confidence intervals: logit intervals with the design degrees of freedom
(:func:`gender_diag.design.intervals.proportion_ci`), which stay inside [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.errors import DesignError, bad_parameter

#: Columns of every tidy index frame (``to_frame()`` of Alkire–Foster and WEAI results).
FRAME_COLUMNS = [
    "by",
    "by_value",
    "measure",
    "indicator",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
]


def resolve_design(frame: pd.DataFrame, design: Any, weight: Any, sw: np.ndarray, owner: str):
    """A :class:`SurveyDesign` aligned with ``frame`` and the survey weights to use.

    ``design`` is a ``SurveyDesign`` built on a frame with the same rows (index) as
    ``frame``, or a :class:`~gender_diag.design.DesignSpec` / dict of design roles and
    options (``strata``, ``psu``, ``ssu``, ``fpc``, ``fpc2``, ``with_replacement``,
    ``lonely_psu``, replicate settings, ``confidence``) naming columns of ``frame``, used
    with the given weights (a ``weight`` role in it is replaced by them). Every role must
    name an existing column. Without ``weight=`` the design's weights are used for the point
    estimates too.
    """
    from gender_diag.design.spec import DesignSpec
    from gender_diag.design.survey import SurveyDesign

    if isinstance(design, DesignSpec | Mapping):
        spec = design if isinstance(design, DesignSpec) else dict(design)
        if isinstance(spec, dict):
            spec.pop("weight", None)
            spec = DesignSpec.coerce({"weight": "_gd_index_weight", **spec})
        spec = spec.replace(weight="_gd_index_weight")
        return SurveyDesign.from_spec(frame.assign(_gd_index_weight=sw), spec), sw
    if not isinstance(design, SurveyDesign):
        raise bad_parameter(
            "design", owner, "a SurveyDesign or a dict of design columns", type(design).__name__
        )
    if len(design.data) != len(frame) or not design.data.index.equals(frame.index):
        raise DesignError(
            f"{owner}: the design was built on {len(design.data)} rows whose index differs from "
            f"the {len(frame)} rows given. Build the SurveyDesign on the same frame (same rows, "
            "same order), or pass design as a dict of column names."
        )
    if not design.domain_mask.all():
        raise DesignError(
            f"{owner}: the design is a subset (domain). Pass the full design and use by= "
            "for subgroups, so that every PSU is kept for the variance."
        )
    if weight is None:
        return design, np.asarray(design.weights, dtype=float)
    if not np.allclose(sw, design.weights, rtol=1e-12, atol=0):
        raise DesignError(
            f"{owner}: weight= differs from the weights of the design. Give only one of them "
            "(leave weight=None to use the design's weights)."
        )
    return design, sw


def ratio_influence(w, y, x, domain) -> tuple[float, np.ndarray]:
    """Estimate and influence values of :math:`\\sum_D w y / \\sum_D w x`."""
    wd = np.where(domain, w, 0.0)
    y = np.nan_to_num(np.asarray(y, dtype=float))
    x = np.nan_to_num(np.asarray(x, dtype=float))
    big_x = float((wd * x).sum())
    if big_x <= 0:
        return np.nan, np.zeros_like(wd)
    r = float((wd * y).sum()) / big_x
    return r, wd * (y - r * x) / big_x


def finish(design, rows: list[dict], z: list[np.ndarray]) -> pd.DataFrame:
    """SEs of all rows from one design covariance call; logit CIs with design df.

    Each row dict has by, by_value, measure, indicator, estimate, n and ``complement``:
    when true the row reports 1 − estimate, with the same SE and the mirrored interval
    (the logit interval is computed on the underlying estimate).
    """
    from gender_diag.design.intervals import proportion_ci

    if not rows:
        return pd.DataFrame(columns=FRAME_COLUMNS)
    zmat = np.column_stack(z)
    var = np.diag(np.atleast_2d(design.vcov_total(zmat)))
    se = np.sqrt(np.maximum(var, 0.0))
    out = pd.DataFrame(rows)
    est = out["estimate"].to_numpy(dtype=float)
    comp = out.pop("complement").to_numpy(dtype=bool)
    lo, hi = proportion_ci(
        np.clip(est, 0, 1),
        se,
        df=design.df,
        n=out["n"].to_numpy(),
        method="logit",
        confidence=design.confidence,
    )
    out["estimate"] = np.where(comp, 1.0 - est, est)
    out["se"] = se
    out["ci_low"] = np.where(comp, 1.0 - hi, lo)
    out["ci_high"] = np.where(comp, 1.0 - lo, hi)
    out["df"] = float(design.df)
    nan = ~np.isfinite(est)
    out.loc[nan, ["se", "ci_low", "ci_high"]] = np.nan
    return out


def af_rows(
    *,
    sw: np.ndarray,
    base: np.ndarray,
    identified: np.ndarray,
    scores: np.ndarray,
    by_name: str | None,
    groups: pd.Series | None,
) -> tuple[list[dict], list[np.ndarray], dict[tuple, np.ndarray]]:
    """Rows and influence columns of H, A and M0 overall and per group in domain ``base``.

    Also returns the M0 influence per (by, by_value), for composite indices.
    """
    poor = identified.astype(float)
    pc = np.where(identified, np.nan_to_num(scores), 0.0)
    ones = np.ones_like(sw)
    domains = [("total", "", base)]
    if groups is not None:
        g = groups.to_numpy()
        for value in pd.unique(groups.dropna()):  # one domain per subgroup (few)
            domains.append((by_name, str(value), base & (g == value)))
    rows, zs, m0_z = [], [], {}
    for by, value, dom in domains:
        n = int(dom.sum())
        for measure, y, x in (("H", poor, ones), ("A", pc, poor), ("M0", pc, ones)):
            est, z = ratio_influence(sw, y, x, dom)
            rows.append(
                {
                    "by": by,
                    "by_value": value,
                    "measure": measure,
                    "indicator": "",
                    "estimate": est,
                    "n": n,
                    "complement": False,
                }
            )
            zs.append(z)
            if measure == "M0":
                m0_z[(by, value)] = z
    return rows, zs, m0_z


def af_standard_errors(
    frame: pd.DataFrame,
    design,
    *,
    complete: np.ndarray,
    identified: np.ndarray,
    scores: np.ndarray,
    weight: np.ndarray,
    by_name: str | None,
    groups: pd.Series | None,
    owner: str,
) -> pd.DataFrame:
    """SE table of :func:`gender_diag.indices.alkire_foster` (H, A, M0; overall and by group)."""
    rows, zs, _ = af_rows(
        sw=weight,
        base=complete,
        identified=identified,
        scores=scores,
        by_name=by_name,
        groups=groups,
    )
    return finish(design, rows, zs)


def weai_standard_errors(
    result, people, design, *, is_f, is_m, complete, scores, sw, by_name, groups, gpi_weighted
) -> None:
    """Attach SE tables to ``result.women``, ``result.men`` and ``result.gpi`` (in place)."""
    n = len(people)
    m0_by_sex = {}
    for res, mask in ((result.women, is_f), (result.men, is_m)):
        if res is None:
            continue
        identified = np.zeros(n, dtype=bool)
        identified[mask] = res.identified.to_numpy()
        rows, zs, m0_z = af_rows(
            sw=sw,
            base=mask & complete,
            identified=identified,
            scores=scores,
            by_name=by_name,
            groups=groups,
        )
        res.se = finish(design, rows, zs)
        m0_by_sex[id(res)] = m0_z

    # GPI: on the woman's row of each dual-adult household
    t = result.households
    rows_idx = t["row"].to_numpy()
    dual = np.zeros(n, dtype=bool)
    dual[rows_idx] = True
    lack = np.zeros(n)
    lack[rows_idx] = t["lacks_parity"].to_numpy(dtype=float)
    lg = np.zeros(n)
    lg[rows_idx] = t["lacks_parity"].to_numpy(dtype=float) * t["gap"].to_numpy(dtype=float)
    wg = sw if gpi_weighted else np.ones(n)
    ones = np.ones(n)
    e_w, p_w = (float(x) for x in result.preset.index_weights)
    domains = [("total", "", dual)]
    if groups is not None:
        g = groups.to_numpy()
        for value in pd.unique(groups[dual].dropna()):
            domains.append((by_name, str(value), dual & (g == value)))
    rows, zs = [], []
    women_m0 = m0_by_sex[id(result.women)]
    for by, value, dom in domains:
        k = int(dom.sum())
        h, zh = ratio_influence(wg, lack, ones, dom)
        i, zi = ratio_influence(wg, lg, lack, dom)
        hi, zhi = ratio_influence(wg, lg, ones, dom)
        rows += [
            {
                "by": by,
                "by_value": value,
                "measure": "H_GPI",
                "indicator": "",
                "estimate": h,
                "n": k,
                "complement": False,
            },
            {
                "by": by,
                "by_value": value,
                "measure": "I_GPI",
                "indicator": "",
                "estimate": i,
                "n": k,
                "complement": False,
            },
            {
                "by": by,
                "by_value": value,
                "measure": "GPI",
                "indicator": "",
                "estimate": hi,
                "n": k,
                "complement": True,
            },
        ]
        zs += [zh, zi, zhi]
        zm0 = women_m0.get((by, value))
        if zm0 is not None:
            # overall index = 1 − (e·M0_W + p·H_GPI·I_GPI): linearise the combination
            est_m0 = (
                result.women.m0
                if by == "total"
                else float(
                    result.women.subgroups.set_index("by_value")["m0"]
                    .rename(str)
                    .get(value, np.nan)
                )
            )
            rows.append(
                {
                    "by": by,
                    "by_value": value,
                    "measure": result.preset.id,
                    "indicator": "",
                    "estimate": e_w * est_m0 + p_w * hi,
                    "n": k,
                    "complement": True,
                }
            )
            zs.append(e_w * zm0 + p_w * zhi)
    result.gpi.se = finish(design, rows, zs)
