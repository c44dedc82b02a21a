"""A realistic :class:`RunResult` built without the upstream stages, for the report tests.

Tests reach it only through fixtures (``result_factory``, ``run_result``, ``written``,
``identifiers``): several test folders have a ``conftest.py``, so importing from one by name
would be ambiguous.

The numbers are synthetic (seeded) but shaped like docs/contracts.md §4–§6: 30 indicators with
es/fr/en labels, by sex × total / district / community / age group (with small community
cells), a sensitive violence indicator, a WEAI-like index result, a ranking with robustness
columns, direct and indirect actions with sentences in three languages, a validation report and
provenance. The survey tables carry household ids and a member name so that tests can check
that no microdata reaches any output.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from gender_diag.result import RunResult

DISTRICTS = {
    "acomayo": ["c01", "c02", "c03"],
    "pomacanchi": ["c04", "c05", "c06"],
    "sangarara": ["c07", "c08", "c09"],
}
AGE_GROUPS = ["15-29", "30-49", "50+"]
HHIDS = [f"H{i:05d}" for i in range(1, 41)]
MEMBER_NAMES = ["Justina Quispe Mamani", "Teodoro Huamán Ccori"]

# id, domain, type (proportion or mean), direction, sensitive, es, fr, en
INDICATORS = [
    (
        "owns_land",
        "assets",
        "proportion",
        "higher_better",
        False,
        "Posee tierra (sola o en conjunto)",
        "Possède de la terre (seule ou conjointement)",
        "Owns land (alone or jointly)",
    ),
    (
        "land_titled",
        "assets",
        "proportion",
        "higher_better",
        False,
        "Figura en el título de la parcela",
        "Figure sur le titre foncier",
        "Named on the land title",
    ),
    (
        "owns_livestock",
        "assets",
        "proportion",
        "higher_better",
        False,
        "Posee ganado mayor",
        "Possède du gros bétail",
        "Owns large livestock",
    ),
    (
        "decides_crops",
        "decisions",
        "proportion",
        "higher_better",
        False,
        "Decide qué cultivar",
        "Décide quoi cultiver",
        "Decides what to grow",
    ),
    (
        "decides_income",
        "decisions",
        "proportion",
        "higher_better",
        False,
        "Decide el uso de sus ingresos",
        "Décide de l'usage de ses revenus",
        "Decides how own income is used",
    ),
    (
        "decides_health",
        "decisions",
        "proportion",
        "higher_better",
        False,
        "Decide sobre su salud",
        "Décide de sa santé",
        "Decides on own health care",
    ),
    (
        "own_income",
        "economic",
        "proportion",
        "higher_better",
        False,
        "Tiene ingresos propios",
        "A des revenus propres",
        "Has own income",
    ),
    (
        "bank_account",
        "economic",
        "proportion",
        "higher_better",
        False,
        "Tiene cuenta bancaria",
        "A un compte bancaire",
        "Has a bank account",
    ),
    (
        "credit_access",
        "economic",
        "proportion",
        "higher_better",
        False,
        "Obtuvo crédito en 12 meses",
        "A obtenu un crédit en 12 mois",
        "Obtained credit in 12 months",
    ),
    (
        "wage_work",
        "economic",
        "proportion",
        "higher_better",
        False,
        "Trabajo remunerado",
        "Travail rémunéré",
        "Paid work",
    ),
    (
        "literate",
        "education",
        "proportion",
        "higher_better",
        False,
        "Sabe leer y escribir",
        "Sait lire et écrire",
        "Can read and write",
    ),
    (
        "secondary_complete",
        "education",
        "proportion",
        "higher_better",
        False,
        "Secundaria completa",
        "Secondaire achevé",
        "Completed secondary school",
    ),
    (
        "spanish_speaker",
        "education",
        "proportion",
        "higher_better",
        False,
        "Habla castellano",
        "Parle espagnol",
        "Speaks Spanish",
    ),
    (
        "has_dni",
        "rights",
        "proportion",
        "higher_better",
        False,
        "Tiene DNI",
        "A une carte d'identité (DNI)",
        "Has a national ID (DNI)",
    ),
    (
        "health_insured",
        "rights",
        "proportion",
        "higher_better",
        False,
        "Tiene seguro de salud",
        "A une assurance maladie",
        "Has health insurance",
    ),
    (
        "group_member",
        "participation",
        "proportion",
        "higher_better",
        False,
        "Miembro activo de una organización",
        "Membre actif d'une organisation",
        "Active member of a group",
    ),
    (
        "water_committee",
        "participation",
        "proportion",
        "higher_better",
        False,
        "Cargo en el comité de agua",
        "Poste au comité de l'eau",
        "Seat on the water committee",
    ),
    (
        "community_board",
        "participation",
        "proportion",
        "higher_better",
        False,
        "Cargo en la directiva comunal",
        "Poste au conseil communal",
        "Seat on the community board",
    ),
    (
        "speaks_public",
        "participation",
        "proportion",
        "higher_better",
        False,
        "Habla en público con comodidad",
        "Parle en public avec aisance",
        "Comfortable speaking in public",
    ),
    (
        "participatory_budget",
        "participation",
        "proportion",
        "higher_better",
        False,
        "Participó en el presupuesto participativo",
        "A participé au budget participatif",
        "Took part in the participatory budget",
    ),
    (
        "territorial_planning",
        "participation",
        "proportion",
        "higher_better",
        False,
        "Participó en la planificación territorial",
        "A participé à la planification territoriale",
        "Took part in territorial planning",
    ),
    (
        "training_agroecology",
        "training",
        "proportion",
        "higher_better",
        False,
        "Capacitada/o en agroecología",
        "Formé·e en agroécologie",
        "Trained in agroecology",
    ),
    (
        "promoter",
        "training",
        "proportion",
        "higher_better",
        False,
        "Es promotora o promotor",
        "Est promotrice ou promoteur",
        "Is a farmer promoter",
    ),
    (
        "has_mobile",
        "digital",
        "proportion",
        "higher_better",
        False,
        "Tiene teléfono celular",
        "A un téléphone portable",
        "Has a mobile phone",
    ),
    (
        "mobile_internet",
        "digital",
        "proportion",
        "higher_better",
        False,
        "Usa internet móvil",
        "Utilise l'internet mobile",
        "Uses mobile internet",
    ),
    (
        "workload_hours",
        "time_use",
        "mean",
        "higher_worse",
        False,
        "Horas de trabajo al día",
        "Heures de travail par jour",
        "Hours of work per day",
    ),
    (
        "care_hours",
        "time_use",
        "mean",
        "higher_worse",
        False,
        "Horas de cuidado al día",
        "Heures de soins par jour",
        "Hours of care per day",
    ),
    (
        "leisure_sat",
        "time_use",
        "mean",
        "higher_better",
        False,
        "Satisfacción con el tiempo libre (1–10)",
        "Satisfaction avec le temps libre (1–10)",
        "Satisfaction with leisure time (1–10)",
    ),
    (
        "visits_municipality",
        "mobility",
        "proportion",
        "higher_better",
        False,
        "Va sola/o a la municipalidad",
        "Se rend seul·e à la mairie",
        "Goes alone to the municipality",
    ),
    (
        "ipv_physical_12m",
        "violence",
        "proportion",
        "higher_worse",
        True,
        "Violencia física de la pareja en 12 meses",
        "Violence physique du partenaire sur 12 mois",
        "Physical partner violence in the last 12 months",
    ),
]
FEASIBILITY = {ind[0]: (i * 37 % 10) / 2 + 0.5 for i, ind in enumerate(INDICATORS)}


def _cells(rng: np.random.Generator) -> pd.DataFrame:
    rows = [("total", "", 400)]
    rows += [("district", d, 130) for d in DISTRICTS]
    small = {"c03": 4, "c06": 7, "c09": 2}  # small communities → primary suppression
    for comms in DISTRICTS.values():
        rows += [("community", c, small.get(c, 45)) for c in comms]
    rows += [("age_group", a, 130) for a in AGE_GROUPS]
    return pd.DataFrame(rows, columns=["by", "by_value", "n_base"])


def make_indicators(seed: int = 0) -> pd.DataFrame:
    """Long indicator table (contracts §4), before disclosure control."""
    rng = np.random.default_rng(seed)
    cells = _cells(rng)
    frames = []
    for ind_id, domain, unit, direction, sensitive, *_ in INDICATORS:
        base_f = rng.uniform(0.15, 0.6) if unit == "proportion" else rng.uniform(2, 8)
        base_m = base_f + (rng.uniform(-0.05, 0.3) if unit == "proportion" else rng.uniform(-2, 1))
        for sex, base in (("F", base_f), ("M", base_m)):
            part = cells.copy()
            shift = rng.normal(0, 0.03 if unit == "proportion" else 0.3, len(part))
            est = base + shift
            if unit == "proportion":
                est = np.clip(est, 0.01, 0.99)
            n = part["n_base"].to_numpy() + rng.integers(0, 3, len(part))
            if sensitive:
                n = np.maximum(n // 3, 1)  # violence module: asked of fewer respondents
            if ind_id == "wage_work" and sex == "M":
                n = np.where(part["by_value"] == "c05", 3, n)  # a small men-only cell
            se = (
                np.sqrt(est * (1 - est) / n) * 1.4
                if unit == "proportion"
                else np.full(len(part), 0.25) * 10 / np.sqrt(n)
            )
            part = part.assign(
                indicator=ind_id,
                domain=domain,
                # as in the catalogue: ``unit`` is the unit of analysis, ``type`` the scale
                unit="household" if domain == "assets" else "respondent",
                type=unit,
                direction=direction,
                sensitive=sensitive,
                sex=sex,
                estimate=est,
                se=se,
                ci_low=est - 1.96 * se,
                ci_high=est + 1.96 * se,
                df=60.0,
                n=n.astype(int),
                population=n * 21.5,
            )
            part["affected"] = (
                part["population"] * (1 - est if direction == "higher_better" else est)
                if sex == "F" and unit == "proportion"
                else part["population"] * 0.4
                if sex == "F"
                else np.nan
            )
            frames.append(part.drop(columns="n_base"))
    ind = pd.concat(frames, ignore_index=True)
    ind["cv"] = ind["se"] / ind["estimate"].abs()
    ind["reliability"] = np.where(
        ind["cv"] <= 0.15, "reliable", np.where(ind["cv"] <= 0.3, "caution", "unreliable")
    )
    key = ["indicator", "by", "by_value"]
    f = ind[ind["sex"] == "F"].set_index(key)
    m = ind[ind["sex"] == "M"].set_index(key)
    gap = f["estimate"] - m["estimate"]
    gap_se = np.sqrt(f["se"] ** 2 + m["se"] ** 2)
    z = (gap / gap_se).abs().to_numpy()
    from scipy.stats import norm

    pair = pd.DataFrame(
        {
            "gap": gap,
            "gap_se": gap_se,
            "gap_ci_low": gap - 1.96 * gap_se,
            "gap_ci_high": gap + 1.96 * gap_se,
            "ratio": f["estimate"] / m["estimate"],
            "ratio_ci_low": (f["estimate"] / m["estimate"]) * 0.9,
            "ratio_ci_high": (f["estimate"] / m["estimate"]) * 1.1,
            "p_value": 2 * norm.sf(z),
        }
    ).reset_index()
    order = pair["p_value"].rank(method="first").to_numpy()
    pair["q_value"] = np.minimum(1.0, pair["p_value"] * len(pair) / order)
    ind = ind.merge(pair, on=key, how="left")
    ind["suppressed"] = False
    ind["extra_upstream_column"] = "kept"  # writers must tolerate extra columns
    return ind


def make_gaps(ind: pd.DataFrame) -> pd.DataFrame:
    key = ["indicator", "by", "by_value"]
    f = ind[ind["sex"] == "F"].set_index(key)
    m = ind[ind["sex"] == "M"].set_index(key)
    g = pd.DataFrame(
        {
            "estimate_f": f["estimate"],
            "estimate_m": m["estimate"],
            "ci_low_f": f["ci_low"],
            "ci_high_f": f["ci_high"],
            "ci_low_m": m["ci_low"],
            "ci_high_m": m["ci_high"],
            "n_f": f["n"],
            "n_m": m["n"],
            "gap": f["gap"],
            "gap_se": f["gap_se"],
            "gap_ci_low": f["gap_ci_low"],
            "gap_ci_high": f["gap_ci_high"],
            "ratio": f["ratio"],
            "p_value": f["p_value"],
            "q_value": f["q_value"],
            "affected": f["affected"],
            "reliability": f["reliability"],
            "direction": f["direction"],
            "domain": f["domain"],
            "sensitive": f["sensitive"],
        }
    ).reset_index()
    g.insert(0, "gap_id", g["indicator"] + "|" + g["by"] + "|" + g["by_value"])
    g["moser"] = np.where(g["domain"].isin(["participation", "rights"]), "strategic", "practical")
    return g


def make_ranking(gaps: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    cand = gaps[gaps["by"].isin(["total", "district"])].copy()
    # two rows that disclosure control must handle: a suppressed community gap and a
    # sensitive community gap (which must never be published).
    extra = gaps[gaps["gap_id"].isin(["owns_land|community|c09", "ipv_physical_12m|community|c01"])]
    cand["size"] = cand["gap"].abs() / cand["gap"].abs().max()
    cand = cand.sort_values("size", ascending=False).head(14)
    cand = pd.concat([cand, extra.assign(size=0.4)], ignore_index=True)
    cand["confidence"] = 1 - cand["q_value"].clip(0, 1)
    cand["reach"] = cand["affected"] / cand["affected"].max()
    cand["severity"] = np.where(cand["sensitive"], 1.0, 0.6)
    cand["feasibility"] = cand["indicator"].map(FEASIBILITY)
    w = {"size": 0.3, "confidence": 0.2, "reach": 0.2, "severity": 0.15, "feasibility": 0.15}
    for c, wt in w.items():
        cand[f"contrib_{c}"] = cand[c].fillna(0) * wt
    cand["score"] = cand[[f"contrib_{c}" for c in w]].sum(axis=1)
    cand = cand.sort_values(["score", "gap_id"], ascending=[False, True]).reset_index(drop=True)
    cand.insert(0, "rank", np.arange(1, len(cand) + 1))
    cand["median_rank"] = cand["rank"] + np.where(cand["rank"] % 3 == 0, 1, 0)
    cand["rank_low"] = np.maximum(1, cand["rank"] - 2)
    cand["rank_high"] = cand["rank"] + 3
    cand["p_top_k"] = np.clip(1.2 - cand["rank"] / 8, 0, 1)
    cand["flags"] = np.where(cand["reliability"] == "unreliable", "unreliable", "")
    lab = labels.set_index("indicator")
    for lang, word in (("es", "brecha grande"), ("fr", "écart important"), ("en", "large gap")):
        cand[f"why_{lang}"] = [
            f"{lab.loc[i, f'label_{lang}']}: {word}; <b>{c:.2f}</b>"
            for i, c in zip(cand["indicator"], cand["contrib_size"], strict=True)
        ]
    keep = ["rank", "gap_id", "indicator", "by", "by_value", "score", *w]
    keep += [f"contrib_{c}" for c in w]
    keep += ["median_rank", "rank_low", "rank_high", "p_top_k", "flags"]
    keep += ["why_es", "why_fr", "why_en", "gap", "estimate_f", "estimate_m"]
    return cand[keep]


def make_actions(ranking: pd.DataFrame, labels: pd.DataFrame):
    lab = labels.set_index("indicator")
    top = ranking.head(8)
    direct = pd.DataFrame(
        {
            "indicator": top["indicator"].to_numpy(),
            "gap_id": top["gap_id"].to_numpy(),
            "rank": top["rank"].to_numpy(),
            "action_id": [f"D{i:02d}" for i in range(1, len(top) + 1)],
            "gap": top["gap"].to_numpy(),
        }
    )
    for lang, txt in (
        ("es", "Talleres en horarios compatibles con la carga de trabajo de las mujeres"),
        ("fr", "Ateliers à des horaires compatibles avec la charge de travail des femmes"),
        ("en", "Workshops at times that fit women's workload"),
    ):
        direct[f"action_{lang}"] = txt
        direct[f"sentence_{lang}"] = [
            f"{lab.loc[i, f'label_{lang}']} — {txt} (gap {g:.3f})"
            for i, g in zip(direct["indicator"], direct["gap"], strict=True)
        ]
    pick = ranking[ranking["gap_id"].str.contains("total|district|community")].head(6)
    pick = pd.concat([pick, ranking[ranking["gap_id"].str.startswith("ipv_physical_12m|comm")]])
    indirect = pd.DataFrame(
        {
            "indicator": pick["indicator"].to_numpy(),
            "gap_id": pick["gap_id"].to_numpy(),
            "rank": pick["rank"].to_numpy(),
            "level": "district",
        }
    )
    for lang, auth, inst, prop in (
        (
            "es",
            "Municipalidad distrital",
            "Ordenanza municipal",
            "Cuota de mujeres en las juntas de usuarios de agua",
        ),
        (
            "fr",
            "Municipalité de district",
            "Arrêté municipal",
            "Quota de femmes dans les comités d'usagers de l'eau",
        ),
        (
            "en",
            "District municipality",
            "Municipal ordinance",
            "Quota for women on water-user boards",
        ),
    ):
        indirect[f"authority_{lang}"] = auth
        indirect[f"instrument_{lang}"] = inst
        indirect[f"proposal_{lang}"] = prop
        indirect[f"sentence_{lang}"] = [
            f"{auth}: {prop} ({lab.loc[i, f'label_{lang}']})" for i in indirect["indicator"]
        ]
    return direct, indirect


@dataclass
class _Group:
    h: float
    a: float
    m0: float
    de: float
    n: int
    contributions: pd.Series


class FakeWeai:
    """Shaped like the WEAI result of the public API (``women``, ``men``, ``gpi``, ``value``)."""

    def __init__(self):
        keys = [
            "input_decisions",
            "ownership_assets",
            "credit_decisions",
            "control_income",
            "group_member",
            "workload",
        ]
        cw = pd.Series([0.12, 0.25, 0.18, 0.2, 0.15, 0.10], index=keys, name="contribution")
        cm = pd.Series([0.1, 0.12, 0.2, 0.15, 0.25, 0.18], index=keys, name="contribution")
        self.women = _Group(h=0.52, a=0.41, m0=0.2132, de=0.7868, n=180, contributions=cw)
        self.men = _Group(h=0.31, a=0.37, m0=0.1147, de=0.8853, n=150, contributions=cm)
        self.gpi = SimpleNamespace(value=0.91, h=0.48, i=0.19, households=140)
        self.value = 0.9 * 0.7868 + 0.1 * 0.91

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for grp, g in (("women", self.women), ("men", self.men)):
            rows += [(grp, k, getattr(g, k)) for k in ("h", "a", "m0", "de", "n")]
        rows += [("gpi", k, getattr(self.gpi, k)) for k in ("value", "h", "i", "households")]
        rows.append(("all", "weai", self.value))
        return pd.DataFrame(rows, columns=["group", "statistic", "value"])


class FakeReport:
    valid = True
    rows_read = {"households": 42, "members": 180}
    rows_accepted = {"households": 40, "members": 176}

    def __init__(self):
        self.issues = pd.DataFrame(
            {
                "file": ["export.xlsx", "export.xlsx"],
                "sheet": ["households", "roster"],
                "table": ["households", "members"],
                "row": [7, 33],
                "column": ["hhid", "age"],
                "value": ["H00003", "140"],
                "rule": ["unique", "0-110"],
                "reason": ["duplicate_key", "out_of_range"],
                "severity": ["error", "error"],
                "message": ["Duplicate household id <H00003>", "Age 140 is out of range"],
                "fix": ["Keep one submission", "Correct the age"],
            }
        )

    def accounting(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "table": ["households", "members"],
                "rows_read": [42, 180],
                "rows_accepted": [40, 176],
                "rows_quarantined": [2, 4],
            }
        )


def make_labels() -> pd.DataFrame:
    rows = []
    for ind_id, domain, unit, direction, sensitive, es, fr, en in INDICATORS:
        rows.append(
            {
                "indicator": ind_id,
                "domain": domain,
                "label_es": es,
                "label_fr": fr,
                "label_en": en,
                "definition_es": f"Definición de {es.lower()}",
                "definition_fr": f"Définition : {fr.lower()}",
                "definition_en": f"Definition of {en.lower()}",
                "unit": "household" if domain == "assets" else "respondent",
                "type": unit,
                "direction": direction,
                "standard": "WEAI" if domain == "decisions" else "",
                "sensitive": sensitive,
            }
        )
    return pd.DataFrame(rows)


def make_result(seed: int = 0) -> RunResult:
    """A complete RunResult as ``gd.run`` would return it (before disclosure control)."""
    ind = make_indicators(seed)
    labels = make_labels()
    gaps = make_gaps(ind)
    ranking = make_ranking(gaps, labels)
    direct, indirect = make_actions(ranking, labels)
    comm_of = {c: d for d, cs in DISTRICTS.items() for c in cs}
    communities = [c for cs in DISTRICTS.values() for c in cs]
    households = pd.DataFrame(
        {
            "hhid": HHIDS,
            "community": [communities[i % 9] for i in range(len(HHIDS))],
        }
    )
    households["district"] = households["community"].map(comm_of)
    members = pd.DataFrame({"hhid": HHIDS[:2], "line": [1, 1], "member_name": MEMBER_NAMES})
    survey = SimpleNamespace(
        tables={"households": households, "members": members},
        report=FakeReport(),
        design={"weight": "weight", "strata": "district", "psu": "community"},
    )
    local_gap = pd.DataFrame(
        {
            "domain": ["assets", "decisions", "participation", "overall"],
            "value": [0.71, 0.83, 0.64, 0.73],
        }
    )
    return RunResult(
        survey=survey,
        indicators=ind,
        gaps=gaps,
        indices={"a-weai": FakeWeai(), "local_gap": local_gap},
        ranking=ranking,
        ranking_detail={"methods": ranking[["gap_id"]].assign(rank_topsis=ranking["rank"])},
        direct_actions=direct,
        indirect_actions=indirect,
        unmatched=pd.DataFrame({"gap_id": ["leisure_sat|total|"], "indicator": ["leisure_sat"]}),
        labels=labels,
        config={"name": "Acomayo 2026", "year": 2026, "languages": ["es", "fr", "en"]},
        provenance={
            "inputs": {
                "surveys/example/export.xlsx": "a3f1" + "0" * 60,
                "surveys/example/design.csv": "b7c2" + "1" * 60,
            },
            "config_sha256": "c0ffee" + "2" * 58,
            "version": "0.1.0",
            "date": "2026-11-28T09:00:00+00:00",
            "seeds": {"ranking": 0, "bootstrap": 0},
        },
    )


@pytest.fixture(scope="session")
def result_factory():
    """``make_result`` itself: call it for a fresh RunResult that a test may modify."""
    return make_result


@pytest.fixture
def run_result() -> RunResult:
    return make_result()


@pytest.fixture(scope="session")
def identifiers() -> list[str]:
    """Household ids and member names present in the survey tables of the fixture."""
    return [*HHIDS, *MEMBER_NAMES]


@pytest.fixture(scope="session")
def written(tmp_path_factory):
    """Every report of the fixture result, in three languages: ``(out_dir, paths)``."""
    from gender_diag.report import write_reports

    out = tmp_path_factory.mktemp("reports")
    return out, write_reports(make_result(), out)
