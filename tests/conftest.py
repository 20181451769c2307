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
