"""Shift-share and location quotients for the Kreise of the Region der Mitte (issue 7).

Data (``shared/data``, never copied into the repository):

* ``employment_wz_kreise/``: Regionalstatistik 13111-07-05-4, SV employees at the workplace by
  WZ 2008 section group per Kreis, 30.06.2015–2020. The ten non-overlapping groups A, B-E, F,
  G-I, J, K, L, M-N, O-Q, R-U (chosen by :func:`regiowerk.economy.run.sector_partition` from
  the 13 published codes). Kreis keys of the day: Göttingen is 03152 + 03156 in 2015/2016 and
  03159 from 2017 (summed to 03159 here; a suppressed part makes the sum suppressed); keys that
  are 0 in every year (old keys) are dropped; Hamburg and Berlin appear only as Länder 02/11
  and become 02000/11000. Suppressed cells (``.`` → NaN) stay missing.
* ``ba_employment/employees_by_workplace.parquet``: BA employees subject to social insurance at
  the workplace by Kreis × KldB 2010 occupational group (3-digit), latest year; names from
  ``occupational_group_codes.parquet`` and ``region_codes.parquet``. Reference: the sum of all
  Kreise (cells known there).

Printed per Kreis of the Region der Mitte (Kassel Stadt 06611 and Land 06633, Höxter 05762,
Göttingen 03159, Northeim 03155, Waldeck-Frankenberg 06635, Werra-Meißner 06636):

1. classic shift-share 2015 → 2020 (reference Germany = the ``DG`` rows; the sum of all Kreise
   as a variant) with the largest deviation of ``N + M + C`` from the change, and the dynamic
   shift-share (year-to-year steps 2015–2020 summed);
2. the LQs of each Kreis's three largest sectors in 2020, its Krugman index (without ½) and HHI;
3. the occupational groups with the highest LQ (at least ``MIN_PERSONS`` employees) from BA.

Usage::

    .venv/bin/python tools/economy_mitte.py [--data FOLDER]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.economy import compute_economy, location_quotients
from regiowerk.economy.run import GERMANY, EconomyResult
from regiowerk.economy.shift_share import by_region
from regiowerk.sources.base import default_data_dir

MITTE = {
    "06611": "Kassel, Stadt",
    "06633": "Kassel, Landkreis",
    "05762": "Höxter",
    "03159": "Göttingen",
    "03155": "Northeim",
    "06635": "Waldeck-Frankenberg",
    "06636": "Werra-Meißner-Kreis",
}
WZ_FILE = "employment_wz_kreise/13111-07-05-4_svb_workplace_by_wz_kreise_2015_2020_long.csv"
BA_DIR = "ba_employment"
CITY_STATES = {"02": "02000", "11": "11000"}
GOETTINGEN = ("03152", "03156")
MIN_PERSONS = 300
SECTOR_NAMES = {
    "A": "Land- und Forstwirtschaft",
    "B-E": "Produzierendes Gewerbe ohne Bau",
    "F": "Baugewerbe",
    "G-I": "Handel, Verkehr, Gastgewerbe",
    "J": "Information und Kommunikation",
    "K": "Finanzen und Versicherungen",
    "L": "Grundstücks- und Wohnungswesen",
    "M-N": "Unternehmensdienstleister",
    "O-Q": "Öffentl. Verwaltung, Erziehung, Gesundheit",
    "R-U": "Sonstige Dienstleister",
}


def load_wz(folder: Path) -> pd.DataFrame:
    """``region, year, sector, persons`` for ``DG`` and the Kreise (see the module docstring)."""
    raw = pd.read_csv(folder / WZ_FILE, dtype={"ags": str})
    raw = raw[raw["wz_code"] != "TOTAL"]
    raw["ags"] = raw["ags"].replace(CITY_STATES)
    rows = raw[(raw["ags"] == GERMANY) | (raw["ags"].str.len() == 5)]
    frame = rows.rename(columns={"ags": "region", "wz_code": "sector", "svb_total": "persons"})[
        ["region", "year", "sector", "persons"]
    ]
    old = frame["region"].isin(GOETTINGEN)
    merged = (
        frame[old]
        .groupby(["year", "sector"])["persons"]
        .agg(lambda s: s.sum() if s.notna().all() else np.nan)
        .reset_index()
        .assign(region="03159")
    )
    merged = merged[merged.groupby("year")["persons"].transform("sum") > 0]  # 2015/2016 only
    frame = frame[~old]
    frame = frame[~((frame["region"] == "03159") & frame["year"].isin(merged["year"].unique()))]
    frame = pd.concat([frame, merged], ignore_index=True)
    alive = frame.groupby("region")["persons"].sum(min_count=1) > 0
    frame = frame[frame["region"].isin(alive[alive].index)]
    return frame.sort_values(["region", "year", "sector"], ignore_index=True)


def identity_error(result: EconomyResult) -> float:
    """Largest ``|N + M + C − ΔE|`` over all cells and the year-to-year steps."""
    frames = [result.classic.frame] + ([result.annual.frame] if result.annual else [])
    return max(
        float((f["national"] + f["industry_mix"] + f["competitive"] - f["total"]).abs().max())
        for f in frames
    )


def wz_results(frame: pd.DataFrame) -> tuple[EconomyResult, EconomyResult]:
    """Shift-share 2015 → 2020 of all Kreise against Germany and against the sum of Kreise."""
    germany = compute_economy(frame, 2015, 2020, reference="germany")
    kreise = compute_economy(frame, 2015, 2020, reference="regions")
    return germany, kreise


def load_ba(folder: Path) -> tuple[pd.DataFrame, int, dict[str, str]]:
    """BA employees (Kreise × occupational groups) in the latest year, and the group names."""
    raw = pd.read_parquet(folder / BA_DIR / "employees_by_workplace.parquet")
    rows = raw[(raw["type"] == "social insurance") & (raw["group"] == "total")]
    year = int(rows["year"].max())
    rows = rows[(rows["year"] == year) & rows["occupational_group"].notna()]  # w/o "ohne Angabe"
    matrix = rows.pivot_table(
        index="region", columns="occupational_group", values="n", aggfunc="first", dropna=False
    )
    codes = pd.read_parquet(folder / BA_DIR / "occupational_group_codes.parquet")
    return matrix.astype(float), year, dict(zip(codes["code"], codes["name"], strict=True))


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _f(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="data folder (shared/data)")
    args = parser.parse_args(argv)
    folder = args.data or default_data_dir()
    if not (folder / WZ_FILE).is_file():
        print(f"Datenordner nicht gefunden: {folder / WZ_FILE} (--data angeben).", file=sys.stderr)
        return 2
    frame = load_wz(folder)
    germany, kreise = wz_results(frame)
    kreis_count = frame.loc[frame["region"] != GERMANY, "region"].nunique()
    print(f"== Shift-Share 2015 → 2020, 13111-07-05-4, {kreis_count} Kreise ==")
    print(f"Wirtschaftszweige: {', '.join(germany.sectors)}")
    for note in germany.notes:
        print(f"Hinweis: {note}")
    print(
        f"Identität N + M + C = ΔE: größte Abweichung {identity_error(germany):.2e} "
        f"(Referenz Deutschland), {identity_error(kreise):.2e} (Summe der Kreise)"
    )
    ref = germany.reference_end
    print(f"Deutschland (DG, 10 Gruppen) 2020: {_n(ref.sum())}")
    header = (
        f"{'Kreis':<22}{'2015':>9}{'2020':>9}{'ΔE':>8}{'N':>8}{'M':>8}{'C':>8}"
        f"{'C (Kreise)':>11}{'C dyn.':>8}"
    )
    print("\nKlassisch (Referenz Deutschland), C auch gegen die Summe der Kreise und dynamisch:")
    print(header)
    classic = by_region(germany.classic.frame)
    versus_kreise = by_region(kreise.classic.frame)
    dynamic = germany.dynamic
    assert dynamic is not None
    dyn = dynamic.groupby("region")[["national", "industry_mix", "competitive", "total"]].sum()
    mitte = list(MITTE)
    for code in [*mitte, "Mitte"]:
        if code == "Mitte":
            row = classic.loc[mitte].sum()
            c_k = versus_kreise.loc[mitte, "competitive"].sum()
            c_d = dyn.loc[mitte, "competitive"].sum()
            name = "Region der Mitte"
        else:
            row, c_k, c_d = (
                classic.loc[code],
                versus_kreise.loc[code, "competitive"],
                dyn.loc[code, "competitive"],
            )
            name = MITTE[code]
        print(
            f"{name:<22}{_n(row['start']):>9}{_n(row['end']):>9}{_n(row['total']):>8}"
            f"{_n(row['national']):>8}{_n(row['industry_mix']):>8}{_n(row['competitive']):>8}"
            f"{_n(c_k):>11}{_n(c_d):>8}"
        )
    print("\n== Struktur 2020 (Referenz Deutschland): Krugman (ohne ½), HHI, LQ der 3 größten ==")
    last = germany.classic.frame.pivot_table(
        index="region", columns="sector", values="end", aggfunc="sum"
    ).reindex(columns=germany.sectors)
    lq = location_quotients(last, ref)
    for code in mitte:
        s = germany.structure.loc[code]
        largest = last.loc[code].sort_values(ascending=False).index[:3]
        parts = ", ".join(f"{sec} {_f(lq.loc[code, sec])}" for sec in largest)
        print(f"{MITTE[code]:<22} K = {_f(s['krugman'], 3)}  HHI = {_f(s['hhi'], 3)}  LQ: {parts}")
    weights = last.sum(axis=1)
    mean = (lq.mul(weights, axis=0)).sum() / weights.sum()
    print(
        "Beschäftigtengewichtetes Mittel der LQ über alle Kreise je Wirtschaftszweig: "
        + ", ".join(f"{s} {_f(v, 4)}" for s, v in mean.items())
    )
    hoover = germany.hoover
    print(
        "Hoover (Kreise + Rest Deutschlands): "
        + ", ".join(f"{s} {_f(v, 3)}" for s, v in hoover.items())
    )
    matrix, year, names = load_ba(folder)
    print(
        f"\n== Berufsgruppen (KldB 2010, BA, {year}): höchste LQ ab {MIN_PERSONS} Beschäftigten =="
    )
    suppressed = int(matrix.isna().sum().sum())
    print(
        f"{matrix.shape[0]} Kreise × {matrix.shape[1]} Berufsgruppen, {suppressed} gesperrte "
        f"Zellen (nicht als 0 gezählt); Referenz: Summe der Kreise"
    )
    occupation_lq = location_quotients(matrix)
    for code in mitte:
        row = occupation_lq.loc[code]
        big = matrix.loc[code] >= MIN_PERSONS
        top = row[big].sort_values(ascending=False).index[:3]
        parts = "; ".join(f"{names.get(g, g)} ({g}) {_f(row[g])}" for g in top)
        print(f"{MITTE[code]:<22} {parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
