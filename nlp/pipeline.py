"""The pipeline stages behind `acuerdos build`: each stage skips itself when its inputs are unchanged."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nlp.config import Settings
from nlp.corpus import corpus_fingerprint, read_corpus, read_meta, write_corpus
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


def _report_inputs(settings: Settings) -> dict[str, str | None]:
    from nlp.io import read_json

    def created(path: Path) -> str | None:
        return read_json(path).get("created") if path.exists() else None

    return {"corpus": sha256_file(settings.corpus),
            "topics": created(settings.corpus.with_name("topics.meta.json")),
            "duplicates": created(settings.corpus.with_name("duplicates.json")),
            "model": created(settings.topic_model_dir / "meta.json")}


def run_report(settings: Settings, out_dir: Path | None = None, force: bool = False) -> tuple[dict, bool]:
    """Write the report unless it was already written from exactly these inputs."""
    from nlp.io import read_json, write_json
    from nlp.report import write_report

    out_dir = Path(out_dir or settings.reports)
    inputs = _report_inputs(settings)
    meta_file = out_dir / "report.meta.json"
    if not force and meta_file.exists() and (out_dir / "report.html").exists() and read_json(meta_file).get("inputs") == inputs:
        return {"html": out_dir / "report.html", "markdown": out_dir / "report.md"}, False
    paths = write_report(settings, out_dir)
    write_json(meta_file, {"kind": "acuerdos-report", "inputs": inputs})
    return paths, True


STAGES = ("load", "train", "classify", "index", "duplicates", "report")


def run_build(settings: Settings, console=None) -> BuildSummary:
    """load -> train (if stale) -> classify -> index -> duplicates -> report, skipping unchanged stages."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    summary = BuildSummary()
    if not settings.seeds.exists():
        raise InputError(f"{settings.seeds}: no such folder", hint="pass --seeds DIR")
    progress = Progress(SpinnerColumn(), TextColumn("{task.description:<11}"), BarColumn(), TimeElapsedColumn(),
                        console=console, disable=console is None, transient=False)
    with progress:
        tasks = {name: progress.add_task(name, total=1) for name in STAGES}

        def done(stage: StageResult) -> None:
            summary.stages.append(stage)
            progress.update(tasks[stage.name], completed=1)

        if corpus_is_current(settings):
            done(StageResult("load", "up to date", str(settings.corpus)))
        else:
            result, _ = run_load([settings.seeds], settings.corpus)
            if result.errors and console is not None:
                for e in result.errors:
                    console.print(f"error: {e}", highlight=False, markup=False, soft_wrap=True)
            summary.failed = summary.failed or bool(result.errors)
            done(StageResult("load", f"{len(result.records)} records, {len(result.skipped)} lines not placed",
                             str(settings.corpus)))
            if not result.records:
                return summary
        from nlp.classify.run import classify_corpus, run_train

        tmeta, trained = run_train(settings, force=False)
        done(StageResult("train", f"{tmeta['model']}, CV macro-F1 {tmeta['metrics']['macro_f1']:.3f}"
                         + ("" if trained else " (up to date)"), str(settings.topic_model_dir)))
        tpath, classified = classify_corpus(settings)
        done(StageResult("classify", "topics predicted" if classified else "up to date", str(tpath)))
        meta, rebuilt = run_search_build(settings, progress=console)
        adapter = f", query adapter ({meta['adapter']['questions']} questions)" if meta["adapter"] else ""
        done(StageResult("index", f"{meta['records']} records, {meta['dense_index']} + BM25{adapter}"
                         + ("" if rebuilt else " (up to date)"), str(settings.index_dir)))
        from nlp.dup_run import write_duplicates

        dpath, fresh = write_duplicates(settings)
        done(StageResult("duplicates", "groups and tracking" if fresh else "up to date", str(dpath)))
        paths, wrote = run_report(settings)
        done(StageResult("report", "HTML, Markdown, CSV, XLSX" if wrote else "up to date", str(paths["html"])))
    return summary


def run_index(settings: Settings, model: str | None = None, force: bool = False, progress=None) -> tuple[dict, bool]:
    """Build or update the search index; returns (meta, rebuilt). Unchanged inputs: nothing to do."""
    from nlp.encoder import resolve_encoder
    from nlp.index import INDEX_VERSION, build_index, read_index_meta

    sha = corpus_fingerprint(settings.corpus)
    encoder = resolve_encoder(settings, model)
    meta = read_index_meta(settings.index_dir)
    if (not force and meta and meta.get("corpus_sha256") == sha and meta.get("model_fingerprint") == encoder.fingerprint
            and meta.get("index_version") == INDEX_VERSION and (settings.index_dir / "dense.faiss").exists()):
        return meta, False
    records = read_corpus(settings.corpus)
    return build_index(records, sha, encoder, settings.index_dir, progress=progress), True


def run_search_build(settings: Settings, model: str | None = None, force: bool = False, progress=None) -> tuple[dict, bool]:
    """The index, then the query adapter fitted on it: everything `search` and `states` need."""
    meta, rebuilt = run_index(settings, model, force, progress)
    adapter_meta, fitted = run_adapter(settings, force=force or rebuilt)
    meta = {**meta, "adapter": adapter_meta, "index_rebuilt": rebuilt, "adapter_fitted": fitted}
    return meta, rebuilt or fitted


def run_adapter(settings: Settings, force: bool = False) -> tuple[dict | None, bool]:
    """Fit the query adapter (nlp.adapter) when missing or stale; (meta or None, fitted now)."""
    import time

    from nlp import adapter as qa
    from nlp.search_eval import load_queries

    searcher = open_searcher(settings, with_adapter=False)
    want = qa.inputs(searcher.index.meta, settings.search_training, settings.glossary)
    meta = qa.read_meta(settings.adapter_dir)
    if not force and meta and meta.get("inputs") == want:
        return meta, False
    questions = [q for p in settings.search_training if p.exists() for q in load_queries(p)]
    t0 = time.perf_counter()
    fitted, n = qa.fit_searcher(searcher, questions)
    if fitted is None:
        if settings.adapter_dir.exists():
            import shutil

            shutil.rmtree(settings.adapter_dir)  # a stale adapter must not outlive its inputs
        return None, False
    meta = {"kind": "acuerdos-query-adapter", "inputs": want, "questions": n,
            "hyperparameters": {"epochs": qa.EPOCHS, "learning_rate": qa.LEARNING_RATE, "l2": qa.L2,
                                "temperature": qa.TEMPERATURE, "seed": qa.SEED},
            "seconds": round(time.perf_counter() - t0, 1)}
    qa.write(fitted, settings.adapter_dir, meta)
    return meta, True


def open_searcher(settings: Settings, model: str | None = None, with_adapter: bool = True):
    """The index checked against the current corpus and the query model, ready to search."""
    from nlp.encoder import resolve_encoder
    from nlp.index import load_index, read_index_meta
    from nlp.search import Searcher

    meta = read_index_meta(settings.index_dir)
    name = model or (meta or {}).get("model_name") or settings.encoder
    encoder = resolve_encoder(settings, name, build=False) if meta else None
    index = load_index(settings.index_dir, corpus_sha256=corpus_fingerprint(settings.corpus),
                       model_fingerprint=encoder.fingerprint if encoder else None, model_name=name)
    topics = _topic_map(settings)
    if topics:
        for r in index.records:
            if r["id"] in topics:
                r["topic"] = topics[r["id"]]
    adapter = None
    if with_adapter and model in (None, index.meta.get("model_name")):
        from nlp import adapter as qa

        adapter = qa.load(settings.adapter_dir, qa.inputs(index.meta, settings.search_training, settings.glossary),
                          int(index.meta["dim"]))
    return Searcher(index, encoder, str(settings.glossary), adapter=adapter)


def _topic_map(settings: Settings) -> dict[str, str]:
    """Predicted topic per record id, when the classify stage has run on this corpus."""
    from nlp.io import read_jsonl

    path = settings.corpus.with_name("topics.jsonl")
    if not path.exists():
        return {}
    return {row["id"]: row["topic"] for row in read_jsonl(path) if "topic" in row}
