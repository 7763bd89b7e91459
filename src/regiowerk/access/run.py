"""Accessibility of a service for a workspace: origins → network → nearest facilities.

Steps (all on the workspace's tables):

1. **Origins**: the cells of ``grid`` (centroids, inhabitants), else the municipalities
   (centroids, latest population). Women aged 15–49 per origin, for the obstetrics closure
   test, are the origin's inhabitants times the share of that age group in its municipality
   (``population``, latest year): an assumption where the grid has no age structure.
2. **Destinations** of the service (:mod:`regiowerk.access.standards`): facilities of the
   kind, hospitals with all required departments (all hospitals, with a note, where the data
   has no departments at all), or the centres of central places (their most populated grid
   cell, else a point inside the municipality).
3. Both are snapped to the network with walking legs (:mod:`regiowerk.access.snap`); the two
   nearest destinations of every origin come from :func:`regiowerk.access.engine.k_nearest`:
   ``minutes = (access leg + network time + egress leg) / 60``.
4. For services with supply (GPs), the enhanced two-step floating catchment area
   (E2SFCA; Luo & Qi 2009) by PySAL ``access``: for facility ``j`` with supply ``S_j``,
   ``R_j = S_j / Σ_k P_k W(t_kj)``; for origin ``i``, ``A_i = Σ_j R_j W(t_ij)``, with the step
   weights ``W`` = 1, 0.68, 0.22 for 0–10, 10–20 and 20–30 minutes and 0 beyond (reported as
   places per 1,000 inhabitants). The times come from one Dijkstra run per facility, or,
   from :data:`HIERARCHY_FROM` distinct facility nodes on, from the bucket algorithm on a
   contraction hierarchy of the network (:mod:`regiowerk.access.hierarchy`; the same times).

Origins off the network, unreachable origins and destinations off the network are counted in
:attr:`AccessResult.warnings`; their time stays missing, never zero.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import access as pysal_access
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.access import engine
from regiowerk.access.hierarchy import Hierarchy
from regiowerk.access.indicators import summary
from regiowerk.access.network import MODE_LABELS, Network, from_roads
from regiowerk.access.snap import Snapped, snap
from regiowerk.access.standards import Catalogue, Service
from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_int
from regiowerk.workspace import Workspace

E2SFCA_STEPS = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
"""Upper bound (minutes) and weight of the E2SFCA zones (Luo & Qi 2009)."""
FCA_SERVICES = ("gp",)
"""Services for which the supply ratio is computed."""
HIERARCHY_FROM = 300
"""Distinct facility nodes from which the E2SFCA matrix uses a contraction hierarchy: its
one-off contraction costs about as much as 350 full Dijkstra runs (synthetic 515,000-node graph,
``benchmarks/access_nearest.py``: 36 s against 0.1 s per run)."""


class AccessError(RegiowerkError):
    """Accessibility cannot be computed from this workspace."""


def origins(workspace: Workspace) -> pd.DataFrame:
    """``origin_id, ags, persons, women_15_49, x, y`` (see the module docstring)."""
    if workspace.has("grid"):
        grid = workspace.load("grid")
        grid = grid[grid["persons"] > 0]
        centre = grid.geometry.centroid
        frame = pd.DataFrame(
            {
                "origin_id": grid["cell_id"].to_numpy(),
                "ags": grid["ags"].to_numpy(),
                "persons": grid["persons"].to_numpy(dtype=float),
                "x": centre.x.to_numpy(),
                "y": centre.y.to_numpy(),
            }
        )
    else:
        municipalities = workspace.load("municipalities")
        totals = workspace.load("population_totals")
        latest = totals[totals["year"] == totals["year"].max()]
        persons = latest.set_index("region")["persons"].astype(float)
        centre = municipalities.geometry.representative_point()
        frame = pd.DataFrame(
            {
                "origin_id": municipalities["ags"].to_numpy(),
                "ags": municipalities["ags"].to_numpy(),
                "persons": persons.reindex(municipalities["ags"]).to_numpy(),
                "x": centre.x.to_numpy(),
                "y": centre.y.to_numpy(),
            }
        )
    if frame.empty:
        raise AccessError("Keine bewohnten Rasterzellen oder Gemeinden im Arbeitsbereich.")
    frame["women_15_49"] = (
        frame["persons"] * _women_share(workspace).reindex(frame["ags"]).to_numpy()
    )
    return frame.reset_index(drop=True)


def _women_share(workspace: Workspace) -> pd.Series:
    """Share of women aged 15–49 in each municipality's population (latest year)."""
    if not workspace.has("population"):
        return pd.Series(dtype=float)
    population = workspace.load("population")
    latest = population[population["year"] == population["year"].max()]
    total = latest.groupby("ags")["persons"].sum()
    women = latest[(latest["sex"] == "f") & latest["age"].between(15, 49)]
    return (women.groupby("ags")["persons"].sum() / total).astype(float)


@dataclass(frozen=True)
class Destinations:
    """Destinations of a service and what the user should know about their selection."""

    frame: pd.DataFrame
    """``facility_id, name, x, y, capacity``"""
    notes: tuple[str, ...] = ()


def destinations(workspace: Workspace, name: str, service: Service) -> Destinations:
    """Facilities or central places of ``service`` (see the module docstring)."""
    if service.centrality:
        return _central_places(workspace, name, service)
    if not workspace.has("facilities"):
        raise AccessError("Tabelle 'facilities' fehlt: keine Einrichtungen im Arbeitsbereich.")
    facilities = workspace.load("facilities")
    rows = facilities[facilities["kind"] == service.kind]
    notes: list[str] = []
    if service.departments and not rows.empty:
        known = rows["departments"].notna()
        if known.any():
            lists = rows["departments"].fillna("").str.split(";")
            has_all = lists.apply(
                lambda d: all(x in [y.strip() for y in d] for x in service.departments)
            )
            rows = rows[has_all]
        else:
            notes.append(
                f"Fachabteilungen der Krankenhäuser unbekannt: alle {fmt_int(len(rows))} "
                f"Krankenhausstandorte als {service.label} gezählt."
            )
    if rows.empty:
        raise AccessError(
            f"Keine Einrichtung für {service.label} ({name}) in der Tabelle 'facilities'."
        )
    capacity = rows["capacity"].astype(float)
    if capacity.isna().any():
        notes.append(
            f"{fmt_int(int(capacity.isna().sum()))} Einrichtungen ohne Kapazität: je 1 gezählt."
        )
    return Destinations(
        pd.DataFrame(
            {
                "facility_id": rows["facility_id"].to_numpy(),
                "name": rows["name"].to_numpy(),
                "x": rows.geometry.x.to_numpy(),
                "y": rows.geometry.y.to_numpy(),
                "capacity": capacity.fillna(1.0).to_numpy(),
            }
        ),
        tuple(notes),
    )


def _central_places(workspace: Workspace, name: str, service: Service) -> Destinations:
    municipalities = workspace.load("municipalities")
    places = municipalities[municipalities["centrality"].isin(service.centrality)]
    if places.empty:
        raise AccessError(
            f"Keine Gemeinde mit der Zentralität {', '.join(service.centrality)} für "
            f"{service.label} ({name})."
        )
    points = places.geometry.representative_point()
    x, y = points.x.to_numpy().copy(), points.y.to_numpy().copy()
    if workspace.has("grid"):
        grid = workspace.load("grid")
        top = grid.sort_values("persons", ascending=False).drop_duplicates("ags").set_index("ags")
        centre = top.geometry.centroid
        for i, ags in enumerate(places["ags"]):
            if ags in centre.index:
                x[i], y[i] = centre.loc[ags].x, centre.loc[ags].y
    return Destinations(
        pd.DataFrame(
            {
                "facility_id": places["ags"].to_numpy(),
                "name": places["name"].to_numpy(),
                "x": x,
                "y": y,
                "capacity": 1.0,
            }
        ),
        ("Zentrum eines zentralen Ortes: seine bevölkerungsreichste Rasterzelle.",),
    )


@dataclass
class AccessResult:
    """Travel times of one service and mode for every origin."""

    service: str
    mode: str
    frame: pd.DataFrame
    """``origin_id, ags, persons, women_15_49, snap_m, minutes, facility_id, second_minutes,
    second_facility_id, supply_ratio``"""
    destinations: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def network_for(workspace: Workspace, mode: str) -> Network:
    """The network of ``mode`` from the workspace's ``roads`` table (largest component)."""
    if not workspace.has("roads"):
        raise AccessError(
            "Tabelle 'roads' fehlt: Straßennetz importieren oder mit --osm DATEI angeben."
        )
    return from_roads(workspace.load("roads"), mode).largest_component()


def compute(
    workspace: Workspace,
    service: str,
    mode: str,
    catalogue: Catalogue,
    network: Network,
) -> AccessResult:
    """Nearest and second-nearest destination for every origin (see the module docstring)."""
    if service not in catalogue.services:
        raise AccessError(
            f"Dienst {service!r} unbekannt (bekannt: {', '.join(catalogue.services)})."
        )
    chosen = destinations(workspace, service, catalogue.services[service])
    points = origins(workspace)
    notes = list(network.notes) + list(chosen.notes)
    warnings: list[str] = []
    near_o = snap(network, points["x"].to_numpy(), points["y"].to_numpy())
    near_d = snap(network, chosen.frame["x"].to_numpy(), chosen.frame["y"].to_numpy())
    off_d = near_d.off_network
    if off_d.any():
        warnings.append(
            f"{fmt_int(int(off_d.sum()))} von {fmt_int(len(off_d))} Zielen liegen mehr als "
            f"2 km vom Netz entfernt und werden nicht erreicht."
        )
    if off_d.all():
        raise AccessError(f"Kein Ziel für {service} liegt am Straßennetz ({mode}).")
    targets = chosen.frame[~off_d].reset_index(drop=True)
    best = engine.k_nearest(network, near_d.node[~off_d], 2, near_d.seconds[~off_d])
    on = ~near_o.off_network
    seconds = np.full((len(points), 2), np.inf)
    which = np.full((len(points), 2), -1)
    seconds[on] = best.seconds[near_o.node[on]] + near_o.seconds[on, None]
    which[on] = best.destination[near_o.node[on]]
    minutes = seconds / 60.0
    ids = pd.Series(targets["facility_id"].to_numpy(dtype=object))
    frame = points[["origin_id", "ags", "persons", "women_15_49"]].assign(
        snap_m=near_o.distance_m,
        minutes=np.where(np.isfinite(minutes[:, 0]), minutes[:, 0], np.nan),
        facility_id=ids.reindex(which[:, 0]).to_numpy(),
        second_minutes=np.where(np.isfinite(minutes[:, 1]), minutes[:, 1], np.nan),
        second_facility_id=ids.reindex(which[:, 1]).to_numpy(),
    )
    lost = frame["minutes"].isna()
    if lost.any():
        off = near_o.off_network
        persons = fmt_int(frame.loc[lost, "persons"].sum())
        warnings.append(
            f"{fmt_int(int(lost.sum()))} Ausgangsorte mit {persons} "
            f"Einwohnern ohne Weg zu {catalogue.services[service].label} "
            f"({MODE_LABELS[mode]}): {fmt_int(int(off.sum()))} mehr als 2 km vom Netz, "
            f"{fmt_int(int((lost & ~off).sum()))} ohne Verbindung."
        )
    far = near_o.distance_m > 500
    if far.any():
        persons = fmt_int(frame.loc[far, "persons"].sum())
        warnings.append(
            f"{fmt_int(int(far.sum()))} Ausgangsorte mit {persons} "
            f"Einwohnern liegen mehr als 500 m vom nächsten Netzknoten; ihr Fußweg zum Netz "
            f"ist in der Zeit enthalten."
        )
    frame["supply_ratio"] = np.nan
    if service in FCA_SERVICES:
        frame["supply_ratio"] = two_step_fca(network, near_o, frame, targets, near_d, ~off_d)
    frame.insert(2, "service", service)
    frame.insert(3, "mode", mode)
    return AccessResult(service, mode, frame, targets, notes, warnings)


def two_step_fca(
    network: Network,
    near_o: Snapped,
    frame: pd.DataFrame,
    targets: pd.DataFrame,
    near_d: Snapped,
    on_network: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """E2SFCA places per 1,000 inhabitants per origin (PySAL ``access``; module docstring)."""
    limit = E2SFCA_STEPS[-1][0] * 60.0
    on = ~near_o.off_network
    times = np.full((len(frame), len(targets)), np.inf)
    many = len(np.unique(near_d.node[on_network])) >= HIERARCHY_FROM
    times[on] = (
        engine.od_matrix(
            network,
            near_o.node[on],
            near_d.node[on_network],
            near_d.seconds[on_network],
            limit=limit,
            hierarchy=Hierarchy.build(network) if many else None,
        )
        + near_o.seconds[on, None]
    )
    o, d = np.nonzero(times <= limit)
    cost = pd.DataFrame({"origin": o, "dest": d, "minutes": times[o, d] / 60.0})
    demand = pd.DataFrame({"origin": np.arange(len(frame)), "persons": frame["persons"]})
    supply = pd.DataFrame({"dest": np.arange(len(targets)), "capacity": targets["capacity"]})
    with warnings.catch_warnings():
        # PySAL access 1.1 calls set_index(inplace=True), deprecated in pandas 3.1
        warnings.filterwarnings("ignore", message="The inplace keyword", module="access")
        model = pysal_access.Access(
            demand_df=demand,
            demand_index="origin",
            demand_value="persons",
            supply_df=supply,
            supply_index="dest",
            supply_value="capacity",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="minutes",
        )
        weights = pysal_access.weights.step_fn(dict(E2SFCA_STEPS))
        result = model.enhanced_two_stage_fca(
            name="e2sfca", weight_fn=weights, max_cost=limit / 60.0
        )
    ratio = result.iloc[:, 0].reindex(demand["origin"]).to_numpy(dtype=float) * 1000.0
    return np.where(on, np.nan_to_num(ratio, nan=0.0), np.nan)


def save_access(workspace: Workspace, results: list[AccessResult], catalogue: Catalogue) -> None:
    """Save ``access`` (rows of the computed services and modes replaced, others kept) and
    ``access_summary`` (recomputed from all rows) together; the provenance keeps the notes
    and warnings per service and mode and, under ``_catalogue``, the standards used."""
    frame = pd.concat([r.frame for r in results], ignore_index=True)
    done = {(r.service, r.mode) for r in results}
    if workspace.has("access"):
        old = workspace.load("access")
        keep = [(s, m) not in done for s, m in zip(old["service"], old["mode"], strict=True)]
        frame = pd.concat([old[keep], frame], ignore_index=True)
    source = "roads" if workspace.has("roads") else "municipalities"
    meta = {f"{r.service}/{r.mode}": {"notes": r.notes, "warnings": r.warnings} for r in results}
    if workspace.has("access"):
        previous = json.loads(workspace.provenance("access").notes or "{}")
        meta = {**previous, **meta}
    meta["_catalogue"] = catalogue.model_dump(mode="json")
    provenance = workspace.provenance(source).derived(
        "regiowerk Erreichbarkeitsmodell (Dijkstra auf dem Straßennetz, E2SFCA)",
        synthetic=workspace.synthetic,
        notes=json.dumps(meta, ensure_ascii=False),
    )
    workspace.save_many(
        {"access": (frame, provenance), "access_summary": (summary(frame), provenance)}
    )
