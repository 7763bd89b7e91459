"""Population 2019–2023 by single year of age and sex, with the births, deaths and moves behind it.

Method
------
* **Age shape**: the 20 five-year bands × sex of Kreis Dithmarschen (31.12.2020) are split into
  single years by :func:`split_bands` (mean-preserving piecewise-linear interpolation). Each
  municipality tilts the shape by ``exp(τ · z(x))``, ``z(x) = clip((x − 45) / 25, −1.5, 1.5)``,
  with ``τ`` = −0.15 for the Mittelzentrum and the towns, 0 for Grundzentren, +0.08 for
  villages plus ``N(0, 0.05)`` noise (towns younger, villages older). The 2019 stock is a
  multinomial draw of the municipality's size over the 202 age × sex cells.
* **Ages of events** follow the birth-year method: an event in year ``t`` is tabulated at age
  ``x = t − year of birth``, the age the cohort reaches on 31.12.; hence the exact balance
  ``P(x, t) = P(x − 1, t − 1) − D(x, t) + I(x, t) − O(x, t)`` for ``x = 1 … 99``,
  ``P(0, t) = B(t) − D(0, t) + I(0, t) − O(0, t)`` and the open age
  ``P(100, t) = P(99, t − 1) + P(100, t − 1) − D + I − O``.
* **Births**: ``B_x ~ Poisson(φ_i · f(x) · S_f(x))`` for mothers of cohort age 15–49 with the
  German ASFR 2022 (band means split to single years, TFR 1.49); ``φ_i`` is 1.05 in villages,
  0.95 in the towns, times ``exp(N(0, 0.06))``. Rates by completed age are applied at the
  cohort age (women are half a year younger on average, a negligible shift). Boys
  ``~ Binomial(B, 0.513)`` (share of boys among live births 2022).
* **Deaths**: ``D ~ Poisson(μ_i · q*(x) · S(x))`` capped at ``S(x)``, with Lexis-parallelogram
  probabilities ``q*(x) = ½ (q(x − 1) + q(x))`` (``½ q(0)`` for the newborn) from the life
  table 2020/22, interpolated log-linearly between the stored anchor ages; ``μ_i = exp(N(0,
  0.05))``.
* **Migration** across the municipal border: out-migration rates follow a Rogers–Castro
  schedule (Rogers & Castro 1981, *Model Migration Schedules*, IIASA RR-81-30)
  ``o(x) = a₁e^{−α₁x} + a₂ exp(−α₂(x − μ₂) − e^{−λ₂(x − μ₂)}) + c`` with parameters fitted to
  Dithmarschen's out-migration rates of six age groups in 2018 (across the Kreis border).
  In-migration rates are ``i(x) = o(x) · ρ(x) · κ_i``, ``ρ`` the Dithmarschen in/out ratio of the
  age group, linear between group mid-ages, times 1.2 (towns) or 0.9 (villages) at ages 18–29;
  ``κ_i = exp(N(0, 0.1))``. ``O ~ Poisson(o · S)`` capped at ``S − D``, ``I ~ Poisson(i · S)``.
  Kreis-border rates understate moves across smaller municipal borders; they are used as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.schema import MAX_AGE, SEXES

BASE_YEAR = 2023
FIRST_YEAR = 2019
YEARS = tuple(range(FIRST_YEAR, BASE_YEAR + 1))
FLOW_YEARS = YEARS[1:]
AGES = np.arange(MAX_AGE + 1)
FERTILE = np.arange(15, 50)
MOTHER_BANDS = tuple((a, a + 4) for a in range(15, 50, 5))

AGE_TILT = {"centre": -0.15, "town": -0.15, "grund": 0.0, "village": 0.08}
FERTILITY_LEVEL = {"centre": 0.95, "town": 0.95, "grund": 1.0, "village": 1.05}
YOUNG_ADULT_INFLOW = {"centre": 1.2, "town": 1.2, "grund": 1.0, "village": 0.9}
ROGERS_CASTRO = {
    "a1": 0.0235,
    "alpha1": 0.0764,
    "a2": 0.2585,
    "mu2": 18.76,
    "alpha2": 0.1137,
    "lambda2": 0.4154,
    "c": 0.0115,
}
"""Out-migration schedule, fitted once (least squares on the logs of the six group means, with
the Dithmarschen 2020 age shape as weights within the groups) to the group rates in
``calibration.toml`` ``[migration]``; ``tools/calibrate_demo.py`` prints the realised group
rates next to the targets."""


@dataclass(frozen=True)
class Demography:
    """Stocks 2019–2023 and flows 2020–2023 as canonical tables, plus the rates used."""

    population: pd.DataFrame
    births: pd.DataFrame
    deaths: pd.DataFrame
    migration: pd.DataFrame
    rates: pd.DataFrame


def split_bands(
    totals: NDArray[np.float64], starts: list[int], *, open_to: int | None = None
) -> NDArray[np.float64]:
    """Split five-year band totals into single years, preserving every band total.

    Band densities ``B_k / 5`` are placed at the band mid-ages and interpolated linearly to
    the single-year mid-ages ``x + ½`` (constant beyond the outer mid-ages); each band is then
    rescaled to its total. With ``open_to``, the last band is open (``start … open_to``, the
    last age open-ended) and filled geometrically (ratio 0.6 per year, the open age taking the
    tail ``0.6ⁿ / 0.4``). Returns values for ages ``starts[0] … starts[-1] + 4`` or
    ``… open_to``.
    """
    totals = np.asarray(totals, dtype=float)
    closed = totals[:-1] if open_to is not None else totals
    closed_starts = np.asarray(starts[: len(closed)])
    ages = np.arange(closed_starts[0], closed_starts[-1] + 5)
    density = np.interp(ages + 0.5, closed_starts + 2.5, closed / 5.0)
    band = (ages - closed_starts[0]) // 5
    sums = np.bincount(band, weights=density)
    values = density * (closed / sums)[band]
    if open_to is None:
        return values
    width = open_to - starts[-1]
    tail = 0.6 ** np.arange(width + 1)
    tail[-1] = 0.6**width / 0.4
    return np.concatenate([values, totals[-1] * tail / tail.sum()])


def mortality_curve(cal: dict[str, Any], sex: str) -> NDArray[np.float64]:
    """q(x) for x = 0 … 100: the stored anchor values, log-linear in between."""
    anchors = np.asarray(cal["mortality"]["anchor_ages"], dtype=float)
    qx = np.asarray(cal["mortality"][f"qx_{'male' if sex == 'm' else 'female'}"], dtype=float)
    return np.exp(np.interp(AGES, anchors, np.log(qx)))


def fertility_curve(cal: dict[str, Any]) -> NDArray[np.float64]:
    """f(x) for x = 15 … 49, births per woman: the stored band means split to single years."""
    bands = np.asarray(cal["fertility"]["asfr_per_1000"], dtype=float) / 1000.0
    return split_bands(bands * 5, list(cal["fertility"]["band_starts"]))


def age_shape(cal: dict[str, Any]) -> NDArray[np.float64]:
    """Calibrated persons per 1,000 inhabitants by sex (rows m, f) and single age 0 … 100."""
    block = cal["age_structure"]
    starts = list(block["band_starts"])
    return np.vstack(
        [
            split_bands(np.asarray(block[f"{name}_permille"]), starts, open_to=MAX_AGE)
            for name in ("male", "female")
        ]
    )


def out_migration_curve() -> NDArray[np.float64]:
    """Rogers–Castro out-migration rates o(x), x = 0 … 100 (module docstring)."""
    p = ROGERS_CASTRO
    x = AGES.astype(float)
    labour = np.exp(-p["alpha2"] * (x - p["mu2"]) - np.exp(-p["lambda2"] * (x - p["mu2"])))
    return p["a1"] * np.exp(-p["alpha1"] * x) + p["a2"] * labour + p["c"]


def in_out_ratio(cal: dict[str, Any]) -> NDArray[np.float64]:
    """ρ(x): the Dithmarschen in/out ratio per age group, linear between group mid-ages."""
    block = cal["migration"]
    starts = np.asarray(block["group_starts"], dtype=float)
    ends = np.append(starts[1:], 90.0)
    return np.interp(AGES + 0.5, (starts + ends) / 2, block["in_out_ratio_by_group"])


def build_demography(
    rng: np.random.Generator, places: pd.DataFrame, cal: dict[str, Any]
) -> Demography:
    """Stocks and flows for every municipality (see the module docstring)."""
    roles = places["role"].to_numpy()
    n = len(places)
    shape = age_shape(cal)
    tilt = np.array([AGE_TILT[r] for r in roles]) + rng.normal(0, 0.05, n)
    z = np.clip((AGES - 45.0) / 25.0, -1.5, 1.5)
    weights = shape[None, :, :] * np.exp(tilt[:, None, None] * z[None, None, :])
    stock = np.empty((len(YEARS), n, 2, AGES.size), dtype=np.int64)
    for i in range(n):
        p = weights[i].ravel() / weights[i].sum()
        stock[0, i] = rng.multinomial(int(places["size"].iloc[i]), p).reshape(2, -1)

    fertility = np.zeros(AGES.size)
    fertility[FERTILE] = fertility_curve(cal)
    phi = np.array([FERTILITY_LEVEL[r] for r in roles]) * np.exp(rng.normal(0, 0.06, n))
    q = np.vstack([mortality_curve(cal, s) for s in SEXES])
    q_star = np.empty_like(q)
    q_star[:, 0] = q[:, 0] / 2
    q_star[:, 1:] = (q[:, :-1] + q[:, 1:]) / 2
    mu = np.exp(rng.normal(0, 0.05, n))
    out_rate = out_migration_curve()
    young = (AGES >= 18) & (AGES <= 29)
    boost = np.where(young[None, :], np.array([YOUNG_ADULT_INFLOW[r] for r in roles])[:, None], 1)
    kappa = np.exp(rng.normal(0, 0.1, n))
    in_rate = out_rate[None, :] * in_out_ratio(cal)[None, :] * boost * kappa[:, None]
    boys = float(cal["fertility"]["share_male_births"])

    births = np.zeros((len(FLOW_YEARS), n, len(MOTHER_BANDS), 2), dtype=np.int64)
    flows = np.zeros((3, len(FLOW_YEARS), n, 2, AGES.size), dtype=np.int64)  # D, I, O
    for t in range(len(FLOW_YEARS)):
        exposed = np.zeros((n, 2, AGES.size), dtype=np.int64)
        exposed[:, :, 1:] = stock[t][:, :, :-1]
        exposed[:, :, MAX_AGE] += stock[t][:, :, MAX_AGE]
        by_mother = rng.poisson(phi[:, None] * fertility[None, :] * exposed[:, 1, :])
        for b, (lo, hi) in enumerate(MOTHER_BANDS):
            total = by_mother[:, lo : hi + 1].sum(axis=1)
            male = rng.binomial(total, boys)
            births[t, :, b] = np.column_stack([male, total - male])
        exposed[:, :, 0] = births[t].sum(axis=1)
        dead = np.minimum(rng.poisson(mu[:, None, None] * q_star[None] * exposed), exposed)
        gone = np.minimum(rng.poisson(out_rate[None, None, :] * exposed), exposed - dead)
        came = rng.poisson(in_rate[:, None, :] * exposed)
        flows[:, t] = dead, came, gone
        stock[t + 1] = exposed - dead - gone + came

    ags = places["ags"].to_numpy()
    return Demography(
        population=_population_table(stock, ags),
        births=_births_table(births, ags),
        deaths=_flow_table(flows[0], ags, "deaths"),
        migration=pd.concat(
            [
                _flow_table(flows[1], ags, "persons").assign(direction="in"),
                _flow_table(flows[2], ags, "persons").assign(direction="out"),
            ]
        )[["region", "year", "direction", "age_from", "age_to", "sex", "persons"]]
        .sort_values(["region", "year", "direction", "age_from", "age_to", "sex"], kind="stable")
        .reset_index(drop=True),
        rates=_rates_table(places, fertility, q),
    )


def _grid(values: NDArray[np.int64], ags: NDArray[Any], years: tuple[int, ...]) -> pd.DataFrame:
    """Long frame of a (year, municipality, sex, age) array: ags, year, sex, age, value."""
    index = pd.MultiIndex.from_product(
        [years, ags, SEXES, AGES], names=["year", "ags", "sex", "age"]
    )
    return pd.DataFrame({"value": values.ravel()}, index=index).reset_index()


def _population_table(stock: NDArray[np.int64], ags: NDArray[Any]) -> pd.DataFrame:
    frame = _grid(stock, ags, YEARS).rename(columns={"value": "persons"})
    frame = frame[["ags", "year", "sex", "age", "persons"]]
    return frame.sort_values(["ags", "year", "sex", "age"], kind="stable").reset_index(drop=True)


def _flow_table(values: NDArray[np.int64], ags: NDArray[Any], column: str) -> pd.DataFrame:
    frame = _grid(values, ags, FLOW_YEARS)
    frame = pd.DataFrame(
        {
            "region": frame["ags"],
            "year": frame["year"],
            "age_from": frame["age"],
            "age_to": frame["age"],
            "sex": frame["sex"],
            column: frame["value"].astype(float),
        }
    )
    return frame.sort_values(
        ["region", "year", "age_from", "age_to", "sex"], kind="stable"
    ).reset_index(drop=True)


def _births_table(births: NDArray[np.int64], ags: NDArray[Any]) -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [FLOW_YEARS, ags, range(len(MOTHER_BANDS)), SEXES], names=["year", "region", "band", "sex"]
    )
    frame = pd.DataFrame({"births": births.ravel().astype(float)}, index=index).reset_index()
    frame["age_from"] = frame["band"].map(lambda b: MOTHER_BANDS[b][0])
    frame["age_to"] = frame["band"].map(lambda b: MOTHER_BANDS[b][1])
    frame = frame[["region", "year", "age_from", "age_to", "sex", "births"]]
    return frame.sort_values(
        ["region", "year", "age_from", "age_to", "sex"], kind="stable"
    ).reset_index(drop=True)


def _rates_table(
    places: pd.DataFrame, fertility: NDArray[np.float64], q: NDArray[np.float64]
) -> pd.DataFrame:
    """Base rates of the generator per Land (the same national schedules for both Länder)."""
    parts = []
    for land in sorted(places["land"].unique()):
        parts.append(
            pd.DataFrame(
                {
                    "region": land,
                    "kind": "fertility",
                    "sex": "f",
                    "age": FERTILE,
                    "value": fertility[FERTILE],
                }
            )
        )
        for s, sex in enumerate(SEXES):
            parts.append(
                pd.DataFrame(
                    {"region": land, "kind": "mortality", "sex": sex, "age": AGES, "value": q[s]}
                )
            )
    frame = pd.concat(parts, ignore_index=True).assign(year=BASE_YEAR)
    frame = frame[["region", "year", "kind", "sex", "age", "value"]]
    return frame.sort_values(["region", "year", "kind", "sex", "age"], kind="stable").reset_index(
        drop=True
    )


def population_totals(population: pd.DataFrame) -> pd.DataFrame:
    """Totals per municipality and 31.12. of each year, in the layout of GV-ISys tables."""
    by_sex = population.pivot_table(
        index=["ags", "year"], columns="sex", values="persons", aggfunc="sum"
    )
    frame = pd.DataFrame(
        {
            "region": by_sex.index.get_level_values("ags"),
            "year": by_sex.index.get_level_values("year"),
            "census_basis": "zensus2022",
            "reference_date": [f"{year}-12-31" for year in by_sex.index.get_level_values("year")],
            "persons": (by_sex["m"] + by_sex["f"]).to_numpy(),
            "male": by_sex["m"].to_numpy(),
            "female": by_sex["f"].to_numpy(),
        }
    )
    return frame.sort_values(["region", "year"], kind="stable").reset_index(drop=True)
