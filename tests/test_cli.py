"""CLI smoke tests through Typer's runner: commands, exit codes, German errors, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from regiowerk import __version__
from regiowerk.cli import DEMO_SERVICES, EXIT_INPUT, EXIT_PROBLEMS, app
from regiowerk.demo import generate_demo, save_demo
from regiowerk.errors import WorkspaceError
from regiowerk.workspace import Workspace

from factories import make_tiny_workspace

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_tiny_workspace(tmp_path / "ws")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_workspace_info_and_validate(ws: Workspace) -> None:
    result = runner.invoke(app, ["workspace", "info", str(ws.path)])
    assert result.exit_code == 0, result.output
    assert ws.name in result.output
    assert "population" in result.output
    assert "Synthetische" in result.output

    result = runner.invoke(app, ["workspace", "validate", str(ws.path)])
    assert result.exit_code == 0, result.output
    assert "keine Probleme" in result.output


def test_validate_reports_a_damaged_table_by_name(ws: Workspace) -> None:
    (ws.path / ws.tables["population"].file).write_bytes(b"not parquet")
    result = runner.invoke(app, ["workspace", "validate", str(ws.path)])
    assert result.exit_code == EXIT_PROBLEMS
    assert "Tabelle 'population'" in result.output
    assert "Traceback" not in result.output


def test_errors_are_german_and_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["workspace", "info", str(tmp_path / "missing")])
    assert result.exit_code == EXIT_INPUT
    assert "Fehler:" in result.output
    assert "kein regiowerk-Arbeitsbereich" in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_exception(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--debug", "workspace", "info", str(tmp_path / "missing")])
    assert isinstance(result.exception, WorkspaceError)


def test_export_and_report(ws: Workspace, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(ws.path), "--format", "gpkg"])
    assert result.exit_code == 0, result.output
    assert (ws.path / "testregion-synthetisch.gpkg").is_file()

    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["export", str(ws.path), "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()

    result = runner.invoke(app, ["export", str(ws.path), "--format", "pdf"])
    assert result.exit_code == EXIT_INPUT

    report = tmp_path / "bericht.html"
    result = runner.invoke(app, ["report", str(ws.path), "--out", str(report)])
    assert result.exit_code == 0, result.output
    assert "<html" in report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_demo_writes_workspace_and_report_deterministically(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--seed", "11"])
    assert result.exit_code == 0, result.output
    assert (out / "bericht.html").is_file()
    ws = Workspace.open(out)
    assert ws.synthetic
    assert "synthetisch" in ws.name
    assert len(ws.load("municipalities")) >= 40

    # The same seed saved again gives byte-identical table files (same SHA-256).
    again = save_demo(generate_demo(11), tmp_path / "again")
    derived = {
        "projection",
        "housing_demand",
        "household_projection",
        "access",
        "access_summary",
        "commuting",
        "functional_regions",
        "functional_region_quality",
        "shift_share",
    }
    generated = {n: r.sha256 for n, r in ws.tables.items() if n not in derived}
    assert {n: r.sha256 for n, r in again.tables.items()} == generated
    # the demo also projects its scenarios and their housing demand, for the report
    for table in ("projection", "housing_demand"):
        assert set(ws.load(table)["scenario"]) == {"Trend", "Ansiedlung Rabenstedt"}
    assert set(ws.load("access")["service"]) == set(DEMO_SERVICES)
    assert ws.has("functional_regions")
    assert ws.has("shift_share")


def test_demo_refuses_to_overwrite_a_real_workspace(tmp_path: Path) -> None:
    real = make_tiny_workspace(tmp_path / "real", synthetic=False)
    result = runner.invoke(app, ["demo", "--out", str(real.path), "--no-report"])
    assert result.exit_code == EXIT_INPUT
    assert "nicht synthetischen" in result.output


def test_fetch_errors_before_any_network_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in (
        "REGIONALSTATISTIK_TOKEN",
        "REGIONALSTATISTIK_USER",
        "REGIONALSTATISTIK_PASSWORD",
    ):
        monkeypatch.delenv(variable, raising=False)
    result = runner.invoke(
        app, ["fetch", "genesis", "12411-02-03-4", "--cache", str(tmp_path / "cache")]
    )
    assert result.exit_code == EXIT_INPUT
    assert "REGIONALSTATISTIK_TOKEN" in result.output
    result = runner.invoke(app, ["fetch", "osm", "Atlantis", "--cache", str(tmp_path / "cache")])
    assert result.exit_code == EXIT_INPUT
    assert "Land 'Atlantis' unbekannt" in result.output
