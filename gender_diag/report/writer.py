"""Write every report of a run: disclosure control first, then each output in each language."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from gender_diag.errors import ConfigError, bad_parameter
from gender_diag.report.i18n import LANGUAGES, load_texts
from gender_diag.report.side_files import INTERNAL_DIR, split_sdc_log, write_readme
from gender_diag.report.tables import publish
from gender_diag.report.tidy_csv import write_csv, write_csvs


def _file_name(texts, key: str) -> str:
    name = texts[key]
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(
            f"Report text {key!r} ({texts.lang}.yaml) must be a plain file name, got {name!r}."
        )
    return name


#: The tasks run side by side, the longest first (CPU seconds at 20,000 households, all
#: languages: communities chart 2.9, workbook 1.1 each, gaps chart 1.2, dumbbell 1.0,
#: priority 0.8, tidy CSV tables 0.6, brief 0.5, WEAI 0.5, annex 0.2 each). Every chart of
#: :data:`gender_diag.report.charts.CHART_NAMES` and the brief chart must be listed.
TASK_ORDER = (
    ("chart", "communities"),
    ("excel", ""),
    ("chart", "gaps"),
    ("chart", "dumbbell"),
    ("chart", "priority"),
    ("csv", ""),
    ("chart", "brief"),
    ("chart", "weai"),
    ("annex", ""),
)


def _shared_work(pub, languages) -> None:
    """Build once, before the workers start, what several of them would otherwise each
    build: the wide tables by sex, the summary tables of each language (read by the workbook,
    the report and the brief) and the compiled report template."""
    from gender_diag.report import summary as sm
    from gender_diag.report.html import template_env
    from gender_diag.report.tables import sex_wide

    for by in (None, "total", "community"):
        sex_wide(pub, by=by)
    for texts in languages:
        sm.citation_cards(pub, texts)
        sm.index_tables(pub, texts)
        for kind in ("direct", "indirect"):
            sm.actions_by_action(pub, texts, kind)
    template_env().get_template("report.html.j2")


def write_reports(
    result: Any,
    out_dir: str | Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    threshold: int = 5,
    sensitive_threshold: int = 10,
    sensitive_min_level: str = "district",
    workers: int | None = None,
) -> list[Path]:
    """Apply disclosure control to ``result`` and write every output under ``out_dir``.

    Layout::

        out_dir/sdc_log.csv                 what was suppressed and why (no true n)
        out_dir/interno/sdc_log.csv         the same with the true n (never shared)
        out_dir/csv/*.csv                   tidy tables (language-independent)
        out_dir/csv/<dictionary>.csv        their columns described, one file per language
        out_dir/charts/<lang>/*.png|svg     charts labelled in each language
        out_dir/<lang>/<report>.html        self-contained HTML report (summary first)
        out_dir/<lang>/<annex>.html         full gap and disaggregation tables
        out_dir/<lang>/<workbook>.xlsx      Excel workbook
        out_dir/<lang>/<brief>.docx         Word policy brief

    File names per language come from ``files.*`` in the i18n YAML files (e.g.
    ``es/informe.html``, ``es/diagnostico.xlsx``, ``es/resumen_politicas.docx``).

    Parameters
    ----------
    result : RunResult
        Output of ``gd.run`` (indicator table *before* disclosure control).
    out_dir : path
        Output folder, created if needed.
    languages : sequence of {"es", "fr", "en"}
    threshold, sensitive_threshold, sensitive_min_level
        Disclosure control (see :func:`gender_diag.report.sdc.apply_sdc`).
    workers : int, optional
        Processes writing the charts, workbooks and reports side by side (default: the
        cores available, :func:`gender_diag.report.parallel.default_workers`); the files
        are the same whatever the number.

    Returns
    -------
    list of Path
        Every file written, in writing order.
    """
    # the writers load matplotlib, python-docx, xlsxwriter and jinja2: only when writing, so
    # that ``import gender_diag`` stays light (tested in tests/pipeline/test_architecture.py)
    from gender_diag.engine.census import district_extra
    from gender_diag.report.changes import change_extra
    from gender_diag.report.changes import write_chart as write_change_chart
    from gender_diag.report.charts import render_charts, write_charts_languages
    from gender_diag.report.dictionary import write_dictionary
    from gender_diag.report.docx import write_brief
    from gender_diag.report.excel import write_excel
    from gender_diag.report.html import write_annex, write_html
    from gender_diag.report.parallel import run_tasks

    langs = list(languages)
    if not langs or any(lang not in LANGUAGES for lang in langs):
        raise bad_parameter(
            "languages", "write_reports", f"a non-empty subset of {LANGUAGES}", languages
        )
    pub = publish(
        result,
        threshold=threshold,
        sensitive_threshold=sensitive_threshold,
        sensitive_min_level=sensitive_min_level,
    )
    pub.extra.update(change_extra(result))  # "What changed" tables (issue 12), also as CSV
    pub.extra.update(district_extra(result))  # "Your district among all districts" (issue 13)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    public_log, internal_log = split_sdc_log(pub.sdc_log)
    written = [write_csv(public_log, out / "sdc_log.csv")]
    written.append(write_csv(internal_log, out / INTERNAL_DIR / "sdc_log.csv"))
    written.append(write_readme(out / INTERNAL_DIR))
    languages = [load_texts(lang) for lang in langs]
    folders = {t.lang: out / t.lang for t in languages}
    _shared_work(pub, languages)
    # the outputs that read only the published tables, side by side on the machine's cores
    # (gender_diag.report.parallel), the longest first: each chart in every language (drawn
    # once, labelled per language), each workbook and each annex
    writers = {"excel": (write_excel, "files.workbook"), "annex": (write_annex, "files.annex")}
    tasks: dict[tuple[str, str], Any] = {}
    for kind, name in TASK_ORDER:
        if kind == "chart":
            tasks[kind, name] = partial(render_charts, name, pub, languages)
            continue
        if kind == "csv":
            tasks[kind, name] = partial(write_csvs, pub, out / "csv")
            continue
        writer, key = writers[kind]
        for texts in languages:
            path = folders[texts.lang] / _file_name(texts, key)
            tasks[kind, texts.lang] = partial(writer, pub, texts, path)
    done = dict(zip(tasks, run_tasks(list(tasks.values()), workers=workers), strict=True))
    written += done["csv", ""]
    drawn = write_charts_languages(
        pub,
        languages,
        {t.lang: out / "charts" / t.lang for t in languages},
        rendered={name: done["chart", name] for kind, name in TASK_ORDER if kind == "chart"},
    )
    # then, in this process, the reports that show the charts (the summary tables they read
    # are built), in the order of the files in the manifest
    for texts in languages:
        lang, folder = texts.lang, folders[texts.lang]
        charts = write_change_chart(pub, texts, out / "charts" / lang)
        charts.update(drawn[lang])
        for info in charts.values():
            written += [info["png"], info["svg"]]
        written.append(write_dictionary(pub, texts, out / "csv"))
        written.append(write_html(pub, texts, charts, folder / _file_name(texts, "files.report")))
        written += [done["annex", lang], done["excel", lang]]
        brief = folder / _file_name(texts, "files.brief")
        png = charts["brief"]["png_bytes"] if "brief" in charts else None
        written.append(write_brief(pub, texts, brief, chart_png=png))
    return [Path(p) for p in written]
