"""Read a KoboToolbox export: the XLSX (main sheet + one sheet per repeat group, linked by
``_index``/``_parent_index``) or the ``;``-separated CSV of the main sheet.

Headers may be XML names with group paths (``ident/district``) or labels; values may be XML
codes or labels (mapped back to codes through the XLSForm).
"""

from __future__ import annotations

from pathlib import Path

from gender_diag.ingest.assemble import RawTable, assemble
from gender_diag.ingest.files import as_categories, read_delimited, read_sheets, sha256
from gender_diag.ingest.report import ValidationReport, input_error
from gender_diag.ingest.survey import Survey
from gender_diag.ingest.xlsform import DEFAULT_REPEAT_TABLES, MAIN_TABLE, Form, load_form


def _sheet_tables(sheets: dict, form: Form | None, sheet_map: dict | None) -> dict[str, str]:
    """Sheet name → table name (unmapped sheets are left out)."""
    if sheet_map:
        return {s: t for s, t in sheet_map.items() if s in sheets}
    repeats = dict(DEFAULT_REPEAT_TABLES)
    if form is not None:
        repeats.update(form.repeats)
    return _place_sheets(sheets, repeats)


def _place_sheets(sheets: dict, repeats: dict[str, str]) -> dict[str, str]:
    """Sheet → table: a sheet named as a repeat is that repeat's table; the first sheet
    without ``_parent_index`` is the main table; other sheets are left out."""
    out: dict[str, str] = {}
    main_found = False
    for name, df in sheets.items():
        low = name.strip().lower()
        # Kobo cuts sheet names to Excel's 31 characters
        hit = next(
            (
                t
                for r, t in repeats.items()
                if low == r.lower() or (len(low) >= 31 and r.lower().startswith(low))
            ),
            None,
        )
        if hit is not None:
            out[name] = hit
        elif "_parent_index" not in df.columns and not main_found and len(df.columns):
            out[name] = MAIN_TABLE
            main_found = True
    return out


def _mapped_sheets(sheets: dict, form: Form | None, survey_map) -> dict[str, str]:
    """Sheet → table for a mapping that names sheets directly (no form, or renamed sheets).

    With a mapping, every sheet is placed: the repeats it names, the other repeats of the form
    under their own names, the main sheet; returns an empty dict without a mapping (the
    default sheet detection then applies).
    """
    if survey_map is None:
        return {}
    repeats = dict(form.repeats) if form is not None else {}
    repeats.update(survey_map.repeat_tables())
    return _place_sheets(sheets, repeats)


def read_kobo(
    path: str | Path,
    *,
    form=None,
    design=None,
    sheet_map: dict[str, str] | None = None,
    language: str | None = None,
    salt: str | None = None,
    mapping=None,
    design_names: dict | None = None,
) -> Survey:
    """Read a KoboToolbox export into a validated, de-identified :class:`Survey`.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` export (main sheet first, one sheet per repeat group) or the ``;`` CSV of the
        main sheet.
    form : str, Path or Form, optional
        The XLSForm that collected the data: types, choice lists, labels, ``relevant``,
        sensitive and identifier flags. Without it types are inferred and no form rule is
        checked.
    design : str, Path or DataFrame, optional
        Design file (one row per sampled community: district, community, weight,
        communities_total, households_total), merged by ``community`` onto every table.
    sheet_map : dict, optional
        Sheet name → table (``households``, ``members``, ``parcels``, ``respondents``) when
        the sheets were renamed.
    language : str, optional
        Language of label headers/values (``es``, ``en``, ``fr``), tried first when a label
        exists in several languages; every language of the form is tried in any case.
    salt : str, optional
        Secret salt: identifiers that must link (``dni_number``) are replaced by salted
        pseudonyms instead of being dropped.
    mapping : SurveyMapping, dict, str or Path, optional
        Where gender_diag's concepts live in the partner's own form (the ``[mapping]``
        section, :mod:`gender_diag.ingest.mapping`): household id, places, roster, respondents,
        sex codes, other repeats. Every mapped name is checked against the form and the
        export; the tables come out under the canonical names.
    design_names : dict, optional
        With a mapping, the ``[design]`` section: its weight, strata, psu, fpc, fpc2 name
        the design file's own columns.

    Returns
    -------
    Survey

    Raises
    ------
    InputFileError
        Empty, truncated or corrupt file, no household sheet: one sentence naming the file,
        sheet, problem and fix.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = p.write_text("_uuid;ident/hhid;ident/community\\nu1;H00001;c01\\nu2;H00002;c02\\n")
    >>> s = read_kobo(p)
    >>> s.tables["households"][["hhid", "community"]].values.tolist()
    [['H00001', 'c01'], ['H00002', 'c02']]
    >>> s.report.accounting().values.tolist()
    [['households', 2, 2, 0]]
    """
    from gender_diag.ingest.mapping import check_mapping, load_mapping, map_form

    path = Path(path)
    survey_map = load_mapping(mapping)
    fm = map_form(load_form(form), survey_map)
    report = ValidationReport()
    source = {str(path): sha256(path)} if path.is_file() else {}
    if fm is not None and fm.path:
        source[fm.path] = fm.sha256
    if path.suffix.lower() in {".csv", ".txt"}:
        df, _ = read_delimited(path, report=report, categorical=True)
        if not len(df):
            raise input_error(
                "empty_file",
                file=path,
                what="the CSV has a header but no rows",
                fix="export the submissions again from Kobo",
            )
        raw = {MAIN_TABLE: RawTable(MAIN_TABLE, df, str(path), "", "_index", None)}
        if survey_map is not None:
            check_mapping(
                survey_map, form=fm, sheets={"": df}, main_sheet="", file=str(path), report=report
            )
        return assemble(
            raw,
            form=fm,
            design=design,
            source=source,
            salt=salt,
            report=report,
            language=language,
            mapping=survey_map,
            design_names=design_names,
        )
    # held as categories like the CSV readers' frames (typing works on the categories)
    sheets = {name: as_categories(df) for name, df in read_sheets(path).items()}
    if not sheets or all(not len(df.columns) for df in sheets.values()):
        raise input_error(
            "empty_file", file=path, what="the workbook has no data", fix="export it again"
        )
    sheet_map = {**_mapped_sheets(sheets, fm, survey_map), **(sheet_map or {})} or None
    mapping = _sheet_tables(sheets, fm, sheet_map)
    if MAIN_TABLE not in mapping.values():
        raise input_error(
            "bad_sheet",
            file=path,
            what=f"no household (main) sheet among {', '.join(sheets)}",
            fix="pass sheet_map={'<main sheet>': 'households', ...}",
        )
    expected = sorted(set(DEFAULT_REPEAT_TABLES) | set(fm.repeats if fm else ()))
    for name, df in sheets.items():
        if name in mapping or not len(df.columns):
            continue
        report.add_blocking(
            "bad_sheet",
            f"File {path}, sheet {name!r}: this sheet is not a repeat group of the form "
            f"({len(df)} rows not read).",
            fix=f"Name repeat sheets as in the form ({', '.join(expected)}) or pass sheet_map.",
            file=str(path),
            sheet=name,
        )
    if fm is not None:
        present = set(mapping.values())
        for rep, table in fm.repeats.items():
            if table not in present:
                report.add_blocking(
                    "bad_sheet",
                    f"File {path}: no sheet {rep!r} for the repeat group {rep} (table {table}).",
                    fix=f"Export all repeat groups, or pass sheet_map={{'<sheet>': '{table}'}}.",
                    file=str(path),
                    sheet=rep,
                    table=table,
                )
    raw = {}
    for sheet, table in mapping.items():
        df = sheets[sheet]
        if table == MAIN_TABLE and not len(df):
            raise input_error(
                "empty_file",
                file=path,
                sheet=sheet,
                what="the main sheet has no rows",
                fix="export the submissions again from Kobo",
            )
        parent = "_parent_index" if table != MAIN_TABLE else None
        if parent and parent not in df.columns:
            report.add_blocking(
                "missing_column",
                f"File {path}, sheet {sheet!r}: the link column '_parent_index' is missing.",
                fix="Export from Kobo with the default XLS settings (keeps _index columns).",
                file=str(path),
                sheet=sheet,
                table=table,
                column="_parent_index",
            )
        raw[table] = RawTable(table, df, str(path), sheet, "_index", parent)
    if "_index" not in sheets[next(s for s, t in mapping.items() if t == MAIN_TABLE)].columns:
        if len(raw) > 1:
            report.add_blocking(
                "missing_column",
                f"File {path}: the main sheet has no '_index' column, repeat rows cannot be "
                "linked to their household.",
                fix="Export from Kobo with the default XLS settings (keeps _index columns).",
                file=str(path),
                table=MAIN_TABLE,
                column="_index",
            )
    if survey_map is not None:
        main_sheet = next(s for s, t in mapping.items() if t == MAIN_TABLE)
        check_mapping(
            survey_map,
            form=fm,
            sheets=sheets,
            main_sheet=main_sheet,
            file=str(path),
            report=report,
        )
    return assemble(
        raw,
        form=fm,
        design=design,
        source=source,
        salt=salt,
        report=report,
        language=language,
        mapping=survey_map,
        design_names=design_names,
    )
