"""Derive the household calibration factors per Land and validate the household step.

Reads from the real data folder (``$REGIOWERK_DATA``, default ``../shared/data`` next to the
repository):

* ``households_kreise/zensus2011_households_by_size_kreise_wide.csv``: Zensus 2011 private
  households by size per Kreis (401 Kreise, Gebietsstand 2016–2020), via DemandRegio;
* ``district_age/population_by_age_sex_county_2011.json``: population by Kreis, sex and 5-year
  age band on 31.12.2011 (Regionalstatistik 12411-09-01-4), Göttingen 03152 + 03156 merged into
  03159 to match the household table.

Prints the calibration factors (Germany and per Land; stored in the ``[calibration]`` section of
``src/regiowerk/housing/defaults.toml``), the exact reproduction check and the 5-fold
out-of-sample errors of the age model against the naive benchmark
(:mod:`regiowerk.housing.validation`). Exits with status 1 when the stored factors differ from
the recomputed ones by more than rounding (3 decimals).

Usage::

    .venv/bin/python tools/housing_defaults.py            # print and check
    .venv/bin/python tools/housing_defaults.py --write    # and write the factors
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from regiowerk.fileio import atomic_write_bytes
from regiowerk.housing.households import calibrate, uncalibrated
from regiowerk.housing.parameters import housing_defaults, parse_defaults
from regiowerk.housing.validation import cross_validate, group_factors
from regiowerk.sources.base import default_data_dir

REPO = Path(__file__).resolve().parents[1]
DEFAULTS = REPO / "src" / "regiowerk" / "housing" / "defaults.toml"
SIZE_COLUMNS = ["hh_1p", "hh_2p", "hh_3p", "hh_4p"]
GOETTINGEN = ("03152", "03156", "03159")


def _band_start(label: str) -> int:
    return 0 if label.startswith("unter") else int(label.split()[0])


def kreis_inputs(folder: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Kreis keys, population ``(R, bands, 2)`` and observed households ``(R, 5)``."""
    lower = housing_defaults().band_lower
    raw = json.loads(
        (folder / "district_age" / "population_by_age_sex_county_2011.json").read_text("utf-8")
    )
    population: dict[str, np.ndarray] = {}
    for key, bands in raw.items():
        if len(key) != 5 or not bands:
            continue
        cells = np.zeros((len(lower), 2))
        for label, persons in bands.items():
            start = _band_start(label)
            if start < lower[0]:
                continue
            band = max(i for i, low in enumerate(lower) if low <= start)
            cells[band] += [persons["m"] or 0, persons["f"] or 0]
        population[key] = cells
    old, older, merged = GOETTINGEN
    if old in population and older in population:
        population[merged] = population.pop(old) + population.pop(older)
    households = pd.read_csv(
        folder / "households_kreise" / "zensus2011_households_by_size_kreise_wide.csv",
        dtype={"ags_kreis": str},
    ).set_index("ags_kreis")
    keys = sorted(set(households.index) & set(population))
    observed = np.column_stack(
        [households.loc[keys, c] for c in SIZE_COLUMNS]
        + [households.loc[keys, "hh_5p"] + households.loc[keys, "hh_6plus"]]
    ).astype(float)
    return keys, np.stack([population[k] for k in keys]), observed


def _toml_factors(factors: dict[str, np.ndarray]) -> str:
    lines = [
        "[calibration]",
        "# Factors c_k (household sizes 1, 2, 3, 4, 5+) that scale the prior profiles to the",
        "# Zensus 2011 households by size (DemandRegio extract, 401 Kreise) given the population",
        "# by age on 31.12.2011 (Regionalstatistik 12411-09-01-4); written by",
        "# tools/housing_defaults.py. Used where a workspace has no households by size.",
        'source = "Zensus 2011 (Haushalte nach Größe je Kreis); Regionalstatistik 12411-09-01-4"',
        "",
        "[calibration.factors]",
    ]
    for key, values in factors.items():
        lines.append(f'"{key}" = [{", ".join(f"{v:.3f}" for v in values)}]')
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write into {DEFAULTS.name}")
    parser.add_argument("--data", type=Path, default=None, help="real data folder")
    args = parser.parse_args(argv)
    folder = args.data or default_data_dir()
    keys, population, observed = kreis_inputs(folder)
    defaults = housing_defaults()
    lands = np.array([k[:2] for k in keys])
    factors = group_factors(population, observed, lands, defaults)
    print(f"Kreise: {len(keys)}; Haushalte Zensus 2011: {observed.sum():,.0f}")
    print("Faktoren (Größe 1, 2, 3, 4, 5+):")
    for key, values in factors.items():
        print(f"  {key}: " + " ".join(f"{v:.3f}" for v in values))

    calibration = calibrate(
        uncalibrated(population[None], defaults)[0], observed, tuple(keys), defaults, "Zensus 2011"
    )
    reproduced = (uncalibrated(population[None], defaults)[0].sum(-1)) * calibration.factors
    worst = float(np.abs(reproduced - observed).max())
    print(f"Kalibrierung je Kreis: größte Abweichung zu den Zensus-Haushalten {worst:.2e}")

    summary = cross_validate(population, observed, keys, defaults, groups=lands).summary()
    print("5-fach-Kreuzvalidierung, MAPE in % (Größe 0 = alle Haushalte):")
    print(summary.round(2).to_string())

    text = DEFAULTS.read_text("utf-8")
    stored = parse_defaults(tomllib.loads(text)).land_factors
    block = _toml_factors(factors)
    if args.write:
        head = re.split(r"\n\[calibration\]\n", text)[0].rstrip("\n")
        atomic_write_bytes(DEFAULTS, (head + "\n\n" + block).encode("utf-8"))
        print(f"geschrieben: {DEFAULTS}")
        return 0
    differs = set(stored) != set(factors) or any(
        not np.allclose(stored[k], np.round(v, 3), atol=5e-4) for k, v in factors.items()
    )
    if differs:
        print(f"{DEFAULTS.name}: gespeicherte Faktoren weichen ab (--write schreibt sie).")
        return 1
    print(f"{DEFAULTS.name}: gespeicherte Faktoren stimmen.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
