"""Provenance of a table: where it came from, under which licence, on which territorial basis.

Every table in a workspace carries one :class:`Provenance` in ``workspace.toml``; reports print
them in their source appendix (the habit of PySAL ``access``' metadata table).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

CENSUS_BASES = ("pre2011", "zensus2011", "zensus2022")
"""Census bases of population figures: before the Zensus 2011 revision, on the Zensus 2011
basis (31.12.2011 to 31.12.2021) and on the Zensus 2022 basis."""

CENSUS_LABELS = {
    "pre2011": "vor Zensus 2011",
    "zensus2011": "Zensus 2011",
    "zensus2022": "Zensus 2022",
}
"""German names of the :data:`CENSUS_BASES`."""


@dataclass(frozen=True)
class Provenance:
    """Where a table came from.

    ``gebietsstand`` is the date of the territorial status the keys refer to (ISO date);
    ``census_basis`` is one of :data:`CENSUS_BASES` for population-based tables; ``synthetic``
    marks generated data that must never be mistaken for official figures.
    """

    source: str
    licence: str
    attribution: str
    retrieved: str = field(default_factory=lambda: dt.date.today().isoformat())
    gebietsstand: str | None = None
    census_basis: str | None = None
    synthetic: bool = False
    url: str | None = None
    notes: str | None = None
    source_files: tuple[str, ...] = ()
    source_sha256: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.census_basis is not None and self.census_basis not in CENSUS_BASES:
            raise ValueError(
                f"Zensusbasis {self.census_basis!r} unbekannt; erlaubt: {', '.join(CENSUS_BASES)}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict without empty entries, for TOML."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value is None or value == ():
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def derived(self, source: str, *, synthetic: bool, notes: str) -> Provenance:
        """Provenance of a table computed by regiowerk from a table with this provenance:
        licence, Gebietsstand and census basis are inherited, the attribution names both."""
        return Provenance(
            source=source,
            licence=self.licence,
            attribution=f"Berechnet mit regiowerk aus: {self.attribution}",
            gebietsstand=self.gebietsstand,
            census_basis=self.census_basis,
            synthetic=synthetic,
            notes=notes,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        for key in ("source_files", "source_sha256"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)
