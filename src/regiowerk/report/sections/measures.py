"""Section "Maßnahmen": the region's diagnosis and the measures its figures point to.

Computes the indicators of :mod:`regiowerk.catalogue.diagnosis` from whichever tables the
workspace holds, ranks the measures of the catalogue (shipped plus the workspace's
``catalogue/`` folder) with :mod:`regiowerk.catalogue.recommend` and shows

* the diagnosis table (indicator, value, source) and which indicators are missing and why,
* the recommended measures with their reasons in the region's figures (the
  "Argumentationshilfe" for council and committees) and the reference projects that applied
  them,
* the measures that cannot be checked because indicators are missing,
* the catalogue's notes (a workspace entry replacing a shipped one, ignored files).

The section requires no table; without any indicator it declines with the reason, and with a
faulty catalogue it declines listing the problems (at most
:data:`~regiowerk.catalogue.store.MAX_PROBLEMS_SHOWN`, the rest counted).
"""

from __future__ import annotations

from markupsafe import Markup

from regiowerk.catalogue.diagnosis import Diagnosis, diagnose
from regiowerk.catalogue.recommend import Recommendation, Recommendations, recommend
from regiowerk.catalogue.store import Catalogue, CatalogueError, problem_summary
from regiowerk.report.html import Column, data_table, esc
from regiowerk.report.registry import ReportContext, register_section

MAX_RECOMMENDED = 10
"""Measures shown with their full reasons; further ones are listed by title."""


@register_section("massnahmen", "Maßnahmen", order=70)
def render(ctx: ReportContext) -> str | None:
    """Diagnosis, recommended measures with reasons, reference projects, unchecked measures."""
    diagnosis = diagnose(lambda name: ctx.table(name) if ctx.has(name) else None)
    if not diagnosis.indicators:
        ctx.skip(
            "Keine Kennzahl der Diagnose berechenbar: Es fehlen die Tabellen der Modelle "
            "(Bevölkerung, Prognose, Wohnungsbedarf, Erreichbarkeit, Pendler, Beschäftigung)."
        )
        return None
    try:
        catalogue = Catalogue.for_workspace(ctx.workspace.path)
    except CatalogueError as error:
        ctx.skip("Der Werkzeugkasten ist fehlerhaft: " + "; ".join(problem_summary(error)))
        return None
    result = recommend(diagnosis, catalogue)
    parts = [_intro(result)]
    parts += [ctx.note(f"Hinweis: {note}.") for note in catalogue.notes]
    parts += ["<h3>Diagnose der Region</h3>", _diagnosis_table(ctx, diagnosis)]
    if diagnosis.missing:
        parts.append(_missing(ctx, diagnosis))
    parts += ["<h3>Empfohlene Maßnahmen (Argumentationshilfe)</h3>", _recommended(result)]
    if result.not_checkable:
        parts += ["<h3>Nicht prüfbar</h3>", _not_checkable(result)]
    return "\n".join(parts)


def _intro(result: Recommendations) -> str:
    shown = min(len(result.recommended), MAX_RECOMMENDED)
    indicators = len(result.diagnosis.indicators)
    unchecked = len(result.not_checkable)
    if shown == 0:
        listed = "."
    elif shown == 1:
        listed = "; sie steht unten mit Begründung in den Zahlen der Region."
    else:
        listed = f"; die {shown} stärksten stehen unten mit Begründung in den Zahlen der Region."
    return (
        f"<p>Aus den Tabellen des Arbeitsbereichs ergeben sich {_count(indicators, 'Kennzahl')}"
        f". Sie erfüllen Auslöser von {_count(len(result.recommended), 'Maßnahme')} des "
        f"Werkzeugkastens{listed} Die Rangfolge zählt zuerst die erfüllten Auslöser "
        "(Kennzahlen, die dieselbe Tatsache beschreiben, wie Auspendleranteil und wohnortnahe "
        "Beschäftigung, zählen einmal), dann wie deutlich die Schwellen überschritten sind: "
        "Punkte = Zahl der erfüllten Auslöser plus ihre mittlere Deutlichkeit (unter 1). "
        f"{_count(unchecked, 'Maßnahme')} {'ist' if unchecked == 1 else 'sind'} nicht "
        f"prüfbar, weil Kennzahlen fehlen; {result.not_indicated} weitere "
        f"{'ist' if result.not_indicated == 1 else 'sind'} nach der Diagnose nicht "
        "angezeigt.</p>"
    )


_PLURALS = {"Kennzahl": "Kennzahlen", "Maßnahme": "Maßnahmen"}


def _count(number: int, noun: str) -> str:
    """``1 Maßnahme``, ``3 Maßnahmen``."""
    return f"{number} {noun if number == 1 else _PLURALS[noun]}"


def _diagnosis_table(ctx: ReportContext, diagnosis: Diagnosis) -> str:
    names = ctx.kreis_names
    rows = []
    for indicator in diagnosis.indicators.values():
        kreise = "; ".join(
            f"{names.get(key, key)}: {indicator.formatted(value)}"
            for key, value in sorted(indicator.by_kreis.items())
        )
        rows.append([indicator.label, indicator.formatted(), kreise or "–", indicator.source])
    columns = [Column("Kennzahl"), Column("Region", True), Column("Kreise"), Column("Quelle")]
    return data_table(columns, rows)


def _missing(ctx: ReportContext, diagnosis: Diagnosis) -> str:
    from regiowerk.catalogue.recommend import indicator_label

    items = "; ".join(
        f"{indicator_label(key)} ({reason})" for key, reason in diagnosis.missing.items()
    )
    return ctx.note(f"Nicht berechenbar: {items}.")


def _recommended(result: Recommendations) -> str:
    if not result.recommended:
        return "<p>Die Diagnose erfüllt keinen Auslöser einer Maßnahme.</p>"
    parts = [_measure(rank, item) for rank, item in enumerate(result.recommended, start=1)]
    shown = parts[:MAX_RECOMMENDED]
    rest = result.recommended[MAX_RECOMMENDED:]
    if rest:
        titles = ", ".join(f"{r.measure.code} {r.measure.title}" for r in rest)
        shown.append(f"<p>Außerdem angezeigt: {esc(titles)}.</p>")
    return "\n".join(shown)


def _measure(rank: int, item: Recommendation) -> str:
    measure = item.measure
    score = f"{item.score:.2f}".replace(".", ",")
    parts = [
        f"<h4>{rank}. {esc(measure.code)} {esc(measure.title)}</h4>",
        f"<p>{esc(measure.summary)}</p>",
        f"<p>Erfüllt: {len(item.met_facts)} von {item.facts} "
        f"{'Auslöser' if item.facts == 1 else 'Auslösern'} (Punkte {score}).</p>",
        "<ul>" + "".join(f"<li>{esc(reason)}</li>" for reason in item.reasons) + "</ul>",
    ]
    if item.unchecked:
        labels = ", ".join(sorted({c.label for c in item.unchecked}))
        parts.append(f"<p>Nicht geprüft (Kennzahl fehlt): {esc(labels)}.</p>")
    if item.projects:
        rows = [
            [
                project.title,
                ", ".join(project.regions),
                _period(project.start, project.end),
                project.programme or "–",
            ]
            for project in item.projects
        ]
        columns = [
            Column("Referenzprojekt"),
            Column("Region"),
            Column("Zeitraum"),
            Column("Förderung"),
        ]
        parts.append(data_table(columns, rows))
    return "\n".join(parts)


def _period(start: int | None, end: int | None) -> str:
    if start and end:
        return f"{start}–{end}"
    return str(start or end or "–")


def _not_checkable(result: Recommendations) -> str:
    rows = [
        [
            Markup(f"<code>{esc(item.measure.code)}</code>"),
            item.measure.title,
            ", ".join(sorted({c.label for c in item.unchecked})),
        ]
        for item in result.not_checkable
    ]
    return data_table([Column("Code"), Column("Maßnahme"), Column("Fehlende Kennzahlen")], rows)
