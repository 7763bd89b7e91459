"""Directed modularity (own numpy code) and the Leiden/Louvain comparator."""

from __future__ import annotations

import builtins
from typing import Any

import networkx as nx
import numpy as np
import pytest

from regiowerk.flows import leiden as comparator
from regiowerk.flows.leiden import ComparatorMissing, communities, modularity


def _two_groups() -> np.ndarray:
    m = np.zeros((4, 4))
    m[0, 0], m[0, 1], m[1, 0], m[1, 1] = 10, 4, 2, 6
    m[2, 2], m[2, 3], m[3, 2], m[3, 3] = 8, 3, 5, 7
    m[1, 2] = 1
    return m


def test_modularity_by_hand() -> None:
    """m = 46; group {0,1}: inside 22, K_out = 14 + 9 = 23, K_in = 12 + 10 = 22;
    group {2,3}: inside 23, K_out = 11 + 12 = 23, K_in = 14 + 10 = 24.
    Q = 45/46 − (23·22 + 23·24)/46² = 0.97826 − 0.5 = 0.47826."""
    labels = np.array([0, 0, 1, 1])
    assert modularity(_two_groups(), labels) == pytest.approx(45 / 46 - (23 * 22 + 23 * 24) / 46**2)
    assert modularity(_two_groups(), np.zeros(4, dtype=int)) == pytest.approx(0.0)


def test_modularity_matches_networkx() -> None:
    rng = np.random.default_rng(3)
    m = rng.poisson(2.0, size=(12, 12)).astype(float)
    labels = rng.integers(0, 3, 12)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(12))
    graph.add_weighted_edges_from((i, j, m[i, j]) for i in range(12) for j in range(12) if m[i, j])
    groups = [set(np.nonzero(labels == k)[0].tolist()) for k in range(3)]
    groups = [g for g in groups if g]
    assert modularity(m, labels) == pytest.approx(nx.community.modularity(graph, groups))


def test_reserve_areas_are_singletons() -> None:
    labels = np.array([0, 0, -1, -1])
    assert modularity(_two_groups(), labels) == pytest.approx(
        modularity(_two_groups(), np.array([0, 0, 1, 2]))
    )


def test_leiden_finds_the_two_groups() -> None:
    pytest.importorskip("leidenalg")
    found = communities(_two_groups())
    assert found.method == "leiden"
    assert found.note == ""
    assert found.labels[0] == found.labels[1] != found.labels[2] == found.labels[3]


def test_louvain_fallback_without_leidenalg(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in ("leidenalg", "igraph"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ComparatorMissing, match="pip install leidenalg igraph"):
        comparator.leiden(_two_groups())
    found = communities(_two_groups())
    assert found.method == "louvain"
    assert "Louvain" in found.note
    assert found.labels[0] == found.labels[1] != found.labels[2] == found.labels[3]
