"""Generated exports (gender_diag.synth) in the three real formats: every planted data-entry
error is reported at its row, and every row is accounted for (hypothesis property)."""

from __future__ import annotations

import ingest_fixtures as fx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gender_diag.synth as gs
from gender_diag.ingest import read_kobo, read_odk
from gender_diag.resources import instrument_dir

FORM = instrument_dir() / "gender_diag_household.xlsx"


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    s = gs.generate(60, seed=11, errors=True)
    return s, gs.write_survey(s, d)


def _check_planted(survey, planted):
    iss = survey.report.issues
    found = set(zip(iss["table"], iss["row"], iss["reason"], strict=True))
    missing = [
        (r.table, r.row, r.kind)
        for r in planted.itertuples(index=False)
        if (r.table, int(r.row), r.kind) not in found
    ]
    assert not missing, missing


def _accounted(survey):
    acc = survey.report.accounting()
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()
    for r in acc.itertuples(index=False):
        assert len(survey.tables[r.table]) == r.rows_accepted
        q = survey.report.quarantine[r.table]
        assert len(q) == r.rows_quarantined
        assert q["reasons"].str.len().gt(0).all()


def test_kobo_xlsx_reports_every_planted_error(synth_files):
    s, out = synth_files
    sv = read_kobo(out["kobo_xlsx"], form=FORM, design=out["design"])
    assert len(s.planted_errors) >= 10
    _check_planted(sv, s.planted_errors)
    _accounted(sv)
    assert sv.report.valid
    # nothing else than what was planted (and its consequences) is an error
    errs = sv.report.issues.query("severity == 'error' and reason != 'parent_quarantined'")
    assert set(errs["reason"]) <= set(s.planted_errors["kind"])


def test_odk_reports_every_planted_error(synth_files):
    s, out = synth_files
    sv = read_odk(out["odk_csv"][0].parent, form=FORM, design=out["design"])
    _check_planted(sv, s.planted_errors)
    _accounted(sv)
    warn = sv.report.issues.query("reason in ['unknown_column', 'missing_column']")
    assert warn.empty, warn


def test_kobo_csv_main_sheet(synth_files):
    s, out = synth_files
    sv = read_kobo(out["kobo_csv"], form=FORM, design=out["design"])
    main = s.planted_errors.query("table == 'households'")
    _check_planted(sv, main)
    _accounted(sv)


def test_synth_tables_are_tidy(synth_files):
    s, out = synth_files
    sv = read_kobo(out["kobo_xlsx"], form=FORM, design=out["design"])
    r = sv.tables["respondents"]
    for c in (
        "hhid",
        "line",
        "sex",
        "age",
        "marital",
        "education",
        "literate",
        "mother_tongue",
        "district",
        "community",
        "weight",
        "fpc",
        "fpc2",
    ):
        assert c in r.columns, c
    assert set(r["sex"].dropna()) <= {"F", "M"}
    for name, df in sv.tables.items():
        assert df["weight"].gt(0).all(), name
        assert df[["hhid", "district", "community"]].notna().all().all(), name
    # sensitive module flagged in the metadata for later stages
    v = sv.variables
    assert set(v.loc[v["sensitive"], "name"]) >= {"vio_physical", "vio_sexual"}
    # no identifier column survives
    ident = set(v.loc[v["identifier"], "name"])
    for df in sv.tables.values():
        assert not ident & {c.split("__")[0] for c in df.columns}


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), errors=st.booleans())
def test_property_generate_ingest_accounts_every_row(tmp_path_factory, seed, errors):
    d = tmp_path_factory.mktemp("prop")
    s = gs.generate(50, seed=seed, errors=errors)
    out = gs.write_survey(s, d, formats=("odk_csv",))
    sv = read_odk(out["odk_csv"][0].parent, form=FORM, design=out["design"])
    _accounted(sv)
    sizes = {
        "households": "households",
        "roster": "members",
        "parcels": "parcels",
        "individual": "respondents",
    }
    for src, table in sizes.items():
        assert sv.report.rows_read[table] == len(s.tables[src])
    if errors:
        _check_planted(sv, s.planted_errors)


# -- a fast property on the tiny fixture: random damage, every row accounted for ------------

DAMAGE = st.lists(
    st.tuples(
        st.sampled_from(["roster", "parcels", "individual", "tiny"]),
        st.integers(0, 5),
        st.sampled_from(["orphan", "dup", "code", "number", "blank_key"]),
    ),
    max_size=6,
)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(damage=DAMAGE)
def test_property_damaged_tiny_export(tmp_path_factory, damage):
    frames = fx.kobo_frames()
    for sheet, i, kind in damage:
        df = frames[sheet]
        i = i % len(df)
        if kind == "orphan" and sheet != "tiny":
            df.loc[i, "_parent_index"] = "77"
        elif kind == "dup":
            frames[sheet] = pd.concat([df, df.iloc[[i]]], ignore_index=True)
        elif kind == "code":
            col = {
                "roster": "roster/sex",
                "individual": "individual/own_income",
                "tiny": "credit_any",
                "parcels": "parcels/parcel_area",
            }[sheet]
            df.loc[i, col] = "zzz"
        elif kind == "number" and sheet == "roster":
            df.loc[i, "roster/age"] = "-4"
        elif kind == "blank_key" and sheet == "tiny":
            df.loc[i, "ident/hhid"] = None
    d = tmp_path_factory.mktemp("dmg")
    form = fx.write_tiny_form(d / "form.xlsx")
    sv = read_kobo(fx.write_kobo_xlsx(frames, d / "k.xlsx"), form=form)
    _accounted(sv)
    for name, src in {
        "households": "tiny",
        "members": "roster",
        "parcels": "parcels",
        "respondents": "individual",
    }.items():
        assert sv.report.rows_read[name] == len(frames[src])
