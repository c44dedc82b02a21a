"""Census synth shape, the CLI census path, and the once-per-survey rule cache."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.indicators import compute as C
from gender_diag.indicators import compute_indicators, couple_comparisons, load_catalogue
from gender_diag.synth.census import CENSUS_INDICATORS, census_frame, geography
from tests.indicators.conftest import make_toy_survey


def test_census_geography_and_columns():
    geo = geography(np.random.default_rng(0))
    assert geo["department"].nunique() == 25
    assert geo["province"].nunique() == 196
    assert geo["district"].nunique() == 1874 == len(geo)
    # codes nest: a district code starts with its province's, which starts with its department's
    assert (geo["district"].str[:4] == geo["province"]).all()
    assert (geo["province"].str[:2] == geo["department"]).all()
    f = census_frame(5000, seed=2)
    assert len(f) == 5000 and f["person_id"].is_unique
    sizes = f.groupby("district").size()
    assert sizes.max() > 20 * sizes.median()  # skewed district sizes
    for col in ("sex", "age", "literacy", "education", "mother_tongue", "dni",
                "health_insurance", "disability", "employment", "household_head"):  # fmt: skip
        assert col in f.columns
    assert len(CENSUS_INDICATORS) == 15


def test_cli_synth_census_and_run(tmp_path, capsys):
    from gender_diag.cli import main

    assert main(["synth", str(tmp_path / "c"), "--census", "--persons", "3000"]) == 0
    toml = tmp_path / "c" / "diagnostic.toml"
    out = (tmp_path / "c" / "out").as_posix()
    text = toml.read_text().replace('name = "census"', f'name = "census"\noutput_dir = "{out}"')
    # 3,000 persons over 1,874 districts: most cells are suppressed, so rank on any indicator
    text += "\n[census]\nmin_indicators = 1\n"
    toml.write_text(text)
    assert main(["run", str(toml), "--engine", "duckdb", "--lang", "en"]) == 0
    ranking = pd.read_csv(tmp_path / "c" / "out" / "district_ranking.csv", dtype={"district": str})
    assert len(ranking) > 1000 and ranking["rank"].min() == 1
    assert (tmp_path / "c" / "out" / "charts" / "en" / "district.png").exists()
    assert (tmp_path / "c" / "out" / "en" / "districts.html").exists()


def test_rule_cache_gives_identical_results_and_evaluates_once(monkeypatch):
    plain = make_toy_survey()
    cached = make_toy_survey()
    C.cache_evaluations(cached)
    calls = {"n": 0}
    real = C.Catalogue  # noqa: F841 - the catalogue type stays untouched
    from gender_diag.indicators import rules

    original = rules.Rule.evaluate

    def counting(self, tables, *, unit="respondent"):
        calls["n"] += 1
        return original(self, tables, unit=unit)

    cat = load_catalogue()
    a = compute_indicators(plain, cat, by=("district",))
    monkeypatch.setattr(rules.Rule, "evaluate", counting)
    b = compute_indicators(cached, cat, by=("district",))
    first = calls["n"]
    couple_comparisons(cached, cat)
    assert calls["n"] == first  # the couples reuse every rule already evaluated
    pd.testing.assert_frame_equal(a, b)
