"""Static measures of economic structure on an employment matrix (regions × sectors).

All functions take a :class:`pandas.DataFrame` ``E`` with one row per region and one column per
sector (employees, non-negative; ``NaN`` = suppressed or unknown cell) and, where a reference
economy enters, ``reference``: employees by sector of the reference economy (e.g. Germany, the
``DG`` rows of Regionalstatistik tables). Without ``reference`` the reference economy is the sum
of the regions of ``E`` (the "region of the input").

Notation: ``E_rs`` employees of region ``r`` in sector ``s``; ``E_r = Σ_s E_rs``;
``E_s`` employees of sector ``s`` in the reference economy; ``E = Σ_s E_s``;
shares ``e_rs = E_rs / E_r`` and ``e_s = E_s / E``.

* **Location quotient** (Florence 1939; e.g. Isard 1960, *Methods of Regional Analysis*):
  ``LQ_rs = (E_rs / E_r) / (E_s / E)``. ``LQ > 1``: the sector is over-represented in the
  region. With the input as reference, the employment-weighted mean of ``LQ_rs`` over the
  regions is exactly 1 for every sector (``Σ_r E_r LQ_rs / Σ_r E_r = 1``).
* **Krugman specialisation index** (Krugman 1991, *Geography and Trade*, MIT Press, ch. 3 and
  app. D): ``K_r = Σ_s |e_rs − e_s|``, **without** the factor ½ (range 0 … 2; 0 = the same
  structure as the reference, 2 = no sector in common). ``half=True`` gives the dissimilarity
  index ``½ Σ_s |e_rs − e_s|`` (0 … 1).
* **Hoover localisation coefficient** (Hoover 1936, "The measurement of industrial
  localization", *Review of Economics and Statistics* 18(4), 162–171):
  ``H_s = ½ Σ_r |E_rs / E_s − E_r / E|`` over the regions of the input (0 = the sector is
  distributed like all employment, → 1 = concentrated in a region with little employment).
  With a national ``reference`` the rest of the reference economy (reference − Σ regions) is
  counted as one further region, so that the shares sum to one; missing cells of the regions
  are then part of this rest (their employees are in the reference, not in the known cells).
* **Herfindahl–Hirschman index** of the sector structure of a region (Herfindahl 1950,
  Hirschman 1945): ``HHI_r = Σ_s e_rs²`` (range ``1/S`` … 1 for ``S`` sectors; 1 = all
  employment in one sector).

Missing cells: a region with a ``NaN`` cell has ``NaN`` for that cell's LQ and ``NaN`` Krugman
and HHI (its shares cannot be known); its region total ``E_r`` is the sum of its known cells
unless ``totals`` gives it. Without a reference, a sector with a ``NaN`` cell has a ``NaN``
Hoover coefficient. Never is a missing cell read as zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regiowerk.errors import RegiowerkError


class EconomyError(RegiowerkError):
    """The economic structure cannot be computed from this input (message in German)."""


def check_matrix(matrix: pd.DataFrame, what: str = "Beschäftigte") -> pd.DataFrame:
    """``matrix`` as float; a negative cell is an error naming region and sector."""
    values = matrix.astype(float)
    negative = np.argwhere((values.to_numpy() < 0) & ~np.isnan(values.to_numpy()))
    if len(negative):
        i, j = negative[0]
        value = float(values.to_numpy()[i, j])
        region, sector = str(values.index[i]), str(values.columns[j])
        raise EconomyError(
            f"{what}: negativer Wert {value:g} für Region {region}, "
            f"Wirtschaftszweig {sector} ({len(negative)} negative Werte insgesamt)."
        )
    return values


def check_reference(matrix: pd.DataFrame, reference: pd.Series | None) -> pd.Series:
    """Sector totals of the reference economy, aligned to the columns of ``matrix``.

    Without ``reference``: the column sums of ``matrix`` (known cells). Sectors of ``matrix``
    missing in ``reference`` (or vice versa) are an error, as are negative or missing values.
    """
    if reference is None:
        return matrix.sum(axis=0, skipna=True).astype(float)
    unknown = [s for s in matrix.columns if s not in reference.index]
    extra = [s for s in reference.index if s not in matrix.columns]
    if unknown or extra:
        parts = []
        if unknown:
            parts.append(f"nicht in der Referenz: {', '.join(map(str, unknown))}")
        if extra:
            parts.append(f"nur in der Referenz: {', '.join(map(str, extra))}")
        raise EconomyError(
            "Wirtschaftszweige der Regionen und der Referenz passen nicht zusammen ("
            + "; ".join(parts)
            + ")."
        )
    aligned = reference.reindex(matrix.columns).astype(float)
    bad = aligned[aligned.isna() | (aligned < 0)]
    if len(bad):
        raise EconomyError(
            f"Referenz: Beschäftigte fehlen oder sind negativ für {', '.join(map(str, bad.index))}."
        )
    return aligned


def location_quotients(
    matrix: pd.DataFrame,
    reference: pd.Series | None = None,
    *,
    totals: pd.Series | None = None,
) -> pd.DataFrame:
    """``LQ_rs = (E_rs / E_r) / (E_s / E)`` (see the module docstring).

    ``totals``: region totals ``E_r`` (e.g. the published "insgesamt" row) instead of the sum of
    the region's known cells. Cells of regions without employment and sectors without
    employment in the reference are ``NaN``.
    """
    values = check_matrix(matrix)
    ref = check_reference(values, reference)
    region_total = (
        totals.reindex(values.index).astype(float)
        if totals is not None
        else values.sum(axis=1, skipna=True)
    )
    share = values.div(region_total.where(region_total > 0), axis=0)
    ref_share = ref / ref.sum() if ref.sum() > 0 else ref * np.nan
    return share.div(ref_share.where(ref_share > 0), axis=1)


def _shares(values: pd.DataFrame) -> pd.DataFrame:
    """Sector shares per region; ``NaN`` rows for regions with a missing cell or no employment."""
    total = values.sum(axis=1, skipna=False)
    return values.div(total.where(total > 0), axis=0)


def krugman(
    matrix: pd.DataFrame, reference: pd.Series | None = None, *, half: bool = False
) -> pd.Series:
    """``K_r = Σ_s |e_rs − e_s|`` (with ``half``: ``½ Σ_s …``), see the module docstring."""
    values = check_matrix(matrix)
    ref = check_reference(values, reference)
    ref_share = ref / ref.sum()
    index = _shares(values).sub(ref_share, axis=1).abs().sum(axis=1, skipna=False)
    return (index / 2 if half else index).rename("krugman")


def herfindahl(matrix: pd.DataFrame) -> pd.Series:
    """``HHI_r = Σ_s e_rs²`` (see the module docstring)."""
    values = check_matrix(matrix)
    return (_shares(values) ** 2).sum(axis=1, skipna=False).rename("hhi")


def hoover(matrix: pd.DataFrame, reference: pd.Series | None = None) -> pd.Series:
    """``H_s = ½ Σ_r |E_rs / E_s − E_r / E|`` (see the module docstring)."""
    values = check_matrix(matrix)
    if reference is not None:
        ref = check_reference(values, reference)
        rest = ref - values.sum(axis=0, skipna=True)
        if (rest < -1e-6 * (1 + ref.abs())).any():
            worst = str(rest.idxmin())
            raise EconomyError(
                f"Die Regionen haben im Wirtschaftszweig {worst} mehr Beschäftigte "
                f"({values[worst].sum():g}) als die Referenz ({ref[worst]:g})."
            )
        # missing cells belong to the rest of the reference economy (their employment is in
        # the reference but not in the known cells of the regions)
        values = pd.concat([values.fillna(0.0), rest.clip(lower=0).to_frame("_rest").T])
    sector_total = values.sum(axis=0, skipna=False)
    region_total = values.sum(axis=1, skipna=True)
    all_total = float(region_total.sum())
    sector_share = values.div(sector_total.where(sector_total > 0), axis=1)
    region_share = region_total / all_total if all_total > 0 else region_total * np.nan
    diff = sector_share.sub(region_share, axis=0).abs()
    return (0.5 * diff.sum(axis=0, skipna=False)).rename("hoover")


def structure_summary(matrix: pd.DataFrame, reference: pd.Series | None = None) -> pd.DataFrame:
    """Per region: employees, Krugman index, HHI and the sector with the highest LQ."""
    values = check_matrix(matrix)
    lq = location_quotients(values, reference)
    known = lq.notna().any(axis=1)
    top = pd.Series(None, index=lq.index, dtype=object, name="top_sector")
    top[known] = lq[known].idxmax(axis=1, skipna=True).astype(str)
    return pd.DataFrame(
        {
            "employees": values.sum(axis=1, skipna=True),
            "krugman": krugman(values, reference),
            "hhi": herfindahl(values),
            "top_sector": top,
            "top_lq": lq.max(axis=1, skipna=True),
        }
    )
