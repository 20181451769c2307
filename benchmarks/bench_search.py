"""Search benchmark: encode throughput, index build time, query latency p50/p95 per mode on the
corpus and on a synthetic 100,000-record corpus, against numpy brute force, plain BM25 (rank-bm25)
and, on the corpus, search without late interaction and search with a float32 query path, measured
in the same run.

    python benchmarks/bench_search.py [--n 100000]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from common import QUERIES, latencies, real_corpus, settings, timed


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args(argv)
    from nlp.encoder import resolve_encoder
    from nlp.index import make_dense, make_lexical
    from nlp.pipeline import open_searcher
    from nlp.search import Searcher
    from nlp.text import lemmas_many
    from synth import synthetic_corpus

    out: dict = {}
    records, vectors = real_corpus()
    s = settings()
    enc = resolve_encoder(s)
    texts = [r["texto"] for r in records]
    # encode throughput without the cache: a fresh encoder object with no cache folder
    from nlp.encoder import Encoder

    raw = Encoder(enc.name, enc.path, enc.fingerprint, cache_dir=None)
    raw.encode_passages(texts[:8])
    t, _ = timed(raw.encode_passages, texts)
    out["encode"] = {"records": len(texts), "seconds": round(t, 2), "records_per_s": round(len(texts) / t, 1)}

    # the corpus: latency per mode, query encoding included
    searcher = open_searcher(s)
    qs = QUERIES * 3
    out["corpus"] = {m: latencies(lambda q, m=m: searcher.search(q, k=10, mode=m), qs) for m in ("dense", "lexical", "hybrid")}
    # baseline in the same run: the same index without token vectors ranks by pooled cosine alone
    import dataclasses

    pooled = Searcher(dataclasses.replace(searcher.index, tokens=None, token_offsets=None), searcher.encoder,
                      searcher.glossary_path)
    out["corpus"]["hybrid_pooled_cosine_only"] = latencies(lambda q: pooled.search(q, k=10), qs)
    # baseline in the same run: the query path in float32 (the default uses bfloat16 where the CPU has it)
    exact = Searcher(searcher.index, searcher.encoder.at_precision("float32"), searcher.glossary_path,
                     searcher.adapter)
    out["corpus"]["hybrid_float32"] = latencies(lambda q: exact.search(q, k=10), qs)
    out["corpus"]["query_precision"] = "bfloat16" if searcher.encoder.bfloat16_queries() else "float32"
    V = searcher.index.vectors()
    qv = [searcher.encoder.encode_queries([q])[0] for q in QUERIES]
    out["corpus"]["numpy_bruteforce_dense_only"] = latencies(lambda q: np.argsort(-(V @ q))[:10], qv)

    # synthetic 100k: texts spliced from the corpus, vectors around their sources (see synth.py)
    big, bigv, _ = synthetic_corpus(records, vectors, args.n, dup_rate=0.05)
    big_texts = [r["texto"] for r in big]
    t_tok, toks = timed(lemmas_many, big_texts)
    t_flat, (flat, _) = timed(make_dense, bigv, "flat")
    t_hnsw, (hnsw, _) = timed(make_dense, bigv, "hnsw")
    t_bm25, bm25 = timed(make_lexical, toks)
    out["synthetic"] = {"records": len(big), "build_seconds": {
        "spacy_lemmas": round(t_tok, 1), "faiss_flat": round(t_flat, 2), "faiss_hnsw": round(t_hnsw, 1),
        "bm25s": round(t_bm25, 1)}}

    class FakeIndex:  # a SearchIndex without files
        def __init__(self, dense):
            self.dense, self.lexical, self.records = dense, bm25, big
            self.n = len(big)
            self._v = bigv

        def vectors(self):
            return self._v

    for name, dense in (("flat", flat), ("hnsw", hnsw)):
        sr = Searcher(FakeIndex(dense), searcher.encoder, searcher.glossary_path)
        out["synthetic"][name] = {m: latencies(lambda q, m=m, sr=sr: sr.search(q, k=10, mode=m), qs)
                                  for m in ("dense", "hybrid")}
    out["synthetic"]["lexical_bm25s"] = latencies(lambda q: Searcher(FakeIndex(flat), searcher.encoder, searcher.glossary_path).search(q, k=10, mode="lexical"), qs)
    # recall of HNSW against exact
    qmat = np.stack(qv).astype(np.float32)
    _, exact = flat.search(qmat, 10)
    _, approx = hnsw.search(qmat, 10)
    out["synthetic"]["hnsw_recall@10_vs_exact"] = float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)]))
    out["synthetic"]["numpy_bruteforce_dense_only"] = latencies(lambda q: np.argpartition(-(bigv @ q), 10)[:10], qv)
    # plain BM25 baseline (rank-bm25, pure Python) on the same tokens
    from rank_bm25 import BM25Okapi

    t_plain, plain = timed(BM25Okapi, [t or ["∅"] for t in toks])
    from nlp.text import lemmas

    qtok = [lemmas(q) for q in QUERIES[:5]]
    out["synthetic"]["plain_bm25_rank_bm25"] = {"build_seconds": round(t_plain, 1),
                                               **latencies(lambda q: np.argsort(-plain.get_scores(q))[:10], qtok, warmup=1)}
    c = out["corpus"]
    sy = out["synthetic"]
    out["ratios"] = {
        "corpus_hybrid_p50_ms": round(c["hybrid"]["p50_ms"], 1),
        "late_interaction_cost_p50_ms": round(c["hybrid"]["p50_ms"] - c["hybrid_pooled_cosine_only"]["p50_ms"], 1),
        "float32_vs_default_hybrid_p50": round(c["hybrid_float32"]["p50_ms"] / max(c["hybrid"]["p50_ms"], 1e-6), 2),
        "synthetic_hnsw_hybrid_p50_ms": round(sy["hnsw"]["hybrid"]["p50_ms"], 1),
        "bm25s_vs_rank_bm25_speedup": round(sy["plain_bm25_rank_bm25"]["p50_ms"] / max(sy["lexical_bm25s"]["p50_ms"], 1e-6), 1),
        "hnsw_vs_flat_dense_speedup": round(sy["flat"]["dense"]["p50_ms"] / max(sy["hnsw"]["dense"]["p50_ms"], 1e-6), 2),
    }
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
