"""End-to-end benchmark: the full ``gd.run`` on synthetic surveys of growing size.

For each size the script writes a synthetic ODK CSV export (the format big partners use; XLSX
is impractical beyond ~50,000 households), runs the whole diagnostic with reports in the three
languages, and prints the time per stage and the peak memory (resident set size of the child
process that ran it). Each size runs in its own process so peak memory is not shared.

Target (issue #6): 100,000 households end to end in under 2 minutes on a 2-core machine.

Usage::

    .venv/bin/python benchmarks/pipeline.py                # 1,000, 10,000 and 100,000
    .venv/bin/python benchmarks/pipeline.py --sizes 1000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path

from _survey import odk_config


def one_run(n_households: int, draws: int, queue) -> None:
    """Generate, run and time one synthetic survey (runs in a child process)."""
    import gender_diag as gd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        synth = gd.synth.generate(n_households, seed=7)
        written = gd.synth.write_survey(synth, tmp / "data", formats=("odk_csv",))
        generate_s = time.perf_counter() - t0
        config = odk_config(
            written, name=f"bench{n_households}", output_dir=tmp / "out", draws=draws
        )
        stages: dict[str, float] = {}
        t0 = time.perf_counter()
        result = gd.run(config, progress=_collector(stages))
        total = time.perf_counter() - t0
        rows = sum(result.survey.report.rows_read.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "households": n_households,
            "input_rows": rows,
            "generate_s": round(generate_s, 1),
            "run_s": round(total, 1),
            "stages_s": {k: round(v, 1) for k, v in stages.items()},
            "peak_rss_mb": round(peak_mb),
        }
    )


def _collector(stages: dict[str, float]):
    starts: dict[str, float] = {}

    def progress(stage: str, message: str) -> None:
        if message == "start":
            starts[stage] = time.perf_counter()
        elif not message.endswith("%"):
            stages[stage] = time.perf_counter() - starts[stage]

    return progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--draws", type=int, default=10_000, help="SMAA weight draws")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    results = []
    for n in args.sizes:
        queue = ctx.Queue()
        proc = ctx.Process(target=one_run, args=(n, args.draws, queue))
        proc.start()
        out = queue.get()
        proc.join()
        results.append(out)
        print(json.dumps(out), flush=True)
    print("\nhouseholds | input rows | run (s) | peak RSS (MB) | stages (s)")
    for r in results:
        stages = ", ".join(f"{k} {v}" for k, v in r["stages_s"].items())
        print(
            f"{r['households']:>10,} | {r['input_rows']:>10,} | {r['run_s']:>7} | "
            f"{r['peak_rss_mb']:>13} | {stages}"
        )


if __name__ == "__main__":
    main()
