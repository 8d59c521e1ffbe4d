"""Postings on disk: a field's postings in flat arrays, written as W3 posting blocks
and a term table in bulk.

:class:`FieldPostings` gathers a field's postings (term id, document, weight,
positions) in flat arrays; :class:`Blocks` sorts them by term once and computes every
block's statistics for all terms at once; :class:`BulkFieldWriter` writes the blocks
(pickles joined from opcodes computed for all postings at once, framing and term
statistics as Whoosh writes them) and :class:`TermTableWriter` the term table, byte for
byte what Whoosh's ``OrderedHashWriter`` writes. Whoosh's ``W3Codec`` reads all of it.

Used by :mod:`vnsearch.writing` (new segments) and :mod:`vnsearch.segment_merge`
(merged ones); it imports neither.
"""

import zlib
from array import array
from hashlib import md5
from itertools import accumulate, chain, count, repeat
from operator import add, itemgetter, methodcaller
from pickle import dumps

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter, _lengths, _pointer
from whoosh.system import pack_int, pack_long, pack_ushort


BLOCK_LIMIT = 128
"""Postings per block, as Whoosh's W3Codec writes them (skipping works per block)."""

COMPRESSION = 3
"""zlib level of compressed posting blocks, as Whoosh's default."""

COMPRESS_FROM = 400
"""Blocks whose pickle is shorter are stored uncompressed: zlib would gain a few bytes
for a fixed ~5 µs each (0 compresses every block, as Whoosh)."""

EXACT = False
"""Write posting blocks byte for byte as Whoosh's writer does (pickle protocol 2,
every block compressed). Off, blocks are pickle protocol 3 assembled from opcodes
computed for all postings at once: Whoosh's protocol 2 pickles each ``bytes`` value
as a call to ``_codecs.encode``, ten times slower to write and to read back, and
twice the size. Both read back to the same tuples; the tests compare the two."""

_TERMINFO = W3TermInfo._struct


class FieldPostings:
    """One field's postings in a segment being written, as flat arrays.

    Posting ``i`` is document ``docs[i]`` holding term ``tids[i]`` with weight
    ``weights[i]`` and encoded positions ``values[offset:offset + value_lengths[i]]``.
    Ids come from a counter shared by all lookups (``termids.setdefault(term,
    next(ids))``), so they are unique but not consecutive; that keeps the whole
    addition in C.
    """

    __slots__ = ("termids", "ids", "tids", "docs", "weights", "values", "value_lengths")

    def __init__(self):
        self.termids = {}
        self.ids = count()
        self.tids = array("i")
        self.docs = array("i")
        self.weights = array("d")
        self.values = bytearray()
        self.value_lengths = array("I")

    def add(self, docnum, terms, weights, values):
        """Add one document's postings: parallel sequences of terms, weights, values."""
        self.tids.extend(map(self.termids.setdefault, terms, self.ids))
        self.docs.extend(repeat(docnum, len(terms)))
        self.weights.extend(weights)
        self.values += b"".join(values)
        self.value_lengths.extend(map(len, values))

    def add_prepared(self, docnum, prepared, boost=1.0):
        """Add the postings of a :class:`vnsearch.schema.PreparedText`."""
        frequencies = prepared.frequencies
        if not frequencies:
            return
        self.tids.extend(map(self.termids.setdefault, prepared.term_list(), self.ids))
        self.docs.extend(repeat(docnum, len(frequencies)))
        if boost == 1.0:
            self.weights.extend(array("d", frequencies))
        else:
            self.weights.extend(array("d", (f * boost for f in frequencies)))
        self.values += prepared.positions
        self.value_lengths.extend(prepared.position_lengths)


class Blocks:
    """The posting blocks of a field, every statistic computed for all blocks at once.

    Postings are sorted by term, then document. Block ``b`` holds sorted postings
    ``starts[b]:ends[b]``; a term's blocks are consecutive, ``nblocks[rank]`` of them.
    Every figure stays a numpy array, to be turned into lists a slice at a time (per
    term and per block: a chunk of terms, see ``_write_blocks``; per posting:
    :meth:`postings`), which bounds the memory they take.
    """

    def __init__(self, postings, terms, lengths):
        termids = postings.termids
        tids = np.frombuffer(postings.tids, dtype=np.int32)
        # Rank of each term id in byte order: the order of the term table.
        ranked_ids = np.fromiter(map(termids.__getitem__, terms), dtype=np.int64,
                                 count=len(terms))
        rank_of_id = np.empty(int(ranked_ids.max()) + 1, dtype=np.int32)
        rank_of_id[ranked_ids] = np.arange(len(terms), dtype=np.int32)
        ranks = rank_of_id[tids]
        del rank_of_id, tids, ranked_ids
        postings.tids = None
        order = np.argsort(ranks, kind="stable")  # stable: documents stay in order
        counts = np.bincount(ranks, minlength=len(terms))
        del ranks
        docs = np.frombuffer(postings.docs, dtype=np.int32)[order]
        postings.docs = None
        weights = np.frombuffer(postings.weights, dtype=np.float64)[order]
        postings.weights = None
        value_lengths = np.frombuffer(postings.value_lengths, dtype=np.uint32)
        value_starts = np.cumsum(value_lengths, dtype=np.int64)
        value_starts -= value_lengths
        self.value_starts = value_starts[order]
        self.value_lengths = value_lengths[order]
        postings.value_lengths = None
        del order, value_lengths, value_starts

        term_starts = np.cumsum(counts) - counts
        nblocks = (counts + (BLOCK_LIMIT - 1)) // BLOCK_LIMIT
        block_term = np.repeat(np.arange(len(terms)), nblocks)
        first_block = np.cumsum(nblocks) - nblocks
        starts = (term_starts[block_term]
                  + (np.arange(len(block_term)) - first_block[block_term]) * BLOCK_LIMIT)
        ends = np.minimum(starts + BLOCK_LIMIT, (term_starts + counts)[block_term])
        del block_term, first_block

        gaps = np.empty_like(docs)  # whoosh.util.numlists.delta_encode, block by block
        gaps[0] = docs[0]
        np.subtract(docs[1:], docs[:-1], out=gaps[1:])
        gaps[starts] = docs[starts]
        self.gaps = gaps
        if lengths is None:
            length_bytes = np.zeros(len(docs), dtype=np.uint8)
        else:
            length_bytes = np.frombuffer(lengths, dtype=np.uint8)[docs]
        # Whoosh keeps block weights as float32 ("f" arrays) but the maximum as given.
        weights32 = weights.astype(np.float32)
        self.weights32 = weights32
        self.max_weight = np.maximum.reduceat(weights, starts)
        del weights

        self.counts = counts
        self.nblocks = nblocks
        self.starts = starts
        self.ends = ends
        self.first_doc = docs[term_starts]
        self.last_doc = docs[ends - 1]
        self.min_length = np.minimum.reduceat(length_bytes, starts)
        self.max_length = np.maximum.reduceat(length_bytes, starts)
        self.min_weight32 = np.minimum.reduceat(weights32, starts)
        self.max_weight32 = np.maximum.reduceat(weights32, starts)

    def postings(self, first, stop):
        """Gaps, value starts and value ends of sorted postings ``first:stop``, as lists."""
        value_starts = self.value_starts[first:stop]
        return (self.gaps[first:stop].tolist(), value_starts.tolist(),
                (value_starts + self.value_lengths[first:stop]).tolist())

    def pickled(self, first, stop, values):
        """Sorted postings ``first:stop`` as pickle opcodes, ready to join into blocks.

        Returns ``(ids, id_offsets, values, value_offsets)``: the gaps as pickled ints,
        one after another, and the positions as pickled bytes (empty ones too, unlike
        Whoosh, which leaves them out: the terms stored without positions, see
        :func:`vnsearch.schema.prepare`, must read back as ``b""``, not shift their
        block's values); posting ``i``'s opcodes are
        ``ids[id_offsets[i]:id_offsets[i + 1]]``, and likewise for values. numpy
        builds them byte by byte: a bytes object per posting would cost more.
        """
        gaps = self.gaps[first:stop].astype(np.int64)
        # BININT1 "K" + 1 byte, BININT2 "M" + 2, BININT "J" + 4 (little-endian).
        sizes = np.where(gaps < 256, 2, np.where(gaps < 65536, 3, 5))
        ends = np.cumsum(sizes)
        starts = ends - sizes
        out = np.empty(int(ends[-1]), dtype=np.uint8)
        out[starts] = np.where(sizes == 2, ord("K"), np.where(sizes == 3, ord("M"),
                                                               ord("J")))
        for byte in range(4):
            has = sizes > byte + 1
            out[starts[has] + 1 + byte] = (gaps[has] >> (8 * byte)) & 255
        ids = out.tobytes()
        id_offsets = np.concatenate(([0], ends)).tolist()

        # SHORT_BINBYTES "C" + 1-byte size, or BINBYTES "B" + 4-byte size, then the bytes.
        value_starts = self.value_starts[first:stop]
        lengths = self.value_lengths[first:stop].astype(np.int64)
        heads = np.where(lengths < 256, 2, 5)
        ends = np.cumsum(heads + lengths)
        starts = ends - heads - lengths
        out = np.empty(int(ends[-1]), dtype=np.uint8)
        shown = heads > 0
        out[starts[shown]] = np.where(lengths[shown] < 256, ord("C"), ord("B"))
        for byte in range(4):
            has = heads > byte + 1 if byte else shown
            out[starts[has] + 1 + byte] = (lengths[has] >> (8 * byte)) & 255
        total = int(lengths.sum())
        if total:
            before = np.cumsum(lengths) - lengths  # each value's start among all values
            step = np.arange(total, dtype=np.int64)
            source = np.frombuffer(values, dtype=np.uint8)
            out[np.repeat(starts + heads - before, lengths) + step] = \
                source[np.repeat(value_starts - before, lengths) + step]
        value_offsets = np.concatenate(([0], ends)).tolist()
        return ids, id_offsets, out.tobytes(), value_offsets


_CHUNK = 1 << 18
"""Sorted postings turned into pickle opcodes at a time while writing a field."""

TERM_CHUNK = 1 << 16
"""Terms whose blocks are written, and whose infos are added to the term table, at a time."""


class BulkFieldWriter(W3FieldWriter):
    """Writes whole fields of postings in W3's on-disk format."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._tindex.__class__ = TermTableWriter  # the same state, with bulk methods

    def write_field(self, fieldname, fieldobj, postings, lengths):
        """Write a field's :class:`FieldPostings`.

        ``lengths`` holds each document's length byte, or is None for an unscored
        field. Blocks, statistics and term table are what Whoosh's ``W3FieldWriter``
        and ``W3PostingsWriter`` write for the same postings.
        """
        fieldmap = self._fieldmap
        prefix = pack_ushort(fieldmap.setdefault(fieldname, len(fieldmap)))
        fixed = fieldobj.format.fixed_value_size()
        terms = sorted(postings.termids)
        blocks = Blocks(postings, terms, lengths)
        values = postings.values
        del postings
        if EXACT or (fixed or 0) > 0:
            chunks = self._write_blocks_pickled(blocks, len(terms), bytes(values), fixed)
        else:
            chunks = self._write_blocks_assembled(blocks, len(terms), values, fixed == 0)
        first = 0
        for infos in chunks:
            self._tindex.add_sorted([prefix + term for term in terms[first:first + len(infos)]],
                                    infos)
            first += len(infos)

    def _write_blocks_assembled(self, blocks, nterms, values, no_values):
        """Write every term's blocks, their pickles joined from ready-made opcodes.

        A block pickle is ``(gaps, weights, values)``, written here as protocol 3
        opcodes: mark, the ints, tuple; the weights; mark, the bytes, tuple; tuple3.
        """
        join = b"".join

        def load(base, stop):
            return blocks.pickled(base, stop, values)

        def encode(chunk, a, b, weights):
            ids, id_offsets, vals, val_offsets = chunk
            mini = b"N" if weights is None else dumps(weights, 3)[2:-1]
            return join((b"\x80\x03(", ids[id_offsets[a]:id_offsets[b]], b"t", mini,
                         b"N" if no_values else
                         join((b"(", vals[val_offsets[a]:val_offsets[b]], b"t")),
                         b"\x87."))

        return self._write_blocks(blocks, nterms, load, encode, 2, COMPRESS_FROM)

    def _write_blocks_pickled(self, blocks, nterms, values, fixed):
        """Write every term's blocks with ``pickle.dumps``, exactly as Whoosh does when
        :data:`EXACT` (protocol 2, every block compressed)."""
        keep_values = fixed is None or fixed < 0
        protocol = 2 if EXACT else 4
        slice_values = values.__getitem__

        def encode(chunk, a, b, weights):
            gaps, value_starts, value_ends = chunk
            pieces = map(slice_values, map(slice, value_starts[a:b], value_ends[a:b]))
            if keep_values:
                vs = tuple(filter(None, pieces))
            elif fixed == 0:
                vs = None
            else:
                vs = b"".join(pieces)
            return dumps((tuple(gaps[a:b]), weights, vs), protocol)

        return self._write_blocks(blocks, nterms, blocks.postings, encode, protocol,
                                  0 if EXACT else COMPRESS_FROM)

    def _write_blocks(self, blocks, nterms, load, encode, protocol, compress_from):
        """Write every term's posting blocks; yield their packed term infos, a list for
        each :data:`TERM_CHUNK` terms in turn.

        ``load(base, stop)`` prepares the sorted postings base:stop in whatever form
        ``encode(chunk, a, b, weights)`` turns into one block's data (a, b relative to
        base; weights None when all are 1.0). The framing around each block (length,
        info tuple, compression) and the term's statistics are Whoosh's. Per-term and
        per-block figures become Python lists a chunk of terms at a time: a segment of
        news holds millions of distinct terms (pairs, mostly), and a list of them all
        would take gigabytes.
        """
        weights32 = blocks.weights32
        postfile = self._postfile
        offset = postfile.tell()
        compress = zlib.compress
        level = COMPRESSION
        pack_info = _TERMINFO.pack
        total = len(blocks.gaps)
        first_blocks = np.concatenate(([0], np.cumsum(blocks.nblocks)))
        chunks = []
        base = stop = 0  # the sorted postings loaded in ``chunk``: base:stop
        chunk = None
        for first_rank in range(0, nterms, TERM_CHUNK):
            last_rank = min(nterms, first_rank + TERM_CHUNK)
            counts = blocks.counts[first_rank:last_rank].tolist()
            nblocks = blocks.nblocks[first_rank:last_rank].tolist()
            first_doc = blocks.first_doc[first_rank:last_rank].tolist()
            span = slice(int(first_blocks[first_rank]), int(first_blocks[last_rank]))
            starts, ends = blocks.starts[span].tolist(), blocks.ends[span].tolist()
            last_doc = blocks.last_doc[span].tolist()
            min_length = blocks.min_length[span].tolist()
            max_length = blocks.max_length[span].tolist()
            max_weight = blocks.max_weight[span].tolist()
            min_weight32 = blocks.min_weight32[span].tolist()
            max_weight32 = blocks.max_weight32[span].tolist()
            infos = []
            block = 0
            for rank in range(last_rank - first_rank):
                last_block = block + nblocks[rank] - 1
                if ends[last_block] > stop:
                    base = starts[block]
                    stop = max(ends[last_block], min(base + _CHUNK, total))
                    chunk = load(base, stop)
                    postfile.write(b"".join(chunks))
                    chunks.clear()
                start = offset
                chunks.append(WHOOSH3_HEADER_MAGIC)
                offset += 4
                total_weight = 0.0
                term_max_weight = 0.0
                term_min_length = 255
                term_max_length = 0
                while True:
                    a, b = starts[block], ends[block]
                    n = b - a
                    low, high = min_weight32[block], max_weight32[block]
                    if low == high == 1.0:
                        weights = None
                        total_weight += n
                    else:
                        floats = weights32[a:b].tolist()
                        total_weight += sum(floats)
                        weights = floats[0] if low == high else tuple(floats)
                    data = encode(chunk, a - base, b - base, weights)
                    comp = 0
                    if len(data) >= compress_from:
                        comp = level
                        data = compress(data, level)
                    lo, hi = min_length[block], max_length[block]
                    top = max_weight[block]
                    info = dumps((n, last_doc[block], top, comp, lo, hi), protocol)
                    size = len(info) + len(data)
                    chunks.append(pack_int(-size if block == last_block else size))
                    chunks.append(info)
                    chunks.append(data)
                    offset += 4 + size
                    if top > term_max_weight:
                        term_max_weight = top
                    if lo < term_min_length:
                        term_min_length = lo
                    if hi > term_max_length:
                        term_max_length = hi
                    if block == last_block:
                        break
                    block += 1
                infos.append(pack_info(0, total_weight, counts[rank], term_min_length,
                                       term_max_length, term_max_weight, first_doc[rank],
                                       last_doc[block])
                             + pack_long(start) + pack_int(offset - start))
                block += 1
            postfile.write(b"".join(chunks))
            chunks.clear()
            yield infos


class TermTableWriter(OrderedHashWriter):
    """Whoosh's ordered hash file (the term table), with keys added in bulk.

    Whoosh keeps a ``(hash, position)`` tuple per key until the file is closed (≈ 130
    bytes each: a merged segment of news holds millions of distinct terms); here they
    wait in two arrays per hash bucket, 12 bytes a key, and the hash tables written at
    the end are the same.
    """

    def add_sorted(self, keys, values):
        """Add increasing ``keys`` with their ``values``; same bytes as ``add`` each."""
        if not keys:
            return
        if keys[0] <= self.lastkey:
            raise ValueError("Keys must increase: %r..%r" % (self.lastkey, keys[0]))
        dbfile = self.dbfile
        key_lengths = list(map(len, keys))
        value_lengths = list(map(len, values))
        positions = list(accumulate(map(add, map(add, key_lengths, value_lengths),
                                        repeat(_lengths.size)), initial=dbfile.tell()))
        positions.pop()
        # filetables.md5_hash: the last four bytes of the MD5 digest, as an int.
        hashes = np.frombuffer(b"".join(map(itemgetter(slice(12, None)),
                                            map(methodcaller("digest"), map(md5, keys)))),
                               dtype=">u4").astype(np.uint32)
        if not isinstance(self.buckets[0], tuple):
            self.buckets = [(array("I"), array("q")) for _ in range(256)]
        # Each bucket's keys stay in the order they were added: it decides their slots.
        bucket = (hashes & 255).astype(np.uint8)
        order = np.argsort(bucket, kind="stable")
        hashes = hashes[order].tolist()
        ordered = np.array(positions, dtype=np.int64)[order].tolist()
        start = 0
        for number, end in enumerate(np.cumsum(np.bincount(bucket, minlength=256)).tolist()):
            if end > start:
                bucket_hashes, bucket_positions = self.buckets[number]
                bucket_hashes.extend(hashes[start:end])
                bucket_positions.extend(ordered[start:end])
                start = end
        index = self.index
        try:
            array(index.typecode, positions[-1:])
        except OverflowError:
            index._retype(positions[-1])
        index.array.extend(positions)
        dbfile.write(b"".join(chain.from_iterable(
            zip(map(_lengths.pack, key_lengths, value_lengths), keys, values))))
        self.lastkey = keys[-1]

    def add(self, key, value):
        self.add_sorted([key], [value])

    def close(self):
        try:
            return super().close()
        finally:
            self.buckets = self.index = None  # a committed writer may linger a while

    def _write_hashes(self):
        dbfile = self.dbfile
        pos = dbfile.tell()
        pack = _pointer.pack
        null = pack(0, 0)
        for number, entries in enumerate(self.buckets):
            if not isinstance(entries, tuple):  # no key added
                entries = (array("I"), array("q"))
            hashes, positions = entries
            numslots = 2 * len(hashes)
            self.directory.append((pos, numslots))
            table = [None] * numslots
            for hashval, position in zip(hashes, positions):
                slot = (hashval >> 8) % numslots
                while table[slot] is not None:
                    slot = (slot + 1) % numslots
                table[slot] = pack(hashval, position)
            self.buckets[number] = None
            data = b"".join(null if entry is None else entry for entry in table)
            dbfile.write(data)
            pos += len(data)
