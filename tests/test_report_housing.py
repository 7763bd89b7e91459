"""Report section "Wohnungsbedarf" on the demo region (trend and employer scenario)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from html import escape
from pathlib import Path

import pandas as pd
import pytest

from regiowerk.cli import _demo_scenarios
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.demography.ccm import CohortComponentModel
from regiowerk.demography.projection import run_scenario, save_projection
from regiowerk.formatting import fmt_int, fmt_percent
from regiowerk.housing import housing_defaults, run_housing, save_housing
from regiowerk.housing.parameters import PARAMETER_LABELS
from regiowerk.housing.stockflow import measured_losses
from regiowerk.report import build_report
from regiowerk.report.registry import ReportContext, sections
from regiowerk.workspace import Workspace

from factories import make_tiny_workspace

TREND, EMPLOYER = "Trend", "Ansiedlung Rabenstedt"


def _section(html: str, key: str = "wohnungsbedarf") -> str:
    start = html.index(f'<section id="abschnitt-{key}"')
    return html[start : html.index("</section>", start)]


def _render(workspace: Workspace) -> tuple[str | None, ReportContext]:
    """Only the housing section (faster than the whole report) and its context."""
    section = next(s for s in sections() if s.key == "wohnungsbedarf")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    return section.render(ctx), ctx


@pytest.fixture(scope="session")
def housing_ws(tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion) -> Workspace:
    """The demo region projected in both demo scenarios, with its housing demand."""
    workspace = save_demo(demo_region, tmp_path_factory.mktemp("housing") / "ws")
    base = CohortComponentModel.from_workspace(workspace)
    scenarios = _demo_scenarios(workspace.load("municipalities"))
    runs = [run_scenario(workspace, s, base=base) for s in scenarios]
    for run in runs:
        save_projection(workspace, run)
    save_housing(workspace, run_housing(workspace, runs, base=base))
    return workspace


@pytest.fixture(scope="session")
def report_html(housing_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = build_report(housing_ws, tmp_path_factory.mktemp("bericht") / "bericht.html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def section(report_html: str) -> str:
    return _section(report_html)


def _new_construction(workspace: Workspace) -> pd.DataFrame:
    """Cumulative new construction (positive yearly totals) per scenario and size class."""
    demand = workspace.load("housing_demand")
    demand = demand.assign(new=demand["total"].where(demand["total"] > 0, 0.0))
    return demand.groupby(["scenario", "size_class"])["new"].sum().unstack()


def _copy(workspace: Workspace, target: Path) -> Workspace:
    shutil.copytree(workspace.path, target)
    return Workspace.open(target)


def test_title_and_position_after_population(report_html: str, section: str) -> None:
    assert "Wohnungsbedarf</h2>" in section
    positions = [
        report_html.index(f"{title}</h2>")
        for title in ("Bevölkerungsentwicklung", "Wohnungsbedarf", "Quellen und Lizenzen")
    ]
    assert positions == sorted(positions)


def test_lead_recomputes_cumulative_demand(housing_ws: Workspace, section: str) -> None:
    new = _new_construction(housing_ws)
    trend, employer = new.loc[TREND].sum(), new.loc[EMPLOYER].sum()
    lead = section[: section.index("<h3>")]
    assert f"im Szenario „{TREND}“ rund {fmt_int(trend)} Wohnungen neu gebaut" in lead
    assert f"davon {fmt_int(new.loc[TREND, '1-2'])} kleine Wohnungen mit 1–2 Räumen" in lead
    assert f"Im Szenario „{EMPLOYER}“ sind es {fmt_int(employer)} Wohnungen" in lead
    assert f"gehen damit rund {fmt_int(employer - trend)} Wohnungen zurück" in lead
    small = new.loc[EMPLOYER, "1-2"] - new.loc[TREND, "1-2"]
    assert f"darunter {fmt_int(small)} kleine" in lead
    assert employer > trend > 0


def test_period_tables_sum_to_the_cumulative_demand(housing_ws: Workspace, section: str) -> None:
    new = _new_construction(housing_ws)
    tables = section[section.index("<h3>Neubaubedarf nach Zeitraum") :]
    tables = tables[: tables.index("<h3>", 5)]
    assert tables.count("<table") == 2  # one per scenario
    assert '<th scope="col" class="num">2024–2028</th>' in tables
    assert "zusammen 2024–2045" in tables
    for scenario in (TREND, EMPLOYER):
        assert f'<td class="num">{fmt_int(new.loc[scenario].sum())}</td></tr></tfoot>' in tables
        assert f'<td class="num">{fmt_int(new.loc[scenario, "5+"])}</td></tr>' in tables


def test_gap_table_uses_the_horizon_year(housing_ws: Workspace, section: str) -> None:
    demand = housing_ws.load("housing_demand")
    rows = demand[(demand["year"] == 2045) & (demand["scenario"] == TREND)]
    gap = section[section.index("<h3>Lücke gegenüber dem Bestand 2045") :]
    gap = gap[: gap.index("<h3>", 5)]
    assert f'<td class="num">{fmt_int(rows["stock"].sum())}</td>' in gap
    assert f'<td class="num">{fmt_int(rows["required"].sum())}</td>' in gap
    assert "Lücke „Ansiedlung Rabenstedt“" in gap


def test_figures_and_map(section: str) -> None:
    assert section.count("<img") == 3
    for alt in (
        "Neubaubedarf je Jahr nach Wohnungsgröße",
        "Bestandteile des Wohnungsbedarfs je Jahr",
        "Karte: Neubaubedarf je 1.000 Einwohner",
    ):
        assert f'alt="{alt}' in section
    assert "Szenarien „Trend“ und „Ansiedlung Rabenstedt“ mit gleicher Achse" in section
    assert f"(Szenario „{EMPLOYER}“), feste Klassen" in section  # map of the employer scenario


def test_sensitivity_rows(housing_ws: Workspace, section: str) -> None:
    meta = json.loads(housing_ws.provenance("housing_demand").notes)
    table = section[section.index("<h3>Empfindlichkeit") : section.index("<h3>Modellannahmen")]
    assert table.count("<table") == 2
    for scenario in (TREND, EMPLOYER):
        for record in meta["sensitivity"][scenario]:
            cells = "".join(
                f'<td class="num">{fmt_int(record[k])}</td>'
                for k in ("demand_low", "demand", "demand_high")
            )
            assert f"<td>{escape(record['label'])}</td>" in table
            assert cells in table
    records = meta["sensitivity"][TREND]
    replacement = next(r for r in records if r["parameter"] == "replacement_rate")
    row = table[table.index("<tr><td>Ersatzbedarf (Abgangsrate je Jahr)</td>") :]
    row = row[: row.index("</tr>")]
    assert f'<td class="num">{fmt_percent(replacement["value"])} je Jahr</td>' in row


def test_model_assumptions_box(section: str) -> None:
    box = section[section.index('<div class="modellannahmen"') :]
    for label in PARAMETER_LABELS.values():
        assert f"<td>{escape(label)}</td>" in box
    assert '<td class="num">5 Jahre</td>' in box
    for source in housing_defaults().sources.values():
        assert escape(source) in box
    assert "an den bewohnten Bestand des Basisjahres angepasst" in box
    assert "mit einem eigenen Profil gezählt" in box
    assert "kein Wegzug" in box
    # the real-data check of the replacement rate, quoted from losses.toml
    for period in measured_losses():
        assert f"{period['start']}–{period['end']}: netto" in box
        assert fmt_percent(float(period["mape_default"]) / 100, 2) in box


def test_one_scenario_with_warnings(housing_ws: Workspace, tmp_path: Path) -> None:
    workspace = _copy(housing_ws, tmp_path / "ws")
    demand = workspace.load("housing_demand")
    provenance = workspace.provenance("housing_demand")
    meta = json.loads(provenance.notes)
    meta["sensitivity"] = {TREND: meta["sensitivity"][TREND]}
    meta["warnings"] = ["Gemeinde 03991001: 725 Wohnungen, aber 800 Haushalte im Basisjahr."]
    meta["notes"] = ["Wohnungsbestand von 2022 als Bestand des Basisjahres 2023."]
    workspace.save(
        "housing_demand",
        demand[demand["scenario"] == TREND],
        replace(provenance, notes=json.dumps(meta, ensure_ascii=False)),
    )
    html, ctx = _render(workspace)
    assert html is not None
    assert f"Es liegt nur das Szenario „{TREND}“ vor" in html
    assert "Szenarien im Vergleich" not in html
    assert html.count("<img") == 3
    assert f"(Szenario „{TREND}“)." in html  # single panel caption
    assert html.count("<table") == 5  # period, gap, sensitivity, parameters, sources
    assert "<li>Wohnungsbestand von 2022 als Bestand des Basisjahres 2023.</li>" in html
    assert [n.text for n in ctx.notes] == meta["warnings"]
    assert ctx.notes[0].section == "Wohnungsbedarf"


def test_kreis_level_skips_the_map(housing_ws: Workspace, tmp_path: Path) -> None:
    workspace = _copy(housing_ws, tmp_path / "ws")
    demand = workspace.load("housing_demand")
    kreise = (
        demand.assign(ags=demand["ags"].str[:5])
        .groupby(["ags", "year", "scenario", "size_class"], as_index=False)
        .sum(numeric_only=True)
    )
    workspace.save("housing_demand", kreise, workspace.provenance("housing_demand"))
    html, ctx = _render(workspace)
    assert html is not None
    assert html.count("<img") == 2
    assert "Karte der Gemeinden entfällt" in html
    assert any("nur für Kreise vor" in n.text for n in ctx.notes)


def test_empty_table_is_skipped_with_reason(housing_ws: Workspace, tmp_path: Path) -> None:
    workspace = _copy(housing_ws, tmp_path / "ws")
    demand = workspace.load("housing_demand")
    workspace.save("housing_demand", demand.iloc[:0], workspace.provenance("housing_demand"))
    html, ctx = _render(workspace)
    assert html is None
    assert ctx.skip_reason is not None
    assert "enthält keine Zeilen" in ctx.skip_reason


def test_section_skipped_without_housing_demand(tmp_path: Path) -> None:
    html = build_report(make_tiny_workspace(tmp_path / "ws"), tmp_path / "b.html").read_text(
        encoding="utf-8"
    )
    assert 'id="abschnitt-wohnungsbedarf"' not in html
    start = html.index("<h3>Nicht enthalten</h3>")
    skipped = html[start : html.index("</ul>", start)]
    assert "Wohnungsbedarf" in skipped
    assert "„Wohnungsbedarf“ (housing_demand)" in skipped
