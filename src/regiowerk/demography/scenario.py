"""Projection scenarios as validated YAML, including the settlement of a large employer.

A scenario file names the assumptions of one projection run::

    name: Batteriefabrik Heide
    horizon: 2045
    migration: {kind: trend}          # trend | zero | high | low | custom
    fertility_factor: 1.0             # multiplies the age-specific fertility rates
    employers:
      - name: Batteriezellfabrik
        site: "01051069"
        jobs: {2026: 500, 2027: 1500, 2028: 3000}   # jobs on site, by year (ramp-up)
        share_in_movers: 0.45         # jobs filled by people moving into the region …
        share_commuters: 0.30         # … by commuters from outside (no change of residence)
        share_locals: 0.25            # … by people already living in the region
        share_multilocal: 0.20        # in-movers keeping their main home elsewhere
        …

Unknown keys, shares outside [0, 1], shares that do not add up, negative jobs and malformed
keys are rejected with a message naming the file and the field (pydantic validation).

**Employer settlement** (:func:`settlement_movers`). New in-movers in year ``t`` follow the
ramp-up of jobs: ``M_t = max(J_t − J_{t−1}, 0) · s_in``. A share ``s_ml`` of them are
multilocal "Incomings" whose main residence stays elsewhere (they need a dwelling, issue 5, but
do not enter the population); the others bring ``k_p`` partners and ``k_c`` children per mover.
Persons are spread over municipalities ``j`` by a capacity-weighted gravity model
(Wilson 1971, production-constrained):

    w_j = C_j · exp(−β · d_j) · [d_j ≤ d_max],     share_j = w_j / Σ_k w_k

with ``d_j`` the distance (or travel time) from the site to municipality ``j`` and ``C_j`` its
housing capacity (e.g. vacant plus planned dwellings; equal weights when not given). Ages:
movers and partners follow a normal distribution truncated to 18–64 (mean and standard
deviation given), children are spread evenly over 0–17; sexes by the given share of men
among movers, partners of the other sex, children half and half.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from regiowerk.ags import parse_ags
from regiowerk.demography.rates import AGES
from regiowerk.errors import AgsError, RegiowerkError, validation_lines

MIGRATION_PRESETS: dict[str, tuple[float, float]] = {
    "trend": (1.0, 1.0),
    "zero": (0.0, 0.0),
    "high": (1.2, 1.0),
    "low": (0.8, 1.0),
}
"""Factors on (in-migration, out-migration) of the trend rates per preset. "high"/"low" vary
in-migration by ±20 %, the range of the Destatis variants W1–W3 relative to their mean."""


class ScenarioError(RegiowerkError):
    """A scenario file that cannot be used (message names file and field)."""


class Migration(BaseModel):
    """Migration assumption: a preset or custom factors on trend in- and out-migration."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["trend", "zero", "high", "low", "custom"] = "trend"
    in_factor: float | None = Field(default=None, ge=0.0)
    out_factor: float | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _custom_needs_factors(self) -> Migration:
        if self.kind == "custom" and (self.in_factor is None or self.out_factor is None):
            raise ValueError("kind 'custom' braucht in_factor und out_factor")
        if self.kind != "custom" and (self.in_factor is not None or self.out_factor is not None):
            raise ValueError("in_factor/out_factor nur mit kind 'custom'")
        return self

    @property
    def factors(self) -> tuple[float, float]:
        """(in-migration factor, out-migration factor) on the trend rates."""
        if self.kind == "custom":
            return float(self.in_factor or 0.0), float(self.out_factor or 0.0)
        return MIGRATION_PRESETS[self.kind]


class Employer(BaseModel):
    """A large employer settling in the region (see the module docstring for the model)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    site: str
    jobs: dict[int, int]
    share_in_movers: float = Field(ge=0.0, le=1.0)
    share_commuters: float = Field(ge=0.0, le=1.0)
    share_locals: float = Field(ge=0.0, le=1.0)
    share_multilocal: float = Field(default=0.0, ge=0.0, le=1.0)
    partners_per_mover: float = Field(default=0.5, ge=0.0, le=1.0)
    children_per_mover: float = Field(default=0.4, ge=0.0, le=5.0)
    mover_age_mean: float = Field(default=33.0, ge=18.0, le=64.0)
    mover_age_sd: float = Field(default=8.0, gt=0.0, le=30.0)
    share_men: float = Field(default=0.6, ge=0.0, le=1.0)
    beta_per_km: float = Field(default=0.08, ge=0.0)
    max_distance_km: float = Field(default=40.0, gt=0.0)
    sources: list[str] = Field(default_factory=list)

    @field_validator("site")
    @classmethod
    def _site_is_an_ags(cls, value: str) -> str:
        try:
            return parse_ags(value, pad=False)
        except AgsError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("jobs")
    @classmethod
    def _jobs_not_negative(cls, value: dict[int, int]) -> dict[int, int]:
        if not value:
            raise ValueError("mindestens ein Jahr mit Arbeitsplätzen angeben")
        if any(jobs < 0 for jobs in value.values()):
            raise ValueError("Arbeitsplätze dürfen nicht negativ sein")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _shares_add_up(self) -> Employer:
        total = self.share_in_movers + self.share_commuters + self.share_locals
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"share_in_movers + share_commuters + share_locals = {total:.3f}, nicht 1"
            )
        return self


class Scenario(BaseModel):
    """One projection scenario."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    horizon: int = Field(ge=2000, le=2100)
    migration: Migration = Field(default_factory=Migration)
    fertility_factor: float = Field(default=1.0, ge=0.0, le=3.0)
    mortality_factor: float = Field(default=1.0, ge=0.0, le=3.0)
    employers: list[Employer] = Field(default_factory=list)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario YAML file; errors name the file and the field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"Szenario {path}: nicht lesbar ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"Szenario {path}: kein gültiges YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"Szenario {path}: erwartet wird eine Zuordnung von Feldern.")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = validation_lines(exc.errors())
        raise ScenarioError(f"Szenario {path} ist ungültig:\n" + "\n".join(lines)) from None


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios shipped with regiowerk, by file stem (``trend``, ``ohne_wanderung`` …)."""
    folder = resources.files("regiowerk.demography") / "scenarios"
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


def check_sites(scenario: Scenario, known: pd.Series) -> None:
    """Refuse employers whose site is not among the workspace's municipalities ``known``."""
    missing = [e.site for e in scenario.employers if e.site not in set(known)]
    if missing:
        raise ScenarioError(
            f"Szenario {scenario.name!r}: Standort(e) {', '.join(missing)} gehören nicht zu den "
            f"Gemeinden des Arbeitsbereichs (Feld employers.site)."
        )


def _age_weights(mean: float, sd: float) -> np.ndarray:
    ages = np.arange(18, 65)
    weights = np.exp(-0.5 * ((ages - mean) / sd) ** 2)
    full = np.zeros(AGES.size)
    full[18:65] = weights / weights.sum()
    return full


def settlement_movers(
    employer: Employer,
    distances_km: pd.Series,
    *,
    capacity: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Additional residents and multilocal persons caused by ``employer``.

    ``distances_km`` maps every municipality (AGS index) to its distance (or travel time, then
    ``beta_per_km`` is per minute) from the site. Returns ``(movers, multilocal)``:
    ``movers`` with ``ags, year, sex, age, persons`` (main residents to add to in-migration),
    ``multilocal`` with ``ags, year, persons`` (secondary residences). Both sum exactly to the
    numbers of the model in the module docstring.
    """
    if employer.site not in distances_km.index:
        raise ScenarioError(f"Standort {employer.site} fehlt in der Entfernungstabelle.")
    weight = np.exp(-employer.beta_per_km * distances_km.to_numpy(dtype=float))
    weight[distances_km.to_numpy(dtype=float) > employer.max_distance_km] = 0.0
    if capacity is not None:
        weight *= capacity.reindex(distances_km.index).fillna(0.0).to_numpy(dtype=float)
    if weight.sum() <= 0:
        raise ScenarioError(
            f"{employer.name}: keine Gemeinde im Umkreis von {employer.max_distance_km} km mit "
            f"Wohnraumkapazität."
        )
    share = pd.Series(weight / weight.sum(), index=distances_km.index)
    years = sorted(employer.jobs)
    previous = 0
    movers_rows: list[pd.DataFrame] = []
    multilocal_rows: list[pd.DataFrame] = []
    adults = _age_weights(employer.mover_age_mean, employer.mover_age_sd)
    children = np.zeros(AGES.size)
    children[:18] = 1 / 18
    for year in years:
        new_jobs = max(employer.jobs[year] - previous, 0)
        previous = employer.jobs[year]
        movers = new_jobs * employer.share_in_movers
        multilocal = movers * employer.share_multilocal
        settled = movers - multilocal
        profile = {
            "m": settled * employer.share_men * adults
            + settled * employer.partners_per_mover * (1 - employer.share_men) * adults
            + settled * employer.children_per_mover * 0.5 * children,
            "f": settled * (1 - employer.share_men) * adults
            + settled * employer.partners_per_mover * employer.share_men * adults
            + settled * employer.children_per_mover * 0.5 * children,
        }
        for sex, by_age in profile.items():
            grid = np.outer(share.to_numpy(), by_age)
            long = pd.DataFrame(
                {
                    "ags": np.repeat(share.index.to_numpy(), AGES.size),
                    "age": np.tile(AGES, len(share)),
                    "persons": grid.ravel(),
                }
            )
            movers_rows.append(long.assign(year=year, sex=sex))
        multilocal_rows.append(
            pd.DataFrame({"ags": share.index, "year": year, "persons": multilocal * share})
        )
    movers_frame = pd.concat(movers_rows, ignore_index=True)
    movers_frame = movers_frame[movers_frame["persons"] > 0]
    movers_frame = movers_frame[["ags", "year", "sex", "age", "persons"]].reset_index(drop=True)
    multilocal_frame = pd.concat(multilocal_rows, ignore_index=True)
    return movers_frame, multilocal_frame[multilocal_frame["persons"] > 0].reset_index(drop=True)
