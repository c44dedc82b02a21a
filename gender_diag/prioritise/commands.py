"""Terminal display for ``gender-diag rank``: the progress bar and the top-gaps table.

The CLI runs the pipeline up to the recommendations (``gd.run(config, until="recommend")``)
and prints :func:`format_top`; ranking and recommendations live in their own modules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TextIO

import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.prioritise.ranking import Ranking

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
