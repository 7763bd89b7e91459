"""INKAR indicators (Indikatoren und Karten zur Raum- und Stadtentwicklung, BBSR) read into the
canonical ``indicators`` table in long format (format ``inkar``).

Publisher: Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR) im BBR, Bonn; licence
dl-de/by-2-0. The INKAR database comes as parquet files, one per theme, wide: one row per
region type, region and period, one column per indicator. Two vintages occur, each with its
own lookup files (a vintage suffix such as ``__commit0bf62d2`` ties them together):

* ``<thema>.parquet`` with ``raumbezug, kennziffer, name, zeitbezug, <Kürzel …>``, decoded with
  ``_indikatoren.parquet`` (``kuerzel, kurzname, name, bereich, rubrik, …``; a Kürzel may occur
  in several Bereiche, the one of the file's theme is used) and ``_regionen.parquet``;
* ``<thema>__<vintage>.parquet`` with ``region_id, zeitbezug, x<id> …``, decoded with
  ``_indikatoren__<vintage>.parquet`` (``id, kurzname, name, bereich, …``) and
  ``_regionen__<vintage>.parquet`` (``id, raumbezug, kennziffer`` as a number that lost its
  leading zeros, ``kennziffer_eu, name``). Codes are restored to the width of their region
  type (Kreise 5 digits, Gemeinden 8, …).

The lookup files are taken from the files passed in or, failing that, from the data file's
folder. Output: ``region_type`` (Raumbezug as published), ``region`` (Kennziffer), ``year``
(a multi-year period such as ``2016/2017/2018`` counts as its last year and is kept in
``period``), ``indicator`` (Kürzel or id), ``name`` (the indicator's name) and ``unit``. The
lookups have no unit column; the unit is derived from the name ("… in Minuten", "… in %",
"… je 1.000 Einwohner", shares → %, "Luftliniendistanz" → m) or left empty. Empty cells of
the wide table are not carried over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from regiowerk.formatting import fmt_int
from regiowerk.provenance import Provenance
from regiowerk.schema import validate
from regiowerk.sources.base import (
    DL_DE_BY,
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    register_format,
)

INDICATORS = "_indikatoren"
REGIONS = "_regionen"
NEW_ID_COLUMNS = ("raumbezug", "kennziffer", "name", "zeitbezug")
OLD_ID_COLUMNS = ("region_id", "zeitbezug")

_UNIT_TOKENS = (
    r"%|‰|Minuten|km²|qkm|m²|ha|km|m|€|EUR|Euro|1\.000 €|1000 €|Tsd\. €|Mio\. €|Jahren|Tagen"
)
UNIT_RULES: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(rf"\bin ({_UNIT_TOKENS})((?: je .+)?)$"), None),
    (re.compile(r"\b(je (?:[\d.]+ )?\S.*)$"), None),
    (re.compile(r"^(?!Anteil).*Luftliniendistanz"), "m"),
    (re.compile(r"^Anteil\b"), "%"),
    (re.compile(r"^(?:Zahl|Anzahl)\b"), "Anzahl"),
)
"""How a unit is read from an indicator name: a regex and a fixed unit (``None``: the unit is
the text matched by the groups)."""


def unit_of(name: str) -> str | None:
    """Unit of an INKAR indicator derived from its name, or ``None``."""
    text = " ".join(name.split())
    for pattern, unit in UNIT_RULES:
        match = pattern.search(text)
        if match:
            return unit if unit is not None else "".join(g for g in match.groups() if g)
    return None


def detect(path: Path) -> bool:
    """An INKAR parquet file (theme data or lookup), recognised by its columns."""
    if path.suffix.lower() != ".parquet":
        return False
    try:
        columns = set(pq.read_schema(path).names)
    except Exception:  # detection must never raise, whatever the file holds
        return False
    if path.name.startswith((INDICATORS, REGIONS)):
        return "name" in columns
    return "zeitbezug" in columns and (
        {"raumbezug", "kennziffer"} <= columns or "region_id" in columns
    )


def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read INKAR theme files into the ``indicators`` table (``encoding`` is unused)."""
    del encoding  # parquet carries its own encoding
    files = [Path(p) for p in paths]
    lookups = [p for p in files if p.name.startswith((INDICATORS, REGIONS))]
    data = [p for p in files if p not in lookups]
    if not data:
        raise SourceError(
            "nur INKAR-Schlüsseldateien (_indikatoren, _regionen) übergeben, keine "
            "Indikatordateien."
        )
    result = ImportResult("inkar")
    frames: list[tuple[Path, pd.DataFrame]] = []
    for path in data:
        frame = read_theme(path, lookups)
        _check_overlap(frames, path, frame)
        frames.append((path, frame))
        result.add("indicators", frame, _provenance(path, lookups))
        result.messages.append(
            f"{path.name}: {fmt_int(len(frame))} Werte"
            + f" von {frame['indicator'].nunique()} Indikatoren, "
            f"{frame['region_type'].nunique()} Raumbezügen, Jahre "
            f"{frame['year'].min()}–{frame['year'].max()}; leere Zellen nicht übernommen."
        )
    return result


def read_theme(path: Path, lookups: Sequence[Path]) -> pd.DataFrame:
    """The validated long ``indicators`` frame of one theme file (RangeIndex)."""
    wide = _read_parquet(path)
    vintage = _vintage(path)
    if set(NEW_ID_COLUMNS) <= set(wide.columns):
        names = _indicator_names_new(_lookup(path, INDICATORS, vintage, lookups), path)
        long = _long(wide, [c for c in wide.columns if c not in NEW_ID_COLUMNS], path)
        positions = long.pop("_row").to_numpy()
        long["region_type"] = wide["raumbezug"].to_numpy(dtype=object)[positions]
        long["region"] = wide["kennziffer"].to_numpy(dtype=object)[positions]
    elif set(OLD_ID_COLUMNS) <= set(wide.columns):
        names = _indicator_names_old(_lookup(path, INDICATORS, vintage, lookups), path)
        regions = _regions_old(_lookup(path, REGIONS, vintage, lookups), wide, path)
        long = _long(wide, [c for c in wide.columns if c not in OLD_ID_COLUMNS], path)
        rows = long.pop("_row")
        ids = wide["region_id"].to_numpy()[rows]
        long["region_type"] = regions["raumbezug"].reindex(ids).to_numpy(dtype=object)
        long["region"] = regions["code"].reindex(ids).to_numpy(dtype=object)
        long["indicator"] = long["indicator"].str.removeprefix("x")
    else:
        raise SourceError(
            f"keine INKAR-Themendatei: erwartet die Spalten {', '.join(NEW_ID_COLUMNS)} oder "
            f"{', '.join(OLD_ID_COLUMNS)}; gefunden {', '.join(map(str, wide.columns[:6]))} …",
            file=path,
        )
    unknown = sorted(set(long["indicator"]) - set(names.index))
    if unknown:
        raise SourceError(
            f"Indikatoren ohne Eintrag in der Indikatorliste: {', '.join(unknown[:10])}.",
            file=path,
        )
    long["name"] = names["name"].reindex(long["indicator"]).to_numpy()
    long["unit"] = names["unit"].reindex(long["indicator"]).to_numpy()
    frame = _years(long, wide, path)
    frame.index = pd.Index(frame.pop("line").to_numpy())
    columns = ["region_type", "region", "year", "period", "indicator", "name", "unit", "value"]
    return validate("indicators", frame[columns], source=f"INKAR {path.name}").reset_index(
        drop=True
    )


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise SourceError(f"keine lesbare Parquet-Datei ({exc}).", file=path) from None


def _vintage(path: Path) -> str:
    """``__commit0bf62d2`` of ``verkehr__commit0bf62d2.parquet``, empty for the plain files."""
    stem = path.stem
    return stem[stem.index("__") :] if "__" in stem else ""


def _theme(path: Path) -> str:
    return _slug(path.stem.split("__")[0])


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by ``_`` (``Medizinische und soziale Versorgung``)."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "_".join(re.findall(r"[a-z0-9]+", text))


def _lookup(path: Path, kind: str, vintage: str, given: Sequence[Path]) -> pd.DataFrame:
    """The lookup file of ``kind`` and ``vintage``: from the files given, else next to ``path``."""
    name = f"{kind}{vintage}.parquet"
    candidates = [p for p in given if p.name == name] or [path.parent / name]
    if not candidates[0].is_file():
        raise SourceError(
            f"Schlüsseldatei {name} fehlt (gleicher Stand wie die Daten); sie mit importieren "
            f"oder in denselben Ordner legen.",
            file=path,
        )
    return _read_parquet(candidates[0])


def _clean(text: pd.Series) -> pd.Series:
    return text.fillna("").astype(str).str.split().str.join(" ")


def _indicator_names_new(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``name`` and ``unit`` by Kürzel; a Kürzel listed in several Bereiche takes the one of the
    file's theme (else the first entry)."""
    _require(table, ("kuerzel", "name", "bereich"), path, INDICATORS)
    table = table.assign(
        _theme=table["bereich"].fillna("").map(_slug) == _theme(path),
        name=_clean(table["name"]),
    )
    table = table.sort_values("_theme", ascending=False, kind="stable")
    table = table.drop_duplicates("kuerzel").set_index("kuerzel")
    return _with_units(table)


def _indicator_names_old(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    _require(table, ("id", "name"), path, INDICATORS)
    table = table.assign(name=_clean(table["name"]))
    table.index = pd.Index(table["id"].astype("int64").astype(str))
    return _with_units(table[~table.index.duplicated()])


def _with_units(table: pd.DataFrame) -> pd.DataFrame:
    units = table["name"].map(unit_of)
    if "kurzname" in table.columns:
        units = units.fillna(_clean(table["kurzname"]).map(unit_of))
    return pd.DataFrame({"name": table["name"], "unit": units.astype(object)})


def _regions_old(table: pd.DataFrame, wide: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``raumbezug`` and code by region id; numeric codes padded to their type's width."""
    _require(table, ("id", "raumbezug", "kennziffer"), path, REGIONS)
    table = table.drop_duplicates("id").set_index("id")
    missing = sorted(set(wide["region_id"].unique()) - set(table.index))
    if missing:
        raise SourceError(
            f"region_id ohne Eintrag in {REGIONS}: {', '.join(map(str, missing[:10]))}.",
            file=path,
        )
    number = table["kennziffer"]
    digits = number.abs().astype("Int64").astype(str).where(number.notna(), "")
    width = digits.str.len().groupby(table["raumbezug"]).transform("max")
    codes = pd.Series("", index=table.index, dtype=object)
    for w in width.unique():
        mask = (width == w) & number.notna()
        codes[mask] = digits[mask].str.zfill(int(w)).to_numpy()
    codes = codes.where(~(number < 0), "-" + codes)
    if "kennziffer_eu" in table.columns:
        codes = codes.where(codes != "", table["kennziffer_eu"].fillna(""))
    return pd.DataFrame({"raumbezug": table["raumbezug"], "code": codes})


def _require(table: pd.DataFrame, columns: Sequence[str], path: Path, kind: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SourceError(f"Schlüsseldatei {kind}: Spalten {', '.join(missing)} fehlen.", file=path)


def _long(wide: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """Non-empty cells of the indicator columns: ``line`` (row + 1), ``indicator``, ``value``."""
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(wide[c])]
    if bad:
        raise SourceError(
            f"Indikatorspalte(n) {', '.join(bad[:5])} enthalten keine Zahlen.", file=path
        )
    block = wide[columns].to_numpy(dtype="float64", na_value=np.nan)
    rows, cols = np.nonzero(~np.isnan(block))
    return pd.DataFrame(
        {
            "line": rows + 1,
            "_row": rows,
            "indicator": np.asarray(columns, dtype=object)[cols],
            "value": block[rows, cols],
        }
    )


def _years(long: pd.DataFrame, wide: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``year`` and ``period`` from ``zeitbezug`` (a period counts as its last year)."""
    periods = wide["zeitbezug"].astype(str).str.strip().to_numpy(dtype=object)[long["line"] - 1]
    unique = pd.Series(pd.unique(periods))
    ok = unique.str.fullmatch(r"\d{4}(?:/\d{4})*")
    if not ok.all():
        text = unique[~ok].iloc[0]
        line = int(long["line"].to_numpy()[periods == text][0])
        raise SourceError(
            f"Zeitbezug {text!r} nicht lesbar (erwartet JJJJ oder JJJJ/JJJJ/…).",
            file=path,
            row=line,
            column="zeitbezug",
        )
    year = dict(zip(unique, unique.str[-4:].astype(int), strict=True))
    period = {p: (p if "/" in p else None) for p in unique}
    return long.assign(
        year=pd.Series(periods).map(year).to_numpy(),
        period=pd.Series(periods).map(period).to_numpy(),
    )


def _check_overlap(
    frames: list[tuple[Path, pd.DataFrame]], path: Path, frame: pd.DataFrame
) -> None:
    key = ["region_type", "region", "year", "indicator"]
    for earlier_path, earlier in frames:
        both = frame[key].merge(earlier[key], on=key, how="inner")
        if not both.empty:
            first = both.iloc[0]
            raise SourceError(
                f"Indikator {first['indicator']} für {first['region_type']} {first['region']} "
                f"{first['year']} steht auch in {earlier_path.name}; jede Kombination darf nur "
                f"einmal vorkommen.",
                file=path,
            )


def _provenance(path: Path, lookups: Sequence[Path]) -> Provenance:
    vintage = _vintage(path)
    used = [p for p in lookups if p.stem in (f"{INDICATORS}{vintage}", f"{REGIONS}{vintage}")]
    year = pd.Timestamp(path.stat().st_mtime, unit="s").year
    return file_provenance(
        [path, *used],
        source=f"INKAR – Indikatoren und Karten zur Raum- und Stadtentwicklung (BBSR), Thema "
        f"{path.stem.split('__')[0]}",
        licence=DL_DE_BY,
        attribution=f"© Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR) im BBR, Bonn, "
        f"{year}",
        url="https://www.inkar.de",
        notes="Gebietsstand der INKAR-Ausgabe (in den Dateien nicht angegeben); Einheiten aus "
        "den Indikatornamen abgeleitet.",
    )


FORMAT = register_format(
    SourceFormat(
        key="inkar",
        title="INKAR (BBSR): Indikatoren als Parquet-Dateien je Thema",
        detect=detect,
        read=read,
    )
)
