"""The 32 states, their printed variants, and the gazetteer that finds states in free text."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

STATES = (
    "Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Chiapas",
    "Chihuahua", "Ciudad de México", "Coahuila", "Colima", "Durango", "Guanajuato",
    "Guerrero", "Hidalgo", "Jalisco", "México", "Michoacán", "Morelos", "Nayarit",
    "Nuevo León", "Oaxaca", "Puebla", "Querétaro", "Quintana Roo", "San Luis Potosí",
    "Sinaloa", "Sonora", "Tabasco", "Tamaulipas", "Tlaxcala", "Veracruz", "Yucatán",
    "Zacatecas",
)
NACIONAL = "Nacional"

# printed labels that differ from the canonical name (compared after fold())
_ALIASES = {
    "coahuila de zaragoza": "Coahuila",
    "estado de mexico": "México",
    "edomex": "México",
    "mexico": "México",
    "cdmx": "Ciudad de México",
    "distrito federal": "Ciudad de México",
    "michoacan de ocampo": "Michoacán",
    "veracruz de ignacio de la llave": "Veracruz",
    "queretaro de arteaga": "Querétaro",
}


def fold(text: str) -> str:
    """Lower-case and strip accents, so 'Querétaro' == 'queretaro'."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower().strip()


_BY_FOLD = {fold(s): s for s in STATES}
_BY_FOLD.update(_ALIASES)


def canonical_state(label: str) -> str | None:
    """Canonical state for a printed Entidad label, or None if it is not a state."""
    key = re.sub(r"\s+", " ", fold(label)).strip(" .:*")
    return _BY_FOLD.get(key)


def closest_state(label: str) -> str | None:
    from rapidfuzz import process

    hit = process.extractOne(fold(label), list(_BY_FOLD), score_cutoff=70)
    return _BY_FOLD[hit[0]] if hit else None


@dataclass(frozen=True)
class Mention:
    state: str
    start: int
    end: int
    text: str
    kind: str


# names that are also surnames or municipalities ("Ávila Hidalgo", "municipio de Hidalgo")
_SURNAME_LIKE = {"Hidalgo", "Morelos", "Guerrero", "Colima", "Durango", "Tabasco", "Sonora"}
_MUNICIPIO_RE = re.compile(r"(municipio|municipios|alcald[ií]a|comisar[ií]a)\s+(de\s+)?$", re.I)
_PREV_WORD_RE = re.compile(r"([A-Za-zÁÉÍÓÚÑáéíóúñ]+)\s+$")
_LOWER_OK = {"de", "del", "en", "y", "e", "a", "el", "la", "caso", "estado", "entidad", "para", "con", "sur"}
# "desde los límites con el estado de Zacatecas": a neighbour, not the subject (but "entidades
# vecinas a Zacatecas" is about Zacatecas itself)
_NEIGHBOUR_RE = re.compile(r"(l[ií]mites?\s+con|colindan\w*\s+con)\s+(el\s+)?(estado\s+de\s+)?$", re.I)


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[re.Pattern, re.Pattern, dict[str, set[str]], dict[str, str]]:
    entries: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    text = resources.files("nlp.data").joinpath("gazetteer.tsv").read_text(encoding="utf-8")
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        state, kind, pattern = raw.split("\t")
        if state not in STATES:
            raise ValueError(f"gazetteer.tsv: unknown state {state!r}")
        key = pattern if kind == "inst" else fold(pattern)
        entries.setdefault(key, set()).add(state)
        kinds[key] = kind
    folded = sorted((k for k in entries if kinds[k] != "inst"), key=len, reverse=True)
    acronyms = sorted((k for k in entries if kinds[k] == "inst"), key=len, reverse=True)
    fold_re = re.compile(r"(?<![\w])(" + "|".join(re.escape(k) for k in folded) + r")(?![\w])")
    inst_re = re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in acronyms) + r")(?![\w])")
    return fold_re, inst_re, entries, kinds


def _fold_keep_length(text: str) -> str:
    """fold() that keeps offsets: every character maps to exactly one character."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f[0] if f else ch.lower())
    return "".join(out)


def find_mentions(text: str) -> list[Mention]:
    """Places and institutions in the text that point to one (or several) states."""
    fold_re, inst_re, entries, kinds = _gazetteer()
    folded = _fold_keep_length(text)
    spans: list[tuple[int, int, str]] = []
    for m in fold_re.finditer(folded):
        spans.append((m.start(), m.end(), m.group(1)))
    for m in inst_re.finditer(text):
        if not any(s <= m.start() < e for s, e, _ in spans):
            spans.append((m.start(), m.end(), m.group(1)))
    mentions = []
    for start, end, key in sorted(spans):
        states = entries[key]
        before = text[max(0, start - 40):start]
        if _MUNICIPIO_RE.search(before) or _NEIGHBOUR_RE.search(before):
            continue
        surface = text[start:end]
        if len(states) == 1:
            (state,) = states
            if surface in _SURNAME_LIKE or state in _SURNAME_LIKE and kinds[key] == "state":
                prev = _PREV_WORD_RE.search(before)
                if prev and prev.group(1)[0].isupper() and fold(prev.group(1)) not in _LOWER_OK:
                    continue  # "Ávila Hidalgo", "José María Morelos": a person
        for state in sorted(states):
            mentions.append(Mention(state=state, start=start, end=end, text=surface, kind=kinds[key]))
    return mentions


def evidence(text: str) -> set[str]:
    """States the text points to unambiguously (a pattern shared by several states is ignored)."""
    by_span: dict[tuple[int, int], set[str]] = {}
    for m in find_mentions(text):
        by_span.setdefault((m.start, m.end), set()).add(m.state)
    return {next(iter(s)) for s in by_span.values() if len(s) == 1}
