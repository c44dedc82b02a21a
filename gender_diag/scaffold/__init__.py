"""``gender-diag init DIR``: scaffold a new diagnostic folder.

Without a form, the folder gets a ``diagnostic.toml`` to edit, a copy of the bundled XLSForm
instrument, a copy of the editable catalogues (indicators, index presets, criteria, actions)
and a README in Spanish that explains the next steps to the gender team.

With the team's own form (``--form FORM.xlsx``, and ideally ``--data EXPORT`` and ``--design
DESIGN.csv``) the mapping of the form is inferred (:mod:`gender_diag.scaffold.infer`), the
indicator catalogue is generated from the form's questions (:mod:`gender_diag.scaffold.generate`)
and the diagnostic runs with no edit; every inference is explained in ``diagnostic.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gender_diag.errors import ConfigError
from gender_diag.resources import catalogue_dir, instrument_dir
from gender_diag.scaffold.own_form import init_from_form

README_ES = """\
# Diagnóstico de género — {name}

Esta carpeta contiene todo lo necesario para un nuevo diagnóstico con gender_diag.

## Contenido
- `diagnostic.toml` — la configuración: archivos de entrada, diseño muestral, desagregaciones,
  idiomas, umbrales de confidencialidad y pesos de los criterios de priorización.
- `instrumento/` — el formulario XLSForm (KoboToolbox / ODK Collect) en español, inglés y
  francés. Puede adaptarlo; conserve los nombres de las variables que usa el catálogo.
- `catalogo/` — los indicadores, los índices (A-WEAI, pro-WEAI), los criterios de priorización
  y el catálogo de acciones directas e indirectas. Son archivos de texto (YAML) editables.
- `datos/` — aquí va la exportación de Kobo y el archivo del diseño muestral.

## Próximos pasos
1. Despliegue `instrumento/gender_diag_household.xlsx` en KoboToolbox y realice la encuesta.
2. Descargue la exportación en formato XLS (con encabezados XML y grupos separados por `/`) y
   guárdela como `datos/kobo_export.xlsx`.
3. Complete `datos/design.csv`: una fila por comunidad con `district`, `community`,
   `communities_total`, `households_total`, `households_sampled`, `prob_community` y `weight`
   (el factor de expansión de los hogares).
4. Revise los datos: `gender-diag validate datos/kobo_export.xlsx --form
   instrumento/gender_diag_household.xlsx --design datos/design.csv`. Todos los problemas
   aparecen a la vez, con la fila, la columna y cómo corregirlos.
5. Prepare la puntuación del equipo técnico: `gender-diag rank diagnostic.toml --template
   puntuacion_equipo.xlsx`; complete factibilidad y palanca (1 a 5) y declare el archivo en
   `[ranking] team_scores`.
6. Ejecute el diagnóstico completo: `gender-diag run diagnostic.toml`. Los informes (Excel,
   HTML y Word, en español, francés e inglés) se escriben en `outputs/{name}/`.

Las respuestas del módulo de violencia nunca se exportan como microdatos y las celdas con
pocas personas se suprimen automáticamente.
"""

CONFIG_TEMPLATE = """\
# Configuración del diagnóstico. Las rutas son relativas a este archivo.

[diagnostic]
name = "{name}"
title = "Diagnóstico de género — {name}"
organisation = ""
languages = ["es", "fr", "en"]

[input]
format = "kobo"
path = "datos/kobo_export.xlsx"
form = "instrumento/gender_diag_household.xlsx"
design = "datos/design.csv"

[design]
# Columns of the sampling design. The design file gives them; name them here to override.
weight = "weight"           # household weight = 1 / inclusion probability
strata = "district"
psu = "community"           # first stage: communities
fpc = "fpc"                 # communities in the district (stage-1 population size)
ssu = "hhid"                # second stage: households
fpc2 = "fpc2"               # households in the community (stage-2 population size)
lonely_psu = "adjust"

[indicators]
catalogue = "catalogo"
disaggregations = ["district", "community", "age_band", "mother_tongue", "head_sex"]
ci_method = "logit"
confidence = 0.95

[indices]
presets = ["a-weai", "pro-weai"]
gpi_weighted = true

[disclosure]
threshold = 5
sensitive_threshold = 10
sensitive_min_level = "district"

[ranking]
method = "weighted_sum"
draws = 10000
seed = 1
top_k = 5
levels = ["total", "district"]   # which gaps compete: add "community" for local priorities
# team_scores = "puntuacion_equipo.xlsx"

[recommend]
top_n = 10
"""


def init_diagnostic(
    folder: str | Path,
    *,
    name: str | None = None,
    form: str | Path | None = None,
    data: str | Path | None = None,
    design: str | Path | None = None,
    languages: list[str] | None = None,
    country: str | None = None,
) -> list[Path]:
    """Create a new diagnostic folder and return the files written.

    Parameters
    ----------
    folder : str or Path
        Folder to create; must not exist or be empty.
    name : str, optional
        Short name of the diagnostic (default: the folder name).
    form, data, design : str or Path, optional
        The team's own XLSForm, its Kobo export and the design file: with ``form`` the
        diagnostic is built for that form (see :func:`init_from_form`).
    languages : list of str, optional
        Report languages (default: the form's languages among es, fr, en).
    country : str, optional
        ISO 3166 two-letter country code choosing the action catalogue (``PE`` = the bundled
        Peruvian one; any other = the generic catalogue to adapt).

    Raises
    ------
    ConfigError
        When the folder exists and is not empty (nothing is overwritten).
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(
            f"Folder {str(folder)!r} is not empty. Fix: choose a new folder name; "
            "init never overwrites existing files."
        )
    name = name or folder.resolve().name
    if form is not None:
        return init_from_form(
            folder,
            name=name,
            form=form,
            data=data,
            design=design,
            languages=languages,
            country=country,
        )
    (folder / "datos").mkdir(parents=True, exist_ok=True)
    written = []
    config = folder / "diagnostic.toml"
    config.write_text(CONFIG_TEMPLATE.format(name=name), encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(README_ES.format(name=name), encoding="utf-8")
    written += [config, readme]
    shutil.copytree(instrument_dir(), folder / "instrumento")
    shutil.copytree(catalogue_dir(), folder / "catalogo")
    written += sorted(p for p in (folder / "instrumento").rglob("*") if p.is_file())
    written += sorted(p for p in (folder / "catalogo").rglob("*") if p.is_file())
    return written
