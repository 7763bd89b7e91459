"""Shift-share and LQs on real employment by WZ section group (13111-07-05-4) and on BA
employment by occupational group (``tools/economy_mitte.py``)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from conftest import load_tool
from regiowerk.economy import EconomyResult, location_quotients
from regiowerk.economy.run import GERMANY

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool("economy_mitte")


@pytest.fixture(scope="module")
def wz(real_data: Path, tool: ModuleType) -> pd.DataFrame:
    folder = real_data / "employment_wz_kreise"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    frame: pd.DataFrame = tool.load_wz(real_data)
    return frame


@pytest.fixture(scope="module")
def results(wz: pd.DataFrame, tool: ModuleType) -> tuple[EconomyResult, EconomyResult]:
    pair: tuple[EconomyResult, EconomyResult] = tool.wz_results(wz)
    return pair


def test_readme_sanity_figures(wz: pd.DataFrame) -> None:
    rows = wz.set_index(["region", "year", "sector"])["persons"]
    # README: LK Harz (15085) manufacturing C 15,703 → 15,696; O-Q 21,075 → 21,531
    assert rows[("15085", 2015, "C")] == 15_703
    assert rows[("15085", 2020, "O-Q")] == 21_531
    assert rows[("15085", 2015, "O-Q")] == 21_075
    # Göttingen 2015 = 03152 + 03156 (99,252 + 25,192 TOTAL; the groups miss "ohne Angabe")
    groups = ["A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U"]
    goettingen = sum(rows[("03159", 2015, s)] for s in groups)
    assert 124_444 - 30 <= goettingen <= 124_444
    assert wz.loc[wz["region"] != GERMANY, "region"].nunique() == 401


def test_identity_and_reference(
    results: tuple[EconomyResult, EconomyResult], tool: ModuleType
) -> None:
    germany, kreise = results
    assert germany.reference == "germany"
    assert kreise.reference == "regions"
    assert germany.sectors == ["A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U"]
    for result in results:
        assert tool.identity_error(result) < 1e-6
        frame = result.classic.frame
        assert np.allclose(frame["total"], frame["end"] - frame["start"], rtol=0, atol=1e-9)
    # README: Germany TOTAL 30,771,297 (2015) → 33,322,952 (2020); the ten groups miss only
    # the employees without a sector (≤ a few thousand)
    reference = germany.reference_end.sum()
    assert 33_322_952 - 5_000 <= reference <= 33_322_952
    # suppressed cells are left out and counted, never zero
    assert 0 < len(germany.classic.excluded) < 0.02 * 401 * 10
    # Kassel, Stadt (06611): from 105,291 to 111,411 TOTAL; national effect ≈ 8.3 % growth
    kassel = germany.classic.frame[germany.classic.frame["region"] == "06611"]
    assert kassel["start"].sum() == pytest.approx(105_291, abs=30)
    assert kassel["national"].sum() == pytest.approx(kassel["start"].sum() * 0.0829, rel=0.01)


def test_lqs_average_to_one(results: tuple[EconomyResult, EconomyResult]) -> None:
    germany, kreise = results
    last = kreise.classic.frame.pivot_table(index="region", columns="sector", values="end")
    complete = last.dropna()
    weights = complete.sum(axis=1)
    lq = location_quotients(complete)
    mean = lq.mul(weights, axis=0).sum() / weights.sum()
    assert np.allclose(mean.to_numpy(), 1.0, rtol=1e-12)
    # against Germany (DG) the mean is 1 up to the suppressed cells and unassigned employees
    national = location_quotients(last, germany.reference_end)
    weights = last.sum(axis=1)
    mean = national.mul(weights, axis=0).sum() / weights.sum()
    assert np.allclose(mean.to_numpy(), 1.0, atol=0.03)


def test_region_der_mitte(results: tuple[EconomyResult, EconomyResult], tool: ModuleType) -> None:
    germany, _ = results
    summary = germany.structure.loc[list(tool.MITTE)]
    assert summary["krugman"].notna().all()
    assert summary["krugman"].between(0.1, 0.5).all()
    assert (summary["hhi"] > 0.1).all()
    lq = location_quotients(
        germany.classic.frame.pivot_table(index="region", columns="sector", values="end"),
        germany.reference_end,
    )
    assert lq.loc["06633", "B-E"] > 1.5  # Landkreis Kassel: vehicle manufacturing (Baunatal)
    assert lq.loc["03159", "O-Q"] > 1.3  # Göttingen: university and hospital


def test_tool_prints_the_region(
    real_data: Path, tool: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    if not (real_data / "ba_employment").is_dir():
        pytest.skip("ba_employment not found")
    assert tool.main(["--data", str(real_data)]) == 0
    out = capsys.readouterr().out
    for name in ("Kassel, Stadt", "Höxter", "Göttingen", "Northeim", "Werra-Meißner-Kreis"):
        assert name in out
    assert "Lehr-,Forschungstätigkeit an Hochschulen (843)" in out
