"""Headship rates, calibration and in-mover households."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiowerk.demography.scenario import Employer
from regiowerk.housing import households as hh
from regiowerk.housing.parameters import housing_defaults

DEFAULTS = housing_defaults()


def _employer(**changes: float) -> Employer:
    base = {
        "name": "Werk",
        "site": "03991016",
        "jobs": {2026: 100},
        "share_in_movers": 0.5,
        "share_commuters": 0.3,
        "share_locals": 0.2,
    }
    return Employer.model_validate({**base, **changes})


def test_bands_sum_the_single_ages() -> None:
    stock = np.arange(2 * 3 * 2 * 101, dtype=float).reshape(2, 3, 2, 101)
    bands = hh.band_population(stock, DEFAULTS.band_lower)
    assert bands.shape == (2, 3, DEFAULTS.bands, 2)
    assert bands.sum() == pytest.approx(stock[..., 15:].sum())
    assert bands[1, 2, -1, 0] == pytest.approx(stock[1, 2, 0, 85:].sum())


def test_calibration_reproduces_observed_and_falls_back_to_the_land() -> None:
    rng = np.random.default_rng(3)
    population = rng.uniform(100, 1000, (1, 3, DEFAULTS.bands, 2))
    base = hh.uncalibrated(population, DEFAULTS)[0]
    observed = np.array([[500.0, 400, 150, 100, 40], [np.nan] * 5, [300.0, 300, 90, 80, 20]])
    regions = ("03991001", "15991002", "15992003")
    calibration = hh.calibrate(base, observed, regions, DEFAULTS, "Haushalte 2023")
    fitted = hh.project(population, calibration, DEFAULTS)[0].sum(axis=-1)
    assert fitted[[0, 2]] == pytest.approx(observed[[0, 2]], rel=1e-12)
    assert calibration.factors[1] == pytest.approx(DEFAULTS.land_factors["15"])
    assert calibration.origin[1] == "Standardwerte Land 15 (Zensus 2011)"
    assert calibration.origin[0] == "Haushalte 2023"


def test_households_without_adults_cannot_be_calibrated() -> None:
    population = np.zeros((1, 1, DEFAULTS.bands, 2))
    base = hh.uncalibrated(population, DEFAULTS)[0]
    with pytest.raises(hh.HouseholdError, match="03991001"):
        hh.calibrate(base, np.array([[5.0, 0, 0, 0, 0]]), ("03991001",), DEFAULTS, "x")


def test_older_population_means_more_single_households() -> None:
    young = np.zeros((1, 1, DEFAULTS.bands, 2))
    old = np.zeros((1, 1, DEFAULTS.bands, 2))
    young[..., 1, :] = 1000  # 25–34
    old[..., 6, :] = 1000  # 75–84
    share = [(h := hh.uncalibrated(p, DEFAULTS)[0, 0].sum(-1))[0] / h.sum() for p in (young, old)]
    assert share[1] > share[0]


@settings(max_examples=50, deadline=None)
@given(p=st.floats(0, 1), c=st.floats(0, 3), persons=st.floats(1, 1e4))
def test_settled_households_hold_all_persons(p: float, c: float, persons: float) -> None:
    sizes, sought = hh._settled(
        _employer(partners_per_mover=p, children_per_mover=c), persons, DEFAULTS
    )
    heads = persons / (1 + p + c)
    assert sum(sizes.values()) == pytest.approx(heads, rel=1e-9)
    assert sought.sum() == pytest.approx(heads, rel=1e-9)
    assert all(v >= -1e-9 for v in sizes.values())
    families = min(1.0, c / DEFAULTS.children_per_family) if c > 0 else 0.0
    if c == 0 or 2 + c / families < 5:  # below the open class 5+, persons are kept exactly
        held = sum(size * count for size, count in sizes.items())
        assert held == pytest.approx(persons, rel=1e-9)


def test_in_movers_are_counted_from_arrival_to_the_horizon() -> None:
    import pandas as pd

    employer = _employer(partners_per_mover=0.0, children_per_mover=0.0)
    arrivals = pd.DataFrame(
        {
            "employer": ["Werk", "Werk", "Werk"],
            "kind": ["settled", "multilocal", "settled"],
            "ags": ["A", "A", "B"],
            "year": [2025, 2026, 2023],  # the base-year arrival is in the population already
            "persons": [10.0, 4.0, 7.0],
        }
    )
    movers = hh.in_mover_households(
        arrivals, [employer], ("A", "B"), (2023, 2024, 2025, 2026), DEFAULTS
    )
    assert movers.households[:, 0, 0].tolist() == [0.0, 0.0, 10.0, 14.0]
    assert movers.households[:, 1].sum() == 0.0
    assert movers.dwellings[3, 0] == pytest.approx(
        10 * DEFAULTS.in_movers["single"] + 4 * DEFAULTS.in_movers["multilocal"]
    )
