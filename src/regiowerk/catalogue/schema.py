"""The catalogue's records: measures, reference projects and actors (pydantic models).

A **measure** carries the fields of a toolbox entry such as "W 007 Regionales Bündnis für
Wohnen" (code, title, short description, preparation and implementation steps, expected
effects, strategies, target groups, spatial level, project type, field of action, possible
sponsors and partners, related measures) plus the **triggers**: indicators of the region's
diagnosis that signal a need for the measure, each with a threshold and a direction. A
**project** is a reference project (title, regions and AGS, lead, partners, period, funding
programme and code, volume, goals, results, measures applied, sources). Records are stored as
YAML; unknown fields, wrong types and values outside the vocabularies below are rejected with
the file and field named (see :mod:`regiowerk.catalogue.store`). So are a trigger on an
indicator that the diagnosis does not know (:data:`~regiowerk.catalogue.diagnosis.INDICATORS`),
two triggers of one measure on the same fact (e.g. ``out_commuter_share`` and its complement
``self_containment``, :data:`~regiowerk.catalogue.diagnosis.FACTS`) and a project that ends
before it starts.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from regiowerk.catalogue.diagnosis import INDICATORS, fact_of

FIELDS = {
    "wohnen": "Wohnen",
    "gesundheit": "Gesundheit und Pflege",
    "bildung": "Bildung und Kinderbetreuung",
    "nahversorgung": "Nahversorgung",
    "mobilitaet": "Mobilität",
    "wirtschaft": "Wirtschaft und Fachkräfte",
    "kooperation": "Kooperation und Governance",
    "digital": "Digitale Dienste",
}
"""Fields of action (Handlungsfelder): key → German label."""
SPATIAL_LEVELS = ("kommunal", "interkommunal", "überkommunal", "regional", "länderübergreifend")
PROJECT_TYPES = (
    "analytisch",
    "konzeptionell",
    "organisatorisch",
    "vernetzend",
    "investiv",
    "kommunikativ",
)
CODE_PATTERN = r"^[A-Z]{1,3} [0-9]{3}$"
"""Measure codes like ``W 007`` (field letter(s), space, three digits)."""


class Record(BaseModel):
    """Common configuration: no unknown fields, no silent type coercion of numbers."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Trigger(Record):
    """An indicator of the diagnosis that signals a need: ``value >= threshold`` for
    ``direction: above``, ``value <= threshold`` for ``below``."""

    indicator: str = Field(min_length=1)
    """Indicator key, e.g. ``share_65plus``, ``small_dwelling_gap``, ``gp_minutes``."""
    direction: Literal["above", "below"]
    threshold: float
    unit: str = ""
    reason: str = Field(min_length=1)
    """Why the indicator signals a need (German sentence, shown in the evidence sheet)."""

    @field_validator("indicator")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in INDICATORS:
            raise ValueError(
                f"unbekannte Kennzahl {value!r}; bekannt sind: {', '.join(INDICATORS)}"
            )
        return value


class Measure(Record):
    """A measure of the toolbox (see the module docstring)."""

    code: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=3)
    summary: str = Field(min_length=20)
    preparation: list[str] = Field(default_factory=list)
    implementation: list[str] = Field(min_length=1)
    effects: str = Field(min_length=10)
    strategies: list[str] = Field(default_factory=list)
    target_groups: list[str] = Field(min_length=1)
    spatial_levels: list[Literal[SPATIAL_LEVELS]] = Field(min_length=1)  # type: ignore[valid-type]
    project_types: list[Literal[PROJECT_TYPES]] = Field(min_length=1)  # type: ignore[valid-type]
    field: Literal[tuple(FIELDS)]  # type: ignore[valid-type]
    sponsors: list[str] = Field(default_factory=list)
    partners: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @field_validator("related")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if not re.match(CODE_PATTERN, code)]
        if bad:
            raise ValueError(f"keine Maßnahmen-Codes: {', '.join(bad)}")
        return value

    @field_validator("triggers")
    @classmethod
    def _one_trigger_per_fact(cls, value: list[Trigger]) -> list[Trigger]:
        seen: dict[str, str] = {}
        for trigger in value:
            fact = fact_of(trigger.indicator)
            if fact in seen:
                first = seen[fact]
                same = (
                    f"zweimal {first!r}"
                    if first == trigger.indicator
                    else f"{first!r} und {trigger.indicator!r} (dieselbe Tatsache: "
                    "die eine Kennzahl ergänzt die andere zu 100 %)"
                )
                raise ValueError(f"Auslöser doppelt: {same}; nur einen davon angeben")
            seen[fact] = trigger.indicator
        return value


class Actor(Record):
    """An organisation taking part in a project."""

    name: str = Field(min_length=2)
    role: Literal["Träger", "Partner", "Förderer", "Begleitung"] = "Partner"


class Project(Record):
    """A reference project (see the module docstring)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,60}$")
    title: str = Field(min_length=3)
    regions: list[str] = Field(min_length=1)
    ags: list[str] = Field(default_factory=list)
    lead: str | None = None
    partners: list[Actor] = Field(default_factory=list)
    start: int | None = Field(default=None, ge=1990, le=2100)
    end: int | None = Field(default=None, ge=1990, le=2100)
    programme: str | None = None
    funding_code: str | None = None
    volume_eur: float | None = Field(default=None, ge=0)
    goals: list[str] = Field(default_factory=list)
    results: list[str] = Field(default_factory=list)
    measures: list[str] = Field(default_factory=list)
    fields: list[Literal[tuple(FIELDS)]] = Field(default_factory=list)  # type: ignore[valid-type]
    sources: list[str] = Field(min_length=1)

    @field_validator("ags")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        bad = [key for key in value if not re.fullmatch(r"[0-9]{2}|[0-9]{5}|[0-9]{8}", key)]
        if bad:
            raise ValueError(f"keine Gebietsschlüssel (2, 5 oder 8 Ziffern): {', '.join(bad)}")
        return value

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, value: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start")
        if value is not None and start is not None and value < start:
            raise ValueError(f"Ende {value} liegt vor dem Beginn {start} (Feld start)")
        return value
