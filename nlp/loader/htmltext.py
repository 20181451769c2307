"""HTML inside table cells becomes plain sentences; list items and table rows stay separate."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TAG_RE = re.compile(r"</?(p|ol|ul|li|table|thead|tbody|tr|td|th|br|div|span|i|b|em|strong|sup|sub|u|h[1-6])\b[^>]*>", re.I)
_BLOCK = {"p", "li", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "ul"}
_END_PUNCT = tuple(".:;!?…")


def has_html(text: str) -> bool:
    return bool(_TAG_RE.search(text))


class _CellParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.units: list[str] = []  # sentences / list items in order
        self.buf: list[str] = []
        self.table_depth = 0
        self.rows: list[list[tuple[str, int, int]]] = []  # (text, rowspan, colspan)
        self.row: list[tuple[str, int, int]] | None = None
        self.cell: list[str] | None = None
        self.cell_span = (1, 1)
        self.header: list[str] = []
        self.in_thead = False

    # text flow ---------------------------------------------------------
    def flush(self) -> None:
        text = _squash("".join(self.buf))
        self.buf = []
        if text:
            self.units.append(text)

    def handle_starttag(self, tag: str, attrs) -> None:
        tag = tag.lower()
        if tag == "table":
            self.flush()
            self.table_depth += 1
            self.rows, self.header = [], []
        elif self.table_depth:
            if tag == "thead":
                self.in_thead = True
            elif tag == "tr":
                self.row = []
            elif tag in ("td", "th"):
                a = dict(attrs)
                self.cell = []
                self.cell_span = (_int(a.get("rowspan")), _int(a.get("colspan")))
        elif tag in _BLOCK:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag == "table" and self.table_depth:
            self.table_depth -= 1
            self.units.extend(_table_sentences(self.header, self.rows))
            self.rows, self.header = [], []
        elif self.table_depth:
            if tag in ("td", "th") and self.cell is not None and self.row is not None:
                self.row.append((_squash("".join(self.cell)), *self.cell_span))
                self.cell = None
            elif tag == "tr" and self.row is not None:
                if self.in_thead or (not self.rows and not self.header and _all_th(self.get_starttag_text())):
                    self.header = [c[0] for c in self.row]
                else:
                    self.rows.append(self.row)
                self.row = None
            elif tag == "thead":
                self.in_thead = False
        elif tag in _BLOCK:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.table_depth and self.cell is not None:
            self.cell.append(data)
        elif not self.table_depth:
            self.buf.append(data)


def _all_th(_: str | None) -> bool:
    return False


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _table_sentences(header: list[str], rows: list[list[tuple[str, int, int]]]) -> list[str]:
    """Flatten an HTML table into one sentence per row, carrying rowspans down."""
    ncols = max([len(header)] + [sum(c[2] for c in r) for r in rows] + [0])
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows left)
    out = []
    for row in rows:
        values: list[str] = []
        cells = list(row)
        col = 0
        while col < ncols:
            if col in carry and carry[col][1] > 0:
                text, left = carry[col]
                values.append(text)
                carry[col] = (text, left - 1)
                col += 1
                continue
            if not cells:
                break
            text, rowspan, colspan = cells.pop(0)
            for k in range(colspan):
                values.append(text if k == 0 else "")
                if rowspan > 1:
                    carry[col + k] = (text, rowspan - 1)
            col += colspan
        parts = []
        for i, v in enumerate(values):
            if not v:
                continue
            v = v.rstrip(":;,")
            name = header[i] if i < len(header) else ""
            parts.append(f"{name}: {v}" if name else v)
        if parts:
            out.append("; ".join(parts))
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def ensure_period(sentence: str) -> str:
    sentence = sentence.strip()
    if not sentence or sentence.endswith(_END_PUNCT) or sentence.endswith((")", "»", "”", '"')) and sentence[-2:-1] in ".!?":
        return sentence
    return sentence + "."


def html_to_sentences(text: str) -> list[str]:
    """Return the cell's sentences: one per paragraph, list item and table row."""
    if not has_html(text):
        return [_squash(html.unescape(text))] if text.strip() else []
    parser = _CellParser()
    parser.feed(text)
    parser.close()
    parser.flush()
    return [u for u in parser.units if u]


def html_to_text(text: str) -> str:
    """Plain text of a cell: sentences joined by spaces, list items closed with a period."""
    units = html_to_sentences(text)
    if len(units) <= 1:
        return units[0] if units else ""
    return " ".join(ensure_period(u) for u in units)
