"""A census-shaped synthetic person file (Parquet), its catalogue and diagnostic.toml.

Shaped like Peru's 2017 census (INEI): 25 departments, about 196 provinces and 1,874
districts with very skewed sizes (a few districts of hundreds of thousands of persons,
hundreds of a few thousand — drawn log-normal, σ = 1.4), sex, age (young pyramid), literacy,
education level, mother tongue (Castilian, Quechua, Aymara, Amazonian languages; by
department), DNI (national identity number — a direct identifier, written to the person file
and never to any output), health insurance, disability, employment and household headship.
Women's disadvantages vary by district (a district effect on the log-odds) so that districts
differ and can be ranked. Generation is vectorised: one array per column, no loop over persons.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = ["CENSUS_INDICATORS", "census_frame", "write_census"]

N_DEPARTMENTS, N_PROVINCES, N_DISTRICTS = 25, 196, 1874
TONGUES = np.array(["castellano", "quechua", "aimara", "amazonica", "otra"])
EDUCATION = np.array(["ninguno", "primaria", "secundaria", "superior"])


def _split(total: int, parts: int, rng, sigma: float) -> np.ndarray:
    """Positive integer sizes summing to ``total`` with log-normal shares (≥ 1 each)."""
    share = rng.lognormal(0.0, sigma, parts)
    raw = share / share.sum() * (total - parts)
    out = np.floor(raw).astype(np.int64) + 1
    out[np.argsort(raw - np.floor(raw))[::-1][: total - out.sum()]] += 1
    return out


def geography(rng) -> pd.DataFrame:
    """1,874 districts nested in 196 provinces in 25 departments, ubigeo-like codes."""
    prov_per_dep = _split(N_PROVINCES, N_DEPARTMENTS, rng, 0.5)
    dist_per_prov = _split(N_DISTRICTS, N_PROVINCES, rng, 0.7)
    dep_of_prov = np.repeat(np.arange(N_DEPARTMENTS), prov_per_dep)
    prov_of_dist = np.repeat(np.arange(N_PROVINCES), dist_per_prov)
    dep = dep_of_prov[prov_of_dist]
    prov_rank = np.arange(N_PROVINCES) - np.searchsorted(dep_of_prov, dep_of_prov)
    dist_rank = np.arange(N_DISTRICTS) - np.searchsorted(prov_of_dist, prov_of_dist)
    dep_code = np.char.zfill((dep + 1).astype(str), 2)
    prov_code = np.char.add(dep_code, np.char.zfill((prov_rank[prov_of_dist] + 1).astype(str), 2))
    dist_code = np.char.add(prov_code, np.char.zfill((dist_rank + 1).astype(str), 2))
    return pd.DataFrame({"department": dep_code, "province": prov_code, "district": dist_code})


class _Country:
    """Geography and district-level parameters, drawn once per seed."""

    def __init__(self, persons: int, seed: int):
        rng = np.random.default_rng(seed)
        self.geo = geography(rng)
        self.sizes = _split(max(persons, N_DISTRICTS), N_DISTRICTS, rng, 1.4)
        self.dep_idx = pd.factorize(self.geo["department"])[0]
        self.effect = rng.normal(0.0, 0.6, N_DISTRICTS)  # district gender-gap effect
        self.rural = rng.uniform(0, 1, N_DISTRICTS)
        self.tongue_p = rng.dirichlet([8, 3, 0.6, 0.5, 0.2], N_DEPARTMENTS)
        self.persons = persons


def census_frame(persons: int, *, seed: int = 0) -> pd.DataFrame:
    """One row per person (see the module docstring); ``weight`` = 1 (complete count)."""
    country = _Country(persons, seed)
    d = np.repeat(np.arange(N_DISTRICTS), country.sizes)[:persons]
    return _persons(country, d, np.random.default_rng([seed, 0]), first_id=1)


def _persons(country: _Country, d: np.ndarray, rng, *, first_id: int) -> pd.DataFrame:
    geo = country.geo
    n = d.size
    dep_idx = country.dep_idx[d]
    effect = country.effect[d]
    rural = country.rural[d]
    female = rng.random(n) < 0.505
    age = np.minimum(rng.exponential(30.0, n), 99).astype(np.int64)

    def bern(logit):
        return rng.random(n) < 1.0 / (1.0 + np.exp(-logit))

    fem = female.astype(float)
    literate = bern(3.2 - 2.0 * rural - fem * (0.9 + effect) - 0.02 * np.maximum(age - 40, 0))
    edu_score = rng.normal(1.6 - 1.0 * rural - fem * (0.35 + 0.3 * effect), 0.9, n)
    edu_level = np.clip(np.floor(edu_score + 0.5), 0, 3).astype(np.int64)
    edu_level = np.where(age < 6, 0, np.where(age < 12, np.minimum(edu_level, 1), edu_level))
    tongue_p = country.tongue_p[dep_idx]
    tongue = (tongue_p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    worker = age >= 14
    active = bern(1.2 - fem * (1.0 + 0.5 * effect) - 0.05 * np.maximum(age - 60, 0))
    employed = active & bern(2.5 - 0.3 * fem)
    employment = np.where(~worker, None, np.where(employed, "ocupado",
                          np.where(active, "desocupado", "inactivo")))  # fmt: skip
    ins_draw = rng.random(n)
    essalud = employed & bern(-0.4 - 1.5 * rural - 0.3 * fem)
    insurance = np.where(essalud, "essalud", np.where(ins_draw < 0.72 - 0.05 * (1 - fem), "sis",
                         np.where(ins_draw < 0.78, "otro", "ninguno")))  # fmt: skip
    disability = bern(-3.0 + 0.03 * age + 0.1 * fem)
    head = (age >= 18) & bern(-0.2 - fem * (1.3 + 0.4 * effect))
    dni_known = bern(4.0 - 1.5 * rural - fem * (0.5 + 0.5 * effect)) | (age < 18)
    dni = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8).astype(object)
    dni[~dni_known | (age < 18) & (rng.random(n) < 0.1)] = None
    frame = pd.DataFrame(
        {
            "person_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "department": geo["department"].to_numpy()[d],
            "province": geo["province"].to_numpy()[d],
            "district": geo["district"].to_numpy()[d],
            "sex": np.where(female, "F", "M"),
            "age": age,
            "literacy": np.where(age < 6, None, np.where(literate, "si", "no")),
            "education": EDUCATION[edu_level],
            "mother_tongue": TONGUES[tongue],
            "dni": dni,
            "health_insurance": insurance,
            "disability": np.where(disability, "si", "no"),
            "employment": employment,
            "household_head": np.where(head, "si", "no"),
            "weight": 1.0,
        }
    )
    return frame


def _ind(id_, domain, es, fr, en, rule, universe="all", direction="higher_better", rights="social"):
    return {
        "id": id_,
        "domain": domain,
        "label": {"es": es, "fr": fr, "en": en},
        "definition": {"es": es, "fr": fr, "en": en},
        "unit": "member",
        "universe": universe,
        "type": "proportion",
        "rule": rule,
        "direction": direction,
        "standard": "INEI census 2017",
        "sensitive": False,
        "tags": {
            "moser": "practical",
            "roles": "community",
            "harvard": "access",
            "rights": rights,
        },  # fmt: skip
    }


#: Fifteen person-level census indicators, compared between women and men.
CENSUS_INDICATORS = [
    _ind("literate", "education", "Sabe leer y escribir (15+)", "Sait lire et écrire (15+)",
         "Literate (15+)", "literacy == 'si'", "age >= 15"),
    _ind("youth_literate", "education", "Jóvenes que saben leer (15-24)",
         "Jeunes alphabétisés (15-24)", "Youth literacy (15-24)", "literacy == 'si'",
         "age >= 15 and age <= 24"),
    _ind("no_schooling", "education", "Sin nivel educativo (15+)", "Sans instruction (15+)",
         "No schooling (15+)", "education == 'ninguno'", "age >= 15", "higher_worse"),
    _ind("secondary_plus", "education", "Secundaria o más (20+)", "Secondaire ou plus (20+)",
         "Secondary or more (20+)", "education in ['secundaria', 'superior']", "age >= 20"),
    _ind("higher_education", "education", "Educación superior (25+)",
         "Enseignement supérieur (25+)", "Higher education (25+)", "education == 'superior'",
         "age >= 25"),
    _ind("indigenous_literate", "education", "Lengua originaria y sabe leer (15+)",
         "Langue autochtone et alphabétisé (15+)", "Indigenous mother tongue, literate (15+)",
         "literacy == 'si'", "age >= 15 and mother_tongue in ['quechua', 'aimara', 'amazonica']",
         rights="cultural"),
    _ind("insured", "health", "Tiene seguro de salud", "A une assurance santé",
         "Has health insurance", "health_insurance != 'ninguno'"),
    _ind("essalud", "health", "Seguro social (EsSalud) (14+)", "Sécurité sociale (EsSalud) (14+)",
         "Social security (EsSalud) (14+)", "health_insurance == 'essalud'", "age >= 14",
         rights="economic"),
    _ind("insured_elderly", "health", "Adultos mayores con seguro (65+)",
         "Personnes âgées assurées (65+)", "Older persons insured (65+)",
         "health_insurance != 'ninguno'", "age >= 65"),
    _ind("disability", "health", "Con alguna discapacidad", "En situation de handicap",
         "With a disability", "disability == 'si'", direction="higher_worse"),
    _ind("employed", "work", "Ocupada/o (14+)", "En emploi (14+)", "Employed (14+)",
         "employment == 'ocupado'", "age >= 14", rights="economic"),
    _ind("unemployed", "work", "Desocupada/o en la PEA", "Au chômage (population active)",
         "Unemployed (labour force)", "employment == 'desocupado'",
         "employment in ['ocupado', 'desocupado']", "higher_worse", "economic"),
    _ind("inactive", "work", "Fuera de la fuerza laboral (14-64)", "Inactif (14-64)",
         "Outside the labour force (14-64)", "employment == 'inactivo'",
         "age >= 14 and age <= 64", "higher_worse", "economic"),
    _ind("household_head", "decision", "Jefa/e de hogar (18+)", "Chef de ménage (18+)",
         "Head of household (18+)", "household_head == 'si'", "age >= 18",
         rights="civil_political"),
    _ind("has_dni", "identity", "Tiene DNI (18+)", "A une carte d'identité (18+)",
         "Holds a national ID (18+)", "notna(dni)", "age >= 18", rights="civil_political"),
]  # fmt: skip


_TOML = """# Census diagnostic (synthetic, shaped like a national census): every district's gaps.
[diagnostic]
name = "{name}"
title = "Brechas de género por distrito (censo sintético)"
languages = ["es", "fr", "en"]

[input]
format = "census"            # a person file (Parquet or CSV) scanned by the engine
path = "persons.parquet"

[design]
weight = "weight"            # a census counts everyone: weight 1, no strata, no PSUs

[indicators]
catalogue = "catalogue/indicators.yaml"
disaggregations = ["department", "province", "district"]

[engine]
kind = "duckdb"              # or "spark" (spark_master = "local[2]" or a cluster URL)

# [census]
# district = "080101"        # place one district among all districts in the reports
"""


def write_census(
    out: str | Path, *, persons: int, seed: int = 0, name: str = "census", chunk: int = 2_000_000
) -> dict:
    """Write ``persons.parquet``, ``catalogue/indicators.yaml`` and ``diagnostic.toml``.

    Above ``chunk`` persons the Parquet "file" is a folder of parts written one chunk at a
    time, so memory stays bounded whatever the size (the engine scans the folder).
    """
    import duckdb

    out = Path(out)
    (out / "catalogue").mkdir(parents=True, exist_ok=True)
    country = _Country(persons, seed)
    d_all = np.repeat(np.arange(N_DISTRICTS, dtype=np.int32), country.sizes)[:persons]
    path = out / "persons.parquet"
    if path.exists() and path.is_dir():
        for old in path.glob("*.parquet"):
            old.unlink()
    chunks = range(0, d_all.size, chunk)
    if len(chunks) > 1:
        path.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for k, start in enumerate(chunks):
        frame = _persons(country, d_all[start : start + chunk],
                         np.random.default_rng([seed, k]), first_id=start + 1)  # fmt: skip
        con.register("persons", frame)
        target = path / f"part-{k:04d}.parquet" if len(chunks) > 1 else path
        con.table("persons").write_parquet(str(target), compression="zstd")
        con.unregister("persons")
        del frame
    con.close()
    cat = out / "catalogue" / "indicators.yaml"
    cat.write_text(
        yaml.safe_dump(
            {"version": 1, "indicators": CENSUS_INDICATORS}, allow_unicode=True, sort_keys=False
        ),
        encoding="utf-8",
    )
    toml = out / "diagnostic.toml"
    toml.write_text(_TOML.format(name=name), encoding="utf-8")
    return {"persons": path, "catalogue": cat, "config": toml}
