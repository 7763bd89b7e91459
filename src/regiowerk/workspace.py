"""A region workspace: one folder, one manifest, one (Geo)Parquet file per canonical table.

Layout::

    DIR/workspace.toml                  manifest: region, AGS selection, base year, tables
    DIR/tables/<table>-<sha8>.parquet   table data; the name carries the first 8 hex digits of
                                        the file's SHA-256

Saving is atomic at the level of the whole workspace: new table files are written under new
names (temporary file, fsync, rename), then the manifest is replaced in one ``os.replace``, and
only then are the files it no longer references removed. A crash at any point leaves the
previous manifest pointing at the previous, untouched files. Several tables saved in one
:meth:`Workspace.save_many` call (an import) become visible together or not at all.

Loading checks the file's SHA-256 against the manifest, so a damaged or swapped file is
reported by table name instead of producing wrong numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import tomli_w

from regiowerk import __version__
from regiowerk.ags import parse_ags, parse_kreis
from regiowerk.errors import RegiowerkError, WorkspaceError
from regiowerk.fileio import atomic_write_bytes, publish, sha256_of, temporary_path
from regiowerk.provenance import Provenance
from regiowerk.schema import table_spec, validate

MANIFEST = "workspace.toml"
TABLE_DIR = "tables"
FORMAT_VERSION = 1
_TABLE_FILE = re.compile(r"^(?P<name>[a-z_]+)-(?P<sha>[0-9a-f]{8})\.parquet$")


@dataclass(frozen=True)
class TableRecord:
    """A table as recorded in the manifest."""

    name: str
    file: str
    sha256: str
    rows: int
    saved: str
    provenance: Provenance


def normalise_selection(keys: Iterable[str]) -> tuple[str, ...]:
    """Land (2), Kreis (5) and municipality (8) keys, validated; lost leading zeros restored
    with a warning; duplicates dropped."""
    out = []
    for key in keys:
        text = str(key).strip()
        if len(text) in (4, 5):
            out.append(parse_kreis(text))
        elif len(text) in (7, 8):
            out.append(parse_ags(text))
        elif len(text) == 2 and text.isdigit():
            parse_kreis(text + "000")  # validates the Land part
            out.append(text)
        else:
            raise WorkspaceError(
                f"Auswahl {key!r}: erwartet wird ein Landes- (2), Kreis- (5) oder "
                f"Gemeindeschlüssel (8 Ziffern)."
            )
    return tuple(dict.fromkeys(out))


class Workspace:
    """One region's folder of canonical tables.

    Create with :meth:`create`, open with :meth:`open`.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self._manifest = manifest
        self._stamp = self._manifest_stamp()

    def _manifest_stamp(self) -> int | None:
        try:
            return (self.path / MANIFEST).stat().st_mtime_ns
        except OSError:
            return None

    def _refresh(self) -> None:
        """Re-read the manifest when another process (or object) saved in the meantime."""
        stamp = self._manifest_stamp()
        if stamp is not None and stamp != self._stamp:
            self._manifest = Workspace.open(self.path)._manifest
            self._stamp = stamp

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        name: str,
        selection: Iterable[str],
        base_year: int,
        synthetic: bool = False,
        overwrite: bool = False,
    ) -> Workspace:
        """Create an empty workspace in ``path`` (which must not hold one unless ``overwrite``).

        ``selection`` lists the Land (2), Kreis (5) or municipality (8 digits) keys that make up
        the region; it may cross Land borders.
        """
        root = Path(path)
        if (root / MANIFEST).exists() and not overwrite:
            raise WorkspaceError(
                f"In {root} gibt es schon einen Arbeitsbereich ({MANIFEST}). Anderen Ordner "
                f"wählen oder vorhandenen Arbeitsbereich öffnen."
            )
        if not name.strip():
            raise WorkspaceError("Der Arbeitsbereich braucht einen Namen.")
        keys = normalise_selection(selection)
        if not keys:
            raise WorkspaceError("Die Gebietsauswahl ist leer: mindestens einen Schlüssel angeben.")
        manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "region": {
                "name": name,
                "selection": list(keys),
                "base_year": int(base_year),
                "synthetic": bool(synthetic),
                "created": dt.datetime.now().isoformat(timespec="seconds"),
                "regiowerk_version": __version__,
            },
            "tables": {},
        }
        (root / TABLE_DIR).mkdir(parents=True, exist_ok=True)
        workspace = cls(root, manifest)
        workspace._write_manifest()
        workspace._remove_unreferenced()  # files of an overwritten workspace
        return workspace

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Workspace:
        """Open the workspace in ``path``; a missing or unreadable manifest is a clear error."""
        root = Path(path)
        manifest_path = root / MANIFEST
        if not manifest_path.is_file():
            raise WorkspaceError(
                f"{root} ist kein regiowerk-Arbeitsbereich: {MANIFEST} fehlt. Einen anlegen mit "
                f"'regiowerk demo --out {root}' oder 'regiowerk workspace create {root} …'."
            )
        try:
            manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WorkspaceError(
                f"{manifest_path} ist beschädigt und nicht lesbar: {exc}."
            ) from None
        if manifest.get("format_version") != FORMAT_VERSION or "region" not in manifest:
            raise WorkspaceError(
                f"{manifest_path}: unbekanntes Format (format_version "
                f"{manifest.get('format_version')!r}, erwartet {FORMAT_VERSION})."
            )
        manifest.setdefault("tables", {})
        return cls(root, manifest)

    # --- region facts -----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self._manifest["region"]["name"])

    @property
    def selection(self) -> tuple[str, ...]:
        return tuple(self._manifest["region"]["selection"])

    @property
    def base_year(self) -> int:
        return int(self._manifest["region"]["base_year"])

    @property
    def synthetic(self) -> bool:
        """True when the workspace holds generated, non-official data (the demo)."""
        return bool(self._manifest["region"].get("synthetic", False))

    @property
    def created(self) -> str:
        return str(self._manifest["region"].get("created", ""))

    # --- tables -----------------------------------------------------------------------------
    @property
    def tables(self) -> dict[str, TableRecord]:
        """Recorded tables by name, in canonical order (as on disk now)."""
        self._refresh()
        records = {
            name: TableRecord(
                name=name,
                file=entry["file"],
                sha256=entry["sha256"],
                rows=int(entry["rows"]),
                saved=entry.get("saved", ""),
                provenance=Provenance.from_dict(entry.get("provenance", {})),
            )
            for name, entry in self._manifest["tables"].items()
        }
        return dict(sorted(records.items()))

    def has(self, name: str) -> bool:
        table_spec(name)
        self._refresh()
        return name in self._manifest["tables"]

    def record(self, name: str) -> TableRecord:
        table_spec(name)
        try:
            return self.tables[name]
        except KeyError:
            present = ", ".join(self.tables) or "keine"
            raise WorkspaceError(
                f"Tabelle {name!r} fehlt im Arbeitsbereich {self.path} (vorhanden: {present}). "
                f"Sie muss erst importiert oder erzeugt werden."
            ) from None

    def load(self, name: str) -> pd.DataFrame:
        """Load table ``name`` (a GeoDataFrame for spatial tables), checking its checksum."""
        spec = table_spec(name)
        record = self.record(name)
        file = self.path / record.file
        hint = "'regiowerk workspace validate' zeigt alle Probleme; Tabelle neu importieren."
        if not file.is_file():
            raise WorkspaceError(f"Tabelle {name!r}: Datei {file} fehlt. {hint}")
        if sha256_of(file) != record.sha256:
            raise WorkspaceError(
                f"Tabelle {name!r}: Datei {file} ist beschädigt oder wurde verändert "
                f"(Prüfsumme stimmt nicht mit {MANIFEST} überein). {hint}"
            )
        try:
            frame = gpd.read_parquet(file) if spec.spatial else pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises many types for damaged files
            raise WorkspaceError(
                f"Tabelle {name!r}: Datei {file} ist nicht lesbar ({exc})."
            ) from None
        return frame

    def provenance(self, name: str) -> Provenance:
        return self.record(name).provenance

    def save(self, name: str, frame: pd.DataFrame, provenance: Provenance) -> TableRecord:
        """Validate and save one table (see :meth:`save_many`)."""
        return self.save_many({name: (frame, provenance)})[name]

    def save_many(
        self, tables: Mapping[str, tuple[pd.DataFrame, Provenance]]
    ) -> dict[str, TableRecord]:
        """Validate all tables first, then save them together, all or nothing.

        Every frame is validated against its canonical schema before anything is written, so a
        bad table leaves the workspace exactly as it was.
        """
        validated = {name: (validate(name, frame), prov) for name, (frame, prov) in tables.items()}
        self._refresh()
        written: list[Path] = []
        new_entries: dict[str, dict[str, Any]] = {}
        try:
            for name, (frame, prov) in validated.items():
                if self.synthetic and not prov.synthetic:
                    prov = replace(prov, synthetic=True)
                path, sha, rows = self._write_table(name, frame)
                written.append(path)
                new_entries[name] = {
                    "file": path.relative_to(self.path).as_posix(),
                    "sha256": sha,
                    "rows": rows,
                    "saved": dt.datetime.now().isoformat(timespec="seconds"),
                    "provenance": prov.to_dict(),
                }
            manifest = dict(self._manifest)
            manifest["tables"] = {**self._manifest["tables"], **new_entries}
            self._write_manifest(manifest)
        except BaseException:
            referenced = {entry["file"] for entry in self._manifest["tables"].values()}
            for path in written:
                if path.relative_to(self.path).as_posix() not in referenced:
                    path.unlink(missing_ok=True)
            raise
        self._manifest = manifest
        self._remove_unreferenced()
        return {name: self.tables[name] for name in new_entries}

    def validate(self) -> list[str]:
        """Check every recorded table (file present, checksum, readable, schema); list problems."""
        problems: list[str] = []
        for name in self._manifest["tables"]:
            try:
                validate(name, self.load(name))
            except RegiowerkError as exc:
                problems.append(str(exc))
        return problems

    # --- internals --------------------------------------------------------------------------
    def _write_table(self, name: str, frame: pd.DataFrame) -> tuple[Path, str, int]:
        table_dir = self.path / TABLE_DIR
        with temporary_path(table_dir, prefix=name) as tmp:
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_parquet(tmp, index=False, compression="zstd")
            else:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                pq.write_table(table, tmp, compression="zstd")
            sha = sha256_of(tmp)
            final = table_dir / f"{name}-{sha[:8]}.parquet"
            publish(tmp, final)
        return final, sha, len(frame)

    def _write_manifest(self, manifest: dict[str, Any] | None = None) -> None:
        data = tomli_w.dumps(manifest if manifest is not None else self._manifest)
        atomic_write_bytes(self.path / MANIFEST, data.encode("utf-8"))
        self._stamp = self._manifest_stamp()

    def _remove_unreferenced(self) -> None:
        """Delete table files and stale temporary files that the manifest no longer names."""
        keep = {entry["file"] for entry in self._manifest["tables"].values()}
        table_dir = self.path / TABLE_DIR
        if not table_dir.is_dir():
            return
        for file in table_dir.iterdir():
            relative = file.relative_to(self.path).as_posix()
            is_ours = _TABLE_FILE.match(file.name) or file.name.endswith(".tmp")
            if is_ours and relative not in keep:
                file.unlink(missing_ok=True)
