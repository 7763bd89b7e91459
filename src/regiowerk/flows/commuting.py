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
destination. Suppressed cells (``suppressed = True``, persons missing) are counted and reported,
in total and per area (:attr:`CommutingResult.suppressed_by_region`, the areas with the most
cells also in the warnings); their persons are unknown and missing from all sums (the BA
suppresses values of 1 or 2 and cells from which such a value could be derived, so each holds
at least one person). A row flagged as suppressed that nevertheless carries a value is treated
as suppressed: the flag wins, the value is not used, and the warning counts such rows and their
persons. A row without a value and without the flag is left out and reported separately.
Negative flows and duplicate origin/destination rows are errors naming the row.

No row is dropped silently: rows with keys of another level (e.g. a Kreis ``03991`` in a
municipality workspace) or keys the workspace does not know count as flows to/from outside
when the other end is a unit, and are left out when no end is a unit; both are reported in the
warnings with counts, persons and examples, as are any other rows touching no unit. Areas
without jobs, without residents or without internal flow are named in the warnings too.
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
    suppressed_by_region: pd.DataFrame | None = None
    """Suppressed or empty cells per area (see :func:`suppressed_by_region`); the areas with
    the most are also named in :attr:`warnings`."""
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
    flagged = rows["suppressed"].to_numpy()
    blank = rows["persons"].isna().to_numpy()
    secret = flagged | blank
    secret_rows = rows[secret]
    warnings += _secret_warnings(rows, flagged, blank, year)
    rows = rows[~secret]
    o_len, d_len = rows["origin"].str.len(), rows["dest"].str.len()
    candidates = set(rows.loc[(o_len == level) & ~rows["remainder"], "origin"]) | set(
        rows.loc[(d_len == level) & ~rows["remainder"], "dest"]
    )
    known_set = None if known is None else {k for k in known if len(k) == level}
    units = sorted(candidates if known_set is None else candidates & known_set)
    if not units:
        raise FlowError("Keine Pendler zwischen bekannten Gebieten gefunden.")
    index = pd.Index(units)
    o_pos = index.get_indexer(pd.Index(rows["origin"]))
    d_pos = index.get_indexer(pd.Index(rows["dest"]))
    named = ~rows["remainder"].to_numpy()
    persons = rows["persons"].to_numpy(dtype="float64")
    touches = (o_pos >= 0) | (d_pos >= 0)
    # keys of another level (neither the analysis level nor DG/XA) in named rows
    other_o = (o_len != level).to_numpy() & ~rows["origin"].isin(OUTSIDE_LAND).to_numpy()
    other_d = (d_len != level).to_numpy() & ~rows["dest"].isin(OUTSIDE_LAND).to_numpy()
    other = named & (other_o | other_d)
    if other.any():
        warnings.append(_other_level_warning(rows[other], touches[other], level))
    reported = other.copy()
    if known_set is not None:
        unknown_o = (o_len == level).to_numpy() & ~rows["origin"].isin(known_set).to_numpy()
        unknown_d = (d_len == level).to_numpy() & ~rows["dest"].isin(known_set).to_numpy()
        unknown = named & ~other & (unknown_o | unknown_d)
        if unknown.any():
            part = rows[unknown]
            keys = sorted((set(part["origin"]) | set(part["dest"])) - known_set - set(OUTSIDE_LAND))
            keys = [k for k in keys if len(k) == level]
            warnings.append(
                f"{len(part)} Verflechtungen mit {fmt_int(part['persons'].sum())} Personen "
                f"betreffen {len(keys)} Gebiete, die der Arbeitsbereich nicht kennt "
                f"({_shown(keys)}); {_split(part, touches[unknown])}."
            )
        reported |= unknown
    rest = ~touches & ~reported
    if rest.any():
        part = rows[rest]
        warnings.append(
            f"{len(part)} weitere Verflechtungen mit {fmt_int(part['persons'].sum())} Personen "
            f"berühren kein Gebiet der Analyse ({_shown(_pairs(part))}) und bleiben "
            f"unberücksichtigt."
        )
    inside = named & (o_pos >= 0) & (d_pos >= 0)
    n = len(units)
    matrix = sparse.csr_matrix(
        (persons[inside], (o_pos[inside], d_pos[inside])), shape=(n, n), dtype="float64"
    )
    out_mask = (o_pos >= 0) & ~inside
    in_mask = (d_pos >= 0) & ~inside
    out_external = np.bincount(o_pos[out_mask], weights=persons[out_mask], minlength=n)
    in_external = np.bincount(d_pos[in_mask], weights=persons[in_mask], minlength=n)
    rest_rows = rows[~named & touches]
    if len(rest_rows):
        messages.append(
            f"{len(rest_rows)} Restzeilen ('Übrige …', Ausland) mit "
            f"{fmt_int(rest_rows['persons'].sum())} Personen zählen zu "
            f"Wohnort- bzw. Arbeitsortbeschäftigten, aber zu keinem genannten Ziel."
        )
    warnings += _suppressed_by_region(secret_rows, index, year)
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


SHOWN = 5
"""Keys or rows named in a warning; the rest is counted."""
SHOWN_REGIONS = 20
"""Areas listed with their count of suppressed cells."""


def _shown(items: list[str], limit: int = SHOWN) -> str:
    return ", ".join(items[:limit]) + (" …" if len(items) > limit else "")


def _pairs(rows: pd.DataFrame) -> list[str]:
    """``origin → dest (persons)`` of the rows with the most persons first."""
    ordered = rows.sort_values(["persons", "origin", "dest"], ascending=[False, True, True])
    return [
        f"{o} → {d}: {fmt_int(p)}"
        for o, d, p in zip(ordered["origin"], ordered["dest"], ordered["persons"], strict=True)
    ]


def _split(rows: pd.DataFrame, touches: np.ndarray) -> str:
    """How many of ``rows`` count as flows from/to outside and how many are left out."""
    counted, left = rows[touches], rows[~touches]
    if left.empty:
        return (
            "sie haben ein Gebiet der Analyse am anderen Ende und zählen dort als Pendeln von "
            "bzw. nach außerhalb"
        )
    if counted.empty:
        return "sie berühren kein Gebiet der Analyse und bleiben unberücksichtigt"
    parts = []
    if len(counted):
        parts.append(
            f"{len(counted)} davon ({fmt_int(counted['persons'].sum())} Personen) haben ein "
            f"Gebiet der Analyse am anderen Ende und zählen dort als Pendeln von bzw. nach "
            f"außerhalb"
        )
    if len(left):
        parts.append(
            f"{len(left)} ({fmt_int(left['persons'].sum())} Personen) berühren kein Gebiet der "
            f"Analyse und bleiben unberücksichtigt"
        )
    return "; ".join(parts)


def _other_level_warning(rows: pd.DataFrame, touches: np.ndarray, level: int) -> str:
    label = "Gemeinden (8-stellig)" if level == 8 else "Kreise (5-stellig)"
    return (
        f"{len(rows)} Verflechtungen mit {fmt_int(rows['persons'].sum())} Personen haben "
        f"Schlüssel einer anderen Ebene als der analysierten ({label}): {_shown(_pairs(rows))}; "
        f"{_split(rows, touches)}."
    )


def _secret_warnings(
    rows: pd.DataFrame, flagged: np.ndarray, blank: np.ndarray, year: int
) -> list[str]:
    """Suppressed cells (their value, if any, is not used) and cells without a value."""
    warnings = []
    if flagged.any():
        count = int(flagged.sum())
        text = (
            f"{count} Pendlerzellen {year} sind geheim gehalten ('*'): die Zahl der Personen "
            f"darin ist unbekannt (je Zelle mindestens 1, zusammen also mindestens "
            f"{fmt_int(count)}; primär geheim gehaltene Zellen enthalten 1 oder 2 Personen, "
            f"sekundär geheim gehaltene auch mehr) und fehlt in allen Summen."
        )
        valued = flagged & ~blank
        if valued.any():
            text += (
                f" {int(valued.sum())} dieser Zellen haben trotzdem einen Wert (zusammen "
                f"{fmt_int(rows.loc[valued, 'persons'].sum())} Personen); die Kennzeichnung "
                f"gilt, der Wert wird nicht verwendet."
            )
        warnings.append(text)
    empty = blank & ~flagged
    if empty.any():
        warnings.append(
            f"{int(empty.sum())} Pendlerzellen {year} haben keinen Wert, ohne als geheim "
            f"gekennzeichnet zu sein; sie fehlen in allen Summen."
        )
    return warnings


def suppressed_by_region(secret: pd.DataFrame, units: pd.Index) -> pd.DataFrame:
    """Cells without a value per unit: ``residence`` (the unit is the origin), ``workplace``
    (the unit is the destination) and ``cells`` (either; an internal cell counts once),
    indexed by key, only units with at least one such cell, most cells first."""
    counts = pd.DataFrame(
        {
            "residence": secret["origin"].value_counts().reindex(units, fill_value=0),
            "workplace": secret["dest"].value_counts().reindex(units, fill_value=0),
            "internal": secret.loc[secret["origin"] == secret["dest"], "origin"]
            .value_counts()
            .reindex(units, fill_value=0),
        },
        index=units,
    )
    counts["cells"] = counts["residence"] + counts["workplace"] - counts["internal"]
    counts = counts[counts["cells"] > 0].drop(columns="internal")
    return counts.sort_values("cells", ascending=False, kind="stable")


def _suppressed_by_region(secret: pd.DataFrame, units: pd.Index, year: int) -> list[str]:
    if secret.empty:
        return []
    counts = suppressed_by_region(secret, units.sort_values())
    touching = secret["origin"].isin(units) | secret["dest"].isin(units)
    top = counts.head(SHOWN_REGIONS)
    shown = [
        f"{key}: {c} ({r} als Wohnort, {w} als Arbeitsort)"
        for key, c, r, w in zip(
            top.index,
            top["cells"].astype(int),
            top["residence"].astype(int),
            top["workplace"].astype(int),
            strict=True,
        )
    ]
    text = (
        f"Geheim gehaltene oder leere Pendlerzellen {year} je Gebiet ({len(counts)} Gebiete "
        f"betroffen, die meisten zuerst): " + "; ".join(shown)
    )
    if len(counts) > SHOWN_REGIONS:
        text += f"; … und {len(counts) - SHOWN_REGIONS} weitere Gebiete"
    text += "."
    if (~touching).any():
        text += f" {int((~touching).sum())} weitere solche Zellen berühren kein Gebiet der Analyse."
    return [text]


def _empty_areas(frame: pd.DataFrame, any_internal: bool) -> list[str]:
    """Areas without jobs, residents or (when the data have internal flows at all) internal
    flows."""
    warnings = []
    checks = [
        (
            "jobs",
            "ohne Arbeitsplätze (keine Beschäftigten am Arbeitsort)",
            "die Eigenversorgung am Arbeitsort ist dort leer, die am Wohnort 0",
        ),
        (
            "residents",
            "ohne Wohnortbeschäftigte",
            "die Eigenversorgung am Wohnort ist dort leer, die am Arbeitsort 0",
        ),
    ]
    if any_internal:
        checks.append(
            (
                "internal",
                "ohne Binnenpendler (niemand wohnt und arbeitet im selben Gebiet)",
                "ihre Eigenversorgung ist 0",
            )
        )
    for column, label, effect in checks:
        keys = frame.loc[frame[column] <= 0, "region"].tolist()
        if keys:
            warnings.append(f"{len(keys)} Gebiete {label}: {_shown(keys)}; {effect}.")
    return warnings


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
    warnings += _empty_areas(frame, bool(internal.sum() > 0))
    result = CommutingResult(frame, flows, year, level, messages=messages, warnings=warnings)
    of_year = commuters[commuters["year"] == year]
    secret = of_year["suppressed"].astype(bool) | of_year["persons"].isna()
    result.suppressed_cells = int(secret.sum())
    result.suppressed_by_region = suppressed_by_region(of_year[secret], keys)
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
