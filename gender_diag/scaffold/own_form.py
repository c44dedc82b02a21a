"""``gender-diag init DIR --form FORM.xlsx``: a ready diagnostic for the team's own form.

Writes, in ``DIR``: ``diagnostic.toml`` (mapping inferred, evidence in comments, questions
where the form is ambiguous), ``instrumento/`` (the form), ``datos/`` (the export and the
design file, copied), ``catalogo/`` (indicators generated from the form, the bundled ones it
can map, criteria, and the action catalogue for the country) and a README.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from gender_diag.errors import ConfigError
from gender_diag.resources import catalogue_dir
from gender_diag.scaffold.generate import config_toml, write_catalogue
from gender_diag.scaffold.infer import Inference, infer_mapping

#: Country whose action catalogue is bundled (``surveys/catalogue/actions.yaml``).
BUNDLED_ACTIONS_COUNTRY = "PE"
LANGS = ("es", "fr", "en")

README = """\
# {name}

Prepared by `gender-diag init` from the form `{form}`.

1. Read `diagnostic.toml`: each line of `[mapping]` says where gender_diag found the household
   id, the places, the person roster, the respondents and the sex codes, and why.
   {questions}
2. Check the data: `gender-diag validate {data} --form {form_path}`.
3. Run: `gender-diag run {folder}` (reports in `outputs/{name}/`).
4. Edit `catalogo/indicators_form.yaml` to reword labels, set `direction` (higher_better or
   higher_worse) and tags, or drop indicators; the file is checked on every run.
{actions}
"""


def _read_export(path: Path) -> dict[str, pd.DataFrame]:
    """The export's sheets (a CSV export is the main sheet alone)."""
    from gender_diag.ingest.tables import read_delimited, read_sheets

    if path.suffix.lower() in (".csv", ".txt"):
        return {"main": read_delimited(path)[0]}
    return read_sheets(path)


def _read_design(path: Path) -> pd.DataFrame:
    from gender_diag.ingest.tables import read_delimited, read_sheets

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return next(iter(read_sheets(path).values()))
    return read_delimited(path)[0]


def _copy(src: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, folder / src.name)
    return f"{folder.name}/{src.name}"


def _equal_weight_design(
    tables: dict[str, pd.DataFrame], inf: Inference, folder: Path
) -> tuple[str, str]:
    """A design file with weight 1 per community found in the export (stated in the config)."""
    community, district = inf.mapping["community"], inf.mapping["district"]
    if not community:
        return "", "no place column: the design cannot be joined; give --design DESIGN.csv"
    main = next(iter(tables.values()))

    def column(name: str) -> pd.Series | None:
        for col in main.columns:
            if str(col) == name or str(col).endswith("/" + name):
                return main[col]
        return None

    comm = column(community)
    if comm is None:
        return "", f"the export has no column {community!r}; give --design DESIGN.csv"
    frame = pd.DataFrame({community: comm.astype(str)})
    if district and column(district) is not None:
        frame[district] = column(district).astype(str).to_numpy()
    frame = frame.dropna().drop_duplicates(community)
    frame["weight"] = 1.0
    path = folder / "design.csv"
    frame.to_csv(path, index=False)
    return (
        f"{folder.name}/design.csv",
        "no design file was given: datos/design.csv gives every household the same weight "
        "(a simple random sample of households). Replace it with the real weights (one row "
        "per community, weight = 1 / inclusion probability) before publishing.",
    )


def _actions(cat: Path, country: str) -> str:
    """Copy the action catalogue fitting ``country``; return the README line about it."""
    if country.upper() == BUNDLED_ACTIONS_COUNTRY:
        shutil.copy2(catalogue_dir() / "actions.yaml", cat / "actions.yaml")
        return "5. `catalogo/actions.yaml` holds the Peruvian action catalogue (authorities named)."
    shutil.copy2(catalogue_dir() / "actions_generic.yaml", cat / "actions.yaml")
    where = f" for {country.upper()}" if country else ""
    return (
        f"5. `catalogo/actions.yaml` is the generic action catalogue{where}: its actions name no "
        "authority and are marked 'adapt to your context'. Name the competent authorities and "
        "instruments of your country before sharing the policy table."
    )


def init_from_form(
    folder: Path,
    *,
    name: str,
    form: str | Path,
    data: str | Path | None = None,
    design: str | Path | None = None,
    languages: list[str] | None = None,
    country: str | None = None,
) -> list[Path]:
    """Scaffold a diagnostic for the team's own XLSForm (see the module docstring).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ConfigError
        A given file does not exist, or a language or country code is not valid.
    """
    form = Path(form)
    problems = [
        f"{what} file {str(p)!r} not found"
        for what, p in (("form", form), ("data", data), ("design", design))
        if p is not None and not Path(p).is_file()
    ]
    if languages and any(lang not in LANGS for lang in languages):
        problems.append(f"--lang must be among {', '.join(LANGS)}, got {languages}")
    country = (country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        problems.append(
            f"--country must be a two-letter ISO code such as PE or KE, got {country!r}"
        )
    if problems:
        raise ConfigError("init: " + "; ".join(problems) + ". Fix: check the paths and options.")
    tables = _read_export(Path(data)) if data is not None else None
    design_frame = _read_design(Path(design)) if design is not None else None
    inf = infer_mapping(form, data_tables=tables, design=design_frame)

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    form_rel = _copy(form, folder / "instrumento")
    data_rel = _copy(Path(data), folder / "datos") if data is not None else "datos/kobo_export.xlsx"
    if design is not None:
        design_rel = _copy(Path(design), folder / "datos")
    elif tables is not None:
        design_rel, note = _equal_weight_design(tables, inf, folder / "datos")
        inf.notes.append(note)
    else:
        design_rel = ""
        inf.notes.append("give the design file (weights per community) as [input] design")
    cat = folder / "catalogo"
    langs = list(languages or [lang for lang in LANGS if lang in inf.languages] or ["en"])
    paths, counts = write_catalogue(cat, inf, langs)
    written += paths
    shutil.copy2(catalogue_dir() / "criteria.yaml", cat / "criteria.yaml")
    actions_line = _actions(cat, country)
    config = folder / "diagnostic.toml"
    config.write_text(
        config_toml(
            inf,
            name=name,
            data=data_rel,
            form=form_rel,
            design=design_rel,
            languages=langs,
            country=country,
            counts=counts,
        ),
        encoding="utf-8",
    )
    questions = inf.questions
    qline = (
        f"**{len(questions)} question(s)** are marked `# QUESTION` there: answer them first."
        if questions
        else "Nothing was ambiguous: no line needs an answer."
    )
    readme = folder / "README.md"
    readme.write_text(
        README.format(
            name=name,
            form=form.name,
            form_path=form_rel,
            data=data_rel,
            folder=folder,
            questions=qline,
            actions=actions_line,
        ),
        encoding="utf-8",
    )
    written += [config, readme, cat / "criteria.yaml", cat / "actions.yaml"]
    written += sorted(p for p in (folder / "instrumento").glob("*") if p.is_file())
    written += sorted(p for p in (folder / "datos").glob("*") if p.is_file())
    return written
