"""German number and date formats for everything users read (reports, CLI, notes)."""

from __future__ import annotations

import datetime as dt
import math

MISSING = "–"
"""Shown for values that are missing or cannot be computed."""


def fmt_int(value: float | None) -> str:
    """German integer format with thousands dots: ``1234567`` → ``1.234.567``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{round(value):,}".replace(",", ".")


def fmt_float(value: float | None, digits: int = 1) -> str:
    """German decimal format: ``12.345`` → ``12,3``; thousands get dots (``1.234,5``)."""
    if value is None or math.isnan(value):
        return MISSING
    text = f"{round(value, digits) + 0.0:,.{digits}f}"  # + 0.0 turns -0.0 into 0.0
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_percent(value: float | None, digits: int = 1) -> str:
    """A share (0..1) as German percentage with a narrow no-break space: ``0.234`` → ``23,4 %``."""
    if value is None or math.isnan(value):
        return MISSING
    return f"{fmt_float(value * 100, digits)}\u202f%"


def fmt_date(value: str | dt.date | None) -> str:
    """German date ``31.12.2023`` for an ISO date or timestamp; other text is shown as is."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    try:
        return dt.date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return value
