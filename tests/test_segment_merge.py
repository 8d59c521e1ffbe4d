"""Segments merged by streaming their files are the segments the pool's merge writes.

The same documents, updates and deletions go into two indexes through the public API,
in commits small enough that the tiered policy merges segments (merged ones included)
several times; one index merges by streaming (:mod:`vnsearch.segment_merge`), the other
through the writer's pool, as Whoosh does. Every file of every segment must hold the
same bytes, and searches, phrases, completions, stored documents and term statistics
must come out the same.
"""

import shutil

import pytest
from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from vnsearch import Index, merging, schema, segment_merge, writing
from vnsearch.errors import IndexDamagedError

from test_writing import _contents, _documents, _fields

QUERIES = ["dầu khí", "khai thac dau", "công tác Đảng", '"kế hoạch khai thác"',
           "an toàn OR hiệu quả", "cập nhật số liệu", '"số liệu mới"', "doanh nghiep"]
PREFIXES = ["cong ng", "khai th", "giải ph", "ph"]


@pytest.fixture
def streamed(monkeypatch):
    """Counts the merges that streamed (the real function runs)."""
    calls = []
    real = writing.write_merged_fields

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(writing, "write_merged_fields", counting)
    return calls


def _history(path):
    """Commits of 6, deletions and updates in segments that are merged later: the
    tiered policy merges eight small segments, then that one with seven more."""
    documents = _documents(110, seed=13)
    index = Index.create(path)
    index.commit_every = 6
    index.add(documents[:42])
    index.delete([d["id"] for d in documents[:42:5]])
    index.add([dict(d, body=d["body"] + " Đã cập nhật số liệu mới.")
               for d in documents[1:42:4]])
    index.add(documents[42:])
    index.delete([d["id"] for d in documents[44::9]])
    gone = ({d["id"] for d in documents[:42:5]} - {d["id"] for d in documents[1:42:4]}
            | {d["id"] for d in documents[44::9]})
    return index, documents, gone


def _segment_files(index):
    """Each segment's files (by extension) and live document count, in index order."""
    reader = index._current_searcher().reader()
    found = []
    for leaf, _ in reader.leaf_readers():
        segment, storage = leaf.segment(), leaf.storage()
        prefix = segment.make_filename("")
        files = {}
        for name in storage.list():
            if name.startswith(prefix):
                with storage.open_file(name) as file:
                    files[name[len(prefix):].lstrip(".")] = file.read()
        found.append((segment.doc_count(), segment.doc_count_all(), files))
    return found


def _answers(index, documents):
    hits = {query: [(hit.id, hit.score, hit.snippet, hit.highlights)
                    for hit in index.search(query, limit=30)] for query in QUERIES}
    suggestions = {prefix: index.suggest(prefix) for prefix in PREFIXES}
    stored = [index.get(d["id"]) for d in documents]
    return hits, suggestions, stored


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    """The same history merged by streaming, and through the pool; the merges counted."""
    folder = tmp_path_factory.mktemp("history")
    with pytest.MonkeyPatch.context() as patch:
        calls = []
        real = writing.write_merged_fields
        patch.setattr(writing, "write_merged_fields",
                      lambda *args: calls.append(1) or real(*args))
        fast, documents, gone = _history(folder / "streamed")
        merges = len(calls)
        patch.setattr(writing, "_streamable", lambda reader: False)
        plain, _, _ = _history(folder / "pooled")
        assert merges >= 2 and len(calls) == merges  # the second index never streamed
    return fast, plain, documents, gone


def test_streamed_merges_write_the_bytes_the_pool_writes(both_ways):
    fast, plain, documents, _ = both_ways
    files = _segment_files(fast)
    assert files == _segment_files(plain)
    # the documents deleted before a merge left the index's files
    assert sum(total for _, total, _ in files) < len(documents) + len(documents[1:42:4])
    assert {"pst", "trm", "_body_len.col", "_stored.col"} <= set(files[0][2])


def test_streamed_merges_answer_as_the_pool_merges(both_ways):
    fast, plain, documents, gone = both_ways
    answers = _answers(fast, documents)
    assert answers == _answers(plain, documents)
    hits, suggestions, stored = answers
    assert all(hits.values()) and all(suggestions.values())
    assert [d["id"] for d, found in zip(documents, stored) if found is None] == \
        [d["id"] for d in documents if d["id"] in gone]

    reader, other = fast._current_searcher().reader(), plain._current_searcher().reader()

    def statistics(reader):
        return {term: (reader.doc_frequency(*term), reader.frequency(*term))
                for term in reader.all_terms()}

    assert statistics(reader) == statistics(other)
    for fieldname in ("title", "body"):
        assert reader.field_length(fieldname) == other.field_length(fieldname)
    for term in [("body", "dầu".encode()), ("body", "~dau".encode()), ("id", b"doc-0050")]:
        assert reader.doc_frequency(*term) == other.doc_frequency(*term) > 0
        assert reader.frequency(*term) == other.frequency(*term)


@pytest.fixture(scope="module")
def unmerged(tmp_path_factory):
    """Eight segments of 4, deletions in three of them, not merged yet."""
    folder = tmp_path_factory.mktemp("unmerged") / "index"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema.build_schema())
    documents = _documents(32, seed=17)
    for start in range(0, 32, 4):
        writer = writing.FastSegmentWriter(ix, _lk=False)
        for document in documents[start:start + 4]:
            writer.add_document(**_fields(document))
        writer.commit(merge=False)
    writer = writing.FastSegmentWriter(ix, _lk=False)
    for document in documents[1:12:5]:
        writer.delete_by_term("id", document["id"])
    writer.commit(merge=False)
    return folder


@pytest.mark.parametrize("chunks", [(40, 3)])
def test_chunks_of_a_few_terms_change_no_byte(unmerged, tmp_path, monkeypatch, streamed,
                                              chunks):
    # A merge handed to the writer a few terms (or one) at a time writes the same bytes.
    def merged(name):
        folder = tmp_path / name
        shutil.copytree(unmerged, folder)
        ix = whoosh_index.open_dir(str(folder))
        writing.FastSegmentWriter(ix, _lk=False).commit(mergetype=merging.tiered_merge)
        ix = whoosh_index.open_dir(str(folder))
        (segment,) = ix._segments()
        prefix = segment.make_filename("")
        return {name[len(prefix):]: ix.storage.open_file(name).read()
                for name in ix.storage.list() if name.startswith(prefix)}

    expected = merged("default")
    assert streamed and expected
    monkeypatch.setattr(segment_merge, "CHUNK_POSTINGS", chunks[0])
    monkeypatch.setattr(segment_merge, "CHUNK_TERMS", chunks[1])
    assert merged("small") == expected
    monkeypatch.setattr(writing, "_streamable", lambda reader: False)
    assert merged("pooled") == expected


def test_deleted_documents_leave_the_merged_segment(tmp_path, streamed):
    # Documents deleted before the merge are gone from it, their terms with them.
    documents = _documents(48, seed=21)
    index = Index.create(tmp_path / "index")
    index.commit_every = 6
    index.add(documents[:42])
    doomed = [d["id"] for d in documents[:42:3]]
    index.delete(doomed + ["doc-0041"])
    index.add(documents[42:])  # the eighth segment: the merge
    assert streamed
    reader = index._current_searcher().reader()
    assert sorted(s.doc_count_all() for s in (leaf.segment() for leaf, _ in
                                              reader.leaf_readers())) == [48 - 15]
    assert reader.doc_count() == 48 - 15
    live = {stored["id"] for stored in reader.all_stored_fields()}
    assert live == {d["id"] for d in documents} - set(doomed) - {"doc-0041"}
    assert ("id", doomed[0].encode()) not in reader
    for docnum in range(reader.doc_count_all()):
        assert reader.stored_fields(docnum)["id"] in live


def test_segments_written_by_whoosh_merge_the_same(tmp_path, monkeypatch, streamed):
    # Blocks Whoosh's own writer wrote (protocol 2, all compressed) stream as well.
    monkeypatch.setattr(schema, "POSITIONS_FOR_SYLLABLES_ONLY", False)
    documents = _documents(24, seed=2)
    prepared = [_fields(document) for document in documents]

    def build(folder):
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema.build_schema())
        for start in range(0, len(documents), 3):
            writer = SegmentWriter(ix, _lk=False)
            for fields in prepared[start:start + 3]:
                writer.add_document(**fields)
            writer.commit(merge=False)
        writer = SegmentWriter(ix, _lk=False)
        writer.delete_by_term("id", documents[3]["id"])
        writer.commit(merge=False)
        writing.FastSegmentWriter(ix, _lk=False).commit(mergetype=merging.tiered_merge)
        return whoosh_index.open_dir(str(folder))

    fast = build(tmp_path / "streamed")
    assert streamed
    monkeypatch.setattr(writing, "_streamable", lambda reader: False)
    plain = build(tmp_path / "pooled")
    assert len(fast._segments()) == 1
    assert _contents(fast) == _contents(plain)


def test_documents_added_after_a_streamed_segment_join_the_pool(unmerged, tmp_path,
                                                                monkeypatch):
    # add_reader, then add_document: the streamed segment's postings and the new
    # document's must be written together, and come out as the pool writes them.
    source = whoosh_index.open_dir(str(unmerged))
    extra = _documents(3, seed=23)

    def copied(name):
        folder = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema.build_schema())
        writer = writing.FastSegmentWriter(ix, _lk=False)
        for segment in source._segments()[:3]:
            reader = SegmentReader(source.storage, source.schema, segment)
            writer.add_reader(reader)
            reader.close()
        streaming = bool(writer._merging)
        for document in extra:
            writer.add_document(**_fields(dict(document, id="new-" + document["id"])))
        writer.commit()
        return streaming, _contents(whoosh_index.open_dir(str(folder)))

    streaming, expected = copied("streamed")
    assert streaming
    monkeypatch.setattr(writing, "_streamable", lambda reader: False)
    assert copied("pooled") == (False, expected)
    ((terms, documents, _),) = expected
    assert len(documents) == 3 * (4 - 1) + 3  # each of the three segments lost one


def test_a_damaged_posting_file_stops_the_merge_and_says_what_to_do(unmerged, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(unmerged, folder)
    ix = whoosh_index.open_dir(str(folder))
    posting_file = folder / ix._segments()[0].make_filename(".pst")
    with open(posting_file, "r+b") as file:
        file.write(b"XXXX")  # the first posting list's header
    writer = writing.FastSegmentWriter(ix, _lk=False)
    with pytest.raises(IndexDamagedError, match="vnsearch check"):
        writer.commit(mergetype=merging.tiered_merge)
    assert len(whoosh_index.open_dir(str(folder))._segments()) == 8  # nothing merged


def test_a_segment_that_cannot_stream_sends_the_streamed_ones_to_the_pool(unmerged,
                                                                          tmp_path,
                                                                          monkeypatch):
    # The first segment streams, the second cannot (say, another codec): both are
    # pooled, and the merged segment is the one the pool alone writes.
    source = whoosh_index.open_dir(str(unmerged))

    def merged(name, streamable):
        monkeypatch.setattr(writing, "_streamable", streamable)
        folder = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema.build_schema())
        writer = writing.FastSegmentWriter(ix, _lk=False)
        states = []
        for segment in source._segments()[:2]:
            reader = SegmentReader(source.storage, source.schema, segment)
            writer.add_reader(reader)
            reader.close()
            states.append((bool(writer._merging), bool(writer._postings)))
        writer.commit()
        return states, _contents(whoosh_index.open_dir(str(folder)))

    asked = []
    states, mixed = merged("mixed", lambda reader: not asked.append(1) and len(asked) == 1)
    assert states == [(True, False), (False, True)]
    assert merged("pooled", lambda reader: False)[1] == mixed
