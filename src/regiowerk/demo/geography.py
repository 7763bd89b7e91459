"""Territory of the Musterregion: outline, settlements, municipal and Kreis boundaries.

Method
------
1. **Outline**: a star-shaped polygon around ``CENTRE`` with an elliptic base radius and four
   random harmonics, ``r(θ) = r_e(θ) · (1 + Σ_{k=2..5} c_k cos(kθ + φ_k))``, ``c_k ~ U(0, 0.05)``;
   about 2,800 km² in EPSG:25832 (x ≈ 604–676 km, y ≈ 5,735–5,795 km).
2. **Settlements** by dart throwing (rejection sampling with minimum distances): one
   Mittelzentrum in the west, three neighbouring towns in the east (pairwise 10–20 km apart, the
   candidates for a shared Oberzentrum as Halberstadt, Quedlinburg and Wernigerode in the
   IMPULS-Harz cooperation), 14 Grundzentren (≥ 8 km apart) and 30 villages (≥ 4 km apart).
3. **Länder and Kreise**: a wavy north–south line separates Niedersachsen (Kreis 03991, west)
   from Sachsen-Anhalt; a wavy east–west line splits the latter into Kreise 15991 (north) and
   15992 (south). A settlement belongs to the side its centre lies on.
4. **Municipalities**: Voronoi cells of the settlement centres (``shapely.voronoi_polygons``)
   clipped to the outline, snapped to a 1 m grid; pieces of a cell cut off by the outline and
   Kreis parts cut off from their Kreis are given to the neighbour with the longest common
   boundary. Kreise are the union of their municipalities.
5. **Keys**: AGS = Kreis key + three-digit number, numbered alphabetically within the Kreis as
   in the official Gemeindeverzeichnis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon

from regiowerk.demo.names import KREIS_NAMES, PLACE_NAMES, TOWN_NAMES, pick_names
from regiowerk.schema import CRS

CENTRE = (640_000.0, 5_765_000.0)
SEMI_AXES = (33_000.0, 27_000.0)
N_GRUNDZENTREN = 14
N_VILLAGES = 30
CENTRALITY = {"centre": "mittel", "town": "mittel", "grund": "grund", "village": "none"}
"""Settlement roles (the Mittelzentrum, the three towns, Grundzentren, villages) and the
centrality each gets."""

SIZE_RANGES = {
    "centre": (25_000, 30_000),
    "grund": (3_500, 8_000),
    "village": (300, 3_000),
}
"""Inhabitants on 31.12.2019 by role (towns: one each of 16–21k, 22–27k, 28–34k)."""

TOWN_SIZES = ((16_000, 21_000), (22_000, 27_000), (28_000, 34_000))


@dataclass(frozen=True)
class Territory:
    """Outline, settlements and boundaries of the demo region.

    ``places`` has one row per municipality, sorted by ``ags``: ``ags``, ``name``, ``kreis``,
    ``land``, ``role``, ``centrality``, ``x``, ``y`` (settlement centre, EPSG:25832) and
    ``size`` (target inhabitants 2019).
    """

    outline: Polygon
    places: pd.DataFrame
    municipalities: gpd.GeoDataFrame
    kreise: gpd.GeoDataFrame


def build_territory(rng: np.random.Generator) -> Territory:
    """Outline, settlements, municipalities and Kreise (see the module docstring)."""
    outline = _outline(rng)
    border = _wave(rng, CENTRE[0] - 12_000.0, 2_500.0)
    split = _wave(rng, CENTRE[1] + 1_000.0, 2_500.0)
    seeds = _settlements(rng, outline, border)
    kreis = _assign_kreise(seeds, border, split)
    cells = _voronoi_cells(seeds, outline)
    kreis = _contiguous_kreise(cells, kreis)
    places = _number(rng, seeds, kreis)
    order = places["order"].to_numpy()
    places = places.drop(columns="order")
    municipalities = gpd.GeoDataFrame(
        {
            "ags": places["ags"],
            "name": places["name"],
            "kreis": places["kreis"],
            "land": places["land"],
            "area_km2": np.round(shapely.area(cells[order]) / 1e6, 2),
            "centrality": places["centrality"],
        },
        geometry=list(cells[order]),
        crs=CRS,
    )
    kreise = gpd.GeoDataFrame(
        {
            "kreis": list(KREIS_NAMES),
            "name": list(KREIS_NAMES.values()),
            "land": [k[:2] for k in KREIS_NAMES],
        },
        geometry=[
            shapely.coverage_union_all(municipalities.geometry[municipalities["kreis"] == k].values)
            for k in KREIS_NAMES
        ],
        crs=CRS,
    )
    return Territory(outline, places, municipalities, kreise)


def _outline(rng: np.random.Generator) -> Polygon:
    """Star-shaped outline: ellipse radius times ``1 + Σ c_k cos(kθ + φ_k)``, k = 2…5."""
    theta = np.linspace(0.0, 2 * np.pi, 240, endpoint=False)
    a, b = SEMI_AXES
    base = a * b / np.sqrt((b * np.cos(theta)) ** 2 + (a * np.sin(theta)) ** 2)
    wobble = np.ones_like(theta)
    for k in range(2, 6):
        wobble += rng.uniform(0.0, 0.05) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = base * wobble
    return Polygon(
        np.column_stack([CENTRE[0] + radius * np.cos(theta), CENTRE[1] + radius * np.sin(theta)])
    )


def _wave(rng: np.random.Generator, level: float, amplitude: float) -> Callable[[float], float]:
    """A wavy line ``level + A·sin(2π t / L + φ) + A/2·sin(2π t / (L/3) + ψ)`` (L = 40 km)."""
    phase1, phase2 = rng.uniform(0, 2 * np.pi, size=2)

    def line(t: float) -> float:
        return float(
            level
            + amplitude * np.sin(2 * np.pi * t / 40_000.0 + phase1)
            + amplitude / 2 * np.sin(2 * np.pi * t / 13_000.0 + phase2)
        )

    return line


def _settlements(
    rng: np.random.Generator, outline: Polygon, border: Callable[[float], float]
) -> pd.DataFrame:
    """Settlement centres, roles and target sizes by rejection sampling (module docstring)."""
    cx, cy = CENTRE
    points: list[tuple[float, float]] = []
    roles: list[str] = []
    sizes: list[int] = []

    while True:
        mz = (cx - 22_000.0 + rng.uniform(-2_500, 2_500), cy + rng.uniform(-5_000, 5_000))
        if outline.buffer(-5_000).contains(Point(*mz)) and mz[0] < border(mz[1]) - 5_000:
            break
    points.append(mz)
    roles.append("centre")
    sizes.append(int(rng.integers(*SIZE_RANGES["centre"])))

    while True:
        hub = (cx + 17_000.0 + rng.uniform(-3_000, 3_000), cy + rng.uniform(-4_000, 4_000))
        start = rng.uniform(0, 2 * np.pi)
        angles = start + np.arange(3) * 2 * np.pi / 3 + rng.uniform(-0.26, 0.26, size=3)
        radii = rng.uniform(6_500, 9_500, size=3)
        towns = np.column_stack([hub[0] + radii * np.cos(angles), hub[1] + radii * np.sin(angles)])
        gaps = np.linalg.norm(towns[:, None, :] - towns[None, :, :], axis=2)[np.triu_indices(3, 1)]
        inside = all(outline.buffer(-4_000).contains(Point(*t)) for t in towns)
        east = all(t[0] > border(t[1]) + 8_000 for t in towns)
        if inside and east and gaps.min() >= 10_000 and gaps.max() <= 20_000:
            break
    town_sizes = rng.permutation([int(rng.integers(lo, hi)) for lo, hi in TOWN_SIZES])
    for town, size in zip(towns, town_sizes, strict=True):
        points.append((float(town[0]), float(town[1])))
        roles.append("town")
        sizes.append(int(size))

    for role, count, spacing, inset in (
        ("grund", N_GRUNDZENTREN, 8_000.0, 2_500.0),
        ("village", N_VILLAGES, 4_000.0, 1_500.0),
    ):
        lo, hi = SIZE_RANGES[role]
        for x, y in _darts(rng, outline.buffer(-inset), points, spacing, count):
            points.append((x, y))
            roles.append(role)
            # villages skewed towards the upper end: 300 + 2,700·u^0.6
            share = rng.uniform() ** (0.6 if role == "village" else 1.0)
            sizes.append(int(lo + (hi - lo) * share))
    xy = np.asarray(points)
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "role": roles, "size": sizes})


def _darts(
    rng: np.random.Generator,
    area: Polygon,
    taken: list[tuple[float, float]],
    spacing: float,
    count: int,
) -> list[tuple[float, float]]:
    """``count`` uniform points in ``area``, each ≥ ``spacing`` from ``taken`` and each other."""
    xmin, ymin, xmax, ymax = area.bounds
    chosen: list[tuple[float, float]] = []
    existing = np.asarray(taken)
    for _ in range(50_000):
        if len(chosen) == count:
            return chosen
        x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if not area.contains(Point(x, y)):
            continue
        others = np.vstack([existing, np.asarray(chosen).reshape(-1, 2)])
        if np.min(np.hypot(others[:, 0] - x, others[:, 1] - y)) >= spacing:
            chosen.append((float(x), float(y)))
    raise RuntimeError(f"Nur {len(chosen)} von {count} Orten ließen sich platzieren.")


def _assign_kreise(
    seeds: pd.DataFrame, border: Callable[[float], float], split: Callable[[float], float]
) -> np.ndarray:
    """Kreis key per settlement: west of ``border`` → 03991, else north/south of ``split``."""
    keys = []
    for x, y in zip(seeds["x"], seeds["y"], strict=True):
        if x < border(y):
            keys.append("03991")
        else:
            keys.append("15991" if y >= split(x) else "15992")
    return np.asarray(keys, dtype=object)


def _voronoi_cells(seeds: pd.DataFrame, outline: Polygon) -> np.ndarray:
    """Voronoi cells of the seeds clipped to ``outline``, one Polygon per seed (input order)."""
    points = shapely.points(seeds["x"].to_numpy(), seeds["y"].to_numpy())
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=outline.buffer(20_000), ordered=True
    )
    cells = shapely.intersection(shapely.get_parts(diagram), outline)
    cells = shapely.set_precision(cells, 1.0)
    return _heal_fragments(cells, points)


def _heal_fragments(cells: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Keep each cell's part that holds its seed; give other parts to the best neighbour."""
    cells = cells.copy()
    for i in range(len(cells)):
        parts = shapely.get_parts(cells[i])
        if len(parts) == 1:
            continue
        keep = [p for p in parts if p.contains(seeds[i])]
        cells[i] = keep[0]
        for part in parts:
            if part is keep[0]:
                continue
            shared = [
                shapely.length(shapely.intersection(part.boundary, c.boundary)) if j != i else 0.0
                for j, c in enumerate(cells)
            ]
            j = int(np.argmax(shared))
            cells[j] = shapely.set_precision(shapely.union(cells[j], part), 1.0)
    return cells


def _contiguous_kreise(cells: np.ndarray, kreis: np.ndarray) -> np.ndarray:
    """Move municipalities cut off from their Kreis to the neighbouring Kreis with most border."""
    kreis = kreis.copy()
    for _ in range(10):
        moved = False
        for key in KREIS_NAMES:
            members = np.flatnonzero(kreis == key)
            parts = shapely.get_parts(shapely.coverage_union_all(cells[members]))
            if len(parts) <= 1:
                continue
            main = max(parts, key=lambda p: p.area)
            for i in members:
                if main.contains(shapely.point_on_surface(cells[i])):
                    continue
                shared: dict[str, float] = {}
                for j in np.flatnonzero(kreis != key):
                    length = shapely.length(shapely.intersection(cells[i], cells[j]))
                    shared[kreis[j]] = shared.get(kreis[j], 0.0) + float(length)
                kreis[i] = max(sorted(shared), key=lambda k: shared[k])
                moved = True
        if not moved:
            return kreis
    raise RuntimeError("Kreise ließen sich nicht zusammenhängend bilden.")


def _number(rng: np.random.Generator, seeds: pd.DataFrame, kreis: np.ndarray) -> pd.DataFrame:
    """Names, keys (alphabetical within the Kreis) and centrality; sorted by AGS.

    Column ``order`` keeps the position of each row in ``seeds`` (and in the cell array).
    """
    places = seeds.copy()
    places["order"] = np.arange(len(places))
    places["kreis"] = kreis.astype(str)
    places["land"] = places["kreis"].str[:2]
    places["centrality"] = places["role"].map(CENTRALITY)
    is_town = places["role"].isin(["centre", "town"]).to_numpy()
    names = np.empty(len(places), dtype=object)
    names[is_town] = pick_names(rng, TOWN_NAMES, int(is_town.sum()))
    names[~is_town] = pick_names(rng, PLACE_NAMES, int((~is_town).sum()))
    places["name"] = names.astype(str)
    places = places.sort_values(["kreis", "name"], kind="stable").reset_index(drop=True)
    number = places.groupby("kreis").cumcount() + 1
    places["ags"] = places["kreis"] + number.map("{:03d}".format)
    columns = ["ags", "name", "kreis", "land", "role", "centrality", "x", "y", "size", "order"]
    return places[columns].reset_index(drop=True)
