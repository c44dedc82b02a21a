"""The instrument's structure as the synthetic exports need it: fields, paths, choice lists.

Read from the CSV sources of ``surveys/instrument/src`` (the same files the XLSForm is built
from), so that every export column follows the form: order, Kobo group path, type and, for
``select_multiple``, the choice list that gives the dummy columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from gender_diag.resources import instrument_dir
from gender_diag.synth.instrument import read_sources

#: Question types that hold no value in an export.
_NO_VALUE = {"note", "begin group", "end group", "begin repeat", "end repeat"}


@dataclass(frozen=True)
class FormSpec:
    """Fields of the form in export order.

    Attributes
    ----------
    fields : DataFrame
        One row per exported field: ``name``, ``type`` (first word of the XLSForm type),
        ``list_name``, ``repeat`` (``""`` for the main sheet), ``path`` (Kobo group path
        joined with ``/``, from the form root), ``relpath`` (path relative to the repeat).
    choices : DataFrame
        ``list_name``, ``name``, labels, ``district`` (the community filter column).
    settings : dict
        The settings row (form_title, form_id, version, ...).
    """

    fields: pd.DataFrame
    choices: pd.DataFrame
    settings: dict

    def table_fields(self, repeat: str = "") -> pd.DataFrame:
        """Fields of the main sheet (``repeat=""``) or of one repeat, in form order."""
        return self.fields[self.fields["repeat"] == repeat]

    def codes(self, list_name: str) -> list[str]:
        """Choice codes of a list, in form order.

        Examples
        --------
        >>> load_form().codes("sex")
        ['F', 'M']
        """
        return self.choices.loc[self.choices["list_name"] == list_name, "name"].tolist()

    @property
    def repeats(self) -> list[str]:
        """Repeat names in form order."""
        return list(dict.fromkeys(r for r in self.fields["repeat"] if r))

    @property
    def main_sheet(self) -> str:
        """Kobo names the main sheet after the form title (Excel allows 31 characters)."""
        return str(self.settings.get("form_title") or self.settings["form_id"])[:31]


def _records(rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


@cache
def _load(src: str) -> FormSpec:
    sheets = read_sources(src)
    survey = _records(sheets["survey"])
    groups: list[str] = []
    repeat_stack: list[str] = []
    rows = []
    for typ, name in zip(survey["type"], survey["name"], strict=True):
        words = typ.split()
        if typ in ("begin group", "begin repeat"):
            groups.append(name)
            if typ == "begin repeat":
                repeat_stack.append(name)
            continue
        if typ in ("end group", "end repeat"):
            groups.pop()
            if typ == "end repeat":
                repeat_stack.pop()
            continue
        if typ in _NO_VALUE:
            continue
        repeat = repeat_stack[-1] if repeat_stack else ""
        path = "/".join([*groups, name])
        rel = path[len(repeat) + 1 :] if repeat else path
        rows.append(
            {
                "name": name,
                "type": words[0],
                "list_name": words[1] if len(words) > 1 else "",
                "repeat": repeat,
                "path": path,
                "relpath": rel,
            }
        )
    fields = pd.DataFrame(rows)
    choices = _records(sheets["choices"])
    settings = dict(zip(sheets["settings"][0], sheets["settings"][1], strict=True))
    return FormSpec(fields=fields, choices=choices, settings=settings)


def load_form(src_dir: str | Path | None = None) -> FormSpec:
    """Load the instrument structure from its CSV sources (cached).

    Parameters
    ----------
    src_dir : path, optional
        Folder of ``survey.csv``/``choices.csv``/``settings.csv``; default the bundled
        ``surveys/instrument/src``.

    Examples
    --------
    >>> form = load_form()
    >>> form.repeats
    ['roster', 'parcels', 'individual']
    >>> form.fields.set_index("name").loc["input_food_crops", "path"]
    'individual/decisions/input_food_crops'
    """
    src = Path(src_dir) if src_dir is not None else instrument_dir() / "src"
    return _load(str(src.resolve()))
