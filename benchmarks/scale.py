"""Scale benchmark of the columnar engine (issue #13). A script, not a timed test.

Usage::

    python benchmarks/scale.py census --persons 1000000 [--engine duckdb|spark]

writes a census-shaped person file (``gender-diag synth --census``), then runs the census
diagnostic (15 indicators by sex × department/province/district on the engine, district
ranking and its outputs) in a fresh process, and prints wall time and peak RSS (MB).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time, resource
from gender_diag.config import load_config
from gender_diag.pipeline import run
cfg = load_config(sys.argv[1])
cfg["engine"]["kind"] = sys.argv[2]
cfg["diagnostic"]["output_dir"] = sys.argv[3]
t = time.perf_counter()
res = run(cfg)
print(f"RESULT {time.perf_counter() - t:.1f} {len(res.indicators)}")
"""


def census(persons: int, engine: str) -> None:
    from gender_diag.synth.census import write_census

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = write_census(tmp, persons=persons, seed=1)
        gen = time.perf_counter() - t
        cmd = [sys.executable, "-c", CHILD, str(paths["config"]), engine, str(Path(tmp) / "out")]
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        run_s, rows = out.split("RESULT ")[1].split()
        print(f"persons={persons:,} engine={engine} synth={gen:.1f}s run={run_s}s "
              f"process={wall:.1f}s peak_rss={peak:,.0f}MB rows={rows}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("census")
    c.add_argument("--persons", type=int, default=1_000_000)
    c.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    args = p.parse_args()
    census(args.persons, args.engine)


if __name__ == "__main__":
    main()
