"""Hamilton–Perry validation on the Kreis stocks (regrouping by hand, real data if present)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regiowerk.demography.agesplit import split_bands
from regiowerk.demography.hamilton_perry import HamiltonPerry
from regiowerk.demography.validation import (
    CCM_KREISE_2014,
    ValidationDataError,
    format_table,
    hamilton_perry_kreise,
    read_district_age,
    regroup,
    summarise_errors,
)

FIVE_LOWER = list(range(0, 100, 5))
FIVE_UPPER = [*(a + 4 for a in FIVE_LOWER[:-1]), 100]


def test_regroup_preserves_band_totals() -> None:
    rng = np.random.default_rng(7)
    counts = rng.uniform(0, 5000, size=(3, 2, 20))
    single = split_bands(counts, FIVE_LOWER, FIVE_UPPER, open_last=True)
    three, lower, upper = regroup(single, 3)
    assert lower[:3] == [0, 3, 6]
    assert (lower[-1], upper[-2], upper[-1]) == (99, 98, 100)
    assert len(lower) == 34
    np.testing.assert_allclose(three.sum(axis=-1), counts.sum(axis=-1), rtol=1e-12)
    # 0–17 is a whole number of three-year bands; it equals the single years 0–17
    np.testing.assert_allclose(three[..., :6].sum(axis=-1), single[..., :18].sum(axis=-1))
    # width 5 gives back the original five-year bands (the split keeps band totals)
    five, lower5, upper5 = regroup(single, 5)
    assert (lower5, upper5) == (FIVE_LOWER, FIVE_UPPER)
    np.testing.assert_allclose(five, counts, rtol=1e-12)


def test_regroup_rejects_wrong_length() -> None:
    with pytest.raises(ValidationDataError, match="Einzelalter"):
        regroup(np.ones(100), 3)


def test_three_year_bands_are_accepted_by_hamilton_perry() -> None:
    """The child-woman ratio counts the bands starting at 15 ... 49 (here 15-50)."""
    rng = np.random.default_rng(3)
    lower = np.arange(0, 100, 3)
    earlier, later = rng.uniform(10, 1000, size=(2, 4, 2, len(lower)))
    regions = pd.Index([f"0100{i}" for i in range(4)], name="region")
    model = HamiltonPerry.from_arrays(earlier, later, ages=lower, year=2014, regions=regions)
    women = later[:, 1, (lower >= 15) & (lower <= 49)].sum(axis=-1)
    np.testing.assert_allclose(model.cwr[:, 1], later[:, 1, 0] / women)


def test_mixing_census_bases_is_refused() -> None:
    with pytest.raises(ValidationDataError, match="Zensus"):
        hamilton_perry_kreise({}, base_years=(2017, 2020), targets=(2023,))


@pytest.mark.realdata
def test_hamilton_perry_kreise_2014_to_2017_and_2020(real_data: Path) -> None:
    """All Kreise, base 2011 → 2014 in three-year bands, targets 2017 and 2020 (no tuning).

    The CCM columns are quoted from docs/demography.md (``CCM_KREISE_2014``), not recomputed.
    """
    folder = real_data / "district_age"
    bands = {year: read_district_age(folder, year) for year in (2011, 2014, 2017, 2020)}
    assert bands[2011]["persons"].sum() == 80_327_900  # README: five-digit keys only
    errors = hamilton_perry_kreise(bands, base_years=(2011, 2014), targets=(2017, 2020))
    summary = summarise_errors(errors)
    report = format_table(summary)
    print(report)
    assert set(summary.index) == set(CCM_KREISE_2014), report
    assert (summary["n"] == 401).all(), report
    assert np.isfinite(errors["error"]).all(), report
    assert summary.loc[(2017, "total"), "MAPE"] < 2.0, report
    assert summary.loc[(2020, "total"), "MAPE"] < 5.0, report
    assert (summary["MAPE"] < 10.0).all(), report
