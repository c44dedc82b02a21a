"""What readers act on: priorities (one per concept), key messages, citation cards, action
tables by action, the glossary — in words and units, in the language of the report.

Shared by the HTML report, the Word brief, the Excel workbook and the console summary.

Direction is stated in words from the indicator's ``direction``: for a ``higher_better``
indicator (land titled in her name) women are disadvantaged when their value is lower; for a
``higher_worse`` one (violence) when it is higher. Every number carries its unit: percentages
and percentage points for proportions, hours for time use, hectares for land area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gender_diag.contracts.display import settle
from gender_diag.report.i18n import Texts, format_number, format_percent
from gender_diag.report.layout import Column, Table, place_text, value_label
from gender_diag.report.tables import (
    Published,
    is_percent,
    label_map,
    memo,
    scale_map,
    sex_wide,
)

#: Priorities shown in the executive summary and given a citation card.
TOP = 5
#: Priorities listed in the HTML priority table (the workbook has every ranked gap).
PRIORITY_ROWS = 20

_NBSP = "\u00a0"


def _num(v: object) -> float:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return f


def measure_unit(indicator: str, scale: object) -> str:
    """Unit key of an indicator's values: ``percent``, ``hours``, ``hectares`` or ``number``.

    >>> measure_unit("unpaid_care_hours", "mean"), measure_unit("x", "proportion")
    ('hours', 'percent')
    """
    if is_percent(scale):
        return "percent"
    ind = str(indicator)
    if ind.endswith("_hours") or ind.startswith("hours_") or "_hours_" in ind:
        return "hours"
    if ind.endswith("_ha"):
        return "hectares"
    return "number"


def value_text(value: object, unit: str, texts: Texts) -> str:
    """A value with its unit: ``43,7 %``, ``6,2 h``, ``1,35 ha``.

    >>> from gender_diag.report.i18n import load_texts
    >>> value_text(0.437, "percent", load_texts("es")), value_text(6.23, "hours", load_texts("en"))
    ('43,7\\xa0%', '6.2\\xa0h')
    """
    v = _num(value)
    if math.isnan(v):
        return "–"
    if unit == "percent":
        return format_percent(v, texts.lang)
    if unit == "hours":
        return format_number(v, texts.lang, digits=1) + _NBSP + texts["units.hours"]
    if unit == "hectares":
        return format_number(v, texts.lang, digits=2) + _NBSP + texts["units.hectares"]
    return format_number(v, texts.lang, digits=2)


def gap_size_text(gap: object, unit: str, texts: Texts) -> str:
    """Size of a gap (absolute value) with its unit: ``38,8 pp``, ``4,2 h``."""
    g = abs(_num(gap))
    if math.isnan(g):
        return "–"
    if unit == "percent":
        return format_number(100 * g, texts.lang, digits=1) + _NBSP + texts["units.pp"]
    return value_text(g, unit, texts)


def women_worse(gap: object, direction: object) -> bool | None:
    """Whether a women − men gap means women are worse off (None when unknown or zero).

    >>> women_worse(0.39, "higher_worse"), women_worse(-0.44, "higher_better")
    (True, True)
    """
    g = settle(_num(gap))  # noise around an exact zero is no gap, whichever engine ran
    if math.isnan(g) or g == 0:
        return None
    worse = g > 0 if str(direction) == "higher_worse" else g < 0
    return bool(worse)


def gap_words(gap: object, direction: object, unit: str, texts: Texts) -> str:
    """``desventaja para las mujeres: 38,8 pp`` (or for men; ``sin brecha`` at zero)."""
    who = women_worse(gap, direction)
    if who is None:
        return texts["gap_words.none"] if not math.isnan(_num(gap)) else "–"
    key = "gap_words.women" if who else "gap_words.men"
    return texts.get(key, size=gap_size_text(gap, unit, texts))


def _reliability(row: pd.Series | dict, texts: Texts) -> str:
    r = str(row.get("reliability", "") or "")
    return texts.value("", r) if r and r != "nan" else ""


@dataclass
class Priority:
    """One priority (concept) in words, for every writer."""

    priority: int
    indicator: str
    label: str
    place: str
    places: list[str]
    women: str
    men: str
    gap: str
    reliability: str
    reliable: bool
    p_top_k: float
    row: dict


def priorities(pub: Published, texts: Texts, *, limit: int | None = None) -> list[Priority]:
    """The distinct priorities, best first, in words."""
    p = pub.priorities
    if p is None or p.empty:
        return []
    labels = label_map(pub, texts.lang)
    scales = scale_map(pub)
    direction = _directions(pub)
    out = []
    for row in p.head(limit).to_dict("records") if limit else p.to_dict("records"):
        ind = str(row["indicator"])
        unit = measure_unit(ind, scales.get(ind))
        places = [value_label(row["by"] if row["by"] != "total" else "district", c, pub, texts)
                  for c in str(row.get("places") or "").split(";") if c]  # fmt: skip
        rel = str(row.get("reliability", "") or "")
        out.append(
            Priority(
                priority=int(row["priority"]),
                indicator=ind,
                label=labels.get(ind, ind),
                place=place_text(row["by"], row.get("by_value"), pub, texts),
                places=places,
                women=value_text(row.get("estimate_f"), unit, texts),
                men=value_text(row.get("estimate_m"), unit, texts),
                gap=gap_words(row.get("gap"), direction.get(ind, ""), unit, texts),
                reliability=_reliability(row, texts),
                reliable=rel == "reliable",
                p_top_k=_num(row.get("p_top_k")),
                row=row,
            )
        )
    return out


def _directions(pub: Published) -> dict[str, str]:
    ind = pub.indicators.drop_duplicates("indicator")
    if "direction" not in ind.columns:
        return {}
    return dict(zip(ind["indicator"].astype(str), ind["direction"].astype(str), strict=True))


def priorities_table(pub: Published, texts: Texts, *, limit: int = PRIORITY_ROWS) -> Table:
    """The priority table of the report: one row per concept, values with units."""
    t = texts
    rows = priorities(pub, t, limit=limit)
    frame = pd.DataFrame(
        {
            "priority": [r.priority for r in rows],
            "label": [r.label for r in rows],
            "place": [r.place for r in rows],
            "also": [", ".join(r.places) for r in rows],
            "women": [r.women for r in rows],
            "men": [r.men for r in rows],
            "gap": [r.gap for r in rows],
            "reliability": [r.reliability for r in rows],
            "p_top_k": [r.p_top_k for r in rows],
        }
    )
    cols = [
        Column("priority", t["columns.priority"], "int"),
        Column("label", t["columns.label"]),
        Column("place", t["columns.place"]),
        Column("also", t["columns.worst_places"]),
        Column("women", t["columns.estimate_f"], "vtext"),
        Column("men", t["columns.estimate_m"], "vtext"),
        Column("gap", t["columns.gap_words"]),
        Column("reliability", t["columns.reliability"]),
        Column("p_top_k", t.get("columns.p_top_k", k=pub.top_k), "prob"),
    ]
    notes = [t.get("notes.priorities", n=len(pub.priorities), gaps=len(pub.ranking))]
    return Table("priorities", t["sections.ranking"], frame, cols, notes=notes)


# ----------------------------------------------------------------- citation cards, messages


def _source_line(pub: Published, texts: Texts) -> str:
    parts = [pub.organisation, pub.survey or pub.name]
    if pub.fieldwork:
        parts.append(texts.get("citation.fieldwork", period=pub.fieldwork))
    parts.append(str(pub.year))
    return texts.get("citation.source", source=", ".join(p for p in parts if p))


def _place_key(row: dict) -> tuple[str, str]:
    by = str(row.get("by", "total"))
    bv = row.get("by_value")
    return by, "" if bv is None or (isinstance(bv, float) and np.isnan(bv)) else str(bv)


def _citable_row(pub: Published, indicator: str, prefer: dict) -> dict | None:
    """The best-ranked published gap of an indicator whose women's and men's estimates are
    both reliable (the priority's own row first), with estimates, CIs and n — or None.

    The same in every language and for every number of cards: found once per run."""
    key = ("citable_row", indicator, *_place_key(prefer))
    found = memo(
        pub,
        key,
        lambda: _find_citable_row(pub, indicator, prefer),
        reads=(pub.ranking, pub.indicators, pub.labels),
    )
    return None if found is None else dict(found)


def _find_citable_row(pub: Published, indicator: str, prefer: dict) -> dict | None:
    rk = pub.ranking
    if rk.empty:
        return None
    rows = rk[rk["indicator"].astype(str) == indicator]
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].fillna(False).astype(bool)]
    wide = sex_wide(pub, by=None)
    wide = wide[wide["indicator"].astype(str) == indicator].copy()
    wide["_bv"] = wide["by_value"].fillna("").astype(str)

    def candidates():  # the ranked rows only when the priority's own row is not citable
        yield prefer
        yield from rows.to_dict("records")

    for cand in candidates():
        by, bv = _place_key(cand)
        hit = wide[(wide["by"] == by) & (wide["_bv"] == (bv if by != "total" else wide["_bv"]))]
        if hit.empty:
            continue
        out = hit.iloc[0].to_dict()
        rel = {str(out.get("reliability_f")), str(out.get("reliability_m"))}
        if rel == {"reliable"} and not bool(out.get("gap_suppressed")):
            return out
    return None


def _per_language(pub: Published, texts: Texts, key: tuple, build, reads: tuple = ()):
    """``build()`` once per bundle, language and ``key``: the HTML report, the workbook and
    the brief each ask for the same summary tables of a language."""
    reads = (texts, pub.ranking, pub.priorities, pub.indicators, *reads)
    return memo(pub, (*key, texts.lang), build, reads=reads)


def _copy_table(table: Table) -> Table:
    return Table(table.name, table.title, table.frame.copy(), list(table.columns),
                 list(table.notes))  # fmt: skip


def citation_cards(pub: Published, texts: Texts, *, limit: int = TOP) -> list[dict[str, str]]:
    """One citable sentence per top priority: women's and men's estimates with 95 % CI and n,
    the gap in words, the place; and the source line (organisation, survey, fieldwork, year).

    Only reliable estimates are quoted: a priority whose estimates are all imprecise gets a
    card saying so instead of numbers (``"cited": False``).
    """
    key = ("citation_cards", limit)
    cards = _per_language(pub, texts, key, lambda: _citation_cards(pub, texts, limit=limit))
    return [dict(c) for c in cards]


def _citation_cards(pub: Published, texts: Texts, *, limit: int) -> list[dict[str, str]]:
    t = texts
    labels = label_map(pub, t.lang)
    scales = scale_map(pub)
    direction = _directions(pub)
    source = _source_line(pub, t)
    cards = []
    for p in priorities(pub, t, limit=limit):
        row = _citable_row(pub, p.indicator, p.row)
        if row is None:
            cards.append(
                {
                    "title": p.label,
                    "sentence": t.get("citation.not_citable", label=p.label),
                    "source": source,
                    "cited": "",
                }
            )
            continue
        unit = measure_unit(p.indicator, scales.get(p.indicator))

        def v(x, unit=unit):
            return value_text(x, unit, t)

        sentence = t.get(
            "citation.sentence",
            place=place_text(row["by"], row.get("by_value"), pub, t),
            label=labels.get(p.indicator, p.indicator),
            f=v(row["estimate_f"]),
            f_low=v(row["ci_low_f"]),
            f_high=v(row["ci_high_f"]),
            m=v(row["estimate_m"]),
            m_low=v(row["ci_low_m"]),
            m_high=v(row["ci_high_m"]),
            n_f=format_number(row["n_f"], t.lang, digits=0),
            n_m=format_number(row["n_m"], t.lang, digits=0),
            gap=gap_words(row["gap"], direction.get(p.indicator, ""), unit, t),
        )
        cards.append({"title": p.label, "sentence": sentence, "source": source, "cited": "1"})
    return cards


def first_action(pub: Published, indicator: str, texts: Texts) -> str:
    """The first direct (else indirect) action answering an indicator, in the language."""
    for frame, key in ((pub.direct, "intervention"), (pub.indirect, "proposal")):
        if frame is None or frame.empty or "indicator" not in frame.columns:
            continue
        hit = frame[frame["indicator"].astype(str) == indicator]
        col = f"{key}_{texts.lang}" if f"{key}_{texts.lang}" in frame.columns else key
        if len(hit) and col in hit.columns:
            return str(hit[col].iloc[0])
    return ""


def key_messages(pub: Published, texts: Texts, *, limit: int = TOP) -> list[dict[str, str]]:
    """The 3–5 messages of the executive summary: what, how big, where, what to do."""
    t = texts
    out = []
    for p in priorities(pub, t, limit=limit):
        where = p.place if not p.places else f"{p.place} ({', '.join(p.places)})"
        text = t.get("summary.message", label=p.label, women=p.women, men=p.men, gap=p.gap)
        if not p.reliable:
            text += " " + t.get("summary.imprecise", reliability=p.reliability)
        out.append({"text": text, "where": where, "action": first_action(pub, p.indicator, t)})
    return out


# --------------------------------------------------------------------------- action tables


def _pick(row: dict, key: str, lang: str) -> str:
    for cand in (f"{key}_{lang}", key):
        v = row.get(cand)
        if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v):
            return str(v)
    return ""


def actions_by_action(pub: Published, texts: Texts, kind: str) -> Table:
    """One row per distinct action with the priorities and places it answers, who does it,
    the counterpart, the budget line or instrument, the indicator to follow and the evidence."""
    reads = (pub.direct, pub.indirect)
    table = _per_language(pub, texts, ("actions", kind), lambda: _actions(pub, texts, kind), reads)
    return _copy_table(table)


def _actions(pub: Published, texts: Texts, kind: str) -> Table:
    t = texts
    frame = pub.direct if kind == "direct" else pub.indirect
    title = t[f"sections.{kind}"]
    lang = t.lang
    if frame is None or frame.empty:
        return Table(kind, title, pd.DataFrame(), [])
    labels = label_map(pub, lang)
    frame = frame.sort_values(["rank", "gap_id"], kind="mergesort").copy()
    if "by" not in frame.columns or "by_value" not in frame.columns:
        # gap ids read indicator|by|by_value
        parts = frame["gap_id"].astype(str).str.split("|", expand=True).reindex(columns=[1, 2])
        frame["by"] = parts[1].fillna("total").to_numpy()
        frame["by_value"] = parts[2].fillna("").to_numpy()
    if "action_id" not in frame.columns:
        key = "intervention" if kind == "direct" else "proposal"
        col = next((c for c in (f"{key}_{lang}", key) if c in frame.columns), "indicator")
        frame["action_id"] = frame[col].astype(str)
    # the rows of each action in order of first appearance (as groupby(sort=False)), converted
    # to records in one pass rather than one conversion per action
    by_action: dict[object, list[dict]] = {}
    for aid, rec in zip(frame["action_id"], frame.to_dict("records"), strict=True):
        if not pd.isna(aid):  # groupby drops missing keys
            by_action.setdefault(aid, []).append(rec)
    rows = []
    for aid, recs in by_action.items():
        first = recs[0]
        answers = []
        for r in recs:
            where = place_text(r["by"], r.get("by_value"), pub, t)
            answers.append(f"{labels.get(str(r['indicator']), r['indicator'])} ({where})")
        evidence = [
            str(r.get(f"sentence_{lang}") or "")
            if not bool(r.get("suppressed", False))
            else t["sentences.suppressed_evidence"]
            for r in recs
        ]
        if kind == "direct":
            what = _pick(first, "intervention", lang) or _pick(first, "action", lang)
            who = _pick(first, "responsible", lang)
            budget = _pick(first, "budget", lang)
            follow = _pick(first, "follow_up", lang) or _pick(first, "output_indicator", lang)
        else:
            what = _pick(first, "proposal", lang)
            who = _pick(first, "authority", lang)
            budget = _pick(first, "budget", lang) or _pick(first, "instrument", lang)
            follow = _pick(first, "follow_up", lang)
        rows.append(
            {
                "priority": int(min(_num(r.get("rank")) for r in recs)),
                "action": what,
                "answers": "; ".join(dict.fromkeys(answers)),
                "who": who,
                "counterpart": _pick(first, "counterpart", lang),
                "budget": budget,
                "follow_up": follow,
                "evidence": " ".join(dict.fromkeys(e for e in evidence if e)),
                "action_id": aid,
            }
        )
    out = pd.DataFrame(rows).sort_values(["priority", "action_id"], kind="mergesort")
    # a catalogue without counterparts or budget lines: no empty columns
    cols = [
        Column("priority", t["columns.priority"], "int"),
        Column("action", t["columns.action"]),
        Column("answers", t["columns.answers"]),
        Column("who", t["columns.who"]),
        Column("counterpart", t["columns.counterpart"]),
        Column("budget", t["columns.budget"]),
        Column("follow_up", t["columns.follow_up"]),
        Column("evidence", t["columns.evidence"]),
    ]
    cols = [c for c in cols if c.kind != "text" or (out[c.key].astype(str) != "").any()]
    return Table(kind, title, out.reset_index(drop=True), cols)


def glossary(texts: Texts) -> list[tuple[str, str]]:
    """Acronyms used in the reports, spelled out: ``(acronym, meaning)`` sorted by acronym.

    The ``glossary.*`` texts read ``"ACRONYM = meaning"`` (acronyms differ by language).
    """
    keys = sorted(k for k in texts.keys() if k.startswith("glossary."))
    pairs = [texts[k].split(" = ", 1) for k in keys]
    return sorted((p[0], p[-1]) for p in pairs)


__all__ = [
    "Priority",
    "actions_by_action",
    "citation_cards",
    "gap_words",
    "glossary",
    "key_messages",
    "measure_unit",
    "place_text",
    "priorities",
    "priorities_table",
    "value_label",
    "value_text",
]


# ------------------------------------------------------------------------- readable indices

_MEASURES = ("H", "A", "M0", "5DE", "3DE", "GPI", "H_GPI", "I_GPI", "index")


def _ci_text(row: dict, texts: Texts, *, percent: bool) -> str:
    est, lo, hi = _num(row.get("estimate")), _num(row.get("ci_low")), _num(row.get("ci_high"))
    if math.isnan(est):
        return "–"

    def f(x: float) -> str:
        return format_percent(x, texts.lang) if percent else format_number(x, texts.lang, digits=3)

    if math.isnan(lo) or math.isnan(hi):
        return f(est)
    return f"{f(est)} ({f(lo)}–{f(hi)})"


def index_tables(pub: Published, texts: Texts) -> list[Table]:
    """Empowerment indices as readers read them: one table of measures (women, men, with
    95 % CI) and one of indicator contributions per WEAI-family index; the local gap index by
    area and rights component."""
    tables = _per_language(pub, texts, ("indices",), lambda: _indices(pub, texts), (pub.indices,))
    return [_copy_table(x) for x in tables]


def _indices(pub: Published, texts: Texts) -> list[Table]:
    t = texts
    out: list[Table] = []
    for name, frame in pub.indices.items():
        if {"measure", "sex", "estimate"} <= set(frame.columns):
            f = frame[frame.get("by", pd.Series("total", index=frame.index)) == "total"]
            rows = []
            for m in _MEASURES:
                key = name if m == "index" else m
                sub = f[f["measure"].astype(str) == key]
                if f["indicator"].notna().any() if "indicator" in f.columns else False:
                    sub = sub[sub["indicator"].isna() | (sub["indicator"].astype(str) == "")]
                if sub.empty:
                    continue
                pct = m in ("H", "A", "M0", "5DE", "3DE")
                by_sex = {
                    str(s): r for s, r in zip(sub["sex"], sub.to_dict("records"), strict=True)
                }
                if set(by_sex) & {"F", "M"}:
                    women = _ci_text(by_sex["F"], t, percent=pct) if "F" in by_sex else "–"
                    men = _ci_text(by_sex["M"], t, percent=pct) if "M" in by_sex else "–"
                else:
                    women, men = _ci_text(sub.to_dict("records")[0], t, percent=pct), ""
                rows.append(
                    {"measure": t.value("measure", "index" if m == "index" else m), "women": women,
                     "men": men}
                )  # fmt: skip
            if rows:
                cols = [
                    Column("measure", t["columns.statistic"]),
                    Column("women", t["columns.women_idx"]),
                    Column("men", t["columns.men_idx"]),
                ]
                title = f"{name.upper().replace('PRO-', 'pro-')}: {t['sections.index_measures']}"
                out.append(Table(f"index_{name}", title, pd.DataFrame(rows), cols))
            contrib = f[f["measure"].astype(str) == "contribution"]
            if len(contrib):
                rows = []
                for ind, grp in contrib.groupby("indicator", sort=False):
                    by_sex = dict(zip(grp["sex"].astype(str), grp.to_dict("records"), strict=True))
                    rows.append(
                        {
                            "indicator": _weai_name(t, ind),
                            "women": _ci_text(by_sex["F"], t, percent=True)
                            if "F" in by_sex
                            else "–",
                            "men": _ci_text(by_sex["M"], t, percent=True) if "M" in by_sex else "–",
                        }
                    )
                cols = [
                    Column("indicator", t["columns.label"]),
                    Column("women", t["columns.contribution_f"]),
                    Column("men", t["columns.contribution_m"]),
                ]
                title = (
                    f"{name.upper().replace('PRO-', 'pro-')}: {t['sections.weai_decomposition']}"
                )
                out.append(Table(f"contrib_{name}", title, pd.DataFrame(rows), cols))
        elif {"area_type", "component", "value"} <= set(frame.columns):
            areas = frame[["area_type", "area"]].drop_duplicates().to_dict("records")
            rows = []
            for comp, grp in frame.groupby("component", sort=False):
                row = {"component": t.value("rights", comp)}
                for a in areas:
                    hit = grp[
                        (grp["area_type"] == a["area_type"])
                        & (
                            grp["area"].fillna("")
                            == (a["area"] if isinstance(a["area"], str) else "")
                        )
                    ]
                    rec = hit.rename(columns={"value": "estimate"}).to_dict("records")
                    row[f"a{len(row)}"] = _ci_text(rec[0], t, percent=False) if rec else "–"
                rows.append(row)
            cols = [Column("component", t["columns.statistic"])]
            for i, a in enumerate(areas, start=1):
                head = (
                    t["values.total"]
                    if a["area_type"] == "territory"
                    else pub.places.get(str(a["area"]), str(a["area"]))
                )
                cols.append(Column(f"a{i}", head))
            out.append(
                Table(f"index_{name}", t["sections.local_gap_index"], pd.DataFrame(rows), cols)
            )
    return out


def _weai_name(texts: Texts, key: object) -> str:
    k = f"weai.{key}"
    return texts[k] if k in texts.keys() else str(key).replace("_", " ")


# ------------------------------------------------------------------- indicators, in words


def _est_ci(row: dict, sfx: str, unit: str, texts: Texts, mark: str) -> str:
    if bool(row.get(f"suppressed_{sfx}", False)):
        return mark
    est = value_text(row.get(f"estimate_{sfx}"), unit, texts)
    lo, hi = row.get(f"ci_low_{sfx}"), row.get(f"ci_high_{sfx}")
    if est == "–" or math.isnan(_num(lo)) or math.isnan(_num(hi)):
        return est
    return f"{est} ({value_text(lo, unit, texts)}–{value_text(hi, unit, texts)})"


def indicators_text_table(pub: Published, texts: Texts, *, by: str = "total") -> Table:
    """Women and men (95 % CI), the gap in words, n, reliability — at one level, as text."""
    t = texts
    wide = sex_wide(pub, by=by)
    labels = label_map(pub, t.lang)
    mark = t["values.suppressed_mark"]
    rows = []
    for r in wide.to_dict("records"):
        ind = str(r["indicator"])
        unit = measure_unit(ind, r.get("scale"))
        rel = {str(r.get("reliability_f")), str(r.get("reliability_m"))}
        worst = next((x for x in ("unreliable", "caution") if x in rel), "")
        n_f = mark if r.get("suppressed_f") else format_number(r.get("n_f"), t.lang, digits=0)
        n_m = mark if r.get("suppressed_m") else format_number(r.get("n_m"), t.lang, digits=0)
        rows.append(
            {
                "label": labels.get(ind, ind),
                "place": value_label(by, r.get("by_value"), pub, t),
                "women": _est_ci(r, "f", unit, t, mark),
                "men": _est_ci(r, "m", unit, t, mark),
                "gap": mark
                if r.get("gap_suppressed")
                else gap_words(r.get("gap"), r.get("direction"), unit, t),
                "n": f"{n_f} / {n_m}",
                "reliability": t.value("", worst) if worst else "",
            }
        )
    frame = pd.DataFrame(
        rows, columns=["label", "place", "women", "men", "gap", "n", "reliability"]
    )
    cols = [Column("label", t["columns.label"])]
    if by != "total":
        cols.append(Column("place", t.value("by", by)))
    cols += [
        Column("women", f"{t['columns.estimate_f']} ({t['columns.ci']})"),
        Column("men", f"{t['columns.estimate_m']} ({t['columns.ci']})"),
        Column("gap", t["columns.gap_words"]),
        Column("n", f"{t['columns.n_f']} / {t['columns.n_m']}"),
        Column("reliability", t["columns.reliability"]),
    ]
    title = t["sections.indicators"] if by == "total" else t["sections.indicators_district"]
    return Table(f"indicators_{by}", title, frame, cols)
