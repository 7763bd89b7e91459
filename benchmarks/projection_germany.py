"""Benchmark: project all Germany (~10,800 municipalities × 101 ages × 2 sexes × 25 years).

Issue 4 targets: the vectorised :class:`~regiowerk.demography.CohortComponentModel` needs at
most 2 s and 2 GB and is at least 50 times faster than a straightforward loop over the
municipalities. The loop runs the same model (the same arithmetic) once per municipality; it is
timed on a subset and extrapolated linearly to all municipalities, which the output says.
Inputs are synthetic (national default rates, random age structures and migration levels).

    python benchmarks/projection_germany.py [--regions N] [--years T] [--loop-subset K]

Prints the wall time of the vectorised run twice: the first run of the process pays for
first-touch page faults of its output arrays (≈ 1 s on the project machine for ~0.5 GB); the
warm time compared with the loop is the best of ``--repeat`` further runs, and the loop time is
the best of ``--repeat`` runs over the subset (the minimum, as :mod:`timeit` recommends, because
other processes on a shared machine only ever add time; single runs scattered 15–75× here).
Also printed: peak traced memory (``tracemalloc``, numpy allocations included) of a run
including the model set-up, the peak resident memory of the process, the loop time and the
speed ratio (warm vectorised vs loop).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from regiowerk.demography.ccm import CohortComponentModel
from regiowerk.demography.rates import cohort_survival, national_defaults

TARGET_SECONDS = 2.0
TARGET_GIB = 2.0
TARGET_RATIO = 50.0


def synthetic_inputs(n: int, seed: int = 4) -> dict[str, np.ndarray]:
    """Random but plausible stocks and rates for ``n`` municipalities (sizes log-normal)."""
    rng = np.random.default_rng(seed)
    national = national_defaults()
    size = np.exp(rng.normal(7.5, 1.3, n))
    shape = np.exp(-np.arange(101) / 60.0)
    population = rng.gamma(20.0, 1 / 20.0, (n, 2, 101)) * shape
    population *= (size / population.sum(axis=(1, 2)))[:, None, None]
    level = np.exp(rng.normal(0, 0.3, n))[:, None, None]
    out_rate = np.clip(0.05 * level * np.exp(-((np.arange(101) - 24) ** 2) / 300.0) + 0.02, 0, 1)
    return {
        "population": population,
        "fertility": national.fertility * np.exp(rng.normal(0, 0.1, n))[:, None],
        "survival": np.broadcast_to(cohort_survival(national.qx), (n, 2, 101)),
        "out_migration": np.broadcast_to(out_rate, (n, 2, 101)),
        "in_migration": out_rate * population * np.exp(rng.normal(0, 0.2, n))[:, None, None],
    }


def _model(inputs: dict[str, np.ndarray], rows: slice) -> CohortComponentModel:
    regions = [f"{i:08d}" for i in range(rows.start or 0, rows.stop)]
    return CohortComponentModel(
        regions,
        2023,
        inputs["population"][rows],
        fertility=inputs["fertility"][rows],
        survival=inputs["survival"][rows],
        out_migration=inputs["out_migration"][rows],
        in_migration=inputs["in_migration"][rows],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=10_800)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--loop-subset", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inputs = synthetic_inputs(args.regions)

    model = _model(inputs, slice(0, args.regions))
    start = time.perf_counter()
    model.project(args.years)
    cold_seconds = time.perf_counter() - start
    vector_seconds = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = model.project(args.years)
        vector_seconds = min(vector_seconds, time.perf_counter() - start)
    tracemalloc.start()
    _model(inputs, slice(0, args.regions)).project(args.years)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_gib = peak / 2**30

    subset = min(args.loop_subset, args.regions)
    loop_subset_seconds = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        looped = [_model(inputs, slice(i, i + 1)).project(args.years) for i in range(subset)]
        loop_subset_seconds = min(loop_subset_seconds, time.perf_counter() - start)
    loop_seconds = loop_subset_seconds * args.regions / subset
    same = np.allclose(
        np.stack([r.totals()[:, 0] for r in looped], axis=1), result.totals()[:, :subset]
    )

    ratio = loop_seconds / vector_seconds
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"Regionen {args.regions}, Jahre {args.years}, Zellen je Jahr {args.regions * 202:,}")
    print(
        f"vektorisiert: {vector_seconds:.2f} s warm (bester von {args.repeat}), "
        f"{cold_seconds:.2f} s beim ersten Lauf "
        f"(Ziel ≤ {TARGET_SECONDS} s); Spitzenspeicher eines Laufs mit Modellaufbau "
        f"{peak_gib:.3f} GiB (tracemalloc; Ziel ≤ {TARGET_GIB} GiB)"
    )
    print(
        f"Schleife: {loop_subset_seconds:.2f} s für {subset} Gemeinden "
        f"(bester von {args.repeat}), hochgerechnet auf "
        f"{args.regions}: {loop_seconds:.1f} s; gleiche Ergebnisse: {same}"
    )
    print(
        f"Beschleunigung: {ratio:.0f}× (Ziel ≥ {TARGET_RATIO:.0f}×); Prozess-RSS max {rss:.2f} GiB"
    )


if __name__ == "__main__":
    main()
