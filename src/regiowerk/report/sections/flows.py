"""Section "Pendlerverflechtungen": commuting balance, desire lines, self-containment and
functional regions.

Reads ``commuting`` (required; the latest year; the warnings saved in its provenance by
:func:`regiowerk.flows.run.save_flows` for that year are shown as report notes), ``commuters``
(for the desire lines of the strongest flows, optional), ``functional_regions`` and
``functional_region_quality`` (optional; the modularity of each method comes from the
provenance notes written by :func:`regiowerk.flows.run.save_flows`), and the polygons of
``municipalities`` (8-digit keys) or ``kreise`` (5-digit keys) for the maps. Without polygons
the section shows the tables only.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from regiowerk.ags import LAENDER
from regiowerk.flows.ttwa import RESERVE
from regiowerk.formatting import fmt_float, fmt_int, fmt_percent
from regiowerk.report import figures
from regiowerk.report.html import Column, data_table, esc, key_figures
from regiowerk.report.registry import ReportContext, register_section

DESIRE_LINES = 40
"""Number of strongest flows drawn as desire lines."""
TABLE_ROWS = 25
"""Areas listed in the commuting table (by jobs); all when there are not more."""
METHOD_LABELS = {
    "ttwa": "Arbeitsmarktregionen (Coombes–Bond)",
    "ttwa-ons": "Arbeitsmarktregionen (ONS-Parameter)",
    "leiden": "Leiden-Communities (Vergleich)",
    "louvain": "Louvain-Communities (Vergleich)",
}
CROSSING_COLOUR = "#c0162e"
LINE_COLOUR = "#2d5b8c"


@register_section(
    "pendlerverflechtungen", "Pendlerverflechtungen", order=50, requires=("commuting",)
)
def render(ctx: ReportContext) -> str | None:
    """Key figures, desire lines, commuting table, self-containment map, functional regions."""
    table = ctx.table("commuting")
    if table.empty:
        ctx.skip("Die Tabelle „Pendlerbilanz“ (commuting) enthält keine Zeilen.")
        return None
    year = int(table["year"].max())
    frame = table[table["year"] == year].reset_index(drop=True)
    areas = _areas(ctx, frame)
    names = _names(ctx, frame)
    parts = [_intro(frame, year, areas is not None)]
    parts += [ctx.note(text) for text in _saved_warnings(ctx, year)]
    if areas is not None and ctx.has("commuters"):
        parts += ["<h3>Stärkste Pendlerströme</h3>", _desire_lines(ctx, areas, year)]
    parts += ["<h3>Ein- und Auspendler</h3>", _balance_table(frame, names)]
    if areas is not None:
        parts += ["<h3>Eigenversorgung</h3>", _self_containment(ctx, areas, frame)]
    if ctx.has("functional_regions") and ctx.has("functional_region_quality"):
        parts += ["<h3>Funktionale Regionen</h3>", _regions(ctx, areas, names)]
    return "\n".join(parts)


def _saved_warnings(ctx: ReportContext, year: int) -> list[str]:
    """The warnings of the run that computed ``commuting`` for ``year`` (unread commuter rows,
    suppressed cells per area, areas without jobs, residents or internal flow), as saved by
    :func:`regiowerk.flows.run.save_flows`; none when the saved run is of another year."""
    meta = ctx.provenance_meta("commuting")
    if meta.get("year") != year or not isinstance(meta.get("warnings"), list):
        return []
    return [str(w) for w in meta["warnings"] if w]


def _areas(ctx: ReportContext, frame: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """Polygons of the areas of ``commuting`` with ``name, kreis, land, centrality``, indexed
    by key; None when the workspace has none."""
    municipal = bool((frame["region"].str.len() == 8).any())
    if municipal and ctx.has("municipalities"):
        areas = ctx.table("municipalities").set_index("ags", drop=False)
    elif not municipal and ctx.has("kreise"):
        areas = ctx.table("kreise").copy()
        areas["centrality"] = None
        areas = areas.set_index("kreis", drop=False)
    else:
        return None
    areas = areas[areas.index.isin(set(frame["region"]))]
    return areas if not areas.empty else None


def _names(ctx: ReportContext, frame: pd.DataFrame) -> dict[str, str]:
    names = dict(ctx.kreis_names)
    if ctx.has("municipalities"):
        m = ctx.table("municipalities")
        names.update(zip(m["ags"], m["name"], strict=True))
    return {k: names.get(k, k) for k in frame["region"]} | {
        k: v for k, v in names.items() if k not in set(frame["region"])
    }


def _intro(frame: pd.DataFrame, year: int, maps: bool) -> str:
    residents, jobs = frame["residents"].sum(), frame["jobs"].sum()
    out_c, in_c = frame["out_commuters"].sum(), frame["in_commuters"].sum()
    crossing = (frame["cross_land"] * (frame["in_commuters"] + frame["out_commuters"])).sum()
    level = "Gemeinden" if (frame["region"].str.len() == 8).any() else "Kreise"
    text = (
        f"Sozialversicherungspflichtig Beschäftigte am 30.06.{year} nach Wohn- und Arbeitsort "
        f"für {fmt_int(len(frame))} {level}. Auspendler arbeiten außerhalb ihres Wohnorts, "
        f"Einpendler wohnen außerhalb ihres Arbeitsorts; die Eigenversorgung (Wohnort) ist der "
        f"Anteil der Beschäftigten, die am Wohnort arbeiten, die Eigenversorgung (Arbeitsort) "
        f"der Anteil der Arbeitsplätze, die mit Einwohnern besetzt sind."
    )
    if not maps:
        text += " Ohne Gebietsgrenzen im Arbeitsbereich entfallen die Karten."
    figures_html = key_figures(
        [
            ("Wohnortbeschäftigte", fmt_int(residents)),
            ("Arbeitsplätze", fmt_int(jobs)),
            (
                "Auspendler",
                f"{fmt_int(out_c)} ({fmt_percent(out_c / residents if residents else np.nan)})",
            ),
            ("Einpendler", fmt_int(in_c)),
            (
                "Pendler über Landesgrenzen",
                fmt_percent(crossing / (in_c + out_c) if in_c + out_c else np.nan),
            ),
        ]
    )
    return f"<p>{esc(text)}</p>{figures_html}"


def _base_map(
    areas: gpd.GeoDataFrame, face: str | list[str], legend: Any, title: str, legend_title: str
) -> Figure:
    return figures.filled_map(
        areas.reset_index(drop=True),
        face=face,
        legend=legend,
        legend_title=legend_title,
        title=title,
    )


def _desire_lines(ctx: ReportContext, areas: gpd.GeoDataFrame, year: int) -> str:
    """The strongest flows between two areas as lines whose width grows with the persons."""
    flows = ctx.table("commuters")
    flows = flows[
        (flows["year"] == year)
        & ~flows["remainder"]
        & (flows["origin"] != flows["dest"])
        & flows["origin"].isin(areas.index)
        & flows["dest"].isin(areas.index)
        & flows["persons"].notna()
    ]
    if flows.empty:
        return ctx.note(f"Keine Pendlerströme zwischen den Gebieten im Jahr {year}.")
    top = flows.nlargest(DESIRE_LINES, "persons", keep="first")
    points = areas.representative_point()
    start = np.column_stack([points.loc[top["origin"]].x, points.loc[top["origin"]].y])
    end = np.column_stack([points.loc[top["dest"]].x, points.loc[top["dest"]].y])
    biggest = float(top["persons"].max())
    widths = 0.6 + 5.4 * top["persons"].to_numpy() / biggest
    fig = _base_map(areas, "#f2f2f2", None, f"Die {len(top)} stärksten Pendlerströme {year}", "")
    ax = fig.axes[0]
    lines = LineCollection(
        list(zip(start, end, strict=True)),
        linewidths=widths,
        colors=LINE_COLOUR,
        alpha=0.7,
        capstyle="round",
        zorder=3,
    )
    ax.add_collection(lines)
    samples = sorted({_round_persons(biggest * f) for f in (1.0, 0.5, 0.1)}, reverse=True)
    handles: list[Artist] = [
        Line2D([], [], color=LINE_COLOUR, linewidth=0.6 + 5.4 * s / biggest) for s in samples
    ]
    fig.legend(
        handles,
        [f"{fmt_int(s)} Personen" for s in samples],
        title="Pendlerstrom",
        loc="outside right upper",
        frameon=False,
        fontsize=8,
        title_fontsize=8.5,
    )
    share = top["persons"].sum() / flows["persons"].sum()
    caption = (
        f"Die {len(top)} stärksten Ströme zwischen zwei Gebieten (Wohnort → Arbeitsort, Linie "
        f"von Mittelpunkt zu Mittelpunkt, Breite nach Personen); sie umfassen "
        f"{fmt_percent(share)} aller Pendler zwischen den Gebieten."
    )
    return ctx.figure(fig, alt="Karte der stärksten Pendlerströme", caption=caption)


def _round_persons(value: float) -> float:
    return float(figures._nice_round(value)) if value > 0 else 0.0


def _balance_table(frame: pd.DataFrame, names: dict[str, str]) -> str:
    rows = frame.sort_values("jobs", ascending=False, kind="stable")
    shown = rows.head(TABLE_ROWS)
    columns = [
        Column("Gebiet"),
        Column("Wohnort­beschäftigte", True),
        Column("Arbeits­plätze", True),
        Column("Einpendler", True),
        Column("Auspendler", True),
        Column("Saldo", True),
        Column("Eigen­versorgung Wohnort", True),
        Column("Eigen­versorgung Arbeitsort", True),
        Column("über Landes­grenzen", True),
        Column("Hauptziel"),
    ]
    body = [
        [
            names.get(r.region, r.region),
            fmt_int(r.residents),
            fmt_int(r.jobs),
            fmt_int(r.in_commuters),
            fmt_int(r.out_commuters),
            _signed(r.balance),
            fmt_percent(r.sc_supply),
            fmt_percent(r.sc_demand),
            fmt_percent(r.cross_land),
            names.get(r.main_destination, r.main_destination)
            if isinstance(r.main_destination, str)
            else "–",
        ]
        for r in _records(shown)
    ]
    html = data_table(columns, body)
    if len(rows) > len(shown):
        html += (
            f"<p>Gezeigt sind die {len(shown)} Gebiete mit den meisten Arbeitsplätzen von "
            f"{fmt_int(len(rows))}.</p>"
        )
    return html


def _records(frame: pd.DataFrame) -> list[Any]:
    """Rows as namespaces (attribute access, untyped values)."""
    return list(frame.itertuples(index=False))


def _signed(value: float) -> str:
    text = fmt_int(value)
    return f"+{text}" if round(value) > 0 else text


def _self_containment(ctx: ReportContext, areas: gpd.GeoDataFrame, frame: pd.DataFrame) -> str:
    values = frame.set_index("region")["sc_supply"].reindex(areas.index) * 100
    fig = figures.municipality_map(
        areas.reset_index(drop=True),
        values=values.reset_index(drop=True),
        legend_title="Eigenversorgung (%)",
        title="Eigenversorgung am Wohnort",
    )
    caption = (
        "Eigenversorgung am Wohnort: Binnenpendler je Wohnortbeschäftigte in Prozent. Hohe "
        "Werte zeigen eigenständige Arbeitsorte, niedrige Wohnorte im Einzugsbereich anderer."
    )
    return ctx.figure(fig, alt="Karte der Eigenversorgung", caption=caption)


def _modularity(ctx: ReportContext) -> dict[str, float]:
    try:
        methods = ctx.provenance_meta("functional_regions").get("methods", {})
        return {str(k): float(v.get("modularity")) for k, v in methods.items()}
    except (TypeError, AttributeError, ValueError):
        return {}


def _regions(ctx: ReportContext, areas: gpd.GeoDataFrame | None, names: dict[str, str]) -> str:
    regions = ctx.table("functional_regions")
    quality = ctx.table("functional_region_quality")
    methods = [m for m in METHOD_LABELS if m in set(regions["method"])]
    methods += sorted(set(regions["method"]) - set(methods))
    if not methods:
        return ctx.note("Die Tabelle der funktionalen Regionen ist leer.")
    main = methods[0]
    modularity = _modularity(ctx)
    parts = [
        "<p>"
        + esc(
            "Arbeitsmarktregionen fassen Gebiete so zusammen, dass die meisten Beschäftigten in "
            "ihrer Region wohnen und arbeiten (Verfahren von Coombes und Bond, wie bei den "
            "Travel-to-Work Areas des britischen Statistikamts ONS und den Sistemi locali del "
            "lavoro von Istat). Eine Region gilt als gültig, wenn ihre Eigenversorgung am Wohn- "
            "und am Arbeitsort die für ihre Größe verlangte Schwelle erreicht. Zum Vergleich "
            "teilt ein Verfahren der Netzwerkanalyse (Community-Erkennung) die Gebiete nach "
            "Modularität ein; es achtet nicht auf Mindestgrößen und Schwellen."
        )
        + "</p>"
    ]
    summary = []
    for method in methods:
        rows = quality[(quality["method"] == method) & (quality["region_id"] != RESERVE)]
        reserve = quality[(quality["method"] == method) & (quality["region_id"] == RESERVE)]
        sc = rows[["sc_supply", "sc_demand"]].min(axis=1)
        summary.append(
            [
                METHOD_LABELS.get(method, method),
                fmt_int(len(rows)),
                fmt_int(int(rows["meets"].sum())),
                fmt_int(int(rows["lands"].str.contains(";").sum())),
                fmt_percent(float(sc.median())) if len(sc) else "–",
                f"{fmt_int(rows['residents'].min())} – {fmt_int(rows['residents'].max())}"
                if len(rows)
                else "–",
                fmt_float(modularity[method], 3) if method in modularity else "–",
                fmt_int(int(reserve["members"].sum())) if len(reserve) else "0",
            ]
        )
    parts.append(
        data_table(
            [
                Column("Verfahren"),
                Column("Regionen", True),
                Column("erfüllen beide Schwellen", True),
                Column("über Landesgrenzen", True),
                Column("Eigenversorgung (Median, kleinere Seite)", True),
                Column("Beschäftigte je Region", True),
                Column("Modularität", True),
                Column("nicht zugeordnet", True),
            ],
            summary,
        )
    )
    if areas is not None:
        parts.append(_region_map(ctx, areas, regions[regions["method"] == main], quality, main))
    rows = quality[quality["method"] == main].sort_values("residents", ascending=False)
    body = [
        [
            names.get(r.region_id, r.region_id) if r.region_id != RESERVE else "nicht zugeordnet",
            fmt_int(r.members),
            fmt_int(r.residents),
            fmt_int(r.jobs),
            fmt_percent(r.sc_supply),
            fmt_percent(r.sc_demand),
            "ja" if r.meets else "nein",
            ", ".join(
                LAENDER[c].abbreviation if c in LAENDER else c for c in str(r.lands).split(";")
            ),
        ]
        for r in _records(rows)
    ]
    parts.append(
        f"<p>{esc(METHOD_LABELS.get(main, main))}: Güte jeder Region (benannt nach dem Gebiet "
        f"mit den meisten Arbeitsplätzen).</p>"
    )
    parts.append(
        data_table(
            [
                Column("Region"),
                Column("Gebiete", True),
                Column("Wohnort­beschäftigte", True),
                Column("Arbeits­plätze", True),
                Column("Eigen­versorgung Wohnort", True),
                Column("Eigen­versorgung Arbeitsort", True),
                Column("gültig"),
                Column("Länder"),
            ],
            body,
        )
    )
    return "\n".join(parts)


def _region_map(
    ctx: ReportContext,
    areas: gpd.GeoDataFrame,
    regions: pd.DataFrame,
    quality: pd.DataFrame,
    method: str,
) -> str:
    assigned = regions.set_index("region")["region_id"].reindex(areas.index)
    ids = sorted(i for i in assigned.dropna().unique() if i != RESERVE)
    palette = [colors.to_hex(c) for c in colormaps["tab20"](np.linspace(0, 1, 20))]
    colour = {rid: palette[i % len(palette)] for i, rid in enumerate(ids)}
    face = [
        colour.get(r, figures.NO_DATA) if isinstance(r, str) else figures.NO_DATA for r in assigned
    ]
    fig = _base_map(areas, face, None, "Funktionale Regionen", "")
    ax = fig.axes[0]
    shapes = areas.assign(region_id=assigned.to_numpy()).dropna(subset=["region_id"])
    outlines = shapes.dissolve(by="region_id")
    outlines.boundary.plot(ax=ax, color="#333333", linewidth=1.2, zorder=3)
    lands = quality[quality["method"] == method].set_index("region_id")["lands"]
    crossing = [r for r in outlines.index if r != RESERVE and ";" in str(lands.get(r, ""))]
    if crossing:
        outlines.loc[crossing].boundary.plot(
            ax=ax, color=CROSSING_COLOUR, linewidth=2.4, linestyle="--", zorder=4
        )
        fig.legend(
            [Line2D([], [], color=CROSSING_COLOUR, linewidth=2.4, linestyle="--")],
            ["Region über Landesgrenzen"],
            loc="outside right upper",
            frameon=False,
            fontsize=8,
        )
    caption = (
        f"{len(ids)} funktionale Regionen ({METHOD_LABELS.get(method, method)}), je Region eine "
        f"Farbe; Landesgrenzen schwarz, Regionen über Landesgrenzen rot gestrichelt umrandet"
        + (" (grau: nicht zugeordnet)" if (assigned == RESERVE).any() else "")
        + "."
    )
    return ctx.figure(fig, alt="Karte der funktionalen Regionen", caption=caption)
