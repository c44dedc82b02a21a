"""Census diagnostic: every district's gaps from a person file scanned out of core.

``[input] format = "census"`` names a Parquet (or CSV) person file; the indicators stage runs
in DuckDB or Spark (:func:`gender_diag.engine.compute_indicators_sql`), so the persons never
reach Python. The result adds :func:`district_ranking`, "your district among all
districts": each district's local gender gap index (the WEF truncated-ratio method of
:mod:`gender_diag.indicators.local_gap`, on the district's estimates) and its rank among all
districts, and the census reports of :mod:`gender_diag.report.census_report` (summary
first, the ranked districts, a chart placing the chosen district ``[census] district`` among
all districts, its indicators by sex against its department and the country).

Direct identifiers (DNI) are read by rules such as ``notna(dni)`` inside the engine; only
weighted totals leave it, so no identifier can reach an output.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from gender_diag.config import output_dir
from gender_diag.indicators.local_gap import oriented_ratio
from gender_diag.result import RunResult

__all__ = [
    "district_extra",
    "census_tables",
    "check_district",
    "default_census_catalogue",
    "district_ranking",
    "persons_counted",
    "run_census",
]


#: Share of the indicators compared that a district needs to be ranked, by default. A
#: convention of this tool (``[census] min_indicators`` overrides it): below it, small
#: districts whose other cells are suppressed would be ranked on two or three indicators.
COVERAGE = 0.75


def required_indicators(n_indicators: int, min_indicators: int | None = None) -> int:
    """Indicators a district needs to be ranked: ``min_indicators`` when given (> 0), else
    ``ceil(0.75 · K)`` of the ``K`` indicators compared (:data:`COVERAGE`).

    >>> required_indicators(15), required_indicators(4), required_indicators(15, 4)
    (12, 3, 4)
    """
    if min_indicators:
        return int(min_indicators)
    return max(1, int(np.ceil(round(COVERAGE * n_indicators, 9))))


def district_ranking(
    gaps: pd.DataFrame, catalogue, *, by: str = "district", min_indicators: int | None = None
) -> pd.DataFrame:
    """One row per district: local gap index, its rank and the district's worst indicator.

    The index is the mean over rights domains of the mean truncated oriented ratio
    ``min(r_k, 1)`` of the domain's indicators (WEF method; 1 = parity). Rank 1 is the
    lowest index (women furthest behind); ``percentile`` = share of ranked districts with a
    higher index. Indicators with a missing estimate for women or men (suppressed small
    cells) are left out of that district. A district with fewer usable indicators than
    :func:`required_indicators` is listed but not ranked (``ranked`` False, index and rank
    blank): an index on two or three indicators is not comparable with one on fifteen.
    """
    g = gaps.loc[gaps["by"] == by].copy()
    meta = {i.id: i for i in catalogue.indicators}
    f = g["estimate_f"].to_numpy(dtype=float)
    m = g["estimate_m"].to_numpy(dtype=float)
    r = np.full(len(g), np.nan)
    for (direction, kind), idx in g.groupby(["direction", "type"]).indices.items():
        r[idx] = oriented_ratio(f[idx], m[idx], direction=direction, kind=kind)
    g["ratio_truncated"] = np.minimum(r, 1.0)
    g["rights"] = g["indicator"].map(lambda k: meta[k].tags.get("rights", ""))
    dom = g.groupby(["by_value", "rights"])["ratio_truncated"].mean().reset_index()
    index = dom.groupby("by_value")["ratio_truncated"].mean()
    worst = g.dropna(subset=["ratio_truncated"]).sort_values("ratio_truncated", kind="stable")
    worst = worst.drop_duplicates("by_value").set_index("by_value")
    out = pd.DataFrame({by: index.index, "local_gap_index": index.to_numpy()})
    out["n_indicators"] = out[by].map(g.groupby("by_value")["ratio_truncated"].count())
    out["worst_indicator"] = out[by].map(worst["indicator"])
    out["worst_gap"] = out[by].map(worst["gap"])
    need = required_indicators(int(g["indicator"].nunique()), min_indicators)
    out["ranked"] = out["n_indicators"].fillna(0).to_numpy() >= need
    out.loc[~out["ranked"], "local_gap_index"] = np.nan
    out["rank"] = out["local_gap_index"].rank(method="min").astype("Int64")
    n = out["local_gap_index"].notna().sum()
    out["percentile"] = 1 - (out["rank"].astype(float) - 1) / max(n, 1)
    out = out.sort_values(["rank", by], kind="stable").reset_index(drop=True)
    out.attrs["min_indicators"] = need  # the rule the reports state
    return out


def census_tables(
    path,
    catalogue,
    *,
    design: dict | None = None,
    levels=("department", "province", "district"),
    by: str = "district",
    threshold: int = 5,
    engine: str = "duckdb",
    spark_master: str = "local[2]",
    alpha: float = 0.05,
    ci_method: str = "logit",
    min_indicators: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Indicators, gaps and district ranking of a census person file, scanned by the engine.

    Cells on fewer than ``threshold`` persons are blanked (``suppressed``) before the gaps
    and the ranking are computed, so no small cell reaches a report. Returns
    ``(indicators, gaps, ranking)``.
    """
    from gender_diag.engine.compute import compute_indicators_sql
    from gender_diag.indicators import gap_table

    table = compute_indicators_sql(
        files={"members": path},
        catalogue=catalogue,
        design=design or {"weight": "weight"},
        engine=engine,
        spark_master=spark_master,
        by=tuple(levels),
        alpha=alpha,
        ci_method=ci_method,
    )
    # primary suppression as the survey reports do it (report.sdc): a cell on fewer than
    # ``threshold`` persons loses its figures and its n; a gap whose either sex is suppressed
    # is blanked on both rows (the gap and one sex's estimate would give the other away)
    from gender_diag.contracts.columns import PAIR_GAP_COLUMNS
    from gender_diag.report.sdc import CELL_VALUE_COLUMNS

    small = table["n"].to_numpy(dtype=float) < threshold
    table["suppressed"] = small
    pair = [table["indicator"].astype(str), table["by"].astype(str), table["by_value"].astype(str)]
    pair_sup = table["suppressed"].groupby(pair).transform("any").to_numpy(dtype=bool)
    cells = [c for c in (*CELL_VALUE_COLUMNS, "df") if c in table.columns]
    gap_cols = [c for c in PAIR_GAP_COLUMNS if c in table.columns and c not in cells]
    table[cells + gap_cols] = table[cells + gap_cols].astype(float)
    table.loc[small, cells] = np.nan
    table.loc[pair_sup, gap_cols] = np.nan
    table["gap_suppressed"] = pair_sup
    gaps = gap_table(table, catalogue)
    if by not in set(gaps["by"]):
        by = gaps["by"].iloc[-1]
    return table, gaps, district_ranking(gaps, catalogue, by=by, min_indicators=min_indicators)


def check_district(ranking: pd.DataFrame, district, *, source) -> str | None:
    """``district`` as text when it is one of the ranked districts, ``None`` when not set.

    Raises
    ------
    ConfigError
        Naming the key, the value, the file and a few valid codes.
    """
    from gender_diag.errors import ConfigError

    if district in (None, ""):
        return None
    codes = ranking.iloc[:, 0].astype(str)
    if str(district) in set(codes):
        return str(district)
    examples = ", ".join(repr(c) for c in sorted(codes)[:3])
    raise ConfigError(
        f"[census] district = {district!r} is not a district of {source} "
        f"({len(codes)} districts, e.g. {examples}). Fix: give the district's code as written "
        "in the census file's district column, in quotes."
    )


def default_census_catalogue():
    """The bundled census catalogue (the 15 person-level indicators of
    :data:`gender_diag.synth.census.CENSUS_INDICATORS`, INEI 2017 column names)."""
    import tempfile
    from pathlib import Path

    import yaml

    from gender_diag.indicators import load_catalogue
    from gender_diag.synth.census import CENSUS_INDICATORS

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "indicators.yaml"
        path.write_text(
            yaml.safe_dump(
                {"version": 1, "indicators": CENSUS_INDICATORS}, allow_unicode=True, sort_keys=False
            ),  # fmt: skip
            encoding="utf-8",
        )
        return load_catalogue(path)


def persons_counted(table: pd.DataFrame) -> int:
    """Persons in the census: the largest national ``n`` of women plus men of any indicator."""
    total = table.loc[table["by"] == "total"]
    if total.empty:
        return 0
    return int(total.groupby("indicator")["n"].sum().max())


def district_extra(result) -> dict:
    """``Published.extra`` entries for a survey run whose configuration names a census.

    With ``[census] path`` set, the census file is scanned by the engine
    (:func:`gender_diag.engine.census.census_tables`) with the ``[census]`` catalogue (the
    bundled census indicators by default), the run's disclosure threshold and engine; returns
    ``{"district_view": DistrictView, "census_district_ranking": DataFrame}`` (the frame is
    also written as a tidy CSV). Empty when no census is configured.
    """
    config = getattr(result, "config", None) or {}
    census = config.get("census") or {}
    if not census.get("path") or config.get("input", {}).get("format") == "census":
        return {}
    from gender_diag.indicators import load_catalogue
    from gender_diag.report.district import build_view

    catalogue = (
        load_catalogue(census["catalogue"])
        if census.get("catalogue")
        else default_census_catalogue()
    )
    levels = list(census["levels"])
    kind = config.get("engine", {}).get("kind", "duckdb")
    threshold = int(config.get("disclosure", {}).get("threshold", 5))
    table, gaps, ranking = census_tables(
        census["path"],
        catalogue,
        design={"weight": census.get("weight") or "weight"},
        levels=levels,
        by=levels[-1],
        threshold=threshold,
        engine="spark" if kind == "spark" else "duckdb",
        spark_master=config.get("engine", {}).get("spark_master", "local[2]"),
        min_indicators=census.get("min_indicators") or None,
    )
    by = str(ranking.columns[0])
    view = build_view(
        gaps,
        ranking,
        catalogue.to_frame(),
        district=check_district(ranking, census.get("district"), source=census["path"]),
        by=by,
        parent=levels[0] if len(levels) > 1 and levels[0] != by else None,
        persons=persons_counted(table),
        threshold=threshold,
    )
    return {"district_view": view, "census_district_ranking": view.ranking}


def run_census(config: dict, *, progress=None, write: bool = True) -> RunResult:
    """The census diagnostic of ``config`` (see the module docstring)."""
    import datetime as dt

    from gender_diag.indicators import load_catalogue
    from gender_diag.report.census_report import write_census_reports
    from gender_diag.report.district import build_view

    progress = progress or (lambda stage, message: None)
    result = RunResult(config=config)
    t0 = time.perf_counter()
    progress("indicators", "start")
    catalogue = load_catalogue(config["indicators"]["catalogue"])
    kind = config["engine"]["kind"]
    levels = tuple(config["indicators"]["disaggregations"])
    roles = {
        k: (None if not v or v.lower() == "none" else v)
        for k, v in config["design"].items()
        if k in ("weight", "strata", "psu", "ssu", "fpc", "fpc2")
    }
    table, gaps, ranking = census_tables(
        config["input"]["path"],
        catalogue,
        design=roles,
        levels=levels,
        by="district" if "district" in levels else levels[-1],
        threshold=config["disclosure"]["threshold"],
        engine="duckdb" if kind in ("auto", "pandas") else kind,
        spark_master=config["engine"]["spark_master"],
        alpha=1 - config["indicators"]["confidence"],
        ci_method=config["indicators"]["ci_method"],
        min_indicators=config.get("census", {}).get("min_indicators") or None,
    )
    result.indicators = table
    result.catalogue = catalogue
    result.labels = catalogue.to_frame()
    result.gaps = gaps
    result.indices["district_ranking"] = ranking
    progress("indicators", f"{len(table)} rows ({time.perf_counter() - t0:.1f} s)")
    if write:
        progress("report", "start")
        census = config.get("census", {})
        by = ranking.columns[0]
        view = build_view(
            gaps,
            ranking,
            result.labels,
            district=check_district(
                ranking, census.get("district"), source=config["input"]["path"]
            ),
            by=by,
            parent=next((lv for lv in levels if lv != by), None),
            persons=persons_counted(table),
            threshold=config["disclosure"]["threshold"],
            name=config["diagnostic"]["title"] or config["diagnostic"]["name"],
        )
        out = output_dir(config)
        date = dt.date.today().isoformat()
        result.outputs = write_census_reports(
            view, out, languages=config["diagnostic"]["languages"], date=date
        )
        table.to_csv(out / "indicators.csv", index=False)
        result.outputs.append(out / "indicators.csv")
        progress("report", f"{len(result.outputs)} files in {out}")
    return result
