"""recommend stage: action catalogue and the direct / indirect recommendation tables."""

from __future__ import annotations

from gender_diag.recommend.catalogue import ActionCatalogue, load_actions, select_actions
from gender_diag.recommend.tables import evidence_sentences, recommend

__all__ = ["ActionCatalogue", "evidence_sentences", "load_actions", "recommend", "select_actions"]
