"""OSM networks: small extracts written here as OSM XML, and the real Lauf/Bayreuth extracts."""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from conftest import load_tool
from regiowerk.access import engine, osm_network
from regiowerk.access import network as net
from regiowerk.access.network import BIKE_KMH, WALK_KMH, Network, NetworkError
from regiowerk.access.osm_network import load_speeds, parse_maxspeed, read_networks
from regiowerk.access.snap import snap
from regiowerk.sources import osm
from regiowerk.sources.base import SourceError

osmium = pytest.importorskip("osmium")

LON, LAT = 11.28, 49.51  # Lauf a. d. Pegnitz
STEP = 0.001
Tags = dict[str, str]


def osm_xml(
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[list[int], Tags]],
    relations: Sequence[str] = (),
) -> str:
    """An extract: nodes at ``(dx, dy)`` steps from Lauf, ways ``(refs, tags)`` numbered 1000+."""
    parts = [
        f'<node id="{nid}" version="1" lat="{LAT + dy * STEP:.7f}" lon="{LON + dx * STEP:.7f}"/>'
        for nid, (dx, dy) in nodes.items()
    ]
    for number, (refs, tags) in enumerate(ways):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        parts.append(f'<way id="{1000 + number}" version="1">{nds}{tag_xml}</way>')
    body = "\n".join([*parts, *relations])
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n{body}\n</osm>\n"


def write(tmp_path: Path, text: str, name: str = "test.osm") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edge(network: Network, a: int, b: int) -> float | None:
    """Seconds of the edge from OSM node ``a`` to ``b``; ``None`` when there is none."""
    ids = list(network.node_id)
    if a not in ids or b not in ids:
        return None
    hit = (network.tail == ids.index(a)) & (network.head == ids.index(b))
    return float(network.seconds[hit][0]) if hit.any() else None


def length(network: Network, a: int, b: int) -> float:
    ids = list(network.node_id)
    i, j = ids.index(a), ids.index(b)
    return math.hypot(network.x[i] - network.x[j], network.y[i] - network.y[j])


def kmh(network: Network, a: int, b: int) -> float:
    seconds = edge(network, a, b)
    assert seconds is not None
    return length(network, a, b) / seconds * 3.6


# --- maxspeed ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.609344),
        ("30mph", 30 * 1.609344),
        ("DE:urban", 50.0),
        ("DE:rural", 100.0),
        ("DE:zone30", 30.0),
        ("DE:zone:30", 30.0),
        ("DE:living_street", 7.0),
        ("walk", 7.0),
        ("DE:bicycle_road", 30.0),
        ("none", 130.0),
        ("DE:motorway", 130.0),
        ("50;30", 30.0),
        ("signals", math.nan),
        ("schnell", None),
        ("0", None),
        ("50 furlongs", None),
        ("1000", None),
    ],
)
def test_parse_maxspeed(value: str, expected: float | None) -> None:
    parsed = parse_maxspeed(value, load_speeds())
    if expected is None:
        assert parsed is None
    elif math.isnan(expected):
        assert parsed is not None
        assert math.isnan(parsed)
    else:
        assert parsed == pytest.approx(expected)


def speed_extract() -> str:
    """A star of two-way primary roads from hub 0; one spoke inside a residential area (a
    closed way), one inside a village (a multipolygon relation)."""
    spokes = {
        1: {"maxspeed": "70"},
        2: {"maxspeed": "30 mph"},
        3: {"maxspeed": "DE:urban"},
        4: {"maxspeed": "DE:rural"},
        5: {"maxspeed": "DE:zone30"},
        6: {"maxspeed": "none"},
        7: {"maxspeed": "schnell"},
        8: {},
        9: {"maxspeed": "80", "maxspeed:forward": "60"},
        10: {"source:maxspeed": "DE:urban"},
    }
    nodes: dict[int, tuple[float, float]] = {0: (0, 0)}
    ways: list[tuple[list[int], Tags]] = []
    for i, tags in spokes.items():
        nodes[i] = (10, 2 * i)
        ways.append(([0, i], {"highway": "primary", **tags}))
    nodes[11] = (-10, 0)  # west: inside the residential area
    nodes[12] = (-10, -10)  # south-west: inside the village
    ways.append(([0, 11], {"highway": "primary"}))
    ways.append(([0, 12], {"highway": "primary"}))
    square = {50: (-8, -2), 51: (-2, -2), 52: (-2, 2), 53: (-8, 2)}
    village = {60: (-8, -8), 61: (-2, -8), 62: (-2, -2.5), 63: (-8, -2.5)}
    nodes.update(square)
    nodes.update(village)
    ways.append(([50, 51, 52, 53, 50], {"landuse": "residential"}))
    ways.append(([60, 61, 62, 63, 60], {}))
    village_way = 1000 + len(ways) - 1
    relation = (
        f'<relation id="5000" version="1"><member type="way" ref="{village_way}" role="outer"/>'
        '<tag k="type" v="multipolygon"/><tag k="place" v="village"/></relation>'
    )
    return osm_xml(nodes, ways, [relation])


def test_car_speeds_from_maxspeed_class_and_context(tmp_path: Path) -> None:
    car = read_networks(write(tmp_path, speed_extract()), ["car"])["car"]
    assert kmh(car, 0, 1) == pytest.approx(70)
    assert kmh(car, 0, 2) == pytest.approx(30 * 1.609344)
    assert kmh(car, 0, 3) == pytest.approx(50)
    assert kmh(car, 0, 4) == pytest.approx(100)
    assert kmh(car, 0, 5) == pytest.approx(30)
    assert kmh(car, 0, 6) == pytest.approx(130)
    assert kmh(car, 0, 7) == pytest.approx(80)  # unreadable: class speed, rural
    assert kmh(car, 0, 8) == pytest.approx(80)  # untagged: class speed, rural
    assert kmh(car, 0, 9) == pytest.approx(60)  # maxspeed:forward
    assert kmh(car, 9, 0) == pytest.approx(80)  # maxspeed for the other direction
    assert kmh(car, 0, 10) == pytest.approx(45)  # source:maxspeed=DE:urban: urban class speed
    assert kmh(car, 0, 11) == pytest.approx(45)  # midpoint inside landuse=residential
    assert kmh(car, 11, 0) == pytest.approx(45)
    assert kmh(car, 0, 12) == pytest.approx(45)  # midpoint inside the place=village relation
    notes = " ".join(car.notes)
    assert "4 von 12 Pkw-Wegen ohne Geschwindigkeitsangabe" in notes
    assert "1 Pkw-Wege mit nicht lesbarer Geschwindigkeitsangabe (z. B. maxspeed = 'schnell')" in (
        notes
    )
    # the area outlines carry no highway tag and are no part of any network
    assert 50 not in car.node_id
    assert car.n_nodes == 13


def test_walk_and_bike_speeds_are_the_network_constants(tmp_path: Path) -> None:
    networks = read_networks(write(tmp_path, speed_extract()), ["walk", "bike"])
    assert kmh(networks["walk"], 0, 1) == pytest.approx(WALK_KMH)
    assert kmh(networks["bike"], 3, 0) == pytest.approx(BIKE_KMH)
    assert set(networks) == {"walk", "bike"}


def test_without_settlement_areas_everything_is_rural(tmp_path: Path) -> None:
    text = osm_xml({1: (0, 0), 2: (5, 0)}, [([1, 2], {"highway": "secondary"})])
    car = read_networks(write(tmp_path, text), ["car"])["car"]
    assert kmh(car, 1, 2) == pytest.approx(70)
    assert any("Keine Siedlungsflächen" in note for note in car.notes)


# --- one-ways, modes, border, components ---------------------------------------------------------


def topology_extract() -> str:
    nodes = {i: (float(i), float(i % 3)) for i in range(1, 16)}
    nodes.update({20: (30, 30), 21: (31, 30), 22: (0, 5)})
    ways: list[tuple[list[int], Tags]] = [
        ([1, 2], {"highway": "residential"}),  # two-way spine
        ([1, 3, 2], {"highway": "residential", "oneway": "yes"}),
        ([1, 4, 2], {"highway": "residential", "oneway": "-1"}),
        ([2, 5], {"highway": "residential"}),
        ([5, 6, 7, 5], {"highway": "primary", "junction": "roundabout"}),
        ([1, 8, 2], {"highway": "motorway"}),
        ([1, 9, 2], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
        ([2, 10, 1], {"highway": "footway"}),
        ([1, 11, 2], {"highway": "residential", "oneway": "reversible"}),
        ([2, 12, 1], {"highway": "steps"}),
        ([2, 13, 1], {"highway": "path", "bicycle": "no"}),
        ([2, 14, 999], {"highway": "residential"}),  # node 999 is outside the extract
        ([1, 15, 2], {"highway": "track"}),
        ([20, 21], {"highway": "residential"}),  # an island
        ([1, 22], {"highway": "service", "oneway": "yes"}),  # a one-way dead end
    ]
    return osm_xml(nodes, ways)


@pytest.fixture
def topology(tmp_path: Path) -> dict[str, Network]:
    return read_networks(write(tmp_path, topology_extract()))


def test_car_one_ways(topology: dict[str, Network]) -> None:
    car = topology["car"]
    assert edge(car, 1, 3) is not None
    assert edge(car, 3, 1) is None
    assert edge(car, 2, 4) is not None  # oneway=-1: against the way's direction
    assert edge(car, 4, 2) is None
    assert edge(car, 5, 6) is not None  # roundabout: implied one-way
    assert edge(car, 6, 5) is None
    assert edge(car, 1, 8) is not None  # motorway: implied one-way
    assert edge(car, 8, 1) is None
    assert edge(car, 9, 1) is None
    assert 11 not in car.node_id  # reversible: left out
    assert edge(car, 1, 2) is not None
    assert edge(car, 2, 1) is not None
    assert any("1 Wege mit wechselnder Fahrtrichtung" in note for note in car.notes)


def test_bike_follows_one_ways_unless_exempt(topology: dict[str, Network]) -> None:
    bike = topology["bike"]
    assert edge(bike, 3, 1) is None
    assert edge(bike, 1, 3) is not None
    assert edge(bike, 9, 1) is not None  # oneway:bicycle=no
    assert edge(bike, 1, 9) is not None


def test_walking_ignores_one_ways(topology: dict[str, Network]) -> None:
    walk = topology["walk"]
    assert edge(walk, 3, 1) is not None
    assert edge(walk, 4, 2) is not None
    assert edge(walk, 6, 5) is not None


def test_modes_use_their_road_classes(topology: dict[str, Network]) -> None:
    car, walk, bike = (set(topology[m].node_id.tolist()) for m in ("car", "walk", "bike"))
    assert 8 in car
    assert 8 not in walk
    assert 8 not in bike
    assert 10 in walk
    assert 10 in bike
    assert 10 not in car
    assert 12 in walk
    assert 12 not in bike
    assert 12 not in car
    assert 13 in walk
    assert 13 not in bike
    assert 15 in walk
    assert 15 in bike
    assert 15 not in car


def test_way_cut_at_the_border_keeps_its_inner_part(topology: dict[str, Network]) -> None:
    car = topology["car"]
    assert edge(car, 2, 14) is not None
    assert edge(car, 14, 2) is not None
    assert any(
        note.startswith("1 Wege am Rand des Ausschnitts abgeschnitten") for note in car.notes
    )


def test_largest_strongly_connected_component(topology: dict[str, Network]) -> None:
    car, walk = topology["car"], topology["walk"]
    assert 20 not in car.node_id
    assert 21 not in car.node_id
    assert 22 not in car.node_id  # reached by a one-way, but no way back
    assert 22 in walk.node_id
    assert any(note.startswith("3 von 13 Knoten liegen außerhalb") for note in car.notes)
    assert any(note.startswith("2 von 17 Knoten liegen außerhalb") for note in walk.notes)


def test_pbf_and_gzip_give_the_same_networks(tmp_path: Path) -> None:
    xml = write(tmp_path, topology_extract())
    pbf = tmp_path / "test.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(xml):
        writer.add(obj)
    writer.close()
    gz = tmp_path / "test.osm.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    expected = read_networks(xml)
    for path in (pbf, gz):
        for mode, network in read_networks(path).items():
            assert np.array_equal(network.node_id, expected[mode].node_id)
            assert np.array_equal(network.tail, expected[mode].tail)
            assert np.allclose(network.seconds, expected[mode].seconds, rtol=1e-6)


# --- cache ---------------------------------------------------------------------------------------


def test_cache_loads_the_second_call_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, topology_extract())
    folder = tmp_path / "cache"
    first = read_networks(path, cache=folder)
    assert len(list(folder.glob("network-*.npz"))) == 3  # one file per mode

    def fail(*args: object) -> None:
        raise AssertionError("the extract was read again")

    monkeypatch.setattr(osm_network, "_scan", fail)
    second = read_networks(path, cache=folder)
    for mode, network in first.items():
        assert np.array_equal(second[mode].seconds, network.seconds)
        assert second[mode].notes == network.notes
        assert second[mode].mode == mode


def test_cache_key_follows_speeds_file(tmp_path: Path) -> None:
    path = write(tmp_path, topology_extract())
    folder = tmp_path / "cache"
    read_networks(path, ["car"], cache=folder)
    speeds = tmp_path / "speeds.toml"
    text = osm_network.DEFAULT_SPEEDS.read_text(encoding="utf-8")
    speeds.write_text(text.replace("residential = [30, 30]", "residential = [25, 25]"))
    slower = read_networks(path, ["car"], cache=folder, speeds=speeds)["car"]
    assert len(list(folder.glob("network-*.npz"))) == 2
    assert kmh(slower, 1, 2) == pytest.approx(25)
    key = net.cache_key([path, osm_network.DEFAULT_SPEEDS], {"version": osm_network.VERSION})
    assert key != net.cache_key([path, speeds], {"version": osm_network.VERSION})


# --- errors --------------------------------------------------------------------------------------


def test_unknown_mode(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="Verkehrsmittel 'bus' unbekannt"):
        read_networks(write(tmp_path, topology_extract()), ["car", "bus"])


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    bad = write(tmp_path, "Das ist keine OSM-Datei.\n", "kaputt.osm")
    with pytest.raises(SourceError, match=r"kaputt\.osm, Zeile 1: OSM-Datei nicht lesbar"):
        read_networks(bad)
    with pytest.raises(SourceError, match=r"fehlt\.osm\.pbf: Datei nicht gefunden"):
        read_networks(tmp_path / "fehlt.osm.pbf")


def test_extract_without_highways(tmp_path: Path) -> None:
    text = osm_xml({1: (0, 0), 2: (1, 0)}, [([1, 2], {"waterway": "river"})])
    with pytest.raises(SourceError, match=r"leer\.osm: Keine Straßen und Wege \(highway=\*\)"):
        read_networks(write(tmp_path, text, "leer.osm"))


def test_mode_without_usable_ways(tmp_path: Path) -> None:
    text = osm_xml({1: (0, 0), 2: (1, 0)}, [([1, 2], {"highway": "footway"})])
    path = write(tmp_path, text, "fussweg.osm")
    assert read_networks(path, ["walk"])["walk"].n_nodes == 2
    with pytest.raises(NetworkError, match=r"fussweg\.osm: keine Wege, die Pkw benutzbar"):
        read_networks(path, ["car"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("\n[class_speeds]", "\n[geschwindigkeiten]"), "Eintrag 'class_speeds' fehlt"),
        (("residential = [30, 30]", "residential = [30]"), r"class_speeds\.residential muss"),
        (('"DE:urban" = 50 ', '"DE:urban" = -50 '), r"maxspeed\.values\.DE:urban muss"),
        (("service = [20, 20]", ""), "Straßenklasse 'service' ohne Eintrag"),
        (("\n[maxspeed]\n", "\n[maxspeed\n"), "kein gültiges TOML"),
    ],
)
def test_bad_speeds_file_names_file(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = osm_network.DEFAULT_SPEEDS.read_text(encoding="utf-8")
    assert change[0] in text
    speeds = tmp_path / "tempo.toml"
    speeds.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(SourceError, match=rf"tempo\.toml: .*{message}"):
        read_networks(write(tmp_path, topology_extract()), speeds=speeds)


# --- real data -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lauf(real_data: Path) -> tuple[Path, dict[str, Network]]:
    path = real_data / "osm" / "lauf-200115.osm.pbf"
    return path, read_networks(path)


@pytest.mark.realdata
def test_lauf_networks(lauf: tuple[Path, dict[str, Network]]) -> None:
    _, networks = lauf
    sizes = {mode: (n.n_nodes, len(n.tail)) for mode, n in networks.items()}
    # observed with speeds.toml of issue 6: car 5581/11319, walk 9940/21684, bike 9719/20658
    assert 5_000 < sizes["car"][0] < 6_500
    assert 10_000 < sizes["car"][1] < 13_000
    assert 9_000 < sizes["walk"][0] < 11_000
    assert 19_000 < sizes["walk"][1] < 24_000
    assert 9_000 < sizes["bike"][0] < 11_000
    assert 19_000 < sizes["bike"][1] < 23_000
    car = networks["car"]
    metres = np.hypot(car.x[car.head] - car.x[car.tail], car.y[car.head] - car.y[car.tail])
    speed = metres / car.seconds * 3.6
    assert np.all(speed > 6.9)
    assert np.all(speed < 130.1)
    assert 25 < np.median(speed) < 60
    assert any("Knoten liegen außerhalb" in note for note in car.notes)


@pytest.mark.realdata
def test_north_bayreuth_networks(real_data: Path) -> None:
    networks = read_networks(real_data / "osm" / "north-bayreuth.osm.gz")
    sizes = {mode: (n.n_nodes, len(n.tail)) for mode, n in networks.items()}
    # observed: car 5507/11049, walk 13144/27800, bike 13125/27681
    assert 5_000 < sizes["car"][0] < 6_500
    assert 10_000 < sizes["car"][1] < 12_500
    assert 12_000 < sizes["walk"][0] < 14_500
    assert 25_000 < sizes["walk"][1] < 31_000
    assert 12_000 < sizes["bike"][0] < 14_500
    assert 25_000 < sizes["bike"][1] < 31_000


def schools(path: Path, network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Network nodes and egress seconds of the extract's schools."""
    table = osm.read([path]).tables["facilities"]
    table = table[table["kind"].isin(["primary_school", "secondary_school"])]
    snapped = snap(network, table.geometry.x.to_numpy(), table.geometry.y.to_numpy())
    assert not snapped.off_network.any()
    return snapped.node, snapped.seconds


@pytest.mark.realdata
@pytest.mark.parametrize("mode", ["car", "walk"])
def test_lauf_nearest_school_equals_networkx(
    lauf: tuple[Path, dict[str, Network]], mode: str
) -> None:
    pytest.importorskip("networkx")
    path, networks = lauf
    network = networks[mode]
    nodes, offsets = schools(path, network)
    assert len(nodes) >= 10
    # OSM graphs are mostly street chains: the search runs on the junctions (chains.py)
    assert network.chains.core_share <= engine.CHAINS_MAX_CORE_SHARE
    result = engine.nearest(network, nodes, offsets)
    # NetworkX on the reversed graph, one virtual source per school (the tool's reference)
    reference = load_tool("access_lauf").networkx_nearest(network, nodes, offsets)
    assert np.isfinite(reference).all()  # strongly connected: every node reaches a school
    assert np.max(np.abs(result.seconds - reference)) <= 1e-9


@pytest.mark.realdata
def test_lauf_od_matrix_equals_networkx(lauf: tuple[Path, dict[str, Network]]) -> None:
    nx = pytest.importorskip("networkx")
    path, networks = lauf
    car = networks["car"]
    nodes, offsets = schools(path, car)
    origins = np.random.default_rng(6).choice(car.n_nodes, 50, replace=False)
    matrix = engine.od_matrix(car, origins, nodes, offsets)
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(car.tail.tolist(), car.head.tolist(), car.seconds.tolist(), strict=True)
    )
    for row, origin in enumerate(origins):
        times = nx.single_source_dijkstra_path_length(graph, int(origin))
        expected = np.array([times[int(n)] for n in nodes]) + offsets
        assert np.max(np.abs(matrix[row] - expected)) <= 1e-9


@pytest.mark.realdata
def test_access_lauf_tool(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("networkx")
    tool = load_tool("access_lauf")
    assert tool.main([str(real_data / "osm" / "lauf-200115.osm.pbf")]) == 0
    out = capsys.readouterr().out
    assert "Pkw: " in out
    assert "Nächste Schule, zu Fuß" in out
    worst = re.search(r"Größte Abweichung insgesamt: (\S+) s \(ok\)", out)
    assert worst is not None
    assert float(worst.group(1)) <= 1e-9
    assert tool.main([str(real_data / "osm" / "fehlt.osm.pbf")]) == 1
