"""How often each two syllables stand side by side as written: a table per segment.

Accent restoration reads an unaccented query ("cong nghe") by how often the index holds
each accented reading of its syllables next to each other ("công nghệ" against "cộng
nghệ"). It needs those counts only, never which documents hold a pair; yet a news
article has some 700 distinct accented pairs, most of them found in no other article,
and as index terms with posting lists they were 40 % of a segment's bytes (a term-table
row and a posting list, ≈ 200 bytes a pair). Here each segment keeps them as one
sorted table of ``pair -> occurrences`` (titles and bodies together), compressed in
blocks: 4.4 bytes a pair on the news archives (docs/benchmarks.md).

File layout (``<segment>.prs``, one per segment, written once and never changed)::

    blocks      zlib of: count (uint16), counts (count x uint32, little-endian),
                keys (UTF-8 "công nghệ", joined by 0xFF, a byte UTF-8 never uses)
    directory   zlib of: first key of every block, joined by 0xFF
    offsets     (blocks + 1) x uint64, little-endian: where each block starts and the
                directory starts
    trailer     blocks (uint32), pairs (uint64), directory length (uint32), MAGIC

A segment's table counts every document the segment holds, deleted ones included (as
a term's statistics do in Whoosh until a merge); a merge leaves the deleted documents'
pairs out (:func:`merged`), reading them again from their stored text.
"""

import struct
import threading
import zlib
from array import array
from bisect import bisect_right
from collections import Counter
from heapq import merge
from itertools import islice

from .analysis import tally

EXTENSION = ".prs"
"""The suffix of a segment's pair table."""

MAGIC = b"VNPAIRS1"

BLOCK = 512
"""Pairs per compressed block: a lookup inflates one block."""

SEPARATOR = b"\xff"

_TRAILER = struct.Struct("<IQI8s")


class DamagedTable(ValueError):
    """A pair table that cannot be read: the index that holds it is damaged (the
    index's readers turn this into :class:`vnsearch.errors.IndexDamagedError`, naming
    the index and what to do)."""


_COUNT = struct.Struct("<H")


def write_table(file, items) -> int:
    """Write ``items``, ``(key, count)`` pairs sorted by key (UTF-8 bytes, each key
    once, counts > 0), as a pair table to ``file`` (a Whoosh ``StructFile`` or any
    binary file), and close it; return how many pairs it holds."""
    offsets = array("Q")
    firsts = []
    position = 0
    total = 0
    items = iter(items)
    while True:
        block = list(islice(items, BLOCK))
        if not block:
            break
        keys, counts = zip(*block)
        offsets.append(position)
        firsts.append(keys[0])
        raw = (_COUNT.pack(len(keys)) + _little(array("I", counts)).tobytes()
               + SEPARATOR.join(keys))
        data = zlib.compress(raw, 6)
        file.write(data)
        position += len(data)
        total += len(keys)
    offsets.append(position)
    directory = zlib.compress(SEPARATOR.join(firsts), 6)
    file.write(directory)
    file.write(_little(offsets).tobytes())
    file.write(_TRAILER.pack(len(firsts), total, len(directory), MAGIC))
    file.close()
    return total


def _little(values: array) -> array:
    if array("H", [1]).tobytes()[0] != 1:  # a big-endian machine
        values = array(values.typecode, values)
        values.byteswap()
    return values


class PairTable:
    """A segment's pair table, read a block at a time.

    >>> table.count("công nghệ")   # doctest: +SKIP
    12
    """

    CACHED_BLOCKS = 32
    """Inflated blocks kept per table: a query's pairs fall in a few of them."""

    def __init__(self, file, name: str = "pair table"):
        self._file = file
        self._name = name
        self._lock = threading.Lock()
        try:
            file.seek(0, 2)
            size = file.tell()
            if size < _TRAILER.size:
                raise ValueError("too short")
            file.seek(size - _TRAILER.size)
            blocks, self.pairs, directory_length, magic = _TRAILER.unpack(
                file.read(_TRAILER.size))
            if magic != MAGIC:
                raise ValueError("not a pair table")
            offsets_at = size - _TRAILER.size - 8 * (blocks + 1)
            file.seek(offsets_at - directory_length)
            directory = zlib.decompress(file.read(directory_length))
            offsets = array("Q")
            offsets.frombytes(file.read(8 * (blocks + 1)))
            self._offsets = _little(offsets)
            self._firsts = directory.split(SEPARATOR) if blocks else []
            if len(self._firsts) != blocks or len(self._offsets) != blocks + 1:
                raise ValueError("its directory does not match its blocks")
        except (ValueError, struct.error, zlib.error) as error:
            file.close()
            raise DamagedTable(f"{name} cannot be read ({error})") from None
        self._blocks: dict[int, dict[bytes, int]] = {}

    @classmethod
    def open(cls, storage, segment) -> "PairTable | None":
        """The table of ``segment`` in Whoosh ``storage``; None when it has none (a
        segment written by Whoosh's own writer)."""
        name = segment.make_filename(EXTENSION)
        if not storage.file_exists(name):
            return None
        return cls(storage.open_file(name), name)

    def count(self, pair: str) -> int:
        """How often the two syllables of ``pair`` ("công nghệ") stand side by side."""
        key = pair.encode("utf-8")
        number = bisect_right(self._firsts, key) - 1
        if number < 0:
            return 0
        return self._block(number).get(key, 0)

    def items(self):
        """Every ``(key, count)`` in key order, keys as UTF-8 bytes."""
        for number in range(len(self._firsts)):
            keys, counts = self._read(number)
            yield from zip(keys, counts)

    def _block(self, number: int) -> dict[bytes, int]:
        block = self._blocks.get(number)
        if block is None:
            keys, counts = self._read(number)
            block = dict(zip(keys, counts))
            with self._lock:  # searches in threads share a table
                if len(self._blocks) >= self.CACHED_BLOCKS:
                    self._blocks.pop(next(iter(self._blocks)))
                self._blocks[number] = block
        return block

    def _read(self, number: int):
        start, stop = self._offsets[number], self._offsets[number + 1]
        with self._lock:
            self._file.seek(start)
            data = self._file.read(stop - start)
        try:
            raw = zlib.decompress(data)
            count = _COUNT.unpack_from(raw)[0]
            counts = array("I")
            counts.frombytes(raw[2:2 + 4 * count])
            keys = raw[2 + 4 * count:].split(SEPARATOR)
            if len(keys) != count:
                raise ValueError("a block's keys and counts differ")
        except (ValueError, struct.error, zlib.error) as error:
            raise DamagedTable(f"{self._name} cannot be read ({error})") from None
        return keys, _little(counts)

    def close(self) -> None:
        self._file.close()


def merged(tables, extra: Counter | None = None, removed: Counter | None = None):
    """The sorted ``(key, count)`` items of ``tables`` (:class:`PairTable` or sorted
    iterables of items) and of ``extra`` (key -> count) added together, less
    ``removed`` (the pairs of deleted documents); pairs left with no count are dropped."""
    streams = [table.items() if isinstance(table, PairTable) else table
               for table in tables]
    if extra:
        streams.append(sorted(extra.items()))
    if not removed and len(streams) <= 1:  # a new segment: nothing to add up
        yield from streams[0] if streams else ()
        return
    removed = removed or {}
    # Each stream is sorted, each key once in it: equal keys come together, and a
    # tuple compares by its key first.
    previous, total = None, 0
    for key, count in merge(*streams):
        if key == previous:
            total += count
            continue
        if previous is not None:
            total -= removed.get(previous, 0)
            if total > 0:
                yield previous, total
        previous, total = key, count
    if previous is not None:
        total -= removed.get(previous, 0)
        if total > 0:
            yield previous, total


def text_pairs(texts) -> Counter:
    """The exact pairs of ``texts`` with their occurrences, keyed as a table keys them
    (UTF-8): what indexing the texts added to a table."""
    found: Counter = Counter()
    for text in texts:
        if text:
            found.update(map(str.encode, tally(text)[2]))
    return found


class IndexPairs:
    """Pair counts over the segments of ``leaves``, ``(reader, offset)`` as Whoosh's
    ``leaf_readers()`` gives them."""

    def __init__(self, leaves):
        self._tables = []
        for leaf, _ in leaves:
            segment = getattr(leaf, "segment", None)
            if segment is None:
                continue
            table = PairTable.open(leaf.storage(), segment())
            if table is not None:
                self._tables.append(table)
        self._counts: dict[str, int] = {}

    def count(self, left: str, right: str) -> int:
        """How often ``left right`` (exact syllables) stand side by side in the index,
        in titles and bodies, deleted documents not yet merged away included."""
        pair = f"{left} {right}"
        found = self._counts.get(pair)
        if found is None:
            if len(self._counts) > 100_000:
                self._counts.clear()
            found = self._counts[pair] = sum(table.count(pair) for table in self._tables)
        return found

    def close(self) -> None:
        for table in self._tables:
            table.close()
        self._tables = []
