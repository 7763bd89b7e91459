"""Canonical schemas: one definition, readable violations."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from regiowerk.errors import SchemaViolation, UnknownTableError
from regiowerk.schema import CRS, TABLES, table_spec, validate


def _population(**changes: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "ags": ["01051044", "01051044"],
            "year": [2023, 2023],
            "sex": ["m", "f"],
            "age": [0, 0],
            "persons": [10, 12],
        }
    )
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_valid_table_is_coerced_to_canonical_types() -> None:
    frame = _population(year=["2023", "2023"])
    out = validate("population", frame)
    assert out["year"].dtype == "int64"


def test_every_table_has_german_titles_and_a_key() -> None:
    for name, spec in TABLES.items():
        assert spec.key, name
        assert set(spec.key) <= set(spec.column_names), name
        assert all(spec.titles[c] for c in spec.column_names), name
        # German titles become the headers of the XLSX sheets: one per column
        titles = list(spec.titles.values())
        assert len(set(titles)) == len(titles), (name, titles)


def test_negative_count_names_row_column_and_value() -> None:
    frame = _population(persons=[10, -3])
    frame.index = [7, 8]  # importers set the index to file line numbers
    with pytest.raises(SchemaViolation) as info:
        validate("population", frame, source="bev.csv")
    text = str(info.value)
    assert "bev.csv" in text
    assert "Zeile 8, Spalte 'persons': Wert -3" in text


def test_unknown_and_missing_columns_and_duplicate_keys() -> None:
    frame = _population().drop(columns="sex")
    frame["Einwohner"] = 1
    with pytest.raises(SchemaViolation) as info:
        validate("population", frame)
    text = str(info.value)
    assert "Spalte 'Einwohner' ist unbekannt" in text
    assert "Spalte 'sex' fehlt" in text

    duplicate = pd.concat([_population(), _population()], ignore_index=True)
    with pytest.raises(SchemaViolation, match="Schlüssel doppelt"):
        validate("population", duplicate)


def test_bad_values_are_reported_not_coerced_to_zero() -> None:
    frame = _population(persons=["10", "x"])
    with pytest.raises(SchemaViolation, match="Zeile 1, Spalte 'persons': Wert 'x'"):
        validate("population", frame)


def test_geometry_rules() -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    frame = gpd.GeoDataFrame(
        {
            "ags": ["03991001", "03991002"],
            "name": ["A", "B"],
            "kreis": ["03991", "03991"],
            "land": ["03", "03"],
            "area_km2": [1.0, 1.0],
            "centrality": [None, "grund"],
        },
        geometry=[bowtie, Point(0, 0)],
        crs=CRS,
    )
    with pytest.raises(SchemaViolation) as info:
        validate("municipalities", frame)
    text = str(info.value)
    assert "Zeile 0, Spalte 'geometry'" in text
    assert "gültige Geometrie" in text
    assert "Geometrietyp Polygon" in text

    wrong_crs = frame.iloc[:0].set_crs(4326, allow_override=True)
    with pytest.raises(SchemaViolation, match="EPSG:4326, erwartet EPSG:25832"):
        validate("municipalities", wrong_crs)
    with pytest.raises(SchemaViolation, match="keines"):
        validate("municipalities", frame.set_crs(None, allow_override=True))


def test_kreis_must_match_the_ags() -> None:
    frame = gpd.GeoDataFrame(
        {
            "ags": ["03991001"],
            "name": ["A"],
            "kreis": ["03992"],
            "land": ["03"],
            "area_km2": [1.0],
            "centrality": ["none"],
        },
        geometry=[Polygon([(0, 0), (1, 0), (1, 1)])],
        crs=CRS,
    )
    with pytest.raises(SchemaViolation, match=r"kreis = ags\[:5\]"):
        validate("municipalities", frame)


def test_unknown_table_lists_known_ones() -> None:
    with pytest.raises(UnknownTableError) as info:
        table_spec("bevoelkerung")
    assert "population" in str(info.value)
    assert "municipalities" in str(info.value)
