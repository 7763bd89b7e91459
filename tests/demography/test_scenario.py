"""Scenario files: validation with named fields, the shipped examples, employer settlement."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regiowerk.demography.scenario import (
    Employer,
    ScenarioError,
    check_sites,
    load_scenario,
    settlement_movers,
)

SHIPPED = resources.files("regiowerk.demography") / "scenarios"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "szenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["trend.yaml", "ohne_wanderung.yaml", "heide_batteriefabrik.yaml"])
def test_shipped_scenarios_are_valid(name: str) -> None:
    scenario = load_scenario(Path(str(SHIPPED / name)))
    assert scenario.horizon == 2045
    if name.startswith("heide"):
        employer = scenario.employers[0]
        assert employer.site == "01051069"
        assert max(employer.jobs.values()) == 3000
        assert employer.sources


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: x\nhorizon: 2040\nwanderung: 1\n", "Feld wanderung: unbekanntes Feld"),
        ("name: x\nhorizon: 2040\nmigration: {kind: custom}\n", "Feld migration: kind 'custom'"),
        ("name: x\nhorizon: 2040\nfertility_factor: -1\n", "Feld fertility_factor"),
        (
            "name: x\nhorizon: 2040\nemployers:\n  - {name: A, site: '1051069', jobs: {2026: 5},"
            " share_in_movers: 0.5, share_commuters: 0.5, share_locals: 0}\n",
            "Feld employers.0.site",
        ),
        (
            "name: x\nhorizon: 2040\nemployers:\n  - {name: A, site: '01051069', jobs: {2026: -5},"
            " share_in_movers: 0.5, share_commuters: 0.5, share_locals: 0}\n",
            "Feld employers.0.jobs: Arbeitsplätze dürfen nicht negativ",
        ),
        (
            "name: x\nhorizon: 2040\nemployers:\n  - {name: A, site: '01051069', jobs: {2026: 5},"
            " share_in_movers: 0.5, share_commuters: 0.6, share_locals: 0}\n",
            "= 1.100, nicht 1",
        ),
        (
            "name: x\nhorizon: 2040\nemployers:\n  - {name: A, site: '01051069', jobs: {2026: 5},"
            " share_in_movers: 1.5, share_commuters: 0, share_locals: 0}\n",
            "Feld employers.0.share_in_movers",
        ),
    ],
)
def test_invalid_fields_are_named(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    assert "szenario.yaml" in str(info.value)
    assert field in str(info.value)


def test_not_yaml_and_unknown_site(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="kein gültiges YAML"):
        load_scenario(_write(tmp_path, "name: [unclosed\n"))
    scenario = load_scenario(Path(str(SHIPPED / "heide_batteriefabrik.yaml")))
    with pytest.raises(ScenarioError, match=r"01051069.*employers\.site"):
        check_sites(scenario, pd.Series(["03991001"]))


def _employer(**changes: object) -> Employer:
    values: dict[str, object] = {
        "name": "Werk",
        "site": "01051069",
        "jobs": {2026: 1000, 2027: 3000, 2028: 2500},
        "share_in_movers": 0.5,
        "share_commuters": 0.3,
        "share_locals": 0.2,
        "share_multilocal": 0.2,
        "partners_per_mover": 0.5,
        "children_per_mover": 0.4,
    }
    values.update(changes)
    return Employer.model_validate(values)


DISTANCES = pd.Series(
    {"01051069": 0.0, "01051044": 3.0, "01051011": 25.0, "01051099": 60.0}, name="km"
)


def test_settlement_adds_up_exactly() -> None:
    movers, multilocal = settlement_movers(_employer(), DISTANCES)
    # new jobs 1000, 2000, 0 (jobs fall in 2028: no negative movers); half move in,
    # a fifth of those stay multilocal, the rest bring 0.5 partners and 0.4 children each
    by_year = movers.groupby("year")["persons"].sum()
    assert by_year[2026] == pytest.approx(1000 * 0.5 * 0.8 * 1.9)
    assert by_year[2027] == pytest.approx(2000 * 0.5 * 0.8 * 1.9)
    assert 2028 not in by_year.index
    assert multilocal.groupby("year")["persons"].sum()[2027] == pytest.approx(2000 * 0.5 * 0.2)
    assert (movers["persons"] >= 0).all()
    assert movers["age"].between(0, 64).all()
    children = movers[movers["age"] < 18]["persons"].sum()
    assert children == pytest.approx(3000 * 0.5 * 0.8 * 0.4)


def test_gravity_prefers_near_places_and_respects_the_radius_and_capacity() -> None:
    movers, _ = settlement_movers(_employer(), DISTANCES)
    by_place = movers.groupby("ags")["persons"].sum()
    assert by_place["01051069"] > by_place["01051044"] > by_place["01051011"]
    assert "01051099" not in by_place.index  # beyond 40 km
    capacity = pd.Series({"01051069": 0.0, "01051044": 100.0, "01051011": 100.0})
    movers, _ = settlement_movers(_employer(), DISTANCES, capacity=capacity)
    shares = movers.groupby("ags")["persons"].sum() / movers["persons"].sum()
    assert "01051069" not in shares.index
    assert shares["01051044"] == pytest.approx(1 / (1 + np.exp(-0.08 * 22)))
    with pytest.raises(ScenarioError, match="keine Gemeinde"):
        settlement_movers(_employer(max_distance_km=1.0), DISTANCES.add(5.0))
