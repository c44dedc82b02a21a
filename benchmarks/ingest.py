"""Benchmark: ingest + validate a large synthetic export.

Cases (targets on a 2-core machine: < 30 s wall and < 4 GB peak memory each):

* ``odk``  – ODK Briefcase/Central CSV set of 100,000 households;
* ``kobo`` – Kobo XLSX export of 10,000 households.

The exports are generated first with :mod:`gender_diag.synth` (not timed), then each case
runs in a fresh Python process so that its peak resident memory (``ru_maxrss``) is its own.

Usage::

    python benchmarks/ingest.py                 # both cases
    python benchmarks/ingest.py --odk 20000     # smaller sizes for a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run_case(kind: str, path: str, form: str, design: str) -> None:
    """Child process: read + validate, print wall time, peak memory and accounting."""
    from gender_diag.ingest import read_kobo, read_odk

    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    reader = read_odk if kind == "odk" else read_kobo
    survey = reader(path, form=form, design=design)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - c0.ru_utime - c0.ru_stime
    peak_mb = usage.ru_maxrss / 1024
    acc = survey.report.accounting()
    rows = int(acc["rows_read"].sum())
    # deep: every string cell counted as its own object (pandas' memory_usage(deep=True));
    # shallow: the arrays themselves (a category cell is its 1-byte code)
    deep = sum(int(t.memory_usage(deep=True).sum()) for t in survey.tables.values())
    shallow = sum(int(t.memory_usage(deep=False).sum()) for t in survey.tables.values())
    print(
        json.dumps(
            {
                "case": kind,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "peak_mb": round(peak_mb),
                "peak_above_start_mb": round(peak_mb - base_mb),
                "input_rows": rows,
                "table_bytes_per_row": round(deep / max(rows, 1)),
                "table_bytes_per_row_shallow": round(shallow / max(rows, 1)),
                "peak_bytes_per_row": round((peak_mb - base_mb) * 2**20 / max(rows, 1)),
                "load_avg": round(os.getloadavg()[0], 2),
                "rows_read": dict(zip(acc["table"], acc["rows_read"].astype(int), strict=True)),
                "issues": int(len(survey.report.issues)),
                "valid": bool(survey.report.valid),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--odk", type=int, default=100_000, help="households in the ODK CSV set")
    ap.add_argument("--kobo", type=int, default=10_000, help="households in the Kobo XLSX")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _run_case(*args.child)
        return 0

    import gender_diag.synth as gs

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, n, fmt in (("odk", args.odk, "odk_csv"), ("kobo", args.kobo, "kobo_xlsx")):
            if n <= 0:
                continue
            folder = Path(tmp) / kind
            t0 = time.perf_counter()
            synth = gs.generate(n, seed=args.seed, errors=True)
            out = gs.write_survey(synth, folder, formats=(fmt,))
            del synth
            gen = time.perf_counter() - t0
            path = out["odk_csv"][0].parent if kind == "odk" else out["kobo_xlsx"]
            cmd = [
                sys.executable,
                __file__,
                "--child",
                kind,
                str(path),
                str(out["form"]),
                str(out["design"]),
            ]
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode:
                print(res.stderr, file=sys.stderr)
                return res.returncode
            row = json.loads(res.stdout.strip().splitlines()[-1])
            row.update(households=n, generate_s=round(gen, 1))
            results.append(row)
            print(
                f"{kind:>5}: {n:>7,} households  ingest+validate {row['wall_s']:6.1f} s wall "
                f"({row['cpu_s']:.1f} s CPU)  "
                f"peak {row['peak_mb']:6,} MB  (generation {gen:.0f} s, not timed)  "
                f"rows {row['rows_read']}  issues {row['issues']}  valid {row['valid']}"
            )
    ok = all(r["wall_s"] < 30 and r["peak_mb"] < 4096 for r in results)
    print("targets (< 30 s, < 4 GB):", "met" if ok else "NOT met")
    print("(wall time depends on other load on the machine; CPU time is the steadier figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
