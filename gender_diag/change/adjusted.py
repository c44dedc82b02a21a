r"""Adjusted change: a survey GLM with round × sex (× programme) interactions and controls.

The raw change of :mod:`gender_diag.change.estimate` mixes the effect of time with changes
in who was interviewed (a follow-up with younger respondents, say). The adjusted version fits
one survey-weighted GLM per indicator on the stacked rounds,

.. math:: g(\mu) = \beta_0 + \beta_r r + \beta_f f + \beta_{rf} r f
          \;[+\, \beta_a a + \beta_{ra} r a + \beta_{fa} f a + \beta_{rfa} r f a]
          + \gamma' x,

(logit for 0/1 indicators, identity otherwise; :func:`gender_diag.design.models.svyglm_fit`,
design-based sandwich variance with strata, PSUs and fpc of the stacked design) and reports
**average marginal effects**: ``change_f`` is the mean over the women of the stacked sample of
:math:`\hat\mu(r{=}1) - \hat\mu(r{=}0)` with their covariates kept; ``change_m`` likewise for
men; ``change_gap`` their difference; ``did_f`` and ``did_gap`` the same contrasts between
programme and comparison women (and men). The SE of each AME and of every contrast between
AMEs comes from one linearisation: the influence of an AME is
:math:`w_i (d_i - \widehat{AME}) / W + \ell_i' \nabla_\beta AME` with :math:`\ell_i` the
influence of :math:`\hat\beta`, and the contrasts' influence values are combined before the
Taylor kernel (:meth:`SurveyDesign.vcov_total`). df = design df − p + 1 (R ``svyglm``).

Sources: Binder (1983); Lumley (2010) ch. 5; average marginal effects as Stata ``margins,
dydx()`` with ``vce(linearized)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from gender_diag.design.models import svyglm_fit
from gender_diag.errors import EstimationError

__all__ = ["adjusted_changes"]

_TERMS = ["_r", "_f", "_rf"]
_ARM_TERMS = ["_a", "_ra", "_fa", "_rfa"]


def _setting(X, terms, *, r, f, a):
    """Copy of ``X`` with the round / sex / arm columns set (vectors or scalars)."""
    out = X.copy()
    values = {"_r": r, "_f": f, "_rf": r * f, "_a": a, "_ra": r * a, "_fa": f * a,
              "_rfa": r * f * a}  # fmt: skip
    for name, v in values.items():
        if name in terms:
            out[:, terms.index(name)] = v
    return out


def _ame(fit, mask):
    """AME of the round within ``mask``: estimate and its row influence values."""
    it = fit._internals
    X, w, used = it["X"], it["w"], it["used"]
    terms = fit.terms
    rows = used & mask
    W = w[rows].sum()
    if W <= 0:
        return np.nan, np.zeros(len(w))
    f = X[:, terms.index("_f")]
    a = X[:, terms.index("_a")] if "_a" in terms else np.zeros(len(w))
    X1 = _setting(X, terms, r=1.0, f=f, a=a)
    X0 = _setting(X, terms, r=0.0, f=f, a=a)
    if fit.family == "binomial":
        p1, p0 = special.expit(X1 @ fit.coef), special.expit(X0 @ fit.coef)
        g1, g0 = p1 * (1 - p1), p0 * (1 - p0)
    else:
        p1, p0 = X1 @ fit.coef, X0 @ fit.coef
        g1, g0 = np.ones(len(w)), np.ones(len(w))
    d = p1 - p0
    wr = np.where(rows, w, 0.0)
    ame = float(wr @ d / W)
    grad = (X1 * (wr * g1)[:, None] - X0 * (wr * g0)[:, None]).sum(axis=0) / W
    z = wr * (d - ame) / W + it["influence"] @ grad
    return ame, z


def adjusted_changes(
    design,
    variables: Sequence[str],
    *,
    controls: Sequence[str] = (),
    round_col: str = "_round",
    sex_col: str = "sex",
    arm_col: str | None = None,
    rounds: tuple[str, str] = ("from", "to"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Covariate-adjusted change (AMEs from a survey GLM) for every variable, total level.

    Parameters
    ----------
    design : SurveyDesign
        Stacked design of the two rounds (as for :func:`change_estimates`).
    variables : sequence of str
        Indicator columns; 0/1 columns get a logistic model, others a linear one.
    controls : sequence of str
        Covariate columns (numeric, or categorical entered as treatment dummies).
    round_col, sex_col, arm_col, rounds, confidence
        As in :func:`gender_diag.change.change_estimates`.

    Returns
    -------
    DataFrame
        Same columns as :func:`change_estimates` (``q_value`` left to the caller) plus
        ``family`` and ``separation`` (logistic fit with probabilities numerically 0 or 1);
        one row per variable × quantity. Indicators whose model cannot be fitted are left out.

    Examples
    --------
    >>> from gender_diag.design import SurveyDesign
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"_round": np.repeat([0, 1], 200), "sex": np.tile(["F", "M"], 200),
    ...                    "w": 1.0, "y": rng.normal(size=400)})
    >>> df.loc[(df._round == 1) & (df.sex == "F"), "y"] += 1
    >>> out = adjusted_changes(SurveyDesign(df, weight="w"), ["y"]).set_index("quantity")
    >>> bool(abs(out.loc["change_f", "estimate"] - 1) < 0.3)
    True
    """
    from gender_diag.change.estimate import t_inference

    data = design.data
    r = pd.to_numeric(data[round_col], errors="coerce").to_numpy(dtype=float)
    sx = data[sex_col].astype("string")
    f = np.where(sx.eq("F").fillna(False), 1.0, np.where(sx.eq("M").fillna(False), 0.0, np.nan))
    cols = {"_r": r, "_f": f, "_rf": r * f}
    if arm_col is not None:
        a = pd.to_numeric(data[arm_col], errors="coerce").to_numpy(dtype=float)
        cols.update({"_a": a, "_ra": r * a, "_fa": f * a, "_rfa": r * f * a})
    # the same design over the data plus the interaction columns (rows and roles unchanged)
    aug = type(design).from_spec(data.assign(**cols), design.spec)
    terms = [*cols, *controls]
    rows = []
    for v in variables:
        y = pd.to_numeric(data[v], errors="coerce").to_numpy(dtype=float)
        binary = bool(np.isin(y[np.isfinite(y)], (0.0, 1.0)).all())
        family = "binomial" if binary else "gaussian"
        try:
            with warnings.catch_warnings():
                # separation is reported in the `separation` column; AMEs remain usable
                warnings.simplefilter("ignore", RuntimeWarning)
                fit = svyglm_fit(aug, v, x=terms, family=family, confidence=confidence)
        except (EstimationError, np.linalg.LinAlgError):
            continue  # too few rows or a constant cell: no adjusted estimate
        female, male = f == 1, f == 0
        masks = {"change_f": female, "change_m": male}
        if arm_col is not None:
            arm = aug._data["_a"].to_numpy()
            masks.update({"f1": female & (arm == 1), "f0": female & (arm == 0),
                          "m1": male & (arm == 1), "m0": male & (arm == 0)})  # fmt: skip
        ames, zs = {}, []
        for key, mask in masks.items():
            ames[key], z = _ame(fit, mask)
            zs.append(z)
        V = np.asarray(aug.vcov_total(np.column_stack(zs)))
        keys = list(masks)
        contrasts = {
            "change_f": {"change_f": 1.0},
            "change_m": {"change_m": 1.0},
            "change_gap": {"change_f": 1.0, "change_m": -1.0},
        }
        if arm_col is not None:
            contrasts["did_f"] = {"f1": 1.0, "f0": -1.0}
            contrasts["did_gap"] = {"f1": 1.0, "f0": -1.0, "m1": -1.0, "m0": 1.0}
        for q, c in contrasts.items():
            vec = np.array([c.get(k, 0.0) for k in keys])
            est = float(sum(ames[k] * wgt for k, wgt in c.items()))
            se = float(np.sqrt(max(vec @ V @ vec, 0.0)))
            lo, hi, p = t_inference(np.array([est]), np.array([se]), fit.df, confidence)
            rows.append({
                "indicator": v, "by": "total", "by_value": "", "round_from": rounds[0],
                "round_to": rounds[1], "quantity": q, "estimate": est, "se": se,
                "ci_low": lo[0], "ci_high": hi[0], "df": fit.df, "p_value": p[0],
                "family": family, "separation": fit.separation,
            })  # fmt: skip
    return pd.DataFrame(rows)
