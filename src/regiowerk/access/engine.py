"""Shortest travel times on a :class:`~regiowerk.access.network.Network`.

All queries run Dijkstra's algorithm (Dijkstra 1959; ``scipy.sparse.csgraph`` unless noted below)
on the *reversed* graph, started at the destinations: the distance from destination ``d`` in the
reversed graph is the travel time from every node *to* ``d``, which is what accessibility asks for
(from home to the GP; on one-way streets the two directions differ).

* :func:`nearest`: multi-source Dijkstra (``min_only=True``): one pass over the graph gives,
  for every node, ``min_d T(v, d)`` and which destination attains it. On graphs whose junctions
  are at most :data:`CHAINS_MAX_CORE_SHARE` of the nodes (every OSM road graph: most nodes
  only carry the geometry of a street) the pass runs on the junctions alone and the streets'
  inner nodes are filled in afterwards (:mod:`regiowerk.access.chains`; the same times).
* :func:`k_nearest`: the ``k`` smallest times per node over all destinations, from
  single-source runs in blocks of destinations with a running partial sort (``np.partition``)
  so that memory stays ``O(n · (k + block))``; a ``limit`` (cut-off) stops each run early.
* :func:`od_matrix`: destinations × origins from one run per destination, transposed; or,
  given a :class:`~regiowerk.access.hierarchy.Hierarchy` of the network, by the bucket
  algorithm on the contraction hierarchy (small upward searches instead of runs over the
  whole graph; worth its one-off contraction from a few hundred destinations on).

Destinations carry an *egress* time (walking from the network node to the facility); it is
added exactly by virtual source nodes ``s_d`` with one edge ``s_d → node(d)`` of that weight in
the reversed graph, so that multi-source runs still see each destination's own offset.
Unreachable pairs are ``inf`` (never 0 or NaN).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph

from regiowerk.access.hierarchy import Hierarchy
from regiowerk.access.network import Network, NetworkError, check_nodes

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BLOCK = 64
"""Destinations per block of single-source runs in :func:`k_nearest`."""
CHAINS_MAX_CORE_SHARE = 0.4
""":func:`nearest` uses :class:`~regiowerk.access.chains.Chains` when at most this share of the
nodes are junctions. Its compiled search on the junctions costs about twice scipy's per node
(measured on the 515,147-node synthetic benchmark graph, 95 % junctions: 0.35 s against
0.16 s) and its pass over the streets' inner nodes a tenth of a scipy run over all nodes, so it
pays off below about 45 % junctions; on the north-Bayreuth car network (10 %) it takes 0.11 ms
against 0.40 ms."""


def _with_sources(network: Network, nodes: IntArray, offsets: Array) -> sp.csr_matrix:
    """Reversed graph plus one virtual node per destination (index ``n + j``)."""
    n, m = network.n_nodes, len(nodes)
    reverse = network.reverse.tocoo()
    rows = np.concatenate([reverse.row, n + np.arange(m)])
    cols = np.concatenate([reverse.col, nodes])
    data = np.concatenate([reverse.data, offsets])
    return sp.csr_matrix((data, (rows, cols)), shape=(n + m, n + m))


@dataclass(frozen=True)
class Nearest:
    """Time (seconds) from every node to its nearest destination and which one (-1: none)."""

    seconds: Array
    destination: IntArray


def nearest(
    network: Network,
    nodes: IntArray,
    offsets: Array | None = None,
    *,
    limit: float = np.inf,
) -> Nearest:
    """Nearest destination for every node (multi-source Dijkstra, see the module docstring).

    ``nodes`` are the destinations' network nodes, ``offsets`` their egress seconds.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    offsets = np.zeros(len(nodes)) if offsets is None else np.asarray(offsets, dtype=float)
    n = network.n_nodes
    if len(nodes) == 0:
        return Nearest(np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
    check_nodes(nodes, n, "Ziel")
    if network.chains.core_share <= CHAINS_MAX_CORE_SHARE:
        seconds, which = network.chains.nearest(nodes, offsets, limit)
        return Nearest(seconds, which)
    if not offsets.any():
        # no egress legs: start at the nodes themselves (first destination of each node)
        unique, first = np.unique(nodes, return_index=True)
        dist, _, source = csgraph.dijkstra(
            network.reverse,
            directed=True,
            indices=unique,
            min_only=True,
            limit=limit,
            return_predecessors=True,
        )
        lookup = np.full(n, -1, dtype=np.int64)
        lookup[unique] = first
        reached = np.isfinite(dist)
        which = np.where(reached, lookup[np.maximum(source, 0)], -1).astype(np.int64)
        return Nearest(np.where(reached, dist, np.inf), which)
    graph = _with_sources(network, nodes, offsets)
    dist, _, source = csgraph.dijkstra(
        graph,
        directed=True,
        indices=n + np.arange(len(nodes)),
        min_only=True,
        limit=limit,
        return_predecessors=True,
    )
    reached = np.isfinite(dist[:n])
    which = np.where(reached, source[:n] - n, -1).astype(np.int64)
    return Nearest(np.where(reached, dist[:n], np.inf), which)


@dataclass(frozen=True)
class KNearest:
    """``seconds[v, i]``: time from node ``v`` to its ``i``-th nearest destination
    (ascending), ``destination[v, i]`` its index (-1 and ``inf`` where fewer are reachable)."""

    seconds: Array
    destination: IntArray


def k_nearest(
    network: Network,
    nodes: IntArray,
    k: int,
    offsets: Array | None = None,
    *,
    limit: float = np.inf,
    block: int = BLOCK,
) -> KNearest:
    """The ``k`` nearest destinations of every node (see the module docstring)."""
    nodes = np.asarray(nodes, dtype=np.int64)
    offsets = np.zeros(len(nodes)) if offsets is None else np.asarray(offsets, dtype=float)
    n = network.n_nodes
    best = np.full((n, k), np.inf)
    which = np.full((n, k), -1, dtype=np.int64)
    for chunk, by_destination in _blocks(network, nodes, offsets, limit, block):
        times = by_destination.T  # (n, len(chunk))
        merged = np.concatenate([best, times], axis=1)
        ids = np.concatenate([which, np.broadcast_to(chunk, (n, len(chunk)))], axis=1)
        if merged.shape[1] > k:
            part = np.argpartition(merged, k - 1, axis=1)[:, :k]
            merged = np.take_along_axis(merged, part, axis=1)
            ids = np.take_along_axis(ids, part, axis=1)
        order = np.argsort(merged, axis=1, kind="stable")
        best = np.take_along_axis(merged, order, axis=1)
        which = np.take_along_axis(ids, order, axis=1)
    which[~np.isfinite(best)] = -1
    return KNearest(best, which)


def od_matrix(
    network: Network,
    origins: IntArray,
    destinations: IntArray,
    offsets: Array | None = None,
    *,
    limit: float = np.inf,
    block: int = BLOCK,
    hierarchy: Hierarchy | None = None,
) -> Array:
    """Travel times ``(origins, destinations)`` in seconds (``inf`` beyond ``limit``).

    Without ``hierarchy`` the single-source runs go in blocks of ``block`` destinations, so
    memory stays ``O(block · nodes + origins · destinations)``; with the network's
    ``hierarchy`` the table comes from :meth:`Hierarchy.table` (the same times).
    """
    destinations = np.asarray(destinations, dtype=np.int64)
    origins = np.asarray(origins, dtype=np.int64)
    offsets = np.zeros(len(destinations)) if offsets is None else np.asarray(offsets, float)
    if hierarchy is not None:
        if hierarchy.n_nodes != network.n_nodes:
            raise NetworkError(
                f"Die Kontraktionshierarchie gehört zu einem anderen Netz "
                f"({hierarchy.n_nodes} statt {network.n_nodes} Knoten)."
            )
        return hierarchy.table(origins, destinations, offsets, limit=limit)
    times = np.empty((len(origins), len(destinations)))
    for chunk, by_destination in _blocks(network, destinations, offsets, limit, block):
        times[:, chunk] = by_destination[:, origins].T
    return times


def _blocks(
    network: Network, nodes: IntArray, offsets: Array, limit: float, block: int
) -> Iterator[tuple[IntArray, Array]]:
    """Destinations in blocks of ``block``: their indices and the times ``(block, nodes)``
    from every node to each (egress offsets added, ``inf`` beyond ``limit``); one Dijkstra run
    per distinct node of a block, so memory stays ``O(block · nodes)``."""
    for start in range(0, len(nodes), block):
        chunk = np.arange(start, min(start + block, len(nodes)))
        unique, inverse = np.unique(nodes[chunk], return_inverse=True)
        dist = csgraph.dijkstra(network.reverse, directed=True, indices=unique, limit=limit)
        times = dist[inverse] + offsets[chunk, None]
        times[times > limit] = np.inf
        yield chunk, times
