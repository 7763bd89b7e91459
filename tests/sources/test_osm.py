"""OpenStreetMap facilities: extracts written here as OSM XML (and converted to PBF/gzip)."""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest

from regiowerk.schema import FACILITY_KINDS
from regiowerk.sources import osm
from regiowerk.sources.base import SourceError

osmium = pytest.importorskip("osmium")

LON, LAT = 11.28, 49.51  # Lauf a. d. Pegnitz
STEP = 0.001


def node(nid: int, dx: float, dy: float, **tags: str) -> str:
    tag_xml = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return (
        f'<node id="{nid}" version="1" timestamp="2019-11-07T10:00:00Z" '
        f'lat="{LAT + dy * STEP:.7f}" lon="{LON + dx * STEP:.7f}">{tag_xml}</node>'
    )


def way(wid: int, refs: list[int], **tags: str) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    tag_xml = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{wid}" version="1" timestamp="2018-01-01T00:00:00Z">{nds}{tag_xml}</way>'


def extract() -> str:
    """A small extract: every rule, both school cascades, a closed way, an open way, a
    multipolygon relation, a way cut at the extract's border and a non-area relation."""
    nodes = [
        node(1, 0, 0, amenity="pharmacy", name="Stadtapotheke"),
        node(2, 1, 0, amenity="doctors", healthcare__speciality="general", name="Dr. A"),
        node(3, 2, 0, healthcare="doctor", healthcare__speciality="Allgemeinmedizin;innere"),
        node(4, 3, 0, amenity="doctors", healthcare__speciality="orthopaedics", name="Dr. B"),
        node(5, 4, 0, amenity="doctors", name="Dr. C"),
        node(6, 5, 0, amenity="school", school__de="Grundschule", name="Schule am Berg"),
        node(7, 6, 0, amenity="school", isced__level="1;2", name="Gesamtschule Ost"),
        node(8, 7, 0, amenity="school", name="Grund- und Mittelschule Lauf"),
        node(9, 8, 0, amenity="school", name="Bertleinschule"),
        node(10, 9, 0, highway="bus_stop", public_transport="platform", name="Markt"),
        node(11, 10, 0, railway="halt", name="Lauf West"),
        node(12, 11, 0, amenity="kindergarten"),
        node(13, 12, 0, shop="supermarket", amenity="pharmacy", name="Markt mit Apotheke"),
        node(14, 13, 0, amenity="school", school__de="Förderschule", name="Förderzentrum"),
        # corners of a square way (school), of a multipolygon (hospital), an open platform
        *(node(100 + i, x, y) for i, (x, y) in enumerate([(0, 10), (2, 10), (2, 12), (0, 12)])),
        *(node(200 + i, x, y) for i, (x, y) in enumerate([(10, 10), (14, 10), (14, 14), (10, 14)])),
        node(300, 20, 20),
        node(301, 22, 20),
    ]
    ways = [
        way(
            1000, [100, 101, 102, 103, 100], amenity="school", name="Christoph-Jacob-Treu-Gymnasium"
        ),
        way(1001, [200, 201, 202, 203, 200]),
        way(1002, [300, 301], public_transport="platform", highway="platform"),
        way(1003, [300, 999], public_transport="platform"),  # node 999 is outside the extract
    ]
    relations = [
        '<relation id="5000" version="1" timestamp="2017-01-01T00:00:00Z">'
        '<member type="way" ref="1001" role="outer"/><tag k="type" v="multipolygon"/>'
        '<tag k="amenity" v="hospital"/><tag k="name" v="Krankenhaus Lauf"/></relation>',
        '<relation id="5001" version="1" timestamp="2017-01-01T00:00:00Z">'
        '<member type="node" ref="1" role=""/><tag k="type" v="site"/>'
        '<tag k="amenity" v="hospital"/></relation>',
    ]
    body = "\n".join([*nodes, *ways, *relations])
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n{body}\n</osm>\n"


@pytest.fixture
def xml(tmp_path: Path) -> Path:
    path = tmp_path / "lauf.osm"
    path.write_text(extract(), encoding="utf-8")
    return path


def by_id(path: Path, **kwargs: object) -> gpd.GeoDataFrame:
    return osm.read([path], **kwargs).tables["facilities"].set_index("facility_id")


def test_kinds_ids_and_names(xml: Path) -> None:
    table = by_id(xml)
    kinds = table["kind"].to_dict()
    assert kinds == {
        "osm-n1": "pharmacy",
        "osm-n2": "gp",
        "osm-n3": "gp",
        "osm-n6": "primary_school",
        "osm-n7-primary_school": "primary_school",
        "osm-n7-secondary_school": "secondary_school",
        "osm-n8-primary_school": "primary_school",
        "osm-n8-secondary_school": "secondary_school",
        "osm-n9-primary_school": "primary_school",
        "osm-n9-secondary_school": "secondary_school",
        "osm-n10": "pt_stop",
        "osm-n11": "pt_stop",
        "osm-n12": "kindergarten",
        "osm-n13-pharmacy": "pharmacy",
        "osm-n13-supermarket": "supermarket",
        "osm-n14-primary_school": "primary_school",
        "osm-n14-secondary_school": "secondary_school",
        "osm-w1000": "secondary_school",
        "osm-w1002": "pt_stop",
        "osm-r5000": "hospital",
    }
    assert table.loc["osm-n3", "name"] == "Hausarztpraxis"  # no name tag: German label
    assert table.loc["osm-n12", "name"] == "Kindertageseinrichtung"
    assert table.loc["osm-r5000", "name"] == "Krankenhaus Lauf"
    assert set(table["kind"]) <= set(FACILITY_KINDS)
    assert table["ags"].isna().all()
    assert table["capacity"].isna().all()


def test_positions_are_nodes_and_centroids_in_utm32(xml: Path) -> None:
    table = by_id(xml)
    assert table.crs == "EPSG:25832"

    def utm(dx: float, dy: float) -> tuple[float, float]:
        point = gpd.GeoSeries.from_xy([LON + dx * STEP], [LAT + dy * STEP], crs=4326)
        projected = point.to_crs(25832).iloc[0]
        return projected.x, projected.y

    def at(fid: str) -> tuple[float, float]:
        return table.geometry[fid].x, table.geometry[fid].y

    assert at("osm-n1") == pytest.approx(utm(0, 0), abs=0.01)
    assert at("osm-w1000") == pytest.approx(utm(1, 11), abs=0.5)  # centre of the square
    assert at("osm-r5000") == pytest.approx(utm(12, 12), abs=0.5)  # centre of the area
    assert at("osm-w1002") == pytest.approx(utm(21, 20), abs=0.5)  # middle of the line


def test_messages_count_what_was_left_out(xml: Path) -> None:
    messages = " | ".join(osm.read([xml]).messages)
    assert "2 Objekte mit amenity=doctors oder healthcare=doctor ohne healthcare:speciality" in (
        messages
    )
    assert "6 Schulen (amenity=school): Schulart aus Tags bei 3, aus dem Namen bei 2, " in messages
    assert "unbestimmt bei 1 (übernommen als Grundschule und Weiterführende Schule)" in messages
    assert "ergibt 5 Einträge als Grundschule und 5 als weiterführende Schule" in messages
    assert "2 zugeordnete Objekte ohne Geometrie übergangen" in messages  # w1003 and r5001


def test_provenance(xml: Path) -> None:
    prov = osm.read([xml]).provenance["facilities"]
    assert prov.attribution == "© OpenStreetMap-Mitwirkende"
    assert prov.licence == "Open Database License (ODbL) 1.0"
    assert prov.source_files == ("lauf.osm",)
    assert prov.notes is not None
    assert "osm_tags.toml (regiowerk-Standard)" in prov.notes
    assert "2019-11-07" in prov.notes


def test_pbf_and_gzip_give_the_same_facilities(xml: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "lauf.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(xml):
        writer.add(obj)
    writer.close()
    gz = tmp_path / "lauf.osm.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    expected = by_id(xml)
    for path in (pbf, gz):
        table = by_id(path)
        assert table.drop(columns="geometry").equals(expected.drop(columns="geometry"))
        assert table.geometry.distance(expected.geometry).max() < 0.5


def test_overlapping_extracts_give_each_object_once(xml: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.osm"
    copy.write_bytes(xml.read_bytes())
    result = osm.read([xml, copy])
    assert result.tables["facilities"]["facility_id"].is_unique
    assert any("20 Einrichtungen schon aus einer anderen Datei" in m for m in result.messages)


def test_truncated_xml_names_file_and_line(xml: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.osm"
    cut.write_text(xml.read_text(encoding="utf-8")[:600], encoding="utf-8")
    with pytest.raises(SourceError, match=r"cut\.osm, Zeile \d+: OSM-Datei nicht lesbar"):
        osm.read([cut])


def test_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.osm"
    path.write_text("Das ist keine OSM-Datei.\n")
    with pytest.raises(SourceError, match=r"kaputt\.osm, Zeile 1: OSM-Datei nicht lesbar"):
        osm.read([path])


def test_truncated_pbf(xml: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "lauf.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(xml):
        writer.add(obj)
    writer.close()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[:200])
    with pytest.raises(SourceError, match=r"cut\.osm\.pbf: OSM-Datei nicht lesbar"):
        osm.read([cut])
    with pytest.raises(SourceError, match="Datei nicht gefunden"):
        osm.read([tmp_path / "fehlt.osm.pbf"])


def test_extract_without_facilities(tmp_path: Path) -> None:
    path = tmp_path / "leer.osm"
    path.write_text("<?xml version='1.0'?>\n<osm version=\"0.6\">\n" + node(1, 0, 0) + "\n</osm>")
    result = osm.read([path])
    assert len(result.tables["facilities"]) == 0
    assert result.tables["facilities"].crs == "EPSG:25832"


MINIMAL = """
[labels]
pharmacy = "Apotheke"
primary_school = "Grundschule"
secondary_school = "Weiterführende Schule"

[[rule]]
kind = "pharmacy"
tags = { amenity = ["pharmacy"] }
"""


def test_user_mapping_replaces_the_default(xml: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "tags.toml"
    mapping.write_text(
        MINIMAL
        + """
[schools]
tags = { amenity = ["school"] }
unclassified = []
[schools.by_name]
'GYMNASIUM' = ["secondary_school"]
'\\Bzentrum' = []
""",
        encoding="utf-8",
    )
    result = osm.read([xml], tags=mapping)
    table = result.tables["facilities"].set_index("facility_id")
    assert table["kind"].to_dict() == {
        "osm-n1": "pharmacy",
        "osm-n13": "pharmacy",
        "osm-w1000": "secondary_school",
    }
    # patterns keep their case (\B is not \b): "Förderzentrum" is decided by name, then skipped
    assert any("aus dem Namen bei 2, unbestimmt bei 4 (übergangen)" in m for m in result.messages)
    assert any("5 Objekte ohne passende Schulart übergangen" in m for m in result.messages)
    notes = result.provenance["facilities"].notes
    assert notes is not None
    assert "tags.toml (Nutzerdatei)" in notes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL + '[[rule]]\nkind = "doctor"\ntags = { amenity = ["doctors"] }\n',
            r"tags\.toml: Regel 2 \(kind 'doctor'\): unbekannte Art 'doctor'; erlaubt: gp",
        ),
        (MINIMAL + "[[rule]]\nkind = 'gp'\n", r"Regel 2 \(kind 'gp'\): 'tags' fehlt"),
        (
            MINIMAL + '[[rule]]\nkind = "gp"\ntags = { amenity = "doctors" }\n',
            r"Regel 2 \(kind 'gp'\), tags: erwartet",
        ),
        (MINIMAL + '[[rule]]\nkind = "gp"\nfarbe = 1\n', r"Regel 2: unbekannter Eintrag 'farbe'"),
        (
            MINIMAL + '[[rule]]\nkind = "gp"\ntags = { amenity = ["doctors"] }\n',
            r"\[labels\]: Bezeichnung fehlt für gp",
        ),
        (MINIMAL + "[schools]\ntags = { amenity = ['school'] }\nunclassified = ['school']\n",
         r"\[schools\], unclassified: unbekannte Art 'school'"),
        (
            MINIMAL + "[schools]\ntags = { amenity = ['school'] }\n[schools.by_name]\n'(' = []\n",
            r"Muster '\(' ist kein regulärer Ausdruck",
        ),
        (
            MINIMAL
            + "[schools]\ntags = { amenity = ['school'] }\n[[schools.by_tag]]\n"
            + "key = 'school:de'\n[schools.by_tag.values]\ngrundschule = ['grundschule']\n",
            r"\[\[schools\.by_tag\]\] 1 \(key 'school:de'\), 'grundschule': unbekannte Art",
        ),
        (MINIMAL + "[[rule\n", r"tags\.toml, Zeile 10: Tag-Zuordnung ist kein gültiges TOML"),
        ("[labels]\n", "ohne \\[\\[rule\\]\\] und ohne \\[schools\\]"),
    ],
)  # fmt: skip
def test_bad_mapping_file_names_file_and_rule(
    xml: Path, tmp_path: Path, text: str, message: str
) -> None:
    mapping = tmp_path / "tags.toml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        osm.read([xml], tags=mapping)


def test_without_pyosmium(xml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "osmium", None)  # as if not installed
    with pytest.raises(SourceError, match="fehlt das Paket 'osmium'"):
        osm.read([xml])


def test_missing_mapping_file(xml: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"fehlt\.toml: Tag-Zuordnung nicht lesbar"):
        osm.read([xml], tags=tmp_path / "fehlt.toml")


def test_default_mapping_covers_every_kind() -> None:
    mapping = osm.load_tag_mapping()
    kinds = {rule.kind for rule in mapping.rules} | {"primary_school", "secondary_school"}
    assert kinds == set(FACILITY_KINDS)
    assert set(mapping.labels) == set(FACILITY_KINDS)


def test_detect(tmp_path: Path, xml: Path) -> None:
    assert osm.detect(xml)
    for name in ("a.osm.pbf", "b.osm.gz", "c.osm.bz2", "D.OSM"):
        assert osm.detect(tmp_path / name)
    tiles = tmp_path / "tiles.pbf"
    tiles.write_bytes(b"\x1a\x05water")  # a vector tile, not OSM
    assert not osm.detect(tiles)
    header = tmp_path / "extract.pbf"
    header.write_bytes(b"\x00\x00\x00\x0d\x0a\x09OSMHeader\x18")
    assert osm.detect(header)
    assert not osm.detect(tmp_path / "missing.pbf")
    assert not osm.detect(tmp_path / "VG250_GEM.shp")


@pytest.mark.realdata
def test_lauf_extract_has_its_fifteen_schools(real_data: Path) -> None:
    start = time.perf_counter()
    result = osm.read([real_data / "osm" / "lauf-200115.osm.pbf"])
    elapsed = time.perf_counter() - start
    table = result.tables["facilities"]
    schools = table[table["kind"].isin(["primary_school", "secondary_school"])]
    objects = schools["facility_id"].str.replace(r"-(primary|secondary)_school$", "", regex=True)
    assert objects.nunique() == 15  # 2 nodes + 13 ways tagged amenity=school
    assert (schools["kind"] == "primary_school").sum() == 10
    assert (schools["kind"] == "secondary_school").sum() == 14
    counts = table["kind"].value_counts().to_dict()
    assert counts["gp"] == 2  # of 12 doctors, only 2 say healthcare:speciality=general
    assert counts["hospital"] == 1  # Krankenhaus Lauf, a multipolygon relation
    assert counts["pharmacy"] == 8
    assert table.crs == "EPSG:25832"
    assert elapsed < 10


@pytest.mark.realdata
def test_bautzen_xml(real_data: Path) -> None:
    table = osm.read([real_data / "osm" / "bautzen.osm"]).tables["facilities"]
    assert table["facility_id"].tolist() == ["osm-n1068041008"]
    assert table["kind"].tolist() == ["pt_stop"]
    assert table["name"].tolist() == ["Bautzen Abzw Seidau"]
