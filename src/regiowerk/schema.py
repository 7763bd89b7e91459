"""Canonical tables of a region workspace, defined once and used everywhere.

Each table is a :class:`TableSpec`: its columns with type, rules, a German title (used for XLSX
headers and reports) and an English description, its key columns and, for spatial tables, the
geometry type. :meth:`TableSpec.pandera` builds the pandera schema from it, so importers, models
and tests validate against one definition. :func:`validate` turns pandera's failure table into a
:class:`~regiowerk.errors.SchemaViolation` whose lines name row, column, value and rule.

Conventions (``DESIGN.md`` §3): keys are strings (``ags`` 8 digits, ``kreis`` 5, ``land`` 2,
``region`` any of those), sex is ``m``/``f``, age 100 stands for 100 and older, household size 5
for 5 and more persons, rooms 7 for 7 and more rooms, coordinates in EPSG:25832. Age bands are
written as ``age_from``/``age_to`` (inclusive); a single year has ``age_from == age_to``.
Optional ``flag`` columns keep GENESIS placeholders (``-`` ``.`` ``x`` ``/`` ``...``) next to a
missing value instead of turning them into zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.engines.geopandas_engine import Geometry

from regiowerk.errors import SchemaViolation, UnknownTableError
from regiowerk.provenance import CENSUS_BASES

CRS = "EPSG:25832"
"""Coordinate reference system of every spatial table (ETRS89 / UTM zone 32N)."""

AGS_PATTERN = r"^[0-9]{8}$"
KREIS_PATTERN = r"^[0-9]{5}$"
LAND_PATTERN = r"^[0-9]{2}$"
REGION_PATTERN = r"^([0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{8}|DG)$"
FLOW_PATTERN = r"^([0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{8}|DG|XA)$"
SEXES = ("m", "f")
MAX_AGE = 100
CENTRALITIES = ("none", "grund", "mittel", "ober")
FACILITY_KINDS = (
    "gp",
    "pharmacy",
    "primary_school",
    "secondary_school",
    "hospital",
    "supermarket",
    "kindergarten",
    "pt_stop",
)
ROAD_CLASSES = ("motorway", "federal", "state", "district", "local")
RATE_KINDS = ("fertility", "mortality", "survival", "in_migration", "out_migration")
GENESIS_FLAGS = ("-", ".", "x", "/", "...")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table."""

    name: str
    dtype: Any
    title: str
    description: str
    checks: tuple[pa.Check, ...] = ()
    nullable: bool = False
    required: bool = True


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: columns, key, optional geometry, and German wording."""

    name: str
    title: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    geometry: str | None = None
    table_checks: tuple[pa.Check, ...] = field(default=())

    @property
    def spatial(self) -> bool:
        return self.geometry is not None

    @property
    def column_names(self) -> list[str]:
        names = [c.name for c in self.columns]
        return [*names, "geometry"] if self.spatial else names

    @property
    def titles(self) -> dict[str, str]:
        """German header for every column (``geometry`` → ``Geometrie``)."""
        titles = {c.name: c.title for c in self.columns}
        if self.spatial:
            titles["geometry"] = "Geometrie"
        return titles

    def pandera(self) -> pa.DataFrameSchema:
        """The pandera schema: strict columns, coercion, key uniqueness, CRS for geometry."""
        columns: dict[str, pa.Column] = {
            c.name: pa.Column(
                c.dtype,
                checks=list(c.checks),
                nullable=c.nullable,
                required=c.required,
                coerce=True,
                title=c.title,
                description=c.description,
            )
            for c in self.columns
        }
        if self.spatial:
            columns["geometry"] = pa.Column(
                Geometry(crs=CRS),
                checks=[
                    pa.Check(_valid_geometry, element_wise=False, error="gültige Geometrie"),
                    pa.Check(
                        _geometry_type(self.geometry or ""),
                        element_wise=False,
                        error=f"Geometrietyp {self.geometry}",
                    ),
                ],
                nullable=False,
                title="Geometrie",
            )
        return pa.DataFrameSchema(
            columns,
            checks=list(self.table_checks),
            strict=True,
            unique=list(self.key) or None,
            name=self.name,
            title=self.title,
            description=self.description,
        )


def _valid_geometry(series: pd.Series) -> pd.Series:
    return series.notna() & series.is_valid & ~series.is_empty


def _geometry_type(kind: str) -> Callable[[pd.Series], pd.Series]:
    allowed = {
        "Polygon": {"Polygon", "MultiPolygon"},
        "Point": {"Point"},
        "LineString": {"LineString", "MultiLineString"},
    }[kind]

    def check(series: pd.Series) -> pd.Series:
        return series.geom_type.isin(allowed)

    return check


def _str(pattern: str) -> tuple[pa.Check, ...]:
    return (pa.Check.str_matches(pattern),)


def _nonneg() -> tuple[pa.Check, ...]:
    return (pa.Check.ge(0),)


def _sums_to(parts: tuple[str, ...], total: str, *, scale: str, name: str) -> pa.Check:
    """Row check ``Σ parts = total`` (a part written ``-col`` is subtracted), to within
    ``1e-6 · (1 + |scale|)`` for floating-point rounding."""

    def check(df: pd.DataFrame) -> pd.Series:
        summed = sum(-df[p[1:]] if p.startswith("-") else df[p] for p in parts)
        return (summed - df[total]).abs() <= 1e-6 * (1.0 + df[scale].abs())

    formula = " ".join(
        (f"− {p[1:]}" if p.startswith("-") else f"+ {p}") for p in parts
    ).removeprefix("+ ")
    return pa.Check(check, error=f"{formula} = {total}", name=name)


def _ags() -> ColumnSpec:
    return ColumnSpec("ags", str, "AGS", "Municipality (or Kreis key)", _str(REGION_PATTERN))


def _scenario() -> ColumnSpec:
    return ColumnSpec("scenario", str, "Szenario", "Name of the scenario")


def _year() -> ColumnSpec:
    return ColumnSpec(
        "year",
        "int64",
        "Jahr",
        "Reference year (31.12. for stocks, calendar year for flows)",
        (pa.Check.in_range(1950, 2100),),
    )


def _sex() -> ColumnSpec:
    return ColumnSpec("sex", str, "Geschlecht", "m = male, f = female", (pa.Check.isin(SEXES),))


def _age() -> ColumnSpec:
    return ColumnSpec(
        "age",
        "int64",
        "Alter",
        "Completed years; 100 = 100 and older",
        (pa.Check.in_range(0, MAX_AGE),),
    )


def _age_band(title: str = "Alter") -> tuple[ColumnSpec, ColumnSpec]:
    return (
        ColumnSpec(
            "age_from",
            "int64",
            f"{title} von",
            "Lower age of the band (completed years)",
            (pa.Check.in_range(0, MAX_AGE),),
        ),
        ColumnSpec(
            "age_to",
            "int64",
            f"{title} bis",
            "Upper age of the band, inclusive; 100 = open-ended",
            (pa.Check.in_range(0, MAX_AGE),),
        ),
    )


def _flag() -> ColumnSpec:
    return ColumnSpec(
        "flag",
        str,
        "Kennzeichen",
        "GENESIS placeholder of a missing value (- . x / ...), empty otherwise",
        (pa.Check.isin(GENESIS_FLAGS),),
        nullable=True,
        required=False,
    )


def _census_basis() -> ColumnSpec:
    return ColumnSpec(
        "census_basis",
        str,
        "Zensusbasis",
        "pre2011, zensus2011 or zensus2022: the census the stock figure is based on",
        (pa.Check.isin(CENSUS_BASES),),
    )


def _region() -> ColumnSpec:
    return ColumnSpec(
        "region", str, "Region", "Land (2), Kreis (5) or AGS (8) key", _str(REGION_PATTERN)
    )


_band_order = pa.Check(
    lambda df: df["age_from"] <= df["age_to"], error="age_from ≤ age_to", name="age_band_order"
)

TABLES: dict[str, TableSpec] = {}


def _register(spec: TableSpec) -> TableSpec:
    TABLES[spec.name] = spec
    return spec


MUNICIPALITIES = _register(
    TableSpec(
        "municipalities",
        "Gemeinden",
        "Municipalities with boundaries and centrality",
        (
            ColumnSpec(
                "ags", str, "AGS", "Amtlicher Gemeindeschlüssel (8 digits)", _str(AGS_PATTERN)
            ),
            ColumnSpec("name", str, "Gemeinde", "Official name"),
            ColumnSpec("kreis", str, "Kreis", "Kreis key (5 digits)", _str(KREIS_PATTERN)),
            ColumnSpec("land", str, "Land", "Land key (2 digits)", _str(LAND_PATTERN)),
            ColumnSpec("area_km2", "float64", "Fläche (km²)", "Land area", (pa.Check.gt(0),)),
            ColumnSpec(
                "centrality",
                str,
                "Zentralörtliche Stufe",
                "none, grund, mittel or ober (Zentraler Ort)",
                (pa.Check.isin(CENTRALITIES),),
                nullable=True,
            ),
        ),
        key=("ags",),
        geometry="Polygon",
        table_checks=(
            pa.Check(
                lambda df: df["kreis"] == df["ags"].str[:5],
                error="kreis = ags[:5]",
                name="kreis_matches_ags",
            ),
            pa.Check(
                lambda df: df["land"] == df["ags"].str[:2],
                error="land = ags[:2]",
                name="land_matches_ags",
            ),
        ),
    )
)

KREISE = _register(
    TableSpec(
        "kreise",
        "Kreise",
        "Kreise and kreisfreie Städte with names",
        (
            ColumnSpec("kreis", str, "Kreis", "Kreis key (5 digits)", _str(KREIS_PATTERN)),
            ColumnSpec("name", str, "Name", "Official name including its type"),
            ColumnSpec("land", str, "Land", "Land key (2 digits)", _str(LAND_PATTERN)),
        ),
        key=("kreis",),
        geometry="Polygon",
    )
)

POPULATION = _register(
    TableSpec(
        "population",
        "Bevölkerung",
        "Population by single year of age and sex on 31.12.",
        (
            ColumnSpec("ags", str, "AGS", "Municipality", _str(AGS_PATTERN)),
            _year(),
            _sex(),
            _age(),
            ColumnSpec("persons", "int64", "Personen", "Inhabitants", _nonneg()),
        ),
        key=("ags", "year", "sex", "age"),
    )
)

BIRTHS = _register(
    TableSpec(
        "births",
        "Geburten",
        "Live births by age band of the mother and sex of the child",
        (
            _region(),
            _year(),
            *_age_band("Alter der Mutter"),
            _sex(),
            ColumnSpec(
                "births", "float64", "Lebendgeborene", "Live births", _nonneg(), nullable=True
            ),
            _flag(),
        ),
        key=("region", "year", "age_from", "age_to", "sex"),
        table_checks=(_band_order,),
    )
)

DEATHS = _register(
    TableSpec(
        "deaths",
        "Sterbefälle",
        "Deaths by age band and sex",
        (
            _region(),
            _year(),
            *_age_band(),
            _sex(),
            ColumnSpec("deaths", "float64", "Gestorbene", "Deaths", _nonneg(), nullable=True),
            _flag(),
        ),
        key=("region", "year", "age_from", "age_to", "sex"),
        table_checks=(_band_order,),
    )
)

MIGRATION = _register(
    TableSpec(
        "migration",
        "Wanderungen",
        "Moves across the region's border (in = Zuzüge, out = Fortzüge) by age band and sex",
        (
            _region(),
            _year(),
            ColumnSpec("direction", str, "Richtung", "in or out", (pa.Check.isin(("in", "out")),)),
            *_age_band(),
            _sex(),
            ColumnSpec("persons", "float64", "Personen", "Movers", _nonneg(), nullable=True),
            _flag(),
        ),
        key=("region", "year", "direction", "age_from", "age_to", "sex"),
        table_checks=(_band_order,),
    )
)

RATES = _register(
    TableSpec(
        "rates",
        "Raten",
        "Demographic rates by single year of age (fertility per woman, probabilities)",
        (
            _region(),
            _year(),
            ColumnSpec("kind", str, "Art", ", ".join(RATE_KINDS), (pa.Check.isin(RATE_KINDS),)),
            _sex(),
            _age(),
            ColumnSpec("value", "float64", "Wert", "Rate", (pa.Check.ge(0),)),
        ),
        key=("region", "year", "kind", "sex", "age"),
    )
)

HOUSEHOLDS = _register(
    TableSpec(
        "households",
        "Haushalte",
        "Private households by size (5 = five or more persons)",
        (
            _region(),
            _year(),
            _census_basis(),
            ColumnSpec(
                "size",
                "int64",
                "Haushaltsgröße",
                "Persons; 5 = 5 and more",
                (pa.Check.in_range(1, 5),),
            ),
            ColumnSpec(
                "households", "Int64", "Haushalte", "Private households", _nonneg(), nullable=True
            ),
            _flag(),
        ),
        key=("region", "year", "size"),
    )
)

DWELLINGS = _register(
    TableSpec(
        "dwellings",
        "Wohnungen",
        "Dwellings by number of rooms incl. kitchen (7 = seven or more)",
        (
            _region(),
            _year(),
            _census_basis(),
            ColumnSpec(
                "rooms",
                "int64",
                "Räume",
                "Rooms incl. kitchen; 7 = 7 and more",
                (pa.Check.in_range(1, 7),),
            ),
            ColumnSpec("dwellings", "Int64", "Wohnungen", "Dwellings", _nonneg(), nullable=True),
            ColumnSpec(
                "occupied",
                "Int64",
                "bewohnt",
                "Occupied dwellings; missing where the source has no vacancy",
                _nonneg(),
                nullable=True,
            ),
            _flag(),
        ),
        key=("region", "year", "rooms"),
        table_checks=(
            pa.Check(
                lambda df: (df["occupied"] <= df["dwellings"]).fillna(True).astype(bool),
                error="occupied ≤ dwellings",
                name="occupied_le_dwellings",
            ),
        ),
    )
)

COMMUTERS = _register(
    TableSpec(
        "commuters",
        "Pendler",
        "Employees by place of residence (origin) and place of work (destination). Remainder "
        "rows ('Übrige …') have remainder = True and the enclosing region as destination "
        "(Kreis, Land, DG = rest of Germany, XA = abroad).",
        (
            ColumnSpec("origin", str, "Wohnort", "Residence key", _str(FLOW_PATTERN)),
            ColumnSpec("dest", str, "Arbeitsort", "Workplace key", _str(FLOW_PATTERN)),
            _year(),
            ColumnSpec(
                "persons",
                "float64",
                "Personen",
                "Commuters; missing where suppressed",
                _nonneg(),
                nullable=True,
            ),
            ColumnSpec("suppressed", "bool", "geheim", "Cell suppressed by the publisher (* or X)"),
            ColumnSpec(
                "remainder", "bool", "Übrige", "Remainder row of flows below the publication limit"
            ),
        ),
        key=("origin", "dest", "year", "remainder"),
    )
)

EMPLOYMENT = _register(
    TableSpec(
        "employment",
        "Beschäftigte",
        "Employees subject to social insurance at the workplace by WZ 2008 section",
        (
            _region(),
            _year(),
            ColumnSpec(
                "sector",
                str,
                "Wirtschaftsabschnitt",
                "WZ 2008 section (A–U) or group (B-F)",
                _str(r"^[A-U](-[A-U])?$"),
            ),
            ColumnSpec("persons", "float64", "Beschäftigte", "Employees", _nonneg(), nullable=True),
            _flag(),
        ),
        key=("region", "year", "sector"),
    )
)

FACILITIES = _register(
    TableSpec(
        "facilities",
        "Einrichtungen",
        "Facilities of Daseinsvorsorge with capacity",
        (
            ColumnSpec("facility_id", str, "ID", "Stable identifier"),
            ColumnSpec(
                "kind", str, "Art", ", ".join(FACILITY_KINDS), (pa.Check.isin(FACILITY_KINDS),)
            ),
            ColumnSpec("name", str, "Name", "Name of the facility"),
            ColumnSpec(
                "ags", str, "AGS", "Municipality of the site", _str(AGS_PATTERN), nullable=True
            ),
            ColumnSpec(
                "capacity",
                "float64",
                "Kapazität",
                "Size in capacity_unit",
                _nonneg(),
                nullable=True,
            ),
            ColumnSpec("capacity_unit", str, "Einheit", "Unit of capacity", nullable=True),
            ColumnSpec(
                "departments",
                str,
                "Fachabteilungen",
                "Hospital departments separated by ';'",
                nullable=True,
            ),
        ),
        key=("facility_id",),
        geometry="Point",
    )
)

GRID = _register(
    TableSpec(
        "grid",
        "Bevölkerungsraster",
        "Population on the INSPIRE grid (cells in EPSG:3035, stored projected to EPSG:25832)",
        (
            ColumnSpec(
                "cell_id",
                str,
                "Gitterzelle",
                "INSPIRE grid id, e.g. CRS3035RES1000mN3250000E4150000",
                _str(r"^CRS3035RES[0-9]+mN[0-9]+E[0-9]+$"),
            ),
            ColumnSpec(
                "ags",
                str,
                "AGS",
                "Municipality of the cell centre (missing before assignment)",
                _str(AGS_PATTERN),
                nullable=True,
            ),
            ColumnSpec("persons", "int64", "Einwohner", "Inhabitants", _nonneg()),
        ),
        key=("cell_id",),
        geometry="Polygon",
    )
)

ROADS = _register(
    TableSpec(
        "roads",
        "Straßennetz",
        "Road network edges between numbered nodes",
        (
            ColumnSpec("edge_id", "int64", "Kante", "Edge identifier"),
            ColumnSpec("from_node", "int64", "von Knoten", "Start node"),
            ColumnSpec("to_node", "int64", "bis Knoten", "End node"),
            ColumnSpec(
                "road_class",
                str,
                "Straßenklasse",
                ", ".join(ROAD_CLASSES),
                (pa.Check.isin(ROAD_CLASSES),),
            ),
            ColumnSpec("name", str, "Bezeichnung", "Road number or name", nullable=True),
            ColumnSpec(
                "speed_kmh",
                "float64",
                "Geschwindigkeit (km/h)",
                "Typical car speed",
                (pa.Check.gt(0),),
            ),
            ColumnSpec("length_m", "float64", "Länge (m)", "Length", (pa.Check.gt(0),)),
            ColumnSpec("oneway", "bool", "Einbahn", "Only from_node → to_node"),
        ),
        key=("edge_id",),
        geometry="LineString",
    )
)


PROJECTION = _register(
    TableSpec(
        "projection",
        "Bevölkerungsvorausberechnung",
        "Projected population by single year of age and sex on 31.12., per scenario",
        (
            _ags(),
            _year(),
            _sex(),
            _age(),
            ColumnSpec("persons", "float64", "Personen", "Projected inhabitants", _nonneg()),
            _scenario(),
        ),
        key=("ags", "year", "sex", "age", "scenario"),
    )
)


HOUSING_DEMAND = _register(
    TableSpec(
        "housing_demand",
        "Wohnungsbedarf",
        "Housing demand per municipality, year, scenario and dwelling size class (rooms incl. "
        "kitchen). additional + replacement + catch_up − usable_vacancy = total (negative: "
        "surplus); stock is the base-year stock net of losses without new construction, gap = "
        "required − stock",
        (
            _ags(),
            _year(),
            _scenario(),
            ColumnSpec(
                "size_class",
                str,
                "Wohnungsgröße",
                "Rooms incl. kitchen: 1-2, 3, 4, 5+",
                (pa.Check.isin(["1-2", "3", "4", "5+"]),),
            ),
            ColumnSpec("additional", "float64", "Zusatzbedarf", "Change of required dwellings"),
            ColumnSpec(
                "replacement", "float64", "Ersatzbedarf", "Replacement of losses", _nonneg()
            ),
            ColumnSpec("catch_up", "float64", "Nachholbedarf", "Base-year shortage", _nonneg()),
            ColumnSpec(
                "usable_vacancy",
                "float64",
                "aktivierter Leerstand",
                "Surplus vacancy brought back to use",
                _nonneg(),
            ),
            ColumnSpec("total", "float64", "Neubaubedarf", "Yearly demand (negative: surplus)"),
            ColumnSpec("stock", "float64", "Bestand", "Existing stock net of losses", _nonneg()),
            ColumnSpec("gap", "float64", "Lücke", "Required dwellings − stock"),
            ColumnSpec(
                "required",
                "float64",
                "benötigte Wohnungen",
                "Dwellings for the households plus fluctuation reserve",
                _nonneg(),
            ),
        ),
        key=("ags", "year", "scenario", "size_class"),
        table_checks=(
            _sums_to(
                ("additional", "replacement", "catch_up", "-usable_vacancy"),
                "total",
                scale="required",
                name="demand_identity",
            ),
        ),
    )
)

HOUSEHOLD_PROJECTION = _register(
    TableSpec(
        "household_projection",
        "Haushaltsvorausberechnung",
        "Projected private households by size (5 = five or more persons) per scenario; "
        "in_movers is the part formed by employers' in-movers",
        (
            _ags(),
            _year(),
            _scenario(),
            ColumnSpec(
                "size",
                "int64",
                "Haushaltsgröße",
                "Persons; 5 = 5 and more",
                (pa.Check.in_range(1, 5),),
            ),
            ColumnSpec("households", "float64", "Haushalte", "Private households", _nonneg()),
            ColumnSpec("in_movers", "float64", "davon Zuziehende", "Of which in-movers", _nonneg()),
        ),
        key=("ags", "year", "scenario", "size"),
    )
)


ACCESS_MODES = ("car", "walk", "bike")
ACCESS_THRESHOLDS = (10, 15, 20, 30, 40, 60)
"""Minutes for the shares within reach in ``access_summary``."""


def _minutes(name: str, title: str, description: str) -> ColumnSpec:
    return ColumnSpec(name, "float64", title, description, _nonneg(), nullable=True)


ACCESS = _register(
    TableSpec(
        "access",
        "Erreichbarkeit",
        "Travel time from every origin (grid cell or municipality) to the nearest and "
        "second-nearest destination of a service, incl. walking legs to and from the network; "
        "missing where no route exists",
        (
            ColumnSpec("origin_id", str, "Ausgangsort", "Grid cell id or AGS"),
            ColumnSpec("ags", str, "AGS", "Municipality of the origin", _str(REGION_PATTERN)),
            ColumnSpec("service", str, "Dienst", "Service (standards.toml)"),
            ColumnSpec(
                "mode", str, "Verkehrsmittel", "car, walk, bike", (pa.Check.isin(ACCESS_MODES),)
            ),
            _minutes("minutes", "Minuten", "Time to the nearest destination"),
            ColumnSpec("facility_id", str, "nächstes Ziel", "Nearest destination", nullable=True),
            _minutes("second_minutes", "Minuten (zweitnächstes)", "Time to the second-nearest"),
            ColumnSpec(
                "second_facility_id",
                str,
                "zweitnächstes Ziel",
                "Second-nearest destination",
                nullable=True,
            ),
            ColumnSpec("persons", "float64", "Einwohner", "Inhabitants", _nonneg()),
            ColumnSpec(
                "women_15_49",
                "float64",
                "Frauen 15–49",
                "Women aged 15–49 (estimated from the municipality's age structure)",
                _nonneg(),
                nullable=True,
            ),
            ColumnSpec("snap_m", "float64", "Abstand zum Netz (m)", "Snapping distance", _nonneg()),
            ColumnSpec(
                "supply_ratio",
                "float64",
                "Versorgung je 1.000 Einw. (E2SFCA)",
                "Enhanced two-step floating catchment ratio",
                _nonneg(),
                nullable=True,
            ),
        ),
        key=("origin_id", "service", "mode"),
    )
)

ACCESS_SUMMARY = _register(
    TableSpec(
        "access_summary",
        "Erreichbarkeit je Gemeinde",
        "Population-weighted accessibility per municipality, service and mode",
        (
            _ags(),
            ColumnSpec("service", str, "Dienst", "Service (standards.toml)"),
            ColumnSpec(
                "mode", str, "Verkehrsmittel", "car, walk, bike", (pa.Check.isin(ACCESS_MODES),)
            ),
            ColumnSpec("persons", "float64", "Einwohner", "Inhabitants", _nonneg()),
            ColumnSpec(
                "unreached", "float64", "ohne Weg", "Inhabitants without a route", _nonneg()
            ),
            _minutes("mean_minutes", "Minuten (Mittel)", "Population-weighted mean time"),
            _minutes("max_minutes", "Minuten (Maximum)", "Longest time of an origin"),
            *(
                ColumnSpec(
                    f"share_{limit}",
                    "float64",
                    f"Anteil ≤ {limit} min",
                    f"Share of inhabitants within {limit} minutes",
                    (pa.Check.in_range(0, 1),),
                    nullable=True,
                )
                for limit in ACCESS_THRESHOLDS
            ),
            ColumnSpec(
                "supply_ratio",
                "float64",
                "Versorgung je 1.000 Einw. (E2SFCA)",
                "Population-weighted E2SFCA ratio",
                _nonneg(),
                nullable=True,
            ),
        ),
        key=("ags", "service", "mode"),
    )
)


def _key(title: str = "Region") -> ColumnSpec:
    return ColumnSpec("region", str, title, "Municipality, Kreis or Land key", _str(REGION_PATTERN))


def _share(name: str, title: str, description: str) -> ColumnSpec:
    return ColumnSpec(
        name, "float64", title, description, (pa.Check.in_range(0, 1),), nullable=True
    )


COMMUTING = _register(
    TableSpec(
        "commuting",
        "Pendlerbilanz",
        "Commuting per region and year: employees living (residents) and working (jobs) there, "
        "in-, out- and internal commuters, balance, self-containment and the share of "
        "commuters crossing a Land border",
        (
            _key(),
            _year(),
            ColumnSpec(
                "residents", "float64", "Wohnortbeschäftigte", "Employed residents", _nonneg()
            ),
            ColumnSpec("jobs", "float64", "Arbeitsortbeschäftigte", "Jobs", _nonneg()),
            ColumnSpec(
                "internal", "float64", "Binnenpendler", "Living and working here", _nonneg()
            ),
            ColumnSpec("in_commuters", "float64", "Einpendler", "In-commuters", _nonneg()),
            ColumnSpec("out_commuters", "float64", "Auspendler", "Out-commuters", _nonneg()),
            ColumnSpec("balance", "float64", "Pendlersaldo", "In − out"),
            _share("sc_supply", "Eigenversorgung Wohnort", "internal / residents"),
            _share("sc_demand", "Eigenversorgung Arbeitsort", "internal / jobs"),
            _share(
                "cross_land",
                "Anteil über Landesgrenzen",
                "Share of in- and out-commuters whose other end is in another Land",
            ),
            ColumnSpec("main_destination", str, "Hauptziel", "Largest out-flow", nullable=True),
        ),
        key=("region", "year"),
    )
)

FUNCTIONAL_REGIONS = _register(
    TableSpec(
        "functional_regions",
        "Funktionale Regionen",
        "Assignment of municipalities or Kreise to functional regions (travel-to-work areas "
        "or communities) per method",
        (
            _key("Gebiet"),
            ColumnSpec("method", str, "Verfahren", "ttwa, ttwa-ons, leiden …"),
            ColumnSpec(
                "region_id", str, "Funktionale Region", "Identifier of the functional region"
            ),
        ),
        key=("region", "method"),
    )
)

FUNCTIONAL_REGION_QUALITY = _register(
    TableSpec(
        "functional_region_quality",
        "Güte der funktionalen Regionen",
        "Size, self-containment and Land crossings of every functional region",
        (
            ColumnSpec(
                "region_id", str, "Funktionale Region", "Identifier of the functional region"
            ),
            ColumnSpec("method", str, "Verfahren", "ttwa, ttwa-ons, leiden …"),
            ColumnSpec("members", "int64", "Gebiete", "Number of member areas", _nonneg()),
            ColumnSpec(
                "residents", "float64", "Wohnortbeschäftigte", "Employed residents", _nonneg()
            ),
            ColumnSpec("jobs", "float64", "Arbeitsortbeschäftigte", "Jobs", _nonneg()),
            _share("sc_supply", "Eigenversorgung Wohnort", "internal / residents"),
            _share("sc_demand", "Eigenversorgung Arbeitsort", "internal / jobs"),
            ColumnSpec("meets", "bool", "erfüllt", "Meets both self-containment thresholds"),
            ColumnSpec("lands", str, "Länder", "Länder of the member areas, ';'-separated"),
        ),
        key=("region_id", "method"),
    )
)

SHIFT_SHARE = _register(
    TableSpec(
        "shift_share",
        "Shift-Share-Analyse",
        "Classic shift-share of employment change per region and sector: national + "
        "industry_mix + competitive = total (exactly)",
        (
            _key(),
            ColumnSpec("sector", str, "Wirtschaftszweig", "Sector or occupation group"),
            ColumnSpec("start_year", "int64", "Anfangsjahr", "First year"),
            ColumnSpec("end_year", "int64", "Endjahr", "Last year"),
            ColumnSpec("national", "float64", "Konjunkturkomponente", "National growth effect"),
            ColumnSpec("industry_mix", "float64", "Strukturkomponente", "Industry-mix effect"),
            ColumnSpec("competitive", "float64", "Standortkomponente", "Competitive effect"),
            ColumnSpec("total", "float64", "Veränderung", "Change of employment"),
        ),
        key=("region", "sector", "start_year", "end_year"),
        table_checks=(
            _sums_to(
                ("national", "industry_mix", "competitive"),
                "total",
                scale="total",
                name="shift_share_identity",
            ),
        ),
    )
)


POPULATION_TOTALS = _register(
    TableSpec(
        "population_totals",
        "Bevölkerung insgesamt",
        "Population totals by reference date; one row per region, year and census basis so "
        "that figures on different census bases are never mixed silently",
        (
            _region(),
            _year(),
            _census_basis(),
            ColumnSpec(
                "reference_date", str, "Stichtag", "ISO date", _str(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
            ),
            ColumnSpec("persons", "Int64", "Einwohner", "Inhabitants", _nonneg(), nullable=True),
            ColumnSpec("male", "Int64", "männlich", "Male inhabitants", _nonneg(), nullable=True),
            ColumnSpec(
                "female", "Int64", "weiblich", "Female inhabitants", _nonneg(), nullable=True
            ),
            _flag(),
        ),
        key=("region", "year", "census_basis"),
    )
)

POPULATION_BANDS = _register(
    TableSpec(
        "population_bands",
        "Bevölkerung nach Altersgruppen",
        "Population by age band and sex on 31.12. (as published, before splitting into years)",
        (
            _region(),
            _year(),
            _census_basis(),
            _sex(),
            *_age_band(),
            ColumnSpec("persons", "float64", "Personen", "Inhabitants", _nonneg(), nullable=True),
            _flag(),
        ),
        key=("region", "year", "sex", "age_from", "age_to"),
        table_checks=(_band_order,),
    )
)

MUNICIPALITY_REGISTER = _register(
    TableSpec(
        "municipality_register",
        "Gemeindeverzeichnis",
        "Municipalities as listed in the Gemeindeverzeichnis (GV-ISys) of a reference year",
        (
            ColumnSpec("ags", str, "AGS", "Amtlicher Gemeindeschlüssel", _str(AGS_PATTERN)),
            _year(),
            ColumnSpec("name", str, "Gemeinde", "Official name"),
            ColumnSpec("kreis", str, "Kreis", "Kreis key (5 digits)", _str(KREIS_PATTERN)),
            ColumnSpec("land", str, "Land", "Land key (2 digits)", _str(LAND_PATTERN)),
            ColumnSpec(
                "area_km2", "float64", "Fläche (km²)", "Area", (pa.Check.ge(0),), nullable=True
            ),
            ColumnSpec("postcode", str, "PLZ", "Postcode of the administration", nullable=True),
            ColumnSpec(
                "lon",
                "float64",
                "Längengrad",
                "Centre, WGS84",
                (pa.Check.in_range(5, 16),),
                nullable=True,
            ),
            ColumnSpec(
                "lat",
                "float64",
                "Breitengrad",
                "Centre, WGS84",
                (pa.Check.in_range(47, 56),),
                nullable=True,
            ),
            ColumnSpec(
                "urbanisation",
                "Int64",
                "Verstädterung",
                "Degree of urbanisation: 1 dense, 2 intermediate, 3 thin",
                (pa.Check.in_range(1, 3),),
                nullable=True,
            ),
        ),
        key=("ags", "year"),
    )
)

INDICATORS = _register(
    TableSpec(
        "indicators",
        "Indikatoren",
        "Published indicators in long format (e.g. INKAR), decoded to name and unit. Regions "
        "of many types (Kreise, Gemeinden, Arbeitsmarktregionen, Raumordnungsregionen, …) have "
        "overlapping codes, so the type is part of the key.",
        (
            ColumnSpec(
                "region_type",
                str,
                "Raumbezug",
                "Type of region as published, e.g. Kreise, Gemeinden, Arbeitsmarktregionen",
                _str(r"\S"),
            ),
            ColumnSpec(
                "region",
                str,
                "Region",
                "Publisher's code of the region within its type (any non-empty code)",
                _str(r"\S"),
            ),
            _year(),
            ColumnSpec(
                "period",
                str,
                "Zeitbezug",
                "Published period where it spans several years (e.g. 2016/2017/2018; year is "
                "its last year), empty for a single year",
                nullable=True,
                required=False,
            ),
            ColumnSpec("indicator", str, "Kennziffer", "Publisher's indicator code"),
            ColumnSpec("name", str, "Indikator", "Name of the indicator"),
            ColumnSpec("unit", str, "Einheit", "Unit", nullable=True),
            ColumnSpec("value", "float64", "Wert", "Value", nullable=True),
            _flag(),
        ),
        key=("region_type", "region", "year", "indicator"),
    )
)


def table_spec(name: str) -> TableSpec:
    """The canonical :class:`TableSpec` called ``name``; unknown names list the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(sorted(TABLES))
        raise UnknownTableError(
            f"Unbekannte Tabelle {name!r}. Bekannte Tabellen: {known}."
        ) from None


def validate(name: str, frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Validate ``frame`` against table ``name`` and return it coerced to canonical types.

    All failures are collected (lazy validation) and raised as one
    :class:`~regiowerk.errors.SchemaViolation`; each line names the row (index label of
    ``frame``; importers set it to the file's line number), the column, the value and the rule.
    """
    spec = table_spec(name)
    where = f"Tabelle {spec.name!r} ({spec.title})" + (f", Quelle {source}" if source else "")
    if spec.spatial and "geometry" in frame.columns:
        crs = getattr(frame, "crs", None)
        if crs is None or crs != CRS:
            found = crs.to_string() if crs is not None else "keines"
            raise SchemaViolation(
                f"{where}: Koordinatensystem {found}, erwartet {CRS}. Geodaten vorher "
                f"umprojizieren (GeoDataFrame.to_crs) bzw. das fehlende System angeben.",
                [f"Spalte 'geometry': Koordinatensystem {found}"],
            )
    try:
        return spec.pandera().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = list(_describe_failures(exc.failure_cases))
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  … und {len(problems) - 20} weitere" if len(problems) > 20 else ""
        raise SchemaViolation(
            f"{where} verletzt das Schema ({len(problems)} Befunde):\n{shown}{more}", problems
        ) from None


def _describe_failures(cases: pd.DataFrame) -> Iterable[str]:
    """One German line per failure; row-level table checks are reported once per row."""
    seen: set[tuple[str, str]] = set()
    bad_dtype: set[str] = set()
    for row in cases.to_dict("records"):
        check, column, value = str(row["check"]), str(row["column"]), row["failure_case"]
        index = row["index"]
        at = f"Zeile {index}" if index is not None and pd.notna(index) else "Tabelle"
        if check == "column_in_schema":
            yield f"Spalte {value!r} ist unbekannt."
        elif check == "column_in_dataframe":
            yield f"Spalte {value!r} fehlt."
        elif check.startswith(("coerce_dtype", "dtype")):
            bad_dtype.add(column)
            if (at, column) not in seen:
                seen.add((at, column))
                yield f"{at}, Spalte {column!r}: Wert {value!r} passt nicht zum Typ ({check})."
        elif row["schema_context"] == "DataFrameSchema":
            if (at, check) not in seen:
                seen.add((at, check))
                if check == "multiple_fields_uniqueness":
                    yield f"{at}: Schlüssel doppelt (Spalte {column!r} = {value!r})."
                else:
                    yield f"{at}: Regel {check!r} verletzt."
        elif check == "not_nullable":
            yield f"{at}, Spalte {column!r}: Wert fehlt."
        elif at == "Tabelle" and column in bad_dtype:
            continue  # a comparison that failed only because the type was already wrong
        else:
            yield f"{at}, Spalte {column!r}: Wert {value!r} verletzt Regel {check!r}."
