"""Zensus 2022 (reference date 15.05.2022): flat tables of the Zensus database and grid cells.

Publisher: Statistische Ämter des Bundes und der Länder, Zensus 2022, licence dl-de/by-2-0.

**Flat tables** (``<code>_de_flat.csv`` from https://ergebnisse.zensus2022.de, ``;``, UTF-8
with BOM): one row per cell with ``statistics_code;statistics_label;time_code;time_label;time;
1_variable_code;1_variable_label;1_variable_attribute_code;1_variable_attribute_label;value;
value_unit;value_variable_code;value_variable_label;value_q``. The first variable is the
region: ``GEOGM*`` municipalities with the 12-digit ARS (AGS = ARS[:5] + ARS[9:]), ``GEOBL*``
Länder (2 digits), ``GEODL*`` Germany (``DG``). ``value_q`` is the quality mark of the value;
a GENESIS placeholder there (``.`` ``x`` ``/`` ``-`` ``...``) stands for an empty value and is
kept as flag, any other mark (``e`` in table 1000A) is only counted in the messages.

Each supported table is one entry of :data:`FLAT_TABLES` (statistics code → canonical table and
a small function building it from the parsed cells). Implemented: ``1000A`` (table 1000A-0000
"Bevölkerung kompakt") → ``population_totals``. Households and dwellings by rooms are not mapped
yet: their variable and attribute codes could not be checked against an original file here.
Zensus methodology: the value for Germany includes Germans of the armed forces, police and
foreign service abroad with their families, so it exceeds the sum of the Länder and
municipalities (82,719,540 vs. 82,711,282); both are kept, under their own region keys.

**Grid cells** ("Gitterzellen" downloads, e.g. ``Zensus2022_Bevoelkerungszahl_100m-Gitter.csv``):
``GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner`` (also ``_1km``/``_10km``), optionally
``werterlaeuternde_Zeichen``. ``x_mp``/``y_mp`` are the cell centre in ETRS89-LAEA
(EPSG:3035). The INSPIRE cell id ``CRS3035RES100mN{north}E{east}`` names the lower-left
corner; it is built from the centre and checked against ``GITTER_ID``. Cells are squares in
EPSG:3035, stored transformed to EPSG:25832 (canonical ``grid``). A dash (``–`` or ``-``)
instead of a count is a value the publisher did not give; such cells are left out and counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regiowerk.ags import normalize_ags_column
from regiowerk.formatting import fmt_int
from regiowerk.provenance import Provenance
from regiowerk.schema import CRS, validate
from regiowerk.sources.base import (
    DL_DE_BY,
    GENESIS_PLACEHOLDERS,
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    first_row,
    parse_counts,
    read_semicolon_text,
    read_text,
    register_format,
)

KEY = "zensus2022"
TITLE = "Zensus 2022 (Tabellen der Zensusdatenbank, Gitterzellen)"
SOURCE = "Statistische Ämter des Bundes und der Länder, Zensus 2022"
ATTRIBUTION = "© Statistische Ämter des Bundes und der Länder, Zensus 2022, 2024"
URL_TABLES = "https://ergebnisse.zensus2022.de"
URL_GRID = "https://www.zensus2022.de/DE/Ergebnisse-des-Zensus/gitterzellen.html"
REFERENCE_DATE = "2022-05-15"
CENSUS_BASIS = "zensus2022"

FLAT_REQUIRED = (
    "statistics_code",
    "time",
    "1_variable_code",
    "1_variable_attribute_code",
    "value",
)
GRID_RESOLUTIONS = {"100m": 100, "1km": 1000, "10km": 10000}
GRID_VALUE = "Einwohner"
GRID_NOTE = "werterlaeuternde_Zeichen"
GRID_MISSING = ("–", "-")
"""Dashes (en dash as published, hyphen after re-saving) standing for a value not given."""


# --------------------------------------------------------------------------------------------
# Flat tables


@dataclass(frozen=True)
class FlatTable:
    """How one Zensus database table (``statistics_code``) becomes a canonical table.

    ``build(cells, file)`` receives the file's rows (index = line number) with the raw columns
    plus ``region`` (canonical key), ``year`` and ``reference_date``, and returns the canonical
    frame with the same index. ``variables`` is the number of ``N_variable_*`` groups the
    table has (the region counts as one).
    """

    code: str
    title: str
    table: str
    variables: int
    build: Callable[[pd.DataFrame, Path], pd.DataFrame]


def _population_totals(cells: pd.DataFrame, file: Path) -> pd.DataFrame:
    persons, flags = parse_counts(cells["value"], file=file, column="value")
    return pd.DataFrame(
        {
            "region": cells["region"],
            "year": cells["year"],
            "census_basis": CENSUS_BASIS,
            "reference_date": cells["reference_date"],
            "persons": persons,
            "male": pd.array([pd.NA] * len(cells), dtype="Int64"),
            "female": pd.array([pd.NA] * len(cells), dtype="Int64"),
            "flag": flags,
        },
        index=cells.index,
    )


FLAT_TABLES: dict[str, FlatTable] = {
    t.code: t
    for t in (
        FlatTable("1000A", "Bevölkerung kompakt", "population_totals", 1, _population_totals),
    )
}


REGION_LEVELS = {"GEOGM": "Gemeinden (ARS)", "GEOBL": "Länder", "GEODL": "Deutschland"}


def _regions(frame: pd.DataFrame, file: Path) -> pd.Series:
    """Canonical region key of each row from the first variable (see module docstring)."""
    level = frame["1_variable_code"].str[:5]
    unknown = ~level.isin(list(REGION_LEVELS))
    if unknown.any():
        line = first_row(unknown)
        known = ", ".join(f"{k}… ({v})" for k, v in REGION_LEVELS.items())
        raise SourceError(
            f"Regionalebene {frame.loc[line, '1_variable_code']!r} wird nicht unterstützt "
            f"(bekannt: {known}).",
            file=file,
            row=line,
            column="1_variable_code",
        )
    codes = frame["1_variable_attribute_code"]
    region = pd.Series("DG", index=frame.index, dtype=str)
    for prefix, length in (("GEOGM", 12), ("GEOBL", 2)):
        rows = (level == prefix).to_numpy()
        if rows.any():
            keys = normalize_ags_column(
                codes[rows], length=length, file=file.name, column="1_variable_attribute_code"
            )
            region[rows] = keys.str[:5] + keys.str[9:] if length == 12 else keys
    return region


def _flat_values(frame: pd.DataFrame, file: Path, notes: list[str]) -> pd.Series:
    """``value``, with a GENESIS placeholder from ``value_q`` where the value is empty."""
    value = frame["value"].str.strip()
    if "value_q" not in frame.columns:
        return value
    quality = frame["value_q"].str.strip()
    is_mark = quality.isin(list(GENESIS_PLACEHOLDERS))
    marks = quality[~is_mark & (quality != "")].value_counts()
    if not marks.empty:
        listed = ", ".join(f"{m!r} {n}×" for m, n in marks.items())
        notes.append(f"{file.name}: Qualitätskennzeichen (value_q): {listed}.")
    return value.mask(is_mark & (value == ""), quality)


def _time(frame: pd.DataFrame, file: Path) -> pd.Series:
    """Reference date of each row (``time``, ISO date)."""
    time = frame["time"].str.strip()
    ok = time.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    if not ok.all():
        line = first_row(~ok)
        raise SourceError(
            f"Stichtag {time[line]!r} ist kein Datum (erwartet JJJJ-MM-TT).",
            file=file,
            row=line,
            column="time",
        )
    return time


def _check_flat_header(header: list[str], file: Path) -> None:
    missing = [c for c in FLAT_REQUIRED if c not in header]
    if missing:
        raise SourceError(
            f"Spalten fehlen: {', '.join(missing)}{_separator_hint(header)}.", file=file, row=1
        )


def _separator_hint(header: list[str]) -> str:
    if len(header) == 1 and ("," in header[0] or "\t" in header[0]):
        sep = "','" if "," in header[0] else "Tabulator"
        return (
            f" (Trennzeichen ist {sep} statt ';'; die Datei so verwenden, wie sie geliefert wird)"
        )
    return ""


def _flat_table(code: str, codes: pd.Series, header: list[str], file: Path) -> FlatTable:
    """The mapping of table ``code``; unknown codes and other breakdowns are refused."""
    table = FLAT_TABLES.get(code)
    if table is None:
        line = first_row(codes == code)
        known = ", ".join(f"{t.code} ({t.title})" for t in FLAT_TABLES.values())
        raise SourceError(
            f"Tabelle {code!r} wird nicht unterstützt. Unterstützt: {known}.",
            file=file,
            row=line,
            column="statistics_code",
        )
    slots = [h for h in header if re.fullmatch(r"[0-9]+_variable_code", h)]
    if len(slots) != table.variables:
        raise SourceError(
            f"Tabelle {code} hat hier {len(slots)} Merkmale ({', '.join(slots)}), erwartet "
            f"{table.variables}; eine andere Gliederung dieser Tabelle wird nicht unterstützt.",
            file=file,
            row=1,
        )
    return table


def read_flat(path: Path, text: str) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Canonical tables (validated, line-number index) from one flat file, with remarks."""
    header, body = read_semicolon_text(text, file=path)
    _check_flat_header(header, path)
    frame = body.set_axis(header, axis=1)
    if frame.empty:
        raise SourceError("Die Datei enthält nur die Kopfzeile.", file=path)
    notes: list[str] = []
    codes = frame["statistics_code"].str.strip()
    tables = [_flat_table(code, codes, header, path) for code in codes.unique()]
    cells = frame.assign(
        value=_flat_values(frame, path, notes),
        region=_regions(frame, path),
        reference_date=_time(frame, path),
    )
    cells["year"] = cells["reference_date"].str[:4].astype("int64")
    out: dict[str, pd.DataFrame] = {}
    for table in tables:
        rows = cells[(codes == table.code).to_numpy()]
        built = table.build(rows, path)
        out[table.table] = validate(table.table, built, source=f"{TITLE}, Datei {path.name}")
        notes.append(f"{path.name}: Tabelle {table.code} ({table.title}), {len(rows)} Werte.")
    if "population_totals" in out:
        notes.extend(_germany_remark(out["population_totals"], path))
    return out, notes


def _germany_remark(frame: pd.DataFrame, path: Path) -> list[str]:
    """Say why the Germany value differs from the sum of the municipalities."""
    germany = frame.loc[frame["region"] == "DG", "persons"]
    municipal = frame.loc[frame["region"].str.len() == 8, "persons"]
    if germany.empty or municipal.empty or germany.iloc[0] == municipal.sum():
        return []
    return [
        f"{path.name}: Deutschland {fmt_int(germany.iloc[0])} Einwohner, Summe der "
        f"{fmt_int(len(municipal))} Gemeinden {fmt_int(municipal.sum())}. Der Bundeswert enthält "
        f"zusätzlich Angehörige von Bundeswehr, Polizei und Auswärtigem Dienst im Ausland; "
        f"beide Werte sind übernommen (Region 'DG' bzw. AGS) und nicht zu addieren."
    ]


# --------------------------------------------------------------------------------------------
# Grid cells


def _grid_columns(header: list[str], file: Path) -> tuple[str, int]:
    """Resolution suffix (``100m``) and cell size in metres; unknown columns are refused."""
    first = header[0].strip() if header else ""
    found = re.fullmatch(r"GITTER_ID_(\w+)", first)
    suffix = found.group(1) if found else ""
    if suffix not in GRID_RESOLUTIONS:
        raise SourceError(
            f"Spalte {first!r}: erwartet GITTER_ID_100m, GITTER_ID_1km oder GITTER_ID_10km"
            f"{_separator_hint(header)}.",
            file=file,
            row=1,
            column=None if _separator_hint(header) else first,
        )
    expected = [f"GITTER_ID_{suffix}", f"x_mp_{suffix}", f"y_mp_{suffix}", GRID_VALUE]
    unknown = [h for h in header if h not in (*expected, GRID_NOTE)]
    if unknown:
        raise SourceError(
            f"Unbekannte Spalte; erwartet werden {';'.join(expected)} (optional {GRID_NOTE}). "
            f"Andere Merkmale als die Einwohnerzahl werden nicht als Raster übernommen.",
            file=file,
            row=1,
            column=unknown[0],
        )
    missing = [c for c in expected if c not in header]
    if missing:
        raise SourceError(
            f"Spalte fehlt (erwartet {';'.join(expected)}).", file=file, row=1, column=missing[0]
        )
    return suffix, GRID_RESOLUTIONS[suffix]


def _grid_coordinate(values: pd.Series, size: int, file: Path, column: str) -> np.ndarray:
    """Lower-left corner (metres, EPSG:3035) from the cell centre column."""
    text = values.str.strip()
    ok = text.str.fullmatch(r"[0-9]{1,9}")
    corner = text.where(ok, "0").astype("int64") - size // 2
    ok &= corner % size == 0
    if not ok.all():
        line = first_row(~ok)
        raise SourceError(
            f"{values[line]!r} ist keine Zellmitte eines {size}-m-Gitters (ganze Meter, "
            f"Vielfaches von {size} plus {size // 2}).",
            file=file,
            row=line,
            column=column,
        )
    return corner.to_numpy()


def read_grid(path: Path, text: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Canonical ``grid`` (validated, line-number index) from one grid file, with remarks."""
    header, body = read_semicolon_text(text, file=path)
    suffix, size = _grid_columns([h.strip() for h in header], path)
    frame = body.set_axis([h.strip() for h in header], axis=1)
    if frame.empty:
        raise SourceError("Die Datei enthält nur die Kopfzeile.", file=path)
    notes: list[str] = []
    value = frame[GRID_VALUE].str.strip()
    missing = value.isin(GRID_MISSING).to_numpy()
    if missing.any():
        notes.append(
            f"{path.name}: {int(missing.sum())} Zellen ohne Einwohnerzahl ('–') nicht übernommen."
        )
    frame = frame[~missing]
    persons, _ = parse_counts(frame[GRID_VALUE], file=path, column=GRID_VALUE)
    east = _grid_coordinate(frame[f"x_mp_{suffix}"], size, path, f"x_mp_{suffix}")
    north = _grid_coordinate(frame[f"y_mp_{suffix}"], size, path, f"y_mp_{suffix}")
    cell_id = _cell_ids(frame[f"GITTER_ID_{suffix}"], size, north, east, path)
    squares = gpd.GeoSeries(
        shapely.box(east, north, east + size, north + size), crs="EPSG:3035", index=frame.index
    ).to_crs(CRS)
    grid = gpd.GeoDataFrame(
        {
            "cell_id": cell_id,
            "ags": pd.Series(pd.NA, index=frame.index, dtype="str"),
            "persons": persons,
        },
        geometry=squares,
        crs=CRS,
    )
    if GRID_NOTE in frame.columns:
        notes.extend(_note_remarks(frame[GRID_NOTE], path))
    return validate("grid", grid, source=f"{TITLE}, Datei {path.name}"), notes


def _cell_ids(
    given: pd.Series, size: int, north: np.ndarray, east: np.ndarray, path: Path
) -> pd.Series:
    """INSPIRE ids from the lower-left corners, checked against the file's ``GITTER_ID``."""
    ids = (
        f"CRS3035RES{size}mN"
        + pd.Series(north, index=given.index).astype("str")
        + "E"
        + pd.Series(east, index=given.index).astype("str")
    )
    differs = given.str.strip() != ids
    if differs.any():
        line = first_row(differs)
        raise SourceError(
            f"Zellkennung {given[line]!r} passt nicht zu den Mittelpunktkoordinaten "
            f"(erwartet {ids[line]!r}).",
            file=path,
            row=line,
            column=str(given.name),
        )
    return ids


def _note_remarks(notes_column: pd.Series, path: Path) -> list[str]:
    marks = notes_column.str.strip()
    counted = marks[marks != ""].value_counts()
    return [
        f"{path.name}: {n} Zellen mit werterläuterndem Zeichen {m!r} (Wert übernommen)."
        for m, n in counted.items()
    ]


# --------------------------------------------------------------------------------------------
# Format


def _provenance(path: Path, *, grid: bool) -> Provenance:
    table = re.match(r"[0-9]{4}[A-Z]-[0-9]{4}", path.name)
    what = "Gitterzellen" if grid else f"Tabelle {table.group(0) if table else path.stem}"
    return file_provenance(
        [path],
        source=f"{SOURCE}, {what}",
        licence=DL_DE_BY,
        attribution=ATTRIBUTION,
        gebietsstand=None if grid else REFERENCE_DATE,
        census_basis=CENSUS_BASIS,
        url=URL_GRID if grid else URL_TABLES,
        notes=f"Stichtag {REFERENCE_DATE}.",
    )


def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read Zensus 2022 flat tables and grid files (see module docstring)."""
    result = ImportResult(source=KEY)
    for path in map(Path, paths):
        text = read_text(path, encoding=encoding)
        if text.startswith("GITTER_ID_"):
            grid, notes = read_grid(path, text)
            result.add("grid", grid.reset_index(drop=True), _provenance(path, grid=True))
        else:
            tables, notes = read_flat(path, text)
            for name, frame in tables.items():
                result.add(name, frame.reset_index(drop=True), _provenance(path, grid=False))
        result.messages.extend(notes)
    return result


def detect(path: Path) -> bool:
    """A grid file (``GITTER_ID_``) or a flat table whose statistics code is mapped here
    (:data:`FLAT_TABLES`); other flat tables belong to the GENESIS reader. Never raises."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(4096).removeprefix(b"\xef\xbb\xbf")
    except OSError:
        return False
    if head.startswith(b"GITTER_ID_"):
        return True
    if not head.startswith(b"statistics_code;"):
        return False
    lines = head.split(b"\n")
    code = lines[1].split(b";", 1)[0].decode("utf-8", "replace") if len(lines) > 1 else ""
    return code in FLAT_TABLES


FORMAT = register_format(SourceFormat(key=KEY, title=TITLE, detect=detect, read=read))
