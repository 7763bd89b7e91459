"""Empirical error bands of municipal population projections, from the backtest.

``error_bands.toml`` (written by ``tools/error_bands.py``) holds, per size class (``<1k``,
``1-5k``, ``5-20k``, ``>=20k`` inhabitants) and horizon (3 and 5 years), the 50th and 90th
percentile of the absolute percentage error ``|F − A| / A · 100`` of regiowerk's default method
for municipal totals in the GV-ISys backtest (base 31.12.2014 and 2016, targets 2019 and 2021,
municipalities with unchanged keys; Destatis, dl-de/by-2-0). A p90 of 4 % means: 9 of 10
municipalities of that size class were projected to within 4 % of the later published figure.

Between the measured horizons :func:`band` interpolates linearly through ``(0, 0)``, ``(3, ·)``
and ``(5, ·)`` (no error in the base year itself). **Beyond 5 years nothing was measured**: the
band is extrapolated as ``value(5) · sqrt(h / 5)``, i.e. assuming that errors grow like a random
walk. That is an assumption, not a finding; in ex-post evaluations errors often grow roughly
linearly with the horizon (Smith, Tayman & Swanson 2013), so for long horizons the extrapolated
band is rather too narrow than too wide.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from regiowerk.demography.ensemble import SIZE_CLASSES
from regiowerk.demography.ensemble import size_class as _size_classes
from regiowerk.errors import RegiowerkError

Bands = dict[str, dict[int, tuple[float, float]]]
"""Size class → horizon → (p50, p90) in percent."""
MEASURED_MAX = 5
"""Longest horizon measured in the backtest; longer ones are extrapolated."""


class ErrorBandError(RegiowerkError, ValueError):
    """A size class, horizon or band file that cannot be used."""


def size_class(persons: float) -> str:
    """Size class label (``<1k``, ``1-5k``, ``5-20k``, ``>=20k``) of a population."""
    return str(_size_classes(np.array([persons], dtype=float))[0])


def load_bands(path: Path | None = None) -> Bands:
    """Bands from ``path`` or the packaged ``error_bands.toml``."""
    if path is None:
        return _packaged()
    return _parse(Path(path).read_text(encoding="utf-8"))


def _packaged_text() -> str:
    return resources.files("regiowerk.demography").joinpath("error_bands.toml").read_text("utf-8")


@lru_cache(maxsize=1)
def _packaged() -> Bands:
    return _parse(_packaged_text())


def _parse(text: str) -> Bands:
    data = tomllib.loads(text)
    bands: Bands = {}
    for entry in data.get("band", []):
        horizons = bands.setdefault(str(entry["size_class"]), {})
        horizons[int(entry["horizon"])] = (float(entry["p50"]), float(entry["p90"]))
    for label in SIZE_CLASSES:
        if label not in bands or MEASURED_MAX not in bands[label]:
            raise ErrorBandError(f"Fehlerbänder: Größenklasse {label} ohne Horizont 5 Jahre.")
    return bands


def protocol(path: Path | None = None) -> dict[str, object]:
    """The ``[protocol]`` table of the band file (bases, targets, method, source, date)."""
    text = _packaged_text() if path is None else Path(path).read_text(encoding="utf-8")
    return dict(tomllib.loads(text).get("protocol", {}))


def band(label: str, horizon: float, *, path: Path | None = None) -> tuple[float, float]:
    """``(p50, p90)`` of the absolute percentage error, in percent, for size class ``label``
    and ``horizon`` years after the base year (module docstring: interpolation and the sqrt
    extrapolation beyond 5 years)."""
    bands = load_bands(path)
    if label not in bands:
        known = ", ".join(SIZE_CLASSES)
        raise ErrorBandError(f"Unbekannte Größenklasse {label!r}; bekannt: {known}.")
    if not math.isfinite(horizon) or horizon < 0:
        raise ErrorBandError(f"Horizont {horizon} muss eine Zahl ≥ 0 sein.")
    points = {0: (0.0, 0.0), **bands[label]}
    horizons = sorted(points)
    if horizon > MEASURED_MAX:
        p50, p90 = points[MEASURED_MAX]
        factor = math.sqrt(horizon / MEASURED_MAX)
        return p50 * factor, p90 * factor
    p50 = float(np.interp(horizon, horizons, [points[h][0] for h in horizons]))
    p90 = float(np.interp(horizon, horizons, [points[h][1] for h in horizons]))
    return p50, p90
