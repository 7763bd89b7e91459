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
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from regiowerk.catalogue.schema import FIELDS, PROJECT_TYPES, SPATIAL_LEVELS, Measure
from regiowerk.catalogue.search import SearchIndex, measure_document

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
    args = parser.parse_args()

    started = time.perf_counter()
    measures = synthetic(args.entries, args.seed)
    print(
        f"{len(measures):,} synthetic measures generated in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    index = SearchIndex.build([measure_document(measure) for measure in measures])
    build = time.perf_counter() - started
    split = sum(1 for word in index.analyzer.frequency if index.analyzer.split(word))
    print(
        f"index built in {build:.2f} s (target ≤ 30 s): {len(index.terms):,} terms, "
        f"{index.weights.nnz:,} non-zero weights, {split:,} of "
        f"{len(index.analyzer.frequency):,} words split as compounds"
    )

    latencies = []
    empty = 0
    for query in queries(args.queries, args.seed):
        started = time.perf_counter()
        result = index.search(query, limit=10)
        latencies.append(time.perf_counter() - started)
        empty += not result.hits
    milliseconds = np.asarray(latencies) * 1000
    p50, p95 = np.percentile(milliseconds, [50, 95])
    print(
        f"{len(latencies):,} queries: latency p50 {p50:.2f} ms, p95 {p95:.2f} ms "
        f"(target p95 ≤ 50 ms), max {milliseconds.max():.2f} ms; {empty} without hits"
    )
    ok = build <= 30 and p95 <= 50
    print("targets met" if ok else "TARGETS MISSED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
