"""Facilities of Daseinsvorsorge from OpenStreetMap extracts (PBF or XML, also gzip/bzip2).

Source
------
OpenStreetMap, © OpenStreetMap-Mitwirkende, Open Database License (ODbL) 1.0. Extracts as
written by osmium, osmosis or the OSM API: ``*.osm.pbf`` (and ``*.pbf`` starting with an
``OSMHeader`` block), ``*.osm`` XML, ``*.osm.gz``, ``*.osm.bz2``. XML declares its own
encoding, so the ``encoding`` argument of :func:`read` is not used.

Method
------
Which tags make which facility kind is data, not code: ``osm_tags.toml`` beside this module
(rules with comments citing the OSM wiki), replaceable by a user file with ``tags=``. The
file is read with pyosmium 4 (``osmium.FileProcessor``): a C++ tag filter passes only objects
carrying one of the mapped ``key=value`` pairs to Python; node locations are cached
(``with_locations``, implied by ``with_areas``) and multipolygon relations assembled
(``with_areas``). Positions: a node's location; a way's centroid, of the polygon for closed
ways and of the line otherwise; a multipolygon relation's centroid. Centroids are taken after
reprojecting to EPSG:25832. Ways with nodes missing from the extract (cut at its border) and
relations without an area geometry are skipped and counted.

Classification is vectorised over all candidate objects: a rule matches objects having any of
its ``tags`` and, for every ``where`` key, one of the listed words among the ``;``-separated
values. Schools (``[schools]``) are split into ``primary_school`` and ``secondary_school``
by the first tag table that knows a value (``school:de``, ``isced:level``, ``school``), then
by patterns in the name, then by the ``unclassified`` fallback. An object giving several kinds
gives one facility per kind.

``facility_id`` is ``osm-n123`` (node), ``osm-w456`` (way) or ``osm-r789`` (relation), with
``-<kind>`` appended where one object gives several kinds. ``name`` is the ``name`` tag, else
the German label of the kind. ``ags`` and ``capacity`` are missing (OSM has neither).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regiowerk.provenance import Provenance
from regiowerk.schema import CRS, FACILITY_KINDS, validate
from regiowerk.sources.base import (
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    register_format,
)

if TYPE_CHECKING:
    import osmium

KEY = "osm"
DEFAULT_TAGS = Path(__file__).with_name("osm_tags.toml")
LICENCE = "Open Database License (ODbL) 1.0"
ATTRIBUTION = "© OpenStreetMap-Mitwirkende"
ID_PREFIX = "osm-"
_SUFFIXES = (".osm", ".osm.pbf", ".osm.gz", ".osm.bz2")
LINE_NUMBER = re.compile(r"line (\d+)")
_TOML_LINE = re.compile(r"at line (\d+)")
_INTERNAL = ("@type", "@id", "@edited", "@lon", "@lat", "@wkb")
"""Columns of the candidate table besides the tags ("@" cannot clash with real OSM keys)."""
_FIRST_EDIT_YEAR = 2004
"""OSM started in 2004; earlier timestamps mean the extract carries no metadata."""

Kinds = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One ``[[rule]]``: objects with any of ``tags`` and all ``where`` words are ``kind``."""

    number: int
    kind: str
    tags: Mapping[str, frozenset[str]]
    where: Mapping[str, frozenset[str]]

    def describe(self) -> str:
        """The rule's tags for messages, e.g. ``amenity=doctors oder healthcare=doctor``."""
        return " oder ".join(_pairs(self.tags))


@dataclass(frozen=True)
class TagTable:
    """A ``[[schools.by_tag]]`` table: lower-case values of ``key`` → kinds."""

    key: str
    values: Mapping[str, Kinds]


@dataclass(frozen=True)
class Schools:
    """The ``[schools]`` section: which objects are schools and how they are split."""

    tags: Mapping[str, frozenset[str]]
    by_tag: tuple[TagTable, ...]
    by_name: tuple[tuple[re.Pattern[str], Kinds], ...]
    unclassified: Kinds


@dataclass(frozen=True)
class TagMapping:
    """A parsed tag mapping file (see ``osm_tags.toml``)."""

    file: str
    labels: Mapping[str, str]
    rules: tuple[Rule, ...]
    schools: Schools | None

    def filter_pairs(self) -> list[tuple[str, str]]:
        """Every ``(key, value)`` that makes an object a candidate."""
        tag_sets = [rule.tags for rule in self.rules]
        if self.schools:
            tag_sets.append(self.schools.tags)
        return sorted({(k, v) for tags in tag_sets for k, values in tags.items() for v in values})

    def keys(self) -> list[str]:
        """Every tag key whose value the classification reads."""
        keys = {"name"}
        for rule in self.rules:
            keys.update(rule.tags, rule.where)
        if self.schools:
            keys.update(self.schools.tags)
            keys.update(table.key for table in self.schools.by_tag)
        return sorted(keys)


def detect(path: Path) -> bool:
    """OSM extracts by name; a bare ``.pbf`` only when it starts with an ``OSMHeader`` block."""
    try:
        name = path.name.lower()
        if name.endswith(_SUFFIXES):
            return True
        if name.endswith(".pbf"):
            with path.open("rb") as handle:
                return b"OSMHeader" in handle.read(64)
        return False
    except OSError:
        return False


def read(
    paths: Sequence[Path], *, encoding: str | None = None, tags: Path | None = None
) -> ImportResult:
    """Read OSM extracts into the ``facilities`` table using the tag mapping ``tags``."""
    del encoding  # XML declares its encoding; PBF is binary
    mapping = load_tag_mapping(tags)
    result = ImportResult(source=KEY)
    seen: set[str] = set()
    for path in map(Path, paths):
        objects, latest = _scan(path, mapping)
        facilities = _facilities(objects, mapping, path, result.messages)
        repeated = facilities["facility_id"].isin(seen)
        if repeated.any():
            result.messages.append(
                f"{path.name}: {int(repeated.sum())} Einrichtungen schon aus einer anderen "
                f"Datei gelesen (überlappende Ausschnitte), übergangen."
            )
            facilities = facilities[~repeated]
        seen.update(facilities["facility_id"])
        result.add(
            "facilities",
            facilities.reset_index(drop=True),
            _provenance(path, mapping, latest),
        )
    return result


# --- tag mapping -------------------------------------------------------------------------


def load_tag_mapping(path: Path | None = None) -> TagMapping:
    """Parse a tag mapping file (default: ``osm_tags.toml``); errors name file and rule."""
    path = Path(path) if path is not None else DEFAULT_TAGS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"Tag-Zuordnung nicht lesbar ({exc.strerror}).", file=path) from None
    except UnicodeDecodeError:
        raise SourceError("Tag-Zuordnung ist nicht UTF-8-kodiert.", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        line = _TOML_LINE.search(str(exc))
        raise SourceError(
            f"Tag-Zuordnung ist kein gültiges TOML ({exc}).",
            file=path,
            row=int(line.group(1)) if line else None,
        ) from None
    _only_keys(data, {"labels", "rule", "schools"}, "Datei", path)
    rules = tuple(
        _rule(number, raw, path) for number, raw in enumerate(_list(data, "rule", path), 1)
    )
    schools = _schools(data["schools"], path) if "schools" in data else None
    if not rules and schools is None:
        raise SourceError("Tag-Zuordnung ohne [[rule]] und ohne [schools].", file=path)
    labels = _labels(data.get("labels", {}), rules, schools, path)
    return TagMapping(path.name, labels, rules, schools)


def _rule(number: int, raw: Any, path: Path) -> Rule:
    where = f"Regel {number}"
    if not isinstance(raw, dict):
        raise SourceError(f"{where}: erwartet eine Tabelle [[rule]].", file=path)
    _only_keys(raw, {"kind", "tags", "where"}, where, path)
    kind = raw.get("kind")
    where = f"Regel {number} (kind {kind!r})"
    _check_kinds([kind], where, path)
    if "tags" not in raw:
        raise SourceError(f"{where}: 'tags' fehlt.", file=path)
    return Rule(
        number,
        str(kind),
        _value_sets(raw["tags"], f"{where}, tags", path, lower=False),
        _value_sets(raw.get("where", {}), f"{where}, where", path, lower=True),
    )


def _schools(raw: Any, path: Path) -> Schools:
    where = "[schools]"
    if not isinstance(raw, dict):
        raise SourceError(f"{where}: erwartet eine Tabelle.", file=path)
    _only_keys(raw, {"tags", "by_tag", "by_name", "unclassified"}, where, path)
    if "tags" not in raw:
        raise SourceError(f"{where}: 'tags' fehlt.", file=path)
    tables = []
    for number, table in enumerate(_list(raw, "by_tag", path), 1):
        label = f"[[schools.by_tag]] {number}"
        if not isinstance(table, dict) or not isinstance(table.get("key"), str):
            raise SourceError(f"{label}: 'key' (Text) fehlt.", file=path)
        _only_keys(table, {"key", "values"}, label, path)
        label = f"{label} (key {table['key']!r})"
        tables.append(TagTable(table["key"], _kind_table(table.get("values", {}), label, path)))
    patterns = []
    by_name = _kind_table(raw.get("by_name", {}), "[schools.by_name]", path, lower=False)
    for pattern, kinds in by_name.items():
        try:
            patterns.append((re.compile(pattern, re.IGNORECASE), kinds))
        except re.error as exc:
            raise SourceError(
                f"[schools.by_name]: Muster {pattern!r} ist kein regulärer Ausdruck ({exc}).",
                file=path,
            ) from None
    unclassified = raw.get("unclassified", [])
    _check_kinds(unclassified, f"{where}, unclassified", path)
    return Schools(
        _value_sets(raw["tags"], f"{where}, tags", path, lower=False),
        tuple(tables),
        tuple(patterns),
        tuple(unclassified),
    )


def _labels(raw: Any, rules: Iterable[Rule], schools: Schools | None, path: Path) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise SourceError('[labels]: erwartet Art = "Bezeichnung".', file=path)
    _check_kinds(list(raw), "[labels]", path)
    used = {rule.kind for rule in rules}
    if schools:
        used.update(("primary_school", "secondary_school"))
    missing = sorted(used - set(raw))
    if missing:
        raise SourceError(
            f"[labels]: Bezeichnung fehlt für {', '.join(missing)} (Name von Objekten ohne "
            f"name-Tag).",
            file=path,
        )
    return dict(raw)


def _value_sets(raw: Any, where: str, path: Path, *, lower: bool) -> dict[str, frozenset[str]]:
    """``{key: [values]}`` → ``{key: frozenset(values)}``, checked."""
    ok = isinstance(raw, dict) and all(
        isinstance(values, list) and values and all(isinstance(v, str) for v in values)
        for values in raw.values()
    )
    if not ok:
        raise SourceError(
            f'{where}: erwartet {{ schlüssel = ["wert", …] }} mit mindestens einem Wert.',
            file=path,
        )
    return {
        str(key): frozenset(v.strip().lower() if lower else v.strip() for v in values)
        for key, values in raw.items()
    }


def _kind_table(raw: Any, where: str, path: Path, *, lower: bool = True) -> dict[str, Kinds]:
    """``{value: [kinds]}`` with the values in lower case (unless ``lower`` is false)."""
    if not isinstance(raw, dict):
        raise SourceError(f'{where}: erwartet eine Tabelle wert = ["art", …].', file=path)
    table = {}
    for value, kinds in raw.items():
        _check_kinds(kinds, f"{where}, {value!r}", path)
        table[str(value).strip().lower() if lower else str(value)] = tuple(kinds)
    return table


def _check_kinds(kinds: Any, where: str, path: Path) -> None:
    if not isinstance(kinds, list):
        raise SourceError(f"{where}: erwartet eine Liste von Arten.", file=path)
    unknown = [k for k in kinds if k not in FACILITY_KINDS]
    if unknown:
        raise SourceError(
            f"{where}: unbekannte Art {unknown[0]!r}; erlaubt: {', '.join(FACILITY_KINDS)}.",
            file=path,
        )


def _only_keys(raw: Mapping[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SourceError(
            f"{where}: unbekannter Eintrag {unknown[0]!r}; erlaubt: {', '.join(sorted(allowed))}.",
            file=path,
        )


def _list(raw: Mapping[str, Any], key: str, path: Path) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise SourceError(f"{key!r}: erwartet eine Liste von Tabellen ([[{key}]]).", file=path)
    return value


# --- reading -------------------------------------------------------------------------------


def open_osmium(path: Path) -> ModuleType:
    """The ``osmium`` module (optional dependency) after checking that ``path`` exists."""
    try:
        import osmium  # optional dependency, imported only when reading OSM
    except ImportError:
        raise SourceError(
            "Zum Lesen von OSM-Dateien fehlt das Paket 'osmium' (pyosmium): pip install osmium",
            file=path,
        ) from None
    if not path.is_file():
        raise SourceError("Datei nicht gefunden.", file=path)
    return osmium


def unreadable(path: Path, exc: RuntimeError) -> SourceError:
    """The error for an OSM file pyosmium cannot parse (with the line where it says one)."""
    line = LINE_NUMBER.search(str(exc))
    return SourceError(
        f"OSM-Datei nicht lesbar (abgeschnitten oder kein OSM-Format?): {exc}",
        file=path,
        row=int(line.group(1)) if line else None,
    )


def _scan(path: Path, mapping: TagMapping) -> tuple[pd.DataFrame, dt.date | None]:
    """Candidate objects: type, id, the needed tags and a WGS84 position or shape.

    Also returns the date of the latest edit among them (``None`` without metadata).
    """
    osmium = open_osmium(path)
    pairs = mapping.filter_pairs()
    keys = mapping.keys()
    factory = osmium.geom.WKBFactory()
    rows: list[dict[str, Any]] = []
    areas: dict[int, str | None] = {}
    processor = (
        osmium.FileProcessor(path)
        .with_areas(osmium.filter.TagFilter(*pairs))
        .with_filter(osmium.filter.TagFilter(*pairs))
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Area):
                if not obj.from_way():
                    areas[obj.orig_id()] = area_shape(obj, factory)
            elif isinstance(obj, osmium.osm.Node | osmium.osm.Way | osmium.osm.Relation):
                row: dict[str, Any] = {key: obj.tags.get(key) for key in keys}
                row.update({"@type": obj.type_str(), "@id": obj.id, "@edited": obj.timestamp})
                if isinstance(obj, osmium.osm.Node):
                    row.update({"@lon": obj.location.lon, "@lat": obj.location.lat})
                elif isinstance(obj, osmium.osm.Way):
                    row["@wkb"] = _way_shape(obj, factory)
                rows.append(row)
    except RuntimeError as exc:
        raise unreadable(path, exc) from None
    objects = pd.DataFrame(rows, columns=[*keys, *_INTERNAL])
    objects["@wkb"] = objects["@wkb"].astype(object)
    relations = objects["@type"] == "r"
    objects.loc[relations, "@wkb"] = objects.loc[relations, "@id"].map(areas)
    latest = objects["@edited"].max() if len(objects) else None
    if latest is None or latest.year < _FIRST_EDIT_YEAR:
        return objects, None
    return objects, latest.date()


def area_shape(area: osmium.osm.Area, factory: osmium.geom.WKBFactory) -> str | None:
    """The assembled multipolygon as WKB (hex); ``None`` where osmium cannot build it."""
    try:
        return str(factory.create_multipolygon(area))
    except RuntimeError:
        return None


def _way_shape(way: osmium.osm.Way, factory: osmium.geom.WKBFactory) -> str | None:
    """The way as WKB (hex) line; ``None`` where nodes are missing from the extract."""
    import osmium

    try:
        return str(factory.create_linestring(way))
    except (osmium.InvalidLocationError, RuntimeError):
        return None


def _facilities(
    objects: pd.DataFrame, mapping: TagMapping, path: Path, messages: list[str]
) -> gpd.GeoDataFrame:
    """Classified, positioned and validated facilities of one file (index = facility_id)."""
    pairs = classify(objects, mapping, path.name, messages)
    located = (objects["@wkb"].notna() | objects["@lon"].notna()).to_numpy()
    has_shape = located[objects.index.get_indexer(pairs.index)]
    lost = pairs.index[~has_shape].unique()
    if len(lost):
        messages.append(
            f"{path.name}: {len(lost)} zugeordnete Objekte ohne Geometrie übergangen (Wege am "
            f"Rand des Ausschnitts, Relationen ohne Multipolygon-Fläche)."
        )
    pairs = pairs[has_shape]
    chosen = objects.loc[pairs.index].reset_index(drop=True)
    kinds = pd.Series(pairs.to_numpy(dtype=object))
    base = ID_PREFIX + chosen["@type"] + chosen["@id"].astype(str)
    facility_id = base.where(~pairs.index.duplicated(keep=False), base + "-" + kinds)
    names = chosen["name"].fillna("").astype(str).str.strip()
    frame = gpd.GeoDataFrame(
        {
            "facility_id": facility_id,
            "kind": kinds,
            "name": names.where(names != "", kinds.map(dict(mapping.labels))),
            "ags": None,
            "capacity": np.nan,
            "capacity_unit": None,
            "departments": None,
        },
        geometry=_positions(chosen),
        crs=CRS,
    )
    frame.index = pd.Index(facility_id, name=None)
    return validate("facilities", frame, source=path.name)


def _positions(objects: pd.DataFrame) -> gpd.GeoSeries:
    """Points in EPSG:25832: node locations, centroids of way polygons/lines and areas."""
    nodes = (objects["@type"] == "n").to_numpy()
    shapes = np.empty(len(objects), dtype=object)
    shapes[nodes] = shapely.points(
        objects.loc[nodes, "@lon"].to_numpy(float), objects.loc[nodes, "@lat"].to_numpy(float)
    )
    shapes[~nodes] = shapely.from_wkb(objects.loc[~nodes, "@wkb"].to_numpy())
    polygons = shapely.build_area(shapes)
    closed_way = (
        (objects["@type"] == "w").to_numpy()
        & shapely.is_closed(shapes)
        & ~shapely.is_empty(polygons)
    )
    shapes = np.where(closed_way, polygons, shapes)
    projected = gpd.GeoSeries(shapes, crs="EPSG:4326").to_crs(CRS)
    return gpd.GeoSeries(projected.centroid.to_numpy(), crs=CRS)


def _provenance(path: Path, mapping: TagMapping, latest: dt.date | None) -> Provenance:
    origin = "regiowerk-Standard" if mapping.file == DEFAULT_TAGS.name else "Nutzerdatei"
    notes = f"Tag-Zuordnung: {mapping.file} ({origin})."
    if latest is not None:
        notes += f" Jüngste Bearbeitung eines übernommenen Objekts: {latest.isoformat()}."
    return file_provenance(
        [path],
        source="OpenStreetMap",
        licence=LICENCE,
        attribution=ATTRIBUTION,
        url="https://www.openstreetmap.org/copyright",
        notes=notes,
    )


# --- classification ------------------------------------------------------------------------


def classify(
    objects: pd.DataFrame, mapping: TagMapping, label: str, messages: list[str]
) -> pd.Series:
    """The kinds of the candidate objects in long format: index = object row, value = kind.

    An object appears once per kind it gets; ``label`` names the file in the messages.
    """
    parts = [_by_rule(objects, rule, label, messages) for rule in mapping.rules]
    if mapping.schools:
        parts.append(_schools_of(objects, mapping, label, messages))
    if not parts:
        return pd.Series([], dtype=object, name="kind")
    long = pd.concat(parts).rename("kind").rename_axis("row").reset_index()
    long = long.drop_duplicates().sort_values("row", kind="stable")
    return long.set_index("row")["kind"].rename_axis(None)


def _by_rule(objects: pd.DataFrame, rule: Rule, label: str, messages: list[str]) -> pd.Series:
    tagged = _has_any(objects, rule.tags)
    matches = tagged.copy()
    for key, words in rule.where.items():
        matches &= _has_word(objects[key], words)
    passed_over = int((tagged & ~matches).sum())
    if passed_over:
        condition = "; ".join(f"{k} = {'/'.join(sorted(w))}" for k, w in rule.where.items())
        messages.append(
            f"{label}: {passed_over} Objekte mit {rule.describe()} ohne {condition} nicht als "
            f"{rule.kind} übernommen (Regel {rule.number})."
        )
    return pd.Series(rule.kind, index=objects.index[matches.to_numpy()], dtype=object)


def _has_any(objects: pd.DataFrame, tags: Mapping[str, frozenset[str]]) -> pd.Series:
    mask = pd.Series(False, index=objects.index)
    for key, values in tags.items():
        mask |= objects[key].isin(list(values))
    return mask


def _tokens(values: pd.Series) -> pd.Series:
    """Lower-case single values of a tag (``"1;2"`` → ``1``, ``2``), index repeated."""
    present = values.dropna().astype(str)
    tokens = present.str.lower().str.split(";").explode().str.strip()
    return tokens[tokens != ""]


def _has_word(values: pd.Series, words: frozenset[str]) -> pd.Series:
    hits = _tokens(values).isin(list(words))
    return hits.groupby(level=0).any().reindex(values.index, fill_value=False).astype(bool)


def _schools_of(
    objects: pd.DataFrame, mapping: TagMapping, label: str, messages: list[str]
) -> pd.Series:
    """primary/secondary school kinds of the school objects (cascade: module docstring)."""
    schools = mapping.schools
    assert schools is not None
    rows = objects.index[_has_any(objects, schools.tags).to_numpy()]
    open_rows = rows
    found: list[pd.Series] = []
    for table in schools.by_tag:
        tokens = _tokens(objects.loc[open_rows, table.key])
        known = tokens[tokens.isin(list(table.values))]
        found.append(known.map(dict(table.values)))
        open_rows = open_rows.difference(known.index.unique())
    by_tags = len(rows) - len(open_rows)
    names = objects.loc[open_rows, "name"].fillna("").astype(str)
    named = pd.Series(False, index=open_rows)
    for pattern, kinds in schools.by_name:
        hits = names.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        named |= hits
        found.append(pd.Series([kinds] * int(hits.sum()), index=open_rows[hits], dtype=object))
    unclassified = open_rows[~named.to_numpy()]
    found.append(
        pd.Series([schools.unclassified] * len(unclassified), index=unclassified, dtype=object)
    )
    kinds = pd.concat(found).explode().dropna()
    if len(rows):
        messages.append(
            _school_summary(
                rows, kinds, (by_tags, int(named.sum()), len(unclassified)), mapping, label
            )
        )
    return kinds.astype(object)


def _school_summary(
    rows: pd.Index, kinds: pd.Series, decided: tuple[int, int, int], mapping: TagMapping, label: str
) -> str:
    """German message: how the schools were classified and what they became."""
    schools = mapping.schools
    assert schools is not None
    by_tags, by_name, unclassified = decided
    fallback = " und ".join(mapping.labels[k] for k in schools.unclassified)
    counts = kinds.value_counts()
    skipped = len(rows) - kinds.index.nunique()
    return (
        f"{label}: {len(rows)} Schulen ({' oder '.join(_pairs(schools.tags))}): Schulart aus "
        f"Tags bei {by_tags}, aus dem Namen bei {by_name}, unbestimmt bei {unclassified} "
        f"({f'übernommen als {fallback}' if fallback else 'übergangen'}); ergibt "
        f"{int(counts.get('primary_school', 0))} Einträge als Grundschule und "
        f"{int(counts.get('secondary_school', 0))} als weiterführende Schule"
        + (f"; {skipped} Objekte ohne passende Schulart übergangen." if skipped else ".")
    )


def _pairs(tags: Mapping[str, frozenset[str]]) -> list[str]:
    return [f"{k}={v}" for k, values in tags.items() for v in sorted(values)]


FORMAT = register_format(
    SourceFormat(
        key=KEY,
        title="OpenStreetMap: Einrichtungen der Daseinsvorsorge (PBF/XML)",
        detect=detect,
        read=read,
    )
)
