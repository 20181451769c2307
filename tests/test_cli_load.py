"""`acuerdos load`, `stats` and `build` as a user runs them: outputs, exit codes, one-line errors."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

from typer.testing import CliRunner

from nlp.cli import app
from tests.conftest import SEEDS, fixture_path

runner = CliRunner()


def test_load_writes_jsonl_and_sidecar(tmp_path):
    out = tmp_path / "c.jsonl"
    res = runner.invoke(app, ["load", str(SEEDS), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 278
    assert set(rows[0]) >= {"id", "source", "informe", "section", "line", "entidad", "entidad_printed", "texto", "estatus", "flags"}
    meta = json.loads(out.with_suffix(".meta.json").read_text(encoding="utf-8"))
    assert meta["records"] == 278 and len(meta["inputs"]) == 4 and all(len(i["sha256"]) == 64 for i in meta["inputs"])
    assert "002_84a45db200c97aea.txt:104: footnote" in res.output  # skipped lines are listed with file and line
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file


def test_load_csv(tmp_path):
    out = tmp_path / "c.csv"
    res = runner.invoke(app, ["load", str(SEEDS / "001_9fa70be67b2b7f1b.txt"), "--out", str(out), "--format", "csv", "-q"])
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 115 and rows[0]["entidad"] == "Aguascalientes"


def test_bad_files_are_reported_and_good_ones_still_loaded(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_46f6f9d7abe4d590.txt", folder)
    for name in ("empty.txt", "binary.txt", "no_table.txt", "cp1252.txt"):
        shutil.copy(fixture_path("loader", name), folder)
    out = tmp_path / "c.jsonl"
    res = runner.invoke(app, ["load", str(folder), str(tmp_path / "missing.txt"), "--out", str(out), "-q"])
    assert res.exit_code == 1
    assert "empty.txt: empty file" in res.output and "binary.txt: binary file" in res.output
    assert "no_table.txt: no recognisable table" in res.output and "missing.txt: no such file" in res.output
    assert "Traceback" not in res.output
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 106 + 1


def test_stats_counts_and_missing_corpus(tmp_path):
    out = tmp_path / "c.jsonl"
    runner.invoke(app, ["load", str(SEEDS), "--out", str(out), "-q"])
    res = runner.invoke(app, ["stats", "--corpus", str(out), "--json"])
    s = json.loads(res.output)
    assert s["records"] == 278 and s["section"]["acuerdos"] == 207 and s["estatus"]["En proceso"] == 109
    assert s["entidad"]["Nacional"] == 19
    res = runner.invoke(app, ["stats", "--corpus", str(tmp_path / "nope.jsonl")])
    assert res.exit_code != 0 and "not found" in res.output and "acuerdos load" in res.output


def test_installed_command_prints_one_line_not_a_traceback(tmp_path):
    exe = shutil.which("acuerdos") or [sys.executable, "-m", "nlp.cli"]
    cmd = ([exe] if isinstance(exe, str) else exe) + ["load", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "o.jsonl")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "nope.txt: no such file or folder" in proc.stderr
