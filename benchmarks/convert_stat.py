"""SPSS → Parquet chunk by chunk vs the whole-file reader: time and peak memory (issue #13).

A script, not a timed test. Writes a census-shaped person file of N rows as ``.sav`` (value
labels, user-missing codes), then, each in a fresh child process (so that peak memory is that
process's own maximum resident set size):

* ``chunked`` — :func:`gender_diag.engine.convert.stat_to_parquet` (one Parquet part per
  ``--chunk`` rows), the path the engines take;
* ``whole`` — ``pyreadstat.read_sav`` of the whole file, what :func:`gender_diag.ingest.read_spss`
  starts with (its own cleaning needs more on top).

Usage::

    python benchmarks/convert_stat.py 1000000 [--chunk 500000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path


def _write_sav(n: int, path: Path) -> None:
    import numpy as np
    import pandas as pd
    import pyreadstat

    from gender_diag.synth.census import census_frame

    f = census_frame(n, seed=1)
    codes = {
        "sex": {"M": 1.0, "F": 2.0},
        "literacy": {"si": 1.0, "no": 2.0},
        "disability": {"si": 1.0, "no": 2.0},
        "household_head": {"si": 1.0, "no": 2.0},
    }
    out = pd.DataFrame({"person_id": f["person_id"].astype(float), "district": f["district"]})
    for col, mapping in codes.items():
        out[col] = f[col].map(mapping).fillna(9.0)  # 9 = not stated (declared user-missing)
    out["age"] = f["age"].astype(float)
    out["weight"] = np.ones(n)
    labels = {c: {v: k for k, v in m.items()} | {9.0: "No declarado"} for c, m in codes.items()}
    pyreadstat.write_sav(out, path, variable_value_labels=labels,
                         missing_ranges={c: [9] for c in codes})  # fmt: skip


def _chunked(path: str, chunk: int, queue) -> None:
    from gender_diag.engine.convert import stat_to_parquet

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        conv = stat_to_parquet(path, Path(tmp) / "parts", chunksize=chunk)
        rows = conv.rows
    queue.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rows))


def _whole(path: str, chunk: int, queue) -> None:
    import pyreadstat

    t0 = time.perf_counter()
    df, _ = pyreadstat.read_sav(path, user_missing=True)
    queue.put(
        (time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(df))
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("--chunk", type=int, default=500_000)
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "persons.sav"
        # written in a child: Linux children inherit the parent's peak RSS (ru_maxrss)
        writer = ctx.Process(target=_write_sav, args=(args.rows, path))
        writer.start()
        writer.join()
        size = path.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size:.0f} MB .sav, chunk {args.chunk:,}")
        for name, fn in (("chunked", _chunked), ("whole", _whole)):
            queue = ctx.Queue()
            proc = ctx.Process(target=fn, args=(str(path), args.chunk, queue))
            proc.start()
            seconds, rss_kb, rows = queue.get()
            proc.join()
            print(f"{name:8s} {seconds:7.1f} s  peak {rss_kb / 1024:7.0f} MB  rows {rows:,}")


if __name__ == "__main__":
    main()
