"""Profile of the estimation stages (design → recommend) on synthetic households (issue #13).

Runs ``gd.run`` up to ``recommend`` (no report, nothing written) under cProfile on the ODK
export of ``gd.synth.generate(N, seed=7)`` and prints the wall time of every stage, the
cumulative time and call count of the hot functions of the estimation code, the peak memory
(maximum RSS) and the load average. On a shared machine compare *proportions and call
counts* between two checkouts run back to back, not absolute times.

Usage (from the checkout's root; ``PYTHONPATH=.`` profiles that checkout's package rather
than the installed one)::

    PYTHONPATH=. .venv/bin/python benchmarks/estimation_stages.py 20000
    PYTHONPATH=. .venv/bin/python benchmarks/estimation_stages.py 20000 --save /tmp/est.prof

Results: ``benchmarks/results/estimation_stages.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import resource
import tempfile
import time
from pathlib import Path

from _survey import odk_config

import gender_diag as gd

#: (label, regular expression on "file:line(function)") of the functions reported
HOT = [
    ("compute_indicators", r"indicators/compute.py:\d+\(compute_indicators\)"),
    ("  _estimate_unit", r"indicators/compute.py:\d+\(_estimate_unit\)"),
    ("  means_and_gaps_by", r"design/estimators.py:\d+\(means_and_gaps_by\)"),
    ("  make_design", r"indicators/compute.py:\d+\(make_design\)"),
    ("  SurveyDesign._setup", r"design/survey.py:\d+\(_setup\)"),
    ("  design.estimators.mean", r"design/estimators.py:\d+\(mean\)"),
    ("  design.estimators.gap", r"design/estimators.py:\d+\(gap\)"),
    ("  _engine.run", r"design/_engine.py:\d+\(run\)"),
    ("  _engine.run_partitions", r"design/_engine.py:\d+\(run_partitions\)"),
    ("  _engine._chunk", r"design/_engine.py:\d+\(_chunk\)"),
    ("  indicator_frames", r"indicators/compute.py:\d+\(indicator_frames\)"),
    ("  rules.evaluate(_float)", r"indicators/rules.py:\d+\(evaluate(_float)?\)"),
    ("couple_comparisons", r"indicators/compute.py:\d+\(couple_comparisons\)"),
    ("local_gap_index", r"indicators/local_gap.py:\d+\(local_gap_index\)"),
    ("  local_gap._influence", r"indicators/local_gap.py:\d+\(_influence\)"),
    ("weai", r"indices/weai.py:\d+\(weai\)"),
    ("load_catalogue", r"indicators/catalogue.py:\d+\(load_catalogue\)"),
    ("load_actions", r"recommend/catalogue.py:\d+\(load_actions\)"),
    ("pandas factorize_array", r"pandas/core/algorithms.py:\d+\(factorize_array\)"),
]


def hot_functions(stats: pstats.Stats) -> list[tuple[str, int, float]]:
    """(label, calls, cumulative seconds) of every :data:`HOT` function."""
    out = []
    for label, pattern in HOT:
        calls, cum = 0, 0.0
        for (file, line, name), (_, nc, _, ct, _) in stats.stats.items():
            if re.search(pattern, f"{file}:{line}({name})"):
                calls, cum = calls + nc, cum + ct
        out.append((label, calls, cum))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("households", type=int, nargs="?", default=20000)
    parser.add_argument("--save", help="write the cProfile stats to this file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    synth = gd.synth.generate(args.households, seed=7)
    written = gd.synth.write_survey(synth, tmp / "data", formats=("odk_csv",))
    del synth
    config = odk_config(
        written, name=f"stages{args.households}", output_dir=tmp / "out", engine="pandas"
    )
    starts, times = {}, {}

    def progress(stage: str, message: str) -> None:
        if message == "start":
            starts[stage] = time.perf_counter()
        elif not message.endswith("%") and stage in starts:
            times[stage] = time.perf_counter() - starts[stage]

    profile = cProfile.Profile()
    profile.enable()
    gd.run(config, progress=progress, until="recommend", write=False)
    profile.disable()
    if args.save:
        profile.dump_stats(args.save)
    print(f"{args.households:,} households, load average {os.getloadavg()[0]:.1f}")
    for stage, seconds in times.items():
        print(f"  stage {stage:12s} {seconds:7.1f} s")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB")
    print(f"  {'function':28s} {'calls':>7s} {'cum s':>7s}")
    for label, calls, cum in hot_functions(pstats.Stats(profile)):
        print(f"  {label:28s} {calls:7d} {cum:7.2f}")


if __name__ == "__main__":
    main()
