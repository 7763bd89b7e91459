"""Regionaldatenbank xlsx exports ("Regionalatlas"): both sheet layouts into canonical tables.

The workbooks are written in the tests with openpyxl in the layouts of the files in
``housing_kreise`` and ``econ_kreise`` (table sheet with merged header cells; split sheets with
a group row, an ``id | name`` row, date blocks and the sheets ``metadata`` and ``footnote``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from regiowerk.ags import AgsPaddedWarning
from regiowerk.sources import all_formats
from regiowerk.sources.base import SourceError
from regiowerk.sources.regionalatlas import detect, read

ROOMS = ["1 Raum", *[f"{n} Räume" for n in range(2, 7)], "7 und mehr Räume"]
FOOTNOTE = [
    ["______________"],
    ['zu "gesamte Tabelle":'],
    ["© Statistische Ämter des Bundes und der Länder, Deutschland, 2020."],
    ["Dieses Werk ist lizenziert unter der Datenlizenz Deutschland"],
    ["- Namensnennung - Version 2.0. | Stand: 12.12.2020 / 02:45:34"],
]


def zensus_rooms_xlsx(
    path: Path,
    rows: list[list[object]] | None = None,
    *,
    code: str = "31211-12-01-4",
    labels: Sequence[str] = ("Insgesamt", *ROOMS),
) -> Path:
    """31211-12-01-4: a table sheet with title, merged header cells, data and footer."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = code
    last = "ABCDEFGHIJ"[1 + len(labels)]
    sheet.append(["Wohnungen in Wohngebäuden nach Anzahl der\nRäume - Stichtag 09.05.2011"])
    sheet.append(["Gebäude- und Wohnungszählung 2011 (Zensus)"])
    sheet.append(["Stichtag: 09.05.2011"])
    sheet.append(["Kreise und kreisfreie Städte", None, "Wohnungen in Wohngebäuden"])
    sheet.append([None, None, "Wohnungen nach Zahl der Räume"])
    sheet.append([None, None, *labels])
    sheet.append([None, None, *["Anzahl"] * len(labels)])
    for cells in (f"A1:{last}1", f"A2:{last}2", f"A3:{last}3", "A4:B7", f"C4:{last}4"):
        sheet.merge_cells(cells)
    sheet.merge_cells(f"C5:{last}5")
    if rows is None:
        rows = [
            ["DG", "Deutschland", 39187904.0, 1244355.0, 3567423.0, 8543030.0, 10057638.0,
             6643383.0, 4297576.0, 4816962.0],
            ["01051", "      Dithmarschen, Landkreis", 65393.0, 783.0, 3870.0, 9235.0,
             14072.0, 14856.0, 10880.0, 11697.0],
            ["03152", "      Göttingen, Landkreis (alt)", *["-"] * 8],
        ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    for row in FOOTNOTE:
        sheet.append(row)
    workbook.save(path)
    return path


def split_xlsx(
    path: Path,
    code: str,
    groups: list[object],
    names: list[str],
    blocks: dict[object, list[list[object]]],
    title: str = "",
) -> Path:
    """A split-sheet export: group row, ``id | name`` row, date blocks, metadata, footnote."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = code
    sheet.append([None, None, *groups])
    sheet.append(["id", "name", *names])
    for date, rows in blocks.items():
        sheet.append([date])
        for row in rows:
            sheet.append(row)
    metadata = workbook.create_sheet("metadata")
    metadata.append([title or f"Tabelle {code}"])
    footnote = workbook.create_sheet("footnote")
    for row in FOOTNOTE:
        footnote.append(row)
    workbook.save(path)
    return path


def stock_xlsx(path: Path, blocks: dict[object, list[list[object]]]) -> Path:
    """31231-02-01-4: buildings, living area, dwellings by rooms, rooms in large dwellings."""
    group_b, group_w = "Wohngebäude", "Wohnungen in Wohn- und Nichtwohngebäuden"
    names = [
        f"{group_b}-(nach Anzahl der Wohnungen)-Insgesamt",
        "Wohnfläche in Wohngebäuden(1000 qm)",
        f"{group_w}-(Größe der Wohnung)-Insgesamt",
        f"{group_w}-(Größe der Wohnung)-Wohnungen mit 1 Raum",
        *[f"{group_w}-(Größe der Wohnung)-Wohnungen mit {n} Räumen" for n in range(2, 7)],
        f"{group_w}-(Größe der Wohnung)-Wohnungen mit 7 Räumen oder mehr",
        "Räume in Wohnungen mit 7 und mehr Räumen",
    ]
    groups: list[object] = [group_b, None, group_w, *[None] * 8]
    return split_xlsx(
        path,
        "31231-02-01-4",
        groups,
        names,
        blocks,
        title="Bestand an Wohngebäuden und Wohnungen - Stichtag 31.12.",
    )


def stock_row(key: object, name: str, rooms: list[object]) -> list[object]:
    return [key, name, 47595, 6288.6, sum(r for r in rooms if isinstance(r, int)), *rooms, 63252]


def employment_xlsx(path: Path, code: str = "13111-01-03-4", place: str = "Arbeitsort") -> Path:
    names = [
        "Insgesamt",
        "männlich",
        "weiblich",
        "Ausländer(innen)-Insgesamt",
        "Ausländer(innen)-männlich",
        "Ausländer(innen)-weiblich",
    ]
    blocks: dict[object, list[list[object]]] = {
        "30.06.2019": [
            ["DG", "Deutschland", 33407262, 17988091, 15419171, 4153014, 2638922, 1514092],
            ["01051", "      Dithmarschen, Landkreis", 42518, 22827, 19691, 2470, 1771, 699],
        ],
        "30.06.2018": [
            ["01051", "      Dithmarschen, Landkreis", 41278, 22000, 19278, "-", "-", "."]
        ],
    }
    title = f"Sozialversicherungspflichtig Beschäftigte am {place} nach Geschlecht"
    return split_xlsx(path, code, ["Nationalität", *[None] * 5], names, blocks, title=title)


# ------------------------------------------------------------------------------------------


def test_zensus_2011_dwellings_from_table_sheet(tmp_path: Path) -> None:
    result = read([zensus_rooms_xlsx(tmp_path / "31211-12-01-4.xlsx")])
    frame = result.tables["dwellings"]
    assert isinstance(frame.index, pd.RangeIndex)
    dith = frame[frame["region"] == "01051"].set_index("rooms")["dwellings"]
    assert dith.to_dict() == {1: 783, 2: 3870, 3: 9235, 4: 14072, 5: 14856, 6: 10880, 7: 11697}
    assert dith.sum() == 65_393
    assert frame["occupied"].isna().all()
    assert (frame["year"] == 2011).all()
    old = frame[frame["region"] == "03152"]
    assert (old["dwellings"] == 0).all()
    assert (old["flag"] == "-").all()
    prov = result.provenance["dwellings"]
    assert prov.census_basis == "zensus2011"
    assert prov.gebietsstand == "2011-05-09"
    assert prov.attribution == "© Statistische Ämter des Bundes und der Länder, Deutschland, 2020"


def test_dwelling_stock_from_split_sheets(tmp_path: Path) -> None:
    rooms_2019 = [917, 4198, 10338, 15269, 15847, 11671, 12646]
    blocks: dict[object, list[list[object]]] = {
        "31.12.2019": [stock_row("01051", "      Dithmarschen, Landkreis", rooms_2019)],
        "31.12.2018": [stock_row("01051", "      Dithmarschen, Landkreis", [843, *["-"] * 6])],
    }
    result = read([stock_xlsx(tmp_path / "31231-02-01-4.xlsx", blocks)])
    frame = result.tables["dwellings"].set_index(["year", "rooms"])
    assert frame.loc[2019, "dwellings"].tolist() == rooms_2019
    assert frame.loc[(2018, 1), "dwellings"] == 843
    assert frame.loc[(2018, 7), "flag"] == "-"
    assert len(frame) == 14  # totals, buildings, area and rooms of large dwellings left out
    prov = result.provenance["dwellings"]
    assert prov.census_basis == "zensus2011"
    assert prov.gebietsstand is None
    assert "31231-02-01-4" in prov.source


def test_employment_totals_from_split_sheets(tmp_path: Path) -> None:
    frame = read([employment_xlsx(tmp_path / "e.xlsx")]).tables["employment"]
    assert set(frame["sector"]) == {"A-U"}
    persons = frame.set_index(["region", "year"])["persons"]
    assert persons.to_dict() == {("DG", 2019): 33407262, ("01051", 2019): 42518,
                                 ("01051", 2018): 41278}  # fmt: skip


def test_detect(tmp_path: Path) -> None:
    assert "regionalatlas" in all_formats()
    assert detect(zensus_rooms_xlsx(tmp_path / "a.xlsx"))
    other = openpyxl.Workbook()
    other.save(tmp_path / "other.xlsx")
    assert not detect(tmp_path / "other.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert not detect(tmp_path / "broken.xlsx")
    assert not detect(tmp_path / "missing.xlsx")
    assert not detect(tmp_path / "x.csv")


# ------------------------------------------------------------------------------------------
# Malformed input
# ------------------------------------------------------------------------------------------


def test_unknown_table_code_lists_supported(tmp_path: Path) -> None:
    path = split_xlsx(
        tmp_path / "82111-01-05-4.xlsx",
        "82111-01-05-4",
        ["Bruttoinlandsprodukt(Tsd. EUR)"],
        ["Bruttoinlandsprodukt(Tsd. EUR)"],
        {"2017": [["DG", "Deutschland", 3277340000]]},
    )
    with pytest.raises(SourceError, match=r"82111-01-05-4.*nicht unterstützt.*31231-02-01-4"):
        read([path])


def test_employment_at_residence_is_refused(tmp_path: Path) -> None:
    path = employment_xlsx(tmp_path / "r.xlsx", code="13111-02-02-4", place="Wohnort")
    with pytest.raises(SourceError, match="Wohnort"):
        read([path])


def test_table_without_rooms_is_explained(tmp_path: Path) -> None:
    labels = ("Insgesamt", "von Eigentümer/-in bewohnt", "vermietet", "Ferienwohnung", "leer")
    rows: list[list[object]] = [
        ["DG", "Deutschland", 40563320, 17292029, 21199913, 224529, 1828846]
    ]
    path = zensus_rooms_xlsx(tmp_path / "w.xlsx", rows, code="31211-08-01-4", labels=labels)
    with pytest.raises(SourceError, match="keine Gliederung nach Zahl der Räume"):
        read([path])


def test_sheet_not_named_by_a_code(tmp_path: Path) -> None:
    path = zensus_rooms_xlsx(tmp_path / "a.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.active is not None
    workbook.active.title = "Tabelle1"
    workbook.save(path)
    with pytest.raises(SourceError, match="Tabellencode"):
        read([path])


def test_unknown_text_cell_names_row_and_column(tmp_path: Path) -> None:
    rows = [["01051", "Dithmarschen", 65393.0, 783.0, "k.A.", 9235.0, 1.0, 1.0, 1.0, 1.0]]
    with pytest.raises(SourceError, match=r"Zeile 8, Spalte '2 Räume'.*'k\.A\.'"):
        read([zensus_rooms_xlsx(tmp_path / "a.xlsx", rows=rows)])


def test_numeric_kreis_key_with_lost_zero(tmp_path: Path) -> None:
    rows = [[1051, "Dithmarschen", 65393, 783, 3870, 9235, 14072, 14856, 10880, 11697]]
    path = zensus_rooms_xlsx(tmp_path / "a.xlsx", rows=rows)
    with pytest.warns(AgsPaddedWarning):
        frame = read([path]).tables["dwellings"]
    assert set(frame["region"]) == {"01051"}


def test_duplicate_region_is_reported(tmp_path: Path) -> None:
    row: list[object] = ["01051", "Dithmarschen", 7.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    with pytest.raises(Exception, match=r"Zeile 8.*doppelt"):
        read([zensus_rooms_xlsx(tmp_path / "a.xlsx", rows=[row, row])])


def test_negative_count_is_reported(tmp_path: Path) -> None:
    rows = [["01051", "Dithmarschen", 7.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    with pytest.raises(Exception, match=r"Zeile 8 \(1 Raum\), Spalte 'dwellings'"):
        read([zensus_rooms_xlsx(tmp_path / "a.xlsx", rows=rows)])


def test_data_before_the_first_date_row(tmp_path: Path) -> None:
    path = stock_xlsx(tmp_path / "s.xlsx", {"31.12.2019": [stock_row("01051", "D", [1] * 7)]})
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    sheet["A3"] = "01051"
    sheet["B3"] = "Dithmarschen"
    workbook.save(path)
    with pytest.raises(SourceError, match=r"Zeile 3: Stichtag .* fehlt"):
        read([path])


def test_census_basis_per_row_in_one_workbook(tmp_path: Path) -> None:
    blocks: dict[object, list[list[object]]] = {
        "31.12.2011": [stock_row("01051", "D", [1] * 7)],
        "31.12.2010": [stock_row("01051", "D", [1] * 7)],
    }
    dwellings = read([stock_xlsx(tmp_path / "s.xlsx", blocks)]).tables["dwellings"]
    assert set(zip(dwellings["year"], dwellings["census_basis"], strict=True)) == {
        (2010, "pre2011"),
        (2011, "zensus2011"),
    }


def test_not_an_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "31231-02-01-4.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match="keine lesbare xlsx-Datei"):
        read([path])


# ------------------------------------------------------------------------------------------
# Real data (housing_kreise, econ_kreise)
# ------------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_zensus_2011_dwellings_by_rooms(real_data: Path) -> None:
    folder = real_data / "housing_kreise"
    result = read([folder / "31211-12-01-4.xlsx"])
    frame = result.tables["dwellings"]
    tidy = pd.read_csv(
        folder / "zensus2011_31211-12-01-4_dwellings_by_rooms_kreise.csv", dtype={"ags": str}
    )
    wide = frame.pivot(index="region", columns="rooms", values="dwellings")
    tidy = tidy.set_index("ags")
    # the tidy copy leaves out the 15 eight-digit keys (Berlin boroughs, three cities)
    assert sorted(set(wide.index) - set(tidy.index)) == sorted(k for k in wide.index if len(k) == 8)
    wide = wide.loc[tidy.index]
    for rooms in range(1, 7):
        assert (wide[rooms] == tidy[f"rooms_{rooms}"]).all()
    assert (wide[7] == tidy["rooms_7plus"]).all()
    assert wide.loc["01051"].sum() == 65_393 == tidy.loc["01051", "dwellings_total"]
    assert wide.loc["DG", 1] == 1_244_355
    assert wide.loc["DG", 7] == 4_816_962
    assert result.provenance["dwellings"].census_basis == "zensus2011"
    assert result.provenance["dwellings"].gebietsstand == "2011-05-09"


@pytest.mark.realdata
@pytest.mark.slow
def test_real_dwelling_stock_2011_2019(real_data: Path) -> None:
    folder = real_data / "housing_kreise"
    result = read([folder / "31231-02-01-4.xlsx"])
    frame = result.tables["dwellings"]
    assert sorted(frame["year"].unique()) == list(range(2011, 2020))
    assert result.provenance["dwellings"].census_basis == "zensus2011"
    tidy = pd.read_csv(
        folder / "31231-02-01-4_housing_stock_by_rooms_kreise_2011_2019.csv", dtype={"ags": str}
    )
    columns = {1: "dw_1room", **{n: f"dw_{n}rooms" for n in range(2, 7)}, 7: "dw_7plusrooms"}
    tidy = tidy.melt(id_vars=["year", "ags"], value_vars=list(columns.values()))
    tidy["rooms"] = tidy["variable"].map({v: k for k, v in columns.items()})
    both = frame.merge(tidy, left_on=["region", "year", "rooms"], right_on=["ags", "year", "rooms"])
    assert len(frame) == 33_894
    assert len(both) == len(tidy) == len(frame[frame["region"].str.len() != 8])
    published = both["value"].notna()
    assert (both.loc[published, "dwellings"] == both.loc[published, "value"]).all()
    assert (both.loc[~published, "flag"] == "-").all()
    de = frame[frame["region"] == "DG"].groupby("year")["dwellings"].sum()
    assert de[2019] == 42_512_771
    old = read([folder / "31231-01-02-4.xlsx"])
    assert old.provenance["dwellings"].census_basis == "pre2011"
    assert sorted(old.tables["dwellings"]["year"].unique()) == list(range(1995, 2011))


@pytest.mark.realdata
def test_real_employment_at_workplace(real_data: Path) -> None:
    folder = real_data / "econ_kreise"
    frame = read([folder / "13111-01-03-4.xlsx"]).tables["employment"]
    tidy = pd.read_csv(folder / "13111-01-03-4_svb_workplace_kreise.csv", dtype={"ags": str})
    both = frame.merge(tidy, left_on=["region", "year"], right_on=["ags", "year"])
    assert len(both) == len(tidy) == len(frame[frame["region"].str.len() != 8])
    published = both["svb_total"].notna()
    assert (both.loc[published, "persons"] == both.loc[published, "svb_total"]).all()
    harz = frame[frame["region"] == "15085"].set_index("year")["persons"]
    assert harz[[2008, 2019]].tolist() == [70_616, 73_283]


@pytest.mark.realdata
def test_real_unsupported_workbooks_are_explained(real_data: Path) -> None:
    with pytest.raises(SourceError, match="nicht unterstützt"):
        read([real_data / "econ_kreise" / "82111-01-05-4.xlsx"])
    with pytest.raises(SourceError, match="Wohnort"):
        read([real_data / "econ_kreise" / "13111-02-02-4.xlsx"])
    with pytest.raises(SourceError, match="Zahl der Räume"):
        read([real_data / "housing_kreise" / "31211-08-01-4.xlsx"])
