"""Private households by size and age of the reference person, from projected population.

Method (headship-rate method, Haushaltsvorstandsquotenverfahren; see Destatis,
"Entwicklung der Privathaushalte bis 2040", 2020, for the German household projection, and
Bell & Cooper 1990 on headship rates). For region ``i``, year ``t``, age band ``b`` of the
reference person and sex ``s`` with inhabitants ``P_{t,i,b,s}``:

    H¹_{t,i,b} = c_{i,1} · Σ_s a_{b,s} · P_{t,i,b,s}              (one-person households)
    Hᵏ_{t,i,b} = c_{i,k} · h_{k,b} · Σ_s P_{t,i,b,s},   k = 2 … 5+

``a_{b,s}`` is the share living alone, ``h_{k,b}`` the number of households of size ``k`` per
inhabitant of the band (both sexes, so a couple counts half for each partner), both prior age
profiles from ``defaults.toml``. The factors ``c_{i,k}`` calibrate the profile to the region:

    c_{i,k} = H^obs_{i,k} / Σ_b Hᵏ_{t₀,i,b}(c = 1)

so that the base year reproduces the observed households by size exactly; regions without an
observed size table use the factors of their Land (Zensus 2011, ``tools/housing_defaults.py``).
The factors are held constant: households change with the size and the age structure of the
population (the usual "constant rates" variant). Persons in institutions are implicitly outside
the profile.

In-mover households of a new employer are counted separately with their own profile
(:func:`in_mover_households`): each settled mover heads one household; children came along
in families of ``children_per_family`` children on average, with a partner where there is one,
else with a single parent; the other movers live alone or as couples; multilocal "Incomings"
form one-person
households at their secondary residence. Households are held from the year of arrival to the
horizon (no dissolution or moving on: an assumption).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.demography.scenario import Employer
from regiowerk.errors import RegiowerkError
from regiowerk.housing.parameters import HousingDefaults

Array = NDArray[np.float64]


class HouseholdError(RegiowerkError):
    """Household data that cannot be used."""


def band_population(stock: Array, band_lower: tuple[int, ...]) -> Array:
    """Population by single age ``(T, R, 2, 101)`` → by age band ``(T, R, bands, 2)``."""
    edges = [*band_lower, stock.shape[-1]]
    return np.stack([stock[..., a:b].sum(axis=-1) for a, b in pairwise(edges)], axis=2)


def uncalibrated(population: Array, defaults: HousingDefaults) -> Array:
    """Households ``(T, R, 5, bands)`` of the prior profiles (all ``c = 1``)."""
    single = np.einsum("trbs,bs->trb", population, defaults.living_alone)
    larger = np.einsum("trb,kb->trkb", population.sum(axis=-1), defaults.per_person)
    return np.concatenate([single[:, :, None, :], larger], axis=2)


@dataclass(frozen=True)
class Calibration:
    """Calibration factors ``c_{i,k}`` and where they came from, per region."""

    factors: Array
    """(R, 5)"""
    origin: tuple[str, ...]
    """"Haushalte {year}" or the Land default used, per region."""


def calibrate(
    base: Array,
    observed: Array | None,
    regions: tuple[str, ...],
    defaults: HousingDefaults,
    label: str,
) -> Calibration:
    """Factors so that ``base`` ``(R, 5, bands)`` reproduces ``observed`` ``(R, 5)``.

    Rows of ``observed`` with missing values (NaN) and a missing ``observed`` fall back to the
    Land factors of ``defaults``. A region with observed households of a size for which the
    profile predicts none (no adults) cannot be calibrated and raises :class:`HouseholdError`.
    """
    predicted = base.sum(axis=-1)
    factors = np.empty(predicted.shape)
    origin = []
    for i, ags in enumerate(regions):
        row = None if observed is None else observed[i]
        if row is not None and np.isfinite(row).all():
            impossible = (predicted[i] <= 0) & (row > 0)
            if impossible.any():
                raise HouseholdError(
                    f"Gemeinde {ags}: Haushalte der Größe {int(np.argmax(impossible)) + 1} "
                    f"beobachtet, aber keine Erwachsenen im Basisjahr."
                )
            factors[i] = np.divide(row, predicted[i], out=np.zeros(5), where=predicted[i] > 0)
            origin.append(label)
        else:
            land_factors, used = defaults.factors_for(ags[:2])
            factors[i] = land_factors
            origin.append(f"Standardwerte {used} (Zensus 2011)")
    return Calibration(factors, tuple(origin))


def project(population: Array, calibration: Calibration, defaults: HousingDefaults) -> Array:
    """Households ``(T, R, 5, bands)`` for population by band ``(T, R, bands, 2)``."""
    return uncalibrated(population, defaults) * calibration.factors[None, :, :, None]


@dataclass(frozen=True)
class InMovers:
    """Cumulative in-mover households of employers, per year and region."""

    households: Array
    """(T, R, 5) by household size."""
    dwellings: Array
    """(T, R, 4) dwellings sought, by size class."""


def in_mover_households(
    movers: pd.DataFrame,
    employers: list[Employer],
    regions: tuple[str, ...],
    years: tuple[int, ...],
    defaults: HousingDefaults,
) -> InMovers:
    """Households of settled and multilocal in-movers (see the module docstring).

    ``movers`` has ``employer, kind ("settled" | "multilocal"), ags, year, persons`` with the
    persons who arrived in ``year``; settled persons include partners and children.
    """
    households = np.zeros((len(years), len(regions), 5))
    dwellings = np.zeros((len(years), len(regions), 4))
    if movers.empty:
        return InMovers(households, dwellings)
    position = {ags: i for i, ags in enumerate(regions)}
    by_name = {employer.name: employer for employer in employers}
    profile = defaults.in_movers
    columns = (movers[c].tolist() for c in ("employer", "kind", "ags", "year", "persons"))
    for name, kind, ags, year, persons in zip(*columns, strict=True):
        if ags not in position or year not in years[1:]:
            continue  # arrivals up to the base year are not projected either
        t, i = years.index(int(year)), position[str(ags)]
        if kind == "multilocal":
            sizes = {1: float(persons)}
            sought = float(persons) * profile["multilocal"]
        else:
            sizes, sought = _settled(by_name[str(name)], float(persons), defaults)
        for size, count in sizes.items():
            households[t:, i, size - 1] += count
        dwellings[t:, i] += sought
    return InMovers(households, dwellings)


def _settled(
    employer: Employer, persons: float, defaults: HousingDefaults
) -> tuple[dict[int, float], Array]:
    """Households by size and dwellings sought for ``persons`` settled in-movers.

    Per mover (``heads = persons / (1 + p + c)``): families ``F = min(1, c / c_f)`` with
    ``c_f`` children per family, first with the partnered movers (``F_c = min(F, p)``), the
    rest single parents; ``k = c / F`` children per family. Sizes: singles 1, couples 2,
    couple families ``2 + k``, single parents ``1 + k`` (non-integer means split between the
    neighbouring sizes, 5+ open).
    """
    p, c = employer.partners_per_mover, employer.children_per_mover
    heads = persons / (1.0 + p + c)
    families = min(1.0, c / defaults.children_per_family) if c > 0 else 0.0
    with_partner = min(families, p)
    single_parents = families - with_partner
    children = c / families if families > 0 else 0.0
    sizes: dict[int, float] = {}
    for mean, share in (
        (1.0, 1.0 - p - single_parents),
        (2.0, p - with_partner),
        (2.0 + children, with_partner),
        (1.0 + children, single_parents),
    ):
        _spread(sizes, mean, share * heads)
    profile = defaults.in_movers
    sought = heads * (
        (1.0 - p - single_parents) * profile["single"]
        + (p - with_partner) * profile["couple"]
        + families * profile["family"]
    )
    return sizes, sought


def _spread(sizes: dict[int, float], mean: float, count: float) -> None:
    """Add ``count`` households of mean size ``mean`` to the neighbouring integer sizes."""
    if count <= 0:
        return
    low = min(int(np.floor(mean)), 5)
    upper = mean - low if low < 5 else 0.0
    sizes[low] = sizes.get(low, 0.0) + count * (1.0 - upper)
    if upper > 0:
        sizes[low + 1] = sizes.get(low + 1, 0.0) + count * upper
