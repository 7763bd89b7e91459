"""Rates: defaults, cohort survival, empirical-Bayes scaling, Rogers–Castro fits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regiowerk.demo import DemoRegion
from regiowerk.demo.demography import ROGERS_CASTRO
from regiowerk.demography.rates import (
    AGES,
    RateError,
    cohort_survival,
    estimate_rates,
    fit_rogers_castro,
    national_defaults,
    rogers_castro,
    shrink_ratios,
)


def test_defaults_have_plausible_levels() -> None:
    rates = national_defaults()
    assert rates.fertility.sum() == pytest.approx(1.53, abs=0.01)  # TFR 2020–2022
    assert rates.fertility[:15].sum() == 0
    assert rates.fertility[50:].sum() == 0
    assert rates.qx.shape == (2, 101)
    assert rates.qx[0, 0] == pytest.approx(0.00325, rel=0.01)
    assert (rates.qx[:, 60] > rates.qx[:, 30]).all()


def test_cohort_survival_of_a_constant_hazard() -> None:
    q = np.full(101, 0.1)
    s = cohort_survival(q)
    # l(x) geometric, L(x) = l(x)(1 - q/2) for x >= 1, so the ratio is 1 - q
    assert np.allclose(s[2:100], 0.9)
    assert s[0] == pytest.approx(1 - (1 - 0.13) * 0.1)
    # open age: T(100) / (L(99) + T(100)) with T(100) = l(100) / -ln(0.9)
    t100 = 0.9**100 / -np.log(0.9)
    assert s[100] == pytest.approx(t100 / (0.9**99 * 0.95 + t100))
    with pytest.raises(RateError, match=r"q\(x\).*nicht in \[0, 1\]"):
        cohort_survival(np.full(101, 1.2))


def test_shrinkage_pulls_small_areas_toward_the_common_level() -> None:
    observed = np.array([0.0, 30.0, 1000.0, 1300.0])
    expected = np.array([2.0, 20.0, 1000.0, 1000.0])
    theta = shrink_ratios(observed, expected)
    m = observed.sum() / expected.sum()
    assert abs(theta[0] - m) < abs(0.0 - m)  # the tiny area moves most
    assert theta[3] == pytest.approx(1.3, abs=0.02)  # a large area keeps its ratio
    assert np.allclose(shrink_ratios(observed[:1], expected[:1]), [0.0])
    homogeneous = shrink_ratios(np.array([10.0, 12.0, 9.0]), np.array([10.0, 10.0, 10.0]))
    assert np.allclose(homogeneous, 31 / 30)  # Poisson noise only: full shrinkage


@pytest.mark.parametrize("retirement", [False, True])
def test_rogers_castro_fit_recovers_a_known_schedule(retirement: bool) -> None:
    truth = dict(ROGERS_CASTRO)
    if retirement:
        truth |= {"a3": 0.002, "mu3": 64.0, "alpha3": 0.6, "lambda3": 0.4}
    rates = rogers_castro(AGES, truth)
    fitted = fit_rogers_castro(AGES, rates, retirement=retirement)
    assert np.allclose(rogers_castro(AGES, fitted), rates, atol=2e-4)
    assert fitted["mu2"] == pytest.approx(truth["mu2"], abs=0.5)


def test_rogers_castro_on_the_demo_out_migration(demo_region: DemoRegion) -> None:
    tables = demo_region.tables
    pop = tables["population"]
    moves = tables["migration"]
    outs = moves[moves["direction"] == "out"].groupby("age_from")["persons"].sum()
    exposure = pop[pop["year"] < 2023].groupby("age")["persons"].sum()
    exposure.index = exposure.index + 1
    ages = np.arange(1, 85)
    rates = (outs.reindex(ages) / exposure.reindex(ages)).to_numpy()
    fitted = fit_rogers_castro(ages, rates, exposure.reindex(ages).to_numpy())
    truth = rogers_castro(ages, ROGERS_CASTRO)
    relative = np.abs(rogers_castro(ages, fitted) / truth - 1)
    assert np.median(relative) < 0.05, f"median relative error {np.median(relative):.3f}"


def test_estimate_rates_on_the_demo_with_a_rogers_castro_schedule(
    demo_region: DemoRegion,
) -> None:
    t = demo_region.tables
    regions = sorted(t["population"]["ags"].unique())
    tables = (t["population"], t["births"], t["deaths"], t["migration"])
    empirical = estimate_rates(*tables, regions=regions, years=range(2020, 2024), rates=t["rates"])
    smooth = estimate_rates(
        *tables,
        regions=regions,
        years=range(2020, 2024),
        rates=t["rates"],
        migration_schedule="rogers-castro",
    )
    # the demo draws out-movers from one Rogers–Castro schedule: the fitted pooled schedule
    # recovers it (before the local factor) where the single-age rates are noisy
    truth = rogers_castro(AGES, ROGERS_CASTRO)
    local = smooth.factors["out_migration"].to_numpy()[:, None, None]
    pooled = smooth.out_migration / local
    error = np.abs(pooled[0, :, 1:90] / truth[1:90] - 1)
    noisy = np.abs(empirical.out_migration[0, :, 1:90] / local[0] / truth[1:90] - 1)
    print(f"RC median relative error {np.median(error):.3f}, empirical {np.median(noisy):.3f}")
    assert np.median(error) < 0.05
    assert np.median(error) < np.median(noisy)
    assert np.allclose(smooth.in_migration, empirical.in_migration)


def _tiny_tables(out_persons: float = 10.0) -> dict[str, pd.DataFrame]:
    rows = []
    for year in (2020, 2021):
        for ags, size in (("01001000", 100.0), ("01002000", 400.0)):
            for sex in ("m", "f"):
                for age in AGES:
                    rows.append((ags, year, sex, int(age), size))
    population = pd.DataFrame(rows, columns=["ags", "year", "sex", "age", "persons"])
    births = pd.DataFrame(
        {
            "region": ["01", "01"],
            "year": [2021, 2021],
            "age_from": [15, 15],
            "age_to": [49, 49],
            "sex": ["m", "f"],
            "births": [105.0, 100.0],
        }
    )
    deaths = pd.DataFrame(
        {
            "region": ["01001000", "01002000"],
            "year": [2021, 2021],
            "age_from": [0, 0],
            "age_to": [100, 100],
            "sex": ["m", "m"],
            "deaths": [100.0, 500.0],
        }
    )
    migration = pd.DataFrame(
        {
            "region": ["01001", "01002"] * 2,
            "year": 2021,
            "direction": ["in", "in", "out", "out"],
            "age_from": 0,
            "age_to": 100,
            "sex": "f",
            "persons": [50.0, 50.0, out_persons, 30.0],
        }
    )
    return {"population": population, "births": births, "deaths": deaths, "migration": migration}


def test_estimate_rates_at_mixed_levels() -> None:
    t = _tiny_tables()
    rates = estimate_rates(
        t["population"],
        t["births"],
        t["deaths"],
        t["migration"],
        regions=["01001000", "01002000"],
        years=[2021],
    )
    assert rates.fertility.shape == (2, 101)
    assert rates.survival.shape == (2, 2, 101)
    assert rates.boys_per_girl == pytest.approx(1.05)
    # births at Land level: one common factor, observed births shared by population
    f = rates.factors.set_index("ags")
    assert f["fertility"].nunique() == 1
    assert f["births_observed"].sum() == pytest.approx(205.0)
    # in-migrants: each Kreis' own total, only women, constant rate across ages
    assert rates.in_migration.sum(axis=(1, 2)) == pytest.approx([50.0, 50.0])
    assert rates.in_migration[:, 0].sum() == 0
    assert rates.out_migration[:, 0].sum() == 0
    assert ((rates.survival >= 0) & (rates.survival <= 1)).all()


def test_estimate_rates_errors_name_the_field() -> None:
    t = _tiny_tables()
    with pytest.raises(RateError, match="ags 01002000, Jahr 2021, Geschlecht f, Alter 100"):
        estimate_rates(
            t["population"].iloc[:-1],
            t["births"],
            t["deaths"],
            t["migration"],
            regions=["01001000", "01002000"],
            years=[2021],
        )
    bad = pd.DataFrame(
        {
            "region": ["01"],
            "year": [2021],
            "kind": ["mortality"],
            "sex": ["m"],
            "age": [3],
            "value": [1.5],
        }
    )
    with pytest.raises(RateError, match="Art mortality, Spalte value"):
        estimate_rates(
            t["population"],
            t["births"],
            t["deaths"],
            t["migration"],
            regions=["01001000", "01002000"],
            years=[2021],
            rates=bad,
        )
    with pytest.raises(RateError, match="Spalte region"):
        estimate_rates(
            t["population"],
            t["births"],
            t["deaths"].assign(region="02000000"),
            t["migration"],
            regions=["01001000", "01002000"],
            years=[2021],
        )


@pytest.mark.realdata
def test_defaults_match_the_destatis_files(real_data: Path) -> None:
    folder = real_data / "rates_destatis"
    asfr = pd.read_csv(folder / "destatis_12612-0008_asfr_germany_long.csv")
    asfr["age"] = asfr["age_label"].str.extract(r"(\d+)", expand=False).astype(int)
    mean = asfr[asfr["year"].between(2020, 2022)].groupby("age")["asfr_per_1000"].mean()
    defaults = national_defaults()
    assert np.allclose(defaults.fertility[15:50] * 1000, mean.loc[15:49], atol=0.006)
    table = pd.read_csv(folder / "destatis_12621-0001_lifetables_tidy.csv")
    table = table[table["period"] == "2020-2022"].sort_values("age")
    for s, sex in enumerate(("m", "f")):
        assert np.allclose(defaults.qx[s], table[f"{sex}_qx"], rtol=1e-5)
        # the derived L(x) matches the published one (radix 100,000) within 0.1 %
        survival = cohort_survival(defaults.qx[s])
        published = table[f"{sex}_Lx"].to_numpy()
        assert np.allclose(survival[1:100], published[1:100] / published[:99], rtol=1e-3)
        assert survival[0] == pytest.approx(published[0] / 1e5, rel=2e-4)
