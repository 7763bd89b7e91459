"""Travel-to-work areas on the real 400 × 400 Kreis commuter matrix (``commuters_kreise``).

The matrix has no diagonal (people working in their home Kreis are missing), so the internal
flows are estimated from BA employees at workplace and residence on 30.06.2022
(``ba_employment``, all occupation groups; Eisenach 16056 added to the Wartburgkreis 16063) with
:func:`regiowerk.flows.with_internal_flows`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regiowerk.flows import PRESETS, RESERVE, commuting, ttwa, with_internal_flows
from regiowerk.flows.leiden import communities, modularity
from regiowerk.sources.pendler import read_matrix

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

KASSEL, KASSEL_LK, HOEXTER, GOETTINGEN = "06611", "06633", "05762", "03159"


def _employees(folder: Path, name: str) -> pd.Series:
    frame = pd.read_parquet(
        folder / "ba_employment" / f"{name}.parquet",
        filters=[
            ("year", "==", 2022),
            ("type", "==", "social insurance"),
            ("group", "==", "total"),
        ],
    )
    totals = frame.groupby("region")["n"].sum()
    totals.index = totals.index.astype(str)
    totals = totals[totals.index.str.len() == 5]
    if "16056" in totals.index:
        totals["16063"] = totals.get("16063", 0.0) + totals.pop("16056")
    return totals


@pytest.fixture(scope="module")
def kreis_flows(real_data: Path) -> pd.DataFrame:
    folder = real_data / "commuters_kreise"
    matrix = read_matrix(
        [folder / "commuter_mobility_400x400.txt", folder / "county_centers_dim400.json"]
    ).tables["commuters"]
    return with_internal_flows(
        matrix,
        jobs=_employees(real_data, "employees_by_workplace"),
        residents=_employees(real_data, "employees_by_residence"),
    )


def _names(real_data: Path) -> dict[str, str]:
    codes = pd.read_parquet(real_data / "ba_employment" / "region_codes.parquet")
    return dict(zip(codes["code"].astype(str), codes["name"], strict=True))


def test_regions_around_kassel_hoexter_goettingen(
    kreis_flows: pd.DataFrame, real_data: Path
) -> None:
    result = commuting(kreis_flows, level=5)
    assert not result.warnings  # the diagonal is filled
    names = _names(real_data)
    flows = result.flows
    found = {}
    for preset in ("default", "ons"):
        run = ttwa(
            flows.matrix, flows.keys, PRESETS[preset], residents=flows.residents, jobs=flows.jobs
        )
        regions = run.quality[run.quality["region_id"] != RESERVE]
        assert regions["meets"].all()
        assert not run.reserve
        assert 100 <= len(regions) <= 200
        found[preset] = run
    run = found["default"]
    region = pd.Series(run.region_id, index=flows.keys)
    labels = pd.factorize(run.region_id)[0]
    q_ttwa = modularity(flows.matrix, labels)
    comparison = communities(flows.matrix)
    q_comp = modularity(flows.matrix, comparison.labels)
    print(f"\nTTWA (default): {len(set(run.region_id))} regions, modularity {q_ttwa:.3f}")
    print(
        f"{comparison.method}: {len(set(comparison.labels))} communities, modularity {q_comp:.3f}"
    )
    quality = run.quality.set_index("region_id")
    for key in (KASSEL, HOEXTER, GOETTINGEN):
        members = region.index[region == region[key]]
        row = quality.loc[region[key]]
        print(
            f"{names[key]}: "
            + ", ".join(f"{m} {names.get(m, m)}" for m in members)
            + f" | SC {row['sc_supply']:.3f}/{row['sc_demand']:.3f},"
            + f" {row['residents']:,.0f} employed"
        )
    # Kassel city and Landkreis form one labour market; Göttingen and Höxter have their own
    assert region[KASSEL] == region[KASSEL_LK] == KASSEL
    assert len({region[KASSEL], region[HOEXTER], region[GOETTINGEN]}) == 3
    assert (
        region["03255"] == region[HOEXTER]
    )  # Holzminden (NI) with Höxter (NW): crosses a Land border
    assert region["03155"] == region[GOETTINGEN]  # Northeim
    # the ONS sizes make no difference at Kreis level (every Kreis has > 25,000 employed)
    assert list(found["ons"].region_id) == list(run.region_id)
    # modularity-maximising communities score higher on modularity, as they should
    assert q_comp > q_ttwa > 0.5
    assert np.isfinite(q_comp)
