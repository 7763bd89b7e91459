"""The synthetic demo region "Musterregion (synthetisch)": all canonical tables from one seed.

:func:`generate_demo` builds 48 municipalities in three Kreise of two Länder (Niedersachsen and
Sachsen-Anhalt) with a road network, population 2019–2023 with its births, deaths and moves,
households, dwellings, jobs, commuters, facilities, a 1 km population grid and local access
roads to its populated cells. Every step has its own random stream spawned from
``numpy.random.default_rng(seed)``, so the same seed gives identical tables. The method of each
step is documented in its module (``geography``, ``network``, ``demography``, ``housing``,
``economy``, ``facilities``, ``grid``); the calibration facts are in ``calibration.toml``. See
``docs/demo.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.demo.calibration import calibration_note, load_calibration
from regiowerk.demo.demography import BASE_YEAR, FIRST_YEAR, build_demography, population_totals
from regiowerk.demo.economy import build_economy
from regiowerk.demo.facilities import build_facilities
from regiowerk.demo.geography import build_territory
from regiowerk.demo.grid import build_grid
from regiowerk.demo.housing import build_housing
from regiowerk.demo.names import KREIS_NAMES, REGION_NAME
from regiowerk.demo.network import add_local_roads, build_network
from regiowerk.provenance import Provenance
from regiowerk.schema import validate
from regiowerk.workspace import Workspace

STEPS: tuple[str, ...] = (
    "Gemeinden und Grenzen",
    "Straßennetz",
    "Bevölkerung, Geburten, Sterbefälle und Wanderungen",
    "Haushalte und Wohnungen",
    "Beschäftigte und Pendler",
    "Einrichtungen der Daseinsvorsorge",
    "Bevölkerungsraster",
    "Gemeindeverbindungs- und Erschließungsstraßen",
    "Prüfung gegen das Schema",
)
"""German descriptions of the generation steps; ``progress`` is called with each in turn."""

LICENCE = "MIT (synthetische Daten von regiowerk)"
ATTRIBUTION = "Synthetische Daten, erzeugt mit regiowerk (regiowerk.demo) – keine amtlichen Zahlen."
GEBIETSSTAND = "2023-12-31"

_TABLE_NOTES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "municipalities": (
        "Voronoi-Zellen fiktiver Orte, auf einen Regionsumriss zugeschnitten; zentralörtliche "
        "Stufen frei gesetzt.",
        (),
        False,
    ),
    "kreise": ("Vereinigung der Gemeinden je Kreis.", (), False),
    "population": (
        "Startbestand 2019 aus der kalibrierten Altersstruktur, 2020–2023 exakt fortgeschrieben "
        "aus Geburten, Sterbefällen und Wanderungen (Alter = Jahr − Geburtsjahr).",
        ("age_structure", "fertility", "mortality", "migration"),
        True,
    ),
    "population_totals": (
        "Summen der Tabelle Bevölkerung je Gemeinde und Jahr (31.12.).",
        ("age_structure",),
        True,
    ),
    "births": (
        "Poisson-Ziehungen aus altersspezifischen Geburtenziffern.",
        ("fertility",),
        True,
    ),
    "deaths": (
        "Poisson-Ziehungen aus Sterbewahrscheinlichkeiten (log-linear interpoliert).",
        ("mortality",),
        True,
    ),
    "migration": (
        "Zu- und Fortzüge über die Gemeindegrenze, Poisson-Ziehungen aus einem "
        "Rogers-Castro-Altersprofil.",
        ("migration",),
        True,
    ),
    "rates": (
        "Vom Generator verwendete Basisraten (bundesweite Tafeln, für beide Länder gleich).",
        ("fertility", "mortality"),
        False,
    ),
    "households": (
        "Haushaltsgrößen nach Zentralität geneigt; Haushalte × Größe ≤ Einwohner.",
        ("households",),
        True,
    ),
    "dwellings": (
        "Wohnungen = Haushalte + Leerstand (3–8 %, höher in schrumpfenden Orten); bewohnte "
        "Wohnungen = Haushalte.",
        ("dwellings",),
        False,
    ),
    "employment": (
        "Arbeitsplätze 2018 und 2023 nach Abschnitten A–U; Aufteilung der Abschnittsgruppen "
        "angenommen; geschlossener Arbeitsmarkt (Arbeitsplätze = Beschäftigte am Wohnort).",
        ("employment", "labour_market"),
        False,
    ),
    "commuters": (
        "Binnenpendler je Gemeinde gesetzt, übrige Ströme aus einem doppelt beschränkten "
        "Gravitationsmodell mit Pkw-Fahrzeiten; ganzzahlig mit erhaltenen Randsummen; keine "
        "Geheimhaltung.",
        ("labour_market",),
        False,
    ),
    "facilities": (
        "Standorte nach Faustregeln je Einwohnerzahl und Zentralität, Kapazitäten angenommen.",
        (),
        False,
    ),
    "grid": (
        "1-km-Gitter (INSPIRE, EPSG:3035) nach Zensus-Konvention; Einwohner je Gemeinde exakt.",
        (),
        True,
    ),
    "roads": (
        "Gabriel-Graph der Orte mit Straßenhierarchie und einer Autobahn, an den Knickpunkten "
        "geteilt; dazu unbenannte Gemeindeverbindungs- und Erschließungsstraßen (40 km/h) zu "
        "den bewohnten Rasterzellen (Gabriel-Graph, Kanten unter 2,5 km plus minimaler "
        "Spannbaum); Namen frei erfunden.",
        (),
        False,
    ),
}


@dataclass(frozen=True)
class DemoRegion:
    """The generated region: validated canonical tables and their provenance."""

    name: str
    base_year: int
    selection: tuple[str, ...]
    tables: dict[str, pd.DataFrame]
    provenance: dict[str, Provenance]


def generate_demo(seed: int = 2026, *, progress: Callable[[str], None] | None = None) -> DemoRegion:
    """Generate the Musterregion deterministically from ``seed``.

    ``progress`` is called with the German description of each step of :data:`STEPS` before
    the step runs. Every table is validated against :mod:`regiowerk.schema` and returned in its
    canonical types, sorted by its key.
    """
    report = progress or (lambda _step: None)
    streams = iter(np.random.default_rng(seed).spawn(len(STEPS) - 1))
    cal = load_calibration()
    tables: dict[str, pd.DataFrame] = {}

    report(STEPS[0])
    territory = build_territory(next(streams))
    places = territory.places
    tables["municipalities"] = territory.municipalities
    tables["kreise"] = territory.kreise

    report(STEPS[1])
    network = build_network(next(streams), places, territory.outline)
    tables["roads"] = network.roads

    report(STEPS[2])
    demography = build_demography(next(streams), places, cal)
    population = demography.population
    tables.update(
        population=population,
        population_totals=population_totals(population),
        births=demography.births,
        deaths=demography.deaths,
        migration=demography.migration,
        rates=demography.rates,
    )

    report(STEPS[3])
    housing = build_housing(next(streams), places, population, cal, BASE_YEAR, FIRST_YEAR)
    tables.update(households=housing.households, dwellings=housing.dwellings)

    report(STEPS[4])
    economy = build_economy(next(streams), places, population, network.minutes, cal, BASE_YEAR)
    tables.update(employment=economy.employment, commuters=economy.commuters)

    report(STEPS[5])
    tables["facilities"] = build_facilities(
        next(streams), places, territory.municipalities, population, BASE_YEAR
    )

    report(STEPS[6])
    tables["grid"] = build_grid(
        next(streams), places, territory.municipalities, population, BASE_YEAR
    )

    report(STEPS[7])
    tables["roads"] = add_local_roads(next(streams), network.roads, tables["grid"])

    report(STEPS[8])
    validated = {name: validate(name, tables[name], source=REGION_NAME) for name in sorted(tables)}
    return DemoRegion(
        name=REGION_NAME,
        base_year=BASE_YEAR,
        selection=tuple(KREIS_NAMES),
        tables=validated,
        provenance={name: _provenance(name, seed) for name in validated},
    )


def _provenance(table: str, seed: int) -> Provenance:
    """Provenance of a generated table: synthetic, MIT, with method and calibration notes."""
    method, blocks, population_based = _TABLE_NOTES[table]
    notes = method + (" " + calibration_note(*blocks) if blocks else "")
    return Provenance(
        source=f"regiowerk Demo-Generator: {REGION_NAME}, Seed {seed}",
        licence=LICENCE,
        attribution=ATTRIBUTION,
        gebietsstand=GEBIETSSTAND,
        census_basis="zensus2022" if population_based else None,
        synthetic=True,
        notes=notes,
    )


def save_demo(
    region: DemoRegion,
    path: Path,
    *,
    overwrite: bool = False,
    only: Sequence[str] | None = None,
    extra: Mapping[str, tuple[pd.DataFrame, Provenance]] | None = None,
) -> Workspace:
    """Save ``region`` as a synthetic workspace in ``path`` (all tables, or ``only`` these),
    together with ``extra`` tables (e.g. a projection)."""
    workspace = Workspace.create(
        path,
        name=region.name,
        selection=region.selection,
        base_year=region.base_year,
        synthetic=True,
        overwrite=overwrite,
    )
    names = list(only) if only is not None else list(region.tables)
    tables = {name: (region.tables[name], region.provenance[name]) for name in names}
    workspace.save_many({**tables, **(extra or {})})
    return workspace
