"""Yearly new-construction demand, decomposed exactly, per region and dwelling size class.

Method (the components of the German Wohnungsbedarfsprognosen, e.g. BBSR-Wohnungsmarktprognose
and IW Köln's Wohnungsbedarfsmodell): for region ``i``, size class ``c`` and year ``t`` after
the base year ``t₀``, with dwellings demanded by households ``D_t`` (occupancy step),
fluctuation reserve ``f``, replacement rate ``r``, usable share of surplus vacancy ``u``,
catch-up period ``n`` years and overcrowding share ``o``:

    R_t  = D_t · (1 + f)                                  required dwellings
    S_t₀ = observed stock (occupied and vacant)
    K    = max(R_t₀ − S_t₀, 0) + o · D_t₀                 catch-up (shortage in the base year:
                                                          doubled-up households, missing reserve,
                                                          overcrowding)
    V_t₀ = u · max(S_t₀ − R_t₀, 0)                        usable surplus vacancy (pool)

    additional_t   = R_t − R_{t−1}
    replacement_t  = r · S_{t−1}
    catch_up_t     = K / n   for t − t₀ ≤ n, else 0
    g_t            = additional_t + replacement_t + catch_up_t
    usable_vac_t   = min(max(g_t, 0), (1 − r) · V_{t−1})   (vacant dwellings age too)
    total_t        = g_t − usable_vac_t                   (negative: surplus, nothing to build)
    V_t            = (1 − r) · V_{t−1} − usable_vac_t + u · max(−g_t, 0)
    S_t            = (1 − r) · S_{t−1} + max(total_t, 0)  stock if the demand is built

so ``additional + replacement + catch_up − usable_vacancy = total`` holds exactly in every year
and region. Reported alongside: the existing stock without new construction
``S⁰_t = S_t₀ · (1 − r)^{t − t₀}`` and the gap ``R_t − S⁰_t`` (dwellings of the class missing if
nothing is built; negative: more than needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from regiowerk.housing.parameters import HousingParameters

Array = NDArray[np.float64]
COMPONENTS = ("additional", "replacement", "catch_up", "usable_vacancy", "total")


@dataclass(frozen=True)
class Demand:
    """Arrays ``(T + 1, R, 4)``; index 0 is the base year (flows zero)."""

    required: Array
    additional: Array
    replacement: Array
    catch_up: Array
    usable_vacancy: Array
    total: Array
    stock: Array
    """Existing stock without new construction (``S⁰``)."""
    gap: Array

    def new_construction(self) -> Array:
        """Dwellings to build, per year, region and class (positive totals)."""
        return np.clip(self.total, 0.0, None)


def decompose(dwellings: Array, stock: Array, parameters: HousingParameters) -> Demand:
    """Decompose demand for ``dwellings`` ``(T + 1, R, 4)`` given the base ``stock`` ``(R, 4)``.

    See the module docstring for the formulas.
    """
    f = parameters.fluctuation_reserve
    r = parameters.replacement_rate
    u = parameters.usable_vacancy_share
    n = parameters.catch_up_years
    required = dwellings * (1.0 + f)
    steps = dwellings.shape[0]
    backlog = np.clip(required[0] - stock, 0.0, None) + parameters.overcrowding_share * dwellings[0]
    pool = u * np.clip(stock - required[0], 0.0, None)
    built = stock.astype(float).copy()
    parts = {name: np.zeros(dwellings.shape) for name in COMPONENTS}
    for t in range(1, steps):
        additional = required[t] - required[t - 1]
        replacement = r * built
        catch_up = backlog / n if t <= n else np.zeros(stock.shape)
        gross = additional + replacement + catch_up
        used = np.minimum(np.clip(gross, 0.0, None), (1.0 - r) * pool)
        total = gross - used
        pool = (1.0 - r) * pool - used + u * np.clip(-gross, 0.0, None)
        built = (1.0 - r) * built + np.clip(total, 0.0, None)
        for name, value in zip(
            COMPONENTS, (additional, replacement, catch_up, used, total), strict=True
        ):
            parts[name][t] = value
    existing = stock[None] * (1.0 - r) ** np.arange(steps)[:, None, None]
    return Demand(required=required, stock=existing, gap=required - existing, **parts)
