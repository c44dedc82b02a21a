"""Profile of the report stage alone (issue #13 item 5). A script, not a timed test.

Runs the pipeline once without writing (synthetic ODK export of N households), then writes
every report (CSV, charts, HTML, annex, Excel, Word in es/fr/en) under cProfile and prints
the report functions by cumulative time, with the load average (the machine is shared:
compare proportions and call counts, not seconds)::

    python benchmarks/report_stage.py 30000 [--engine pandas] [--top 30] [--stats out.prof]

With ``--workers`` the writers run side by side (``report.parallel``): the profile then sees
the parent only, so ``--compare`` instead writes the reports in one process and then with
the default workers, without cProfile, and prints for each the wall time, the CPU time of
this process and of its workers, and checks that the two sets of files are identical::

    python benchmarks/report_stage.py 20000 --compare
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from _survey import odk_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("households", type=int)
    parser.add_argument("--engine", default="pandas")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--stats", default="")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (profiled: 1)")
    parser.add_argument("--compare", action="store_true", help="one process vs default workers")
    args = parser.parse_args()

    import gender_diag as gd
    from gender_diag.report.writer import write_reports

    tmp = Path(tempfile.mkdtemp())
    synth = gd.synth.generate(args.households, seed=7)
    data = gd.synth.write_survey(synth, tmp / "data", formats=("odk_csv",))
    del synth
    config = odk_config(
        data, name=f"report{args.households}", output_dir=tmp / "out", engine=args.engine
    )
    result = gd.run(config, write=False)
    # the writers' imports (matplotlib, xlsxwriter, python-docx, jinja2) outside the profile
    from gender_diag.report import charts, docx, excel, html  # noqa: F401

    if args.compare:
        _compare(result, tmp, write_reports)
        return
    print("load average before", os.getloadavg())
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    paths = write_reports(result, tmp / "reports", workers=args.workers)
    profile.disable()
    took = time.perf_counter() - start
    print(f"write_reports: {len(paths)} files in {took:.1f} s (under cProfile)")
    print("load average after", os.getloadavg())
    stats = pstats.Stats(profile)
    if args.stats:
        stats.dump_stats(args.stats)
    rows = [
        (ct, nc, f"{Path(file).name}:{fn}")
        for (file, _line, fn), (_cc, nc, _tt, ct, _callers) in stats.stats.items()
        if "gender_diag" in file or fn in ("savefig", "close")
    ]
    for ct, nc, name in sorted(rows, reverse=True)[: args.top]:
        print(f"{ct:8.2f} s {nc:8d} calls  {name}")


def _compare(result, tmp: Path, write_reports) -> None:
    """Wall and CPU time of write_reports in one process and with the default workers."""
    import resource

    from gender_diag.report.parallel import default_workers

    def cpu(who):
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    files = {}
    for workers in (1, None):
        label = f"{workers or default_workers()} worker(s)"
        print("load average before", os.getloadavg())
        start, own, kids = (
            time.perf_counter(),
            cpu(resource.RUSAGE_SELF),
            cpu(resource.RUSAGE_CHILDREN),
        )
        paths = write_reports(result, tmp / label, workers=workers)
        wall = time.perf_counter() - start
        own, kids = cpu(resource.RUSAGE_SELF) - own, cpu(resource.RUSAGE_CHILDREN) - kids
        print(
            f"{label}: {len(paths)} files, wall {wall:.1f} s, CPU {own:.1f} s here + {kids:.1f} s in workers"
        )
        files[label] = {p.relative_to(tmp / label): p.read_bytes() for p in paths}
    one, many = files.values()
    print("same files:", one == many)


if __name__ == "__main__":
    main()
