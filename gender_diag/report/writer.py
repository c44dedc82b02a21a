"""Write every report of a run: disclosure control first, then each output in each language."""

from __future__ import annotations

from collections.abc import Sequence
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


def write_reports(
    result: Any,
    out_dir: str | Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    threshold: int = 5,
    sensitive_threshold: int = 10,
    sensitive_min_level: str = "district",
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
    from gender_diag.report.charts import write_charts_languages
    from gender_diag.report.dictionary import write_dictionary
    from gender_diag.report.docx import write_brief
    from gender_diag.report.excel import write_excel
    from gender_diag.report.html import write_annex, write_html

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
    written += write_csvs(pub, out / "csv")
    # each chart is drawn once and labelled in every language (the data do not change)
    languages = [load_texts(lang) for lang in langs]
    drawn = write_charts_languages(
        pub, languages, {t.lang: out / "charts" / t.lang for t in languages}
    )
    for texts in languages:
        lang = texts.lang
        charts = write_change_chart(pub, texts, out / "charts" / lang)
        charts.update(drawn[lang])
        for info in charts.values():
            written += [info["png"], info["svg"]]
        written.append(write_dictionary(pub, texts, out / "csv"))
        folder = out / lang
        written.append(write_html(pub, texts, charts, folder / _file_name(texts, "files.report")))
        written.append(write_annex(pub, texts, folder / _file_name(texts, "files.annex")))
        written.append(write_excel(pub, texts, folder / _file_name(texts, "files.workbook")))
        brief = folder / _file_name(texts, "files.brief")
        png = charts["brief"]["png_bytes"] if "brief" in charts else None
        written.append(write_brief(pub, texts, brief, chart_png=png))
    return [Path(p) for p in written]
