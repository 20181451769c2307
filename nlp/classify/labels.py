"""Hand-made topic labels: reading and validating corpus/labels.csv (and the optional
hand-written supplement, used only as extra training data)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nlp.errors import InputError
from nlp.io import sha256_file

TOPICS = ("inseguridad", "logistica_resguardo", "problemas_sociales", "otros")
DISPLAY = {
    "inseguridad": "Inseguridad",
    "logistica_resguardo": "Logística y resguardo de documentación",
    "problemas_sociales": "Problemas sociales",
    "otros": "Otros",
}
# the 5th informe, section 3.2: shares of the topics addressed by the state mesas
PUBLISHED_SHARES = {"inseguridad": 0.384, "logistica_resguardo": 0.216, "problemas_sociales": 0.034, "otros": 0.366}
PUBLISHED_POPULATION = ("topics addressed in the 87 meetings of the state coordination mesas held between "
                        "14 March and 19 April 2024 (5th informe, section 3.2)")


@dataclass
class LabelSet:
    ids: list[str | None]
    texts: list[str]
    topics: list[str]
    also: list[list[str]]
    path: Path
    sha256: str


def read_labels(path: Path, *, require_ids: bool = True) -> LabelSet:
    path = Path(path)
    if not path.exists():
        raise InputError(f"labels file {path} not found")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        need = {"texto", "topic"} | ({"id"} if require_ids else set())
        if not need <= set(cols):
            raise InputError(f"{path}: needs columns {sorted(need)}, has {cols}")
        rows = list(reader)
    ids, texts, topics, also = [], [], [], []
    for n, row in enumerate(rows, 2):
        topic = (row.get("topic") or "").strip()
        if topic not in TOPICS:
            raise InputError(f"{path}:{n}: unknown topic {topic!r} (valid: {', '.join(TOPICS)})")
        text = (row.get("texto") or "").strip()
        if not text:
            raise InputError(f"{path}:{n}: empty texto")
        extra = [t for t in (row.get("also") or "").split(";") if t.strip()]
        bad = [t for t in extra if t not in TOPICS]
        if bad:
            raise InputError(f"{path}:{n}: unknown secondary topic {bad[0]!r}")
        ids.append(row.get("id") or None)
        texts.append(text)
        topics.append(topic)
        also.append(extra)
    return LabelSet(ids, texts, topics, also, path, sha256_file(path))


def supplement_path(labels_path: Path) -> Path:
    return Path(labels_path).with_name("labels_supplement.csv")
