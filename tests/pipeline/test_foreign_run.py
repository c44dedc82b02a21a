"""A partner's own Kobo form, run end to end with a hand-written ``[mapping]`` (issue 14).

The synthetic foreign-shaped export (``tests/ingest/foreign_fixtures.py``: its own names, sex
coded female/male/other, one respondent per household on the main sheet, nested plot/crop
repeats, a design file with its own column names) goes through ``validate`` and ``run`` with
no renaming of the data. Optional stages the data cannot support are skipped with a note.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import gender_diag as gd
from gender_diag.cli import main
from gender_diag.errors import ConfigError, DesignError, EstimationError
from gender_diag.skips import SkipLog, attempt

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
import foreign_fixtures as ff


def _config(folder: Path, out: Path, **changes) -> dict:
    cfg = ff.write_diagnostic(folder, out, households_per_village=8)
    raw = tomllib.loads(cfg.read_text())
    for section, values in changes.items():
        raw.setdefault(section, {}).update(values)
    for key in ("path", "form", "design", "catalogue"):
        for section in ("input", "indicators"):
            if key in raw.get(section, {}):
                raw[section][key] = str(folder / raw[section][key])
    return raw


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("foreign")
    out = folder / "out"
    cfg = ff.write_diagnostic(folder, out, households_per_village=8)
    return gd.run(cfg), folder, out


def test_skip_log_and_attempt():
    log = SkipLog()
    assert attempt(log, "s", "x", lambda: 1) == 1
    for exc in (EstimationError("f: no data."), DesignError("SurveyDesign: no rows.")):

        def boom(exc=exc):
            raise exc

        assert attempt(log, "s", "x", boom) is None
    assert log.frame()["reason"].tolist() == ["no data.", "no rows."]

    def config_problem():
        raise ConfigError("[indices] presets: 'x' unknown.")

    with pytest.raises(ConfigError):  # the user's mistake still stops the run
        attempt(log, "s", "x", config_problem)


def test_run_completes_on_a_foreign_form_with_one_respondent_per_household(full_run):
    result, _, out = full_run
    assert set(result.indicators["indicator"]) == {
        "owns_phone",
        "grows_maize",
        "woman_decides_crop",
        "plot_area_ha",
        "woman_owns_plot",
        "school_attendance",
    }
    assert len(result.ranking) > 0 and (out / "validation" / "skipped.csv").is_file()
    skipped = pd.read_csv(out / "validation" / "skipped.csv")
    assert "couple comparisons" in set(skipped["item"])
    assert "one respondent per household" in " ".join(skipped["reason"])
    assert result.couples.empty
    # [indices] presets = []: no WEAI inputs asked for, none reported missing
    assert not any("WEAI" in i for i in skipped["item"])
    assert any(p.suffix == ".xlsx" for p in result.outputs)


def test_planted_gap_recovered_inside_its_ci(full_run):
    result, _, _ = full_run
    gaps = result.gaps.set_index("gap_id")
    g = gaps.loc["owns_phone|total|"]
    # planted: 0.35 (women) vs 0.75 (men) → gap −0.40
    assert g["gap_ci_low"] <= -0.40 <= g["gap_ci_high"]
    assert g["n_f"] + g["n_m"] == 64


def test_household_indicators_compare_by_head_from_the_head_rule(full_run):
    result, folder, _ = full_run
    raw = pd.read_excel(folder / "export.xlsx", sheet_name="hh_pop_repeat", engine="openpyxl")
    heads = raw[raw["hh_pop_repeat/head_person"] == "Y"]
    female_heads = (heads["hh_pop_repeat/person_gender"] == "female").sum()
    ind = result.indicators
    row = ind[(ind["indicator"] == "grows_maize") & (ind["by"] == "total") & (ind["sex"] == "F")]
    assert int(row["n"].iloc[0]) == female_heads


def test_no_identifier_or_raw_household_id_in_outputs(full_run):
    result, _, out = full_run
    csvs = [p for p in out.rglob("*.csv")]
    text = " ".join(p.read_text(encoding="utf-8", errors="ignore") for p in csvs)
    assert "uuid-00" not in text


def test_weai_requested_without_inputs_is_skipped_with_a_note(tmp_path):
    cfg = _config(tmp_path, tmp_path / "o", indices={"presets": ["a-weai"]})
    result = gd.run(cfg, until="indices")
    skipped = result.skipped
    assert "WEAI inputs" in set(skipped["item"])
    assert "weai_key" in " ".join(skipped["reason"])
    assert "a-weai" not in result.indices


def test_unavailable_disaggregation_is_skipped_with_a_note(tmp_path):
    cfg = _config(
        tmp_path, tmp_path / "o", indicators={"disaggregations": ["district", "mother_tongue"]}
    )
    result = gd.run(cfg, until="indices")
    assert "disaggregation mother_tongue" in set(result.skipped["item"])


def test_local_gap_index_skipped_without_person_indicators(tmp_path):
    cfg = _config(tmp_path, tmp_path / "o")
    cat = tmp_path / "catalogue.yaml"
    text = cat.read_text()
    # keep the household indicators only
    keep = [b for b in text.split("\n- id: ") if "unit: household" in b or "indicators:" in b]
    cat.write_text("\n- id: ".join(keep))
    result = gd.run(cfg, until="indices")
    assert "local gender gap index" in set(result.skipped["item"])
    assert not any(k.startswith("local_gap") for k in result.indices)


def test_members_only_run_completes(tmp_path):
    cfg = _config(tmp_path, tmp_path / "o")
    cfg["mapping"]["respondents"] = {"table": "none"}
    result = gd.run(cfg, until="ranking")
    assert "respondents" not in result.survey.tables
    assert "owns_phone" in set(result.skipped_indicators["indicator"])
    assert "couple comparisons" in set(result.skipped["item"])
    assert {"grows_maize", "school_attendance"} <= set(result.indicators["indicator"])


def test_cli_validate_and_run_on_the_foreign_form(tmp_path, capsys):
    cfg = ff.write_diagnostic(tmp_path, tmp_path / "out", households_per_village=4)
    code = main(
        ["validate", str(tmp_path / "export.xlsx"), "--form", str(tmp_path / "form.xlsx"),
         "--design", str(tmp_path / "design.csv"), "--mapping", str(cfg)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "sex_unknown" in out
    assert main(["run", str(cfg), "--until", "indicators"]) == 0


def test_household_indicators_skipped_without_a_head_rule(tmp_path):
    cfg = _config(tmp_path, tmp_path / "o")
    del cfg["mapping"]["members"]["head"]
    result = gd.run(cfg, until="indicators")
    skipped = result.skipped_indicators.set_index("indicator")["reason"]
    assert "no household head" in skipped["grows_maize"]
    assert {"owns_phone", "school_attendance"} <= set(result.indicators["indicator"])
