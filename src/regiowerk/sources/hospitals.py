"""Hospital sites from the Krankenhaus-Standortverzeichnis, geocoded by Eurostat GISCO.

Source
------
Eurostat GISCO, "Healthcare services in Europe": the German part integrates the
Verzeichnis der Krankenhausstandorte (§ 293 Abs. 6 SGB V) and adds coordinates. Files
``DE_healthcare.csv`` and ``DE_healthcare.gpkg`` (the Europe-wide ``EU.*`` has the same
columns; rows of other countries are skipped by ``cc``).

Layout as published
-------------------
* CSV: comma-separated, UTF-8, header line, one row per site. Columns ``id`` (e.g.
  ``260551132_001_771077``: IK number, site number, Standort-ID), ``hospital_name``,
  ``site_name``, ``lat``/``lon`` (WGS84), ``geo_qual``, address columns, ``cc``,
  ``cap_beds``, ``cap_prac``, ``cap_rooms``, ``emergency``, ``facility_type``,
  ``public_private``, ``list_specs``, contact columns, ``ref_date``/``pub_date``
  (``dd/mm/yyyy``), ``comments``. A copy saved by German Excel (``;`` and decimal commas) is
  read as well.
* GeoPackage: one point layer (called ``type``) in EPSG:4326 with the same attributes.

Method
------
``facility_id`` = ``"kh-" + id``; ``kind`` = ``hospital``; ``name`` = the hospital's name
where the site name is generic ("Hauptstandort", "Standort", …) or part of it, the site name
where it contains the hospital's name, otherwise both ("Gemeinschaftsklinikum Mittelrhein
gGmbH – St. Elisabeth"), compared ignoring case. ``capacity`` = ``cap_beds`` (empty in the
2020 German file, so missing), unit "Betten"; ``departments`` = ``list_specs``; ``ags`` is
missing (the file has postcode and town, no municipality key). Points are reprojected to
EPSG:25832.

The 2020 file has 2,809 rows but 2,761 distinct ids: 31 rows repeat another row completely
and 17 more repeat an id with another site name or coordinates a few metres off (the same
site). Each id is kept once (its first row); the skipped rows are counted in the messages.
Rows without coordinates are skipped and counted; coordinates that are not numbers are an
error naming the line.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from regiowerk.provenance import Provenance
from regiowerk.schema import CRS, validate
from regiowerk.sources.base import (
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    first_row,
    read_text,
    register_format,
)

KEY = "hospitals"
ID_PREFIX = "kh-"
CAPACITY_UNIT = "Betten"
REQUIRED = ("id", "hospital_name", "site_name")
COORDINATES = ("lat", "lon")
GENERIC_SITE_NAMES = frozenset(
    {"", "hauptstandort", "haupstandort", "standort", "krankenhaus", "klinik", "klinikum"}
)
"""Site names that say nothing about the site; the hospital's name is used instead."""
LICENCE = (
    "Eurostat-Urheberrechtshinweis: Weiterverwendung mit Quellenangabe erlaubt "
    "(Beschluss 2011/833/EU)"
)
ATTRIBUTION = (
    "© Europäische Union, Eurostat (GISCO, Healthcare services in Europe); "
    "Verzeichnis der Krankenhausstandorte nach § 293 Abs. 6 SGB V"
)
_HEADER = re.compile(r"^\ufeff?\"?id\"?[,;]\"?hospital_name\"?[,;]", re.IGNORECASE)
_PARSER_LINE = re.compile(r"line (\d+)")
_DDMMYYYY = re.compile(r"^([0-9]{2})/([0-9]{2})/([0-9]{4})$")


def detect(path: Path) -> bool:
    """A GISCO healthcare file: ``*healthcare.csv``/``.gpkg`` or its CSV header."""
    try:
        name = path.name.lower()
        if name.endswith(("healthcare.csv", "healthcare.gpkg")):
            return True
        if name.endswith(".csv"):
            with path.open("rb") as handle:
                head = handle.read(200).decode("utf-8", errors="replace")
            return bool(_HEADER.match(head))
        return False
    except OSError:
        return False


def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read GISCO healthcare CSV or GeoPackage files into the ``facilities`` table."""
    result = ImportResult(source=KEY)
    seen: set[str] = set()
    for path in map(Path, paths):
        raw = _read_gpkg(path) if path.suffix.lower() == ".gpkg" else _read_csv(path, encoding)
        raw = _germany_only(raw, path, result.messages)
        facilities = _facilities(raw, path, result.messages)
        repeated = facilities["facility_id"].isin(seen)
        if repeated.any():
            result.messages.append(
                f"{path.name}: {int(repeated.sum())} Standorte schon aus einer anderen Datei "
                f"gelesen, übergangen."
            )
            facilities = facilities[~repeated]
        seen.update(facilities["facility_id"])
        provenance = _provenance(path, raw, facilities)
        result.add("facilities", facilities.reset_index(drop=True), provenance)
    return result


def _read_csv(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    """The CSV as text columns with points; index = line number in the file."""
    text = read_text(path, encoding=encoding)
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        line = _PARSER_LINE.search(str(exc))
        raise SourceError(
            f"CSV nicht lesbar ({exc}).", file=path, row=int(line.group(1)) if line else None
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    _require_columns(frame, (*REQUIRED, *COORDINATES), path)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    lat = _coordinate(frame, "lat", path, decimal_comma=sep == ";", limit=90)
    lon = _coordinate(frame, "lon", path, decimal_comma=sep == ";", limit=180)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _read_gpkg(path: Path) -> gpd.GeoDataFrame:
    """The point layer with the GISCO attributes; index = feature number."""
    try:
        frame = pyogrio.read_dataframe(path, layer=_gpkg_layer(path))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceError(f"nicht lesbar ({exc}).", file=path) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise SourceError(
            "Koordinatensystem oder Geometrie fehlt; erwartet Punkte in EPSG:4326.", file=path
        )
    frame.columns = [
        c if c == frame.geometry.name else str(c).strip().lower() for c in frame.columns
    ]
    _require_columns(frame, REQUIRED, path)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    points = frame.geometry.isna() | frame.geometry.is_empty | (frame.geom_type == "Point")
    if not points.all():
        row = first_row(~points)
        raise SourceError(
            f"Geometrietyp {frame.geometry.loc[row].geom_type}, erwartet Punkt.",
            file=path,
            row=row,
        )
    return frame


def _gpkg_layer(path: Path) -> str:
    """The layer holding the hospital attributes (GISCO calls it ``type``)."""
    try:
        names = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
        for name in names:
            fields = {str(f).lower() for f in pyogrio.read_info(path, layer=name)["fields"]}
            if set(REQUIRED) <= fields:
                return name
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceError(f"nicht lesbar ({exc}).", file=path) from None
    raise SourceError(
        f"Keine Ebene mit den Spalten {', '.join(REQUIRED)} (GISCO healthcare).", file=path
    )


def _require_columns(frame: pd.DataFrame, required: Sequence[str], path: Path) -> None:
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return
    hint = ""
    if set(missing) & set(COORDINATES):
        hint = " Ohne Koordinaten (lat, lon) lassen sich die Standorte nicht verorten."
    if len(frame.columns) == 1:
        hint += " Nur eine Spalte erkannt: Trennzeichen prüfen (erwartet ',' oder ';')."
    raise SourceError(
        f"Spalte(n) {', '.join(missing)} fehlen; vorhanden: {', '.join(frame.columns)}.{hint}",
        file=path,
        row=1,
        column=missing[0],
    )


def _coordinate(
    frame: pd.DataFrame, column: str, path: Path, *, decimal_comma: bool, limit: float
) -> pd.Series:
    """Degrees as floats (empty → missing); text or out-of-range values are errors."""
    text = frame[column].str.strip()
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (values.isna() & (text != "")) | (values.abs() > limit)
    if bad.any():
        row = first_row(bad)
        raise SourceError(
            f"{frame.loc[row, column]!r} ist keine Koordinate in Grad.",
            file=path,
            row=row,
            column=column,
        )
    return values


def _germany_only(frame: gpd.GeoDataFrame, path: Path, messages: list[str]) -> gpd.GeoDataFrame:
    """Rows of Germany (``cc`` = DE) when the file covers several countries."""
    if "cc" not in frame.columns:
        return frame
    german = frame["cc"].fillna("").astype(str).str.strip().str.upper() == "DE"
    if not german.all():
        messages.append(
            f"{path.name}: {int((~german).sum())} Standorte außerhalb Deutschlands (cc ≠ DE) "
            f"übergangen."
        )
    return frame[german]


def _facilities(raw: gpd.GeoDataFrame, path: Path, messages: list[str]) -> gpd.GeoDataFrame:
    """Canonical, validated ``facilities`` rows (index = line / feature number)."""
    raw = _with_location(raw, path, messages)
    ids = raw["id"].fillna("").astype(str).str.strip()
    if (ids == "").any():
        row = first_row(ids == "")
        raise SourceError("Standort-ID fehlt.", file=path, row=row, column="id")
    raw = _first_per_id(raw.assign(id=ids), path, messages)
    frame = gpd.GeoDataFrame(
        {
            "facility_id": ID_PREFIX + raw["id"],
            "kind": "hospital",
            "name": site_label(raw["hospital_name"], raw["site_name"]),
            "ags": None,
            "capacity": _beds(raw, path),
            "capacity_unit": CAPACITY_UNIT,
            "departments": _text_or_none(raw, "list_specs"),
        },
        geometry=raw.geometry.to_crs(CRS),
        crs=CRS,
        index=raw.index,
    )
    return validate("facilities", frame, source=path.name)


def _with_location(raw: gpd.GeoDataFrame, path: Path, messages: list[str]) -> gpd.GeoDataFrame:
    missing = raw.geometry.isna() | raw.geometry.is_empty | raw.geometry.x.isna()
    if missing.any():
        rows = ", ".join(str(r) for r in raw.index[missing.to_numpy()][:5])
        messages.append(
            f"{path.name}: {int(missing.sum())} Standorte ohne Koordinaten übergangen "
            f"(Zeilen {rows}{' …' if missing.sum() > 5 else ''})."
        )
    return raw[~missing]


def _first_per_id(raw: gpd.GeoDataFrame, path: Path, messages: list[str]) -> gpd.GeoDataFrame:
    """Keep the first row of every id; count exact repeats and differing repeats."""
    repeated = raw["id"].duplicated(keep="first")
    if not repeated.any():
        return raw
    attributes = raw.drop(columns=raw.geometry.name).assign(_wkb=raw.geometry.to_wkb())
    identical = int((attributes.duplicated(keep="first") & repeated).sum())
    differing = int(repeated.sum()) - identical
    messages.append(
        f"{path.name}: {raw.loc[repeated, 'id'].nunique()} Standort-IDs mehrfach; "
        f"{identical} Zeilen wiederholen eine andere vollständig, {differing} weichen in "
        f"Standortname oder Koordinaten ab. Je ID wurde die erste Zeile übernommen "
        f"(erste Wiederholung: Zeile {first_row(repeated)})."
    )
    return raw[~repeated]


def site_label(hospital: pd.Series, site: pd.Series) -> pd.Series:
    """Name of a site: the site name, the hospital's name for generic ones, or both."""
    hospital = hospital.fillna("").astype(str).str.strip()
    site = site.fillna("").astype(str).str.strip()
    site_folded = site.str.casefold().to_numpy(dtype=str)
    hospital_folded = hospital.str.casefold().to_numpy(dtype=str)
    site_has_hospital = np.char.find(site_folded, hospital_folded) >= 0
    hospital_has_site = np.char.find(hospital_folded, site_folded) >= 0
    generic = site.str.casefold().isin(GENERIC_SITE_NAMES).to_numpy() | hospital_has_site
    label = hospital + " – " + site
    label = label.mask(site_has_hospital, site).mask(generic, hospital)
    return label.where(label != "", "Krankenhaus")


def _beds(raw: pd.DataFrame, path: Path) -> pd.Series:
    """``cap_beds`` as numbers; empty → missing, text → error naming the line."""
    if "cap_beds" not in raw.columns:
        return pd.Series(float("nan"), index=raw.index)
    text = raw["cap_beds"].fillna("").astype(str).str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        row = first_row(bad)
        raise SourceError(
            f"{text.loc[row]!r} ist keine Bettenzahl.", file=path, row=row, column="cap_beds"
        )
    return values.astype("float64")


def _text_or_none(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw.columns:
        return pd.Series(None, index=raw.index, dtype=object)
    text = raw[column].fillna("").astype(str).str.strip()
    return text.astype(object).where(text != "", None)


def _provenance(path: Path, raw: pd.DataFrame, facilities: pd.DataFrame) -> Provenance:
    """File provenance; the notes give the list's reference date and missing bed counts."""
    notes = []
    if "ref_date" in raw.columns:
        dates = raw["ref_date"].dropna().astype(str).str.strip().unique()
        match = _DDMMYYYY.match(dates[0]) if len(dates) == 1 else None
        if match:
            day, month, year = match.groups()
            notes.append(f"Stichtag der Standortliste {year}-{month}-{day}.")
    if facilities["capacity"].isna().all():
        notes.append("Bettenzahlen (cap_beds) leer: Kapazität fehlt.")
    return file_provenance(
        [path],
        source="Krankenhausstandorte (Eurostat GISCO, Healthcare services in Europe)",
        licence=LICENCE,
        attribution=ATTRIBUTION,
        url="https://ec.europa.eu/eurostat/web/gisco/geodata/basic-services",
        notes=" ".join(notes) or None,
    )


FORMAT = register_format(
    SourceFormat(
        key=KEY,
        title="Krankenhausstandorte (Eurostat GISCO, Krankenhaus-Standortverzeichnis)",
        detect=detect,
        read=read,
    )
)
