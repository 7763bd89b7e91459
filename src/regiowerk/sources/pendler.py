"""Commuter flows: BA Pendlerverflechtungen (``ba_pendler``) and a derived Kreis matrix
(``commuter_matrix``), both read into the canonical ``commuters`` table.

**BA Pendlerverflechtungen.** Publisher: Statistik der Bundesagentur für Arbeit (BA),
"Pendler nach Gemeinden" / "Kreispendler", one xlsx per Land and reference date 30.06. Sheets
``Auspendler Gemeinden``, ``Einpendler Gemeinden``, ``Auspendler Kreise``, ``Einpendler
Kreise`` (a Kreis file has only the last two; other sheets such as ``Deckblatt`` or
``Impressum`` are ignored). Layout of a sheet as read here:

* title rows naming the Land and the reference date (``Stichtag: 30.06.2023``);
* header rows: ``Wohnort`` and ``Arbeitsort`` above the key columns (key and name each), the
  value columns ``Insgesamt``, ``Männer``, ``Frauen``, ``Deutsche``, ``Ausländer``,
  ``Azubis``; the header row is the first row with a cell ``Insgesamt``;
* one block per reporting region (the residence in ``Auspendler …``, the workplace in
  ``Einpendler …``): its key and name in the first key column on the block's first row, then
  one row per partner region: itemised municipalities (8 digits) or Kreise (5 digits);
  ``Übrige …`` remainder rows whose key is the enclosing region (``Übrige Gemeinden``: Kreis,
  ``Übrige Kreise (Regierungsbezirk)``: 3 digits, ``Übrige Regierungsbezirke (Bundesland)`` /
  ``Übrige Kreise``: Land, ``Übrige Bundesländer`` with code ``ZZ``); subtotal rows of the
  enclosing Kreis, Regierungsbezirk or Land (the key alone, after their itemised rows); for
  in-commuters the rows from abroad (``Ausland`` or country codes); the totals
  ``… in das Bundesgebiet`` / ``… aus dem Bundesgebiet`` and ``… insgesamt`` (codes ``ZZ`` /
  ``Z``);
* footnotes below the data; ``*`` (or ``X``) for cells suppressed for confidentiality.

Output rows: origin = residence, dest = workplace, year of the reference date, persons =
``Insgesamt``. ``Übrige …`` rows become ``remainder = True`` with the enclosing region on the
partner side (``DG`` for other Länder, ``XA`` for abroad). A subtotal row without any itemised
row below it (a Land or Kreis of which nothing is itemised) is itself such a remainder;
subtotals with itemised rows and the totals are not flows (the totals are only checked against
the sum of the block). Merging several Länder files: a flow between two Länder is printed in the
``Auspendler`` sheet of the residence Land and in the ``Einpendler`` sheet of the workplace
Land; it is kept once. Differing numbers for the same flow are reported (the residence side
wins); a number in one file fills a cell suppressed in the other. Municipal and Kreis flows
share the table and are told apart by the key length; they must not be summed together.

**Derived Kreis matrix.** A whitespace-separated text file of n × n numbers (rows = residence,
columns = workplace) in the key order of a JSON file next to it (``county_centers_dim400.json``:
a list of ``{kreis: coordinate}`` objects, sorted Kreis keys, Eisenach merged into the
Wartburgkreis). It is derived from the BA Kreispendler by a third party ("Übrige …" remainders
spread over Kreise by population, fractional cells), not raw BA data, and its provenance says
so. Zero cells are dropped; the year is taken from the file name or assumed to be 2022.
"""

from __future__ import annotations

import importlib.util
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from regiowerk.ags import LAENDER, AgsPaddedWarning, normalize_ags_column
from regiowerk.errors import AgsError
from regiowerk.provenance import Provenance
from regiowerk.schema import validate
from regiowerk.sources.base import (
    ImportResult,
    SourceError,
    SourceFormat,
    file_provenance,
    first_row,
    read_text,
    register_format,
)

KEY = "ba_pendler"
TITLE = "Pendlerverflechtungen (Gemeinden/Kreise), Statistik der Bundesagentur für Arbeit"
SOURCE = "Statistik der Bundesagentur für Arbeit, Pendlerverflechtungen"
LICENCE = "Statistik der Bundesagentur für Arbeit: Nutzung und Weitergabe mit Quellenangabe"
URL = (
    "https://statistik.arbeitsagentur.de/DE/Navigation/Statistiken/Interaktive-Statistiken/"
    "Pendler/Pendler-Nav.html"
)
MATRIX_KEY = "commuter_matrix"
MATRIX_TITLE = "Pendlermatrix Kreise × Kreise (abgeleitet aus der BA-Pendlerstatistik)"
MATRIX_DEFAULT_YEAR = 2022

SUPPRESSED = ("*", "X", "x")
"""Marks of suppressed cells in BA tables (statistical confidentiality)."""

_COLUMNS = ["origin", "dest", "year", "persons", "suppressed", "remainder"]
_DATE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*((?:19|20)\d{2})")
_FILE_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(?!\d)")
_LEVEL_WORD = re.compile(r"\((Gemeinde|Kreis|Regierungsbezirk|Bundesland|Land)\)\s*$")
_LEVEL_OF_WORD = {"Kreis": 5, "Regierungsbezirk": 3, "Bundesland": 2, "Land": 2}
_GRAND_TOTAL = re.compile(r"^((aus|ein)pendler )?insgesamt$")
_ABROAD_TOTAL = re.compile(r"^(einpendler aus dem )?ausland$")


@dataclass(frozen=True)
class SheetKind:
    """A BA sheet: its name, which side the reporting region is on, and its key length."""

    name: str
    outgoing: bool
    """True for ``Auspendler`` (reporting region = residence), False for ``Einpendler``."""
    level: int
    """Key length of reporting and itemised regions: 8 (Gemeinden) or 5 (Kreise)."""


SHEETS = (
    SheetKind("Auspendler Gemeinden", True, 8),
    SheetKind("Einpendler Gemeinden", False, 8),
    SheetKind("Auspendler Kreise", True, 5),
    SheetKind("Einpendler Kreise", False, 5),
)


@dataclass
class SheetResult:
    """Flows of one sheet (index = line number) and remarks for the user."""

    frame: pd.DataFrame
    year: int
    messages: list[str]


# --------------------------------------------------------------------------------------------
# detection


def detect(path: Path) -> bool:
    """An xlsx whose workbook lists one of the BA Pendler sheets (read from the zip directory)."""
    try:
        if path.suffix.lower() != ".xlsx" or not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
        return any(f'name="{kind.name}"' in workbook for kind in SHEETS)
    except Exception:  # detection must never raise
        return False


def detect_matrix(path: Path) -> bool:
    """A ``commuter*.txt`` file whose first line is a row of numbers."""
    try:
        if path.suffix.lower() != ".txt" or not path.name.lower().startswith("commuter"):
            return False
        with path.open("rb") as handle:
            first = handle.readline(1 << 20).split()
        return len(first) > 1 and all(_is_float(token) for token in first[:50])
    except Exception:  # detection must never raise
        return False


def _is_float(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# BA workbook


def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read BA Pendler workbooks (one or several Länder) into ``commuters``.

    ``encoding`` is ignored (xlsx). All sheets of all files are read, flows printed twice are
    kept once (see the module docstring), and the result is validated.
    """
    del encoding
    result = ImportResult(source=KEY)
    sheets: list[tuple[SheetResult, int, int]] = []
    for file_no, path in enumerate(paths):
        for sheet_no, (kind, sheet) in enumerate(read_workbook(path)):
            rank = 0 if kind.outgoing else 1
            sheets.append((sheet, rank, file_no * 10 + sheet_no))
            result.messages.extend(sheet.messages)
    if not sheets:
        raise SourceError("Keine Pendlerdatei angegeben.")
    frame, merge_messages = merge_flows(sheets)
    result.messages.extend(merge_messages)
    frame = validate("commuters", frame, source=TITLE).reset_index(drop=True)
    result.messages.extend(_summary(frame))
    result.add("commuters", frame, _provenance(paths, sorted({s.year for s, _, _ in sheets})))
    return result


def read_workbook(path: Path) -> list[tuple[SheetKind, SheetResult]]:
    """Every Pendler sheet of one workbook, parsed (sheets of one level come in pairs)."""
    if path.suffix.lower() == ".xlsb":
        raise SourceError(
            "Das Binärformat .xlsb wird nicht gelesen; die Datei in Excel als .xlsx speichern.",
            file=path,
        )
    names, load = _open_calamine(path) if ENGINE == "calamine" else _open_openpyxl(path)
    kinds = _required_sheets(path, names)
    return [(kind, parse_sheet(load(kind.name), kind=kind, path=path)) for kind in kinds]


def _calamine_available() -> bool:
    return importlib.util.find_spec("python_calamine") is not None


ENGINE = "calamine" if _calamine_available() else "openpyxl"
"""xlsx reader: python-calamine (Rust, about 40 times faster on large BA files) when installed,
else openpyxl. Both give the same cells."""

SheetLoader = Callable[[str], pd.DataFrame]


def _open_calamine(path: Path) -> tuple[list[str], SheetLoader]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise SourceError(
            f"keine lesbare xlsx-Arbeitsmappe ({type(exc).__name__}: {exc}).", file=path
        ) from None

    def load(name: str) -> pd.DataFrame:
        frame = _cell_frame(book.get_sheet_by_name(name).to_python(skip_empty_area=False))
        return frame.where(frame != "", None)  # calamine writes empty cells as ""

    return list(book.sheet_names), load


def _open_openpyxl(path: Path) -> tuple[list[str], SheetLoader]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceError(
            f"keine lesbare xlsx-Arbeitsmappe ({type(exc).__name__}: {exc}).", file=path
        ) from None
    names = list(book.sheetnames)
    book.close()

    def load(name: str) -> pd.DataFrame:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book[name]
            sheet.reset_dimensions()  # published files sometimes carry a wrong dimension tag
            return _cell_frame(list(sheet.iter_rows(values_only=True)))
        finally:
            book.close()

    return names, load


def _cell_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Cells as an object frame indexed by the 1-based row number, short rows padded."""
    widths = set(map(len, rows))
    width = max(widths, default=0)
    if len(widths) > 1:
        rows = [list(row) + [None] * (width - len(row)) for row in rows]
    frame = pd.DataFrame(list(rows), dtype=object, columns=range(width))
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _required_sheets(path: Path, names: list[str]) -> list[SheetKind]:
    present = [kind for kind in SHEETS if kind.name in names]
    if not present:
        expected = ", ".join(f"'{kind.name}'" for kind in SHEETS)
        found = ", ".join(f"'{name}'" for name in names) or "keine"
        raise SourceError(
            f"kein Blatt der BA-Pendlerstatistik gefunden (erwartet {expected}; vorhanden: "
            f"{found}).",
            file=path,
        )
    for kind in present:
        partner = next(k for k in SHEETS if k.level == kind.level and k is not kind)
        if partner.name not in names:
            raise SourceError(
                f"Blatt '{partner.name}' fehlt (Blatt '{kind.name}' ist vorhanden; die "
                f"BA-Dateien enthalten beide Richtungen).",
                file=path,
            )
    return present


@dataclass(frozen=True)
class _Layout:
    header_row: int
    reporting: int
    partner: int
    total: int
    values: dict[int, str]


def parse_sheet(rows: pd.DataFrame, *, kind: SheetKind, path: Path) -> SheetResult:
    """Parse one sheet (cells indexed by row number) into flows indexed by line number."""
    where = f"{path.name}, Blatt '{kind.name}'"
    layout = _layout(rows, kind=kind, path=path)
    year = _reference_year(rows.loc[: layout.header_row], path=path, sheet=kind.name)
    body = rows.loc[layout.header_row + 1 :]
    partner_key = _cell_text(body[layout.partner])
    partner_name = _cell_text(body[layout.partner + 1]).fillna("")
    is_row = partner_key.notna() | (partner_name != "")
    reporting = _reporting_keys(body, is_row, layout=layout, kind=kind, where=where, path=path)
    body, partner_key, partner_name = body[is_row], partner_key[is_row], partner_name[is_row]
    persons, suppressed = _counts(body, layout=layout, path=path, sheet=kind.name)
    rows_out = _classify(
        reporting[is_row],
        partner_key,
        partner_name,
        kind=kind,
        where=where,
        path=path,
        column=_column_name(layout.partner),
    )
    rows_out["persons"] = persons
    rows_out["suppressed"] = suppressed
    rows_out = _collapse_abroad(rows_out)
    messages = _check_totals(rows_out, where=where)
    flows = _flows(rows_out, kind=kind, year=year)
    flows, dup_messages = _drop_sheet_duplicates(flows, path=path, sheet=kind.name)
    flows = validate("commuters", flows, source=where)
    return SheetResult(frame=flows, year=year, messages=messages + dup_messages)


def _layout(rows: pd.DataFrame, *, kind: SheetKind, path: Path) -> _Layout:
    head = rows.loc[:40].map(lambda v: v.strip() if isinstance(v, str) else v)
    hits = head.apply(lambda col: col.astype("string").str.casefold() == "insgesamt")
    found = hits.fillna(False).astype(bool).to_numpy().nonzero()
    if not len(found[0]):
        raise SourceError(
            f"Blatt '{kind.name}': Kopfzeile mit der Spalte 'Insgesamt' nicht gefunden.",
            file=path,
        )
    header_row = int(head.index[found[0][0]])
    total = int(head.columns[found[1][0]])
    labels = list(head.loc[header_row].to_numpy()[total:])  # columns are positions 0, 1, …
    values = {total + i: v for i, v in enumerate(labels) if isinstance(v, str) and v}
    wohn, arbeit = _key_columns(head.loc[max(1, header_row - 4) : header_row])
    reporting, partner = (wohn, arbeit) if kind.outgoing else (arbeit, wohn)
    if partner + 1 >= total or reporting >= partner:
        first = "Arbeitsort" if kind.outgoing else "Wohnort"
        raise SourceError(
            f"Blatt '{kind.name}': die erste Schlüsselspalte ist '{first}'; Blattname und "
            f"Spaltenköpfe passen nicht zusammen.",
            file=path,
            row=header_row,
        )
    return _Layout(header_row, reporting, partner, total, values)


def _key_columns(head: pd.DataFrame) -> tuple[int, int]:
    """Columns headed ``Wohnort`` and ``Arbeitsort`` (default A and C when not labelled)."""
    text = head.apply(lambda col: col.astype("string").str.casefold())
    positions = {}
    for word in ("wohnort", "arbeitsort"):
        hit = text.apply(lambda col, w=word: col.str.startswith(w)).fillna(False).astype(bool)
        columns = [int(c) for c in hit.columns[hit.any().to_numpy()]]
        positions[word] = columns[0] if columns else None
    wohn, arbeit = positions["wohnort"], positions["arbeitsort"]
    if wohn is None or arbeit is None:
        return 0, 2
    return wohn, arbeit


def _reference_year(head: pd.DataFrame, *, path: Path, sheet: str) -> int:
    """Year of the reference date in the title rows (``Stichtag: 30.06.2023``)."""
    cells = [v for v in head.to_numpy().ravel() if v is not None]
    dates = [v.year for v in cells if hasattr(v, "year") and not isinstance(v, str)]
    texts = [v for v in cells if isinstance(v, str)]
    texts.sort(key=lambda t: "stichtag" not in t.casefold())
    for text in texts:
        match = _DATE.search(text)
        if match:
            return int(match.group(3))
    if dates:
        return int(dates[0])
    match = _FILE_MONTH.search(path.stem)
    if match:
        return int(match.group(1))
    raise SourceError(
        f"Blatt '{sheet}': Stichtag (z. B. 'Stichtag: 30.06.2023') im Tabellenkopf nicht "
        f"gefunden und kein Berichtsmonat im Dateinamen (z. B. '-202306-').",
        file=path,
    )


def _cell_text(values: pd.Series) -> pd.Series:
    """Cell values as trimmed strings (numbers without a trailing ``.0``), empty → missing."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"^([0-9]+)\.0$", r"\1", regex=True)
    return text.mask(text == "")


def _reporting_keys(
    body: pd.DataFrame,
    is_row: pd.Series,
    *,
    layout: _Layout,
    kind: SheetKind,
    where: str,
    path: Path,
) -> pd.Series:
    """The reporting region of every row (first key column, carried down its block)."""
    text = _cell_text(body[layout.reporting])
    starts = text.notna()
    bad = starts & ~text.str.fullmatch(r"[0-9]+").fillna(False).astype(bool) & is_row
    if bad.any():
        row = first_row(bad)
        raise SourceError(
            f"{text[row]!r} ist kein Schlüssel des {'Wohn' if kind.outgoing else 'Arbeits'}orts.",
            file=path,
            row=row,
            column=_column_name(layout.reporting),
        )
    keys = text[starts & text.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)]
    keys = normalize_ags_column(
        keys, length=kind.level, file=where, column=_column_name(layout.reporting)
    )
    carried = keys.reindex(body.index).ffill()
    orphan = is_row & carried.isna()
    if orphan.any():
        raise SourceError(
            f"Zeile ohne {'Wohnort' if kind.outgoing else 'Arbeitsort'} (kein Schlüssel in "
            f"Spalte {_column_name(layout.reporting)} darüber).",
            file=path,
            row=first_row(orphan),
        )
    return carried


def _column_name(column: int) -> str:
    return chr(ord("A") + column) if column < 26 else f"Spalte {column + 1}"


def _counts(
    body: pd.DataFrame, *, layout: _Layout, path: Path, sheet: str
) -> tuple[pd.Series, pd.Series]:
    """``Insgesamt`` as float (missing where suppressed) and the suppression flag.

    Every value column is checked: numbers, ``*``/``X`` or empty; anything else and negative
    counts raise a :class:`SourceError` naming sheet, row and column.
    """
    persons = pd.Series(np.nan, index=body.index)
    suppressed = pd.Series(False, index=body.index)
    for column, title in layout.values.items():
        numbers, marks = _parse_count_column(body[column], path=path, sheet=sheet, title=title)
        if column == layout.total:
            empty = numbers.isna() & ~marks
            if empty.any():
                raise SourceError(
                    f"Blatt '{sheet}': Wert fehlt.",
                    file=path,
                    row=first_row(empty),
                    column=title,
                )
            persons, suppressed = numbers, marks
    return persons, suppressed


def _parse_count_column(
    values: pd.Series, *, path: Path, sheet: str, title: str
) -> tuple[pd.Series, pd.Series]:
    types = values.map(type)
    is_number = types.isin([int, float])
    text = values.where(types.isin([str])).astype("string").str.strip()
    marks = text.isin(SUPPRESSED).fillna(False).astype(bool)
    digits = text.str.replace(r"[ \u00a0]", "", regex=True)
    is_digits = digits.str.fullmatch(r"-?[0-9]+").fillna(False).astype(bool)
    empty = values.isna() | (text == "").fillna(False).astype(bool)
    bad = ~(is_number | is_digits | marks | empty)
    if bad.any():
        row = first_row(bad)
        raise SourceError(
            f"Blatt '{sheet}': {values[row]!r} ist weder eine Zahl noch eine Sperrmarke "
            f"('*' oder 'X').",
            file=path,
            row=row,
            column=title,
        )
    numbers = pd.to_numeric(values.where(is_number), errors="coerce").astype("float64")
    numbers = numbers.fillna(pd.to_numeric(digits.where(is_digits)).astype("float64"))
    negative = numbers < 0
    if negative.any():
        row = first_row(negative)
        raise SourceError(
            f"Blatt '{sheet}': negative Anzahl {values[row]!r}.", file=path, row=row, column=title
        )
    return numbers, marks


def _classify(
    reporting: pd.Series,
    key: pd.Series,
    label: pd.Series,
    *,
    kind: SheetKind,
    where: str,
    path: Path,
    column: str,
) -> pd.DataFrame:
    """Sort the rows into flows, remainders, subtotals, totals and abroad rows."""
    low = label.str.casefold()
    is_digit = key.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)
    is_rest = low.str.startswith("übrige")
    other_laender = ~is_digit & is_rest & low.str.contains("bundesl")
    is_total = (
        ~is_digit
        & ~other_laender
        & (low.str.contains("insgesamt") | low.str.contains("bundesgebiet"))
    )
    country = key.str.fullmatch(r"[A-Z]{1,3}").fillna(False).astype(bool) & ~key.isin(["Z", "ZZ"])
    rest = ~is_digit & ~other_laender & ~is_total
    abroad = rest & (country | low.str.contains("ausland"))
    frame = pd.DataFrame(
        {"reporting": reporting, "key": key, "label": label, "kind": "abroad"}, index=key.index
    )
    frame.loc[other_laender, "kind"] = "dg"
    frame.loc[is_total, "kind"] = "total"
    unknown = (rest & ~abroad) | (abroad if kind.outgoing else False)
    if unknown.any():
        row = first_row(unknown)
        raise SourceError(
            f"Blatt '{kind.name}': unbekannte Zeile {key[row]!r} / {label[row]!r} (erwartet "
            f"Gemeinde-, Kreis- oder Landesschlüssel, 'Übrige …', Ausland oder eine "
            f"Summenzeile).",
            file=path,
            row=row,
            column=column,
        )
    region = _region_keys(key[is_digit], label[is_digit], where=where, column=column)
    frame["region"] = region.reindex(frame.index)
    length = frame["region"].str.len()
    too_fine = is_digit & (length > kind.level)
    if too_fine.any():
        row = first_row(too_fine)
        raise SourceError(
            f"Blatt '{kind.name}': Schlüssel {key[row]!r} ist feiner als die Ebene des Blatts "
            f"({kind.level} Ziffern).",
            file=path,
            row=row,
        )
    frame.loc[is_digit & is_rest, "kind"] = "remainder"
    frame.loc[is_digit & ~is_rest & (length == kind.level), "kind"] = "flow"
    frame.loc[is_digit & ~is_rest & (length < kind.level), "kind"] = "subtotal"
    frame.loc[frame["kind"] == "dg", "region"] = "DG"
    return _undetailed_subtotals(frame)


def _region_keys(key: pd.Series, label: pd.Series, *, where: str, column: str) -> pd.Series:
    """Normalise partner keys of mixed levels (2, 3, 5, 8 digits); lost zeros restored."""
    word = label.str.extract(_LEVEL_WORD, expand=False)
    wanted = word.map(_LEVEL_OF_WORD).astype("Float64")
    length = key.str.len()
    by_length = length.map({1: 2, 2: 2, 3: 3, 4: 5, 5: 5, 6: 6, 7: 8, 8: 8})
    target = wanted.fillna(by_length.astype("Float64")).fillna(0).astype(int)
    out = pd.Series(pd.NA, index=key.index, dtype="string")
    for size in (2, 5, 8):
        part = key[target == size]
        if len(part):
            out[part.index] = normalize_ags_column(part, length=size, file=where, column=column)
    rb = key[target == 3]
    if len(rb):
        out[rb.index] = _regierungsbezirk_keys(rb, where=where, column=column)
    bad = ~target.isin([2, 3, 5, 8])
    if bad.any():
        rows = list(key.index[bad.to_numpy()])
        shown = ", ".join(f"Zeile {r}: {key[r]!r}" for r in rows[:5])
        raise AgsError(f"Datei {where}, Spalte {column!r}: ungültige Regionalschlüssel: {shown}.")
    return out


def _regierungsbezirk_keys(keys: pd.Series, *, where: str, column: str) -> pd.Series:
    """Three-digit Regierungsbezirk keys; a key that lost its leading zero is restored."""
    short = keys.str.len() == 2
    fixed = keys.where(~short, "0" + keys)
    bad = (fixed.str.len() != 3) | ~fixed.str[:2].isin(list(LAENDER))
    if bad.any():
        rows = list(keys.index[bad.to_numpy()])
        shown = ", ".join(f"Zeile {r}: {keys[r]!r}" for r in rows[:5])
        raise AgsError(
            f"Datei {where}, Spalte {column!r}: ungültige Regierungsbezirksschlüssel: {shown}."
        )
    if short.any():
        warnings.warn(
            f"Datei {where}, Spalte {column!r}: {int(short.sum())} Regierungsbezirksschlüssel "
            f"mit 2 Ziffern: führende Null ergänzt (vermutlich durch Excel verloren).",
            AgsPaddedWarning,
            stacklevel=3,
        )
    return fixed


def _undetailed_subtotals(frame: pd.DataFrame) -> pd.DataFrame:
    """Subtotal rows of a region with no itemised or remainder row in their block become
    remainders of that region (nothing of it is itemised, so the subtotal is the remainder)."""
    keyed = frame[frame["kind"].isin(["flow", "remainder", "subtotal"])]
    details = []
    for size in (2, 3, 5):
        finer = keyed[keyed["region"].str.len() > size]
        details.append(finer["reporting"] + "|" + finer["region"].str[:size])
    rest = keyed[keyed["kind"] == "remainder"]
    details.append(rest["reporting"] + "|" + rest["region"])
    detailed = pd.concat(details, ignore_index=True).dropna().astype(object)
    subtotal = frame[frame["kind"] == "subtotal"]
    tags = (subtotal["reporting"] + "|" + subtotal["region"]).astype(object)
    lonely = ~tags.isin(detailed).to_numpy(dtype=bool)  # object isin: hash table, fast
    frame.loc[subtotal.index[lonely], "kind"] = "remainder"
    return frame


def _collapse_abroad(frame: pd.DataFrame) -> pd.DataFrame:
    """One ``XA`` row per block: the ``Ausland`` row if printed, else the sum of the countries."""
    abroad = frame["kind"] == "abroad"
    if not abroad.any():
        return frame
    part = frame[abroad].assign(line=frame.index[abroad.to_numpy()])
    explicit = part["label"].str.casefold().str.fullmatch(_ABROAD_TOTAL.pattern)
    explicit = explicit.fillna(False).astype(bool)
    has_explicit = explicit.groupby(part["reporting"]).transform("any")
    use = part[explicit | ~has_explicit]
    grouped = use.groupby("reporting", sort=False).agg(
        line=("line", "first"), persons=("persons", "sum"), suppressed=("suppressed", "any")
    )
    grouped["persons"] = grouped["persons"].mask(grouped["suppressed"])
    xa = grouped.reset_index().assign(kind="xa", region="XA", label="Ausland")
    xa["key"] = pd.Series(pd.NA, index=xa.index, dtype="string")
    xa.index = pd.Index(xa["line"].to_numpy())
    return pd.concat([frame[~abroad], xa[frame.columns]]).sort_index()


def _check_totals(frame: pd.DataFrame, *, where: str) -> list[str]:
    """Compare each block's ``… insgesamt`` row with the sum of its flows and remainders."""
    low = frame["label"].str.casefold()
    totals = frame[
        (frame["kind"] == "total") & low.str.fullmatch(_GRAND_TOTAL.pattern).fillna(False)
    ]
    last = totals[totals["persons"].notna()].groupby("reporting")["persons"].last()
    if last.empty:
        return []
    kept = frame[frame["kind"].isin(["flow", "remainder", "dg", "xa"])]
    sums = kept.groupby("reporting").agg(
        persons=("persons", "sum"), suppressed=("suppressed", "any")
    )
    joined = sums.join(last.rename("total").to_frame(), how="inner")
    joined = joined[~joined["suppressed"]]
    diff = (joined["total"] - joined["persons"]).abs()
    off = diff[diff > 0.5]
    if off.empty:
        return []
    worst = off.sort_values(ascending=False).head(1)
    return [
        f"{where}: bei {len(off)} Gebieten weicht die Summe der Pendlerzeilen von der Zeile "
        f"'insgesamt' ab (größte Abweichung {worst.iloc[0]:.0f} bei {worst.index[0]})."
    ]


def _flows(frame: pd.DataFrame, *, kind: SheetKind, year: int) -> pd.DataFrame:
    keep = frame[frame["kind"].isin(["flow", "remainder", "dg", "xa"])]
    reporting = keep["reporting"].astype(str)
    partner = keep["region"].astype(str)
    origin, dest = (reporting, partner) if kind.outgoing else (partner, reporting)
    return pd.DataFrame(
        {
            "origin": origin,
            "dest": dest,
            "year": year,
            "persons": keep["persons"].astype("float64"),
            "suppressed": keep["suppressed"].astype(bool),
            "remainder": keep["kind"] != "flow",
        },
        index=keep.index,
    )


def _drop_sheet_duplicates(
    flows: pd.DataFrame, *, path: Path, sheet: str
) -> tuple[pd.DataFrame, list[str]]:
    """Identical repeated rows are dropped (with a remark); contradicting ones are an error."""
    key = ["origin", "dest", "year", "remainder"]
    repeated = flows.duplicated([*key, "persons", "suppressed"])
    flows = flows[~repeated]
    clash = flows.duplicated(key, keep=False)
    if clash.any():
        lines = [int(r) for r in flows.index[clash.to_numpy()][:2]]
        first = flows.loc[lines[0]]
        raise SourceError(
            f"Blatt '{sheet}': die Verflechtung {first['origin']} → {first['dest']} steht in "
            f"Zeile {lines[0]} und {lines[1]} mit verschiedenen Zahlen.",
            file=path,
            row=lines[1],
        )
    if not repeated.any():
        return flows, []
    return flows, [
        f"{path.name}, Blatt '{sheet}': {int(repeated.sum())} wiederholte, gleichlautende "
        f"Zeilen einmal gezählt."
    ]


def merge_flows(sheets: Sequence[tuple[SheetResult, int, int]]) -> tuple[pd.DataFrame, list[str]]:
    """Flows of several sheets/files, each kept once.

    ``sheets`` holds ``(result, rank, order)``; among copies of a flow a number beats a
    suppressed cell, then the lower rank (0 = ``Auspendler`` sheet of the residence Land) and
    the earlier sheet win. Copies with different numbers are counted in a remark.
    """
    key = ["origin", "dest", "year", "remainder"]
    frames = [
        sheet.frame.reset_index(drop=True).assign(rank=rank, order=order)
        for sheet, rank, order in sheets
    ]
    flows = pd.concat(frames, ignore_index=True)
    stats = flows.groupby(key, sort=False).agg(
        copies=("persons", "size"),
        known=("persons", "count"),
        low=("persons", "min"),
        high=("persons", "max"),
    )
    messages = _merge_messages(stats)
    flows = flows.sort_values([*key, "suppressed", "rank", "order"], kind="stable")
    flows = flows.drop_duplicates(key, keep="first")
    return flows[_COLUMNS].reset_index(drop=True), messages


def _merge_messages(stats: pd.DataFrame) -> list[str]:
    messages = []
    double = stats[stats["copies"] > 1]
    if not double.empty:
        messages.append(
            f"{len(double)} Verflechtungen standen in mehr als einem Blatt bzw. einer Datei "
            f"(Auspendler des Wohnorts und Einpendler des Arbeitsorts) und wurden einmal gezählt."
        )
    filled = double[(double["known"] > 0) & (double["known"] < double["copies"])]
    if not filled.empty:
        messages.append(
            f"{len(filled)} geheim gehaltene Werte ('*') aus der jeweils anderen Datei ergänzt."
        )
    differ = double[(double["high"] - double["low"]) > 0]
    if not differ.empty:
        origin, dest, year, _ = differ.index[0]
        first = differ.iloc[0]
        messages.append(
            f"Achtung: {len(differ)} Verflechtungen haben in verschiedenen Dateien "
            f"verschiedene Zahlen (z. B. {origin} → {dest} {year}: {first['low']:.0f} und "
            f"{first['high']:.0f}); verwendet wird die Zahl aus dem Auspendler-Blatt des Wohnorts."
        )
    return messages


def _summary(frame: pd.DataFrame) -> list[str]:
    levels = frame["origin"].str.len().where(~frame["remainder"], frame["dest"].str.len())
    parts = [
        f"{int((~frame['remainder'] & (levels == 8)).sum())} Gemeindeverflechtungen",
        f"{int((~frame['remainder'] & (levels == 5)).sum())} Kreisverflechtungen",
        f"{int(frame['remainder'].sum())} Restzeilen ('Übrige …', Ausland)",
    ]
    messages = ["Pendler: " + ", ".join(parts) + "."]
    secret = int(frame["suppressed"].sum())
    if secret:
        messages.append(
            f"{secret} Werte sind geheim gehalten ('*'/'X'): Personen leer, suppressed = True."
        )
    return messages


def _provenance(paths: Sequence[Path], years: list[int]) -> Provenance:
    shown = ", ".join(str(y) for y in years)
    return file_provenance(
        paths,
        source=f"{SOURCE}, Stichtag 30.06.{shown}",
        licence=LICENCE,
        attribution=f"© Statistik der Bundesagentur für Arbeit, {shown}",
        gebietsstand=f"{years[0]}-06-30" if len(years) == 1 else None,
        url=URL,
        notes=(
            "Sozialversicherungspflichtig Beschäftigte nach Wohn- und Arbeitsort am 30.06.; "
            "Gebietsstand des Stichtags angenommen. Gemeinde- (8-stellig) und "
            "Kreisverflechtungen (5-stellig) stehen in einer Tabelle und dürfen nicht "
            "zusammen summiert werden; 'Übrige …' und Ausland als remainder = True."
        ),
    )


# --------------------------------------------------------------------------------------------
# derived Kreis matrix


def read_matrix(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read n × n commuter matrices (``.txt``) with their key files (``.json``)."""
    matrices = [p for p in paths if p.suffix.lower() == ".txt"]
    key_files = [p for p in paths if p.suffix.lower() == ".json"]
    if not matrices:
        raise SourceError("Keine Matrixdatei (.txt) angegeben.")
    result = ImportResult(source=MATRIX_KEY)
    years: set[int] = set()
    for path in matrices:
        keys_path = _key_file(path, key_files)
        keys = _matrix_keys(keys_path)
        values = _matrix_values(path, keys, encoding=encoding)
        year, assumed = _matrix_year(path)
        if year in years:
            raise SourceError(f"zweite Matrix für das Jahr {year}.", file=path)
        years.add(year)
        frame = _matrix_flows(values, keys, year)
        frame = validate("commuters", frame, source=path.name).reset_index(drop=True)
        result.add("commuters", frame, _matrix_provenance(path, keys_path, year, assumed))
        result.messages.append(
            f"{path.name}: {len(keys)} × {len(keys)} Kreise, {len(frame)} Verflechtungen "
            f"(Zellen ≠ 0), zusammen {_german(values.sum())} Pendler (abgeleitete Daten)."
        )
        if assumed:
            result.messages.append(
                f"{path.name}: kein Jahr im Dateinamen; Bezugsjahr {year} angenommen."
            )
    return result


def _german(number: float) -> str:
    """``13653293.0`` → ``13 653 293,0`` (space as thousands separator, decimal comma)."""
    return f"{number:,.1f}".replace(",", " ").replace(".", ",")


def _key_file(path: Path, given: list[Path]) -> Path:
    candidates = given or sorted(path.parent.glob("*.json"))
    preferred = [p for p in candidates if p.name.startswith("county_centers")]
    if len(candidates) == 1:
        return candidates[0]
    if len(preferred) == 1:
        return preferred[0]
    raise SourceError(
        "Schlüsseldatei fehlt oder ist nicht eindeutig: eine JSON-Datei mit den Kreisschlüsseln "
        "in der Reihenfolge der Matrix (z. B. county_centers_dim400.json) neben die Matrix legen "
        "oder mit angeben.",
        file=path,
    )


def _matrix_keys(path: Path) -> pd.Series:
    """Kreis keys in matrix order from a JSON list of objects, an object or a list of keys."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise SourceError(f"kein gültiges JSON ({exc.msg}).", file=path, row=exc.lineno) from None
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        orders = [list(d) for d in data]
        if any(order != orders[0] for order in orders):
            raise SourceError("die Objekte der Liste nennen die Kreise verschieden.", file=path)
        raw: list[Any] = orders[0]
    elif isinstance(data, dict):
        raw = list(data)
    elif isinstance(data, list):
        raw = data
    else:
        raise SourceError(
            "erwartet wird eine Liste oder ein Objekt mit Kreisschlüsseln.", file=path
        )
    keys = pd.Series(raw, index=pd.RangeIndex(1, len(raw) + 1), dtype=object)
    keys = normalize_ags_column(keys, length=5, file=path.name, column="Kreisschlüssel")
    twice = keys.duplicated()
    if twice.any():
        raise SourceError(f"Kreis {keys[twice].iloc[0]} steht zweimal in der Liste.", file=path)
    return keys.reset_index(drop=True)


def _matrix_values(path: Path, keys: pd.Series, *, encoding: str | None) -> np.ndarray:
    """The n × n numbers; wrong row or column counts, text, negatives raise errors."""
    size = len(keys)
    lines = read_text(path, encoding=encoding).rstrip().splitlines()
    if len(lines) != size:
        row = min(len(lines), size) + 1
        raise SourceError(
            f"{len(lines)} Zeilen, erwartet {size} (eine je Kreis der Schlüsseldatei).",
            file=path,
            row=row,
        )
    tokens = [line.split() for line in lines]
    counts = np.array([len(t) for t in tokens])
    wrong = np.nonzero(counts != size)[0]
    if len(wrong):
        row = int(wrong[0])
        raise SourceError(
            f"{counts[row]} Werte statt {size} (Wohnort {keys[row]}).", file=path, row=row + 1
        )
    flat = pd.Series([value for line in tokens for value in line], dtype="string")
    numbers = pd.to_numeric(flat, errors="coerce").to_numpy(dtype="float64")
    bad = np.nonzero(~np.isfinite(numbers) | (numbers < 0))[0]
    if len(bad):
        row, column = divmod(int(bad[0]), size)
        raise SourceError(
            f"{flat[int(bad[0])]!r} ist keine nicht-negative Zahl (Wohnort {keys[row]}).",
            file=path,
            row=row + 1,
            column=f"Arbeitsort {keys[column]}",
        )
    return numbers.reshape(size, size)


def _matrix_year(path: Path) -> tuple[int, bool]:
    match = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.stem)
    return (int(match.group(1)), False) if match else (MATRIX_DEFAULT_YEAR, True)


def _matrix_flows(values: np.ndarray, keys: pd.Series, year: int) -> pd.DataFrame:
    rows, columns = np.nonzero(values)
    codes = keys.to_numpy()
    return pd.DataFrame(
        {
            "origin": codes[rows],
            "dest": codes[columns],
            "year": year,
            "persons": values[rows, columns],
            "suppressed": False,
            "remainder": False,
        },
        index=pd.Index(rows + 1),
    )


def _matrix_provenance(path: Path, keys_path: Path, year: int, assumed: bool) -> Provenance:
    return file_provenance(
        [path, keys_path],
        source=f"{MATRIX_TITLE}, {year}",
        licence=f"{LICENCE}; abgeleitete Daten Dritter",
        attribution=(
            f"© Statistik der Bundesagentur für Arbeit (Kreispendler {year}); aufbereitet durch "
            f"Dritte"
        ),
        gebietsstand=f"{year}-06-30",
        url=URL,
        notes=(
            "Abgeleitete Daten, keine BA-Rohdaten: Restzeilen ('Übrige …') nach Bevölkerung auf "
            "Kreise verteilt, Zellen teils gebrochen; Eisenach (16056) im Wartburgkreis (16063)"
            + (f"; Bezugsjahr {year} angenommen." if assumed else ".")
        ),
    )


FORMAT = register_format(SourceFormat(key=KEY, title=TITLE, detect=detect, read=read))
MATRIX_FORMAT = register_format(
    SourceFormat(key=MATRIX_KEY, title=MATRIX_TITLE, detect=detect_matrix, read=read_matrix)
)
