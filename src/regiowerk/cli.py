"""Command line interface ``regiowerk`` (Typer): a thin shell over the Python API.

Exit codes: 0 success; 1 ``workspace validate`` found problems; 2 bad input or an expected
error (message without traceback); 70 internal error (run again with ``--debug`` to see the
traceback).
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from regiowerk import __version__
from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_int
from regiowerk.schema import table_spec
from regiowerk.workspace import TableRecord, Workspace

if TYPE_CHECKING:
    from regiowerk.demography.scenario import Scenario

EXIT_PROBLEMS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 70

app = typer.Typer(
    name="regiowerk",
    help="regiowerk – offene Planungsunterstützung für Regionen: Daseinsvorsorge und Wohnen.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
workspace_app = typer.Typer(help="Arbeitsbereiche ansehen und prüfen.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")

console = Console()
err_console = Console(stderr=True)
_state = {"debug": False}

F = TypeVar("F", bound=Callable[..., Any])


def _friendly(func: F) -> F:
    """Turn expected errors into a German message and an exit code; show warnings readably."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return func(*args, **kwargs)
            except typer.Exit:
                raise
            except RegiowerkError as exc:
                if _state["debug"]:
                    raise
                err_console.print(f"[bold red]Fehler:[/] {exc}", highlight=False)
                raise typer.Exit(EXIT_INPUT) from None
            except Exception as exc:
                if _state["debug"]:
                    raise
                err_console.print(
                    f"[bold red]Interner Fehler:[/] {type(exc).__name__}: {exc}\n"
                    "Mit 'regiowerk --debug …' erneut ausführen, um die Ursache zu sehen.",
                    highlight=False,
                )
                raise typer.Exit(EXIT_INTERNAL) from None
            finally:
                for item in caught:
                    err_console.print(f"[yellow]Warnung:[/] {item.message}", highlight=False)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A rich progress bar; the yielded callback advances it by one step with a description."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task(label, total=total)
        started = False

        def step(description: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=f"{label}: {description}")

        yield step
        bar.update(task, completed=total, description=f"{label}: fertig")


def _version(value: bool) -> None:
    if value:
        console.print(f"regiowerk {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Bei Fehlern den vollständigen Traceback zeigen.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Version anzeigen."),
    ] = False,
) -> None:
    _state["debug"] = debug


DirArg = Annotated[Path, typer.Argument(help="Ordner des Arbeitsbereichs.")]
DEMO_SCENARIOS = ("trend", "musterregion_ansiedlung")
"""Scenarios projected for the demo region, so that its report shows the projection."""
DEMO_SERVICES = ("gp", "primary_school", "supermarket", "hospital", "obstetrics", "mittelzentrum")
"""Services whose accessibility by car the demo computes for its report."""


def _demo_scenarios(municipalities: Any) -> list[Scenario]:
    """The demo scenarios; the employer moves to this seed's Mittelzentrum (the central place
    of Niedersachsen, where the Musterregion has its Mittelzentrum)."""
    centre = municipalities.query("centrality == 'mittel' and land == '03'")["ags"].iloc[0]
    out = []
    for name in DEMO_SCENARIOS:
        scenario = _scenario(name)
        employers = [e.model_copy(update={"site": centre}) for e in scenario.employers]
        out.append(scenario.model_copy(update={"employers": employers}))
    return out


@app.command()
@_friendly
def demo(
    out: Annotated[Path, typer.Option("--out", help="Zielordner.")] = Path("musterregion"),
    seed: Annotated[int, typer.Option("--seed", help="Zufallsstartwert (gleich → gleich).")] = 2026,
    report: Annotated[bool, typer.Option(help="Bericht erzeugen.")] = True,
) -> None:
    """Musterregion (synthetisch) erzeugen und ihren Bericht schreiben."""
    from regiowerk.access import standards
    from regiowerk.access.run import compute, network_for, save_access
    from regiowerk.demo import STEPS, generate_demo, save_demo
    from regiowerk.demography.ccm import CohortComponentModel
    from regiowerk.demography.projection import run_scenario, save_projection
    from regiowerk.economy.run import run_economy, save_economy
    from regiowerk.flows.run import run_flows, save_flows
    from regiowerk.housing import run_housing, save_housing
    from regiowerk.report import build_report, report_steps

    if (out / "workspace.toml").exists() and not Workspace.open(out).synthetic:
        raise RegiowerkError(
            f"{out} enthält einen echten (nicht synthetischen) Arbeitsbereich; die Musterregion "
            f"überschreibt ihn nicht. Anderen Ordner mit --out wählen."
        )
    total = len(STEPS) + 1 + 2 * len(DEMO_SCENARIOS) + len(DEMO_SERVICES) + 2
    with _progress(total, "Musterregion") as step:
        region = generate_demo(seed, progress=step)
        step("Speichern")
        workspace = save_demo(region, out, overwrite=True)
        trend = CohortComponentModel.from_workspace(workspace)
        runs = []
        for scenario in _demo_scenarios(region.tables["municipalities"]):
            step(f"Vorausberechnung {scenario.name}")
            runs.append(run_scenario(workspace, scenario, base=trend))
            save_projection(workspace, runs[-1])
        save_housing(workspace, run_housing(workspace, runs, base=trend, progress=step))
        catalogue, network = standards.shipped(), network_for(workspace, "car")
        results = []
        for service in DEMO_SERVICES:
            step(f"Erreichbarkeit {catalogue.services[service].label}")
            results.append(compute(workspace, service, "car", catalogue, network))
        save_access(workspace, results, catalogue)
        step("Pendlerverflechtungen und funktionale Regionen")
        save_flows(workspace, run_flows(workspace))
        step("Wirtschaftsstruktur (Shift-Share)")
        save_economy(workspace, run_economy(workspace))
    console.print(f"Arbeitsbereich: [bold]{out.resolve()}[/]")
    if report:
        target = out / "bericht.html"
        with _progress(len(report_steps(workspace)), "Bericht") as step:
            build_report(workspace, target, progress=step)
        console.print(f"Bericht:        [bold]{target.resolve()}[/]")


@app.command("report")
@_friendly
def report_command(
    directory: DirArg,
    out: Annotated[Path, typer.Option("--out", help="HTML-Datei des Berichts.")] = Path(
        "bericht.html"
    ),
) -> None:
    """Den deutschen HTML-Bericht eines Arbeitsbereichs schreiben (eigenständige Datei)."""
    from regiowerk.report import build_report, report_steps

    workspace = Workspace.open(directory)
    with _progress(len(report_steps(workspace)), "Bericht") as step:
        build_report(workspace, out, progress=step)
    console.print(f"Bericht: [bold]{out.resolve()}[/]")


class ExportFormat(StrEnum):
    gpkg = "gpkg"
    xlsx = "xlsx"


@app.command()
@_friendly
def export(
    directory: DirArg,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="gpkg (QGIS) oder xlsx (Excel).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Zieldatei (Standard: im Arbeitsbereich).")
    ] = None,
) -> None:
    """Arbeitsbereich als GeoPackage (QGIS) oder Excel-Arbeitsmappe ausgeben."""
    from regiowerk.export import export_gpkg, export_xlsx

    workspace = Workspace.open(directory)
    target = out or directory / f"{_slug(workspace.name)}.{fmt.value}"
    writer = export_gpkg if fmt is ExportFormat.gpkg else export_xlsx
    with _progress(len(workspace.tables), f"Export {fmt.value}") as step:
        writer(workspace, target, progress=step)
    console.print(f"Export: [bold]{target.resolve()}[/]")


def _slug(name: str) -> str:
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
    )
    words = "".join(c if c.isalnum() else " " for c in name.translate(table)).split()
    return "-".join(words).lower() or "region"


@app.command("import")
@_friendly
def import_command(
    source: Annotated[str, typer.Argument(help="Quelle (siehe 'regiowerk sources') oder auto.")],
    files: Annotated[list[Path], typer.Argument(help="Eine oder mehrere Dateien.")],
    into: Annotated[Path, typer.Option("--into", help="Ziel-Arbeitsbereich (wird angelegt).")],
    encoding: Annotated[
        str | None, typer.Option(help="Zeichenkodierung, falls nicht UTF-8 (z. B. cp1252).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name eines neuen Arbeitsbereichs.")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Formatoption NAME=WERT, z. B. reference_date=2019-12-31, crs=EPSG:31467, "
            "tags=eigene_tags.toml.",
        ),
    ] = None,
) -> None:
    """Amtliche Dateien einlesen und in einen Arbeitsbereich übernehmen (alles oder nichts)."""
    from regiowerk.importing import import_files, merge_into, open_or_create_collection

    options = _pairs(option, "--option")
    with err_console.status(f"Lese {len(files)} Datei(en) …"):
        results = import_files(source, files, encoding=encoding, options=options)
    for result in results:
        for message in result.messages:
            console.print(f"[cyan]Hinweis ({result.source}):[/] {message}", highlight=False)
    workspace = open_or_create_collection(into, results, name=name)
    with err_console.status("Prüfe und speichere …"):
        records = merge_into(workspace, results)
    _print_records(records)
    console.print(f"Arbeitsbereich: [bold]{into.resolve()}[/]")


def _scenario(value: str) -> Scenario:
    """A scenario file, or the name of a shipped scenario (``trend``, ``ohne_wanderung`` …)."""
    from regiowerk.demography.scenario import ScenarioError, load_scenario, shipped_scenarios

    path = Path(value)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario(path)
    shipped = shipped_scenarios()
    if value not in shipped:
        raise ScenarioError(
            f"Szenario {value!r} unbekannt: eine YAML-Datei angeben oder eines von "
            f"{', '.join(sorted(shipped))}."
        )
    return load_scenario(shipped[value])


@app.command("project")
@_friendly
def project_command(
    directory: DirArg,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario", help="Szenario-Datei (YAML) oder mitgeliefertes Szenario; mehrfach."
        ),
    ] = None,
    horizon: Annotated[int | None, typer.Option(help="Zieljahr statt dem des Szenarios.")] = None,
) -> None:
    """Bevölkerung je Gemeinde nach Alter und Geschlecht vorausberechnen (Tabelle projection)."""
    from regiowerk.demography.ccm import CohortComponentModel
    from regiowerk.demography.projection import run_scenario, save_projection

    workspace = Workspace.open(directory)
    chosen = [_scenario(value) for value in (scenario or ["trend"])]
    trend = CohortComponentModel.from_workspace(workspace)
    table = Table("Szenario", "Basisjahr", "Einwohner", "Zieljahr", "Einwohner", "Veränderung")
    with _progress(len(chosen), "Vorausberechnung") as step:
        for item in chosen:
            step(item.name)
            if horizon is not None:
                item = item.model_copy(update={"horizon": horizon})
            run = run_scenario(workspace, item, base=trend)
            save_projection(workspace, run)
            totals = run.result.totals().sum(axis=1)
            table.add_row(
                item.name,
                str(run.result.years[0]),
                fmt_int(round(totals[0])),
                str(run.result.years[-1]),
                fmt_int(round(totals[-1])),
                f"{(totals[-1] / totals[0] - 1) * 100:+.1f} %".replace(".", ","),
            )
            for note in run.notes:
                console.print(f"[cyan]Hinweis ({item.name}):[/] {note}", highlight=False)
    console.print(table)


@app.command("housing")
@_friendly
def housing_command(
    directory: DirArg,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="Szenario-Datei (YAML) oder mitgeliefertes Szenario, zusätzlich zum Trend; "
            "mehrfach.",
        ),
    ] = None,
    parameters: Annotated[
        Path | None,
        typer.Option("--parameters", help="Parameter des Wohnungsbedarfs (YAML)."),
    ] = None,
) -> None:
    """Haushalte und Wohnungsbedarf nach Wohnungsgröße berechnen (Tabelle housing_demand)."""
    from regiowerk.demography.ccm import CohortComponentModel
    from regiowerk.demography.projection import run_scenario, save_projection
    from regiowerk.housing import HousingParameters, load_parameters, run_housing, save_housing

    workspace = Workspace.open(directory)
    settings = load_parameters(parameters) if parameters else HousingParameters()
    chosen = [_scenario("trend")]
    for value in scenario or []:
        item = _scenario(value)
        if item.name not in {c.name for c in chosen}:
            chosen.append(item)
    trend = CohortComponentModel.from_workspace(workspace)
    with _progress(2 * len(chosen), "Wohnungsbedarf") as step:
        runs = []
        for item in chosen:
            step(f"Vorausberechnung {item.name}")
            runs.append(run_scenario(workspace, item, base=trend))
            save_projection(workspace, runs[-1])
        result = run_housing(workspace, runs, settings, base=trend, progress=step)
        save_housing(workspace, result)
    table = Table("Szenario", "Zeitraum", "Neubaubedarf", "davon 1–2 Räume", "Lücke im Zieljahr")
    frame = result.demand_frame()
    for run in result.runs:
        rows = frame[frame["scenario"] == run.scenario]
        built = rows["total"].clip(lower=0)
        last = rows[rows["year"] == run.years[-1]]
        table.add_row(
            run.scenario,
            f"{run.years[1]}–{run.years[-1]}",
            fmt_int(round(built.sum())),
            fmt_int(round(built[rows["size_class"] == "1-2"].sum())),
            fmt_int(round(last["gap"].clip(lower=0).sum())),
        )
    for note in result.notes:
        console.print(f"[cyan]Hinweis:[/] {note}", highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
    console.print(table)


@app.command("access")
@_friendly
def access_command(
    directory: DirArg,
    service: Annotated[
        list[str] | None,
        typer.Option("--service", help="Dienst (gp, hospital, obstetrics, …); mehrfach."),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="car, walk oder bike.")] = "car",
    standards_file: Annotated[
        Path | None,
        typer.Option("--standards", help="Eigene oder geänderte Standards (TOML)."),
    ] = None,
    osm: Annotated[
        Path | None,
        typer.Option("--osm", help="Straßennetz aus einer OSM-Datei statt Tabelle 'roads'."),
    ] = None,
) -> None:
    """Erreichbarkeit von Einrichtungen auf dem Straßennetz (Tabellen access, access_summary)."""
    import pandas as pd

    from regiowerk.access import standards
    from regiowerk.access.indicators import closure_test, compliance
    from regiowerk.access.network import MODES
    from regiowerk.access.run import compute, network_for, save_access

    if mode not in MODES:
        raise RegiowerkError(f"Verkehrsmittel {mode!r} unbekannt (erlaubt: {', '.join(MODES)}).")
    workspace = Workspace.open(directory)
    catalogue = standards.load(standards_file)
    chosen = service or ["gp"]
    with _progress(len(chosen) + 1, "Erreichbarkeit") as step:
        step(f"Netz ({mode})")
        if osm is not None:
            from regiowerk.access.osm_network import read_networks

            network = read_networks(osm, [mode], cache=directory / "cache")[mode]
        else:
            network = network_for(workspace, mode)
        results = []
        for name in chosen:
            step(catalogue.services[name].label if name in catalogue.services else name)
            results.append(compute(workspace, name, mode, catalogue, network))
        save_access(workspace, results, catalogue)
    frame = pd.concat([r.frame for r in results], ignore_index=True)
    table = Table("Dienst", "Einwohner", "Minuten (Mittel)", "ohne Weg", "Standard", "erfüllt")
    checks = compliance(frame, catalogue.standards).set_index("service", drop=False)
    for result in results:
        rows = result.frame
        reached = rows["minutes"].notna()
        mean = (rows.loc[reached, "minutes"] * rows.loc[reached, "persons"]).sum() / rows.loc[
            reached, "persons"
        ].sum()
        standard = checks[checks["service"] == result.service]
        label = catalogue.services[result.service].label
        table.add_row(
            label,
            fmt_int(rows["persons"].sum()),
            f"{mean:.1f}".replace(".", ","),
            fmt_int(rows.loc[~reached, "persons"].sum()),
            ", ".join(f"{m:g} min" for m in standard["minutes"]) or "–",
            ", ".join(f"{v * 100:.1f} %".replace(".", ",") for v in standard["share_within"])
            or "–",
        )
        for text in [*result.notes, *result.warnings]:
            console.print(f"[cyan]Hinweis ({label}):[/] {text}", highlight=False)
        for std in catalogue.for_service(result.service, mode):
            if std.closure_limit is None:
                continue
            names = result.destinations.set_index("facility_id")["name"]
            try:
                sites = closure_test(frame, std, names)
            except ValueError as exc:
                console.print(f"[cyan]Hinweis:[/] Schließungstest nicht möglich: {exc}")
                continue
            flagged = sites[sites["flagged"]]
            for site, affected in zip(flagged["name"], flagged["affected"], strict=True):
                console.print(
                    f"[yellow]Schließungstest {std.id}:[/] {site}: "
                    f"{fmt_int(float(affected))} "
                    f"betroffen (Grenze {fmt_int(std.closure_limit)})",
                    highlight=False,
                )
    console.print(table)


@app.command("economy")
@_friendly
def economy_command(
    directory: DirArg,
    start: Annotated[int | None, typer.Option("--start", help="Anfangsjahr.")] = None,
    end: Annotated[int | None, typer.Option("--end", help="Endjahr.")] = None,
    reference: Annotated[
        str,
        typer.Option(
            "--reference",
            help="Referenz: auto (Deutschland, wenn vorhanden), germany oder regions.",
        ),
    ] = "auto",
) -> None:
    """Wirtschaftsstruktur und Shift-Share-Analyse der Beschäftigten (Tabelle shift_share)."""
    from regiowerk.economy.run import (
        REFERENCE_LABELS,
        REFERENCES,
        Reference,
        run_economy,
        save_economy,
    )
    from regiowerk.economy.shift_share import by_region

    if reference not in REFERENCES:
        raise RegiowerkError(
            f"Referenz {reference!r} unbekannt (erlaubt: {', '.join(REFERENCES)})."
        )
    workspace = Workspace.open(directory)
    with _progress(4, "Wirtschaftsstruktur") as step:
        result = run_economy(
            workspace, start, end, reference=cast("Reference", reference), progress=step
        )
        step("Speichern")
        save_economy(workspace, result)
    regions = by_region(result.classic.frame)
    table = Table(
        "Region",
        f"Beschäftigte {result.start}",
        f"Beschäftigte {result.end}",
        "Veränderung",
        "Konjunktur",
        "Struktur",
        "Standort",
        "Krugman",
        title=f"Shift-Share {result.start}–{result.end}, Referenz: "
        f"{REFERENCE_LABELS[result.reference]}",
    )
    level = max(len(str(r)) for r in regions.index)
    shown = 5 if level == 8 else level  # municipalities: one row per Kreis (additive)
    regions = regions.groupby(regions.index.str[:shown]).sum()
    krugman = result.krugman_by(lambda region: region[:shown])
    names = {}
    if workspace.has("kreise"):
        kreise = workspace.load("kreise")
        names = dict(zip(kreise["kreis"], kreise["name"], strict=True))
    for key, row in regions.iterrows():
        index = krugman.get(key)
        table.add_row(
            f"{names.get(str(key), key)}" + (f" ({key})" if str(key) in names else ""),
            fmt_int(row["start"]),
            fmt_int(row["end"]),
            fmt_int(row["total"]),
            fmt_int(row["national"]),
            fmt_int(row["industry_mix"]),
            fmt_int(row["competitive"]),
            "–" if index is None or index != index else f"{index:.3f}".replace(".", ","),
        )
    total = regions.sum()
    table.add_row(
        "Insgesamt",
        fmt_int(total["start"]),
        fmt_int(total["end"]),
        fmt_int(total["total"]),
        fmt_int(total["national"]),
        fmt_int(total["industry_mix"]),
        fmt_int(total["competitive"]),
        "",
        end_section=True,
    )
    for note in [*result.notes, *result.warnings]:
        console.print(f"[cyan]Hinweis:[/] {note}", highlight=False)
    console.print(table)


class FlowPreset(StrEnum):
    default = "default"
    ons = "ons"


@app.command("flows")
@_friendly
def flows_command(
    directory: DirArg,
    year: Annotated[int | None, typer.Option("--year", help="Jahr der Pendlerdaten.")] = None,
    preset: Annotated[
        FlowPreset,
        typer.Option(
            "--preset",
            help="Parametersatz: default (LabourMarketAreas: 0,6667/0,75/1.000/10.000) oder "
            "ons (ONS 2011: 0,6667/0,75/3.500/25.000).",
        ),
    ] = FlowPreset.default,
    min_sc: Annotated[
        float | None, typer.Option("--min-sc", help="Mindest-Eigenversorgung (minSC).")
    ] = None,
    tar_sc: Annotated[
        float | None, typer.Option("--tar-sc", help="Ziel-Eigenversorgung (tarSC).")
    ] = None,
    min_sz: Annotated[
        float | None, typer.Option("--min-sz", help="Mindestgröße in Beschäftigten (minSZ).")
    ] = None,
    tar_sz: Annotated[
        float | None, typer.Option("--tar-sz", help="Zielgröße in Beschäftigten (tarSZ).")
    ] = None,
) -> None:
    """Pendlerbilanz und funktionale Regionen (Tabellen commuting, functional_regions,
    functional_region_quality)."""
    from dataclasses import replace

    from regiowerk.flows import PRESETS, RESERVE, run_flows, save_flows

    workspace = Workspace.open(directory)
    chosen = PRESETS[preset.value]
    overrides = {
        name: value
        for name, value in (
            ("min_sc", min_sc),
            ("tar_sc", tar_sc),
            ("min_sz", min_sz),
            ("tar_sz", tar_sz),
        )
        if value is not None
    }
    params = replace(chosen, **overrides) if overrides else chosen
    # default: "ttwa" (default or changed parameters) and "ttwa-ons" for comparison;
    # ons: "ttwa-ons", or "ttwa" alone when parameters are changed
    if preset.value == "default":
        presets: tuple[str, ...] = ("ons",) if overrides else ("default", "ons")
    else:
        presets = () if overrides else ("ons",)
    with _progress(len(presets) + 3, "Pendlerverflechtungen") as step:
        result = run_flows(
            workspace, year, params if overrides else None, presets=presets, progress=step
        )
        step("Speichern")
        save_flows(workspace, result)
    frame = result.commuting.frame
    table = Table(
        "Verfahren", "Regionen", "erfüllen beide Schwellen", "über Landesgrenzen", "Modularität"
    )
    for part in result.partitions:
        regions = part.quality[part.quality["region_id"] != RESERVE]
        crossing = int(regions["lands"].str.contains(";").sum())
        table.add_row(
            part.method,
            fmt_int(len(regions)),
            fmt_int(int(regions["meets"].sum())),
            fmt_int(crossing),
            f"{part.modularity:.3f}".replace(".", ","),
        )
    console.print(
        f"Pendler {result.commuting.year}: {fmt_int(len(frame))} Gebiete, "
        f"{fmt_int(frame['residents'].sum())} Wohnortbeschäftigte, davon "
        f"{fmt_int(frame['out_commuters'].sum())} Auspendler.",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"[cyan]Hinweis:[/] {note}", highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
    console.print(table)


catalogue_app = typer.Typer(
    help="Werkzeugkasten: Maßnahmen und Referenzprojekte suchen, anzeigen, aus Texten erfassen.",
    no_args_is_help=True,
)
app.add_typer(catalogue_app, name="catalogue")


def _catalogue(workspace: Path | None) -> Any:
    """The catalogue (plus ``workspace``'s own entries); its notes go to stderr."""
    from regiowerk.catalogue.store import Catalogue

    if workspace is not None and not workspace.is_dir():
        what = "ist eine Datei, kein Ordner" if workspace.exists() else "nicht gefunden"
        raise RegiowerkError(
            f"Arbeitsbereich {workspace} {what} (--workspace): eigene Einträge liegen in "
            "<Arbeitsbereich>/catalogue/."
        )
    catalogue = Catalogue.for_workspace(workspace) if workspace else Catalogue.load()
    _catalogue_notes(catalogue.notes)
    return catalogue


def _catalogue_notes(notes: list[str]) -> None:
    from rich.markup import escape

    for note in notes:
        err_console.print(f"[cyan]Hinweis:[/] {escape(note)}", highlight=False, soft_wrap=True)


@catalogue_app.command("search")
@_friendly
def catalogue_search(
    query: Annotated[str, typer.Argument(help="Suchbegriffe (deutsch).")],
    field: Annotated[
        list[str] | None, typer.Option("--field", help="Handlungsfeld, z. B. wohnen; mehrfach.")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="measure oder project.")] = None,
    target_group: Annotated[
        list[str] | None,
        typer.Option(
            "--zielgruppe",
            "--target-group",
            help="Zielgruppe; wählt auch Zielgruppen, die den Text enthalten "
            "(„Ältere Menschen“ auch „Ältere Menschen ohne Pkw“); mehrfach.",
        ),
    ] = None,
    spatial_level: Annotated[
        list[str] | None,
        typer.Option("--ebene", "--spatial-level", help="Räumliche Ebene; mehrfach."),
    ] = None,
    project_type: Annotated[
        list[str] | None,
        typer.Option("--projekttyp", "--project-type", help="Projekttyp; mehrfach."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Höchstens so viele Treffer.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Ergebnis als JSON.")] = False,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="Eigene Einträge aus DIR/catalogue.")
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--methode",
            "--method",
            help="Rangfolge: hybrid (BM25 und Satzeinbettungen, Standard), bm25 (Volltext) "
            "oder semantic (nur Satzeinbettungen).",
        ),
    ] = "hybrid",
) -> None:
    """Maßnahmen und Projekte nach deutschen Suchbegriffen ranken (hybrid: BM25 + Bedeutung)."""
    from regiowerk.catalogue.search import METHODS, Method, SearchIndex

    chosen = cast(Method, method.strip().lower())
    if chosen not in METHODS:
        raise RegiowerkError(f"Unbekannte Methode {method!r}; möglich: {', '.join(METHODS)}.")
    if limit < 1:
        raise RegiowerkError(f"--limit muss mindestens 1 sein (angegeben: {limit}).")
    index = SearchIndex.from_catalogue(_catalogue(workspace), semantic=chosen != "bm25")
    filters: dict[str, list[str] | str] = {}
    for facet, values in (
        ("field", field),
        ("kind", [kind] if kind else None),
        ("target_group", target_group),
        ("spatial_level", spatial_level),
        ("project_type", project_type),
    ):
        if values:
            filters[facet] = values
    result = index.search(query, limit=limit, filters=filters or None, method=chosen)
    if as_json:
        payload = {
            "query": result.query,
            "method": result.method,
            "total": result.total,
            "message": result.message,
            "hits": [
                {
                    "key": h.key,
                    "kind": h.kind,
                    "title": h.title,
                    "score": round(h.score, 4),
                    "terms": list(h.matched_terms),
                }
                for h in result.hits
            ],
            "facets": result.facets,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if result.message:
        console.print(f"[cyan]Hinweis:[/] {result.message}", highlight=False)
    table = Table("Code", "Art", "Titel", f"Punkte ({chosen})", "Treffer")
    digits = 2 if chosen == "bm25" else 4
    for hit in result.hits:
        kind_label = "Maßnahme" if hit.kind == "measure" else "Projekt"
        table.add_row(
            hit.key,
            kind_label,
            hit.title,
            f"{hit.score:.{digits}f}".replace(".", ","),
            ", ".join(hit.matched_terms),
        )
    if result.hits:
        console.print(table)


@catalogue_app.command("show")
@_friendly
def catalogue_show(
    code: Annotated[str, typer.Argument(help="Maßnahmen-Code (z. B. 'W 007') oder Projekt-ID.")],
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="Eigene Einträge aus DIR/catalogue.")
    ] = None,
) -> None:
    """Eine Maßnahme oder ein Referenzprojekt vollständig anzeigen."""
    import yaml

    catalogue = _catalogue(workspace)
    key = code.strip()
    record = catalogue.measures.get(key) or catalogue.projects.get(key)
    if record is None:
        spaced = key[:-3].strip().upper() + " " + key[-3:] if len(key) > 3 else key
        record = catalogue.measures.get(spaced)
    if record is None:
        raise RegiowerkError(
            f"{code!r} ist weder ein Maßnahmen-Code noch eine Projekt-ID im Werkzeugkasten "
            f"(Suche: regiowerk catalogue search …)."
        )
    dumped = record.model_dump(mode="json", exclude_defaults=True)
    typer.echo(yaml.safe_dump(dumped, allow_unicode=True, sort_keys=False))


@catalogue_app.command("recommend")
@_friendly
def catalogue_recommend(
    directory: Annotated[Path, typer.Argument(help="Arbeitsbereich mit berechneten Tabellen.")],
    limit: Annotated[int, typer.Option("--limit", help="Höchstens so viele Maßnahmen.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Ergebnis als JSON.")] = False,
) -> None:
    """Maßnahmen empfehlen, deren Auslöser die Diagnose der Region erfüllt (mit Begründung)."""
    from regiowerk.catalogue.diagnosis import diagnose_workspace
    from regiowerk.catalogue.recommend import recommend
    from regiowerk.workspace import Workspace

    if directory.exists() and not directory.is_dir():
        raise RegiowerkError(
            f"{directory} ist eine Datei, kein Arbeitsbereich (Ordner mit workspace.toml). "
            "Einen Arbeitsbereich anlegen mit 'regiowerk demo --out <ordner>' oder "
            "'regiowerk workspace create <ordner> …'."
        )
    workspace = Workspace.open(directory)
    result = recommend(diagnose_workspace(workspace), _catalogue(directory))
    if as_json:
        typer.echo(json.dumps(result.as_dict(limit), ensure_ascii=False, indent=2))
        return
    if not result.diagnosis.indicators:
        tables = result.diagnosis.missing_tables()
        listed = f" Es fehlen die Tabellen: {', '.join(tables)}." if tables else ""
        console.print(
            "Keine Kennzahl der Diagnose berechenbar, daher keine Empfehlung."
            f"{listed} Sie entstehen mit 'regiowerk import' (amtliche Daten) und den "
            "Modellen 'regiowerk project', 'housing', 'access', 'economy', 'flows'.",
            highlight=False,
            markup=False,
        )
        return
    diagnosis = Table("Kennzahl", "Wert", "Quelle")
    for indicator in result.diagnosis.indicators.values():
        diagnosis.add_row(indicator.label, indicator.formatted(), indicator.source)
    console.print(diagnosis)
    if not result.recommended:
        console.print("Keine Maßnahme: Die Diagnose erfüllt keinen Auslöser.", highlight=False)
    for rank, item in enumerate(result.recommended[:limit], start=1):
        score = f"{item.score:.2f}".replace(".", ",")
        console.print(
            f"\n[bold]{rank}. {item.measure.code} {item.measure.title}[/] "
            f"({len(item.met_facts)} von {item.facts} "
            f"{'Auslöser' if item.facts == 1 else 'Auslösern'}, Punkte {score})",
            highlight=False,
        )
        for reason in item.reasons:
            console.print(f"  • {reason}", highlight=False, markup=False)
        if item.unchecked:
            missing = ", ".join(sorted({c.label for c in item.unchecked}))
            console.print(f"  nicht geprüft: {missing}", highlight=False, markup=False)
        if item.projects:
            projects = "; ".join(p.title for p in item.projects)
            console.print(f"  Referenzprojekte: {projects}", highlight=False, markup=False)
    if result.not_checkable:
        console.print("\n[bold]Nicht prüfbar[/] (Kennzahlen fehlen):", highlight=False)
        for item in result.not_checkable:
            missing = ", ".join(sorted({c.label for c in item.unchecked}))
            console.print(
                f"  {item.measure.code} {item.measure.title}: {missing}",
                highlight=False,
                markup=False,
            )


@catalogue_app.command("extract")
@_friendly
def catalogue_extract(
    file: Annotated[
        Path, typer.Argument(help="Projektbeschreibung (Text, UTF-8; sonst Windows-1252).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Entwurf als JSON.")] = False,
) -> None:
    """Aus einer deutschen Projektbeschreibung einen Entwurf für ein Referenzprojekt erzeugen."""
    import yaml

    from regiowerk.catalogue.extract import extract, read_text

    text, notes = read_text(file)
    _catalogue_notes(notes)
    draft = extract(text, file.name).as_dict()
    if as_json:
        typer.echo(json.dumps(draft, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False))


@app.command("backtest")
@_friendly
def backtest_command(
    base: Annotated[
        list[int], typer.Option("--base", help="Basisjahr (mindestens zweimal angeben).")
    ],
    target: Annotated[int, typer.Option("--target", help="Zieljahr.")],
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Fehlertabelle als JSON-Liste schreiben.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Datenordner mit gv_auszug/ (Standard: $REGIOWERK_DATA oder ../shared/data).",
        ),
    ] = None,
) -> None:
    """Projektionen der Gemeindeeinwohnerzahlen an GV-ISys-Ständen rückwirkend prüfen."""
    from regiowerk.cli_backtest import records, rich_table
    from regiowerk.demography.backtest import best_naive, run
    from regiowerk.fileio import atomic_write_bytes
    from regiowerk.sources.base import default_data_dir

    with err_console.status("Rechne Backtest …"):
        table = run(data or default_data_dir(), base, target)
    years = "–".join(str(y) for y in sorted(set(base)))
    console.print(rich_table(table, f"Backtest Basis {years} → Ziel {target}"))
    best = best_naive(table)
    default = table[table["default"]].set_index("size_class")["mape"]
    beaten = default.reindex(best.index) < best["mape"]
    console.print(
        "Standardmethode schlägt die beste naive Methode in "
        f"{int(beaten.sum())} von {len(beaten)} Größenklassen (MAPE)."
    )
    if json_file is not None:
        text = json.dumps(records(table), ensure_ascii=False, indent=1)
        atomic_write_bytes(json_file, text.encode("utf-8"))
        console.print(f"JSON: [bold]{json_file}[/]")


@app.command("sources")
@_friendly
def sources_command() -> None:
    """Die lesbaren Quellformate auflisten."""
    from regiowerk.sources import all_formats

    table = Table("Quelle", "Beschreibung")
    for key, fmt in all_formats().items():
        table.add_row(key, fmt.title)
    console.print(table)


def _print_records(records: dict[str, TableRecord]) -> None:
    table = Table("Tabelle", "Inhalt", "Zeilen", "Quelle")
    for name, record in records.items():
        table.add_row(name, table_spec(name).title, fmt_int(record.rows), record.provenance.source)
    console.print(table)


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    """``NAME=WERT`` arguments as a dict; anything else is an error naming the flag."""
    pairs = dict(item.split("=", 1) for item in (items or []) if "=" in item)
    if len(pairs) != len(items or []):
        raise RegiowerkError(f"{flag} erwartet NAME=WERT.")
    return pairs


@workspace_app.command("create")
@_friendly
def workspace_create(
    directory: DirArg,
    source: Annotated[
        Path,
        typer.Option(
            "--from", help="Arbeitsbereich mit bundesweiten Importen oder Ordner mit Dateien."
        ),
    ],
    kreis: Annotated[list[str] | None, typer.Option("--kreis", help="Kreisschlüssel.")] = None,
    ags: Annotated[list[str] | None, typer.Option("--ags", help="Gemeindeschlüssel.")] = None,
    land: Annotated[list[str] | None, typer.Option("--land", help="Landesschlüssel.")] = None,
    name: Annotated[str | None, typer.Option(help="Name der Region.")] = None,
    base_year: Annotated[int | None, typer.Option(help="Basisjahr (Standard: jüngstes).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Kodierung der Dateien.")] = None,
) -> None:
    """Arbeitsbereich einer Region (auch länderübergreifend) aus Importen anlegen."""
    from regiowerk.importing import create_region_workspace

    keys = [*(land or []), *(kreis or []), *(ags or [])]
    if not keys:
        raise RegiowerkError("Mindestens eine Auswahl angeben: --kreis, --ags oder --land.")
    with err_console.status("Lese und wähle aus …") as status:
        workspace, found = create_region_workspace(
            directory,
            selection=keys,
            source=source,
            name=name,
            base_year=base_year,
            encoding=encoding,
            progress=lambda step: status.update(step),
        )
    if found.unknown:
        shown = ", ".join(p.name for p in found.unknown[:8])
        more = f" und {len(found.unknown) - 8} weitere" if len(found.unknown) > 8 else ""
        console.print(f"[yellow]Nicht erkannt und übergangen:[/] {shown}{more}", highlight=False)
    for path, reason in found.failed:
        err_console.print(f"[yellow]Nicht lesbar, übergangen:[/] {path}: {reason}", highlight=False)
    for result in found.results:
        for message in result.messages:
            console.print(f"[cyan]Hinweis ({result.source}):[/] {message}", highlight=False)
    _print_records(workspace.tables)
    console.print(f"Arbeitsbereich: [bold]{directory.resolve()}[/]")


fetch_app = typer.Typer(
    help="Amtliche Dateien herunterladen (mit Zwischenspeicher und Prüfsummen).",
    no_args_is_help=True,
)
app.add_typer(fetch_app, name="fetch")
CacheOption = Annotated[
    Path | None, typer.Option("--cache", help="Zwischenspeicher (Standard ~/.cache/regiowerk).")
]


def _fetch(cache: Path | None, get: Callable[[Any], Path]) -> None:
    """Run ``get(downloader)`` with a byte progress bar and print the file it returns."""
    from rich.progress import DownloadColumn, TransferSpeedColumn

    from regiowerk.sources.download import Downloader

    with Progress(
        TextColumn("[bold]Download"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
    ) as bar:
        task = bar.add_task("download", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        loader = Downloader(cache, progress=advance)
        path = get(loader)
    for message in loader.messages:
        console.print(f"[cyan]Hinweis:[/] {message}", highlight=False)
    console.print(f"Datei: [bold]{path}[/]")


@fetch_app.command("genesis")
@_friendly
def fetch_genesis(
    table: Annotated[str, typer.Argument(help="Tabellencode, z. B. 12411-02-03-4.")],
    database: Annotated[
        str, typer.Option(help="genesis, regionalstatistik oder zensus.")
    ] = "regionalstatistik",
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Weitere Abfrageparameter NAME=WERT.")
    ] = None,
    cache: CacheOption = None,
    refresh: Annotated[bool, typer.Option(help="Zwischenspeicher nicht verwenden.")] = False,
) -> None:
    """Tabelle als Flat-CSV über die GENESIS-REST-Schnittstelle laden (Zugangsdaten aus der
    Umgebung, z. B. REGIONALSTATISTIK_TOKEN)."""
    from regiowerk.sources.download import genesis_table

    pairs = _pairs(param, "--param")
    _fetch(
        cache,
        lambda loader: genesis_table(
            table, database=database, parameters=pairs, downloader=loader, refresh=refresh
        ),
    )


@fetch_app.command("zensus-grid")
@_friendly
def fetch_zensus_grid(
    dataset: Annotated[str, typer.Argument(help="Datensatz.")] = "Zensus2022_Bevoelkerungszahl",
    cache: CacheOption = None,
) -> None:
    """Zensus-2022-Gitterdaten (ZIP mit CSV je 100 m / 1 km / 10 km) laden."""
    from regiowerk.sources.download import zensus_grid

    _fetch(cache, lambda loader: zensus_grid(dataset, downloader=loader))


@fetch_app.command("vg250")
@_friendly
def fetch_vg250(
    year: Annotated[str, typer.Option(help="Jahr oder 'aktuell'.")] = "aktuell",
    cache: CacheOption = None,
) -> None:
    """BKG-Verwaltungsgebiete VG250 (GeoPackage in EPSG:25832, ZIP) laden."""
    from regiowerk.sources.download import vg250

    _fetch(cache, lambda loader: vg250(year, downloader=loader))


@fetch_app.command("osm")
@_friendly
def fetch_osm(
    land: Annotated[str, typer.Argument(help="Land: Schlüssel (09) oder Name (Bayern).")],
    cache: CacheOption = None,
) -> None:
    """OpenStreetMap-Auszug eines Landes von Geofabrik laden (MD5 geprüft)."""
    from regiowerk.sources.download import geofabrik_land

    _fetch(cache, lambda loader: geofabrik_land(land, downloader=loader))


@workspace_app.command("info")
@_friendly
def workspace_info(directory: DirArg) -> None:
    """Region, Gebietsauswahl und Tabellen mit Herkunft anzeigen."""
    workspace = Workspace.open(directory)
    console.print(f"[bold]{workspace.name}[/]  (Basisjahr {workspace.base_year})")
    if workspace.synthetic:
        console.print("[bold yellow]Synthetische Demonstrationsdaten – keine amtlichen Zahlen.[/]")
    console.print(f"Gebietsauswahl: {', '.join(workspace.selection)}")
    table = Table("Tabelle", "Inhalt", "Zeilen", "Quelle", "Gebietsstand", "gespeichert")
    for name, record in workspace.tables.items():
        table.add_row(
            name,
            table_spec(name).title,
            fmt_int(record.rows),
            record.provenance.source,
            record.provenance.gebietsstand or "—",
            record.saved,
        )
    console.print(table)


@workspace_app.command("validate")
@_friendly
def workspace_validate(directory: DirArg) -> None:
    """Alle Tabellen prüfen: Datei vorhanden, Prüfsumme, lesbar, Schema eingehalten."""
    workspace = Workspace.open(directory)
    problems = workspace.validate()
    if problems:
        for problem in problems:
            err_console.print(f"[red]✗[/] {problem}", highlight=False)
        err_console.print(f"{len(problems)} Problem(e) in {len(workspace.tables)} Tabellen.")
        raise typer.Exit(EXIT_PROBLEMS)
    console.print(f"[green]✓[/] {len(workspace.tables)} Tabellen geprüft, keine Probleme.")


def main() -> None:
    """Entry point of the ``regiowerk`` console script."""
    app()
