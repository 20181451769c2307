"""Configuration in one place: defaults, overridden by environment variables, then CLI options.

Environment variables (all optional):
  ACUERDOS_HOME     project folder holding seeds/, corpus/, models/ (default: current folder)
  ACUERDOS_SEEDS    folder of informes to load (default: $ACUERDOS_HOME/seeds)
  ACUERDOS_CORPUS   corpus JSONL (default: $ACUERDOS_HOME/corpus/acuerdos.jsonl)
  ACUERDOS_MODELS   folder of built models and indexes (default: $ACUERDOS_HOME/models)
  ACUERDOS_ENCODER  sentence-transformers model name or path (default: the offline e5 build)
  ACUERDOS_GLOSSARY glossary used for query expansion (default: docs/glossary.md)
  ACUERDOS_SEARCH_TRAINING  hand-judged question files the query adapter learns from, separated by
                    the path separator (default: the judged set and the fifteen theme sets in tests/data)
  ACUERDOS_QUERY_PRECISION  number format of the query's forward pass: auto (bfloat16 where the CPU
                    computes it natively, else float32), float32 or bfloat16. Passages are always float32.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_ENCODER = "intfloat/multilingual-e5-small"
LOCAL_E5_DIRNAME = "multilingual-e5-small"
# hand-judged questions the query adapter learns from (the blind sets are never among them)
SEARCH_TRAINING_FILES = ("search_queries.json",) + tuple(f"search_train_{t}.json" for t in "abcdefghijklmno")
QUERY_PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class Settings:
    home: Path
    seeds: Path
    corpus: Path
    models: Path
    encoder: str
    glossary: Path
    reports: Path
    query_precision: str = "auto"

    @property
    def topic_model_dir(self) -> Path:
        return self.models / "topic"

    @property
    def index_dir(self) -> Path:
        return self.models / "index"

    @property
    def local_e5_dir(self) -> Path:
        return self.models / LOCAL_E5_DIRNAME

    @property
    def adapter_dir(self) -> Path:
        return self.models / "adapter"

    @property
    def search_training(self) -> tuple[Path, ...]:
        env = os.environ.get("ACUERDOS_SEARCH_TRAINING")
        if env is not None:
            return tuple(Path(p) for p in env.split(os.pathsep) if p)
        data = Path(__file__).resolve().parent.parent / "tests" / "data"  # kept in the repo, beside the blind sets
        return tuple(data / f for f in SEARCH_TRAINING_FILES)

    @property
    def labels(self) -> Path:
        return self.home / "corpus" / "labels.csv"

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_query_precision(value: str) -> str:
    if value not in QUERY_PRECISIONS:
        from nlp.errors import InputError

        raise InputError(f"unknown query precision {value!r}: use one of {', '.join(QUERY_PRECISIONS)}",
                         hint="set ACUERDOS_QUERY_PRECISION to auto, float32 or bfloat16")
    return value


def get_settings() -> Settings:
    env = os.environ
    home = Path(env.get("ACUERDOS_HOME", ".")).resolve()
    return Settings(
        home=home,
        seeds=Path(env.get("ACUERDOS_SEEDS", home / "seeds")),
        corpus=Path(env.get("ACUERDOS_CORPUS", home / "corpus" / "acuerdos.jsonl")),
        models=Path(env.get("ACUERDOS_MODELS", home / "models")),
        encoder=env.get("ACUERDOS_ENCODER", DEFAULT_ENCODER),
        glossary=Path(env.get("ACUERDOS_GLOSSARY", home / "docs" / "glossary.md")),
        reports=Path(env.get("ACUERDOS_REPORTS", home / "reports")),
        query_precision=check_query_precision(env.get("ACUERDOS_QUERY_PRECISION", "auto")),
    )
