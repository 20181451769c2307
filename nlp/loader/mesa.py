"""Federal meeting tables: one record per meeting, its agenda points as the text."""
from __future__ import annotations

import re
from datetime import date

from nlp.loader.grid import Draft
from nlp.loader.htmltext import has_html, html_to_text
from nlp.loader.segment import Table
from nlp.loader.states import fold

_MONTHS = {m: i for i, m in enumerate(
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(), 1)}


def parse_date(text: str) -> date | None:
    """'27-02-24', '23/04/24', '26 de marzo de 24' or '... de 2024' as a date."""
    t = fold(text)
    m = re.search(r"\b(\d{1,2})[-/](\d{1,2})[-/](\d{2,4})\b", t)
    if m:
        d, mo, y = (int(g) for g in m.groups())
    else:
        m = re.search(r"\b(\d{1,2})\s+de\s+([a-z]+)\s+(?:de(?:l)?\s+)?(\d{2,4})\b", t)
        if not m or m.group(2) not in _MONTHS:
            return None
        d, mo, y = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    if y < 100:
        y += 2000
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def build_meetings(table: Table) -> tuple[list[tuple[Draft, dict]], list[tuple[int, str, str]]]:
    """(draft, extra fields) per meeting; rows without a meeting name continue the one above."""
    roles = table.header.roles
    out: list[tuple[Draft, dict]] = []
    unplaced: list[tuple[int, str, str]] = []
    for item in table.items:
        if item.kind == "header":
            continue
        if item.kind == "para":
            if out:
                out[-1][0].add(item.line, re.sub(r"\s+", " ", item.text), "continuation")
            else:
                unplaced.append((item.line, "text before the first meeting", item.text))
            continue
        cells = [c.strip() for c in item.cells] + [""] * len(roles)
        fields = {r: cells[k] for k, r in enumerate(roles) if r}
        extra_cells = [c for k, c in enumerate(cells[: len(item.cells)]) if k >= len(roles) and c]
        unplaced.extend((item.line, "cell beyond the table's columns", c) for c in extra_cells)
        name = fields.get("reunion", "")
        if "texto" not in roles:  # ID / Fecha / Mesa: the meeting name is the text
            name, text = fields.get("reunion", ""), fields.get("reunion", "")
        else:
            text = fields.get("texto", "")
        flags: list[str] = []
        if has_html(text):
            text = html_to_text(text)
            flags.append("html_cleaned")
        else:
            text = re.sub(r"\s+", " ", text).strip()
        if not name and not fields.get("fecha") and not fields.get("id") and out:
            d = out[-1][0]
            d.add(item.line, text, "continuation")
            for fl in flags:
                if fl not in d.flags:
                    d.flags.append(fl)
            continue
        if not text:
            unplaced.append((item.line, "meeting row without text", item.cells and " | ".join(item.cells) or ""))
            continue
        d = Draft(line=item.line, end_line=item.line, flags=flags)
        d.add(item.line, text, "first")
        extra = {"reunion": name, "fecha": fields.get("fecha", "")}
        if fields.get("id"):
            extra["id_tabla"] = fields["id"]
        when = parse_date(fields.get("fecha", ""))
        extra["fecha_iso"] = when.isoformat() if when else None
        out.append((d, extra))
    prev: date | None = None
    for d, extra in out:
        when = date.fromisoformat(extra["fecha_iso"]) if extra["fecha_iso"] else None
        if when is None and extra["fecha"]:
            d.flags.append("unparsed_date")
        if when and prev and when < prev:
            d.flags.append("date_out_of_order")
        prev = when or prev
    return out, unplaced
