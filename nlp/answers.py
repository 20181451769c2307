"""State-level answers: which states' acuerdos answer a question, each with its evidence.

The question is searched (hybrid); each of the top DEPTH acuerdos gets a probability of answering
it from a small logistic model over retrieval signals (gap to the best dense score, BM25 relative to the
best, ranks, share of the question's words it contains). A state answers when one of its acuerdos
passes the threshold. Model and threshold are calibrated on the training question sets (out-of-fold:
each set searched with a query adapter fitted on the others), and separately for a searcher without a
query adapter (another encoder, or a corpus the judged questions do not match), whose dense scores are
spread differently, by
`python -m nlp.search_eval --calibrate --write`, which stores them, with their provenance, in
nlp/data/states_cut.json."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from nlp.search import Filters, Hit, Searcher, lexical_query_tokens

DEPTH = 60
# dense_top (the question's best dense score) and dense_z (the candidate's dense score in standard deviations
# from the candidates' mean) tell a question with a few clear answers from one where many acuerdos score
# alike: leave-one-set-out states F1 0.7121 -> 0.7244 over the sixteen training sets (12 of 16 sets up; the
# blind sets do not confirm it, README)
FEATURES = ("dense_gap", "lexical_ratio", "log_rank", "log_dense_rank", "log_lexical_rank", "word_coverage",
            "has_lexical", "dense_top", "dense_z")


@dataclass
class StateAnswer:
    entidad: str
    score: float
    acuerdos: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entidad": self.entidad,
            "score": round(self.score, 6),
            "acuerdos": [
                {**{k: h.to_dict()[k] for k in ("id", "source", "line", "estatus", "texto")},
                 "score": round(float(getattr(h, "relevance", h.score)), 6)}
                for h in self.acuerdos
            ],
        }


@dataclass(frozen=True)
class Cut:
    coef: tuple[float, ...]
    intercept: float
    threshold: float


def stored_cut() -> dict[str, Any]:
    """nlp/data/states_cut.json: the calibrated model with its provenance (question-file hashes)."""
    return json.loads(resources.files("nlp.data").joinpath("states_cut.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def default_cut(adapted: bool = True) -> Cut:
    """The stored cut for a searcher with a query adapter, or the one calibrated without (`adapted=False`):
    the adapter's cut applied to adapterless lists lost 0.05 states F1 (see states_cut.json)."""
    data = stored_cut()
    if tuple(data["features"]) != FEATURES:
        raise ValueError("nlp/data/states_cut.json was calibrated on other features; recalibrate")
    if not adapted:
        data = data["no_adapter"]
    return Cut(tuple(data["coef"]), float(data["intercept"]), float(data["threshold"]))


def hit_features(query: str, hits: list[Hit], glossary_path: str | None) -> np.ndarray:
    from nlp.text import lemmas

    own, _ = lexical_query_tokens(query, glossary_path)
    own_set = set(own)
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    lexical = [h.lexical_score for h in hits if h.lexical_score]
    top_d = max(dense) if dense else 0.0
    top_l = max(lexical) if lexical else 0.0
    d_all = np.array([h.dense_score if h.dense_score is not None else top_d - 0.2 for h in hits], dtype=float)
    spread = float(d_all.std()) + 1e-6 if len(d_all) else 1.0
    mean_d = float(d_all.mean()) if len(d_all) else 0.0
    rows = []
    for rank, (h, d) in enumerate(zip(hits, d_all.tolist()), 1):
        lex = h.lexical_score or 0.0
        cover = len(own_set & set(lemmas(h.record["texto"]))) / max(1, len(own_set))
        rows.append([top_d - d, lex / top_l if top_l else 0.0, math.log(rank), math.log(h.dense_rank or 200),
                     math.log(h.lexical_rank or 200), cover, float(h.lexical_rank is not None), top_d,
                     (d - mean_d) / spread])
    return np.array(rows, dtype=float).reshape(len(hits), len(FEATURES))


def relevance(features: np.ndarray, cut: Cut) -> np.ndarray:
    z = features @ np.asarray(cut.coef) + cut.intercept
    return 1.0 / (1.0 + np.exp(-z))


def candidate_hits(searcher: Searcher, question: str, filters: Filters | None = None) -> list[Hit]:
    return searcher.search(question, k=DEPTH, mode="hybrid", filters=filters, depth=max(DEPTH, 100))


def answer_states(searcher: Searcher, question: str, filters: Filters | None = None, cut: Cut | None = None,
                  include_nacional: bool = False) -> list[StateAnswer]:
    cut = cut or default_cut(searcher.adapter is not None)
    hits = candidate_hits(searcher, question, filters)
    if not hits:
        return []
    probs = relevance(hit_features(question, hits, searcher.glossary_path), cut)
    by_state: dict[str, StateAnswer] = {}
    for h, p in zip(hits, probs):
        state = h.record.get("entidad")
        if p < cut.threshold or not state or (state == "Nacional" and not include_nacional):
            continue
        h.relevance = float(p)
        ans = by_state.setdefault(state, StateAnswer(entidad=state, score=0.0))
        ans.acuerdos.append(h)
        ans.score = max(ans.score, float(p))
    return sorted(by_state.values(), key=lambda a: (-a.score, -len(a.acuerdos), a.entidad))
