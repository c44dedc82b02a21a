"""Synthetic survey rounds (``gender-diag synth --rounds``): design and planted changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gender_diag.cli import main
from gender_diag.config import load_config
from gender_diag.synth.rounds import PLANTED_CHANGES, generate_rounds


@pytest.fixture(scope="module")
def rounds():
    return generate_rounds(200, rounds=3, panel=0.5, treatment=0.4, seed=3)


def test_same_communities_and_weights(rounds):
    base, *later = rounds.surveys
    for s in later:
        pd.testing.assert_frame_equal(s.design, base.design)
        assert set(s.tables["households"]["community"].astype(str)) == set(
            base.tables["households"]["community"].astype(str)
        )
        assert len(s.tables["households"]) == len(base.tables["households"])
    assert set(base.design["project"]) == {0, 1}


def test_panel_share_and_stable_ids(rounds):
    ids = [set(s.households["hhid"]) for s in rounds.surveys]
    for a, b in zip(ids, ids[1:], strict=False):
        assert abs(len(a & b) / len(a) - 0.5) < 0.06
    # the same hhid is the same population household in every round
    pop = [s.households.set_index("hhid")["pop_id"] for s in rounds.surveys]
    both = ids[0] & ids[1]
    assert (pop[0][sorted(both)].to_numpy() == pop[1][sorted(both)].to_numpy()).all()


def test_truth_values_follow_the_population(rounds):
    t = rounds.truth
    assert set(t["round_to"]) == {"follow_up_1", "follow_up_2"}
    assert set(t["quantity"]) == {"change_f", "change_m", "change_gap", "did_f", "did_gap"}
    tot = t[(t.by == "total") & (t.round_to == "follow_up_1")].set_index(["indicator", "quantity"])
    # land titles: women gain only in programme communities
    assert tot.loc[("land_title", "did_f"), "value"] > 0.1
    assert tot.loc[("land_title", "change_m"), "value"] == 0
    # speaking in public: women gain everywhere alike (no programme effect expected)
    assert abs(tot.loc[("speaks_public", "did_f"), "value"]) < 0.05
    assert tot.loc[("speaks_public", "change_gap"), "value"] > 0.05
    # unplanted quantities do not move at all
    still = t[~t.planted]
    assert (still["value"] == 0).all()
    # the second follow-up applies the gains once more
    two = t[(t.by == "total") & (t.round_to == "follow_up_2")].set_index(["indicator", "quantity"])
    assert (
        two.loc[("land_title", "change_f"), "value"] > tot.loc[("land_title", "change_f"), "value"]
    )
    planted = {c.quantity for c in PLANTED_CHANGES}
    assert planted <= set(t.loc[t.planted, "indicator"])
    # truth = difference of the populations' own values
    p0, p1 = rounds.surveys[0].population.persons, rounds.surveys[1].population.persons
    f0 = p0.loc[p0.sex == "F", "training"].mean()
    f1 = p1.loc[p1.sex == "F", "training"].mean()
    assert tot.loc[("training", "change_f"), "value"] == pytest.approx(f1 - f0, abs=1e-12)


def test_cli_writes_rounds_and_config(tmp_path, capsys):
    out = tmp_path / "ev"
    code = main(["synth", str(out), "--rounds", "2", "--households", "60", "--panel", "0.6",
                 "--treatment", "0.5", "--formats", "odk_csv"])  # fmt: skip
    assert code == 0
    assert {"baseline", "follow_up", "diagnostic.toml", "truth.csv"} <= {
        p.name for p in out.iterdir()
    }
    cfg = load_config(out / "diagnostic.toml")
    assert [r["name"] for r in cfg["evaluation"]["rounds"]] == ["baseline", "follow_up"]
    assert cfg["evaluation"]["treatment"] == "project"
    design = pd.read_csv(out / "follow_up" / "design.csv")
    assert np.isin(design["project"], [0, 1]).all()


@pytest.mark.parametrize("bad", [{"rounds": 1}, {"panel": 1.5}, {"treatment": -0.1}])
def test_bad_parameters(bad):
    with pytest.raises(ValueError, match="parameter of gender_diag.synth.generate_rounds"):
        generate_rounds(60, **bad)
