"""The criteria matrix: one row per gap, one column per prioritisation criterion.

Criteria (definitions and default weights in ``surveys/catalogue/criteria.yaml``):

* ``gap`` — size of the difference, oriented so that positive = women worse off:
  :math:`g^{*} = s\\,(\\hat y_F - \\hat y_M)` with :math:`s = -1` when higher is better and
  :math:`s = +1` when higher is worse. For indicators not on a 0–1 scale (means of hours,
  hectares, scores) the difference is divided by :math:`\\max(|\\hat y_F|, |\\hat y_M|)`, i.e.
  it becomes a relative difference, so that it is comparable with percentage-point gaps.
* ``parity`` — oriented log parity ratio :math:`s \\log(\\hat y_F / \\hat y_M)`, clipped to
  :math:`\\pm\\log 10` (a ratio of 0 or infinity says "one group has none", not "infinitely
  worse"); 0 = parity.
* ``confidence`` — :math:`1 - q` (Benjamini–Hochberg q-value; the p-value when q is missing).
  Whether the 95 % CI of the gap excludes zero is reported beside it (``ci_excludes_zero``).
* ``reach`` — estimated number of women affected (``affected``).
* ``severity`` — rights weight × area weight (see ``severity`` in the YAML).
* ``feasibility``, ``leverage`` — team scores 1–5; the neutral default 3 when not scored.

The team scores its judgement in an Excel sheet written by :func:`write_team_template` and read
back, with every problem collected at once, by :func:`read_team_scores`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.config import read_yaml
from gender_diag.errors import ConfigError, InputFileError, bad_parameter
from gender_diag.resources import catalogue_dir

LANGS = ("es", "fr", "en")
NORMALISATIONS = ("minmax", "vector", "fixed")
TRANSFORMS = ("none", "log1p")
TEAM_CRITERIA = ("feasibility", "leverage")
GAP_COLUMNS = (
    "gap_id",
    "indicator",
    "by",
    "by_value",
    "estimate_f",
    "estimate_m",
    "gap",
    "direction",
    "domain",
)
PROPORTION_UNITS = {"proportion", "share", "share_women", "percent", "rate", "%"}
_PARITY_CLIP = math.log(10.0)


# ----------------------------------------------------------------------------------------------
# configuration
@dataclass(frozen=True)
class Criterion:
    """One criterion of ``criteria.yaml``."""

    name: str
    weight: float
    normalisation: str = "minmax"
    range: tuple[float, float] | None = None
    transform: str = "none"
    team: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CriteriaConfig:
    """Validated content of ``criteria.yaml`` (criteria, severity weights, robustness)."""

    criteria: dict[str, Criterion]
    team_neutral_score: float
    severity: dict[str, Any]
    robustness: dict[str, Any]
    source: str = "criteria.yaml"

    @property
    def names(self) -> list[str]:
        """Criterion names in file order."""
        return list(self.criteria)

    @property
    def weights(self) -> np.ndarray:
        """Weights rescaled to sum to 1, in file order."""
        w = np.array([c.weight for c in self.criteria.values()], dtype=float)
        return w / w.sum()

    def with_weights(self, weights: dict[str, float] | None) -> CriteriaConfig:
        """Return a copy with some weights replaced; unknown names or bad values raise."""
        if not weights:
            return self
        problems = []
        for k, v in weights.items():
            if k not in self.criteria:
                problems.append(
                    f"unknown criterion {k!r} in weights; known: {', '.join(self.criteria)}"
                )
            elif not _is_number(v) or v < 0 or not math.isfinite(v):
                problems.append(f"weight of {k!r} must be a number >= 0, got {v!r}")
        if problems:
            raise ConfigError("Invalid ranking weights:\n- " + "\n- ".join(problems))
        crit = {
            k: _replace(c, weight=float(weights.get(k, c.weight))) for k, c in self.criteria.items()
        }
        if sum(c.weight for c in crit.values()) <= 0:
            raise ConfigError("Invalid ranking weights: at least one weight must be > 0.")
        return CriteriaConfig(
            crit, self.team_neutral_score, self.severity, self.robustness, self.source
        )


def _replace(c: Criterion, **kw) -> Criterion:
    d = c.__dict__ | kw
    return Criterion(**d)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def load_criteria(path: str | Path | None = None) -> CriteriaConfig:
    """Load and validate ``criteria.yaml`` (default: the bundled catalogue file).

    Every problem is collected and reported at once in a :class:`ConfigError` naming the file,
    the key, the value found and what to write instead.

    Examples
    --------
    >>> cfg = load_criteria()
    >>> cfg.names[:3]
    ['gap', 'parity', 'confidence']
    >>> round(float(cfg.weights.sum()), 6)
    1.0
    """
    path = Path(path) if path is not None else catalogue_dir() / "criteria.yaml"
    raw = read_yaml(path, what="criteria file")
    return parse_criteria(raw, source=str(path))


def parse_criteria(raw: object, *, source: str = "criteria.yaml") -> CriteriaConfig:
    """Validate the parsed YAML mapping of a criteria file (see :func:`load_criteria`)."""
    problems: list[str] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("criteria"), dict):
        raise ConfigError(
            f"{source}: the file must be a mapping with a 'criteria' section "
            "(criterion name → weight, normalisation, name, description)."
        )
    crits: dict[str, Criterion] = {}
    for name, spec in raw["criteria"].items():
        where = f"criteria.{name}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a mapping with weight, normalisation, name.")
            continue
        unknown = set(spec) - {
            "weight",
            "normalisation",
            "range",
            "transform",
            "team",
            "name",
            "description",
        }
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}; remove them.")
        w = spec.get("weight")
        if not _is_number(w) or not math.isfinite(w) or w < 0:
            problems.append(f"{where}.weight: must be a number >= 0, got {w!r}.")
            w = 0.0
        norm = spec.get("normalisation", "minmax")
        if norm not in NORMALISATIONS:
            problems.append(
                f"{where}.normalisation: must be one of {', '.join(NORMALISATIONS)}, got {norm!r}."
            )
        rng = spec.get("range")
        if norm == "fixed":
            ok = (
                isinstance(rng, list)
                and len(rng) == 2
                and all(_is_number(x) for x in rng)
                and rng[0] < rng[1]
            )
            if not ok:
                problems.append(
                    f"{where}.range: 'fixed' normalisation needs range: [low, high] with "
                    f"low < high, got {rng!r}."
                )
                rng = [0, 1]
        tr = spec.get("transform", "none")
        if tr not in TRANSFORMS:
            problems.append(f"{where}.transform: must be none or log1p, got {tr!r}.")
        labels, descs = spec.get("name"), spec.get("description")
        for key, val in (("name", labels), ("description", descs)):
            if not isinstance(val, dict) or any(not isinstance(val.get(lg), str) for lg in LANGS):
                problems.append(f"{where}.{key}: needs a text in each of es, fr, en.")
        crits[name] = Criterion(
            name=str(name),
            weight=float(w),
            normalisation=norm,
            range=tuple(float(x) for x in rng) if rng is not None else None,
            transform=tr,
            team=bool(spec.get("team", False)),
            labels=dict(labels) if isinstance(labels, dict) else {},
            descriptions=dict(descs) if isinstance(descs, dict) else {},
        )
    known = {"gap", "parity", "confidence", "reach", "severity", *TEAM_CRITERIA}
    for name in crits:
        if name not in known:
            problems.append(
                f"criteria.{name}: unknown criterion; the criteria computed are "
                f"{', '.join(sorted(known))}."
            )
    if crits and sum(c.weight for c in crits.values()) <= 0:
        problems.append("criteria: at least one weight must be > 0.")
    neutral = raw.get("team_neutral_score", 3)
    if not _is_number(neutral) or not 1 <= neutral <= 5:
        problems.append(f"team_neutral_score: must be a number from 1 to 5, got {neutral!r}.")
        neutral = 3
    sev = raw.get("severity", {}) or {}
    if not isinstance(sev, dict):
        problems.append("severity: must be a mapping (rights, areas, sensitive).")
        sev = {}
    for key in ("rights", "areas"):
        table = sev.get(key, {}) or {}
        if not isinstance(table, dict):
            problems.append(f"severity.{key}: must be a mapping name → weight.")
            continue
        for k, v in table.items():
            if not _is_number(v) or v < 0:
                problems.append(f"severity.{key}.{k}: must be a number >= 0, got {v!r}.")
    for key in ("rights_default", "areas_default", "sensitive"):
        v = sev.get(key, 1.0)
        if not _is_number(v) or v < 0:
            problems.append(f"severity.{key}: must be a number >= 0, got {v!r}.")
    rob = dict(raw.get("robustness", {}) or {})
    conc = rob.setdefault("concentration", 30)
    if not _is_number(conc) or conc <= 0:
        problems.append(f"robustness.concentration: must be a number > 0, got {conc!r}.")
    iv = rob.setdefault("interval", 0.9)
    if not _is_number(iv) or not 0 < iv < 1:
        problems.append(f"robustness.interval: must be between 0 and 1, got {iv!r}.")
    pref = rob.setdefault("promethee_preference", "vshape")
    if pref not in ("usual", "vshape", "ushape", "level", "vshape_2"):
        problems.append(
            "robustness.promethee_preference: must be usual, vshape, ushape, level or "
            f"vshape_2, got {pref!r}."
        )
    for key, default in (("promethee_p", 0.5), ("promethee_q", 0.0), ("tie_tolerance", 1e-9)):
        v = rob.setdefault(key, default)
        if not _is_number(v) or v < 0:
            problems.append(f"robustness.{key}: must be a number >= 0, got {v!r}.")
    if problems:
        raise ConfigError(f"{source} is invalid:\n- " + "\n- ".join(problems))
    return CriteriaConfig(crits, float(neutral), sev, rob, source)


# ----------------------------------------------------------------------------------------------
# criteria values
def check_gap_table(gaps: pd.DataFrame, owner: str = "rank_gaps") -> None:
    """Raise a clear error when ``gaps`` is not a gap table (docs/contracts.md §4)."""
    if not isinstance(gaps, pd.DataFrame):
        raise bad_parameter("gaps", owner, "a pandas DataFrame (the gap table)", type(gaps))
    missing = [c for c in GAP_COLUMNS if c not in gaps.columns]
    if missing:
        raise bad_parameter(
            "gaps", owner, f"a gap table with columns {', '.join(GAP_COLUMNS)}", f"no {missing}"
        )
    dup = gaps["gap_id"][gaps["gap_id"].duplicated()]
    if len(dup):
        raise bad_parameter("gaps", owner, "a table with unique gap_id", f"duplicates {list(dup)}")


def proportion_scale(gaps: pd.DataFrame) -> np.ndarray:
    """Boolean per gap: is the indicator a proportion (0–1 scale)?

    Uses the ``type`` column of the catalogue when present (``proportion``, ``share_women``,
    ...; ``unit`` is the unit of analysis, not of measurement); otherwise, and where ``type``
    is empty, both estimates within [0, 1].
    """
    for col in ("type",):
        if col in gaps.columns:
            val = gaps[col].astype("string").str.lower().fillna("")
            known = val != ""
            if known.any():
                prop = val.isin(PROPORTION_UNITS).to_numpy()
                fallback = _in_unit_interval(gaps)
                return np.where(known.to_numpy(), prop, fallback)
    return _in_unit_interval(gaps)


def _in_unit_interval(gaps: pd.DataFrame) -> np.ndarray:
    f = pd.to_numeric(gaps["estimate_f"], errors="coerce").to_numpy(float)
    m = pd.to_numeric(gaps["estimate_m"], errors="coerce").to_numpy(float)
    return (f >= 0) & (f <= 1) & (m >= 0) & (m <= 1)


def orientation(direction: pd.Series) -> np.ndarray:
    """+1 where higher is worse, −1 where higher is better (so oriented gap > 0 = women worse).

    Raises a clear error for any other value.
    """
    d = direction.astype("string").str.strip().str.lower()
    sign = d.map({"higher_worse": 1.0, "higher_better": -1.0})
    bad = sign.isna()
    if bad.any():
        raise bad_parameter(
            "gaps['direction']",
            "rank_gaps",
            "'higher_better' or 'higher_worse' on every row",
            sorted(set(direction[bad].astype(str))),
        )
    return sign.to_numpy(float)


def severity_weights(gaps: pd.DataFrame, severity: dict[str, Any]) -> np.ndarray:
    """Severity = rights weight × area weight (see ``criteria.yaml``).

    A ``rights`` tag listing several domains ("economic; social") takes the largest weight.
    """
    rights_w = severity.get("rights", {}) or {}
    r_def = float(severity.get("rights_default", 1.0))
    areas = severity.get("areas", {}) or {}
    a_def = float(severity.get("areas_default", 1.0))
    sens_w = float(severity.get("sensitive", 1.0))
    if "rights" in gaps.columns:
        rights = gaps["rights"].astype("string").fillna("").str.lower()
        r = np.array(
            [
                max((rights_w.get(t, r_def) for t in re.split(r"[;,|\s]+", s) if t), default=r_def)
                for s in rights
            ],
            dtype=float,
        )
    else:
        r = np.full(len(gaps), r_def)
    dom = gaps["domain"].astype("string").fillna("").str.lower()
    a = dom.map(lambda s: float(areas.get(s, a_def))).to_numpy(float)
    if "sensitive" in gaps.columns:
        sens = gaps["sensitive"].fillna(False).astype(bool).to_numpy()
        a = np.where(sens, np.maximum(a, sens_w), a)
    return r * a


def criteria_matrix(
    gaps: pd.DataFrame,
    *,
    config: CriteriaConfig | None = None,
    team_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Raw (not normalised) criteria values per gap, oriented so that higher = more urgent.

    Parameters
    ----------
    gaps : DataFrame
        Gap table (docs/contracts.md §4).
    config : CriteriaConfig, optional
        Default :func:`load_criteria`.
    team_scores : DataFrame, optional
        Columns ``gap_id, feasibility, leverage`` (from :func:`read_team_scores`). Gaps not
        scored get ``config.team_neutral_score``.

    Returns
    -------
    DataFrame
        Index as ``gaps``; one column per criterion plus ``ci_excludes_zero`` and
        ``team_scored``.

    Examples
    --------
    >>> g = pd.DataFrame({"gap_id": ["a|total|", "b|total|"], "indicator": ["a", "b"],
    ...     "by": "total", "by_value": "", "estimate_f": [0.2, 0.5], "estimate_m": [0.6, 0.4],
    ...     "gap": [-0.4, 0.1], "direction": ["higher_better", "higher_better"],
    ...     "domain": ["land", "x"], "q_value": [0.01, 0.5], "affected": [900.0, 100.0]})
    >>> m = criteria_matrix(g)
    >>> m["gap"].round(2).tolist(), m["confidence"].tolist(), m["feasibility"].tolist()
    ([0.4, -0.1], [0.99, 0.5], [3.0, 3.0])
    """
    config = config or load_criteria()
    check_gap_table(gaps)
    sign = orientation(gaps["direction"])
    f = pd.to_numeric(gaps["estimate_f"], errors="coerce").to_numpy(float)
    m = pd.to_numeric(gaps["estimate_m"], errors="coerce").to_numpy(float)
    diff = pd.to_numeric(gaps["gap"], errors="coerce").to_numpy(float)
    diff = np.where(np.isnan(diff), f - m, diff)
    scale = np.where(proportion_scale(gaps), 1.0, np.maximum(np.abs(f), np.abs(m)))
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(scale > 0, sign * diff / scale, 0.0)
        if "ratio" in gaps.columns:
            ratio = pd.to_numeric(gaps["ratio"], errors="coerce").to_numpy(float)
            ratio = np.where(np.isnan(ratio), f / m, ratio)
        else:
            ratio = f / m
        logr = np.log(ratio)
    # f = m = 0 → parity; otherwise a zero on one side is the clipped extreme
    logr = np.where((f == 0) & (m == 0), 0.0, logr)
    parity = np.clip(sign * np.nan_to_num(logr, nan=0.0), -_PARITY_CLIP, _PARITY_CLIP)
    q = _col(gaps, "q_value")
    p = _col(gaps, "p_value")
    q = np.where(np.isnan(q), p, q)
    confidence = 1.0 - np.clip(q, 0.0, 1.0)
    lo, hi = _col(gaps, "gap_ci_low"), _col(gaps, "gap_ci_high")
    excl = ((lo > 0) & (hi > 0)) | ((lo < 0) & (hi < 0))
    reach = np.clip(_col(gaps, "affected"), 0.0, None)
    out = pd.DataFrame(
        {
            "gap": size,
            "parity": parity,
            "confidence": confidence,
            "reach": reach,
            "severity": severity_weights(gaps, config.severity),
        },
        index=gaps.index,
    )
    neutral = config.team_neutral_score
    scored = np.zeros(len(gaps), dtype=bool)
    for name in TEAM_CRITERIA:
        out[name] = neutral
    if team_scores is not None and len(team_scores):
        ts = team_scores.set_index("gap_id")
        ids = gaps["gap_id"]
        for name in TEAM_CRITERIA:
            if name in ts.columns:
                vals = ids.map(ts[name]).astype(float).to_numpy()
                out[name] = np.where(np.isnan(vals), neutral, vals)
                scored |= ~np.isnan(vals)
    out["ci_excludes_zero"] = excl
    out["team_scored"] = scored
    return out


def _col(gaps: pd.DataFrame, name: str) -> np.ndarray:
    if name not in gaps.columns:
        return np.full(len(gaps), np.nan)
    return pd.to_numeric(gaps[name], errors="coerce").to_numpy(float)


# ----------------------------------------------------------------------------------------------
# team scoring sheet
SCORE_SHEET = "scores"
INFO_SHEET = "instructions"
_TEMPLATE_COLS = (
    "gap_id",
    "indicator",
    "by",
    "by_value",
    "estimate_f",
    "estimate_m",
    "gap",
    "q_value",
    "affected",
    "reliability",
    "feasibility",
    "leverage",
    "comment",
)
_HEADERS = {
    "es": {
        "gap_id": "id de brecha",
        "indicator": "indicador",
        "by": "desagregación",
        "by_value": "grupo",
        "estimate_f": "mujeres",
        "estimate_m": "hombres",
        "gap": "brecha (M − H)",
        "q_value": "valor q",
        "affected": "mujeres afectadas",
        "reliability": "fiabilidad",
        "feasibility": "factibilidad (1–5)",
        "leverage": "efecto palanca (1–5)",
        "comment": "comentario",
    },
    "fr": {
        "gap_id": "id de l'écart",
        "indicator": "indicateur",
        "by": "désagrégation",
        "by_value": "groupe",
        "estimate_f": "femmes",
        "estimate_m": "hommes",
        "gap": "écart (F − H)",
        "q_value": "valeur q",
        "affected": "femmes concernées",
        "reliability": "fiabilité",
        "feasibility": "faisabilité (1–5)",
        "leverage": "effet de levier (1–5)",
        "comment": "commentaire",
    },
    "en": {
        "gap_id": "gap id",
        "indicator": "indicator",
        "by": "disaggregation",
        "by_value": "group",
        "estimate_f": "women",
        "estimate_m": "men",
        "gap": "gap (W − M)",
        "q_value": "q-value",
        "affected": "women affected",
        "reliability": "reliability",
        "feasibility": "feasibility (1–5)",
        "leverage": "leverage (1–5)",
        "comment": "comment",
    },
}
_INSTRUCTIONS = {
    "es": [
        "Puntaje del equipo técnico para priorizar las brechas de género",
        "",
        "1. En la hoja 'scores', cada fila es una brecha (un indicador en un territorio o grupo).",
        "2. Escriba en 'factibilidad' un número entero de 1 (muy difícil para el proyecto) a 5 "
        "(muy factible con sus recursos y alcance).",
        "3. Escriba en 'efecto palanca' un número de 1 (poco efecto) a 5 (desbloquea otros "
        "cambios).",
        "4. Si el equipo no tiene opinión, escriba 3 (neutro). No deje celdas vacías.",
        "5. No cambie la columna 'id de brecha' ni agregue o borre filas.",
        "6. Guarde el archivo y ejecute: gender-diag rank --team-scores ARCHIVO.xlsx",
    ],
    "fr": [
        "Notation de l'équipe technique pour prioriser les écarts de genre",
        "",
        "1. Dans la feuille 'scores', chaque ligne est un écart (un indicateur dans un territoire "
        "ou un groupe).",
        "2. Écrivez dans 'faisabilité' un nombre entier de 1 (très difficile pour le projet) à 5 "
        "(très faisable avec ses moyens et sa portée).",
        "3. Écrivez dans 'effet de levier' un nombre de 1 (peu d'effet) à 5 (déclenche d'autres "
        "changements).",
        "4. Si l'équipe n'a pas d'avis, écrivez 3 (neutre). Ne laissez pas de cellule vide.",
        "5. Ne modifiez pas la colonne « id de l'écart » ; n'ajoutez ni ne supprimez de lignes.",
        "6. Enregistrez le fichier puis lancez : gender-diag rank --team-scores FICHIER.xlsx",
    ],
    "en": [
        "Technical team scores to prioritise the gender gaps",
        "",
        "1. In the 'scores' sheet, each row is one gap (one indicator in one territory or group).",
        "2. Write in 'feasibility' a whole number from 1 (very hard for the project) to 5 (very "
        "feasible with its means and reach).",
        "3. Write in 'leverage' a number from 1 (little effect) to 5 (unlocks other changes).",
        "4. If the team has no view, write 3 (neutral). Leave no cell empty.",
        "5. Do not change the 'gap id' column; do not add or delete rows.",
        "6. Save the file and run: gender-diag rank --team-scores FILE.xlsx",
    ],
}


def write_team_template(
    gaps: pd.DataFrame,
    path: str | Path,
    *,
    lang: str = "es",
    labels: dict[str, dict[str, str]] | None = None,
    scores: pd.DataFrame | None = None,
) -> Path:
    """Write the Excel sheet in which the technical team scores feasibility and leverage.

    Sheet ``scores``: one row per gap (suppressed cells are left out: they are not ranked)
    with its figures, and the two score columns restricted by a data-validation list 1–5.
    Sheet ``instructions`` explains what to do, in ``lang``.

    Parameters
    ----------
    gaps : DataFrame
        Gap table.
    path : str or Path
        ``.xlsx`` file to write.
    lang : {"es", "fr", "en"}
        Language of headers and instructions.
    labels : dict, optional
        indicator id → {es, fr, en} label; the id is shown when missing.
    scores : DataFrame, optional
        Existing scores (``gap_id, feasibility, leverage``) to prefill.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if lang not in LANGS:
        raise bad_parameter("lang", "write_team_template", "'es', 'fr' or 'en'", lang)
    check_gap_table(gaps, "write_team_template")
    rows = gaps
    if "suppressed" in gaps.columns:
        rows = gaps[~gaps["suppressed"].fillna(False).astype(bool)]
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = SCORE_SHEET
    heads = _HEADERS[lang]
    ws.append([heads[c] for c in _TEMPLATE_COLS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    prefill = scores.set_index("gap_id") if scores is not None else None
    for _, r in rows.iterrows():
        label = _label(labels, r["indicator"], lang)
        vals = []
        for c in _TEMPLATE_COLS:
            if c == "indicator":
                vals.append(label)
            elif c in ("feasibility", "leverage"):
                v = None
                if prefill is not None and r["gap_id"] in prefill.index and c in prefill:
                    v = prefill.at[r["gap_id"], c]
                    v = None if pd.isna(v) else int(v)
                vals.append(v)
            elif c == "comment":
                vals.append(None)
            else:
                v = r.get(c, None)
                vals.append(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v)
        vals = [round(float(v), 4) if isinstance(v, float | np.floating) else v for v in vals]
        ws.append(vals)
    n = ws.max_row
    dv = DataValidation(
        type="list",
        formula1='"1,2,3,4,5"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="1–5",
        error={"es": "Escriba 1, 2, 3, 4 o 5.", "fr": "Écrivez 1, 2, 3, 4 ou 5."}.get(
            lang, "Write 1, 2, 3, 4 or 5."
        ),
    )
    ws.add_data_validation(dv)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for name in ("feasibility", "leverage"):
        col = _col_letter(_TEMPLATE_COLS.index(name) + 1)
        if n >= 2:
            dv.add(f"{col}2:{col}{n}")
        for row in range(2, n + 1):
            ws[f"{col}{row}"].fill = fill
    widths = {"gap_id": 34, "indicator": 40, "comment": 40}
    for i, c in enumerate(_TEMPLATE_COLS, start=1):
        ws.column_dimensions[_col_letter(i)].width = widths.get(c, 14)
    ws.freeze_panes = "B2"
    info = wb.create_sheet(INFO_SHEET)
    for line in _INSTRUCTIONS[lang]:
        info.append([line])
    info["A1"].font = Font(bold=True)
    info.column_dimensions["A"].width = 110
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _label(labels, indicator, lang) -> str:
    if labels and indicator in labels:
        lab = labels[indicator]
        if isinstance(lab, str):
            return lab
        if isinstance(lab, dict) and lab.get(lang):
            return str(lab[lang])
    return str(indicator)


_PROBLEM_COLS = ["file", "sheet", "row", "column", "value", "rule", "message", "fix"]


def read_team_scores(
    path: str | Path, gaps: pd.DataFrame, *, on_missing: str = "error"
) -> pd.DataFrame:
    """Read and validate the team's scores written in :func:`write_team_template`'s sheet,
    or the CSV downloaded from the report's workshop page (blank scores are then neutral).

    Headers are recognised in any of es/fr/en. Every problem is collected (missing score,
    out of range 1–5, not a whole number, text in a score cell, unknown or duplicated gap id,
    gap of the table absent from the sheet) and raised at once as a :class:`ConfigError`
    whose message names file, sheet, row, column, rule and fix; the problems are also attached
    as a DataFrame in the error's ``problems`` attribute.

    Parameters
    ----------
    path : str or Path
        The filled ``.xlsx``.
    gaps : DataFrame
        The gap table the sheet was written from.
    on_missing : {"error", "neutral"}
        An empty score cell or a gap absent from the sheet is an error (default), or takes the
        neutral score (``team_neutral_score`` of ``criteria.yaml``) later on.

    Returns
    -------
    DataFrame
        ``gap_id, feasibility, leverage, comment`` (scores as floats, NaN = not scored).
    """
    from openpyxl import load_workbook

    if on_missing not in ("error", "neutral"):
        raise bad_parameter("on_missing", "read_team_scores", "'error' or 'neutral'", on_missing)
    check_gap_table(gaps, "read_team_scores")
    path = Path(path)
    fname = path.name
    if path.suffix.lower() == ".csv":
        # the workshop page writes only the scores the team typed: blanks are neutral
        rows = _csv_rows(path)
        return _parse_team_rows(rows, gaps, fname=fname, on_missing="neutral")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise InputFileError(f"Team score file not found: {path}.") from exc
    except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
        raise InputFileError(
            f"{fname}: cannot be read as an Excel .xlsx file ({type(exc).__name__}). Save it "
            "again from Excel as .xlsx (the template written by gender-diag rank --template)."
        ) from exc
    if SCORE_SHEET not in wb.sheetnames:
        raise ConfigError(
            f"{fname}: no sheet named {SCORE_SHEET!r} (found {wb.sheetnames}). Rule: the scores "
            "are read from the 'scores' sheet of the template. Fix: do not rename the sheet."
        )
    ws = wb[SCORE_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    return _parse_team_rows(rows, gaps, fname=fname, on_missing=on_missing)


def _csv_rows(path: Path) -> list[tuple]:
    """Rows of a team-score CSV (the workshop page's download), numbers parsed."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            raw = list(csv.reader(fh))
    except FileNotFoundError as exc:
        raise InputFileError(f"Team score file not found: {path}.") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(
            f"{path.name}: cannot be read as a UTF-8 CSV file ({type(exc).__name__}). Save it "
            "again as CSV UTF-8, or use the .xlsx template of gender-diag rank --template."
        ) from exc

    def cell(v: str) -> object:
        v = v.strip()
        if v == "":
            return None
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() else f

    return [tuple(raw[0])] + [tuple(cell(v) for v in r) for r in raw[1:]] if raw else []


def read_team_weights(path: str | Path) -> dict[str, float]:
    """Criterion weights saved beside the team scores (``weight_<criterion>`` columns of the
    workshop CSV); empty when the file has none.

    Every row must carry the same weights (the workshop writes them on each row).
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return {}
    rows = _csv_rows(path)
    if len(rows) < 2:
        return {}
    cols = [(i, str(h)[7:]) for i, h in enumerate(rows[0]) if str(h).startswith("weight_")]
    if not cols:
        return {}
    first = {name: rows[1][i] for i, name in cols}
    for k, r in enumerate(rows[2:], start=3):
        if any(r[i] != first[name] for i, name in cols if i < len(r)):
            raise ConfigError(
                f"{path.name}, row {k}: the weight_* columns differ from row 2. Rule: one set "
                "of weights per file. Fix: copy the weights of row 2 to every row."
            )
    bad = [name for name, v in first.items() if not isinstance(v, int | float)]
    if bad:
        raise ConfigError(
            f"{path.name}, row 2: weight_{bad[0]} is not a number. Fix: write a number >= 0."
        )
    return {name: float(v) for name, v in first.items()}


def _parse_team_rows(
    rows: list[tuple], gaps: pd.DataFrame, *, fname: str, on_missing: str
) -> pd.DataFrame:
    if not rows:
        raise ConfigError(f"{fname}, sheet {SCORE_SHEET!r}: the sheet is empty.")
    lookup = {str(h).strip().lower(): key for lg in LANGS for key, h in _HEADERS[lg].items()} | {
        key: key for key in _TEMPLATE_COLS
    }
    header = [lookup.get(str(h).strip().lower()) if h is not None else None for h in rows[0]]
    need = ("gap_id", "feasibility", "leverage")
    miss = [k for k in need if k not in header]
    if miss:
        raise ConfigError(
            f"{fname}, sheet {SCORE_SHEET!r}, row 1: missing column(s) "
            f"{', '.join(_HEADERS['en'][k] for k in miss)}. Rule: the header row of the "
            "template must be kept. Fix: restore the header or write a new template with "
            "gender-diag rank --template."
        )
    pos = {k: header.index(k) for k in need}
    cpos = header.index("comment") if "comment" in header else None
    known = set(gaps["gap_id"])
    problems: list[dict] = []
    seen: dict[str, int] = {}
    out = []

    def add(row, column, value, rule, message, fix):
        problems.append(
            dict(
                file=fname,
                sheet=SCORE_SHEET,
                row=row,
                column=column,
                value=value,
                rule=rule,
                message=message,
                fix=fix,
            )
        )

    for i, raw in enumerate(rows[1:], start=2):
        if raw is None or all(v is None or str(v).strip() == "" for v in raw):
            continue
        raw = list(raw) + [None] * (len(header) - len(raw))
        gid = raw[pos["gap_id"]]
        gid = None if gid is None else str(gid).strip()
        col_id = _col_letter(pos["gap_id"] + 1)
        if not gid:
            add(i, col_id, None, "missing_gap_id", "the gap id is empty", "copy the id back")
            continue
        if gid not in known:
            add(
                i,
                col_id,
                gid,
                "unknown_gap_id",
                f"gap id {gid!r} is not in the gap table",
                "do not edit the ids; write a new template from the current results",
            )
            continue
        if gid in seen:
            add(
                i,
                col_id,
                gid,
                "duplicate_gap_id",
                f"gap id {gid!r} already appears in row {seen[gid]}",
                "keep one row per gap and delete the copy",
            )
            continue
        seen[gid] = i
        rec = {"gap_id": gid}
        for name in TEAM_CRITERIA:
            v = raw[pos[name]]
            col = _col_letter(pos[name] + 1)
            rec[name] = np.nan
            if v is None or (isinstance(v, str) and not v.strip()):
                if on_missing == "error":
                    add(
                        i,
                        col,
                        None,
                        "missing_score",
                        f"no {name} score",
                        "write a whole number from 1 to 5 (3 if the team has no view)",
                    )
                continue
            num = _as_number(v)
            if num is None:
                add(
                    i,
                    col,
                    v,
                    "not_numeric",
                    f"{name} score is text, not a number",
                    "write a whole number from 1 to 5",
                )
            elif num != int(num) or not 1 <= num <= 5:
                add(
                    i,
                    col,
                    v,
                    "out_of_range",
                    f"{name} score {v!r} is not a whole number from 1 to 5",
                    "write 1, 2, 3, 4 or 5",
                )
            else:
                rec[name] = float(num)
        rec["comment"] = raw[cpos] if cpos is not None else None
        out.append(rec)
    if on_missing == "error":
        absent = [g for g in gaps["gap_id"] if g not in seen]
        if "suppressed" in gaps.columns:
            sup = set(gaps.loc[gaps["suppressed"].fillna(False).astype(bool), "gap_id"])
            absent = [g for g in absent if g not in sup]
        for g in absent:
            add(
                None,
                None,
                g,
                "missing_row",
                f"gap {g!r} of the gap table has no row in the sheet",
                "add the row back or write a new template with gender-diag rank --template",
            )
    if problems:
        frame = pd.DataFrame(problems, columns=_PROBLEM_COLS)
        lines = [
            f"- {p['file']}, sheet {p['sheet']!r}, "
            + (f"row {p['row']}, column {p['column']}: " if p["row"] is not None else "")
            + f"{p['message']} (rule {p['rule']}). Fix: {p['fix']}."
            for p in problems
        ]
        err = ConfigError(
            f"{fname}: {len(problems)} problem(s) in the team scores:\n" + "\n".join(lines)
        )
        err.problems = frame
        raise err
    return pd.DataFrame(out, columns=["gap_id", *TEAM_CRITERIA, "comment"])


def _as_number(v: object) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v) if math.isfinite(v) else None
    try:
        return float(str(v).strip().replace(",", "."))
    except ValueError:
        return None
