"""From source files to a workspace: import into a collection, or build a region from a folder.

* :func:`import_files` reads files of one format (or detects the format per file).
* :func:`merge_into` adds an :class:`~regiowerk.sources.base.ImportResult` to a workspace:
  rows with the same key are replaced, other rows kept, provenance merged; all tables of the
  import are saved together or not at all, after the new rows passed validation on their own
  (so errors still name the file's lines).
* :func:`create_region_workspace` builds the workspace of a region (any selection of Länder,
  Kreise and municipalities, across Land borders) from a folder: either a workspace holding
  Germany-wide imports, or a folder of downloaded files whose formats are detected.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from regiowerk.errors import RegiowerkError
from regiowerk.provenance import Provenance
from regiowerk.schema import table_spec, validate
from regiowerk.selection import Selection, select_tables
from regiowerk.sources import all_formats
from regiowerk.sources.base import (
    ImportResult,
    SourceError,
    merge_table_provenance,
    source_format,
)
from regiowerk.workspace import MANIFEST, TableRecord, Workspace, normalise_selection

Progress = Callable[[str], None]

COLLECTION_NAME = "Deutschland (Importe)"
ALL_LAENDER = tuple(f"{n:02d}" for n in range(1, 17))


def matching_formats(path: Path) -> list[str]:
    """Keys of every format whose ``detect`` recognises ``path``."""
    return [key for key, fmt in all_formats().items() if fmt.detect(path)]


def detect_format(path: Path) -> str:
    """Key of the format that recognises ``path``; a clear error when none or several do."""
    hits = matching_formats(path)
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise SourceError(
            "Format nicht erkannt. Die Quelle ausdrücklich angeben: regiowerk import QUELLE … "
            f"(bekannt: {', '.join(all_formats())}).",
            file=path,
        )
    raise SourceError(
        f"Mehrere Formate passen ({', '.join(hits)}); die Quelle ausdrücklich angeben.",
        file=path,
    )


def _format_options(source: str, options: Mapping[str, str]) -> dict[str, object]:
    """Check format-specific options (``reference_date``, ``crs``, ``tags`` …) by signature."""
    accepted = inspect.signature(source_format(source).read).parameters
    unknown = [name for name in options if name not in accepted or name in ("paths", "encoding")]
    if unknown:
        offered = [n for n in accepted if n not in ("paths", "encoding")]
        raise SourceError(
            f"Option {', '.join(unknown)} gibt es für die Quelle {source!r} nicht "
            f"(möglich: {', '.join(offered) or 'keine'})."
        )
    return {name: Path(value) if name == "tags" else value for name, value in options.items()}


def import_files(
    source: str,
    paths: Sequence[Path],
    *,
    encoding: str | None = None,
    options: Mapping[str, str] | None = None,
) -> list[ImportResult]:
    """Read ``paths`` with format ``source`` (``"auto"``: detected per file).

    ``options`` are passed to the format's reader (e.g. ``reference_date`` for GV-ISys copies
    without a date, ``crs`` for shapefiles without ``.prj``, ``tags`` for an own OSM mapping);
    they need an explicit ``source``.
    """
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise SourceError("Datei nicht gefunden.", file=missing[0])
    if source != "auto":
        extra = _format_options(source, options or {})
        return [source_format(source).read(list(paths), encoding=encoding, **extra)]
    if options:
        raise SourceError("Optionen gelten nur mit ausdrücklich angegebener Quelle, nicht 'auto'.")
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(detect_format(path), []).append(path)
    return [source_format(key).read(files, encoding=encoding) for key, files in groups.items()]


class ConflictWarning(UserWarning):
    """Rows with the same key but different values met while merging; the newer rows win."""


def _combine(old: pd.DataFrame, new: pd.DataFrame, name: str) -> pd.DataFrame:
    """Union by key; new rows replace old ones. Replaced rows that differ raise a warning."""
    key = list(table_spec(name).key)
    values = [c for c in old.columns if c not in key and c != "geometry"]
    both = pd.concat([old, new], ignore_index=True)
    repeated = both[both.duplicated(subset=key, keep=False)]
    if len(repeated) and values:
        differing = repeated.drop_duplicates(subset=key + values).duplicated(subset=key).sum()
        if differing:
            warnings.warn(
                f"Tabelle {name!r}: {differing} Schlüssel kommen mit abweichenden Werten "
                f"mehrfach vor; die zuletzt gelesenen Werte gelten.",
                ConflictWarning,
                stacklevel=3,
            )
    both = both.drop_duplicates(subset=key, keep="last")
    both = both.sort_values(key, kind="stable").reset_index(drop=True)
    if isinstance(old, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(both, geometry="geometry", crs=old.crs)
    return both


def merge_into(workspace: Workspace, results: Iterable[ImportResult]) -> dict[str, TableRecord]:
    """Add the tables of ``results`` to ``workspace`` in one atomic save (see module docstring)."""
    results = list(results)
    for result in results:  # validate each file's rows on their own, so errors name its lines
        for name, frame in result.tables.items():
            files = ", ".join(result.provenance[name].source_files) or result.source
            validate(name, frame, source=files)
    tables, provenance = _tables_of(results)
    if not tables:
        raise SourceError("Die Dateien enthielten keine Tabellen.")
    merged: dict[str, tuple[pd.DataFrame, Provenance]] = {}
    for name, frame in tables.items():
        if workspace.has(name):
            merged[name] = (
                _combine(workspace.load(name), frame, name),
                merge_table_provenance(name, workspace.provenance(name), provenance[name]),
            )
        else:
            merged[name] = (frame, provenance[name])
    return workspace.save_many(merged)


def _max_year(frames: Iterable[pd.DataFrame]) -> int:
    """Latest year in any of ``frames`` (the base year of a new workspace)."""
    years = [int(f["year"].max()) for f in frames if "year" in f.columns and len(f)]
    if not years:
        raise RegiowerkError("Kein Bezugsjahr in den Daten; --base-year angeben.")
    return max(years)


def open_or_create_collection(
    path: Path, results: Sequence[ImportResult], *, name: str | None = None
) -> Workspace:
    """The workspace in ``path``; a new Germany-wide collection when there is none."""
    if (path / MANIFEST).exists():
        return Workspace.open(path)
    return Workspace.create(
        path,
        name=name or COLLECTION_NAME,
        selection=ALL_LAENDER,
        base_year=_max_year(f for r in results for f in r.tables.values()),
    )


@dataclass
class FolderImport:
    """What :func:`read_folder` found: results, unrecognised files, files that failed."""

    results: list[ImportResult] = field(default_factory=list)
    unknown: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def read_folder(
    folder: Path, *, encoding: str | None = None, progress: Progress | None = None
) -> FolderImport:
    """Import every recognised file below ``folder``.

    Files of one format are read together (several Länder, several years). When that fails,
    the files are read one by one so that a single unreadable file is reported with its reason
    in ``failed`` instead of stopping the others.
    """
    found = FolderImport()
    groups: dict[str, list[Path]] = {}
    formats = all_formats()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hits = matching_formats(path)
        if len(hits) == 1:
            groups.setdefault(hits[0], []).append(path)
        else:
            found.unknown.append(path)
    for key, files in groups.items():
        if progress:
            progress(f"{formats[key].title} ({len(files)} Dateien)")
        try:
            found.results.append(formats[key].read(files, encoding=encoding))
            continue
        except RegiowerkError:
            pass
        for file in files:
            try:
                found.results.append(formats[key].read([file], encoding=encoding))
            except RegiowerkError as exc:
                found.failed.append((file, str(exc)))
    return found


def _tables_of(
    results: Iterable[ImportResult],
) -> tuple[dict[str, pd.DataFrame], dict[str, Provenance]]:
    tables: dict[str, pd.DataFrame] = {}
    provenance: dict[str, Provenance] = {}
    for result in results:
        for name, frame in result.tables.items():
            prov = result.provenance[name]
            if name in tables:
                tables[name] = _combine(tables[name], frame, name)
                provenance[name] = merge_table_provenance(name, provenance[name], prov)
            else:
                tables[name], provenance[name] = frame, prov
    return tables, provenance


def create_region_workspace(
    path: Path,
    *,
    selection: Sequence[str],
    source: Path,
    name: str | None = None,
    base_year: int | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> tuple[Workspace, FolderImport]:
    """Build the workspace of a region from ``source`` (a workspace or a folder of files).

    Returns the workspace and what the folder read found (unrecognised and failed files, to
    report; empty when ``source`` is a workspace).
    Nothing is written unless every table was read, selected and validated.
    """
    chosen = Selection(normalise_selection(selection))  # bad keys fail before any reading
    found = FolderImport()
    if (source / MANIFEST).exists():
        collection = Workspace.open(source)
        tables = {n: collection.load(n) for n in collection.tables}
        provenance = {n: collection.provenance(n) for n in collection.tables}
    elif source.is_dir():
        found = read_folder(source, encoding=encoding, progress=progress)
        if not found.results:
            raise SourceError(f"In {source} wurde keine lesbare Quelldatei gefunden.")
        tables, provenance = _tables_of(found.results)
    else:
        raise SourceError(f"{source} ist weder ein Arbeitsbereich noch ein Ordner.")
    if progress:
        progress("Region auswählen")
    selected = {
        n: validate(n, f, source=str(source))
        for n, f in select_tables(tables, chosen).items()
        if len(f)
    }
    if not selected:
        raise RegiowerkError("Die Auswahl enthält in keiner Tabelle Daten.")
    year = base_year or _max_year(selected.values())
    workspace = Workspace.create(
        path,
        name=name or f"Region {' + '.join(chosen.keys)}",
        selection=chosen.keys,
        base_year=year,
    )
    if progress:
        progress("Speichern")
    workspace.save_many({n: (f, provenance[n]) for n, f in selected.items()})
    return workspace, found
