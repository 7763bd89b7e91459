"""Generic tidy reader of Regionaldatenbank xlsx exports (both sheet layouts).

The workbooks are written here with openpyxl in the layouts of ``housing_kreise``: the table
sheet of the Zensus tables (title rows, merged header cells, unit row, footer) and the split
sheets of 31231/31121 (group row, ``id | name`` row, one block per date or year).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from regiowerk.sources.base import SourceError
from regiowerk.sources.regionaldatenbank_xlsx import (
    COLUMNS,
    read_regionaldatenbank_xlsx,
    select_variable,
)

from factories import raises_at

FOOTER = [
    ["______________"],
    ["© Statistische Ämter des Bundes und der Länder, Deutschland, 2020."],
    ["Dieses Werk ist lizenziert unter der Datenlizenz Deutschland"],
    ["- Namensnennung - Version 2.0. | Stand: 12.12.2020 / 02:45:34"],
]


def table_sheet(path: Path, rows: list[list[object]]) -> Path:
    """Zensus-style table sheet: title, Stichtag row, merged headers, unit row, footer."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "31211-12-01-4"
    sheet.append(["Wohnungen in Wohngebäuden nach Anzahl der Räume"])
    sheet.append(["Gebäude- und Wohnungszählung 2011 (Zensus)"])
    sheet.append(["Stichtag: 09.05.2011"])
    sheet.append(["Kreise und kreisfreie Städte", None, "Wohnungen in Wohngebäuden"])
    sheet.append([None, None, "Wohnungen nach Zahl der Räume"])
    sheet.append([None, None, "Insgesamt", "1 Raum", "2 Räume"])
    sheet.append([None, None, "Anzahl", "Anzahl", "Anzahl"])
    sheet.merge_cells("A4:B7")
    sheet.merge_cells("C4:E4")
    sheet.merge_cells("C5:E5")
    for row in [*rows, *FOOTER]:
        sheet.append(row)
    workbook.save(path)
    return path


def split_sheets(path: Path, blocks: dict[object, list[list[object]]]) -> Path:
    """31121-style split sheets: group row, ``id | name`` row, blocks per year."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "31121-01-02-4"
    sheet.append([None, None, "Wohnungen-in Wohngebäuden", None, "Wohnfläche(1000 qm)"])
    sheet.append(
        [
            "id",
            "name",
            "Wohnungen-in Wohngebäuden-Insgesamt",
            "Wohnungen-in Wohngebäuden-1 Wohnung",
            "Wohnfläche(1000 qm)",
        ]
    )
    for date, rows in blocks.items():
        sheet.append([date])
        for row in rows:
            sheet.append(row)
    sheet.append(["______________"])
    workbook.create_sheet("metadata").append(["Fertigstellung neuer Wohngebäude"])
    footnote = workbook.create_sheet("footnote")
    for row in FOOTER[1:]:
        footnote.append(row)
    workbook.save(path)
    return path


def test_table_sheet_long_with_units_and_placeholders(tmp_path: Path) -> None:
    path = table_sheet(
        tmp_path / "31211-12-01-4.xlsx",
        [
            ["DG", "Deutschland", 39187904.0, 1244355.0, 3567423.0],
            ["01", "  Schleswig-Holstein", 1371450.0, 35084.0, 120941.0],
            ["01051", "      Dithmarschen, Landkreis", 65393.0, ".", 3870.0],
            ["03152", "      Göttingen, Landkreis (alt)", "-", "-", "-"],
        ],
    )
    frame = read_regionaldatenbank_xlsx(path)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 4 * 3
    assert set(frame["year"]) == {2011}
    assert set(frame["date"]) == {"2011-05-09"}
    assert set(frame["unit"]) == {"Anzahl"}
    total = select_variable(frame, "Insgesamt").set_index("region")
    assert total["value"].to_dict() == {
        "DG": 39187904.0,
        "01": 1371450.0,
        "01051": 65393.0,
        "03152": 0.0,
    }
    assert total.loc["01051", "name"] == "Dithmarschen, Landkreis"
    assert total.loc["01", "level"] == "Land"
    assert total.loc["03152", "flag"] == "-"  # '-' is exactly 0, and flagged
    one_room = select_variable(frame, "1 Raum").set_index("region")
    assert np.isnan(one_room.loc["01051", "value"])  # '.' is missing
    assert one_room.loc["01051", "flag"] == "."
    assert one_room.loc["01051", "line"] == 10
    assert one_room.loc["DG", "variable"] == (
        "Wohnungen in Wohngebäuden-Wohnungen nach Zahl der Räume-1 Raum"
    )


def test_split_sheets_blocks_per_year(tmp_path: Path) -> None:
    path = split_sheets(
        tmp_path / "31121-01-02-4.xlsx",
        {
            "2019": [
                ["DG", "Deutschland", 255925, 83804, 26400.7],
                ["031", "    Braunschweig, Stat. Region", 1970, 1669, 200.0],
                ["01051", "      Dithmarschen, Landkreis", 628, 262, 56.1],
                ["03241001", "      Hannover, Landeshauptstadt", 181, 99, 10.0],
            ],
            "2018": [
                ["DG", "Deutschland", 251338, 83503, 25776.2],
                ["031", "    Braunschweig, Stat. Region", 1770, 1501, 190.0],
                ["01051", "      Dithmarschen, Landkreis", "/", "x", "..."],
                ["03241001", "      Hannover, Landeshauptstadt", 175, 99, 9.0],
            ],
        },
    )
    frame = read_regionaldatenbank_xlsx(path)
    assert set(frame["region"]) == {"DG", "01051"}  # default levels: Bund, Land, Kreis
    assert sorted(set(frame["year"])) == [2018, 2019]
    assert set(frame["date"]) == {"2018-12-31", "2019-12-31"}
    area = select_variable(frame, "Wohnfläche")
    assert set(area["variable"]) == {"Wohnfläche"}
    assert set(area["unit"]) == {"1000 qm"}
    total = select_variable(frame, "Insgesamt").set_index(["region", "year"])["value"]
    assert total[("DG", 2019)] == 255925.0
    assert total[("01051", 2019)] == 628.0
    assert np.isnan(total[("01051", 2018)])
    flags = frame[(frame["region"] == "01051") & (frame["year"] == 2018)]["flag"]
    assert sorted(flags) == ["...", "/", "x"]

    everything = read_regionaldatenbank_xlsx(path, levels=None)
    levels = everything.drop_duplicates("region").set_index("region")["level"]
    assert levels.to_dict() == {
        "DG": "Bund",
        "031": "Regierungsbezirk",
        "01051": "Kreis",
        "03241001": "Gemeinde",
    }


def test_split_sheets_stock_dates(tmp_path: Path) -> None:
    path = split_sheets(
        tmp_path / "31231-01-02-4.xlsx",
        {"31.12.2010": [["DG", "Deutschland", 40318513, 1, 2.0]]},
    )
    frame = read_regionaldatenbank_xlsx(path)
    assert set(frame["date"]) == {"2010-12-31"}
    assert set(frame["year"]) == {2010}


def test_unknown_text_in_value_cell_names_file_row_and_column(tmp_path: Path) -> None:
    path = table_sheet(
        tmp_path / "31211-12-01-4.xlsx",
        [
            ["DG", "Deutschland", 39187904.0, 1244355.0, 3567423.0],
            ["01051", "      Dithmarschen, Landkreis", 65393.0, "geheim", 3870.0],
        ],
    )
    raises_at(lambda: read_regionaldatenbank_xlsx(path), file=path.name, row=9, column="1 Raum")


def test_broken_layout_names_the_file(tmp_path: Path) -> None:
    path = split_sheets(
        tmp_path / "31121-01-02-4.xlsx",
        {"2019": [["DG", "Deutschland", 1, 2, 3.0], ["Summe", "irgendwas", 1, 2, 3.0]]},
    )
    message = raises_at(lambda: read_regionaldatenbank_xlsx(path), file=path.name, row=5)
    assert "Summe" in message


def test_rows_before_the_first_date_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "31121-01-02-4.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "31121-01-02-4"
    sheet.append([None, None, "Wohnungen"])
    sheet.append(["id", "name", "Wohnungen-Insgesamt"])
    sheet.append(["DG", "Deutschland", 1])
    workbook.save(path)
    raises_at(lambda: read_regionaldatenbank_xlsx(path), file=path.name, row=3)


def test_not_an_export_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "liste.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Tabelle1"
    sheet.append(["irgendeine", "Liste"])
    workbook.save(path)
    raises_at(lambda: read_regionaldatenbank_xlsx(path), file=path.name)
    (tmp_path / "kaputt.xlsx").write_bytes(b"kein zip")
    raises_at(lambda: read_regionaldatenbank_xlsx(tmp_path / "kaputt.xlsx"), file="kaputt.xlsx")


def test_select_variable_needs_exactly_one_match(tmp_path: Path) -> None:
    path = split_sheets(
        tmp_path / "31121-01-02-4.xlsx", {"2019": [["DG", "Deutschland", 1, 2, 3.0]]}
    )
    frame = read_regionaldatenbank_xlsx(path)
    with pytest.raises(SourceError, match="2 Variable"):
        select_variable(frame, "Wohnungen-in")
    with pytest.raises(SourceError, match="keine Variable"):
        select_variable(frame, "Räume")


@pytest.mark.realdata
def test_real_exports(real_data: Path) -> None:
    folder = real_data / "housing_kreise"
    stock = read_regionaldatenbank_xlsx(folder / "31231-02-01-4.xlsx")
    dwellings = select_variable(stock, "Wohnungen in Wohn-", "-Insgesamt")
    value = dwellings.set_index(["region", "year"])["value"]
    assert value[("DG", 2011)] == 40_630_217
    assert value[("DG", 2019)] == 42_512_771
    assert value[("15085", 2011)] == 127_050
    assert value[("15085", 2019)] == 128_549
    zensus = read_regionaldatenbank_xlsx(folder / "31211-12-01-4.xlsx")
    total = select_variable(zensus, "Insgesamt").set_index("region")["value"]
    assert total["DG"] == 39_187_904
    assert total["03152"] == 126_727
