"""German full-text search over the catalogue: BM25 with stemming, compound splitting, facets.

Ranking (BM25, Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and
Beyond", with field weights as in their simple BM25F)::

    score(D, Q) = Σ_{t ∈ Q} IDF(t) · tf(t, D) · (k1 + 1) / (tf(t, D) + K(D))
    K(D)      = k1 · (1 − b + b · dl(D) / avgdl)

    tf(t, D)  = Σ_f w_f · tf_f(t, D)        field-weighted term frequency
    dl(D)     = Σ_t tf(t, D)                 field-weighted document length (in index terms)
    avgdl     = mean of dl over the indexed documents
    IDF(t)    = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))

with k1 = 1.2, b = 0.75, N documents, n(t) documents containing t; the ``1 +`` inside the
logarithm (as in Lucene) keeps IDF positive for terms in more than half of the documents.
Field weights ``w_f``: title 3, summary (short description; a project's goals and results) 2,
all other text fields 1. Each distinct query term counts once. Since a term's contribution does
not depend on the rest of the query, the index stores the contribution of every (document,
term) pair in a sparse matrix (:mod:`scipy.sparse`); a query sums a few of its columns.

Analysis (the same for documents and queries)
    1. Normalisation: lower case, ``ß`` → ``ss``, umlauts and other accents folded to the base
       letter (``ä`` → ``a``; Unicode NFKD without combining marks), so "Maßnahme" and
       "Massnahme" meet ("Aerzte" and "Ärzte" meet through the stemmer, which reads ``ae``,
       ``oe``, ``ue`` between consonants as umlauts).
    2. Tokens: runs of letters and digits; tokens shorter than 2 characters and German (plus a
       few English) stopwords are dropped.
    3. Compound splitting (dictionary-based, after Koehn & Knight 2003, "Empirical Methods for
       Compound Splitting"): the dictionary is the index vocabulary, i.e. every token seen as
       a word of its own in the indexed texts, plus the Snowball stems of those tokens. A word
       is split into two or more parts of at least 3 characters, each of them in the
       dictionary and none of them a stopword or the suffix-like "innen"; between parts a
       linking element ``-s-``, ``-es-``, ``-n-`` or ``-en-`` may be dropped
       ("Gesundheitsversorgung" → "gesundheit" + "versorgung"), and the last part may carry
       an inflection ending (``-e``, ``-en``, ``-n``, ``-s``, ``-er``, ``-ern``, ``-es``).
       Among the possible splits the one with the fewest parts wins, ties going to the highest
       geometric mean of the parts' corpus frequencies (Koehn & Knight), then to whole words
       over bare stems ("familie" rather than "famili" in "Familienzentrum"). The word is
       indexed with its parts (the compound itself is kept), so "Laden" finds "Dorfladen" and
       "Wohnraumversorgung" finds texts that speak of "Wohnraum" and "Versorgung". Queries
       are split with the same dictionary.
       Partial splits: a word with no such split is cut into two parts of at least 4 letters
       when one of them occurs as a word of its own: a known head with any modifier
       ("Glasfaserausbaus" → "glasfaser" + "ausbaus", so "Glasfaser" finds the text) or,
       failing that, a known modifier with any head ("Fachkräftemangel" → "fachkrafte" +
       "mangel", so the query finds texts on "Fachkräfte"); see :meth:`Analyzer.split` on
       the guards against derived words ("Landschaft", "Alternativen"). The last part is
       indexed in its dictionary form ("ausbaus" → "ausbau"; Snowball keeps the ``-s``).
       Known limits: no elided ``-e`` ("Schulweg" from "Schule"), no elided compounds
       ("Breitband- und Glasfaserausbau" does not index "Breitbandausbau"), false splits of
       derived words ("teilnehmen" → "teil" + "nehmen", "Vereinbarung" → "verein" +
       "barung") and of compounds whose head is missing but ends in a short known word
       ("Pflegenotstand" → "pflegenot" + "stand"), which cost some precision only, since the
       whole word stays indexed.
    4. Stemming: Snowball German (``snowballstemmer``) on every word and part.

Queries that are empty or consist of stopwords only give an empty result with a German
message, not an error; queries in other languages (e.g. English) are analysed the same way and
match where their tokens occur in the texts ("Coworking", "Carsharing").

Methods: ``search(..., method=...)`` ranks by ``"bm25"`` (above; the default), ``"semantic"``
(cosine of multilingual sentence embeddings) or ``"hybrid"`` (reciprocal rank fusion of both);
the last two need an index built with ``semantic=True`` and are described in
:mod:`regiowerk.catalogue.semantic`. Filters, facets and messages are the same for all three.

Facets: ``kind`` (``measure``/``project``), ``field``, ``target_group``, ``spatial_level`` and
``project_type``. Filters select values per facet (any of the values within a facet, all
facets together); values are compared after normalisation, and a ``target_group`` value also
selects the free-text target groups that contain it as a word sequence ("Ältere Menschen"
selects "Ältere Menschen ohne Pkw"). A filter value that selects nothing is an error naming
the allowed values. The result counts, per facet and value, the matching documents.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import snowballstemmer
from scipy import sparse

from regiowerk.catalogue.schema import Measure, Project
from regiowerk.catalogue.store import Catalogue, CatalogueError

if TYPE_CHECKING:
    from regiowerk.catalogue.semantic import SemanticIndex

Method = Literal["bm25", "semantic", "hybrid"]
METHODS: tuple[Method, ...] = ("bm25", "semantic", "hybrid")
"""Ranking methods of :meth:`SearchIndex.search`."""
K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 3.0, "summary": 2.0, "other": 1.0}
"""Weights ``w_f`` of the indexed fields (see the module docstring)."""
FACETS = ("kind", "field", "target_group", "spatial_level", "project_type")
LINKS = ("es", "en", "s", "n")
"""Linking elements (Fugenelemente) that may stand between the parts of a compound."""
ENDINGS = ("ern", "en", "er", "es", "e", "n", "s")
"""Inflection endings the last part of a compound may carry."""
MIN_PART = 3
NOT_PARTS = frozenset({"innen"})
"""Words that are also suffixes and never count as a part ("Schülerinnen" is no compound)."""
MIN_PARTIAL = 4
"""Smallest length of both parts of a partial split (one part outside the dictionary)."""
MODIFIER_LINKS = ("es", "en", "er", "s", "n")
"""Linking elements that may end the modifier of a partial split ("Kinder-", "Landes-")."""
SUFFIX_STARTS = (
    "schaft",
    "lich",
    "keit",
    "heit",
    "isch",
    "ismus",
    "ung",
    "haft",
    "erin",
    "igung",
    "igkeit",
)
"""Derivational suffixes: a remainder starting with one of them is no compound part."""
SUFFIX_WORDS = frozenset(
    [
        "ende",
        "enden",
        "ender",
        "endes",
        "chen",
        "lein",
        "bar",
        "bare",
        "baren",
        "sam",
        "los",
        "lose",
        "losen",
        "loser",
        "ige",
        "igen",
        "iger",
        "eren",
        "ieren",
    ]
)
"""Remainders that are suffixes or endings rather than words ("Studierende", "kostenlos")."""

_GERMAN_STOPWORDS = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
anderm andern anders auch auf aus bei beim bin bis bist da damit dann das dass dasselbe dazu
dein deine deinem deinen deiner deines dem demselben den denn denselben der derer derselbe
derselben des desselben dessen dich die dies diese dieselbe dieselben diesem diesen dieser
dieses dir doch dort du durch ein eine einem einen einer eines einig einige einigem einigen
einiger einiges einmal er es etwas euch euer eure eurem euren eurer eures fur gegen gewesen hab
habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres
im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein
keine keinem keinen keiner keines konnen konnte machen man manche manchem manchen mancher
manches mein meine meinem meinen meiner meines mich mir mit muss musste nach nicht nichts noch
nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie sind so solche
solchem solchen solcher solches soll sollte sondern sonst uber um und uns unser unsere unserem
unseren unserer unseres unter viel vom von vor wahrend war waren warst was weg weil weiter
welche welchem welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo
wollen wollte wurde wurden zu zum zur zwar zwischen sowie bzw usw etc
"""
_ENGLISH_STOPWORDS = """
the a an and or of to in on for with by from at as is are be been this that these those it its
into how what which who
"""
STOPWORDS = frozenset((_GERMAN_STOPWORDS + _ENGLISH_STOPWORDS).split())
"""Stopwords in normalised spelling (Snowball's German list, a few English words)."""

_TOKEN = re.compile(r"[a-z0-9]+")
_STEMMER = snowballstemmer.stemmer("german")


def _suffix_like(part: str) -> bool:
    """Whether ``part`` is a derivational suffix or ending rather than a word."""
    return part in SUFFIX_WORDS or part in NOT_PARTS or part.startswith(SUFFIX_STARTS)


_VOWELS = frozenset("aeiouy")
_ONSETS = frozenset(
    [
        "bl",
        "br",
        "ch",
        "dr",
        "fl",
        "fr",
        "gl",
        "gn",
        "gr",
        "kl",
        "kn",
        "kr",
        "ph",
        "pf",
        "pl",
        "pr",
        "ps",
        "qu",
        "sc",
        "sk",
        "sl",
        "sm",
        "sn",
        "sp",
        "st",
        "sw",
        "th",
        "tr",
        "ts",
        "wr",
        "zw",
    ]
)
"""Consonant pairs a German (or loan) word may begin with."""


def _plausible_onset(part: str) -> bool:
    """Whether ``part`` may begin a word: a vowel, a single consonant or a usual pair."""
    return part[0] in _VOWELS or part[1] in _VOWELS or part[:2] in _ONSETS


def _word_sequence(text: str) -> str:
    """Normalised tokens of ``text`` joined by single spaces (stopwords kept)."""
    return " ".join(_TOKEN.findall(normalise(text)))


def _facet_match(facet: str, wanted: str, value: str) -> bool:
    """Whether the filter value ``wanted`` selects the facet value ``value``: equal after
    normalisation, or for ``target_group`` contained in it as a word sequence."""
    wanted_words, value_words = _word_sequence(wanted), _word_sequence(value)
    if not wanted_words:
        return False
    if facet == "target_group":
        return f" {wanted_words} " in f" {value_words} "
    return wanted_words == value_words


def normalise(text: str) -> str:
    """Lower case, ``ß`` → ``ss``, accents and umlauts folded: ``"Straße Ärzte"`` →
    ``"strasse arzte"``."""
    text = text.lower().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """Normalised tokens of ``text`` without stopwords and one-character tokens."""
    return [
        token
        for token in _TOKEN.findall(normalise(text))
        if len(token) > 1 and token not in STOPWORDS
    ]


class Analyzer:
    """Turns normalised words into index terms: Snowball stems of the word and its parts.

    ``vocabulary`` (word → frequency) is the splitter's dictionary (see the module
    docstring); results are cached per word.
    """

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self.frequency: dict[str, int] = {
            word: count
            for word, count in vocabulary.items()
            if len(word) >= MIN_PART and not word.isdigit()
        }
        self._stems: dict[str, str] = {}
        self._stem_frequency: dict[str, int] = {}
        for word, count in self.frequency.items():
            stem = self.stem(word)
            if len(stem) >= MIN_PART:
                self._stem_frequency[stem] = self._stem_frequency.get(stem, 0) + count
        self._splits: dict[str, tuple[str, ...] | None] = {}
        self._terms: dict[str, tuple[str, ...]] = {}

    def stem(self, word: str) -> str:
        """Snowball German stem of a normalised word (cached)."""
        stem = self._stems.get(word)
        if stem is None:
            stem = normalise(_STEMMER.stemWord(word))
            self._stems[word] = stem
        return stem

    def _known(self, part: str) -> int:
        """Corpus frequency of ``part`` as a word or a stem (0: not in the dictionary)."""
        if part in STOPWORDS or part in NOT_PARTS:
            return 0
        return self.frequency.get(part, 0) or self._stem_frequency.get(part, 0)

    def _known_last(self, part: str) -> int:
        """Like :meth:`_known`, also with an inflection ending removed."""
        if part in STOPWORDS or part in NOT_PARTS:
            return 0
        found = self._known(part)
        if found:
            return found
        for ending in ENDINGS:
            if part.endswith(ending) and len(part) - len(ending) >= MIN_PART:
                found = self._known(part[: -len(ending)])
                if found:
                    return found
        return 0

    def split(self, word: str) -> tuple[str, ...]:
        """The parts of a compound (``()`` when ``word`` is not split), e.g. ``"dorfladen"`` →
        ``("dorf", "laden")`` when both parts are in the dictionary; failing a split into
        known parts, a partial split into two parts one of which is known (see
        :meth:`_partial_split` for its rules and guards)."""
        best = self._split(word)
        if best:
            return best[0]
        return self._partial_split(word) or ()

    def _split(self, word: str) -> tuple[tuple[str, ...], float] | None:
        """Best split of ``word`` into ≥ 2 parts with its log-frequency sum, or None."""
        if word in self._splits:
            cached = self._splits[word]
            return (cached, self._log_score(cached)) if cached else None
        best: tuple[int, float, int, tuple[str, ...]] | None = None
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head, rest = word[:cut], word[cut:]
            heads = [head] if self._known(head) else []
            for link in LINKS:
                if head.endswith(link) and cut - len(link) >= MIN_PART:
                    stripped = head[: -len(link)]
                    if self._known(stripped):
                        heads.append(stripped)
            if not heads:
                continue
            tails: list[tuple[str, ...]] = []
            if self._known_last(rest):
                tails.append((rest,))
            inner = self._split(rest)
            if inner:
                tails.append(inner[0])
            for first in heads:
                for tail in tails:
                    parts = (first, *tail)
                    length = sum(len(part) for part in parts)  # prefer words to stems
                    key = (len(parts), -self._log_score(parts) / len(parts), -length, parts)
                    if best is None or key < best:
                        best = key
        result = best[3] if best else None
        self._splits[word] = result
        return (result, self._log_score(result)) if result else None

    def _known_word(self, part: str) -> bool:
        """Whether ``part`` occurs as a word of its own (not only as a stem), possibly with an
        inflection ending."""
        if part in STOPWORDS or part in NOT_PARTS:
            return False
        if part in self.frequency:
            return True
        return any(
            part.endswith(ending)
            and len(part) - len(ending) >= MIN_PART
            and part[: -len(ending)] in self.frequency
            for ending in ENDINGS
        )

    def _partial_split(self, word: str) -> tuple[str, str] | None:
        """Modifier and head of a compound one of whose two parts is not in the dictionary.

        Only the other part must occur as a word of its own (a bare stem is not enough), and
        both parts have at least :data:`MIN_PARTIAL` letters. Preferred: the longest known
        head (last part, possibly inflected) with any modifier ("glasfaser" + "ausbaus");
        else the longest known modifier with any head ("fachkrafte" + "mangel"). A linking
        element at the end of a known modifier is dropped ("landes" → "land"; ``-n`` only
        after a vowel, the others only after a consonant). Among splits with equally long
        known modifiers, heads that begin with a known word win, then dropped linking
        elements ("land" + "mangel" rather than "land" + "esmangel"). Not split:
        inflected forms of a known word ("alternativen"), remainders that are derivational
        suffixes or endings ("-schaft", "-lich", "-erin", …) or stopwords, and unknown heads
        that begin with a consonant pair no German word begins with ("weite" + "rfuhrende"),
        and known modifiers shorter than a stopword the word begins with ("weiter…").
        """
        if any(
            word.endswith(ending) and word[: -len(ending)] in self.frequency for ending in ENDINGS
        ):
            return None
        best: tuple[int, int, int, int, tuple[str, str]] | None = None
        for cut in range(MIN_PARTIAL, len(word) - MIN_PARTIAL + 1):
            modifier, head = word[:cut], word[cut:]
            if _suffix_like(head) or modifier in STOPWORDS or modifier in NOT_PARTS:
                continue
            if self._known_word(head):
                key = (0, -len(head), 0, 0, (modifier, head))
            else:
                known = self._known_modifier(modifier)
                if (
                    known is None
                    or head in STOPWORDS
                    or not _plausible_onset(head)
                    or any(_suffix_like(word[start:]) for start in range(len(known), cut + 1))
                    or any(len(stop) > len(known) and word.startswith(stop) for stop in STOPWORDS)
                ):
                    continue
                prefix = self._known_prefix(head)
                key = (1, -len(known), -prefix, len(known) - len(modifier), (known, head))
            if best is None or key < best:
                best = key
        return best[4] if best else None

    def _known_prefix(self, head: str) -> int:
        """Length of the longest word of ≥ 4 letters in the dictionary that begins ``head``."""
        for length in range(len(head), MIN_PARTIAL - 1, -1):
            if head[:length] in self.frequency:
                return length
        return 0

    def _known_modifier(self, modifier: str) -> str | None:
        """``modifier`` or, without a linking element, its shorter form if that occurs as a
        word of its own (``"landes"`` → ``"land"``); None if neither does."""
        if modifier in self.frequency and modifier not in STOPWORDS:
            return modifier
        for link in MODIFIER_LINKS:
            stripped = modifier[: -len(link)]
            if (
                modifier.endswith(link)
                and len(stripped) >= MIN_PARTIAL
                and (stripped[-1] in _VOWELS) == (link == "n")  # "familie-n", "land-es"
                and stripped in self.frequency
                and stripped not in STOPWORDS
            ):
                return stripped
        return None

    def base_form(self, part: str) -> str:
        """``part`` without an inflection ending if only the shorter form is in the
        dictionary (``"ausbaus"`` → ``"ausbau"``), else ``part``."""
        if self._known(part):
            return part
        for ending in ENDINGS:
            stripped = part[: -len(ending)]
            if part.endswith(ending) and len(stripped) >= MIN_PART and self._known(stripped):
                return stripped
        return part

    def _log_score(self, parts: Sequence[str]) -> float:
        """Σ ln(frequency) of the parts (the geometric mean's logarithm times their number)."""
        return sum(math.log(max(self._known_last(part), 1)) for part in parts)

    def terms(self, word: str) -> tuple[str, ...]:
        """Index terms of a normalised word: its stem, then the stems of its parts."""
        terms = self._terms.get(word)
        if terms is None:
            found = [self.stem(word)]
            parts = self.split(word)
            for position, part in enumerate(parts):
                if position == len(parts) - 1:
                    part = self.base_form(part)  # Snowball keeps "ausbaus"
                stem = self.stem(part)
                if stem not in found:
                    found.append(stem)
            terms = tuple(found)
            self._terms[word] = terms
        return terms


@dataclass(frozen=True)
class Document:
    """A searchable record: texts per field (``title``, ``summary``, ``other``) and facets."""

    key: str
    kind: str
    title: str
    texts: Mapping[str, str]
    facets: Mapping[str, tuple[str, ...]]


def measure_document(measure: Measure) -> Document:
    """The searchable form of a measure."""
    other = [
        *measure.preparation,
        *measure.implementation,
        measure.effects,
        *measure.strategies,
        *measure.target_groups,
        *measure.sponsors,
        *measure.partners,
        *(trigger.reason for trigger in measure.triggers),
    ]
    return Document(
        key=measure.code,
        kind="measure",
        title=measure.title,
        texts={"title": measure.title, "summary": measure.summary, "other": "\n".join(other)},
        facets={
            "kind": ("measure",),
            "field": (measure.field,),
            "target_group": tuple(measure.target_groups),
            "spatial_level": tuple(measure.spatial_levels),
            "project_type": tuple(measure.project_types),
        },
    )


def project_document(project: Project) -> Document:
    """The searchable form of a reference project (goals and results as its summary)."""
    other = [
        *project.regions,
        project.lead or "",
        *(actor.name for actor in project.partners),
        project.programme or "",
    ]
    return Document(
        key=project.id,
        kind="project",
        title=project.title,
        texts={
            "title": project.title,
            "summary": "\n".join([*project.goals, *project.results]),
            "other": "\n".join(other),
        },
        facets={"kind": ("project",), "field": tuple(project.fields)},
    )


@dataclass(frozen=True)
class Hit:
    """One result: the record's key, kind and title, its score and the matched terms.

    The score is the BM25 score, the cosine (``semantic``) or the fused RRF score
    (``hybrid``); ``matched_terms`` are the query's index terms found in the record (empty
    for a record found by meaning only).
    """

    key: str
    kind: str
    title: str
    score: float
    matched_terms: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    """Hits (best first), the number of matching documents, facet counts and a message.

    ``message`` is a German sentence when there is nothing to show (empty query, only
    stopwords, no match); ``terms`` are the query's index terms, ``unknown`` the query words
    none of whose terms occur in the index.
    """

    query: str
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]
    terms: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    message: str | None = None
    method: Method = "bm25"


AnalyzerFactory = Callable[[Mapping[str, int]], Analyzer]
"""Builds the analyser from the index vocabulary (word → frequency), e.g. :class:`Analyzer`."""


@dataclass
class SearchIndex:
    """BM25 index over catalogue documents (build with :meth:`build` or :meth:`from_catalogue`)."""

    documents: list[Document]
    analyzer: Analyzer
    term_ids: dict[str, int]
    terms: list[str]
    weights: sparse.csc_matrix
    """Documents × terms: each pair's BM25 contribution (see the module docstring)."""
    weights_rows: sparse.csr_matrix
    idf: np.ndarray
    facet_values: dict[str, list[str]] = field(default_factory=dict)
    facet_matrix: dict[str, sparse.csr_matrix] = field(default_factory=dict)
    semantic: SemanticIndex | None = None
    """Document embeddings for the methods ``semantic`` and ``hybrid`` (None: BM25 only)."""
    _key_positions: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_catalogue(
        cls,
        catalogue: Catalogue,
        *,
        analyzer: AnalyzerFactory = Analyzer,
        semantic: bool = False,
        embedding_cache: Path | None = None,
    ) -> SearchIndex:
        """Index all measures and projects of ``catalogue`` (see :meth:`build`)."""
        documents = [measure_document(measure) for measure in catalogue.measures.values()]
        documents += [project_document(project) for project in catalogue.projects.values()]
        return cls.build(
            documents, analyzer=analyzer, semantic=semantic, embedding_cache=embedding_cache
        )

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        *,
        analyzer: AnalyzerFactory = Analyzer,
        field_weights: Mapping[str, float] = FIELD_WEIGHTS,
        k1: float = K1,
        b: float = B,
        semantic: bool = False,
        embedding_cache: Path | None = None,
    ) -> SearchIndex:
        """Analyse ``documents`` and compute the BM25 contributions.

        ``analyzer`` builds the analyser from the vocabulary (a subclass of :class:`Analyzer`
        for ablations). With ``semantic`` the documents are also embedded (methods
        ``semantic`` and ``hybrid``), reusing the vectors in the ``.npz`` file
        ``embedding_cache`` if given.
        """
        documents = list(documents)
        tokens = [
            {name: words(text) for name, text in document.texts.items()} for document in documents
        ]
        vocabulary: Counter[str] = Counter()
        for fields in tokens:
            for field_words in fields.values():
                vocabulary.update(field_words)
        text_analyzer = analyzer(vocabulary)
        term_ids: dict[str, int] = {}
        word_terms: dict[str, list[int]] = {}
        for word in vocabulary:
            word_terms[word] = [
                term_ids.setdefault(term, len(term_ids)) for term in text_analyzer.terms(word)
            ]
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for row, fields in enumerate(tokens):
            for name, field_words in fields.items():
                weight = field_weights.get(name, field_weights.get("other", 1.0))
                for word, count in Counter(field_words).items():
                    ids = word_terms[word]
                    rows.extend([row] * len(ids))
                    cols.extend(ids)
                    values.extend([weight * count] * len(ids))
        shape = (len(documents), len(term_ids))
        tf = sparse.coo_matrix(
            (np.asarray(values, dtype=float), (np.asarray(rows), np.asarray(cols))),
            shape=shape,
        ).tocsr()
        tf.sum_duplicates()
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        containing = np.diff(tf.tocsc().indptr)
        total = len(documents)
        idf = np.log1p((total - containing + 0.5) / (containing + 0.5))
        norms = k1 * (1 - b + b * lengths / average)
        row_of = np.repeat(np.arange(shape[0]), np.diff(tf.indptr))
        data = tf.data * (k1 + 1) / (tf.data + norms[row_of]) * idf[tf.indices]
        contribution = sparse.csr_matrix((data, tf.indices, tf.indptr), shape=shape)
        facet_values: dict[str, list[str]] = {}
        facet_matrix: dict[str, sparse.csr_matrix] = {}
        for facet in FACETS:
            value_ids: dict[str, int] = {}
            f_rows: list[int] = []
            f_cols: list[int] = []
            for row, document in enumerate(documents):
                for value in set(document.facets.get(facet, ())):
                    f_rows.append(row)
                    f_cols.append(value_ids.setdefault(value, len(value_ids)))
            facet_values[facet] = list(value_ids)
            facet_matrix[facet] = sparse.csr_matrix(
                (np.ones(len(f_rows)), (f_rows, f_cols)), shape=(total, len(value_ids))
            )
        embeddings = None
        if semantic:
            from regiowerk.catalogue.semantic import SemanticIndex

            embeddings = SemanticIndex.build(documents, cache=embedding_cache)
        return cls(
            documents=documents,
            analyzer=text_analyzer,
            term_ids=term_ids,
            terms=list(term_ids),
            weights=contribution.tocsc(),
            weights_rows=contribution,
            idf=idf,
            facet_values=facet_values,
            facet_matrix=facet_matrix,
            semantic=embeddings,
        )

    def _key_order(self) -> np.ndarray:
        """Each document's position in the sorted order of the keys (for tie-breaking)."""
        if self._key_positions is None or len(self._key_positions) != len(self.documents):
            keys = [document.key for document in self.documents]
            positions = np.empty(len(keys), dtype=np.int64)
            positions[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
            self._key_positions = positions
        return self._key_positions

    def _filter(self, filters: Mapping[str, Iterable[str] | str] | None) -> np.ndarray:
        """Boolean mask of the documents that pass ``filters``.

        Values are compared after :func:`normalise`; a ``target_group`` value also selects the
        target groups that contain it as a word sequence ("Ältere Menschen" selects "Ältere
        Menschen ohne Pkw"). A value that selects no facet value is an error.
        """
        mask = np.ones(len(self.documents), dtype=bool)
        for facet, selected in (filters or {}).items():
            if facet not in self.facet_values:
                raise CatalogueError(f"Unbekannte Facette {facet!r}; möglich: {', '.join(FACETS)}")
            values = self.facet_values[facet]
            columns: set[int] = set()
            for wanted in [selected] if isinstance(selected, str) else selected:
                found = [
                    index
                    for index, value in enumerate(values)
                    if _facet_match(facet, wanted, value)
                ]
                if not found:
                    allowed = ", ".join(sorted(values, key=normalise)) or "(keine)"
                    raise CatalogueError(
                        f"Unbekannter Wert {wanted!r} für die Facette {facet!r}; möglich: "
                        f"{allowed}."
                    )
                columns.update(found)
            if columns:
                mask &= (
                    np.asarray(self.facet_matrix[facet][:, sorted(columns)].sum(axis=1)).ravel() > 0
                )
        return mask

    def _counts(self, mask: np.ndarray) -> dict[str, dict[str, int]]:
        """Per facet and value, the number of documents in ``mask`` (largest first)."""
        counts: dict[str, dict[str, int]] = {}
        for facet in FACETS:
            totals = np.asarray(self.facet_matrix[facet][mask].sum(axis=0)).ravel()
            pairs = [
                (value, int(count))
                for value, count in zip(self.facet_values[facet], totals, strict=True)
                if count > 0
            ]
            counts[facet] = dict(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))
        return counts

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        filters: Mapping[str, Iterable[str] | str] | None = None,
        method: Method = "bm25",
    ) -> SearchResult:
        """Rank the documents for ``query`` (best first, at most ``limit`` hits).

        ``filters`` maps facet names to a value or values (e.g. ``{"field": ["wohnen"],
        "kind": "measure"}``). An empty query gives no hits, a German message and the facet
        counts of all documents passing the filters. ``method`` is ``"bm25"``, ``"semantic"``
        or ``"hybrid"`` (the last two need an index built with ``semantic=True``).
        """
        if method not in METHODS:
            raise CatalogueError(
                f"Unbekanntes Suchverfahren {method!r}; möglich: {', '.join(METHODS)}"
            )
        if method != "bm25" and self.semantic is None:
            raise CatalogueError(
                f"Das Suchverfahren {method!r} braucht einen Index mit Satzeinbettungen "
                "(SearchIndex.build(..., semantic=True))."
            )
        mask = self._filter(filters)
        if not query.strip():
            return SearchResult(
                query=query,
                hits=[],
                total=0,
                facets=self._counts(mask),
                message="Bitte einen Suchbegriff eingeben (z. B. „Wohnen im Alter“).",
                method=method,
            )
        query_words = list(dict.fromkeys(words(query)))
        if not query_words:
            return SearchResult(
                query=query,
                hits=[],
                total=0,
                facets=self._counts(np.zeros_like(mask)),
                message=f"Die Anfrage „{query.strip()}“ enthält nur Füllwörter; bitte "
                "inhaltliche Begriffe eingeben.",
                method=method,
            )
        spelled = {normalise(token): token for token in re.findall(r"[^\W_]+", query)}
        terms: list[str] = []
        unknown: list[str] = []
        for word in query_words:
            found = [term for term in self.analyzer.terms(word) if term in self.term_ids]
            if not found:
                unknown.append(word)
            terms.extend(term for term in found if term not in terms)
        columns = [self.term_ids[term] for term in terms]
        bm25 = (
            np.asarray(self.weights[:, columns].sum(axis=1)).ravel()
            if columns
            else np.zeros(len(self.documents))
        )
        lexical = (bm25 > 0) & mask
        if method == "bm25":
            candidates, scores = lexical, bm25
        else:
            from regiowerk.catalogue import semantic

            assert self.semantic is not None
            cosine = self.semantic.scores(query)
            meaning = (cosine >= semantic.SEMANTIC_FLOOR) & mask
            if method == "semantic":
                candidates, scores = meaning, cosine
            else:
                keys = self._key_order()
                candidates = lexical | meaning
                scores = semantic.reciprocal_rank_fusion(
                    [semantic.ranks(bm25, lexical, keys), semantic.ranks(cosine, meaning, keys)]
                )
        total = int(candidates.sum())
        if not terms and not total:
            return SearchResult(
                query=query,
                hits=[],
                total=0,
                facets=self._counts(np.zeros_like(mask)),
                unknown=tuple(unknown),
                message=f"Keine Treffer für „{query.strip()}“: "
                + ("das Wort " if len(unknown) == 1 else "die Wörter ")
                + ", ".join(f"„{spelled.get(word, word)}“" for word in unknown)
                + (" kommt" if len(unknown) == 1 else " kommen")
                + " im Katalog nicht vor. Bitte kürzere oder allgemeinere Begriffe versuchen.",
                method=method,
            )
        chosen = np.flatnonzero(candidates)
        if len(chosen) > limit > 0:
            top = np.argpartition(-scores[chosen], limit - 1)[:limit]
            chosen = chosen[top]
        elif limit <= 0:
            chosen = chosen[:0]
        order = sorted(chosen, key=lambda row: (-scores[row], self.documents[row].key))
        hits = []
        for row in order:
            document = self.documents[row]
            start, end = self.weights_rows.indptr[row], self.weights_rows.indptr[row + 1]
            present = set(self.weights_rows.indices[start:end].tolist())
            hits.append(
                Hit(
                    key=document.key,
                    kind=document.kind,
                    title=document.title,
                    score=float(scores[row]),
                    matched_terms=tuple(
                        t for t, c in zip(terms, columns, strict=True) if c in present
                    ),
                )
            )
        message = None
        if not total:
            message = f"Keine Treffer für „{query.strip()}“" + (
                " mit den gewählten Filtern." if not mask.all() else "."
            )
        elif not terms:
            message = (
                f"Kein Begriff aus „{query.strip()}“ kommt in den Texten vor; die Treffer sind "
                "nach Bedeutungsähnlichkeit gefunden."
            )
        return SearchResult(
            query=query,
            hits=hits,
            total=total,
            facets=self._counts(candidates),
            terms=tuple(terms),
            unknown=tuple(unknown),
            message=message,
            method=method,
        )
