"""Gebietsstand crosswalks: BBSR Umsteigeschlüssel, BBSR year sheets, Destatis
Gebietsänderungen; weights, chaining and remapping with exact totals."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiowerk.ags import AgsPaddedWarning
from regiowerk.errors import AgsError, RegiowerkError
from regiowerk.gebietsstand import Crosswalk, GebietsstandError
from regiowerk.sources.base import SourceError


def split_and_merge() -> Crosswalk:
    """01001001 splits 1 : 3 into 01001002/01001003; 01001004 and 01001005 merge."""
    links = pd.DataFrame(
        {
            "ags_from": ["01001001", "01001001", "01001004", "01001005", "01001006"],
            "ags_to": ["01001002", "01001003", "01001009", "01001009", "01001006"],
            "population": [0.25, 0.75, 1.0, 1.0, 1.0],
            "area": [0.5, 0.5, 1.0, 1.0, 1.0],
        }
    )
    return Crosswalk.from_links(links, from_year=2010, to_year=2011)


def test_weights_and_remap_of_counts() -> None:
    crosswalk = split_and_merge()
    shares = crosswalk.weights(2010, 2011)
    assert shares.groupby("ags_from")["share"].sum().tolist() == [1.0, 1.0, 1.0, 1.0]
    frame = pd.DataFrame(
        {
            "region": ["01001001", "01001004", "01001005", "01001006", "01001001"],
            "year": [2010, 2010, 2010, 2010, 2009],
            "persons": [10, 5, 7, 1, 4],
        }
    )
    out = crosswalk.remap(frame, "persons", from_year=2010, to_year=2011)
    assert list(out.columns) == ["region", "year", "persons"]
    assert out["persons"].dtype == "int64"
    got = {(r, y): p for r, y, p in out.itertuples(index=False)}
    assert got == {
        ("01001002", 2009): 1,
        ("01001003", 2009): 3,
        ("01001002", 2010): 3,  # 2.5 and 7.5: the tie goes to the first piece
        ("01001003", 2010): 7,
        ("01001009", 2010): 12,
        ("01001006", 2010): 1,
    }
    assert out["persons"].sum() == frame["persons"].sum()
    assert out.attrs["gebietsstand"] == 2011


def test_float_columns_are_split_by_share_and_missing_values_stay_missing() -> None:
    frame = pd.DataFrame(
        {
            "region": ["01001001", "01001004", "01001005"],
            "income": [10.0, 2.0, np.nan],
            "households": pd.array([4, 1, None], dtype="Int64"),
        }
    )
    out = split_and_merge().remap(frame, ["income", "households"], from_year=2010, to_year=2011)
    by_key = out.set_index("region")
    assert by_key.loc["01001002", "income"] == 2.5
    assert by_key.loc["01001003", "income"] == 7.5
    assert np.isnan(by_key.loc["01001009", "income"])  # one merged part unknown
    assert pd.isna(by_key.loc["01001009", "households"])
    assert by_key.loc["01001002", "households"] + by_key.loc["01001003", "households"] == 4


def test_area_weights_and_same_year() -> None:
    crosswalk = split_and_merge()
    frame = pd.DataFrame({"region": ["01001001"], "area_ha": [10.0]})
    out = crosswalk.remap(frame, "area_ha", from_year=2010, to_year=2011, weight="area")
    assert out["area_ha"].tolist() == [5.0, 5.0]
    same = crosswalk.remap(frame, "area_ha", from_year=2010, to_year=2010)
    assert same["area_ha"].tolist() == [10.0]


def test_mixed_census_bases_are_refused() -> None:
    frame = pd.DataFrame(
        {
            "region": ["01001001", "01001004"],
            "census_basis": ["zensus2011", "zensus2022"],
            "persons": [1, 2],
        }
    )
    with pytest.raises(GebietsstandError, match="mischt Zensusbasen"):
        split_and_merge().remap(frame, "persons", from_year=2010, to_year=2011)
    single = frame.assign(census_basis="zensus2011")
    out = split_and_merge().remap(single, "persons", from_year=2010, to_year=2011)
    assert set(out["census_basis"]) == {"zensus2011"}
    assert out.attrs["census_basis"] == "zensus2011"


def test_unknown_keys() -> None:
    crosswalk = split_and_merge()
    frame = pd.DataFrame({"region": ["01001001", "07000999"], "persons": [3, 5]})
    with pytest.raises(GebietsstandError, match="1 Schlüssel gibt es im Gebietsstand 2010 nicht"):
        crosswalk.remap(frame, "persons", from_year=2010, to_year=2011)
    empty = frame.assign(persons=[3, 0])
    out = crosswalk.remap(empty, "persons", from_year=2010, to_year=2011)
    assert out["persons"].sum() == 3
    assert any("07000999" in h for h in out.attrs["hinweise"])


def test_bad_input_to_remap() -> None:
    crosswalk = split_and_merge()
    with pytest.raises(GebietsstandError, match=r"'persons'.*fehlen"):
        crosswalk.remap(
            pd.DataFrame({"region": ["01001001"]}), "persons", from_year=2010, to_year=2011
        )
    text = pd.DataFrame({"region": ["01001001"], "persons": ["drei"]})
    with pytest.raises(GebietsstandError, match="nicht numerisch"):
        crosswalk.remap(text, "persons", from_year=2010, to_year=2011)
    with pytest.raises(AgsError, match="Spalte 'region'"):
        crosswalk.remap(
            pd.DataFrame({"region": ["99"], "persons": [1]}),
            "persons",
            from_year=2010,
            to_year=2011,
        )
    with pytest.warns(AgsPaddedWarning):
        out = crosswalk.remap(
            pd.DataFrame({"region": [1001006], "persons": [1]}),
            "persons",
            from_year=2010,
            to_year=2011,
        )
    assert out["region"].tolist() == ["01001006"]


def test_weights_errors() -> None:
    crosswalk = split_and_merge()
    with pytest.raises(GebietsstandError, match="nur auf spätere"):
        crosswalk.weights(2011, 2010)
    with pytest.raises(GebietsstandError, match=r"2010 auf 2015.*Vorhanden: 2010 → 2011"):
        crosswalk.weights(2010, 2015)
    with pytest.raises(GebietsstandError, match="Gewicht 'votes'"):
        crosswalk.weights(2010, 2011, "votes")
    assert isinstance(GebietsstandError("x"), RegiowerkError)
    same = crosswalk.weights(2010, 2010)
    assert (same["ags_from"] == same["ags_to"]).all()
    assert len(same) == 4
    with pytest.raises(GebietsstandError, match="Gebietsstand 1999 sind keine Schlüssel"):
        crosswalk.weights(1999, 1999)
    twice = crosswalk.combined(split_and_merge())
    assert twice.steps == crosswalk.steps
    assert "bereits aus eigene Tabelle vorhanden" in twice.remarks[0]


def test_broken_population_weights_fall_back_to_area() -> None:
    links = pd.DataFrame(
        {
            "ags_from": ["09172444", "09172444", "09172111"],
            "ags_to": ["09172452", "09172454", "09172111"],
            "population": [1.0, 1.0, 1.0],  # BBSR: 1 for every part of an unpopulated area
            "area": [0.4, 0.6, 1.0],
            "employment": [np.nan, np.nan, 1.0],
        }
    )
    crosswalk = Crosswalk.from_links(links, from_year=1995, to_year=2020)
    shares = crosswalk.weights(1995, 2020)
    assert shares.loc[shares["ags_to"] == "09172452", "share"].item() == pytest.approx(0.4)
    assert "1 alte Schlüssel" in shares.attrs["hinweise"][0]
    employment = crosswalk.weights(1995, 2020, "employment")
    assert employment.loc[employment["ags_to"] == "09172454", "share"].item() == pytest.approx(0.6)


def test_changes_only_steps_pass_other_keys_through() -> None:
    first = split_and_merge()
    changes = pd.DataFrame(
        {"ags_from": ["01001009"], "ags_to": ["01001010"], "population": [100], "area": [5]}
    )
    second = Crosswalk.from_links(
        changes, from_year=2011, to_year=2012, complete=False, shares=False
    )
    chained = first.combined(second)
    shares = chained.weights(2010, 2012)
    mapping = dict(zip(shares["ags_from"] + ">" + shares["ags_to"], shares["share"], strict=True))
    assert mapping["01001004>01001010"] == 1.0
    assert mapping["01001006>01001006"] == 1.0
    assert mapping["01001001>01001003"] == 0.75


# --- property tests -------------------------------------------------------------------------

keys = st.integers(min_value=1, max_value=30).map(lambda i: f"01001{i:03d}")


@st.composite
def crosswalk_and_frame(draw: st.DrawFn) -> tuple[Crosswalk, pd.DataFrame]:
    sources = draw(st.lists(keys, min_size=1, max_size=8, unique=True))
    rows = []
    for source in sources:
        targets = draw(st.lists(keys, min_size=1, max_size=4, unique=True))
        for target in targets:
            amount = draw(st.floats(min_value=0.001, max_value=1e6))
            rows.append((source, target, amount))
    links = pd.DataFrame(rows, columns=["ags_from", "ags_to", "population"])
    crosswalk = Crosswalk.from_links(links, from_year=2000, to_year=2001, shares=False)
    values = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sources),
                st.sampled_from([2000, 2001]),
                st.integers(min_value=0, max_value=10**9),
                st.floats(min_value=0, max_value=1e9),
            ),
            min_size=1,
            max_size=20,
        )
    )
    frame = pd.DataFrame(values, columns=["region", "year", "persons", "income"])
    return crosswalk, frame


@settings(max_examples=100, deadline=None)
@given(crosswalk_and_frame())
def test_totals_are_kept_for_any_non_negative_input(case: tuple[Crosswalk, pd.DataFrame]) -> None:
    crosswalk, frame = case
    shares = crosswalk.weights(2000, 2001)
    sums = shares.groupby("ags_from")["share"].sum()
    assert np.allclose(sums.to_numpy(), 1.0, rtol=0, atol=1e-12)
    assert (shares["share"] > 0).all()
    out = crosswalk.remap(frame, ["persons", "income"], from_year=2000, to_year=2001)
    assert out["persons"].dtype == "int64"
    assert (out["persons"] >= 0).all()
    assert out["persons"].sum() == frame["persons"].sum()
    by_year_in = frame.groupby("year")["persons"].sum()
    by_year_out = out.groupby("year")["persons"].sum()
    assert by_year_out.to_dict() == by_year_in.to_dict()
    assert out["income"].sum() == pytest.approx(frame["income"].sum(), rel=1e-9, abs=1e-6)
    assert not out.duplicated(["region", "year"]).any()


# --- published layouts, written here ---------------------------------------------------------


def write_xm(path: Path) -> Path:
    lines = [
        "year_xw,ags_xw,pop_conv,size_conv,emp_conv,ags20",
        "2018,01001000,1.0,1.0,,01001000",
        "2018,09172444,1.0,0.4,,09172452",
        "2018,09172444,1.0,0.6,,09172454",
        "2018,09172452,1.0,1.0,1.0,09172452",
        "2018,09172454,1.0,1.0,1.0,09172454",
        "2019,01001000,1.0,1.0,1.0,01001000",
        "2019,09172452,1.0,1.0,1.0,09172452",
        "2019,09172454,1.0,1.0,1.0,09172454",
        "2020,01001000,1.0,1.0,1.0,01001000",
        "2020,09172452,1.0,1.0,1.0,09172452",
        "2020,09172454,1.0,1.0,1.0,09172454",
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def write_bbsr_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2020"
    sheet.append(
        [
            "Gemeinden\n 31.12.2020",
            "Gemeindename 2020",
            "flächen-\nproportionaler\nUmsteige-schlüssel",
            "bevölkerungs- \nproportionaler \nUmsteige- \nschlüssel",
            "beschäftigten- \nproportionaler \nUmsteige- \nschlüssel",
            "Fläche am 31.12.2020 in km²",
            "Bevölkerung am 31.12.2020 in 100",
            "sozialvers.pflichtig Beschäftigte am Arbeitsort am 30.6.2020 in 100",
            "Gemeinden\n 31.12.2021",
            "Gemeindename 2021",
        ]
    )
    sheet.append([1001000, "Flensburg, Stadt", 1, 1, 1, 56.73, 899.3, 439.8, 1001000, "F"])
    sheet.append([9172452, "A", 1, 1, 1, 10.0, 10, 1, 9172452, "A"])
    sheet.append([9172454, "B", 0.9, 0.99, 1, 10.0, 10, 1, 9172454, "B"])
    sheet.append([9172454, "B", 0.1, 0.01, 0, 10.0, 10, 1, 9172452, "A"])
    book.save(path)
    return path


def write_gebietsaenderungen(path: Path, *, title: str, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Deckblatt"
    sheet = book.create_sheet("Gebietsaenderungen")
    sheet.append([title, *[None] * 7, title])
    sheet.append(
        [
            "Kennziffer",
            "Regionaleinheit",
            "Abgebende / Aufgelöste Gemeinde",
            *[None] * 5,
            "Aufnehmende / Neugebildete Gemeinde",
            None,
            None,
            "Wirksamkeitsdatum",
        ]
    )
    sheet.append(
        [
            None,
            None,
            "Amtlicher Regionalschlüssel (ARS)",
            "Amtlicher Gemeinde-schlüssel (AGS)",
            "Name",
            "Änderungs-art 1)",
            "Fläche qm",
            "Einwohner",
            "Amtlicher Regionalschlüssel (ARS)",
            "Amtlicher Gemeinde-schlüssel (AGS)",
            "Name",
            "juristisch",
            "statistisch",
        ]
    )
    sheet.append([])
    for values in rows:
        sheet.append(values)
    sheet.append([])
    for note in ("1) Änderungsart:", "    1 = Auflösung", "    2 = Teilausgliederung"):
        sheet.append([note])
    sheet.append(["     Statistisches Bundesamt (Destatis), 2025"])
    book.save(path)
    return path


def change(
    giving: str, kind: int | str, area: object, people: object, receiving: str, date: str
) -> list[object]:
    return [
        "xx/2024/0001-R",
        "Gemeinde",
        giving[:5] + "0000" + giving[5:],
        giving,
        "alt",
        kind,
        area,
        people,
        receiving[:5] + "0000" + receiving[5:],
        receiving,
        "neu",
        date,
        date,
    ]


def gebietsaenderungen_2024(path: Path) -> Path:
    rows: list[list[object]] = [
        ["xx/2024/0001-R", "Gemeindeverband", "160615012", None, "VG", 1, None, None],
        change("16061007", 1, 8386750, 529, "16061119", "01.01.2024"),
        change("16064055", 1, 11165472, 1552, "16061118", "01.01.2024"),
        change("16064055", "1", "15514791", "481", "16064046", "01.01.2024"),
        change("14729050", 2, 13738, 0, "14729220", "01.01.2024"),
        change("14729050", 2, 62432560, 19470, "14729050", "01.01.2024"),
        change("09672457", 1, 1902750, 0, "09672163", "01.01.2024"),
        change("09672457", 1, 2769088, 0, "09672145", "01.01.2024"),
        change("16061002", 3, None, None, "16061002", "01.01.2024"),
        change("13071114", 1, 9353371, 312, "13071017", "01.01.2024"),
        change("13071017", 1, 9479067, 123, "13071006", "01.06.2024"),
        change("06438009", 4, None, None, "06438009", "01.09.2024"),
    ]
    return write_gebietsaenderungen(
        path, title="Gebietsänderungen vom 01.01. - 31.12.2024", rows=rows
    )


def test_bbsr_table_workbook_and_tidy_csv(tmp_path: Path) -> None:
    crosswalk = Crosswalk.from_bbsr(write_xm(tmp_path / "xm20.csv.gz"))
    assert [s[:2] for s in crosswalk.steps] == [(2018, 2020), (2019, 2020)]
    shares = crosswalk.weights(2018, 2020)
    forest = shares[shares["ags_from"] == "09172444"]
    assert forest["share"].tolist() == pytest.approx([0.4, 0.6])  # area, not the broken 1 + 1
    crosswalk = crosswalk.add_bbsr_steps(write_bbsr_workbook(tmp_path / "ref.xlsx"))
    shares = crosswalk.weights(2018, 2021)
    mapping = dict(zip(shares["ags_from"] + ">" + shares["ags_to"], shares["share"], strict=True))
    assert mapping["09172444>09172452"] == pytest.approx(0.4 + 0.6 * 0.01)
    assert mapping["01001000>01001000"] == 1.0
    tidy = tmp_path / "tidy.csv"
    tidy.write_text(
        "year_from,ags_from,size_conv,pop_conv,emp_conv,year_to,ags_to\n"
        "2021,01001000,1.0,1.0,,2022,01001000\n"
        "2021,09172452,1.0,1.0,,2022,09172452\n"
        "2021,09172454,1.0,1.0,,2022,09172452\n",
        encoding="utf-8",
    )
    crosswalk = crosswalk.add_bbsr_steps(tidy)
    frame = pd.DataFrame({"ags": ["01001000", "09172444"], "persons": [90_000, 0]})
    out = crosswalk.remap(frame, "persons", key="ags", from_year=2018, to_year=2022)
    assert out["persons"].sum() == 90_000
    assert set(out["ags"]) == {"01001000", "09172452"}


def test_destatis_gebietsaenderungen(tmp_path: Path) -> None:
    base = pd.DataFrame(
        {
            "ags_from": ["16061007", "16064055", "14729050", "09672457", "13071114", "13071017"],
            "ags_to": ["16061007", "16064055", "14729050", "09672457", "13071114", "13071017"],
            "population": 1.0,
        }
    )
    crosswalk = Crosswalk.from_links(base, from_year=2022, to_year=2023)
    crosswalk = crosswalk.add_gebietsaenderungen(gebietsaenderungen_2024(tmp_path / "ga.xlsx"))
    shares = crosswalk.weights(2023, 2024)
    mapping = dict(zip(shares["ags_from"] + ">" + shares["ags_to"], shares["share"], strict=True))
    assert mapping["16061007>16061119"] == 1.0
    assert mapping["16064055>16061118"] == pytest.approx(1552 / 2033)
    assert mapping["14729050>14729050"] == 1.0  # no inhabitant moved
    assert mapping["09672457>09672163"] == pytest.approx(1902750 / (1902750 + 2769088))
    assert mapping["13071114>13071006"] == 1.0  # merged twice in one year
    assert "16061002>16061002" not in mapping  # unchanged keys are not listed …
    frame = pd.DataFrame({"region": ["16064055", "16061002"], "persons": [2033, 7]})
    out = crosswalk.remap(frame, "persons", from_year=2023, to_year=2024)
    assert dict(zip(out["region"], out["persons"], strict=True)) == {
        "16061002": 7,  # … but pass through
        "16061118": 1552,
        "16064046": 481,
    }
    chained = crosswalk.remap(
        frame.assign(region=["16064055", "13071114"]), "persons", from_year=2022, to_year=2024
    )
    assert chained["persons"].sum() == 2040
    assert any("Fläche" in h for h in crosswalk.weights(2023, 2024).attrs["hinweise"])


def test_partial_year_is_remarked(tmp_path: Path) -> None:
    path = write_gebietsaenderungen(
        tmp_path / "ga-2025-02.xlsx",
        title="Gebietsänderungen vom 01.01. - 28.02.2025",
        rows=[change("07131090", "2", "29041", "0", "07131017", "01.01.2025")],
    )
    crosswalk = Crosswalk.from_links(
        pd.DataFrame({"ags_from": ["07131090"], "ags_to": ["07131090"]}),
        from_year=2023,
        to_year=2024,
    ).add_gebietsaenderungen(path)
    assert any("nur bis 28.02.2025" in h for h in crosswalk.weights(2024, 2025).attrs["hinweise"])


def test_malformed_gebietsaenderungen(tmp_path: Path) -> None:
    bad_kind = write_gebietsaenderungen(
        tmp_path / "kind.xlsx",
        title="Gebietsänderungen vom 01.01. - 31.12.2024",
        rows=[change("16061007", 7, 1, 1, "16061119", "01.01.2024")],
    )
    with pytest.raises(SourceError, match=r"kind.xlsx, Zeile 5, Spalte 'Änderungsart'"):
        Crosswalk().add_gebietsaenderungen(bad_kind)
    no_title = write_gebietsaenderungen(tmp_path / "title.xlsx", title="Gebietsänderungen", rows=[])
    with pytest.raises(SourceError, match="Zeitraum im Titel"):
        Crosswalk().add_gebietsaenderungen(no_title)
    bad_key = write_gebietsaenderungen(
        tmp_path / "key.xlsx",
        title="Gebietsänderungen vom 01.01. - 31.12.2024",
        rows=[change("99061007", 1, 1, 1, "16061119", "01.01.2024")],
    )
    with pytest.raises(AgsError, match=r"key.xlsx.*Zeile 5: '99061007'"):
        Crosswalk().add_gebietsaenderungen(bad_key)


def test_malformed_bbsr_files(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="year_xw"):
        Crosswalk.from_bbsr(wrong)
    mangled = tmp_path / "mangled.csv"
    mangled.write_text(
        "year_xw,ags_xw,pop_conv,size_conv,emp_conv,ags20\n"
        "2019,1001000,1,1,1,01001000\n"
        "2019,1001001,1,1,1,01001001\n",
        encoding="utf-8",
    )
    with pytest.warns(AgsPaddedWarning):
        crosswalk = Crosswalk.from_bbsr(mangled)
    next_year = pd.DataFrame({"ags_from": ["01001000"], "ags_to": ["01001002"]})
    chained = crosswalk.combined(Crosswalk.from_links(next_year, from_year=2020, to_year=2021))
    with pytest.raises(GebietsstandError, match=r"2020 → 2021.*kennt 1 Schlüssel.*01001001"):
        chained.weights(2019, 2021)
    book = openpyxl.Workbook()
    book.active.title = "Tabelle1"
    book.save(tmp_path / "leer.xlsx")
    with pytest.raises(SourceError, match="kein Jahresblatt"):
        Crosswalk().add_bbsr_steps(tmp_path / "leer.xlsx")


# --- real data -------------------------------------------------------------------------------


def read_gv(path: Path) -> pd.DataFrame:
    """Municipalities (Satzart 60) of a GV-ISys "Auszug GV" CSV with plain pandas."""
    raw = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig")
    raw = raw[raw["Satz-art"] == "60"]
    ags = raw["Land"].str.zfill(2) + raw["RB"] + raw["Kreis"].str.zfill(2) + raw["Gem"].str.zfill(3)
    persons = pd.to_numeric(raw["insgesamt"].str.replace(r"\s", "", regex=True))
    return pd.DataFrame(
        {"ags": ags.to_numpy(), "persons": persons.fillna(0).astype("int64").to_numpy()}
    )


@pytest.mark.realdata
@pytest.mark.slow
def test_gv_2011_onto_2020_and_later(real_data: Path) -> None:
    started = time.perf_counter()
    folder = real_data / "ags_changes"
    crosswalk = (
        Crosswalk.from_bbsr(folder / "bbsr_xm20.csv.gz")
        .add_bbsr_steps(folder / "bbsr_ref-gemeinden-ab-2020.xlsx")
        .add_gebietsaenderungen(folder / "destatis_gebietsaenderungen_2024.xlsx")
        .add_gebietsaenderungen(folder / "destatis_gebietsaenderungen_2025-02.xlsx")
    )
    gv2011 = read_gv(real_data / "gv_auszug" / "31122011_Auszug_GV.csv")
    gv2011 = gv2011.assign(census_basis="pre2011")
    assert gv2011["persons"].sum() == 81_843_743
    on2020 = crosswalk.remap(gv2011, "persons", key="ags", from_year=2011, to_year=2020)
    assert on2020["persons"].sum() == 81_843_743
    keys2019 = set(read_gv(real_data / "gv_auszug" / "31122019_Auszug_GV.csv")["ags"])
    keys2021 = set(read_gv(real_data / "gv_auszug" / "31122021_Auszug_GV.csv")["ags"])
    keys2020 = set(on2020["ags"])
    assert len(keys2020) == 11_001
    assert keys2020 <= keys2019 | keys2021
    assert len(keys2020 - keys2021) == 11  # dissolved in 2021: Langelsheim, Greußen, …
    assert len(keys2020 - keys2019) == 2  # new in 2020
    on2021 = crosswalk.remap(gv2011, "persons", key="ags", from_year=2011, to_year=2021)
    assert on2021["persons"].sum() == 81_843_743
    assert set(on2021["ags"]) <= keys2021
    assert len(keys2021 - set(on2021["ags"])) == 3  # uninhabited areas without 2011 keys
    by_key = on2021.set_index("ags")["persons"]
    assert by_key["15085135"] == 41_842  # Halberstadt
    assert by_key["03159016"] == 121_364  # Göttingen
    for year in (2023, 2024, 2025):
        later = crosswalk.remap(gv2011, "persons", key="ags", from_year=2011, to_year=year)
        assert later["persons"].sum() == 81_843_743
    assert time.perf_counter() - started < 60


def test_a_broken_workbook_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "gebietsaenderungen.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SourceError, match="keine lesbare xlsx-Arbeitsmappe"):
        split_and_merge().add_gebietsaenderungen(broken)
