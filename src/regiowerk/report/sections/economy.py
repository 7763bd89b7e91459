"""Section "Wirtschaftsstruktur": shift-share of employment change, location quotients and
specialisation.

Reads ``employment`` (``region, year, sector, persons``) and, where present, ``shift_share``
(rows of the widest period, i.e. the classic decomposition ``start → end`` saved by
:func:`regiowerk.economy.save_economy`; its provenance notes name the reference economy). When
``shift_share`` is absent, the section computes the decomposition on the fly with
:func:`regiowerk.economy.compute_economy` (first → last year, reference ``auto``) and says so;
nothing is saved.

Regions: Kreise are shown as they are; municipal rows (8-digit keys) are summed to their Kreis
for the chart, the table and the heat map (the shift-share components are additive, and LQs
are recomputed from the summed employment), while the specialisation map shows the Krugman
index of each municipality. LQs and the Krugman index refer to the end year and to the
reference economy of the shift-share (Germany or the sum of the regions).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from matplotlib.ticker import FuncFormatter

from regiowerk.economy import compute_economy, krugman, location_quotients
from regiowerk.economy.run import REFERENCE_LABELS, EconomyResult
from regiowerk.economy.shift_share import COMPONENT_LABELS, COMPONENTS
from regiowerk.economy.structure import EconomyError
from regiowerk.formatting import fmt_float, fmt_int, fmt_percent
from regiowerk.report import figures
from regiowerk.report.html import Column, data_table, esc
from regiowerk.report.registry import ReportContext, register_section

COMPONENT_COLOURS = {"national": "#8c8c8c", "industry_mix": "#4a7fb5", "competitive": "#e8a33d"}
KRUGMAN_BREAKS = [0.1, 0.2, 0.3, 0.5, 0.8]
"""Fixed class limits of the specialisation map (Krugman index without ½, 0 … 2)."""
TOTAL = "Region insgesamt"


@register_section("wirtschaftsstruktur", "Wirtschaftsstruktur", order=60, requires=("employment",))
def render(ctx: ReportContext) -> str | None:
    """Intro, shift-share chart and table, LQ heat map and specialisation map."""
    try:
        result = compute_economy(ctx.table("employment"), selection=ctx.workspace.selection)
    except EconomyError as exc:
        ctx.skip(f"Keine Shift-Share-Analyse möglich: {exc}")
        return None
    components, origin = _components(ctx, result)
    start, end = int(components["start_year"].iloc[0]), int(components["end_year"].iloc[0])
    reference = _saved_reference(ctx) if origin.startswith("gespeichert") else None
    if (start, end) != (result.start, result.end) or reference not in (None, result.reference):
        try:
            result = compute_economy(
                ctx.table("employment"),
                start,
                end,
                reference=reference or "auto",
                selection=ctx.workspace.selection,
            )
        except EconomyError as exc:
            ctx.skip(f"Tabelle shift_share passt nicht zur Tabelle employment: {exc}")
            return None
    names = ctx.kreis_names
    level = _display_level(components)
    by_kreis = components.assign(region=components["region"].str[:level])
    by_kreis = by_kreis.groupby("region")[[*COMPONENTS, "total"]].sum()
    label = REFERENCE_LABELS[result.reference]
    parts = [_intro(by_kreis, result, label, origin)]
    parts += [f"<h3>Shift-Share {start}–{end}</h3>", _chart(ctx, by_kreis, names, start, end)]
    parts += [_table(ctx, by_kreis, result, names, level)]
    parts += ["<h3>Standortquotienten</h3>", _heat_map(ctx, result, names, level)]
    parts += ["<h3>Spezialisierung</h3>", _map(ctx, result, level)]
    parts += [_method(result, label)]
    parts += [ctx.note(n) for n in result.notes if "ausgelassen" in n or "gesperrt" in n]
    return "\n".join(parts)


def _components(ctx: ReportContext, result: EconomyResult) -> tuple[pd.DataFrame, str]:
    """Rows of the widest period of ``shift_share`` or the on-the-fly result, and a remark."""
    if ctx.has("shift_share"):
        table = ctx.table("shift_share")
        if not table.empty:
            span = table["end_year"] - table["start_year"]
            rows = table[span == span.max()]
            first = rows.sort_values(["start_year"]).iloc[0]
            rows = rows[rows["start_year"] == first["start_year"]]
            return rows, "gespeicherte Tabelle shift_share"
    return (
        result.classic.frame,
        "beim Erstellen des Berichts aus der Tabelle employment berechnet (nicht gespeichert; "
        "mit ‚regiowerk economy‘ speichern)",
    )


def _saved_reference(ctx: ReportContext) -> Literal["germany", "regions"] | None:
    """The reference economy named in the provenance of ``shift_share`` (None if unreadable)."""
    value = ctx.provenance_meta("shift_share").get("reference")
    return value if value in ("germany", "regions") else None


def _display_level(frame: pd.DataFrame) -> int:
    """Key length shown: Kreise (5) for municipal rows, else the rows' own level."""
    longest = int(frame["region"].str.len().max())
    return 5 if longest == 8 else longest


def _name(key: str, names: dict[str, str]) -> str:
    return names.get(key, key)


def _signed(value: float) -> str:
    text = fmt_int(value)
    return f"+{text}" if round(value) > 0 else text.replace("-", "−")


def _intro(by_kreis: pd.DataFrame, result: EconomyResult, label: str, origin: str) -> str:
    total = by_kreis.sum()
    start_total = float(result.classic.frame["start"].sum())
    change = float(total["total"])
    rate = change / start_total if start_total > 0 else float("nan")
    text = (
        f"Die sozialversicherungspflichtig Beschäftigten am Arbeitsort haben sich von "
        f"{result.start} bis {result.end} in der Region um {_signed(change)} verändert "
        f"({fmt_percent(rate, 1)}). Davon entfallen {_signed(float(total['national']))} auf die "
        f"allgemeine Entwicklung der Referenz ({label}), {_signed(float(total['industry_mix']))} "
        f"auf die Branchenstruktur der Region und {_signed(float(total['competitive']))} auf "
        f"örtliche Besonderheiten (Standortkomponente)."
    )
    explain = (
        "Die Shift-Share-Analyse zerlegt die Veränderung jedes Wirtschaftszweigs einer Region "
        "in drei Teile: Die Konjunkturkomponente ist die Veränderung, die sich ergeben hätte, "
        "wenn alle Zweige wie die Referenz insgesamt gewachsen wären; die Strukturkomponente "
        "zeigt, ob die Region viele Beschäftigte in Zweigen hat, die in der Referenz schneller "
        "oder langsamer wachsen; die Standortkomponente ist der Rest: wie viel besser oder "
        "schlechter die Zweige vor Ort abgeschnitten haben als dieselben Zweige in der "
        f"Referenz. Die drei Teile ergeben zusammen genau die Veränderung. Quelle der Zerlegung: "
        f"{origin}."
    )
    return f"<p>{esc(text)}</p><p>{esc(explain)}</p>"


def _chart(
    ctx: ReportContext, by_kreis: pd.DataFrame, names: dict[str, str], start: int, end: int
) -> str:
    """Horizontal diverging stacked bars of the components per Kreis, the change as a dot."""
    rows = [(_name(str(k), names), by_kreis.loc[k]) for k in by_kreis.index]
    if len(rows) > 1:
        rows.append((TOTAL, by_kreis.sum()))
    fig = figures.new_figure(17, 3 + 1.1 * len(rows))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for name in COMPONENTS:
        values = np.array([float(r[name]) for _, r in rows])
        positive = np.array([0.0] * len(rows))
        negative = np.array([0.0] * len(rows))
        for i, (_, r) in enumerate(rows):
            before = [float(r[c]) for c in COMPONENTS[: COMPONENTS.index(name)]]
            positive[i] = sum(v for v in before if v > 0)
            negative[i] = sum(v for v in before if v < 0)
        left = np.where(values >= 0, positive, negative)
        ax.barh(
            y,
            values,
            left=left,
            height=0.6,
            color=COMPONENT_COLOURS[name],
            label=COMPONENT_LABELS[name],
        )
    totals = [float(r["total"]) for _, r in rows]
    ax.plot(totals, y, "D", color="#1d1d1f", markersize=5, label="Veränderung insgesamt")
    ax.axvline(0, color="#262626", linewidth=0.8)
    low = min(0.0, *(sum(min(float(r[c]), 0.0) for c in COMPONENTS) for _, r in rows), *totals)
    high = max(0.0, *(sum(max(float(r[c]), 0.0) for c in COMPONENTS) for _, r in rows), *totals)
    pad = 0.06 * (high - low or 1.0)
    ax.set_xlim(low - pad, high + pad)
    ax.set_yticks(y, [name for name, _ in rows], fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_int(v).replace("-", "−")))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel(f"Beschäftigte, Veränderung {start}–{end}", fontsize=9)
    fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    caption = (
        f"Shift-Share-Zerlegung der Beschäftigtenveränderung {start}–{end} je Kreis: positive "
        f"Komponenten nach rechts, negative nach links gestapelt; die Raute ist die "
        f"Veränderung insgesamt (Summe der Komponenten)."
    )
    return ctx.figure(fig, alt="Shift-Share-Komponenten je Kreis", caption=caption)


def _end_matrix(result: EconomyResult, level: int) -> pd.DataFrame:
    """Employees in the end year by shown region × sector (cells of the decomposition)."""
    frame = result.classic.frame.assign(region=result.classic.frame["region"].str[:level])
    matrix = frame.pivot_table(index="region", columns="sector", values="end", aggfunc="sum")
    return matrix.reindex(columns=result.sectors)


def _table(
    ctx: ReportContext,
    by_kreis: pd.DataFrame,
    result: EconomyResult,
    names: dict[str, str],
    level: int,
) -> str:
    matrix = _end_matrix(result, level)
    index = krugman(matrix, result.reference_end)
    columns = [
        Column("Kreis"),
        Column(COMPONENT_LABELS["national"], numeric=True),
        Column(COMPONENT_LABELS["industry_mix"], numeric=True),
        Column(COMPONENT_LABELS["competitive"], numeric=True),
        Column(COMPONENT_LABELS["total"], numeric=True),
        Column(f"Krugman-Index {result.end}", numeric=True),
    ]
    rows = [
        [
            _name(str(key), names),
            *(_signed(float(row[c])) for c in (*COMPONENTS, "total")),
            fmt_float(float(index.get(key, np.nan)), 2) if pd.notna(index.get(key)) else "–",
        ]
        for key, row in by_kreis.iterrows()
    ]
    total = by_kreis.sum()
    footer = [TOTAL, *(_signed(float(total[c])) for c in (*COMPONENTS, "total")), ""]
    return data_table(columns, rows, footer=footer)


def _heat_map(ctx: ReportContext, result: EconomyResult, names: dict[str, str], level: int) -> str:
    """Regions × sectors, colour on a log scale centred at LQ = 1, values written in."""
    matrix = _end_matrix(result, level)
    lq = location_quotients(matrix, result.reference_end)
    lq = lq.loc[:, matrix.sum(axis=0) > 0]
    if lq.empty:
        return ctx.note("Keine Beschäftigten im Endjahr: keine Standortquotienten.")
    fig = figures.new_figure(17, 3.5 + 0.9 * len(lq))
    ax = fig.add_subplot()
    values = np.log2(lq.to_numpy(dtype=float).clip(min=1 / 8))
    norm = colors.TwoSlopeNorm(vmin=-2.0, vcenter=0.0, vmax=2.0)
    image = ax.imshow(np.clip(values, -2, 2), cmap=colormaps["RdBu_r"], norm=norm, aspect="auto")
    for (i, j), value in np.ndenumerate(lq.to_numpy(dtype=float)):
        if np.isfinite(value):
            ax.text(j, i, fmt_float(value, 1), ha="center", va="center", fontsize=6.5)
    ax.set_xticks(range(lq.shape[1]), list(lq.columns), fontsize=7)
    ax.set_yticks(range(lq.shape[0]), [_name(k, names) for k in lq.index], fontsize=7)
    ax.tick_params(length=0)
    bar = fig.colorbar(image, ax=ax, ticks=[-2, -1, 0, 1, 2], shrink=0.8)
    bar.ax.set_yticklabels(["¼", "½", "1", "2", "4"], fontsize=7)
    bar.set_label("Standortquotient", fontsize=8)
    caption = (
        f"Standortquotienten {result.end}: Anteil eines Wirtschaftszweigs an den Beschäftigten "
        f"des Kreises geteilt durch seinen Anteil in der Referenz "
        f"({REFERENCE_LABELS[result.reference]}). Rot: stärker vertreten als in der Referenz, "
        f"blau: schwächer."
    )
    return ctx.figure(fig, alt="Standortquotienten je Kreis und Wirtschaftszweig", caption=caption)


def _map(ctx: ReportContext, result: EconomyResult, level: int) -> str:
    """Krugman index per municipality (municipal rows) or per Kreis."""
    if not ctx.has("municipalities"):
        return ctx.note("Ohne Gemeindegrenzen (Tabelle municipalities) keine Karte.")
    municipalities = ctx.table("municipalities")
    frame = result.classic.frame
    municipal = int(frame["region"].str.len().max()) == 8
    key = "ags" if municipal else "kreis"
    shown = frame if municipal else frame.assign(region=frame["region"].str[:level])
    matrix = shown.pivot_table(index="region", columns="sector", values="end", aggfunc="sum")
    matrix = matrix.reindex(columns=result.sectors)
    values = krugman(matrix, result.reference_end)
    aligned = values.reindex(municipalities[key].to_numpy()).set_axis(municipalities.index)
    aligned = aligned.astype(float)
    shades = colormaps["PuBuGn"](np.linspace(0.1, 0.9, len(KRUGMAN_BREAKS) + 1))
    palette = [colors.to_hex(c) for c in shades]
    labels = figures.class_labels(KRUGMAN_BREAKS, aligned, fmt=lambda v: fmt_float(v, 1))
    fig = figures.filled_map(
        municipalities,
        face=figures.classed_faces(aligned, KRUGMAN_BREAKS, palette),
        legend=figures.class_legend(palette, labels, missing=bool(aligned.isna().any())),
        legend_title="Krugman-Index",
        title=f"Spezialisierung {result.end}",
    )
    unit = "Gemeinde" if municipal else "Kreis"
    caption = (
        f"Krugman-Spezialisierungsindex {result.end} je {unit}: Summe der absoluten "
        f"Abweichungen der Branchenanteile von der Referenz "
        f"({REFERENCE_LABELS[result.reference]}); 0 = gleiche Struktur, 2 = keine "
        f"gemeinsame Branche. Kleine Gemeinden sind oft allein durch wenige Betriebe "
        f"spezialisiert."
    )
    return ctx.figure(fig, alt=f"Karte: Krugman-Index je {unit}", caption=caption)


def _method(result: EconomyResult, label: str) -> str:
    items = [
        f"Referenz: {label}"
        + (
            " (Zeilen „DG“ der Tabelle employment)."
            if result.reference == "germany"
            else "; ohne Werte für Deutschland beschreiben Konjunktur- und Strukturkomponente "
            "die Region selbst, die Standortkomponente summiert sich über die Region zu null."
        ),
        "Wirtschaftszweige: " + ", ".join(result.sectors) + ".",
        "Gesperrte oder fehlende Werte werden nie als 0 gezählt: die betroffenen Zellen "
        "(Region × Wirtschaftszweig) bleiben außen vor und werden in den Hinweisen gezählt.",
        "Verfahren: klassische Shift-Share-Analyse nach Dunn (1960); Standortquotient, "
        "Krugman-Index (Krugman 1991, ohne Faktor ½).",
    ]
    hidden = [n for n in result.notes if n.startswith("Überlappende")]
    items += hidden
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
