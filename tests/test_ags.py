"""AGS/ARS parsing: structure, Excel-mangled keys, errors that name the value."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regiowerk.ags import (
    LAENDER,
    AgsPaddedWarning,
    ars_to_ags,
    kreis_of,
    land_abbreviation,
    land_name,
    land_of,
    normalize_ags_column,
    parse_ags,
    parse_ars,
    parse_kreis,
)
from regiowerk.errors import AgsError

lands = st.sampled_from(sorted(LAENDER))
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
ags_keys = st.builds(
    lambda land, rest: land + rest, lands, st.from_regex(r"[0-9]{6}", fullmatch=True)
)


def test_structure_of_a_real_key() -> None:
    assert parse_ags("01051044") == "01051044"  # Heide, Kreis Dithmarschen
    assert kreis_of("01051044") == "01051"
    assert land_of("01051044") == "01"
    assert land_name("01051044") == "Schleswig-Holstein"
    assert land_abbreviation("15085") == "ST"
    assert land_name("03") == "Niedersachsen"


def test_ars_to_ags_drops_the_gemeindeverband() -> None:
    # Heide: ARS 010515163044 (Amt-free town, Gemeindeverband 5163) -> AGS 01051044
    assert ars_to_ags("010515163044") == "01051044"
    assert parse_ars("010515163044") == "010515163044"


def test_excel_lost_leading_zero_is_restored_with_a_warning() -> None:
    with pytest.warns(AgsPaddedWarning, match="1051044"):
        assert parse_ags(1051044) == "01051044"
    with pytest.warns(AgsPaddedWarning):
        assert parse_ags("1051044.0") == "01051044"
    with pytest.warns(AgsPaddedWarning):
        assert parse_kreis(1051) == "01051"
    with pytest.warns(AgsPaddedWarning):
        assert parse_ars(10515163044) == "010515163044"


@pytest.mark.parametrize(
    "bad", ["ABC", "", "123", "0105104", "010510440", "17000000", "00123456", 1.5, "٠١٠٥١٠٤٤"]
)
def test_invalid_keys_raise_naming_the_value(bad: object) -> None:
    with pytest.raises(AgsError, match=repr(bad).replace(".", r"\.")):
        parse_ags(bad)


def test_padding_can_be_refused() -> None:
    with pytest.raises(AgsError, match="7"):
        parse_ags("1051044", pad=False)


@given(ags_keys)
def test_any_valid_key_survives_a_round_trip_through_a_number(key: str) -> None:
    number = int(key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AgsPaddedWarning)
        assert parse_ags(number) == key
        assert parse_ags(float(number)) == key
    assert parse_ags(key) == key
    assert kreis_of(key) == key[:5]


@given(ags_keys, st.from_regex(r"[0-9]{4}", fullmatch=True))
def test_ars_and_ags_agree(key: str, verband: str) -> None:
    ars = key[:5] + verband + key[5:]
    assert ars_to_ags(ars) == key


@given(st.text(max_size=12))
def test_parse_ags_accepts_only_what_it_can_prove(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AgsPaddedWarning)
        try:
            key = parse_ags(text)
        except AgsError:
            return
    assert len(key) == 8
    assert key.isdigit()
    assert key[:2] in LAENDER
    assert key.endswith(text.strip().removesuffix(".0"))


def test_column_normalisation_pads_counts_and_names_rows() -> None:
    values = pd.Series([1051044, "01051011", "15085040"], index=[2, 3, 4])
    with pytest.warns(AgsPaddedWarning, match="1 AGS"):
        out = normalize_ags_column(values, file="gv.csv", column="AGS")
    assert list(out) == ["01051044", "01051011", "15085040"]

    bad = pd.Series(["01051044", "ABC", None, "123"], index=[10, 11, 12, 13])
    with pytest.raises(AgsError) as info:
        normalize_ags_column(bad, file="gv.csv", column="AGS")
    message = str(info.value)
    assert "gv.csv" in message
    assert "'AGS'" in message
    assert "Zeile 11: 'ABC'" in message
    assert "Zeile 13: '123'" in message
    assert "3 ungültige" in message
