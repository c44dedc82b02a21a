"""The text content of every report file of an output folder, for comparing two runs.

One line per item: the text nodes of HTML and SVG files (with the ``class``/``title``/``id``
attributes of cells and sections, which carry the suppression marks), every non-empty row of
every Excel sheet (cell values, ``repr`` of numbers), the paragraphs and table rows of Word
files, and the lines of CSV and other text files. PNG files are listed, not read.

Also a script, to diff the reports of two runs (e.g. before and after a change)::

    python -m tests.report.report_texts outputs/example > before.txt
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ATTRS = ("class", "title", "id", "aria-label")
_MARKED = ("td", "th", "table", "section", "figure", "svg")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _MARKED:
            kept = " ".join(f"{k}={v}" for k, v in attrs if k in _ATTRS)
            self.out.append(f"<{tag} {kept}>")

    def handle_data(self, data):
        if data.strip():
            self.out.append(data.strip())


def _markup(text: str) -> list[str]:
    parser = _Text()
    parser.feed(text)
    return parser.out


def file_lines(path: Path) -> Iterator[str]:
    """The text content of one output file, line by line."""
    if path.suffix in (".html", ".svg"):
        yield from _markup(path.read_text(encoding="utf-8"))
    elif path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            yield f"## sheet {sheet.title}"
            for row in sheet.iter_rows(values_only=True):
                if any(v is not None for v in row):
                    yield "\t".join("" if v is None else repr(v) for v in row)
        book.close()
    elif path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        yield from (p.text for p in document.paragraphs if p.text.strip())
        for table in document.tables:
            for row in table.rows:
                yield "\t".join(c.text for c in row.cells)
    elif path.suffix != ".png":
        yield from path.read_text(encoding="utf-8", errors="replace").splitlines()


def folder_texts(folder: Path) -> dict[str, list[str]]:
    """Relative path → text lines, for every file under ``folder``."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): list(file_lines(p))
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def same_line(a: str, b: str, *, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Equal text, or equal once every number is compared to ``rtol``/``atol``.

    Full-precision numbers (CSV, Excel cells, the workshop data) may differ in the last
    bits between engines; displayed numbers, rounded to a few digits, must match exactly
    (a tolerance of 1e-9 cannot hide a difference in a shown digit).

    >>> same_line("0.30000000000000004,a", "0.3,a"), same_line("58,7 pp", "58,8 pp")
    (True, False)
    """
    if a == b:
        return True
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    xs, ys = _NUMBER.findall(a), _NUMBER.findall(b)
    return all(
        math.isclose(float(x), float(y), rel_tol=rtol, abs_tol=atol)
        for x, y in zip(xs, ys, strict=True)
    )


if __name__ == "__main__":
    for name, lines in folder_texts(Path(sys.argv[1])).items():
        sys.stdout.write(f"### {name}\n")
        sys.stdout.writelines(line + "\n" for line in lines)
