"""Library side of ``gender-diag indicators [CONFIG]``: write the tables, summarise the gaps.

The CLI runs the pipeline up to the indicators stage (so disclosure control has been applied)
and calls :func:`write_tables` and :func:`top_gaps_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag import safe_output
from gender_diag.indicators.catalogue import Catalogue

__all__ = ["top_gaps_text", "write_tables"]


def top_gaps_text(gaps: pd.DataFrame, catalogue: Catalogue, *, top: int = 10, lang: str = "es"):
    """Printable table of the largest significant total-level gaps (q-value, then size).

    Proportions are shown in percent; the gap column is F − M in the indicator's unit.
    """
    labels = {i.id: i.labels.get(lang, i.id) for i in catalogue.indicators}
    # WEAI adequacies repeat catalogue indicators: leave them to the index tables
    keep = (gaps["by"] == "total") & gaps["q_value"].notna() & gaps["domain"].ne("weai")
    g = gaps.loc[keep].copy()
    # disadvantage for women, whatever the direction, sorts first
    sign = np.where(g["direction"].eq("higher_worse"), 1.0, -1.0)
    g["_disadv"] = sign * g["gap"].to_numpy(dtype=float)
    g = g.sort_values(["q_value", "_disadv"], ascending=[True, False]).head(top)
    rows = []
    for _, r in g.iterrows():
        is_pct = r["type"] in ("proportion", "share_women")
        pct, unit, nd = (100.0, "%", 1) if is_pct else (1.0, "", 2)
        rows.append(
            (
                labels.get(r["indicator"], r["indicator"])[:48],
                f"{r['estimate_f'] * pct:6.{nd}f}{unit}",
                f"{r['estimate_m'] * pct:6.{nd}f}{unit}",
                f"{r['gap'] * pct:+6.{nd}f} "
                f"[{r['gap_ci_low'] * pct:+.{nd}f}, {r['gap_ci_high'] * pct:+.{nd}f}]",
                f"{r['q_value']:.3g}",
            )
        )
    head = ("indicator", "women", "men", "gap F-M [95% CI]", "q")
    widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def write_tables(
    frames: Mapping[str, pd.DataFrame], out_dir: str | Path, *, excel: bool = True
) -> list[Path]:
    """Write aggregate tables as UTF-8 CSV files and, optionally, one Excel workbook.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        Name → aggregate table (indicators, gaps, couples, …). Never microdata.
    out_dir : path
        Folder created when missing; gets ``<name>.csv`` per table and ``indicators.xlsx``.
    excel : bool
        Also write every table as a sheet of ``indicators.xlsx``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, frame in frames.items():
        paths.append(safe_output.write_csv(frame, out / f"{name}.csv"))
    if excel:
        path = out / "indicators.xlsx"
        # text is text: nothing typed in the data may become a spreadsheet formula
        options = {"options": {"strings_to_formulas": False, "strings_to_urls": False}}
        with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs=options) as xw:
            for name, frame in frames.items():
                safe_output.neutralise_frame(frame).to_excel(xw, sheet_name=name[:31], index=False)
        paths.append(path)
    return paths
