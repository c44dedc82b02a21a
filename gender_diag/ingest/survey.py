"""The :class:`Survey` container returned by every reader (docs/contracts.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from gender_diag.ingest.report import ValidationReport

VARIABLE_COLUMNS = [
    "table",
    "name",
    "type",
    "list_name",
    "label_es",
    "label_en",
    "label_fr",
    "relevant",
    "sensitive",
    "identifier",
]
CHOICE_COLUMNS = ["list_name", "name", "label_es", "label_en", "label_fr"]


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=cols)


@dataclass
class Survey:
    """Tidy survey tables with their metadata and validation report.

    Attributes
    ----------
    tables : dict of str to DataFrame
        ``households``, ``members``, ``parcels``, ``respondents`` (those present), linked by
        ``hhid`` (and ``line`` for people). Every table carries ``hhid``, ``district``,
        ``community`` and, when a design file was given, ``weight``, ``fpc``, ``fpc2``.
    report : ValidationReport
        Every problem found, row accounting and quarantined rows.
    variables : DataFrame
        table, name, type, list_name, label_es, label_en, label_fr, relevant, sensitive,
        identifier (plus path, required, constraint when read from an XLSForm).
    choices : DataFrame
        list_name, name, label_es, label_en, label_fr.
    design : dict
        Column names of the design: weight, strata, psu, fpc, ssu, fpc2 (None when absent).
    source : dict
        Path of every input file read → its sha256.
    """

    tables: dict[str, pd.DataFrame]
    report: ValidationReport = field(default_factory=ValidationReport)
    variables: pd.DataFrame = field(default_factory=lambda: _empty(VARIABLE_COLUMNS))
    choices: pd.DataFrame = field(default_factory=lambda: _empty(CHOICE_COLUMNS))
    design: dict = field(
        default_factory=lambda: dict(
            weight=None, strata=None, psu=None, fpc=None, ssu=None, fpc2=None
        )
    )
    source: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={len(v)}" for k, v in self.tables.items())
        return f"<Survey {shapes}; valid={self.report.valid}>"

    def labels(self, table: str, column: str, *, lang: str = "es") -> dict:
        """Code → label mapping of a coded column in one language (empty if not coded).

        Examples
        --------
        >>> s = Survey(tables={}, variables=pd.DataFrame({"table": ["members"],
        ...     "name": ["sex"], "list_name": ["sex"]}),
        ...     choices=pd.DataFrame({"list_name": ["sex", "sex"], "name": ["F", "M"],
        ...     "label_es": ["Mujer", "Hombre"]}))
        >>> s.labels("members", "sex")
        {'F': 'Mujer', 'M': 'Hombre'}
        """
        v = self.variables
        hit = v[(v["table"] == table) & (v["name"] == column)]
        if not len(hit) or pd.isna(hit["list_name"].iloc[0]):
            return {}
        ch = self.choices[self.choices["list_name"] == hit["list_name"].iloc[0]]
        col = f"label_{lang}"
        if col not in ch:
            return {}
        return dict(zip(ch["name"], ch[col], strict=True))
