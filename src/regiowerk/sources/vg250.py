"""BKG Verwaltungsgebiete (VG250, VG1000, VG2500, VG5000): municipalities and Kreise.

Source
------
Bundesamt für Kartographie und Geodäsie (BKG), "Verwaltungsgebiete 1:250 000" (VG250) and
its generalised scales 1:1 000 000, 1:2 500 000 and 1:5 000 000 (VG1000, VG2500, VG5000),
"Ebenen" product, licence dl-de/by-2-0, attribution "© GeoBasis-DE / BKG <Jahr>".

Layout as published
-------------------
* Shapefiles ``VG250_GEM.shp`` (municipalities) and ``VG250_KRS.shp`` (Kreise), likewise
  ``VG5000_GEM.shp`` …, with ``.dbf``/``.shx``/``.prj``/``.cpg`` beside them; older and
  re-packed copies use lower-case names. The GeoPackage ``DE_VG250.gpkg`` holds the same
  content as layers ``vg250_gem``, ``vg250_krs``, … . Other levels (``LAN``, ``RBZ``, ``VWG``,
  ``STA``) are not read.
* Coordinates in EPSG:25832 (VG250) or, in older issues such as VG5000 2021, EPSG:31467; any
  CRS is reprojected to EPSG:25832. A shapefile without ``.prj`` has no CRS: the import stops
  unless the caller names one (``crs=``).
* Attributes (upper-case, as in the BKG documentation): ``AGS`` (Gemeinde: 8 digits, Kreis:
  5), ``GEN`` (geographical name), ``BEZ`` (type, e.g. "Landkreis"), ``NBD`` (Namensbildung:
  "ja" = the type is part of the official name), ``GF`` (Geofaktor), ``WSK`` (date the unit's
  current status took effect), ``BEGINN`` (start of the database object's life cycle).
* ``aktualitaet.txt`` beside the data (or one folder up) states the Gebietsstand, e.g.
  ``01.01.2021``.

Geofaktor (``GF``)
------------------
Values as listed in ``VG_WERTE.dbf`` of the product: 1 = "ohne Struktur Gewässer",
2 = "mit Struktur Gewässer", 3 = "ohne Struktur Land", 4 = "mit Struktur Land",
8 = "ohne Struktur", 9 = "mit Struktur". BKG's VG250 documentation: areas without lower
administrative levels are "ohne Struktur"; "Gewässer" are the North Sea, the Baltic Sea and
Lake Constance; units reaching onto them are split at the coast, the water part having GF 2,
the land part GF 4. The generalised VG5000 makes no land/water split: its municipalities and
Kreise all have GF 9 (checked on VG5000 2021: 10,997 of 10,997 GEM features and 401 of 401 KRS
features), and only its LAN layer carries GF 8 sea areas. This reader therefore keeps
**GF 4 and GF 9** (land with structure, or structure without a land/water split) and skips
1, 2, 3 and 8 (counted in the messages).

Method
------
Features of one key (several GF 4 parts of a municipality) are dissolved into one row.
Geometries that are invalid after reprojection are repaired with ``shapely.make_valid``
(``method="structure"``, polygons only) and counted in the messages; an empty or missing
geometry is an error naming the feature and its AGS. ``area_km2`` is the area of the (land)
geometry computed in the equal-area EPSG:3035 (LAEA Europe), not in UTM zone 32, whose areas
are off by −0.08 % (near 9° E) to +0.35 % (Neißeaue at 15° E; measured on VG5000 2021); the
official cadastral area is in the Gemeindeverzeichnis (table ``municipality_register``).
Kreis labels follow BKG's ``NBD``: "Landkreis Harz", "Kreis Dithmarschen", "Kreisfreie Stadt
Flensburg", but "Enzkreis" where the type is not part of the name. Row numbers in errors are
the 1-based feature numbers of the layer.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS as ProjCRS
from pyproj.exceptions import CRSError

from regiowerk.ags import normalize_ags_column
from regiowerk.schema import CRS, validate
from regiowerk.sources.base import (
    DL_DE_BY,
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    first_row,
    register_format,
)

KEY = "vg250"
LAND_GEOFAKTOR = (4, 9)
"""GF values kept: 4 = "mit Struktur Land", 9 = "mit Struktur" (no land/water split)."""
EQUAL_AREA_CRS = "EPSG:3035"
LEVELS = {"gem": ("municipalities", 8), "krs": ("kreise", 5)}
"""Layer level → canonical table and length of its AGS."""

_SHAPEFILE = re.compile(r"^vg(\d+)(?:_ew)?_(gem|krs)\.shp$", re.IGNORECASE)
_LAYER = re.compile(r"^vg(\d+)(?:_ew)?_(gem|krs)$", re.IGNORECASE)
_GEOPACKAGE = re.compile(r"^de_vg(\d+)(?:_ew)?\.gpkg$", re.IGNORECASE)
_DATE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})")
_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class _Layer:
    """One readable layer: a shapefile or a layer of a GeoPackage."""

    path: Path
    layer: str | None
    level: str
    scale: str

    @property
    def label(self) -> str:
        """How messages name the layer: the file, plus the layer of a GeoPackage."""
        return self.path.name + (f" (Ebene {self.layer})" if self.layer else "")


def detect(path: Path) -> bool:
    """``VG…_GEM.shp``/``VG…_KRS.shp`` or a GeoPackage with ``vg…_gem``/``vg…_krs`` layers."""
    try:
        if _SHAPEFILE.match(path.name):
            return True
        if path.suffix.lower() != ".gpkg":
            return False
        return bool(_GEOPACKAGE.match(path.name)) or bool(_gpkg_layers(path))
    except Exception:
        return False


def read(
    paths: Sequence[Path], *, encoding: str | None = None, crs: str | None = None
) -> ImportResult:
    """Read municipalities (GEM) and Kreise (KRS) from VG shapefiles or GeoPackages.

    ``encoding`` overrides the ``.cpg`` of a shapefile; ``crs`` (e.g. ``"EPSG:25832"``) is the
    coordinate system of files that have none (shapefile without ``.prj``).
    """
    result = ImportResult(source=KEY)
    for path in paths:
        layers = _layers_of(Path(path))
        for layer in layers:
            table, frame, gebietsstand, note = _read_layer(
                layer, encoding=encoding, crs=crs, messages=result.messages
            )
            provenance = file_provenance(
                [layer.path],
                source=f"BKG Verwaltungsgebiete {_scale_text(layer.scale)} (VG{layer.scale})",
                licence=DL_DE_BY,
                attribution=_attribution(gebietsstand),
                gebietsstand=gebietsstand,
                url="https://gdz.bkg.bund.de",
                notes=note,
            )
            result.add(table, frame, provenance)
    return result


def _layers_of(path: Path) -> list[_Layer]:
    """The GEM/KRS layers in ``path``; anything else is an error."""
    if not path.is_file():
        raise SourceError("Datei nicht gefunden.", file=path)
    match = _SHAPEFILE.match(path.name)
    if match:
        return [_Layer(path, None, match.group(2).lower(), match.group(1))]
    if path.suffix.lower() == ".gpkg":
        layers = _gpkg_layers(path)
        if layers:
            return layers
        raise SourceError(
            "Die GeoPackage-Datei enthält keine Ebene vg…_gem oder vg…_krs "
            "(BKG-Verwaltungsgebiete).",
            file=path,
        )
    raise SourceError(
        "Keine BKG-Verwaltungsgebiete: erwartet VG250_GEM.shp, VG250_KRS.shp (bzw. VG5000_…) "
        "oder DE_VG250.gpkg.",
        file=path,
    )


def _gpkg_layers(path: Path) -> list[_Layer]:
    try:
        names = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except pyogrio.errors.DataSourceError as exc:
        raise SourceError(f"GeoPackage nicht lesbar ({exc}).", file=path) from None
    layers = []
    for name in names:
        match = _LAYER.match(name)
        if match:
            layers.append(_Layer(path, name, match.group(2).lower(), match.group(1)))
    return layers


def _read_layer(
    layer: _Layer, *, encoding: str | None, crs: str | None, messages: list[str]
) -> tuple[str, gpd.GeoDataFrame, str | None, str]:
    """One layer as a validated canonical table, with its Gebietsstand and a note."""
    table, key_length = LEVELS[layer.level]
    frame = _open(layer, encoding)
    required = ("AGS", "GEN", "GF", "BEZ") if layer.level == "krs" else ("AGS", "GEN", "GF")
    _require_columns(frame, required, layer)
    frame = _land_only(frame, layer, messages)
    frame["AGS"] = normalize_ags_column(
        frame["AGS"], length=key_length, file=layer.label, column="AGS"
    )
    _require_geometry(frame, layer)
    frame = _to_canonical_crs(frame, layer, crs)
    frame = _repair(frame, layer, messages)
    frame = _dissolve(frame, layer, messages)
    gebietsstand, note = _gebietsstand(layer, frame)
    canonical = _municipalities(frame) if layer.level == "gem" else _kreise(frame)
    validated = validate(table, canonical, source=layer.label)
    return table, validated.reset_index(drop=True), gebietsstand, note


def _open(layer: _Layer, encoding: str | None) -> gpd.GeoDataFrame:
    """All features with upper-case column names and the feature number as index."""
    options = {}
    if encoding and layer.layer is None:  # GeoPackages are always UTF-8
        try:
            options["encoding"] = codecs.lookup(encoding).name
        except LookupError:
            raise SourceError(f"Unbekannte Kodierung {encoding!r}.", file=layer.path) from None
    try:
        frame = pyogrio.read_dataframe(layer.path, layer=layer.layer, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceError(f"nicht lesbar ({exc}).", file=layer.path) from None
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"Attribute nicht als {exc.encoding} lesbar (Byte 0x{exc.object[exc.start]:02x}); "
            f"die Kodierung in der .cpg-Datei stimmt nicht. Vermutlich Windows-1252: mit "
            f"'--encoding cp1252' erneut importieren.",
            file=layer.path,
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise SourceError("Die Ebene hat keine Geometrie.", file=layer.path)
    frame.columns = [c if c == frame.geometry.name else str(c).upper() for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _require_columns(frame: pd.DataFrame, required: Sequence[str], layer: _Layer) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceError(
            f"{layer.label}: Spalte(n) {', '.join(missing)} fehlen; vorhanden: "
            f"{', '.join(map(str, frame.columns))}.",
            file=layer.path,
            column=missing[0],
        )


def _land_only(frame: gpd.GeoDataFrame, layer: _Layer, messages: list[str]) -> gpd.GeoDataFrame:
    """Features with GF 4 or 9 (see module docstring); the others are counted."""
    geofaktor = pd.to_numeric(frame["GF"], errors="coerce")
    bad = geofaktor.isna()
    if bad.any():
        row = first_row(bad)
        raise SourceError(
            f"{layer.label}: Geofaktor {frame.loc[row, 'GF']!r} ist keine Zahl.",
            file=layer.path,
            row=row,
            column="GF",
        )
    keep = geofaktor.isin(LAND_GEOFAKTOR)
    skipped = geofaktor[~keep].value_counts().sort_index()
    if len(skipped):
        counts = ", ".join(f"{n} mit GF {int(gf)}" for gf, n in skipped.items())
        messages.append(
            f"{layer.label}: {int(skipped.sum())} Teilflächen ohne Landfläche übergangen "
            f"({counts}; nur GF 4 = Land mit Struktur und GF 9 = mit Struktur)."
        )
    if not keep.any():
        raise SourceError(
            f"{layer.label}: keine Landflächen (GF 4 oder 9) in der Ebene.", file=layer.path
        )
    return frame[keep].copy()


def _require_geometry(frame: gpd.GeoDataFrame, layer: _Layer) -> None:
    missing = frame.geometry.isna() | frame.geometry.is_empty
    if missing.any():
        rows = frame.index[missing.to_numpy()]
        shown = ", ".join(f"Zeile {r} (AGS {frame.loc[r, 'AGS']})" for r in rows[:5])
        raise SourceError(
            f"{layer.label}: {len(rows)} Objekt(e) ohne Geometrie oder mit leerer Geometrie: "
            f"{shown}.",
            file=layer.path,
            row=int(rows[0]),
        )


def _to_canonical_crs(frame: gpd.GeoDataFrame, layer: _Layer, crs: str | None) -> gpd.GeoDataFrame:
    """Reproject to EPSG:25832; a missing CRS is taken from ``crs`` or is an error."""
    given = _parse_crs(crs, layer) if crs else None
    if frame.crs is None:
        if given is None:
            raise SourceError(
                f"{layer.label}: Koordinatensystem fehlt (keine .prj-Datei). Die .prj-Datei "
                f"neben die Shapefile-Datei legen oder das System angeben (crs='EPSG:25832').",
                file=layer.path,
            )
        frame = frame.set_crs(given)
    elif given is not None and not ProjCRS(frame.crs).equals(given):
        raise SourceError(
            f"{layer.label}: Die Datei gibt das Koordinatensystem {frame.crs.to_string()} an, "
            f"verlangt wurde {crs}. Die Angabe crs= gilt nur für Dateien ohne System.",
            file=layer.path,
        )
    return frame.to_crs(CRS)


def _parse_crs(crs: str, layer: _Layer) -> ProjCRS:
    try:
        return ProjCRS.from_user_input(crs)
    except CRSError:
        raise SourceError(f"Unbekanntes Koordinatensystem {crs!r}.", file=layer.path) from None


def _repair(frame: gpd.GeoDataFrame, layer: _Layer, messages: list[str]) -> gpd.GeoDataFrame:
    """Make invalid polygons valid (only those), count them; reject non-polygons."""
    geometry = frame.geometry
    wrong_type = ~geometry.geom_type.isin(_POLYGONAL)
    if wrong_type.any():
        row = first_row(wrong_type)
        raise SourceError(
            f"{layer.label}: Geometrietyp {geometry.loc[row].geom_type}, erwartet Polygon "
            f"(AGS {frame.loc[row, 'AGS']}).",
            file=layer.path,
            row=row,
        )
    invalid = ~geometry.is_valid
    if not invalid.any():
        return frame
    repaired = shapely.make_valid(
        geometry[invalid].to_numpy(), method="structure", keep_collapsed=False
    )
    collapsed = shapely.is_empty(repaired) | ~np.isin(shapely.get_type_id(repaired), [3, 6])
    if collapsed.any():
        row = frame.index[invalid.to_numpy()][int(np.argmax(collapsed))]
        raise SourceError(
            f"{layer.label}: Geometrie von AGS {frame.loc[row, 'AGS']} ist ungültig und nicht "
            f"reparierbar (fällt zu Linie oder Punkt zusammen).",
            file=layer.path,
            row=row,
        )
    frame = frame.copy()
    frame.loc[invalid, frame.geometry.name] = repaired
    rows = frame.index[invalid.to_numpy()]
    shown = ", ".join(f"Zeile {r} (AGS {frame.loc[r, 'AGS']})" for r in rows[:5])
    more = f" und {len(rows) - 5} weitere" if len(rows) > 5 else ""
    messages.append(
        f"{layer.label}: {len(rows)} ungültige Geometrie(n) mit shapely.make_valid repariert: "
        f"{shown}{more}."
    )
    return frame


def _dissolve(frame: gpd.GeoDataFrame, layer: _Layer, messages: list[str]) -> gpd.GeoDataFrame:
    """One row per AGS: parts of the same unit are united (row label of the first part)."""
    several = frame["AGS"].duplicated(keep=False)
    if not several.any():
        return frame
    parts = frame[several].rename_axis("_row").reset_index()
    united = parts.dissolve(by="AGS", aggfunc="first", as_index=False).set_index("_row")
    united.index.name = None
    messages.append(
        f"{layer.label}: {united['AGS'].nunique()} Gebiete aus {int(several.sum())} "
        f"Teilflächen zusammengeführt."
    )
    return pd.concat([frame[~several], united[frame.columns]]).sort_index()


def _municipalities(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    ags = frame["AGS"]
    return gpd.GeoDataFrame(
        {
            "ags": ags,
            "name": frame["GEN"].astype(str).str.strip(),
            "kreis": ags.str[:5],
            "land": ags.str[:2],
            "area_km2": frame.geometry.to_crs(EQUAL_AREA_CRS).area / 1e6,
            "centrality": None,
        },
        geometry=frame.geometry,
        crs=CRS,
        index=frame.index,
    )


def _kreise(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kreis": frame["AGS"], "name": kreis_label(frame), "land": frame["AGS"].str[:2]},
        geometry=frame.geometry,
        crs=CRS,
        index=frame.index,
    )


def kreis_label(frame: pd.DataFrame) -> pd.Series:
    """German label of a Kreis by BKG's Namensbildung: ``BEZ GEN`` unless ``NBD`` is "nein"."""
    name = frame["GEN"].astype(str).str.strip()
    kind = frame["BEZ"].fillna("").astype(str).str.strip()
    nbd = (
        frame["NBD"].fillna("ja").astype(str).str.strip().str.lower()
        if "NBD" in frame.columns
        else pd.Series("ja", index=frame.index)
    )
    with_kind = (nbd != "nein") & (kind != "") & (kind != "--")
    return (kind + " " + name).where(with_kind, name)


def _gebietsstand(layer: _Layer, frame: pd.DataFrame) -> tuple[str | None, str]:
    """ISO date from ``aktualitaet.txt``, else the latest ``WSK`` (with a note saying so)."""
    note = (
        "Nur Landflächen (GF 4/9); Fläche aus der Geometrie (EPSG:3035); nach EPSG:25832 "
        "umprojiziert."
    )
    for folder in (layer.path.parent, layer.path.parent.parent):
        stamp = folder / "aktualitaet.txt"
        if stamp.is_file():
            match = _DATE.search(stamp.read_bytes().decode("latin-1"))
            if match:
                day, month, year = match.groups()
                return f"{year}-{month}-{day}", note
    if "WSK" in frame.columns:
        latest = pd.to_datetime(frame["WSK"], errors="coerce").max()
        if pd.notna(latest):
            return latest.date().isoformat(), (
                f"{note} Gebietsstand aus dem jüngsten Wirksamkeitsdatum (WSK) abgeleitet, "
                f"da aktualitaet.txt fehlt."
            )
    return None, f"{note} Gebietsstand unbekannt (weder aktualitaet.txt noch WSK)."


def _attribution(gebietsstand: str | None) -> str:
    """BKG's Quellenvermerk; "(Daten verändert)" because geometries are reprojected."""
    year = f" {gebietsstand[:4]}" if gebietsstand else ""
    return f"© GeoBasis-DE / BKG{year} (Daten verändert)"


def _scale_text(scale: str) -> str:
    return "1:" + f"{int(scale) * 1000:,}".replace(",", " ")


FORMAT = register_format(
    SourceFormat(
        key=KEY,
        title="BKG Verwaltungsgebiete (VG250/VG5000): Gemeinden und Kreise",
        detect=detect,
        read=read,
    )
)
