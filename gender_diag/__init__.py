"""gender_diag: household survey gender diagnostics.

The public API is re-exported here; each stage of the pipeline lives in its own subpackage:
ingest → design → indicators → indices → prioritise → recommend → report, chained by
:func:`run`.

Examples
--------
>>> import gender_diag as gd
>>> sorted(n for n in gd.__all__ if n.startswith("read_"))
['read_kobo', 'read_odk', 'read_spss', 'read_stata', 'read_table']
"""

from __future__ import annotations

__version__ = "0.1.0"

from gender_diag import design, indicators, indices, ingest, prioritise, recommend, report, synth
from gender_diag.change.compare import compare_rounds
from gender_diag.design import DesignSpec, SurveyDesign, adjusted_gap, svychisq, svyglm
from gender_diag.errors import (
    ConfigError,
    DesignError,
    EstimationError,
    GenderDiagError,
    InputFileError,
    RuleError,
    ValidationError,
)
from gender_diag.indicators import compute_indicators, gap_table, load_catalogue
from gender_diag.ingest import (
    Survey,
    ValidationReport,
    read_kobo,
    read_odk,
    read_spss,
    read_stata,
    read_table,
)
from gender_diag.pipeline import run
from gender_diag.result import RunResult

__all__ = [
    "ConfigError",
    "DesignError",
    "DesignSpec",
    "EstimationError",
    "GenderDiagError",
    "InputFileError",
    "RuleError",
    "RunResult",
    "Survey",
    "SurveyDesign",
    "ValidationError",
    "ValidationReport",
    "__version__",
    "adjusted_gap",
    "compare_rounds",
    "compute_indicators",
    "design",
    "gap_table",
    "indicators",
    "indices",
    "ingest",
    "load_catalogue",
    "prioritise",
    "read_kobo",
    "read_odk",
    "read_spss",
    "read_stata",
    "read_table",
    "recommend",
    "report",
    "run",
    "svychisq",
    "svyglm",
    "synth",
]
