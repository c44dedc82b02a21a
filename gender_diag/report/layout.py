"""Language-specific table layouts shared by the Excel workbook and the HTML report.

A :class:`Table` is a published frame plus an ordered list of :class:`Column` (frame column,
translated header, value kind). Kinds tell the writers how to format a value:

``text``; ``vtext`` (text already formatted as a value, aligned like a number); ``est`` (an estimate: a percentage when the row's ``unit`` is a proportion, else a
number); ``gap`` (difference of two estimates: percentage points for proportions); ``num``;
``int``; ``prob`` (0–1 shown as a percentage); ``p`` (p- or q-value, 3 decimals).

``Column.flag`` names the boolean column that marks the value as suppressed; writers then show
the suppression mark ("s") instead of the (blank) value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gender_diag.report.i18n import (
    Texts,
    format_number,
    format_numbers,
    format_percent,
    format_percents,
)
from gender_diag.report.tables import (
    PERCENT_UNITS,
    Published,
    is_percent,
    label_map,
    scale_map,
    sex_wide,
)
from gender_diag.report.wording import is_headed


@dataclass
class Column:
    key: str
    header: str
    kind: str = "text"
    flag: str | None = None


@dataclass
class Table:
    name: str
    title: str
    frame: pd.DataFrame
    columns: list[Column]
    notes: list[str] = field(default_factory=list)


def format_cell(value: object, kind: str, unit: object, texts: Texts) -> str:
    """Format one value for display (HTML, Word) in the language of ``texts``.

    Examples
    --------
    >>> from gender_diag.report.i18n import load_texts
    >>> format_cell(0.4567, "est", "proportion", load_texts("es"))
    '45,7\\xa0%'
    >>> format_cell(-0.123, "gap", "proportion", load_texts("en"))
    '−12.3 pp'
    >>> format_cell(3.14159, "est", "hours", load_texts("fr"))
    '3,14'
    """
    lang = texts.lang
    if kind in ("text", "vtext"):
        return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "–"
    if kind == "est":
        if is_percent(unit):
            return format_percent(value, lang)
        return format_number(value, lang, digits=2)
    if kind == "gap":
        if is_percent(unit):
            return format_number(float(value) * 100, lang, digits=1) + " pp"
        return format_number(value, lang, digits=2)
    if kind == "int":
        return format_number(value, lang, digits=0)
    if kind == "prob":
        return format_percent(value, lang, digits=0)
    if kind == "p":
        return format_number(value, lang, digits=3)
    return format_number(value, lang, digits=2)


def format_cells(values: object, kind: str, units: object, texts: Texts) -> list[str]:
    """:func:`format_cell` of a whole column at once (same strings): one formatting pass per
    number format instead of one call per cell.

    ``units`` holds each row's display scale (or one value for all rows).

    >>> from gender_diag.report.i18n import load_texts
    >>> format_cells([0.4567, None, 3.0], "est", ["proportion", "proportion", "hours"],
    ...              load_texts("es"))
    ['45,7\xa0%', '–', '3,00']
    """
    vals = pd.Series(values, dtype="object").reset_index(drop=True)
    n = len(vals)
    if kind in ("text", "vtext"):
        missing = vals.map(lambda v: v is None or (isinstance(v, float) and v != v)).to_numpy(bool)
        out = vals.astype(str)
        out[missing] = ""
        return out.tolist()
    lang = texts.lang
    if kind in ("est", "gap"):
        scales = units if isinstance(units, list | tuple | pd.Series | np.ndarray) else [units] * n
        pct = pd.Series(list(scales), dtype="object").astype(str).isin(PERCENT_UNITS).to_numpy()
    else:
        pct = np.zeros(n, dtype=bool)
    out = np.empty(n, dtype=object)
    if kind == "est":
        out[pct] = format_percents(vals[pct], lang)
        out[~pct] = format_numbers(vals[~pct], lang, digits=2)
    elif kind == "gap":
        num = pd.to_numeric(vals[pct], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(over="ignore"):
            num = num * 100
        out[pct] = [x if x == "–" else x + " pp" for x in format_numbers(num, lang, digits=1)]
        out[~pct] = format_numbers(vals[~pct], lang, digits=2)
    elif kind == "prob":
        out[:] = format_percents(vals, lang, digits=0)
    else:
        digits = {"int": 0, "p": 3}.get(kind, 2)
        out[:] = format_numbers(vals, lang, digits=digits)
    return out.tolist()


def _tr_by(frame: pd.DataFrame, texts: Texts, pub: Published) -> pd.DataFrame:
    """Disaggregation and group in words: names of places, the form's labels of categories."""
    out = frame.copy()
    if "by" in out.columns:
        out["by_label"] = _each_distinct(out["by"], lambda b: texts.value("by", b))
    if "by_value" in out.columns and "by" in out.columns:
        # one label per distinct (by, value) pair: tables repeat them down every indicator
        done: dict[tuple, str] = {}
        labels = []
        for b, v in zip(out["by"].tolist(), out["by_value"].tolist(), strict=True):
            key = (b, None if v is None or (isinstance(v, float) and v != v) else v)
            if key not in done:
                done[key] = "" if str(b) == "total" else value_label(b, v, pub, texts)
            labels.append(done[key])
        out["by_value"] = labels
    elif "by_value" in out.columns:
        codes = out["by_value"].fillna("").astype(str)
        out["by_value"] = codes.map(lambda c: pub.places.get(c, c))
    return out


def _flags(frame: pd.DataFrame, texts: Texts) -> pd.Series:
    """``unreliable;tie`` → ``poco confiable; empate``."""
    return (
        frame["flags"]
        .fillna("")
        .astype(str)
        .map(lambda f: "; ".join(texts.value("", x) for x in f.split(";") if x))
    )


def _rel(frame: pd.DataFrame, col: str, texts: Texts) -> pd.Series:
    return _each_distinct(
        frame[col].fillna("").astype(str), lambda r: texts.value("", r) if r else ""
    )


def _each_distinct(values: pd.Series, func) -> pd.Series:
    """``values.map(func)`` calling ``func`` once per distinct value."""
    distinct = pd.unique(values.to_numpy(dtype=object))
    return values.map(dict(zip(distinct, map(func, distinct), strict=True)))


def indicators_table(pub: Published, texts: Texts) -> Table:
    """Women and men side by side at the total level."""
    t = texts
    wide = sex_wide(pub, by="total")
    wide["label"] = wide["indicator"].map(label_map(pub, t.lang))
    for s in ("f", "m"):
        wide[f"reliability_{s}"] = _rel(wide, f"reliability_{s}", t)
    w, m = t["columns.estimate_f"], t["columns.estimate_m"]
    cols = [
        Column("label", t["columns.label"]),
        Column("estimate_f", w, "est", "suppressed_f"),
        Column("ci_low_f", f"{w}: {t['columns.ci_low']}", "est", "suppressed_f"),
        Column("ci_high_f", f"{w}: {t['columns.ci_high']}", "est", "suppressed_f"),
        Column("n_f", t["columns.n_f"], "int", "suppressed_f"),
        Column("reliability_f", f"{w}: {t['columns.reliability']}"),
        Column("estimate_m", m, "est", "suppressed_m"),
        Column("ci_low_m", f"{m}: {t['columns.ci_low']}", "est", "suppressed_m"),
        Column("ci_high_m", f"{m}: {t['columns.ci_high']}", "est", "suppressed_m"),
        Column("n_m", t["columns.n_m"], "int", "suppressed_m"),
        Column("reliability_m", f"{m}: {t['columns.reliability']}"),
        Column("gap", t["columns.gap"], "gap", "gap_suppressed"),
        Column("gap_ci_low", f"{t['columns.gap']}: {t['columns.ci_low']}", "gap", "gap_suppressed"),
        Column(
            "gap_ci_high", f"{t['columns.gap']}: {t['columns.ci_high']}", "gap", "gap_suppressed"
        ),
        Column("q_value", t["columns.q_value"], "p", "gap_suppressed"),
    ]
    cols = [c for c in cols if c.key in wide.columns]
    return Table("indicators", t["sections.indicators"], wide, cols)


def gaps_table(pub: Published, texts: Texts) -> Table:
    t = texts
    g = _tr_by(pub.gaps, t, pub)
    if g.empty:
        return Table("gaps", t["sections.gaps"], g, [])
    g["label"] = g["indicator"].map(label_map(pub, t.lang))
    g["scale"] = g["indicator"].map(scale_map(pub))
    if "reliability" in g.columns:
        g["reliability"] = _rel(g, "reliability", t)
    cols = [
        Column("label", t["columns.label"]),
        Column("by_label", t["columns.by"]),
        Column("by_value", t["columns.by_value"]),
        Column("estimate_f", t["columns.estimate_f"], "est", "suppressed"),
        Column("estimate_m", t["columns.estimate_m"], "est", "suppressed"),
        Column("gap", t["columns.gap"], "gap", "suppressed"),
        Column("gap_ci_low", f"{t['columns.gap']}: {t['columns.ci_low']}", "gap", "suppressed"),
        Column("gap_ci_high", f"{t['columns.gap']}: {t['columns.ci_high']}", "gap", "suppressed"),
        Column("ratio", t["columns.ratio"], "num", "suppressed"),
        Column("p_value", t["columns.p_value"], "p", "suppressed"),
        Column("q_value", t["columns.q_value"], "p", "suppressed"),
        Column("affected", t["columns.affected"], "int", "suppressed"),
        Column("reliability", t["columns.reliability"]),
    ]
    return Table("gaps", t["sections.gaps"], g, [c for c in cols if c.key in g.columns])


def disaggregations_table(pub: Published, texts: Texts) -> Table:
    t = texts
    d = _tr_by(pub.indicators[pub.indicators["by"] != "total"], t, pub)
    d["label"] = d["indicator"].map(label_map(pub, t.lang))
    d["sex_label"] = _each_distinct(d["sex"], lambda s: t.value("sex", s))
    d["reliability"] = _rel(d, "reliability", t)
    cols = [
        Column("label", t["columns.label"]),
        Column("by_label", t["columns.by"]),
        Column("by_value", t["columns.by_value"]),
        Column("sex_label", t["columns.sex"]),
        Column("estimate", t["columns.estimate"], "est", "suppressed"),
        Column("ci_low", t["columns.ci_low"], "est", "suppressed"),
        Column("ci_high", t["columns.ci_high"], "est", "suppressed"),
        Column("n", t["columns.n"], "int", "suppressed"),
        Column("cv", t["columns.cv"], "prob", "suppressed"),
        Column("reliability", t["columns.reliability"]),
    ]
    cols = [c for c in cols if c.key in d.columns]
    return Table("disaggregations", t["sections.disaggregations"], d.reset_index(drop=True), cols)


def indices_tables(pub: Published, texts: Texts) -> list[Table]:
    t = texts
    out = []
    for name, frame in pub.indices.items():
        cols = []
        for c in frame.columns:
            if pd.api.types.is_integer_dtype(frame[c]):
                kind = "int"
            elif pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
                frame[c]
            ):
                kind = "num"
            else:
                kind = "text"
            cols.append(Column(str(c), str(c), kind))
        out.append(Table(f"index_{name}", f"{t['columns.index']}: {name}", frame, cols))
    if not pub.weai.empty:
        w = pub.weai.copy()
        w["scale"] = "proportion"
        cols = [
            Column("index", t["columns.index"]),
            Column("indicator", t["columns.indicator"]),
            Column("contribution_f", t["columns.contribution_f"], "est"),
            Column("contribution_m", t["columns.contribution_m"], "est"),
        ]
        out.append(Table("weai_decomposition", t["sections.weai_decomposition"], w, cols))
    return out


def ranking_table(
    pub: Published, texts: Texts, *, criteria: bool = True, limit: int | None = None
) -> Table:
    """Ranked priority gaps with robustness columns and the "why".

    With ``criteria=False`` (HTML) the criterion and contribution columns are left out, and
    with ``limit`` only the first ``limit`` rows are shown (with a note); the workbook and the
    CSV keep everything.
    """
    t = texts
    r = _tr_by(pub.ranking, t, pub)
    notes = []
    if limit is not None and len(r) > limit:
        notes.append(t.get("notes.ranking_top", k=limit, n=len(r)))
        r = r.head(limit)
    if r.empty:
        return Table("ranking", t["sections.ranking"], r, [])
    r["label"] = r["indicator"].map(label_map(pub, t.lang))
    if "flags" in r.columns:
        r["flags"] = _flags(r, t)
    why = f"why_{t.lang}"
    cols = [
        Column("rank", t["columns.rank"], "int"),
        Column("label", t["columns.label"]),
        Column("by_label", t["columns.by"]),
        Column("by_value", t["columns.by_value"]),
        Column("score", t["columns.score"], "num"),
        Column("median_rank", t["columns.median_rank"], "int"),
        Column("rank_low", f"{t['columns.rank_interval']} (min)", "int"),
        Column("rank_high", f"{t['columns.rank_interval']} (max)", "int"),
        Column("p_top_k", t.get("columns.p_top_k", k=pub.top_k), "prob"),
        Column("flags", t["columns.flags"]),
        Column(why, t["columns.why"]),
    ]
    known = {c.key for c in cols} | {"gap_id", "indicator", "by", "by_value", "suppressed"}
    known |= {c for c in r.columns if c.startswith("why_")}
    # criteria and their contributions, whatever the ranking stage named them
    extra = [
        Column(c, c.replace("_", " "), "num")
        for c in r.columns
        if c not in known and pd.api.types.is_numeric_dtype(r[c]) and c != "by_label"
    ]
    if not criteria:
        extra = [c for c in extra if c.key == "gap"]
    cols = cols[:5] + extra + cols[5:]
    r["scale"] = r["indicator"].map(scale_map(pub))
    headers = {"gap": "columns.gap", "estimate_f": "columns.estimate_f"}
    headers["estimate_m"] = "columns.estimate_m"
    for c in extra:
        if c.key in headers:
            c.kind, c.flag, c.header = (
                ("gap" if c.key == "gap" else "est"),
                "suppressed",
                t[headers[c.key]],
            )
    cols = [c for c in cols if c.key in r.columns]
    return Table("ranking", t["sections.ranking"], r, cols, notes=notes)


def technical_table(pub: Published, texts: Texts) -> Table:
    """The ranking's technical columns: each criterion's raw value, normalised value (0–1)
    and contribution to the score, under translated headers; method ranks and P(rank 1)."""
    t = texts
    r = _tr_by(pub.ranking, t, pub)
    if r.empty:
        return Table("technical", t["sections.technical"], r, [])
    r["label"] = r["indicator"].map(label_map(pub, t.lang))
    r["scale"] = "number"
    cols = [
        Column("rank", t["columns.rank"], "int"),
        Column("label", t["columns.label"]),
        Column("by_label", t["columns.by"]),
        Column("by_value", t["columns.by_value"]),
        Column("score", t["columns.score"], "num", "suppressed"),
    ]
    names = [c["name"] for c in pub.criteria.get("criteria", [])] or sorted(
        c[5:] for c in r.columns if c.startswith("crit_")
    )
    labels = {
        c["name"]: c["labels"].get(t.lang, c["name"]) for c in pub.criteria.get("criteria", [])
    }
    for part in ("crit", "norm", "contrib"):
        for name in names:
            key = f"{part}_{name}"
            if key in r.columns:
                head = t.get(f"columns.{part}_of", criterion=labels.get(name, name))
                cols.append(Column(key, head, "num", "suppressed"))
    if "p_top_1" in r.columns:
        cols.append(Column("p_top_1", t["columns.p_top_1"], "prob"))
    return Table("technical", t["sections.technical"], r, cols)


def _action_table(frame: pd.DataFrame, pub: Published, texts: Texts, name: str) -> Table:
    t = texts
    a = frame.copy()
    title = t[f"sections.{name}"]
    if a.empty:
        return Table(name, title, a, [])
    a["label"] = a["indicator"].map(label_map(pub, t.lang))
    parts = a["gap_id"].astype(str).str.split("|", expand=True).reindex(columns=[0, 1, 2])
    a["by_label"] = parts[1].fillna("").map(lambda b: t.value("by", b) if b else "")
    a["by_value"] = parts[2].fillna("")
    sentence = f"sentence_{t.lang}"
    if sentence in a.columns:
        a[sentence] = (
            a[sentence]
            .astype("object")
            .where(~a["suppressed"].astype(bool), t["sentences.suppressed_evidence"])
        )
    cols = [
        Column("rank", t["columns.rank"], "int"),
        Column("label", t["columns.label"]),
        Column("by_label", t["columns.by"]),
        Column("by_value", t["columns.by_value"]),
    ]
    # whatever descriptive columns the action catalogue provides, in this language if possible
    keys = ("action", "intervention", "target_group", "responsible", "timing", "timeframe")
    keys += ("authority", "instrument", "proposal", "alignment", "level")
    for key in keys:
        for cand in (f"{key}_{t.lang}", key):
            if cand in a.columns:
                cols.append(Column(cand, t[f"columns.{key}"]))
                break
    if sentence in a.columns:
        cols.append(Column(sentence, t["columns.sentence"]))
    return Table(name, title, a, cols)


def direct_table(pub: Published, texts: Texts) -> Table:
    return _action_table(pub.direct, pub, texts, "direct")


def indirect_table(pub: Published, texts: Texts) -> Table:
    return _action_table(pub.indirect, pub, texts, "indirect")


def accounting_table(pub: Published, texts: Texts) -> Table:
    t = texts
    frame = pub.accounting.copy()
    if "table" in frame.columns:
        frame["table"] = frame["table"].astype(str).map(lambda x: t.value("table", x))
    cols = [
        Column(c, t[f"columns.{c}"], "text" if c == "table" else "int")
        for c in ("table", "rows_read", "rows_accepted", "rows_quarantined")
        if c in frame.columns
    ]
    return Table("accounting", t["sections.accounting"], frame, cols)


def issues_table(pub: Published, texts: Texts) -> Table:
    """Validation issues; the rule, severity, table and fix in the report language when the
    issue's ``reason`` code has a translation (``values.reason_<code>``, ``values.fix_<code>``),
    else as ingest wrote them."""
    t = texts
    frame = pub.issues.copy()
    if "reason" in frame.columns:
        codes = frame["reason"].fillna("").astype(str)
        rule = frame["rule"] if "rule" in frame.columns else codes
        frame["rule"] = [
            t.value("", f"reason_{c}") if f"values.reason_{c}" in t.keys() else str(r)
            for c, r in zip(codes, rule, strict=True)
        ]
        if "fix" in frame.columns:
            frame["fix"] = [
                t.value("", f"fix_{c}") if f"values.fix_{c}" in t.keys() else str(f)
                for c, f in zip(codes, frame["fix"], strict=True)
            ]
    for col, group in (("table", "table"), ("severity", "severity")):
        if col in frame.columns:
            frame[col] = frame[col].fillna("").astype(str).map(lambda x, g=group: t.value(g, x))
    cols = [
        Column(c, t[f"columns.{c}"], "text")
        for c in ("file", "table", "row", "column", "rule", "severity", "fix")
        if c in frame.columns
    ]
    return Table("issues", t["sections.issues"], frame, cols)


def provenance_table(pub: Published, texts: Texts) -> Table:
    t = texts
    cols = [Column("item", t["columns.item"]), Column("value", t["columns.value"])]
    return Table("provenance", t["sections.provenance"], pub.provenance, cols)


def methods_paragraphs(pub: Published, texts: Texts) -> list[str]:
    """The methods text, thresholds filled in."""
    keys = ("design", "indicators", "gaps", "indices", "ranking", "sdc", "reliability")
    values = {"threshold": pub.threshold, "sensitive_threshold": pub.sensitive_threshold}
    return [texts.get(f"methods.{k}", **values) for k in keys]


def sdc_notes(pub: Published, texts: Texts) -> list[str]:
    """Notes explaining suppression marks, reliability and the SDC summary."""
    log = pub.sdc_log
    counts = log["reason"].value_counts() if not log.empty else pd.Series(dtype=int)
    values = {"threshold": pub.threshold, "sensitive_threshold": pub.sensitive_threshold}
    return [
        texts.get("notes.suppressed", **values),
        texts["notes.sensitive"],
        texts["notes.reliability"],
        texts["notes.ci"],
        texts["notes.percent_points"],
        texts.get(
            "notes.sdc_summary",
            primary=int(counts.get("primary", 0)),
            secondary=int(counts.get("secondary", 0)),
            withheld=int(counts.get("sensitive_level", 0)),
            level=texts.value("by", pub.sensitive_min_level).lower(),
        ),
    ]


def finding_sentences(pub: Published, texts: Texts, *, limit: int = 5) -> list[str]:
    """Citation-ready key findings: estimate for women and men, CIs, n, gap and source."""
    from gender_diag.report.tables import key_findings

    t = texts
    rows = key_findings(pub, limit=limit)
    labels = label_map(pub, t.lang)
    source = t.get("sentences.source", name=pub.name, year=pub.year, version=pub.version)
    out = []
    for row in rows.itertuples(index=False):
        unit = row.scale
        pct = is_percent(unit)

        def f(v, unit=unit):
            return format_cell(v, "est", unit, t)

        gap = (
            format_number(float(row.gap) * 100, t.lang, digits=1)
            if pct
            else format_number(row.gap, t.lang, digits=2)
        )
        key = "sentences.finding_percent" if pct else "sentences.finding_value"
        if is_headed(getattr(row, "unit", "")):  # F/M = female-/male-headed households
            key += "_household"
        flags = {str(getattr(row, "reliability_f", "")), str(getattr(row, "reliability_m", ""))}
        worst = next((r for r in ("unreliable", "caution") if r in flags), "")
        suffix = f" [{t.value('', worst)}]" if worst else ""
        out.append(
            t.get(
                key,
                label=labels.get(row.indicator, row.indicator),
                f=f(row.estimate_f),
                m=f(row.estimate_m),
                f_low=f(row.ci_low_f),
                f_high=f(row.ci_high_f),
                m_low=f(row.ci_low_m),
                m_high=f(row.ci_high_m),
                n_f=format_number(row.n_f, t.lang, digits=0),
                n_m=format_number(row.n_m, t.lang, digits=0),
                gap=gap,
                source=source,
            )
            + suffix
        )
    return out


def all_tables(pub: Published, texts: Texts) -> list[Table]:
    """Every table in report order."""
    return [
        indicators_table(pub, texts),
        gaps_table(pub, texts),
        disaggregations_table(pub, texts),
        *indices_tables(pub, texts),
        ranking_table(pub, texts),
        direct_table(pub, texts),
        indirect_table(pub, texts),
        accounting_table(pub, texts),
        issues_table(pub, texts),
        provenance_table(pub, texts),
    ]


def value_label(by: object, code: object, pub: Published, texts: Texts) -> str:
    """Display label of a disaggregation value in the report language (from the form)."""
    by, code = str(by or ""), "" if code is None or pd.isna(code) else str(code)
    if by in ("", "total"):
        return texts["values.total"]
    if code in pub.places:
        return pub.places[code]
    labels = pub.value_labels.get(by, {})
    if code in labels:
        return labels[code].get(texts.lang) or code
    if by in ("sex", "head_sex"):
        return texts.value(by, code)
    if by == "age_band":
        if code.endswith("+"):
            return texts.get("values.age_plus", age=code[:-1])
        return texts.get("values.age_range", low=code.split("-")[0], high=code.split("-")[-1])
    return code


def place_text(by: object, code: object, pub: Published, texts: Texts) -> str:
    """``Distrito: Pomacanchi`` or ``Total``."""
    if str(by or "") in ("", "total"):
        return texts["values.total"]
    return f"{texts.value('by', by)}: {value_label(by, code, pub, texts)}"
