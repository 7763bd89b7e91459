"""Which dwellings households occupy: size and age of the reference person → room class.

Method. A prior occupancy ``π⁰(c | k, b)`` (room class ``c`` = 1–2, 3, 4, 5+ rooms incl.
kitchen, household size ``k``, age band ``b`` of the reference person) is built from the size
rows of ``defaults.toml`` tilted by age,

    π⁰(c | k, b) ∝ π⁰(c | k) · exp(τ_b · (c − 1.5)),

and fitted per region to the base year by iterative proportional fitting (IPF; Deming &
Stephan 1940, the RAS method of input-output analysis): the matrix
``M_{(k,b),c} = H_{k,b} · π(c | k, b)`` is scaled alternately so that its columns match the
occupied dwellings by room class (scaled to the number of households, so that doubled-up
households are spread like the stock) and its rows match the households ``H_{k,b}``. The fitted
``π_i(c | k, b) = M_{(k,b),c} / H_{k,b}`` is held constant; dwellings demanded in year ``t`` are

    D_{t,i,c} = Σ_{k,b} H_{t,i,k,b} · π_i(c | k, b).

Regions without occupied-dwelling data keep the prior. This reproduces the base-year stock by
room class exactly and moves demand towards small dwellings only as far as households become
smaller and older; a normative view ("every single person in a 1–2-room dwelling") is not taken.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from regiowerk.housing.parameters import HousingDefaults

Array = NDArray[np.float64]
TOLERANCE = 1e-10
MAX_ITERATIONS = 500
SEED_FLOOR = 1e-6
"""Smallest prior probability: every household cell may live in every room class."""


def prior(defaults: HousingDefaults) -> Array:
    """``π⁰(c | k, b)`` as array ``(5, bands, 4)``."""
    classes = np.arange(defaults.occupancy.shape[1]) - 1.5
    tilted = defaults.occupancy[:, None, :] * np.exp(defaults.age_tilt[None, :, None] * classes)
    return tilted / tilted.sum(axis=-1, keepdims=True)


def fit(households: Array, occupied: Array, seed: Array) -> tuple[Array, int]:
    """IPF per region: ``households (R, 5, bands)``, ``occupied (R, 4)`` (NaN: keep the seed).

    Returns ``π (R, 5, bands, 4)`` and the number of iterations used (``MAX_ITERATIONS``:
    not converged). Seeds are floored at :data:`SEED_FLOOR` so that every class can be filled;
    regions without households or without occupied dwellings keep the seed.
    """
    n = households.shape[0]
    floored = np.maximum(seed, SEED_FLOOR)  # a zero seed could never fill its class
    floored /= floored.sum(axis=-1, keepdims=True)
    pi = np.broadcast_to(floored, (n, *seed.shape)).copy()
    rows = households
    total = rows.sum(axis=(1, 2))
    usable = np.isfinite(occupied).all(axis=1) & (np.nan_to_num(occupied).sum(axis=1) > 0)
    usable &= total > 0
    if not usable.any():
        return pi, 0
    target = np.zeros(occupied.shape)
    target[usable] = (
        occupied[usable] / occupied[usable].sum(axis=1, keepdims=True) * total[usable, None]
    )
    matrix = rows[usable, :, :, None] * pi[usable]
    goal = target[usable]
    iterations = 0
    while iterations < MAX_ITERATIONS:
        iterations += 1
        columns = matrix.sum(axis=(1, 2))
        matrix *= np.divide(goal, columns, out=np.zeros(goal.shape), where=columns > 0)[
            :, None, None, :
        ]
        sums = matrix.sum(axis=-1)
        want = rows[usable]
        matrix *= np.divide(want, sums, out=np.zeros(want.shape), where=sums > 0)[..., None]
        if np.abs(matrix.sum(axis=(1, 2)) - goal).max() <= TOLERANCE * max(goal.max(), 1.0):
            break
    sums = matrix.sum(axis=-1, keepdims=True)
    fitted = np.divide(matrix, sums, out=np.zeros(matrix.shape), where=sums > 0)
    empty = (sums[..., 0] <= 0)[..., None]
    pi[usable] = np.where(empty, pi[usable], fitted)
    return pi, iterations


def demand(households: Array, pi: Array) -> Array:
    """Dwellings demanded by class ``(T, R, 4)`` from households ``(T, R, 5, bands)``."""
    return np.einsum("trkb,rkbc->trc", households, pi)
