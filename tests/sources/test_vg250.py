"""BKG Verwaltungsgebiete (VG250/VG5000): files written here in the published layout."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from regiowerk.ags import AgsPaddedWarning
from regiowerk.errors import AgsError
from regiowerk.schema import validate
from regiowerk.sources import vg250
from regiowerk.sources.base import SourceError

KM = 1000.0


WSK = [(2008, 1, 1), (2008, 1, 1), (2019, 7, 1), (2019, 7, 1), (2010, 1, 1)]
"""Wirksamkeit of the five features (Date fields come back as text from a shapefile)."""


def gem_frame(crs: str | None = "EPSG:25832") -> gpd.GeoDataFrame:
    """Three municipalities in the attribute layout of VG250_GEM (UTM 32 coordinates).

    01001000 has a land part (GF 4) and a water part (GF 2), 01051001 consists of two
    separate land parts (GF 4), 01051002 is one square.
    """
    x, y = 500 * KM, 6000 * KM
    rows = [
        ("01001000", "Flensburg", "Stadt", 4, box(x, y, x + 2 * KM, y + 2 * KM)),
        ("01001000", "Flensburg", "Stadt", 2, box(x + 2 * KM, y, x + 3 * KM, y + 2 * KM)),
        ("01051001", "Albersdorf", "Gemeinde", 4, box(x, y + 5 * KM, x + KM, y + 6 * KM)),
        (
            "01051001",
            "Albersdorf",
            "Gemeinde",
            4,
            box(x + 3 * KM, y + 5 * KM, x + 4 * KM, y + 6 * KM),
        ),
        ("01051002", "Arkebek", "Gemeinde", 4, box(x, y + 8 * KM, x + 3 * KM, y + 9 * KM)),
    ]
    return gpd.GeoDataFrame(
        {
            "OBJID": [f"DEBKGVG2000000{i}" for i in range(len(rows))],
            "ADE": 6,
            "GF": [r[3] for r in rows],
            "AGS": [r[0] for r in rows],
            "GEN": [r[1] for r in rows],
            "BEZ": [r[2] for r in rows],
            "NBD": "ja",
            "WSK": [dt.date(*d) for d in WSK],
        },
        geometry=[r[4] for r in rows],
        crs=crs,
    )


def krs_frame() -> gpd.GeoDataFrame:
    x, y = 500 * KM, 6000 * KM
    return gpd.GeoDataFrame(
        {
            "GF": [4, 4, 4],
            "AGS": ["01001", "01051", "08236"],
            "GEN": ["Flensburg", "Dithmarschen", "Enzkreis"],
            "BEZ": ["Kreisfreie Stadt", "Kreis", "Landkreis"],
            "NBD": ["ja", "ja", "nein"],
        },
        geometry=[
            box(x, y, x + 3 * KM, y + 2 * KM),
            box(x, y + 5 * KM, x + 4 * KM, y + 9 * KM),
            box(x + 10 * KM, y, x + 11 * KM, y + KM),
        ],
        crs="EPSG:25832",
    )


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, **kwargs)
    return path


@pytest.fixture
def shapefiles(tmp_path: Path) -> tuple[Path, Path]:
    """VG250_GEM.shp and VG250_KRS.shp in vg250_ebenen_0101/, aktualitaet.txt one level up."""
    folder = tmp_path / "vg250_01-01.utm32s.shape.ebenen" / "vg250_ebenen_0101"
    gem = write(gem_frame(), folder / "VG250_GEM.shp")
    krs = write(krs_frame(), folder / "VG250_KRS.shp")
    (folder.parent / "aktualitaet.txt").write_text("01.01.2021\n\n")
    return gem, krs


def test_reads_land_areas_dissolved_into_one_row_per_municipality(
    shapefiles: tuple[Path, Path],
) -> None:
    result = vg250.read(list(shapefiles))
    gem = result.tables["municipalities"]
    assert list(gem["ags"]) == ["01001000", "01051001", "01051002"]
    assert list(gem["kreis"]) == ["01001", "01051", "01051"]
    assert list(gem["land"]) == ["01", "01", "01"]
    assert list(gem["name"]) == ["Flensburg", "Albersdorf", "Arkebek"]
    assert gem.crs == "EPSG:25832"
    assert gem["centrality"].isna().all()
    # the water part (GF 2) is not counted; the two parts of Albersdorf are one MultiPolygon
    assert gem["area_km2"].to_numpy() == pytest.approx([4.0, 2.0, 3.0], rel=2e-3)
    assert gem.geometry.iloc[1].geom_type == "MultiPolygon"
    assert gem.geometry.iloc[0].bounds[2] == pytest.approx(502 * KM)
    assert any("1 mit GF 2" in m for m in result.messages)
    assert any("1 Gebiete aus 2 Teilflächen" in m for m in result.messages)
    validate("municipalities", gem)


def test_kreise_are_labelled_by_bkg_namensbildung(shapefiles: tuple[Path, Path]) -> None:
    kreise = vg250.read(list(shapefiles)).tables["kreise"]
    assert list(kreise["kreis"]) == ["01001", "01051", "08236"]
    assert list(kreise["name"]) == ["Kreisfreie Stadt Flensburg", "Kreis Dithmarschen", "Enzkreis"]
    assert list(kreise["land"]) == ["01", "01", "08"]


def test_provenance_gebietsstand_from_aktualitaet_txt(shapefiles: tuple[Path, Path]) -> None:
    prov = vg250.read(list(shapefiles)).provenance["municipalities"]
    assert prov.gebietsstand == "2021-01-01"
    assert prov.attribution == "© GeoBasis-DE / BKG 2021 (Daten verändert)"
    assert "dl-de/by-2-0" in prov.licence
    assert prov.source == "BKG Verwaltungsgebiete 1:250 000 (VG250)"
    assert prov.source_files == ("VG250_GEM.shp",)


def test_gebietsstand_falls_back_to_latest_wsk(tmp_path: Path) -> None:
    gem = write(gem_frame(), tmp_path / "vg5000_gem.shp")
    prov = vg250.read([gem]).provenance["municipalities"]
    assert prov.gebietsstand == "2019-07-01"
    assert prov.notes is not None
    assert "WSK" in prov.notes
    assert prov.source == "BKG Verwaltungsgebiete 1:5 000 000 (VG5000)"


def test_detect(tmp_path: Path, shapefiles: tuple[Path, Path]) -> None:
    gem, krs = shapefiles
    assert vg250.detect(gem)
    assert vg250.detect(krs)
    assert vg250.detect(tmp_path / "vg5000_krs.shp")
    assert vg250.detect(tmp_path / "DE_VG250.gpkg")
    assert not vg250.detect(gem.with_suffix(".dbf"))
    assert not vg250.detect(tmp_path / "VG250_LAN.shp")
    assert not vg250.detect(tmp_path / "other.gpkg")  # missing file: False, no exception
    (tmp_path / "broken.gpkg").write_text("kein GeoPackage")
    assert not vg250.detect(tmp_path / "broken.gpkg")


def test_geopackage_in_wgs84_is_reprojected(tmp_path: Path) -> None:
    gpkg = tmp_path / "DE_VG250.gpkg"
    write(gem_frame().to_crs("EPSG:4326"), gpkg, layer="vg250_gem")
    write(krs_frame().to_crs("EPSG:4326"), gpkg, layer="vg250_krs")
    result = vg250.read([gpkg])
    gem = result.tables["municipalities"]
    assert gem.crs == "EPSG:25832"
    assert gem.geometry.iloc[2].bounds == pytest.approx((500 * KM, 6008 * KM, 503 * KM, 6009 * KM))
    assert gem["area_km2"].to_numpy() == pytest.approx([4.0, 2.0, 3.0], rel=2e-3)
    assert list(result.tables["kreise"]["kreis"]) == ["01001", "01051", "08236"]


def test_other_crs_is_reprojected(tmp_path: Path) -> None:
    """VG5000 2021 is published in Gauß-Krüger zone 3 (EPSG:31467)."""
    gem = write(gem_frame().to_crs("EPSG:31467"), tmp_path / "VG5000_GEM.shp")
    out = vg250.read([gem]).tables["municipalities"]
    assert out.crs == "EPSG:25832"
    assert out.geometry.iloc[2].bounds == pytest.approx(
        (500 * KM, 6008 * KM, 503 * KM, 6009 * KM), abs=5
    )


def test_missing_prj_is_an_error_unless_crs_given(tmp_path: Path) -> None:
    gem = write(gem_frame(), tmp_path / "VG250_GEM.shp")
    gem.with_suffix(".prj").unlink()
    with pytest.raises(SourceError, match=r"VG250_GEM\.shp.*Koordinatensystem fehlt"):
        vg250.read([gem])
    out = vg250.read([gem], crs="EPSG:25832").tables["municipalities"]
    assert out.crs == "EPSG:25832"
    assert len(out) == 3


def test_crs_argument_conflicting_with_prj_is_an_error(shapefiles: tuple[Path, Path]) -> None:
    with pytest.raises(SourceError, match="verlangt wurde EPSG:4326"):
        vg250.read([shapefiles[0]], crs="EPSG:4326")
    with pytest.raises(SourceError, match="Unbekanntes Koordinatensystem"):
        vg250.read([shapefiles[0]], crs="EPSG:999999")


def test_empty_geometry_names_row_and_ags(tmp_path: Path) -> None:
    frame = gem_frame()
    frame.loc[4, "geometry"] = Polygon()
    gem = write(frame, tmp_path / "VG250_GEM.shp")
    with pytest.raises(SourceError, match=r"Zeile 5: .*Zeile 5 \(AGS 01051002\)"):
        vg250.read([gem])


def test_invalid_geometry_is_repaired_and_counted(tmp_path: Path) -> None:
    frame = gem_frame()
    x, y = 500 * KM, 6008 * KM
    bow_tie = Polygon([(x, y), (x + KM, y + KM), (x + KM, y), (x, y + KM)])
    assert not bow_tie.is_valid
    frame.loc[4, "geometry"] = bow_tie
    gem = write(frame, tmp_path / "VG250_GEM.shp")
    result = vg250.read([gem])
    out = result.tables["municipalities"].set_index("ags")
    assert out.geometry["01051002"].is_valid
    assert out.geometry["01051002"].geom_type == "MultiPolygon"
    assert out.loc["01051002", "area_km2"] == pytest.approx(0.5, rel=2e-3)
    assert any(
        "1 ungültige Geometrie(n)" in m and "Zeile 5 (AGS 01051002)" in m for m in result.messages
    )


def test_lost_leading_zero_is_restored_with_warning(tmp_path: Path) -> None:
    frame = gem_frame()
    frame["AGS"] = frame["AGS"].str.lstrip("0")  # as after a round trip through Excel
    # (4 land features are read; the water part of 01001000 is skipped before)
    gem = write(frame, tmp_path / "VG250_GEM.shp")
    with pytest.warns(AgsPaddedWarning, match="4 AGS mit 7 Ziffern"):
        out = vg250.read([gem]).tables["municipalities"]
    assert list(out["ags"]) == ["01001000", "01051001", "01051002"]


def test_invalid_ags_names_file_column_and_row(tmp_path: Path) -> None:
    frame = gem_frame()
    frame.loc[4, "AGS"] = "99051002"
    gem = write(frame, tmp_path / "VG250_GEM.shp")
    with pytest.raises(AgsError, match=r"VG250_GEM\.shp.*'AGS'.*Zeile 5: '99051002'"):
        vg250.read([gem])


def test_bad_geofaktor_and_missing_columns(tmp_path: Path) -> None:
    frame = gem_frame()
    frame["GF"] = frame["GF"].astype(str)
    frame.loc[1, "GF"] = "Land"
    bad = write(frame, tmp_path / "a" / "VG250_GEM.shp")
    with pytest.raises(SourceError, match=r"Zeile 2, Spalte 'GF'.*'Land' ist keine Zahl"):
        vg250.read([bad])
    missing = write(gem_frame().drop(columns="GF"), tmp_path / "b" / "VG250_GEM.shp")
    with pytest.raises(SourceError, match=r"Spalte\(n\) GF fehlen"):
        vg250.read([missing])


def test_only_water_is_an_error(tmp_path: Path) -> None:
    frame = gem_frame()
    frame["GF"] = 2
    gem = write(frame, tmp_path / "VG250_GEM.shp")
    with pytest.raises(SourceError, match=r"keine Landflächen \(GF 4 oder 9\)"):
        vg250.read([gem])


def test_encoding_overrides_the_cpg(tmp_path: Path) -> None:
    frame = gem_frame()
    frame.loc[4, "GEN"] = "Großenaspe"
    gem = write(frame, tmp_path / "VG250_GEM.shp", encoding="cp1252")
    gem.with_suffix(".cpg").write_text("UTF-8")  # wrong .cpg, as in re-packed copies
    with pytest.raises(SourceError, match=r"VG250_GEM\.shp: Attribute nicht als utf-8.*cp1252"):
        vg250.read([gem])
    out = vg250.read([gem], encoding="cp1252").tables["municipalities"]
    assert out["name"].iloc[2] == "Großenaspe"
    with pytest.raises(SourceError, match="Unbekannte Kodierung 'latin-99'"):
        vg250.read([gem], encoding="latin-99")


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    shp = tmp_path / "VG250_GEM.shp"
    shp.write_bytes(b"\x00" * 10)  # truncated shapefile without .dbf/.shx
    with pytest.raises(SourceError, match=r"VG250_GEM\.shp: nicht lesbar"):
        vg250.read([shp])
    other = write(gem_frame(), tmp_path / "gemeinden.gpkg", layer="gemeinden")
    with pytest.raises(SourceError, match="keine Ebene vg…_gem"):
        vg250.read([other])
    csv = tmp_path / "gemeinden.csv"
    csv.write_text("AGS;GEN\n")
    with pytest.raises(SourceError, match="Keine BKG-Verwaltungsgebiete"):
        vg250.read([csv])


@pytest.mark.realdata
def test_vg5000_2021(real_data: Path) -> None:
    folder = real_data / "vg5000_2021"
    start = time.perf_counter()
    result = vg250.read([folder / "VG5000_GEM.shp", folder / "VG5000_KRS.shp"])
    elapsed = time.perf_counter() - start
    gem, kreise = result.tables["municipalities"], result.tables["kreise"]
    assert gem.crs == "EPSG:25832"
    assert kreise.crs == "EPSG:25832"
    assert len(gem) == 10_997  # all GF 9 ("mit Struktur"), one feature per AGS
    assert len(kreise) == 401  # 01.01.2021: Eisenach still kreisfrei
    assert gem["area_km2"].sum() == pytest.approx(357_600, rel=0.01)
    assert result.provenance["municipalities"].gebietsstand == "2021-01-01"
    assert gem.geometry.is_valid.all()
    assert any("3 ungültige Geometrie(n)" in m for m in result.messages)
    gv = pd.read_csv(
        real_data / "gv_auszug" / "31122021_Auszug_GV.csv",
        sep=";",
        dtype=str,
        encoding="utf-8-sig",
    )
    gv = gv[gv["Satz-art"] == "60"]
    gv_ags = gv["Land"].str.zfill(2) + gv["RB"] + gv["Kreis"].str.zfill(2) + gv["Gem"].str.zfill(3)
    share = gem["ags"].isin(set(gv_ags)).mean()
    assert share >= 0.99
    assert elapsed < 30
