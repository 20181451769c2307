"""Find the tables of an informe and cut them into items (rows, headers, paragraph lines).

A table starts at a recognised header row. Page breaks show up as a blank line and the header
printed again; the table goes on. Some pages of a table come out as plain paragraphs (no tabs):
when the table resumes after them (a row or a repeated header before any heading or "Fuente:"),
those lines are table content and are kept as paragraph items.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.loader.states import fold

GRID_SECTIONS = ("acuerdos", "medidas_adicionales")


@dataclass
class Header:
    section: str
    roles: tuple[str, ...]  # role of each column: entidad, texto, estatus, reunion, fecha, id, proyecto…
    cells: tuple[str, ...]


@dataclass
class Item:
    line: int
    kind: str  # "header" | "row" | "para"
    cells: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class Table:
    header: Header
    start: int
    items: list[Item] = field(default_factory=list)

    @property
    def section(self) -> str:
        return self.header.section


@dataclass
class Skipped:
    source: str
    line: int
    reason: str
    text: str

    def __str__(self) -> str:
        snippet = self.text if len(self.text) <= 70 else self.text[:67] + "..."
        return f"{self.source}:{self.line}: {self.reason}: {snippet}"


def classify_header(line: str) -> Header | None:
    """Recognise a table header row by its column names (accents and case ignored)."""
    if "\t" not in line:
        return None
    raw = [c.strip() for c in line.split("\t")]
    while raw and not raw[-1]:
        raw.pop()  # trailing empty columns of a wide extraction
    cells = [fold(c).strip("*: ") for c in raw]
    nonempty = [c for c in cells if c]
    if len(nonempty) < 2:
        return None
    first = cells[0]

    def roles(mapping) -> tuple[str, ...]:
        out = []
        for c in cells:
            role = ""
            for key, name in mapping:
                if c and re.search(key, c):
                    role = name
                    break
            out.append(role)
        return tuple(out)

    if first.startswith("entidad") and any(re.search(r"^(acuerdo|actividad|medida|accion)", c) for c in cells[1:]):
        section = "acuerdos" if any(c.startswith("acuerdo") for c in cells[1:]) else "medidas_adicionales"
        return Header(section, roles([(r"^entidad", "entidad"), (r"^(acuerdo|actividad|medida|accion)", "texto"), (r"^(estatus|status|estado)", "estatus")]), tuple(raw))
    if ("fecha" in cells) and any("mesa" in c or "reunion" in c for c in cells) and (first in ("id", "no", "no.", "#") or first.startswith("mesa") or first.startswith("reunion")):
        mapping = [(r"^(id|no\.?|#)$", "id"), (r"^fecha", "fecha"), (r"^(puntos|temas|orden|asuntos)", "texto"), (r"(mesa|reunion)", "reunion")]
        return Header("mesa_federal", roles(mapping), tuple(raw))
    if any("proyecto de la cip" in c for c in cells) and first.startswith("asuntos"):
        return Header("visita", tuple(["asunto"] * (len(cells) - 1) + ["proyecto"]) if cells[-1] else roles([(r"proyecto de la cip", "proyecto"), (r".", "asunto")]), tuple(raw))
    return None


_END_RE = re.compile(r"^(#|fuente\s*:|\*\*(gr[aá]fica|imagen|tabla|cuadro)\b)", re.I)
_FOOTNOTE_RE = re.compile(r"^(<sup>\s*\d+\s*</sup>|\[\^?\d+\]|\d+\s+consultable)", re.I)


def is_end_marker(line: str) -> bool:
    return bool(_END_RE.match(line.strip()))


def is_footnote(line: str) -> bool:
    return bool(_FOOTNOTE_RE.match(line.strip()))


def segment(lines: list[str], source: str) -> tuple[list[Table], list[Skipped]]:
    """Split a document into tables of items; report tab lines that belong to no table."""
    tables: list[Table] = []
    skipped: list[Skipped] = []
    current: Table | None = None
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        lineno = i + 1
        if not line.strip():
            i += 1
            continue
        header = classify_header(line)
        if header is not None:
            if current is not None and current.header.roles == header.roles and current.section == header.section:
                current.items.append(Item(lineno, "header", list(header.cells)))
            else:
                current = Table(header=header, start=lineno)
                tables.append(current)
            i += 1
            continue
        if current is None:
            if "\t" in line:
                skipped.append(Skipped(source, lineno, "tab-separated line outside any recognised table (e.g. a table of contents)", line.replace("\t", " | ").strip()))
            i += 1
            continue
        if "\t" in line:
            current.items.append(Item(lineno, "row", line.split("\t")))
            i += 1
            continue
        # a line without tabs inside a table: the end of the table, or a page rendered as text
        if current.section == "visita" or is_end_marker(line):
            current = None
            continue
        j = i
        while j < n:
            probe = lines[j]
            if probe.strip():
                if is_end_marker(probe):
                    break
                hdr = classify_header(probe)
                if hdr is not None or "\t" in probe:
                    break
            j += 1
        resumes = j < n and not is_end_marker(lines[j]) and (
            (classify_header(lines[j]) is None) or (classify_header(lines[j]).roles == current.header.roles)
        )
        if not resumes:
            # lines i..j-1 hold no tabs: prose after the table, not table content
            current = None
            i = j
            continue
        for k in range(i, j):
            text = lines[k].strip()
            if not text:
                continue
            if is_footnote(text):
                skipped.append(Skipped(source, k + 1, "footnote between pages of a table", text))
            else:
                current.items.append(Item(k + 1, "para", [], text))
        i = j
    return tables, skipped
