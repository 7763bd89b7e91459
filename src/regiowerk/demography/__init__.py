"""Population projection for every municipality (issue 4).

The cohort-component core: :class:`CohortComponentModel` (vectorised over all regions), rates
from workspace tables with local scaling and Rogers–Castro migration schedules
(:mod:`regiowerk.demography.rates`), and monotone splitting of age bands into single years
(:mod:`regiowerk.demography.agesplit`).
"""

from regiowerk.demography.agesplit import AgeSplitError, split_bands, split_frame
from regiowerk.demography.ccm import CohortComponentModel, ProjectionError, ProjectionResult
from regiowerk.demography.rates import (
    DemographicRates,
    RateError,
    cohort_survival,
    estimate_rates,
    fit_rogers_castro,
    national_defaults,
    rogers_castro,
    shrink_ratios,
)

__all__ = [
    "AgeSplitError",
    "CohortComponentModel",
    "DemographicRates",
    "ProjectionError",
    "ProjectionResult",
    "RateError",
    "cohort_survival",
    "estimate_rates",
    "fit_rogers_castro",
    "national_defaults",
    "rogers_castro",
    "shrink_ratios",
    "split_bands",
    "split_frame",
]
