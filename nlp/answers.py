"""State-level answers: which states' acuerdos answer a question, each with its evidence.

A question is searched (hybrid); a retrieved acuerdo counts as an answer when it is close to the
best match in meaning (cosine within DENSE_DELTA of the top hit) and also either shares the key
words of the question (its BM25 score at least LEXICAL_RATIO of the best BM25 score) or is very
close in meaning (within DENSE_STRICT of the top). The cut-offs are calibrated on the hand-judged
questions in tests/data/search_queries.json (see `python -m nlp.evaluate`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlp.search import Filters, Hit, Searcher

# calibrated on tests/data/search_queries.json (python -m nlp.evaluate --calibrate)
DENSE_DELTA = 0.04
DENSE_STRICT = 0.015
LEXICAL_RATIO = 0.35
DEPTH = 60


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
                {k: h.to_dict()[k] for k in ("id", "source", "line", "estatus", "texto", "score")}
                for h in self.acuerdos
            ],
        }


@dataclass
class Cut:
    dense_delta: float = DENSE_DELTA
    dense_strict: float = DENSE_STRICT
    lexical_ratio: float = LEXICAL_RATIO
    depth: int = DEPTH


def relevant_hits(hits: list[Hit], cut: Cut) -> list[Hit]:
    """The hits that pass the relevance cut (hits carry dense and lexical scores)."""
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    lexical = [h.lexical_score for h in hits if h.lexical_score is not None]
    if not dense:
        return []
    top_d = max(dense)
    top_l = max(lexical) if lexical else 0.0
    keep = []
    for h in hits:
        d = h.dense_score if h.dense_score is not None else -1.0
        lex = h.lexical_score or 0.0
        close = d >= top_d - cut.dense_delta
        very_close = d >= top_d - cut.dense_strict
        words = top_l > 0 and lex >= cut.lexical_ratio * top_l
        if close and (words or very_close):
            keep.append(h)
    return keep


def answer_states(searcher: Searcher, question: str, filters: Filters | None = None, cut: Cut | None = None,
                  include_nacional: bool = False) -> list[StateAnswer]:
    cut = cut or Cut()
    hits = searcher.search(question, k=cut.depth, mode="hybrid", filters=filters, depth=max(cut.depth, 100))
    by_state: dict[str, StateAnswer] = {}
    for h in relevant_hits(hits, cut):
        state = h.record.get("entidad")
        if not state or (state == "Nacional" and not include_nacional):
            continue
        ans = by_state.setdefault(state, StateAnswer(entidad=state, score=0.0))
        ans.acuerdos.append(h)
        ans.score += h.score
    return sorted(by_state.values(), key=lambda a: (-a.score, a.entidad))
