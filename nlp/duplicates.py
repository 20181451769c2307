"""Duplicate detection: exact (same normalised text), near (lexically almost the same) and
semantic (same meaning, other words) pairs and groups, without O(n²) loops: exact pairs by
hashing, near candidates by MinHash LSH (datasketch), semantic candidates by faiss k-NN; each
candidate pair is then scored with rapidfuzz and the embedding cosine.

Rules learnt from the hand-judged pairs (tests/data/dup_pairs.csv):
- numbers, dates and ordinals that disagree ("02 de mayo" / "09 de mayo", "Cuarta" / "Quinta")
  make two acuerdos different, unless one set contains the other ("JDE 05 y 15" / "JDE 05");
- a name or a short object phrase swapped in an otherwise identical wording ("La Comisaría de Tonalá
  acompañará …" / "La Comisaría de Tlajomulco acompañará …", "traslado de las boletas" / "del líquido
  indeleble") makes two acuerdos different, unless the two are a typo of each other, another verb,
  one word family or the glossary/thesaurus says they are the same thing ("GN" / "Guardia Nacional");
- within one informe, an acuerdo entered twice in other words (low ratio, or the same specific
  numbers, and cosine >= 0.93) is a duplicate only if both wordings name the same bodies and places,
  wherever they stand, and one is not a future request and the other its past fulfilment (calibrated
  on the judged pairs together with the development annex tests/data/dup_annex_dev);
- federal meetings are the same only on the same date (and two informes reporting a meeting of
  the same date report the same meeting);
- the same wording under two states is usually each state's own acuerdo: near and semantic pairs
  across states are kept only when the loader found that one record's text names the other's
  state (entity_mismatch); exact copies across states are always reported, marked
  ``different_states``.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from nlp.text import fold, mentions, stop_words

# calibrated on tests/data/dup_pairs.csv (python -m nlp.dup_eval --calibrate)
NEAR_RATIO = 70.0
NEAR_TOKEN_SET = 90.0
SEMANTIC_COSINE = 0.97  # same meaning within one informe
SEMANTIC_CROSS_COSINE = 0.92  # an acuerdo restated in another informe (same state)
# within one informe, an acuerdo entered twice in other words (ratio < REWORDED_RATIO) needs less: templates
# filled in differently share their wording (high ratio) and are caught by the name and object rules
REWORDED_COSINE = 0.93  # calibrated: python -m nlp.dup_eval --calibrate (judged pairs + tests/data/dup_annex_dev)
REWORDED_RATIO = 55.0
KNN = 10
LSH_THRESHOLD = 0.45  # near duplicates in the judged pairs have word-bigram Jaccard >= 0.5
NUM_PERM = 64

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


def numbers_differ(na: frozenset[str] | set[str], nb: frozenset[str] | set[str]) -> bool:
    """Two sets of numbers/dates clash unless one contains the other."""
    return bool(na or nb) and not (na <= nb or nb <= na)


def number_conflict(a: str, b: str) -> bool:
    return numbers_differ(numbers(a), numbers(b))


def same_anchor(na: frozenset[str] | set[str], nb: frozenset[str] | set[str]) -> bool:
    """Both texts give the same specific numbers (a day, a district, a count; a year alone is not
    specific): two wordings of one acuerdo keep its date and its district ("el 24 de mayo")."""
    return na == nb and any(n.isdigit() and len(n) != 4 for n in na)


_TENSES = (("future", re.compile(r"\w(?:rá|rán|ría|rían)\b")),  # solicitará, llevarán, instalaría
           ("past", re.compile(r"\w(?:ó|aron|ieron)\b")))  # atendió, resguardó, acordaron


def _tenses(text: str) -> frozenset[str]:
    low = text.lower()
    return frozenset(k for k, rx in _TENSES if rx.search(low))


def tenses_clash(a: str, b: str) -> bool:
    """One text only in the future, the other only in the past: a request and its fulfilment
    ("solicitará … el resguardo" / "atendió el oficio y resguardó") are two records, not one twice."""
    ta, tb = _tenses(a), _tenses(b)
    return len(ta) == 1 and len(tb) == 1 and ta != tb


_WORD_RE = re.compile(r"\w+")


Words = tuple[tuple[str, str, bool], ...]
TYPO_RATIO = 75  # rapidfuzz ratio at which two spellings are one word or name misspelt ("direcotrio")


@lru_cache(maxsize=65536)
def _words(text: str) -> Words:
    """(word, folded word, opens a sentence) for each word of a text (once per text: a text is compared
    with several candidates, by the name and object rules both)."""
    out: list[tuple[str, str, bool]] = []
    end = 0
    for m in _WORD_RE.finditer(text):
        opens = not out or any(c in ".:;" for c in text[end:m.start()])
        out.append((m.group(), fold(m.group()), opens))
        end = m.end()
    return tuple(out)


@lru_cache(maxsize=1)
def _equivalence_groups() -> list[list[str]]:
    """Terms that name the same thing: the thesaurus (both tiers) and the glossary's acronyms."""
    from nlp.config import get_settings
    from nlp.glossary import load_glossary
    from nlp.thesaurus import groups

    table = load_glossary(str(get_settings().glossary))
    return [*groups("core"), *groups("generic"), *([a, *m] for a, m in table.items())]


@lru_cache(maxsize=65536)
def _group_terms(text: str) -> dict[int, frozenset[str]]:
    """For each equivalence group the text mentions, the group's terms found there (once per text: the
    groups are many, and a text is judged against several candidates)."""
    ft = fold(text)
    out = {}
    for k, g in enumerate(_equivalence_groups()):
        found = frozenset(t for t in g if mentions(t, text, ft))
        if found:
            out[k] = found
    return out


def _same_thing(a: str, b: str) -> bool:
    """Whether one group names something in `a` that `b` lacks and, with another term, something in `b`
    that `a` lacks ("Mesa de Seguridad" / "Mesa de Coordinación", "Guardia Nacional" / "GN")."""
    ga, gb = _group_terms(a), _group_terms(b)
    return any(ga[g] - gb[g] and gb[g] - ga[g] for g in ga.keys() & gb.keys())


def names_swapped(a: str, b: str) -> bool:
    """Whether two wordings differ by a name put in place of another (a capitalised word that does not
    open a sentence), not by a typo of it nor by an equivalent the glossary or thesaurus knows."""
    return _swapped(a, b, objects=False)


OBJECT_SWAP_WORDS = 3  # content words: a slot of a template is a short phrase; longer replacements are rewordings


def objects_swapped(a: str, b: str) -> bool:
    """Whether two wordings differ by a name or by a short content phrase put in place of another in the
    same wording ("traslado de las boletas" / "traslado del líquido indeleble"): a template filled with
    another object, unless the two phrases are a typo of each other or known equivalents."""
    return _swapped(a, b, objects=True)


def _is_name(word: str, folded: str, opens: bool) -> bool:
    """A capitalised word that does not open a sentence and is not a stop word ("La", "El")."""
    return word[0].isupper() and not opens and folded not in stop_words()


def _names(words: Words) -> set[str]:
    return {folded for word, folded, opens in words if _is_name(word, folded, opens)}


def _initials(acronym: str) -> str:
    """Letters an acronym stands for: "SPSC" -> "spsc", "C5" -> "ccccc" (C5: five words in C)."""
    m = re.fullmatch(r"([A-Z]+)(\d)?", acronym)
    if not m:
        return ""
    return (m.group(1)[:-1] + m.group(1)[-1] * int(m.group(2))).lower() if m.group(2) else m.group(1).lower()


def _expanded(acronym: str, words: Words) -> set[str]:
    """The folded words of a run of capitalised words (stop words between them allowed) whose initials
    spell the acronym ("SPSC" in "Secretaría de Protección y Seguridad Ciudadana"), or nothing."""
    want = _initials(acronym)
    if len(want) < 2:
        return set()
    stops = stop_words()
    caps = [(w, f) for w, f, _ in words if w[0].isupper() or f not in stops]
    for start in range(len(caps)):
        run, letters = [], ""
        for w, f in caps[start:]:
            if not w[0].isupper():
                break
            run.append(f)
            letters += f[0]
            if not want.startswith(letters):
                break
            if letters == want:
                return set(run)
    return set()


def names_differ(a: str, b: str) -> bool:
    """Whether each wording names something the other does not, wherever the names stand: a reworded
    sentence moves its names ("la Guardia Nacional vigilará el acceso" / "el acceso será vigilado por la
    Guardia Nacional") but keeps them; another body or place makes another acuerdo. Typos of a name and
    glossary/thesaurus equivalents ("SSP" / "Secretaría de Seguridad Pública") do not count."""
    wa, wb = _words(a), _words(b)
    na, nb = _names(wa), _names(wb)
    only_a, only_b = na - nb, nb - na
    only_a = {x for x in only_a if not any(fuzz.ratio(x, y) >= TYPO_RATIO for y in nb)}
    only_b = {y for y in only_b if not any(fuzz.ratio(x, y) >= TYPO_RATIO for x in na)}
    if not only_a or not only_b:
        return False
    for acr, folded, _ in wa + wb:  # an acronym ("SPSC", "C5") on one side, spelled out on the other
        if acr.isupper() and folded in only_a | only_b:
            spelled = _expanded(acr, wb if folded in only_a else wa)
            if spelled:
                only_a -= spelled | {folded}
                only_b -= spelled | {folded}
    if not only_a or not only_b:
        return False
    ga, gb = _group_terms(a), _group_terms(b)
    for g in ga.keys() & gb.keys():  # drop the words of terms that name the same thing in both
        words = {w for t in ga[g] | gb[g] for w in _WORD_RE.findall(fold(t))}
        only_a -= words
        only_b -= words
    return bool(only_a and only_b)


def _content(word: str) -> bool:
    """A folded word that carries content: a word, not a stop word, nor a form of one ("pudieran")."""
    from nlp.text import term_lemmas

    return word.isalpha() and word not in stop_words() and bool(term_lemmas(word))


# a word right after one of these is a noun, whatever its lemma ("los canceles", "el traslado")
_DETERMINERS = frozenset({"el", "la", "los", "las", "un", "una", "unos", "unas", "del", "al", "este", "esta",
                          "estos", "estas", "ese", "esa", "esos", "esas", "su", "sus"})


def _verb_like(word: str, before: str | None = None) -> bool:
    """A word whose lemma is an infinitive and that no determiner introduces: the lookup lemmatiser
    has no part of speech to ask, and reads nouns such as "canceles" as forms of a verb (cancelar)."""
    from nlp.text import term_lemmas

    if before in _DETERMINERS:
        return False
    lem = term_lemmas(word)
    return bool(lem) and lem[-1].endswith(("ar", "er", "ir"))


def _slot_content(words: Words, i: int, j: int, other_slot: Words,
                  other_all: set[str]) -> list[tuple[str, str | None]]:
    """(content word, word before it) of words[i:j], less those the other wording has elsewhere (moved)
    or misspelt in its slot."""
    return [(f, words[k - 1][1] if k else None) for k, (_, f, _) in enumerate(words[i:j], i)
            if _content(f) and f not in other_all and not any(fuzz.ratio(f, g) >= TYPO_RATIO for _, g, _ in other_slot)]


def _swapped(a: str, b: str, objects: bool) -> bool:
    wa, wb = _words(a), _words(b)
    ops = difflib.SequenceMatcher(a=[w[1] for w in wa], b=[w[1] for w in wb], autojunk=False).get_opcodes()
    all_a, all_b = {w[1] for w in wa}, {w[1] for w in wb}
    for op, i1, i2, j1, j2 in ops:
        if op != "replace":
            continue
        sa, sb = wa[i1:i2], wb[j1:j2]
        if not any(_is_name(*w) for w in sa + sb):
            if not objects:
                continue
            content_a = _slot_content(wa, i1, i2, sb, all_b)
            content_b = _slot_content(wb, j1, j2, sa, all_a)
            if not content_a or not content_b or max(len(content_a), len(content_b)) > OBJECT_SWAP_WORDS \
                    or all(_verb_like(*c) for c in content_a) or all(_verb_like(*c) for c in content_b):
                continue  # "instaló" / "mantuvo el": another verb for the same act, not another object
            if len(os.path.commonprefix([" ".join(c[0] for c in content_a), " ".join(c[0] for c in content_b)])) >= 6:
                continue  # "candidaturas" / "candidatos": one word family
        if fuzz.ratio(" ".join(w[1] for w in sa), " ".join(w[1] for w in sb)) >= TYPO_RATIO:  # a typo of the same name
            continue
        ctx = 2  # words around the swap: a group term may span them ("Mesa de [Seguridad]")
        if not _same_thing(" ".join(w[0] for w in wa[max(0, i1 - ctx):i2 + ctx]),
                           " ".join(w[0] for w in wb[max(0, j1 - ctx):j2 + ctx])):
            return True
    return False


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
    reworded_cosine: float = REWORDED_COSINE
    reworded_ratio: float = REWORDED_RATIO


def _mismatch_states(rec: dict) -> set[str]:
    return {f.split(":", 1)[1] for f in rec.get("flags", []) if f.startswith("entity_mismatch:")}


@dataclass
class Prepared:
    """What judging needs of a record, computed once (not once per pair)."""

    text: str
    norm: str
    nums: frozenset[str]
    entidad: str | None
    source: str | None
    section: str | None
    fecha: str | None
    mismatch: frozenset[str]


def prepare(rec: dict) -> Prepared:
    return Prepared(rec["texto"], normalize(rec["texto"]), frozenset(numbers(rec["texto"])), rec.get("entidad"), rec.get("source"),
                    rec.get("section"), (rec.get("extra") or {}).get("fecha_iso"), frozenset(_mismatch_states(rec)))


def judge(pa: Prepared, pb: Prepared, cosine: float | None, th: Thresholds) -> Pair | None:
    """The kind of duplicate two prepared records are, or None."""
    flags = []
    if pa.entidad != pb.entidad:
        flags.append("different_states")
    if pa.norm == pb.norm:
        return Pair(0, 0, "exact", 1.0, 100.0, cosine, flags)
    if pa.section == "mesa_federal" or pb.section == "mesa_federal":
        if pa.section != pb.section or not pa.fecha or pa.fecha != pb.fecha:
            return None
        if pa.source != pb.source:  # the same federal meeting reported by two informes
            return Pair(0, 0, "semantic", max(float(cosine or 0.0), 0.0), 0.0, cosine, flags + ["same_meeting_date"])
    if numbers_differ(pa.nums, pb.nums):
        return None
    if flags:
        if not (pa.entidad in pb.mismatch or pb.entidad in pa.mismatch):
            return None
        flags.append("linked_by_entity_mismatch")
    ratio = fuzz.ratio(pa.norm, pb.norm)
    if ratio >= th.near_ratio:
        if objects_swapped(pa.text, pb.text):  # same template, another place, body or object
            return None
        if fuzz.token_set_ratio(pa.norm, pb.norm) >= th.near_token_set:
            return Pair(0, 0, "near", ratio / 100.0, ratio, cosine, flags)
    cross = pa.source != pb.source
    if cosine is None:
        return None
    if cross and "different_states" not in flags:
        need = th.semantic_cross_cosine
    else:  # within one informe: a reworded copy changes most words, or keeps the specific numbers
        reworded = ratio < th.reworded_ratio or same_anchor(pa.nums, pb.nums)
        need = th.reworded_cosine if reworded else th.semantic_cosine
    if cosine >= need:
        if not cross and cosine < th.semantic_cosine and tenses_clash(pa.text, pb.text):
            return None
        if not cross and names_differ(pa.text, pb.text):  # a reworded acuerdo keeps its names
            return None
        return Pair(0, 0, "semantic", float(cosine), ratio, cosine, flags)
    return None


def judge_pair(ra: dict, rb: dict, cosine: float | None, th: Thresholds) -> Pair | None:
    return judge(prepare(ra), prepare(rb), cosine, th)


def _shingles(text: str) -> list[bytes]:
    w = normalize(text).split()
    if len(w) < 3:
        return [" ".join(w).encode()] if w else [b""]
    return [" ".join(w[i:i + 2]).encode() for i in range(len(w) - 1)]


MAX_LSH_CANDIDATES = 10  # per record: templates ("Seguimiento a …") would otherwise make LSH quadratic


def _lsh_pairs(texts: list[str], keys: list[int]) -> set[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    hashes = MinHash.bulk([_shingles(t) for t in texts], num_perm=NUM_PERM)
    matrix = np.stack([h.hashvalues for h in hashes])
    slot = {k: n for n, k in enumerate(keys)}
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for key, mh in zip(keys, hashes):
            session.insert(key, mh)
    out: set[tuple[int, int]] = set()
    for key, mh in zip(keys, hashes):
        found = [o for o in lsh.query(mh) if o != key]
        if len(found) > MAX_LSH_CANDIDATES:  # keep the closest by estimated Jaccard
            rows = matrix[[slot[o] for o in found]]
            jac = (rows == mh.hashvalues).mean(axis=1)
            found = [found[j] for j in np.argsort(-jac, kind="stable")[:MAX_LSH_CANDIDATES]]
        out.update((min(key, o), max(key, o)) for o in found)
    return out


HNSW_ABOVE = 50_000  # records; exact k-NN of every record above this costs minutes (HNSW at 100k: benchmarks/bench_duplicates.py)


def _ip_index(vectors: np.ndarray):
    """A faiss inner-product index over the vectors: exact for small corpora, HNSW for large ones."""
    import faiss

    n, dim = vectors.shape
    vec = np.ascontiguousarray(vectors, dtype=np.float32)
    if n > HNSW_ABOVE:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.add(vec)
        index.hnsw.efSearch = 32
    else:
        index = faiss.IndexFlatIP(dim)
        index.add(vec)
    return index


def _knn_pairs(vectors: np.ndarray, knn: int) -> set[tuple[int, int]]:
    n = len(vectors)
    k = min(knn + 1, n)
    _, nn = _ip_index(vectors).search(np.ascontiguousarray(vectors, dtype=np.float32), k)
    rows = np.repeat(np.arange(n), k)
    cols = nn.ravel()
    keep = (cols >= 0) & (cols != rows)
    a, b = np.minimum(rows[keep], cols[keep]), np.maximum(rows[keep], cols[keep])
    return set(zip(a.tolist(), b.tolist()))


def _knn_new(vectors: np.ndarray, new_vectors: np.ndarray, k: int) -> np.ndarray:
    """The k corpus records closest to each new text, from the same kind of index: no n_new x n matrix."""
    _, nn = _ip_index(vectors).search(np.ascontiguousarray(new_vectors, dtype=np.float32), min(k, len(vectors)))
    return nn


def candidate_pairs(records: list[dict], vectors: np.ndarray | None, *, knn: int = KNN,
                    prepared: list[Prepared] | None = None) -> set[tuple[int, int]]:
    """Pairs worth scoring: same normalised text, MinHash LSH neighbours, embedding k-NN."""
    if len(records) < 2:
        return set()
    prepared = prepared or [prepare(r) for r in records]
    cands: set[tuple[int, int]] = set()
    by_norm: dict[str, list[int]] = {}
    for i, p in enumerate(prepared):
        by_norm.setdefault(p.norm, []).append(i)
    for members in by_norm.values():
        if len(members) > 1:
            head = members[0]
            cands.update((head, m) for m in members[1:])  # a star is enough: exact groups are transitive
    by_meeting: dict[str, list[int]] = {}
    for i, p in enumerate(prepared):
        if p.section == "mesa_federal" and p.fecha:
            by_meeting.setdefault(p.fecha, []).append(i)
    for members in by_meeting.values():
        cands.update((a, b) for a in members for b in members if a < b)
    reps = [m[0] for m in by_norm.values()]
    cands |= _lsh_pairs([records[i]["texto"] for i in reps], reps)
    if vectors is not None and len(records) > 1:
        cands |= _knn_pairs(vectors, knn)
    return cands


def find_pairs(records: list[dict], vectors: np.ndarray | None, th: Thresholds | None = None,
               candidates: set[tuple[int, int]] | None = None) -> list[Pair]:
    th = th or Thresholds()
    prepared = [prepare(r) for r in records]
    cands = sorted(candidates if candidates is not None else candidate_pairs(records, vectors, prepared=prepared))
    if not cands:
        return []
    ia = np.fromiter((a for a, _ in cands), dtype=np.int64, count=len(cands))
    ib = np.fromiter((b for _, b in cands), dtype=np.int64, count=len(cands))
    cos = None
    if vectors is not None:  # in chunks: 2M candidate pairs x 384 floats would be 3 GB at once
        cos = np.empty(len(cands), dtype=np.float32)
        for start in range(0, len(cands), 50_000):
            sl = slice(start, start + 50_000)
            cos[sl] = np.einsum("ij,ij->i", vectors[ia[sl]], vectors[ib[sl]])
    out = []
    for n, (i, j) in enumerate(cands):
        p = judge(prepared[i], prepared[j], float(cos[n]) if cos is not None else None, th)
        if p is not None:
            p.a, p.b = i, j
            out.append(p)
    return mutual_best_semantic(out)


def mutual_best_semantic(pairs: list[Pair]) -> list[Pair]:
    """Keep a semantic pair only when each record is the other's closest semantic partner: close
    meaning alone chains similar requests ("Remitir archivo …") into one big false group."""
    best: dict[int, float] = {}
    for p in pairs:
        if p.kind == "semantic":
            best[p.a] = max(best.get(p.a, -1.0), p.similarity)
            best[p.b] = max(best.get(p.b, -1.0), p.similarity)
    return [p for p in pairs if p.kind != "semantic" or (p.similarity >= best[p.a] and p.similarity >= best[p.b])]


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
        nn = _knn_new(vectors, new_vectors, k)
    prepared: dict[int, Prepared] = {}  # each corpus record prepared once, however many new texts meet it
    out = []
    for q, text in enumerate(new_texts):
        cands = set(by_norm.get(normalize(text), []))
        cands.update(lsh.query(MinHash.bulk([_shingles(text)], num_perm=NUM_PERM)[0]))
        if nn is not None:
            cands.update(nn[q].tolist())
        probe = prepare({"texto": text, "entidad": None, "section": None, "flags": []})
        found = []
        for i in sorted(cands):
            rec = records[i]
            if i not in prepared:
                prepared[i] = prepare(rec)
            cos = float(new_vectors[q] @ vectors[i]) if nn is not None else None
            p = judge(replace(probe, entidad=prepared[i].entidad), prepared[i], cos, th)
            if p is None:
                continue
            found.append({"kind": p.kind, "similarity": round(p.similarity, 4),
                          **{k2: rec.get(k2) for k2 in ("id", "source", "line", "entidad", "estatus", "texto")},
                          "diff": word_diff(rec["texto"], text)})
        found.sort(key=lambda d: (KIND_ORDER.index(d["kind"]), -d["similarity"]))
        out.append(found)
    return out
