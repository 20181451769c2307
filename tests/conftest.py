"""Shared fixtures: paths to the bundled seeds and to the small quirk fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_records():
    from nlp.loader import load_paths

    return load_paths([SEEDS]).records


def fixture_path(*parts: str) -> Path:
    return FIXTURES.joinpath(*parts)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The whole pipeline run once on the seeds into a temporary home (reusing the repo's offline
    encoder folder and embedding cache, which `acuerdos build` or the first use creates)."""
    import os
    import shutil

    from nlp.config import DEFAULT_ENCODER, Settings
    from nlp.pipeline import run_build

    home = tmp_path_factory.mktemp("home")
    (home / "models").mkdir()
    (home / "corpus").mkdir()
    for name in ("multilingual-e5-small", "cache"):
        src = ROOT / "models" / name
        if name == "cache":
            src.mkdir(parents=True, exist_ok=True)
        os.symlink(src, home / "models" / name, target_is_directory=True)
    for name in ("labels.csv", "labels_supplement.csv"):
        shutil.copy(ROOT / "corpus" / name, home / "corpus" / name)
    settings = Settings(home=home, seeds=SEEDS, corpus=home / "corpus" / "acuerdos.jsonl", models=home / "models",
                        encoder=DEFAULT_ENCODER, glossary=ROOT / "docs" / "glossary.md", reports=home / "reports")
    run_build(settings)
    return settings


@pytest.fixture()
def env_home(built, monkeypatch):
    """Point the CLI at the built temporary home."""
    monkeypatch.setenv("ACUERDOS_HOME", str(built.home))
    monkeypatch.setenv("ACUERDOS_SEEDS", str(built.seeds))
    monkeypatch.setenv("ACUERDOS_GLOSSARY", str(built.glossary))
    return built


@pytest.fixture(scope="session")
def searcher(built):
    from nlp.pipeline import open_searcher

    return open_searcher(built)
