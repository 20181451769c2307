"""Late interaction (ColBERT-style MaxSim) over the encoder's own token vectors: each content word of
the query is matched with its most similar token of the acuerdo and the similarities are averaged.

One pooled vector per acuerdo blurs a specific concept ("custodia del CRyT") into the rest of the
sentence; matching word by word keeps it. Same e5 model, no extra training. Measured on the judged
questions, dense nDCG@10 0.632 -> 0.777, hybrid 0.796 -> 0.810, and better on all four other judged
sets (README, Search). Token vectors take 768 bytes per token on disk (float16; 12 MB for the
corpus), so they are stored for corpora up to LATE_MAX_RECORDS; larger indexes rank by the pooled
cosine alone."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

LATE_MAX_RECORDS = 20_000
# the pooled-cosine candidates that MaxSim rescores (all of them on the corpus)
RESCORE_DEPTH = 300


def pack(token_lists: Iterable[np.ndarray], dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(all token vectors stacked as float16, start offset of each record's rows + the total)."""
    lists = list(token_lists)
    lengths = np.fromiter((len(t) for t in lists), dtype=np.int64, count=len(lists))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    vectors = np.concatenate(lists).astype(np.float16) if lists and offsets[-1] else np.zeros((0, dim), np.float16)
    return vectors, offsets


def query_rows(text: str, spans: list[tuple[int, int]], skip_lemmas: frozenset[str] | set[str]) -> list[int]:
    """Rows of the query's token vectors that belong to content words: not punctuation, not a stop
    word, not a word of the question itself ('¿En qué estados se acordó …'). All rows if none."""
    from nlp.text import fold, is_content_token, spacy_es

    words = [(tok.idx, tok.idx + len(tok.text)) for tok in spacy_es()(text)
             if is_content_token(tok) and fold(tok.lemma_ or tok.text) not in skip_lemmas]
    rows = [i for i, (a, b) in enumerate(spans) if any(a < y and b > x for x, y in words)]
    return rows or list(range(len(spans)))


def token_matrix(vectors: np.ndarray, bfloat16: bool):
    """The stored token vectors as a torch tensor, cast once to bfloat16 when the CPU computes it
    natively: the rescoring product reads every candidate token, so it is bound by memory, and
    bfloat16 ran it ~7x faster than float32 here (0.66 vs 4.8 ms for the corpus, 15,271 tokens;
    largest score change 0.0014). Otherwise the float16 array is kept and rows are cast per query."""
    import torch

    matrix = torch.from_numpy(vectors)
    return matrix.to(torch.bfloat16) if bfloat16 else matrix


def maxsim(query_vectors: np.ndarray, vectors, offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean over query tokens of the best cosine with any token of each record in `rows`.
    `vectors`: the stored array or its token_matrix()."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0 or len(query_vectors) == 0:
        return np.zeros(rows.size, dtype=np.float32)
    starts, ends = offsets[rows], offsets[rows + 1]
    scores = np.zeros(rows.size, dtype=np.float32)
    full = np.flatnonzero(ends > starts)  # a record without tokens scores 0
    if full.size == 0:
        return scores
    starts, lengths = starts[full], (ends - starts)[full]
    seg = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # where each record's tokens start in `take`
    take = np.repeat(starts - seg, lengths) + np.arange(lengths.sum())
    sims = _token_sims(vectors, take, query_vectors)  # (record tokens, query tokens)
    scores[full] = np.maximum.reduceat(sims, seg, axis=0).mean(axis=1)
    return scores


def _token_sims(vectors, take: np.ndarray, query_vectors: np.ndarray) -> np.ndarray:
    """vectors[take] @ query_vectors.T in torch, on the encoder's thread pool: numpy's BLAS threads
    keep spinning after a call and slowed the next query's forward pass ~3x on this 2-core machine,
    and the gather + float16 -> float32 cast is ~4x faster in torch (measured)."""
    import torch

    with torch.inference_mode():
        matrix = vectors if isinstance(vectors, torch.Tensor) else torch.from_numpy(vectors)
        rows = matrix.index_select(0, torch.from_numpy(take))
        q = torch.from_numpy(np.ascontiguousarray(query_vectors, dtype=np.float32))
        if rows.dtype == torch.bfloat16:
            return (rows @ q.to(torch.bfloat16).T).float().numpy()
        return (rows.float() @ q.T).numpy()
