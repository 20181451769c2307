"""Turn a file into text lines, refusing binaries and recovering legacy encodings."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlp.errors import InputError

# bytes that never occur in text files; a few of them mean "binary"
_CONTROL = set(range(0, 9)) | {11, 12} | set(range(14, 32)) - {27}


@dataclass
class SourceText:
    path: Path
    lines: list[str]  # without line terminators; index 0 is line 1
    encoding: str
    raw: bytes


def read_source(path: Path) -> SourceText:
    """Read an informe; raise InputError with a one-line reason when it cannot be used."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a .txt file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not raw.strip():
        raise InputError(f"{path}: empty file")
    sample = raw[:65536]
    if b"\x00" in sample or sum(b in _CONTROL for b in sample) > max(8, len(sample) // 100):
        raise InputError(f"{path}: binary file, not a text extraction of an informe")
    text, encoding = _decode(raw, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return SourceText(path=path, lines=lines, encoding=encoding, raw=raw)


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("cp1252", "latin-1"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        # latin-1 decodes anything: accept it only if the result looks like Spanish text
        if _looks_like_text(text):
            return text, enc
    raise InputError(f"{path}: not UTF-8, cp1252 or latin-1 text")


def _looks_like_text(text: str) -> bool:
    bad = sum(1 for ch in text if 0x80 <= ord(ch) < 0xA0)
    return bad <= len(text) // 200
