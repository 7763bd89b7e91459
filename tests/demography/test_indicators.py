"""Demographic indicators: hand-worked example, properties, demographic types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regiowerk.demography.indicators import age_structure, balances, demographic_type
from regiowerk.errors import RegiowerkError


def _uniform(ags: str = "03991001", year: int = 2023, per_age: float = 5.0) -> pd.DataFrame:
    ages = np.arange(101)
    return pd.DataFrame(
        {
            "ags": ags,
            "year": year,
            "sex": np.repeat(["m", "f"], 101),
            "age": np.tile(ages, 2),
            "persons": per_age,
        }
    )


def test_hand_worked_uniform_population() -> None:
    # 10 persons per year of age 0..100: 200 aged 0-19, 450 aged 20-64, 360 aged 65+, 210 80+
    row = age_structure(_uniform()).iloc[0]
    assert row["persons"] == 1010
    assert row["youth_ratio"] == pytest.approx(200 / 450 * 100)
    assert row["old_age_ratio"] == pytest.approx(360 / 450 * 100)
    assert row["share_65"] == pytest.approx(360 / 1010 * 100)
    assert row["share_80"] == pytest.approx(210 / 1010 * 100)
    # half = 505; 500 persons are younger than 50, age 50 holds 10 -> 50 + 5/10
    assert row["median_age"] == pytest.approx(50.5)


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, 101, elements=st.integers(0, 10_000)))
def test_indicators_stay_in_range(counts: np.ndarray) -> None:
    frame = pd.DataFrame(
        {"ags": "01051044", "year": 2023, "sex": "f", "age": np.arange(101), "persons": counts}
    )
    row = age_structure(frame).iloc[0]
    if counts.sum() == 0:
        assert np.isnan(row["median_age"])
        return
    assert 0 <= row["median_age"] <= 101
    assert 0 <= row["share_80"] <= row["share_65"] <= 100 + 1e-9


def test_balances_per_thousand_of_the_starting_stock() -> None:
    population = _uniform(year=2022)
    components = pd.DataFrame(
        {
            "ags": ["03991001"],
            "year": [2023],
            "births": [8.0],
            "deaths": [18.1],
            "in_migration": [40.0],
            "out_migration": [29.9],
        }
    )
    row = balances(components, population).iloc[0]
    assert row["natural_per_1000"] == pytest.approx(-10.1 / 1010 * 1000)
    assert row["migration_per_1000"] == pytest.approx(10.1 / 1010 * 1000)


def test_demographic_types() -> None:
    old_village = _uniform("03991002", 2013, 5.0)
    old_village_later = _uniform("03991002", 2023, 4.0)  # -20 %, share 65+ 35.6 %
    young = _uniform("03991003", 2013, 5.0)
    young_later = _uniform("03991003", 2023, 5.0)
    young_later.loc[young_later["age"] < 40, "persons"] = 20.0  # growing, share 65+ 16 %
    frame = pd.concat([old_village, old_village_later, young, young_later], ignore_index=True)
    types = demographic_type(frame, start=2013, end=2023)
    assert types["03991002"] == "stark schrumpfend und alternd"
    assert types["03991003"] == "wachsend, jünger"
    with pytest.raises(RegiowerkError, match="2030"):
        demographic_type(frame, start=2013, end=2030)


def test_bad_input() -> None:
    with pytest.raises(RegiowerkError, match="Spalten"):
        age_structure(pd.DataFrame({"ags": ["x"], "persons": [1]}))
    negative = _uniform()
    negative.loc[3, "persons"] = -1
    with pytest.raises(RegiowerkError, match="negativ"):
        age_structure(negative)
