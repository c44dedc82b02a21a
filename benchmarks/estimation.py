"""Speed benchmark of the design engine against ``svy`` and ``samplics`` (issue #3, "Speed").

Three cases on synthetic data, each design built once outside the timed region (as svy
builds its ``Sample`` once; polars frames are converted outside the timed region too):

1. 1,000,000 rows, 50 strata, 2,000 PSUs: one mean; one mean by sex; one proportion by 20
   domains (communities that cut across PSUs);
2. the diagnostic's shape: 50 binary indicators × sex × 20 communities with SEs and CIs
   (gender_diag: one call; svy: one call per indicator, as it answers one variable per call);
3. 200,000 rows with 80 jackknife (JK1) replicate weights given as columns, 50 indicators by
   sex.

Agreement with svy is checked (estimates 1e-8, SEs 1e-6 relative); wall times, our time ÷
svy time, and the peak memory of our estimation calls (tracemalloc, numpy allocations
included) against the size of the input frame are printed. samplics is slow at this size,
so it runs on one variable per case and the per-indicator time is extrapolated (marked).

Usage::

    .venv/bin/python benchmarks/estimation.py            # full size (several minutes)
    .venv/bin/python benchmarks/estimation.py --scale 0.1  # quick run at 10 % of the rows
    .venv/bin/python benchmarks/estimation.py --cases 1 --no-samplics  # case 1 only

Needs the optional ``bench`` extra (``pip install svy samplics polars``).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from gender_diag.design import SurveyDesign

N_IND = 50


def make_data(n: int, n_strata: int, psu_per_stratum: int, n_comm: int, seed: int = 0):
    """Synthetic survey: strata × PSUs, sex, communities across PSUs, 50 binary indicators."""
    rng = np.random.default_rng(seed)
    n_psu = n_strata * psu_per_stratum
    psu = np.sort(rng.integers(0, n_psu, n))
    stratum = psu // psu_per_stratum
    psu_effect = rng.normal(0, 0.6, n_psu)[psu]
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    female = sex == "F"
    comm = rng.integers(0, n_comm, n)
    w = rng.uniform(50, 150, n_psu)[psu] * rng.uniform(0.8, 1.25, n)
    cols = {
        "stratum": stratum,
        "psu": psu,
        "w": w,
        "sex": sex,
        "community": np.char.add("c", comm.astype(str).astype("<U3")),
        "y": 100 + 10 * psu_effect + 5 * female + rng.normal(0, 20, n),
    }
    base = rng.uniform(-1.5, 1.5, N_IND)
    gap = rng.normal(0, 0.4, N_IND)
    for j in range(N_IND):  # data generation only, outside every timed region
        eta = base[j] + gap[j] * female + psu_effect
        cols[f"ind{j:02d}"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return pd.DataFrame(cols)


def timed(fn, repeat: int = 1, design=None):
    """Best wall time of ``repeat`` runs; ``design``'s domain-code cache is cleared first."""
    best, out = np.inf, None
    for _ in range(repeat):
        if design is not None:
            design._cache.clear()  # no credit for codes computed in an earlier run
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_memory(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def svy_frame(est, by: list[str], level_col: str | None = None) -> pd.DataFrame:
    """svy Estimate → pandas with by columns, estimate, se (level 1 for proportions)."""
    f = est.to_polars().to_pandas()
    if level_col is not None and level_col in f.columns:
        f = f[f[level_col].astype(float) == 1.0].drop(columns=level_col)
    return f[[*by, "est", "se"]].rename(columns={"est": "estimate"})


def agree(ours: pd.DataFrame, theirs: pd.DataFrame, by: list[str]) -> tuple[float, float]:
    """Largest relative differences of estimates and SEs after joining on the domain keys."""
    if by:
        m = ours.merge(theirs, on=by, suffixes=("", "_peer"))
    else:
        m = pd.concat(
            [ours.reset_index(drop=True), theirs.add_suffix("_peer").reset_index(drop=True)], axis=1
        )
    if len(m) != len(ours):
        raise RuntimeError(f"domain mismatch: {len(ours)} rows vs {len(m)} joined")

    def rel(a, b):
        a, b = np.asarray(a, float), np.asarray(b, float)
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))

    return rel(m.estimate, m.estimate_peer), rel(m.se, m.se_peer)


def report(name, ours_t, svy_t, agreement=None, samplics_t=None, note=""):
    ratio = ours_t / svy_t if svy_t else float("nan")
    line = f"{name:<44} ours {ours_t:8.3f} s | svy {svy_t:8.3f} s | ours/svy {ratio:6.3f}"
    if samplics_t is not None:
        line += f" | samplics {samplics_t:8.2f} s{note}"
    print(line)
    if agreement is not None:
        est, se = agreement
        flag = "OK" if est <= 1e-8 and se <= 1e-6 else "DIFFERENT"
        print(f"{'':<44} agreement with svy: max rel diff estimate {est:.1e}, SE {se:.1e} [{flag}]")


def main(scale: float = 1.0, samplics_on: bool = True, cases: str = "123") -> None:
    warnings.filterwarnings("ignore")
    inds = [f"ind{j:02d}" for j in range(N_IND)]

    if "1" in cases or "2" in cases:
        _cases12(scale, inds, samplics_on, cases)
    if "3" in cases:
        _case3(scale, inds, samplics_on)


def _cases12(scale, inds, samplics_on, cases):
    import polars as pl
    import svy

    n1 = int(1_000_000 * scale)
    df = make_data(n1, 50, 40, 20)
    frame_bytes = df.memory_usage(deep=True).sum()
    print(
        f"Case 1/2 data: {n1:,} rows, 50 strata, 2,000 PSUs, 20 communities; "
        f"frame {frame_bytes / 2**20:.0f} MiB"
    )
    design = SurveyDesign(df, weight="w", strata="stratum", psu="psu")
    pdf = pl.from_pandas(df)
    sample = svy.Sample(data=pdf, design=svy.Design(stratum="stratum", psu="psu", wgt="w"))
    # warm-up (imports, first-call compilation) outside the timed region
    design.mean("y")
    sample.estimation.mean("y")
    if "1" in cases:
        _case1(design, sample)
    if "2" in cases:
        _case2(design, sample, inds, ["community", "sex"], frame_bytes, df, samplics_on)


def _case1(design, sample):
    t_o, o = timed(lambda: design.mean("y"), repeat=3, design=design)
    t_s, s = timed(lambda: sample.estimation.mean("y"), repeat=3)
    report("1a one mean", t_o, t_s, agree(o, svy_frame(s, []), []))
    t_o, o = timed(lambda: design.mean("y", by="sex"), repeat=3, design=design)
    t_s, s = timed(lambda: sample.estimation.mean("y", by="sex"), repeat=3)
    report("1b one mean by sex", t_o, t_s, agree(o, svy_frame(s, ["sex"]), ["sex"]))
    t_o, o = timed(lambda: design.proportion("ind00", by="community"), repeat=3, design=design)
    t_s, s = timed(lambda: sample.estimation.prop("ind00", by="community"), repeat=3)
    report(
        "1c one proportion by 20 communities",
        t_o,
        t_s,
        agree(o, svy_frame(s, ["community"], "ind00"), ["community"]),
    )


def _case2(design, sample, inds, by2, frame_bytes, df, samplics_on):
    t_o, o = timed(lambda: design.proportion(inds, by=by2), design=design)

    def svy_case2():
        return [sample.estimation.prop(v, by=by2) for v in inds]

    t_s, s = timed(svy_case2)
    worst = (0.0, 0.0)
    for v, est in zip(inds, s, strict=True):
        a = agree(o[o.variable == v], svy_frame(est, by2, v), by2)
        worst = (max(worst[0], a[0]), max(worst[1], a[1]))
    report("2  50 indicators × sex × 20 communities", t_o, t_s, worst)
    mem = peak_memory(lambda: design.proportion(inds, by=by2))
    print(
        f"{'':<44} peak memory of our call {mem / 2**20:.0f} MiB = "
        f"{mem / frame_bytes:.2f} × input frame"
    )

    if samplics_on:
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

        dom = (df["community"] + "|" + df["sex"]).to_numpy()

        def samplics_one():
            est = TaylorEstimator(PopParam.mean)
            est.estimate(
                y=df["ind00"].to_numpy(),
                samp_weight=df["w"].to_numpy(),
                stratum=df["stratum"].to_numpy(),
                psu=df["psu"].to_numpy(),
                domain=dom,
            )
            return est

        t_p, _ = timed(samplics_one)
        print(
            f"{'':<44} samplics: {t_p:.2f} s for one indicator → ≈ {t_p * N_IND:.0f} s "
            f"for 50 (extrapolated); ours ÷ samplics {t_o / (t_p * N_IND):.4f}"
        )


def _case3(scale, inds, samplics_on):
    import polars as pl
    import svy

    n3 = int(200_000 * scale)
    df3 = make_data(n3, 1, 80, 20, seed=1)
    n_rep = 80
    psu = df3["psu"].to_numpy()
    w = df3["w"].to_numpy()
    reps = {f"rep_{r + 1}": np.where(psu == r, 0.0, w * n_rep / (n_rep - 1)) for r in range(n_rep)}
    df3 = pd.concat([df3, pd.DataFrame(reps)], axis=1)
    frame3 = df3.memory_usage(deep=True).sum()
    print(
        f"Case 3 data: {n3:,} rows, {n_rep} JK1 replicate weight columns; "
        f"frame {frame3 / 2**20:.0f} MiB"
    )
    rdesign = SurveyDesign(df3, weight="w", replicate_weights=list(reps), replicate_type="JK1")
    pdf3 = pl.from_pandas(df3)
    rsample = svy.Sample(
        data=pdf3,
        design=svy.Design(
            wgt="w", rep_wgts=svy.RepWeights(method="jackknife", prefix="rep_", n_reps=n_rep)
        ),
    )
    rdesign.mean("y", by="sex")
    rsample.estimation.mean("y", by="sex", method="replication")
    t_o, o = timed(lambda: rdesign.mean(inds, by="sex"), repeat=2, design=rdesign)

    def svy_case3():
        return [rsample.estimation.mean(v, by="sex", method="replication") for v in inds]

    t_s, s = timed(svy_case3)
    worst = (0.0, 0.0)
    for v, est in zip(inds, s, strict=True):
        a = agree(o[o.variable == v], svy_frame(est, ["sex"]), ["sex"])
        worst = (max(worst[0], a[0]), max(worst[1], a[1]))
    report("3  80 JK1 replicates, 50 indicators by sex", t_o, t_s, worst)
    mem = peak_memory(lambda: rdesign.mean(inds, by="sex"))
    print(
        f"{'':<44} peak memory of our call {mem / 2**20:.0f} MiB = {mem / frame3:.2f} × input frame"
    )
    if samplics_on:
        from samplics.estimation import ReplicateEstimator
        from samplics.utils.types import PopParam, RepMethod

        rep_w = df3[list(reps)].to_numpy()

        def samplics_rep():
            est = ReplicateEstimator(RepMethod.jackknife, PopParam.mean)
            est.estimate(
                y=df3["ind00"].to_numpy(),
                samp_weight=w,
                rep_weights=rep_w,
                rep_coefs=(n_rep - 1) / n_rep,
                domain=df3["sex"].to_numpy(),
            )
            return est

        t_p, _ = timed(samplics_rep)
        print(
            f"{'':<44} samplics: {t_p:.2f} s for one indicator → ≈ {t_p * N_IND:.0f} s "
            f"for 50 (extrapolated); ours ÷ samplics {t_o / (t_p * N_IND):.4f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the rows")
    parser.add_argument("--no-samplics", action="store_true", help="skip samplics")
    parser.add_argument("--cases", default="123", help="cases to run, e.g. 1 or 13")
    args = parser.parse_args()
    main(args.scale, not args.no_samplics, args.cases)
