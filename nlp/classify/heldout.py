"""The topic model on new acuerdos it never saw (tests/data/classify_heldout.csv, written and
labelled by a team member with the codebook only, blind to the training labels and the model):
macro-F1, per-class F1 and confusion of the shipped model, with the keyword rules as baseline.

    python -m nlp.classify.heldout [--labels FILE]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sklearn.metrics import confusion_matrix, f1_score

from nlp.classify.labels import TOPICS, read_labels

DEFAULT_HELDOUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "classify_heldout.csv"


def score(predicted: list[str], gold: list[str]) -> dict[str, Any]:
    labels = list(TOPICS)
    return {"macro_f1": float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
            "per_class_f1": dict(zip(labels, f1_score(gold, predicted, labels=labels, average=None,
                                                      zero_division=0).round(4).tolist())),
            "confusion": confusion_matrix(gold, predicted, labels=labels).tolist(), "labels": labels}


def evaluate(model_dir: Path, path: Path = DEFAULT_HELDOUT) -> dict[str, Any]:
    from nlp.classify.keywords import KeywordClassifier
    from nlp.classify.topic_model import TopicModel

    data = read_labels(path, require_ids=False)
    model = TopicModel.load(model_dir)
    shipped = [p.topic for p in model.predict(data.texts)]
    rules = list(KeywordClassifier().fit(data.texts, data.topics).predict(data.texts))
    return {"records": len(data.texts), "file_sha256": data.sha256, "model": model.meta.get("model"),
            "shipped": score(shipped, data.topics), "keywords": score(rules, data.topics)}


def main(argv: list[str] | None = None) -> int:
    from nlp.config import get_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_HELDOUT)
    args = ap.parse_args(argv)
    print(json.dumps(evaluate(get_settings().topic_model_dir, args.labels), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
