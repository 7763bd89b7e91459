"""The region's diagnosis: the indicators that the measures' triggers refer to.

:func:`diagnose` computes each indicator for the whole region (and per Kreis where the table
is at municipality level) from the workspace's tables. An indicator whose table is missing, or
whose table cannot give it, is **absent** (listed in :attr:`Diagnosis.missing` with a German
reason), never 0.

Indicators (key: computation; table)
    ``share_65plus``, ``share_80plus``
        Persons aged 65+ (80+) / all persons, latest year of ``population``.
    ``population_change_pct``
        Trend scenario of ``projection``: total at the horizon / total at the base year − 1,
        in %. The trend scenario is the one named ``Trend`` (any case), else the first (by name)
        without in-movers of employers, else the first.
    ``in_movers_per_1000``
        Employer scenario (``household_projection.in_movers`` > 0, first by name): in-mover
        households at the horizon per 1,000 inhabitants. Absent when there is no such scenario.
    ``small_dwelling_gap``
        Trend scenario of ``housing_demand``: positive ``gap`` of size class ``1-2`` in the
        horizon year, summed over municipalities (a surplus elsewhere does not offset it), per
        1,000 inhabitants.
    ``housing_new_construction_per_1000``
        Trend scenario of ``housing_demand``: positive part of ``total`` per municipality, size
        class and year, summed over all years, per 1,000 inhabitants.
    ``vacancy_rate``
        1 − occupied / dwellings over the rows of ``dwellings`` (latest year) that report
        occupied dwellings.
    ``gp_minutes``, ``school_minutes``, ``supermarket_minutes``
        Population-weighted mean car time to a GP, a primary school, a supermarket
        (``access_summary``, else ``access``).
    ``gp_supply_per_1000``
        Population-weighted E2SFCA ratio of GPs (full-time equivalents per 1,000 inhabitants).
    ``hospital_share_within_standard``
        Share of inhabitants within the G-BA limit for a basic-care hospital (30 min by car,
        from :mod:`regiowerk.access.standards`).
    ``mittelzentrum_share_within_30``
        Share of inhabitants within 30 minutes of a Mittelzentrum by car.
    ``out_commuter_share``, ``self_containment``
        Σ out-commuters / Σ employed residents and Σ internal / Σ employed residents over the
        municipalities of ``commuting`` (latest year): commuting across the municipal border.
    ``employment_change_pct``
        Employees of ``employment`` in the last year / first year − 1, in %.
    ``competitive_component_pct``
        Σ competitive effect of ``shift_share`` / employees in its start year (``employment``)
        × 100; absent when the effects cancel (reference = the region itself).

"Inhabitants" for the per-1,000 figures are those of the latest year of ``population``
(else the trend scenario's base year of ``projection``).

Every table uses the finest complete regional level it holds: municipality rows (8 digits),
else Kreis rows (5), else Land rows (2); for ``employment`` Kreis rows come first because
municipal employment figures are often suppressed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from regiowerk.formatting import fmt_float, fmt_percent

if TYPE_CHECKING:  # pandas only for annotations: the schema imports this module cheaply
    import pandas as pd

Kind = Literal["share", "percent", "per_1000", "minutes"]
UNIT_LABELS: dict[str, str] = {
    "share": "Anteil",
    "percent": "%",
    "per_1000": "je 1.000 EW",
    "minutes": "Min.",
}
INDICATORS: dict[str, tuple[str, Kind]] = {
    "share_65plus": ("Anteil 65+", "share"),
    "share_80plus": ("Anteil 80+", "share"),
    "population_change_pct": ("Bevölkerungsentwicklung (Trend)", "percent"),
    "in_movers_per_1000": ("Zuziehende Haushalte durch Ansiedlung", "per_1000"),
    "small_dwelling_gap": ("Fehlende Ein- und Zweizimmerwohnungen", "per_1000"),
    "housing_new_construction_per_1000": ("Neubaubedarf bis zum Zieljahr", "per_1000"),
    "vacancy_rate": ("Leerstandsquote", "share"),
    "gp_minutes": ("Fahrzeit zur Hausarztpraxis", "minutes"),
    "gp_supply_per_1000": ("Hausärztliche Versorgung (VZÄ)", "per_1000"),
    "hospital_share_within_standard": ("Krankenhaus innerhalb des G-BA-Standards", "share"),
    "school_minutes": ("Fahrzeit zur Grundschule", "minutes"),
    "supermarket_minutes": ("Fahrzeit zum Lebensmittelmarkt", "minutes"),
    "mittelzentrum_share_within_30": ("Mittelzentrum in 30 Minuten", "share"),
    "out_commuter_share": ("Auspendleranteil (über die Gemeindegrenze)", "share"),
    "self_containment": ("Wohnortnahe Beschäftigung (Selbstversorgungsgrad)", "share"),
    "employment_change_pct": ("Beschäftigungsentwicklung", "percent"),
    "competitive_component_pct": ("Standorteffekt (Shift-Share)", "percent"),
}
"""Indicator key → (German label, kind of value)."""
FACTS: dict[str, str] = {
    "out_commuter_share": "commuting_across_border",
    "self_containment": "commuting_across_border",
}
"""Indicators that state the **same fact** share a fact key (default: the indicator itself).

``out_commuter_share`` and ``self_containment`` are exact complements (out-commuters and
internal commuters add up to the employed residents), so a low self-containment *is* a high
out-commuter share. A measure may trigger on a fact only once (checked by the schema), and the
ranking counts a fact once (:mod:`regiowerk.catalogue.recommend`)."""
SCALES: dict[str, float] = {
    "share_65plus": 0.05,
    "share_80plus": 0.02,
    "population_change_pct": 5.0,
    "in_movers_per_1000": 5.0,
    "small_dwelling_gap": 5.0,
    "housing_new_construction_per_1000": 20.0,
    "vacancy_rate": 0.03,
    "gp_minutes": 5.0,
    "gp_supply_per_1000": 0.2,
    "hospital_share_within_standard": 0.1,
    "school_minutes": 5.0,
    "supermarket_minutes": 5.0,
    "mittelzentrum_share_within_30": 0.1,
    "out_commuter_share": 0.1,
    "self_containment": 0.1,
    "employment_change_pct": 10.0,
    "competitive_component_pct": 5.0,
}
"""A clear distance beyond a threshold, in the indicator's own unit (5 percentage points of
the share 65+, 5 minutes, 10 % employment change …): a trigger met by this much has strength
½ in the ranking. Absolute per indicator, so a threshold near 0 does not inflate the
strength."""


def fact_of(indicator: str) -> str:
    """The fact an indicator states (see :data:`FACTS`)."""
    return FACTS.get(indicator, indicator)


ACCESS_SERVICES = {
    "gp_minutes": ("gp",),
    "school_minutes": ("primary_school", "school"),
    "supermarket_minutes": ("supermarket",),
}
REFERENCE_SCENARIO = "trend"
DEFAULT_HOSPITAL_MINUTES = 30.0


@dataclass(frozen=True)
class Indicator:
    """One value of the diagnosis with where it came from."""

    key: str
    value: float
    table: str
    year: int | None = None
    base_year: int | None = None
    """First year of a change (``population_change_pct`` etc.); None for a state."""
    detail: str = ""
    """German remark on the computation (scenario, standard)."""
    by_kreis: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return INDICATORS[self.key][0]

    @property
    def kind(self) -> Kind:
        return INDICATORS[self.key][1]

    @property
    def unit(self) -> str:
        return UNIT_LABELS[self.kind]

    @property
    def period(self) -> str:
        """``2023`` or ``2023–2045``; empty when unknown."""
        if self.year is None:
            return ""
        if self.base_year is None or self.base_year == self.year:
            return str(self.year)
        return f"{self.base_year}–{self.year}"

    @property
    def source(self) -> str:
        """``projection, 2023–2045 (Szenario Trend)``."""
        text = f"{self.table}, {self.period}" if self.period else self.table
        return f"{text} ({self.detail})" if self.detail else text

    def formatted(self, value: float | None = None) -> str:
        """The value (or ``value`` in this indicator's unit) in German format."""
        return format_value(self.kind, self.value if value is None else value)

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "table": self.table,
            "year": self.year,
            "base_year": self.base_year,
            "detail": self.detail,
            "by_kreis": self.by_kreis,
        }


def format_value(kind: str, value: float, digits: int = 1) -> str:
    """German text of ``value`` for an indicator kind (shares as percentages)."""
    if kind == "share":
        return fmt_percent(value, digits)
    if kind == "percent":
        return f"{fmt_float(value, digits)}\u202f%"
    if kind == "per_1000":
        return f"{fmt_float(value, digits)} je 1.000 EW"
    if kind == "minutes":
        return f"{fmt_float(value, digits)} Min."
    return fmt_float(value, digits)


@dataclass
class Diagnosis:
    """Indicators by key, plus the absent ones with the reason."""

    indicators: dict[str, Indicator] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        indicator = self.indicators.get(key)
        return None if indicator is None else indicator.value

    def add(self, indicator: Indicator | None, key: str, reason: str) -> None:
        if indicator is None or not math.isfinite(indicator.value):
            self.missing[key] = reason
        else:
            self.indicators[key] = indicator

    def missing_tables(self) -> list[str]:
        """Names of the tables whose absence leaves indicators uncomputed, sorted."""
        found = (re.fullmatch(r"Tabelle (\w+) fehlt", reason) for reason in self.missing.values())
        return sorted({match.group(1) for match in found if match})

    @classmethod
    def from_values(cls, values: dict[str, float], table: str = "manuell") -> Diagnosis:
        """A diagnosis from plain values (tests, hand-made what-if checks)."""
        return cls({k: Indicator(k, float(v), table) for k, v in values.items()})

    def as_dict(self) -> dict[str, object]:
        return {
            "indicators": [i.as_dict() for i in self.indicators.values()],
            "missing": self.missing,
        }


Loader = Callable[[str], "pd.DataFrame | None"]


def diagnose_workspace(workspace: object) -> Diagnosis:
    """:func:`diagnose` for a :class:`~regiowerk.workspace.Workspace`."""
    from regiowerk.workspace import Workspace

    assert isinstance(workspace, Workspace)
    return diagnose(lambda name: workspace.load(name) if workspace.has(name) else None)


def diagnose(load: Loader) -> Diagnosis:
    """All indicators from the tables that ``load(name)`` returns (None: table missing)."""
    cache: dict[str, pd.DataFrame | None] = {}

    def table(name: str) -> pd.DataFrame | None:
        if name not in cache:
            cache[name] = load(name)
        return cache[name]

    result = Diagnosis()
    inhabitants = _inhabitants(table)
    _population(table, result)
    _projection(table, result, inhabitants)
    _housing(table, result, inhabitants)
    _dwellings(table, result)
    _access(table, result)
    _commuting(table, result)
    _employment(table, result)
    for key in INDICATORS:
        if key not in result.indicators and key not in result.missing:
            result.missing[key] = "nicht berechnet"
    result.indicators = {k: result.indicators[k] for k in INDICATORS if k in result.indicators}
    return result


def _absent(table: str) -> str:
    return f"Tabelle {table} fehlt"


def _level(frame: pd.DataFrame, column: str, prefer: tuple[int, ...] = (8, 5, 2)) -> pd.DataFrame:
    """Rows of the first regional level (key length) in ``prefer`` that the table holds."""
    lengths = frame[column].astype(str).str.len()
    for length in prefer:
        if (lengths == length).any():
            return frame[lengths == length]
    return frame.iloc[0:0]


def _per_kreis(
    frame: pd.DataFrame, column: str, compute: Callable[[pd.DataFrame], float]
) -> dict[str, float]:
    """``compute`` per Kreis when ``frame`` holds municipality rows; else empty."""
    keys = frame[column].astype(str)
    if frame.empty or not (keys.str.len() == 8).all():
        return {}
    values = {str(k): compute(group) for k, group in frame.groupby(keys.str[:5])}
    return {k: float(v) for k, v in values.items() if math.isfinite(v)}


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.nan


def _inhabitants(table: Callable[[str], pd.DataFrame | None]) -> float | None:
    population = table("population")
    if population is not None and not population.empty:
        latest = population[population["year"] == population["year"].max()]
        return float(latest["persons"].sum())
    projection = table("projection")
    if projection is not None and not projection.empty:
        rows = projection[projection["scenario"] == _trend(table, projection)]
        rows = _level(rows, "ags")
        return float(rows.loc[rows["year"] == rows["year"].min(), "persons"].sum())
    return None


def _trend(table: Callable[[str], pd.DataFrame | None], frame: pd.DataFrame) -> str:
    names = sorted(str(s) for s in frame["scenario"].unique())
    named = [n for n in names if n.casefold() == REFERENCE_SCENARIO]
    return (named or [n for n in names if n not in _employers(table)] or names)[0]


def _employers(table: Callable[[str], pd.DataFrame | None]) -> list[str]:
    households = table("household_projection")
    if households is None or households.empty:
        return []
    movers = households.groupby("scenario")["in_movers"].sum()
    return sorted(str(n) for n, v in movers.items() if float(v) > 0)


def _population(table: Callable[[str], pd.DataFrame | None], result: Diagnosis) -> None:
    frame = table("population")
    keys = ("share_65plus", "share_80plus")
    if frame is None or frame.empty:
        for key in keys:
            result.missing[key] = _absent("population")
        return
    year = int(frame["year"].max())
    latest = frame[frame["year"] == year]
    for key, age in zip(keys, (65, 80), strict=True):

        def share(rows: pd.DataFrame, age: int = age) -> float:
            return _ratio(
                float(rows.loc[rows["age"] >= age, "persons"].sum()), float(rows["persons"].sum())
            )

        value = share(latest)
        by_kreis = _per_kreis(latest, "ags", share)
        result.add(Indicator(key, value, "population", year, by_kreis=by_kreis), key, "leer")


def _projection(
    table: Callable[[str], pd.DataFrame | None], result: Diagnosis, inhabitants: float | None
) -> None:
    frame = table("projection")
    if frame is None or frame.empty:
        result.missing["population_change_pct"] = _absent("projection")
    else:
        name = _trend(table, frame)
        rows = _level(frame[frame["scenario"] == name], "ags")
        base, horizon = int(rows["year"].min()), int(rows["year"].max())

        def change(group: pd.DataFrame) -> float:
            start = float(group.loc[group["year"] == base, "persons"].sum())
            end = float(group.loc[group["year"] == horizon, "persons"].sum())
            return _ratio(end, start) * 100 - 100

        indicator = Indicator(
            "population_change_pct",
            change(rows),
            "projection",
            horizon,
            base,
            f"Szenario {name}",
            _per_kreis(rows, "ags", change),
        )
        reason = "nur ein Jahr projiziert"
        result.add(indicator if horizon > base else None, "population_change_pct", reason)
    households = table("household_projection")
    key = "in_movers_per_1000"
    if households is None or households.empty:
        result.missing[key] = _absent("household_projection")
        return
    employers = _employers(table)
    if not employers:
        result.missing[key] = "kein Szenario mit Zuzügen durch Ansiedlungen"
        return
    if not inhabitants:
        result.missing[key] = _absent("population")
        return
    rows = _level(households[households["scenario"] == employers[0]], "ags")
    horizon = int(rows["year"].max())
    movers = float(rows.loc[rows["year"] == horizon, "in_movers"].sum())
    indicator = Indicator(
        key,
        movers / inhabitants * 1000,
        "household_projection",
        horizon,
        detail=f"Szenario {employers[0]}",
    )
    result.add(indicator, key, "leer")


def _housing(
    table: Callable[[str], pd.DataFrame | None], result: Diagnosis, inhabitants: float | None
) -> None:
    keys = ("small_dwelling_gap", "housing_new_construction_per_1000")
    frame = table("housing_demand")
    if frame is None or frame.empty or not inhabitants:
        absent = "housing_demand" if frame is None or frame.empty else "population"
        for key in keys:
            result.missing[key] = _absent(absent)
        return
    name = _trend(table, frame)
    rows = _level(frame[frame["scenario"] == name], "ags")
    base, horizon = int(rows["year"].min()), int(rows["year"].max())
    small = rows[(rows["year"] == horizon) & (rows["size_class"] == "1-2")]
    gap = float(small["gap"].clip(lower=0.0).sum())
    new = float(rows["total"].clip(lower=0.0).sum())
    detail = f"Szenario {name}"
    result.add(
        Indicator(keys[0], gap / inhabitants * 1000, "housing_demand", horizon, detail=detail),
        keys[0],
        "leer",
    )
    result.add(
        Indicator(keys[1], new / inhabitants * 1000, "housing_demand", horizon, base, detail),
        keys[1],
        "leer",
    )


def _dwellings(table: Callable[[str], pd.DataFrame | None], result: Diagnosis) -> None:
    key = "vacancy_rate"
    frame = table("dwellings")
    if frame is None or frame.empty:
        result.missing[key] = _absent("dwellings")
        return
    rows = _level(frame[frame["occupied"].notna()], "region")
    if rows.empty:
        result.missing[key] = "Tabelle dwellings ohne bewohnte Wohnungen"
        return
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year]

    def vacancy(group: pd.DataFrame) -> float:
        return 1 - _ratio(float(group["occupied"].sum()), float(group["dwellings"].sum()))

    indicator = Indicator(
        key, vacancy(rows), "dwellings", year, by_kreis=_per_kreis(rows, "region", vacancy)
    )
    result.add(indicator, key, "leer")


def _hospital_minutes() -> float:
    try:
        from regiowerk.access import standards

        found = [
            s.minutes for s in standards.shipped().for_service("hospital", "car") if s.scope == "DE"
        ]
    except Exception:  # the standard is documentation here; fall back to the G-BA value
        found = []
    return float(found[0]) if found else DEFAULT_HOSPITAL_MINUTES


def _access(table: Callable[[str], pd.DataFrame | None], result: Diagnosis) -> None:
    keys = (
        *ACCESS_SERVICES,
        "gp_supply_per_1000",
        "hospital_share_within_standard",
        "mittelzentrum_share_within_30",
    )
    summary, origins = table("access_summary"), table("access")
    if (summary is None or summary.empty) and (origins is None or origins.empty):
        for key in keys:
            result.missing[key] = _absent("access")
        return
    use_summary = summary is not None and not summary.empty
    name = "access_summary" if use_summary else "access"
    frame = summary if use_summary else origins
    assert frame is not None
    frame = frame[frame["ags"].astype(str).str.len() == 8]

    def rows_of(services: tuple[str, ...]) -> pd.DataFrame:
        for service in services:
            chosen = frame[frame["service"] == service]
            if not chosen.empty:
                car = chosen[chosen["mode"] == "car"]
                return car if not car.empty else chosen[chosen["mode"] == chosen["mode"].iloc[0]]
        return frame.iloc[0:0]

    def weighted(column: str) -> Callable[[pd.DataFrame], float]:
        def compute(group: pd.DataFrame) -> float:
            valid = group[group[column].notna()]
            persons = valid["persons"].astype(float)
            return _ratio(float((valid[column] * persons).sum()), float(persons.sum()))

        return compute

    def within(limit: float) -> Callable[[pd.DataFrame], float]:
        def compute(group: pd.DataFrame) -> float:
            persons = group["persons"].astype(float)
            if use_summary:
                column = f"share_{int(limit)}"
                if column not in group.columns:
                    return math.nan
                return _ratio(float((group[column] * persons).sum()), float(persons.sum()))
            inside = group["minutes"].le(limit)
            return _ratio(float(persons[inside].sum()), float(persons.sum()))

        return compute

    minutes = "mean_minutes" if use_summary else "minutes"
    hospital = _hospital_minutes()
    specs: list[tuple[str, tuple[str, ...], Callable[[pd.DataFrame], float], str]] = [
        (key, services, weighted(minutes), "Pkw") for key, services in ACCESS_SERVICES.items()
    ]
    specs += [
        ("gp_supply_per_1000", ("gp",), weighted("supply_ratio"), "E2SFCA"),
        (
            "hospital_share_within_standard",
            ("hospital",),
            within(hospital),
            f"Pkw, {fmt_float(hospital, 0)} Min.",
        ),
        ("mittelzentrum_share_within_30", ("mittelzentrum",), within(30.0), "Pkw, 30 Min."),
    ]
    for key, services, compute, detail in specs:
        rows = rows_of(services)
        if rows.empty:
            result.missing[key] = f"Dienst {services[0]} nicht in {name}"
            continue
        indicator = Indicator(
            key, compute(rows), name, detail=detail, by_kreis=_per_kreis(rows, "ags", compute)
        )
        result.add(indicator, key, f"Werte fehlen in {name}")


def _commuting(table: Callable[[str], pd.DataFrame | None], result: Diagnosis) -> None:
    keys = ("out_commuter_share", "self_containment")
    frame = table("commuting")
    if frame is None or frame.empty:
        for key in keys:
            result.missing[key] = _absent("commuting")
        return
    rows = _level(frame, "region")
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year]
    for key, column in zip(keys, ("out_commuters", "internal"), strict=True):

        def share(group: pd.DataFrame, column: str = column) -> float:
            return _ratio(float(group[column].sum()), float(group["residents"].sum()))

        indicator = Indicator(
            key, share(rows), "commuting", year, by_kreis=_per_kreis(rows, "region", share)
        )
        result.add(indicator, key, "leer")


def _sections(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of single WZ sections (groups like ``B-F`` would count twice)."""
    single = frame[~frame["sector"].astype(str).str.contains("-")]
    return single if not single.empty else frame


def _employment(table: Callable[[str], pd.DataFrame | None], result: Diagnosis) -> None:
    frame = table("employment")
    key = "employment_change_pct"
    if frame is None or frame.empty:
        result.missing[key] = _absent("employment")
        result.missing["competitive_component_pct"] = _absent("employment")
    else:
        rows = _sections(_level(frame, "region", (5, 8, 2)))
        first, last = int(rows["year"].min()), int(rows["year"].max())

        def change(group: pd.DataFrame) -> float:
            start = float(group.loc[group["year"] == first, "persons"].sum())
            end = float(group.loc[group["year"] == last, "persons"].sum())
            return _ratio(end, start) * 100 - 100

        indicator = Indicator(
            key,
            change(rows),
            "employment",
            last,
            first,
            by_kreis=_per_kreis(rows, "region", change),
        )
        result.add(indicator if last > first else None, key, "nur ein Jahr vorhanden")
    shift = table("shift_share")
    key = "competitive_component_pct"
    if shift is None or shift.empty:
        result.missing[key] = _absent("shift_share")
        return
    if frame is None or frame.empty:
        return
    shift = _sections(shift)
    start_year = int(shift["start_year"].min())
    regions = set(shift["region"].astype(str))
    employed = _sections(frame[frame["region"].astype(str).isin(regions)])
    start = float(employed.loc[employed["year"] == start_year, "persons"].sum())
    competitive = shift["competitive"].to_numpy(dtype=float)
    if abs(competitive.sum()) <= 1e-9 * max(abs(competitive).sum(), 1.0):
        # with the region itself as reference, competitive effects cancel by construction
        result.missing[key] = (
            "Bezugsraum der Shift-Share-Analyse ist die Region selbst: Standorteffekte "
            "summieren sich zu null (nationale Vergleichsdaten nötig)"
        )
        return
    value = _ratio(float(competitive.sum()), start) * 100
    indicator = Indicator(
        key, value, "shift_share", int(shift["end_year"].max()), start_year, "mit employment"
    )
    result.add(indicator, key, f"keine Beschäftigten {start_year} in employment")
