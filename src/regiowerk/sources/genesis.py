"""GENESIS CSV exports (GENESIS-Online, Regionaldatenbank regionalstatistik.de, Zensusdatenbank)
read into canonical tables (format ``genesis``).

Publisher: Statistisches Bundesamt and Statistische Ämter des Bundes und der Länder. Two layouts:

1. **Table CSV** ("Tabelle als CSV"): line 1 ``GENESIS-Tabelle: 12411-02-03-4``, title lines,
   the reference time as a title line (``Stichtag: 31.12.2018``, ``Jahr: 2000``) or as a
   header level or leading column when several times were selected, header lines whose first
   cells are empty (``;;;Insgesamt;männlich;weiblich``, several levels such as
   ``Zuzüge …`` / ``Geschlecht`` / ``männlich`` / ``Anzahl``), data lines
   ``key;name;row labels…;values…`` and a footer from ``__________`` with notes, the © line
   and ``Stand: …``. Semicolon separated; regional levels mixed in one file (``DG``, Länder,
   Regierungsbezirke, Kreise, a few municipalities), names indented with spaces.
2. **Flat file CSV** ("ffcsv"), one line per combination of Merkmal values:

   * until 2024: ``Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit`` then per Merkmal
     ``k_Merkmal_Code;k_Merkmal_Label;k_Auspraegung_Code;k_Auspraegung_Label`` and one column
     per value ``CODE__Label__Einheit`` (with ``CODE__Label__q`` for the quality mark when
     requested), e.g. ``BEVSTD__Bevoelkerungsstand__Anzahl``; totals have an empty
     Ausprägung code and the label "Insgesamt";
   * since 2024 (Destatis, "Das neue Flatfile CSV-Format (ffcsv)"): ``statistics_code;
     statistics_label;time_code;time_label;time`` then per variable ``k_variable_code;
     k_variable_label;k_variable_attribute_code;k_variable_attribute_label`` and
     ``value;value_unit;value_variable_code;value_variable_label[;value_q]``.

   The regional Merkmal (``DINSG``, ``DLAND``, ``REGBEZ``, ``KREISE``, ``GEMEIN``, ``GEO…`` in
   the Zensusdatenbank with 12-digit ARS) gives the key; region totals without a key are left
   out. The table code comes from the file name (``12411-02-03-4_flat.csv``), else the
   statistic code is used.

Which canonical table a file fills is decided per statistic by
:mod:`regiowerk.sources.genesis_tables`; the year always comes from the content.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from regiowerk.sources.base import (
    GENESIS_PLACEHOLDERS,
    ImportResult,
    SourceError,
    SourceFormat,
    read_text,
    register_format,
)
from regiowerk.sources.genesis_tables import (
    KEY_PATTERN,
    Cells,
    import_files,
    key_text,
    long_cells,
    parse_time,
)

TABLE_MARK = "GENESIS-Tabelle:"
FLAT_OLD = "Statistik_Code"
FLAT_NEW = "statistics_code"
REGIONAL_MERKMALE = frozenset({"DINSG", "DLAND", "REGBEZ", "KREISE", "GEMEIN", "GEMVB"})
"""Codes of the regional Merkmale in flat files (plus ``GEO…`` of the Zensusdatenbank)."""

_CODE_IN_NAME = re.compile(r"^(\d{5}-\d{2}-\d{2}-\d|\d{5}-\d{4}|\d{4}[A-Z]-\d{4})")
_TITLE_TIME = re.compile(r"^(?:[^:;]{1,40}:\s*)?(\d{2}\.\d{2}\.\d{4}|\d{4})$")
_STAND = re.compile(r"Stand:\s*\d{2}\.\d{2}\.(\d{4})")


def detect(path: Path) -> bool:
    """A GENESIS table CSV or flat file CSV, recognised by its first line (never raises).

    Flat files of the Zensusdatenbank are claimed only when they are about households or
    rooms (the tables this reader maps).
    """
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if first.startswith(TABLE_MARK):
        return True
    if not first.startswith((f"{FLAT_OLD};", f"{FLAT_NEW};")):
        return False
    statistic = lines[1].split(";", 1)[0].strip() if len(lines) > 1 else ""
    if re.fullmatch(r"\d{4}[A-Z]", statistic):
        return bool(re.search(r"Haushalt|Räume|Raum", text))
    return True


def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
    """Read GENESIS CSV files (table or flat layout) into canonical tables with provenance."""
    return import_files(
        [Path(p) for p in paths], lambda p: parse_file(p, encoding=encoding), source="genesis"
    )


def parse_file(path: Path, *, encoding: str | None = None) -> Cells:
    """The published values of one GENESIS CSV file (either layout)."""
    text = read_text(path, encoding=encoding)
    first = text.split("\n", 1)[0].strip()
    if first.startswith(TABLE_MARK):
        return _parse_table_csv(path, text)
    if first.startswith((FLAT_OLD, FLAT_NEW)):
        _check_delimiter(path, text)
        return _parse_flat_csv(path, text)
    _check_delimiter(path, text)
    raise SourceError(
        f"keine GENESIS-Datei erkannt: die erste Zeile lautet {first[:60]!r}; erwartet wird "
        f"'GENESIS-Tabelle: <Code>' (Tabellen-CSV) oder die Kopfzeile einer Flat-File-CSV "
        f"('Statistik_Code;…' bzw. 'statistics_code;…'). Fehlt der Kopf, die Tabelle erneut "
        f"vollständig exportieren.",
        file=path,
        row=1,
    )


def _check_delimiter(path: Path, text: str) -> None:
    sample = text.splitlines()[:30]
    if any(";" in line for line in sample[1:] or sample):
        return
    for mark, name in ((",", "Komma"), ("\t", "Tabulator")):
        if sum(line.count(mark) for line in sample) >= len(sample):
            raise SourceError(
                f"falsches Trennzeichen: GENESIS-CSV-Dateien trennen Spalten mit Semikolon (;), "
                f"diese Datei verwendet offenbar {name}. Die Datei unverändert aus GENESIS "
                f"exportieren (nicht in Excel als CSV speichern).",
                file=path,
            )


def _records(path: Path, text: str) -> tuple[list[list[str]], list[int]]:
    """Semicolon records with the line number each starts on (quoted notes span lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=";")
    records: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for row in reader:
            records.append(row)
            lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error as exc:
        raise SourceError(f"CSV nicht lesbar ({exc}).", file=path, row=previous + 1) from None
    return records, lines


# --------------------------------------------------------------------------------------------
# Table layout (also used for the xlsx exports of the Regionaldatenbank)
# --------------------------------------------------------------------------------------------


def _parse_table_csv(path: Path, text: str) -> Cells:
    records, lines = _records(path, text)
    match = re.match(r"GENESIS-Tabelle:\s*([0-9A-Za-z-]+)", records[0][0] if records[0] else "")
    if not match:
        raise SourceError("Tabellencode in Zeile 1 fehlt.", file=path, row=1)
    if all(len(r) <= 1 for r in records[1:]):
        _check_delimiter(path, text)
    grid = cast("list[list[object]]", records[1:])
    return cells_from_grid(grid, lines[1:], file=path, code=match[1], fill_merged=False)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    return "" if value is None else (value.strip() if isinstance(value, str) else key_text(value))


def _is_key(value: object) -> bool:
    return bool(KEY_PATTERN.match(key_text(value))) if not _is_empty(value) else False


def _is_time(value: object) -> bool:
    return not _is_empty(value) and parse_time(_text(value)) is not None


def cells_from_grid(
    grid: list[list[object]],
    lines: list[int],
    *,
    file: Path,
    code: str,
    fill_merged: bool,
    layout: str = "GENESIS-Tabelle",
) -> Cells:
    """Cells of a table laid out as titles, header rows, data rows and a footer.

    ``grid`` holds the rows after the code line (CSV) or all sheet rows (xlsx), ``lines`` their
    line numbers. ``fill_merged`` fills header cells of merged ranges (xlsx: only the first
    cell of a merged range has the label) from the left neighbour with the same parent labels.
    """
    end = next(
        (i for i, row in enumerate(grid) if row and _text(row[0]).startswith("___")), len(grid)
    )
    body, footer = grid[:end], grid[end:]
    first = _first_data_row(body, file)
    preamble = body[:first]
    headers = [row for row in preamble if any(not _is_empty(c) for c in row[1:])]
    titles = [_text(row[0]) for row in preamble if row and not any(row is h for h in headers)]
    titles = [t for t in titles if t]
    if not headers:
        raise SourceError(
            "Kopfzeilen mit den Spaltenbeschriftungen fehlen vor der ersten Datenzeile; die "
            "Tabelle vollständig (mit Kopf) exportieren.",
            file=file,
            row=lines[first],
        )
    width = max(len(h) for h in headers)
    stub = min(next(i for i, c in enumerate(h) if i >= 1 and not _is_empty(c)) for h in headers)
    offset = 1 if _is_time(body[first][0]) and _is_key(body[first][1]) else 0
    if stub < offset + 2:
        raise SourceError(
            "Spalten für Regionalschlüssel und Name fehlen (die Kopfzeilen beginnen zu früh).",
            file=file,
            row=lines[first],
        )
    data, data_lines = _data_rows(body[first:], lines[first:end], width, file)
    grid_array = np.empty((len(data), width), dtype=object)
    grid_array[:, :] = data
    paths = _column_paths(headers, stub, width, fill_merged)
    values = grid_array[:, stub:width]
    used = [j for j, p in enumerate(paths) if any(p) or any(not _is_empty(v) for v in values[:, j])]
    times = _row_times(grid_array, offset, paths, titles, file, data_lines)
    row_labels = [
        np.array([_text(v) for v in grid_array[:, c]], dtype=object)
        for c in range(offset + 2, stub)
    ]
    frame = long_cells(
        lines=np.asarray(data_lines),
        times=times,
        regions=grid_array[:, offset],
        row_labels=row_labels,
        values=values[:, used],
        columns=_column_names(paths, used, stub),
        column_labels=[paths[j] for j in used],
    )
    if times.dtype == object and (times == "").all():
        frame["time"] = _header_times(frame, len(row_labels), file)
    dims = (
        *[_stub_name(headers, c) for c in range(offset + 2, stub)],
        *[f"Kopfzeile {k + 1}" for k in range(len(headers))],
    )
    notes = [] if footer else [f"{file.name}: Fußzeilen fehlen (Datei möglicherweise gekürzt)."]
    attribution, stand = _footer_info(footer)
    return Cells(
        file=file,
        code=code,
        statistic=code[:5],
        frame=frame,
        dims=tuple(dims),
        title=" ".join(titles),
        attribution=attribution,
        stand_year=stand,
        layout=layout,
        notes=notes,
    )


def _first_data_row(body: list[list[object]], file: Path) -> int:
    for i, row in enumerate(body):
        filled = sum(not _is_empty(c) for c in row)
        if (
            len(row) >= 3
            and filled >= 3
            and (
                (_is_key(row[0]) and not _is_key(row[1])) or (_is_time(row[0]) and _is_key(row[1]))
            )
        ):
            return i
    raise SourceError(
        "keine Datenzeilen gefunden (erwartet Zeilen 'Regionalschlüssel;Name;…').", file=file
    )


def _data_rows(
    rows: list[list[object]], lines: list[int], width: int, file: Path
) -> tuple[list[list[object]], list[int]]:
    """Non-empty rows of the data block; a row of other width is an error (cut file)."""
    data, data_lines = [], []
    filled = [i for i, row in enumerate(rows) if any(not _is_empty(c) for c in row)]
    for i in filled:
        row = rows[i]
        if len(row) != width:
            cut = (
                " – die Datei ist offenbar mitten in der Zeile abgeschnitten"
                if i == filled[-1]
                else ""
            )
            raise SourceError(
                f"{len(row)} statt {width} Felder{cut}.",
                file=file,
                row=lines[i],
            )
        data.append(row)
        data_lines.append(lines[i])
    return data, data_lines


def _column_paths(
    headers: list[list[object]], stub: int, width: int, fill_merged: bool
) -> list[list[str]]:
    """Header labels above each value column, level by level."""
    levels = [[_text(h[c]) if c < len(h) else "" for c in range(stub, width)] for h in headers]
    if fill_merged:
        for depth, level in enumerate(levels):
            for j in range(1, len(level)):
                parents = [levels[d][j] for d in range(depth)]
                left_parents = [levels[d][j - 1] for d in range(depth)]
                if not level[j] and parents == left_parents:
                    level[j] = level[j - 1]
    return [[level[j] for level in levels] for j in range(width - stub)]


def _column_names(paths: list[list[str]], used: list[int], stub: int) -> list[str]:
    """Short names of the value columns: their labels on the levels that differ."""
    depth = len(paths[0]) if paths else 0
    levels = [k for k in range(depth) if len({paths[j][k] for j in used}) > 1]
    names = [" / ".join(paths[j][k] for k in levels if paths[j][k]) for j in used]
    return [name or f"Spalte {stub + j + 1}" for name, j in zip(names, used, strict=True)]


def _row_times(
    grid: np.ndarray,
    offset: int,
    paths: list[list[str]],
    titles: list[str],
    file: Path,
    lines: list[int],
) -> np.ndarray:
    """Time of each data row: leading column, else title line; empty if in the header."""
    n = grid.shape[0]
    if offset:
        return np.array([_text(v) for v in grid[:, 0]], dtype=object)
    for title in titles:
        match = _TITLE_TIME.match(title)
        if match:
            return np.full(n, match[1], dtype=object)
    if any(parse_time(label) for path in paths for label in path if label):
        return np.full(n, "", dtype=object)
    raise SourceError(
        "Stichtag bzw. Jahr nicht gefunden (weder Titelzeile 'Stichtag: …'/'Jahr: …' noch "
        "Zeitspalte oder Zeit in den Kopfzeilen).",
        file=file,
        row=lines[0] if lines else None,
    )


def _header_times(frame: pd.DataFrame, n_row_labels: int, file: Path) -> pd.Series:
    """Times from the header level whose labels are all dates or years."""
    for col in [c for c in frame.columns if c.startswith("d")][n_row_labels:]:
        labels = frame[col]
        if all(parse_time(label) is not None for label in labels.unique()):
            return labels
    raise SourceError("Zeitangabe in den Kopfzeilen nicht eindeutig.", file=file)


def _stub_name(headers: list[list[object]], col: int) -> str:
    labels = [_text(h[col]) for h in headers if col < len(h) and not _is_empty(h[col])]
    return labels[0] if labels else f"Spalte {col + 1}"


def _footer_info(footer: list[list[object]]) -> tuple[str | None, int | None]:
    """© line (attribution) and the year of ``Stand: …`` from the footer."""
    texts = [_text(row[0]) for row in footer if row]
    attribution = next(
        (t.splitlines()[0].strip().rstrip(".") for t in texts if t.startswith("©")), None
    )
    stand = next((int(m[1]) for t in texts for m in [_STAND.search(t)] if m), None)
    if stand is None and attribution:
        years = re.findall(r"\b(\d{4})\b", attribution)
        stand = int(years[-1]) if years else None
    return attribution, stand


# --------------------------------------------------------------------------------------------
# Flat file layout
# --------------------------------------------------------------------------------------------


def _flat_names(header: list[str]) -> dict[str, str]:
    if header[0] == FLAT_OLD:
        return {
            "stat": FLAT_OLD,
            "stat_label": "Statistik_Label",
            "time": "Zeit",
            "code": "{k}_Merkmal_Code",
            "label": "{k}_Merkmal_Label",
            "attr": "{k}_Auspraegung_Code",
            "attr_label": "{k}_Auspraegung_Label",
        }
    return {
        "stat": FLAT_NEW,
        "stat_label": "statistics_label",
        "time": "time",
        "code": "{k}_variable_code",
        "label": "{k}_variable_label",
        "attr": "{k}_variable_attribute_code",
        "attr_label": "{k}_variable_attribute_label",
    }


def _parse_flat_csv(path: Path, text: str) -> Cells:
    records, lines = _records(path, text)
    header = [h.strip() for h in records[0]]
    names = _flat_names(header)
    frame = _flat_frame(path, header, records[1:], lines[1:])
    groups = sorted(
        int(m[1]) for h in header if (m := re.fullmatch(names["code"].format(k=r"(\d+)"), h))
    )
    for col in (names["stat"], names["time"]):
        if col not in frame.columns:
            raise SourceError(f"Spalte {col!r} fehlt in der Kopfzeile.", file=path, row=1)
    region_k = _regional_group(path, frame, names, groups)
    statistics = [s for s in frame[names["stat"]].unique() if s]
    if len(statistics) != 1:
        raise SourceError(
            f"erwartet genau eine Statistik, gefunden: {', '.join(statistics) or 'keine'}.",
            file=path,
        )
    region_col = names["attr"].format(k=region_k)
    without_key = frame[region_col].str.strip() == ""
    notes = []
    if without_key.any():
        notes.append(
            f"{path.name}: {int(without_key.sum())} Summenzeilen ohne Regionalschlüssel "
            f"('Insgesamt' über die ausgewählten Regionen) nicht übernommen."
        )
        frame = frame[~without_key]
    others = [k for k in groups if k != region_k]
    measures = _flat_measures(path, header, frame)
    cells = pd.concat(
        [
            pd.DataFrame(
                {
                    "line": frame.index.to_numpy(),
                    "column": column,
                    "time": frame[names["time"]].str.strip().to_numpy(),
                    "region": frame[region_col].str.strip().to_numpy(),
                    "value": values.to_numpy(),
                    "quality": quality.to_numpy(),
                    **{
                        f"d{i}": frame[names["attr_label"].format(k=k)].str.strip().to_numpy()
                        for i, k in enumerate(others)
                    },
                    f"d{len(others)}": measure.to_numpy(),
                }
            )
            for column, values, quality, measure in measures
        ],
        ignore_index=True,
    )
    dims = (
        *[_first(frame, names["label"].format(k=k)) or f"Merkmal {k}" for k in others],
        "Wert",
    )
    statistic = statistics[0].strip()
    match = _CODE_IN_NAME.match(path.name)
    measures_text = " ".join(sorted(set(cells[f"d{len(others)}"])))
    return Cells(
        file=path,
        code=match[1] if match else statistic,
        statistic=statistic,
        frame=cells,
        dims=tuple(dims),
        title=f"{_first(frame, names['stat_label'])} {measures_text}",
        layout="GENESIS-Flat-File",
        notes=notes,
    )


def _flat_frame(
    path: Path, header: list[str], records: list[list[str]], lines: list[int]
) -> pd.DataFrame:
    """Data rows as strings (index = line numbers); trailing one-field lines are a footer."""
    width = len(header)
    rows = [(r, n) for r, n in zip(records, lines, strict=True) if any(c.strip() for c in r)]
    while rows and len(rows[-1][0]) == 1 and width > 1:
        rows.pop()
    for record, line in rows:
        if len(record) != width:
            raise SourceError(
                f"{len(record)} statt {width} Felder (Datei abgeschnitten oder Zeile beschädigt).",
                file=path,
                row=line,
            )
    if not rows:
        raise SourceError("keine Datenzeilen.", file=path)
    return pd.DataFrame([r for r, _ in rows], columns=header, index=[n for _, n in rows], dtype=str)


def _regional_group(
    path: Path, frame: pd.DataFrame, names: dict[str, str], groups: list[int]
) -> int:
    for k in groups:
        codes = frame[names["code"].format(k=k)].str.strip()
        if (codes.isin(REGIONAL_MERKMALE) | codes.str.startswith("GEO")).all():
            return k
    raise SourceError(
        "kein Regionalmerkmal gefunden (erwartet z. B. KREISE, GEMEIN, DLAND, DINSG oder GEO…); "
        "nur Tabellen mit regionaler Gliederung werden gelesen.",
        file=path,
    )


def _flat_measures(
    path: Path, header: list[str], frame: pd.DataFrame
) -> list[tuple[str, pd.Series, pd.Series, pd.Series]]:
    """``(column, values, quality, measure label)`` per value column of either format."""
    empty = pd.Series("", index=frame.index, dtype=str)
    if header[0] == FLAT_NEW:
        if "value" not in frame.columns or "value_variable_label" not in frame.columns:
            raise SourceError("Spalten 'value'/'value_variable_label' fehlen.", file=path, row=1)
        quality = frame["value_q"] if "value_q" in frame.columns else empty
        values = _placeholder_from_quality(frame["value"], quality)
        return [("value", values, quality, frame["value_variable_label"].str.strip())]
    value_columns = [h for h in header if "__" in h and not h.endswith("__q")]
    if not value_columns:
        raise SourceError(
            "keine Wertspalten ('CODE__Bezeichnung__Einheit') in der Kopfzeile.", file=path, row=1
        )
    measures = []
    for column in value_columns:
        code, label = [*column.split("__"), ""][:2]
        q = f"{code}__{label}__q"
        quality = frame[q] if q in frame.columns else empty
        label_text = label.replace("_", " ").strip()
        values = _placeholder_from_quality(frame[column], quality)
        measures.append((column, values, quality, pd.Series(label_text, index=frame.index)))
    return measures


def _placeholder_from_quality(values: pd.Series, quality: pd.Series) -> pd.Series:
    """An empty value whose quality mark is a GENESIS placeholder takes that placeholder."""
    mark = quality.str.strip()
    use = (values.str.strip() == "") & mark.isin(list(GENESIS_PLACEHOLDERS))
    return values.where(~use, mark)


def _first(frame: pd.DataFrame, column: str) -> str:
    return str(frame[column].iloc[0]).strip() if column in frame.columns and len(frame) else ""


FORMAT = register_format(
    SourceFormat(
        key="genesis",
        title="GENESIS-CSV (Tabelle oder Flat-File) von GENESIS-Online, Regionaldatenbank, Zensus",
        detect=detect,
        read=read,
    )
)
