"""Occupancy prior and its IPF fit to the occupied stock."""

from __future__ import annotations

import numpy as np
import pytest

from regiowerk.housing import occupancy
from regiowerk.housing.parameters import housing_defaults

DEFAULTS = housing_defaults()


def test_prior_rows_are_distributions_and_older_households_live_larger() -> None:
    seed = occupancy.prior(DEFAULTS)
    assert seed.sum(axis=-1) == pytest.approx(np.ones(seed.shape[:2]))
    mean_class = (seed * np.arange(4)).sum(axis=-1)
    assert mean_class[0, 6] > mean_class[0, 1]  # singles 75–84 vs 25–34


def test_fit_matches_rows_and_columns() -> None:
    rng = np.random.default_rng(5)
    households = rng.uniform(10, 500, (3, 5, DEFAULTS.bands))
    occupied = rng.uniform(100, 5000, (3, 4))
    occupied[2] = np.nan  # no data: the prior stays
    seed = occupancy.prior(DEFAULTS)
    pi, iterations = occupancy.fit(households, occupied, seed)
    assert 0 < iterations < occupancy.MAX_ITERATIONS
    assert pi.sum(axis=-1) == pytest.approx(np.ones(pi.shape[:3]))
    demand = occupancy.demand(households[None], pi)[0]
    total = households.sum(axis=(1, 2))
    expected = occupied[:2] / occupied[:2].sum(axis=1, keepdims=True) * total[:2, None]
    assert demand[:2] == pytest.approx(expected, rel=1e-8)
    assert pi[2] == pytest.approx(seed)


def test_a_class_without_prior_is_still_filled() -> None:
    seed = occupancy.prior(DEFAULTS).copy()
    seed[..., 3] = 0.0  # no household type would live in 5+ rooms …
    seed /= seed.sum(axis=-1, keepdims=True)
    households = np.full((1, 5, DEFAULTS.bands), 10.0)
    occupied = np.array([[100.0, 100.0, 100.0, 100.0]])  # … but a quarter of the stock is 5+
    pi, iterations = occupancy.fit(households, occupied, seed)
    assert iterations < occupancy.MAX_ITERATIONS
    assert occupancy.demand(households[None], pi)[0, 0] == pytest.approx([100.0] * 4, rel=1e-6)
