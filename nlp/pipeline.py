"""The pipeline stages behind `acuerdos build`: each stage skips itself when its inputs are unchanged."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nlp.config import Settings
from nlp.corpus import read_meta, write_corpus
from nlp.errors import InputError
from nlp.io import sha256_file
from nlp.loader import LOADER_VERSION, LoadResult, expand_paths, load_paths


@dataclass
class StageResult:
    name: str
    status: str
    artefact: str


@dataclass
class BuildSummary:
    stages: list[StageResult] = field(default_factory=list)
    failed: bool = False


def run_load(paths: list[Path], out: Path, fmt: str = "jsonl") -> tuple[LoadResult, dict | None]:
    result = load_paths(paths)
    if not result.records:
        if not result.errors:
            result.errors.append("no records found in the given paths")
        return result, None
    meta = write_corpus(result, out, fmt)
    return result, meta


def corpus_is_current(settings: Settings) -> bool:
    """True when the corpus was built by this loader from exactly the current seed files."""
    meta = read_meta(settings.corpus)
    if not meta or meta.get("loader_version") != LOADER_VERSION or not settings.corpus.exists():
        return False
    files, errors = expand_paths([settings.seeds])
    if errors:
        return False
    current = sorted((f.name, sha256_file(f)) for f in files)
    recorded = sorted((i["name"], i["sha256"]) for i in meta.get("inputs", []))
    return current == recorded and meta.get("sha256") == sha256_file(settings.corpus)


def run_build(settings: Settings, console=None) -> BuildSummary:
    summary = BuildSummary()
    if not settings.seeds.exists():
        raise InputError(f"{settings.seeds}: no such folder", hint="pass --seeds DIR")
    if corpus_is_current(settings):
        summary.stages.append(StageResult("load", "up to date", str(settings.corpus)))
    else:
        result, _ = run_load([settings.seeds], settings.corpus)
        if result.errors and console is not None:
            for e in result.errors:
                console.print(f"error: {e}", highlight=False, markup=False, soft_wrap=True)
        status = f"{len(result.records)} records, {len(result.skipped)} lines not placed"
        summary.stages.append(StageResult("load", status, str(settings.corpus)))
        summary.failed = summary.failed or bool(result.errors)
    return summary
