"""The words an index holds and how many documents hold each: what completion and
spelling correction look words up in.

A :class:`Lexicon` holds every exact syllable and every pyvi word of the title and body
fields with its document frequency, keyed by its folded form, so "cong ng" finds
"công nghệ" and "công nghiệp", and "vinamlik" can be compared with "vinamilk". It is
plain data; :func:`lexicon_for` reads it from a Whoosh searcher.

Reading it the public way (one Whoosh call per term) takes seconds on a 5,000-article
index; here the term table of each segment is read in a few big slices instead
(Whoosh is pinned to 2.7.4; the tests compare the result with the public interface).
The lexicon of a committed state is then kept in memory for as long as its searcher
lives, and in a cache file in the index folder, so a new process does not read it again.
"""

import bisect
import hashlib
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
_FORMAT = 2
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

    def folded_syllables(self) -> dict[str, int]:
        """Every folded single syllable with its frequency."""
        return self._folded


def _by_frequency(entry):
    return -entry[2], entry[0]


_lexicons: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def lexicon_for(searcher, cache_dir=None) -> Lexicon:
    """The lexicon of a Whoosh searcher's committed state, read once per state.

    With ``cache_dir`` (the index folder), it is also kept in a cache file there, so
    that the next process opening the same state loads it instead of reading it.
    """
    found = _lexicons.get(searcher)
    if found is not None:
        return found
    key = _state_key(searcher)
    cache = Path(cache_dir) / CACHE_FOLDER / f"{key}.pickle" if cache_dir else None
    lexicon = _load(cache) if cache else None
    if lexicon is None:
        lexicon = Lexicon.from_terms(read_terms(searcher))
        if cache:
            _save(cache, lexicon)
    _lexicons[searcher] = lexicon
    return lexicon


def read_terms(searcher):
    """``(exact term, df)`` for every exact term of the title and body fields, per
    segment (a term in two segments comes twice; deleted documents still count)."""
    reader = searcher.reader()
    leaves = [reader] if reader.is_atomic() else [leaf for leaf, _ in reader.leaf_readers()]
    for leaf in leaves:
        for field in FIELDS:
            yield from _leaf_terms(leaf, field)


# Exact terms are everything but the folded ("~...") and pair (">...") ranges.
_EXACT_RANGES = ((b"", PAIR.encode()), (bytes([PAIR.encode()[0] + 1]), FOLDED.encode()),
                 (bytes([FOLDED.encode()[0] + 1]), None))
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


def _state_key(searcher) -> str:
    """A name for a committed state: its segments and their deletions."""
    reader = searcher.reader()
    leaves = [reader] if reader.is_atomic() else [leaf for leaf, _ in reader.leaf_readers()]
    parts = [str(_FORMAT)]
    for leaf in leaves:
        segment = leaf.segment() if hasattr(leaf, "segment") else None
        parts.append(f"{segment.segment_id() if segment else id(leaf)}:{leaf.doc_count()}")
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:20]


def _load(path: Path) -> Lexicon | None:
    try:
        with open(path, "rb") as file:
            entries, exact, folded = pickle.load(file)
        return Lexicon(entries, _sums=(exact, folded))
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError,
            pickle.UnpicklingError):
        return None


def _save(path: Path, lexicon: Lexicon) -> None:
    """Write the cache file (and drop those of older states); never fail a search."""
    try:
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as file:
            pickle.dump((lexicon.entries, lexicon._exact, lexicon._folded), file,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        for old in path.parent.glob("*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
