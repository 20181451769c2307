"""The analyst report: a self-contained HTML page (charts embedded) and its Markdown twin, plus
every table as CSV (and one XLSX workbook). Figures come from the same functions as
`acuerdos stats` and `acuerdos topics`, so they always agree."""
from __future__ import annotations

import base64
import csv
import html
import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nlp.config import Settings
from nlp.io import atomic_write_bytes, atomic_write_text, read_json

STATUS_COLORS = {"Planeación": "#f2b134", "En proceso": "#4f81bd", "Concluido": "#5aa469", "(sin estatus)": "#bbbbbb"}


def _fig_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _charts(data: dict[str, Any]) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    charts = {}
    # records per state
    states = data["per_state"]
    names = [r["entidad"] for r in states]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(names) + 1))
    left = np.zeros(len(names))
    for status, color in STATUS_COLORS.items():
        vals = np.array([r.get(status, 0) for r in states], dtype=float)
        ax.barh(names, vals, left=left, color=color, label=status)
        left += vals
    ax.invert_yaxis()
    ax.set_xlabel("acuerdos")
    ax.set_title("Estatus de los acuerdos por entidad")
    ax.legend(loc="lower right", fontsize=8)
    charts["status_by_state"] = _fig_png(fig)
    # topic shares beside the published ones
    topics = data["topics_overall"]
    labels = [t["display"] for t in topics]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(x - 0.2, [100 * t["published"] for t in topics], 0.4, label="5º informe (publicado)", color="#999999")
    adj = np.array([100 * t["adjusted"] for t in topics])
    err = np.array([[100 * (t["adjusted"] - t["low"]) for t in topics], [100 * (t["high"] - t["adjusted"]) for t in topics]])
    ax.bar(x + 0.2, adj, 0.4, yerr=err, capsize=3, label="corpus (ajustado, IC 95 %)", color="#4f81bd")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("%")
    ax.set_title("Temas: corpus frente al 5º informe")
    ax.legend(fontsize=8)
    charts["topic_shares"] = _fig_png(fig)
    # heatmap topics per state
    heat = data["topics_by_state"]
    if heat:
        rows = [h["entidad"] for h in heat]
        cols = [t["display"] for t in topics]
        mat = np.array([[100 * h["shares"][t["topic"]] for t in topics] for h in heat])
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) + 1.5))
        im = ax.imshow(mat, cmap="Blues", aspect="auto", vmin=0, vmax=100)
        ax.set_xticks(range(len(cols)), cols, rotation=20, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        for i in range(len(rows)):
            for j in range(len(cols)):
                ax.text(j, i, f"{mat[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if mat[i, j] > 60 else "black")
        fig.colorbar(im, ax=ax, label="% de los acuerdos de la entidad")
        ax.set_title("Temas por entidad (clasificador)")
        charts["topics_by_state"] = _fig_png(fig)
    # records per informe and section
    fig, ax = plt.subplots(figsize=(6, 2.6))
    keys = [f"{r['informe']} / {r['section']}" for r in data["per_informe_section"]]
    ax.barh(keys, [r["records"] for r in data["per_informe_section"]], color="#4f81bd")
    ax.invert_yaxis()
    ax.set_title("Registros por informe y sección")
    charts["records_by_informe"] = _fig_png(fig)
    return charts


def gather(settings: Settings) -> dict[str, Any]:
    """Every figure of the report, computed by the library functions the CLI uses."""
    from nlp.classify.labels import DISPLAY, TOPICS
    from nlp.classify.run import topic_shares
    from nlp.corpus import read_corpus, read_meta
    from nlp.io import read_jsonl
    from nlp.stats import NO_STATUS, corpus_stats

    records = read_corpus(settings.corpus)
    stats = corpus_stats(records)
    meta = read_meta(settings.corpus) or {}
    per_state: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.section not in ("acuerdos", "medidas_adicionales") or not r.entidad:
            continue
        row = per_state.setdefault(r.entidad, {"entidad": r.entidad, "total": 0})
        key = r.estatus if r.estatus in STATUS_COLORS else NO_STATUS
        row[key] = row.get(key, 0) + 1
        row["total"] += 1
    per_informe_section: dict[tuple, int] = {}
    for r in records:
        per_informe_section[(r.informe if r.informe is not None else "-", r.section)] = per_informe_section.get(
            (r.informe if r.informe is not None else "-", r.section), 0) + 1
    shares = topic_shares(settings, "none", n_boot=1000)
    overall = shares["groups"]["all"]["topics"]
    by_informe = topic_shares(settings, "informe", n_boot=300)
    tp = {row["id"]: row.get("topic") for row in read_jsonl(settings.corpus.with_name("topics.jsonl"))}
    by_state: dict[str, dict[str, int]] = {}
    for r in records:
        if r.section in ("acuerdos", "medidas_adicionales") and r.entidad and tp.get(r.id):
            by_state.setdefault(r.entidad, {t: 0 for t in TOPICS})[tp[r.id]] += 1
    dup_file = settings.corpus.with_name("duplicates.json")
    dups = read_json(dup_file) if dup_file.exists() else {"groups": [], "tracking": []}
    flags = []
    for r in records:
        for f in r.flags:
            if f.startswith(("entity_mismatch", "entity_inferred", "missing_status", "nonstandard_status", "broken_chars",
                             "shifted_row", "date_out_of_order", "entity_generic")):
                flags.append({"flag": f, "source": r.source, "line": r.line, "entidad": r.entidad or "-",
                              "texto": r.texto[:160]})
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "stats": stats,
        "inputs": meta.get("inputs", []),
        "per_state": sorted(per_state.values(), key=lambda r: r["entidad"]),
        "per_informe_section": [{"informe": k[0], "section": k[1], "records": v} for k, v in sorted(per_informe_section.items(), key=lambda kv: str(kv[0]))],
        "topics_overall": [{"topic": t, "display": DISPLAY[t], **overall[t]} for t in TOPICS],
        "topics_population": {"published": shares["published_population"], "corpus": shares["corpus_population"],
                              "model": shares["model"], "cv_macro_f1": shares["cv_macro_f1"]},
        "topics_by_informe": [{"informe": k, "n": g["n"], **{t: g["topics"][t]["adjusted"] for t in TOPICS}}
                              for k, g in by_informe["groups"].items()],
        "topics_by_state": [{"entidad": s, "n": sum(c.values()), "shares": {t: c[t] / max(1, sum(c.values())) for t in TOPICS}}
                            for s, c in sorted(by_state.items())],
        "tracking": dups.get("tracking", []),
        "duplicate_groups": dups.get("groups", []),
        "flags": flags,
        "skipped": meta.get("skipped", []),
    }


def _tables(data: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    from nlp.stats import NO_STATUS

    t: dict[str, tuple[list[str], list[list[Any]]]] = {}
    t["records_by_source"] = (["source", "section", "records"],
                              [[src, sec, n] for src, secs in data["stats"]["source_section"].items() for sec, n in secs.items()])
    t["records_by_informe_section"] = (["informe", "section", "records"],
                                       [[r["informe"], r["section"], r["records"]] for r in data["per_informe_section"]])
    t["status_by_state"] = (["entidad", "Planeación", "En proceso", "Concluido", NO_STATUS, "total"],
                            [[r["entidad"], r.get("Planeación", 0), r.get("En proceso", 0), r.get("Concluido", 0),
                              r.get(NO_STATUS, 0), r["total"]] for r in data["per_state"]])
    t["topic_shares"] = (["topic", "published_%", "hand_labels_%", "classifier_%", "adjusted_%", "ci_low_%", "ci_high_%", "adjusted_minus_published_pp"],
                         [[r["display"], round(100 * r["published"], 1), "" if r["hand"] is None else round(100 * r["hand"], 1),
                           round(100 * r["cc"], 1), round(100 * r["adjusted"], 1), round(100 * r["low"], 1), round(100 * r["high"], 1),
                           round(100 * (r["adjusted"] - r["published"]), 1)] for r in data["topics_overall"]])
    topics = [r["topic"] for r in data["topics_overall"]]
    t["topics_by_informe"] = (["informe", "n"] + [f"{x}_%" for x in topics],
                              [[r["informe"], r["n"]] + [round(100 * r[x], 1) for x in topics] for r in data["topics_by_informe"]])
    t["topics_by_state"] = (["entidad", "n"] + [f"{x}_%" for x in topics],
                            [[r["entidad"], r["n"]] + [round(100 * r["shares"][x], 1) for x in topics] for r in data["topics_by_state"]])
    rows = []
    for tr in data["tracking"]:
        s = tr["summary"]
        rows.append([f"{tr['informes'][0]} → {tr['informes'][1]}", s.get("matched", 0), s["advanced"], s["regressed"],
                     s["stayed"], s["disappeared"], s["new"]])
    t["status_progression"] = (["informes", "followed", "advanced", "regressed", "stayed", "disappeared", "new"], rows)
    t["duplicate_groups"] = (["group", "kind", "scope", "different_states", "members", "similarity", "first_text"],
                             [[n, g["kind"], g["scope"], g["different_states"],
                               "; ".join(f"{m['source'][:3]}:{m['line']} {m['entidad']} [{m['estatus'] or '-'}]" for m in g["members"]),
                               g["similarity"], g["members"][0]["texto"][:120]] for n, g in enumerate(data["duplicate_groups"], 1)])
    t["data_quality_flags"] = (["flag", "source", "line", "entidad", "texto"],
                               [[f["flag"], f["source"], f["line"], f["entidad"], f["texto"]] for f in data["flags"]])
    t["lines_not_placed"] = (["source", "line", "reason", "text"],
                             [[s["source"], s["line"], s["reason"], s["text"][:160]] for s in data["skipped"]])
    return t


SECTIONS = [
    ("Registros por fuente y sección", "records_by_source", "records_by_informe"),
    ("Estatus de los acuerdos por entidad", "status_by_state", "status_by_state"),
    ("Temas: corpus frente al 5º informe", "topic_shares", "topic_shares"),
    ("Temas por informe (estimación ajustada)", "topics_by_informe", None),
    ("Temas por entidad", "topics_by_state", "topics_by_state"),
    ("Progreso de estatus entre informes", "status_progression", None),
    ("Grupos de duplicados", "duplicate_groups", None),
    ("Hallazgos de calidad de datos", "data_quality_flags", None),
    ("Líneas no ubicadas por el cargador", "lines_not_placed", None),
]


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _intro(data: dict[str, Any]) -> list[str]:
    s = data["stats"]
    pop = data["topics_population"]
    return [
        f"{s['records']} registros de {len(data['inputs'])} archivos; {s['section'].get('acuerdos', 0)} acuerdos, "
        f"{s['section'].get('medidas_adicionales', 0)} medidas adicionales, {s['section'].get('mesa_federal', 0)} reuniones "
        f"de la mesa federal, {s['section'].get('visita', 0)} visitas.",
        f"Cifras publicadas: {pop['published']}. Este corpus: {pop['corpus']}.",
        f"Clasificador {pop['model']} (macro-F1 validado {pop['cv_macro_f1']:.3f}); la estimación ajustada corrige el "
        "conteo con las tasas de error medidas en validación cruzada (IC 95 % por bootstrap).",
    ]


def write_report(settings: Settings, out_dir: Path | None = None) -> dict[str, Path]:
    out_dir = Path(out_dir or settings.reports)
    data = gather(settings)
    charts = _charts(data)
    tables = _tables(data)
    paths: dict[str, Path] = {}
    (out_dir / "tables").mkdir(parents=True, exist_ok=True)
    (out_dir / "charts").mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(rows)
        atomic_write_text(out_dir / "tables" / f"{name}.csv", buf.getvalue())
    for name, png in charts.items():
        atomic_write_bytes(out_dir / "charts" / f"{name}.png", png)
    try:
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for name, (header, rows) in tables.items():
            ws = wb.create_sheet(name[:31])
            ws.append(header)
            for row in rows:
                ws.append([v if isinstance(v, (int, float, str)) or v is None else str(v) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        atomic_write_bytes(out_dir / "tables.xlsx", buf.getvalue())
        paths["xlsx"] = out_dir / "tables.xlsx"
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        pass
    intro = _intro(data)
    md = ["# Informe analítico: acuerdos de coordinación en seguridad", "", f"Generado {data['created']} por `acuerdos report`.", ""]
    md += [f"- {line}" for line in intro] + [""]
    h = ["<!doctype html><html lang='es'><head><meta charset='utf-8'><title>acuerdos — informe analítico</title>",
         "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
         "table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 6px;"
         "vertical-align:top}th{background:#eef}img{max-width:100%}h2{border-bottom:2px solid #4f81bd}</style></head><body>",
         "<h1>Informe analítico: acuerdos de coordinación en seguridad</h1>",
         f"<p>Generado {html.escape(data['created'])} por <code>acuerdos report</code>.</p><ul>"]
    h += [f"<li>{html.escape(line)}</li>" for line in intro] + ["</ul>"]
    for title, table, chart in SECTIONS:
        header, rows = tables[table]
        md += [f"## {title}", ""]
        h.append(f"<h2>{html.escape(title)}</h2>")
        if chart and chart in charts:
            md += [f"![{title}](charts/{chart}.png)", ""]
            h.append(f"<img alt='{html.escape(title)}' src='data:image/png;base64,{base64.b64encode(charts[chart]).decode()}'>")
        md += [_md_table(header, rows) if rows else "_(ninguno)_", "", f"CSV: `tables/{table}.csv`", ""]
        h.append(_html_table(header, rows) if rows else "<p><em>(ninguno)</em></p>")
    h.append("</body></html>")
    atomic_write_text(out_dir / "report.md", "\n".join(md) + "\n")
    atomic_write_text(out_dir / "report.html", "\n".join(h) + "\n")
    paths.update({"html": out_dir / "report.html", "markdown": out_dir / "report.md", "tables": out_dir / "tables",
                  "charts": out_dir / "charts"})
    return paths
