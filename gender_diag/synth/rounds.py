"""Synthetic survey rounds: a baseline and follow-ups with planted changes of known size.

The follow-up population is the baseline population (same communities, same households, same
primary adults) after a programme: for a few planted quantities some persons who lacked the
asset or capability gain it. Changes are planted per sex and per programme arm, so that

* some gaps close only in programme (``project = 1``) communities (a programme effect: DiD
  and triple difference ≠ 0),
* some gaps close everywhere (a secular trend: change ≠ 0, DiD ≈ 0),
* some quantities rise for women and men alike (gap unchanged),
* every other quantity does not change at all (the same persons, the same values).

Each follow-up re-visits the baseline's communities (same PSUs, same design file plus the
programme marker) and re-interviews a share ``panel`` of the baseline households (same
``hhid``); the rest of its households are drawn afresh from the community's other households,
so the union is still a simple random sample of the community (the same inclusion
probability and weight). ``truth.csv`` holds the finite-population value of every change
(:data:`gender_diag.change.QUANTITIES`) by total, district and programme arm.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.synth.population import QUANTITIES, Population
from gender_diag.synth.sample import Sample

__all__ = ["PLANTED_CHANGES", "PlantedChange", "change_truth", "follow_up", "generate_rounds",
           "write_rounds"]  # fmt: skip

TREATMENT_COLUMN = "project"


@dataclass(frozen=True)
class PlantedChange:
    """Share of persons without ``quantity`` who gain it by the next round, per sex × arm."""

    quantity: str
    f_programme: float
    f_comparison: float
    m_programme: float
    m_comparison: float
    story: str


#: The planted changes (per follow-up round).
PLANTED_CHANGES: tuple[PlantedChange, ...] = (
    PlantedChange("land_title", 0.30, 0.0, 0.0, 0.0, "gap closes only where the programme works"),
    PlantedChange("speaks_public", 0.20, 0.20, 0.0, 0.0, "gap closes everywhere (secular)"),
    PlantedChange("bank_account", 0.15, 0.15, 0.15, 0.15, "both sexes gain, gap barely moves"),
    PlantedChange("training", 0.35, 0.05, 0.10, 0.05, "women trained in programme communities"),
)


def _assign_treatment(pop: Population, share: float, rng) -> pd.Series:
    """Community → 0/1: ``round(share · C_h)`` programme communities in each district."""
    comm = pop.communities
    out = pd.Series(0, index=comm["community"].astype(str).to_numpy())
    for _, idx in comm.groupby("district", sort=False).groups.items():
        codes = comm.loc[idx, "community"].astype(str).to_numpy()
        k = int(round(share * len(codes)))
        out[rng.permutation(codes)[:k]] = 1
    return out


def follow_up(pop: Population, treated: pd.Series, *, seed: int) -> Population:
    """The population at the next round: planted gains applied to the baseline persons."""
    rng = np.random.default_rng([seed, 12])
    p = pop.persons.copy()
    arm = p["community"].astype(str).map(treated).to_numpy(dtype=int)
    female = (p["sex"].astype(str) == "F").to_numpy()
    for ch in PLANTED_CHANGES:
        rate = np.where(
            female,
            np.where(arm == 1, ch.f_programme, ch.f_comparison),
            np.where(arm == 1, ch.m_programme, ch.m_comparison),
        )
        x = p[ch.quantity].to_numpy(dtype=bool)
        p[ch.quantity] = x | (rng.random(len(p)) < rate)
    # keep the instrument's logic: a titled person owns land (Planted.either)
    p["owns_land"] = p["owns_land"].to_numpy(dtype=bool) | p["land_title"].to_numpy(dtype=bool)
    p["promoter"] = p["promoter"].to_numpy(dtype=bool) & p["training"].to_numpy(dtype=bool)
    return replace(pop, persons=p)


def _means(pop: Population, treated: pd.Series) -> pd.DataFrame:
    p = pop.persons
    cols = list(QUANTITIES)
    frame = p[cols].astype(float)
    frame["sex"] = p["sex"].astype(str).to_numpy()
    frame["district"] = p["district"].astype(str).to_numpy()
    frame["arm"] = p["community"].astype(str).map(treated).to_numpy()
    return frame


def change_truth(
    before: Population, after: Population, treated: pd.Series, *, rounds=("baseline", "follow_up")
) -> pd.DataFrame:
    """Finite-population changes: ``indicator, by, by_value, round_from, round_to, quantity,
    value, planted`` (``by`` total, district, treatment)."""
    a, b = _means(before, treated), _means(after, treated)
    planted = {c.quantity for c in PLANTED_CHANGES} | {"owns_land", "promoter"}
    rows = []
    for by in ("total", "district", "treatment"):
        keys = [""] if by == "total" else sorted(a["district" if by == "district" else "arm"]
                                                  .dropna().unique())  # fmt: skip
        for key in keys:
            if by == "total":
                ma = mb = np.ones(len(a), bool)
            else:
                col = "district" if by == "district" else "arm"
                ma, mb = (a[col] == key).to_numpy(), (b[col] == key).to_numpy()
            label = key if by != "treatment" else ("programme" if key == 1 else "comparison")

            def mean(frame, mask, sex, arm=None):
                m = mask & (frame["sex"] == sex).to_numpy()
                if arm is not None:
                    m &= (frame["arm"] == arm).to_numpy()
                return frame.loc[m, list(QUANTITIES)].mean()

            cf = mean(b, mb, "F") - mean(a, ma, "F")
            cm = mean(b, mb, "M") - mean(a, ma, "M")
            values = {"change_f": cf, "change_m": cm, "change_gap": cf - cm}
            if by != "treatment":
                d = {}
                for arm in (1, 0):
                    f = mean(b, mb, "F", arm) - mean(a, ma, "F", arm)
                    m = mean(b, mb, "M", arm) - mean(a, ma, "M", arm)
                    d[arm] = (f, f - m)
                values["did_f"] = d[1][0] - d[0][0]
                values["did_gap"] = d[1][1] - d[0][1]
            for q, series in values.items():
                for ind, v in series.items():
                    rows.append((ind, by, label, *rounds, q, float(v), ind in planted))
    return pd.DataFrame(
        rows,
        columns=["indicator", "by", "by_value", "round_from", "round_to", "quantity", "value",
                 "planted"],
    )  # fmt: skip


def _stable_hhid(pop_id: pd.Series) -> list[str]:
    return [f"H{i + 1:06d}" for i in pop_id.to_numpy()]


def _revisit(pop: Population, base: Sample, *, panel: float, rng) -> Sample:
    """Same communities and sample sizes; ``panel`` share of households re-interviewed."""
    hh = pop.households
    prev = base.households
    chosen = []
    for comm, group in prev.groupby("community", observed=True, sort=False):
        m = len(group)
        k = int(round(panel * m))
        keep = rng.permutation(group["pop_id"].to_numpy())[:k]
        pool = hh.loc[(hh["community"] == comm).to_numpy(), "pop_id"].to_numpy()
        pool = np.setdiff1d(pool, group["pop_id"].to_numpy())
        fresh = rng.permutation(pool)[: m - k]
        if len(fresh) < m - k:  # a small community: re-interview more of its households
            rest = np.setdiff1d(group["pop_id"].to_numpy(), keep)
            keep = np.concatenate([keep, rng.permutation(rest)[: m - k - len(fresh)]])
        chosen.append(np.concatenate([keep, fresh]))
    ids = np.sort(np.concatenate(chosen))
    new = hh.set_index("pop_id").loc[ids, ["district", "community", "hh_type"]].reset_index()
    w = base.design.set_index("community")["weight"]
    new["weight"] = w.reindex(new["community"].astype(str)).to_numpy()
    new["prob"] = 1.0 / new["weight"]
    new.insert(1, "hhid", _stable_hhid(new["pop_id"]))
    new = new.sort_values(["district", "community", "pop_id"], kind="stable").reset_index(drop=True)
    return Sample(households=new, design=base.design)


@dataclass
class SynthRounds:
    """Rendered rounds: ``surveys`` (one SynthSurvey each), ``names``, ``truth``, ``treated``."""

    surveys: list
    names: list[str]
    truth: pd.DataFrame
    treated: pd.Series


def generate_rounds(
    n_households: int = 600,
    *,
    rounds: int = 2,
    panel: float = 0.6,
    treatment: float = 0.5,
    seed: int = 0,
) -> SynthRounds:
    """A baseline and ``rounds − 1`` follow-ups of the same communities with planted changes.

    Parameters
    ----------
    n_households : int
        Households per round.
    rounds : int
        2 to 5 rounds; each follow-up applies :data:`PLANTED_CHANGES` once more.
    panel : float
        Share of each round's households re-interviewed at the next round (0–1).
    treatment : float
        Share of communities (per district) where the programme works (0–1).
    seed : int

    Examples
    --------
    >>> r = generate_rounds(120, seed=1)
    >>> r.names, len(r.surveys)
    (['baseline', 'follow_up'], 2)
    >>> a, b = (s.tables["households"]["hhid"] for s in r.surveys)
    >>> 0.5 < len(set(a) & set(b)) / len(a) < 0.7
    True
    """
    from gender_diag.synth.generate import SynthSurvey, generate
    from gender_diag.synth.render import render

    owner = "gender_diag.synth.generate_rounds"
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 2 <= rounds <= 5:
        raise bad_parameter("rounds", owner, "an integer from 2 to 5", rounds)
    for name, value in (("panel", panel), ("treatment", treatment)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise bad_parameter(name, owner, "a share from 0 to 1", value)
    base = generate(n_households, seed=seed)
    rng = np.random.default_rng([seed, 13])
    treated = _assign_treatment(base.population, treatment, rng)
    names = ["baseline", "follow_up"] if rounds == 2 else [
        "baseline", *[f"follow_up_{i}" for i in range(1, rounds)]
    ]  # fmt: skip
    base_sample = Sample(
        households=base.households.assign(hhid=_stable_hhid(base.households["pop_id"])),
        design=base.design,
    )
    pops = [base.population]
    samples = [base_sample]
    for r in range(1, rounds):
        pops.append(follow_up(pops[-1], treated, seed=seed + r))
        samples.append(_revisit(pops[-1], samples[-1], panel=panel, rng=rng))
    surveys = []
    truths = []
    for r, (pop, sample) in enumerate(zip(pops, samples, strict=True)):
        design = sample.design.assign(
            **{TREATMENT_COLUMN: sample.design["community"].astype(str).map(treated).to_numpy()}
        )
        tables = render(pop, sample, seed=seed + 1000 * r)
        surveys.append(
            SynthSurvey(
                tables=tables,
                design=design,
                truth=pop.truth(),
                planted_errors=base.planted_errors.iloc[:0],
                households=sample.households,
                form=base.form,
                population=pop,
                seed=seed + 1000 * r,
            )
        )
        if r:
            truths.append(change_truth(pops[0], pop, treated, rounds=(names[0], names[r])))
    return SynthRounds(surveys, names, pd.concat(truths, ignore_index=True), treated)


def _round_toml(name: str, paths: dict, folder: Path) -> str:
    if "kobo_xlsx" in paths:
        fmt, data = "kobo", Path(paths["kobo_xlsx"]).relative_to(folder)
    elif "kobo_csv" in paths:
        fmt, data = "kobo", Path(paths["kobo_csv"]).relative_to(folder)
    else:
        fmt, data = "odk", Path(paths["odk_csv"][0]).relative_to(folder)
    form = Path(paths["form"]).relative_to(folder)
    return (
        f"# Synthetic survey round {name!r} (gender-diag synth --rounds).\n"
        f'[diagnostic]\nname = "synth_{name}"\n\n'
        f'[input]\nformat = "{fmt}"\npath = "{data.as_posix()}"\nform = "{form.as_posix()}"\n'
        'design = "design.csv"\n'
    )


def write_rounds(synth: SynthRounds, out_dir: str | Path, *, formats=None) -> dict[str, object]:
    """Write each round as a full survey folder with its ``diagnostic.toml``, the top
    ``diagnostic.toml`` with ``[[rounds]]`` and ``[evaluation]``, and ``truth.csv``."""
    from gender_diag.synth.writers import write_survey

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats or ("kobo_xlsx", "odk_csv"))
    written: dict[str, object] = {}
    lines = [
        "# Synthetic baseline and follow-up (gender-diag synth --rounds); planted changes in",
        "# truth.csv. Run it with `gender-diag run` on this file.",
        '[diagnostic]\nname = "synth_rounds"\n',
    ]
    for name, survey in zip(synth.names, synth.surveys, strict=True):
        folder = out / name
        paths = write_survey(survey, folder, formats=formats)
        (folder / "diagnostic.toml").write_text(_round_toml(name, paths, folder), encoding="utf-8")
        written[name] = folder
        date = {"baseline": "2024-06"}.get(name, "2026-06")
        lines.append(f'[[rounds]]\nname = "{name}"\ndate = "{date}"\n'
                     f'config = "{name}/diagnostic.toml"\n')  # fmt: skip
    lines.append(f'[evaluation]\ntreatment = "{TREATMENT_COLUMN}"\npanel = "auto"\n')
    (out / "diagnostic.toml").write_text("\n".join(lines), encoding="utf-8")
    synth.truth.to_csv(out / "truth.csv", index=False, lineterminator="\n", float_format="%.10g")
    written["config"] = out / "diagnostic.toml"
    written["truth"] = out / "truth.csv"
    return written
