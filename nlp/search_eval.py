"""Search quality on the hand-judged questions (tests/data/search_queries.json): nDCG@10 and
recall@10 per mode, state-set precision/recall/F1 for `states`, calibration of its cut on the
training question sets, and agreement between two judges.
The blind questions (tests/data/search_queries_heldout.json, search_queries_dev.json) are scored
separately and never used to fit anything: they estimate how search does on questions it was not
tuned for.

    python -m nlp.search_eval [--calibrate [--write]] [--no-adapter] [--heldout FILE] [--heldout FILE --agreement FILE2]
    python -m nlp.search_eval --sweep 2,4,6,8,12,100     # the dense RRF weight choice, leave-one-set-out
"""
from __future__ import annotations

import argparse
import json
import math
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

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


def judge_agreement(gold: list[dict], other: list[dict], draws: int = 50) -> dict[str, float]:
    """How far a second judge's answers agree with the first's, on the questions both judged: the
    state-set P/R/F1 and nDCG@10 that a perfect system copying the second judge would score (their
    grades say nothing about order within a grade, so ties are shuffled, `draws` times, seed 0)."""
    import random

    rng = random.Random(0)
    by_qid = {q["qid"]: q for q in other}
    prf, nd = [], []
    for q in gold:
        o = by_qid.get(q["qid"])
        if o is None:
            continue
        prf.append(set_prf(_gold_states(o), _gold_states(q)))
        items = list(o["relevant"].items())
        scores = []
        for _ in range(draws):
            rng.shuffle(items)
            scores.append(ndcg_at([d for d, _ in sorted(items, key=lambda x: -x[1])], q["relevant"]))
        nd.append(sum(scores) / draws)
    if not prf:
        return {"questions": 0}
    p, r, f = np.mean(prf, axis=0).tolist()
    return {"questions": len(prf), "precision": p, "recall": r, "f1": f, "ndcg@10": float(np.mean(nd))}


THRESHOLDS = [round(x, 2) for x in np.arange(0.30, 0.96, 0.05)]


class CutItem(NamedTuple):
    """One training question as the states cut sees it: its candidates' features and answers."""
    X: np.ndarray  # retrieval features of each candidate (answers.FEATURES)
    y: np.ndarray  # 1 where the candidate answers the question (grade 2)
    states: list[str]  # state of each candidate
    gold: set[str]  # the judge's answer states
    ndcg: float  # nDCG@10 of the hybrid ranking (its top 10 = `acuerdos search -k 10`)


def _fit_cut(data: list[CutItem], idx: list[int]) -> Cut:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([data[i].X for i in idx])
    y = np.concatenate([data[i].y for i in idx])
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(X, y)
    base = Cut(tuple(model.coef_[0].tolist()), float(model.intercept_[0]), 0.5)

    def mean_f1(th: float) -> float:
        return float(np.mean([_state_prf(data[i], Cut(base.coef, base.intercept, th))[2] for i in idx]))

    best = max(THRESHOLDS, key=lambda th: (mean_f1(th), -th))
    return Cut(base.coef, base.intercept, best)


def _state_prf(item: CutItem, cut: Cut) -> tuple[float, float, float]:
    p = relevance(item.X, cut)
    pred = {s for s, pp in zip(item.states, p) if pp >= cut.threshold and s and s != "Nacional"}
    return set_prf(pred, item.gold)


def _cut_data(searcher: Searcher, q: dict) -> CutItem:
    hits = candidate_hits(searcher, q["query"])
    return CutItem(X=hit_features(q["query"], hits, searcher.glossary_path),
                   y=np.array([1 if q["relevant"].get(h.record["id"], 0) >= 2 else 0 for h in hits]),
                   states=[h.record["entidad"] for h in hits], gold=_gold_states(q),
                   ndcg=ndcg_at([h.record["id"] for h in hits], q["relevant"]))


@contextmanager
def query_adapter(searcher: Searcher, adapter):
    """Search with another query adapter (None: without one) for the block, then restore the searcher's."""
    saved, searcher.adapter = searcher.adapter, adapter
    try:
        yield searcher
    finally:
        searcher.adapter = saved


def _adapter_key(searcher: Searcher, questions: list[dict]) -> str:
    """What an out-of-fold adapter is fitted from: the index's inputs, the glossary, the fit's settings
    and the questions themselves (by content, so a renamed set does not refit)."""
    from nlp import adapter as qa
    from nlp.io import sha256_text

    glossary = Path(searcher.glossary_path) if searcher.glossary_path else None
    spec = {**qa.inputs(searcher.index.meta, (), glossary),
            "fit": [qa.EPOCHS, qa.LEARNING_RATE, qa.L2, qa.TEMPERATURE, qa.SEED],
            "questions": sha256_text(json.dumps(questions, sort_keys=True, ensure_ascii=False))}
    return sha256_text(json.dumps(spec, sort_keys=True))[:20]


def out_of_fold_adapters(searcher: Searcher, sets: dict[str, list[dict]], cache: Path | None = None) -> dict[str, Any]:
    """For each set, the query adapter fitted on the other sets only (~2.5 min each on this machine).
    With `cache`, each fit is stored under the hash of what it was fitted from and reused, so a rerun
    of --calibrate or --sweep with unchanged inputs fits nothing; a changed input gets a new key."""
    from nlp import adapter as qa
    from nlp.io import atomic_write_bytes

    out = {}
    for name in sets:
        others = [q for n, qs in sets.items() if n != name for q in qs]
        path = cache / f"{_adapter_key(searcher, others)}.npy" if cache else None
        if path is not None and path.exists():
            try:
                out[name] = qa.QueryAdapter(np.load(path, allow_pickle=False))
                continue
            except (OSError, ValueError):  # a damaged cache entry is refitted and rewritten, not trusted
                pass
        out[name], _ = qa.fit_searcher(searcher, others)
        if path is not None and out[name] is not None:
            import io

            buf = io.BytesIO()
            np.save(buf, out[name].weight.astype(np.float32))
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, buf.getvalue())
    return out


def out_of_fold_data(searcher: Searcher, sets: dict[str, list[dict]], adapters: dict[str, Any] | None = None,
                     ) -> dict[str, list[CutItem]]:
    """Retrieval features of each set's questions, searched with a query adapter fitted on the other
    sets only: the cut must learn how much to trust dense ranks on questions the adapter never saw."""
    adapters = adapters if adapters is not None else out_of_fold_adapters(searcher, sets)
    out = {}
    for name in sets:
        with query_adapter(searcher, adapters[name]):
            out[name] = [_cut_data(searcher, q) for q in sets[name]]
    return out


def without_adapter_data(searcher: Searcher, sets: dict[str, list[dict]]) -> dict[str, list[CutItem]]:
    """The same features from a searcher with no query adapter: what a corpus without judged questions,
    or another encoder, gets."""
    with query_adapter(searcher, None):
        return {name: [_cut_data(searcher, q) for q in qs] for name, qs in sets.items()}


def _fit_and_report(data: dict[str, list[CutItem]]) -> tuple[Cut, dict[str, Any]]:
    """Fit the cut on every set; report, per set, the state F1 of a cut fitted on the other sets
    (leave-one-set-out)."""
    pool = [d for items in data.values() for d in items]
    full = _fit_cut(pool, list(range(len(pool))))
    loso = {}
    for name, items in data.items():
        others = [d for n, its in data.items() if n != name for d in its]
        cut = _fit_cut(others, list(range(len(others))))
        loso[name] = {**dict(zip(("precision", "recall", "f1"), np.mean([_state_prf(d, cut) for d in items], axis=0).tolist())),
                      "hybrid_ndcg@10": float(np.mean([d.ndcg for d in items]))}
    report = {
        "out_of_fold": dict(zip(("precision", "recall", "f1"), np.mean([_state_prf(d, full) for d in pool], axis=0).tolist())),
        "leave_one_set_out": loso,
        "threshold": full.threshold,
    }
    return full, report


def calibrate(searcher: Searcher, sets: dict[str, list[dict]], cache: Path | None = None,
              ) -> tuple[Cut, dict[str, Any], Cut, dict[str, Any]]:
    """The states cut for searchers with a query adapter (features from out-of-fold adapters) and the
    one for searchers without; each with its leave-one-set-out report."""
    cut, report = _fit_and_report(out_of_fold_data(searcher, sets, out_of_fold_adapters(searcher, sets, cache)))
    plain = without_adapter_data(searcher, sets)
    plain_cut, plain_report = _fit_and_report(plain)
    # what the adapter's cut would give on these lists: why a second cut is stored
    plain_report["with_the_adapter_cut"] = dict(zip(("precision", "recall", "f1"), np.mean(
        [_state_prf(d, cut) for items in plain.values() for d in items], axis=0).tolist()))
    return cut, report, plain_cut, plain_report


@contextmanager
def dense_weight(weight: float):
    """Fuse with another dense RRF weight for the block (the searcher reads search.RRF_WEIGHTS per query)."""
    from nlp import search

    saved = search.RRF_WEIGHTS["dense"]
    search.RRF_WEIGHTS["dense"] = float(weight)
    try:
        yield
    finally:
        search.RRF_WEIGHTS["dense"] = saved


def sweep(searcher: Searcher, sets: dict[str, list[dict]], weights: list[float], cache: Path | None = None,
          ) -> dict[str, Any]:
    """The dense-weight choice, reproducible: for each weight, the states cut refitted leave-one-set-out
    on out-of-fold lists (the adapters do not depend on the weight: fitted once), and the mean over sets
    of states F1 and hybrid nDCG@10. The rule used so far: states first, then the smallest weight."""
    adapters = out_of_fold_adapters(searcher, sets, cache)
    rows = []
    for w in weights:
        with dense_weight(w):
            _, report = _fit_and_report(out_of_fold_data(searcher, sets, adapters))
        loso = report["leave_one_set_out"].values()
        rows.append({"dense_weight": w, "states_f1": float(np.mean([v["f1"] for v in loso])),
                     "hybrid_ndcg@10": float(np.mean([v["hybrid_ndcg@10"] for v in loso])),
                     "threshold": report["threshold"]})
    best = max(rows, key=lambda r: (round(r["states_f1"], 4), -r["dense_weight"]))
    from nlp import search

    return {"sets": len(sets), "questions": sum(len(v) for v in sets.values()), "weights": rows,
            "chosen": best["dense_weight"], "shipped": search.RRF_WEIGHTS["dense"],
            "rule": "highest leave-one-set-out states F1 (to 4 decimals), then the smallest weight"}


def main(argv: list[str] | None = None) -> int:
    from nlp.config import get_settings
    from nlp.pipeline import open_searcher

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--heldout", type=Path, default=HELDOUT_QUERIES, help="blind questions, scored but never fitted")
    ap.add_argument("--calibrate", action="store_true",
                    help="refit the states relevance model on the training question sets (out-of-fold adapters)")
    ap.add_argument("--write", action="store_true", help="with --calibrate: store the model in nlp/data/states_cut.json")
    ap.add_argument("--agreement", type=Path, help="a second judge's answers: compare them with --heldout's judge")
    ap.add_argument("--no-adapter", action="store_true",
                    help="score the searcher without its query adapter (what another encoder or corpus gets)")
    ap.add_argument("--sweep", type=str, metavar="W1,W2,...",
                    help="score these dense RRF weights leave-one-set-out (states F1, nDCG) and say which the rule picks")
    ap.add_argument("--no-cache", action="store_true",
                    help="fit the out-of-fold adapters afresh instead of reusing models/cache/oof_adapters")
    args = ap.parse_args(argv)
    weights: list[float] = []
    if args.sweep:
        try:
            weights = [float(w) for w in args.sweep.split(",") if w.strip()]
        except ValueError:
            ap.error(f"--sweep takes numbers separated by commas, not {args.sweep!r}")
        if not weights or min(weights) <= 0:
            ap.error(f"--sweep takes positive numbers separated by commas, not {args.sweep!r}")
    if args.agreement:
        print(json.dumps(judge_agreement(load_queries(args.heldout), load_queries(args.agreement)), indent=2))
        return 0
    settings = get_settings()
    searcher = open_searcher(settings)
    if args.no_adapter:
        searcher.adapter = None
    cache = None if args.no_cache else settings.models / "cache" / "oof_adapters"
    files = [p for p in settings.search_training if p.exists()]
    if args.sweep:
        print(json.dumps(sweep(searcher, {p.name: load_queries(p) for p in files}, weights, cache), indent=2))
        return 0
    queries = load_queries(args.queries)
    result: dict[str, Any] = {"queries": len(queries), "ranking": evaluate_ranking(searcher, queries)}
    cut = None  # the stored one
    if args.calibrate:
        cut, report, plain_cut, plain_report = calibrate(searcher, {p.name: load_queries(p) for p in files}, cache)
        result["states_calibration"] = report
        result["states_calibration_without_adapter"] = plain_report
        if args.no_adapter:
            cut = plain_cut
        if args.write:
            from datetime import date

            from nlp.io import sha256_file, write_json

            write_json(Path(__file__).resolve().parent / "data" / "states_cut.json", {
                "features": list(FEATURES), "coef": list(cut.coef), "intercept": cut.intercept,
                "threshold": cut.threshold,
                "provenance": {"questions": {p.name: sha256_file(p) for p in files},
                               "command": "python -m nlp.search_eval --calibrate --write",
                               "date": date.today().isoformat(), **report},
                "no_adapter": {"coef": list(plain_cut.coef), "intercept": plain_cut.intercept,
                               "threshold": plain_cut.threshold, "provenance": plain_report}})
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
