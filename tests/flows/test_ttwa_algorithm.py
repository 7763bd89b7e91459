"""Coombes–Bond travel-to-work areas: a hand-worked example, validity, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from regiowerk.flows import PRESETS, RESERVE, TTWAError, TTWAParams, ttwa

KEYS = list("ABCDEFG")
FLOWS = [  # residence → workplace: persons
    ("A", "A", 5000), ("A", "B", 100), ("A", "D", 200),
    ("B", "B", 300), ("B", "A", 600), ("B", "C", 50),
    ("C", "C", 250), ("C", "A", 500), ("C", "B", 50),
    ("D", "D", 4000), ("D", "A", 150), ("D", "E", 100),
    ("E", "E", 200), ("E", "D", 700),
    ("F", "F", 150), ("F", "D", 300), ("F", "A", 50),
    ("G", "G", 50),
]  # fmt: skip


def _matrix() -> np.ndarray:
    matrix = np.zeros((7, 7))
    for origin, dest, persons in FLOWS:
        matrix[KEYS.index(origin), KEYS.index(dest)] = persons
    return matrix


def test_hand_worked_example() -> None:
    """Seven areas, default parameters (minSC 0.6667, tarSC 0.75, minSZ 1,000, tarSZ 10,000).

    Residents R (row sums) and jobs W (column sums):
    A 5300/6300, B 950/450, C 800/300, D 4250/5200, E 900/300, F 500/150, G 50/50.

    Validity of the singletons, SC = min(T_ii/R, T_ii/W):
    * A: SC = min(5000/5300, 5000/6300) = 0.7937; req(5300) = 0.75 − 0.0833·4300/9000
      = 0.7102; X = 1.118 → valid.
    * D: SC = min(0.941, 0.769) = 0.769; req(4250) = 0.7199; X = 1.068 → valid.
    * below minSZ, X = min(1, SC/0.75)·R/1000: B 0.3158 → 0.400; C 0.3125 → 0.333;
      E 0.2222 → 0.267; F 0.3 → 0.200; G SC 1 → 0.050.

    Dissolutions, worst first:
    1. G (0.05): no flow to any other area → reserve list.
    2. F (0.20): L(F,D) = 300²/(500·5200) = 0.0346 > L(F,A) = 50²/(500·6300) = 0.0008 → D.
       {D,F}: R 4750, W 5350, I 4000 + 150 + 300 = 4450, SC 0.832 → valid.
    3. E (0.267): only linked with {D,F}: 700²/(900·5350) + 100²/(4750·300) = 0.109 → joins.
       {D,E,F}: R = W = 5650, I = 5450.
    4. C (0.333): L(C,A) = 500²/(800·6300) = 0.0496 > L(C,B) = 50²/(800·450) + 50²/(950·300)
       = 0.0157 → A. {A,C}: R 6100, W 6600, I 5750.
    5. B (0.400): only linked with {A,C} (out 600 + 50, in 100 + 50) → joins.
       {A,B,C}: R = W = 7050, I = 5750 + 300 + 650 + 150 = 6850.
    Both remaining clusters are valid; G cannot join either (no link) and stays in reserve.
    Regions are named after the member with the most jobs: A and D.
    """
    result = ttwa(_matrix(), KEYS)
    assert list(result.region_id) == ["A", "A", "A", "D", "D", "D", RESERVE]
    assert result.dissolutions == 5
    assert result.reserve == ["G"]
    quality = result.quality.set_index("region_id")
    assert quality.loc["A", ["residents", "jobs", "internal"]].tolist() == [7050, 7050, 6850]
    assert quality.loc["D", ["residents", "jobs", "internal"]].tolist() == [5650, 5650, 5450]
    assert quality.loc["A", "sc_supply"] == pytest.approx(6850 / 7050)
    assert quality.loc["D", "sc_demand"] == pytest.approx(5450 / 5650)
    assert quality.loc[["A", "D"], "meets"].all()
    assert not quality.loc[RESERVE, "meets"]
    # the same with a sparse matrix, and again: deterministic
    again = ttwa(sparse.csr_matrix(_matrix()), KEYS)
    assert list(again.region_id) == list(result.region_id)


def test_validity_function_corners() -> None:
    params = PRESETS["default"]
    # at minSZ the target SC is required, at tarSZ and above the minimum SC
    assert params.required_sc(1_000) == pytest.approx(0.75)
    assert params.required_sc(10_000) == pytest.approx(0.6667)
    assert params.required_sc(50_000) == pytest.approx(0.6667)
    assert params.required_sc(5_500) == pytest.approx((0.75 + 0.6667) / 2)
    r = np.array([1_000.0, 10_000.0, 999.0, 20_000.0])
    internal = np.array([750.0, 6_667.0, 999.0, 13_000.0])
    assert params.valid(r, r, internal).tolist() == [True, True, False, False]
    assert PRESETS["ons"] == TTWAParams(0.6667, 0.75, 3_500, 25_000)


@pytest.mark.parametrize(
    "values", [(0.8, 0.75, 1_000, 10_000), (0.5, 0.75, 0, 10_000), (0.5, 0.75, 5_000, 1_000)]
)
def test_bad_parameters(values: tuple[float, float, float, float]) -> None:
    with pytest.raises(TTWAError):
        TTWAParams(*values)


def test_bad_matrix() -> None:
    with pytest.raises(TTWAError, match="Negative"):
        ttwa(np.array([[1.0, -1.0], [0.0, 1.0]]), ["a", "b"])
    with pytest.raises(TTWAError, match="passt nicht"):
        ttwa(np.eye(3), ["a", "b"])


def test_contiguity_moves_a_detached_member() -> None:
    """X is a village that commutes to D but lies next to A only: with neighbours it is moved
    to A's region, since both regions stay valid."""
    keys = ["A", "B", "D", "X"]
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1], m[1, 0], m[0, 1] = 9000, 1000, 1500, 300
    m[2, 2], m[3, 3], m[3, 2], m[3, 0] = 8000, 300, 200, 150
    plain = ttwa(m, keys)
    assert list(plain.region_id) == ["A", "A", "D", "D"]
    neighbours = [("A", "B"), ("A", "X"), ("B", "D")]
    tuned = ttwa(m, keys, neighbours=neighbours)
    assert list(tuned.region_id) == ["A", "A", "D", "A"]
    assert tuned.moved_for_contiguity == 1
    assert tuned.quality["meets"].all()


def _gravity(seed: int, n: int, decay: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(n, 2))
    size = rng.lognormal(7, 1.0, n)
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    weight = size[None, :] * np.exp(-dist / decay)
    np.fill_diagonal(weight, weight.diagonal() * rng.uniform(2, 20, n))
    flows = np.round(size[:, None] * weight / weight.sum(axis=1, keepdims=True))
    return flows, size


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(5, 60),
    decay=st.floats(3.0, 40.0),
    preset=st.sampled_from(["default", "ons"]),
)
def test_every_region_meets_both_thresholds(seed: int, n: int, decay: float, preset: str) -> None:
    flows, _ = _gravity(seed, n, decay)
    keys = [f"{i:03d}" for i in range(n)]
    params = PRESETS[preset]
    result = ttwa(flows, keys, params)
    regions = result.quality[result.quality["region_id"] != RESERVE]
    assert regions["meets"].all()
    assert (regions["residents"] >= params.min_sz).all()
    assert (regions[["sc_supply", "sc_demand"]].min(axis=1) >= params.min_sc - 1e-9).all()
    # recompute each region's statistics from scratch: the incremental updates are exact
    for region_id, row in regions.set_index("region_id").iterrows():
        members = np.nonzero(result.region_id == region_id)[0]
        inside = flows[np.ix_(members, members)].sum()
        assert row["internal"] == pytest.approx(inside)
        assert row["residents"] == pytest.approx(flows[members].sum())
        assert row["jobs"] == pytest.approx(flows[:, members].sum())
    # every area is assigned exactly once (a region or the reserve)
    assert regions["members"].sum() + len(result.reserve) == n
