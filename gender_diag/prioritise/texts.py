"""Sentence templates (``surveys/catalogue/ranking_texts.yaml``) and number formatting.

Spanish and French use the decimal comma and a space before ``%`` ("23 %", "4,5");
English the decimal point and no space ("23%", "4.5").
"""

from __future__ import annotations

import math
import string
from functools import lru_cache
from pathlib import Path

from gender_diag.config import read_yaml
from gender_diag.contracts.display import settle
from gender_diag.errors import ConfigError
from gender_diag.resources import catalogue_dir

LANGS = ("es", "fr", "en")
_REQUIRED = {
    "why": ("sentence", "against", "and", "stability", "no_stability", "flags"),
    "evidence": ("proportion", "mean"),
    "place": ("total", "district", "default"),
}
_FIELDS = {
    ("why", "sentence"): {"rank", "n", "drivers", "against", "stability", "flags"},
    ("why", "against"): {"criteria"},
    ("why", "stability"): {"p_top_k", "top_k", "rank_low", "rank_high"},
    ("evidence", "proportion"): {"place", "label", "f", "f_low", "f_high", "m", "m_low", "m_high",
                                 "n_f", "n_m", "unit"},
    ("evidence", "mean"): {"place", "label", "f", "f_low", "f_high", "m", "m_low", "m_high",
                           "n_f", "n_m", "unit"},
}  # fmt: skip


def load_texts(path: str | Path | None = None) -> dict:
    """Load and validate the text templates (every language, every key, known fields only).

    Examples
    --------
    >>> t = load_texts()
    >>> sorted(t["why"])
    ['en', 'es', 'fr']
    """
    path = Path(path) if path is not None else catalogue_dir() / "ranking_texts.yaml"
    return _load(str(path))


@lru_cache(maxsize=8)
def _load(path: str) -> dict:
    raw = read_yaml(path, what="ranking text file")
    problems = []
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping with sections why, evidence, place.")
    for section, keys in _REQUIRED.items():
        sec = raw.get(section)
        if not isinstance(sec, dict):
            problems.append(f"section {section!r} is missing")
            continue
        for lang in LANGS:
            block = sec.get(lang)
            if not isinstance(block, dict):
                problems.append(f"{section}.{lang}: missing (needs {', '.join(keys)})")
                continue
            for key in keys:
                if key not in block:
                    problems.append(f"{section}.{lang}.{key}: missing text")
                    continue
                allowed = _FIELDS.get((section, key))
                if allowed is not None:
                    used = {f for _, f, _, _ in string.Formatter().parse(block[key]) if f}
                    if used - allowed:
                        problems.append(
                            f"{section}.{lang}.{key}: unknown placeholder(s) "
                            f"{sorted(used - allowed)}; allowed: {sorted(allowed)}"
                        )
    if problems:
        raise ConfigError(f"{path} is invalid:\n- " + "\n- ".join(problems))
    return raw


def fmt_number(x: float, lang: str, digits: int = 1) -> str:
    """Format a number with the language's decimal mark.

    Examples
    --------
    >>> fmt_number(4.56, "es"), fmt_number(4.56, "en"), fmt_number(1234.0, "fr", 0)
    ('4,6', '4.6', '1234')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = settle(float(x))  # the same digits whichever engine computed x
    s = f"{x:.{digits}f}"
    return s.replace(".", ",") if lang in ("es", "fr") else s


def fmt_percent(p: float, lang: str, digits: int = 0) -> str:
    """Format a proportion (0–1) as a percentage.

    Examples
    --------
    >>> fmt_percent(0.23, "es"), fmt_percent(0.234, "en", 1)
    ('23 %', '23.4%')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    s = fmt_number(100 * p, lang, digits)
    return f"{s} %" if lang in ("es", "fr") else f"{s}%"


def fmt_count(n: float) -> str:
    """Whole count or a dash."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    return str(int(round(float(n))))
