"""Rows of an Entidad / Acuerdo (or Actividad) / Estatus table become draft records.

The rules, each for a quirk seen in the informes:
- a row with an empty Entidad cell continues the current state (merged cell);
- a cell cut by a page break goes on after the repeated header: the first row of the new page
  joins the previous record when it starts in lower case or the previous text is unfinished;
- shifted rows put the text in the Entidad column and the status in the Acuerdo column;
- numbered sub-items ("1. …", "3.1. …") under an introduction ending in ":" belong to it, and
  an introduction without status that follows a meeting report belongs to that meeting;
- rows opening with a back-reference ("Dicha reunión…", "Lo anterior…") continue the record;
- on pages rendered as paragraphs, a line holding only a status closes the record above it,
  a line holding only a state name labels the next record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.loader.htmltext import ensure_period, has_html, html_to_text
from nlp.loader.segment import Item, Table
from nlp.loader.states import canonical_state, fold
from nlp.record import STATUSES

_STATUS_BY_FOLD = {
    "planeacion": "Planeación", "en planeacion": "Planeación", "planeado": "Planeación",
    "en proceso": "En proceso", "proceso": "En proceso", "en progreso": "En proceso",
    "concluido": "Concluido", "concluida": "Concluido", "concluidos": "Concluido", "cumplido": "Concluido",
}
_NUMBERED_RE = re.compile(r"^(\d{1,2}(\.\d{1,2})*\.|[a-z]\)|[IVXL]{1,5}\.)\s+\S")
_ANAPHORA_RE = re.compile(
    r"^(dich[oa]s?\s|lo anterior\b|est[ea]s?\s+(reunion|mesa|sesion|acuerdo)\b|el objetivo de (esta|dicha|la) reunion|como resultado\b)"
)
_MEETING_RE = re.compile(r"\b(reunion|mesa|sesion)\b")
_OPENER_RE = re.compile(
    r"^((la|el|las|los)\s+(maestr[oa]|mtr[oa]\.?|licenciad[oa]|lic\.|c\.|ing\.|dra?\.)\s"
    r"|(reunion|mesa|sesion)\s+de\s+trabajo\b|mediante\s+oficio\b)"
)
_TERMINAL = (".", ";", "!", "?", ")", "»", "”", '"', "…")


def normalize_status(value: str) -> str | None:
    """Canonical status for a printed one, or None when the text is not a known status."""
    key = re.sub(r"\s+", " ", fold(value)).strip(" .*")
    return _STATUS_BY_FOLD.get(key)


@dataclass
class Draft:
    line: int
    label: str = ""  # Entidad as printed on this record's first row
    label_line: int | None = None
    parts: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, how it joined)
    status: str | None = None
    status_printed: str | None = None
    flags: list[str] = field(default_factory=list)
    end_line: int = 0

    @property
    def text(self) -> str:
        out = ""
        for _, piece, how in self.parts:
            if not out:
                out = piece
            elif how == "continuation":
                out = out.rstrip() + " " + piece.lstrip()
            else:
                out = ensure_period(out) + " " + piece
        return out.strip()

    def add(self, line: int, text: str, how: str) -> None:
        self.parts.append((line, text, how))
        self.end_line = max(self.end_line, line)
        if how != "first":
            flag = {"continuation": "joined_page_break", "item": "numbered_items_joined",
                    "intro": "numbered_items_joined", "anaphora": "joined_back_reference",
                    "paragraph": "joined_paragraph", "page": "joined_page_break"}.get(how)
            if flag and flag not in self.flags:
                self.flags.append(flag)

    def set_status(self, printed: str, line: int) -> None:
        printed = printed.strip()
        if not printed:
            return
        canon = normalize_status(printed)
        value = canon or printed
        if self.status is None:
            self.status, self.status_printed = value, printed
            if canon is None:
                self.flags.append(f"nonstandard_status:{printed}")
        elif value != self.status:
            self.flags.append(f"conflicting_status:{value}@{line}")
        self.end_line = max(self.end_line, line)

    @property
    def accepts_items(self) -> bool:
        return self.text.rstrip().endswith(":") or any(how in ("item", "intro") for _, _, how in self.parts[1:])


def _clean(cell: str, flags: list[str]) -> str:
    if has_html(cell):
        if "html_cleaned" not in flags:
            flags.append("html_cleaned")
        return html_to_text(cell)
    return re.sub(r"\s+", " ", cell).strip()


def _unfinished(text: str) -> bool:
    return not text.rstrip().endswith(_TERMINAL + (":",))


_FUNCTION_WORDS = {"de", "del", "la", "las", "el", "los", "y", "e", "o", "u", "a", "al", "en", "con", "para",
                   "por", "que", "su", "sus", "un", "una", "se", "como", "entre", "sobre"}


def _dangling(text: str) -> bool:
    """The text stops mid-phrase ('… Encargado de'): the next line must continue it."""
    stripped = text.rstrip()
    if stripped.endswith((",", "-", "–")):
        return True
    words = stripped.split()
    return bool(words) and fold(words[-1]) in _FUNCTION_WORDS


def build_grid(table: Table) -> tuple[list[Draft], list[tuple[int, str, str]]]:
    """Draft records of a grid table, and the lines it could not place: (line, reason, text)."""
    roles = table.header.roles
    col = {r: roles.index(r) for r in ("entidad", "texto", "estatus") if r in roles}
    drafts: list[Draft] = []
    unplaced: list[tuple[int, str, str]] = []
    current: Draft | None = None
    pending_label: tuple[str, int] | None = None
    after_header = False
    last_kind = ""

    def new_draft(line: int, label: str = "", label_line: int | None = None) -> Draft:
        nonlocal current, pending_label
        d = Draft(line=line, label=label, label_line=label_line, end_line=line)
        if not label and pending_label is not None:
            d.label, d.label_line = pending_label
            pending_label = None
        drafts.append(d)
        current = d
        return d

    for item in table.items:
        if item.kind == "header":
            after_header = True
            last_kind = "header"
            continue
        if item.kind == "para":
            text = item.text
            status = normalize_status(text)
            if status is not None:
                if current is None:
                    unplaced.append((item.line, "status with no record above it", text))
                else:
                    current.set_status(text, item.line)
                last_kind = "status"
                continue
            if canonical_state(text) is not None and len(text) < 40:
                pending_label = (text, item.line)
                last_kind = "label"
                continue
            flags: list[str] = []
            clean = _clean(text, flags)
            f = fold(clean)
            if current is not None and last_kind in ("row", "para") and (clean[:1].islower() or _dangling(current.text)):
                current.add(item.line, clean, "continuation")
            elif current is not None and _NUMBERED_RE.match(clean) and current.accepts_items:
                current.add(item.line, clean, "item")
            elif current is not None and _ANAPHORA_RE.match(f):
                current.add(item.line, clean, "anaphora")
            elif current is not None and current.accepts_items and not _OPENER_RE.match(f) and last_kind != "status":
                current.add(item.line, clean, "paragraph")
            else:
                d = new_draft(item.line)
                d.add(item.line, clean, "first")
                d.flags.append("paragraph_layout")
            for fl in flags:
                if current is not None and fl not in current.flags:
                    current.flags.append(fl)
            last_kind = "para"
            continue

        # a tab-separated row
        cells = [c.strip() for c in item.cells]
        cells += [""] * (len(roles) - len(cells))
        ent = cells[col["entidad"]] if "entidad" in col else ""
        text = cells[col["texto"]] if "texto" in col else ""
        status = cells[col["estatus"]] if "estatus" in col else ""
        extra = [c for k, c in enumerate(cells) if k >= len(roles) and c]
        row_flags: list[str] = []
        if ent and canonical_state(ent) is None and (not text or normalize_status(text)) and not status:
            # shifted row: text under Entidad, status under Acuerdo, trailing tab
            ent, text, status = "", ent, text
            row_flags.append("shifted_row")
        if extra:
            row_flags.append("extra_cells")
            unplaced.extend((item.line, "cell beyond the table's columns", e) for e in extra)
        if not text and not status:
            if ent:
                pending_label = (ent, item.line)
            last_kind = "label"
            continue
        if not text:
            if current is not None:
                current.set_status(status, item.line)
            else:
                unplaced.append((item.line, "status with no record above it", status))
            last_kind = "status"
            continue
        clean = _clean(text, row_flags)
        f = fold(clean)
        joined = False
        if ent and current is not None and _NUMBERED_RE.match(clean) and current.accepts_items and not current.label:
            # the merged Entidad cell printed its name beside a sub-item of the record above
            current.label, current.label_line = ent, item.line
            ent = ""
        if not ent and current is not None:
            if after_header and (clean[:1].islower() or _unfinished(current.text)) and (not status or not current.status):
                current.add(item.line, clean, "continuation")
                joined = True
            elif _NUMBERED_RE.match(clean) and current.accepts_items:
                current.add(item.line, clean, "item")
                joined = True
            elif clean.endswith(":") and not status and not current.accepts_items and _MEETING_RE.search(fold(current.text)):
                current.add(item.line, clean, "intro")
                joined = True
            elif _ANAPHORA_RE.match(f) and (not status or not current.status):
                current.add(item.line, clean, "anaphora")
                joined = True
        if joined:
            assert current is not None
            current.set_status(status, item.line)
            for fl in row_flags:
                if fl not in current.flags:
                    current.flags.append(fl)
        else:
            d = new_draft(item.line, ent, item.line if ent else None)
            d.add(item.line, clean, "first")
            d.flags.extend(fl for fl in row_flags if fl not in d.flags)
            d.set_status(status, item.line)
        after_header = False
        last_kind = "row"
    if pending_label is not None:
        if current is not None and not current.label:
            current.label, current.label_line = pending_label
        else:
            unplaced.append((pending_label[1], "state label with no record", pending_label[0]))
    return drafts, unplaced
