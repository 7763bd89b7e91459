"""Report section "Erreichbarkeit" on the demo region (grid origins) and its fallbacks."""

from __future__ import annotations

import shutil
from dataclasses import replace
from html import escape
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from regiowerk.access import standards
from regiowerk.access.indicators import closure_test, compliance
from regiowerk.access.run import AccessResult, compute, network_for, save_access
from regiowerk.demo import DemoRegion, save_demo
from regiowerk.formatting import fmt_float, fmt_int, fmt_percent
from regiowerk.report import build_report, figures
from regiowerk.report.registry import ReportContext, sections
from regiowerk.report.sections import access as access_section
from regiowerk.workspace import Workspace

SERVICES = ("gp", "hospital", "obstetrics", "paediatrics", "mittelzentrum", "supermarket")
BASE = ("municipalities", "kreise", "roads", "population", "population_totals")
LABELS = {name: service.label for name, service in standards.load().services.items()}


def _render(workspace: Workspace) -> tuple[str | None, ReportContext]:
    """Only the access section (faster than the whole report) and its context."""
    section = next(s for s in sections() if s.key == "erreichbarkeit")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    return section.render(ctx), ctx


def _compute(workspace: Workspace, services: tuple[str, ...]) -> list[AccessResult]:
    catalogue = standards.load()
    network = network_for(workspace, "car")
    return [compute(workspace, s, "car", catalogue, network) for s in services]


def _part(section: str, start: str, end: str = "<h3>") -> str:
    """The text of ``section`` from ``start`` to the next ``end``."""
    begin = section.index(start)
    return section[begin : section.index(end, begin + len(start))]


@pytest.fixture(scope="module")
def computed(
    tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion
) -> tuple[Workspace, list[AccessResult]]:
    """The demo region (grid, facilities, roads) with the access tables of six services."""
    path = tmp_path_factory.mktemp("access") / "ws"
    workspace = save_demo(demo_region, path, only=[*BASE, "grid", "facilities"])
    results = _compute(workspace, SERVICES)
    save_access(workspace, results, standards.load())
    return workspace, results


@pytest.fixture(scope="module")
def access_ws(computed: tuple[Workspace, list[AccessResult]]) -> Workspace:
    return computed[0]


@pytest.fixture(scope="module")
def rendered(access_ws: Workspace) -> tuple[str, ReportContext]:
    html, ctx = _render(access_ws)
    assert html is not None
    return html, ctx


@pytest.fixture(scope="module")
def section(rendered: tuple[str, ReportContext]) -> str:
    return rendered[0]


@pytest.fixture(scope="module")
def municipal(
    tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion
) -> tuple[str, ReportContext]:
    """Municipalities as origins (no grid), rendered in a workspace without facilities, with
    a warning in the provenance."""
    root = tmp_path_factory.mktemp("gemeinden")
    source = save_demo(demo_region, root / "quelle", only=[*BASE, "facilities"])
    results = _compute(source, ("gp", "hospital", "mittelzentrum"))
    results[0] = replace(results[0], warnings=["Testwarnung: 3 Orte ohne Weg."])
    workspace = save_demo(demo_region, root / "ws", only=BASE)
    save_access(workspace, results, standards.load())
    html, ctx = _render(workspace)
    assert html is not None
    return html, ctx


def _mean(rows: pd.DataFrame) -> float:
    reached = rows[rows["minutes"].notna()]
    return float((reached["minutes"] * reached["persons"]).sum() / reached["persons"].sum())


def test_title_and_order(access_ws: Workspace, tmp_path: Path) -> None:
    keys = [s.key for s in sections()]
    assert keys.index("bevoelkerung") < keys.index("wohnungsbedarf")
    assert keys.index("wohnungsbedarf") < keys.index("erreichbarkeit") < keys.index("sources")
    html = build_report(access_ws, tmp_path / "bericht.html").read_text(encoding="utf-8")
    assert '<section id="abschnitt-erreichbarkeit"' in html
    positions = [
        html.index(f"{title}</h2>")
        for title in ("Regionsüberblick", "Erreichbarkeit", "Quellen und Lizenzen")
    ]
    assert positions == sorted(positions)


def test_lead_recomputes_the_weighted_means(access_ws: Workspace, section: str) -> None:
    access = access_ws.load("access")
    lead = section[: section.index("<h3>")]
    assert "mit dem Pkw von jeder bewohnten 1-km-Rasterzelle" in lead
    assert f"({fmt_int(access['origin_id'].nunique())} Zellen, " in lead
    facilities = access_ws.load("facilities")
    for service in SERVICES:
        rows = access[access["service"] == service]
        assert LABELS[service] in lead
        cells = f'<tr><td>{escape(LABELS[service])}</td><td class="num">'
        row = lead[lead.index(cells) :]
        row = row[: row.index("</tr>")]
        assert f'<td class="num">{fmt_float(_mean(rows))}</td>' in row
        within = rows.loc[rows["minutes"] <= 30, "persons"].sum() / rows["persons"].sum()
        assert f'<td class="num">{fmt_percent(within)}</td>' in row
    gp_sites = int((facilities["kind"] == "gp").sum())
    assert f'<tr><td>Hausarztpraxis</td><td class="num">{fmt_int(gp_sites)}</td>' in lead
    # services without a standard: dashes and a remark
    assert "Für Hausarztpraxis und Lebensmittelmarkt enthält der Standardkatalog keine" in lead


def test_compliance_rows_match_the_indicator(access_ws: Workspace, section: str) -> None:
    catalogue = standards.load()
    expected = compliance(access_ws.load("access"), catalogue.standards)
    assert set(expected["standard"]) == {
        "gba-grundversorgung",
        "gba-geburtshilfe",
        "gba-kinder",
        "mkro-mittelzentrum",
    }
    table = _part(section, "<h3>Standards</h3>")
    sources = {s.id: s.source for s in catalogue.standards}
    for number, row in enumerate(expected.to_dict("records"), start=1):
        cells = (
            f'<tr><td class="num">{number}</td><td><code>{row["standard"]}</code></td>'
            f"<td>{escape(LABELS[row['service']])}</td><td>Pkw</td>"
            f'<td class="num">{fmt_int(row["minutes"])}</td><td>Deutschland</td>'
            f'<td class="num">{fmt_int(row["persons"])}</td>'
            f'<td class="num">{fmt_int(row["beyond"])}</td>'
            f'<td class="num">{fmt_percent(row["share_within"])}</td>'
            f'<td class="num">{fmt_int(row["municipalities_missing"])}</td></tr>'
        )
        assert cells in table
        assert escape(sources[row["standard"]]) in table
    hospital = expected.set_index("standard").loc["gba-grundversorgung"]
    lead = section[: section.index("<h3>")]
    assert (
        f"Krankenhaus der Grundversorgung in 30 Minuten mit dem Pkw: "
        f"{fmt_percent(hospital['share_within'])} der Einwohner "
        f"({fmt_int(hospital['beyond'])} nicht)" in lead
    )


def test_closure_rows_match_the_indicator(
    computed: tuple[Workspace, list[AccessResult]], section: str
) -> None:
    workspace, results = computed
    access = workspace.load("access")
    by_service = {r.service: r for r in results}
    part = _part(section, "<h3>Schließungstest")
    assert "den zweitnächsten Standort aber nicht" in part
    flagged = 0
    for standard in standards.load().standards:
        if standard.closure_limit is None:
            continue
        names = by_service[standard.service].destinations.set_index("facility_id")["name"]
        table = closure_test(access, standard, names)
        heading = f"<h4>{escape(LABELS[standard.service])} ({standard.id})</h4>"
        own = part[part.index(heading) :]
        own = own[: own.index("</table>")]
        assert own.count("<tr><td>") == len(table)
        for row in table.to_dict("records"):
            assert (
                f'<tr><td>{escape(row["name"])}</td><td class="num">{fmt_int(row["served"])}</td>'
                f'<td class="num">{fmt_int(row["affected"])}</td>'
                f'<td class="num">{fmt_int(standard.closure_limit)}</td>'
                f"<td>{'Ja' if row['flagged'] else 'Nein'}</td></tr>"
            ) in own
        flagged += int(table["flagged"].sum())
    assert flagged > 0
    assert "betroffene Frauen 15–49" in part
    assert "Klinikum Rabenstedt" in part


def test_maps(access_ws: Workspace, section: str) -> None:
    assert section.count("<img") == 2
    assert 'alt="Karten: Fahrzeit zur nächsten Einrichtung (Pkw)"' in section
    assert "je 1-km-Rasterzelle (unbewohnte Flächen grau)" in section
    supply = _part(section, "<h3>Versorgung im Verhältnis zur Nachfrage (E2SFCA)</h3>")
    assert 'alt="Karte: Versorgung Hausarztpraxis (E2SFCA)"' in supply
    assert "1 für 0–10 Minuten, 0,68 für 10–20 Minuten und 0,22 für 20–30 Minuten" in supply
    access = access_ws.load("access")
    gp = access[(access["service"] == "gp") & access["supply_ratio"].notna()]
    mean = (gp["supply_ratio"] * gp["persons"]).sum() / gp["persons"].sum()
    assert f"Im Mittel der Region sind es {fmt_float(mean, 2)} Ärzte (VZÄ) je 1.000" in supply


def test_worst_municipalities_for_the_main_standard(access_ws: Workspace, section: str) -> None:
    access = access_ws.load("access")
    checks = compliance(access, standards.load().standards)
    main = checks.sort_values("beyond", ascending=False).iloc[0]
    part = _part(section, "<h3>Gemeinden mit den längsten Wegen</h3>")
    assert f"<code>{main['standard']}</code>" in part
    rows = access[access["service"] == main["service"]]
    beyond = rows["persons"].where(~(rows["minutes"] <= main["minutes"]), 0.0)
    share = 1 - beyond.groupby(rows["ags"]).sum() / rows.groupby("ags")["persons"].sum()
    summary = access_ws.load("access_summary")
    mean = summary[summary["service"] == main["service"]].set_index("ags")["mean_minutes"]
    ranked = pd.DataFrame({"share": share, "mean": mean}).sort_values(
        ["share", "mean"], ascending=[True, False]
    )
    worst = ranked.index[0]
    names = access_ws.load("municipalities").set_index("ags")["name"]
    first = part[part.index("<tbody>") :]
    assert first.index(f"<td>{names[worst]}</td>") < first.index("</tr>")
    assert part.count("<tr><td>") == min(10, int((share < 1).sum()))


def test_assumptions_and_notes(rendered: tuple[str, ReportContext]) -> None:
    section, ctx = rendered
    box = section[section.index('<div class="modellannahmen"') :]
    assert "zu Fuß mit 4,5 km/h" in box
    assert "ohne Stau" in box
    assert "--standards DATEI" in box
    assert "Mittelzentrum (Pkw): Zentrum eines zentralen Ortes" in box
    assert ctx.notes == []


def test_municipality_origins_without_facilities(
    municipal: tuple[str, ReportContext],
) -> None:
    section, ctx = municipal
    assert "von einem Punkt im Inneren jeder Gemeinde (48 Gemeinden" in section
    assert "je Gemeinde (ein Ausgangspunkt im Inneren" in section
    assert "Ohne Standorte (Lage unbekannt): Hausarztpraxis und Krankenhaus der" in section
    assert section.count("<img") == 2  # travel times and GP supply on municipalities
    closure = _part(section, "<h3>Schließungstest")
    assert "Standorte nur aus den Ergebnissen der Tabelle access" in closure
    assert "<td>hospital-0001</td>" in closure  # no names without the facilities table
    assert "kein Bevölkerungsraster im Arbeitsbereich" in section
    notes = [n.text for n in ctx.notes]
    assert "Hausarztpraxis (Pkw): Testwarnung: 3 Orte ohne Weg." in notes
    assert all(n.section == "Erreichbarkeit" for n in ctx.notes)
    assert "Testwarnung" in section  # as an inline note, too


def test_empty_access_is_skipped_with_reason(access_ws: Workspace, tmp_path: Path) -> None:
    shutil.copytree(access_ws.path, tmp_path / "ws")
    workspace = Workspace.open(tmp_path / "ws")
    access = workspace.load("access")
    workspace.save("access", access.iloc[:0], workspace.provenance("access"))
    html, ctx = _render(workspace)
    assert html is None
    assert ctx.skip_reason == "Die Tabelle „Erreichbarkeit“ (access) enthält keine Zeilen."


def test_the_report_checks_the_standards_the_run_used(
    computed: tuple[Workspace, list[AccessResult]], tmp_path: Path
) -> None:
    workspace, results = computed
    copy = tmp_path / "ws"
    shutil.copytree(workspace.path, copy)
    ws = Workspace.open(copy)
    own = standards.Standard(
        id="hausarzt-eigen", service="gp", mode="car", minutes=7, source="Eigener Zielwert"
    )
    catalogue = standards.load()
    catalogue = catalogue.model_copy(update={"standards": [*catalogue.standards, own]})
    save_access(ws, results, catalogue)
    html, _ = _render(ws)
    assert html is not None
    assert "Eigener Zielwert" in html


@pytest.mark.parametrize("panels", [1, 4, 6])
def test_map_legends_overlap_neither_each_other_nor_the_maps(
    access_ws: Workspace, monkeypatch: pytest.MonkeyPatch, panels: int
) -> None:
    """Six services once drew the class and symbol legends into each other."""
    captured: list[Figure] = []
    section = next(s for s in sections() if s.key == "erreichbarkeit")
    ctx = ReportContext(access_ws)
    ctx.begin(section)

    def keep(fig: Figure, *, alt: str, caption: str) -> str:
        if alt.startswith("Karten: Fahrzeit"):
            captured.append(fig)
        return ""

    monkeypatch.setattr(ctx, "figure", keep)
    monkeypatch.setattr(access_section, "MAX_PANELS", panels)
    section.render(ctx)
    (fig,) = captured
    fig.set_dpi(figures.DPI)  # as in the report: text widths depend on the resolution
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw(renderer)
    maps = [ax for ax in fig.axes if ax.collections]
    assert len(maps) == panels
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    legends += [a for ax in fig.axes for a in ax.artists if isinstance(a, Legend)]
    legends += list(fig.legends)
    assert len(legends) == 2
    boxes = [legend.get_window_extent(renderer) for legend in legends]
    assert not boxes[0].overlaps(boxes[1])
    for box in boxes:
        assert box.x0 >= 0  # inside the figure
        assert box.x1 <= fig.bbox.x1
        assert box.y0 >= 0
        for ax in maps:
            assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title(loc="left")
