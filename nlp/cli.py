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
out = Console(soft_wrap=False)


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
