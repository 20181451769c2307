"""Duplicate detection: exact (same normalised text), near (lexically almost the same) and
semantic (same meaning, other words) pairs and groups, without O(n²) loops: exact pairs by
hashing, near candidates by MinHash LSH (datasketch), semantic candidates by faiss k-NN; each
candidate pair is then scored with rapidfuzz and the embedding cosine.

Rules learnt from the hand-judged pairs (tests/data/dup_pairs.csv):
- numbers, dates and ordinals that disagree ("02 de mayo" / "09 de mayo", "Cuarta" / "Quinta")
  make two acuerdos different, unless one set contains the other ("JDE 05 y 15" / "JDE 05");
- federal meetings are the same only on the same date;
- the same wording under two states is usually each state's own acuerdo: near and semantic pairs
  across states are kept only when the loader found that one record's text names the other's
  state (entity_mismatch); exact copies across states are always reported, marked
  ``different_states``.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from nlp.text import fold

# calibrated on tests/data/dup_pairs.csv (python -m nlp.dup_eval --calibrate)
NEAR_RATIO = 70.0
NEAR_TOKEN_SET = 90.0
SEMANTIC_COSINE = 0.97  # same meaning within one informe
SEMANTIC_CROSS_COSINE = 0.91  # an acuerdo restated in another informe (same state)
KNN = 10
LSH_THRESHOLD = 0.3
NUM_PERM = 128

_ORDINALS = ("primer", "primera", "primero", "segunda", "segundo", "tercera", "tercer", "tercero", "cuarta", "cuarto",
             "quinta", "quinto", "sexta", "sexto", "septima", "septimo", "octava", "octavo", "novena", "noveno",
             "decima", "decimo")
_NUM_RE = re.compile(r"\b(\d+|" + "|".join(_ORDINALS) + r")\b")
_MONTHS = r"(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", fold(text))).strip()


def numbers(text: str) -> set[str]:
    """Numbers, ordinals and months of a text: the details that make two similar acuerdos differ."""
    f = fold(text)
    nums = {n.lstrip("0") or "0" for n in _NUM_RE.findall(f)}
    return nums | set(re.findall(_MONTHS, f))


def number_conflict(a: str, b: str) -> bool:
    na, nb = numbers(a), numbers(b)
    return bool(na or nb) and not (na <= nb or nb <= na)


def word_diff(a: str, b: str, width: int = 12) -> str:
    """What differs between two texts, word by word: '-removed +added' around a little context."""
    wa, wb = a.split(), b.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op in ("delete", "replace"):
            parts.append("-[" + " ".join(wa[i1:i2][:width]) + (" …" if i2 - i1 > width else "") + "]")
        if op in ("insert", "replace"):
            parts.append("+[" + " ".join(wb[j1:j2][:width]) + (" …" if j2 - j1 > width else "") + "]")
    return " ".join(parts) if parts else "(identical)"


@dataclass
class Pair:
    a: int
    b: int
    kind: str  # exact | near | semantic
    similarity: float
    ratio: float
    cosine: float | None
    flags: list[str] = field(default_factory=list)


@dataclass
class Thresholds:
    near_ratio: float = NEAR_RATIO
    near_token_set: float = NEAR_TOKEN_SET
    semantic_cosine: float = SEMANTIC_COSINE
    semantic_cross_cosine: float = SEMANTIC_CROSS_COSINE


def _mismatch_states(rec: dict) -> set[str]:
    return {f.split(":", 1)[1] for f in rec.get("flags", []) if f.startswith("entity_mismatch:")}


def judge_pair(ra: dict, rb: dict, cosine: float | None, th: Thresholds) -> Pair | None:
    """The kind of duplicate two records are, or None."""
    ta, tb = ra["texto"], rb["texto"]
    na, nb = normalize(ta), normalize(tb)
    flags = []
    if ra.get("entidad") != rb.get("entidad"):
        flags.append("different_states")
    if na == nb:
        return Pair(0, 0, "exact", 1.0, 100.0, cosine, flags)
    if number_conflict(ta, tb):
        return None
    if ra.get("section") == "mesa_federal" or rb.get("section") == "mesa_federal":
        da, db = (ra.get("extra") or {}).get("fecha_iso"), (rb.get("extra") or {}).get("fecha_iso")
        if ra.get("section") != rb.get("section") or not da or da != db:
            return None
    if "different_states" in flags:
        linked = ra.get("entidad") in _mismatch_states(rb) or rb.get("entidad") in _mismatch_states(ra)
        if not linked:
            return None
        flags.append("linked_by_entity_mismatch")
    ratio = fuzz.ratio(na, nb)
    tset = fuzz.token_set_ratio(na, nb)
    if ratio >= th.near_ratio and tset >= th.near_token_set:
        return Pair(0, 0, "near", ratio / 100.0, ratio, cosine, flags)
    cross = ra.get("source") != rb.get("source")
    if cosine is not None and cosine >= (th.semantic_cross_cosine if cross and "different_states" not in flags
                                         else th.semantic_cosine):
        return Pair(0, 0, "semantic", float(cosine), ratio, cosine, flags)
    return None


def _shingles(text: str) -> list[bytes]:
    w = normalize(text).split()
    if len(w) < 3:
        return [" ".join(w).encode()] if w else [b""]
    return [" ".join(w[i:i + 2]).encode() for i in range(len(w) - 1)]


def candidate_pairs(records: list[dict], vectors: np.ndarray | None, *, knn: int = KNN) -> set[tuple[int, int]]:
    """Pairs worth scoring: same normalised text, MinHash LSH neighbours, embedding k-NN."""
    from datasketch import MinHash, MinHashLSH

    cands: set[tuple[int, int]] = set()
    by_norm: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_norm.setdefault(normalize(r["texto"]), []).append(i)
    for members in by_norm.values():
        if len(members) > 1:
            head = members[0]
            cands.update((head, m) for m in members[1:])  # a star is enough: exact groups are transitive
    reps = [m[0] for m in by_norm.values()]
    hashes = MinHash.bulk([_shingles(records[i]["texto"]) for i in reps], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for key, mh in zip(reps, hashes):
            session.insert(key, mh)
    for key, mh in zip(reps, hashes):
        for other in lsh.query(mh):
            if other != key:
                cands.add((min(key, other), max(key, other)))
    if vectors is not None and len(records) > 1:
        import faiss

        index = faiss.IndexFlatIP(vectors.shape[1])
        vec = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(records) > 50_000:
            index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 64
        index.add(vec)
        k = min(knn + 1, len(records))
        _, nn = index.search(vec, k)
        rows = np.repeat(np.arange(len(records)), k)
        cols = nn.ravel()
        keep = (cols >= 0) & (cols != rows)
        for i, j in zip(rows[keep].tolist(), cols[keep].tolist()):
            cands.add((min(i, j), max(i, j)))
    return cands


def find_pairs(records: list[dict], vectors: np.ndarray | None, th: Thresholds | None = None) -> list[Pair]:
    th = th or Thresholds()
    out = []
    for i, j in sorted(candidate_pairs(records, vectors)):
        cos = float(vectors[i] @ vectors[j]) if vectors is not None else None
        p = judge_pair(records[i], records[j], cos, th)
        if p is not None:
            p.a, p.b = i, j
            out.append(p)
    return out


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


KIND_ORDER = ("exact", "near", "semantic")


def group_pairs(records: list[dict], pairs: list[Pair]) -> list[dict[str, Any]]:
    """Groups per kind: exact groups, then near groups (exact + near links, with a near link), then
    semantic groups (all links, with a semantic link). Each lists members and its pairs with diffs."""
    groups = []
    seen_members: set[tuple[int, ...]] = set()
    for level, kind in enumerate(KIND_ORDER):
        allowed = set(KIND_ORDER[: level + 1])
        edges = [p for p in pairs if p.kind in allowed]
        uf = _UnionFind(len(records))
        for p in edges:
            uf.union(p.a, p.b)
        comps: dict[int, list[Pair]] = {}
        for p in edges:
            comps.setdefault(uf.find(p.a), []).append(p)
        for comp_pairs in comps.values():
            if not any(p.kind == kind for p in comp_pairs):
                continue
            members = tuple(sorted({p.a for p in comp_pairs} | {p.b for p in comp_pairs}))
            if members in seen_members:
                continue
            seen_members.add(members)
            sources = {records[m]["source"] for m in members}
            states = {records[m].get("entidad") for m in members}
            groups.append({
                "kind": kind,
                "similarity": round(min(p.similarity for p in comp_pairs), 4),
                "scope": "within_report" if len(sources) == 1 else "cross_report",
                "different_states": len(states) > 1,
                "members": [{k: records[m].get(k) for k in ("id", "source", "informe", "line", "entidad", "estatus", "texto")}
                            for m in members],
                "pairs": [{"a": records[p.a]["id"], "b": records[p.b]["id"], "kind": p.kind,
                           "similarity": round(p.similarity, 4), "flags": p.flags,
                           "diff": word_diff(records[p.a]["texto"], records[p.b]["texto"])}
                          for p in sorted(comp_pairs, key=lambda p: (p.a, p.b))],
            })
    return groups


def check_new(records: list[dict], vectors: np.ndarray | None, new_texts: list[str], new_vectors: np.ndarray | None,
              th: Thresholds | None = None, k: int = KNN) -> list[list[dict[str, Any]]]:
    """For each new text, the existing records it duplicates (kind, similarity, diff)."""
    from datasketch import MinHash, MinHashLSH

    th = th or Thresholds()
    by_norm: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_norm.setdefault(normalize(r["texto"]), []).append(i)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    hashes = MinHash.bulk([_shingles(r["texto"]) for r in records], num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, mh in enumerate(hashes):
            session.insert(i, mh)
    nn = None
    if vectors is not None and new_vectors is not None and len(records):
        sims = new_vectors @ vectors.T
        nn = np.argsort(-sims, axis=1)[:, :k]
    out = []
    for q, text in enumerate(new_texts):
        cands = set(by_norm.get(normalize(text), []))
        cands.update(lsh.query(MinHash.bulk([_shingles(text)], num_perm=NUM_PERM)[0]))
        if nn is not None:
            cands.update(nn[q].tolist())
        probe = {"texto": text, "entidad": None, "section": None, "flags": []}
        found = []
        for i in sorted(cands):
            rec = records[i]
            cos = float(new_vectors[q] @ vectors[i]) if nn is not None else None
            p = judge_pair({**probe, "entidad": rec.get("entidad")}, rec, cos, th)
            if p is None:
                continue
            found.append({"kind": p.kind, "similarity": round(p.similarity, 4),
                          **{k2: rec.get(k2) for k2 in ("id", "source", "line", "entidad", "estatus", "texto")},
                          "diff": word_diff(rec["texto"], text)})
        found.sort(key=lambda d: (KIND_ORDER.index(d["kind"]), -d["similarity"]))
        out.append(found)
    return out
