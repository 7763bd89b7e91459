"""Statistical tables of the GENESIS family (GENESIS-Online, Regionaldatenbank, Zensusdatenbank)
mapped onto canonical tables.

The readers of the published layouts (:mod:`regiowerk.sources.genesis` for the table CSV and the
flat-file CSV "ffcsv", :mod:`regiowerk.sources.regionalatlas` for the xlsx exports) all turn a
file into :class:`Cells`: one row per published value with its file line, source column, time,
regional key and the labels that describe it (``d0``, ``d1``, … one column per row-label column,
header level or "Merkmal"). This module maps those labels onto canonical columns:

* A declarative :data:`STATISTICS` table says per EVAS statistic code (the first five characters
  of a table code, e.g. ``12411`` for ``12411-02-03-4``) which canonical table it fills and which
  dimensions it needs (age band, sex, direction, WZ 2008 sector, rooms, household size).
* A dimension is found by its labels ("unter 3 Jahre", "männlich", "Zuzüge …", "(B-F)",
  "Wohnungen mit 2 Räumen", "3 Personen"), wherever it sits in the layout. A label in that
  position that is neither a category, nor "Insgesamt", nor a known remainder ("ohne Angabe",
  "Wanderungssaldo") is an error naming line and column, so no category is dropped silently.
* Other positions that have an "Insgesamt" keep only their total; labels of the known
  nuisance breakdowns (sex where it is not wanted, nationality) exclude a cell.
* Values are parsed with :func:`~regiowerk.sources.base.parse_german_numbers` and the GENESIS
  placeholders; the ``flag`` column keeps them and their counts go into the import messages.

Years are taken from the content (title line "Stichtag: 31.12.2018", a leading time column or a
time level in the header), never from the file name. The census basis of population, household
and dwelling stocks follows the reference date: up to 2010 ``pre2011``, 2011 to 2021
``zensus2011``, from 2022 ``zensus2022``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.ags import LAENDER, AgsPaddedWarning, normalize_ags_column
from regiowerk.errors import AgsError
from regiowerk.formatting import fmt_int
from regiowerk.provenance import Provenance
from regiowerk.schema import table_spec, validate
from regiowerk.sources.base import (
    DL_DE_BY,
    GENESIS_PLACEHOLDERS,
    ImportResult,
    SourceError,
    file_provenance,
    first_row,
    has_census_column,
    parse_german_numbers,
)

TOTAL = "insgesamt"
"""Label of a total (compared in lower case)."""

TIME_PATTERN = re.compile(
    r"^(?:(?P<d>\d{2})\.(?P<m>\d{2})\.(?P<y>\d{4})|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    r"|(?P<year>\d{4}))$"
)
"""A published time: ``31.12.2018``, ``2022-05-15`` (new flat files) or a year ``2018``."""

KEY_PATTERN = re.compile(r"^(?:DG|[0-9]{1,12}(?:\.0)?)$")
"""A regional key as it may appear in a file (``DG``, digits, a float from a spreadsheet)."""

NUISANCE_LABELS = frozenset(
    {"männlich", "weiblich", "deutsche", "ausländer", "ausländer(innen)", "ausländerinnen"}
)
"""Categories of breakdowns (sex, nationality) whose cells are left out where not wanted."""


# --------------------------------------------------------------------------------------------
# Cells: the published values of one table in long form
# --------------------------------------------------------------------------------------------


@dataclass
class Cells:
    """The values of one published table, one row per value cell.

    ``frame`` has the columns ``line`` (1-based line or sheet row of the value), ``column``
    (source column, for messages), ``time`` (as published), ``region`` (raw key), ``value``
    (raw cell: text or number), optionally ``quality`` (flat files) and one label column per
    entry of ``dims`` (``d0``, ``d1``, …; empty string where a level has no label).
    """

    file: Path
    code: str
    statistic: str
    frame: pd.DataFrame
    dims: tuple[str, ...]
    title: str = ""
    attribution: str | None = None
    stand_year: int | None = None
    layout: str = "GENESIS-Tabelle"
    notes: list[str] = field(default_factory=list)
    """German remarks found while reading (e.g. a missing footer)."""

    @property
    def label_columns(self) -> list[str]:
        return [f"d{i}" for i in range(len(self.dims))]


def long_cells(
    *,
    lines: np.ndarray,
    times: np.ndarray,
    regions: np.ndarray,
    row_labels: Sequence[np.ndarray],
    values: np.ndarray,
    columns: Sequence[str],
    column_labels: Sequence[Sequence[str]],
) -> pd.DataFrame:
    """Melt a grid (rows × value columns) into the long :class:`Cells` frame (vectorised).

    ``row_labels`` holds one array per row-label column (length = rows), ``column_labels`` one
    label path per value column (all of equal depth); ``values`` is the rows × columns grid.
    """
    n_rows, n_cols = values.shape
    frame = pd.DataFrame(
        {
            "line": np.repeat(lines, n_cols),
            "column": np.tile(np.asarray(columns, dtype=object), n_rows),
            "time": np.repeat(times, n_cols),
            "region": np.repeat(regions, n_cols),
            "value": values.reshape(-1),
        }
    )
    labels: list[np.ndarray] = [np.repeat(r, n_cols) for r in row_labels]
    depth = len(column_labels[0]) if column_labels else 0
    for level in range(depth):
        labels.append(np.tile(np.asarray([path[level] for path in column_labels]), n_rows))
    for i, arr in enumerate(labels):
        frame[f"d{i}"] = pd.Series(arr, dtype=str).str.strip().to_numpy()
    return frame


# --------------------------------------------------------------------------------------------
# Label parsers
# --------------------------------------------------------------------------------------------

_AGE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[int, int]]], ...] = (
    (re.compile(r"^unter (\d+) jahre?n?$"), lambda m: (0, int(m[1]) - 1)),
    (re.compile(r"^(\d+) bis unter (\d+) jahre?n?$"), lambda m: (int(m[1]), int(m[2]) - 1)),
    (re.compile(r"^(\d+) bis (\d+) jahre?n?$"), lambda m: (int(m[1]), int(m[2]))),
    (
        re.compile(r"^(\d+) (?:jahre?n? )?(?:und|oder) (?:mehr|älter)(?: jahre?n?)?$"),
        lambda m: (int(m[1]), 100),
    ),
    (re.compile(r"^(\d+) jahre?n?$"), lambda m: (int(m[1]), int(m[1]))),
)


def parse_age(label: str) -> tuple[int, int] | None:
    """Age band ``(from, to)`` inclusive of a GENESIS label; open classes end at 100.

    ``"unter 3 Jahre"`` → (0, 2), ``"3 bis unter 6 Jahre"`` → (3, 5), ``"75 Jahre und mehr"`` →
    (75, 100), ``"40 Jahre"`` → (40, 40). Anything else → ``None``.
    """
    text = " ".join(label.lower().split())
    for pattern, band in _AGE_PATTERNS:
        match = pattern.match(text)
        if match:
            low, high = band(match)
            return (min(low, 100), min(high, 100)) if low <= high else None
    return None


def parse_sex(label: str) -> str | None:
    """``m``/``f`` for "männlich"/"weiblich", else ``None``."""
    return {"männlich": "m", "weiblich": "f"}.get(label.strip().lower())


def parse_direction(label: str) -> str | None:
    """``in`` for Zuzüge, ``out`` for Fortzüge (also transliterated ``Zuzuege``)."""
    text = label.strip().lower()
    if text.startswith("zuz"):
        return "in"
    if text.startswith("fortz"):
        return "out"
    return None


SECTOR_LABELS: dict[str, str] = {
    "freiberufl,wissenschaftl. techn. dienstl.,sonst.dl": "M-N",
    "öff.verw.,verteidig.,sozialvers.,erz.-u.unterricht": "O-Q",
    "kunst, unterhaltung, erholung, priv. haush.,usw.": "R-U",
}
"""WZ 2008 section groups of 13111 tables published without their letters in the label."""

_SECTOR_CODE = re.compile(r"\(([A-U])(?:\s*-\s*([A-U]))?\)\s*$")


def parse_sector(label: str) -> str | None:
    """WZ 2008 section (``"A"``) or group (``"B-F"``) of a label like "Baugewerbe (F)"."""
    match = _SECTOR_CODE.search(label)
    if match:
        return match[1] if match[2] is None else f"{match[1]}-{match[2]}"
    return SECTOR_LABELS.get(" ".join(label.lower().split()))


_ROOMS = re.compile(
    r"^(?:wohnungen mit )?(\d+)(?: und mehr| oder mehr)? (?:raum|räumen?)"
    r"(?: und mehr| oder mehr)?$"
)


def parse_rooms(label: str) -> int | None:
    """Rooms incl. kitchen: "1 Raum", "Wohnungen mit 2 Räumen", "7 und mehr Räume" → 7."""
    match = _ROOMS.match(" ".join(label.lower().split()))
    return min(int(match[1]), 7) if match and int(match[1]) >= 1 else None


_SIZE = re.compile(r"^(\d+)(?: und mehr)? person(?:en)?(?: und mehr)?$")


def parse_household_size(label: str) -> int | None:
    """Household size: "1 Person", "3 Personen", "6 und mehr Personen" → 5 (5 = 5 and more)."""
    match = _SIZE.match(" ".join(label.lower().split()))
    return min(int(match[1]), 5) if match and int(match[1]) >= 1 else None


# --------------------------------------------------------------------------------------------
# Declarative mapping
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    """A dimension a canonical table needs, recognised by its labels."""

    title: str
    columns: tuple[str, ...]
    parse: Callable[[str], object]
    total: tuple[object, ...] | None = None
    """Canonical values of the "Insgesamt" category (``None``: totals are left out)."""
    default: tuple[object, ...] | None = None
    """Values where the table has no such dimension (``None``: the dimension is required)."""
    remainder: re.Pattern[str] | None = None
    """Categories left out on purpose (counted in the messages), e.g. "ohne Angabe"."""
    capped: bool = False
    """Several published classes fall into the open top class and are summed."""

    def values(self, label: str) -> tuple[object, ...] | None:
        parsed = self.parse(label)
        if parsed is None:
            return None
        return parsed if isinstance(parsed, tuple) else (parsed,)


_UNKNOWN = re.compile(r"(?i)ohne angabe|unbekannt|keine zuordnung")

AGE = Dim("Altersgliederung", ("age_from", "age_to"), parse_age, remainder=_UNKNOWN)
AGE_OR_ALL = Dim(
    "Altersgliederung",
    ("age_from", "age_to"),
    parse_age,
    default=(0, 100),
    remainder=_UNKNOWN,
)
SEX = Dim("Geschlecht", ("sex",), parse_sex, remainder=re.compile(r"(?i)ohne angabe|divers"))
DIRECTION = Dim(
    "Zu- und Fortzüge", ("direction",), parse_direction, remainder=re.compile(r"(?i)saldo")
)
SECTOR = Dim(
    "Wirtschaftszweig (WZ 2008)",
    ("sector",),
    parse_sector,
    total=("A-U",),
    default=("A-U",),
    remainder=_UNKNOWN,
)
ROOMS = Dim("Zahl der Räume", ("rooms",), parse_rooms, capped=True)
SIZE = Dim("Haushaltsgröße", ("size",), parse_household_size, capped=True)


@dataclass(frozen=True)
class Target:
    """How a statistic fills a canonical table."""

    table: str
    value: str
    dims: tuple[Dim, ...]
    scope: re.Pattern[str] | None = None
    """Only cells with a label matching this (e.g. dwellings among building counts)."""
    extra: tuple[tuple[str, object], ...] = ()
    """Constant columns (e.g. ``occupied`` missing where the source has no vacancy)."""


@dataclass(frozen=True)
class Statistic:
    """A GENESIS statistic (EVAS code) and the canonical tables its tables fill."""

    code: str
    title: str
    targets: tuple[Target, ...]
    census: bool = False
    """Stocks on a census basis (population, households, dwellings)."""
    reject: tuple[tuple[re.Pattern[str], str], ...] = ()
    """Labels/titles that show a table does not fit, with the German reason."""


POPULATION_TARGET = Target("population_bands", "persons", (AGE, SEX))
DWELLINGS_TARGET = Target(
    "dwellings",
    "dwellings",
    (ROOMS,),
    scope=re.compile(r"^Wohnungen\b"),
    extra=(("occupied", None),),
)
HOUSEHOLDS_TARGET = Target(
    "households", "households", (SIZE,), scope=re.compile(r"(?i)^(?:private )?haushalte\b")
)

STATISTICS: dict[str, Statistic] = {
    s.code: s
    for s in (
        Statistic("12411", "Fortschreibung des Bevölkerungsstandes", (POPULATION_TARGET,), True),
        Statistic(
            "12612",
            "Statistik der Geburten",
            (Target("births", "births", (SEX, AGE_OR_ALL)),),
        ),
        Statistic(
            "12613",
            "Statistik der Sterbefälle",
            (Target("deaths", "deaths", (SEX, AGE_OR_ALL)),),
        ),
        Statistic(
            "12711",
            "Wanderungsstatistik",
            (Target("migration", "persons", (DIRECTION, SEX, AGE_OR_ALL)),),
        ),
        Statistic(
            "13111",
            "Sozialversicherungspflichtig Beschäftigte am Arbeitsort",
            (Target("employment", "persons", (SECTOR,)),),
            reject=(
                (
                    re.compile(r"(?i)wohnort"),
                    "zählt Beschäftigte am Wohnort; die Tabelle 'employment' erwartet "
                    "Beschäftigte am Arbeitsort",
                ),
            ),
        ),
        Statistic("31211", "Gebäude- und Wohnungszählung 2011 (Zensus)", (DWELLINGS_TARGET,), True),
        Statistic(
            "31231",
            "Fortschreibung des Wohngebäude- und Wohnungsbestandes",
            (DWELLINGS_TARGET,),
            True,
        ),
    )
}
"""Supported statistics by EVAS code (first five characters of a table code)."""

ZENSUS = Statistic(
    "Zensus",
    "Zensusdatenbank (Haushalte nach Größe, Wohnungen nach Räumen)",
    (HOUSEHOLDS_TARGET, DWELLINGS_TARGET),
    True,
)
"""Tables of the Zensus databases (statistic codes like ``1000A``): households by size or
dwellings by rooms, recognised by their labels."""

_ZENSUS_CODE = re.compile(r"^\d{4}[A-Z]$")

VERIFIED_TABLES = (
    "12411-02-03-4",
    "12711-04-02-4",
    "13111-07-05-4",
    "13111-01-03-4",
    "31211-12-01-4",
    "31231-01-02-4",
    "31231-02-01-4",
)
"""Table codes whose real exports were read in the tests."""


def supported_text() -> str:
    """German list of the supported statistics, for error messages."""
    stats = ", ".join(f"{s.code} ({s.title})" for s in STATISTICS.values())
    return (
        f"Unterstützt werden die Statistiken {stats} sowie Tabellen der Zensusdatenbank "
        f"(Haushalte nach Größe, Wohnungen nach Räumen); mit echten Dateien geprüft: "
        f"{', '.join(VERIFIED_TABLES)}."
    )


def statistic_for(code: str, statistic: str, *, file: Path) -> Statistic:
    """The :class:`Statistic` of a table; unknown codes raise a :class:`SourceError`."""
    if statistic in STATISTICS:
        return STATISTICS[statistic]
    if _ZENSUS_CODE.match(statistic):
        return ZENSUS
    raise SourceError(
        f"Tabelle {code} (Statistik {statistic}) wird nicht unterstützt. {supported_text()}",
        file=file,
    )


# --------------------------------------------------------------------------------------------
# Times and regional keys
# --------------------------------------------------------------------------------------------


def parse_time(text: str) -> tuple[int, str] | None:
    """``(year, ISO date)`` of a published time; a bare year means its 31 December."""
    match = TIME_PATTERN.match(text.strip())
    if not match:
        return None
    if match["year"]:
        return int(match["year"]), f"{match['year']}-12-31"
    if match["y"]:
        return int(match["y"]), f"{match['y']}-{match['m']}-{match['d']}"
    return int(match["iy"]), f"{match['iy']}-{match['im']}-{match['id']}"


def census_basis(year: int) -> str:
    """Census basis of a stock on 31.12. of ``year`` (Zensus 2011 revision, Zensus 2022)."""
    if year <= 2010:
        return "pre2011"
    return "zensus2011" if year <= 2021 else "zensus2022"


def key_text(value: object) -> str:
    """A regional key cell as text: numbers from spreadsheets lose their ``.0``."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(value)
    text = str(value).strip()
    return text[:-2] if re.fullmatch(r"[0-9]+\.0", text) else text


def normalize_regions(raw: pd.Series, *, file: Path, column: str) -> pd.Series:
    """Canonical region keys for a column of keys of mixed levels (index = line numbers).

    ``DG`` stays, Land keys have 2 digits, Regierungsbezirke 3, Kreise 5, municipalities 8; a
    12-digit ARS becomes the AGS. Keys one digit short (a spreadsheet dropped the leading zero:
    ``1051`` → ``01051``) are restored with an :class:`~regiowerk.ags.AgsPaddedWarning`; a
    two-digit key above 16 is a Regierungsbezirk that lost its zero (``31`` → ``031``).
    Anything else raises an :class:`~regiowerk.errors.AgsError` naming file, column and lines.
    """
    unique = raw.drop_duplicates()
    text = unique.map(key_text).astype(str)
    digits = text.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)
    lengths = text.str.len().where(digits, 0)
    rb_short = (lengths == 2) & (pd.to_numeric(text.where(lengths == 2), errors="coerce") > 16)
    out = pd.Series(None, index=text.index, dtype=object)
    out[text == "DG"] = "DG"
    groups = {
        2: lengths.isin([1, 2]) & ~rb_short,
        5: lengths.isin([4, 5]),
        8: lengths.isin([7, 8]),
        12: lengths.isin([11, 12]),
    }
    for length, mask in groups.items():
        if mask.any():
            keys = normalize_ags_column(text[mask], length=length, file=file.name, column=column)
            out[mask] = keys.str[:5] + keys.str[9:] if length == 12 else keys
    rb = rb_short | (lengths == 3)
    if rb.any():
        out[rb] = _regierungsbezirke(text[rb], short=rb_short[rb], file=file, column=column)
    bad = out.isna()
    if bad.any():
        shown = ", ".join(f"Zeile {i}: {unique[i]!r}" for i in out.index[bad][:5])
        raise AgsError(
            f"Datei {file.name}, Spalte {column!r}: {int(bad.sum())} ungültige "
            f"Regionalschlüssel (erwartet DG, Land 2, Regierungsbezirk 3, Kreis 5 oder "
            f"Gemeinde 8 Ziffern): {shown}."
        )
    lookup = pd.Series(out.to_numpy(), index=unique.to_numpy())
    return raw.map(lookup).astype(str)


def _regierungsbezirke(text: pd.Series, *, short: pd.Series, file: Path, column: str) -> pd.Series:
    keys = text.where(~short, "0" + text)
    bad = ~keys.str[:2].isin(list(LAENDER))
    if bad.any():
        shown = ", ".join(f"Zeile {i}: {text[i]!r}" for i in keys.index[bad][:5])
        raise AgsError(
            f"Datei {file.name}, Spalte {column!r}: Regierungsbezirk mit unbekanntem Land: {shown}."
        )
    if short.any():
        warnings.warn(
            f"Datei {file.name}, Spalte {column!r}: {int(short.sum())} Regierungsbezirks-"
            f"schlüssel mit 2 Ziffern: führende Null ergänzt (vermutlich durch Excel verloren).",
            AgsPaddedWarning,
            stacklevel=3,
        )
    return keys


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def parse_values(values: pd.Series, *, file: Path, column: str) -> tuple[pd.Series, pd.Series]:
    """Numbers and GENESIS flags of raw cells (index = line numbers).

    Text goes through :func:`parse_german_numbers` with the GENESIS placeholders; numbers (from
    xlsx) are taken as they are. Unknown text raises a :class:`SourceError` naming line and
    column.
    """
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = np.ones(len(values), dtype=bool)
    else:
        text = values.map(lambda v: v is None or isinstance(v, str)).to_numpy(dtype=bool)
    numbers = np.full(len(values), np.nan)
    flags = np.full(len(values), None, dtype=object)
    if (~text).any():
        other = values[~text]
        converted = pd.to_numeric(other, errors="coerce")
        odd = converted.isna() & other.notna()
        if odd.any():
            line = first_row(odd)
            raise SourceError(
                f"{other[odd].iloc[0]!r} ist keine Zahl.", file=file, row=line, column=column
            )
        numbers[~text] = converted.to_numpy(dtype=float)
    if text.any():
        words = values[text].fillna("").astype(str).str.strip()
        parsed, marks = parse_german_numbers(
            words, file=file, column=column, placeholders=GENESIS_PLACEHOLDERS
        )
        numbers[text] = parsed.to_numpy(dtype=float)
        flags[text] = marks.to_numpy(dtype=object)
    return pd.Series(numbers, index=values.index), pd.Series(
        flags, index=values.index, dtype=object
    )


# --------------------------------------------------------------------------------------------
# Building canonical tables
# --------------------------------------------------------------------------------------------


@dataclass
class Built:
    """One canonical table built from one file: validated frame plus what provenance needs."""

    table: str
    frame: pd.DataFrame
    years: list[int]
    dates: list[str]
    census: str | None
    messages: list[str] = field(default_factory=list)


def build(cells: Cells) -> list[Built]:
    """The canonical tables of one published table (validated, with a RangeIndex)."""
    statistic = statistic_for(cells.code, cells.statistic, file=cells.file)
    _check_reject(cells, statistic)
    target, positions = _choose_target(cells, statistic)
    selected, notes = _select(cells, target, positions)
    frame, dates = _assemble(cells, target, selected, positions)
    years = sorted(int(y) for y in frame["year"].unique())
    bases = sorted({census_basis(y) for y in years}) if statistic.census else []
    basis = bases[0] if len(bases) == 1 else None
    built = []
    parts, split_notes = _split_population(cells, target, frame)
    for table, part in parts:
        if statistic.census and has_census_column(table):
            part = part.assign(census_basis=part["year"].map(census_basis))
        elif statistic.census:
            _single_census_basis(cells, years)  # a table without the column takes one basis
        validated = validate(table, part, source=f"{cells.layout} {cells.code}")
        part_years = sorted(int(y) for y in validated["year"].unique())
        built.append(Built(table, validated.reset_index(drop=True), part_years, dates, basis))
    built[0].messages = [*_summary(cells, built, frame), *cells.notes, *notes, *split_notes]
    return built


def _check_reject(cells: Cells, statistic: Statistic) -> None:
    texts = [cells.title, *cells.dims]
    for col in cells.label_columns:
        texts.extend(cells.frame[col].unique().tolist())
    for pattern, reason in statistic.reject:
        if any(pattern.search(str(t)) for t in texts):
            raise SourceError(f"Tabelle {cells.code} {reason}. {supported_text()}", file=cells.file)


def _in_scope(cells: Cells, target: Target) -> pd.Series:
    if target.scope is None:
        return pd.Series(True, index=cells.frame.index)
    inside = pd.Series(False, index=cells.frame.index)
    for col in cells.label_columns:
        labels = cells.frame[col]
        inside |= labels.isin([lab for lab in labels.unique() if target.scope.search(lab)])
    return inside


def _dim_positions(cells: Cells, target: Target, scope: pd.Series) -> dict[int, str] | None:
    """Label column of each dimension of ``target``; ``None`` if a required one is missing."""
    frame = cells.frame[scope]
    found: dict[int, str] = {}
    for i, dim in enumerate(target.dims):
        hits = [
            col
            for col in cells.label_columns
            if col not in found.values()
            and any(dim.values(lab) is not None for lab in frame[col].unique())
        ]
        if not hits:
            if dim.default is None:
                return None
            continue
        if len(hits) > 1:
            names = ", ".join(cells.dims[int(c[1:])] for c in hits)
            raise SourceError(
                f"Tabelle {cells.code}: die {dim.title} steht in mehreren Spalten/Kopfzeilen "
                f"({names}); die Zuordnung ist nicht eindeutig.",
                file=cells.file,
            )
        found[i] = hits[0]
    return found


def _choose_target(cells: Cells, statistic: Statistic) -> tuple[Target, dict[int, str]]:
    for target in statistic.targets:
        positions = _dim_positions(cells, target, _in_scope(cells, target))
        if positions is not None:
            return target, positions
    needed = " bzw. ".join(
        " und ".join(d.title for d in t.dims if d.default is None) for t in statistic.targets
    )
    raise SourceError(
        f"Tabelle {cells.code} ({statistic.title}) enthält keine Gliederung nach {needed}; "
        f"sie passt zu keiner kanonischen Tabelle. {supported_text()}",
        file=cells.file,
    )


def _select(
    cells: Cells, target: Target, positions: dict[int, str]
) -> tuple[pd.DataFrame, list[str]]:
    """Cells of ``target`` with the canonical values of their labels; index = line numbers.

    Positions that are no dimension of the target keep only their "Insgesamt" (if they have
    one); cells labelled with a category of sex or nationality there are left out.
    """
    frame = cells.frame[_in_scope(cells, target)]
    labels = cells.label_columns
    keep = pd.Series(True, index=frame.index)
    for col in labels:
        if col in positions.values():
            continue
        lower = frame[col].str.lower()
        values = set(lower.unique())
        if len(values) > 1 and TOTAL in values:
            keep &= lower == TOTAL
        keep &= ~lower.isin(NUISANCE_LABELS)
    frame = frame[keep]
    rows: list[dict[str, object]] = []
    skipped: dict[str, int] = {}
    for record in frame[labels].drop_duplicates().to_dict("records"):
        combo = {str(k): str(v) for k, v in record.items()}
        fields = _combo_fields(cells, target, positions, combo, frame, skipped)
        if fields is not None:
            rows.append({**combo, **fields})
    notes = [
        f"{cells.file.name}: Kategorie {label!r} nicht übernommen (nicht Teil der Tabelle "
        f"{target.table!r})."
        for label in skipped
    ]
    columns = [c for d in target.dims for c in d.columns]
    combos = pd.DataFrame(rows, columns=[*labels, *columns])
    selected = frame.merge(combos, on=labels, how="inner", sort=False)
    selected.index = pd.Index(selected["line"].to_numpy(), name=None)
    return selected, notes


def _combo_fields(
    cells: Cells,
    target: Target,
    positions: dict[int, str],
    combo: dict[str, str],
    frame: pd.DataFrame,
    skipped: dict[str, int],
) -> dict[str, object] | None:
    """Canonical values of one label combination; ``None`` if it is not wanted."""
    fields: dict[str, object] = {}
    for i, dim in enumerate(target.dims):
        col = positions.get(i)
        values = dim.default if col is None else dim.values(combo[col])
        if values is None and col is not None:
            label = combo[col]
            if label.lower() == TOTAL:
                if dim.total is None:
                    return None
                values = dim.total
            elif dim.remainder is not None and dim.remainder.search(label):
                skipped[label] = skipped.get(label, 0) + 1
                return None
            else:
                _unknown_label(cells, dim, col, label, frame)
        fields.update(zip(dim.columns, values or (), strict=True))
    return fields


def _unknown_label(cells: Cells, dim: Dim, col: str, label: str, frame: pd.DataFrame) -> None:
    line = int(frame.loc[frame[col] == label, "line"].iloc[0])
    raise SourceError(
        f"Unbekannte Kategorie {label!r} in der {dim.title}; erwartet werden Kategorien wie in "
        f"den übrigen Zeilen oder 'Insgesamt'.",
        file=cells.file,
        row=line,
        column=cells.dims[int(col[1:])],
    )


def _assemble(
    cells: Cells, target: Target, selected: pd.DataFrame, positions: dict[int, str]
) -> tuple[pd.DataFrame, list[str]]:
    """Canonical columns with years, keys and values (index = line numbers); the dates."""
    if selected.empty:
        raise SourceError(
            f"Tabelle {cells.code}: keine Werte für die Tabelle {target.table!r} gefunden.",
            file=cells.file,
        )
    unique_times = selected["time"].unique()
    times = {t: parse_time(str(t)) for t in unique_times}
    for text, parsed in times.items():
        if parsed is None:
            line = int(selected.loc[selected["time"] == text, "line"].iloc[0])
            raise SourceError(
                f"Zeitangabe {text!r} nicht lesbar (erwartet TT.MM.JJJJ oder JJJJ).",
                file=cells.file,
                row=line,
            )
    parsed_times = {t: p for t, p in times.items() if p is not None}
    out = pd.DataFrame(index=selected.index)
    out["region"] = normalize_regions(
        selected["region"], file=cells.file, column="Regionalschlüssel"
    ).to_numpy()
    out["year"] = selected["time"].map({t: p[0] for t, p in parsed_times.items()}).astype("int64")
    for dim in target.dims:
        for col in dim.columns:
            out[col] = selected[col].to_numpy()
    numbers, flags = _values_by_column(cells, selected)
    out[target.value] = numbers.to_numpy()
    out["flag"] = flags.to_numpy()
    for name, value in target.extra:
        out[name] = pd.Series(value, index=out.index, dtype=object)
    out["_column"] = selected["column"].to_numpy()
    capped = [positions[i] for i, d in enumerate(target.dims) if d.capped and i in positions]
    if capped:
        out["_label"] = selected[capped[0]].str.cat(selected[capped[1:]], sep="|").to_numpy()
        out = _sum_capped(out, target)
    if out.index.has_duplicates:
        # several values of one line (wide layouts): "12 (männlich)" names line and column
        labels = out.index.astype(str) + " (" + out["_column"].astype(str).to_numpy() + ")"
        out.index = pd.Index(labels)
    order = [c for c in table_spec(target.table).column_names if c in out.columns]
    dates = sorted({p[1] for p in parsed_times.values()})
    return out[order], dates


def _values_by_column(cells: Cells, selected: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Parse the values per source column, so errors name line and column."""
    numbers = np.full(len(selected), np.nan)
    flags = np.full(len(selected), None, dtype=object)
    for column, idx in selected.groupby("column", sort=False).indices.items():
        num, flag = parse_values(selected["value"].iloc[idx], file=cells.file, column=str(column))
        numbers[idx] = num.to_numpy()
        flags[idx] = flag.to_numpy()
    return (
        pd.Series(numbers, index=selected.index),
        pd.Series(flags, index=selected.index, dtype=object),
    )


def _sum_capped(out: pd.DataFrame, target: Target) -> pd.DataFrame:
    """Sum published classes that fall into one open top class (rooms 7+, household size 5+).

    A sum with a missing part stays missing; the first flag is kept. ``_label`` holds the
    published class of each row, so that a class listed twice is not summed away.
    """
    keys = list(table_spec(target.table).key)
    if not out.duplicated(keys).any() or out.duplicated([*keys, "_label"]).any():
        return out  # nothing to sum, or the same class twice: validation reports it
    grouped = out.assign(_line=out.index.to_numpy()).groupby(keys, sort=False, dropna=False)
    values = grouped[target.value]
    summed = values.sum(min_count=1).where(values.count() == grouped.size())
    result = grouped.first().assign(**{target.value: summed}).reset_index()
    result.index = pd.Index(result.pop("_line").to_numpy())
    return result


def _single_census_basis(cells: Cells, years: list[int]) -> None:
    """Refuse stocks on several census bases for a table that has no ``census_basis`` column."""
    bases = sorted({census_basis(y) for y in years})
    if len(bases) > 1:
        raise SourceError(
            f"Die Datei enthält Stichtage auf verschiedenen Zensusbasen ({', '.join(bases)}; "
            f"Jahre {years[0]}–{years[-1]}). Bestandszahlen verschiedener Zensusbasen werden "
            f"nicht gemischt: die Jahre bis 2010, 2011–2021 und ab 2022 getrennt exportieren "
            f"und in getrennte Arbeitsbereiche importieren.",
            file=cells.file,
        )


def _split_population(
    cells: Cells, target: Target, frame: pd.DataFrame
) -> tuple[list[tuple[str, pd.DataFrame]], list[str]]:
    """Single-year tables: municipalities go to ``population``, other levels stay in bands.

    Only when every class is a single year (an open class only as "100 Jahre und mehr", which
    ``population`` stores as age 100); otherwise all rows stay in ``population_bands``.
    """
    if target.table != "population_bands":
        return [(target.table, frame)], []
    single = frame["age_from"] == frame["age_to"]
    municipal = frame["region"].str.len() == 8
    if not municipal.any() or not single.all():
        notes = []
        if municipal.any() and (single | (frame["age_to"] == 100)).all():
            top = int(frame.loc[~single, "age_from"].min())
            notes.append(
                f"{cells.file.name}: Einzelaltersjahre der Gemeinden mit offener Klasse "
                f"'{top} Jahre und mehr' bleiben in 'population_bands'; 'population' braucht "
                f"Einzeljahre bis 100."
            )
        return [(target.table, frame)], notes
    missing = municipal & frame["persons"].isna()
    if missing.any():
        raise SourceError(
            "Einwohnerzahl fehlt (Platzhalter); die Tabelle 'population' der Gemeinden "
            "erlaubt keine Lücken.",
            file=cells.file,
            row=str(frame.index[missing.to_numpy()][0]),
            column="persons",
        )
    population = frame[municipal].rename(columns={"region": "ags", "age_from": "age"})
    parts = [("population", population[["ags", "year", "sex", "age", "persons"]])]
    if (~municipal).any():
        parts.append((target.table, frame[~municipal]))
    return parts, []


def _summary(cells: Cells, built: list[Built], frame: pd.DataFrame) -> list[str]:
    tables = ", ".join(f"{b.table} ({fmt_int(len(b.frame))} Zeilen)" for b in built)
    lines = [f"{cells.file.name}: Tabelle {cells.code} → {tables}."]
    counts = frame["flag"].value_counts()
    if len(counts):
        parts = ", ".join(
            f"{fmt_int(int(n))} × {mark!r}" + (" (= 0)" if mark == "-" else " (fehlend)")
            for mark, n in counts.items()
        )
        lines.append(
            f"{cells.file.name}: {fmt_int(int(counts.sum()))} Werte mit GENESIS-Platzhaltern, in "
            f"der Spalte 'flag' vermerkt: {parts}."
        )
    if "quality" in cells.frame.columns:
        provisional = int((cells.frame["quality"].str.strip() == "p").sum())
        if provisional:
            lines.append(
                f"{cells.file.name}: {fmt_int(provisional)} vorläufige Werte (Kennzeichen p)."
            )
    return lines


# --------------------------------------------------------------------------------------------
# Provenance and importing several files
# --------------------------------------------------------------------------------------------


def database_of(code: str) -> tuple[str, str | None]:
    """Publishing database and table URL of a table code."""
    if re.fullmatch(r"\d{5}-\d{2}-\d{2}-\d", code):
        url = f"https://www.regionalstatistik.de/genesis/online?operation=table&code={code}"
        return "Regionaldatenbank Deutschland", url
    if re.fullmatch(r"\d{5}-\d{4}", code):
        url = f"https://www-genesis.destatis.de/genesis/online?operation=table&code={code}"
        return "GENESIS-Online (Statistisches Bundesamt)", url
    if re.match(r"\d{4}[A-Z]", code):
        return "Zensusdatenbank der Statistischen Ämter des Bundes und der Länder", None
    return "GENESIS-Datenbank", None


def default_attribution(code: str, year: int) -> str:
    """Attribution when the file has no © line (flat files)."""
    if re.fullmatch(r"\d{5}-\d{4}", code):
        return f"© Statistisches Bundesamt (Destatis), {year}"
    return f"© Statistische Ämter des Bundes und der Länder, Deutschland, {year}"


def provenance_of(cells: Cells, built: Built) -> Provenance:
    """Provenance of one built table: source, dl-de/by-2-0, Gebietsstand, census basis."""
    statistic = statistic_for(cells.code, cells.statistic, file=cells.file)
    database, url = database_of(cells.code)
    year = cells.stand_year or pd.Timestamp(cells.file.stat().st_mtime, unit="s").year
    gebietsstand = built.dates[0] if len(built.dates) == 1 else None
    return file_provenance(
        [cells.file],
        source=f"{database}, Tabelle {cells.code} ({statistic.title})",
        licence=DL_DE_BY,
        attribution=cells.attribution or default_attribution(cells.code, year),
        gebietsstand=gebietsstand,
        census_basis=built.census,
        url=url,
        notes=None if gebietsstand else "Regionalschlüssel mit dem Gebietsstand des Stichtags.",
    )


def import_files(
    paths: Sequence[Path], parse: Callable[[Path], Cells], *, source: str
) -> ImportResult:
    """Read several files of one format into an :class:`ImportResult`.

    A file whose rows repeat those of an earlier file exactly (the Regionaldatenbank file
    labelled 2001 that holds 2000) is skipped with a message; overlapping keys with different
    values raise a :class:`SourceError` naming both files, and so do census bases that differ
    between files (population of 2010 and 2011 in one import).
    """
    result = ImportResult(source)
    kept: dict[str, list[tuple[Path, pd.DataFrame]]] = {}
    for path in paths:
        cells = parse(path)
        built = build(cells)
        repeated = _repeat_of(kept, path, built)
        if repeated is not None:
            years = ", ".join(map(str, built[0].years))
            result.messages.append(
                f"{path.name}: dieselben Daten wie {repeated.name} (Jahr {years} laut Inhalt); "
                f"übersprungen."
            )
            continue
        result.messages.extend(_name_year_note(path, built))
        for part in built:
            kept.setdefault(part.table, []).append((path, part.frame))
            try:
                result.add(part.table, part.frame, provenance_of(cells, part))
            except SourceError as exc:
                raise SourceError(str(exc), file=path) from None
            result.messages.extend(part.messages)
    return result


def _repeat_of(
    kept: dict[str, list[tuple[Path, pd.DataFrame]]], path: Path, built: list[Built]
) -> Path | None:
    """The earlier file that ``built`` repeats row for row; raises on conflicting overlaps."""
    for part in built:
        key = list(table_spec(part.table).key)
        others = [c for c in part.frame.columns if c not in key]
        years = set(part.years)
        for earlier_path, earlier in kept.get(part.table, []):
            if years.isdisjoint(earlier["year"].unique()):
                continue
            both = part.frame.merge(earlier, on=key, how="inner", suffixes=("", "_old"))
            if both.empty:
                continue
            same = pd.Series(True, index=both.index)
            for col in others:
                new, old = both[col], both[f"{col}_old"]
                same &= (new == old).fillna(False).astype(bool) | (new.isna() & old.isna())
            if same.all() and len(both) == len(part.frame):
                return earlier_path
            first = both.iloc[0]
            shown = ", ".join(f"{k}={first[k]}" for k in key)
            raise SourceError(
                f"überschneidet sich in der Tabelle {part.table!r} mit {earlier_path.name} "
                f"(z. B. {shown}); jede Kombination darf nur einmal vorkommen.",
                file=path,
            )
    return None


def _name_year_note(path: Path, built: list[Built]) -> list[str]:
    years = built[0].years
    named = re.findall(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)", path.stem)
    if len(years) == 1 and named and int(named[-1]) != years[0]:
        return [
            f"{path.name}: der Dateiname nennt {named[-1]}, der Inhalt gilt für {years[0]}; "
            f"das Jahr wird dem Inhalt entnommen."
        ]
    return []
