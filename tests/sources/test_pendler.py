"""BA Pendlerverflechtungen (xlsx per Land) and the derived 400 × 400 Kreis matrix.

The workbooks are written here with openpyxl in the BA layout (title rows with Land and
"Stichtag: 30.06.JJJJ", header rows "Wohnort"/"Arbeitsort" and "Insgesamt … Azubis", one block
per reporting region with itemised rows, "Übrige …" remainders, subtotals and totals, footnotes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from regiowerk.ags import AgsPaddedWarning
from regiowerk.errors import AgsError
from regiowerk.sources import pendler
from regiowerk.sources.base import FORMATS, SourceError
from regiowerk.sources.pendler import detect, detect_matrix, read, read_matrix

Row = Sequence[object]


@pytest.fixture(autouse=True, params=["calamine", "openpyxl"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every workbook test runs with both xlsx readers (calamine only where installed)."""
    if request.param == "calamine":
        pytest.importorskip("python_calamine", reason="optional fast xlsx reader not installed")
    monkeypatch.setattr(pendler, "ENGINE", request.param)
    return str(request.param)


VALUES = ("Insgesamt", "Männer", "Frauen", "Deutsche", "Ausländer", "Azubis")


def row(key: object, name: str, total: object, *, block: tuple[object, str] | None = None) -> Row:
    """One data row: partner key and name, ``Insgesamt`` and made-up breakdown columns."""
    start = block or (None, None)
    if isinstance(total, int):
        rest: list[object] = [total // 2, total - total // 2, total, 0, total // 10]
    else:
        rest = [total] * 5
    return [*start, key, name, total, *rest]


def write_workbook(
    path: Path,
    sheets: dict[str, list[Row]],
    *,
    land: str = "Schleswig-Holstein",
    stichtag: str = "Stichtag: 30.06.2023",
) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for extra in ("Deckblatt", "Impressum"):
        book.create_sheet(extra)["A1"] = "Statistik der Bundesagentur für Arbeit"
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        outgoing = name.startswith("Aus")
        level = "Gemeinden" if name.endswith("Gemeinden") else "Kreisen"
        sheet.append([f"Pendler nach {level}"])
        sheet.append(["Sozialversicherungspflichtig Beschäftigte nach Wohn- und Arbeitsort"])
        sheet.append([])
        sheet.append([land])
        sheet.append([stichtag])
        sheet.append([])
        first, second = ("Wohnort", "Arbeitsort") if outgoing else ("Arbeitsort", "Wohnort")
        sheet.append([first, None, second, None, "Sozialversicherungspflichtig Beschäftigte"])
        sheet.append([None, None, None, None, *VALUES])
        for values in rows:
            sheet.append(list(values))
        sheet.append([])
        sheet.append(["*) Werte kleiner 3 sind aus Datenschutzgründen anonymisiert."])
        sheet.append(["Erstellungsdatum: 20.01.2024"])
        sheet.append(["© Statistik der Bundesagentur für Arbeit"])
    book.save(path)
    return path


def schleswig_holstein() -> dict[str, list[Row]]:
    return {
        "Auspendler Gemeinden": [
            row("01002000", "Kiel, Landeshauptstadt", 120, block=("01001000", "Flensburg, Stadt")),
            row("01059001", "Gemeinde Eins", 300),
            row("01059", "Übrige Gemeinden (Kreis)", "*"),
            row("01059", "Schleswig-Flensburg", 307),
            row("01", "Übrige Kreise (Bundesland)", 40),
            row("01", "Schleswig-Holstein", 467),
            row("02000000", "Hamburg, Freie und Hansestadt", 80),
            row("02", "Hamburg", 80),
            row("03", "Niedersachsen", 15),
            row("ZZ", "Übrige Bundesländer", 25),
            row("ZZ", "Auspendler in das Bundesgebiet", 587),
            row("Z", "Auspendler insgesamt", 587),
            [None, None],
            ["01002000", "Kiel, Landeshauptstadt"],
            row("01001000", "Flensburg, Stadt", 90),
            row("01058", "Übrige Gemeinden (Kreis)", 12),
            row("01", "Übrige Kreise (Bundesland)", 30),
            row("01", "Schleswig-Holstein", 132),
            row("02000000", "Hamburg, Freie und Hansestadt", 60),
            row("02", "Hamburg", 60),
            row("ZZ", "Übrige Bundesländer", 8),
            row("Z", "Auspendler insgesamt", 201),  # one more than the rows: a remark
        ],
        "Einpendler Gemeinden": [
            row("01002000", "Kiel, Landeshauptstadt", 90, block=("01001000", "Flensburg, Stadt")),
            row("01059001", "Gemeinde Eins", 200),
            row("01059", "Übrige Gemeinden (Kreis)", 50),
            row("01", "Schleswig-Holstein", 340),
            row("02000000", "Hamburg, Freie und Hansestadt", 30),
            row("ZZ", "Übrige Bundesländer", 11),
            row("DK", "Dänemark", 40),
            row("PL", "Polen", "*"),
            row("Z", "Einpendler insgesamt", 421),
            row("01001000", "Flensburg, Stadt", 120, block=("01002000", "Kiel, Landeshauptstadt")),
            row("02000000", "Hamburg, Freie und Hansestadt", 45),
            row("ZZ", "Übrige Bundesländer", 5),
            row("DK", "Dänemark", 12),
            row(None, "Ausland", 17),
            row("Z", "Einpendler insgesamt", 187),
        ],
        "Auspendler Kreise": [
            row("01002", "Kiel, Landeshauptstadt", 150, block=("01001", "Flensburg, Stadt")),
            row("01059", "Schleswig-Flensburg", 2500),
            row("01", "Übrige Kreise (Bundesland)", 400),
            row("01", "Schleswig-Holstein", 3050),
            row("02000", "Hamburg, Freie und Hansestadt", 900),
            row("02", "Hamburg", 900),
            row("ZZ", "Übrige Bundesländer", 300),
            row("ZZ", "Auspendler in das Bundesgebiet", 4250),
            row("Z", "Auspendler insgesamt", 4250),
        ],
        "Einpendler Kreise": [
            row("01001", "Flensburg, Stadt", 150, block=("01002", "Kiel, Landeshauptstadt")),
            row("01058", "Rendsburg-Eckernförde", 30000),
            row("02000", "Hamburg, Freie und Hansestadt", 2000),
            row("09", "Bayern", 300),
            row("ZZ", "Übrige Bundesländer", 1500),
            row("ZZ", "Einpendler aus dem Bundesgebiet", 33950),
            row("Z", "Einpendler insgesamt", 33950),
        ],
    }


def hamburg() -> dict[str, list[Row]]:
    return {
        "Auspendler Gemeinden": [
            row("01001000", "Flensburg, Stadt", 30, block=("02000000", "Hamburg")),
            row("01002000", "Kiel, Landeshauptstadt", 58),  # Kiel's Einpendler sheet says 45
            row("01", "Schleswig-Holstein", 88),
            row("Z", "Auspendler insgesamt", 88),
        ],
        "Einpendler Gemeinden": [
            row("01001000", "Flensburg, Stadt", 80, block=("02000000", "Hamburg")),
            row("01002000", "Kiel, Landeshauptstadt", "*"),  # Kiel's Auspendler sheet: 60
            row("Z", "Einpendler insgesamt", 140),
        ],
        "Auspendler Kreise": [
            row("01001", "Flensburg, Stadt", 400, block=("02000", "Hamburg")),
            row("Z", "Auspendler insgesamt", 400),
        ],
        "Einpendler Kreise": [
            row("01001", "Flensburg, Stadt", 900, block=("02000", "Hamburg")),
            row("Z", "Einpendler insgesamt", 900),
        ],
    }


def flows_of(frame: pd.DataFrame) -> dict[tuple[str, str, bool], float]:
    return {
        (o, d, r): p
        for o, d, r, p in frame[["origin", "dest", "remainder", "persons"]].itertuples(index=False)
    }


@pytest.fixture
def two_laender(tmp_path: Path) -> list[Path]:
    return [
        write_workbook(tmp_path / "pendler-01-202306.xlsx", schleswig_holstein()),
        write_workbook(tmp_path / "pendler-02-202306.xlsx", hamburg(), land="Hamburg"),
    ]


def test_formats_are_registered_and_detected(two_laender: list[Path], tmp_path: Path) -> None:
    assert "ba_pendler" in FORMATS
    assert "commuter_matrix" in FORMATS
    assert detect(two_laender[0])
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    assert not detect(other)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert not detect(broken)
    assert not detect(tmp_path / "missing.xlsx")


def test_one_land_file(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "sh.xlsx", schleswig_holstein())
    result = read([path])
    frame = result.tables["commuters"]
    assert frame.index.equals(pd.RangeIndex(len(frame)))
    assert (frame["year"] == 2023).all()
    flows = flows_of(frame)
    assert flows[("01001000", "01002000", False)] == 120
    assert flows[("01001000", "01059001", False)] == 300
    assert flows[("01001000", "01", True)] == 40  # Übrige Kreise (Bundesland)
    assert flows[("01001000", "03", True)] == 15  # Land without itemised rows
    assert flows[("01001000", "DG", True)] == 25
    assert flows[("01002000", "01058", True)] == 12
    assert flows[("01059", "01001000", True)] == 50  # in-commuters' remainder: origin side
    assert flows[("XA", "01002000", True)] == 17  # the printed "Ausland" row
    assert flows[("09", "01002", True)] == 300
    suppressed = frame[frame["suppressed"]]
    assert set(zip(suppressed["origin"], suppressed["dest"], strict=True)) == {
        ("01001000", "01059"),
        ("XA", "01001000"),  # Denmark 40 + Poland "*": unknown sum
    }
    assert suppressed["persons"].isna().all()
    # subtotals with itemised rows and totals are no flows
    assert ("01001000", "01059", False) not in flows
    assert ("01001000", "02", True) not in flows
    assert not frame["origin"].isin(["Z", "ZZ"]).any()
    assert any("weicht die Summe" in m and "01002000" in m for m in result.messages)
    assert any("einmal gezählt" in m for m in result.messages)  # Kiel ↔ Flensburg twice
    provenance = result.provenance["commuters"]
    assert provenance.gebietsstand == "2023-06-30"
    assert "Bundesagentur für Arbeit, 2023" in provenance.attribution
    assert provenance.source_files == ("sh.xlsx",)


def test_two_laender_files_are_merged_without_double_counting(two_laender: list[Path]) -> None:
    result = read(two_laender)
    frame = result.tables["commuters"]
    assert not frame.duplicated(["origin", "dest", "year", "remainder"]).any()
    flows = flows_of(frame)
    assert flows[("01001000", "02000000", False)] == 80  # SH Auspendler = HH Einpendler
    assert flows[("02000000", "01001000", False)] == 30  # HH Auspendler = SH Einpendler
    # "*" in Hamburg's Einpendler sheet, 60 in Kiel's Auspendler sheet: the number is kept
    assert flows[("01002000", "02000000", False)] == 60
    kiel_hh = frame[(frame["origin"] == "01002000") & (frame["dest"] == "02000000")]
    assert not kiel_hh["suppressed"].any()
    # 45 (SH Einpendler) against 58 (HH Auspendler): reported, residence side wins
    assert flows[("02000000", "01002000", False)] == 58
    conflict = [m for m in result.messages if "verschiedene Zahlen" in m]
    assert len(conflict) == 1
    assert "1 Verflechtungen" in conflict[0]
    assert "02000000 → 01002000" in conflict[0]
    assert any("aus der jeweils anderen Datei ergänzt" in m for m in result.messages)
    assert flows[("01001", "02000", False)] == 900
    assert flows[("02000", "01001", False)] == 400
    assert result.provenance["commuters"].source_files == (
        "pendler-01-202306.xlsx",
        "pendler-02-202306.xlsx",
    )


def test_excel_mangled_keys_are_restored_with_a_warning(tmp_path: Path) -> None:
    sheets = {
        "Auspendler Gemeinden": [
            row(1002000, "Kiel", 120, block=(1001000, "Flensburg, Stadt")),
            row(1059, "Übrige Gemeinden (Kreis)", 4),
            row(10, "Übrige Kreise (Regierungsbezirk)", 3),
            row(1, "Übrige Kreise (Bundesland)", 9),
        ],
        "Einpendler Gemeinden": [row(1001000, "Flensburg", 90, block=(1002000, "Kiel"))],
    }
    path = write_workbook(tmp_path / "mangled.xlsx", sheets)
    with pytest.warns(AgsPaddedWarning, match="führende Null"):
        result = read([path])
    flows = flows_of(result.tables["commuters"])
    assert flows[("01001000", "01002000", False)] == 120
    assert flows[("01001000", "01059", True)] == 4
    assert flows[("01001000", "010", True)] == 3
    assert flows[("01001000", "01", True)] == 9


def test_regierungsbezirk_remainders_and_blocks_on_separate_rows(tmp_path: Path) -> None:
    sheets = {
        "Auspendler Kreise": [
            ["09162", "München, Landeshauptstadt"],
            row("09175", "Ebersberg", 5000),
            row("091", "Übrige Kreise (Regierungsbezirk)", 700),
            row("091", "Oberbayern", 5700),
            row("09", "Übrige Regierungsbezirke (Bundesland)", 900),
            row("09", "Bayern", 6600),
            row("10", "Saarland", 3),
            row("ZZ", "Übrige Bundesländer", 400),
            row("Z", "Auspendler insgesamt", 7003),
        ],
        "Einpendler Kreise": [
            ["09175", "Ebersberg"],
            row("09162", "München, Landeshauptstadt", 9000),
            row("CH", "Schweiz", 3),
            row("A", "Österreich", 8),
            row("Z", "Einpendler insgesamt", 9011),
        ],
    }
    path = write_workbook(tmp_path / "krpend-09-0-202206.xlsx", sheets, stichtag="")
    result = read([path])
    flows = flows_of(result.tables["commuters"])
    assert flows[("09162", "091", True)] == 700
    assert flows[("09162", "09", True)] == 900
    assert flows[("09162", "10", True)] == 3
    assert flows[("XA", "09175", True)] == 11  # countries summed
    assert (result.tables["commuters"]["year"] == 2022).all()  # from the file name
    assert not any("weicht" in m for m in result.messages)


# --- malformed workbooks ---------------------------------------------------------------------


def test_missing_sheet(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    del sheets["Einpendler Gemeinden"]
    path = write_workbook(tmp_path / "incomplete.xlsx", sheets)
    with pytest.raises(SourceError, match="Blatt 'Einpendler Gemeinden' fehlt") as info:
        read([path])
    assert "incomplete.xlsx" in str(info.value)


def test_workbook_without_pendler_sheets(tmp_path: Path) -> None:
    path = tmp_path / "fremd.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(SourceError, match="kein Blatt der BA-Pendlerstatistik"):
        read([path])


def test_unknown_suppression_mark_names_sheet_row_and_column(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Einpendler Kreise"][2] = row("02000", "Hamburg, Freie und Hansestadt", "k.A.")
    path = write_workbook(tmp_path / "ka.xlsx", sheets)
    with pytest.raises(SourceError) as info:
        read([path])
    message = str(info.value)
    assert "ka.xlsx" in message
    assert "Blatt 'Einpendler Kreise'" in message
    assert "Zeile 11" in message  # 8 header rows, third data row
    assert "Spalte 'Insgesamt'" in message
    assert "'k.A.'" in message


def test_bad_mark_in_another_value_column(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    bad = list(row("02000", "Hamburg", 2000))
    bad[5] = "n.v."  # column F
    sheets["Einpendler Kreise"][2] = bad
    path = write_workbook(tmp_path / "nv.xlsx", sheets)
    with pytest.raises(SourceError, match=r"Zeile 11, Spalte 'Männer'"):
        read([path])


def test_negative_count(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Auspendler Gemeinden"][1] = row("01059001", "Gemeinde Eins", -300)
    path = write_workbook(tmp_path / "negativ.xlsx", sheets)
    with pytest.raises(SourceError, match=r"Zeile 10, Spalte 'Insgesamt'.*negative"):
        read([path])


def test_contradicting_rows_within_one_sheet(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Auspendler Kreise"].insert(1, row("01002", "Kiel", 151))
    path = write_workbook(tmp_path / "doppelt.xlsx", sheets)
    with pytest.raises(SourceError, match=r"01001 → 01002 steht in Zeile 9 und 10"):
        read([path])


def test_identical_repeated_rows_are_counted_once(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Auspendler Kreise"].insert(1, row("01002", "Kiel", 150))
    path = write_workbook(tmp_path / "wiederholt.xlsx", sheets)
    result = read([path])
    assert any("wiederholte, gleichlautende" in m for m in result.messages)


def test_missing_reference_date(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "ohne.xlsx", schleswig_holstein(), stichtag="Stichtag: ?")
    with pytest.raises(SourceError, match="Stichtag"):
        read([path])


def test_unknown_row_in_an_auspendler_sheet(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Auspendler Kreise"][1] = row("Q1", "Irgendwas", 5)
    path = write_workbook(tmp_path / "unbekannt.xlsx", sheets)
    with pytest.raises(SourceError, match=r"Zeile 10.*unbekannte Zeile 'Q1'"):
        read([path])


def test_unknown_row_in_an_einpendler_sheet(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Einpendler Kreise"].insert(1, row(None, "Wohnort unbekannt", 5))
    path = write_workbook(tmp_path / "unbekannt.xlsx", sheets)
    with pytest.raises(SourceError, match=r"Zeile 10, Spalte 'C'.*'Wohnort unbekannt'"):
        read([path])


def test_invalid_key(tmp_path: Path) -> None:
    sheets = schleswig_holstein()
    sheets["Auspendler Kreise"][1] = row("99059", "Nirgendwo", 5)
    path = write_workbook(tmp_path / "land99.xlsx", sheets)
    with pytest.raises(AgsError, match=r"Zeile 10: '99059'"):
        read([path])


def test_xlsb_and_not_a_workbook(tmp_path: Path) -> None:
    binary = tmp_path / "krpend_01_0.xlsb"
    binary.write_bytes(b"\x00\x01")
    with pytest.raises(SourceError, match=r"\.xlsx speichern"):
        read([binary])
    text = tmp_path / "pendler.xlsx"
    text.write_text("Wohnort;Arbeitsort\n", encoding="utf-8")
    with pytest.raises(SourceError, match="keine lesbare xlsx"):
        read([text])


# --- derived Kreis matrix ----------------------------------------------------------------------

KREISE = ["01001", "01002", "02000", "16063"]


def write_matrix(folder: Path, matrix: np.ndarray | str, keys: Sequence[object] = KREISE) -> Path:
    centres = [{k: 9.0 + i for i, k in enumerate(map(str, keys))}]
    centres.append({k: 54.0 for k in map(str, keys)})
    (folder / "county_centers_dim4.json").write_text(json.dumps(centres), encoding="utf-8")
    path = folder / "commuter_mobility_4x4.txt"
    if isinstance(matrix, str):
        path.write_text(matrix, encoding="utf-8")
    else:
        path.write_text(
            "\n".join(" ".join(repr(float(v)) for v in line) for line in matrix) + "\n",
            encoding="utf-8",
        )
    return path


def test_matrix(tmp_path: Path) -> None:
    matrix = np.array([[0, 5, 2.5, 0], [7, 0, 0, 1], [0, 3, 0, 0], [0, 0, 0.25, 0]], dtype=float)
    path = write_matrix(tmp_path, matrix)
    assert detect_matrix(path)
    assert not detect_matrix(tmp_path / "county_centers_dim4.json")
    result = read_matrix([path])
    frame = result.tables["commuters"]
    assert len(frame) == 6
    assert flows_of(frame)[("01001", "02000", False)] == 2.5
    assert frame["persons"].sum() == pytest.approx(18.75)
    assert (frame["year"] == 2022).all()
    assert not frame["remainder"].any()
    assert not frame["suppressed"].any()
    provenance = result.provenance["commuters"]
    assert "abgeleitet" in provenance.source.lower()
    assert "keine BA-Rohdaten" in (provenance.notes or "")
    assert any("2022 angenommen" in m for m in result.messages)


def test_matrix_with_a_short_row_names_the_row(tmp_path: Path) -> None:
    text = "0 1 2 3\n1 0 2 3\n1 2 0\n1 2 3 0\n"
    path = write_matrix(tmp_path, text)
    with pytest.raises(SourceError, match=r"Zeile 3: 3 Werte statt 4 \(Wohnort 02000\)"):
        read_matrix([path])


def test_matrix_with_a_missing_row(tmp_path: Path) -> None:
    path = write_matrix(tmp_path, "0 1 2 3\n1 0 2 3\n1 2 0 3\n")
    with pytest.raises(SourceError, match="Zeile 4: 3 Zeilen, erwartet 4"):
        read_matrix([path])


def test_matrix_with_text_or_negative_cells(tmp_path: Path) -> None:
    path = write_matrix(tmp_path, "0 1 2 3\n1 0 x 3\n1 2 0 3\n1 2 3 0\n")
    with pytest.raises(SourceError, match=r"Zeile 2, Spalte 'Arbeitsort 02000'"):
        read_matrix([path])
    path = write_matrix(tmp_path, "0 1 2 3\n1 0 2 3\n1 2 0 3\n1 2 -3 0\n")
    with pytest.raises(SourceError, match=r"Zeile 4, Spalte 'Arbeitsort 02000'"):
        read_matrix([path])


def test_matrix_without_key_file(tmp_path: Path) -> None:
    path = tmp_path / "commuter_mobility.txt"
    path.write_text("0 1\n1 0\n", encoding="utf-8")
    with pytest.raises(SourceError, match="Schlüsseldatei"):
        read_matrix([path])


def test_matrix_keys_lost_their_zero(tmp_path: Path) -> None:
    path = write_matrix(tmp_path, np.eye(4)[::-1], keys=[1001, 1002, 2000, 16063])
    with pytest.warns(AgsPaddedWarning):
        frame = read_matrix([path]).tables["commuters"]
    assert set(frame["origin"]) == set(KREISE)


@pytest.mark.realdata
def test_real_matrix(real_data: Path) -> None:
    folder = real_data / "commuters_kreise"
    started = time.perf_counter()
    result = read_matrix([folder / "commuter_mobility_400x400.txt"])
    elapsed = time.perf_counter() - started
    frame = result.tables["commuters"]
    assert frame["persons"].sum() == pytest.approx(13_653_293, abs=0.5)
    assert frame["origin"].nunique() == 400
    assert frame["dest"].nunique() == 400
    assert "16063" in set(frame["origin"])
    assert "16056" not in set(frame["origin"])  # Eisenach merged into the Wartburgkreis
    assert (frame["origin"] != frame["dest"]).all()
    assert (frame["persons"] > 0).all()
    assert (frame["year"] == 2022).all()
    assert elapsed < 10
