"""Cut a region out of Germany-wide tables by a selection of Land, Kreis and municipality keys.

A selection may cross Land borders (``01051`` Dithmarschen + ``15085`` Landkreis Harz). Two
relations decide which rows a region keeps:

* a key lies **inside** the selection when it starts with a selected key (municipality
  ``01051044`` is inside ``01051``);
* a key **overlaps** the selection when it is inside, or when it is a larger unit that contains
  part of the selection (Land ``01`` and Kreis ``01051`` overlap the selection ``01051044``), or
  when it is ``DG`` (Germany). Rows of overlapping larger units are kept as context: a
  shift-share analysis needs the national figures, a projection the Land rates.

Per table: municipal tables (``ags``) keep rows inside; regional tables (``region``, ``kreis``)
keep overlapping rows; commuter flows keep every flow that starts or ends inside; facilities
and grid cells without a municipality key are placed by point-in-polygon on the selected
municipalities' boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd

from regiowerk.errors import RegiowerkError
from regiowerk.schema import table_spec


class SelectionError(RegiowerkError):
    """A selection that selects nothing or cannot be applied."""


class Selection:
    """A set of Land (2), Kreis (5) and municipality (8 digits) keys."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(dict.fromkeys(str(k) for k in keys))
        if not self.keys:
            raise SelectionError("Die Gebietsauswahl ist leer.")

    def inside(self, keys: pd.Series) -> pd.Series:
        """True where a key lies within a selected unit."""
        text = keys.astype("string")
        hit = pd.Series(False, index=keys.index)
        for key in self.keys:
            hit |= text.str.startswith(key).fillna(False).astype(bool)
        return hit

    def overlaps(self, keys: pd.Series) -> pd.Series:
        """True where a key is inside, contains part of the selection, or is ``DG``."""
        text = keys.astype("string")
        hit = self.inside(keys) | (text == "DG").fillna(False).astype(bool)
        for key in self.keys:
            prefixes = {key[:n] for n in (2, 3, 5) if n < len(key)}
            hit |= text.isin(list(prefixes)).fillna(False).astype(bool)
        return hit


def _place_by_polygon(frame: gpd.GeoDataFrame, shapes: gpd.GeoDataFrame) -> pd.Series:
    """AGS of the municipality containing each feature's representative point (or missing)."""
    points = gpd.GeoDataFrame(
        geometry=frame.geometry.representative_point(), index=frame.index, crs=frame.crs
    )
    joined = gpd.sjoin(points, shapes[["ags", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["ags"].reindex(frame.index)


def select_tables(
    tables: Mapping[str, pd.DataFrame], selection: Selection
) -> dict[str, pd.DataFrame]:
    """The rows of every table that belong to the region (see the module docstring).

    Raises :class:`SelectionError` when the selection matches no municipality in a table that
    has municipal rows (a mistyped key should not produce an empty workspace silently).
    """
    out: dict[str, pd.DataFrame] = {}
    shapes = tables.get("municipalities")
    if shapes is not None:
        shapes = shapes[selection.inside(shapes["ags"])]
    for name, frame in tables.items():
        spec = table_spec(name)
        columns = set(spec.column_names)
        if name == "commuters":
            keep = selection.inside(frame["origin"]) | selection.inside(frame["dest"])
        elif "ags" in columns and name not in ("facilities", "grid"):
            keep = selection.inside(frame["ags"])
            if not keep.any() and len(frame):
                shown = ", ".join(selection.keys)
                raise SelectionError(
                    f"Die Auswahl {shown} trifft keine Zeile der Tabelle {name!r} "
                    f"({spec.title}); Schlüssel prüfen."
                )
        elif name in ("facilities", "grid"):
            ags = frame["ags"].copy()
            missing = ags.isna()
            if missing.any() and shapes is not None and len(shapes):
                ags[missing] = _place_by_polygon(frame[missing], shapes)
            frame = frame.assign(ags=ags)
            keep = selection.inside(ags.fillna(""))
        elif "region" in columns:
            keep = selection.overlaps(frame["region"])
        elif "kreis" in columns:
            keep = selection.overlaps(frame["kreis"])
        elif spec.spatial and shapes is not None and len(shapes):
            region = cast(gpd.GeoDataFrame, shapes).union_all()
            keep = cast(gpd.GeoDataFrame, frame).intersects(region)
        else:
            keep = pd.Series(np.ones(len(frame), dtype=bool), index=frame.index)
        out[name] = frame[keep.to_numpy()].reset_index(drop=True)
    return out
