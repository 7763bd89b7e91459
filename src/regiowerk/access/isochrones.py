"""Isochrones: the area from which a destination is reached within given minutes.

Method: one Dijkstra run on the reversed graph from the destination's node (with its egress
walk) gives the time from every node to the destination; for each limit ``T`` the edges whose
two end nodes are reached within ``T`` are kept and, with the reached nodes, buffered by
``buffer_m`` metres and merged (``shapely.union_all``). This "buffered network" polygon, as in
OSMnx's isochrone example, follows the roads instead of drawing a convex hull over areas that
no road serves; the buffer stands for the last metres walked from the road.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csgraph

from regiowerk.access.network import Network
from regiowerk.access.snap import snap
from regiowerk.errors import RegiowerkError
from regiowerk.schema import CRS

BUFFER_M = 150.0


def isochrones(
    network: Network,
    x: float,
    y: float,
    minutes: Sequence[float],
    *,
    buffer_m: float = BUFFER_M,
) -> gpd.GeoDataFrame:
    """Polygons (one row per limit, ascending) of the area reaching ``(x, y)`` in time."""
    limits = sorted(float(m) for m in minutes)
    if not limits or limits[0] <= 0:
        raise RegiowerkError("Isochronen brauchen positive Minutenwerte.")
    target = snap(network, np.array([x]), np.array([y]))
    if target.off_network[0]:
        raise RegiowerkError(f"Ziel ({x:.0f}, {y:.0f}) liegt nicht am Straßennetz.")
    seconds = csgraph.dijkstra(
        network.reverse,
        directed=True,
        indices=int(target.node[0]),
        limit=limits[-1] * 60.0 - float(target.seconds[0]),
    )
    seconds = seconds + float(target.seconds[0])
    geometries = []
    for limit in limits:
        reached = seconds <= limit * 60.0
        edges = reached[network.tail] & reached[network.head]
        lines = (
            shapely.linestrings(
                np.stack(
                    [
                        np.column_stack(
                            [network.x[network.tail[edges]], network.y[network.tail[edges]]]
                        ),
                        np.column_stack(
                            [network.x[network.head[edges]], network.y[network.head[edges]]]
                        ),
                    ],
                    axis=1,
                )
            )
            if edges.any()
            else np.array([], dtype=object)
        )
        points = shapely.points(network.x[reached], network.y[reached])
        parts = np.concatenate([shapely.buffer(lines, buffer_m), shapely.buffer(points, buffer_m)])
        geometries.append(shapely.union_all(parts))
    return gpd.GeoDataFrame({"minutes": limits}, geometry=geometries, crs=CRS)
