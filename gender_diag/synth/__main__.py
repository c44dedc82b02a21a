"""``python -m gender_diag.synth OUT_DIR`` — write a synthetic survey (thin wrapper).

The project CLI exposes the same as ``gender-diag synth``; both call
:func:`gender_diag.synth.main_synth`.
"""

from __future__ import annotations

import argparse
import sys

from gender_diag.errors import GenderDiagError
from gender_diag.synth.generate import main_synth
from gender_diag.synth.writers import FORMATS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gender_diag.synth", description=__doc__)
    p.add_argument("out_dir", help="folder to write (created)")
    p.add_argument("--households", type=int, default=600, help="sample size (50 to 1,000,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--errors", action="store_true", help="plant data-entry errors")
    p.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=FORMATS,
        help="export format (repeatable; default all, no XLSX above 50,000 households)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        paths = main_synth(
            args.out_dir,
            n_households=args.households,
            seed=args.seed,
            errors=args.errors,
            formats=args.formats,
        )
    except (GenderDiagError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for what, path in paths.items():
        shown = ", ".join(map(str, path)) if isinstance(path, list) else str(path)
        print(f"{what}: {shown}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
