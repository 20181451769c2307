"""Form-style visit reports: one record per visit with its state, date, junta, objective and
the text of the project it relates to (the "Con que proyecto de la CIP se relaciona" column)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.loader.grid import Draft
from nlp.loader.htmltext import has_html, html_to_text
from nlp.loader.segment import Table
from nlp.loader.states import fold

_FIELDS = [
    ("direccion", r"Direcci[oó]n\s+Ejecutiva\s+o\s+Unidad\s+T[eé]cnica"),
    ("entidad", r"Entidad\s+Federativa"),
    ("fecha", r"Fecha\s+de\s+visita"),
    ("junta", r"(?<![\w])Junta"),
    ("distritos", r"Distritos"),
    ("objetivo", r"Objetivo\s+de\s+la\s+visita"),
    ("personal_capacitado", r"Total\s+de\s+personal\s+capacitado"),
    ("observaciones", r"Observaciones"),
]
_LABEL_RE = re.compile("|".join(f"(?P<{k}>{p})\\s*:" for k, p in _FIELDS))
_STOP_RE = re.compile(r"^\s*(\*\*|Asuntos relevantes tratados|CON LOS ÓRGANOS)", re.M)


def looks_like_visit_form(lines: list[str]) -> bool:
    text = "\n".join(lines)
    return bool(re.search(r"Entidad\s+Federativa\s*:", text)) and bool(re.search(r"Objetivo\s+de\s+la\s+visita\s*:", text))


@dataclass
class Visit:
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    draft: Draft | None = None


def _field_events(lines: list[str], table_lines: set[int]) -> list[tuple[int, str, str]]:
    """(line, field, value) for every form label outside the tables."""
    events = []
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if not block:
            return
        text = ""
        offsets = []
        for ln, t in block:
            offsets.append((len(text), ln))
            text += t + "\n"
        matches = list(_LABEL_RE.finditer(text))
        for k, m in enumerate(matches):
            end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
            value = text[m.end():end]
            stop = _STOP_RE.search(value)
            if stop:
                value = value[: stop.start()]
            value = re.sub(r"_{2,}", "", value)
            value = re.sub(r"\s+", " ", value).strip()
            ln = max(l for off, l in offsets if off <= m.start())
            events.append((ln, m.lastgroup, value))
        block.clear()

    for i, line in enumerate(lines, 1):
        if i in table_lines:
            flush()
            continue
        block.append((i, line))
    flush()
    return events


def build_visits(lines: list[str], tables: list[Table]) -> tuple[list[tuple[Draft, dict]], list[tuple[int, str, str]]]:
    table_lines = set()
    for t in tables:
        table_lines.add(t.start)
        table_lines.update(it.line for it in t.items)
    visits: list[Visit] = []
    for ln, name, value in _field_events(lines, table_lines):
        if name in ("direccion", "entidad") and (not visits or name in visits[-1].fields):
            visits.append(Visit(line=ln))
        if not visits:
            visits.append(Visit(line=ln))
        visits[-1].fields[name] = value
        visits[-1].field_lines[name] = ln
    unplaced: list[tuple[int, str, str]] = []
    for t in tables:
        owner = next((v for v in reversed(visits) if v.line <= t.start), None)
        for item in t.items:
            if item.kind == "header":
                continue
            cells = [c.strip() for c in item.cells]
            raw_cells = [c for c in cells if c]
            if owner is None:
                unplaced.append((item.line, "visit table before any visit form", " | ".join(raw_cells)))
                continue
            ncols = len(t.header.roles)
            main = [c for c in cells[:ncols] if c]
            rest = [c for c in cells[ncols:] if c]
            current = owner.draft.text if owner.draft else ""
            if main and owner.draft and all(fold(re.sub(r"\s+", " ", c)).rstrip(":") in fold(current) for c in main):
                unplaced.append((item.line, "repeats the HTML table already read in this visit", " | ".join(main)))
                continue
            flags: list[str] = []
            pieces = []
            for c in main:
                if has_html(c):
                    flags.append("html_cleaned")
                    pieces.append(html_to_text(c))
                else:
                    pieces.append(re.sub(r"\s+", " ", c))
            text = " ".join(pieces)
            if not text:
                continue
            if owner.draft is None:
                owner.draft = Draft(line=item.line, end_line=item.line)
                owner.draft.add(item.line, text, "first")
            else:
                owner.draft.add(item.line, text, "page" if t.start > owner.draft.end_line else "paragraph")
            if rest:
                dup = all(fold(c).rstrip(":") in fold(owner.draft.text) for c in rest)
                if dup:
                    owner.draft.flags.append("duplicate_cells_dropped")
                else:
                    unplaced.append((item.line, "cell beyond the table's columns", " | ".join(rest)))
            for fl in flags:
                if fl not in owner.draft.flags:
                    owner.draft.flags.append(fl)
    out = []
    for v in visits:
        if v.draft is None:
            v.draft = Draft(line=v.field_lines.get("objetivo", v.line), end_line=v.line)
            v.draft.add(v.draft.line, v.fields.get("objetivo", ""), "first")
            v.draft.flags.append("no_project_text")
        out.append((v.draft, dict(v.fields)))
    return out, unplaced
