"""gender_diag: household survey gender diagnostics.

The public API is re-exported here (see ``__all__``); each stage of the pipeline lives in its
own subpackage: ingest → design → indicators → indices → prioritise → recommend → report.
"""

from __future__ import annotations

from gender_diag.errors import GenderDiagError

__version__ = "0.1.0"

__all__ = ["GenderDiagError", "__version__"]
