"""Domain thesaurus (nlp/data/thesaurus.tsv): analyst words meet the informes' words
('botones de pánico' finds 'pulseras de pánico', 'escolta de camiones' finds 'acompañamiento de
los vehículos'). Used to expand lexical queries, together with the glossary."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from nlp.text import fold, mentions


@lru_cache(maxsize=1)
def groups() -> list[list[str]]:
    text = resources.files("nlp.data").joinpath("thesaurus.tsv").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            out.append([t.strip() for t in line.split("|") if t.strip()])
    return out


def expansions(query: str) -> list[str]:
    """Terms of every group that has a term in the query (the query's own terms excluded)."""
    fq = fold(query)
    extra: list[str] = []
    for group in groups():
        if any(mentions(t, query, fq) for t in group):
            extra.extend(t for t in group if fold(t) not in fq)
    return extra
