"""Multi-source Dijkstra on the *core* of a road graph, with its pass-through chains expanded.

Most nodes of an OSM road graph only carry the geometry of a street: they touch exactly two
other nodes (or one, at the end of a dead-end street). On the north-Bayreuth car network 85 %
of the nodes touch two, 5 % one and 10 % three or more. A shortest path enters such a node from
one neighbour and leaves to the other, so the graph decomposes into

* **core nodes**: nodes with three or more distinct neighbours (junctions), and
* **chains**: maximal paths ``a → c₁ → … → c_k → b`` of nodes with one or two distinct
  neighbours between two core nodes ``a`` and ``b``; a chain ending at a dead end has no
  ``b``. A cycle or path without any junction gets one of its nodes as core node.

This is the degree-two contraction that precedes most route-planning preprocessing
(Sanders & Schultes 2005, "Highway Hierarchies Hasten Exact Shortest Path Queries", ESA 2005,
LNCS 3669, §4 "contracting lines"; Geisberger et al. 2008, §3) and the "simplification" of
OSMnx (Boeing 2017), here kept exact and reversible: the chain nodes stay addressable.

**Core graph.** Every edge between two core nodes, plus for every chain with a far end ``b``
the edge ``a → b`` of weight ``Σ c(cᵢ₋₁, cᵢ) + c(c_k, b)`` (if every edge of that direction
exists) and likewise ``b → a``.

**Query** (distances *from* a set of sources ``s_j`` with start values ``o_j``,
``D(v) = min_j o_j + dist(s_j, v)``), in three steps:

1. *Seeds on chains.* A source on a chain reaches the chain's ends along the chain only:
   one sweep along the chain in each direction,

       f(cᵢ) = min(seed(cᵢ), f(cᵢ₋₁) + c(cᵢ₋₁, cᵢ)),

   gives start values for ``a`` and ``b`` (``f(c_k) + c(c_k, b)`` and its mirror).
2. *Core.* Dijkstra's algorithm (Dijkstra 1959) on the core graph from all seeded core nodes,
   with an indexed binary heap (:mod:`regiowerk.access.heap`); with a ``limit`` the search
   stops at the first node farther away.
3. *Expansion.* Every path into a chain node comes along the chain from ``a``, from ``b`` or
   from a source on the chain; the same two sweeps, now started at ``D(a)`` and ``D(b)``, give
   ``D(cᵢ) = min(forward, backward)`` exactly.

With ``C`` core nodes and ``n`` nodes a query costs ``O(C log C + n)`` instead of Dijkstra's
``O(n log n)`` on the whole graph; both the contraction and the query run compiled by Numba.
Each node is labelled with the source that attains its distance (the first of equal seeds;
among equally near sources any one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from regiowerk.access.heap import heap_pop, heap_set

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
INF = np.inf


@nb.njit(cache=True, inline="always")
def _weight(ptr: IntArray, idx: IntArray, w: Array, x: int, y: int) -> float:
    """Weight of the edge ``x → y`` (the smallest of parallel ones), ``inf`` if none."""
    best = INF
    for e in range(ptr[x], ptr[x + 1]):
        if idx[e] == y and w[e] < best:
            best = w[e]
    return best


@nb.njit(cache=True)
def _neighbours(
    n: int, ptr: IntArray, idx: IntArray, rptr: IntArray, ridx: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Number of distinct neighbours (in either direction) of every node, capped at 3, and up
    to two of them (``first[v]``, ``second[v]``; -1 where fewer)."""
    degree = np.zeros(n, np.int64)
    first = np.full(n, -1, np.int64)
    second = np.full(n, -1, np.int64)
    for v in range(n):
        for rows, cols in ((ptr, idx), (rptr, ridx)):
            for e in range(rows[v], rows[v + 1]):
                u = cols[e]
                if u == v or u == first[v] or u == second[v]:
                    continue
                if first[v] < 0:
                    first[v] = u
                elif second[v] < 0:
                    second[v] = u
                degree[v] = 3 if degree[v] >= 2 else degree[v] + 1
    return degree, first, second


@nb.njit(cache=True)
def _decompose(
    n: int, ptr: IntArray, idx: IntArray, w: Array, rptr: IntArray, ridx: IntArray
) -> tuple[
    NDArray[np.bool_], IntArray, IntArray, IntArray, IntArray, IntArray, Array, Array, Array, Array
]:
    """Core nodes and chains of the graph ``(ptr, idx, w)`` whose transpose is ``(rptr, ridx)``.

    Returns ``core`` (bool per node), the chain of every node (``chain_of``, -1 for core
    nodes), the chains' node lists (``chain_ptr``, ``chain_node``),
    their ends ``chain_a``, ``chain_b`` (-1: dead end), per chain node the weights ``forward``
    (from its predecessor towards ``b``) and ``backward`` (from its successor towards ``a``),
    and per chain ``into_a`` = ``c(c₁, a)`` and ``into_b`` = ``c(c_k, b)``.
    """
    degree, first, second = _neighbours(n, ptr, idx, rptr, ridx)
    core = degree >= 3
    visited = core.copy()
    chain_of = np.full(n, -1, np.int64)
    chain_ptr = np.zeros(n + 1, np.int64)
    chain_node = np.empty(n, np.int64)
    chain_a = np.empty(n, np.int64)
    chain_b = np.empty(n, np.int64)
    forward = np.empty(n, np.float64)
    backward = np.empty(n, np.float64)
    into_a = np.empty(n, np.float64)
    into_b = np.empty(n, np.float64)
    chains = 0
    filled = 0
    for start in range(2 * n):
        a = start if start < n else start - n
        if start >= n:  # second pass: cycles and paths without a junction
            if visited[a]:
                continue
            core[a] = True
            visited[a] = True
        elif not core[a]:
            continue
        for rows, cols in ((ptr, idx), (rptr, ridx)):
            for e in range(rows[a], rows[a + 1]):
                cur = cols[e]
                if visited[cur]:
                    continue
                begin = filled
                prev = a
                end = -1
                while True:
                    visited[cur] = True
                    chain_of[cur] = chains
                    chain_node[filled] = cur
                    forward[filled] = _weight(ptr, idx, w, prev, cur)
                    filled += 1
                    nxt = second[cur] if first[cur] == prev else first[cur]
                    if nxt < 0 or core[nxt]:
                        end = nxt
                        break
                    prev, cur = cur, nxt
                for i in range(begin, filled):
                    succ = chain_node[i + 1] if i + 1 < filled else end
                    backward[i] = _weight(ptr, idx, w, succ, chain_node[i]) if succ >= 0 else INF
                chain_a[chains] = a
                chain_b[chains] = end
                into_a[chains] = _weight(ptr, idx, w, chain_node[begin], a)
                into_b[chains] = _weight(ptr, idx, w, cur, end) if end >= 0 else INF
                chains += 1
                chain_ptr[chains] = filled
    return (
        core,
        chain_of,
        chain_ptr[: chains + 1],
        chain_node[:filled],
        chain_a[:chains],
        chain_b[:chains],
        forward[:filled],
        backward[:filled],
        into_a[:chains],
        into_b[:chains],
    )


@nb.njit(cache=True)
def _core_graph(
    core: NDArray[np.bool_],
    ptr: IntArray,
    idx: IntArray,
    w: Array,
    chain_ptr: IntArray,
    chain_a: IntArray,
    chain_b: IntArray,
    forward: Array,
    backward: Array,
    into_a: Array,
    into_b: Array,
) -> tuple[IntArray, IntArray, IntArray, Array]:
    """The core nodes and the core graph in CSR form over their positions: every edge between
    two core nodes, and per chain ``a → b`` and ``b → a`` where passable (parallel edges stay;
    the search takes the smaller)."""
    n = len(core)
    core_node = np.flatnonzero(core)
    core_of = np.full(n, -1, np.int64)
    for k in range(len(core_node)):
        core_of[core_node[k]] = k
    chains = len(chain_a)
    to_b = np.empty(chains)
    to_a = np.empty(chains)
    for c in range(chains):
        to_b[c], to_a[c] = into_b[c], into_a[c]
        for i in range(chain_ptr[c], chain_ptr[c + 1]):
            to_b[c] += forward[i]
            to_a[c] += backward[i]
    passable_b = (chain_b >= 0) & (chain_b != chain_a) & np.isfinite(to_b)
    passable_a = (chain_b >= 0) & (chain_b != chain_a) & np.isfinite(to_a)
    core_ptr = np.zeros(len(core_node) + 1, np.int64)
    for k in range(len(core_node)):
        for e in range(ptr[core_node[k]], ptr[core_node[k] + 1]):
            if core[idx[e]]:
                core_ptr[k + 1] += 1
    for c in range(chains):
        if passable_b[c]:
            core_ptr[core_of[chain_a[c]] + 1] += 1
        if passable_a[c]:
            core_ptr[core_of[chain_b[c]] + 1] += 1
    for k in range(len(core_node)):
        core_ptr[k + 1] += core_ptr[k]
    fill = core_ptr[:-1].copy()
    core_idx = np.empty(core_ptr[-1], np.int64)
    core_w = np.empty(core_ptr[-1], np.float64)
    for k in range(len(core_node)):
        for e in range(ptr[core_node[k]], ptr[core_node[k] + 1]):
            if core[idx[e]]:
                core_idx[fill[k]], core_w[fill[k]] = core_of[idx[e]], w[e]
                fill[k] += 1
    for c in range(chains):
        for passable, tail, head, weight in (
            (passable_b[c], chain_a[c], chain_b[c], to_b[c]),
            (passable_a[c], chain_b[c], chain_a[c], to_a[c]),
        ):
            if passable:
                k = core_of[tail]
                core_idx[fill[k]], core_w[fill[k]] = core_of[head], weight
                fill[k] += 1
    return core_node.astype(np.int64), core_ptr, core_idx, core_w


@nb.njit(cache=True)
def _sweep(
    dist: Array,
    label: IntArray,
    nodes: IntArray,
    weights: Array,
    begin: int,
    end: int,
    step: int,
    start: float,
    start_label: int,
    write: bool,
) -> tuple[float, int]:
    """One pass along a chain in the order ``begin, begin + step, …`` (``end`` excluded):
    ``value = min(dist[v], value + weight)``, stored as ``dist[v]`` if ``write``; returns the
    value and its label after the last node."""
    value, which = start, start_label
    for i in range(begin, end, step):
        value += weights[i]
        v = nodes[i]
        if dist[v] <= value:
            value, which = dist[v], label[v]
        elif write:
            dist[v], label[v] = value, which
    return value, which


@nb.njit(cache=True)
def _nearest(
    n: int,
    core_node: IntArray,
    core_ptr: IntArray,
    core_idx: IntArray,
    core_w: Array,
    chain_of: IntArray,
    chain_ptr: IntArray,
    chain_node: IntArray,
    chain_a: IntArray,
    chain_b: IntArray,
    forward: Array,
    backward: Array,
    into_a: Array,
    into_b: Array,
    sources: IntArray,
    starts: Array,
    limit: float,
) -> tuple[Array, IntArray]:
    """Distances from the nearest source and its index (see the module docstring)."""
    dist = np.full(n, INF)
    label = np.full(n, -1, np.int64)
    for j in range(len(sources)):
        v = sources[j]
        if starts[j] < dist[v] and starts[j] <= limit:
            dist[v], label[v] = starts[j], j
    # 1. seeds on chains reach the chain ends (core nodes, so the chains' seeds stay intact)
    seeded = np.zeros(len(chain_a), np.bool_)
    for j in range(len(sources)):
        if chain_of[sources[j]] >= 0:
            seeded[chain_of[sources[j]]] = True
    for s in np.flatnonzero(seeded):
        lo, hi = chain_ptr[s], chain_ptr[s + 1]
        a, b = chain_a[s], chain_b[s]
        value, which = _sweep(dist, label, chain_node, forward, lo, hi, 1, INF, -1, False)
        if b >= 0 and value + into_b[s] < dist[b]:
            dist[b], label[b] = value + into_b[s], which
        value, which = _sweep(dist, label, chain_node, backward, hi - 1, lo - 1, -1, INF, -1, False)
        if value + into_a[s] < dist[a]:
            dist[a], label[a] = value + into_a[s], which
    # 2. Dijkstra on the core
    m = len(core_node)
    keys = np.empty(m, np.float64)
    items = np.empty(m, np.int64)
    pos = np.full(m, -1, np.int64)
    size = np.zeros(1, np.int64)
    for k in range(m):
        v = core_node[k]
        if dist[v] <= limit:
            heap_set(keys, items, pos, size, k, dist[v])
    while size[0] > 0:
        k, d = heap_pop(keys, items, pos, size)
        v = core_node[k]
        for e in range(core_ptr[k], core_ptr[k + 1]):
            t = core_idx[e]
            nd = d + core_w[e]
            u = core_node[t]
            if nd < dist[u] and nd <= limit:
                dist[u], label[u] = nd, label[v]
                heap_set(keys, items, pos, size, t, nd)
    # 3. expansion: forward from a, then backward from b
    for c in range(len(chain_a)):
        lo, hi = chain_ptr[c], chain_ptr[c + 1]
        a, b = chain_a[c], chain_b[c]
        _sweep(dist, label, chain_node, forward, lo, hi, 1, dist[a], label[a], True)
        start = dist[b] if b >= 0 else INF
        which = label[b] if b >= 0 else -1
        _sweep(dist, label, chain_node, backward, hi - 1, lo - 1, -1, start, which, True)
    for v in range(n):
        if dist[v] > limit:
            dist[v], label[v] = INF, -1
    return dist, label


@dataclass(frozen=True)
class Chains:
    """The core graph and chains of a directed graph (see the module docstring)."""

    n_nodes: int
    core_node: IntArray
    """The core nodes; the core graph ``core_ptr, core_idx, core_w`` (CSR) numbers them by
    their position here."""
    core_ptr: IntArray
    core_idx: IntArray
    core_w: Array
    chain_of: IntArray
    """Chain of every chain node (-1 for core nodes)."""
    chain_ptr: IntArray
    chain_node: IntArray
    chain_a: IntArray
    chain_b: IntArray
    forward: Array
    backward: Array
    into_a: Array
    into_b: Array

    @classmethod
    def build(cls, graph: sp.csr_matrix, transpose: sp.csr_matrix | None = None) -> Chains:
        """Contract the chains of ``graph`` (CSR, ``graph[u, v]`` = weight of ``u → v``;
        ``transpose`` its transpose in CSR form, if at hand)."""
        n = graph.shape[0]
        transpose = graph.T.tocsr() if transpose is None else transpose
        ptr, idx, w = graph.indptr, graph.indices, graph.data
        decomposed = _decompose(n, ptr, idx, w, transpose.indptr, transpose.indices)
        core, chain_of, chain_ptr, chain_node, chain_a, chain_b = decomposed[:6]
        forward, backward, into_a, into_b = decomposed[6:]
        core_node, core_ptr, core_idx, core_w = _core_graph(
            core, ptr, idx, w, chain_ptr, chain_a, chain_b, forward, backward, into_a, into_b
        )
        return cls(
            n,
            core_node,
            core_ptr,
            core_idx,
            core_w,
            chain_of,
            chain_ptr,
            chain_node,
            chain_a,
            chain_b,
            forward,
            backward,
            into_a,
            into_b,
        )

    @property
    def core_share(self) -> float:
        """Share of the nodes that are core nodes."""
        return len(self.core_node) / max(self.n_nodes, 1)

    def nearest(
        self, sources: IntArray, starts: Array, limit: float = np.inf
    ) -> tuple[Array, IntArray]:
        """``D(v) = min_j starts[j] + dist(sources[j], v)`` for every node and the ``j`` that
        attains it (``inf`` and -1 beyond ``limit``)."""
        return _nearest(
            self.n_nodes,
            self.core_node,
            self.core_ptr,
            self.core_idx,
            self.core_w,
            self.chain_of,
            self.chain_ptr,
            self.chain_node,
            self.chain_a,
            self.chain_b,
            self.forward,
            self.backward,
            self.into_a,
            self.into_b,
            np.asarray(sources, dtype=np.int64),
            np.asarray(starts, dtype=np.float64),
            float(limit),
        )
