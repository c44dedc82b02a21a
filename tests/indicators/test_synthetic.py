"""Recovery of the planted gaps of the synthetic survey, and the catalogue on real ingest.

The synthetic generator knows the finite-population value of each planted quantity
(``SynthSurvey.truth``). A design-based 99.9 % confidence interval covers it with
probability 0.999 per check; with ~200 checks about 0.2 misses are expected, so the test
allows at most 2 misses (P(≥ 3 misses) ≈ 0.001 for independent checks) and requires every
total-level gap to be covered.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.indicators.compute import compute_indicators
from gender_diag.indicators.local_gap import local_gap_index

synth = pytest.importorskip("gender_diag.synth.generate")
ingest = pytest.importorskip("gender_diag.ingest")
writers = pytest.importorskip("gender_diag.synth.writers")

DATA = Path(__file__).parents[1] / "data" / "indicators"
FILL = {
    "domain": "synthetic",
    "label": {"es": "x", "fr": "x", "en": "x"},
    "definition": {"es": "x", "fr": "x", "en": "x"},
    "unit": "respondent",
    "type": "proportion",
    "direction": "higher_better",
    "tags": {"moser": "strategic", "roles": "productive", "harvard": "control",
             "rights": "economic"},
}  # fmt: skip


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    s = synth.generate(600, seed=7)
    # ODK CSV set: the quickest export that carries the repeat groups
    paths = writers.write_survey(s, out, formats=("odk_csv",))
    survey = ingest.read_odk(paths["odk_csv"][0], form=paths["form"], design=paths["design"])
    assert survey.report.valid
    return s, survey


@pytest.fixture(scope="module")
def truth_catalogue(tmp_path_factory):
    raw = yaml.safe_load((DATA / "truth_catalogue.yaml").read_text(encoding="utf-8"))
    raw["indicators"] = [{**FILL, **e} for e in raw["indicators"]]
    p = tmp_path_factory.mktemp("cat") / "indicators.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_catalogue(p)


def test_planted_gaps_recovered_within_999_ci(synthetic, truth_catalogue):
    s, survey = synthetic
    truth = s.truth
    est = compute_indicators(survey, truth_catalogue, by=("district",), alpha=0.001)
    assert set(truth.quantity) == set(truth_catalogue.ids)
    merged = est.merge(
        truth.rename(columns={"quantity": "indicator", "value": "true", "gap": "true_gap"}),
        on=["indicator", "by", "by_value", "sex"],
        how="inner",
    )
    assert len(merged) == len(truth)  # every planted value has its estimate
    inside = (merged.ci_low <= merged.true) & (merged.true <= merged.ci_high)
    gaps = merged[merged.sex == "F"]
    gap_inside = (gaps.gap_ci_low <= gaps.true_gap) & (gaps.true_gap <= gaps.gap_ci_high)
    misses = int((~inside).sum() + (~gap_inside).sum())
    assert misses <= 2, merged.loc[~inside, ["indicator", "by_value", "sex", "estimate", "true"]]
    assert gap_inside[gaps.by == "total"].all()
    # the planted gaps are large: every total-level gap is detected with the right sign
    tot = gaps[gaps.by == "total"]
    sig = tot.loc[tot.true_gap.abs() > 0.1]
    assert (np.sign(sig.gap) == np.sign(sig.true_gap)).all()
    assert (sig.q_value < 0.05).all()


def test_bundled_catalogue_on_ingested_survey(synthetic):
    _, survey = synthetic
    cat = load_catalogue(variables=survey)
    out = compute_indicators(survey, cat, by=("district", "age_band", "head_sex"))
    tot = out[out.by == "total"]
    computed = tot.groupby("indicator").estimate.apply(lambda x: x.notna().all())
    assert computed.sum() >= 45 and computed.all()
    assert (tot.n > 0).all()
    lg = local_gap_index(survey, cat)["index"]
    assert lg.value.between(0, 1).all() and lg.se.notna().all()


def test_example_survey_gives_every_indicator():
    """The bundled example survey gives every catalogue indicator."""
    from gender_diag.config import load_config
    from gender_diag.pipeline import ingest_survey

    survey = ingest_survey(load_config(None))
    cat = load_catalogue(variables=survey)
    out = compute_indicators(survey, cat, by=("district",))
    tot = out[out.by == "total"]
    assert tot.indicator.nunique() >= 45
    assert tot.groupby("indicator").estimate.apply(lambda x: x.notna().all()).all()
