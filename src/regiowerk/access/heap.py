"""Indexed binary min-heap for the compiled graph searches (Numba).

Keys are ``float64``, items node numbers; ``pos[item]`` is the item's slot or ``-1``, so a key
can be lowered (or raised) in place: *decrease-key* in ``O(log n)`` (Williams 1964; Cormen et
al., *Introduction to Algorithms*, 3rd ed., §6.5). ``size`` is a one-element array so that the
functions can change it.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@nb.njit(cache=True, inline="always")
def _sift_up(keys: Array, items: IntArray, pos: IntArray, i: int) -> None:
    key, item = keys[i], items[i]
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i], items[i] = keys[parent], items[parent]
        pos[items[i]] = i
        i = parent
    keys[i], items[i] = key, item
    pos[item] = i


@nb.njit(cache=True)
def _sift_down(keys: Array, items: IntArray, pos: IntArray, size: int, i: int) -> None:
    key, item = keys[i], items[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i], items[i] = keys[child], items[child]
        pos[items[i]] = i
        i = child
    keys[i], items[i] = key, item
    pos[item] = i


@nb.njit(cache=True)
def heap_set(
    keys: Array, items: IntArray, pos: IntArray, size: IntArray, item: int, key: float
) -> None:
    """Insert ``item`` with ``key`` or change its key (up or down)."""
    i = pos[item]
    if i < 0:
        i = size[0]
        size[0] += 1
        keys[i], items[i] = key, item
        _sift_up(keys, items, pos, i)
    else:
        old = keys[i]
        keys[i] = key
        if key < old:
            _sift_up(keys, items, pos, i)
        else:
            _sift_down(keys, items, pos, size[0], i)


@nb.njit(cache=True)
def heap_pop(keys: Array, items: IntArray, pos: IntArray, size: IntArray) -> tuple[int, float]:
    item, key = items[0], keys[0]
    pos[item] = -1
    size[0] -= 1
    last = size[0]
    if last > 0:
        keys[0], items[0] = keys[last], items[last]
        _sift_down(keys, items, pos, last, 0)
    return item, key


@nb.njit(cache=True)
def heap_clear(items: IntArray, pos: IntArray, size: IntArray) -> None:
    for i in range(size[0]):
        pos[items[i]] = -1
    size[0] = 0
