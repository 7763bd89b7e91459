"""Monotone splitting of age bands: exact band totals, never negative, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiowerk.demography.agesplit import AgeSplitError, split_bands, split_frame

LOWER_12411 = [0, 3, 6, 10, 15, 18, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 75]
UPPER_12411 = [*[b - 1 for b in LOWER_12411[1:]], 100]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
        min_size=len(LOWER_12411),
        max_size=len(LOWER_12411),
    )
)
def test_split_keeps_band_totals_and_is_never_negative(counts: list[float]) -> None:
    single = split_bands(counts, LOWER_12411, UPPER_12411, open_last=True)
    assert single.shape == (101,)
    assert (single >= 0).all()
    for k, (lo, hi) in enumerate(zip(LOWER_12411, UPPER_12411, strict=True)):
        assert single[lo : hi + 1].sum() == pytest.approx(counts[k], rel=1e-12, abs=1e-9)


def test_split_is_vectorised_and_smooth_for_a_linear_density() -> None:
    # a density falling linearly by one person per year: 5-year bands hold 5 * (100 - mid)
    lower = list(range(0, 50, 5))
    upper = [b + 4 for b in lower]
    counts = np.array([sum(100 - a for a in range(lo, lo + 5)) for lo in lower], dtype=float)
    single = split_bands(np.vstack([counts, 2 * counts]), lower, upper)
    assert single.shape == (2, 50)
    assert np.allclose(single[0, 5:45], 100 - np.arange(5, 45), atol=0.1)
    assert np.allclose(single[1], 2 * single[0])


def test_open_band_follows_the_geometric_rule() -> None:
    single = split_bands([0.0, 100.0], [90, 95], [94, 100], open_last=True, decay=0.5)
    tail = single[5:]
    assert tail.sum() == pytest.approx(100)
    assert tail[1] / tail[0] == pytest.approx(0.5)
    assert tail[-1] == pytest.approx(tail[-2])  # 0.5^5 / (1 - 0.5) = 0.5^4


def test_gap_and_overlap_are_named() -> None:
    with pytest.raises(AgeSplitError, match="Lücke zwischen 0–4 und 10–14"):
        split_bands([1, 2], [0, 10], [4, 14])
    with pytest.raises(AgeSplitError, match="Überschneidung"):
        split_bands([1, 2], [0, 3], [4, 9])
    with pytest.raises(AgeSplitError, match="nicht negativ"):
        split_bands([1, -2], [0, 5], [4, 9])


def test_split_frame_by_group_and_missing_band() -> None:
    frame = pd.DataFrame(
        {
            "region": ["01", "01", "02", "02"],
            "age_from": [0, 5, 0, 5],
            "age_to": [4, 100, 4, 100],
            "persons": [50.0, 950.0, 10.0, 90.0],
        }
    )
    out = split_frame(frame, "persons", ["region"], open_age=100)
    assert list(out.columns) == ["region", "age", "persons"]
    assert out.groupby("region")["persons"].sum().to_dict() == pytest.approx(
        {"01": 1000.0, "02": 100.0}
    )
    with pytest.raises(AgeSplitError, match="Spalte persons"):
        split_frame(frame.iloc[:3], "persons", ["region"], open_age=100)
    with pytest.raises(AgeSplitError, match="Lücke"):
        split_frame(frame.assign(age_from=[0, 6, 0, 6]), "persons", ["region"])
