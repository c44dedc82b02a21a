"""``[[rounds]]`` and ``[evaluation]`` of ``diagnostic.toml``: schema and validation.

A diagnostic with rounds lists each survey round — its own export, form, design file and
mapping — either as the path of that round's own ``diagnostic.toml`` or inline with the keys
of ``[input]``::

    [[rounds]]
    name = "baseline"                         # label shown in the reports
    date = "2018-06"
    config = "linea_base/diagnostic.toml"
    [[rounds]]
    name = "midterm"
    date = "2020-09"
    format = "kobo"                           # or inline [input] keys
    path = "medio_termino/export.xlsx"
    form = "medio_termino/form.xlsx"
    design = "medio_termino/design.csv"
    rename = { cuenta_banco = "bank_account" } # this round's name -> the baseline's name
    [evaluation]
    treatment = "project"   # 0/1 or yes/no column of the design files (programme communities)
    panel = "auto"          # "auto" | "yes" | "no": same households (hhid) re-interviewed
    controls = ["age"]      # optional: covariates of the adjusted (survey-GLM) estimates

The top-level ``[input]`` and ``[design]`` may be left out: the last round's serve (the
reports describe the latest round and what changed since the first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gender_diag.errors import ConfigError

__all__ = ["ROUND_OWN_KEYS", "EVALUATION_KEYS", "ConfigReader", "validate_rounds"]

#: Keys of a round besides the inline ``[input]`` keys.
ROUND_OWN_KEYS = ("name", "date", "config", "rename")


@dataclass(frozen=True)
class ConfigReader:
    """How a round's own configuration is read: given by :mod:`gender_diag.config`, which owns
    the schema (passed in rather than imported, so that config and rounds form no cycle).

    ``input_keys`` are the ``[input]`` keys a round may give inline; ``load(path)`` reads and
    validates a diagnostic.toml; ``validate(raw, base_dir=, source=)`` validates parsed TOML.
    """

    input_keys: tuple[str, ...] = ()
    load: Callable[[Path], dict] | None = None
    validate: Callable[..., dict] | None = None


EVALUATION_KEYS = {"treatment": "", "panel": "auto", "controls": []}
PANEL_CHOICES = ("auto", "yes", "no")


def _raw_value(value: Any) -> Any:
    """A validated value back in its TOML form (paths as text, absent as empty)."""
    if value is None:
        return ""
    return str(value) if isinstance(value, Path) else value


def _round_config(
    entry: dict, index: int, top: dict, *, base_dir: Path, source: str, reader: ConfigReader
):
    """Validated configuration of one round (its own file, or the top file + inline input)."""
    where = f"[[rounds]] #{index + 1}"
    if "config" in entry:
        path = (base_dir / str(entry["config"])).resolve()
        if path.is_dir():
            path = path / "diagnostic.toml"
        if not path.is_file():
            raise ConfigError(
                f"{where} config: file {entry['config']!r} does not exist (looked in "
                f"{base_dir}). Fix: give the round's diagnostic.toml relative to this file."
            )
        return reader.load(path)
    raw = {k: v for k, v in top.items() if k not in ("input",)}
    raw["input"] = {k: entry[k] for k in reader.input_keys if k in entry}
    return reader.validate(raw, base_dir=base_dir, source=f"{source} {where}")


def validate_rounds(
    sections: dict[str, Any],
    raw: dict[str, Any],
    *,
    base_dir: Path,
    source: str,
    reader: ConfigReader = ConfigReader(),
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Check ``[[rounds]]`` and ``[evaluation]``; fill a missing ``[input]`` from the last round.

    Parameters
    ----------
    sections : dict
        The ``rounds`` and ``evaluation`` entries of the parsed TOML.
    raw : dict
        The rest of the parsed TOML (returned with ``[input]`` / ``[design]`` filled in).
    base_dir : Path
        Folder of the configuration file.
    source : str
        File name for messages.
    reader : ConfigReader
        How a round's own configuration is read (``gender_diag.config`` passes its loader).

    Returns
    -------
    (extra, raw, problems)
        ``extra = {"evaluation": {"treatment", "panel", "rounds": [...]}}`` with each round
        ``{"name", "date", "config", "rename"}`` (``config`` the round's validated
        configuration); an empty dict when no rounds are listed.

    Examples
    --------
    >>> extra, _, problems = validate_rounds({"evaluation": {"panel": "maybe"}}, {},
    ...                                      base_dir=Path("."), source="t")
    >>> problems
    ["[evaluation] panel: 'maybe' is not allowed. Fix: use one of 'auto', 'yes', 'no'.", '[evaluation] needs two or more [[rounds]] to compare. Fix: add [[rounds]] entries (name, date, config).']
    """
    problems: list[str] = []
    rounds = sections.get("rounds", [])
    evaluation = sections.get("evaluation", {})
    if not isinstance(evaluation, dict):
        problems.append("[evaluation] must be a table (an [evaluation] header with keys).")
        evaluation = {}
    for key in evaluation:
        if key not in EVALUATION_KEYS:
            problems.append(
                f"[evaluation] unknown key {key!r}. Fix: use one of "
                + ", ".join(EVALUATION_KEYS)
                + "."
            )
    ev = {k: evaluation.get(k, d) for k, d in EVALUATION_KEYS.items()}
    if not isinstance(ev["treatment"], str):
        problems.append(
            f"[evaluation] treatment: expected text in quotes (a column of the design file), "
            f"got {ev['treatment']!r}."
        )
        ev["treatment"] = ""
    if not isinstance(ev["controls"], list) or not all(isinstance(c, str) for c in ev["controls"]):
        problems.append(
            f'[evaluation] controls: expected a list of column names like ["age", '
            f'"education"], got {ev["controls"]!r}.'
        )
        ev["controls"] = []
    if ev["panel"] not in PANEL_CHOICES:
        problems.append(
            f"[evaluation] panel: {ev['panel']!r} is not allowed. Fix: use one of "
            + ", ".join(repr(c) for c in PANEL_CHOICES)
            + "."
        )
        ev["panel"] = "auto"
    if not isinstance(rounds, list) or not all(isinstance(r, dict) for r in rounds):
        problems.append(
            "rounds must be written as [[rounds]] entries (double brackets), each with name, "
            "date and config."
        )
        rounds = []
    if len(rounds) < 2:
        problems.append(
            ("[evaluation]" if evaluation and not rounds else "[[rounds]]")
            + " needs two or more [[rounds]] to compare. Fix: add [[rounds]] entries "
            "(name, date, config)."
        )
    out_rounds = []
    names: set[str] = set()
    for i, entry in enumerate(rounds):
        where = f"[[rounds]] #{i + 1}"
        for key in entry:
            if key not in (*ROUND_OWN_KEYS, *reader.input_keys):
                problems.append(
                    f"{where} unknown key {key!r}. Fix: use one of "
                    + ", ".join((*ROUND_OWN_KEYS, *reader.input_keys))
                    + "."
                )
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f'{where} name is required. Fix: add name = "baseline" (a label).')
            name = f"round_{i + 1}"
        if name in names:
            problems.append(f"{where} name {name!r} is used twice. Fix: give each round its own.")
        names.add(name)
        date = entry.get("date", "")
        if not isinstance(date, str):
            date = str(date)  # a TOML date literal (2018-06-01) is fine too
        has_config = "config" in entry
        inline = [k for k in reader.input_keys if k in entry]
        if has_config and inline:
            problems.append(
                f"{where} ({name}) gives both config and inline input keys "
                f"({', '.join(inline)}). Fix: keep one of the two."
            )
            continue
        if not has_config and "path" not in entry:
            problems.append(
                f'{where} ({name}) needs config = "<round>/diagnostic.toml" or inline '
                'path = "<export>" (with format, form, design). Fix: add one of them.'
            )
            continue
        rename = entry.get("rename", {})
        if not isinstance(rename, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in rename.items()
        ):
            problems.append(
                f'{where} ({name}) rename: expected a table like {{ new_name = "old_name" }}.'
            )
            rename = {}
        try:
            cfg = _round_config(entry, i, raw, base_dir=base_dir, source=source, reader=reader)
        except ConfigError as exc:
            problems.append(f"{where} ({name}): {exc}")
            continue
        out_rounds.append({"name": name, "date": date, "config": cfg, "rename": dict(rename)})
    if out_rounds and len(out_rounds) == len(rounds):
        last = out_rounds[-1]["config"]
        raw = dict(raw)
        if "input" not in raw:
            raw["input"] = {k: _raw_value(v) for k, v in last["input"].items()}
        if "design" not in raw:
            raw["design"] = dict(last["design"])
    if not rounds and not evaluation:
        return {}, raw, problems
    return {"evaluation": {**ev, "rounds": out_rounds}}, raw, problems
