"""Loading and validating ``diagnostic.toml``.

The configuration is data a gender team edits by hand, so every problem in it is collected and
reported at once (unknown key, wrong type, value outside the allowed set, missing file), each
with the section, the key, what was found and what to write instead.

The schema below is the single description of the file: defaults, types and allowed values.
Paths are resolved relative to the folder holding the configuration file; the output folder is
resolved relative to the current directory (``outputs/<name>`` by default).
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gender_diag.errors import ConfigError
from gender_diag.resources import catalogue_dir, example_dir

FORMATS = ("kobo", "odk", "table", "stata", "spss", "census")
LANGUAGES = ("es", "fr", "en")


@dataclass(frozen=True)
class Key:
    """One configuration key: its type(s), default, and allowed values."""

    types: tuple[type, ...]
    default: Any
    choices: tuple[Any, ...] | None = None
    path: bool = False  # resolved relative to the config file and required to exist
    required: bool = False
    help: str = ""


SCHEMA: dict[str, dict[str, Key]] = {
    "diagnostic": {
        "name": Key((str,), "diagnostic", help="short name, used for the output folder"),
        "title": Key((str,), "Diagnóstico de género"),
        "organisation": Key((str,), ""),
        # the source line of every citation: organisation, survey, fieldwork period, year
        "survey": Key((str,), "", help="name of the survey, as it should be cited"),
        "fieldwork": Key((str,), "", help="fieldwork period, e.g. 'mayo–junio de 2026'"),
        "year": Key((int, str), "", help="year of the survey (default: the fieldwork year)"),
        "languages": Key((list,), list(LANGUAGES), choices=LANGUAGES),
        "output_dir": Key((str,), "", help="default outputs/<name> in the current folder"),
    },
    "input": {
        "format": Key((str,), "kobo", choices=FORMATS),
        "path": Key((str,), "", path=True, required=True),
        "form": Key((str,), "", path=True),
        "design": Key((str,), "", path=True),
        "salt": Key((str,), "", help="secret key of the pseudonyms; never written anywhere"),
        "max_uncompressed_mb": Key((int,), 1000, help="refuse xlsx/zip inputs unpacking to more"),
        "max_rows": Key((int,), 2_000_000, help="refuse a sheet or file with more data rows"),
        "max_columns": Key((int,), 5_000, help="refuse a sheet or file with more columns"),
    },
    "privacy": {
        "identifiers": Key(
            (list,), [], help="extra identifier columns, dropped whatever their type"
        ),
    },
    "design": {
        # Empty = take the role from the design file merged at ingest (docs/contracts.md §1);
        # "none" = the design has no such column (e.g. ssu = "none" for a one-stage design).
        "weight": Key((str,), "", help="sampling weight column"),
        "strata": Key((str,), ""),
        "psu": Key((str,), ""),
        "fpc": Key((str,), ""),
        "ssu": Key((str,), ""),
        "fpc2": Key((str,), ""),
        "with_replacement": Key((bool,), False),
        "lonely_psu": Key(
            (str,), "adjust", choices=("fail", "remove", "adjust", "certainty", "average")
        ),
        # PSU codes reused in several strata: "nest" (stratum × PSU, with a note) or "fail"
        "reused_psu": Key((str,), "nest", choices=("nest", "fail")),
        # replicate weights: a column prefix (e.g. "repw") and the method
        "replicate_weights": Key((str,), ""),
        "replicate_type": Key(
            (str,), "", choices=("", "JK1", "JKn", "BRR", "Fay", "bootstrap", "other")
        ),
        "mse": Key((bool,), False),
        # confidence level of every interval; 0 = take [indicators] confidence
        "confidence": Key((float,), 0.0),
    },
    "indicators": {
        "catalogue": Key((str,), "", path=True, help="folder or YAML file; default: bundled"),
        "disaggregations": Key(
            (list,),
            ["district", "community", "age_band", "mother_tongue", "head_sex"],
        ),
        "ci_method": Key(
            (str,),
            "logit",
            choices=("logit", "wilson", "korn-graubard", "clopper-pearson", "wald"),
        ),
        "confidence": Key((float,), 0.95),
    },
    "indices": {
        "presets": Key((list,), ["a-weai", "pro-weai"]),
        "gpi_weighted": Key((bool,), True),
    },
    "disclosure": {
        "threshold": Key((int,), 5, choices=(3, 5, 10)),
        "sensitive_threshold": Key((int,), 10),
        "sensitive_min_level": Key((str,), "district"),
    },
    "ranking": {
        "method": Key((str,), "weighted_sum", choices=("weighted_sum", "topsis", "promethee")),
        "draws": Key((int,), 10_000),
        "seed": Key((int,), 20261128),
        "top_k": Key((int,), 5),
        "team_scores": Key((str,), "", path=True),
        "levels": Key(
            (list,),
            ["total", "district"],
            help="which disaggregations compete for priority (any of the disaggregations)",
        ),
        "weights": Key((dict,), {}, help="criterion -> weight; default from criteria.yaml"),
    },
    "recommend": {
        "top_n": Key((int,), 10),
        # ISO 3166 code of the diagnostic's country: an action catalogue written for another
        # country is replaced by the generic one (issue 14 §8); empty = use the catalogue as is
        "country": Key((str,), "", help="two-letter country code, e.g. PE"),
    },
    # "Your district among all districts" (issue 13): with [input] format = "census" only
    # district is used; a survey diagnostic also names the census file (gender_diag.report.district)
    "census": {
        "path": Key((str,), "", path=True, help="census person file (Parquet file or folder)"),
        "district": Key((str,), "", help="the district's code in the census, e.g. '080101'"),
        "catalogue": Key((str,), "", path=True, help="census indicators (default: bundled)"),
        "weight": Key((str,), "weight", help="weight column of the census (1 for everyone)"),
        "min_indicators": Key(
            (int,), 0, help="indicators a district needs to be ranked (0: three quarters)"
        ),
        "levels": Key(
            (list,),
            ["department", "province", "district"],
            help="area columns, largest first; the last one is ranked",
        ),
    },
    "engine": {
        "kind": Key((str,), "auto", choices=("auto", "pandas", "duckdb", "spark")),
        "spark_master": Key((str,), "local[2]", help="Spark master URL, e.g. spark://host:7077"),
        "auto_threshold_rows": Key((int,), 5_000_000, help="auto: DuckDB above this many rows"),
    },
}


class Config(dict):
    """A validated configuration (section → key → value); :func:`load_config` passes it through."""


def _type_name(types: tuple[type, ...]) -> str:
    names = {
        str: "text in quotes",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: 'a list like ["a", "b"]',
        dict: "a table",
    }
    return " or ".join(names[t] for t in types)


def _check_type(value: Any, key: Key) -> bool:
    if bool in key.types:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if float in key.types and isinstance(value, int):
        return True
    return isinstance(value, key.types)


def validate_config(raw: dict[str, Any], *, base_dir: Path, source: str = "<config>") -> dict:
    """Check a parsed configuration against :data:`SCHEMA` and fill in defaults.

    Parameters
    ----------
    raw : dict
        The parsed TOML.
    base_dir : Path
        Folder the relative input paths are resolved against.
    source : str
        File name used in messages.

    Returns
    -------
    dict
        Section → key → value, every key present, paths resolved to absolute ``Path``
        (or ``None`` when empty).

    Raises
    ------
    ConfigError
        Listing every problem found, one per line.

    Examples
    --------
    >>> cfg = validate_config({"input": {"path": "x.xlsx"}}, base_dir=Path("."), source="t")
    Traceback (most recent call last):
    ...
    gender_diag.errors.ConfigError: t: 1 problem(s) in the configuration:
      - [input] path: file 'x.xlsx' does not exist (looked in .). Fix: give the path relative to the configuration file.
    """
    problems: list[str] = []
    out: dict[str, dict[str, Any]] = {}
    # [mapping] has nested tables: validated by its own module (gender_diag.ingest.mapping)
    raw = dict(raw)
    mapping = raw.pop("mapping", None)
    if mapping is not None:
        from gender_diag.ingest.mapping import parse_mapping

        problems += parse_mapping(mapping, source=source)[1]
    extra: dict[str, Any] = {}
    if "rounds" in raw or "evaluation" in raw:  # change over time: gender_diag.change.rounds
        from gender_diag.change.rounds import ConfigReader, validate_rounds

        rounds = {k: raw[k] for k in ("rounds", "evaluation") if k in raw}
        rest = {k: v for k, v in raw.items() if k not in rounds}
        reader = ConfigReader(tuple(SCHEMA["input"]), load_config, validate_config)
        extra, raw, found = validate_rounds(
            rounds, rest, base_dir=base_dir, source=source, reader=reader
        )
        problems += found
    for section in raw:
        if section not in SCHEMA:
            problems.append(
                f"unknown section [{section}]. Fix: use one of "
                + ", ".join(f"[{s}]" for s in (*SCHEMA, "mapping"))
                + "."
            )
    for section, keys in SCHEMA.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            problems.append(f"[{section}] must be a table (a [{section}] header with keys).")
            given = {}
        for name in given:
            if name not in keys:
                problems.append(
                    f"[{section}] unknown key {name!r}. Fix: use one of " + ", ".join(keys) + "."
                )
        values: dict[str, Any] = {}
        for name, key in keys.items():
            value = given.get(name, copy.deepcopy(key.default))
            if name in given and not _check_type(value, key):
                problems.append(
                    f"[{section}] {name}: expected {_type_name(key.types)}, got {value!r}."
                )
                value = copy.deepcopy(key.default)
            if key.choices is not None:
                items = value if isinstance(value, list) else [value]
                bad = [v for v in items if v not in key.choices]
                if bad:
                    problems.append(
                        f"[{section}] {name}: {bad[0]!r} is not allowed. Fix: use one of "
                        + ", ".join(repr(c) for c in key.choices)
                        + "."
                    )
            if key.required and not value:
                problems.append(f'[{section}] {name} is required. Fix: add {name} = "...".')
            if key.path:
                if value:
                    path = (base_dir / value).resolve()
                    if not path.exists():
                        problems.append(
                            f"[{section}] {name}: file {value!r} does not exist "
                            f"(looked in {base_dir}). Fix: give the path relative to the "
                            "configuration file."
                        )
                    value = path
                else:
                    value = None
            values[name] = value
        out[section] = values
    if out["indicators"]["confidence"] and not 0.5 < out["indicators"]["confidence"] < 1:
        problems.append("[indicators] confidence must be between 0.5 and 1, e.g. 0.95.")
    if out["design"]["confidence"] and not 0.5 < out["design"]["confidence"] < 1:
        problems.append("[design] confidence must be between 0.5 and 1, e.g. 0.95.")
    allowed = ["total", *out["indicators"]["disaggregations"]]
    for level in out["ranking"]["levels"]:
        if level not in allowed:
            problems.append(
                f"[ranking] levels: {level!r} is not computed. Fix: use 'total' or one of "
                "[indicators] disaggregations: " + ", ".join(allowed[1:]) + "."
            )
    problems += census_problems(out)
    problems += range_problems(out)
    if problems:
        raise ConfigError(
            f"{source}: {len(problems)} problem(s) in the configuration:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    if out["indicators"]["catalogue"] is None:
        out["indicators"]["catalogue"] = catalogue_dir()
    out["config_path"] = source
    if mapping is not None:
        out["mapping"] = mapping  # the section as written; ingest reads it (load_mapping)
    out.update(extra)
    return Config(out)


#: Allowed ranges of numeric options: (section, key) -> (low, high, advice). A number outside
#: would hang the run (``draws = 10**12``) or make it meaningless (``top_n = -5``).
RANGES: dict[tuple[str, str], tuple[float, float, str]] = {
    ("ranking", "draws"): (0, 1_000_000, "0 switches the robustness off; 10000 is usual"),
    ("ranking", "seed"): (0, 2**32 - 1, "any whole number from 0 to 4294967295"),
    ("ranking", "top_k"): (1, 1_000, "e.g. 5"),
    ("recommend", "top_n"): (1, 1_000, "e.g. 10"),
    ("disclosure", "sensitive_threshold"): (1, 1_000, "at least the threshold; 10 is usual"),
    ("input", "max_uncompressed_mb"): (1, 1_000_000, "e.g. 1000"),
    ("input", "max_rows"): (1, 1_000_000_000, "e.g. 2000000"),
    ("census", "min_indicators"): (0, 10_000, "e.g. 12, or 0 for three quarters of them"),
    ("input", "max_columns"): (1, 1_000_000, "e.g. 5000"),
}


def census_problems(config: dict) -> list[str]:
    """Consistency of the ``[census]`` keys with ``[input] format``, as messages."""
    census, fmt = config.get("census", {}), config.get("input", {}).get("format")
    problems = []
    if fmt == "census" and census.get("path"):
        problems.append(
            f"[census] path = {str(census['path'])!r} is for survey diagnostics; a census "
            "diagnostic reads [input] path. Fix: remove [census] path (keep district)."
        )
    if fmt != "census" and census.get("district") and not census.get("path"):
        problems.append(
            f"[census] district = {census['district']!r} needs the census file. Fix: add "
            '[census] path = "<census persons .parquet file or folder>".'
        )
    levels = census.get("levels") or []
    if not levels or not all(isinstance(v, str) and v for v in levels):
        problems.append(
            f"[census] levels = {levels!r} must list area columns, largest first. Fix: e.g. "
            'levels = ["department", "province", "district"].'
        )
    return problems


def range_problems(config: dict) -> list[str]:
    """Every numeric option outside its range (see :data:`RANGES`), as messages.

    >>> range_problems({"ranking": {"draws": 10**12}})
    ['[ranking] draws = 1000000000000 is outside 0 to 1000000 (0 switches the robustness off; 10000 is usual).']
    """
    problems = []
    for (section, key), (low, high, advice) in RANGES.items():
        value = config.get(section, {}).get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not low <= value <= high:
                problems.append(
                    f"[{section}] {key} = {value} is outside {low} to {high} ({advice})."
                )
    disclosure = config.get("disclosure", {})
    thr, sens = disclosure.get("threshold"), disclosure.get("sensitive_threshold")
    if isinstance(thr, int) and isinstance(sens, int) and sens < thr:
        problems.append(
            f"[disclosure] sensitive_threshold = {sens} is below threshold = {thr}. Fix: "
            "sensitive indicators need at least the ordinary threshold (10 is usual)."
        )
    level = disclosure.get("sensitive_min_level")
    if level is not None and level not in ("total", "district", "community"):
        problems.append(
            f"[disclosure] sensitive_min_level: {level!r} is not allowed. Fix: use 'total', "
            "'district' or 'community'."
        )
    return problems


def read_yaml(path: str | Path, *, what: str = "file") -> Any:
    """Parse one editable YAML file, with a message a non-programmer can act on.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file is, for the message (e.g. ``"action catalogue"``).

    Raises
    ------
    ConfigError
        When the file is missing, unreadable, not UTF-8 or not valid YAML (with the line and
        column of the problem).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "actions.yaml"
    >>> _ = bad.write_text("actions: [unclosed\\n", encoding="utf-8")
    >>> read_yaml(bad, what="action catalogue")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gender_diag.errors.ConfigError: .../actions.yaml line 2, column 1: the action catalogue is not valid YAML (...). Fix: check the indentation, colons and quotes on that line.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found. Fix: check the path.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the {what} is not UTF-8 text. Fix: save it as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror}).") from None
    try:
        # libyaml's parser when present: the same safe schema, several times faster
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except RecursionError:
        raise ConfigError(
            f"{path}: the {what} is nested too deeply to be read. Fix: check for runaway "
            "brackets or indentation."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(
            f"{path}{where}: the {what} is not valid YAML ({problem}). Fix: check the "
            "indentation, colons and quotes on that line."
        ) from None


def default_config_path() -> Path:
    """The bundled example's configuration: the embedded default of ``gender-diag run``."""
    return example_dir() / "diagnostic.toml"


def load_config(path: str | Path | dict | None = None) -> dict:
    """Read and validate a ``diagnostic.toml`` (or accept an already-parsed dict).

    Parameters
    ----------
    path : str, Path, dict, Config or None
        The configuration file; ``None`` means the bundled example. A dict is validated as if
        it were the parsed file, with paths relative to the current folder; an already
        validated :class:`Config` is returned as it is.
    """
    if isinstance(path, Config):
        return path
    if isinstance(path, dict):
        return validate_config(path, base_dir=Path.cwd(), source="<dict>")
    path = Path(path) if path is not None else default_config_path()
    if path.is_dir():
        path = path / "diagnostic.toml"
    if not path.is_file():
        raise ConfigError(
            f"Configuration file {str(path)!r} not found. Fix: give the path to a "
            "diagnostic.toml, or create one with `gender-diag init FOLDER`."
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc}). Fix: check quotes, brackets and '=' on that line."
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text. Fix: save the file as UTF-8.") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: nested too deeply to be read. Fix: check for runaway brackets."
        ) from None
    return validate_config(raw, base_dir=path.parent.resolve(), source=str(path))


def output_dir(config: dict) -> Path:
    """Folder the run writes to: ``[diagnostic] output_dir`` or ``outputs/<name>``.

    The name must be a plain folder name (no separator, no ``..``, no absolute path), so that
    the default folder stays under ``outputs/``.
    """
    from gender_diag.safe_output import safe_name

    given = config["diagnostic"]["output_dir"]
    if given:
        return Path(given)
    return Path("outputs") / safe_name(config["diagnostic"]["name"])


def catalogue_file(config: dict, *parts: str) -> Path | None:
    """A file of the configured catalogue folder (``[indicators] catalogue``), if present.

    A diagnostic scaffolded by ``gender-diag init`` carries its own editable copy of the
    criteria, actions and index presets; the bundled files serve when it has none.
    """
    folder = Path(config["indicators"]["catalogue"])
    folder = folder if folder.is_dir() else folder.parent
    path = folder.joinpath(*parts)
    return path if path.is_file() else None
