"""A realistic synthetic gap table (docs/contracts.md §4) for tests, demos and benchmarks.

The gaps mimic the Andean diagnostic: land titles, credit, income, decisions, time use,
participation, water committees, identity documents, violence (sensitive). Values are drawn
around plausible women's and men's levels; standard errors follow a cluster design effect of
about 2. The table is synthetic: never quote it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# id, domain, type, direction, women's level, men's level, moser, harvard, rights, sensitive
INDICATORS = [
    ("land_title_name", "land", "proportion", "higher_better", 0.23, 0.61, "strategic", "control", "economic", False),
    ("land_owner", "land", "proportion", "higher_better", 0.41, 0.66, "strategic", "control", "economic", False),
    ("credit_decides", "finance", "proportion", "higher_better", 0.18, 0.34, "practical", "control", "economic", False),
    ("bank_account", "finance", "proportion", "higher_better", 0.21, 0.38, "practical", "access", "economic", False),
    ("own_income", "income", "proportion", "higher_better", 0.35, 0.72, "strategic", "access", "economic", False),
    ("income_control", "income", "proportion", "higher_better", 0.44, 0.69, "strategic", "control", "economic", False),
    ("decides_health", "decisions", "proportion", "higher_better", 0.52, 0.58, "strategic", "control", "social", False),
    ("work_hours", "time_use", "mean", "higher_worse", 11.8, 9.1, "practical", "access", "economic", False),
    ("time_poverty", "time_use", "proportion", "higher_worse", 0.46, 0.22, "practical", "access", "social", False),
    ("leisure_hours", "time_use", "mean", "higher_better", 2.1, 3.4, "practical", "access", "social", False),
    ("group_member", "participation", "proportion", "higher_better", 0.48, 0.62, "strategic", "access", "civil_political", False),
    ("leader_position", "participation", "proportion", "higher_better", 0.09, 0.31, "strategic", "control", "civil_political", False),
    ("speaks_public", "participation", "proportion", "higher_better", 0.33, 0.64, "strategic", "control", "civil_political", False),
    ("participatory_budget", "participation", "proportion", "higher_better", 0.12, 0.29, "strategic", "control", "civil_political", False),
    ("water_committee", "water", "proportion", "higher_better", 0.07, 0.27, "strategic", "control", "environmental", False),
    ("say_natural_resources", "water", "proportion", "higher_better", 0.38, 0.61, "strategic", "control", "environmental", False),
    ("training_agroecology", "training", "proportion", "higher_better", 0.27, 0.40, "practical", "access", "economic", False),
    ("promoter", "training", "proportion", "higher_better", 0.04, 0.11, "practical", "access", "economic", False),
    ("literate", "education", "proportion", "higher_better", 0.71, 0.93, "practical", "access", "cultural", False),
    ("secondary_complete", "education", "proportion", "higher_better", 0.19, 0.37, "strategic", "access", "social", False),
    ("has_dni", "identity", "proportion", "higher_better", 0.90, 0.97, "practical", "access", "civil_political", False),
    ("health_insurance", "health", "proportion", "higher_better", 0.78, 0.74, "practical", "access", "social", False),
    ("mobile_phone", "digital", "proportion", "higher_better", 0.55, 0.81, "practical", "access", "economic", False),
    ("ipv_physical_12m", "violence", "proportion", "higher_worse", 0.14, 0.03, "strategic", "control", "civil_political", True),
]  # fmt: skip
DISTRICTS = ("acomayo", "pomacanchi", "sangarara")


def example_gap_table(
    *,
    n_indicators: int | None = None,
    districts: tuple[str, ...] = DISTRICTS,
    seed: int = 0,
    n_per_district: int = 140,
    suppress: int = 0,
) -> pd.DataFrame:
    """Build a gap table: every indicator for the total and for each district.

    Parameters
    ----------
    n_indicators : int, optional
        Use the first ``n`` indicators of :data:`INDICATORS` (default all 24).
    districts : tuple of str
        Districts (disaggregation ``by="district"``); empty for totals only.
    seed : int
        Random seed.
    n_per_district : int
        Approximate respondents of each sex per district.
    suppress : int
        Mark this many district rows ``suppressed`` (as disclosure control would).

    Examples
    --------
    >>> t = example_gap_table(n_indicators=2, seed=0)
    >>> len(t), t["gap_id"].iloc[0]
    (8, 'land_title_name|total|')
    """
    rng = np.random.default_rng(seed)
    spec = INDICATORS[: n_indicators or len(INDICATORS)]
    rows = []
    groups = [("total", "")] + [("district", d) for d in districts]
    for ind, dom, typ, direc, lf, lm, moser, harv, rights, sens in spec:
        for by, val in groups:
            n_f = int(rng.integers(int(0.8 * n_per_district), int(1.2 * n_per_district) + 1))
            n_m = int(rng.integers(int(0.8 * n_per_district), int(1.2 * n_per_district) + 1))
            if by == "total":
                n_f, n_m = n_f * len(districts or [1]), n_m * len(districts or [1])
            shift = 0.0 if by == "total" else rng.normal(0, 0.06)
            if typ == "proportion":
                f = float(np.clip(lf + shift + rng.normal(0, 0.02), 0.005, 0.995))
                m = float(np.clip(lm + rng.normal(0, 0.02), 0.0, 0.995))
                se_f = np.sqrt(2 * f * (1 - f) / n_f)
                se_m = np.sqrt(2 * m * (1 - m) / n_m)
            else:
                f = float(lf * (1 + shift) + rng.normal(0, 0.2))
                m = float(lm + rng.normal(0, 0.2))
                se_f, se_m = np.sqrt(2 * (0.3 * f) ** 2 / n_f), np.sqrt(2 * (0.3 * m) ** 2 / n_m)
            gap = f - m
            gse = float(np.hypot(se_f, se_m))
            p = float(2 * stats.norm.sf(abs(gap / gse))) if gse > 0 else np.nan
            women = 1800.0 * (len(districts) if by == "total" else 1) * rng.uniform(0.8, 1.2)
            worse = f if direc == "higher_worse" else 1 - f
            affected = women * worse if typ == "proportion" else women * 0.5
            reliability = "reliable" if n_f >= 100 else ("caution" if n_f >= 50 else "unreliable")
            rows.append(
                {
                    "gap_id": f"{ind}|{by}|{val}",
                    "indicator": ind,
                    "by": by,
                    "by_value": val,
                    "estimate_f": f,
                    "estimate_m": m,
                    "ci_low_f": f - 1.96 * se_f,
                    "ci_high_f": f + 1.96 * se_f,
                    "ci_low_m": m - 1.96 * se_m,
                    "ci_high_m": m + 1.96 * se_m,
                    "n_f": n_f,
                    "n_m": n_m,
                    "gap": gap,
                    "gap_se": gse,
                    "gap_ci_low": gap - 1.96 * gse,
                    "gap_ci_high": gap + 1.96 * gse,
                    "ratio": f / m if m > 0 else np.nan,
                    "p_value": p,
                    "affected": affected,
                    "reliability": reliability,
                    "direction": direc,
                    "domain": dom,
                    "type": typ,
                    "sensitive": sens,
                    "moser": moser,
                    "harvard": harv,
                    "rights": rights,
                    "suppressed": False,
                }
            )
    out = pd.DataFrame(rows)
    out["q_value"] = _bh(out["p_value"].to_numpy(float))
    if suppress:
        idx = out.index[out["by"] != "total"][:suppress]
        out.loc[idx, "suppressed"] = True
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (NaN kept)."""
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    pv = p[ok]
    m = pv.size
    if m == 0:
        return q
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.clip(ranked, 0, 1)
    q[ok] = out
    return q
