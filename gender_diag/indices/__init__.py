"""Composite indices: Alkire–Foster, the WEAI family, GII, GDI and the gender gap index.

One small module per measure; presets (weights, cutoffs) are YAML data in
``surveys/catalogue/presets/``.
"""

from gender_diag.indices.alkire_foster import (
    AlkireFosterResult,
    alkire_foster,
    deprivations_from_achievements,
)
from gender_diag.indices.gdi import gdi
from gender_diag.indices.gggi import gggi, load_wef_weights, wef_gggi
from gender_diag.indices.gii import gii
from gender_diag.indices.presets import Preset, load_preset
from gender_diag.indices.weai import EmpowermentResult, GPIResult, WEAIResult, weai

__all__ = [
    "AlkireFosterResult",
    "EmpowermentResult",
    "GPIResult",
    "Preset",
    "WEAIResult",
    "alkire_foster",
    "deprivations_from_achievements",
    "gdi",
    "gggi",
    "gii",
    "load_preset",
    "load_wef_weights",
    "wef_gggi",
    "weai",
]
