"""Population on the 1 km INSPIRE grid (Zensus convention), base year.

Method
------
* Cells are the 1 km squares of the INSPIRE grid in EPSG:3035 (lower-left corners at
  multiples of 1,000 m); ``cell_id`` is ``CRS3035RES1000mN{north}E{east}`` with the lower-left
  corner, as in the Zensus grid tables. A cell belongs to the municipality containing its centre.
* Each municipality's population is spread over its cells with a sum of normalised
  exponential kernels truncated at ``max(3λ_s, 1 km)``,
  ``w(c) = Σ_s m_s · exp(−d(c, s) / λ_s) / (2π λ_s²)``: the settlement centre
  (``λ = max(250 m, 200 m · √(P / 1,000))``) and 2–8 outlying villages (Ortsteile) at random
  points of the municipality (``λ = 250 m``, each 3–8 % of the mass; more in central places).
  The settlement centre lies at least 1.5 km inside its municipality and the truncation
  radius exceeds the distance to the centre of its own cell (≤ 707 m), so every municipality
  has at least one populated cell.
* Persons per cell = largest-remainder split of the municipal population by ``w``, so the
  cells add up exactly to the municipal population; empty cells are dropped.
* Geometry: the 3035 square with its four corners transformed to EPSG:25832.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon

from regiowerk.demo.rounding import largest_remainder
from regiowerk.schema import CRS

INSPIRE_CRS = "EPSG:3035"
CELL_M = 1_000
HAMLETS = {"centre": (4, 9), "town": (4, 9), "grund": (3, 7), "village": (2, 5)}
"""Range (inclusive lower, exclusive upper) of the number of outlying villages by role."""


def build_grid(
    rng: np.random.Generator,
    places: pd.DataFrame,
    municipalities: gpd.GeoDataFrame,
    population: pd.DataFrame,
    base_year: int,
) -> gpd.GeoDataFrame:
    """The ``grid`` table (see the module docstring)."""
    to_inspire = Transformer.from_crs(CRS, INSPIRE_CRS, always_xy=True)
    to_utm = Transformer.from_crs(INSPIRE_CRS, CRS, always_xy=True)
    areas = municipalities.to_crs(INSPIRE_CRS).geometry.to_numpy()
    persons = population[population["year"] == base_year].groupby("ags")["persons"].sum()
    cx, cy = to_inspire.transform(places["x"].to_numpy(), places["y"].to_numpy())

    xmin, ymin, xmax, ymax = shapely.total_bounds(areas)
    east = np.arange(np.floor(xmin / CELL_M) * CELL_M, xmax, CELL_M)
    north = np.arange(np.floor(ymin / CELL_M) * CELL_M, ymax, CELL_M)
    ee, nn = (a.ravel() for a in np.meshgrid(east, north))
    mx, my = ee + CELL_M / 2, nn + CELL_M / 2

    cells: list[tuple[float, float, str, int]] = []
    for i, (ags, role) in enumerate(zip(places["ags"], places["role"], strict=True)):
        inside = np.flatnonzero(shapely.contains_xy(areas[i], mx, my))
        if inside.size == 0:
            raise RuntimeError(f"Gemeinde {ags} enthält keinen Rastermittelpunkt.")
        total = int(persons[ags])
        sources = [(cx[i], cy[i], max(250.0, 200.0 * np.sqrt(total / 1_000)))]
        sources += [
            (*_random_point(rng, areas[i]), 250.0) for _ in range(rng.integers(*HAMLETS[role]))
        ]
        masses = rng.uniform(0.03, 0.08, size=len(sources))
        masses[0] = 1.0 - masses[1:].sum()
        weight = np.zeros(inside.size)
        for (sx, sy, scale), mass in zip(sources, masses, strict=True):
            d = np.hypot(mx[inside] - sx, my[inside] - sy)
            kernel = np.exp(-d / scale) / (2 * np.pi * scale**2)
            weight += mass * np.where(d <= max(3 * scale, 1_000.0), kernel, 0.0)
        counts = largest_remainder(weight, total)
        for k in np.flatnonzero(counts):
            cells.append((ee[inside[k]], nn[inside[k]], ags, int(counts[k])))

    frame = pd.DataFrame(cells, columns=["east", "north", "ags", "persons"])
    frame["cell_id"] = [
        f"CRS3035RES{CELL_M}mN{int(n)}E{int(e)}"
        for e, n in zip(frame["east"], frame["north"], strict=True)
    ]
    geometry = [_square(to_utm, e, n) for e, n in zip(frame["east"], frame["north"], strict=True)]
    table = gpd.GeoDataFrame(frame[["cell_id", "ags", "persons"]], geometry=geometry, crs=CRS)
    return table.sort_values("cell_id", kind="stable").reset_index(drop=True)


def _random_point(rng: np.random.Generator, area: shapely.Geometry) -> tuple[float, float]:
    """A uniform random point in ``area`` (rejection sampling in its bounding box)."""
    xmin, ymin, xmax, ymax = area.bounds
    while True:
        x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if shapely.contains_xy(area, x, y):
            return float(x), float(y)


def _square(to_utm: Transformer, east: float, north: float) -> Polygon:
    """The 1 km INSPIRE cell with lower-left corner (east, north), corners in EPSG:25832."""
    xs = np.array([east, east + CELL_M, east + CELL_M, east])
    ys = np.array([north, north, north + CELL_M, north + CELL_M])
    ux, uy = to_utm.transform(xs, ys)
    return Polygon(np.column_stack([np.round(ux, 2), np.round(uy, 2)]))
