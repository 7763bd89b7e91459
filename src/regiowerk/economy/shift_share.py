"""Shift-share analysis of employment change: classic (Dunn 1960) and dynamic (Barff & Knight
1988).

Notation: ``E⁰_rs``, ``E¹_rs`` employees of region ``r`` in sector ``s`` at the start and the
end of a period; ``R⁰_s``, ``R¹_s`` those of the reference economy (e.g. Germany); growth rates
``g = ΣR¹/ΣR⁰ − 1`` (reference, all sectors), ``g_s = R¹_s/R⁰_s − 1`` (reference, sector),
``g_rs = E¹_rs/E⁰_rs − 1`` (region, sector).

**Classic shift-share** (Dunn 1960, "A statistical and analytical technique for regional
analysis", *Papers of the Regional Science Association* 6, 97–112)::

    national      N_rs = E⁰_rs · g
    industry mix  M_rs = E⁰_rs · (g_s − g)
    competitive   C_rs = E⁰_rs · (g_rs − g_s)
    N_rs + M_rs + C_rs = E¹_rs − E⁰_rs = ΔE_rs

``C`` is computed as ``ΔE − (N + M)``, which equals ``E⁰ (g_rs − g_s)`` algebraically and makes
the identity close to the last bit of floating point (no division by ``E⁰_rs``).

**Zero employment at the start** (``E⁰_rs = 0``): ``g_rs`` is undefined; we define
``g_rs · E⁰_rs := ΔE_rs`` so that ``N = M = 0`` and the whole change (the new jobs ``E¹_rs``) is
competitive. A reference sector without employment at the start (``R⁰_s = 0``) makes ``g_s``
undefined: allowed only where every region has ``E⁰_rs = 0`` in it (then ``M = 0``), else an
error; likewise a reference without any employment at the start (then ``g := 0``).

**Dynamic shift-share** (Barff & Knight 1988, "Dynamic shift-share analysis", *Growth and
Change* 19(2), 1–10): the classic decomposition for every year-to-year step
``t → t + 1`` with the employment of year ``t`` as base, and the components summed over the
period. Since ``Σ_t ΔE_rs(t) = E^end_rs − E^start_rs`` (telescoping), the identity holds for the
sums too; the dynamic components follow changes of the sector mix within the period.

**Suppressed or missing cells** are never read as zero: a cell (region, sector) whose value is
missing in any year used is *excluded* from the decomposition (no row), and the number of
excluded cells is returned in :attr:`ShiftShare.excluded` (and in the notes). Without an
explicit reference, the reference economy is the sum of the regions over the cells kept, so
that start and end refer to the same cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regiowerk.economy.structure import EconomyError, check_matrix, check_reference
from regiowerk.formatting import fmt_int

COMPONENTS = ("national", "industry_mix", "competitive")
"""Column names of the components; their sum is ``total``."""
COMPONENT_LABELS = {
    "national": "Konjunkturkomponente",
    "industry_mix": "Strukturkomponente",
    "competitive": "Standortkomponente",
    "total": "Veränderung",
}


@dataclass
class ShiftShare:
    """Components per region and sector (long) and what was left out."""

    frame: pd.DataFrame
    """``region, sector, start_year, end_year, start, end, national, industry_mix,
    competitive, total``"""
    excluded: list[tuple[str, str]] = field(default_factory=list)
    """Cells (region, sector) left out because a value is missing."""
    notes: list[str] = field(default_factory=list)


def _align(
    matrices: Mapping[int, pd.DataFrame],
) -> tuple[list[int], list[str], list[str], np.ndarray]:
    """Years, regions, sectors and the stacked values ``(T, R, S)``; the same regions and
    sectors in every year or an error naming the difference."""
    years = sorted(matrices)
    if len(years) < 2:
        raise EconomyError("Für eine Shift-Share-Analyse werden mindestens zwei Jahre gebraucht.")
    first = _labelled(check_matrix(matrices[years[0]], f"Beschäftigte {years[0]}"))
    regions, sectors = [str(r) for r in first.index], [str(s) for s in first.columns]
    if len(set(regions)) != len(regions) or len(set(sectors)) != len(sectors):
        raise EconomyError("Regionen oder Wirtschaftszweige kommen doppelt vor.")
    stack = [first.to_numpy()]
    for year in years[1:]:
        values = _labelled(check_matrix(matrices[year], f"Beschäftigte {year}"))
        here_r, here_s = [str(r) for r in values.index], [str(s) for s in values.columns]
        for kind, want, have in (
            ("Region", regions, here_r),
            ("Wirtschaftszweig", sectors, here_s),
        ):
            gone = [x for x in want if x not in set(have)]
            new = [x for x in have if x not in set(want)]
            if gone or new:
                parts = []
                if gone:
                    parts.append(f"{kind} fehlt im Jahr {year}: {', '.join(gone[:5])}")
                if new:
                    parts.append(
                        f"{kind} nur im Jahr {year}, nicht im Jahr {years[0]}: {', '.join(new[:5])}"
                    )
                raise EconomyError(
                    "; ".join(parts)
                    + ". Gebietsstand und Wirtschaftszweige müssen in allen Jahren gleich sein "
                    "(Gebietsänderungen vorher umschlüsseln)."
                )
        stack.append(values.loc[first.index, first.columns].to_numpy())
    return years, regions, sectors, np.stack(stack)


def _labelled(matrix: pd.DataFrame) -> pd.DataFrame:
    """``matrix`` with string labels (regions and sectors are keys, not numbers)."""
    return matrix.set_axis([str(r) for r in matrix.index], axis=0).set_axis(
        [str(s) for s in matrix.columns], axis=1
    )


def _reference(
    references: Mapping[int, pd.Series] | None,
    years: list[int],
    sectors: list[str],
    values: np.ndarray,
    keep: np.ndarray,
) -> np.ndarray:
    """Reference employment ``(T, S)``: given, or the sum of the kept cells of the regions."""
    if references is None:
        return np.where(keep[None], values, 0.0).sum(axis=1)
    rows = []
    template = pd.DataFrame(columns=sectors, dtype=float)
    for year in years:
        if year not in references:
            raise EconomyError(f"Die Referenz hat keine Werte für das Jahr {year}.")
        given = references[year]
        given = given.set_axis([str(s) for s in given.index])
        rows.append(check_reference(template, given).to_numpy())
    return np.stack(rows)


def _step(
    e0: np.ndarray, e1: np.ndarray, r0: np.ndarray, r1: np.ndarray, sectors: list[str]
) -> tuple[np.ndarray, ...]:
    """N, M, C and ΔE ``(R, S)`` of one step (see the module docstring)."""
    if r0.sum() <= 0 and (e0 > 0).any():
        raise EconomyError("Die Referenz hat im Anfangsjahr keine Beschäftigten.")
    g = r1.sum() / r0.sum() - 1.0 if r0.sum() > 0 else 0.0  # no employment: N = M = 0
    empty = r0 <= 0
    bad = empty & (e0 > 0).any(axis=0)
    if bad.any():
        names = ", ".join(s for s, b in zip(sectors, bad, strict=True) if b)
        raise EconomyError(
            f"Die Referenz hat im Anfangsjahr keine Beschäftigten in {names}, die Regionen "
            f"aber schon: Wachstumsrate des Wirtschaftszweigs nicht bestimmbar."
        )
    g_s = np.divide(r1, r0, out=np.ones_like(r0), where=~empty) - 1.0
    national = e0 * g
    mix = e0 * (g_s - g)
    total = e1 - e0
    competitive = total - (national + mix)
    return national, mix, competitive, total


def dynamic_shift_share(
    matrices: Mapping[int, pd.DataFrame],
    references: Mapping[int, pd.Series] | None = None,
    *,
    annual: bool = False,
) -> ShiftShare:
    """Shift-share over the years of ``matrices`` (regions × sectors each).

    With two years this is the classic shift-share; with more, each consecutive pair of years
    is decomposed and the components are summed (dynamic shift-share). ``annual=True`` returns
    the rows of every step instead of their sums. See the module docstring.
    """
    years, regions, sectors, values = _align(matrices)
    keep = ~np.isnan(values).any(axis=0)
    excluded = [(regions[i], sectors[j]) for i, j in np.argwhere(~keep)]
    filled = np.where(keep[None], values, 0.0)
    ref = _reference(references, years, sectors, values, keep)
    frames = []
    sums = [np.zeros(keep.shape) for _ in range(4)]
    for t in range(len(years) - 1):
        parts = _step(filled[t], filled[t + 1], ref[t], ref[t + 1], sectors)
        for acc, part in zip(sums, parts, strict=True):
            acc += part
        if annual:
            frames.append(
                _frame(regions, sectors, keep, years[t], years[t + 1], filled, t, t + 1, parts)
            )
    if not annual:
        # the summed total is E_end − E_start exactly; the competitive part closes the identity
        sums[3] = filled[-1] - filled[0]
        sums[2] = sums[3] - (sums[0] + sums[1])
        frames.append(
            _frame(regions, sectors, keep, years[0], years[-1], filled, 0, -1, tuple(sums))
        )
    notes = []
    if excluded:
        notes.append(
            f"{fmt_int(len(excluded))} Zellen (Region × Wirtschaftszweig) mit gesperrtem oder "
            f"fehlendem Wert in mindestens einem Jahr {years[0]}–{years[-1]} ausgelassen "
            f"(nicht als 0 gezählt)."
        )
    return ShiftShare(pd.concat(frames, ignore_index=True), excluded, notes)


def _frame(
    regions: list[str],
    sectors: list[str],
    keep: np.ndarray,
    start_year: int,
    end_year: int,
    values: np.ndarray,
    t0: int,
    t1: int,
    parts: tuple[np.ndarray, ...],
) -> pd.DataFrame:
    i, j = np.nonzero(keep)
    national, mix, competitive, total = parts
    return pd.DataFrame(
        {
            "region": np.array(regions, dtype=object)[i],
            "sector": np.array(sectors, dtype=object)[j],
            "start_year": np.int64(start_year),
            "end_year": np.int64(end_year),
            "start": values[t0][i, j],
            "end": values[t1][i, j],
            "national": national[i, j],
            "industry_mix": mix[i, j],
            "competitive": competitive[i, j],
            "total": total[i, j],
        }
    )


def shift_share(
    start: pd.DataFrame,
    end: pd.DataFrame,
    reference_start: pd.Series | None = None,
    reference_end: pd.Series | None = None,
    *,
    years: tuple[int, int] = (0, 1),
) -> ShiftShare:
    """Classic shift-share between two employment matrices (regions × sectors).

    ``reference_start``/``reference_end``: employees by sector of the reference economy (both
    or neither); without them the sum of the regions. ``years`` only label the rows.
    """
    if (reference_start is None) != (reference_end is None):
        raise EconomyError("Referenz: Anfangs- und Endwerte gehören zusammen.")
    references = (
        None
        if reference_start is None or reference_end is None
        else {years[0]: reference_start, years[1]: reference_end}
    )
    return dynamic_shift_share({years[0]: start, years[1]: end}, references)


def by_region(frame: pd.DataFrame) -> pd.DataFrame:
    """Components summed over the sectors of each region (they are additive)."""
    columns = ["start", "end", *COMPONENTS, "total"]
    present = [c for c in columns if c in frame.columns]
    return frame.groupby("region", sort=True)[present].sum()
