"""Rates for the cohort-component model: national defaults, local scaling, migration schedules.

Conventions
-----------
Ages of events follow the **birth-year method** (age = calendar year − year of birth, the age a
cohort reaches on 31.12.), as in Destatis' fertility rates 12612-0008. A flow of year ``t`` at
age ``x`` therefore belongs to the cohort aged ``x − 1`` on 31.12. ``t − 1``; its exposure is

    E_t(x) = P_{t−1}(x − 1)  (x = 1 … 99),   E_t(100) = P_{t−1}(99) + P_{t−1}(100),

and ``E_t(0)`` is approximated by the stock aged 0 on 31.12. ``t`` (the year's surviving births).

**Cohort survival** (Lexis parallelogram) from a period life table with death probabilities
``q(x)``: ``l(0) = 1``, ``l(x + 1) = l(x)(1 − q(x))``, ``L(x) = l(x + 1) + a(x) d(x)`` with
``a(0) = 0.13`` (German life tables 2016/18–2022/24 give 0.13–0.14) and ``a(x) = ½`` otherwise,
``T(100) = l(100) / μ`` with the constant open-age hazard ``μ = −ln(1 − q(100))``, and

    s(0) = L(0) / l(0),   s(x) = L(x) / L(x − 1)  (x = 1 … 99),   s(100) = T(100) / T(99)

(Preston, Heuveline & Guillot 2001, *Demography*, Blackwell, §6.3 on projecting with
life-table survival ratios).

**Local scaling (indirect standardisation with empirical-Bayes shrinkage).** A standard
schedule (national defaults, or a Land/Kreis schedule from the workspace table ``rates``) gives
expected events ``E_i`` for area ``i`` from its own exposures; the observed events ``O_i`` give
the standardised ratio ``θ_i = O_i / E_i``. Small areas borrow strength from all areas by the
global method-of-moments estimator of Marshall (1991, *Mapping disease and mortality rates
using empirical Bayes estimators*, Applied Statistics 40(2), 283–294), a Poisson–gamma model:

    m = Σ O_i / Σ E_i,   s² = Σ E_i (θ_i − m)² / Σ E_i,   v = max(s² − m / Ē, 0),
    θ̂_i = m + (θ_i − m) · v / (v + m / E_i),

``Ē`` the mean of ``E_i``. Areas with few expected events are pulled toward the common level
``m``, large areas keep their own ratio. The local schedule is the standard times ``θ̂_i``.
With a single area there is nothing to borrow from and ``θ_i`` is used as is.

**Migration schedules.** Out-migration rates ``o(x) = ΣO / ΣE`` and the age–sex profile of
in-movers are pooled over all areas and the rate years (band values are constant within a
band); each area keeps its own level: out-rates scaled as above, in-movers its own annual mean
total spread by the pooled profile. Optionally the pooled out-rates are smoothed by the
Rogers–Castro model migration schedule (Rogers & Castro 1981, *Model Migration Schedules*,
IIASA RR-81-30):

    m(x) = a₁ e^{−α₁ x} + a₂ exp(−α₂ (x − μ₂) − e^{−λ₂ (x − μ₂)}) + c
           [+ a₃ exp(−α₃ (x − μ₃) − e^{−λ₃ (x − μ₃)})  with the retirement peak, 11 parameters],

fitted by ``scipy.optimize.least_squares`` on the age-specific rates.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

from regiowerk.errors import RegiowerkError
from regiowerk.schema import MAX_AGE, SEXES

AGES = np.arange(MAX_AGE + 1)
FERTILE = slice(15, 50)
A0 = 0.13


class RateError(RegiowerkError, ValueError):
    """Rates or flow tables that cannot be used (out of range, missing, inconsistent)."""


@dataclass(frozen=True)
class NationalRates:
    """National standard schedules: ASFR (births per woman, ages 0–100) and q(x) (rows m, f)."""

    fertility: NDArray[np.float64]
    qx: NDArray[np.float64]
    fertility_source: str
    mortality_source: str


@cache
def national_defaults() -> NationalRates:
    """The rounded Destatis defaults of ``defaults.toml`` (sources cited there)."""
    text = resources.files("regiowerk.demography").joinpath("defaults.toml").read_text("utf-8")
    data = tomllib.loads(text)
    fertility = np.zeros(AGES.size)
    first = int(data["fertility"]["first_age"])
    values = np.asarray(data["fertility"]["per_1000"], dtype=float) / 1000.0
    fertility[first : first + values.size] = values
    qx = np.vstack([data["mortality"]["qx_male"], data["mortality"]["qx_female"]]).astype(float)
    return NationalRates(fertility, qx, data["fertility"]["source"], data["mortality"]["source"])


def cohort_survival(qx: ArrayLike) -> NDArray[np.float64]:
    """Lexis-parallelogram survival ``s(x)``, x = 0 … 100, from period ``q(x)`` on the last axis.

    See the module docstring for the formula.
    """
    q = np.asarray(qx, dtype=float)
    check_probabilities(q, "q(x)")
    survivors = np.cumprod(1.0 - q, axis=-1)
    lx = np.concatenate([np.ones((*q.shape[:-1], 1)), survivors[..., :-1]], axis=-1)
    dx = lx * q
    a = np.full(q.shape[-1], 0.5)
    a[0] = A0
    big_l = lx - dx + a * dx
    hazard = -np.log(np.clip(1.0 - q[..., -1], 1e-12, None))
    t_open = lx[..., -1] / np.where(hazard > 0, hazard, np.inf)
    s = np.empty_like(q)
    s[..., 0] = big_l[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        s[..., 1:-1] = big_l[..., 1:-1] / big_l[..., :-2]
        s[..., -1] = t_open / (big_l[..., -2] + t_open)
    return np.nan_to_num(np.clip(s, 0.0, 1.0), nan=0.0)


def check_probabilities(values: NDArray[np.float64], name: str) -> None:
    """Raise :class:`RateError` naming ``name`` unless all values are finite and in [0, 1]."""
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise RateError(
            f"{name}: Wert {float(values[where]):g} an Position {where} liegt nicht in [0, 1]."
        )


def shrink_ratios(observed: ArrayLike, expected: ArrayLike) -> NDArray[np.float64]:
    """Empirical-Bayes standardised ratios ``θ̂_i`` (Marshall 1991; module docstring)."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    if np.any(o < 0) or np.any(e < 0) or not (np.isfinite(o).all() and np.isfinite(e).all()):
        raise RateError("Beobachtete und erwartete Ereignisse müssen endlich und ≥ 0 sein.")
    if e.sum() <= 0:
        return np.ones_like(e)
    m = o.sum() / e.sum()
    theta = np.where(e > 0, o / np.where(e > 0, e, 1.0), m)
    if e.size < 2 or m == 0:
        return theta
    s2 = float(np.sum(e * (theta - m) ** 2) / e.sum())
    v = max(s2 - m / float(e.mean()), 0.0)
    weight = np.where(e > 0, v / (v + m / np.where(e > 0, e, 1.0)), 0.0)
    return np.asarray(m + (theta - m) * weight, dtype=float)


# --- Rogers–Castro ------------------------------------------------------------------------------

RC7 = ("a1", "alpha1", "a2", "mu2", "alpha2", "lambda2", "c")
RC11 = (*RC7, "a3", "mu3", "alpha3", "lambda3")


def rogers_castro(ages: ArrayLike, params: dict[str, float]) -> NDArray[np.float64]:
    """The Rogers–Castro schedule ``m(x)`` (module docstring); 7 or 11 parameters."""
    x = np.asarray(ages, dtype=float)
    p = params
    out = p["a1"] * np.exp(-p["alpha1"] * x) + p["c"]
    out = out + p["a2"] * np.exp(
        -p["alpha2"] * (x - p["mu2"]) - np.exp(-p["lambda2"] * (x - p["mu2"]))
    )
    if "a3" in p:
        z = x - p["mu3"]
        out = out + p["a3"] * np.exp(-p["alpha3"] * z - np.exp(-p["lambda3"] * z))
    return np.asarray(out, dtype=float)


def fit_rogers_castro(
    ages: ArrayLike,
    rates: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    retirement: bool = False,
) -> dict[str, float]:
    """Fit the 7- (or, with ``retirement``, 11-) parameter schedule to age-specific rates.

    Least squares on ``√w · (m(x) − r(x))`` with bounded parameters (all ≥ 0, peaks at ages
    10–40 and 55–75) from the usual starting values (Rogers & Castro 1981, Table 6); ``weights``
    are typically the exposures. Returns the parameters by name.
    """
    x = np.asarray(ages, dtype=float)
    r = np.asarray(rates, dtype=float)
    w = np.ones_like(r) if weights is None else np.asarray(weights, dtype=float)
    if x.shape != r.shape or r.shape != w.shape or not np.isfinite(r).all() or (r < 0).any():
        raise RateError(
            "Rogers–Castro: Alter, Raten und Gewichte müssen gleich lang, endlich "
            "und nicht negativ sein."
        )
    names = RC11 if retirement else RC7
    level = float(np.average(r, weights=w)) if w.sum() > 0 else float(r.mean())
    start = {
        "a1": 2 * level,
        "alpha1": 0.1,
        "a2": 4 * level,
        "mu2": 22.0,
        "alpha2": 0.1,
        "lambda2": 0.4,
        "c": level / 3,
        "a3": level / 4,
        "mu3": 63.0,
        "alpha3": 0.5,
        "lambda3": 0.5,
    }
    low = {
        "a1": 0,
        "alpha1": 0,
        "a2": 0,
        "mu2": 10,
        "alpha2": 0.01,
        "lambda2": 0.01,
        "c": 0,
        "a3": 0,
        "mu3": 55,
        "alpha3": 0.01,
        "lambda3": 0.01,
    }
    high = {
        "a1": np.inf,
        "alpha1": 2,
        "a2": np.inf,
        "mu2": 40,
        "alpha2": 2,
        "lambda2": 5,
        "c": np.inf,
        "a3": np.inf,
        "mu3": 75,
        "alpha3": 5,
        "lambda3": 5,
    }
    sw = np.sqrt(w / w.mean()) if w.sum() > 0 else np.ones_like(w)

    def residuals(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        return sw * (rogers_castro(x, dict(zip(names, theta, strict=True))) - r)

    fit = least_squares(
        residuals,
        [start[n] for n in names],
        bounds=([low[n] for n in names], [high[n] for n in names]),
        x_scale="jac",
    )
    return {n: float(v) for n, v in zip(names, fit.x, strict=True)}


# --- estimation from workspace tables ------------------------------------------------------------


@dataclass(frozen=True)
class DemographicRates:
    """Rates per region (rows in the order of ``regions``), ready for the projection model.

    ``fertility`` (R, 101) births per woman; ``survival`` (R, 2, 101) cohort survival;
    ``out_migration`` (R, 2, 101) rates of the exposure; ``in_migration`` (R, 2, 101) persons
    per year; ``boys_per_girl`` sex ratio at birth; ``factors`` the local scaling factors.
    """

    regions: tuple[str, ...]
    fertility: NDArray[np.float64]
    survival: NDArray[np.float64]
    out_migration: NDArray[np.float64]
    in_migration: NDArray[np.float64]
    boys_per_girl: float = 1.05
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()


def stock_array(
    population: pd.DataFrame, regions: Sequence[str], years: Sequence[int]
) -> NDArray[np.float64]:
    """Population table → array (years, regions, 2, 101); missing cells are an error."""
    _require(population, "population", ("ags", "year", "sex", "age", "persons"))
    sub = population[population["ags"].isin(regions) & population["year"].isin(years)]
    index = pd.MultiIndex.from_product(
        [years, regions, SEXES, AGES], names=["year", "ags", "sex", "age"]
    )
    series = sub.set_index(["year", "ags", "sex", "age"])["persons"].astype(float)
    series = series.groupby(level=[0, 1, 2, 3]).sum().reindex(index)
    if series.isna().any():
        year, ags, sex, age = series.index[series.isna()][0]
        raise RateError(
            f"Tabelle population: kein Wert für ags {ags}, Jahr {year}, Geschlecht {sex}, "
            f"Alter {age} (Spalte persons)."
        )
    values = np.asarray(series.to_numpy(), dtype=np.float64)
    return values.reshape(len(years), len(regions), 2, AGES.size)


def exposure(stock: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cohort exposures ``E_t`` for the flow years 1 … T of a stock array (module docstring)."""
    e = np.zeros_like(stock[1:])
    e[..., 1:] = stock[:-1, ..., :-1]
    e[..., -1] += stock[:-1, ..., -1]
    e[..., 0] = stock[1:, ..., 0]
    return e


def estimate_rates(
    population: pd.DataFrame,
    births: pd.DataFrame,
    deaths: pd.DataFrame,
    migration: pd.DataFrame,
    *,
    regions: Sequence[str],
    years: Sequence[int],
    rates: pd.DataFrame | None = None,
    migration_schedule: Literal["empirical", "rogers-castro"] = "empirical",
) -> DemographicRates:
    """Local rates from observed flows of the calendar ``years`` (module docstring).

    ``population`` holds single-age stocks per municipality (``ags``) for the years before and
    of the flows; ``births``, ``deaths``, ``migration`` the canonical flow tables with a
    ``region`` key per municipality (8 digits) or Kreis (5) or Land (2); area factors found at
    Kreis or Land level apply to all their municipalities. ``rates`` (optional) gives standard
    schedules per Land or Kreis (kinds ``fertility`` and ``mortality`` or ``survival``);
    otherwise the national defaults are the standard.
    """
    regions = list(regions)
    years = sorted(int(y) for y in years)
    stock = stock_array(population, regions, [years[0] - 1, *years])
    expo = exposure(stock)  # (T, R, 2, 101)
    women_mid = np.zeros_like(stock[1:, :, 1, :])  # ½ (P_{t−1}(x − 1) + P_t(x)), x ≥ 1
    women_mid[..., 1:] = 0.5 * (stock[:-1, :, 1, :-1] + stock[1:, :, 1, 1:])
    std_fert, std_surv, notes = _standards(rates, regions)
    size = stock[-1].sum(axis=(1, 2))

    fert_obs, boys = _observed_total(births, "births", "births", regions, years, size, by_sex=True)
    fert_exp = np.einsum("trx,rx->r", women_mid, std_fert)
    f_fert = _scaled(fert_obs, fert_exp, births, regions, "births")
    death_obs, _ = _observed_total(deaths, "deaths", "deaths", regions, years, size)
    death_exp = np.einsum("trsx,rsx->r", expo, 1.0 - std_surv)
    f_death = _scaled(death_obs, death_exp, deaths, regions, "deaths")
    q_local = np.clip((1.0 - std_surv) * f_death[:, None, None], 0.0, 1.0)

    _require(
        migration,
        "migration",
        ("region", "year", "direction", "age_from", "age_to", "sex", "persons"),
    )
    moves = migration[migration["year"].isin(years)]
    outs = moves[moves["direction"] == "out"]
    in_rows = moves[moves["direction"] == "in"]
    out_pooled = _pooled_rate(outs, expo, regions)
    if migration_schedule == "rogers-castro":
        weights = expo.sum(axis=(0, 1))
        out_pooled = np.vstack(
            [
                rogers_castro(AGES, fit_rogers_castro(AGES, out_pooled[s], weights[s]))
                for s in range(2)
            ]
        )
    out_obs, _ = _observed_total(outs, "migration", "persons", regions, years, size)
    out_exp = np.einsum("trsx,sx->r", expo, out_pooled)
    f_out = _scaled(out_obs, out_exp, outs, regions, "migration")
    in_profile = _pooled_rate(in_rows, expo, regions) * expo.sum(axis=(0, 1))
    in_profile = in_profile / max(in_profile.sum(), 1e-300)
    in_obs, _ = _observed_total(in_rows, "migration", "persons", regions, years, size)
    in_counts = (in_obs / len(years))[:, None, None] * in_profile[None]

    factors = pd.DataFrame(
        {
            "ags": regions,
            "fertility": f_fert,
            "mortality": f_death,
            "out_migration": f_out,
            "births_observed": fert_obs,
            "births_expected": fert_exp,
            "deaths_observed": death_obs,
            "deaths_expected": death_exp,
        }
    )
    boys_per_girl = boys if np.isfinite(boys) and boys > 0 else 1.05
    return DemographicRates(
        regions=tuple(regions),
        fertility=np.clip(std_fert * f_fert[:, None], 0.0, 1.0),
        survival=1.0 - q_local,
        out_migration=np.clip(out_pooled[None] * f_out[:, None, None], 0.0, 1.0),
        in_migration=in_counts,
        boys_per_girl=float(boys_per_girl),
        factors=factors,
        notes=(*notes, f"Raten aus den Jahren {years[0]}–{years[-1]}"),
    )


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RateError(f"Tabelle {name}: Spalte(n) {', '.join(missing)} fehlen.")


def _standards(
    rates: pd.DataFrame | None, regions: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[str, ...]]:
    """Standard ASFR (R, 101) and cohort survival (R, 2, 101) per municipality."""
    national = national_defaults()
    fert = np.tile(national.fertility, (len(regions), 1))
    qx = np.tile(national.qx, (len(regions), 1, 1))
    notes = [f"Standard: {national.fertility_source}; {national.mortality_source}"]
    if rates is not None and len(rates):
        _require(rates, "rates", ("region", "year", "kind", "sex", "age", "value"))
        for kind in ("fertility", "mortality", "survival"):
            rows = rates[rates["kind"] == kind]
            values = rows["value"].to_numpy(dtype=float)
            check_probabilities(values, f"Tabelle rates, Art {kind}, Spalte value")
            for key, block in rows.groupby("region"):
                hit = [i for i, r in enumerate(regions) if str(r).startswith(str(key))]
                if not hit:
                    continue
                mean = block.groupby(["sex", "age"])["value"].mean()
                for s, sex in enumerate(SEXES):
                    if sex not in mean.index.get_level_values(0):
                        continue
                    curve = mean.loc[sex].reindex(AGES)
                    if kind == "fertility":
                        fert[hit] = curve.fillna(0.0).to_numpy()
                    else:
                        if curve.isna().any():
                            raise RateError(
                                f"Tabelle rates, Art {kind}, Region {key}: Alter "
                                f"{int(curve.index[curve.isna()][0])} fehlt."
                            )
                        q = curve.to_numpy() if kind == "mortality" else 1.0 - curve.to_numpy()
                        qx[hit, s] = q
            if len(rows):
                notes.append(f"Standard {kind} aus Tabelle rates")
    return fert, cohort_survival(qx), tuple(notes)


def _level_keys(table: pd.DataFrame, regions: Sequence[str], name: str) -> tuple[list[str], int]:
    """Keys of the most specific level (8, 5, 2 digits) at which ``table`` covers the regions."""
    present = set(table["region"].astype(str))
    for width in (8, 5, 2):
        keys = [str(r)[:width] for r in regions]
        if set(keys) <= present:
            return keys, width
    missing = sorted({str(r) for r in regions} - present)[:3]
    raise RateError(
        f"Tabelle {name}: keine Werte für Gemeinde, Kreis oder Land von "
        f"{', '.join(missing)} (Spalte region)."
    )


def _observed_total(
    table: pd.DataFrame,
    name: str,
    value: str,
    regions: Sequence[str],
    years: Sequence[int],
    size: NDArray[np.float64],
    *,
    by_sex: bool = False,
) -> tuple[NDArray[np.float64], float]:
    """Observed events per municipality; Kreis or Land totals shared in proportion to ``size``."""
    _require(table, name, ("region", "year", value))
    rows = table[table["year"].isin(years)]
    keys, width = _level_keys(rows, regions, name)
    sums = rows.groupby("region")[value].sum()
    boys = float("nan")
    if by_sex and "sex" in rows.columns:
        by = rows.groupby("sex")[value].sum()
        if by.get("f", 0) > 0:
            boys = float(by.get("m", 0) / by["f"])
    totals = np.array([float(sums.get(k, 0.0)) for k in keys])
    if width == 8:
        return totals, boys
    group = pd.Series(size).groupby(keys).transform("sum").to_numpy()
    share = np.where(group > 0, size / np.where(group > 0, group, 1.0), 0.0)
    return totals * share, boys


def _scaled(
    observed: NDArray[np.float64],
    expected: NDArray[np.float64],
    table: pd.DataFrame,
    regions: Sequence[str],
    name: str,
) -> NDArray[np.float64]:
    """Shrunk ratios at the level where ``table`` has data, broadcast to the municipalities."""
    keys, _ = _level_keys(table, regions, name)
    frame = pd.DataFrame({"key": keys, "o": observed, "e": expected}).groupby("key").sum()
    ratio = pd.Series(shrink_ratios(frame["o"], frame["e"]), index=frame.index)
    return np.asarray(ratio.reindex(keys).to_numpy(), dtype=np.float64)


def _pooled_rate(
    rows: pd.DataFrame, expo: NDArray[np.float64], regions: Sequence[str]
) -> NDArray[np.float64]:
    """Pooled flow / exposure by sex and age (2, 101), constant within each age band."""
    keys, _ = _level_keys(rows, regions, "migration")
    rows = rows[rows["region"].isin(set(keys))]
    out = np.zeros((2, AGES.size))
    total_expo = expo.sum(axis=(0, 1))
    sums = rows.groupby(["sex", "age_from", "age_to"])["persons"].sum()
    for (sex, lo, hi), value in zip(sums.index.tolist(), sums.to_numpy(dtype=float), strict=True):
        s = SEXES.index(str(sex))
        band = slice(int(lo), int(hi) + 1)
        denominator = total_expo[s, band].sum()
        out[s, band] = value / denominator if denominator > 0 else 0.0
    return out
