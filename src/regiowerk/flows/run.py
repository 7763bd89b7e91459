"""Commuting balance, travel-to-work areas and a community comparator on a workspace.

:func:`run_flows` reads ``commuters`` (one year; municipal or Kreis level, whichever the table
holds, municipalities preferred), computes the ``commuting`` table
(:mod:`regiowerk.flows.commuting`), travel-to-work areas with one or more parameter sets
(:mod:`regiowerk.flows.ttwa`; method ``ttwa`` for the chosen/default parameters, ``ttwa-ons``
for the ONS preset) with contiguity fine-tuning when the workspace has the polygons of the
areas, and Leiden communities as comparator (:mod:`regiowerk.flows.leiden`; ``louvain`` when
leidenalg is not installed). :func:`save_flows` writes ``commuting``, ``functional_regions``
and ``functional_region_quality`` together; the modularity of every partition, the parameters
and the remarks go into the provenance notes (JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regiowerk.errors import RegiowerkError
from regiowerk.flows import leiden as comparator
from regiowerk.flows.commuting import CommutingResult, commuting
from regiowerk.flows.ttwa import PRESETS, RESERVE, TTWAParams, TTWAResult, ttwa
from regiowerk.workspace import Workspace

Progress = Callable[[str], None]
METHOD_OF_PRESET = {"default": "ttwa", "ons": "ttwa-ons"}


class FlowsError(RegiowerkError):
    """Flows cannot be computed from this workspace."""


@dataclass
class Partition:
    """One set of functional regions: assignment, quality and modularity."""

    method: str
    assignment: pd.DataFrame
    """``region, method, region_id``."""
    quality: pd.DataFrame
    """Rows of ``functional_region_quality``."""
    modularity: float
    params: TTWAParams | None = None
    ttwa: TTWAResult | None = None
    note: str = ""


@dataclass
class FlowsResult:
    commuting: CommutingResult
    partitions: list[Partition]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def regions_frame(self) -> pd.DataFrame:
        return pd.concat([p.assignment for p in self.partitions], ignore_index=True)

    def quality_frame(self) -> pd.DataFrame:
        return pd.concat([p.quality for p in self.partitions], ignore_index=True)


def _lands(keys: pd.Series) -> str:
    return ";".join(sorted({str(k)[:2] for k in keys}))


def quality_table(
    keys: Sequence[str],
    region_id: np.ndarray,
    method: str,
    result: CommutingResult,
    params: TTWAParams,
) -> pd.DataFrame:
    """``functional_region_quality`` rows of any partition (``meets`` judged with ``params``)."""
    flows = result.flows
    frame = pd.DataFrame({"region": list(keys), "region_id": region_id})
    codes, regions = pd.factorize(frame["region_id"], sort=True)
    coo = flows.matrix.tocoo()
    inside = codes[coo.row] == codes[coo.col]
    k = len(regions)
    internal = np.bincount(codes[coo.row[inside]], weights=coo.data[inside], minlength=k)
    residents = np.bincount(codes, weights=flows.residents, minlength=k)
    jobs = np.bincount(codes, weights=flows.jobs, minlength=k)
    members = np.bincount(codes, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "region_id": list(regions),
                "method": method,
                "members": members.astype("int64"),
                "residents": residents,
                "jobs": jobs,
                "sc_supply": np.where(residents > 0, internal / residents, np.nan),
                "sc_demand": np.where(jobs > 0, internal / jobs, np.nan),
                "meets": params.valid(residents, jobs, internal),
                "lands": frame.groupby(codes)["region"].agg(_lands).reindex(range(k)).to_list(),
            }
        )
    reserve = out["region_id"] == RESERVE
    out.loc[reserve, ["sc_supply", "sc_demand"]] = np.nan
    out.loc[reserve, "meets"] = False
    return out.sort_values("residents", ascending=False, kind="stable").reset_index(drop=True)


def neighbours(workspace: Workspace, level: int, keys: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of areas whose polygons touch (from ``municipalities`` or ``kreise``); empty when
    the workspace has no polygons of that level."""
    table, column = ("municipalities", "ags") if level == 8 else ("kreise", "kreis")
    if not workspace.has(table):
        return []
    polygons = workspace.load(table)
    polygons = polygons[polygons[column].isin(set(keys))].reset_index(drop=True)
    left, right = polygons.sindex.query(polygons.geometry, predicate="intersects")
    names = polygons[column].to_numpy()
    return [(str(names[a]), str(names[b])) for a, b in zip(left, right, strict=True) if a < b]


def _named_regions(keys: Sequence[str], labels: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """Community numbers → id of the member with the most jobs."""
    frame = pd.DataFrame({"key": list(keys), "label": labels, "jobs": jobs})
    focus = frame.sort_values(["label", "jobs", "key"], ascending=[True, False, True])
    names = focus.drop_duplicates("label").set_index("label")["key"]
    return frame["label"].map(names).to_numpy(dtype=object)


def run_flows(
    workspace: Workspace,
    year: int | None = None,
    params: TTWAParams | None = None,
    *,
    presets: Sequence[str] = ("default", "ons"),
    level: int | None = None,
    contiguity: bool = True,
    compare: bool = True,
    progress: Progress | None = None,
) -> FlowsResult:
    """Commuting table, TTWAs (``params`` as method ``ttwa``, else the presets) and the
    community comparator (see the module docstring)."""
    step = progress or (lambda _: None)
    if not workspace.has("commuters"):
        raise FlowsError(
            "Tabelle 'commuters' (Pendler) fehlt im Arbeitsbereich: BA-Pendlerdaten "
            "(Pendlerverflechtungen) oder eine Pendlermatrix importieren."
        )
    step("Pendlerbilanz")
    commuters = workspace.load("commuters")
    known: list[str] | None = None
    lengths = commuters.loc[~commuters["remainder"], "origin"].str.len()
    chosen_level = level or (8 if (lengths == 8).any() else 5)
    table, column = ("municipalities", "ags") if chosen_level == 8 else ("kreise", "kreis")
    if workspace.has(table):
        known = workspace.load(table)[column].astype(str).tolist()
    result = commuting(commuters, year=year, level=chosen_level, known=known)
    keys = result.flows.keys
    pairs = neighbours(workspace, result.level, keys) if contiguity else []
    runs: list[tuple[str, TTWAParams]] = []
    if params is not None:
        runs.append(("ttwa", params))
        runs += [(METHOD_OF_PRESET[p], PRESETS[p]) for p in presets if p != "default"]
    else:
        runs += [(METHOD_OF_PRESET[p], PRESETS[p]) for p in presets]
    partitions: list[Partition] = []
    notes: list[str] = []
    for method, chosen in runs:
        step(f"Arbeitsmarktregionen ({method})")
        found = ttwa(
            result.flows.matrix,
            keys,
            chosen,
            residents=result.flows.residents,
            jobs=result.flows.jobs,
            neighbours=pairs or None,
        )
        labels = pd.factorize(found.region_id)[0]
        labels = np.where(found.region_id == RESERVE, -1, labels)
        assignment = found.assignment().assign(method=method)[["region", "method", "region_id"]]
        partitions.append(
            Partition(
                method,
                assignment,
                quality_table(keys, found.region_id, method, result, chosen),
                comparator.modularity(result.flows.matrix, labels),
                chosen,
                found,
            )
        )
        if found.reserve:
            notes.append(
                f"{method}: {len(found.reserve)} Gebiete ließen sich keiner gültigen Region "
                f"zuordnen (Reserveliste): {', '.join(found.reserve[:8])}"
                + (" …" if len(found.reserve) > 8 else "")
            )
    if compare:
        step("Vergleich: Community-Erkennung")
        found_c = comparator.communities(result.flows.matrix)
        region_id = _named_regions(keys, found_c.labels, result.flows.jobs)
        reference = runs[0][1] if runs else PRESETS["default"]
        assignment = pd.DataFrame({"region": list(keys), "method": found_c.method})
        assignment["region_id"] = region_id
        partitions.append(
            Partition(
                found_c.method,
                assignment,
                quality_table(keys, region_id, found_c.method, result, reference),
                comparator.modularity(result.flows.matrix, found_c.labels),
                note=found_c.note,
            )
        )
        if found_c.note:
            notes.append(found_c.note)
    return FlowsResult(
        result, partitions, notes=[*result.messages, *notes], warnings=list(result.warnings)
    )


def save_flows(workspace: Workspace, result: FlowsResult) -> None:
    """Save ``commuting`` (rows of the year replaced), ``functional_regions`` and
    ``functional_region_quality`` (rows of the computed methods replaced) together."""
    frame = result.commuting.frame
    if workspace.has("commuting"):
        old = workspace.load("commuting")
        frame = pd.concat([old[old["year"] != result.commuting.year], frame], ignore_index=True)
    regions, quality = result.regions_frame(), result.quality_frame()
    methods = {p.method for p in result.partitions}
    if workspace.has("functional_regions"):
        old = workspace.load("functional_regions")
        regions = pd.concat([old[~old["method"].isin(methods)], regions], ignore_index=True)
    if workspace.has("functional_region_quality"):
        old = workspace.load("functional_region_quality")
        quality = pd.concat([old[~old["method"].isin(methods)], quality], ignore_index=True)
    meta = {
        "year": result.commuting.year,
        "level": result.commuting.level,
        "suppressed_cells": result.commuting.suppressed_cells,
        "methods": {
            p.method: {
                "modularity": p.modularity,
                "params": (
                    {
                        "minSC": p.params.min_sc,
                        "tarSC": p.params.tar_sc,
                        "minSZ": p.params.min_sz,
                        "tarSZ": p.params.tar_sz,
                    }
                    if p.params
                    else None
                ),
                "reserve": p.ttwa.reserve if p.ttwa else [],
                "moved_for_contiguity": p.ttwa.moved_for_contiguity if p.ttwa else 0,
            }
            for p in result.partitions
        },
        "notes": result.notes,
        "warnings": result.warnings,
    }
    provenance = workspace.provenance("commuters").derived(
        "regiowerk Pendlerbilanz und funktionale Regionen (Coombes–Bond-Verfahren, "
        "Community-Vergleich)",
        synthetic=workspace.synthetic,
        notes=json.dumps(meta, ensure_ascii=False),
    )
    workspace.save_many(
        {
            "commuting": (frame, provenance),
            "functional_regions": (regions, provenance),
            "functional_region_quality": (quality, provenance),
        }
    )
