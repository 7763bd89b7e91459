"""Report section "Bevölkerungsentwicklung" and the error bands from the backtest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import load_tool
from regiowerk.demo import generate_demo, save_demo
from regiowerk.demography import error_bands
from regiowerk.demography.ccm import CohortComponentModel
from regiowerk.formatting import fmt_int
from regiowerk.report import build_report
from regiowerk.workspace import Workspace

from factories import make_tiny_workspace, tiny_tables

BASE, HORIZON = 2023, 2033


def _section(html: str, key: str = "bevoelkerung") -> str:
    start = html.index(f'<section id="abschnitt-{key}"')
    return html[start : html.index("</section>", start)]


def _nicht_enthalten(html: str) -> str:
    start = html.index("<h3>Nicht enthalten</h3>")
    return html[start : html.index("</ul>", start)]


@pytest.fixture(scope="module")
def demo_projection(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Workspace, pd.DataFrame, Path]:
    """Demo region, projected 10 years in two scenarios ("trend" and a higher copy)."""
    return _demo_workspace(tmp_path_factory.mktemp("population"))


def _demo_workspace(path: Path) -> tuple[Workspace, pd.DataFrame, Path]:
    demo = generate_demo(3)
    tables = demo.tables
    model = CohortComponentModel.from_tables(
        tables["population"],
        tables["births"],
        tables["deaths"],
        tables["migration"],
        rates=tables["rates"],
    )
    trend = model.project(HORIZON - BASE).population()
    higher = trend.assign(scenario="hoch", persons=trend["persons"] * 1.05)
    projection = pd.concat([trend, higher], ignore_index=True)
    workspace = save_demo(
        demo, path / "ws", extra={"projection": (projection, demo.provenance["population"])}
    )
    return workspace, projection, path


@pytest.fixture(scope="module")
def demo_section(demo_projection: tuple[Workspace, pd.DataFrame, Path]) -> str:
    workspace, _, path = demo_projection
    html = build_report(workspace, path / "bericht.html").read_text(encoding="utf-8")
    return _section(html)


def test_section_title_and_intro(demo_section: str) -> None:
    assert "Bevölkerungsentwicklung</h2>" in demo_section
    assert f"vom 31.12.{BASE} (Basisjahr) bis zum 31.12.{HORIZON}" in demo_section
    assert "„trend“ und „hoch“" in demo_section
    assert "keine sichere Vorhersage" in demo_section
    assert "9 von 10 Gemeinden dieser Größe lagen näher" in demo_section


def test_table_shows_base_and_horizon_per_kreis(
    demo_section: str, demo_projection: tuple[Workspace, pd.DataFrame, Path]
) -> None:
    workspace, projection, _ = demo_projection
    for header in (f"Einwohner {BASE}", f"Einwohner {HORIZON}", f"Medianalter {HORIZON}"):
        assert demo_section.count(header) == 2  # one table per scenario
    for name in workspace.load("kreise")["name"]:
        assert name in demo_section
    trend = projection[projection["scenario"] == "trend"]
    for year in (BASE, HORIZON):
        total = trend.loc[trend["year"] == year, "persons"].sum()
        assert f'<td class="num">{fmt_int(total)}</td>' in demo_section


def test_figures_are_present(demo_section: str) -> None:
    # pyramid, time series, scenario comparison, maps of change, share 65+ and type
    assert demo_section.count("<img") == 6
    for alt in ("Bevölkerungspyramide", "Einwohnerzahl der Region", "Vergleich der Szenarien"):
        assert alt in demo_section
    for title in ("Karte: Veränderung", "Karte: Anteil 65 und älter", "Karte: demografischer"):
        assert title in demo_section
    assert "Synthetische Demonstrationsdaten" in demo_section


def test_band_caption_names_the_backtest(demo_section: str) -> None:
    caption = demo_section[demo_section.index('alt="Einwohnerzahl der Region') :]
    caption = caption[caption.index("<figcaption>") : caption.index("</figcaption>")]
    assert "Backtest mit GV-ISys 2014–2021" in caption
    assert "„20.000 und mehr“" in caption
    assert "Wurzel" in caption  # 10 years: beyond the measured 5, extrapolated


def test_section_skipped_without_projection(tmp_path: Path) -> None:
    html = build_report(make_tiny_workspace(tmp_path / "ws"), tmp_path / "b.html").read_text(
        encoding="utf-8"
    )
    assert 'id="abschnitt-bevoelkerung"' not in html
    skipped = _nicht_enthalten(html)
    assert "Bevölkerungsentwicklung" in skipped
    assert "„Bevölkerungsvorausberechnung“ (projection)" in skipped


def _tiny_projection(level: int) -> pd.DataFrame:
    """Single-scenario projection 2023–2026 of the tiny region on AGS level ``level`` (8 or 5)."""
    population = tiny_tables()["population"][0]
    base = population[population["year"] == 2023].copy()
    base["ags"] = base["ags"].str[:level]
    base = base.groupby(["ags", "sex", "age"], as_index=False)["persons"].sum()
    frames = [
        base.assign(year=year, persons=base["persons"] * (1 - 0.02 * (year - 2023)))
        for year in range(2023, 2027)
    ]
    frame = pd.concat(frames, ignore_index=True).assign(scenario="trend")
    return frame.astype({"persons": float})


@pytest.mark.parametrize(("level", "images"), [(8, 5), (5, 2)])
def test_single_scenario_and_kreis_level(tmp_path: Path, level: int, images: int) -> None:
    workspace = make_tiny_workspace(tmp_path / "ws")
    workspace.save("projection", _tiny_projection(level), tiny_tables()["population"][1])
    section = _section(build_report(workspace, tmp_path / "b.html").read_text(encoding="utf-8"))
    assert section.count("<img") == images  # no scenario comparison with one scenario
    assert "Szenarien im Vergleich" not in section
    assert "im Szenario „trend“" in section
    assert "Landkreis Ostmark" in section
    if level == 5:
        assert "nur für Kreise vor; Karten der Gemeinden entfallen" in section


BANDS_TOML = """
[protocol]
bases = [2014, 2016]

[[band]]
size_class = "<1k"
horizon = 3
p50 = 3.0
p90 = 6.0

[[band]]
size_class = "<1k"
horizon = 5
p50 = 4.0
p90 = 10.0
""" + "".join(
    f'\n[[band]]\nsize_class = "{label}"\nhorizon = {h}\np50 = 1.0\np90 = 2.0\n'
    for label in ("1-5k", "5-20k", ">=20k")
    for h in (3, 5)
)


@pytest.fixture
def bands_file(tmp_path: Path) -> Path:
    path = tmp_path / "bands.toml"
    path.write_text(BANDS_TOML, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("horizon", "expected"),
    [
        (0, (0.0, 0.0)),
        (1.5, (1.5, 3.0)),  # halfway from (0, 0) to the 3-year values
        (3, (3.0, 6.0)),
        (4, (3.5, 8.0)),  # halfway between 3 and 5 years
        (5, (4.0, 10.0)),
        (20, (8.0, 20.0)),  # beyond 5 years: × sqrt(20 / 5) = × 2
    ],
)
def test_band_interpolates_and_extrapolates(
    bands_file: Path, horizon: float, expected: tuple[float, float]
) -> None:
    assert error_bands.band("<1k", horizon, path=bands_file) == pytest.approx(expected)


def test_band_rejects_unknown_class_and_negative_horizon(bands_file: Path) -> None:
    with pytest.raises(error_bands.ErrorBandError, match="Größenklasse"):
        error_bands.band("riesig", 3, path=bands_file)
    with pytest.raises(error_bands.ErrorBandError, match="Horizont"):
        error_bands.band("<1k", -1, path=bands_file)


def test_band_file_needs_every_class_at_five_years(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text('[[band]]\nsize_class = "<1k"\nhorizon = 5\np50 = 1.0\np90 = 2.0\n', "utf-8")
    with pytest.raises(error_bands.ErrorBandError, match="1-5k"):
        error_bands.load_bands(path)


@pytest.mark.parametrize(
    ("persons", "label"),
    [(0, "<1k"), (999, "<1k"), (1000, "1-5k"), (4999.5, "1-5k"), (19_999, "5-20k"), (2e4, ">=20k")],
)
def test_size_class(persons: float, label: str) -> None:
    assert error_bands.size_class(persons) == label


def test_packaged_bands_are_plausible() -> None:
    bands = error_bands.load_bands()
    assert error_bands.protocol()["source"] == "Destatis GV-ISys, dl-de/by-2-0"
    for label, horizons in bands.items():
        assert sorted(horizons) == [3, 5], label
        for p50, p90 in horizons.values():
            assert 0 < p50 < p90
        assert horizons[3][1] < horizons[5][1]  # errors grow with the horizon


@pytest.mark.realdata
@pytest.mark.slow
def test_stored_bands_match_the_backtest(real_data: Path) -> None:
    computed = load_tool("error_bands").compute(real_data)
    stored = error_bands.load_bands()
    assert len(computed) == 8
    for row in computed.itertuples(index=False):
        p50, p90 = stored[row.size_class][row.horizon]
        assert p50 == pytest.approx(row.p50, abs=0.01)
        assert p90 == pytest.approx(row.p90, abs=0.01)
