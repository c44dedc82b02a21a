"""The workshop page: re-rank the priorities live in the browser, with the Python formula.

The self-contained HTML report carries, in a ``<script type="application/json">`` block, the
normalised criteria of every published ranked gap and the team criteria's raw scores, plus a
small inline script (no network, no library) that recomputes, when a weight slider or a team
score changes:

1. team criteria (feasibility, leverage): raw score (the team's, else the neutral 3) → the
   criterion's normalisation (``fixed`` range, clipped; or ``minmax`` over the gaps), exactly
   as :func:`gender_diag.prioritise.methods.normalise_column`;
2. weights rescaled to sum to 1 (:meth:`CriteriaConfig.weights`);
3. the weighted sum :math:`S_i = \\sum_j w_j z_{ij}`;
4. ranks with the tie rule of :func:`gender_diag.prioritise.methods.rank_scores` (scores within
   the tie tolerance of the next higher one share its rank);
5. one priority per concept (:func:`gender_diag.prioritise.concepts.concept_priorities`).

The other criteria are embedded already normalised (their min–max ranges span every ranked gap
and do not depend on the weights). Gaps suppressed by disclosure control are not embedded; they
are never shown, and leaving them out does not change the order of the others.

The download button writes a CSV with one row per gap: ``gap_id, feasibility, leverage``, the
indicator and place for the team's reference, and one ``weight_<criterion>`` column per
criterion — read back by ``gender-diag rank --team-scores FILE.csv``
(:func:`gender_diag.prioritise.criteria.read_team_scores` and ``read_team_weights``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from markupsafe import Markup

from gender_diag.report.i18n import Texts
from gender_diag.report.tables import Published, label_map

#: Concepts with team-score inputs on the workshop page.
WORKSHOP_ROWS = 25


def _float(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def workshop_data(pub: Published, texts: Texts) -> dict[str, Any] | None:
    """The JSON payload of the workshop page, or None without a weighted-sum ranking."""
    crit = pub.criteria
    rk = pub.ranking
    if not crit or rk.empty or crit.get("method") != "weighted_sum":
        return None
    rk = rk[~rk["suppressed"].fillna(False).astype(bool)] if "suppressed" in rk else rk
    names = [c["name"] for c in crit["criteria"]]
    if not all(f"norm_{n}" in rk.columns for n in names):
        return None
    labels = label_map(pub, texts.lang)
    from gender_diag.prioritise.concepts import concept_map
    from gender_diag.report.summary import place_text

    concepts = concept_map(pub.labels)
    gaps = []
    for r in rk.sort_values(["rank", "gap_id"], kind="mergesort").to_dict("records"):
        ind = str(r["indicator"])
        gaps.append(
            {
                "id": str(r["gap_id"]),
                "concept": concepts.get(ind, ind),
                "label": labels.get(ind, ind),
                "place": place_text(r["by"], r.get("by_value"), pub, texts),
                "z": [_float(r.get(f"norm_{n}")) for n in names],
                "raw": [
                    _float(r.get(f"crit_{n}")) if c["team"] else None
                    for n, c in zip(names, crit["criteria"], strict=True)
                ],  # fmt: skip
                "scored": bool(r.get("team_scored", False)),
            }
        )
    return {
        "criteria": [
            {
                "name": c["name"],
                "label": c["labels"].get(texts.lang, c["name"]),
                "weight": c["weight"],
                "team": bool(c["team"]),
                "normalisation": c["normalisation"],
                "range": c["range"],
            }
            for c in crit["criteria"]
        ],
        "neutral": crit["neutral"],
        "tol": crit["tol"],
        "rows": WORKSHOP_ROWS,
        "gaps": gaps,
    }


_JS = r"""
(function () {
  "use strict";
  var root = document.getElementById("workshop-app");
  if (!root) return;
  var D = JSON.parse(document.getElementById("workshop-data").textContent);
  var C = D.criteria, G = D.gaps, K = C.length;
  var team = {};           // concept -> {feasibility: x, leverage: y}
  var sliders = [];
  function normalise(x, c) {
    // gender_diag.prioritise.methods.normalise_column (NaN -> 0 as in ranking._normalise)
    var out = new Array(x.length), i;
    if (c.normalisation === "fixed") {
      for (i = 0; i < x.length; i++) {
        var v = (x[i] - c.range[0]) / (c.range[1] - c.range[0]);
        out[i] = v < 0 ? 0 : (v > 1 ? 1 : v);
      }
      return out;
    }
    var lo = Infinity, hi = -Infinity;
    for (i = 0; i < x.length; i++) { if (x[i] < lo) lo = x[i]; if (x[i] > hi) hi = x[i]; }
    var flat = hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi));
    for (i = 0; i < x.length; i++) out[i] = flat ? 0.5 : (x[i] - lo) / (hi - lo);
    return out;
  }
  function weights() {
    var w = sliders.map(function (s) { return parseFloat(s.value); }), t = 0, j;
    for (j = 0; j < K; j++) t += w[j];
    return w.map(function (v) { return t > 0 ? v / t : 1 / K; });
  }
  function teamValue(g, j) {
    var name = C[j].name, s = team[g.concept];
    if (s && s[name] !== undefined && s[name] !== "") return parseFloat(s[name]);
    return g.scored && g.raw[j] !== null ? g.raw[j] : D.neutral;
  }
  function rank() {
    var w = weights(), n = G.length, i, j, z = [];
    for (j = 0; j < K; j++) {
      var col;
      if (C[j].team) col = normalise(G.map(function (g) { return teamValue(g, j); }), C[j]);
      else col = G.map(function (g) { return g.z[j] === null ? 0 : g.z[j]; });
      z.push(col);
    }
    var s = new Array(n);
    for (i = 0; i < n; i++) { var t = 0; for (j = 0; j < K; j++) t += w[j] * z[j][i]; s[i] = t; }
    var order = G.map(function (_, k) { return k; });
    order.sort(function (a, b) { return s[b] - s[a] || (G[a].id < G[b].id ? -1 : 1); });
    var r = new Array(n), start = 1;
    for (i = 0; i < n; i++) {   // methods.rank_scores: ties share the best rank
      if (i > 0 && !(s[order[i - 1]] - s[order[i]] <= D.tol)) start = i + 1;
      r[order[i]] = start;
    }
    order.sort(function (a, b) { return r[a] - r[b] || (G[a].id < G[b].id ? -1 : 1); });
    var seen = {}, reps = [];  // concepts.concept_priorities: best-ranked gap per concept
    for (i = 0; i < n; i++) {
      var g = G[order[i]];
      if (!seen[g.concept]) { seen[g.concept] = 1; reps.push({g: g, rank: r[order[i]], score: s[order[i]]}); }
    }
    for (i = 0; i < reps.length; i++) {
      reps[i].priority = i > 0 && reps[i].rank === reps[i - 1].rank ? reps[i - 1].priority : i + 1;
    }
    return {reps: reps, w: w};
  }
  function fmt(x) { return x.toFixed(3).replace(".", root.dataset.decimal); }
  function render() {
    var res = rank(), body = root.querySelector("tbody"), html = [];
    res.reps.slice(0, D.rows).forEach(function (p) {
      var s = team[p.g.concept] || {};
      html.push("<tr data-concept=\"" + p.g.concept + "\" data-gap=\"" + p.g.id + "\"><td class=\"num\">" +
        p.priority + "</td><td>" + esc(p.g.label) + "</td><td>" + esc(p.g.place) + "</td><td class=\"num\">" +
        fmt(p.score) + "</td>" + C.map(function (c, j) {
          if (!c.team) return "";
          var v = s[c.name] !== undefined ? s[c.name] : "";
          return "<td><input type=\"number\" min=\"1\" max=\"5\" step=\"1\" data-crit=\"" + c.name +
            "\" value=\"" + v + "\" aria-label=\"" + esc(c.label) + "\"></td>";
        }).join("") + "</tr>");
    });
    body.innerHTML = html.join("");
    root.querySelectorAll("output[data-w]").forEach(function (o, j) {
      o.textContent = Math.round(100 * res.w[j]) + " %";
    });
    root.dataset.order = res.reps.map(function (p) { return p.g.concept; }).join(" ");
    root.dataset.priorities = res.reps.map(function (p) { return p.priority; }).join(" ");
  }
  function esc(t) {
    return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
  }
  function csv() {
    var head = ["gap_id", "indicator", "place", "feasibility", "leverage"];
    var w = weights();
    C.forEach(function (c) { head.push("weight_" + c.name); });
    var lines = [head.join(",")];
    G.forEach(function (g) {
      var s = team[g.concept] || {};
      var row = [g.id, g.label, g.place, s.feasibility || "", s.leverage || ""];
      w.forEach(function (v) { row.push(String(v)); });
      lines.push(row.map(function (v) {
        v = String(v); return /[",\n]/.test(v) ? "\"" + v.replace(/"/g, "\"\"") + "\"" : v;
      }).join(","));
    });
    return lines.join("\n") + "\n";
  }
  root.querySelectorAll("input[type=range]").forEach(function (s) {
    sliders.push(s); s.addEventListener("input", render);
  });
  root.addEventListener("change", function (e) {
    var t = e.target;
    if (t.dataset && t.dataset.crit) {
      var tr = t.closest("tr"), c = tr.dataset.concept;
      team[c] = team[c] || {};
      var v = t.value === "" ? "" : Math.max(1, Math.min(5, Math.round(parseFloat(t.value))));
      team[c][t.dataset.crit] = v;
      render();
    }
  });
  root.querySelector("button.reset").addEventListener("click", function () {
    sliders.forEach(function (s, j) { s.value = C[j].weight; }); render();
  });
  root.querySelector("button.download").addEventListener("click", function () {
    var a = document.createElement("a");
    a.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv());
    a.download = "team_scores.csv";
    document.body.appendChild(a); a.click(); a.remove();
  });
  window.genderDiagWorkshop = {rank: rank, csv: csv, render: render, team: team};
  render();
})();
"""


def workshop_script() -> Markup:
    """The inline script (trusted constant)."""
    return Markup(_JS)


def workshop_json(data: dict[str, Any]) -> Markup:
    """The data block, safe inside ``<script type="application/json">``."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
    # "<" only occurs inside JSON strings: escaping it keeps "</script>" (or "<!--") from
    # closing the script element early
    return Markup(text.replace("<", "\\u003c"))
