"""Demographic indicators of a population by single year of age, and a demographic type.

Input is a frame in the layout of the ``population`` or ``projection`` tables (``ags``, ``year``,
``sex``, ``age``, ``persons``; further key columns such as ``scenario`` are kept as groups).

Definitions (Statistisches Bundesamt, "Bevölkerung Deutschlands bis 2070", Glossar; BBSR
INKAR indicator definitions):

* Jugendquotient  ``YDR = P(0–19) / P(20–64) × 100``
* Altenquotient   ``ODR = P(65+) / P(20–64) × 100``
* Anteile         ``share_65 = P(65+) / P``, ``share_80 = P(80+) / P`` (percent)
* Medianalter: the age ``m`` with half of the population younger, from the single-year
  distribution with persons spread evenly within each year of age:
  ``m = a + (P/2 − C(a)) / P(a)`` where ``C(a)`` counts persons younger than ``a`` and ``a`` is
  the first age with ``C(a) + P(a) ≥ P/2``.
* Natürlicher Saldo and Wanderungssaldo per 1,000 inhabitants:
  ``(births − deaths) / P × 1000`` and ``(in − out) / P × 1000`` (from a components frame).

The **demographic type** is a transparent rule set held in :data:`TYPE_RULES` (not a cluster
analysis like Wegweiser Kommune's types): change of the population over the period and the
share 65+ at its end decide between growing, stable and shrinking, young and old.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regiowerk.errors import RegiowerkError

POPULATION_COLUMNS = ("ags", "year", "sex", "age", "persons")


@dataclass(frozen=True)
class TypeRule:
    """One demographic type: bounds on population change (%) and on the share 65+ (%)."""

    name: str
    change_min: float
    change_max: float
    share65_min: float
    share65_max: float


TYPE_RULES: tuple[TypeRule, ...] = (
    TypeRule("wachsend, jünger", 3.0, np.inf, 0.0, 22.0),
    TypeRule("wachsend, älter", 3.0, np.inf, 22.0, 100.0),
    TypeRule("stabil, jünger", -3.0, 3.0, 0.0, 22.0),
    TypeRule("stabil, älter", -3.0, 3.0, 22.0, 100.0),
    TypeRule("schrumpfend, jünger", -np.inf, -3.0, 0.0, 22.0),
    TypeRule("schrumpfend, älter", -10.0, -3.0, 22.0, 100.0),
    TypeRule("stark schrumpfend und alternd", -np.inf, -10.0, 22.0, 100.0),
)
"""Rules in order; change in percent over the period, share 65+ in percent at its end. The
22 % threshold is the German share 65+ of 2022 (22.4 %, Destatis), rounded."""


def _check(frame: pd.DataFrame) -> None:
    missing = [c for c in POPULATION_COLUMNS if c not in frame.columns]
    if missing:
        raise RegiowerkError(f"Für Kennzahlen fehlen die Spalten {', '.join(missing)}.")
    if (frame["persons"] < 0).any():
        raise RegiowerkError("Bevölkerungszahlen dürfen nicht negativ sein.")


def age_structure(population: pd.DataFrame) -> pd.DataFrame:
    """Indicators per group (``ags``, ``year`` and any further non-age columns).

    Columns: ``persons``, ``youth_ratio``, ``old_age_ratio``, ``share_65``, ``share_80``,
    ``median_age``. Ratios are missing where the divisor is zero.
    """
    _check(population)
    groups = [c for c in population.columns if c not in ("sex", "age", "persons")]
    by_age = population.groupby([*groups, "age"], sort=True)["persons"].sum().unstack("age")
    oldest = int(by_age.columns.max())
    by_age = by_age.reindex(columns=range(oldest + 1), fill_value=0.0).fillna(0.0)
    values = by_age.to_numpy(dtype=float)
    ages = np.asarray(by_age.columns, dtype=int)
    total = values.sum(axis=1)
    young = values[:, ages <= 19].sum(axis=1)
    working = values[:, (ages >= 20) & (ages <= 64)].sum(axis=1)
    old = values[:, ages >= 65].sum(axis=1)
    very_old = values[:, ages >= 80].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "persons": total,
                "youth_ratio": np.where(working > 0, young / working * 100, np.nan),
                "old_age_ratio": np.where(working > 0, old / working * 100, np.nan),
                "share_65": np.where(total > 0, old / total * 100, np.nan),
                "share_80": np.where(total > 0, very_old / total * 100, np.nan),
                "median_age": _median_age(values),
            },
            index=by_age.index,
        )
    return out.reset_index()


def _median_age(values: np.ndarray) -> np.ndarray:
    """Median age per row of a (groups × ages) array, linear within the median year of age."""
    total = values.sum(axis=1)
    cumulative = np.cumsum(values, axis=1)
    half = total / 2
    first = np.argmax(cumulative >= half[:, None], axis=1)
    rows = np.arange(len(values))
    below = cumulative[rows, first] - values[rows, first]
    within = values[rows, first]
    with np.errstate(divide="ignore", invalid="ignore"):
        median = first + np.where(within > 0, (half - below) / within, 0.0)
    return np.where(total > 0, median, np.nan)


def balances(components: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Natural and migration balance per 1,000 inhabitants at the start of each year.

    ``components`` has ``ags``, ``year``, ``births``, ``deaths``, ``in_migration``,
    ``out_migration`` (the year of the flows); ``population`` the stocks on 31.12. The divisor
    is the stock of 31.12. of the previous year.
    """
    _check(population)
    stock = population.groupby(["ags", "year"], as_index=False)["persons"].sum()
    stock = stock.assign(year=stock["year"] + 1).rename(columns={"persons": "start"})
    merged = components.merge(stock, on=["ags", "year"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["natural_per_1000"] = (merged["births"] - merged["deaths"]) / merged["start"] * 1e3
        merged["migration_per_1000"] = (
            (merged["in_migration"] - merged["out_migration"]) / merged["start"] * 1e3
        )
    return merged[["ags", "year", "natural_per_1000", "migration_per_1000"]]


def change_and_share(
    population: pd.DataFrame, *, start: int, end: int
) -> tuple[pd.Series, pd.Series]:
    """Per ``ags``: population change ``start`` → ``end`` in percent and share 65+ in ``end``."""
    structure = age_structure(population[population["year"].isin([start, end])])
    wide = structure.pivot_table(index="ags", columns="year", values=["persons", "share_65"])
    if (start not in wide["persons"]) or (end not in wide["persons"]):
        raise RegiowerkError(f"Für den Typ werden die Jahre {start} und {end} gebraucht.")
    change = (wide["persons"][end] / wide["persons"][start] - 1) * 100
    return change, wide["share_65"][end]


def demographic_type(population: pd.DataFrame, *, start: int, end: int) -> pd.Series:
    """Demographic type (German label) per ``ags`` from the change ``start`` → ``end`` and the
    share 65+ in ``end`` (rules :data:`TYPE_RULES`)."""
    return classify(*change_and_share(population, start=start, end=end))


def classify(change: pd.Series, share: pd.Series) -> pd.Series:
    """Demographic type for a population change (%) and a share 65+ (%) per ``ags``."""
    labels = pd.Series("—", index=change.index, name="demographic_type", dtype=object)
    for rule in TYPE_RULES:  # the rules do not overlap
        hit = (
            (change >= rule.change_min)
            & (change < rule.change_max)
            & (share >= rule.share65_min)
            & (share < rule.share65_max)
        )
        labels[hit.to_numpy()] = rule.name
    return labels
