"""The catalogue's record models refuse what a toolbox entry cannot be."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from regiowerk.catalogue.schema import Measure, Project


def _measure(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "code": "W 007",
        "title": "Regionales Bündnis für Wohnen",
        "summary": "Kommunen, Landkreis und Wohnungswirtschaft stimmen sich regelmäßig ab.",
        "implementation": ["Einladung zum ersten Austausch"],
        "effects": "Gemeinsames Verständnis der Ziele.",
        "target_groups": ["Incomings"],
        "spatial_levels": ["regional"],
        "project_types": ["vernetzend"],
        "field": "wohnen",
        "triggers": [
            {
                "indicator": "small_dwelling_gap",
                "direction": "above",
                "threshold": 5,
                "reason": "Es fehlen kleine Wohnungen.",
            }
        ],
    }
    return {**base, **changes}


def test_a_complete_measure_is_accepted() -> None:
    measure = Measure.model_validate(_measure(related=["W 002"]))
    assert measure.triggers[0].direction == "above"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "W7"}, "code"),
        ({"field": "sport"}, "field"),
        ({"spatial_levels": ["global"]}, "spatial_levels"),
        ({"related": ["Wohnen"]}, "related"),
        ({"implementation": []}, "implementation"),
        ({"farbe": "blau"}, "farbe"),
    ],
)
def test_bad_measures_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Measure.model_validate(_measure(**changes))
    assert field in str(info.value)


def test_projects_check_keys_and_years() -> None:
    base = {"id": "impuls-harz", "title": "IMPULS Harz", "regions": ["Harz"], "sources": ["x"]}
    assert Project.model_validate({**base, "ags": ["15085"]}).ags == ["15085"]
    with pytest.raises(ValidationError, match="Gebietsschlüssel"):
        Project.model_validate({**base, "ags": ["1508"]})
    with pytest.raises(ValidationError, match="start"):
        Project.model_validate({**base, "start": 1850})
