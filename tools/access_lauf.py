"""Networks and nearest-school times for Lauf a. d. Pegnitz (issue 6, validation).

Builds the car, walk and bike networks from ``osm/lauf-200115.osm.pbf`` in the real data folder
(``$REGIOWERK_DATA``, default ``../shared/data``), prints their sizes and notes, then the
distribution of the time from every network node to the nearest school (primary or secondary,
from the same extract via ``regiowerk.sources.osm``, snapped with a walking egress leg) by car
and on foot, and the largest deviation of ``regiowerk.access.engine.nearest`` from NetworkX's
``multi_source_dijkstra_path_length`` on the same reversed graph (virtual source nodes carry
the egress times, as in ``engine``).

Usage::

    .venv/bin/python tools/access_lauf.py [EXTRACT]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from regiowerk.access import engine
from regiowerk.access.network import MODE_LABELS, Network
from regiowerk.access.osm_network import read_networks
from regiowerk.access.snap import snap
from regiowerk.sources import osm
from regiowerk.sources.base import default_data_dir

EXTRACT = Path("osm") / "lauf-200115.osm.pbf"
SCHOOLS = ("primary_school", "secondary_school")
THRESHOLDS_MIN = (5, 10, 15)


def networkx_nearest(
    network: Network, nodes: NDArray[np.int64], offsets: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Nearest-destination seconds by NetworkX on the reversed graph with virtual sources."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.n_nodes))
    graph.add_weighted_edges_from(
        zip(network.head.tolist(), network.tail.tolist(), network.seconds.tolist(), strict=True)
    )
    sources = [("destination", j) for j in range(len(nodes))]
    graph.add_weighted_edges_from(
        (s, int(n), float(o)) for s, n, o in zip(sources, nodes, offsets, strict=True)
    )
    times = nx.multi_source_dijkstra_path_length(graph, sources)
    return np.array([times.get(v, np.inf) for v in range(network.n_nodes)])


def distribution(seconds: NDArray[np.float64]) -> str:
    """Min, quartiles, p90, max (minutes) and shares within the thresholds."""
    minutes = seconds / 60
    q = np.percentile(minutes, [0, 25, 50, 75, 90, 100])
    shares = ", ".join(f"≤ {t} min {np.mean(minutes <= t):.1%}" for t in THRESHOLDS_MIN)
    return (
        f"min {q[0]:.1f}, Q1 {q[1]:.1f}, Median {q[2]:.1f}, Q3 {q[3]:.1f}, P90 {q[4]:.1f}, "
        f"max {q[5]:.1f} min; {shares}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else default_data_dir() / EXTRACT
    if not path.is_file():
        print(f"Ausschnitt nicht gefunden: {path}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    networks = read_networks(path)
    print(f"{path.name}: Netze in {time.perf_counter() - start:.2f} s gebaut")
    for mode, network in networks.items():
        print(f"  {MODE_LABELS[mode]}: {network.n_nodes} Knoten, {len(network.tail)} Kanten")
        for note in network.notes:
            print(f"    - {note}")
    facilities = osm.read([path]).tables["facilities"]
    schools = facilities[facilities["kind"].isin(SCHOOLS)]
    counts = schools["kind"].value_counts()
    by_kind = ", ".join(f"{kind} {int(counts.get(kind, 0))}" for kind in SCHOOLS)
    print(f"Schulen: {len(schools)} ({by_kind})")
    worst = 0.0
    for mode in ("car", "walk"):
        network = networks[mode]
        snapped = snap(network, schools.geometry.x.to_numpy(), schools.geometry.y.to_numpy())
        keep = ~snapped.off_network
        if not keep.all():
            print(f"  {int((~keep).sum())} Schulen weiter als die Fanggrenze vom Netz: übergangen")
        nodes, offsets = snapped.node[keep], snapped.seconds[keep]
        engine.nearest(network, nodes, offsets)  # first call: junction graph, compiled code
        start = time.perf_counter()
        result = engine.nearest(network, nodes, offsets)
        took = time.perf_counter() - start
        start = time.perf_counter()
        reference = networkx_nearest(network, nodes, offsets)
        took_nx = time.perf_counter() - start
        deviation = float(np.max(np.abs(result.seconds - reference)))
        worst = max(worst, deviation)
        print(f"Nächste Schule, {MODE_LABELS[mode]} ({network.n_nodes} Knoten):")
        print(f"  {distribution(result.seconds)}")
        print(
            f"  max. Abweichung von NetworkX: {deviation:.3g} s "
            f"(regiowerk {took * 1000:.1f} ms, NetworkX {took_nx * 1000:.1f} ms)"
        )
    print(f"Größte Abweichung insgesamt: {worst:.3g} s ({'ok' if worst <= 1e-9 else 'ZU GROSS'})")
    return 0 if worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
