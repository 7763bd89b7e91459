"""Hospital sites (Eurostat GISCO healthcare): files written here in the published layout."""

from __future__ import annotations

import io
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from regiowerk.errors import SchemaViolation
from regiowerk.sources import hospitals
from regiowerk.sources.base import SourceError

HEADER = (
    "id,hospital_name,site_name,lat,lon,geo_qual,street,house_number,postcode,city,cc,country,"
    "cap_beds,cap_prac,cap_rooms,emergency,facility_type,public_private,list_specs,tel,email,"
    "url,ref_date,pub_date,comments"
)
ROWS = [
    # id, hospital_name, site_name, lat, lon, city
    ("260551132_001_771077", "Josephs-Hospital Warendorf", "Josephs-Hospital Warendorf",
     "51.960420529706", "8.002352893336", "Warendorf"),
    ("261500198_001_771770", "Helios Klinik Zerbst/Anhalt GmbH", "Hauptstandort",
     "51.960538935624", "12.09354137759", "Zerbst/Anhalt"),
    ("260710200_001_772000", "Gemeinschaftsklinikum Mittelrhein gGmbH", "St. Elisabeth",
     "50.4", "7.4", "Mayen"),
    ("260101809_001_771982", "Schön Klinik Neustadt", "Schön Klinik Neustadt",
     "54.091120202566", "10.828691482675", "Neustadt in Holstein"),
    # the same site twice: once identical, once with other coordinates (as in the 2020 file)
    ("260101809_001_771982", "Schön Klinik Neustadt", "Schön Klinik Neustadt",
     "54.091120202566", "10.828691482675", "Neustadt in Holstein"),
    ("260101809_001_771982", "Schön Klinik Neustadt", "Schön Klinik Neustadt",
     "54.091061997458", "10.828683596892", "Neustadt in Holstein"),
    ("260512167_002_773579", "Alexianer-Klinik Meerbusch GmbH", "Tagesklinik Meerbusch – "
     "Alexianer-Klinik Meerbusch GmbH", "51.248292436072", "6.67505210643", "Meerbusch"),
]  # fmt: skip


def csv_text(rows: list[tuple[str, ...]] = ROWS, *, beds: str = "") -> str:
    lines = [HEADER]
    for rid, hospital, site, lat, lon, city in rows:
        fields = [rid, hospital, site, lat, lon, "1", "Straße", "1", "12345", city, "DE"]
        fields += ["Germany", beds, "", "", "", "", "", "", "", "", "", "08/03/2020", "16/04/2020"]
        fields.append("")
        lines.append(",".join(f'"{f}"' if "," in f else f for f in fields))
    return "\n".join(lines) + "\n"


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_the_gisco_csv(tmp_path: Path) -> None:
    result = hospitals.read([write_csv(tmp_path / "DE_healthcare.csv", csv_text())])
    table = result.tables["facilities"]
    assert list(table["facility_id"]) == [
        "kh-260551132_001_771077",
        "kh-261500198_001_771770",
        "kh-260710200_001_772000",
        "kh-260101809_001_771982",
        "kh-260512167_002_773579",
    ]
    assert list(table["name"]) == [
        "Josephs-Hospital Warendorf",
        "Helios Klinik Zerbst/Anhalt GmbH",
        "Gemeinschaftsklinikum Mittelrhein gGmbH – St. Elisabeth",
        "Schön Klinik Neustadt",
        "Tagesklinik Meerbusch – Alexianer-Klinik Meerbusch GmbH",
    ]
    assert (table["kind"] == "hospital").all()
    assert table["capacity"].isna().all()
    assert (table["capacity_unit"] == "Betten").all()
    assert table["ags"].isna().all()
    assert table["departments"].isna().all()
    assert table.crs == "EPSG:25832"
    expected = gpd.GeoSeries.from_xy([8.002352893336], [51.960420529706], crs=4326).to_crs(25832)
    assert table.geometry.iloc[0].distance(expected.iloc[0]) < 0.01
    message = " ".join(result.messages)
    assert "1 Standort-IDs mehrfach; 1 Zeilen wiederholen" in message
    assert "1 weichen in Standortname oder Koordinaten ab" in message
    assert "erste Wiederholung: Zeile 6" in message
    prov = result.provenance["facilities"]
    assert prov.notes is not None
    assert "Stichtag der Standortliste 2020-03-08" in prov.notes
    assert "Eurostat" in prov.attribution


def test_bed_counts_and_departments_when_present(tmp_path: Path) -> None:
    text = csv_text(ROWS[:2], beds="250").replace(",,,,,,,,,08/03", ",,,,,Innere Medizin,,,,08/03")
    table = hospitals.read([write_csv(tmp_path / "x.csv", text)]).tables["facilities"]
    assert list(table["capacity"]) == [250.0, 250.0]
    assert list(table["departments"]) == ["Innere Medizin", "Innere Medizin"]


def test_reads_the_gisco_geopackage(tmp_path: Path) -> None:
    frame = pd.read_csv(io.StringIO(csv_text()), dtype=str, keep_default_na=False)
    points = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float))
    gpkg = tmp_path / "DE_healthcare.gpkg"
    gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326").to_file(gpkg, layer="type")
    from_gpkg = hospitals.read([gpkg]).tables["facilities"]
    from_csv = hospitals.read([write_csv(tmp_path / "h.csv", csv_text())]).tables["facilities"]
    pd.testing.assert_frame_equal(
        from_gpkg.drop(columns="geometry"), from_csv.drop(columns="geometry")
    )
    assert from_gpkg.geometry.distance(from_csv.geometry).max() < 0.01


def test_csv_and_geopackage_together_give_each_site_once(tmp_path: Path) -> None:
    frame = pd.read_csv(io.StringIO(csv_text()), dtype=str, keep_default_na=False)
    points = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float))
    gpkg = tmp_path / "DE_healthcare.gpkg"
    gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326").to_file(gpkg, layer="type")
    csv = write_csv(tmp_path / "DE_healthcare.csv", csv_text())
    result = hospitals.read([csv, gpkg])
    assert len(result.tables["facilities"]) == 5
    assert any("5 Standorte schon aus einer anderen Datei" in m for m in result.messages)


def test_excel_copy_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    text = csv_text(ROWS[:2]).replace(",", ";")
    text = text.replace("51.960420529706", "51,960420529706").replace("8.002352893336", "8,0023")
    table = hospitals.read([write_csv(tmp_path / "h.csv", text)]).tables["facilities"]
    assert len(table) == 2
    assert table.geometry.iloc[0].y == pytest.approx(5_757_106, abs=20)


def test_rows_without_coordinates_are_skipped_and_counted(tmp_path: Path) -> None:
    rows = [*ROWS[:2], ("260000000_001_770000", "Ohne Ort", "Hauptstandort", "", "", "X")]
    result = hospitals.read([write_csv(tmp_path / "h.csv", csv_text(rows))])
    assert len(result.tables["facilities"]) == 2
    assert any("1 Standorte ohne Koordinaten übergangen (Zeilen 4)" in m for m in result.messages)


def test_other_countries_are_skipped(tmp_path: Path) -> None:
    text = csv_text(ROWS[:2])
    lines = text.splitlines()
    lines[2] = lines[2].replace(",DE,Germany,", ",AT,Austria,")
    result = hospitals.read([write_csv(tmp_path / "EU.csv", "\n".join(lines) + "\n")])
    assert len(result.tables["facilities"]) == 1
    assert any("1 Standorte außerhalb Deutschlands" in m for m in result.messages)


def test_csv_without_coordinate_columns(tmp_path: Path) -> None:
    frame = pd.read_csv(io.StringIO(csv_text()), dtype=str, keep_default_na=False)
    path = tmp_path / "DE_healthcare.csv"
    frame.drop(columns=["lat", "lon"]).to_csv(path, index=False)
    with pytest.raises(SourceError, match=r"DE_healthcare\.csv, Zeile 1, Spalte 'lat'.*lat, lon"):
        hospitals.read([path])


def test_wrong_delimiter(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", csv_text(ROWS[:2]).replace(",", "\t"))
    with pytest.raises(SourceError, match="Nur eine Spalte erkannt: Trennzeichen prüfen"):
        hospitals.read([path])


def test_coordinate_that_is_no_number_names_line_and_column(tmp_path: Path) -> None:
    rows = [*ROWS[:2], ("260000000_001_770000", "Klinik", "Klinik", "52.1", "7°30'", "X")]
    with pytest.raises(SourceError, match=r"Zeile 4, Spalte 'lon': \"7°30'\" ist keine"):
        hospitals.read([write_csv(tmp_path / "h.csv", csv_text(rows))])


def test_cp1252_file_gets_an_encoding_hint(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", csv_text(), encoding="cp1252")
    with pytest.raises(SourceError, match="--encoding cp1252"):
        hospitals.read([path])
    table = hospitals.read([path], encoding="cp1252").tables["facilities"]
    assert "Schön Klinik Neustadt" in set(table["name"])


def test_bad_and_negative_bed_counts(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"Zeile 2, Spalte 'cap_beds': 'viele'"):
        hospitals.read([write_csv(tmp_path / "a.csv", csv_text(ROWS[:1], beds="viele"))])
    with pytest.raises(SchemaViolation, match=r"Zeile 2, Spalte 'capacity'"):
        hospitals.read([write_csv(tmp_path / "b.csv", csv_text(ROWS[:1], beds="-5"))])


def test_missing_id_and_unparsable_csv(tmp_path: Path) -> None:
    rows = [("", "Klinik", "Klinik", "52.1", "7.5", "X")]
    with pytest.raises(SourceError, match=r"Zeile 2, Spalte 'id': Standort-ID fehlt"):
        hospitals.read([write_csv(tmp_path / "a.csv", csv_text(rows))])
    broken = csv_text(ROWS[:2]) + "260000000_001_770000" + ",Klinik" * 30 + "\n"
    with pytest.raises(SourceError, match=r"Zeile 4: CSV nicht lesbar"):
        hospitals.read([write_csv(tmp_path / "b.csv", broken)])


def test_geopackage_without_hospital_layer_or_crs(tmp_path: Path) -> None:
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"x": [1]}, geometry=gpd.points_from_xy([8], [50]), crs=4326).to_file(other)
    with pytest.raises(SourceError, match="Keine Ebene mit den Spalten id, hospital_name"):
        hospitals.read([other])
    frame = pd.read_csv(io.StringIO(csv_text(ROWS[:1])), dtype=str, keep_default_na=False)
    no_crs = tmp_path / "DE_healthcare.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([8.0], [52.0])).to_file(no_crs)
    with pytest.raises(SourceError, match="Koordinatensystem oder Geometrie fehlt"):
        hospitals.read([no_crs])


def test_detect(tmp_path: Path) -> None:
    assert hospitals.detect(tmp_path / "DE_healthcare.csv")
    assert hospitals.detect(tmp_path / "EU_healthcare.gpkg")
    assert hospitals.detect(write_csv(tmp_path / "kliniken.csv", csv_text(ROWS[:1])))
    assert not hospitals.detect(write_csv(tmp_path / "other.csv", "a,b\n1,2\n"))
    assert not hospitals.detect(tmp_path / "missing.csv")
    assert not hospitals.detect(tmp_path / "VG250_GEM.shp")


@pytest.mark.realdata
def test_gisco_2020(real_data: Path) -> None:
    path = real_data / "hospitals" / "DE_healthcare.csv"
    start = time.perf_counter()
    result = hospitals.read([path])
    elapsed = time.perf_counter() - start
    table = result.tables["facilities"]
    assert len(pd.read_csv(path, dtype=str)) == 2_809  # rows as published
    assert len(table) == 2_761  # distinct Standort-IDs (48 ids appear twice)
    assert table["facility_id"].is_unique
    assert any("48 Standort-IDs mehrfach; 31 Zeilen" in m for m in result.messages)
    minx, miny, maxx, maxy = table.total_bounds
    assert minx > 250_000  # EPSG:25832 extent of Germany
    assert maxx < 950_000
    assert miny > 5_200_000
    assert maxy < 6_110_000
    assert table["capacity"].isna().all()
    gpkg = hospitals.read([real_data / "hospitals" / "DE_healthcare.gpkg"]).tables["facilities"]
    assert set(gpkg["facility_id"]) == set(table["facility_id"])
    assert elapsed < 30
