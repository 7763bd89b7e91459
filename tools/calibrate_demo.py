"""Recompute the calibration facts of the synthetic Musterregion and compare them.

The demo generator (``regiowerk.demo``) never reads official data; it uses a handful of rounded
facts stored in ``src/regiowerk/demo/calibration.toml``. This script derives those facts again
from the real data folder (``$REGIOWERK_DATA``, default ``../shared/data`` next to the repository),
prints them next to the stored values and next to the values realised by ``generate_demo()``, and
exits with status 1 when a stored fact differs from its recomputation beyond rounding.

Every fact is rounded the way it is stored (``_round``): shares and rates to a fixed number of
decimals, death probabilities to three significant digits. A fact matches when the rounded
recomputation equals the stored value.

Usage::

    .venv/bin/python tools/calibrate_demo.py

The recomputation needs only the standard library and pandas; the realised column imports
``regiowerk.demo``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from regiowerk.sources.base import default_data_dir

REPO = Path(__file__).resolve().parents[1]
CALIBRATION = REPO / "src" / "regiowerk" / "demo" / "calibration.toml"
KREIS = "01051"
"""Kreis Dithmarschen, the rural calibration Kreis."""

AGE_BAND_STARTS = list(range(0, 100, 5))
FERTILITY_BAND_STARTS = list(range(15, 50, 5))
MORTALITY_ANCHORS = [0, 1, 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 95, 100]
EMPLOYMENT_GROUPS = ["A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U"]
MIGRATION_GROUPS = [
    "unter 18 Jahre",
    "18 bis unter 25 Jahre",
    "25 bis unter 30 Jahre",
    "30 bis unter 50 Jahre",
    "50 bis unter 65 Jahre",
    "65 Jahre und mehr",
]
POPULATION_GROUPS_OF_MIGRATION = {
    "unter 18 Jahre": [
        "unter 3 Jahre",
        "3 bis unter 6 Jahre",
        "6 bis unter 10 Jahre",
        "10 bis unter 15 Jahre",
        "15 bis unter 18 Jahre",
    ],
    "18 bis unter 25 Jahre": ["18 bis unter 20 Jahre", "20 bis unter 25 Jahre"],
    "25 bis unter 30 Jahre": ["25 bis unter 30 Jahre"],
    "30 bis unter 50 Jahre": [
        "30 bis unter 35 Jahre",
        "35 bis unter 40 Jahre",
        "40 bis unter 45 Jahre",
        "45 bis unter 50 Jahre",
    ],
    "50 bis unter 65 Jahre": [
        "50 bis unter 55 Jahre",
        "55 bis unter 60 Jahre",
        "60 bis unter 65 Jahre",
    ],
    "65 Jahre und mehr": ["65 bis unter 75 Jahre", "75 Jahre und mehr"],
}

Fact = float | list[float]


def _round(value: float, digits: int | str) -> float:
    """Round to ``digits`` decimals, or to three significant digits when ``digits == "3g"``."""
    if digits == "3g":
        return float(f"{value:.3g}")
    return round(float(value), int(digits))


def _band_start(label: str) -> int:
    """Lower age of a 12411-09-01-4 band label ("unter 5 Jahre" → 0, "5 bis unter 10" → 5)."""
    if label.startswith("unter"):
        return 0
    match = re.match(r"(\d+)", label)
    if match is None:
        raise ValueError(f"unexpected age band {label!r}")
    return int(match.group(1))


def _age_bands(data: Path, year: int) -> pd.DataFrame:
    """Kreis 01051 by 5-year band (index = lower age) and sex (columns m, f)."""
    raw = json.loads(
        (data / "district_age" / f"population_by_age_sex_county_{year}.json").read_text()
    )
    bands = raw[KREIS]
    frame = pd.DataFrame(
        {_band_start(label): {"m": v["m"], "f": v["f"]} for label, v in bands.items()}
    ).T
    return frame.sort_index().astype("int64")


def _median_from_bands(totals: pd.Series) -> float:
    """Median age from 5-year band totals, linear within the band (the last band is 95–100)."""
    half = totals.sum() / 2
    cumulative = 0.0
    for start, count in totals.items():
        if cumulative + count >= half:
            return float(start) + 5.0 * (half - cumulative) / count
        cumulative += count
    raise ValueError("empty age distribution")


def age_structure(data: Path) -> dict[str, Fact]:
    """Shares of the 20 age bands × sex in the total population, 65+ / 80+ shares, median age.

    Source: Regionalstatistik 12411-09-01-4, Kreis 01051 Dithmarschen, 31.12.2020.
    """
    bands = _age_bands(data, 2020)
    total = bands.to_numpy().sum()
    both = bands.sum(axis=1)
    return {
        "band_starts": AGE_BAND_STARTS,
        "male_permille": [_round(1000 * v / total, 1) for v in bands["m"]],
        "female_permille": [_round(1000 * v / total, 1) for v in bands["f"]],
        "share_65plus": _round(both[both.index >= 65].sum() / total, 3),
        "share_80plus": _round(both[both.index >= 80].sum() / total, 3),
        "median_age": _round(_median_from_bands(both), 1),
    }


def fertility(data: Path) -> dict[str, Fact]:
    """Mean ASFR per 5-year band of the mother (per 1,000 women), TFR, mean age, boys' share.

    Sources: Destatis 12612-0008 (ASFR by single age 15–49, Germany 2022) and 12612-0001
    (live births by sex, Germany 2022). Mean age at birth = Σ (x + ½)·f(x) / Σ f(x).
    """
    asfr = pd.read_csv(data / "rates_destatis" / "destatis_12612-0008_asfr_germany_long.csv")
    asfr = asfr[asfr["year"] == 2022].copy()
    asfr["age"] = asfr["age_label"].str.extract(r"(\d+)", expand=False).astype("int64")
    rates = asfr.set_index("age")["asfr_per_1000"].sort_index()
    band_means = [rates.loc[s : s + 4].mean() for s in FERTILITY_BAND_STARTS]
    births = pd.read_csv(data / "rates_destatis" / "dashgrid_1-chart-data.csv", sep=";")
    births.columns = [c.strip().lstrip("\ufeff") for c in births.columns]
    row = births[births["Year"] == 2022].iloc[0]
    return {
        "band_starts": FERTILITY_BAND_STARTS,
        "asfr_per_1000": [_round(v, 1) for v in band_means],
        "tfr": _round(rates.sum() / 1000, 2),
        "mean_age": _round(((rates.index + 0.5) * rates).sum() / rates.sum(), 1),
        "share_male_births": _round(row["Male"] / row["Total"], 3),
    }


def mortality(data: Path) -> dict[str, Fact]:
    """Death probabilities q(x) at anchor ages and life expectancy at birth, by sex.

    Source: Destatis 12621-0001, Sterbetafel 2020/22, Germany.
    """
    table = pd.read_csv(data / "rates_destatis" / "destatis_12621-0001_lifetables_tidy.csv")
    table = table[table["period"] == "2020-2022"].set_index("age")
    return {
        "anchor_ages": MORTALITY_ANCHORS,
        "qx_male": [_round(table.loc[a, "m_qx"], "3g") for a in MORTALITY_ANCHORS],
        "qx_female": [_round(table.loc[a, "f_qx"], "3g") for a in MORTALITY_ANCHORS],
        "e0_male": _round(table.loc[0, "m_ex"], 2),
        "e0_female": _round(table.loc[0, "f_ex"], 2),
    }


def households(data: Path) -> dict[str, Fact]:
    """Shares of households by size 1…5+ (5 and 6+ merged) and persons per household.

    Sources: Zensus 2011 households by size, Kreis 01051 (via DemandRegio); persons per household
    = population 31.12.2011 (12411-09-01-4) / households.
    """
    table = pd.read_csv(
        data / "households_kreise" / "zensus2011_households_by_size_kreise_wide.csv",
        dtype={"ags_kreis": str},
    ).set_index("ags_kreis")
    row = table.loc[KREIS]
    sizes = [row["hh_1p"], row["hh_2p"], row["hh_3p"], row["hh_4p"], row["hh_5p"] + row["hh_6plus"]]
    population = _age_bands(data, 2011).to_numpy().sum()
    return {
        "shares": [_round(v / row["hh_total"], 3) for v in sizes],
        "persons_per_household": _round(population / row["hh_total"], 2),
    }


def dwellings(data: Path) -> dict[str, Fact]:
    """Shares of dwellings in residential buildings by rooms 1…7+ (of the sum of the classes).

    Source: Zensus 2011 GWZ, table 31211-12-01-4, Kreis 01051, 09.05.2011.
    """
    table = pd.read_csv(
        data / "housing_kreise" / "zensus2011_31211-12-01-4_dwellings_by_rooms_kreise.csv",
        dtype={"ags": str},
    ).set_index("ags")
    columns = [f"rooms_{k}" for k in range(1, 7)] + ["rooms_7plus"]
    counts = table.loc[KREIS, columns].astype(float)
    return {"room_shares": [_round(v / counts.sum(), 3) for v in counts]}


def employment(data: Path) -> dict[str, Fact]:
    """Shares of the 10 WZ 2008 section groups, C within B–E, and group growth 2015→2020.

    Source: Regionalstatistik 13111-07-05-4 (SV employees at the workplace), Kreis 01051,
    30.06.2015 and 30.06.2020.
    """
    table = pd.read_csv(
        data
        / "employment_wz_kreise"
        / "13111-07-05-4_svb_workplace_by_wz_kreise_2015_2020_long.csv",
        dtype={"ags": str},
    )
    kreis = table[table["ags"] == KREIS].set_index(["year", "wz_code"])["svb_total"]
    y2020 = kreis.loc[2020]
    y2015 = kreis.loc[2015]
    total = y2020[EMPLOYMENT_GROUPS].sum()
    return {
        "groups": EMPLOYMENT_GROUPS,
        "shares": [_round(y2020[g] / total, 3) for g in EMPLOYMENT_GROUPS],
        "manufacturing_share_of_b_e": _round(y2020["C"] / y2020["B-E"], 3),
        "growth_5y": [_round(y2020[g] / y2015[g], 3) for g in EMPLOYMENT_GROUPS],
    }


def labour_market(data: Path) -> dict[str, Fact]:
    """SV employees at residence per inhabitant aged 15–64, and workplace / residence ratio.

    Sources: Regionalstatistik 13111-02-02-4 and 13111-01-03-4 (30.06.2019), 12411-09-01-4
    (population 15–64, 31.12.2020; the nearest age table), Kreis 01051.
    """
    econ = data / "econ_kreise"
    residence = pd.read_csv(econ / "13111-02-02-4_svb_residence_kreise.csv", dtype={"ags": str})
    workplace = pd.read_csv(econ / "13111-01-03-4_svb_workplace_kreise.csv", dtype={"ags": str})

    def pick(frame: pd.DataFrame) -> float:
        return float(frame[(frame["ags"] == KREIS) & (frame["year"] == 2019)]["svb_total"].iloc[0])

    bands = _age_bands(data, 2020).sum(axis=1)
    working_age = bands[(bands.index >= 15) & (bands.index < 65)].sum()
    return {
        "employees_per_resident_15_64": _round(pick(residence) / working_age, 3),
        "jobs_per_resident_employee": _round(pick(workplace) / pick(residence), 3),
    }


def migration(data: Path) -> dict[str, Fact]:
    """Moves across the Kreis border per 1,000 inhabitants and in/out ratio by 6 age groups.

    Sources: Regionalstatistik 12711-04-02-4 (Zu- und Fortzüge über Kreisgrenzen, 2018) and
    12411-02-03-4 (population 31.12.2018), Kreis 01051.
    """
    folder = data / "kreise_population_migration"
    moves = pd.read_csv(
        folder / "12711-04-02-4_migration_kreise_age_sex_1995_2018_long.csv", dtype={"ags": str}
    )
    people = pd.read_csv(
        folder / "12411-02-03-4_population_kreise_17agegroups_sex_1995_2018_long.csv",
        dtype={"ags": str},
    )
    moves = moves[(moves["ags"] == KREIS) & (moves["year"] == 2018)].set_index("age_group")
    people = people[(people["ags"] == KREIS) & (people["year"] == 2018)].set_index("age_group")
    population = people.loc["Insgesamt", "pop_total"]
    group_population = {
        g: people.loc[parts, "pop_total"].sum()
        for g, parts in POPULATION_GROUPS_OF_MIGRATION.items()
    }
    return {
        "group_starts": [0, 18, 25, 30, 50, 65],
        "in_per_1000": _round(1000 * moves.loc["Insgesamt", "in_total"] / population, 1),
        "out_per_1000": _round(1000 * moves.loc["Insgesamt", "out_total"] / population, 1),
        "out_per_1000_by_group": [
            _round(1000 * moves.loc[g, "out_total"] / group_population[g], 1)
            for g in MIGRATION_GROUPS
        ],
        "in_out_ratio_by_group": [
            _round(moves.loc[g, "in_total"] / moves.loc[g, "out_total"], 2)
            for g in MIGRATION_GROUPS
        ],
    }


RECOMPUTE = {
    "age_structure": age_structure,
    "fertility": fertility,
    "mortality": mortality,
    "households": households,
    "dwellings": dwellings,
    "employment": employment,
    "labour_market": labour_market,
    "migration": migration,
}


def recompute(data: Path) -> dict[str, dict[str, Fact]]:
    """All calibration facts, recomputed from ``data`` and rounded as stored."""
    return {block: function(data) for block, function in RECOMPUTE.items()}


def load_stored() -> dict[str, Any]:
    """The stored calibration facts (``calibration.toml``)."""
    with CALIBRATION.open("rb") as handle:
        return tomllib.load(handle)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def compare(stored: dict[str, Any], recomputed: dict[str, dict[str, Fact]]) -> list[str]:
    """Mismatches between ``calibration.toml`` and the recomputed facts (empty when all agree)."""
    problems = []
    for block, facts in recomputed.items():
        for name, value in facts.items():
            have = stored.get(block, {}).get(name)
            if have is None:
                problems.append(f"{block}.{name}: missing in calibration.toml")
            elif not _equal(have, value):
                problems.append(f"{block}.{name}: stored {have}, recomputed {value}")
    return problems


LABEL_LISTS = {"band_starts", "anchor_ages", "groups", "group_starts"}
"""Facts that only name the elements of the other lists of their block."""


def _labels(block: dict[str, Fact], name: str, size: int) -> list[str]:
    """Element labels of a list fact: its block's age bands, anchor ages or groups."""
    if name in ("shares", "room_shares") and "groups" not in block:
        return [f"{k}{'+' if k == size else ''}" for k in range(1, size + 1)]
    for key in ("band_starts", "anchor_ages", "groups", "group_starts"):
        if key in block and key != name:
            values = block[key]
            assert isinstance(values, list)
            return [str(v) for v in values]
    return [str(k) for k in range(size)]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def comparison_rows(
    recomputed: dict[str, dict[str, Fact]], stored: dict[str, Any], demo: dict[str, Fact]
) -> list[tuple[str, str, str, str]]:
    """Rows (fact, recomputed, calibration.toml, demo); lists are expanded element-wise."""
    rows = []
    for block, facts in recomputed.items():
        for name, value in facts.items():
            if name in LABEL_LISTS:
                continue
            key = f"{block}.{name}"
            have = stored.get(block, {}).get(name)
            got = demo.get(key)
            if isinstance(value, list):
                for k, label in enumerate(_labels(facts, name, len(value))):
                    rows.append(
                        (
                            f"{key}[{label}]",
                            _fmt(value[k]),
                            _fmt(have[k] if isinstance(have, list) else None),
                            _fmt(got[k] if isinstance(got, list) else None),
                        )
                    )
            else:
                rows.append((key, _fmt(value), _fmt(have), _fmt(got)))
    return rows


def realised() -> dict[str, Fact]:
    """Facts realised by ``generate_demo()`` (default seed), keyed ``block.name``."""
    from regiowerk.demo import generate_demo
    from regiowerk.demo.summary import summarise

    return summarise(generate_demo())


def main() -> int:
    """Print the comparison table; return 1 when ``calibration.toml`` deviates."""
    data = default_data_dir()
    if not data.is_dir():
        print(f"Real data not found at {data} (set REGIOWERK_DATA).", file=sys.stderr)
        return 2
    recomputed = recompute(data)
    stored = load_stored()
    demo = realised()
    header = f"{'fact':48} {'recomputed':>11} {'toml':>11} {'demo 2026':>11}"
    print(header)
    print("-" * len(header))
    for fact, new, have, got in comparison_rows(recomputed, stored, demo):
        print(f"{fact:48} {new:>11} {have:>11} {got:>11}")
    print("\nStructure of the demo (seed 2026; no official counterpart):")
    for key, value in demo.items():
        if key.startswith("structure."):
            shown = ", ".join(_fmt(v) for v in value) if isinstance(value, list) else _fmt(value)
            print(f"  {key.removeprefix('structure.'):46} {shown}")
    problems = compare(stored, recomputed)
    if problems:
        print("\ncalibration.toml deviates from the data:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print("\ncalibration.toml agrees with the recomputed facts.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
