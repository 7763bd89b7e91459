"""The synthetic Musterregion: schema, determinism, internal consistency, calibration."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from conftest import load_tool
from regiowerk.demo import STEPS, DemoRegion, generate_demo
from regiowerk.demo.calibration import load_calibration
from regiowerk.demo.economy import employed_residents
from regiowerk.demo.geography import _contiguous_kreise, _voronoi_cells
from regiowerk.demo.names import KREIS_NAMES, PLACE_NAMES, TOWN_NAMES
from regiowerk.demo.rounding import controlled_round, largest_remainder
from regiowerk.schema import TABLES, validate


@pytest.fixture(scope="module")
def region() -> DemoRegion:
    return generate_demo(7)


def _digest(frame: pd.DataFrame) -> str:
    """sha256 over the row hashes of the plain columns plus the geometry as WKB."""
    digest = hashlib.sha256()
    plain = frame.drop(columns="geometry") if "geometry" in frame.columns else frame
    digest.update(pd.util.hash_pandas_object(plain, index=True).to_numpy().tobytes())
    if "geometry" in frame.columns:
        for wkb in shapely.to_wkb(frame.geometry.to_numpy()):
            digest.update(wkb)
    return digest.hexdigest()


def _digests(region: DemoRegion) -> dict[str, str]:
    return {name: _digest(frame) for name, frame in region.tables.items()}


IMPORT_ONLY = {
    "indicators",
    "municipality_register",
    "population_bands",
    "projection",
    "household_projection",
    "housing_demand",
    "access",
    "access_summary",
    "commuting",
    "functional_regions",
    "functional_region_quality",
    "shift_share",
}
"""Tables that official sources or models fill (indicators, register, age bands, projections,
housing demand)."""


def test_every_canonical_table_is_produced_and_valid(region: DemoRegion) -> None:
    assert set(region.tables) == set(TABLES) - IMPORT_ONLY
    for name, frame in region.tables.items():
        validate(name, frame)
        assert isinstance(frame.index, pd.RangeIndex)
        key = list(TABLES[name].key)
        assert frame[key].equals(frame.sort_values(key)[key].reset_index(drop=True)), name


def test_same_seed_gives_identical_tables_and_reports_every_step(region: DemoRegion) -> None:
    seen: list[str] = []
    again = generate_demo(7, progress=seen.append)
    assert seen == list(STEPS)
    assert _digests(again) == _digests(region)


def test_other_seed_gives_other_tables(region: DemoRegion) -> None:
    other = _digests(generate_demo(8))
    mine = _digests(region)
    # the base rates are the calibrated schedules themselves, the same for every seed
    assert [name for name in mine if other[name] == mine[name]] == ["rates"]


def test_structure_of_the_region(region: DemoRegion) -> None:
    municipalities = region.tables["municipalities"]
    assert "synthetisch" in region.name
    assert region.base_year == 2023
    assert region.selection == tuple(KREIS_NAMES) == ("03991", "15991", "15992")
    assert len(municipalities) >= 40
    assert set(municipalities["kreis"]) == set(KREIS_NAMES)
    assert set(municipalities["land"]) == {"03", "15"}
    assert set(region.tables["kreise"]["kreis"]) == set(KREIS_NAMES)
    central = municipalities[municipalities["centrality"] == "mittel"]
    assert sorted(central["land"]) == ["03", "15", "15", "15"]
    persons = region.tables["population"].query("year == 2023").groupby("ags")["persons"].sum()
    totals = region.tables["population_totals"].query("year == 2023").set_index("region")
    assert totals["persons"].astype("int64").equals(persons.rename_axis("region"))
    assert persons.loc[central["ags"]].between(14_000, 36_000).all()
    assert 200_000 <= persons.sum() <= 300_000
    assert 2_500 <= municipalities["area_km2"].sum() <= 3_500
    hospitals = region.tables["facilities"].query("kind == 'hospital'")
    assert sorted(hospitals["ags"]) == sorted(central["ags"])
    for provenance in region.provenance.values():
        assert provenance.synthetic
        assert provenance.licence == "MIT (synthetische Daten von regiowerk)"
        assert provenance.gebietsstand == "2023-12-31"
    assert region.provenance["population"].census_basis == "zensus2022"
    assert "Dithmarschen" in (region.provenance["population"].notes or "")


def test_population_balance_closes_exactly(region: DemoRegion) -> None:
    t = region.tables
    pop = t["population"].set_index(["ags", "sex", "year", "age"])["persons"].unstack("age")
    assert (t["population"]["persons"] >= 0).all()
    deaths = t["deaths"].set_index(["region", "sex", "year", "age_from"])["deaths"]
    moves = t["migration"].set_index(["direction", "region", "sex", "year", "age_from"])["persons"]
    births = t["births"].groupby(["region", "sex", "year"])["births"].sum()
    net = (moves.loc["in"] - moves.loc["out"] - deaths).unstack("age_from")
    net.index.names = ["ags", "sex", "year"]
    births.index.names = ["ags", "sex", "year"]
    for year in range(2020, 2024):
        before = pop.xs(year - 1, level="year")
        after = pop.xs(year, level="year")
        change = net.xs(year, level="year")
        newborn = births.xs(year, level="year")
        # totals: P(t) = P(t − 1) + B − D + I − O
        total = before.sum(axis=1) + newborn + change.sum(axis=1)
        assert (total == after.sum(axis=1)).all()
        # cohorts (age = year − year of birth), age 100 open
        expected = change.to_numpy().copy()
        expected[:, 0] += newborn.loc[change.index].to_numpy()
        expected[:, 1:] += before.loc[change.index].to_numpy()[:, :-1]
        expected[:, -1] += before.loc[change.index].to_numpy()[:, -1]
        assert (expected == after.loc[change.index].to_numpy()).all()


def test_grid_adds_up_to_the_municipal_population(region: DemoRegion) -> None:
    grid = region.tables["grid"]
    persons = region.tables["population"].query("year == 2023").groupby("ags")["persons"].sum()
    assert grid.groupby("ags")["persons"].sum().equals(persons)
    assert (grid["persons"] > 0).all()
    corner = grid["cell_id"].str.extract(r"N(\d+)E(\d+)$").astype(int)
    assert ((corner % 1000) == 0).all().all()


def test_commuter_margins_are_exact(region: DemoRegion) -> None:
    t = region.tables
    flows = t["commuters"]
    rate = load_calibration()["labour_market"]["employees_per_resident_15_64"]
    employed = employed_residents(t["population"], 2023, rate)
    jobs = t["employment"].query("year == 2023").groupby("region")["persons"].sum()
    assert flows.groupby("origin")["persons"].sum().astype("int64").equals(employed)
    assert np.array_equal(
        flows.groupby("dest")["persons"].sum().to_numpy(), jobs.loc[employed.index].to_numpy()
    )
    assert (flows["persons"] > 0).all()
    assert not flows["suppressed"].any()


def test_road_network_is_one_component(region: DemoRegion) -> None:
    roads = region.tables["roads"]
    nodes = int(max(roads["from_node"].max(), roads["to_node"].max())) + 1
    graph = coo_matrix(
        (np.ones(len(roads)), (roads["from_node"], roads["to_node"])), shape=(nodes, nodes)
    )
    used = np.unique(np.concatenate([roads["from_node"], roads["to_node"]]))
    _, labels = connected_components(graph, directed=False)
    assert len(np.unique(labels[used])) == 1
    assert np.allclose(roads["length_m"], roads.geometry.length, atol=0.1)
    assert set(roads["road_class"]) == {"motorway", "federal", "state", "district", "local"}
    assert set(used) == set(range(1, nodes))
    start = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), 0))
    end = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), -1))
    ends = pd.DataFrame(
        np.concatenate([start, end]),
        index=np.concatenate([roads["from_node"], roads["to_node"]]),
    )
    # every node has one position, whichever line ends there
    assert (ends.groupby(level=0).nunique() == 1).all().all()


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, q)])


def test_every_populated_cell_is_near_a_road_node(region: DemoRegion) -> None:
    roads, grid = region.tables["roads"], region.tables["grid"]
    motorway = roads["road_class"] == "motorway"
    access = roads[~motorway]
    lines = access.geometry.to_numpy()
    nodes = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(lines, 0)),
            shapely.get_coordinates(shapely.get_point(lines, -1)),
        ]
    )
    centres = shapely.get_coordinates(grid.geometry.centroid)
    distance, _ = cKDTree(nodes).query(centres)
    # cells farther than 500 m from the network become access nodes themselves
    assert distance.max() <= 500.1
    assert _weighted_quantile(distance, grid["persons"].to_numpy(float), 0.95) <= 500.0
    # the nearest node of any kind is never a motorway node
    junctions = roads[motorway].geometry.to_numpy()
    every = np.concatenate(
        [
            nodes,
            shapely.get_coordinates(shapely.get_point(junctions, 0)),
            shapely.get_coordinates(shapely.get_point(junctions, -1)),
        ]
    )
    assert np.allclose(cKDTree(every).query(centres)[0], distance)
    # the local access roads (40 km/h) are short and never cross another non-motorway road
    local = access[access["speed_kmh"] == 40.0]
    assert len(local) > len(access) - len(local)
    assert set(local["road_class"]) == {"local"}
    assert local["name"].isna().all()
    crossings = shapely.STRtree(lines).query(local.geometry.to_numpy(), predicate="crosses")
    assert crossings.size == 0


def test_dwellings_hold_the_households(region: DemoRegion) -> None:
    t = region.tables
    households = t["households"].groupby("region")["households"].sum()
    dwellings = t["dwellings"].groupby("region")[["dwellings", "occupied"]].sum()
    assert (dwellings["dwellings"] >= households).all()
    assert dwellings["occupied"].equals(households)
    vacancy = 1 - households / dwellings["dwellings"]
    assert vacancy.between(0.025, 0.085).all()
    persons = t["population"].query("year == 2023").groupby("ags")["persons"].sum()
    members = (
        (t["households"]["size"] * t["households"]["households"])
        .groupby(t["households"]["region"])
        .sum()
    )
    assert (members <= persons).all()


def test_facilities_lie_in_their_municipality(region: DemoRegion) -> None:
    facilities = region.tables["facilities"]
    shapes = region.tables["municipalities"].set_index("ags").geometry
    inside = shapely.contains(
        shapes.loc[facilities["ags"]].to_numpy(), facilities.geometry.to_numpy()
    )
    assert inside.all()
    assert facilities["facility_id"].str.fullmatch(r"[a-z_]+-\d{4}").all()


def test_plausible_against_calibration(region: DemoRegion) -> None:
    cal = load_calibration()
    now = region.tables["population"].query("year == 2023")
    share_65 = now.loc[now["age"] >= 65, "persons"].sum() / now["persons"].sum()
    assert abs(share_65 - cal["age_structure"]["share_65plus"]) <= 0.03
    mean_size = now["persons"].sum() / region.tables["households"]["households"].sum()
    assert 1.9 <= mean_size <= 2.5


def test_voronoi_cells_cut_by_the_outline_are_healed() -> None:
    # a C-shaped outline: the cell of the upper seed also reaches the far end of the lower arm
    outline = shapely.difference(
        shapely.box(0, 0, 10_000, 10_000), shapely.box(3_000, 4_000, 11_000, 6_000)
    )
    seeds = pd.DataFrame({"x": [6_000.0, 1_000.0], "y": [8_000.0, 5_000.0]})
    cells = _voronoi_cells(seeds, outline)
    assert [c.geom_type for c in cells] == ["Polygon", "Polygon"]
    assert shapely.contains(cells, shapely.points(seeds.to_numpy())).all()
    assert shapely.coverage_union_all(cells).area == pytest.approx(outline.area)


def test_kreis_parts_cut_off_join_the_neighbouring_kreis() -> None:
    cells = np.array([shapely.box(x, 0, x + 1_000, 1_000) for x in (0, 1_000, 2_000)])
    kreis = np.array(["03991", "15991", "03991"], dtype=object)
    assert list(_contiguous_kreise(cells, kreis)) == ["03991", "15991", "15991"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1_000), min_size=1, max_size=20).filter(lambda w: sum(w) > 0),
    st.integers(0, 10_000),
)
def test_largest_remainder_keeps_the_total(weights: list[float], total: int) -> None:
    shares = largest_remainder(np.array(weights), total)
    assert shares.sum() == total
    assert (np.abs(shares - total * np.array(weights) / sum(weights)) < 1 + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.integers(2, 12))
def test_controlled_rounding_keeps_both_margins(seed: int, rows: int, cols: int) -> None:
    rng = np.random.default_rng(seed)
    integer = rng.integers(0, 6, size=(rows, cols)).astype(float)
    values = integer.copy()
    # fractional shifts around random 2 × 2 cycles keep every row and column sum
    for _ in range(3 * rows * cols):
        (i, k), (j, m) = rng.choice(rows, 2, replace=False), rng.choice(cols, 2, replace=False)
        delta = rng.uniform(0, min(values[i, m], values[k, j]))
        values[i, j] += delta
        values[k, m] += delta
        values[i, m] -= delta
        values[k, j] -= delta
    rounded = controlled_round(values)
    assert np.array_equal(rounded.sum(axis=1), integer.sum(axis=1).astype(int))
    assert np.array_equal(rounded.sum(axis=0), integer.sum(axis=0).astype(int))
    assert (np.abs(rounded - values) < 1).all()


@pytest.mark.realdata
def test_calibration_toml_matches_the_real_data(real_data: Path) -> None:
    tool = load_tool("calibrate_demo")
    assert tool.compare(tool.load_stored(), tool.recompute(real_data)) == []


@pytest.mark.realdata
def test_demo_names_are_not_real_municipalities(real_data: Path) -> None:
    real: set[str] = set()
    for path in sorted((real_data / "gv_auszug").glob("*_Auszug_GV.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle, delimiter=";"):
                if len(row) > 7 and row[0] in ("40", "50", "60"):
                    name = row[7].split(",")[0].strip().lower()
                    real.add(name)
                    real.update(part for part in re.split(r"[ /-]", name) if part)
    ours = [
        *TOWN_NAMES,
        *PLACE_NAMES,
        *(n.removeprefix("Landkreis ") for n in KREIS_NAMES.values()),
    ]
    assert [n for n in ours if n.lower() in real] == []
