"""Households by size and dwellings by rooms in the base year.

Method
------
* **Households**: size shares ``s_k`` (k = 1 … 5+) of Dithmarschen (Zensus 2011) tilted by
  centrality, ``s_k ∝ s_k^D · exp(θ_i (k − 1))`` with ``θ`` = −0.12 in the Mittelzentrum and
  the towns (more one-person households), 0 in Grundzentren, +0.10 in villages, plus
  ``N(0, 0.03)``; the tilts roughly cancel over the region, whose mix of towns and villages
  resembles the calibration Kreis. Persons in private households are ``P_i · (1 − 0.012)``
  (1.2 % assumed to live in institutions such as care homes); households
  ``H_i = round(P_priv / Σ_k k̄_k s_k)`` with ``k̄ = (1, 2, 3, 4, 5.4)`` (assumed mean size of
  5+ households); split by largest remainder. Hence ``Σ_k k·H_k ≤ P_i`` (with 5 for 5+).
* **Dwellings**: room shares ``r_k`` (k = 1 … 7+) of Dithmarschen (Zensus 2011 GWZ) tilted by
  ``r_k ∝ r_k^D · exp(η_i (k − 4))``, ``η`` = −0.12 in the towns (more small dwellings), +0.02
  in Grundzentren, +0.12 in villages, plus ``N(0, 0.03)``. Total ``D_i = H_i + V_i`` with vacancy
  ``V_i = round(v_i H_i)``, ``v_i = clip(0.045 − 0.6 g_i + N(0, 0.005), 0.03, 0.08)`` where
  ``g_i`` is the population change 2019–2023 (shrinking places have more vacancy). Vacant
  dwellings are spread over the room classes in proportion to the stock (largest remainder);
  occupied = dwellings − vacant, so the occupied dwellings equal the households.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from regiowerk.demo.rounding import largest_remainder

HOUSEHOLD_TILT = {"centre": -0.12, "town": -0.12, "grund": 0.0, "village": 0.10}
ROOM_TILT = {"centre": -0.12, "town": -0.12, "grund": 0.02, "village": 0.12}
MEAN_SIZE = np.array([1.0, 2.0, 3.0, 4.0, 5.4])
INSTITUTIONAL_SHARE = 0.012


@dataclass(frozen=True)
class Housing:
    """``households`` and ``dwellings`` tables of the base year."""

    households: pd.DataFrame
    dwellings: pd.DataFrame


def build_housing(
    rng: np.random.Generator,
    places: pd.DataFrame,
    population: pd.DataFrame,
    cal: dict[str, Any],
    base_year: int,
    first_year: int,
) -> Housing:
    """Households and dwellings per municipality (see the module docstring)."""
    totals = population.groupby(["ags", "year"])["persons"].sum().unstack("year")
    persons = totals.loc[places["ags"], base_year].to_numpy()
    change = persons / totals.loc[places["ags"], first_year].to_numpy() - 1.0
    roles = places["role"].to_numpy()
    size_shares = np.asarray(cal["households"]["shares"], dtype=float)
    room_shares = np.asarray(cal["dwellings"]["room_shares"], dtype=float)

    household_rows = []
    dwelling_rows = []
    for i, ags in enumerate(places["ags"]):
        theta = HOUSEHOLD_TILT[roles[i]] + rng.normal(0, 0.03)
        shares = size_shares * np.exp(theta * np.arange(5))
        shares /= shares.sum()
        private = persons[i] * (1 - INSTITUTIONAL_SHARE)
        total = round(private / float(MEAN_SIZE @ shares))
        households = largest_remainder(shares, total)
        for size, count in enumerate(households, start=1):
            household_rows.append((ags, base_year, size, int(count)))

        eta = ROOM_TILT[roles[i]] + rng.normal(0, 0.03)
        rooms = room_shares * np.exp(eta * (np.arange(1, 8) - 4))
        vacancy = float(np.clip(0.045 - 0.6 * change[i] + rng.normal(0, 0.005), 0.03, 0.08))
        vacant_total = round(vacancy * total)
        dwellings = largest_remainder(rooms, total + vacant_total)
        vacant = largest_remainder(dwellings.astype(float), vacant_total)
        for k in range(7):
            dwelling_rows.append(
                (ags, base_year, k + 1, int(dwellings[k]), int(dwellings[k] - vacant[k]))
            )

    return Housing(
        households=pd.DataFrame(
            household_rows, columns=["region", "year", "size", "households"]
        ).assign(census_basis="zensus2022"),
        dwellings=pd.DataFrame(
            dwelling_rows, columns=["region", "year", "rooms", "dwellings", "occupied"]
        ).assign(census_basis="zensus2022"),
    )
