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

Local access roads (:func:`add_local_roads`, a later step, after the population grid):

* **Split at the bends**: every non-motorway edge is split at its intermediate vertices, which
  become nodes (junctions along the road); the geometry is unchanged, each segment keeps the
  class, name and speed of its road. Motorway edges stay whole (no access between junctions).
* **Access nodes**: the centre ``c`` of every populated grid cell with
  ``min_k |c − p_k| > 500 m`` over the non-motorway nodes ``p_k``, or whose nearest node is a
  motorway node, becomes a node (coordinates rounded to 0.1 m). Afterwards every populated
  cell centre lies within 500 m of a non-motorway node (cells are 1 km apart, so one node per
  such cell).
* **Links**: the Gabriel graph of the access nodes and the non-motorway nodes, computed on its
  Delaunay triangulation (``scipy.spatial.Delaunay``; an edge ``ij`` of the triangulation is
  kept when no point ``k`` has ``|p_k − m_ij|² < |p_i − p_j|² / 4``), without edges between two
  existing nodes. Kept are the links shorter than 2.5 km that do not cross an existing
  non-motorway road (crossing the motorway means a bridge) plus the edges of a minimum
  spanning tree (``scipy.sparse.csgraph.minimum_spanning_tree``) of all links, with the
  existing network contracted to one node and the weight ``length + 10⁶ m`` for crossing
  links, so that every access node is connected and crossings only occur where nothing else
  connects.
* **Class and geometry**: class ``local`` ("Gemeindeverbindungs- und Erschließungsstraßen",
  unnamed) at 40 km/h, LineStrings with 2–4 inner vertices displaced by ``A·sin(πt)·z`` with
  ``A`` = 3 % of the length.

Node ids: settlements are ``1 … n`` in AGS order, motorway nodes follow, then the bends of the
split roads (in edge order) and the access nodes (in ``cell_id`` order). Edge ids: the main
roads in order of class, then node ids, split segments in a row along the road; the access
roads follow in order of their node ids. Roads are undirected (``oneway`` False). The car
times between settlements (``RoadNetwork.minutes``, used by the commuter model) are those of
the main network.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csgraph
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, Point, Polygon

from regiowerk.schema import CRS

SPEEDS_KMH = {"motorway": 115.0, "federal": 80.0, "state": 70.0, "district": 60.0, "local": 50.0}
CLASS_RANK = {"motorway": 0, "federal": 1, "state": 2, "district": 3, "local": 4}
JUNCTION_OFFSET_M = 3_500.0
MOTORWAY = "A 99"
ACCESS_RADIUS_M = 500.0
"""Every populated grid cell centre lies within this distance of a non-motorway node."""
ACCESS_LINK_M = 2_500.0
"""Access links shorter than this are kept (besides the spanning tree)."""
ACCESS_SPEED_KMH = 40.0
"""Speed of the local access roads (Gemeindeverbindungs- und Erschließungsstraßen)."""
CROSSING_PENALTY_M = 1e6


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


def add_local_roads(
    rng: np.random.Generator, roads: gpd.GeoDataFrame, grid: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The ``roads`` table with the main roads split at their bends and local access roads to
    the populated grid cells added (see the module docstring)."""
    split = _split_at_bends(roads)
    lines = split.geometry.to_numpy()
    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(lines, 0)),
            shapely.get_coordinates(shapely.get_point(lines, -1)),
        ]
    )
    ids, first = np.unique(
        np.concatenate([split["from_node"], split["to_node"]]), return_index=True
    )
    node_xy = ends[first]
    motorway = np.isin(ids, split.loc[split["road_class"] == "motorway", ["from_node", "to_node"]])
    open_ids, open_xy = ids[~motorway], node_xy[~motorway]

    centres = np.round(shapely.get_coordinates(grid.geometry.centroid), 1)
    gap, _ = cKDTree(open_xy).query(centres)
    nearest_motorway = (
        cKDTree(node_xy[motorway]).query(centres)[0]
        if motorway.any()
        else np.full(len(gap), np.inf)
    )
    new_xy = centres[(gap > ACCESS_RADIUS_M) | (nearest_motorway < gap)]
    new_ids = np.arange(1, len(new_xy) + 1) + int(ids.max())
    if len(new_xy) == 0:
        return split

    points = np.concatenate([open_xy, new_xy])
    point_ids = np.concatenate([open_ids, new_ids])
    links = [(i, j) for i, j in _gabriel_delaunay(points) if j >= len(open_xy)]
    a = np.array([i for i, _ in links])
    b = np.array([j for _, j in links])
    length = np.hypot(*(points[a] - points[b]).T)
    straight = shapely.linestrings(np.stack([points[a], points[b]], axis=1))
    others = split.geometry.to_numpy()[split["road_class"].to_numpy() != "motorway"]
    crossing = np.zeros(len(links), dtype=bool)
    crossing[np.unique(shapely.STRtree(others).query(straight, predicate="crosses")[0])] = True

    # spanning tree with the existing network contracted to vertex 0, new node k → k + 1
    ua = np.maximum(a - len(open_xy) + 1, 0)
    ub = b - len(open_xy) + 1
    weight = length + CROSSING_PENALTY_M * crossing
    best: dict[tuple[int, int], int] = {}
    for k in np.argsort(weight, kind="stable"):
        best.setdefault((int(ua[k]), int(ub[k])), int(k))
    chosen = np.array(list(best.values()))
    size = len(new_xy) + 1
    tree = csgraph.minimum_spanning_tree(
        coo_matrix((weight[chosen], (ua[chosen], ub[chosen])), shape=(size, size)).tocsr()
    ).tocoo()
    in_tree = {
        best[(int(min(r, c)), int(max(r, c)))] for r, c in zip(tree.row, tree.col, strict=True)
    }
    keep = [
        k
        for k in range(len(links))
        if k in in_tree or (length[k] < ACCESS_LINK_M and not crossing[k])
    ]

    pairs = sorted((int(point_ids[a[k]]), int(point_ids[b[k]])) for k in keep)
    coords = dict(zip(point_ids.tolist(), points, strict=True))
    wiggled = np.array([_wiggle(rng, coords[u], coords[v], 0.03) for u, v in pairs])
    straight = shapely.linestrings([[coords[u], coords[v]] for u, v in pairs])
    lines = _uncross(wiggled, straight, others)
    local = gpd.GeoDataFrame(
        {
            "edge_id": np.arange(len(pairs)) + int(split["edge_id"].max()) + 1,
            "from_node": [u for u, _ in pairs],
            "to_node": [v for _, v in pairs],
            "road_class": "local",
            "name": None,
            "speed_kmh": ACCESS_SPEED_KMH,
            "length_m": np.round(shapely.length(lines), 1),
            "oneway": False,
        },
        geometry=lines,
        crs=CRS,
    )
    return gpd.GeoDataFrame(pd.concat([split, local], ignore_index=True), crs=CRS)


def _uncross(
    wiggled: NDArray[np.object_], straight: NDArray[np.object_], others: NDArray[np.object_]
) -> NDArray[np.object_]:
    """``wiggled`` lines, with the straight line instead of each one that crosses one of
    ``others`` or another of the lines (repeated until no wiggled line crosses anything)."""
    lines = wiggled.copy()
    bent = np.ones(len(lines), dtype=bool)
    while True:
        own = shapely.STRtree(lines).query(lines, predicate="crosses")
        bad = np.zeros(len(lines), dtype=bool)
        bad[own.ravel()] = True
        bad[shapely.STRtree(others).query(lines, predicate="crosses")[0]] = True
        bad &= bent
        if not bad.any():
            return lines
        lines[bad] = straight[bad]
        bent &= ~bad


def _split_at_bends(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``roads`` with every non-motorway edge split at its inner vertices, which become nodes
    numbered after the existing ones; edge ids renumbered in table order."""
    next_node = int(max(roads["from_node"].max(), roads["to_node"].max())) + 1
    rows = []
    geometries = []
    for row, line in zip(
        roads.drop(columns="geometry").to_dict("records"), roads.geometry, strict=True
    ):
        coords = np.asarray(line.coords)
        if row["road_class"] == "motorway" or len(coords) == 2:
            pieces = [(row["from_node"], row["to_node"], line)]
        else:
            inner = list(range(next_node, next_node + len(coords) - 2))
            next_node += len(inner)
            nodes = [row["from_node"], *inner, row["to_node"]]
            pieces = [
                (u, v, LineString(coords[k : k + 2])) for k, (u, v) in enumerate(pairwise(nodes))
            ]
        for u, v, piece in pieces:
            geometries.append(piece)
            rows.append({**row, "from_node": u, "to_node": v, "length_m": round(piece.length, 1)})
    table = pd.DataFrame(rows)
    table["edge_id"] = np.arange(1, len(table) + 1)
    return gpd.GeoDataFrame(table, geometry=geometries, crs=CRS)


def _gabriel_delaunay(xy: NDArray[np.float64]) -> list[tuple[int, int]]:
    """Gabriel graph edges ``(i, j)``, ``i < j``, among the edges of the Delaunay
    triangulation: no point strictly inside the circle with diameter ``ij``."""
    local = xy - xy.mean(axis=0)
    triangles = Delaunay(local).simplices
    pairs = np.unique(
        np.sort(
            np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]]),
            axis=1,
        ),
        axis=0,
    )
    mid = (local[pairs[:, 0]] + local[pairs[:, 1]]) / 2
    radius2 = np.sum((local[pairs[:, 0]] - local[pairs[:, 1]]) ** 2, axis=1) / 4
    nearest, _ = cKDTree(local).query(mid)
    gabriel = nearest**2 >= radius2 - 1e-3
    return [(int(i), int(j)) for i, j in pairs[gabriel]]
