"""Shared fixtures: the real German data folder (skipped with a reason when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path:
    """``$REGIOWERK_DATA`` or ``../shared/data`` next to the repository."""
    return Path(os.environ.get("REGIOWERK_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real data folder; tests using it are skipped with a clear reason when it is absent."""
    folder = real_data_dir()
    if not folder.is_dir():
        pytest.skip(
            f"real data not found at {folder} (set REGIOWERK_DATA to the shared/data folder)"
        )
    return folder
