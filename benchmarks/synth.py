"""Synthetic corpora for the benchmarks: perturbed copies of the real acuerdos (word reordering,
synonyms, typos, status changes), so sizes can grow to 100,000 without inventing a new domain."""
from __future__ import annotations

import random

import numpy as np

SYNONYMS = {
    "acompañamiento": "escolta", "custodia": "resguardo", "vehículos": "camiones", "seguridad": "protección",
    "reunión": "sesión", "paquetes": "paquetes", "Guardia Nacional": "GN", "Jornada Electoral": "jornada",
    "casillas": "mesas de votación", "acordó": "determinó", "brindará": "proporcionará", "patrullaje": "rondines",
    "documentación": "material", "Mesa de Seguridad": "Mesa de Coordinación", "solicitó": "pidió",
}
STATUSES = ["Planeación", "En proceso", "Concluido"]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def perturb(text: str, rng: random.Random, strength: int = 2) -> str:
    """A near or semantic variant of a text."""
    out = text
    for src, dst in rng.sample(list(SYNONYMS.items()), k=min(strength, len(SYNONYMS))):
        if src in out:
            out = out.replace(src, dst, 1)
    words = out.split()
    for _ in range(strength):
        if len(words) > 3 and rng.random() < 0.5:
            i = rng.randrange(len(words))
            words[i] = typo(words[i], rng)
    if len(words) > 6 and rng.random() < 0.3:  # move a clause
        i = rng.randrange(1, len(words) - 2)
        words = words[i:] + words[:i]
    return " ".join(words)


def fresh_text(rng: random.Random, pool: list[str]) -> str:
    """A 'new' acuerdo: spliced halves of two unrelated real texts plus a distinctive number."""
    a, b = rng.sample(pool, 2)
    wa, wb = a.split(), b.split()
    return " ".join(wa[: max(3, len(wa) // 2)] + wb[len(wb) // 2:]) + f" (folio {rng.randrange(10**6)})"


def synthetic_corpus(records: list[dict], vectors: np.ndarray | None, n: int, dup_rate: float = 0.1,
                     seed: int = 0) -> tuple[list[dict], np.ndarray | None, list[tuple[int, int]]]:
    """n records: mostly distinct spliced texts, plus planted duplicates (exact or perturbed copies of
    an earlier synthetic record, sometimes with a new status). Returns records, vectors (the source
    record's embedding plus noise — a stand-in, since encoding 100k texts on 2 cores takes too long),
    and the planted (original, copy) pairs."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    pool = [r["texto"] for r in records]
    states = [r["entidad"] for r in records]
    out: list[dict] = []
    src_idx: list[int] = []
    planted: list[tuple[int, int]] = []
    for i in range(n):
        if out and rng.random() < dup_rate:
            j = rng.randrange(len(out))
            base = out[j]
            kind = rng.choice(["exact", "near", "near"])
            text = base["texto"] if kind == "exact" else perturb(base["texto"], rng, strength=1)
            rec = {**base, "id": f"s{i}", "texto": text, "line": i + 1,
                   "estatus": rng.choice(STATUSES) if rng.random() < 0.3 else base["estatus"]}
            planted.append((j, i))
            src_idx.append(src_idx[j])
        else:
            k = rng.randrange(len(records))
            rec = {"id": f"s{i}", "source": f"synth_{i // 5000:03d}.txt", "informe": 6 + (i % 2), "section": "acuerdos",
                   "line": i + 1, "entidad": states[k], "estatus": rng.choice(STATUSES), "flags": [], "extra": {},
                   "texto": fresh_text(rng, pool)}
            src_idx.append(k)
        out.append(rec)
    vecs = None
    if vectors is not None:
        base = vectors[np.asarray(src_idx)]
        vecs = base + nprng.normal(0, 0.05, size=base.shape).astype(np.float32)
        # planted copies sit close to their original; others spread around their source record
        for j, i in planted:
            vecs[i] = vecs[j] + nprng.normal(0, 0.005, size=vecs.shape[1]).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return out, vecs, planted
