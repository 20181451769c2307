"""Classification benchmark: records/s for `classify` on 10,000 acuerdos (cold start excluded),
the shipped model against the keyword baseline in the same run.

    python benchmarks/bench_classify.py [--n 10000]
"""
from __future__ import annotations

import argparse
import json

from common import real_corpus, settings, timed


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args(argv)
    from nlp.classify.keywords import KeywordClassifier
    from nlp.classify.topic_model import TopicModel
    from synth import synthetic_corpus

    records, vectors = real_corpus()
    texts = [r["texto"] for r in synthetic_corpus(records, None, args.n, dup_rate=0.0)[0]]
    model = TopicModel.load(settings().topic_model_dir)
    model.predict(texts[:50])  # cold start (spaCy, vocabularies) excluded
    t_model, _ = timed(model.predict, texts)
    base = KeywordClassifier().fit(None)
    t_base, _ = timed(base.predict, texts)
    out = {"records": len(texts), "model": model.meta["model"],
           "model_records_per_s": round(len(texts) / t_model, 1),
           "keywords_records_per_s": round(len(texts) / t_base, 1),
           "model_vs_keywords_time_ratio": round(t_model / t_base, 2)}
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
