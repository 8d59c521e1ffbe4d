"""A term's whole posting list in one segment, read straight from the segment's files.

Whoosh reads postings through a matcher: a term-table lookup, a matcher object, and
per block a seek, a length, a pickled header read through a file object and the
block's pickle; on a segment with deletions, a filter that steps posting by posting.
A query of five syllables asks for some 240 lists (each syllable's forms, two fields,
every segment), so that machinery, not the decoding, was most of a search's time.

:func:`read_postings` reads the term's entry from the term table once, the posting
list's bytes in one slice, and walks its blocks (Whoosh 2.7.4's W3 format, as
:mod:`vnsearch.writing` and Whoosh's own writer both write it: a 4-byte length,
negative for the last block, a pickled header, the pickled ``(gaps, weights,
values)``, zlib-compressed when the header says so). Anything else (another codec,
a reader that is not a segment's) goes through Whoosh's matcher, as before. The tests
compare both on indexes written by vnsearch and by plain Whoosh.
"""

import sys
from array import array
from io import BytesIO
from itertools import accumulate
from pickle import load, loads
from struct import Struct
from zlib import decompress, decompressobj

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3TermInfo, W3TermsReader
from whoosh.reading import TermNotFound

from .errors import IndexDamagedError

_INFO = W3TermInfo._struct
_EXTENT = Struct("!qi")  # a posting list's offset and length, after the term info
_BLOCK_LENGTH = Struct("!i")


def read_postings(reader, field: str, text: str):
    """``(ids, weights)`` of ``text`` in ``field`` of one segment reader: ``array("I")``
    of document numbers in order and ``array("f")`` of their weights (term frequencies),
    deleted documents left out; two empty tuples when the segment lacks the term."""
    terms = getattr(reader, "_terms", None)
    if type(terms) is not W3TermsReader or reader.is_closed:
        return _read_by_matcher(reader, field, text)
    if field not in reader.schema:
        return (), ()
    key = terms._keycoder(field, reader._text_to_bytes(field, text))
    info = terms._tindex.get(key)
    if info is None:
        return (), ()
    if info[0]:  # postings inlined in the term table
        found, weights, _ = loads(info[_INFO.size:])
        ids = array("I", found)
        tfs = array("f", weights) if weights else array("f", [1.0]) * len(ids)
    else:
        offset, length = _EXTENT.unpack_from(info, _INFO.size)
        ids, tfs = _read_blocks(terms._postfile.get(offset, length))
    if reader.has_deletions():
        deleted = reader._perdoc.deleted_docs()
        if deleted:
            deleted = frozenset(deleted)
            keep = [i for i, docnum in enumerate(ids) if docnum not in deleted]
            if len(keep) < len(ids):
                ids = array("I", [ids[i] for i in keep])
                tfs = array("f", [tfs[i] for i in keep])
    if not ids:
        return (), ()
    return ids, tfs


def _read_blocks(data: bytes):
    """Every block of a W3 posting list, from its bytes."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise IndexDamagedError("A segment's posting list does not start where its term "
                                "table says. Run `vnsearch check`, then `vnsearch rebuild`.")
    if len(data) >= BULK_FROM and "numpy" in sys.modules:
        found = _read_blocks_in_bulk(data)
        if found is not None:
            return found
    ids, tfs = array("I"), array("f")
    for count, _, head, block, compression in _blocks(data):
        found = _ids_and_weights(head, count)
        if found is None:  # another layout: the whole pickle
            gaps, weights, _ = loads(decompress(block) if compression else block)
            ids.extend(accumulate(gaps))  # whoosh's delta_decode, in C
        else:
            first, gaps, weights = found
            ids.extend(accumulate(gaps, initial=first))
        if weights is None:
            tfs.extend(array("f", [1.0]) * count)
        elif isinstance(weights, float):
            tfs.extend(array("f", [weights]) * count)
        else:
            tfs.extend(weights)
    return ids, tfs


def _blocks(data: bytes):
    """``(count, last id, head, block, compressed)`` of each block of a W3 posting
    list: ``head`` is the start of the block's pickle, inflated only as far as its ids
    and weights go (the positions after them are never needed here)."""
    stream = BytesIO(data)
    unpack_length = _BLOCK_LENGTH.unpack_from
    position = 4
    while True:
        length, = unpack_length(data, position)
        stream.seek(position + 4)
        count, last, _, compression, _, _ = load(stream)  # the block's header
        end = position + 4 + abs(length)
        block = data[stream.tell():end]
        head = (decompressobj().decompress(block, _HEAD + _HEAD_PER_POSTING * count)
                if compression else block)
        yield count, last, head, block, compression
        if length < 0:
            return
        position = end


BULK_FROM = 4096
"""Posting lists of at least this many bytes are decoded with numpy, when a search has
imported it already (a big index's does: see :mod:`vnsearch.topk`)."""
_ONE = b"G" + Struct(">d").pack(1.0)


def _read_blocks_in_bulk(data: bytes):
    """:func:`_read_blocks` with numpy: each block's gaps and weight records are gathered
    as bytes and decoded all at once; None unless every block is in :func:`_layout`."""
    import numpy as np

    firsts, lasts, counts = [], [], []
    gaps, weights = bytearray(), bytearray()
    for count, last, head, _, _ in _blocks(data):
        found = _layout(head, count)
        if found is None:
            return None
        first, block_gaps, block_weights = found
        firsts.append(first)
        lasts.append(last)
        counts.append(count)
        gaps += block_gaps
        if block_weights is None:
            weights += _ONE * count
        elif type(block_weights) is float:
            weights += (b"G" + _DOUBLE.pack(block_weights)) * count
        else:
            weights += block_weights
    total = sum(counts)
    sizes = np.array(counts, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    steps = np.empty(total, dtype=np.int64)
    later = np.ones(total, dtype=bool)
    later[starts] = False
    steps[later] = np.frombuffer(gaps, dtype=np.uint8)
    # A block's first id is absolute: step from the last id of the block before.
    last_ids = np.array(lasts, dtype=np.int64)
    steps[starts] = np.array(firsts, dtype=np.int64) - np.concatenate(([0], last_ids[:-1]))
    ids = np.cumsum(steps)
    if not np.array_equal(ids[starts + sizes - 1], last_ids):  # headers disagree: no
        return None
    records = np.frombuffer(weights, dtype=np.uint8).reshape(total, 9)[:, 1:]
    tfs = np.ascontiguousarray(records).view(">f8").ravel().astype(np.float32)
    return array("I", ids.astype(np.uint32).tobytes()), array("f", tfs.tobytes())


_HEAD = 16
_HEAD_PER_POSTING = 11
"""A block's ids and weights take at most ``_HEAD + _HEAD_PER_POSTING * count`` bytes
of its pickle in the layout :func:`_ids_and_weights` reads."""
_FIRST_ID = {ord("K"): 1, ord("M"): 2, ord("J"): 4}  # BININT1, BININT2, BININT
_FLOATS: dict[int, Struct] = {}


def _layout(head: bytes, count: int):
    """``(first id, later gaps, weights)`` of a block pickled as :mod:`vnsearch.writing`
    writes it, read from the start of its pickle; None for any other layout. The
    weights are None, one float, or the pickle's float records (9 bytes each: ``G``
    and a big-endian double).

    That pickle is protocol 3: MARK, the first id (an int of 1, 2 or 4 bytes), the
    other gaps, TUPLE; then the weights: None, one float, or MARK, a float per posting,
    TUPLE. Only blocks whose gaps all fit in a byte (``K`` and one byte each: common
    terms, the long lists) are read here; the values that follow (positions) never are.
    """
    if head[:3] != b"\x80\x03(" or count < 1:
        return None
    size = _FIRST_ID.get(head[3])
    if size is None:
        return None
    start = 4 + size
    stop = start + 2 * (count - 1)
    if len(head) < stop + 11 or head[stop] != 0x74 \
            or head[start:stop:2] != b"K" * (count - 1):  # "t": TUPLE
        return None
    first = int.from_bytes(head[4:start], "little")
    gaps = head[start + 1:stop:2]
    kind = head[stop + 1]
    if kind == 0x4E:  # "N": None
        return first, gaps, None
    if kind == 0x47:  # "G": one float for the whole block, unless a short tuple
        if head[stop + 10] in b"G\x85\x86\x87":
            return None
        return first, gaps, _DOUBLE.unpack_from(head, stop + 2)[0]
    if kind == 0x28:  # "(": MARK, then a float per posting
        floats = stop + 2
        after = floats + 9 * count
        if len(head) <= after or head[after] != 0x74 \
                or head[floats:after:9] != b"G" * count:
            return None
        return first, gaps, head[floats:after]
    return None


def _ids_and_weights(head: bytes, count: int):
    """``(first id, later gaps, weights)`` of a block as :func:`_layout` reads it, the
    weights None, a float, or a tuple of floats; None for another layout."""
    found = _layout(head, count)
    if found is not None and type(found[2]) is bytes:
        unpack = _FLOATS.get(count)
        if unpack is None:
            unpack = _FLOATS[count] = Struct(">" + "xd" * count)
        return found[0], found[1], unpack.unpack_from(found[2])
    return found


_DOUBLE = Struct(">d")


def _read_by_matcher(reader, field: str, text: str):
    """The same, through Whoosh's matchers (readers of other codecs)."""
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return (), ()
    ids, tfs = array("I"), array("f")
    if isinstance(matcher, W3LeafMatcher):
        while not matcher._atend:
            if matcher._data is None:
                matcher._read_data()
            block_ids, weights = matcher._data[0], matcher._data[1]
            ids.extend(accumulate(block_ids))
            count = matcher._blocklength
            if weights is None:
                tfs.extend([1.0] * count)
            elif isinstance(weights, float):
                tfs.extend([weights] * count)
            else:
                tfs.extend(weights)
            matcher._next_block()
    else:  # inlined, filtered or other postings: the public, slower way
        while matcher.is_active():
            ids.append(matcher.id())
            tfs.append(matcher.weight())
            matcher.next()
    return ids, tfs
