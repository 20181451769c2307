"""The `acuerdos` command line: a thin layer over the library functions."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from nlp.config import get_settings
from nlp.errors import AcuerdosError

app = typer.Typer(
    help="Toolkit for the INE security-coordination informes: load, classify, search, deduplicate, report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def error_line(message: str) -> None:
    """One line on stderr, never wrapped, so scripts and people can read it."""
    typer.echo(f"error: {' '.join(str(message).split())}", err=True)


def fail(message: str, code: int = 1) -> None:
    error_line(message)
    raise typer.Exit(code)


def handle_errors(func):
    """Known errors become one line and an exit code; unknown ones too (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except AcuerdosError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as exc:  # noqa: BLE001 - the user gets one line, not a traceback
            if "ACUERDOS_DEBUG" in __import__("os").environ:
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (set ACUERDOS_DEBUG=1 for the traceback)", 70)

    return wrapper


# ---------------------------------------------------------------- load / stats
@app.command()
@handle_errors
def load(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Informe .txt files or folders (default: seeds/).")] = None,
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output file (default: corpus/acuerdos.jsonl).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and the summary line.")] = False,
) -> None:
    """Parse informes into clean acuerdo records (one JSON object per line)."""
    from nlp.pipeline import run_load

    settings = get_settings()
    if fmt not in ("jsonl", "csv"):
        fail(f"unknown format {fmt!r}: use jsonl or csv", 2)
    target = out_path or (settings.corpus if fmt == "jsonl" else settings.corpus.with_suffix(".csv"))
    result, meta = run_load(paths or [settings.seeds], target, fmt)
    _print_load(result, target, quiet)
    if result.errors:
        raise typer.Exit(1)


def _print_load(result, target: Path, quiet: bool) -> None:
    for e in result.errors:
        error_line(e)
    if not quiet:
        t = Table(title="Loaded informes", show_lines=False)
        for col in ("file", "informe", "records", "skipped lines", "encoding"):
            t.add_column(col)
        for f in result.files:
            informe = next((r.informe for r in f.records), None)
            t.add_row(f.path.name, str(informe or "-"), str(len(f.records)), str(len(f.skipped)), f.encoding)
        out.print(t)
        if result.skipped:
            out.print("[bold]Lines not placed in any record[/] (file:line: reason: text):")
            for s in result.skipped:
                out.print(f"  {s}", highlight=False, markup=False)
    if result.records:
        out.print(f"{len(result.records)} records -> {target}", highlight=False)
    else:
        typer.echo("no records loaded; nothing written", err=True)


@app.command()
@handle_errors
def stats(
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Corpus JSONL (default: corpus/acuerdos.jsonl).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts per source, section, status and state."""
    from nlp.corpus import read_corpus
    from nlp.stats import corpus_stats

    records = read_corpus(corpus or get_settings().corpus)
    s = corpus_stats(records)
    if as_json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]{s['records']} records[/]")
    t = Table(title="Records per source and section")
    sections = sorted({sec for v in s["source_section"].values() for sec in v})
    t.add_column("source")
    for sec in sections:
        t.add_column(sec, justify="right")
    t.add_column("total", justify="right")
    for src, counts in s["source_section"].items():
        t.add_row(src, *[str(counts.get(sec, 0)) for sec in sections], str(sum(counts.values())))
    out.print(t)
    for key, title in (("estatus", "Records per status"), ("entidad", "Records per state"), ("flags", "Data-quality flags")):
        t = Table(title=title)
        t.add_column(key)
        t.add_column("records", justify="right")
        for k, v in s[key].items():
            t.add_row(str(k), str(v))
        out.print(t)


# ---------------------------------------------------------------- index / search / states
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="sentence-transformers name or path (default: offline multilingual-e5-small; env ACUERDOS_ENCODER).")]


@app.command()
@handle_errors
def index(
    model: ModelOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the inputs did not change.")] = False,
) -> None:
    """Build or update the search index (dense faiss + token vectors + BM25) and its query adapter."""
    from nlp.pipeline import run_search_build

    settings = get_settings()
    meta, _ = run_search_build(settings, model, force, progress=out)
    state = "built" if meta["index_rebuilt"] else "up to date"
    out.print(f"index {state}: {meta['records']} records, {meta['dense_index']} dense index ({meta['model_name']}), "
              f"BM25 -> {settings.index_dir}", highlight=False)
    if meta["index_rebuilt"]:
        out.print(f"encoded {meta['encoded_now']} new texts in {meta['seconds']['encode']} s", highlight=False)
    adapter = meta.get("adapter")
    out.print(f"query adapter {'fitted' if meta['adapter_fitted'] else 'up to date'}: {adapter['questions']} "
              f"hand-judged questions -> {settings.adapter_dir}" if adapter else "query adapter: none (no token vectors, or under 20 judged questions match the corpus)",
              highlight=False)


def _filters(entidad, estatus, informe, section, topic, searcher):
    from nlp.search import Filters

    topics = {r["topic"] for r in searcher.index.records if "topic" in r}
    return Filters(entidad=entidad, estatus=estatus, informe=informe, section=section, topic=topic).validate(topics)


def _one_question_settings():
    """Settings for a command that asks one question: with precision "auto" its query runs in float32,
    since building the bfloat16 copy of the encoder (~1 s) costs far more than it saves on one query
    (~9 ms); long-lived searchers (library, notebook, benchmarks) keep the bfloat16 path."""
    settings = get_settings()
    return settings.with_(query_precision="float32") if settings.query_precision == "auto" else settings


def _questions_settings(question: str):
    """One question: float32 (see _one_question_settings); several from stdin: the configured precision."""
    return get_settings() if question == "-" else _one_question_settings()


def _each_question(answer, show, as_json: bool, as_object) -> None:
    """Answer each line of stdin with the one loaded searcher: a prompt on a terminal, JSON lines with
    --json; a bad question gets its one-line error and the others are still answered (exit 1 at the end)."""
    from nlp.errors import AcuerdosError

    interactive = sys.stdin.isatty()
    failed = 0
    while True:
        if interactive:
            typer.echo("pregunta> ", nl=False, err=True)
        line = sys.stdin.readline()
        if not line:
            break
        q = line.strip()
        if not q:
            continue
        try:
            result = answer(q)
        except AcuerdosError as exc:
            error_line(f"{q[:60]!r}: {exc}")
            failed += 1
            continue
        if as_json:
            print(json.dumps(as_object(q, result), ensure_ascii=False), flush=True)
        else:
            show(q, result)
    if failed:
        raise typer.Exit(1)


@app.command()
@handle_errors
def search(
    query: Annotated[str, typer.Argument(help="What you are looking for, in your own words; '-': one query per line from stdin.")],
    k: Annotated[int, typer.Option("-k", help="Number of results.")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or lexical.")] = "hybrid",
    entidad: Annotated[Optional[str], typer.Option("--entidad", help="Only this state.")] = None,
    estatus: Annotated[Optional[str], typer.Option("--estatus", help="Only this status.")] = None,
    informe: Annotated[Optional[int], typer.Option("--informe", help="Only this informe (5, 6, 7 …).")] = None,
    section: Annotated[Optional[str], typer.Option("--section", help="acuerdos, medidas_adicionales, mesa_federal, visita.")] = None,
    topic: Annotated[Optional[str], typer.Option("--topic", help="Only this predicted topic.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    model: ModelOpt = None,
) -> None:
    """Search the acuerdos (hybrid dense + lexical by default). QUERY '-' reads one query per line from
    stdin and answers each in the same process (the model loads once)."""
    from nlp.pipeline import open_searcher

    searcher = open_searcher(_questions_settings(query), model)
    filters = _filters(entidad, estatus, informe, section, topic, searcher)
    if query == "-":
        _each_question(lambda q: searcher.search(q, k=k, mode=mode, filters=filters),
                       lambda q, hits: _print_hits(q, mode, hits), as_json,
                       lambda q, hits: {"query": q, "results": [h.to_dict() for h in hits]})
        return
    hits = searcher.search(query, k=k, mode=mode, filters=filters)
    if as_json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    _print_hits(query, mode, hits)


def _print_hits(query: str, mode: str, hits) -> None:
    if not hits:
        out.print("no results")
        return
    t = Table(title=f"{mode} search: {query}", show_lines=True, expand=True)
    for col, width in (("#", 3), ("score", 7), ("entidad", 16), ("estatus", 11), ("source:line", 9)):
        t.add_column(col, width=width, no_wrap=col != "entidad")
    t.add_column("texto", ratio=1, overflow="fold")
    for n, h in enumerate(hits, 1):
        r = h.record
        t.add_row(str(n), f"{h.score:.4f}", r["entidad"] or "-", r["estatus"] or "-", f"{r['source'][:3]}:{r['line']}",
                  r["texto"][:300] + ("…" if len(r["texto"]) > 300 else ""))
    out.print(t)


@app.command()
@handle_errors
def states(
    question: Annotated[str, typer.Argument(help="e.g. '¿Qué entidades acordaron la custodia de los CRyT?'; '-': one question per line from stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    informe: Annotated[Optional[int], typer.Option("--informe", help="Only this informe.")] = None,
    include_nacional: Annotated[bool, typer.Option("--nacional", help="Also list federal meetings as 'Nacional'.")] = False,
    model: ModelOpt = None,
) -> None:
    """The states whose acuerdos answer a question, ranked, each with its supporting acuerdos. QUESTION '-'
    reads one question per line from stdin (an interactive prompt on a terminal) and answers each."""
    from nlp.answers import answer_states
    from nlp.pipeline import open_searcher
    from nlp.search import Filters

    searcher = open_searcher(_questions_settings(question), model)
    filters = Filters(informe=informe)

    def ask(q: str):
        return answer_states(searcher, q, filters, include_nacional=include_nacional)

    if question == "-":
        _each_question(ask, _print_states, as_json, lambda q, answers: {"question": q, "states": [a.to_dict() for a in answers]})
        return
    answers = ask(question)
    if as_json:
        print(json.dumps([a.to_dict() for a in answers], ensure_ascii=False, indent=2))
        return
    _print_states(question, answers)


def _print_states(question: str, answers) -> None:
    if not answers:
        out.print("no state's acuerdos answer this question")
        return
    out.print(f"[bold]{len(answers)} states[/] answer: {question}", highlight=False)
    for a in answers:
        out.print(f"\n[bold]{a.entidad}[/] (score {a.score:.3f})", highlight=False)
        for h in a.acuerdos:
            r = h.record
            out.print(f"  - [{r['estatus'] or 'sin estatus'}] {r['texto'][:220]}  ({r['source'][:3]}:{r['line']})",
                      highlight=False, markup=False)


# ---------------------------------------------------------------- train / classify / topics
@app.command()
@handle_errors
def train(
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Hand labels CSV (default: corpus/labels.csv).")] = None,
    model_name: Annotated[str, typer.Option("--model", help="keywords, tfidf, embeddings, combined, combined_fast.")] = "combined_fast",
    compare: Annotated[bool, typer.Option("--compare", help="Cross-validate every model (with and without the supplement) and print the table.")] = False,
) -> None:
    """Train the topic classifier on the hand labels; writes models/topic/ (model + meta.json)."""
    from nlp.classify.models import MODEL_NAMES
    from nlp.classify.run import compare_models, run_train

    if model_name not in MODEL_NAMES:
        fail(f"unknown model {model_name!r}: use one of {', '.join(MODEL_NAMES)}", 2)
    settings = get_settings()
    labels_path = labels or settings.labels
    if compare:
        table = compare_models(labels_path)
        _print_comparison(table)
        from nlp.io import write_json

        write_json(settings.models / "topic_comparison.json", table)
    meta, _ = run_train(settings, labels_path, model_name)
    m = meta["metrics"]
    out.print(f"trained {meta['model']} on {meta['training']['n_labels']} labels + {meta['training']['n_supplement']} "
              f"supplement -> {settings.topic_model_dir}", highlight=False)
    out.print(f"cross-validated macro-F1 {m['macro_f1']:.3f} ± {m['macro_f1_sd']:.3f} "
              f"({m['n_splits']}-fold × {m['n_repeats']}); per class: "
              + ", ".join(f"{k} {v:.2f}" for k, v in m["per_class_f1"].items()), highlight=False)


def _print_comparison(table: dict) -> None:
    t = Table(title="Topic models, stratified 4-fold × 5 cross-validation on the hand labels")
    for col in ("model", "training data", "macro-F1", "inseguridad", "logística", "p. sociales", "otros"):
        t.add_column(col)
    for name, variants in table.items():
        for variant, r in variants.items():
            pc = r["per_class_f1"]
            t.add_row(name, variant.replace("_", " "), f"{r['macro_f1']:.3f} ± {r['macro_f1_sd']:.3f}",
                      *[f"{pc[k]:.3f}" for k in ("inseguridad", "logistica_resguardo", "problemas_sociales", "otros")])
    out.print(t)
    from nlp.classify.run import SHORT, confusion_rows

    c = Table(title="Confusion matrices: records per pass over the labels (true topic in rows, predicted in columns)")
    for col in ("model", "training data", "true", *[f"→ {v}" for v in SHORT.values()]):
        c.add_column(col)
    for row in confusion_rows(table):
        c.add_row(*row)
    out.print(c)


@app.command()
@handle_errors
def classify(
    source: Annotated[Optional[str], typer.Argument(help=".txt (one acuerdo per line), .csv, .jsonl, or - for stdin.")] = None,
    text: Annotated[Optional[list[str]], typer.Option("--text", help="An acuerdo to classify (repeatable).")] = None,
    column: Annotated[str, typer.Option("--column", help="Text column (csv) or key (jsonl).")] = "texto",
    out_path: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output file (default: stdout).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    explain: Annotated[bool, typer.Option("--explain", help="Add the terms that weighed most.")] = False,
) -> None:
    """Tag acuerdos with a topic, a confidence and a score per topic."""
    from nlp.classify.run import classify_rows, read_inputs, write_rows
    from nlp.classify.topic_model import TopicModel

    if text is not None and any(not t.strip() for t in text) and source is None and len(text) == 1:
        fail("empty text: nothing to classify", 2)
    rows = read_inputs(source, column, text)
    model = TopicModel.load(get_settings().topic_model_dir)
    result = classify_rows(model, rows, column, explain)
    printed = write_rows(result, out_path, fmt)
    if printed is not None:
        sys.stdout.write(printed)
    else:
        err_counts = sum(1 for r in result if r.get("flags"))
        typer.echo(f"{len(result)} rows classified -> {out_path}" + (f" ({err_counts} flagged)" if err_counts else ""), err=True)


@app.command()
@handle_errors
def topics(
    by: Annotated[str, typer.Option("--by", help="none, informe, section, entidad or estatus.")] = "none",
    section: Annotated[Optional[list[str]], typer.Option("--section", help="Sections to count (default: acuerdos, medidas_adicionales).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Topic shares beside the informe's published shares, adjusted for the classifier's errors."""
    from nlp.classify.labels import DISPLAY, TOPICS
    from nlp.classify.run import DEFAULT_SECTIONS, topic_shares

    res = topic_shares(get_settings(), by, tuple(section) if section else DEFAULT_SECTIONS)
    if as_json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]Published[/] (5th informe): {res['published_population']}.", highlight=False)
    out.print(f"[bold]This corpus[/]: {res['corpus_population']}.", highlight=False)
    out.print(f"Model {res['model']} (cross-validated macro-F1 {res['cv_macro_f1']:.3f}); adjusted = classify-and-count "
              "corrected with the cross-validated confusion rates; 95 % bootstrap interval.\n", highlight=False)
    for key, g in res["groups"].items():
        t = Table(title=f"{by}: {key}  (n = {g['n']})" if by != "none" else f"all records (n = {g['n']})")
        for col in ("topic", "published", "hand labels", "classifier", "adjusted [95 % CI]", "adjusted − published"):
            t.add_column(col, justify="right" if col != "topic" else "left")
        for topic in TOPICS:
            e = g["topics"][topic]
            hand = "-" if e["hand"] is None else f"{100 * e['hand']:.1f} %"
            t.add_row(DISPLAY[topic], f"{100 * e['published']:.1f} %", hand, f"{100 * e['cc']:.1f} %",
                      f"{100 * e['adjusted']:.1f} % [{100 * e['low']:.1f}–{100 * e['high']:.1f}]",
                      f"{100 * (e['adjusted'] - e['published']):+.1f} pp")
        out.print(t)


# ---------------------------------------------------------------- duplicates / track
@app.command()
@handle_errors
def duplicates(
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Corpus JSONL (default: corpus/acuerdos.jsonl).")] = None,
    check: Annotated[Optional[str], typer.Option("--check", help="New acuerdos (.txt/.csv/.jsonl or -) to check against the corpus; exit 1 if any exact or near duplicate.")] = None,
    column: Annotated[str, typer.Option("--column", help="Text column/key for --check.")] = "texto",
    near_ratio: Annotated[Optional[float], typer.Option("--near-ratio", help="Near threshold (rapidfuzz ratio, 0-100).")] = None,
    semantic: Annotated[Optional[float], typer.Option("--semantic", help="Semantic threshold (cosine) within an informe.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per pair.")] = False,
) -> None:
    """Find exact, near and semantic duplicate groups; or check new acuerdos before publishing."""
    from nlp.duplicates import Thresholds
    from nlp.dup_run import run_check, run_duplicates

    settings = get_settings()
    th = Thresholds()
    if near_ratio is not None:
        th.near_ratio = near_ratio
    if semantic is not None:
        th.semantic_cosine = semantic
    if check is not None:
        from nlp.classify.run import read_inputs

        rows = run_check(settings, read_inputs(check, column), column)
        blocking = sum(1 for r in rows for d in r["duplicates"] if d["kind"] in ("exact", "near"))
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for n, r in enumerate(rows, 1):
                ds = r["duplicates"]
                out.print(f"[bold]{n}.[/] {str(r.get(column))[:120]}", highlight=False)
                if not ds:
                    out.print("   no duplicate in the corpus", highlight=False)
                for d in ds[:5]:
                    out.print(f"   {d['kind']} ({d['similarity']:.2f}) {d['entidad']} [{d['estatus']}] {d['source'][:3]}:{d['line']}: "
                              f"{d['texto'][:100]}\n      diff: {d['diff'][:160]}", highlight=False, markup=False)
        if blocking:
            typer.echo(f"{blocking} exact or near duplicate(s) found", err=True)
            raise typer.Exit(1)
        return
    res = run_duplicates(settings, corpus, th)
    if as_json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
        return
    if as_csv:
        import csv as _csv

        w = _csv.writer(sys.stdout)
        w.writerow(["group", "kind", "scope", "different_states", "id_a", "id_b", "similarity", "diff"])
        for n, g in enumerate(res["groups"], 1):
            for p in g["pairs"]:
                w.writerow([n, p["kind"], g["scope"], g["different_states"], p["a"], p["b"], p["similarity"], p["diff"]])
        return
    out.print(f"{res['records']} records, {len(res['groups'])} duplicate groups: "
              + ", ".join(f"{v} {k}" for k, v in res["group_counts"].items()), highlight=False)
    for n, g in enumerate(res["groups"], 1):
        mark = " — different states (copy-paste?)" if g["different_states"] else ""
        out.print(f"\n[bold]Group {n}[/]: {g['kind']}, {g['scope']}, similarity ≥ {g['similarity']:.2f}{mark}", highlight=False)
        for m in g["members"]:
            out.print(f"  - {m['entidad']} [{m['estatus'] or 'sin estatus'}] {m['source'][:3]}:{m['line']} "
                      f"{m['texto'][:110]}", highlight=False, markup=False)
        for p in g["pairs"][:3]:
            if p["kind"] != "exact":
                out.print(f"    diff: {p['diff'][:200]}", highlight=False, markup=False)


@app.command("track")
@handle_errors
def track_cmd(
    entidad: Annotated[Optional[str], typer.Option("--entidad", help="Only this state.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Follow acuerdos across informes: status timelines and how many advanced, regressed, stayed…"""
    from nlp.dup_run import corpus_and_vectors
    from nlp.search import Filters
    from nlp.track import track

    settings = get_settings()
    if entidad:
        entidad = Filters(entidad=entidad).validate().entidad
    records, vectors = corpus_and_vectors(settings)
    result = track(records, vectors, entidad)
    if as_json:
        print(json.dumps([{"informes": t.informes, "summary": t.summary, "timelines": t.timelines} for t in result],
                         ensure_ascii=False, indent=2))
        return
    for t in result:
        s = t.summary
        out.print(f"\n[bold]Informe {t.informes[0]} → {t.informes[1]}[/]: {s['matched']} acuerdos followed: "
                  f"{s['advanced']} advanced, {s['regressed']} regressed, {s['stayed']} stayed; "
                  f"{s['disappeared']} disappeared, {s['new']} new", highlight=False)
        for tl in t.timelines:
            a, b = tl["steps"]
            out.print(f"  {tl['entidad']}: {a['estatus'] or '-'} → {b['estatus'] or '-'} ({tl['movement']}, {tl['how']} "
                      f"{tl['similarity']:.2f}) {a['texto'][:70]}", highlight=False, markup=False)


# ---------------------------------------------------------------- report
@app.command()
@handle_errors
def report(
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Output folder (default: reports/).")] = None,
) -> None:
    """Write the analyst report: self-contained HTML, a Markdown twin, CSV tables and an XLSX workbook."""
    from nlp.pipeline import run_report

    paths, _ = run_report(get_settings(), out_dir, force=True)
    for kind, path in paths.items():
        out.print(f"{kind}: {path}", highlight=False)


# ---------------------------------------------------------------- build
@app.command()
@handle_errors
def build(
    seeds: Annotated[Optional[Path], typer.Option("--seeds", help="Folder of informes (default: seeds/).")] = None,
) -> None:
    """Run every pipeline stage on the bundled seeds and say where each artefact went."""
    from nlp.pipeline import run_build

    settings = get_settings().with_(seeds=seeds)
    summary = run_build(settings, console=out)
    t = Table(title="acuerdos build")
    t.add_column("stage")
    t.add_column("status")
    t.add_column("artefact")
    for stage in summary.stages:
        t.add_row(stage.name, stage.status, stage.artefact)
    out.print(t)
    if summary.failed:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
