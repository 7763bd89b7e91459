"""Road network of the Musterregion and car travel times between municipalities.

Method
------
* **Base graph**: the Gabriel graph of the settlement centres (edge ``ij`` when no other centre
  lies in the circle with diameter ``ij``; Gabriel & Sokal 1969). It contains the Euclidean
  minimum spanning tree, so it is connected.
* **Hierarchy** by shortest Euclidean paths in the base graph: federal roads (Bundesstraßen,
  80 km/h) link the three towns with each other and the Mittelzentrum with the nearest town;
  state roads (70 km/h) link every Grundzentrum with its nearest town; district roads (60 km/h)
  link every village with its nearest Grundzentrum or town; the remaining edges are local
  roads (50 km/h). An edge keeps the highest class of any path using it.
* **Motorway** "A 99" (115 km/h): from the western to the eastern edge of the region through
  three junctions, placed 3.5 km beside the Mittelzentrum, beside the town nearest to it and
  half-way between; each junction has a feeder (federal class) to the nearest settlement.
* **Geometry**: every edge is a LineString from node to node with 2–4 intermediate vertices
  displaced sideways by ``A·sin(πt)·z`` (``z ~ N(0, 1)``, ``A`` = 1.5 % of the length on the
  motorway, 5 % elsewhere), so roads are longer than the straight line.
* **Shortest paths and travel times**: minutes = length / speed; all-pairs shortest paths by
  Dijkstra's algorithm (``scipy.sparse.csgraph.shortest_path``, Dijkstra 1959).

Node ids: settlements are ``1 … n`` in AGS order, motorway nodes follow. Roads are undirected
(``oneway`` False).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import csgraph
from shapely.geometry import LineString, Point, Polygon

from regiowerk.schema import CRS

SPEEDS_KMH = {"motorway": 115.0, "federal": 80.0, "state": 70.0, "district": 60.0, "local": 50.0}
CLASS_RANK = {"motorway": 0, "federal": 1, "state": 2, "district": 3, "local": 4}
JUNCTION_OFFSET_M = 3_500.0
MOTORWAY = "A 99"


@dataclass(frozen=True)
class RoadNetwork:
    """The ``roads`` table and travel times between settlement nodes.

    ``minutes[i, j]`` is the shortest car time from settlement ``i`` to ``j`` (rows and columns
    in the order of ``places``; the diagonal is 0).
    """

    roads: gpd.GeoDataFrame
    minutes: NDArray[np.float64]


def build_network(rng: np.random.Generator, places: pd.DataFrame, outline: Polygon) -> RoadNetwork:
    """Road hierarchy, motorway and travel times (see the module docstring)."""
    xy = places[["x", "y"]].to_numpy()
    roles = places["role"].to_numpy()
    names = places["name"].to_numpy()
    n = len(places)
    edges: dict[tuple[int, int], tuple[str, str]] = {}

    base = _gabriel(xy)
    metres = np.full((n, n), np.inf)
    np.fill_diagonal(metres, 0.0)
    for i, j in base:
        metres[i, j] = metres[j, i] = float(np.hypot(*(xy[i] - xy[j])))
    dist, pred = shortest_paths(metres)

    def mark(path: list[int], road_class: str, name: str) -> None:
        for a, b in pairwise(path):
            key = (min(a, b), max(a, b))
            if key not in edges or CLASS_RANK[road_class] < CLASS_RANK[edges[key][0]]:
                edges[key] = (road_class, name)

    centre = int(np.flatnonzero(roles == "centre")[0])
    towns = [int(i) for i in np.flatnonzero(roles == "town")]
    nearest_town = min(towns, key=lambda t: dist[centre, t])
    federal_pairs = [(towns[0], towns[1]), (towns[1], towns[2]), (towns[0], towns[2])]
    for number, (a, b) in enumerate([(centre, nearest_town), *federal_pairs]):
        mark(_path(pred, a, b), "federal", f"B {499 - number}")

    hubs = [centre, *towns]
    for number, g in enumerate(int(i) for i in np.flatnonzero(roles == "grund")):
        target = min(hubs, key=lambda h: dist[g, h])
        mark(_path(pred, g, target), "state", f"L {101 + number}")

    central = [int(i) for i in np.flatnonzero(roles != "village")]
    for number, v in enumerate(int(i) for i in np.flatnonzero(roles == "village")):
        target = min(central, key=lambda c: dist[v, c])
        mark(_path(pred, v, target), "district", f"K {1201 + number}")

    for i, j in base:
        if (i, j) not in edges:
            edges[(i, j)] = ("local", f"Ortsverbindung {names[i]}–{names[j]}")

    nodes = [tuple(p) for p in xy]
    motorway_nodes = _motorway(rng, xy, centre, nearest_town, outline)
    first = len(nodes)
    nodes.extend(motorway_nodes)
    chain = list(range(first, first + len(motorway_nodes)))
    for a, b in pairwise(chain):
        edges[(a, b)] = ("motorway", MOTORWAY)
    for junction in chain[1:-1]:
        gaps = np.hypot(*(xy - np.asarray(nodes[junction])).T)
        target = int(np.argmin(gaps))
        edges[(target, junction)] = ("federal", f"Autobahnzubringer {names[target]}")

    roads = _roads_table(rng, edges, np.asarray(nodes))
    return RoadNetwork(roads=roads, minutes=travel_minutes(roads, len(nodes))[:n, :n])


def _gabriel(xy: NDArray[np.float64]) -> list[tuple[int, int]]:
    """Gabriel graph edges ``(i, j)``, ``i < j``: no third point strictly inside the circle
    with diameter ``ij``, i.e. ``|p_k − m_ij|² < |p_i − p_j|² / 4`` for no ``k``."""
    n = len(xy)
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            mid = (xy[i] + xy[j]) / 2
            radius2 = np.sum((xy[i] - xy[j]) ** 2) / 4
            inside = np.sum((xy - mid) ** 2, axis=1) < radius2 - 1e-6
            inside[[i, j]] = False
            if not inside.any():
                out.append((i, j))
    return out


def shortest_paths(
    weights: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """All-pairs shortest paths: distances and predecessors (``scipy.sparse.csgraph``).

    ``weights`` is a dense matrix with ``inf`` where there is no edge. ``pred[i, j]`` is the
    node before ``j`` on a shortest path from ``i`` (−9999 when unreachable).
    """
    dist, pred = csgraph.shortest_path(
        csgraph.csgraph_from_dense(weights, null_value=np.inf),
        method="D",
        directed=False,
        return_predecessors=True,
    )
    return dist, pred


def _path(pred: NDArray[np.int32], a: int, b: int) -> list[int]:
    """Node sequence of the shortest path from ``a`` to ``b`` (predecessor matrix)."""
    path = [b]
    while path[-1] != a:
        path.append(int(pred[a, path[-1]]))
    return path[::-1]


def _motorway(
    rng: np.random.Generator,
    xy: NDArray[np.float64],
    centre: int,
    town: int,
    outline: Polygon,
) -> list[tuple[float, float]]:
    """Motorway nodes west → east: edge point, three junctions, edge point."""
    direction = (xy[town] - xy[centre]) / np.linalg.norm(xy[town] - xy[centre])
    normal = np.array([-direction[1], direction[0]])
    side = rng.choice([-1.0, 1.0])
    j1 = xy[centre] + side * JUNCTION_OFFSET_M * normal
    j3 = xy[town] + side * JUNCTION_OFFSET_M * normal
    j2 = (j1 + j3) / 2 + rng.uniform(-4_000, 4_000) * normal
    west = _exit_point(j1, j1 - j2, outline)
    east = _exit_point(j3, j3 - j2, outline)
    return [west, tuple(j1), tuple(j2), tuple(j3), east]


def _exit_point(
    start: NDArray[np.float64], heading: NDArray[np.float64], outline: Polygon
) -> tuple[float, float]:
    """Where a ray from ``start`` along ``heading`` leaves ``outline``."""
    far = start + heading / np.linalg.norm(heading) * 200_000.0
    crossing = shapely.intersection(LineString([start, far]), outline.exterior)
    points = shapely.get_parts(crossing)
    nearest = min(points, key=lambda p: p.distance(Point(*start)))
    return (float(nearest.x), float(nearest.y))


def _wiggle(
    rng: np.random.Generator, a: NDArray[np.float64], b: NDArray[np.float64], amplitude: float
) -> LineString:
    """LineString from ``a`` to ``b`` with 2–4 inner vertices displaced by ``A·sin(πt)·z``."""
    inner = int(rng.integers(2, 5))
    t = np.linspace(0.0, 1.0, inner + 2)
    along = a[None, :] + t[:, None] * (b - a)[None, :]
    length = float(np.linalg.norm(b - a))
    normal = np.array([-(b - a)[1], (b - a)[0]]) / length
    shift = amplitude * length * np.sin(np.pi * t) * rng.normal(size=t.size)
    shift[[0, -1]] = 0.0
    coords = np.round(along + shift[:, None] * normal[None, :], 1)
    coords[0], coords[-1] = a, b
    return LineString(coords)


def _roads_table(
    rng: np.random.Generator,
    edges: dict[tuple[int, int], tuple[str, str]],
    nodes: NDArray[np.float64],
) -> gpd.GeoDataFrame:
    """The canonical ``roads`` table, edge ids in order of class, then node ids."""
    ordered = sorted(edges.items(), key=lambda item: (CLASS_RANK[item[1][0]], item[0]))
    rows = []
    geometries = []
    for edge_id, ((a, b), (road_class, name)) in enumerate(ordered, start=1):
        amplitude = 0.015 if road_class == "motorway" else 0.05
        line = _wiggle(rng, nodes[a], nodes[b], amplitude)
        geometries.append(line)
        rows.append(
            {
                "edge_id": edge_id,
                "from_node": a + 1,
                "to_node": b + 1,
                "road_class": road_class,
                "name": name,
                "speed_kmh": SPEEDS_KMH[road_class],
                "length_m": round(line.length, 1),
                "oneway": False,
            }
        )
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometries, crs=CRS)


def travel_minutes(roads: pd.DataFrame, n_nodes: int) -> NDArray[np.float64]:
    """All-pairs car times in minutes between nodes ``1 … n_nodes`` of a ``roads`` table."""
    minutes = np.full((n_nodes, n_nodes), np.inf)
    np.fill_diagonal(minutes, 0.0)
    cost = roads["length_m"].to_numpy() / (roads["speed_kmh"].to_numpy() / 3.6) / 60.0
    a = roads["from_node"].to_numpy() - 1
    b = roads["to_node"].to_numpy() - 1
    for i, j, c in zip(a, b, cost, strict=True):
        if c < minutes[i, j]:
            minutes[i, j] = minutes[j, i] = c
    return shortest_paths(minutes)[0]
