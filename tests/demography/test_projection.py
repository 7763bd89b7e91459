"""Scenario runs on a workspace: factors, employer settlement, saving, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from regiowerk.cli import EXIT_INPUT, app
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.demography.projection import run_scenario, save_projection
from regiowerk.demography.scenario import Scenario, load_scenario, shipped_scenarios
from regiowerk.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion) -> Workspace:
    return save_demo(demo_region, tmp_path_factory.mktemp("demo") / "ws")


def _scenario(**changes: object) -> Scenario:
    return Scenario.model_validate({"name": "Test", "horizon": 2033, **changes})


def test_the_balance_closes_under_a_scenario(workspace: Workspace) -> None:
    run = run_scenario(workspace, _scenario())
    totals = run.result.totals().sum(axis=1)
    parts = (
        run.result.components()
        .groupby("year")[["births", "deaths", "in_migration", "out_migration"]]
        .sum()
    )
    change = parts["births"] - parts["deaths"] + parts["in_migration"] - parts["out_migration"]
    assert totals[1:] - totals[:-1] == pytest.approx(change.to_numpy(), rel=1e-9)
    assert run.result.years == tuple(range(2023, 2034))


def test_migration_and_mortality_factors(workspace: Workspace) -> None:
    trend = run_scenario(workspace, _scenario()).result.components().sum()
    closed = run_scenario(workspace, _scenario(migration={"kind": "zero"})).result
    assert closed.components()[["in_migration", "out_migration"]].to_numpy().sum() == 0
    high = run_scenario(workspace, _scenario(migration={"kind": "high"})).result.components()
    assert high["in_migration"].sum() > trend["in_migration"]
    deadly = run_scenario(workspace, _scenario(mortality_factor=1.2)).result.components()
    assert deadly["deaths"].sum() > trend["deaths"]


def test_employer_adds_its_movers(workspace: Workspace) -> None:
    shipped = load_scenario(shipped_scenarios()["musterregion_ansiedlung"])
    employer = shipped.employers[0]
    with_plant = run_scenario(workspace, shipped.model_copy(update={"horizon": 2033}))
    without = run_scenario(workspace, _scenario(horizon=2033))
    added = (
        with_plant.result.components()["in_migration"].sum()
        - without.result.components()["in_migration"].sum()
    )
    settled = 2000 * employer.share_in_movers * (1 - employer.share_multilocal)
    people = settled * (1 + employer.partners_per_mover + employer.children_per_mover)
    assert added == pytest.approx(people)
    by_kind = with_plant.arrivals.groupby("kind")["persons"].sum()
    assert by_kind["multilocal"] == pytest.approx(
        2000 * employer.share_in_movers * employer.share_multilocal
    )
    assert by_kind["settled"] == pytest.approx(people)
    assert any("Zweitwohnsitz" in note for note in with_plant.notes)


def test_saving_keeps_other_scenarios(workspace: Workspace) -> None:
    save_projection(workspace, run_scenario(workspace, _scenario(name="A")))
    save_projection(workspace, run_scenario(workspace, _scenario(name="B")))
    save_projection(workspace, run_scenario(workspace, _scenario(name="A", horizon=2030)))
    table = workspace.load("projection")
    assert table.groupby("scenario")["year"].max().to_dict() == {"A": 2030, "B": 2033}
    assert workspace.provenance("projection").synthetic
    assert '"name": "A"' in (workspace.provenance("projection").notes or "")


def test_cli_project(workspace: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["project", str(workspace.path), "--scenario", "ohne_wanderung", "--horizon", "2030"]
    )
    assert result.exit_code == 0, result.output
    assert "2030" in result.output  # the table wraps long scenario names
    assert "Ohne Wanderungen" in set(workspace.load("projection")["scenario"])

    result = runner.invoke(app, ["project", str(workspace.path), "--scenario", "utopia"])
    assert result.exit_code == EXIT_INPUT
    assert "heide_batteriefabrik" in result.output

    result = runner.invoke(
        app, ["project", str(workspace.path), "--scenario", "heide_batteriefabrik"]
    )
    assert result.exit_code == EXIT_INPUT
    assert "employers.site" in result.output
