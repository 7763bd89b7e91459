"""Commuting balance per municipality or Kreis from the ``commuters`` table.

Notation: ``T_od`` persons living in ``o`` (residence, origin) and working in ``d`` (workplace,
destination) in one year; the analysis units ``U`` are the keys of one level (8-digit
municipalities or 5-digit Kreise).

* residents ``R_i = Σ_d T_id`` (all rows with origin ``i``, including remainder rows
  "Übrige …" and flows to keys outside ``U``);
* jobs ``W_i = Σ_o T_oi``;
* internal ``I_i = T_ii`` (living and working in ``i``);
* out-commuters ``O_i = R_i − I_i``, in-commuters ``E_i = W_i − I_i``, balance ``E_i − O_i``;
* self-containment on the supply (residence) side ``sc_supply = I_i / R_i`` and on the demand
  (workplace) side ``sc_demand = I_i / W_i`` (missing when the denominator is 0);
* ``cross_land``: share of ``E_i + O_i`` whose other end lies in another Land: Land = first
  two digits of the key; ``DG`` ("übrige Bundesländer") and ``XA`` (abroad) count as crossing;
* ``main_destination``: the named destination (no remainder row, not ``i`` itself) with the
  largest out-flow; ties go to the smaller key.

Remainder rows carry the enclosing region on one side. They count toward the residents of
their origin and the jobs of their destination when that is a unit, but are never a named
destination. Suppressed cells (``suppressed = True``, persons missing) are counted and reported;
their persons are unknown and missing from all sums (the BA suppresses values of 1 or 2 and
cells from which such a value could be derived, so each holds at least one person). Negative
flows and duplicate origin/destination rows are errors naming the row; flows to or from keys
that the workspace does not know are kept as flows to/from outside and reported with counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_int

OUTSIDE_LAND = ("DG", "XA")
"""Partner keys that always lie in another Land (rest of Germany, abroad)."""


class FlowError(RegiowerkError):
    """Commuter flows that cannot be used as they are."""


@dataclass
class FlowMatrix:
    """Flows between the analysis units plus what leaves or enters from outside.

    ``matrix[i, j]`` = persons living in ``keys[i]`` and working in ``keys[j]`` (CSR);
    ``out_external[i]`` persons of ``i`` working outside ``keys`` (remainder rows, unknown
    keys, other level); ``in_external[j]`` likewise for jobs.
    """

    keys: tuple[str, ...]
    matrix: sparse.csr_matrix
    out_external: np.ndarray
    in_external: np.ndarray

    @property
    def residents(self) -> np.ndarray:
        return np.asarray(self.matrix.sum(axis=1)).ravel() + self.out_external

    @property
    def jobs(self) -> np.ndarray:
        return np.asarray(self.matrix.sum(axis=0)).ravel() + self.in_external


@dataclass
class CommutingResult:
    """The ``commuting`` table, the unit matrix and the remarks for the user."""

    frame: pd.DataFrame
    flows: FlowMatrix
    year: int
    level: int
    suppressed_cells: int = 0
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def choose_year(commuters: pd.DataFrame, year: int | None) -> int:
    """``year`` if present in ``commuters``, else the latest year (error when absent)."""
    years = sorted(int(y) for y in commuters["year"].unique())
    if not years:
        raise FlowError("Die Tabelle 'commuters' (Pendler) enthält keine Zeilen.")
    if year is None:
        return years[-1]
    if year not in years:
        shown = ", ".join(str(y) for y in years)
        raise FlowError(f"Pendler für das Jahr {year} fehlen (vorhanden: {shown}).")
    return year


def _level(rows: pd.DataFrame, level: int | None) -> int:
    if level is not None:
        if level not in (5, 8):
            raise FlowError(f"Ebene {level} unbekannt: 8 (Gemeinden) oder 5 (Kreise).")
        return level
    named = rows.loc[~rows["remainder"], "origin"].str.len()
    counts = named[named.isin([5, 8])].value_counts()
    if counts.empty:
        raise FlowError(
            "Keine Verflechtungen zwischen Gemeinden (8-stellig) oder Kreisen (5-stellig) in "
            "der Tabelle 'commuters'."
        )
    return int(counts.index[0]) if len(counts) == 1 else (8 if counts.get(8, 0) else 5)


def check_rows(rows: pd.DataFrame) -> None:
    """Negative flows and duplicate origin/destination rows are errors naming the row."""
    negative = rows["persons"] < 0
    if negative.any():
        index = rows.index[negative.to_numpy()][0]
        row = rows.loc[index]
        raise FlowError(
            f"Negative Pendlerzahl in Zeile {index}: {row['origin']} → {row['dest']} "
            f"({row['persons']:g} Personen, Jahr {row['year']}); Pendlerzahlen können nicht "
            f"negativ sein."
        )
    twice = rows.duplicated(["origin", "dest", "year", "remainder"], keep=False)
    if twice.any():
        lines = list(rows.index[twice.to_numpy()][:2])
        row = rows.loc[lines[0]]
        raise FlowError(
            f"Die Verflechtung {row['origin']} → {row['dest']} ({row['year']}) steht doppelt "
            f"(Zeilen {lines[0]} und {lines[1]}); jede Verflechtung darf nur einmal vorkommen."
        )


def flow_matrix(
    commuters: pd.DataFrame,
    *,
    year: int | None = None,
    level: int | None = None,
    known: Iterable[str] | None = None,
) -> tuple[FlowMatrix, int, int, list[str], list[str], pd.DataFrame]:
    """The unit matrix of one year and level; returns ``(flows, year, level, messages,
    warnings, rows used)``. ``known`` are the keys of the workspace (None: every key of the
    level in the table is a unit)."""
    year = choose_year(commuters, year)
    rows = commuters[commuters["year"] == year]
    rows = rows.assign(
        persons=pd.to_numeric(rows["persons"], errors="coerce").astype("float64"),
        suppressed=rows["suppressed"].astype(bool),
        remainder=rows["remainder"].astype(bool),
    )
    check_rows(rows)
    level = _level(rows, level)
    messages: list[str] = []
    warnings: list[str] = []
    secret = rows["suppressed"].astype(bool) | rows["persons"].isna()
    if secret.any():
        warnings.append(
            f"{int(secret.sum())} Pendlerzellen {year} sind geheim gehalten ('*'): die Zahl der "
            f"Personen darin ist unbekannt (mindestens {fmt_int(int(secret.sum()))}, je Zelle "
            f"meist 1 oder 2) und fehlt in allen Summen."
        )
    rows = rows[~secret]
    o_len, d_len = rows["origin"].str.len(), rows["dest"].str.len()
    candidates = set(rows.loc[(o_len == level) & ~rows["remainder"], "origin"]) | set(
        rows.loc[(d_len == level) & ~rows["remainder"], "dest"]
    )
    if known is not None:
        known_set = {k for k in known if len(k) == level}
        unknown = rows[
            ~rows["remainder"]
            & (
                ((o_len == level) & ~rows["origin"].isin(known_set))
                | ((d_len == level) & ~rows["dest"].isin(known_set))
            )
        ]
        if not unknown.empty:
            keys = sorted(
                (set(unknown["origin"]) | set(unknown["dest"])) - known_set - set(OUTSIDE_LAND)
            )
            keys = [k for k in keys if len(k) == level]
            shown = ", ".join(keys[:5]) + (" …" if len(keys) > 5 else "")
            warnings.append(
                f"{len(unknown)} Verflechtungen mit {fmt_int(unknown['persons'].sum())} Personen "
                f"betreffen {len(keys)} Gebiete, die der Arbeitsbereich nicht kennt ({shown}); "
                f"sie zählen als Pendeln von bzw. nach außerhalb."
            )
        units = sorted(candidates & known_set)
    else:
        units = sorted(candidates)
    if not units:
        raise FlowError("Keine Pendler zwischen bekannten Gebieten gefunden.")
    index = pd.Index(units)
    o_pos = index.get_indexer(pd.Index(rows["origin"]))
    d_pos = index.get_indexer(pd.Index(rows["dest"]))
    named = ~rows["remainder"].to_numpy()
    persons = rows["persons"].to_numpy(dtype="float64")
    inside = named & (o_pos >= 0) & (d_pos >= 0)
    n = len(units)
    matrix = sparse.csr_matrix(
        (persons[inside], (o_pos[inside], d_pos[inside])), shape=(n, n), dtype="float64"
    )
    out_mask = (o_pos >= 0) & ~inside
    in_mask = (d_pos >= 0) & ~inside
    out_external = np.bincount(o_pos[out_mask], weights=persons[out_mask], minlength=n)
    in_external = np.bincount(d_pos[in_mask], weights=persons[in_mask], minlength=n)
    if int(rows["remainder"].sum()):
        messages.append(
            f"{int(rows['remainder'].sum())} Restzeilen ('Übrige …', Ausland) mit "
            f"{fmt_int(rows.loc[rows['remainder'], 'persons'].sum())} Personen zählen zu "
            f"Wohnort- bzw. Arbeitsortbeschäftigten, aber zu keinem genannten Ziel."
        )
    if matrix.diagonal().sum() == 0:
        warnings.append(
            "Die Pendlerdaten enthalten keine Binnenpendler (Wohn- und Arbeitsort gleich): "
            "Eigenversorgungsgrade sind dann 0 und funktionale Regionen nicht aussagekräftig. "
            "Binnenpendler ergänzen, z. B. mit with_internal_flows() aus den Beschäftigten am "
            "Arbeits- und Wohnort."
        )
    return (
        FlowMatrix(tuple(units), matrix, out_external, in_external),
        year,
        level,
        messages,
        warnings,
        rows,
    )


def land_of(keys: pd.Series) -> pd.Series:
    """Land of a flow key (first two digits; ``DG``/``XA`` stay as they are)."""
    return keys.where(keys.isin(OUTSIDE_LAND), keys.str[:2])


def commuting(
    commuters: pd.DataFrame,
    *,
    year: int | None = None,
    level: int | None = None,
    known: Iterable[str] | None = None,
) -> CommutingResult:
    """The ``commuting`` table (see the module docstring for the formulas)."""
    flows, year, level, messages, warnings, rows = flow_matrix(
        commuters, year=year, level=level, known=known
    )
    keys = pd.Index(flows.keys)
    residents, jobs = flows.residents, flows.jobs
    internal = flows.matrix.diagonal()
    out_c, in_c = residents - internal, jobs - internal
    # Land crossings over all rows (named and remainder) with a unit at one end
    pairs = rows[rows["origin"] != rows["dest"]]
    crossing = land_of(pairs["origin"]) != land_of(pairs["dest"])
    cross = np.zeros(len(keys))
    for side in ("origin", "dest"):
        pos = keys.get_indexer(pd.Index(pairs[side]))
        ok = pos >= 0
        weights = (pairs["persons"] * crossing).to_numpy()[ok]
        cross += np.bincount(pos[ok], weights=weights, minlength=len(keys))
    # main destination: largest named out-flow to another key (ties: smaller key)
    named = pairs[~pairs["remainder"] & pairs["origin"].isin(keys)]
    named = named.sort_values(["origin", "persons", "dest"], ascending=[True, False, True])
    main = named.drop_duplicates("origin").set_index("origin")["dest"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame(
            {
                "region": list(keys),
                "year": year,
                "residents": residents,
                "jobs": jobs,
                "internal": internal,
                "in_commuters": in_c,
                "out_commuters": out_c,
                "balance": in_c - out_c,
                "sc_supply": np.where(residents > 0, internal / residents, np.nan),
                "sc_demand": np.where(jobs > 0, internal / jobs, np.nan),
                "cross_land": np.where(in_c + out_c > 0, cross / (in_c + out_c), np.nan),
                "main_destination": main.reindex(keys).to_numpy(dtype=object),
            }
        )
    frame["cross_land"] = frame["cross_land"].clip(0, 1)
    frame["main_destination"] = frame["main_destination"].where(
        frame["main_destination"].notna(), None
    )
    result = CommutingResult(frame, flows, year, level, messages=messages, warnings=warnings)
    of_year = commuters[commuters["year"] == year]
    result.suppressed_cells = int((of_year["suppressed"] | of_year["persons"].isna()).sum())
    return result


def with_internal_flows(
    commuters: pd.DataFrame, *, jobs: pd.Series, residents: pd.Series | None = None
) -> pd.DataFrame:
    """Add the missing diagonal (``origin == dest``) of a matrix without internal flows.

    ``I_i = W_i − E_i`` with ``W_i`` jobs (employees at the workplace, index = key) and
    ``E_i`` the in-commuters in ``commuters``; with ``residents`` as well, the mean of that and
    ``R_i − O_i`` (out-commuters). Negative estimates become 0. Keys already having an internal
    flow are left as they are. Meant for derived matrices such as the 400 × 400 Kreis matrix,
    whose diagonal is empty.
    """
    frame = commuters.copy()
    rows = frame[~frame["remainder"] & frame["persons"].notna()]
    between = rows[rows["origin"] != rows["dest"]]
    have = set(rows.loc[rows["origin"] == rows["dest"], "origin"])
    added = []
    for year in sorted(frame["year"].unique()):
        part = between[between["year"] == year]
        inflow = part.groupby("dest")["persons"].sum()
        estimate = jobs.sub(inflow.reindex(jobs.index).fillna(0.0))
        if residents is not None:
            outflow = part.groupby("origin")["persons"].sum()
            second = residents.sub(outflow.reindex(residents.index).fillna(0.0))
            estimate = pd.concat([estimate, second], axis=1).mean(axis=1)
        estimate = estimate.clip(lower=0.0)
        estimate = estimate[~estimate.index.isin(have)]
        added.append(
            pd.DataFrame(
                {
                    "origin": estimate.index.astype(str),
                    "dest": estimate.index.astype(str),
                    "year": int(year),
                    "persons": estimate.to_numpy(dtype="float64"),
                    "suppressed": False,
                    "remainder": False,
                }
            )
        )
    return pd.concat([frame, *added], ignore_index=True)
