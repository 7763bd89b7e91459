"""German catalogue search: BM25 by hand, stemming, compound splitting, facets, odd queries."""

from __future__ import annotations

import math

import pytest

from regiowerk.catalogue.schema import Measure, Project
from regiowerk.catalogue.search import (
    Analyzer,
    Document,
    SearchIndex,
    normalise,
    words,
)
from regiowerk.catalogue.store import Catalogue, CatalogueError


def _document(key: str, title: str, summary: str = "", other: str = "") -> Document:
    return Document(
        key=key,
        kind="measure",
        title=title,
        texts={"title": title, "summary": summary, "other": other},
        facets={},
    )


def _bm25(tf: float, dl: float, avgdl: float, n: int, total: int) -> float:
    """One term's contribution, written out from Robertson & Zaragoza (k1 = 1.2, b = 0.75)."""
    idf = math.log(1 + (total - n + 0.5) / (n + 0.5))
    return idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))


def test_bm25_on_a_hand_computed_example() -> None:
    # Short words that are neither stemmed differently nor split: arzt, bus, kita, markt.
    index = SearchIndex.build(
        [
            _document("D1", "Bus", "Bus Arzt", "Kita"),
            _document("D2", "Markt", "Arzt Arzt", "Bus Markt"),
            _document("D3", "Kita", "Markt"),
        ]
    )
    # Weighted tf (title 3, summary 2, other 1) and lengths:
    # D1: bus 3 + 2 = 5, arzt 2, kita 1 → dl 8; D2: markt 3 + 1 = 4, arzt 4, bus 1 → dl 9;
    # D3: kita 3, markt 2 → dl 5; avgdl = 22 / 3; bus and arzt occur in 2 of 3 documents.
    avgdl = 22 / 3
    expected = {
        "D1": _bm25(5, 8, avgdl, 2, 3) + _bm25(2, 8, avgdl, 2, 3),
        "D2": _bm25(1, 9, avgdl, 2, 3) + _bm25(4, 9, avgdl, 2, 3),
    }
    result = index.search("Bus und Arzt")
    assert result.terms == ("bus", "arzt")
    assert [hit.key for hit in result.hits] == sorted(expected, key=lambda key: -expected[key])
    for hit in result.hits:
        assert hit.score == pytest.approx(expected[hit.key], rel=1e-12)
        assert set(hit.matched_terms) == {"bus", "arzt"}
    assert result.total == 2
    (kita,) = index.search("Kita").hits[:1]
    assert kita.key == "D3"  # title weight: tf 3 in a short document beats tf 1
    assert kita.score == pytest.approx(_bm25(3, 5, avgdl, 2, 3))


def test_normalisation_and_stopwords() -> None:
    assert normalise("Straße Ärzte Mobilität Café") == "strasse arzte mobilitat cafe"
    assert words("Die Versorgung der Älteren und ein Bus") == ["versorgung", "alteren", "bus"]


def test_stemming_finds_inflected_forms() -> None:
    index = SearchIndex.build(
        [
            _document("A", "Barrierefreie Wohnungen für Ältere"),
            _document("B", "Ärztliche Versorgung sichern"),
        ]
    )
    assert [hit.key for hit in index.search("Wohnung").hits] == ["A"]
    assert [hit.key for hit in index.search("älterer").hits] == ["A"]
    assert [hit.key for hit in index.search("Aerztliche").hits] == ["B"]  # ae-spelling
    assert [hit.key for hit in index.search("versorgen").hits] == ["B"]


@pytest.mark.parametrize(
    ("vocabulary", "word", "parts"),
    [
        (["wohnraum", "versorgung"], "wohnraumversorgung", ("wohnraum", "versorgung")),
        (["dorf", "laden"], "dorfladen", ("dorf", "laden")),
        (["gesundheit", "versorgung"], "gesundheitsversorgung", ("gesundheit", "versorgung")),
        (["land", "planung"], "landesplanung", ("land", "planung")),
        (["frau", "haus"], "frauenhaus", ("frau", "haus")),
        (["familie", "zentrum"], "familienzentrum", ("familie", "zentrum")),
        (["pflege", "kraft"], "pflegekrafte", ("pflege", "krafte")),  # inflected last part
        (["burger", "bus", "linie"], "burgerbuslinie", ("burger", "bus", "linie")),
        (["laden"], "dorfladen", ("dorf", "laden")),  # known head, unknown modifier
        (["ausbau"], "glasfaserausbaus", ("glasfaser", "ausbaus")),  # inflected known head
        (["fachkrafte"], "fachkraftemangel", ("fachkrafte", "mangel")),  # known modifier
        (["landes"], "landesmangel", ("landes", "mangel")),  # the whole known modifier
        (["land"], "landesmangel", ("land", "mangel")),  # linking element dropped
        (["laden"], "xyladen", ()),  # modifier shorter than 4 letters
        (["land"], "landschaft", ()),  # derivational suffix, no compound
        (["alternative", "alter"], "alternativen", ()),  # inflected form of a known word
        (["weite"], "weiterfuhrende", ()),  # starts with the stopword "weiter"
        (["haus"], "hausrfuhr", ()),  # "rf" begins no German word
        (["beratung", "rat"], "beratung", ()),  # "be" too short, "tung" unknown
        (["schuler", "innen"], "schulerinnen", ()),  # feminine plural, not a compound
        (["stellen"], "aufstellen", ()),  # "auf" is a stopword
    ],
)
def test_compound_splitting(vocabulary: list[str], word: str, parts: tuple[str, ...]) -> None:
    assert Analyzer(dict.fromkeys(vocabulary, 1)).split(word) == parts


def test_partial_split_terms_use_the_heads_base_form() -> None:
    analyzer = Analyzer(dict.fromkeys(["ausbau", "breitband"], 1))
    assert analyzer.terms("glasfaserausbaus") == ("glasfaserausbaus", "glasfas", "ausbau")
    assert analyzer.terms("glasfaser") == ("glasfas",)


def test_compounds_with_a_part_missing_from_the_texts() -> None:
    index = SearchIndex.build(
        [
            _document("D 003", "Koordination des Breitband- und Glasfaserausbaus"),
            _document("W 001", "Ausbau von Radwegen", "Der Ausbau der Wege"),
            _document("E 001", "Fachkräfteservice", "Fachkräfte gewinnen und halten"),
            _document("G 001", "Landarztpraxis", "Ärzte für das Land"),
        ]
    )
    for query in ["Glasfaser", "Glasfaserausbau", "Glasfaserausbaus"]:
        assert index.search(query).hits[0].key == "D 003", query
    assert index.search("Breitbandausbau").hits[0].key == "D 003"
    assert index.search("Fachkräftemangel").hits[0].key == "E 001"
    assert index.search("Ärztemangel").hits[0].key == "G 001"


def test_split_prefers_fewest_parts() -> None:
    analyzer = Analyzer(dict.fromkeys(["wohn", "raum", "wohnraum", "versorgung"], 1))
    assert analyzer.split("wohnraumversorgung") == ("wohnraum", "versorgung")
    assert analyzer.terms("wohnraumversorgung") == ("wohnraumversorg", "wohnraum", "versorg")


def test_compounds_match_their_parts_both_ways() -> None:
    index = SearchIndex.build(
        [
            _document("LADEN", "Dorfladen als Treffpunkt", "Ein Laden im Dorf"),
            _document("WOHNEN", "Wohnraum schaffen", "Versorgung mit Wohnungen"),
            _document("BUS", "Bürgerbus"),
        ]
    )
    hits = index.search("Laden").hits
    assert hits[0].key == "LADEN"
    assert index.search("Wohnraumversorgung").hits[0].key == "WOHNEN"
    result = index.search("Wohnraumversorgung")
    assert set(result.hits[0].matched_terms) == {"wohnraum", "versorg"}
    assert result.unknown == ()
    # A compound in the query whose parts all occur: "Dorfladenwohnraum" → dorf, lad, wohnraum.
    keys = {hit.key for hit in index.search("Dorfladenwohnraum").hits}
    assert keys == {"LADEN", "WOHNEN"}


def _measure(code: str, title: str, field: str, groups: list[str], levels: list[str]) -> Measure:
    return Measure(
        code=code,
        title=title,
        summary="Eine kurze Beschreibung für die Facetten im Test.",
        implementation=["Umsetzen"],
        effects="Bessere Versorgung.",
        target_groups=groups,
        spatial_levels=levels,
        project_types=["organisatorisch"],
        field=field,
    )


@pytest.fixture(scope="module")
def catalogue_index() -> SearchIndex:
    catalogue = Catalogue(
        measures={
            "W 001": _measure("W 001", "Wohnen im Alter", "wohnen", ["Ältere"], ["kommunal"]),
            "W 002": _measure(
                "W 002", "Wohnungstausch", "wohnen", ["Familien", "Ältere"], ["regional"]
            ),
            "G 001": _measure(
                "G 001", "Gemeindeschwester für Ältere", "gesundheit", ["Ältere"], ["kommunal"]
            ),
            "D 001": _measure(
                "D 001", "Coworking-Space im Dorf", "digital", ["Pendler"], ["kommunal"]
            ),
        },
        projects={
            "wohnen-projekt": Project(
                id="wohnen-projekt",
                title="Wohnen im Dorf",
                regions=["Landkreis Beispiel"],
                goals=["Versorgung Älterer sichern"],
                fields=["wohnen"],
                sources=["https://example.org"],
            )
        },
    )
    return SearchIndex.from_catalogue(catalogue)


def test_facet_counts_and_filters(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search("Versorgung")
    assert result.total == 5  # every measure's effects and the project's goals
    assert result.facets["kind"] == {"measure": 4, "project": 1}
    assert result.facets["field"] == {"wohnen": 3, "digital": 1, "gesundheit": 1}
    assert result.facets["target_group"] == {"Ältere": 3, "Familien": 1, "Pendler": 1}
    assert result.facets["spatial_level"] == {"kommunal": 3, "regional": 1}
    assert result.facets["project_type"] == {"organisatorisch": 4}

    filtered = catalogue_index.search(
        "Versorgung", filters={"field": ["wohnen"], "target_group": "ältere"}
    )
    assert {hit.key for hit in filtered.hits} == {"W 001", "W 002"}
    assert filtered.facets["kind"] == {"measure": 2}
    projects = catalogue_index.search("Wohnen", filters={"kind": "project"})
    assert [hit.key for hit in projects.hits] == ["wohnen-projekt"]
    assert projects.hits[0].kind == "project"
    none = catalogue_index.search("Gemeindeschwester", filters={"field": ["digital"]})
    assert none.hits == []
    assert none.message is not None
    assert "mit den gewählten Filtern" in none.message
    with pytest.raises(CatalogueError, match="Unbekannte Facette"):
        catalogue_index.search("Wohnen", filters={"farbe": "blau"})


@pytest.mark.parametrize(
    ("facet", "value"),
    [("field", "housing"), ("kind", "foo"), ("spatial_level", "bund"), ("target_group", "Kinder")],
)
def test_unknown_facet_values_are_errors(
    catalogue_index: SearchIndex, facet: str, value: str
) -> None:
    with pytest.raises(CatalogueError, match=f"Unbekannter Wert '{value}' für die Facette") as err:
        catalogue_index.search("Wohnen", filters={facet: [value]})
    assert "möglich:" in str(err.value)
    if facet == "field":
        assert "digital, gesundheit, wohnen" in str(err.value)
    # a known value next to the unknown one does not hide it
    with pytest.raises(CatalogueError, match=value):
        catalogue_index.search(
            "Wohnen", filters={facet: [*catalogue_index.facet_values[facet][:1], value]}
        )


def test_target_group_filter_matches_contained_word_sequences() -> None:
    measures = {
        "A 001": _measure(
            "A 001", "Bürgerbus", "mobilitaet", ["Ältere Menschen ohne Pkw"], ["kommunal"]
        ),
        "B 001": _measure("B 001", "Bürgerbus", "mobilitaet", ["Ältere Menschen"], ["kommunal"]),
        "C 001": _measure("C 001", "Bürgerbus", "mobilitaet", ["Jüngere Menschen"], ["kommunal"]),
        "D 001": _measure("D 001", "Bürgerbus", "mobilitaet", ["Älteremenschen"], ["kommunal"]),
    }
    index = SearchIndex.from_catalogue(Catalogue(measures=measures, projects={}))
    keys = {
        hit.key
        for hit in index.search("Bürgerbus", filters={"target_group": "ältere menschen"}).hits
    }
    assert keys == {"A 001", "B 001"}
    keys = {hit.key for hit in index.search("Bürgerbus", filters={"target_group": "Menschen"}).hits}
    assert keys == {"A 001", "B 001", "C 001"}
    # not a prefix of a word: "Ältere Mensch" selects nothing and is an error
    with pytest.raises(CatalogueError, match="Ältere Mensch"):
        index.search("Bürgerbus", filters={"target_group": "Ältere Mensch"})
    # other facets compare whole values
    with pytest.raises(CatalogueError, match="kommun"):
        index.search("Bürgerbus", filters={"spatial_level": "kommun"})


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_gives_a_message(catalogue_index: SearchIndex, query: str) -> None:
    result = catalogue_index.search(query)
    assert result.hits == []
    assert result.message is not None
    assert "Suchbegriff" in result.message
    assert result.facets["kind"] == {"measure": 4, "project": 1}  # browse counts


def test_stopwords_only(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search("und die der ?!")
    assert result.hits == []
    assert result.message is not None
    assert "Füllwörter" in result.message


def test_english_queries(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search("housing for the elderly")
    assert result.hits == []
    assert result.unknown == ("housing", "elderly")
    assert result.message is not None
    assert "„housing“, „elderly“ kommen im Katalog nicht vor" in result.message
    assert "allgemeinere Begriffe" in result.message
    coworking = catalogue_index.search("coworking space in the village")
    assert [hit.key for hit in coworking.hits] == ["D 001"]
    assert coworking.unknown == ("village",)
    assert coworking.message is None


def test_no_hits_message_for_german_words_is_neutral(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search("Quarkbällchen")
    assert result.hits == []
    assert result.message is not None
    assert "das Wort „Quarkbällchen“ kommt im Katalog nicht vor" in result.message
    assert "deutsche" not in result.message
    assert "housing" not in result.message


def test_limit_and_tie_order(catalogue_index: SearchIndex) -> None:
    result = catalogue_index.search("Ältere", limit=2)
    assert len(result.hits) == 2
    assert result.total >= 3
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
