"""Cohort-component projection, vectorised over all regions at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from regiowerk.demography.rates import AGES, FERTILE, DemographicRates, estimate_rates, stock_array
from regiowerk.errors import RegiowerkError
from regiowerk.schema import MAX_AGE, SEXES

SHAPE_TAIL = (2, MAX_AGE + 1)
NEWBORN, MID, OPEN = slice(0, 1), slice(1, MAX_AGE), slice(MAX_AGE, MAX_AGE + 1)


class ProjectionError(RegiowerkError, ValueError):
    """Inputs of a projection that cannot be used; the message names the field."""


@dataclass(frozen=True)
class ProjectionResult:
    """Stocks and components of a projection.

    ``stock`` (T + 1, R, 2, 101): 31.12. of the base year and of each projected year;
    ``births`` (T, R, 2) by sex of the child; ``deaths``, ``in_migration``, ``out_migration``
    (T, R, 2) by sex; ``capped`` (T, R) persons by which deaths and out-migration had to be cut
    to keep every cell non-negative; ``flows`` (3, T, R, 2, 101) deaths, in- and out-movers by
    cohort age at the end of the year, only from ``project(..., detail=True)``.
    """

    regions: tuple[str, ...]
    years: tuple[int, ...]
    stock: NDArray[np.float64]
    births: NDArray[np.float64]
    deaths: NDArray[np.float64]
    in_migration: NDArray[np.float64]
    out_migration: NDArray[np.float64]
    capped: NDArray[np.float64]
    scenario: str
    parameters: dict[str, Any] = field(default_factory=dict)
    flows: NDArray[np.float64] | None = None

    def population(self) -> pd.DataFrame:
        """Long frame ``ags, year, sex, age, persons, scenario`` (layout of ``projection``),
        base year included."""
        index = pd.MultiIndex.from_product(
            [self.years, self.regions, SEXES, AGES], names=["year", "ags", "sex", "age"]
        )
        frame = pd.DataFrame({"persons": self.stock.ravel()}, index=index).reset_index()
        frame["scenario"] = self.scenario
        frame = frame[["ags", "year", "sex", "age", "persons", "scenario"]]
        return frame.sort_values(["ags", "year", "sex", "age"], kind="stable").reset_index(
            drop=True
        )

    def components(self) -> pd.DataFrame:
        """Per region and projected year: births, deaths, in_migration, out_migration, capped."""
        steps = len(self.years) - 1
        frame = pd.DataFrame(
            {
                "ags": np.tile(self.regions, steps),
                "year": np.repeat(self.years[1:], len(self.regions)),
                "births": self.births.sum(axis=2).ravel(),
                "deaths": self.deaths.sum(axis=2).ravel(),
                "in_migration": self.in_migration.sum(axis=2).ravel(),
                "out_migration": self.out_migration.sum(axis=2).ravel(),
                "capped": self.capped.ravel(),
            }
        )
        return frame.sort_values(["ags", "year"], kind="stable").reset_index(drop=True)

    def totals(self) -> NDArray[np.float64]:
        """Total population (T + 1, R)."""
        return np.asarray(self.stock.sum(axis=(2, 3)), dtype=float)


class CohortComponentModel:
    r"""Cohort-component population projection in annual steps by single age and sex.

    Regions ``r`` (municipalities, Kreise, …), sexes ``s ∈ {m, f}``, ages ``x = 0 … 100`` (100 =
    100 and older); all arrays are shaped ``(regions, 2, 101)`` and every step is one set of
    numpy operations over all regions. Events are tabulated by the **birth-year method**: an
    event in year ``t`` belongs to the age ``x`` that its cohort reaches on 31.12. ``t``
    (Destatis' convention for fertility rates, and that of the demo generator).

    **Formulation.** From the stock ``P_t`` on 31.12. ``t`` to ``P_{t+1}``:

    1. Exposure (cohorts moved up one year): ``E(x) = P_t(x − 1)`` for ``x = 1 … 99``,
       ``E(100) = P_t(99) + P_t(100)``.
    2. In-movers ``I(x)`` are given as counts per year (gross in-flows, e.g. a Rogers–Castro
       profile times a level, or the positive part of a net migration count ``N(x)``).
    3. Deaths ``D(x) = (1 − S(x)) · (E(x) + ½ I(x))`` with the cohort (Lexis-parallelogram)
       survival probability ``S(x)``; ``S(100)`` is the open group's own survival
       ``T(100) / T(99)`` (:func:`~regiowerk.demography.rates.cohort_survival`); in-movers are
       exposed for half the year on average. As ``0 ≤ S ≤ 1``, ``D ≤ E + I`` always holds.
    4. Out-movers ``O(x) = min(o(x) · E(x) + N⁻(x), E(x) + I(x) − D(x))``, the rate ``o`` times
       the exposure plus the negative part of a net count.
    5. Survivors ``P_{t+1}(x) = E(x) − D(x) + I(x) − O(x)`` for ``x ≥ 1``.
    6. Births ``B = Σ_{x=15}^{49} f(x) · W̄(x)`` with the ASFR ``f`` (births per woman) and the
       mid-year women ``W̄(x) = ½ (E_f(x) + P_{t+1,f}(x))`` of the cohort — the denominator of
       Destatis' rates, the mean female population of the birth cohort; split by the sex ratio at
       birth ``σ`` (boys per girl, default 1.05): ``B_m = B σ / (1 + σ)``, ``B_f = B − B_m``.
    7. Infants: ``E(0) = B_s`` and steps 3–5 with ``S(0) = L(0) / l(0)``.

    **Balance.** Per cohort ``P_{t+1}(x) = E(x) − D(x) + I(x) − O(x)`` by construction, hence per
    region ``ΣP_{t+1} = ΣP_t + B − D + I − O`` exactly (up to floating-point rounding); the cap
    in 4 keeps every cell ≥ 0 and the persons cut off are reported per region and year
    (``capped``). Counts are not rounded: the projection is an expectation. Where ``o + q < 1``
    everywhere and no net count is negative, no cap can bind and ages 1 … 99 are computed as
    ``P_{t+1} = E (1 − q − o) + I − ½ q I`` with the totals of ``D`` and ``O`` as dot products
    (same result, fewer passes over memory).

    **Inputs** (broadcast to ``(regions, 2, 101)``; fertility to ``(regions, 101)``):
    ``population`` counts on 31.12. of ``base_year``; ``fertility`` ASFR by cohort age (births
    per woman, in [0, 1]); ``survival`` cohort survival ``S``; ``out_migration`` rates ``o`` of
    the exposure; ``in_migration`` in-movers per year and ``net_migration`` net counts per year,
    either constant or per projection year with a leading year axis (the last year repeats).
    Invalid values raise :class:`ProjectionError` naming field, region, sex and age.

    References: Preston, Heuveline & Guillot (2001), *Demography: Measuring and Modeling
    Population Processes*, ch. 6; Smith, Tayman & Swanson (2013), *A Practitioner's Guide to
    State and Local Population Projections*, ch. 5–7 (cohort-component method, gross migration).
    """

    def __init__(
        self,
        regions: Sequence[str],
        base_year: int,
        population: ArrayLike,
        *,
        fertility: ArrayLike,
        survival: ArrayLike,
        out_migration: ArrayLike = 0.0,
        in_migration: ArrayLike = 0.0,
        net_migration: ArrayLike = 0.0,
        boys_per_girl: float = 1.05,
        scenario: str = "trend",
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.regions = tuple(str(r) for r in regions)
        self.base_year = int(base_year)
        n = len(self.regions)
        self.population = _array(population, (n, *SHAPE_TAIL), "population")
        self._check(self.population, "population", upper=None)
        fert = np.asarray(fertility, dtype=float)
        self.fertility = _array(
            fert[:, None, :] if fert.ndim == 2 else fert, (n, 1, MAX_AGE + 1), "fertility"
        )[:, 0, :]
        self._check(self.fertility[:, None, :], "fertility")
        self.survival = _array(survival, (n, *SHAPE_TAIL), "survival")
        self._check(self.survival, "survival")
        self.out_migration = _array(out_migration, (n, *SHAPE_TAIL), "out_migration")
        self._check(self.out_migration, "out_migration")
        self.in_migration = _flow(in_migration, n, "in_migration")
        for year in self.in_migration:
            self._check(year, "in_migration", upper=None)
        self.net_migration = _flow(net_migration, n, "net_migration")
        if not np.isfinite(self.net_migration).all():
            raise ProjectionError("net_migration: Werte müssen endlich sein.")
        if not (np.isfinite(boys_per_girl) and boys_per_girl > 0):
            raise ProjectionError(f"boys_per_girl = {boys_per_girl}: muss positiv sein.")
        self.boys_per_girl = float(boys_per_girl)
        self.scenario = scenario
        self.parameters = dict(parameters or {})

    @classmethod
    def from_arrays(
        cls,
        regions: Sequence[str],
        base_year: int,
        population: ArrayLike,
        rates: DemographicRates,
        *,
        net_migration: ArrayLike = 0.0,
        scenario: str = "trend",
    ) -> CohortComponentModel:
        """Model from a stock array (R, 2, 101) and estimated :class:`DemographicRates`."""
        if tuple(rates.regions) != tuple(str(r) for r in regions):
            raise ProjectionError(
                "regions: die Regionen von Bestand und Raten stimmen nicht überein."
            )
        return cls(
            regions,
            base_year,
            population,
            fertility=rates.fertility,
            survival=rates.survival,
            out_migration=rates.out_migration,
            in_migration=rates.in_migration,
            net_migration=net_migration,
            boys_per_girl=rates.boys_per_girl,
            scenario=scenario,
            parameters={"rates": list(rates.notes)},
        )

    @classmethod
    def from_workspace(
        cls,
        workspace: Any,
        *,
        base_year: int | None = None,
        rate_years: Sequence[int] | None = None,
        scenario: str = "trend",
    ) -> CohortComponentModel:
        """Model from a workspace's ``population``, ``births``, ``deaths``, ``migration`` and
        (optional) ``rates`` tables; base year = last population year unless given, rates
        averaged over ``rate_years`` (default: every flow year up to the base year)."""
        tables = {
            name: workspace.load(name) for name in ("population", "births", "deaths", "migration")
        }
        standards = workspace.load("rates") if workspace.has("rates") else None
        return cls.from_tables(
            tables["population"],
            tables["births"],
            tables["deaths"],
            tables["migration"],
            rates=standards,
            base_year=base_year,
            rate_years=rate_years,
            scenario=scenario,
        )

    @classmethod
    def from_tables(
        cls,
        population: pd.DataFrame,
        births: pd.DataFrame,
        deaths: pd.DataFrame,
        migration: pd.DataFrame,
        *,
        rates: pd.DataFrame | None = None,
        base_year: int | None = None,
        rate_years: Sequence[int] | None = None,
        scenario: str = "trend",
    ) -> CohortComponentModel:
        """As :meth:`from_workspace`, from canonical tables (e.g. ``generate_demo().tables``)."""
        base = int(population["year"].max()) if base_year is None else int(base_year)
        regions = sorted(population.loc[population["year"] == base, "ags"].unique())
        if not regions:
            raise ProjectionError(f"population: keine Bevölkerung im Basisjahr {base}.")
        if rate_years is None:
            stock_years = set(population["year"].unique())
            rate_years = sorted(
                int(y)
                for y in set(deaths["year"]) & set(migration["year"]) & set(births["year"])
                if y <= base and y in stock_years and y - 1 in stock_years
            )
        if not rate_years:
            raise ProjectionError("rate_years: keine Jahre mit Bestand und Bewegungen gefunden.")
        estimated = estimate_rates(
            population, births, deaths, migration, regions=regions, years=rate_years, rates=rates
        )
        stock = stock_array(population, regions, [base])[0]
        return cls.from_arrays(regions, base, stock, estimated, scenario=scenario)

    def _check(self, values: NDArray[np.float64], name: str, upper: float | None = 1.0) -> None:
        """Raise a :class:`ProjectionError` naming field, region, sex and age of a bad value."""
        bad = ~np.isfinite(values) | (values < 0)
        if upper is not None:
            bad |= values > upper
        if bad.any():
            r, s, x = (int(i) for i in np.argwhere(bad)[0])
            sex = SEXES[s] if values.shape[1] == 2 else "f"
            allowed = "in [0, 1]" if upper is not None else "≥ 0"
            raise ProjectionError(
                f"{name}: Wert {float(values[r, s, x]):g} für Region {self.regions[r]}, "
                f"Geschlecht {sex}, Alter {x} liegt nicht {allowed}."
            )

    def project(self, years: int, *, detail: bool = False) -> ProjectionResult:
        """Project ``years`` annual steps from the base year (see the class docstring).

        With ``detail`` the deaths and moves are also kept by age (``ProjectionResult.flows``);
        otherwise only their totals by region and sex, which saves memory and time. Internally
        the arrays are age-major ``(101, 2, regions)``, so that moving the cohorts up one year
        is a contiguous block of memory.
        """
        if years < 0:
            raise ProjectionError(f"years = {years}: muss ≥ 0 sein.")
        n = len(self.regions)
        stock = np.empty((years + 1, MAX_AGE + 1, 2, n))
        stock[0] = _age_major(self.population)
        births = np.zeros((years, n, 2))
        totals = np.zeros((3, years, n, 2))  # deaths, in, out by sex
        capped = np.zeros((years, n))
        flows = np.zeros((3, years, MAX_AGE + 1, 2, n)) if detail else None
        share_boys = self.boys_per_girl / (1.0 + self.boys_per_girl)
        q = _age_major(1.0 - self.survival)
        out_rate = _age_major(self.out_migration)
        fertility = np.ascontiguousarray(self.fertility[:, FERTILE].T)
        # out-movers can exceed what is left only if o(x) + q(x) > 1 or with negative net counts
        fast = not detail and bool(np.all(out_rate + q <= 1.0 - 1e-9))
        d, o = np.zeros(q.shape), np.zeros(q.shape)  # calloc: untouched pages stay free
        flow_key: tuple[int, int] | None = None
        for t in range(years):
            key = (min(t, len(self.in_migration) - 1), min(t, len(self.net_migration) - 1))
            if key != flow_key:
                flow_key = key
                cells = _Cells.build(
                    q, out_rate, self.in_migration[key[0]], self.net_migration[key[1]]
                )
            before, new = stock[t], stock[t + 1]
            dead, gone, cut = cells.step(before[:-2], MID, d, o, new, fast=fast)
            e_open = before[-2:-1] + before[-1:]
            dead_o, gone_o, cut_o = cells.step(e_open, OPEN, d, o, new, fast=False)
            women = 0.5 * (before[14:49, 1] + new[FERTILE, 1])
            b = np.einsum("xr,xr->r", fertility, women)
            born = np.stack([b * share_boys, b * (1.0 - share_boys)])
            dead_0, gone_0, cut_0 = cells.step(born[None], NEWBORN, d, o, new, fast=False)
            births[t] = born.T
            totals[:, t] = (dead + dead_o + dead_0).T, cells.in_by_sex.T, (gone + gone_o + gone_0).T
            capped[t] = cut + cut_o + cut_0
            if flows is not None:
                flows[0, t], flows[1, t], flows[2, t] = d, cells.inflow, o
        return ProjectionResult(
            regions=self.regions,
            years=tuple(range(self.base_year, self.base_year + years + 1)),
            stock=stock.transpose(0, 3, 2, 1),
            births=births,
            deaths=totals[0],
            in_migration=totals[1],
            out_migration=totals[2],
            capped=capped,
            scenario=self.scenario,
            parameters={**self.parameters, "boys_per_girl": self.boys_per_girl},
            flows=None if flows is None else flows.transpose(0, 1, 4, 3, 2),
        )


Sums = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def _age_major(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """(regions, 2, 101) → contiguous (101, 2, regions)."""
    return np.ascontiguousarray(values.transpose(2, 1, 0))


@dataclass(frozen=True)
class _Cells:
    """Steps 3–5 of the formulation for blocks of ages (age-major arrays), one year's inputs."""

    q: NDArray[np.float64]
    out_rate: NDArray[np.float64]
    inflow: NDArray[np.float64]
    half_in: NDArray[np.float64]
    extra: NDArray[np.float64] | None
    keep: NDArray[np.float64]
    added: NDArray[np.float64]
    in_by_sex: NDArray[np.float64]
    dead_in_mid: NDArray[np.float64]

    @classmethod
    def build(
        cls,
        q: NDArray[np.float64],
        out_rate: NDArray[np.float64],
        gross_in: NDArray[np.float64],
        net: NDArray[np.float64],
    ) -> _Cells:
        """Inputs of one year: in-movers ``I`` = gross in-flow + positive net counts."""
        inflow = _age_major(gross_in + np.clip(net, 0.0, None))
        half_in = 0.5 * inflow
        extra = _age_major(np.clip(-net, 0.0, None)) if (net < 0).any() else None
        return cls(
            q,
            out_rate,
            inflow,
            half_in,
            extra,
            keep=1.0 - q - out_rate,
            added=inflow - q * half_in,
            in_by_sex=inflow.sum(axis=0),
            dead_in_mid=(q * half_in)[MID].sum(axis=0),
        )

    def step(
        self,
        e: NDArray[np.float64],
        ages: slice,
        d: NDArray[np.float64],
        o: NDArray[np.float64],
        new: NDArray[np.float64],
        *,
        fast: bool,
    ) -> Sums:
        """Deaths, out-movers (by sex and region) and persons cut for exposure ``e`` at ``ages``.

        Deaths need no cap: ``q (E + ½ I) ≤ E + I`` for ``q ≤ 1``. Out-movers are capped at
        ``E + I − D``. ``fast`` (used for ages 1 … 99 when ``o + q < 1`` and no negative net
        counts, so no cap can bind) writes only the survivors ``E (1 − q − o) + I − ½ q I``;
        otherwise ``d`` and ``o`` are filled at ``ages`` too.
        """
        q, rate, new_a = self.q[ages], self.out_rate[ages], new[ages]
        if fast and self.extra is None:
            np.multiply(e, self.keep[ages], out=new_a)
            new_a += self.added[ages]
            dead = np.einsum("xsr,xsr->sr", q, e) + self.dead_in_mid
            return dead, np.einsum("xsr,xsr->sr", rate, e), np.zeros(e.shape[-1])
        d_a, o_a = d[ages], o[ages]
        np.add(e, self.half_in[ages], out=d_a)
        d_a *= q
        np.multiply(rate, e, out=o_a)
        if self.extra is not None:
            o_a += self.extra[ages]
        np.subtract(e, d_a, out=new_a)
        new_a += self.inflow[ages]
        np.maximum(new_a, 0.0, out=new_a)  # rounding residue of E + I − D
        wanted = o_a.sum(axis=0)
        np.minimum(o_a, new_a, out=o_a)
        new_a -= o_a
        gone = o_a.sum(axis=0)
        return d_a.sum(axis=0), gone, (wanted - gone).sum(axis=0)


def _array(values: ArrayLike, shape: tuple[int, ...], name: str) -> NDArray[np.float64]:
    """Broadcast ``values`` to ``shape`` or raise a :class:`ProjectionError` naming ``name``."""
    try:
        return np.array(np.broadcast_to(np.asarray(values, dtype=float), shape))
    except ValueError as error:
        raise ProjectionError(
            f"{name}: Form {np.shape(values)} passt nicht zu {shape} (Regionen, Geschlecht, "
            f"Alter 0–100)."
        ) from error


def _flow(values: ArrayLike, n: int, name: str) -> NDArray[np.float64]:
    """A flow per year (T, R, 2, 101) or constant (R, 2, 101) → array with a leading year axis."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 4:
        return _array(arr, (arr.shape[0], n, *SHAPE_TAIL), name)
    return _array(arr, (n, *SHAPE_TAIL), name)[None]
