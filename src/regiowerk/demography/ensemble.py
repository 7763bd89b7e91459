"""The default projection of municipal totals: damped Kreis trend plus a size-class drift.

Extrapolating a municipality's own change is noisy for small places and, with base years
2014–2016, carries the refugee inflow of 2015–16 (reception centres grew by hundreds and emptied
again). The default therefore combines two robust parts instead of the local trend:

* the **Kreis trend**, damped: the annual log growth of the Kreis total over the base period,
  ``g_K = ln(K_l / K_b) / (l − b)``, weighted by ``φ = 0.5`` (damped trends, Gardner &
  McKenzie 1985, "Forecasting trends in time series", *Management Science* 31(10)); half the
  trend is the average of the trend and the constant forecast, in the spirit of averaging
  extrapolation methods (Smith, Tayman & Swanson 2013);
* a **size-class drift** ``c_s``: the typical annual log growth of municipalities of size class
  ``s`` relative to the damped Kreis trend (small places lose against their Kreis).

With ``P_l`` the last base-year population and ``h = t − l``::

    P_t = P_l · exp(h · (c_s + φ · g_K))

Size classes by ``P_l``: < 1,000; 1,000–4,999; 5,000–19,999; ≥ 20,000. The drifts
``c_s`` are the medians of ``ln(P_2019 / P_2016) / 3 − φ · g_K`` per size class on the
development protocol only (GV-ISys, base 31.12.2014 and 2016, target 2019, 10,703 municipalities
with unchanged keys), rounded to 0.0001; the final protocol (target 2021) was not used to choose
anything. The Kreis is the first five digits of the AGS; its total is the sum of the given
municipalities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from regiowerk.demography.naive import (
    check_base,
    horizons,
    kreis_of,
    kreis_totals,
    year_frame,
)

SIZE_BOUNDS = (1_000.0, 5_000.0, 20_000.0)
"""Lower bounds of the size classes above the first (population in the last base year)."""
SIZE_CLASSES = ("<1k", "1-5k", "5-20k", ">=20k")
DAMPING = 0.5
"""Weight φ of the Kreis trend."""
DRIFT = {"<1k": -0.0043, "1-5k": -0.0023, "5-20k": -0.0019, ">=20k": -0.0018}
"""Annual log drift ``c_s`` per size class, fitted on base 2014–2016 → target 2019."""


def size_class(persons: np.ndarray | pd.Series) -> np.ndarray:
    """Size class label of each population (``<1k``, ``1-5k``, ``5-20k``, ``>=20k``)."""
    codes = np.searchsorted(np.asarray(SIZE_BOUNDS), np.asarray(persons, dtype=float), "right")
    return np.asarray(SIZE_CLASSES, dtype=object)[codes]


def kreis_drift(
    base: pd.DataFrame,
    years: Sequence[int],
    *,
    damping: float = DAMPING,
    drift: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Project municipal totals with the damped Kreis trend plus size-class drift (module
    docstring); ``base`` indexed by AGS with one column per base year."""
    base_years, targets = check_base(base, years)
    drift = DRIFT if drift is None else drift
    totals = kreis_totals(base).loc[kreis_of(base.index)]
    first, last = (totals[y].to_numpy(dtype=float) for y in (base_years[0], base_years[-1]))
    ratio = np.divide(last, first, out=np.ones_like(last), where=(first > 0) & (last > 0))
    g_kreis = np.log(ratio) / (base_years[-1] - base_years[0])
    current = base[base_years[-1]].to_numpy(dtype=float)
    c = np.array([drift[s] for s in size_class(current)], dtype=float)
    h, _ = horizons(base_years, targets)
    values = current[:, None] * np.exp(h[None, :] * (c + damping * g_kreis)[:, None])
    return year_frame(values, base.index, targets)


DEFAULT_METHOD = "kreis_drift"
"""Name of the method regiowerk uses by default for municipal totals."""
