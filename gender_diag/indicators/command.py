"""Library side of ``gender-diag indicators [CONFIG]``: compute, write, summarise.

The CLI stays thin: it calls :func:`indicators_command` and prints ``result.top_gaps``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag import resources
from gender_diag.errors import ConfigError
from gender_diag.indicators.catalogue import Catalogue, load_catalogue
from gender_diag.indicators.compute import (
    DEFAULT_BY,
    compute_indicators,
    couple_comparisons,
    gap_table,
)
from gender_diag.indicators.local_gap import local_gap_index

__all__ = ["IndicatorsOutput", "indicators_command", "top_gaps_text"]


@dataclass
class IndicatorsOutput:
    """What :func:`indicators_command` produced."""

    indicators: pd.DataFrame
    gaps: pd.DataFrame
    couples: pd.DataFrame
    local_gap: pd.DataFrame
    top_gaps: str
    paths: list[Path] = field(default_factory=list)


def _read_config(path: Path) -> tuple[object, dict, dict]:
    """Read the survey named by a ``diagnostic.toml`` and its [design]/[indicators] tables."""
    from gender_diag.ingest import read_path

    try:
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the configuration ({e}).") from None
    inp = cfg.get("input", {})
    if "path" not in inp:
        raise ConfigError(f"{path}: [input] needs 'path' (the survey export).")
    base = path.parent
    form = base / inp["form"] if inp.get("form") else None
    design = base / inp["design"] if inp.get("design") else None
    survey = read_path(base / inp["path"], form=form, design=design)
    return survey, cfg.get("design", {}), cfg.get("indicators", {})


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


def indicators_command(
    config_or_survey=None,
    out_dir=None,
    *,
    catalogue: Catalogue | None = None,
    top: int = 10,
    lang: str = "es",
    write_excel: bool = True,
) -> IndicatorsOutput:
    """Compute the indicator table, gaps, couple comparisons and the local gap index; write them.

    Parameters
    ----------
    config_or_survey : path to ``diagnostic.toml``, a Survey, or None
        None uses the example survey's ``diagnostic.toml``.
    out_dir : path, optional
        Folder for ``indicators.csv``, ``gaps.csv``, ``couples.csv``, ``local_gap.csv`` and
        ``indicators.xlsx`` (one sheet each). Nothing is written when None.
    top : int
        Rows of the printable top-gaps table.

    Returns
    -------
    IndicatorsOutput
        Frames, the printable ``top_gaps`` text and the paths written. Only aggregates are
        written; no microdata (and so nothing of the violence module at unit level).
    """
    design, ind_cfg = None, {}
    if config_or_survey is None:
        config_or_survey = resources.example_dir() / "diagnostic.toml"
    if isinstance(config_or_survey, str | Path):
        survey, design_cfg, ind_cfg = _read_config(Path(config_or_survey))
        design = {k: design_cfg[k] for k in ("weight", "strata", "psu", "ssu", "fpc", "fpc2")
                  if k in design_cfg} or None  # fmt: skip
    else:
        survey = config_or_survey
    catalogue = load_catalogue() if catalogue is None else catalogue
    by = tuple(ind_cfg.get("disaggregations", DEFAULT_BY))
    alpha = 1 - float(ind_cfg.get("confidence", 0.95))
    ci_method = ind_cfg.get("ci_method", "logit")
    ind = compute_indicators(survey, catalogue, design, by=by, alpha=alpha, ci_method=ci_method)
    gaps = gap_table(ind, catalogue)
    couples = couple_comparisons(survey, catalogue, design, alpha=alpha)
    local = local_gap_index(survey, catalogue, design, alpha=alpha)["index"]
    text = top_gaps_text(gaps, catalogue, top=top, lang=lang)
    paths: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        frames = {"indicators": ind, "gaps": gaps, "couples": couples, "local_gap": local}
        for name, f in frames.items():
            p = out / f"{name}.csv"
            f.to_csv(p, index=False, encoding="utf-8")
            paths.append(p)
        if write_excel:
            p = out / "indicators.xlsx"
            with pd.ExcelWriter(p, engine="xlsxwriter") as xw:
                for name, f in frames.items():
                    f.to_excel(xw, sheet_name=name, index=False)
            paths.append(p)
    return IndicatorsOutput(ind, gaps, couples, local, text, paths)
