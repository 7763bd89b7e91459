"""Zensus 2022: flat tables of the Zensus database (1000A) and grid-cell downloads.

Fixtures are tiny files written here in the published layouts with invented values; the
real-data test reads ``shared/data/zensus2022_gemeinden``.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from regiowerk.ags import AgsPaddedWarning
from regiowerk.errors import AgsError, SchemaViolation
from regiowerk.schema import CRS
from regiowerk.sources import all_formats, zensus
from regiowerk.sources.base import SourceError

from factories import raises_at

FLAT_HEADER = (
    "statistics_code;statistics_label;time_code;time_label;time;1_variable_code;"
    "1_variable_label;1_variable_attribute_code;1_variable_attribute_label;value;value_unit;"
    "value_variable_code;value_variable_label;value_q"
)
LABEL = "1000A;Bevölkerung kompakt (Gebietsstand 15.05.2022);STAG;Stichtag;2022-05-15"
MUNICIPALITIES = "GEOGM4;Gemeinden (Gebietsstand 15.05.2022)"


def flat_row(ars: str, name: str, value: str, *, q: str = "e", level: str = MUNICIPALITIES) -> str:
    return f"{LABEL};{level};{ars};{name};{value};Anzahl;PRS018;Personen;{q}"


FLAT_ROWS = (
    flat_row("010510011011", "Musterstadt, Stadt", "12381"),
    flat_row("145225050012", "Sächsisch Musterau", "3530"),
    flat_row("031510004004", "Beispielheim", "1211"),
    f"{LABEL};GEODL1;Deutschland;DG;Deutschland;17130;Anzahl;PRS001;Personen;e",
)


def write_flat(
    folder: Path,
    rows: tuple[str, ...] = FLAT_ROWS,
    *,
    header: str = FLAT_HEADER,
    name: str = "1000A-0000_de_flat.csv",
    encoding: str = "utf-8-sig",
) -> Path:
    path = folder / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding=encoding)
    return path


# --------------------------------------------------------------------------------------------
# Flat tables


def test_flat_population_table(tmp_path: Path) -> None:
    result = zensus.read([write_flat(tmp_path)])
    population = result.tables["population_totals"]
    assert population["region"].tolist() == ["01051011", "14522012", "03151004", "DG"]
    assert population["persons"].tolist() == [12381, 3530, 1211, 17130]
    assert population["male"].isna().all()
    assert set(population["year"]) == {2022}
    assert set(population["census_basis"]) == {"zensus2022"}
    assert set(population["reference_date"]) == {"2022-05-15"}
    assert population["flag"].isna().all()
    text = "\n".join(result.messages)
    assert "Qualitätskennzeichen (value_q): 'e' 4×" in text
    assert "Deutschland 17.130 Einwohner, Summe der 3 Gemeinden 17.122" in text
    prov = result.provenance["population_totals"]
    assert prov.census_basis == "zensus2022"
    assert prov.gebietsstand == "2022-05-15"
    assert "Tabelle 1000A-0000" in prov.source
    assert prov.attribution.startswith("© Statistische Ämter des Bundes und der Länder")


def test_placeholders_in_value_or_value_q_are_flagged(tmp_path: Path) -> None:
    rows = (
        flat_row("010510011011", "Musterstadt, Stadt", "", q="."),
        flat_row("145225050012", "Sächsisch Musterau", "/", q="e"),
        flat_row("031510004004", "Beispielheim", "-", q="e"),
    )
    population = zensus.read([write_flat(tmp_path, rows)]).tables["population_totals"]
    assert population["flag"].tolist() == [".", "/", "-"]
    assert population["persons"].isna().tolist() == [True, True, False]
    assert population["persons"].iloc[2] == 0


def test_excel_mangled_ars_is_restored_with_a_warning(tmp_path: Path) -> None:
    rows = (flat_row("10510011011", "Musterstadt, Stadt", "12381"), *FLAT_ROWS[1:])
    with pytest.warns(AgsPaddedWarning, match="1 ARS mit 11 Ziffern"):
        result = zensus.read([write_flat(tmp_path, rows)])
    assert result.tables["population_totals"]["region"].iloc[0] == "01051011"


def test_invalid_ars_names_file_column_and_row(tmp_path: Path) -> None:
    rows = (*FLAT_ROWS[:2], flat_row("991510004004", "Nirgendwo", "5"))
    path = write_flat(tmp_path, rows)
    with pytest.raises(AgsError, match=r"1000A-0000_de_flat\.csv.*Zeile 4: '991510004004'"):
        zensus.read([path])


def test_unknown_statistics_code_lists_the_supported_ones(tmp_path: Path) -> None:
    rows = (*FLAT_ROWS[:2], FLAT_ROWS[2].replace("1000A;", "2000S;", 1))
    path = write_flat(tmp_path, rows)
    message = raises_at(
        lambda: zensus.read([path]), file=path.name, row=4, column="statistics_code"
    )
    assert "'2000S' wird nicht unterstützt" in message
    assert "1000A (Bevölkerung kompakt)" in message


def test_unknown_region_level_and_extra_variable(tmp_path: Path) -> None:
    rows = (*FLAT_ROWS[:1], flat_row("01051", "Dithmarschen", "5", level="KREISE;Kreise"))
    path = write_flat(tmp_path, rows)
    raises_at(lambda: zensus.read([path]), file=path.name, row=3, column="1_variable_code")
    header = FLAT_HEADER.replace("value;", "2_variable_code;value;")
    rows = tuple(r.replace(";12381;", ";GES;12381;") for r in FLAT_ROWS[:1])
    path = write_flat(tmp_path, rows, header=header)
    message = raises_at(lambda: zensus.read([path]), file=path.name, row=1)
    assert "2 Merkmale" in message


def test_flat_value_errors_name_row_and_column(tmp_path: Path) -> None:
    path = write_flat(tmp_path, (*FLAT_ROWS[:2], flat_row("031510004004", "Beispielheim", "-12")))
    raises_at(lambda: zensus.read([path]), file=path.name, row=4, column="value")
    path = write_flat(tmp_path, (flat_row("031510004004", "Beispielheim", "1 2x1"),))
    raises_at(lambda: zensus.read([path]), file=path.name, row=2, column="value")
    path = write_flat(tmp_path, (FLAT_ROWS[0].replace("2022-05-15", "15.05.2022"),))
    raises_at(lambda: zensus.read([path]), file=path.name, row=2, column="time")


def test_duplicate_regions_raise_a_schema_violation(tmp_path: Path) -> None:
    path = write_flat(tmp_path, (*FLAT_ROWS, FLAT_ROWS[1].replace(";3530;", ";3531;")))
    with pytest.raises(SchemaViolation) as info:
        zensus.read([path])
    message = str(info.value)
    assert "Datei 1000A-0000_de_flat.csv" in message
    assert "Zeile 3: Schlüssel doppelt" in message
    assert "Zeile 6: Schlüssel doppelt" in message


def test_truncated_flat_files(tmp_path: Path) -> None:
    header_only = write_flat(tmp_path, ())
    message = raises_at(lambda: zensus.read([header_only]), file=header_only.name)
    assert "nur die Kopfzeile" in message
    path = write_flat(tmp_path, (*FLAT_ROWS[:2], FLAT_ROWS[2][:60]))
    message = raises_at(lambda: zensus.read([path]), file=path.name, row=4)
    assert "abgeschnitten" in message


def test_flat_file_with_commas_and_cp1252(tmp_path: Path) -> None:
    rows = tuple(r.replace(";", ",") for r in FLAT_ROWS)
    path = write_flat(tmp_path, rows, header=FLAT_HEADER.replace(";", ","))
    message = raises_at(lambda: zensus.read([path]), file=path.name, row=1)
    assert "Trennzeichen ist ','" in message
    path = write_flat(tmp_path, encoding="cp1252")
    message = raises_at(lambda: zensus.read([path]), file=path.name, row=2)
    assert "--encoding cp1252" in message
    assert len(zensus.read([path], encoding="cp1252").tables["population_totals"]) == 4


# --------------------------------------------------------------------------------------------
# Grid cells

GRID_100M = (
    "GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner",
    "CRS3035RES100mN2689100E4337000;4337050;2689150;4",
    "CRS3035RES100mN2689100E4337100;4337150;2689150;–",
    "CRS3035RES100mN2689200E4337000;4337050;2689250;17",
    "CRS3035RES100mN3250000E4150000;4150050;3250050;1 203",
)


def write_grid(
    folder: Path,
    lines: tuple[str, ...] = GRID_100M,
    *,
    name: str = "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv",
    encoding: str = "utf-8",
) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_grid_100m(tmp_path: Path) -> None:
    result = zensus.read([write_grid(tmp_path)])
    grid = result.tables["grid"]
    assert isinstance(grid, gpd.GeoDataFrame)
    assert grid.crs == CRS
    assert grid["cell_id"].tolist() == [
        "CRS3035RES100mN2689100E4337000",
        "CRS3035RES100mN2689200E4337000",
        "CRS3035RES100mN3250000E4150000",
    ]
    assert grid["persons"].tolist() == [4, 17, 1203]
    assert grid["ags"].isna().all()
    assert grid.geometry.area.tolist() == pytest.approx([10_000] * 3, rel=0.01)
    centre = gpd.GeoSeries(grid.geometry.centroid, crs=CRS).to_crs("EPSG:3035").iloc[0]
    assert centre.distance(Point(4337050, 2689150)) < 0.5
    assert "1 Zellen ohne Einwohnerzahl" in "\n".join(result.messages)
    prov = result.provenance["grid"]
    assert (prov.census_basis, prov.gebietsstand) == ("zensus2022", None)


def test_grid_1km_with_value_notes(tmp_path: Path) -> None:
    lines = (
        "GITTER_ID_1km;x_mp_1km;y_mp_1km;Einwohner;werterlaeuternde_Zeichen",
        "CRS3035RES1000mN2689000E4337000;4337500;2689500;404;",
        "CRS3035RES1000mN2690000E4337000;4337500;2690500;3;KLAMMERN",
    )
    result = zensus.read([write_grid(tmp_path, lines, name="Zensus2022_1km.csv")])
    grid = result.tables["grid"]
    assert grid["cell_id"].tolist() == [
        "CRS3035RES1000mN2689000E4337000",
        "CRS3035RES1000mN2690000E4337000",
    ]
    assert grid.geometry.area.tolist() == pytest.approx([1e6, 1e6], rel=0.01)
    assert "1 Zellen mit werterläuterndem Zeichen 'KLAMMERN'" in "\n".join(result.messages)


def test_grid_negative_population(tmp_path: Path) -> None:
    lines = (*GRID_100M[:3], GRID_100M[3].replace(";17", ";-17"))
    path = write_grid(tmp_path, lines)
    message = raises_at(lambda: zensus.read([path]), file=path.name, row=4, column="Einwohner")
    assert "negativ" in message


def test_grid_with_unknown_or_missing_columns(tmp_path: Path) -> None:
    lines = ("GITTER_ID_100m;x_mp_100m;y_mp_100m;Durchschnittsalter", "x;1;2;3")
    path = write_grid(tmp_path, lines)
    raises_at(lambda: zensus.read([path]), file=path.name, row=1, column="Durchschnittsalter")
    lines = ("GITTER_ID_100m;x_mp_100m;Einwohner", "x;1;2")
    path = write_grid(tmp_path, lines)
    raises_at(lambda: zensus.read([path]), file=path.name, row=1, column="y_mp_100m")
    lines = ("GITTER_ID_5km;x_mp_5km;y_mp_5km;Einwohner", "x;1;2;3")
    path = write_grid(tmp_path, lines)
    raises_at(lambda: zensus.read([path]), file=path.name, row=1, column="GITTER_ID_5km")


def test_grid_ids_and_centres_are_checked(tmp_path: Path) -> None:
    lines = (*GRID_100M[:2], GRID_100M[1].replace("N2689100E", "N2689200E").replace(";4", ";5"))
    path = write_grid(tmp_path, lines)
    raises_at(lambda: zensus.read([path]), file=path.name, row=3, column="GITTER_ID_100m")
    lines = (GRID_100M[0], "CRS3035RES100mN2689100E4337000;4337000;2689150;4")
    path = write_grid(tmp_path, lines)
    raises_at(lambda: zensus.read([path]), file=path.name, row=2, column="x_mp_100m")


def test_grid_duplicate_cells(tmp_path: Path) -> None:
    path = write_grid(tmp_path, (*GRID_100M, GRID_100M[1]))
    with pytest.raises(SchemaViolation, match=r"(?s)Datei Zensus2022_.*Zeile 6: Schlüssel doppelt"):
        zensus.read([path])


def test_truncated_grid_and_cp1252_dash(tmp_path: Path) -> None:
    path = write_grid(tmp_path, (*GRID_100M[:3], "CRS3035RES100mN2689200E4337000;43370"))
    raises_at(lambda: zensus.read([path]), file=path.name, row=4)
    path = write_grid(tmp_path, GRID_100M[:1])
    raises_at(lambda: zensus.read([path]), file=path.name)
    path = write_grid(tmp_path, encoding="cp1252")
    raises_at(lambda: zensus.read([path]), file=path.name, row=3)
    assert len(zensus.read([path], encoding="cp1252").tables["grid"]) == 3


def test_detect(tmp_path: Path) -> None:
    assert zensus.detect(write_flat(tmp_path))
    assert zensus.detect(write_grid(tmp_path))
    other = tmp_path / "1000A-0000_de_clean.csv"
    other.write_text("state,ags,place,population\nBY,092760130130,Lindberg,2294\n")
    assert not zensus.detect(other)
    assert not zensus.detect(tmp_path / "fehlt.csv")
    assert all_formats()["zensus2022"].read is zensus.read


def test_flat_and_grid_files_in_one_import(tmp_path: Path) -> None:
    result = zensus.read([write_flat(tmp_path), write_grid(tmp_path)])
    assert set(result.tables) == {"population_totals", "grid"}
    with pytest.raises(SourceError, match="Spalten fehlen"):
        zensus.read([tmp_path / "1000A-0000_de_flat.csv", _clean_copy(tmp_path)])


def _clean_copy(folder: Path) -> Path:
    path = folder / "clean.csv"
    path.write_text("state,ags,place,population\nSH,010510011011,Musterstadt,12381\n")
    return path


# --------------------------------------------------------------------------------------------
# Real data


@pytest.mark.realdata
def test_real_zensus_2022_municipalities(real_data: Path, tmp_path: Path) -> None:
    zensus.read([write_flat(tmp_path)])  # pandera's one-off warm-up, outside the timing
    path = real_data / "zensus2022_gemeinden" / "1000A-0000_de_flat.csv"
    start = time.perf_counter()
    result = zensus.read([path])
    elapsed = time.perf_counter() - start
    print(f"Zensus 2022 1000A-0000 (flat) gelesen in {elapsed:.2f} s")
    population = result.tables["population_totals"]
    municipalities = population[population["region"].str.len() == 8]
    assert len(municipalities) == 10_786
    assert int(municipalities["persons"].sum()) == 82_711_282
    assert municipalities["region"].is_unique
    germany = population.loc[population["region"] == "DG", "persons"]
    assert germany.tolist() == [82_719_540]
    assert elapsed < 3.0, f"Zensus 2022 1000A-0000 gelesen in {elapsed:.2f} s (Ziel < 3 s)"
