"""Benchmark: travel-to-work areas on a synthetic 11,000-municipality commuter matrix.

Issue 7 target: :func:`regiowerk.flows.ttwa.ttwa` on a flow matrix of Germany's size (about
11,000 municipalities) with realistic sparsity in at most 60 s; time and peak memory printed.

    python benchmarks/ttwa_synthetic.py [--areas N] [--seed S] [--preset default|ons]

Synthetic matrix (fixed seed): municipalities at random points in a 640 × 860 km rectangle
(about Germany's extent), employed residents lognormal (median 900, σ = 1.2, so a few large
towns), 2 % of them centres with 3–6× the jobs per resident. Each municipality keeps a share
of its residents (20–45 %, 60–80 % in centres) and sends the rest to its 20 nearest
municipalities and its 4 nearest centres, in proportion to ``jobs_j · exp(−d_ij / 12 km)``
(gravity with distance decay); cells below 0.5 persons are dropped, so each origin has about
10–25 non-zero destinations (printed). Peak memory is the process's maximum resident set size
(``ru_maxrss``) and the peak of Python allocations during the run (tracemalloc, run
separately so that its overhead does not distort the timing).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from regiowerk.flows.leiden import modularity
from regiowerk.flows.ttwa import PRESETS, RESERVE, ttwa


def synthetic(areas: int, seed: int) -> tuple[sparse.csr_matrix, list[str]]:
    """The synthetic commuter matrix described in the module docstring."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform((0, 0), (640_000, 860_000), size=(areas, 2))
    residents = np.round(rng.lognormal(np.log(900), 1.2, areas)) + 20
    centre = rng.random(areas) < 0.02
    jobs_weight = residents * np.where(
        centre, rng.uniform(3, 6, areas), rng.uniform(0.3, 1.0, areas)
    )
    keep = np.where(centre, rng.uniform(0.6, 0.8, areas), rng.uniform(0.2, 0.45, areas))
    tree = cKDTree(xy)
    dist, near = tree.query(xy, k=21)
    dist, near = dist[:, 1:], near[:, 1:]
    centres = np.nonzero(centre)[0]
    c_dist, c_pos = cKDTree(xy[centres]).query(xy, k=4)
    c_near = centres[c_pos]
    dest = np.concatenate([near, c_near], axis=1)
    d = np.concatenate([dist, c_dist], axis=1)
    weight = jobs_weight[dest] * np.exp(-d / 12_000.0)
    weight[dest == np.arange(areas)[:, None]] = 0.0
    weight /= weight.sum(axis=1, keepdims=True)
    out = (residents * (1 - keep))[:, None] * weight
    rows = np.repeat(np.arange(areas), dest.shape[1])
    matrix = sparse.csr_matrix((out.ravel(), (rows, dest.ravel())), shape=(areas, areas))
    matrix = matrix + sparse.diags(residents * keep)
    matrix.data[matrix.data < 0.5] = 0.0
    matrix.eliminate_zeros()
    keys = [f"{i:08d}" for i in range(areas)]
    return matrix.tocsr(), keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=11_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    args = parser.parse_args()
    started = time.perf_counter()
    matrix, keys = synthetic(args.areas, args.seed)
    built = time.perf_counter() - started
    per_row = np.diff(matrix.indptr) - (matrix.diagonal() > 0)
    print(
        f"matrix: {args.areas} areas, {matrix.nnz} non-zero cells, "
        f"{matrix.sum():,.0f} employed; destinations per origin (without itself): median "
        f"{np.median(per_row):.0f}, 10–90 % {np.percentile(per_row, 10):.0f}–"
        f"{np.percentile(per_row, 90):.0f}; built in {built:.1f} s"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = ttwa(matrix, keys, PRESETS[args.preset])
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    ttwa(matrix, keys, PRESETS[args.preset])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    quality = result.quality
    regions = quality[quality["region_id"] != RESERVE]
    labels = np.unique(result.region_id, return_inverse=True)[1]
    labels[result.region_id == RESERVE] = -1
    print(
        f"ttwa ({args.preset}): {elapsed:.1f} s (target ≤ 60 s), {result.dissolutions} "
        f"dissolutions, {len(regions)} regions, {int(regions['meets'].sum())} meet both "
        f"thresholds, {len(result.reserve)} areas in the reserve"
    )
    print(
        f"members per region: median {regions['members'].median():.0f}, max "
        f"{regions['members'].max()}; modularity {modularity(matrix, labels):.3f}"
    )
    print(
        f"memory: peak RSS {after / 1024:.0f} MB (before the run {before / 1024:.0f} MB); "
        f"peak Python allocations during ttwa {peak / 2**20:.0f} MB"
    )


if __name__ == "__main__":
    main()
