"""Section "Erreichbarkeit": travel times to services, standards, closure test and GP supply.

Reads ``access`` (one row per origin, service and mode: ``minutes`` to the nearest and
``second_minutes`` to the second-nearest destination, ``persons``, ``women_15_49``,
``supply_ratio``), ``access_summary`` (recomputed with
:func:`regiowerk.access.indicators.summary` when absent), the polygons of ``grid`` (origins are
grid cells when their ids are cell ids) or of ``municipalities`` (origins are municipalities),
the sites of each service (:func:`regiowerk.access.run.destinations`, from ``facilities`` or the
central places) and the provenance of ``access``: a JSON document
``{"service/mode": {"notes": [...], "warnings": [...]}}`` written by
:func:`regiowerk.access.run.save_access`.

Standards and services are those saved with the computation (``_catalogue`` in the provenance,
including a user's ``--standards`` file), else the shipped catalogue;
compliance and the G-BA closure test are computed with :mod:`regiowerk.access.indicators`.
Means are weighted by inhabitants over the origins with a route; origins without a route count
as beyond every limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup
from matplotlib import colormaps, colors
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path

from regiowerk.access import indicators, standards
from regiowerk.access.network import BIKE_KMH, MODE_LABELS, MODES, WALK_KMH
from regiowerk.access.run import E2SFCA_STEPS, AccessError, destinations
from regiowerk.access.snap import MAX_SNAP_M
from regiowerk.access.standards import Catalogue, Standard
from regiowerk.ags import LAENDER
from regiowerk.formatting import fmt_float, fmt_int, fmt_percent
from regiowerk.report import figures
from regiowerk.report.html import Column, data_table, esc
from regiowerk.report.registry import ReportContext, register_section

MINUTE_BREAKS = [5.0, 10.0, 15.0, 20.0, 30.0, 40.0]
"""Class limits of the travel-time maps (minutes)."""
MAP_BACKGROUND = "#ececec"
"""Fill of the municipalities under the grid cells (uninhabited land)."""
UNKNOWN_UNIT = "Kapazitätseinheiten"
"""Unit of the supply ratio when the facilities (and their capacity unit) are unknown."""
MANY_SITES = 40
"""With more sites than this, their symbols are drawn smaller."""
MAX_PANELS = 9
"""Maps per figure; further services are left out with a note."""
WORST_MUNICIPALITIES = 10
MODE_WORDS = {"car": "mit dem Pkw", "walk": "zu Fuß", "bike": "mit dem Fahrrad"}
GROUP_LABELS = {"persons": "Einwohner", "women_15_49": "Frauen 15–49"}
SITE_STYLE: dict[str, Any] = {
    "marker": "o",
    "markersize": 3.2,
    "color": "black",
    "markeredgecolor": "white",
    "markeredgewidth": 0.5,
    "linestyle": "none",
}
CENTRE_STYLE: dict[str, Any] = {**SITE_STYLE, "marker": "s", "markersize": 4.5}
_BOX_STYLE = (
    "padding: 0.4rem 1rem 0.6rem; border: 1px solid #d6d6db; border-left: 4px solid #2d5b8c; "
    "background: #f5f6f8"
)
_RESOLUTION = re.compile(r"^CRS3035RES([0-9]+)m")


@dataclass(frozen=True)
class Pair:
    """A service and mode present in ``access``, with the labels shown."""

    service: str
    mode: str
    label: str

    @property
    def key(self) -> str:
        return f"{self.service}/{self.mode}"

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)


@dataclass(frozen=True)
class Sites:
    """The destinations of a service: ``facility_id, name, x, y`` (coordinates may be
    missing), whether they are centres of central places, and whether the list is complete
    (from the facilities or central places, not only from the ids in ``access``)."""

    frame: pd.DataFrame
    central: bool
    complete: bool

    @property
    def names(self) -> pd.Series:
        return self.frame.set_index("facility_id")["name"]


@dataclass(frozen=True)
class Origins:
    """Polygons of the origins, indexed by ``origin_id``, and how to name them."""

    areas: gpd.GeoDataFrame
    grid: bool
    cell_km: float | None

    @property
    def described(self) -> str:
        if not self.grid:
            return "von einem Punkt im Inneren jeder Gemeinde"
        return f"von jeder bewohnten {_cell_text(self.cell_km)}-Rasterzelle"


@register_section("erreichbarkeit", "Erreichbarkeit", order=40, requires=("access",))
def render(ctx: ReportContext) -> str | None:
    """Lead, travel-time maps, standards, closure test, supply map, municipalities, assumptions."""
    frame = ctx.table("access")
    if frame.empty:
        ctx.skip("Die Tabelle „Erreichbarkeit“ (access) enthält keine Zeilen.")
        return None
    catalogue = _catalogue(ctx)
    pairs = _pairs(frame, catalogue)
    rows = {p: _rows(frame, p) for p in pairs}
    sites = {p: _sites(ctx, catalogue, p, rows[p]) for p in pairs}
    checks = indicators.compliance(frame, catalogue.standards)
    summary = (
        ctx.table("access_summary") if ctx.has("access_summary") else indicators.summary(frame)
    )
    origins = _origins(ctx, frame)
    meta = ctx.provenance_meta("access")
    parts = [_intro(ctx, pairs, rows, sites, checks, catalogue, origins)]
    parts += ["<h3>Fahrzeiten</h3>", _travel_maps(ctx, pairs, rows, sites, origins)]
    parts += ["<h3>Standards</h3>", _compliance(checks, catalogue)]
    closure = [s for s in catalogue.standards if s.closure_limit is not None]
    closure = [s for s in closure if any((p.service, p.mode) == (s.service, s.mode) for p in pairs)]
    if closure:
        parts += [
            "<h3>Schließungstest der Krankenhäuser</h3>",
            _closure(frame, closure, pairs, sites),
        ]
    supplied = [p for p in pairs if rows[p]["supply_ratio"].notna().any()]
    if supplied:
        parts += ["<h3>Versorgung im Verhältnis zur Nachfrage (E2SFCA)</h3>"]
        parts += [_supply_map(ctx, p, rows[p], summary) for p in supplied]
    parts += [
        "<h3>Gemeinden mit den längsten Wegen</h3>",
        _worst(ctx, frame, summary, checks, pairs),
    ]
    parts += ["<h3>Modellannahmen</h3>", _assumptions(ctx, meta, pairs, origins, supplied)]
    return "\n".join(parts)


# --- data -------------------------------------------------------------------------------


def _pairs(frame: pd.DataFrame, catalogue: Catalogue) -> list[Pair]:
    """Services and modes of ``access`` in catalogue order (unknown services last), then mode."""
    order = {name: i for i, name in enumerate(catalogue.services)}
    found = frame[["service", "mode"]].drop_duplicates()
    keys = sorted(
        ((str(s), str(m)) for s, m in found.itertuples(index=False)),
        key=lambda k: (
            order.get(k[0], len(order)),
            k[0],
            MODES.index(k[1]) if k[1] in MODES else 9,
        ),
    )
    return [
        Pair(s, m, catalogue.services[s].label if s in catalogue.services else s) for s, m in keys
    ]


def _rows(frame: pd.DataFrame, pair: Pair) -> pd.DataFrame:
    return frame[(frame["service"] == pair.service) & (frame["mode"] == pair.mode)]


def _mean_minutes(rows: pd.DataFrame) -> float:
    """Mean time weighted by inhabitants over the origins with a route."""
    reached = rows[rows["minutes"].notna()]
    persons = reached["persons"].astype(float)
    return (
        float((reached["minutes"] * persons).sum() / persons.sum()) if persons.sum() else math.nan
    )


def _share_within(rows: pd.DataFrame, limit: float) -> float:
    """Share of inhabitants within ``limit`` minutes (no route counts as beyond)."""
    persons = rows["persons"].astype(float)
    inside = indicators.within(rows["minutes"], limit)
    return float(persons[inside].sum() / persons.sum()) if persons.sum() else math.nan


def _catalogue(ctx: ReportContext) -> Catalogue:
    """The services and standards the computation used (saved with ``access``), else the
    shipped ones."""
    raw = ctx.provenance_meta("access").get("_catalogue")
    if isinstance(raw, dict):
        try:
            return Catalogue.model_validate(raw)
        except ValueError:
            pass
    return standards.load()


def _sites(ctx: ReportContext, catalogue: Catalogue, pair: Pair, rows: pd.DataFrame) -> Sites:
    """The destinations as the computation chose them; else the ids found in ``access``."""
    service = catalogue.services.get(pair.service)
    if service is not None:
        try:
            chosen = destinations(ctx.workspace, pair.service, service)
        except AccessError:
            pass
        else:
            frame = chosen.frame[["facility_id", "name", "x", "y"]].reset_index(drop=True)
            return Sites(frame, bool(service.centrality), True)
    ids = pd.unique(pd.concat([rows["facility_id"], rows["second_facility_id"]]).dropna())
    frame = pd.DataFrame({"facility_id": ids, "name": ids, "x": np.nan, "y": np.nan})
    for table, key in (("facilities", "facility_id"), ("municipalities", "ags")):
        if not ctx.has(table):
            continue
        known = ctx.table(table).set_index(key)
        hits = frame["facility_id"].isin(known.index)
        if hits.any():
            found = known.loc[frame.loc[hits, "facility_id"]]
            frame.loc[hits, "name"] = found["name"].to_numpy()
            if table == "facilities":
                frame.loc[hits, "x"] = found.geometry.x.to_numpy()
                frame.loc[hits, "y"] = found.geometry.y.to_numpy()
            break
    return Sites(frame.sort_values("facility_id").reset_index(drop=True), False, False)


def _cell_text(km: float | None) -> str:
    if km is None:
        return "Raster"
    return f"{fmt_int(km)}-km" if km >= 1 else f"{fmt_int(km * 1000)}-m"


def _origins(ctx: ReportContext, frame: pd.DataFrame) -> Origins | None:
    """Grid cells when the origin ids are cells of ``grid``, else municipalities (or None)."""
    ids = pd.Index(frame["origin_id"].unique())
    if ctx.has("grid"):
        grid = ctx.table("grid")
        if ids.isin(grid["cell_id"]).all():
            match = _RESOLUTION.match(str(ids[0]))
            km = int(match.group(1)) / 1000 if match else None
            areas = grid[grid["cell_id"].isin(ids)].set_index("cell_id")
            return Origins(areas, True, km)
    municipalities = ctx.table("municipalities")
    if ids.isin(municipalities["ags"]).all():
        return Origins(municipalities.set_index("ags"), False, None)
    return None


# --- lead -------------------------------------------------------------------------------


def _listing(names: Sequence[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} und {items[-1]}"


def _standards_for(checks: pd.DataFrame, pair: Pair) -> pd.DataFrame:
    if checks.empty:
        return checks
    return checks[(checks["service"] == pair.service) & (checks["mode"] == pair.mode)]


def _intro(
    ctx: ReportContext,
    pairs: list[Pair],
    rows: dict[Pair, pd.DataFrame],
    sites: dict[Pair, Sites],
    checks: pd.DataFrame,
    catalogue: Catalogue,
    origins: Origins | None,
) -> str:
    """What was measured, a sentence on the standards, and the table of key figures."""
    modes = list(dict.fromkeys(p.mode for p in pairs))
    first = rows[pairs[0]]
    persons = float(first["persons"].sum())
    if origins is None:
        where = "von jedem Ausgangsort"
    elif origins.grid:
        where = f"{origins.described} ({fmt_int(len(first))} Zellen, {fmt_int(persons)} Einwohner)"
    else:
        where = (
            f"{origins.described} ({fmt_int(len(first))} Gemeinden, {fmt_int(persons)} Einwohner)"
        )
    network = "auf dem Straßennetz des Arbeitsbereichs"
    if ctx.has("roads"):
        network += f" ({fmt_int(len(ctx.table('roads')))} Abschnitte, Tabelle roads)"
    labels = list(dict.fromkeys(p.label for p in pairs))
    paragraphs = [
        f"Gemessen wurde die Fahrzeit {_listing([MODE_WORDS.get(m, m) for m in modes])} "
        f"{where} zur nächsten Einrichtung {network}, für {fmt_int(len(labels))} "
        f"{'Dienst' if len(labels) == 1 else 'Dienste'}: {_listing(labels)}. Die Zeit schließt "
        f"den Fußweg vom Ausgangsort zur Straße und von der Straße zum Ziel ein."
    ]
    standard_texts = []
    for _, check in checks.iterrows():
        label = _service_label(catalogue, str(check["service"]))
        mode = MODE_WORDS.get(str(check["mode"]), str(check["mode"]))
        standard_texts.append(
            f"{label} in {_fmt_limit(float(check['minutes']))} Minuten {mode}: "
            f"{fmt_percent(float(check['share_within']))} der Einwohner "
            f"({fmt_int(float(check['beyond']))} nicht)"
        )
    if standard_texts:
        paragraphs.append(
            "Gemessen an den Standards (Abschnitt „Standards“) erreichen die nächste "
            "Einrichtung rechtzeitig: " + "; ".join(standard_texts) + "."
        )
    else:
        paragraphs.append(
            "Für keinen der gemessenen Dienste enthält der Standardkatalog eine Zeitgrenze, die "
            "in der Region gilt; gezeigt werden die Anteile innerhalb fester Zeiten."
        )
    html = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return html + _key_table(pairs, rows, sites, checks, catalogue)


def _service_label(catalogue: Catalogue, service: str) -> str:
    return catalogue.services[service].label if service in catalogue.services else service


def _fmt_limit(value: float) -> str:
    return fmt_int(value) if float(value).is_integer() else fmt_float(value)


def _key_table(
    pairs: list[Pair],
    rows: dict[Pair, pd.DataFrame],
    sites: dict[Pair, Sites],
    checks: pd.DataFrame,
    catalogue: Catalogue,
) -> str:
    """Per service and mode: sites, mean time, shares within 10 and 30 minutes, standard."""
    several = len({p.mode for p in pairs}) > 1
    columns = [Column("Dienst")]
    if several:
        columns.append(Column("Verkehrsmittel"))
    columns += [
        Column("Ziele", numeric=True),
        Column("Minuten (Mittel)", numeric=True),
        Column("Anteil ≤ 10 min", numeric=True),
        Column("Anteil ≤ 30 min", numeric=True),
        Column("Standard", numeric=True),
        Column("Anteil im Standard", numeric=True),
        Column("ohne Weg (Einwohner)", numeric=True),
    ]
    table_rows = []
    without: list[str] = []
    for pair in pairs:
        data = rows[pair]
        own = _standards_for(checks, pair)
        if own.empty:
            without.append(pair.label)
        cells = [pair.label, *([pair.mode_label] if several else [])]
        cells += [
            fmt_int(len(sites[pair].frame)) if sites[pair].complete else "–",
            fmt_float(_mean_minutes(data)),
            fmt_percent(_share_within(data, 10)),
            fmt_percent(_share_within(data, 30)),
            "; ".join(f"{_fmt_limit(m)} min" for m in own["minutes"]) if not own.empty else "–",
            "; ".join(fmt_percent(s) for s in own["share_within"]) if not own.empty else "–",
            fmt_int(float(data.loc[data["minutes"].isna(), "persons"].sum())),
        ]
        table_rows.append(cells)
    remark = (
        "Ziele: Standorte des Dienstes (ohne Tabelle facilities unbekannt). "
        "Minuten (Mittel): Fahrzeit zur nächsten Einrichtung, gemittelt über die Einwohner "
        "(Ausgangsorte mit ihrer Einwohnerzahl gewichtet, nur Orte mit Weg). Anteile: "
        "Einwohner, die die nächste Einrichtung in höchstens so vielen Minuten erreichen; "
        "Einwohner ohne Weg zählen als nicht erreicht."
    )
    if without:
        remark += (
            f" Für {_listing(without)} enthält der Standardkatalog keine Zeitgrenze, die in der "
            f"Region gilt{_elsewhere(catalogue, pairs, without)}."
        )
    return data_table(columns, table_rows) + _remark(remark)


def _elsewhere(catalogue: Catalogue, pairs: list[Pair], without: list[str]) -> str:
    """Where standards of the services without one apply instead (other Länder)."""
    scopes: dict[str, list[str]] = {}
    for pair in pairs:
        if pair.label not in without:
            continue
        for standard in catalogue.for_service(pair.service, pair.mode):
            scopes.setdefault(_scope(standard.scope), []).append(pair.label)
    if not scopes:
        return ""
    texts = [f"{_listing(sorted(set(v)))}: nur für {k}" for k, v in scopes.items()]
    return f" ({'; '.join(texts)})"


def _scope(scope: str) -> str:
    if scope == "DE":
        return "Deutschland"
    return LAENDER[scope].name if scope in LAENDER else scope


def _remark(text: str) -> str:
    """A small explanatory paragraph below a table (styled like a figure caption)."""
    return f'<p class="erlaeuterung" style="font-size: 0.85rem; color: #5a5a60">{esc(text)}</p>'


# --- travel-time maps -------------------------------------------------------------------


def _minute_palette() -> list[str]:
    shades = colormaps["YlOrRd"](np.linspace(0.12, 1.0, len(MINUTE_BREAKS) + 1))
    return [colors.to_hex(c) for c in shades]


def _travel_maps(
    ctx: ReportContext,
    pairs: list[Pair],
    rows: dict[Pair, pd.DataFrame],
    sites: dict[Pair, Sites],
    origins: Origins | None,
) -> str:
    """Small multiples of the time to the nearest site, one figure per mode."""
    if origins is None:
        return ctx.note(
            "Die Ausgangsorte der Tabelle access sind weder Zellen der Tabelle grid noch "
            "Gemeinden; die Karten der Fahrzeiten entfallen."
        )
    municipalities = ctx.table("municipalities")
    parts = []
    for mode in dict.fromkeys(p.mode for p in pairs):
        chosen = [p for p in pairs if p.mode == mode]
        if len(chosen) > MAX_PANELS:
            left = _listing([p.label for p in chosen[MAX_PANELS:]])
            parts.append(
                ctx.note(f"Nicht als Karte gezeigt ({MODE_LABELS.get(mode, mode)}): {left}.")
            )
            chosen = chosen[:MAX_PANELS]
        fig = _small_multiples(ctx, chosen, rows, sites, origins, municipalities)
        unit = (
            f"{_cell_text(origins.cell_km)}-Rasterzelle (unbewohnte Flächen grau)"
            if origins.grid
            else "Gemeinde (ein Ausgangspunkt im Inneren, also ohne Unterschiede innerhalb "
            "der Gemeinde)"
        )
        no_points = [p.label for p in chosen if sites[p].frame["x"].isna().all()]
        caption = (
            f"Fahrzeit {MODE_WORDS.get(mode, mode)} zur nächsten Einrichtung in Minuten je {unit}, "
            f"feste Klassen; Punkte: Standorte, Quadrate: Zentren der zentralen Orte."
        )
        if no_points:
            caption += f" Ohne Standorte (Lage unbekannt): {_listing(no_points)}."
        parts.append(
            ctx.figure(
                fig,
                alt=f"Karten: Fahrzeit zur nächsten Einrichtung ({MODE_LABELS.get(mode, mode)})",
                caption=caption,
            )
        )
    return "\n".join(parts)


def _small_multiples(
    ctx: ReportContext,
    pairs: list[Pair],
    rows: dict[Pair, pd.DataFrame],
    sites: dict[Pair, Sites],
    origins: Origins,
    municipalities: gpd.GeoDataFrame,
) -> Figure:
    """One panel per service: classed times, municipality, Kreis and Land borders, sites.

    The first axes of the figure is a header strip holding the title (and, through
    :meth:`ReportContext.figure`, the mark of synthetic data), so that neither covers a panel.
    The legends go into the free cells of the last row, else into a row of their own below
    the panels (classes left, symbols right, so that they never overlap).
    """
    count = len(pairs)
    cols = 1 if count == 1 else 2 if count <= 4 else 3
    rows_n = math.ceil(count / cols)
    minx, miny, maxx, maxy = municipalities.total_bounds
    aspect = min((maxy - miny) / (maxx - minx), 1.4)
    width = 17.0
    panel = (width - 0.5) / cols * aspect * (0.9 if cols > 1 else 0.6)
    free = rows_n * cols - count
    # without free cells, a row of its own below the panels holds both legends side by side:
    # the classes (at most one per break, one more and "kein Weg") and up to five symbols
    class_cols, symbol_cols = (3 if cols == 3 else 2), 1
    lines = max(math.ceil((len(MINUTE_BREAKS) + 2) / class_cols), math.ceil(5 / symbol_cols))
    below = 1.4 if free == 1 else 0.9 + 0.5 * lines if free == 0 else 0.0
    fig = figures.new_figure(width, 1.0 + rows_n * (panel + 0.7) + below)
    ratios = [0.04, *[1.0] * rows_n] + ([below / panel] if free == 0 else [])
    grid = fig.add_gridspec(len(ratios), cols, height_ratios=ratios)
    header = fig.add_subplot(grid[0, :])
    header.set_axis_off()
    mode = MODE_LABELS.get(pairs[0].mode, pairs[0].mode)
    header.set_title(f"Fahrzeit zur nächsten Einrichtung ({mode})", loc="left", fontsize=10)
    palette = _minute_palette()
    land = _polygon_paths(municipalities.geometry)
    areas = _polygon_paths(origins.areas.geometry)
    borders = _line_parts(municipalities.geometry.boundary)
    kreise = _line_parts(municipalities.dissolve(by="kreis").geometry.boundary)
    laender = _line_parts(figures.shared_borders(municipalities.dissolve(by="land").geometry))
    missing = False
    for i, pair in enumerate(pairs):
        ax = fig.add_subplot(grid[1 + i // cols, i % cols])
        minutes = rows[pair].set_index("origin_id")["minutes"].astype(float)
        inside = origins.areas.index.isin(minutes.index)
        values = minutes.reindex(origins.areas.index[inside])
        missing = missing or bool(values.isna().any())
        faces = figures.classed_faces(values, MINUTE_BREAKS, palette)
        ax.add_collection(PathCollection(land, facecolors=MAP_BACKGROUND, linewidths=0))
        shown = [path for path, keep in zip(areas, inside, strict=True) if keep]
        ax.add_collection(PathCollection(shown, facecolors=faces, linewidths=0))
        ax.add_collection(LineCollection(borders, colors="#8c8c8c", linewidths=0.3))
        ax.add_collection(LineCollection(kreise, colors="#262626", linewidths=0.9))
        if laender:
            ax.add_collection(LineCollection(laender, colors="black", linewidths=1.8))
        points = sites[pair].frame.dropna(subset=["x", "y"])
        style = CENTRE_STYLE if sites[pair].central else SITE_STYLE
        if len(points) > MANY_SITES:
            style = {**style, "markersize": 0.75 * style["markersize"]}
        ax.plot(points["x"], points["y"], zorder=4, **style)
        ax.set_xlim(minx - 0.02 * (maxx - minx), maxx + 0.02 * (maxx - minx))
        ax.set_ylim(miny - 0.02 * (maxy - miny), maxy + 0.02 * (maxy - miny))
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(pair.label, loc="left", fontsize=8.5)
        if i == 0:
            figures.scale_bar(ax)  # the scale bar of the municipality maps
    labels = figures.class_labels(MINUTE_BREAKS, pd.Series(dtype=float), fmt=_fmt_limit)
    handles, names = figures.class_legend(palette, labels, missing=missing)
    if missing:
        names[-1] = "kein Weg"
    symbols: list[Artist] = [
        Line2D([], [], color="#8c8c8c", linewidth=0.4),
        Line2D([], [], color="#262626", linewidth=0.9),
    ]
    symbol_names = ["Gemeindegrenze", "Kreisgrenze"]
    if laender:
        symbols.append(Line2D([], [], color="black", linewidth=1.8))
        symbol_names.append("Landesgrenze")
    if any(not sites[p].central and sites[p].frame["x"].notna().any() for p in pairs):
        symbols.append(Line2D([], [], **SITE_STYLE))
        symbol_names.append("Standort")
    if any(sites[p].central for p in pairs):
        symbols.append(Line2D([], [], **CENTRE_STYLE))
        symbol_names.append("Zentrum eines zentralen Ortes")
    legend: dict[str, Any] = {
        "frameon": False,
        "fontsize": 7.5,
        "title_fontsize": 8,
        "alignment": "left",
    }
    if free:  # the class legend into the free cells of the last row
        slot = fig.add_subplot(grid[rows_n, cols - free :])
        slot.set_axis_off()
        first = slot.legend(handles, names, title="Fahrzeit in Minuten", loc="upper left", **legend)
        if free > 1:
            slot.add_artist(first)
            slot.legend(symbols, symbol_names, title="Kartenzeichen", loc="upper right", **legend)
        else:
            fig.legend(
                symbols,
                symbol_names,
                title="Kartenzeichen",
                loc="outside lower center",
                ncols=len(symbols),
                **legend,
            )
    else:  # the legend row: classes under the first panels, symbols under the last one
        left = fig.add_subplot(grid[rows_n + 1, : max(cols - 1, 1)])
        right = fig.add_subplot(grid[rows_n + 1, cols - 1]) if cols > 1 else left
        left.set_axis_off()
        right.set_axis_off()
        first = left.legend(
            handles,
            names,
            title="Fahrzeit in Minuten",
            loc="upper left",
            ncols=class_cols,
            **legend,
        )
        if right is left:  # a second legend() would replace the first
            left.add_artist(first)
        right.legend(
            symbols,
            symbol_names,
            title="Kartenzeichen",
            loc="upper left" if cols > 1 else "upper right",
            ncols=symbol_cols,
            **legend,
        ).set_in_layout(False)  # sized by the row height above; never squeezes the maps
        first.set_in_layout(False)
    return fig


def _polygon_paths(geometries: gpd.GeoSeries) -> list[Path]:
    """One compound path (exterior and holes of all parts) per polygon, drawn far faster as
    one collection than by ``GeoDataFrame.plot`` panel after panel."""
    paths = []
    for geometry in geometries:
        rings = []
        for part in shapely.get_parts(geometry):
            rings.append(Path(np.asarray(part.exterior.coords)[:, :2], closed=True))
            rings += [Path(np.asarray(r.coords)[:, :2], closed=True) for r in part.interiors]
        paths.append(Path.make_compound_path(*rings))
    return paths


def _line_parts(lines: gpd.GeoSeries) -> list[np.ndarray]:
    """Coordinates of every single line of ``lines`` (for a ``LineCollection``)."""
    parts = shapely.get_parts(shapely.line_merge(lines.to_numpy()))
    return [np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty]


# --- standards --------------------------------------------------------------------------


def _compliance(checks: pd.DataFrame, catalogue: Catalogue) -> str:
    """One row per standard that applies to the region, sources numbered below."""
    intro = (
        "<p>Die Zeitgrenzen stammen aus Regelwerken und Planungsempfehlungen; jede steht mit "
        "ihrer Quelle im Standardkatalog von regiowerk. Geprüft wird, wie viele Einwohner die "
        "nächste Einrichtung nicht innerhalb der Grenze erreichen.</p>"
    )
    if checks.empty:
        return intro + _remark(
            "Für die gemessenen Dienste und Verkehrsmittel gilt in der Region kein Standard des "
            "Katalogs."
        )
    by_id = {s.id: s for s in catalogue.standards}
    columns = [
        Column("Nr.", numeric=True),
        Column("Standard"),
        Column("Dienst"),
        Column("Verkehrsmittel"),
        Column("Grenze (min)", numeric=True),
        Column("gilt für"),
        Column("Einwohner", numeric=True),
        Column("Einwohner jenseits", numeric=True),
        Column("Anteil innerhalb", numeric=True),
        Column("Gemeinden mit Lücke", numeric=True),
    ]
    table_rows = []
    sources = []
    for number, check in enumerate(checks.to_dict("records"), start=1):
        standard = by_id[str(check["standard"])]
        table_rows.append(
            [
                str(number),
                Markup("<code>{}</code>").format(check["standard"]),
                _service_label(catalogue, str(check["service"])),
                MODE_LABELS.get(str(check["mode"]), str(check["mode"])),
                _fmt_limit(float(check["minutes"])),
                _scope(str(check["scope"])),
                fmt_int(float(check["persons"])),
                fmt_int(float(check["beyond"])),
                fmt_percent(float(check["share_within"])),
                fmt_int(int(check["municipalities_missing"])),
            ]
        )
        text = standard.source + (f" – {standard.note}" if standard.note else "")
        sources.append(f"<li>{esc(text)}</li>")
    notes = (
        '<ol class="quellen" style="font-size: 0.85rem; color: #5a5a60">'
        + "".join(sources)
        + "</ol>"
    )
    remark = _remark(
        "Einwohner jenseits: erreichen die nächste Einrichtung nicht innerhalb der Grenze (oder "
        "haben keinen Weg). Gemeinden mit Lücke: Gemeinden mit mindestens einem solchen "
        "Ausgangsort. Quellen der Standards (Nr.):"
    )
    return intro + data_table(columns, table_rows) + remark + notes


def _closure(
    frame: pd.DataFrame, standards_: list[Standard], pairs: list[Pair], sites: dict[Pair, Sites]
) -> str:
    """The G-BA closure test per standard with a closure limit: one row per site."""
    parts = [
        "<p>Der Schließungstest folgt dem Betroffenheitsmaß des G-BA für "
        "Sicherstellungszuschläge: Für jeden Standort wird gezählt, wie viele Menschen ihn heute "
        "als nächsten innerhalb der Zeitgrenze erreichen, den zweitnächsten Standort aber nicht. "
        "Sie müssten länger fahren, wenn der Standort schlösse. Liegt ihre Zahl über der Grenze "
        "des Standards, ist der Standort für die Versorgung unverzichtbar (auffällig).</p>"
    ]
    for standard in standards_:
        pair = next(p for p in pairs if (p.service, p.mode) == (standard.service, standard.mode))
        table = indicators.closure_test(frame, standard, sites[pair].names)
        group = GROUP_LABELS[standard.closure_group]
        limit = _fmt_limit(standard.minutes)
        columns = [
            Column("Standort"),
            Column(f"{group} heute ≤ {limit} min", numeric=True),
            Column(f"betroffene {group}", numeric=True),
            Column("Grenze", numeric=True),
            Column("auffällig"),
        ]
        body = [
            [
                str(r["name"]),
                fmt_int(float(r["served"])),
                fmt_int(float(r["affected"])),
                fmt_int(float(r["limit"])),
                "Ja" if bool(r["flagged"]) else "Nein",
            ]
            for r in table.to_dict("records")
        ]
        parts.append(f"<h4>{esc(pair.label)} ({esc(standard.id)})</h4>")
        parts.append(data_table(columns, body))
        flagged = int(table["flagged"].sum())
        remark = (
            f"Betroffen: {group}, deren nächster Standort dieser ist und die ihn heute in "
            f"höchstens {limit} Minuten ({pair.mode_label}) erreichen, den zweitnächsten aber "
            f"nicht. Auffällig: mehr als {fmt_int(standard.closure_limit)} betroffen "
            f"({fmt_int(flagged)} von {fmt_int(len(table))} Standorten)."
        )
        if standard.closure_group == "women_15_49":
            remark += (
                " Frauen 15–49 je Ausgangsort geschätzt: Einwohner × Anteil dieser Gruppe in "
                "der Gemeinde."
            )
        if not sites[pair].complete:
            remark += (
                " Standorte nur aus den Ergebnissen der Tabelle access (Einrichtungen fehlen im "
                "Arbeitsbereich); Standorte, die für niemanden nächster oder zweitnächster sind, "
                "fehlen."
            )
        parts.append(_remark(remark))
    parts.append(
        _remark(
            "Standorte außerhalb der Region sind nicht enthalten; am Rand der Region wird die "
            "Betroffenheit daher eher überschätzt."
        )
    )
    return "\n".join(parts)


# --- supply (E2SFCA) --------------------------------------------------------------------


def _steps_text() -> str:
    lower = 0.0
    texts = []
    for upper, weight in E2SFCA_STEPS:
        texts.append(f"{_fmt_weight(weight)} für {_fmt_limit(lower)}–{_fmt_limit(upper)} Minuten")
        lower = upper
    return _listing(texts)


def _fmt_weight(value: float) -> str:
    return fmt_int(value) if float(value).is_integer() else fmt_float(value, 2)


def _supply_unit(ctx: ReportContext, pair: Pair) -> str:
    """The capacity unit of the service's facilities (e.g. "Ärzte (VZÄ)"), else a generic one."""
    if not ctx.has("facilities"):
        return UNKNOWN_UNIT
    catalogue = _catalogue(ctx)
    kind = catalogue.services[pair.service].kind if pair.service in catalogue.services else None
    facilities = ctx.table("facilities")
    units = facilities.loc[facilities["kind"] == kind, "capacity_unit"].dropna()
    return str(units.mode().iloc[0]) if not units.empty else UNKNOWN_UNIT


def _supply_map(ctx: ReportContext, pair: Pair, rows: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Map of the E2SFCA supply ratio per municipality."""
    unit = _supply_unit(ctx, pair)
    known = rows[rows["supply_ratio"].notna()]
    persons = known["persons"].astype(float)
    region = float((known["supply_ratio"] * persons).sum() / persons.sum())
    text = (
        f"<p>Das Verhältnis von Angebot und Nachfrage für {esc(pair.label)} ist mit der "
        f"erweiterten Zwei-Schritt-Methode (E2SFCA, Luo und Qi 2009) berechnet: Jede Einrichtung "
        f"teilt ihre Kapazität auf die Einwohner ihres Einzugsbereichs auf "
        f"({_fmt_limit(E2SFCA_STEPS[-1][0])} Minuten, {pair.mode_label}), jeder Ort summiert die "
        f"Anteile der Einrichtungen, die er erreicht, gewichtet nach Fahrzeit mit "
        f"{esc(_steps_text())}. Im Mittel der Region sind es {fmt_float(region, 2)} "
        f"{esc(unit)} je 1.000 Einwohner.</p>"
    )
    municipalities = ctx.table("municipalities").sort_values("ags")
    values = summary[(summary["service"] == pair.service) & (summary["mode"] == pair.mode)]
    ratio = values.set_index("ags")["supply_ratio"].astype(float)
    aligned = ratio.reindex(municipalities["ags"].to_numpy()).set_axis(municipalities.index)
    breaks = figures.class_breaks(aligned)
    shades = colormaps["YlGnBu"](np.linspace(0.1, 0.85, len(breaks) + 1))
    palette = [colors.to_hex(c) for c in shades]
    labels = figures.class_labels(breaks, aligned, fmt=lambda v: fmt_float(v, 2))
    fig = figures.filled_map(
        municipalities,
        face=figures.classed_faces(aligned, breaks, palette),
        legend=figures.class_legend(palette, labels, missing=bool(aligned.isna().any())),
        legend_title=f"{unit} je 1.000 Einw.",
        title=f"Versorgung: {pair.label}",
    )
    caption = (
        f"{unit} je 1.000 Einwohner nach E2SFCA je Gemeinde (Mittel der Ausgangsorte, mit den "
        f"Einwohnern gewichtet), Klassen nach Quantilen. Je dunkler, desto mehr Angebot "
        f"erreichen die Einwohner im Verhältnis zu allen, die es ebenfalls nutzen."
    )
    figure = ctx.figure(fig, alt=f"Karte: Versorgung {pair.label} (E2SFCA)", caption=caption)
    return text + figure


# --- municipalities ---------------------------------------------------------------------


def _worst(
    ctx: ReportContext,
    frame: pd.DataFrame,
    summary: pd.DataFrame,
    checks: pd.DataFrame,
    pairs: list[Pair],
) -> str:
    """The municipalities that miss the main standard most (or with the longest mean time)."""
    names = ctx.table("municipalities").set_index("ags")["name"]
    kreise = ctx.kreis_names
    if not checks.empty:
        main = checks.sort_values(["beyond", "standard"], ascending=[False, True]).iloc[0]
        pair = next(p for p in pairs if (p.service, p.mode) == (main["service"], main["mode"]))
        limit = float(main["minutes"])
        title = (
            f"Standard <code>{esc(main['standard'])}</code>: {esc(pair.label)} in "
            f"{_fmt_limit(limit)} Minuten ({esc(pair.mode_label)})"
        )
    else:
        pair, limit = pairs[0], 30.0
        title = f"{esc(pair.label)} ({esc(pair.mode_label)}), ohne Standard: Anteil ≤ 30 Minuten"
    rows = _rows(frame, pair)
    inside = indicators.within(rows["minutes"], limit)
    beyond = rows["persons"].where(~inside, 0.0).groupby(rows["ags"]).sum()
    own = summary[(summary["service"] == pair.service) & (summary["mode"] == pair.mode)]
    table = own.set_index("ags").assign(beyond=beyond)
    table["share"] = 1 - table["beyond"] / table["persons"]
    table = table.sort_values(["share", "mean_minutes"], ascending=[True, False])
    lacking = table[table["beyond"] > 0]
    shown = (lacking if not lacking.empty else table).head(WORST_MUNICIPALITIES)
    columns = [
        Column("Gemeinde"),
        Column("Kreis"),
        Column("Einwohner", numeric=True),
        Column("Minuten (Mittel)", numeric=True),
        Column("Minuten (Maximum)", numeric=True),
        Column(f"Anteil ≤ {_fmt_limit(limit)} min", numeric=True),
        Column("Einwohner jenseits", numeric=True),
    ]
    body = [
        [
            str(names.get(ags, ags)),
            kreise.get(str(ags)[:5], str(ags)[:5]),
            fmt_int(float(r["persons"])),
            fmt_float(float(r["mean_minutes"])),
            fmt_float(float(r["max_minutes"])),
            fmt_percent(float(r["share"])),
            fmt_int(float(r["beyond"])),
        ]
        for ags, r in shown.iterrows()
    ]
    missing = int((table["beyond"] > 0).sum())
    remark = (
        f"Bis zu {fmt_int(WORST_MUNICIPALITIES)} Gemeinden mit dem kleinsten Anteil innerhalb "
        f"der Grenze (bei Gleichstand die längste mittlere Zeit zuerst); {fmt_int(missing)} von "
        f"{fmt_int(len(table))} Gemeinden haben Einwohner jenseits der Grenze. Minuten: Mittel "
        f"mit den Einwohnern gewichtet und längste Zeit eines Ausgangsortes der Gemeinde."
    )
    if not checks.empty:
        remark += " Gewählt ist der Standard, den in der Region die meisten Einwohner verfehlen."
    return f"<p>{title}</p>" + data_table(columns, body) + _remark(remark)


# --- assumptions ------------------------------------------------------------------------


def _assumptions(
    ctx: ReportContext,
    meta: dict[str, Any],
    pairs: list[Pair],
    origins: Origins | None,
    supplied: list[Pair],
) -> str:
    """The box "Modellannahmen"; the run's notes in it, its warnings as report notes."""
    modes = list(dict.fromkeys(p.mode for p in pairs))
    walk = fmt_float(WALK_KMH)
    items = []
    if origins is not None and origins.grid:
        source = ctx.workspace.provenance("grid").source if ctx.has("grid") else ""
        items.append(
            f"Ausgangsorte: Mittelpunkte der bewohnten {_cell_text(origins.cell_km)}-"
            f"Rasterzellen mit ihren Einwohnern"
            + (f" (Bevölkerungsraster: {source})" if source else "")
            + "."
        )
    else:
        items.append(
            "Ausgangsorte: ein Punkt im Inneren jeder Gemeinde mit allen ihren Einwohnern "
            "(kein Bevölkerungsraster im Arbeitsbereich); Unterschiede innerhalb einer "
            "Gemeinde sind nicht sichtbar, in großen Gemeinden sind die Zeiten ungenau."
        )
    if "car" in modes:
        items.append(
            "Pkw: Fahrzeit je Straßenabschnitt aus Länge und Geschwindigkeit des Straßennetzes "
            "(zulässige Höchstgeschwindigkeit, sonst übliche Geschwindigkeit je Straßenklasse); "
            "ohne Stau, Ampeln, Abbiegen und Parkplatzsuche. Die Zeiten sind daher eher "
            "Untergrenzen."
        )
    if "walk" in modes or "bike" in modes:
        items.append(
            f"Zu Fuß {walk} km/h, Fahrrad {fmt_float(BIKE_KMH)} km/h, auf allen Straßen außer "
            f"Autobahnen in beiden Richtungen."
        )
    items += [
        f"Zu- und Abgang: vom Ausgangsort zum nächsten Netzknoten und vom Netz zum Ziel zu Fuß "
        f"mit {walk} km/h (Luftlinie). Orte mehr als {_fmt_limit(MAX_SNAP_M / 1000)} km vom "
        f"Netz gelten als nicht erreichbar; ihre Zeit fehlt und ist nie null. Genutzt wird nur "
        f"der größte zusammenhängende Teil des Netzes.",
        "Ziele: Einrichtungen der Tabelle facilities nach Art; Krankenhäuser nur mit den "
        "Fachabteilungen des Dienstes (Grundversorgung: Innere Medizin und Chirurgie); zentrale "
        "Orte mit ihrer bevölkerungsreichsten Rasterzelle als Zentrum. Einrichtungen außerhalb "
        "der Region fehlen, am Rand sind die Zeiten daher eher zu lang.",
        "Standards sind Daten: Zeitgrenze, Verkehrsmittel, Geltungsbereich und Quelle je Zeile "
        "in der Datei standards.toml von regiowerk. Eigene Standards lassen sich mit "
        "„regiowerk access ARBEITSBEREICH --standards DATEI“ ergänzen oder ersetzen (gleicher "
        "Aufbau, gleiche id ersetzt eine mitgelieferte Zeile); dieser Bericht prüft die "
        "Standards, mit denen gerechnet wurde.",
    ]
    if supplied:
        items.append(
            f"E2SFCA: Einzugsbereich {_fmt_limit(E2SFCA_STEPS[-1][0])} Minuten, Gewichte "
            f"{_steps_text()}; Kapazität laut Tabelle facilities (fehlende als 1 gezählt)."
        )
    parts = ["<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"]
    labels = {p.key: f"{p.label} ({p.mode_label})" for p in pairs}
    notes = [
        f"{labels.get(key, key)}: {n}"
        for key, record in meta.items()
        if "/" in key and isinstance(record, dict)
        for n in record.get("notes") or []
    ]
    if notes:
        items_html = "".join(f"<li>{esc(n)}</li>" for n in dict.fromkeys(notes))
        parts.append(f"<p>Hinweise zur Rechnung:</p><ul>{items_html}</ul>")
    box = f'<div class="modellannahmen" style="{_BOX_STYLE}">{"".join(parts)}</div>'
    warnings = [
        f"{labels.get(key, key)}: " + " ".join(str(w) for w in record["warnings"])
        for key, record in meta.items()
        if "/" in key and isinstance(record, dict) and record.get("warnings")
    ]
    return box + "".join(ctx.note(w) for w in warnings)
