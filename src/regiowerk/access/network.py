"""Routable networks: directed graphs with travel times in seconds, one per mode.

A :class:`Network` holds node coordinates (EPSG:25832) and directed edges with their travel
time in seconds; :attr:`Network.graph` is the CSR adjacency matrix used by
``scipy.sparse.csgraph``. Parallel edges keep the fastest; explicit zero weights stay edges.
:meth:`Network.largest_component` keeps the largest strongly connected component (Tarjan's
algorithm as implemented in ``scipy.sparse.csgraph.connected_components``), so that every
origin that reaches the network can reach every destination on it.

Networks are built from the ``roads`` table of a workspace (:func:`from_roads`) or from OSM
(:mod:`regiowerk.access.osm_network`), and cached on disk by a hash of their inputs and
parameters (:func:`cached`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph

from regiowerk.access.chains import Chains
from regiowerk.errors import RegiowerkError
from regiowerk.fileio import atomic_path

MODES = ("car", "walk", "bike")
MODE_LABELS = {"car": "Pkw", "walk": "zu Fuß", "bike": "Fahrrad"}
WALK_KMH = 4.5
"""Walking speed of access legs and of the walk network (BBSR and most German accessibility
studies use 4–5 km/h)."""
BIKE_KMH = 15.0
"""Cycling speed on the bike network (everyday cycling, flat terrain)."""

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


class NetworkError(RegiowerkError):
    """A network that cannot be built or used."""


def check_nodes(nodes: IntArray, n_nodes: int, label: str) -> None:
    """Raise :class:`NetworkError` unless every node number lies in ``0 … n_nodes - 1``."""
    outside = (nodes < 0) | (nodes >= n_nodes)
    if outside.any():
        raise NetworkError(
            f"{int(outside.sum())} {label}knoten liegen nicht im Netz "
            f"(z. B. Knoten {int(nodes[outside][0])}; das Netz hat {n_nodes})."
        )


@dataclass(frozen=True)
class Network:
    """Directed graph of one mode; edge ``k`` runs from ``tail[k]`` to ``head[k]``."""

    mode: str
    x: Array
    y: Array
    node_id: IntArray
    """Identifier of each node in its source (OSM node id, ``roads`` node number)."""
    tail: IntArray
    head: IntArray
    seconds: Array
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def from_edges(
        cls,
        mode: str,
        nodes: pd.DataFrame,
        tail_id: NDArray[np.int64],
        head_id: NDArray[np.int64],
        seconds: Array,
        notes: tuple[str, ...] = (),
    ) -> Network:
        """Build from node ids: ``nodes`` has columns ``node_id, x, y``; edges by node id.

        Parallel edges keep the smallest time; edges with non-finite or negative time are an
        error (they would make shortest paths meaningless).
        """
        if mode not in MODES:
            raise NetworkError(f"Verkehrsmittel {mode!r} unbekannt (erlaubt: {', '.join(MODES)}).")
        seconds = np.asarray(seconds, dtype=float)
        bad = ~np.isfinite(seconds) | (seconds < 0)
        if bad.any():
            raise NetworkError(
                f"{int(bad.sum())} Kanten mit ungültiger Fahrzeit (negativ oder fehlend), "
                f"z. B. von Knoten {int(tail_id[bad][0])} nach {int(head_id[bad][0])}."
            )
        ids = nodes["node_id"].to_numpy(dtype=np.int64)
        order = np.argsort(ids)
        position = order[np.searchsorted(ids, tail_id, sorter=order)]
        position_head = order[np.searchsorted(ids, head_id, sorter=order)]
        if not (
            np.array_equal(ids[position], tail_id) and np.array_equal(ids[position_head], head_id)
        ):
            raise NetworkError("Kanten verweisen auf Knoten, die in der Knotentabelle fehlen.")
        keep = position != position_head  # loops never shorten a path
        tail, head, secs = position[keep], position_head[keep], seconds[keep]
        # fastest of parallel edges: sort by (tail, head, seconds), keep first of each pair
        sort = np.lexsort((secs, head, tail))
        tail, head, secs = tail[sort], head[sort], secs[sort]
        first = np.ones(len(tail), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        return cls(
            mode,
            nodes["x"].to_numpy(dtype=float),
            nodes["y"].to_numpy(dtype=float),
            ids,
            tail[first],
            head[first],
            secs[first],
            notes,
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @cached_property
    def graph(self) -> sp.csr_matrix:
        """Adjacency matrix ``A[tail, head] = seconds`` (explicit zeros are edges)."""
        n = self.n_nodes
        return sp.csr_matrix((self.seconds, (self.tail, self.head)), shape=(n, n))

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """Transposed adjacency: Dijkstra from a destination on it gives times *to* it."""
        return self.graph.T.tocsr()

    @cached_property
    def chains(self) -> Chains:
        """Junctions and street chains of :attr:`reverse` (for multi-source searches)."""
        return Chains.build(self.reverse, self.graph)

    def largest_component(self) -> Network:
        """The largest strongly connected component (node order kept), with a note."""
        count, labels = csgraph.connected_components(self.graph, directed=True, connection="strong")
        if count <= 1:
            return self
        largest = np.argmax(np.bincount(labels))
        keep = labels == largest
        index = np.full(self.n_nodes, -1)
        index[keep] = np.arange(int(keep.sum()))
        edges = keep[self.tail] & keep[self.head]
        dropped = self.n_nodes - int(keep.sum())
        note = (
            f"{dropped} von {self.n_nodes} Knoten liegen außerhalb der größten stark "
            f"zusammenhängenden Komponente ({count} Komponenten) und wurden entfernt."
        )
        return Network(
            self.mode,
            self.x[keep],
            self.y[keep],
            self.node_id[keep],
            index[self.tail[edges]],
            index[self.head[edges]],
            self.seconds[edges],
            (*self.notes, note),
        )

    def save(self, path: Path) -> None:
        """Write to ``path`` (npz), atomically."""
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            np.savez(
                handle,
                x=self.x,
                y=self.y,
                node_id=self.node_id,
                tail=self.tail,
                head=self.head,
                seconds=self.seconds,
                meta=np.array(json.dumps({"mode": self.mode, "notes": list(self.notes)})),
            )

    @classmethod
    def load(cls, path: Path) -> Network:
        """Read a network written by :meth:`save`."""
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            return cls(
                meta["mode"],
                data["x"],
                data["y"],
                data["node_id"],
                data["tail"],
                data["head"],
                data["seconds"],
                tuple(meta["notes"]),
            )


def cache_key(inputs: list[Path], parameters: dict[str, Any]) -> str:
    """SHA-256 over the input files' contents and the parameters (sorted JSON)."""
    digest = hashlib.sha256()
    for path in inputs:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def cached(folder: Path | None, key: str, build: Callable[[], Network]) -> Network:
    """The network stored under ``key`` in ``folder``, else ``build()`` and store it."""
    if folder is None:
        return build()
    path = folder / f"network-{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"
    if path.is_file():
        return Network.load(path)
    network = build()
    folder.mkdir(parents=True, exist_ok=True)
    network.save(path)
    return network


def from_roads(roads: pd.DataFrame, mode: str) -> Network:
    """A network from a ``roads`` table (demo or imported): nodes at the line ends.

    Car time is ``length / speed_kmh``; walking and cycling use :data:`WALK_KMH` and
    :data:`BIKE_KMH` on all roads except motorways, in both directions. One-way roads
    (``oneway``) are directed for cars only.
    """
    if roads.empty:
        raise NetworkError("Tabelle 'roads' ist leer: kein Straßennetz.")
    start = roads.geometry.apply(lambda line: line.coords[0])
    end = roads.geometry.apply(lambda line: line.coords[-1])
    nodes = (
        pd.DataFrame(
            {
                "node_id": np.concatenate([roads["from_node"], roads["to_node"]]),
                "x": [c[0] for c in start] + [c[0] for c in end],
                "y": [c[1] for c in start] + [c[1] for c in end],
            }
        )
        .drop_duplicates("node_id")
        .sort_values("node_id")
        .reset_index(drop=True)
    )
    rows = roads if mode == "car" else roads[roads["road_class"] != "motorway"]
    length = rows["length_m"].to_numpy(dtype=float)
    if mode == "car":
        speed = rows["speed_kmh"].to_numpy(dtype=float)
    else:
        speed = np.full(len(rows), WALK_KMH if mode == "walk" else BIKE_KMH)
    seconds = length / (speed / 3.6)
    a = rows["from_node"].to_numpy(dtype=np.int64)
    b = rows["to_node"].to_numpy(dtype=np.int64)
    both = ~rows["oneway"].to_numpy(dtype=bool) if mode == "car" else np.ones(len(rows), bool)
    tail = np.concatenate([a, b[both]])
    head = np.concatenate([b, a[both]])
    return Network.from_edges(mode, nodes, tail, head, np.concatenate([seconds, seconds[both]]))
