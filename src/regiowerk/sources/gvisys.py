"""Destatis Gemeindeverzeichnis (GV-ISys), "Auszug GV": all municipalities of Germany.

Publisher: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys,
"Alle politisch selbständigen Gemeinden mit ausgewählten Merkmalen" (file ``DDMMYYYY_Auszug_GV``),
licence dl-de/by-2-0. Three layouts are read as published:

* **XLSX** (sheet ``Onlineprodukt_Gemeinden``, ``Gemeindedaten`` in older years): title row
  "… am 31.12.2021 (Jahr)", then three header rows (``Satz-art``, ``Text-kenn-zeichen``, the
  ``Amtlicher Regionalschlüssel`` split into ``Land``/``RB``/``Kreis``/``VB``/``Gem``,
  ``Gemeindename``, ``Fläche km2``, ``Bevölkerung`` with ``insgesamt``/``männlich``/
  ``weiblich``/``je km2``, ``Postleitzahl``, centre ``Längengrad``/``Breitengrad``,
  ``Reisegebiete`` and ``Grad der Verstädterung`` (older: ``EU-Stadt-/Landgliederung``) each
  as ``Schlüssel``/``Bezeichnung``), data rows, footnotes. Numbers are numeric cells or text
  with a decimal comma.
* **CSV export** (``;``, UTF-8 with BOM): one flattened header line ``Satz-art;Text-kenn-zeichen;
  Land;RB;Kreis;VB;Gem;Gemeindename;;insgesamt;männlich;weiblich;je km2;plz;Längengrad;
  Breitengrad;key_travel;Reisegebiete;Schlüssel;Grad der Verstädterung``; keys as unpadded
  numbers, area ``56,73`` (km², decimal comma), counts `` 91 113`` (space as thousands
  separator), postcodes without leading zero (``4639``), footnote marks glued to names
  (``Kerken4)``), ``/`` for unknown population. The file of 31.12.2009 writes the centre as
  degrees, minutes and seconds (``9,2615`` = 9° 26′ 15″; converted to decimal degrees) and
  has Excel's ``#NV`` for a few centres; the file of 31.12.2016 repeats some gemeindefreie
  Gebiete once per travel region (identical rows are kept once).
* **Re-laid-out copy** ``AuszugGV4QAktuell.csv``: ``Land;Gemeindename;Fläche;insgesamt;…;
  Schlüssel_verst;Verstädterung;1;2;3;4;5;ags`` with the padded key parts (a filled
  Gemeinde part ``5`` marks a municipality) and the key itself. It names neither reference
  date nor Gebietsstand; the date must come from the file name or ``reference_date``.

Only municipality rows (``Satzart`` 60) are read: ``municipality_register`` (AGS = Land (2) +
RB (1) + Kreis (2) + Gemeinde (3), zero-padded) and ``population_totals``. Unincorporated areas
without inhabitants (gemeindefreie Gebiete, ``Textkennzeichen`` 66, population empty or 0) stay
in the register but not in ``population_totals``. Census basis: reference dates up to 31.12.2011
are on the basis of the earlier counts ("auf Grundlage früherer Zählungen", Germany 81,843,743
on 31.12.2011), 31.12.2012 to 31.12.2021 on the Zensus 2011 basis. Later reference dates are
refused: their figures may be on the Zensus 2011 or the Zensus 2022 basis, which these layouts
do not state.

The reference date comes from the XLSX title row, else from a date in the file name
(``31122021_Auszug_GV.csv``), else from ``read(..., reference_date=...)``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from regiowerk.ags import normalize_ags_column
from regiowerk.provenance import Provenance
from regiowerk.schema import validate
from regiowerk.sources.base import (
    DL_DE_BY,
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    first_row,
    parse_counts,
    parse_german_numbers,
    read_semicolon_text,
    read_text,
    register_format,
)

KEY = "gvisys"
TITLE = "Gemeindeverzeichnis GV-ISys (Auszug GV), Destatis"
SOURCE = "Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV-ISys, Auszug GV"
URL = (
    "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/_inhalt.html"
)
MUNICIPALITY = "60"
UNINHABITED = "66"
LAST_ZENSUS2011_DATE = dt.date(2021, 12, 31)
LAST_PRE2011_DATE = dt.date(2011, 12, 31)
LAST_DMS_YEAR = 2010
"""Files up to this year may give the centre in degrees, minutes and seconds (seen in 2009)."""
EXCEL_NA = ("#NV", "#N/A")
"""Excel's "not available" error value, written into the coordinates of the 2009 file."""

FIELDS = (
    "satzart",
    "tk",
    "land",
    "rb",
    "kreis",
    "gem",
    "name",
    "area",
    "persons",
    "male",
    "female",
    "postcode",
    "lon",
    "lat",
    "urb_code",
    "urb_text",
)
"""Internal columns every layout is mapped to (all text, as written in the file)."""

URBANISATION = {
    "dicht besiedelt": 1,
    "mittlere besiedlungsdichte": 2,
    "gering besiedelt": 3,
}
"""Eurostat degree of urbanisation (DEGURBA) as named in the file, by code."""


@dataclass(frozen=True)
class Layout:
    """A CSV layout: header names mapped to internal fields (``None`` = column ignored)."""

    name: str
    columns: dict[str, str | None]
    """Header name (stripped, lower case) → internal field."""

    def fields_of(self, header: Sequence[str]) -> list[str | None] | None:
        """Internal field of every header column, or ``None`` if the header is another one."""
        names = [h.strip().lower() for h in header]
        if any(n not in self.columns for n in names):
            return None
        fields = [self.columns[n] for n in names]
        needed = set(self.columns.values()) - {None}
        return fields if needed <= set(fields) else None


GV_CSV = Layout(
    "GV-ISys-Export",
    {
        "satz-art": "satzart",
        "text-kenn-zeichen": "tk",
        "land": "land",
        "rb": "rb",
        "kreis": "kreis",
        "vb": None,
        "gem": "gem",
        "gemeindename": "name",
        "": "area",
        "insgesamt": "persons",
        "männlich": "male",
        "weiblich": "female",
        "je km2": None,
        "plz": "postcode",
        "längengrad": "lon",
        "breitengrad": "lat",
        "key_travel": None,
        "reisegebiete": None,
        "schlüssel": "urb_code",
        "grad der verstädterung": "urb_text",
    },
)
GV_4Q = Layout(
    "AuszugGV4QAktuell",
    {
        "land": None,
        "gemeindename": "name",
        "fläche": "area",
        "insgesamt": "persons",
        "männlich": "male",
        "weiblich": "female",
        "density": None,
        "plz": "postcode",
        "längengrad": "lon",
        "breitengrad": "lat",
        "schlüssel_reise": None,
        "reise": None,
        "schlüssel_verst": "urb_code",
        "verstädterung": "urb_text",
        "1": "land",
        "2": "rb",
        "3": "kreis",
        "4": None,
        "5": "gem",
        "ags": None,
    },
)
LAYOUTS = (GV_CSV, GV_4Q)


@dataclass
class RawFile:
    """A file mapped to the internal columns, before parsing; index = line/row numbers."""

    path: Path
    frame: pd.DataFrame
    title: str | None
    """Title row of an XLSX sheet (names the reference date)."""
    copyright_year: int | None
    """Year of the "© … Statistisches Bundesamt (Destatis), 2022" line of an XLSX sheet."""
    layout: str
    has_gebietsstand: bool = True


# --------------------------------------------------------------------------------------------
# Layouts → internal columns


def _csv_file(path: Path, encoding: str | None) -> RawFile:
    text = read_text(path, encoding=encoding)
    header, body = read_semicolon_text(text, file=path)
    for layout in LAYOUTS:
        fields = layout.fields_of(header)
        if fields is not None:
            return _map_csv(path, body, fields, layout)
    raise SourceError(_header_problem(header), file=path, row=1)


def _header_problem(header: list[str]) -> str:
    first = ";".join(header)
    if len(header) == 1 and ("," in first or "\t" in first):
        sep = "','" if "," in first else "Tabulator"
        return (
            f"Die Kopfzeile ist mit {sep} statt ';' getrennt. Die Datei so exportieren, wie "
            f"GV-ISys sie liefert (Semikolon), oder in Excel als 'CSV (Trennzeichen-getrennt)' "
            f"mit Semikolon speichern."
        )
    return (
        f"Unbekannte Kopfzeile {first[:120]!r}. Erwartet wird der GV-ISys-Export (beginnt mit "
        f"'Satz-art;Text-kenn-zeichen;Land;RB;Kreis;VB;Gem;Gemeindename'), die Kopie "
        f"'AuszugGV4QAktuell' oder das XLSX-Original."
    )


def _map_csv(path: Path, body: pd.DataFrame, fields: list[str | None], layout: Layout) -> RawFile:
    columns = {f: body[i].str.strip() for i, f in enumerate(fields) if f is not None}
    frame = pd.DataFrame(columns, index=body.index)
    if layout is GV_4Q:  # no Satzart: municipality rows are those with a Gemeinde part
        frame["satzart"] = np.where(frame["gem"] != "", MUNICIPALITY, "")
        frame["tk"] = ""
    return RawFile(path, frame, None, None, layout.name, has_gebietsstand=layout is not GV_4Q)


def _xlsx_file(path: Path) -> RawFile:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise SourceError(f"keine lesbare XLSX-Datei ({exc}).", file=path) from None
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            start = _xlsx_header_row(rows)
            if start is not None:
                return _map_xlsx(path, sheet.title, rows, start)
    finally:
        book.close()
    raise SourceError(
        "Kein Tabellenblatt mit der Kopfzeile 'Satz-art' gefunden (erwartet z. B. "
        "'Onlineprodukt_Gemeinden').",
        file=path,
    )


def _xlsx_header_row(rows: list[tuple[object, ...]]) -> int | None:
    """0-based position of the header row starting with "Satz-art" (within the first 20)."""
    for i, row in enumerate(rows[:20]):
        if row and isinstance(row[0], str) and row[0].strip().lower().startswith("satz"):
            return i
    return None


_XLSX_TOP = {
    "satz": "satzart",
    "text": "tk",
    "gemeindename": "name",
    "fläche": "area",
    "post": "postcode",
}
_XLSX_SUB = {
    "land": "land",
    "rb": "rb",
    "kreis": "kreis",
    "gem": "gem",
    "insgesamt": "persons",
    "männlich": "male",
    "weiblich": "female",
    "längengrad": "lon",
    "breitengrad": "lat",
}
_XLSX_URBANISATION = ("grad der verstädterung", "eu-stadt")


def _xlsx_columns(top: tuple[object, ...], sub: tuple[object, ...]) -> dict[str, int]:
    """Internal field → 0-based column, from the two header rows of the sheet."""
    found: dict[str, int] = {}
    for col, label in enumerate(top):
        text = str(label or "").strip().lower()
        for prefix, name in _XLSX_TOP.items():
            if text.startswith(prefix):
                found.setdefault(name, col)
        if text.startswith(_XLSX_URBANISATION):
            found["urb_code"], found["urb_text"] = col, col + 1
    for col, label in enumerate(sub):
        field = _XLSX_SUB.get(str(label or "").strip().lower())
        if field:
            found.setdefault(field, col)
    return found


def _map_xlsx(path: Path, sheet: str, rows: list[tuple[object, ...]], start: int) -> RawFile:
    columns = _xlsx_columns(rows[start], rows[start + 1] if start + 1 < len(rows) else ())
    missing = [f for f in FIELDS if f not in columns]
    if missing:
        raise SourceError(
            f"Tabellenblatt {sheet!r}: Spalten nicht gefunden: {', '.join(missing)}.",
            file=path,
            row=start + 1,
        )
    data = pd.DataFrame(rows[start + 1 :], dtype=object)
    data = data.reindex(columns=range(max(columns.values()) + 1))  # rows may end early
    data.index = pd.RangeIndex(start + 2, start + 2 + len(data))
    keep = data[columns["satzart"]].map(_cell_text).str.fullmatch(r"[0-9]{2}")
    data = data[keep.to_numpy()]
    frame = pd.DataFrame(
        {f: data[columns[f]].map(_cell_text).astype(str).str.strip() for f in FIELDS},
        index=data.index,
    )
    title = " ".join(str(v) for row in rows[:start] for v in row if v is not None)
    return RawFile(path, frame, title, _copyright_year(rows[start:]), "XLSX")


def _cell_text(value: object) -> str:
    """A cell as the CSV export writes it: numbers with a decimal comma, empty for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):  # 15 digits drop binary noise (13.862317000000001)
        return format(value, ".15g").replace(".", ",")
    return str(value)


def _copyright_year(rows: list[tuple[object, ...]]) -> int | None:
    """Year in the footer "Statistisches Bundesamt (Destatis), 2022" of an XLSX sheet."""
    for row in reversed(rows[-30:]):
        found = re.search(r"\(Destatis\),\s*(\d{4})", str(row[0] or "")) if row else None
        if found:
            return int(found.group(1))
    return None


# --------------------------------------------------------------------------------------------
# Reference date and census basis


_DATE_IN_TEXT = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
_DATE_IN_NAME = re.compile(r"(?<![0-9])(\d{2})(\d{2})((?:19|20)\d{2})(?![0-9])")


def reference_date_of(raw: RawFile, given: str | None) -> dt.date:
    """The reference date: XLSX title row, else a DDMMYYYY date in the file name, else
    ``given`` (ISO). Title and file name must agree."""
    from_title = _date(_DATE_IN_TEXT.search(raw.title or ""), raw.path)
    from_name = _date(_DATE_IN_NAME.search(raw.path.name), raw.path)
    if from_title and from_name and from_title != from_name:
        raise SourceError(
            f"Der Dateiname nennt den Stichtag {from_name:%d.%m.%Y}, die Titelzeile "
            f"{from_title:%d.%m.%Y}. Die Datei umbenennen oder das Original verwenden.",
            file=raw.path,
            row=1,
        )
    found = from_title or from_name
    if found is None and given is not None:
        try:
            found = dt.date.fromisoformat(given)
        except ValueError:
            raise SourceError(
                f"Stichtag {given!r} ist kein Datum (erwartet JJJJ-MM-TT).", file=raw.path
            ) from None
    if found is None:
        raise SourceError(
            "Stichtag nicht erkennbar: weder Titelzeile noch Dateiname nennen ihn. Die Datei "
            "wie von Destatis benannt verwenden (z. B. '31122019_Auszug_GV.csv') oder den "
            "Stichtag angeben (reference_date='2019-12-31').",
            file=raw.path,
        )
    return found


def _date(match: re.Match[str] | None, path: Path) -> dt.date | None:
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise SourceError(f"{match.group(0)!r} ist kein gültiges Datum.", file=path) from None


def census_basis_of(date: dt.date, path: Path) -> str:
    """Census basis of GV-ISys population figures on ``date`` (see module docstring)."""
    if date <= LAST_PRE2011_DATE:
        return "pre2011"
    if date <= LAST_ZENSUS2011_DATE:
        return "zensus2011"
    raise SourceError(
        f"Stichtag {date:%d.%m.%Y}: Einwohnerzahlen ab 2022 können auf Basis des Zensus 2011 "
        f"oder des Zensus 2022 stehen, und die Datei sagt nicht, auf welcher. Unterstützt "
        f"werden Stichtage bis 31.12.2021.",
        file=path,
    )


# --------------------------------------------------------------------------------------------
# Parsing the municipality rows


def _municipality_rows(raw: RawFile, notes: list[str]) -> pd.DataFrame:
    """Rows of Satzart 60. Repeated identical rows (the 2016 file repeats a gemeindefreies
    Gebiet once per travel region it touches) are kept once."""
    frame = raw.frame
    known = frame["satzart"].isin(["10", "20", "30", "40", "50", MUNICIPALITY])
    if raw.layout == GV_CSV.name and not known.all():
        line = first_row(~known)
        raise SourceError(
            f"Satzart {frame.loc[line, 'satzart']!r} unbekannt (erwartet 10, 20, 30, 40, 50, 60).",
            file=raw.path,
            row=line,
            column="Satz-art",
        )
    rows = frame[(frame["satzart"] == MUNICIPALITY).to_numpy()]
    if rows.empty:
        raise SourceError(
            "keine Gemeindezeilen (Satzart 60) gefunden; Datei leer oder abgeschnitten?",
            file=raw.path,
        )
    repeated = rows.duplicated(keep="first")
    notes.append(f"{raw.path.name}: {len(rows)} Gemeindezeilen (Satzart 60) gelesen.")
    if repeated.any():
        notes.append(
            f"{raw.path.name}: {int(repeated.sum())} wiederholte, inhaltsgleiche Gemeindezeilen "
            f"(z. B. Zeile {first_row(repeated)}; nur Reisegebiet "
            f"verschieden) einmal übernommen."
        )
    return rows[~repeated.to_numpy()]


def _ags(rows: pd.DataFrame, path: Path) -> pd.Series:
    """AGS = Land (2) + RB (1) + Kreis (2) + Gemeinde (3), each part zero-padded."""
    parts = {"land": 2, "rb": 1, "kreis": 2, "gem": 3}
    titles = {"land": "Land", "rb": "RB", "kreis": "Kreis", "gem": "Gem"}
    for part, width in parts.items():
        ok = rows[part].str.fullmatch(rf"[0-9]{{1,{width}}}")
        if not ok.all():
            line = first_row(~ok)
            raise SourceError(
                f"Schlüsselteil {rows.loc[line, part]!r} ist keine Zahl mit höchstens "
                f"{width} Ziffern.",
                file=path,
                row=line,
                column=titles[part],
            )
    ags = (
        rows["land"].str.zfill(2)
        + rows["rb"]
        + rows["kreis"].str.zfill(2)
        + rows["gem"].str.zfill(3)
    )
    return normalize_ags_column(ags, length=8, file=path.name, column="Land/RB/Kreis/Gem")


def _coordinates(
    rows: pd.DataFrame, year: int, path: Path, notes: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Longitude and latitude in decimal degrees. ``0`` (no centre) and Excel's ``#NV`` (not
    available, in the 2009 file) become missing."""
    unavailable = rows["lon"].isin(EXCEL_NA) | rows["lat"].isin(EXCEL_NA)
    text = {c: rows[c].where(~unavailable, "") for c in ("lon", "lat")}
    lon, _ = parse_german_numbers(text["lon"], file=path, column="Längengrad", thousands="")
    lat, _ = parse_german_numbers(text["lat"], file=path, column="Breitengrad", thousands="")
    lon, lat = lon.mask(lon == 0), lat.mask(lat == 0)
    if unavailable.any():
        notes.append(
            f"{path.name}: {int(unavailable.sum())} Mittelpunktkoordinaten '#NV' (nicht "
            f"verfügbar) als fehlend übernommen."
        )
    if year > LAST_DMS_YEAR:
        return lon, lat
    dms_lon = _dms(text["lon"].where(lon.notna()))
    dms_lat = _dms(text["lat"].where(lat.notna()))
    if dms_lon is None or dms_lat is None:
        return lon, lat
    notes.append(
        f"{path.name}: Mittelpunktkoordinaten in Grad, Minuten, Sekunden (z. B. 9,2615 = "
        f"9° 26′ 15″) erkannt und in Dezimalgrad umgerechnet."
    )
    return dms_lon, dms_lat


def _dms(text: pd.Series) -> pd.Series | None:
    """``DD,MMSS`` (degrees, minutes, seconds; trailing zeros dropped) as decimal degrees, or
    ``None`` if any value is not of that form (then the column is decimal degrees)."""
    given = text.notna()
    parts = text.str.extract(r"^([0-9]{1,2})(?:,([0-9]{1,4}))?$")
    if parts[0][given].isna().any():
        return None
    digits = parts[1].fillna("").str.ljust(4, "0")
    minutes = pd.to_numeric(digits.str[:2].where(given))
    seconds = pd.to_numeric(digits.str[2:].where(given))
    if (minutes >= 60).any() or (seconds > 60).any():
        return None
    return pd.to_numeric(parts[0]) + minutes / 60 + seconds / 3600


def _postcodes(values: pd.Series, path: Path, notes: list[str]) -> pd.Series:
    """Five-digit postcodes; a leading zero lost in a number column is restored."""
    ok = values.str.fullmatch(r"[0-9]{4,5}") | (values == "")
    if not ok.all():
        line = first_row(~ok)
        raise SourceError(
            f"{values[line]!r} ist keine Postleitzahl.", file=path, row=line, column="plz"
        )
    padded = int((values.str.len() == 4).sum())
    if padded:
        notes.append(f"{path.name}: {padded} Postleitzahlen ohne führende Null ergänzt.")
    return values.str.zfill(5).where(values != "")


def _urbanisation(rows: pd.DataFrame, path: Path) -> pd.Series:
    """Degree of urbanisation 1–3 from the code column, else from its name."""
    code = pd.to_numeric(rows["urb_code"].where(rows["urb_code"].str.fullmatch(r"0?[1-3]")))
    by_text = rows["urb_text"].str.lower().map(URBANISATION)
    bad_code = (rows["urb_code"] != "") & code.isna()
    unknown = bad_code | ((rows["urb_code"] == "") & (rows["urb_text"] != "") & by_text.isna())
    if unknown.any():
        line = first_row(unknown)
        raise SourceError(
            f"Grad der Verstädterung {rows.loc[line, 'urb_code']!r} / "
            f"{rows.loc[line, 'urb_text']!r} unbekannt (1 dicht, 2 mittel, 3 gering besiedelt).",
            file=path,
            row=line,
            column="Grad der Verstädterung",
        )
    return code.fillna(by_text).astype("Int64")


_FOOTNOTE_MARK = re.compile(r"(?<=[^\s(0-9])[0-9]{1,2}\)$")


def _names(values: pd.Series, path: Path, notes: list[str]) -> pd.Series:
    """Names without footnote marks glued to them (``Kerken4)`` → ``Kerken``)."""
    names = values.str.replace(_FOOTNOTE_MARK, "", regex=True).str.strip()
    marked = int((names != values).sum())
    if marked:
        notes.append(f"{path.name}: Fußnotenzeichen an {marked} Gemeindenamen entfernt.")
    return names


# --------------------------------------------------------------------------------------------
# Canonical tables


@dataclass
class Parsed:
    """One file's canonical tables with what the user should be told."""

    register: pd.DataFrame
    population: pd.DataFrame
    messages: list[str]


def parse(raw: RawFile, date: dt.date) -> Parsed:
    """Canonical ``municipality_register`` and ``population_totals`` of one file."""
    notes: list[str] = []
    path, rows = raw.path, _municipality_rows(raw, notes)
    ags = _ags(rows, path)
    area, _ = parse_german_numbers(rows["area"], file=path, column="Fläche km2")
    lon, lat = _coordinates(rows, date.year, path, notes)
    register = pd.DataFrame(
        {
            "ags": ags,
            "year": date.year,
            "name": _names(rows["name"], path, notes),
            "kreis": ags.str[:5],
            "land": ags.str[:2],
            "area_km2": area,
            "postcode": _postcodes(rows["postcode"], path, notes),
            "lon": lon,
            "lat": lat,
            "urbanisation": _urbanisation(rows, path),
        },
        index=rows.index,
    )
    population = _population(rows, ags, date, path, notes)
    return Parsed(register, population, notes)


def _population(
    rows: pd.DataFrame, ags: pd.Series, date: dt.date, path: Path, notes: list[str]
) -> pd.DataFrame:
    """Population rows; unincorporated areas without inhabitants are left out."""
    persons, flag = parse_counts(rows["persons"], file=path, column="insgesamt")
    male, male_flag = parse_counts(rows["male"], file=path, column="männlich")
    female, female_flag = parse_counts(rows["female"], file=path, column="weiblich")
    flag = flag.fillna(male_flag).fillna(female_flag)
    uninhabited = ((persons == 0) | persons.isna()).fillna(True) & flag.isna()
    uninhabited &= rows["tk"].isin([UNINHABITED, ""])
    frame = pd.DataFrame(
        {
            "region": ags,
            "year": date.year,
            "census_basis": census_basis_of(date, path),
            "reference_date": date.isoformat(),
            "persons": persons,
            "male": male,
            "female": female,
            "flag": flag,
        },
        index=rows.index,
    )
    if uninhabited.any():
        notes.append(
            f"{path.name}: {int(uninhabited.sum())} unbewohnte gemeindefreie Gebiete (ohne "
            f"Einwohnerzahl) stehen im Gemeindeverzeichnis, aber nicht in den Einwohnerzahlen."
        )
    for mark, count in sorted(flag.dropna().value_counts().items()):
        notes.append(
            f"{path.name}: {count} Gemeinden mit Zeichen {mark!r} statt Einwohnerzahl "
            f"(GENESIS-Zeichenerklärung; mit Kennzeichen übernommen)."
        )
    return frame[~uninhabited.to_numpy()]


def _provenance(
    raw: RawFile, date: dt.date, basis: str | None, note: str | None = None
) -> Provenance:
    """Provenance of one file. The attribution year is the publication year from the XLSX
    footer, else the year after the reference date (when the annual editions appear)."""
    year = raw.copyright_year or date.year + 1
    notes = [note] if note else []
    if not raw.has_gebietsstand:
        notes.append(
            f"Umgestaltete Kopie ({raw.layout}); Gebietsstand nicht angegeben, Einwohner am "
            f"{date:%d.%m.%Y}."
        )
    return file_provenance(
        [raw.path],
        source=f"{SOURCE}, Stichtag {date:%d.%m.%Y}",
        licence=DL_DE_BY,
        attribution=f"© Statistisches Bundesamt (Destatis), {year}",
        gebietsstand=date.isoformat() if raw.has_gebietsstand else None,
        census_basis=basis,
        url=URL,
        notes=" ".join(notes) or None,
    )


def read_file(path: Path, *, encoding: str | None = None) -> RawFile:
    """Read one GV-ISys file (XLSX or CSV) into the internal columns."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_file(path)
    return _csv_file(path, encoding)


def read(
    paths: Sequence[Path],
    *,
    encoding: str | None = None,
    reference_date: str | None = None,
) -> ImportResult:
    """Read GV-ISys "Auszug GV" files (XLSX or CSV) into ``municipality_register`` and
    ``population_totals``. ``reference_date`` (ISO) is used only for files that name none.

    A second file of the same reference date (the XLSX original next to its CSV export) is
    skipped if it gives the same tables, and refused if it does not. Vintages on different
    census bases may be read together: ``population_totals`` keeps the basis in each row, and
    its provenance then names no single basis.
    """
    result = ImportResult(source=KEY)
    done: dict[dt.date, tuple[Path, Parsed]] = {}
    files: list[tuple[RawFile, dt.date]] = []
    for path in map(Path, paths):
        raw = read_file(path, encoding=encoding)
        date = reference_date_of(raw, reference_date)
        parsed = parse(raw, date)
        where = f"{TITLE}, Datei {path.name}"
        parsed.register = validate("municipality_register", parsed.register, source=where)
        parsed.population = validate("population_totals", parsed.population, source=where)
        if date in done:
            result.messages.append(_same_date(path, parsed, *done[date]))
            continue
        done[date] = (path, parsed)
        files.append((raw, date))
        result.messages.extend(parsed.messages)
    bases = sorted({census_basis_of(date, raw.path) for raw, date in files})
    basis = bases[0] if len(bases) == 1 else None
    note = None if basis else f"Zensusbasis je Zeile (Spalte census_basis): {', '.join(bases)}."
    for raw, date in files:
        parsed = done[date][1]
        result.add(
            "municipality_register",
            parsed.register.reset_index(drop=True),
            _provenance(raw, date, None),
        )
        result.add(
            "population_totals",
            parsed.population.reset_index(drop=True),
            _provenance(raw, date, basis, note),
        )
    return result


def _same_date(path: Path, parsed: Parsed, first_path: Path, first: Parsed) -> str:
    """Remark for a file repeating an earlier one; differing contents raise."""
    same = all(
        a.reset_index(drop=True).equals(b.reset_index(drop=True))
        for a, b in ((parsed.register, first.register), (parsed.population, first.population))
    )
    if not same:
        raise SourceError(
            f"gleicher Stichtag wie {first_path.name}, aber andere Angaben; nur eine der "
            f"beiden Dateien importieren.",
            file=path,
        )
    return f"{path.name}: gleicher Inhalt wie {first_path.name}, nicht doppelt übernommen."


def detect(path: Path) -> bool:
    """A GV-ISys CSV (header with ``Satz-art`` or the ``AuszugGV4QAktuell`` layout) or an XLSX
    named like ``…Auszug_GV…``. Never raises."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    if head.startswith(b"PK"):
        return re.search(r"auszug.?gv", Path(path).name, re.IGNORECASE) is not None
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    header = first.strip().split(";")
    return any(layout.fields_of(header) is not None for layout in LAYOUTS)


FORMAT = register_format(SourceFormat(key=KEY, title=TITLE, detect=detect, read=read))
