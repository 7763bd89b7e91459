"""Any Regionaldatenbank xlsx export read into one tidy long table (no canonical mapping).

Publisher: Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland
(www.regionalstatistik.de). Licence: Datenlizenz Deutschland – Namensnennung – Version 2.0
(dl-de/by-2-0); attribution "© Statistische Ämter des Bundes und der Länder, Deutschland, <Jahr>"
(the © line is in the sheet footer or in the sheet ``footnote``).

:mod:`regiowerk.sources.regionalatlas` maps a few known tables onto canonical tables; this module
returns *every* value of the first sheet, for analyses of tables without a canonical home (e.g.
31121-01-02-4, completions of new residential buildings). Both layouts of these exports are read
by :func:`regiowerk.sources.regionalatlas.parse_workbook`:

* **Table sheet** (e.g. Zensus 2011 ``31211-*``): title rows, the reference date as a title row
  ("Stichtag: 09.05.2011"), header rows with merged cells (only the first cell of a merged range
  is filled; the last header row holds the units, "Anzahl", "1000 qm"), data rows
  ``key | name | values`` and a footer from ``______________``.
* **Split sheets** (e.g. ``31231-01-02-4``, ``31231-02-01-4``, ``31121-01-02-4``): a group row,
  a row ``id | name | <labels>`` whose labels join the header levels with ``-`` (a unit may be
  appended in parentheses: ``Wohnfläche(1000 qm)``), then one block per reference date: a row
  holding only the date (``31.12.2010`` for stocks, ``2019`` for annual sums) followed by the
  regions. The sheets ``metadata`` (original header) and ``footnote`` (notes, ©) follow.

In both layouts the key column mixes levels: ``DG`` (Germany), Länder (2 digits),
Regierungsbezirke/statistical regions (3), Kreise (5) and a few municipalities (8, e.g. Hannover
or the Berlin districts). Kreise that no longer exist (old keys such as 03152 Göttingen after
2016) stay in every block, with ``-`` or ``.`` as values.

Values follow the GENESIS "Zeichenerklärung" (:data:`~regiowerk.sources.base.GENESIS_PLACEHOLDERS`):
``-`` ("nichts vorhanden") is exactly 0, ``.`` ``x`` ``/`` ``...`` are missing (NaN); either way
the placeholder is kept in the column ``flag``, so a 0 from ``-`` can be told from a published 0.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.sources.base import SourceError
from regiowerk.sources.genesis_tables import (
    key_text,
    normalize_regions,
    parse_time,
    parse_values,
)
from regiowerk.sources.regionalatlas import open_workbook, parse_workbook

LEVELS: dict[int, str] = {0: "Bund", 2: "Land", 3: "Regierungsbezirk", 5: "Kreis", 8: "Gemeinde"}
"""Level of a region by key length (``DG`` has length 0 here)."""

DEFAULT_LEVELS: tuple[str, ...] = ("Bund", "Land", "Kreis")
"""Levels returned unless asked otherwise: Germany (``DG``), Länder and Kreise."""

COLUMNS: tuple[str, ...] = (
    "region",
    "name",
    "level",
    "year",
    "date",
    "variable",
    "unit",
    "value",
    "flag",
    "line",
)
"""Columns of :func:`read_regionaldatenbank_xlsx`."""

_UNIT = re.compile(
    r"^(?:Anzahl|%|Prozent|Jahre|(?:1000 |100 |Tsd\. ?|Mill\. ?|Mio\. ?)?"
    r"(?:qm|m²|km²|ha|EUR|Euro|t|Personen))$"
)
_UNIT_SUFFIX = re.compile(r"^(?P<label>.*?)\s*\((?P<unit>[^()]+)\)$")


def read_regionaldatenbank_xlsx(
    path: Path | str, *, levels: Collection[str] | None = DEFAULT_LEVELS
) -> pd.DataFrame:
    """Every value of the first sheet of a Regionaldatenbank xlsx export, tidy and long.

    Columns (:data:`COLUMNS`): ``region`` (``DG``, 2-, 3-, 5- or 8-digit key), ``name`` (as
    published, stripped), ``level`` (:data:`LEVELS`), ``year`` (int), ``date`` (ISO date of the
    reference day; a bare year is its 31 December), ``variable`` (the header levels joined with
    ``-``, without the unit), ``unit`` (``Anzahl``, ``1000 qm`` …; empty when not published),
    ``value`` (float; ``-`` is 0, other placeholders NaN), ``flag`` (the placeholder or None) and
    ``line`` (1-based sheet row, for messages). Rows keep the order of the sheet.

    ``levels`` restricts the regional levels (``None``: all). A layout that is not recognised
    raises a :class:`~regiowerk.sources.base.SourceError` naming file, row and column.
    """
    path = Path(path)
    cells = parse_workbook(path)
    frame = cells.frame
    if frame.empty:
        raise SourceError("keine Datenzeilen gefunden (Regionalschlüssel in Spalte A).", file=path)
    label_columns = cells.label_columns
    if label_columns:
        group = frame.groupby(label_columns, sort=False).ngroup().to_numpy()
        paths = frame[label_columns].drop_duplicates()  # in order of first appearance = group
    else:
        group, paths = np.zeros(len(frame), dtype=int), None
    variables, units = _variables(paths, label_columns)

    out = pd.DataFrame({"line": frame["line"].to_numpy(dtype=int)})
    raw_regions = pd.Series(frame["region"].to_numpy(dtype=object), index=out["line"].to_numpy())
    out["region"] = normalize_regions(raw_regions, file=path, column="A").to_numpy()
    out["level"] = out["region"].map(lambda key: LEVELS.get(0 if key == "DG" else len(key)))
    out["year"], out["date"] = _times(frame, path)
    if paths is None:
        out["variable"], out["unit"] = "", ""
    else:
        out["variable"] = np.asarray(variables, dtype=object)[group]
        out["unit"] = np.asarray(units, dtype=object)[group]
    out["value"], out["flag"] = _values(frame, path)
    names = _names(path)
    out["name"] = out["line"].map(names).fillna("").astype(str)
    if levels is not None:
        unknown = set(levels) - set(LEVELS.values())
        if unknown:
            raise ValueError(f"unknown levels {sorted(unknown)}; known: {list(LEVELS.values())}")
        out = out[out["level"].isin(list(levels))]
    _check_unique(out, path)
    return out.loc[:, list(COLUMNS)].reset_index(drop=True)


def select_variable(frame: pd.DataFrame, *words: str) -> pd.DataFrame:
    """Rows of the one variable whose name contains all ``words`` (case-insensitive).

    Raises a :class:`~regiowerk.sources.base.SourceError` listing the variables when none or
    more than one matches.
    """
    names = pd.Series(frame["variable"].unique(), dtype=str)
    hit = np.ones(len(names), dtype=bool)
    for word in words:
        hit &= names.str.contains(word, case=False, regex=False).to_numpy(dtype=bool)
    chosen = names[hit].tolist()
    if len(chosen) != 1:
        listed = "; ".join(names.tolist())
        what = "keine" if not chosen else f"{len(chosen)}"
        raise SourceError(
            f"{what} Variable(n) enthalten {', '.join(map(repr, words))}. Vorhanden: {listed}."
        )
    return frame[frame["variable"] == chosen[0]]


def _variables(paths: pd.DataFrame | None, label_columns: list[str]) -> tuple[list[str], list[str]]:
    """Variable name and unit per distinct header path.

    The last header level is the unit when it is a unit for every value column (table sheets);
    otherwise a unit in parentheses at the end of a level is split off (split sheets).
    """
    if paths is None:
        return [], []
    rows = [[str(v).strip() for v in row] for row in paths[label_columns].to_numpy()]
    last = [row[-1] for row in rows]
    unit_row = len(label_columns) > 1 and all(_UNIT.match(u) for u in last if u) and any(last)
    variables, units = [], []
    for row in rows:
        pieces = row[:-1] if unit_row else row
        unit = row[-1] if unit_row else ""
        kept = []
        for piece in pieces:
            match = _UNIT_SUFFIX.match(piece)
            if match and _UNIT.match(match["unit"].strip()):
                unit = unit or match["unit"].strip()
                piece = match["label"]
            if piece:
                kept.append(piece)
        variables.append("-".join(kept))
        units.append(unit)
    return variables, units


def _times(frame: pd.DataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Year and ISO date of every cell from the published reference dates."""
    published = pd.Series(frame["time"].to_numpy(dtype=object)).map(key_text)
    parsed = {text: parse_time(text) for text in published.unique()}
    bad = [text for text, value in parsed.items() if value is None]
    if bad:
        line = int(frame["line"].to_numpy()[(published == bad[0]).to_numpy()][0])
        raise SourceError(
            f"Stichtag/Jahr {bad[0]!r} nicht lesbar (erwartet TT.MM.JJJJ oder JJJJ).",
            file=path,
            row=line,
            column="A",
        )
    good = {text: value for text, value in parsed.items() if value is not None}
    years = published.map({text: year for text, (year, _) in good.items()}).to_numpy(dtype=int)
    dates = published.map({text: iso for text, (_, iso) in good.items()}).to_numpy(dtype=object)
    return years, dates


def _values(frame: pd.DataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Numbers and placeholder flags, parsed per source column (errors name row and column)."""
    numbers = np.full(len(frame), np.nan)
    flags = np.full(len(frame), None, dtype=object)
    positions = pd.Series(np.arange(len(frame)))
    for column, where in positions.groupby(frame["column"].to_numpy(), sort=False):
        idx = where.to_numpy()
        raw = pd.Series(frame["value"].to_numpy(dtype=object)[idx], index=frame["line"].iloc[idx])
        parsed, marks = parse_values(raw, file=path, column=str(column))
        numbers[idx] = parsed.to_numpy(dtype=float)
        flags[idx] = marks.to_numpy(dtype=object)
    return numbers, flags


def _names(path: Path) -> dict[int, str]:
    """Region names (column B) by sheet row of the first sheet."""
    workbook = open_workbook(path)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # exports often declare a wrong sheet size
        return {
            line: str(row[1]).strip()
            for line, row in enumerate(sheet.iter_rows(max_col=2, values_only=True), start=1)
            if len(row) > 1 and row[1] is not None
        }
    finally:
        workbook.close()


def _check_unique(frame: pd.DataFrame, path: Path) -> None:
    """One value per region, date and variable; a repeated region names both rows."""
    twice = frame.duplicated(["region", "date", "variable"], keep=False)
    if twice.any():
        first = frame[twice].iloc[0]
        same = frame[
            twice
            & (frame["region"] == first["region"])
            & (frame["date"] == first["date"])
            & (frame["variable"] == first["variable"])
        ]
        lines = ", ".join(str(v) for v in same["line"].unique())
        raise SourceError(
            f"Region {first['region']} steht für {first['date']} mehrfach in der Tabelle "
            f"(Zeilen {lines}).",
            file=path,
            row=int(same["line"].iloc[-1]),
            column="A",
        )
