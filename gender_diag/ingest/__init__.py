"""Ingest: read survey exports into validated, de-identified tidy tables.

Readers (each returns a :class:`Survey` with a :class:`ValidationReport`):
:func:`read_kobo` (KoboToolbox XLSX/CSV), :func:`read_odk` (ODK Briefcase/Central CSV sets),
:func:`read_table` (hand-typed CSV/XLSX), :func:`read_stata`, :func:`read_spss`.
:func:`validate_path` and :func:`format_report` back ``gender-diag validate PATH``.
"""

from __future__ import annotations

from gender_diag.ingest.detect import format_report, read_path, validate_path
from gender_diag.ingest.kobo import read_kobo
from gender_diag.ingest.odk import read_odk
from gender_diag.ingest.report import REASONS, ValidationReport
from gender_diag.ingest.survey import Survey
from gender_diag.ingest.tables import read_spss, read_stata, read_table
from gender_diag.ingest.xlsform import Form, read_form

__all__ = [
    "REASONS",
    "Form",
    "Survey",
    "ValidationReport",
    "format_report",
    "read_form",
    "read_kobo",
    "read_odk",
    "read_path",
    "read_spss",
    "read_stata",
    "read_table",
    "validate_path",
]
