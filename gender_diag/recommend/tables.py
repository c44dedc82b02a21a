"""Recommendation tables: the top-ranked gaps joined to candidate direct and indirect actions.

Each row carries its evidence (women's and men's values with 95 % CIs and n, the gap, its
rank and 90 % rank interval) and a citation-ready sentence in es, fr and en built from the
templates in ``surveys/catalogue/ranking_texts.yaml``, e.g.
"En los distritos encuestados, 23 % de las mujeres (IC 95 %: 18–28 %) frente a 61 % de los
hombres (IC 95 %: 56–66 %) — Título de la parcela a su nombre (n = 412 y 398)."
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.prioritise.criteria import check_gap_table, proportion_scale
from gender_diag.prioritise.texts import LANGS, fmt_count, fmt_number, fmt_percent, load_texts
from gender_diag.recommend.catalogue import (
    DIRECT_TEXTS,
    INDIRECT_TEXTS,
    KINDS,
    MATCH_LEVELS,
    OPTIONAL_TEXTS,
    TAG_COLUMNS,
    ActionCatalogue,
    load_actions,
    match_level,
)

EVIDENCE = [
    "estimate_f",
    "ci_low_f",
    "ci_high_f",
    "n_f",
    "estimate_m",
    "ci_low_m",
    "ci_high_m",
    "n_m",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "q_value",
    "reliability",
]
_RANK_COLS = ["rank", "rank_low", "rank_high", "median_rank", "p_top_k", "flags"]


def _num(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def evidence_sentences(
    row: Mapping, *, label: Mapping[str, str] | str | None = None, proportion: bool = True,
    texts: dict | None = None, place_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:  # fmt: skip
    """Citation-ready sentence in es, fr and en for one gap.

    Examples
    --------
    >>> row = {"by": "total", "by_value": "", "estimate_f": 0.23, "ci_low_f": 0.18,
    ...        "ci_high_f": 0.28, "estimate_m": 0.61, "ci_low_m": 0.56, "ci_high_m": 0.66,
    ...        "n_f": 412, "n_m": 398}
    >>> s = evidence_sentences(row, label={"es": "título de la parcela a su nombre"})
    >>> s["es"]
    'En los distritos encuestados, 23 % de las mujeres (IC 95 %: 18–28 %) frente a 61 % de los hombres (IC 95 %: 56–66 %) — título de la parcela a su nombre (n = 412 y 398).'
    >>> s["en"][:60]
    'In the surveyed districts, 23% of women (95% CI: 18–28%) com'
    """
    texts = texts or load_texts()
    out = {}
    for lang in LANGS:
        if isinstance(label, str):
            lab = label
        elif isinstance(label, Mapping) and label.get(lang):
            lab = str(label[lang])
        else:
            lab = str(row.get("indicator", ""))
        by, val = str(row.get("by", "total") or "total"), str(row.get("by_value", "") or "")
        val = str(place_labels.get(val, val)) if place_labels else val
        places = texts["place"][lang]
        tpl = places.get("total") if by == "total" else places.get(by, places["default"])
        place = tpl.format(by=by, by_value=val)
        if proportion:

            def lo(x, lang=lang):
                return fmt_number(100 * _num(x), lang, 0)

            def hi(x, lang=lang):
                return fmt_percent(_num(x), lang)

            f, m = fmt_percent(_num(row.get("estimate_f")), lang), None
            m = fmt_percent(_num(row.get("estimate_m")), lang)
        else:

            def lo(x, lang=lang):
                return fmt_number(_num(x), lang, 1)

            hi = lo
            f = fmt_number(_num(row.get("estimate_f")), lang, 1)
            m = fmt_number(_num(row.get("estimate_m")), lang, 1)
        tpl = texts["evidence"][lang]["proportion" if proportion else "mean"]
        out[lang] = tpl.format(
            place=place,
            label=lab,
            f=f,
            f_low=lo(row.get("ci_low_f")),
            f_high=hi(row.get("ci_high_f")),
            m=m,
            m_low=lo(row.get("ci_low_m")),
            m_high=hi(row.get("ci_high_m")),
            n_f=fmt_count(_num(row.get("n_f"))),
            n_m=fmt_count(_num(row.get("n_m"))),
            unit="",
        )
    return out


def assigned_kinds(row: Mapping, catalogue: ActionCatalogue) -> list[str]:
    """Kinds of action a gap gets under the catalogue's assignment rule.

    Examples
    --------
    >>> cat = load_actions()
    >>> assigned_kinds({"moser": "practical", "domain": "finance"}, cat)
    ['direct']
    >>> assigned_kinds({"moser": "strategic", "domain": "land"}, cat)
    ['direct', 'indirect']
    """
    rule = catalogue.assignment
    moser = str(row.get("moser", "") or "").lower()
    kinds = set(
        rule.get(moser, rule["untagged"])
        if moser in ("practical", "strategic")
        else rule["untagged"]
    )
    if str(row.get("domain", "") or "").lower() in {d.lower() for d in rule["both_domains"]}:
        kinds |= set(KINDS)
    thr = rule.get("direct_if_feasibility_at_least")
    feas = _num(row.get("crit_feasibility"))
    if thr is not None and bool(row.get("team_scored", False)) and feas >= thr:
        kinds.add("direct")
    return [k for k in KINDS if k in kinds]


def _gap_tags(row: Mapping) -> set[str]:
    tags = set()
    for c in TAG_COLUMNS:
        v = row.get(c)
        if isinstance(v, str):
            tags |= {t.strip().lower() for t in v.replace(";", ",").split(",") if t.strip()}
    return tags


def _action_columns(action: dict, kind: str, lang: str | None, pnig: dict) -> dict:
    langs = [lang] if lang else list(LANGS)

    def put(d, key, txt):
        for lg in langs:
            d[key if lang else f"{key}_{lg}"] = txt[lg]

    d: dict = {"action_id": action["id"]}
    for key in OPTIONAL_TEXTS:
        if key in action:
            put(d, key, action[key])
    if kind == "direct":
        for key in DIRECT_TEXTS:
            put(d, key, action[key])
        d["workload_risk"] = action["workload_risk"]["level"]
        put(d, "workload_note", action["workload_risk"]["note"])
    else:
        d["authority_level"] = action["authority"]["level"]
        put(d, "authority", action["authority"]["name"])
        d["instrument_kind"] = action["instrument"]["kind"]
        put(d, "instrument", action["instrument"]["name"])
        for key in INDIRECT_TEXTS:
            put(d, key, action[key])
        d["alignment_code"] = action["alignment"]
        put(d, "alignment", pnig[action["alignment"]])
    return d


class Recommendations(NamedTuple):
    """What :func:`recommend` returns: three tables, unpackable as a tuple."""

    direct: pd.DataFrame
    indirect: pd.DataFrame
    unmatched: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Direct and indirect actions in one long table (``kind`` tells them apart)."""
        parts = [f for f in (self.direct, self.indirect) if len(f)]
        return pd.concat(parts, ignore_index=True) if parts else self.direct.copy()


def recommend(
    ranking,
    gaps: pd.DataFrame,
    *,
    actions: ActionCatalogue | None = None,
    top_n: int = 10,
    lang: str | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    place_labels: Mapping[str, str] | None = None,
    texts: dict | None = None,
) -> Recommendations:
    """Direct-action, indirect-action and unmatched tables for the top-ranked gaps.

    Parameters
    ----------
    ranking : Ranking or DataFrame
        Result of :func:`gender_diag.prioritise.rank_gaps` (or its ``table``).
    gaps : DataFrame
        The gap table that was ranked (source of the evidence columns).
    actions : ActionCatalogue, optional
        Default :func:`load_actions` (``surveys/catalogue/actions.yaml``).
    top_n : int
        Gaps with rank <= top_n are considered (ties at the cut included).
    lang : {"es", "fr", "en"}, optional
        Language of the action texts; None gives every text in the three languages
        (columns suffixed ``_es``, ``_fr``, ``_en``). Sentences are always in all three.
    labels : mapping, optional
        indicator id → {es, fr, en} label (from the indicator catalogue); falls back to the id.
    place_labels : mapping, optional
        group code → name used in the sentences (e.g. ``{"sangarara": "Sangarará"}``).

    Returns
    -------
    Recommendations
        A named tuple ``(direct, indirect, unmatched)`` of DataFrames (unpacks as before);
        ``.to_frame()`` stacks the direct and indirect rows (column ``kind``).
        One row per gap × action (``match_level`` says how the action was found,
        ``assignment`` whether by the rule or as a fallback); ``unmatched`` lists the top
        gaps for which the catalogue has no action — they are never dropped.
    """
    if lang is not None and lang not in LANGS:
        raise bad_parameter("lang", "recommend", "'es', 'fr', 'en' or None", lang)
    if not isinstance(top_n, int | np.integer) or top_n < 1:
        raise bad_parameter("top_n", "recommend", "an integer >= 1", top_n)
    check_gap_table(gaps, "recommend")
    actions = actions or load_actions()
    texts = texts or load_texts()
    table = ranking.table if hasattr(ranking, "table") else ranking
    top = table[table["rank"] <= top_n]
    extra = [c for c in [*EVIDENCE, "moser", "harvard", "rights", "type", "unit"] if c in gaps]
    extra = [c for c in extra if c not in ("gap", "q_value", "reliability")]
    ev = gaps[["gap_id", *extra]].copy()
    ev["_prop"] = proportion_scale(gaps)
    top = top.merge(ev, on="gap_id", how="left", suffixes=("", "_gaps"))
    for c in EVIDENCE:
        if c not in top:
            top[c] = np.nan

    direct, indirect, unmatched = [], [], []
    for rec in top.to_dict("records"):  # a handful of top gaps × a few dozen actions
        lab = labels.get(rec["indicator"]) if labels else None
        sent = evidence_sentences(
            rec, label=lab, proportion=bool(rec["_prop"]), texts=texts, place_labels=place_labels
        )
        label_cols = {
            f"label_{lg}": (
                lab.get(lg) if isinstance(lab, Mapping) and lab.get(lg) else rec["indicator"]
            )
            for lg in LANGS
        }
        base = {
            "indicator": rec["indicator"],
            "gap_id": rec["gap_id"],
            "by": rec["by"],
            "by_value": rec["by_value"],
            "domain": rec.get("domain"),
            **{c: rec.get(c) for c in _RANK_COLS},
            **{c: rec.get(c) for c in EVIDENCE},
            **label_cols,
            **{f"sentence_{lg}": sent[lg] for lg in LANGS},
        }
        tags = _gap_tags(rec)
        kinds = assigned_kinds(rec, actions)
        found: dict[str, tuple[int, list[dict]]] = {}
        for kind in KINDS:
            levels = [
                (
                    match_level(
                        a,
                        indicator=str(rec["indicator"]),
                        domain=str(rec.get("domain") or ""),
                        tags=tags,
                    ),
                    a,
                )
                for a in actions.of_kind(kind)
            ]
            levels = [(lv, a) for lv, a in levels if lv is not None]
            if levels:
                best = min(lv for lv, _ in levels)
                found[kind] = (best, [a for lv, a in levels if lv == best])
        use = [k for k in kinds if k in found]
        how = "rule"
        if not use and found:
            use, how = list(found), "fallback"
        if not use:
            unmatched.append(
                {
                    **base,
                    "moser": rec.get("moser"),
                    "assigned": ";".join(kinds),
                    "reason": "no action in the catalogue matches this indicator, its domain "
                    "or its tags; add one to actions.yaml",
                }
            )
            continue
        for kind in use:
            level, acts = found[kind]
            for a in acts:
                row = {
                    **base,
                    "kind": kind,
                    "assignment": how,
                    "match_level": MATCH_LEVELS[level],
                    **_action_columns(a, kind, lang, actions.pnig),
                }
                (direct if kind == "direct" else indirect).append(row)
    cols_un = ["indicator", "gap_id", "by", "by_value", "domain", "rank", "rank_low", "rank_high"]
    return Recommendations(
        _frame(direct),
        _frame(indirect),
        pd.DataFrame(unmatched) if unmatched else pd.DataFrame(columns=[*cols_un, "reason"]),
    )


def _frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=["indicator", "gap_id", "rank", "action_id"])
    return (
        pd.DataFrame(rows)
        .sort_values(["rank", "gap_id", "action_id"], kind="stable")
        .reset_index(drop=True)
    )
