"""Merges that run beside writers and searches, holding the write lock only to swap.

Each commit adds a segment, and :mod:`vnsearch.merging` chooses when segments are
merged into one. A big merge takes long (≈ 10 ms of CPU per article: most of an hour
for 256,000 articles on two cores); done inside a commit, it held the write lock all
that time, and an article added meanwhile waited for it. A merge here works as
Lucene's concurrent merges do:

1. Under a merge lock of its own (one merge at a time per generation: a writer that
   finds it taken leaves merging to its holder), it reads the committed table of
   contents, chooses the segments, and notes which of their documents are deleted.
2. Without the write lock, it writes the merged segment into a hidden folder of the
   generation (``.merge-…``), where the clean-up of unused files that follows every
   commit never looks. Writers commit and searches run meanwhile.
3. Under the write lock, for a moment: documents deleted from the merged segments
   meanwhile are deleted from the new one too (numbered as the merge numbered them),
   its files are renamed into the generation, and a new table of contents names it
   instead of them, beside every segment committed meanwhile.

A merge interrupted or killed before step 3 leaves the index as it was; its folder is
removed by the next merge. Searches read their own committed state throughout.
"""

import os
import shutil
import threading
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

from whoosh.index import TOC, clean_files
from whoosh.reading import SegmentReader

from .committing import interrupts_deferred, write_lock
from .durability import DurableStorage, record_segment_files, sync_folder
from .merging import segments_to_merge

MERGE_LOCK = "MERGELOCK"
"""The merge lock's file in a generation folder (a Whoosh file lock, like the write
lock: the operating system releases it when its holder dies)."""
SCRATCH = ".merge-"
"""Prefix of the hidden folder a merged segment is written into before the swap."""


@dataclass(frozen=True)
class Merged:
    """A merge that was swapped in."""

    documents: int
    """Documents of the merged segment (deleted ones included)."""
    generation: int
    """The generation of the table of contents it replaced (it wrote the next one)."""


def merge_aside(index, *, written=None) -> Merged | None:
    """Merge the segments :mod:`vnsearch.merging` chooses, if any, beside writers.

    ``index`` is a :class:`vnsearch.index.Index`; no other thread may use that object
    meanwhile (a thread of its own opens its own). Returns None when nothing was due,
    another merge was running, or a rebuild replaced the generation meanwhile.
    ``written()``, if given, is called once the merged segment is written, before the
    swap.
    """
    whoosh = index._whoosh
    storage = whoosh.storage
    folder = Path(storage.folder)
    merge_lock = storage.lock(MERGE_LOCK)
    if not merge_lock.acquire():
        return None
    try:
        _remove_scratch(folder)  # left by a merge that was killed
        toc = whoosh._read_toc()
        group = segments_to_merge(toc.segments)
        if not group:
            return None
        scratch = folder / f"{SCRATCH}{os.getpid()}-{threading.get_ident()}"
        try:
            merged, numbering = _write_merged(whoosh, toc, group, scratch)
            if written is not None:
                written()
            return _swap(index, whoosh, group, merged, numbering, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        merge_lock.release()


def merge_while_due(open_index, path, lock_timeout) -> None:
    """What a merging thread runs: merge while merges are due, with an index object of
    its own (``open_index(path)``). A lost merge costs nothing (the index stays as
    committed, and the next commit tries again), so a failure ends the thread."""
    from .errors import VnsearchError
    try:
        with open_index(path) as index:
            index.lock_timeout = lock_timeout
            while merge_aside(index) is not None:
                pass
    except (VnsearchError, OSError):
        pass


class _Scratch:
    """What a Whoosh writer needs of an index, with its files going to a scratch
    folder: the merged segment is written there, the committed state read as it was."""

    def __init__(self, storage, indexname, toc):
        self.storage = storage
        self.indexname = indexname
        self._toc = toc

    def _read_toc(self):
        return self._toc


def _write_merged(whoosh, toc, group, scratch: Path):
    """Write the merged segment of ``group`` into ``scratch``; also, for each merged
    segment, where its documents went: (first new number, documents deleted then)."""
    from .writing import FastSegmentWriter
    scratch.mkdir()
    writer = FastSegmentWriter(_Scratch(DurableStorage(str(scratch)), whoosh.indexname,
                                        toc), _lk=False)
    numbering = {}
    try:
        for segment in group:
            deleted = frozenset(segment.deleted_docs()) if segment.has_deletions() else ()
            numbering[segment.segment_id()] = (writer.docnum, deleted)
            reader = SegmentReader(whoosh.storage, toc.schema, segment)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        merged = writer._finalize_segment()
    finally:
        writer._tempstorage.destroy()
    return merged, numbering


def _swap(index, whoosh, group, merged, numbering, scratch: Path) -> int:
    """Under the write lock: the merged segment replaces ``group`` in a new table of
    contents, with the deletions made meanwhile; None if that cannot be done."""
    lock = write_lock(index)
    try:
        if index._whoosh is not whoosh:
            return None  # a rebuild swapped generations: this one is going away
        storage = whoosh.storage
        current = whoosh._read_toc()
        present = {segment.segment_id(): segment for segment in current.segments}
        if any(segment.segment_id() not in present for segment in group):
            return None  # not ours to replace any more
        for segment in group:
            first, deleted_then = numbering[segment.segment_id()]
            now = present[segment.segment_id()]
            if now.has_deletions():
                gone = sorted(deleted_then)
                for docnum in set(now.deleted_docs()) - set(deleted_then):
                    # The merge dropped the documents deleted then, and kept the order.
                    merged.delete_document(first + docnum - bisect_left(gone, docnum))
        with interrupts_deferred():  # the files and the table of contents, or neither
            for name in os.listdir(scratch):
                if os.path.isfile(scratch / name):
                    os.replace(scratch / name, Path(storage.folder) / name)
            sync_folder(storage.folder)
            merged_ids = {segment.segment_id() for segment in group}
            segments = [s for s in current.segments if s.segment_id() not in merged_ids]
            segments.append(merged)
            record_segment_files(storage, [merged])
            generation = current.generation + 1
            TOC(current.schema, segments, generation).write(storage, whoosh.indexname)
            clean_files(storage, whoosh.indexname, generation, segments)
        return Merged(merged.doc_count_all(), current.generation)
    finally:
        lock.release()


def _remove_scratch(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.name.startswith(SCRATCH) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
