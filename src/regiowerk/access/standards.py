"""Services and accessibility standards, held as data (``standards.toml``).

A *service* says which destinations count: facilities of a kind (hospitals optionally only
with all of some departments) or the centres of municipalities of a centrality. A *standard*
is a time limit for a service and mode with its source and scope (Germany or one Land), and
optionally the closure test of the G-BA (limit of affected persons and the group counted).
Users extend or override the shipped table with a TOML file of the same layout: rows with a
known ``id`` replace the shipped row, new ids are added. Unknown keys, unknown services or
modes and non-positive limits are rejected with the file and the row.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from regiowerk.errors import RegiowerkError, validation_lines


class StandardsError(RegiowerkError):
    """A services or standards file that cannot be used."""


class Service(BaseModel):
    """Which destinations count for a service."""

    model_config = ConfigDict(extra="forbid")

    label: str
    kind: str | None = None
    departments: list[str] = Field(default_factory=list)
    centrality: list[str] = Field(default_factory=list)


class Standard(BaseModel):
    """A travel-time limit for a service and mode, with its source."""

    model_config = ConfigDict(extra="forbid")

    id: str
    service: str
    mode: Literal["car", "walk", "bike"]
    minutes: float = Field(gt=0)
    scope: str = "DE"
    source: str
    note: str = ""
    closure_limit: float | None = Field(default=None, gt=0)
    closure_group: Literal["persons", "women_15_49"] = "persons"

    def applies_to(self, land: str) -> bool:
        """Whether the standard holds in ``land`` (two-digit key)."""
        return self.scope in ("DE", land)


class Catalogue(BaseModel):
    """Services and standards."""

    model_config = ConfigDict(extra="forbid")

    services: dict[str, Service]
    standards: list[Standard]

    def for_service(self, service: str, mode: str) -> list[Standard]:
        """Standards of ``service`` by ``mode``."""
        return [s for s in self.standards if s.service == service and s.mode == mode]


def _parse(raw: dict[str, Any], origin: str) -> Catalogue:
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as exc:
        lines = validation_lines(exc.errors())
        raise StandardsError(f"Datei {origin}: ungültige Standards:\n" + "\n".join(lines)) from None
    for row, standard in enumerate(catalogue.standards, start=1):
        if standard.service not in catalogue.services:
            raise StandardsError(
                f"Datei {origin}, Standard {row} ({standard.id}): Dienst {standard.service!r} "
                f"unbekannt (bekannt: {', '.join(catalogue.services)})."
            )
    return catalogue


@lru_cache(maxsize=1)
def shipped() -> Catalogue:
    """The shipped services and standards."""
    text = resources.files("regiowerk.access").joinpath("standards.toml").read_text("utf-8")
    return _parse(tomllib.loads(text), "standards.toml")


def load(path: Path | None = None) -> Catalogue:
    """The shipped catalogue, extended or overridden by the rows of ``path``."""
    base = shipped()
    if path is None:
        return base
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StandardsError(f"Datei {path}: nicht lesbar ({exc}).") from None
    merged_services = {
        **{k: v.model_dump() for k, v in base.services.items()},
        **raw.get("services", {}),
    }
    by_id = {s.id: s.model_dump() for s in base.standards}
    for row in raw.get("standards", []):
        by_id[str(row.get("id"))] = row
    unknown = set(raw) - {"services", "standards"}
    if unknown:
        raise StandardsError(f"Datei {path}: unbekannte Abschnitte {', '.join(sorted(unknown))}.")
    return _parse({"services": merged_services, "standards": list(by_id.values())}, str(path))
