"""What the duplicates and track commands do, as library functions (tests call them directly)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from nlp.config import Settings
from nlp.duplicates import Thresholds, check_new, find_pairs, group_pairs
from nlp.io import read_json, write_json

DUPLICATES_VERSION = "6"  # bump when the duplicate or tracking rules change: old outputs become stale


def index_encoder(settings: Settings):
    """The encoder that built the search index (the configured one when there is no index yet)."""
    from nlp.encoder import resolve_encoder
    from nlp.index import read_index_meta

    meta = read_index_meta(settings.index_dir)
    return resolve_encoder(settings, (meta or {}).get("model_name"))


def records_and_vectors(settings: Settings, recs: list) -> tuple[list[dict], np.ndarray]:
    """Records as dicts with their embeddings (from the embedding cache when indexed)."""
    from nlp.index import index_text

    return [r.to_dict() for r in recs], index_encoder(settings).encode_passages([index_text(r) for r in recs])


def corpus_and_vectors(settings: Settings, corpus: Path | None = None) -> tuple[list[dict], np.ndarray]:
    """Records of the corpus with their embeddings (from the index; encoded if the corpus differs)."""
    from nlp.corpus import read_corpus

    return records_and_vectors(settings, read_corpus(corpus or settings.corpus))


def run_duplicates(settings: Settings, corpus: Path | None = None, th: Thresholds | None = None) -> dict[str, Any]:
    return duplicate_report(*corpus_and_vectors(settings, corpus), th)


def duplicate_report(records: list[dict], vectors: np.ndarray, th: Thresholds | None = None) -> dict[str, Any]:
    pairs = find_pairs(records, vectors, th)
    groups = group_pairs(records, pairs)
    counts: dict[str, int] = {}
    for g in groups:
        counts[g["kind"]] = counts.get(g["kind"], 0) + 1
    return {"records": len(records), "pairs": len(pairs), "groups": groups, "group_counts": counts,
            "thresholds": (th or Thresholds()).__dict__}


def write_duplicates(settings: Settings) -> tuple[Path, bool]:
    """corpus/duplicates.json for the report; skipped when the corpus did not change."""
    from nlp.corpus import corpus_fingerprint

    out = settings.corpus.with_name("duplicates.json")
    sha = corpus_fingerprint(settings.corpus)
    th = Thresholds().__dict__
    if out.exists():
        old = read_json(out)
        if old.get("corpus_sha256") == sha and old.get("thresholds") == th and old.get("version") == DUPLICATES_VERSION:
            return out, False
    from nlp.track import track

    records, vectors = corpus_and_vectors(settings)  # read and embedded once for both
    res = duplicate_report(records, vectors)
    res["tracking"] = [{"informes": list(t.informes), "summary": t.summary, "timelines": t.timelines}
                       for t in track(records, vectors)]
    res["corpus_sha256"] = sha
    res["version"] = DUPLICATES_VERSION
    res["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(out, res)
    return out, True


def run_check(settings: Settings, rows: list[dict], column: str = "texto") -> list[dict[str, Any]]:
    records, vectors = corpus_and_vectors(settings)
    texts = [str(r.get(column) or "") for r in rows]
    new_vec = index_encoder(settings).encode_passages([t or " " for t in texts])
    found = check_new(records, vectors, texts, new_vec)
    return [{**row, "duplicates": f} for row, f in zip(rows, found)]
