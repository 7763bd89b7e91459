"""``regiowerk flows`` on the demo workspace, the saved tables and the report section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regiowerk.cli import app
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.flows import RESERVE, run_flows, save_flows
from regiowerk.report.registry import ReportContext, sections
from regiowerk.workspace import Workspace

runner = CliRunner()
TABLES = ("municipalities", "kreise", "commuters")


@pytest.fixture(scope="module")
def flows_ws(tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion) -> Workspace:
    path = tmp_path_factory.mktemp("flows") / "ws"
    return save_demo(demo_region, path, only=list(TABLES))


def test_cli_flows_saves_three_tables(flows_ws: Workspace) -> None:
    result = runner.invoke(app, ["flows", str(flows_ws.path)])
    assert result.exit_code == 0, result.output
    assert "Pendler 2023: 48 Gebiete" in result.output
    assert "ttwa-ons" in result.output
    assert "leiden" in result.output
    commuting = flows_ws.load("commuting")
    assert len(commuting) == 48
    assert (
        commuting["residents"] - commuting["internal"] - commuting["out_commuters"]
    ).abs().max() < 1e-9
    regions = flows_ws.load("functional_regions")
    assert set(regions["method"]) == {"ttwa", "ttwa-ons", "leiden"}
    assert (regions.groupby("method").size() == 48).all()
    quality = flows_ws.load("functional_region_quality")
    ttwa = quality[(quality["method"] == "ttwa") & (quality["region_id"] != RESERVE)]
    assert ttwa["meets"].all()
    assert ttwa["members"].sum() == 48
    assert ttwa["lands"].str.contains(";").any()  # the demo's region crosses the Land border
    meta = json.loads(flows_ws.provenance("functional_regions").notes or "{}")
    assert 0 < meta["methods"]["ttwa"]["modularity"] < meta["methods"]["leiden"]["modularity"]
    assert flows_ws.provenance("commuting").synthetic


def test_cli_flows_options(flows_ws: Workspace) -> None:
    result = runner.invoke(
        app, ["flows", str(flows_ws.path), "--preset", "ons", "--min-sz", "4000"]
    )
    assert result.exit_code == 0, result.output
    quality = flows_ws.load("functional_region_quality")
    assert {"ttwa", "ttwa-ons", "leiden"} <= set(quality["method"])  # other methods kept
    bad = runner.invoke(app, ["flows", str(flows_ws.path), "--min-sc", "0.9"])
    assert bad.exit_code == 2
    assert "minSC ≤ tarSC" in bad.output
    year = runner.invoke(app, ["flows", str(flows_ws.path), "--year", "1999"])
    assert year.exit_code == 2
    assert "1999" in year.output


def test_cli_flows_without_commuters(tmp_path: Path, demo_region: DemoRegion) -> None:
    workspace = save_demo(demo_region, tmp_path / "ws", only=["municipalities"])
    result = runner.invoke(app, ["flows", str(workspace.path)])
    assert result.exit_code == 2
    assert "commuters" in result.output


def test_report_section_renders(flows_ws: Workspace) -> None:
    save_flows(flows_ws, run_flows(flows_ws))
    section = next(s for s in sections() if s.key == "pendlerverflechtungen")
    assert section.order == 50
    assert section.title == "Pendlerverflechtungen"
    ctx = ReportContext(flows_ws)
    ctx.begin(section)
    html = section.render(ctx)
    assert html is not None
    assert ctx.skip_reason is None
    assert html.count("<img") == 3  # desire lines, self-containment, functional regions
    for heading in (
        "Stärkste Pendlerströme",
        "Ein- und Auspendler",
        "Eigenversorgung",
        "Funktionale Regionen",
    ):
        assert f"<h3>{heading}</h3>" in html
    # summary row of the main method: regions, valid regions, regions across a Land border
    quality = flows_ws.load("functional_region_quality")
    ttwa = quality[(quality["method"] == "ttwa") & (quality["region_id"] != RESERVE)]
    crossing = int(ttwa["lands"].str.contains(";").sum())
    assert crossing >= 1  # the demo region straddles Niedersachsen and Sachsen-Anhalt
    assert (
        f'<tr><td>Arbeitsmarktregionen (Coombes–Bond)</td><td class="num">{len(ttwa)}</td>'
        f'<td class="num">{int(ttwa["meets"].sum())}</td><td class="num">{crossing}</td>'
    ) in html
    assert "Regionen über Landesgrenzen rot gestrichelt umrandet" in html
    assert "Leiden-Communities (Vergleich)" in html


def test_report_section_without_polygons(tmp_path: Path, demo_region: DemoRegion) -> None:
    workspace = save_demo(demo_region, tmp_path / "ws", only=["commuters"])
    save_flows(workspace, run_flows(workspace, compare=False))
    section = next(s for s in sections() if s.key == "pendlerverflechtungen")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    html = section.render(ctx)
    assert html is not None
    assert "<img" not in html
    assert "entfallen die Karten" in html


def test_report_section_shows_saved_warnings(tmp_path: Path, demo_region: DemoRegion) -> None:
    workspace = save_demo(demo_region, tmp_path / "ws", only=["commuters"])
    result = run_flows(workspace, compare=False)
    result.warnings.append("17 Pendlerzellen 2023 sind geheim gehalten (Test).")
    save_flows(workspace, result)
    meta = json.loads(workspace.provenance("commuting").notes)
    assert meta["warnings"][-1] == "17 Pendlerzellen 2023 sind geheim gehalten (Test)."
    section = next(s for s in sections() if s.key == "pendlerverflechtungen")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    html = section.render(ctx)
    assert html is not None
    assert "17 Pendlerzellen 2023 sind geheim gehalten (Test)." in html
    assert [n.text for n in ctx.notes] == meta["warnings"]
