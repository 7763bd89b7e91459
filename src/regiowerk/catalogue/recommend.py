"""Recommendations: measures whose trigger indicators the region's diagnosis meets.

A trigger is **met** when ``value >= threshold`` (direction ``above``) or ``value <=
threshold`` (``below``).

Facts, not indicators, are counted
    Indicators that state the same fact (``out_commuter_share`` and its complement
    ``self_containment``, :data:`~regiowerk.catalogue.diagnosis.FACTS`) count once: the
    schema rejects a measure with two triggers on one fact, and the ranking groups a measure's
    triggers by fact anyway (a fact is met when any of its triggers is met).

Strength of a met trigger (bounded, absolute in the indicator's unit)::

    d = value − threshold (above)      d = threshold − value (below)
    strength = d / (d + c)             c = SCALES[indicator], a "clear distance"

so strength is 0 at the threshold, ½ at one clear distance beyond it (5 percentage points of
the share 65+, 5 minutes, 10 % employment change …) and stays below 1. The distance is not
taken relative to the threshold, so a threshold near 0 (employment change 2–3 %) does not
inflate it. A fact's strength is the largest strength of its met triggers.

Score and ranking (lexicographic)::

    score = n + (Σ strength of the met facts) / n        n = number of met facts

The integer part is the number of met facts, the fraction their mean strength (< 1), so a
measure with more met facts always ranks above one with fewer, however extreme the single
value; among equal counts the clearer case ranks first. Ties: the share of the measure's facts
that are met, descending, then the code.

A measure is **recommended** when at least one trigger is met; triggers on absent indicators
are listed with it as not checked. A measure with no met trigger but at least one trigger on an
absent indicator is **nicht prüfbar** (listed separately with the missing indicators); the
rest are not indicated by the diagnosis.

Each met trigger becomes a German sentence in the region's figures for the evidence sheet
("Argumentationshilfe"): ``Anteil 65+: 27,4 % (Schwelle 27 %) – <reason>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regiowerk.catalogue.diagnosis import INDICATORS, SCALES, Diagnosis, fact_of, format_value
from regiowerk.catalogue.schema import Measure, Project, Trigger
from regiowerk.catalogue.store import Catalogue
from regiowerk.formatting import fmt_float

DEFAULT_SCALE = 1.0
"""Clear distance for an indicator without an entry in ``SCALES`` (in its own unit)."""


@dataclass(frozen=True)
class Check:
    """A trigger against the diagnosis: met or not, or not checkable (value None)."""

    trigger: Trigger
    value: float | None

    @property
    def checkable(self) -> bool:
        return self.value is not None

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        if self.trigger.direction == "above":
            return self.value >= self.trigger.threshold
        return self.value <= self.trigger.threshold

    @property
    def distance(self) -> float:
        """How far beyond the threshold, in the indicator's unit (0 when not met)."""
        if not self.met or self.value is None:
            return 0.0
        sign = 1.0 if self.trigger.direction == "above" else -1.0
        return sign * (self.value - self.trigger.threshold)

    @property
    def strength(self) -> float:
        """``d / (d + c)`` in [0, 1) (see the module docstring); 0 when not met."""
        distance = self.distance
        scale = SCALES.get(self.trigger.indicator, DEFAULT_SCALE)
        return distance / (distance + scale) if distance > 0 else 0.0

    @property
    def fact(self) -> str:
        return fact_of(self.trigger.indicator)

    @property
    def label(self) -> str:
        return indicator_label(self.trigger.indicator)

    def sentence(self) -> str:
        """``Anteil 65+: 27,4 % (Schwelle 27 %) – <reason>``."""
        kind = _kind(self.trigger)
        value = format_value(kind, self.value) if self.value is not None else "–"
        threshold = format_threshold(kind, self.trigger.threshold)
        below = ", unterschritten" if self.trigger.direction == "below" else ""
        return f"{self.label}: {value} (Schwelle {threshold}{below}) – {self.trigger.reason}"


@dataclass(frozen=True)
class Recommendation:
    """A measure with its checks, score and related reference projects."""

    measure: Measure
    checks: list[Check]
    projects: list[Project] = field(default_factory=list)

    @property
    def met(self) -> list[Check]:
        return [c for c in self.checks if c.met]

    @property
    def unchecked(self) -> list[Check]:
        return [c for c in self.checks if not c.checkable]

    @property
    def facts(self) -> int:
        """Number of distinct facts the measure's triggers refer to."""
        return len({c.fact for c in self.checks})

    @property
    def met_facts(self) -> dict[str, float]:
        """Met fact → its strength (the largest of its met triggers)."""
        result: dict[str, float] = {}
        for check in self.met:
            result[check.fact] = max(result.get(check.fact, 0.0), check.strength)
        return result

    @property
    def score(self) -> float:
        """Met facts plus their mean strength (see the module docstring)."""
        met = self.met_facts
        return len(met) + sum(met.values()) / len(met) if met else 0.0

    @property
    def reasons(self) -> list[str]:
        return [c.sentence() for c in self.met]

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.measure.code,
            "title": self.measure.title,
            "field": self.measure.field,
            "score": round(self.score, 4),
            "met": len(self.met_facts),
            "triggers": self.facts,
            "reasons": self.reasons,
            "not_checked": sorted({c.trigger.indicator for c in self.unchecked}),
            "projects": [{"id": p.id, "title": p.title} for p in self.projects],
        }


@dataclass
class Recommendations:
    """Ranked recommendations, the measures that cannot be checked, and the diagnosis."""

    diagnosis: Diagnosis
    recommended: list[Recommendation]
    not_checkable: list[Recommendation]
    not_indicated: int = 0

    def as_dict(self, limit: int | None = None) -> dict[str, object]:
        return {
            "diagnosis": self.diagnosis.as_dict(),
            "recommended": [r.as_dict() for r in self.recommended[:limit]],
            "not_checkable": [
                {
                    "code": r.measure.code,
                    "title": r.measure.title,
                    "missing": sorted({c.trigger.indicator for c in r.unchecked}),
                }
                for r in self.not_checkable
            ],
            "not_indicated": self.not_indicated,
        }


def indicator_label(key: str) -> str:
    return INDICATORS[key][0] if key in INDICATORS else key


def _kind(trigger: Trigger) -> str:
    if trigger.indicator in INDICATORS:
        return INDICATORS[trigger.indicator][1]
    return {"Anteil": "share", "%": "percent", "je 1.000 EW": "per_1000"}.get(
        trigger.unit, "minutes" if trigger.unit.startswith("Min") else ""
    )


def format_threshold(kind: str, threshold: float) -> str:
    """A threshold without needless decimals: ``0.27`` → ``27 %``, ``0.6`` → ``0,6 …``."""
    shown = threshold * 100 if kind == "share" else threshold
    digits = next((d for d in (0, 1) if abs(shown * 10**d - round(shown * 10**d)) < 1e-9), 2)
    if kind == "share":
        return f"{fmt_float(shown, digits)}\u202f%"
    return format_value(kind, threshold, digits)


def recommend(diagnosis: Diagnosis, catalogue: Catalogue) -> Recommendations:
    """Rank the catalogue's measures against ``diagnosis`` (see the module docstring)."""
    projects: dict[str, list[Project]] = {}
    for project in catalogue.projects.values():
        for code in project.measures:
            projects.setdefault(code, []).append(project)
    recommended: list[Recommendation] = []
    not_checkable: list[Recommendation] = []
    not_indicated = 0
    for code, measure in catalogue.measures.items():
        checks = [Check(t, diagnosis.value(t.indicator)) for t in measure.triggers]
        item = Recommendation(measure, checks, projects.get(code, []))
        if item.met:
            recommended.append(item)
        elif item.unchecked:
            not_checkable.append(item)
        else:
            not_indicated += 1
    recommended.sort(
        key=lambda r: (
            -len(r.met_facts),
            -round(r.score, 9),
            -len(r.met_facts) / r.facts,
            r.measure.code,
        )
    )
    not_checkable.sort(key=lambda r: r.measure.code)
    return Recommendations(diagnosis, recommended, not_checkable, not_indicated)
