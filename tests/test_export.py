"""GeoPackage and XLSX exports: read back, German headers, synthetic flag, atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from regiowerk import export as export_module
from regiowerk.errors import WorkspaceError
from regiowerk.export import export_gpkg, export_xlsx
from regiowerk.schema import CRS
from regiowerk.workspace import Workspace

from factories import make_tiny_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_tiny_workspace(tmp_path / "ws")


def test_geopackage_reads_back_with_pyogrio(ws: Workspace, tmp_path: Path) -> None:
    out = export_gpkg(ws, tmp_path / "region.gpkg")
    layers = {name: geom for name, geom in pyogrio.list_layers(out)}
    assert set(layers) == set(ws.tables)
    assert layers["municipalities"] == "MultiPolygon"
    assert layers["facilities"] == "Point"
    assert layers["population"] is None  # attribute table, joinable by AGS in QGIS

    original = ws.load("municipalities").sort_values("ags").reset_index(drop=True)
    back = pyogrio.read_dataframe(out, layer="municipalities").sort_values("ags")
    back = back.reset_index(drop=True)
    assert back.crs == CRS
    assert list(back["ags"]) == list(original["ags"])
    assert back.geometry.area.round(3).tolist() == original.geometry.area.round(3).tolist()
    population = pyogrio.read_dataframe(out, layer="population")
    assert int(population["persons"].sum()) == int(ws.load("population")["persons"].sum())

    info = pyogrio.read_info(out, layer="municipalities")
    assert info["layer_metadata"]["REGIOWERK_SYNTHETIC"] == "true"
    assert "SYNTHETISCHE" in info["dataset_metadata"]["REGIOWERK_NOTE"]


def test_xlsx_has_a_note_sheet_and_german_headers(ws: Workspace, tmp_path: Path) -> None:
    out = export_xlsx(ws, tmp_path / "region.xlsx")
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[0] == "Hinweis"
    assert "Bevölkerung" in book.sheetnames
    note = [row for row in book["Hinweis"].iter_rows(values_only=True)]
    assert note[1][0] == "ACHTUNG"
    rows = list(book["Bevölkerung"].iter_rows(values_only=True))
    assert rows[0] == ("AGS", "Jahr", "Geschlecht", "Alter", "Personen")
    assert len(rows) - 1 == ws.tables["population"].rows
    assert rows[1][0].startswith("0")  # AGS kept as text with its leading zero
    header = next(book["Einrichtungen"].iter_rows(values_only=True))
    assert "Rechtswert (EPSG:25832)" in header
    book.close()


def test_long_tables_are_split_over_sheets(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "EXCEL_MAX_ROWS", 100)
    out = export_xlsx(ws, tmp_path / "split.xlsx")
    book = openpyxl.load_workbook(out, read_only=True)
    parts = [s for s in book.sheetnames if s.startswith("Bevölkerung ")]
    expected = -(-ws.tables["population"].rows // 100)
    assert len(parts) == expected
    book.close()


def test_xlsx_cells_keep_missing_infinite_and_formula_like_values_honest(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pd.DataFrame(
        {
            "Text": pd.Series(["=1+1", "https://example.org", None], dtype="str"),
            "Zahl": [1.5, np.nan, np.inf],
            "Anzahl": pd.Series([1, None, 3], dtype="Int64"),
            "erfüllt": [True, False, True],
        }
    )
    monkeypatch.setattr(export_module, "_sheet_frames", lambda name, _: iter([(name, frame)]))
    out = export_xlsx(ws, tmp_path / "cells.xlsx")
    book = openpyxl.load_workbook(out)
    sheet = book[next(iter(ws.tables))]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Text", "Zahl", "Anzahl", "erfüllt")
    assert rows[1] == ("=1+1", 1.5, 1, True)  # a text, not a formula
    assert rows[2] == ("https://example.org", None, None, False)
    assert rows[3] == (None, "inf", 3, True)
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].data_type == "s"  # openpyxl shows a formula as "=…" too, typed "f"
    assert not sheet["A3"].hyperlink
    book.close()


@pytest.mark.parametrize("writer", [export_gpkg, export_xlsx])
def test_failed_export_leaves_the_previous_file_intact(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: object
) -> None:
    target = tmp_path / "region.out"
    target.write_bytes(b"previous export")

    def broken(name: str) -> None:
        raise WorkspaceError(f"Tabelle {name!r}: Datei fehlt.")

    monkeypatch.setattr(ws, "load", broken)
    with pytest.raises(WorkspaceError):
        writer(ws, target)  # type: ignore[operator]
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["region.out"]
