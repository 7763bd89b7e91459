"""Cohort-component model: exact balance, hand-computed example, demo backtest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regiowerk.demo import DemoRegion, save_demo
from regiowerk.demography.agesplit import split_bands
from regiowerk.demography.ccm import CohortComponentModel, ProjectionError, ProjectionResult
from regiowerk.demography.rates import cohort_survival, shrink_ratios
from regiowerk.schema import validate

SHAPE = (3, 2, 101)


def _balance(result: ProjectionResult) -> None:
    """Assert the regional and per-cohort balance of every projected year and no negatives."""
    assert (result.stock >= 0).all()
    assert result.flows is not None
    deaths, inflow, outflow = result.flows
    assert np.allclose(deaths.sum(axis=3), result.deaths, rtol=1e-12)
    assert np.allclose(outflow.sum(axis=3), result.out_migration, rtol=1e-12)
    for t in range(len(result.years) - 1):
        before, after = result.stock[t], result.stock[t + 1]
        flows = (
            result.births[t].sum(axis=1)
            - result.deaths[t].sum(axis=1)
            + result.in_migration[t].sum(axis=1)
            - result.out_migration[t].sum(axis=1)
        )
        scale = 1.0 + before.sum(axis=(1, 2)) + result.in_migration[t].sum(axis=1)
        change = after.sum(axis=(1, 2)) - before.sum(axis=(1, 2))
        assert np.all(np.abs(change - flows) <= 1e-12 * scale)
        exposure = np.zeros_like(before)
        exposure[..., 1:] = before[..., :-1]
        exposure[..., -1] += before[..., -1]
        exposure[..., 0] = result.births[t]
        cohort = exposure - deaths[t] + inflow[t] - outflow[t]
        assert np.allclose(after, cohort, rtol=0, atol=1e-12 * scale.max())


def test_hand_computed_two_years_without_migration() -> None:
    population = np.zeros((1, 2, 101))
    population[0, 1, 29] = 1000.0
    fertility = np.zeros(101)
    fertility[[30, 31]] = 0.1
    model = CohortComponentModel(
        ["01001000"], 2020, population, fertility=fertility, survival=0.9, boys_per_girl=1.0
    )
    result = model.project(2, detail=True)
    # year 1: 1000 women reach 30, 100 die, mid-year women 950 -> 95 births (47.5 per sex),
    # 10 % of the infants die -> 42.75 per sex.
    assert result.stock[1, 0, 1, 30] == pytest.approx(900.0)
    assert result.births[0, 0] == pytest.approx([47.5, 47.5])
    assert result.stock[1, 0, :, 0] == pytest.approx([42.75, 42.75])
    # year 2: 810 women at 31, mid-year 855 -> 85.5 births -> 38.475 infants per sex;
    # last year's infants: 42.75 * 0.9 = 38.475 at age 1.
    assert result.stock[2, 0, 1, 31] == pytest.approx(810.0)
    assert result.stock[2, 0, :, 0] == pytest.approx([38.475, 38.475])
    assert result.stock[2, 0, :, 1] == pytest.approx([38.475, 38.475])
    assert result.totals()[:, 0] == pytest.approx([1000.0, 985.5, 963.9])
    components = result.components()
    assert components["deaths"].tolist() == pytest.approx([109.5, 90 + 4 * 4.275])
    _balance(result)


@settings(max_examples=60, deadline=None)
@given(
    population=arrays(np.float64, SHAPE, elements=st.floats(0, 1e4)),
    survival=arrays(np.float64, SHAPE, elements=st.floats(0, 1)),
    out_rate=arrays(np.float64, SHAPE, elements=st.floats(0, 1)),
    low_out=st.booleans(),
    inflow=arrays(np.float64, SHAPE, elements=st.floats(0, 100)),
    net=arrays(np.float64, SHAPE, elements=st.floats(-500, 500)),
    fertility=arrays(np.float64, (3, 101), elements=st.floats(0, 0.3)),
)
def test_balance_closes_and_nothing_goes_negative(
    population: np.ndarray,
    survival: np.ndarray,
    out_rate: np.ndarray,
    inflow: np.ndarray,
    net: np.ndarray,
    fertility: np.ndarray,
    low_out: bool,
) -> None:
    if low_out:  # o + q < 1 and no negative net counts: the fast path applies
        survival = np.maximum(survival, 0.01)
        out_rate = out_rate * survival * 0.999
        net = np.abs(net)
    model = CohortComponentModel(
        ["a", "b", "c"],
        2020,
        population,
        fertility=fertility,
        survival=survival,
        out_migration=out_rate,
        in_migration=inflow,
        net_migration=net,
    )
    result = model.project(3, detail=True)
    _balance(result)
    assert (result.capped >= 0).all()
    fast = model.project(3)  # survivors only where no cap can bind
    assert fast.flows is None
    scale = 1.0 + result.stock.max()
    for name in ("stock", "births", "deaths", "in_migration", "out_migration", "capped"):
        assert np.allclose(getattr(fast, name), getattr(result, name), rtol=1e-9, atol=1e-9 * scale)


def test_capping_is_reported() -> None:
    population = np.full((1, 2, 101), 10.0)
    model = CohortComponentModel(
        ["x"], 2020, population, fertility=0.0, survival=0.5, out_migration=1.0
    )
    result = model.project(1, detail=True)
    assert result.stock[1].sum() == 0.0
    # deaths take half of the 2020 exposure (2,020 persons), out-migration is cut to the rest
    assert result.capped[0, 0] == pytest.approx(1010.0)
    _balance(result)


def test_bad_inputs_name_the_field() -> None:
    population = np.ones((2, 2, 101))
    with pytest.raises(ProjectionError, match=r"survival: Wert 1\.5 für Region a, Geschlecht m"):
        CohortComponentModel(["a", "b"], 2020, population, fertility=0.0, survival=1.5)
    with pytest.raises(ProjectionError, match="population: Wert -1 für Region a"):
        CohortComponentModel(["a", "b"], 2020, -population, fertility=0.0, survival=0.9)
    with pytest.raises(ProjectionError, match="in_migration: Form"):
        CohortComponentModel(
            ["a", "b"], 2020, population, fertility=0.0, survival=0.9, in_migration=np.ones(7)
        )
    with pytest.raises(ProjectionError, match="out_migration"):
        CohortComponentModel(
            ["a", "b"], 2020, population, fertility=0.0, survival=0.9, out_migration=-0.1
        )


def test_demo_workspace_projects_25_years(demo_region: DemoRegion, tmp_path: Path) -> None:
    names = ("population", "births", "deaths", "migration", "rates")
    workspace = save_demo(demo_region, tmp_path / "demo", only=names)
    model = CohortComponentModel.from_workspace(workspace)
    result = model.project(25, detail=True)
    _balance(result)
    frame = validate("projection", result.population())
    assert len(frame) == 48 * 26 * 202
    assert set(frame["year"]) == set(range(2023, 2049))
    components = result.components()
    assert list(components.columns) == [
        "ags",
        "year",
        "births",
        "deaths",
        "in_migration",
        "out_migration",
        "capped",
    ]
    # the first projected year lies near the demo's own balance of 2023
    observed = {
        "births": demo_region.tables["births"].query("year == 2023")["births"].sum(),
        "deaths": demo_region.tables["deaths"].query("year == 2023")["deaths"].sum(),
        "in_migration": demo_region.tables["migration"]
        .query("year == 2023 and direction == 'in'")["persons"]
        .sum(),
        "out_migration": demo_region.tables["migration"]
        .query("year == 2023 and direction == 'out'")["persons"]
        .sum(),
    }
    first = components[components["year"] == 2024][list(observed)].sum()
    for name, value in observed.items():
        assert first[name] == pytest.approx(value, rel=0.08), name


def test_demo_backtest_2019_to_2023(demo_region: DemoRegion) -> None:
    t = demo_region.tables
    model = CohortComponentModel.from_tables(
        t["population"],
        t["births"],
        t["deaths"],
        t["migration"],
        rates=t["rates"],
        base_year=2019,
        rate_years=range(2020, 2024),
    )
    result = model.project(4)
    pop = t["population"]
    observed = pop[pop["year"] == 2023].groupby("ags")["persons"].sum()
    predicted = result.totals()[-1]
    errors = (predicted - observed.reindex(result.regions).to_numpy()) / observed.reindex(
        result.regions
    ).to_numpy()
    mape, malpe = 100 * np.abs(errors).mean(), 100 * errors.mean()
    print(f"demo backtest 2019 -> 2023: MAPE {mape:.2f} %, MALPE {malpe:+.2f} %")
    assert mape < 2.0, f"MAPE {mape:.2f} %"
    assert abs(malpe) < 1.0, f"MALPE {malpe:.2f} %"


# --- real data: all Kreise ---------------------------------------------------------------

MERGED = {"03152": "03159", "03156": "03159"}  # Göttingen + Osterode am Harz (2016)
BAND_LOWER = [*range(0, 100, 5)]
BAND_UPPER = [*[b + 4 for b in BAND_LOWER[:-1]], 100]
MIG_GROUPS = {
    "unter 18 Jahre": (0, 17),
    "18 bis unter 25 Jahre": (18, 24),
    "25 bis unter 30 Jahre": (25, 29),
    "30 bis unter 50 Jahre": (30, 49),
    "50 bis unter 65 Jahre": (50, 64),
    "65 Jahre und mehr": (65, 100),
}
GROUPS = {"total": (0, 100), "0-17": (0, 17), "18-64": (18, 64), "65+": (65, 100)}


def _band_label(lo: int) -> str:
    if lo == 0:
        return "unter 5 Jahre"
    if lo == 95:
        return "95 Jahre und mehr"
    return f"{lo} bis unter {lo + 5} Jahre"


def _kreis_stock(folder: Path, year: int) -> pd.DataFrame:
    """Single-age stock per Kreis (rows Kreis, columns (sex, age)), Göttingen merged."""
    data = json.loads((folder / f"population_by_age_sex_county_{year}.json").read_text("utf-8"))
    keys = sorted(
        k
        for k, v in data.items()
        if len(k) == 5 and v and all(c[s] is not None for c in v.values() for s in ("m", "f"))
    )
    counts = np.array(
        [[[data[k][_band_label(lo)][s] for lo in BAND_LOWER] for s in ("m", "f")] for k in keys],
        dtype=float,
    )
    single = split_bands(counts, BAND_LOWER, BAND_UPPER, open_last=True)
    frame = pd.DataFrame(single.reshape(len(keys), -1), index=[MERGED.get(k, k) for k in keys])
    return frame.groupby(level=0).sum()


def _kreis_projection(data: Path) -> tuple[list[str], ProjectionResult]:
    """Project all Kreise from 31.12.2014 with rates of 2012–2014 (see the test docstring)."""
    base = _kreis_stock(data / "district_age", 2014)
    kreise = list(base.index)
    n = len(kreise)
    pop = base.to_numpy().reshape(n, 2, 101)
    # national rates: ASFR mean 2012-2014, life table 2016/18 (the earliest in the store)
    asfr = pd.read_csv(data / "rates_destatis" / "destatis_12612-0008_asfr_germany_long.csv")
    asfr["age"] = asfr["age_label"].str.extract(r"(\d+)", expand=False).astype(int)
    mean = asfr[asfr["year"].between(2012, 2014)].groupby("age")["asfr_per_1000"].mean()
    fertility = np.zeros(101)
    fertility[mean.index.to_numpy()] = mean.to_numpy() / 1000
    table = pd.read_csv(data / "rates_destatis" / "destatis_12621-0001_lifetables_tidy.csv")
    table = table[table["period"] == "2016-2018"].sort_values("age")
    qx = np.vstack([table["m_qx"].to_numpy(), table["f_qx"].to_numpy()])
    # mortality level per Kreis: deaths 2011-13 vs. pooled German age-sex rates (indirect
    # standardisation, empirical-Bayes shrinkage)
    kp = data / "kreise_population_migration"
    deaths = pd.read_csv(kp / "derived_deaths.csv", dtype={"AGS": str})
    years = pd.read_csv(kp / "derived_mid_year_pop.csv", dtype={"AGS": str})
    cells = deaths.merge(years, on=["year", "AGS", "age", "sex"])
    cells = cells[(cells["year"] == 2012) & (cells["AGS"].str.len() == 5)]
    cells["AGS"] = cells["AGS"].replace(MERGED)
    std = cells.groupby(["age", "sex"])[["deaths", "pop"]].sum()
    cells = cells.join((std["deaths"] / std["pop"]).rename("std"), on=["age", "sex"])
    cells["expected"] = cells["std"] * cells["pop"]
    by_kreis = cells.groupby("AGS")[["deaths", "expected"]].sum().reindex(kreise)
    missing = by_kreis["deaths"].isna()
    theta = pd.Series(1.0, index=kreise)
    theta[~missing] = shrink_ratios(by_kreis["deaths"][~missing], by_kreis["expected"][~missing])
    q_local = np.clip(qx[None] * theta.to_numpy()[:, None, None], 0, 1)
    survival = cohort_survival(q_local)
    # migration 2012-2014 by 6 groups: out-rates per group, in-movers spread like the stock
    mig = pd.read_csv(
        kp / "12711-04-02-4_migration_kreise_age_sex_1995_2018_long.csv", dtype={"ags": str}
    )
    mig = mig[mig["year"].between(2012, 2014) & mig["age_group"].isin(MIG_GROUPS)]
    mig["ags"] = mig["ags"].replace(MERGED)
    grp = (
        mig.groupby(["ags", "age_group"])[["in_male", "in_female", "out_male", "out_female"]].sum()
        / 3
    )
    out_rate = np.zeros((n, 2, 101))
    inflow = np.zeros((n, 2, 101))
    for label, (lo, hi) in MIG_GROUPS.items():
        block = grp.xs(label, level="age_group").reindex(kreise).fillna(0.0)
        ages = slice(lo, hi + 1)
        for s, sex in enumerate(("male", "female")):
            exposure = pop[:, s, ages]
            total = exposure.sum(axis=1)
            rate = np.where(total > 0, block[f"out_{sex}"].to_numpy() / np.maximum(total, 1), 0)
            out_rate[:, s, ages] = rate[:, None]
            shape = np.where(total[:, None] > 0, exposure / np.maximum(total, 1)[:, None], 0)
            inflow[:, s, ages] = block[f"in_{sex}"].to_numpy()[:, None] * shape
    model = CohortComponentModel(
        kreise,
        2014,
        pop,
        fertility=fertility,
        survival=survival,
        out_migration=np.clip(out_rate, 0, 1),
        in_migration=inflow,
    )
    return kreise, model.project(6)


@pytest.mark.realdata
def test_kreise_2014_to_2017_and_2020(real_data: Path) -> None:
    """All Kreise from the 12411-09-01-4 stock of 31.12.2014 (20 bands split to single ages).

    Rates: national ASFR 2012–2014 (12612-0008); life table 2016/18 (12621-0001; the earliest in
    the store) scaled per Kreis by its deaths 2011–13 against pooled German age–sex rates
    (indirect standardisation, empirical-Bayes shrinkage); out-migration rates and in-movers of
    2012–2014 by six age groups and sex (12711-04-02-4), constant rates within a group. No
    tuning: the errors are reported as they come, including the 2015–16 refugee inflow that
    the base period does not contain. Target groups 0–17 and 18–64 split the 15–19 band at 18
    by the monotone spline.
    """
    kreise, result = _kreis_projection(real_data)
    lines, errors = [], {}
    for target in (2017, 2020):
        observed = _kreis_stock(real_data / "district_age", target).reindex(kreise)
        ok = observed.notna().all(axis=1).to_numpy()
        obs = observed.to_numpy()[ok].reshape(-1, 2, 101)
        pred = result.stock[target - 2014][ok]
        for name, (lo, hi) in GROUPS.items():
            o = obs[:, :, lo : hi + 1].sum(axis=(1, 2))
            p = pred[:, :, lo : hi + 1].sum(axis=(1, 2))
            err = (p - o) / o * 100
            errors[target, name] = (float(np.abs(err).mean()), float(err.mean()))
            lines.append(
                f"2014 -> {target} {name:>5} (n = {ok.sum()}): MAPE {np.abs(err).mean():.2f} %, "
                f"MALPE {err.mean():+.2f} %"
            )
    report = "\n".join(lines)
    print(report)
    assert errors[2017, "total"][0] < 2.0, report
    assert errors[2020, "total"][0] < 3.0, report
    assert all(mape < 8.0 for mape, _ in errors.values()), report
