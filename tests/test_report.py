"""The analyst report: files written, self-contained HTML, figures equal to stats/topics."""
from __future__ import annotations

import csv

from typer.testing import CliRunner

from nlp.classify.run import topic_shares
from nlp.cli import app
from nlp.corpus import read_corpus
from nlp.report import write_report
from nlp.stats import corpus_stats

runner = CliRunner()


def _csv(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_report_files_and_figures(built, tmp_path):
    paths = write_report(built, tmp_path / "rep")
    html = paths["html"].read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "http://" not in html and "https://" not in html.replace("https://www.oas", "")
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md.count("\n## ") >= 9 and "![" in md and (tmp_path / "rep" / "charts" / "status_by_state.png").exists()
    assert paths["xlsx"].exists()
    stats = corpus_stats(read_corpus(built.corpus))
    rows = _csv(tmp_path / "rep" / "tables" / "records_by_source.csv")
    assert sum(int(r["records"]) for r in rows) == stats["records"] == 278
    status = _csv(tmp_path / "rep" / "tables" / "status_by_state.csv")
    zac = next(r for r in status if r["entidad"] == "Zacatecas")
    recs = [r for r in read_corpus(built.corpus) if r.entidad == "Zacatecas" and r.section in ("acuerdos", "medidas_adicionales")]
    assert int(zac["Concluido"]) == sum(r.estatus == "Concluido" for r in recs) and int(zac["total"]) == len(recs)
    shares = topic_shares(built, n_boot=10)["groups"]["all"]["topics"]
    topics = _csv(tmp_path / "rep" / "tables" / "topic_shares.csv")
    for row, (topic, est) in zip(topics, shares.items()):
        assert float(row["adjusted_%"]) == round(100 * est["adjusted"], 1)
        assert float(row["published_%"]) == round(100 * est["published"], 1)
    flags = _csv(tmp_path / "rep" / "tables" / "data_quality_flags.csv")
    assert any(f["flag"] == "entity_mismatch:Tamaulipas" and f["line"] == "91" for f in flags)
    assert len(_csv(tmp_path / "rep" / "tables" / "lines_not_placed.csv")) == 13


def test_cli_report(env_home, tmp_path):
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "report.html").exists() and (tmp_path / "r" / "report.md").exists()
