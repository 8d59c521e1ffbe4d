"""The Whoosh schema of a vnsearch index, and the analyzer it pickles.

Whoosh pickles the schema, analyzer included, into every index: the names
``vnsearch.schema.VietnameseAnalyzer`` and ``vnsearch.schema.VietnameseText`` are part
of the on-disk format. Change them, or what they produce, only together with
:data:`FORMAT_VERSION`.
"""

from array import array
from itertools import repeat
from operator import itemgetter

from whoosh import fields, formats
from whoosh.analysis import Analyzer, Token

from . import analysis

FORMAT_VERSION = 2
"""Bumped whenever the terms an index holds would change: old indexes must be rebuilt.

2: exact syllable pairs (``<công nghệ``) added.
"""

_POSITIONS = formats.Positions()

POSITIONS_FOR_SYLLABLES_ONLY = True
"""Store positions for the syllable forms only (exact and folded): phrase queries are
the only readers of positions, and they match syllables. Pairs and words carry their
adjacency in the term itself; their postings hold an empty value, half the postings
of an article and most of the bytes of its positions. Indexes written either way read
the same way (a pair's positions are never asked for)."""


class VietnameseAnalyzer(Analyzer):
    """Whoosh analyzer yielding every form of :mod:`vnsearch.analysis` with positions."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term, position in analysis.terms(analysis.analyse(value)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + position
            yield token


class PreparedText:
    """A field value analysed ahead of time (in a worker process), ready to index.

    Packed into a few flat objects, because it travels back from a worker process
    and may wait in memory for the write lock: ``terms`` holds each distinct term's
    UTF-8 bytes, joined by ``TERM_SEPARATOR``; ``frequencies`` how often each occurs;
    ``positions`` each term's encoded positions (Whoosh's ``Positions`` format), one
    after another, ``position_lengths`` their sizes; ``length`` is the field length
    (the sum of the frequencies).
    """

    __slots__ = ("terms", "frequencies", "positions", "position_lengths", "length")

    TERM_SEPARATOR = b"\xff"
    """Joins the terms: a byte that never occurs in UTF-8."""

    def __init__(self, terms, frequencies, positions, position_lengths, length):
        self.terms = terms
        self.frequencies = frequencies
        self.positions = positions
        self.position_lengths = position_lengths
        self.length = length

    def term_list(self) -> list[bytes]:
        """The terms' UTF-8 bytes, in the order of ``frequencies``."""
        return self.terms.split(self.TERM_SEPARATOR) if self.frequencies else []

    def position_list(self) -> list[bytes]:
        """Each term's encoded positions."""
        values, start = [], 0
        for size in self.position_lengths:
            values.append(self.positions[start:start + size])
            start += size
        return values

    @property
    def items(self):
        """``(term, frequency, weight, positions)`` tuples, as Whoosh's ``Field.index``."""
        return [(term, frequency, float(frequency), value) for term, frequency, value
                in zip(self.term_list(), self.frequencies, self.position_list())]


_ONE_POSITION: list[bytes] = []
"""Encoded single positions, by position: most terms occur once in a text."""


def _encode_positions(positions: list[int]) -> bytes:
    # Whoosh's Positions.encode, which has to stay byte for byte: the count, then the
    # pickled gaps between positions.
    if len(positions) == 1:
        return _ONE_POSITION[positions[0]]
    return _POSITIONS.encode(positions)


def _encode_one_positions_up_to(count: int) -> None:
    while len(_ONE_POSITION) < count:
        _ONE_POSITION.append(_POSITIONS.encode([len(_ONE_POSITION)]))


def prepare(text: str) -> PreparedText:
    """Analyse ``text`` into the postings :meth:`VietnameseText.index` returns.

    This is the expensive step of indexing (segmentation), done once per field, so it
    runs in worker processes; the result pickles cheaply.

    >>> prepared = prepare("Hà Nội, Hà Nội")
    >>> dict(zip(prepared.term_list(), prepared.frequencies))["~ha_noi".encode()]
    2
    >>> prepared.length  # 4 syllables, 4 folded, 2 + 2 pairs, 2 words, 2 folded words
    16
    """
    if not POSITIONS_FOR_SYLLABLES_ONLY:
        return _prepare_with_all_positions(text)
    frequencies, positions = analysis.tally(text)
    _encode_one_positions_up_to(max(map(itemgetter(-1), positions.values()), default=-1) + 1)
    one, encode = _ONE_POSITION, _POSITIONS.encode
    encoded = dict(zip(positions, [one[at[0]] if len(at) == 1 else encode(at)
                                   for at in positions.values()]))
    values = list(map(encoded.get, frequencies, repeat(b"")))
    counts = array("I", frequencies.values())
    return PreparedText(PreparedText.TERM_SEPARATOR.join(map(str.encode, frequencies)),
                        counts, b"".join(values), array("I", map(len, values)),
                        sum(counts))


def _prepare_with_all_positions(text):
    found = analysis.postings(analysis.analyse(text))
    _encode_one_positions_up_to(max(map(max, found.values()), default=-1) + 1)
    values = list(map(_encode_positions, found.values()))
    frequencies = array("I", map(len, found.values()))
    return PreparedText(PreparedText.TERM_SEPARATOR.join([term.encode("utf-8")
                                                          for term in found]),
                        frequencies, b"".join(values), array("I", map(len, values)),
                        sum(frequencies))


class VietnameseText(fields.TEXT):
    """A text field analysed by :class:`VietnameseAnalyzer`, accepting prepared values."""

    def __init__(self, stored=True):
        super().__init__(analyzer=VietnameseAnalyzer(), phrase=True, stored=stored)

    def index(self, value, **kwargs):
        # The fast path: postings straight from the analysis, no Token objects.
        if not isinstance(value, PreparedText):
            value = prepare(value)
        return iter(value.items)


def open_writer(whoosh_index):
    """A writer on ``whoosh_index`` whose caller already holds the index's write lock.

    It writes what Whoosh's own writer would, faster (see :mod:`vnsearch.writing`):
    use it the same way, ``add_document``/``update_document``/``delete_by_term``, then
    ``commit()`` or ``cancel()``.
    """
    from .writing import FastSegmentWriter
    return FastSegmentWriter(whoosh_index, _lk=False)


def build_schema() -> fields.Schema:
    """The schema of a vnsearch index.

    ``hash`` and ``source`` are columns so that incremental indexing can read them for
    every document without loading the stored bodies.
    """
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=VietnameseText(),
        body=VietnameseText(),
        date=fields.DATETIME(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),
        hash=fields.ID(stored=False, sortable=True),
    )
