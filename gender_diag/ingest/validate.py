"""Validation checks run at ingest, described as data.

Each check is a small function that looks at the tables (column-wise, vectorised) and yields
:class:`Finding` objects: the offending rows, the column and the values that fill the
templates. What a finding *means* — its stable reason code, severity, whether it quarantines
the rows or blanks the cells, and its rule, message and fix in es/fr/en — lives in the check
catalogue ``checks.yaml`` beside this module (validated on load). One function,
:func:`apply_finding`, turns a finding into issue rows of the
:class:`~gender_diag.ingest.report.ValidationReport` and applies its action; no check raises.

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

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.contracts.catalogue import CheckSpec, load_check_catalogue, render
from gender_diag.errors import RuleError
from gender_diag.ingest import distinct, expr
from gender_diag.ingest.files import read_delimited, sha256
from gender_diag.ingest.report import REASONS, ValidationReport, make_issues
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
#: Where the form version is recorded, in the order looked for.
VERSION_COLUMNS_ORDER = ("__version__", "_version_", "FormVersion", "version", "_version")
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


#: The ODK server's bookkeeping of a submission (Central / Briefcase exports): its keys,
#: timestamps, submitter and review state. Not questions; dropped from the tables once ingest
#: has located every row (:mod:`gender_diag.ingest.compact`).
ODK_BOOKKEEPING = frozenset(
    {
        "KEY",
        "instanceID",
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
    }
)

#: Export metadata columns (Kobo and ODK) that are not questions.
META_COLUMNS = {
    *ODK_BOOKKEEPING,
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
    "instanceName",
    "formhub/uuid",
    "PARENT_KEY",
    "version",
    "deviceID",
}


def _present(s: pd.Series) -> pd.Series:
    # typed columns already have blanks as missing; only raw object columns need a look
    if s.dtype == object:
        return s.notna() & s.astype("string").str.strip().ne("")
    return s.notna()


# -- the check machinery ---------------------------------------------------------------------


@functools.cache
def check_catalogue() -> dict[str, CheckSpec]:
    """The checks of this module (``checks.yaml``): id → reason, severity, action, templates.

    Examples
    --------
    >>> spec = check_catalogue()["duplicate_submission"]
    >>> spec.reason, spec.severity, spec.action
    ('duplicate_submission', 'error', 'quarantine')
    >>> spec.message["es"]
    'Mismo contenido que la fila {first_row}; esta copia se apartó.'
    """
    return load_check_catalogue(Path(__file__).with_name("checks.yaml"), reasons=REASONS)


@dataclass
class Finding:
    """What one check found: the offending rows of a table and the template fields.

    Attributes
    ----------
    check : str
        The check's id in :func:`check_catalogue`.
    table : str
        The table the rows belong to.
    mask : array of bool, optional
        Offending rows of ``tables[table]``; their source row numbers are reported.
    rows : list of int, optional
        Source row numbers given directly (structure checks with no table row; 0 = the
        whole file).
    column : str
        The column reported.
    fields : dict
        Template fields: one value for every row, or a Series/array with one value per
        offending row.
    values : array-like, optional
        Values reported; default the offending rows' values of ``column``.
    file : str, optional
        File reported when it is not the table's (e.g. the design file).
    """

    check: str
    table: str
    mask: np.ndarray | None = None
    rows: list | np.ndarray | None = None
    column: str = ""
    fields: dict = field(default_factory=dict)
    values: object = None
    file: str | None = None


@dataclass
class Context:
    """What every check may look at (and what :func:`apply_finding` changes)."""

    tables: dict
    meta: dict
    quarantine: dict
    report: ValidationReport
    form: Form | None = None
    design: pd.DataFrame | None = None
    lang: str = "en"
    #: (table, column) → how many times checks blanked cells of it (keys of ``codes``)
    versions: dict = field(default_factory=dict)
    #: factorize codes of the columns the form's expressions read (see :func:`_frame_codes`)
    codes: dict = field(default_factory=dict)
    #: table → where its rows' household rows are (see :func:`_eval_frame`)
    links: dict = field(default_factory=dict)


Check = Callable[[Context], Iterator[Finding]]


def apply_finding(ctx: Context, found: Finding) -> None:
    """Report a finding through its catalogue entry and apply the entry's action.

    ``quarantine`` flags the rows with the reason code; ``blank`` sets the offending cells of
    ``column`` to missing; ``keep`` only reports.
    """
    spec = check_catalogue()[found.check]
    df = ctx.tables.get(found.table)
    if found.mask is not None:
        mask = np.asarray(found.mask, dtype=bool)
        if not mask.any():
            return
        rows = df.loc[mask, ROW].to_numpy()
    else:
        mask, rows = None, np.asarray(found.rows, dtype="int64")
    values = found.values
    if values is None and mask is not None and found.column in df.columns:
        values = df.loc[mask, found.column]
    meta = ctx.meta.get(found.table)
    n = len(rows)
    fields = {"column": found.column, **found.fields}
    ctx.report.add(
        make_issues(
            rows,
            table=found.table,
            column=found.column,
            rule=render(spec.rule, fields, n) if spec.rule else REASONS[spec.reason],
            reason=spec.reason,
            severity=spec.severity,
            message=render(spec.message[ctx.lang], fields, n),
            fix=render(spec.fix[ctx.lang], fields, n),
            values=values,
            file=found.file if found.file is not None else (meta.file if meta else ""),
            sheet=meta.sheet if meta and found.file is None else "",
        )
    )
    if spec.action == "quarantine" and mask is not None:
        ctx.quarantine[found.table].add(mask, spec.reason)
    elif spec.action == "blank" and mask is not None:
        df.loc[mask, found.column] = pd.NA
        key = (found.table, found.column)
        ctx.versions[key] = ctx.versions.get(key, 0) + 1


def run(ctx: Context, checks) -> None:
    """Run checks in order, applying each finding before the next is looked for (later checks
    see earlier quarantines and blanked cells)."""
    for check in checks:
        for found in check(ctx):
            apply_finding(ctx, found)


# -- structure ------------------------------------------------------------------------------


def _unknown_and_missing(df: pd.DataFrame, tv: pd.DataFrame) -> tuple[list, list]:
    """Columns of the export not in the form, and form fields not in the export."""
    known = set(tv["name"])
    cols = [c for c in df.columns if not c.startswith("_") and c not in (ROW, OWN, PARENT)]
    base = {c.split("__")[0] for c in cols}
    unknown = [
        c
        for c in cols
        if c.split("__")[0] not in known and c not in _EXPORT_META and c not in META_COLUMNS
    ]
    missing = [
        n for n, t in zip(tv["name"], tv["type"], strict=True) if n not in base and t != "calculate"
    ]
    return unknown, missing


def _columns_checks(ctx: Context) -> Iterator[Finding]:
    name0 = MAIN_TABLE if MAIN_TABLE in ctx.tables else next(iter(ctx.tables))
    rt = ctx.meta[name0]
    if "hhid" not in ctx.tables[name0].columns and name0 == MAIN_TABLE:
        where = f"File {rt.file}" + (f", sheet {rt.sheet!r}" if rt.sheet else "")
        yield Finding("hhid_column_missing", MAIN_TABLE, rows=[0], column="hhid",
                      fields={"where": where})  # fmt: skip
    if ctx.form is None:
        return
    for name, df in ctx.tables.items():
        tv = ctx.form.table_vars(name)
        if not len(tv):
            continue
        unknown, missing = _unknown_and_missing(df, tv)
        for check, names in (("column_not_in_form", unknown), ("field_not_in_export", missing)):
            if names:
                yield Finding(check, name, rows=[1] * len(names), values=names,
                              fields={"name": names})  # fmt: skip
        if len(unknown) + len(missing) > 0.5 * max(len(set(tv["name"])), 1):
            yield Finding("export_not_this_form", name, rows=[0], fields={
                "table": name, "n_unknown": len(unknown), "n_missing": len(missing)})  # fmt: skip


def check_columns(tables, meta, *, form: Form | None, report: ValidationReport) -> None:
    """Key columns present; columns not in the form and form fields not in the data."""
    run(Context(tables, meta, {}, report, form=form), [_columns_checks])


def _version_checks(ctx: Context) -> Iterator[Finding]:
    form, main = ctx.form, ctx.tables.get(MAIN_TABLE)
    if form is None or form.version is None or main is None:
        return
    col = next((c for c in VERSION_COLUMNS_ORDER if c in main.columns), None)
    if col is None:
        return
    vals = main[col].astype("string").str.strip()
    bad = (vals.notna() & vals.ne(form.version)).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return
    fields = {
        "seen": ", ".join(sorted(set(vals[bad].dropna().tolist()))[:5]),
        "version": form.version,
        "file": ctx.meta[MAIN_TABLE].file,
    }
    if bad.all():
        yield Finding("every_row_other_version", MAIN_TABLE, rows=[0], column=col, fields=fields)
    else:
        yield Finding("rows_other_version", MAIN_TABLE, mask=bad, column=col, fields=fields)


def check_version(
    tables, meta, *, form: Form | None, report: ValidationReport, warn_only: bool = False
) -> None:
    """Form version recorded in the data (``__version__``, ``FormVersion``...) vs the form.

    ``warn_only`` (``[mapping] form_version = "warn"``) never blocks: when every row has
    another version, each row is a warning instead.
    """

    def checks(ctx: Context) -> Iterator[Finding]:
        for found in _version_checks(ctx):
            if warn_only and found.check == "every_row_other_version":
                n = len(ctx.tables[MAIN_TABLE])
                yield Finding("rows_other_version", MAIN_TABLE, mask=np.ones(n, dtype=bool),
                              column=found.column, fields=found.fields)  # fmt: skip
            else:
                yield found

    run(Context(tables, meta, {}, report, form=form), [checks])


# -- design ---------------------------------------------------------------------------------


def _design_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The design file's columns under their contract names (contract §1)."""

    def numeric(col):
        return pd.to_numeric(df[col], errors="coerce") if col in df else np.nan

    return pd.DataFrame(
        {
            "community": df["community"].astype("string").str.strip(),
            "district": df["district"].astype("string").str.strip() if "district" in df else pd.NA,
            "weight": pd.to_numeric(df["weight"], errors="coerce").astype("Float64"),
            "fpc": numeric("communities_total"),
            "fpc2": numeric("households_total"),
        }
    )


def _design_checks(df: pd.DataFrame, out: pd.DataFrame, file: str) -> Iterator[Finding]:
    rows = np.arange(len(df)) + 2
    bad = (~(out["weight"] > 0)).fillna(True).to_numpy(dtype=bool)
    if bad.any():
        yield Finding("design_weight_invalid", "design", rows=rows[bad], column="weight",
                      values=df.loc[bad, "weight"], file=file)  # fmt: skip
    dup = (out["community"].duplicated(keep=False) & out["community"].notna()).to_numpy()
    if dup.any():
        yield Finding("design_community_twice", "design", rows=rows[dup], column="community",
                      values=out.loc[dup, "community"], file=file)  # fmt: skip


def _own_design_columns(df: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """The design file's own column names (``[mapping]``/``[design]``) → contract names."""
    defaults = {"community": "community", "district": "district", "weight": "weight",
                "fpc": "communities_total", "fpc2": "households_total"}  # fmt: skip
    renames = {}
    for role, default in defaults.items():
        names = [n.strip().lower() for n in columns.get(role, ()) if n]
        own = next((n for n in names if n in df.columns), None)
        if own is not None and own != default:
            renames[own] = default
    return df.drop(columns=[d for d in renames.values() if d in df.columns]).rename(columns=renames)


def load_design(
    design, *, report: ValidationReport, source: dict, columns: dict | None = None
) -> pd.DataFrame | None:
    """Read and check the design file (one row per sampled community, contract §1).

    ``columns`` names the design file's own columns for a partner's design (from ``[mapping]``
    and ``[design]``): role → candidate names for ``community`` (the join key: the mapped
    community column), ``district`` (strata), ``weight``, ``fpc`` (PSUs in the stratum) and
    ``fpc2`` (households in the PSU). Names not found fall back to the contract's
    (community, district, weight, communities_total, households_total).

    Returns a frame with community, district, weight, fpc, fpc2 (None without a design).
    """
    if design is None:
        return None
    if isinstance(design, pd.DataFrame):
        df, file = design.copy(), "<design>"
    else:
        file = str(design)
        df, _ = read_delimited(design, report=report)
        source[file] = sha256(design)
    df.columns = [str(c).strip().lower() for c in df.columns]
    if columns:
        df = _own_design_columns(df, columns)
    ctx = Context({"design": df}, {}, {}, report)
    miss = [c for c in ("community", "weight") if c not in df.columns]
    if miss:
        what = ", ".join(miss)
        if columns:
            looked = [n for c in miss for n in columns.get(c, ()) if n]
            what += (f" (looked for {', '.join(map(repr, looked))}" if looked else " (") + (
                f"; the file has {', '.join(df.columns)})"
            )
        found = Finding("design_columns_missing", "design", rows=[0], column=miss[0], file=file,
                        fields={"file": file, "columns": what})  # fmt: skip
        apply_finding(ctx, found)
        return None
    out = _design_frame(df)
    for found in _design_checks(df, out, file):
        apply_finding(ctx, found)
    return out


# -- households -----------------------------------------------------------------------------


def _duplicate_submissions(ctx: Context) -> Iterator[Finding]:
    df = ctx.tables[MAIN_TABLE]
    content = [c for c in df.columns if c not in _EXPORT_META]
    if not len(df) or not content:
        return
    h = pd.util.hash_pandas_object(df[content], index=False)
    dup = h.duplicated(keep="first").to_numpy()
    if dup.any():
        first_row = df[ROW].groupby(h.to_numpy()).transform("first")
        yield Finding("duplicate_submission", MAIN_TABLE, mask=dup,
                      column="hhid" if "hhid" in df else "",
                      fields={"first_row": first_row[dup]})  # fmt: skip


def _duplicate_household_keys(ctx: Context) -> Iterator[Finding]:
    df, q = ctx.tables[MAIN_TABLE], ctx.quarantine[MAIN_TABLE]
    for key in ("_uuid", "KEY", "hhid"):
        if key not in df.columns:
            continue
        # a key repeated by a duplicate submission is already reported there
        k = df[key].astype("string").where(q.alive)
        involved = (k.duplicated(keep=False) & k.notna()).to_numpy()
        if not involved.any():
            continue
        # ODK links repeat rows by KEY: with a shared KEY no row can be placed, so every
        # submission sharing it is quarantined (with its repeat rows)
        later = involved if key == "KEY" else involved & k.duplicated(keep="first").to_numpy()
        rows_of = (
            df.loc[involved, ROW]
            .groupby(k[involved].to_numpy())
            .agg(lambda r: ", ".join(map(str, r)))
        )
        shared = pd.Series(rows_of.reindex(k.fillna("").to_numpy()).to_numpy(), index=df.index)
        first = involved & ~later
        check = "household_key_shared_odk" if key == "KEY" else "household_key_repeated"
        for name, mask in ((check, later), ("household_key_first", first)):
            if mask.any():
                yield Finding(name, MAIN_TABLE, mask=mask, column=key,
                              fields={"key": key, "rows": shared[mask]})  # fmt: skip


def _missing_household_keys(ctx: Context) -> Iterator[Finding]:
    df = ctx.tables[MAIN_TABLE]
    for key in KEY_FIELDS:
        if key in df.columns:
            yield Finding("household_key_missing", MAIN_TABLE, mask=(~_present(df[key])).to_numpy(),
                          column=key, fields={"key": key})  # fmt: skip


def _positive_weight(df: pd.DataFrame) -> np.ndarray:
    w = pd.to_numeric(df["weight"], errors="coerce")
    return ~(w > 0).fillna(False).to_numpy(dtype=bool)


def _household_design(ctx: Context) -> Iterator[Finding]:
    df, design = ctx.tables[MAIN_TABLE], ctx.design
    if design is not None and "community" in df.columns:
        known = df["community"].isin(design["community"].dropna())
        badw = df["community"].isin(design.loc[~(design["weight"] > 0), "community"])
        bad = (_present(df["community"]) & (~known | badw)).to_numpy()
        yield Finding("household_community_unweighted", MAIN_TABLE, mask=bad, column="community")
        if "district" in design and "district" in df.columns and design["district"].notna().any():
            m = design.drop_duplicates("community").set_index("community")["district"]
            expect = pd.Series(m.reindex(df["community"].to_numpy()).to_numpy(), index=df.index)
            got = df["district"].astype("string")
            wrong = (expect.astype("string") != got).fillna(False).to_numpy(dtype=bool)
            yield Finding("household_district_mismatch", MAIN_TABLE, mask=wrong, column="district")
    elif "weight" not in df.columns:
        yield Finding("no_design", MAIN_TABLE, rows=[1], column="weight")
    else:
        yield Finding("household_weight_invalid", MAIN_TABLE, mask=_positive_weight(df),
                      column="weight")  # fmt: skip


def _weights_only(ctx: Context) -> Iterator[Finding]:
    """A single hand-typed table: design coverage (by community) or its own weight column."""
    for name, df in ctx.tables.items():
        if ctx.design is not None and "community" in df.columns:
            bad = _present(df["community"]) & ~df["community"].isin(ctx.design["community"])
            yield Finding("row_community_unweighted", name, mask=bad.to_numpy(dtype=bool),
                          column="community")  # fmt: skip
        elif "weight" in df.columns:
            yield Finding("row_weight_invalid", name, mask=_positive_weight(df), column="weight")


# -- repeat tables --------------------------------------------------------------------------


def _hh_alive(ctx: Context, df) -> np.ndarray:
    """Rows of a repeat table whose household is not quarantined."""
    if MAIN_TABLE not in ctx.tables or "__hh_row__" not in df.columns:
        return np.ones(len(df), dtype=bool)
    main = ctx.tables[MAIN_TABLE]
    bad = main.loc[ctx.quarantine[MAIN_TABLE].mask, ROW]
    return ~df["__hh_row__"].isin(bad).to_numpy()


def _repeat_keys(ctx: Context) -> Iterator[Finding]:
    keys = {"members": ["hhid", "line"], "parcels": ["hhid", "parcel"]}
    for name, cols in keys.items():
        if name not in ctx.tables or not set(cols) <= set(ctx.tables[name].columns):
            continue
        df = ctx.tables[name]
        # rows of a duplicated household are handled by the household's quarantine
        # rows compared by their values' codes (equal iff equal as text), not by text
        k = df[[*cols, "__hh_row__"]] if "__hh_row__" in df.columns else df[cols]
        first = pd.Series(distinct.row_codes(k)).duplicated(keep="first").to_numpy()
        dup = first & df[cols].notna().all(axis=1).to_numpy()
        dup = dup & ctx.quarantine[name].alive & _hh_alive(ctx, df)
        yield Finding("repeat_key_duplicated", name, mask=dup, column=cols[-1],
                      fields={"keys": ", ".join(cols)})  # fmt: skip


def _respondent_keys(ctx: Context):
    """(respondents, roster keys, respondent keys, respondent lines) or None."""
    if "respondents" not in ctx.tables or "members" not in ctx.tables:
        return None
    resp, mem = ctx.tables["respondents"], ctx.tables["members"]
    if not {"hhid", "line"} <= set(resp.columns) or not {"hhid", "line"} <= set(mem.columns):
        return None
    rline = pd.to_numeric(resp["line"], errors="coerce")
    mline = pd.to_numeric(mem["line"], errors="coerce")
    mk = pd.MultiIndex.from_arrays([mem["hhid"].astype("string"), mline])
    rk = pd.MultiIndex.from_arrays([resp["hhid"].astype("string"), rline])
    return resp, mk, rk, rline


def _respondents(ctx: Context) -> Iterator[Finding]:
    keys = _respondent_keys(ctx)
    if keys is None:
        return
    resp, mk, rk, rline = keys
    q = ctx.quarantine["respondents"]
    unknown = ~rk.isin(mk) & q.alive & resp["hhid"].notna().to_numpy()
    yield Finding("respondent_not_in_roster", "respondents", mask=unknown, column="line")
    key = pd.DataFrame({"h": resp["hhid"].astype("string"), "l": rline})
    if "__hh_row__" in resp.columns:
        key["r"] = resp["__hh_row__"]
    dup = (key.duplicated(keep="first") & key["l"].notna()).to_numpy() & q.alive
    dup = dup & _hh_alive(ctx, resp)
    yield Finding("respondent_interviewed_twice", "respondents", mask=dup, column="line")
    mem = ctx.tables["members"]
    if "resp_sex" in resp.columns and "sex" in mem.columns:
        msex = pd.Series(mem["sex"].astype("string").to_numpy(), index=mk)
        roster_sex = msex[~msex.index.duplicated()].reindex(rk).to_numpy()
        rs = resp["resp_sex"].astype("string").to_numpy()
        mism = np.asarray(pd.notna(roster_sex) & pd.notna(rs), dtype=bool)
        mism[mism] = roster_sex[mism] != rs[mism]
        yield Finding("respondent_sex_mismatch", "respondents", mask=mism, column="resp_sex",
                      fields={"roster_sex": pd.Series(roster_sex[mism])})  # fmt: skip


# -- the form's rules -----------------------------------------------------------------------


def _expr_context(ctx: Context, name: str) -> expr.Context:
    """Row positions in their repeat, other repeats' values and choice labels of one table,
    for ``position(..)``, ``indexed-repeat()`` and ``jr:choice-name()`` in ``relevant``."""
    tables, form = ctx.tables, ctx.form
    df = tables[name]
    position = None
    link = PARENT if PARENT in df.columns else "__hh_row__" if "__hh_row__" in df.columns else None
    if name != MAIN_TABLE and link is not None:
        position = (df.groupby(df[link].astype("string"), sort=False).cumcount() + 1).astype(
            "Float64"
        )
    if name == MAIN_TABLE:
        household = df[ROW].to_numpy()
    else:
        household = df["__hh_row__"].to_numpy() if "__hh_row__" in df.columns else None

    def indexed_repeat(field_name: str, repeat: str, index: pd.Series) -> pd.Series:
        table = (form.repeats or {}).get(repeat, repeat) if form is not None else repeat
        other = tables.get(table)
        if other is None or field_name not in other.columns or household is None:
            raise RuleError(f"indexed-repeat(): no repeat {repeat!r} with field {field_name!r}.")
        if "__hh_row__" not in other.columns:
            raise RuleError(f"indexed-repeat(): the repeat {repeat!r} is not linked.")
        pos = other.groupby(other["__hh_row__"], sort=False).cumcount() + 1
        lookup = pd.Series(
            other[field_name].to_numpy(),
            index=pd.MultiIndex.from_arrays([other["__hh_row__"].to_numpy(), pos.to_numpy()]),
        )
        lookup = lookup[~lookup.index.duplicated()]
        key = pd.MultiIndex.from_arrays([household, index.to_numpy(dtype=float, na_value=-1)])
        return pd.Series(lookup.reindex(key).to_numpy(), index=df.index)

    def choice_label(field_name: str, codes: pd.Series) -> pd.Series:
        if form is None:
            raise RuleError("jr:choice-name() needs the form.")
        v = form.variables
        lists = v.loc[v["name"] == field_name, "list_name"].dropna()
        if not len(lists):
            raise RuleError(f"jr:choice-name(): {field_name!r} has no choice list.")
        ch = form.choices[form.choices["list_name"] == lists.iloc[0]]
        label = ch["label_en"].fillna(ch["label_es"]).fillna(ch["label_fr"])
        return codes.map(dict(zip(ch["name"], label, strict=True))).astype("string")

    def repeat_aggregate(how: str, what: str) -> pd.Series:
        if household is None:
            raise RuleError(f"{how}(): the row has no household link.")
        repeats = dict(form.repeats) if form is not None else {}
        table = repeats.get(what, what)
        if how == "count":
            if table not in tables or table == MAIN_TABLE:
                raise RuleError(f"count(): {what!r} is not a repeat of the export.")
            other, col = tables[table], None
        else:
            owner = [t for t, d in tables.items() if t != MAIN_TABLE and what in d.columns]
            if not owner:
                raise RuleError(f"{how}(): {what!r} is not a field of a repeat.")
            other, col = tables[owner[0]], what
        if "__hh_row__" not in other.columns:
            raise RuleError(f"{how}(): the repeat of {what!r} is not linked.")
        key = other["__hh_row__"]
        if col is None:
            per, fill = key.value_counts(), 0.0
        else:
            x = pd.to_numeric(other[col], errors="coerce")
            per = getattr(x.groupby(key), how)()
            fill = 0.0 if how == "sum" else None  # no instance: sum 0, max/min unknown
        out = pd.Series(household, index=df.index).map(per).astype("Float64")
        return out if fill is None else out.fillna(fill)

    return expr.Context(
        position=position,
        indexed_repeat=indexed_repeat,
        choice_label=choice_label,
        repeat_aggregate=repeat_aggregate,
    )


def _eval_frame(
    tables, name, needed: set[str], current: str | None = None, *, links: dict | None = None
) -> pd.DataFrame:
    """Only the columns an expression needs: its fields from the table, else from the
    household (main) row the repeat row belongs to.

    ``links`` keeps, per table, where each repeat row's household row is (the row numbers
    that link them never change during validation)."""
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
    links = {} if links is None else links
    if name not in links:
        first = ~main[ROW].duplicated().to_numpy()
        rows = np.flatnonzero(first)
        pos = pd.Index(main[ROW].to_numpy()[first]).get_indexer(df["__hh_row__"].to_numpy())
        links[name] = (rows, pos, np.where(pos >= 0, pos, 0))
    rows, pos, safe = links[name]
    m = main.iloc[rows]
    extra = {f: pd.Series(m[f].to_numpy()[safe], index=df.index).where(pos >= 0) for f in have}
    return pd.concat([frame, pd.DataFrame(extra, index=df.index)], axis=1)


def _frame_codes(ctx: Context, name: str, frame: pd.DataFrame) -> np.ndarray:
    """Row codes of an :func:`_eval_frame` for :func:`expr.evaluate`, from per-column codes
    kept for the whole validation: the same fields (``consent``, ``ind_consent``) appear in
    dozens of expressions. A column's codes are made again once a check blanked its cells."""
    own = ctx.tables[name].columns
    parts = []
    for col in frame.columns:
        src = name if col in own else MAIN_TABLE
        key = (name, col, src, ctx.versions.get((src, col), 0))
        if key not in ctx.codes:
            ctx.codes[key] = distinct.column_codes(frame[col])
        parts.append(ctx.codes[key])
    return distinct.combine(parts, len(frame))


def _already_blanked(report) -> dict:
    """(table, column) → source rows whose value ingest set to missing (reported already)."""
    iss = report.issues
    hit = iss[iss["reason"].isin(["not_numeric", "invalid_code", "out_of_range", "not_date"])]
    return {k: set(g["row"]) for k, g in hit.groupby(["table", "column"])}


def _form_rules(ctx: Context) -> Iterator[Finding]:
    if ctx.form is None:
        return
    blanked = _already_blanked(ctx.report)
    for name, df in ctx.tables.items():
        tv = ctx.form.table_vars(name)
        tv = tv[tv["name"].isin(df.columns) | tv["name"].eq("resp_line")]
        cache: dict[str, pd.Series | None] = {}
        for v in tv.itertuples(index=False):
            col = "line" if (name == "respondents" and v.name == "resp_line") else v.name
            if col not in df.columns:
                continue
            rel = yield from _relevance(ctx, name, v.relevant, cache)
            if rel is NOT_CHECKED:
                # the skip condition cannot be read: whether the question was asked is
                # unknown, so neither a missing nor a present answer can be judged
                pass
            elif v.type != "calculate":
                yield from _skip_logic(
                    ctx, name, col, v, rel, blanked.get((name, col), ()), masks=cache
                )
            if isinstance(v.constraint, str) and v.constraint.strip():
                yield from _constraint(ctx, name, col, v)


def _skip_logic(ctx: Context, name, col, v, rel, blanked, *, masks=None) -> Iterator[Finding]:
    """Answered although not asked; required, asked and missing.

    ``masks`` keeps the not-asked and asked rows of each ``relevant`` (many questions share
    one, and ``rel`` is the one kept for its text)."""
    df = ctx.tables[name]
    present = _present(df[col]).to_numpy()
    if rel is not None:
        masks = {} if masks is None else masks
        if (_MASKS, v.relevant) not in masks:
            masks[(_MASKS, v.relevant)] = (
                rel.eq(False).fillna(False).to_numpy(dtype=bool),
                rel.eq(True).fillna(False).to_numpy(dtype=bool),
            )
        asked_not, asked_rel = masks[(_MASKS, v.relevant)]
        yield Finding("answered_not_asked", name, mask=asked_not & present, column=col,
                      fields={"relevant": v.relevant})  # fmt: skip
    if v.required and v.name not in KEY_FIELDS:
        asked = asked_rel if rel is not None else True
        miss = asked & ~present & ctx.quarantine[name].alive
        if blanked:
            miss = miss & ~df[ROW].isin(blanked).to_numpy()
        yield Finding("required_answer_missing", name, mask=miss, column=col)


def _relevance(ctx: Context, name, relevant, cache):
    """The boolean ``relevant`` of each row: None without one, :data:`NOT_CHECKED` when it
    cannot be evaluated (then one ``relevant_unsupported`` finding per expression and table
    is yielded, and the fields it controls are not checked for skip logic or missing
    answers — never a flood of false ``missing_required`` warnings)."""
    if not isinstance(relevant, str) or not relevant.strip():
        return None
    if relevant not in cache:
        try:
            tree = expr.parse(relevant)
            frame = _eval_frame(ctx.tables, name, expr.fields(tree), links=ctx.links)
            cache[relevant] = expr.evaluate(
                tree,
                frame,
                context=_table_context(ctx, name, cache),
                codes=None if expr.row_bound(tree) else _frame_codes(ctx, name, frame),
            ).astype("boolean")
        except RuleError as exc:
            cache[relevant] = NOT_CHECKED
            yield Finding("relevant_not_checked", name, rows=[1],
                          fields={"relevant": relevant, "error": str(exc)})  # fmt: skip
    return cache[relevant]


def _table_context(ctx: Context, name, cache) -> expr.Context:
    """The table's :func:`_expr_context`, made once per table (kept in ``cache``): it reads
    only the link columns, which no check changes, and the other tables when called."""
    if _CONTEXT not in cache:
        cache[_CONTEXT] = _expr_context(ctx, name)
    return cache[_CONTEXT]


_CONTEXT = object()
_MASKS = object()
#: A ``relevant`` that cannot be evaluated: the fields it controls are not checked.
NOT_CHECKED = object()


def _conjuncts(node) -> list:
    """Top-level ``and`` parts of an expression tree."""
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _constraint(ctx: Context, name, col, v) -> Iterator[Finding]:
    """Each top-level ``and`` part on its own: a range on ``.`` alone is ``out_of_range``
    (the number is set to missing); a part involving other fields is ``constraint_failed``
    (kept). Parts over the 24-hour time use are left to the ``time_use_sum`` check."""
    df = ctx.tables[name]
    try:
        tree = expr.parse(v.constraint)
    except RuleError:
        return  # e.g. indexed-repeat(): covered by dedicated checks (sex_mismatch)
    for part in _conjuncts(tree):
        refs = expr.fields(part)
        if any(r.startswith("tu_") for r in refs):
            continue
        try:
            frame = _eval_frame(ctx.tables, name, refs, current=col, links=ctx.links)
            codes = None if expr.row_bound(part) else _frame_codes(ctx, name, frame)
            ok = expr.evaluate(part, frame, current=col, codes=codes).astype("boolean")
        except RuleError:
            continue
        # the cells an earlier part blanked are no longer present
        bad = (ok.eq(False).fillna(False) & _present(df[col])).to_numpy(dtype=bool)
        check = "constraint_range" if v.type in NUMERIC_TYPES and not refs else "constraint_broken"
        yield Finding(check, name, mask=bad, column=col, fields={"constraint": v.constraint})


def _default_ranges(ctx: Context) -> Iterator[Finding]:
    for name, df in ctx.tables.items():
        constrained = set()
        if ctx.form is not None:
            tv = ctx.form.table_vars(name)
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
            yield Finding("default_range", name, mask=bad, column=col,
                          fields={"low": lo, "high": hi})  # fmt: skip


def _time_use(ctx: Context) -> Iterator[Finding]:
    if "respondents" not in ctx.tables:
        return
    df = ctx.tables["respondents"]
    cols = [c for c in df.columns if c.startswith("tu_") and c != "tu_total" and "__" not in c]
    cols = [c for c in cols if pd.api.types.is_numeric_dtype(df[c])]
    if not cols:
        return
    block = df[cols].astype("Float64")
    any_present = block.notna().any(axis=1)
    total = block.fillna(0).sum(axis=1)
    bad = (any_present & ((total - 24).abs() > TIME_USE_TOLERANCE)).to_numpy(dtype=bool)
    shown = total[bad].round(2).map("{:g}".format)
    yield Finding("time_use_total", "respondents", mask=bad, column="tu_*", values=shown,
                  fields={"total": shown, "tolerance": TIME_USE_TOLERANCE})  # fmt: skip


#: Row checks in the order they run: households first (their quarantine flows to repeat rows
#: and later checks skip quarantined rows).
HOUSEHOLD_CHECKS: tuple[Check, ...] = (
    _duplicate_submissions,
    _duplicate_household_keys,
    _missing_household_keys,
    _household_design,
)
ROW_CHECKS: tuple[Check, ...] = (
    _repeat_keys,
    _respondents,
    _form_rules,
    _default_ranges,
    _time_use,
)


def run_checks(tables, meta, quarantine, *, form, report, design) -> None:
    """Every row-level check, households first (their quarantine flows to repeat rows)."""
    first = HOUSEHOLD_CHECKS if MAIN_TABLE in tables else (_weights_only,)
    ctx = Context(tables, meta, quarantine, report, form=form, design=design)
    run(ctx, first + ROW_CHECKS)


def mask_identifier_values(report: ValidationReport, ids: pd.DataFrame) -> None:
    """Never show an identifier's value in the issues table."""
    if not len(ids) or not len(report.issues):
        return
    iss = report.issues
    key = pd.MultiIndex.from_arrays([ids["table"], ids["column"]])
    hit = pd.MultiIndex.from_arrays([iss["table"], iss["column"]]).isin(key)
    if hit.any():
        iss.loc[hit, "value"] = "[identifier]"
