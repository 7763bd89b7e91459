"""Lauf a. d. Pegnitz: regiowerk's walking access next to BBSR's INKAR 339–346 (real data)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import load_tool

pytest.importorskip("osmium")
pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool("access_inkar")


@pytest.fixture(scope="module")
def inkar(tool: ModuleType, real_data: Path) -> pd.DataFrame:
    return tool.inkar_values(real_data)


@pytest.fixture(scope="module")
def computed(tool: ModuleType, real_data: Path) -> tuple[Any, list[Any]]:
    return tool.compute(real_data)


def test_inkar_values_for_lauf_are_found(
    tool: ModuleType, real_data: Path, inkar: pd.DataFrame
) -> None:
    _, level, name = tool.inkar_region(real_data)
    assert "Lauf" in name
    assert level == "Gemeindeverbände"  # INKAR has 339–346 for Lauf only at this level
    assert set(inkar["kind"]) == {s.kind for s in tool.SERVICES}
    assert (inkar["distance_m"] > 0).all()
    assert ((inkar["share_pct"] > 0) & (inkar["share_pct"] <= 100)).all()


def test_airline_means_are_near_inkar(inkar: pd.DataFrame, computed: tuple[Any, list[Any]]) -> None:
    # Measured (footprint-weighted building centroids, OSM 2020, extract = town core) vs INKAR:
    # supermarket 507 vs 785 m (ratio 0.65), pharmacy 794 vs 1312 (0.61), PT stop 137 vs 180
    # (0.76), primary school 463 vs 1097 (0.42). regiowerk is lower throughout because the
    # extract (≈ 4.4 × 3.4 km) holds only the core, not the outlying villages of the 60 km²
    # municipality (INKAR's ≤ 1 km shares are 17–31 points lower, as if ≈ a quarter of the
    # inhabitants lived beyond the extract), because OSM counts every stop (INKAR: ≥ 20
    # departures per weekday) and schools of unknown kind (and two Volkshochschulen) as
    # primary, and because INKAR's air-lines detour around the Pegnitz. A factor of 2 holds for
    # three services with margin; primary schools miss it (0.42; 0.45 even without the
    # Volkshochschulen), so they get a factor of 3. Both bounds would catch a unit error (km vs
    # m), a wrong region or indicator column, or origins/facilities in the wrong CRS.
    _, results = computed
    tolerance = {"supermarket": 2.0, "pharmacy": 2.0, "pt_stop": 2.0, "primary_school": 3.0}
    for result in results:
        for inkar_m in inkar.loc[inkar["kind"] == result.kind, "distance_m"]:
            ratio = result.airline_m / inkar_m
            factor = tolerance[result.kind]
            assert 1 / factor <= ratio <= factor, (result.kind, result.airline_m, inkar_m)


def test_network_distance_is_never_below_airline(computed: tuple[Any, list[Any]]) -> None:
    # Access leg + network path + egress leg is a polyline from the origin to some facility,
    # so it cannot be shorter than the straight line to the nearest one.
    origins, results = computed
    assert len(origins.x) > 1_000
    for result in results:
        walked, air = result.per_origin_network, result.per_origin_airline
        assert np.isfinite(walked).all(), result.kind
        assert (walked >= air - 1e-6).all(), result.kind
        assert result.detour >= 1.0
