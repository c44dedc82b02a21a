"""The design specification: one frozen, validated description of the sampling design.

A :class:`DesignSpec` names the column of every design role (weight, strata, PSU, SSU,
stage-1 and stage-2 finite-population corrections, replicate weights) and the variance
options (with/without replacement, lonely-PSU policy, replicate scales, confidence level).
It is built ONCE — from ``diagnostic.toml`` and the design file with
:meth:`DesignSpec.from_config`, or by hand — and every stage that estimates builds its
:class:`~gender_diag.design.SurveyDesign` from it with
:meth:`SurveyDesign.from_spec <gender_diag.design.SurveyDesign.from_spec>`, so the
indicators, the indices and the models share one design.

:meth:`DesignSpec.check` validates a spec against data: a role naming a column that does
not exist is an error that names the role, the column and the columns that exist (a typo
such as ``psu="comunity"`` must never silently drop the clustering); non-finite or negative
weights are errors; zero weights and weights more than :data:`MAX_WEIGHT_RATIO` times the
median are reported as notes. :meth:`DesignSpec.prepare` nests PSU identifiers reused in
several strata (stratum × PSU, R ``svydesign(nest=TRUE)``) so that a PSU column used as a
domain (e.g. ``community``) never pools two different clusters.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from gender_diag.errors import DesignError, DesignWarning

LONELY_POLICIES = ("fail", "remove", "adjust", "certainty", "average")
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")
REUSED_PSU = ("nest", "fail")
#: Column roles, in the order messages list them.
ROLES = ("weight", "strata", "psu", "ssu", "fpc", "fpc2")
#: A weight this many times the median weight is reported as implausible.
MAX_WEIGHT_RATIO = 100.0
#: Separator of nested ``stratum × PSU`` labels (never in a generated identifier).
NEST_SEP = "·"


def _optional_name(value: Any, role: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DesignError(
            f"DesignSpec: {role} must be a column name (text); got {value!r}. "
            f"Fix: give the name of the {role} column, or leave it empty."
        )
    return value


@dataclass(frozen=True)
class DesignSpec:
    """Column roles and variance options of a complex survey design (immutable).

    Parameters
    ----------
    weight : str
        Sampling weight column (finite, ≥ 0).
    strata, psu, ssu, fpc, fpc2 : str, optional
        Stratum, first- and second-stage cluster, and stage-1/stage-2 population size (or
        sampling fraction) columns; see :class:`~gender_diag.design.SurveyDesign`.
    with_replacement : bool
        First stage treated as with-replacement (fpc and second stage ignored).
    lonely_psu : {"fail", "remove", "adjust", "certainty", "average"}
        Strata with one PSU (R ``options(survey.lonely.psu=)``).
    replicate_weights : tuple of str or str, optional
        Replicate weight columns, or a prefix selecting them.
    replicate_type : str, optional
        One of :data:`REPLICATE_TYPES`.
    scale : float, optional
    rscales : tuple of float, optional
        Replicate variance multipliers (R ``svrepdesign(scale=, rscales=)``).
    mse : bool
        Replicate deviations centred on the full-sample estimate.
    confidence : float
        Confidence level of every interval (default 0.95).
    reused_psu : {"nest", "fail"}
        PSU identifiers that occur in more than one stratum: ``"nest"`` (default) treats
        them as different PSUs (stratum × PSU) with a note; ``"fail"`` refuses the data.

    Examples
    --------
    >>> spec = DesignSpec(weight="w", strata="district", psu="community")
    >>> spec.roles()
    {'weight': 'w', 'strata': 'district', 'psu': 'community'}
    >>> DesignSpec(weight="w", lonely_psu="sometimes")
    Traceback (most recent call last):
    ...
    gender_diag.errors.DesignError: DesignSpec: lonely_psu must be one of 'fail', 'remove', 'adjust', 'certainty', 'average'; got 'sometimes'.
    """

    weight: str
    strata: str | None = None
    psu: str | None = None
    ssu: str | None = None
    fpc: str | None = None
    fpc2: str | None = None
    with_replacement: bool = False
    lonely_psu: str = "fail"
    replicate_weights: tuple[str, ...] | str | None = None
    replicate_type: str | None = None
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    mse: bool = False
    confidence: float = 0.95
    reused_psu: str = "nest"
    notes: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.weight, str) or not self.weight:
            problems.append(f"weight must name the sampling weight column; got {self.weight!r}")
        for role in ROLES[1:]:
            object.__setattr__(self, role, _optional_name(getattr(self, role), role))
        for name, allowed in (
            ("lonely_psu", LONELY_POLICIES),
            ("reused_psu", REUSED_PSU),
        ):
            if getattr(self, name) not in allowed:
                problems.append(
                    f"{name} must be one of {', '.join(map(repr, allowed))}; "
                    f"got {getattr(self, name)!r}"
                )
        if self.replicate_type is not None and self.replicate_type not in REPLICATE_TYPES:
            problems.append(
                f"replicate_type must be one of {', '.join(map(repr, REPLICATE_TYPES))}; "
                f"got {self.replicate_type!r}"
            )
        conf = self.confidence
        if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 < conf < 1:
            problems.append(f"confidence must be a number in (0, 1), e.g. 0.95; got {conf!r}")
        if self.ssu is not None and self.psu is None:
            problems.append("ssu needs psu (a second stage needs a first stage)")
        if (self.replicate_weights is None) != (self.replicate_type is None):
            problems.append(
                "replicate_weights and replicate_type go together (the columns and the method)"
            )
        if self.fpc2 is not None and (self.fpc is None or self.ssu is None):
            problems.append("fpc2 needs fpc and ssu (R survey: the second-stage correction)")
        reps = self.replicate_weights
        if isinstance(reps, list | tuple):
            object.__setattr__(self, "replicate_weights", tuple(reps))
        if self.rscales is not None:
            object.__setattr__(
                self, "rscales", tuple(float(x) for x in np.atleast_1d(self.rscales))
            )
        object.__setattr__(self, "with_replacement", bool(self.with_replacement))
        object.__setattr__(self, "mse", bool(self.mse))
        if problems:
            raise DesignError("DesignSpec: " + "; ".join(problems) + ".")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_config(
        cls, config: Mapping, survey_design: Mapping | None = None, **overrides
    ) -> DesignSpec:
        """The spec of a validated ``diagnostic.toml`` and the design file's roles.

        A role left empty in ``[design]`` keeps the column the design file gave at ingest
        (``survey_design``, e.g. ``Survey.design``); ``"none"`` removes the role. Options
        come from ``[design]``; the confidence level from ``[design] confidence`` when
        present, else ``[indicators] confidence``.

        Examples
        --------
        >>> cfg = {"design": {"weight": "", "psu": "", "ssu": "none", "lonely_psu": "adjust"},
        ...        "indicators": {"confidence": 0.9}}
        >>> s = DesignSpec.from_config(cfg, {"weight": "w", "psu": "community", "ssu": "hhid"})
        >>> s.weight, s.psu, s.ssu, s.lonely_psu, s.confidence
        ('w', 'community', None, 'adjust', 0.9)
        """
        section = dict(config.get("design", {}) or {})
        roles = {role: (survey_design or {}).get(role) for role in ROLES}
        for role in ROLES:
            given = section.get(role)
            if given:
                roles[role] = None if str(given).lower() == "none" else given
        if not roles["weight"]:
            raise DesignError(
                "No sampling weight: neither the design file nor [design] weight names a "
                'weight column. Fix: give [input] design = "design.csv" or [design] weight = '
                '"<column>".'
            )
        options: dict[str, Any] = {}
        known = {f.name for f in fields(cls)} - set(ROLES) - {"notes"}
        for name in known:
            value = section.get(name)
            if value is not None and value != "" and value != [] and value != 0.0:
                options[name] = value
        if "confidence" not in options:
            conf = (config.get("indicators", {}) or {}).get("confidence")
            if conf:
                options["confidence"] = conf
        return cls(**{**roles, **options, **overrides})

    @classmethod
    def coerce(cls, spec: DesignSpec | Mapping, **defaults) -> DesignSpec:
        """A spec as given, or built from a mapping of roles and options."""
        if isinstance(spec, DesignSpec):
            return spec
        if not isinstance(spec, Mapping):
            raise DesignError(
                f"DesignSpec: expected a DesignSpec or a dict of design roles; got "
                f"{type(spec).__name__}."
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise DesignError(
                f"DesignSpec: unknown design key(s) {unknown}. Fix: use keys among "
                f"{sorted(known - {'notes'})}."
            )
        return cls(**{**defaults, **dict(spec)})

    def replace(self, **changes) -> DesignSpec:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ views
    def __getitem__(self, key: str):
        """``spec["psu"]``: a field by name (read-only mapping access)."""
        if key not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, key)

    def roles(self) -> dict[str, str]:
        """Role → column of the roles in use."""
        return {r: getattr(self, r) for r in ROLES if getattr(self, r) is not None}

    def columns(self, data: pd.DataFrame | None = None) -> list[str]:
        """Every column the design reads: roles, then replicate columns (those listed, or
        the columns of ``data`` starting with the replicate prefix)."""
        cols = list(self.roles().values())
        reps = self.replicate_weights
        if isinstance(reps, tuple):
            cols += list(reps)
        elif isinstance(reps, str) and data is not None:
            cols += [c for c in data.columns if str(c).startswith(reps)]
        return list(dict.fromkeys(cols))

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~gender_diag.design.SurveyDesign` (roles + options)."""
        out: dict[str, Any] = dict(self.roles())
        out.update(
            with_replacement=self.with_replacement,
            lonely_psu=self.lonely_psu,
            replicate_weights=self.replicate_weights,
            replicate_type=self.replicate_type,
            scale=self.scale,
            rscales=None if self.rscales is None else np.asarray(self.rscales),
            mse=self.mse,
        )
        return out

    # ------------------------------------------------------------------ checks
    def check(self, data: pd.DataFrame, *, where: str = "the data") -> tuple[str, ...]:
        """Validate the spec against ``data``; return notes, raise on blocking problems.

        Every unknown column is reported at once (role, column, existing columns).
        Weights: non-finite or negative values are errors; zero weights, and weights more
        than :data:`MAX_WEIGHT_RATIO` × the median, are notes. PSU identifiers reused in
        several strata are a note (``reused_psu="nest"``) or an error (``"fail"``).
        """
        missing = [(r, c) for r, c in self.roles().items() if c not in data.columns]
        if isinstance(self.replicate_weights, tuple):
            missing += [("replicate weight", c) for c in self.replicate_weights]
            missing = [(r, c) for r, c in missing if c not in data.columns]
        if missing:
            listed = ", ".join(map(str, list(data.columns)[:40]))
            more = "" if data.shape[1] <= 40 else f" … ({data.shape[1]} columns)"
            raise DesignError(
                "Design: "
                + "; ".join(f"the {r} column {c!r} is not in {where}" for r, c in missing)
                + f". Columns that exist: {listed}{more}. Fix: correct the name in [design] "
                '(or the design file), or write "none" for a role the design does not have.'
            )
        notes = list(_weight_notes(data[self.weight], self.weight))
        reuse = self.reused_psus(data)
        if reuse:
            example = ", ".join(f"{p!r} in {', '.join(map(repr, s))}" for p, s in reuse[:3])
            text = (
                f"{len(reuse)} PSU identifier(s) of {self.psu!r} occur in more than one "
                f"stratum of {self.strata!r} (e.g. {example})"
            )
            if self.reused_psu == "fail":
                raise DesignError(
                    f"Design: {text}. Rule: with reused_psu='fail' a PSU identifier must "
                    "belong to one stratum. Fix: give each PSU a unique code, or set "
                    '[design] reused_psu = "nest" to treat them as different PSUs.'
                )
            notes.append(
                f"{text}; they are treated as different PSUs (stratum × PSU) and labelled "
                f"'<stratum>{NEST_SEP}<psu>' so that no estimate pools them."
            )
        return tuple(notes)

    def reused_psus(self, data: pd.DataFrame) -> list[tuple[Any, list]]:
        """PSU identifiers found in more than one stratum, with their strata."""
        if self.psu is None or self.strata is None:
            return []
        pairs = data[[self.strata, self.psu]].dropna().drop_duplicates()
        counts = pairs.groupby(self.psu, sort=True, observed=True)[self.strata].nunique()
        reused = counts.index[counts > 1]
        return [
            (p, sorted(pairs.loc[pairs[self.psu] == p, self.strata].tolist(), key=str))
            for p in reused
        ]

    def prepare(self, data: pd.DataFrame, *, warn: bool = True) -> tuple[pd.DataFrame, DesignSpec]:
        """Check ``data`` and nest reused PSU identifiers; returns the data and a spec with notes.

        Nesting relabels the PSU column as ``"<stratum>·<psu>"`` on every row (when at least
        one PSU identifier occurs in several strata), so domains by PSU stay distinct.
        Notes are also issued as :class:`~gender_diag.errors.DesignWarning` when ``warn``.
        """
        notes = self.check(data)
        if self.reused_psus(data):
            label = (data[self.strata].astype(str) + NEST_SEP + data[self.psu].astype(str)).where(
                data[self.psu].notna() & data[self.strata].notna()
            )
            data = data.assign(**{self.psu: label})
        if warn:
            for note in notes:
                if note not in self.notes:
                    warnings.warn(f"Design: {note}.", DesignWarning, stacklevel=3)
        spec = self if not notes else replace(self, notes=tuple(dict.fromkeys(self.notes + notes)))
        return data, spec


def _weight_notes(series: pd.Series, name: str) -> list[str]:
    """Blocking weight problems raise; zero and extreme weights give notes."""
    w = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(w)
    if bad.any():
        rows = [str(series.index[i]) for i in np.flatnonzero(bad)[:5]]
        raise DesignError(
            f"Design: the weight column {name!r} has {int(bad.sum())} missing, non-numeric "
            f"or infinite value(s) (rows {', '.join(rows)}). Rule: every row needs a finite "
            "weight. Fix: correct the design file."
        )
    if (w < 0).any():
        rows = [str(series.index[i]) for i in np.flatnonzero(w < 0)[:5]]
        raise DesignError(
            f"Design: the weight column {name!r} has {int((w < 0).sum())} negative value(s) "
            f"(rows {', '.join(rows)}). Rule: sampling weights are ≥ 0. Fix: correct them."
        )
    notes = []
    zero = w == 0
    if zero.any():
        notes.append(
            f"{int(zero.sum())} row(s) have weight 0 in {name!r}: they count for nothing in "
            "the estimates"
        )
    positive = w[w > 0]
    if positive.size:
        median = float(np.median(positive))
        big = w > MAX_WEIGHT_RATIO * median
        if big.any():
            notes.append(
                f"{int(big.sum())} weight(s) of {name!r} exceed {MAX_WEIGHT_RATIO:g} × the "
                f"median weight {median:g} (largest {float(w.max()):g}); check them: one "
                "row then dominates every estimate"
            )
    return notes
