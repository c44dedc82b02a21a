"""Plant realistic data-entry errors in rendered tables, and record each one.

Each planted error is one row of ``planted_errors`` naming the ingest ``table`` (contract
names: households, members, parcels, respondents), the export ``sheet`` (Kobo sheet name),
the sheet ``row`` a user sees (header = row 1; the same in the Kobo XLSX, the Kobo CSV for
the main sheet and the ODK CSV files, which keep the same row order), the row's ``_index``,
the household ``hhid``, the ``column`` (tidy name), the ``kind`` (the ingest reason code of
docs/contracts.md §2) and the planted ``value``. Ingest tests check that every one is
reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Tidy table name of each rendered table.
TABLES = {
    "households": "households",
    "roster": "members",
    "parcels": "parcels",
    "individual": "respondents",
}
ERROR_COLUMNS = ("table", "sheet", "row", "index", "hhid", "column", "kind", "value")
KINDS = (
    "duplicate_submission",
    "duplicate_key",
    "out_of_range",
    "not_numeric",
    "invalid_code",
    "time_use_sum",
    "orphan_row",
    "respondent_unknown",
    "sex_mismatch",
    "answered_not_relevant",
)


def _as_object(df: pd.DataFrame, column: str) -> None:
    """Let a column hold a value outside its type (text in a number, a code not in the list)."""
    df[column] = df[column].astype(object)


def plant_errors(
    tables: dict[str, pd.DataFrame], *, sheet_names: dict[str, str], seed: int = 0
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return copies of ``tables`` with one error of each kind in :data:`KINDS`, and the log.

    Errors are planted in distinct, consenting households so that they do not mask each
    other: a duplicate submission (the whole household and its repeat rows submitted twice,
    same answers, new ``_id``/``_uuid``), a duplicated ``_uuid`` (two different households),
    an age typed 250, text in a numeric field (``parcel_area = "dos"``), an invalid choice code
    (``relation = "hijo"``), a 24-hour time use that adds up to 26 h, an orphan parcel row
    (its ``_parent_index`` matches no submission), a respondent line not in the roster, a
    respondent sex that contradicts the roster, and a marital status answered for a child
    under 12 (not relevant).

    Parameters
    ----------
    tables : dict
        Rendered tables (``households``, ``roster``, ``parcels``, ``individual``).
    sheet_names : dict
        Rendered table → export sheet name.
    seed : int
    """
    rng = np.random.default_rng([seed, 4])
    t = {k: v.copy() for k, v in tables.items()}
    main, roster, parcels, ind = t["households"], t["roster"], t["parcels"], t["individual"]
    log: list[dict] = []

    def record(name, pos, column, kind, value):
        df = t[name]
        log.append(
            {
                "table": TABLES[name],
                "sheet": sheet_names[name],
                "row": int(pos) + 2,
                "index": int(df["_index"].iloc[pos]),
                "hhid": str(_hhid(t, name, pos)),
                "column": column,
                "kind": kind,
                "value": "" if value is None else str(value),
            }
        )

    # Households eligible for planting: consenting, with a dual couple interviewed.
    ok = main["consent"].to_numpy() == "yes"
    consented = ind.loc[ind["ind_consent"].to_numpy() == "yes"]
    per_hh = consented.groupby("_parent_index").size()
    couple = per_hh[per_hh == 2].index.to_numpy()
    cand = np.intersect1d(main.loc[ok, "_index"].to_numpy(), couple)
    kids = roster.loc[roster["age"].fillna(99).to_numpy() < 12, "_parent_index"].unique()
    with_kid = np.intersect1d(cand, kids)
    if len(with_kid) < 1 or len(cand) < len(KINDS) + 2:
        raise ValueError(
            "errors=True needs at least 12 dual-adult households in the sample; "
            "generate 50 households or more."
        )
    kid_hh = rng.choice(with_kid)
    cand = rng.permutation(cand[cand != kid_hh])
    hh = {k: int(cand[i]) for i, k in enumerate(KINDS[:-1])} | {KINDS[-1]: int(kid_hh)}

    def main_pos(index):
        return int(np.flatnonzero(main["_index"].to_numpy() == index)[0])

    def child_pos(df, index):
        return np.flatnonzero(df["_parent_index"].to_numpy() == index)

    # 1. Age typed 250.
    p = int(child_pos(roster, hh["out_of_range"])[0])
    roster.loc[roster.index[p], "age"] = 250
    record("roster", p, "age", "out_of_range", 250)
    # 2. Text in a numeric field.
    p = int(child_pos(parcels, hh["not_numeric"])[0])
    _as_object(parcels, "parcel_area")
    parcels.loc[parcels.index[p], "parcel_area"] = "dos"
    record("parcels", p, "parcel_area", "not_numeric", "dos")
    # 3. Invalid choice code.
    p = int(child_pos(roster, hh["invalid_code"])[-1])
    _as_object(roster, "relation")
    roster.loc[roster.index[p], "relation"] = "hijo"
    record("roster", p, "relation", "invalid_code", "hijo")
    # 4. Time use adding up to 26 h (sleep typed 2 h too long).
    p = int(child_pos(ind, hh["time_use_sum"])[0])
    ind.loc[ind.index[p], "tu_sleep"] = float(ind["tu_sleep"].iloc[p]) + 2.0
    ind.loc[ind.index[p], "tu_total"] = 26.0  # the form's calculate follows the typed hours
    record("individual", p, "tu_sleep", "time_use_sum", ind["tu_sleep"].iloc[p])
    # 5. Respondent line not in the roster.
    p = int(child_pos(ind, hh["respondent_unknown"])[0])
    size = int(main["hh_size"].iloc[main_pos(hh["respondent_unknown"])])
    bad_line = str(min(size + 3, 20))
    ind.loc[ind.index[p], "resp_line"] = bad_line
    record("individual", p, "resp_line", "respondent_unknown", bad_line)
    # 6. Respondent sex contradicting the roster (the man recorded as a woman).
    p = int(child_pos(ind, hh["sex_mismatch"])[1])
    ind.loc[ind.index[p], "resp_sex"] = "F"
    record("individual", p, "resp_sex", "sex_mismatch", "F")
    # 7. Answer where not relevant: marital status of a child under 12.
    rows = child_pos(roster, hh["answered_not_relevant"])
    rows = rows[roster["age"].to_numpy()[rows] < 12]
    p = int(rows[0])
    roster.loc[roster.index[p], "marital"] = "single"
    record("roster", p, "marital", "answered_not_relevant", "single")
    # 8. Duplicated _uuid: a different household reuses another's uuid.
    src, dst = main_pos(hh["duplicate_key"]), main_pos(hh["duplicate_submission"])
    other = main_pos(int(cand[len(KINDS)]))
    main.loc[main.index[other], "_uuid"] = main["_uuid"].iloc[src]
    record("households", other, "_uuid", "duplicate_key", main["_uuid"].iloc[src])

    # 9. Duplicate submission: the same household sent twice (appended at the end).
    new_index = int(main["_index"].max()) + 1
    dup = main.iloc[[dst]].copy()
    dup["_index"] = new_index
    dup["_id"] = int(main["_id"].max()) + 3
    dup["_uuid"] = _new_uuid(rng)
    dup["_submission_time"] = main["_submission_time"].max()
    main = pd.concat([main, dup], ignore_index=True)
    t["households"] = main
    record("households", len(main) - 1, "hhid", "duplicate_submission", dup["hhid"].iloc[0])
    for name in ("roster", "parcels", "individual"):
        df = t[name]
        rows = df.loc[df["_parent_index"] == hh["duplicate_submission"]].copy()
        rows["_parent_index"] = new_index
        rows["_index"] = int(df["_index"].max()) + 1 + np.arange(len(rows))
        t[name] = pd.concat([df, rows], ignore_index=True)

    # 10. Orphan parcel row: its parent submission does not exist.
    df = t["parcels"]
    orphan = df.iloc[[0]].copy()
    orphan["_index"] = int(df["_index"].max()) + 1
    orphan["_parent_index"] = new_index + 1000
    t["parcels"] = pd.concat([df, orphan], ignore_index=True)
    log.append(
        {
            "table": "parcels",
            "sheet": sheet_names["parcels"],
            "row": len(t["parcels"]) + 1,
            "index": int(orphan["_index"].iloc[0]),
            "hhid": "",
            "column": "_parent_index",
            "kind": "orphan_row",
            "value": str(new_index + 1000),
        }
    )
    return t, pd.DataFrame(log, columns=list(ERROR_COLUMNS))


def _hhid(t, name, pos):
    df = t[name]
    if name == "households":
        return df["hhid"].iloc[pos]
    parent = df["_parent_index"].iloc[pos]
    hit = t["households"].loc[t["households"]["_index"] == parent, "hhid"]
    return hit.iloc[0] if len(hit) else ""


def _new_uuid(rng):
    from gender_diag.synth.render import uuids

    return uuids(rng, 1)[0]
