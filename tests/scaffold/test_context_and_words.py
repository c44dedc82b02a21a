"""Issue 14 §7–9: household wording, action catalogue by country, texts per language."""

from __future__ import annotations

import pandas as pd
import pytest

from gender_diag.errors import ConfigError
from gender_diag.indicators import load_catalogue
from gender_diag.recommend import load_actions, select_actions
from gender_diag.recommend.catalogue import LANGS
from gender_diag.report.wording import HEADED_SUFFIX, unit_label
from gender_diag.resources import catalogue_dir


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_household_labels_name_headed_households_in_every_language(lang):
    label = unit_label("X", "household", lang)
    assert label == f"X ({HEADED_SUFFIX['household'][lang]})"
    assert unit_label(label, "household", lang) == label  # never twice
    assert unit_label("X", "member", lang) == unit_label("X", "respondent", lang) == "X"


def test_report_label_map_and_sentences_use_the_household_words():
    from gender_diag.pipeline import indicator_labels
    from gender_diag.report.i18n import load_texts

    labels = pd.DataFrame(
        {
            "indicator": ["water", "phone"],
            "unit": ["household", "respondent"],
            **{f"label_{lg}": ["Water", "Phone"] for lg in ("es", "fr", "en")},
        }
    )
    words = indicator_labels(labels)
    assert words["water"]["en"] == "Water (female- vs male-headed households)"
    assert words["water"]["es"] == "Water (hogares con jefa vs. con jefe)"
    assert words["phone"]["fr"] == "Phone"
    for lang in ("es", "fr", "en"):
        t = load_texts(lang)
        sentence = t.get(
            "sentences.finding_percent_household",
            label="L",
            f="1",
            m="2",
            f_low="0",
            f_high="3",
            m_low="1",
            m_high="4",
            n_f="10",
            n_m="20",
            gap="-1",
            source="S",
        )
        assert {"en": "female-headed", "es": "hogares con jefa", "fr": "dirigés par une femme"}[
            lang
        ] in sentence
        assert "women" not in sentence and "mujeres" not in sentence


def test_bundled_actions_are_for_peru_and_others_get_the_generic_catalogue():
    bundled = load_actions()
    assert bundled.country == "PE"
    same, note = select_actions(country="pe")
    assert same.country == "PE" and "for PE" in note
    generic, note = select_actions(country="KE")
    assert generic.country == "*" and "generic catalogue is used" in note
    # the generic actions name no authority and say so in every language
    for action in generic.actions:
        texts = action.get("intervention") or action.get("proposal")
        for lang in LANGS:
            assert "adapt" in texts[lang].lower() or "adapte" in texts[lang].lower()
        if action["type"] == "indirect":
            for lang in LANGS:
                name = action["authority"]["name"][lang].lower()
                assert "adapt" in name or "adapte" in name
    blob = (catalogue_dir() / "actions_generic.yaml").read_text(encoding="utf-8")
    for peruvian in ("Cusco", "Acomayo", "PNIG", "comunidad campesina"):
        assert peruvian not in blob
    # no country: the catalogue is used as it is and the note names its context
    assert "written for PE" in select_actions()[1]


def test_texts_are_required_only_in_the_diagnostics_languages(tmp_path):
    path = tmp_path / "indicators_x.yaml"
    path.write_text(
        """indicators:
- id: water
  domain: services
  label: {en: Piped water}
  definition: {en: Household has piped water}
  unit: household
  type: proportion
  rule: water == 'yes'
  direction: higher_better
  tags: {moser: practical, roles: reproductive, harvard: access, rights: social}
""",
        encoding="utf-8",
    )
    cat = load_catalogue(path, languages=["en"])
    assert cat["water"].labels == {"es": "Piped water", "fr": "Piped water", "en": "Piped water"}
    assert not cat.notes
    with pytest.raises(ConfigError, match="missing translation 'label.es'"):
        load_catalogue(path, languages=["es", "en"])
