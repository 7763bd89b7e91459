"""Car, walk and bike networks from OpenStreetMap extracts (PBF or XML, also gzip/bzip2).

Source
------
OpenStreetMap, © OpenStreetMap-Mitwirkende, Open Database License (ODbL) 1.0; the same
extracts as :mod:`regiowerk.sources.osm` reads facilities from.

Method
------
One pass of pyosmium 4 (``osmium.FileProcessor`` with node locations and area assembly)
collects every way with a ``highway`` tag and the settlement areas (``landuse``/``place``,
closed ways and multipolygon relations). **Every node of a way is a network node** and every
pair of consecutive way nodes an edge: simple and exact (no geometry is lost, facilities snap
to the road's course), at the price of more degree-2 nodes than a junction-only graph. Edge
lengths are straight lines between the nodes after projecting them (vectorised, pyproj) to
EPSG:25832; its scale error within Germany is below 0.1 %.

Which ways a mode may use, and the car speeds, are data: ``speeds.toml`` beside this module
(with the source of each rule), replaceable by a user file (``speeds=``). Car speed per
direction: ``maxspeed:forward``/``maxspeed:backward``, else ``maxspeed`` (numbers, ``mph``,
implicit values such as ``DE:urban``), else the typical speed of the ``highway`` class,
inside or outside built-up areas. Inside/outside comes from the way's tags
(``source:maxspeed=DE:urban``, ``zone:maxspeed``, …) and, where they say nothing, per edge:
an edge is urban when its midpoint lies inside a settlement area of the extract. (Per edge
rather than per way, so that a long rural road through a village is urban only there.)
Walking and cycling use :data:`~regiowerk.access.network.WALK_KMH` and
:data:`~regiowerk.access.network.BIKE_KMH` on every usable way.

One-ways: cars follow ``oneway=yes|true|1`` and ``-1``, implied on roundabouts and motorways
(``oneway=no`` lifts it); ``oneway=reversible`` ways are left out for cars and bikes (their
direction changes by time of day). Bikes follow the car rule unless ``oneway:bicycle`` says
otherwise or ``cycleway=opposite*`` opens the other direction. Walking ignores one-ways.

Ways cut at the extract's border keep the edges between nodes present in the extract. Each
network is reduced to its largest strongly connected component. :attr:`Network.notes` counts,
in German, what was assumed or dropped.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from regiowerk.access import network as net
from regiowerk.access.network import BIKE_KMH, MODE_LABELS, MODES, WALK_KMH, Network, NetworkError
from regiowerk.schema import CRS
from regiowerk.sources.base import SourceError
from regiowerk.sources.osm import area_shape, open_osmium, unreadable

DEFAULT_SPEEDS = Path(__file__).with_name("speeds.toml")
VERSION = 1
"""Bump when the reading changes, so that cached networks are rebuilt."""
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z/]*)\s*$", re.IGNORECASE)
_KMH_UNITS = ("", "km/h", "kmh", "kph")
_MAX_KMH = 300.0
"""A parsed maxspeed above this (or of 0) is taken for a typing error."""
_ONEWAY = {"yes": 1, "true": 1, "1": 1, "-1": -1, "reverse": -1, "no": 0, "false": 0, "0": 0}
_IMPLIED_ONEWAY = frozenset({"motorway", "motorway_link"})
_ROUNDABOUT = frozenset({"roundabout", "circular"})
_CONTRAFLOW = frozenset({"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"})
_EXAMPLES = 3


@dataclass(frozen=True)
class ModeRule:
    """Which ways a mode may use (``[modes.<mode>]``)."""

    classes: frozenset[str]
    access_keys: tuple[str, ...]
    deny: frozenset[str]
    exclude_if: Mapping[str, frozenset[str]]

    def usable(self, tags: Mapping[str, str | None]) -> bool:
        """Whether a way with these tags may be used (class, access hierarchy, exclusions)."""
        if tags.get("highway") not in self.classes:
            return False
        for key in self.access_keys:
            value = tags.get(key)
            if value is not None:
                if value.strip().lower() in self.deny:
                    return False
                break
        return not any(tags.get(k) in values for k, values in self.exclude_if.items())


@dataclass(frozen=True)
class SpeedRules:
    """A parsed ``speeds.toml``."""

    file: Path
    units: Mapping[str, float]
    use_class: frozenset[str]
    values: Mapping[str, float]
    context_keys: tuple[str, ...]
    urban: frozenset[str]
    rural: frozenset[str]
    areas: Mapping[str, frozenset[str]]
    class_speeds: Mapping[str, tuple[float, float]]
    modes: Mapping[str, ModeRule]

    def tag_keys(self) -> list[str]:
        """Every way tag the networks read."""
        keys = {"highway", "maxspeed", "maxspeed:forward", "maxspeed:backward", "oneway"}
        keys.update({"oneway:bicycle", "junction", "cycleway", *self.context_keys})
        for rule in self.modes.values():
            keys.update(rule.access_keys, rule.exclude_if)
        return sorted(keys)


# --- speeds file ----------------------------------------------------------------------------


def load_speeds(path: Path | None = None) -> SpeedRules:
    """Parse a speeds file (default: ``speeds.toml``); errors name the file and the entry."""
    path = Path(path) if path is not None else DEFAULT_SPEEDS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(
            f"Geschwindigkeitsdatei nicht lesbar ({exc.strerror}).", file=path
        ) from None
    except UnicodeDecodeError:
        raise SourceError("Geschwindigkeitsdatei ist nicht UTF-8-kodiert.", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(
            f"Geschwindigkeitsdatei ist kein gültiges TOML ({exc}).", file=path
        ) from None
    try:
        maxspeed = data["maxspeed"]
        context = data["context"]
        rules = SpeedRules(
            file=path,
            units={
                str(k).lower(): _positive(v, f"maxspeed.units.{k}")
                for k, v in maxspeed["units"].items()
            },
            use_class=_words(maxspeed["use_class"], "maxspeed.use_class"),
            values={
                str(k): _positive(v, f"maxspeed.values.{k}") for k, v in maxspeed["values"].items()
            },
            context_keys=tuple(_strings(context["keys"], "context.keys")),
            urban=frozenset(_strings(context["urban"], "context.urban")),
            rural=frozenset(_strings(context["rural"], "context.rural")),
            areas={str(k): _words(v, f"context.areas.{k}") for k, v in context["areas"].items()},
            class_speeds={
                str(k): _pair(v, f"class_speeds.{k}") for k, v in data["class_speeds"].items()
            },
            modes={mode: _mode_rule(data["modes"][mode], mode) for mode in MODES},
        )
    except KeyError as exc:
        raise SourceError(f"Eintrag {exc.args[0]!r} fehlt.", file=path) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise SourceError(f"Ungültiger Eintrag: {exc}", file=path) from None
    without_speed = sorted(rules.modes["car"].classes - set(rules.class_speeds))
    if without_speed:
        raise SourceError(
            f"[modes.car]: Straßenklasse {without_speed[0]!r} ohne Eintrag in [class_speeds].",
            file=path,
        )
    return rules


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{where} muss eine positive Zahl sein, nicht {value!r}.")
    return float(value)


def _pair(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{where} muss [innerorts, außerorts] in km/h sein, nicht {value!r}.")
    return _positive(value[0], where), _positive(value[1], where)


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} muss eine Liste von Texten sein.")
    return list(value)


def _words(value: Any, where: str) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in _strings(value, where))


def _mode_rule(raw: Any, mode: str) -> ModeRule:
    where = f"modes.{mode}"
    if not isinstance(raw, dict) or not isinstance(raw.get("exclude_if", {}), dict):
        raise ValueError(f"{where} muss eine Tabelle sein.")
    return ModeRule(
        classes=frozenset(_strings(raw["classes"], f"{where}.classes")),
        access_keys=tuple(_strings(raw["access_keys"], f"{where}.access_keys")),
        deny=_words(raw["deny"], f"{where}.deny"),
        exclude_if={
            str(k): frozenset(_strings(v, f"{where}.exclude_if.{k}"))
            for k, v in raw["exclude_if"].items()
        },
    )


def parse_maxspeed(value: str, rules: SpeedRules) -> float | None:
    """km/h of a ``maxspeed`` value; ``nan`` where it says "use the class speed"; ``None``
    where it cannot be read. Lists (``"50;30"``) give their smallest readable speed."""
    speeds = [_one_maxspeed(part.strip(), rules) for part in value.split(";") if part.strip()]
    if not speeds or any(s is None for s in speeds):
        return None
    known = [s for s in speeds if s is not None and not np.isnan(s)]
    return min(known) if known else float("nan")


def _one_maxspeed(value: str, rules: SpeedRules) -> float | None:
    if value in rules.values:
        return rules.values[value]
    if value.lower() in rules.use_class:
        return float("nan")
    match = _NUMBER.match(value)
    if not match:
        return None
    unit = match.group(2).lower()
    if unit in _KMH_UNITS:
        factor = 1.0
    elif unit in rules.units:
        factor = rules.units[unit]
    else:
        return None
    speed = float(match.group(1).replace(",", ".")) * factor
    return speed if 0 < speed <= _MAX_KMH else None


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Extract:
    """Highway ways of one file: tags per way, their node refs and locations (flat)."""

    tags: list[dict[str, str | None]]
    way_of: NDArray[np.int64]
    """Way index of every way node (ways in file order, nodes in way order)."""
    ref: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    valid: NDArray[np.bool_]
    areas: list[str]
    """Settlement areas as WKB (hex, WGS84)."""


def _scan(path: Path, rules: SpeedRules) -> _Extract:
    """Read the highway ways and settlement areas of an extract with pyosmium."""
    osmium = open_osmium(path)
    keys = rules.tag_keys()
    area_pairs = [(k, v) for k, values in rules.areas.items() for v in sorted(values)]
    factory = osmium.geom.WKBFactory()
    tags: list[dict[str, str | None]] = []
    way_of: list[int] = []
    ref: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    valid: list[bool] = []
    areas: list[str] = []
    processor = (
        osmium.FileProcessor(path)
        .with_areas(osmium.filter.TagFilter(*area_pairs))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY | osmium.osm.AREA))
        .with_filter(osmium.filter.KeyFilter("highway", *rules.areas))
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Area):
                if any((obj.tags.get(k) or "").lower() in v for k, v in rules.areas.items()):
                    shape = area_shape(obj, factory)
                    if shape is not None:
                        areas.append(shape)
            elif isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
                index = len(tags)
                tags.append({key: obj.tags.get(key) for key in keys})
                for node in obj.nodes:
                    location = node.location
                    ok = location.valid()
                    way_of.append(index)
                    ref.append(node.ref)
                    valid.append(ok)
                    lon.append(location.lon if ok else np.nan)
                    lat.append(location.lat if ok else np.nan)
    except RuntimeError as exc:
        raise unreadable(path, exc) from None
    if not tags:
        raise SourceError("Keine Straßen und Wege (highway=*) im Ausschnitt.", file=path)
    return _Extract(
        tags,
        np.array(way_of, dtype=np.int64),
        np.array(ref, dtype=np.int64),
        np.array(lon, dtype=float),
        np.array(lat, dtype=float),
        np.array(valid, dtype=bool),
        areas,
    )


@dataclass
class _Geometry:
    """Nodes (projected) and candidate edges (consecutive present way nodes) of an extract."""

    node_id: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    way: NDArray[np.int64]
    """Way index of every edge."""
    tail: NDArray[np.int64]
    """OSM node ids of the edge ends, in way direction."""
    head: NDArray[np.int64]
    length: NDArray[np.float64]
    urban_area: NDArray[np.bool_]
    """Whether the edge midpoint lies inside a settlement area."""
    cut_ways: NDArray[np.bool_]
    """Per way: some of its nodes are missing from the extract."""
    n_areas: int


def _geometry(extract: _Extract) -> _Geometry:
    to_utm = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    present = extract.valid
    node_id, first = np.unique(extract.ref[present], return_index=True)
    x, y = to_utm.transform(extract.lon[present][first], extract.lat[present][first])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    # edges between consecutive nodes of the same way, both present in the extract
    same_way = extract.way_of[1:] == extract.way_of[:-1]
    edge = same_way & present[1:] & present[:-1]
    tail, head = extract.ref[:-1][edge], extract.ref[1:][edge]
    tail_pos, head_pos = np.searchsorted(node_id, tail), np.searchsorted(node_id, head)
    dx, dy = x[head_pos] - x[tail_pos], y[head_pos] - y[tail_pos]
    mid = shapely.points((x[tail_pos] + x[head_pos]) / 2, (y[tail_pos] + y[head_pos]) / 2)
    urban = np.zeros(len(tail), dtype=bool)
    polygons = shapely.from_wkb(np.array(extract.areas, dtype=object)) if extract.areas else []
    if len(polygons):
        polygons = shapely.transform(
            polygons, lambda c: np.column_stack(to_utm.transform(c[:, 0], c[:, 1]))
        )
        inside = shapely.STRtree(polygons).query(mid, predicate="within")
        urban[np.unique(inside[0])] = True
    cut = np.zeros(len(extract.tags), dtype=bool)
    cut[np.unique(extract.way_of[~present])] = True
    return _Geometry(
        node_id,
        x,
        y,
        extract.way_of[:-1][edge],
        tail,
        head,
        np.hypot(dx, dy),
        urban,
        cut,
        len(polygons),
    )


# --- per-way attributes ------------------------------------------------------------------------


def _context(tags: Mapping[str, str | None], rules: SpeedRules) -> float:
    """1.0 urban, 0.0 rural by the way's tags, ``nan`` when they say nothing."""
    for key in rules.context_keys:
        value = tags.get(key)
        if value is None:
            continue
        value = value.strip()
        if value in rules.urban:
            return 1.0
        if value in rules.rural:
            return 0.0
    return float("nan")


def _oneway(tags: Mapping[str, str | None]) -> int | None:
    """Car direction: 1 forward only, -1 backward only, 0 both, ``None`` not usable."""
    value = (tags.get("oneway") or "").strip().lower()
    if value == "reversible":
        return None
    if value in _ONEWAY:
        return _ONEWAY[value]
    implied = tags.get("highway") in _IMPLIED_ONEWAY or tags.get("junction") in _ROUNDABOUT
    return 1 if implied else 0


def _bike_oneway(tags: Mapping[str, str | None]) -> int | None:
    value = (tags.get("oneway:bicycle") or "").strip().lower()
    if value in _ONEWAY:
        return _ONEWAY[value]
    car = _oneway(tags)
    if car and tags.get("cycleway") in _CONTRAFLOW:
        return 0
    return car


@dataclass
class _CarSpeeds:
    forward: NDArray[np.float64]
    """Tagged km/h per way and direction (``nan``: use the class speed)."""
    backward: NDArray[np.float64]
    untagged: int
    unreadable: dict[str, int]


def _car_speeds(
    tags: list[dict[str, str | None]], usable: NDArray[np.bool_], rules: SpeedRules
) -> _CarSpeeds:
    parse = functools.cache(lambda value: parse_maxspeed(value, rules))
    forward = np.full(len(tags), np.nan)
    backward = np.full(len(tags), np.nan)
    untagged = 0
    unreadable: dict[str, int] = {}
    for index in np.flatnonzero(usable):
        way = tags[index]
        speeds = {}
        bad = False
        for key in ("maxspeed", "maxspeed:forward", "maxspeed:backward"):
            value = way.get(key)
            if value is None:
                continue
            speed = parse(value)
            if speed is None:
                unreadable[value] = unreadable.get(value, 0) + 1
                bad = True
            else:
                speeds[key] = speed
        both = speeds.get("maxspeed", np.nan)
        forward[index] = speeds.get("maxspeed:forward", both)
        backward[index] = speeds.get("maxspeed:backward", both)
        if not bad and np.isnan(forward[index]) and np.isnan(backward[index]):
            untagged += 1
    return _CarSpeeds(forward, backward, untagged, unreadable)


# --- networks ----------------------------------------------------------------------------------


def _build(
    mode: str, extract: _Extract, geometry: _Geometry, rules: SpeedRules, path: Path
) -> Network:
    label = MODE_LABELS[mode]
    rule = rules.modes[mode]
    usable = np.array([rule.usable(tags) for tags in extract.tags], dtype=bool)
    reversible = 0
    if mode == "walk":
        direction = np.zeros(len(extract.tags))
    else:
        oneway = _oneway if mode == "car" else _bike_oneway
        values = [
            oneway(tags) if ok else None for tags, ok in zip(extract.tags, usable, strict=True)
        ]
        reversible = sum(1 for v, ok in zip(values, usable, strict=True) if ok and v is None)
        usable &= np.array([v is not None for v in values], dtype=bool)
        direction = np.array([0 if v is None else v for v in values], dtype=float)
    notes: list[str] = []
    way = geometry.way
    in_mode = usable[way]
    if not in_mode.any():
        raise NetworkError(
            f"Datei {path.name}: keine Wege, die {label} benutzbar sind (Straßenklassen und "
            f"Zugangsbeschränkungen laut {rules.file.name})."
        )
    length = geometry.length
    if mode == "car":
        speeds = _car_speeds(extract.tags, usable, rules)
        context = np.array([_context(tags, rules) for tags in extract.tags])[way]
        urban = np.where(np.isnan(context), geometry.urban_area, context == 1.0)
        class_kmh = np.array(
            [
                rules.class_speeds.get(str(extract.tags[w].get("highway")), (np.nan, np.nan))
                for w in way
            ]
        ).reshape(-1, 2)
        default = np.where(urban, class_kmh[:, 0], class_kmh[:, 1])
        kmh_forward = np.where(np.isnan(speeds.forward[way]), default, speeds.forward[way])
        kmh_backward = np.where(np.isnan(speeds.backward[way]), default, speeds.backward[way])
        notes += _speed_notes(speeds, int(usable.sum()), urban[in_mode], geometry.n_areas)
    else:
        kmh = WALK_KMH if mode == "walk" else BIKE_KMH
        kmh_forward = kmh_backward = np.full(len(way), kmh)
    if reversible:
        notes.append(
            f"{reversible} Wege mit wechselnder Fahrtrichtung (oneway=reversible) für {label} "
            f"nicht verwendet."
        )
    cut = int((geometry.cut_ways & usable).sum())
    if cut:
        notes.append(
            f"{cut} Wege am Rand des Ausschnitts abgeschnitten (Knoten ohne Koordinaten): nur "
            f"ihre Abschnitte innerhalb des Ausschnitts verwendet."
        )
    forward = in_mode & (direction[way] >= 0)
    backward = in_mode & (direction[way] <= 0)
    tail = np.concatenate([geometry.tail[forward], geometry.head[backward]])
    head = np.concatenate([geometry.head[forward], geometry.tail[backward]])
    seconds = np.concatenate(
        [
            length[forward] / (kmh_forward[forward] / 3.6),
            length[backward] / (kmh_backward[backward] / 3.6),
        ]
    )
    used = np.isin(geometry.node_id, np.concatenate([tail, head]))
    nodes = pd.DataFrame(
        {"node_id": geometry.node_id[used], "x": geometry.x[used], "y": geometry.y[used]}
    )
    network = Network.from_edges(mode, nodes, tail, head, seconds, tuple(notes))
    return network.largest_component()


def _speed_notes(
    speeds: _CarSpeeds, ways: int, urban: NDArray[np.bool_], n_areas: int
) -> list[str]:
    notes = []
    if speeds.untagged:
        notes.append(
            f"{speeds.untagged} von {ways} Pkw-Wegen ohne Geschwindigkeitsangabe (maxspeed): "
            f"typische Geschwindigkeit der Straßenklasse innerorts/außerorts verwendet."
        )
    if speeds.unreadable:
        count = sum(speeds.unreadable.values())
        examples = ", ".join(
            repr(v)
            for v in sorted(speeds.unreadable, key=speeds.unreadable.__getitem__, reverse=True)[
                :_EXAMPLES
            ]
        )
        notes.append(
            f"{count} Pkw-Wege mit nicht lesbarer Geschwindigkeitsangabe (z. B. maxspeed = "
            f"{examples}): typische Geschwindigkeit der Straßenklasse verwendet."
        )
    if n_areas == 0:
        notes.append(
            "Keine Siedlungsflächen (landuse/place) im Ausschnitt: Wege ohne Angabe zur "
            "Ortslage gelten als außerorts."
        )
    share = float(urban.mean()) if len(urban) else 0.0
    notes.append(f"{share:.0%} der Pkw-Kanten innerorts (Tags oder Siedlungsflächen).")
    return notes


def read_networks(
    path: Path,
    modes: Sequence[str] = MODES,
    *,
    cache: Path | None = None,
    speeds: Path | None = None,
) -> dict[str, Network]:
    """Networks of ``modes`` from an OSM extract (see the module docstring).

    With ``cache`` (a folder), each network is stored under a hash of the file's contents,
    the speeds file and the reading parameters, and loaded from there on later calls.
    """
    path = Path(path)
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise NetworkError(
            f"Verkehrsmittel {unknown[0]!r} unbekannt (erlaubt: {', '.join(MODES)})."
        )
    if not path.is_file():
        raise SourceError("Datei nicht gefunden.", file=path)
    speeds_file = Path(speeds) if speeds is not None else DEFAULT_SPEEDS
    rules = load_speeds(speeds_file)
    parameters = {"version": VERSION, "walk_kmh": WALK_KMH, "bike_kmh": BIKE_KMH}
    key = net.cache_key([path, speeds_file], parameters)

    @functools.cache
    def parsed() -> tuple[_Extract, _Geometry]:
        extract = _scan(path, rules)
        return extract, _geometry(extract)

    def build(mode: str) -> Network:
        extract, geometry = parsed()
        return _build(mode, extract, geometry, rules, path)

    # cached() names files by the first 16 characters of the key: the mode goes first
    return {
        mode: net.cached(cache, f"{mode}-{key}", functools.partial(build, mode))
        for mode in dict.fromkeys(modes)
    }
