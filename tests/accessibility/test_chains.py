"""The junction graph with expanded street chains (:mod:`regiowerk.access.chains`).

Random road-like graphs: a few junctions joined by streets that run through 0–5 inner nodes,
each street segment two-way or one-way in either direction (so a chain may be passable in one
direction only, or in neither), dead-end streets, streets that return to their junction,
several streets between the same two junctions, and separate rings and paths without any
junction. Weights, start values and limits are multiples of 1/4, so sums are exact and the
times must equal NetworkX's with ``==``.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiowerk.access import engine
from regiowerk.access.chains import Chains
from regiowerk.access.network import Network, NetworkError

INF = float("inf")
QUARTERS = st.integers(min_value=0, max_value=40).map(lambda q: q / 4)
DIRECTIONS = st.sampled_from(["both", "both", "both", "forward", "backward"])


@st.composite
def roads(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]]]:
    """``(number of nodes, directed edges (tail, head, seconds))`` of a road-like graph."""
    junctions = draw(st.integers(1, 8))
    n = junctions
    edges: list[tuple[int, int, float]] = []

    def street(nodes: list[int]) -> None:
        for p, q in itertools.pairwise(nodes):
            direction = draw(DIRECTIONS)
            if direction != "backward":
                edges.append((p, q, draw(QUARTERS)))
            if direction != "forward":
                edges.append((q, p, draw(QUARTERS)))

    for _ in range(draw(st.integers(0, 14))):
        inner = draw(st.integers(0, 5))
        a = draw(st.integers(0, junctions - 1))
        kind = draw(st.sampled_from(["through", "through", "dead end", "loop"]))
        if kind == "through":
            b = draw(st.integers(0, junctions - 1))
        elif kind == "loop":
            b, inner = a, max(inner, 2)
        else:
            b, inner = -1, max(inner, 1)
        chain = list(range(n, n + inner))
        n += inner
        street([a, *chain] + ([b] if b >= 0 else []))
    for ring in (True, False):  # a component without junctions
        size = draw(st.integers(0, 4))
        if size >= 2:
            nodes = list(range(n, n + size))
            n += size
            street(nodes + ([nodes[0]] if ring and size >= 3 else []))
    return n, edges


def network_of(n: int, edges: list[tuple[int, int, float]]) -> Network:
    nodes = pd.DataFrame({"node_id": np.arange(n), "x": np.arange(n, dtype=float), "y": 0.0})
    tail, head, seconds = (np.array(column) for column in zip(*edges, strict=True))
    return Network.from_edges("car", nodes, tail.astype(np.int64), head.astype(np.int64), seconds)


def expected_times(
    n: int, edges: list[tuple[int, int, float]], sources: list[int], starts: list[float]
) -> np.ndarray:
    """``T[v, j] = starts[j] + dist(sources[j], v)`` by NetworkX."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(edges)
    times = np.full((n, len(sources)), INF)
    for j, source in enumerate(sources):
        for v, t in nx.single_source_dijkstra_path_length(graph, source).items():
            times[v, j] = starts[j] + t
    return times


@settings(max_examples=300, deadline=None)
@given(roads(), st.data())
def test_chains_equal_networkx(
    drawn: tuple[int, list[tuple[int, int, float]]], data: st.DataObject
) -> None:
    n, edges = drawn
    if not edges:
        return
    network = network_of(n, edges)
    chains = Chains.build(network.graph)
    nodes = st.integers(0, n - 1)
    sources = data.draw(st.lists(nodes, min_size=1, max_size=6))  # often several on one chain
    starts = data.draw(st.lists(QUARTERS, min_size=len(sources), max_size=len(sources)))
    limit = data.draw(st.one_of(st.just(INF), st.integers(0, 100).map(lambda q: q / 4)))
    times = expected_times(n, edges, sources, starts)
    expected = times.min(axis=1)
    expected[expected > limit] = INF

    seconds, which = chains.nearest(np.array(sources), np.array(starts), limit)

    np.testing.assert_array_equal(seconds, expected)
    reached = np.isfinite(expected)
    np.testing.assert_array_equal(which >= 0, reached)
    np.testing.assert_array_equal(times[np.flatnonzero(reached), which[reached]], expected[reached])


@settings(max_examples=100, deadline=None)
@given(roads())
def test_every_node_is_a_junction_or_on_exactly_one_chain(
    drawn: tuple[int, list[tuple[int, int, float]]],
) -> None:
    n, edges = drawn
    if not edges:
        return
    chains = Chains.build(network_of(n, edges).graph)
    core = np.zeros(n, bool)
    core[chains.core_node] = True
    on_chain = np.bincount(chains.chain_node, minlength=n)
    np.testing.assert_array_equal(on_chain, (~core).astype(int))
    np.testing.assert_array_equal(chains.chain_of >= 0, ~core)
    # chain ends are junctions; only dead ends lack a far end
    assert core[chains.chain_a].all()
    assert core[chains.chain_b[chains.chain_b >= 0]].all()


def street_network() -> Network:
    """Two junctions (0, 1) and a third (2) joined by a long street 0 – 10 … 19 – 1 and short
    ones 0 – 1, 0 – 2, 1 – 2, 2 – 20 – 0; a dead end 2 – 21 – 22."""
    inner = list(range(10, 20))
    path = [0, *inner, 1]
    pairs = [*itertools.pairwise(path), (0, 1), (0, 2), (1, 2), (2, 20), (20, 0)]
    pairs += [(2, 21), (21, 22)]
    nodes = sorted({p for pair in pairs for p in pair})
    frame = pd.DataFrame({"node_id": nodes, "x": np.arange(len(nodes), dtype=float), "y": 0.0})
    tail = np.array([a for a, b in pairs] + [b for a, b in pairs])
    head = np.array([b for a, b in pairs] + [a for a, b in pairs])
    return Network.from_edges("car", frame, tail, head, np.full(len(tail), 10.0))


def test_junctions_and_chains_of_a_small_network() -> None:
    network = street_network()
    chains = network.chains
    junctions = network.node_id[chains.core_node].tolist()
    assert junctions == [0, 1, 2]
    assert chains.core_share == pytest.approx(3 / network.n_nodes)
    lengths = sorted(np.diff(chains.chain_ptr).tolist())
    assert lengths == [1, 2, 10]  # 20; 21 – 22 (dead end); 10 … 19
    # nearest to junction 1 and to the dead end 22: the street's middle goes either way
    index = {int(i): k for k, i in enumerate(network.node_id)}
    result = engine.nearest(network, np.array([index[1], index[22]]))
    assert result.seconds[index[15]] == 50.0  # 15 → 19 → 1
    assert result.seconds[index[0]] == 10.0
    assert result.destination[index[21]] == 1
    assert result.seconds[index[20]] == 20.0  # 20 → 0 → 1 and 20 → 2 → 1 tie


def test_nodes_outside_the_network_are_an_error() -> None:
    network = street_network()
    with pytest.raises(NetworkError, match="Zielknoten liegen nicht im Netz"):
        engine.nearest(network, np.array([0, network.n_nodes]))
