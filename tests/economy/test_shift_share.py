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
    steps = annual.groupby(["region", "sector"])[["national", "industry_mix", "total"]].sum()
    assert np.allclose(summed[["national", "industry_mix"]], steps[["national", "industry_mix"]])
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


def _closes(frame: pd.DataFrame) -> bool:
    parts = frame["national"] + frame["industry_mix"] + frame["competitive"]
    scale = np.maximum(1.0, frame[["national", "industry_mix", "total"]].abs().max(axis=1))
    return bool(((parts - frame["total"]).abs() <= 1e-9 * scale).all())


@settings(max_examples=150, deadline=None)
@given(matrices, st.booleans())
def test_identity_closes(data: tuple[np.ndarray, ...], national: bool) -> None:
    e0, e1, e2 = (pd.DataFrame(x) for x in data)
    references = None
    if national:  # a reference at least as large as the regions, never empty
        references = {
            y: m.sum() * 3 + 1.0 for y, m in zip((2015, 2016, 2017), (e0, e1, e2), strict=True)
        }
    classic = dynamic_shift_share(
        {2015: e0, 2017: e2},
        None if references is None else {2015: references[2015], 2017: references[2017]},
    )
    assert _closes(classic.frame)
    assert np.allclose(classic.frame["total"], (e2 - e0).to_numpy().ravel())
    for annual in (True, False):
        dynamic = dynamic_shift_share({2015: e0, 2016: e1, 2017: e2}, references, annual=annual)
        assert _closes(dynamic.frame)
        assert np.isfinite(dynamic.frame[["national", "industry_mix", "competitive"]]).all().all()
