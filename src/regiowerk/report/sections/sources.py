"""Appendix "Quellen und Lizenzen": provenance of every table, the map data and the software."""

from __future__ import annotations

import geopandas as gpd
import matplotlib
from markupsafe import Markup

from regiowerk import __version__
from regiowerk.formatting import MISSING, fmt_date, fmt_int
from regiowerk.provenance import CENSUS_LABELS, Provenance
from regiowerk.report.html import Column, data_table, esc
from regiowerk.report.registry import ReportContext, register_section
from regiowerk.schema import TABLES, table_spec
from regiowerk.workspace import TableRecord

_COLUMNS = (
    Column("Tabelle"),
    Column("Zeilen", numeric=True),
    Column("Quelle, Lizenz, Namensnennung"),
    Column("Stand"),
    Column("SHA-256"),
    Column("Hinweise"),
)


@register_section("sources", "Quellen und Lizenzen", order=1000)
def render(ctx: ReportContext) -> str:
    """The provenance table of all workspace tables, then the map data and the software."""
    order = list(TABLES)
    records = sorted(ctx.workspace.tables.values(), key=lambda r: order.index(r.name))
    table = data_table(_COLUMNS, [_row(record) for record in records], css_class="daten quellen")
    parts = [
        "<p>Alle Tabellen des Arbeitsbereichs mit Herkunft, Lizenz und Prüfsumme "
        "(SHA-256 der gespeicherten Datei, gekürzt). Zahlen dieses Berichts beruhen auf diesen "
        "Tabellen; bei Weitergabe sind die Namensnennungen anzugeben.</p>",
        table,
        "<h3>Kartengrundlage</h3>",
        f"<p>{_map_source(ctx.workspace.provenance('municipalities'))}</p>",
        "<h3>Software</h3>",
        f"<p>Erstellt mit regiowerk {esc(__version__)} (MIT-Lizenz), einem offenen "
        f"Planungsunterstützungssystem für Regionen. Karten und Diagramme: matplotlib "
        f"{esc(matplotlib.__version__)}, geopandas {esc(gpd.__version__)}.</p>",
    ]
    return "\n".join(parts)


def _row(record: TableRecord) -> list[str]:
    """One line of the provenance table."""
    prov = record.provenance
    origin = [esc(prov.source)]
    if prov.url:
        origin.append(f'<span class="url">{esc(prov.url)}</span>')
    origin += [f"Lizenz: {esc(prov.licence)}", f"Namensnennung: {esc(prov.attribution)}"]
    basis = CENSUS_LABELS.get(prov.census_basis or "", MISSING)
    status = [
        f"Abruf: {fmt_date(prov.retrieved)}",
        f"Gebietsstand: {fmt_date(prov.gebietsstand)}",
        f"Zensusbasis: {basis}",
    ]
    notes = [prov.notes] if prov.notes else []
    if prov.synthetic:
        notes.insert(0, "Synthetische Daten, keine amtlichen Zahlen.")
    if prov.source_files:
        notes.append("Dateien: " + ", ".join(prov.source_files))
    notes.append(f"Gespeichert am {fmt_date(record.saved)}.")
    return [
        Markup(f"{esc(table_spec(record.name).title)}<br><code>{esc(record.name)}</code>"),
        fmt_int(record.rows),
        Markup("<br>".join(origin)),
        Markup("<br>".join(esc(line) for line in status)),
        Markup(f'<code title="{esc(record.sha256)}">{esc(record.sha256[:12])}</code>'),
        " ".join(notes),
    ]


def _map_source(prov: Provenance) -> str:
    """German sentence on where the map geometry comes from (escaped HTML)."""
    gebietsstand = f", Gebietsstand {fmt_date(prov.gebietsstand)}" if prov.gebietsstand else ""
    return esc(
        f"Gemeindegrenzen aus der Tabelle „Gemeinden“ (municipalities): {prov.source}; "
        f"Lizenz {prov.licence}; {prov.attribution}{gebietsstand}. Kreis- und Landesgrenzen sind "
        f"daraus abgeleitet; Koordinaten in ETRS89 / UTM Zone 32N (EPSG:25832)."
    )
