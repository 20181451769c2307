"""The shipped topic model: training, persistence (models/topic/: model.joblib + meta.json) and
prediction with confidence, per-label scores, flags and explanations."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from nlp import __version__
from nlp.classify.labels import TOPICS, LabelSet, read_labels, supplement_path
from nlp.classify.models import DEFAULT_MODEL, DESCRIPTIONS, make_model
from nlp.errors import InputError, StaleArtefactError
from nlp.io import atomic_write_bytes, read_json, write_json

LOW_CONFIDENCE = 0.5
MAX_CHARS = 5000  # longer texts are classified on their first MAX_CHARS characters (flagged)
HINT = "run `acuerdos train` (or `acuerdos build`)"


@dataclass
class Prediction:
    topic: str | None
    confidence: float
    scores: dict[str, float]
    flags: list[str] = field(default_factory=list)
    explain: list[tuple[str, float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"topic": self.topic, "confidence": round(self.confidence, 4),
                               **{f"score_{k}": round(v, 4) for k, v in self.scores.items()}}
        if self.flags:
            out["flags"] = ";".join(self.flags)
        if self.explain is not None:
            out["explain"] = "; ".join(f"{t} ({w:+.2f})" for t, w in self.explain)
        return out


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("scikit-learn", "spacy", "spacy-lookups-data", "numpy", "joblib")}


def train(labels_path: Path, out_dir: Path, *, model_name: str = DEFAULT_MODEL, use_supplement: bool = True,
          cv_report: dict | None = None) -> dict[str, Any]:
    """Fit on every hand label (+ the supplement), save atomically, return meta."""
    labels = read_labels(labels_path)
    texts, y = list(labels.texts), list(labels.topics)
    sup: LabelSet | None = None
    sp = supplement_path(labels_path)
    if use_supplement and sp.exists():
        sup = read_labels(sp, require_ids=False)
        texts += sup.texts
        y += sup.topics
    model = make_model(model_name)
    model.fit(texts, y)
    import io

    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    out_dir = Path(out_dir)
    meta = {
        "kind": "acuerdos-topic-model",
        "acuerdos_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": model_name,
        "description": DESCRIPTIONS[model_name],
        "labels": list(TOPICS),
        "training": {"labels_file": str(labels_path), "labels_sha256": labels.sha256, "n_labels": len(labels.texts),
                     "supplement_file": str(sp) if sup else None, "supplement_sha256": sup.sha256 if sup else None,
                     "n_supplement": len(sup.texts) if sup else 0,
                     "counts": {t: y.count(t) for t in TOPICS}},
        "metrics": cv_report or {},
        "versions": _versions(),
    }
    atomic_write_bytes(out_dir / "model.joblib", buf.getvalue())
    write_json(out_dir / "meta.json", meta)
    return meta


def training_fingerprint(labels_path: Path, use_supplement: bool = True) -> dict[str, str | None]:
    from nlp.io import sha256_file

    sp = supplement_path(labels_path)
    return {"labels_sha256": sha256_file(labels_path) if Path(labels_path).exists() else None,
            "supplement_sha256": sha256_file(sp) if use_supplement and sp.exists() else None}


def is_current(model_dir: Path, labels_path: Path) -> bool:
    meta_file = Path(model_dir) / "meta.json"
    if not meta_file.exists() or not (Path(model_dir) / "model.joblib").exists():
        return False
    meta = read_json(meta_file)
    fp = training_fingerprint(labels_path)
    return (meta.get("labels") == list(TOPICS) and meta.get("acuerdos_version") == __version__
            and meta["training"].get("labels_sha256") == fp["labels_sha256"]
            and meta["training"].get("supplement_sha256") == fp["supplement_sha256"])


class TopicModel:
    """A trained topic classifier, loaded from its folder."""

    def __init__(self, estimator, meta: dict[str, Any]):
        self.estimator = estimator
        self.meta = meta
        self.classes = [str(c) for c in estimator.classes_]
        self._vocab: set[str] | None = None

    @classmethod
    def load(cls, model_dir: Path) -> "TopicModel":
        model_dir = Path(model_dir)
        meta_file = model_dir / "meta.json"
        if not meta_file.exists():
            raise StaleArtefactError(f"no topic model at {model_dir}", hint=HINT)
        try:
            meta = read_json(meta_file)
            estimator = joblib.load(model_dir / "model.joblib")
        except Exception as exc:  # noqa: BLE001
            raise StaleArtefactError(f"topic model at {model_dir} is corrupted ({type(exc).__name__})", hint=HINT) from None
        if meta.get("labels") != list(TOPICS) or sorted(map(str, estimator.classes_)) != sorted(TOPICS):
            raise StaleArtefactError(
                f"topic model at {model_dir} was built with labels {meta.get('labels')}, expected {list(TOPICS)}", hint=HINT)
        return cls(estimator, meta)

    # ------------------------------------------------------------------------------------------
    def _spanish_vocab(self) -> set[str]:
        if self._vocab is None:
            from nlp.text import stop_words

            self._vocab = set(stop_words())
        return self._vocab

    def _looks_spanish(self, text: str) -> bool:
        from nlp.text import fold

        words = re.findall(r"[a-zñ]+", fold(text))
        if len(words) < 4:
            return True
        hits = sum(w in self._spanish_vocab() for w in words)
        return hits / len(words) >= 0.12

    def predict(self, texts: list[str], explain: bool = False) -> list[Prediction]:
        out: list[Prediction | None] = [None] * len(texts)
        todo, todo_idx, flags_for = [], [], {}
        for i, raw in enumerate(texts):
            text = " ".join(str(raw or "").split())
            flags = []
            if not text:
                out[i] = Prediction(None, 0.0, {t: 0.0 for t in TOPICS}, ["empty_text"])
                continue
            if len(text) > MAX_CHARS:
                text = text[:MAX_CHARS]
                flags.append("truncated")
            if not self._looks_spanish(text):
                flags.append("not_spanish")
            todo.append(text)
            todo_idx.append(i)
            flags_for[i] = flags
        if todo:
            proba = self.estimator.predict_proba(todo)
            for row, i, text in zip(proba, todo_idx, todo):
                scores = {c: float(p) for c, p in zip(self.classes, row)}
                scores = {t: scores[t] for t in TOPICS}
                best = max(scores, key=scores.get)
                flags = flags_for[i]
                if scores[best] < LOW_CONFIDENCE:
                    flags.append("low_confidence")
                out[i] = Prediction(best, scores[best], scores, flags,
                                    self.explain(text, best) if explain else None)
        return [p for p in out if p is not None]

    def explain(self, text: str, topic: str, n: int = 6) -> list[tuple[str, float]]:
        """The features that pushed this text toward `topic` most (linear models only)."""
        est = self.estimator
        if not hasattr(est, "named_steps") or "clf" not in est.named_steps:
            from nlp.classify.keywords import RULES, clean

            return [(f"rule:{t}", 1.0) for t, p in RULES if p.search(clean(text))][:1]
        features = est.named_steps["features"]
        clf = est.named_steps["clf"]
        x = features.transform([text])
        x = x.toarray()[0] if hasattr(x, "toarray") else np.asarray(x)[0]
        k = list(clf.classes_).index(topic)
        contrib = x * clf.coef_[k]
        names = _feature_names(features)
        order = np.argsort(-contrib)[:n]
        return [(names[j] if j < len(names) else f"f{j}", float(contrib[j])) for j in order if contrib[j] > 0]


def _feature_names(union) -> list[str]:
    names: list[str] = []
    for name, step in union.transformer_list:
        if hasattr(step, "named_steps") and "tfidf" in step.named_steps:
            vocab = step.named_steps["tfidf"].get_feature_names_out()
            names.extend(f"{name}:{v}" for v in vocab)
        elif name == "rules":
            from nlp.classify.keywords import RULES

            names.extend(f"rule:{t}" for t, _ in RULES)
        else:
            dim = 384
            names.extend(f"{name}:{j}" for j in range(dim))
    return names
