"""Facts realised by a generated demo region, named like the calibration facts.

:func:`summarise` recomputes from the tables of a :class:`~regiowerk.demo.DemoRegion` the
quantities stored in ``calibration.toml`` (keys ``block.name``), so that
``tools/calibrate_demo.py`` can print target and result side by side, plus a few structural
figures without an official counterpart (keys ``structure.*``).

Definitions: shares refer to the base year 2023; fertility and migration rates pool the years
2020–2023 with the mean of the stocks at the start and the end of each year as exposure; life
expectancy and q(x) at the anchor ages come from the generator's death probabilities
(``rates``), life expectancy with ``L_x = (l_x + l_{x+1}) / 2`` and ``L_100 = l_100 / q_100``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from regiowerk.ags import land_abbreviation
from regiowerk.demo.calibration import load_calibration

if TYPE_CHECKING:
    from regiowerk.demo.generator import DemoRegion

Fact = float | list[float]

SECTION_GROUPS = {
    "A": "A",
    "B": "B-E",
    "C": "B-E",
    "D": "B-E",
    "E": "B-E",
    "F": "F",
    "G": "G-I",
    "H": "G-I",
    "I": "G-I",
    "J": "J",
    "K": "K",
    "L": "L",
    "M": "M-N",
    "N": "M-N",
    "O": "O-Q",
    "P": "O-Q",
    "Q": "O-Q",
    "R": "R-U",
    "S": "R-U",
    "T": "R-U",
    "U": "R-U",
}
GROUPS = ["A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U"]
MIGRATION_GROUP_STARTS = [0, 18, 25, 30, 50, 65]


def summarise(region: DemoRegion) -> dict[str, Fact]:
    """Realised facts of ``region`` keyed ``block.name`` (see the module docstring)."""
    t = region.tables
    year = region.base_year
    pop = t["population"]
    now = pop[pop["year"] == year]
    total = float(now["persons"].sum())
    facts: dict[str, Fact] = {}

    bands = (now["age"].clip(upper=99) // 5) * 5
    by_band = now.groupby([bands, "sex"])["persons"].sum().unstack("sex")
    facts["age_structure.male_permille"] = _rounded(1000 * by_band["m"] / total, 1)
    facts["age_structure.female_permille"] = _rounded(1000 * by_band["f"] / total, 1)
    facts["age_structure.share_65plus"] = round(
        now.loc[now["age"] >= 65, "persons"].sum() / total, 3
    )
    facts["age_structure.share_80plus"] = round(
        now.loc[now["age"] >= 80, "persons"].sum() / total, 3
    )
    facts["age_structure.median_age"] = round(_median_age(now), 1)

    facts.update(_fertility(pop, t["births"]))
    facts.update(_life_expectancy(t["rates"]))
    facts.update(_housing(t["households"], t["dwellings"], total))
    facts.update(_employment(t["employment"], year))
    facts.update(_commuting(region, now))
    facts.update(_migration(pop, t["migration"]))

    facts["structure.municipalities"] = float(len(t["municipalities"]))
    facts[f"structure.population_{year - 4}"] = float(
        pop.loc[pop["year"] == year - 4, "persons"].sum()
    )
    facts[f"structure.population_{year}"] = total
    facts["structure.area_km2"] = round(float(t["municipalities"]["area_km2"].sum()), 1)
    dwellings = t["dwellings"]
    facts["structure.vacancy_rate"] = round(
        1 - dwellings["occupied"].sum() / dwellings["dwellings"].sum(), 3
    )
    gp = t["facilities"][t["facilities"]["kind"] == "gp"]
    facts["structure.inhabitants_per_gp_fte"] = round(total / gp["capacity"].sum(), 0)
    return facts


def _rounded(values: Any, digits: int) -> list[float]:
    return [round(float(v), digits) for v in np.asarray(values, dtype=float)]


def _median_age(stock: pd.DataFrame) -> float:
    """Median age, uniform within each single year of age."""
    counts = stock.groupby("age")["persons"].sum().sort_index()
    half = counts.sum() / 2
    below = counts.cumsum() - counts
    age = int(counts.index[(counts.cumsum() >= half).to_numpy()][0])
    return age + (half - below[age]) / counts[age]


def _exposure(pop: pd.DataFrame, sex: str | None = None) -> pd.DataFrame:
    """Mean of the stocks on 31.12. of ``t − 1`` and ``t`` by year ``t`` and age, pooled."""
    rows = pop if sex is None else pop[pop["sex"] == sex]
    stock = rows.groupby(["year", "age"])["persons"].sum().unstack("age")
    return (stock.shift(1) + stock).iloc[1:] / 2


def _fertility(pop: pd.DataFrame, births: pd.DataFrame) -> dict[str, Fact]:
    women = _exposure(pop, "f").sum()
    band_women = women.groupby((women.index.to_numpy() // 5) * 5).sum()
    band_births = births.groupby("age_from")["births"].sum()
    rates = band_births / band_women.loc[band_births.index]
    mids = rates.index.to_numpy() + 2.5
    return {
        "fertility.asfr_per_1000": _rounded(1000 * rates, 1),
        "fertility.tfr": round(5 * float(rates.sum()), 2),
        "fertility.mean_age": round(float((mids * rates).sum() / rates.sum()), 1),
        "fertility.share_male_births": round(
            births.loc[births["sex"] == "m", "births"].sum() / births["births"].sum(), 3
        ),
    }


def _life_expectancy(rates: pd.DataFrame) -> dict[str, Fact]:
    out: dict[str, Fact] = {}
    mortality = rates[(rates["kind"] == "mortality")]
    anchors = load_calibration()["mortality"]["anchor_ages"]
    for sex, label in (("m", "male"), ("f", "female")):
        q = mortality[mortality["sex"] == sex].groupby("age")["value"].first().to_numpy()
        out[f"mortality.qx_{label}"] = [float(f"{q[a]:.3g}") for a in anchors]
        survivors = np.concatenate([[1.0], np.cumprod(1 - q[:-1])])
        lived = (survivors + np.append(survivors[1:], 0.0)) / 2
        lived[-1] = survivors[-1] / q[-1]
        out[f"mortality.e0_{label}"] = round(float(lived.sum()), 2)
    return out


def _housing(households: pd.DataFrame, dwellings: pd.DataFrame, persons: float) -> dict[str, Fact]:
    by_size = households.groupby("size")["households"].sum()
    by_rooms = dwellings.groupby("rooms")["dwellings"].sum()
    return {
        "households.shares": _rounded(by_size / by_size.sum(), 3),
        "households.persons_per_household": round(persons / by_size.sum(), 2),
        "dwellings.room_shares": _rounded(by_rooms / by_rooms.sum(), 3),
    }


def _employment(employment: pd.DataFrame, year: int) -> dict[str, Fact]:
    groups = employment.assign(group=employment["sector"].map(SECTION_GROUPS))
    table = groups.groupby(["year", "group"])["persons"].sum().unstack("group")[GROUPS]
    now, before = table.loc[year], table.loc[year - 5]
    sections = employment[employment["year"] == year].groupby("sector")["persons"].sum()
    return {
        "employment.shares": _rounded(now / now.sum(), 3),
        "employment.manufacturing_share_of_b_e": round(float(sections["C"] / now["B-E"]), 3),
        "employment.growth_5y": _rounded(now / before, 3),
    }


def _commuting(region: DemoRegion, now: pd.DataFrame) -> dict[str, Fact]:
    flows = region.tables["commuters"]
    places = region.tables["municipalities"].set_index("ags")
    working_age = now.loc[now["age"].between(15, 64), "persons"].sum()
    resident_workers = flows.groupby("origin")["persons"].sum()
    internal = flows[flows["origin"] == flows["dest"]].set_index("origin")["persons"]
    out_share = 1 - internal.reindex(resident_workers.index, fill_value=0.0) / resident_workers
    employment = region.tables["employment"]
    jobs = float(employment.loc[employment["year"] == region.base_year, "persons"].sum())
    persons = now.groupby("ags")["persons"].sum()
    villages = places.index[places["centrality"] == "none"]
    small = villages[persons.loc[villages] < 1_500]
    central = places[places["centrality"] == "mittel"]
    kept = {
        f"structure.kept_own_workers.{name} ({land_abbreviation(str(ags))})": round(
            float(1 - out_share[ags]), 3
        )
        for ags, name in zip(central.index, central["name"], strict=True)
    }
    return {
        **kept,
        "labour_market.employees_per_resident_15_64": round(
            float(resident_workers.sum() / working_age), 3
        ),
        "labour_market.jobs_per_resident_employee": round(jobs / float(resident_workers.sum()), 3),
        "structure.out_commuting_villages_mean": round(float(out_share.loc[villages].mean()), 3),
        "structure.out_commuting_villages_under_1500": _rounded(out_share.loc[small], 2),
    }


def _migration(pop: pd.DataFrame, migration: pd.DataFrame) -> dict[str, Fact]:
    exposure = _exposure(pop).sum()
    groups = np.searchsorted(MIGRATION_GROUP_STARTS, exposure.index.to_numpy(), side="right") - 1
    group_exposure = exposure.groupby(groups).sum()
    moves = migration.assign(
        group=np.searchsorted(MIGRATION_GROUP_STARTS, migration["age_from"], side="right") - 1
    )
    by_group = moves.groupby(["direction", "group"])["persons"].sum().unstack("group")
    moved_in = by_group.loc["in"].to_numpy(dtype=float)
    moved_out = by_group.loc["out"].to_numpy(dtype=float)
    total = float(exposure.sum())
    return {
        "migration.in_per_1000": round(1000 * moved_in.sum() / total, 1),
        "migration.out_per_1000": round(1000 * moved_out.sum() / total, 1),
        "migration.out_per_1000_by_group": _rounded(1000 * moved_out / group_exposure, 1),
        "migration.in_out_ratio_by_group": _rounded(moved_in / moved_out, 2),
    }
