"""The Whoosh schema of a vnsearch index, and the analyzer it pickles.

Whoosh pickles the schema, analyzer included, into every index: the names
``vnsearch.schema.VietnameseAnalyzer`` and ``vnsearch.schema.VietnameseText`` are part
of the on-disk format. Change them, or what they produce, only together with
:data:`FORMAT_VERSION`.
"""

from array import array
from itertools import count, repeat

from whoosh import fields, formats
from whoosh.analysis import Analyzer, Token

from . import analysis

FORMAT_VERSION = 3
"""Bumped whenever the terms an index holds would change: old indexes must be rebuilt.

2: exact syllable pairs (``<công nghệ``) added.
3: exact pairs kept as counts in a table per segment (:mod:`vnsearch.pair_counts`),
   not as terms with posting lists.
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
    (the sum of the frequencies). ``pairs`` holds the text's exact pairs ("công
    nghệ", no index terms: see :mod:`vnsearch.pair_counts`) joined the same way,
    ``pair_counts`` how often each occurs.
    """

    __slots__ = ("terms", "frequencies", "positions", "position_lengths", "length",
                 "pairs")

    TERM_SEPARATOR = b"\xff"
    """Joins the terms: a byte that never occurs in UTF-8."""

    def __init__(self, terms, frequencies, positions, position_lengths, length,
                 pairs=b""):
        self.terms = terms
        self.frequencies = frequencies
        self.positions = positions
        self.position_lengths = position_lengths
        self.length = length
        self.pairs = pairs

    def pair_list(self) -> list[bytes]:
        """Every exact pair of the text as often as it occurs, as UTF-8 bytes."""
        return self.pairs.split(self.TERM_SEPARATOR) if self.pairs else []

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


ENCODE_IN_BULK_FROM = 160
"""Syllables from which a text's positions are grouped and encoded with numpy, all
terms at once; below, numpy's cost per call outweighs a Python step per syllable
(callgrind, news text: 1.15 M against 1.30 M instructions at 200 syllables, 0.99 M
against 0.84 M at 120; a body of 850 syllables, 3.05 M against 4.99 M)."""


def prepare(text: str) -> PreparedText:
    """Analyse ``text`` into the postings :meth:`VietnameseText.index` returns.

    This is the expensive step of indexing (segmentation), done once per field, so it
    runs in worker processes; the result pickles cheaply.

    >>> prepared = prepare("Hà Nội, Hà Nội")
    >>> dict(zip(prepared.term_list(), prepared.frequencies))["~ha_noi".encode()]
    2
    >>> prepared.length  # 4 syllables, 4 folded, 2 folded pairs, 2 words, 2 folded words
    14
    >>> [pair.decode() for pair in prepared.pair_list()]
    ['hà nội', 'hà nội']
    """
    if not POSITIONS_FOR_SYLLABLES_ONLY:
        return _prepare_from_postings(text, False)
    frequencies, forms, pairs = analysis.tally(text)
    if len(forms) >= 2 * ENCODE_IN_BULK_FROM:
        encoded = _encode_in_bulk(forms)
    else:
        encoded = _encode_one_by_one(forms)
    if encoded is None:
        return _prepare_from_postings(text, True)
    terms, counts, positions, sizes = encoded
    if counts != list(map(frequencies.__getitem__, terms)):
        # A word or pair spelt like a syllable form: its positions count too.
        return _prepare_from_postings(text, True)
    size_of = dict(zip(terms, sizes))
    frequencies_array = array("I", frequencies.values())
    return PreparedText(PreparedText.TERM_SEPARATOR.join(map(str.encode, frequencies)),
                        frequencies_array, positions,
                        array("I", map(size_of.get, frequencies, repeat(0))),
                        sum(frequencies_array),
                        PreparedText.TERM_SEPARATOR.join(map(str.encode, pairs)))


def _encode_one_by_one(forms):
    """``(terms, counts, positions, sizes)`` of the syllable forms of a short text:
    each distinct form, in order of first occurrence, how often it occurs, and the
    encoded positions of all of them, one after another, with their sizes."""
    at: dict[str, list[int]] = {}
    for number, term in enumerate(forms):
        found = at.get(term)
        if found is None:
            at[term] = [number >> 1]
        else:
            found.append(number >> 1)
    _encode_one_positions_up_to(len(forms) >> 1)
    one, encode = _ONE_POSITION, _POSITIONS.encode
    values = [one[found[0]] if len(found) == 1 else encode(found) for found in at.values()]
    return list(at), list(map(len, at.values())), b"".join(values), list(map(len, values))


_PICKLED_LIST = b"\x80\x02]q\x00"
"""How pickle (protocol 2) starts a list: PROTO 2, EMPTY_LIST, BINPUT 0."""


def _encode_in_bulk(forms):
    """:func:`_encode_one_by_one`, computed for all terms at once with numpy; None when
    a term occurs more than 1,000 times (pickle then splits its list in batches).

    A term's encoded positions (Whoosh's ``Positions.encode``) are its count as a
    big-endian uint32, then the pickled list of gaps: ``_PICKLED_LIST``, each gap as
    BININT1 ``K`` + 1 byte, BININT2 ``M`` + 2 or BININT ``J`` + 4 (little-endian);
    then APPEND ``a`` after a single item, or MARK ``(`` before several and APPENDS
    ``e`` after them; STOP ``.``.
    """
    import numpy as np  # only indexing needs it; a search process may never load it

    ids: dict[str, int] = {}
    total = len(forms)
    # Ids grow with first occurrences (setdefault draws from count() every time).
    term_ids = np.fromiter(map(ids.setdefault, forms, count()), dtype=np.int64, count=total)
    order = np.argsort(term_ids, kind="stable")  # grouped by term, positions ascending
    grouped = term_ids[order]
    firsts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
    counts = np.diff(np.append(firsts, total))
    if counts.max() > 1000:
        return None
    positions = order >> 1
    gaps = np.empty_like(positions)
    gaps[0] = positions[0]
    np.subtract(positions[1:], positions[:-1], out=gaps[1:])
    gaps[firsts] = positions[firsts]
    op_sizes = np.where(gaps < 256, 2, np.where(gaps < 65536, 3, 5))
    several = (counts > 1).astype(np.int64)
    sizes = 4 + len(_PICKLED_LIST) + several + np.add.reduceat(op_sizes, firsts) + 2
    ends = np.cumsum(sizes)
    starts = ends - sizes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for byte in range(4):
        out[starts + byte] = (counts >> (8 * (3 - byte))) & 255
    for offset, value in enumerate(_PICKLED_LIST, 4):
        out[starts + offset] = value
    out[starts[several == 1] + 4 + len(_PICKLED_LIST)] = ord("(")
    before = np.cumsum(op_sizes) - op_sizes  # each opcode's start among all opcodes
    op_starts = before + np.repeat(starts + 4 + len(_PICKLED_LIST) + several
                                   - before[firsts], counts)
    out[op_starts] = np.where(op_sizes == 2, ord("K"), np.where(op_sizes == 3, ord("M"),
                                                                   ord("J")))
    for byte in range(4):
        has = op_sizes > byte + 1
        out[op_starts[has] + 1 + byte] = (gaps[has] >> (8 * byte)) & 255
    out[ends - 2] = np.where(several == 1, ord("e"), ord("a"))
    out[ends - 1] = ord(".")
    return list(ids), counts.tolist(), out.tobytes(), sizes.tolist()


def _prepare_from_postings(text, positions_for_syllables_only):
    # The general way, through analyse() and postings(): every term with its positions.
    analysed = analysis.analyse(text)
    found = analysis.postings(analysed)
    pairs = analysis.exact_pairs(analysed)
    _encode_one_positions_up_to(max(map(max, found.values()), default=-1) + 1)
    if positions_for_syllables_only:
        positional = {s.text for s in analysed.syllables}
        positional.update(analysis.FOLDED + s.folded for s in analysed.syllables)
        values = [_encode_positions(positions) if term in positional else b""
                  for term, positions in found.items()]
    else:
        values = list(map(_encode_positions, found.values()))
    frequencies = array("I", map(len, found.values()))
    return PreparedText(PreparedText.TERM_SEPARATOR.join([term.encode("utf-8")
                                                          for term in found]),
                        frequencies, b"".join(values), array("I", map(len, values)),
                        sum(frequencies),
                        PreparedText.TERM_SEPARATOR.join(map(str.encode, pairs)))


class VietnameseText(fields.TEXT):
    """A text field analysed by :class:`VietnameseAnalyzer`, accepting prepared values."""

    def __init__(self, stored=True):
        super().__init__(analyzer=VietnameseAnalyzer(), phrase=True, stored=stored)

    def index(self, value, **kwargs):
        # The fast path: postings straight from the analysis, no Token objects.
        if not isinstance(value, PreparedText):
            value = prepare(value)
        return iter(value.items)

    @staticmethod
    def prepared(value) -> PreparedText:
        """``value`` analysed (:func:`prepare`), unless it already is: what a writer
        keeping the exact pairs' counts indexes."""
        return value if isinstance(value, PreparedText) else prepare(value)


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
