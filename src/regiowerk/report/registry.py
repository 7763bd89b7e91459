"""The section registry and the context every section renders with.

A section is a function that turns a :class:`ReportContext` into an HTML fragment. Modules
register theirs with :func:`register_section`; the report shows all registered sections sorted
by ``order``::

    @register_section("demografie", "Bevölkerungsentwicklung", order=20, requires=("population",))
    def render(ctx: ReportContext) -> str | None:
        ...

A section whose ``requires`` tables are missing is not rendered; a section may also decline by
returning ``None`` (preferably through :meth:`ReportContext.skip` with a reason). Either way the
report lists it under "Nicht enthalten" with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from regiowerk.errors import RegiowerkError
from regiowerk.formatting import fmt_float, fmt_int
from regiowerk.report import figures
from regiowerk.report.html import esc, note_box
from regiowerk.schema import table_spec
from regiowerk.workspace import Workspace

Render = Callable[["ReportContext"], str | None]
SYNTHETIC_MARK = "Synthetische Demonstrationsdaten"


class ReportError(RegiowerkError):
    """The report cannot be built from this workspace (message in German)."""


@dataclass(frozen=True)
class Section:
    """A registered report section."""

    key: str
    title: str
    order: int
    render: Render
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A remark of a section on its data, shown in the report's "Hinweise"."""

    section: str
    text: str


_REGISTRY: dict[str, Section] = {}


def register_section(
    key: str, title: str, order: int, *, requires: Sequence[str] = ()
) -> Callable[[Render], Render]:
    """Decorator registering ``render`` as section ``key`` with German ``title``.

    ``requires`` names canonical tables the section cannot do without. Keys must be unique;
    registering a key twice is a programming error.
    """
    for name in requires:
        table_spec(name)  # unknown table names fail at import time, not in a user's report
    if key in _REGISTRY:
        raise ValueError(f"report section {key!r} is already registered")

    def decorator(render: Render) -> Render:
        _REGISTRY[key] = Section(key, title, order, render, tuple(requires))
        return render

    return decorator


def sections() -> list[Section]:
    """All registered sections, sorted by ``order`` (then key)."""
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


class ReportContext:
    """What a section renders with: the workspace, cached tables, formats, figures and notes.

    ``fmt_int`` and ``fmt_float`` format numbers the German way (``1.234.567``, ``12,3``).
    """

    fmt_int = staticmethod(fmt_int)
    fmt_float = staticmethod(fmt_float)

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.notes: list[Note] = []
        self.section: Section | None = None
        self.skip_reason: str | None = None
        self._tables: dict[str, pd.DataFrame] = {}

    def begin(self, section: Section) -> None:
        """Start rendering ``section`` (notes and skip reasons are attributed to it)."""
        self.section = section
        self.skip_reason = None

    def has(self, name: str) -> bool:
        """Whether the workspace holds table ``name``."""
        return self.workspace.has(name)

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name``, loaded once per report. Treat it as read-only (copy before changing)."""
        if name not in self._tables:
            self._tables[name] = self.workspace.load(name)
        return self._tables[name]

    @property
    def kreis_names(self) -> dict[str, str]:
        """Kreis key → name from table ``kreise``; empty when the workspace has no such table."""
        if not self.has("kreise"):
            return {}
        kreise = self.table("kreise")
        return dict(zip(kreise["kreis"], kreise["name"], strict=True))

    @property
    def synthetic(self) -> bool:
        """True when the workspace or any of its tables holds synthetic data."""
        return self.workspace.synthetic or bool(self.synthetic_tables)

    @property
    def synthetic_tables(self) -> list[str]:
        """Names of tables whose provenance marks them as synthetic."""
        return [name for name, rec in self.workspace.tables.items() if rec.provenance.synthetic]

    def figure(self, fig: Figure, *, alt: str, caption: str) -> str:
        """``fig`` as ``<figure>`` with a base64 PNG and ``caption``; clears ``fig``.

        With synthetic data the image and the caption carry :data:`SYNTHETIC_MARK`.
        """
        if self.synthetic:
            figures.mark_synthetic(fig, SYNTHETIC_MARK)
            caption = f"{caption} – {SYNTHETIC_MARK}, keine amtlichen Zahlen."
        uri = figures.png_data_uri(fig)
        return (
            f'<figure><img src="{uri}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )

    def note(self, text: str) -> str:
        """Record a note for the report's "Hinweise" and return it as an inline fragment."""
        title = self.section.title if self.section else "Bericht"
        self.notes.append(Note(title, text))
        return note_box(text)

    def skip(self, reason: str) -> None:
        """Decline the current section with a German ``reason``; ``return ctx.skip(...)``."""
        self.skip_reason = reason

    def provenance_meta(self, table: str) -> dict[str, Any]:
        """The JSON document a model saved in the provenance notes of ``table`` (empty when
        the table is missing or its notes are not a JSON object)."""
        if not self.workspace.has(table):
            return {}
        try:
            meta = json.loads(self.workspace.provenance(table).notes or "{}")
        except (json.JSONDecodeError, TypeError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def span_or_skip(self, frame: pd.DataFrame, table: str) -> tuple[int, int] | None:
        """First and last year of the time series ``frame`` of table ``table``; skips the
        section (and returns None) when it is empty or has a single year."""
        title = table_spec(table).title
        if frame.empty:
            self.skip(f"Die Tabelle „{title}“ ({table}) enthält keine Zeilen.")
            return None
        years = sorted(int(y) for y in frame["year"].unique())
        if len(years) < 2:
            self.skip(
                f"Die Tabelle „{title}“ enthält nur das Jahr {years[0]}; gebraucht werden "
                f"mindestens das Basisjahr und ein Folgejahr."
            )
            return None
        return years[0], years[-1]
