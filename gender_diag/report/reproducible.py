"""Helpers that make written files byte-reproducible: fixed dates and normalised zip archives.

Office files (xlsx, docx) are zip archives whose entries carry the time they were written, and
whose core properties carry creation and modification dates. Both are set from the run's
provenance date so that the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

#: Used when the provenance carries no date: the zip format cannot store years before 1980.
FALLBACK_DATE = dt.datetime(2000, 1, 1)


def fixed_datetime(value: object) -> dt.datetime:
    """A naive UTC datetime from a provenance date (ISO text, date or datetime).

    Examples
    --------
    >>> fixed_datetime("2026-11-28T09:00:00+00:00")
    datetime.datetime(2026, 11, 28, 9, 0)
    >>> fixed_datetime("not a date")
    datetime.datetime(2000, 1, 1, 0, 0)
    """
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return FALLBACK_DATE
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return max(when.replace(microsecond=0), dt.datetime(1980, 1, 1))


def normalise_zip(path: Path, when: dt.datetime) -> None:
    """Rewrite a zip archive in place with every entry dated ``when``."""
    path = Path(path)
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
