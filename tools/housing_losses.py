"""Check the default dwelling loss rate (0.2 % of the stock per year) against real Kreis data.

Reads from ``housing_kreise/`` in the data folder (``--data``, default ``$REGIOWERK_DATA`` or
``../shared/data`` next to the repository) the Regionaldatenbank xlsx exports

* ``31231-01-02-4.xlsx``: dwelling stock (Wohnungen in Wohn- und Nichtwohngebäuden) 31.12.1995–2010,
* ``31231-02-01-4.xlsx``: the same 31.12.2011–2019 (Zensus 2011 basis),
* ``31121-01-02-4.xlsx``: completions of dwellings in new residential buildings 1995–2019,

and, per period (1995–2010 and 2011–2019, never across the census break), keeps the Kreise whose
key has a stock (> 0) in every year and completions in every year of the period; the others
(key changes: Sachsen-Anhalt 2007, Sachsen 2008, Aachen 2009, Göttingen 2016 …) are counted as
dropped. It prints the implied loss rates of :func:`regiowerk.housing.stockflow.estimate_loss_rate`
and the stock backtest of :func:`~regiowerk.housing.stockflow.backtest_stock` over the whole
period for r = 0, the default 0.2 %, the rate estimated in the same period (in-sample) and the
rate of the other period (out-of-sample).

The figures the report quotes are stored in ``src/regiowerk/housing/losses.toml``
(:func:`regiowerk.housing.stockflow.measured_losses`); without ``--write`` the script exits
with status 1 when they differ from the recomputation (rounded as stored).

Usage::

    .venv/bin/python tools/housing_losses.py [--data FOLDER] [--write]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from regiowerk.fileio import atomic_write_bytes
from regiowerk.housing.stockflow import (
    DEFAULT_LOSS_RATE,
    LOSSES_TOML,
    LossRateEstimate,
    backtest_stock,
    estimate_loss_rate,
    measured_losses,
)
from regiowerk.sources.base import default_data_dir
from regiowerk.sources.regionaldatenbank_xlsx import read_regionaldatenbank_xlsx, select_variable

PERIODS: tuple[tuple[int, int], ...] = ((1995, 2010), (2011, 2019))
STOCK_FILES = ("31231-01-02-4.xlsx", "31231-02-01-4.xlsx")
COMPLETIONS_FILE = "31121-01-02-4.xlsx"


class Panel(NamedTuple):
    """Tidy ``region, name, year, dwellings`` frames for Germany (``DG``) and the Kreise."""

    stock: pd.DataFrame
    completions: pd.DataFrame


CITY_STATES = {"02": "02000", "11": "11000"}
"""Hamburg and Berlin appear in these exports only as Länder (no ``02000``/``11000`` row; the
Berlin districts are 8-digit rows with ``-``): their Land row is their Kreis row."""


def _dwellings(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    city = frame["region"].isin(list(CITY_STATES))
    frame.loc[city, "region"] = frame.loc[city, "region"].map(CITY_STATES)
    frame.loc[city, "level"] = "Kreis"
    out = frame[frame["level"].isin(["Bund", "Kreis"])]
    return out.rename(columns={"value": "dwellings"})[["region", "name", "year", "dwellings"]]


def load_panel(folder: Path) -> Panel:
    """Dwelling stocks 1995–2019 and completions 1995–2019 from ``folder/housing_kreise``.

    A stock of 0 is a Kreis key that did not exist on that day (``-`` in the export) and becomes
    missing; completions of 0 stay 0.
    """
    base = folder / "housing_kreise"
    stocks = [
        _dwellings(
            select_variable(
                read_regionaldatenbank_xlsx(base / name), "Wohnungen in Wohn-", "-Insgesamt"
            )
        )
        for name in STOCK_FILES
    ]
    stock = pd.concat(stocks, ignore_index=True)
    stock["dwellings"] = stock["dwellings"].where(stock["dwellings"] > 0)
    completions = _dwellings(
        select_variable(
            read_regionaldatenbank_xlsx(base / COMPLETIONS_FILE), "Wohnungen-in Wohngebäuden-Insg"
        )
    )
    return Panel(stock=stock, completions=completions)


def complete_kreise(panel: Panel, start: int, end: int) -> tuple[list[str], list[str]]:
    """Kreise with a stock in every year ``start..end`` and completions in ``start+1..end``
    (used), and Kreise with a stock in some but not all of these years (dropped)."""
    years = set(range(start, end + 1))
    stock = panel.stock[(panel.stock["region"] != "DG") & panel.stock["year"].isin(years)]
    have = stock.dropna(subset=["dwellings"]).groupby("region")["year"].nunique()
    built = panel.completions[
        (panel.completions["region"] != "DG")
        & panel.completions["year"].isin(years - {start})
        & panel.completions["dwellings"].notna()
    ]
    built_years = built.groupby("region")["year"].nunique()
    full = have[have == len(years)].index
    used = sorted(r for r in full if built_years.get(r, 0) == len(years) - 1)
    dropped = sorted(set(have.index) - set(used))
    return used, dropped


def errors_summary(backtest: pd.DataFrame) -> dict[str, float]:
    """MAPE, MALPE (mean algebraic percentage error) and median APE of a backtest, in %."""
    pct = backtest["pct_error"].to_numpy(float)
    return {
        "mape": float(np.mean(np.abs(pct))),
        "malpe": float(np.mean(pct)),
        "medape": float(np.median(np.abs(pct))),
        "n": float(len(pct)),
    }


class PeriodResult(NamedTuple):
    """Loss rates of one period: Kreise used and dropped, their estimate and Germany's."""

    start: int
    end: int
    used: list[str]
    dropped: list[str]
    kreise: LossRateEstimate
    germany: LossRateEstimate


def analyse_period(panel: Panel, start: int, end: int) -> PeriodResult:
    """Implied loss rates of the complete Kreise and of Germany as a whole in one period."""
    used, dropped = complete_kreise(panel, start, end)
    kreise = estimate_loss_rate(panel.stock, panel.completions, start=start, end=end, regions=used)
    germany = estimate_loss_rate(
        panel.stock, panel.completions, start=start, end=end, regions=["DG"]
    )
    return PeriodResult(start, end, used, dropped, kreise, germany)


def backtests(
    panel: Panel, result: PeriodResult, rates: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Backtest errors over the whole period (Kreise used) for each named rate."""
    out = {}
    for label, rate in rates.items():
        frame = backtest_stock(panel.stock, panel.completions, result.start, result.end, rate)
        out[label] = errors_summary(frame[frame["region"].isin(result.used)])
    return out


def _pct(value: float) -> str:
    return f"{value * 100:.3f} %"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="data folder (shared/data)")
    parser.add_argument("--write", action="store_true", help=f"write {LOSSES_TOML.name}")
    args = parser.parse_args(argv)
    folder = args.data or default_data_dir()
    if not (folder / "housing_kreise").is_dir():
        print(
            f"Datenordner nicht gefunden: {folder}/housing_kreise (--data angeben).",
            file=sys.stderr,
        )
        return 2
    panel = load_panel(folder)
    results = [analyse_period(panel, start, end) for start, end in PERIODS]
    measured = []
    for i, res in enumerate(results):
        other = results[1 - i]
        est = res.kreise
        print(f"== {res.start}–{res.end} (Differenzen {est.first_year}–{est.last_year}) ==")
        shown = ", ".join(res.dropped[:12]) + (" …" if len(res.dropped) > 12 else "")
        print(
            f"Kreise verwendet / used: {len(res.used)}, ausgeschlossen / dropped: "
            f"{len(res.dropped)} ({shown})"
        )
        print(f"Kreis-Jahre / Kreis-years: {est.n_region_years}")
        print(f"Abgangsrate gepoolt / pooled loss rate (Σ Abgänge / Σ Bestand): {_pct(est.pooled)}")
        print(f"Median der Kreisraten / median of Kreis rates: {_pct(est.median_region)}")
        print(
            "Median der Kreis-Jahres-Raten / median Kreis-year rate: "
            f"{_pct(est.median_region_year)}"
        )
        print(f"Anteil negativer Abgänge / share negative: {est.share_negative * 100:.1f} %")
        print(f"Deutschland / Germany (DG) gepoolt: {_pct(res.germany.pooled)}")
        rates = {
            "r = 0": 0.0,
            f"r = {DEFAULT_LOSS_RATE * 100:.1f} % (default)": DEFAULT_LOSS_RATE,
            f"r = {_pct(est.pooled)} (geschätzt, in-sample)": est.pooled,
            f"r = {_pct(other.kreise.pooled)} (andere Periode, out-of-sample)": (
                other.kreise.pooled
            ),
        }
        print(f"Backtest Bestand {res.start}→{res.end} (Kreise):")
        errors_by_rate = backtests(panel, res, rates)
        for label, errors in errors_by_rate.items():
            print(
                f"  {label:45s} MAPE {errors['mape']:6.2f} %  MALPE {errors['malpe']:+6.2f} %  "
                f"MedAPE {errors['medape']:5.2f} %  n = {errors['n']:.0f}"
            )
        print()
        mape = [errors["mape"] for errors in errors_by_rate.values()]
        measured.append(
            {
                "start": res.start,
                "end": res.end,
                "kreise": len(res.used),
                "pooled_rate": round(est.pooled, 6),
                "share_negative": round(est.share_negative, 3),
                "mape_zero": round(mape[0], 2),
                "mape_default": round(mape[1], 2),
                "mape_other_period": round(mape[3], 2),
            }
        )
    text = "".join(
        "[[period]]\n" + "".join(f"{key} = {value}\n" for key, value in row.items()) + "\n"
        for row in measured
    )
    header = (
        "# Net dwelling loss rates per Kreis and the stock backtest, measured by\n"
        "# tools/housing_losses.py on Regionaldatenbank 31231 (stock) and 31121 (completions);\n"
        "# quoted by the report. Rates are shares per year; MAPE in percent.\n"
        f"default_rate = {DEFAULT_LOSS_RATE}\n\n"
    )
    if args.write:
        atomic_write_bytes(LOSSES_TOML, (header + text).encode("utf-8"))
        print(f"geschrieben: {LOSSES_TOML}")
        return 0
    stored = measured_losses()
    if stored != measured:
        print(f"{LOSSES_TOML.name}: gespeicherte Werte weichen ab (--write schreibt sie).")
        return 1
    print(f"{LOSSES_TOML.name}: gespeicherte Werte stimmen.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
