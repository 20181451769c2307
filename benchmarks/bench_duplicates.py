"""Duplicates benchmark: a synthetic corpus of 100,000 acuerdos (perturbed copies of the real ones:
reordering, synonyms, typos, status changes) with planted duplicates; time and peak memory (peak RSS
of the process, which includes the synthetic corpus itself) of the duplicate search, and recall of the planted pairs;
time of `track` (informes 6 -> 7, half the records each) on the same corpus. Baseline in the same run: the same exact
grouping plus an all-pairs rapidfuzz scan on a 2,000-record slice, extrapolated (O(n²)).

    python benchmarks/bench_duplicates.py [--n 100000]
"""
from __future__ import annotations

import argparse
import json
import time

from common import peak_rss_mb, real_corpus


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args(argv)
    from nlp.duplicates import find_pairs, group_pairs
    from synth import synthetic_corpus

    records, vectors = real_corpus()
    big, bigv, planted = synthetic_corpus(records, vectors, args.n, dup_rate=0.1, seed=1)
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    pairs = find_pairs(big, bigv)
    t_pairs = time.perf_counter() - t0
    groups = group_pairs(big, pairs)
    t_total = time.perf_counter() - t0
    from nlp.track import track

    t2 = time.perf_counter()
    tracked = track(big, bigv)
    t_track = time.perf_counter() - t2
    found = {(p.a, p.b) for p in pairs}
    hit = sum((min(a, b), max(a, b)) in found for a, b in planted)

    # baseline: all pairs with rapidfuzz on a slice, extrapolated to n
    from rapidfuzz import fuzz, process

    m = 2000
    texts = [r["texto"] for r in big[:m]]
    t1 = time.perf_counter()
    process.cdist(texts, texts, scorer=fuzz.ratio, workers=1)
    t_slice = time.perf_counter() - t1
    out = {
        "records": len(big), "planted_pairs": len(planted), "pairs_found": len(pairs), "groups": len(groups),
        "seconds_pairs": round(t_pairs, 1), "seconds_total": round(t_total, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1), "rss_before_duplicates_mb": round(rss_before, 1),
        "planted_recall": round(hit / len(planted), 4),
        "seconds_track": round(t_track, 1), "track_matched": sum(t.summary["matched"] for t in tracked),
        "baseline_allpairs_rapidfuzz_seconds_for_2000": round(t_slice, 2),
        "baseline_allpairs_extrapolated_seconds": round(t_slice * (len(big) / m) ** 2, 0),
    }
    out["speedup_vs_allpairs"] = round(out["baseline_allpairs_extrapolated_seconds"] / t_total, 1)
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
