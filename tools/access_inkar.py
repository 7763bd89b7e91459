"""Walking access in Lauf a. d. Pegnitz next to BBSR's INKAR indicators 339–346 (issue 6).

INKAR (BBSR, "Nahversorgungsmodell"): for supermarkets (339/340), pharmacies (341/342),
primary schools (343/344) and public transport stops with at least 20 departures on a weekday
(345/346), the *population-weighted air-line distance in metres* to the nearest facility (odd
ids) and the *percentage of inhabitants within 1,000 m air-line* (even ids), from a 100 m grid
of estimated inhabitants (infas360, 2016) and address-level facility data; water bodies of the
ATKIS Basis-DLM are barriers, broken by road bridges and underpasses. Lauf (AGS 09574138) is
an Einheitsgemeinde: INKAR publishes these indicators for it only at the level
"Gemeindeverbände" (same key, same area), one reference year each (2017 for supermarkets and
pharmacies, "2016/2017/2018" school years for schools, 2018 for stops).

regiowerk, from the OSM extract ``osm/lauf-200115.osm.pbf`` (January 2020):

* **Origins**: centroids of the residential buildings (``building`` = house, residential,
  apartments, detached, semidetached_house, terrace or yes) whose centroid lies inside a
  ``landuse=residential`` area of the extract, and inside the municipality's VG5000 polygon
  (BKG, 1:5,000,000; coarse but the only municipal boundary in the data folder; the OSM
  boundary relation is cut by the extract). Each is weighted by its footprint area (a proxy
  for floor space and so for inhabitants: sheds count little, blocks of flats more; storeys
  are unknown); the equally weighted mean is printed as a sensitivity.
* **Facilities**: ``regiowerk.sources.osm`` with the default tag mapping; "primary school"
  includes the schools whose kind OSM does not tell (the default mapping keeps them as both
  kinds), "stop" is every platform, bus stop, halt and station, whatever its service.
* (a) **Air-line**: distance from every origin to the nearest facility (``cKDTree``), without
  barriers; weighted mean and weighted share within 1,000 m, as INKAR.
* (b) **Network**: walk network of the same extract (``read_networks``), origins and
  facilities snapped to the nearest node (``snap``, access and egress legs in a straight line
  at 4.5 km/h), ``engine.nearest``; walking distance = time × 4.5 km/h; detour factor =
  weighted mean network distance / weighted mean air-line distance.

The extract (≈ 4.4 × 3.4 km) covers the town's core only, not its outlying villages, and has
no facilities beyond its edge; the share of origins nearer to the edge than to their nearest
facility (where a facility outside could be nearer) is printed per service.

Usage::

    .venv/bin/python tools/access_inkar.py [--data FOLDER]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from regiowerk.access import engine
from regiowerk.access.network import WALK_KMH, Network
from regiowerk.access.osm_network import read_networks
from regiowerk.access.snap import snap
from regiowerk.schema import CRS
from regiowerk.sources import osm
from regiowerk.sources.base import default_data_dir

AGS = "09574138"
EXTRACT = Path("osm") / "lauf-200115.osm.pbf"
INKAR = Path("inkar")
INKAR_VALUES = "verkehr_und_erreichbarkeit__commit0bf62d2.parquet"
INKAR_REGIONS = "_regionen__commit0bf62d2.parquet"
VG5000_GEM = Path("vg5000_2021") / "VG5000_GEM.shp"
REGION_LEVELS = ("Gemeinden", "Gemeindeverbände")
"""INKAR region levels tried in this order (an Einheitsgemeinde is also a Gemeindeverband)."""
RESIDENTIAL = frozenset(
    {"house", "residential", "apartments", "detached", "semidetached_house", "terrace", "yes"}
)
NEAR_M = 1_000.0
TARGET_YEAR = 2020
"""Year of the OSM extract: the INKAR year closest to it is compared as well."""


@dataclass(frozen=True)
class Service:
    """One INKAR service: OSM facility kind, ids of mean distance and share within 1 km."""

    kind: str
    label: str
    distance_id: int
    share_id: int


SERVICES = (
    Service("supermarket", "Supermarkt", 339, 340),
    Service("pharmacy", "Apotheke", 341, 342),
    Service("primary_school", "Grundschule", 343, 344),
    Service("pt_stop", "ÖV-Haltestelle", 345, 346),
)

Array = NDArray[np.float64]


# --- INKAR ----------------------------------------------------------------------------------


def inkar_region(data: Path, ags: str = AGS) -> tuple[int, str, str]:
    """``(region_id, level, name)`` of the municipality ``ags`` with accessibility values."""
    regions = pd.read_parquet(data / INKAR / INKAR_REGIONS)
    values = pd.read_parquet(data / INKAR / INKAR_VALUES, columns=["region_id", "x339"])
    with_data = set(values.loc[values["x339"].notna(), "region_id"])
    key = regions["kennziffer"] == int(ags)
    for level in REGION_LEVELS:
        rows = regions[key & (regions["raumbezug"] == level) & regions["id"].isin(with_data)]
        if len(rows):
            row = rows.iloc[0]
            return int(row["id"]), level, str(row["name"])
    raise LookupError(f"INKAR hat keine Erreichbarkeitswerte für AGS {ags}.")


def _year(zeitbezug: str) -> int:
    """Latest year of a reference period ("2016/2017/2018" → 2018)."""
    return max(int(part) for part in str(zeitbezug).split("/"))


def inkar_values(data: Path, ags: str = AGS) -> pd.DataFrame:
    """INKAR 339–346 for ``ags``: one row per service and selected year.

    Columns: ``kind, choice, zeitbezug, distance_m, share_pct``; ``choice`` is ``latest``
    (latest year with data) or ``closest`` (year closest to 2020); where both are the same
    year the row appears once with ``choice = "latest = closest"``.
    """
    region_id, _, _ = inkar_region(data, ags)
    values = pd.read_parquet(data / INKAR / INKAR_VALUES)
    values = values[values["region_id"] == region_id]
    rows = []
    for service in SERVICES:
        dist, share = f"x{service.distance_id}", f"x{service.share_id}"
        present = values[values[dist].notna() | values[share].notna()]
        if present.empty:
            continue
        years = present["zeitbezug"].map(_year)
        picks = {
            "latest": present.index[int(np.argmax(years.to_numpy()))],
            "closest": present.index[int(np.argmin(np.abs(years.to_numpy() - TARGET_YEAR)))],
        }
        same = picks["latest"] == picks["closest"]
        chosen = {"latest = closest": picks["latest"]} if same else picks
        for choice, index in chosen.items():
            row = values.loc[index]
            rows.append(
                {
                    "kind": service.kind,
                    "choice": choice,
                    "zeitbezug": str(row["zeitbezug"]),
                    "distance_m": float(row[dist]),
                    "share_pct": float(row[share]),
                }
            )
    return pd.DataFrame(rows)


# --- origins and facilities ----------------------------------------------------------------


def municipality(data: Path, ags: str = AGS) -> shapely.Geometry | None:
    """The VG5000 polygon of ``ags`` in EPSG:25832 (``None`` where the file is missing)."""
    path = data / VG5000_GEM
    if not path.is_file():
        return None
    gem = gpd.read_file(path, columns=["AGS"])
    rows = gem[gem["AGS"] == ags]
    if rows.empty:
        return None
    return shapely.union_all(rows.to_crs(CRS).geometry.to_numpy())


def _areas(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries, shapely.Geometry]:
    """Residential buildings, residential landuse areas (EPSG:25832) and the extract's box."""
    import osmium

    factory = osmium.geom.WKBFactory()
    buildings: list[tuple[str, str]] = []
    landuse: list[str] = []
    pairs = [("building", v) for v in sorted(RESIDENTIAL)] + [("landuse", "residential")]
    processor = osmium.FileProcessor(path).with_areas(osmium.filter.TagFilter(*pairs))
    for obj in processor:
        if not isinstance(obj, osmium.osm.Area):
            continue
        shape = osm.area_shape(obj, factory)
        if shape is None:
            continue
        if obj.tags.get("building") in RESIDENTIAL:
            kind = "w" if obj.from_way() else "r"
            buildings.append((f"{kind}{obj.orig_id()}", shape))
        if obj.tags.get("landuse") == "residential":
            landuse.append(shape)
    reader = osmium.io.Reader(str(path))
    box = reader.header().box()
    reader.close()
    low, high = box.bottom_left, box.top_right
    bounds = shapely.box(low.lon, low.lat, high.lon, high.lat)
    shapes = gpd.GeoSeries.from_wkb([wkb for _, wkb in buildings], crs="EPSG:4326").to_crs(CRS)
    frame = gpd.GeoDataFrame(
        {"osm_id": [osm_id for osm_id, _ in buildings], "area_m2": shapes.area.to_numpy()},
        geometry=shapes.centroid.to_numpy(),
        crs=CRS,
    )
    areas = gpd.GeoSeries.from_wkb(landuse, crs="EPSG:4326").to_crs(CRS)
    extent = gpd.GeoSeries([bounds], crs="EPSG:4326").to_crs(CRS).iloc[0]
    return frame, areas, extent


@dataclass(frozen=True)
class Origins:
    """Building centroids used as origins, their weights and what was dropped."""

    x: Array
    y: Array
    weight: Array
    extent: shapely.Geometry
    """The extract's bounding box (EPSG:25832)."""
    clipped: bool
    """Whether the municipal polygon was used."""
    counts: dict[str, int]


def origins(path: Path, boundary: shapely.Geometry | None) -> Origins:
    """Residential building centroids inside residential landuse (and ``boundary``)."""
    buildings, landuse, extent = _areas(path)
    inside = shapely.contains_xy(
        shapely.union_all(landuse.to_numpy()), buildings.geometry.x, buildings.geometry.y
    )
    counts = {"Gebäude": len(buildings), "in Wohngebieten": int(inside.sum())}
    keep = inside
    if boundary is not None:
        keep = keep & shapely.contains_xy(boundary, buildings.geometry.x, buildings.geometry.y)
        counts["davon in der Gemeinde"] = int(keep.sum())
    chosen = buildings[keep]
    return Origins(
        chosen.geometry.x.to_numpy(),
        chosen.geometry.y.to_numpy(),
        chosen["area_m2"].to_numpy(dtype=float),
        extent,
        boundary is not None,
        counts,
    )


def facilities(path: Path) -> gpd.GeoDataFrame:
    """The four services' facilities from the extract (default tag mapping)."""
    table = osm.read([path]).tables["facilities"]
    return table[table["kind"].isin([s.kind for s in SERVICES])]


# --- accessibility -------------------------------------------------------------------------


def airline(origin_x: Array, origin_y: Array, x: Array, y: Array) -> Array:
    """Straight-line metres from every origin to its nearest facility."""
    distance, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([origin_x, origin_y]))
    return np.asarray(distance, dtype=float)


def network_metres(network: Network, origin_x: Array, origin_y: Array, x: Array, y: Array) -> Array:
    """Walking metres from every origin to its nearest facility on ``network``.

    Access leg (origin → nearest node) + ``engine.nearest`` (with egress legs) in seconds,
    converted at the walking speed; ``inf`` for origins off the network.
    """
    speed = WALK_KMH / 3.6
    target = snap(network, x, y)
    on = ~target.off_network
    best = engine.nearest(network, target.node[on], target.seconds[on])
    start = snap(network, origin_x, origin_y)
    seconds = np.full(len(origin_x), np.inf)
    ok = ~start.off_network
    seconds[ok] = start.seconds[ok] + best.seconds[start.node[ok]]
    return seconds * speed


def edge_risk(origin_x: Array, origin_y: Array, extent: shapely.Geometry, nearest: Array) -> Array:
    """Whether an origin is nearer to the extract's edge than to its nearest facility."""
    edge = shapely.distance(shapely.points(origin_x, origin_y), extent.exterior)
    return np.asarray(edge < nearest)


@dataclass(frozen=True)
class Result:
    """regiowerk's figures for one service (distances in metres, weighted by footprint)."""

    kind: str
    names: tuple[str, ...]
    airline_m: float
    airline_equal_m: float
    share_pct: float
    network_m: float
    minutes: float
    detour: float
    edge_pct: float
    per_origin_airline: Array
    per_origin_network: Array


def _mean(values: Array, weight: Array) -> float:
    return float(np.average(values, weights=weight))


def compute(data: Path) -> tuple[Origins, list[Result]]:
    """Origins and the four services' air-line and network figures for Lauf."""
    path = data / EXTRACT
    start = origins(path, municipality(data))
    found = facilities(path)
    walk = read_networks(path, ("walk",))["walk"]
    results = []
    for service in SERVICES:
        chosen = found[found["kind"] == service.kind]
        x, y = chosen.geometry.x.to_numpy(), chosen.geometry.y.to_numpy()
        air = airline(start.x, start.y, x, y)
        walked = network_metres(walk, start.x, start.y, x, y)
        reached = np.isfinite(walked)
        network_m = _mean(walked[reached], start.weight[reached])
        results.append(
            Result(
                kind=service.kind,
                names=tuple(sorted(chosen["name"].astype(str))),
                airline_m=_mean(air, start.weight),
                airline_equal_m=float(np.mean(air)),
                share_pct=100 * _mean((air <= NEAR_M).astype(float), start.weight),
                network_m=network_m,
                minutes=network_m / (WALK_KMH / 3.6) / 60,
                detour=network_m / _mean(air[reached], start.weight[reached]),
                edge_pct=100 * _mean(edge_risk(start.x, start.y, start.extent, air), start.weight),
                per_origin_airline=air,
                per_origin_network=walked,
            )
        )
    return start, results


# --- report --------------------------------------------------------------------------------


def table(inkar: pd.DataFrame, results: Sequence[Result]) -> str:
    """The comparison as a Markdown table (German headers, as the tool's other output)."""
    lines = [
        "| Dienst | Einr. | INKAR Bezug | INKAR Luftl. m | rw Luftl. m (gleich) | Diff. m "
        "| INKAR ≤ 1 km % | rw ≤ 1 km % | Diff. %-Pkt. | rw Fußweg m | rw min | Umweg "
        "| Randnah % |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    labels = {s.kind: s.label for s in SERVICES}
    for result in results:
        rows = inkar[inkar["kind"] == result.kind]
        for _, row in rows.iterrows():
            lines.append(
                f"| {labels[result.kind]} | {len(result.names)} "
                f"| {row['zeitbezug']} ({row['choice']}) | {row['distance_m']:.0f} "
                f"| {result.airline_m:.0f} ({result.airline_equal_m:.0f}) "
                f"| {result.airline_m - row['distance_m']:+.0f} | {row['share_pct']:.0f} "
                f"| {result.share_pct:.0f} | {result.share_pct - row['share_pct']:+.0f} "
                f"| {result.network_m:.0f} | {result.minutes:.1f} | {result.detour:.2f} "
                f"| {result.edge_pct:.0f} |"
            )
    return "\n".join(lines)


DIFFERENCES = """\
Was sich unterscheidet:
- Bevölkerung: INKAR schätzt Einwohner je 100-m-Gitterpunkt (infas360, Stand 2016) für die
  ganze Gemeinde; hier Schwerpunkte von Wohngebäuden in OSM-Wohngebieten, nach Grundfläche
  gewichtet (Geschosse und Belegung unbekannt).
- Gebiet: der Ausschnitt (≈ 4,4 × 3,4 km) deckt nur den Kern der Stadt; die Ortsteile außerhalb
  (Gemeindefläche ≈ 60 km²) fehlen, ihre weiten Wege fehlen im Mittel. Einrichtungen jenseits
  des Ausschnittrands fehlen ebenso ("Randnah": Anteil der Gewichte näher am Rand als an der
  nächsten Einrichtung). Gemeindegrenze aus VG5000 (1:5 Mio.), grob.
- Barrieren: INKAR führt die Luftlinie um Gewässer (Pegnitz) herum, nur über Brücken; hier
  gerade Luftlinie, also kürzer. Der Fußweg im Netz berücksichtigt die Pegnitz über die
  Brücken des Wegenetzes.
- Einrichtungen: INKAR adressgenaue Daten (Supermärkte Nielsen 2017, Apotheken 2017,
  Schulverzeichnisse der Länder 2016–2018, Haltestellen mit ≥ 20 Abfahrten je Werktag nach
  HaCon-Fahrplan 2018); hier OSM Januar 2020: jede Haltestelle unabhängig vom Takt, Schulen
  ohne Schulart zählen auch als Grundschule, Lücken und Fehler der OSM-Erfassung.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    data: Path = args.data
    if not (data / EXTRACT).is_file() or not (data / INKAR / INKAR_VALUES).is_file():
        print(f"Daten nicht gefunden unter {data} (OSM-Ausschnitt, INKAR).", file=sys.stderr)
        return 1
    region_id, level, name = inkar_region(data)
    inkar = inkar_values(data)
    print(f"INKAR: {name}, Raumbezug {level} (region_id {region_id}, AGS {AGS})")
    start, results = compute(data)
    counts = ", ".join(f"{k} {v}" for k, v in start.counts.items())
    clip = "Gemeindegrenze VG5000" if start.clipped else "ohne Gemeindegrenze"
    print(
        f"Ursprünge: {len(start.x)} Wohngebäude ({counts}; {clip}), "
        f"Grundfläche {start.weight.sum() / 1e4:.1f} ha"
    )
    print(table(inkar, results))
    print("rw = regiowerk; Luftlinie nach Grundfläche gewichtet (in Klammern gleich gewichtet);")
    print("Fußweg über das OSM-Wegenetz mit 4,5 km/h; Umweg = Fußweg / Luftlinie.")
    schools = next(r for r in results if r.kind == "primary_school")
    print(f"Als Grundschule gezählt (OSM-Standardzuordnung): {', '.join(schools.names)}")
    print(DIFFERENCES, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
