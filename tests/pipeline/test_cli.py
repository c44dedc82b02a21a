"""The command line: help, init scaffold, clear errors without tracebacks."""

from __future__ import annotations

import shutil
import subprocess
import sys

from gender_diag.cli import main
from gender_diag.resources import example_dir


def test_help_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("run", "validate", "synth", "indicators", "rank", "report", "init"):
        assert command in out


def test_init_scaffolds_a_diagnostic(tmp_path, capsys):
    folder = tmp_path / "cusco2027"
    assert main(["init", str(folder)]) == 0
    assert (folder / "diagnostic.toml").is_file()
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Próximos pasos" in readme and "cusco2027" in readme
    assert (folder / "catalogo").is_dir() and (folder / "instrumento").is_dir()
    # the scaffold's config is valid except for the export the team has not downloaded yet
    assert main(["run", str(folder / "diagnostic.toml")]) == 2
    err = capsys.readouterr().err
    assert "datos/kobo_export.xlsx" in err and "does not exist" in err
    assert "Traceback" not in err


def test_scaffolded_diagnostic_runs_on_its_own_catalogue(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "cusco"
    assert main(["init", str(folder)]) == 0
    for name in ("kobo_export.xlsx", "design.csv"):
        shutil.copy(example_dir() / name, folder / "datos" / name)
    config = folder / "diagnostic.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('languages = ["es", "fr", "en"]', 'languages = ["fr"]')
    config.write_text(text.replace("draws = 10000", "draws = 200"), encoding="utf-8")
    # the run reads the diagnostic's own copy of the action catalogue: a broken copy is named
    actions = folder / "catalogo" / "actions.yaml"
    original = actions.read_text(encoding="utf-8")
    actions.write_text("actions: [unclosed\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(config)]) == 2
    assert "catalogo/actions.yaml" in capsys.readouterr().err
    actions.write_text(original, encoding="utf-8")
    assert main(["run", str(config)]) == 0
    out = tmp_path / "outputs" / "cusco"
    assert (out / "fr" / "rapport.html").exists()
    assert not (out / "es").exists()
    assert "Traceback" not in capsys.readouterr().err


def test_init_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("keep me")
    assert main(["init", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_bad_config_path_gives_one_clear_line():
    proc = subprocess.run(
        [sys.executable, "-m", "gender_diag", "run", "/nonexistent/diagnostic.toml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "not found" in proc.stderr
    assert "Traceback" not in proc.stderr
