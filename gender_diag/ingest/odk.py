"""Read an ODK Briefcase / ODK Central CSV set: one CSV for the main form and one per repeat
group (``<form_id>-<repeat>.csv``), linked by ``KEY``/``PARENT_KEY``; group paths joined with
``-`` in the headers.
"""

from __future__ import annotations

from pathlib import Path

from gender_diag.ingest.assemble import RawTable, assemble
from gender_diag.ingest.files import read_delimited, sha256
from gender_diag.ingest.report import ValidationReport, input_error
from gender_diag.ingest.survey import Survey
from gender_diag.ingest.xlsform import DEFAULT_REPEAT_TABLES, MAIN_TABLE, load_form


def _find_files(path: Path, form) -> tuple[Path, list[Path]]:
    if path.is_dir():
        csvs = sorted(p for p in path.glob("*.csv") if p.is_file())
        if not csvs:
            raise input_error(
                "empty_file",
                file=path,
                what="the folder has no CSV file",
                fix="give the folder of the ODK Briefcase/Central CSV export",
            )
        form_id = str(form.settings.get("form_id", "")) if form is not None else ""
        main = next((p for p in csvs if p.stem == form_id), None)
        if main is None:
            # the main file is the one every repeat file's name starts with
            cands = [p for p in csvs if "-" not in p.stem] or csvs
            cands = [p for p in cands if p.stem not in {"design"}] or cands
            main = min(cands, key=lambda p: len(p.stem))
    else:
        main = path
    repeats = sorted(p for p in main.parent.glob(f"{main.stem}-*.csv") if p != main)
    return main, repeats


def read_odk(
    folder_or_main_csv: str | Path,
    *,
    form=None,
    design=None,
    sheet_map: dict[str, str] | None = None,
    salt: str | None = None,
    mapping=None,
    design_names: dict | None = None,
) -> Survey:
    """Read an ODK Briefcase/Central CSV set into a validated, de-identified :class:`Survey`.

    Parameters
    ----------
    folder_or_main_csv : str or Path
        The export folder, or the main CSV (repeat files ``<main>-<repeat>.csv`` beside it).
    form, design, salt, mapping
        As in :func:`gender_diag.ingest.read_kobo`.
    sheet_map : dict, optional
        Repeat file stem or repeat name → table, when the files were renamed.

    Returns
    -------
    Survey
    """
    path = Path(folder_or_main_csv)
    if not path.exists():
        raise input_error("empty_file", file=path, what="it does not exist", fix="check the path")
    if path.is_file() and path.suffix.lower() not in {".csv", ".txt"}:
        raise input_error(
            "corrupt_file",
            file=path.name,
            what=f"an ODK export is a folder of CSV files (or its main CSV), not a "
            f"{path.suffix or 'extension-less'} file",
            fix='give the ODK export folder, or set [input] format = "kobo" for a Kobo '
            'XLSX export ("table" for a hand-typed workbook)',
        )
    from gender_diag.ingest.mapping import check_mapping, load_mapping, map_form

    survey_map = load_mapping(mapping)
    fm = map_form(load_form(form), survey_map)
    report = ValidationReport()
    main, repeat_files = _find_files(path, fm)
    source = {str(main): sha256(main)}
    if fm is not None and fm.path:
        source[fm.path] = fm.sha256
    df, _ = read_delimited(main, report=report, categorical=True)
    if not len(df):
        raise input_error(
            "empty_file",
            file=main,
            what="the main CSV has a header but no rows",
            fix="pull and export the submissions again",
        )
    raw = {MAIN_TABLE: RawTable(MAIN_TABLE, df, str(main), "", "KEY", None)}
    repeats = dict(DEFAULT_REPEAT_TABLES)
    if fm is not None:
        repeats.update(fm.repeats)
    if survey_map is not None:
        repeats.update(survey_map.repeat_tables())
    repeats.update(sheet_map or {})
    sheets = {"": df}
    for p in repeat_files:
        rep = p.stem[len(main.stem) + 1 :]
        table = (sheet_map or {}).get(p.stem) or repeats.get(rep) or repeats.get(rep.split("-")[-1])
        if table is None:
            report.add_blocking(
                "bad_sheet",
                f"File {p}: {rep!r} is not a repeat group of the form; not read.",
                fix=f"Name repeat files <form>-<repeat>.csv ({', '.join(sorted(repeats))}) "
                "or pass sheet_map.",
                file=str(p),
            )
            continue
        rdf, _ = read_delimited(p, report=report, categorical=True)
        sheets[rep] = rdf
        source[str(p)] = sha256(p)
        if "PARENT_KEY" not in rdf.columns:
            report.add_blocking(
                "missing_column",
                f"File {p}: the link column 'PARENT_KEY' is missing.",
                fix="Export the repeat CSVs with their KEY/PARENT_KEY columns.",
                file=str(p),
                table=table,
                column="PARENT_KEY",
            )
        raw[table] = RawTable(table, rdf, str(p), "", "KEY", "PARENT_KEY")
    if "KEY" not in df.columns and len(raw) > 1:
        report.add_blocking(
            "missing_column",
            f"File {main}: the main CSV has no 'KEY' column; repeat rows cannot be linked.",
            fix="Export with the KEY column (ODK Briefcase/Central default).",
            file=str(main),
            table=MAIN_TABLE,
            column="KEY",
        )
    if survey_map is not None:
        check_mapping(
            survey_map, form=fm, sheets=sheets, main_sheet="", file=str(main), report=report
        )
    return assemble(
        raw,
        form=fm,
        design=design,
        source=source,
        salt=salt,
        report=report,
        sep="-",
        mapping=survey_map,
        design_names=design_names,
    )
