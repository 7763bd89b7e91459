"""Section "Regionsüberblick": key figures, map, table of municipalities, population pyramid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from regiowerk.ags import land_abbreviation
from regiowerk.formatting import fmt_date, fmt_float, fmt_int, fmt_percent
from regiowerk.provenance import CENSUS_LABELS
from regiowerk.report import figures
from regiowerk.report.html import Column, data_table, esc, key_figures
from regiowerk.report.registry import ReportContext, register_section
from regiowerk.schema import table_spec

CENTRALITY = {"ober": "Oberzentrum", "mittel": "Mittelzentrum", "grund": "Grundzentrum"}
"""German names of the centrality levels; ``none`` and missing values are shown as "—"."""


@dataclass(frozen=True)
class Population:
    """The population rows the section shows: the report year and an earlier comparison year."""

    year: int
    rows: pd.DataFrame
    earlier_year: int | None
    earlier_rows: pd.DataFrame | None
    by_age: bool = True
    """False when only totals (``population_totals``) exist: no shares, no pyramid."""
    date: str = ""
    """Reference date as shown (``31.12.2023``, ``15.05.2022``); default 31.12. of ``year``."""
    earlier_date: str = ""

    @property
    def when(self) -> str:
        return self.date or f"31.12.{self.year}"

    @property
    def earlier_when(self) -> str:
        return self.earlier_date or f"31.12.{self.earlier_year}"


@register_section("overview", "Regionsüberblick", order=10, requires=("municipalities",))
def render(ctx: ReportContext) -> str:
    """Key figures, the map, the municipality table and, with population, the pyramid."""
    municipalities = ctx.table("municipalities").sort_values("ags")
    population, parts = _population(ctx, municipalities)
    stats = _municipality_stats(municipalities, population)
    if population is not None and stats["persons"].isna().any():
        lacking = ", ".join(stats.index[stats["persons"].isna()])
        parts.append(ctx.note(f"Für diese Gemeinden fehlen Einwohnerzahlen: {lacking}."))
    parts += ["<h3>Kennzahlen</h3>", key_figures(_key_figures(municipalities, stats, population))]
    parts += ["<h3>Karte der Gemeinden</h3>", _map(ctx, municipalities, stats, population)]
    parts += ["<h3>Gemeinden im Einzelnen</h3>", _table(ctx, municipalities, stats, population)]
    if population is not None and population.by_age:
        parts += ["<h3>Altersaufbau</h3>", _pyramid(ctx, population)]
    return "\n".join(parts)


def _population(
    ctx: ReportContext, municipalities: pd.DataFrame
) -> tuple[Population | None, list[str]]:
    """Population of the region's municipalities in the base year (or the nearest year shown).

    Returns it with the notes on missing or substituted data (HTML fragments).
    """
    title = f"Tabelle „{table_spec('population').title}“ (population)"
    if not ctx.has("population"):
        if ctx.has("population_totals"):
            return _totals(ctx, municipalities, title)
        missing = (
            f"{title} fehlt im Arbeitsbereich: Einwohnerzahlen, Bevölkerungsdichte und "
            f"Altersaufbau sind daher nicht enthalten."
        )
        return None, [ctx.note(missing)]
    table = ctx.table("population")
    table = table[table["ags"].isin(municipalities["ags"])]
    years = sorted(int(y) for y in table["year"].unique())
    if not years:
        return None, [ctx.note(f"{title} enthält keine Zeilen für die Gemeinden der Region.")]
    base_year = ctx.workspace.base_year
    year = base_year if base_year in years else max([y for y in years if y < base_year] or years)
    notes = []
    if year != base_year:
        notes.append(
            ctx.note(
                f"Für das Basisjahr {base_year} liegen keine Einwohnerzahlen vor; "
                f"gezeigt wird der Stand 31.12.{year}."
            )
        )
    earlier = years[0] if years[0] < year else None
    population = Population(
        year=year,
        rows=table[table["year"] == year],
        earlier_year=earlier,
        earlier_rows=table[table["year"] == earlier] if earlier is not None else None,
    )
    return population, notes


def _totals(
    ctx: ReportContext, municipalities: pd.DataFrame, title: str
) -> tuple[Population | None, list[str]]:
    """Totals without ages from ``population_totals``: the latest year up to the base year, and
    as comparison the earliest year on the **same census basis** (bases are never mixed)."""
    table = ctx.table("population_totals")
    table = table[table["region"].isin(municipalities["ags"])].rename(columns={"region": "ags"})
    if table.empty:
        return None, [ctx.note(f"{title} fehlt; auch die Einwohnersummen nennen keine Gemeinde.")]
    years = sorted(int(y) for y in table["year"].unique())
    base_year = ctx.workspace.base_year
    year = max([y for y in years if y <= base_year] or years)
    current = table[table["year"] == year]
    basis = current["census_basis"].max()  # the newest basis when a year has two
    current = current[current["census_basis"] == basis]
    same_basis = table[(table["census_basis"] == basis) & (table["year"] < year)]
    earlier = int(same_basis["year"].min()) if len(same_basis) else None
    note = ctx.note(
        f"{title} fehlt: gezeigt werden die Einwohnersummen (Basis {CENSUS_LABELS[basis]}) ohne "
        f"Altersgliederung; Anteile nach Alter und Altersaufbau entfallen."
    )
    earlier_rows = same_basis[same_basis["year"] == earlier] if earlier else None
    population = Population(
        year=year,
        rows=current,
        earlier_year=earlier,
        earlier_rows=earlier_rows,
        by_age=False,
        date=fmt_date(current["reference_date"].iloc[0]),
        earlier_date=fmt_date(earlier_rows["reference_date"].iloc[0])
        if earlier_rows is not None
        else "",
    )
    return population, [note]


def _municipality_stats(
    municipalities: pd.DataFrame, population: Population | None
) -> pd.DataFrame:
    """Per municipality (indexed by AGS): area, persons, persons under 18 and 65 or older."""
    stats = pd.DataFrame(index=pd.Index(municipalities["ags"], name="ags"))
    stats["area"] = municipalities["area_km2"].to_numpy()
    if population is None:
        return stats
    rows = population.rows
    by_age = {"persons": rows}
    if population.by_age:
        by_age |= {"under18": rows[rows["age"] < 18], "over65": rows[rows["age"] >= 65]}
    for column, subset in by_age.items():
        stats[column] = subset.groupby("ags")["persons"].sum().reindex(stats.index).astype(float)
    has_people = stats["persons"].notna()
    for column in set(by_age) - {"persons"}:
        stats[column] = stats[column].where(~has_people, stats[column].fillna(0))
    return stats


def _key_figures(
    municipalities: pd.DataFrame, stats: pd.DataFrame, population: Population | None
) -> list[tuple[str, str]]:
    """Label/value pairs for the key-figure cards."""
    laender = sorted(municipalities["land"].unique())
    area = float(stats["area"].sum())
    items: list[tuple[str, str]] = []
    if population is not None:
        persons = float(stats["persons"].sum())
        items.append((f"Einwohner am {population.when}", fmt_int(persons)))
        if population.earlier_rows is not None:
            before = float(population.earlier_rows["persons"].sum())
            change = persons / before - 1 if before else float("nan")
            sign = "+" if round(change, 3) > 0 else ""
            label = f"Veränderung seit {population.earlier_when}"
            items.append((label, f"{sign}{fmt_percent(change)}"))
    items += [
        ("Gemeinden", fmt_int(len(municipalities))),
        ("Kreise", fmt_int(municipalities["kreis"].nunique())),
        ("Länder", f"{len(laender)} ({', '.join(land_abbreviation(k) for k in laender)})"),
        ("Fläche", f"{fmt_int(area)} km²"),
    ]
    if population is not None:
        persons = float(stats["persons"].sum())
        items.append(("Einwohner je km²", fmt_int(persons / area)))
    if population is not None and population.by_age:
        items += [
            ("Anteil unter 18 Jahren", fmt_percent(stats["under18"].sum() / persons)),
            ("Anteil 65 Jahre und älter", fmt_percent(stats["over65"].sum() / persons)),
        ]
    return items


def _map(
    ctx: ReportContext,
    municipalities: pd.DataFrame,
    stats: pd.DataFrame,
    population: Population | None,
) -> str:
    """The municipality map, as a choropleth of population density when population exists."""
    if population is None:
        fig = figures.municipality_map(
            municipalities, values=None, legend_title="", title="Gemeinden der Region"
        )
        caption = (
            "Gemeinden der Region mit Kreis- und Landesgrenzen; zentrale Orte beschriftet, "
            "soweit Platz ist."
        )
    else:
        density = (stats["persons"] / stats["area"]).set_axis(municipalities.index)
        fig = figures.municipality_map(
            municipalities,
            values=density,
            legend_title="Einwohner je km²",
            title=f"Bevölkerungsdichte am {population.when}",
        )
        caption = (
            f"Einwohner je km² Fläche nach Gemeinden am {population.when}, Klassen nach "
            f"Quantilen; mit Kreis- und Landesgrenzen; zentrale Orte beschriftet, soweit Platz ist."
        )
    return ctx.figure(fig, alt="Karte der Gemeinden der Region", caption=caption)


def _table(
    ctx: ReportContext,
    municipalities: pd.DataFrame,
    stats: pd.DataFrame,
    population: Population | None,
) -> str:
    """One row per municipality, German number formats, a total row at the bottom."""
    numbers: list[tuple[Column, Callable[[pd.Series], str]]] = [
        (Column("Fläche (km²)", numeric=True), lambda s: fmt_float(s["area"])),
    ]
    if population is not None:
        numbers = [
            (
                Column(f"Einwohner {population.when}", numeric=True),
                lambda s: fmt_int(s["persons"]),
            ),
            *numbers,
            (Column("Einw. je km²", numeric=True), lambda s: fmt_int(s["persons"] / s["area"])),
        ]
    if population is not None and population.by_age:
        numbers += [
            (Column("unter 18 (%)", numeric=True), lambda s: _share(s, "under18")),
            (Column("65 und älter (%)", numeric=True), lambda s: _share(s, "over65")),
        ]
    columns = [
        Column("AGS"),
        Column("Gemeinde"),
        Column("Kreis"),
        *(column for column, _ in numbers),
        Column("Zentralörtliche Stufe"),
    ]
    kreis_names = ctx.kreis_names
    rows: list[list[str]] = [
        [
            Markup(f"<code>{esc(ags)}</code>"),
            str(name),
            kreis_names.get(str(kreis), str(kreis)),
            *(cell(stats.loc[ags]) for _, cell in numbers),
            CENTRALITY.get(str(centrality), "—"),
        ]
        for ags, name, kreis, centrality in municipalities[
            ["ags", "name", "kreis", "centrality"]
        ].itertuples(index=False)
    ]
    kreise = municipalities["kreis"].nunique()
    totals = stats.sum()
    footer = [
        "",
        "Region insgesamt",
        f"{kreise} {'Kreis' if kreise == 1 else 'Kreise'}",
        *(cell(totals) for _, cell in numbers),
        "",
    ]
    return data_table(columns, rows, footer=footer, css_class="daten gemeinden")


def _share(stats: pd.Series, column: str) -> str:
    return fmt_float(100 * stats[column] / stats["persons"])


def _pyramid(ctx: ReportContext, population: Population) -> str:
    """Population pyramid of the report year, the earliest year as outline."""

    earlier = None
    caption = f"Einwohner nach Altersjahren und Geschlecht am 31.12.{population.year}"
    if population.earlier_rows is not None and population.earlier_year is not None:
        earlier_rows = population.earlier_rows
        earlier = (
            population.earlier_year,
            figures.persons_by_age(earlier_rows, "m"),
            figures.persons_by_age(earlier_rows, "f"),
        )
        caption += f"; Umriss: Stand 31.12.{population.earlier_year}"
    fig = figures.population_pyramid(
        figures.persons_by_age(population.rows, "m"),
        figures.persons_by_age(population.rows, "f"),
        year=population.year,
        earlier=earlier,
    )
    return ctx.figure(fig, alt="Bevölkerungspyramide der Region", caption=caption + ".")
