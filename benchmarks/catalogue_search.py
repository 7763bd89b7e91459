"""Benchmark: German catalogue search (BM25, stemming, compound splitting) on 10,000 entries.

Issue 8 targets: index build ≤ 30 s and query latency ≤ 50 ms at the 95th percentile.

    python benchmarks/catalogue_search.py [--entries N] [--queries Q] [--seed S]

Synthetic entries (fixed seed): valid :class:`~regiowerk.catalogue.schema.Measure` records whose
texts are drawn from a vocabulary of about 120 German planning nouns, adjectives and verbs,
with compounds formed from two nouns (with a linking ``-s-`` where German uses one, e.g.
"Gesundheitsversorgung"), so the compound splitter and the stemmer do real work. Titles have
3–6 words, summaries 15–30, the other fields together about 60–120 words. Queries have 1–3
words drawn from the same vocabulary (compounds, inflected forms and, in 5 % of queries, an
English word). Build time covers analysis, compound splitting and the BM25 matrix; query
latency is measured per call of :meth:`~regiowerk.catalogue.search.SearchIndex.search` with
10 hits and the facet counts.

Hybrid ranking (BM25 + sentence embeddings, reciprocal rank fusion; see
:mod:`regiowerk.catalogue.semantic`): the build also embeds every entry's title and summary,
measured twice: cold (empty embedding cache, every text embedded) and warm (the ``.npz``
cache written by the cold build, keyed by text hash, as a workspace would keep it next to its
catalogue). Query latency includes embedding the query. ``--no-semantic`` skips this part.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from regiowerk.catalogue.schema import FIELDS, PROJECT_TYPES, SPATIAL_LEVELS, Measure
from regiowerk.catalogue.search import Document, SearchIndex, measure_document

NOUNS = [
    "wohnraum",
    "versorgung",
    "gesundheit",
    "pflege",
    "dorf",
    "laden",
    "arzt",
    "praxis",
    "schule",
    "kita",
    "bus",
    "bahn",
    "bürger",
    "gemeinde",
    "region",
    "kreis",
    "verwaltung",
    "netzwerk",
    "bündnis",
    "fachkraft",
    "unternehmen",
    "handwerk",
    "markt",
    "zentrum",
    "platz",
    "haus",
    "wohnung",
    "bestand",
    "neubau",
    "quartier",
    "nachbarschaft",
    "jugend",
    "senioren",
    "familie",
    "mobilität",
    "verkehr",
    "radweg",
    "strasse",
    "daten",
    "dienst",
    "portal",
    "beratung",
    "förderung",
    "planung",
    "konzept",
    "strategie",
    "kooperation",
    "verein",
    "ehrenamt",
    "kultur",
    "bildung",
    "betreuung",
    "ausbildung",
    "arbeit",
    "stelle",
    "energie",
    "wärme",
    "klima",
    "flächen",
    "innenentwicklung",
    "leerstand",
    "umbau",
    "sanierung",
    "miete",
    "eigentum",
    "genossenschaft",
    "stiftung",
    "land",
    "stadt",
    "ort",
    "kern",
    "treff",
    "café",
    "küche",
    "garten",
    "sport",
    "halle",
]
LINKED = {"gesundheit", "wohnung", "arbeit", "verwaltung", "förderung", "planung", "beratung"}
ADJECTIVES = [
    "regional",
    "kommunal",
    "ländlich",
    "digital",
    "gemeinsam",
    "barrierefrei",
    "bezahlbar",
    "klein",
    "mobil",
    "neu",
    "nachhaltig",
    "sozial",
    "öffentlich",
    "privat",
    "lokal",
]
VERBS = [
    "stärken",
    "sichern",
    "aufbauen",
    "fördern",
    "entwickeln",
    "beraten",
    "vernetzen",
    "gestalten",
    "erhalten",
    "verbessern",
    "organisieren",
    "begleiten",
    "unterstützen",
]
FILLERS = [
    "und",
    "für",
    "die",
    "der",
    "das",
    "im",
    "mit",
    "zur",
    "zum",
    "den",
    "von",
    "auf",
    "in",
    "eine",
    "einen",
]
ENDINGS = ("", "", "", "en", "e", "n", "s", "es")
ENGLISH = ("housing", "health", "coworking", "village", "shop", "carsharing")


def _compound(rng: random.Random) -> str:
    first, second = rng.sample(NOUNS, 2)
    link = "s" if first in LINKED else ""
    return f"{first.capitalize()}{link}{second}"


def _word(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.35:
        return rng.choice(NOUNS).capitalize() + rng.choice(ENDINGS)
    if draw < 0.55:
        return _compound(rng)
    if draw < 0.70:
        return rng.choice(ADJECTIVES) + rng.choice(("e", "en", "er", "es", ""))
    if draw < 0.80:
        return rng.choice(VERBS)
    return rng.choice(FILLERS)


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(_word(rng) for _ in range(rng.randint(low, high)))


def synthetic(entries: int, seed: int) -> list[Measure]:
    """``entries`` valid measures with synthetic German-ish text (see the module docstring)."""
    rng = random.Random(seed)
    letters = [chr(ord("A") + index) for index in range(26)]
    fields = list(FIELDS)
    groups = ["Ältere", "Familien", "Jugendliche", "Unternehmen", "Kommunen", "Ehrenamtliche"]
    measures = []
    for index in range(entries):
        prefix = letters[(index // 1000) % 26] + letters[index // 26000]
        measures.append(
            Measure(
                code=f"{prefix} {index % 1000:03d}",
                title=_text(rng, 3, 6),
                summary=_text(rng, 15, 30),
                preparation=[_text(rng, 5, 12) for _ in range(2)],
                implementation=[_text(rng, 5, 12) for _ in range(3)],
                effects=_text(rng, 10, 25),
                strategies=[_text(rng, 3, 8)],
                target_groups=rng.sample(groups, rng.randint(1, 2)),
                spatial_levels=rng.sample(SPATIAL_LEVELS, rng.randint(1, 2)),
                project_types=rng.sample(PROJECT_TYPES, rng.randint(1, 2)),
                field=rng.choice(fields),
                sponsors=[_text(rng, 2, 4)],
                partners=[_text(rng, 2, 4)],
            )
        )
    return measures


def queries(count: int, seed: int) -> list[str]:
    """Random queries of 1–3 words (5 % with an English word)."""
    rng = random.Random(seed + 1)
    result = []
    for _ in range(count):
        found = [_word(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.05:
            found.append(rng.choice(ENGLISH))
        result.append(" ".join(found))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-semantic", action="store_true", help="only BM25")
    args = parser.parse_args()

    started = time.perf_counter()
    measures = synthetic(args.entries, args.seed)
    print(
        f"{len(measures):,} synthetic measures generated in {time.perf_counter() - started:.1f} s"
    )

    documents = [measure_document(measure) for measure in measures]
    started = time.perf_counter()
    index = SearchIndex.build(documents)
    build = time.perf_counter() - started
    split = sum(1 for word in index.analyzer.frequency if index.analyzer.split(word))
    print(
        f"index built in {build:.2f} s (target ≤ 30 s): {len(index.terms):,} terms, "
        f"{index.weights.nnz:,} non-zero weights, {split:,} of "
        f"{len(index.analyzer.frequency):,} words split as compounds"
    )

    texts = queries(args.queries, args.seed)
    p95 = _latency(index, texts, "bm25")
    ok = build <= 30 and p95 <= 50
    print("BM25 targets met" if ok else "BM25 TARGETS MISSED")
    if not args.no_semantic:
        ok = _hybrid(documents, texts) and ok
    raise SystemExit(0 if ok else 1)


def _latency(index: SearchIndex, texts: list[str], method: str) -> float:
    """Print the latency percentiles of ``method`` over ``texts``; return the p95 in ms."""
    latencies = []
    empty = 0
    for query in texts:
        started = time.perf_counter()
        result = index.search(query, limit=10, method=method)  # type: ignore[arg-type]
        latencies.append(time.perf_counter() - started)
        empty += not result.hits
    milliseconds = np.asarray(latencies) * 1000
    p50, p95 = np.percentile(milliseconds, [50, 95])
    print(
        f"{len(latencies):,} {method} queries: latency p50 {p50:.2f} ms, p95 {p95:.2f} ms "
        f"(target p95 ≤ 50 ms), max {milliseconds.max():.2f} ms; {empty} without hits"
    )
    return float(p95)


def _hybrid(documents: list[Document], texts: list[str]) -> bool:
    """Build the hybrid index cold and with a warm embedding cache; time hybrid queries."""
    from regiowerk.catalogue.semantic import encoder

    started = time.perf_counter()
    encoder().encode(["Modell laden"])
    print(f"sentence encoder loaded in {time.perf_counter() - started:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "embeddings.npz"
        started = time.perf_counter()
        SearchIndex.build(documents, semantic=True, embedding_cache=cache)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        index = SearchIndex.build(documents, semantic=True, embedding_cache=cache)
        warm = time.perf_counter() - started
        size = cache.stat().st_size / 1e6
    print(
        f"hybrid index built in {cold:.2f} s with every text embedded (cold), "
        f"{warm:.2f} s with the embedding cache ({size:.1f} MB .npz) (target ≤ 30 s)"
    )
    p95 = _latency(index, texts, "hybrid")
    ok = warm <= 30 and p95 <= 50
    verdict = "met" if cold <= 30 else "MISSED (cold build)"
    print(f"hybrid targets {'met' if ok else 'MISSED'} with the cache; without the cache {verdict}")
    return ok


if __name__ == "__main__":
    main()
