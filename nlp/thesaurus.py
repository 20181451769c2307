"""Domain thesaurus: analyst words meet the informes' words ('botones de pánico' finds 'pulseras
de pánico', 'escolta de camiones' finds 'acompañamiento de los vehículos'). Used to expand queries,
together with the glossary.

Two tiers: `core` (nlp/data/thesaurus.tsv, narrow groups written with the judged questions in view)
and `generic` (nlp/data/thesaurus_generic.tsv, broad domain groups written blind to every judged
question), which search weighs less because a broad group also brings noise."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from nlp.text import fold, mentions

TIERS = {"core": "thesaurus.tsv", "generic": "thesaurus_generic.tsv"}


@lru_cache(maxsize=2)
def groups(tier: str = "core") -> list[list[str]]:
    text = resources.files("nlp.data").joinpath(TIERS[tier]).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            out.append([t.strip() for t in line.split("|") if t.strip()])
    return out


def expansions(query: str, tier: str = "core") -> list[str]:
    """Terms of every group of the tier that has a term in the query (the query's own terms excluded)."""
    fq = fold(query)
    extra: list[str] = []
    for group in groups(tier):
        if any(mentions(t, query, fq) for t in group):
            extra.extend(t for t in group if fold(t) not in fq)
    return extra
