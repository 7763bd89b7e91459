"""Naive benchmarks and the default method on hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from regiowerk.demography.ensemble import DRIFT, kreis_drift, size_class
from regiowerk.demography.naive import (
    ProjectionInputError,
    constant,
    control_to_totals,
    exponential,
    linear,
    share_of_kreis,
    share_of_kreis_trended,
)
from regiowerk.errors import RegiowerkError

# Kreis 01001: 100 → 120 and 200 → 200 (Kreis 300 → 320); Kreis 01002: 50 → 50.
BASE = pd.DataFrame(
    {2010: [100.0, 200.0, 50.0], 2012: [120.0, 200.0, 50.0]},
    index=pd.Index(["01001001", "01001002", "01002001"], name="ags"),
)


def test_constant_linear_exponential_by_hand() -> None:
    assert constant(BASE, [2015])[2015].tolist() == [120, 200, 50]
    # slope (120 − 100) / 2 = 10 per year, horizon 3
    assert linear(BASE, [2015, 2016])[2015].tolist() == [150, 200, 50]
    assert linear(BASE, [2016])[2016].tolist() == [160, 200, 50]
    expected = 120 * 1.2**1.5
    assert exponential(BASE, [2015])[2015].tolist() == pytest.approx([expected, 200, 50])


def test_linear_is_floored_at_zero() -> None:
    shrinking = pd.DataFrame({2000: [100.0], 2001: [10.0]}, index=pd.Index(["01001001"]))
    assert linear(shrinking, [2003])[2003].tolist() == [0.0]


def test_share_of_kreis_constant_and_trended_by_hand() -> None:
    # Kreis 01001 linear: 320 + 3 · 10 = 350; shares 2012: 0.375 and 0.625
    result = share_of_kreis(BASE, [2015])[2015]
    assert result.tolist() == pytest.approx([131.25, 218.75, 50])
    # shares 2010: 1/3 and 2/3 → trended to 2015: 0.4375 and 0.5625 (they add up to 1)
    trended = share_of_kreis_trended(BASE, [2015])[2015]
    assert trended.tolist() == pytest.approx([153.125, 196.875, 50])


def test_share_of_kreis_with_a_given_kreis_projection() -> None:
    kreise = pd.DataFrame({2015: [400.0, 60.0]}, index=pd.Index(["01001", "01002"]))
    result = share_of_kreis(BASE, [2015], kreis_projection=kreise)[2015]
    assert result.tolist() == pytest.approx([150, 250, 60])
    with pytest.raises(ProjectionInputError, match="Kreisprojektion fehlt"):
        share_of_kreis(BASE, [2015], kreis_projection=kreise.iloc[:1])


def test_control_to_kreis_totals_is_proportional() -> None:
    projection = constant(BASE, [2015, 2020])
    totals = pd.DataFrame(
        {2015: [640.0, 25.0], 2020: [320.0, 50.0]}, index=pd.Index(["01001", "01002"])
    )
    controlled = control_to_totals(projection, totals)
    assert controlled[2015].tolist() == pytest.approx([240, 400, 25])
    assert controlled[2020].tolist() == pytest.approx([120, 200, 50])
    with pytest.raises(ProjectionInputError, match="Kreissumme fehlt"):
        control_to_totals(projection, totals.iloc[1:])


@pytest.mark.parametrize(
    ("base", "years", "message"),
    [
        (BASE[[2010]], [2015], "zwei Basisjahre"),
        (BASE[[2012, 2010]], [2015], "aufsteigend"),
        (BASE.mask(BASE > 150), [2015], "Fehlende"),
        (BASE * -1, [2015], "Negative"),
        (BASE, [2012], "nach dem letzten Basisjahr"),
    ],
)
def test_bad_input_is_refused_in_german(base: pd.DataFrame, years: list[int], message: str) -> None:
    with pytest.raises(RegiowerkError, match=message):
        linear(base, years)


def test_size_classes_by_population() -> None:
    labels = size_class(np.array([0, 999, 1000, 4999, 5000, 19999, 20000]))
    assert labels.tolist() == ["<1k", "<1k", "1-5k", "1-5k", "5-20k", "5-20k", ">=20k"]


def test_kreis_drift_by_hand() -> None:
    # Kreis 1000 → 1210 in two years: half the annual log growth gives ×1.1 over two years.
    base = pd.DataFrame(
        {2014: [400.0, 600.0], 2016: [500.0, 710.0]}, index=pd.Index(["01001001", "01001002"])
    )
    no_drift = dict.fromkeys(DRIFT, 0.0)
    assert kreis_drift(base, [2018], drift=no_drift)[2018].tolist() == pytest.approx([550, 781])
    factor = 1.1 * math.exp(2 * DRIFT["<1k"])
    assert kreis_drift(base, [2018])[2018].tolist() == pytest.approx(
        [550 / 1.1 * factor, 781 / 1.1 * factor]
    )
    # without damping the Kreis trend runs in full: ×1.21 over two years
    full = kreis_drift(base, [2018], damping=1.0, drift=no_drift)[2018]
    assert full.tolist() == pytest.approx([605, 859.1])


def test_methods_are_vectorised_and_keep_the_index() -> None:
    rng = np.random.default_rng(4)
    keys = [f"{k:05d}{m:03d}" for k in range(1001, 1051) for m in range(200)]
    base = pd.DataFrame(
        {2014: rng.integers(50, 50_000, len(keys)), 2016: rng.integers(50, 50_000, len(keys))},
        index=pd.Index(keys, name="ags"),
    ).astype(float)
    for method in (constant, linear, exponential, share_of_kreis, kreis_drift):
        result = method(base, [2017, 2021])
        assert result.index.equals(base.index)
        assert list(result.columns) == [2017, 2021]
        assert (result.to_numpy() >= 0).all()
