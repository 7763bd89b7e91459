"""Loading the catalogue: shipped YAML files plus a user's own entries.

The package ships its content as YAML files in ``regiowerk/catalogue/data/`` (read through
:mod:`importlib.resources`, so it also works from a wheel or zip). Users add their own entries
in one or more folders, normally a workspace's ``catalogue/`` folder
(:meth:`Catalogue.for_workspace`).

File layout
    Every file is a YAML **list** of entries. Files whose name starts with ``measures``
    (``measures_a.yaml``, ``measures-eigene.yml``) hold :class:`~.schema.Measure` records,
    files starting with ``projects`` hold :class:`~.schema.Project` records; other YAML files
    are ignored (with a note). Files are read in name order.

Merging
    Within the shipped set, and within the user set (all user folders together), a measure
    code or project id must be unique. A user entry with the code (or id) of a shipped entry
    **replaces** it; a note says so (:attr:`Catalogue.notes`). After merging, every
    ``related`` code of a measure and every ``measures`` code of a project must name a measure
    of the catalogue.

Errors
    All problems of all files are collected and raised together as one
    :class:`CatalogueError`; each line names the file, the entry (1-based position and code
    or id) and the field: invalid YAML (with line and column), a file that is not a list, an
    entry that is not a mapping, schema violations (via
    :func:`regiowerk.errors.validation_lines`), duplicates and dangling references.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from regiowerk.catalogue.schema import Measure, Project
from regiowerk.errors import RegiowerkError, validation_lines

USER_FOLDER = "catalogue"
"""Name of the folder inside a workspace that holds the user's own catalogue entries."""
_SUFFIXES = (".yaml", ".yml")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MESSAGES = {
    ("code", "string_pattern_mismatch"): "muss ein Maßnahmen-Code wie 'W 007' sein "
    "(1–3 Großbuchstaben, Leerzeichen, drei Ziffern)",
    ("id", "string_pattern_mismatch"): "muss eine Projekt-Id wie 'wohnen-heide' sein "
    "(3–61 Zeichen: Kleinbuchstaben, Ziffern, Bindestriche; beginnt nicht mit '-')",
}
"""German messages for the catalogue's patterns (instead of the bare regular expression)."""
MAX_PROBLEMS_SHOWN = 10
"""Problems listed by :func:`problem_summary`; further ones are counted."""


class CatalogueError(RegiowerkError):
    """The catalogue's YAML files cannot be read or are inconsistent.

    ``problems`` holds one German line per problem (file, entry, field, message); the
    message lists them all.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


@dataclass
class Catalogue:
    """Measures by code and reference projects by id, with where each entry came from."""

    measures: dict[str, Measure] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    """Key (measure code or project id) → file it was read from."""
    notes: list[str] = field(default_factory=list)
    """German remarks that are not errors, e.g. a shipped measure replaced by a user entry."""

    @classmethod
    def load(
        cls, user_dirs: Iterable[str | os.PathLike[str]] = (), *, shipped: bool = True
    ) -> Catalogue:
        """The shipped catalogue (unless ``shipped=False``) merged with the user folders.

        Every folder in ``user_dirs`` must exist. Raises :class:`CatalogueError` listing all
        problems found (see the module docstring).
        """
        problems: list[str] = []
        base = _Set("mitgeliefert")
        if shipped:
            for name, label, text in _shipped_files():
                base.read(name, label, text, problems)
        own = _Set("eigene")
        for folder in user_dirs:
            path = Path(folder)
            if not path.is_dir():
                problems.append(f"{path}: Katalog-Ordner nicht gefunden")
                continue
            for file in sorted(path.iterdir()):
                if file.suffix.lower() in _SUFFIXES and file.is_file():
                    try:
                        text = file.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError) as error:
                        problems.append(f"{file}: nicht lesbar ({error})")
                        continue
                    own.read(file.name, str(file), text, problems)
        catalogue = cls()
        catalogue.notes.extend(base.notes + own.notes)
        for key, (label, measure) in base.measures.items():
            catalogue.measures[key] = measure
            catalogue.origins[key] = label
        for key, (label, project) in base.projects.items():
            catalogue.projects[key] = project
            catalogue.origins[key] = label
        for key, (label, measure) in own.measures.items():
            if key in catalogue.measures:
                catalogue.notes.append(
                    f"Maßnahme {key} aus {label} ersetzt die aus {catalogue.origins[key]}"
                )
            catalogue.measures[key] = measure
            catalogue.origins[key] = label
        for key, (label, project) in own.projects.items():
            if key in catalogue.projects:
                catalogue.notes.append(
                    f"Projekt {key} aus {label} ersetzt das aus {catalogue.origins[key]}"
                )
            catalogue.projects[key] = project
            catalogue.origins[key] = label
        problems.extend(catalogue._dangling(base, own))
        if problems:
            raise CatalogueError(
                f"Katalog fehlerhaft ({len(problems)} Problem"
                f"{'e' if len(problems) != 1 else ''}):\n" + "\n".join(problems),
                problems,
            )
        return catalogue

    @classmethod
    def for_workspace(cls, workspace_dir: str | os.PathLike[str]) -> Catalogue:
        """The shipped catalogue plus the workspace's ``catalogue/`` folder, if it has one.

        A ``catalogue`` that is a file, not a folder, is a :class:`CatalogueError`.
        """
        root = Path(workspace_dir)
        folder = root / USER_FOLDER
        if folder.exists() and not folder.is_dir():
            raise CatalogueError(f"{folder}: muss ein Ordner mit YAML-Dateien sein")
        return cls.load([folder] if folder.is_dir() else [])

    def _dangling(self, *sets: _Set) -> Iterator[str]:
        """Lines for ``related`` and ``measures`` codes that name no measure of the catalogue."""
        for key, measure in self.measures.items():
            where = _entry_label(self.origins[key], *_position(sets, key, measure), key)
            for code in measure.related:
                if code == key:
                    yield f"{where}: Feld related: verweist auf sich selbst ({code})"
                elif code not in self.measures:
                    yield f"{where}: Feld related: unbekannter Maßnahmen-Code {code!r}"
        for key, project in self.projects.items():
            where = _entry_label(self.origins[key], *_position(sets, key, project), key)
            for code in project.measures:
                if code not in self.measures:
                    yield f"{where}: Feld measures: unbekannter Maßnahmen-Code {code!r}"


def problem_summary(error: CatalogueError, limit: int = MAX_PROBLEMS_SHOWN) -> list[str]:
    """The first ``limit`` problem lines of ``error`` plus ``… und N weitere`` (for reports)."""
    problems = error.problems or [str(error)]
    shown = problems[:limit]
    if len(problems) > limit:
        rest = len(problems) - limit
        shown.append(
            f"… und {rest} weitere{'s' if rest == 1 else ''} Problem{'e' if rest != 1 else ''}"
        )
    return shown


def _position(sets: tuple[_Set, ...], key: str, record: BaseModel) -> tuple[int]:
    """The 1-based position of ``record`` in its file (for messages)."""
    for entries in sets:
        if (key, id(record)) in entries.positions:
            return (entries.positions[key, id(record)],)
    return (0,)


def _entry_label(file: str, position: int, key: str | None) -> str:
    """``FILE, Eintrag 3 (W 007)``."""
    suffix = f" ({key})" if key else ""
    return f"{file}, Eintrag {position}{suffix}"


class _Set:
    """Entries of one origin (shipped or user), checked for duplicates while being read."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.measures: dict[str, tuple[str, Measure]] = {}
        self.projects: dict[str, tuple[str, Project]] = {}
        self.positions: dict[tuple[str, int], int] = {}
        self.notes: list[str] = []

    def read(self, name: str, label: str, text: str, problems: list[str]) -> None:
        """Parse and validate one file; append problem lines to ``problems``."""
        lowered = name.lower()
        model: type[Measure] | type[Project]
        if lowered.startswith("measures"):
            model, key_field = Measure, "code"
        elif lowered.startswith("projects"):
            model, key_field = Project, "id"
        else:
            self.notes.append(
                f"{label}: ignoriert (Dateiname muss mit 'measures' oder 'projects' beginnen)"
            )
            return
        try:
            data = yaml.load(text, Loader=_LOADER)  # a safe loader (C version if present)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (Zeile {mark.line + 1}, Spalte {mark.column + 1})" if mark else ""
            reason = getattr(error, "problem", None) or str(error)
            problems.append(f"{label}: kein gültiges YAML{where}: {reason}")
            return
        if data is None:
            return
        if not isinstance(data, list):
            problems.append(
                f"{label}: muss eine YAML-Liste von Einträgen sein ('- {key_field}: …'), "
                f"gefunden: {type(data).__name__}"
            )
            return
        target: dict[str, Any] = self.measures if model is Measure else self.projects
        for position, entry in enumerate(data, start=1):
            raw_key = entry.get(key_field) if isinstance(entry, dict) else None
            key = str(raw_key) if raw_key is not None else None
            where = _entry_label(label, position, key)
            if not isinstance(entry, dict):
                problems.append(f"{where}: Eintrag muss eine Zuordnung 'feld: wert' sein")
                continue
            try:
                record = model.model_validate(entry)
            except ValidationError as error:
                problems.extend(
                    f"{where}: {line.strip().removeprefix('- ')}"
                    for line in validation_lines(error.errors(), _MESSAGES)
                )
                continue
            record_key = str(getattr(record, key_field))
            if record_key in target:
                first_label = target[record_key][0]
                kind = "Maßnahmen-Code" if model is Measure else "Projekt-Id"
                problems.append(
                    f"{where}: Feld {key_field}: {kind} {record_key!r} doppelt "
                    f"({self.origin}; schon in {first_label})"
                )
                continue
            target[record_key] = (label, record)
            self.positions[record_key, id(record)] = position


def _shipped_files() -> Iterator[tuple[str, str, str]]:
    """``(name, label, text)`` of the package's YAML files, in name order."""
    root: Traversable = resources.files("regiowerk.catalogue").joinpath("data")
    if not root.is_dir():
        return
    for item in sorted(root.iterdir(), key=lambda entry: entry.name):
        if item.is_file() and item.name.lower().endswith(_SUFFIXES):
            yield item.name, f"data/{item.name} (mitgeliefert)", item.read_text(encoding="utf-8")
