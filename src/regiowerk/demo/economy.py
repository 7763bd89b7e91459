"""Jobs by WZ 2008 section (2018, 2023) and commuter flows (2023).

Method
------
* **Employed residents** (SV-Beschäftigte am Wohnort), :func:`employed_residents`:
  ``E_i = round(e · P_i(15–64))`` with ``e`` = employees per inhabitant aged 15–64 in
  Dithmarschen (2019).
* **Jobs** (SV-Beschäftigte am Arbeitsort) 2023: the region is treated as a closed labour
  market, so the jobs add up to the employed residents, ``Σ J = Σ E`` (Dithmarschen has 0.87
  jobs per employed resident; its out-commuters to other Kreise have no counterpart in a
  closed commuter matrix). Jobs are spread by weights ``P_i · c_i · exp(N(0, 0.25))`` with
  job intensity ``c`` = 1.7 (Mittelzentrum, towns), 1.0 (Grundzentren), 0.5 (villages);
  largest remainder.
* **Sections**: the ten Dithmarschen section groups (2020) are split into the 21 sections A–U
  with :data:`SECTION_SPLITS` (C within B–E calibrated, the other splits assumed). Expected
  jobs ``J_i · s_g · m_{c,g}`` with centrality multipliers :data:`CENTRAL_MULTIPLIERS` are
  fitted to the municipal totals and the regional section totals by iterative proportional
  fitting and rounded with controlled rounding (both margins kept).
* **2018** jobs: ``J_2023 / γ_g · exp(N(0, 0.03))`` per municipality and section, rounded, with
  ``γ_g`` the Dithmarschen growth factor 2015→2020 of the section's group.
* **Commuters** 2023: the flows within a municipality are set first,
  ``T_ii = min(k_i E_i, 0.9 J_i)`` with self-containment ``k_i`` drawn by role
  (:data:`SELF_CONTAINMENT`: the Mittelzentrum keeps 55–65 % of its resident workers,
  villages 15–30 %). The flows between municipalities follow a doubly constrained gravity
  model (Wilson 1971, "A family of spatial interaction models, and associated developments",
  *Environment and Planning* 3, 1–32), ``T_ij = A_i B_j exp(−β c_ij)`` for ``i ≠ j`` with row
  sums ``E_i − T_ii`` and column sums ``J_j − T_jj``, balanced by iterative proportional
  fitting (Furness); ``c_ij`` is the car time on the road network, ``β = 0.1 / min``.
  Treating intrazonal trips separately is a common remedy for their poorly defined cost (see
  Ortúzar & Willumsen, *Modelling Transport*, on trip distribution). Controlled rounding
  keeps both margins exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.demo.rounding import controlled_round, largest_remainder

SECTIONS = tuple("ABCDEFGHIJKLMNOPQRSTU")
SECTION_SPLITS: dict[str, dict[str, float]] = {
    "A": {"A": 1.0},
    "B-E": {"B": 0.10, "D": 0.25, "E": 0.65},  # share of B–E without C (C is calibrated)
    "F": {"F": 1.0},
    "G-I": {"G": 0.58, "H": 0.24, "I": 0.18},
    "J": {"J": 1.0},
    "K": {"K": 1.0},
    "L": {"L": 1.0},
    "M-N": {"M": 0.45, "N": 0.55},
    "O-Q": {"O": 0.22, "P": 0.18, "Q": 0.60},
    "R-U": {"R": 0.20, "S": 0.75, "T": 0.05, "U": 0.0},
}
"""Assumed shares of the sections within each calibrated group (rural Kreis, SV employment)."""

CENTRAL_MULTIPLIERS: dict[str, dict[str, float]] = {
    "mittel": {
        "A": 0.15,
        "C": 0.9,
        "F": 0.8,
        "G": 1.2,
        "H": 1.1,
        "I": 1.2,
        "J": 1.8,
        "K": 1.8,
        "L": 1.4,
        "M": 1.5,
        "N": 1.4,
        "O": 1.6,
        "P": 1.3,
        "Q": 1.5,
        "R": 1.3,
        "S": 1.2,
    },
    "grund": {"A": 0.8, "C": 1.1, "F": 1.1, "G": 1.1, "J": 0.8, "K": 1.0, "O": 0.9, "Q": 0.9},
    "none": {
        "A": 3.0,
        "C": 1.0,
        "F": 1.4,
        "G": 0.6,
        "H": 0.9,
        "I": 0.8,
        "J": 0.3,
        "K": 0.3,
        "L": 0.5,
        "M": 0.5,
        "N": 0.6,
        "O": 0.4,
        "P": 0.6,
        "Q": 0.4,
        "R": 0.6,
        "S": 0.7,
    },
}
"""Assumed location multipliers by centrality (1 where not listed): services concentrate in
central places, agriculture and construction in villages."""

JOB_INTENSITY = {"mittel": 1.7, "grund": 1.0, "none": 0.5}
SELF_CONTAINMENT = {
    "centre": (0.55, 0.65),
    "town": (0.45, 0.60),
    "grund": (0.28, 0.40),
    "village": (0.15, 0.30),
}
"""Range of the share of resident workers who work in their own municipality, by role."""
BETA_PER_MINUTE = 0.1


@dataclass(frozen=True)
class Economy:
    """``employment`` (2018, 2023) and ``commuters`` (2023) tables."""

    employment: pd.DataFrame
    commuters: pd.DataFrame


def employed_residents(population: pd.DataFrame, year: int, rate: float) -> pd.Series:
    """SV employees living in each municipality: ``round(rate · persons aged 15–64)``.

    Index: ``ags`` (sorted); ``rate`` is employees per inhabitant aged 15–64.
    """
    working = population[(population["year"] == year) & population["age"].between(15, 64)]
    counts = working.groupby("ags")["persons"].sum().sort_index()
    return (counts * rate).round().astype("int64").rename("employed")


def section_shares(cal: dict[str, Any]) -> dict[str, float]:
    """Regional share of every section A–U: calibrated group shares × assumed splits."""
    block = cal["employment"]
    shares = dict.fromkeys(SECTIONS, 0.0)
    for group, share in zip(block["groups"], block["shares"], strict=True):
        if group == "B-E":
            c = float(block["manufacturing_share_of_b_e"])
            shares["C"] += share * c
            for section, part in SECTION_SPLITS[group].items():
                shares[section] += share * (1 - c) * part
        else:
            for section, part in SECTION_SPLITS[group].items():
                shares[section] += share * part
    total = sum(shares.values())
    return {s: v / total for s, v in shares.items()}


def _section_growth(cal: dict[str, Any]) -> dict[str, float]:
    block = cal["employment"]
    growth = dict(zip(block["groups"], block["growth_5y"], strict=True))
    out = {"C": growth["B-E"]}
    for group, parts in SECTION_SPLITS.items():
        for section in parts:
            out[section] = growth[group]
    return out


def build_economy(
    rng: np.random.Generator,
    places: pd.DataFrame,
    population: pd.DataFrame,
    minutes: NDArray[np.float64],
    cal: dict[str, Any],
    base_year: int,
) -> Economy:
    """Employment by section and the commuter matrix (see the module docstring)."""
    ags = places["ags"].to_numpy()
    centrality = places["centrality"].to_numpy()
    rate = float(cal["labour_market"]["employees_per_resident_15_64"])
    employed = employed_residents(population, base_year, rate).loc[ags].to_numpy()
    residents = population[population["year"] == base_year].groupby("ags")["persons"].sum()
    weights = (
        residents.loc[ags].to_numpy()
        * np.array([JOB_INTENSITY[c] for c in centrality])
        * np.exp(rng.normal(0, 0.25, len(ags)))
    )
    jobs = largest_remainder(weights, int(employed.sum()))

    shares = section_shares(cal)
    expected = np.array(
        [
            [jobs[i] * shares[s] * CENTRAL_MULTIPLIERS[centrality[i]].get(s, 1.0) for s in SECTIONS]
            for i in range(len(ags))
        ]
    )
    section_totals = largest_remainder(np.array([shares[s] for s in SECTIONS]), int(jobs.sum()))
    by_section = controlled_round(_ipf(expected, jobs.astype(float), section_totals.astype(float)))

    growth = _section_growth(cal)
    gamma = np.array([growth[s] for s in SECTIONS])
    earlier = np.rint(by_section / gamma[None, :] * np.exp(rng.normal(0, 0.03, by_section.shape)))

    parts: list[pd.DataFrame] = [
        _employment_table(ags, base_year - 5, earlier),
        _employment_table(ags, base_year, by_section),
    ]
    employment = (
        pd.concat(parts)
        .sort_values(["region", "year", "sector"], kind="stable")
        .reset_index(drop=True)
    )

    flows = _commuter_flows(rng, places["role"].to_numpy(), employed, jobs, minutes)
    origin, dest = np.nonzero(flows)
    commuters = (
        pd.DataFrame(
            {
                "origin": ags[origin],
                "dest": ags[dest],
                "year": base_year,
                "persons": flows[origin, dest].astype(float),
                "suppressed": False,
                "remainder": False,
            }
        )
        .sort_values(["origin", "dest", "year"], kind="stable")
        .reset_index(drop=True)
    )
    return Economy(employment=employment, commuters=commuters)


def _commuter_flows(
    rng: np.random.Generator,
    roles: NDArray[Any],
    employed: NDArray[np.int64],
    jobs: NDArray[np.int64],
    minutes: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Integer OD matrix: fixed intrazonal flows plus a doubly constrained gravity model."""
    share = np.array([rng.uniform(*SELF_CONTAINMENT[r]) for r in roles])
    keep = np.minimum(share * employed, 0.9 * jobs)
    deterrence = np.exp(-BETA_PER_MINUTE * minutes)
    np.fill_diagonal(deterrence, 0.0)
    between = _ipf(deterrence, employed - keep, jobs - keep)
    return controlled_round(between + np.diag(keep))


def _ipf(
    seed: NDArray[np.float64], rows: NDArray[np.float64], cols: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Scale ``seed`` to row sums ``rows`` and column sums ``cols`` (Furness / IPF).

    Alternating ``x_ij ← x_ij · r_i / Σ_j x_ij`` and ``x_ij ← x_ij · c_j / Σ_i x_ij`` until the
    row sums are within 1e-9 of their targets; the margins must have equal totals.
    """
    x = seed.astype(float).copy()
    for _ in range(10_000):
        row_sums = x.sum(axis=1)
        x *= np.divide(rows, row_sums, out=np.zeros_like(rows), where=row_sums > 0)[:, None]
        col_sums = x.sum(axis=0)
        x *= np.divide(cols, col_sums, out=np.zeros_like(cols), where=col_sums > 0)[None, :]
        if np.abs(x.sum(axis=1) - rows).max() < 1e-9:
            return x
    raise RuntimeError("IPF konvergiert nicht.")


def _employment_table(ags: NDArray[Any], year: int, values: NDArray[Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": np.repeat(ags, len(SECTIONS)),
            "year": year,
            "sector": np.tile(SECTIONS, len(ags)),
            "persons": values.ravel().astype(float),
        }
    )
