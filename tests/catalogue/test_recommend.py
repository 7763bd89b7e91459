"""Diagnosis of a workspace and recommendations of measures with reasons (issue 8, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from regiowerk.catalogue.diagnosis import Diagnosis, diagnose, diagnose_workspace
from regiowerk.catalogue.recommend import format_threshold, recommend
from regiowerk.catalogue.schema import Measure, Project, Trigger
from regiowerk.catalogue.store import Catalogue
from regiowerk.cli import app
from regiowerk.report import ReportContext, registry
from regiowerk.report.sections import measures as measures_section
from regiowerk.workspace import Workspace

NB = "\u202f"


def _measure(code: str, *triggers: Trigger) -> Measure:
    return Measure(
        code=code,
        title=f"Maßnahme {code}",
        summary="Eine Maßnahme für die Tests der Empfehlungen.",
        implementation=["umsetzen"],
        effects="Wirkt in der Region.",
        target_groups=["Kommunen"],
        spatial_levels=["regional"],
        project_types=["konzeptionell"],
        field="wohnen",
        triggers=list(triggers),
    )


def _trigger(indicator: str, direction: str, threshold: float, reason: str) -> Trigger:
    return Trigger.model_validate(
        {"indicator": indicator, "direction": direction, "threshold": threshold, "reason": reason}
    )


@pytest.fixture
def catalogue() -> Catalogue:
    old = _trigger("share_65plus", "above", 0.27, "Viele Ältere brauchen passende Wohnungen.")
    gap = _trigger("small_dwelling_gap", "above", 5.0, "Kleine Wohnungen fehlen.")
    gp = _trigger("gp_minutes", "above", 15.0, "Der Weg zur Praxis ist weit.")
    commute = _trigger("self_containment", "below", 0.5, "Wenige arbeiten am Wohnort.")
    measures = {
        "W 101": _measure("W 101", old, gap),
        "W 102": _measure("W 102", old),
        "W 103": _measure("W 103", gp),
        "W 104": _measure("W 104", commute),
        "W 105": _measure("W 105", _trigger("vacancy_rate", "above", 0.05, "Leerstand.")),
    }
    project = Project(
        id="ref-projekt", title="Referenz", regions=["Musterland"], measures=["W 102"],
        sources=["eigene Notiz"],
    )  # fmt: skip
    return Catalogue(measures=measures, projects={"ref-projekt": project})


def test_ranking_and_reason_text(catalogue: Catalogue) -> None:
    diagnosis = Diagnosis.from_values(
        {
            "share_65plus": 0.274,
            "small_dwelling_gap": 7.5,
            "gp_minutes": 12.0,
            "self_containment": 0.30,
            "vacancy_rate": 0.03,
        }
    )
    result = recommend(diagnosis, catalogue)
    codes = [r.measure.code for r in result.recommended]
    # W 101: 2 met, (0.274-0.27)/0.27 + (7.5-5)/5 → 2 + 0.0148 + 0.5
    # W 104: (0.5-0.3)/0.5 = 0.4 → 1.4; W 102: 1.0148; W 103 and W 105 not met
    assert codes == ["W 101", "W 104", "W 102"]
    top = result.recommended[0]
    assert top.score == pytest.approx(2 + 0.004 / 0.27 + 0.5)
    assert top.reasons[0] == (
        f"Anteil 65+: 27,4{NB}% (Schwelle 27{NB}%) – Viele Ältere brauchen passende Wohnungen."
    )
    assert top.reasons[1].startswith(
        "Fehlende Ein- und Zweizimmerwohnungen: 7,5 je 1.000 EW (Schwelle 5 je 1.000 EW)"
    )
    below = result.recommended[1].reasons[0]
    assert f"30,0{NB}% (Schwelle 50{NB}%, unterschritten)" in below
    assert [p.id for p in result.recommended[2].projects] == ["ref-projekt"]
    assert result.not_checkable == []
    assert result.not_indicated == 2


def test_excess_is_capped(catalogue: Catalogue) -> None:
    result = recommend(Diagnosis.from_values({"gp_minutes": 60.0}), catalogue)
    [item] = result.recommended
    assert item.measure.code == "W 103"
    assert item.score == pytest.approx(2.0)  # 1 + min(45/15, 1)


def test_absent_indicators_are_not_checkable(catalogue: Catalogue) -> None:
    result = recommend(Diagnosis.from_values({"share_65plus": 0.30}), catalogue)
    # equal scores: W 102 has all its triggers met, W 101 one of two (tie-break)
    assert [r.measure.code for r in result.recommended] == ["W 102", "W 101"]
    assert [c.trigger.indicator for c in result.recommended[1].unchecked] == ["small_dwelling_gap"]
    assert [r.measure.code for r in result.not_checkable] == ["W 103", "W 104", "W 105"]
    assert result.not_indicated == 0
    payload = result.as_dict()
    assert payload["not_checkable"][0] == {  # type: ignore[index]
        "code": "W 103",
        "title": "Maßnahme W 103",
        "missing": ["gp_minutes"],
    }


def test_threshold_format() -> None:
    assert format_threshold("share", 0.55) == f"55{NB}%"
    assert format_threshold("share", 0.275) == f"27,5{NB}%"
    assert format_threshold("per_1000", 0.6) == "0,6 je 1.000 EW"
    assert format_threshold("percent", -4.0) == f"-4{NB}%"
    assert format_threshold("minutes", 15.0) == "15 Min."


def test_missing_tables_give_absent_indicators_not_zero() -> None:
    population = pd.DataFrame(
        {
            "ags": ["03991001"] * 3 + ["15991002"] * 3,
            "year": [2023] * 6,
            "sex": ["f"] * 6,
            "age": [10, 70, 85] * 2,
            "persons": [60, 30, 10, 80, 15, 5],
        }
    )
    diagnosis = diagnose(lambda name: population if name == "population" else None)
    assert diagnosis.value("share_65plus") == pytest.approx(60 / 200)
    assert diagnosis.value("share_80plus") == pytest.approx(15 / 200)
    assert diagnosis.indicators["share_65plus"].by_kreis == {
        "03991": pytest.approx(0.4),
        "15991": pytest.approx(0.2),
    }
    assert diagnosis.indicators["share_65plus"].source == "population, 2023"
    assert diagnosis.value("gp_minutes") is None
    assert diagnosis.missing["gp_minutes"] == "Tabelle access fehlt"
    assert diagnosis.missing["vacancy_rate"] == "Tabelle dwellings fehlt"
    assert set(diagnosis.indicators) == {"share_65plus", "share_80plus"}


# --- demo workspace --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "region"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--no-report"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def demo_ws(demo_dir: Path) -> Workspace:
    return Workspace.open(demo_dir)


def test_demo_diagnosis_recomputed_independently(demo_ws: Workspace) -> None:
    diagnosis = diagnose_workspace(demo_ws)
    population = demo_ws.load("population")
    latest = population[population["year"] == population["year"].max()]
    expected = latest.loc[latest["age"] >= 65, "persons"].sum() / latest["persons"].sum()
    assert diagnosis.value("share_65plus") == pytest.approx(expected)

    commuting = demo_ws.load("commuting")
    expected_out = commuting["out_commuters"].sum() / commuting["residents"].sum()
    assert diagnosis.value("out_commuter_share") == pytest.approx(expected_out)

    summary = demo_ws.load("access_summary")
    gp = summary[(summary["service"] == "gp") & (summary["mode"] == "car")]
    expected_gp = (gp["mean_minutes"] * gp["persons"]).sum() / gp["persons"].sum()
    assert diagnosis.value("gp_minutes") == pytest.approx(expected_gp)
    # the demo has no national reference, so its competitive effects cancel: stated, not 0
    assert set(diagnosis.missing) == {"competitive_component_pct"}
    assert "Region selbst" in diagnosis.missing["competitive_component_pct"]
    assert diagnosis.indicators["population_change_pct"].source.startswith("projection, 2023–")


def test_demo_recommendations(demo_ws: Workspace) -> None:
    result = recommend(diagnose_workspace(demo_ws), Catalogue.for_workspace(demo_ws.path))
    assert result.recommended
    scores = [r.score for r in result.recommended]
    assert scores == sorted(scores, reverse=True)
    assert all(r.reasons and " (Schwelle " in r.reasons[0] for r in result.recommended)


def test_cli_recommend(demo_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["catalogue", "recommend", str(demo_dir), "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert len(payload["recommended"]) == 3
    assert payload["recommended"][0]["reasons"]
    keys = {i["key"] for i in payload["diagnosis"]["indicators"]}
    assert {"share_65plus", "gp_minutes", "out_commuter_share"} <= keys

    text = runner.invoke(app, ["catalogue", "recommend", str(demo_dir), "--limit", "2"])
    assert text.exit_code == 0, text.output
    assert "Anteil 65+" in text.output
    assert "1. " in text.output
    assert "3. " not in text.output


def test_cli_recommend_not_a_workspace(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["catalogue", "recommend", str(tmp_path / "nichts")])
    assert result.exit_code == 2


def test_report_section_renders(demo_ws: Workspace) -> None:
    section = next(s for s in registry.sections() if s.key == "massnahmen")
    assert section.order == 70
    assert section.title == "Maßnahmen"
    ctx = ReportContext(demo_ws)
    ctx.begin(section)
    html = measures_section.render(ctx)
    assert html is not None
    for text in ("Diagnose der Region", "Argumentationshilfe", "Anteil 65+", "Schwelle"):
        assert text in html
    assert "Landkreis" in html  # Kreis names in the diagnosis table


def test_report_section_says_what_is_missing(tmp_path: Path) -> None:
    workspace = Workspace.create(tmp_path / "ws", name="Leer", selection=["03991"], base_year=2023)
    section = next(s for s in registry.sections() if s.key == "massnahmen")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    assert measures_section.render(ctx) is None
    assert ctx.skip_reason
    assert "Keine Kennzahl" in ctx.skip_reason
