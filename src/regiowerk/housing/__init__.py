"""Households and housing demand by dwelling size, chained to the population projection.

Modules: :mod:`~regiowerk.housing.parameters` (parameters and defaults held as data),
:mod:`~regiowerk.housing.households` (headship rates), :mod:`~regiowerk.housing.occupancy`
(households → room classes), :mod:`~regiowerk.housing.demand` (exact decomposition),
:mod:`~regiowerk.housing.run` (the chain on a workspace) and
:mod:`~regiowerk.housing.stockflow` (stock-flow identity, loss rates, backtest on real data).
"""

from regiowerk.housing.parameters import HousingParameters, housing_defaults, load_parameters
from regiowerk.housing.run import HousingResult, run_housing, save_housing

__all__ = [
    "HousingParameters",
    "HousingResult",
    "housing_defaults",
    "load_parameters",
    "run_housing",
    "save_housing",
]
