"""The housing chain on the demo workspace: calibration, scenarios, saving, bad input, CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from regiowerk.cli import EXIT_INPUT, _demo_scenarios, app
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.demography.ccm import CohortComponentModel
from regiowerk.demography.projection import ScenarioRun, run_scenario
from regiowerk.errors import SchemaViolation
from regiowerk.housing import HousingResult, run_housing, save_housing
from regiowerk.housing.parameters import HousingParameterError, load_parameters
from regiowerk.housing.run import HousingError
from regiowerk.schema import validate
from regiowerk.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion) -> Workspace:
    return save_demo(demo_region, tmp_path_factory.mktemp("housing") / "ws")


@pytest.fixture(scope="module")
def base(workspace: Workspace) -> CohortComponentModel:
    return CohortComponentModel.from_workspace(workspace)


@pytest.fixture(scope="module")
def runs(workspace: Workspace, base: CohortComponentModel) -> list[ScenarioRun]:
    scenarios = _demo_scenarios(workspace.load("municipalities"))
    return [
        run_scenario(workspace, s.model_copy(update={"horizon": 2035}), base=base)
        for s in scenarios
    ]


@pytest.fixture(scope="module")
def result(
    workspace: Workspace, runs: list[ScenarioRun], base: CohortComponentModel
) -> HousingResult:
    return run_housing(workspace, runs, base=base)


def _all_but(region: DemoRegion, table: str) -> list[str]:
    return [name for name in region.tables if name != table]


def test_base_year_reproduces_the_households_table(
    workspace: Workspace, result: HousingResult
) -> None:
    observed = workspace.load("households").pivot_table(
        index="region", columns="size", values="households"
    )
    households = result.household_frame()
    first = households[households["year"] == 2023].pivot_table(
        index="ags", columns="size", values="households", aggfunc="first"
    )
    assert first.to_numpy() == pytest.approx(observed.loc[first.index].to_numpy(), rel=1e-9)
    assert set(result.calibration) == {"Haushalte 2023"}


def test_base_year_demand_matches_the_occupied_stock(
    workspace: Workspace, result: HousingResult
) -> None:
    demand = result.demand_frame()
    first = demand[(demand["year"] == 2023) & (demand["scenario"] == "Trend")]
    f = result.parameters.fluctuation_reserve
    occupied = workspace.load("dwellings")["occupied"].sum()
    assert first["required"].sum() / (1 + f) == pytest.approx(occupied, rel=1e-9)
    assert first[["additional", "total"]].abs().to_numpy().max() == 0.0


def test_employer_households_are_the_trend_plus_in_movers(result: HousingResult) -> None:
    trend, plant = result.runs
    assert plant.in_mover_households.sum() > 0
    assert plant.households == pytest.approx(trend.households + plant.in_mover_households)
    assert plant.demand.new_construction().sum() > trend.demand.new_construction().sum()
    # 2,000 jobs × 45 % in-movers: one household per settled mover or multilocal person
    assert plant.in_mover_households[-1].sum() == pytest.approx(900, rel=1e-9)


def test_sensitivity_moves_in_the_expected_direction(result: HousingResult) -> None:
    table = result.runs[0].sensitivity.set_index("parameter")
    assert table.loc["replacement_rate", "demand_high"] > table.loc["replacement_rate", "demand"]
    assert table.loc["replacement_rate", "demand_low"] < table.loc["replacement_rate", "demand"]
    usable = table.loc["usable_vacancy_share"]
    assert usable["demand_high"] <= usable["demand"] <= usable["demand_low"]


def test_saving_validates_and_keeps_other_scenarios(
    tmp_path: Path, demo_region: DemoRegion, runs: list[ScenarioRun], base: CohortComponentModel
) -> None:
    ws = save_demo(demo_region, tmp_path / "ws")
    save_housing(ws, run_housing(ws, runs, base=base))
    save_housing(ws, run_housing(ws, runs[:1], base=base))
    saved = ws.load("housing_demand")
    assert set(saved["scenario"]) == {"Trend", runs[1].scenario.name}
    assert ws.validate() == []
    assert "replacement_rate" in ws.provenance("housing_demand").notes


def test_missing_households_use_land_defaults(
    tmp_path: Path, demo_region: DemoRegion, runs: list[ScenarioRun], base: CohortComponentModel
) -> None:
    ws = save_demo(demo_region, tmp_path / "ws", only=_all_but(demo_region, "households"))
    result = run_housing(ws, runs[:1], base=base)
    assert any("Standardwerte" in note for note in result.notes)
    observed = demo_region.tables["households"]["households"].sum()
    estimated = result.runs[0].households[0].sum()
    # the demo's households follow Dithmarschen's mix; the Land defaults come from Zensus 2011
    assert estimated == pytest.approx(observed, rel=0.1)


def test_stock_smaller_than_households_warns(
    tmp_path: Path, demo_region: DemoRegion, runs: list[ScenarioRun], base: CohortComponentModel
) -> None:
    dwellings = demo_region.tables["dwellings"].copy()
    first = dwellings["region"] == dwellings["region"].iloc[0]
    dwellings.loc[first, ["dwellings", "occupied"]] //= 2
    ws = save_demo(
        replace(demo_region, tables={**demo_region.tables, "dwellings": dwellings}),
        tmp_path / "ws",
    )
    result = run_housing(ws, runs[:1], base=base)
    ags = dwellings["region"].iloc[0]
    assert any(ags in warning for warning in result.warnings)
    catch_up = result.runs[0].demand.catch_up[:, 0].sum()
    assert catch_up > 0


def test_missing_stock_is_a_clear_error(
    tmp_path: Path, demo_region: DemoRegion, runs: list[ScenarioRun], base: CohortComponentModel
) -> None:
    ws = save_demo(demo_region, tmp_path / "ws", only=_all_but(demo_region, "dwellings"))
    with pytest.raises(HousingError, match="dwellings"):
        run_housing(ws, runs[:1], base=base)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("replacement_rate: -0.01", "replacement_rate"),
        ("fluctuation_reserve: viel", "fluctuation_reserve"),
        ("leerstand: 0.1", "leerstand"),
        ("bands: {replacement_rate: {low: 0.003, high: 0.004}}", "bands.replacement_rate"),
    ],
)
def test_bad_parameters_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "parameter.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HousingParameterError) as info:
        load_parameters(path)
    assert f"Datei {path}" in str(info.value)
    assert field in str(info.value)


def test_cli_housing(tmp_path: Path, demo_region: DemoRegion) -> None:
    ws = save_demo(demo_region, tmp_path / "ws")
    parameters = tmp_path / "p.yaml"
    parameters.write_text("replacement_rate: 0.003\n", encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(app, ["housing", str(ws.path), "--parameters", str(parameters)])
    assert done.exit_code == 0, done.output
    assert "Neubaubedarf" in done.output
    saved = Workspace.open(ws.path).load("housing_demand")
    assert set(saved["scenario"]) == {"Trend"}
    years = saved.groupby("year")["replacement"].sum()
    stock = saved[saved["year"] == 2023]["stock"].sum()
    assert years.loc[2024] == pytest.approx(0.003 * stock, rel=1e-9)
    parameters.write_text("replacement_rate: -1\n", encoding="utf-8")
    bad = runner.invoke(app, ["housing", str(ws.path), "--parameters", str(parameters)])
    assert bad.exit_code == EXIT_INPUT
    assert "replacement_rate" in bad.output
    assert "Traceback" not in bad.output


def test_the_schema_refuses_a_broken_decomposition(result: HousingResult) -> None:
    frame: pd.DataFrame = result.demand_frame()
    validate("housing_demand", frame)
    frame.loc[frame.index[-1], "total"] += 1.0
    with pytest.raises(SchemaViolation, match=r"demand_identity|additional"):
        validate("housing_demand", frame)


def test_values_outside_the_default_bands_widen_them(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("fluctuation_reserve: 0.05\nusable_vacancy_share: 1.0\n", encoding="utf-8")
    bands = load_parameters(path).sensitivity_bands()
    assert bands["fluctuation_reserve"] == (0.01, 0.05)
    assert bands["usable_vacancy_share"] == (0.25, 1.0)
    assert bands["replacement_rate"] == (0.0, 0.004)  # untouched defaults stay
    path.write_text("bands: {replacement_rate: {low: 0.001, high: 0.003}}\n", encoding="utf-8")
    assert load_parameters(path).sensitivity_bands()["replacement_rate"] == (0.001, 0.003)


def test_partly_missing_occupancy_keeps_the_measured_rest(
    tmp_path: Path, demo_region: DemoRegion, runs: list[ScenarioRun], base: CohortComponentModel
) -> None:
    dwellings = demo_region.tables["dwellings"].copy()
    first = dwellings["region"] == dwellings["region"].iloc[0]
    dwellings["occupied"] = dwellings["occupied"].astype("Int64")
    dwellings.loc[first, "occupied"] = pd.NA
    ws = save_demo(
        replace(demo_region, tables={**demo_region.tables, "dwellings": dwellings}),
        tmp_path / "ws",
    )
    result = run_housing(ws, runs[:1], base=base)
    assert any("1 Gemeinden" in note for note in result.notes)
    rest = dwellings[~first]
    demand0 = result.runs[0].demand.required[0] / (1 + result.parameters.fluctuation_reserve)
    assert demand0[1:].sum() == pytest.approx(rest["occupied"].sum(), rel=1e-9)
