"""The summary printed at the end of ``gender-diag run``, in the diagnostic's first language.

Numbers use that language's format and units ("F 43,7 %, M 4,9 %"; "F 6,2 h, M 2,0 h"), and
the priorities are the distinct ones (one per concept), with place names.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gender_diag.report.i18n import load_texts


def summary_rows(result: Any, *, top: int = 5, lang: str = "en", out: str = "") -> pd.DataFrame:
    """Rows accepted and quarantined per table, the first ``top`` priorities, files written.

    Returns a frame with columns ``section, item, value`` whose texts are in ``lang``.
    """
    from gender_diag.prioritise.concepts import concept_map, concept_priorities
    from gender_diag.report.summary import gap_words, measure_unit, value_text
    from gender_diag.report.tables import display_scale, place_names

    t = load_texts(lang)
    rows = []
    survey = getattr(result, "survey", None)
    if survey is not None:
        acc = survey.report.accounting()
        for r in acc.itertuples():
            rows.append(
                (
                    t["console.rows"],
                    t.value("table", r.table),
                    t.get(
                        "console.accepted", accepted=r.rows_accepted, quarantined=r.rows_quarantined
                    ),
                )
            )
    ranking = getattr(result, "ranking", None)
    if isinstance(ranking, pd.DataFrame) and len(ranking):
        labels = getattr(result, "labels", None)
        names = {}
        if isinstance(labels, pd.DataFrame) and f"label_{lang}" in labels.columns:
            names = dict(zip(labels["indicator"], labels[f"label_{lang}"], strict=True))
        ind = result.indicators if isinstance(result.indicators, pd.DataFrame) else pd.DataFrame()
        first = ind.drop_duplicates("indicator") if len(ind) else ind
        scales = (
            dict(zip(first.get("indicator", []), display_scale(first), strict=True))
            if len(first)
            else {}
        )
        directions = (
            dict(zip(first.get("indicator", []), first.get("direction", []), strict=True))
            if "direction" in first
            else {}
        )
        places = place_names(survey)
        prio = concept_priorities(ranking, concept_map(labels))
        for r in prio.head(top).to_dict("records"):
            i = str(r["indicator"])
            unit = measure_unit(i, scales.get(i))
            where = (
                "" if r["by"] == "total" else f" [{places.get(str(r['by_value']), r['by_value'])}]"
            )
            f, m = value_text(r["estimate_f"], unit, t), value_text(r["estimate_m"], unit, t)
            gap = gap_words(r["gap"], directions.get(i, ""), unit, t)
            rows.append(
                (
                    t["console.priority"],
                    f"{r['priority']}",
                    f"{names.get(i, i)}{where}: {t['console.f']} {f}, {t['console.m']} {m} ({gap})",
                )
            )
    outputs = getattr(result, "outputs", None)
    if outputs:
        rows.append((t["console.files"], t.get("console.written", n=len(outputs)), out))
    return pd.DataFrame(rows, columns=["section", "item", "value"])
