"""End to end: two rounds whose forms differ by one renamed and one added question.

The follow-up's XLSForm renames ``bank_account`` to ``cuenta_banco`` and adds a question
``savings_group``; its export follows. Without a ``rename`` the bank-account indicator is
listed as not comparable (with the reason) and every other indicator is compared; with
``rename = { cuenta_banco = "bank_account" }`` it is compared too. ``gender-diag run`` on
the top configuration writes the "What changed" section first, its sheet and CSVs.
"""

from __future__ import annotations

import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest

from gender_diag.change.compare import compare_rounds
from gender_diag.cli import main

FORM = "gender_diag_household.xlsx"
MAIN_CSV = "gender_diag_household-individual.csv"


def _edit_follow_up(folder):
    wb = openpyxl.load_workbook(folder / FORM)
    ws = wb["survey"]
    names = [c.value for c in ws[1]]
    col = names.index("name") + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, col).value == "bank_account":
            ws.cell(row, col).value = "cuenta_banco"
            ws.insert_rows(row + 1)
            for j, value in enumerate(
                ["select_one yes_no", "savings_group", "¿Grupo de ahorro?", "Savings group?",
                 "Groupe d'épargne ?"], start=1,
            ):  # fmt: skip
                ws.cell(row + 1, j).value = value
            break
    wb.save(folder / FORM)
    path = folder / "odk" / MAIN_CSV
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"participation-bank_account": "participation-cuenta_banco"})
    at = frame.columns.get_loc("participation-cuenta_banco") + 1
    frame.insert(at, "participation-savings_group", ["yes", "no"] * (len(frame) // 2)
                 + ["no"] * (len(frame) % 2))  # fmt: skip
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def two_forms(rounds_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("forms") / "eval"
    shutil.copytree(rounds_dir, out)
    _edit_follow_up(out / "follow_up")
    return out


def test_renamed_question_listed_then_compared_with_rename(two_forms):
    res = compare_rounds(two_forms, by=[], details=True)
    skipped = res.skipped.set_index("indicator")["reason"]
    assert "bank_account" in skipped.index
    assert "follow_up" in skipped["bank_account"] and "bank_account" in skipped["bank_account"]
    assert "bank_account" not in set(res.changes["indicator"])
    assert res.changes["indicator"].nunique() > 40  # every other indicator is compared

    top = two_forms / "diagnostic.toml"
    text = top.read_text(encoding="utf-8").replace(
        'config = "follow_up/diagnostic.toml"',
        'config = "follow_up/diagnostic.toml"\nrename = { cuenta_banco = "bank_account" }',
    )
    renamed = two_forms / "renamed.toml"
    renamed.write_text(text, encoding="utf-8")
    ch = compare_rounds(renamed, by=[])
    assert "bank_account" in set(ch["indicator"])


def test_run_writes_what_changed_first(two_forms, capsys):
    cfg = two_forms / "diagnostic.toml"
    out = two_forms / "out"
    text = cfg.read_text(encoding="utf-8").replace(
        '[diagnostic]\nname = "synth_rounds"\n',
        f'[diagnostic]\nname = "synth_rounds"\nlanguages = ["en", "es"]\n'
        f'output_dir = "{out.as_posix()}"\n[ranking]\ndraws = 200\n',
    )
    cfg.write_text(text, encoding="utf-8")
    assert main(["run", str(cfg)]) == 0
    changes = pd.read_csv(out / "csv" / "changes.csv", keep_default_na=False)
    assert {"change_f", "change_gap", "did_gap"} <= set(changes["quantity"])
    assert (out / "csv" / "changes_not_comparable.csv").is_file()
    for lang, word in (("en", "What changed"), ("es", "Qué cambió")):
        report = {"en": "report.html", "es": "informe.html"}[lang]  # not the annex
        html = (out / lang / report).read_text(encoding="utf-8")
        start = html.index('<section id="changes">')
        assert word in html[start : start + 200]
        assert start < html.index('<section id="summary">')
        assert "95 %" in html[start : html.index("</section>", start)]
        xlsx = next((out / lang).glob("*.xlsx"))
        assert openpyxl.load_workbook(xlsx, read_only=True).sheetnames[0].startswith(word[:10])
        docx = next((out / lang).glob("*.docx"))
        body = zipfile.ZipFile(docx).read("word/document.xml").decode("utf-8")
        assert body.index(word) < body.index("<w:t>", body.index(word)) + 10_000
    assert (out / "charts" / "en" / "changes.svg").is_file()
    # disclosure: no change row shows figures where it is flagged suppressed
    sup = changes[changes["suppressed"].astype(str) == "True"]
    assert (sup["estimate"] == "").all()
