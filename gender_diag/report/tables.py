"""The published tables: disclosure control applied to a RunResult, then one tidy frame per table.

Every writer (CSV, Excel, HTML, Word, charts) reads a :class:`Published` bundle, never the
``RunResult`` directly, so nothing reaches a file before :func:`~gender_diag.report.sdc.apply_sdc`
has run, and no survey microdata (person or household rows) is ever carried along: only the
aggregate tables, the validation *accounting* and the validation issues (with the offending
cell value removed) are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.contracts.columns import PAIR_GAP_COLUMNS
from gender_diag.report.sdc import (
    DEFAULT_GEOGRAPHY,
    LOG_COLUMNS,
    already_applied,
    apply_sdc,
    as_flag,
    protect_gap_rows,
    require_columns,
    withheld_keys,
)

#: Units whose estimates are proportions in [0, 1] shown as percentages.
PERCENT_UNITS = frozenset({"proportion", "share", "prop"})
#: Indicator types whose estimates are proportions (docs/contracts.md §4, catalogue ``type``).
PERCENT_TYPES = frozenset({"proportion", "share", "share_women", "prop"})

GAP_VALUE_COLUMNS = (
    "estimate_f",
    "estimate_m",
    "ci_low_f",
    "ci_high_f",
    "ci_low_m",
    "ci_high_m",
    "n_f",
    "n_m",
    *PAIR_GAP_COLUMNS,
    "affected",
)
RANKING_REQUIRED = ("rank", "gap_id", "indicator", "score")
ACTION_REQUIRED = ("indicator", "gap_id", "rank")
RANKING_ROBUSTNESS = ("median_rank", "rank_low", "rank_high", "p_top_k")
#: Issue columns kept in the data-quality table; ``value`` (the offending cell) is left out
#: because it may be an identifier or a sensitive answer.
ISSUE_COLUMNS = ("file", "sheet", "table", "row", "column", "rule", "reason", "severity", "fix")


@dataclass
class Published:
    """Everything the writers may publish, after disclosure control."""

    indicators: pd.DataFrame
    gaps: pd.DataFrame
    ranking: pd.DataFrame
    direct: pd.DataFrame
    indirect: pd.DataFrame
    unmatched: pd.DataFrame
    indices: dict[str, pd.DataFrame]
    weai: pd.DataFrame
    accounting: pd.DataFrame
    issues: pd.DataFrame
    labels: pd.DataFrame
    provenance: pd.DataFrame
    sdc_log: pd.DataFrame
    threshold: int
    sensitive_threshold: int
    sensitive_min_level: str
    name: str
    year: str
    version: str
    date: str
    config_sha: str
    top_k: int = 5
    extra: dict[str, Any] = field(default_factory=dict)
    #: District and community codes → names (from the XLSForm choice lists), for display.
    places: dict[str, str] = field(default_factory=dict)
    #: One row per concept (best-ranked published gap), see
    #: :func:`gender_diag.prioritise.concepts.concept_priorities`.
    priorities: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Disaggregation → code → {lang: label} from the form's choice lists (mother tongue…).
    value_labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    #: Citation source: organisation, survey name, fieldwork period (``[diagnostic]``).
    organisation: str = ""
    survey: str = ""
    fieldwork: str = ""
    #: Ranking method, criteria and weights, for the workshop page (``prioritise.workshop_spec.criteria_info``).
    criteria: dict[str, Any] = field(default_factory=dict)
    #: Community code → district code (charts group communities by district).
    community_district: dict[str, str] = field(default_factory=dict)
    #: Language-independent frames derived from the tables above (:func:`memo`), computed
    #: once per run and shared by every writer and language.
    cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)


def memo(pub: Published, key: tuple, build: Any, *, reads: tuple = ()) -> Any:
    """``build()`` computed once per ``pub`` and ``key``.

    The writers ask for the same derived tables once per language and per output; the
    tables of a Published are not modified in place after :func:`publish`. ``reads`` are
    the frames ``build`` reads: a bundle whose frames were replaced since recomputes (their
    identities are part of the key, and they are kept alive so that an id is not reused).
    """
    full = (*key, *(id(r) for r in reads))
    if full not in pub.cache:
        pub.cache[full] = (reads, build())
    return pub.cache[full][1]


_KEEP_NUMBERS = frozenset({"rank", "median_rank", "rank_low", "rank_high", "p_top_k"})


def _numeric(frame: pd.DataFrame) -> list[str]:
    """Numeric columns that are not rank statistics (blanked on suppressed rows)."""
    return [
        c
        for c in frame.columns
        if c not in _KEEP_NUMBERS
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


def place_names(survey: Any) -> dict[str, str]:
    """District and community codes → their names, from the survey's choice lists.

    Place names are proper nouns, the same in every language, so the Spanish label is used.
    """
    choices = getattr(survey, "choices", None)
    if not isinstance(choices, pd.DataFrame) or "label_es" not in choices.columns:
        return {}
    rows = choices[choices["list_name"].isin(["district", "community"])].dropna(subset=["label_es"])
    return dict(zip(rows["name"].astype(str), rows["label_es"].astype(str), strict=True))


def value_labels(survey: Any, by: Sequence[str] = ()) -> dict[str, dict[str, dict[str, str]]]:
    """Labels of the codes of each disaggregation that is a select_one question of the form.

    Returns ``{by: {code: {"es": label, "fr": label, "en": label}}}``; a language without a
    label in the form falls back to the Spanish label, then to the code.
    """
    choices = getattr(survey, "choices", None)
    variables = getattr(survey, "variables", None)
    if not isinstance(choices, pd.DataFrame) or not isinstance(variables, pd.DataFrame):
        return {}
    if "list_name" not in variables.columns or "name" not in variables.columns:
        return {}
    lists = variables.dropna(subset=["list_name"]).drop_duplicates("name")
    lists = dict(zip(lists["name"].astype(str), lists["list_name"].astype(str), strict=True))
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name in by or lists:
        if name not in lists:
            continue
        rows = choices[choices["list_name"] == lists[name]]
        codes: dict[str, dict[str, str]] = {}
        for r in rows.to_dict("records"):
            code = str(r["name"])
            base = r.get("label_es")
            base = code if base is None or pd.isna(base) else str(base)
            codes[code] = {}
            for lang in ("es", "fr", "en"):
                v = r.get(f"label_{lang}")
                codes[code][lang] = base if v is None or pd.isna(v) else str(v)
        out[name] = codes
    return out


def nesting_from_survey(survey: Any) -> dict[str, dict[str, str]]:
    """Community → district mapping from the survey tables, when available."""
    tables = getattr(survey, "tables", None) or {}
    for frame in tables.values():
        if isinstance(frame, pd.DataFrame) and {"community", "district"} <= set(frame.columns):
            pairs = frame[["community", "district"]].dropna().drop_duplicates()
            return {
                "community": dict(
                    zip(pairs["community"].astype(str), pairs["district"].astype(str), strict=True)
                )
            }
    return {}


def _labels(result: Any, indicators: pd.DataFrame) -> pd.DataFrame:
    labels = result.labels if isinstance(result.labels, pd.DataFrame) else pd.DataFrame()
    ids = pd.Index(indicators["indicator"].astype(str).unique())
    if labels.empty:
        labels = pd.DataFrame({"indicator": ids})
    labels = labels.drop_duplicates("indicator").set_index("indicator")
    labels = labels.reindex(ids.union(labels.index.astype(str)))
    for lang in ("es", "fr", "en"):
        col = f"label_{lang}"
        if col not in labels.columns:
            labels[col] = np.nan
        labels[col] = (
            labels[col].astype("object").fillna(pd.Series(labels.index, index=labels.index))
        )
    if "unit" not in labels.columns and "unit" in indicators.columns:
        labels["unit"] = indicators.drop_duplicates("indicator").set_index("indicator")["unit"]
    return labels.rename_axis("indicator").reset_index()


def _weai_frames(indices: Mapping[str, Any]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    decomposition = []
    for name, res in indices.items():
        if isinstance(res, pd.Series):
            frame = res.rename("value").rename_axis("statistic").to_frame()
        elif isinstance(res, pd.DataFrame):
            frame = res
        elif hasattr(res, "to_frame"):
            frame = res.to_frame()
            if isinstance(frame, pd.Series):
                frame = frame.rename("value").rename_axis("statistic").to_frame()
            frame = pd.DataFrame(frame)
        else:
            continue
        # a meaningful index (e.g. statistic names) becomes a column; a plain range is dropped
        plain = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
        frame = frame.reset_index(drop=plain)
        frame.columns = [str(c) for c in frame.columns]
        frames[name] = frame
        women, men = getattr(res, "women", None), getattr(res, "men", None)
        cw = getattr(women, "contributions", None)
        cm = getattr(men, "contributions", None)
        if isinstance(cw, pd.Series):
            d = pd.DataFrame(
                {
                    "index": name,
                    "indicator": cw.index.astype(str),
                    "contribution_f": cw.to_numpy(dtype=float),
                }
            )
            if isinstance(cm, pd.Series):
                d["contribution_m"] = cm.reindex(cw.index).to_numpy(dtype=float)
            else:
                d["contribution_m"] = np.nan
            decomposition.append(d)
    weai = (
        pd.concat(decomposition, ignore_index=True)
        if decomposition
        else pd.DataFrame(columns=["index", "indicator", "contribution_f", "contribution_m"])
    )
    return frames, weai


def _first(mapping: Mapping[str, Any], *paths: str, default: Any = None) -> Any:
    """First non-empty value found at one of the dotted ``paths``.

    >>> _first({"a": {"b": 2}}, "x", "a.b")
    2
    """
    for path in paths:
        node: Any = mapping
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node not in (None, ""):
            return node
    return default


def _merge_logs(prior: pd.DataFrame | None, log: pd.DataFrame) -> pd.DataFrame:
    """Combine the log of an earlier disclosure-control pass (e.g. the pipeline's) with this one.

    A cell suppressed by the earlier pass reaches this pass with a blank ``n`` and would be
    logged again as "primary"; the earlier entry (with its true reason and ``n``) is kept.
    """
    if not isinstance(prior, pd.DataFrame) or prior.empty:
        return log
    prior = prior.reindex(columns=list(LOG_COLUMNS))
    cols = ["indicator", "by", "by_value", "sex"]

    def key(frame: pd.DataFrame) -> pd.Series:
        return frame[cols].astype("object").fillna("").astype(str).agg("|".join, axis=1)

    new = log[~key(log).isin(set(key(prior)))]
    return pd.concat([prior, new], ignore_index=True)


def _protect_index(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Blank the numbers of index rows computed on fewer than ``threshold`` people.

    Index results are published at the total level today; this guards any disaggregated
    index table that carries an unweighted ``n``.

    >>> f = pd.DataFrame({"by_value": ["a", "b"], "value": [0.5, 0.7], "n": [3, 40]})
    >>> _protect_index(f, 5)["value"].tolist()
    [nan, 0.7]
    """
    if "n" not in frame.columns:
        return frame
    n = pd.to_numeric(frame["n"], errors="coerce")
    small = (n < threshold).to_numpy()
    if not small.any():
        return frame
    out = frame.copy()
    for col in _numeric(out):
        if col != "n":
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
            out.loc[small, col] = np.nan
    out["suppressed"] = small
    return out


def _sha(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _without_secrets(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration without the salt: even a hash of it would allow guessing the salt.

    >>> _without_secrets({"input": {"salt": "s", "path": "x"}})
    {'input': {'path': 'x'}}
    """
    return {
        k: ({kk: vv for kk, vv in v.items() if kk != "salt"} if isinstance(v, Mapping) else v)
        for k, v in config.items()
    }


def _provenance_rows(prov: Mapping[str, Any]) -> pd.DataFrame:
    rows = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k in sorted(value, key=str):
                walk(f"{prefix}.{k}" if prefix else str(k), value[k])
        elif isinstance(value, list | tuple):
            rows.append((prefix, ", ".join(map(str, value))))
        else:
            rows.append((prefix, "" if value is None else str(value)))

    walk("", dict(prov))
    return pd.DataFrame(rows, columns=["item", "value"])


def _survey_quality(survey: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    report = getattr(survey, "report", None)
    accounting = pd.DataFrame(columns=["table", "rows_read", "rows_accepted", "rows_quarantined"])
    issues = pd.DataFrame(columns=list(ISSUE_COLUMNS))
    if report is None:
        return accounting, issues
    if hasattr(report, "accounting"):
        accounting = pd.DataFrame(report.accounting()).reset_index(drop=True)
    raw = getattr(report, "issues", None)
    if isinstance(raw, pd.DataFrame):
        from gender_diag.report.side_files import public_issues

        raw = public_issues(raw)
        issues = raw[[c for c in ISSUE_COLUMNS if c in raw.columns]].reset_index(drop=True)
    return accounting, issues


def publish(
    result: Any,
    *,
    threshold: int = 5,
    sensitive_threshold: int = 10,
    sensitive_min_level: str = "district",
    geography: tuple[str, ...] = DEFAULT_GEOGRAPHY,
    top_k: int = 5,
) -> Published:
    """Apply disclosure control to a :class:`~gender_diag.result.RunResult`.

    The indicator table is protected by :func:`apply_sdc`; the gap table, the ranking and
    both action tables inherit its decisions (rows about withheld sensitive cells removed;
    rows about suppressed pairs blanked and their number-quoting sentences replaced).
    """
    indicators = result.indicators
    if not isinstance(indicators, pd.DataFrame):
        raise TypeError("RunResult.indicators must be a DataFrame")
    settings = dict(
        threshold=threshold,
        sensitive_threshold=sensitive_threshold,
        sensitive_min_level=sensitive_min_level,
        geography=geography,
    )
    prior = getattr(result, "sdc_log", None)
    if already_applied(indicators, **settings) and isinstance(prior, pd.DataFrame):
        # the pipeline's one disclosure-control step already ran with these settings
        table, log = indicators.copy(), prior
    else:
        table, log = apply_sdc(indicators, nesting=nesting_from_survey(result.survey), **settings)
        log = _merge_logs(prior, log)
    for col in ("unit", "domain", "direction"):
        if col not in table.columns:
            table[col] = ""
    table["scale"] = display_scale(table)
    withheld = withheld_keys(indicators, table)
    fine = geography[geography.index(sensitive_min_level) + 1 :]
    sensitive = frozenset(table.loc[table["sensitive"], "indicator"].astype(str))
    if "sensitive" in indicators.columns:
        sensitive |= frozenset(
            indicators.loc[as_flag(indicators["sensitive"]).to_numpy(), "indicator"].astype(str)
        )
    guard = {"sensitive": sensitive, "too_fine": fine}
    labels = _labels(result, table)

    gaps = result.gaps if isinstance(result.gaps, pd.DataFrame) else pd.DataFrame()
    if not gaps.empty:
        require_columns(gaps, ["indicator", "by", "by_value"], table="gaps")
    gaps = protect_gap_rows(gaps, table, withheld, value_columns=GAP_VALUE_COLUMNS, **guard)

    ranking = result.ranking if isinstance(result.ranking, pd.DataFrame) else pd.DataFrame()
    if not ranking.empty:
        require_columns(ranking, RANKING_REQUIRED, table="ranking")
    # criteria such as a normalised gap size or the number of women affected would reveal a
    # suppressed value: every number of a suppressed row is blanked except its rank statistics.
    ranking = protect_gap_rows(ranking, table, withheld, value_columns=_numeric(ranking), **guard)

    actions = []
    for frame in (result.direct_actions, result.indirect_actions):
        frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()
        if not frame.empty:
            require_columns(frame, ACTION_REQUIRED, table="actions")
        sentences = [c for c in frame.columns if c.startswith("sentence_")]
        actions.append(
            protect_gap_rows(
                frame,
                table,
                withheld,
                value_columns=_numeric(frame),
                text_columns=sentences,
                suppressed_text="",
                **guard,
            )
        )

    unmatched = result.unmatched if isinstance(result.unmatched, pd.DataFrame) else pd.DataFrame()
    if not unmatched.empty and "gap_id" in unmatched.columns:
        unmatched = protect_gap_rows(
            unmatched, table, withheld, value_columns=GAP_VALUE_COLUMNS, **guard
        )
    # ranks under each method, method agreement and leave-one-criterion-out ranks
    detail = dict(getattr(result, "ranking_detail", None) or {})
    extra = {f"ranking_{k}": v for k, v in detail.items() if k != "excluded"}
    indices, weai = _weai_frames(dict(result.indices or {}))
    indices = {k: _protect_index(v, threshold) for k, v in indices.items()}
    protected_extra = {}
    for key, frame in extra.items():
        if isinstance(frame, pd.DataFrame) and "gap_id" in frame.columns:
            values = [c for c in _numeric(frame) if not str(c).startswith("rank")]
            protected_extra[key] = protect_gap_rows(
                frame, table, withheld, value_columns=values, **guard
            )
        elif isinstance(frame, pd.DataFrame):
            protected_extra[key] = frame  # e.g. Kendall tau between methods: no cell values
    couples = getattr(result, "couples", None)
    if isinstance(couples, pd.DataFrame) and len(couples):
        # small rows are suppressed by the pipeline; sensitive ones never go below the minimum
        too_fine = couples["indicator"].isin(sensitive) & couples["by"].isin(fine)
        protected_extra["couples"] = couples[~too_fine]
    accounting, issues = _survey_quality(result.survey)
    prov = dict(result.provenance or {})
    config = dict(result.config or {})
    date = str(_first(prov, "date", "timestamp", "created", default="2000-01-01T00:00:00+00:00"))
    name = _first(
        config, "diagnostic.title", "title", "diagnostic.name", "name", "project.name", default=None
    )
    name = name or _first(prov, "name", "project", default="gender_diag")
    version = _first(prov, "version", "package_version", "gender_diag_version", default="")
    config_sha = _first(prov, "config_sha256", "config.sha256", "config_hash", default=None)
    return Published(
        indicators=table,
        gaps=gaps,
        ranking=ranking.sort_values("rank", kind="mergesort").reset_index(drop=True)
        if "rank" in ranking.columns
        else ranking,
        direct=actions[0],
        indirect=actions[1],
        unmatched=unmatched,
        indices=indices,
        weai=weai,
        accounting=accounting,
        issues=issues,
        labels=labels,
        provenance=_provenance_rows(prov),
        sdc_log=log,
        threshold=threshold,
        sensitive_threshold=sensitive_threshold,
        sensitive_min_level=sensitive_min_level,
        name=str(name),
        year=str(_first(config, "diagnostic.year", "year", "survey.year", default=date[:4])),
        version=str(version),
        date=date,
        config_sha=str(config_sha or _sha(_without_secrets(config)))[:12],
        top_k=top_k,
        extra=protected_extra,
        places=place_names(result.survey),
        priorities=_priorities(ranking, labels),
        value_labels=value_labels(result.survey),
        organisation=str(_first(config, "diagnostic.organisation", default="") or ""),
        survey=str(_first(config, "diagnostic.survey", default="") or ""),
        fieldwork=str(_first(config, "diagnostic.fieldwork", default="") or ""),
        criteria=_criteria(result),
        community_district=dict(nesting_from_survey(result.survey).get("community", {})),
    )


def _criteria(result: Any) -> dict[str, Any]:
    from gender_diag.prioritise.workshop_spec import criteria_info

    return criteria_info(result)


def _priorities(ranking: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    from gender_diag.prioritise.concepts import concept_map, concept_priorities

    if ranking.empty or "rank" not in ranking.columns:
        return pd.DataFrame()
    return concept_priorities(ranking, concept_map(labels))


def display_scale(indicators: pd.DataFrame) -> pd.Series:
    """How each row's estimate is displayed: ``"proportion"`` (as a percentage) or another
    scale (as a number).

    The catalogue's ``type`` says what the estimate is (``proportion``, ``share_women``,
    ``mean``...); ``unit`` is the unit of analysis (respondent, household...) and is used only
    when ``type`` is absent.

    >>> display_scale(pd.DataFrame({"type": ["proportion", "mean", "share_women"],
    ...                             "unit": ["respondent", "household", "respondent"]})).tolist()
    ['proportion', 'mean', 'proportion']
    """
    if "type" in indicators.columns:
        kind = indicators["type"].astype("object").fillna("").astype(str).str.lower()
    else:
        kind = pd.Series("", index=indicators.index)
    unit = (
        indicators["unit"].astype("object").fillna("").astype(str).str.lower()
        if "unit" in indicators.columns
        else pd.Series("", index=indicators.index)
    )
    percent = kind.isin(PERCENT_TYPES) | ((kind == "") & unit.isin(PERCENT_UNITS))
    return pd.Series(
        np.where(percent, "proportion", np.where(kind != "", kind, unit)),
        index=indicators.index,
        dtype="object",
    )


def is_percent(unit: object) -> bool:
    """Whether an indicator unit is a proportion shown as a percentage.

    >>> is_percent("proportion"), is_percent("hours")
    (True, False)
    """
    return str(unit) in PERCENT_UNITS


def label_map(pub: Published, lang: str) -> dict[str, str]:
    """Indicator code → label in ``lang`` (household units name the headed households)."""
    from gender_diag.report.wording import unit_label

    units = pub.labels["unit"] if "unit" in pub.labels.columns else [""] * len(pub.labels)
    return {
        str(k): unit_label(str(lab), str(u), lang)
        for k, lab, u in zip(
            pub.labels["indicator"], pub.labels[f"label_{lang}"], units, strict=True
        )
    }


def scale_map(pub: Published) -> dict[str, str]:
    """Indicator code → display scale (``"proportion"`` for values shown as percentages)."""
    scales = pub.indicators.drop_duplicates("indicator").set_index("indicator")["scale"]
    return {str(k): str(v) for k, v in scales.items()}


def sex_wide(pub: Published, *, by: str | None = "total") -> pd.DataFrame:
    """Women and men side by side, one row per indicator × group (published cells only).

    Columns: ``indicator, by, by_value, unit, estimate_f, ci_low_f, ci_high_f, n_f,
    reliability_f, suppressed_f`` and the same for ``_m``, then the gap columns.
    Computed once per bundle and level; each call gets its own copy.
    """
    reads = (pub.indicators, pub.labels)
    return memo(pub, ("sex_wide", by), lambda: _sex_wide(pub, by=by), reads=reads).copy()


def _sex_wide(pub: Published, *, by: str | None) -> pd.DataFrame:
    ind = pub.indicators
    if by is not None:
        ind = ind[ind["by"] == by]
    key = ["indicator", "by", "by_value"]
    value_cols = ["estimate", "ci_low", "ci_high", "n", "reliability", "suppressed"]
    value_cols += [c for c in ("cv", "population", "affected") if c in ind.columns]
    f = ind[ind["sex"] == "F"].set_index(key)[value_cols].add_suffix("_f")
    m = ind[ind["sex"] == "M"].set_index(key)[value_cols].add_suffix("_m")
    gap_cols = [
        c
        for c in ("gap", "gap_ci_low", "gap_ci_high", "ratio", "p_value", "q_value")
        if c in ind.columns
    ]
    first = ind.drop_duplicates(key).set_index(key)
    meta = ["unit", "scale", "domain", "direction", *gap_cols, "sensitive", "gap_suppressed"]
    wide = first[meta].join(f).join(m)
    order = {k: i for i, k in enumerate(pub.labels["indicator"])}
    wide = wide.reset_index()
    wide["_o"] = wide["indicator"].map(order)
    return (
        wide.sort_values(["_o", "by", "by_value"], kind="mergesort")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def key_findings(pub: Published, *, limit: int = 5) -> pd.DataFrame:
    """The rows quoted as key findings: top-ranked indicators at the total level, published.

    Falls back to the total-level gaps with the smallest q-value when there is no ranking.
    """
    wide = sex_wide(pub, by="total")
    wide = wide[~wide["gap_suppressed"].astype(bool)]
    if not pub.ranking.empty:
        ranked = pub.ranking[~pub.ranking["suppressed"].astype(bool)]
        order = ranked.drop_duplicates("indicator")["indicator"].astype(str).tolist()
    else:
        srt = wide.sort_values("q_value" if "q_value" in wide.columns else "indicator")
        order = srt["indicator"].astype(str).tolist()
    pos = {k: i for i, k in enumerate(order)}
    wide = wide[wide["indicator"].isin(pos)].copy()
    wide["_o"] = wide["indicator"].map(pos)
    return wide.sort_values("_o").drop(columns="_o").head(limit).reset_index(drop=True)
