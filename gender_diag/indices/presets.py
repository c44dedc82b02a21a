"""WEAI-family presets: indicator sets, weights and cutoffs kept as editable YAML data.

The presets live in ``surveys/catalogue/presets/<id>.yaml`` (found through
:func:`gender_diag.resources.catalogue_dir`). Weights and cutoffs are written as exact
fractions (``"1/15"``) and parsed with :class:`fractions.Fraction`, so "the weights sum to 1"
is checked exactly, not within a floating-point tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from gender_diag.config import read_yaml
from gender_diag.errors import ConfigError
from gender_diag.resources import catalogue_dir

__all__ = ["KNOWN_INDICATORS", "PRESETS", "Preset", "custom_preset", "load_preset"]

#: Built-in preset ids (file names without ``.yaml``).
PRESETS = ("weai", "a-weai", "pro-weai", "pro-weai-10")

#: Canonical adequacy-indicator keys of the public API contract, per index family.
KNOWN_INDICATORS = frozenset(
    {
        # WEAI
        "input_decisions",
        "autonomy_production",
        "ownership_assets",
        "rights_assets",
        "credit_decisions",
        "control_income",
        "group_member",
        "speaking_public",
        "workload",
        "leisure",
        # pro-WEAI
        "autonomy_income",
        "self_efficacy",
        "attitudes_ipv",
        "respect_household",
        "ownership_land_assets",
        "financial_services",
        "work_balance",
        "mobility",
        "influential_groups",
    }
)

_LANGS = ("es", "fr", "en")
_COMPARISONS = {"greater_than": True, "at_least": False}


@dataclass(frozen=True)
class Preset:
    """A validated index definition.

    Attributes
    ----------
    id : str
        Preset id (``"a-weai"``) or ``"custom"``.
    weights : dict
        Indicator key → :class:`~fractions.Fraction` weight (sum exactly 1), in file order.
    cutoff : Fraction
        Inadequacy cutoff *k*.
    strict : bool
        ``True``: disempowered iff ``c > k``; ``False``: iff ``c >= k``.
    empowerment_label : str
        ``"5DE"`` or ``"3DE"``.
    index_weights : tuple of Fraction
        Weights of the women's empowerment score and of the GPI in the overall index.
    domains : dict
        Indicator key → domain id.
    optional : frozenset
        Indicators the method allows to leave out (pro-WEAI).
    labels, domain_labels, name : dict
        Texts in es/fr/en.
    """

    id: str
    weights: dict[str, Fraction]
    cutoff: Fraction
    strict: bool = True
    empowerment_label: str = "5DE"
    index_weights: tuple[Fraction, Fraction] = (Fraction(9, 10), Fraction(1, 10))
    domains: dict[str, str] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    domain_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)
    source: str = ""
    path: str | None = None

    def float_weights(self) -> dict[str, float]:
        """Weights as floats, in preset order."""
        return {k: float(v) for k, v in self.weights.items()}


def _fraction(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or value is None:
        raise ConfigError(
            f'{where}: expected a number or a fraction such as "1/15"; got {value!r}.'
        )
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ConfigError(
            f'{where}: expected a number or a fraction such as "1/15"; got {value!r}.'
        ) from None


def _labels(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'labels' must map es, fr and en to texts; got {value!r}.")
    missing = [lang for lang in _LANGS if not str(value.get(lang) or "").strip()]
    if missing:
        raise ConfigError(f"{where}: labels are missing for language(s) {missing}; add them.")
    return {lang: str(value[lang]) for lang in _LANGS}


def parse_preset(data: Any, *, source: str) -> Preset:
    """Validate the content of a preset file and build a :class:`Preset`.

    Every problem names the file and the key; weights must be non-negative and sum exactly
    to 1, indicator keys must be canonical keys (:data:`KNOWN_INDICATORS`).
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a preset file must be a mapping of keys; got {type(data).__name__}."
        )
    for key in ("id", "cutoff", "comparison", "domains", "index_weights", "empowerment_label"):
        if key not in data:
            raise ConfigError(f"{source}: required key {key!r} is missing.")
    comparison = data["comparison"]
    if comparison not in _COMPARISONS:
        raise ConfigError(
            f"{source}: 'comparison' must be one of {sorted(_COMPARISONS)}; got {comparison!r}."
        )
    cutoff = _fraction(data["cutoff"], f"{source}: 'cutoff'")
    if not 0 < cutoff < 1:
        raise ConfigError(f"{source}: 'cutoff' must lie strictly between 0 and 1; got {cutoff}.")
    iw = data["index_weights"]
    if not isinstance(iw, dict) or set(iw) != {"empowerment", "parity"}:
        raise ConfigError(
            f"{source}: 'index_weights' must have exactly the keys 'empowerment' and 'parity'."
        )
    e_w = _fraction(iw["empowerment"], f"{source}: index_weights.empowerment")
    p_w = _fraction(iw["parity"], f"{source}: index_weights.parity")
    if e_w < 0 or p_w < 0 or e_w + p_w != 1:
        raise ConfigError(
            f"{source}: index_weights must be non-negative and sum to 1; got {e_w} + {p_w}."
        )
    domains = data["domains"]
    if not isinstance(domains, dict) or not domains:
        raise ConfigError(f"{source}: 'domains' must map domain ids to their indicators.")
    weights: dict[str, Fraction] = {}
    dom_of: dict[str, str] = {}
    optional: set[str] = set()
    labels: dict[str, dict[str, str]] = {}
    domain_labels: dict[str, dict[str, str]] = {}
    for dom, body in domains.items():
        where = f"{source}: domain {dom!r}"
        if not isinstance(body, dict) or not isinstance(body.get("indicators"), dict):
            raise ConfigError(f"{where}: needs 'labels' and a mapping 'indicators'.")
        domain_labels[dom] = _labels(body.get("labels"), where)
        for key, spec in body["indicators"].items():
            iwhere = f"{source}: indicator {key!r}"
            if key not in KNOWN_INDICATORS:
                raise ConfigError(
                    f"{iwhere}: unknown indicator key; use one of {sorted(KNOWN_INDICATORS)} "
                    "or pass indicators={column: weight} for a custom index."
                )
            if key in weights:
                raise ConfigError(f"{iwhere}: listed twice.")
            if not isinstance(spec, dict) or "weight" not in spec:
                raise ConfigError(f"{iwhere}: needs a 'weight' such as \"1/10\".")
            w = _fraction(spec["weight"], f"{iwhere} weight")
            if w <= 0:
                raise ConfigError(f"{iwhere}: weight must be positive; got {w}.")
            weights[key] = w
            dom_of[key] = dom
            labels[key] = _labels(spec.get("labels"), iwhere)
            if spec.get("optional", False) is True:
                optional.add(key)
            elif spec.get("optional", False) is not False:
                raise ConfigError(f"{iwhere}: 'optional' must be true or false.")
    total = sum(weights.values(), Fraction(0))
    if total != 1:
        raise ConfigError(
            f"{source}: indicator weights must sum exactly to 1; they sum to {total} "
            f"({' + '.join(str(w) for w in weights.values())}). Fix the weights."
        )
    name = _labels(data.get("name"), f"{source}: name")
    label = str(data["empowerment_label"])
    return Preset(
        id=str(data["id"]),
        weights=weights,
        cutoff=cutoff,
        strict=_COMPARISONS[comparison],
        empowerment_label=label,
        index_weights=(e_w, p_w),
        domains=dom_of,
        optional=frozenset(optional),
        labels=labels,
        domain_labels=domain_labels,
        name=name,
        source=str(data.get("source", "")),
        path=source,
    )


def load_preset(name: str | Path) -> Preset:
    """Load and validate a preset by id (``"a-weai"``) or from a YAML file path.

    Examples
    --------
    >>> p = load_preset("a-weai")
    >>> p.cutoff, p.strict, str(p.weights["ownership_assets"])
    (Fraction(1, 5), True, '2/15')
    """
    if isinstance(name, Path) or str(name).endswith((".yaml", ".yml")):
        path = Path(name)
    else:
        if name not in PRESETS:
            raise ConfigError(
                f"Unknown WEAI preset {name!r}: use one of {list(PRESETS)}, a path to a preset "
                "YAML file, or indicators={column: weight}."
            )
        path = catalogue_dir() / "presets" / f"{name}.yaml"
    data = read_yaml(path, what="index preset")
    return parse_preset(data, source=str(path))


def custom_preset(
    indicators: dict[str, Any], *, cutoff: Any = Fraction(1, 5), strict: bool = True
) -> Preset:
    """A preset from ``{column: weight}`` (weights normalised to sum 1, any column names)."""
    if not isinstance(indicators, dict) or not indicators:
        raise ConfigError("indicators must be a non-empty mapping {adequacy column: weight}.")
    weights = {str(k): _fraction(v, f"indicators[{k!r}]") for k, v in indicators.items()}
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ConfigError("indicators: weights must be non-negative with a positive sum.")
    total = sum(weights.values(), Fraction(0))
    weights = {k: w / total for k, w in weights.items()}
    k = _fraction(cutoff, "cutoff")
    if not 0 < k < 1:
        raise ConfigError(f"cutoff must lie strictly between 0 and 1; got {k}.")
    return Preset(id="custom", weights=weights, cutoff=k, strict=strict, empowerment_label="DE")
