"""The loader: informes (text extractions of the PDFs) become clean, traceable records."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp.errors import InputError
from nlp.loader.assign import assign_states
from nlp.loader.grid import Draft, build_grid
from nlp.loader.mesa import build_meetings
from nlp.loader.reading import read_source
from nlp.loader.segment import GRID_SECTIONS, Skipped, segment
from nlp.loader.states import NACIONAL, canonical_state, evidence, fold
from nlp.loader.visits import build_visits, looks_like_visit_form
from nlp.record import Record, record_id

LOADER_VERSION = "1"

_ORDINALS = {
    "primer": 1, "primero": 1, "segundo": 2, "tercer": 3, "tercero": 3, "cuarto": 4, "quinto": 5,
    "sexto": 6, "septimo": 7, "octavo": 8, "noveno": 9, "decimo": 10, "undecimo": 11,
    "duodecimo": 12,
}
_INFORME_RE = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b(\s+y\s+ultimo)?\s+informe\b")
# characters that a PDF extraction of Spanish text should not contain
_BROKEN_RE = re.compile(r"[\ufffd\u0600-\u06ff\u0400-\u04ff\u0590-\u05ff\u0e00-\u0e7f\u4e00-\u9fff\x00-\x08\x0b\x0c\x0e-\x1f]|Ã[\x80-\xbf¡-¿]|â€")


@dataclass
class FileResult:
    path: Path
    records: list[Record] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    encoding: str = "utf-8"
    sha256: str = ""


@dataclass
class LoadResult:
    records: list[Record] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)


def detect_informe(lines: list[str]) -> int | None:
    """5, 6, 7 … from a title such as 'Quinto Informe' or 'Séptimo y último informe'."""
    for line in lines[:60]:
        m = _INFORME_RE.search(fold(line))
        if m:
            return _ORDINALS[m.group(1)]
    return None


def _finish(draft: Draft, *, source: str, informe: int | None, section: str, entidad: str | None,
            flags: list[str], extra: dict | None = None, encoding: str = "utf-8") -> Record:
    text = draft.text
    all_flags = list(draft.flags)
    for f in flags:
        if f not in all_flags:
            all_flags.append(f)
    if _BROKEN_RE.search(text):
        all_flags.append("broken_chars")
    if encoding != "utf-8":
        all_flags.append(f"decoded_as:{encoding}")
    if draft.status is None and section in GRID_SECTIONS:
        all_flags.append("missing_status")
    extra = dict(extra or {})
    if draft.label_line and draft.label_line != draft.line:
        extra["label_line"] = draft.label_line  # the state name was printed on another line
    return Record(
        id=record_id(source, draft.line, text),
        source=source,
        informe=informe,
        section=section,
        line=draft.line,
        entidad=entidad,
        entidad_printed=draft.label,
        texto=text,
        estatus=draft.status,
        flags=all_flags,
        end_line=draft.end_line or draft.line,
        extra=extra,
    )


def load_file(path: Path) -> FileResult:
    """Records of one informe; raises InputError when the file cannot be used at all."""
    src = read_source(path)
    from nlp.io import sha256_bytes

    result = FileResult(path=Path(path), encoding=src.encoding, sha256=sha256_bytes(src.raw))
    source = Path(path).name
    informe = detect_informe(src.lines)
    tables, skipped = segment(src.lines, source)
    result.skipped.extend(skipped)
    if not tables:
        raise InputError(
            f"{path}: no recognisable table (expected a header row such as 'Entidad<TAB>Acuerdo<TAB>Estatus')"
        )
    visit_tables = [t for t in tables if t.section == "visita"]
    for table in tables:
        if table.section in GRID_SECTIONS:
            drafts, unplaced = build_grid(table)
            for draft, (state, flags) in zip(drafts, assign_states(drafts)):
                result.records.append(_finish(draft, source=source, informe=informe, section=table.section,
                                              entidad=state, flags=flags, encoding=src.encoding))
        elif table.section == "mesa_federal":
            meetings, unplaced = build_meetings(table)
            for draft, extra in meetings:
                result.records.append(_finish(draft, source=source, informe=informe, section="mesa_federal",
                                              entidad=NACIONAL, flags=[], extra=extra, encoding=src.encoding))
        else:
            continue
        result.skipped.extend(Skipped(source, ln, why, text) for ln, why, text in unplaced)
    if visit_tables:
        if not looks_like_visit_form(src.lines):
            for t in visit_tables:
                result.skipped.extend(Skipped(source, it.line, "visit table without a visit form", " | ".join(it.cells)) for it in t.items)
        else:
            visits, unplaced = build_visits(src.lines, visit_tables)
            for draft, fields in visits:
                printed = fields.get("entidad", "")
                state = canonical_state(printed) if printed else None
                flags = [] if state else ["entity_generic" if printed else "entity_unknown"]
                ev = evidence(draft.text)
                if state and ev and state not in ev:
                    flags.extend(f"entity_mismatch:{s}" for s in sorted(ev))
                draft.label = printed
                result.records.append(_finish(draft, source=source, informe=informe, section="visita",
                                              entidad=state, flags=flags, extra=fields, encoding=src.encoding))
            result.skipped.extend(Skipped(source, ln, why, text) for ln, why, text in unplaced)
    result.records.sort(key=lambda r: r.line)
    result.skipped.sort(key=lambda s: s.line)
    return result


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files to load: a folder means every .txt in it (sorted); missing paths are errors."""
    files, errors = [], []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() == ".txt" and q.is_file())
            if not found:
                errors.append(f"{p}: folder holds no .txt file")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            errors.append(f"{p}: no such file or folder")
    return files, errors


def load_paths(paths: list[Path]) -> LoadResult:
    """Load every file; a file that fails is reported and the others are still loaded."""
    files, errors = expand_paths(paths)
    out = LoadResult(errors=errors)
    for f in files:
        try:
            fr = load_file(f)
        except InputError as exc:
            out.errors.append(str(exc))
            continue
        out.files.append(fr)
        out.records.extend(fr.records)
        out.skipped.extend(fr.skipped)
    ids = {}
    for r in out.records:
        if r.id in ids:  # same file, line and text twice cannot happen; keep ids unique anyway
            r.id = record_id(r.source, r.line, r.texto + f"#{ids[r.id]}")
        ids[r.id] = ids.get(r.id, 0) + 1
    return out
