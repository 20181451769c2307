"""Search quality on the hand-judged questions (tests/data/search_queries.json): nDCG@10 and
recall@10 per mode, state-set precision/recall/F1 for `states`, and calibration of its cut.
The blind questions (tests/data/search_queries_heldout.json, written by a judge who never saw the
thesaurus) are scored separately and never used to fit the cut: they estimate how search does on
questions it was not tuned for.

    python -m nlp.search_eval [--calibrate]
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from nlp.answers import FEATURES, Cut, answer_states, candidate_hits, hit_features, relevance
from nlp.search import MODES, Searcher

DEFAULT_QUERIES = Path(__file__).resolve().parent.parent / "tests" / "data" / "search_queries.json"
HELDOUT_QUERIES = DEFAULT_QUERIES.with_name("search_queries_heldout.json")


def load_queries(path: Path = DEFAULT_QUERIES) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    relevant = {d for d, g in grades.items() if g > 0}
    return len(relevant & set(ranked[:k])) / min(len(relevant), k) if relevant else 0.0


def set_prf(pred: set[str], gold: set[str]) -> tuple[float, float, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else (1.0 if not gold else 0.0)
    r = tp / len(gold) if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate_ranking(searcher: Searcher, queries: list[dict], k: int = 10) -> dict[str, dict[str, float]]:
    out = {}
    for mode in MODES:
        nd, rc = [], []
        for q in queries:
            ranked = [h.record["id"] for h in searcher.search(q["query"], k=k, mode=mode)]
            nd.append(ndcg_at(ranked, q["relevant"], k))
            rc.append(recall_at(ranked, q["relevant"], k))
        out[mode] = {"ndcg@10": sum(nd) / len(nd), "recall@10": sum(rc) / len(rc)}
    return out


def _gold_states(q: dict) -> set[str]:
    return set(q["states"]) - {"Nacional"}


def evaluate_states(searcher: Searcher, queries: list[dict], cut: Cut | None = None) -> dict[str, float]:
    ps, rs, fs = [], [], []
    for q in queries:
        pred = {a.entidad for a in answer_states(searcher, q["query"], cut=cut)}
        p, r, f = set_prf(pred, _gold_states(q))
        ps.append(p), rs.append(r), fs.append(f)
    n = len(queries)
    return {"precision": sum(ps) / n, "recall": sum(rs) / n, "f1": sum(fs) / n}


THRESHOLDS = [round(x, 2) for x in np.arange(0.30, 0.96, 0.05)]


def _fit_cut(data: list, idx: list[int]) -> Cut:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([data[i][0] for i in idx])
    y = np.concatenate([data[i][1] for i in idx])
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(X, y)
    base = Cut(tuple(model.coef_[0].tolist()), float(model.intercept_[0]), 0.5)

    def mean_f1(th: float) -> float:
        return float(np.mean([_state_prf(data[i], Cut(base.coef, base.intercept, th))[2] for i in idx]))

    best = max(THRESHOLDS, key=lambda th: (mean_f1(th), -th))
    return Cut(base.coef, base.intercept, best)


def _state_prf(item, cut: Cut) -> tuple[float, float, float]:
    X, _, states, gold = item
    p = relevance(X, cut)
    pred = {s for s, pp in zip(states, p) if pp >= cut.threshold and s and s != "Nacional"}
    return set_prf(pred, gold)


def calibrate(searcher: Searcher, queries: list[dict]) -> tuple[Cut, dict[str, Any]]:
    """Fit the relevance model on all judged questions; report leave-one-question-out figures."""
    data = []
    for q in queries:
        hits = candidate_hits(searcher, q["query"])
        X = hit_features(q["query"], hits, searcher.glossary_path)
        y = np.array([1 if q["relevant"].get(h.record["id"], 0) >= 2 else 0 for h in hits])
        data.append((X, y, [h.record["entidad"] for h in hits], _gold_states(q)))
    idx = list(range(len(queries)))
    full = _fit_cut(data, idx)
    loo = [_state_prf(data[i], _fit_cut(data, [j for j in idx if j != i])) for i in idx]
    report = {
        "in_sample": dict(zip(("precision", "recall", "f1"), np.mean([_state_prf(d, full) for d in data], axis=0).tolist())),
        "leave_one_question_out": dict(zip(("precision", "recall", "f1"), np.mean(loo, axis=0).tolist())),
        "threshold": full.threshold,
    }
    return full, report


def main(argv: list[str] | None = None) -> int:
    from nlp.config import get_settings
    from nlp.pipeline import open_searcher

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--heldout", type=Path, default=HELDOUT_QUERIES, help="blind questions, scored but never fitted")
    ap.add_argument("--calibrate", action="store_true", help="refit the states relevance model (leave-one-out report)")
    ap.add_argument("--write", action="store_true", help="with --calibrate: store the model in nlp/data/states_cut.json")
    args = ap.parse_args(argv)
    searcher = open_searcher(get_settings())
    queries = load_queries(args.queries)
    result: dict[str, Any] = {"queries": len(queries), "ranking": evaluate_ranking(searcher, queries)}
    cut = None  # the stored one
    if args.calibrate:
        cut, report = calibrate(searcher, queries)
        result["states_calibration"] = report
        if args.write:
            from datetime import date

            from nlp.io import sha256_file, write_json

            write_json(Path(__file__).resolve().parent / "data" / "states_cut.json", {
                "features": list(FEATURES), "coef": list(cut.coef), "intercept": cut.intercept,
                "threshold": cut.threshold,
                "provenance": {"queries": str(args.queries.name), "queries_sha256": sha256_file(args.queries),
                               "command": "python -m nlp.search_eval --calibrate --write",
                               "date": date.today().isoformat(), **report}})
            from nlp.answers import default_cut

            default_cut.cache_clear()
    result["states"] = evaluate_states(searcher, queries, cut)
    if args.heldout and args.heldout.exists():
        blind = load_queries(args.heldout)
        result["heldout"] = {"queries": len(blind), "ranking": evaluate_ranking(searcher, blind),
                             "states": evaluate_states(searcher, blind, cut)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
