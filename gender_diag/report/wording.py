"""Words that match the unit: household indicators compare female- and male-headed households.

For household and parcel indicators the F and M rows are households headed by a woman and by
a man (``docs/contracts.md``: ``sex`` holds ``head_sex`` on those rows), not women and men.
Every place a report names an indicator — tables, sentences, charts, the policy table — reads
its label through :func:`unit_label`, so the comparison is named in the label itself; the
citation sentences use their own household templates (``sentences.finding_*_household``).
"""

from __future__ import annotations

#: Units whose F/M rows are female-/male-headed households.
HEADED_UNITS = frozenset({"household", "parcel"})

HEADED_SUFFIX = {
    "household": {
        "es": "hogares con jefa vs. con jefe",
        "fr": "ménages dirigés par une femme vs par un homme",
        "en": "female- vs male-headed households",
    },
    "parcel": {
        "es": "parcelas de hogares con jefa vs. con jefe",
        "fr": "parcelles des ménages dirigés par une femme vs par un homme",
        "en": "plots of female- vs male-headed households",
    },
}


def unit_label(label: str, unit: str, lang: str) -> str:
    """The indicator label naming the compared groups when they are not women and men.

    Examples
    --------
    >>> unit_label("Piped water at home", "household", "en")
    'Piped water at home (female- vs male-headed households)'
    >>> unit_label("Tiene celular", "respondent", "es")
    'Tiene celular'
    """
    words = HEADED_SUFFIX.get(str(unit), {}).get(lang)
    if not words or not isinstance(label, str) or label.endswith(f"({words})"):
        return label
    return f"{label} ({words})"


def is_headed(unit: object) -> bool:
    """True when an indicator's F/M rows are female-/male-headed households (or their plots)."""
    return str(unit) in HEADED_UNITS
