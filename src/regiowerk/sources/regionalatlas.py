"""xlsx exports of Regionaldatenbank tables ("Regionalatlas" exports) read into canonical
tables (format ``regionalatlas``).

Publisher: Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland
(regionalstatistik.de), licence dl-de/by-2-0. The first sheet is named by the table code
(``31231-02-01-4``). Two layouts occur:

* **Table sheet** (e.g. the Zensus 2011 tables ``31211-*``): title rows, the reference date as a
  title row ("Stichtag: 09.05.2011"), header rows with merged cells (only the first cell of a
  merged range carries the label; the stub "Kreise und kreisfreie Städte" in column A), data
  rows ``key | name | values`` (numbers as numbers, placeholders ``-`` ``.`` as text) and a
  footer from ``______________`` with notes, the © line and "Stand: …".
* **Split sheets** (e.g. ``31231-*``, ``31121-*``, ``13111-*``, ``82111-*``): the data sheet has
  one group row (first cell of each merged group), a row ``id | name | <flattened labels>``
  whose labels join the header levels with ``-`` (``Wohnungen in Wohn- und
  Nichtwohngebäuden-(Größe der Wohnung)-Wohnungen mit 1 Raum``; a unit in parentheses may be
  appended), then blocks of rows per reference date: a row with only the date (``31.12.2019``,
  ``30.06.2019`` or ``2019``) followed by the regions. Sheet ``metadata`` holds the title,
  ``footnote`` the notes with the © line and "Stand: …".

Both layouts become :class:`~regiowerk.sources.genesis_tables.Cells` and are mapped per
statistic like the CSV exports (:mod:`regiowerk.sources.genesis_tables`): at least
31231-02-01-4 and 31231-01-02-4 (dwelling stock by rooms) and 31211-12-01-4 (Zensus 2011
dwellings in residential buildings by rooms) → ``dwellings`` (``occupied`` missing),
13111-01-03-4 (employees at the workplace) → ``employment`` with sector ``A-U``.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from regiowerk.sources.base import (
    ImportResult,
    SourceError,
    SourceFormat,
    first_row,
    register_format,
)
from regiowerk.sources.genesis import cells_from_grid
from regiowerk.sources.genesis_tables import (
    KEY_PATTERN,
    Cells,
    import_files,
    key_text,
    long_cells,
    parse_time,
)

TABLE_CODE = re.compile(r"^\d{5}-\d{2}-\d{2}-\d$")
_SHEET_NAMES = re.compile(rb'<sheet [^>]*name="([^"]+)"')
_STAND = re.compile(r"Stand:\s*\d{2}\.\d{2}\.(\d{4})")
_SPLIT = re.compile(r"-(?! )")
"""Hyphen joining two header levels (a hyphen followed by a space belongs to a word)."""


def detect(path: Path) -> bool:
    """An xlsx file whose first sheet is named like a Regionaldatenbank table code."""
    if path.suffix.lower() != ".xlsx":
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")
    except (OSError, KeyError, RuntimeError, ValueError, zipfile.BadZipFile):
        return False
    names = _SHEET_NAMES.findall(workbook)
    return bool(names) and bool(TABLE_CODE.match(names[0].decode("utf-8", errors="replace")))


def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read Regionaldatenbank xlsx exports into canonical tables (``encoding`` is unused)."""
    del encoding  # xlsx files carry their own encoding
    return import_files([Path(p) for p in paths], parse_workbook, source="regionalatlas")


def parse_workbook(path: Path) -> Cells:
    """The published values of the first sheet of an xlsx export (either layout)."""
    sheets = _load(path)
    code, rows = sheets[0]
    if not TABLE_CODE.match(code):
        raise SourceError(
            f"das erste Tabellenblatt heißt {code!r}, erwartet wird ein Tabellencode wie "
            f"31231-02-01-4.",
            file=path,
        )
    if len(rows) > 1 and [_text(c) for c in rows[1][:2]] == ["id", "name"]:
        extra = {name: sheet_rows for name, sheet_rows in sheets[1:]}
        return _split_layout(path, code, rows, extra)
    return cells_from_grid(
        rows,
        list(range(1, len(rows) + 1)),
        file=path,
        code=code,
        fill_merged=True,
        layout="Regionalatlas-Export",
    )


def open_workbook(path: Path) -> Workbook:
    """``path`` read-only with cell values; a :class:`SourceError` if it is no xlsx file."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Workbook contains no default style")
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise SourceError(f"keine lesbare xlsx-Datei ({exc}).", file=path) from None


def _load(path: Path) -> list[tuple[str, list[list[object]]]]:
    """All sheets as ``(name, rows)``; rows as lists of cell values."""
    workbook = open_workbook(path)
    try:
        sheets = []
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # exports often declare a wrong sheet size
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            width = max((len(r) for r in rows), default=0)
            sheets.append((sheet.title.strip(), [r + [None] * (width - len(r)) for r in rows]))
    finally:
        workbook.close()
    if not sheets or not sheets[0][1]:
        raise SourceError("das erste Tabellenblatt ist leer.", file=path)
    return sheets


def _text(value: object) -> str:
    return "" if value is None else (value.strip() if isinstance(value, str) else key_text(value))


def _split_layout(
    path: Path, code: str, rows: list[list[object]], extra: dict[str, list[list[object]]]
) -> Cells:
    """Cells of the split-sheet layout (group row, ``id | name`` row, date blocks)."""
    width = max(len(r) for r in rows[:2])
    paths = _split_paths(rows[0], rows[1], width)
    end = next(
        (i for i, r in enumerate(rows) if i >= 2 and r and _text(r[0]).startswith("___")),
        len(rows),
    )
    body = pd.DataFrame([r[:width] + [None] * (width - len(r)) for r in rows[2:end]], dtype=object)
    body.index = np.arange(3, end + 1)
    first = body[0].map(_text)
    second_empty = body[1].map(lambda v: _text(v) == "")
    text = body.where(body.notna(), "").astype(str)
    filled = (text.apply(lambda column: column.str.strip()) != "").any(axis=1)
    is_time = second_empty & first.map(lambda t: parse_time(t) is not None)
    is_data = filled & ~is_time
    bad = is_data & ~first.str.fullmatch(KEY_PATTERN.pattern).fillna(False).astype(bool)
    if bad.any():
        line = first_row(bad)
        raise SourceError(
            f"weder Stichtag noch Regionalschlüssel: {first[line]!r}.",
            file=path,
            row=line,
            column="A",
        )
    times = first.where(is_time).ffill()
    orphan = is_data & times.isna()
    if orphan.any():
        line = first_row(orphan)
        raise SourceError("Stichtag vor den ersten Datenzeilen fehlt.", file=path, row=line)
    data = body[is_data]
    used = [j for j, p in enumerate(paths) if any(p)]
    frame = long_cells(
        lines=data.index.to_numpy(),
        times=times[is_data].to_numpy(dtype=object),
        regions=data[0].to_numpy(dtype=object),
        row_labels=[],
        values=data.iloc[:, 2:width].to_numpy(dtype=object)[:, used],
        columns=[_text(rows[1][2 + j]) for j in used],
        column_labels=[paths[j] for j in used],
    )
    attribution, stand = _footnote(extra.get("footnote", []))
    title = " ".join(_text(r[0]) for r in extra.get("metadata", [])[:3] if r and r[0])
    depth = len(paths[0]) if paths else 0
    return Cells(
        file=path,
        code=code,
        statistic=code[:5],
        frame=frame,
        dims=tuple(f"Kopfzeile {k + 1}" for k in range(depth)),
        title=title,
        attribution=attribution,
        stand_year=stand,
        layout="Regionalatlas-Export",
    )


def _split_paths(groups: list[object], names: list[object], width: int) -> list[list[str]]:
    """Header levels per value column from the group row and the flattened labels.

    A group (first cell of a merged range in the group row) either prefixes the labels of its
    columns ("Wohngebäude-(nach Anzahl der Wohnungen)-Insgesamt"; it then ends at the first
    label without the prefix, a vertically merged header of its own) or is a caption whose
    columns do not repeat it ("Nationalität" over "Insgesamt", "Ausländer(innen)-Insgesamt";
    it then reaches to the next group). Labels are split at hyphens not followed by a space;
    paths are padded after their first level so that the deepest labels line up.
    """
    paths: list[list[str]] = []
    group, prefixed = "", False
    for j in range(2, width):
        label = _text(names[j]) if j < len(names) else ""
        if j < len(groups) and _text(groups[j]):
            group = _text(groups[j])
            prefixed = label.startswith(group)
        elif prefixed and not label.startswith(group):
            group = ""
        pieces = [p.strip() for p in _SPLIT.split(label) if p.strip()] if label else []
        if group and not prefixed:
            pieces = [group, *pieces]
        paths.append(pieces)
    depth = max((len(p) for p in paths), default=0)
    return [p[:1] + [""] * (depth - len(p)) + p[1:] if p else [""] * depth for p in paths]


def _footnote(rows: list[list[object]]) -> tuple[str | None, int | None]:
    texts = [_text(r[0]) for r in rows if r and r[0] is not None]
    attribution = next((t.rstrip(".") for t in texts if t.startswith("©")), None)
    stand = next((int(m[1]) for t in texts for m in [_STAND.search(t)] if m), None)
    return attribution, stand


FORMAT = register_format(
    SourceFormat(
        key="regionalatlas",
        title="Regionaldatenbank/Regionalatlas: xlsx-Export einer Tabelle",
        detect=detect,
        read=read,
    )
)
