"""Validation of Hamilton–Perry on the Kreis stocks of Regionalstatistik 12411-09-01-4.

Data: ``population_by_age_sex_county_<year>.json`` (20 five-year bands × sex per Kreis,
31.12.; see the README of ``shared/data/district_age``). Only five-digit keys with complete
data are used (the eight-digit keys are parts of Kreise), and Göttingen 03152 + 03156 is merged
into 03159 (2016 boundaries). Years up to 2021 are on the Zensus-2011 basis, later years on the
Zensus-2022 basis; the two are never mixed in one validation.

Method (:func:`hamilton_perry_kreise`)
--------------------------------------
Hamilton–Perry needs bands as wide as the base interval, here 2011 → 2014, i.e. three years.

1. The five-year bands of every Kreis, sex and year are split into single years 0 … 100
   (:func:`~regiowerk.demography.agesplit.split_frame`; monotone spline, open band 95+ split by
   the geometric rule up to the open age 100).
2. The single years are regrouped into three-year bands 0–2, 3–5, …, 96–98 and the open band
   99+ (:func:`regroup`; band totals exact).
3. Hamilton–Perry is fitted on 2011 and 2014 and projected from the launch year 2014 in steps
   of three years: 2017 is one step, 2020 two steps.
4. The projected bands are split into single years again (monotone spline, open band 99+ by
   the geometric rule) and summed to the groups total, 0–17, 18–64 and 65+. Because 18 is a
   three-year boundary, the total and 0–17 are exact sums of projected bands; only the band
   63–65 is cut at 65 by the spline (its share at 65 moves between 18–64 and 65+). The
   observed groups come from the single-year split of the observed five-year bands, as in the
   cohort-component validation (there 65 is a band edge and only 15–19 is cut at 18).
5. Errors per Kreis: ``100 · (projected − observed) / observed``; MAPE is the mean absolute,
   MALPE the mean signed error over the Kreise (:func:`summarise_errors`).

Child–woman ratio with three-year bands: the women are those in the bands starting at
15 … 48, i.e. 15–50 (``HamiltonPerry`` counts the bands starting at 15 … 49); fit and
projection use the same bands.

Reference: cohort-component model on the same Kreise (401, base 31.12.2014, rates of 2012–14,
no tuning; ``tests/demography/test_ccm.py``, quoted from ``docs/demography.md``), MAPE / MALPE
in %: 2017 total 1.31 / −1.21, 0–17 4.35 / −4.23, 18–64 0.97 / −0.65, 65+ 0.61 / −0.51;
2020 total 1.77 / −1.20, 0–17 6.50 / −5.67, 18–64 1.46 / −0.22, 65+ 0.93 / −0.55
(:data:`CCM_KREISE_2014`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from regiowerk.demography.agesplit import split_bands, split_frame
from regiowerk.demography.hamilton_perry import HamiltonPerry
from regiowerk.errors import RegiowerkError
from regiowerk.schema import MAX_AGE, SEXES

MERGED = {"03152": "03159", "03156": "03159"}
"""Göttingen and Osterode am Harz, merged into Göttingen 03159 in 2016."""

GROUPS = {"total": (0, MAX_AGE), "0-17": (0, 17), "18-64": (18, 64), "65+": (65, MAX_AGE)}
"""Age groups of the error table (inclusive)."""

CCM_KREISE_2014: dict[tuple[int, str], tuple[float, float]] = {
    (2017, "total"): (1.31, -1.21),
    (2017, "0-17"): (4.35, -4.23),
    (2017, "18-64"): (0.97, -0.65),
    (2017, "65+"): (0.61, -0.51),
    (2020, "total"): (1.77, -1.20),
    (2020, "0-17"): (6.50, -5.67),
    (2020, "18-64"): (1.46, -0.22),
    (2020, "65+"): (0.93, -0.55),
}
"""(MAPE, MALPE) in % of the cohort-component model, Kreise, base 2014 (docs/demography.md)."""

ZENSUS_2022_FROM = 2022
"""First year on the Zensus-2022 basis; earlier years are on the Zensus-2011 basis."""

_LABEL = re.compile(r"^(?:unter (\d+)|(\d+) bis unter (\d+)|(\d+) und mehr) Jahre$")


class ValidationDataError(RegiowerkError, ValueError):
    """Stocks that cannot be used for the validation."""


def _band(label: str) -> tuple[int, int]:
    """``age_from, age_to`` of a German band label ("5 bis unter 10 Jahre" → 5, 9)."""
    match = _LABEL.match(label.replace("Jahre und mehr", "und mehr Jahre"))
    if match is None:
        raise ValidationDataError(f"Altersgruppe „{label}“ nicht lesbar.")
    below, lo, hi, open_lo = match.groups()
    if below is not None:
        return 0, int(below) - 1
    if open_lo is not None:
        return int(open_lo), MAX_AGE
    return int(lo), int(hi) - 1


def read_district_age(folder: Path, year: int) -> pd.DataFrame:
    """Five-year bands per Kreis: ``region, year, sex, age_from, age_to, persons``.

    Only five-digit keys whose bands are all present; Göttingen merged (:data:`MERGED`).
    """
    path = Path(folder) / f"population_by_age_sex_county_{year}.json"
    if not path.is_file():
        raise ValidationDataError(f"Datei {path} fehlt.")
    data = json.loads(path.read_text("utf-8"))
    rows: list[tuple[str, int, str, int, int, float]] = []
    for key, bands in data.items():
        if len(key) != 5 or not bands:
            continue
        if any(cell is None or cell.get(s) is None for cell in bands.values() for s in SEXES):
            continue
        for label, cell in bands.items():
            lo, hi = _band(label)
            rows.extend((MERGED.get(key, key), year, s, lo, hi, float(cell[s])) for s in SEXES)
    frame = pd.DataFrame(rows, columns=["region", "year", "sex", "age_from", "age_to", "persons"])
    keys = ["region", "year", "sex", "age_from", "age_to"]
    return frame.groupby(keys)["persons"].sum().reset_index()


def single_years(bands: pd.DataFrame, regions: Sequence[str]) -> NDArray[np.float64]:
    """Single years ``region × sex × age`` (ages 0 … MAX_AGE) from the bands of one year."""
    long = split_frame(bands, "persons", ["region", "sex"], open_age=MAX_AGE)
    wide = long.pivot_table(index="region", columns=["sex", "age"], values="persons")
    columns = pd.MultiIndex.from_product([list(SEXES), range(MAX_AGE + 1)])
    wide = wide.reindex(index=list(regions), columns=columns)
    if wide.isna().to_numpy().any():
        raise ValidationDataError("Einzelalter: Regionen oder Altersjahre fehlen (Spalte persons).")
    return wide.to_numpy(dtype=float).reshape(len(regions), len(SEXES), MAX_AGE + 1)


def regroup(
    single: NDArray[np.float64], width: int
) -> tuple[NDArray[np.float64], list[int], list[int]]:
    """Sum single years 0 … MAX_AGE (last axis) into bands ``0 … width − 1``, ….

    The bands start at ``0, width, …`` below MAX_AGE; the last one runs to the open age
    MAX_AGE (width 3: 0–2, …, 96–98, 99–100; width 5: …, 95–100). Returns the band counts and
    the lower and upper ages.
    """
    values = np.asarray(single, dtype=float)
    if values.shape[-1] != MAX_AGE + 1 or not 1 <= width < MAX_AGE:
        raise ValidationDataError(
            f"Neugruppierung: erwartet {MAX_AGE + 1} Einzelalter und Breite 1 bis "
            f"{MAX_AGE - 1}, erhalten {values.shape[-1]} und {width}."
        )
    lower = list(range(0, MAX_AGE, width))
    upper = [*(a - 1 for a in lower[1:]), MAX_AGE]
    return np.add.reduceat(values, lower, axis=-1), lower, upper


def hamilton_perry_kreise(
    bands_by_year: Mapping[int, pd.DataFrame],
    base_years: tuple[int, int] = (2011, 2014),
    targets: Sequence[int] = (2017, 2020),
) -> pd.DataFrame:
    """Errors of Hamilton–Perry per Kreis, target and age group (method: module docstring).

    ``bands_by_year`` maps years to band tables as from :func:`read_district_age`. Kreise
    missing in a base year are left out; a target covers the Kreise it has data for. Returns
    ``region, target, group, observed, projected, error`` (error in % of observed).
    """
    earlier_year, later_year = base_years
    width = later_year - earlier_year
    years = [earlier_year, later_year, *targets]
    if width < 1 or any((t - later_year) % width or t <= later_year for t in targets):
        raise ValidationDataError(
            f"Zieljahre {list(targets)} müssen Vielfache von {width} Jahren nach {later_year} "
            "liegen."
        )
    if min(years) < ZENSUS_2022_FROM <= max(years):
        raise ValidationDataError(
            f"Jahre {years} mischen Zensus-2011- und Zensus-2022-Basis; nicht vergleichbar."
        )
    missing = [y for y in years if y not in bands_by_year]
    if missing:
        raise ValidationDataError(f"Bestände für die Jahre {missing} fehlen.")
    base = [set(bands_by_year[y]["region"]) for y in base_years]
    regions = sorted(base[0] & base[1])
    stocks = [regroup(single_years(bands_by_year[y], regions), width) for y in base_years]
    (earlier, lower, upper), (later, _, _) = stocks
    model = HamiltonPerry.from_arrays(
        earlier,
        later,
        ages=np.asarray(lower),
        year=later_year,
        regions=pd.Index(regions, name="region"),
    )
    projected = model.project_arrays(max((t - later_year) // width for t in targets))
    frames = []
    for target in targets:
        present = sorted(set(bands_by_year[target]["region"]) & set(regions))
        rows = np.searchsorted(regions, present)
        step = (target - later_year) // width - 1
        pred = split_bands(projected[step][rows], lower, upper, open_last=True)
        obs = single_years(bands_by_year[target], present)
        for group, (lo, hi) in GROUPS.items():
            o = obs[..., lo : hi + 1].sum(axis=(1, 2))
            p = pred[..., lo : hi + 1].sum(axis=(1, 2))
            frames.append(
                pd.DataFrame(
                    {
                        "region": present,
                        "target": target,
                        "group": group,
                        "observed": o,
                        "projected": p,
                        "error": 100 * (p - o) / o,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def summarise_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """``n``, MAPE and MALPE (in %) per target and group of :func:`hamilton_perry_kreise`."""
    grouped = errors.groupby(["target", "group"], sort=False)["error"]
    return pd.DataFrame(
        {
            "n": grouped.size(),
            "MAPE": grouped.apply(lambda e: float(e.abs().mean())),
            "MALPE": grouped.mean(),
        }
    )


def format_table(summary: pd.DataFrame) -> str:
    """Text table of :func:`summarise_errors` next to the CCM figures (:data:`CCM_KREISE_2014`)."""
    lines = ["target group      n  HP MAPE  HP MALPE  CCM MAPE  CCM MALPE"]
    for key, row in summary.iterrows():
        target, group = int(key[0]), str(key[1])  # type: ignore[index]
        ccm = CCM_KREISE_2014.get((target, group))
        ref = f"{ccm[0]:8.2f}  {ccm[1]:+9.2f}" if ccm else f"{'–':>8}  {'–':>9}"
        lines.append(
            f"{target:>6} {group:<6} {int(row['n']):>4} {row['MAPE']:8.2f} "
            f"{row['MALPE']:+9.2f}  {ref}"
        )
    return "\n".join(lines)
