"""Provenance of a run: what went in, with which settings, code and seeds.

Every output records the SHA-256 of each input file, the configuration, the package version,
the date and the seeds, so a published figure can be traced back and reproduced. The date is
the calendar day (not the time) so that re-running the same command on the same day gives
byte-identical outputs; set ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) to pin it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
from pathlib import Path
from typing import Any

from gender_diag import __version__


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file, read in chunks.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> sha256_file(f.name)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def run_date() -> str:
    """ISO date of the run: ``SOURCE_DATE_EPOCH`` when set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return dt.datetime.now(tz=dt.UTC).date().isoformat()


def _plain(value: Any) -> Any:
    """Configuration values as JSON-friendly data.

    Paths are reduced to their file names: the SHA-256 digests pin the content, and absolute
    paths would tie the record to one machine (and may name a person's home folder).
    """
    if isinstance(value, dict):
        # at every depth: the rounds of an evaluation nest whole configurations (issue 12)
        return {
            str(k): _plain(v)
            for k, v in value.items()
            if k not in PRIVATE_KEYS and k != "config_path"
        }
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return value.name
    return value


#: Configuration keys never recorded: where the outputs go is not part of what produced them,
#: and the salt is the secret key of the pseudonyms (published, it would undo them).
PRIVATE_KEYS = frozenset({"output_dir", "salt"})


def collect(config: dict, *, inputs: list[Path], seeds: dict[str, int]) -> dict[str, Any]:
    """Assemble the provenance record of one run.

    Parameters
    ----------
    config : dict
        The validated configuration.
    inputs : list of Path
        Every input file read (data, form, design, catalogues, team scores).
    seeds : dict
        Name → seed of every random stream used.
    """
    files = {}
    for path in sorted({Path(p) for p in inputs if p is not None}):
        if path.is_file():
            # names only: an absolute path would name the user's home folder
            name = path.name if path.name not in files else f"{path.parent.name}/{path.name}"
            files[name] = sha256_file(path)
    return {
        "package": "gender_diag",
        "version": __version__,
        "date": run_date(),
        "python": platform.python_version(),
        "inputs_sha256": files,
        "seeds": dict(seeds),
        "config": _plain(
            {
                section: {k: v for k, v in values.items() if k not in PRIVATE_KEYS}
                for section, values in config.items()
                if section != "config_path"
            }
        ),
    }
