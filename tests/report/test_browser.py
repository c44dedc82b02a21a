"""The HTML report in headless Chromium: offline, no errors, not blank, key tables present."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_path() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    found = shutil.which("chromium")
    if not found:
        pytest.skip(
            "headless Chromium not found (/usr/bin/chromium or `chromium` on PATH); "
            "install it with `apt-get install chromium` (CI does this in .ci/run)"
        )
    return found


@pytest.fixture(scope="module")
def report_file(written) -> Path:
    return written[0] / "es" / "informe.html"


def test_report_in_headless_chromium(report_file, tmp_path):
    executable = _browser_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    from PIL import Image

    url = report_file.resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            for table in (
                "table-priorities",
                "table-indicators_total",
                "table-indicators_district",
                "table-direct",
                "table-indirect",
                "table-accounting",
                "table-provenance",
            ):
                assert page.locator(f"#{table} tbody tr").count() > 0, table
            assert page.locator("section#summary ol.messages li").count() >= 3
            assert page.locator("section#citations .card").count() >= 3
            assert page.locator("#charts svg").count() >= 3
            assert page.locator("nav.toc a").count() >= 10
            body = page.inner_text("body")
            assert "Resumen ejecutivo" in body and "desventaja para" in body
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert errors == []
    assert requests == [url]  # nothing but the file itself
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10  # not a blank page
