"""Shift-share: hand-computed example, identity (property tests), zero cells, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regiowerk.economy import EconomyError, dynamic_shift_share, shift_share

START = pd.DataFrame({"a": [100.0, 50.0], "b": [200.0, 0.0]}, index=["r1", "r2"])
END = pd.DataFrame({"a": [120.0, 70.0], "b": [190.0, 10.0]}, index=["r1", "r2"])


def _cell(frame: pd.DataFrame, region: str, sector: str) -> pd.Series:
    return frame.set_index(["region", "sector"]).loc[(region, sector)]


def test_classic_by_hand_with_reference() -> None:
    # reference: a 1000 → 1100 (g_a = 0.1), b 1000 → 1000 (g_b = 0); g = 100/2000 = 0.05
    ref0, ref1 = pd.Series({"a": 1000.0, "b": 1000.0}), pd.Series({"a": 1100.0, "b": 1000.0})
    result = shift_share(START, END, ref0, ref1, years=(2015, 2020))
    cell = _cell(result.frame, "r1", "a")
    assert cell["national"] == pytest.approx(5.0)  # 100 · 0.05
    assert cell["industry_mix"] == pytest.approx(5.0)  # 100 · (0.1 − 0.05)
    assert cell["competitive"] == pytest.approx(10.0)  # 100 · (0.2 − 0.1)
    assert cell["total"] == 20.0
    b = _cell(result.frame, "r1", "b")
    assert (b["national"], b["industry_mix"], b["competitive"]) == pytest.approx((10, -10, -10))
    assert set(result.frame["start_year"]) == {2015}
    assert set(result.frame["end_year"]) == {2020}


def test_zero_start_is_all_competitive() -> None:
    result = shift_share(START, END)
    cell = _cell(result.frame, "r2", "b")
    assert (cell["national"], cell["industry_mix"]) == (0.0, 0.0)
    assert cell["competitive"] == 10.0 == cell["total"]


def test_without_reference_competitive_sums_to_zero_per_sector() -> None:
    frame = shift_share(START, END).frame
    assert frame.groupby("sector")["competitive"].sum().abs().max() < 1e-9


def test_reference_sector_without_employment() -> None:
    ref0, ref1 = pd.Series({"a": 1000.0, "b": 0.0}), pd.Series({"a": 1100.0, "b": 5.0})
    with pytest.raises(EconomyError, match="keine Beschäftigten in b"):
        shift_share(START, END, ref0, ref1)


def test_missing_cells_are_excluded_and_counted() -> None:
    gaps = END.copy()
    gaps.loc["r1", "b"] = np.nan
    result = shift_share(START, gaps)
    assert result.excluded == [("r1", "b")]
    assert len(result.frame) == 3
    assert "1 Zellen" in result.notes[0]


def test_bad_input() -> None:
    negative = END.copy()
    negative.loc["r2", "a"] = -1.0
    with pytest.raises(EconomyError, match="Region r2, Wirtschaftszweig a"):
        shift_share(START, negative, years=(2015, 2020))
    with pytest.raises(EconomyError, match="Region fehlt im Jahr 2020: r2"):
        shift_share(START, END.drop(index="r2"), years=(2015, 2020))
    with pytest.raises(EconomyError, match="Wirtschaftszweig nur im Jahr 1"):
        shift_share(START, END.assign(c=1.0))
    with pytest.raises(EconomyError, match="nicht in der Referenz: b"):
        shift_share(START, END, pd.Series({"a": 1.0}), pd.Series({"a": 2.0}))


def test_dynamic_sums_the_steps() -> None:
    middle = pd.DataFrame({"a": [90.0, 60.0], "b": [230.0, 5.0]}, index=["r1", "r2"])
    years = {2015: START, 2016: middle, 2017: END}
    annual = dynamic_shift_share(years, annual=True).frame
    summed = dynamic_shift_share(years).frame.set_index(["region", "sector"])
    parts = ["national", "industry_mix", "competitive"]
    steps = annual.groupby(["region", "sector"])[[*parts, "total"]].sum()
    assert np.allclose(summed[parts], steps.loc[summed.index, parts])
    # each step is an independent classic shift-share; the dynamic components are their sums
    first = shift_share(START, middle).frame.set_index(["region", "sector"])
    second = shift_share(middle, END).frame.set_index(["region", "sector"])
    for column in parts:
        assert np.allclose(summed[column], first[column] + second[column])
    # competitive of the first step by hand: r1/a: 100 · (0.9 − g_a), g_a = 150/150 − 1 = 0
    assert first.loc[("r1", "a"), "competitive"] == pytest.approx(100 * (90 / 100 - 1 - 0))
    assert (summed["total"] == (END - START).stack().reindex(summed.index)).all()
    assert set(annual["start_year"]) == {2015, 2016}
    # the dynamic result differs from the classic one when the mix changes within the period
    classic = shift_share(START, END).frame.set_index(["region", "sector"])
    assert not np.allclose(classic["national"], summed["national"])


matrices = st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(
    lambda shape: st.tuples(
        *(
            arrays(
                np.float64,
                shape,
                elements=st.one_of(
                    st.just(0.0), st.floats(0, 1e7, allow_nan=False).map(lambda x: round(x, 2))
                ),
            )
            for _ in range(3)
        )
    )
)


# employment counts (or estimates to two decimals), never subnormal floats


def _growth(r0: np.ndarray, r1: np.ndarray) -> tuple[float, np.ndarray]:
    """``g`` and ``g_s`` of a reference (sectors without start employment: 0, unused)."""
    g = r1.sum() / r0.sum() - 1.0 if r0.sum() > 0 else 0.0
    g_s = np.divide(r1, r0, out=np.ones_like(r0), where=r0 > 0) - 1.0
    return g, g_s


def _assert_classic(
    frame: pd.DataFrame, e0: np.ndarray, e1: np.ndarray, r0: np.ndarray, r1: np.ndarray
) -> None:
    """The components of ``frame`` (rows in region-major order) against the textbook formulas
    computed here: N = E⁰·g, M = E⁰·(g_s − g), C = E⁰·(g_rs − g_s) where E⁰ > 0; all change
    competitive where E⁰ = 0."""
    g, g_s = _growth(r0, r1)
    positive = e0 > 0
    g_rs = np.divide(e1, e0, out=np.zeros_like(e0), where=positive) - 1.0
    expected = {
        "national": e0 * g,
        "industry_mix": e0 * (g_s[None, :] - g),
        "competitive": np.where(positive, e0 * (g_rs - g_s[None, :]), e1),
        "total": e1 - e0,
    }
    # rounding: a few ulps of the largest term in ΔE − (N + M)
    scale = np.maximum.reduce([np.ones_like(e0), e0, e1, np.abs(e0 * g), np.abs(e0 * g_s[None, :])])
    for column, want in expected.items():
        have = frame[column].to_numpy().reshape(e0.shape)
        assert (np.abs(have - want) <= 1e-9 * scale).all(), column


@settings(max_examples=150, deadline=None)
@given(matrices, st.booleans())
def test_components_match_the_formulas(data: tuple[np.ndarray, ...], national: bool) -> None:
    e0, e1, e2 = (pd.DataFrame(x) for x in data)
    years = (2015, 2016, 2017)
    if national:  # a reference at least as large as the regions, never empty
        refs = {y: m.sum() * 3 + 1.0 for y, m in zip(years, (e0, e1, e2), strict=True)}
    else:  # the sum of the regions
        refs = {y: m.sum() for y, m in zip(years, (e0, e1, e2), strict=True)}
    given_refs = refs if national else None
    arrays_ = {y: m.to_numpy() for y, m in zip(years, (e0, e1, e2), strict=True)}
    r = {y: refs[y].to_numpy() for y in years}
    classic = dynamic_shift_share(
        {2015: e0, 2017: e2},
        None if given_refs is None else {2015: refs[2015], 2017: refs[2017]},
    )
    _assert_classic(classic.frame, arrays_[2015], arrays_[2017], r[2015], r[2017])
    annual = dynamic_shift_share({2015: e0, 2016: e1, 2017: e2}, given_refs, annual=True).frame
    for y in (2015, 2016):
        step = annual[annual["start_year"] == y]
        _assert_classic(step, arrays_[y], arrays_[y + 1], r[y], r[y + 1])
    # dynamic = sum of the yearly classic components, each computed on its own
    dynamic = dynamic_shift_share({2015: e0, 2016: e1, 2017: e2}, given_refs).frame
    steps = [
        dynamic_shift_share(
            {y: m0, y + 1: m1}, None if given_refs is None else {y: refs[y], y + 1: refs[y + 1]}
        ).frame
        for y, m0, m1 in ((2015, e0, e1), (2016, e1, e2))
    ]
    # rounding: a few ulps of the largest term of either step
    parts = ("national", "industry_mix", "competitive")
    terms = [step[c].abs().to_numpy() for step in (*steps, dynamic) for c in parts]
    scale = np.maximum.reduce([np.ones(len(dynamic)), *terms])
    for column in ("national", "industry_mix", "competitive"):
        summed = steps[0][column].to_numpy() + steps[1][column].to_numpy()
        assert (np.abs(dynamic[column].to_numpy() - summed) <= 1e-9 * scale).all(), column
    assert np.allclose(dynamic["total"], (e2 - e0).to_numpy().ravel())
    assert np.isfinite(dynamic[["national", "industry_mix", "competitive"]]).all().all()
