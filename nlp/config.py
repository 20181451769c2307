"""Configuration in one place: defaults, overridden by environment variables, then CLI options.

Environment variables (all optional):
  ACUERDOS_HOME     project folder holding seeds/, corpus/, models/ (default: current folder)
  ACUERDOS_SEEDS    folder of informes to load (default: $ACUERDOS_HOME/seeds)
  ACUERDOS_CORPUS   corpus JSONL (default: $ACUERDOS_HOME/corpus/acuerdos.jsonl)
  ACUERDOS_MODELS   folder of built models and indexes (default: $ACUERDOS_HOME/models)
  ACUERDOS_ENCODER  sentence-transformers model name or path (default: the offline e5 build)
  ACUERDOS_GLOSSARY glossary used for query expansion (default: docs/glossary.md)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_ENCODER = "intfloat/multilingual-e5-small"
LOCAL_E5_DIRNAME = "multilingual-e5-small"


@dataclass(frozen=True)
class Settings:
    home: Path
    seeds: Path
    corpus: Path
    models: Path
    encoder: str
    glossary: Path
    reports: Path

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
    def labels(self) -> Path:
        return self.home / "corpus" / "labels.csv"

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


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
    )
