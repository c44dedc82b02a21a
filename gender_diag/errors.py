"""Every exception gender_diag raises on purpose.

Messages name the file, sheet, parameter or column, the rule that was broken, the value
received and what to do about it. The CLI catches :class:`GenderDiagError` and prints the
message without a traceback.
"""

from __future__ import annotations


class GenderDiagError(Exception):
    """Base class of all errors raised by gender_diag for bad input or configuration."""


class InputFileError(GenderDiagError):
    """A file cannot be read: missing, empty, corrupt, wrong format, wrong sheets."""


class ValidationError(GenderDiagError):
    """Data failed blocking validation rules; carries the :class:`ValidationReport`."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class ConfigError(GenderDiagError):
    """A configuration or catalogue file (TOML/YAML) is invalid."""


class DesignError(GenderDiagError):
    """A survey design is invalid (weights, strata, PSUs, fpc, lonely PSUs, replicates)."""


class RuleError(ConfigError):
    """An indicator rule cannot be parsed or refers to unknown variables."""


class EstimationError(GenderDiagError):
    """An estimate cannot be computed (e.g. empty domain, singular model)."""


def bad_parameter(name: str, owner: str, expected: str, got: object) -> ValueError:
    """Build the one message shape used for bad function parameters.

    Examples
    --------
    >>> str(bad_parameter("kind", "SurveyDesign.gap", "'difference', 'ratio' or 'log-ratio'", "x"))
    "The 'kind' parameter of SurveyDesign.gap must be 'difference', 'ratio' or 'log-ratio'. Got 'x' instead."
    """
    return ValueError(f"The {name!r} parameter of {owner} must be {expected}. Got {got!r} instead.")


class DesignWarning(UserWarning):
    """A survey design is usable but something in it deserves a look (a note, not an error):
    zero or extreme weights, PSU identifiers reused across strata (nested automatically)."""
