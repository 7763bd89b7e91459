"""Hamilton–Perry on a hand-worked example (five-year bands, one region, both sexes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regiowerk.demography.hamilton_perry import HamiltonPerry
from regiowerk.demography.naive import ProjectionInputError

AGES = np.arange(0, 55, 5)  # 0–4, …, 45–49, 50+ (open band, age_to 100)


def stocks() -> tuple[np.ndarray, np.ndarray]:
    """Earlier stock: 100 in every band and sex. Later stock: 60 boys and 40 girls aged 0–4,
    110 in every closed band (CCR 1.1), 300 in the open band (CCR 300 / 200 = 1.5)."""
    earlier = np.full((1, 2, len(AGES)), 100.0)
    later = np.full((1, 2, len(AGES)), 110.0)
    later[0, :, 0] = (60.0, 40.0)
    later[0, :, -1] = 300.0
    return earlier, later


def as_bands(earlier: np.ndarray, later: np.ndarray) -> pd.DataFrame:
    rows = []
    for year, cube in ((2010, earlier), (2015, later)):
        for s, sex in enumerate(("m", "f")):
            for b, age in enumerate(AGES):
                upper = 100 if b == len(AGES) - 1 else age + 4
                rows.append(("03101000", year, sex, age, upper, cube[0, s, b]))
    return pd.DataFrame(rows, columns=["region", "year", "sex", "age_from", "age_to", "persons"])


def test_one_step_by_hand() -> None:
    earlier, later = stocks()
    model = HamiltonPerry.from_arrays(
        earlier, later, ages=AGES, year=2015, regions=pd.Index(["03101000"])
    )
    assert model.step == 5
    assert model.ccr[0, 0, 1:-1] == pytest.approx(np.full(9, 1.1))
    assert model.ccr[0, 0, -1] == pytest.approx(1.5)
    # women 15–49 in 2015: seven bands of 110 = 770
    assert model.cwr[0] == pytest.approx([60 / 770, 40 / 770])
    nxt = model.project_arrays(1)[0, 0]
    # 0–4 boys 60 · 1.1 = 66 → 5–9: 66; 10–49: 110 · 1.1 = 121; 50+: 1.5 · (110 + 300) = 615
    assert nxt[0, 1] == pytest.approx(66)
    assert nxt[1, 1] == pytest.approx(44)
    assert nxt[0, 2:-1] == pytest.approx(np.full(8, 121))
    assert nxt[0, -1] == pytest.approx(615)
    # women 15–49 in 2020: 7 · 121 = 847 → boys 60 / 770 · 847 = 66, girls 44
    assert nxt[:, 0] == pytest.approx([66, 44])


def test_from_bands_gives_the_same_long_table() -> None:
    model = HamiltonPerry.from_bands(as_bands(*stocks()), years=(2010, 2015))
    table = model.project(2)
    assert sorted(table["year"].unique()) == [2020, 2025]
    assert len(table) == 2 * 2 * len(AGES)
    first = table[(table["year"] == 2020) & (table["sex"] == "m")].set_index("age_from")
    assert first.loc[50, "age_to"] == 100
    assert first.loc[45, "age_to"] == 49
    assert first.loc[50, "persons"] == pytest.approx(615)
    second = table[(table["year"] == 2025) & (table["sex"] == "m")].set_index("age_from")
    # 50+ in 2025: 1.5 · (121 + 615)
    assert second.loc[50, "persons"] == pytest.approx(1.5 * (121 + 615))


def test_vectorised_over_regions() -> None:
    earlier, later = stocks()
    scale = np.array([1.0, 2.0, 0.5])[:, None, None]
    model = HamiltonPerry.from_arrays(
        earlier * scale, later * scale, ages=AGES, year=2015, regions=pd.Index(["a", "b", "c"])
    )
    result = model.project_arrays(3)
    assert result[:, 1] == pytest.approx(2 * result[:, 0])
    assert result[:, 2] == pytest.approx(0.5 * result[:, 0])


def test_gaps_and_bad_bands_are_refused_in_german() -> None:
    bands = as_bands(*stocks())
    gap = bands.drop(index=bands.index[(bands["year"] == 2010) & (bands["age_from"] == 20)][:1])
    with pytest.raises(ProjectionInputError, match=r"Lücke.*Alter ab 20"):
        HamiltonPerry.from_bands(gap, years=(2010, 2015))
    with pytest.raises(ProjectionInputError, match="Abstand der Basisjahre"):
        HamiltonPerry.from_bands(bands.replace({"year": {2010: 2012}}), years=(2012, 2015))
    earlier, later = stocks()
    with pytest.raises(ProjectionInputError, match="gleich breit"):
        HamiltonPerry.from_arrays(
            earlier, later, ages=np.r_[0, 3, AGES[2:]], year=2015, regions=pd.Index(["x"])
        )
    with pytest.raises(ProjectionInputError, match="nicht negativ"):
        HamiltonPerry.from_arrays(-earlier, later, ages=AGES, year=2015, regions=pd.Index(["x"]))
