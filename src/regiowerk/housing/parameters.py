"""Parameters and default assumptions of the housing model.

Two kinds of inputs:

* :class:`HousingParameters`: the demand parameters a user sets per run (fluctuation reserve,
  replacement rate, usable share of vacancy, catch-up period, overcrowding), each with a
  sensitivity band. Read from YAML with pydantic; unknown keys, negative or non-numeric values
  and bands that do not contain the value are rejected with a message naming file and field.
* :class:`HousingDefaults`: the age profiles of household formation, the occupancy prior and
  the in-mover profiles, held as data in ``defaults.toml`` with their source, plus the
  calibration factors per Land derived from Zensus 2011 (see ``tools/housing_defaults.py``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from regiowerk.errors import RegiowerkError, validation_lines

SIZE_CLASSES = ("1-2", "3", "4", "5+")
"""Dwelling size classes by rooms incl. kitchen (labels used in tables and reports)."""
SIZE_CLASS_LABELS = {
    "1-2": "1–2 Räume",
    "3": "3 Räume",
    "4": "4 Räume",
    "5+": "5 und mehr Räume",
}
ROOMS_TO_CLASS = np.array([0, 0, 1, 2, 3, 3, 3])
"""Rooms 1 … 7+ (index 0 … 6) → size class index."""
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
"""Household sizes; 5 = five or more persons."""


class HousingParameterError(RegiowerkError):
    """Housing parameters that cannot be used (message names file and field)."""


class Band(BaseModel):
    """Low and high value for the sensitivity table."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    low: float = Field(ge=0.0, strict=True)
    high: float = Field(ge=0.0, strict=True)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.low > self.high:
            raise ValueError(f"low {self.low} ist größer als high {self.high}")
        return self


DEFAULT_BANDS: dict[str, tuple[float, float]] = {
    "fluctuation_reserve": (0.01, 0.03),
    "replacement_rate": (0.0, 0.004),
    "usable_vacancy_share": (0.25, 0.75),
    "catch_up_years": (3, 10),
    "overcrowding_share": (0.0, 0.02),
}
"""Sensitivity band of every parameter; a value set outside its band widens the band."""
SENSITIVE = tuple(DEFAULT_BANDS)
"""Parameters with a sensitivity band (all of them)."""


class HousingParameters(BaseModel):
    """Demand parameters (see :mod:`regiowerk.housing.demand` for how they enter).

    ``bands`` holds the sensitivity bands the user set; :meth:`sensitivity_bands` merges them
    with :data:`DEFAULT_BANDS`, widened to contain values set outside them. A band the user
    set must contain its parameter's value.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    fluctuation_reserve: float = Field(default=0.02, ge=0.0, le=0.2, strict=True)
    """Vacant share needed for moves and renovation, on top of the occupied dwellings."""
    replacement_rate: float = Field(default=0.002, ge=0.0, le=0.05, strict=True)
    """Dwellings lost per year (demolition, merging, change of use) as share of the stock."""
    usable_vacancy_share: float = Field(default=0.5, ge=0.0, le=1.0, strict=True)
    """Share of the vacancy beyond the fluctuation reserve that can be brought back to use."""
    catch_up_years: int = Field(default=5, ge=1, le=30, strict=True)
    """Years over which a base-year shortage (doubled-up households) is made up."""
    overcrowding_share: float = Field(default=0.0, ge=0.0, le=0.2, strict=True)
    """Share of households living overcrowded that need another dwelling (catch-up)."""
    bands: dict[str, Band] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bands_fit(self) -> HousingParameters:
        for name, band in self.bands.items():
            if name not in SENSITIVE:
                raise ValueError(
                    f"bands.{name}: unbekannter Parameter (erlaubt: {', '.join(SENSITIVE)})"
                )
            value = getattr(self, name)
            if not band.low <= value <= band.high:
                raise ValueError(
                    f"bands.{name}: {band.low} … {band.high} enthält den Wert {value} nicht"
                )
        return self

    def sensitivity_bands(self) -> dict[str, tuple[float, float]]:
        """Low and high value of every parameter (see the class docstring)."""
        out = {}
        for name, (low, high) in DEFAULT_BANDS.items():
            value = float(getattr(self, name))
            if name in self.bands:
                out[name] = (self.bands[name].low, self.bands[name].high)
            else:
                out[name] = (min(low, value), max(high, value))
        return out

    def varied(self, name: str, value: float) -> HousingParameters:
        """A copy with one parameter changed (bands dropped: they describe the base run)."""
        typed = round(value) if name == "catch_up_years" else value
        return self.model_copy(update={name: typed, "bands": {}})


PARAMETER_LABELS = {
    "fluctuation_reserve": "Fluktuationsreserve",
    "replacement_rate": "Ersatzbedarf (Abgangsrate je Jahr)",
    "usable_vacancy_share": "aktivierbarer Anteil des Leerstands",
    "catch_up_years": "Abbau des Nachholbedarfs (Jahre)",
    "overcrowding_share": "Anteil überbelegter Haushalte",
}


def load_parameters(path: Path) -> HousingParameters:
    """Read :class:`HousingParameters` from a YAML file (missing keys keep their defaults)."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HousingParameterError(f"Datei {path}: nicht lesbar ({exc}).") from None
    if not isinstance(raw, dict):
        raise HousingParameterError(f"Datei {path}: erwartet eine Zuordnung 'name: wert'.")
    try:
        return HousingParameters.model_validate(raw)
    except ValidationError as exc:
        lines = validation_lines(exc.errors())
        raise HousingParameterError(
            f"Datei {path}: ungültige Wohnungsbedarfs-Parameter:\n" + "\n".join(lines)
        ) from None


@dataclass(frozen=True)
class HousingDefaults:
    """Age profiles and priors of ``defaults.toml`` as arrays."""

    band_lower: tuple[int, ...]
    living_alone: NDArray[np.float64]
    """(bands, 2): share living alone, columns male, female."""
    per_person: NDArray[np.float64]
    """(4, bands): households of size 2, 3, 4, 5+ per inhabitant."""
    mean_size_5plus: float
    occupancy: NDArray[np.float64]
    """(5 sizes, 4 classes) prior."""
    age_tilt: NDArray[np.float64]
    in_movers: dict[str, NDArray[np.float64]]
    children_per_family: float
    land_factors: dict[str, NDArray[np.float64]]
    """Land (2 digits, "DG" for Germany) → calibration factor per household size (5,)."""
    sources: dict[str, str]

    @property
    def bands(self) -> int:
        """Number of age bands."""
        return len(self.band_lower)

    def band_labels(self) -> list[str]:
        """German labels of the age bands, e.g. ``25–34``, ``85+``."""
        lower = self.band_lower
        return [f"{a}–{b - 1}" for a, b in pairwise(lower)] + [f"{lower[-1]}+"]

    def factors_for(self, land: str) -> tuple[NDArray[np.float64], str]:
        """Calibration factors of ``land`` (falling back to Germany) and what was used."""
        if land in self.land_factors:
            return self.land_factors[land], f"Land {land}"
        return self.land_factors["DG"], "Deutschland"


@lru_cache(maxsize=1)
def housing_defaults() -> HousingDefaults:
    """The shipped defaults (``regiowerk/housing/defaults.toml``)."""
    text = resources.files("regiowerk.housing").joinpath("defaults.toml").read_text("utf-8")
    return parse_defaults(tomllib.loads(text))


def parse_defaults(raw: dict[str, Any]) -> HousingDefaults:
    """Turn the TOML structure into :class:`HousingDefaults` (shapes are checked)."""
    head, occ, movers = raw["headship"], raw["occupancy"], raw["in_movers"]
    lower = tuple(int(x) for x in raw["bands"]["lower"])
    n = len(lower)
    living_alone = np.column_stack([head["living_alone_m"], head["living_alone_f"]]).astype(float)
    per_person = np.array([head[f"per_person_{k}"] for k in (2, 3, 4, 5)], dtype=float)
    occupancy = np.array([occ[f"size_{k}"] for k in HOUSEHOLD_SIZES], dtype=float)
    tilt = np.asarray(occ["age_tilt"], dtype=float)
    if living_alone.shape != (n, 2) or per_person.shape != (4, n) or tilt.shape != (n,):
        raise HousingParameterError("defaults.toml: Altersprofile passen nicht zu [bands].")
    if occupancy.shape != (5, len(SIZE_CLASSES)):
        raise HousingParameterError("defaults.toml: [occupancy] braucht 5 × 4 Werte.")
    calibration = raw.get("calibration", {})
    factors = {
        str(land): np.asarray(values, dtype=float)
        for land, values in calibration.get("factors", {"DG": [1.0] * 5}).items()
    }
    return HousingDefaults(
        band_lower=lower,
        living_alone=living_alone,
        per_person=per_person,
        mean_size_5plus=float(head["mean_size_5plus"]),
        occupancy=occupancy / occupancy.sum(axis=1, keepdims=True),
        age_tilt=tilt,
        in_movers={
            kind: np.asarray(movers[kind], dtype=float) / float(np.sum(movers[kind]))
            for kind in ("single", "couple", "family", "multilocal")
        },
        children_per_family=float(movers["children_per_family"]),
        land_factors=factors,
        sources={
            "headship": str(head["source"]),
            "occupancy": str(occ["source"]),
            "in_movers": str(movers["source"]),
            "calibration": str(calibration.get("source", "keine Kalibrierung")),
        },
    )
