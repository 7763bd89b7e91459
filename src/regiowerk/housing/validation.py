"""Validation of the household step against observed households by size.

Two checks on regions with observed households by size ``H^obs_{i,k}`` and population by age
band and sex (for the defaults: Zensus 2011 households of the 401 Kreise and the Kreis
population of 31.12.2011):

1. **Calibration** (:func:`group_factors`): one factor per size class and group of regions
   (a Land, or Germany), ``c_{g,k} = Σ_{i∈g} H^obs_{i,k} / Σ_{i∈g} Ĥ_{i,k}`` with ``Ĥ`` the
   prior profile; per region (:func:`regiowerk.housing.households.calibrate`) the base year is
   reproduced exactly by construction.
2. **Out-of-sample prediction** (:func:`cross_validate`): the regions are split into ``folds``
   groups; factors fitted on the other groups predict each region's households by size from its
   own age structure. The benchmark is the naive estimate that ignores age structure: the
   training regions' households of size ``k`` per inhabitant aged 15 and over, times the
   region's inhabitants aged 15 and over. With ``groups`` (the Land of each Kreis) a third
   estimate uses factors fitted on the training regions of the same group only (the fallback
   regiowerk uses without observed households; groups without training regions take the
   overall factors). Errors are absolute percentage errors ``|F − A| / A · 100`` per region and
   size class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.housing.households import uncalibrated
from regiowerk.housing.parameters import HOUSEHOLD_SIZES, HousingDefaults

Array = NDArray[np.float64]


def group_factors(
    population: Array, observed: Array, groups: NDArray[np.str_], defaults: HousingDefaults
) -> dict[str, Array]:
    """Calibration factors per group and for all regions (``"DG"``).

    ``population`` is ``(R, bands, 2)``, ``observed`` ``(R, 5)``, ``groups`` ``(R,)``.
    """
    prior = uncalibrated(population[None], defaults)[0].sum(axis=-1)
    out = {"DG": observed.sum(axis=0) / prior.sum(axis=0)}
    for group in sorted(set(groups.tolist())):
        rows = groups == group
        out[str(group)] = observed[rows].sum(axis=0) / prior[rows].sum(axis=0)
    return out


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-sample errors of the age model and of the naive benchmark."""

    errors: pd.DataFrame
    """One row per region and size class (``size`` 1 … 5, ``0`` = all households): columns
    ``region, size, observed, model, group, naive`` and the ``ape_…`` of each estimate."""

    def summary(self) -> pd.DataFrame:
        """Mean absolute percentage error per size class (``0`` = total) of each estimate."""
        return self.errors.groupby("size")[["ape_model", "ape_group", "ape_naive"]].mean()


def cross_validate(
    population: Array,
    observed: Array,
    regions: list[str],
    defaults: HousingDefaults,
    *,
    groups: NDArray[np.str_] | None = None,
    folds: int = 5,
    seed: int = 11,
) -> CrossValidation:
    """``folds``-fold cross-validation of the household step (see the module docstring)."""
    prior = uncalibrated(population[None], defaults)[0].sum(axis=-1)
    adults = population.sum(axis=(1, 2))
    fold = np.random.default_rng(seed).permutation(len(regions)) % folds
    groups = np.zeros(len(regions), dtype=str) if groups is None else groups
    model = np.empty(observed.shape)
    grouped = np.empty(observed.shape)
    naive = np.empty(observed.shape)
    for k in range(folds):
        test, train = fold == k, fold != k
        overall = observed[train].sum(axis=0) / prior[train].sum(axis=0)
        model[test] = prior[test] * overall
        naive[test] = adults[test, None] * (observed[train].sum(axis=0) / adults[train].sum())
        for group in set(groups[test].tolist()):
            rows, fit = test & (groups == group), train & (groups == group)
            factor = observed[fit].sum(axis=0) / prior[fit].sum(axis=0) if fit.any() else overall
            grouped[rows] = prior[rows] * factor
    frames = []
    for size in (0, *HOUSEHOLD_SIZES):
        if size == 0:
            obs, mod, grp, nai = (a.sum(axis=1) for a in (observed, model, grouped, naive))
        else:
            obs, mod, grp, nai = (a[:, size - 1] for a in (observed, model, grouped, naive))
        frames.append(
            pd.DataFrame(
                {
                    "region": regions,
                    "size": size,
                    "observed": obs,
                    "model": mod,
                    "group": grp,
                    "naive": nai,
                    "ape_model": np.abs(mod - obs) / obs * 100,
                    "ape_group": np.abs(grp - obs) / obs * 100,
                    "ape_naive": np.abs(nai - obs) / obs * 100,
                }
            )
        )
    return CrossValidation(pd.concat(frames, ignore_index=True))
