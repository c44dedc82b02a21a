"""Report texts: key parity across languages, clear errors, locale number formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gender_diag.errors import ConfigError
from gender_diag.report import i18n
from gender_diag.report.i18n import (
    LANGUAGES,
    format_number,
    format_numbers,
    format_percent,
    format_percents,
    load_texts,
)

I18N_DIR = Path(i18n.__file__).parent


def test_same_keys_in_every_language():
    keys = {lang: load_texts(lang).keys() for lang in LANGUAGES}
    assert keys["es"] == keys["fr"] == keys["en"]
    assert len(keys["es"]) > 150


def test_texts_differ_between_languages():
    es, fr, en = (load_texts(lang) for lang in LANGUAGES)
    assert es["report.title"] != fr["report.title"] != en["report.title"]
    assert es["values.sex_F"] == "Mujeres" and fr["values.sex_F"] == "Femmes"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "i18n"
    shutil.copytree(I18N_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def test_missing_key_names_key_and_file(tmp_path):
    folder = _copy(tmp_path)
    tree = yaml.safe_load((folder / "fr.yaml").read_text(encoding="utf-8"))
    del tree["columns"]["authority"]
    (folder / "fr.yaml").write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fr\.yaml: missing key 'columns\.authority'"):
        load_texts("es", directory=folder)


def test_placeholder_mismatch_is_reported(tmp_path):
    folder = _copy(tmp_path)
    tree = yaml.safe_load((folder / "en.yaml").read_text(encoding="utf-8"))
    tree["notes"]["chart_alt"] = "Chart: {titel}"
    (folder / "en.yaml").write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"notes\.chart_alt.*placeholders"):
        load_texts("en", directory=folder)


def test_non_text_value_is_reported(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "es.yaml").read_text(encoding="utf-8")
    (folder / "es.yaml").write_text(text.replace("toc: Contenido", "toc: 12"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"es\.yaml: key 'report\.toc' must hold text"):
        load_texts("es", directory=folder)


def test_unknown_language_and_key():
    with pytest.raises(ConfigError, match="'de'"):
        load_texts("de")
    with pytest.raises(ConfigError, match="no.such"):
        load_texts("en")["no.such"]


@pytest.mark.parametrize(
    ("lang", "number", "percent"),
    [
        ("es", "12\u00a0345,68", "45,2\u00a0%"),
        ("fr", "12\u00a0345,68", "45,2\u00a0%"),
        ("en", "12,345.68", "45.2%"),
    ],
)
def test_number_formats(lang, number, percent):
    assert format_number(12345.678, lang, digits=2) == number
    assert format_percent(0.4523, lang) == percent


def test_number_format_edge_cases():
    assert format_number(None, "es") == "–"
    assert format_number("abc", "es") == "–"
    assert format_number(float("inf"), "en") == "–"
    assert format_number(-1234.5, "en", digits=0) == "−1,234"  # round half to even
    # engine noise cannot move a tie (issue 13: the same digits whichever engine ran)
    assert format_number(0.9375 * 100, "en") == format_number(93.74999999999999, "en") == "93.8"
    assert format_number(-2.2e-14, "es") == format_number(2.2e-14, "es") == "0,0"
    assert format_number(0.05, "es", digits=1) == "0,1"  # 0.05 is stored as 0.05000000000000000277
    assert format_percent(1, "fr", digits=0) == "100\u00a0%"


_TIES = [k / 16 * 10.0**e for k in range(-24, 25) for e in range(-2, 4)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from(_TIES).flatmap(
                lambda t: st.sampled_from([t, t * (1 + 2.2e-16), t * (1 - 2.2e-16)])
            ),
            st.none(),
        ),
        max_size=30,
    ),
    st.sampled_from(["es", "fr", "en"]),
    st.integers(0, 3),
)
def test_column_formatting_equals_cell_formatting(values, lang, digits):
    """format_numbers / format_percents (one pass per column) give format_number's strings,
    ties and engine noise included."""
    assert format_numbers(values, lang, digits=digits) == [
        format_number(v, lang, digits=digits) for v in values
    ]
    assert format_percents(values, lang, digits=digits) == [
        format_percent(v, lang, digits=digits) for v in values
    ]


def test_engine_noise_does_not_move_a_shown_digit():
    """15/16 computed in two orders: the same text (issue 13, reports equal across engines)."""
    for t in _TIES:
        noisy = {format_number(t * (1 + e), "es", digits=1) for e in (-4.4e-16, 0, 4.4e-16)}
        assert len(noisy) == 1, (t, noisy)
