"""Figures of the report: the municipality map and the population pyramid.

Figures are drawn with matplotlib's object-oriented API: a :class:`~matplotlib.figure.Figure`
with its own Agg canvas, never pyplot. Building a report therefore neither switches the pyplot
backend of the host process (a Jupyter session, the web platform) nor leaves open figures
behind, and needs no display. :func:`png_data_uri` turns a figure into a base64 PNG for the
self-contained HTML file.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps, colors, patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter
from matplotlib.transforms import Bbox

from regiowerk.formatting import fmt_float, fmt_int

DPI = 150
"""Resolution of the embedded PNGs: sharp on screen and in print, small enough to embed."""
CM = 1 / 2.54
MALE = "#3b6ea8"
FEMALE = "#c8553d"
NO_DATA = "#d9d9d9"
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
_LINES = {  # legend label: (colour, line width)
    "Gemeindegrenze": ("#8c8c8c", 0.4),
    "Kreisgrenze": ("#262626", 1.5),
    "Landesgrenze": ("black", 3.0),
}
_MUNICIPALITY_EDGE = {
    "edgecolor": _LINES["Gemeindegrenze"][0],
    "linewidth": _LINES["Gemeindegrenze"][1],
}
_LEGEND: dict[str, Any] = {
    "frameon": False,
    "fontsize": 8,
    "title_fontsize": 8.5,
    "alignment": "left",
}
_PLACES = {  # centrality: (legend label, marker, size, font size, font weight), by rank
    "ober": ("Oberzentrum", "s", 7.0, 9.5, "bold"),
    "mittel": ("Mittelzentrum", "o", 6.0, 8.5, "normal"),
    "grund": ("Grundzentrum", "o", 3.5, 7.0, "normal"),
}


def new_figure(width_cm: float, height_cm: float) -> Figure:
    """A figure with constrained layout and its own Agg canvas (no pyplot involved)."""
    fig = Figure(figsize=(width_cm * CM, height_cm * CM), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_data_uri(fig: Figure) -> str:
    """Render ``fig`` as PNG at :data:`DPI` and return it as a ``data:`` URI; clears ``fig``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    fig.clear()
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mark_synthetic(fig: Figure, text: str) -> None:
    """Print ``text`` small and red at the top right, so a copied image keeps the warning."""
    fig.axes[0].set_title(text, loc="right", fontsize=7, color="#b00020")


def _nice_round(value: float) -> float:
    """``value`` rounded to two significant digits (137.4 → 140, 3.42 → 3.4)."""
    if value <= 0:
        return 0.0
    return round(value, 1 - math.floor(math.log10(value)))


def class_breaks(values: pd.Series, classes: int = 5) -> list[float]:
    """Class limits at quantiles of ``values``, rounded to two significant digits.

    The limits separate at most ``classes`` classes; a class ``i`` holds the values from
    ``breaks[i - 1]`` (inclusive) to ``breaks[i]`` (exclusive).
    """
    finite = values[np.isfinite(values)]
    if finite.empty:
        return []
    low, high = float(finite.min()), float(finite.max())
    quantiles = finite.quantile(np.linspace(0, 1, classes + 1)[1:-1])
    return sorted({b for b in map(_nice_round, quantiles) if low < b <= high})


def _fmt_value(value: float) -> str:
    return fmt_int(value) if abs(value) >= 10 else fmt_float(value, 1)


def class_labels(
    breaks: list[float], values: pd.Series, *, fmt: Callable[[float], str] | None = None
) -> list[str]:
    """German legend labels for the classes of ``breaks`` (values formatted with ``fmt``)."""
    fmt = fmt or _fmt_value
    if not breaks:
        return [f"{fmt(values.min())} bis {fmt(values.max())}"]
    labels = [f"unter {fmt(breaks[0])}"]
    labels += [f"{fmt(a)} bis unter {fmt(b)}" for a, b in pairwise(breaks)]
    return [*labels, f"{fmt(breaks[-1])} und mehr"]


def classed_faces(values: pd.Series, breaks: list[float], palette: list[str]) -> list[str]:
    """Fill colour per value: ``palette[k]`` for class ``k`` of ``breaks``, grey if missing."""
    klass = np.searchsorted(breaks, values.to_numpy(), side="right")
    return [palette[k] if np.isfinite(v) else NO_DATA for k, v in zip(klass, values, strict=True)]


def shared_borders(polygons: gpd.GeoSeries) -> gpd.GeoSeries:
    """Lines shared by neighbouring polygons (e.g. the Land border inside a region)."""
    lines = []
    boundaries = list(polygons.boundary)
    for i, first in enumerate(boundaries):
        for second in boundaries[i + 1 :]:
            parts = shapely.get_parts(shapely.line_merge(first.intersection(second)))
            lines += [p for p in parts if p.geom_type in ("LineString", "MultiLineString")]
    return gpd.GeoSeries(lines, crs=polygons.crs)


def scale_bar(ax: Axes) -> None:
    """A black-and-white scale bar in km in the lower left corner of a metric map."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    target_km = (x1 - x0) / 1000 / 5
    magnitude = 10 ** math.floor(math.log10(target_km))
    length_km = max(s * magnitude for s in (1, 2, 5) if s * magnitude <= target_km)
    left, bottom, height = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0), 0.012 * (y1 - y0)
    half = length_km * 500
    for i, face in enumerate(("black", "white")):
        ax.add_patch(
            Rectangle(
                (left + i * half, bottom),
                half,
                height,
                facecolor=face,
                edgecolor="black",
                linewidth=0.6,
                zorder=6,
            )
        )
    for x, text in ((left, "0"), (left + 2 * half, f"{fmt_int(length_km)} km")):
        ax.text(
            x,
            bottom + 1.6 * height,
            text,
            ha="center",
            va="bottom",
            fontsize=7,
            path_effects=_HALO,
            zorder=6,
        )


def _north_arrow(ax: Axes) -> None:
    """An arrow with "N" in the lower right corner (grid north of EPSG:25832)."""
    ax.annotate(
        "N",
        xy=(0.97, 0.12),
        xytext=(0.97, 0.025),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.4, "mutation_scale": 14},
        path_effects=_HALO,
        zorder=6,
    )


Legend = tuple[list[Artist], list[str]]
"""Handles and labels of a legend."""


def municipality_map(
    municipalities: gpd.GeoDataFrame,
    *,
    values: pd.Series | None,
    legend_title: str,
    title: str,
) -> Figure:
    """Map of the municipalities, coloured by ``values`` in classes when given.

    ``municipalities`` needs the canonical columns ``name``, ``kreis``, ``land`` and
    ``centrality``; ``values`` is aligned to its index. See :func:`filled_map` for the layout.
    """
    if values is None:
        return filled_map(municipalities, face=NO_DATA, legend=None, legend_title="", title=title)
    face, legend = _choropleth(values)
    return filled_map(
        municipalities, face=face, legend=legend, legend_title=legend_title, title=title
    )


def filled_map(
    municipalities: gpd.GeoDataFrame,
    *,
    face: str | list[str],
    legend: Legend | None,
    legend_title: str,
    title: str,
) -> Figure:
    """Map of the municipalities with the given fill colours and class legend.

    Kreis borders are drawn stronger than municipality borders, Land borders inside the region
    strongest; Ober-, Mittel- and Grundzentren are marked and labelled, except where a name
    would overlap a more important one. A scale bar and a north arrow complete the map.
    """
    minx, miny, maxx, maxy = municipalities.total_bounds
    width, height = maxx - minx, maxy - miny
    fig = new_figure(17, min(max(12.0 * height / width + 2, 9), 22))
    ax = fig.add_subplot()
    municipalities.plot(ax=ax, color=face, **_MUNICIPALITY_EDGE)
    if legend is not None:
        handles, labels = legend
        fig.legend(handles, labels, title=legend_title, loc="outside right upper", **_LEGEND)
    border_handles, border_labels = _borders(ax, municipalities)
    (place_handles, place_labels), names = _central_places(ax, municipalities)
    fig.legend(
        border_handles + place_handles,
        border_labels + place_labels,
        title="Kartenzeichen",
        loc="outside right lower",
        **_LEGEND,
    )
    ax.set_xlim(minx - 0.04 * width, maxx + 0.04 * width)
    ax.set_ylim(miny - 0.16 * height, maxy + 0.02 * height)  # room for scale bar and arrow
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10, loc="left")
    scale_bar(ax)
    _north_arrow(ax)
    _declutter(fig, names)
    return fig


def class_legend(colours: list[str], labels: list[str], *, missing: bool) -> Legend:
    """Legend entries for classed fills (plus "keine Angabe" when values are missing)."""
    handles: list[Artist] = [Patch(facecolor=c, edgecolor="#999999") for c in colours]
    labels = list(labels)
    if missing:
        handles.append(Patch(facecolor=NO_DATA, edgecolor="#999999"))
        labels.append("keine Angabe")
    return handles, labels


def _choropleth(values: pd.Series) -> tuple[list[str], Legend]:
    """Fill colours by class of ``values`` and the class legend."""
    breaks = class_breaks(values)
    shades = colormaps["YlOrRd"](np.linspace(0.1, 0.85, len(breaks) + 1))
    palette = [colors.to_hex(c) for c in shades]
    face = classed_faces(values, breaks, palette)
    legend = class_legend(palette, class_labels(breaks, values), missing=bool(values.isna().any()))
    return face, legend


def _borders(ax: Axes, municipalities: gpd.GeoDataFrame) -> Legend:
    """Draw Kreis borders and the Land borders inside the region; return their legend."""
    kreise = municipalities.dissolve(by="kreis").geometry.boundary
    kreise.plot(ax=ax, color=_LINES["Kreisgrenze"][0], linewidth=_LINES["Kreisgrenze"][1])
    shown = ["Gemeindegrenze", "Kreisgrenze"]
    laender = shared_borders(municipalities.dissolve(by="land").geometry)
    if not laender.empty:
        laender.plot(ax=ax, color=_LINES["Landesgrenze"][0], linewidth=_LINES["Landesgrenze"][1])
        shown.append("Landesgrenze")
    handles: list[Artist] = [
        Line2D([], [], color=_LINES[k][0], linewidth=_LINES[k][1]) for k in shown
    ]
    return handles, shown


def _central_places(ax: Axes, municipalities: gpd.GeoDataFrame) -> tuple[Legend, list[Text]]:
    """Mark and label Ober-, Mittel- and Grundzentren.

    Returns the legend of the symbols and the name labels, most important first.
    """
    points = municipalities.representative_point()
    handles: list[Artist] = []
    labels: list[str] = []
    names: list[Text] = []
    for level, (label, marker, size, fontsize, weight) in _PLACES.items():
        chosen = (municipalities["centrality"] == level).to_numpy()
        if not chosen.any():
            continue
        symbol: dict[str, Any] = {
            "marker": marker,
            "markersize": size,
            "color": "black",
            "markeredgecolor": "white",
        }
        xs, ys = points[chosen].x.to_numpy(), points[chosen].y.to_numpy()
        ax.plot(xs, ys, linestyle="none", markeredgewidth=0.8, zorder=4, **symbol)
        names += [
            ax.annotate(
                name,
                (x, y),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=fontsize,
                fontweight=weight,
                path_effects=_HALO,
                zorder=5,
            )
            for x, y, name in zip(xs, ys, municipalities["name"][chosen], strict=True)
        ]
        handles.append(Line2D([], [], linestyle="none", **symbol))
        labels.append(label)
    return (handles, labels), names


def _declutter(fig: Figure, names: list[Text]) -> None:
    """Remove name labels that would overlap a more important one (earlier in ``names``)."""
    fig.draw_without_rendering()  # runs the layout, so that the extents are final
    placed: list[Bbox] = []
    for name in names:
        extent = name.get_window_extent().padded(2)
        if any(extent.overlaps(other) for other in placed):
            name.remove()
        else:
            placed.append(extent)


def persons_by_age(rows: pd.DataFrame, sex: str) -> pd.Series:
    """Persons of ``sex`` by age from long rows (``sex``, ``age``, ``persons``), for pyramids."""
    return rows[rows["sex"] == sex].groupby("age")["persons"].sum()


def population_pyramid(
    men: pd.Series,
    women: pd.Series,
    *,
    year: int,
    earlier: tuple[int, pd.Series, pd.Series] | None = None,
) -> Figure:
    """Population pyramid by single year of age: men left, women right, absolute numbers.

    ``men`` and ``women`` are persons indexed by age 0..100 (100 = 100 and older). ``earlier``
    (year, men, women) is drawn as an outline for comparison.
    """
    ages = np.arange(101)
    men, women = men.reindex(ages, fill_value=0), women.reindex(ages, fill_value=0)
    fig = new_figure(16, 12)
    ax = fig.add_subplot()
    ax.barh(ages, -men.to_numpy(), height=1.0, color=MALE, linewidth=0)
    ax.barh(ages, women.to_numpy(), height=1.0, color=FEMALE, linewidth=0)
    handles: list[Artist] = [Patch(color=MALE), Patch(color=FEMALE)]
    labels = [f"Männer {year}", f"Frauen {year}"]
    widest = max(men.max(), women.max())
    if earlier is not None:
        old_year, old_men, old_women = earlier
        old_men = old_men.reindex(ages, fill_value=0)
        old_women = old_women.reindex(ages, fill_value=0)
        edges = np.arange(-0.5, 101.5)
        for values in (-old_men.to_numpy(), old_women.to_numpy()):
            outline = ax.stairs(
                values,
                edges,
                orientation="horizontal",
                baseline=None,
                color="#222222",
                linewidth=0.9,
            )
        handles.append(outline)
        labels.append(f"{old_year} (Umriss)")
        widest = max(widest, old_men.max(), old_women.max())
    limit = float(widest) * 1.08 or 1.0
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-0.5, 100.5)
    ax.axvline(0, color="white", linewidth=0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_int(abs(v))))
    ax.yaxis.set_major_locator(FixedLocator(range(0, 101, 10)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: "100+" if v >= 100 else f"{v:.0f}"))
    ax.set_xlabel("Personen je Altersjahr", fontsize=9)
    ax.set_ylabel("Alter in Jahren", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for side, (x, text) in enumerate(((0.02, "Männer"), (0.98, "Frauen"))):
        ax.text(
            x,
            0.98,
            text,
            transform=ax.transAxes,
            ha=("left", "right")[side],
            va="top",
            fontsize=10,
            fontweight="bold",
            color=(MALE, FEMALE)[side],
        )
    ax.set_title(f"Altersaufbau am 31.12.{year}", fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    return fig
