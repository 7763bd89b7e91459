"""Split age bands into single years with a monotone interpolation of cumulative counts.

Method
------
Let bands ``k = 1 … K`` cover the ages ``a_k … b_k`` (inclusive, contiguous: ``a_{k+1} = b_k +
1``) with counts ``N_k ≥ 0``. The cumulative count ``C(a) = Σ_{k: b_k < a} N_k`` is known at
the band edges ``a_1, a_2, …, b_K + 1`` and is non-decreasing. A piecewise cubic Hermite
interpolant with Fritsch–Carlson derivatives (PCHIP; Fritsch & Carlson 1980, *Monotone
piecewise cubic interpolation*, SIAM J. Numer. Anal. 17(2), 238–246) through these knots is
monotone wherever the data are, so the single-year counts

    n(x) = Ĉ(x + 1) − Ĉ(x)

are never negative, and they sum to ``N_k`` within every band because ``Ĉ`` passes through the
knots (the last floating-point digits are restored by rescaling each band to its total). This is
the cumulative-spline ("osculatory on the ogive") approach of demographic practice (e.g.
Siegel & Swanson 2004, *The Methods and Materials of Demography*, 2nd ed., ch. 7, App. C),
with a shape-preserving spline instead of a free cubic.

**Open band.** With ``open_last`` the last band ``a_K … b_K`` ends in the open age ``b_K`` (e.g.
95 … 100, 100 = "100 and older"); it is split by a geometric decline, single ages ``a_K + j``
(``j = 0 … n − 1``, ``n = b_K − a_K``) getting weight ``r^j`` and the open age the remaining
tail ``r^n / (1 − r)``; ``r`` is ``decay``. The default 0.8 is the one-year survival
probability ``p(x) = 1 − q(x)`` at about age 90 in the German life table 2020/22 (men 0.81,
women 0.85 at 90; 0.69/0.74 at 95), i.e. a stationary-population decline; cohort-size effects
are ignored. ``tail_weights`` replaces the rule by given weights (e.g. life-table ``L(x)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import PchipInterpolator

from regiowerk.errors import RegiowerkError


class AgeSplitError(RegiowerkError, ValueError):
    """Age bands that cannot be split (gaps, overlaps, negative counts)."""


def check_bands(lower: Sequence[int], upper: Sequence[int], *, where: str = "") -> None:
    """Raise :class:`AgeSplitError` unless the bands are ordered, non-empty and contiguous."""
    place = f" ({where})" if where else ""
    if len(lower) == 0 or len(lower) != len(upper):
        raise AgeSplitError(f"Altersgruppen{place}: keine oder ungleich viele Grenzen.")
    for k, (a, b) in enumerate(zip(lower, upper, strict=True)):
        if b < a:
            raise AgeSplitError(f"Altersgruppe {a}–{b}{place}: age_to ist kleiner als age_from.")
        if k and a != upper[k - 1] + 1:
            kind = "Lücke" if a > upper[k - 1] + 1 else "Überschneidung"
            raise AgeSplitError(
                f"Altersgruppen{place}: {kind} zwischen {lower[k - 1]}–{upper[k - 1]} und "
                f"{a}–{b} (Spalten age_from/age_to); die Gruppen müssen lückenlos aneinander "
                f"anschließen."
            )


def split_bands(
    counts: ArrayLike,
    lower: Sequence[int],
    upper: Sequence[int],
    *,
    open_last: bool = False,
    decay: float = 0.8,
    tail_weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Single-year counts for ages ``lower[0] … upper[-1]`` from band counts (module docstring).

    ``counts`` has the bands on its last axis; any leading axes (regions, sexes) are split at
    once. Returns an array of shape ``counts.shape[:-1] + (upper[-1] - lower[0] + 1,)``.
    """
    check_bands(lower, upper)
    values = np.asarray(counts, dtype=float)
    if values.shape[-1] != len(lower):
        raise AgeSplitError(
            f"{values.shape[-1]} Werte für {len(lower)} Altersgruppen: Anzahl passt nicht."
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise AgeSplitError("Altersgruppen: Werte müssen endlich und nicht negativ sein.")
    closed = len(lower) - 1 if open_last else len(lower)
    parts = []
    if closed:
        knots = np.array([*lower[:closed], upper[closed - 1] + 1], dtype=float)
        cumulative = np.concatenate(
            [np.zeros((*values.shape[:-1], 1)), np.cumsum(values[..., :closed], axis=-1)], axis=-1
        )
        ages = np.arange(lower[0], upper[closed - 1] + 2, dtype=float)
        with np.errstate(over="ignore"):  # subnormal slopes: the derivative becomes 0
            single = np.diff(PchipInterpolator(knots, cumulative, axis=-1)(ages), axis=-1)
        parts.append(_restore_totals(np.clip(single, 0, None), values[..., :closed], lower, upper))
    if open_last:
        parts.append(_split_open(values[..., -1], upper[-1] - lower[-1], decay, tail_weights))
    return np.concatenate(parts, axis=-1)


def _restore_totals(
    single: NDArray[np.float64],
    totals: NDArray[np.float64],
    lower: Sequence[int],
    upper: Sequence[int],
) -> NDArray[np.float64]:
    """Rescale each band's single years to the band total (uniform if the spline gave zeros)."""
    out = np.empty_like(single)
    for k in range(totals.shape[-1]):
        lo, hi = lower[k] - lower[0], upper[k] - lower[0] + 1
        block = single[..., lo:hi]
        sums = block.sum(axis=-1, keepdims=True)
        width = hi - lo
        uniform = np.broadcast_to(1.0 / width, block.shape)
        shares = np.where(sums > 0, block / np.where(sums > 0, sums, 1.0), uniform)
        out[..., lo:hi] = shares * totals[..., k : k + 1]
    return out


def _split_open(
    total: NDArray[np.float64], width: int, decay: float, tail_weights: ArrayLike | None
) -> NDArray[np.float64]:
    """Split the open band over ``width + 1`` ages (geometric rule or given weights)."""
    if tail_weights is None:
        if not 0 < decay < 1:
            raise AgeSplitError(f"decay = {decay}: muss zwischen 0 und 1 liegen.")
        weights = decay ** np.arange(width + 1, dtype=float)
        weights[-1] = decay**width / (1 - decay)
    else:
        weights = np.asarray(tail_weights, dtype=float)
        if weights.shape[-1] != width + 1 or np.any(weights < 0) or np.any(weights.sum(-1) <= 0):
            raise AgeSplitError(
                f"tail_weights: erwartet {width + 1} nicht negative Gewichte mit positiver Summe."
            )
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return np.asarray(total, dtype=float)[..., None] * weights


def split_frame(
    frame: pd.DataFrame,
    value: str,
    by: Sequence[str],
    *,
    open_age: int | None = None,
    decay: float = 0.8,
) -> pd.DataFrame:
    """Split a long table with ``age_from``/``age_to`` into single years per group of ``by``.

    Every group must have the same contiguous bands; a band ending at ``open_age`` is the open
    band (see the module docstring). Returns ``by`` columns, ``age`` and ``value``.
    """
    missing = [c for c in (*by, "age_from", "age_to", value) if c not in frame.columns]
    if missing:
        raise AgeSplitError(f"Spalte(n) {', '.join(missing)} fehlen für die Altersaufteilung.")
    bands = frame[["age_from", "age_to"]].drop_duplicates().sort_values("age_from")
    lower = bands["age_from"].astype(int).tolist()
    upper = bands["age_to"].astype(int).tolist()
    check_bands(lower, upper, where=f"Spalte {value}")
    wide = frame.pivot_table(
        index=list(by), columns="age_from", values=value, aggfunc="sum", dropna=False
    )
    wide = wide.reindex(columns=lower)
    if wide.isna().to_numpy().any():
        row = wide.index[wide.isna().any(axis=1)][0]
        raise AgeSplitError(
            f"Spalte {value}: für {dict(zip(by, np.atleast_1d(row), strict=False))} fehlen "
            f"Altersgruppen oder Werte."
        )
    single = split_bands(
        wide.to_numpy(),
        lower,
        upper,
        open_last=open_age is not None and upper[-1] == open_age,
        decay=decay,
    )
    ages = np.arange(lower[0], upper[-1] + 1)
    out = pd.DataFrame(single, index=wide.index, columns=ages)
    out.columns.name = "age"
    long = out.melt(ignore_index=False, var_name="age", value_name=value).reset_index()
    return long.sort_values([*by, "age"], kind="stable").reset_index(drop=True)
