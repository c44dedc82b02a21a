"""Build ``walkthrough.ipynb`` from the cells below (keeps the notebook reviewable as text).

Run ``.venv/bin/python notebooks/build_walkthrough.py``; the test suite executes the notebook.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# gender_diag — walkthrough on the example survey

The bundled example is a synthetic Kobo export of about 600 households in three Andean districts
(Acomayo, Pomacanchi, Sangarará), with a known sampling design: districts are strata,
communities are primary sampling units drawn with known probabilities, households are drawn
within communities. This notebook runs the diagnostic step by step; `gd.run()` does the same in
one call."""),
    ("code", """import matplotlib

matplotlib.use("Agg")
import gender_diag as gd
from gender_diag.resources import example_dir

ex = example_dir()"""),
    ("md", """## 1. Ingest and validate
`read_kobo` reads the export with its XLSForm (types, choice lists, labels in es/fr/en, skip
logic) and the design file (weights and population sizes per community). Identifiers are
removed at the door; every problem is collected in the validation report."""),
    ("code", """survey = gd.read_kobo(
    ex / "kobo_export.xlsx", form=ex / "gender_diag_household.xlsx", design=ex / "design.csv"
)
survey.report.accounting()"""),
    ("code", """{name: table.shape for name, table in survey.tables.items()}"""),
    ("md", """## 2. Survey design and one estimate by sex
Women and men are domains (subpopulations) of the same sample: the gap between them is
estimated with the covariance of both estimates, since they share communities."""),
    ("code", """resp = survey.tables["respondents"].assign(
    bank=lambda t: (t["bank_account"] == "yes").where(t["bank_account"].notna()).astype(float)
)
d = gd.SurveyDesign(resp, weight="weight", strata="district", psu="community", fpc="fpc")
d.mean("bank", by="sex")[["sex", "estimate", "se", "ci_low", "ci_high", "n"]]"""),
    ("code", """d.gap("bank", between="sex", reference="M")[["estimate", "se", "ci_low", "ci_high", "p_value"]]"""),
    ("md", """## 3. Every indicator of the catalogue, by sex, with gaps
The catalogue (`surveys/catalogue/indicators.yaml`) defines each indicator with a safe rule
language; `compute_indicators` estimates all of them in one batched pass."""),
    ("code", """catalogue = gd.load_catalogue()
table = gd.compute_indicators(survey, catalogue, by=("district",))
gaps = gd.gap_table(table)
gaps.query("by == 'total'").sort_values("gap")[
    ["indicator", "estimate_f", "estimate_m", "gap", "gap_ci_low", "gap_ci_high", "q_value"]
].head(8)"""),
    ("md", """## 4. Empowerment: A-WEAI
Adequacy indicators come from the catalogue; the index uses the survey weights and design for
its standard errors."""),
    ("code", """people = gd.indicators.weai_inputs(survey, catalogue)
res = gd.indices.weai(
    people, preset="a-weai", weight="weight",
    design={"strata": "district", "psu": "community", "fpc": "fpc"},
)
print(f"5DE women {res.women.de:.3f}, men {res.men.de:.3f}, GPI {res.gpi.value:.3f}, "
      f"A-WEAI {res.value:.3f}")
res.women.contributions.round(3)"""),
    ("md", """## 5. Priority gaps
Criteria (size, confidence, reach, severity, feasibility, leverage) are combined by a weighted
sum; 1,000 Dirichlet draws of the weights show how stable each rank is."""),
    ("code", """ranking = gd.prioritise.rank_gaps(gaps, draws=1000, seed=1)
ranking.table[["rank", "gap_id", "score", "median_rank", "rank_low", "rank_high", "why_en"]].head(5)"""),
    ("md", "## 6. A chart: women and men on the largest gaps"),
    ("code", """import matplotlib.pyplot as plt

top = gaps.query("by == 'total'").assign(size=lambda g: g["gap"].abs()).nlargest(8, "size")
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(top["estimate_f"], top["indicator"], label="women")
ax.scatter(top["estimate_m"], top["indicator"], label="men")
ax.set_xlabel("estimate")
ax.legend()
fig.tight_layout()"""),
    ("md", """## 7. Everything at once
`gd.run()` chains all stages and writes the Excel, HTML and Word reports in es/fr/en."""),
    ("code", """import tempfile

out = tempfile.mkdtemp()
result = gd.run({
    "diagnostic": {"name": "example", "output_dir": out, "languages": ["es"]},
    "input": {"path": str(ex / "kobo_export.xlsx"), "form": str(ex / "gender_diag_household.xlsx"),
              "design": str(ex / "design.csv")},
    "ranking": {"draws": 500},
})
len(result.outputs), result.direct_actions.shape, result.indirect_actions.shape"""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


if __name__ == "__main__":
    path = Path(__file__).with_name("walkthrough.ipynb")
    nbformat.write(build(), path)
    print(f"written: {path}")
