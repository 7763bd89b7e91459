"""Presentation of ``regiowerk backtest`` results: German table and JSON records."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from regiowerk.demography.backtest import METRICS
from regiowerk.formatting import fmt_int

COLUMN_TITLES = {
    "method": "Methode",
    "default": "Standard",
    "size_class": "Größenklasse",
    "n": "Gemeinden",
    "mape": "MAPE %",
    "medape": "MedAPE %",
    "mpad": "MPAD %",
    "malpe": "MALPE %",
}


def records(table: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready records of a backtest table (plain Python numbers and booleans)."""
    out: list[dict[str, object]] = []
    for row in table.to_dict(orient="records"):
        record: dict[str, object] = {}
        for key, value in row.items():
            if key == "default":
                record[str(key)] = bool(value)
            elif key in METRICS:
                record[str(key)] = round(float(value), 4)
            else:
                record[str(key)] = value.item() if hasattr(value, "item") else value
        out.append(record)
    return out


def rich_table(table: pd.DataFrame, title: str) -> Table:
    """German rich table of a backtest; the default method is marked with ``*``."""
    out = Table(title=title)
    for title_text in COLUMN_TITLES.values():
        left = title_text == "Methode"
        out.add_column(title_text, justify="left" if left else "right", no_wrap=left)
    for row in table.to_dict(orient="records"):
        out.add_row(
            str(row["method"]),
            "*" if row["default"] else "",
            str(row["size_class"]),
            fmt_int(row["n"]),
            *(f"{row[m]:.2f}".replace(".", ",") for m in METRICS),
        )
    return out
