"""One call from a seed to a complete synthetic survey: population → sample → answers.

:func:`generate` draws a finite population (:mod:`~gender_diag.synth.population`), a
stratified two-stage sample from it (:mod:`~gender_diag.synth.sample`), renders the sampled
households as the instrument's tables (:mod:`~gender_diag.synth.render`) and, on request,
plants data-entry errors (:mod:`~gender_diag.synth.plant`). :func:`main_synth` is what the
command line ``gender-diag synth`` calls.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gender_diag.errors import bad_parameter
from gender_diag.synth.form import FormSpec, load_form
from gender_diag.synth.plant import ERROR_COLUMNS, plant_errors
from gender_diag.synth.population import MAX_COMMUNITIES, Population, population
from gender_diag.synth.render import render
from gender_diag.synth.sample import draw_sample
from gender_diag.synth.writers import FORMATS, MAX_XLSX_HOUSEHOLDS, write_survey

MIN_HOUSEHOLDS = 50
MAX_HOUSEHOLDS = 1_000_000
DEFAULT_FORMATS = FORMATS


@dataclass
class SynthSurvey:
    """A rendered synthetic survey.

    Attributes
    ----------
    tables : dict of DataFrame
        ``"households"`` (main sheet), ``"roster"``, ``"parcels"``, ``"individual"`` with
        tidy column names, choice codes as ``Categorical``, select_multiple answers as
        space-separated codes, missing where not asked; ``_index``/``_parent_index`` link
        repeat rows to submissions as in a Kobo export.
    design : DataFrame
        Contract ``design.csv``: one row per sampled community.
    truth : DataFrame
        Finite-population values of the planted quantities
        (:func:`gender_diag.synth.population.truth`).
    planted_errors : DataFrame
        ``table, sheet, row, index, hhid, column, kind, value`` (empty without errors).
    households : DataFrame
        The sampled households with ``pop_id``, ``hhid``, ``hh_type``, ``weight``, ``prob``.
    form : FormSpec
    population : Population
    seed : int
    """

    tables: dict[str, pd.DataFrame]
    design: pd.DataFrame
    truth: pd.DataFrame
    planted_errors: pd.DataFrame
    households: pd.DataFrame
    form: FormSpec = field(repr=False)
    population: Population = field(repr=False)
    seed: int = 0

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        return f"SynthSurvey(seed={self.seed}, {sizes}, errors={len(self.planted_errors)})"


def default_allocation(n_households: int, n_districts: int) -> int:
    """Communities to sample per district: about 15 households each, 2 to 15 per district.

    Examples
    --------
    >>> default_allocation(600, 3), default_allocation(50, 3), default_allocation(10**6, 3)
    (14, 2, 15)
    """
    total = min(n_districts * MAX_COMMUNITIES, max(2 * n_districts, n_households // 15))
    return min(MAX_COMMUNITIES, math.ceil(total / n_districts))


def generate(
    n_households: int = 600,
    *,
    seed: int = 0,
    errors: bool = False,
    n_districts: int = 3,
    communities_per_district: int | None = None,
    population_households: int | None = None,
) -> SynthSurvey:
    """Generate a synthetic household survey with a known design and planted gender gaps.

    Parameters
    ----------
    n_households : int
        Sample size, 50 to 1,000,000 households.
    seed : int
        Seed; the same arguments give identical tables.
    errors : bool
        Plant one data-entry error of each kind (see
        :func:`gender_diag.synth.plant.plant_errors`), logged in ``planted_errors``.
    n_districts : int
        Strata, 1–3.
    communities_per_district : int, optional
        Communities sampled per district (default: about 15 households per community).
    population_households : int, optional
        Population size (default: about six times the sample for small samples, 1.5 times
        for a million, so that the population stays in memory).

    Returns
    -------
    SynthSurvey

    Examples
    --------
    >>> s = generate(60, seed=1)
    >>> len(s.tables["households"]), sorted(s.tables)
    (60, ['households', 'individual', 'parcels', 'roster'])
    >>> bool(s.design["weight"].gt(1).all())
    True
    """
    owner = "gender_diag.synth.generate"
    if isinstance(n_households, bool) or not (
        isinstance(n_households, int | np.integer)
        and MIN_HOUSEHOLDS <= n_households <= MAX_HOUSEHOLDS
    ):
        raise bad_parameter(
            "n_households",
            owner,
            f"an integer from {MIN_HOUSEHOLDS} to {MAX_HOUSEHOLDS:,}",
            n_households,
        )
    k = communities_per_district or default_allocation(int(n_households), n_districts)
    if not (isinstance(k, int | np.integer) and 1 <= k <= MAX_COMMUNITIES):
        raise bad_parameter(
            "communities_per_district", owner, f"an integer from 1 to {MAX_COMMUNITIES}", k
        )
    m_max = math.ceil(n_households / (k * n_districts))
    factor = float(np.clip(6.0 * math.sqrt(20_000 / n_households), 1.5, 6.0))
    need = n_districts * MAX_COMMUNITIES * m_max
    n_pop = population_households or max(
        math.ceil(factor * n_households * MAX_COMMUNITIES / k), need
    )
    if n_pop < need:
        raise bad_parameter(
            "population_households", owner, f"at least {need:,} for this sample", n_pop
        )
    pop = population(
        n_households=int(n_pop),
        n_districts=n_districts,
        communities_per_district=MAX_COMMUNITIES,
        min_households=m_max,
        seed=seed,
    )
    sample = draw_sample(pop, communities_per_district=k, n_households=int(n_households), seed=seed)
    tables = render(pop, sample, seed=seed)
    form = load_form()
    planted = pd.DataFrame(columns=list(ERROR_COLUMNS))
    if errors:
        names = {"households": form.main_sheet} | {r: r for r in form.repeats}
        tables, planted = plant_errors(tables, sheet_names=names, seed=seed)
    return SynthSurvey(
        tables=tables,
        design=sample.design,
        truth=pop.truth(),
        planted_errors=planted,
        households=sample.households,
        form=form,
        population=pop,
        seed=seed,
    )


def main_synth(
    out_dir: str | Path,
    *,
    n_households: int = 600,
    seed: int = 0,
    errors: bool = False,
    formats: Iterable[str] | None = None,
) -> dict[str, Path | list[Path]]:
    """Generate a survey and write it to ``out_dir`` (what ``gender-diag synth`` runs).

    Parameters
    ----------
    out_dir : path
        Folder to write (created).
    n_households, seed, errors
        As in :func:`generate`.
    formats : iterable of str, optional
        Any of ``"kobo_xlsx"``, ``"kobo_csv"``, ``"odk_csv"``; default all three, without
        ``kobo_xlsx`` above 50,000 households.

    Returns
    -------
    dict
        What → path(s) written (see :func:`gender_diag.synth.writers.write_survey`).
    """
    if formats is None:
        formats = FORMATS if n_households <= MAX_XLSX_HOUSEHOLDS else ("kobo_csv", "odk_csv")
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise bad_parameter(
            "formats", "gender_diag.synth.main_synth", f"one or more of {FORMATS}", formats
        )
    synth = generate(n_households, seed=seed, errors=errors)
    return write_survey(synth, out_dir, formats=formats)
