"""Backtest of municipal total projections on GV-ISys vintages (ex-post evaluation).

Every method projects from the base years to the target year; the projection is compared with
the published population of the target year for the municipalities whose key exists in every
base year and in the target year ("unchanged keys"; a merged or split municipality drops out).
Errors per municipality with forecast ``F`` and actual ``A`` (percent), summarised per size
class (population in the last base year: ``all``, ``<1k``, ``1-5k``, ``5-20k``, ``>=20k``):

* ``mape``   mean absolute percentage error, mean of ``|F − A| / A · 100``;
* ``medape`` median of the same;
* ``malpe``  mean algebraic (signed) percentage error, mean of ``(F − A) / A · 100``: bias;
* ``mpad``   mean percentage absolute difference ``Σ|F − A| / ΣA · 100`` (the size-weighted
  MAPE, dominated by large municipalities).

These are the standard measures of ex-post evaluations of small-area projections (Smith,
Tayman & Swanson, *A Practitioner's Guide to State and Local Population Projections*, 2013).

**Census bases are never mixed**: GV-ISys of 31.12.2009 and 2011 are on the pre-Zensus-2011
basis, 2014–2021 on the Zensus-2011 basis; a backtest across them is refused, because the
census revision (Germany −1.5 M on 31.12.2011) would be counted as projection error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.demography.ensemble import DEFAULT_METHOD, SIZE_CLASSES, kreis_drift, size_class
from regiowerk.demography.naive import NAIVE_METHODS, Method
from regiowerk.errors import RegiowerkError
from regiowerk.sources import gvisys

GV_BASES = {2009: "pre2011", 2011: "pre2011", 2014: "zensus2011", 2016: "zensus2011"}
GV_BASES |= {2019: "zensus2011", 2021: "zensus2011"}
"""Census basis of each GV-ISys vintage in the shared data folder."""
GV_PATTERN = "gv_auszug/3112{year}_Auszug_GV.csv"
METRICS = ("mape", "medape", "mpad", "malpe")

METHODS: dict[str, Method] = {DEFAULT_METHOD: kreis_drift, **NAIVE_METHODS}
"""Methods compared by default: regiowerk's default first, then the naive benchmarks."""


class BacktestError(RegiowerkError, ValueError):
    """Years or files a backtest cannot use."""


def check_years(base_years: Sequence[int], target: int) -> list[int]:
    """Validate years against the known GV-ISys vintages and their census bases."""
    years = sorted({int(y) for y in base_years})
    if len(years) < 2:
        raise BacktestError(f"Mindestens zwei verschiedene Basisjahre nötig, erhalten: {years}.")
    unknown = [y for y in [*years, target] if y not in GV_BASES]
    if unknown:
        known = ", ".join(map(str, GV_BASES))
        raise BacktestError(f"Unbekannte Jahre {unknown}; GV-ISys-Stände vorhanden: {known}.")
    if target <= years[-1]:
        raise BacktestError(
            f"Zieljahr {target} muss nach dem letzten Basisjahr {years[-1]} liegen."
        )
    bases = {GV_BASES[y] for y in [*years, target]}
    if len(bases) > 1:
        detail = ", ".join(f"{y}: {GV_BASES[y]}" for y in [*years, target])
        raise BacktestError(
            f"Zensusbasen dürfen nicht gemischt werden ({detail}); 2009 und 2011 stehen auf der "
            "Basis früherer Zählungen, 2014–2021 auf der Basis Zensus 2011."
        )
    return years


def gv_paths(data_dir: Path, years: Sequence[int]) -> list[Path]:
    """Paths of the GV-ISys CSV files of ``years`` below ``data_dir``; missing files raise."""
    paths = [Path(data_dir) / GV_PATTERN.format(year=year) for year in years]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise BacktestError(f"GV-ISys-Datei(en) nicht gefunden: {', '.join(missing)}.")
    return paths


def load_totals(paths: Sequence[Path]) -> pd.DataFrame:
    """Municipal totals of GV-ISys files as a wide table (index AGS, one column per year).

    Read with :func:`regiowerk.sources.gvisys.read`; refuses files on different census bases.
    """
    totals = gvisys.read(list(paths)).tables["population_totals"]
    bases = sorted(totals["census_basis"].unique())
    if len(bases) > 1:
        raise BacktestError(f"Zensusbasen dürfen nicht gemischt werden: {', '.join(bases)}.")
    wide = totals.pivot(index="region", columns="year", values="persons").astype("Float64")
    wide.index.name = "ags"
    return wide


def unchanged(wide: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Municipalities with a positive population under the same key in every one of ``years``."""
    frame = wide[list(years)].astype(float)
    keep = frame.notna().all(axis=1) & (frame > 0).all(axis=1)
    return frame[keep]


def metrics(forecast: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MAPE, MedAPE, MPAD and MALPE in percent (module docstring); ``actual`` must be > 0."""
    forecast, actual = np.asarray(forecast, dtype=float), np.asarray(actual, dtype=float)
    if len(actual) == 0:
        return dict.fromkeys(METRICS, float("nan"))
    error = (forecast - actual) / actual * 100.0
    return {
        "mape": float(np.mean(np.abs(error))),
        "medape": float(np.median(np.abs(error))),
        "mpad": float(np.abs(forecast - actual).sum() / actual.sum() * 100.0),
        "malpe": float(np.mean(error)),
    }


def municipal_errors(
    wide: pd.DataFrame, base_years: Sequence[int], target: int, method: Method
) -> pd.DataFrame:
    """Forecast of ``method`` against the actual population per municipality with unchanged key.

    Columns ``ags``, ``size_class`` (population in the last base year), ``forecast``,
    ``actual`` and ``error`` = (F − A) / A × 100.
    """
    years = sorted(int(y) for y in base_years)
    missing = [y for y in [*years, target] if y not in wide.columns]
    if missing:
        raise BacktestError(f"Keine Einwohnerzahlen für Jahr(e) {missing}.")
    frame = unchanged(wide, [*years, target])
    if frame.empty:
        raise BacktestError("Keine Gemeinde mit unverändertem Schlüssel in allen Jahren.")
    forecast = method(frame[years], [target])[target].to_numpy(dtype=float)
    actual = frame[target].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "ags": frame.index.astype(str),
            "size_class": size_class(frame[years[-1]].to_numpy()),
            "forecast": forecast,
            "actual": actual,
            "error": (forecast - actual) / actual * 100.0,
        }
    )


def backtest(
    wide: pd.DataFrame,
    base_years: Sequence[int],
    target: int,
    *,
    methods: Mapping[str, Method] | None = None,
) -> pd.DataFrame:
    """Error table of ``methods`` (default :data:`METHODS`) for one protocol.

    ``wide`` is a table of :func:`load_totals`. Rows: method × size class with ``method``,
    ``default``, ``size_class``, ``n``, ``mape``, ``medape``, ``mpad``, ``malpe``, ``base``
    (e.g. ``2014-2016``), ``target`` and ``horizon`` (years after the last base year).
    """
    years = sorted(int(y) for y in base_years)
    rows = []
    for name, method in (methods or METHODS).items():
        errors = municipal_errors(wide, years, target, method)
        for label in ("all", *SIZE_CLASSES):
            part = errors if label == "all" else errors[errors["size_class"] == label]
            rows.append(
                {
                    "method": name,
                    "default": name == DEFAULT_METHOD,
                    "size_class": label,
                    "n": len(part),
                    **metrics(part["forecast"].to_numpy(), part["actual"].to_numpy()),
                    "base": f"{years[0]}-{years[-1]}",
                    "target": int(target),
                    "horizon": int(target - years[-1]),
                }
            )
    return pd.DataFrame(rows)


def load_protocol(
    data_dir: Path, base_years: Sequence[int], target: int
) -> tuple[list[int], pd.DataFrame]:
    """Checked base years and the GV-ISys totals (:func:`load_totals`) of a protocol."""
    years = check_years(base_years, target)
    return years, load_totals(gv_paths(data_dir, [*years, target]))


def run(data_dir: Path, base_years: Sequence[int], target: int) -> pd.DataFrame:
    """Check the years, read the GV-ISys files below ``data_dir`` and run :func:`backtest`."""
    years, wide = load_protocol(data_dir, base_years, target)
    return backtest(wide, years, target)


def best_naive(table: pd.DataFrame) -> pd.DataFrame:
    """Per size class the naive method with the lowest MAPE (``method``, ``mape``); empty size
    classes are left out."""
    naive = table[~table["default"] & table["mape"].notna()]
    best = naive.loc[naive.groupby("size_class", sort=False)["mape"].idxmin()]
    return best.set_index("size_class")[["method", "mape"]]
