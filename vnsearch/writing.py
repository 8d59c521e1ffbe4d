"""Write Whoosh segments fast: postings kept in flat arrays, sorted and encoded in bulk.

A news article gives ~1,300 postings. Whoosh's own SegmentWriter sends each of them
through a sorting pool (pickled to temporary runs, merged back with heapq), then
through ``FieldWriter.add_postings``, which reads the document's field length from a
column and appends to a block with four asserts, before each term is pickled and
compressed. Per posting, that is most of the cost of indexing.

:class:`FastSegmentWriter` writes segments a Whoosh reader cannot tell apart from its
own writer's (same terms, postings, positions, lengths and statistics; with
:data:`vnsearch.posting_writers.EXACT` set, the very same bytes) and keeps the rest of
Whoosh's writer: the per-document writer (stored fields, columns, lengths),
deletions, ``update_document``, merging of old segments (chosen by
:func:`vnsearch.merging.tiered_merge`) and the atomic commit of a new table of contents. Only the way postings reach the disk changes
(a merged segment's postings are streamed from its files by
:mod:`vnsearch.segment_merge`, not pooled with the new ones):

* ``add_document`` appends a field's postings to flat arrays (term id, document,
  weight, positions) with a few C-level calls, not a Python step per posting;
* at commit, numpy sorts them by term once, and computes every block's statistics
  (gaps between ids, lengths, weights) for all terms at once; field lengths come from
  one array, not a column read per posting;
* block pickles are joined from opcodes computed for all postings at once (Whoosh's
  protocol 2 spends most of its time and bytes on ``bytes`` values; readers take
  any protocol), and only blocks big enough to gain from it are compressed (each
  block records whether it is);
* the term table is written in one go (:class:`vnsearch.posting_writers.TermTableWriter`),
  byte for byte what Whoosh's ``OrderedHashWriter`` writes.

The flat arrays and their encoding live in :mod:`vnsearch.posting_writers`.

Segments keep Whoosh's plain ``W3Codec``, so nothing of this module is pickled into an
index: any Whoosh 2.7.4 reads, merges and optimises what it writes.
"""

import gc
from collections import Counter

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3Segment, _lenfield
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .durability import record_segment_files, sync_folder
from .merging import segments_to_merge, tiered_merge
from .errors import IndexDamagedError
from .pair_counts import (EXTENSION as PAIRS, DamagedTable, PairTable, merged, text_pairs,
                          write_table)
from .posting_writers import BulkFieldWriter, FieldPostings
from .segment_merge import MergeSource, write_merged_fields

COMPOUND = False
"""Assemble each new segment into one compound file, as Whoosh does by default.

Whoosh reads a compound segment by copying each file it opens into memory (a
``BytesIO`` over the mmap): every searcher, and the writer's, holds the whole index in
RAM (news_baomoi: 3.7 GB peak while indexing, against 1.2 GB with separate files) and
pays for the copy when it opens (0.29 s and 336 MB against 0.15 s and 38 MB for a
first search of news_dated). Searches are as fast either way, so vnsearch writes
separate files."""

class _WritingCodec(W3Codec):
    """Whoosh's W3 codec with a bulk field writer, for writing only.

    New segments carry a plain :class:`W3Codec`: that is what their table of contents
    pickles and what reads them back.
    """

    def new_segment(self, storage, indexname):
        return W3Segment(W3Codec(), indexname)

    def field_writer(self, storage, segment):
        return BulkFieldWriter(self, storage, segment)


class FastSegmentWriter(SegmentWriter):
    """A Whoosh ``SegmentWriter`` whose postings skip the sorting pool.

    Use it as Whoosh's writer: ``add_document``, ``update_document``,
    ``delete_by_term``, ``commit`` (merging small segments as Whoosh does) and
    ``cancel``. ``_lk=False`` means the caller already holds the index's write lock.
    A field value may be a :class:`vnsearch.schema.PreparedText` (analysed earlier,
    in another process) or anything the field's own ``index`` method takes.
    """

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("codec", _WritingCodec())
        kwargs.setdefault("compound", COMPOUND)
        super().__init__(ix, **kwargs)
        self._index = ix
        self._takes_lock = kwargs.get("_lk", True)
        self._postings = {}  # fieldname -> FieldPostings
        self._merging = []  # MergeSource of each segment whose postings are streamed
        self._pairs = Counter()  # exact pair (UTF-8) -> occurrences in added documents
        self._pair_sources = []  # (table, pairs of its deleted documents) of merged segments
        self._deletion_searcher = None

    # -- deleting ------------------------------------------------------------------

    def _searcher_for_deletions(self):
        # Whoosh opens a searcher for every update_document and delete_by_term; with
        # compound segments each opening copies the index's files into memory
        # (~80 ms for news_dated). One searcher serves the writer's whole life: its
        # segments are the writer's own, deletions included.
        if self._deletion_searcher is None:
            self._deletion_searcher = self.searcher()
        return self._deletion_searcher

    def update_document(self, **fields):
        self._check_state()
        unique = self._unique_fields(fields)
        if unique:
            searcher = self._searcher_for_deletions()
            for docnum in searcher._find_unique([(name, fields[name]) for name in unique]):
                self.delete_document(docnum)
        self.add_document(**fields)

    def delete_by_query(self, q, searcher=None):
        return super().delete_by_query(q, searcher or self._searcher_for_deletions())

    def _close_deletion_searcher(self):
        if self._deletion_searcher is not None:
            self._deletion_searcher.close()
            self._deletion_searcher = None

    # -- adding --------------------------------------------------------------------

    def add_document(self, **fields):
        self._check_state()
        if self._merging:
            self._pool_merged_segments()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            if field.vector or field.separate_spelling():
                raise NotImplementedError(f"{fieldname}: vectors and spelling words "
                                          f"need Whoosh's own writer")
            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                length = self._invert(fieldname, field, value, docnum, fieldboost)

            customval = fields.get("_stored_%s" % fieldname, value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None,
                                   length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column,
                                              field.to_column_value(customval))
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _field_postings(self, fieldname):
        postings = self._postings.get(fieldname)
        if postings is None:
            postings = self._postings[fieldname] = FieldPostings()
        return postings

    def _invert(self, fieldname, field, value, docnum, fieldboost):
        """Add the postings of one field value; return the field's length."""
        postings = self._field_postings(fieldname)
        prepared = getattr(field, "prepared", None)  # a vnsearch text field
        if prepared is not None:
            value = prepared(value)
        if hasattr(value, "position_lengths"):  # a PreparedText
            postings.add_prepared(docnum, value, fieldboost)
            if value.pairs:
                self._pairs.update(value.pair_list())
            return value.length if field.scorable else 0
        items = list(field.index(value))
        postings.add(docnum, [item[0] for item in items],
                     [item[2] * fieldboost for item in items],
                     [item[3] or b"" for item in items])
        return sum(item[1] for item in items) if field.scorable else 0

    # -- merging -------------------------------------------------------------------

    def add_reader(self, reader):
        """Merge a segment into the new one (what merge policies call).

        Its stored fields, lengths and columns are copied now, by Whoosh's own code
        (fields in name order: Whoosh's set order changes from process to process, and
        with it the bytes of the stored fields); its postings are streamed from its
        files when the new segment is written (:mod:`vnsearch.segment_merge`), in
        memory that does not grow with the segment. A writer that holds postings of
        its own, or a reader that is not a plain segment, pools them, as Whoosh does.
        """
        self._check_state()
        base = self.docnum
        indexed = {name for name in reader.indexed_field_names() if name in self.schema}
        docmap = self.write_per_doc(sorted(set(self.schema.names()) | indexed), reader)
        self._add_pair_source(reader)
        if _streamable(reader) and not self._postings:
            self._merging.append(MergeSource(reader.storage(), reader.segment(), base,
                                             docmap))
        else:
            if self._merging:  # the postings of all must be written together
                self._pool_merged_segments()
            self.add_postings_to_pool(reader, base, docmap)
        self._added = True

    def _add_pair_source(self, reader):
        # The merged segment's pair table, less the pairs of its deleted documents
        # (read again from their stored text: a table keeps counts, not documents).
        segment = getattr(reader, "segment", None)
        if segment is None:
            return
        try:
            table = PairTable.open(reader.storage(), segment())
        except DamagedTable as error:
            raise _damaged(error) from None
        if table is None:
            return
        removed = Counter()
        if reader.has_deletions():
            names = [name for name, field in self.schema.items()
                     if getattr(field, "prepared", None) is not None and field.stored]
            for docnum in segment().deleted_docs():
                stored = reader.stored_fields(docnum)
                removed.update(text_pairs(stored.get(name) for name in names))
        self._pair_sources.append((table, removed))

    def _pool_merged_segments(self):
        # A document added after segments were merged in streaming: its postings and
        # theirs must be written together, so theirs join the pool after all.
        merging, self._merging = self._merging, []
        for source in merging:
            reader = SegmentReader(source.storage, self.schema, source.segment)
            try:
                docmap = None if source.renumber is None else {
                    old: new for old, new in enumerate(source.renumber) if new >= 0}
                self.add_postings_to_pool(reader, source.base, docmap)
            finally:
                reader.close()

    def add_postings_to_pool(self, reader, startdoc, docmap):
        # Merging an old segment in: its postings join the new ones, renumbered. Its
        # documents come after every added one, so each term's postings stay in order.
        schema = self.schema
        for fieldname, text, docnum, weight, vbytes in reader.iter_postings():
            if fieldname in schema:
                newdoc = docmap[docnum] if docmap is not None else startdoc + docnum
                self._field_postings(fieldname).add(newdoc, (text,), (weight,),
                                                    (vbytes or b"",))

    # -- writing -------------------------------------------------------------------

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        try:
            fieldwriter = self.fieldwriter
            if self._merging:
                write_merged_fields(fieldwriter, self.schema, self._merging,
                                    lambda name: _length_bytes(pdr, name, self.docnum))
            for fieldname in sorted(self._postings):
                postings = self._postings.pop(fieldname)
                if fieldname in self.schema and postings.termids:
                    fieldwriter.write_field(fieldname, self.schema[fieldname], postings,
                                            _length_bytes(pdr, fieldname, self.docnum))
            fieldwriter.close()
            self._write_pairs()
        finally:
            pdr.close()
            self._close_pair_sources()
        self._postings = {}
        self._merging = []

    def _write_pairs(self):
        tables = [table for table, _ in self._pair_sources]
        removed = Counter()
        for _, gone in self._pair_sources:
            removed.update(gone)
        try:
            write_table(self.newsegment.create_file(self.storage, PAIRS),
                        merged(tables, self._pairs, removed))
        except DamagedTable as error:
            raise _damaged(error) from None
        self._pairs = Counter()

    def _close_pair_sources(self):
        for table, _ in self._pair_sources:
            table.close()
        self._pair_sources = []

    def commit(self, mergetype=None, optimize=None, merge=None):
        """Write the new segment and make it live; then, unless the caller chose a
        merge policy of its own, merge segments as :mod:`vnsearch.merging` chooses,
        in a second commit: the documents are searchable before the merge starts,
        and a merge never holds them back."""
        own_policy = mergetype is not None or optimize or merge is False
        self._commit(mergetype, optimize, merge if own_policy else False)
        if not own_policy and segments_to_merge(self._index._segments()):
            merger = FastSegmentWriter(self._index, _lk=self._takes_lock)
            merger._commit(tiered_merge, None, None)
            self.generation = merger.generation

    def _commit(self, mergetype, optimize, merge):
        # Writing creates millions of short-lived objects but no cycles: the cyclic
        # collector would only walk the arrays' owners over and over.
        self._close_deletion_searcher()
        enabled = gc.isenabled()
        gc.disable()
        try:
            super().commit(mergetype, optimize, merge)
        finally:
            if enabled:
                gc.enable()

    def _commit_toc(self, segments):
        # The new table of contents records each new segment's files and sizes (so a
        # reader can tell a missing or cut file from a good one), and is written only
        # once the segment files are on disk: their data is synced as each is closed
        # (vnsearch.durability.DurableStorage), their names here.
        record_segment_files(self.storage, segments)
        if hasattr(self.storage, "folder"):
            sync_folder(self.storage.folder)
        super()._commit_toc(segments)

    def cancel(self):
        self._close_deletion_searcher()
        self._postings = {}
        self._merging = []
        self._pairs = Counter()
        self._close_pair_sources()
        super().cancel()


def _damaged(error):
    return IndexDamagedError(f"{error}. Run `vnsearch check`, then `vnsearch rebuild`.")


def _streamable(reader):
    """Whether ``reader``'s postings can be merged by streaming its segment's files."""
    return (isinstance(reader, SegmentReader)
            and type(reader.codec()) in (W3Codec, _WritingCodec))


def _length_bytes(pdr, fieldname, doccount):
    """Each document's length byte for ``fieldname`` (as Whoosh stores it), or None."""
    reader = pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if reader is None:
        return None
    return bytes(reader[docnum] for docnum in range(doccount))
