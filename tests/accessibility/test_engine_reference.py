"""The routing engine against NetworkX on small random directed graphs (property tests).

Graphs of 10–60 nodes with random node ids, parallel edges, self-loops, one-way edges, zero
weights and nodes without edges. Weights, egress offsets and limits are multiples of 1/4, so
every sum of them is exact in floating point and "equal" can mean ``==`` whatever order the two
libraries add in. Unreachable pairs are ``inf`` on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from unittest.mock import patch

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from regiowerk.access import engine
from regiowerk.access.hierarchy import Hierarchy
from regiowerk.access.network import Network

INF = float("inf")
QUARTERS = st.integers(min_value=0, max_value=80).map(lambda q: q / 4)
"""0 to 20 in steps of 1/4; 0 is drawn often enough (hypothesis favours small values)."""


@dataclass(frozen=True)
class Case:
    """A random graph: ``ids[i]`` is node ``i``'s id; edges as ``(i, j, seconds)``."""

    ids: list[int]
    edges: list[tuple[int, int, float]]

    @property
    def n(self) -> int:
        return len(self.ids)

    def network(self) -> Network:
        nodes = pd.DataFrame(
            {"node_id": self.ids, "x": np.arange(self.n, dtype=float), "y": np.zeros(self.n)}
        )
        ids = np.array(self.ids, dtype=np.int64)
        tail = np.array([a for a, _, _ in self.edges], dtype=np.int64)
        head = np.array([b for _, b, _ in self.edges], dtype=np.int64)
        seconds = np.array([w for _, _, w in self.edges], dtype=float)
        return Network.from_edges("car", nodes, ids[tail], ids[head], seconds)

    def nx_graph(self) -> nx.MultiDiGraph:
        """Node ``i`` as ``i``; parallel edges stay (NetworkX uses the lightest of them)."""
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(range(self.n))
        graph.add_weighted_edges_from(self.edges)
        return graph

    def times_to(self, targets: list[int]) -> np.ndarray:
        """``T[v, j]``: NetworkX travel time from node ``v`` to ``targets[j]`` (inf: none)."""
        reverse = self.nx_graph().reverse(copy=True)
        times = np.full((self.n, len(targets)), INF)
        for j, target in enumerate(targets):
            for v, t in nx.single_source_dijkstra_path_length(reverse, target).items():
                times[v, j] = t
        return times


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(min_value=10, max_value=60))
    ids = draw(
        st.lists(st.integers(0, 10**9), min_size=n, max_size=n, unique=True)
    )  # any order: the network must map ids, not assume 0..n-1
    isolated = draw(st.integers(0, n // 5))  # the last ones have no edges at all
    connected = n - isolated
    m = draw(st.integers(0, 4 * connected))
    ends = st.integers(0, connected - 1)
    edges = draw(st.lists(st.tuples(ends, ends, QUARTERS), min_size=m, max_size=m))
    # some two-way roads: the same weight back, as from the OSM reader
    back = draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges)))
    edges += [(b, a, w) for (a, b, w), twoway in zip(edges, back, strict=True) if twoway]
    return Case(ids, edges)


@st.composite
def with_destinations(draw: st.DrawFn) -> tuple[Case, list[int], list[float]]:
    case = draw(cases())
    nodes = st.integers(0, case.n - 1)
    targets = draw(st.lists(nodes, min_size=1, max_size=8))  # repeats: two on one node
    offsets = draw(st.lists(QUARTERS, min_size=len(targets), max_size=len(targets)))
    return case, targets, offsets


def limits() -> st.SearchStrategy[float]:
    return st.one_of(st.just(INF), st.integers(0, 120).map(lambda q: q / 4))


def cut(times: np.ndarray, limit: float) -> np.ndarray:
    return np.where(times <= limit, times, INF)


@settings(max_examples=100, deadline=None)
@given(with_destinations(), st.booleans(), limits(), st.sampled_from([0.0, 1.0]))
def test_nearest_equals_networkx(
    drawn: tuple[Case, list[int], list[float]], use_offsets: bool, limit: float, share: float
) -> None:
    """Both ways of :func:`engine.nearest`: scipy on the whole graph (``share`` 0) and the
    junction graph with its chains expanded (``share`` 1)."""
    case, targets, offsets = drawn
    egress = np.array(offsets) if use_offsets else np.zeros(len(targets))
    with patch.object(engine, "CHAINS_MAX_CORE_SHARE", share):
        result = engine.nearest(case.network(), np.array(targets), egress if use_offsets else None)
        limited = engine.nearest(case.network(), np.array(targets), egress, limit=limit)
    # without the graph's own offsets: NetworkX's multi-source Dijkstra, the engine's twin
    if not use_offsets:
        reverse = case.nx_graph().reverse(copy=True)
        plain = np.full(case.n, INF)
        for v, t in nx.multi_source_dijkstra_path_length(reverse, set(targets)).items():
            plain[v] = t
        np.testing.assert_array_equal(result.seconds, plain)
    times = case.times_to(targets) + egress
    expected = times.min(axis=1)
    np.testing.assert_array_equal(result.seconds, expected)
    reached = np.isfinite(expected)
    assert (result.destination[~reached] == -1).all()
    chosen = times[np.flatnonzero(reached), result.destination[reached]]
    np.testing.assert_array_equal(chosen, expected[reached])  # ties: any of the nearest
    np.testing.assert_array_equal(limited.seconds, cut(expected, limit))
    assert (limited.destination[~np.isfinite(limited.seconds)] == -1).all()


@settings(max_examples=100, deadline=None)
@given(
    with_destinations(),
    st.integers(1, 3),
    st.sampled_from([1, 2, engine.BLOCK]),
    limits(),
)
def test_k_nearest_equals_networkx(
    drawn: tuple[Case, list[int], list[float]], k: int, block: int, limit: float
) -> None:
    case, targets, offsets = drawn
    egress = np.array(offsets)
    result = engine.k_nearest(
        case.network(), np.array(targets), k, egress, limit=limit, block=block
    )
    times = cut(case.times_to(targets) + egress, limit)
    expected = np.full((case.n, k), INF)
    first = np.sort(times, axis=1)[:, :k]
    expected[:, : first.shape[1]] = first
    np.testing.assert_array_equal(result.seconds, expected)
    reached = np.isfinite(expected)
    np.testing.assert_array_equal(result.destination >= 0, reached)
    rows, cols = np.nonzero(reached)
    np.testing.assert_array_equal(times[rows, result.destination[rows, cols]], expected[rows, cols])
    for v in range(case.n):  # each destination at most once per node
        found = result.destination[v][result.destination[v] >= 0]
        assert len(set(found.tolist())) == len(found)


@settings(max_examples=100, deadline=None)
@given(
    with_destinations(),
    st.data(),
    st.booleans(),
    limits(),
)
def test_od_matrix_equals_networkx(
    drawn: tuple[Case, list[int], list[float]],
    data: st.DataObject,
    use_offsets: bool,
    limit: float,
) -> None:
    case, targets, offsets = drawn
    origins = data.draw(st.lists(st.integers(0, case.n - 1), min_size=1, max_size=12))
    egress = np.array(offsets) if use_offsets else np.zeros(len(targets))
    network = case.network()
    expected = (case.times_to(targets) + egress)[origins]
    matrix = engine.od_matrix(
        network, np.array(origins), np.array(targets), egress if use_offsets else None
    )
    assert matrix.shape == (len(origins), len(targets))
    np.testing.assert_array_equal(matrix, expected)
    limited = engine.od_matrix(network, np.array(origins), np.array(targets), egress, limit=limit)
    np.testing.assert_array_equal(limited, cut(expected, limit))
    # the contraction hierarchy's bucket algorithm gives the same table (sums are exact)
    hierarchy = Hierarchy.build(network)
    by_hierarchy = engine.od_matrix(
        network, np.array(origins), np.array(targets), egress, limit=limit, hierarchy=hierarchy
    )
    np.testing.assert_array_equal(by_hierarchy, cut(expected, limit))


@settings(max_examples=120, deadline=None)
@given(cases())
def test_largest_component_equals_networkx(case: Case) -> None:
    network = case.network()
    largest = network.largest_component()
    components = list(nx.strongly_connected_components(case.nx_graph()))
    size = max(len(c) for c in components)
    kept = {case.ids.index(i) for i in largest.node_id.tolist()}
    assert kept in [c for c in components if len(c) == size]  # ties: any of the largest
    # node order kept, and exactly the edges inside the component (the lightest of parallels)
    order = [case.ids.index(i) for i in largest.node_id.tolist()]
    assert order == sorted(order, key=lambda i: list(network.node_id).index(case.ids[i]))
    expected: dict[tuple[int, int], float] = {}
    for a, b, w in case.edges:
        if a in kept and b in kept and a != b:
            expected[(a, b)] = min(w, expected.get((a, b), INF))
    got = {
        (order[t], order[h]): s
        for t, h, s in zip(
            largest.tail.tolist(), largest.head.tolist(), largest.seconds.tolist(), strict=True
        )
    }
    assert len(got) == largest.tail.size
    assert got == expected
