"""Scale benchmarks of issue #13 (columnar engine). Scripts, not timed tests.

Each measurement runs in a fresh child process; peak memory is that process's maximum
resident set size (DuckDB's and pandas' memory both count; Spark's JVM is a grandchild and
is reported separately by ``spark`` as the JVM's own peak when available).

Usage::

    python benchmarks/scale.py households 100000 [--engine auto|pandas|duckdb] [--data DIR]
    python benchmarks/scale.py census 30000000 [--engine duckdb|spark]
    python benchmarks/scale.py compare 1000000        # Spark local[2] vs DuckDB, same file

``households``: synthetic ODK CSV export (``gd.synth.generate``), whole ``gd.run`` with reports
in es/fr/en (1,000 SMAA draws instead of 10,000 to keep the ranking stage out of the way —
it is a fixed cost of ~1 s per 1,000 draws). ``census``: ``gender-diag synth --census`` person
file, then the census diagnostic (15 indicators by sex × department/province/district,
district ranking, CSV/Excel/chart/pages). ``compare``: both engines on one census file; the
largest absolute difference over every estimate, SE, gap and p-value is printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty

from _survey import odk_config


def _export(n: int, folder: Path) -> tuple[dict, float]:
    """The ODK CSV export of ``gd.synth.generate(n, seed=7)`` in ``folder``, written once.

    A folder that already holds a complete export (``written.json``) is reused, so the
    1,000,000-household export (≈ 5 min to write) is not regenerated for each measurement.
    """
    import gender_diag as gd

    index = folder / "written.json"
    if index.exists():
        return json.loads(index.read_text()), 0.0
    t0 = time.perf_counter()
    synth = gd.synth.generate(n, seed=7)
    written = gd.synth.write_survey(synth, folder, formats=("odk_csv",))
    del synth
    written = {
        k: [str(p) for p in v] if isinstance(v, list) else str(v) for k, v in written.items()
    }
    index.write_text(json.dumps(written))
    return written, time.perf_counter() - t0


class _StagePeaks(threading.Thread):
    """Highest resident set size seen during each stage, sampled every 0.1 s (Linux).

    ``ru_maxrss`` gives the run's peak only; this says which stage reaches it. Reads
    ``/proc/self/status``; elsewhere ``peaks`` stays empty.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stage = "start"
        self.peaks: dict[str, int] = {}
        self._done = threading.Event()

    @staticmethod
    def _rss_mb() -> int | None:
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) // 1024
        except OSError:
            return None
        return None

    def run(self) -> None:
        while not self._done.wait(0.1):
            rss = self._rss_mb()
            if rss is None:
                return
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), rss)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _households(n: int, engine: str, draws: int, data: str | None, queue) -> None:
    import gender_diag as gd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = Path(data) if data else tmp / "data"
        folder.mkdir(parents=True, exist_ok=True)
        written, generate_s = _export(n, folder)
        # the hostile-input limits (2 M rows per file by default) are for uploads;
        # 1,000,000 households have 2.6 M parcel and 3.9 M member rows
        config = odk_config(
            written,
            name=f"scale{n}",
            output_dir=tmp / "out",
            draws=draws,
            engine=engine,
            max_rows=50_000_000,
        )
        stages: dict[str, float] = {}
        starts: dict[str, float] = {}
        sampler = _StagePeaks()

        def progress(stage: str, message: str) -> None:
            if message == "start":
                starts[stage] = time.perf_counter()
                sampler.stage = stage
            elif not message.endswith("%"):
                stages[stage] = round(time.perf_counter() - starts[stage], 1)

        t0 = time.perf_counter()
        sampler.start()
        result = gd.run(config, progress=progress)
        total = time.perf_counter() - t0
        sampler.stop()
        rows = sum(result.survey.report.rows_read.values())
    queue.put(
        {
            "what": "households",
            "households": n,
            "engine": engine,
            "input_rows": rows,
            "generate_s": round(generate_s, 1),
            "run_s": round(total, 1),
            "stages_s": stages,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "stage_peak_rss_mb": sampler.peaks,
        }
    )


def _census_file(persons: int, folder: Path) -> dict:
    from gender_diag.synth.census import write_census

    t0 = time.perf_counter()
    paths = write_census(folder, persons=persons, seed=1)
    return {**paths, "generate_s": round(time.perf_counter() - t0, 1)}


def _census(persons: int, engine: str, folder: str | None, queue) -> None:
    from gender_diag.config import load_config
    from gender_diag.pipeline import run

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(folder or tmp)
        made = _census_file(persons, base) if not (base / "diagnostic.toml").exists() else {}
        cfg = load_config(base / "diagnostic.toml")
        cfg["engine"]["kind"] = engine
        cfg["diagnostic"]["output_dir"] = str(Path(tmp) / "out")
        t0 = time.perf_counter()
        result = run(cfg)
        total = time.perf_counter() - t0
        table = result.indicators
        if folder:
            table.to_csv(Path(folder) / f"indicators_{engine}.csv", index=False)
    queue.put(
        {
            "what": "census",
            "persons": persons,
            "engine": engine,
            "generate_s": made.get("generate_s"),
            "run_s": round(total, 1),
            "rows": len(table),
            "districts": int(table.loc[table["by"] == "district", "by_value"].nunique()),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    )


def _child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    while True:  # a child that dies (an error, the OOM killer) must not leave us waiting
        try:
            out = queue.get(timeout=5)
            break
        except Empty:
            if not proc.is_alive():
                raise SystemExit(f"the measurement failed (exit code {proc.exitcode})") from None
    proc.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    h = sub.add_parser("households")
    h.add_argument("n", type=int)
    h.add_argument("--engine", default="auto", choices=["auto", "pandas", "duckdb"])
    h.add_argument("--draws", type=int, default=1000)
    h.add_argument("--data", help="folder for the synthetic export, reused when already written")
    c = sub.add_parser("census")
    c.add_argument("persons", type=int)
    c.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    k = sub.add_parser("compare")
    k.add_argument("persons", type=int)
    args = parser.parse_args()
    if args.what == "households":
        print(json.dumps(_child(_households, args.n, args.engine, args.draws, args.data)))
    elif args.what == "census":
        print(json.dumps(_child(_census, args.persons, args.engine, None)))
    else:
        import numpy as np
        import pandas as pd

        with tempfile.TemporaryDirectory() as tmp:
            made = _census_file(args.persons, Path(tmp))
            print(json.dumps({"generate_s": made["generate_s"]}))
            for engine in ("duckdb", "spark"):
                print(json.dumps(_child(_census, args.persons, engine, tmp)))
            a = pd.read_csv(Path(tmp) / "indicators_duckdb.csv", keep_default_na=False,
                            na_values=[""])  # fmt: skip
            b = pd.read_csv(Path(tmp) / "indicators_spark.csv", keep_default_na=False,
                            na_values=[""])  # fmt: skip
            key = ["indicator", "by", "by_value", "sex"]
            m = a.merge(b, on=key, suffixes=("_d", "_s"))
            diffs = {}
            for col in ("estimate", "se", "gap", "gap_se", "p_value", "df", "n"):
                x, y = m[f"{col}_d"].to_numpy(float), m[f"{col}_s"].to_numpy(float)
                both = ~(np.isnan(x) & np.isnan(y))
                rel = np.abs(x - y)[both] / np.maximum(np.abs(x[both]), 1e-300)
                diffs[col] = float(np.nanmax(np.where(np.abs(x - y)[both] < 1e-12, 0, rel)))
            print(json.dumps({"rows_duckdb": len(a), "rows_spark": len(b), "matched": len(m),
                              "max_rel_diff": diffs}))  # fmt: skip


if __name__ == "__main__":
    main()
