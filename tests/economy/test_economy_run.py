"""run_economy / save_economy, the CLI command and the report section on the demo region."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from regiowerk.cli import app
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.economy import EconomyError, compute_economy, run_economy, save_economy
from regiowerk.report.registry import ReportContext, sections
from regiowerk.workspace import Workspace

runner = CliRunner()
TABLES = ["municipalities", "kreise", "employment"]


@pytest.fixture
def ws(tmp_path: Path, demo_region: DemoRegion) -> Workspace:
    return save_demo(demo_region, tmp_path / "ws", only=TABLES)


def _identity(frame: pd.DataFrame) -> float:
    return float(
        (frame["national"] + frame["industry_mix"] + frame["competitive"] - frame["total"])
        .abs()
        .max()
    )


def test_run_on_the_demo(ws: Workspace) -> None:
    result = run_economy(ws)
    assert (result.start, result.end, result.reference) == (2018, 2023, "regions")
    assert result.annual is None
    assert any("Summe der Regionen" in n for n in result.notes)
    frame = result.classic.frame
    assert _identity(frame) < 1e-9
    employment = ws.load("employment")
    change = employment.groupby("year")["persons"].sum()
    assert frame["total"].sum() == pytest.approx(change[2023] - change[2018])
    # against the region itself the competitive and mix effects cancel over the region
    assert abs(frame["competitive"].sum()) < 1e-6
    assert abs(frame["industry_mix"].sum()) < 1e-6
    record = save_economy(ws, result)
    assert record.rows == len(frame)
    meta = json.loads(ws.provenance("shift_share").notes or "{}")
    assert meta["reference"] == "regions"
    assert set(meta["structure"]) == set(frame["region"])
    assert ws.provenance("shift_share").synthetic
    save_economy(ws, result)  # the same period again replaces its rows
    assert len(ws.load("shift_share")) == len(frame)


def _with_germany(employment: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Kreis rows for every year of ``years`` (scaled) and DG rows 10 × the region."""
    kreise = employment.assign(region=employment["region"].str[:5])
    kreise = kreise.groupby(["region", "year", "sector"], as_index=False)["persons"].sum()
    base = kreise[kreise["year"] == 2018]
    frames = [base.assign(year=y, persons=base["persons"] * (1 + 0.02 * (y - 2018))) for y in years]
    frame = pd.concat(frames, ignore_index=True)
    germany = frame.groupby(["year", "sector"], as_index=False)["persons"].sum()
    germany = germany.assign(region="DG", persons=germany["persons"] * 10)
    germany.loc[germany["sector"] == "A", "persons"] *= 1.5
    return pd.concat([frame, germany], ignore_index=True)


def test_germany_reference_and_dynamic(demo_region: DemoRegion) -> None:
    frame = _with_germany(demo_region.tables["employment"], [2018, 2019, 2020])
    result = compute_economy(frame)
    assert result.reference == "germany"
    assert result.annual is not None
    table = result.table()
    assert set(zip(table["start_year"], table["end_year"], strict=True)) == {
        (2018, 2020),
        (2018, 2019),
        (2019, 2020),
    }
    dynamic = result.dynamic
    assert dynamic is not None
    assert _identity(dynamic) < 1e-9
    assert np.allclose(dynamic["total"].sum(), result.classic.frame["total"].sum())
    assert set(result.classic.frame["region"]) == {"03991", "15991", "15992"}
    regions = compute_economy(frame, reference="regions")
    assert regions.reference == "regions"


def test_bad_input(demo_region: DemoRegion, ws: Workspace) -> None:
    employment = demo_region.tables["employment"]
    negative = employment.copy()
    negative.loc[7, "persons"] = -4.0
    with pytest.raises(EconomyError, match="Zeile 7: negative Beschäftigtenzahl -4"):
        compute_economy(negative)
    gone = employment[~((employment["region"] == "03991001") & (employment["year"] == 2023))]
    with pytest.raises(EconomyError, match="Region fehlt im Jahr 2023: 03991001"):
        compute_economy(gone)
    unknown = pd.concat([employment, employment.head(1).assign(sector="TOTAL")])
    with pytest.raises(EconomyError, match="'TOTAL' unbekannt"):
        compute_economy(unknown)
    with pytest.raises(EconomyError, match="Referenz Deutschland gewählt"):
        run_economy(ws, reference="germany")
    with pytest.raises(EconomyError, match="keine Werte für 2030"):
        run_economy(ws, 2018, 2030)
    with pytest.raises(EconomyError, match="vor dem Endjahr"):
        run_economy(ws, 2023, 2018)
    suppressed = employment.copy()
    suppressed.loc[3, "persons"] = np.nan
    result = compute_economy(suppressed)
    assert len(result.classic.excluded) == 1
    assert any("1 Zellen" in n for n in result.notes)


def test_cli_on_the_demo(ws: Workspace) -> None:
    result = runner.invoke(app, ["economy", str(ws.path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Shift-Share 2018–2023" in result.output
    assert "Landkreis Wiesenbruch" in result.output
    assert "Insgesamt" in result.output
    assert Workspace.open(ws.path).has("shift_share")
    bad = runner.invoke(app, ["economy", str(ws.path), "--start", "2023", "--end", "2018"])
    assert bad.exit_code == 2
    assert "vor dem Endjahr" in bad.output
    assert "Traceback" not in bad.output
    wrong = runner.invoke(app, ["economy", str(ws.path), "--reference", "mond"])
    assert wrong.exit_code == 2


def _render(workspace: Workspace) -> tuple[str | None, ReportContext]:
    section = next(s for s in sections() if s.key == "wirtschaftsstruktur")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    return section.render(ctx), ctx


def test_report_section(ws: Workspace) -> None:
    section = next(s for s in sections() if s.key == "wirtschaftsstruktur")
    assert (section.title, section.order, section.requires) == (
        "Wirtschaftsstruktur",
        60,
        ("employment",),
    )
    html, _ = _render(ws)
    assert html is not None
    assert "beim Erstellen des Berichts" in html
    assert html.count("<figure>") == 3
    assert "Standortkomponente" in html
    assert "Landkreis Saalbruch" in html
    save_economy(ws, run_economy(ws))
    saved, _ = _render(Workspace.open(ws.path))
    assert saved is not None
    assert "gespeicherte Tabelle shift_share" in saved
    table = re.search(r"<table.*?</table>", saved, re.S)
    assert table is not None
    assert "Region insgesamt" in table.group(0)


def test_report_section_without_map(tmp_path: Path, demo_region: DemoRegion) -> None:
    workspace = save_demo(demo_region, tmp_path / "ohne", only=["kreise", "employment"])
    html, ctx = _render(workspace)
    assert html is not None
    assert any("keine Karte" in n.text for n in ctx.notes)


def _occupations(codes: list[str]) -> pd.DataFrame:
    rows = [
        (region, year, code, float(10 + 3 * i + 5 * j + (year - 2018)))
        for i, region in enumerate(["03991001", "03991002"])
        for year in (2018, 2023)
        for j, code in enumerate(codes)
    ]
    return pd.DataFrame(rows, columns=["region", "year", "sector", "persons"])


def test_occupation_groups_are_taken_as_given() -> None:
    result = compute_economy(_occupations(["611", "612", "713"]))
    assert result.sectors == ["611", "612", "713"]
    assert any("keine Wirtschaftszweige der WZ 2008" in n for n in result.notes)
    assert set(result.classic.frame["sector"]) == {"611", "612", "713"}
    assert _identity(result.classic.frame) < 1e-9
    with pytest.raises(EconomyError, match="Gruppen 61 und 611 überschneiden sich"):
        compute_economy(_occupations(["61", "611", "713"]))
    # WZ codes mixed with other codes stay an error
    with pytest.raises(EconomyError, match="'611' unbekannt"):
        compute_economy(_occupations(["A", "611"]))
