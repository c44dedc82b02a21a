"""Benchmark: ODK ingest seconds and bytes per input row at census-like sizes (issue #13).

For each size (default 20,000 and 100,000 households) an ODK Briefcase/Central CSV set of
``gd.synth.generate(N, seed=7)`` is written (not timed), then read, typed and validated by
:func:`gender_diag.ingest.read_odk` in a fresh process (``benchmarks/ingest.py --child``), so
that its peak memory is its own. Printed per size: wall and CPU seconds, peak resident
memory, the peak above the interpreter's start divided by the input rows, and the bytes per
input row of the typed survey tables (``memory_usage(deep=True)`` and the arrays alone).

Usage::

    python benchmarks/ingest_scale.py                 # 20,000 and 100,000 households
    python benchmarks/ingest_scale.py 20000 300000    # other sizes

Run it on an idle machine: wall time depends on other load (the load average is printed);
CPU time and bytes per row are the steadier figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    sizes = [int(a) for a in (argv if argv is not None else sys.argv[1:])] or [20_000, 100_000]
    import gender_diag.synth as gs

    here = Path(__file__).with_name("ingest.py")
    print("households  input rows  ingest s (CPU)  peak MB  peak B/row  table B/row (arrays)  load")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            synth = gs.generate(n, seed=7)
            out = gs.write_survey(synth, Path(tmp) / "d", formats=("odk_csv",))
            del synth
            gen = time.perf_counter() - t0
            folder = out["odk_csv"][0].parent
            cmd = [sys.executable, str(here), "--child", "odk", str(folder), str(out["form"]),
                   str(out["design"])]  # fmt: skip
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode:
                print(res.stderr, file=sys.stderr)
                return res.returncode
            r = json.loads(res.stdout.strip().splitlines()[-1])
            print(
                f"{n:>10,}  {r['input_rows']:>10,}  {r['wall_s']:>7.1f} ({r['cpu_s']:.1f})"
                f"  {r['peak_mb']:>7,}  {r['peak_bytes_per_row']:>10,}"
                f"  {r['table_bytes_per_row']:>11,} ({r['table_bytes_per_row_shallow']:,})"
                f"  {r['load_avg']:.1f}   (generation {gen:.0f} s, not timed)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
