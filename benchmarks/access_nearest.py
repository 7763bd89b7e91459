"""Benchmark: nearest facility and travel-time matrices with regiowerk, NetworkX and pandana.

Issue 6 targets, on the north-Bayreuth car network (OSM) and on a synthetic road-like graph of
at least 500,000 nodes:

* nearest of 200 facilities for every node (:func:`regiowerk.access.engine.nearest`, one
  multi-source Dijkstra, on OSM graphs over the junctions only): at least 20× faster than NetworkX
  ``multi_source_dijkstra_path_length`` and 100× faster than pandana including its
  contraction-hierarchy preprocessing, with identical answers;
* a 2,000 × 200 matrix (:func:`~regiowerk.access.engine.od_matrix`): at least as fast as
  pandana ``shortest_path_lengths`` including preprocessing, and at least 1 M OD pairs per
  second. Measured both ways: one Dijkstra run per destination, and the bucket algorithm on
  regiowerk's contraction hierarchy (:mod:`regiowerk.access.hierarchy`), whose contraction is
  timed separately, like pandana's, and counted in the comparison with pandana;
* peak memory, and the time for every populated 100 m cell of Germany (~3 M) to six service
  types.

    python benchmarks/access_nearest.py [--nodes N] [--facilities F] [--origins O]
        [--repeat R] [--skip-pandana] [--germany]

Method. Facilities and origins are random nodes (fixed seeds). All three libraries get the same
directed graph (the largest strongly connected component), NetworkX and pandana as edge lists
built outside the timing. NetworkX runs on the reversed graph, as the engine does (times *to*
the facilities). pandana (optional, AGPL: ``pip install -e ".[pandana]"``) is built with
``twoway=False`` from the directed edge list; its preprocessing is ``pandana.Network(...)``;
the nearest query is ``set_pois`` + ``nearest_pois``, the matrix one call of
``shortest_path_lengths`` with all 400,000 pairs. pandana multiplies each edge weight by 1000
and *truncates* it to an unsigned integer (millisecond steps inside the contraction hierarchy)
and returns ``nearest_pois`` distances as float32. So that "identical answers" can be checked,
every graph here has travel times rounded to whole milliseconds (irrelevant for
accessibility), pandana gets ``k + 0.5`` ms per edge (truncated to exactly ``k``), and the
answers must agree within 1e-6 s (NetworkX, pandana's matrix, whose distances are exact
integers of milliseconds) or within float32 rounding, ``|t| · 2⁻²⁴ + 1e-6`` s
(``nearest_pois``). Ties between equally near facilities may pick different ones: the check
compares times.

Timing: wall clock, the best of at least ``--repeat`` runs (the minimum, as :mod:`timeit`
recommends: other processes on this shared machine only ever add time); calls shorter than 50 ms
are repeated, for every library alike, until 0.5 s have been spent. regiowerk's times exclude the
one-off building of its CSR adjacency matrices (printed separately, best of ``--repeat`` builds
like pandana's preprocessing), as NetworkX's exclude building its graph; the one-off decomposition
into junctions and street chains (:mod:`regiowerk.access.chains`, a cached property of the network)
is printed separately too. The ratio to pandana is given for the query alone, with the junction
graph, and with the junction graph and the CSR matrices. pandana's preprocessing on a large graph
takes about a minute, so pandana runs once when its preprocessing took longer than
``PANDANA_REPEAT_SECONDS``; noise can then only make pandana slower, i.e. make the ratio look
better. pandana uses OpenMP on all cores, regiowerk and NetworkX one. NetworkX's matrix is timed
for a few destinations (one single-source run each) and extrapolated linearly to all destinations.
Memory: the ``tracemalloc`` peak of one extra regiowerk run each (numpy allocations included) and
the process's peak resident memory, once after the regiowerk runs and once at the end.

Germany: one multi-source run per service type over a road graph of ``GERMANY_NODES`` nodes,
plus snapping every cell centre to its nearest node. Without ``--germany`` the time of one run
is extrapolated from the synthetic graph, proportional to ``n · log n`` (Dijkstra with a
binary heap on a graph of bounded degree), and snapping is measured with ``cKDTree`` on
random points of the size of Germany. With ``--germany`` a synthetic graph of German size is
built (about a minute and 4–5 GB) and the run measured; on the project machine it took 6.2 s
where the extrapolation said 4.0 s (at 8 M nodes the arrays no longer fit the CPU caches),
so read the extrapolated figure as a lower bound. The number of facilities per type
barely matters for one multi-source run.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import math
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from regiowerk.access import engine
from regiowerk.access.chains import Chains
from regiowerk.access.hierarchy import Hierarchy
from regiowerk.access.network import Network
from regiowerk.access.osm_network import read_networks
from regiowerk.sources.base import default_data_dir

TARGET_NX = 20.0
TARGET_PANDANA = 100.0
TARGET_OD_PANDANA = 1.0
TARGET_OD_PAIRS_PER_SECOND = 1e6
GERMANY_NODES = 8_000_000
GERMANY_CELLS = 3_000_000
GERMANY_SERVICES = 6
GERMANY_EXTENT_M = (640_000.0, 870_000.0)
"""Bounding box of Germany in EPSG:25832 (west–east, south–north), for random cell centres."""
SPACING_M = 200.0
"""Grid spacing of the synthetic graph (Germany: ~8 M nodes on 357,000 km², ~210 m apart)."""
NX_OD_NODE_VISITS = 1_000_000
"""NetworkX matrix: as many destinations as one million node visits allow (at least one)."""
PANDANA_MAXDIST = 1e6
"""Search radius for ``nearest_pois`` in seconds (times 1000 must fit in 32 bits)."""
PANDANA_REPEAT_SECONDS = 10.0
OSM_FILE = ("osm", "north-bayreuth.osm.gz")

T = TypeVar("T")
SHORT_S = 0.5
"""Total time over which very short calls are repeated (best of all runs)."""


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """Minimum wall time of at least ``repeat`` runs and the last result; runs shorter than
    ``SHORT_S`` are repeated until ``SHORT_S`` has passed in total (as ``timeit`` does), so that
    sub-millisecond calls are not judged on three samples of a noisy machine."""
    best = math.inf
    result: Any = None
    runs = 0
    spent = 0.0
    while runs < max(1, repeat) or (best < SHORT_S / 10 and spent < SHORT_S):
        start = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best, result


def traced_peak(run: Callable[[], object]) -> int:
    """Peak bytes traced by ``tracemalloc`` during one ``run()``."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def dur(seconds: float) -> str:
    """A duration: milliseconds below 0.1 s, else seconds."""
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence pandana's C++ progress output (written to file descriptor 1)."""
    sys.stdout.flush()
    saved = os.dup(1)
    libc = ctypes.CDLL(None)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            try:
                yield
            finally:
                libc.fflush(None)
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def milliseconds(network: Network) -> Network:
    """The same network with travel times rounded to whole milliseconds (see the docstring)."""
    return dataclasses.replace(network, seconds=np.round(network.seconds, 3))


def synthetic_network(nodes: int, seed: int = 6) -> Network:
    """A road-like graph: perturbed grid, street classes, diagonals, motorways, one-ways.

    Grid lines every 10th (70 km/h) and 40th (90 km/h) are main roads, the rest 30 or 50 km/h
    with 12 % of them missing; 10 % of the cells have a diagonal street; every 60th row and
    column carries a motorway (120 km/h) with junctions every 8 nodes; 8 % of the minor streets
    are one-way. Lengths are straight lines times a detour factor of 1–1.3. The largest
    strongly connected component is kept (a little more than ``nodes`` nodes).
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(nodes / 0.97)))
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    x = 300_000.0 + (col + rng.uniform(-0.3, 0.3, n)) * SPACING_M
    y = 5_250_000.0 + (row + rng.uniform(-0.3, 0.3, n)) * SPACING_M
    r, c = (a.ravel() for a in np.meshgrid(np.arange(side), np.arange(side - 1), indexing="ij"))
    a = np.concatenate([r * side + c, c * side + r])  # horizontal, then vertical
    b = np.concatenate([r * side + c + 1, (c + 1) * side + r])
    line = np.concatenate([r, r])
    minor_kmh = rng.choice([30.0, 50.0], len(a))
    kmh = np.where(line % 40 == 0, 90.0, np.where(line % 10 == 0, 70.0, minor_kmh))
    keep = (kmh > 50) | (rng.random(len(a)) > 0.12)
    a, b, kmh = a[keep], b[keep], kmh[keep]
    cell = np.flatnonzero((row < side - 1) & (col < side - 1) & (rng.random(n) < 0.10))
    grid = np.meshgrid(np.arange(30, side, 60), np.arange(0, side - 8, 8))
    lines, junction = grid[0].ravel(), grid[1].ravel()
    a = np.concatenate([a, cell, lines * side + junction, junction * side + lines])
    b = np.concatenate(
        [b, cell + side + 1, lines * side + junction + 8, (junction + 8) * side + lines]
    )
    kmh = np.concatenate([kmh, np.full(len(cell), 30.0), np.full(2 * len(lines), 120.0)])
    seconds = np.hypot(x[a] - x[b], y[a] - y[b]) * rng.uniform(1.0, 1.3, len(a)) / (kmh / 3.6)
    flip = rng.random(len(a)) < 0.5
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    twoway = (kmh > 50) | (rng.random(len(a)) >= 0.08)
    network = Network.from_edges(
        "car",
        pd.DataFrame({"node_id": np.arange(n), "x": x, "y": y}),
        np.concatenate([a, b[twoway]]),
        np.concatenate([b, a[twoway]]),
        np.concatenate([seconds, seconds[twoway]]),
    )
    return milliseconds(network.largest_component())


def bayreuth_network() -> Network | None:
    path = default_data_dir().joinpath(*OSM_FILE)
    if not path.is_file():
        print(f"OSM-Ausschnitt {path} nicht gefunden: nur der synthetische Graph wird gemessen.")
        return None
    start = time.perf_counter()
    network = read_networks(path, ["car"])["car"]
    print(f"{path.name} gelesen in {time.perf_counter() - start:.1f} s (Pkw-Netz).")
    return milliseconds(network)


def import_pandana() -> Any:
    try:
        import pandana
    except ImportError:
        print(
            'pandana nicht installiert: der Vergleich braucht pip install -e ".[pandana]" '
            "(AGPL, optional); übersprungen."
        )
        return None
    return pandana


def unique_coordinate_nodes(network: Network) -> np.ndarray:
    """Nodes whose coordinates no other node shares (pandana maps POIs by coordinates)."""
    xy = pd.DataFrame({"x": network.x, "y": network.y})
    return np.flatnonzero(~xy.duplicated(keep=False).to_numpy())


def nx_reversed(network: Network) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.n_nodes))
    graph.add_weighted_edges_from(
        zip(network.head.tolist(), network.tail.tolist(), network.seconds.tolist(), strict=True)
    )
    return graph


def as_array(lengths: dict[int, float], n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    out[list(lengths)] = list(lengths.values())
    return out


def compare(label: str, network: Network, args: argparse.Namespace, pandana: Any) -> dict:
    """All comparisons on one graph; returns the regiowerk measurements."""
    n = network.n_nodes
    print()
    print(f"== {label}: {n:,} Knoten, {len(network.tail):,} gerichtete Kanten ==")
    rng = np.random.default_rng(6)
    facilities = rng.choice(unique_coordinate_nodes(network), args.facilities, replace=False)
    origins = rng.choice(n, min(args.origins, n), replace=False)
    pairs = len(origins) * len(facilities)

    _ = network.reverse
    csr_seconds, _ = best_of(args.repeat, lambda: dataclasses.replace(network).reverse)
    share = network.chains.core_share
    chain_seconds, _ = best_of(args.repeat, lambda: Chains.build(network.reverse, network.graph))
    near_seconds, near = best_of(args.repeat, lambda: engine.nearest(network, facilities))
    od_seconds, od = best_of(args.repeat, lambda: engine.od_matrix(network, origins, facilities))
    near_peak = traced_peak(lambda: engine.nearest(network, facilities))
    od_peak = traced_peak(lambda: engine.od_matrix(network, origins, facilities))
    rss_regiowerk = rss_gib()

    print(f"Nächste von {len(facilities)} Einrichtungen für alle Knoten:")
    used = share <= engine.CHAINS_MAX_CORE_SHARE
    print(
        f"  regiowerk engine.nearest: {dur(near_seconds)} (bester von mind. {args.repeat}; "
        f"einmalig, je bester von mind. {args.repeat}: CSR-Matrizen {dur(csr_seconds)}, "
        f"Kreuzungsgraph {dur(chain_seconds)}; "
        f"{share:.0%} der Knoten sind Kreuzungen → "
        + (
            "Suche auf den Kreuzungen, Straßenknoten danach)"
            if used
            else "scipy auf dem ganzen Graphen)"
        )
    )
    start = time.perf_counter()
    graph = nx_reversed(network)
    nx_build = time.perf_counter() - start
    nx_seconds, nx_lengths = best_of(
        args.repeat,
        lambda: nx.multi_source_dijkstra_path_length(graph, set(facilities.tolist())),
    )
    nx_near = as_array(nx_lengths, n)
    same = np.allclose(near.seconds, nx_near, rtol=0, atol=1e-6)
    print(
        f"  NetworkX multi_source_dijkstra_path_length: {dur(nx_seconds)} (bester von mind. "
        f"{args.repeat}; Graphaufbau {dur(nx_build)} nicht mitgezählt) → regiowerk "
        f"{nx_seconds / near_seconds:.0f}× schneller (Ziel ≥ {TARGET_NX:.0f}×); "
        f"gleiche Zeiten (±1e-6 s): {'ja' if same else 'NEIN'}"
    )

    cache: dict[str, Any] = {}
    if pandana is not None:
        compare_pandana_nearest(
            pandana,
            network,
            facilities,
            near,
            (near_seconds, chain_seconds, csr_seconds),
            args,
            cache,
        )

    print(f"Matrix {len(origins):,} Start- × {len(facilities)} Zielknoten ({pairs:,} Paare):")
    print(
        f"  regiowerk engine.od_matrix: {dur(od_seconds)} (bester von mind. {args.repeat}) = "
        f"{pairs / od_seconds / 1e6:.2f} M Paare/s (Ziel ≥ "
        f"{TARGET_OD_PAIRS_PER_SECOND / 1e6:.0f} M/s)"
    )
    cut = args.od_limit_minutes * 60.0
    cut_seconds, cut_od = best_of(
        args.repeat, lambda: engine.od_matrix(network, origins, facilities, limit=cut)
    )
    within = np.isfinite(cut_od)
    print(
        f"  mit Abbruch nach {args.od_limit_minutes:g} min (limit): {dur(cut_seconds)} = "
        f"{pairs / cut_seconds / 1e6:.2f} M Paare/s; {within.mean() * 100:.0f} % der Paare "
        f"innerhalb, dort gleich wie ohne Abbruch: "
        f"{'ja' if np.array_equal(cut_od[within], od[within]) else 'NEIN'}"
    )
    start = time.perf_counter()
    hierarchy = Hierarchy.build(network)
    ch_build = time.perf_counter() - start
    ch_seconds, ch_od = best_of(
        args.repeat, lambda: engine.od_matrix(network, origins, facilities, hierarchy=hierarchy)
    )
    same_ch = np.allclose(ch_od, od, rtol=0, atol=1e-6)
    print(
        f"  regiowerk Kontraktionshierarchie: Aufbau {dur(ch_build)} (einmal; "
        f"{hierarchy.shortcuts:,} Abkürzungen), Matrix {dur(ch_seconds)} (bester von mind. "
        f"{args.repeat}) = {pairs / ch_seconds / 1e6:.2f} M Paare/s (Ziel ≥ "
        f"{TARGET_OD_PAIRS_PER_SECOND / 1e6:.0f} M/s); mit Aufbau {dur(ch_build + ch_seconds)}; "
        f"Hierarchie {mib(hierarchy.nbytes)} (Numbas Arbeitsspeicher sieht tracemalloc nicht; "
        f"Prozess-RSS max danach {rss_gib():.2f} GiB); gleiche Zeiten wie Dijkstra "
        f"(±1e-6 s): {'ja' if same_ch else 'NEIN'}"
    )
    subset = max(1, min(len(facilities), NX_OD_NODE_VISITS // n))
    nx_od_seconds, nx_od = best_of(
        args.repeat,
        lambda: [nx.single_source_dijkstra_path_length(graph, int(d)) for d in facilities[:subset]],
    )
    nx_od_total = nx_od_seconds * len(facilities) / subset
    nx_matrix = np.column_stack([as_array(lengths, n)[origins] for lengths in nx_od])
    same_od = np.allclose(od[:, :subset], nx_matrix, rtol=0, atol=1e-6)
    print(
        f"  NetworkX, je Ziel single_source_dijkstra_path_length: {dur(nx_od_seconds)} für "
        f"{subset} Ziele (bester von mind. {args.repeat}), hochgerechnet auf {len(facilities)}: "
        f"{dur(nx_od_total)} → regiowerk {nx_od_total / od_seconds:.0f}× schneller; "
        f"gleiche Zeiten (±1e-6 s): {'ja' if same_od else 'NEIN'}"
    )
    if pandana is not None:
        compare_pandana_od(
            origins,
            facilities,
            od,
            {"Dijkstra": od_seconds, "Hierarchie": ch_build + ch_seconds},
            cache,
        )
    cache.clear()

    print(
        f"Speicher regiowerk: tracemalloc-Spitze nearest {mib(near_peak)} "
        f"({near_peak / n:.0f} B/Knoten), od_matrix {mib(od_peak)} "
        f"({od_peak / n / len(facilities):.1f} B je Knoten und Ziel; Dijkstra-Läufe in Blöcken "
        f"von {engine.BLOCK} Zielen); Prozess-RSS max nach den regiowerk-Läufen "
        f"{rss_regiowerk:.2f} GiB"
    )
    return {
        "nodes": n,
        "nearest": near_seconds,
        "near_peak": near_peak,
        "od_peak": od_peak,
    }


def compare_pandana_nearest(
    pandana: Any,
    network: Network,
    facilities: np.ndarray,
    near: engine.Nearest,
    ours: tuple[float, float, float],
    args: argparse.Namespace,
    cache: dict[str, Any],
) -> None:
    """pandana's nearest query against regiowerk's (``ours``: seconds of the query and of the
    one-off junction graph and CSR matrices); leaves pandana's network in ``cache``."""
    near_seconds, chain_seconds, csr_seconds = ours
    weights = pd.DataFrame({"s": (np.round(network.seconds * 1000) + 0.5) / 1000})
    edges = (pd.Series(network.tail), pd.Series(network.head), weights)
    nodes = (pd.Series(network.x), pd.Series(network.y))

    def build() -> Any:
        with quiet_stdout():
            return pandana.Network(*nodes, *edges, twoway=False)

    pre_seconds, net = best_of(1, build)
    repeat = args.repeat if pre_seconds < PANDANA_REPEAT_SECONDS else 1
    if repeat > 1:
        pre_seconds = min(pre_seconds, best_of(repeat - 1, build)[0])
    mapped = net.get_node_ids(pd.Series(network.x[facilities]), pd.Series(network.y[facilities]))
    assert np.array_equal(mapped.to_numpy(), facilities), "pandana ordnet Einrichtungen anders zu"

    def query() -> np.ndarray:
        with quiet_stdout():
            net.set_pois(
                "f",
                PANDANA_MAXDIST,
                1,
                pd.Series(network.x[facilities]),
                pd.Series(network.y[facilities]),
            )
            return net.nearest_pois(PANDANA_MAXDIST, "f", 1)[1].to_numpy()

    query_seconds, times = best_of(repeat, query)
    deviation = np.abs(times - near.seconds)
    same = bool((deviation <= np.abs(near.seconds) * 2.0**-24 + 1e-6).all())
    total = pre_seconds + query_seconds
    print(
        f"  pandana: Vorverarbeitung {dur(pre_seconds)} + set_pois/nearest_pois "
        f"{dur(query_seconds)} = {dur(total)} (bester von mind. {repeat}) → regiowerk "
        f"{total / near_seconds:.0f}× schneller (Ziel ≥ {TARGET_PANDANA:.0f}×); mit seinem "
        f"Kreuzungsgraph {total / (near_seconds + chain_seconds):.0f}×, dazu mit den "
        f"CSR-Matrizen {total / (near_seconds + chain_seconds + csr_seconds):.0f}×; "
        f"gleich bis auf float32-Rundung: {'ja' if same else 'NEIN'} "
        f"(größte Abweichung {deviation.max():.1e} s)"
    )
    cache.update(net=net, pre_seconds=pre_seconds, repeat=repeat)


def compare_pandana_od(
    origins: np.ndarray,
    facilities: np.ndarray,
    od: np.ndarray,
    ours: dict[str, float],
    cache: dict[str, Any],
) -> None:
    """pandana's matrix against regiowerk's, each way including its preprocessing."""
    net, pre_seconds, repeat = cache["net"], cache["pre_seconds"], cache["repeat"]
    a = np.repeat(origins, len(facilities))
    b = np.tile(facilities, len(origins))
    query_seconds, lengths = best_of(repeat, lambda: net.shortest_path_lengths(a, b))
    matrix = np.asarray(lengths, dtype=float).reshape(len(origins), len(facilities))
    same = np.allclose(matrix, od, rtol=0, atol=1e-6)
    total = pre_seconds + query_seconds
    ratios = ", ".join(f"{label} {total / seconds:.2f}×" for label, seconds in ours.items())
    print(
        f"  pandana shortest_path_lengths: {dur(query_seconds)} (bester von mind. {repeat}) + "
        f"Vorverarbeitung {dur(pre_seconds)} = {dur(total)} → regiowerk (mit eigener "
        f"Vorverarbeitung) {ratios} (Ziel ≥ {TARGET_OD_PANDANA:.0f}×); gleiche Zeiten "
        f"(±1e-6 s): {'ja' if same else 'NEIN'}"
    )


def snap_seconds(nodes_x: np.ndarray, nodes_y: np.ndarray, cells: int, seed: int = 7) -> float:
    """Wall time of snapping ``cells`` random points to the nodes (tree built inside)."""
    rng = np.random.default_rng(seed)
    px = rng.uniform(nodes_x.min(), nodes_x.max(), cells)
    py = rng.uniform(nodes_y.min(), nodes_y.max(), cells)
    start = time.perf_counter()
    tree = cKDTree(np.column_stack([nodes_x, nodes_y]))
    tree.query(np.column_stack([px, py]), k=1)
    return time.perf_counter() - start


def germany(args: argparse.Namespace, measured: dict) -> None:
    print()
    print(
        f"== Deutschland: {GERMANY_CELLS:,} besiedelte 100-m-Zellen, {GERMANY_SERVICES} "
        f"Einrichtungsarten, Straßengraph ~{GERMANY_NODES:,} Knoten =="
    )
    if args.germany:
        start = time.perf_counter()
        network = synthetic_network(GERMANY_NODES, seed=8)
        build = time.perf_counter() - start
        _ = network.reverse
        facilities = np.random.default_rng(8).choice(network.n_nodes, args.facilities, False)
        one, _ = best_of(args.repeat, lambda: engine.nearest(network, facilities))
        snap = snap_seconds(network.x, network.y, GERMANY_CELLS)
        print(
            f"synthetischer Graph {network.n_nodes:,} Knoten, {len(network.tail):,} Kanten "
            f"(Aufbau {build:.0f} s); nearest je Einrichtungsart gemessen: {one:.2f} s "
            f"(bester von mind. {args.repeat})"
        )
        print(f"Zuordnung der Zellen an Knoten (cKDTree, gemessen): {snap:.1f} s")
        peak = traced_peak(lambda: engine.nearest(network, facilities))
        print(f"tracemalloc-Spitze eines nearest-Laufs: {peak / 2**30:.2f} GiB")
    else:
        n = measured["nodes"]
        scale = GERMANY_NODES * math.log(GERMANY_NODES) / (n * math.log(n))
        one = measured["nearest"] * scale
        rng = np.random.default_rng(7)
        x = rng.uniform(0, GERMANY_EXTENT_M[0], GERMANY_NODES)
        y = rng.uniform(0, GERMANY_EXTENT_M[1], GERMANY_NODES)
        snap = snap_seconds(x, y, GERMANY_CELLS)
        del x, y
        print(
            f"nearest je Einrichtungsart: {measured['nearest']:.3f} s bei {n:,} Knoten × "
            f"(N log N)/(n log n) = {scale:.1f} → {one:.1f} s (hochgerechnet; mit --germany "
            f"gemessen)"
        )
        print(
            f"Zuordnung der Zellen an {GERMANY_NODES:,} zufällige Knoten (cKDTree-Aufbau und "
            f"Abfrage, gemessen): {snap:.1f} s"
        )
        print(
            f"Speicher eines nearest-Laufs, linear hochgerechnet: "
            f"{measured['near_peak'] / n * GERMANY_NODES / 2**30:.2f} GiB (tracemalloc); "
            f"od_matrix hält je Block {engine.BLOCK} Ziele × {GERMANY_NODES:,} Knoten = "
            f"{8 * engine.BLOCK * GERMANY_NODES / 2**30:.1f} GiB"
        )
    total = GERMANY_SERVICES * one + snap
    print(
        f"gesamt: {GERMANY_SERVICES} × {one:.1f} s + {snap:.1f} s = {dur(total)} "
        f"({total / 60:.1f} min) für alle Zellen zu allen {GERMANY_SERVICES} Einrichtungsarten"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500_000)
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--origins", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pandana", action="store_true")
    parser.add_argument("--od-limit-minutes", type=float, default=30.0)
    parser.add_argument("--germany", action="store_true", help="Graph deutscher Größe messen")
    args = parser.parse_args()
    pandana = None if args.skip_pandana else import_pandana()
    small = synthetic_network(100)  # compile the Numba kernels (cached on disk)
    Hierarchy.build(small)
    small.chains.nearest(np.zeros(1, np.int64), np.zeros(1))
    if pandana is not None:
        print(
            f"pandana {pandana.__version__} rechnet mit allen {os.cpu_count()} Kernen (OpenMP), "
            f"regiowerk und NetworkX mit einem."
        )

    bayreuth = bayreuth_network()
    if bayreuth is not None:
        compare("Nord-Bayreuth (OSM, Pkw)", bayreuth, args, pandana)
    start = time.perf_counter()
    synthetic = synthetic_network(args.nodes)
    print(f"\nsynthetischer Graph erzeugt in {time.perf_counter() - start:.1f} s")
    measured = compare("Synthetischer Straßengraph", synthetic, args, pandana)
    del synthetic
    germany(args, measured)
    print(f"\nProzess-RSS max (alle Läufe, auch NetworkX und pandana): {rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
