"""Ranking quality of the catalogue search on the judged query set (issue 8, item 4)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from regiowerk.catalogue import search
from regiowerk.catalogue.store import Catalogue

ROOT = Path(__file__).resolve().parents[2]
QUERIES = Path(__file__).with_name("search_queries.yaml")

# Measured with tools/search_eval.py on the 79 queries (catalogue of 48 measures, 5 projects):
#   (a) BM25 + stemming + compound splitting  nDCG@10 0.816  MRR 0.886
#   (b) BM25 without compound splitting       nDCG@10 0.740  MRR 0.822
#   (c) BM25 without stemming                 nDCG@10 0.718  MRR 0.809
#   (d) word overlap in title/summary         nDCG@10 0.549  MRR 0.669
#   (e) sentence embeddings (USE mult. v3)    nDCG@10 0.524  MRR 0.633
#   (f) hybrid: RRF of (a) and (e), k = 60    nDCG@10 0.841  MRR 0.920
# The floors below leave a small margin for harmless changes to texts or tie-breaking.
BM25_NDCG_FLOOR = 0.80
BM25_MRR_FLOOR = 0.87
HYBRID_NDCG_FLOOR = 0.83
HYBRID_MRR_FLOOR = 0.905


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("search_eval", ROOT / "tools" / "search_eval.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("search_eval", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def search_eval() -> ModuleType:
    return _eval_module()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.fixture(scope="module")
def results(search_eval: ModuleType, catalogue: Catalogue) -> dict:
    return search_eval.evaluate(search_eval.load_queries(QUERIES), catalogue)


def test_query_file_structure(catalogue: Catalogue) -> None:
    entries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["queries"]
    assert len(entries) >= 50
    texts = [entry["query"] for entry in entries]
    assert len(set(texts)) == len(texts), "doppelte Anfragen"
    keys = set(catalogue.measures) | set(catalogue.projects)
    for entry in entries:
        assert isinstance(entry["query"], str)
        assert entry["query"].strip()
        relevant = entry["relevant"]
        assert relevant, entry["query"]
        assert set(relevant) <= keys, (entry["query"], set(relevant) - keys)
        assert set(relevant.values()) <= {1, 2}, entry["query"]
        assert 2 in relevant.values(), f"{entry['query']!r} hat keinen Eintrag mit Relevanz 2"


def test_ndcg_and_reciprocal_rank_by_hand(search_eval: ModuleType) -> None:
    relevant = {"A": 2, "B": 1, "C": 1}
    # Ranking X, B, A: DCG = 0 + 1 / log2(3) + 3 / log2(4); ideal A, B, C: 3 + 1 / log2(3) + 1 / 2.
    expected = (1 / math.log2(3) + 3 / 2) / (3 + 1 / math.log2(3) + 1 / 2)
    assert search_eval.ndcg(["X", "B", "A"], relevant) == pytest.approx(expected, rel=1e-12)
    assert search_eval.ndcg(["A", "B", "C"], relevant) == pytest.approx(1.0)
    assert search_eval.ndcg([], relevant) == 0.0
    # Only the first ten ranks count.
    assert search_eval.ndcg([*"QRSTUVWXYZ", "A"], relevant) == 0.0
    assert search_eval.reciprocal_rank(["X", "Y", "B", "A"], relevant) == pytest.approx(1 / 3)
    assert search_eval.reciprocal_rank(["X"], relevant) == 0.0


def test_ablation_analyzers_switch_off_one_step(search_eval: ModuleType) -> None:
    vocabulary = {"dorf": 3, "laden": 2, "dorfladen": 1, "wohnungen": 1}
    full = search.Analyzer(vocabulary)
    no_split = search_eval.NoSplitAnalyzer(vocabulary)
    no_stem = search_eval.NoStemAnalyzer(vocabulary)
    assert full.split("dorfladen") == ("dorf", "laden")
    assert no_split.terms("dorfladen") == (no_split.stem("dorfladen"),)
    assert no_stem.terms("wohnungen") == ("wohnungen",)
    assert no_stem.terms("dorfladen") == ("dorfladen", "dorf", "laden")
    assert full.stem("wohnungen") != "wohnungen"


def test_variant_index_leaves_the_shipped_analyzer_in_place(
    search_eval: ModuleType, catalogue: Catalogue
) -> None:
    original = search.Analyzer
    variant = search.SearchIndex.from_catalogue(catalogue, analyzer=search_eval.NoSplitAnalyzer)
    assert type(variant.analyzer) is search_eval.NoSplitAnalyzer
    search_eval.bm25_ranker(catalogue, search_eval.NoSplitAnalyzer)
    assert search.Analyzer is original
    assert type(search.SearchIndex.from_catalogue(catalogue).analyzer) is search.Analyzer


def test_bm25_reaches_the_measured_quality(results: dict) -> None:
    bm25 = results["bm25"]
    assert bm25.ndcg >= BM25_NDCG_FLOOR
    assert bm25.mrr >= BM25_MRR_FLOOR


def test_bm25_beats_the_word_overlap_baseline(results: dict) -> None:
    assert results["bm25"].ndcg > results["overlap"].ndcg
    assert results["bm25"].mrr > results["overlap"].mrr


def test_hybrid_reaches_the_measured_quality_and_beats_bm25(results: dict) -> None:
    hybrid, bm25 = results["hybrid"], results["bm25"]
    assert hybrid.ndcg >= HYBRID_NDCG_FLOOR
    assert hybrid.mrr >= HYBRID_MRR_FLOOR
    assert hybrid.ndcg > bm25.ndcg
    assert hybrid.mrr > bm25.mrr
    # Embeddings alone are weaker than BM25 on these (mostly short, keyword-like) queries.
    assert results["semantic"].ndcg < bm25.ndcg


def test_stemming_and_compound_splitting_each_help(results: dict) -> None:
    for variant in ("bm25-no-split", "bm25-no-stem"):
        assert results["bm25"].ndcg > results[variant].ndcg, variant


def test_main_prints_the_table(search_eval: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert search_eval.main(["--queries", str(QUERIES), "--worst", "5"]) == 0
    out = capsys.readouterr().out
    assert "nDCG@10" in out
    assert "MRR" in out
    assert out.count("nDCG 0.") + out.count("nDCG 1.") == 5
    for label in ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)"):
        assert label in out
