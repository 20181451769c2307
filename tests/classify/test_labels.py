"""The hand labels: consistent with a blind second reading of the same records."""
from __future__ import annotations

import csv

from sklearn.metrics import cohen_kappa_score

from nlp.classify.labels import TOPICS, read_labels
from tests.conftest import ROOT


def test_blind_second_reading_agrees_with_the_labels():
    """corpus/README.md: 276/278 primary topics agree, Cohen's kappa 0.988."""
    first = read_labels(ROOT / "corpus" / "labels.csv")
    with open(ROOT / "corpus" / "labels_second_reading.csv", encoding="utf-8", newline="") as fh:
        second = {r["id"]: r["topic"] for r in csv.DictReader(fh)}
    assert set(second) == set(first.ids) and set(second.values()) <= set(TOPICS)
    b = [second[i] for i in first.ids]
    agree = sum(x == y for x, y in zip(first.topics, b))
    assert agree == 276
    assert cohen_kappa_score(first.topics, b) > 0.98
