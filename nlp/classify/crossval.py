"""Stratified repeated k-fold cross-validation of the topic models on the hand labels.

Out-of-fold predictions are pooled per repeat; macro-F1, per-class F1 and the confusion matrix are
computed on them and averaged over repeats. The hand-written supplement, when used, is added to
every training fold and never to a test fold: the figures are on real acuerdos only."""
from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from nlp.classify.labels import TOPICS


def cross_validate(model, texts: list[str], y: list[str], *, extra_texts: list[str] | None = None,
                   extra_y: list[str] | None = None, n_splits: int = 4, n_repeats: int = 5,
                   seed: int = 0) -> dict:
    texts = np.asarray(texts, dtype=object)
    y = np.asarray(y)
    extra_texts = np.asarray(extra_texts or [], dtype=object)
    extra_y = np.asarray(extra_y or [])
    labels = list(TOPICS)
    macro, per_class, cms, oof_all = [], [], [], []
    for rep in range(n_repeats):
        skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed + rep)
        oof = np.empty(len(y), dtype=object)
        for train, test in skf.split(texts, y):
            m = clone(model)
            m.fit(list(np.concatenate([texts[train], extra_texts])), np.concatenate([y[train], extra_y]))
            oof[test] = m.predict(list(texts[test]))
        macro.append(f1_score(y, oof.astype(str), labels=labels, average="macro", zero_division=0))
        per_class.append(f1_score(y, oof.astype(str), labels=labels, average=None, zero_division=0))
        cms.append(confusion_matrix(y, oof.astype(str), labels=labels))
        oof_all.append(oof.astype(str))
    return {
        "macro_f1": float(np.mean(macro)),
        "macro_f1_sd": float(np.std(macro)),
        "per_class_f1": dict(zip(labels, np.mean(per_class, axis=0).round(4).tolist())),
        "confusion": np.sum(cms, axis=0).tolist(),  # rows: true, columns: predicted; summed over repeats
        "labels": labels,
        "n_splits": n_splits,
        "n_repeats": n_repeats,
        "oof": [o.tolist() for o in oof_all],
    }
