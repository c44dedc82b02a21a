"""No identifier value from the input reaches any table, quarantine or issue of the Survey."""

from __future__ import annotations

import ingest_fixtures as fx
import pandas as pd

from gender_diag.ingest import read_kobo, read_odk, read_table
from gender_diag.ingest.privacy import find_identifiers, pseudonym


def _all_text(survey) -> str:
    parts = [df.astype(str).to_csv() for df in survey.tables.values()]
    parts += [df.astype(str).to_csv() for df in survey.report.quarantine.values()]
    parts.append(survey.report.issues.astype(str).to_csv())
    return "\n".join(parts)


def _planted_problems(frames):
    # make sure identifier rows also end up in the quarantine and in issues
    frames["roster"].loc[0, "_parent_index"] = "99"  # Rosa Quispe's row → orphan
    frames["tiny"].loc[0, "ident/phone"] = "98765432x"  # breaks the phone constraint
    return frames


def test_no_identifier_reaches_outputs_kobo(tmp_path, form, design, frames):
    s = read_kobo(
        fx.write_kobo_xlsx(_planted_problems(frames), tmp_path / "k.xlsx"), form=form, design=design
    )
    text = _all_text(s)
    for value in fx.IDENTIFIER_VALUES + ["98765432x"]:
        assert value not in text, value
    removed = set(zip(s.report.identifiers["table"], s.report.identifiers["column"], strict=True))
    assert {
        ("households", "phone"),
        ("households", "gps"),
        ("members", "member_name"),
        ("members", "dni_number"),
    } <= removed
    assert len(s.report.quarantine["members"]) == 1
    assert "member_name" not in s.report.quarantine["members"].columns


def test_no_identifier_reaches_outputs_odk(tmp_path, form):
    s = read_odk(fx.write_odk(fx.odk_frames(), tmp_path / "odk"), form=form)
    text = _all_text(s)
    for value in fx.IDENTIFIER_VALUES:
        assert value not in text, value


def test_no_identifier_without_form(tmp_path, frames):
    """Recognised by name and by value pattern when no form says so."""
    frames["tiny"] = frames["tiny"].rename(columns={"ident/phone": "ident/contacto"})
    s = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "k.xlsx"))
    text = _all_text(s)
    for value in fx.IDENTIFIER_VALUES:
        assert value not in text, value
    det = s.report.identifiers.set_index("column")["detected_by"]
    assert det["contacto"] == "value:phone"


def test_salted_pseudonym_links(tmp_path, form, frames):
    a = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "a.xlsx"), form=form, salt="s3cret")
    b = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "b.xlsx"), form=form, salt="s3cret")
    c = read_kobo(fx.write_kobo_xlsx(frames, tmp_path / "c.xlsx"), form=form, salt="other")
    pa, pb = a.tables["members"]["dni_number"], b.tables["members"]["dni_number"]
    assert pa.dropna().tolist() == pb.dropna().tolist()
    assert pa.dropna().str.fullmatch(r"[0-9a-f]{16}").all()
    assert set(pa.dropna()).isdisjoint(set(c.tables["members"]["dni_number"].dropna()))
    assert "40123456" not in _all_text(a)
    assert "member_name" not in a.tables["members"].columns  # not a linking id: dropped


def test_pseudonym_is_keyed_hmac():
    """HMAC-SHA256 (RFC 2104), not sha256(salt + value): knowing the published scheme and
    enumerating every 8-digit DNI does not give the pseudonyms without the key."""
    import hashlib
    import hmac

    got = pseudonym(pd.Series(["40123456"]), "k").iloc[0]
    assert got == hmac.new(b"k", b"40123456", hashlib.sha256).hexdigest()[:16]
    assert got != hashlib.sha256(b"k40123456").hexdigest()[:16]


def test_value_patterns():
    t = {
        "respondents": pd.DataFrame(
            {
                "contact": ["+51 987 654 321", "912345678", None],
                "doc": [40123456, 41234567, 42345678],
                "where": ["-13.91 -71.69", "-13.9170, -71.6920", None],
                "mail": ["a@b.pe", None, "x@y.org"],
                "age": [30, 40, 50],
                "has_dni": ["yes", "no", "yes"],
                "code": ["H00001", "H00002", "H00003"],
            }
        )
    }
    got = dict(zip(*find_identifiers(t)[["column", "detected_by"]].T.values, strict=True))
    assert got == {
        "contact": "value:phone",
        "doc": "value:dni",
        "where": "value:coordinates",
        "mail": "name:contact",
    }


def test_hand_typed_table_identifiers(tmp_path):
    p = tmp_path / "t.csv"
    pd.DataFrame(
        {"hhid": ["H1"], "Nombre completo": ["Rosa Quispe"], "celular": ["987654321"], "edad": [30]}
    ).to_csv(p, index=False)
    s = read_table(p, table="members")
    assert list(s.tables["members"].columns) == ["hhid", "edad"]


def test_violence_answers_never_leave_in_quarantine_or_issues(tmp_path):
    """The sensitive module is withheld from quarantined rows and masked in issue values."""
    from gender_diag import synth

    s = synth.generate(120, seed=11, errors=True)
    individual = s.tables["individual"]
    individual["vio_physical"] = individual["vio_physical"].astype(object)
    row = individual.index[individual["vio_physical"].notna()][0]
    individual.loc[row, "vio_physical"] = "a_veces"  # not a code of the list
    files = synth.write_survey(s, tmp_path, formats=("kobo_xlsx",))
    survey = read_kobo(files["kobo_xlsx"], form=files["form"], design=files["design"])
    report = survey.report
    assert len(report.quarantine["respondents"]) >= 1  # the planted unknown respondent
    for rows in report.quarantine.values():
        assert not [c for c in rows.columns if c.startswith("vio_")]
    hit = report.issues[report.issues["column"].astype(str).str.startswith("vio_")]
    assert len(hit) >= 1 and hit["value"].eq("[sensitive]").all()
    assert "a_veces" not in report.issues.astype(str).to_csv()
