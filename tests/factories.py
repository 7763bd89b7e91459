"""Tiny synthetic region built in code, shared by the tests.

Two Länder (03 Niedersachsen, 15 Sachsen-Anhalt), three Kreise (03991, 15991, 15992) and six
municipalities, each a 10 km square in EPSG:25832 (x 600–630 km, y 5,750–5,770 km; one column
of two squares per Kreis), population 2022 and 2023 by single age and sex, two facilities.
Every table passes :func:`regiowerk.schema.validate`. Keep this module small and stable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from regiowerk.errors import RegiowerkError
from regiowerk.provenance import Provenance
from regiowerk.schema import CRS
from regiowerk.workspace import Workspace

KM = 1000.0
SIDE = 10 * KM
KREISE = {
    "03991": ("Landkreis Nordheide", "03"),
    "15991": ("Landkreis Ostmark", "15"),
    "15992": ("Landkreis Seeland", "15"),
}
# ags, name, centrality, column (0..2), row (0 = north), size of the population
MUNICIPALITIES = (
    ("03991001", "Nordheim", "mittel", 0, 0, 3.0),
    ("03991002", "Auenfeld", "grund", 0, 1, 0.6),
    ("15991001", "Ostburg", "ober", 1, 0, 6.0),
    ("15991002", "Lindenau", "none", 1, 1, 0.8),
    ("15992001", "Seewalde", "grund", 2, 0, 1.0),
    ("15992002", "Birkhain", None, 2, 1, 0.4),
)
YEARS = (2022, 2023)
BASE_YEAR = 2023


def _square(column: int, row: int) -> Polygon:
    x0, y0 = 600 * KM + column * SIDE, 5760 * KM - row * SIDE
    return box(x0, y0, x0 + SIDE, y0 + SIDE)


def _persons(size: float, year: int, sex: str, age: int) -> int:
    """A smooth, deterministic age profile with a baby-boomer bulge that ages with the year."""
    bulge = 25 * math.exp(-(((age - 58 - (year - 2022)) / 10) ** 2))
    women_live_longer = 1 + 0.01 * max(0, age - 60) if sex == "f" else 1.0
    return round(size * (50 + bulge - 0.45 * age) * women_live_longer)


def _provenance(**extra: str) -> Provenance:
    return Provenance(
        source="regiowerk-Testfabrik (tests/factories.py)",
        licence="CC0 1.0",
        attribution="regiowerk-Entwickler",
        retrieved="2024-06-30",
        gebietsstand="2023-12-31",
        synthetic=True,
        **extra,
    )


def tiny_tables() -> dict[str, tuple[pd.DataFrame, Provenance]]:
    """The canonical tables of the tiny region with their (synthetic) provenance."""
    municipalities = gpd.GeoDataFrame(
        {
            "ags": [m[0] for m in MUNICIPALITIES],
            "name": [m[1] for m in MUNICIPALITIES],
            "kreis": [m[0][:5] for m in MUNICIPALITIES],
            "land": [m[0][:2] for m in MUNICIPALITIES],
            "area_km2": [SIDE * SIDE / KM**2] * len(MUNICIPALITIES),
            "centrality": [m[2] for m in MUNICIPALITIES],
        },
        geometry=[_square(m[3], m[4]) for m in MUNICIPALITIES],
        crs=CRS,
    )
    kreise = (
        municipalities[["kreis", "geometry"]]
        .dissolve(by="kreis", as_index=False)
        .assign(
            name=lambda df: df["kreis"].map(lambda k: KREISE[k][0]),
            land=lambda df: df["kreis"].map(lambda k: KREISE[k][1]),
        )[["kreis", "name", "land", "geometry"]]
    )
    population = pd.DataFrame(
        [
            (ags, year, sex, age, _persons(size, year, sex, age))
            for ags, _name, _centrality, _col, _row, size in MUNICIPALITIES
            for year in YEARS
            for sex in ("m", "f")
            for age in range(101)
        ],
        columns=["ags", "year", "sex", "age", "persons"],
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["gp-1", "school-1"],
            "kind": ["gp", "primary_school"],
            "name": ["Hausarztpraxis am Markt", "Grundschule Ostburg"],
            "ags": ["03991001", "15991001"],
            "capacity": [1.5, 240.0],
            "capacity_unit": ["Arztsitze", "Schulplätze"],
            "departments": [None, None],
        },
        geometry=[Point(605 * KM, 5765 * KM), Point(615 * KM, 5765 * KM)],
        crs=CRS,
    )
    return {
        "municipalities": (municipalities, _provenance()),
        "kreise": (kreise, _provenance()),
        "population": (population, _provenance(census_basis="zensus2022")),
        "facilities": (facilities, _provenance()),
    }


def make_tiny_workspace(path: Path, *, synthetic: bool = True) -> Workspace:
    """Create the tiny region's workspace in ``path`` with all tables of :func:`tiny_tables`.

    With ``synthetic=False`` the workspace and the tables' provenance pose as official data,
    for tests of what a report of real data looks like.
    """
    workspace = Workspace.create(
        path,
        name="Testregion (synthetisch)",
        selection=list(KREISE),
        base_year=BASE_YEAR,
        synthetic=synthetic,
    )
    workspace.save_many(
        {
            name: (frame, replace(prov, synthetic=synthetic))
            for name, (frame, prov) in tiny_tables().items()
        }
    )
    return workspace


def raises_at(
    call: Callable[[], object], *, file: str, row: int | None = None, column: str | None = None
) -> str:
    """Run ``call``; it must raise a RegiowerkError naming file, row and column."""
    with pytest.raises(RegiowerkError) as info:
        call()
    message = str(info.value)
    assert f"Datei {file}" in message, message
    if row is not None:
        assert f"Zeile {row}" in message, message
    if column is not None:
        assert repr(column) in message, message
    return message
