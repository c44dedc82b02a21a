"""Translated data dictionary of the tidy CSV files (their headers stay documented codes).

One file per report language beside the CSVs (``csv/diccionario_datos.csv``,
``csv/dictionnaire_donnees.csv``, ``csv/data_dictionary.csv``): file, column, description.
Descriptions come from the report texts: ``columns.<name>`` or ``dictionary.<name>``, with the
systematic parts spelled out — a ``_es``/``_fr``/``_en`` suffix (text in that language),
``_f``/``_m`` (women / men), ``crit_``/``norm_``/``contrib_`` (a ranking criterion's value,
normalised value and contribution) and ``rank_``/``score_`` (under a scoring method).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gender_diag.report.i18n import Texts
from gender_diag.report.tables import Published
from gender_diag.report.tidy_csv import tidy_tables, write_csv

_LANG_NAMES = {"es": "language_es", "fr": "language_fr", "en": "language_en"}


def describe(column: str, texts: Texts, criteria: dict[str, str] | None = None) -> str:
    """Description of one CSV column in the language of ``texts`` ("" when unknown).

    >>> from gender_diag.report.i18n import load_texts
    >>> describe("estimate_f", load_texts("es"))
    'Estimación para las mujeres'
    >>> describe("proposal_fr", load_texts("en"))
    'Proposal (text in French)'
    """
    t = texts
    keys = set(t.keys())
    criteria = criteria or {}

    def base(name: str) -> str:
        for key in (f"dictionary.{name}", f"columns.{name}"):
            if key in keys:
                return t.get(key, k=5) if "{k}" in t[key] else t[key]
        return ""

    direct = base(column)
    if direct:
        return direct
    for lang in ("es", "fr", "en"):
        if column.endswith(f"_{lang}") and base(column[:-3]):
            return t.get(
                "dictionary.in_language",
                text=base(column[:-3]),
                language=t[f"dictionary.{_LANG_NAMES[lang]}"],
            )
    for sfx, who in (("_f", "values.sex_F"), ("_m", "values.sex_M")):
        if column.endswith(sfx) and base(column[:-2]):
            return f"{base(column[:-2])} — {t[who].lower()}"
    for part in ("crit", "norm", "contrib"):
        if column.startswith(f"{part}_"):
            name = column[len(part) + 1 :]
            return t.get(f"columns.{part}_of", criterion=criteria.get(name, name))
    for part in ("rank", "score"):
        if column.startswith(f"{part}_"):
            return t.get(f"dictionary.{part}_method", method=column[len(part) + 1 :])
    return ""


def data_dictionary(pub: Published, texts: Texts) -> pd.DataFrame:
    """file, column, description for every column of every tidy CSV."""
    crit = {
        c["name"]: c["labels"].get(texts.lang, c["name"]) for c in pub.criteria.get("criteria", [])
    }
    rows = []
    for name, frame in tidy_tables(pub).items():
        for col in frame.columns:
            rows.append((f"{name}.csv", str(col), describe(str(col), texts, crit)))
    heads = [texts["dictionary.file"], texts["dictionary.column"], texts["dictionary.description"]]
    return pd.DataFrame(rows, columns=heads)


def write_dictionary(pub: Published, texts: Texts, out_dir: Path) -> Path:
    """Write the data dictionary of one language under ``out_dir`` (the CSV folder)."""
    return write_csv(data_dictionary(pub, texts), Path(out_dir) / texts["files.dictionary"])
