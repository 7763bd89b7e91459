"""HTML building blocks of the report: German number formats, fragments and the document.

Sections return HTML fragments built with the helpers here; :func:`render_document` puts them
into ``templates/report.html.j2`` with the stylesheet ``templates/report.css`` inlined, so the
report is one self-contained file that loads nothing from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources

import jinja2
from markupsafe import Markup

_TEMPLATES = resources.files("regiowerk.report").joinpath("templates")


def esc(value: object) -> str:
    """Escape any value for use as HTML text or attribute."""
    return escape(str(value), quote=True)


def _esc_cell(value: str) -> str:
    """Escape a table cell unless it is already :class:`~markupsafe.Markup`."""
    return str(value) if isinstance(value, Markup) else esc(value)


def _cell(tag: str, content: str, numeric: bool) -> str:
    name = tag.split()[0]
    return f'<{tag} class="num">{content}</{name}>' if numeric else f"<{tag}>{content}</{name}>"


@dataclass(frozen=True)
class Column:
    """A column of :func:`data_table`: German header and whether it holds numbers."""

    title: str
    numeric: bool = False


def data_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    *,
    footer: Sequence[str] | None = None,
    css_class: str = "daten",
) -> str:
    """A plain HTML table; cells are already formatted text, numeric columns right-aligned.

    Cells are escaped, except those wrapped in :class:`markupsafe.Markup` (for ``<code>`` or
    line breaks built by the caller).
    """

    def cells(values: Sequence[str], tag: str) -> str:
        return "".join(
            _cell(tag, _esc_cell(value), column.numeric)
            for column, value in zip(columns, values, strict=True)
        )

    head = "".join(_cell('th scope="col"', esc(c.title), c.numeric) for c in columns)
    body = "\n".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    parts = [f'<table class="{esc(css_class)}">']
    parts += [f"<thead><tr>{head}</tr></thead>", f"<tbody>\n{body}\n</tbody>"]
    if footer is not None:
        parts.append(f"<tfoot><tr>{cells(footer, 'td')}</tr></tfoot>")
    parts.append("</table>")
    return "\n".join(parts)


def key_figures(items: Sequence[tuple[str, str]]) -> str:
    """Key figures as a grid of label/value cards."""
    cards = "".join(
        f'<div class="kennzahl"><dt>{esc(label)}</dt><dd>{esc(value)}</dd></div>'
        for label, value in items
    )
    return f'<dl class="kennzahlen">{cards}</dl>'


def note_box(text: str) -> str:
    """An inline note, e.g. why part of a section is missing."""
    return f'<p class="hinweis">{esc(text)}</p>'


@dataclass(frozen=True)
class RenderedSection:
    """A section ready for the document: anchor, number, title and HTML fragment."""

    key: str
    number: int
    title: str
    html: str

    @property
    def anchor(self) -> str:
        return f"abschnitt-{self.key}"


@dataclass(frozen=True)
class Document:
    """Everything the page template shows besides the sections' own content."""

    region: str
    selection: Sequence[str]
    base_year: int
    date: str
    version: str
    synthetic_banner: tuple[str, str] | None
    sections: Sequence[RenderedSection]
    notes: Sequence[tuple[str, str]]
    skipped: Sequence[tuple[str, str]]


def render_document(document: Document) -> str:
    """The complete HTML page: template plus inlined stylesheet."""
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = environment.from_string(
        _TEMPLATES.joinpath("report.html.j2").read_text(encoding="utf-8")
    )
    return template.render(
        doc=document,
        css=Markup(_TEMPLATES.joinpath("report.css").read_text(encoding="utf-8")),
        sections=[(s, Markup(s.html)) for s in document.sections],
    )
