"""Import pipeline: merging into a workspace, cutting a region out across Land borders."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pytest

from regiowerk.ags import AgsPaddedWarning
from regiowerk.demo import DemoRegion, generate_demo, save_demo
from regiowerk.errors import RegiowerkError, SchemaViolation, WorkspaceError
from regiowerk.importing import (
    ConflictWarning,
    create_region_workspace,
    import_files,
    merge_into,
    open_or_create_collection,
)
from regiowerk.provenance import Provenance
from regiowerk.selection import Selection, SelectionError, select_tables
from regiowerk.sources.base import (
    FORMATS,
    ImportResult,
    SourceError,
    SourceFormat,
    parse_counts,
)
from regiowerk.workspace import Workspace

PROV = Provenance(source="Test", licence="dl-de/by-2-0", attribution="© Test")


@pytest.fixture(scope="module")
def demo() -> DemoRegion:
    return generate_demo(5)


def test_inside_and_overlaps() -> None:
    keys = pd.Series(["01051044", "01051", "01", "010", "01052", "15085", "DG", "0105104"])
    chosen = Selection(["01051"])
    assert chosen.inside(keys).tolist() == [True, True, False, False, False, False, False, True]
    assert chosen.overlaps(keys).tolist() == [True, True, True, True, False, False, True, True]
    with pytest.raises(SelectionError):
        Selection([])


def test_region_across_a_land_border(demo: DemoRegion) -> None:
    chosen = Selection(["03991", "15992"])
    out = select_tables(demo.tables, chosen)
    municipalities = out["municipalities"]
    assert set(municipalities["kreis"]) == {"03991", "15992"}
    assert set(municipalities["land"]) == {"03", "15"}
    assert set(out["population"]["ags"]) == set(municipalities["ags"])
    flows = out["commuters"]
    inside = flows["origin"].str[:5].isin(["03991", "15992"]) | flows["dest"].str[:5].isin(
        ["03991", "15992"]
    )
    assert inside.all()
    assert (flows["origin"].str[:5] == "15991").any()  # in-commuters from outside are kept
    assert out["facilities"]["ags"].str[:5].isin(["03991", "15992"]).all()
    assert out["grid"]["persons"].sum() == out["population"].query("year == 2023")["persons"].sum()


def test_grid_and_facilities_without_keys_are_placed_by_polygon(demo: DemoRegion) -> None:
    tables = dict(demo.tables)
    tables["grid"] = tables["grid"].assign(ags=None)
    tables["facilities"] = tables["facilities"].assign(ags=None)
    out = select_tables(tables, Selection(["15991"]))
    expected = select_tables(demo.tables, Selection(["15991"]))
    assert len(out["facilities"]) == len(expected["facilities"])
    assert out["facilities"]["ags"].str.startswith("15991").all()
    # cells are placed by their representative point, the demo by the cell centre: nearly equal
    assert abs(len(out["grid"]) - len(expected["grid"])) <= 0.05 * len(expected["grid"])


def test_a_mistyped_key_is_an_error(demo: DemoRegion) -> None:
    with pytest.raises(SelectionError, match="trifft keine Zeile"):
        select_tables(demo.tables, Selection(["01051"]))


def _totals(year: int, persons: int, basis: str = "zensus2011") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["01051044", "01051011"],
            "year": [year, year],
            "census_basis": [basis, basis],
            "reference_date": [f"{year}-12-31"] * 2,
            "persons": pd.array([persons, persons + 1], dtype="Int64"),
            "male": pd.array([None, None], dtype="Int64"),
            "female": pd.array([None, None], dtype="Int64"),
        }
    )


def _result(table: str, frame: pd.DataFrame, prov: Provenance = PROV) -> ImportResult:
    result = ImportResult("test")
    result.add(table, frame, prov)
    return result


def test_merge_keeps_old_rows_and_replaces_same_keys(tmp_path: Path) -> None:
    first = [_result("population_totals", _totals(2020, 1))]
    ws = open_or_create_collection(tmp_path / "de", first)
    merge_into(ws, first)
    assert ws.selection == tuple(f"{n:02d}" for n in range(1, 17))
    with pytest.warns(ConflictWarning, match="2 Schlüssel"):
        merge_into(ws, [_result("population_totals", _totals(2020, 100))])
    merge_into(ws, [_result("population_totals", _totals(2021, 200))])
    table = Workspace.open(ws.path).load("population_totals")
    assert table.groupby("year")["persons"].sum().to_dict() == {2020: 201, 2021: 401}


def test_merge_refuses_a_different_census_basis(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="T", selection=["01051"], base_year=2021)
    population = pd.DataFrame(
        {"ags": ["01051044"], "year": [2021], "sex": ["m"], "age": [5], "persons": [3]}
    )
    merge_into(
        ws,
        [
            _result(
                "population",
                population,
                Provenance(**{**PROV.to_dict(), "census_basis": "zensus2011"}),
            )
        ],
    )
    before = (ws.path / "workspace.toml").read_bytes()
    newer = population.assign(year=2022)
    with pytest.raises(SourceError, match="Zensusbasis"):
        merge_into(
            ws,
            [
                _result(
                    "population",
                    newer,
                    Provenance(**{**PROV.to_dict(), "census_basis": "zensus2022"}),
                )
            ],
        )
    assert (ws.path / "workspace.toml").read_bytes() == before


def test_invalid_rows_name_the_file_line(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="T", selection=["01051"], base_year=2021)
    bad = _totals(2021, 5)
    bad.loc[1, "persons"] = -5
    bad.index = [7, 8]
    prov = Provenance(**{**PROV.to_dict(), "source_files": ("gv.csv",)})
    with pytest.raises(SchemaViolation, match=r"gv\.csv.*\n.*Zeile 8, Spalte 'persons'"):
        merge_into(ws, [_result("population_totals", bad, prov)])
    assert Workspace.open(ws.path).tables == {}


def test_region_workspace_from_a_collection(tmp_path: Path, demo: DemoRegion) -> None:
    collection = Workspace.create(
        tmp_path / "all", name="Alle", selection=demo.selection, base_year=demo.base_year
    )
    collection.save_many({n: (f, demo.provenance[n]) for n, f in demo.tables.items()})
    ws, found = create_region_workspace(
        tmp_path / "region", selection=["03991", "15991001"], source=collection.path
    )
    assert found.unknown == []
    assert ws.selection == ("03991", "15991001")
    municipalities = ws.load("municipalities")
    assert set(municipalities["kreis"]) == {"03991", "15991"}
    assert (municipalities["kreis"] == "15991").sum() == 1
    assert ws.provenance("population") == demo.provenance["population"]

    with pytest.raises(RegiowerkError, match="trifft keine Zeile"):
        create_region_workspace(tmp_path / "nothing", selection=["09162"], source=collection.path)
    assert not (tmp_path / "nothing").exists()


@pytest.fixture
def popcsv_format() -> Iterator[None]:
    """A throwaway format: ``*.popcsv`` files with lines ``ags;persons`` for year 2021."""

    def read(paths: Sequence[Path], *, encoding: str | None = None) -> ImportResult:
        result = ImportResult("popcsv")
        for path in paths:
            frame = pd.read_csv(path, sep=";", dtype={"ags": str})
            totals = pd.DataFrame(
                {
                    "region": frame["ags"],
                    "year": 2021,
                    "census_basis": "zensus2011",
                    "reference_date": "2021-12-31",
                    "persons": parse_counts(
                        frame["persons"].astype(str), file=path, column="persons"
                    )[0],
                    "male": pd.array([None] * len(frame), dtype="Int64"),
                    "female": pd.array([None] * len(frame), dtype="Int64"),
                }
            )
            result.add("population_totals", totals, PROV)
        return result

    FORMATS["popcsv"] = SourceFormat("popcsv", "Test", lambda p: p.suffix == ".popcsv", read)
    yield
    del FORMATS["popcsv"]


@pytest.mark.usefixtures("popcsv_format")
def test_region_workspace_from_a_folder_of_files(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    (folder / "sh").mkdir(parents=True)
    (folder / "sh" / "a.popcsv").write_text("ags;persons\n01051044;21000\n01001000;90000\n")
    (folder / "st.popcsv").write_text("ags;persons\n15085040;30000\n")
    (folder / "readme.txt").write_text("nothing to import")
    (folder / "broken.popcsv").write_text("ags;persons\n01051001;viele\n")
    ws, found = create_region_workspace(
        tmp_path / "region", selection=["01051", "15085"], source=folder, name="Westküste + Harz"
    )
    assert [p.name for p in found.unknown] == ["readme.txt"]
    assert [p.name for p, _ in found.failed] == ["broken.popcsv"]
    totals = ws.load("population_totals")
    assert sorted(totals["region"]) == ["01051044", "15085040"]
    assert ws.base_year == 2021

    results = import_files("auto", [folder / "st.popcsv"])
    assert results[0].tables["population_totals"]["persons"].tolist() == [30000]
    with pytest.raises(SourceError, match="Format nicht erkannt"):
        import_files("auto", [folder / "readme.txt"])
    with pytest.raises(SourceError, match="nicht gefunden"):
        import_files("auto", [folder / "missing.csv"])


@pytest.mark.usefixtures("popcsv_format")
def test_cli_import_and_create(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regiowerk.cli import EXIT_INPUT, app

    runner = CliRunner()
    data = tmp_path / "de.popcsv"
    data.write_text("ags;persons\n01051044;21000\n15085040;30000\n")
    result = runner.invoke(app, ["import", "popcsv", str(data), "--into", str(tmp_path / "de")])
    assert result.exit_code == 0, result.output
    assert "population_totals" in result.output

    result = runner.invoke(
        app,
        [
            "workspace",
            "create",
            str(tmp_path / "r"),
            "--kreis",
            "15085",
            "--from",
            str(tmp_path / "de"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert Workspace.open(tmp_path / "r").load("population_totals")["region"].tolist() == [
        "15085040"
    ]

    result = runner.invoke(
        app, ["import", "nosuchformat", str(data), "--into", str(tmp_path / "x")]
    )
    assert result.exit_code == EXIT_INPUT
    assert "Unbekannte Quelle" in result.output
    assert not (tmp_path / "x").exists()

    result = runner.invoke(
        app, ["workspace", "create", str(tmp_path / "y"), "--from", str(tmp_path)]
    )
    assert result.exit_code == EXIT_INPUT
    assert "Mindestens eine Auswahl" in result.output


def test_format_options_are_checked_against_the_reader(tmp_path: Path) -> None:
    gv = tmp_path / "gv.csv"
    gv.write_text("x")
    with pytest.raises(SourceError, match=r"Option farbe .*möglich: reference_date"):
        import_files("gvisys", [gv], options={"farbe": "blau"})
    with pytest.raises(SourceError, match="nicht 'auto'"):
        import_files("auto", [gv], options={"reference_date": "2019-12-31"})


@pytest.mark.realdata
def test_gv_copy_without_date_imports_with_an_option(real_data: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regiowerk.cli import app

    copy = real_data / "gv_auszug" / "AuszugGV4QAktuell.csv"
    args = ["import", "gvisys", str(copy), "--into", str(tmp_path / "de")]
    result = CliRunner().invoke(app, [*args, "--option", "reference_date=2019-12-31"])
    assert result.exit_code == 0, result.output
    totals = Workspace.open(tmp_path / "de").load("population_totals")
    assert int(totals.query("year == 2019")["persons"].sum()) == 83_166_711


def test_selection_keys_are_normalised_before_reading(tmp_path: Path, demo: DemoRegion) -> None:
    collection = save_demo(demo, tmp_path / "all")
    with pytest.warns(AgsPaddedWarning):
        ws, _ = create_region_workspace(tmp_path / "r", selection=["3991"], source=collection.path)
    assert ws.selection == ("03991",)
    assert set(ws.load("municipalities")["kreis"]) == {"03991"}
    with pytest.raises(WorkspaceError, match="ABC"):
        create_region_workspace(tmp_path / "x", selection=["ABC"], source=tmp_path / "missing")
