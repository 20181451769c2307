"""Query expansion from the glossary: an acronym brings its meaning and the meaning its acronym
(CRyT <-> Centro de Recolección y Traslado, GN <-> Guardia Nacional, SEMAR <-> Marina …)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from nlp.text import fold, mentions

# variants the glossary table does not spell out, seen in the informes
_EXTRA = {
    "CRyT": ["Centro de Recolección y Traslado", "Centros de Recepción y Traslado", "mecanismos de recolección", "CRYT"],
    "GN": ["Guardia Nacional"],
    "SEMAR": ["Secretaría de Marina", "Marina", "Armada de México"],
    "SEDENA": ["Secretaría de la Defensa Nacional", "Ejército Mexicano", "Ejército"],
    "BOM": ["Base de Operaciones Mixtas", "Base de Operación Mixta"],
    "C5": ["Centro de Coordinación, Comando, Control, Comunicaciones y Cómputo", "centro de mando"],
    "C4": ["centro de mando"],
    "MDC": ["Mesa Directiva de Casilla", "casilla"],
    "SSPC": ["Secretaría de Seguridad y Protección Ciudadana", "Seguridad Pública"],
}


_ENGLISH = re.compile(r"\b(?:of|its|the|state|and|or|level|field|staff|adds|also|written)\b")


def _split_meanings(text: str) -> list[str]:
    text = re.sub(r"\([^)]*\)", "", text)
    text = text.split(":")[0]
    parts = re.split(r"\s*/\s*|;", text)
    return [p.strip(" .") for p in parts if len(p.strip()) > 2]


@lru_cache(maxsize=4)
def load_glossary(path: str | None) -> dict[str, list[str]]:
    """Map each acronym to its expansions; reads the markdown table of docs/glossary.md."""
    table: dict[str, list[str]] = {k: list(v) for k, v in _EXTRA.items()}
    if path and Path(path).exists():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 2 or cells[0] in ("term", "---") or set(cells[0]) <= {"-"}:
                continue
            term, meaning = cells
            acronyms = [a.strip() for a in re.split(r"[/,]|\(|\)", term) if a.strip()]
            acronyms = [a for a in acronyms if a.isupper() or re.fullmatch(r"[A-Z][A-Za-z]*[A-Z]\w*", a)]
            meanings = [_ENGLISH.split(m)[0].strip(" ,") for m in _split_meanings(meaning)]
            meanings = [m for m in meanings if len(m) > 2]
            paired = len(acronyms) == len(meanings) and len(acronyms) > 1  # "JLE / JDE" = "Local / Distrital"
            if paired:  # "Vocal Ejecutivo Local / Distrital": complete the short one from the first
                head = meanings[0].rsplit(" ", 1)[0]
                meanings = [m if " " in m else f"{head} {m}" for m in meanings]
            for k, a in enumerate(acronyms):
                mine = [meanings[k]] if paired else meanings
                table.setdefault(a, [])
                table[a].extend(m for m in mine if m not in table[a])
    return table


def expand_query(query: str, glossary_path: str | None) -> str:
    """The query plus the glossary expansions of any acronym or meaning it contains."""
    table = load_glossary(glossary_path)
    fq = fold(query)
    additions: list[str] = []
    for acronym, meanings in table.items():
        a_hit = mentions(acronym, query, fq)
        m_hit = any(fold(m) in fq for m in meanings if len(m) > 4)
        if a_hit:
            additions.extend(meanings)
        elif m_hit:
            additions.append(acronym)
    seen = set()
    extra = [a for a in additions if not (fold(a) in seen or seen.add(fold(a)))]
    return query if not extra else query + " " + " ".join(extra)
