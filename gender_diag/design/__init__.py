"""Design stage: survey designs, design-based estimates, gaps, replicates, calibration.

``SurveyDesign`` is the public entry point (docs/contracts.md §3).
"""

from gender_diag.design.survey import SurveyDesign

__all__ = ["SurveyDesign"]
