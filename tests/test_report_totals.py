"""The overview falls back to population totals when no population by age exists."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from regiowerk.provenance import Provenance
from regiowerk.report import build_report
from regiowerk.workspace import Workspace

from factories import tiny_tables


def _totals(ags: list[str], year: int, basis: str, persons: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ags,
            "year": year,
            "census_basis": basis,
            "reference_date": f"{year}-12-31",
            "persons": pd.array([persons] * len(ags), dtype="Int64"),
            "male": pd.array([None] * len(ags), dtype="Int64"),
            "female": pd.array([None] * len(ags), dtype="Int64"),
        }
    )


def test_totals_without_ages_and_no_mixing_of_census_bases(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables.pop("population")
    ags = sorted(tables["municipalities"][0]["ags"])
    totals = pd.concat(
        [
            _totals(ags, 2011, "pre2011", 5_000),  # other basis: never the comparison year
            _totals(ags, 2014, "zensus2011", 1_000),
            _totals(ags, 2021, "zensus2011", 1_100),
        ],
        ignore_index=True,
    )
    tables["population_totals"] = (totals, Provenance("GV-ISys", "dl-de/by-2-0", "© Destatis"))
    ws = Workspace.create(
        tmp_path / "ws", name="Echt", selection=["03991", "15991"], base_year=2021
    )
    ws.save_many(tables)
    html = build_report(ws, tmp_path / "bericht.html").read_text(encoding="utf-8")
    total = 1_100 * len(ags)
    assert f"{total:,}".replace(",", ".") in html
    assert "Veränderung seit 31.12.2014" in html
    assert "+10,0" in html  # 1,000 -> 1,100 on the same basis, not 5,000 (pre2011)
    assert "ohne Altersgliederung" in html
    assert "Altersaufbau</h3>" not in html
