"""German HTML report of a region workspace: one self-contained file, no network needed.

:func:`build_report` renders every registered section (:mod:`regiowerk.report.registry`) in
order and writes the page atomically: an existing report is replaced only once the new one is
complete. Sections that lack their tables are listed under "Nicht enthalten" with the reason.

The CLI shows progress with :func:`report_steps` (the labels, hence the count) and the
``progress`` callback of :func:`build_report`, which receives the same labels in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import regiowerk.report.sections  # noqa: F401  (registers the built-in sections)
from regiowerk import __version__
from regiowerk.ags import land_abbreviation, land_name
from regiowerk.fileio import atomic_write_bytes
from regiowerk.formatting import fmt_date
from regiowerk.report.html import Document, RenderedSection, render_document
from regiowerk.report.registry import (
    ReportContext,
    ReportError,
    Section,
    register_section,
    sections,
)
from regiowerk.schema import table_spec
from regiowerk.workspace import Workspace

__all__ = [
    "ReportContext",
    "ReportError",
    "Section",
    "build_report",
    "register_section",
    "report_steps",
]

DEFAULT_NAME = "bericht.html"
"""File name used when ``out`` is a folder."""
SAVE_STEP = "Bericht speichern"


def _label(section: Section) -> str:
    return f"Abschnitt „{section.title}“"


def _missing(workspace: Workspace, section: Section) -> list[str]:
    return [name for name in section.requires if not workspace.has(name)]


def report_steps(workspace: Workspace) -> list[str]:
    """German labels of the steps :func:`build_report` reports to ``progress``, in order."""
    runnable = [s for s in sections() if not _missing(workspace, s)]
    return [*(_label(s) for s in runnable), SAVE_STEP]


def build_report(
    workspace: Workspace, out: Path, *, progress: Callable[[str], None] | None = None
) -> Path:
    """Write the HTML report of ``workspace`` to ``out`` (a file, or a folder for
    ``bericht.html``) and return the file's path.

    ``progress`` is called with the label of each step of :func:`report_steps` before it starts.
    Raises :class:`ReportError` when the workspace has no municipalities. Errors while rendering
    propagate (with a note naming the section) and leave an existing report untouched.
    """
    target = Path(out) / DEFAULT_NAME if Path(out).is_dir() else Path(out)
    if not workspace.has("municipalities"):
        raise ReportError(
            f"Der Arbeitsbereich {workspace.path} enthält keine Gemeinden (Tabelle "
            f"municipalities); ohne sie lässt sich kein Bericht erstellen. Zuerst die Gemeinden "
            f"importieren oder einen Demo-Arbeitsbereich anlegen."
        )
    notify = progress or (lambda _label: None)
    ctx = ReportContext(workspace)
    rendered: list[RenderedSection] = []
    skipped: list[tuple[Section, str]] = []
    for section in sections():
        missing = _missing(workspace, section)
        if missing:
            titles = ", ".join(f"„{table_spec(n).title}“ ({n})" for n in missing)
            skipped.append((section, f"Es fehlt im Arbeitsbereich: {titles}."))
            continue
        notify(_label(section))
        ctx.begin(section)
        try:
            fragment = section.render(ctx)
        except Exception as exc:
            exc.add_note(f"Berichtsabschnitt {section.key!r} ({section.title})")
            raise
        if fragment is None:
            skipped.append((section, ctx.skip_reason or "Keine passenden Daten im Arbeitsbereich."))
        else:
            rendered.append(
                RenderedSection(section.key, len(rendered) + 1, section.title, fragment)
            )
    notify(SAVE_STEP)
    document = Document(
        region=workspace.name,
        selection=_selection(ctx),
        base_year=workspace.base_year,
        date=fmt_date(dt.date.today()),
        version=__version__,
        synthetic_banner=_banner(ctx),
        sections=rendered,
        notes=[(note.section, note.text) for note in ctx.notes],
        skipped=[(s.title, reason) for s, reason in sorted(skipped, key=lambda i: i[0].order)],
    )
    atomic_write_bytes(target, render_document(document).encode("utf-8"))
    return target


def _selection(ctx: ReportContext) -> list[str]:
    """The selection keys with the names of Länder, Kreise and municipalities."""
    municipalities = ctx.table("municipalities")
    names = {
        **dict(zip(municipalities["ags"], municipalities["name"], strict=True)),
        **ctx.kreis_names,
    }
    labels = []
    for key in ctx.workspace.selection:
        if len(key) == 2:
            labels.append(f"{key} {land_name(key)}")
        else:
            name = f" {names[key]}" if key in names else ""
            labels.append(f"{key}{name} ({land_abbreviation(key)}, {land_name(key)})")
    return labels


def _banner(ctx: ReportContext) -> tuple[str, str] | None:
    """Headline and text of the warning on synthetic data, or ``None`` for official data."""
    if ctx.workspace.synthetic:
        return (
            "Synthetische Demonstrationsdaten – keine amtlichen Zahlen.",
            "Alle Werte dieses Berichts sind erzeugt und dienen nur zum Kennenlernen von "
            "regiowerk. Sie beschreiben keine wirkliche Region und dürfen nicht für Planungen "
            "oder Entscheidungen verwendet werden.",
        )
    if ctx.synthetic_tables:
        titles = ", ".join(f"„{table_spec(n).title}“ ({n})" for n in ctx.synthetic_tables)
        return (
            "Enthält synthetische Daten – keine amtlichen Zahlen.",
            f"Diese Tabellen sind erzeugt, nicht amtlich: {titles}. Ergebnisse, die auf ihnen "
            f"beruhen, dürfen nicht für Planungen oder Entscheidungen verwendet werden.",
        )
    return None
