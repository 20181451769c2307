"""Counts per source, section, status and state: the figures analysts check first."""
from __future__ import annotations

from collections import Counter
from typing import Any

from nlp.record import Record

NO_STATUS = "(sin estatus)"
NO_STATE = "(sin entidad)"


def corpus_stats(records: list[Record]) -> dict[str, Any]:
    def count(key) -> dict[str, int]:
        c = Counter(key(r) for r in records)
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0]))))

    by_source_section: dict[str, dict[str, int]] = {}
    for r in records:
        by_source_section.setdefault(r.source, Counter())[r.section] += 1
    flags = Counter(f.split(":")[0] for r in records for f in r.flags)
    return {
        "records": len(records),
        "source": count(lambda r: r.source),
        "source_section": {k: dict(v) for k, v in sorted(by_source_section.items())},
        "section": count(lambda r: r.section),
        "estatus": count(lambda r: r.estatus or NO_STATUS),
        "entidad": count(lambda r: r.entidad or NO_STATE),
        "informe": count(lambda r: str(r.informe) if r.informe is not None else "-"),
        "flags": dict(sorted(flags.items(), key=lambda kv: -kv[1])),
    }
