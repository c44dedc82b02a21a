"""What readers get from the bundled example: page counts, clean printing, every word translated.

One run of ``surveys/example/diagnostic.toml`` (fewer robustness draws) feeds:

* the main HTML report printed to A4 by headless Chromium: at most 40 pages, no table wider
  than the page, table headers repeated on every printed page;
* the Word brief converted by LibreOffice: two A4 pages;
* a scan of every Spanish and French output (HTML report and annex as seen by a reader, Excel
  cell text, Word text, chart SVG text) for the package's internal identifiers (indicator ids,
  disaggregation and code names, alert codes, column names) and English alert/column words.

The tests skip cleanly, with the reason, where Chromium, Playwright or LibreOffice is absent.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest

import gender_diag as gd
from gender_diag.config import load_config
from gender_diag.indicators import load_catalogue
from gender_diag.report.i18n import load_texts
from gender_diag.resources import example_dir

pytestmark = pytest.mark.slow

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def example_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example_reports")
    config = load_config(example_dir() / "diagnostic.toml")
    config["diagnostic"]["output_dir"] = str(out)
    config["ranking"]["draws"] = 500
    gd.run(config)
    return out


def _chromium() -> str:
    found = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not found:
        pytest.skip("headless Chromium not found; install it with `apt-get install chromium`")
    return found


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.skip(
            "LibreOffice not found; install it with `apt-get install libreoffice-writer-nogui`"
        )
    return found


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))


@pytest.mark.browser
def test_main_report_prints_to_at_most_40_a4_pages(example_out, tmp_path):
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    t = load_texts("es")
    report = example_out / "es" / t["files.report"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(report.resolve().as_uri(), wait_until="load")
            pdf = page.pdf(format="A4", prefer_css_page_size=True)
            # A4 minus the 12 mm side margins of the print CSS, at 96 px per inch
            page.set_viewport_size({"width": 702, "height": 1000})
            page.emulate_media(media="print")
            overflow = page.evaluate(
                """() => [...document.querySelectorAll('table')]
                    .filter(t => t.getBoundingClientRect().right >
                                 document.documentElement.clientWidth + 1)
                    .map(t => t.id)"""
            )
            heads = page.evaluate(
                """() => [...document.querySelectorAll('table')]
                    .filter(t => t.tBodies[0] && t.tBodies[0].rows.length)
                    .filter(t => !t.tHead ||
                             getComputedStyle(t.tHead).display !== 'table-header-group')
                    .map(t => t.id)"""
            )
        finally:
            browser.close()
    pages = _pdf_pages(pdf)
    assert 5 <= pages <= 40, pages
    assert overflow == []
    assert heads == []


def test_word_brief_is_two_a4_pages(example_out, tmp_path):
    soffice = _soffice()
    for lang in ("es", "fr", "en"):
        brief = example_out / lang / load_texts(lang)["files.brief"]
        subprocess.run(
            [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
             "--convert-to", "pdf", "--outdir", str(tmp_path), str(brief)],
            check=True, capture_output=True, timeout=240,
        )  # fmt: skip
        pdf = (tmp_path / brief.with_suffix(".pdf").name).read_bytes()
        assert _pdf_pages(pdf) == 2, lang
        assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+595", pdf)  # A4 is 595 x 842 pt


# ---------------------------------------------------------------------- translation scan


def _forbidden() -> re.Pattern:
    """Internal identifiers and English alert/column words no es/fr reader should meet."""
    catalogue = load_catalogue()
    words = set(catalogue.ids)
    words |= {"age_band", "head_sex", "mother_tongue", "by_value", "gap_id", "weai_key"}
    words |= {"unreliable", "caution", "not_significant", "women_better_off", "no_estimate"}
    words |= {"estimate_f", "estimate_m", "ci_low", "ci_high", "gap_ci_low", "q_value", "p_top_k"}
    words |= {"crit_gap", "norm_gap", "contrib_gap", "median_rank", "weighted_sum"}
    words |= {"True", "False", "Women", "Men", "women", "men", "estimate", "reliability"}
    words |= {"spanish", "pomacanchi", "acomayo", "sangarara", "tie"}
    words |= {"suppressed", "households", "respondents", "members", "parcels", "gap", "rank_low"}
    return re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, words))) + r")(?![\w-])")


def _visible_html(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # the provenance record quotes the configuration file verbatim (keys, file names, hashes)
    text = re.sub(r'<section id="provenance".*?</section>', " ", text, flags=re.S)
    text = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(text)


def _xlsx_text(path: Path, skip: str) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    parts = []
    for ws in wb.worksheets:
        if ws.title == skip:
            continue
        for row in ws.iter_rows(values_only=True):
            parts += [str(v) for v in row if isinstance(v, str)]
    return "\n".join(parts)


def _docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    cells = [c.text for tb in d.tables for row in tb.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def _svg_text(path: Path) -> str:
    svg = path.read_text(encoding="utf-8")
    return html.unescape(" ".join(re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)))


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_no_internal_identifier_or_english_word(example_out, lang):
    t = load_texts(lang)
    folder = example_out / lang
    outputs = {
        t["files.report"]: _visible_html(folder / t["files.report"]),
        t["files.annex"]: _visible_html(folder / t["files.annex"]),
        t["files.workbook"]: _xlsx_text(folder / t["files.workbook"], t["sheets.provenance"]),
        t["files.brief"]: _docx_text(folder / t["files.brief"]),
    }
    for svg in sorted((example_out / "charts" / lang).glob("*.svg")):
        outputs[svg.name] = _svg_text(svg)
    pattern = _forbidden()
    found = {}
    for name, text in outputs.items():
        hits = sorted({m.group(1) for m in pattern.finditer(text)})
        if hits:
            found[name] = hits
    assert found == {}
    # codes shown as whole cell values: sex codes
    for name, text in outputs.items():
        assert not re.search(r"(?m)^(F|M)$", text), name


def test_every_csv_column_is_described_in_each_language(example_out):
    import pandas as pd

    for lang in ("es", "fr", "en"):
        t = load_texts(lang)
        d = pd.read_csv(example_out / "csv" / t["files.dictionary"], keep_default_na=False)
        assert list(d.columns) == [
            t["dictionary.file"],
            t["dictionary.column"],
            t["dictionary.description"],
        ]
        missing = d[d[t["dictionary.description"]] == ""]
        assert missing.empty, missing.to_string()
        assert {"indicators.csv", "ranking.csv", "gaps.csv"} <= set(d[t["dictionary.file"]])
