"""BM25F scoring, term at a time, straight from Whoosh's posting lists.

Whoosh's own matchers score one posting at a time through a tree of Python objects and
look up each document's field length per posting: about 15 µs a posting, and a
Vietnamese query reads tens of thousands of postings (its syllables are common). Here
each posting list is decoded a block at a time and its scores added into one
dictionary, the way bm25s does it with arrays: an order of magnitude less work for the
same BM25 formula. Decoded lists of the most common terms stay in a small cache, since
"của", "và" or "năm" come back in query after query.

The idf is the classic BM25 one, ``log(1 + (N - df + 0.5) / (df + 0.5))``, not
Whoosh's ``log(N / (df + 1)) + 1``: syllables found in every article fade to almost
nothing instead of keeping a floor, which a question full of "của", "là", "gì" needs.
"""

import heapq
import sys
import weakref
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from math import log

from .bm25 import B, K1, Top
from .pair_counts import IndexPairs
from .postings import read_postings


CACHE_POSTINGS = 20_000_000
"""Decoded postings kept across queries (about 12 bytes each, so at most some 240 MB).
At 4 million, a bench of 200 queries on 58,538 articles in 9 segments evicted lists
before the next query needed them again (p95 125 ms warm); at 20 million they all stay
(p95 48 ms): see docs/benchmarks.md."""
CACHE_FROM = 256
"""Only lists at least this long are worth caching: short ones decode quickly."""
COMMON = 0.25
"""Terms found in more than this share of documents are skipped when scoring, as long
as the query has rarer ones (measured on news_dated: same nDCG, half the latency)."""
SKIP_FROM = 1_000
"""Below this many documents every term is read: it is fast anyway, and with few
documents a document frequency says little about how common a syllable is."""


VECTORISE_FROM = 10_000
"""From this many documents on, the best documents are found with numpy arrays (see
:mod:`vnsearch.topk`); below, the dictionary path is as fast and spares a short-lived
process numpy's import (a tenth of a second or more)."""


@dataclass(frozen=True, slots=True)
class WeightedTerm:
    """A term to score, with the weight its matches get."""

    text: str
    weight: float


class Ranker:
    """Scores documents of one Whoosh searcher (one committed state of the index)."""

    def __init__(self, searcher):
        # Held weakly: the rankers of searchers are kept in a weak dictionary keyed by
        # the searcher, and a ranker holding its key would keep both alive for ever (a
        # searcher per commit a long-lived process sees, each with its open files).
        self._searcher = weakref.ref(searcher)
        reader = searcher.reader()
        self.leaves = reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
        self.doc_count = searcher.doc_count_all()
        self._frequencies: dict[tuple[str, str], int] = {}
        self._averages: dict[str, float] = {}
        self._memo: dict = {}
        self._pairs: IndexPairs | None = None

    @classmethod
    def for_searcher(cls, searcher) -> "Ranker":
        """The ranker of ``searcher``, shared by every query on it (and its caches)."""
        ranker = _rankers.get(searcher)
        if ranker is None:
            ranker = _rankers[searcher] = cls(searcher)
        return ranker

    @property
    def searcher(self):
        """The Whoosh searcher this ranker scores for (while its owner keeps it)."""
        return self._searcher()

    def doc_frequency(self, field: str, text: str) -> int:
        """How many documents hold ``text`` in ``field`` (deleted ones included)."""
        key = (field, text)
        df = self._frequencies.get(key)
        if df is None:
            if len(self._frequencies) > 200_000:
                self._frequencies.clear()
            df = self._frequencies[key] = self.searcher.doc_frequency(field, text)
        return df

    def occurrences(self, field: str, text: str) -> int:
        """How often ``text`` occurs in ``field`` over all documents."""
        key = (field, text, "all")
        count = self._frequencies.get(key)
        if count is None:
            if len(self._frequencies) > 200_000:
                self._frequencies.clear()
            count = self._frequencies[key] = int(self.searcher.frequency(field, text))
        return count

    def pair_count(self, left: str, right: str) -> int:
        """How often exact syllables ``left right`` stand side by side, in titles and
        bodies (:mod:`vnsearch.pair_counts`)."""
        if self._pairs is None:
            self._pairs = IndexPairs(self.leaves)
            # Its tables' files close when the searcher goes, not when the process ends.
            weakref.finalize(self.searcher, self._pairs.close)
        return self._pairs.count(left, right)

    def total_length(self, field: str) -> int:
        """How many terms ``field`` holds over all documents."""
        return int(self.searcher.field_length(field))

    def document_frequency(self, text: str, fields) -> int:
        """How many documents hold ``text`` in any of ``fields``, as BM25F counts it.

        Titles mostly repeat words of their body, so the largest field's count stands
        for the union: exact for one field, a close lower bound for several.
        """
        return max((self.doc_frequency(name, text) for name in fields), default=0)

    def idf(self, df: int) -> float:
        """BM25's inverse document frequency for a term found in ``df`` documents."""
        return log(1.0 + (self.doc_count - df + 0.5) / (df + 0.5))

    def score(self, terms: list[WeightedTerm], fields: dict[str, float],
              unscored: set | None = None) -> dict[int, float]:
        """BM25F score of every document matching any of ``terms`` in ``fields``.

        BM25F proper: a term has one document frequency over the whole document, and
        the field weights scale its length-normalised frequency in each field before
        the one saturation. A word common in questions but rare in short titles
        ("bao nhiêu") so gets the weight of a common word, not a title-sized idf.

        Terms in more than :data:`COMMON` of the documents add no score beside rarer
        ones; the documents that hold them are still matches, added to ``unscored``
        when it is given (so a search can count every match).
        """
        self._memo = {}
        scored, common = self._split(terms, fields)
        if unscored is not None:
            for term in common:
                for ids, base in self._lists(term.text, fields):
                    unscored.update(ids if not base else map(base.__add__, ids))
        if self.doc_count >= VECTORISE_FROM:
            from .topk import all_scores
            return all_scores(self, scored, fields)
        return self._score_dictionary(scored, fields)

    def _score_dictionary(self, scored, fields: dict[str, float]) -> dict[int, float]:
        """:meth:`score` of ``(term, df)`` pairs, a posting at a time into a dictionary:
        the reference :mod:`vnsearch.topk` gives the same scores as, to the bit."""
        scores: dict[int, float] = {}
        get = scores.get
        for term, df in scored:
            pseudo = self._pseudo_frequencies(term.text, fields)
            factor = term.weight * self.idf(df) * (K1 + 1)
            for docnum, tf in pseudo.items():
                scores[docnum] = get(docnum, 0.0) + factor * tf / (tf + K1)
        return scores

    def top(self, terms: list[WeightedTerm], fields: dict[str, float], depth: int) -> Top:
        """The ``depth`` best documents by :meth:`score`, best first, and every match.

        The same scores and order as :meth:`score` followed by ``heapq.nlargest``, at a
        fraction of the cost on a big index (see :mod:`vnsearch.topk`); deleted
        documents are left out.
        """
        if self.doc_count >= VECTORISE_FROM:
            from .topk import best_documents
            self._memo = {}
            scored, common = self._split(terms, fields)
            return best_documents(self, scored, common, fields, depth)
        unscored: set[int] = set()
        scores = self.score(terms, fields, unscored)
        if self.searcher.reader().has_deletions():
            scores = {d: s for d, s in scores.items() if not self.is_deleted(d)}
            unscored = {d for d in unscored if not self.is_deleted(d)}
        unscored.difference_update(scores)
        best = heapq.nlargest(depth, scores, key=scores.__getitem__)
        return Top({d: scores[d] for d in best},
                   sorted(unscored)[:depth] if len(best) < depth else [],
                   len(scores) + len(unscored))

    def _split(self, terms, fields):
        """``([(term, df)] to score, [terms] too common to score)``, in query order.

        Syllables found nearly everywhere ("của", "và") add little score for a lot of
        reading; they are left unscored when the query has anything rarer to go on.
        """
        frequencies = [self.document_frequency(t.text, fields) for t in terms]
        limit = COMMON * self.doc_count
        has_rare = self.doc_count >= SKIP_FROM and any(0 < df <= limit for df in frequencies)
        scored, common = [], []
        for term, df in zip(terms, frequencies):
            if not df or not term.weight:
                continue
            if df > limit and has_rare:
                common.append(term)
            else:
                scored.append((term, df))
        return scored, common

    def _lists(self, text: str, fields):
        """``(ids, base)`` of every segment's posting list of ``text`` in ``fields``."""
        return [(ids, base) for name in fields if self.doc_frequency(name, text)
                for reader, base in self.leaves
                for ids in (self._postings(reader, name, text)[0],) if ids]

    def _postings(self, reader, field: str, text: str):
        """A segment's decoded postings, read once per query however often asked for."""
        key = (id(reader), field, text)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = _segment_postings(reader, field, text)
        return found

    def _pseudo_frequencies(self, text: str, fields: dict[str, float]) -> dict[int, float]:
        """Each document's frequency of ``text``, length-normalised per field, weighted
        and summed over the fields."""
        pseudo: dict[int, float] = {}
        get = pseudo.get
        for name, weight in fields.items():
            if not weight or not self.doc_frequency(name, text):
                continue
            norm = B / self._average(name)
            base_norm = 1 - B
            for reader, base in self.leaves:
                ids, tfs = self._postings(reader, name, text)
                if not ids:
                    continue
                lengths = _segment_lengths(reader, name)
                for docnum, tf in zip(ids, tfs):
                    length = lengths.get(docnum)
                    if length is None:
                        length = lengths[docnum] = reader.doc_field_length(docnum, name, 0)
                    docnum += base
                    pseudo[docnum] = get(docnum, 0.0) + weight * tf / (
                        base_norm + norm * length)
        return pseudo

    def holders(self, text: str, fields) -> "Holders":
        """Which documents hold ``text`` in any of ``fields``: ``docnum in holders``."""
        return Holders([(base, ids) for ids, base in self._lists(text, fields)])

    def doc_ids(self, text: str, fields):
        """The documents holding ``text`` in any of ``fields`` (deleted ones included;
        one holding it in two fields comes twice)."""
        return (base + docnum for ids, base in self._lists(text, fields) for docnum in ids)

    def is_deleted(self, docnum: int) -> bool:
        """Whether ``docnum`` was deleted (segments keep postings of deleted documents)."""
        for reader, base in reversed(self.leaves):
            if docnum >= base:
                return reader.has_deletions() and reader.is_deleted(docnum - base)
        return False

    def _average(self, field):
        if field not in self._averages:
            self._averages[field] = self.searcher.avg_field_length(field) or 1.0
        return self._averages[field]


class Holders:
    """Membership in a term's sorted posting lists, by binary search."""

    __slots__ = ("_lists", "_bases")

    def __init__(self, lists):
        self._lists = sorted(lists, key=lambda pair: pair[0])
        self._bases = [base for base, _ in self._lists]

    def __contains__(self, docnum: int) -> bool:
        # A document is in one segment: the last whose base is not past it.
        segment = bisect_right(self._bases, docnum) - 1
        if segment < 0:
            return False
        base, ids = self._lists[segment]
        local = docnum - base
        at = bisect_left(ids, local)
        return at < len(ids) and ids[at] == local


_lengths: dict = {}
_rankers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _segment_lengths(reader, field) -> dict[int, int]:
    """Field lengths of a segment's documents, filled in as documents are scored."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return {}
    if len(_lengths) > 256:  # segments come and go as the index is updated
        _lengths.clear()
    return _lengths.setdefault((segment.segment_id(), field), {})


_cache: OrderedDict = OrderedDict()
_cached_postings = 0


def _segment_postings(reader, field, text):
    """Decoded (ids, term frequencies) of a term in one segment, cached when long."""
    global _cached_postings
    # Segments never change once written (deletions are checked separately), and
    # their ids are random, so a segment's postings can be cached under its id.
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return _read_uncached(reader, field, text)
    key = (segment.segment_id(), field, text)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    ids, tfs = _read_uncached(reader, field, text)
    if len(ids) >= CACHE_FROM:
        _cache[key] = (ids, tfs)
        _cached_postings += len(ids)
        while _cached_postings > CACHE_POSTINGS and _cache:
            _, (old, _) = _cache.popitem(last=False)
            _cached_postings -= len(old)
    return ids, tfs


def _read_uncached(reader, field, text):
    return read_postings(reader, field, text)


def clear_cache() -> None:
    """Forget cached posting lists (tests; memory pressure)."""
    global _cached_postings
    _cache.clear()
    _lengths.clear()
    if "vnsearch.topk" in sys.modules:
        sys.modules["vnsearch.topk"].clear_cache()
    _cached_postings = 0
