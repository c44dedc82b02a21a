"""Synthetic surveys with a known design and planted gender gaps, and the survey instrument.

>>> import gender_diag.synth as synth
>>> s = synth.generate(80, seed=2)
>>> s.truth.columns.tolist()[:6]
['quantity', 'by', 'by_value', 'sex', 'value', 'persons']

Stages: :func:`population` (finite population with planted quantities) →
:func:`draw_sample` (stratified two-stage SRSWOR, weights and fpc) → :func:`generate`
(rendered Kobo-shaped tables, design, truth, optional planted errors) → writers
(:func:`write_kobo_xlsx`, :func:`write_kobo_csv`, :func:`write_odk_csv`,
:func:`write_survey`). :func:`main_synth` is the command-line entry. The XLSForm is built by
:func:`build_xlsform` from ``surveys/instrument/src``.
"""

from gender_diag.synth.generate import SynthSurvey, generate, main_synth
from gender_diag.synth.instrument import build_xlsform
from gender_diag.synth.population import Population, population, truth
from gender_diag.synth.sample import Sample, draw_sample
from gender_diag.synth.writers import (
    write_kobo_csv,
    write_kobo_xlsx,
    write_odk_csv,
    write_survey,
)

__all__ = [
    "Population",
    "Sample",
    "SynthSurvey",
    "build_xlsform",
    "draw_sample",
    "generate",
    "main_synth",
    "population",
    "truth",
    "write_kobo_csv",
    "write_kobo_xlsx",
    "write_odk_csv",
    "write_survey",
]
