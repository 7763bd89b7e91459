"""Diagnosis of a workspace and recommendations of measures with reasons (issue 8, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
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
    # strength d / (d + c): W 101: 0.004 / 0.054 and 2.5 / 7.5 → 2 + mean of both
    # W 104: 0.2 / 0.3 → 1.667; W 102: 1.074; W 103 and W 105 not met
    assert codes == ["W 101", "W 104", "W 102"]
    top = result.recommended[0]
    assert top.score == pytest.approx(2 + (0.004 / 0.054 + 2.5 / 7.5) / 2)
    assert result.recommended[1].score == pytest.approx(1 + 0.2 / 0.3)
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


def test_strength_is_bounded(catalogue: Catalogue) -> None:
    result = recommend(Diagnosis.from_values({"gp_minutes": 60.0}), catalogue)
    [item] = result.recommended
    assert item.measure.code == "W 103"
    assert item.score == pytest.approx(1 + 45 / 50)  # d = 45 min., clear distance 5 min.
    extreme = recommend(Diagnosis.from_values({"gp_minutes": 1e6}), catalogue)
    assert extreme.recommended[0].score < 2


def _demo_values() -> dict[str, float]:
    """The demo region's figures (ageing, shrinking, many out-commuters, growing jobs)."""
    return {
        "share_65plus": 0.255,
        "share_80plus": 0.078,
        "population_change_pct": -2.7,
        "out_commuter_share": 0.601,
        "self_containment": 0.399,
        "employment_change_pct": 11.1,
    }


def test_complementary_indicators_count_once() -> None:
    out = _trigger("out_commuter_share", "above", 0.55, "Viele pendeln aus.")
    inside = _trigger("self_containment", "below", 0.4, "Wenige arbeiten am Wohnort.")
    # bypass the schema, which rejects such a measure, to test the ranking's own rule
    twice = Measure.model_construct(**{**_measure("D 104").__dict__, "triggers": [out, inside]})
    old = _trigger("share_65plus", "above", 0.25, "Die Region altert.")
    shrink = _trigger("population_change_pct", "below", -2.5, "Die Region schrumpft.")
    two_facts = _measure("D 105", old, shrink)
    catalogue = Catalogue(measures={"D 104": twice, "D 105": two_facts})
    result = recommend(Diagnosis.from_values(_demo_values()), catalogue)
    assert [r.measure.code for r in result.recommended] == ["D 105", "D 104"]
    same = result.recommended[1]
    assert len(same.met) == 2  # both triggers are met and both reasons are shown …
    assert same.met_facts.keys() == {"commuting_across_border"}  # … but they are one fact
    assert same.facts == 1
    assert 1 < same.score < 2
    assert same.as_dict()["met"] == 1
    assert same.as_dict()["triggers"] == 1


def test_more_met_triggers_beat_one_extreme_value() -> None:
    jobs = _trigger("employment_change_pct", "above", 2.0, "Die Beschäftigung wächst.")
    strong = _measure("E 101", jobs)
    old = _trigger("share_65plus", "above", 0.25, "Die Region altert.")
    shrink = _trigger("population_change_pct", "below", -2.5, "Die Region schrumpft.")
    weak = _measure("E 102", old, shrink)
    catalogue = Catalogue(measures={"E 101": strong, "E 102": weak})
    result = recommend(Diagnosis.from_values(_demo_values()), catalogue)
    assert [r.measure.code for r in result.recommended] == ["E 102", "E 101"]
    one = result.recommended[1]
    # 11.1 % against 2 %: absolute distance 9.1 points, clear distance 10 → below ½ + ½,
    # not the full point that the relative excess (9.1 / 2 = 4.55, capped) used to give
    assert one.score == pytest.approx(1 + 9.1 / 19.1)
    assert result.recommended[0].score > 2


def test_small_thresholds_are_not_inflated() -> None:
    low = _measure("E 103", _trigger("employment_change_pct", "above", 2.0, "Wachstum."))
    high = _measure("E 104", _trigger("employment_change_pct", "above", 5.0, "Wachstum."))
    catalogue = Catalogue(measures={"E 103": low, "E 104": high})
    result = recommend(Diagnosis.from_values({"employment_change_pct": 11.1}), catalogue)
    scores = {r.measure.code: r.score for r in result.recommended}
    assert scores["E 103"] - scores["E 104"] == pytest.approx(9.1 / 19.1 - 6.1 / 16.1)
    assert scores["E 103"] < 1.5


def test_shipped_catalogue_on_the_demo_figures() -> None:
    result = recommend(Diagnosis.from_values(_demo_values()), Catalogue.load())
    assert all(len(r.met_facts) <= r.facts for r in result.recommended)
    counts = [len(r.met_facts) for r in result.recommended]
    assert counts == sorted(counts, reverse=True)
    by_code = {r.measure.code: r for r in result.recommended}
    for code in ("D 004", "K 006"):  # used to count "2 von 2" from the commuting fact alone
        assert len(by_code[code].met_facts) == 1


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
    notes = tmp_path / "notizen.txt"
    notes.write_text("Notizen", encoding="utf-8")
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["catalogue", "recommend", str(notes)])
    assert result.exit_code == 2
    assert "ist eine Datei" in result.output
    assert f"--out {notes}" not in result.output


def test_cli_recommend_without_any_indicator(tmp_path: Path) -> None:
    workspace = Workspace.create(tmp_path / "ws", name="Leer", selection=["03991"], base_year=2023)
    result = CliRunner().invoke(app, ["catalogue", "recommend", str(workspace.path)])
    assert result.exit_code == 0, result.output
    assert "Keine Kennzahl der Diagnose berechenbar" in result.output
    assert "population" in result.output
    assert "commuting" in result.output
    assert "erfüllt keinen Auslöser" not in result.output
    assert "Quelle" not in result.output  # no empty diagnosis table


def test_cli_recommend_shows_catalogue_notes(demo_dir: Path, tmp_path: Path) -> None:
    import shutil

    workspace = tmp_path / "ws"
    shutil.copytree(demo_dir, workspace)
    own = workspace / "catalogue"
    own.mkdir(exist_ok=True)
    (own / "massnahmen.yaml").write_text("[]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["catalogue", "recommend", str(workspace), "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "Hinweis:" in result.output
    assert "massnahmen.yaml" in result.output


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
    assert "1 Maßnahme ist nicht prüfbar" in html  # E 002 (shift-share effect absent)
    assert "1 Maßnahmen sind" not in html


def _section_context(workspace: Workspace) -> tuple[ReportContext, str | None]:
    section = next(s for s in registry.sections() if s.key == "massnahmen")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    return ctx, measures_section.render(ctx)


def test_report_section_lists_all_catalogue_problems(demo_dir: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(demo_dir, tmp_path / "ws")
    own = tmp_path / "ws" / "catalogue"
    own.mkdir(exist_ok=True)
    bad = [{"code": f"X{n}"} for n in range(12)]  # 12 entries, each with many problems
    (own / "measures_eigene.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    ctx, html = _section_context(Workspace.open(tmp_path / "ws"))
    assert html is None
    assert ctx.skip_reason is not None
    assert "Eintrag 1 (X0)" in ctx.skip_reason
    assert ctx.skip_reason.count("measures_eigene.yaml") == 10  # bounded …
    assert "weitere Probleme" in ctx.skip_reason  # … and the rest counted


def test_report_section_shows_catalogue_notes(demo_dir: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(demo_dir, tmp_path / "ws")
    own = tmp_path / "ws" / "catalogue"
    own.mkdir(exist_ok=True)
    (own / "massnahmen.yaml").write_text("[]\n", encoding="utf-8")
    _ctx, html = _section_context(Workspace.open(tmp_path / "ws"))
    assert html is not None
    assert "Hinweis:" in html
    assert "massnahmen.yaml" in html
    assert "ignoriert" in html


def test_report_section_says_what_is_missing(tmp_path: Path) -> None:
    workspace = Workspace.create(tmp_path / "ws", name="Leer", selection=["03991"], base_year=2023)
    section = next(s for s in registry.sections() if s.key == "massnahmen")
    ctx = ReportContext(workspace)
    ctx.begin(section)
    assert measures_section.render(ctx) is None
    assert ctx.skip_reason
    assert "Keine Kennzahl" in ctx.skip_reason
