"""'Your district among all districts': ranking by hand, census reports, survey section, config."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from gender_diag.engine.census import check_district, district_ranking
from gender_diag.errors import ConfigError
from gender_diag.report.district import (
    build_view,
    chart_position,
    comparison_table,
    main_rows,
    ranking_table,
    summary_sentences,
)
from gender_diag.report.i18n import load_texts

# -- a hand-checkable case ------------------------------------------------------------------
# Two proportions, both higher_better, in two rights domains (so the index is the mean of the
# two truncated ratios f/m):
#   D1: a 0.4/0.8 = 0.5,  b 0.6/0.6 = 1.0          -> index 0.75
#   D2: a 0.8/0.8 = 1.0,  b 0.3/0.6 = 0.5          -> index 0.75 (tie with D1)
#   D3: a 0.9/0.6 = 1.5 -> 1.0 (truncated), b 0.6/0.8 = 0.75 -> index 0.875
#   D4: a 0.2/0.8 = 0.25, b 0.5/1.0 = 0.5          -> index 0.375
# Ranks (1 = lowest index, ties share the lowest rank): D4 1, D1 2, D2 2, D3 4.
CASE = {
    "D1": ((0.4, 0.8), (0.6, 0.6)),
    "D2": ((0.8, 0.8), (0.3, 0.6)),
    "D3": ((0.9, 0.6), (0.6, 0.8)),
    "D4": ((0.2, 0.8), (0.5, 1.0)),
}
NATIONAL = ((0.55, 0.75), (0.5, 0.75))


def _gap_rows(by, value, pairs, dep=None):
    rows = []
    for ind, (f, m) in zip(("a", "b"), pairs, strict=True):
        rows.append(
            {
                "indicator": ind,
                "by": by,
                "by_value": value,
                "estimate_f": f,
                "estimate_m": m,
                "gap": f - m,
                "n_f": 50,
                "n_m": 50,
                "direction": "higher_better",
                "type": "proportion",
            }
        )
    return rows


@pytest.fixture
def case():
    rows = _gap_rows("total", "", NATIONAL)
    rows += _gap_rows("department", "D", ((0.5, 0.8), (0.45, 0.7)))
    for code, pairs in CASE.items():
        rows += _gap_rows("district", code, pairs)
    gaps = pd.DataFrame(rows)
    catalogue = SimpleNamespace(
        indicators=[
            SimpleNamespace(id="a", tags={"rights": "social"}),
            SimpleNamespace(id="b", tags={"rights": "economic"}),
        ]
    )
    labels = pd.DataFrame(
        {
            "indicator": ["a", "b"],
            **{f"label_{lg}": ["Indicator A", "Indicator B"] for lg in ("es", "fr", "en")},
        }
    )
    return gaps, catalogue, labels


def test_ranking_hand_case(case):
    gaps, catalogue, _ = case
    r = district_ranking(gaps, catalogue).set_index("district")
    assert r["local_gap_index"].to_dict() == pytest.approx(
        {"D1": 0.75, "D2": 0.75, "D3": 0.875, "D4": 0.375}, abs=1e-12
    )
    assert r["rank"].to_dict() == {"D1": 2, "D2": 2, "D3": 4, "D4": 1}
    assert r["worst_indicator"].to_dict() == {"D1": "a", "D2": "b", "D3": "b", "D4": "a"}
    assert r.loc["D4", "worst_gap"] == pytest.approx(-0.6)
    # ranks are consistent with the index: a lower index never has a worse (higher) rank
    order = r.sort_values("local_gap_index")
    assert order["rank"].is_monotonic_increasing


def test_district_with_too_few_indicators_is_listed_not_ranked(case):
    # D2 loses indicator b (a suppressed cell): one of the two indicators is left, below the
    # default requirement ceil(0.75 * 2) = 2, so D2 keeps its row but has no index or rank;
    # the others are ranked among themselves: D4 1, D1 2, D3 3.
    gaps, catalogue, labels = case
    small = (gaps["by_value"] == "D2") & (gaps["indicator"] == "b")
    gaps = gaps.assign(estimate_f=gaps["estimate_f"].mask(small))
    r = district_ranking(gaps, catalogue).set_index("district")
    assert r.attrs["min_indicators"] == 2
    assert r.loc["D2", "n_indicators"] == 1 and not r.loc["D2", "ranked"]
    assert pd.isna(r.loc["D2", "local_gap_index"]) and pd.isna(r.loc["D2", "rank"])
    assert r["rank"].dropna().to_dict() == {"D4": 1, "D1": 2, "D3": 3}
    assert r.loc["D3", "percentile"] == pytest.approx(1 / 3)  # 1 - (3 - 1) / 3 ranked
    # [census] min_indicators = 1 ranks it again, on its one indicator (a: 0.8/0.8 = 1)
    loose = district_ranking(gaps, catalogue, min_indicators=1).set_index("district")
    assert loose.loc["D2", "local_gap_index"] == pytest.approx(1.0)
    assert loose["rank"].to_dict() == {"D1": 2, "D2": 4, "D3": 3, "D4": 1}
    # the chosen district's summary says why it is not ranked, and the method states the rule
    view = build_view(gaps, district_ranking(gaps, catalogue), labels, district="D2")
    t = load_texts("en")
    sentences = summary_sentences(view, t)
    assert any("District D2 is not ranked: it has published figures for 1 of the indicators "
               "and 2 are needed" in s for s in sentences)  # fmt: skip
    assert not any("District D2 ranks" in s for s in sentences)
    assert any(s.startswith("1 of the 4 districts have fewer than 2") for s in sentences)
    assert "fewer than 2 published indicators" in view.method_text(t)


def test_view_tables_and_chart_highlight_the_chosen_district(case):
    gaps, catalogue, labels = case
    ranking = district_ranking(gaps, catalogue)
    view = build_view(gaps, ranking, labels, district="D3", persons=400)
    t = load_texts("en")
    assert view.department == "D"
    # share of districts strictly further from parity: D3 ranks 4 of 4 -> 3/4
    assert view.chosen["further"] == pytest.approx(0.75)
    sentences = summary_sentences(view, t)
    assert any("District D3 ranks 4 of 4" in s and "75%" in s for s in sentences)
    assert any("furthest behind in district D4 (index 0.375)" in s for s in sentences)
    # main rows: both ends and the neighbourhood (all four here), chosen marked
    table = ranking_table(view, t, rows=main_rows(view, ends=1, neighbours=0))
    assert table.frame["place"].tolist() == ["D4", "▶ D3"]
    comp = comparison_table(view, t)
    assert comp.frame["level"].tolist() == [
        "District D3", "Department D", "Country", "District D3", "Department D", "Country",
    ]  # fmt: skip
    assert comp.frame["gap"].tolist() == pytest.approx([0.3, -0.3, -0.2, -0.2, -0.25, -0.25])
    fig = chart_position(view, t)
    try:
        ax = fig.axes[0]
        dots, you = ax.collections[0], ax.collections[1]
        assert len(dots.get_offsets()) == 4
        assert you.get_offsets().tolist() == [[4.0, 0.875]]
        assert any("District D3" in x.get_text() for x in ax.texts)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_unknown_district_is_a_clear_error(case):
    gaps, catalogue, _ = case
    ranking = district_ranking(gaps, catalogue)
    assert check_district(ranking, "", source="c.parquet") is None
    assert check_district(ranking, "D2", source="c.parquet") == "D2"
    with pytest.raises(ConfigError) as err:
        check_district(ranking, "D9", source="c.parquet")
    msg = str(err.value)
    assert "[census] district = 'D9'" in msg and "c.parquet" in msg and "Fix:" in msg


def test_census_keys_validated(tmp_path):
    from gender_diag.config import load_config

    (tmp_path / "x.csv").write_text("a\n1\n")
    cfg = tmp_path / "diagnostic.toml"
    cfg.write_text('[input]\npath = "x.csv"\nformat = "table"\n[census]\ndistrict = "080101"\n')
    with pytest.raises(ConfigError, match=r"\[census\] district = '080101' needs the census"):
        load_config(cfg)
    cfg.write_text('[input]\npath = "x.csv"\nformat = "census"\n[census]\npath = "x.csv"\n')
    with pytest.raises(ConfigError, match=r"\[census\] path = .* is for survey diagnostics"):
        load_config(cfg)
    cfg.write_text('[input]\npath = "x.csv"\n[census]\npath = "nope.parquet"\nlevels = []\n')
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "[census] path: file 'nope.parquet' does not exist" in str(err.value)
    assert "[census] levels = [] must list area columns" in str(err.value)


# -- the census run: reports in three languages ---------------------------------------------


@pytest.fixture(scope="module")
def census_dir(tmp_path_factory):
    from gender_diag.synth.census import write_census

    out = tmp_path_factory.mktemp("census")
    write_census(out, persons=4000, seed=3)
    return out


def _column(census_dir: Path, name: str) -> pd.Series:
    import duckdb

    con = duckdb.connect()
    try:
        rel = con.read_parquet(str(census_dir / "persons.parquet"))
        return rel.select(name).df()[name]
    finally:
        con.close()


def _chosen(census_dir: Path) -> str:
    return str(_column(census_dir, "district").value_counts().index[0])  # most populous


@pytest.fixture(scope="module")
def census_run(census_dir, tmp_path_factory):
    import gender_diag as gd

    out = tmp_path_factory.mktemp("census_out")
    chosen = _chosen(census_dir)
    toml = census_dir / "diagnostic.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('name = "census"', f'name = "census"\noutput_dir = "{out.as_posix()}"')
    toml.write_text(text + f'\n[census]\ndistrict = "{chosen}"\n', encoding="utf-8")
    result = gd.run(toml)
    return result, out, chosen


def test_census_run_writes_reports_in_three_languages(census_run):
    import openpyxl

    result, out, chosen = census_run
    ranking = result.indices["district_ranking"]
    n = len(ranking)
    assert n > 300
    files = {
        "es": (
            "distritos.html",
            "distritos_anexo.html",
            "distritos.xlsx",
            "distritos_resumen.docx",
        ),
        "fr": ("districts.html", "districts_annexe.html", "districts.xlsx", "districts_note.docx"),
        "en": ("districts.html", "districts_annex.html", "districts.xlsx", "districts_brief.docx"),
    }
    for lang, names in files.items():
        for name in names:
            assert (out / lang / name).stat().st_size > 1000, (lang, name)
        assert (out / "charts" / lang / "district.svg").exists()
        html = (out / lang / names[0]).read_text(encoding="utf-8")
        # summary first, then the chart, the ranking and the comparison
        ids = re.findall(r'<section id="([^"]+)"', html)
        assert ids[:4] == ["summary", "position", "ranking", "comparison"]
        assert f"▶ {chosen}" in html and "<svg" in html
        annex = (out / lang / names[1]).read_text(encoding="utf-8")
        assert annex.count("<tr>") == n + 1  # every district and the header row
        wb = openpyxl.load_workbook(out / lang / names[2], read_only=True)
        sheet = wb[load_texts(lang)["district.sheets.ranking"]]
        assert sheet.max_row >= n + 1
        wb.close()
    en = (out / "en" / "districts.html").read_text(encoding="utf-8")
    row = ranking.loc[ranking["district"].astype(str) == chosen].iloc[0]
    ranked = int(ranking["local_gap_index"].notna().sum())
    assert f"District {chosen} ranks {int(row['rank'])} of {ranked:,}" in en


def test_census_outputs_suppress_small_cells(census_run):
    _, out, _ = census_run
    gaps = pd.read_csv(out / "gaps.csv", dtype={"by_value": str})
    ind = pd.read_csv(out / "indicators.csv", dtype={"by_value": str})
    # no published count below the threshold (5), and no gap beside a suppressed sex
    assert not (ind["n"].dropna() < 5).any() and ind["suppressed"].any()
    assert ind.loc[ind["suppressed"], ["estimate", "se", "n", "cv"]].isna().all().all()
    for s in ("f", "m"):
        assert not (gaps[f"n_{s}"].dropna() < 5).any()
    one_side = gaps["estimate_f"].isna() ^ gaps["estimate_m"].isna()
    assert one_side.any()
    assert gaps.loc[one_side, ["gap", "gap_se", "ratio", "p_value"]].isna().all().all()


def test_census_outputs_hold_no_identifier(census_dir, census_run):
    _, out, _ = census_run
    dni = _column(census_dir, "dni").dropna()
    sample = set(dni.astype(str).head(200))
    for path in out.rglob("*"):
        if path.suffix in (".html", ".csv", ".svg"):
            text = path.read_text(encoding="utf-8")
            assert not any(d in text for d in sample), path


def test_census_chart_in_headless_chromium(census_run, tmp_path):
    _, out, chosen = census_run
    executable = (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    )
    if not executable:
        pytest.skip("headless Chromium not found; install it with `apt-get install chromium`")
    sync_api = pytest.importorskip("playwright.sync_api")
    url = (out / "en" / "districts.html").resolve().as_uri()
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, args=["--headless", "--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="load")
            assert page.locator("#chart-district svg").count() == 1
            assert page.locator("#table-district_ranking tbody tr").count() >= 10
            assert chosen in page.inner_text("#table-district_ranking")
        finally:
            browser.close()
    assert errors == []


# -- a survey report with the census comparison ---------------------------------------------


def test_survey_report_includes_the_district_section(census_dir, result_factory, tmp_path):
    from gender_diag.report import write_reports

    result = result_factory()
    chosen = _chosen(census_dir)
    result.config = dict(result.config or {})
    result.config["census"] = {
        "path": census_dir / "persons.parquet",
        "district": chosen,
        "catalogue": None,
        "weight": "weight",
        "levels": ["department", "province", "district"],
    }
    result.config.setdefault("engine", {"kind": "duckdb", "spark_master": "local[2]"})
    paths = write_reports(result, tmp_path, languages=("es",))
    html = next(p for p in paths if p.name == "informe.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="district_position"') :]
    section = section[: section.index("</section>")]
    assert "Su distrito entre todos los distritos" in section
    assert f"▶ {chosen}" in section and 'id="chart-district"' in section
    assert "table-district_comparison" in section
    assert any(p.name == "census_district_ranking.csv" for p in paths)
    import openpyxl

    wb = openpyxl.load_workbook(next(p for p in paths if p.suffix == ".xlsx"), read_only=True)
    assert any(name.startswith("Su distrito") for name in wb.sheetnames)
    wb.close()


def test_survey_report_without_census_has_no_district_section(written):
    html = (written[0] / "es" / "informe.html").read_text(encoding="utf-8")
    assert 'id="district_position"' not in html
