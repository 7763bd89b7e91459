"""Contraction hierarchy and many-to-many travel-time tables by the bucket algorithm.

**Contraction** (Geisberger, Sanders, Schultes & Delling 2008, "Contraction Hierarchies: Faster
and Simpler Hierarchical Routing in Road Networks", WEA 2008, LNCS 5038, pp. 319–333): the
nodes are removed one at a time in the order of a priority. Removing ``v`` adds, for every pair
of remaining neighbours ``u → v → w`` (``u ≠ w``), a shortcut ``u → w`` of weight
``c(u, v) + c(v, w)`` unless a *witness* path ``u ⇝ w`` that avoids ``v`` and costs at most as
much exists. Witnesses are looked for by a local Dijkstra search from ``u`` that settles at most
:data:`WITNESS_SETTLED` nodes; a search cut short only adds a superfluous shortcut, never a
wrong distance. A shortcut parallel to an existing edge keeps the smaller weight. The priority,
recomputed when a node comes to the top of the queue (*lazy updates*: the node goes back
into the queue when its new priority exceeds the next one), is

    p(v) = 2 · (S(v) − E(v)) + D(v) + L(v)

with ``S`` the shortcuts that contracting ``v`` would add, ``E`` its remaining in- and
out-edges (the *edge difference* ``S − E``), ``D`` its neighbours contracted so far (spreads
the contraction evenly over the graph) and ``L`` the level, one more than the highest level of
a contracted neighbour (keeps the hierarchy shallow). When a neighbour is contracted, a node's
key only grows by the change of ``D + L``; its edge difference is recomputed lazily. On the
synthetic 100,000-node benchmark graph, recomputing every neighbour's edge difference at once
took 3× as long (18 s against 6 s, both with a witness bound of 60) for 30 % faster queries.
``rank[v]`` is the position of ``v`` in the contraction order.

**Queries.** Every edge ``u → w`` of the graph plus shortcuts is *upward* if
``rank[u] < rank[w]`` and *downward* otherwise. Every shortest path has a counterpart of equal
length that first only rises in rank, then only falls; with ``d↑(s, x)`` the distance of an
upward search from ``s`` and ``d↓(x, t)`` that of a search from ``t`` over reversed downward
edges,

    T(s, t) = min_x  d↑(s, x) + d↓(x, t).

**Many-to-many** (Knopp, Sanders, Schultes, Schulz & Wagner 2007, "Computing Many-to-Many
Shortest Paths Using Highway Hierarchies", ALENEX 2007, pp. 36–45): one backward search from
every destination ``t_j`` leaves the entry ``(j, d↓(x, t_j))`` in the *bucket* of every node
``x`` it settles; one forward search from every origin ``s_i`` then scans the buckets of the
nodes it settles,

    D[i, j] = min over settled x and entries (j, b) in bucket(x) of  d↑(s_i, x) + b.

Both searches use *stall-on-demand* (Geisberger et al. 2008, §4.1): a node ``x`` reached with
distance ``d`` is not expanded when a higher-ranked neighbour ``y`` already gives
``d(y) + c(y, x) < d``; ``d`` is then not a shortest distance, and the meeting node of a
shortest path is never such a node.

The search spaces of road networks are a few hundred nodes, so a table of ``|S| × |T|`` costs
about ``(|S| + |T|)`` small searches plus the bucket scans, instead of ``min(|S|, |T|)``
Dijkstra runs over the whole graph. The loops run compiled by Numba (``@njit``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from regiowerk.access.heap import heap_clear, heap_pop, heap_set
from regiowerk.access.network import Network, check_nodes

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
WITNESS_SETTLED = 500
"""Nodes a witness search may settle before it gives up (the shortcut is then added). Searches
also stop once every out-neighbour is settled, so the bound only matters in the dense core;
on the 100,000-node benchmark graph 25 gave twice as many shortcuts and 10× slower queries,
200 and 1,000 the same hierarchy as 500."""
INF = np.inf


@nb.njit(cache=True)
def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    """A copy of ``array`` with room for ``capacity`` entries (the tail uninitialised)."""
    grown = np.empty(capacity, array.dtype)
    grown[: len(array)] = array
    return grown


# --- contraction -------------------------------------------------------------------------------


@nb.njit(cache=True)
def _prune(
    x: int, first: IntArray, nxt: IntArray, other: IntArray, contracted: NDArray[np.bool_]
) -> None:
    """Unlink the edges of ``x``'s list whose other end (``other[e]``) is contracted."""
    previous = -1
    e = first[x]
    while e >= 0:
        following = nxt[e]
        if contracted[other[e]]:
            if previous < 0:
                first[x] = following
            else:
                nxt[previous] = following
        else:
            previous = e
        e = following


@nb.njit(cache=True)
def _shortcuts(
    v: int,
    out_first: IntArray,
    out_next: IntArray,
    in_first: IntArray,
    in_next: IntArray,
    e_tail: IntArray,
    e_head: IntArray,
    e_w: Array,
    contracted: NDArray[np.bool_],
    is_target: NDArray[np.bool_],
    dist: Array,
    touched: IntArray,
    keys: Array,
    items: IntArray,
    pos: IntArray,
    size: IntArray,
) -> tuple[IntArray, IntArray, Array, int]:
    """Shortcuts ``(tails, heads, weights)`` needed to contract ``v``, and its edge count."""
    _prune(v, in_first, in_next, e_tail, contracted)
    _prune(v, out_first, out_next, e_head, contracted)
    n_in = 0
    e = in_first[v]
    while e >= 0:
        n_in += 1
        e = in_next[e]
    n_out = 0
    e = out_first[v]
    while e >= 0:
        n_out += 1
        e = out_next[e]
    ins = np.empty(n_in, np.int64)
    in_w = np.empty(n_in)
    outs = np.empty(n_out, np.int64)
    out_w = np.empty(n_out)
    k = 0
    e = in_first[v]
    while e >= 0:
        ins[k], in_w[k] = e_tail[e], e_w[e]
        k += 1
        e = in_next[e]
    k = 0
    max_out = 0.0
    e = out_first[v]
    while e >= 0:
        outs[k], out_w[k] = e_head[e], e_w[e]
        is_target[e_head[e]] = True
        max_out = max(max_out, e_w[e])
        k += 1
        e = out_next[e]
    cap = max(1, n_in * n_out)
    s_tail = np.empty(cap, np.int64)
    s_head = np.empty(cap, np.int64)
    s_w = np.empty(cap)
    count = 0
    for a in range(n_in):
        u = ins[a]
        bound = in_w[a] + max_out
        # witness search from u avoiding v
        dist[u] = 0.0
        touched[0] = u
        n_touched = 1
        heap_set(keys, items, pos, size, u, 0.0)
        settled = 0
        remaining = n_out - 1 if is_target[u] else n_out
        while size[0] > 0 and remaining > 0:
            x, d = heap_pop(keys, items, pos, size)
            if d > bound or settled >= WITNESS_SETTLED:
                break
            settled += 1
            if is_target[x]:
                remaining -= 1
            _prune(x, out_first, out_next, e_head, contracted)
            f = out_first[x]
            while f >= 0:
                y = e_head[f]
                if y != v:
                    nd = d + e_w[f]
                    if nd < dist[y]:
                        if dist[y] == INF:
                            touched[n_touched] = y
                            n_touched += 1
                        dist[y] = nd
                        heap_set(keys, items, pos, size, y, nd)
                f = out_next[f]
        heap_clear(items, pos, size)
        for b in range(n_out):
            w = outs[b]
            if w == u:
                continue
            via = in_w[a] + out_w[b]
            if dist[w] > via:
                s_tail[count], s_head[count], s_w[count] = u, w, via
                count += 1
        for t in range(n_touched):
            dist[touched[t]] = INF
    for b in range(n_out):
        is_target[outs[b]] = False
    return s_tail[:count], s_head[:count], s_w[:count], n_in + n_out


@nb.njit(cache=True)
def _contract(
    n: int, tail: IntArray, head: IntArray, weight: Array
) -> tuple[IntArray, IntArray, IntArray, Array]:
    """Contract all nodes; returns ``rank`` and the edges (original and shortcuts)."""
    m = len(tail)
    cap = max(16, 2 * m)
    e_tail = np.empty(cap, np.int64)
    e_head = np.empty(cap, np.int64)
    e_w = np.empty(cap)
    out_next = np.empty(cap, np.int64)
    in_next = np.empty(cap, np.int64)
    out_first = np.full(n, -1, np.int64)
    in_first = np.full(n, -1, np.int64)
    for e in range(m):
        e_tail[e], e_head[e], e_w[e] = tail[e], head[e], weight[e]
        out_next[e] = out_first[tail[e]]
        out_first[tail[e]] = e
        in_next[e] = in_first[head[e]]
        in_first[head[e]] = e
    count = m

    contracted = np.zeros(n, np.bool_)
    deleted = np.zeros(n, np.int64)
    level = np.zeros(n, np.int64)
    rank = np.full(n, -1, np.int64)
    dist = np.full(n, INF)
    touched = np.empty(n, np.int64)
    w_keys = np.empty(n)
    w_items = np.empty(n, np.int64)
    w_pos = np.full(n, -1, np.int64)
    w_size = np.zeros(1, np.int64)
    q_keys = np.empty(n)
    q_items = np.empty(n, np.int64)
    q_pos = np.full(n, -1, np.int64)
    q_size = np.zeros(1, np.int64)
    neighbours = np.empty(n, np.int64)
    mark = np.zeros(n, np.bool_)
    is_target = np.zeros(n, np.bool_)

    for v in range(n):
        st, _, _, edges = _shortcuts(
            v, out_first, out_next, in_first, in_next, e_tail, e_head, e_w, contracted,
            is_target, dist, touched, w_keys, w_items, w_pos, w_size,
        )  # fmt: skip
        heap_set(q_keys, q_items, q_pos, q_size, v, float(2 * (len(st) - edges)))

    position = 0
    while q_size[0] > 0:
        v, _ = heap_pop(q_keys, q_items, q_pos, q_size)
        st, sh, sw, edges = _shortcuts(
            v, out_first, out_next, in_first, in_next, e_tail, e_head, e_w, contracted,
            is_target, dist, touched, w_keys, w_items, w_pos, w_size,
        )  # fmt: skip
        priority = float(2 * (len(st) - edges) + deleted[v] + level[v])
        if q_size[0] > 0 and priority > q_keys[0]:
            heap_set(q_keys, q_items, q_pos, q_size, v, priority)
            continue
        # add the shortcuts (or lower an existing parallel edge)
        for s in range(len(st)):
            u, w, c = st[s], sh[s], sw[s]
            found = -1
            f = out_first[u]
            while f >= 0:
                if e_head[f] == w:
                    found = f
                    break
                f = out_next[f]
            if found >= 0:
                e_w[found] = min(e_w[found], c)
                continue
            if count == cap:
                cap *= 2
                e_tail, e_head = _grown(e_tail, cap), _grown(e_head, cap)
                out_next, in_next = _grown(out_next, cap), _grown(in_next, cap)
                e_w = _grown(e_w, cap)
            e_tail[count], e_head[count], e_w[count] = u, w, c
            out_next[count] = out_first[u]
            out_first[u] = count
            in_next[count] = in_first[w]
            in_first[w] = count
            count += 1
        contracted[v] = True
        rank[v] = position
        position += 1
        # neighbours: update counters and priorities
        n_nb = 0
        f = out_first[v]
        while f >= 0:
            y = e_head[f]
            if not contracted[y] and not mark[y]:
                mark[y] = True
                neighbours[n_nb] = y
                n_nb += 1
            f = out_next[f]
        f = in_first[v]
        while f >= 0:
            y = e_tail[f]
            if not contracted[y] and not mark[y]:
                mark[y] = True
                neighbours[n_nb] = y
                n_nb += 1
            f = in_next[f]
        for i in range(n_nb):
            y = neighbours[i]
            mark[y] = False
            raised = max(0, level[v] + 1 - level[y])
            deleted[y] += 1
            level[y] += raised
            heap_set(q_keys, q_items, q_pos, q_size, y, q_keys[q_pos[y]] + 1.0 + raised)
    return rank, e_tail[:count].copy(), e_head[:count].copy(), e_w[:count].copy()


# --- queries -----------------------------------------------------------------------------------


@nb.njit(cache=True)
def _upward(
    source: int,
    start: float,
    limit: float,
    indptr: IntArray,
    head: IntArray,
    weight: Array,
    stall_indptr: IntArray,
    stall_head: IntArray,
    stall_weight: Array,
    dist: Array,
    touched: IntArray,
    keys: Array,
    items: IntArray,
    pos: IntArray,
    size: IntArray,
    found: IntArray,
    found_dist: Array,
) -> int:
    """Upward Dijkstra from ``source`` (distance ``start``) with stall-on-demand; writes the
    settled, unstalled nodes and their distances to ``found``/``found_dist``; returns their
    number. ``dist`` is reset before returning."""
    n_touched = 0
    n_found = 0
    if start > limit:
        return 0
    dist[source] = start
    touched[n_touched] = source
    n_touched += 1
    heap_set(keys, items, pos, size, source, start)
    while size[0] > 0:
        x, d = heap_pop(keys, items, pos, size)
        if d > limit:
            break
        stalled = False
        for k in range(stall_indptr[x], stall_indptr[x + 1]):
            if dist[stall_head[k]] + stall_weight[k] < d:
                stalled = True
                break
        if stalled:
            continue
        found[n_found] = x
        found_dist[n_found] = d
        n_found += 1
        for k in range(indptr[x], indptr[x + 1]):
            y = head[k]
            nd = d + weight[k]
            if nd < dist[y]:
                if dist[y] == INF:
                    touched[n_touched] = y
                    n_touched += 1
                dist[y] = nd
                heap_set(keys, items, pos, size, y, nd)
    heap_clear(items, pos, size)
    for t in range(n_touched):
        dist[touched[t]] = INF
    return n_found


@nb.njit(cache=True)
def _many_to_many(
    n: int,
    up_indptr: IntArray,
    up_head: IntArray,
    up_weight: Array,
    down_indptr: IntArray,
    down_head: IntArray,
    down_weight: Array,
    sources: IntArray,
    targets: IntArray,
    target_offsets: Array,
    limit: float,
) -> Array:
    dist = np.full(n, INF)
    touched = np.empty(n, np.int64)
    keys = np.empty(n)
    items = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    size = np.zeros(1, np.int64)
    found = np.empty(n, np.int64)
    found_dist = np.empty(n)
    # backward searches: bucket entries (node, target, distance)
    cap = max(16, 64 * len(targets))
    b_node = np.empty(cap, np.int64)
    b_target = np.empty(cap, np.int64)
    b_dist = np.empty(cap)
    count = 0
    for j in range(len(targets)):
        k = _upward(
            targets[j], target_offsets[j], limit, down_indptr, down_head, down_weight,
            up_indptr, up_head, up_weight, dist, touched, keys, items, pos, size,
            found, found_dist,
        )  # fmt: skip
        if count + k > cap:
            cap = max(2 * cap, count + k)
            b_node, b_target, b_dist = (
                _grown(b_node, cap),
                _grown(b_target, cap),
                _grown(b_dist, cap),
            )
        for i in range(k):
            b_node[count] = found[i]
            b_target[count] = j
            b_dist[count] = found_dist[i]
            count += 1
    # buckets as CSR by node
    bucket_ptr = np.zeros(n + 1, np.int64)
    for i in range(count):
        bucket_ptr[b_node[i] + 1] += 1
    for x in range(n):
        bucket_ptr[x + 1] += bucket_ptr[x]
    fill = bucket_ptr[:-1].copy()
    bucket_target = np.empty(count, np.int64)
    bucket_dist = np.empty(count)
    for i in range(count):
        slot = fill[b_node[i]]
        fill[b_node[i]] += 1
        bucket_target[slot] = b_target[i]
        bucket_dist[slot] = b_dist[i]
    # forward searches scan the buckets
    table = np.full((len(sources), len(targets)), INF)
    for i in range(len(sources)):
        k = _upward(
            sources[i], 0.0, limit, up_indptr, up_head, up_weight, down_indptr, down_head,
            down_weight, dist, touched, keys, items, pos, size, found, found_dist,
        )  # fmt: skip
        row = table[i]
        for a in range(k):
            x = found[a]
            d = found_dist[a]
            for b in range(bucket_ptr[x], bucket_ptr[x + 1]):
                total = d + bucket_dist[b]
                if total < row[bucket_target[b]]:
                    row[bucket_target[b]] = total
    for i in range(len(sources)):
        for j in range(len(targets)):
            if table[i, j] > limit:
                table[i, j] = INF
    return table


def _csr(
    n: int, rows: IntArray, cols: IntArray, weights: Array
) -> tuple[IntArray, IntArray, Array]:
    """CSR arrays ``(indptr, cols, weights)`` of the edges ``rows → cols``."""
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols[order].astype(np.int64), weights[order].astype(np.float64)


@dataclass(frozen=True)
class Hierarchy:
    """A contraction hierarchy of a :class:`Network` (see the module docstring).

    ``up_*``: CSR of upward edges ``u → w`` by ``u``; ``down_*``: CSR of downward edges
    ``u → w`` stored reversed, by ``w`` (a backward search from a destination climbs them).
    """

    n_nodes: int
    rank: IntArray
    up_indptr: IntArray
    up_head: IntArray
    up_weight: Array
    down_indptr: IntArray
    down_head: IntArray
    down_weight: Array
    shortcuts: int
    seconds: float
    """Wall time of the contraction."""

    @property
    def nbytes(self) -> int:
        """Memory held by the hierarchy's arrays."""
        arrays: list[np.ndarray] = [self.rank, self.up_indptr, self.up_head, self.up_weight]
        arrays += [self.down_indptr, self.down_head, self.down_weight]
        return sum(array.nbytes for array in arrays)

    @classmethod
    def build(cls, network: Network) -> Hierarchy:
        """Contract every node of ``network``."""
        start = time.perf_counter()
        n = network.n_nodes
        rank, tail, head, weight = _contract(
            n,
            np.ascontiguousarray(network.tail, dtype=np.int64),
            np.ascontiguousarray(network.head, dtype=np.int64),
            np.ascontiguousarray(network.seconds, dtype=np.float64),
        )
        up = rank[tail] < rank[head]
        up_indptr, up_head, up_weight = _csr(n, tail[up], head[up], weight[up])
        down_indptr, down_head, down_weight = _csr(n, head[~up], tail[~up], weight[~up])
        return cls(
            n_nodes=n,
            rank=rank,
            up_indptr=up_indptr,
            up_head=up_head,
            up_weight=up_weight,
            down_indptr=down_indptr,
            down_head=down_head,
            down_weight=down_weight,
            shortcuts=len(tail) - len(network.tail),
            seconds=time.perf_counter() - start,
        )

    def table(
        self,
        origins: IntArray,
        destinations: IntArray,
        offsets: Array | None = None,
        *,
        limit: float = np.inf,
    ) -> Array:
        """Travel times ``(origins, destinations)`` in seconds; ``offsets`` are egress times
        added at the destinations; ``inf`` where unreachable or beyond ``limit``."""
        origins = np.asarray(origins, dtype=np.int64)
        destinations = np.asarray(destinations, dtype=np.int64)
        check_nodes(origins, self.n_nodes, "Start")
        check_nodes(destinations, self.n_nodes, "Ziel")
        offsets = (
            np.zeros(len(destinations))
            if offsets is None
            else np.asarray(offsets, dtype=np.float64)
        )
        unique, inverse = np.unique(origins, return_inverse=True)
        table = _many_to_many(
            self.n_nodes,
            self.up_indptr,
            self.up_head,
            self.up_weight,
            self.down_indptr,
            self.down_head,
            self.down_weight,
            unique,
            destinations,
            offsets,
            float(limit),
        )
        return table[inverse]
