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


def test_unknown_trigger_indicator_is_rejected_with_the_known_ones() -> None:
    trigger = {"indicator": "share_65_plus", "direction": "above", "threshold": 0.27}
    with pytest.raises(ValidationError) as info:
        Measure.model_validate(_measure(triggers=[{**trigger, "reason": "Viele Ältere."}]))
    [error] = info.value.errors()
    assert error["loc"] == ("triggers", 0, "indicator")
    assert "unbekannte Kennzahl 'share_65_plus'" in error["msg"]
    assert "share_65plus" in error["msg"]
    assert "self_containment" in error["msg"]


def test_a_measure_triggers_only_once_on_the_same_fact() -> None:
    out = {"indicator": "out_commuter_share", "direction": "above", "threshold": 0.55}
    inside = {"indicator": "self_containment", "direction": "below", "threshold": 0.4}
    triggers = [{**out, "reason": "Viele pendeln aus."}, {**inside, "reason": "Wenige bleiben."}]
    with pytest.raises(ValidationError) as info:
        Measure.model_validate(_measure(triggers=triggers))
    [error] = info.value.errors()
    assert error["loc"] == ("triggers",)
    assert "dieselbe Tatsache" in error["msg"]
    with pytest.raises(ValidationError, match="zweimal 'out_commuter_share'"):
        Measure.model_validate(_measure(triggers=[triggers[0], triggers[0]]))


def test_shipped_measures_have_known_indicators_and_one_trigger_per_fact() -> None:
    from regiowerk.catalogue.diagnosis import INDICATORS, fact_of
    from regiowerk.catalogue.store import Catalogue

    for measure in Catalogue.load().measures.values():
        indicators = [t.indicator for t in measure.triggers]
        assert set(indicators) <= set(INDICATORS), measure.code
        facts = [fact_of(i) for i in indicators]
        assert len(facts) == len(set(facts)), measure.code


def test_a_project_cannot_end_before_it_starts() -> None:
    base = {"id": "impuls-harz", "title": "IMPULS Harz", "regions": ["Harz"], "sources": ["x"]}
    assert Project.model_validate({**base, "start": 2020, "end": 2020}).end == 2020
    with pytest.raises(ValidationError) as info:
        Project.model_validate({**base, "start": 2024, "end": 2021})
    [error] = info.value.errors()
    assert error["loc"] == ("end",)
    assert "vor dem Beginn 2024" in error["msg"]
