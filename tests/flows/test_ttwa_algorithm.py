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

    X = min(SC/0.75, 1) · Z · 0.75/0.6667 with Z = 1 − 0.111067 · s, s = max((10000 − R)/9000, 0),
    0.75/0.6667 = 1.124944, SC = min(I/R, I/W); X = 1 when SC = 1. Singletons:
    * A: SC = min(5000/5300, 5000/6300) = 0.7937 → Y = 1; s = 0.52222, Z = 0.94200;
      X = 1.0597 → valid.
    * D: SC = min(0.941, 0.769) = 0.769 → Y = 1; s = 0.63889, Z = 0.92904; X = 1.0451 → valid.
    * G: only commutes within itself, SC = 1 → X = 1 → valid (the LabourMarketAreas rule).
    * B: SC 0.3158, Y 0.4211, s 1.00556, Z 0.88832 → X = 0.4208;
      C: SC 0.3125, Y 0.4167, Z 0.88647 → 0.4155; E: SC 0.2222, Y 0.2963, Z 0.88770 → 0.2959;
      F: SC 0.3, Y 0.4, Z 0.88276 → 0.3972.

    Dissolution steps, worst cluster first (each a singleton, so its zone is the worst zone):
    1. E (0.296): only linked with D: 700²/(900·5200) + 100²/(4250·300) = 0.1125. {D,E}: R 5150,
       W 5500, I = 4000 + 200 + 700 + 100 = 5000, SC 0.9091, Z 0.94015, X 1.0576 ≥ 1.0451
       (D's X does not fall) → joins.
    2. F (0.397): L(F,{D,E}) = 300²/(500·5500) = 0.0327 > L(F,A) = 50²/(500·6300) = 0.0008.
       {D,E,F}: R = W = 5650, I = 5000 + 150 + 300 = 5450, SC 0.9646, Z 0.94632, X 1.0646
       ≥ 1.0576 → joins.
    3. C (0.416): L(C,A) = 500²/(800·6300) = 0.0496 > L(C,B) = 50²/(800·450) + 50²/(950·300)
       = 0.0157. {A,C}: R 6100, W 6600, I 5750, SC 0.8712, Z 0.95187, X 1.0708 ≥ 1.0597 → joins.
    4. B (0.421): only linked with {A,C} (out 600 + 50, in 100 + 50).
       {A,B,C}: R = W = 7050, I = 5750 + 300 + 650 + 150 = 6850, SC 0.9716, Z 0.96360,
       X 1.0840 ≥ 1.0708 → joins.
    The worst cluster is now G with X = 1: valid, stop. Regions are named after the member with
    the most jobs: A, D and G (a closed 50-person region, valid by the SC = 1 rule).
    """
    result = ttwa(_matrix(), KEYS)
    assert list(result.region_id) == ["A", "A", "A", "D", "D", "D", "G"]
    assert result.dissolutions == 4
    assert result.reserve == []
    quality = result.quality.set_index("region_id")
    assert quality.loc["A", ["residents", "jobs", "internal"]].tolist() == [7050, 7050, 6850]
    assert quality.loc["D", ["residents", "jobs", "internal"]].tolist() == [5650, 5650, 5450]
    assert quality.loc["A", "sc_supply"] == pytest.approx(6850 / 7050)
    assert quality.loc["D", "sc_demand"] == pytest.approx(5450 / 5650)
    assert quality.loc["A", "validity"] == pytest.approx(1.0840, abs=1e-4)
    assert quality.loc["D", "validity"] == pytest.approx(1.0646, abs=1e-4)
    assert quality.loc["G", "validity"] == 1.0
    assert quality["meets"].all()
    # the same with a sparse matrix, and again: deterministic
    again = ttwa(sparse.csr_matrix(_matrix()), KEYS)
    assert list(again.region_id) == list(result.region_id)


def test_worst_zone_leaves_and_unlinked_zone_goes_to_reserve() -> None:
    """A two-zone cluster loses its worst zone; a zone without links goes to the reserve.

    P (R 900, 600 at home, 300 → Q) and Q (R 300, all at home) start as singletons; Q has
    SC = 1 (X = 1), P SC = min(600/900, 600/600) = 0.667, s = 9100/9000, X = 0.8879·0.88770·
    1.124944 < 1. Step 1: P joins Q (only link; Q's X stays 1). {P,Q}: R 1200, W 1200, I 1200,
    SC = 1 → valid, one region. A third zone U commuting only to itself and to nowhere in the
    matrix (R 500 given, I 100) has no link at all: step 2 puts it in the reserve list, where
    it stays (no cluster to offer it to)."""
    m = np.array([[600.0, 300.0, 0.0], [0.0, 300.0, 0.0], [0.0, 0.0, 100.0]])
    result = ttwa(m, ["P", "Q", "U"], residents=np.array([900.0, 300.0, 500.0]))
    assert list(result.region_id) == ["P", "P", RESERVE]
    assert result.reserve == ["U"]
    assert result.dissolutions == 2


def test_validity_function() -> None:
    """X = Y·Z·tarSC/minSC at hand-computed points of the default parameters (0.6667, 0.75,
    1,000, 10,000): 1 − minSC/tarSC = 0.111067, tarSC/minSC = 1.124944.

    * SZ 5,500, SC 0.707: Y = 0.707/0.75 = 0.942667; s = 4500/9000 = 0.5;
      Z = 1 − 0.111067·0.5 = 0.944467; X = 0.942667·0.944467·1.124944 = 1.00156 → valid.
    * SZ 3,000, SC 0.73: Y = 0.973333; s = 7000/9000 = 0.777778; Z = 1 − 0.086385 = 0.913615;
      X = 0.973333·0.913615·1.124944 = 1.00036 → valid.
    * SZ 500, SC 0.5: Y = 0.666667; s = 9500/9000 = 1.055556; Z = 1 − 0.117237 = 0.882763;
      X = 0.666667·0.882763·1.124944 = 0.66204 → invalid (ranked by X < 1).
    """
    params = PRESETS["default"]
    r = np.array([5_500.0, 3_000.0, 500.0])
    internal = np.array([0.707, 0.73, 0.5]) * r
    x = params.validity(r, r, internal)
    assert x == pytest.approx([1.00156, 1.00036, 0.66204], abs=2e-5)
    assert params.valid(r, r, internal).tolist() == [True, True, False]
    # corners: tarSC suffices at minSZ, minSC from tarSZ; below minSZ invalid unless SC = 1
    r = np.array([1_000.0, 10_000.0, 999.0, 20_000.0, 50.0])
    internal = np.array([750.0, 6_667.0, 990.0, 13_000.0, 50.0])
    assert params.valid(r, r, internal).tolist() == [True, True, False, False, True]
    # at fixed SC, X is constant from tarSZ up and falls with SZ below it
    sizes = np.array([20_000.0, 10_000.0, 5_000.0, 1_000.0, 100.0])
    x = params.validity(sizes, sizes, 0.7 * sizes)
    assert x[0] == pytest.approx(x[1])
    assert (np.diff(x[1:]) < 0).all()
    assert PRESETS["ons"] == TTWAParams(0.6667, 0.75, 3_500, 25_000)
    # minSZ = tarSZ: no division by zero, step at tarSZ
    flat = TTWAParams(0.6667, 0.75, 1_000, 1_000)
    sizes = np.array([1_000.0, 999.0])
    assert flat.valid(sizes, sizes, np.array([700.0, 740.0])).tolist() == [True, False]


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
    assert (regions["validity"] >= 1 - 1e-12).all()
    # valid ⇒ SZ ≥ minSZ, except a closed region (SC = 1, no commuting across its boundary)
    closed = regions[["sc_supply", "sc_demand"]].min(axis=1) >= 1.0
    assert (regions.loc[~closed, "residents"] >= params.min_sz).all()
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
