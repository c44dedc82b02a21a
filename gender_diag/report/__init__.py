"""Report stage: disclosure control, then Excel, HTML, Word, charts and CSV in es/fr/en.

:func:`write_reports` is the entry point used by the pipeline; each writer can also be used on
its own from the :class:`~gender_diag.report.tables.Published` tables returned by
:func:`publish`.
"""

from __future__ import annotations

from gender_diag.report.sdc import apply_sdc
from gender_diag.report.tables import Published, publish
from gender_diag.report.writer import write_reports

__all__ = ["Published", "apply_sdc", "publish", "write_reports"]
