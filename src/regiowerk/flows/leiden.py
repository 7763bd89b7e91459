"""Community detection as a comparator for the travel-to-work areas, and modularity.

**Leiden** (V. A. Traag, L. Waltman, N. J. van Eck 2019, "From Louvain to Leiden: guaranteeing
well-connected communities", *Scientific Reports* 9, 5233) through the optional packages
``leidenalg`` and ``python-igraph`` (both GPL; imported only inside :func:`leiden`, never
required by the rest of regiowerk). Where they are missing, :func:`communities` falls back to
the Louvain method of NetworkX (``networkx.community.louvain_communities``, BSD licence;
V. D. Blondel et al. 2008) and says so.

**Modularity** is computed here with numpy/scipy for any partition, so quality tables never need
igraph. For a directed weighted graph with ``A_ij`` persons from ``i`` to ``j`` (self-loops =
internal commuters), ``m = Σ_ij A_ij``, out-strength ``k_i^out``, in-strength ``k_j^in``
(M. E. J. Newman 2006, "Modularity and community structure in networks", *PNAS* 103, 8577;
directed form: E. A. Leicht and M. E. J. Newman 2008, *Phys. Rev. Lett.* 100, 118703)::

    Q = (1/m) Σ_ij [A_ij − k_i^out k_j^in / m] δ(c_i, c_j)
      = Σ_c [ I_c / m − (K_c^out · K_c^in) / m² ]

with ``I_c`` the flows inside community ``c`` and ``K_c`` the summed strengths of its members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from regiowerk.errors import RegiowerkError

SEED = 20240607
"""Fixed seed: the comparator gives the same partition on every run."""


class ComparatorMissing(RegiowerkError):
    """leidenalg/igraph are not installed."""


@dataclass(frozen=True)
class Communities:
    """Community number per area and the method that found them."""

    labels: np.ndarray
    method: str
    """``leiden`` or ``louvain`` (NetworkX fallback)."""
    note: str = ""


def modularity(matrix: sparse.spmatrix | np.ndarray, labels: np.ndarray) -> float:
    """Directed modularity ``Q`` of the partition ``labels`` (see the module docstring).

    Areas labelled ``-1`` (e.g. the reserve) are each their own community.
    """
    a = sparse.csr_matrix(matrix, dtype=float)
    m = float(a.sum())
    if m <= 0:
        return float("nan")
    labels = np.asarray(labels).copy()
    free = labels < 0
    labels[free] = labels.max(initial=0) + 1 + np.arange(int(free.sum()))
    _, comm = np.unique(labels, return_inverse=True)
    coo = a.tocoo()
    inside = comm[coo.row] == comm[coo.col]
    internal = float(coo.data[inside].sum())
    k_out = np.bincount(comm, weights=np.asarray(a.sum(axis=1)).ravel())
    k_in = np.bincount(comm, weights=np.asarray(a.sum(axis=0)).ravel())
    return internal / m - float((k_out * k_in).sum()) / m**2


def leiden(matrix: sparse.spmatrix | np.ndarray, *, seed: int = SEED) -> np.ndarray:
    """Leiden communities maximising directed modularity (needs leidenalg and igraph)."""
    try:
        import igraph as ig
        import leidenalg
    except ImportError:
        raise ComparatorMissing(
            "Für den Vergleich mit Leiden-Communities fehlen die Pakete leidenalg und igraph: "
            "pip install leidenalg igraph"
        ) from None
    coo = sparse.coo_matrix(matrix, dtype=float)
    keep = coo.data > 0
    graph = ig.Graph(
        n=coo.shape[0],
        edges=list(zip(coo.row[keep].tolist(), coo.col[keep].tolist(), strict=True)),
        directed=True,
    )
    graph.es["weight"] = coo.data[keep].tolist()
    partition = leidenalg.find_partition(
        graph, leidenalg.ModularityVertexPartition, weights="weight", seed=seed
    )
    return np.asarray(partition.membership, dtype=np.int64)


def louvain(matrix: sparse.spmatrix | np.ndarray, *, seed: int = SEED) -> np.ndarray:
    """Louvain communities of NetworkX (directed modularity), the fallback comparator."""
    import networkx as nx

    coo = sparse.coo_matrix(matrix, dtype=float)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(coo.shape[0]))
    graph.add_weighted_edges_from(
        (int(i), int(j), float(v)) for i, j, v in zip(coo.row, coo.col, coo.data, strict=True) if v
    )
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    labels = np.empty(coo.shape[0], dtype=np.int64)
    for number, members in enumerate(sorted(found, key=min)):
        labels[list(members)] = number
    return labels


def communities(matrix: sparse.spmatrix | np.ndarray, *, seed: int = SEED) -> Communities:
    """Leiden when installed, else NetworkX Louvain (with a German note)."""
    try:
        return Communities(leiden(matrix, seed=seed), "leiden")
    except ComparatorMissing:
        return Communities(
            louvain(matrix, seed=seed),
            "louvain",
            "leidenalg/igraph nicht installiert (pip install leidenalg igraph): Vergleich mit "
            "dem Louvain-Verfahren von NetworkX statt Leiden.",
        )
