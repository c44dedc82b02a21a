"""Profile of the checking half of ingest (validation, identifiers, de-identification).

Wall-clock times on a shared machine are noisy; this script runs ``read_odk`` on a synthetic
ODK export under :mod:`cProfile` and prints, for each checking function, its cumulative time,
its share of the whole ingest and its number of calls, so that two versions are compared by
proportions and call counts (issue #13). The export is generated first (not profiled).

Usage::

    python benchmarks/ingest_checks.py 30000 [--data DIR] [--stats FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

#: The functions reported: module file → function names.
FUNCTIONS = {
    "validate.py": (
        "run_checks",
        "_form_rules",
        "_relevance",
        "_constraint",
        "_skip_logic",
        "_eval_frame",
        "_frame_codes",
        "_present",
        "_default_ranges",
        "_time_use",
        "_duplicate_submissions",
        "_repeat_keys",
        "_respondents",
        "apply_finding",
    ),
    "expr.py": ("evaluate", "_evaluate"),
    "privacy.py": (
        "find_identifiers",
        "_value_kind",
        "_plausible",
        "apply",
        "redact_text",
        "pseudonym",
        "check_k_anonymity",
    ),
    "assemble.py": (
        "assemble",
        "coerce_table",
        "_link",
        "_split_quarantine",
        "_merge_design",
        "_enrich_respondents",
        "_metadata",
    ),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("households", type=int)
    parser.add_argument("--data", type=Path, default=None, help="folder for the export")
    parser.add_argument("--stats", type=Path, default=None, help="write the pstats file")
    args = parser.parse_args(argv)

    import gender_diag as gd
    from gender_diag.ingest import read_odk

    data = args.data or Path(tempfile.mkdtemp()) / "data"
    written = gd.synth.write_survey(
        gd.synth.generate(args.households, seed=7), data, formats=("odk_csv",)
    )
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    read_odk(written["odk_csv"][0], form=written["form"], design=written["design"])
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    if args.stats:
        stats.dump_stats(args.stats)
    total = max(v[3] for v in stats.stats.values())
    print(f"{args.households} households: ingest {wall:.1f} s wall (profiled), "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    print(f"{'function':<36}{'cum s':>8}{'share':>8}{'calls':>8}")
    rows = []
    for (file, _, name), (_, calls, _, cum, _) in stats.stats.items():
        base = Path(file).name
        if "gender_diag" in file and name in FUNCTIONS.get(base, ()):
            rows.append((cum, f"{base}:{name}", calls))
    for cum, label, calls in sorted(rows, reverse=True):
        print(f"{label:<36}{cum:>8.3f}{cum / total:>8.1%}{calls:>8}")


if __name__ == "__main__":
    main()
