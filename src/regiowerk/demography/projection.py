"""Run a scenario on a workspace: rates from its tables, scenario factors, employer settlement.

Steps (all on the workspace's own tables; nothing is read from files here):

1. :meth:`CohortComponentModel.from_workspace` estimates the trend rates (multi-year averages
   with local scaling) and takes the base-year population.
2. The scenario changes them: in-migration × ``f_in`` and out-migration rates × ``f_out``
   (:class:`~regiowerk.demography.scenario.Migration`), fertility × ``fertility_factor``,
   death probabilities ``q' = min(1, q · mortality_factor)``.
3. Every employer adds its settled movers (:func:`~regiowerk.demography.scenario.settlement_movers`)
   to the in-migration of the years of its ramp-up; distances are straight lines between
   municipality centroids (EPSG:25832), capacity the vacant dwellings of the base year where
   the workspace has them per municipality (equal weights otherwise).
4. The projection runs to the scenario's horizon; :func:`save_projection` replaces that
   scenario's rows in the table ``projection`` and records scenario and parameters as
   provenance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from regiowerk.demography.ccm import SHAPE_TAIL, CohortComponentModel, ProjectionResult
from regiowerk.demography.scenario import Scenario, check_sites, settlement_movers
from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_int
from regiowerk.schema import SEXES
from regiowerk.workspace import TableRecord, Workspace


@dataclass
class ScenarioRun:
    """A projected scenario with what the user should know about it."""

    scenario: Scenario
    result: ProjectionResult
    notes: list[str] = field(default_factory=list)
    arrivals: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Persons arriving for employers: ``employer, kind, ags, year, persons`` with kind
    ``settled`` (main residence, incl. partners and children) or ``multilocal`` (secondary
    residence); empty without employers."""


def _distances_km(municipalities: gpd.GeoDataFrame, site: str) -> pd.Series:
    centres = municipalities.set_index("ags").geometry.centroid
    origin = centres.loc[site]
    return (centres.distance(origin) / 1000.0).rename("km")


def _vacant_dwellings(workspace: Workspace, year: int) -> pd.Series | None:
    if not workspace.has("dwellings"):
        return None
    dwellings = workspace.load("dwellings")
    rows = dwellings[(dwellings["region"].str.len() == 8) & (dwellings["year"] == year)]
    if rows.empty or rows["occupied"].isna().any():
        return None
    vacant = (rows["dwellings"] - rows["occupied"]).astype(float)
    return vacant.groupby(rows["region"]).sum()


def _movers_array(
    movers: pd.DataFrame, regions: tuple[str, ...], base_year: int, steps: int
) -> np.ndarray:
    """Movers (ags, year, sex, age, persons) → array (steps, regions, 2, 101)."""
    out = np.zeros((steps, len(regions), *SHAPE_TAIL))
    position = {ags: i for i, ags in enumerate(regions)}
    t = movers["year"].to_numpy() - base_year - 1
    keep = (t >= 0) & (t < steps) & movers["ags"].isin(position).to_numpy()
    rows = movers[keep]
    np.add.at(
        out,
        (
            t[keep],
            rows["ags"].map(position).to_numpy(),
            rows["sex"].map({sex: i for i, sex in enumerate(SEXES)}).to_numpy(),
            rows["age"].to_numpy(),
        ),
        rows["persons"].to_numpy(),
    )
    return out


def run_scenario(
    workspace: Workspace, scenario: Scenario, *, base: CohortComponentModel | None = None
) -> ScenarioRun:
    """Project ``workspace`` under ``scenario`` (see the module docstring).

    ``base`` is the trend model of the workspace (:meth:`CohortComponentModel.from_workspace`);
    pass it when running several scenarios so that tables are read and rates estimated once.
    """
    base = base or CohortComponentModel.from_workspace(workspace)
    steps = scenario.horizon - base.base_year
    if steps <= 0:
        raise RegiowerkError(
            f"Szenario {scenario.name!r}: Zieljahr {scenario.horizon} liegt nicht nach dem "
            f"Basisjahr {base.base_year}."
        )
    notes: list[str] = []
    f_in, f_out = scenario.migration.factors
    in_migration = np.broadcast_to(base.in_migration * f_in, (steps, *base.population.shape))
    in_migration = in_migration.copy()
    arrivals = []
    if scenario.employers:
        municipalities = workspace.load("municipalities")
        check_sites(scenario, municipalities["ags"])
        capacity = _vacant_dwellings(workspace, base.base_year)
        if capacity is None:
            notes.append("Keine Leerstandsdaten je Gemeinde: Zuzug nur nach Entfernung verteilt.")
        for employer in scenario.employers:
            movers, secondary = settlement_movers(
                employer, _distances_km(municipalities, employer.site), capacity=capacity
            )
            added = _movers_array(movers, base.regions, base.base_year, steps)
            in_migration += added
            settled = movers.groupby(["ags", "year"], as_index=False)["persons"].sum()
            arrivals += [
                settled.assign(employer=employer.name, kind="settled"),
                secondary.assign(employer=employer.name, kind="multilocal"),
            ]
            notes.append(
                f"{employer.name}: {fmt_int(added.sum())} zusätzliche Einwohner mit "
                f"Hauptwohnsitz bis {scenario.horizon} zugezogen, "
                f"{fmt_int(secondary['persons'].sum())} mit Zweitwohnsitz."
            )
    q = np.clip((1.0 - base.survival) * scenario.mortality_factor, 0.0, 1.0)
    model = CohortComponentModel(
        base.regions,
        base.base_year,
        base.population,
        fertility=np.clip(base.fertility * scenario.fertility_factor, 0.0, 1.0),
        survival=1.0 - q,
        out_migration=np.clip(base.out_migration * f_out, 0.0, 1.0),
        in_migration=in_migration,
        net_migration=base.net_migration * f_in,
        boys_per_girl=base.boys_per_girl,
        scenario=scenario.name,
        parameters={**base.parameters, "scenario": scenario.model_dump(mode="json")},
    )
    result = model.project(steps)
    capped = float(result.capped.sum())
    if capped > 0.5:
        notes.append(
            f"{capped:,.0f} Personen mussten gekappt werden, um negative Zahlen zu meiden."
        )
    columns = ["employer", "kind", "ags", "year", "persons"]
    frame = pd.concat(arrivals, ignore_index=True)[columns] if arrivals else pd.DataFrame()
    return ScenarioRun(scenario, result, notes, frame)


def save_projection(workspace: Workspace, run: ScenarioRun) -> TableRecord:
    """Replace the rows of ``run``'s scenario in the table ``projection`` (other scenarios stay)."""
    frame = run.result.population()
    if workspace.has("projection"):
        old = workspace.load("projection")
        frame = pd.concat([old[old["scenario"] != run.scenario.name], frame], ignore_index=True)
    sources = workspace.provenance("population")
    provenance = sources.derived(
        "regiowerk Bevölkerungsvorausberechnung (Kohorten-Komponenten-Modell)",
        synthetic=workspace.synthetic,
        notes="Szenarien: "
        + json.dumps({run.scenario.name: run.scenario.model_dump(mode="json")}, ensure_ascii=False)
        + (" " + " ".join(run.notes) if run.notes else ""),
    )
    return workspace.save("projection", frame, provenance)
