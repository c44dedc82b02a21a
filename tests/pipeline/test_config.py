"""diagnostic.toml loading: defaults, every problem at once, clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from gender_diag.config import SCHEMA, load_config, output_dir, validate_config
from gender_diag.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "data.xlsx").write_bytes(b"x")
    path = tmp_path / "diagnostic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_every_default(tmp_path):
    cfg = load_config(write(tmp_path, '[input]\npath = "data.xlsx"\n'))
    for section, keys in SCHEMA.items():
        assert set(keys) <= set(cfg[section])
    assert cfg["input"]["path"] == (tmp_path / "data.xlsx").resolve()
    assert cfg["input"]["form"] is None
    assert cfg["disclosure"]["threshold"] == 5
    assert output_dir(cfg) == Path("outputs") / "diagnostic"


def test_every_problem_reported_at_once(tmp_path):
    text = """
[diagnostic]
languages = ["es", "de"]
colour = "blue"
[input]
path = "missing.xlsx"
format = "sas"
[disclosure]
threshold = "five"
[extra]
a = 1
"""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert "6 problem(s)" in message
    assert "unknown section [extra]" in message
    assert "unknown key 'colour'" in message
    assert "'de' is not allowed" in message
    assert "'sas' is not allowed" in message
    assert "missing.xlsx" in message and "does not exist" in message
    assert "threshold: expected a whole number" in message


def test_bool_is_not_accepted_as_number(tmp_path):
    with pytest.raises(ConfigError, match="threshold: expected a whole number"):
        load_config(
            write(tmp_path, '[input]\npath = "data.xlsx"\n[disclosure]\nthreshold = true\n')
        )


def test_broken_toml_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[input\npath = 1"))


def test_missing_config_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError, match="gender-diag init"):
        load_config(tmp_path / "nope.toml")


def test_folder_is_accepted(tmp_path):
    write(tmp_path, '[input]\npath = "data.xlsx"\n')
    assert load_config(tmp_path)["input"]["format"] == "kobo"


def test_bundled_example_config_is_valid():
    cfg = load_config(None)
    assert cfg["diagnostic"]["name"] == "example"
    assert cfg["input"]["path"].name == "kobo_export.xlsx"


def test_dict_config_validated_too():
    with pytest.raises(ConfigError, match="path is required"):
        validate_config({}, base_dir=Path("."))
