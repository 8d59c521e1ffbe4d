"""Posting lists read in bulk from a segment's files match Whoosh's matchers, on
segments written by vnsearch (both layouts) and by Whoosh's own writer."""

import pytest
from whoosh.codec.whoosh3 import W3Codec, W3TermInfo
from whoosh.writing import SegmentWriter

import vnsearch.postings as postings
from vnsearch import posting_writers, schema
from vnsearch.postings import read_postings

from test_writing import _build, _documents, _fast_writer


def _public(reader, field, text):
    """``[(id, weight)]`` through Whoosh's matcher (deleted documents left out)."""
    found = []
    matcher = reader.postings(field, text)
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight()))
        matcher.next()
    return found


def _every_term(ix):
    """``{(segment, field, text): [(id, weight)]}`` through Whoosh, of every term found
    in three documents or more, and of one in ten of the others."""
    top = ix.reader()
    return {(number, field, text): _public(reader, field, text)
            for number, (reader, _) in enumerate(top.leaf_readers())
            for rank, (field, text) in enumerate(reader.all_terms())
            if field in ("title", "body")
            and (rank % 10 == 0 or reader.doc_frequency(field, text) >= 3)}


def _check_every_term(ix, expected=None):
    """Compare every term of every segment; return how many were compared."""
    expected = expected or _every_term(ix)
    for number, (reader, _) in enumerate(ix.reader().leaf_readers()):
        for (segment, field, text), found in expected.items():
            if segment == number:
                ids, tfs = read_postings(reader, field, text)
                assert list(zip(ids, tfs)) == found, (field, text)
        assert read_postings(reader, "body", "không có từ này") == ((), ())
    return len(expected)


@pytest.fixture(scope="module")
def documents():
    return _documents(300, seed=11)


@pytest.fixture
def counting(monkeypatch):
    """How often a block was read by the fast layout reader, and by the whole pickle."""
    counts = {"fast": 0, "pickle": 0, "bulk": 0}
    read, bulk = postings._layout, postings._read_blocks_in_bulk

    def counted(head, count):
        found = read(head, count)
        counts["fast" if found is not None else "pickle"] += 1
        return found

    def counted_bulk(data):
        found = bulk(data)
        counts["bulk"] += found is not None
        return found

    monkeypatch.setattr(postings, "_layout", counted)
    monkeypatch.setattr(postings, "_read_blocks_in_bulk", counted_bulk)
    return counts


@pytest.mark.parametrize("exact", [False, True])
def test_segments_of_several_commits_with_deletions(documents, tmp_path, monkeypatch,
                                                     counting, exact):
    import numpy  # noqa: F401 (lists are decoded with numpy only once it is imported)

    monkeypatch.setattr(posting_writers, "EXACT", exact)
    ix = _build(tmp_path / "index", documents, _fast_writer, commit_every=200,
                merge=False)  # lists of up to 200 postings: two blocks
    writer = ix.writer()
    for number in range(0, 300, 7):
        writer.delete_by_term("id", f"doc-{number:04d}")
    writer.commit(merge=False)
    assert len(ix._segments()) == 2 and ix.reader().has_deletions()
    expected = _every_term(ix)
    assert max(map(len, expected.values())) > 128
    for bulk_from in (0, 10**9):  # every list with numpy, then block by block
        monkeypatch.setattr(postings, "BULK_FROM", bulk_from)
        counting.update(fast=0, pickle=0, bulk=0)
        assert _check_every_term(ix, expected) > 1000
        if exact:  # Whoosh's layout: every block through the pickle
            assert counting["fast"] == 0 and counting["pickle"] > 100
        else:  # long lists (small gaps) read without unpickling, the rest unpickled
            assert counting["fast"] > 50 and counting["pickle"] > 50
            assert (counting["bulk"] > 50) == (bulk_from == 0)


def _inlining_whoosh_writer(ix):
    """Whoosh's writer, inlining lists of up to three postings into the term table."""
    return SegmentWriter(ix, _lk=False, codec=W3Codec(inlinelimit=4))


def test_segments_of_whooshs_own_writer(documents, tmp_path, monkeypatch, counting):
    # Whoosh leaves empty values out of blocks: give every term its positions.
    monkeypatch.setattr(schema, "POSITIONS_FOR_SYLLABLES_ONLY", False)
    # Whoosh 2.7.4 calls a method of another name when it inlines short lists.
    monkeypatch.setattr(W3TermInfo, "set_inline", W3TermInfo.set_inlined, raising=False)
    ix = _build(tmp_path / "index", documents[:200], _inlining_whoosh_writer,
                commit_every=150, merge=False)
    top = ix.reader()
    inlined = sum(reader.term_info(f, t).is_inlined()
                  for reader, _ in top.leaf_readers() for f, t in reader.all_terms())
    assert inlined > 100  # short lists inlined into the term table
    expected = _every_term(ix)
    assert max(map(len, expected.values())) > 128
    assert _check_every_term(ix, expected) > 1000
    assert counting["fast"] == 0


@pytest.mark.parametrize("head, count, expected", [
    (b"\x80\x03(K\x05K\x01K\x02tN(C\x00tq\x00\x87." + b"\x00" * 8, 3, (5, b"\x01\x02", None)),
    (b"\x80\x03(M\x00\x01K\x01tG?\xf0\x00\x00\x00\x00\x00\x00N\x87." + b"\x00" * 8, 2,
     (256, b"\x01", 1.0)),
    (b"\x80\x03(K\x05M\x00\x01tN" + b"\x00" * 16, 2, None),  # a gap of two bytes
    (b"\x80\x02(K\x05K\x01tN" + b"\x00" * 16, 2, None),  # protocol 2: Whoosh's pickle
    (b"\x80\x03(K\x05K\x01tG" + b"\x00" * 8 + b"G" + b"\x00" * 16, 2, None),  # 2 floats
])
def test_the_layout_reader_reads_only_what_it_knows(head, count, expected):
    assert postings._ids_and_weights(head, count) == expected
