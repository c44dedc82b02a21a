"""Census diagnostic: every district's gaps from a person file scanned out of core.

``[input] format = "census"`` names a Parquet (or CSV) person file; the indicators stage runs
in DuckDB or Spark (:func:`gender_diag.engine.compute_indicators_sql`), so the persons never
reach Python. The result adds :func:`district_ranking`, "your district among all
districts": each district's local gender gap index (the WEF truncated-ratio method of
:mod:`gender_diag.indicators.local_gap`, on the district's estimates) and its rank among all
districts, written as CSV, an Excel sheet, a chart and a short page per language.

Direct identifiers (DNI) are read by rules such as ``notna(dni)`` inside the engine; only
weighted totals leave it, so no identifier can reach an output.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.config import output_dir
from gender_diag.indicators.local_gap import oriented_ratio
from gender_diag.result import RunResult

__all__ = ["district_ranking", "run_census"]

_TEXTS = {
    "es": dict(title="Su distrito entre todos los distritos", index="Índice local de brecha",
               rank="Puesto", district="Distrito", worst="Mayor brecha",
               note="1 = paridad; puesto 1 = la mayor desventaja de las mujeres."),
    "fr": dict(title="Votre district parmi tous les districts", index="Indice local d'écart",
               rank="Rang", district="District", worst="Écart le plus grand",
               note="1 = parité ; rang 1 = le plus grand désavantage des femmes."),
    "en": dict(title="Your district among all districts", index="Local gap index",
               rank="Rank", district="District", worst="Largest gap",
               note="1 = parity; rank 1 = women's largest disadvantage."),
}  # fmt: skip


def district_ranking(gaps: pd.DataFrame, catalogue, *, by: str = "district") -> pd.DataFrame:
    """One row per district: local gap index, its rank and the district's worst indicator.

    The index is the mean over rights domains of the mean truncated oriented ratio
    ``min(r_k, 1)`` of the domain's indicators (WEF method; 1 = parity). Rank 1 is the
    lowest index (women furthest behind); ``percentile`` = share of districts with a higher
    index. Indicators with a missing estimate for women or men are left out of that district.
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
    out["rank"] = out["local_gap_index"].rank(method="min").astype("Int64")
    n = out["local_gap_index"].notna().sum()
    out["percentile"] = 1 - (out["rank"].astype(float) - 1) / max(n, 1)
    return out.sort_values(["rank", by], kind="stable").reset_index(drop=True)


def _chart(ranking: pd.DataFrame, lang: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = _TEXTS[lang]
    vals = np.sort(ranking["local_gap_index"].dropna().to_numpy())
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(np.arange(1, vals.size + 1), vals, lw=1.2, color="#6a3d9a")
    ax.axhline(1.0, color="grey", lw=0.6, ls="--")
    ax.set_xlabel(t["rank"])
    ax.set_ylabel(t["index"])
    ax.set_title(t["title"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_district_outputs(ranking: pd.DataFrame, gaps: pd.DataFrame, out: Path, languages):
    """CSV, Excel sheet, chart and one HTML page per language (identifier-free tables)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "district_ranking.csv", out / "gaps.csv"]
    ranking.to_csv(paths[0], index=False)
    gaps.to_csv(paths[1], index=False)
    xlsx = out / "district_ranking.xlsx"
    with pd.ExcelWriter(xlsx, engine="xlsxwriter") as xw:
        ranking.to_excel(xw, sheet_name="districts", index=False)
    paths.append(xlsx)
    for lang in languages:
        t = _TEXTS[lang]
        png = _chart(ranking, lang, out / f"district_ranking_{lang}.png")
        head = ranking.head(20).rename(
            columns={
                "district": t["district"],
                "local_gap_index": t["index"],
                "rank": t["rank"],
                "worst_indicator": t["worst"],
            }  # fmt: skip
        )
        html = out / f"district_ranking_{lang}.html"
        html.write_text(
            f"<html><head><meta charset='utf-8'><title>{t['title']}</title></head><body>"
            f"<h1>{t['title']}</h1><p>{t['note']}</p><img src='{png.name}' alt=''>"
            + head.to_html(index=False, float_format=lambda x: f"{x:.3f}")
            + "</body></html>",
            encoding="utf-8",
        )
        paths += [png, html]
    return paths


def run_census(config: dict, *, progress=None, write: bool = True) -> RunResult:
    """The census diagnostic of ``config`` (see the module docstring)."""
    from gender_diag.engine.compute import compute_indicators_sql
    from gender_diag.indicators import gap_table, load_catalogue

    progress = progress or (lambda stage, message: None)
    result = RunResult(config=config)
    t0 = time.perf_counter()
    progress("indicators", "start")
    catalogue = load_catalogue(config["indicators"]["catalogue"])
    roles = {
        k: (None if not v or v.lower() == "none" else v)
        for k, v in config["design"].items()
        if k in ("weight", "strata", "psu", "ssu", "fpc", "fpc2")
    }
    kind = config["engine"]["kind"]
    table = compute_indicators_sql(
        files={"members": config["input"]["path"]},
        catalogue=catalogue,
        design=roles,
        engine="duckdb" if kind in ("auto", "pandas") else kind,
        spark_master=config["engine"]["spark_master"],
        by=tuple(config["indicators"]["disaggregations"]),
        alpha=1 - config["indicators"]["confidence"],
        ci_method=config["indicators"]["ci_method"],
    )
    threshold = config["disclosure"]["threshold"]
    table["suppressed"] = table["n"].to_numpy(dtype=float) < threshold
    figures = ["estimate", "se", "ci_low", "ci_high", "gap", "gap_se", "gap_ci_low",
               "gap_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high", "affected"]  # fmt: skip
    table.loc[table["suppressed"], figures] = np.nan
    result.indicators = table
    result.catalogue = catalogue
    result.labels = catalogue.to_frame()
    result.gaps = gap_table(table, catalogue)
    by = "district" if "district" in set(result.gaps["by"]) else result.gaps["by"].iloc[-1]
    result.indices["district_ranking"] = district_ranking(result.gaps, catalogue, by=by)
    progress("indicators", f"{len(table)} rows ({time.perf_counter() - t0:.1f} s)")
    if write:
        out = output_dir(config)
        result.outputs = write_district_outputs(
            result.indices["district_ranking"],
            result.gaps,
            out,
            config["diagnostic"]["languages"],
        )
        table.to_csv(out / "indicators.csv", index=False)
        result.outputs.append(out / "indicators.csv")
    return result
