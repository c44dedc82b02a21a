"""Report texts in Spanish, French and English, and locale-aware number formatting.

Every text of every report lives in ``es.yaml``, ``fr.yaml`` and ``en.yaml`` beside this file,
so that a non-programmer can edit the wording. The three files are validated together on load:
same keys, string values, and the same ``{placeholders}`` in each language.

Numbers are formatted in plain Python (no ``locale`` module, whose results depend on the
machine): Spanish and French use a decimal comma and a no-break space between thousands,
English a decimal point and a comma between thousands.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from gender_diag.config import read_yaml
from gender_diag.contracts.display import ZERO, settle
from gender_diag.errors import ConfigError

LANGUAGES = ("es", "fr", "en")
_DIR = Path(__file__).resolve().parent
_NBSP = "\u00a0"


def _flatten(tree: Mapping, prefix: str, path: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}.", path))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise ConfigError(
                f"{path}: key {name!r} must hold text, got {type(value).__name__} {value!r}. "
                "Put the text in quotes."
            )
    return flat


def _read(path: Path) -> dict[str, str]:
    tree = read_yaml(path, what="report text file")
    if not isinstance(tree, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys to texts at the top level.")
    return _flatten(tree, "", path)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def validate_texts(texts: Mapping[str, Mapping[str, str]], paths: Mapping[str, Path]) -> None:
    """Check that every language has the same keys and the same placeholders.

    Raises
    ------
    ConfigError
        Naming the missing key (or placeholder) and the file that lacks it.

    Examples
    --------
    >>> validate_texts({"es": {"a": "x"}, "en": {"a": "y", "b": "z"}},
    ...                {"es": Path("es.yaml"), "en": Path("en.yaml")})
    Traceback (most recent call last):
    ...
    gender_diag.errors.ConfigError: es.yaml: missing key 'b' (present in en.yaml). Add it with the text in this language.
    """
    all_keys = set().union(*(set(t) for t in texts.values()))
    for lang, flat in texts.items():
        for key in sorted(all_keys - set(flat)):
            other = next(lg for lg, t in texts.items() if key in t)
            raise ConfigError(
                f"{paths[lang]}: missing key {key!r} (present in {paths[other]}). "
                "Add it with the text in this language."
            )
    langs = list(texts)
    for key in sorted(all_keys):
        ref = _fields(texts[langs[0]][key])
        for lang in langs[1:]:
            got = _fields(texts[lang][key])
            if got != ref:
                raise ConfigError(
                    f"{paths[lang]}: key {key!r} uses placeholders {sorted(got)} but "
                    f"{paths[langs[0]]} uses {sorted(ref)}. Use the same {{names}} in every "
                    "language."
                )


@lru_cache(maxsize=4)
def _load_all(directory: str) -> dict[str, dict[str, str]]:
    folder = Path(directory)
    paths = {lang: folder / f"{lang}.yaml" for lang in LANGUAGES}
    texts = {lang: _read(path) for lang, path in paths.items()}
    validate_texts(texts, paths)
    return texts


class Texts:
    """The report texts of one language, looked up by dotted key.

    Examples
    --------
    >>> t = load_texts("es")
    >>> t["values.sex_F"]
    'Mujeres'
    >>> t.get("columns.p_top_k", k=5)
    'P(entre los 5 primeros)'
    """

    def __init__(self, lang: str, texts: Mapping[str, str]):
        self.lang = lang
        self._texts = dict(texts)

    def __getitem__(self, key: str) -> str:
        try:
            return self._texts[key]
        except KeyError:
            raise ConfigError(
                f"Report text key {key!r} is not defined in {_DIR / (self.lang + '.yaml')}. "
                "Add it to es.yaml, fr.yaml and en.yaml."
            ) from None

    def get(self, key: str, **values: object) -> str:
        """Text for ``key`` with ``{placeholders}`` filled from ``values``."""
        return self[key].format(**values) if values else self[key]

    def value(self, group: str, raw: object) -> str:
        """Translate a coded value (``values.<group>_<raw>``), falling back to ``raw``.

        >>> load_texts("fr").value("by", "community")
        'Communauté'
        >>> load_texts("fr").value("by", "parcel_use")
        'parcel_use'
        """
        key = f"values.{group}_{raw}" if group else f"values.{raw}"
        return self._texts.get(key, str(raw))

    def keys(self) -> list[str]:
        return sorted(self._texts)


def load_texts(lang: str, *, directory: Path | None = None) -> Texts:
    """Load and validate the report texts and return those of ``lang`` (es, fr or en)."""
    if lang not in LANGUAGES:
        raise ConfigError(
            f"Report language {lang!r} is not available; choose among {', '.join(LANGUAGES)}."
        )
    texts = _load_all(str(directory or _DIR))
    return Texts(lang, texts[lang])


def _separators(lang: str) -> tuple[str, str]:
    if lang in ("es", "fr"):
        return ",", _NBSP
    if lang == "en":
        return ".", ","
    raise ConfigError(f"Report language {lang!r} is not available; choose among es, fr, en.")


def format_number(x: object, lang: str, *, digits: int = 1, missing: str = "–") -> str:
    """Format a number for a report language.

    Examples
    --------
    >>> format_number(1234567.891, "es", digits=2)
    '1\\xa0234\\xa0567,89'
    >>> format_number(1234567.891, "en", digits=2)
    '1,234,567.89'
    >>> format_number(-0.04, "fr", digits=1)
    '−0,0'
    >>> format_number(float("nan"), "en")
    '–'

    The value is first settled to 12 significant digits
    (:func:`gender_diag.contracts.display.settle`), so that floating-point noise from the
    engine that computed it cannot move it across a rounding tie; an exact tie rounds half to
    even:

    >>> format_number(93.74999999999999, "en"), format_number(93.75000000000001, "en")
    ('93.8', '93.8')
    >>> format_number(6.25, "en"), format_number(-6.25, "en")
    ('6.2', '−6.2')
    """
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return missing
    if math.isnan(value) or math.isinf(value):
        return missing
    value = settle(value)  # the same digits whichever engine computed the value
    decimal, thousands = _separators(lang)
    text = f"{abs(value):,.{digits}f}"
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    # a true minus sign; "−0,0" keeps the sign of a tiny negative gap visible.
    return ("−" if value < 0 else "") + text


def format_percent(
    x: object, lang: str, *, digits: int = 1, scale: float = 100.0, missing: str = "–"
) -> str:
    """Format a proportion (``scale=100``) or a percentage (``scale=1``) with the % sign.

    Examples
    --------
    >>> format_percent(0.4523, "es")
    '45,2\\xa0%'
    >>> format_percent(0.4523, "en")
    '45.2%'
    >>> format_percent(45.23, "fr", scale=1)
    '45,2\\xa0%'
    """
    try:
        value = float(x) * scale  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return missing
    body = format_number(value, lang, digits=digits, missing=missing)
    if body == missing:
        return missing
    return body + (f"{_NBSP}%" if lang in ("es", "fr") else "%")


def format_numbers(values: object, lang: str, *, digits: int = 1, missing: str = "–") -> list[str]:
    """:func:`format_number` of every value of an array, in one pass (same strings).

    Values that are not numbers, NaN or infinite give ``missing``; values are settled as
    there. The body of every number
    is formatted by one bound ``str.format`` and the separators of the language are put in
    with one ``str.translate`` over all of them joined, instead of a function call, a
    ``float()`` conversion and three ``replace`` calls per value.

    >>> format_numbers([1234.5, -0.04, float("nan"), "x"], "es", digits=1)
    ['1\\xa0234,5', '−0,0', '–', '–']
    """
    import numpy as np
    import pandas as pd

    v = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    out = np.full(len(v), missing, dtype=object)
    ok = np.isfinite(v)
    if ok.any():
        decimal, thousands = _separators(lang)
        v = v.copy()
        # settled as in format_number, but only where it can change a digit: within 1e-10
        # (relative) of a rounding tie at these digits, about zero, or shown with 11 digits
        # or more (elsewhere a move of < 1e-11 cannot cross a tie, so the text is the same)
        a = np.abs(v)
        with np.errstate(invalid="ignore", over="ignore"):
            r = a * 10.0**digits
            far = (r < 1e11) & (np.abs(r - np.floor(r) - 0.5) > 1e-10 * r)
        near = ok & (~far | (a < ZERO))
        v[near] = [settle(x) for x in v[near].tolist()]
        body = "\x01".join(map(f"{{:,.{digits}f}}".format, np.abs(v[ok]).tolist()))
        if lang != "en":
            body = body.translate(str.maketrans({",": thousands, ".": decimal}))
        sign = np.where(v[ok] < 0, "−", "")
        out[ok] = [s + b for s, b in zip(sign.tolist(), body.split("\x01"), strict=True)]
    return out.tolist()


def format_percents(
    values: object, lang: str, *, digits: int = 1, scale: float = 100.0, missing: str = "–"
) -> list[str]:
    """:func:`format_percent` of every value of an array, in one pass (same strings).

    >>> format_percents([0.4523, None], "fr")
    ['45,2\\xa0%', '–']
    """
    import numpy as np
    import pandas as pd

    v = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    suffix = f"{_NBSP}%" if lang in ("es", "fr") else "%"
    with np.errstate(over="ignore"):  # too large to scale: shown as missing, as there
        scaled = v * scale
    body = format_numbers(scaled, lang, digits=digits, missing=missing)
    return [b if b == missing else b + suffix for b in body]
