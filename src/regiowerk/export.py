"""Exports of a workspace for the tools planners already use: GeoPackage (QGIS) and XLSX (Excel).

* **GeoPackage**: one layer per spatial table (EPSG:25832, layer identifier and description in
  German) plus every other table as an attribute table, so QGIS can join them by AGS. The
  dataset metadata carry the region name, the sources and, for the demo, the synthetic flag.
* **XLSX**: a first sheet "Hinweis" (region, sources, licences, synthetic warning), then one sheet
  per table with German column headers. Points get Rechtswert/Hochwert columns; polygon and
  line geometries are left out (use the GeoPackage). Tables longer than Excel's row limit are
  split over several sheets.

Both are written to a temporary file next to the target and renamed into place, so an
interrupted export never leaves a half-written file under the target name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import geopandas as gpd
import pandas as pd
import pyogrio

from regiowerk import __version__
from regiowerk.errors import RegiowerkError
from regiowerk.fileio import atomic_path
from regiowerk.schema import CRS, table_spec
from regiowerk.workspace import Workspace

EXCEL_MAX_ROWS = 1_048_575  # data rows below the header row
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


def export_xlsx(workspace: Workspace, out: Path, *, progress: Progress | None = None) -> Path:
    """Write every table of ``workspace`` to the workbook ``out`` (replaced if present)."""
    if not workspace.tables:
        raise ExportError(f"Der Arbeitsbereich {workspace.path} enthält keine Tabellen.")
    with atomic_path(out) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        notes = pd.DataFrame(_notes(workspace), columns=["Thema", "Angabe"])
        notes.to_excel(writer, sheet_name="Hinweis", index=False)
        writer.sheets["Hinweis"].column_dimensions["A"].width = 28
        writer.sheets["Hinweis"].column_dimensions["B"].width = 120
        for name in workspace.tables:
            if progress:
                progress(table_spec(name).title)
            for sheet, part in _sheet_frames(name, workspace.load(name)):
                part.to_excel(writer, sheet_name=sheet, index=False)
                writer.sheets[sheet].freeze_panes = "A2"
    return out
