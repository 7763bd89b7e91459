"""Shared source helpers: decoding, German numbers, placeholders, provenance merging."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regiowerk.provenance import Provenance
from regiowerk.sources.base import (
    GENESIS_PLACEHOLDERS,
    SourceError,
    merge_provenance,
    parse_german_numbers,
    read_text,
)

F = Path("tabelle.csv")


def test_numbers_and_placeholders_keep_values_and_flags() -> None:
    values = pd.Series(["91 113", "-", ".", "12,5", "", "x", "/", "...", "-3"], index=range(5, 14))
    numbers, flags = parse_german_numbers(
        values, file=F, column="insgesamt", placeholders=GENESIS_PLACEHOLDERS
    )
    assert numbers.iloc[0] == 91113
    assert numbers.iloc[1] == 0.0  # "-" = nichts vorhanden, exactly zero ...
    assert flags.iloc[1] == "-"  # ... and flagged, never silently
    assert np.isnan(numbers.iloc[2])
    assert flags.iloc[2] == "."
    assert numbers.iloc[3] == 12.5
    assert np.isnan(numbers.iloc[4])
    assert flags.iloc[4] is None
    assert flags.iloc[5:8].tolist() == ["x", "/", "..."]
    assert numbers.iloc[8] == -3


def test_a_non_number_names_file_row_and_column() -> None:
    values = pd.Series(["1", "k.A.", "2x"], index=[10, 11, 12])
    with pytest.raises(SourceError) as info:
        parse_german_numbers(values, file=F, column="Anzahl", placeholders=GENESIS_PLACEHOLDERS)
    message = str(info.value)
    assert "Datei tabelle.csv, Zeile 11, Spalte 'Anzahl'" in message
    assert "'k.A.'" in message
    assert "insgesamt 2" in message


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30))
def test_space_separated_thousands_round_trip(numbers: list[int]) -> None:
    text = pd.Series([f"{n:,}".replace(",", " ") for n in numbers])
    parsed, _ = parse_german_numbers(text, file=F, column="c")
    assert parsed.astype("int64").tolist() == numbers


def test_decoding(tmp_path: Path) -> None:
    good = tmp_path / "bom.csv"
    good.write_bytes("\ufeffGemeinde;Einwohner\nLübeck;1\n".encode())
    assert read_text(good).startswith("Gemeinde")

    windows = tmp_path / "excel.csv"
    windows.write_bytes("Gemeinde;Einwohner\nHeide;1\nLübeck;2\n".encode("cp1252"))
    with pytest.raises(SourceError, match=r"Zeile 3.*--encoding cp1252"):
        read_text(windows)
    assert "Lübeck" in read_text(windows, encoding="cp1252")

    empty = tmp_path / "empty.csv"
    empty.write_text("  \n")
    with pytest.raises(SourceError, match="leer"):
        read_text(empty)
    with pytest.raises(SourceError, match="Unbekannte Kodierung"):
        read_text(good, encoding="klingon")


def test_merging_provenance_refuses_mixed_census_bases() -> None:
    a = Provenance("GV", "dl", "©", census_basis="zensus2011", source_files=("a.csv",))
    b = Provenance("GV", "dl", "©", census_basis="zensus2011", source_files=("b.csv",))
    merged = merge_provenance(a, b)
    assert merged.source_files == ("a.csv", "b.csv")
    with pytest.raises(SourceError, match="Zensusbasis"):
        merge_provenance(a, Provenance("Z", "dl", "©", census_basis="zensus2022"))
