"""Shared helpers: timing, peak memory, the real corpus and its embeddings."""
from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def settings():
    import os

    from nlp.config import get_settings

    os.environ.setdefault("ACUERDOS_HOME", str(ROOT))
    return get_settings()


def real_corpus():
    """Records and embeddings of the bundled corpus (runs `acuerdos build` stages if needed)."""
    from nlp.dup_run import corpus_and_vectors
    from nlp.pipeline import run_build

    s = settings()
    run_build(s)
    return corpus_and_vectors(s)


def timed(fn, *args, repeat: int = 1, **kw):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn(*args, **kw)
        best = min(best, time.perf_counter() - t)
    return best, result


def latencies(fn, queries: list[str], warmup: int = 3) -> dict[str, float]:
    for q in queries[:warmup]:
        fn(q)
    ts = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        ts.append(time.perf_counter() - t)
    ms = np.array(ts) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)), "n": len(ts)}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


QUERIES = [
    "¿Qué entidades acordaron la custodia de los CRyT?", "¿dónde se usaron botones de pánico?",
    "escolta de camiones con boletas", "patrullaje durante la jornada electoral", "grupos de WhatsApp",
    "protección a candidatos", "seguridad en los cómputos distritales", "bloqueos carreteros",
    "centro de mando C5", "listas nominales custodiadas", "reunión con la SEGOB", "apoyo de la Guardia Nacional",
    "casillas especiales", "mapa de riesgos", "ZORE 22", "rueda de prensa", "debate presidencial",
    "delitos electorales fiscalía", "bodegas electorales", "personal del INE en campo",
]
