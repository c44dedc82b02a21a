"""The indices stage of :func:`gender_diag.run`: the configured WEAI-family presets and the
local gender gap index."""

from __future__ import annotations

from gender_diag.config import catalogue_file
from gender_diag.contracts.results import IndexFrame
from gender_diag.contracts.stages import Progress, RunState
from gender_diag.indicators.compute import release_evaluations, weai_inputs
from gender_diag.indicators.local_gap import local_gap_index
from gender_diag.indices.presets import load_preset
from gender_diag.indices.weai import weai
from gender_diag.skips import attempt


def run_stage(state: RunState, config: dict, *, progress: Progress) -> RunState:
    """Fill ``result.indices``: preset name → WEAI result; ``local_gap_<part>`` → frame."""
    result, design = state.result, state.design
    survey, catalogue = result.survey, result.catalogue
    presets, skips = config["indices"]["presets"], state.skips
    people = None
    if presets:  # no WEAI index asked for ([indices] presets = []): no WEAI inputs needed
        people = attempt(skips, "indices", "WEAI inputs", weai_inputs, survey, catalogue,
                         design=design, indicators=state.computable)  # fmt: skip
    not_possible = []
    for preset in presets if people is not None else []:
        spec = load_preset(catalogue_file(config, "presets", f"{preset}.yaml") or preset)
        absent = [key for key in spec.weights if key not in people.columns]
        if absent:
            not_possible.append(f"{preset} (no {', '.join(absent)})")
            state.note(f"{preset}: not computed, the data have no {', '.join(absent)}")
            skips.add("indices", f"index {preset}", f"inputs not in the data: {', '.join(absent)}")
            continue
        result.indices[preset] = weai(
            people,
            preset=spec,
            sex="sex",
            female="F",
            household="hhid",
            weight=design.weight,
            design=design,  # the index frame's weights replace the weight role
            gpi_weighted=config["indices"]["gpi_weighted"],
        )
        for note in result.indices[preset].notes:
            state.note(f"{preset}: {note}")
    local = attempt(skips, "indices", "local gender gap index", local_gap_index, survey,
                    catalogue, design=design, indicators=state.computable)  # fmt: skip
    release_evaluations(survey)  # the last reader of the cached indicator values
    for name, frame in (local or {}).items():
        result.indices[f"local_gap_{name}"] = IndexFrame(frame)
    if people is None and presets:
        not_possible = [f"{p} (no WEAI inputs)" for p in presets]
    result.skipped = skips.frame()
    note = f"; not possible with these data: {'; '.join(not_possible)}" if not_possible else ""
    state.summary = ", ".join(result.indices) + note
    return state
