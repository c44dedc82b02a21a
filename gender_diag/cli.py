"""Command line of gender_diag: ``gender-diag COMMAND`` (also ``python -m gender_diag``).

The CLI is thin: it parses arguments, calls the library, prints tables and progress, and exits
non-zero with a one-paragraph message (never a traceback) when the input or the configuration
is wrong. Exit codes: 0 success, 1 blocking data problems, 2 bad input, configuration or usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from gender_diag.contracts.stages import STAGE_ALIASES, STAGE_NAMES
from gender_diag.errors import GenderDiagError, ValidationError
from gender_diag.version import __version__


def _progress_printer(stream=sys.stderr):
    """A progress callback printing one line per stage event."""
    started = time.perf_counter()

    def show(stage: str, message: str) -> None:
        elapsed = time.perf_counter() - started
        if message == "start":
            print(f"[{elapsed:6.1f} s] {stage} …", file=stream, flush=True)
        elif message.endswith("%"):
            print(f"\r[{elapsed:6.1f} s] {stage} {message}", end="", file=stream, flush=True)
            if message == "100%":
                print(file=stream)
        else:
            print(f"[{elapsed:6.1f} s] {stage}: {message}", file=stream, flush=True)

    return show


def _print_frame(frame, *, stream=sys.stdout) -> None:
    if frame is None or len(frame) == 0:
        print("(nothing to show)", file=stream)
        return
    print(frame.to_string(index=False), file=stream)


def cmd_run(args) -> int:
    from gender_diag.config import load_config
    from gender_diag.pipeline import run, summary_table

    config = load_config(args.config)
    if getattr(args, "languages", None):
        config["diagnostic"]["languages"] = list(args.languages)
    if getattr(args, "engine", None):
        config["engine"]["kind"] = args.engine
    result = run(config, until=args.until, progress=_progress_printer())
    _print_frame(summary_table(result, lang=config["diagnostic"]["languages"][0]))
    return 0


def cmd_validate(args) -> int:
    from gender_diag.ingest import format_report, validate_path
    from gender_diag.ingest.mapping import read_mapping_file

    mapping, design_names = read_mapping_file(args.mapping) if args.mapping else (None, None)
    report = validate_path(
        args.path,
        form=args.form,
        design=args.design,
        format=args.format,
        mapping=mapping,
        design_names=design_names,
    )
    print(format_report(report, lang=args.lang))
    if args.out:
        from pathlib import Path

        from gender_diag.pipeline import write_validation

        # the internal folder (keys, values) stays inside the folder the user named
        paths = write_validation(report, Path(args.out), internal_dir=Path(args.out) / "interno")
        print(f"\nFull issue list: {paths[0]} ({len(report.issues)} rows)")
    return 0 if report.valid else 1


def cmd_synth(args) -> int:
    if getattr(args, "census", False):
        from gender_diag.synth.census import write_census

        for kind, path in write_census(args.out, persons=args.persons, seed=args.seed).items():
            print(f"{kind}: {path}")
        return 0
    from gender_diag.synth import main_synth

    if not 50 <= args.households <= 1_000_000:
        print(
            f"error: --households {args.households}: a synthetic survey needs 50 to 1,000,000 "
            "households (fewer cannot fill every district and community). Fix: e.g. "
            "--households 200.",
            file=sys.stderr,
        )
        return 2
    if args.rounds > 1:  # baseline + follow-ups with planted changes (issue 12)
        from gender_diag.synth.rounds import generate_rounds, write_rounds

        synth = generate_rounds(
            args.households,
            rounds=args.rounds,
            panel=args.panel,
            treatment=args.treatment,
            seed=args.seed,
        )
        for kind, path in write_rounds(synth, args.out, formats=args.formats).items():
            print(f"{kind}: {path}")
        return 0
    written = main_synth(
        args.out,
        n_households=args.households,
        seed=args.seed,
        errors=args.errors,
        formats=args.formats,
    )
    for kind, paths in written.items():
        for path in paths if isinstance(paths, list) else [paths]:
            print(f"{kind}: {path}")
    return 0


def cmd_indicators(args) -> int:
    from gender_diag.config import output_dir
    from gender_diag.indicators import top_gaps_text, write_tables
    from gender_diag.pipeline import run

    result = run(args.config, until="indicators", progress=_progress_printer())
    out = Path(args.out) if args.out else output_dir(result.config)
    frames = {"indicators": result.indicators, "gaps": result.gaps, "couples": result.couples}
    paths = write_tables(frames, out)
    print(top_gaps_text(result.gaps, result.catalogue, top=args.top, lang=args.lang))
    print()
    for path in paths:
        print(f"written: {path}")
    return 0


def cmd_rank(args) -> int:
    from gender_diag import safe_output
    from gender_diag.config import load_config, output_dir
    from gender_diag.pipeline import indicator_labels, ranking_candidates, run
    from gender_diag.prioritise import write_team_template
    from gender_diag.prioritise.commands import format_top
    from gender_diag.report import publish

    config = load_config(args.config)
    if args.template:
        result = run(config, until="indicators", progress=_progress_printer())
        path = write_team_template(
            ranking_candidates(result.gaps, config),
            args.template,
            lang=args.lang,
            labels=indicator_labels(result.labels),
        )
        print(
            f"written: {path}\nNext: score feasibility and leverage (1-5) for each gap, then "
            "run `gender-diag rank CONFIG --team-scores FILE` or set [ranking] team_scores."
        )
        return 0
    if args.team_scores:
        scores = Path(args.team_scores)
        if not scores.is_file():
            print(f"error: team scores file {str(scores)!r} not found.", file=sys.stderr)
            return 2
        config["ranking"]["team_scores"] = scores.resolve()
    result = run(config, until="recommend", progress=_progress_printer())
    # the same disclosure control as the reports: nothing suppressed leaks through the CSVs
    published = publish(
        result,
        threshold=config["disclosure"]["threshold"],
        sensitive_threshold=config["disclosure"]["sensitive_threshold"],
        sensitive_min_level=config["disclosure"]["sensitive_min_level"],
    )
    frames = {
        "ranking": published.ranking,
        "direct_actions": published.direct,
        "indirect_actions": published.indirect,
        "unmatched_gaps": published.unmatched,
        **published.extra,
    }
    labels = indicator_labels(result.labels)
    print(format_top(result.ranking_result, n=args.top, lang=args.lang, labels=labels))
    out = output_dir(config)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        path = safe_output.write_csv(frame, out / f"{name}.csv")
        print(f"written: {path}")
    return 0


def cmd_report(args) -> int:
    return cmd_run(args)


def cmd_init(args) -> int:
    from gender_diag.scaffold import init_diagnostic

    written = init_diagnostic(
        args.folder,
        name=args.name,
        form=args.form,
        data=args.data,
        design=args.design,
        languages=args.languages,
        country=args.country,
    )
    for path in written:
        print(path)
    config = Path(args.folder) / "diagnostic.toml"
    asks = config.read_text(encoding="utf-8").count("\n# QUESTION:") if args.form else 0
    if asks:
        print(f"\n{asks} question(s) in {config} need your answer (lines '# QUESTION').")
    print(f"\nNext: read {Path(args.folder) / 'README.md'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gender-diag",
        description="Gender diagnostic from household survey data (Kobo/ODK, Excel, SPSS, "
        "Stata): indicators by sex with survey CIs, WEAI indices, priorities, actions, reports.",
    )
    parser.add_argument("--version", action="version", version=f"gender_diag {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def config_arg(p):
        p.add_argument(
            "config",
            nargs="?",
            default=None,
            help="diagnostic.toml (or its folder); default: the bundled example survey",
        )

    def engine_arg(p):
        p.add_argument(
            "--engine",
            default=None,
            choices=["auto", "pandas", "duckdb", "spark"],
            help="indicators engine (default: [engine] kind of the config)",
        )

    def languages_arg(p, *, default_note="[diagnostic] languages of the config"):
        p.add_argument(
            "--lang",
            dest="languages",
            nargs="+",
            choices=["es", "fr", "en"],
            default=None,
            help=f"report languages (default: {default_note})",
        )

    p = sub.add_parser("run", help="run the whole diagnostic and write every report")
    config_arg(p)
    languages_arg(p)
    engine_arg(p)
    p.add_argument(
        "--until",
        default="report",
        choices=[*STAGE_NAMES, *STAGE_ALIASES],
        help="stop after this stage",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check a survey export and list every problem")
    p.add_argument("path", help="Kobo XLSX/CSV, ODK folder, Excel/CSV table, .dta or .sav")
    p.add_argument("--form", default=None, help="the XLSForm used to collect the data")
    p.add_argument("--design", default=None, help="design.csv with weights per community")
    p.add_argument(
        "--format",
        default=None,
        choices=["kobo", "odk", "table", "stata", "spss"],
        help="input format (default: detected from the file)",
    )
    p.add_argument(
        "--mapping",
        default=None,
        help="TOML file with a [mapping] section (or a diagnostic.toml): where the "
        "household id, roster, sex, respondents and repeats live in your own form",
    )
    p.add_argument("--out", default=None, help="write the full issue list to this folder")
    p.add_argument("--lang", default="en", choices=["es", "fr", "en"])
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("synth", help="write a synthetic survey with known design and gaps")
    p.add_argument("out", help="output folder")
    p.add_argument("--households", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--errors", action="store_true", help="plant realistic data-entry errors")
    p.add_argument("--census", action="store_true", help="a census-shaped Parquet person file")
    p.add_argument("--persons", type=int, default=100_000, help="persons of --census")
    p.add_argument(
        "--formats",
        nargs="+",
        default=None,
        help="any of kobo_xlsx, kobo_csv, odk_csv (default: all; XLSX only up to 50,000)",
    )
    p.add_argument("--rounds", type=int, default=1, help="survey rounds (2+: with changes)")
    p.add_argument("--panel", type=float, default=0.6, help="share of households re-visited")
    p.add_argument("--treatment", type=float, default=0.5, help="share of programme communities")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("indicators", help="compute every indicator by sex with its gap")
    config_arg(p)
    p.add_argument("--out", default=None, help="output folder (default from the config)")
    p.add_argument("--top", type=int, default=10, help="how many top gaps to print")
    p.add_argument("--lang", default="es", choices=["es", "fr", "en"])
    p.set_defaults(func=cmd_indicators)

    p = sub.add_parser("rank", help="rank the gaps and write the action tables")
    config_arg(p)
    p.add_argument("--template", default=None, help="write the team-scoring Excel sheet here")
    p.add_argument("--team-scores", default=None, help="the filled team-scoring sheet")
    p.add_argument("--lang", default="es", choices=["es", "fr", "en"])
    p.add_argument("--top", type=int, default=10)
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("report", help="run the diagnostic and write the reports")
    config_arg(p)
    languages_arg(p)
    engine_arg(p)
    p.set_defaults(func=cmd_report, until="report")

    p = sub.add_parser("init", help="create a new diagnostic folder (for your own form too)")
    p.add_argument("folder")
    p.add_argument("--name", default=None)
    p.add_argument("--form", default=None, help="your XLSForm: the diagnostic is built for it")
    p.add_argument("--data", default=None, help="its Kobo export (XLSX with repeat sheets)")
    p.add_argument("--design", default=None, help="design file: weights per community")
    languages_arg(p, default_note="the form's languages")
    p.add_argument(
        "--country",
        default=None,
        help="ISO country code (PE, KE, …) choosing the action catalogue; PE = the bundled "
        "Peruvian one, others the generic catalogue to adapt",
    )
    p.set_defaults(func=cmd_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gender-diag`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except GenderDiagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: {exc.strerror or exc} ({exc.filename or 'file'})", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: still no raw traceback for the user
        if os.environ.get("GENDER_DIAG_DEBUG"):
            raise
        print(
            f"unexpected error (a bug in gender_diag {__version__}): {type(exc).__name__}: "
            f"{exc}. Re-run with GENDER_DIAG_DEBUG=1 to see the details and report them.",
            file=sys.stderr,
        )
        return 3
