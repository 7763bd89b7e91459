"""Attach origins and destinations to the network.

Each point is snapped to the nearest network node (Euclidean, ``scipy.spatial.cKDTree``) and
gets an access (or egress) leg of ``distance / walking speed``: nobody drives from the middle
of a grid cell, and a facility beside the road is reached on foot from the car park. Points
farther than ``max_distance`` from any node are not snapped (node ``-1``) and are reported,
never given a silent time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from regiowerk.access.network import WALK_KMH, Network

Array = NDArray[np.float64]
MAX_SNAP_M = 2_000.0
"""Farther than this from every node, a point counts as off the network."""


@dataclass(frozen=True)
class Snapped:
    """Nearest node (-1: off the network), distance (m) and access-leg time (s) per point."""

    node: NDArray[np.int64]
    distance_m: Array
    seconds: Array

    @property
    def off_network(self) -> NDArray[np.bool_]:
        """Points farther than the snapping limit from every node."""
        return self.node < 0


def snap(
    network: Network,
    x: Array,
    y: Array,
    *,
    max_distance: float = MAX_SNAP_M,
    walk_kmh: float = WALK_KMH,
) -> Snapped:
    """Snap points ``(x, y)`` (EPSG:25832) to ``network`` (see the module docstring)."""
    tree = cKDTree(np.column_stack([network.x, network.y]))
    distance, node = tree.query(np.column_stack([x, y]), k=1)
    far = ~(distance <= max_distance)
    node = np.where(far, -1, node).astype(np.int64)
    seconds = np.where(far, np.inf, distance / (walk_kmh / 3.6))
    return Snapped(node, np.asarray(distance, dtype=float), seconds)
