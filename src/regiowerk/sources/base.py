"""What every source reader shares: errors that point at file, row and column, text decoding,
German number formats, GENESIS placeholders, and the registry of formats.

A source module reads published files *as they come* into canonical tables plus provenance
(:class:`ImportResult`); it never computes indicators. Row numbers are the 1-based line
numbers of the file (or sheet), and readers set the frame's index to them before validation, so
a schema violation names the line a user can open in an editor or Excel.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk import fileio
from regiowerk.errors import RegiowerkError
from regiowerk.provenance import Provenance
from regiowerk.schema import table_spec

GENESIS_PLACEHOLDERS: dict[str, float] = {
    "-": 0.0,  # "nichts vorhanden" (genau null): zero, and flagged as such
    ".": np.nan,  # "Zahlenwert unbekannt oder geheim zu halten"
    "x": np.nan,  # "Tabellenfach gesperrt, weil Aussage nicht sinnvoll"
    "/": np.nan,  # "keine Angaben, da Zahlenwert nicht sicher genug"
    "...": np.nan,  # "Angabe fällt später an"
}
"""GENESIS "Zeichenerklärung": the placeholder and the number it stands for. ``-`` means exactly
zero; every other placeholder is a missing value. Either way the placeholder is kept in the
table's ``flag`` column, so nothing becomes a silent zero."""


def has_census_column(table: str) -> bool:
    """True when ``table`` records the census basis per row (column ``census_basis``)."""
    return "census_basis" in table_spec(table).column_names


class SourceError(RegiowerkError):
    """A source file cannot be read; the message names file, row and column where known."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        row: int | str | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column = file, row, column
        where = []
        if file is not None:
            where.append(f"Datei {Path(file).name}")
        if row is not None:
            where.append(f"Zeile {row}")
        if column is not None:
            where.append(f"Spalte {column!r}")
        super().__init__((", ".join(where) + ": " if where else "") + message)


@dataclass
class ImportResult:
    """Canonical tables read from one or more files of one source, with provenance."""

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    """German remarks for the user (counts of flagged cells, repaired keys, skipped rows)."""

    def add(self, table: str, frame: pd.DataFrame, provenance: Provenance) -> None:
        """Add a table; a second frame for the same table is appended (several files)."""
        if table in self.tables:
            self.tables[table] = pd.concat([self.tables[table], frame], ignore_index=True)
            self.provenance[table] = merge_table_provenance(
                table, self.provenance[table], provenance
            )
        else:
            self.tables[table] = frame
            self.provenance[table] = provenance


@dataclass(frozen=True)
class SourceFormat:
    """A readable format: how to recognise a file and how to read a list of them."""

    key: str
    title: str
    detect: Callable[[Path], bool]
    read: Callable[..., ImportResult]
    """``read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult``."""


FORMATS: dict[str, SourceFormat] = {}


def register_format(fmt: SourceFormat) -> SourceFormat:
    """Make a format known to ``regiowerk import`` and to folder detection."""
    if fmt.key in FORMATS:
        raise ValueError(f"format {fmt.key!r} registered twice")
    FORMATS[fmt.key] = fmt
    return fmt


def source_format(key: str) -> SourceFormat:
    """The format called ``key``; unknown keys list the known ones."""
    from regiowerk.sources import all_formats  # registers every format module once

    all_formats()
    try:
        return FORMATS[key]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise SourceError(f"Unbekannte Quelle {key!r}. Bekannte Quellen: {known}.") from None


def sha256_of(path: Path) -> str:
    """SHA-256 of a source file, computed once per file state (path, size, modification time):
    readers record it in the provenance of every table they build from the file."""
    stat = path.stat()
    return _sha256_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    return fileio.sha256_of(Path(path))


def read_text(path: Path, *, encoding: str | None = None) -> str:
    """The text of ``path``: UTF-8 (a BOM is removed) unless ``encoding`` says otherwise.

    A file that is not valid in the expected encoding raises a :class:`SourceError` naming the
    line and byte, and suggesting ``--encoding cp1252`` (Windows/Excel) where that would read it.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"nicht lesbar ({exc.strerror}).", file=path) from None
    if not data.strip():
        raise SourceError("Die Datei ist leer.", file=path)
    wanted = encoding or "utf-8"
    try:
        text = data.decode(wanted)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = ""
        if encoding is None:
            try:
                data.decode("cp1252")
                hint = (
                    " Vermutlich Windows-1252 (Excel); mit '--encoding cp1252' erneut "
                    "importieren oder die Datei als UTF-8 speichern."
                )
            except UnicodeDecodeError:
                hint = " Die Kodierung ist unbekannt; die Datei als UTF-8 speichern."
        raise SourceError(
            f"nicht als {wanted} lesbar (Byte 0x{data[exc.start]:02x} an Position "
            f"{exc.start}).{hint}",
            file=path,
            row=line,
        ) from None
    except LookupError:
        raise SourceError(f"Unbekannte Kodierung {encoding!r}.", file=path) from None
    return text.removeprefix("\ufeff")


_GERMAN_NUMBER = re.compile(r"^-?[0-9]+(,[0-9]+)?$")


def parse_german_numbers(
    values: pd.Series,
    *,
    file: Path,
    column: str,
    thousands: str = " ",
    placeholders: dict[str, float] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written the German way (``1 234,5``; thousands separator configurable).

    Returns ``(numbers, flags)``: empty cells are missing with no flag, ``placeholders`` (e.g.
    :data:`GENESIS_PLACEHOLDERS`) become their value and keep the placeholder as flag, anything
    else that is not a number raises a :class:`SourceError` naming the row (index label).
    """
    text = values.astype("string").str.strip()
    placeholders = placeholders or {}
    flags = text.where(text.isin(list(placeholders)))
    cleaned = text.str.replace(thousands, "", regex=False) if thousands else text
    cleaned = cleaned.str.replace("\u00a0", "", regex=False)
    is_number = cleaned.str.fullmatch(_GERMAN_NUMBER.pattern).fillna(False).astype(bool)
    empty = text.isna() | (text == "")
    bad = ~(is_number | empty | flags.notna())
    if bad.any():
        row = values.index[bad.to_numpy()][0]
        count = int(bad.sum())
        more = f" (insgesamt {count} solche Werte)" if count > 1 else ""
        raise SourceError(
            f"{values.loc[row]!r} ist keine Zahl{more}.", file=file, row=row, column=column
        )
    numbers = pd.to_numeric(cleaned.where(is_number).str.replace(",", ".", regex=False))
    numbers = numbers.astype("float64")
    for mark, value in placeholders.items():
        numbers = numbers.mask((flags == mark).fillna(False).astype(bool), value)
    return numbers, flags.astype(object).where(flags.notna(), None)


def read_semicolon_text(text: str, *, file: Path) -> tuple[list[str], pd.DataFrame]:
    """Split the text of a ``;``-separated file into its header and a frame of strings.

    The frame's index is the 1-based line number; blank lines are dropped. Quoting follows CSV
    (the 2009 file quotes a name containing quotes, doubling them). A line with fewer fields
    than the header (a truncated file, or another separator) or with more fields raises a
    :class:`SourceError` naming it.
    """
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=";",
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, seen = found.groups()
            raise SourceError(
                f"{seen} Felder statt {expected} wie in der Kopfzeile (Trennzeichen ';' in "
                f"einem Wert ohne Anführungszeichen?).",
                file=file,
                row=int(line),
            ) from None
        raise SourceError(f"keine gültige CSV-Datei ({exc}).", file=file) from None
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if len(lines) != len(frame):
        raise SourceError(
            "Zeilenumbrüche innerhalb von Feldern werden nicht unterstützt.", file=file
        )
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    as_series = pd.Series(lines, index=frame.index, dtype="str")
    del lines
    counts = _field_counts(as_series, quoted='"' in text)
    blank = as_series.str.strip() == ""
    short = (counts < frame.shape[1]) & ~blank
    if short.any():
        line = first_row(short)
        raise SourceError(
            f"nur {counts[line]} von {frame.shape[1]} Feldern (Datei abgeschnitten oder "
            f"anderes Trennzeichen als ';'?).",
            file=file,
            row=line,
        )
    header = [str(v) for v in frame.iloc[0]]
    return header, frame.iloc[1:][~blank.iloc[1:]]


def first_row(mask: pd.Series) -> int:
    """Line number (index label) of the first true entry of ``mask``."""
    return int(mask.index[mask.to_numpy(dtype=bool)][0])


def _field_counts(lines: pd.Series, *, quoted: bool) -> pd.Series:
    """Number of ``;``-separated fields per line; separators inside quotes are not counted."""
    if quoted:
        lines = lines.str.replace(r'"[^"]*"', "", regex=True)
    return lines.str.count(";") + 1


def parse_counts(values: pd.Series, *, file: Path, column: str) -> tuple[pd.Series, pd.Series]:
    """Parse counts (``91 113``; GENESIS placeholders) into ``Int64`` and the flags.

    Negative or fractional counts raise a :class:`SourceError` naming row and column.
    """
    numbers, flags = parse_german_numbers(
        values, file=file, column=column, placeholders=GENESIS_PLACEHOLDERS
    )
    bad = (numbers < 0) | (numbers.notna() & (numbers != numbers.round()))
    if bad.any():
        line = first_row(bad)
        what = "negativ" if numbers[line] < 0 else "keine ganze Zahl"
        raise SourceError(
            f"{values[line].strip()!r} ist als Anzahl ungültig ({what}).",
            file=file,
            row=line,
            column=column,
        )
    return numbers.astype("Int64"), flags


def merge_provenance(old: Provenance, new: Provenance, *, per_row: bool = False) -> Provenance:
    """Provenance of a table holding rows of both: files and hashes united, latest retrieval.

    Differing census bases raise a :class:`SourceError`, unless the table records the basis
    in every row (``per_row``, a ``census_basis`` column); then the merged provenance names no
    single basis. Differing Gebietsstände are recorded as ``None`` (see the year column).
    """
    if old.census_basis != new.census_basis and not per_row:
        raise SourceError(
            f"Zensusbasis passt nicht zusammen: vorhandene Daten {old.census_basis or '–'}, "
            f"neue Daten {new.census_basis or '–'}. Bevölkerungszahlen verschiedener "
            f"Zensusbasen werden nicht stillschweigend gemischt; getrennte Arbeitsbereiche "
            f"verwenden oder die Daten auf eine Basis bringen."
        )
    files = tuple(dict.fromkeys(old.source_files + new.source_files))
    hashes = tuple(dict.fromkeys(old.source_sha256 + new.source_sha256))
    gebietsstand = old.gebietsstand if old.gebietsstand == new.gebietsstand else None
    notes = old.notes
    if new.notes and new.notes != old.notes:
        notes = f"{old.notes} {new.notes}" if old.notes else new.notes
    return Provenance(
        source=old.source if old.source == new.source else f"{old.source}; {new.source}",
        licence=old.licence if old.licence == new.licence else f"{old.licence}; {new.licence}",
        attribution=old.attribution
        if old.attribution == new.attribution
        else f"{old.attribution}; {new.attribution}",
        retrieved=max(old.retrieved, new.retrieved),
        gebietsstand=gebietsstand,
        census_basis=old.census_basis if old.census_basis == new.census_basis else None,
        synthetic=old.synthetic or new.synthetic,
        url=old.url or new.url,
        notes=notes,
        source_files=files,
        source_sha256=hashes,
    )


def merge_table_provenance(table: str, old: Provenance, new: Provenance) -> Provenance:
    """:func:`merge_provenance` for ``table``; bases may differ where it has a basis column."""
    return merge_provenance(old, new, per_row=has_census_column(table))


def file_provenance(
    paths: Sequence[Path],
    *,
    source: str,
    licence: str,
    attribution: str,
    gebietsstand: str | None = None,
    census_basis: str | None = None,
    url: str | None = None,
    notes: str | None = None,
) -> Provenance:
    """Provenance for tables read from ``paths`` (names and SHA-256 of the files recorded)."""
    return Provenance(
        source=source,
        licence=licence,
        attribution=attribution,
        gebietsstand=gebietsstand,
        census_basis=census_basis,
        url=url,
        notes=notes,
        source_files=tuple(p.name for p in paths),
        source_sha256=tuple(sha256_of(p) for p in paths),
    )


DL_DE_BY = "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"
"""Licence of official statistics and BKG geodata."""


def default_data_dir() -> Path:
    """The folder of real official data used by tests and tools: ``$REGIOWERK_DATA``, else
    ``shared/data`` next to a source checkout, else ``../shared/data`` from the current folder."""
    env = os.environ.get("REGIOWERK_DATA")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[4] / "shared" / "data"
    return checkout if checkout.is_dir() else Path("..") / "shared" / "data"
