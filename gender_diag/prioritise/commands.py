"""Library side of ``gender-diag rank [CONFIG] [--template] [--team-scores FILE]``.

The CLI parses its arguments, obtains the gap table (from the run of the configuration) and
calls :func:`rank_command`; everything else — ranking, progress display, recommendation tables,
files — happens here, so the CLI stays thin.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.prioritise.criteria import read_team_scores, write_team_template
from gender_diag.prioritise.ranking import Ranking, rank_gaps

_TITLES = {
    "es": ("Brechas prioritarias", "puesto", "brecha", "puntaje", "P(top {k})"),
    "fr": ("Écarts prioritaires", "rang", "écart", "score", "P(top {k})"),
    "en": ("Priority gaps", "rank", "gap", "score", "P(top {k})"),
}


def text_progress(stream: TextIO | None = None, *, width: int = 30) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callable drawing a one-line bar for the SMAA draws.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> bar = text_progress(buf, width=4)
    >>> bar(5, 10); bar(10, 10)
    >>> buf.getvalue().splitlines()[-1].strip()
    'robustness [####] 10/10'
    """
    stream = stream or sys.stderr

    def progress(done: int, total: int) -> None:
        filled = int(width * done / max(total, 1))
        stream.write(f"\rrobustness [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return progress


def format_top(
    ranking: Ranking,
    *,
    n: int = 10,
    lang: str = "es",
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Plain-text table of the top ``n`` gaps with their "why" sentence, for the terminal."""
    if lang not in _TITLES:
        raise bad_parameter("lang", "format_top", "'es', 'fr' or 'en'", lang)
    title, h_rank, h_gap, h_score, h_p = _TITLES[lang]
    lines = [f"{title} ({ranking.method}, {ranking.draws} draws)", ""]
    lines.append(f"{h_rank:>5}  {h_gap:<48} {h_score:>7} {h_p.format(k=ranking.top_k):>9}")
    for _, r in ranking.top(n).iterrows():
        lab = r["indicator"]
        if labels and isinstance(labels.get(lab), Mapping) and labels[lab].get(lang):
            lab = labels[lab][lang]
        where = "" if r["by"] == "total" else f" [{r['by_value']}]"
        p = "" if pd.isna(r["p_top_k"]) else f"{100 * r['p_top_k']:.0f} %"
        lines.append(
            f"{int(r['rank']):>5}  {(str(lab) + where)[:48]:<48} {r['score']:>7.3f} {p:>9}"
        )
        lines.append(f"       {r[f'why_{lang}']}")
    if len(ranking.excluded):
        lines.append("")
        lines.append(f"({len(ranking.excluded)} not ranked: suppressed or without estimate)")
    return "\n".join(lines)


def rank_command(
    gaps: pd.DataFrame,
    *,
    out_dir: str | Path,
    template: bool = False,
    team_scores: str | Path | None = None,
    weights: Mapping[str, float] | None = None,
    method: str = "weighted_sum",
    draws: int = 10_000,
    seed: int = 0,
    top_k: int = 5,
    top_n: int = 10,
    lang: str = "es",
    labels: Mapping[str, Mapping[str, str]] | None = None,
    stream: TextIO | None = None,
    progress: bool = True,
) -> list[Path]:
    """Run the ``rank`` subcommand on a gap table; return the paths written.

    ``template=True`` only writes ``team_scores_template.xlsx`` (the sheet the technical team
    fills in) and returns. Otherwise the team scores (if given) are read and validated, the
    gaps ranked with a progress bar on ``stream``, the top gaps printed, and these CSV files
    (UTF-8 with BOM, so that Excel opens accents correctly) written to ``out_dir``:
    ``ranking.csv`` (ranked + excluded gaps), ``ranking_methods.csv``,
    ``ranking_agreement.csv``, ``ranking_loo.csv``, ``actions_direct.csv``,
    ``actions_indirect.csv``, ``actions_unmatched.csv``.
    """
    from gender_diag.recommend.tables import recommend

    stream = stream or sys.stdout
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if template:
        path = write_team_template(
            gaps, out / "team_scores_template.xlsx", lang=lang, labels=labels
        )
        stream.write(f"{path}\n")
        return [path]
    scores = read_team_scores(team_scores, gaps) if team_scores else None
    ranking = rank_gaps(
        gaps,
        weights=dict(weights) if weights else None,
        team_scores=scores,
        method=method,
        draws=draws,
        seed=seed,
        top_k=top_k,
        progress=text_progress(sys.stderr) if progress and draws else None,
    )
    direct, indirect, unmatched = recommend(ranking, gaps, top_n=top_n, lang=lang, labels=labels)
    frames = {
        "ranking.csv": ranking.to_frame(),
        "ranking_methods.csv": ranking.methods,
        "ranking_agreement.csv": ranking.agreement,
        "ranking_loo.csv": ranking.loo,
        "actions_direct.csv": direct,
        "actions_indirect.csv": indirect,
        "actions_unmatched.csv": unmatched,
    }
    paths = []
    for name, frame in frames.items():
        p = out / name
        frame.to_csv(p, index=False, encoding="utf-8-sig")
        paths.append(p)
    stream.write(format_top(ranking, n=top_n, lang=lang, labels=labels) + "\n")
    if len(unmatched):
        stream.write(
            f"{len(unmatched)} priority gap(s) without a catalogue action: see {paths[-1]}\n"
        )
    return paths
