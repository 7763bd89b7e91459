"""Section "Wohnungsbedarf": new-construction demand by dwelling size, scenario and period.

Reads ``housing_demand`` (``ags, year, scenario, size_class`` and the components of
:mod:`regiowerk.housing.demand`), and where present ``household_projection`` (households, of
which in-movers of employers), ``projection`` or ``population`` (inhabitants for the map) and
the provenance of ``housing_demand``: a JSON document with the parameters, the stock year, notes,
warnings and the sensitivity runs (written by :func:`regiowerk.housing.save_housing`).

New construction is the positive part of ``total`` per municipality, size class and year,
summed: a surplus in one municipality or size class does not offset a shortage elsewhere (the
same sum as the sensitivity runs of :mod:`regiowerk.housing.run`). The first year of the table
is its base year (flows zero), the last its horizon.

Scenarios: a scenario whose households include in-movers of an employer
(``household_projection.in_movers`` > 0) is an *employer scenario*; the *reference* is the
scenario named ``trend`` (any case), otherwise the first one without employers. The main
scenario of the map is the first employer scenario, otherwise the reference. The employer's
share of the demand is the difference employer scenario − reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from regiowerk.formatting import fmt_float, fmt_int, fmt_percent
from regiowerk.housing.parameters import PARAMETER_LABELS, SIZE_CLASS_LABELS, housing_defaults
from regiowerk.housing.stockflow import DEFAULT_LOSS_RATE, measured_losses
from regiowerk.report import figures
from regiowerk.report.html import Column, data_table, esc
from regiowerk.report.registry import ReportContext, register_section

REFERENCE_SCENARIO = "trend"
SIZE_CLASSES = tuple(SIZE_CLASS_LABELS)
SIZE_COLOURS = {"1-2": "#e8a33d", "3": "#9cc3e4", "4": "#4a7fb5", "5+": "#1f3f66"}
"""Small dwellings stand out in orange; larger ones in darkening blues."""
COMPONENT_STYLE = {  # column: (German label, colour, sign in the chart)
    "additional": ("Zusatzbedarf", "#4a7fb5", 1.0),
    "replacement": ("Ersatzbedarf", "#8c8c8c", 1.0),
    "catch_up": ("Nachholbedarf", "#c8553d", 1.0),
    "usable_vacancy": ("aktivierter Leerstand (abgezogen)", "#8cc665", -1.0),
}
PERIOD_YEARS = 5
MAP_SCALES = ((1.0, 5.0, 20.0, 50.0), (1.0, 10.0, 50.0, 100.0), (5.0, 25.0, 100.0, 250.0))
"""Candidate class limits of the map, new dwellings per 1.000 inhabitants."""
MAP_SCALES_STOCK = ((0.2, 1.0, 4.0, 10.0), (0.2, 2.0, 10.0, 20.0), (1.0, 5.0, 20.0, 50.0))
"""Candidate class limits of the map, new dwellings per 100 existing dwellings."""
PARAMETER_ORDER = (
    "fluctuation_reserve",
    "replacement_rate",
    "usable_vacancy_share",
    "catch_up_years",
    "overcrowding_share",
)
PARAMETER_MEANING = {
    "fluctuation_reserve": "Leer stehender Anteil, der für Umzüge und Sanierung nötig ist, "
    "zusätzlich zu den bewohnten Wohnungen.",
    "replacement_rate": "Anteil des Bestands, der jedes Jahr durch Abriss, Zusammenlegung oder "
    "Umnutzung wegfällt und ersetzt werden muss.",
    "usable_vacancy_share": "Anteil des Leerstands über der Fluktuationsreserve, der wieder "
    "bewohnbar gemacht werden kann, bevor neu gebaut wird.",
    "catch_up_years": "Jahre, in denen ein Fehlbestand des Basisjahres abgebaut wird.",
    "overcrowding_share": "Anteil der Haushalte, die überbelegt wohnen und eine weitere Wohnung "
    "brauchen (Nachholbedarf).",
}
SOURCE_LABELS = {
    "headship": "Haushaltsbildung nach Alter (Haushaltsquoten)",
    "occupancy": "Belegung: Haushaltsgröße → Wohnungsgröße",
    "in_movers": "Wohnungswünsche zuziehender Haushalte",
    "calibration": "Kalibrierung der Haushaltsgrößen je Land",
}
_BOX_STYLE = (
    "padding: 0.4rem 1rem 0.6rem; border: 1px solid #d6d6db; border-left: 4px solid #2d5b8c; "
    "background: #f5f6f8"
)
MAX_SINGLE_WARNINGS = 5
"""More warnings than this are combined into one note."""


@dataclass(frozen=True)
class Scenarios:
    """Scenario names in display order and their roles."""

    names: list[str]
    reference: str
    employers: list[str]

    @property
    def main(self) -> str:
        """The scenario of the map: the first employer scenario, else the reference."""
        return self.employers[0] if self.employers else self.reference

    @property
    def compared(self) -> list[str]:
        """The scenarios of the side-by-side charts (at most two)."""
        if self.main != self.reference:
            return [self.reference, self.main]
        return self.names[:2]


@register_section("wohnungsbedarf", "Wohnungsbedarf", order=30, requires=("housing_demand",))
def render(ctx: ReportContext) -> str | None:
    """Key numbers, charts, tables by period and gap, map, sensitivity and assumptions."""
    frame = _demand(ctx)
    span = ctx.span_or_skip(frame, "housing_demand")
    if span is None:
        return None
    base, horizon = span
    scenarios = _scenarios(ctx, frame)
    meta = ctx.provenance_meta("housing_demand")
    parts = [_intro(ctx, frame, scenarios, base, horizon)]
    parts += ["<h3>Neubaubedarf je Jahr</h3>", _by_size_chart(ctx, frame, scenarios, base)]
    parts += [_components_chart(ctx, frame, scenarios, base)]
    parts += ["<h3>Neubaubedarf nach Zeitraum</h3>", _period_tables(frame, scenarios, base)]
    parts += [
        f"<h3>Lücke gegenüber dem Bestand {horizon}</h3>",
        _gap_table(frame, scenarios, horizon),
    ]
    parts += ["<h3>Karte der Gemeinden</h3>", _map(ctx, frame, scenarios, base, horizon)]
    parts += ["<h3>Empfindlichkeit der Annahmen</h3>", _sensitivity(meta, scenarios, base)]
    parts += ["<h3>Modellannahmen</h3>", _assumptions(ctx, meta, frame, base)]
    return "\n".join(parts)


def _demand(ctx: ReportContext) -> pd.DataFrame:
    """``housing_demand`` with the column ``new`` (positive part of ``total``)."""
    table = ctx.table("housing_demand")
    return table.assign(new=table["total"].clip(lower=0.0))


def _scenarios(ctx: ReportContext, frame: pd.DataFrame) -> Scenarios:
    """Reference first, then the employer scenarios, then the others (each by name)."""
    names = sorted(str(s) for s in frame["scenario"].unique())
    employers: list[str] = []
    if ctx.has("household_projection"):
        households = ctx.table("household_projection")
        movers = households.groupby("scenario")["in_movers"].sum()
        employers = [n for n in names if float(movers.get(n, 0.0)) > 0]
    named = [n for n in names if n.casefold() == REFERENCE_SCENARIO]
    others = [n for n in names if n not in employers]
    reference = (named or others or names)[0]
    order = [reference, *(n for n in employers if n != reference)]
    order += [n for n in names if n not in order]
    return Scenarios(order, reference, [n for n in employers if n != reference])


def _quoted(names: Sequence[str]) -> str:
    quoted = [f"„{n}“" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} und {quoted[-1]}"


def _span(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}–{end}"


def _remark(text: str) -> str:
    """A small explanatory paragraph below a table (styled like a figure caption)."""
    return f'<p class="erlaeuterung" style="font-size: 0.85rem; color: #5a5a60">{esc(text)}</p>'


def _cumulative(frame: pd.DataFrame, scenario: str) -> tuple[float, float]:
    """Cumulative new construction of ``scenario`` to the horizon, and of it 1–2 rooms."""
    rows = frame[frame["scenario"] == scenario]
    small = rows.loc[rows["size_class"] == "1-2", "new"].sum()
    return float(rows["new"].sum()), float(small)


def _share(part: float, whole: float) -> str:
    return fmt_percent(part / whole, 0) if whole > 0 else "–"


def _intro(
    ctx: ReportContext, frame: pd.DataFrame, scenarios: Scenarios, base: int, horizon: int
) -> str:
    """Cumulative demand per scenario, of which small dwellings, and the employer's part."""
    first = base + 1
    sentences = []
    for i, scenario in enumerate(scenarios.names):
        total, small = _cumulative(frame, scenario)
        if i == 0:
            sentences.append(
                f"Von {first} bis {horizon} müssten in der Region im Szenario „{scenario}“ "
                f"rund {fmt_int(total)} Wohnungen neu gebaut werden, davon {fmt_int(small)} "
                f"kleine Wohnungen mit 1–2 Räumen ({_share(small, total)})."
            )
        else:
            sentences.append(
                f"Im Szenario „{scenario}“ sind es {fmt_int(total)} Wohnungen, davon "
                f"{fmt_int(small)} mit 1–2 Räumen ({_share(small, total)})."
            )
    reference_total, reference_small = _cumulative(frame, scenarios.reference)
    for employer in scenarios.employers:
        total, small = _cumulative(frame, employer)
        sentences.append(
            f"Auf die Ansiedlung im Szenario „{employer}“ gehen damit rund "
            f"{fmt_int(total - reference_total)} Wohnungen zurück (Unterschied zum Szenario "
            f"„{scenarios.reference}“), darunter {fmt_int(small - reference_small)} kleine."
        )
    paragraphs = [" ".join(sentences)]
    if len(scenarios.names) == 1:
        paragraphs.append(
            f"Es liegt nur das Szenario „{scenarios.names[0]}“ vor; ein Vergleich von Szenarien "
            f"und der Anteil einer Ansiedlung entfallen."
        )
    elif not scenarios.employers:
        paragraphs.append(
            f"Keines der Szenarien {_quoted(scenarios.names)} enthält Zuziehende eines "
            f"Arbeitgebers; ein Anteil einer Ansiedlung lässt sich daher nicht ausweisen."
        )
    households = _households(ctx, scenarios, base, horizon)
    if households:
        paragraphs.append(households)
    paragraphs.append(
        "Neubaubedarf heißt: Wohnungen, die zusätzlich zum heutigen Bestand gebraucht werden, "
        "weil Haushalte hinzukommen (Zusatzbedarf), Wohnungen wegfallen (Ersatzbedarf) oder "
        "schon im Basisjahr fehlen (Nachholbedarf), soweit nicht leer stehende Wohnungen "
        "wieder genutzt werden können. Gezählt wird je Gemeinde und Wohnungsgröße; ein "
        "Überhang an einer Stelle gleicht einen Mangel an anderer Stelle nicht aus. Die Werte "
        "folgen aus den Annahmen unten und sind Größenordnungen, keine genauen Bauzahlen."
    )
    return "".join(f"<p>{esc(p)}</p>" for p in paragraphs)


def _households(ctx: ReportContext, scenarios: Scenarios, base: int, horizon: int) -> str:
    """A sentence on the households of the main scenario (empty without the table)."""
    if not ctx.has("household_projection"):
        return ""
    table = ctx.table("household_projection")
    rows = table[table["scenario"] == scenarios.main]
    by_year = rows.groupby("year")[["households", "in_movers"]].sum()
    totals = {int(y): (float(h), float(m)) for y, h, m in by_year.itertuples()}
    if base not in totals or horizon not in totals:
        return ""
    (start, _), (end, movers) = totals[base], totals[horizon]
    text = (
        f"Die Zahl der privaten Haushalte ändert sich im Szenario „{scenarios.main}“ von "
        f"{fmt_int(start)} ({base}) auf {fmt_int(end)} ({horizon})"
    )
    if movers > 0:
        text += f", davon {fmt_int(movers)} Haushalte von Zuziehenden der Ansiedlung"
    return text + "."


def _yearly(frame: pd.DataFrame, scenario: str, base: int) -> pd.DataFrame:
    """New construction per year (rows after the base year) and size class (columns)."""
    rows = frame[(frame["scenario"] == scenario) & (frame["year"] > base)]
    table = rows.pivot_table(index="year", columns="size_class", values="new", aggfunc="sum")
    return table.reindex(columns=list(SIZE_CLASSES), fill_value=0.0).fillna(0.0)


def _panels(count: int, title: str) -> tuple[Figure, list[Any]]:
    """A figure with ``count`` panels side by side on a shared y axis, titled top left.

    The scenario names go below the panels (:func:`_style_axis`), so that the mark of
    synthetic data (top right of the first panel) never covers them.
    """
    fig = figures.new_figure(17, 10)
    axes = fig.subplots(1, count, sharey=True, squeeze=False)[0]
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, color="#1d1d1f")
    return fig, list(axes)


def _fmt_axis(value: float) -> str:
    return fmt_int(value).replace("-", "−")


def _style_axis(ax: Any, scenario: str) -> None:
    ax.axhline(0, color="#262626", linewidth=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _fmt_axis(v)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(y=0.06)
    ax.set_xlabel(f"Szenario „{scenario}“", fontsize=9, fontweight="bold")


def _by_size_chart(ctx: ReportContext, frame: pd.DataFrame, scenarios: Scenarios, base: int) -> str:
    """Stacked bars of yearly new construction by size class, one panel per scenario."""
    shown = scenarios.compared
    fig, axes = _panels(len(shown), "Neubaubedarf je Jahr nach Wohnungsgröße")
    for ax, scenario in zip(axes, shown, strict=True):
        yearly = _yearly(frame, scenario, base)
        bottom = np.zeros(len(yearly))
        for size in SIZE_CLASSES:
            values = yearly[size].to_numpy(dtype=float)
            ax.bar(
                yearly.index.to_numpy(dtype=int),
                values,
                bottom=bottom,
                width=0.8,
                color=SIZE_COLOURS[size],
                label=SIZE_CLASS_LABELS[size],
            )
            bottom += values
        _style_axis(ax, scenario)
    axes[0].set_ylabel("Wohnungen je Jahr", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False, fontsize=8)
    caption = (
        "Neubaubedarf der Region je Jahr nach Wohnungsgröße (Räume einschließlich Küche), "
        "Summe der Gemeinden"
    )
    if len(shown) > 1:
        caption += f", Szenarien {_quoted(shown)} mit gleicher Achse."
    else:
        caption += f" (Szenario „{shown[0]}“)."
    return ctx.figure(fig, alt="Neubaubedarf je Jahr nach Wohnungsgröße", caption=caption)


def _components_chart(
    ctx: ReportContext, frame: pd.DataFrame, scenarios: Scenarios, base: int
) -> str:
    """Components of the demand per year (region sums), the balance as a line."""
    shown = scenarios.compared
    fig, axes = _panels(len(shown), "Bestandteile des Wohnungsbedarfs je Jahr")
    for ax, scenario in zip(axes, shown, strict=True):
        rows = frame[(frame["scenario"] == scenario) & (frame["year"] > base)]
        sums = rows.groupby("year")[[*COMPONENT_STYLE, "total"]].sum()
        years = sums.index.to_numpy(dtype=int)
        up, down = np.zeros(len(sums)), np.zeros(len(sums))
        for column, (label, colour, sign) in COMPONENT_STYLE.items():
            values = sign * sums[column].to_numpy(dtype=float)
            positive, negative = np.clip(values, 0, None), np.clip(values, None, 0)
            ax.bar(years, positive, bottom=up, width=0.8, color=colour, label=label)
            ax.bar(years, negative, bottom=down, width=0.8, color=colour)
            up, down = up + positive, down + negative
        ax.plot(
            years,
            sums["total"],
            color="black",
            linewidth=1.6,
            marker="o",
            markersize=2.5,
            label="Saldo der Komponenten",
        )
        _style_axis(ax, scenario)
    axes[0].set_ylabel("Wohnungen je Jahr", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    handles, labels = handles[1:] + handles[:1], labels[1:] + labels[:1]  # the line last
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    caption = (
        "Bestandteile des Bedarfs je Jahr, Summe der Region: Zusatzbedarf (mehr oder weniger "
        "benötigte Wohnungen), Ersatzbedarf für wegfallende Wohnungen, Nachholbedarf aus dem "
        "Basisjahr; der wieder genutzte Leerstand wird abgezogen (unter der Nulllinie). Die "
        "Linie ist der Saldo. Der Neubaubedarf oben ist höher, weil Überhänge einzelner "
        "Gemeinden und Wohnungsgrößen dort nicht gegengerechnet werden."
    )
    return ctx.figure(fig, alt="Bestandteile des Wohnungsbedarfs je Jahr", caption=caption)


def _periods(base: int, horizon: int) -> list[tuple[int, int]]:
    """Periods of :data:`PERIOD_YEARS` years from the year after ``base``; the last may be
    shorter."""
    starts = range(base + 1, horizon + 1, PERIOD_YEARS)
    return [(s, min(s + PERIOD_YEARS - 1, horizon)) for s in starts]


def _period_tables(frame: pd.DataFrame, scenarios: Scenarios, base: int) -> str:
    """One table per scenario: size classes × periods, with the total over all years."""
    horizon = int(frame["year"].max())
    periods = _periods(base, horizon)
    columns = [
        Column("Wohnungsgröße"),
        *(Column(_span(a, b), numeric=True) for a, b in periods),
        Column(f"zusammen {_span(base + 1, horizon)}", numeric=True),
    ]
    parts = []
    for scenario in scenarios.names:
        yearly = _yearly(frame, scenario, base)

        def cells(values: pd.Series) -> list[str]:
            sums = [values[(values.index >= a) & (values.index <= b)].sum() for a, b in periods]
            return [*(fmt_int(s) for s in sums), fmt_int(values.sum())]

        rows = [[SIZE_CLASS_LABELS[s], *cells(yearly[s])] for s in SIZE_CLASSES]
        if len(scenarios.names) > 1:
            parts.append(f"<h4>Szenario „{esc(scenario)}“</h4>")
        parts.append(data_table(columns, rows, footer=["Insgesamt", *cells(yearly.sum(axis=1))]))
    parts.append(
        _remark(
            "Neu zu bauende Wohnungen je Zeitraum, Summe der Gemeinden; Wohnungsgröße nach "
            "Räumen einschließlich Küche."
        )
    )
    return "\n".join(parts)


def _signed(value: float) -> str:
    text = fmt_int(value)
    return f"+{text}" if round(value) > 0 else text.replace("-", "−")


def _gap_table(frame: pd.DataFrame, scenarios: Scenarios, horizon: int) -> str:
    """Required dwellings vs. the existing stock net of losses in the horizon year."""
    rows_h = frame[frame["year"] == horizon]
    stock = rows_h[rows_h["scenario"] == scenarios.reference].groupby("size_class")["stock"].sum()
    columns = [Column("Wohnungsgröße"), Column("Bestand ohne Neubau", numeric=True)]
    for scenario in scenarios.names:
        suffix = f" „{scenario}“" if len(scenarios.names) > 1 else ""
        columns += [
            Column(f"benötigt{suffix}", numeric=True),
            Column(f"Lücke{suffix}", numeric=True),
        ]
    sums = {
        s: rows_h[rows_h["scenario"] == s].groupby("size_class")[["required", "gap"]].sum()
        for s in scenarios.names
    }

    def cells(keys: list[str]) -> list[str]:
        out = [fmt_int(stock.reindex(keys).sum())]
        for scenario in scenarios.names:
            values = sums[scenario].reindex(keys).sum()
            out += [fmt_int(values["required"]), _signed(values["gap"])]
        return out

    rows = [[SIZE_CLASS_LABELS[s], *cells([s])] for s in SIZE_CLASSES]
    table = data_table(columns, rows, footer=["Insgesamt", *cells(list(SIZE_CLASSES))])
    main = rows_h[rows_h["scenario"] == scenarios.main]
    local = main.loc[main["gap"] > 0, "gap"].sum()
    places = main.loc[main["gap"] > 0, "ags"].nunique()
    remark = (
        f"Stand 31.12.{horizon}. Bestand ohne Neubau: heutiger Bestand abzüglich der "
        f"angenommenen Abgänge. Benötigt: Wohnungen für alle Haushalte samt "
        f"Fluktuationsreserve. Lücke = benötigt − Bestand ohne Neubau; positiv: so viele "
        f"Wohnungen fehlen, wenn nichts gebaut wird, negativ: Überhang. Die Summe der Region "
        f"verrechnet Überhänge und Mängel der Gemeinden; ohne diese Verrechnung fehlen im "
        f"Szenario „{scenarios.main}“ in {fmt_int(places)} Gemeinden zusammen "
        f"{fmt_int(local)} Wohnungen (Summe der positiven Lücken je Gemeinde und Größe)."
    )
    return table + _remark(remark)


def _inhabitants(ctx: ReportContext, scenario: str, base: int) -> tuple[pd.Series | None, str]:
    """Inhabitants per AGS in the base year (projection, else population) and the table used."""
    for name in ("projection", "population"):
        if not ctx.has(name):
            continue
        table = ctx.table(name)
        rows = table[table["year"] == base]
        if name == "projection":
            rows = rows[rows["scenario"] == scenario]
        if not rows.empty:
            return rows.groupby("ags")["persons"].sum().astype(float), name
    return None, ""


def _map_breaks(values: pd.Series, scales: Sequence[tuple[float, ...]]) -> list[float]:
    """Class limits: the first scale whose top limit reaches the upper quartile of ``values``."""
    finite = values[np.isfinite(values)]
    q75 = float(finite.quantile(0.75)) if not finite.empty else 0.0
    return list(next((s for s in scales if s[-1] >= q75), scales[-1]))


def _fmt_limit(value: float) -> str:
    return fmt_int(value) if float(value).is_integer() else fmt_float(value)


def _map(
    ctx: ReportContext, frame: pd.DataFrame, scenarios: Scenarios, base: int, horizon: int
) -> str:
    """Cumulative new construction per 1.000 inhabitants (or per 100 dwellings) per
    municipality, main scenario."""
    if not (frame["ags"].str.len() == 8).any():
        return ctx.note(
            "Der Wohnungsbedarf liegt nur für Kreise vor; die Karte der Gemeinden entfällt."
        )
    if not ctx.has("municipalities"):
        return ctx.note("Ohne Gemeindegrenzen (Tabelle municipalities) entfällt die Karte.")
    municipalities = ctx.table("municipalities")
    if (
        not isinstance(municipalities, gpd.GeoDataFrame)
        or "geometry" not in municipalities
        or municipalities.geometry.is_empty.all()
    ):
        return ctx.note(
            "Die Tabelle municipalities enthält keine Gemeindegrenzen; die Karte entfällt."
        )
    municipalities = municipalities.sort_values("ags")
    main = scenarios.main
    rows = frame[frame["scenario"] == main]
    new = rows.groupby("ags")["new"].sum()
    if not new.index.isin(municipalities["ags"]).any():
        return ctx.note(
            "Keine Gemeinde des Wohnungsbedarfs hat eine Grenze in der Tabelle municipalities; "
            "die Karte entfällt."
        )
    inhabitants, source = _inhabitants(ctx, main, base)
    if inhabitants is not None:
        values = new / inhabitants.reindex(new.index) * 1000
        unit, per = "Wohnungen je 1.000 Einwohner", f"je 1.000 Einwohner am 31.12.{base}"
    else:
        stock = rows[rows["year"] == base].groupby("ags")["stock"].sum()
        values = new / stock.reindex(new.index) * 100
        unit, per = "Wohnungen je 100 Wohnungen", f"je 100 Wohnungen des Bestands {base}"
    values = values.replace([np.inf, -np.inf], np.nan)
    aligned = values.reindex(municipalities["ags"].to_numpy()).set_axis(municipalities.index)
    aligned = aligned.astype(float)
    breaks = _map_breaks(aligned, MAP_SCALES if inhabitants is not None else MAP_SCALES_STOCK)
    shades = colormaps["YlOrRd"](np.linspace(0.05, 0.85, len(breaks) + 1))
    palette = [colors.to_hex(c) for c in shades]
    labels = figures.class_labels(breaks, aligned, fmt=_fmt_limit)
    fig = figures.filled_map(
        municipalities,
        face=figures.classed_faces(aligned, breaks, palette),
        legend=figures.class_legend(palette, labels, missing=bool(aligned.isna().any())),
        legend_title=unit,
        title=f"Neubaubedarf {_span(base + 1, horizon)}",
    )
    caption = (
        f"Neubaubedarf {_span(base + 1, horizon)} {per} je Gemeinde (Szenario „{main}“), "
        f"feste Klassen. In Gemeinden der untersten Klasse lässt sich der Bedarf "
        f"rechnerisch fast ganz aus dem Bestand und aktiviertem Leerstand decken."
    )
    if inhabitants is not None and source == "population":
        caption += " Einwohner aus der Tabelle population."
    parts = [ctx.figure(fig, alt=f"Karte: Neubaubedarf {per}", caption=caption)]
    missing = int(aligned.isna().sum())
    if missing:
        parts.insert(0, ctx.note(f"Für {missing} Gemeinden der Region fehlt der Wohnungsbedarf."))
    return "\n".join(parts)


def _fmt_parameter(name: str, value: float) -> str:
    """A parameter value as shown: years as number, everything else as percentage."""
    if name == "catch_up_years":
        return f"{fmt_int(value)} Jahre"
    digits = 1 if round(value * 100, 1) == round(value * 100, 3) else 2
    text = fmt_percent(value, digits)
    return f"{text} je Jahr" if name == "replacement_rate" else text


def _sensitivity(meta: dict[str, Any], scenarios: Scenarios, base: int) -> str:
    """Per compared scenario: the low and high value of each banded parameter and the demand."""
    records = meta.get("sensitivity") or {}
    shown = [s for s in scenarios.compared if records.get(s)]
    if not shown:
        return _remark("Für diese Rechnung sind keine Sensitivitätsläufe gespeichert.")
    horizon_note = "kumulierter Neubaubedarf"
    columns = [
        Column("Parameter"),
        Column("niedrig", numeric=True),
        Column("Ansatz", numeric=True),
        Column("hoch", numeric=True),
        Column(f"{horizon_note} bei niedrig", numeric=True),
        Column("beim Ansatz", numeric=True),
        Column("bei hoch", numeric=True),
    ]
    parts = [
        "<p>Wie stark das Ergebnis an einzelnen Annahmen hängt: Jeder Parameter wird allein auf "
        "einen niedrigen und einen hohen Wert gesetzt, alle anderen bleiben beim Ansatz.</p>"
    ]
    for scenario in shown:
        rows = [
            [
                str(r.get("label") or PARAMETER_LABELS.get(r["parameter"], r["parameter"])),
                _fmt_parameter(r["parameter"], float(r["low"])),
                _fmt_parameter(r["parameter"], float(r["value"])),
                _fmt_parameter(r["parameter"], float(r["high"])),
                fmt_int(float(r["demand_low"])),
                fmt_int(float(r["demand"])),
                fmt_int(float(r["demand_high"])),
            ]
            for r in records[scenario]
        ]
        if len(scenarios.names) > 1:
            parts.append(f"<h4>Szenario „{esc(scenario)}“</h4>")
        parts.append(data_table(columns, rows))
    parts.append(
        _remark(
            f"Neubaubedarf: Summe der Jahre nach dem Basisjahr {base} bis zum Horizont, alle "
            f"Gemeinden und Wohnungsgrößen."
        )
    )
    return "\n".join(parts)


def _assumptions(ctx: ReportContext, meta: dict[str, Any], frame: pd.DataFrame, base: int) -> str:
    """The box "Modellannahmen": parameters, sources of the profiles, what is held constant;
    the notes of the run, and its warnings as report notes."""
    parameters = meta.get("parameters") or {}
    parts = []
    if parameters:
        rows = [
            [
                PARAMETER_LABELS.get(name, name),
                _fmt_parameter(name, float(parameters[name])),
                PARAMETER_MEANING.get(name, ""),
            ]
            for name in PARAMETER_ORDER
            if name in parameters
        ]
        columns = [Column("Parameter"), Column("Wert", numeric=True), Column("Bedeutung")]
        parts.append(data_table(columns, rows))
    else:
        parts.append(
            "<p>Die Parameter der Rechnung sind in der Herkunftsangabe der Tabelle nicht "
            "gespeichert.</p>"
        )
    stock_year = meta.get("stock_year")
    stock = (
        f"Wohnungsbestand nach Räumen vom Stand {stock_year}"
        if stock_year is not None
        else "Wohnungsbestand nach Räumen"
    )
    assumptions = [
        "Haushalte: aus der Bevölkerungsvorausberechnung mit Haushaltsquoten nach Alter und "
        f"Geschlecht; {_calibration_text(meta, base)} Die Quoten bleiben danach konstant; die "
        "Zahl der Haushalte ändert sich also nur mit Zahl und Alter der Einwohner.",
        f"Belegung: welche Haushalte in welchen Wohnungsgrößen wohnen, ist je Gemeinde an den "
        f"bewohnten Bestand des Basisjahres angepasst ({stock}) und wird konstant gehalten; "
        f"kleinere Wohnungen werden nur so weit stärker gefragt, wie Haushalte kleiner und "
        f"älter werden.",
        "Zuziehende eines Arbeitgebers: ihre Haushalte werden mit einem eigenen Profil gezählt "
        "(Alleinstehende, Paare, Familien; Beschäftigte mit Zweitwohnung als "
        "Einpersonenhaushalt) und fragen zunächst kleinere Wohnungen nach. Sie bleiben vom "
        "Zuzugsjahr bis zum Horizont (kein Wegzug, keine Auflösung von Haushalten).",
        "Neubaubedarf = Zusatzbedarf + Ersatzbedarf + Nachholbedarf − aktivierter Leerstand, "
        "je Gemeinde, Wohnungsgröße und Jahr; ein negativer Saldo ist ein Überhang und wird "
        "nicht als Neubau gezählt.",
    ]
    parts.append("<ul>" + "".join(f"<li>{esc(a)}</li>" for a in assumptions) + "</ul>")
    parts.append(_loss_check(parameters))
    sources = housing_defaults().sources
    source_rows = [[label, sources.get(key, "–")] for key, label in SOURCE_LABELS.items()]
    parts.append(
        "<p>Standardprofile von regiowerk (Datei <code>housing/defaults.toml</code>) und ihre "
        "Herkunft:</p>"
    )
    parts.append(data_table([Column("Annahme"), Column("Quelle bzw. Begründung")], source_rows))
    notes = [str(n) for n in meta.get("notes") or []]
    if notes:
        items = "".join(f"<li>{esc(n)}</li>" for n in notes)
        parts.append(f"<p>Hinweise zur Rechnung:</p><ul>{items}</ul>")
    box = f'<div class="modellannahmen" style="{_BOX_STYLE}">{"".join(parts)}</div>'
    warnings = [str(w) for w in meta.get("warnings") or []]
    if len(warnings) > MAX_SINGLE_WARNINGS:
        warnings = [f"{len(warnings)} Warnungen der Wohnungsbedarfsrechnung: " + " ".join(warnings)]
    return box + "".join(ctx.note(w) for w in warnings)


def _loss_check(parameters: dict[str, Any]) -> str:
    """What the real stock and completion series say about the replacement rate."""
    periods = measured_losses()
    if not periods:
        return ""
    rate = float(parameters.get("replacement_rate", DEFAULT_LOSS_RATE))
    lines = [
        f"{p['start']}–{p['end']}: netto {fmt_percent(float(p['pooled_rate']), 3)} je Jahr "
        f"({fmt_int(int(p['kreise']))} Kreise); Rückrechnung des Bestands mit den "
        f"Fertigstellungen: "
        f"Abweichung {fmt_percent(float(p['mape_zero']) / 100, 2)} ohne Abgänge, "
        f"{fmt_percent(float(p['mape_default']) / 100, 2)} mit "
        f"{fmt_percent(DEFAULT_LOSS_RATE, 1)} je Jahr"
        for p in periods
    ]
    return (
        f"<p>Geprüft an echten Daten: Der Ersatzbedarf von {fmt_percent(rate, 1)} des "
        f"Bestands je Jahr ist eine Annahme für Abriss, Zusammenlegung und Umnutzung. Aus "
        f"Bestand (Regionalstatistik 31231) und Fertigstellungen in neuen Wohngebäuden (31121) "
        f"je Kreis folgt ein <em>Netto</em>-Abgang nahe null, weil Umbauten und Wohnungen in "
        f"Nichtwohngebäuden den Bestand ohne Fertigstellung erhöhen:</p><ul>"
        + "".join(f"<li>{esc(line)}</li>" for line in lines)
        + "</ul><p>Wer nur Neubau in neuen Gebäuden plant, sollte die Rate daher eher "
        "niedriger ansetzen (Spannweite in der Empfindlichkeitstabelle).</p>"
    )


def _calibration_text(meta: dict[str, Any], base: int) -> str:
    """How the household rates were fitted, from the run's calibration sources."""
    sources: dict[str, int] = meta.get("calibration") or {}
    observed = {k: v for k, v in sources.items() if not k.startswith("Standardwerte")}
    fallback = sum(v for k, v in sources.items() if k.startswith("Standardwerte"))
    parts = []
    for label, count in observed.items():
        parts.append(
            f"für {fmt_int(count)} Gemeinden an die beobachteten {label} nach Größe angepasst "
            f"(auf die Bevölkerung {base} bezogen)"
        )
    if fallback:
        parts.append(
            f"für {fmt_int(fallback)} Gemeinden ohne Haushaltstabelle mit den Standardwerten "
            f"ihres Landes (Zensus 2011) gerechnet, nicht örtlich angepasst"
        )
    if not parts:
        return "die Quoten sind an die Haushalte nach Größe im Basisjahr angepasst."
    return "die Quoten sind " + "; ".join(parts) + "."
