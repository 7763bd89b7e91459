"""Naive projections of population totals: the benchmarks every other method must beat.

All methods work on a *base table*: a frame indexed by the 8-digit AGS with one column per
base year (two or more, increasing), holding the population on 31.12. They return a frame with
the same index and one column per target year. Let ``b`` be the first and ``l`` the last base
year, ``P_b``, ``P_l`` the populations and ``h = t − l`` the horizon of target year ``t``
(Smith, Tayman & Swanson, *A Practitioner's Guide to State and Local Population Projections*,
Springer 2013, chapter on extrapolation methods; the slope uses the first and last base year as
there):

* **constant**:     ``P_t = P_l``
* **linear** (LIN): ``P_t = P_l + h · (P_l − P_b) / (l − b)``, floored at 0
* **exponential** (EXP): ``P_t = P_l · (P_l / P_b)^(h / (l − b))`` (``P_l`` if ``P_b = 0``)
* **share of Kreis** (SHARE): ``P_t = s_t · K_t`` with the municipality's share of its Kreis
  ``s = P / K`` either held at ``s_l`` ("constant share") or trended linearly like LIN
  ("shift-share", shares floored at 0 and rescaled to add up to 1 per Kreis), and ``K_t`` a
  Kreis projection. Without one, ``K_t`` is the Kreis's own linear trend (LIN on the Kreis
  totals, i.e. the sum of the municipalities given); this is the choice of the municipal
  backtest, where no independent Kreis projection exists for the base period.

The Kreis of a municipality is the first five digits of its AGS. :func:`control_to_totals`
adjusts municipalities proportionally to given Kreis totals (top-down control, Smith, Tayman &
Swanson 2013): ``P'_i = P_i · K / Σ_{j ∈ K} P_j``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from regiowerk.errors import RegiowerkError

KREIS_DIGITS = 5

Method = Callable[[pd.DataFrame, Sequence[int]], pd.DataFrame]
"""A projection of totals: ``method(base, target_years) -> projection``."""


class ProjectionInputError(RegiowerkError, ValueError):
    """Base data or target years that a projection of totals cannot use."""


def check_base(base: pd.DataFrame, years: Sequence[int]) -> tuple[list[int], list[int]]:
    """Validate a base table and target years; return (base years, target years) as ints.

    Raises :class:`ProjectionInputError` (German message) for fewer than two base years, base
    years out of order, missing or negative populations, or target years not after the base.
    """
    base_years = [int(y) for y in base.columns]
    if len(base_years) < 2:
        raise ProjectionInputError(
            f"Mindestens zwei Basisjahre nötig, erhalten: {base_years or 'keine'}."
        )
    if base_years != sorted(set(base_years)):
        raise ProjectionInputError(
            f"Basisjahre müssen aufsteigend und verschieden sein, erhalten: {base_years}."
        )
    values = base.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values).any(axis=1)
    if missing.any():
        bad = base.index[np.flatnonzero(missing)][:5].tolist()
        raise ProjectionInputError(f"Fehlende Einwohnerzahlen in den Basisjahren, z. B. AGS {bad}.")
    negative = (values < 0).any(axis=1)
    if negative.any():
        bad = base.index[np.flatnonzero(negative)][:5].tolist()
        raise ProjectionInputError(f"Negative Einwohnerzahlen in den Basisjahren, z. B. AGS {bad}.")
    targets = [int(y) for y in years]
    if not targets or min(targets) <= base_years[-1]:
        raise ProjectionInputError(
            f"Zieljahre {targets} müssen nach dem letzten Basisjahr {base_years[-1]} liegen."
        )
    return base_years, targets


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, 1 elsewhere."""
    return np.divide(numerator, denominator, out=np.ones_like(numerator), where=denominator > 0)


def year_frame(values: np.ndarray, index: pd.Index, targets: list[int]) -> pd.DataFrame:
    """Projected values (rows = ``index``, one column per target year)."""
    return pd.DataFrame(values, index=index, columns=pd.Index(targets, name="year"))


def horizons(base_years: list[int], targets: list[int]) -> tuple[np.ndarray, float]:
    """Horizons ``t − l`` as a row vector and the base span ``l − b``."""
    return np.asarray(targets, dtype=float) - base_years[-1], float(base_years[-1] - base_years[0])


def constant(base: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Constant projection: the last base year carried forward."""
    base_years, targets = check_base(base, years)
    last = base[base_years[-1]].to_numpy(dtype=float)
    return year_frame(np.repeat(last[:, None], len(targets), axis=1), base.index, targets)


def linear(base: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Linear extrapolation (LIN) of the change between first and last base year, floored at 0."""
    base_years, targets = check_base(base, years)
    first, last = (base[y].to_numpy(dtype=float) for y in (base_years[0], base_years[-1]))
    h, span = horizons(base_years, targets)
    values = last[:, None] + (last - first)[:, None] / span * h[None, :]
    return year_frame(np.maximum(values, 0.0), base.index, targets)


def exponential(base: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Exponential extrapolation (EXP) of the growth rate between first and last base year."""
    base_years, targets = check_base(base, years)
    first, last = (base[y].to_numpy(dtype=float) for y in (base_years[0], base_years[-1]))
    h, span = horizons(base_years, targets)
    ratio = safe_ratio(last, first)
    return year_frame(last[:, None] * ratio[:, None] ** (h[None, :] / span), base.index, targets)


def kreis_of(index: pd.Index) -> pd.Index:
    """Kreis keys (first five digits) of an AGS index."""
    return pd.Index(index.astype(str).str[:KREIS_DIGITS], name="kreis")


def kreis_totals(base: pd.DataFrame) -> pd.DataFrame:
    """Sum of the municipalities per Kreis and year."""
    return base.groupby(kreis_of(base.index)).sum()


def share_of_kreis(
    base: pd.DataFrame,
    years: Sequence[int],
    *,
    shares: Literal["constant", "linear"] = "constant",
    kreis_projection: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Share-of-Kreis projection (SHARE): constant or linearly trended shares of a Kreis
    projection; without ``kreis_projection`` (index Kreis key, columns target years) the
    Kreis's own linear trend is used (see the module docstring)."""
    base_years, targets = check_base(base, years)
    totals = kreis_totals(base)
    kreise = kreis_of(base.index)
    if kreis_projection is None:
        kreis_projection = linear(totals, targets)
    missing = sorted(set(kreise) - set(kreis_projection.index))
    if missing:
        raise ProjectionInputError(f"Kreisprojektion fehlt für Kreis(e) {missing[:5]}.")
    k_future = kreis_projection.loc[kreise, targets].to_numpy(dtype=float)
    k_base = totals.loc[kreise].to_numpy(dtype=float)
    share = np.divide(
        base.to_numpy(dtype=float), k_base, out=np.zeros_like(k_base), where=k_base > 0
    )
    if shares == "constant":
        future_share = np.repeat(share[:, -1:], len(targets), axis=1)
    else:
        h, span = horizons(base_years, targets)
        future_share = share[:, -1:] + (share[:, -1:] - share[:, :1]) / span * h[None, :]
        future_share = np.maximum(future_share, 0.0)
        sums = pd.DataFrame(future_share).groupby(np.asarray(kreise)).transform("sum").to_numpy()
        future_share = np.divide(
            future_share, sums, out=np.zeros_like(future_share), where=sums > 0
        )
    return year_frame(future_share * k_future, base.index, targets)


def share_of_kreis_trended(base: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Share-of-Kreis with linearly trended shares (shift-share) of the Kreis's linear trend."""
    return share_of_kreis(base, years, shares="linear")


def control_to_totals(projection: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Scale municipalities proportionally so that each Kreis adds up to ``totals``
    (index Kreis key, same year columns); a Kreis whose municipalities sum to 0 stays 0."""
    kreise = kreis_of(projection.index)
    missing = sorted(set(kreise) - set(totals.index))
    if missing:
        raise ProjectionInputError(f"Kreissumme fehlt für Kreis(e) {missing[:5]}.")
    sums = projection.groupby(kreise).transform("sum").to_numpy(dtype=float)
    target = totals.loc[kreise, list(projection.columns)].to_numpy(dtype=float)
    factor = np.divide(target, sums, out=np.zeros_like(sums), where=sums > 0)
    return projection * factor


NAIVE_METHODS: dict[str, Method] = {
    "constant": constant,
    "linear": linear,
    "exponential": exponential,
    "share_of_kreis": share_of_kreis,
    "share_of_kreis_trended": share_of_kreis_trended,
}
"""The naive benchmarks by name (as written into backtest tables)."""
