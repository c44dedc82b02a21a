"""Every output, in three languages: exists, opens, is protected and reproducible."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from gender_diag.errors import ConfigError
from gender_diag.report import write_reports
from gender_diag.report.excel import write_excel
from gender_diag.report.i18n import LANGUAGES, load_texts
from gender_diag.report.tables import publish

FILES = {
    "es": ("informe.html", "diagnostico.xlsx", "resumen_politicas.docx"),
    "fr": ("rapport.html", "diagnostic.xlsx", "note_politique.docx"),
    "en": ("report.html", "diagnostic.xlsx", "policy_brief.docx"),
}


@pytest.fixture(scope="session")
def written_again(tmp_path_factory, result_factory):
    # one language is enough to show reproducibility of every kind of file (and keeps it fast)
    out = tmp_path_factory.mktemp("reports_again")
    return out, write_reports(result_factory(), out, languages=("es",))


def _text_of(path: Path) -> str:
    """All text a reader could see in a file (zip members decoded for xlsx and docx)."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".png":
        return ""
    return path.read_text(encoding="utf-8")


def test_outputs_exist_in_three_languages(written):
    out, paths = written
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    for lang, names in FILES.items():
        for name in names:
            assert out / lang / name in paths
        for chart in ("dumbbell", "gaps", "weai", "priority", "communities"):
            assert (out / "charts" / lang / f"{chart}.svg").exists()
            assert (out / "charts" / lang / f"{chart}.png").exists()
    for name in ("indicators", "gaps", "ranking", "direct_actions", "ranking_methods"):
        assert (out / "csv" / f"{name}.csv").exists()
    assert (out / "sdc_log.csv") in paths


def test_excel_sheets_and_marks(written):
    out, _ = written
    for lang in LANGUAGES:
        t = load_texts(lang)
        wb = openpyxl.load_workbook(out / lang / FILES[lang][1])
        expected = [
            t[f"sheets.{k}"]
            for k in (
                "summary",
                "priorities",
                "indicators",
                "gaps",
                "disaggregations",
                "indices",
                "ranking",
                "technical",
                "direct",
                "indirect",
                "quality",
                "methods",
                "provenance",
            )
        ]
        assert wb.sheetnames == expected
        dis = wb[t["sheets.disaggregations"]]
        assert dis.freeze_panes == "B2"
        values = [c.value for row in dis.iter_rows(min_row=2) for c in row]
        assert "s" in values  # suppressed cells are marked
        assert t.get("notes.suppressed", threshold=5, sensitive_threshold=10) in values
        ind = wb[t["sheets.indicators"]]
        assert ind.cell(row=2, column=2).number_format == "0.0%"
        gap_col = [c.value for c in ind[1]].index(t["columns.gap"]) + 1
        assert ind.cell(row=2, column=gap_col).number_format == '0.0" pp"'
        for name in expected:
            ws = wb[name]
            assert ws.page_setup.orientation == "landscape", name
            assert ws.page_setup.paperSize in (9, "9"), name
            assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        for name in (t["sheets.indicators"], t["sheets.gaps"], t["sheets.ranking"]):
            assert wb[name].auto_filter.ref, name  # filter on the table
            assert wb[name].freeze_panes == "B2"
        # technical criteria columns only on their own sheet, under translated headers
        rank_heads = [c.value for c in wb[t["sheets.ranking"]][1]]
        assert not any(str(h).startswith(("crit", "norm", "contrib")) for h in rank_heads)
        tech_heads = [c.value for c in wb[t["sheets.technical"]][1]]
        assert not any("_" in str(h) for h in tech_heads)
        assert wb.properties.modified.isoformat() == "2026-11-28T09:00:00"


def test_word_brief_has_findings_and_proposals(written):
    out, _ = written
    for lang in LANGUAGES:
        t = load_texts(lang)
        d = docx.Document(str(out / lang / FILES[lang][2]))
        text = "\n".join(p.text for p in d.paragraphs)
        assert t["report.brief_title"] in text
        assert t["sections.headline"] in text
        # A4, no software version or hash for advocates
        assert round(d.sections[0].page_width.cm, 1) == 21.0
        assert round(d.sections[0].page_height.cm, 1) == 29.7
        body = text + "\n".join(c.text for tb in d.tables for row in tb.rows for c in row.cells)
        assert "0.1.0" not in body and "SHA" not in body and "c0ffee" not in body
        assert len(d.inline_shapes) == 1  # one chart
        cells = [c.text for tb in d.tables for row in tb.rows for c in row.cells]
        assert t["columns.who"] in cells and t["columns.evidence"] in cells
        assert any(t["sections.key_asks"] in c for c in cells)
        policy = next(tb for tb in d.tables if t["columns.evidence"] in tb.rows[0].cells[-1].text)
        assert policy.rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # header repeats
        assert all(row._tr.xpath("./w:trPr/w:cantSplit") for row in policy.rows[1:])
        assert d.core_properties.created.year == 2026


def test_decimal_comma_in_es_and_fr(written):
    out, _ = written
    html = {lang: (out / lang / FILES[lang][0]).read_text(encoding="utf-8") for lang in LANGUAGES}
    for lang in ("es", "fr"):
        assert re.search(r"\d,\d\u00a0%", html[lang])
        assert not re.search(r"\d\.\d%", html[lang])
    assert re.search(r"\d\.\d%", html["en"])
    svg = (out / "charts" / "es" / "dumbbell.svg").read_text(encoding="utf-8")
    assert "20 %" in svg  # axis ticks formatted for the locale


def test_reproducible(written, written_again):
    (a, paths_a), (b, paths_b) = written, written_again
    rel_b = [p.relative_to(b) for p in paths_b]
    assert set(rel_b) <= {p.relative_to(a) for p in paths_a}
    for rel in rel_b:
        if rel.suffix in (".csv", ".html", ".svg", ".png"):
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    for lang in ("es",):
        wa = openpyxl.load_workbook(a / lang / FILES[lang][1])
        wb = openpyxl.load_workbook(b / lang / FILES[lang][1])
        for name in wa.sheetnames:
            va = [[c.value for c in r] for r in wa[name].iter_rows()]
            vb = [[c.value for c in r] for r in wb[name].iter_rows()]
            assert va == vb, name
        da = docx.Document(str(a / lang / FILES[lang][2]))
        db = docx.Document(str(b / lang / FILES[lang][2]))
        assert [p.text for p in da.paragraphs] == [p.text for p in db.paragraphs]
        assert [[c.text for r in t.rows for c in r.cells] for t in da.tables] == [
            [c.text for r in t.rows for c in r.cells] for t in db.tables
        ]
        # fixed dates and normalised zips make even the Office files byte-identical
        assert (a / lang / FILES[lang][1]).read_bytes() == (b / lang / FILES[lang][1]).read_bytes()
        assert (a / lang / FILES[lang][2]).read_bytes() == (b / lang / FILES[lang][2]).read_bytes()


def test_no_microdata_in_any_output(written, identifiers):
    _, paths = written
    for path in paths:
        text = _text_of(path)
        for secret in identifiers:
            assert secret not in text, (secret, path)


def test_sensitive_never_below_district(written):
    out, paths = written
    ind = pd.read_csv(out / "csv" / "indicators.csv", keep_default_na=False)
    vio = ind[ind["indicator"] == "ipv_physical_12m"]
    assert set(vio["by"]) <= {"total", "district", "age_group"}
    published = vio[vio["suppressed"].astype(str) == "False"]
    assert (published["n"].astype(float) >= 10).all()
    for path in paths:
        text = _text_of(path)
        assert "ipv_physical_12m|community" not in text, path


def test_no_published_cell_below_threshold(written):
    out, _ = written
    ind = pd.read_csv(out / "csv" / "indicators.csv")
    published = ind[~ind["suppressed"]]
    limit = published["sensitive"].map({True: 10, False: 5})
    assert (published["n"] >= limit).all()
    assert ind.loc[ind["suppressed"], "estimate"].isna().all()
    log = pd.read_csv(out / "sdc_log.csv")
    assert {"primary", "secondary", "sensitive_level", "gap"} <= set(log["reason"])
    assert published["reliability"].isin(["reliable", "caution", "unreliable"]).all()


def test_suppressed_gap_rows_lose_their_numbers(written):
    out, _ = written
    rk = pd.read_csv(out / "csv" / "ranking.csv")
    row = rk[rk["gap_id"] == "owns_land|community|c09"]
    assert row["suppressed"].item()
    assert row[["gap", "estimate_f", "size", "reach", "contrib_size", "score"]].isna().all().all()
    assert row["rank"].notna().all()


def test_html_escapes_upstream_text(tmp_path, result_factory):
    from gender_diag.report import write_reports

    result = result_factory()
    labels = result.labels.copy()
    labels.loc[0, "label_en"] = "Owns <b>land</b> </script><script>alert(1)</script>"
    result.labels = labels
    write_reports(result, tmp_path, languages=["en"])
    for name in ("report.html", "annex.html"):
        html = (tmp_path / "en" / name).read_text(encoding="utf-8")
        assert "Owns &lt;b&gt;land&lt;/b&gt;" in html and "<b>" not in html
        assert "alert(1)</script>" not in html  # not even inside the workshop's JSON
        assert "<link" not in html and "<img" not in html and "src=" not in html
        # the only scripts: the workshop's data block and its inline code
        assert html.count("<script") <= 2


def test_missing_required_column_is_named(tmp_path, result_factory):
    result = result_factory()
    result.ranking = result.ranking.drop(columns=["score"])
    with pytest.raises(ConfigError, match="ranking table lacks required column.*'score'"):
        write_reports(result, tmp_path, languages=("en",))


def test_bad_language(tmp_path, result_factory):
    with pytest.raises(ValueError, match="languages"):
        write_reports(result_factory(), tmp_path, languages=("de",))


def test_tolerates_nullable_and_text_dtypes(result_factory):
    from gender_diag.report import layout
    from gender_diag.report.tables import publish

    result = result_factory()
    ind = result.indicators
    ind["sensitive"] = ind["sensitive"].map({True: "True", False: "False"})  # read from a CSV
    ind["n"] = ind["n"].astype("Int64")
    ind.loc[ind.index[0], "n"] = pd.NA
    for col in ("by", "by_value", "sex", "indicator"):
        ind[col] = ind[col].astype("string")
    result.indicators = ind
    pub = publish(result)
    assert pub.indicators["suppressed"].iloc[0]  # unknown n is never published
    vio = pub.indicators[pub.indicators["indicator"] == "ipv_physical_12m"]
    assert not (vio["by"] == "community").any()  # "False"/"True" text read correctly
    assert len(pub.indicators[~pub.indicators["sensitive"]]) == 29 * 32
    assert all(len(t.columns) for t in layout.all_tables(pub, load_texts("en"))[:3])


def test_sensitive_rows_dropped_from_gap_tables_even_if_unknown_to_indicators(result_factory):
    from gender_diag.report.tables import publish

    result = result_factory()
    extra = result.ranking.iloc[[0]].assign(
        gap_id="ipv_physical_12m|community|c99",
        indicator="ipv_physical_12m",
        by="community",
        by_value="c99",
    )
    result.ranking = pd.concat([result.ranking, extra], ignore_index=True)
    pub = publish(result)
    assert not pub.ranking["gap_id"].str.startswith("ipv_physical_12m|community").any()
    assert not pub.indirect["gap_id"].str.startswith("ipv_physical_12m|community").any()


def test_text_starting_with_equals_is_not_a_formula(tmp_path, result_factory):
    result = result_factory()
    result.survey.report.issues.loc[0, "fix"] = '=HYPERLINK("http://x.invalid","click")'
    write_excel(publish(result), load_texts("en"), tmp_path / "en.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "en.xlsx")
    ws = wb[load_texts("en")["sheets.quality"]]
    text = [str(c.value) for row in ws.iter_rows() for c in row]
    # written as text and neutralised with a leading apostrophe (OWASP CSV-injection rule)
    assert '\'=HYPERLINK("http://x.invalid","click")' in text
    assert not [v for v in text if v.startswith("=")]


def test_html_ids_unique_and_references_resolve(written):
    out, _ = written
    html = (out / "fr" / FILES["fr"][0]).read_text(encoding="utf-8")
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r"url\(#([^)]+)\)", html)) | set(re.findall(r'href="#([^"]+)"', html))
    assert refs <= set(ids)


def test_pipeline_sdc_log_is_kept(result_factory):
    # the pipeline applies disclosure control first; a second pass must keep its log entries
    from gender_diag.report.sdc import apply_sdc
    from gender_diag.report.tables import nesting_from_survey, publish

    result = result_factory()
    nesting = nesting_from_survey(result.survey)
    assert nesting["community"]["c04"] == "pomacanchi"
    result.indicators, result.sdc_log = apply_sdc(result.indicators, nesting=nesting)
    pub = publish(result)
    assert len(pub.sdc_log) == len(result.sdc_log)
    assert pub.sdc_log["n"].notna().sum() == result.sdc_log["n"].notna().sum()
    assert (pub.indicators["suppressed"].sum()) == (result.indicators["suppressed"].sum())


def test_html_ranking_is_limited_with_a_note(result_factory):
    from gender_diag.report import layout
    from gender_diag.report.tables import publish

    pub = publish(result_factory())
    table = layout.ranking_table(pub, load_texts("en"), criteria=False, limit=5)
    assert len(table.frame) == 5
    assert table.notes == [load_texts("en").get("notes.ranking_top", k=5, n=len(pub.ranking))]
    assert not any(c.key.startswith("contrib_") for c in table.columns)
