"""The bundled catalogue loads and validates; bad catalogues get every problem reported."""

from __future__ import annotations

import textwrap

import pytest

from gender_diag import resources
from gender_diag.errors import ConfigError
from gender_diag.indicators.catalogue import (
    LANGUAGES,
    WEAI_KEYS,
    load_catalogue,
    variables_from_xlsform,
)

A_WEAI = ("input_decisions", "ownership_assets", "credit_decisions", "control_income",
          "group_member", "workload")  # fmt: skip
PRO_WEAI = ("autonomy_income", "self_efficacy", "attitudes_ipv", "respect_household",
            "input_decisions", "ownership_land_assets", "financial_services", "control_income",
            "work_balance", "mobility", "group_member", "influential_groups")  # fmt: skip


def _instrument_variables():
    forms = sorted(resources.instrument_dir().glob("*.xlsx"))
    if not forms:
        pytest.skip("the XLSForm instrument is not built yet")
    return variables_from_xlsform(forms[0])


def test_bundled_catalogue_loads_with_at_least_45_indicators():
    cat = load_catalogue()
    gap_indicators = [i for i in cat.indicators if not i.weai_key]
    assert len(gap_indicators) >= 45
    for ind in cat.indicators:
        assert set(ind.labels) == set(LANGUAGES) and set(ind.definitions) == set(LANGUAGES)
    frame = cat.to_frame()
    assert frame["indicator"].is_unique and len(frame) == len(cat)


def test_bundled_catalogue_matches_the_instrument():
    cat = load_catalogue(variables=_instrument_variables())
    assert len(cat) >= 45


def test_catalogue_covers_issue_4_topics():
    std = " ".join(i.standard for i in load_catalogue().indicators)
    for s in ("SDG 5.a.1(a)", "SDG 5.a.1(b)", "SDG 5.b.1", "SDG 4.6", "DHS ch. 15", "SDG 5.2.1"):
        assert s in std
    cat = load_catalogue()
    domains = {i.domain for i in cat.indicators}
    for d in ("land", "assets", "finance", "income", "decisions", "time", "participation",
              "leadership", "training", "education", "identity", "health", "digital",
              "environment", "agency", "violence"):  # fmt: skip
        assert d in domains
    assert all(i.sensitive for i in cat.indicators if i.domain == "violence")


def test_weai_presets_are_covered_by_canonical_keys():
    keys = set(load_catalogue().weai_indicators())
    assert set(A_WEAI) <= keys and set(PRO_WEAI) <= keys
    assert keys <= set(WEAI_KEYS)


GOOD = """
- id: good_one
  domain: land
  label: {es: Tierra, fr: Terre, en: Land}
  definition: {es: a, fr: b, en: c}
  unit: respondent
  universe: all
  type: proportion
  rule: own_land in ['sole', 'joint']
  direction: higher_better
  standard: DHS
  sensitive: false
  tags: {moser: strategic, roles: productive, harvard: control, rights: economic}
"""


def _write(tmp_path, body, name="indicators.yaml"):
    p = tmp_path / name
    p.write_text("indicators:\n" + textwrap.indent(textwrap.dedent(body), ""), encoding="utf-8")
    return p


def test_every_problem_is_reported_at_once(tmp_path):
    bad = (
        GOOD
        + """
- id: good_one
  domain: land
  label: {es: Tierra, en: Land}
  definition: {es: a, fr: b, en: c}
  unit: village
  universe: all
  type: proportion
  rule: own_land in ['sole', 'joint'] and frobnicate(x)
  direction: up
  sensitive: maybe
  tags: {moser: strategic, roles: productive, harvard: ownership, rights: economic}
- id: unknown_var
  domain: land
  label: {es: a, fr: b, en: c}
  definition: {es: a, fr: b, en: c}
  unit: respondent
  universe: age >=
  type: mean
  rule: owns_lands == 'yes'
  direction: higher_better
  tags: {moser: strategic, roles: productive, harvard: control, rights: economic}
- id: no_rule
  domain: land
"""
    )
    p = _write(tmp_path, bad)
    with pytest.raises(ConfigError) as info:
        load_catalogue(p, variables=["own_land", "age", "sex"])
    msg = str(info.value)
    expected = [
        "indicator 'good_one': duplicate id",
        "indicator 'good_one': missing translation 'label.fr'",
        "bad value 'village' for 'unit'",
        "bad value 'up' for 'direction'",
        "'sensitive' must be true or false",
        "bad value 'ownership' for 'tags.harvard'",
        "unknown function 'frobnicate'",
        "indicator 'unknown_var' (universe)",
        "bad syntax",
        "unknown variable 'owns_lands'",
        "indicator 'no_rule': missing field(s)",
    ]
    for e in expected:
        assert e in msg, e
    assert f"{len(msg.splitlines()) - 1} problem(s)" in msg


def test_invalid_yaml_names_file_and_line(tmp_path):
    p = tmp_path / "indicators.yaml"
    p.write_text("indicators:\n  - id: x\n    label: {es: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"indicators.yaml line \d+, column \d+: not valid YAML"):
        load_catalogue(p)


def test_unknown_weai_key_and_missing_catalogue(tmp_path):
    p = _write(tmp_path, GOOD.replace("sensitive: false", "sensitive: false\n  weai_key: nope"))
    with pytest.raises(ConfigError, match="bad value 'nope' for 'weai_key'"):
        load_catalogue(p)
    with pytest.raises(ConfigError, match="does_not_exist_dir: file not found"):
        load_catalogue(tmp_path / "empty_dir_does_not_exist_dir")


def test_select_multiple_dummies_are_checked_by_question(tmp_path):
    p = _write(tmp_path, GOOD.replace("own_land in ['sole', 'joint']", "selected(groups, 'civic')"))
    assert len(load_catalogue(p, variables=["groups"])) == 1
    with pytest.raises(ConfigError, match="unknown variable 'groups__civic'"):
        load_catalogue(p, variables=["own_land"])
