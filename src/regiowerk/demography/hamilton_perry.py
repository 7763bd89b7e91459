"""Hamilton–Perry projection by age bands and sex (cohort-change and child–woman ratios).

Hamilton & Perry (1962), "A short method for projecting population by age from one decennial
census to another", *Social Forces* 41(2); in the form of Swanson, Schlottmann & Schmidt (2010),
"Forecasting the population of census tracts by age and sex: an example of the Hamilton–Perry
method in action", *Population Research and Policy Review* 29(1).

Bands have the width ``k`` of the base interval (two stocks ``t − k`` and ``t``), start at 0
and end in an open band ``A+`` (``age_to`` = 100 in regiowerk's tables). For every region and
sex, with ``P_x`` the band starting at age ``x``:

* cohort-change ratio ``CCR_x = P_{x+k}(t) / P_x(t − k)`` for ``x = 0, k, …, A − 2k``, and
  ``P_{x+k}(t + k) = CCR_x · P_x(t)``;
* open band: ``CCR_A = P_{A+}(t) / (P_{A−k}(t − k) + P_{A+}(t − k))`` and
  ``P_{A+}(t + k) = CCR_A · (P_{A−k}(t) + P_{A+}(t))``;
* youngest band by the child–woman ratio per sex ``CWR = P_0(t) / W(t)`` with ``W`` the women
  aged 15–49: ``P_0(t + k) = CWR · W(t + k)``.

Further steps repeat the same ratios. A ratio with a zero denominator is set to 1 (nobody to
age forward, so its value does not matter except when the numerator is 0 as well). The
projection runs on arrays ``region × sex × band`` for all regions at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regiowerk.demography.naive import ProjectionInputError, safe_ratio
from regiowerk.schema import MAX_AGE, SEXES

CHILDBEARING = (15, 49)
"""Ages of the women in the child–woman ratio (inclusive)."""


@dataclass(frozen=True)
class HamiltonPerry:
    """Hamilton–Perry model fitted on two stocks (see the module docstring).

    ``regions``: region keys; ``ages``: lower bounds of the bands (0, k, …, A); ``year``: the
    later base year ``t``; ``ccr``: cohort-change ratios ``region × sex × band`` (index ``j``
    holds the ratio that moves band ``j − 1`` into band ``j``, index 0 is unused, the last one
    is ``CCR_A``);
    ``cwr``: child–woman ratios ``region × sex``; ``population``: stock of year ``t``.
    """

    regions: pd.Index
    ages: np.ndarray
    year: int
    ccr: np.ndarray
    cwr: np.ndarray
    population: np.ndarray

    @property
    def step(self) -> int:
        """Band width and projection step ``k`` in years."""
        return int(self.ages[1] - self.ages[0])

    @classmethod
    def from_arrays(
        cls,
        earlier: np.ndarray,
        later: np.ndarray,
        *,
        ages: np.ndarray,
        year: int,
        regions: pd.Index,
    ) -> HamiltonPerry:
        """Fit from stocks ``region × sex × band`` (sex order ``m``, ``f``) ``k`` years apart."""
        earlier, later = np.asarray(earlier, dtype=float), np.asarray(later, dtype=float)
        ages = np.asarray(ages, dtype=int)
        _check_ages(ages)
        if earlier.shape != later.shape or earlier.shape[1:] != (len(SEXES), len(ages)):
            raise ProjectionInputError(
                f"Bestände passen nicht zusammen: {earlier.shape} und {later.shape}, erwartet "
                f"(Regionen, {len(SEXES)}, {len(ages)})."
            )
        if (earlier < 0).any() or (later < 0).any() or np.isnan(earlier + later).any():
            raise ProjectionInputError("Bestände müssen vorhanden und nicht negativ sein.")
        ccr = np.ones_like(later)
        ccr[..., 1:-1] = safe_ratio(later[..., 1:-1], earlier[..., :-2])
        ccr[..., -1] = safe_ratio(later[..., -1], earlier[..., -2] + earlier[..., -1])
        women = _women(later, ages)
        cwr = safe_ratio(later[..., 0], np.repeat(women[:, None], len(SEXES), axis=1))
        return cls(pd.Index(regions, name="region"), ages, int(year), ccr, cwr, later)

    @classmethod
    def from_bands(cls, frame: pd.DataFrame, *, years: tuple[int, int]) -> HamiltonPerry:
        """Fit from a ``population_bands``-like frame (``region, year, sex, age_from, age_to,
        persons``) for the base years ``(t − k, t)``; every region needs every band."""
        earlier_year, later_year = years
        bands = frame[frame["year"] == later_year][["age_from", "age_to"]].drop_duplicates()
        bands = bands.sort_values("age_from")
        if bands.empty or int(bands["age_to"].iloc[-1]) != MAX_AGE:
            raise ProjectionInputError(
                f"Offene letzte Altersgruppe (bis {MAX_AGE}) fehlt im Jahr {later_year}."
            )
        ages = bands["age_from"].to_numpy(dtype=int)
        if later_year - earlier_year != ages[1] - ages[0]:
            raise ProjectionInputError(
                f"Abstand der Basisjahre ({later_year - earlier_year}) muss der Breite der "
                f"Altersgruppen ({ages[1] - ages[0]}) entsprechen."
            )
        regions = pd.Index(sorted(frame["region"].unique()), name="region")
        full = pd.MultiIndex.from_product(
            [[earlier_year, later_year], regions, list(SEXES), ages],
            names=["year", "region", "sex", "age_from"],
        )
        values = frame.set_index(["year", "region", "sex", "age_from"])["persons"]
        values = values.reindex(full)
        if values.isna().any():
            year, region, sex, age = values.index[values.isna().to_numpy()][0]
            raise ProjectionInputError(
                f"Lücke in den Altersgruppen: Region {region}, Jahr {year}, Geschlecht {sex}, "
                f"Alter ab {age} fehlt (Spalte persons)."
            )
        cube = values.to_numpy(dtype=float).reshape(2, len(regions), len(SEXES), len(ages))
        return cls.from_arrays(cube[0], cube[1], ages=ages, year=later_year, regions=regions)

    def project_arrays(self, steps: int) -> np.ndarray:
        """Stocks ``step × region × sex × band`` for ``t + k, …, t + steps·k``."""
        current = self.population
        out = np.empty((steps, *current.shape))
        for i in range(steps):
            nxt = np.empty_like(current)
            nxt[..., 1:-1] = self.ccr[..., 1:-1] * current[..., :-2]
            nxt[..., -1] = self.ccr[..., -1] * (current[..., -2] + current[..., -1])
            women = _women(nxt, self.ages)
            nxt[..., 0] = self.cwr * women[:, None]
            out[i] = current = nxt
        return out

    def project(self, steps: int) -> pd.DataFrame:
        """Long table ``region, year, sex, age_from, age_to, persons`` for ``steps`` steps."""
        if steps < 1:
            raise ProjectionInputError(f"Anzahl der Schritte muss ≥ 1 sein, erhalten: {steps}.")
        cube = self.project_arrays(steps)
        years = self.year + self.step * np.arange(1, steps + 1)
        index = pd.MultiIndex.from_product(
            [years, self.regions, list(SEXES), self.ages],
            names=["year", "region", "sex", "age_from"],
        )
        table = pd.DataFrame({"persons": cube.ravel()}, index=index).reset_index()
        upper = np.append(self.ages[1:] - 1, MAX_AGE)
        table.insert(4, "age_to", upper[np.searchsorted(self.ages, table["age_from"])])
        return table[["region", "year", "sex", "age_from", "age_to", "persons"]]


def _check_ages(ages: np.ndarray) -> None:
    """Bands must start at 0 and have one width (the projection step)."""
    widths = np.diff(ages)
    if len(ages) < 3 or ages[0] != 0 or (widths != widths[0]).any() or widths[0] < 1:
        raise ProjectionInputError(
            f"Altersgruppen müssen bei 0 beginnen und gleich breit sein, erhalten: {list(ages)}."
        )


def _women(stock: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """Women in the bands starting at ages 15 … 49 per region (exactly 15–49 for 5-year
    bands; for other widths the bands nearest to it, e.g. 15–50 for 3-year bands)."""
    low, high = CHILDBEARING
    inside = (ages >= low) & (ages <= high)
    return np.asarray(stock[:, SEXES.index("f"), inside].sum(axis=-1))
