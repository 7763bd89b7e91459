"""Section "Bevölkerungsentwicklung": the projection by Kreis, pyramids, time series, maps.

Reads the ``projection`` table (``ags, year, sex, age, persons, scenario``). The first year of
the projection is its base year, the last its horizon. The main scenario is ``trend`` when
present, otherwise the first by name. Municipal rows (8-digit AGS) are preferred; a projection
of Kreise only (5-digit keys) gets the tables and charts but no maps.

Uncertainty is shown with the empirical error bands of :mod:`regiowerk.demography.error_bands`
(backtest of municipal totals on GV-ISys 2014–2021). For the region total the band of the size
class of the region itself (in practice ``>=20k``) is used: summing municipal bands would
overstate the error of the total, since municipal errors partly cancel.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from regiowerk.demography import error_bands, indicators
from regiowerk.formatting import fmt_float, fmt_int
from regiowerk.report import figures
from regiowerk.report.html import Column, data_table, esc
from regiowerk.report.registry import ReportContext, register_section

MAIN_SCENARIO = "trend"
REGION = "Region insgesamt"
_REGION_KEY = "region"
SIZE_CLASS_NAMES = {
    "<1k": "unter 1.000 Einwohner",
    "1-5k": "1.000 bis unter 5.000",
    "5-20k": "5.000 bis unter 20.000",
    ">=20k": "20.000 und mehr",
}
TYPE_COLOURS = {
    "wachsend, jünger": "#1a7f3c",
    "wachsend, älter": "#8cc665",
    "stabil, jünger": "#3f6fb0",
    "stabil, älter": "#a6cbe3",
    "schrumpfend, jünger": "#f4b05f",
    "schrumpfend, älter": "#e8673c",
    "stark schrumpfend und alternd": "#9e1b1b",
}
"""Colours of the demographic types (:data:`regiowerk.demography.indicators.TYPE_RULES`)."""
CHANGE_SCALES = ((0.5, 1.0, 2.0), (1.0, 2.0, 5.0), (2.0, 5.0, 10.0), (5.0, 10.0, 20.0))
"""Candidate class limits (percent, mirrored around 0) of the change map."""
SCENARIO_COLOURS = ("#2d5b8c", "#c8553d", "#4d9a5b", "#8a6bb0", "#b8860b", "#5a5a60")


@register_section("bevoelkerung", "Bevölkerungsentwicklung", order=20, requires=("projection",))
def render(ctx: ReportContext) -> str | None:
    """Intro with the error bands, Kreis tables, pyramid, time series, comparison and maps."""
    frame, municipal = _projection(ctx)
    span = ctx.span_or_skip(frame, "projection")
    if span is None:
        return None
    base, horizon = span
    scenarios = _scenarios(frame)
    main = scenarios[0]
    structure = _structure(frame, [base, horizon])
    parts = [_intro(ctx, scenarios, base, horizon)]
    parts += ["<h3>Kreise und Region</h3>", _tables(ctx, structure, scenarios, base, horizon)]
    parts += [f"<h3>Altersaufbau {base} und {horizon}</h3>", _pyramid(ctx, frame, main, base)]
    parts += ["<h3>Einwohnerzahl der Region</h3>", _time_series(ctx, frame, scenarios, base)]
    if len(scenarios) >= 2:
        parts += [
            "<h3>Szenarien im Vergleich</h3>",
            _comparison(ctx, structure, scenarios, base, horizon),
        ]
    parts += ["<h3>Karten der Gemeinden</h3>", _maps(ctx, frame, municipal, main, base, horizon)]
    return "\n".join(parts)


def _projection(ctx: ReportContext) -> tuple[pd.DataFrame, bool]:
    """Projection rows of one level (municipalities if any, else Kreise) with a ``kreis``
    column; and whether the rows are municipalities."""
    table = ctx.table("projection")
    lengths = table["ags"].str.len()
    municipal = bool((lengths == 8).any())
    frame = table[lengths == (8 if municipal else 5)].copy()
    frame["kreis"] = frame["ags"].str[:5]
    return frame, municipal


def _scenarios(frame: pd.DataFrame) -> list[str]:
    """Scenario names, the main scenario first, then by name."""
    names = sorted(str(s) for s in frame["scenario"].unique())
    main = [name for name in names if name.casefold() == MAIN_SCENARIO]
    if main:
        names.remove(main[0])
        names.insert(0, main[0])
    return names


def _quoted(names: Sequence[str]) -> str:
    quoted = [f"„{n}“" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} und {quoted[-1]}"


def _signed(value: float, digits: int = 1) -> str:
    text = fmt_float(value, digits)
    return f"+{text}" if round(value, digits) > 0 else text


def _remark(text: str) -> str:
    """A small explanatory paragraph below a table (styled like a figure caption)."""
    return f'<p class="erlaeuterung" style="font-size: 0.85rem; color: #5a5a60">{esc(text)}</p>'


def _intro(ctx: ReportContext, scenarios: list[str], base: int, horizon: int) -> str:
    """What was projected, what it means, and the table of the error bands."""
    span = horizon - base
    kind = "im Szenario" if len(scenarios) == 1 else f"in {len(scenarios)} Szenarien:"
    main = (
        f" Hauptszenario ist „{scenarios[0]}“; Altersaufbau, Bandbreite und Karten beziehen "
        f"sich darauf."
        if len(scenarios) > 1
        else ""
    )
    paragraphs = [
        f"Die Vorausberechnung schreibt die Bevölkerung nach Alter und Geschlecht vom "
        f"31.12.{base} (Basisjahr) bis zum 31.12.{horizon} fort, also über {span} Jahre, "
        f"{kind} {_quoted(scenarios)}.{main}",
        "Eine Vorausberechnung zeigt, wie sich die Bevölkerung entwickelt, wenn die Annahmen "
        "über Geburten, Sterbefälle und Wanderungen zutreffen. Sie ist eine begründete "
        "Erwartung, keine sichere Vorhersage.",
        "Wie weit solche Rechnungen danebenliegen können, zeigt ein Rückblick (Backtest) mit "
        "den amtlichen Einwohnerzahlen des Gemeindeverzeichnisses GV-ISys (Destatis) 2014 bis "
        "2021: Für alle Gemeinden mit unverändertem Gemeindeschlüssel wurde aus den Ständen "
        "2014 und 2016 die Einwohnerzahl für 2019 und 2021 berechnet (Standardverfahren von "
        "regiowerk für Gemeindesummen) und mit dem später veröffentlichten Stand verglichen. "
        "Daraus stammen die Fehlerbänder unten: Ein Wert von 4 % in der Spalte „9 von 10“ "
        "heißt, 9 von 10 Gemeinden dieser Größe lagen näher als 4 % am tatsächlichen Wert "
        "(90. Perzentil, p90); die Spalte „Hälfte“ ist der Median (p50). Kleine Gemeinden "
        "schwanken stärker als große.",
    ]
    html = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return html + _band_table(span)


def _band_table(span: int) -> str:
    """Error bands by size class after 3 and 5 years and, if different, after ``span``."""
    horizons = [3, 5] if span in (3, 5) else sorted([3, 5, span])
    columns = [Column("Gemeindegröße (Einwohner)")]
    for h in horizons:
        extra = " *" if h > error_bands.MEASURED_MAX else ""
        columns += [
            Column(f"Hälfte nach {h} J. (±%){extra}", numeric=True),
            Column(f"9 von 10 nach {h} J. (±%){extra}", numeric=True),
        ]
    rows = []
    for label, name in SIZE_CLASS_NAMES.items():
        cells = [name]
        for h in horizons:
            p50, p90 = error_bands.band(label, h)
            cells += [fmt_float(p50), fmt_float(p90)]
        rows.append(cells)
    table = data_table(columns, rows, css_class="daten fehlerbaender")
    caption = (
        "Abweichung der berechneten von der tatsächlichen Einwohnerzahl einer Gemeinde in "
        "Prozent, nach Gemeindegröße und Jahren nach dem Basisjahr; zwischen den gemessenen "
        "Horizonten (3 und 5 Jahre) linear interpoliert."
    )
    if span > error_bands.MEASURED_MAX:
        caption += (
            f" * Über 5 Jahre hinaus wurde nichts gemessen: Die Werte nach {span} Jahren sind "
            f"mit der Wurzel der Jahre fortgeschrieben (5-Jahres-Wert × √({span}/5)). Das ist "
            f"eine Annahme; tatsächlich wachsen die Fehler oft schneller, die Bänder sind dann "
            f"eher zu schmal."
        )
    return table + _remark(caption)


def _structure(frame: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Persons, share 65+ and median age per Kreis and for the region (``ags`` = unit key),
    scenario and year."""
    rows = frame[frame["year"].isin(years)]
    columns = ["ags", "year", "sex", "age", "persons", "scenario"]
    kreise = rows.assign(ags=rows["kreis"])[columns]
    region = rows.assign(ags=_REGION_KEY)[columns]
    return indicators.age_structure(pd.concat([kreise, region], ignore_index=True))


def _tables(
    ctx: ReportContext, structure: pd.DataFrame, scenarios: list[str], base: int, horizon: int
) -> str:
    """One table per scenario: a row per Kreis, the region as footer."""
    names = ctx.kreis_names
    indexed = structure.set_index(["scenario", "ags", "year"])
    kreise = sorted(k for k in structure["ags"].unique() if k != _REGION_KEY)
    columns = [
        Column("Kreis"),
        Column(f"Einwohner {base}", numeric=True),
        Column(f"Einwohner {horizon}", numeric=True),
        Column("Veränderung (%)", numeric=True),
        Column(f"65 und älter {base} (%)", numeric=True),
        Column(f"65 und älter {horizon} (%)", numeric=True),
        Column(f"Medianalter {base}", numeric=True),
        Column(f"Medianalter {horizon}", numeric=True),
    ]

    def cells(scenario: str, key: str) -> list[str]:
        def value(year: int, column: str) -> float:
            at = (scenario, key, year)
            return float(indexed[column].get(at, np.nan))

        start, end = value(base, "persons"), value(horizon, "persons")
        change = (end / start - 1) * 100 if start else float("nan")
        return [
            fmt_int(start),
            fmt_int(end),
            _signed(change),
            fmt_float(value(base, "share_65")),
            fmt_float(value(horizon, "share_65")),
            fmt_float(value(base, "median_age")),
            fmt_float(value(horizon, "median_age")),
        ]

    parts = []
    for scenario in scenarios:
        if len(scenarios) > 1:
            parts.append(f"<h4>Szenario „{esc(scenario)}“</h4>")
        rows = [[names.get(k, k), *cells(scenario, k)] for k in kreise]
        parts.append(data_table(columns, rows, footer=[REGION, *cells(scenario, _REGION_KEY)]))
    parts.append(
        _remark(
            f"Stand jeweils 31.12.; Veränderung von {base} bis {horizon}. Medianalter: die "
            f"Hälfte der Einwohner ist jünger."
        )
    )
    return "\n".join(parts)


def _pyramid(ctx: ReportContext, frame: pd.DataFrame, main: str, base: int) -> str:
    """Pyramid of the horizon year, the base year as outline (region, main scenario)."""
    rows = frame[frame["scenario"] == main]
    horizon = int(rows["year"].max())
    start, end = rows[rows["year"] == base], rows[rows["year"] == horizon]
    fig = figures.population_pyramid(
        figures.persons_by_age(end, "m"),
        figures.persons_by_age(end, "f"),
        year=horizon,
        earlier=(base, figures.persons_by_age(start, "m"), figures.persons_by_age(start, "f")),
    )
    caption = (
        f"Einwohner der Region nach Altersjahren und Geschlecht am 31.12.{horizon} laut "
        f"Vorausberechnung (Szenario „{main}“); Umriss: Basisjahr 31.12.{base}."
    )
    return ctx.figure(fig, alt=f"Bevölkerungspyramide {base} und {horizon}", caption=caption)


def _time_series(ctx: ReportContext, frame: pd.DataFrame, scenarios: list[str], base: int) -> str:
    """Region total per scenario and year, with the p50 and p90 bands around the main one."""
    totals = frame.groupby(["scenario", "year"])["persons"].sum()
    main = totals.loc[scenarios[0]]
    label = error_bands.size_class(float(main.iloc[0]))
    years = main.index.to_numpy(dtype=int)
    p50, p90 = (
        np.array([error_bands.band(label, y - base)[i] for y in years]) / 100 for i in (0, 1)
    )
    fig = figures.new_figure(16, 9.5)
    ax = fig.add_subplot()
    values = main.to_numpy(dtype=float)
    colour = SCENARIO_COLOURS[0]
    for share, alpha, name in ((p90, 0.15, "9 von 10 (p90)"), (p50, 0.25, "Hälfte (p50)")):
        low, high = values * (1 - share), values * (1 + share)
        ax.fill_between(years, low, high, color=colour, alpha=alpha, linewidth=0, label=name)
    for i, scenario in enumerate(scenarios):
        series = totals.loc[scenario]
        ax.plot(
            series.index.to_numpy(dtype=int),
            series.to_numpy(dtype=float),
            color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)],
            linewidth=2.2 if i == 0 else 1.5,
            linestyle="-" if i == 0 else "--",
            label=f"Szenario „{scenario}“",
        )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_int(v)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(years[0], years[-1])
    ax.set_ylabel("Einwohner am 31.12.", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(color="#e5e5e5", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Einwohner der Region", fontsize=10, loc="left")
    fig.legend(loc="outside lower center", ncols=4, frameon=False, fontsize=8)
    caption = (
        f"Einwohner der Region am 31.12. je Szenario. Schattiert um das Szenario "
        f"„{scenarios[0]}“: Fehlerbänder aus dem Backtest mit GV-ISys 2014–2021, hell: 9 von 10 "
        f"(p90), dunkel: Hälfte (p50). Für die Regionssumme gilt das Band der Größenklasse "
        f"„{SIZE_CLASS_NAMES[label]}“ (die Summe der Gemeindebänder wäre zu breit, weil sich "
        f"Fehler der Gemeinden teils ausgleichen)"
    )
    if years[-1] - base > error_bands.MEASURED_MAX:
        caption += "; nach mehr als 5 Jahren mit der Wurzel der Jahre fortgeschrieben (Annahme)"
    return ctx.figure(fig, alt="Einwohnerzahl der Region je Szenario", caption=caption + ".")


def _comparison(
    ctx: ReportContext, structure: pd.DataFrame, scenarios: list[str], base: int, horizon: int
) -> str:
    """Change in percent per Kreis and for the region, one bar per scenario."""
    persons = structure.pivot_table(index="ags", columns=["scenario", "year"], values="persons")
    names = ctx.kreis_names
    keys = [*sorted(k for k in persons.index if k != _REGION_KEY), _REGION_KEY]
    labels = [REGION if k == _REGION_KEY else names.get(k, k) for k in keys]
    fig = figures.new_figure(16, 2.5 + 0.45 * len(keys) * len(scenarios))
    ax = fig.add_subplot()
    height = 0.8 / len(scenarios)
    positions = np.arange(len(keys))[::-1]
    for i, scenario in enumerate(scenarios):
        change = (persons[(scenario, horizon)] / persons[(scenario, base)] - 1) * 100
        values = change.reindex(keys).to_numpy(dtype=float)
        offset = positions + 0.4 - height * (i + 0.5)
        bars = ax.barh(
            offset,
            values,
            height=height * 0.9,
            color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)],
            label=f"Szenario „{scenario}“",
        )
        ax.bar_label(bars, labels=[_signed(v) for v in values], padding=3, fontsize=7)
    ax.axvline(0, color="#262626", linewidth=0.8)
    ax.set_yticks(positions, labels)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _signed(v, 0)))
    ax.set_xlabel(f"Veränderung der Einwohnerzahl {base}–{horizon} (%)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.margins(x=0.15)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"Veränderung {base}–{horizon} nach Kreisen", fontsize=10, loc="left")
    fig.legend(loc="outside lower center", ncols=len(scenarios), frameon=False, fontsize=8)
    caption = (
        f"Veränderung der Einwohnerzahl vom 31.12.{base} bis zum 31.12.{horizon} in Prozent, "
        f"je Kreis und für die Region, nach Szenario."
    )
    return ctx.figure(fig, alt="Vergleich der Szenarien nach Kreisen", caption=caption)


def _maps(
    ctx: ReportContext,
    frame: pd.DataFrame,
    municipal: bool,
    main: str,
    base: int,
    horizon: int,
) -> str:
    """Maps of change, share 65+ and demographic type per municipality (main scenario)."""
    if not municipal:
        return ctx.note(
            "Die Vorausberechnung liegt nur für Kreise vor; Karten der Gemeinden entfallen."
        )
    if not ctx.has("municipalities"):
        return ctx.note("Ohne Gemeindegrenzen (Tabelle municipalities) entfallen die Karten.")
    municipalities = ctx.table("municipalities").sort_values("ags")
    rows = frame[(frame["scenario"] == main) & frame["year"].isin([base, horizon])]
    rows = rows.drop(columns=["scenario", "kreis"])
    change, share = indicators.change_and_share(rows, start=base, end=horizon)
    types = indicators.classify(change, share)
    keys = municipalities["ags"]

    def aligned(values: pd.Series) -> pd.Series:
        return values.reindex(keys.to_numpy()).set_axis(municipalities.index)

    scenario = f"Szenario „{main}“"
    parts = [
        _change_map(ctx, municipalities, aligned(change), base, horizon, scenario),
        ctx.figure(
            figures.municipality_map(
                municipalities,
                values=aligned(share),
                legend_title="Anteil 65 und älter (%)",
                title=f"Anteil 65+ am 31.12.{horizon}",
            ),
            alt=f"Karte: Anteil 65 und älter {horizon}",
            caption=(
                f"Anteil der Einwohner mit 65 Jahren und mehr am 31.12.{horizon} in Prozent "
                f"({scenario}); Klassen nach Quantilen."
            ),
        ),
        _type_map(ctx, municipalities, aligned(types), base, horizon, scenario),
    ]
    missing = int(aligned(change).isna().sum())
    if missing:
        parts.insert(0, ctx.note(f"Für {missing} Gemeinden der Region fehlt die Vorausberechnung."))
    return "\n".join(parts)


def _change_breaks(change: pd.Series) -> list[float]:
    """Class limits mirrored around 0, from the first scale covering 90 % of the values."""
    finite = change[np.isfinite(change)].abs()
    q90 = float(finite.quantile(0.9)) if not finite.empty else 0.0
    scale = next((s for s in CHANGE_SCALES if s[-1] >= q90), CHANGE_SCALES[-1])
    return [-scale[2], -scale[1], -scale[0], 0.0, *scale]


def _fmt_limit(value: float) -> str:
    text = fmt_int(value) if float(value).is_integer() else fmt_float(value)
    return text.replace("-", "−")


def _change_map(
    ctx: ReportContext,
    municipalities: gpd.GeoDataFrame,
    change: pd.Series,
    base: int,
    horizon: int,
    scenario: str,
) -> str:
    """Diverging classes of the change in percent, red for loss, blue for growth."""
    breaks = _change_breaks(change)
    shades = [
        *colormaps["RdBu"](np.linspace(0.08, 0.4, 4)),
        *colormaps["RdBu"](np.linspace(0.6, 0.92, 4)),
    ]
    palette = [colors.to_hex(c) for c in shades]
    fig = _classed_map(
        municipalities,
        figures.classed_faces(change, breaks, palette),
        list(zip(palette, figures.class_labels(breaks, change, fmt=_fmt_limit), strict=True)),
        legend_title="Veränderung (%)",
        title=f"Veränderung {base}–{horizon}",
        missing=bool(change.isna().any()),
    )
    caption = (
        f"Veränderung der Einwohnerzahl vom 31.12.{base} bis zum 31.12.{horizon} in Prozent "
        f"({scenario}); Rot: Abnahme, Blau: Zunahme, feste Klassen symmetrisch um 0."
    )
    return ctx.figure(fig, alt=f"Karte: Veränderung {base}–{horizon}", caption=caption)


def _type_map(
    ctx: ReportContext,
    municipalities: gpd.GeoDataFrame,
    types: pd.Series,
    base: int,
    horizon: int,
    scenario: str,
) -> str:
    """The demographic type of each municipality, categorical colours."""
    present = [name for name in TYPE_COLOURS if (types == name).any()]
    face = [TYPE_COLOURS.get(str(t), figures.NO_DATA) for t in types]
    fig = _classed_map(
        municipalities,
        face,
        [(TYPE_COLOURS[name], name) for name in present],
        legend_title="Demografischer Typ",
        title=f"Demografischer Typ {base}–{horizon}",
        missing=bool((~types.isin(present)).any()),
    )
    caption = (
        f"Demografischer Typ je Gemeinde ({scenario}) nach der Veränderung der Einwohnerzahl "
        f"von {base} bis {horizon}: wachsend (Zunahme ab 3 %), stabil (−3 bis unter +3 %), "
        f"schrumpfend (Abnahme um mehr als 3 %); „älter“: Anteil 65+ am 31.12.{horizon} ab "
        f"22 % (Deutschland 2022: 22,4 %); „stark schrumpfend und alternd“: Abnahme um mehr "
        f"als 10 % und älter."
    )
    return ctx.figure(fig, alt=f"Karte: demografischer Typ {horizon}", caption=caption)


def _classed_map(
    municipalities: gpd.GeoDataFrame,
    face: list[str],
    legend: list[tuple[str, str]],
    *,
    legend_title: str,
    title: str,
    missing: bool,
) -> Figure:
    """A municipality map with given fill colours, in the look of
    :func:`regiowerk.report.figures.municipality_map` (borders, places, scale bar, arrow)."""
    return figures.filled_map(
        municipalities,
        face=face,
        legend=figures.class_legend(
            [c for c, _ in legend], [label for _, label in legend], missing=missing
        ),
        legend_title=legend_title,
        title=title,
    )
