"""A query adapter for late-interaction search, learned from the team's hand-judged questions.

Analysts word questions far from the acuerdos ("escolta de boletas" for "acompañamiento de los
vehículos que transportan la documentación"). A linear map of the query's token vectors,
q -> normalise(q + q W), is fitted so that MaxSim ranks each judged question's relevant records first
(listwise softmax loss, graded targets, L2 pull of W toward 0 = no change). Only the query side moves:
the index and the encoder stay as they are. Fitted with torch (already installed with
sentence-transformers) at index time; deterministic for a given seed and inputs."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EPOCHS = 40
LEARNING_RATE = 0.005
L2 = 0.01
TEMPERATURE = 0.05
SEED = 0
MIN_QUESTIONS = 20  # fewer judged questions that match the corpus: no adapter (search works without)


@dataclass
class QueryAdapter:
    weight: np.ndarray  # (dim, dim)

    def transform(self, query_tokens: np.ndarray) -> np.ndarray:
        """normalise(q + qW), in torch: a numpy matmul here left BLAS threads spinning that slowed the
        next query's forward pass (hybrid p50 65 ms instead of ~30 ms on this 2-core machine)."""
        import torch

        with torch.inference_mode():
            q = torch.from_numpy(np.ascontiguousarray(query_tokens, dtype=np.float32))
            q = q + q @ torch.from_numpy(self.weight)
            return torch.nn.functional.normalize(q, dim=1).numpy()


def training_pairs(questions: list[dict[str, Any]], record_ids: list[str]) -> list[tuple[str, dict[int, float]]]:
    """(question, {record row: grade}) for the questions with at least one relevant record in the index."""
    pos = {rid: i for i, rid in enumerate(record_ids)}
    out = []
    for q in questions:
        grades = {pos[d]: float(g) for d, g in q["relevant"].items() if d in pos and g > 0}
        if grades:
            out.append((q["query"], grades))
    return out


def fit(query_tokens: list[np.ndarray], targets: list[dict[int, float]], tokens: np.ndarray, offsets: np.ndarray,
        *, epochs: int = EPOCHS, seed: int = SEED) -> QueryAdapter:
    """Fit W on (query token vectors, graded relevant rows) against the index's token vectors.
    All questions go through in one batch: every query token against every record token, the best
    per record by scatter-max, averaged per question (a few seconds per fit on the corpus)."""
    import torch

    torch.manual_seed(seed)
    n, dim = len(offsets) - 1, tokens.shape[1]
    table = torch.from_numpy(tokens.astype(np.float32)).T.contiguous()  # (dim, record tokens)
    owner = torch.from_numpy(np.repeat(np.arange(n), offsets[1:] - offsets[:-1]))  # record of each token
    q_all = torch.from_numpy(np.concatenate(query_tokens).astype(np.float32))
    rows = torch.from_numpy(np.repeat(np.arange(len(query_tokens)), [len(q) for q in query_tokens]))
    counts = torch.bincount(rows, minlength=len(query_tokens)).float()[:, None]
    target = torch.zeros(len(query_tokens), n)
    for i, grades in enumerate(targets):
        for row, g in grades.items():
            target[i, row] = g
    target /= target.sum(1, keepdim=True)
    index = owner.expand(len(q_all), -1)
    weight = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.Adam([weight], lr=LEARNING_RATE)
    for _ in range(epochs):
        opt.zero_grad()
        q = q_all + q_all @ weight
        q = q / q.norm(dim=1, keepdim=True)
        best = torch.full((len(q), n), -1.0).scatter_reduce(1, index, q @ table, "amax", include_self=False)
        scores = torch.zeros(len(query_tokens), n).index_add(0, rows, best) / counts
        loss = -(target * torch.log_softmax(scores / TEMPERATURE, 1)).sum(1).mean()
        (loss + L2 * (weight ** 2).sum()).backward()
        opt.step()
    return QueryAdapter(weight.detach().numpy().copy())


# -- the artefact: models/adapter/{adapter.npy, meta.json}, tied to the index and the questions -------------
ADAPTER_VERSION = "1"
HINT = "run `acuerdos index` (or `acuerdos build`)"


def inputs(index_meta: dict[str, Any], question_files: tuple[Path, ...], glossary: Path | None) -> dict[str, Any]:
    """What an adapter was fitted from; any change makes it stale."""
    from nlp.io import sha256_file

    return {
        "adapter_version": ADAPTER_VERSION,
        "corpus_sha256": index_meta.get("corpus_sha256"),
        "model_fingerprint": index_meta.get("model_fingerprint"),
        "index_version": index_meta.get("index_version"),
        "questions": {p.name: sha256_file(p) for p in question_files if p.exists()},
        "glossary_sha256": sha256_file(glossary) if glossary and Path(glossary).exists() else None,
    }


def fit_searcher(searcher, questions: list[dict[str, Any]], epochs: int = EPOCHS) -> tuple[QueryAdapter | None, int]:
    """Fit on the questions that have relevant records in the searcher's index; (None, n) when fewer
    than MIN_QUESTIONS do or the index has no token vectors."""
    from nlp.search import query_token_vectors

    index = searcher.index
    pairs = training_pairs(questions, [r["id"] for r in index.records])
    if index.tokens is None or len(pairs) < MIN_QUESTIONS:
        return None, len(pairs)
    exact = searcher.encoder.at_precision("float32")  # the same adapter whatever the CPU serves queries in
    qtoks = [query_token_vectors(exact, q, searcher.glossary_path)[1] for q, _ in pairs]
    return fit(qtoks, [g for _, g in pairs], index.tokens, index.token_offsets, epochs=epochs), len(pairs)


def write(adapter: QueryAdapter, out_dir: Path, meta: dict[str, Any]) -> None:
    from nlp.io import write_folder, write_json

    def fill(tmp: Path) -> None:
        np.save(tmp / "adapter.npy", adapter.weight.astype(np.float32))
        write_json(tmp / "meta.json", meta)

    write_folder(out_dir, fill)


def read_meta(path: Path) -> dict[str, Any] | None:
    f = Path(path) / "meta.json"
    try:
        return json.loads(f.read_text(encoding="utf-8")) if f.exists() else None
    except (OSError, ValueError):
        return None


def load(path: Path, expected_inputs: dict[str, Any], dim: int) -> QueryAdapter | None:
    """The adapter if one was fitted for exactly these inputs; None if there is none; a one-line
    StaleArtefactError if it is stale or unreadable."""
    from nlp.errors import StaleArtefactError

    path = Path(path)
    if not path.exists():
        return None
    meta = read_meta(path)
    if meta is None:
        raise StaleArtefactError(f"query adapter at {path} is corrupted (no readable meta.json)", hint=HINT)
    if meta.get("inputs") != expected_inputs:
        changed = sorted(k for k in expected_inputs if meta.get("inputs", {}).get(k) != expected_inputs[k])
        raise StaleArtefactError(f"query adapter at {path} is stale ({', '.join(changed)} changed)", hint=HINT)
    try:
        weight = np.load(path / "adapter.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise StaleArtefactError(f"query adapter at {path} is corrupted ({type(exc).__name__})", hint=HINT) from None
    if weight.shape != (dim, dim):
        raise StaleArtefactError(f"query adapter at {path} is corrupted (shape {weight.shape})", hint=HINT)
    return QueryAdapter(weight)
