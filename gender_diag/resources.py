"""Locate the editable data files shipped with gender_diag.

In a source checkout (editable install) the files live in ``surveys/`` at the project root so
that a non-programmer edits them in place; in a wheel they are copied to ``gender_diag/_data``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent / "surveys"
_WHEEL = _PACKAGE / "_data"


def surveys_dir() -> Path:
    """Folder holding ``catalogue/``, ``instrument/`` and ``example/``."""
    return _CHECKOUT if _CHECKOUT.is_dir() else _WHEEL


def catalogue_dir() -> Path:
    """Folder of the indicator, preset, criteria and action catalogues (YAML)."""
    return surveys_dir() / "catalogue"


def instrument_dir() -> Path:
    """Folder of the XLSForm survey instrument and its text sources."""
    return surveys_dir() / "instrument"


def example_dir() -> Path:
    """Folder of the bundled example survey and its ``diagnostic.toml``."""
    return surveys_dir() / "example"
