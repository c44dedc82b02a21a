"""Kobo XLSX/CSV and ODK CSV exports: format facts, planted errors, the bundled example."""

from __future__ import annotations

import csv
import hashlib

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gender_diag.errors import GenderDiagError
from gender_diag.resources import example_dir
from gender_diag.synth import generate, main_synth, write_survey
from gender_diag.synth import writers as w
from gender_diag.synth.plant import KINDS

MAIN = "Diagnóstico de género del hogar"


@pytest.fixture(scope="module")
def dirty():
    return generate(120, seed=7, errors=True)


@pytest.fixture(scope="module")
def written(dirty, tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey")
    return write_survey(dirty, folder)


@pytest.fixture(scope="module")
def clean_sheets():
    return w.kobo_sheets(generate(90, seed=3))


@pytest.fixture(scope="module")
def xlsx_rows(written):
    """Sheet → list of rows (header first) as stored in the workbook."""
    wb = openpyxl.load_workbook(written["kobo_xlsx"], read_only=True)
    out = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    return out


def test_files_written(written):
    names = {k: (v if isinstance(v, list) else [v]) for k, v in written.items()}
    assert all(p.is_file() for ps in names.values() for p in ps)
    assert {p.name for p in names["odk_csv"]} == {
        "gender_diag_household.csv",
        "gender_diag_household-roster.csv",
        "gender_diag_household-parcels.csv",
        "gender_diag_household-individual.csv",
    }
    assert names["form"][0].name == "gender_diag_household.xlsx"


def test_kobo_sheet_names_and_headers(xlsx_rows):
    assert list(xlsx_rows) == [MAIN, "roster", "parcels", "individual"]
    main = xlsx_rows[MAIN][0]
    for col in ("ident/district", "ident/community", "ident/hhid", "hh_size", "_id", "_uuid"):
        assert col in main
    assert main[-11:] == [
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_version",
        "_tags",
        "_index",
    ]
    assert "ident/_gps_latitude" in main and "household/assets_major/cattle" in main
    roster = xlsx_rows["roster"][0]
    assert roster[:2] == ["roster/line", "roster/member_name"]
    for col in ("_index", "_parent_table_name", "_parent_index", "_submission__uuid"):
        assert col in roster
    ind = xlsx_rows["individual"][0]
    assert "individual/decisions/input_food_crops" in ind
    assert "individual/collective/groups/womens_org" in ind
    assert "individual/violence/vio_intro" not in ind  # notes hold no value


def test_parent_links(clean_sheets):
    main = clean_sheets[MAIN]
    for name in ("roster", "parcels", "individual"):
        sheet = clean_sheets[name]
        assert sheet["_parent_index"].isin(main["_index"]).all()
        assert (sheet["_parent_table_name"] == MAIN).all()
        uuid = main.set_index("_index")["_uuid"].reindex(sheet["_parent_index"]).to_numpy()
        assert (sheet["_submission__uuid"].to_numpy() == uuid).all()


def test_select_multiple_dummies(clean_sheets):
    checked = 0
    for sheet in clean_sheets.values():
        for col in sheet.columns:
            parts = col.rsplit("/", 1)
            if len(parts) != 2 or parts[0] not in sheet.columns:
                continue
            parent, code = parts
            answer = sheet[parent]
            dummy = sheet[col]
            asked = answer.notna().to_numpy()
            # Blank when not asked, never 0.
            assert dummy[~asked].isna().all(), col
            chosen = answer[asked].map(lambda v, c=code: c in str(v).split())
            assert (dummy[asked].astype(int).to_numpy() == chosen.astype(int).to_numpy()).all()
            checked += 1
    assert checked > 60
    main = clean_sheets[MAIN]
    no_credit = main["household/credit_any"] == "no"
    assert no_credit.any() and main.loc[no_credit, "household/credit_source/bank"].isna().all()


def test_values_are_typed_in_the_workbook(xlsx_rows):
    head, first = xlsx_rows["roster"][0], xlsx_rows["roster"][1]
    row = dict(zip(head, first, strict=True))
    assert isinstance(row["roster/age"], int) and isinstance(row["roster/sex"], str)
    main = dict(zip(xlsx_rows[MAIN][0], xlsx_rows[MAIN][1], strict=True))
    assert main["_version"] == "2026.1" and main["__version__"] == "2026.1"
    assert main["ident/hhid"].startswith("H")


def test_kobo_csv_is_the_main_sheet(written, xlsx_rows):
    with open(written["kobo_csv"], encoding="utf-8", newline="") as fh:
        first = fh.readline()
        assert first.startswith('"start";"end";')
        fh.seek(0)
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == xlsx_rows[MAIN][0]
    assert len(rows) == len(xlsx_rows[MAIN])


def test_odk_keys(written, dirty):
    files = {p.name: p for p in written["odk_csv"]}
    main = pd.read_csv(files["gender_diag_household.csv"], dtype=str)
    assert main.columns[0] == "SubmissionDate" and "ident-district" in main.columns
    assert "ident-gps-Latitude" in main.columns and "KEY" in main.columns
    assert main["KEY"].str.match(r"uuid:[0-9a-f-]{36}$").all()
    roster = pd.read_csv(files["gender_diag_household-roster.csv"], dtype=str)
    assert roster["KEY"].str.match(r"uuid:[0-9a-f-]{36}/roster\[\d+\]$").all()
    assert (roster["KEY"].str.rsplit("/", n=1).str[0] == roster["PARENT_KEY"]).all()
    assert roster["PARENT_KEY"].isin(main["KEY"]).all()
    ind = pd.read_csv(files["gender_diag_household-individual.csv"], dtype=str)
    assert "decisions-input_food_crops" in ind.columns
    parcels = pd.read_csv(files["gender_diag_household-parcels.csv"], dtype=str)
    orphans = ~parcels["PARENT_KEY"].isin(main["KEY"])
    assert orphans.sum() == 1  # the planted orphan row


def test_every_kind_of_error_is_planted(dirty, xlsx_rows):
    log = dirty.planted_errors
    assert sorted(log["kind"]) == sorted(KINDS)
    sheet_of = {"households": MAIN, "members": "roster", "parcels": "parcels"}
    sheet_of["respondents"] = "individual"
    for e in log.itertuples():
        rows = xlsx_rows[sheet_of[e.table]]
        head = rows[0]
        row = dict(zip(head, rows[e.row - 1], strict=True))
        assert row["_index"] == e.index
        if e.kind == "out_of_range":
            assert row["roster/age"] == 250
        elif e.kind == "not_numeric":
            assert row["parcels/parcel_area"] == "dos"
        elif e.kind == "invalid_code":
            assert row["roster/relation"] == "hijo"
        elif e.kind == "time_use_sum":
            tu = [v for k, v in row.items() if k.startswith("individual/time_use/tu_")]
            tu_primary = [
                row[k]
                for k in head
                if k.startswith("individual/time_use/tu_") and not k.endswith("tu_total")
            ]
            assert len(tu) == 15 and sum(tu_primary) == pytest.approx(26.0)
        elif e.kind == "respondent_unknown":
            main = xlsx_rows[MAIN]
            hh = dict(
                zip(
                    main[0], next(r for r in main[1:] if r[-1] == row["_parent_index"]), strict=True
                )
            )
            assert int(row["individual/resp_line"]) > hh["hh_size"]
        elif e.kind == "sex_mismatch":
            assert row["individual/resp_sex"] == "F"
            assert row["individual/resp_role"] == "primary_male"
        elif e.kind == "answered_not_relevant":
            assert row["roster/age"] < 12 and row["roster/marital"] == "single"
        elif e.kind == "duplicate_key":
            uuids = [r[head.index("_uuid")] for r in rows[1:]]
            assert uuids.count(row["_uuid"]) == 2
        elif e.kind == "duplicate_submission":
            hhids = [r[head.index("ident/hhid")] for r in rows[1:]]
            assert hhids.count(e.hhid) == 2
        elif e.kind == "orphan_row":
            parents = {r[-1] for r in xlsx_rows[MAIN][1:]}
            assert row["_parent_index"] not in parents


def test_xlsx_limit(monkeypatch, tmp_path):
    s = generate(60, seed=0)
    monkeypatch.setattr(w, "MAX_XLSX_HOUSEHOLDS", 50)
    with pytest.raises(GenderDiagError, match="CSV formats"):
        w.write_kobo_xlsx(s, tmp_path / "x.xlsx")


def test_main_synth(tmp_path):
    paths = main_synth(tmp_path, n_households=50, seed=1, formats=("odk_csv",))
    assert set(paths) == {"odk_csv", "design", "truth", "form"}
    assert len(pd.read_csv(paths["design"])) >= 6
    with pytest.raises(ValueError, match="'formats' parameter"):
        main_synth(tmp_path, n_households=50, formats=("sav",))


def test_cli_module(tmp_path, capsys):
    from gender_diag.synth.__main__ import main

    assert main([str(tmp_path), "--households", "50", "--format", "kobo_csv"]) == 0
    assert "kobo_csv" in capsys.readouterr().out
    assert main([str(tmp_path), "--households", "5"]) == 2
    assert "n_households" in capsys.readouterr().err


# ----------------------------------------------------------------------------- example
EXAMPLE_FILES = {
    "kobo_export.xlsx",
    "kobo_export.csv",
    "design.csv",
    "truth.csv",
    "gender_diag_household.xlsx",
    "README.md",
}


def test_example_folder():
    folder = example_dir()
    present = {p.name for p in folder.iterdir()}
    assert EXAMPLE_FILES <= present
    total = sum(p.stat().st_size for p in folder.iterdir() if p.name in EXAMPLE_FILES)
    assert total < 3_000_000
    design = pd.read_csv(folder / "design.csv")
    assert design["district"].nunique() == 3 and 36 <= len(design) <= 45
    assert design["households_sampled"].sum() == 600


def test_example_is_reproducible(tmp_path):
    # README.md gives the command; regenerating gives the same CSV files, byte for byte.
    readme = (example_dir() / "README.md").read_text(encoding="utf-8")
    assert "--households 600 --seed 2026" in readme
    paths = main_synth(tmp_path, n_households=600, seed=2026, formats=("kobo_csv",))
    for name in ("kobo_export.csv", "design.csv", "truth.csv"):
        fresh = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        kept = hashlib.sha256((example_dir() / name).read_bytes()).hexdigest()
        assert fresh == kept, f"surveys/example/{name} is stale: regenerate it (README.md)"
    assert paths["truth"].is_file()


def test_example_form_is_the_instrument():
    from gender_diag.resources import instrument_dir
    from gender_diag.synth.instrument import read_xlsform_rows

    assert read_xlsform_rows(example_dir() / "gender_diag_household.xlsx") == read_xlsform_rows(
        instrument_dir() / "gender_diag_household.xlsx"
    )


def test_numbers_in_example_are_plausible():
    csv_main = pd.read_csv(example_dir() / "kobo_export.csv", sep=";", dtype=str)
    assert len(csv_main) == 600 and csv_main["ident/hhid"].is_unique
    assert (csv_main["ident/consent"] == "yes").mean() > 0.95
    size = pd.to_numeric(csv_main["hh_size"])
    assert 3 < size[size > 0].mean() < 6
    assert np.isin(csv_main["ident/district"], ["acomayo", "pomacanchi", "sangarara"]).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_errors_planted_in_the_smallest_survey(seed):
    s = generate(50, seed=seed, errors=True)
    assert sorted(s.planted_errors["kind"]) == sorted(KINDS)
    assert s.planted_errors.groupby("kind")["hhid"].first().drop("orphan_row").str.len().gt(0).all()
