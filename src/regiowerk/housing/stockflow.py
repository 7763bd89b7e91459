"""Dwelling stock-flow accounting: implied losses, their rate, and a stock backtest.

The dwelling stock of the Fortschreibung (31.12.) changes by completions and by losses::

    stock(t+1) = stock(t) + completions(t+1) − losses(t+1)

so the losses implied by published stocks and completions are

    losses(t+1)    = stock(t) + completions(t+1) − stock(t+1)
    loss_rate(t+1) = losses(t+1) / stock(t)

A constant loss rate ``r`` (the housing-demand parameter ``replacement_rate``, default
:data:`DEFAULT_LOSS_RATE`) projects a stock from year ``s`` to year ``e`` as::

    stock(e) = stock(s)·(1−r)^(e−s) + Σ_{t=s+1..e} completions(t)·(1−r)^(e−t)

(completions of year ``t`` are counted in the stock of 31.12.t and lose ``r`` in every later
year). Every function works on any regional level: the frames are tidy with the columns
``region``, ``year`` and ``dwellings``.

Caveats of the implied losses:

* The completions statistic 31121 counts dwellings in *new residential buildings* only. The
  stock (31231) also grows by dwellings created in existing buildings (conversions, attic
  extensions, splitting) and by dwellings in non-residential buildings; these gains are netted
  against the losses, so implied losses are a *net* figure and are often negative.
* Corrections of the Fortschreibung and boundary changes that keep the key end up in the
  implied losses too.
* Census break: the stock from 31.12.2011 is updated from the Gebäude- und Wohnungszählung 2011
  (and from 31.12.2022 from Zensus 2022); up to 2010 it is on the old basis. Differences across
  such a break are a revision, not losses, and are skipped (see
  :func:`regiowerk.sources.genesis_tables.census_basis`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.errors import RegiowerkError
from regiowerk.housing.parameters import HousingParameters
from regiowerk.sources.genesis_tables import census_basis

DEFAULT_LOSS_RATE: float = HousingParameters().replacement_rate
"""Default loss rate per year: the housing parameter ``replacement_rate``."""

KEYS = ("region", "year")
LOSSES_TOML = Path(__file__).with_name("losses.toml")
"""Measured loss rates and backtest errors (written by ``tools/housing_losses.py``)."""


class StockFlowError(RegiowerkError, ValueError):
    """Stock or completions that cannot be used for the stock-flow account."""


@dataclass(frozen=True)
class LossRateEstimate:
    """Pooled implied loss rate over regions and years (see :func:`estimate_loss_rate`)."""

    pooled: float
    """Σ losses / Σ stock(t) over all region-years: the stock-weighted mean annual rate."""
    median_region: float
    """Median over regions of each region's own pooled rate (Σ losses / Σ stock over its years)."""
    median_region_year: float
    """Median of the single region-year rates."""
    share_negative: float
    """Share of region-years with negative implied losses (net gains beyond completions)."""
    n_regions: int
    n_region_years: int
    first_year: int
    """First year t+1 of a difference used."""
    last_year: int


def implied_losses(
    stock: pd.DataFrame, completions: pd.DataFrame, *, across_census: bool = False
) -> pd.DataFrame:
    """Losses implied by consecutive stocks and the completions in between, per region and year.

    ``stock``: ``region, year, dwellings`` (stock on 31.12. of ``year``); ``completions``:
    ``region, year, dwellings`` (completed during ``year``). For every region with stocks in
    ``t`` and ``t+1`` and completions in ``t+1`` (all finite) the result has one row with
    ``region``, ``year`` (= t+1), ``stock_start`` (t), ``completions`` (t+1), ``stock_end``
    (t+1), ``losses = stock_start + completions − stock_end`` and
    ``loss_rate = losses / stock_start`` (NaN where ``stock_start`` is 0).

    Pairs whose stocks are on different census bases (2010→2011, 2021→2022) are left out unless
    ``across_census`` is true; the module docstring lists why implied losses may be negative.
    """
    stock = _tidy(stock, "stock")
    completions = _tidy(completions, "completions")
    start = stock.rename(columns={"dwellings": "stock_start"})
    start["year"] = start["year"] + 1
    end = stock.rename(columns={"dwellings": "stock_end"})
    built = completions.rename(columns={"dwellings": "completions"})
    frame = start.merge(built, on=list(KEYS)).merge(end, on=list(KEYS))
    frame = frame.dropna(subset=["stock_start", "completions", "stock_end"])
    if not across_census:
        same = [census_basis(y - 1) == census_basis(y) for y in frame["year"]]
        frame = frame[np.asarray(same, dtype=bool)]
    frame = frame.sort_values(list(KEYS)).reset_index(drop=True)
    frame["losses"] = frame["stock_start"] + frame["completions"] - frame["stock_end"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = frame["losses"].to_numpy(float) / frame["stock_start"].to_numpy(float)
    frame["loss_rate"] = np.where(frame["stock_start"].to_numpy(float) > 0, rate, np.nan)
    return frame[
        ["region", "year", "stock_start", "completions", "stock_end", "losses", "loss_rate"]
    ]


def estimate_loss_rate(
    stock: pd.DataFrame,
    completions: pd.DataFrame,
    *,
    start: int | None = None,
    end: int | None = None,
    regions: Iterable[str] | None = None,
) -> LossRateEstimate:
    """Robust summary of the implied loss rates of all regions and years in ``(start, end]``.

    Uses the differences ``t → t+1`` with ``start ≤ t`` and ``t+1 ≤ end`` (no census break, see
    :func:`implied_losses`), restricted to ``regions`` when given. The pooled rate
    Σ losses / Σ stock weights regions by size and is not pulled by single odd years of small
    regions; the medians show the typical region. Raises :class:`StockFlowError` when no
    difference is left.
    """
    frame = implied_losses(stock, completions)
    if start is not None:
        frame = frame[frame["year"] - 1 >= start]
    if end is not None:
        frame = frame[frame["year"] <= end]
    if regions is not None:
        frame = frame[frame["region"].isin(list(regions))]
    frame = frame[frame["stock_start"] > 0]
    if frame.empty:
        raise StockFlowError(
            f"Keine aufeinanderfolgenden Bestände mit Fertigstellungen im Zeitraum "
            f"{start if start is not None else '…'}–{end if end is not None else '…'} "
            f"(ohne Zensus-Bruch)."
        )
    sums = frame.groupby("region")[["losses", "stock_start"]].sum()
    per_region = sums["losses"] / sums["stock_start"]
    return LossRateEstimate(
        pooled=float(frame["losses"].sum() / frame["stock_start"].sum()),
        median_region=float(per_region.median()),
        median_region_year=float(frame["loss_rate"].median()),
        share_negative=float((frame["losses"] < 0).mean()),
        n_regions=int(frame["region"].nunique()),
        n_region_years=len(frame),
        first_year=int(frame["year"].min()),
        last_year=int(frame["year"].max()),
    )


def backtest_stock(
    stock: pd.DataFrame,
    completions: pd.DataFrame,
    start: int,
    end: int,
    loss_rate: float = DEFAULT_LOSS_RATE,
    *,
    across_census: bool = False,
) -> pd.DataFrame:
    """Project the stock of ``start`` to ``end`` with completions and a constant loss rate.

    ``predicted = stock(start)·(1−r)^(end−start) + Σ_{t=start+1..end} completions(t)·(1−r)^(end−t)``
    for every region with a stock in ``start`` and ``end`` and completions in every year
    ``start+1..end`` (all finite). Columns: ``region``, ``stock_start``, ``completions`` (sum
    over the years), ``predicted``, ``actual``, ``error = predicted − actual`` and
    ``pct_error = error / actual · 100``. A negative ``loss_rate`` is a net gain beyond the
    completions (what :func:`estimate_loss_rate` finds where conversions outweigh demolitions).
    Raises :class:`StockFlowError` for ``end <= start``, a rate outside (−1, 1) or a census
    break between the years (unless ``across_census``).
    """
    if end <= start:
        raise StockFlowError(
            f"Backtest {start}→{end}: das Zieljahr muss nach dem Startjahr liegen."
        )
    if not -1.0 < loss_rate < 1.0:  # also rejects NaN
        raise StockFlowError(f"Abgangsrate {loss_rate}: muss zwischen −1 und 1 liegen.")
    if not across_census and census_basis(start) != census_basis(end):
        raise StockFlowError(
            f"Backtest {start}→{end}: die Bestände beruhen auf verschiedenen Zählungen "
            f"({census_basis(start)} / {census_basis(end)}); Startjahr nach dem Zensus wählen."
        )
    stock = _tidy(stock, "stock")
    completions = _tidy(completions, "completions")
    years = list(range(start + 1, end + 1))
    first = stock[stock["year"] == start].set_index("region")["dwellings"]
    last = stock[stock["year"] == end].set_index("region")["dwellings"]
    built = (
        completions[completions["year"].isin(years)]
        .pivot(index="region", columns="year", values="dwellings")
        .reindex(columns=years)
    )
    regions = first.index.intersection(last.index).intersection(built.index)
    first, last, built = first[regions], last[regions], built.loc[regions]
    ok = first.notna() & last.notna() & built.notna().all(axis=1)
    first, last, built = first[ok], last[ok], built[ok]
    keep = 1.0 - loss_rate
    weights = np.array([keep ** (end - t) for t in years])
    predicted = first.to_numpy(float) * keep ** (end - start) + built.to_numpy(float) @ weights
    actual = last.to_numpy(float)
    error = predicted - actual
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(actual != 0, error / actual * 100.0, np.nan)
    return pd.DataFrame(
        {
            "region": first.index.to_numpy(dtype=object),
            "stock_start": first.to_numpy(float),
            "completions": built.to_numpy(float).sum(axis=1),
            "predicted": predicted,
            "actual": actual,
            "error": error,
            "pct_error": pct,
        }
    ).reset_index(drop=True)


def _tidy(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """``region`` (str), ``year`` (int), ``dwellings`` (float); one row per region and year."""
    missing = [c for c in ("region", "year", "dwellings") if c not in frame.columns]
    if missing:
        raise StockFlowError(
            f"{'Bestand' if what == 'stock' else 'Fertigstellungen'}: Spalte(n) "
            f"{', '.join(missing)} fehlen (erwartet region, year, dwellings)."
        )
    out = pd.DataFrame(
        {
            "region": frame["region"].astype(str).to_numpy(),
            "year": pd.to_numeric(frame["year"]).astype(int).to_numpy(),
            "dwellings": pd.to_numeric(frame["dwellings"]).astype(float).to_numpy(),
        }
    )
    twice = out.duplicated(list(KEYS))
    if twice.any():
        row = out[twice].iloc[0]
        raise StockFlowError(
            f"{'Bestand' if what == 'stock' else 'Fertigstellungen'}: Region {row['region']} "
            f"hat für {row['year']} mehrere Werte."
        )
    if (out["dwellings"] < 0).any():
        row = out[out["dwellings"] < 0].iloc[0]
        raise StockFlowError(
            f"{'Bestand' if what == 'stock' else 'Fertigstellungen'}: negativer Wert "
            f"{row['dwellings']:g} für Region {row['region']}, {row['year']}."
        )
    return out


def measured_losses() -> list[dict[str, float | int]]:
    """The periods of ``losses.toml``: pooled net loss rate, share of negative Kreis-years and
    stock backtest MAPE for r = 0, the default and the other period's rate."""
    if not LOSSES_TOML.is_file():
        return []
    periods: list[dict[str, float | int]] = tomllib.loads(LOSSES_TOML.read_text("utf-8"))["period"]
    return periods
