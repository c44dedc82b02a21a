"""Design stage: survey designs, design-based estimates, gaps, replicates, calibration.

``SurveyDesign`` is the public entry point (docs/contracts.md §3), built from a
``DesignSpec`` (one validated description of the design shared by every stage); ``svyglm`` and
``adjusted_gap`` fit design-based regressions, ``svychisq`` tests two-way tables (Rao–Scott)
and ``bh_qvalues`` controls the false discovery rate over many tests.
"""

from gender_diag.design.models import SvyGLMFit, adjusted_gap, svyglm, svyglm_fit
from gender_diag.design.multiple import bh_qvalues
from gender_diag.design.spec import DesignSpec
from gender_diag.design.survey import SurveyDesign
from gender_diag.design.tables import svychisq

__all__ = [
    "DesignSpec",
    "SurveyDesign",
    "SvyGLMFit",
    "adjusted_gap",
    "bh_qvalues",
    "svychisq",
    "svyglm",
    "svyglm_fit",
]
