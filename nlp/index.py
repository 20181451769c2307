"""The search index: a faiss inner-product index of the record embeddings and a BM25 index of
their spaCy lemmas, persisted side by side with the record metadata and what built them."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from nlp import __version__
from nlp.errors import StaleArtefactError
from nlp.io import read_json, write_folder, write_json
from nlp.late import LATE_MAX_RECORDS, pack
from nlp.record import Record

INDEX_VERSION = "2"  # 2: token vectors for late interaction
LEXICAL_VERSION = "spacy-es-lookup-lemmas-1"
# Up to this many records the dense index is exact (IndexFlatIP); above it, HNSW. Measured by
# `python benchmarks/bench_search.py` on this 2-core machine: at 100,000 records exact search keeps
# hybrid queries at ~40 ms p50 (query encoding included), well under the 100 ms goal, while HNSW
# saved only ~10 ms and missed results (recall@10 0.85 against exact on the synthetic corpus).
# Exact search is therefore kept up to 200,000 records; HNSW above that, with a high efSearch.
EXACT_MAX = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256

META_FIELDS = ("id", "source", "informe", "section", "line", "entidad", "entidad_printed", "estatus", "texto", "flags")


def index_text(rec: Record) -> str:
    """What gets embedded and tokenised for a record: its text (visits add their objective)."""
    objective = rec.extra.get("objetivo") if rec.section == "visita" else None
    return f"{rec.texto} {objective}".strip() if objective else rec.texto


@dataclass
class SearchIndex:
    meta: dict[str, Any]
    records: list[dict[str, Any]]
    dense: Any  # faiss index
    lexical: Any  # bm25s.BM25
    path: Path | None = None
    tokens: np.ndarray | None = None  # float16 token vectors of every record, stacked (nlp.late)
    token_offsets: np.ndarray | None = None  # record i owns tokens[token_offsets[i]:token_offsets[i + 1]]
    _vectors: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.records)

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = self.dense.reconstruct_n(0, self.dense.ntotal)
        return self._vectors


def make_dense(vectors: np.ndarray, kind: str = "auto"):
    import faiss

    n, dim = vectors.shape
    if kind == "auto":
        kind = "flat" if n <= EXACT_MAX else "hnsw"
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def make_lexical(token_lists: list[list[str]]):
    import bm25s

    retriever = bm25s.BM25()
    # bm25s needs at least one token per document to build its vocabulary
    retriever.index([toks or ["∅"] for toks in token_lists], show_progress=False)
    return retriever


def build_index(records: list[Record], corpus_sha256: str, encoder, out_dir: Path, *, kind: str = "auto",
                progress=None) -> dict[str, Any]:
    """Encode (cache-aware) and index every record; write the folder atomically; return its meta."""
    import faiss

    from nlp.text import lemmas_many

    texts = [index_text(r) for r in records]
    t0 = time.perf_counter()
    vectors = encoder.encode_passages(texts, show_progress=progress is not None)
    t_encode = time.perf_counter() - t0
    dense, kind = make_dense(vectors, kind)
    late = len(records) <= LATE_MAX_RECORDS
    if late:
        tok_vectors, tok_offsets = pack((v for _, v in encoder.token_vectors(texts, "passage")), vectors.shape[1])
    t_tokens = time.perf_counter() - t0 - t_encode
    tokens = lemmas_many(texts)
    lexical = make_lexical(tokens)
    t_build = time.perf_counter() - t0 - t_encode - t_tokens
    meta = {
        "kind": "acuerdos-search-index",
        "index_version": INDEX_VERSION,
        "acuerdos_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "corpus_sha256": corpus_sha256,
        "records": len(records),
        "model_name": encoder.name,
        "model_fingerprint": encoder.fingerprint,
        "dim": int(vectors.shape[1]),
        "dense_index": kind,
        "hnsw": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH} if kind == "hnsw" else None,
        "lexical": LEXICAL_VERSION,
        "late_interaction": {"token_vectors": int(tok_offsets[-1])} if late else None,
        "encoded_now": int(getattr(encoder, "last_encoded", len(texts))),
        "seconds": {"encode": round(t_encode, 3), "token_vectors": round(t_tokens, 3), "index": round(t_build, 3)},
        "versions": _versions(),
    }

    def fill(tmp: Path) -> None:
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        lexical.save(str(tmp / "bm25"), show_progress=False)
        if late:
            np.save(tmp / "tokens.npy", tok_vectors)
            np.save(tmp / "token_offsets.npy", tok_offsets)
        with open(tmp / "records.jsonl", "w", encoding="utf-8") as fh:
            for r in records:
                d = r.to_dict()
                fh.write(json.dumps({k: d[k] for k in META_FIELDS}, ensure_ascii=False) + "\n")
        write_json(tmp / "meta.json", meta)

    write_folder(out_dir, fill)
    return meta


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("faiss-cpu", "bm25s", "sentence-transformers", "spacy", "spacy-lookups-data"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "?"
    return out


HINT = "run `acuerdos index` (or `acuerdos build`)"


def read_index_meta(path: Path) -> dict[str, Any] | None:
    f = Path(path) / "meta.json"
    try:
        return read_json(f) if f.exists() else None
    except (OSError, ValueError):
        return None


def load_index(path: Path, *, corpus_sha256: str | None = None, model_fingerprint: str | None = None,
               model_name: str | None = None) -> SearchIndex:
    """Load and validate an index; every failure is a one-line StaleArtefactError with a hint."""
    import faiss

    path = Path(path)
    meta_file = path / "meta.json"
    if not meta_file.exists():
        raise StaleArtefactError(f"no search index at {path}", hint=HINT)
    try:
        meta = read_json(meta_file)
        if meta.get("kind") != "acuerdos-search-index":
            raise ValueError("not an acuerdos index")
    except (OSError, ValueError) as exc:
        raise StaleArtefactError(f"search index {meta_file} is corrupted ({exc})", hint=HINT) from None
    if meta.get("index_version") != INDEX_VERSION:
        raise StaleArtefactError(f"search index at {path} was built by another version of acuerdos", hint=HINT)
    if corpus_sha256 is not None and meta.get("corpus_sha256") != corpus_sha256:
        raise StaleArtefactError(f"search index at {path} is stale: the corpus changed since it was built", hint=HINT)
    if model_fingerprint is not None and meta.get("model_fingerprint") != model_fingerprint:
        raise StaleArtefactError(
            f"search index at {path} was built with encoder {meta.get('model_name')!r}, not {model_name or model_fingerprint!r}",
            hint=f"query with --model {meta.get('model_name')} or rebuild: acuerdos index --model {model_name or '...'}",
        )
    try:
        dense = faiss.read_index(str(path / "dense.faiss"))
        import bm25s

        lexical = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
        with open(path / "records.jsonl", encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        tokens = offsets = None
        if meta.get("late_interaction"):
            tokens = np.load(path / "tokens.npy", allow_pickle=False)
            offsets = np.load(path / "token_offsets.npy", allow_pickle=False)
            if len(offsets) != len(records) + 1 or offsets[-1] != len(tokens) or tokens.shape[1:] != (meta.get("dim"),):
                raise ValueError("token vectors disagree with the records")
    except Exception as exc:  # noqa: BLE001 - any unreadable part means a corrupted index
        raise StaleArtefactError(f"search index at {path} is corrupted ({type(exc).__name__})", hint=HINT) from None
    if not (dense.ntotal == len(records) == meta.get("records")):
        raise StaleArtefactError(f"search index at {path} is corrupted (record counts disagree)", hint=HINT)
    if hasattr(dense, "hnsw"):
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    return SearchIndex(meta=meta, records=records, dense=dense, lexical=lexical, path=path, tokens=tokens,
                       token_offsets=offsets)
