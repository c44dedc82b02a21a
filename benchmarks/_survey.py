"""The run configuration of a synthetic ODK export, shared by the benchmark scripts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def odk_config(
    written: Mapping,
    *,
    name: str,
    output_dir: str | Path,
    draws: int = 1000,
    engine: str | None = None,
    **input_options,
) -> dict:
    """``gd.run`` configuration for the files ``gd.synth.write_survey(..., formats=("odk_csv",))``
    wrote (``written``): the ODK CSV set, its form and design, ``draws`` SMAA draws, and
    ``[engine] kind = engine`` when given. ``input_options`` go to ``[input]`` (e.g.
    ``max_rows``)."""
    config = {
        "diagnostic": {"name": name, "output_dir": str(output_dir)},
        "input": {
            "format": "odk",
            "path": str(written["odk_csv"][0]),
            "form": str(written["form"]),
            "design": str(written["design"]),
            **input_options,
        },
        "ranking": {"draws": draws},
    }
    if engine is not None:
        config["engine"] = {"kind": engine}
    return config
