"""Shared fixtures: the real German data folder (skipped with a reason when absent)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from regiowerk.demo import DemoRegion, generate_demo
from regiowerk.sources.base import default_data_dir

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real data folder; tests using it are skipped with a clear reason when it is absent."""
    folder = default_data_dir()
    if not folder.is_dir():
        pytest.skip(
            f"real data not found at {folder} (set REGIOWERK_DATA to the shared/data folder)"
        )
    return folder


def load_tool(name: str) -> ModuleType:
    """Import a script from ``tools/`` (not a package) by file name, e.g. ``"error_bands"``."""
    spec = importlib.util.spec_from_file_location(f"tool_{name}", REPO / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def demo_region() -> DemoRegion:
    """The demo region of the default seed, generated once per test session (read-only)."""
    return generate_demo()
