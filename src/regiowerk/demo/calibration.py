"""Calibration facts of the demo region, read from ``calibration.toml``.

The generator never reads official data. It uses a few rounded facts (shares, rates, means)
derived from Regionaldatenbank and Destatis tables; each block of ``calibration.toml`` names its
source and licence (dl-de/by-2-0). ``tools/calibrate_demo.py`` recomputes the facts from the real
data and checks the file.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

BLOCKS = (
    "age_structure",
    "fertility",
    "mortality",
    "households",
    "dwellings",
    "employment",
    "labour_market",
    "migration",
)


@cache
def load_calibration() -> dict[str, dict[str, Any]]:
    """All calibration blocks, keyed by block name (``age_structure``, ``fertility`` …)."""
    text = files("regiowerk.demo").joinpath("calibration.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    missing = [block for block in BLOCKS if block not in data]
    if missing:
        raise ValueError(f"calibration.toml: Blöcke fehlen: {', '.join(missing)}")
    return data


def calibration_note(*blocks: str) -> str:
    """German provenance note naming the calibration facts of ``blocks`` with their sources."""
    data = load_calibration()
    parts = [f"{data[b]['label']} ({data[b]['source']}; {data[b]['licence']})" for b in blocks]
    return "Kalibriert auf: " + "; ".join(parts) + "."
