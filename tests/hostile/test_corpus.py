"""Hostile and careless input: nothing lost, nothing leaked, one clear message.

One small synthetic Kobo survey (``gd.synth``) is turned into a *hostile* export in the
shape real partners send: an ordinary form without the ``bind::gd:sensitive`` and
``bind::gd:identifier`` columns, identifiers typed as numbers or added as extra columns in
several languages, a phone number inside a comment, formula payloads, quarantined rows with
violence answers, a salt in the configuration. It is run once, end to end, and every output
file (CSV, XLSX, DOCX, HTML, SVG, the validation and internal folders) is scanned for every
planted value. Then the command line is fed broken files and configurations, each of which
must give its exit code and one clear message — never "unexpected error".
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import gender_diag as gd
from gender_diag.cli import main
from tests.pipeline.outputs import output_texts
from tests.report.attacker import recoverable

N = 60
SALT = "S4lt-Secreto-2026"
FORMULA = '=HYPERLINK("http://evil.invalid","x")'
MAIN = "Diagnóstico de género del hogar"


# -- the hostile export ----------------------------------------------------------------------


def _names(prefix: str, n: int) -> list[str]:
    first = ["Zacarías", "Eulalia", "Teodosio", "Florentina", "Anacleto", "Gumersinda"]
    last = ["Huamanñahui", "Quispetupa", "Ccorimanya", "Sutaypuma", "Yupanquiri"]
    return [f"{first[i % 6]} {last[i % 5]}{prefix}{'aeiou'[i // 30 % 5]}" for i in range(n)]


PLANTS: dict[str, tuple[str, str, str]] = {
    # case → (sheet, column, how the value is made); the values are in SECRETS[case]
    "phone_integer_no_flag": ("main", "telefono", "phone"),
    "celular_extra": ("main", "celular", "phone_text"),
    "nombre_jefe": ("main", "nombre_jefe", "name"),
    "interviewername": ("main", "interviewername", "name"),
    "telephone_fr": ("individual", "téléphone", "phone"),
    "coord_x": ("individual", "coord_x", "lon"),
    "coord_y": ("individual", "coord_y", "lat"),
    "phone_in_comment": ("main", "obs", "comment"),
    "names_by_value": ("main", "jefe_hogar", "name"),
    "email_contact": ("individual", "contacto", "email"),
    "long_numbers_by_value": ("individual", "doc_num2", "long"),
    "configured_identifier": ("individual", "codigo_secreto", "code"),
    "dni_integer_roster": ("roster", "DNI", "dni"),
    "nom_fr_roster": ("roster", "nom", "name"),
    "respondentname": ("individual", "respondentname", "name"),
    "form_phone_unflagged": ("main", "ident/phone", "existing"),
    "form_member_name_unflagged": ("roster", "roster/member_name", "existing"),
    "form_dni_unflagged": ("roster", "roster/dni_number", "existing"),
}


def _values(kind: str, n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    if kind == "phone":
        return [int(v) for v in 987_600_000 + rng.choice(99_999, n, replace=False)]
    if kind == "phone_text":
        return [
            f"+51 9{v:02d} 555 {w:03d}"
            for v, w in zip(range(n), rng.integers(100, 999, n), strict=False)
        ]
    if kind == "name":
        return _names("abcdefghijklmnopqrstuvwxyz"[seed % 26], n)
    if kind == "lon":
        return [round(-71.6 - v, 6) for v in rng.uniform(0.000001, 0.099999, n)]
    if kind == "lat":
        return [round(-13.9 - v, 6) for v in rng.uniform(0.000001, 0.099999, n)]
    if kind == "comment":
        return [f"llamar al tel 98765{i:04d} por la tarde" for i in range(n)]
    if kind == "email":
        return [f"vecina{i}.{seed}@correo-secreto.pe" for i in range(n)]
    if kind == "long":
        return [int(v) for v in 7_300_000_000 + rng.choice(9_999_999, n, replace=False)]
    if kind == "code":
        return [f"SECRETO-{seed}-{i:04d}" for i in range(n)]
    if kind == "dni":
        return [int(v) for v in 44_000_000 + rng.choice(999_999, n, replace=False)]
    raise ValueError(kind)


def _plain_form(form: Path, out: Path) -> Path:
    """The form as an ordinary Kobo user has it: no gender_diag bind columns at all."""
    sheets = pd.read_excel(form, sheet_name=None, dtype=str, engine="openpyxl")
    sheets["survey"] = sheets["survey"].drop(
        columns=[c for c in sheets["survey"].columns if c.startswith("bind::gd:")]
    )
    with pd.ExcelWriter(out) as xw:
        for name, frame in sheets.items():
            frame.to_excel(xw, sheet_name=name, index=False)
    return out


def _write_export(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    # text cells stay text, as in a real export (a leading '=' must not become a formula)
    options = {"options": {"strings_to_formulas": False, "strings_to_urls": False}}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs=options) as xw:
        for name, frame in frames.items():
            frame.to_excel(xw, sheet_name=name[:31], index=False)
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small clean synthetic survey: export frames, plain form, design."""
    root = tmp_path_factory.mktemp("base")
    synth = gd.synth.generate(N, seed=7)
    files = gd.synth.write_survey(synth, root, formats=("kobo_xlsx",))
    frames = pd.read_excel(files["kobo_xlsx"], sheet_name=None, dtype=str, engine="openpyxl")
    return {
        "root": root,
        "frames": frames,
        "export": files["kobo_xlsx"],
        "form": _plain_form(files["form"], root / "plain_form.xlsx"),
        "design": files["design"],
    }


@pytest.fixture(scope="module")
def hostile(base, tmp_path_factory):
    """The hostile export, its secrets, and one full run on it with every output written."""
    root = tmp_path_factory.mktemp("hostile")
    frames = {k: v.copy() for k, v in base["frames"].items()}
    sheet = {"main": MAIN, "roster": "roster", "individual": "individual"}
    secrets: dict[str, set[str]] = {}
    for i, (case, (where, column, kind)) in enumerate(PLANTS.items()):
        frame = frames[sheet[where]]
        if kind == "existing":
            values = frame[column].dropna().astype(str)
            secrets[case] = {v for v in values if len(v) >= 6}
            continue
        vals = _values(kind, len(frame), seed=i)
        frame[column] = vals
        secrets[case] = {str(v) for v in vals}
    # quarantined rows that carry violence answers (ordinary form: no sensitive flag)
    ind = frames["individual"]
    vio = [c for c in ind.columns if "vio_" in c and not c.endswith("consent")]
    answered = ind.index[ind[vio[0]].notna()][:3]
    ind.loc[answered, "_parent_index"] = "9999"  # orphan rows → quarantined
    ind.loc[answered, vio[0]] = "last_12m"
    ind.loc[ind.index[ind[vio[1]].notna()][3], vio[1]] = "a_veces_me_pega"
    secrets["violence_answer_invalid"] = {"a_veces_me_pega"}
    # a formula payload typed into a coded question (reported as an invalid code)
    main_frame = frames[MAIN]
    water = next(c for c in main_frame.columns if c.endswith("water_source"))
    main_frame.loc[main_frame.index[0], water] = FORMULA
    export = _write_export(frames, root / "kobo_export.xlsx")
    out = root / "out"
    config = {
        "diagnostic": {
            "name": "hostil",
            "output_dir": str(out),
            "languages": ["en"],
            "organisation": "=1+1",
        },
        "input": {
            "path": str(export),
            "form": str(base["form"]),
            "design": str(base["design"]),
            "salt": SALT,
        },
        "privacy": {"identifiers": ["codigo_secreto"]},
        "ranking": {"draws": 0},
        "indices": {"presets": []},
    }
    result = gd.run(config)
    return {"result": result, "out": out, "secrets": secrets, "frames": frames, "root": root}


def _leaks(folder: Path, values: set[str]) -> list[tuple[str, str]]:
    found = []
    for path, text in output_texts(folder):
        tokens = set(re.findall(r"(?<![\d.])[\d.+-]+(?![\d.])", text))
        for v in values:
            hit = v in tokens if re.fullmatch(r"[\d.+-]+", v) else v in text
            if hit:
                found.append((str(path.relative_to(folder)), v))
    return found


# -- 1. nothing leaked: every planted identifier, in every output ----------------------------


@pytest.mark.parametrize("case", [*PLANTS, "violence_answer_invalid"])
def test_planted_value_in_no_output(hostile, case):
    values = hostile["secrets"][case]
    assert values, case
    leaks = _leaks(hostile["out"], values)
    assert not leaks, f"{case}: {leaks[:3]}"


@pytest.mark.parametrize(
    "column",
    [c for _, c, k in PLANTS.values() if k != "existing"] + ["phone", "member_name", "dni_number"],
)
def test_identifier_column_reported_as_removed(hostile, column):
    ids = hostile["result"].survey.report.identifiers
    removed = set(ids.loc[ids["action"].isin(["dropped", "pseudonymised"]), "column"])
    redacted = set(ids.loc[ids["action"].str.startswith("redacted"), "column"])
    assert column in removed | redacted, ids.to_string()


def test_salt_written_nowhere(hostile):
    assert not _leaks(hostile["out"], {SALT})
    assert "salt" not in str(hostile["result"].provenance)


def test_no_absolute_path_or_user_name(hostile):
    secrets = {str(hostile["root"]), str(Path(hostile["root"]).parent)}
    home = os.path.expanduser("~")
    if home not in ("", "/", "~"):
        secrets.add(home)
    assert not _leaks(hostile["out"], secrets)


def test_violence_answers_not_in_side_files(hostile):
    out = hostile["out"]
    for folder in (out / "validation", out / "interno"):
        for path in folder.glob("quarantine_*.csv"):
            text = path.read_text(encoding="utf-8")
            assert "vio_" not in text.splitlines()[0], path
            assert "last_12m" not in text and "never" not in text, path
        issues = pd.read_csv(folder / "validation_issues.csv", dtype=str, keep_default_na=False)
        if "value" in issues.columns:
            vio = issues[issues["column"].str.startswith("vio_")]
            assert len(vio) and set(vio["value"]) <= {"[sensitive]", "[withheld]", ""}, vio


def test_quarantine_holds_keys_reasons_and_columns_only(hostile):
    out = hostile["out"]
    public = pd.read_csv(out / "validation" / "quarantine_respondents.csv")
    assert list(public.columns) == ["row", "reasons", "columns"]
    internal = pd.read_csv(out / "interno" / "quarantine_respondents.csv")
    assert set(internal.columns) <= {
        "row",
        "hhid",
        "line",
        "_uuid",
        "_id",
        "_index",
        "_parent_index",
        "reasons",
        "columns",
    }
    assert "orphan_row" in set(internal["reasons"])
    issues = pd.read_csv(out / "validation" / "validation_issues.csv")
    assert "value" not in issues.columns
    readme = (out / "interno" / "README.md").read_text(encoding="utf-8")
    assert "NO COMPARTIR" in readme and "NE PAS PARTAGER" in readme and "DO NOT SHARE" in readme


def test_true_n_of_suppressed_cells_only_internal(hostile):
    out = hostile["out"]
    public = pd.read_csv(out / "sdc_log.csv")
    internal = pd.read_csv(out / "interno" / "sdc_log.csv")
    assert "n" not in public.columns and "n" in internal.columns
    assert (internal["reason"] == "primary").any()


def test_every_input_row_accounted_for(hostile):
    report = hostile["result"].survey.report
    read = {
        "households": MAIN,
        "members": "roster",
        "parcels": "parcels",
        "respondents": "individual",
    }
    for table, sheet in read.items():
        assert report.rows_read[table] == len(hostile["frames"][sheet])
        assert report.rows_read[table] == (
            report.rows_accepted[table] + report.rows_quarantined[table]
        )
    acc = pd.read_csv(hostile["out"] / "validation" / "row_accounting.csv")
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()


_NUMBER = re.compile(r"^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*%?\s*$")


def _formula_like(text: str) -> bool:
    return len(text) > 1 and text[0] in "=+-@\t\r" and not _NUMBER.match(text)


def test_no_spreadsheet_cell_runs_as_formula(hostile):
    out = hostile["out"]
    checked = 0
    for path in out.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                bad = [c for c in row if _formula_like(c)]
                assert not bad, (path, bad[:2])
                checked += len(row)
    for path in out.rglob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (path, c.coordinate)
                    if isinstance(c.value, str):
                        assert not _formula_like(c.value), (path, c.coordinate, c.value)
    assert checked > 1000
    prov = (out / "csv" / "provenance.csv").read_text(encoding="utf-8")
    assert "'=1+1" in prov
    issues = (out / "interno" / "validation_issues.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in issues


def _rebuilt(table: pd.DataFrame, nesting: dict[str, str]) -> list:
    """Suppressed cells that are linear combinations of the published ones (rank test)."""
    out = []
    for _, cells in table.groupby(["indicator", "sex"]):
        cells = cells.reset_index(drop=True)
        pos = {
            (b, str(v)): i
            for i, (b, v) in enumerate(zip(cells["by"], cells["by_value"], strict=False))
        }
        if ("total", "nan") not in pos and ("total", "") not in pos:
            continue
        total = pos.get(("total", "nan"), pos.get(("total", "")))
        eqs = []
        for by in set(cells["by"]) - {"total", "community"}:
            eqs.append((total, [i for (b, _), i in pos.items() if b == by]))
        groups: dict[str, list[int]] = {}
        for (b, v), i in pos.items():
            if b == "community":
                groups.setdefault(nesting.get(v, ""), []).append(i)
        for d, kids in groups.items():
            eqs.append((pos.get(("district", d), total), kids))
        unknown = np.flatnonzero(cells["n"].isna().to_numpy())
        if not len(unknown):
            continue
        for u in recoverable(eqs, len(cells), unknown):
            out.append(tuple(cells.loc[u, ["indicator", "sex", "by", "by_value"]]))
    return out


def test_published_tables_survive_differencing(hostile):
    """The linear-algebra attacker on the published indicator and gap tables."""
    out = hostile["out"]
    ind = pd.read_csv(out / "csv" / "indicators.csv")
    survey = hostile["result"].survey
    main_table = survey.tables["households"]
    nesting = dict(
        main_table[["community", "district"]].drop_duplicates().astype(str).itertuples(index=False)
    )
    assert ind["suppressed"].any()
    assert not _rebuilt(ind, nesting)
    # the gap table publishes no count of a suppressed cell
    gaps = pd.read_csv(out / "csv" / "gaps.csv")
    sup = ind[ind["suppressed"]]
    for sex, col in (("F", "n_f"), ("M", "n_m")):
        keys = set(
            zip(
                sup.loc[sup["sex"] == sex, "indicator"],
                sup.loc[sup["sex"] == sex, "by"],
                sup.loc[sup["sex"] == sex, "by_value"].astype(str),
                strict=False,
            )
        )
        rows = gaps[
            [
                k in keys
                for k in zip(
                    gaps["indicator"], gaps["by"], gaps["by_value"].astype(str), strict=False
                )
            ]
        ]
        assert rows[col].isna().all(), col


# -- 2. broken files and configurations: one clear message -----------------------------------


def _one_message(err: str, expect: str) -> None:
    assert "unexpected error" not in err and "Traceback" not in err, err
    assert err.count("error:") == 1, err
    assert re.search(expect, err, re.I), err


def _write_config(folder: Path, base, *, extra: str = "", data: Path | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = f"""
[diagnostic]
name = "caso"
output_dir = "{(folder / "out").as_posix()}"
languages = ["en"]
[input]
path = "{(data or base["export"]).as_posix()}"
form = "{Path(base["form"]).as_posix()}"
design = "{Path(base["design"]).as_posix()}"
{extra}
"""
    path = folder / "diagnostic.toml"
    path.write_text(text, encoding="utf-8")
    return path


CONFIG_CASES = {
    "draws_huge": ("[ranking]\ndraws = 1000000000000", r"draws .*outside"),
    "top_n_negative": ("[recommend]\ntop_n = -5", r"top_n .*outside"),
    "seed_negative": ("[ranking]\nseed = -1", r"seed .*outside"),
    "sensitive_threshold_one": ("[disclosure]\nsensitive_threshold = 1", r"below threshold"),
    "top_k_zero": ("[ranking]\ntop_k = 0", r"top_k .*outside"),
    "max_rows_zero": ("max_rows = 0", r"max_rows .*outside"),
    "identifiers_not_list": ('[privacy]\nidentifiers = "dni"', r"identifiers: expected"),
    "sensitive_level_unknown": (
        '[disclosure]\nsensitive_min_level = "barrio"',
        r"sensitive_min_level",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_option_refused_when_config_loads(base, tmp_path, capsys, case):
    extra, expect = CONFIG_CASES[case]
    config = _write_config(tmp_path, base, extra=extra)
    started = time.perf_counter()
    assert main(["run", str(config)]) == 2
    assert time.perf_counter() - started < 10  # refused before any computation
    _one_message(capsys.readouterr().err, expect)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["../../etc", "/tmp/gd_absolute", "a/b", "..", "C:\\x"])
def test_output_name_must_be_plain(base, tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    config = _write_config(tmp_path, base).read_text(encoding="utf-8")
    config = config.replace('name = "caso"', f"name = {name!r}".replace("'", '"'))
    config = re.sub(r'output_dir = ".*"\n', "", config).replace("\\", "\\\\")
    (tmp_path / "diagnostic.toml").write_text(config, encoding="utf-8")
    assert main(["run", str(tmp_path / "diagnostic.toml")]) == 2
    _one_message(capsys.readouterr().err, r"not a plain name")
    assert not (tmp_path.parent / "etc").exists()


def test_deeply_nested_toml(tmp_path, capsys):
    path = tmp_path / "diagnostic.toml"
    path.write_text("x = " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    assert main(["run", str(path)]) == 2
    _one_message(capsys.readouterr().err, r"nested too deeply|not valid TOML")


def test_deeply_nested_yaml_catalogue(tmp_path):
    path = tmp_path / "actions.yaml"
    path.write_text("a: " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    from gender_diag.config import read_yaml

    with pytest.raises(gd.ConfigError, match="nested too deeply|not valid YAML"):
        read_yaml(path, what="action catalogue")


def _bomb(path: Path, *, megabytes: int = 40, dimension: str = "A1:B2") -> Path:
    """A workbook whose one sheet unpacks to ``megabytes`` of XML (about 1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<worksheet><dimension ref="{dimension}"/><sheetData>'.encode())
            block = b"<row/>" * (2**20 // 6)
            for _ in range(megabytes):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    return path


def test_zip_bomb_refused_in_seconds(tmp_path, capsys):
    import resource

    bomb = _bomb(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 2**20  # under 1 MB on disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    assert main(["validate", str(bomb)]) == 1
    assert time.perf_counter() - started < 5
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50  # the sheet was never unpacked
    _one_message(capsys.readouterr().out.replace("BLOCKING:", "error:"), r"zip bomb")


def test_unpacked_size_cap_is_configurable(base, tmp_path, capsys):
    bomb = _bomb(tmp_path / "big.xlsx", megabytes=12)
    config = _write_config(tmp_path, base, extra="max_uncompressed_mb = 5", data=bomb)
    assert main(["run", str(config)]) == 2
    _one_message(capsys.readouterr().err, r"unpacks to 12 MB, more than the 5 MB")


def test_sheet_extent_over_row_cap(tmp_path, capsys):
    wide = _bomb(tmp_path / "rows.xlsx", megabytes=1, dimension="A1:C3000001")
    assert main(["validate", str(wide)]) == 1
    _one_message(capsys.readouterr().out.replace("BLOCKING:", "error:"), r"3,000,000 rows")


def test_column_cap_from_configuration(base, tmp_path, capsys):
    config = _write_config(tmp_path, base, extra="max_columns = 10")
    assert main(["run", str(config)]) == 2
    _one_message(capsys.readouterr().err, r"columns .*more than the 10 allowed")


def _with_member(source: Path, target: Path, member: str) -> Path:
    shutil.copy(source, target)
    with zipfile.ZipFile(target, "a") as z:
        z.writestr(member, b"\x00" * 64)
    return target


@pytest.mark.parametrize(
    ("member", "expect"),
    [("xl/vbaProject.bin", r"macros"), ("xl/externalLinks/externalLink1.xml", r"external")],
)
def test_macros_and_external_links_refused(base, tmp_path, capsys, member, expect):
    path = _with_member(base["export"], tmp_path / "export.xlsm", member)
    assert main(["validate", str(path)]) == 1
    _one_message(capsys.readouterr().out.replace("BLOCKING:", "error:"), expect)


def test_truncated_workbook(base, tmp_path, capsys):
    data = Path(base["export"]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert main(["validate", str(path)]) == 1
    _one_message(capsys.readouterr().out.replace("BLOCKING:", "error:"), r"truncated|cannot")


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "vacío.csv"
    path.write_bytes(b"")
    assert main(["validate", str(path)]) == 1
    _one_message(capsys.readouterr().out.replace("BLOCKING:", "error:"), r"empty")


def test_format_odk_on_a_workbook(base, tmp_path, capsys):
    assert main(["validate", str(base["export"]), "--format", "odk"]) == 1
    _one_message(capsys.readouterr().out.replace("BLOCKING:", "error:"), r"ODK export is a folder")


def _hand_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hhid": ["H1", "H2", "H3"],
            "sexo": ["F", "M", "F"],
            "edad": [34, 51, 28],
            "comunidad": ["Pampa Ñaña", "Sóndor", "Pampa Ñaña"],
        }
    )


@pytest.mark.parametrize(
    ("case", "encode"),
    [
        ("utf16_bom", lambda t: t.encode("utf-16")),
        ("utf16le_no_bom", lambda t: t.encode("utf-16-le")),
        ("cr_only", lambda t: t.replace("\n", "\r").encode("utf-8")),
        ("crlf_cp1252", lambda t: t.replace("\n", "\r\n").encode("cp1252")),
    ],
)
def test_text_encodings_and_line_ends(tmp_path, case, encode):
    text = _hand_table().to_csv(index=False)
    path = tmp_path / f"{case}.csv"
    path.write_bytes(encode(text))
    survey = gd.ingest.read_table(path, table="members")
    got = survey.tables["members"]
    assert len(got) == 3 and survey.report.rows_read["members"] == 3
    assert set(got["comunidad"]) == {"Pampa Ñaña", "Sóndor"}


def test_most_rows_quarantined_is_not_valid(base, tmp_path, capsys):
    frames = {k: v.copy() for k, v in base["frames"].items()}
    main_frame = frames[MAIN]
    community = next(c for c in main_frame.columns if c.endswith("/community"))
    main_frame.loc[main_frame.index[: int(0.7 * len(main_frame))], community] = None
    path = _write_export(frames, tmp_path / "export.xlsx")
    assert main(["validate", str(path), "--form", str(base["form"])]) == 1
    out = capsys.readouterr().out
    assert re.search(r"\d+ of \d+ rows \(\d+%\) were quarantined", out), out
    report = gd.ingest.validate_path(path, form=base["form"])
    acc = report.accounting()
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()


def test_survey_of_women_only(base, tmp_path, capsys):
    frames = {k: v.copy() for k, v in base["frames"].items()}
    ind = frames["individual"]
    sex = next(c for c in ind.columns if c.endswith("resp_sex"))
    frames["individual"] = ind[ind[sex] == "F"]
    path = _write_export(frames, tmp_path / "export.xlsx")
    config = _write_config(tmp_path, base, data=path)
    assert main(["run", str(config)]) == 1
    err = capsys.readouterr().err
    _one_message(err, r"every accepted row is about women")
    assert "reference=" not in err


def test_synth_with_too_few_households(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "s"), "--households", "10"]) == 2
    _one_message(capsys.readouterr().err, r"50 to 1,000,000 households")
    assert not (tmp_path / "s").exists()


def test_stale_side_files_are_removed(base, tmp_path, capsys):
    """A first run leaves quarantine files; a second into the same folder must not keep them."""
    frames = {k: v.copy() for k, v in base["frames"].items()}
    roster = frames["roster"]
    roster.loc[roster.index[:5], "_parent_index"] = "9999"
    main_frame = frames[MAIN]
    community = next(c for c in main_frame.columns if c.endswith("/community"))
    main_frame.loc[main_frame.index[: int(0.7 * len(main_frame))], community] = None
    first = _write_export(frames, tmp_path / "first.xlsx")
    config = _write_config(tmp_path, base, data=first)
    assert main(["run", str(config)]) == 1
    validation = tmp_path / "out" / "validation"
    assert (validation / "quarantine_members.csv").exists()
    (tmp_path / "out" / "mine.txt").write_text("kept", encoding="utf-8")  # not ours: kept
    design = pd.read_csv(base["design"]).drop(columns="weight")
    design.to_csv(tmp_path / "design.csv", index=False)
    text = (
        config.read_text(encoding="utf-8")
        .replace(Path(base["design"]).as_posix(), (tmp_path / "design.csv").as_posix())
        .replace(first.as_posix(), Path(base["export"]).as_posix())
    )
    config.write_text(text, encoding="utf-8")
    assert main(["run", str(config)]) == 1
    capsys.readouterr()
    assert not list(validation.glob("quarantine_*.csv"))
    assert not list((tmp_path / "out" / "interno").glob("quarantine_*.csv"))
    assert (tmp_path / "out" / "mine.txt").exists()
    acc = pd.read_csv(validation / "row_accounting.csv")
    assert acc["rows_quarantined"].sum() == 0


def test_duplicate_header_after_trimming(base, tmp_path):
    """``hh_size`` next to `` hh_size ``: both are reported, neither silently wins."""
    frames = {k: v.copy() for k, v in base["frames"].items()}
    main_frame = frames[MAIN]
    size = next(c for c in main_frame.columns if c.endswith("hh_size"))
    main_frame[f" {size} "] = "99"
    path = _write_export(frames, tmp_path / "export.xlsx")
    report = gd.ingest.validate_path(path, form=base["form"])
    acc = report.accounting()
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()
    hit = report.issues[report.issues["message"].str.contains("appears more than once")]
    assert hit["column"].tolist() == ["hh_size"] and (hit["severity"] == "warning").all()


def test_identifier_values_not_echoed_by_validate(hostile, capsys):
    """The console report of ``gender-diag validate`` quotes no identifier either."""
    export = hostile["root"] / "kobo_export.xlsx"
    main(["validate", str(export)])
    printed = capsys.readouterr().out
    for case in ("phone_integer_no_flag", "dni_integer_roster", "nombre_jefe", "phone_in_comment"):
        tokens = set(re.findall(r"[\w.+-]+", printed))
        values = hostile["secrets"][case]
        assert not [v for v in values if v in tokens or (" " in v and v in printed)], case
