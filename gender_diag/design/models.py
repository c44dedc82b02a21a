r"""Survey-weighted regression: adjusted gaps between women and men.

A raw gap (women's share minus men's share) mixes the effect of sex with differences in age,
schooling or district. The adjusted gap is the sex coefficient of a survey-weighted
regression of the indicator on sex plus controls:

* point estimates are the weighted (pseudo-)maximum-likelihood estimates, solving
  :math:`\sum_i w_i x_i (y_i - \mu_i(\beta)) = 0` (logistic: :math:`\mu = 1/(1+e^{-x'\beta})`;
  linear: :math:`\mu = x'\beta`) — the same numbers as statsmodels ``GLM`` with
  ``freq_weights`` or R ``svyglm``;
* the variance is the design-based sandwich (Binder 1983)

  .. math:: \hat V(\hat\beta) = A^{-1} B A^{-1},\quad
            A = \sum_i w_i v_i x_i x_i',\quad
            B = \widehat{\mathrm{Var}}_{\mathrm{design}}\Big(\sum_i w_i x_i (y_i-\hat\mu_i)\Big),

  with :math:`v_i = \hat\mu_i(1-\hat\mu_i)` (logistic) or 1 (linear). :math:`B` is computed by
  :meth:`SurveyDesign.vcov_total` on the influence columns :math:`A^{-1} w_i x_i(y_i-\hat\mu_i)`,
  so strata, PSUs, fpc and lonely-PSU rules are those of the design. Rows with a missing value
  keep their PSU with a zero contribution (R ``svyglm(na.action = na.omit)`` pads absent PSUs
  with zeros the same way);
* on replicate-weight designs the model is refitted for every replicate column (all columns at
  once, vectorised Newton steps started at the full-sample estimate) and the variance comes from
  :meth:`SurveyDesign.vcov_replicates`;
* t tests and intervals use :math:`\mathrm{df} = \mathrm{df}_{\mathrm{design}} - p + 1` as
  R ``summary.svyglm`` does (residual df of ``svyglm``: ``degf(design) + 1 - length(coef)``).

Sources: Binder, D. A. (1983) On the variances of asymptotically normal estimators from
complex surveys, Int. Stat. Review 51:279–292; Lumley, T. (2010) Complex Surveys, ch. 5;
R package ``survey``, ``svyglm``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from gender_diag.errors import DesignError, EstimationError, bad_parameter

__all__ = ["SvyGLMFit", "adjusted_gap", "svyglm", "svyglm_fit"]

_FAMILIES = ("binomial", "gaussian")


# ----------------------------------------------------------------------------------------------
# model matrix
# ----------------------------------------------------------------------------------------------
def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def _column(data: pd.DataFrame, name: str, owner: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(
            f"{owner}: column {name!r} is not in the survey data. "
            f"Available columns: {', '.join(map(str, data.columns[:30]))}"
            f"{' ...' if len(data.columns) > 30 else ''}. Check the spelling."
        )
    return data[name]


def _numeric(s: pd.Series, name: str, owner: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if not pd.api.types.is_numeric_dtype(s):
        raise EstimationError(
            f"{owner}: the outcome {name!r} must be numeric (0/1 for a logistic model); "
            f"got values of type {s.dtype}. Recode it as an indicator first."
        )
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _matrix_from_columns(
    data: pd.DataFrame, columns, owner: str, references: dict | None = None, rows=None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Intercept + numeric columns + treatment dummies; returns (X, term names, missing mask).

    Categorical levels are those seen among ``rows`` (the domain), so a level present only
    outside the domain does not create an all-zero column.
    """
    references = references or {}
    n = len(data)
    rows = np.ones(n, dtype=bool) if rows is None else rows
    blocks = [np.ones((n, 1))]
    names = ["Intercept"]
    missing = np.zeros(n, dtype=bool)
    for col in columns:
        s = _column(data, col, owner)
        if _is_categorical(s):
            miss = s.isna().to_numpy()
            levels = sorted(pd.unique(s[~miss & rows]).tolist(), key=str)
            ref = references.get(col, levels[0] if levels else None)
            if ref not in levels:
                raise bad_parameter(f"reference for {col!r}", owner, f"one of {levels}", ref)
            values = s.to_numpy(dtype=object)
            for lev in levels:
                if lev == ref:
                    continue
                blocks.append((values == lev).astype(float)[:, None])
                names.append(f"{col}[T.{lev}]")
            missing |= miss
        else:
            v = _numeric(s, col, owner)
            missing |= np.isnan(v)
            blocks.append(np.nan_to_num(v)[:, None])
            names.append(str(col))
    return np.hstack(blocks), names, missing


def _matrix_from_formula(data: pd.DataFrame, formula: str, owner: str):
    import patsy  # statsmodels dependency; imported lazily so the module loads fast

    frame = data.reset_index(drop=True)
    try:
        y, X = patsy.dmatrices(
            formula, frame, NA_action="drop", return_type="dataframe", eval_env=1
        )
    except patsy.PatsyError as exc:
        raise EstimationError(f"{owner}: cannot build the model from {formula!r}: {exc}") from exc
    if y.shape[1] != 1:
        raise EstimationError(
            f"{owner}: the left-hand side of {formula!r} gives {y.shape[1]} columns "
            f"({', '.join(y.columns)}); use one numeric or 0/1 outcome."
        )
    n = len(frame)
    used = np.zeros(n, dtype=bool)
    used[X.index.to_numpy()] = True
    Xf = np.zeros((n, X.shape[1]))
    Xf[used] = X.to_numpy(dtype=float)
    yf = np.full(n, np.nan)
    yf[used] = y.to_numpy(dtype=float)[:, 0]
    return yf, Xf, [str(c) for c in X.columns], ~used, str(y.columns[0])


# ----------------------------------------------------------------------------------------------
# fitting (vectorised over weight columns)
# ----------------------------------------------------------------------------------------------
def _fit(X, y, W, family, beta0=None, *, max_iter=50, tol=1e-10, owner="svyglm", names=()):
    """Weighted (pseudo-)ML for every column of W at once; returns (R, p) coefficients.

    ``y`` must be 0 where a row is unused and ``W`` zero there.
    """
    n, p = X.shape
    iu, ju = np.triu_indices(p)
    XX = X[:, iu] * X[:, ju]  # (n, p(p+1)/2): one GEMM gives every X'WX

    def unpack(h):
        H = np.empty((h.shape[0], p, p))
        H[:, iu, ju] = h
        H[:, ju, iu] = h
        return H

    def solve(H, g):
        try:
            return np.linalg.solve(H, g[..., None])[..., 0]
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                f"{owner}: the model matrix is singular (terms {', '.join(names)}): a term is "
                "constant or a combination of others among the rows used. Drop or merge it."
            ) from exc

    if family == "gaussian":
        return solve(unpack(W.T @ XX), (W * y[:, None]).T @ X)

    def deviance(B):
        eta = X @ B.T
        ll = y[:, None] * special.log_expit(eta) + (1 - y[:, None]) * special.log_expit(-eta)
        return -2 * (W * ll).sum(0)

    R = W.shape[1]
    B = np.zeros((R, p)) if beta0 is None else np.repeat(np.atleast_2d(beta0), R, axis=0)
    dev = deviance(B)
    for it in range(max_iter):
        mu = special.expit(X @ B.T)  # (n, R)
        step = solve(unpack((W * mu * (1 - mu)).T @ XX), (W * (y[:, None] - mu)).T @ X)
        new = B + step
        new_dev = deviance(new)
        for _ in range(30):  # step halving where the deviance went up (R glm.fit does this)
            worse = new_dev > dev * (1 + 1e-12) + 1e-12
            if not worse.any():
                break
            step[worse] /= 2
            new[worse] = B[worse] + step[worse]
            new_dev[worse] = deviance(new[worse])
        change = np.max(np.abs(new_dev - dev) / (np.abs(new_dev) + 0.1))
        B, dev = new, new_dev
        if np.max(np.abs(step)) <= tol * (1 + np.max(np.abs(B))):
            return B
        # Quasi-complete separation: some coefficients drift to infinity while the deviance
        # no longer moves. Like R glm.fit, accept the fit (flagged by the caller).
        if it >= 20 and change < 1e-10:
            return B
    raise EstimationError(
        f"{owner}: the logistic model did not converge in {max_iter} iterations. Check for "
        "complete separation (a group or a range of a control with only 0s or only 1s): "
        "merge categories or drop the control."
    )


@dataclass
class SvyGLMFit:
    """A fitted survey-weighted GLM.

    Attributes
    ----------
    terms : list of str
        Column names of the model matrix (``"Intercept"`` first).
    coef : numpy.ndarray
        Estimates, shape (p,).
    vcov : numpy.ndarray
        Design-based covariance, shape (p, p).
    df : float
        Degrees of freedom of the t tests (``inf`` = normal).
    family : str
        ``"binomial"`` (logit link) or ``"gaussian"`` (identity link).
    n : int
        Rows used (non-missing outcome and predictors, inside the domain).
    n_missing : int
        Rows of the domain left out because of a missing value (their PSUs still count).
    outcome : str
        Name of the outcome.
    confidence : float
        Confidence level of the intervals.
    separation : bool
        Logistic fit with fitted probabilities numerically 0 or 1 (quasi-complete
        separation): coefficients drift to ±infinity and their SEs are meaningless.
    """

    terms: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    df: float
    family: str
    n: int
    n_missing: int
    outcome: str
    confidence: float = 0.95
    separation: bool = False
    _internals: dict = field(default_factory=dict, repr=False)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vcov), 0, None))

    def table(self) -> pd.DataFrame:
        """Tidy coefficient table (one row per term)."""
        return _coef_table(
            self.terms,
            self.coef,
            self.se,
            self.df,
            self.confidence,
            self.family,
            self.n,
            self.outcome,
        )


def _t_inference(est, se, df, confidence) -> dict:
    """t statistics, two-sided p-values and intervals with ``df`` (``inf`` = normal)."""
    est, se = np.asarray(est, dtype=float), np.asarray(se, dtype=float)
    # scipy's frozen distributions are slow to build: call the methods with df directly
    finite = np.isfinite(df)
    q = stats.t.ppf(0.5 + confidence / 2, df) if finite else stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, est / se, np.nan)
    p = 2 * (stats.t.sf(np.abs(t), df) if finite else stats.norm.sf(np.abs(t)))
    return {"ci_low": est - q * se, "ci_high": est + q * se, "t": t, "p_value": p}


def _coef_columns(terms, est, se, df, confidence, family, n, outcome) -> dict:
    inf = _t_inference(est, se, df, confidence)
    cols = {
        "variable": [outcome] * len(terms),
        "term": list(terms),
        "estimate": np.asarray(est, dtype=float),
        "se": np.asarray(se, dtype=float),
        "ci_low": inf["ci_low"],
        "ci_high": inf["ci_high"],
        "df": np.full(len(terms), float(df)),
        "t": inf["t"],
        "p_value": inf["p_value"],
        "n": np.full(len(terms), int(n)),
    }
    if family == "binomial":
        cols["odds_ratio"] = np.exp(cols["estimate"])
        cols["or_ci_low"] = np.exp(cols["ci_low"])
        cols["or_ci_high"] = np.exp(cols["ci_high"])
    return cols


def _coef_table(terms, est, se, df, confidence, family, n, outcome) -> pd.DataFrame:
    return pd.DataFrame(_coef_columns(terms, est, se, df, confidence, family, n, outcome))


def _domain_mask(design, domain, n, owner) -> np.ndarray:
    if domain is None:
        return np.ones(n, dtype=bool)
    if isinstance(domain, str):
        s = _column(design.data, domain, owner)
    else:
        s = pd.Series(np.asarray(domain))
    if len(s) != n:
        raise bad_parameter("domain", owner, f"a boolean mask of length {n}", f"length {len(s)}")
    if s.isna().any():
        raise bad_parameter("domain", owner, "a boolean mask without missing values", "NA")
    if not pd.api.types.is_bool_dtype(s):
        raise bad_parameter("domain", owner, "a boolean mask or boolean column", str(s.dtype))
    return s.to_numpy(dtype=bool)


def _replicate_weights(design):
    if not getattr(design, "is_replicate", False):
        return None
    return np.asarray(design.replicate_weights, dtype=float)


def _model_data(data, formula_or_y, x, references, rows):
    """Outcome, design matrix, term names, missing mask and outcome name of a model."""
    owner = "svyglm"
    if "~" in formula_or_y:
        if x is not None:
            raise bad_parameter("x", owner, "None when a formula is given", x)
        return _matrix_from_formula(data, formula_or_y, owner)
    outcome = formula_or_y
    y = _numeric(_column(data, outcome, owner), outcome, owner)
    cols = [x] if isinstance(x, str) else list(x or [])
    X, terms, missing = _matrix_from_columns(data, cols, owner, references, rows)
    return y, X, terms, missing | np.isnan(y), outcome


def _separation(family, used, mu, outcome, owner) -> bool:
    """Quasi-complete separation of a logistic fit (warned once)."""
    separation = bool(family == "binomial" and np.any(used & ((mu < 1e-8) | (mu > 1 - 1e-8))))
    if separation:
        warnings.warn(
            f"{owner}: fitted probabilities numerically 0 or 1 in the model of {outcome!r} "
            "(quasi-complete separation): some coefficients and their SEs are not meaningful; "
            "average marginal effects remain usable. Consider merging categories.",
            RuntimeWarning,
            stacklevel=3,
        )
    return separation


def _model_df(design, p: int, owner: str) -> float:
    """Residual design degrees of freedom of a model with ``p`` terms (R ``svyglm``)."""
    df = float(design.df) - p + 1
    if df < 1:
        raise EstimationError(
            f"{owner}: the design has {design.df} degrees of freedom, too few for {p} "
            "model terms. Use fewer controls."
        )
    return df


def svyglm_fit(
    design,
    formula_or_y: str,
    *,
    x=None,
    family: str = "binomial",
    domain=None,
    references: dict | None = None,
    confidence: float = 0.95,
    df: float | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> SvyGLMFit:
    """Fit a survey-weighted GLM and keep what later steps need; see :func:`svyglm`."""
    owner = "svyglm"
    if family not in _FAMILIES:
        raise bad_parameter("family", owner, "'binomial' or 'gaussian'", family)
    if not 0 < confidence < 1:
        raise bad_parameter("confidence", owner, "a number between 0 and 1", confidence)
    data = design.data
    n = len(data)
    w = np.asarray(design.weights, dtype=float)
    dom = _domain_mask(design, domain, n, owner)
    base = getattr(design, "domain_mask", None)  # a design made by SurveyDesign.subset()
    if base is not None:
        dom = dom & np.asarray(base, dtype=bool)

    y, X, terms, missing, outcome = _model_data(data, formula_or_y, x, references, dom & (w > 0))
    used = dom & ~missing & (w > 0)
    n_used = int(used.sum())
    p = X.shape[1]
    if n_used <= p:
        raise EstimationError(
            f"{owner}: only {n_used} complete rows for {p} model terms ({', '.join(terms)}) "
            f"in the model of {outcome!r}."
        )
    y = np.where(used, y, 0.0)
    X = np.where(used[:, None], X, 0.0)
    if family == "binomial" and ((y < 0) | (y > 1)).any():
        raise EstimationError(
            f"{owner}: a logistic model needs an outcome coded 0/1 (or a share in [0, 1]); "
            f"{outcome!r} has values outside [0, 1]. Use family='gaussian' or recode it."
        )
    wu = np.where(used, w, 0.0)
    beta = _fit(X, y, wu[:, None], family, max_iter=max_iter, tol=tol, owner=owner, names=terms)[0]

    eta = X @ beta
    mu = special.expit(eta) if family == "binomial" else eta
    separation = _separation(family, used, mu, outcome, owner)
    v = mu * (1 - mu) if family == "binomial" else np.ones(n)
    Ainv = np.linalg.inv((X * (wu * v)[:, None]).T @ X)
    influence = (X * (wu * (y - mu))[:, None]) @ Ainv  # rows outside `used` are exactly 0

    rw = _replicate_weights(design)
    if rw is None:
        V = np.asarray(design.vcov_total(influence), dtype=float)
        reps = None
    else:
        Wr = np.where(used[:, None], rw, 0.0)
        reps = _fit(X, y, Wr, family, beta, max_iter=max_iter, tol=tol, owner=owner, names=terms)
        V = np.asarray(design.vcov_replicates(beta, reps), dtype=float)

    df = _model_df(design, p, owner) if df is None else df
    return SvyGLMFit(
        terms=terms,
        coef=beta,
        vcov=V,
        df=float(df),
        family=family,
        n=n_used,
        n_missing=int((dom & missing).sum()),
        outcome=outcome,
        confidence=confidence,
        separation=separation,
        _internals={"X": X, "y": y, "w": wu, "used": used, "Ainv": Ainv,
                    "influence": influence, "reps": reps, "rw": rw},
    )  # fmt: skip


def svyglm(
    design,
    formula_or_y: str,
    *,
    x=None,
    family: str = "binomial",
    domain=None,
    references: dict | None = None,
    confidence: float = 0.95,
    df: float | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> pd.DataFrame:
    r"""Survey-weighted logistic or linear regression with design-based standard errors.

    Parameters
    ----------
    design : SurveyDesign
        Linearisation design (uses ``vcov_total``) or replicate-weight design (refits the
        model for every replicate column).
    formula_or_y : str
        Either a patsy formula (``"owns_land ~ C(sex, Treatment('M')) + age"``) or the name of
        the outcome column, the predictors then given by ``x``.
    x : str or list of str, optional
        Predictor columns when ``formula_or_y`` is a column name. Numeric and boolean columns
        enter as they are; text/categorical columns as treatment dummies (first level in
        sorted order is the reference unless ``references`` says otherwise). An intercept is
        always included.
    family : {"binomial", "gaussian"}
        Logistic (logit link; outcome 0/1 or a share in [0, 1] — quasi-binomial) or linear.
    domain : str or array of bool, optional
        Subpopulation (boolean column or mask): rows outside keep their PSU with zero
        contribution, as R's ``subset(design, ...)``.
    references : dict, optional
        Reference level per categorical predictor, e.g. ``{"sex": "M"}``.
    confidence : float
        Confidence level of the intervals (0.95).
    df : float, optional
        Degrees of freedom of the t tests; default design df − p + 1 (R ``summary.svyglm``);
        ``numpy.inf`` gives normal intervals.
    max_iter, tol : int, float
        Newton iteration controls (logistic only).

    Returns
    -------
    pandas.DataFrame
        One row per term: ``variable, term, estimate, se, ci_low, ci_high, df, t, p_value, n``
        and, for ``family="binomial"``, ``odds_ratio, or_ci_low, or_ci_high``.

    Notes
    -----
    See the module docstring for the estimator and the sandwich variance. Reference:
    ``summary(svyglm(api00 ~ ell + meals + mobility, design = dclus2))`` in the R ``survey``
    regression example gives ell −2.0592 (SE 1.4075); the test suite reproduces it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1., 3., 2., 5., 4., 6.], "x": [0., 1., 0., 1., 0., 1.],
    ...                    "psu": [1, 1, 2, 2, 3, 3], "w": [1., 1., 2., 2., 1., 1.]})
    >>> d = SurveyDesign(df, weight="w", psu="psu")
    >>> svyglm(d, "y", x="x", family="gaussian")[["term", "estimate"]].round(3)
            term  estimate
    0  Intercept      2.25
    1          x      2.50
    """
    return svyglm_fit(
        design,
        formula_or_y,
        x=x,
        family=family,
        domain=domain,
        references=references,
        confidence=confidence,
        df=df,
        max_iter=max_iter,
        tol=tol,
    ).table()


def adjusted_gap(
    design,
    y: str,
    *,
    sex: str = "sex",
    controls=(),
    reference: str = "M",
    family: str | None = None,
    domain=None,
    confidence: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    r"""Gap between women and men adjusted for controls, with design-based inference.

    Fits ``y ~ sex + controls`` by :func:`svyglm` and reports the sex coefficient (focal sex
    vs ``reference``). For a logistic model it also reports the *average marginal effect*
    (AME) of sex on the probability scale, the adjusted counterpart of the raw F − M
    difference in shares:

    .. math:: \mathrm{AME} = \frac{\sum_i w_i\,[\Lambda(x_i^{F\prime}\hat\beta)
              - \Lambda(x_i^{M\prime}\hat\beta)]}{\sum_i w_i},

    where :math:`x_i^{F}` / :math:`x_i^{M}` are row *i*'s covariates with sex set to the
    focal / reference value. Its linearised influence is
    :math:`z_i = w_i (d_i - \mathrm{AME})/\sum w + g' A^{-1} w_i x_i (y_i-\hat\mu_i)` with
    :math:`g = \partial\mathrm{AME}/\partial\beta`, and its variance is
    ``design.vcov_total(z)`` (replicate designs: the AME recomputed per replicate).
    For a linear model the AME equals the coefficient.

    Parameters
    ----------
    design : SurveyDesign
    y : str
        Outcome column (0/1 indicator or numeric).
    sex : str
        Column holding the two groups (``"F"``/``"M"``).
    controls : sequence of str
        Control columns (numeric as they are, categorical as dummies).
    reference : str
        Reference group; the other value of ``sex`` is the focal group.
    family : {"binomial", "gaussian"}, optional
        Default: ``"binomial"`` when ``y`` only takes values 0 and 1, else ``"gaussian"``.
    domain, confidence, df
        As in :func:`svyglm`.

    Returns
    -------
    pandas.DataFrame
        One row: ``variable, focal, reference, family, term, estimate, se, ci_low, ci_high,
        df, t, p_value, n, n_missing, separation`` (+ ``odds_ratio, or_ci_low, or_ci_high``
        for logit) and ``ame, ame_se, ame_ci_low, ame_ci_high, ame_t, ame_p_value``.
        ``separation`` flags a logistic fit with fitted probabilities numerically 0 or 1:
        the coefficient is then meaningless but the AME is still estimable.

    Examples
    --------
    >>> import pandas as pd
    >>> from gender_diag.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1., 3., 2., 5., 4., 6.], "sex": list("MFMFMF"),
    ...                    "psu": [1, 1, 2, 2, 3, 3], "w": [1., 1., 2., 2., 1., 1.]})
    >>> d = SurveyDesign(df, weight="w", psu="psu")
    >>> g = adjusted_gap(d, "y", family="gaussian")
    >>> g[["focal", "reference", "estimate", "ame"]].round(3)
      focal reference  estimate  ame
    0     F         M       2.5  2.5
    """
    owner = "adjusted_gap"
    focal, controls, family = _gap_setup(design.data, y, sex, controls, reference, family)
    fit = svyglm_fit(
        design,
        y,
        x=[sex, *controls],
        family=family,
        domain=domain,
        references={sex: reference},
        confidence=confidence,
        df=df,
    )
    term = f"{sex}[T.{focal}]"
    ref_col = fit.terms.index(term) if term in fit.terms else None
    if ref_col is None or fit._internals["X"][fit._internals["used"], ref_col].min() != 0:
        raise EstimationError(
            f"{owner}: the rows used for {y!r} do not hold both {focal!r} and {reference!r} "
            f"in {sex!r} (domain or missing values); no gap can be estimated."
        )
    k = fit.terms.index(term)
    cols = _coef_columns(
        fit.terms, fit.coef, fit.se, fit.df, confidence, family, fit.n, fit.outcome
    )  # built as plain arrays: this runs once per indicator in the indicators stage
    row = {name: values[k : k + 1] for name, values in cols.items()}
    if family == "gaussian":
        ame, ame_se = float(fit.coef[k]), float(fit.se[k])
    else:
        ame, ame_se = _ame_logit(design, fit, k)
    inf = _t_inference([ame], [ame_se], fit.df, confidence)
    head = {"variable": row.pop("variable"), "focal": [focal], "reference": [reference],
            "family": [family]}  # fmt: skip
    row = head | row | {"n_missing": [fit.n_missing], "separation": [fit.separation]}
    row |= {"ame": [ame], "ame_se": [ame_se], "ame_ci_low": inf["ci_low"],
            "ame_ci_high": inf["ci_high"], "ame_t": inf["t"], "ame_p_value": inf["p_value"]}  # fmt: skip
    return pd.DataFrame(row)


def _gap_setup(data, y, sex, controls, reference, family):
    """Focal group, control list and model family of :func:`adjusted_gap` (validated)."""
    owner = "adjusted_gap"
    s = _column(data, sex, owner)
    levels = sorted(pd.unique(s.dropna()).tolist(), key=str)
    if reference not in levels or len(levels) != 2:
        raise bad_parameter(
            "reference", owner, f"one of exactly two values of {sex!r} (found {levels})", reference
        )
    focal = next(lev for lev in levels if lev != reference)
    controls = [controls] if isinstance(controls, str) else list(controls)
    if sex in controls:
        raise bad_parameter("controls", owner, f"columns other than {sex!r}", controls)
    if family is None:
        yv = _numeric(_column(data, y, owner), y, owner)
        family = "binomial" if np.isin(yv[~np.isnan(yv)], (0.0, 1.0)).all() else "gaussian"
    return focal, controls, family


def _ame_logit(design, fit: SvyGLMFit, k: int) -> tuple[float, float]:
    """Average marginal effect of the 0/1 column ``k`` and its design-based SE."""
    it = fit._internals
    X, w, used = it["X"], it["w"], it["used"]
    X1, X0 = X.copy(), X.copy()
    X1[:, k], X0[:, k] = 1.0, 0.0
    X1[~used], X0[~used] = 0.0, 0.0
    p1, p0 = special.expit(X1 @ fit.coef), special.expit(X0 @ fit.coef)
    d = p1 - p0
    W = w.sum()
    ame = float(w @ d / W)
    rw = it["rw"]
    if rw is None:
        grad = ((X1 * (w * p1 * (1 - p1))[:, None]) - (X0 * (w * p0 * (1 - p0))[:, None])).sum(0)
        z = w * (d - ame) / W + it["influence"] @ (grad / W)
        var = float(np.asarray(design.vcov_total(z[:, None]))[0, 0])
    else:
        Wr = np.where(used[:, None], rw, 0.0)
        reps = it["reps"]  # (R, p)
        dr = special.expit(X1 @ reps.T) - special.expit(X0 @ reps.T)  # (n, R)
        ame_r = (Wr * dr).sum(0) / Wr.sum(0)
        var = float(
            np.asarray(design.vcov_replicates(np.array([ame]), ame_r[:, None])).reshape(-1)[0]
        )
    return ame, float(np.sqrt(max(var, 0.0)))
