"""Run every benchmark and write the figures to benchmarks/results/ (not committed).

    python benchmarks/run_all.py
"""
from __future__ import annotations

import json
from pathlib import Path

import bench_classify
import bench_duplicates
import bench_search

if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    for name, mod in (("search", bench_search), ("classify", bench_classify), ("duplicates", bench_duplicates)):
        print(f"== {name}")
        result = mod.main([])
        (out / f"{name}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
