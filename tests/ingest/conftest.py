from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import ingest_fixtures as fx


@pytest.fixture
def form(tmp_path):
    return fx.write_tiny_form(tmp_path / "form.xlsx")


@pytest.fixture
def design(tmp_path):
    p = tmp_path / "design.csv"
    fx.design_frame().to_csv(p, index=False)
    return p


@pytest.fixture
def frames():
    return fx.kobo_frames()
