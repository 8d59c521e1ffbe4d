"""Merge whole segments' postings term by term, in memory that does not grow with them.

Whoosh merges a segment by reading it posting by posting (``reader.iter_postings``,
four method calls each) into the writer's pool, where the postings of every merged
segment wait until the new segment is written: ≥ 45 KB of memory per merged news
article, and most of a merge's time. Here the merged segments' term tables are
walked side by side instead (a k-way merge of their sorted keys, field by field),
each term's posting blocks are read, unpickled and renumbered a block at a time, and
the postings of :data:`CHUNK_TERMS` terms at most are handed to the segment writer
(:class:`vnsearch.posting_writers.BulkFieldWriter`) before the next are read. The writer
encodes them as it encodes new postings, so the merged segment holds the very bytes
Whoosh's merge through :class:`vnsearch.writing.FastSegmentWriter`'s pool gives.
The segments' files are read through private attributes of Whoosh's readers (Whoosh
is pinned to 2.7.4; ``tests/test_segment_merge.py`` compares the result with the
pool's, file by file).

Stored fields, field lengths and columns are copied by Whoosh's own per-document code
(a step per document, not per posting); documents deleted in a merged segment are left
out and the others renumbered, as Whoosh does.
"""

import struct
import zlib
from heapq import merge
from io import BytesIO
from itertools import accumulate, compress, repeat
from pickle import load, loads

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filestore import OverlayStorage
from whoosh.reading import SegmentReader
from whoosh.system import pack_ushort

from .errors import IndexDamagedError
from .posting_writers import FieldPostings

CHUNK_POSTINGS = 1 << 19
"""Merged postings gathered before they are written (≈ 60 bytes each while written)."""

CHUNK_TERMS = 1 << 16
"""Merged terms gathered before they are written."""

WINDOW = 1 << 20
"""Bytes of a term table or posting file read at a time."""

_INFO_SIZE = W3TermInfo._struct.size
_EXTENT = struct.Struct("!qi")  # a term info's posting list: offset, length
_INT = struct.Struct("!i")
_LENGTHS = struct.Struct("!ii")  # a term table record's key and value lengths
_DELETED = -1


class MergeSource:
    """A segment being merged: where its documents go in the new segment.

    ``storage`` holds the segment's files (a segment of another index may be merged
    in); ``docmap`` maps each live document of the segment to its new number (None: no
    deletions, document ``n`` becomes ``base + n``), as Whoosh's
    ``SegmentWriter.write_per_doc`` returns it.
    """

    __slots__ = ("storage", "segment", "base", "renumber")

    def __init__(self, storage, segment, base, docmap):
        if isinstance(storage, OverlayStorage):  # a compound segment's reader
            storage = storage.b
        self.storage = storage
        self.segment = segment
        self.base = base
        if docmap is None:
            self.renumber = None
        else:
            renumber = [_DELETED] * segment.doc_count_all()
            for old, new in docmap.items():
                renumber[old] = new
            self.renumber = renumber


def write_merged_fields(fieldwriter, schema, sources, lengths_of):
    """Write the postings of every field of ``sources`` (:class:`MergeSource`, in the
    order their documents were added) through ``fieldwriter``, a
    :class:`vnsearch.posting_writers.BulkFieldWriter`; ``lengths_of(fieldname)`` gives the new
    segment's length bytes for a field, as its ``write_field`` takes them."""
    readers = [SegmentReader(source.storage, schema, source.segment) for source in sources]
    try:
        terms = [reader._terms for reader in readers]
        names = sorted({name for reader in terms for name in reader.indexed_field_names()
                        if name in schema})
        for name in names:
            fieldobj = schema[name]
            lengths = lengths_of(name)
            for postings in merged_postings(name, fieldobj.format.fixed_value_size(),
                                            terms, sources):
                fieldwriter.write_field(name, fieldobj, postings, lengths)
    finally:
        for reader in readers:
            reader.close()


def merged_postings(fieldname, fixed, terms_readers, sources):
    """The postings of ``fieldname`` in all ``terms_readers`` (Whoosh's
    ``W3TermsReader``, one per source), renumbered, as
    :class:`vnsearch.posting_writers.FieldPostings` of consecutive runs of terms: at most
    :data:`CHUNK_TERMS` terms, and about :data:`CHUNK_POSTINGS` postings unless one
    term holds more. Terms left without postings (all in deleted documents) are left
    out. ``fixed`` is the field format's fixed value size."""

    streams = [_field_terms(reader._tindex, reader._fieldmap.get(fieldname), index)
               for index, reader in enumerate(terms_readers)]
    postfiles = [_Window(reader._postfile) for reader in terms_readers]
    chunk = FieldPostings()
    tid = 0
    current = None
    entries = []
    for term, index, value in merge(*streams):
        if term != current:
            if entries:
                if _add_term(chunk, tid, entries, postfiles, sources, fixed):
                    chunk.termids[current] = tid
                    tid += 1
                    if len(chunk.docs) >= CHUNK_POSTINGS or tid >= CHUNK_TERMS:
                        yield chunk
                        chunk = FieldPostings()
                        tid = 0
                entries.clear()
            current = term
        entries.append((index, value))
    if entries and _add_term(chunk, tid, entries, postfiles, sources, fixed):
        chunk.termids[current] = tid
    if chunk.termids:
        yield chunk


class _Window:
    """Reads of a file that mostly move forward, served from one big slice at a time:
    a segment's posting lists are in the order of its term table."""

    __slots__ = ("file", "start", "data")

    def __init__(self, file):
        self.file = file
        self.start = 0
        self.data = b""

    def get(self, offset, length):
        at = offset - self.start
        if at < 0 or at + length > len(self.data):
            self.data = self.file.get(offset, max(WINDOW, length))
            self.start, at = offset, 0
        return self.data[at:at + length]


def _field_terms(table, number, index):
    """``(term, index, term info bytes)`` for the terms of field ``number`` in the
    term table ``table`` (Whoosh's ``OrderedHashReader``), in order, read a window
    at a time rather than three reads per term."""
    if number is None:
        return
    prefix = pack_ushort(number)
    position = table.closest_key_pos(prefix)
    if position is None:
        return
    end = table.endofdata
    dbfile = table.dbfile
    unpack = _LENGTHS.unpack_from
    need = WINDOW
    while position < end:
        data = dbfile.get(position, min(need, end - position))
        limit = len(data)
        at = 0
        while at + 8 <= limit:
            key_length, value_length = unpack(data, at)
            key_end = at + 8 + key_length
            stop = key_end + value_length
            if stop > limit:
                break
            if data[at + 8:at + 10] != prefix:
                return
            yield data[at + 10:key_end], index, data[key_end:stop]
            at = stop
        if at == 0:  # one record longer than a window
            need = 8 + sum(unpack(dbfile.get(position, 8), 0))
        else:
            need = WINDOW
        position += at


def _add_term(chunk, tid, entries, postfiles, sources, fixed):
    """Append one term's postings from each source in ``entries`` to ``chunk``;
    return how many there were (live ones only)."""
    docs = chunk.docs
    weights = chunk.weights
    value_lengths = chunk.value_lengths
    for index, info in entries:
        source = sources[index]
        renumber = source.renumber
        for ids, block_weights, values in _postings(postfiles[index], info, fixed):
            if renumber is None:
                base = source.base
                docs.extend(map(base.__add__, ids) if base else ids)
            else:
                new = list(map(renumber.__getitem__, ids))
                if _DELETED in new:
                    keep = list(map(_DELETED.__ne__, new))
                    new = list(compress(new, keep))
                    block_weights = list(compress(block_weights, keep))
                    values = list(compress(values, keep))
                docs.extend(new)
            weights.extend(block_weights)
            chunk.values += b"".join(values)
            value_lengths.extend(map(len, values))
    added = len(docs) - len(chunk.tids)
    chunk.tids.extend(repeat(tid, added))
    return added


def _postings(postfile, info, fixed):
    """A term's postings block by block, as ``(ids, weights, values)``, from its term
    info bytes: what Whoosh's ``W3LeafMatcher`` reads, without a step per posting."""
    if info[0]:  # inlined into the term info (Whoosh's writer can, ours never does)
        ids, weights, values = loads(info[_INFO_SIZE:])
        return [(list(ids), list(weights), _values(values, len(ids), fixed))]
    offset, length = _EXTENT.unpack_from(info, _INFO_SIZE)
    data = BytesIO(postfile.get(offset, length))
    if data.read(4) != WHOOSH3_HEADER_MAGIC:
        raise IndexDamagedError(f"Segment file {postfile.file._name}: no posting list at "
                                f"byte {offset}. Run `vnsearch check`, then `vnsearch "
                                f"rebuild`.")
    blocks = []
    size = 0
    while size >= 0:
        size = _INT.unpack(data.read(4))[0]
        end = data.tell() + abs(size)
        count, _, _, compressed, _, _ = load(data)
        block = data.read(end - data.tell())
        gaps, weights, values = loads(zlib.decompress(block) if compressed else block)
        if weights is None:
            weights = repeat(1.0, count)
        elif isinstance(weights, float):
            weights = repeat(weights, count)
        blocks.append((accumulate(gaps), weights, _values(values, count, fixed)))
    return blocks


def _values(values, count, fixed):
    """A block's values, one bytes per posting (empty for formats without values)."""
    if fixed is None or fixed < 0:
        if len(values) != count:
            raise IndexDamagedError("A posting block's values do not match its postings. "
                                    "Run `vnsearch check`, then `vnsearch rebuild`.")
        return values
    if fixed == 0:
        return [b""] * count
    return [values[start:start + fixed] for start in range(0, count * fixed, fixed)]
