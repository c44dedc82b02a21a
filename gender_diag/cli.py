"""Thin command line: parses arguments, calls the library, prints, exits non-zero on failure."""

from __future__ import annotations

import argparse
import sys

from gender_diag import __version__
from gender_diag.errors import GenderDiagError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gender-diag", description=__doc__)
    parser.add_argument("--version", action="version", version=f"gender_diag {__version__}")
    parser.add_subparsers(dest="command")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            parser.print_help()
            return 0
    except GenderDiagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
