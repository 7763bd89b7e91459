"""The catalogue commands: search (table and JSON), show, extract, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from regiowerk.cli import EXIT_INPUT, app

runner = CliRunner()


def test_search_ranks_small_dwellings_first() -> None:
    done = runner.invoke(app, ["catalogue", "search", "kleine Wohnungen", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    top = [hit["key"] for hit in result["hits"][:5]]
    assert "W 010" in top
    assert all(hit["score"] > 0 for hit in result["hits"])
    filtered = runner.invoke(app, ["catalogue", "search", "Bus", "--field", "mobilitaet", "--json"])
    assert {hit["key"][0] for hit in json.loads(filtered.output)["hits"]} == {"M"}


def test_search_method_option_and_default() -> None:
    default = json.loads(
        runner.invoke(app, ["catalogue", "search", "Fachkräftemangel", "--json"]).output
    )
    assert default["method"] == "hybrid"
    assert default["hits"][0]["key"] == "E 001"
    bm25 = runner.invoke(
        app, ["catalogue", "search", "Fachkräftemangel", "--methode", "bm25", "--json"]
    )
    assert bm25.exit_code == 0, bm25.output
    assert json.loads(bm25.output)["method"] == "bm25"
    assert json.loads(bm25.output)["hits"][0]["key"] == "E 001"  # "fachkrafte" + "mangel"
    english = runner.invoke(
        app, ["catalogue", "search", "health", "--method", "semantic", "--json"]
    )
    assert json.loads(english.output)["method"] == "semantic"
    wrong = runner.invoke(app, ["catalogue", "search", "Wohnen", "--methode", "lsi"])
    assert wrong.exit_code == EXIT_INPUT
    assert "bm25, semantic, hybrid" in wrong.output


def test_empty_query_gives_a_hint_not_an_error() -> None:
    done = runner.invoke(app, ["catalogue", "search", "   "])
    assert done.exit_code == 0
    assert "Suchbegriff" in done.output


def test_show_accepts_codes_with_and_without_space() -> None:
    for code in ("W 007", "W007", "impuls-harz"):
        done = runner.invoke(app, ["catalogue", "show", code])
        assert done.exit_code == 0, done.output
        assert "title:" in done.output
    missing = runner.invoke(app, ["catalogue", "show", "X 999"])
    assert missing.exit_code == EXIT_INPUT
    assert "Traceback" not in missing.output


def test_extract_a_hand_written_description(tmp_path: Path) -> None:
    text = tmp_path / "projekt.txt"
    text.write_text(
        "Dorfladen Musterhausen\n\nDas Vorhaben läuft von 2022 bis 2025 und wird im Programm "
        "LEADER mit 120.000 Euro gefördert. Projektträger ist die Gemeinde Musterhausen.\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["catalogue", "extract", str(text), "--json"])
    assert done.exit_code == 0, done.output
    draft = json.loads(done.output)
    assert (draft["start"], draft["end"]) == (2022, 2025)
    assert draft["volume_eur"] == 120000
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Förderung".encode("latin-1"))
    fallback = runner.invoke(app, ["catalogue", "extract", str(latin)])
    assert fallback.exit_code == 0, fallback.output
    assert "Hinweis:" in fallback.output
    assert "Windows-1252" in fallback.output


def test_search_facet_options() -> None:
    done = runner.invoke(
        app,
        [
            "catalogue", "search", "Bus", "--methode", "bm25", "--json",
            "--zielgruppe", "Ältere Menschen", "--ebene", "kommunal", "--ebene", "regional",
            "--projekttyp", "organisatorisch", "--projekttyp", "investiv",
            "--projekttyp", "vernetzend",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["hits"]
    groups = result["facets"]["target_group"]
    selected = sum(count for group, count in groups.items() if "Ältere Menschen" in group)
    assert selected >= result["total"] > 0  # every hit has such a target group
    unfiltered = runner.invoke(app, ["catalogue", "search", "Bus", "--methode", "bm25", "--json"])
    assert json.loads(unfiltered.output)["total"] > result["total"]
    levels = result["facets"]["spatial_level"]
    assert levels.get("kommunal", 0) + levels.get("regional", 0) >= result["total"]
    english = runner.invoke(
        app,
        ["catalogue", "search", "Bus", "--methode", "bm25", "--json",
         "--target-group", "Ältere Menschen", "--spatial-level", "kommunal"],
    )  # fmt: skip
    assert english.exit_code == 0, english.output
    assert json.loads(english.output)["total"] > 0


def test_search_rejects_unknown_facet_values_and_bad_limits() -> None:
    for option, value in [("--field", "housing"), ("--kind", "foo"), ("--ebene", "bund")]:
        done = runner.invoke(
            app, ["catalogue", "search", "Wohnen", "--methode", "bm25", option, value]
        )
        assert done.exit_code == EXIT_INPUT, done.output
        assert f"Unbekannter Wert '{value}'" in done.output
        assert "möglich:" in done.output
    for limit in ("0", "-3"):
        done = runner.invoke(
            app, ["catalogue", "search", "Wohnen", "--methode", "bm25", "--limit", limit]
        )
        assert done.exit_code == EXIT_INPUT, done.output
        assert "--limit muss mindestens 1 sein" in done.output
