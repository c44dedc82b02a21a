"""SPSS/Stata → Parquet chunk by chunk: same rows, same cleaning, same estimates as whole."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from gender_diag.engine import compute_indicators_sql
from gender_diag.engine.convert import stat_to_parquet
from gender_diag.errors import InputFileError
from gender_diag.ingest import read_spss, read_stata
from gender_diag.synth.census import _ind
from tests.engine.test_engine_equal import assert_same

N = 2400
CHUNK = 250  # -> 10 parts


def _persons(seed: int = 7) -> pd.DataFrame:
    """A census-like person file as an institute would save it: numeric codes with labels."""
    rng = np.random.default_rng(seed)
    district = rng.choice(["150101", "150102", "150201", "210101", "210102"], N)
    age = rng.integers(0, 95, N).astype(float)
    age[rng.random(N) < 0.02] = 999  # declared user-missing: "age not stated"
    literacy = rng.choice([1.0, 2.0, 9.0], N, p=[0.75, 0.2, 0.05])  # 9 = don't know
    employment = rng.choice([1.0, 2.0, 3.0, 8.0], N, p=[0.5, 0.1, 0.35, 0.05])  # 8 = refused
    education = rng.choice([0.0, 1.0, 2.0, 3.0], N)
    education[rng.random(N) < 0.03] = np.nan  # system-missing
    return pd.DataFrame(
        {
            "person_id": np.arange(1, N + 1, dtype=float),
            "department": [d[:2] for d in district],
            "district": district,
            "sex": rng.choice([1.0, 2.0], N),
            "age": age,
            "literacy": literacy,
            "education": education,
            "employment": employment,
            "weight": rng.uniform(0.5, 3.0, N).round(4),
        }
    )


LABELS = {
    "sex": {1: "Hombre", 2: "Mujer"},
    "literacy": {1: "Sí", 2: "No", 9: "No sabe"},
    "education": {0: "Ninguno", 1: "Primaria", 2: "Secundaria", 3: "Superior"},
    "employment": {1: "Ocupado", 2: "Desocupado", 3: "Inactivo", 8: "No responde"},
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("stat")
    frame = _persons()
    sav = d / "persons.sav"
    pyreadstat.write_sav(
        frame,
        sav,
        variable_value_labels=LABELS,
        missing_ranges={"age": [999], "literacy": [9], "employment": [{"lo": 8, "hi": 9}]},
        column_labels=[
            "Persona",
            "Departamento",
            "Distrito",
            "Sexo",
            "Edad",
            "Sabe leer",
            "Nivel educativo",
            "Condición de actividad",
            "Factor",
        ],  # fmt: skip
    )
    dta = d / "persons.dta"
    pyreadstat.write_dta(frame, dta, variable_value_labels=LABELS)
    catalogue = d / "indicators.yaml"
    inds = [
        _ind("literate", "education", "a", "a", "a", "literacy == 1", "age >= 15"),
        _ind("secondary", "education", "b", "b", "b", "education >= 2", "age >= 20"),
        _ind(
            "employed", "work", "c", "c", "c", "employment == 1", "age >= 14", rights="economic"
        ),  # fmt: skip
        _ind(
            "inactive",
            "work",
            "d",
            "d",
            "d",
            "employment == 3",
            "age >= 14 and age <= 64",
            "higher_worse",
            "economic",
        ),  # fmt: skip
    ]
    catalogue.write_text(yaml.safe_dump({"version": 1, "indicators": inds}), encoding="utf-8")
    return {"frame": frame, "sav": sav, "dta": dta, "catalogue": catalogue, "dir": d}


def _scan(folder: Path) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        return con.read_parquet(str(folder / "*.parquet")).df().sort_values("person_id")
    finally:
        con.close()


def _write(frame: pd.DataFrame, path: Path) -> Path:
    con = duckdb.connect()
    try:
        con.register("f", frame)
        con.table("f").write_parquet(str(path))
    finally:
        con.close()
    return path


def _estimates(path, catalogue) -> pd.DataFrame:
    from gender_diag.indicators import load_catalogue

    return compute_indicators_sql(
        files={"members": path},
        catalogue=load_catalogue(catalogue),
        design={"weight": "weight"},
        by=("department", "district"),
    )


def test_sav_chunks_equal_the_whole_file_reader(files):
    conv = stat_to_parquet(files["sav"], files["dir"] / "sav_parts", chunksize=CHUNK)
    assert conv.rows == N and conv.parts == -(-N // CHUNK)
    # no part holds more than one chunk of rows
    con = duckdb.connect()
    sizes = con.execute(
        "select count(*) from read_parquet(?, filename=true) group by filename",
        [str(conv.folder / "*.parquet")],
    ).fetchall()
    con.close()
    assert max(s for (s,) in sizes) == CHUNK and sum(s for (s,) in sizes) == N
    # user-missing codes set to missing, counted as in the data we wrote
    f = files["frame"]
    assert conv.user_missing == {
        "age": int((f["age"] == 999).sum()),
        "literacy": int((f["literacy"] == 9).sum()),
        "employment": int((f["employment"] == 8).sum()),
    }
    got = _scan(conv.folder).reset_index(drop=True)
    whole = read_spss(files["sav"]).tables["respondents"].sort_values("person_id")
    whole = whole.reset_index(drop=True)
    for col in ("person_id", "age", "literacy", "education", "employment", "weight"):
        np.testing.assert_array_equal(got[col].to_numpy(float), whole[col].to_numpy(float), col)
    assert got["sex"].tolist() == whole["sex"].astype(str).tolist()  # recoded F/M from labels
    assert set(got["sex"]) == {"F", "M"}
    assert got["district"].tolist() == f["district"].tolist()  # codes kept as text


def test_sav_chunked_estimates_equal_whole(files, tmp_path):
    conv = stat_to_parquet(files["sav"], tmp_path / "parts", chunksize=CHUNK)
    chunked = _estimates(conv.folder, files["catalogue"])
    whole = read_spss(files["sav"]).tables["respondents"]
    # the whole-file reader turns the text codes into numbers; give the engine the same codes
    whole["district"] = (
        files["frame"].set_index("person_id").loc[whole["person_id"], "district"].to_numpy()
    )
    whole["department"] = whole["district"].str[:2]
    reference = _estimates(_write(whole, tmp_path / "whole.parquet"), files["catalogue"])
    assert_same(chunked, reference)
    # the engine converts a .sav named directly, with the same result
    assert_same(_estimates(files["sav"], files["catalogue"]), reference)
    assert chunked["by_value"].isin(["150101", "21"]).any()


def test_dta_with_labels_applied_and_missing_codes(files, tmp_path):
    conv = stat_to_parquet(
        files["dta"], tmp_path / "dta", chunksize=700, apply_labels=True, missing_codes=[9, 8]
    )
    got = _scan(conv.folder).reset_index(drop=True)
    whole = read_stata(files["dta"], apply_labels=True, missing_codes=[9, 8])
    whole = whole.tables["respondents"].sort_values("person_id").reset_index(drop=True)
    for col in ("literacy", "education", "employment"):
        assert got[col].fillna("<NA>").tolist() == whole[col].astype(object).fillna("<NA>").tolist()
    assert set(got["literacy"].dropna()) == {"Sí", "No"}
    assert got["sex"].tolist() == whole["sex"].astype(str).tolist()
    assert conv.rows == N and conv.parts == 4


def test_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.sav"
    bad.write_bytes(b"not an spss file at all" * 10)
    with pytest.raises(InputFileError) as err:
        stat_to_parquet(bad, tmp_path / "out")
    assert "broken.sav" in str(err.value) and "SPSS" in str(err.value)
