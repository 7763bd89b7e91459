"""Travel-to-work areas (TTWA) by the Coombes–Bond algorithm.

Sources (method read from the publications and the package documentation; no code copied):

* M. Coombes and S. Bond (2008): *Travel-to-Work Areas: the 2007 review*. Office for
  National Statistics, London (the method of the ONS 2001/2011 TTWAs).
* L. Franconi, M. D'Alò and D. Ichim (2016): "Labour Market Areas for territorial policies:
  tools for a European approach", *Statistical Journal of the IAOS* 32(4), 585–591, and the
  documentation of Istat's R package ``LabourMarketAreas`` (``findClusters``,
  ``getLeastSelfContained``, ``FineTuning``), which implements the same algorithm.

Notation: ``T_ij`` persons living in area ``i`` and working in ``j``; for an area or cluster
``A``: residents ``R_A`` (employed residents, including those working outside the matrix),
jobs ``W_A``, internal flows ``I_A = Σ_{i,j∈A} T_ij``; supply-side self-containment
``I_A / R_A``, demand-side ``I_A / W_A``, and ``SC_A = min(I_A / R_A, I_A / W_A)``; size
``SZ_A = R_A``.

**Validity (the "X-function").** Four parameters: ``minSC ≤ tarSC`` and ``minSZ ≤ tarSZ``.
As in Coombes & Bond (2008) and ``getLeastSelfContained`` of LabourMarketAreas::

    Y = min(SC / tarSC, 1)
    s = max((tarSZ − SZ) / (tarSZ − minSZ), 0)
    Z = 1 − (1 − minSC / tarSC) · s
    X = Y · Z · tarSC / minSC                 (X = 1 when SC = 1)

Valid ⇔ ``X ≥ 1``. ``X`` is defined for every cluster; it ranks the invalid ones (the worst
is the one with the smallest X). At ``SZ ≥ tarSZ`` (``s = 0``) the cluster is valid from
``SC = minSC``; at ``SZ = minSZ`` (``s = 1``) only from ``SC = tarSC``; in between the
required SC is ``minSC / Z`` (a hyperbola, not a straight line); below ``minSZ`` ``s > 1`` and
``X < 1`` whatever the SC — except for a cluster without any commuting across its boundary
(``SC = 1``), which LabourMarketAreas declares valid (``X = 1``) whatever its size. With
``minSZ = tarSZ`` (no trade-off, the formula would divide by zero) this module takes ``s = 0``
from ``tarSZ`` and ``s = 1 + (tarSZ − SZ) / tarSZ`` below it.

**Algorithm** (zone-by-zone dissolution as in Coombes & Bond 2008 and ``findClusters``).

1. Every area with residents or jobs starts as its own cluster (areas with neither go to the
   reserve list at once).
2. Repeat: take the cluster with the smallest ``X`` (ties: the lower cluster number, i.e. the
   first area in key order). If it is valid, stop. Otherwise remove its *worst zone* — the
   only zone of a singleton; in a larger cluster, as in LabourMarketAreas (ordering of
   Coombes & Wymer 2014), the member with the largest
   ``in-commuters from outside the cluster + R_a − T_aa`` (ties: first in key order) — and
   assign that single zone to the other cluster ``C`` with the largest Smart/Coombes linkage::

       L(a, C) = T_aC² / (R_a · W_C) + T_Ca² / (R_C · W_a)

   (ties: the lower cluster number). As in LabourMarketAreas, the move is made only if it does
   not lower that cluster's ``X``; a zone without any link to another cluster, or whose move
   would lower the target's ``X``, goes to the **reserve list**. The statistics of the
   clusters concerned are updated incrementally from the sparse row and column of the zone,
   and their ``X`` re-queued in a heap (lazy invalidation). A singleton whose zone leaves
   disappears. As a safeguard against cycling, after ``50 · n`` steps a worst cluster that is
   still invalid is dissolved completely into the reserve list (not reached in random
   gravity examples, the benchmark or the Kreis data: at most about 1.5 · n steps).
3. Reserve areas are offered, in key order and repeatedly while anything changes, to the
   cluster with the largest linkage (then the next ones); they join only if that cluster stays
   valid, so that every final region is valid. Areas that cannot join remain unassigned
   (``region_id = "Reserve"``, reported). (As described, LabourMarketAreas regroups its
   reserve list without this check and then continues the loop.)
4. Optional **contiguity fine-tuning** with a neighbours list: members of a region that are
   not connected to its largest (by residents) connected part are moved, component by
   component, to the adjacent region with the largest linkage when both regions stay valid.

The result is deterministic (no random numbers; all ties broken by key order). Regions are
named after the member with the most jobs.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from regiowerk.errors import RegiowerkError

RESERVE = "Reserve"
"""``region_id`` of areas that could not be assigned to any valid region."""
_EPS = 1e-12


class TTWAError(RegiowerkError):
    """Bad parameters or flows for the travel-to-work-area algorithm."""


@dataclass(frozen=True)
class TTWAParams:
    """The four parameters of the validity function (sizes in employed residents)."""

    min_sc: float = 0.6667
    tar_sc: float = 0.75
    min_sz: float = 1_000.0
    tar_sz: float = 10_000.0

    def __post_init__(self) -> None:
        if not 0 < self.min_sc <= self.tar_sc <= 1:
            raise TTWAError(
                f"Eigenversorgung: 0 < minSC ≤ tarSC ≤ 1 verlangt (minSC = {self.min_sc}, "
                f"tarSC = {self.tar_sc})."
            )
        if not 0 < self.min_sz <= self.tar_sz:
            raise TTWAError(
                f"Größe: 0 < minSZ ≤ tarSZ verlangt (minSZ = {self.min_sz}, tarSZ = {self.tar_sz})."
            )

    def size_share(self, size: np.ndarray | float) -> np.ndarray:
        """``s`` of the module docstring (0 from ``tarSZ``, 1 at ``minSZ``, > 1 below)."""
        size = np.asarray(size, dtype=float)
        span = self.tar_sz - self.min_sz
        if span > 0:
            return np.maximum((self.tar_sz - size) / span, 0.0)
        return np.where(size >= self.tar_sz, 0.0, 1.0 + (self.tar_sz - size) / self.tar_sz)

    def validity(self, residents: np.ndarray, jobs: np.ndarray, internal: np.ndarray) -> np.ndarray:
        """``X`` of the module docstring for arrays of cluster statistics."""
        residents, jobs, internal = (
            np.asarray(v, dtype=float) for v in (residents, jobs, internal)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            supply = np.where(residents > 0, internal / residents, 0.0)
            demand = np.where(jobs > 0, internal / jobs, 0.0)
        sc = np.minimum(supply, demand)
        y = np.minimum(sc / self.tar_sc, 1.0)
        z = 1.0 - (1.0 - self.min_sc / self.tar_sc) * self.size_share(residents)
        return np.where(sc >= 1.0, 1.0, y * z * self.tar_sc / self.min_sc)

    def valid(self, residents: np.ndarray, jobs: np.ndarray, internal: np.ndarray) -> np.ndarray:
        """Whether ``X ≥ 1`` (with a tolerance of 1e-12 for rounding)."""
        return self.validity(residents, jobs, internal) >= 1.0 - _EPS


PRESETS: dict[str, TTWAParams] = {
    "default": TTWAParams(0.6667, 0.75, 1_000.0, 10_000.0),
    "ons": TTWAParams(0.6667, 0.75, 3_500.0, 25_000.0),
}
"""``default``: the defaults of the LabourMarketAreas documentation; ``ons``: the ONS 2011
TTWA parameters (Coombes & Bond 2008)."""


@dataclass
class TTWAResult:
    """Assignment of every area to a region (or the reserve) and the regions' statistics."""

    keys: tuple[str, ...]
    region_id: np.ndarray
    """Region per area (object array of ``str``; :data:`RESERVE` for unassigned areas)."""
    params: TTWAParams
    quality: pd.DataFrame
    """Per region: ``region_id, members, residents, jobs, internal, sc_supply, sc_demand,
    validity, meets``; the reserve as its own row with ``meets = False``."""
    dissolutions: int = 0
    """Dissolution steps (a zone removed from the worst cluster)."""
    reserve: list[str] = field(default_factory=list)
    moved_for_contiguity: int = 0

    def assignment(self) -> pd.DataFrame:
        """``region, region_id`` per area."""
        return pd.DataFrame({"region": list(self.keys), "region_id": self.region_id})


class _Clusters:
    """Mutable cluster state with incremental statistics (cluster id = id of its first area)."""

    def __init__(self, matrix: sparse.csr_matrix, residents: np.ndarray, jobs: np.ndarray):
        self.rows = matrix.tocsr()
        self.cols = matrix.tocsc()
        self.diag = self.rows.diagonal()
        self.area_r = residents.astype(float)
        self.area_w = jobs.astype(float)
        n = matrix.shape[0]
        self.label = np.arange(n)
        self.r = self.area_r.copy()
        self.w = self.area_w.copy()
        self.i = self.diag.astype(float).copy()
        self.members: dict[int, list[int]] = {c: [c] for c in range(n)}
        self.alive = np.ones(n, dtype=bool)

    def links(self, area: int, exclude: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Clusters linked with ``area`` (excluding its own label and ``exclude``) and the
        flows ``T_aC`` and ``T_Ca``, ordered by cluster id."""
        rs, re_ = self.rows.indptr[area], self.rows.indptr[area + 1]
        cs, ce = self.cols.indptr[area], self.cols.indptr[area + 1]
        out_lab = self.label[self.rows.indices[rs:re_]]
        in_lab = self.label[self.cols.indices[cs:ce]]
        own = self.label[area]
        labels = np.concatenate([out_lab, in_lab])
        values = np.concatenate([self.rows.data[rs:re_], self.cols.data[cs:ce]])
        is_out = np.concatenate([np.ones(len(out_lab), bool), np.zeros(len(in_lab), bool)])
        keep = (labels >= 0) & (labels != own) & (labels != exclude)
        labels, values, is_out = labels[keep], values[keep], is_out[keep]
        clusters, inverse = np.unique(labels, return_inverse=True)
        out_flow = np.bincount(inverse, weights=values * is_out, minlength=len(clusters))
        in_flow = np.bincount(inverse, weights=values * ~is_out, minlength=len(clusters))
        return clusters, out_flow, in_flow

    def linkage(
        self, area: int, clusters: np.ndarray, out_flow: np.ndarray, in_flow: np.ndarray
    ) -> np.ndarray:
        r_a, w_a = self.area_r[area], self.area_w[area]
        r_c, w_c = self.r[clusters], self.w[clusters]
        with np.errstate(divide="ignore", invalid="ignore"):
            first = np.where((r_a > 0) & (w_c > 0), out_flow**2 / (r_a * w_c), 0.0)
            second = np.where((r_c > 0) & (w_a > 0), in_flow**2 / (r_c * w_a), 0.0)
        return first + second

    def flows_with(self, area: int, cluster: int) -> float:
        """``T_aC + T_Ca`` for the current members of ``cluster`` (``a`` not among them)."""
        rs, re_ = self.rows.indptr[area], self.rows.indptr[area + 1]
        cs, ce = self.cols.indptr[area], self.cols.indptr[area + 1]
        out_mask = self.label[self.rows.indices[rs:re_]] == cluster
        in_mask = self.label[self.cols.indices[cs:ce]] == cluster
        return float(self.rows.data[rs:re_][out_mask].sum() + self.cols.data[cs:ce][in_mask].sum())

    def add(self, area: int, cluster: int) -> None:
        self.i[cluster] += self.diag[area] + self.flows_with(area, cluster)
        self.r[cluster] += self.area_r[area]
        self.w[cluster] += self.area_w[area]
        self.label[area] = cluster
        self.members[cluster].append(area)

    def take(self, area: int) -> int:
        """Remove ``area`` from its cluster (statistics updated); returns the cluster, which
        disappears when ``area`` was its last member."""
        cluster = int(self.label[area])
        self.label[area] = -1
        self.i[cluster] -= self.diag[area] + self.flows_with(area, cluster)
        self.r[cluster] -= self.area_r[area]
        self.w[cluster] -= self.area_w[area]
        members = self.members[cluster]
        members.remove(area)
        if not members:
            del self.members[cluster]
            self.alive[cluster] = False
            self.r[cluster] = self.w[cluster] = self.i[cluster] = 0.0
        return cluster

    def worst_zone(self, cluster: int) -> int:
        """The member to remove first: the largest ``in-commuters from outside the cluster +
        R_a − T_aa`` (ties: first in key order)."""
        members = np.array(sorted(self.members[cluster]), dtype=np.int64)
        if len(members) == 1:
            return int(members[0])
        starts, ends = self.cols.indptr[members], self.cols.indptr[members + 1]
        lengths = ends - starts
        owner = np.repeat(np.arange(len(members)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        cells = np.repeat(starts, lengths) + offsets
        outside = self.label[self.cols.indices[cells]] != cluster
        inflow = np.bincount(owner, weights=self.cols.data[cells] * outside, minlength=len(members))
        measure = inflow + self.area_r[members] - self.diag[members]
        return int(members[int(np.argmax(measure))])

    def remove_cluster(self, cluster: int) -> list[int]:
        members = self.members.pop(cluster)
        self.alive[cluster] = False
        self.label[members] = -1
        self.r[cluster] = self.w[cluster] = self.i[cluster] = 0.0
        return members


def ttwa(
    matrix: sparse.spmatrix | np.ndarray,
    keys: Sequence[str],
    params: TTWAParams | None = None,
    *,
    residents: np.ndarray | None = None,
    jobs: np.ndarray | None = None,
    neighbours: Sequence[tuple[str, str]] | None = None,
) -> TTWAResult:
    """Travel-to-work areas of the areas ``keys`` (see the module docstring).

    ``matrix[i, j]`` = persons living in ``keys[i]`` and working in ``keys[j]`` (dense or
    sparse, non-negative). ``residents`` and ``jobs`` default to the row and column sums; pass
    them when people also commute to places outside the matrix. ``neighbours`` (pairs of keys)
    switches on the contiguity fine-tuning.
    """
    params = params or PRESETS["default"]
    flows = sparse.csr_matrix(matrix, dtype=float)
    flows.sum_duplicates()
    flows.eliminate_zeros()
    n = len(keys)
    if flows.shape != (n, n):
        raise TTWAError(f"Matrix {flows.shape} passt nicht zu {n} Gebieten.")
    if flows.nnz and flows.data.min() < 0:
        raise TTWAError("Negative Pendlerzahlen in der Matrix.")
    res = np.asarray(flows.sum(axis=1)).ravel() if residents is None else np.asarray(residents)
    job = np.asarray(flows.sum(axis=0)).ravel() if jobs is None else np.asarray(jobs)
    state = _Clusters(flows, res.astype(float), job.astype(float))
    reserve: list[int] = []
    empty = np.nonzero((state.area_r <= 0) & (state.area_w <= 0))[0]
    for lonely in empty.tolist():
        state.remove_cluster(lonely)
        reserve.append(lonely)
    version = np.zeros(n, dtype=np.int64)
    x = params.validity(state.r, state.w, state.i)
    heap = [(float(x[c]), c, 0) for c in range(n) if state.alive[c]]
    heapq.heapify(heap)

    def requeue(cluster: int) -> None:
        version[cluster] += 1
        if state.alive[cluster]:
            score = float(params.validity(state.r[cluster], state.w[cluster], state.i[cluster]))
            heapq.heappush(heap, (score, cluster, int(version[cluster])))

    steps = 0
    limit = 50 * n
    while heap:
        value, cluster, ver = heapq.heappop(heap)
        if not state.alive[cluster] or ver != version[cluster]:
            continue
        if value >= 1.0 - _EPS:
            break
        steps += 1
        if steps > limit:  # safeguard against cycling (see the module docstring)
            reserve.extend(state.remove_cluster(cluster))
            version[cluster] += 1
            continue
        area = state.worst_zone(cluster)
        state.take(area)
        requeue(cluster)
        clusters, out_flow, in_flow = state.links(area, exclude=cluster)
        target = -1
        if len(clusters):
            link = state.linkage(area, clusters, out_flow, in_flow)
            best = int(np.argmax(link))  # first maximum = lowest cluster id
            if link[best] > 0:
                target = int(clusters[best])
                r_t, w_t, i_t = state.r[target], state.w[target], state.i[target]
                before = params.validity(r_t, w_t, i_t)
                after = params.validity(
                    r_t + state.area_r[area],
                    w_t + state.area_w[area],
                    i_t + state.diag[area] + out_flow[best] + in_flow[best],
                )
                if after < before - _EPS:  # the move would lower the target's validity
                    target = -1
        if target < 0:
            reserve.append(area)
            continue
        state.add(area, target)
        requeue(target)
    reserve = _place_reserve(state, sorted(reserve), params)
    moved = 0
    if neighbours:
        moved = _contiguity(state, list(keys), neighbours, params)
    return _result(state, list(keys), params, reserve, steps, moved)


def _place_reserve(state: _Clusters, reserve: list[int], params: TTWAParams) -> list[int]:
    """Offer reserve areas to their best-linked cluster; keep them only where it stays valid."""
    changed = True
    while changed and reserve:
        changed = False
        left = []
        for area in reserve:
            clusters, out_flow, in_flow = state.links(area)
            placed = False
            if len(clusters):
                link = state.linkage(area, clusters, out_flow, in_flow)
                for pos in np.argsort(-link, kind="stable"):
                    if link[pos] <= 0:
                        break
                    target = int(clusters[pos])
                    internal = state.i[target] + state.diag[area] + out_flow[pos] + in_flow[pos]
                    ok = params.valid(
                        state.r[target] + state.area_r[area],
                        state.w[target] + state.area_w[area],
                        internal,
                    )
                    if bool(ok):
                        state.add(area, target)
                        placed = changed = True
                        break
            if not placed:
                left.append(area)
        reserve = left
    return reserve


def _contiguity(
    state: _Clusters, keys: list[str], neighbours: Sequence[tuple[str, str]], params: TTWAParams
) -> int:
    """Move parts of regions that are cut off from the region's main part (see step 4)."""
    index = {k: i for i, k in enumerate(keys)}
    pairs = np.array(
        [(index[a], index[b]) for a, b in neighbours if a in index and b in index and a != b],
        dtype=np.int64,
    ).reshape(-1, 2)
    if not len(pairs):
        return 0
    n = len(keys)
    adjacency = sparse.coo_matrix(
        (
            np.ones(2 * len(pairs)),
            (np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]),
        ),
        shape=(n, n),
    ).tocsr()
    moved = 0
    for _ in range(3):  # a few passes; each move can open another
        label = state.label
        coo = adjacency.tocoo()
        same = (label[coo.row] == label[coo.col]) & (label[coo.row] >= 0)
        inner = sparse.csr_matrix((coo.data[same], (coo.row[same], coo.col[same])), shape=(n, n))
        _, component = connected_components(inner, directed=False)
        progress = False
        for cluster in sorted(c for c in state.members if state.alive[c]):
            members = np.array(sorted(state.members[cluster]))
            parts = component[members]
            if len(np.unique(parts)) < 2:
                continue
            weight = pd.Series(state.area_r[members]).groupby(parts).sum()
            main = int(weight.index[int(np.argmax(weight.to_numpy()))])
            for part in sorted(set(parts.tolist()) - {main}):
                block = members[parts == part]
                if _move_block(state, block, cluster, adjacency, params):
                    moved += len(block)
                    progress = True
        if not progress:
            break
    return moved


def _move_block(
    state: _Clusters,
    block: np.ndarray,
    source: int,
    adjacency: sparse.csr_matrix,
    params: TTWAParams,
) -> bool:
    """Move ``block`` from ``source`` to the adjacent region with the largest linkage when both
    stay valid."""
    neighbour_areas = np.unique(adjacency[block].indices)
    candidates = sorted({int(c) for c in state.label[neighbour_areas] if c >= 0 and c != source})
    if not candidates:
        return False
    rows = state.rows[block]
    cols = state.cols[:, block]
    out_lab = state.label[rows.indices]
    in_lab = state.label[cols.tocoo().row]
    block_r, block_w = state.area_r[block].sum(), state.area_w[block].sum()
    internal_block = float(state.rows[block][:, block].sum())
    out_by = pd.Series(rows.data).groupby(out_lab).sum()
    in_by = pd.Series(cols.tocoo().data).groupby(in_lab).sum()
    src_r, src_w = state.r[source] - block_r, state.w[source] - block_w
    src_i = (
        state.i[source]
        - float(out_by.get(source, 0.0))
        - float(in_by.get(source, 0.0))
        + internal_block
    )
    if not bool(params.valid(src_r, src_w, src_i)):
        return False
    scores = []
    for target in candidates:
        t_out, t_in = float(out_by.get(target, 0.0)), float(in_by.get(target, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            link = (
                t_out**2 / (block_r * state.w[target]) if block_r and state.w[target] else 0.0
            ) + (t_in**2 / (state.r[target] * block_w) if block_w and state.r[target] else 0.0)
        scores.append((-link, target, t_out, t_in))
    for neg_link, target, t_out, t_in in sorted(scores):
        if neg_link >= 0:
            break
        new_i = state.i[target] + internal_block + t_out + t_in
        if bool(params.valid(state.r[target] + block_r, state.w[target] + block_w, new_i)):
            state.r[source], state.w[source], state.i[source] = src_r, src_w, src_i
            state.r[target] += block_r
            state.w[target] += block_w
            state.i[target] = new_i
            moving = set(block.tolist())
            state.members[source] = [m for m in state.members[source] if m not in moving]
            state.members[target].extend(sorted(moving))
            state.label[block] = target
            return True
    return False


def _result(
    state: _Clusters,
    keys: list[str],
    params: TTWAParams,
    reserve: list[int],
    dissolutions: int,
    moved: int,
) -> TTWAResult:
    alive = sorted(c for c in state.members if state.alive[c])
    names: dict[int, str] = {}
    for cluster in alive:
        members = sorted(state.members[cluster])
        focus = members[int(np.argmax(state.area_w[members]))]
        names[cluster] = keys[focus]
    region = np.array(
        [names.get(int(c), RESERVE) if c >= 0 else RESERVE for c in state.label], dtype=object
    )
    r, w, i = state.r[alive], state.w[alive], state.i[alive]
    ids = [names[c] for c in alive]
    members = [len(state.members[c]) for c in alive]
    if reserve:
        ids.append(RESERVE)
        members.append(len(reserve))
        r = np.append(r, state.area_r[reserve].sum())
        w = np.append(w, state.area_w[reserve].sum())
        i = np.append(i, state.diag[reserve].sum())
    is_region = np.array([rid != RESERVE for rid in ids], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        quality = pd.DataFrame(
            {
                "region_id": pd.Series(ids, dtype=object),
                "members": np.array(members, dtype=np.int64),
                "residents": r,
                "jobs": w,
                "internal": i,
                "sc_supply": np.where(is_region & (r > 0), i / r, np.nan),
                "sc_demand": np.where(is_region & (w > 0), i / w, np.nan),
                "validity": np.where(is_region, params.validity(r, w, i), np.nan),
                "meets": is_region & params.valid(r, w, i),
            }
        )
    quality = quality.sort_values("residents", ascending=False, kind="stable").reset_index(
        drop=True
    )
    return TTWAResult(
        keys=tuple(keys),
        region_id=region,
        params=params,
        quality=quality,
        dissolutions=dissolutions,
        reserve=[keys[a] for a in reserve],
        moved_for_contiguity=moved,
    )
