"""Location quotients, Krugman, Hoover and Herfindahl on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regiowerk.economy import EconomyError, herfindahl, hoover, krugman, location_quotients
from regiowerk.economy.run import sector_partition

# two regions, two sectors: X = [[30, 10], [20, 40]], total 100; sector totals 50, 50
X = pd.DataFrame({"a": [30.0, 20.0], "b": [10.0, 40.0]}, index=["r1", "r2"])


def test_location_quotients_by_hand() -> None:
    lq = location_quotients(X)
    # r1: 30/40 / (50/100) = 1.5; 10/40 / 0.5 = 0.5; r2: 20/60 / 0.5 = 2/3; 40/60 / 0.5 = 4/3
    assert lq.loc["r1", "a"] == pytest.approx(1.5)
    assert lq.loc["r1", "b"] == pytest.approx(0.5)
    assert lq.loc["r2", "a"] == pytest.approx(2 / 3)
    assert lq.loc["r2", "b"] == pytest.approx(4 / 3)


def test_location_quotients_against_a_national_reference() -> None:
    reference = pd.Series({"a": 200.0, "b": 800.0})
    lq = location_quotients(X, reference)
    assert lq.loc["r1", "a"] == pytest.approx(0.75 / 0.2)
    assert lq.loc["r2", "b"] == pytest.approx((40 / 60) / 0.8)


def test_krugman_without_and_with_half() -> None:
    # r1 shares 0.75/0.25 vs 0.5/0.5 → |0.25| + |0.25| = 0.5; r2 1/3, 2/3 → 1/6 + 1/6
    assert krugman(X).to_dict() == pytest.approx({"r1": 0.5, "r2": 1 / 3})
    assert krugman(X, half=True).to_dict() == pytest.approx({"r1": 0.25, "r2": 1 / 6})
    identical = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 6.0]}, index=["x", "y"])
    assert krugman(identical).to_numpy() == pytest.approx([0.0, 0.0])
    disjoint = pd.DataFrame({"a": [5.0, 0.0], "b": [0.0, 5.0]}, index=["x", "y"])
    assert krugman(disjoint).to_numpy() == pytest.approx([1.0, 1.0])
    assert krugman(disjoint, pd.Series({"a": 0.0, "b": 1.0}))["x"] == pytest.approx(2.0)


def test_hoover_by_hand() -> None:
    # sector a: shares 0.6/0.4 vs region shares 0.4/0.6 → ½ (0.2 + 0.2) = 0.2
    # sector b: 0.2/0.8 vs 0.4/0.6 → ½ (0.2 + 0.2) = 0.2
    assert hoover(X).to_dict() == pytest.approx({"a": 0.2, "b": 0.2})
    concentrated = pd.DataFrame({"a": [10.0, 0.0], "b": [0.0, 990.0]}, index=["x", "y"])
    assert hoover(concentrated)["a"] == pytest.approx(0.99)


def test_hoover_with_reference_counts_the_rest_of_the_country() -> None:
    # reference 100/100: rest = (50, 50); three "regions": r1, r2, rest
    reference = pd.Series({"a": 100.0, "b": 100.0})
    # a: 0.3, 0.2, 0.5 vs totals 0.2, 0.3, 0.5 → ½ (0.1 + 0.1 + 0) = 0.1
    assert hoover(X, reference)["a"] == pytest.approx(0.1)
    with pytest.raises(EconomyError, match="mehr Beschäftigte"):
        hoover(X, pd.Series({"a": 10.0, "b": 100.0}))


def test_herfindahl_by_hand() -> None:
    assert herfindahl(X).to_dict() == pytest.approx({"r1": 0.625, "r2": 5 / 9})
    even = pd.DataFrame({s: [1.0] for s in "abcd"}, index=["x"])
    assert herfindahl(even)["x"] == pytest.approx(0.25)


def test_missing_cells_are_not_zero() -> None:
    gaps = X.copy()
    gaps.loc["r1", "b"] = np.nan
    assert math.isnan(krugman(gaps)["r1"])
    assert math.isnan(herfindahl(gaps)["r1"])
    assert not math.isnan(krugman(gaps)["r2"])
    assert math.isnan(location_quotients(gaps).loc["r1", "b"])
    assert math.isnan(hoover(gaps)["b"])


def test_bad_input_is_named() -> None:
    negative = X.copy()
    negative.loc["r2", "a"] = -3.0
    with pytest.raises(EconomyError, match="Region r2, Wirtschaftszweig a"):
        location_quotients(negative)
    with pytest.raises(EconomyError, match="nicht in der Referenz: b"):
        krugman(X, pd.Series({"a": 1.0, "c": 2.0}))


def test_sector_partition() -> None:
    codes = ["A", "B-F", "B-E", "C", "F", "G-U", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U"]
    kept, dropped = sector_partition(codes)
    assert kept == ["A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U"]
    assert dropped == ["B-F", "C", "G-U"]
    assert sector_partition(list("ABC")) == (["A", "B", "C"], [])
    with pytest.raises(EconomyError, match="unbekannt"):
        sector_partition(["A", "TOTAL"])
    with pytest.raises(EconomyError, match="überschneiden"):
        sector_partition(["B-D", "C-E"])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 6), st.integers(2, 5)),
        elements=st.floats(0, 1e6, allow_nan=False).map(round),
    )
)
def test_weighted_lq_mean_is_one_and_bounds(values: np.ndarray) -> None:
    frame = pd.DataFrame(values + 1.0)  # every region and sector has employment
    lq = location_quotients(frame)
    weights = frame.sum(axis=1)
    mean = lq.mul(weights, axis=0).sum() / weights.sum()
    assert np.allclose(mean.to_numpy(), 1.0, rtol=1e-9)
    assert ((krugman(frame) >= -1e-12) & (krugman(frame) <= 2 + 1e-12)).all()
    hhi = herfindahl(frame)
    assert ((hhi >= 1 / frame.shape[1] - 1e-12) & (hhi <= 1 + 1e-12)).all()
    h = hoover(frame)
    assert ((h >= -1e-12) & (h <= 1 + 1e-12)).all()
