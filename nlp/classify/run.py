"""What the train / classify / topics commands do, as library functions the tests call."""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nlp.classify.crossval import cross_validate
from nlp.classify.labels import PUBLISHED_POPULATION, PUBLISHED_SHARES, TOPICS, read_labels, supplement_path
from nlp.classify.models import DEFAULT_MODEL, MODEL_NAMES, make_model
from nlp.classify.topic_model import TopicModel, is_current, train
from nlp.config import Settings
from nlp.errors import InputError, StaleArtefactError
from nlp.io import read_json, write_json, write_jsonl

N_SPLITS, N_REPEATS = 4, 5


def cv_report(model_name: str, labels_path: Path, use_supplement: bool = True, n_repeats: int = N_REPEATS) -> dict:
    labels = read_labels(labels_path)
    sp = supplement_path(labels_path)
    sup = read_labels(sp, require_ids=False) if use_supplement and sp.exists() else None
    r = cross_validate(make_model(model_name), labels.texts, labels.topics,
                       extra_texts=sup.texts if sup else None, extra_y=sup.topics if sup else None,
                       n_splits=N_SPLITS, n_repeats=n_repeats)
    r.pop("oof")
    r["confusion_per_pass"] = [[c / n_repeats for c in row] for row in r["confusion"]]
    r["supplement"] = bool(sup)
    return r


def compare_models(labels_path: Path, names: tuple[str, ...] = MODEL_NAMES, n_repeats: int = N_REPEATS) -> dict:
    out = {}
    for name in names:
        out[name] = {"real_only": cv_report(name, labels_path, False, n_repeats)}
        if name != "keywords":
            out[name]["with_supplement"] = cv_report(name, labels_path, True, n_repeats)
    return out


SHORT = {"inseguridad": "ins.", "logistica_resguardo": "log.", "problemas_sociales": "soc.", "otros": "otros"}


def confusion_rows(table: dict) -> list[list[str]]:
    """[model, training data, true topic, predicted counts per pass ...] for every compared model: where
    each model's errors go, as `acuerdos train --compare` prints them and the README shows them."""
    rows = []
    for name, variants in table.items():
        for variant, r in variants.items():
            for true, counts in zip(r["labels"], r["confusion_per_pass"]):
                rows.append([name, variant.replace("_", " "), SHORT.get(true, true), *[f"{c:.1f}" for c in counts]])
    return rows


def run_train(settings: Settings, labels_path: Path | None = None, model_name: str = DEFAULT_MODEL,
              force: bool = True) -> tuple[dict, bool]:
    labels_path = Path(labels_path or settings.labels)
    if not force and is_current(settings.topic_model_dir, labels_path):
        return read_json(settings.topic_model_dir / "meta.json"), False
    report = cv_report(model_name, labels_path)
    return train(labels_path, settings.topic_model_dir, model_name=model_name, cv_report=report), True


# ---------------------------------------------------------------------------------------------- inputs
def sniff_format(data: str, column: str = "texto") -> str:
    """Stdin has no file name: JSON lines start with '{', a CSV's first line names the text column."""
    first = next((line for line in data.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return ".jsonl"
    if "," in first and column in next(csv.reader([first]), []):
        return ".csv"
    return ".txt"


def read_inputs(source: str | None, column: str = "texto", texts: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows to classify from .txt (one per line), .csv (a column), .jsonl (a key), '-' (stdin, format sniffed) or --text."""
    rows: list[dict[str, Any]] = [{column: t} for t in (texts or [])]
    if source is None:
        if not rows:
            raise InputError("nothing to classify: give a file, '-' for stdin, or --text \"…\"")
        return rows
    if source == "-":
        data = sys.stdin.read()
        suffix = sniff_format(data, column)
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        suffix = path.suffix.lower()
        try:
            data = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(data))
        if column not in (reader.fieldnames or []):
            raise InputError(f"{source}: no column {column!r} (columns: {', '.join(reader.fieldnames or [])}); use --column")
        rows += [dict(r) for r in reader]
    elif suffix in (".jsonl", ".json"):
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise InputError(f"{source}:{n}: not valid JSON") from None
            if not isinstance(obj, dict) or column not in obj:
                raise InputError(f"{source}:{n}: no key {column!r}; use --column")
            rows.append(obj)
    else:
        rows += [{column: line} for line in data.splitlines() if line.strip()]
    return rows


def classify_rows(model: TopicModel, rows: list[dict[str, Any]], column: str = "texto",
                  explain: bool = False) -> list[dict[str, Any]]:
    preds = model.predict([str(r.get(column) or "") for r in rows], explain=explain)
    return [{**r, **p.to_dict()} for r, p in zip(rows, preds)]


def write_rows(rows: list[dict[str, Any]], out: Path | None, fmt: str) -> str | None:
    """Write to a file atomically, or return the text for stdout."""
    if fmt not in ("jsonl", "csv"):
        raise InputError(f"unknown format {fmt!r}: use jsonl or csv")
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        cols: list[str] = []
        for r in rows:
            cols += [k for k in r if k not in cols]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
        text = buf.getvalue()
    if out is None:
        return text
    from nlp.io import atomic_write_text

    atomic_write_text(Path(out), text)
    return None


# ---------------------------------------------------------------------------------------------- corpus
def topics_path(settings: Settings) -> Path:
    return settings.corpus.with_name("topics.jsonl")


def topics_current(settings: Settings) -> bool:
    """corpus/topics.jsonl exists and was made from this corpus by this topic model."""
    from nlp.corpus import corpus_fingerprint

    out = topics_path(settings)
    meta_file = out.with_suffix(".meta.json")
    if not (out.exists() and meta_file.exists()):
        return False
    m = read_json(meta_file)
    return (m.get("corpus_sha256") == corpus_fingerprint(settings.corpus)
            and m.get("model_created") == read_json(settings.topic_model_dir / "meta.json").get("created"))


def classify_corpus(settings: Settings) -> tuple[Path, bool]:
    """Predicted topic of every corpus record -> corpus/topics.jsonl (+ .meta.json). Skips if current."""
    from nlp.corpus import corpus_fingerprint, read_corpus

    out = topics_path(settings)
    if topics_current(settings):
        return out, False
    meta_file = out.with_suffix(".meta.json")
    model_meta = read_json(settings.topic_model_dir / "meta.json")
    sha = corpus_fingerprint(settings.corpus)
    model = TopicModel.load(settings.topic_model_dir)
    records = read_corpus(settings.corpus)
    rows = [{"id": r.id, **p.to_dict(), "prediction": "model"} for r, p in zip(records, model.predict([r.texto for r in records]))]
    # records the model was trained on get out-of-fold predictions: a fair picture of the classifier
    oof = _out_of_fold(settings, model_meta.get("model", DEFAULT_MODEL))
    for row in rows:
        if row["id"] in oof:
            row["topic_model_fit"] = row["topic"]
            row["topic"] = oof[row["id"]]
            row["prediction"] = "cross_validated"
    write_jsonl(out, rows)
    write_json(meta_file, {"kind": "acuerdos-topics", "corpus_sha256": sha, "model": model_meta.get("model"),
                           "model_created": model_meta.get("created"),
                           "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return out, True


def _out_of_fold(settings: Settings, model_name: str) -> dict[str, str]:
    """Topic of each hand-labelled record predicted by a model that did not see it (4-fold)."""
    if not settings.labels.exists():
        return {}
    labels = read_labels(settings.labels)
    sp = supplement_path(settings.labels)
    sup = read_labels(sp, require_ids=False) if sp.exists() else None
    r = cross_validate(make_model(model_name), labels.texts, labels.topics, extra_texts=sup.texts if sup else None,
                       extra_y=sup.topics if sup else None, n_splits=N_SPLITS, n_repeats=1)
    return {i: t for i, t in zip(labels.ids, r["oof"][0]) if i}


GROUPINGS = ("none", "informe", "section", "entidad", "estatus")
DEFAULT_SECTIONS = ("acuerdos", "medidas_adicionales")


def topic_shares(settings: Settings, by: str = "none", sections: tuple[str, ...] = DEFAULT_SECTIONS,
                 n_boot: int = 1000) -> dict[str, Any]:
    """Shares per group: hand labels (where they exist), classify-and-count, adjusted with 95 % CI."""
    from nlp.classify.quantify import estimate
    from nlp.corpus import read_corpus
    from nlp.io import read_jsonl

    if by not in GROUPINGS:
        raise InputError(f"unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}")
    tp = topics_path(settings)
    if not tp.exists():
        raise InputError(f"no topic predictions at {tp}", hint="run `acuerdos build` (or `acuerdos classify`)")
    if not topics_current(settings):
        # shares from one model's predictions corrected with another model's error rates are wrong
        raise StaleArtefactError(f"topic predictions {tp} were made by another topic model or from another corpus",
                                 hint="run `acuerdos build`")
    predicted = {row["id"]: row.get("topic") for row in read_jsonl(tp)}
    meta = read_json(settings.topic_model_dir / "meta.json")
    confusion = meta.get("metrics", {}).get("confusion_per_pass")
    if not confusion:
        raise InputError("the topic model has no cross-validated error rates", hint="run `acuerdos train`")
    hand: dict[str, str] = {}
    if settings.labels.exists():
        labels = read_labels(settings.labels)
        hand = {i: t for i, t in zip(labels.ids, labels.topics) if i}
    records = [r for r in read_corpus(settings.corpus) if r.section in sections]
    groups: dict[str, list] = {}
    for r in records:
        key = "all" if by == "none" else str(getattr(r, by) if getattr(r, by) is not None else "-")
        groups.setdefault(key, []).append(r)
    out_groups = {}
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        recs = groups[key]
        preds = [predicted.get(r.id) for r in recs if predicted.get(r.id)]
        est = estimate(preds, confusion, n_boot=n_boot)
        labelled = [hand[r.id] for r in recs if r.id in hand]
        for t in TOPICS:
            est[t]["hand"] = (labelled.count(t) / len(labelled)) if labelled else None
            est[t]["published"] = PUBLISHED_SHARES[t]
        out_groups[key] = {"n": len(recs), "n_labelled": len(labelled), "topics": est}
    return {
        "by": by,
        "sections": list(sections),
        "published_population": PUBLISHED_POPULATION,
        "corpus_population": (f"{len(records)} records of sections {', '.join(sections)} from "
                              f"{len({r.source for r in records})} informe files in {settings.corpus.name} "
                              "(acuerdos and measures, not meeting topics; other periods than the published figure)"),
        "model": meta.get("model"),
        "cv_macro_f1": meta.get("metrics", {}).get("macro_f1"),
        "groups": out_groups,
    }
