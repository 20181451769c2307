"""Topic shares of a set of records: classify-and-count, and the adjusted estimate that corrects it
for the classifier's measured error rates (adjusted classify-and-count, Forman 2008), with a 95 %
bootstrap interval that resamples both the records and the cross-validated predictions."""
from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from nlp.classify.labels import TOPICS


def confusion_rates(confusion: list[list[float]]) -> np.ndarray:
    """Row-normalised confusion: M[i, j] = P(predicted j | true i)."""
    m = np.asarray(confusion, dtype=float)
    rows = m.sum(axis=1, keepdims=True)
    return np.divide(m, rows, out=np.eye(len(m)), where=rows > 0)


def adjust(observed: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Solve rates.T @ p = observed for a distribution p (non-negative, sums to 1)."""
    k = len(observed)
    a = np.vstack([rates.T, 100.0 * np.ones((1, k))])
    b = np.concatenate([observed, [100.0]])
    p, _ = nnls(a, b)
    s = p.sum()
    return p / s if s > 0 else observed


def shares(pred: list[str]) -> np.ndarray:
    n = len(pred)
    return np.array([sum(p == t for p in pred) / n if n else 0.0 for t in TOPICS])


def estimate(pred: list[str], confusion: list[list[float]], *, n_boot: int = 1000,
             seed: int = 0) -> dict[str, dict[str, float]]:
    """Per topic: classify-and-count share, adjusted share and its 95 % interval.

    `confusion` holds cross-validated counts for one pass over the labels (rows: true topic,
    columns: predicted); the bootstrap resamples those (true, predicted) pairs and the records."""
    rng = np.random.default_rng(seed)
    idx = {t: i for i, t in enumerate(TOPICS)}
    counts = np.rint(np.asarray(confusion, dtype=float)).astype(int)
    true_i = np.repeat(np.arange(len(TOPICS)), counts.sum(axis=1))
    pred_i = np.concatenate([np.repeat(np.arange(len(TOPICS)), row) for row in counts])
    pred_arr = np.array([idx[t] for t in pred if t in idx], dtype=int)

    def rates_of(ti, pi):
        m = np.zeros((len(TOPICS), len(TOPICS)))
        np.add.at(m, (ti, pi), 1)
        return confusion_rates(m)

    cc = np.bincount(pred_arr, minlength=len(TOPICS)) / max(1, len(pred_arr))
    acc = adjust(cc, rates_of(true_i, pred_i))
    if len(pred_arr):
        boots = []
        for _ in range(n_boot):
            sample = rng.integers(0, len(pred_arr), len(pred_arr))
            q = np.bincount(pred_arr[sample], minlength=len(TOPICS)) / len(sample)
            j = rng.integers(0, len(true_i), len(true_i))
            boots.append(adjust(q, rates_of(true_i[j], pred_i[j])))
        lo, hi = np.percentile(np.array(boots), [2.5, 97.5], axis=0)
    else:
        lo, hi = acc, acc
    return {t: {"count": int((pred_arr == i).sum()), "cc": float(cc[i]), "adjusted": float(acc[i]),
                "low": float(lo[i]), "high": float(hi[i])} for i, t in enumerate(TOPICS)}
