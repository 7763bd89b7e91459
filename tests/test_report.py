"""The HTML report: self-contained, German, with a section registry and an atomic write."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_float, fmt_int, fmt_percent
from regiowerk.report import ReportContext, ReportError, build_report, registry, report_steps
from regiowerk.schema import table_spec
from regiowerk.workspace import Workspace

from factories import make_tiny_workspace, tiny_tables

BANNER = "Synthetische Demonstrationsdaten – keine amtlichen Zahlen"


class _Page(HTMLParser):
    """Collects tags with their attributes, the text, and inline style sheets."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sections registered in a test disappear afterwards."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


@pytest.fixture(scope="module")
def synthetic_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_tiny_workspace(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module")
def official_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_tiny_workspace(tmp_path_factory.mktemp("official"), synthetic=False)


@pytest.fixture(scope="module")
def synthetic_report(synthetic_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = build_report(synthetic_ws, tmp_path_factory.mktemp("report") / "bericht.html")
    return out.read_text(encoding="utf-8")


def _workspace_without(path: Path, *missing: str) -> Workspace:
    workspace = Workspace.create(path, name="Lückenregion", selection=["03991"], base_year=2023)
    workspace.save_many({k: v for k, v in tiny_tables().items() if k not in missing})
    return workspace


def test_report_is_one_self_contained_file(synthetic_ws: Workspace, tmp_path: Path) -> None:
    out = build_report(synthetic_ws, tmp_path / "bericht.html")
    assert out == tmp_path / "bericht.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bericht.html"]  # no temp files left
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert out.stat().st_size < 3_000_000


def test_report_loads_nothing_from_outside(synthetic_report: str) -> None:
    page = _parse(synthetic_report)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == 2  # map and pyramid
    assert all((attrs["src"] or "").startswith("data:image/png;base64,") for attrs in images)
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed"), tag
        assert not (tag == "script" and "src" in attrs), attrs
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert value.startswith(("data:", "#")) or not value, (tag, attrs)
    for forbidden in ("http://", "https://", 'src="//', "@import", "<link", "<script", "url("):
        assert forbidden not in synthetic_report


def test_report_shows_sections_in_german(synthetic_report: str) -> None:
    for title in ("Regionsüberblick", "Quellen und Lizenzen", "Inhalt", "Altersaufbau"):
        assert title in synthetic_report
    assert synthetic_report.index("Regionsüberblick</h2>") < synthetic_report.index(
        "Quellen und Lizenzen</h2>"
    )
    assert 'href="#abschnitt-overview"' in synthetic_report
    assert 'id="abschnitt-overview"' in synthetic_report
    for expected in ("Landkreis Ostmark", "Niedersachsen", "Mittelzentrum", "Oberzentrum"):
        assert expected in synthetic_report


def test_report_uses_german_number_format(synthetic_report: str) -> None:
    population = tiny_tables()["population"][0]
    total = int(population.loc[population["year"] == 2023, "persons"].sum())
    assert total > 1000
    assert f"{total:,}".replace(",", ".") in synthetic_report
    assert "600 km²" in synthetic_report  # six squares of 100 km² (key figure)
    assert "100,0" in synthetic_report  # area of one municipality (table)


def test_synthetic_banner_only_for_synthetic_data(
    synthetic_report: str, official_ws: Workspace, tmp_path: Path
) -> None:
    assert BANNER in synthetic_report
    assert synthetic_report.index(BANNER) < synthetic_report.index("<h1>")
    assert 'class="marke-synthetisch"' in synthetic_report  # footer marker

    official = build_report(official_ws, tmp_path / "amtlich.html").read_text(encoding="utf-8")
    classes = {attrs.get("class") for _tag, attrs in _parse(official).tags}
    assert "banner-synthetisch" not in classes
    assert "marke-synthetisch" not in classes
    assert "Synthetische" not in official


def test_synthetic_table_in_official_workspace_is_flagged(
    official_ws: Workspace, tmp_path: Path
) -> None:
    workspace = make_tiny_workspace(tmp_path / "ws", synthetic=False)
    frame, prov = tiny_tables()["facilities"]
    workspace.save("facilities", frame, replace(prov, synthetic=True))
    html = build_report(workspace, tmp_path / "bericht.html").read_text(encoding="utf-8")
    assert "Enthält synthetische Daten – keine amtlichen Zahlen." in html
    assert "„Einrichtungen“ (facilities)" in html


def test_source_appendix_lists_every_table(synthetic_ws: Workspace, synthetic_report: str) -> None:
    appendix = synthetic_report[synthetic_report.index('id="abschnitt-sources"') :]
    for name, record in synthetic_ws.tables.items():
        assert f"<code>{name}</code>" in appendix
        assert table_spec(name).title in appendix
        assert record.sha256[:12] in appendix
    for text in ("Zensus 2022", "CC0 1.0", "regiowerk-Entwickler", "30.06.2024", "31.12.2023"):
        assert text in appendix
    assert "MIT-Lizenz" in appendix
    assert "Kartengrundlage" in appendix


def test_source_urls_are_shown_as_text_only(tmp_path: Path) -> None:
    workspace = _workspace_without(tmp_path / "ws")
    frame, prov = tiny_tables()["kreise"]
    workspace.save("kreise", frame, replace(prov, url="https://example.org/kreise.zip"))
    html = build_report(workspace, tmp_path / "bericht.html").read_text(encoding="utf-8")
    page = _parse(html)
    assert "https://example.org/kreise.zip" in "".join(page.text)
    assert all(
        not (attrs.get(name) or "").startswith(("http", "//"))
        for _tag, attrs in page.tags
        for name in ("src", "href")
    )


def test_registered_section_appears_in_order(
    synthetic_ws: Workspace, tmp_path: Path, isolated_registry: None
) -> None:
    @registry.register_section("test-extra", "Wohnungsbedarf (Test)", order=500)
    def extra(ctx: ReportContext) -> str:
        persons = ctx.table("population")["persons"].sum()
        return f"<p>Extra: {ctx.fmt_int(persons)} Personen, {ctx.fmt_float(12.345)}</p>"

    assert "Abschnitt „Wohnungsbedarf (Test)“" in report_steps(synthetic_ws)
    html = build_report(synthetic_ws, tmp_path / "bericht.html").read_text(encoding="utf-8")
    positions = [
        html.index(f"{title}</h2>")
        for title in ("Regionsüberblick", "Wohnungsbedarf (Test)", "Quellen und Lizenzen")
    ]
    assert positions == sorted(positions)
    assert "Extra: " in html
    assert ", 12,3</p>" in html


def test_registry_rejects_duplicates_and_unknown_tables(isolated_registry: None) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register_section("overview", "Nochmal", order=1)(lambda ctx: "")
    with pytest.raises(RegiowerkError, match="Unbekannte Tabelle"):
        registry.register_section("x", "X", order=1, requires=("nonsense",))


def test_progress_follows_report_steps(synthetic_ws: Workspace, tmp_path: Path) -> None:
    seen: list[str] = []
    build_report(synthetic_ws, tmp_path, progress=seen.append)
    assert seen == report_steps(synthetic_ws)
    assert seen[-1] == "Bericht speichern"
    assert (tmp_path / "bericht.html").is_file()  # a folder as ``out`` gets bericht.html


def test_report_without_population(tmp_path: Path, isolated_registry: None) -> None:
    @registry.register_section(
        "test-needs-people", "Bevölkerungsentwicklung (Test)", 20, requires=("population",)
    )
    def needs_people(ctx: ReportContext) -> str:
        raise AssertionError("must not run without population")

    @registry.register_section("test-declines", "Erreichbarkeit (Test)", 30)
    def declines(ctx: ReportContext) -> str | None:
        return ctx.skip("Kein Straßennetz vorhanden.")

    workspace = _workspace_without(tmp_path / "ws", "population")
    html = build_report(workspace, tmp_path / "bericht.html").read_text(encoding="utf-8")
    assert "Regionsüberblick</h2>" in html
    assert "Altersaufbau</h3>" not in html
    assert "Tabelle „Bevölkerung“ (population) fehlt im Arbeitsbereich" in html
    assert "Hinweise zu den Daten" in html
    skipped = html[html.index("Nicht enthalten") :]
    assert (
        "Bevölkerungsentwicklung (Test)</strong>: Es fehlt im Arbeitsbereich: „Bevölkerung“"
        in skipped
    )
    assert "Erreichbarkeit (Test)</strong>: Kein Straßennetz vorhanden." in skipped
    assert len([t for t, _ in _parse(html).tags if t == "img"]) == 1  # map only


def test_workspace_without_municipalities_is_a_clear_error(tmp_path: Path) -> None:
    workspace = _workspace_without(tmp_path / "ws", "municipalities", "kreise")
    with pytest.raises(ReportError, match="keine Gemeinden"):
        build_report(workspace, tmp_path / "bericht.html")
    assert not (tmp_path / "bericht.html").exists()


def test_failure_leaves_existing_report_unchanged(
    synthetic_ws: Workspace, tmp_path: Path, isolated_registry: None
) -> None:
    out = tmp_path / "bericht.html"
    out.write_text("alter Bericht", encoding="utf-8")

    @registry.register_section("test-broken", "Kaputt", order=500)
    def broken(ctx: ReportContext) -> str:
        raise RuntimeError("Abschnitt kaputt")

    with pytest.raises(RuntimeError, match="Abschnitt kaputt") as info:
        build_report(synthetic_ws, out)
    assert any("test-broken" in note for note in info.value.__notes__)
    assert out.read_text(encoding="utf-8") == "alter Bericht"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bericht.html"]


def test_figures_leave_no_pyplot_state(synthetic_ws: Workspace, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    build_report(synthetic_ws, tmp_path / "bericht.html")
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234567, "1.234.567"), (-1234.4, "-1.234"), (0, "0"), (float("nan"), "–"), (None, "–")],
)
def test_fmt_int(value: float | None, expected: str) -> None:
    assert fmt_int(value) == expected


def test_fmt_float_and_percent() -> None:
    assert fmt_float(12.345) == "12,3"
    assert fmt_float(1234.5, 2) == "1.234,50"
    assert fmt_float(float("nan")) == "–"
    assert fmt_percent(0.2346) == "23,5\u202f%"
