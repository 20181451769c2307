"""Writing and reading the corpus: the records JSONL plus a sidecar saying what built it."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nlp import __version__
from nlp.errors import InputError, StaleArtefactError
from nlp.io import read_json, read_jsonl, sha256_file, write_csv, write_json, write_jsonl
from nlp.loader import LOADER_VERSION, LoadResult
from nlp.record import Record

CSV_COLUMNS = ["id", "source", "informe", "section", "line", "end_line", "entidad", "entidad_printed",
               "estatus", "flags", "texto", "extra"]


def meta_path(corpus: Path) -> Path:
    return Path(corpus).with_suffix(".meta.json")


def write_corpus(result: LoadResult, out: Path, fmt: str = "jsonl") -> dict[str, Any]:
    """Write records atomically, then the sidecar with input hashes; returns the sidecar."""
    rows = [r.to_dict() for r in result.records]
    if fmt == "jsonl":
        write_jsonl(out, rows)
    elif fmt == "csv":
        write_csv(out, rows, CSV_COLUMNS)
    else:
        raise InputError(f"unknown format {fmt!r}: use jsonl or csv")
    meta = {
        "kind": "acuerdos-corpus",
        "format": fmt,
        "acuerdos_version": __version__,
        "loader_version": LOADER_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"file": str(f.path), "name": f.path.name, "sha256": f.sha256, "encoding": f.encoding,
             "records": len(f.records)}
            for f in result.files
        ],
        "records": len(rows),
        "sha256": sha256_file(out),
        "skipped": [{"source": s.source, "line": s.line, "reason": s.reason, "text": s.text} for s in result.skipped],
        "errors": list(result.errors),
    }
    write_json(meta_path(out), meta)
    return meta


def read_corpus(path: Path) -> list[Record]:
    """Records of a corpus JSONL; a clear error when it is missing or not a corpus."""
    path = Path(path)
    if not path.exists():
        raise StaleArtefactError(f"corpus {path} not found", hint="run `acuerdos load` or `acuerdos build`")
    if path.suffix.lower() == ".csv":
        import csv

        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        out = []
        for row in rows:
            row["flags"] = [f for f in (row.get("flags") or "").split(";") if f]
            row["extra"] = json.loads(row["extra"]) if row.get("extra") else {}
            for key in ("informe", "line", "end_line"):
                row[key] = int(row[key]) if row.get(key) else None
            row["estatus"] = row.get("estatus") or None
            row["entidad"] = row.get("entidad") or None
            out.append(Record.from_dict(row))
        return out
    rows = read_jsonl(path)
    try:
        return [Record.from_dict(r) for r in rows]
    except TypeError as exc:
        raise InputError(f"{path}: not an acuerdos corpus ({exc})") from None


def corpus_fingerprint(path: Path) -> str:
    """Hash of the corpus file: what downstream artefacts record as their input."""
    if not Path(path).exists():
        raise StaleArtefactError(f"corpus {path} not found", hint="run `acuerdos load`")
    return sha256_file(path)


def read_meta(path: Path) -> dict[str, Any] | None:
    mp = meta_path(path)
    return read_json(mp) if mp.exists() else None
