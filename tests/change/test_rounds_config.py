"""``[[rounds]]`` and ``[evaluation]`` in diagnostic.toml: validated on load, all problems at once."""

from __future__ import annotations

import pytest

from gender_diag.config import load_config
from gender_diag.errors import ConfigError


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_rounds_by_config_file(rounds_dir):
    cfg = load_config(rounds_dir / "diagnostic.toml")
    ev = cfg["evaluation"]
    assert [r["name"] for r in ev["rounds"]] == ["baseline", "follow_up"]
    assert ev["treatment"] == "project" and ev["panel"] == "auto"
    assert ev["rounds"][0]["date"] == "2024-06"
    # no top [input]: the last round's is used for the current diagnostic
    assert cfg["input"]["path"] == ev["rounds"][-1]["config"]["input"]["path"]
    assert cfg["input"]["path"].is_file()


def test_inline_round_and_rename(rounds_dir, tmp_path):
    top = _write(
        tmp_path / "diagnostic.toml",
        f"""
[[rounds]]
name = "linea_base"
date = 2018-06-01
config = "{(rounds_dir / "baseline").as_posix()}"
[[rounds]]
name = "medio_termino"
format = "odk"
path = "{(rounds_dir / "follow_up" / "odk" / "gender_diag_household.csv").as_posix()}"
form = "{(rounds_dir / "follow_up" / "gender_diag_household.xlsx").as_posix()}"
design = "{(rounds_dir / "follow_up" / "design.csv").as_posix()}"
rename = {{ cuenta_banco = "bank_account" }}
""",
    )
    cfg = load_config(top)
    r = cfg["evaluation"]["rounds"]
    assert r[0]["date"] == "2018-06-01"
    assert r[1]["config"]["input"]["format"] == "odk"
    assert r[1]["rename"] == {"cuenta_banco": "bank_account"}
    assert cfg["evaluation"]["panel"] == "auto" and cfg["evaluation"]["treatment"] == ""


def test_every_problem_reported_at_once(tmp_path):
    top = _write(
        tmp_path / "diagnostic.toml",
        """
[[rounds]]
date = "2018"
config = "missing/diagnostic.toml"
[[rounds]]
name = "b"
colour = "red"
path = "x.csv"
config = "y.toml"
[evaluation]
panel = "sometimes"
treatment = 3
placebo = true
""",
    )
    with pytest.raises(ConfigError) as err:
        load_config(top)
    msg = str(err.value)
    for part in (
        "[[rounds]] #1 name is required",
        "missing/diagnostic.toml",
        "[[rounds]] #2 unknown key 'colour'",
        "gives both config and inline input keys",
        "[evaluation] panel: 'sometimes' is not allowed",
        "[evaluation] treatment: expected text",
        "[evaluation] unknown key 'placebo'",
    ):
        assert part in msg, part


def test_one_round_is_not_a_comparison(rounds_dir, tmp_path):
    top = _write(
        tmp_path / "diagnostic.toml",
        f'[[rounds]]\nname = "a"\nconfig = "{(rounds_dir / "baseline").as_posix()}"\n',
    )
    with pytest.raises(ConfigError, match="needs two or more"):
        load_config(top)


def test_duplicate_names_and_bad_round_config(rounds_dir, tmp_path):
    _write(tmp_path / "bad.toml", '[input]\nformat = "excel"\npath = "nope.csv"\n')
    top = _write(
        tmp_path / "diagnostic.toml",
        f"""
[[rounds]]
name = "a"
config = "{(rounds_dir / "baseline").as_posix()}"
[[rounds]]
name = "a"
config = "bad.toml"
""",
    )
    with pytest.raises(ConfigError) as err:
        load_config(top)
    msg = str(err.value)
    assert "name 'a' is used twice" in msg
    assert "[[rounds]] #2 (a)" in msg and "'excel' is not allowed" in msg


def test_configs_without_rounds_unchanged():
    cfg = load_config(None)  # the bundled example
    assert "evaluation" not in cfg
