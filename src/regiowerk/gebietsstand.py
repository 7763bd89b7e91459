"""Gebietsstand crosswalks: municipal figures of one territorial status onto a later one.

Municipalities merge, split and swap land, so figures keyed by AGS of different years are only
comparable after mapping the older keys onto the later boundaries. A :class:`Crosswalk` holds
*steps* from the key set of 31.12. of one year (``from_year``) to that of a later year
(``to_year``); each link ``ags_from → ags_to`` carries the share of the old unit that goes to
the new one, by population, area or employment (the BBSR "Umsteigeschlüssel", method of
Milbert 2010: proportional to the population, area or employees of the parts at the time of
the change). Sources read here:

* **BBSR Umsteigeschlüssel** for every year 1990–2020 onto 31.12.2020 (``xm20``; columns
  ``year_xw, ags_xw, pop_conv, size_conv, emp_conv, ags20``) or 31.12.2019 (``xm19``), as
  re-packaged from the BBSR reference files (:meth:`Crosswalk.from_bbsr`);
* **BBSR reference workbook** ``ref-gemeinden-ab-2020.xlsx``: one sheet per year ``Y`` from
  31.12.Y to 31.12.Y+1 (key columns ``Gemeinden 31.12.Y`` / ``Gemeinden 31.12.Y+1`` stored as
  numbers, ``flächen-``, ``bevölkerungs-``, ``beschäftigten-proportionaler Umsteigeschlüssel``),
  or the same sheets stacked into one CSV (``year_from, ags_from, size_conv, pop_conv,
  emp_conv, year_to, ags_to``) (:meth:`Crosswalk.add_bbsr_steps`);
* **Destatis Gebietsänderungen** (GV-ISys "Namens-, Grenz- und Schlüsseländerungen", sheet
  ``Gebietsaenderungen``): per change the giving and receiving municipality, the kind (1
  dissolution, 2 partial transfer, 3 key change, 4 name change), area in m² and inhabitants
  moved, and the statistical effective date (:meth:`Crosswalk.add_gebietsaenderungen`). They
  list changes only; every other key maps onto itself. Shares are the inhabitants (area for
  unpopulated parts) moved over all parts of the giving municipality; changes of one year are
  applied in the order of their statistical effective date. A file "01.01. - 28.02.2025"
  covers the step 2024 → 2025 only up to that date (recorded in the remarks).

Shares of one old key are checked (BBSR shares must add up to 1 within 1 %) and normalised to
add up to exactly 1. Where a weight is missing or broken for an old key (employment before
1997, the Bavarian unincorporated areas ``…444`` whose population weights are 1 for every
receiving municipality), the next weight is used: employment → population → area, population
→ area; the number of such keys is reported in ``attrs["hinweise"]`` of the result. Steps are
chained (weights multiplied and summed per old → new pair), using the fewest steps.

:meth:`Crosswalk.remap` maps a table onto the later keys: splits are weighted, merges summed.
Integer columns are apportioned with the largest-remainder method per source row, so every
source value and therefore every total is kept exactly; float columns are multiplied by the
shares. A frame with a ``census_basis`` column must hold a single basis.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from regiowerk.ags import normalize_ags_column
from regiowerk.errors import RegiowerkError
from regiowerk.sources.base import SourceError, first_row

Weight = Literal["population", "area", "employment"]
WEIGHTS: tuple[Weight, ...] = ("population", "area", "employment")
FALLBACK: dict[str, tuple[str, ...]] = {
    "population": ("population", "area"),
    "area": ("area",),
    "employment": ("employment", "population", "area"),
}
"""Weights tried in turn for an old key whose first choice is missing or broken."""
WEIGHT_TITLES = {"population": "Bevölkerung", "area": "Fläche", "employment": "Beschäftigte"}
SHARE_TOLERANCE = 0.01
"""Published shares of one old key must add up to 1 within this tolerance."""

_BBSR_COLUMNS = {"pop_conv": "population", "size_conv": "area", "emp_conv": "employment"}


class GebietsstandError(RegiowerkError):
    """A crosswalk cannot be built or applied (missing years, unknown keys, mixed bases)."""


@dataclass(frozen=True)
class Step:
    """Links from the keys of 31.12. ``from_year`` to those of 31.12. ``to_year``.

    ``links`` has ``ags_from, ags_to`` and one share column per weight (each adding up to 1 per
    ``ags_from``). ``complete`` steps list every key; others list changed keys only.
    """

    from_year: int
    to_year: int
    links: pd.DataFrame
    complete: bool
    source: str
    fallbacks: dict[str, int] = field(default_factory=dict)
    """Old keys whose weight fell back to the next one, per weight."""
    remarks: tuple[str, ...] = ()


class Crosswalk:
    """Steps between Gebietsstände, chained on demand (see the module docstring)."""

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        self._steps: dict[tuple[int, int], Step] = {}
        self.remarks: list[str] = []
        for step in steps:
            self._add(step)

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def from_bbsr(cls, *paths: Path) -> Crosswalk:
        """Crosswalk from BBSR Umsteigeschlüssel tables (``xm20``/``xm19`` CSV, gzip allowed)."""
        crosswalk = cls()
        for path in paths:
            for step in _read_bbsr_table(Path(path)):
                crosswalk._add(step)
        return crosswalk

    @classmethod
    def from_links(
        cls,
        links: pd.DataFrame,
        *,
        from_year: int,
        to_year: int,
        source: str = "eigene Tabelle",
        complete: bool = True,
        shares: bool = True,
    ) -> Crosswalk:
        """Crosswalk of one step from a table ``ags_from, ags_to`` plus weight columns.

        Weight columns are ``population``, ``area``, ``employment`` (missing ones fall back).
        ``shares=False`` means the columns hold amounts (inhabitants, m²) to be turned into
        shares.
        """
        crosswalk = cls()
        crosswalk._add(
            _make_step(links, from_year, to_year, source=source, complete=complete, shares=shares)
        )
        return crosswalk

    def add_bbsr_steps(self, path: Path) -> Crosswalk:
        """Add the BBSR year-to-year steps from ``ref-gemeinden-ab-2020.xlsx`` or its CSV."""
        path = Path(path)
        steps = _read_bbsr_workbook(path) if path.suffix == ".xlsx" else _read_bbsr_tidy(path)
        return self._with(steps)

    def add_gebietsaenderungen(self, path: Path) -> Crosswalk:
        """Add one year of Destatis Gebietsänderungen (xlsx) as a step Y-1 → Y."""
        return self._with([_read_gebietsaenderungen(Path(path))])

    def combined(self, *others: Crosswalk) -> Crosswalk:
        """This crosswalk with the steps of ``others`` (steps already present are kept)."""
        return self._with(step for other in others for step in other._steps.values())

    def _with(self, steps: Iterable[Step]) -> Crosswalk:
        out = Crosswalk(self._steps.values())
        out.remarks = list(self.remarks)
        for step in steps:
            out._add(step)
        return out

    def _add(self, step: Step) -> None:
        key = (step.from_year, step.to_year)
        if key in self._steps:
            self.remarks.append(
                f"Umrechnung {key[0]} → {key[1]} aus {step.source} nicht verwendet: bereits "
                f"aus {self._steps[key].source} vorhanden."
            )
            return
        self._steps[key] = step

    @property
    def steps(self) -> list[tuple[int, int, str]]:
        """``(from_year, to_year, source)`` of every step."""
        return [(f, t, s.source) for (f, t), s in sorted(self._steps.items())]

    # ---- weights ---------------------------------------------------------------------------

    def weights(self, from_year: int, to_year: int, weight: Weight = "population") -> pd.DataFrame:
        """Shares ``ags_from → ags_to`` from the keys of ``from_year`` onto ``to_year``.

        Returns columns ``ags_from, ags_to, share`` (shares add up to 1 per ``ags_from``);
        remarks on fallbacks and coverage are in ``attrs["hinweise"]``. When the first step
        lists changes only (Destatis Gebietsänderungen), so does the result
        (``attrs["nur_aenderungen"]``): keys not listed keep their key.
        """
        if weight not in WEIGHTS:
            raise GebietsstandError(f"Gewicht {weight!r} unbekannt; erlaubt: {', '.join(WEIGHTS)}.")
        if to_year < from_year:
            raise GebietsstandError(
                f"Umrechnung nur auf spätere Gebietsstände ({from_year} → {to_year} verlangt)."
            )
        if to_year == from_year:
            return self._identity(from_year)
        path = self._path(from_year, to_year)
        links = path[0].links
        for step in path[1:]:
            links = _compose(links, step)
        out = (
            links[["ags_from", "ags_to", weight]]
            .rename(columns={weight: "share"})
            .loc[lambda f: f["share"] > 0]
            .sort_values(["ags_from", "ags_to"])
            .reset_index(drop=True)
        )
        out.attrs["hinweise"] = _path_remarks(path, weight)
        out.attrs["nur_aenderungen"] = not path[0].complete
        return out

    def _identity(self, year: int) -> pd.DataFrame:
        keys: set[str] = set()
        for (start, end), step in self._steps.items():
            if start == year and step.complete:
                keys.update(step.links["ags_from"])
            if end == year and step.complete:
                keys.update(step.links["ags_to"])
        if not keys:
            raise GebietsstandError(f"Für den Gebietsstand {year} sind keine Schlüssel bekannt.")
        ordered = sorted(keys)
        out = pd.DataFrame({"ags_from": ordered, "ags_to": ordered, "share": 1.0})
        out.attrs["hinweise"] = []
        return out

    def _path(self, from_year: int, to_year: int) -> list[Step]:
        """Fewest steps from ``from_year`` to ``to_year`` (breadth-first search)."""
        edges: dict[int, list[int]] = {}
        for start, end in sorted(self._steps, key=lambda k: (k[0], -k[1])):
            if end <= to_year:
                edges.setdefault(start, []).append(end)
        previous: dict[int, int] = {}
        queue = deque([from_year])
        while queue:
            year = queue.popleft()
            if year == to_year:
                break
            for nxt in edges.get(year, []):
                if nxt not in previous and nxt != from_year:
                    previous[nxt] = year
                    queue.append(nxt)
        if to_year not in previous:
            known = "; ".join(_describe_steps(self._steps)) or "keine"
            raise GebietsstandError(
                f"Keine Umrechnung vom Gebietsstand {from_year} auf {to_year} möglich. "
                f"Vorhanden: {known}."
            )
        years = [to_year]
        while years[-1] != from_year:
            years.append(previous[years[-1]])
        years.reverse()
        return [self._steps[pair] for pair in itertools.pairwise(years)]

    # ---- remap -----------------------------------------------------------------------------

    def remap(
        self,
        frame: pd.DataFrame,
        value_columns: str | Sequence[str],
        *,
        key: str = "region",
        from_year: int,
        to_year: int,
        weight: Weight = "population",
    ) -> pd.DataFrame:
        """Map ``frame`` (municipal keys of ``from_year`` in ``key``) onto ``to_year`` keys.

        Value columns are split by the shares and summed per new key and per all other
        columns (e.g. year, sex, age, census_basis). Integer columns are apportioned with the
        largest-remainder method, keeping every total exactly; floats are multiplied. Keys the
        crosswalk does not know are an error unless all their values are zero or missing
        (then they are dropped with a remark); from a year whose step lists changes only,
        unlisted keys are kept as they are. Missing values stay missing in every new key they
        reach.
        """
        values = [value_columns] if isinstance(value_columns, str) else list(value_columns)
        _check_frame(frame, key, values)
        _check_census_basis(frame)
        work = frame.reset_index(drop=True)
        work[key] = normalize_ags_column(work[key], length=8, column=key)
        if from_year == to_year:  # same Gebietsstand: only equal keys are summed
            own = sorted(set(work[key]))
            shares = pd.DataFrame({"ags_from": own, "ags_to": own, "share": 1.0})
        else:
            shares = self.weights(from_year, to_year, weight)
        remarks = list(shares.attrs.get("hinweise", []))
        if shares.attrs.get("nur_aenderungen"):
            unchanged = sorted(set(work[key]) - set(shares["ags_from"]))
            same = pd.DataFrame({"ags_from": unchanged, "ags_to": unchanged, "share": 1.0})
            shares = pd.concat([shares, same], ignore_index=True)
        work, dropped = _drop_unknown(work, key, values, set(shares["ags_from"]), from_year)
        remarks.extend(dropped)
        pieces = work.assign(_row=np.arange(len(work))).merge(
            shares, left_on=key, right_on="ags_from", how="inner"
        )
        for column in values:
            pieces[column] = _split(pieces[column], pieces["share"], pieces["_row"])
        others = [c for c in frame.columns if c != key and c not in values]
        result = _sum_up(pieces, values, others, frame, key)
        result.attrs["hinweise"] = remarks
        result.attrs["gebietsstand"] = to_year
        if "census_basis" in frame.columns and len(frame):
            result.attrs["census_basis"] = frame["census_basis"].iloc[0]
        return result


# ---- composing steps ----------------------------------------------------------------------


def _compose(links: pd.DataFrame, step: Step) -> pd.DataFrame:
    """Chain ``links`` (old → middle) with ``step`` (middle → new), all weights at once."""
    nxt = step.links.rename(columns={"ags_from": "mid", "ags_to": "new"})
    nxt = nxt.rename(columns={w: f"{w}_next" for w in WEIGHTS})
    merged = links.merge(nxt, left_on="ags_to", right_on="mid", how="left")
    missing = merged["mid"].isna()
    if missing.any():
        if step.complete:
            keys = sorted(set(merged.loc[missing, "ags_to"]))
            shown = ", ".join(keys[:5]) + (
                f" (und {len(keys) - 5} weitere)" if len(keys) > 5 else ""
            )
            raise GebietsstandError(
                f"Die Umrechnung {step.from_year} → {step.to_year} ({step.source}) kennt "
                f"{len(keys)} Schlüssel des Gebietsstands {step.from_year} nicht: {shown}."
            )
        merged.loc[missing, "new"] = merged.loc[missing, "ags_to"]
        for weight in WEIGHTS:
            merged.loc[missing, f"{weight}_next"] = 1.0
    for weight in WEIGHTS:
        merged[weight] = merged[weight] * merged[f"{weight}_next"]
    out = merged.groupby(["ags_from", "new"], as_index=False, sort=False)[list(WEIGHTS)].sum()
    return out.rename(columns={"new": "ags_to"})


def _path_remarks(path: list[Step], weight: str) -> list[str]:
    remarks = []
    for step in path:
        count = step.fallbacks.get(weight, 0)
        if count:
            remarks.append(
                f"{step.from_year} → {step.to_year}: für {count} alte Schlüssel fehlen gültige "
                f"{WEIGHT_TITLES[weight]}sgewichte; das nächste Gewicht "
                f"({' → '.join(WEIGHT_TITLES[w] for w in FALLBACK[weight][1:])}) wurde verwendet."
            )
        remarks.extend(step.remarks)
    return remarks


def _describe_steps(steps: dict[tuple[int, int], Step]) -> list[str]:
    by_target: dict[int, list[int]] = {}
    for start, end in steps:
        by_target.setdefault(end, []).append(start)
    parts = []
    for end, starts in sorted(by_target.items()):
        low, high = min(starts), max(starts)
        span = str(low) if low == high else f"{low}–{high}"
        parts.append(f"{span} → {end}")
    return parts


# ---- building steps -------------------------------------------------------------------------


def _make_step(
    links: pd.DataFrame,
    from_year: int,
    to_year: int,
    *,
    source: str,
    complete: bool,
    shares: bool,
) -> Step:
    """A step with normalised shares per weight (falling back where a weight is broken)."""
    if to_year <= from_year:
        raise GebietsstandError(f"Schritt {from_year} → {to_year}: Zieljahr muss später sein.")
    frame = links.reset_index(drop=True)
    for column in ("ags_from", "ags_to"):
        if column not in frame.columns:
            raise GebietsstandError(f"Spalte {column!r} fehlt ({source}).")
    raw = {w: pd.to_numeric(frame[w], errors="coerce") if w in frame else None for w in WEIGHTS}
    group = frame["ags_from"]
    single = group.map(group.value_counts()) == 1
    valid: dict[str, pd.Series] = {}
    normalised: dict[str, pd.Series] = {}
    for weight, series in raw.items():
        if series is None:
            valid[weight] = single.copy()
            normalised[weight] = pd.Series(1.0, index=frame.index)
            continue
        ok, share = _shares(series, group, shares=shares)
        valid[weight] = ok | single
        normalised[weight] = share.where(~single, 1.0)
    out = frame[["ags_from", "ags_to"]].copy()
    fallbacks: dict[str, int] = {}
    for weight in WEIGHTS:
        chosen, used = _with_fallback(weight, valid, normalised, group)
        out[weight] = chosen
        fallbacks[weight] = used
    return Step(from_year, to_year, out, complete, source, fallbacks)


def _shares(raw: pd.Series, group: pd.Series, *, shares: bool) -> tuple[pd.Series, pd.Series]:
    """Per row: is the weight usable for its old key, and the normalised share."""
    total = raw.groupby(group).transform("sum")
    broken = (raw.isna() | (raw < 0)).groupby(group).transform("any")
    ok = ~broken & (total > 0)
    if shares:
        ok &= (total - 1).abs() <= SHARE_TOLERANCE
    return ok.astype(bool), (raw / total).where(ok)


def _with_fallback(
    weight: str,
    valid: dict[str, pd.Series],
    normalised: dict[str, pd.Series],
    group: pd.Series,
) -> tuple[pd.Series, int]:
    chosen = pd.Series(np.nan, index=group.index)
    done = pd.Series(False, index=group.index)
    for candidate in FALLBACK[weight]:
        use = valid[candidate] & ~done
        chosen = chosen.where(~use, normalised[candidate])
        done |= use
    if not done.all():  # no usable weight at all: equal parts
        size = group.map(group.value_counts())
        chosen = chosen.where(done, 1.0 / size)
    first = valid[FALLBACK[weight][0]]
    return chosen.astype("float64"), int(group[~first].nunique())


# ---- readers --------------------------------------------------------------------------------


def _read_bbsr_table(path: Path) -> list[Step]:
    """``xm20``-like table: ``year_xw, ags_xw, pop_conv, size_conv, emp_conv, agsNN``."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceError(f"nicht lesbar ({exc}).", file=path) from None
    targets = [c for c in frame.columns if re.fullmatch(r"ags\d\d", c)]
    needed = {"year_xw", "ags_xw", *_BBSR_COLUMNS}
    if len(targets) != 1 or not needed <= set(frame.columns):
        raise SourceError(
            "erwartet werden die Spalten year_xw, ags_xw, pop_conv, size_conv, emp_conv und "
            f"agsJJ (gefunden: {', '.join(frame.columns)}).",
            file=path,
        )
    to_year = 2000 + int(targets[0][3:])
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # line numbers (line 1 is the header)
    frame["ags_xw"] = normalize_ags_column(frame["ags_xw"], file=path.name, column="ags_xw")
    frame[targets[0]] = normalize_ags_column(frame[targets[0]], file=path.name, column=targets[0])
    years = pd.to_numeric(frame["year_xw"], errors="coerce")
    if years.isna().any():
        line = first_row(years.isna())
        raise SourceError("Jahr fehlt oder ist keine Zahl.", file=path, row=line, column="year_xw")
    frame = frame.rename(columns={"ags_xw": "ags_from", targets[0]: "ags_to", **_BBSR_COLUMNS})
    source = f"BBSR-Umsteigeschlüssel {path.name}"
    return [
        _make_step(part, int(year), to_year, source=source, complete=True, shares=True)
        for year, part in frame.groupby(years.astype(int))
        if int(year) < to_year
    ]


def _read_bbsr_tidy(path: Path) -> list[Step]:
    """The BBSR year-to-year sheets stacked: ``year_from, ags_from, …, year_to, ags_to``."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceError(f"nicht lesbar ({exc}).", file=path) from None
    needed = {"year_from", "ags_from", "year_to", "ags_to", *_BBSR_COLUMNS}
    if not needed <= set(frame.columns):
        raise SourceError(f"erwartet werden die Spalten {', '.join(sorted(needed))}.", file=path)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    for column in ("ags_from", "ags_to"):
        frame[column] = normalize_ags_column(frame[column], file=path.name, column=column)
    frame = frame.rename(columns=_BBSR_COLUMNS)
    source = f"BBSR-Referenzdatei {path.name}"
    steps = []
    for (start, end), part in frame.groupby(["year_from", "year_to"]):
        steps.append(
            _make_step(
                part, int(str(start)), int(str(end)), source=source, complete=True, shares=True
            )
        )
    return steps


def _read_bbsr_workbook(path: Path) -> list[Step]:
    """BBSR ``ref-gemeinden-ab-2020.xlsx``: one sheet per year Y (31.12.Y → 31.12.Y+1)."""
    book = _open_workbook(path)
    try:
        steps = []
        for name in book.sheetnames:
            if re.fullmatch(r"(19|20)\d\d", name):
                rows = list(book[name].iter_rows(values_only=True))
                steps.append(_bbsr_sheet(rows, int(name), path=path, sheet=name))
    finally:
        book.close()
    if not steps:
        raise SourceError("kein Jahresblatt (z. B. '2020') gefunden.", file=path)
    return steps


def _bbsr_sheet(rows: list[tuple[Any, ...]], year: int, *, path: Path, sheet: str) -> Step:
    header = [re.sub(r"[\s\-]+", "", str(v or "")).casefold() for v in rows[0]]

    def column(test: str, what: str) -> int:
        for i, text in enumerate(header):
            if re.fullmatch(test, text):
                return i
        raise SourceError(f"Blatt '{sheet}': Spalte {what} nicht gefunden.", file=path, row=1)

    old = column(rf"gemeinden31\.12\.{year}", f"'Gemeinden 31.12.{year}'")
    new = column(rf"gemeinden31\.12\.{year + 1}", f"'Gemeinden 31.12.{year + 1}'")
    weights = {
        "area": column(r"flächen.*umsteigeschlüssel", "flächenproportionaler Umsteigeschlüssel"),
        "population": column(r"bevölkerungs.*umsteigeschlüssel", "bevölkerungsproportional"),
    }
    body = pd.DataFrame(rows[1:], dtype=object, index=pd.RangeIndex(2, len(rows) + 1))
    body = body[body[old].notna()]
    where = f"{path.name}, Blatt '{sheet}'"
    links = pd.DataFrame(
        {
            "ags_from": _keys_from_cells(body[old], where=where, column=rows[0][old]),
            "ags_to": _keys_from_cells(body[new], where=where, column=rows[0][new]),
        }
    )
    for weight, position in weights.items():
        links[weight] = pd.to_numeric(body[position], errors="coerce")
    employment = [i for i, t in enumerate(header) if re.fullmatch(r"beschäftigten.*umsteige.*", t)]
    if employment:
        links["employment"] = pd.to_numeric(body[employment[0]], errors="coerce")
    source = f"BBSR-Referenzdatei {path.name}, Blatt {sheet}"
    return _make_step(links, year, year + 1, source=source, complete=True, shares=True)


def _keys_from_cells(values: pd.Series, *, where: str, column: object) -> pd.Series:
    """AGS from cells: numeric cells are written with 8 digits (a number has no leading
    zero to lose), text cells are checked and restored like any spreadsheet key."""
    numeric = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    text = values.astype("string").str.strip()
    as_number = pd.to_numeric(values.where(numeric), errors="coerce")
    formatted = as_number.map(lambda v: f"{int(v):08d}" if pd.notna(v) else pd.NA)
    keys = formatted.astype("string").where(numeric, text)
    return normalize_ags_column(keys, length=8, file=where, column=str(column).replace("\n", " "))


def _open_workbook(path: Path) -> Any:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SourceError(f"keine lesbare xlsx-Arbeitsmappe ({exc}).", file=path) from None


_GA_HEADERS = {
    "giving": r"amtlichergemeindeschlüssel.*",
    "kind": r"änderungsart.*",
    "area": r"flächeqm",
    "inhabitants": r"einwohner",
    "date": r"statistisch",
}
_DATE_RANGE = re.compile(r"(\d{2})\.(\d{2})\.\s*-\s*(\d{2})\.(\d{2})\.(\d{4})")


def _read_gebietsaenderungen(path: Path) -> Step:
    """Destatis Gebietsänderungen of one year as a (changes-only) step Y-1 → Y."""
    book = _open_workbook(path)
    try:
        names = [n for n in book.sheetnames if n.casefold().startswith("gebiets")]
        if not names:
            raise SourceError("Blatt 'Gebietsaenderungen' fehlt.", file=path)
        rows = list(book[names[0]].iter_rows(values_only=True))
    finally:
        book.close()
    title = " ".join(str(v) for v in rows[0] if v) if rows else ""
    period = _DATE_RANGE.search(title)
    if not period:
        raise SourceError(
            "Zeitraum im Titel ('Gebietsänderungen vom 01.01. - 31.12.JJJJ') nicht gefunden.",
            file=path,
            row=1,
        )
    year = int(period.group(5))
    columns = _ga_columns(rows, path=path)
    changes = _ga_changes(rows, columns, path=path)
    remarks = []
    if (period.group(3), period.group(4)) != ("31", "12"):
        remarks.append(
            f"{year - 1} → {year}: Gebietsänderungen nur bis {period.group(3)}.{period.group(4)}."
            f"{year} ({path.name})."
        )
    source = f"Destatis Gebietsänderungen {year} ({path.name})"
    steps = [
        _make_step(part, year - 1, year, source=source, complete=False, shares=False)
        for _, part in changes.groupby("date", sort=True)
    ]
    links = steps[0].links
    for step in steps[1:]:
        untouched = step.links[~step.links["ags_from"].isin(links["ags_to"])]
        links = pd.concat([_compose(links, step), untouched], ignore_index=True)
    fallbacks: dict[str, int] = {w: sum(s.fallbacks.get(w, 0) for s in steps) for w in WEIGHTS}
    return Step(year - 1, year, links, False, source, fallbacks, tuple(remarks))


@dataclass(frozen=True)
class _GaColumns:
    """Positions in a Gebietsänderungen sheet (0-based) and the header row (0-based)."""

    header: int
    giving: int
    receiving: int
    kind: int
    area: int
    inhabitants: int
    date: int


def _ga_columns(rows: list[tuple[Any, ...]], *, path: Path) -> _GaColumns:
    header_row = next(
        (i for i, r in enumerate(rows[:10]) if any(_norm(v) == "einwohner" for v in r)), None
    )
    if header_row is None:
        raise SourceError("Kopfzeile mit 'Einwohner' nicht gefunden.", file=path)
    header = [_norm(v) for v in rows[header_row]]
    found: dict[str, list[int]] = {}
    for name, pattern in _GA_HEADERS.items():
        found[name] = [i for i, text in enumerate(header) if re.fullmatch(pattern, text)]
        if not found[name]:
            raise SourceError(f"Spalte {name!r} nicht gefunden.", file=path, row=header_row + 1)
    if len(found["giving"]) != 2:
        raise SourceError(
            "erwartet werden zwei AGS-Spalten (abgebende und aufnehmende Gemeinde).",
            file=path,
            row=header_row + 1,
        )
    return _GaColumns(
        header=header_row,
        giving=found["giving"][0],
        receiving=found["giving"][1],
        kind=found["kind"][0],
        area=found["area"][0],
        inhabitants=found["inhabitants"][0],
        date=found["date"][0],
    )


def _norm(value: object) -> str:
    return re.sub(r"[\s\-()]+", "", str(value or "")).casefold()


def _ga_changes(rows: list[tuple[Any, ...]], columns: _GaColumns, *, path: Path) -> pd.DataFrame:
    """Municipal changes of kind 1–3 with amounts (inhabitants, m²) and statistical date."""
    body = pd.DataFrame(
        rows[columns.header + 1 :],
        dtype=object,
        index=pd.RangeIndex(columns.header + 2, len(rows) + 1),
    )
    body = body[body[1].astype("string").str.strip() == "Gemeinde"]
    kind = pd.to_numeric(body[columns.kind], errors="coerce")
    bad = kind.isna() | ~kind.isin([1, 2, 3, 4])
    if bad.any():
        line = first_row(bad)
        raise SourceError("Änderungsart ist nicht 1–4.", file=path, row=line, column="Änderungsart")
    body = body[kind != 4]
    kind = kind[kind != 4]
    where = path.name
    out = pd.DataFrame(
        {
            "ags_from": normalize_ags_column(
                body[columns.giving], file=where, column="AGS (abgebend)"
            ),
            "ags_to": normalize_ags_column(
                body[columns.receiving], file=where, column="AGS (aufnehmend)"
            ),
            "population": pd.to_numeric(body[columns.inhabitants], errors="coerce"),
            "area": pd.to_numeric(body[columns.area], errors="coerce"),
            "date": pd.to_datetime(body[columns.date], format="%d.%m.%Y", errors="coerce"),
        }
    )
    if out["date"].isna().any():
        line = first_row(out["date"].isna())
        raise SourceError("Wirksamkeitsdatum fehlt.", file=path, row=line, column="statistisch")
    key_only = (kind == 3) & (out["ags_from"] == out["ags_to"])  # only the ARS changed
    return out[~key_only]


# ---- remap helpers -------------------------------------------------------------------------


def _check_frame(frame: pd.DataFrame, key: str, values: list[str]) -> None:
    missing = [c for c in [key, *values] if c not in frame.columns]
    if missing:
        raise GebietsstandError(f"Spalte(n) {', '.join(map(repr, missing))} fehlen.")
    not_numeric = [
        c
        for c in values
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]
    if not_numeric:
        raise GebietsstandError(
            f"Wertespalte(n) {', '.join(map(repr, not_numeric))} sind nicht numerisch."
        )


def _check_census_basis(frame: pd.DataFrame) -> None:
    if "census_basis" not in frame.columns:
        return
    bases = frame["census_basis"].astype("string").fillna("–").unique().tolist()
    if len(bases) > 1:
        raise GebietsstandError(
            f"Die Tabelle mischt Zensusbasen ({', '.join(sorted(bases))}). Bevölkerungszahlen "
            f"verschiedener Zensusbasen werden nicht gemeinsam umgerechnet; die Zeilen je "
            f"Zensusbasis getrennt umrechnen."
        )


def _drop_unknown(
    work: pd.DataFrame, key: str, values: list[str], known: set[str], year: int
) -> tuple[pd.DataFrame, list[str]]:
    unknown = ~work[key].isin(known)
    if not unknown.any():
        return work, []
    empty = work.loc[unknown, values].fillna(0).eq(0).all(axis=1)
    keys = sorted(set(work.loc[unknown, key]))
    shown = ", ".join(keys[:5]) + (f" (und {len(keys) - 5} weitere)" if len(keys) > 5 else "")
    if not empty.all():
        raise GebietsstandError(
            f"{len(keys)} Schlüssel gibt es im Gebietsstand {year} nicht: {shown}. Stimmt das "
            f"Ausgangsjahr?"
        )
    return work[~unknown], [
        f"{len(keys)} Schlüssel ohne Entsprechung im Gebietsstand {year} und nur mit Nullen "
        f"oder leeren Werten weggelassen: {shown}."
    ]


def _split(values: pd.Series, shares: pd.Series, rows: pd.Series) -> pd.Series:
    """Each source value over its pieces: integers by largest remainder, floats by share."""
    if not pd.api.types.is_integer_dtype(values):
        return values.astype("float64") * shares
    missing = values.isna()
    whole = values.fillna(0).to_numpy(dtype=np.int64)
    out = pd.Series(_apportion(whole, shares.to_numpy(), rows.to_numpy()), index=values.index)
    return out.astype("Int64").mask(missing) if missing.any() else out


def _apportion(values: np.ndarray, shares: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Largest-remainder split of integer ``values`` (one per piece, repeated per source row)
    by ``shares``; the parts of every source row add up to its value exactly."""
    raw = values * shares
    parts = np.floor(raw).astype(np.int64)
    remainder = raw - parts
    codes = np.unique(rows, return_inverse=True)[1]
    deficit = values - np.bincount(codes, weights=parts).astype(np.int64)[codes]
    order = np.lexsort((-remainder, codes))
    starts = np.r_[0, np.nonzero(np.diff(codes[order]))[0] + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    give = rank < deficit[order]
    parts[order[give]] += 1
    rest = values - np.bincount(codes, weights=parts).astype(np.int64)[codes]
    if rest.any():  # float noise: put the difference on the largest share of the row
        largest = order[rank == 0]
        fix = pd.Series(rest).groupby(codes).first().to_numpy()
        parts[largest] += fix[codes[largest]]
    return parts


def _sum_up(
    pieces: pd.DataFrame, values: list[str], others: list[str], frame: pd.DataFrame, key: str
) -> pd.DataFrame:
    flags = {f"_na_{c}": pieces[c].isna() for c in values}
    pieces = pieces.assign(**flags)
    grouped = pieces.groupby(["ags_to", *others], dropna=False, sort=True)
    summed = grouped[values].sum()
    missing = grouped[list(flags)].any()
    for column in values:
        summed[column] = summed[column].mask(missing[f"_na_{column}"].to_numpy())
        if pd.api.types.is_integer_dtype(frame[column]):
            exact = summed[column].notna().all()
            summed[column] = summed[column].astype("int64" if exact else "Int64")
    result = summed.reset_index().rename(columns={"ags_to": key})
    return result[list(frame.columns)].reset_index(drop=True)
