"""Facilities of Daseinsvorsorge in the Musterregion (base year).

Method
------
Counts follow assumed rules of thumb for a rural German region (``P`` = inhabitants 2023):

* **GPs** (Hausärzte): ``P / 1,500 · exp(N(0, 0.1))`` full-time equivalents in places with
  ``P ≥ 1,500`` and in every central place, in practices of 1.0–2.5 VZÄ.
* **Pharmacies**: ``round(P / 4,500)``, at least one in every central place (no capacity).
* **Primary schools**: one in 85 % of the places with ``P ≥ 1,200`` and in every central
  place, one per 5,000 inhabitants in larger places; capacity = children aged 6–9 × 1.15,
  in steps of 25 places.
* **Secondary schools**: Grundzentren one (Oberschule in Niedersachsen, Sekundarschule in
  Sachsen-Anhalt), towns and the Mittelzentrum ``round(P / 12,000)`` plus a Gymnasium;
  capacity 400–900 places.
* **Hospitals**: one site in the Mittelzentrum and in each of the three towns (150–450
  beds); Innere Medizin and Chirurgie everywhere, Geburtshilfe in the three largest sites,
  Kinder- und Jugendmedizin in the two largest.
* **Supermarkets**: ``round(P / 2,500)``, at least one in places with ``P ≥ 1,500``;
  800–1,800 m² sales area.
* **Kindergartens** (Kitas): ``⌈P / 2,500⌉`` in places with ``P ≥ 600``; capacity = children
  aged 1–5 × 0.75 / count, in steps of 5.

Sites are the settlement centre plus ``N(0, σ)`` jitter, ``σ = 150 m · √(P / 1,000)``,
redrawn until the point (rounded to 0.1 m) lies in the municipality (after 50 tries the
centre itself).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from regiowerk.schema import CRS

CENTRAL_ROLES = ("centre", "town", "grund")
SECONDARY_NAME = {"03": "Oberschule", "15": "Sekundarschule"}
HOSPITAL_DEPARTMENTS = (
    "Innere Medizin;Chirurgie;Geburtshilfe;Kinder- und Jugendmedizin",
    "Innere Medizin;Chirurgie;Geburtshilfe;Kinder- und Jugendmedizin",
    "Innere Medizin;Chirurgie;Geburtshilfe",
    "Innere Medizin;Chirurgie",
)
"""Departments of the hospital sites, largest site first."""


def build_facilities(
    rng: np.random.Generator,
    places: pd.DataFrame,
    municipalities: gpd.GeoDataFrame,
    population: pd.DataFrame,
    base_year: int,
) -> gpd.GeoDataFrame:
    """The ``facilities`` table (see the module docstring)."""
    current = population[population["year"] == base_year]
    persons = current.groupby("ags")["persons"].sum()
    children = current[current["age"].between(6, 9)].groupby("ags")["persons"].sum()
    toddlers = current[current["age"].between(1, 5)].groupby("ags")["persons"].sum()
    shapes = dict(zip(municipalities["ags"], municipalities.geometry, strict=True))
    rows: list[dict[str, object]] = []
    points: list[Point] = []

    def add(
        place: pd.Series,
        kind: str,
        name: str,
        capacity: float | None,
        unit: str | None,
        departments: str | None = None,
    ) -> None:
        points.append(_site(rng, place, shapes[place["ags"]], float(persons[place["ags"]])))
        rows.append(
            {
                "kind": kind,
                "name": name,
                "ags": place["ags"],
                "capacity": capacity,
                "capacity_unit": unit,
                "departments": departments,
            }
        )

    hospital_places = places[places["role"].isin(["centre", "town"])].copy()
    hospital_places["persons"] = persons.loc[hospital_places["ags"]].to_numpy()
    hospital_rank = {
        ags: rank
        for rank, ags in enumerate(
            hospital_places.sort_values("persons", ascending=False, kind="stable")["ags"]
        )
    }

    for _, place in places.iterrows():
        ags, name, role = place["ags"], place["name"], place["role"]
        p = float(persons[ags])
        central = role in CENTRAL_ROLES

        if p >= 1_500 or central:
            fte = max(1.0, p / 1_500 * math.exp(rng.normal(0, 0.1)))
            practices = max(1, round(fte / 1.6))
            for k, share in enumerate(rng.dirichlet(np.full(practices, 4.0)), start=1):
                add(place, "gp", f"Hausarztpraxis {name} {k}", round(fte * share, 1), "Ärzte (VZÄ)")

        for k in range(1, max(1 if central else 0, round(p / 4_500)) + 1):
            add(place, "pharmacy", f"{name}-Apotheke {k}", None, None)

        if central or (p >= 1_200 and rng.uniform() < 0.85):
            schools = max(1, round(p / 5_000))
            seats = 25 * math.ceil(float(children.get(ags, 0)) * 1.15 / schools / 25)
            for k in range(1, schools + 1):
                add(
                    place,
                    "primary_school",
                    f"Grundschule {name} {k}",
                    max(seats, 25),
                    "Schulplätze",
                )

        if role == "grund":
            add(
                place,
                "secondary_school",
                f"{SECONDARY_NAME[place['land']]} {name}",
                float(rng.integers(8, 13) * 50),
                "Schulplätze",
            )
        elif role in ("centre", "town"):
            for k in range(1, max(1, round(p / 12_000)) + 1):
                add(
                    place,
                    "secondary_school",
                    f"{SECONDARY_NAME[place['land']]} {name} {k}",
                    float(rng.integers(10, 19) * 50),
                    "Schulplätze",
                )
            add(
                place,
                "secondary_school",
                f"Gymnasium {name}",
                float(rng.integers(12, 19) * 50),
                "Schulplätze",
            )
            rank = hospital_rank[ags]
            beds = 450 - 90 * rank + int(rng.integers(-20, 21))
            add(
                place,
                "hospital",
                f"Klinikum {name}",
                float(beds),
                "Betten",
                HOSPITAL_DEPARTMENTS[rank],
            )

        if p >= 1_500:
            for k in range(1, max(1, round(p / 2_500)) + 1):
                add(
                    place,
                    "supermarket",
                    f"Supermarkt {name} {k}",
                    float(rng.integers(16, 37) * 50),
                    "Verkaufsfläche (m²)",
                )

        if p >= 600:
            kitas = math.ceil(p / 2_500)
            places_each = 5 * math.ceil(float(toddlers.get(ags, 0)) * 0.75 / kitas / 5)
            for k in range(1, kitas + 1):
                add(
                    place,
                    "kindergarten",
                    f"Kita {name} {k}",
                    float(max(places_each, 10)),
                    "Betreuungsplätze",
                )

    frame = pd.DataFrame(rows)
    frame["facility_id"] = (
        frame["kind"] + "-" + (frame.groupby("kind").cumcount() + 1).map("{:04d}".format)
    )
    frame = frame[
        ["facility_id", "kind", "name", "ags", "capacity", "capacity_unit", "departments"]
    ]
    table = gpd.GeoDataFrame(frame, geometry=points, crs=CRS)
    return table.sort_values("facility_id", kind="stable").reset_index(drop=True)


def _site(
    rng: np.random.Generator, place: pd.Series, area: shapely.Geometry, persons: float
) -> Point:
    """A point near the settlement centre inside ``area`` (rejection sampling)."""
    sigma = 150.0 * math.sqrt(persons / 1_000)
    for _ in range(50):
        site = Point(
            round(place["x"] + rng.normal(0, sigma), 1), round(place["y"] + rng.normal(0, sigma), 1)
        )
        if area.contains(site):
            return site
    return Point(place["x"], place["y"])
