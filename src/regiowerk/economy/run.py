"""Economic structure and shift-share of a workspace's ``employment`` table.

Steps:

1. **Sectors**: overlapping codes are reduced to a partition (:func:`sector_partition`): a
   group such as ``B-F`` is dropped when the finer codes present cover it exactly (``B-E`` +
   ``F``); a group not covered (``B-E`` with only ``C`` inside) is kept and its finer codes
   dropped. Regionalstatistik 13111-07-05-4 thus gives the ten groups A, B-E, F, G-I, J, K,
   L, M-N, O-Q, R-U; the demo's sections A–U stay as they are. This applies only when the
   codes are WZ codes (any code a section or group of sections; then every code must be
   one). Other codes, such as KldB 2010 occupation groups (``611``), are taken as given
   (:func:`other_groups`; nested numeric codes like ``61`` and ``611`` are an error).
2. **Regions**: the finest level of keys in the table (municipalities, else Kreise, else
   Länder), within the workspace's selection. ``DG`` rows (Germany) are never an analysed
   region.
3. **Reference economy** (``reference``): ``"germany"`` = the ``DG`` rows of ``employment``
   (error if absent); ``"regions"`` = the sum of the analysed regions; ``"auto"`` = Germany
   where the table has ``DG`` rows in every year used, else the regions (with a note that
   the shift-share components then describe the region relative to itself).
4. **Shift-share** ``start → end`` (:mod:`regiowerk.economy.shift_share`), classic, and, where
   the table has every year in between, the year-to-year steps (whose sums are the dynamic
   shift-share). Cells with a missing value are left out and counted in the notes.
5. **Structure** in the end year (:mod:`regiowerk.economy.structure`): Krugman index, HHI and
   the sector with the highest LQ per region, Hoover coefficient per sector.

:func:`save_economy` writes the table ``shift_share`` (the classic rows ``start → end`` and the
year-to-year rows) and keeps the structure measures and notes as JSON in its provenance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from regiowerk.economy import structure
from regiowerk.economy.shift_share import COMPONENTS, ShiftShare, dynamic_shift_share
from regiowerk.economy.structure import EconomyError
from regiowerk.formatting import fmt_int
from regiowerk.workspace import TableRecord, Workspace

Reference = Literal["auto", "germany", "regions"]
REFERENCES: tuple[str, ...] = ("auto", "germany", "regions")
GERMANY = "DG"
Progress = Callable[[str], None]
SHIFT_SHARE_COLUMNS = ["region", "sector", "start_year", "end_year", *COMPONENTS, "total"]
REFERENCE_LABELS = {"germany": "Deutschland", "regions": "Summe der Regionen"}


WZ_CODE = re.compile(r"([A-U])(?:-([A-U]))?")
"""A WZ 2008 section (``C``) or group of sections (``B-E``)."""


def is_wz_code(code: str) -> bool:
    """Whether ``code`` is a WZ 2008 section or group of sections."""
    return WZ_CODE.fullmatch(code) is not None


def _letters(code: str) -> frozenset[str]:
    """Sections A–U spanned by a code (``"B-E"`` → B, C, D, E)."""
    match = WZ_CODE.fullmatch(code)
    if match is None:
        raise EconomyError(
            f"Wirtschaftszweig {code!r} unbekannt: erwartet WZ-2008-Abschnitt A–U oder Gruppe "
            f"wie B-E (eine Tabelle mit Wirtschaftszweigen darf keine anderen Codes enthalten)."
        )
    first, last = match.group(1), match.group(2) or match.group(1)
    if last < first:
        raise EconomyError(f"Wirtschaftszweig {code!r}: Gruppe rückwärts angegeben.")
    return frozenset(chr(c) for c in range(ord(first), ord(last) + 1))


def sector_partition(codes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Non-overlapping sector codes out of ``codes`` and the codes dropped (see the module
    docstring, step 1)."""
    spans = {code: _letters(code) for code in sorted(set(codes))}
    kept = dict(spans)
    for code in sorted(spans, key=lambda c: -len(spans[c])):  # widest groups first
        if code not in kept:
            continue
        inner = [c for c in kept if c != code and kept[c] < spans[code]]
        covered = frozenset().union(*(kept[c] for c in inner)) if inner else frozenset()
        if inner and covered == spans[code]:
            del kept[code]
        else:
            for c in inner:
                del kept[c]
    ordered = sorted(kept, key=lambda c: (min(kept[c]), len(kept[c])))
    overlapping = [
        (a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :] if kept[a] & kept[b]
    ]
    if overlapping:
        a, b = overlapping[0]
        raise EconomyError(f"Wirtschaftszweige {a} und {b} überschneiden sich teilweise.")
    return ordered, sorted(set(spans) - set(kept))


def other_groups(codes: Iterable[str]) -> list[str]:
    """Codes that are no WZ sections (e.g. KldB 2010 occupation groups ``611``), taken as
    given; nested numeric codes (``61`` and ``611``) would count employees twice and are an
    error."""
    ordered = sorted(set(codes))
    digits = [c for c in ordered if c.isdigit()]
    nested = [(a, b) for a in digits for b in digits if a != b and b.startswith(a)]
    if nested:
        a, b = nested[0]
        raise EconomyError(
            f"Gruppen {a} und {b} überschneiden sich ({b} liegt in {a}): Beschäftigte würden "
            f"doppelt gezählt; nur eine Gliederungsebene verwenden."
        )
    return ordered


@dataclass
class EconomyResult:
    """Shift-share and structure of a workspace's employment."""

    start: int
    end: int
    reference: str
    """``germany`` or ``regions``"""
    sectors: list[str]
    classic: ShiftShare
    annual: ShiftShare | None
    """Year-to-year steps (their sums per cell are the dynamic shift-share), if available."""
    structure: pd.DataFrame
    """Per region (end year): employees, krugman, hhi, top_sector, top_lq."""
    hoover: pd.Series
    reference_end: pd.Series
    """Employees by sector of the reference economy in the end year."""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def dynamic(self) -> pd.DataFrame | None:
        """Dynamic shift-share: the annual components summed per region and sector."""
        if self.annual is None:
            return None
        frame = self.annual.frame
        sums = frame.groupby(["region", "sector"], sort=False)[[*COMPONENTS, "total"]].sum()
        return sums.reset_index().assign(start_year=self.start, end_year=self.end)

    def table(self) -> pd.DataFrame:
        """Rows of table ``shift_share`` (classic ``start → end`` and year-to-year steps)."""
        frames = [self.classic.frame[SHIFT_SHARE_COLUMNS]]
        if self.annual is not None and self.end - self.start > 1:
            frames.append(self.annual.frame[SHIFT_SHARE_COLUMNS])
        return pd.concat(frames, ignore_index=True)

    def krugman_by(self, key: Callable[[str], str]) -> pd.Series:
        """Krugman index in the end year of the regions grouped by ``key`` (e.g. Kreis of a
        municipality), from the cells of the classic shift-share (complete regions only)."""
        frame = self.classic.frame
        groups = frame["region"].map(key)
        matrix = frame.assign(group=groups).pivot_table(
            index="group", columns="sector", values="end", aggfunc="sum"
        )
        matrix = matrix.reindex(columns=self.sectors)
        incomplete = {key(region) for region, _ in self.classic.excluded}
        matrix.loc[matrix.index.isin(incomplete)] = float("nan")
        return structure.krugman(matrix, self.reference_end)


def employment_matrix(
    frame: pd.DataFrame, year: int, regions: list[str], sectors: list[str]
) -> pd.DataFrame:
    """Regions × sectors of ``year`` (``NaN`` where a row or its value is missing).

    Negative values are an error naming the row.
    """
    rows = frame[(frame["year"] == year) & frame["region"].isin(regions)]
    rows = rows[rows["sector"].isin(sectors)]
    negative = rows[rows["persons"] < 0]
    if len(negative):
        row = negative.iloc[0]
        raise EconomyError(
            f"Tabelle employment, Zeile {negative.index[0]}: negative Beschäftigtenzahl "
            f"{row['persons']:g} (Region {row['region']}, Jahr {year}, Wirtschaftszweig "
            f"{row['sector']})."
        )
    present = rows["region"].unique()
    matrix = rows.pivot_table(
        index="region", columns="sector", values="persons", aggfunc="sum", dropna=False
    )
    # pivot_table sums NaN to 0: put the missing values back
    missing = rows[rows["persons"].isna()]
    matrix = matrix.reindex(index=[r for r in regions if r in set(present)], columns=sectors)
    for region, sector in zip(missing["region"], missing["sector"], strict=True):
        matrix.loc[region, sector] = float("nan")
    return matrix.astype(float)


def _row(matrix: pd.DataFrame) -> pd.Series:
    """The single row of ``matrix`` as a Series."""
    return matrix.iloc[0]


def _regions(frame: pd.DataFrame, selection: tuple[str, ...]) -> list[str]:
    """Keys of the finest level, within the selection where it matches any."""
    keys = pd.Series(frame["region"].unique(), dtype=str)
    keys = keys[keys != GERMANY]
    if keys.empty:
        raise EconomyError("Tabelle employment enthält keine Regionen (nur Deutschland).")
    finest = keys[keys.str.len() == keys.str.len().max()]
    chosen = finest[finest.map(lambda k: any(k.startswith(s) for s in selection))]
    return sorted(chosen if len(chosen) else finest)


def run_economy(
    workspace: Workspace,
    start: int | None = None,
    end: int | None = None,
    *,
    reference: Reference = "auto",
    progress: Progress | None = None,
) -> EconomyResult:
    """Shift-share ``start → end`` and structure measures (see the module docstring)."""
    if reference not in REFERENCES:
        raise EconomyError(f"Referenz {reference!r} unbekannt (erlaubt: {', '.join(REFERENCES)}).")
    if not workspace.has("employment"):
        raise EconomyError(
            "Tabelle 'employment' (Beschäftigte nach Wirtschaftszweigen) fehlt im "
            "Arbeitsbereich. Regionalstatistik-Tabelle 13111 importieren (regiowerk import …)."
        )
    frame = workspace.load("employment")
    return compute_economy(
        frame, start, end, reference=reference, selection=workspace.selection, progress=progress
    )


def compute_economy(
    frame: pd.DataFrame,
    start: int | None = None,
    end: int | None = None,
    *,
    reference: Reference = "auto",
    selection: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> EconomyResult:
    """:func:`run_economy` on an ``employment`` frame (``region, year, sector, persons``)."""
    if frame.empty:
        raise EconomyError("Tabelle employment enthält keine Zeilen.")
    notes: list[str] = []
    codes = sorted(set(frame["sector"].astype(str)))
    if any(is_wz_code(c) for c in codes):
        sectors, dropped = sector_partition(codes)
        if dropped:
            notes.append(
                f"Überlappende Wirtschaftszweige nicht doppelt gezählt: {', '.join(dropped)} "
                f"ausgelassen, gerechnet mit {', '.join(sectors)}."
            )
    else:
        sectors = other_groups(codes)
        notes.append(
            f"Die Gruppen ({', '.join(sectors[:6])}{' …' if len(sectors) > 6 else ''}) sind "
            f"keine Wirtschaftszweige der WZ 2008 (z. B. Berufsgruppen der KldB 2010): sie "
            f"werden so verwendet, wie sie in der Tabelle stehen, ohne Zusammenfassung "
            f"überlappender Abschnitte."
        )
    regions = _regions(frame, selection)
    rows = frame[frame["region"].isin(regions)]
    years = sorted(int(y) for y in rows["year"].unique())
    start = years[0] if start is None else int(start)
    end = years[-1] if end is None else int(end)
    for year in (start, end):
        if year not in years:
            raise EconomyError(
                f"Tabelle employment hat keine Werte für {year} (vorhanden: "
                f"{', '.join(map(str, years))})."
            )
    if start >= end:
        raise EconomyError(f"Anfangsjahr {start} muss vor dem Endjahr {end} liegen.")
    span = list(range(start, end + 1))
    steps = span if all(y in years for y in span) else [start, end]
    if steps == [start, end] and end - start > 1:
        notes.append(
            f"Nicht alle Jahre {start}–{end} vorhanden: keine dynamische Shift-Share-Analyse, "
            f"nur die klassische."
        )
    if progress:
        progress("Beschäftigte je Jahr")
    matrices = {y: employment_matrix(frame, y, regions, sectors) for y in steps}
    germany = frame[frame["region"] == GERMANY]
    has_germany = all(
        set(sectors) <= set(germany.loc[germany["year"] == y, "sector"]) for y in steps
    )
    if reference == "germany" and not has_germany:
        raise EconomyError(
            "Referenz Deutschland gewählt, aber die Tabelle employment hat nicht für alle "
            f"Jahre {start}–{end} und Wirtschaftszweige Zeilen für Deutschland (DG)."
        )
    used = (
        "germany" if reference == "germany" or (reference == "auto" and has_germany) else "regions"
    )
    references = None
    if used == "germany":
        references = {y: _row(employment_matrix(germany, y, [GERMANY], sectors)) for y in steps}
    else:
        notes.append(
            "Referenz ist die Summe der Regionen des Arbeitsbereichs (keine Werte für "
            "Deutschland): Konjunktur- und Strukturkomponente beschreiben die Entwicklung "
            "der Region insgesamt, die Standortkomponente summiert sich je Wirtschaftszweig "
            "über alle Regionen zu null."
        )
    if progress:
        progress("Shift-Share")
    reference_pair = (
        None if references is None else {start: references[start], end: references[end]}
    )
    classic = dynamic_shift_share({start: matrices[start], end: matrices[end]}, reference_pair)
    annual = dynamic_shift_share(matrices, references, annual=True) if len(steps) > 2 else None
    notes += classic.notes
    if annual is not None and len(annual.excluded) > len(classic.excluded):
        notes.append(
            f"Dynamische Shift-Share: {fmt_int(len(annual.excluded))} Zellen ausgelassen "
            f"(Wert in einem Zwischenjahr gesperrt)."
        )
    if progress:
        progress("Strukturmaße")
    last = matrices[end]
    ref_end = None if references is None else references[end]
    summary = structure.structure_summary(last, ref_end)
    hoover = structure.hoover(last, ref_end)
    incomplete = int(last.isna().any(axis=1).sum())
    if incomplete:
        notes.append(
            f"{fmt_int(incomplete)} Regionen mit gesperrten Werten {end}: für sie kein "
            f"Krugman- und Herfindahl-Index."
        )
    return EconomyResult(
        start=start,
        end=end,
        reference=used,
        sectors=sectors,
        classic=classic,
        annual=annual,
        structure=summary,
        hoover=hoover,
        reference_end=structure.check_reference(last, ref_end),
        notes=notes,
    )


def _finite(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 6)


def economy_meta(result: EconomyResult) -> dict[str, object]:
    """The JSON document kept in the provenance of ``shift_share``."""
    return {
        "start": result.start,
        "end": result.end,
        "reference": result.reference,
        "sectors": result.sectors,
        "excluded_cells": len(result.classic.excluded),
        "dynamic": result.annual is not None,
        "structure": {
            str(region): {
                "employees": _finite(row["employees"]),
                "krugman": _finite(row["krugman"]),
                "hhi": _finite(row["hhi"]),
                "top_sector": row["top_sector"],
                "top_lq": _finite(row["top_lq"]),
            }
            for region, row in result.structure.iterrows()
        },
        "hoover": {str(s): _finite(v) for s, v in result.hoover.items()},
        "notes": result.notes,
        "warnings": result.warnings,
    }


def save_economy(workspace: Workspace, result: EconomyResult) -> TableRecord:
    """Save ``shift_share`` (rows of the same periods replaced, others kept)."""
    frame = result.table()
    if workspace.has("shift_share"):
        old = workspace.load("shift_share")
        periods = set(zip(frame["start_year"], frame["end_year"], strict=True))
        keep = [
            (s, e) not in periods for s, e in zip(old["start_year"], old["end_year"], strict=True)
        ]
        frame = pd.concat([old[keep], frame], ignore_index=True)
    label = REFERENCE_LABELS[result.reference]
    provenance = workspace.provenance("employment").derived(
        f"regiowerk Shift-Share-Analyse (Dunn 1960; dynamisch nach Barff & Knight 1988), "
        f"Referenz: {label}",
        synthetic=workspace.synthetic,
        notes=json.dumps(economy_meta(result), ensure_ascii=False),
    )
    return workspace.save_many({"shift_share": (frame, provenance)})["shift_share"]
