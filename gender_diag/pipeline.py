"""``gd.run(config)``: the whole diagnostic, stage after stage.

ingest → validation → design → indicators → indices → ranking → recommendations → reports.
Each stage is a function of the previous stages' results, usable on its own from Python; this
module only chains them, times them and reports progress. A blocking validation problem stops
the run after the validation report has been written, with :class:`ValidationError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gender_diag import provenance, safe_output
from gender_diag.config import load_config, output_dir
from gender_diag.design.spec import DesignSpec
from gender_diag.errors import ConfigError, ValidationError
from gender_diag.result import RunResult

STAGES = (
    "ingest",
    "indicators",
    "indices",
    "ranking",
    "recommend",
    "report",
)

Progress = Callable[[str, str], None]


def _quiet(stage: str, message: str) -> None:
    """Default progress callback: say nothing."""


def ingest_survey(config: dict):
    """Read the survey named in the configuration with the matching reader."""
    from gender_diag import ingest
    from gender_diag.ingest import limits, privacy

    inp = config["input"]
    readers = {
        "kobo": ingest.read_kobo,
        "odk": ingest.read_odk,
        "table": ingest.read_table,
        "stata": ingest.read_stata,
        "spss": ingest.read_spss,
    }
    reader = readers[inp["format"]]
    options: dict[str, Any] = {}
    if inp["form"] is not None:
        if inp["format"] in ("stata", "spss"):
            raise ConfigError(
                f"[input] form: an XLSForm is not used with {inp['format']} files (their value "
                "labels travel inside the file). Fix: remove the form line."
            )
        options["form"] = inp["form"]
    if inp["design"] is not None:
        options["design"] = inp["design"]
    if inp["salt"]:
        options["salt"] = inp["salt"]
    if config.get("mapping") is not None:
        if inp["format"] not in ("kobo", "odk"):
            raise ConfigError(
                f"[mapping] is read with Kobo and ODK exports, not with {inp['format']!r} "
                "files. Fix: rename the columns of the table instead, or export from Kobo/ODK."
            )
        options["mapping"] = config["mapping"]
        options["design_names"] = config["design"]
    caps = {k: inp.get(k) for k in ("max_uncompressed_mb", "max_rows", "max_columns")}
    identifiers = config.get("privacy", {}).get("identifiers", ())
    with privacy.settings(identifiers=identifiers), limits.settings(**caps):
        return reader(inp["path"], **options)


DESIGN_ROLES = ("weight", "strata", "psu", "fpc", "ssu", "fpc2")


def design_columns(config: dict, survey_design: dict | None = None) -> dict[str, Any]:
    """Design roles: those of the ingested survey, overridden by ``[design]``.

    A role left empty in the configuration keeps the column the design file gave at ingest;
    ``"none"`` removes the role. Dropping the second stage of a two-stage design with
    stage-1 fpc shrinks every SE (the within-community variance is lost), so the default is
    to keep what the design file says.

    Examples
    --------
    >>> cfg = {"design": {"weight": "", "strata": "", "psu": "", "fpc": "", "ssu": "none",
    ...        "fpc2": "", "with_replacement": False, "lonely_psu": "adjust"}}
    >>> d = design_columns(cfg, {"weight": "w", "psu": "community", "ssu": "hhid"})
    >>> d["weight"], d["psu"], d["ssu"], d["strata"]
    ('w', 'community', None, None)
    """
    d = config["design"]
    roles = {role: (survey_design or {}).get(role) for role in DESIGN_ROLES}
    for role in DESIGN_ROLES:
        if d[role]:
            roles[role] = None if d[role].lower() == "none" else d[role]
    if roles["weight"] is None:
        raise ConfigError(
            "No sampling weight: neither the design file nor [design] weight names a weight "
            'column. Fix: give [input] design = "design.csv" or [design] weight = "<column>".'
        )
    return {**roles, "with_replacement": d["with_replacement"], "lonely_psu": d["lonely_psu"]}


def _design_config(config: dict, survey) -> dict:
    """With ``[mapping]``, the ``[design]`` names translated to the survey's columns."""
    if config.get("mapping") is None:
        return config
    from gender_diag.ingest.mapping import load_mapping, translate_design

    tables = getattr(survey, "tables", {}) or {}
    columns = {c for t in tables.values() for c in t.columns}
    design = translate_design(config["design"], load_mapping(config["mapping"]), columns)
    return {**config, "design": design}


def catalogue_file(config: dict, *parts: str) -> Path | None:
    """A file of the configured catalogue folder (``[indicators] catalogue``), if present.

    A diagnostic scaffolded by ``gender-diag init`` carries its own editable copy of the
    criteria, actions and index presets; the bundled files serve when it has none.
    """
    folder = Path(config["indicators"]["catalogue"])
    folder = folder if folder.is_dir() else folder.parent
    path = folder.joinpath(*parts)
    return path if path.is_file() else None


def check_disaggregations(table: pd.DataFrame, requested: list[str]) -> list[str]:
    """Refuse a disaggregation that produced no row: a typo must not pass silently.

    The disaggregations gender_diag derives (age band, sex of the household head, …) may be
    impossible with partial data (no roster): those are returned, to be reported, not refused.
    """
    from gender_diag.indicators.compute import DEFAULT_BY

    missing = [b for b in requested if b not in set(table["by"])]
    unknown = [b for b in missing if b not in DEFAULT_BY]
    if unknown:
        raise ConfigError(
            f"[indicators] disaggregations: {', '.join(map(repr, unknown))} gave no estimate: "
            "it is not a column of the survey. Fix: use "
            + ", ".join(DEFAULT_BY)
            + " or another column of the survey tables."
        )
    return missing


def ranking_candidates(gaps: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The gaps that compete for priority: the ``[ranking] levels`` of disaggregation.

    WEAI adequacy indicators are left out: they restate catalogue indicators under the
    index's definitions and are reported with the indices instead.
    """
    keep = gaps["by"].isin(config["ranking"]["levels"]) & gaps["domain"].ne("weai")
    return gaps.loc[keep].reset_index(drop=True)


def indicator_labels(labels: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Indicator id → {language: label} from the catalogue frame.

    Household (and parcel) labels name the compared groups, female- and male-headed
    households (:func:`gender_diag.report.wording.unit_label`).
    """
    from gender_diag.report.wording import unit_label

    return {
        row.indicator: {
            lang: unit_label(getattr(row, f"label_{lang}"), getattr(row, "unit", ""), lang)
            for lang in ("es", "fr", "en")
        }
        for row in labels.itertuples()
    }


def suppress_small(
    frame: pd.DataFrame, *, sensitive: set[str], threshold: int, sensitive_threshold: int
) -> pd.DataFrame:
    """Blank the figures of rows based on fewer than the threshold of units (``n``).

    Used for tables that are not cells of the indicator × sex grid (couple comparisons):
    their rows are not margins of one another, so primary suppression suffices.
    """
    out = frame.copy()
    limit = np.where(out["indicator"].isin(sensitive), sensitive_threshold, threshold)
    small = out["n"].to_numpy(dtype=float) < limit
    figures = [
        c
        for c in out.columns
        if c not in ("indicator", "domain", "direction", "by", "by_value", "n", "reliability")
    ]
    out[figures] = out[figures].astype(float)
    out.loc[small, figures] = np.nan
    out["suppressed"] = small
    return out


def write_validation(
    report,
    out_dir: Path,
    *,
    variables=None,
    sensitive: set[str] = frozenset(),
    internal_dir: Path | None = None,
) -> list[Path]:
    """Write the shareable validation folder and the internal folder beside it (default deny:
    keys, columns, rules and reasons, never answers; see :mod:`gender_diag.report.side_files`)."""
    from gender_diag.report.side_files import write_validation as write

    return write(
        report, out_dir, variables=variables, sensitive=sensitive, internal_dir=internal_dir
    )


def sensitive_variables(catalogue) -> set[str]:
    """Variables read by the catalogue's sensitive indicators (never quoted in side files)."""
    out: set[str] = set()
    for ind in getattr(catalogue, "indicators", ()):
        if ind.sensitive and ind.parsed_rule is not None:
            out |= {v.split("__")[0] for v in ind.parsed_rule.variables()}
    return out


def run(
    config: str | Path | dict | None = None,
    *,
    until: str = "report",
    progress: Progress | None = None,
    write: bool = True,
) -> RunResult:
    """Run the diagnostic described by a ``diagnostic.toml``.

    Parameters
    ----------
    config : str, Path, dict or None
        Configuration file (or folder holding ``diagnostic.toml``, or a parsed dict);
        ``None`` runs the bundled example survey.
    until : str
        Last stage to run, one of :data:`STAGES` (``"report"`` runs everything).
    progress : callable, optional
        ``progress(stage, message)`` called as each stage starts and ends.
    write : bool
        Write the reports and tables to the output folder (the ``report`` stage).

    Returns
    -------
    RunResult

    Raises
    ------
    ValidationError
        When the data have a blocking problem; the validation report is written first.
    """
    progress = progress or _quiet
    if until not in STAGES:
        from gender_diag.errors import bad_parameter

        raise bad_parameter("until", "run", "one of " + ", ".join(STAGES), until)
    stop = STAGES.index(until)
    cfg = load_config(config)  # configuration problems first, before any heavy import
    if cfg["input"]["format"] == "census":  # a person file scanned by the engine
        from gender_diag.engine.census import run_census

        return run_census(cfg, progress=progress, write=write and until == "report")
    from gender_diag import indicators as ind
    from gender_diag import indices as idx
    from gender_diag.prioritise import load_criteria, rank_gaps
    from gender_diag.prioritise.concepts import concept_map, concept_priorities
    from gender_diag.recommend import recommend, select_actions
    from gender_diag.report import sdc, write_reports
    from gender_diag.report.tables import nesting_from_survey, place_names

    out = output_dir(cfg)
    result = RunResult(config=cfg)
    timings: dict[str, float] = {}
    from gender_diag.skips import SkipLog, attempt

    skips = SkipLog(progress)

    def stage(name: str):
        progress(name, "start")
        timings[name] = time.perf_counter()

    def done(name: str, message: str) -> None:
        timings[name] = time.perf_counter() - timings[name]
        progress(name, f"{message} ({timings[name]:.1f} s)")

    # 1. ingest and validation
    stage("ingest")
    survey = ingest_survey(cfg)
    if cfg.get("evaluation"):  # the latest round's renamed questions (issue 12)
        from gender_diag.change.stage import rename_current

        survey = rename_current(survey, cfg)
    result.survey = survey
    ind.compute.cache_evaluations(survey)  # rules evaluated once across the stages below
    report = survey.report
    if not report.valid:
        safe_output.remove_stale(out)  # an earlier run's files never sit beside this run's
        paths = write_validation(report, out / "validation", variables=survey.variables)
        safe_output.record(out, paths)
        raise ValidationError(
            f"The data have {len(report.blocking)} blocking problem(s); nothing was estimated. "
            f"The validation report is in {paths[0].parent}. First problem: "
            f"{report.blocking[0]}",
            report=report,
        )
    accepted = sum(report.rows_accepted.values())
    quarantined = sum(report.rows_quarantined.values())
    done("ingest", f"{accepted} rows accepted, {quarantined} quarantined")
    if stop < STAGES.index("indicators"):
        return result

    # 2. design + indicators (the design is built per unit table inside compute_indicators)
    stage("indicators")
    catalogue = ind.load_catalogue(
        cfg["indicators"]["catalogue"], languages=cfg["diagnostic"]["languages"]
    )
    # one design spec for every stage (roles checked against each table when used)
    design = DesignSpec.from_config(_design_config(cfg, survey), survey.design)
    computable, result.skipped_indicators = ind.available_indicators(survey, catalogue)
    if not computable:
        raise ConfigError(
            "No indicator of the catalogue can be computed from these data: "
            + "; ".join(result.skipped_indicators["reason"].unique()[:3])
            + ". Fix: check [input] (format, sheet) and the catalogue."
        )
    from gender_diag.engine.select import indicators_function

    table = indicators_function(cfg, survey.tables)(
        survey,
        catalogue,
        design=design,
        indicators=computable,
        by=tuple(cfg["indicators"]["disaggregations"]),
        alpha=1 - cfg["indicators"]["confidence"],
        ci_method=cfg["indicators"]["ci_method"],
    )
    unavailable = check_disaggregations(table, cfg["indicators"]["disaggregations"])
    table, sdc_log = sdc.apply_sdc(
        table,
        threshold=cfg["disclosure"]["threshold"],
        sensitive_threshold=cfg["disclosure"]["sensitive_threshold"],
        sensitive_min_level=cfg["disclosure"]["sensitive_min_level"],
        nesting=nesting_from_survey(survey),
    )
    result.indicators = table
    result.sdc_log = sdc_log
    result.gaps = ind.gap_table(table, catalogue)
    result.labels = catalogue.to_frame()
    result.catalogue = catalogue
    couples = attempt(
        skips,
        "indicators",
        "couple comparisons",
        ind.couple_comparisons,
        survey,
        catalogue,
        design,
        alpha=1 - cfg["indicators"]["confidence"],
        indicators=computable,
    )
    if couples is not None:
        result.couples = suppress_small(
            couples,
            sensitive=set(result.labels.loc[result.labels["sensitive"], "indicator"]),
            threshold=cfg["disclosure"]["threshold"],
            sensitive_threshold=cfg["disclosure"]["sensitive_threshold"],
        )
    for level in unavailable:
        skips.add("indicators", f"disaggregation {level}", "not possible with these data")
    skipped = len(result.skipped_indicators)
    note = f", {skipped} skipped (inputs not in the data)" if skipped else ""
    if catalogue.notes:  # a translation missing: another language's text is shown instead
        note += f"; {len(catalogue.notes)} text(s) borrowed from another language"
    if unavailable:
        note += f"; not possible with these data: {', '.join(unavailable)}"
    done("indicators", f"{table['indicator'].nunique()} indicators, {len(table)} rows{note}")
    if stop < STAGES.index("indices"):
        return result

    # 3. composite indices
    stage("indices")
    presets = cfg["indices"]["presets"]
    people = None
    if presets:  # no WEAI index asked for ([indices] presets = []): no WEAI inputs needed
        people = attempt(
            skips,
            "indices",
            "WEAI inputs",
            ind.weai_inputs,
            survey,
            catalogue,
            design=design,
            indicators=computable,
        )
    index_design = design  # the index frame's weights replace the weight role
    not_possible = []
    for preset in presets if people is not None else []:
        spec = idx.load_preset(catalogue_file(cfg, "presets", f"{preset}.yaml") or preset)
        absent = [key for key in spec.weights if key not in people.columns]
        if absent:
            not_possible.append(f"{preset} (no {', '.join(absent)})")
            skips.add("indices", f"index {preset}", f"inputs not in the data: {', '.join(absent)}")
            continue
        result.indices[preset] = idx.weai(
            people,
            preset=spec,
            sex="sex",
            female="F",
            household="hhid",
            weight=design.weight,
            design=index_design,
            gpi_weighted=cfg["indices"]["gpi_weighted"],
        )
    local = attempt(
        skips,
        "indices",
        "local gender gap index",
        ind.local_gap_index,
        survey,
        catalogue,
        design=design,
        indicators=computable,
    )
    for name, frame in (local or {}).items():
        result.indices[f"local_gap_{name}"] = frame
    if people is None and presets:
        not_possible = [f"{p} (no WEAI inputs)" for p in presets]
    result.skipped = skips.frame()
    note = f"; not possible with these data: {'; '.join(not_possible)}" if not_possible else ""
    done("indices", ", ".join(result.indices) + note)
    if stop < STAGES.index("ranking"):
        return result

    # 4. ranking with robustness
    stage("ranking")
    rcfg = cfg["ranking"]
    team = None
    team_weights: dict[str, float] = {}
    if rcfg["team_scores"] is not None:
        from gender_diag.prioritise import read_team_scores
        from gender_diag.prioritise.criteria import read_team_weights

        team = read_team_scores(rcfg["team_scores"], result.gaps)
        team_weights = read_team_weights(rcfg["team_scores"])  # workshop CSV
    ranking = rank_gaps(
        ranking_candidates(result.gaps, cfg),
        config=load_criteria(catalogue_file(cfg, "criteria.yaml")),
        weights=rcfg["weights"] or team_weights or None,
        team_scores=team,
        method=rcfg["method"],
        draws=rcfg["draws"],
        seed=rcfg["seed"],
        top_k=rcfg["top_k"],
        progress=lambda done_, total: progress("ranking", f"{done_ / total:.0%}"),
    )
    result.ranking = ranking.table
    result.ranking_result = ranking
    result.ranking_detail = {
        "methods": ranking.methods,
        "agreement": ranking.agreement,
        "loo": ranking.loo,
        "excluded": ranking.excluded,
    }
    done("ranking", f"{len(ranking.table)} gaps ranked")
    if stop < STAGES.index("recommend"):
        return result

    # 5. recommendations
    stage("recommend")
    labels = indicator_labels(result.labels)
    # one priority per concept (catalogue `concept`): actions answer distinct problems
    priorities = concept_priorities(ranking.table, concept_map(result.labels))
    actions, actions_note = select_actions(
        catalogue_file(cfg, "actions.yaml"), country=cfg["recommend"]["country"]
    )
    direct, indirect, unmatched = recommend(
        priorities.assign(rank=priorities["priority"]),
        result.gaps,
        actions=actions,
        top_n=cfg["recommend"]["top_n"],
        labels=labels,
        place_labels=place_names(survey),
    )
    result.direct_actions, result.indirect_actions, result.unmatched = direct, indirect, unmatched
    done("recommend", f"{len(direct)} direct, {len(indirect)} indirect actions ({actions_note})")

    if cfg.get("evaluation"):  # change since the baseline, only with [[rounds]] (issue 12)
        from gender_diag.change.stage import run_changes

        stage("changes")
        done("changes", run_changes(result, cfg))

    inputs = [cfg["input"]["path"], cfg["input"]["form"], cfg["input"]["design"]]
    inputs += sorted(Path(cfg["indicators"]["catalogue"]).rglob("*.yaml"))
    if rcfg["team_scores"] is not None:
        inputs.append(rcfg["team_scores"])
    if cfg.get("evaluation"):  # every round's files (issue 12)
        inputs += [r["config"]["input"][k] for r in cfg["evaluation"]["rounds"]
                   for k in ("path", "form", "design")]  # fmt: skip
    result.provenance = provenance.collect(cfg, inputs=inputs, seeds={"ranking": rcfg["seed"]})
    if stop < STAGES.index("report") or not write:
        return result

    # 6. reports
    stage("report")
    safe_output.remove_stale(out)
    paths = write_validation(
        report,
        out / "validation",
        variables=survey.variables,
        sensitive=sensitive_variables(catalogue),
    )
    if len(result.skipped_indicators):
        path = out / "validation" / "skipped_indicators.csv"
        paths.append(safe_output.write_csv(result.skipped_indicators, path))
    result.skipped = skips.frame()
    if len(result.skipped):
        path = out / "validation" / "skipped.csv"
        paths.append(safe_output.write_csv(result.skipped, path))
    paths += write_reports(
        result,
        out,
        languages=tuple(cfg["diagnostic"]["languages"]),
        threshold=cfg["disclosure"]["threshold"],
        sensitive_threshold=cfg["disclosure"]["sensitive_threshold"],
        sensitive_min_level=cfg["disclosure"]["sensitive_min_level"],
    )
    result.outputs = paths
    safe_output.record(out, paths)
    done("report", f"{len(paths)} files in {out}")
    return result


def summary_table(result: RunResult, *, top: int = 5, lang: str = "en") -> pd.DataFrame:
    """Final summary for the CLI, in ``lang``: rows accepted/quarantined, the distinct top
    priorities with women's and men's values in the language's number format, files."""
    from gender_diag.report.console import summary_rows

    out = str(output_dir(result.config)) if result.outputs else ""
    return summary_rows(result, top=top, lang=lang, out=out)
