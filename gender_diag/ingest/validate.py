"""Validation checks run at ingest. Every check is column-wise (vectorised) and adds a block of
rows to the :class:`~gender_diag.ingest.report.ValidationReport`; none raises.

Which problems quarantine a row (the rest are reported and the row is kept):

======================  ==========  ==========================================
reason                  severity    effect
======================  ==========  ==========================================
duplicate_submission    error       later identical copies quarantined
duplicate_key           error       later rows with an already seen key
missing_required        error       households without hhid/district/community
orphan_row              error       repeat row without household
respondent_unknown      error       respondent line not in the roster
design_invalid          error       household whose community has no weight
out_of_range            error       number outside its range set to missing
not_numeric/invalid_code error      cell set to missing
missing_required        warning     other required answers
answered_not_relevant   warning     kept
time_use_sum            warning     kept
sex_mismatch            warning     kept; ``sex`` is taken from the roster
======================  ==========  ==========================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gender_diag.errors import RuleError
from gender_diag.ingest import expr
from gender_diag.ingest.report import ValidationReport, make_issues
from gender_diag.ingest.xlsform import MAIN_TABLE, NUMERIC_TYPES, Form

ROW, OWN, PARENT = "__row__", "__key__", "__parent__"

#: Ranges checked when the form gives no constraint (or there is no form). Sources: the
#: instrument (docs/contracts.md §1): age 0–110, roster line 1–20, parcel area 0.001–200 ha,
#: hours in a 24-h recall 0–24, leisure satisfaction 1–10.
DEFAULT_RANGES = {
    "age": (0, 110),
    "line": (1, 20),
    "parcel_area": (0.001, 200),
    "leisure_sat": (1, 10),
}
TIME_USE_TOLERANCE = 0.25
KEY_FIELDS = ("hhid", "district", "community")
VERSION_COLUMNS = ("FormVersion", "_version_", "version", "_version")
#: Columns that differ between two exports of one submission: ignored when looking for
#: duplicate submissions with identical content.
_EXPORT_META = {
    ROW,
    OWN,
    PARENT,
    "_index",
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_status",
    "KEY",
    "instanceID",
    "SubmissionDate",
    "__hh_row__",
}


class Flags:
    """Quarantine flags of one table: a boolean mask plus the reason codes of each row.

    Examples
    --------
    >>> f = Flags(4)
    >>> f.add([True, False, True, False], "orphan_row")
    >>> f.add([True, False, False, False], "duplicate_key")
    >>> f.mask.tolist(), f.reasons().tolist()
    ([True, False, True, False], ['orphan_row;duplicate_key', 'orphan_row'])
    """

    def __init__(self, n: int):
        self.mask = np.zeros(n, dtype=bool)
        self._parts: list[tuple[np.ndarray, str]] = []

    @property
    def alive(self) -> np.ndarray:
        """Rows not (yet) quarantined."""
        return ~self.mask

    def add(self, mask, reason: str) -> None:
        m = np.asarray(mask, dtype=bool)
        if m.any():
            self.mask = self.mask | m
            self._parts.append((np.flatnonzero(m), reason))

    def reasons(self) -> np.ndarray:
        """Reason codes joined by ``;`` for the flagged rows, in row order."""
        flagged = np.flatnonzero(self.mask)
        if not len(flagged):
            return np.array([], dtype=object)
        pos = np.concatenate([p for p, _ in self._parts])
        why = np.concatenate([np.full(len(p), r, dtype=object) for p, r in self._parts])
        joined = pd.Series(why).groupby(pos, sort=True).agg(";".join)
        return joined.reindex(flagged).to_numpy(dtype=object)


#: Export metadata columns (Kobo and ODK) that are not questions.
META_COLUMNS = {
    "_id",
    "_uuid",
    "_index",
    "_parent_index",
    "_parent_table_name",
    "_submission_time",
    "_submitted_by",
    "_validation_status",
    "_notes",
    "_status",
    "_tags",
    "_version_",
    "__version__",
    "_xform_id_string",
    "_attachments",
    "_geolocation",
    "_media_count",
    "_total_media",
    "_media_all_received",
    "instanceID",
    "instanceName",
    "formhub/uuid",
    "KEY",
    "PARENT_KEY",
    "SubmissionDate",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
    "version",
    "deviceID",
}


def flag(q: Flags, mask, reason: str) -> None:
    """Quarantine the rows in ``mask`` for ``reason``."""
    q.add(mask, reason)


def _issues(df, mask, meta, name, **kw):
    mask = np.asarray(mask, dtype=bool)
    col = kw.get("column")
    values = kw.pop("values", None)
    if values is None and col and col in df.columns:
        values = df.loc[mask, col]
    return make_issues(
        df.loc[mask, ROW].to_numpy(),
        table=name,
        values=values,
        file=meta[name].file,
        sheet=meta[name].sheet,
        **kw,
    )


def _present(s: pd.Series) -> pd.Series:
    # typed columns already have blanks as missing; only raw object columns need a look
    if s.dtype == object:
        return s.notna() & s.astype("string").str.strip().ne("")
    return s.notna()


# -- structure ------------------------------------------------------------------------------


def check_columns(tables, meta, *, form: Form | None, report: ValidationReport) -> None:
    """Key columns present; columns not in the form and form fields not in the data."""
    name0 = MAIN_TABLE if MAIN_TABLE in tables else next(iter(tables))
    main = tables[name0]
    rt = meta[name0]
    if "hhid" not in main.columns and name0 == MAIN_TABLE:
        report.add_blocking(
            "missing_column",
            f"File {rt.file}"
            + (f", sheet {rt.sheet!r}" if rt.sheet else "")
            + ": the household id column 'hhid' is missing.",
            fix="Export with XML names or label headers of the same form, or map the column "
            "holding the household id to 'hhid'.",
            file=rt.file,
            sheet=rt.sheet,
            table=MAIN_TABLE,
            column="hhid",
        )
    if form is None:
        return
    for name, df in tables.items():
        known = set(form.table_vars(name)["name"])
        if not known:
            continue
        cols = [c for c in df.columns if not c.startswith("_") and c not in (ROW, OWN, PARENT)]
        base = {c.split("__")[0] for c in cols}
        unknown = [
            c
            for c in cols
            if c.split("__")[0] not in known and c not in _EXPORT_META and c not in META_COLUMNS
        ]
        missing = [
            v
            for v in form.table_vars(name).itertuples(index=False)
            if v.name not in base and v.type not in {"calculate"}
        ]
        if unknown:
            report.add(
                make_issues(
                    [1] * len(unknown),
                    table=name,
                    column="",
                    rule="column is a field of the form",
                    reason="unknown_column",
                    severity="warning",
                    message=[
                        f"Column {c!r} is not a field of the form; kept as text." for c in unknown
                    ],
                    fix="Check that the export and the form are the same version.",
                    values=unknown,
                    file=meta[name].file,
                    sheet=meta[name].sheet,
                )
            )
        if missing:
            report.add(
                make_issues(
                    [1] * len(missing),
                    table=name,
                    column="",
                    rule="every form field is in the export",
                    reason="missing_column",
                    severity="warning",
                    message=[
                        f"Field {v.name!r} of the form is not in the export." for v in missing
                    ],
                    fix="Export all fields (Kobo: 'include all versions', XML values and headers).",
                    values=[v.name for v in missing],
                    file=meta[name].file,
                    sheet=meta[name].sheet,
                )
            )
        if known and len(unknown) + len(missing) > 0.5 * max(len(known), 1):
            report.add_blocking(
                "form_version_mismatch",
                f"Table {name}: {len(unknown)} columns are not in the form and {len(missing)} "
                "form fields are missing: this export does not match the form given.",
                fix="Give the XLSForm version that collected these data.",
                file=meta[name].file,
                sheet=meta[name].sheet,
                table=name,
            )


def check_version(
    tables, meta, *, form: Form | None, report: ValidationReport, warn_only: bool = False
) -> None:
    """Form version recorded in the data (``__version__``, ``FormVersion``...) vs the form.

    ``warn_only`` (``[mapping] form_version = "warn"``) never blocks: every mismatching row
    is a warning.
    """
    if form is None or form.version is None or MAIN_TABLE not in tables:
        return
    main = tables[MAIN_TABLE]
    col = next(
        (
            c
            for c in ("__version__", "_version_", "FormVersion", "version", "_version")
            if c in main.columns
        ),
        None,
    )
    if col is None:
        return
    vals = main[col].astype("string").str.strip()
    bad = (vals.notna() & vals.ne(form.version)).fillna(False)
    if not bad.any():
        return
    seen = ", ".join(sorted(set(vals[bad].dropna().tolist()))[:5])
    if bad.all() and not warn_only:
        report.add_blocking(
            "form_version_mismatch",
            f"File {meta[MAIN_TABLE].file}: every submission was collected with form "
            f"version(s) {seen} but the form given is version {form.version}.",
            fix="Give the XLSForm version that collected these data.",
            file=meta[MAIN_TABLE].file,
            sheet=meta[MAIN_TABLE].sheet,
            table=MAIN_TABLE,
            column=col,
        )
        return
    report.add(
        _issues(
            main,
            bad,
            meta,
            MAIN_TABLE,
            column=col,
            rule=f"form version = {form.version}",
            reason="form_version_mismatch",
            severity="warning",
            message=f"Collected with form version(s) {seen}, the form given is "
            f"version {form.version}.",
            fix="Check that the changes between form versions do not affect these rows' questions.",
        )
    )


# -- design ---------------------------------------------------------------------------------


def load_design(
    design, *, report: ValidationReport, source: dict, columns: dict | None = None
) -> pd.DataFrame | None:
    """Read and check the design file (one row per sampled community, contract §1).

    ``columns`` names the design file's own columns for a partner's design (from ``[mapping]``
    and ``[design]``): ``community`` (the join key, the mapped community column), ``district``
    (strata), ``weight``, ``fpc`` (PSUs in the stratum), ``fpc2`` (households in the PSU).
    Names not found fall back to the bundled ones (community, district, weight,
    communities_total, households_total).

    Returns a frame with community, district, weight, fpc, fpc2 (None without a design).
    """
    if design is None:
        return None
    if isinstance(design, pd.DataFrame):
        df, file = design.copy(), "<design>"
    else:
        from gender_diag.ingest.tables import read_delimited

        file = str(design)
        df, _ = read_delimited(design, report=report)
        from gender_diag.ingest.assemble import sha256

        source[file] = sha256(design)
    df.columns = [str(c).strip().lower() for c in df.columns]
    if columns:
        defaults = {"community": "community", "district": "district", "weight": "weight",
                    "fpc": "communities_total", "fpc2": "households_total"}  # fmt: skip
        renames = {}
        for role, default in defaults.items():
            names = [n for n in columns.get(role, ()) if n] if role in columns else []
            own = next((n.strip().lower() for n in names if n.strip().lower() in df.columns), None)
            if own is not None and own != default:
                renames[own] = default
        df = df.drop(columns=[d for d in renames.values() if d in df.columns]).rename(
            columns=renames
        )
    need = ["community", "weight"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        given = (columns or {}).get(miss[0]) or ()
        report.add_blocking(
            "design_invalid",
            f"Design file {file}: column(s) {', '.join(miss)} missing"
            + (f" (looked for {', '.join(map(repr, [g for g in given if g]))})" if given else "")
            + f"; its columns are {', '.join(df.columns)}.",
            fix="The design file needs one row per sampled community with columns district, "
            "community, weight (and communities_total, households_total for the fpc); with "
            "[mapping], the community column is the mapped community name and [design] weight, "
            "strata, fpc, fpc2 name the design file's columns.",
            file=file,
            table="design",
            column=miss[0],
        )
        return None
    rows = np.arange(len(df)) + 2
    w = pd.to_numeric(df["weight"], errors="coerce")
    bad = ~(w > 0)
    out = pd.DataFrame(
        {
            "community": df["community"].astype("string").str.strip(),
            "district": df["district"].astype("string").str.strip() if "district" in df else pd.NA,
            "weight": w.astype("Float64"),
            "fpc": pd.to_numeric(df.get("communities_total"), errors="coerce")
            if "communities_total" in df
            else np.nan,
            "fpc2": pd.to_numeric(df.get("households_total"), errors="coerce")
            if "households_total" in df
            else np.nan,
        }
    )
    if bad.any():
        report.add(
            make_issues(
                rows[bad.to_numpy()],
                table="design",
                column="weight",
                rule="weight > 0",
                reason="design_invalid",
                severity="blocking",
                message="Design weight missing, zero or negative.",
                fix="Give every sampled community a positive weight (1 / inclusion probability).",
                values=df.loc[bad, "weight"],
                file=file,
            )
        )
    dup = out["community"].duplicated(keep=False) & out["community"].notna()
    if dup.any():
        report.add(
            make_issues(
                rows[dup.to_numpy()],
                table="design",
                column="community",
                rule="one row per community",
                reason="design_invalid",
                severity="blocking",
                message="Community listed more than once in the design file.",
                fix="Keep one row per sampled community.",
                values=out.loc[dup, "community"],
                file=file,
            )
        )
    return out


# -- row checks -----------------------------------------------------------------------------


def run_checks(tables, meta, quarantine, *, form, report, design) -> None:
    """Every row-level check, households first (their quarantine flows to repeat rows)."""
    if MAIN_TABLE in tables:
        _check_households(tables, meta, quarantine, report, design)
    else:
        _check_weights_only(tables, meta, quarantine, report, design)
    _check_children_keys(tables, meta, quarantine, report)
    _check_respondents(tables, meta, quarantine, report)
    if form is not None:
        _check_form_rules(tables, meta, quarantine, form, report)
    _check_default_ranges(tables, meta, form, report)
    _check_time_use(tables, meta, report)


def _check_households(tables, meta, quarantine, report, design):
    df = tables[MAIN_TABLE]
    q = quarantine[MAIN_TABLE]
    content = [c for c in df.columns if c not in _EXPORT_META]
    if len(df) and content:
        h = pd.util.hash_pandas_object(df[content], index=False)
        dup = h.duplicated(keep="first").to_numpy()
        if dup.any():
            first_row = df[ROW].groupby(h.to_numpy()).transform("first")
            report.add(
                _issues(
                    df,
                    dup,
                    meta,
                    MAIN_TABLE,
                    column="hhid" if "hhid" in df else "",
                    rule="each submission once",
                    reason="duplicate_submission",
                    severity="error",
                    message=pd.Series(
                        "Same content as row "
                        + first_row[dup].astype("string")
                        + "; this copy quarantined."
                    ),
                    fix="Delete the duplicate submission in Kobo/ODK before exporting.",
                )
            )
            flag(q, dup, "duplicate_submission")
    for key in ("_uuid", "KEY", "hhid"):
        if key not in df.columns:
            continue
        # a key repeated by a duplicate submission is already reported there
        alive = q.alive
        k = df[key].astype("string").where(alive)
        involved = (k.duplicated(keep=False) & k.notna()).to_numpy()
        if not involved.any():
            continue
        later = involved & (k.duplicated(keep="first")).to_numpy()
        if key == "KEY":
            # ODK links repeat rows by KEY: with a shared KEY no row can be placed, so every
            # submission sharing it is quarantined (with its repeat rows)
            later = involved
        rows_of = (
            df.loc[involved, ROW]
            .groupby(k[involved].to_numpy())
            .agg(lambda r: ", ".join(map(str, r)))
        )
        shared = pd.Series(rows_of.reindex(k.fillna("").to_numpy()).to_numpy(), index=df.index)
        for mask, sev, what in (
            (
                later,
                "error",
                "this row quarantined"
                + (" (repeat rows cannot be placed)" if key == "KEY" else ""),
            ),
            (involved & ~later, "warning", "the first one is kept"),
        ):
            if mask.any():
                report.add(
                    _issues(
                        df,
                        mask,
                        meta,
                        MAIN_TABLE,
                        column=key,
                        rule=f"{key} is unique",
                        reason="duplicate_key",
                        severity=sev,
                        message=pd.Series(
                            f"{key} shared by rows " + shared[mask].astype("string") + f"; {what}."
                        ),
                        fix=f"Give each household its own {key} (or delete the wrong copy).",
                    )
                )
        flag(q, later, "duplicate_key")
    for key in KEY_FIELDS:
        if key not in df.columns:
            continue
        miss = (~_present(df[key])).to_numpy()
        if miss.any():
            report.add(
                _issues(
                    df,
                    miss,
                    meta,
                    MAIN_TABLE,
                    column=key,
                    rule=f"{key} is required",
                    reason="missing_required",
                    severity="error",
                    message=f"{key} is missing: the household cannot be placed in the design; "
                    "quarantined.",
                    fix=f"Fill in {key}.",
                )
            )
            flag(q, miss, "missing_required")
    if design is not None and "community" in df.columns:
        known = df["community"].isin(design["community"].dropna())
        badw = df["community"].isin(design.loc[~(design["weight"] > 0), "community"])
        bad = (_present(df["community"]) & (~known | badw)).to_numpy()
        if bad.any():
            report.add(
                _issues(
                    df,
                    bad,
                    meta,
                    MAIN_TABLE,
                    column="community",
                    rule="community has a design weight",
                    reason="design_invalid",
                    severity="error",
                    message="This community has no valid weight in the design file; "
                    "household quarantined.",
                    fix="Add the community with its weight to the design file.",
                )
            )
            flag(q, bad, "design_invalid")
        if "district" in design and "district" in df.columns and design["district"].notna().any():
            m = design.drop_duplicates("community").set_index("community")["district"]
            expect = pd.Series(m.reindex(df["community"].to_numpy()).to_numpy(), index=df.index)
            got = df["district"].astype("string")
            wrong = (expect.astype("string") != got).fillna(False).to_numpy(dtype=bool)
            if wrong.any():
                report.add(
                    _issues(
                        df,
                        wrong,
                        meta,
                        MAIN_TABLE,
                        column="district",
                        rule="district matches the community's district in the design",
                        reason="design_invalid",
                        severity="warning",
                        message="District differs from the district of this community in the "
                        "design file.",
                        fix="Correct the district or the community.",
                    )
                )
    elif "weight" not in df.columns:
        report.add(
            make_issues(
                [1],
                table=MAIN_TABLE,
                column="weight",
                rule="a design file or a weight column is given",
                reason="design_invalid",
                severity="warning",
                message="No design file and no weight column: estimates cannot use sampling "
                "weights, strata and clusters.",
                fix="Give the design file (design.csv: district, community, weight, "
                "communities_total, households_total).",
                file=meta[MAIN_TABLE].file,
                sheet=meta[MAIN_TABLE].sheet,
            )
        )
    else:
        w = pd.to_numeric(df["weight"], errors="coerce")
        bad = ~(w > 0).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            report.add(
                _issues(
                    df,
                    bad,
                    meta,
                    MAIN_TABLE,
                    column="weight",
                    rule="weight > 0",
                    reason="design_invalid",
                    severity="error",
                    message="Weight missing, zero or negative; quarantined.",
                    fix="Give every household a positive weight.",
                )
            )
            flag(q, bad, "design_invalid")


def _check_weights_only(tables, meta, quarantine, report, design):
    """A single hand-typed table: design coverage (by community) or its own weight column."""
    for name, df in tables.items():
        q = quarantine[name]
        if design is not None and "community" in df.columns:
            bad = _present(df["community"]) & ~df["community"].isin(design["community"])
            bad = bad.to_numpy(dtype=bool)
            if bad.any():
                report.add(
                    _issues(
                        df,
                        bad,
                        meta,
                        name,
                        column="community",
                        rule="community has a design weight",
                        reason="design_invalid",
                        severity="error",
                        message="This community has no weight in the design file; quarantined.",
                        fix="Add the community with its weight to the design file.",
                    )
                )
                flag(q, bad, "design_invalid")
        elif "weight" in df.columns:
            w = pd.to_numeric(df["weight"], errors="coerce")
            bad = ~(w > 0).fillna(False).to_numpy(dtype=bool)
            if bad.any():
                report.add(
                    _issues(
                        df,
                        bad,
                        meta,
                        name,
                        column="weight",
                        rule="weight > 0",
                        reason="design_invalid",
                        severity="error",
                        message="Weight missing, zero or negative; quarantined.",
                        fix="Give every row a positive weight.",
                    )
                )
                flag(q, bad, "design_invalid")


def _hh_alive(tables, quarantine, df) -> np.ndarray:
    """Rows of a repeat table whose household is not quarantined."""
    if MAIN_TABLE not in tables or "__hh_row__" not in df.columns:
        return np.ones(len(df), dtype=bool)
    main = tables[MAIN_TABLE]
    bad = main.loc[quarantine[MAIN_TABLE].mask, ROW]
    return ~df["__hh_row__"].isin(bad).to_numpy()


def _check_children_keys(tables, meta, quarantine, report):
    keys = {"members": ["hhid", "line"], "parcels": ["hhid", "parcel"]}
    for name, cols in keys.items():
        if name not in tables or not set(cols) <= set(tables[name].columns):
            continue
        df, q = tables[name], quarantine[name]
        # rows of a duplicated household are handled by the household's quarantine
        k = df[cols].astype("string")
        if "__hh_row__" in df.columns:
            k = k.assign(_h=df["__hh_row__"].astype("string"))
        dup = (k.duplicated(keep="first") & k[cols].notna().all(axis=1)).to_numpy()
        dup = dup & q.alive & _hh_alive(tables, quarantine, df)
        if dup.any():
            report.add(
                _issues(
                    df,
                    dup,
                    meta,
                    name,
                    column=cols[-1],
                    rule=f"({', '.join(cols)}) is unique",
                    reason="duplicate_key",
                    severity="error",
                    message=f"The same {cols[-1]} appears twice in one household; quarantined.",
                    fix=f"Renumber the {cols[-1]} or delete the duplicate row.",
                )
            )
            flag(q, dup, "duplicate_key")


def _check_respondents(tables, meta, quarantine, report):
    if "respondents" not in tables or "members" not in tables:
        return
    resp, mem = tables["respondents"], tables["members"]
    if not {"hhid", "line"} <= set(resp.columns) or not {"hhid", "line"} <= set(mem.columns):
        return
    q = quarantine["respondents"]
    rline = pd.to_numeric(resp["line"], errors="coerce")
    mline = pd.to_numeric(mem["line"], errors="coerce")
    mk = pd.MultiIndex.from_arrays([mem["hhid"].astype("string"), mline])
    rk = pd.MultiIndex.from_arrays([resp["hhid"].astype("string"), rline])
    linked = rk.isin(mk)
    unknown = ~linked & q.alive & resp["hhid"].notna().to_numpy()
    if unknown.any():
        report.add(
            _issues(
                resp,
                unknown,
                meta,
                "respondents",
                column="line",
                rule="respondent is a roster member",
                reason="respondent_unknown",
                severity="error",
                message="The respondent's roster line does not exist in this household's "
                "roster; quarantined.",
                fix="Select the respondent's line number from the household roster.",
            )
        )
        flag(q, unknown, "respondent_unknown")
    key = pd.DataFrame({"h": resp["hhid"].astype("string"), "l": rline})
    if "__hh_row__" in resp.columns:
        key["r"] = resp["__hh_row__"]
    dup = (key.duplicated(keep="first") & key["l"].notna()).to_numpy() & q.alive
    dup = dup & _hh_alive(tables, quarantine, resp)
    if dup.any():
        report.add(
            _issues(
                resp,
                dup,
                meta,
                "respondents",
                column="line",
                rule="one individual interview per roster member",
                reason="duplicate_key",
                severity="error",
                message="This roster member was interviewed twice; later interview quarantined.",
                fix="Delete the duplicate individual interview.",
            )
        )
        flag(q, dup, "duplicate_key")
    if "resp_sex" in resp.columns and "sex" in mem.columns:
        msex = pd.Series(mem["sex"].astype("string").to_numpy(), index=mk)
        msex = msex[~msex.index.duplicated()]
        roster_sex = msex.reindex(rk).to_numpy()
        rs = resp["resp_sex"].astype("string").to_numpy()
        mism = np.asarray(pd.notna(roster_sex) & pd.notna(rs), dtype=bool)
        mism[mism] = roster_sex[mism] != rs[mism]
        if mism.any():
            report.add(
                _issues(
                    resp,
                    mism,
                    meta,
                    "respondents",
                    column="resp_sex",
                    rule="respondent's sex = roster sex",
                    reason="sex_mismatch",
                    severity="warning",
                    message=pd.Series(
                        "Respondent's sex differs from the roster ("
                        + pd.Series(roster_sex[mism]).astype("string")
                        + "); the roster's sex is used."
                    ),
                    fix="Check the respondent's line number and sex.",
                )
            )


def _eval_frame(tables, name, needed: set[str], current: str | None = None) -> pd.DataFrame:
    """Only the columns an expression needs: its fields from the table, else from the
    household (main) row the repeat row belongs to."""
    df = tables[name]
    want = set(needed) | ({current} if current else set())
    own = [f for f in want if f in df.columns]
    frame = df[own]
    missing = [f for f in want if f not in df.columns]
    if not missing or name == MAIN_TABLE or "__hh_row__" not in df.columns:
        return frame
    main = tables[MAIN_TABLE]
    have = [f for f in missing if f in main.columns]
    if not have:
        return frame
    m = main.drop_duplicates(ROW)
    pos = pd.Index(m[ROW].to_numpy()).get_indexer(df["__hh_row__"].to_numpy())
    safe = np.where(pos >= 0, pos, 0)
    extra = {f: pd.Series(m[f].to_numpy()[safe], index=df.index).where(pos >= 0) for f in have}
    return pd.concat([frame, pd.DataFrame(extra, index=df.index)], axis=1)


def _already_blanked(report) -> dict:
    """(table, column) → source rows whose value ingest set to missing (reported already)."""
    iss = report.issues
    hit = iss[iss["reason"].isin(["not_numeric", "invalid_code", "out_of_range", "not_date"])]
    return {k: set(g["row"]) for k, g in hit.groupby(["table", "column"])}


def _check_form_rules(tables, meta, quarantine, form, report):
    blanked = _already_blanked(report)
    for name, df in tables.items():
        tv = form.table_vars(name)
        tv = tv[tv["name"].isin(df.columns) | tv["name"].eq("resp_line")]
        rel_cache: dict[str, pd.Series | None] = {}
        for v in tv.itertuples(index=False):
            col = "line" if (name == "respondents" and v.name == "resp_line") else v.name
            if col not in df.columns:
                continue
            rel = _relevance(tables, name, v.relevant, rel_cache, meta, report)
            present = _present(df[col])
            if v.type == "calculate":
                pass
            elif rel is not None:
                asked_not = rel.eq(False).fillna(False).to_numpy(dtype=bool)
                bad = asked_not & present.to_numpy()
                if bad.any():
                    report.add(
                        _issues(
                            df,
                            bad,
                            meta,
                            name,
                            column=col,
                            rule=f"relevant: {v.relevant}",
                            reason="answered_not_relevant",
                            severity="warning",
                            message=f"{col} is answered but the form's skip logic says it was "
                            "not asked.",
                            fix="Check the answers the skip condition depends on.",
                        )
                    )
            if v.required and v.name not in KEY_FIELDS and v.type != "calculate":
                asked = rel.eq(True).fillna(False).to_numpy(dtype=bool) if rel is not None else True
                miss = asked & ~present.to_numpy() & quarantine[name].alive
                if (name, col) in blanked:
                    miss = miss & ~df[ROW].isin(blanked[(name, col)]).to_numpy()
                if np.any(miss):
                    report.add(
                        _issues(
                            df,
                            miss,
                            meta,
                            name,
                            column=col,
                            rule=f"{col} is required",
                            reason="missing_required",
                            severity="warning",
                            message=f"{col} is required and was asked but is missing.",
                            fix=f"Fill in {col} if the answer is known.",
                        )
                    )
            if isinstance(v.constraint, str) and v.constraint.strip():
                _check_constraint(tables, name, col, v, meta, report)


def _relevance(tables, name, relevant, cache, meta, report):
    if not isinstance(relevant, str) or not relevant.strip():
        return None
    if relevant in cache:
        return cache[relevant]
    try:
        tree = expr.parse(relevant)
        frame = _eval_frame(tables, name, expr.fields(tree))
        res = expr.evaluate(tree, frame).astype("boolean")
    except RuleError as exc:
        report.add(
            make_issues(
                [1],
                table=name,
                column="",
                rule=f"relevant: {relevant}",
                reason="relevant_unsupported",
                severity="info",
                message=f"This relevant expression was not checked: {exc}",
                fix="Nothing to do; check these answers by hand if needed.",
                file=meta[name].file,
                sheet=meta[name].sheet,
            )
        )
        res = None
    cache[relevant] = res
    return res


def _conjuncts(node) -> list:
    """Top-level ``and`` parts of an expression tree."""
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _check_constraint(tables, name, col, v, meta, report):
    """Each top-level ``and`` part on its own: a range on ``.`` alone is ``out_of_range``
    (the number is set to missing); a part involving other fields is ``constraint_failed``
    (kept). Parts over the 24-hour time use are left to the ``time_use_sum`` check."""
    df = tables[name]
    try:
        tree = expr.parse(v.constraint)
    except RuleError:
        return  # e.g. indexed-repeat(): covered by dedicated checks (sex_mismatch)
    numeric = v.type in NUMERIC_TYPES
    present = _present(df[col])
    for part in _conjuncts(tree):
        refs = expr.fields(part)
        if any(r.startswith("tu_") for r in refs):
            continue
        try:
            frame = _eval_frame(tables, name, refs, current=col)
            ok = expr.evaluate(part, frame, current=col).astype("boolean")
        except RuleError:
            continue
        bad = (ok.eq(False).fillna(False) & present).to_numpy(dtype=bool)
        if not bad.any():
            continue
        rng = numeric and not refs
        report.add(
            _issues(
                df,
                bad,
                meta,
                name,
                column=col,
                rule=f"constraint: {v.constraint}",
                reason="out_of_range" if rng else "constraint_failed",
                severity="error" if rng else "warning",
                message=f"{col} breaks the form's constraint"
                + ("; set to missing." if rng else "."),
                fix=f"Correct {col} so that {v.constraint} holds.",
            )
        )
        if rng:
            df.loc[bad, col] = pd.NA
            present = _present(df[col])


def _check_default_ranges(tables, meta, form, report):
    for name, df in tables.items():
        constrained = set()
        if form is not None:
            tv = form.table_vars(name)
            constrained = set(tv.loc[tv["constraint"].notna(), "name"])
        ranges = dict(DEFAULT_RANGES)
        for c in df.columns:
            if (c.startswith("tu_") or c.startswith("tu2_")) and c != "tu_total":
                ranges[c] = (0, 24)
        for col, (lo, hi) in ranges.items():
            if col not in df.columns or col in constrained:
                continue
            if not pd.api.types.is_numeric_dtype(df[col]):
                continue
            x = df[col]
            bad = ((x < lo) | (x > hi)).fillna(False).to_numpy(dtype=bool)
            if bad.any():
                report.add(
                    _issues(
                        df,
                        bad,
                        meta,
                        name,
                        column=col,
                        rule=f"{lo} <= {col} <= {hi}",
                        reason="out_of_range",
                        severity="error",
                        message=f"{col} outside {lo}–{hi}; set to missing.",
                        fix=f"Correct {col} (allowed {lo} to {hi}).",
                    )
                )
                df.loc[bad, col] = pd.NA


def _check_time_use(tables, meta, report):
    if "respondents" not in tables:
        return
    df = tables["respondents"]
    cols = [c for c in df.columns if c.startswith("tu_") and c != "tu_total" and "__" not in c]
    cols = [c for c in cols if pd.api.types.is_numeric_dtype(df[c])]
    if not cols:
        return
    block = df[cols].astype("Float64")
    any_present = block.notna().any(axis=1)
    total = block.fillna(0).sum(axis=1)
    bad = (any_present & ((total - 24).abs() > TIME_USE_TOLERANCE)).to_numpy(dtype=bool)
    if bad.any():
        report.add(
            _issues(
                df,
                bad,
                meta,
                "respondents",
                column="tu_*",
                rule=f"sum of primary activities = 24 h (± {TIME_USE_TOLERANCE})",
                reason="time_use_sum",
                severity="warning",
                message=pd.Series(
                    "Primary activities sum to "
                    + total[bad].round(2).map("{:g}".format).astype("string")
                    + " h instead of 24 h."
                ),
                fix="Correct the hours of the 24-hour recall so they add up to 24.",
                values=total[bad].round(2).map("{:g}".format),
            )
        )


def mask_identifier_values(report: ValidationReport, ids: pd.DataFrame) -> None:
    """Never show an identifier's value in the issues table."""
    if not len(ids) or not len(report.issues):
        return
    iss = report.issues
    key = pd.MultiIndex.from_arrays([ids["table"], ids["column"]])
    hit = pd.MultiIndex.from_arrays([iss["table"], iss["column"]]).isin(key)
    if hit.any():
        iss.loc[hit, "value"] = "[identifier]"
