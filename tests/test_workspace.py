"""Workspace: round trip, atomic saves, damaged tables reported by name."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from regiowerk import workspace as workspace_module
from regiowerk.errors import SchemaViolation, UnknownTableError, WorkspaceError
from regiowerk.provenance import Provenance
from regiowerk.schema import CRS
from regiowerk.workspace import MANIFEST, Workspace

PROV = Provenance(
    source="Test", licence="dl-de/by-2-0", attribution="© Test", gebietsstand="2023-12-31"
)


def _population(persons: int = 10) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ags": ["03991001"] * 4,
            "year": [2023] * 4,
            "sex": ["m", "m", "f", "f"],
            "age": [0, 1, 0, 1],
            "persons": [persons, persons + 1, persons + 2, persons + 3],
        }
    )


def _municipalities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "ags": ["03991001", "15991001"],
            "name": ["Wiesenfelde", "Bruchhagen"],
            "kreis": ["03991", "15991"],
            "land": ["03", "15"],
            "area_km2": [100.0, 100.0],
            "centrality": ["mittel", None],
        },
        geometry=[
            box(600_000, 5_740_000, 610_000, 5_750_000),
            box(610_000, 5_740_000, 620_000, 5_750_000),
        ],
        crs=CRS,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(
        tmp_path / "ws", name="Test", selection=["03991", "15991"], base_year=2023
    )


def test_round_trip_keeps_values_types_and_provenance(ws: Workspace) -> None:
    ws.save_many({"population": (_population(), PROV), "municipalities": (_municipalities(), PROV)})
    again = Workspace.open(ws.path)
    assert again.selection == ("03991", "15991")
    pd.testing.assert_frame_equal(again.load("population"), _population())
    loaded = again.load("municipalities")
    assert isinstance(loaded, gpd.GeoDataFrame)
    assert loaded.crs == CRS
    assert loaded.geometry.equals(_municipalities().geometry)
    assert again.provenance("population") == PROV
    assert again.tables["population"].rows == 4
    assert again.validate() == []


def test_save_replaces_the_old_file(ws: Workspace) -> None:
    ws.save("population", _population(10), PROV)
    ws.save("population", _population(20), PROV)
    files = sorted(p.name for p in (ws.path / "tables").iterdir())
    assert len(files) == 1
    assert Workspace.open(ws.path).load("population")["persons"].iloc[0] == 20


def test_crash_before_the_manifest_is_replaced_keeps_the_old_state(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.save("population", _population(10), PROV)
    before = (ws.path / MANIFEST).read_bytes()

    real_replace = os.replace

    def crash(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith(MANIFEST):
            raise KeyboardInterrupt("simulated power cut")
        real_replace(src, dst)

    monkeypatch.setattr(workspace_module.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        ws.save_many(
            {"population": (_population(99), PROV), "municipalities": (_municipalities(), PROV)}
        )
    monkeypatch.undo()

    assert (ws.path / MANIFEST).read_bytes() == before
    reopened = Workspace.open(ws.path)
    assert list(reopened.tables) == ["population"]
    assert reopened.load("population")["persons"].iloc[0] == 10
    assert reopened.validate() == []
    assert len(list((ws.path / "tables").iterdir())) == 1  # no orphans left behind


def test_crash_while_writing_a_table_keeps_the_old_state(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.save("population", _population(10), PROV)

    def broken_write(*args: object, **kwargs: object) -> None:
        Path(str(args[1])).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(workspace_module.pq, "write_table", broken_write)
    with pytest.raises(OSError, match="disk full"):
        ws.save("population", _population(50), PROV)
    monkeypatch.undo()
    assert Workspace.open(ws.path).load("population")["persons"].iloc[0] == 10
    assert len(list((ws.path / "tables").iterdir())) == 1


def test_invalid_table_in_a_batch_saves_nothing(ws: Workspace) -> None:
    bad = _population()
    bad.loc[2, "persons"] = -1
    with pytest.raises(SchemaViolation, match="persons"):
        ws.save_many({"municipalities": (_municipalities(), PROV), "population": (bad, PROV)})
    assert Workspace.open(ws.path).tables == {}
    assert list((ws.path / "tables").iterdir()) == []


def test_corrupted_or_missing_table_is_named(ws: Workspace) -> None:
    record = ws.save("population", _population(), PROV)
    file = ws.path / record.file
    file.write_bytes(file.read_bytes()[:-20] + b"x" * 20)
    with pytest.raises(WorkspaceError, match=r"Tabelle 'population'.*beschädigt"):
        Workspace.open(ws.path).load("population")
    problems = Workspace.open(ws.path).validate()
    assert len(problems) == 1
    assert "population" in problems[0]

    file.unlink()
    with pytest.raises(WorkspaceError, match=r"Tabelle 'population'.*fehlt"):
        Workspace.open(ws.path).load("population")


def test_absent_and_unknown_tables(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="Tabelle 'grid' fehlt im Arbeitsbereich"):
        ws.load("grid")
    with pytest.raises(UnknownTableError, match=r"Bekannte Tabellen: .*population"):
        ws.load("einwohner")


def test_not_a_workspace_and_damaged_manifest(tmp_path: Path, ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="kein regiowerk-Arbeitsbereich"):
        Workspace.open(tmp_path / "nowhere")
    (ws.path / MANIFEST).write_text("[region\nname =", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="beschädigt"):
        Workspace.open(ws.path)


def test_create_refuses_to_overwrite_and_checks_the_selection(
    ws: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(WorkspaceError, match="schon einen Arbeitsbereich"):
        Workspace.create(ws.path, name="X", selection=["03991"], base_year=2023)
    with pytest.raises(WorkspaceError, match="Gebietsauswahl ist leer"):
        Workspace.create(tmp_path / "empty", name="X", selection=[], base_year=2023)
    with pytest.raises(WorkspaceError, match="ABC"):
        Workspace.create(tmp_path / "abc", name="X", selection=["ABC"], base_year=2023)


def test_synthetic_workspace_marks_every_table(tmp_path: Path) -> None:
    ws = Workspace.create(
        tmp_path / "demo",
        name="Demo (synthetisch)",
        selection=["03991"],
        base_year=2023,
        synthetic=True,
    )
    ws.save("population", _population(), PROV)
    assert Workspace.open(ws.path).provenance("population").synthetic is True


def test_saved_files_get_normal_permissions(ws: Workspace) -> None:
    umask = os.umask(0o022)
    try:
        record = ws.save("population", _population(), PROV)
    finally:
        os.umask(umask)
    for file in (ws.path / record.file, ws.path / MANIFEST):
        assert file.stat().st_mode & 0o777 == 0o644


def test_a_second_object_sees_saves_of_the_first(ws: Workspace) -> None:
    other = Workspace.open(ws.path)
    ws.save("population", _population(10), PROV)
    assert other.has("population")
    ws.save("population", _population(30), PROV)  # deletes the file `other` knew before
    assert other.load("population")["persons"].iloc[0] == 30
    other.save("municipalities", _municipalities(), PROV)
    assert set(ws.tables) == {"population", "municipalities"}
