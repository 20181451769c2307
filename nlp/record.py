"""The one record type shared by loader, classifier, index, duplicates and reports."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

SECTIONS = ("acuerdos", "medidas_adicionales", "mesa_federal", "visita")
STATUSES = ("Planeación", "En proceso", "Concluido")


def record_id(source: str, line: int, texto: str) -> str:
    """Stable id: the same file, line and text always give the same id."""
    digest = hashlib.sha1(f"{source}\x1f{line}\x1f{texto}".encode("utf-8")).hexdigest()
    return digest[:16]


@dataclass
class Record:
    """One acuerdo (or meeting, or visit) with its provenance and data-quality flags."""

    id: str
    source: str
    informe: int | None
    section: str
    line: int
    entidad: str | None
    entidad_printed: str
    texto: str
    estatus: str | None
    flags: list[str] = field(default_factory=list)
    # where the record ends in the source (multi-line records: page breaks, sub-items)
    end_line: int | None = None
    # section-specific fields (meeting name and date, visit date/junta/objective…)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Record":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known.setdefault("flags", [])
        known.setdefault("extra", {})
        return cls(**known)

    def has_flag(self, prefix: str) -> bool:
        return any(f == prefix or f.startswith(prefix + ":") for f in self.flags)
