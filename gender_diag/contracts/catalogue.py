"""Reason catalogues: checks described as data, rendered into messages in es/fr/en.

A check of the data (at ingest, or any later stage that reports problems) finds its offending
rows in code and names one entry of a catalogue; the entry — a plain YAML file a
non-programmer can edit — says which stable reason code it reports, how severe it is, what it
does to the rows (keep them, quarantine them, blank the cell) and the rule, message and fix
templates in every language. Templates use ``str.format`` fields (``{column}``,
``{first_row}``); a field may hold one value or one value per offending row, and
:func:`render` fills them for every row at once.

The file is validated on load: every entry needs a known reason code, a known severity and
action, and templates in every language that use the same fields as the English one.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.errors import ConfigError

#: Severities of a validation problem, from the worst.
SEVERITIES = ("blocking", "error", "warning", "info")
#: Languages every user-facing template is written in.
LANGUAGES = ("en", "es", "fr")
#: What a check does to the rows it finds: report only, quarantine the rows, or set the
#: offending cells to missing.
ACTIONS = ("keep", "quarantine", "blank")


@dataclass(frozen=True)
class CheckSpec:
    """One catalogue entry: what a check reports and does.

    Attributes
    ----------
    id : str
        The check's name in the catalogue.
    reason : str
        Stable reason code written in the issues table.
    severity : str
        One of :data:`SEVERITIES`.
    action : str
        One of :data:`ACTIONS`.
    rule : str
        Template of the rule broken (technical, English); empty for the reason's description.
    message, fix : Mapping
        Language → template.
    """

    id: str
    reason: str
    severity: str
    action: str
    rule: str
    message: Mapping[str, str]
    fix: Mapping[str, str]


def template_fields(template: str) -> set[str]:
    """Names of the ``str.format`` fields of a template.

    Examples
    --------
    >>> sorted(template_fields("{key} shared by rows {rows!s}; {what:>3}."))
    ['key', 'rows', 'what']
    """
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _entry_problems(key: str, entry: object, reasons: Collection[str]) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{key}: not a mapping"]
    out = []
    if entry.get("reason") not in reasons:
        out.append(f"{key}: unknown reason code {entry.get('reason')!r}")
    if entry.get("severity") not in SEVERITIES:
        out.append(f"{key}: severity must be one of {', '.join(SEVERITIES)}")
    if entry.get("action", "keep") not in ACTIONS:
        out.append(f"{key}: action must be one of {', '.join(ACTIONS)}")
    if not isinstance(entry.get("rule", ""), str):
        out.append(f"{key}: rule must be text")
    for part in ("message", "fix"):
        texts = entry.get(part)
        if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
            out.append(f"{key}: {part} needs a text in each of {', '.join(LANGUAGES)}")
            continue
        if not all(isinstance(t, str) for t in texts.values()):
            out.append(f"{key}: every {part} must be text")
            continue
        try:
            want = template_fields(texts["en"])
            odd = [lang for lang, t in texts.items() if template_fields(t) != want]
        except ValueError as exc:
            out.append(f"{key}: {part} is not a valid template ({exc})")
            continue
        if odd:
            out.append(f"{key}: {part} in {', '.join(odd)} uses other fields than in en")
    extra = set(entry) - {"reason", "severity", "action", "rule", "message", "fix"}
    if extra:
        out.append(f"{key}: unknown key(s) {', '.join(sorted(extra))}")
    return out


def load_check_catalogue(path: str | Path, *, reasons: Collection[str]) -> dict[str, CheckSpec]:
    """Read and validate a check catalogue (YAML: check id → entry).

    Parameters
    ----------
    path : str or Path
        The YAML file.
    reasons : collection of str
        The stable reason codes an entry may report.

    Raises
    ------
    ConfigError
        Listing every problem of the file at once.
    """
    # imported here: config is loaded by the CLI anyway, and this module stays bottom-layer
    from gender_diag.config import read_yaml

    data = read_yaml(path, what="check catalogue")
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: the check catalogue must map check names to entries.")
    problems = [p for k, v in data.items() for p in _entry_problems(str(k), v, reasons)]
    if problems:
        raise ConfigError(
            f"{path}: the check catalogue is invalid: " + "; ".join(problems) + ". Fix: "
            "give each check a known reason, severity, action and a message and fix in "
            "en, es and fr using the same {fields}."
        )
    return {
        str(k): CheckSpec(
            id=str(k),
            reason=v["reason"],
            severity=v["severity"],
            action=v.get("action", "keep"),
            rule=v.get("rule", ""),
            message=dict(v["message"]),
            fix=dict(v["fix"]),
        )
        for k, v in data.items()
    }


def _per_row(value) -> bool:
    return isinstance(value, pd.Series | np.ndarray | list | tuple)


def _convert(value, conversion: str | None, spec: str) -> str:
    if conversion == "r":
        value = repr(value)
    elif conversion in ("s", "a"):
        value = str(value) if conversion == "s" else ascii(value)
    return format(value, spec)


def render(template: str, fields: Mapping[str, object], n: int) -> str | np.ndarray:
    """Fill a template for ``n`` rows at once.

    A field holding a Series, array or list gives one value per row (aligned by position);
    any other value is shared by every row. Returns one string when no field is per row,
    else an object array of ``n`` strings.

    Examples
    --------
    >>> render("{col} is required.", {"col": "age"}, 3)
    'age is required.'
    >>> render("Row {r}; {what}.", {"r": pd.Series([2, 7]), "what": "dropped"}, 2).tolist()
    ['Row 2; dropped.', 'Row 7; dropped.']
    """
    parsed = list(string.Formatter().parse(template))
    if not any(f and _per_row(fields[f]) for _, f, _, _ in parsed):
        return template.format(**fields)
    out = np.full(n, "", dtype=object)
    for literal, name, spec, conversion in parsed:
        out = out + literal
        if not name:
            continue
        value = fields[name]
        if not _per_row(value):
            out = out + _convert(value, conversion, spec or "")
        elif conversion or spec:
            out = out + np.array([_convert(v, conversion, spec) for v in value], dtype=object)
        else:
            text = pd.Series(np.asarray(value, dtype=object)).astype("string").fillna("<NA>")
            out = out + text.to_numpy(dtype=object)
    return out
