"""The workshop page re-ranks in the browser exactly as the Python ranking does.

The page of the HTML report is rendered from a real :func:`rank_gaps` result; headless
Chromium moves the weight sliders (and types team scores) and the concept order it shows is
compared with :func:`rank_gaps` + :func:`concept_priorities` run with the same weights and
scores. The CSV the page downloads is read back by ``read_team_scores``/``read_team_weights``.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from gender_diag.prioritise import rank_gaps
from gender_diag.prioritise.concepts import concept_priorities
from gender_diag.prioritise.criteria import read_team_scores, read_team_weights
from gender_diag.prioritise.fixtures import example_gap_table
from gender_diag.prioritise.workshop_spec import criteria_info
from gender_diag.report.html import render_html
from gender_diag.report.i18n import load_texts
from gender_diag.report.tables import publish
from gender_diag.report.workshop import workshop_data

pytestmark = pytest.mark.browser

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# two indicators that measure the same thing: one priority
CONCEPTS = {"land_owner": "land_title_name"}
WEIGHTS = [
    {"gap": 0.2, "parity": 0.1, "confidence": 0.15, "reach": 0.15, "severity": 0.2,
     "feasibility": 0.1, "leverage": 0.1},
    {"gap": 0.8, "parity": 0.0, "confidence": 0.05, "reach": 0.05, "severity": 0.0,
     "feasibility": 0.05, "leverage": 0.05},
    {"gap": 0.05, "parity": 0.05, "confidence": 0.1, "reach": 0.6, "severity": 0.1,
     "feasibility": 0.0, "leverage": 0.1},
]  # fmt: skip


def _browser() -> str:
    found = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not found:
        pytest.skip("headless Chromium not found; install it with `apt-get install chromium`")
    return found


@pytest.fixture(scope="module")
def gaps() -> pd.DataFrame:
    return example_gap_table(n_indicators=8, seed=3)


@pytest.fixture(scope="module")
def page_file(gaps, tmp_path_factory, result_factory) -> Path:
    ranking = rank_gaps(gaps, draws=0)
    pub = publish(result_factory())
    labels = pd.DataFrame({"indicator": sorted(set(gaps["indicator"]))})
    for lang in ("es", "fr", "en"):
        labels[f"label_{lang}"] = labels["indicator"].str.replace("_", " ")
    labels["concept"] = labels["indicator"].map(lambda i: CONCEPTS.get(i, i))
    pub = dataclasses.replace(
        pub,
        ranking=ranking.table.assign(suppressed=False),
        labels=labels,
        criteria=criteria_info(SimpleNamespace(ranking_result=ranking, config={})),
    )
    texts = load_texts("es")
    assert workshop_data(pub, texts) is not None
    path = tmp_path_factory.mktemp("workshop") / "informe.html"
    path.write_text(render_html(pub, texts, {}), encoding="utf-8")
    return path


def _python_order(gaps, weights, team=None) -> tuple[list[str], list[int]]:
    table = rank_gaps(gaps, weights=weights, team_scores=team, draws=0).table
    p = concept_priorities(table, CONCEPTS)
    return p["concept"].tolist(), p["priority"].tolist()


def _team(gaps, scores: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = [
        {"gap_id": g, "feasibility": scores[c][0], "leverage": scores[c][1]}
        for g, i in zip(gaps["gap_id"], gaps["indicator"], strict=True)
        if (c := CONCEPTS.get(i, i)) in scores
    ]
    return pd.DataFrame(rows)


def test_workshop_ranks_like_python(page_file, gaps, tmp_path):
    executable = _browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri(), wait_until="load")
            app = page.locator("#workshop-app")
            for weights in WEIGHTS:
                page.evaluate(
                    """(w) => document.querySelectorAll('#workshop-app input[type=range]')
                        .forEach(s => { s.value = w[s.dataset.name];
                                        s.dispatchEvent(new Event('input')); })""",
                    weights,
                )
                order = app.get_attribute("data-order").split()
                prio = [int(x) for x in app.get_attribute("data-priorities").split()]
                assert (order, prio) == _python_order(gaps, weights), weights
            # the team scores a concept: feasibility 5, leverage 4 on every gap of it
            first = page.locator("#table-workshop tbody tr").nth(3)
            concept = first.get_attribute("data-concept")
            first.locator("input[data-crit=feasibility]").fill("5")
            first.locator("input[data-crit=feasibility]").dispatch_event("change")
            row = page.locator(f'#table-workshop tbody tr[data-concept="{concept}"]')
            row.locator("input[data-crit=leverage]").fill("4")
            row.locator("input[data-crit=leverage]").dispatch_event("change")
            order = app.get_attribute("data-order").split()
            team = _team(gaps, {concept: (5, 4)})
            assert order == _python_order(gaps, WEIGHTS[-1], team)[0]
            csv = page.evaluate("window.genderDiagWorkshop.csv()")
        finally:
            browser.close()
    assert errors == []
    assert requests == [page_file.as_uri()]  # no network
    path = tmp_path / "team_scores.csv"
    path.write_text(csv, encoding="utf-8")
    back = read_team_scores(path, gaps)
    scored = back.dropna(subset=["feasibility"])
    assert set(scored["gap_id"]) == set(team["gap_id"])
    assert (scored["feasibility"] == 5).all() and (scored["leverage"] == 4).all()
    weights = read_team_weights(path)
    total = sum(WEIGHTS[-1].values())
    assert weights == pytest.approx({k: v / total for k, v in WEIGHTS[-1].items()})
    # the file's weights and scores give the page's order back in Python
    assert _python_order(gaps, weights, back.dropna(subset=["feasibility"]))[0] == order
