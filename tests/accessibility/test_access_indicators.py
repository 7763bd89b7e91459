"""Summary, compliance and the G-BA closure test on hand-made travel times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regiowerk.access.indicators import closure_test, compliance, summary
from regiowerk.access.standards import Standard


def _frame() -> pd.DataFrame:
    # four origins in two municipalities; site A serves three of them
    return pd.DataFrame(
        {
            "origin_id": ["c1", "c2", "c3", "c4"],
            "ags": ["03991001", "03991001", "15991002", "15991002"],
            "service": "hospital",
            "mode": "car",
            "minutes": [10.0, 25.0, 35.0, np.nan],
            "facility_id": ["A", "A", "A", None],
            "second_minutes": [20.0, 45.0, 50.0, np.nan],
            "second_facility_id": ["B", "B", "B", None],
            "persons": [1000.0, 3000.0, 6000.0, 500.0],
            "women_15_49": [200.0, 600.0, 1000.0, 100.0],
            "snap_m": [0.0, 0.0, 0.0, 3000.0],
            "supply_ratio": np.nan,
        }
    )


def _standard(**changes: object) -> Standard:
    base = {
        "id": "test",
        "service": "hospital",
        "mode": "car",
        "minutes": 30,
        "source": "Test",
        "closure_limit": 2000,
    }
    return Standard.model_validate({**base, **changes})


def test_summary_weights_by_population_and_counts_unreached_as_beyond() -> None:
    table = summary(_frame()).set_index("ags")
    first = table.loc["03991001"]
    assert first["mean_minutes"] == pytest.approx((10 * 1000 + 25 * 3000) / 4000)
    assert first["share_20"] == pytest.approx(0.25)
    assert first["share_30"] == pytest.approx(1.0)
    second = table.loc["15991002"]
    assert second["unreached"] == 500
    assert second["share_40"] == pytest.approx(6000 / 6500)
    assert second["max_minutes"] == 35.0
    assert np.isnan(second["supply_ratio"])


def test_compliance_by_scope() -> None:
    rows = compliance(_frame(), [_standard(), _standard(id="land", scope="15")])
    germany, land = rows.iloc[0], rows.iloc[1]
    assert germany["beyond"] == 6500  # 35 minutes and no route
    assert germany["share_within"] == pytest.approx(4000 / 10500)
    assert germany["municipalities_missing"] == 1
    assert land["persons"] == 6500
    assert land["share_within"] == 0.0


def test_closure_counts_who_falls_beyond_the_limit() -> None:
    names = pd.Series({"A": "Klinik A", "B": "Klinik B"})
    table = closure_test(_frame(), _standard(), names).set_index("facility_id")
    # c1 keeps B within 20 min; c2 would need 45 min (3,000 affected); c3 is beyond today
    assert table.loc["A", "affected"] == 3000
    assert bool(table.loc["A", "flagged"])
    assert table.loc["B", "affected"] == 0
    women = closure_test(_frame(), _standard(closure_group="women_15_49"), names)
    assert women.set_index("facility_id").loc["A", "affected"] == 600


def test_closure_needs_a_limit() -> None:
    with pytest.raises(ValueError, match="Grenzwert"):
        closure_test(_frame(), _standard(closure_limit=None), pd.Series(dtype=str))
