"""Hybrid search: dense (faiss) and lexical (BM25 over lemmas, glossary-expanded), fused by
reciprocal rank fusion (k = 60), with filters on state, status, informe, section and topic."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nlp.errors import InputError
from nlp.index import SearchIndex
from nlp.record import SECTIONS, STATUSES

RRF_K = 60
# weights of the two ranked lists in the fusion (sum of weight / (RRF_K + rank))
# dense 8.0 since the adapter learnt from 482 questions (`python -m nlp.search_eval --sweep 2,4,6,8,12,100` reproduces the
# choice): chosen by leave-one-set-out over the sixteen training
# question sets, states first (dense weight 2 / 4 / 6 / 8 / 12 / 100: states F1 0.699 / 0.708 / 0.7118 /
# 0.7121 / 0.707 / 0.707, hybrid nDCG@10 0.742 / 0.764 / 0.777 / 0.782 / 0.790 / 0.799); it was 4 with 302
# and 392 questions, 2 with 122, and 0.5 when dense search was one pooled cosine. Without an adapter the
# weight barely matters (1 / 2 / 4 / 8: hybrid nDCG@10 0.617 / 0.625 / 0.628 / 0.629 on the same sets)
RRF_WEIGHTS = {"dense": 8.0, "lexical": 1.0}
MAX_QUERY_CHARS = 1000
MODES = ("hybrid", "dense", "lexical")
CANDIDATES = 100  # depth of each ranked list fed to the fusion


@dataclass
class Hit:
    record: dict[str, Any]
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r["id"], "source": r["source"], "line": r["line"], "entidad": r["entidad"],
            "estatus": r["estatus"], "section": r["section"], "informe": r["informe"], "texto": r["texto"],
            "score": round(float(self.score), 6),
            "dense_score": None if self.dense_score is None else round(float(self.dense_score), 6),
            "lexical_score": None if self.lexical_score is None else round(float(self.lexical_score), 6),
            **({"topic": r["topic"]} if "topic" in r else {}),
        }


@dataclass
class Filters:
    entidad: str | None = None
    estatus: str | None = None
    informe: int | None = None
    section: str | None = None
    topic: str | None = None
    _checked: bool = field(default=False, repr=False)

    def validate(self, topics: set[str] | None = None) -> "Filters":
        """Canonical values, or an InputError that suggests the closest valid one."""
        from rapidfuzz import process

        from nlp.loader.grid import normalize_status
        from nlp.loader.states import NACIONAL, STATES, canonical_state, fold

        if self.entidad is not None:
            canon = NACIONAL if fold(self.entidad) == "nacional" else canonical_state(self.entidad)
            if canon is None:
                hit = process.extractOne(fold(self.entidad), [fold(s) for s in STATES + (NACIONAL,)], score_cutoff=50)
                best = (STATES + (NACIONAL,))[hit[2]] if hit else None
                raise InputError(f"unknown state {self.entidad!r}" + (f"; did you mean {best!r}?" if best else ""))
            self.entidad = canon
        if self.estatus is not None:
            canon = normalize_status(self.estatus)
            if canon is None:
                hit = process.extractOne(fold(self.estatus), [fold(s) for s in STATUSES])
                raise InputError(f"unknown status {self.estatus!r}; did you mean {STATUSES[hit[2]]!r}? (valid: {', '.join(STATUSES)})")
            self.estatus = canon
        if self.section is not None and self.section not in SECTIONS:
            hit = process.extractOne(self.section, SECTIONS)
            raise InputError(f"unknown section {self.section!r}; did you mean {hit[0]!r}? (valid: {', '.join(SECTIONS)})")
        if self.topic is not None and topics is not None and self.topic not in topics:
            hit = process.extractOne(self.topic, sorted(topics)) if topics else None
            raise InputError(f"unknown topic {self.topic!r}" + (f"; did you mean {hit[0]!r}?" if hit else "") +
                             ("" if topics else " (no topics: run `acuerdos classify` / `acuerdos build` first)"))
        self._checked = True
        return self

    def mask(self, records: list[dict[str, Any]]) -> np.ndarray | None:
        conds = []
        if self.entidad is not None:
            conds.append(lambda r: r["entidad"] == self.entidad)
        if self.estatus is not None:
            conds.append(lambda r: r["estatus"] == self.estatus)
        if self.informe is not None:
            conds.append(lambda r: r["informe"] == self.informe)
        if self.section is not None:
            conds.append(lambda r: r["section"] == self.section)
        if self.topic is not None:
            conds.append(lambda r: r.get("topic") == self.topic)
        if not conds:
            return None
        return np.fromiter((all(c(r) for c in conds) for r in records), dtype=bool, count=len(records))


def check_query(query: str) -> str:
    q = " ".join((query or "").split())
    if not q:
        raise InputError("empty query: type the words you are looking for")
    if len(q) > MAX_QUERY_CHARS:
        raise InputError(f"query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS} (ask a shorter question)")
    from nlp.text import lemmas

    if not lemmas(q):
        raise InputError(f"query {q!r} has only stop words; add the words that matter (e.g. 'custodia CRyT')")
    return q


# words of the question itself, not of the answer ("¿Qué entidades acordaron …?")
QUESTION_WORDS = frozenset({"entidad", "estado", "acordar", "acuerdo", "hubo", "haber", "donde", "quien", "cual",
                            "cuales", "existir", "realizar", "llevar", "cabo", "hacer", "tener"})


EXPANSION_WEIGHT = 1.0  # weight of expansion terms relative to the words the analyst typed (1.0 measured best)
# weight of the generic thesaurus tier in BM25: 0.5 measured better than 1.0 on the judged questions (hybrid
# nDCG@10 0.790 vs 0.781, states F1 0.754 vs 0.723) and about even on the blind ones (0.522 vs 0.528,
# 0.548 vs 0.557); measured before the dense query stopped taking generic terms (README, Search)
GENERIC_EXPANSION_WEIGHT = 0.5


def lexical_query_tokens(query: str, glossary_path: str | None) -> tuple[list[str], list[str]]:
    """(lemmas of the query without question words, lemmas of its glossary/thesaurus expansions)."""
    from nlp.glossary import expand_query
    from nlp.text import lemmas, term_lemmas
    from nlp.thesaurus import expansions

    own = list(dict.fromkeys(t for t in lemmas(query) if t not in QUESTION_WORDS)) or lemmas(query)
    terms = [expand_query(query, glossary_path)[len(query):].strip(), *expansions(query)]
    expanded = [t for term in terms if term for t in term_lemmas(term)]  # lemmas cached per term
    extra = [t for t in dict.fromkeys(expanded) if t not in QUESTION_WORDS and t not in own]
    return own, extra


def generic_query_tokens(query: str, known: list[str]) -> list[str]:
    """Lemmas of the generic thesaurus tier's expansions that the query and its core expansions lack."""
    from nlp.text import term_lemmas
    from nlp.thesaurus import expansions

    seen = set(known)
    return [t for t in dict.fromkeys(t for term in expansions(query, "generic") for t in term_lemmas(term))
            if t not in QUESTION_WORDS and t not in seen]


DENSE_EXPANSION_WORDS = 6  # measured: 6 words gave the best hybrid nDCG@10 (0.784 vs 0.761 with none, 0.761 with all) at ~5 ms


def dense_query_text(query: str, glossary_path: str | None) -> str:
    """The query with its glossary/thesaurus terms in parentheses: the small encoder does not know
    every acronym or regional word ('rondines', 'CRyT'); measured +0.04 nDCG@10 for dense search."""
    from nlp.glossary import expand_query
    from nlp.thesaurus import expansions

    extra = [t.strip() for t in [expand_query(query, glossary_path)[len(query):]] + expansions(query) if t.strip()]
    words = " ".join(extra).split()[:DENSE_EXPANSION_WORDS]  # each word costs encoding time
    return f"{query} ({' '.join(words)})" if words else query


def query_token_vectors(encoder, query: str, glossary_path: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(pooled vector, token vectors of the content words) of the dense query, from one forward pass."""
    from nlp.late import query_rows

    text = dense_query_text(query, glossary_path)
    q, spans, tokens = encoder.query_with_tokens(text)
    return q, tokens[query_rows(text, spans, QUESTION_WORDS)]


class Searcher:
    """A loaded index plus the encoder that built it (and the query adapter, if any): answers queries."""

    def __init__(self, index: SearchIndex, encoder, glossary_path: str | None = None, adapter=None):
        self.index = index
        self.encoder = encoder
        self.glossary_path = glossary_path
        self.adapter = adapter
        self._tokens = None

    def token_matrix(self):
        """The index's token vectors, prepared once for rescoring (nlp.late.token_matrix)."""
        from nlp.late import token_matrix

        if self._tokens is None:
            self._tokens = token_matrix(self.index.tokens, self.encoder.bfloat16_queries())
        return self._tokens

    # ranked lists -------------------------------------------------------------------------
    def dense_scores(self, query: str, mask: np.ndarray | None, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """(indices, scores) of the best `depth` records, restricted to the mask: by pooled cosine,
        then rescored by late interaction (nlp.late) when the index holds token vectors."""
        from nlp.late import RESCORE_DEPTH, maxsim

        late = getattr(self.index, "tokens", None) is not None
        if late:
            q, q_tokens = query_token_vectors(self.encoder, query, self.glossary_path)
            if self.adapter is not None:
                q_tokens = self.adapter.transform(q_tokens)
        else:
            q = self.encoder.encode_queries([dense_query_text(query, self.glossary_path)])[0]
        idx, scores = self._cosine_scores(q.astype(np.float32), mask, max(depth, RESCORE_DEPTH) if late else depth)
        if late and idx.size:
            scores = maxsim(q_tokens, self.token_matrix(), self.index.token_offsets, idx)
            order = np.argsort(-scores, kind="stable")[:depth]
            idx, scores = idx[order], scores[order]
        return idx, scores

    def _cosine_scores(self, q: np.ndarray, mask: np.ndarray | None, depth: int) -> tuple[np.ndarray, np.ndarray]:
        n = self.index.n
        if mask is None and depth < n:
            scores, idx = self.index.dense.search(q[None, :], depth)
            keep = idx[0] >= 0
            return idx[0][keep], scores[0][keep]
        allowed = np.arange(n) if mask is None else np.flatnonzero(mask)
        if allowed.size == 0:
            return allowed, np.zeros(0, dtype=np.float32)
        sims = self.index.vectors()[allowed] @ q
        order = np.argsort(-sims, kind="stable")[:depth]
        return allowed[order], sims[order]

    def lexical_scores(self, query: str, mask: np.ndarray | None, depth: int) -> tuple[np.ndarray, np.ndarray]:
        own, extra = lexical_query_tokens(query, self.glossary_path)
        generic = generic_query_tokens(query, own + extra)
        bm25 = self.index.lexical
        weighted = [(ids, w) for ids, w in ((bm25.get_tokens_ids(own), 1.0), (bm25.get_tokens_ids(extra), EXPANSION_WEIGHT),
                                             (bm25.get_tokens_ids(generic), GENERIC_EXPANSION_WEIGHT)) if ids]
        if not weighted:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=np.float32)
        scores = np.zeros(self.index.n, dtype=np.float32)
        for ids, w in weighted:
            scores += w * bm25.get_scores_from_ids(ids)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        order = positive[np.argsort(-scores[positive], kind="stable")][:depth]
        return order, scores[order]

    # public ---------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None,
               depth: int = CANDIDATES) -> list[Hit]:
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        if k < 1:
            raise InputError("k must be at least 1")
        query = check_query(query)
        mask = filters.mask(self.index.records) if filters else None
        depth = max(depth, k)
        d_idx = d_sc = l_idx = l_sc = None
        if mode in ("hybrid", "dense"):
            d_idx, d_sc = self.dense_scores(query, mask, depth)
        if mode in ("hybrid", "lexical"):
            l_idx, l_sc = self.lexical_scores(query, mask, depth)
        fused: dict[int, Hit] = {}

        def add(idx, sc, which):
            for rank, (i, s) in enumerate(zip(idx.tolist(), sc.tolist()), 1):
                h = fused.get(i)
                if h is None:
                    h = fused[i] = Hit(record=self.index.records[i], score=0.0)
                setattr(h, f"{which}_score", s)
                setattr(h, f"{which}_rank", rank)
                h.score += RRF_WEIGHTS[which] / (RRF_K + rank) if mode == "hybrid" else s

        if d_idx is not None:
            add(d_idx, d_sc, "dense")
        if l_idx is not None:
            add(l_idx, l_sc, "lexical")
        hits = sorted(fused.values(), key=lambda h: (-h.score, h.record["source"], h.record["line"]))
        return hits[:k]
