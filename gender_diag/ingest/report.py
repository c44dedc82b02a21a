"""The validation report: every data problem found at ingest, collected at once.

Problems are never raised one at a time (frictionless-py's *Report* and pandera's lazy
validation are the models): each check adds rows to one issues table, each row naming the
file, sheet, table, row number *as the user sees it* (header = row 1), column, offending value,
rule, a stable reason code, a severity, a message and a suggested fix.

Severities
----------
``blocking``
    The file or table cannot be used as is (empty file, missing key column, invalid design).
    ``report.valid`` is False.
``error``
    The row was quarantined (kept aside, with its reasons) or the cell was set to missing.
``warning``
    The value is suspicious but kept (e.g. time use not summing to 24 h).
``info``
    Something the user should know (identifier columns removed, a ``relevant`` expression the
    checker cannot evaluate).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.contracts import columns as contract_columns
from gender_diag.contracts.catalogue import LANGUAGES, SEVERITIES, read_catalogue_yaml
from gender_diag.errors import ConfigError, InputFileError

#: Columns of :attr:`ValidationReport.issues`, in this order.
ISSUE_COLUMNS = list(contract_columns.ISSUE_COLUMNS)

#: Stable reason codes (see docs/contracts.md §2). Downstream code and users may rely on them.
REASONS = {
    "missing_required": "A required answer is missing.",
    "invalid_code": "A value is not a code of the question's choice list.",
    "out_of_range": "A number is outside the allowed range.",
    "constraint_failed": "A value breaks the form's constraint.",
    "not_numeric": "Text where a number was expected.",
    "not_date": "Text where a date was expected.",
    "duplicate_key": "A key (e.g. _uuid, hhid) appears more than once.",
    "duplicate_submission": "The same submission appears more than once.",
    "orphan_row": "A repeat row points to no existing parent row.",
    "parent_quarantined": "A repeat row whose household was quarantined.",
    "time_use_sum": "24-hour time use does not sum to 24 hours.",
    "sex_mismatch": "The respondent's sex differs from the roster.",
    "respondent_unknown": "The respondent is not a member of the household roster.",
    "answered_not_relevant": "An answer is present where the form says it was not asked.",
    "relevant_unsupported": "A relevant expression could not be checked.",
    "design_invalid": "Survey design information is missing or invalid.",
    "empty_file": "The file has no data.",
    "bad_sheet": "An expected sheet is missing or misnamed.",
    "missing_column": "An expected column is missing.",
    "unknown_column": "A column is not in the form.",
    "form_version_mismatch": "The data were collected with another version of the form.",
    "corrupt_file": "The file is truncated or not in the format its name says.",
    "too_large": "The file is larger than the configured limits (size, rows, columns).",
    "encoding": "The text encoding is not UTF-8 (read as Latin-1/cp1252).",
    "identifier_removed": "A direct identifier column was dropped or pseudonymised.",
    "user_missing": "A user-missing code (don't know, refused) was set to missing.",
    "k_anonymity": "Records unique or rare on their quasi-identifiers (re-identification risk).",
    "mapping_invalid": "A name of the [mapping] is neither in the form nor in the export.",
    "sex_unknown": "A sex answer is neither a female nor a male code of [mapping.sex_codes].",
}


@functools.cache
def reason_titles() -> dict[str, dict[str, str]]:
    """Reason code → {language: title}, from the editable ``reasons.yaml`` beside this module.

    Examples
    --------
    >>> reason_titles()["orphan_row"]["es"]
    'Fila de repetición sin su hogar'
    >>> set(reason_titles()) == set(REASONS)
    True
    """
    path = Path(__file__).with_name("reasons.yaml")
    data = read_catalogue_yaml(path, what="reason titles file")
    bad = [k for k, v in data.items() if not isinstance(v, dict) or set(v) != set(LANGUAGES)]
    if bad or set(data) != set(REASONS):
        raise ConfigError(
            f"{path}: every reason code needs a title in en, es and fr "
            f"(problems with: {', '.join(sorted(set(bad) | (set(data) ^ set(REASONS))))})."
        )
    return data


def input_error(
    reason: str, *, file: object, what: str, fix: str, sheet: str | None = None
) -> InputFileError:
    """Build the one-sentence :class:`InputFileError` for a malformed file.

    The exception carries ``reason`` (a stable code of :data:`REASONS`), ``file`` and ``sheet``
    attributes so that :func:`gender_diag.ingest.validate_path` can turn it into a blocking
    report entry.

    Examples
    --------
    >>> err = input_error("empty_file", file="a.csv", what="it has no rows", fix="re-export it")
    >>> str(err)
    'File a.csv: it has no rows. Fix: re-export it.'
    >>> err.reason
    'empty_file'
    """
    where = f"File {file}" + (f", sheet {sheet!r}" if sheet else "")
    err = InputFileError(f"{where}: {what}. Fix: {fix}.")
    err.reason = reason
    err.file = str(file)
    err.sheet = sheet
    err.what = what
    err.fix = fix
    return err


def make_issues(
    rows: pd.Series | np.ndarray | list,
    *,
    table: str | list,
    column: str | list | None,
    rule: str,
    reason: str,
    severity: str,
    message: str | pd.Series,
    fix: str,
    values: pd.Series | np.ndarray | list | None = None,
    file: str = "",
    sheet: str = "",
) -> pd.DataFrame:
    """Build a block of issue rows at once (vectorised: one call per check, not per row).

    ``message``, ``table`` and ``column`` are either one string for every row or a sequence
    aligned with ``rows``.

    Examples
    --------
    >>> make_issues([2, 5], table="members", column="age", rule="0 <= age <= 110",
    ...             reason="out_of_range", severity="error", message="Age out of range.",
    ...             fix="Correct the age.", values=[150, -1])[["row", "value", "reason"]]
       row value        reason
    0    2   150  out_of_range
    1    5    -1  out_of_range
    """
    if reason not in REASONS:
        raise ValueError(f"Unknown reason code {reason!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"Unknown severity {severity!r}")
    rows = np.asarray(rows, dtype="int64")
    n = len(rows)
    if values is None:
        vals = pd.Series([""] * n, dtype="object")
    else:
        vals = pd.Series(np.asarray(values, dtype="object")).astype("string").fillna("")
    msg = message if isinstance(message, str) else np.asarray(message, dtype="object")
    return pd.DataFrame(
        {
            "file": file,
            "sheet": sheet,
            "table": table,
            "row": rows,
            "column": "" if column is None else column,
            "value": vals.to_numpy(dtype="object"),
            "rule": rule,
            "reason": reason,
            "severity": severity,
            "message": msg,
            "fix": fix,
        },
        index=pd.RangeIndex(n),
    )


class ValidationReport:
    """Everything found while reading and validating survey files.

    Attributes
    ----------
    issues : DataFrame
        One row per problem, columns :data:`ISSUE_COLUMNS`.
    rows_read : dict
        Table name → number of data rows read from the source.
    quarantine : dict
        Table name → DataFrame of quarantined rows (identifier columns removed) with a
        ``reasons`` column (reason codes joined by ``;``) and the source ``row``.
    identifiers : DataFrame
        Identifier columns removed or pseudonymised: table, column, action, detected_by.

    Examples
    --------
    >>> rep = ValidationReport()
    >>> rep.rows_read["households"] = 3
    >>> rep.valid, rep.rows_accepted
    (True, {'households': 3})
    """

    def __init__(self) -> None:
        self._blocks: list[pd.DataFrame] = []
        self._issues = pd.DataFrame(columns=ISSUE_COLUMNS)
        self.rows_read: dict[str, int] = {}
        self.quarantine: dict[str, pd.DataFrame] = {}
        self.identifiers = pd.DataFrame(columns=["table", "column", "action", "detected_by"])

    def __repr__(self) -> str:
        return f"<ValidationReport valid={self.valid} issues={len(self.issues)}>"

    # -- building -------------------------------------------------------------------------
    def add(self, block: pd.DataFrame | None) -> None:
        """Append a block of issues built by :func:`make_issues`."""
        if block is not None and len(block):
            self._blocks.append(block)

    def add_blocking(
        self,
        reason: str,
        message: str,
        *,
        fix: str,
        file: str = "",
        sheet: str = "",
        table: str = "",
        column: str = "",
        row: int = 0,
    ) -> None:
        """Add one blocking problem (the table or file cannot be used as is)."""
        self.add(
            make_issues(
                [row],
                table=table,
                column=column,
                rule=REASONS.get(reason, reason),
                reason=reason,
                severity="blocking",
                message=message,
                fix=fix,
                file=file,
                sheet=sheet,
            )
        )

    @property
    def issues(self) -> pd.DataFrame:
        """All issues found, one row each (columns :data:`ISSUE_COLUMNS`)."""
        if self._blocks:
            parts = ([self._issues] if len(self._issues) else []) + self._blocks
            self._issues = pd.concat(parts, ignore_index=True)[ISSUE_COLUMNS]
            self._blocks = []
        return self._issues

    # -- reading --------------------------------------------------------------------------
    @property
    def blocking(self) -> list[str]:
        """Messages of the blocking problems (empty when the data can be used)."""
        iss = self.issues
        return iss.loc[iss["severity"] == "blocking", "message"].astype(str).tolist()

    @property
    def valid(self) -> bool:
        """True when no blocking problem was found."""
        return not self.blocking

    @property
    def rows_quarantined(self) -> dict[str, int]:
        """Table name → number of quarantined rows."""
        return {t: len(self.quarantine.get(t, ())) for t in self.rows_read}

    @property
    def rows_accepted(self) -> dict[str, int]:
        """Table name → rows read minus rows quarantined."""
        q = self.rows_quarantined
        return {t: n - q[t] for t, n in self.rows_read.items()}

    def accounting(self) -> pd.DataFrame:
        """Row accounting per table: ``rows_read = rows_accepted + rows_quarantined``."""
        q = self.rows_quarantined
        return pd.DataFrame(
            {
                "table": list(self.rows_read),
                "rows_read": list(self.rows_read.values()),
                "rows_accepted": [self.rows_read[t] - q[t] for t in self.rows_read],
                "rows_quarantined": [q[t] for t in self.rows_read],
            }
        )

    def counts(self) -> pd.DataFrame:
        """Number of issues per table, reason and severity."""
        iss = self.issues
        if not len(iss):
            return pd.DataFrame(columns=["table", "reason", "severity", "n"])
        return (
            iss.groupby(["table", "reason", "severity"], sort=True)
            .size()
            .rename("n")
            .reset_index()
            .sort_values("n", ascending=False, kind="stable")
            .reset_index(drop=True)
        )

    def summary(self, *, lang: str = "en") -> str:
        """A short plain-text summary (see :func:`format_report` for the full listing).

        ``lang`` (``en``, ``es``, ``fr``) picks the language of the reason titles.
        """
        titles = reason_titles()
        head = {
            "en": ("valid", "NOT VALID (blocking problems)"),
            "es": ("válido", "NO VÁLIDO (problemas que bloquean)"),
            "fr": ("valide", "NON VALIDE (problèmes bloquants)"),
        }[lang if lang in LANGUAGES else "en"]
        lines = [head[0] if self.valid else head[1]]
        for msg in self.blocking:
            lines.append(f"  BLOCKING: {msg}")
        acc = self.accounting()
        for r in acc.itertuples(index=False):
            lines.append(
                f"  {r.table}: {r.rows_read} rows read, {r.rows_accepted} accepted, "
                f"{r.rows_quarantined} quarantined"
            )
        cnt = self.counts()
        cnt = cnt[cnt["severity"] != "blocking"]
        for r in cnt.itertuples(index=False):
            title = titles.get(r.reason, {}).get(lang, "")
            lines.append(f"  {r.severity:<8} {r.reason:<22} {r.table:<12} {r.n:>6}  {title}")
        if len(self.identifiers):
            cols = ", ".join(
                f"{t}.{c} ({a})"
                for t, c, a in self.identifiers[["table", "column", "action"]].itertuples(
                    index=False
                )
            )
            lines.append(f"  identifiers removed: {cols}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The issues table (a copy)."""
        return self.issues.copy()
