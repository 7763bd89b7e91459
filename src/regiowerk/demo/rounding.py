"""Integer rounding that keeps totals: largest remainder (vectors), controlled rounding (matrices).

Synthetic counts are built from real-valued expectations and must add up exactly (grid cells to
the municipal population, commuter flows to both margins). Both methods move every value to its
floor or its ceiling, so no value changes by a whole unit or more.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_EPS = 1e-9


def largest_remainder(weights: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """Split the integer ``total`` in proportion to ``weights`` (Hamilton's method).

    Quotas ``q_i = total · w_i / Σw``; every share gets ``⌊q_i⌋`` and the ``total − Σ⌊q_i⌋``
    largest remainders get one more (ties by position, stable sort).
    """
    weights = np.asarray(weights, dtype=float)
    if total < 0 or np.any(weights < 0):
        raise ValueError("largest_remainder: negative total or weight")
    if total == 0:
        return np.zeros(weights.shape, dtype=np.int64)
    if weights.sum() <= 0:
        raise ValueError("largest_remainder: all weights are zero")
    quotas = total * weights / weights.sum()
    shares = np.floor(quotas + _EPS).astype(np.int64)
    missing = total - int(shares.sum())
    if missing > 0:
        order = np.argsort(-(quotas - shares), kind="stable")
        shares[order[:missing]] += 1
    return shares


def controlled_round(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Round a non-negative matrix with integer row and column sums, keeping both margins.

    Method: every cell becomes ``⌊x_ij⌋`` or ``⌈x_ij⌉``. The cells to round up form a 0/1 matrix
    on the fractional cells with row sums ``d_i = Σ_j x_ij − Σ_j ⌊x_ij⌋`` and column sums
    ``e_j`` likewise; it exists because the fractional parts are a feasible transportation
    solution (integrality of the transportation polytope; Cox 1987, "A constructive procedure
    for unbiased controlled rounding", JASA 82, 520–524). It is found greedily (largest
    fractions first) and completed by augmenting paths (bipartite b-matching).
    """
    values = np.asarray(values, dtype=float)
    floor = np.floor(values + _EPS)
    frac = values - floor
    frac[frac < _EPS] = 0.0
    row_need = np.rint(values.sum(axis=1)).astype(np.int64) - floor.sum(axis=1).astype(np.int64)
    col_need = np.rint(values.sum(axis=0)).astype(np.int64) - floor.sum(axis=0).astype(np.int64)
    if row_need.sum() != col_need.sum() or np.any(row_need < 0) or np.any(col_need < 0):
        raise ValueError("controlled_round: row and column sums must be integers and agree")
    support = frac > 0
    chosen = np.zeros(values.shape, dtype=bool)
    for flat in np.argsort(-frac, axis=None, kind="stable"):
        i, j = divmod(int(flat), values.shape[1])
        if not support[i, j]:
            break
        if row_need[i] > 0 and col_need[j] > 0:
            chosen[i, j] = True
            row_need[i] -= 1
            col_need[j] -= 1
    for i in np.flatnonzero(row_need > 0):
        while row_need[i] > 0:
            _augment(int(i), support, chosen, col_need)
            row_need[i] -= 1
    return (floor + chosen).astype(np.int64)


def _augment(
    start: int, support: NDArray[np.bool_], chosen: NDArray[np.bool_], col_need: NDArray[np.int64]
) -> None:
    """Add one unit to row ``start`` along an augmenting path (breadth-first search).

    Path: row → column over an unchosen support cell; column → row over a chosen cell (that
    cell is released); it ends at a column that still needs a unit.
    """
    n_rows, n_cols = support.shape
    col_parent = np.full(n_cols, -1)
    row_parent = np.full(n_rows, -1)  # column through which a row was reached; -2 = start
    row_parent[start] = -2
    frontier = [start]
    while frontier:
        next_rows: list[int] = []
        for row in frontier:
            for col in np.flatnonzero(support[row] & ~chosen[row] & (col_parent < 0)):
                col_parent[col] = row
                if col_need[col] > 0:
                    _flip_path(int(col), col_parent, row_parent, chosen)
                    col_need[col] -= 1
                    return
                for other in np.flatnonzero(chosen[:, col] & (row_parent == -1)):
                    row_parent[other] = col
                    next_rows.append(int(other))
        frontier = next_rows
    raise ValueError("controlled_round: no integer solution (margins inconsistent)")


def _flip_path(
    col: int,
    col_parent: NDArray[np.int64],
    row_parent: NDArray[np.int64],
    chosen: NDArray[np.bool_],
) -> None:
    """Walk back from ``col`` to the start row, toggling the cells on the path."""
    while True:
        row = int(col_parent[col])
        chosen[row, col] = True
        back = int(row_parent[row])
        if back == -2:
            return
        chosen[row, back] = False
        col = back
