"""Housing demand of projected scenarios: households → dwellings by size class → demand.

Steps per scenario (all on the workspace's tables):

1. Population of the scenario **without its employers** (projected again with the employers
   removed, when it has any) → households by size and age of the reference person
   (:mod:`regiowerk.housing.households`), calibrated to the workspace's ``households`` of the
   latest year up to the base year, or to the Land defaults where that table is missing.
2. Households → dwellings demanded by size class through the occupancy matrix fitted to the
   occupied stock of the base year (:mod:`regiowerk.housing.occupancy`); employers' in-mover
   households (settled and multilocal) are added with their own profile.
3. Base stock by size class from ``dwellings`` (latest year up to the base year); where it
   has no occupied dwellings, the occupancy fit uses the shares of the stock by class (vacancy
   spread evenly); then the exact decomposition of
   :mod:`regiowerk.housing.demand`, and a sensitivity run for the low and high value of every
   parameter with a band.

:func:`save_housing` writes the tables ``housing_demand`` and ``household_projection`` (the rows
of the scenarios run are replaced, others kept) with the parameters in the provenance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.demography.ccm import CohortComponentModel
from regiowerk.demography.projection import ScenarioRun, run_scenario
from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_int
from regiowerk.housing import households as hh
from regiowerk.housing import occupancy
from regiowerk.housing.demand import COMPONENTS, Demand, decompose
from regiowerk.housing.parameters import (
    HOUSEHOLD_SIZES,
    PARAMETER_LABELS,
    ROOMS_TO_CLASS,
    SIZE_CLASSES,
    HousingDefaults,
    HousingParameters,
    housing_defaults,
)
from regiowerk.workspace import TableRecord, Workspace

Array = NDArray[np.float64]
Progress = Callable[[str], None]


class HousingError(RegiowerkError):
    """The housing demand cannot be computed from this workspace."""


@dataclass(frozen=True)
class BaseStock:
    """Dwellings by size class in the base year."""

    dwellings: Array
    """(R, 4) all dwellings."""
    occupied: Array
    """(R, 4) occupied dwellings (NaN rows where the stock table has none)."""
    year: int


@dataclass
class HousingRun:
    """Households and demand of one scenario."""

    scenario: str
    years: tuple[int, ...]
    regions: tuple[str, ...]
    households: Array
    """(T + 1, R, 5) households by size (residents and in-movers)."""
    in_mover_households: Array
    """(T + 1, R, 5) of which in-movers of employers."""
    demand: Demand
    sensitivity: pd.DataFrame


@dataclass
class HousingResult:
    """All scenarios of a housing run and what the report must say about them."""

    runs: list[HousingRun]
    parameters: HousingParameters
    stock: BaseStock
    calibration: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def demand_frame(self) -> pd.DataFrame:
        """Table ``housing_demand`` (one row per region, year, scenario and size class)."""
        frames = []
        for run in self.runs:
            steps, regions = len(run.years), len(run.regions)
            shape = (steps, regions, len(SIZE_CLASSES))
            columns: dict[str, object] = {
                "ags": np.broadcast_to(np.array(run.regions)[None, :, None], shape).ravel(),
                "year": np.broadcast_to(np.array(run.years)[:, None, None], shape).ravel(),
                "scenario": run.scenario,
                "size_class": np.broadcast_to(np.array(SIZE_CLASSES), shape).ravel(),
            }
            for name in (*COMPONENTS, "stock", "gap", "required"):
                columns[name] = getattr(run.demand, name).ravel()
            frames.append(pd.DataFrame(columns))
        return pd.concat(frames, ignore_index=True)

    def household_frame(self) -> pd.DataFrame:
        """Table ``household_projection`` (households by size, of which in-movers)."""
        frames = []
        for run in self.runs:
            shape = run.households.shape
            frames.append(
                pd.DataFrame(
                    {
                        "ags": np.broadcast_to(np.array(run.regions)[None, :, None], shape).ravel(),
                        "year": np.broadcast_to(np.array(run.years)[:, None, None], shape).ravel(),
                        "scenario": run.scenario,
                        "size": np.broadcast_to(np.array(HOUSEHOLD_SIZES), shape).ravel(),
                        "households": run.households.ravel(),
                        "in_movers": run.in_mover_households.ravel(),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def _latest(frame: pd.DataFrame, regions: tuple[str, ...], year: int) -> pd.DataFrame:
    """Rows of ``regions`` in the latest year up to ``year`` that has any of them."""
    rows = frame[frame["region"].isin(regions) & (frame["year"] <= year)]
    if rows.empty:
        return rows
    return rows[rows["year"] == rows["year"].max()]


def base_stock(
    workspace: Workspace,
    regions: tuple[str, ...],
    year: int,
    parameters: HousingParameters,
) -> tuple[BaseStock, list[str]]:
    """Stock and occupied dwellings by size class (see the module docstring)."""
    if not workspace.has("dwellings"):
        raise HousingError(
            "Tabelle 'dwellings' (Wohnungen nach Räumen) fehlt im Arbeitsbereich: ohne "
            "Wohnungsbestand kein Wohnungsbedarf. Zensus-Tabelle importieren "
            "(regiowerk import …)."
        )
    rows = _latest(workspace.load("dwellings"), regions, year)
    if rows.empty:
        raise HousingError(
            f"Tabelle 'dwellings' hat keine Zeilen für die {len(regions)} Gemeinden des "
            f"Arbeitsbereichs bis zum Basisjahr {year}."
        )
    missing = sorted(set(regions) - set(rows["region"]))
    if missing:
        raise HousingError(
            f"Tabelle 'dwellings' ({int(rows['year'].iloc[0])}): Wohnungsbestand fehlt für "
            f"{len(missing)} Gemeinden, z. B. {', '.join(missing[:5])}."
        )
    position = {ags: i for i, ags in enumerate(regions)}
    i = rows["region"].map(position).to_numpy()
    c = ROOMS_TO_CLASS[rows["rooms"].to_numpy() - 1]
    dwellings = np.zeros((len(regions), len(SIZE_CLASSES)))
    np.add.at(dwellings, (i, c), rows["dwellings"].fillna(0).to_numpy(dtype=float))
    occupied = np.zeros(dwellings.shape)
    np.add.at(occupied, (i, c), rows["occupied"].fillna(0).to_numpy(dtype=float))
    unoccupied = rows.loc[rows["occupied"].isna(), "region"].unique()
    notes = []
    if len(unoccupied):
        # only the shares by class enter the occupancy fit: use those of the stock
        occupied[np.isin(np.array(regions), unoccupied)] = np.nan
        notes.append(
            f"Bewohnte Wohnungen fehlen für {len(unoccupied)} Gemeinden: dort wird der Leerstand "
            f"gleichmäßig über die Wohnungsgrößen angenommen."
        )
    stock_year = int(rows["year"].iloc[0])
    if stock_year != year:
        notes.append(f"Wohnungsbestand von {stock_year} als Bestand des Basisjahres {year}.")
    return BaseStock(dwellings, occupied, stock_year), notes


def observed_households(
    workspace: Workspace, regions: tuple[str, ...], year: int
) -> tuple[Array | None, str]:
    """Households by size ``(R, 5)`` (NaN rows where missing) and their label."""
    if not workspace.has("households"):
        return None, ""
    rows = _latest(workspace.load("households"), regions, year)
    if rows.empty:
        return None, ""
    table = (
        rows.pivot_table(index="region", columns="size", values="households", aggfunc="sum")
        .reindex(index=list(regions), columns=list(HOUSEHOLD_SIZES))
        .astype(float)
    )
    return table.to_numpy(), f"Haushalte {int(rows['year'].iloc[0])}"


def _resident_run(
    workspace: Workspace, run: ScenarioRun, base: CohortComponentModel
) -> ScenarioRun:
    """``run`` without its employers (their in-movers are counted by profile instead)."""
    if not run.scenario.employers:
        return run
    return run_scenario(workspace, run.scenario.model_copy(update={"employers": []}), base=base)


def _sensitivity(dwellings: Array, stock: Array, parameters: HousingParameters) -> pd.DataFrame:
    """Cumulative new construction for the low and high value of each parameter's band."""
    base_total = float(decompose(dwellings, stock, parameters).new_construction().sum())
    rows = []
    for name, (low, high) in parameters.sensitivity_bands().items():
        low_run = decompose(dwellings, stock, parameters.varied(name, low))
        high_run = decompose(dwellings, stock, parameters.varied(name, high))
        rows.append(
            {
                "parameter": name,
                "label": PARAMETER_LABELS[name],
                "low": low,
                "value": float(getattr(parameters, name)),
                "high": high,
                "demand_low": float(low_run.new_construction().sum()),
                "demand": base_total,
                "demand_high": float(high_run.new_construction().sum()),
            }
        )
    return pd.DataFrame(rows)


def run_housing(
    workspace: Workspace,
    runs: Sequence[ScenarioRun],
    parameters: HousingParameters | None = None,
    *,
    base: CohortComponentModel | None = None,
    defaults: HousingDefaults | None = None,
    progress: Progress | None = None,
) -> HousingResult:
    """Households and housing demand for projected scenarios (see the module docstring)."""
    if not runs:
        raise HousingError("Keine Vorausberechnung übergeben.")
    parameters = parameters or HousingParameters()
    defaults = defaults or housing_defaults()
    base = base or CohortComponentModel.from_workspace(workspace)
    regions, base_year = base.regions, base.base_year
    stock, notes = base_stock(workspace, regions, base_year, parameters)
    observed, label = observed_households(workspace, regions, base_year)
    population0 = hh.band_population(base.population[None], defaults.band_lower)
    calibration = hh.calibrate(
        hh.uncalibrated(population0, defaults)[0], observed, regions, defaults, label
    )
    fallback = sorted({o for o in calibration.origin if o.startswith("Standardwerte")})
    if fallback:
        count = sum(o.startswith("Standardwerte") for o in calibration.origin)
        notes.append(
            f"Haushalte nach Größe fehlen für {count} Gemeinden: dokumentierte Standardwerte "
            f"verwendet ({'; '.join(fallback)})."
        )
    elif label and label != f"Haushalte {base_year}":
        notes.append(f"{label} auf die Bevölkerung {base_year} kalibriert.")
    base_households = hh.project(population0, calibration, defaults)[0]
    target = np.where(np.isnan(stock.occupied), stock.dwellings, stock.occupied)
    pi, iterations = occupancy.fit(base_households, target, occupancy.prior(defaults))
    if iterations >= occupancy.MAX_ITERATIONS:
        notes.append(
            "Die Anpassung der Belegung an den Bestand nach Räumen hat nicht voll "
            f"konvergiert ({iterations} Iterationen): die Nachfrage je Wohnungsgröße im "
            "Basisjahr weicht etwas vom bewohnten Bestand ab."
        )
    warnings = [
        f"Gemeinde {ags}: {fmt_int(dw)} Wohnungen, aber {fmt_int(h)} Haushalte im Basisjahr "
        f"(Nachholbedarf)."
        for ags, dw, h in zip(
            regions, stock.dwellings.sum(axis=1), base_households.sum(axis=(1, 2)), strict=True
        )
        if dw < h
    ]
    out = []
    for run in runs:
        if progress:
            progress(f"Wohnungsbedarf {run.scenario.name}")
        resident = _resident_run(workspace, run, base)
        population = hh.band_population(resident.result.stock, defaults.band_lower)
        households = hh.project(population, calibration, defaults)
        movers = hh.in_mover_households(
            run.arrivals, run.scenario.employers, regions, run.result.years, defaults
        )
        dwellings = occupancy.demand(households, pi) + movers.dwellings
        out.append(
            HousingRun(
                scenario=run.scenario.name,
                years=run.result.years,
                regions=regions,
                households=households.sum(axis=-1) + movers.households,
                in_mover_households=movers.households,
                demand=decompose(dwellings, stock.dwellings, parameters),
                sensitivity=_sensitivity(dwellings, stock.dwellings, parameters),
            )
        )
    return HousingResult(out, parameters, stock, calibration.origin, notes, warnings)


def save_housing(workspace: Workspace, result: HousingResult) -> list[TableRecord]:
    """Save ``housing_demand`` and ``household_projection``; rows of other scenarios stay."""
    names = {run.scenario for run in result.runs}
    sources = workspace.provenance("dwellings")
    meta = {
        "parameters": result.parameters.model_dump(mode="json"),
        "stock_year": result.stock.year,
        "calibration": {
            label: result.calibration.count(label) for label in sorted(set(result.calibration))
        },
        "notes": result.notes,
        "warnings": result.warnings,
        "sensitivity": {
            run.scenario: run.sensitivity.to_dict(orient="records") for run in result.runs
        },
    }
    provenance = sources.derived(
        "regiowerk Wohnungsbedarfsmodell (Haushaltsquoten, Belegung, Bestand-Fluss)",
        synthetic=workspace.synthetic,
        notes=json.dumps(meta, ensure_ascii=False),
    )
    tables = {}
    for table, frame in (
        ("housing_demand", result.demand_frame()),
        ("household_projection", result.household_frame()),
    ):
        if workspace.has(table):
            old = workspace.load(table)
            frame = pd.concat([old[~old["scenario"].isin(names)], frame], ignore_index=True)
        tables[table] = (frame, provenance)
    return list(workspace.save_many(tables).values())
