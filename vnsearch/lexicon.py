"""The words an index holds and how many documents hold each: what completion and
spelling correction look words up in.

A :class:`Lexicon` holds every exact syllable and every pyvi word of the title and body
fields with its document frequency, keyed by its folded form, so "cong ng" finds
"công nghệ" and "công nghiệp", and "vinamlik" can be compared with "vinamilk". It is
plain data; :func:`lexicon_for` reads it from a Whoosh searcher.

Reading it the public way (one Whoosh call per term) takes seconds on a 5,000-article
index; here the term table of each segment is read in a few big slices instead
(Whoosh is pinned to 2.7.4; the tests compare the result with the public interface).
A lexicon is made per segment: Whoosh never changes a segment once written (deletions
aside, and the lexicon counts deleted documents as the index's term statistics do), so
each segment's lexicon is read once, kept in memory and in a cache file in the index
folder (a new process loads it instead of reading it again). A committed state of
several segments is the :class:`CombinedLexicon` of theirs: a commit that adds a small
segment costs reading that segment only, not the whole index again.
"""

import bisect
import heapq
import os
import pickle
import struct
import weakref
from collections.abc import Iterable
from pathlib import Path

from .analysis import FOLDED, PAIR
from .normalize import fold

FIELDS = ("title", "body")
CACHE_FOLDER = "lexicon"
"""Folder of the index holding the lexicon cache file of the live state."""
_FORMAT = 3
SORT_FROM = 256
"""Ranges of entries at least this long have their frequency order remembered."""


class Lexicon:
    """Exact syllables and words of an index, sorted by folded form, with frequencies.

    ``entries`` are ``(key, text, df)``: the folded form with spaces between syllables
    ("cong nghe"), the exact form ("công nghệ") and the number of documents holding it
    (title and body counted apart, so a document with it in both counts twice).

    >>> lexicon = Lexicon.from_terms([("công_nghệ", 5), ("công", 9), ("cộng", 2)])
    >>> [text for _, text, _ in lexicon.completions("cong")]
    ['công', 'cộng', 'công nghệ']
    >>> lexicon.folded_frequency("cong")
    11
    """

    def __init__(self, entries: list[tuple[str, str, int]], *, _sums=None):
        self.entries = entries
        self.keys = [key for key, _, _ in entries]
        self._sorted: dict[str, list] = {}
        if _sums is not None:  # read from the cache file
            self._exact, self._folded = _sums
            return
        self._folded: dict[str, int] = {}
        self._exact: dict[str, int] = {}
        for key, text, df in entries:
            self._exact[text] = self._exact.get(text, 0) + df
            if " " not in key:
                self._folded[key] = self._folded.get(key, 0) + df

    @classmethod
    def from_terms(cls, terms: Iterable[tuple[str, int]]) -> "Lexicon":
        """Build from ``(exact term, df)`` pairs as the index holds them (``công_nghệ``)."""
        merged: dict[str, int] = {}
        for term, df in terms:
            if not term or term[0] in (FOLDED, PAIR):
                continue
            text = term.replace("_", " ")
            merged[text] = merged.get(text, 0) + df
        return cls(sorted((fold(text), text, df) for text, df in merged.items()))

    def __len__(self) -> int:
        return len(self.entries)

    def completions(self, key_prefix: str):
        """Entries whose folded key starts with ``key_prefix``, in key order."""
        start = bisect.bisect_left(self.keys, key_prefix)
        for index in range(start, len(self.entries)):
            if not self.keys[index].startswith(key_prefix):
                return
            yield self.entries[index]

    def most_frequent(self, key_prefix: str):
        """Entries whose folded key starts with ``key_prefix``, most frequent first.

        The order of a long range (a one-letter prefix has thousands of entries) is
        worked out once and remembered, since typing comes back to the same prefixes.
        """
        start = bisect.bisect_left(self.keys, key_prefix)
        stop = bisect.bisect_left(self.keys, key_prefix + "\U0010ffff", lo=start)
        if stop - start < SORT_FROM:
            return sorted(self.entries[start:stop], key=_by_frequency)
        order = self._sorted.get(key_prefix)
        if order is None:
            if len(self._sorted) > 2_000:
                self._sorted.clear()
            order = self._sorted[key_prefix] = sorted(self.entries[start:stop],
                                                      key=_by_frequency)
        return order

    def exact_forms(self, key: str) -> list[tuple[str, int]]:
        """Every exact spelling of folded ``key`` with its frequency, most common first."""
        found = [(text, df) for k, text, df in self.completions(key) if k == key]
        return sorted(found, key=lambda item: -item[1])

    def folded_frequency(self, syllable: str) -> int:
        """Documents holding any exact form of a folded syllable (0 if none)."""
        return self._folded.get(syllable, 0)

    def frequency(self, text: str) -> int:
        """Documents holding an exact syllable or word ("công nghệ")."""
        return self._exact.get(text, 0)

    def total(self) -> int:
        """Document frequencies of all single syllables added up: the ``total`` that
        :func:`vnsearch.restore.restore` weighs a syllable's frequency against."""
        found = getattr(self, "_total", None)
        if found is None:
            found = self._total = sum(self._folded.values())
        return found

    def folded_syllables(self) -> dict[str, int]:
        """Every folded single syllable with its frequency."""
        return self._folded


class CombinedLexicon:
    """The lexicon of several segments, read through theirs: the same questions as
    :class:`Lexicon`, answered by adding up the segments' counts of each word.

    >>> a = Lexicon.from_terms([("công", 9), ("công_nghệ", 2)])
    >>> b = Lexicon.from_terms([("công", 1), ("cộng", 4)])
    >>> combined = CombinedLexicon([a, b])
    >>> combined.folded_frequency("cong"), combined.frequency("công")
    (14, 10)
    >>> [text for _, text, _ in combined.most_frequent("cong")]
    ['công', 'cộng', 'công nghệ']
    """

    def __init__(self, parts: list[Lexicon]):
        self.parts = parts
        self._sorted: dict[str, list] = {}

    def __len__(self) -> int:
        return len({text for part in self.parts for _, text, _ in part.entries})

    def completions(self, key_prefix: str):
        """Entries whose folded key starts with ``key_prefix``, in key order."""
        merged = heapq.merge(*(part.completions(key_prefix) for part in self.parts))
        pending = None
        for key, text, df in merged:
            if pending is not None and pending[:2] == (key, text):
                pending = (key, text, pending[2] + df)
                continue
            if pending is not None:
                yield pending
            pending = (key, text, df)
        if pending is not None:
            yield pending

    def most_frequent(self, key_prefix: str):
        """Entries whose folded key starts with ``key_prefix``, most frequent first."""
        order = self._sorted.get(key_prefix)
        if order is None:
            order = sorted(self.completions(key_prefix), key=_by_frequency)
            if len(order) >= SORT_FROM:
                if len(self._sorted) > 2_000:
                    self._sorted.clear()
                self._sorted[key_prefix] = order
        return order

    def exact_forms(self, key: str) -> list[tuple[str, int]]:
        """Every exact spelling of folded ``key`` with its frequency, most common first."""
        found = [(text, df) for k, text, df in self.completions(key) if k == key]
        return sorted(found, key=lambda item: -item[1])

    def folded_frequency(self, syllable: str) -> int:
        """Documents holding any exact form of a folded syllable (0 if none)."""
        return sum(part.folded_frequency(syllable) for part in self.parts)

    def frequency(self, text: str) -> int:
        """Documents holding an exact syllable or word ("công nghệ")."""
        return sum(part.frequency(text) for part in self.parts)

    def total(self) -> int:
        """See :meth:`Lexicon.total`."""
        return sum(part.total() for part in self.parts)


def _by_frequency(entry):
    return -entry[2], entry[0]


_lexicons: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_segments: dict[str, "Lexicon"] = {}
"""Lexicons of the segments seen lately, by segment id (a segment never changes)."""
KEEP_SEGMENTS = 64


def lexicon_for(searcher, cache_dir=None) -> "Lexicon | CombinedLexicon":
    """The lexicon of a Whoosh searcher's committed state: its segments' lexicons.

    With ``cache_dir`` (the index folder), each segment's lexicon is also kept in a cache
    file there, so that the next process opening the same segment loads it instead of
    reading it; files of segments no longer in the index are removed.
    """
    found = _lexicons.get(searcher)
    if found is not None:
        return found
    leaves = _leaves(searcher)
    folder = Path(cache_dir) / CACHE_FOLDER if cache_dir else None
    parts = [_segment_lexicon(leaf, folder) for leaf in leaves]
    if folder is not None:
        _drop_stale(folder, {_segment_name(leaf) for leaf in leaves})
    lexicon = parts[0] if len(parts) == 1 else CombinedLexicon(parts)
    _lexicons[searcher] = lexicon
    return lexicon


def _leaves(searcher):
    reader = searcher.reader()
    return [reader] if reader.is_atomic() else [leaf for leaf, _ in reader.leaf_readers()]


def _segment_name(leaf) -> str | None:
    """A name for a segment's terms that no other segment has (None if unknown)."""
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return f"{_FORMAT}-{segment.segment_id()}" if segment is not None else None


def _segment_lexicon(leaf, folder: Path | None) -> "Lexicon":
    name = _segment_name(leaf)
    if name is None:  # not a stored segment: read it, keep nothing
        return Lexicon.from_terms(_leaf_all_terms(leaf))
    lexicon = _segments.get(name)
    if lexicon is not None:
        return lexicon
    cache = folder / f"{name}.pickle" if folder is not None else None
    lexicon = _load(cache) if cache is not None else None
    if lexicon is None:
        lexicon = Lexicon.from_terms(_leaf_all_terms(leaf))
        if cache is not None:
            _save(cache, lexicon)
    if len(_segments) >= KEEP_SEGMENTS:
        _segments.pop(next(iter(_segments)))
    _segments[name] = lexicon
    return lexicon


def _leaf_all_terms(leaf):
    for field in FIELDS:
        yield from _leaf_terms(leaf, field)


def read_terms(searcher):
    """``(exact term, df)`` for every exact term of the title and body fields, per
    segment (a term in two segments comes twice; deleted documents still count)."""
    for leaf in _leaves(searcher):
        yield from _leaf_all_terms(leaf)


# Exact terms are everything but the folded ("~...") and pair (">...") ranges: the
# gaps between those one-character prefixes.
_NOT_EXACT = sorted(p.encode() for p in (FOLDED, PAIR))
_EXACT_RANGES = tuple(zip([b"", *(bytes([p[0] + 1]) for p in _NOT_EXACT)], [*_NOT_EXACT, None]))
_LENGTHS = struct.Struct("!ii")
_DOC_FREQUENCY = struct.Struct("!BfI")  # flags, weight, doc frequency: W3TermInfo's head


def _leaf_terms(leaf, field):
    terms = getattr(leaf, "_terms", None)
    table = getattr(terms, "_tindex", None)
    if table is None or not hasattr(table, "closest_key_pos"):
        yield from _public_terms(leaf, field)
        return
    if field not in terms._fieldmap:
        return
    number = struct.pack("!H", terms._fieldmap[field])
    data = table.dbfile
    for low, high in _EXACT_RANGES:
        start = table.closest_key_pos(number + low)
        end = (table.closest_key_pos(number + high) if high is not None
               else table.closest_key_pos(struct.pack("!H", terms._fieldmap[field] + 1)))
        if start is None:
            continue
        if end is None:
            end = table.endofdata
        chunk = bytes(data.get(start, end - start))
        position = 0
        while position < len(chunk):
            key_length, value_length = _LENGTHS.unpack_from(chunk, position)
            position += _LENGTHS.size
            key = chunk[position:position + key_length]
            df = _DOC_FREQUENCY.unpack_from(chunk, position + key_length)[2]
            position += key_length + value_length
            if key[:2] != number:
                break
            yield key[2:].decode("utf-8"), df


def _public_terms(leaf, field):
    for term, info in leaf.iter_field(field):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        if text and text[0] not in (FOLDED, PAIR):
            yield text, info.doc_frequency()


def _load(path: Path) -> Lexicon | None:
    try:
        with open(path, "rb") as file:
            entries, exact, folded = pickle.load(file)
        return Lexicon(entries, _sums=(exact, folded))
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError,
            pickle.UnpicklingError):
        return None


def _save(path: Path, lexicon: Lexicon) -> None:
    """Write a segment's cache file; never fail a search."""
    try:
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as file:
            pickle.dump((lexicon.entries, lexicon._exact, lexicon._folded), file,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass


def _drop_stale(folder: Path, live: set) -> None:
    """Remove the cache files of segments the index no longer has (merged away)."""
    try:
        for old in folder.glob("*.pickle"):
            if old.stem not in live:
                old.unlink(missing_ok=True)
    except OSError:
        pass
