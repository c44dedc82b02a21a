r"""Design-based change between two survey rounds, linearised as one stacked design.

The two rounds are stacked into one data set and estimated as **domains of one design**
(round × sex × programme arm × place): a community visited in both rounds is one PSU, a
household interviewed in both rounds is one second-stage unit, so the covariance between the
two rounds' estimates enters every standard error; rounds drawn independently (disjoint
PSUs, their own strata) reduce exactly to :math:`V_1 + V_2`.

Every estimate is a domain mean (or proportion) :math:`\hat\theta_g = \hat Y_g / \hat N_g`
with influence values (methods §1; Lumley 2010 §2.3)

.. math:: z_{ig} = w_i m_i (y_i - \hat\theta_g) / \hat N_g \quad (i \in g),\qquad 0
          \text{ otherwise},

and every quantity is a linear contrast :math:`\sum_g c_g \hat\theta_g` of domain means,
whose influence is :math:`\sum_g c_g z_{ig}`. With :math:`r \in \{0, 1\}` the round
(from, to), :math:`s \in \{F, M\}` and :math:`a \in \{1, 0\}` the arm (programme,
comparison):

* ``change_f`` :math:`= \theta_{1F} - \theta_{0F}`, ``change_m`` likewise for men;
* ``change_gap`` :math:`= (\theta_{1F} - \theta_{1M}) - (\theta_{0F} - \theta_{0M})`
  (difference-in-differences across sex);
* ``did_f`` :math:`= (\theta_{1F1} - \theta_{0F1}) - (\theta_{1F0} - \theta_{0F0})`
  (programme-vs-comparison difference in women's change);
* ``did_gap`` :math:`= \text{change\_gap}_{a=1} - \text{change\_gap}_{a=0}`
  (triple difference).

The contrast influence values are summed to PSU (and SSU) totals and passed through the
design engine's Taylor kernel (:func:`gender_diag.design._engine.taylor_var`), one call per
disaggregation for every indicator and quantity at once. Tests are Wald t with the stacked
design's degrees of freedom (PSUs − strata).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from gender_diag.design._engine import taylor_var
from gender_diag.design._kernel import group_sum
from gender_diag.design.intervals import critical_value
from gender_diag.design.multiple import bh_qvalues
from gender_diag.errors import EstimationError, bad_parameter

__all__ = [
    "CHANGE_COLUMNS",
    "LEVEL_COLUMNS",
    "QUANTITIES",
    "ChangeEstimates",
    "change_estimates",
]

QUANTITIES = ("change_f", "change_m", "change_gap", "did_f", "did_gap")
CHANGE_COLUMNS = [
    "indicator",
    "by",
    "by_value",
    "round_from",
    "round_to",
    "quantity",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "p_value",
    "q_value",
    "n_from",
    "n_to",
]
LEVEL_COLUMNS = ["indicator", "by", "by_value", "round", "quantity", "estimate", "se", "n"]
#: Arm labels of the ``treatment`` disaggregation rows.
ARM_LABELS = ("comparison", "programme")

# Contrast coefficients C[r, s] over (round, sex) with s = 0 women, 1 men.
_RS = {
    "change_f": np.array([[-1.0, 0.0], [1.0, 0.0]]),
    "change_m": np.array([[0.0, -1.0], [0.0, 1.0]]),
    "change_gap": np.array([[-1.0, 1.0], [1.0, -1.0]]),
}
# Levels reported for the charts: each round's women, men and gap.
_LEVELS = {
    ("from", "F"): np.array([[1.0, 0.0], [0.0, 0.0]]),
    ("from", "M"): np.array([[0.0, 1.0], [0.0, 0.0]]),
    ("from", "gap"): np.array([[1.0, -1.0], [0.0, 0.0]]),
    ("to", "F"): np.array([[0.0, 0.0], [1.0, 0.0]]),
    ("to", "M"): np.array([[0.0, 0.0], [0.0, 1.0]]),
    ("to", "gap"): np.array([[0.0, 0.0], [1.0, -1.0]]),
}
# Arm contrasts C[a, r, s] with a = 0 comparison, 1 programme.
_ARS = {
    "did_f": np.stack([-_RS["change_f"], _RS["change_f"]]),
    "did_gap": np.stack([-_RS["change_gap"], _RS["change_gap"]]),
}


@dataclass
class ChangeEstimates:
    """Result of :func:`change_estimates`.

    Attributes
    ----------
    changes : DataFrame
        :data:`CHANGE_COLUMNS`, one row per indicator × place × quantity.
    levels : DataFrame
        :data:`LEVEL_COLUMNS`: each round's estimate for women (``F``), men (``M``) and the
        gap (``gap``), with design SEs from the same stacked design.
    """

    changes: pd.DataFrame
    levels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEVEL_COLUMNS))


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    codes, uniques = pd.factorize(values.astype("string"), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _influence(y0, present, w, cell, G):
    """Domain means (G, k), counts, and row influence values ``w m (y − θ_g)/N_g`` (n, k)."""
    wm = w[:, None] * present
    num = group_sum(cell, G, wm * y0)
    den = group_sum(cell, G, wm)
    cnt = group_sum(cell, G, present.astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(den > 0, num / den, np.nan)
        inv = np.where(den > 0, 1.0 / den, 0.0)
    safe = np.maximum(cell, 0)
    inside = (cell >= 0)[:, None]
    z = np.where(inside, wm * (y0 - np.nan_to_num(est)[safe]) * inv[safe], 0.0)
    return est, cnt, z


def _combine(spec: str, est: np.ndarray, C: np.ndarray) -> np.ndarray:
    """``Σ_g c_g θ_g`` over the cells; NaN when a cell with a non-zero coefficient is empty."""
    value = np.einsum(spec, np.nan_to_num(est), C)
    empty = np.einsum(spec, (~np.isfinite(est)).astype(float), np.abs(C)) > 0
    return np.where(empty, np.nan, value)


def _n_min(cnt: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Smallest cell count among the cells a contrast uses (P·k,), for disclosure control."""
    return cnt[:, np.abs(coef) > 0, :].min(axis=1).ravel()


def _place_codes(data: pd.DataFrame, by: str | None) -> tuple[np.ndarray, list[str]]:
    if by is None:
        return np.zeros(len(data), dtype=np.int64), [""]
    return _codes(data[by])


def _contrast_block(design, z, rows_coef, place, P):
    """Taylor variance (P, q·k) of the contrasts whose row coefficients are ``rows_coef``."""
    Z = np.concatenate([z * c[:, None] for c in rows_coef], axis=1)
    return taylor_var(design, Z, place, P)


def t_inference(est, se, df, confidence):
    crit = float(critical_value(df, confidence=confidence))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(t), max(df, 1)), np.nan)
    return est - crit * se, est + crit * se, p


def change_estimates(
    design,
    variables: Sequence[str],
    *,
    by: Sequence[str | None] = (None,),
    round_col: str = "_round",
    sex_col: str = "sex",
    arm_col: str | None = None,
    rounds: tuple[str, str] = ("from", "to"),
    confidence: float = 0.95,
) -> ChangeEstimates:
    """Change between two rounds of every variable, for women, men, the gap, and arms.

    Parameters
    ----------
    design : SurveyDesign
        Taylor design of the stacked rounds (see :func:`gender_diag.change.stack.stack_frames`):
        shared communities share a PSU, panel households an SSU.
    variables : sequence of str
        Numeric columns (0/1 for proportions), NaN when missing or outside the universe.
    by : sequence of str or None
        Disaggregations; ``None`` is the total. Rows with a missing key are outside.
    round_col : str
        Column holding 0 (round ``rounds[0]``) or 1 (round ``rounds[1]``).
    sex_col : str
        ``"F"``/``"M"`` column; other values are outside every domain.
    arm_col : str, optional
        0/1 column marking programme communities. Adds ``did_f`` and ``did_gap`` rows per
        place, and ``change_*`` rows by arm (``by = "treatment"``).
    rounds : (str, str)
        Names written in ``round_from`` and ``round_to``.
    confidence : float
        Confidence level of the t intervals (design df).

    Returns
    -------
    ChangeEstimates

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [0.0, 1, 1, 1], "sex": ["F", "M", "F", "M"],
    ...                    "_round": [0, 0, 1, 1], "w": 1.0})
    >>> ch = change_estimates(SurveyDesign(df, weight="w"), ["y"]).changes
    >>> ch.set_index("quantity")["estimate"].to_dict()
    {'change_f': 1.0, 'change_m': 0.0, 'change_gap': 1.0}
    """
    owner = "change_estimates"
    if not 0 < confidence < 1:
        raise bad_parameter("confidence", owner, "a number in (0, 1)", confidence)
    if design.is_replicate:
        raise EstimationError(
            f"{owner}: replicate-weight designs cannot be stacked across rounds (their "
            "replicates are not aligned). Fix: use the Taylor design (strata, PSUs, fpc)."
        )
    variables = list(variables)
    data = design.data
    n = len(data)
    w = np.where(design.domain_mask, design.weights, 0.0)
    y = data[variables].to_numpy(dtype=float, na_value=np.nan) if variables else np.empty((n, 0))
    present = np.isfinite(y)
    y0 = np.where(present, y, 0.0)
    k = len(variables)
    r = pd.to_numeric(data[round_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if not np.isin(r[np.isfinite(r)], (0, 1)).all():
        raise bad_parameter(round_col, owner, "a column of 0 (from) and 1 (to)", "other values")
    r = np.where(np.isfinite(r), r, -1).astype(np.int64)
    sx = data[sex_col].astype("string")
    s = np.where(sx.eq("F").fillna(False), 0, np.where(sx.eq("M").fillna(False), 1, -1))
    ok = (r >= 0) & (s >= 0)
    df_design = int(design.df)
    arm = None
    if arm_col is not None:
        a = pd.to_numeric(data[arm_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        arm = np.where(np.isfinite(a), a, -1).astype(np.int64)
        arm_label = np.where(
            arm >= 0, np.asarray(ARM_LABELS, dtype=object)[np.maximum(arm, 0)], None
        )
        data = data.assign(treatment=pd.array(arm_label, dtype="string"))
        by = [*by, "treatment"] if "treatment" not in by else list(by)

    change_rows, level_rows = [], []
    for b in by:
        place, names = _place_codes(data, b)
        P = len(names)
        if P == 0:
            continue
        good = ok & (place >= 0)
        # partition by place × round × sex
        cell = np.where(good, (place * 2 + r) * 2 + s, -1)
        est, cnt, z = _influence(y0, present, w, cell, P * 4)
        est = est.reshape(P, 2, 2, k)
        cnt = cnt.reshape(P, 2, 2, k)
        safe_r, safe_s = np.maximum(r, 0), np.maximum(s, 0)
        coefs = {q: np.where(good, c[safe_r, safe_s], 0.0) for q, c in {**_RS, **_LEVELS}.items()}
        var = _contrast_block(design, z, list(coefs.values()), np.where(good, place, -1), P)
        var = var.reshape(P, len(coefs), k)
        label = "total" if b is None else b
        for qi, (q, C) in enumerate({**_RS, **_LEVELS}.items()):
            value = _combine("prsk,rs->pk", est, C)
            se = np.sqrt(var[:, qi, :])
            used = np.abs(C) > 0
            n_from = np.einsum("psk,s->pk", cnt[:, 0], used[0].astype(float))
            n_to = np.einsum("psk,s->pk", cnt[:, 1], used[1].astype(float))
            frame = {
                "indicator": np.tile(variables, P),
                "by": label,
                "by_value": np.repeat(names, k),
                "estimate": value.ravel(),
                "se": se.ravel(),
            }
            frame["n_min"] = _n_min(cnt.reshape(P, 4, k), C.ravel())
            if isinstance(q, tuple):
                frame.update(
                    round=rounds[0] if q[0] == "from" else rounds[1],
                    quantity=q[1],
                    n=(n_from if q[0] == "from" else n_to).ravel(),
                )
                level_rows.append(pd.DataFrame(frame))
            else:
                frame.update(quantity=q, n_from=n_from.ravel(), n_to=n_to.ravel())
                change_rows.append(pd.DataFrame(frame))
        if arm is None or b == "treatment":
            continue
        # partition by place × arm × round × sex for the programme contrasts
        good_a = good & (arm >= 0)
        cell = np.where(good_a, ((place * 2 + arm) * 2 + r) * 2 + s, -1)
        est, cnt, z = _influence(y0, present, w, cell, P * 8)
        est = est.reshape(P, 2, 2, 2, k)
        cnt = cnt.reshape(P, 2, 2, 2, k)
        safe_a = np.maximum(arm, 0)
        coefs = [np.where(good_a, c[safe_a, safe_r, safe_s], 0.0) for c in _ARS.values()]
        var = _contrast_block(design, z, coefs, np.where(good_a, place, -1), P)
        var = var.reshape(P, len(coefs), k)
        for qi, (q, C) in enumerate(_ARS.items()):
            used = (np.abs(C) > 0).astype(float)
            change_rows.append(
                pd.DataFrame(
                    {
                        "indicator": np.tile(variables, P),
                        "by": label,
                        "by_value": np.repeat(names, k),
                        "quantity": q,
                        "estimate": _combine("parsk,ars->pk", est, C).ravel(),
                        "se": np.sqrt(var[:, qi, :]).ravel(),
                        "n_from": np.einsum("pask,as->pk", cnt[:, :, 0], used[:, 0]).ravel(),
                        "n_to": np.einsum("pask,as->pk", cnt[:, :, 1], used[:, 1]).ravel(),
                        "n_min": _n_min(cnt.reshape(P, 8, k), C.ravel()),
                    }
                )
            )

    changes = _finish(change_rows, rounds, df_design, confidence, [*CHANGE_COLUMNS, "n_min"])
    levels = (
        pd.concat(level_rows, ignore_index=True)
        if level_rows
        else pd.DataFrame(columns=LEVEL_COLUMNS)
    )
    levels = levels.loc[np.isfinite(levels["estimate"].to_numpy(dtype=float))]
    levels["n"] = levels["n"].astype(np.int64)
    return ChangeEstimates(changes=changes, levels=levels[LEVEL_COLUMNS].reset_index(drop=True))


def _finish(rows, rounds, df, confidence, columns) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.concat(rows, ignore_index=True)
    out = out.loc[np.isfinite(out["estimate"].to_numpy(dtype=float))].reset_index(drop=True)
    est = out["estimate"].to_numpy(dtype=float)
    se = out["se"].to_numpy(dtype=float)
    lo, hi, p = t_inference(est, se, df, confidence)
    out["ci_low"], out["ci_high"], out["p_value"] = lo, hi, p
    out["df"] = df
    out["round_from"], out["round_to"] = rounds
    for c in ("n_from", "n_to", "n_min"):
        out[c] = out[c].astype(np.int64)
    # Benjamini–Hochberg within each quantity: each is its own family of questions
    out["q_value"] = np.nan
    for _, idx in out.groupby("quantity", sort=False).groups.items():
        out.loc[idx, "q_value"] = bh_qvalues(out.loc[idx, "p_value"].to_numpy(dtype=float))
    order = {q: i for i, q in enumerate(QUANTITIES)}
    out = out.assign(_q=out["quantity"].map(order))
    out = out.sort_values(["indicator", "by", "by_value", "_q"], kind="stable")
    return out[columns].reset_index(drop=True)
