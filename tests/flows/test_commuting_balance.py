"""Commuting balance from ``commuters``: hand numbers, remainder rows, bad input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from regiowerk.flows import FlowError, commuting, with_internal_flows

A, B, C = "03159001", "03159002", "06611000"  # A, B in Niedersachsen, C in Hessen


def _rows(*flows: tuple[str, str, float | None], remainder: set[int] | None = None) -> pd.DataFrame:
    remainder = remainder or set()
    return pd.DataFrame(
        {
            "origin": [f[0] for f in flows],
            "dest": [f[1] for f in flows],
            "year": 2023,
            "persons": [f[2] for f in flows],
            "suppressed": [f[2] is None for f in flows],
            "remainder": [i in remainder for i in range(len(flows))],
        }
    )


def _base() -> pd.DataFrame:
    return _rows(
        (A, A, 100.0),
        (A, B, 30.0),
        (A, C, 20.0),
        (B, B, 50.0),
        (B, A, 40.0),
        (C, C, 200.0),
        (C, A, 10.0),
        (A, "06", 5.0),  # remainder: "Übrige Kreise (Hessen)" → other Land
        ("DG", B, 7.0),  # in-commuters from the rest of Germany (remainder on the origin side)
        remainder={7, 8},
    )


def test_hand_numbers() -> None:
    result = commuting(_base())
    frame = result.frame.set_index("region")
    a = frame.loc[A]
    # residents A = 100 + 30 + 20 + 5 = 155; jobs A = 100 + 40 + 10 = 150
    assert a["residents"] == 155
    assert a["jobs"] == 150
    assert a["internal"] == 100
    assert a["out_commuters"] == 55
    assert a["in_commuters"] == 50
    assert a["balance"] == -5
    assert a["sc_supply"] == pytest.approx(100 / 155)
    assert a["sc_demand"] == pytest.approx(100 / 150)
    # crossing Land: out to C (20) and to Hessen remainder (5), in from C (10) → 35 of 105
    assert a["cross_land"] == pytest.approx(35 / 105)
    assert a["main_destination"] == B  # 30 > 20; the remainder row is never a destination
    b = frame.loc[B]
    # jobs B = 30 + 50 + 7 (rest of Germany) = 87; residents B = 90
    assert b["jobs"] == 87
    assert b["residents"] == 90
    assert b["in_commuters"] == 37
    assert b["cross_land"] == pytest.approx(7 / (37 + 40))
    c = frame.loc[C]
    assert c["cross_land"] == pytest.approx(1.0)  # both flows of C go to/come from Niedersachsen
    assert result.level == 8
    assert result.year == 2023
    assert any("Restzeilen" in m for m in result.messages)
    # matrix of named flows between units; remainders are outside
    assert result.flows.matrix.sum() == 450
    assert result.flows.out_external.tolist() == [5.0, 0.0, 0.0]
    assert result.flows.in_external.tolist() == [0.0, 7.0, 0.0]


def test_suppressed_cells_are_counted_and_reported() -> None:
    rows = pd.concat([_base(), _rows((B, C, None))], ignore_index=True)
    result = commuting(rows)
    assert result.suppressed_cells == 1
    assert any("geheim" in w and "unbekannt" in w for w in result.warnings)
    assert result.frame.set_index("region").loc[B, "residents"] == 90  # not guessed


def test_negative_flow_names_the_row() -> None:
    rows = _base()
    rows.loc[3, "persons"] = -4.0
    with pytest.raises(FlowError, match=r"Zeile 3: 03159002 → 03159002"):
        commuting(rows)


def test_duplicate_flow_is_an_error() -> None:
    rows = pd.concat([_base(), _rows((A, B, 30.0))], ignore_index=True)
    with pytest.raises(FlowError, match=r"03159001 → 03159002.*doppelt.*Zeilen 1 und 9"):
        commuting(rows)


def test_asymmetric_flows_are_normal() -> None:
    rows = _rows((A, A, 10.0), (A, B, 90.0), (B, B, 10.0))
    frame = commuting(rows).frame.set_index("region")
    assert frame.loc[B, "in_commuters"] == 90
    assert frame.loc[B, "out_commuters"] == 0


def test_unknown_keys_are_reported_not_dropped() -> None:
    result = commuting(_base(), known=[A, B])
    assert list(result.frame["region"]) == [A, B]
    assert any(
        "1 Gebiete, die der Arbeitsbereich nicht kennt (06611000)" in w for w in result.warnings
    )
    a = result.frame.set_index("region").loc[A]
    assert a["residents"] == 155
    assert a["jobs"] == 150


def test_missing_internal_flows_warn_and_can_be_estimated() -> None:
    rows = _rows((A, B, 30.0), (B, A, 10.0))
    result = commuting(rows)
    assert any("keine Binnenpendler" in w for w in result.warnings)
    jobs = pd.Series({A: 110.0, B: 130.0})
    residents = pd.Series({A: 130.0, B: 110.0})
    filled = with_internal_flows(rows, jobs=jobs, residents=residents)
    frame = commuting(filled).frame.set_index("region")
    # A: jobs − in = 110 − 10 = 100, residents − out = 130 − 30 = 100
    assert frame.loc[A, "internal"] == 100
    assert frame.loc[B, "internal"] == 100


def test_year_and_level_choice() -> None:
    rows = pd.concat([_base(), _base().assign(year=2022)], ignore_index=True)
    assert commuting(rows).year == 2023
    assert commuting(rows, year=2022).year == 2022
    with pytest.raises(FlowError, match="2019"):
        commuting(rows, year=2019)
    kreise = _rows(("03159", "03159", 10.0), ("03159", "06611", 5.0))
    result = commuting(kreise)
    assert result.level == 5
    assert math.isclose(result.frame["sc_supply"].iloc[0], 10 / 15)


def test_rows_of_another_level_are_reported_not_dropped() -> None:
    rows = pd.concat(
        [
            _base(),
            _rows(
                ("03991", "06611", 12.0),  # Kreis row in a municipality workspace: no unit
                (A, "06611", 8.0),  # municipality → Kreis: out-commuting of A
            ),
        ],
        ignore_index=True,
    )
    result = commuting(rows)
    text = next(w for w in result.warnings if "anderen Ebene" in w)
    assert text.startswith("2 Verflechtungen mit 20 Personen haben Schlüssel einer anderen Ebene")
    assert "03991 → 06611: 12" in text
    assert "03159001 → 06611: 8" in text
    assert "1 davon (8 Personen) haben ein Gebiet der Analyse am anderen Ende" in text
    assert "1 (12 Personen) berühren kein Gebiet der Analyse und bleiben unberücksichtigt" in text
    a = result.frame.set_index("region").loc[A]
    assert a["residents"] == 155 + 8  # counted as out-commuting to outside
    assert a["out_commuters"] == 55 + 8
    assert set(result.frame["region"]) == {A, B, C}


def test_rows_of_unknown_keys_split_counted_and_left_out() -> None:
    rows = pd.concat([_base(), _rows((C, "XA", 4.0))], ignore_index=True)
    result = commuting(rows, known=[A, B])
    text = next(w for w in result.warnings if "nicht kennt" in w)
    # A → C (20) and C → A (10) count as outside; C → C (200) and C → XA (4) touch no unit
    assert text == (
        "4 Verflechtungen mit 234 Personen betreffen 1 Gebiete, die der Arbeitsbereich nicht "
        "kennt (06611000); 2 davon (30 Personen) haben ein Gebiet der Analyse am anderen Ende "
        "und zählen dort als Pendeln von bzw. nach außerhalb; 2 (204 Personen) berühren kein "
        "Gebiet der Analyse und bleiben unberücksichtigt."
    )


def test_suppressed_cells_per_region_and_values_not_used() -> None:
    rows = _rows(
        (A, A, 100.0), (A, B, 30.0), (B, B, 50.0), (C, C, 20.0), (B, C, None), (C, B, None)
    )
    flagged = _rows((A, C, 6.0), (C, A, None))
    flagged["suppressed"] = True  # (A, C) flagged but with a value: the flag wins
    blank = _rows((B, A, None))
    blank["suppressed"] = False  # no value, no flag
    result = commuting(pd.concat([rows, flagged, blank], ignore_index=True))
    assert result.suppressed_cells == 5
    secret = next(w for w in result.warnings if "geheim gehalten ('*')" in w)
    assert secret.startswith("4 Pendlerzellen 2023 sind geheim gehalten ('*')")
    assert "1 dieser Zellen haben trotzdem einen Wert (zusammen 6 Personen)" in secret
    assert any(w.startswith("1 Pendlerzellen 2023 haben keinen Wert") for w in result.warnings)
    assert result.frame.set_index("region").loc[A, "residents"] == 130  # the 6 is not used
    per_region = result.suppressed_by_region
    assert per_region is not None
    assert per_region.to_dict("index") == {
        B: {"residence": 2, "workplace": 1, "cells": 3},
        C: {"residence": 2, "workplace": 2, "cells": 4},
        A: {"residence": 1, "workplace": 2, "cells": 3},
    }
    assert list(per_region.index) == [C, A, B]  # most cells first, then by key
    listed = next(w for w in result.warnings if "je Gebiet" in w)
    assert "(3 Gebiete betroffen" in listed
    assert f"{C}: 4 (2 als Wohnort, 2 als Arbeitsort); {A}: 3 (1 als Wohnort" in listed


def test_areas_without_jobs_residents_or_internal_flow_are_named() -> None:
    D = "03159004"
    rows = pd.concat([_base(), _rows((D, A, 3.0))], ignore_index=True)
    result = commuting(rows)
    jobs = next(w for w in result.warnings if "ohne Arbeitsplätze" in w)
    assert jobs.startswith(f"1 Gebiete ohne Arbeitsplätze (keine Beschäftigten am Arbeitsort): {D}")
    internal = next(w for w in result.warnings if "ohne Binnenpendler" in w)
    assert internal == (
        f"1 Gebiete ohne Binnenpendler (niemand wohnt und arbeitet im selben Gebiet): {D}; "
        f"ihre Eigenversorgung ist 0."
    )
    assert not any("ohne Wohnortbeschäftigte" in w for w in result.warnings)
