"""GV-ISys "Auszug GV" (Destatis Gemeindeverzeichnis): CSV export, XLSX original, 4Q copy.

Fixtures are tiny files written here in the published layouts with invented municipalities;
real-data tests read every vintage in ``shared/data/gv_auszug``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from regiowerk.errors import AgsError, SchemaViolation
from regiowerk.sources import all_formats, gvisys
from regiowerk.sources.base import SourceError

from factories import raises_at

HEADER = (
    "Satz-art;Text-kenn-zeichen;Land;RB;Kreis;VB;Gem;Gemeindename;;insgesamt;männlich;weiblich;"
    "je km2;plz;Längengrad;Breitengrad;key_travel;Reisegebiete;Schlüssel;Grad der Verstädterung"
)
# Invented municipalities in Kreis 01051 and 14522 (keys are real-looking, names and figures
# are not): a city, a municipality, an uninhabited unincorporated area (TK 66, population "  ").
LINES = (
    "10;;1;;;;;Schleswig-Holstein;;;;;;;;;;;;",
    "40;44;1;0;51;;;Musterkreis;;;;;;;;;;;;",
    "50;50;1;0;51;11;;Musterstadt, Stadt;;;;;;;;;;;;",
    "60;63;1;0;51;11;11;Musterstadt, Stadt;65,21; 12 381; 6 202; 6 179;190;25541;9,13735;"
    "53,896932;F01;Nordsee;2;mittlere Besiedlungsdichte",
    "50;52;1;0;51;5163;;Amt Beispiel;;;;;;;;;;;;",
    "60;64;1;0;51;5163;3;Beispieldorf;9,06;554;288;266;61;25715;9,182663;53,941154;F04;"
    "übrig. Schleswig-Holstein;3;gering besiedelt",
    "60;66;1;0;51;9105;105;Beispielforst, gemfr. Gebiet;58,49;  ;  ;  ;  ;;10,373262;"
    "53,530995;F04;übrig. Schleswig-Holstein;3;gering besiedelt",
    "10;;14;;;;;Sachsen;;;;;;;;;;;;",
    "60;64;14;5;22;5050;12;Sächsisch Musterau;14,07; 3 530; 1 703; 1 827;251;4639;12,433836;"
    "50,888453;E29;Erzgebirge;1;dicht besiedelt",
)
ROW_OF_MUSTERSTADT = 5  # header is line 1


def write_gv(
    folder: Path,
    lines: tuple[str, ...] = LINES,
    *,
    name: str = "31122021_Auszug_GV.csv",
    header: str = HEADER,
    encoding: str = "utf-8-sig",
) -> Path:
    path = folder / name
    path.write_text("\n".join((header, *lines)) + "\n", encoding=encoding)
    return path


def replaced(
    line_no: int, field: int, value: str, lines: tuple[str, ...] = LINES
) -> tuple[str, ...]:
    """``lines`` with field ``field`` (0-based) of file line ``line_no`` set to ``value``."""
    out = list(lines)
    parts = out[line_no - 2].split(";")
    parts[field] = value
    out[line_no - 2] = ";".join(parts)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Reading the CSV export


def test_csv_export_gives_register_and_population(tmp_path: Path) -> None:
    result = gvisys.read([write_gv(tmp_path)])
    register = result.tables["municipality_register"]
    assert register["ags"].tolist() == ["01051011", "01051003", "01051105", "14522012"]
    first = register.iloc[0]
    assert first["name"] == "Musterstadt, Stadt"
    assert (first["kreis"], first["land"], first["year"]) == ("01051", "01", 2021)
    assert first["area_km2"] == pytest.approx(65.21)
    assert (first["lon"], first["lat"]) == (pytest.approx(9.13735), pytest.approx(53.896932))
    assert register["urbanisation"].tolist() == [2, 3, 3, 1]
    assert register["postcode"].fillna("").tolist() == ["25541", "25715", "", "04639"]

    population = result.tables["population_totals"]
    assert population["region"].tolist() == ["01051011", "01051003", "14522012"]
    assert population["persons"].tolist() == [12381, 554, 3530]
    assert population["male"].tolist() == [6202, 288, 1703]
    assert population["female"].tolist() == [6179, 266, 1827]
    assert set(population["census_basis"]) == {"zensus2011"}
    assert set(population["reference_date"]) == {"2021-12-31"}
    assert population["flag"].isna().all()

    text = "\n".join(result.messages)
    assert "1 unbewohnte gemeindefreie Gebiete" in text
    assert "1 Postleitzahlen ohne führende Null" in text
    prov = result.provenance["population_totals"]
    assert prov.census_basis == "zensus2011"
    assert prov.gebietsstand == "2021-12-31"
    assert prov.attribution == "© Statistisches Bundesamt (Destatis), 2022"
    assert prov.source_files == ("31122021_Auszug_GV.csv",)
    assert result.provenance["municipality_register"].census_basis is None


@pytest.mark.parametrize(
    ("name", "basis"),
    [
        ("31122009_Auszug_GV.csv", "pre2011"),
        ("31122011_Auszug_GV.csv", "pre2011"),
        ("31122012_Auszug_GV.csv", "zensus2011"),
        ("31122019_Auszug_GV.csv", "zensus2011"),
    ],
)
def test_census_basis_follows_the_reference_date(tmp_path: Path, name: str, basis: str) -> None:
    result = gvisys.read([write_gv(tmp_path, name=name)])
    population = result.tables["population_totals"]
    assert set(population["census_basis"]) == {basis}
    assert set(population["year"]) == {int(name[4:8])}


def test_vintages_on_different_census_bases_in_one_import(tmp_path: Path) -> None:
    paths = [write_gv(tmp_path, name=f"3112{year}_Auszug_GV.csv") for year in (2011, 2014)]
    result = gvisys.read(paths)
    population = result.tables["population_totals"]
    bases = dict(zip(population["year"], population["census_basis"], strict=True))
    assert bases == {2011: "pre2011", 2014: "zensus2011"}
    prov = result.provenance["population_totals"]
    assert prov.census_basis is None
    assert "pre2011, zensus2011" in (prov.notes or "")
    assert len(result.tables["municipality_register"]) == 8


def test_files_after_2021_are_refused_for_their_ambiguous_basis(tmp_path: Path) -> None:
    with pytest.raises(
        SourceError, match=r"31122022_Auszug_GV\.csv.*Zensus 2011 oder des Zensus 2022"
    ):
        gvisys.read([write_gv(tmp_path, name="31122022_Auszug_GV.csv")])


def test_reference_date_from_argument_only_when_the_file_names_none(tmp_path: Path) -> None:
    path = write_gv(tmp_path, name="gemeinden.csv")
    with pytest.raises(SourceError, match=r"gemeinden\.csv: Stichtag nicht erkennbar"):
        gvisys.read([path])
    result = gvisys.read([path], reference_date="2019-12-31")
    assert set(result.tables["population_totals"]["year"]) == {2019}
    with pytest.raises(SourceError, match="kein Datum"):
        gvisys.read([path], reference_date="31.12.2019")


def test_placeholders_are_flagged_not_zero(tmp_path: Path) -> None:
    lines = replaced(ROW_OF_MUSTERSTADT, 9, "/")
    lines = replaced(ROW_OF_MUSTERSTADT, 10, "/", lines)
    lines = replaced(ROW_OF_MUSTERSTADT, 11, "/", lines)
    lines = replaced(7, 9, ".", lines)  # Beispieldorf: total unknown, m/f given
    lines = replaced(10, 10, "-", lines)  # Sächsisch Musterau: no men, exactly zero
    result = gvisys.read([write_gv(tmp_path, lines)])
    population = result.tables["population_totals"].set_index("region")
    assert pd.isna(population.loc["01051011", "persons"])
    assert population.loc["01051011", "flag"] == "/"
    assert pd.isna(population.loc["01051003", "persons"])
    assert population.loc["01051003", "male"] == 288
    assert population.loc["01051003", "flag"] == "."
    assert population.loc["14522012", "male"] == 0
    assert population.loc["14522012", "flag"] == "-"
    text = "\n".join(result.messages)
    assert "1 Gemeinden mit Zeichen '/'" in text
    assert "1 Gemeinden mit Zeichen '.'" in text


def test_footnote_marks_and_repeated_rows(tmp_path: Path) -> None:
    lines = replaced(ROW_OF_MUSTERSTADT, 7, "Musterstadt, Stadt4)")
    forest = lines[6]  # once per travel region, as in the 2016 file
    lines = (*lines[:7], forest.replace(";F04;", ";G09;"), *lines[7:])
    result = gvisys.read([write_gv(tmp_path, lines)])
    register = result.tables["municipality_register"]
    assert register["name"].iloc[0] == "Musterstadt, Stadt"
    assert register["name"].tolist().count("Beispielforst, gemfr. Gebiet") == 1
    text = "\n".join(result.messages)
    assert "Fußnotenzeichen an 1 Gemeindenamen" in text
    assert "1 wiederholte, inhaltsgleiche Gemeindezeilen (z. B. Zeile 9" in text


def test_2009_centres_in_degrees_minutes_seconds(tmp_path: Path) -> None:
    lines = replaced(ROW_OF_MUSTERSTADT, 14, "9,2615")
    lines = replaced(ROW_OF_MUSTERSTADT, 15, "54,026", lines)  # 54° 02′ 60″ as published
    lines = replaced(7, 14, "#NV", lines)
    lines = replaced(7, 15, "#NV", lines)
    lines = replaced(8, 14, "0", lines)
    lines = replaced(8, 15, "0", lines)
    lines = replaced(10, 14, "12,26", lines)
    lines = replaced(10, 15, "50,5318", lines)
    result = gvisys.read([write_gv(tmp_path, lines, name="31122009_Auszug_GV.csv")])
    register = result.tables["municipality_register"]
    assert register["lon"].iloc[0] == pytest.approx(9 + 26 / 60 + 15 / 3600)
    assert register["lat"].iloc[0] == pytest.approx(54 + 2 / 60 + 60 / 3600)
    assert register["lon"].iloc[3] == pytest.approx(12 + 26 / 60)
    assert register["lon"].iloc[1:3].isna().all()  # '#NV' and 0
    text = "\n".join(result.messages)
    assert "Grad, Minuten, Sekunden" in text
    assert "1 Mittelpunktkoordinaten '#NV'" in text


def test_decimal_degrees_are_kept_in_later_files(tmp_path: Path) -> None:
    lines = replaced(ROW_OF_MUSTERSTADT, 14, "9,2615")
    register = gvisys.read([write_gv(tmp_path, lines)]).tables["municipality_register"]
    assert register["lon"].iloc[0] == pytest.approx(9.2615)


def write_4q(folder: Path, name: str = "AuszugGV4QAktuell.csv") -> Path:
    header = (
        "Land;Gemeindename;Fläche;insgesamt;männlich;weiblich;density;plz;Längengrad;"
        "Breitengrad;Schlüssel_Reise;Reise;Schlüssel_verst;Verstädterung;1;2;3;4;5;ags"
    )
    lines = (
        "1;;;;;;;;;;;;;;;;;;;",
        "1;Musterkreis;;;;;;;;;;;;;01;0;51;;;01051",
        "1;Musterstadt, Stadt;;;;;;;;;;;;;01;0;51;0011;;01051",
        "1;Musterstadt, Stadt;65,21;12381;6202;6179;190;25541;9,13735;53,896932;F01;Nordsee;2;"
        "mittlere Besiedlungsdichte;01;0;51;0011;011;01051011",
        "1;Beispielforst, gemfr. Gebiet;58,49;0;0;0;0;;10,373262;53,530995;F04;übrig. SH;3;"
        "gering besiedelt;01;0;51;9105;105;01051105",
    )
    path = folder / name
    path.write_text("\n".join((header, *lines)) + "\n", encoding="utf-8-sig")
    return path


def test_relaid_4q_copy_needs_a_reference_date(tmp_path: Path) -> None:
    path = write_4q(tmp_path)
    with pytest.raises(SourceError, match="Stichtag nicht erkennbar"):
        gvisys.read([path])
    result = gvisys.read([path], reference_date="2019-12-31")
    assert result.tables["municipality_register"]["ags"].tolist() == ["01051011", "01051105"]
    population = result.tables["population_totals"]
    assert population["persons"].tolist() == [12381]
    prov = result.provenance["population_totals"]
    assert prov.gebietsstand is None
    assert "Gebietsstand nicht angegeben" in (prov.notes or "")


# --------------------------------------------------------------------------------------------
# The XLSX original


def write_xlsx(folder: Path, name: str = "31122021_Auszug_GV.xlsx") -> Path:
    """The published sheet layout: title, three header rows, data as text keys and numbers."""
    book = Workbook()
    intro = book.active
    intro.title = "Inhalt"
    intro["A4"] = "Statistisches Bundesamt"
    intro["A9"] = "Gemeindeverzeichnis"
    sheet = book.create_sheet("Onlineprodukt_Gemeinden")
    sheet.append(
        ["Gemeinden in Deutschland nach Fläche, Bevölkerung und Postleitzahl am 31.12.2021 (Jahr)"]
    )
    sheet.append([])
    sheet.append(
        [
            "Satz-art",
            "Text-kenn-zeichen",
            "Amtlicher Regionalschlüssel (ARS)",
            None,
            None,
            None,
            None,
            "Gemeindename",
            "Fläche km2 1)",
            "Bevölkerung2)",
            None,
            None,
            None,
            "Postleit-zahl3)",
            "Geografische Mittelpunktkoordinaten",
            None,
            "Reisegebiete",
            None,
            "Grad der Verstädterung",
            None,
        ]
    )
    sheet.append(
        [
            None,
            None,
            "Land",
            "RB",
            "Kreis",
            "VB",
            "Gem",
            None,
            None,
            "insgesamt",
            "männlich",
            "weiblich",
            "je km2",
            None,
            "Längengrad",
            "Breitengrad",
        ]
    )
    sheet.append(
        [
            None,
            None,
            "Gebietsstand am 31.12.2021 (Jahr)",
            None,
            None,
            None,
            None,
            None,
            "31.12.2021 (Jahr)",
            "am 31.12.2021 (Jahr)",
            None,
            None,
            None,
            None,
            "Zuordnungsstand am 31.12.2020",
            None,
            "Schlüssel",
            "Bezeichnung",
            "Schlüssel",
            "Bezeichnung",
        ]
    )
    sheet.append([])
    sheet.append(["10", None, "01", None, None, None, None, "Schleswig-Holstein"])
    sheet.append(["40", "44", "01", "0", "51", None, None, "Musterkreis"])
    sheet.append(["50", "50", "01", "0", "51", "0011", None, "Musterstadt, Stadt"])
    sheet.append(
        [
            "60",
            "63",
            "01",
            "0",
            "51",
            "0011",
            "011",
            "Musterstadt, Stadt",
            65.21,
            12381,
            6202,
            6179,
            190,
            "25541",
            "9,13735",
            "53,896932",
            "F01",
            "Nordsee",
            "02",
            "mittlere Besiedlungsdichte",
        ]
    )
    sheet.append(["50", "52", "01", "0", "51", "5163", None, "Amt Beispiel"])
    sheet.append(
        [
            "60",
            "64",
            "01",
            "0",
            "51",
            "5163",
            "003",
            "Beispieldorf",
            9.06,
            554,
            288,
            266,
            61,
            "25715",
            9.182663,
            53.941154,
            "F04",
            "übrig. Schleswig-Holstein",
            "03",
            "gering besiedelt",
        ]
    )
    sheet.append(
        [
            "60",
            "66",
            "01",
            "0",
            "51",
            "9105",
            "105",
            "Beispielforst, gemfr. Gebiet",
            58.49,
            0,
            0,
            0,
            0,
            None,
            10.373262,
            53.530995,
            "F04",
            "übrig. Schleswig-Holstein",
            "03",
            "gering besiedelt",
        ]
    )
    sheet.append(["10", None, "14", None, None, None, None, "Sachsen"])
    sheet.append(
        [
            "60",
            "64",
            "14",
            "5",
            "22",
            "5050",
            "012",
            "Sächsisch Musterau",
            14.07,
            3530,
            1703,
            1827,
            251,
            "04639",
            "12,433836",
            "50,888453",
            "E29",
            "Erzgebirge",
            "01",
            "dicht besiedelt",
        ]
    )
    sheet.append([])
    sheet.append(["Quelle: Gemeindeverzeichnis-Informationssytem GV-ISys"])
    sheet.append(["1) Abweichungen bei den Flächenangaben sind durch Runden der Zahlen möglich."])
    sheet.append(["     Statistisches Bundesamt (Destatis), 2022"])
    path = folder / name
    book.save(path)
    return path


def test_xlsx_original_gives_the_same_tables_as_the_csv(tmp_path: Path) -> None:
    from_xlsx = gvisys.read([write_xlsx(tmp_path)])
    from_csv = gvisys.read([write_gv(tmp_path)])
    for table in ("municipality_register", "population_totals"):
        pd.testing.assert_frame_equal(
            from_xlsx.tables[table], from_csv.tables[table], check_exact=True
        )
    assert from_xlsx.provenance["population_totals"].attribution.endswith("2022")


def test_xlsx_and_csv_of_the_same_date_in_one_import(tmp_path: Path) -> None:
    xlsx, csv = write_xlsx(tmp_path), write_gv(tmp_path)
    result = gvisys.read([xlsx, csv])
    assert len(result.tables["municipality_register"]) == 4
    assert "31122021_Auszug_GV.csv: gleicher Inhalt wie 31122021_Auszug_GV.xlsx" in (
        "\n".join(result.messages)
    )
    other = write_gv(tmp_path, replaced(7, 9, "555"), name="Kopie_31122021.csv")
    with pytest.raises(SourceError, match=r"Kopie_31122021\.csv: gleicher Stichtag wie"):
        gvisys.read([xlsx, other])


def test_xlsx_title_and_file_name_must_agree(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, name="31122020_Auszug_GV.xlsx")
    with pytest.raises(SourceError, match=r"Dateiname nennt den Stichtag 31\.12\.2020"):
        gvisys.read([path])


def test_xlsx_without_data_sheet_and_broken_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    book.active["A1"] = "nichts"
    empty = tmp_path / "31122021_Auszug_GV.xlsx"
    book.save(empty)
    with pytest.raises(SourceError, match="Kein Tabellenblatt mit der Kopfzeile 'Satz-art'"):
        gvisys.read([empty])
    broken = tmp_path / "kaputt_Auszug_GV.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(SourceError, match=r"kaputt_Auszug_GV\.xlsx: keine lesbare XLSX-Datei"):
        gvisys.read([broken])


def test_detect(tmp_path: Path) -> None:
    assert gvisys.detect(write_gv(tmp_path))
    assert gvisys.detect(write_4q(tmp_path))
    assert gvisys.detect(write_xlsx(tmp_path))
    other = tmp_path / "andere.csv"
    other.write_text("a;b\n1;2\n", encoding="utf-8")
    assert not gvisys.detect(other)
    assert not gvisys.detect(tmp_path / "fehlt.csv")
    assert not gvisys.detect(tmp_path)
    assert all_formats()["gvisys"].read is gvisys.read


# --------------------------------------------------------------------------------------------
# Malformed input: always a RegiowerkError naming file and row (and column)


def test_cp1252_file_is_refused_with_a_hint_and_read_with_the_encoding(tmp_path: Path) -> None:
    path = write_gv(tmp_path, encoding="cp1252")
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=1)
    assert "--encoding cp1252" in message
    result = gvisys.read([path], encoding="cp1252")
    assert result.tables["municipality_register"]["name"].iloc[3] == "Sächsisch Musterau"


def test_comma_instead_of_semicolon(tmp_path: Path) -> None:
    lines = tuple(line.replace(";", ",") for line in LINES)
    path = write_gv(tmp_path, lines, header=HEADER.replace(";", ","))
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=1)
    assert "statt ';'" in message


def test_population_cell_that_is_no_number(tmp_path: Path) -> None:
    path = write_gv(tmp_path, replaced(ROW_OF_MUSTERSTADT, 9, "12 3x4"))
    message = raises_at(
        lambda: gvisys.read([path]), file=path.name, row=ROW_OF_MUSTERSTADT, column="insgesamt"
    )
    assert "'12 3x4' ist keine Zahl" in message


def test_negative_and_fractional_population(tmp_path: Path) -> None:
    path = write_gv(tmp_path, replaced(7, 10, "-288"))
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=7, column="männlich")
    assert "negativ" in message
    path = write_gv(tmp_path, replaced(7, 11, "266,5"))
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=7, column="weiblich")
    assert "keine ganze Zahl" in message


def test_conflicting_duplicate_municipality_rows(tmp_path: Path) -> None:
    twin = LINES[5].replace(";554;", ";555;")  # same key, other population
    path = write_gv(tmp_path, (*LINES[:6], twin, *LINES[6:]))
    message = raises_at(lambda: gvisys.read([path]), file=path.name)
    assert "Zeile 7: Schlüssel doppelt" in message
    assert "Zeile 8: Schlüssel doppelt" in message
    with pytest.raises(SchemaViolation):
        gvisys.read([path])


def test_truncated_files(tmp_path: Path) -> None:
    header_only = write_gv(tmp_path, (), name="31122019_Auszug_GV.csv")
    message = raises_at(lambda: gvisys.read([header_only]), file=header_only.name)
    assert "keine Gemeindezeilen" in message
    cut = LINES[-1][:40]  # the file ends in the middle of the last row
    path = write_gv(tmp_path, (*LINES[:-1], cut))
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=len(LINES) + 1)
    assert "abgeschnitten" in message
    empty = tmp_path / "31122018_Auszug_GV.csv"
    empty.write_bytes(b"")
    raises_at(lambda: gvisys.read([empty]), file=empty.name)


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    path = write_gv(tmp_path, replaced(7, 7, "Beispieldorf;extra"))
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=7)
    assert "21 Felder statt 20" in message


def test_bad_key_parts(tmp_path: Path) -> None:
    path = write_gv(tmp_path, replaced(7, 4, "5x"))
    raises_at(lambda: gvisys.read([path]), file=path.name, row=7, column="Kreis")
    path = write_gv(tmp_path, replaced(7, 2, "17"))
    with pytest.raises(AgsError, match=r"31122021_Auszug_GV\.csv.*Zeile 7: '17051003'"):
        gvisys.read([path])


def test_unknown_record_type_and_header(tmp_path: Path) -> None:
    path = write_gv(tmp_path, replaced(3, 0, "70"))
    raises_at(lambda: gvisys.read([path]), file=path.name, row=3, column="Satz-art")
    path = write_gv(tmp_path, header=HEADER.replace("Gemeindename", "Name"))
    message = raises_at(lambda: gvisys.read([path]), file=path.name, row=1)
    assert "Unbekannte Kopfzeile" in message


def test_unknown_urbanisation_and_postcode(tmp_path: Path) -> None:
    path = write_gv(tmp_path, replaced(7, 18, "7"))
    raises_at(lambda: gvisys.read([path]), file=path.name, row=7, column="Grad der Verstädterung")
    path = write_gv(tmp_path, replaced(7, 13, "257 15"))
    raises_at(lambda: gvisys.read([path]), file=path.name, row=7, column="plz")


# --------------------------------------------------------------------------------------------
# Real data

VINTAGES = {2009: 12_067, 2011: 11_368, 2014: 11_192, 2016: 11_143, 2019: 11_010, 2021: 10_997}
# Sum over municipalities of the population on 31.12. (official Germany totals; 2016 lacks the
# six NRW municipalities published as '/').
GERMANY = {
    2009: 81_802_257,
    2011: 81_843_743,
    2014: 81_197_537,
    2016: 82_385_138,
    2019: 83_166_711,
    2021: 83_237_124,
}


@pytest.mark.realdata
@pytest.mark.parametrize("year", sorted(VINTAGES))
def test_real_vintage(real_data: Path, year: int) -> None:
    path = real_data / "gv_auszug" / f"3112{year}_Auszug_GV.csv"
    lines = (gvisys.read_file(path).frame["satzart"] == "60").sum()
    assert lines == VINTAGES[year]
    result = gvisys.read([path])
    register = result.tables["municipality_register"]
    repeated = 8 if year == 2016 else 0  # gemeindefreie Gebiete repeated per travel region
    assert len(register) == VINTAGES[year] - repeated
    population = result.tables["population_totals"]
    assert int(population["persons"].sum()) == GERMANY[year]
    assert set(population["census_basis"]) == {"pre2011" if year <= 2011 else "zensus2011"}
    assert register["lon"].dropna().between(5.8, 15.1).all()
    assert register["lat"].dropna().between(47.2, 55.1).all()


@pytest.mark.realdata
@pytest.mark.parametrize("year", [2011, 2021])
def test_real_xlsx_equals_csv(real_data: Path, year: int) -> None:
    folder = real_data / "gv_auszug"
    from_xlsx = gvisys.read([folder / f"3112{year}_Auszug_GV.xlsx"])
    from_csv = gvisys.read([folder / f"3112{year}_Auszug_GV.csv"])
    for table in ("municipality_register", "population_totals"):
        pd.testing.assert_frame_equal(
            from_xlsx.tables[table], from_csv.tables[table], check_exact=True
        )


@pytest.mark.realdata
def test_real_4q_copy_matches_2019_figures(real_data: Path) -> None:
    folder = real_data / "gv_auszug"
    result = gvisys.read([folder / "AuszugGV4QAktuell.csv"], reference_date="2019-12-31")
    assert len(result.tables["municipality_register"]) == 11_004  # later Gebietsstand
    assert int(result.tables["population_totals"]["persons"].sum()) == GERMANY[2019]


@pytest.mark.realdata
def test_real_gv_2021_reads_fast(real_data: Path, tmp_path: Path) -> None:
    # pandera's first validation in a process imports its hypothesis strategies (about 2 s
    # under pytest's assertion rewriting); a tiny file takes that cost before the timing.
    gvisys.read([write_gv(tmp_path)])
    path = real_data / "gv_auszug" / "31122021_Auszug_GV.csv"
    start = time.perf_counter()
    gvisys.read([path])
    elapsed = time.perf_counter() - start
    print(f"GV-ISys 31.12.2021 (CSV) gelesen in {elapsed:.2f} s")
    assert elapsed < 3.0, f"GV-ISys 31.12.2021 (CSV) gelesen in {elapsed:.2f} s (Ziel < 3 s)"
