"""The result of a whole diagnostic run, shared by the pipeline and the report writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class RunResult:
    """Everything one ``gd.run(config)`` produced.

    Attributes
    ----------
    survey : Survey
        Ingested survey (tables without identifiers, validation report, labels).
    indicators : DataFrame
        Long indicator table (docs/contracts.md §4), after disclosure control.
    gaps : DataFrame
        One row per indicator × disaggregation × group value (``gap_table``).
    couples : DataFrame
        Share of couples where the woman is worse off than the man, per indicator.
    catalogue : Catalogue
        The indicator catalogue used.
    skipped_indicators : DataFrame
        Catalogue indicators the data cannot support (``indicator, reason``).
    skipped : DataFrame
        Optional parts of the run the data cannot support (couple comparisons, WEAI inputs,
        local gap index, disaggregations): ``stage, item, reason`` (:mod:`gender_diag.skips`).
    indices : dict
        Name → index result (e.g. ``"a-weai"`` → WEAI result with ``to_frame()``;
        ``"local_gap"`` → DataFrame).
    ranking : DataFrame
        Ranked priority gaps with robustness columns (``Ranking.table``).
    ranking_detail : dict
        Further ranking tables: ``methods`` (ranks under each method), ``agreement``
        (Kendall tau between methods), ``loo`` (leave-one-criterion-out ranks), ``excluded``
        (suppressed gaps, listed without figures).
    ranking_result : Ranking
        The ranking object itself (method, draws, ``top(n)``).
    direct_actions, indirect_actions, unmatched : DataFrame
        Recommendation tables and the gaps no catalogue action answers.
    labels : DataFrame
        Indicator metadata for reports: indicator, domain, label_es/fr/en, definition_es/fr/en,
        unit, direction, standard, sensitive.
    config : dict
        The validated configuration (thresholds, languages, names).
    provenance : dict
        Input SHA-256 digests, configuration, package version, date and seeds.
    sdc_log : DataFrame
        What disclosure control suppressed and why.
    outputs : list of Path
        Files written.
    changes : DataFrame
        With ``[[rounds]]``: change since the baseline (``gd.compare_rounds`` frame).
    change_detail : dict
        With ``[[rounds]]``: ``levels`` (each round's estimates), ``skipped`` (indicators not
        comparable and why), ``rounds``, ``priorities`` (the baseline's top gaps), ``treatment``.
    """

    survey: Any = None
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    couples: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped_indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)
    catalogue: Any = None
    indices: dict[str, Any] = field(default_factory=dict)
    ranking: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranking_detail: dict[str, pd.DataFrame] = field(default_factory=dict)
    ranking_result: Any = None
    direct_actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    indirect_actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    sdc_log: pd.DataFrame = field(default_factory=pd.DataFrame)
    outputs: list[Path] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    change_detail: dict[str, Any] = field(default_factory=dict)
