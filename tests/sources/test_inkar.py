"""INKAR (BBSR) parquet files of both vintages into the long ``indicators`` table.

Fixtures are small parquet files written in the tests with the columns of the files in
``../shared/data/inkar`` (theme files, ``_indikatoren*`` and ``_regionen*`` lookups).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regiowerk.sources import all_formats
from regiowerk.sources.base import SourceError
from regiowerk.sources.inkar import detect, read, unit_of

NAN = np.nan


def new_vintage(folder: Path) -> Path:
    """``wirtschaft.parquet`` with ``_indikatoren.parquet`` and ``_regionen.parquet``."""
    pd.DataFrame(
        {
            "rubrik": ["Raumbeobachtung DE", "Raumbeobachtung EU", "Raumbeobachtung DE"],
            "bereich": ["Wirtschaft", "Europa", "Verkehr und Erreichbarkeit"],
            "kuerzel": ["q_bip_ew", "q_bip_ew", "q_pkw"],
            "kurzname": ["BIP je Einwohner", "BIP je Einwohner", "Pkw-Dichte"],
            "name": [
                "Bruttoinlandsprodukt in 1.000 € je Einwohner",
                "Bruttoinlandsprodukt je Einwohner in KKS",
                "Pkw je 1.000 Einwohner \r\n",
            ],
        }
    ).to_parquet(folder / "_indikatoren.parquet")
    pd.DataFrame(
        {"raumbezug": ["Kreise"], "kennziffer": ["01051000"], "name": ["Dithmarschen"]}
    ).to_parquet(folder / "_regionen.parquet")
    path = folder / "wirtschaft.parquet"
    pd.DataFrame(
        {
            "raumbezug": ["Kreise", "Arbeitsmarktregionen", "Kreise"],
            "kennziffer": ["01051000", "005", "01051000"],
            "name": ["Dithmarschen", "Dithmarschen", "Dithmarschen"],
            "zeitbezug": ["2019", "2019", "2020"],
            "q_bip_ew": [32.84, 30.1, NAN],
            "q_pkw": [NAN, 550.0, NAN],
        }
    ).to_parquet(path)
    return path


def old_vintage(folder: Path, *, periods: tuple[str, ...] = ("2020", "2017", "2017")) -> Path:
    """``verkehr__commit0abc.parquet`` with numeric ids and lookups of the same vintage."""
    pd.DataFrame(
        {
            "id": [334, 339, 340],
            "bereich": ["Verkehr und Erreichbarkeit"] * 3,
            "kurzname": [
                "Erreichbarkeit von Autobahnen",
                "Nahversorgung Supermärkte Durchschnittsdistanz",
                "Nahversorgung Supermärkte Anteil der Bev. 1km Radius",
            ],
            "name": [
                "Durchschn. Pkw-Fahrzeit zur nächsten BAB-Anschlussstelle in Minuten",
                "Einwohnergewichtete Luftliniendistanz zum nächsten Supermarkt oder Discounter",
                "Anteil Einwohner mit max. 1000m Luftliniendistanz zum nächsten Supermarkt",
            ],
        }
    ).to_parquet(folder / "_indikatoren__commit0abc.parquet")
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "raumbezug": ["Kreise", "Kreise", "Gemeinden", "Gemeinden", "Bund", "NUTS2"],
            "kennziffer": [1051.0, 16077.0, 1051001.0, 16077052.0, 1.0, NAN],
            "kennziffer_eu": [None, None, None, None, None, "DEF0"],
            "name": ["Dithmarschen", "Altenburger Land", "Albersdorf", "X", "Bund", "SH"],
        }
    ).to_parquet(folder / "_regionen__commit0abc.parquet")
    path = folder / "verkehr__commit0abc.parquet"
    pd.DataFrame(
        {
            "region_id": pd.array([1, 3, 6, 2], dtype="int32"),
            "zeitbezug": [*periods, "2016/2017/2018"],
            "x334": [14.94, NAN, NAN, NAN],
            "x339": [NAN, 900.0, 800.0, 1500.0],
            "x340": [NAN, 70.0, 60.0, 40.0],
        }
    ).to_parquet(path)
    return path


def test_new_vintage_long_with_names_units_and_theme(tmp_path: Path) -> None:
    result = read([new_vintage(tmp_path)])
    frame = result.tables["indicators"]
    assert isinstance(frame.index, pd.RangeIndex)
    assert len(frame) == 3  # empty cells are not carried over
    kreis = frame[frame["region_type"] == "Kreise"].iloc[0]
    assert kreis["region"] == "01051000"
    assert kreis["indicator"] == "q_bip_ew"
    assert kreis["name"] == "Bruttoinlandsprodukt in 1.000 € je Einwohner"  # theme Wirtschaft
    assert kreis["unit"] == "1.000 € je Einwohner"
    assert kreis["year"] == 2019
    assert pd.isna(kreis["period"])
    pkw = frame[frame["indicator"] == "q_pkw"].iloc[0]
    assert pkw["name"] == "Pkw je 1.000 Einwohner"
    assert pkw["unit"] == "je 1.000 Einwohner"
    assert pkw["region"] == "005"
    prov = result.provenance["indicators"]
    assert "BBSR" in prov.attribution
    assert "dl-de/by-2-0" in prov.licence
    assert "INKAR" in prov.source


def test_the_theme_decides_between_equal_kuerzel(tmp_path: Path) -> None:
    path = new_vintage(tmp_path)
    europe = tmp_path / "europa.parquet"
    pd.read_parquet(path).to_parquet(europe)
    frame = read([europe]).tables["indicators"]
    names = set(frame.loc[frame["indicator"] == "q_bip_ew", "name"])
    assert names == {"Bruttoinlandsprodukt je Einwohner in KKS"}


def test_old_vintage_codes_padded_and_periods_kept(tmp_path: Path) -> None:
    frame = read([old_vintage(tmp_path)]).tables["indicators"]
    by = frame.set_index(["region_type", "region", "year", "indicator"])
    assert by.loc[("Kreise", "01051", 2020, "334"), "value"] == pytest.approx(14.94)
    assert by.loc[("Kreise", "01051", 2020, "334"), "unit"] == "Minuten"
    assert by.loc[("Gemeinden", "01051001", 2017, "339"), "unit"] == "m"
    assert by.loc[("Gemeinden", "01051001", 2017, "340"), "unit"] == "%"
    assert by.loc[("NUTS2", "DEF0", 2017, "339"), "value"] == 800
    period = by.loc[("Kreise", "16077", 2018, "339")]
    assert period["period"] == "2016/2017/2018"
    assert period["value"] == 1500


def test_lookups_passed_explicitly_or_found_next_to_the_data(tmp_path: Path) -> None:
    lookups_folder = tmp_path / "lookups"
    lookups_folder.mkdir()
    data = old_vintage(lookups_folder)
    moved = tmp_path / data.name
    data.rename(moved)
    lookups = sorted(lookups_folder.glob("_*.parquet"))
    assert len(read([moved, *lookups]).tables["indicators"]) == 7
    with pytest.raises(SourceError, match=r"_indikatoren__commit0abc\.parquet fehlt"):
        read([moved])
    found = old_vintage(tmp_path / "lookups")
    assert len(read([found]).tables["indicators"]) == 7  # lookups next to the data


def test_unknown_indicator(tmp_path: Path) -> None:
    path = old_vintage(tmp_path)
    pd.read_parquet(path).assign(x999=1.0).to_parquet(path)
    with pytest.raises(SourceError, match="ohne Eintrag in der Indikatorliste: 999"):
        read([path])


def test_unknown_region_id(tmp_path: Path) -> None:
    path = old_vintage(tmp_path)
    frame = pd.read_parquet(path)
    frame.loc[0, "region_id"] = 77
    frame.to_parquet(path)
    with pytest.raises(SourceError, match=r"region_id ohne Eintrag.*77"):
        read([path])


def test_unreadable_period_names_row_and_column(tmp_path: Path) -> None:
    path = old_vintage(tmp_path, periods=("2020", "2017", "Mitte 2017"))
    with pytest.raises(SourceError, match=r"Zeile 3, Spalte 'zeitbezug'.*'Mitte 2017'"):
        read([path])


def test_text_in_an_indicator_column(tmp_path: Path) -> None:
    path = new_vintage(tmp_path)
    pd.read_parquet(path).assign(q_pkw=["1", "k.A.", "3"]).to_parquet(path)
    with pytest.raises(SourceError, match="q_pkw enthalten keine Zahlen"):
        read([path])


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "bildung.parquet"
    path.write_bytes(b"PAR1 broken")
    with pytest.raises(SourceError, match="keine lesbare Parquet-Datei"):
        read([path])


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "bildung.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(SourceError, match="keine INKAR-Themendatei"):
        read([path])


def test_only_lookups(tmp_path: Path) -> None:
    new_vintage(tmp_path)
    with pytest.raises(SourceError, match="keine Indikatordateien"):
        read([tmp_path / "_indikatoren.parquet"])


def test_same_values_in_two_files(tmp_path: Path) -> None:
    path = new_vintage(tmp_path)
    copy = tmp_path / "wirtschaft_kopie.parquet"
    pd.read_parquet(path).to_parquet(copy)
    with pytest.raises(SourceError, match=r"wirtschaft_kopie\.parquet.*wirtschaft\.parquet"):
        read([path, copy])


def test_detect(tmp_path: Path) -> None:
    assert "inkar" in all_formats()
    data = new_vintage(tmp_path)
    assert detect(data)
    assert detect(tmp_path / "_indikatoren.parquet")
    assert detect(old_vintage(tmp_path))
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(other)
    assert not detect(other)
    (tmp_path / "broken.parquet").write_bytes(b"nope")
    assert not detect(tmp_path / "broken.parquet")
    assert not detect(tmp_path / "x.csv")


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("Durchschn. Pkw-Fahrzeit zum nächsten Oberzentrum in Minuten", "Minuten"),
        ("Anteil der Einpendler an den SV Beschäftigten am Arbeitsort in %", "%"),
        (
            "Pendlersaldo je 100 SV Beschäftigte am Arbeitsort",
            "je 100 SV Beschäftigte am Arbeitsort",
        ),
        ("Katasterfläche in km²", "km²"),
        ("Ist-Ausgaben (kurzfristig) in €  je Einwohner", "€ je Einwohner"),
        ("Einwohnergewichtete Luftliniendistanz zur nächsten Apotheke", "m"),
        ("Anteil integrative Kindertageseinrichtungen an allen Kindertageseinrichtungen", "%"),
        ("Zahl der Arbeitslosen insgesamt", "Anzahl"),
        ("Wiedervermietungsmieten inserierter Wohnungen (Angebotsmieten)", None),
    ],
)
def test_units_from_names(name: str, unit: str | None) -> None:
    assert unit_of(name) == unit


# ------------------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_real_accessibility_indicators(real_data: Path) -> None:
    folder = real_data / "inkar"
    result = read([folder / "verkehr_und_erreichbarkeit__commit0bf62d2.parquet"])
    frame = result.tables["indicators"]
    dith = frame[(frame["region_type"] == "Kreise") & (frame["region"] == "01051")]
    access = dith[dith["indicator"].isin([str(i) for i in range(339, 347)])]
    names = access.drop_duplicates("indicator").set_index("indicator")
    assert sorted(names.index) == [str(i) for i in range(339, 347)]
    for code, word in (("339", "Supermarkt"), ("341", "Apotheke"), ("343", "Grundschule")):
        assert word in names.loc[code, "name"]
        assert names.loc[code, "unit"] == "m"
    assert "Haltestelle" in names.loc["345", "name"]
    assert set(names.loc[["340", "342", "344", "346"], "unit"]) == {"%"}
    values = access.set_index(["indicator", "year"])
    assert values.loc[("339", 2017), "value"] == 1864
    assert values.loc[("340", 2017), "value"] == 51
    assert values.loc[("343", 2018), "period"] == "2016/2017/2018"
    kreise = frame[frame["region_type"] == "Kreise"]
    assert kreise["region"].str.fullmatch(r"[0-9]{5}").all()
    assert frame[frame["region_type"] == "Gemeindeverbände"]["region"].str.len().eq(8).all()
    minutes = dith[(dith["indicator"] == "337") & (dith["year"] == 2020)]["value"]
    assert minutes.tolist() == [pytest.approx(65.56)]


@pytest.mark.realdata
def test_real_current_vintage_theme(real_data: Path) -> None:
    frame = read([real_data / "inkar" / "raumwirksame_mittel.parquet"]).tables["indicators"]
    assert frame["indicator"].str.startswith("q_rwm_").all()
    assert set(frame["unit"]) == {"€ je Einwohner"}
    assert frame["region_type"].nunique() == 20
