"""Fixtures of the change tests: synthetic rounds written to disk once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gender_diag.indicators.catalogue import load_catalogue
from gender_diag.synth.rounds import generate_rounds, write_rounds

DATA = Path(__file__).resolve().parents[1] / "data" / "change"
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


@pytest.fixture(scope="session")
def rounds_dir(tmp_path_factory) -> Path:
    """Baseline + follow-up, 300 households each, 60 % panel, half the communities treated."""
    out = tmp_path_factory.mktemp("rounds")
    synth = generate_rounds(300, panel=0.6, treatment=0.5, seed=11)
    write_rounds(synth, out, formats=("odk_csv",))
    return out


@pytest.fixture(scope="session")
def truth_catalogue(tmp_path_factory):
    raw = yaml.safe_load((DATA / "truth_catalogue.yaml").read_text(encoding="utf-8"))
    raw["indicators"] = [{**FILL, **e} for e in raw["indicators"]]
    p = tmp_path_factory.mktemp("cat") / "indicators.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_catalogue(p)
