"""Reading every output file as text, for the tests that scan outputs for leaked values."""

from __future__ import annotations

import zipfile
from pathlib import Path


def output_texts(folder: Path):
    """(path, text) of every output file; Office files are read from their XML parts."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix == ".png":
            continue
        if path.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as z:
                text = "".join(
                    z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml")
                )
        else:
            text = path.read_text(encoding="utf-8", errors="ignore")
        yield path, text
