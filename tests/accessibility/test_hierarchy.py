"""The contraction hierarchy and its many-to-many tables against Dijkstra on a road-like grid.

The small random graphs of ``test_engine_reference.py`` check exact equality with NetworkX; this
file checks a grid of 1,600 nodes with one-way streets, zero-weight edges and a fast ring road
(where shortcuts matter), the structure of the hierarchy, and bad input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regiowerk.access import engine
from regiowerk.access.hierarchy import Hierarchy
from regiowerk.access.network import Network, NetworkError

SIDE = 40


@pytest.fixture(scope="module")
def grid() -> Network:
    rng = np.random.default_rng(11)
    ids = np.arange(SIDE * SIDE).reshape(SIDE, SIDE)
    a = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    b = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    seconds = rng.uniform(5, 60, len(a)).round(3)
    seconds[rng.random(len(a)) < 0.03] = 0.0
    ring = (a % SIDE == 0) | (a < SIDE)  # first row and column: a fast road
    seconds[ring] /= 5
    oneway = rng.random(len(a)) < 0.1
    nodes = pd.DataFrame(
        {"node_id": ids.ravel(), "x": (ids % SIDE).ravel() * 100.0, "y": (ids // SIDE).ravel()}
    )
    tail = np.concatenate([a, b[~oneway]])
    head = np.concatenate([b, a[~oneway]])
    network = Network.from_edges(
        "car", nodes, tail, head, np.concatenate([seconds, seconds[~oneway]])
    )
    return network.largest_component()


@pytest.fixture(scope="module")
def hierarchy(grid: Network) -> Hierarchy:
    return Hierarchy.build(grid)


def test_rank_is_an_order_and_edges_point_upwards(grid: Network, hierarchy: Hierarchy) -> None:
    n = grid.n_nodes
    np.testing.assert_array_equal(np.sort(hierarchy.rank), np.arange(n))
    for indptr, head in (
        (hierarchy.up_indptr, hierarchy.up_head),
        (hierarchy.down_indptr, hierarchy.down_head),
    ):
        tails = np.repeat(np.arange(n), np.diff(indptr))
        assert (hierarchy.rank[head] > hierarchy.rank[tails]).all()
    assert hierarchy.shortcuts > 0
    # every original edge is kept in one of the two graphs (possibly lowered by a shortcut)
    assert len(hierarchy.up_head) + len(hierarchy.down_head) == len(grid.tail) + hierarchy.shortcuts


@pytest.mark.parametrize("limit", [np.inf, 300.0])
def test_table_equals_dijkstra(grid: Network, hierarchy: Hierarchy, limit: float) -> None:
    rng = np.random.default_rng(3)
    origins = rng.choice(grid.n_nodes, 300)  # with repeats
    destinations = rng.choice(grid.n_nodes, 40, replace=False)
    offsets = rng.uniform(0, 120, len(destinations))
    expected = engine.od_matrix(grid, origins, destinations, offsets, limit=limit)
    table = hierarchy.table(origins, destinations, offsets, limit=limit)
    np.testing.assert_array_equal(np.isinf(table), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(table[finite], expected[finite], rtol=0, atol=1e-9)
    if np.isinf(limit):
        assert finite.all()  # one strongly connected component
    else:
        assert 0 < finite.mean() < 1


def test_empty_origins_or_destinations(hierarchy: Hierarchy) -> None:
    assert hierarchy.table(np.array([], dtype=np.int64), np.array([1, 2])).shape == (0, 2)
    assert hierarchy.table(np.array([1, 2]), np.array([], dtype=np.int64)).shape == (2, 0)


def test_nodes_outside_the_network_are_an_error(grid: Network, hierarchy: Hierarchy) -> None:
    with pytest.raises(NetworkError, match="Zielknoten liegen nicht im Netz"):
        hierarchy.table(np.array([0]), np.array([grid.n_nodes]))
    with pytest.raises(NetworkError, match="Startknoten"):
        hierarchy.table(np.array([-1]), np.array([0]))


def test_a_hierarchy_of_another_network_is_refused(grid: Network) -> None:
    small = Network.from_edges(
        "car",
        pd.DataFrame({"node_id": [1, 2], "x": [0.0, 1.0], "y": [0.0, 0.0]}),
        np.array([1, 2]),
        np.array([2, 1]),
        np.array([1.0, 1.0]),
    )
    with pytest.raises(NetworkError, match="anderen Netz"):
        engine.od_matrix(grid, np.array([0]), np.array([1]), hierarchy=Hierarchy.build(small))
