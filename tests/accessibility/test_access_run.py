"""The access chain on the demo workspace: times, E2SFCA, saving, CLI and bad input."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from regiowerk.access import engine, run, standards
from regiowerk.access.hierarchy import Hierarchy
from regiowerk.access.network import Network, from_roads
from regiowerk.access.run import (
    E2SFCA_STEPS,
    AccessError,
    AccessResult,
    compute,
    network_for,
    origins,
    save_access,
)
from regiowerk.access.snap import snap
from regiowerk.cli import EXIT_INPUT, app
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.workspace import Workspace

CATALOGUE = standards.shipped()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion) -> Workspace:
    return save_demo(demo_region, tmp_path_factory.mktemp("access") / "ws")


@pytest.fixture(scope="module")
def gp(workspace: Workspace) -> AccessResult:
    return compute(workspace, "gp", "car", CATALOGUE, network_for(workspace, "car"))


def test_every_populated_cell_gets_a_time(workspace: Workspace, gp: AccessResult) -> None:
    frame = gp.frame
    grid = workspace.load("grid")
    assert len(frame) == int((grid["persons"] > 0).sum())
    assert frame["minutes"].notna().all()
    assert (frame["second_minutes"] >= frame["minutes"]).all()
    assert frame["persons"].sum() == grid["persons"].sum()
    assert gp.warnings == []


def test_time_is_walk_plus_network_plus_walk(workspace: Workspace, gp: AccessResult) -> None:
    network = network_for(workspace, "car")
    points = origins(workspace)
    facilities = gp.destinations
    o = snap(network, points["x"].to_numpy(), points["y"].to_numpy())
    d = snap(network, facilities["x"].to_numpy(), facilities["y"].to_numpy())
    matrix = engine.od_matrix(network, o.node, d.node, d.seconds) + o.seconds[:, None]
    assert gp.frame["minutes"].to_numpy() == pytest.approx(matrix.min(axis=1) / 60, rel=1e-12)
    chosen = facilities["facility_id"].to_numpy()[matrix.argmin(axis=1)]
    assert (gp.frame["facility_id"].to_numpy() == chosen).mean() > 0.99  # ties may differ


def test_e2sfca_equals_the_formula(workspace: Workspace, gp: AccessResult) -> None:
    network = network_for(workspace, "car")
    points = origins(workspace)
    facilities = gp.destinations
    o = snap(network, points["x"].to_numpy(), points["y"].to_numpy())
    d = snap(network, facilities["x"].to_numpy(), facilities["y"].to_numpy())
    minutes = (engine.od_matrix(network, o.node, d.node, d.seconds) + o.seconds[:, None]) / 60
    weight = np.zeros(minutes.shape)
    for upper, w in reversed(E2SFCA_STEPS):
        weight[minutes <= upper] = w
    demand = points["persons"].to_numpy() @ weight
    supply = facilities["capacity"].to_numpy()
    ratio = np.divide(supply, demand, out=np.zeros(len(supply)), where=demand > 0)
    expected = weight @ ratio * 1000
    assert gp.frame["supply_ratio"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_e2sfca_from_a_contraction_hierarchy_is_the_same(
    workspace: Workspace, gp: AccessResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    original = Hierarchy.build

    def build(network: Network) -> Hierarchy:
        built.append(network.n_nodes)
        return original(network)

    monkeypatch.setattr(run, "HIERARCHY_FROM", 1)
    monkeypatch.setattr(run.Hierarchy, "build", build)
    again = compute(workspace, "gp", "car", CATALOGUE, network_for(workspace, "car"))
    assert built  # the hierarchy path was taken
    np.testing.assert_allclose(
        again.frame["supply_ratio"].to_numpy(), gp.frame["supply_ratio"].to_numpy(), rtol=1e-9
    )


def test_saving_keeps_other_services(tmp_path: Path, demo_region: DemoRegion) -> None:
    ws = save_demo(demo_region, tmp_path / "ws")
    network = network_for(ws, "car")
    save_access(ws, [compute(ws, "gp", "car", CATALOGUE, network)], CATALOGUE)
    save_access(ws, [compute(ws, "hospital", "car", CATALOGUE, network)], CATALOGUE)
    saved = ws.load("access")
    assert set(saved["service"]) == {"gp", "hospital"}
    summary = ws.load("access_summary")
    assert set(summary["ags"]) <= set(ws.load("municipalities")["ags"])
    assert ws.validate() == []


def test_off_network_facilities_and_origins_are_counted(
    tmp_path: Path, demo_region: DemoRegion
) -> None:
    facilities = demo_region.tables["facilities"].copy()
    gps = facilities.index[facilities["kind"] == "gp"][:2]
    facilities.loc[gps, "geometry"] = facilities.loc[gps].geometry.translate(500_000, 0)
    ws = save_demo(
        replace(demo_region, tables={**demo_region.tables, "facilities": facilities}),
        tmp_path / "ws",
    )
    result = compute(ws, "gp", "car", CATALOGUE, network_for(ws, "car"))
    assert any(text.startswith("2 von") for text in result.warnings)
    assert len(result.destinations) == int((facilities["kind"] == "gp").sum()) - 2


def test_a_disconnected_origin_gets_no_time_and_a_warning(
    workspace: Workspace, gp: AccessResult
) -> None:
    # cut the network around the cell farthest from a GP: its cells keep nodes but no route
    network = from_roads(workspace.load("roads"), "car")
    points = origins(workspace)
    far = int(gp.frame["minutes"].to_numpy().argmax())
    inside = np.hypot(network.x - points["x"][far], network.y - points["y"][far]) < 1_500
    keep = inside[network.tail] == inside[network.head]
    island = replace(
        network, tail=network.tail[keep], head=network.head[keep], seconds=network.seconds[keep]
    )
    result = compute(workspace, "gp", "car", CATALOGUE, island)
    lost = result.frame["minutes"].isna()
    assert lost.any()
    assert result.frame.loc[lost, "facility_id"].isna().all()
    assert result.frame.loc[~lost, "minutes"].notna().all()
    assert any("ohne Verbindung" in text for text in result.warnings)


def test_unknown_service_or_missing_facilities(workspace: Workspace) -> None:
    network = network_for(workspace, "car")
    with pytest.raises(AccessError, match="zahnarzt"):
        compute(workspace, "zahnarzt", "car", CATALOGUE, network)
    catalogue = standards.Catalogue(
        services={**CATALOGUE.services, "dialyse": standards.Service(label="Dialyse", kind="x")},
        standards=CATALOGUE.standards,
    )
    with pytest.raises(AccessError, match="Dialyse"):
        compute(workspace, "dialyse", "car", catalogue, network)


def test_cli_access(tmp_path: Path, demo_region: DemoRegion) -> None:
    ws = save_demo(demo_region, tmp_path / "ws")
    runner = CliRunner()
    done = runner.invoke(
        app, ["access", str(ws.path), "--service", "hospital", "--service", "obstetrics"]
    )
    assert done.exit_code == 0, done.output
    assert "Krankenhaus" in done.output
    assert "30 min" in done.output
    saved = Workspace.open(ws.path).load("access_summary")
    assert set(saved["service"]) == {"hospital", "obstetrics"}
    for bad in (["--mode", "boot"], ["--service", "zahnarzt"]):
        result = runner.invoke(app, ["access", str(ws.path), *bad])
        assert result.exit_code == EXIT_INPUT, result.output
        assert "Traceback" not in result.output


def test_women_come_from_the_municipality_age_structure(gp: AccessResult) -> None:
    share = gp.frame["women_15_49"] / gp.frame["persons"]
    assert share.between(0.1, 0.3).all()
    assert isinstance(gp.frame, pd.DataFrame)


def test_isochrones_are_nested_and_hold_the_reached_nodes(workspace: Workspace) -> None:
    from scipy.sparse import csgraph

    from regiowerk.access.isochrones import isochrones

    network = network_for(workspace, "car")
    hospital = workspace.load("facilities").query("kind == 'hospital'").iloc[0]
    x, y = hospital.geometry.x, hospital.geometry.y
    rings = isochrones(network, x, y, [20, 10])
    assert rings["minutes"].tolist() == [10.0, 20.0]
    assert rings.geometry.iloc[1].contains(rings.geometry.iloc[0].buffer(-1))
    target = snap(network, np.array([x]), np.array([y]))
    times = csgraph.dijkstra(network.reverse, indices=int(target.node[0])) + target.seconds[0]
    inside = times <= 600
    points = gpd.GeoSeries(gpd.points_from_xy(network.x, network.y))
    assert points[inside].within(rings.geometry.iloc[0]).all()
    far = times > 1500
    assert not points[far].within(rings.geometry.iloc[1]).any()
