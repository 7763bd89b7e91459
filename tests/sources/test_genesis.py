"""GENESIS CSV reader: table CSV and flat-file CSV (old and new layout) into canonical tables.

Fixtures are small files written in the tests in the published layouts (Regionaldatenbank
table CSV as in ``kreise_population_migration/raw``; flat files after Destatis' description
"Das neue Flatfile CSV-Format (ffcsv)" and examples of the old ``Statistik_Code`` layout).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from regiowerk.ags import AgsPaddedWarning
from regiowerk.errors import AgsError, SchemaViolation
from regiowerk.sources import all_formats
from regiowerk.sources.base import SourceError
from regiowerk.sources.genesis import detect, read
from regiowerk.sources.genesis_tables import census_basis, parse_age, parse_sector

FOOTER = [
    "__________",
    '"zu ""gesamter Tabelle"":',
    'ab dem Berichtsjahr 2011: Ergebnisse auf Grundlage des Zensus 2011"',
    '"© Statistische Ämter des Bundes und der Länder, Deutschland, 2020.',
    "Dieses Werk ist lizenziert unter der Datenlizenz Deutschland",
    '- Namensnennung - Version 2.0."',
    "Stand: 03.08.2020 / 12:09:32",
]

AGES = ("unter 3 Jahre", "3 bis unter 6 Jahre", "75 Jahre und mehr", "Insgesamt")


def population_csv(
    path: Path,
    *,
    date: str = "31.12.2018",
    code: str = "12411-02-03-4",
    rows: list[str] | None = None,
    footer: bool = True,
) -> Path:
    """A 12411-02-03-4 table CSV as exported by the Regionaldatenbank."""
    head = [
        f"GENESIS-Tabelle: {code}",
        "Bevölkerung nach Geschlecht und Altersgruppen (17) -;;;;;",
        "Stichtag 31.12. - regionale Tiefe: Kreise und krfr. Städte;;;;;",
        "Fortschreibung des Bevölkerungsstandes;;;;;",
        "Bevölkerungsstand (Anzahl);;;;;",
        f"Stichtag: {date};;;;;",
        ";;;Insgesamt;männlich;weiblich",
    ]
    if rows is None:
        rows = [
            "DG;Deutschland;unter 3 Jahre;2383003;1221421;1161582",
            "DG;Deutschland;3 bis unter 6 Jahre;2283123;1172775;1110348",
            "DG;Deutschland;75 Jahre und mehr;9478490;3848628;5629862",
            "DG;Deutschland;Insgesamt;14144616;6242824;7901792",
            "01051;      Dithmarschen, Landkreis;unter 3 Jahre;3300;1700;1600",
            "01051;      Dithmarschen, Landkreis;3 bis unter 6 Jahre;3200;-;.",
            "01051;      Dithmarschen, Landkreis;75 Jahre und mehr;16000;7000;9000",
            "01051;      Dithmarschen, Landkreis;Insgesamt;22500;8700;10600",
        ]
    lines = head + rows + (FOOTER if footer else [])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def migration_csv(path: Path, year: int) -> Path:
    """A 12711-04-02-4 table CSV (four header levels: direction, caption, sex, unit)."""
    direction = ["Zuzüge - Wanderungen über die Kreisgrenzen"] * 3 + [
        "Fortzüge - Wanderungen über die Kreisgrenzen"
    ] * 3
    lines = [
        "GENESIS-Tabelle: 12711-04-02-4",
        "Zu- und Fortzüge (über Kreisgrenzen) nach Geschlecht und;;;;;;;;",
        "Altersgruppen - Jahressumme - regionale Tiefe: Kreise und;;;;;;;;",
        "krfr. Städte;;;;;;;;",
        "Wanderungsstatistik;;;;;;;;",
        f"Jahr: {year};;;;;;;;",
        ";;;" + ";".join(direction),
        ";;;" + ";".join(["Geschlecht"] * 6),
        ";;;Insgesamt;männlich;weiblich;Insgesamt;männlich;weiblich",
        ";;;" + ";".join(["Anzahl"] * 6),
        "15085;      Harz, Landkreis;unter 18 Jahre;900;460;440;800;410;390",
        "15085;      Harz, Landkreis;65 Jahre und mehr;300;.;.;350;-;350",
        "15085;      Harz, Landkreis;Insgesamt;1200;.;.;1150;.;.",
        *FOOTER,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def employment_csv(path: Path, code: str = "13111-07-05-4", place: str = "Arbeitsort") -> Path:
    """A 13111-07-05-4 table CSV: WZ groups × nationality × sex."""
    sectors = [
        ("Land- und Forstwirtschaft, Fischerei (A)", "18;12;6;.;.;."),
        ("Produzierendes Gewerbe (B-F)", "9000;7000;2000;500;400;100"),
        ("Freiberufl,wissenschaftl. techn. Dienstl.,sonst.DL", "4000;2000;2000;300;200;100"),
        ("Öff.Verw.,Verteidig.,Sozialvers.,Erz.-u.Unterricht", "7000;2000;5000;200;50;150"),
        ("Kunst, Unterhaltung, Erholung, Priv. Haush.,usw.", "1000;400;600;90;40;50"),
        ("Insgesamt", "21018;11412;9606;1090;690;400"),
    ]
    lines = [
        f"GENESIS-Tabelle: {code}",
        f"Sozialversicherungspflichtig Beschäftigte am {place} nach;;;;;;;;",
        "Geschlecht, Nationalität und Wirtschaftszweigen - Stichtag;;;;;;;;",
        "30.06. - Kreise u. krfr. Städte;;;;;;;;",
        "Stichtag: 30.06.2015;;;;;;;;",
        ";;;" + ";".join(["Nationalität"] * 6),
        ";;;Insgesamt;Insgesamt;Insgesamt;Ausländer(innen);Ausländer(innen);Ausländer(innen)",
        ";;;" + ";".join(["Geschlecht"] * 6),
        ";;;Insgesamt;männlich;weiblich;Insgesamt;männlich;weiblich",
        *[f"01001;      Flensburg, kreisfreie Stadt;{label};{values}" for label, values in sectors],
        *FOOTER,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def flat_old(path: Path, rows: list[str]) -> Path:
    """A flat file CSV in the layout used until 2024 (``Statistik_Code``, ``CODE__Label__Unit``)."""
    header = (
        "Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit;1_Merkmal_Code;1_Merkmal_Label;"
        "1_Auspraegung_Code;1_Auspraegung_Label;2_Merkmal_Code;2_Merkmal_Label;2_Auspraegung_Code;"
        "2_Auspraegung_Label;3_Merkmal_Code;3_Merkmal_Label;3_Auspraegung_Code;3_Auspraegung_Label;"
        "BEVSTD__Bevoelkerungsstand__Anzahl;BEVSTD__Bevoelkerungsstand__q"
    )
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def flat_row(key: str, name: str, sex: str, age: str, value: str, level: str = "KREISE") -> str:
    sex_code = {"männlich": "GESM", "weiblich": "GESW", "Insgesamt": ""}[sex]
    return (
        f"12411;Fortschreibung des Bevölkerungsstandes;STAG;Stichtag;31.12.2021;{level};"
        f"Kreise und krfr. Städte;{key};{name};GES;Geschlecht;{sex_code};{sex};ALTX17;"
        f"Altersgruppen;ALT000B03;{age};{value};e"
    )


NEW_HEADER = (
    "statistics_code;statistics_label;time_code;time_label;time;1_variable_code;1_variable_label;"
    "1_variable_attribute_code;1_variable_attribute_label;2_variable_code;2_variable_label;"
    "2_variable_attribute_code;2_variable_attribute_label;value;value_unit;value_variable_code;"
    "value_variable_label;value_q"
)


def flat_new(path: Path, statistic: str, rows: list[tuple[str, ...]]) -> Path:
    """A flat file CSV in the layout since 2024; each row: region variable, its label, key,
    name, variable code and label, attribute code and label, value, measure label, quality."""
    lines = [NEW_HEADER]
    for (
        region_var,
        region_label,
        key,
        name,
        var,
        var_label,
        attr,
        attr_label,
        value,
        measure,
        q,
    ) in rows:
        lines.append(
            f"{statistic};Zensus 2022;STAG;Stichtag;2022-05-15;{region_var};{region_label};{key};"
            f"{name};{var};{var_label};{attr};{attr_label};{value};Anzahl;X001;{measure};{q}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------
# Table CSV
# ------------------------------------------------------------------------------------------


def test_population_bands_from_table_csv(tmp_path: Path) -> None:
    result = read([population_csv(tmp_path / "12411-02-03-4_2018.csv")])
    frame = result.tables["population_bands"]
    assert isinstance(frame.index, pd.RangeIndex)
    assert len(frame) == 12  # totals of age and sex left out
    dith = frame[frame["region"] == "01051"].set_index(["age_from", "age_to", "sex"])
    assert dith.loc[(0, 2, "m"), "persons"] == 1700
    assert dith.loc[(75, 100, "f"), "persons"] == 9000
    assert dith.loc[(3, 5, "m"), "persons"] == 0
    assert dith.loc[(3, 5, "m"), "flag"] == "-"
    assert pd.isna(dith.loc[(3, 5, "f"), "persons"])
    assert dith.loc[(3, 5, "f"), "flag"] == "."
    assert frame["year"].unique().tolist() == [2018]
    prov = result.provenance["population_bands"]
    assert prov.census_basis == "zensus2011"
    assert prov.gebietsstand == "2018-12-31"
    assert prov.attribution == "© Statistische Ämter des Bundes und der Länder, Deutschland, 2020"
    assert "dl-de/by-2-0" in prov.licence
    assert "12411-02-03-4" in prov.source
    assert prov.url is not None
    assert "regionalstatistik" in prov.url
    assert any("'-' (= 0)" in m and "'.' (fehlend)" in m for m in result.messages)


@pytest.mark.parametrize(
    ("date", "basis"),
    [("31.12.2010", "pre2011"), ("31.12.2011", "zensus2011"), ("31.12.2022", "zensus2022")],
)
def test_census_basis_follows_the_reference_date(tmp_path: Path, date: str, basis: str) -> None:
    result = read([population_csv(tmp_path / "pop.csv", date=date)])
    assert result.provenance["population_bands"].census_basis == basis
    assert census_basis(int(date[-4:])) == basis


def test_migration_year_from_content_and_repeated_file_skipped(tmp_path: Path) -> None:
    first = migration_csv(tmp_path / "12711-04-02-4_2000.csv", 2000)
    second = migration_csv(tmp_path / "12711-04-02-4_2001.csv", 2000)  # the published quirk
    with second.open("a", encoding="utf-8") as handle:
        handle.write("Stand: 04.08.2020 / 10:00:00\n")  # differs in the footer only
    result = read([first, second])
    frame = result.tables["migration"]
    assert frame["year"].unique().tolist() == [2000]
    assert len(frame) == 8  # 2 ages × 2 directions × 2 sexes
    row = frame.set_index(["direction", "age_from", "age_to", "sex"])
    assert row.loc[("in", 0, 17, "m"), "persons"] == 460
    assert row.loc[("out", 65, 100, "m"), "flag"] == "-"
    assert pd.isna(row.loc[("in", 65, 100, "f"), "persons"])
    assert any("übersprungen" in m and "12711-04-02-4_2001.csv" in m for m in result.messages)
    assert result.provenance["migration"].census_basis is None


def test_file_name_year_differing_from_content_is_reported(tmp_path: Path) -> None:
    result = read([migration_csv(tmp_path / "12711-04-02-4_2001.csv", 2000)])
    assert result.tables["migration"]["year"].unique().tolist() == [2000]
    assert any("Dateiname nennt 2001" in m for m in result.messages)


def test_employment_sectors_with_nationality_and_sex_totals(tmp_path: Path) -> None:
    frame = read([employment_csv(tmp_path / "13111-07-05-4_2015.csv")]).tables["employment"]
    persons = frame.set_index("sector")["persons"]
    assert persons.to_dict() == {
        "A": 18,
        "B-F": 9000,
        "M-N": 4000,
        "O-Q": 7000,
        "R-U": 1000,
        "A-U": 21018,
    }
    assert frame["year"].unique().tolist() == [2015]


def test_employment_at_place_of_residence_is_refused(tmp_path: Path) -> None:
    path = employment_csv(tmp_path / "x.csv", code="13111-02-02-4", place="Wohnort")
    with pytest.raises(SourceError, match="Wohnort"):
        read([path])


def test_deaths_with_leading_time_column_and_nationality(tmp_path: Path) -> None:
    lines = [
        "GENESIS-Tabelle: 12613-02-02-4",
        "Gestorbene nach Geschlecht, Nationalität und Altersgruppen;;;;;;;;;",
        "- Jahressumme - regionale Tiefe: Kreise und krfr. Städte;;;;;;;;;",
        ";;;;Insgesamt;Insgesamt;Insgesamt;Deutsche;Deutsche;Deutsche",
        ";;;;Insgesamt;männlich;weiblich;Insgesamt;männlich;weiblich",
        "2016;01051;Dithmarschen;unter 1 Jahr;3;2;1;3;2;1",
        "2016;01051;Dithmarschen;85 Jahre und mehr;700;250;450;690;245;445",
        "2016;01051;Dithmarschen;Insgesamt;703;252;451;693;247;446",
        "2017;01051;Dithmarschen;unter 1 Jahr;4;-;4;4;-;4",
        "2017;01051;Dithmarschen;85 Jahre und mehr;710;260;450;700;255;445",
        "2017;01051;Dithmarschen;Insgesamt;714;260;454;704;255;449",
        *FOOTER,
    ]
    path = tmp_path / "12613-02-02-4.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read([path])
    frame = result.tables["deaths"].set_index(["year", "age_from", "age_to", "sex"])
    assert frame.loc[(2016, 85, 100, "f"), "deaths"] == 450
    assert frame.loc[(2017, 0, 0, "m"), "deaths"] == 0
    assert len(frame) == 8
    assert result.provenance["deaths"].gebietsstand is None  # two reference dates


def test_births_with_time_in_the_header_and_no_mother_age(tmp_path: Path) -> None:
    lines = [
        "GENESIS-Tabelle: 12612-01-01-4",
        "Lebendgeborene nach Geschlecht - Jahressumme -;;;;;;",
        "regionale Tiefe: Kreise und krfr. Städte;;;;;;",
        ";;2016;2016;2017;2017",
        ";;männlich;weiblich;männlich;weiblich",
        "01051;Dithmarschen;520;490;530;500",
        "01053;Herzogtum Lauenburg;900;880;910;870",
        *FOOTER,
    ]
    path = tmp_path / "births.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read([path]).tables["births"]
    assert set(frame["year"]) == {2016, 2017}
    assert (frame["age_from"] == 0).all()
    assert (frame["age_to"] == 100).all()
    row = frame.set_index(["region", "year", "sex"])
    assert row.loc[("01053", 2017, "f"), "births"] == 870


def test_single_years_of_municipalities_go_to_population(tmp_path: Path) -> None:
    ages = ["unter 1 Jahr", *[f"{a} Jahre" if a > 1 else "1 Jahr" for a in range(1, 100)]]
    ages.append("100 Jahre und mehr")
    rows = [
        f"{key};{name};{age};{2 * i};{i};{i}"
        for key, name in (("01051001", "Albersdorf"), ("01051", "Dithmarschen"))
        for i, age in enumerate(ages)
    ]
    path = population_csv(tmp_path / "12411-03-02-5.csv", code="12411-03-02-5", rows=rows)
    result = read([path])
    population = result.tables["population"]
    assert set(population["ags"]) == {"01051001"}
    assert population.set_index(["age", "sex"]).loc[(100, "f"), "persons"] == 100
    assert len(population) == 202
    bands = result.tables["population_bands"]
    assert set(bands["region"]) == {"01051"}
    assert (bands["age_from"] == bands["age_to"]).all()


def test_single_years_with_open_class_below_100_stay_in_bands(tmp_path: Path) -> None:
    rows = [
        "01051001;Albersdorf;unter 1 Jahr;10;5;5",
        "01051001;Albersdorf;1 Jahr;10;5;5",
        "01051001;Albersdorf;90 Jahre und mehr;20;8;12",
    ]
    result = read([population_csv(tmp_path / "p.csv", rows=rows)])
    assert set(result.tables) == {"population_bands"}
    assert result.tables["population_bands"]["age_to"].max() == 100
    assert any("'90 Jahre und mehr' bleiben" in m for m in result.messages)


def test_missing_municipal_single_year_value(tmp_path: Path) -> None:
    rows = ["01051001;Albersdorf;unter 1 Jahr;10;.;5", "01051001;Albersdorf;1 Jahr;10;5;5"]
    with pytest.raises(SourceError, match=r"Zeile 8 \(männlich\).*population"):
        read([population_csv(tmp_path / "p.csv", rows=rows)])


def test_stocks_across_the_census_break_carry_their_basis_per_row(tmp_path: Path) -> None:
    lines = [
        "GENESIS-Tabelle: 12411-02-03-4",
        "Bevölkerung nach Geschlecht und Altersgruppen;;;;;;",
        ";;;;Insgesamt;männlich;weiblich",
        "31.12.2010;01051;Dithmarschen;unter 3 Jahre;3300;1700;1600",
        "31.12.2011;01051;Dithmarschen;unter 3 Jahre;3200;1650;1550",
        *FOOTER,
    ]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read([path])
    bands = result.tables["population_bands"]
    assert dict(zip(bands["year"], bands["census_basis"], strict=True)) == {
        2010: "pre2011",
        2011: "zensus2011",
    }
    assert result.provenance["population_bands"].census_basis is None


def test_files_on_different_census_bases_merge_with_the_basis_per_row(tmp_path: Path) -> None:
    old = population_csv(tmp_path / "a.csv", date="31.12.2010")
    new = population_csv(tmp_path / "b.csv", date="31.12.2011")
    result = read([old, new])
    bands = result.tables["population_bands"]
    assert set(zip(bands["year"], bands["census_basis"], strict=True)) == {
        (2010, "pre2011"),
        (2011, "zensus2011"),
    }
    assert result.provenance["population_bands"].source_files == ("a.csv", "b.csv")


def test_conflicting_files_name_both(tmp_path: Path) -> None:
    first = population_csv(tmp_path / "a.csv")
    rows = ["01051;Dithmarschen;unter 3 Jahre;3301;1701;1600"]
    second = population_csv(tmp_path / "b.csv", rows=rows)
    with pytest.raises(SourceError, match=r"b\.csv.*a\.csv"):
        read([first, second])


# ------------------------------------------------------------------------------------------
# Flat files
# ------------------------------------------------------------------------------------------


def test_flat_file_old_layout(tmp_path: Path) -> None:
    rows = [
        flat_row("01051", "Dithmarschen", "männlich", "unter 3 Jahre", "1700"),
        flat_row("01051", "Dithmarschen", "weiblich", "unter 3 Jahre", "1600"),
        flat_row("01051", "Dithmarschen", "Insgesamt", "unter 3 Jahre", "3300"),
        flat_row("01051", "Dithmarschen", "männlich", "Insgesamt", "65000"),
        flat_row("01053", "Herzogtum Lauenburg", "weiblich", "unter 3 Jahre", "..."),
        flat_row("", "Insgesamt", "weiblich", "unter 3 Jahre", "8000"),
        flat_row("DG", "Deutschland", "weiblich", "unter 3 Jahre", "1161582", level="DINSG"),
    ]
    path = flat_old(tmp_path / "12411-02-03-4_flat.csv", rows)
    result = read([path])
    frame = result.tables["population_bands"]
    assert sorted(frame["region"]) == ["01051", "01051", "01053", "DG"]
    lauenburg = frame[frame["region"] == "01053"].iloc[0]
    assert pd.isna(lauenburg["persons"])
    assert lauenburg["flag"] == "..."
    assert result.provenance["population_bands"].census_basis == "zensus2011"
    assert "12411-02-03-4" in result.provenance["population_bands"].source
    assert any("Summenzeilen ohne Regionalschlüssel" in m for m in result.messages)


def test_flat_file_new_layout_dwellings_by_rooms(tmp_path: Path) -> None:
    gem = ("GEOGM4", "Gemeinden", "010510011011", "Albersdorf", "RAUM", "Räume")
    rows = [
        (*gem, "R1", "1 Raum", "12", "Wohnungen", "e"),
        (*gem, "R7", "7 Räume und mehr", "30", "Wohnungen", "e"),
        (*gem, "", "Insgesamt", "42", "Wohnungen", "e"),
        (
            "GEODL1",
            "Deutschland",
            "DG",
            "Deutschland",
            "RAUM",
            "Räume",
            "R1",
            "1 Raum",
            "",
            "Wohnungen",
            ".",
        ),
    ]
    path = flat_new(tmp_path / "4000W-1001_de_flat.csv", "4000W", rows)
    assert detect(path)
    result = read([path])
    frame = result.tables["dwellings"].set_index(["region", "rooms"])
    assert frame.loc[("01051011", 1), "dwellings"] == 12
    assert frame.loc[("01051011", 7), "dwellings"] == 30
    assert pd.isna(frame.loc[("DG", 1), "dwellings"])
    assert frame.loc[("DG", 1), "flag"] == "."  # placeholder given in value_q
    assert frame["occupied"].isna().all()
    assert len(frame) == 3
    prov = result.provenance["dwellings"]
    assert prov.census_basis == "zensus2022"
    assert prov.gebietsstand == "2022-05-15"


def test_flat_file_households_summed_into_five_and_more(tmp_path: Path) -> None:
    land = ("GEOBL1", "Bundesländer", "01", "Schleswig-Holstein", "HHGR", "Haushaltsgröße")
    rows = [
        (*land, "H1", "1 Person", "100", "Haushalte", "e"),
        (*land, "H5", "5 Personen", "20", "Haushalte", "e"),
        (*land, "H6", "6 und mehr Personen", "7", "Haushalte", "e"),
        (*land, "", "Insgesamt", "127", "Haushalte", "e"),
    ]
    path = flat_new(tmp_path / "3000H-1001_de_flat.csv", "3000H", rows)
    assert detect(path)
    frame = read([path]).tables["households"].set_index("size")
    assert frame["households"].to_dict() == {1: 100, 5: 27}


# ------------------------------------------------------------------------------------------
# Detection and malformed input
# ------------------------------------------------------------------------------------------


def test_detect(tmp_path: Path) -> None:
    assert "genesis" in all_formats()
    assert detect(population_csv(tmp_path / "a.csv"))
    assert detect(flat_old(tmp_path / "b.csv", []))
    tidy = tmp_path / "tidy.csv"
    tidy.write_text("year,ags,name\n2018,01051,Dithmarschen\n", encoding="utf-8")
    assert not detect(tidy)
    zensus_population = tmp_path / "1000A-0000_de_flat.csv"
    zensus_population.write_text(
        "statistics_code;statistics_label;time\n1000A;Bevölkerung kompakt;2022-05-15\n",
        encoding="utf-8",
    )
    assert not detect(zensus_population)
    assert not detect(tmp_path / "missing.csv")
    assert not detect(tmp_path / "a.xlsx")


def test_cp1252_file_names_line_and_suggests_encoding(tmp_path: Path) -> None:
    path = population_csv(tmp_path / "p.csv")
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(SourceError, match=r"Zeile 2.*--encoding cp1252"):
        read([path])
    frame = read([path], encoding="cp1252").tables["population_bands"]
    assert len(frame) == 12


def test_unknown_table_code_lists_supported(tmp_path: Path) -> None:
    path = population_csv(tmp_path / "p.csv", code="99999-01-01-4")
    with pytest.raises(SourceError, match=r"99999-01-01-4.*nicht unterstützt.*12411.*13111"):
        read([path])


def test_unknown_placeholder_names_row_and_column(tmp_path: Path) -> None:
    rows = [
        "01051;Dithmarschen;unter 3 Jahre;3300;1700;-",
        "01051;Dithmarschen;3 bis unter 6 Jahre;3200;x;/",
        "01051;Dithmarschen;75 Jahre und mehr;16000;k.A.;...",
    ]
    with pytest.raises(SourceError, match=r"Zeile 10, Spalte 'männlich'.*'k\.A\.'"):
        read([population_csv(tmp_path / "p.csv", rows=rows)])


def test_duplicate_region_names_both_lines(tmp_path: Path) -> None:
    rows = [
        "01051;Dithmarschen;unter 3 Jahre;3300;1700;1600",
        "01051;Dithmarschen;unter 3 Jahre;3300;1700;1600",
    ]
    with pytest.raises(SchemaViolation, match=r"Zeile 8.*doppelt") as info:
        read([population_csv(tmp_path / "p.csv", rows=rows)])
    assert any("Zeile 9" in p for p in info.value.problems)


def test_negative_count_names_line_and_column(tmp_path: Path) -> None:
    rows = ["01051;Dithmarschen;unter 3 Jahre;3300;-1700;1600"]
    with pytest.raises(SchemaViolation, match=r"Zeile 8 \(männlich\), Spalte 'persons'"):
        read([population_csv(tmp_path / "p.csv", rows=rows)])


def test_file_cut_mid_row(tmp_path: Path) -> None:
    path = population_csv(tmp_path / "p.csv", footer=False)
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text[: text.rindex(";")], encoding="utf-8")
    with pytest.raises(SourceError, match=r"Zeile 15: 5 statt 6 Felder.*abgeschnitten"):
        read([path])


def test_missing_footer_is_fine(tmp_path: Path) -> None:
    result = read([population_csv(tmp_path / "p.csv", footer=False)])
    assert len(result.tables["population_bands"]) == 12
    assert any("Fußzeilen fehlen" in m for m in result.messages)


def test_missing_header_is_an_error(tmp_path: Path) -> None:
    path = population_csv(tmp_path / "p.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    (tmp_path / "no_columns.csv").write_text("\n".join(lines[:6] + lines[7:]), encoding="utf-8")
    with pytest.raises(SourceError, match=r"Zeile 7: Kopfzeilen .* fehlen"):
        read([tmp_path / "no_columns.csv"])
    (tmp_path / "no_head.csv").write_text("\n".join(lines[7:]), encoding="utf-8")
    with pytest.raises(SourceError, match=r"Zeile 1: keine GENESIS-Datei"):
        read([tmp_path / "no_head.csv"])


def test_wrong_delimiter(tmp_path: Path) -> None:
    path = population_csv(tmp_path / "p.csv")
    path.write_text(path.read_text(encoding="utf-8").replace(";", ","), encoding="utf-8")
    with pytest.raises(SourceError, match=r"Trennzeichen.*Komma"):
        read([path])


def test_kreis_key_with_lost_zero_is_restored(tmp_path: Path) -> None:
    rows = ["1051;Dithmarschen;unter 3 Jahre;3300;1700;1600"]
    with pytest.warns(AgsPaddedWarning, match="führende Null"):
        frame = read([population_csv(tmp_path / "p.csv", rows=rows)]).tables["population_bands"]
    assert set(frame["region"]) == {"01051"}


def test_invalid_region_key_names_line(tmp_path: Path) -> None:
    rows = ["01051;Dithmarschen;unter 3 Jahre;3300;1700;1600", "99123;X;unter 3 Jahre;1;1;0"]
    with pytest.raises(AgsError, match=r"Zeile 9"):
        read([population_csv(tmp_path / "p.csv", rows=rows)])


def test_unknown_age_label_names_line_and_column(tmp_path: Path) -> None:
    rows = [
        "01051;Dithmarschen;unter 3 Jahre;3300;1700;1600",
        "01051;Dithmarschen;drei bis sechs;3200;1600;1600",
    ]
    with pytest.raises(SourceError, match=r"Zeile 9.*'drei bis sechs'.*Altersgliederung"):
        read([population_csv(tmp_path / "p.csv", rows=rows)])


def test_table_without_age_bands_is_explained(tmp_path: Path) -> None:
    rows = ["01051;Dithmarschen;Insgesamt;133210;65720;67490"]
    with pytest.raises(SourceError, match="keine Gliederung nach Altersgliederung"):
        read([population_csv(tmp_path / "p.csv", code="12411-01-01-4", rows=rows)])


def test_flat_file_without_regional_merkmal(tmp_path: Path) -> None:
    row = flat_row("01051", "Dithmarschen", "männlich", "unter 3 Jahre", "1700", level="XYZ")
    with pytest.raises(SourceError, match="kein Regionalmerkmal"):
        read([flat_old(tmp_path / "f.csv", [row])])


@pytest.mark.parametrize(
    ("label", "band"),
    [
        ("unter 3 Jahre", (0, 2)),
        ("unter 1 Jahr", (0, 0)),
        ("3 bis unter 6 Jahre", (3, 5)),
        ("75 Jahre und mehr", (75, 100)),
        ("40 Jahre", (40, 40)),
        ("Insgesamt", None),
    ],
)
def test_age_labels(label: str, band: tuple[int, int] | None) -> None:
    assert parse_age(label) == band


def test_sector_labels() -> None:
    assert parse_sector("Produzierendes Gewerbe ohne Baugewerbe (B-E)") == "B-E"
    assert parse_sector("Erbringung von Finanz- und Vers.leistungen (K)") == "K"
    assert parse_sector("Insgesamt") is None


# ------------------------------------------------------------------------------------------
# Real data (Regionaldatenbank exports in ../shared/data)
# ------------------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_real_population_1995_2018(real_data: Path) -> None:
    raw = real_data / "kreise_population_migration" / "raw"
    files = sorted(raw.glob("12411-02-03-4_*.csv"))
    assert len(files) == 24
    start = time.perf_counter()
    old = read([f for f in files if int(f.stem[-4:]) <= 2010])
    new = read([f for f in files if int(f.stem[-4:]) >= 2011])
    elapsed = time.perf_counter() - start
    assert elapsed < 40
    assert old.provenance["population_bands"].census_basis == "pre2011"
    assert new.provenance["population_bands"].census_basis == "zensus2011"
    frame = pd.concat([old.tables["population_bands"], new.tables["population_bands"]])
    assert sorted(frame["year"].unique()) == list(range(1995, 2019))
    totals = frame.groupby(["year", "region"])["persons"].sum()
    y2018 = totals.loc[2018]
    assert y2018["DG"] == 83_019_213
    kreise = y2018[y2018.index.str.len() == 5]
    # Hamburg (02) and Berlin (11) are Länder without a Kreis row in this table
    assert kreise.sum() + y2018["02"] + y2018["11"] == y2018["DG"]
    assert 130_000 < y2018["01051"] < 136_000
    assert y2018["01051"] == 133_210
    assert totals.loc[(2011, "DG")] == 80_327_900
    assert totals.loc[(2008, "15085")] == 237_653
    tidy = pd.read_csv(
        real_data
        / "kreise_population_migration"
        / "12411-02-03-4_population_kreise_17agegroups_sex_1995_2018_long.csv",
        dtype={"ags": str},
    )
    tidy2018 = tidy[(tidy["year"] == 2018) & (tidy["age_group"] != "Insgesamt")]
    males = frame[(frame["year"] == 2018) & (frame["sex"] == "m")]
    assert males["persons"].sum() == pytest.approx(tidy2018["pop_male"].sum())
    both = read([files[15], files[16]]).tables["population_bands"]  # 2010 and 2011
    assert both.groupby("year")["census_basis"].unique().map(list).to_dict() == {
        2010: ["pre2011"],
        2011: ["zensus2011"],
    }


@pytest.mark.realdata
@pytest.mark.slow
def test_real_migration_years_from_content(real_data: Path) -> None:
    files = sorted((real_data / "kreise_population_migration" / "raw").glob("12711-04-02-4_*"))
    result = read(files)
    frame = result.tables["migration"]
    years = sorted(frame["year"].unique())
    assert years == [y for y in range(1995, 2019) if y != 2001]
    assert any("12711-04-02-4_2001.csv: dieselben Daten" in m for m in result.messages)
    harz = frame[(frame["region"] == "15085") & (frame["year"] == 2018)]
    assert harz.groupby("direction")["persons"].sum().to_dict() == {"in": 8540, "out": 8399}
    harz2015 = frame[(frame["region"] == "15085") & (frame["year"] == 2015)]
    assert harz2015[harz2015["direction"] == "in"]["persons"].sum() == 28_835


@pytest.mark.realdata
def test_real_employment_by_sector(real_data: Path) -> None:
    files = sorted((real_data / "employment_wz_kreise" / "raw").glob("13111-07-05-4_*.csv"))
    result = read(files)
    frame = result.tables["employment"]
    assert sorted(frame["year"].unique()) == list(range(2015, 2021))
    total = frame[(frame["region"] == "DG") & (frame["sector"] == "A-U")]
    assert total.set_index("year")["persons"].to_dict() == {
        2015: 30_771_297,
        2016: 31_443_318,
        2017: 32_164_973,
        2018: 32_870_228,
        2019: 33_407_262,
        2020: 33_322_952,
    }
    harz = frame[(frame["region"] == "15085") & (frame["sector"] == "C")]
    assert harz.set_index("year")["persons"][[2015, 2020]].tolist() == [15_703, 15_696]
    kreise = frame[frame["region"].str.len() == 5]
    suppressed = int((kreise["flag"] == ".").sum())
    assert suppressed == 409
    assert 0.8 < suppressed / len(kreise) * 100 < 1.2
    assert kreise.loc[kreise["flag"] == ".", "persons"].isna().all()
