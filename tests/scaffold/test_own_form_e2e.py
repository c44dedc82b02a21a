"""End to end on two real public XLSForms (excerpts, tests/data/forms/SOURCE.md):
``gender-diag init --form --data`` with no edit, then the diagnostic.

RHoMIS 1.6: roster repeat with ``head_person == 'Y'``, ONE respondent per household on the main
sheet, labels in en/fr/es. Nairobi 2021 WASH survey: roster with sex coded M/F/T (a third code
that is neither), head from ``Relation_to_HH``, no respondent module, untagged English labels.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gender_diag.cli import main
from gender_diag.pipeline import run
from tests.scaffold.forms import NAIROBI, RHOMIS, kobo_export, nairobi_form, rhomis_form

CASES = {
    "rhomis": (
        rhomis_form,
        RHOMIS,
        {
            "household_id": "householdID",
            "district": "region",
            "community": "village",
            "members": {
                "table": "hh_pop_repeat",
                "line": "hh_pop_rep_num",
                "sex": "person_gender",
                "age": "person_age",
                "head": "head_person == 'Y'",
            },
            "respondents": {"table": "main", "sex": "respondentsex", "line": ""},
            "sex_codes": {"female": ["F"], "male": ["M"]},
            "tables": {"crop": "crop_repeat"},
        },
        14,  # generated indicators
    ),
    "nairobi": (
        nairobi_form,
        NAIROBI,
        {
            "household_id": "HH_Number",
            "district": "",
            "community": "Area_Code",
            "members": {
                "table": "Rep_Bio_HH",
                "line": "",
                "sex": "Sex",
                "age": "Age",
                "head": "Relation_to_HH == 'Head'",
            },
            "respondents": {"table": "none", "sex": "", "line": ""},
            "sex_codes": {"female": ["F"], "male": ["M"]},
            "tables": {"names_hh": "Rep_names_HH"},
        },
        13,
    ),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def scaffolded(request, tmp_path_factory):
    name = request.param
    make_form, spec, expected, n_indicators = CASES[name]
    base = tmp_path_factory.mktemp(name)
    form = make_form(base / f"{name}.xlsx")
    truth = kobo_export(form, spec, base / f"{name}_export.xlsx", n_households=480)
    folder = base / "diag"
    assert (
        main(
            [
                "init",
                str(folder),
                "--form",
                str(form),
                "--data",
                str(base / f"{name}_export.xlsx"),
                "--lang",
                "en",
                "--country",
                "KE",
            ]
        )
        == 0
    )
    return name, folder, truth, expected, n_indicators


def test_init_infers_the_mapping(scaffolded):
    _, folder, _, expected, _ = scaffolded
    config = tomllib.loads((folder / "diagnostic.toml").read_text(encoding="utf-8"))
    mapping = config["mapping"]
    for key, value in expected.items():
        assert mapping[key] == value, key
    assert mapping["form_version"] == "warn"
    assert config["recommend"]["country"] == "KE"
    actions = (folder / "catalogo" / "actions.yaml").read_text(encoding="utf-8")
    assert 'country: "*"' in actions and "Adapt to your context" in actions


def test_planted_gap_is_recovered_inside_its_ci(scaffolded):
    from gender_diag import indicators as ind
    from gender_diag.design import DesignSpec
    from gender_diag.design.stage import design_config

    name, folder, truth, _, n_indicators = scaffolded
    result = run(folder, until="ingest")
    survey = result.survey
    assert survey.report.valid
    assert len(survey.tables["households"]) == truth["households"]
    assert len(survey.tables["members"]) == truth["members"]
    assert set(survey.tables["members"]["sex"].dropna()) <= {"F", "M"}
    cfg = result.config
    catalogue = ind.load_catalogue(cfg["indicators"]["catalogue"], languages=["en"])
    assert len(catalogue) == n_indicators
    computable, skipped = ind.available_indicators(survey, catalogue)
    assert len(computable) == n_indicators, skipped
    plant = truth["plant"]
    planted = plant.question.lower()
    assert catalogue[planted].unit == "household"
    table = ind.compute_indicators(
        survey,
        catalogue,
        design=DesignSpec.from_config(design_config(cfg, survey), survey.design),
        indicators=[planted],
        by=(),
    )
    gaps = ind.gap_table(table, catalogue)
    row = gaps[(gaps["indicator"] == planted) & (gaps["by"] == "total")].iloc[0]
    assert row["gap_ci_low"] <= plant.gap <= row["gap_ci_high"], (row, plant.gap)
    assert row["gap_ci_high"] < 0  # 480 households detect a 35-point gap


def test_run_completes_with_no_edit_and_leaks_no_identifier(scaffolded, tmp_path, monkeypatch):
    name, folder, truth, _, _ = scaffolded
    config = folder / "diagnostic.toml"
    text = config.read_text(encoding="utf-8").replace("draws = 2000", "draws = 100")
    config.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(config)]) == 0
    out = tmp_path / "outputs" / "diag"
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    assert any(p.name.endswith(".html") for p in files)
    values = [v for vals in truth["identifiers"].values() for v in vals]
    for path in files:
        if path.suffix in (".csv", ".html", ".md", ".json", ".txt"):
            body = path.read_text(encoding="utf-8", errors="ignore")
            leaked = [v for v in values if v in body]
            assert not leaked, (path, leaked[:3])
