"""Issue 3 end to end: a cross-state region workspace from the real data folder in one command."""

from __future__ import annotations

from pathlib import Path

import pytest

from regiowerk.importing import ConflictWarning, create_region_workspace

UNSUPPORTED = {
    # Regionalatlas tables without a canonical table yet: refused with a clear message
    "13111-02-02-4.xlsx",
    "82111-01-05-4.xlsx",
    "31121-01-02-4.xlsx",
    "31211-01-01-4.xlsx",
    "31211-02-01-4.xlsx",
    "31211-03-01-4.xlsx",
    "31211-05-01-4.xlsx",
    "31211-06-01-4.xlsx",
    "31211-08-01-4.xlsx",
    "31211-10-01-4.xlsx",
    "31211-11-01-4.xlsx",
    "31211-13-01-4.xlsx",
    # a re-laid-out GV copy without a reference date in its name or content
    "AuszugGV4QAktuell.csv",
}


@pytest.mark.realdata
@pytest.mark.slow
def test_dithmarschen_harz_hoexter_in_one_command(real_data: Path, tmp_path: Path) -> None:
    # Known overlaps, reported as warnings: dwellings of 2011 from the Zensus 2011 (09.05.) and
    # from the stock update (31.12.); employees 2015-2019 in two Regionaldatenbank tables.
    with pytest.warns(ConflictWarning) as caught:
        ws, found = create_region_workspace(
            tmp_path / "region",
            selection=["01051", "15085", "05762"],
            source=real_data,
            name="Westküste, Harz und Weserbergland",
        )  # what `regiowerk workspace create DIR --kreis … --from DATA` runs
    assert {str(w.message).split("'")[1] for w in caught} == {"dwellings", "employment"}
    skipped = {path.name for path, _ in found.failed}
    assert skipped <= UNSUPPORTED, skipped - UNSUPPORTED
    unknown = {path.name for path in found.unknown}
    assert not unknown & {"31122021_Auszug_GV.csv", "VG5000_GEM.shp", "DE_healthcare.csv"}

    municipalities = ws.load("municipalities")
    assert municipalities.groupby("kreis").size().to_dict() == {
        "01051": 116,
        "05762": 10,
        "15085": 20,
    }
    assert set(municipalities["land"]) == {"01", "05", "15"}
    assert set(ws.load("kreise")["kreis"]) == {"01051", "05762", "15085"}

    totals = ws.load("population_totals")
    municipal = totals[totals["region"].str.len() == 8]
    by_year = municipal.groupby(["year", "census_basis"])["persons"].sum()
    assert by_year[(2021, "zensus2011")] == 483_080  # GV-ISys 31.12.2021, three Kreise
    assert by_year[(2022, "zensus2022")] == 478_874  # Zensus 2022, 15.05.2022
    assert set(municipal["census_basis"]) == {"pre2011", "zensus2011", "zensus2022"}

    bands = ws.load("population_bands")
    dithmarschen_2018 = bands.query("region == '01051' and year == 2018")["persons"].sum()
    assert dithmarschen_2018 == 133_210

    flows = ws.load("commuters")
    touching = flows["origin"].isin(["01051", "15085", "05762"]) | flows["dest"].isin(
        ["01051", "15085", "05762"]
    )
    assert touching.all()
    assert len(ws.load("facilities").query("kind == 'hospital'")) > 0
    assert ws.validate() == []
