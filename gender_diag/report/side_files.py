"""Side files: the validation folder (shareable) and the internal folder (never shared).

Default deny. What is written beside the reports holds, for each problem, the file *name*,
sheet, table, source row, column, rule, reason, severity, message and fix — never an answer:

``validation/`` (may be shared with the partners)
    ``validation_issues.csv`` without the offending values, ``row_accounting.csv``, and
    ``quarantine_<table>.csv`` with the source row, reasons and offending columns of each
    quarantined row — no keys, no answers.
``interno/`` (:data:`INTERNAL_DIR`; for the survey team only, with a README in es/fr/en)
    what the team needs to fix the data and the public must not see: the keys of the
    quarantined rows (``hhid``, ``_uuid``, roster line), the offending values of coded and
    numeric questions (never of identifiers, free text or sensitive questions), and the
    disclosure-control log with the true ``n`` of suppressed cells.

No absolute path reaches either folder: file columns hold the file name only, and messages
that quote a path are cut to the name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gender_diag.safe_output import write_csv

#: The internal folder's name, the same in every language (documented in its README).
INTERNAL_DIR = "interno"

#: Issue columns of the shareable validation folder (no ``value``).
PUBLIC_ISSUE_COLUMNS = (
    "file",
    "sheet",
    "table",
    "row",
    "column",
    "rule",
    "reason",
    "severity",
    "message",
    "fix",
)
#: Question types whose offending value is a code or a number (kept in the internal folder).
CODED_TYPES = frozenset(
    {"select_one", "select_multiple", "integer", "decimal", "range", "date", "datetime", "rank"}
)
WITHHELD = "[withheld]"

README = """\
# interno — NO COMPARTIR · NE PAS PARTAGER · DO NOT SHARE

**Español.** Esta carpeta es solo para el equipo que levanta y corrige la encuesta. Contiene
las claves de los registros en cuarentena (hhid, _uuid, línea del padrón), los valores
erróneos de preguntas codificadas y el número real de casos de las celdas suprimidas por el
control de divulgación. Con ella se puede volver a identificar hogares o deshacer la
supresión de celdas pequeñas. No la publique, no la envíe por correo, no la suba a una
carpeta compartida; bórrela cuando los datos estén corregidos. Todo lo publicable está
fuera de esta carpeta.

**Français.** Ce dossier est réservé à l'équipe qui collecte et corrige l'enquête. Il
contient les clés des enregistrements en quarantaine (hhid, _uuid, ligne du registre), les
valeurs erronées des questions codées et l'effectif réel des cellules supprimées par le
contrôle de la divulgation. Il permet de ré-identifier des ménages ou d'annuler la
suppression des petites cellules. Ne le publiez pas, ne l'envoyez pas par courriel, ne le
déposez pas dans un dossier partagé ; supprimez-le une fois les données corrigées. Tout ce
qui est publiable se trouve hors de ce dossier.

**English.** This folder is for the team that collects and cleans the survey only. It
holds the keys of quarantined records (hhid, _uuid, roster line), the offending values of
coded questions and the true number of cases behind cells suppressed by disclosure control.
With it households can be re-identified and small-cell suppression undone. Do not publish
it, e-mail it or put it in a shared folder; delete it once the data are fixed. Everything
that may be published is outside this folder.
"""


def _file_names(issues: pd.DataFrame) -> pd.DataFrame:
    """File column reduced to the name; paths quoted in messages and fixes cut likewise."""
    out = issues.copy()
    if not len(out) or "file" not in out.columns:
        return out
    files = out["file"].fillna("").astype(str)
    for full in sorted(set(files) - {""}, key=len, reverse=True):
        name = Path(full).name
        folder = str(Path(full).parent)
        for col in ("message", "fix", "rule"):
            if col in out.columns:
                text = out[col].astype("object").fillna("").astype(str)
                text = text.str.replace(full, name, regex=False)
                if folder not in ("", "."):
                    text = text.str.replace(folder, "", regex=False)
                out[col] = text
    out["file"] = [Path(f).name if f else "" for f in files]
    return out


def public_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """The issues that may be shared: no offending value, file names without folders."""
    out = _file_names(issues)
    return out[[c for c in PUBLIC_ISSUE_COLUMNS if c in out.columns]].reset_index(drop=True)


def internal_issues(
    issues: pd.DataFrame, *, variables: pd.DataFrame | None, sensitive: set[str] = frozenset()
) -> pd.DataFrame:
    """The issues with the offending value of coded and numeric questions only.

    A value is kept when its column is a coded or numeric question of the form (not an
    identifier, not sensitive) and the value holds no identifier-like text; every other
    value — free text, unknown columns, identifiers, the violence module — is
    ``[withheld]``.
    """
    from gender_diag.ingest.privacy import SENSITIVE_NAME, redact_text

    out = _file_names(issues)
    if not len(out) or "value" not in out.columns:
        return out.reset_index(drop=True)
    coded: set[str] = set()
    if isinstance(variables, pd.DataFrame) and len(variables):
        v = variables
        ok = v["type"].astype(str).isin(CODED_TYPES)
        if "identifier" in v.columns:
            ok &= ~v["identifier"].fillna(False).astype(bool)
        coded = set(v.loc[ok.to_numpy(), "name"].astype(str))
    base = out["column"].fillna("").astype(str).str.split("__").str[0]
    keep = base.isin(coded) & ~base.isin(sensitive) & ~base.str.match(SENSITIVE_NAME)
    value = out["value"].astype("object").fillna("").astype(str)
    redacted, _ = redact_text(value)
    clean = redacted.astype("object").fillna("").astype(str).eq(value)
    out["value"] = value.where((keep & clean) | value.eq(""), WITHHELD)
    return out.reset_index(drop=True)


def write_validation(
    report,
    out_dir: str | Path,
    *,
    variables: pd.DataFrame | None = None,
    sensitive: set[str] = frozenset(),
    internal_dir: str | Path | None = None,
) -> list[Path]:
    """Write the validation folder and the internal folder (see the module docstring).

    Parameters
    ----------
    report : ValidationReport
        The ingest report.
    out_dir : path
        The validation folder (``outputs/<name>/validation``).
    variables : DataFrame, optional
        ``survey.variables`` (types and identifier flags), to decide which offending values
        the internal folder may keep.
    sensitive : set of str
        Sensitive question names (form flag, module, catalogue), never quoted.
    internal_dir : path, optional
        Default: :data:`INTERNAL_DIR` beside ``out_dir``.

    Returns
    -------
    list of Path
        Files written, the shareable issue list first.
    """
    out = Path(out_dir)
    internal = Path(internal_dir) if internal_dir is not None else out.parent / INTERNAL_DIR
    paths = [
        write_csv(public_issues(report.issues), out / "validation_issues.csv"),
        write_csv(report.accounting(), out / "row_accounting.csv"),
    ]
    for table, rows in sorted(report.quarantine.items()):
        if not len(rows):
            continue
        public = rows[[c for c in ("row", "reasons", "columns") if c in rows.columns]]
        paths.append(write_csv(public, out / f"quarantine_{table}.csv"))
        paths.append(write_csv(rows, internal / f"quarantine_{table}.csv"))
    issues = internal_issues(report.issues, variables=variables, sensitive=sensitive)
    paths.append(write_csv(issues, internal / "validation_issues.csv"))
    paths.append(write_readme(internal))
    return paths


def write_readme(internal_dir: str | Path) -> Path:
    """The internal folder's README (es/fr/en): it must not be shared."""
    folder = Path(internal_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "README.md"
    path.write_text(README, encoding="utf-8")
    return path


def split_sdc_log(log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shareable, internal) disclosure-control logs: the true ``n`` only in the internal one.

    >>> log = pd.DataFrame({"indicator": ["a"], "reason": ["primary"], "n": [3.0]})
    >>> [list(x.columns) for x in split_sdc_log(log)]
    [['indicator', 'reason'], ['indicator', 'reason', 'n']]
    """
    public = log.drop(columns=[c for c in ("n",) if c in log.columns])
    return public.reset_index(drop=True), log.reset_index(drop=True)
