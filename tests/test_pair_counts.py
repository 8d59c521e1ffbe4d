"""Exact pairs kept as counts: each segment's table, through writes, merges and deletions.

The reference is the plain count: every title and body analysed, its adjacent exact
syllables ("công nghệ") counted. A segment's table counts every document it holds;
a merge leaves out the documents deleted before it.
"""

import io
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from vnsearch import Index, pair_counts, schema, writing
from vnsearch.analysis import analyse, exact_pairs
from vnsearch.errors import IndexDamagedError
from vnsearch.pair_counts import DamagedTable, PairTable, merged, write_table
from vnsearch.ranking import Ranker

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _documents(count, seed=3):
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.iterdir()))
    sentences = [s.strip() for s in re.split(r"(?<=[.;:!?])\s+|\n+", text) if len(s.strip()) > 20]
    rng = random.Random(seed)
    return [{"id": f"doc-{n:03d}", "title": rng.choice(sentences)[:70],
             "body": " ".join(rng.sample(sentences, rng.randint(2, 8)))}
            for n in range(count)]


def _counted(documents) -> Counter:
    found = Counter()
    for document in documents:
        for name in ("title", "body"):
            found.update(exact_pairs(analyse(document[name])))
    return found


def _table_bytes(items):
    buffer = io.BytesIO()
    buffer.close = lambda: None  # write_table closes what it writes
    write_table(buffer, items)
    buffer.seek(0)
    return buffer


def test_a_table_finds_every_pair_and_no_other(monkeypatch):
    monkeypatch.setattr(pair_counts, "BLOCK", 7)  # many blocks, and a short last one
    counts = _counted(_documents(20))
    items = sorted((pair.encode(), count) for pair, count in counts.items())
    table = PairTable(_table_bytes(items))
    assert table.pairs == len(items) > 7 * 10
    assert list(table.items()) == items
    for pair, count in counts.items():
        assert table.count(pair) == count
    for absent in ("", " ", "a", "công nghệx", "zzzz zzzz", "đời sống mới"):
        assert table.count(absent) == counts.get(absent, 0)
    empty = PairTable(_table_bytes([]))
    assert empty.pairs == 0 and empty.count("công nghệ") == 0 and list(empty.items()) == []


def test_merged_tables_add_up_and_leave_removed_pairs_out():
    first = [(b"c\xc3\xb4ng ngh\xe1\xbb\x87", 3), (b"h\xc3\xa0 n\xe1\xbb\x99i", 1)]
    second = [(b"b\xc3\xa1o ch\xc3\xad", 2), (b"h\xc3\xa0 n\xe1\xbb\x99i", 4)]
    extra = Counter({b"b\xc3\xa1o ch\xc3\xad": 1, b"xe m\xc3\xa1y": 5})
    removed = Counter({b"h\xc3\xa0 n\xe1\xbb\x99i": 5, b"xe m\xc3\xa1y": 1})
    assert list(merged([PairTable(_table_bytes(first)), second], extra, removed)) == [
        (b"b\xc3\xa1o ch\xc3\xad", 3), (b"c\xc3\xb4ng ngh\xe1\xbb\x87", 3),
        (b"xe m\xc3\xa1y", 4)]


def test_a_damaged_table_says_so():
    items = [(f"a{n} b{n}".encode(), n + 1) for n in range(2000)]
    data = _table_bytes(items).getvalue()
    with pytest.raises(DamagedTable, match="cannot be read"):
        PairTable(io.BytesIO(data[:-3]))
    broken = bytearray(data)
    broken[10:20] = b"\x00" * 10  # inside the first block
    table = PairTable(io.BytesIO(bytes(broken)))
    with pytest.raises(DamagedTable, match="cannot be read"):
        table.count("a0 b0")


def _index_counts(index) -> Counter:
    """Every pair the index's segments count, summed over them."""
    searcher = index._current_searcher()
    found = Counter()
    for leaf, _ in Ranker.for_searcher(searcher).leaves:
        table = PairTable.open(leaf.storage(), leaf.segment())
        found.update({key.decode(): count for key, count in table.items()})
        table.close()
    return found


def test_the_index_counts_the_pairs_of_its_documents_through_merges_and_deletions(tmp_path):
    documents = _documents(60)
    index = Index.create(tmp_path / "ix")
    index.commit_every = 6  # ten segments: the tiered policy merges eight of them
    index.add(documents[:48])
    assert _index_counts(index) == _counted(documents[:48])
    doomed = [d["id"] for d in documents[:48:5]]
    index.delete(doomed)
    changed = [dict(d, body=d["body"] + " Công nghệ thông tin mới.") for d in documents[1:48:7]]
    index.add(changed + documents[48:])
    live = {d["id"]: d for d in documents if d["id"] not in doomed}
    live.update({d["id"]: d for d in changed})
    searcher = index._current_searcher()
    ranker = Ranker.for_searcher(searcher)
    counts = _index_counts(index)
    if not searcher.reader().has_deletions():  # every deleted document merged away
        assert counts == _counted(live.values())
    # Until a merge, a segment counts its deleted documents too: never fewer.
    assert counts - _counted(live.values()) == _counted_deleted(searcher)
    assert ranker.pair_count("công", "nghệ") == counts["công nghệ"] > 0
    assert ranker.pair_count("nghệ", "công") == counts["nghệ công"]


def _counted_deleted(searcher) -> Counter:
    found = Counter()
    for leaf, _ in Ranker.for_searcher(searcher).leaves:
        for docnum in leaf.segment().deleted_docs():
            stored = leaf.stored_fields(docnum)
            found.update(_counted([stored]))
    return found


def test_a_full_merge_counts_only_live_documents(tmp_path):
    documents = _documents(30)
    folder = tmp_path / "ix"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema.build_schema())
    for start in (0, 10, 20):
        writer = writing.FastSegmentWriter(ix, _lk=False)
        for document in documents[start:start + 10]:
            writer.add_document(id=document["id"], title=document["title"],
                                body=document["body"])
        writer.commit(merge=False)
    writer = writing.FastSegmentWriter(ix, _lk=False)
    for document in documents[3:25:4]:
        writer.delete_by_term("id", document["id"])
    writer.commit(merge=False)
    writer = writing.FastSegmentWriter(ix, _lk=False)
    writer.commit(optimize=True)
    ix = whoosh_index.open_dir(str(folder))
    (segment,) = ix._segments()
    table = PairTable.open(ix.storage, segment)
    live = [d for n, d in enumerate(documents) if not (3 <= n < 25 and (n - 3) % 4 == 0)]
    assert {k.decode(): c for k, c in table.items()} == _counted(live)
    table.close()


def test_a_merge_over_a_damaged_table_stops_and_loses_nothing(tmp_path):
    documents = _documents(20)
    folder = tmp_path / "ix"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema.build_schema())
    for start in (0, 10):
        writer = writing.FastSegmentWriter(ix, _lk=False)
        for document in documents[start:start + 10]:
            writer.add_document(id=document["id"], title=document["title"],
                                body=document["body"])
        writer.commit(merge=False)
    table = next(folder.glob("*.prs"))
    data = bytearray(table.read_bytes())
    data[4:40] = bytes(36)  # inside the first block
    table.write_bytes(bytes(data))
    writer = writing.FastSegmentWriter(ix, _lk=False)
    with pytest.raises(IndexDamagedError, match="vnsearch rebuild"):
        writer.commit(optimize=True)
    writer.cancel()
    reopened = whoosh_index.open_dir(str(folder))
    assert reopened.doc_count() == 20 and len(reopened._segments()) == 2


def test_pair_tables_close_with_their_searcher(tmp_path):
    # A process that opens the index afresh for every search (a CGI script, the CLI in
    # a loop, a server following commits) keeps no pair table's file open after it.
    import gc
    import os
    index = Index.create(tmp_path / "index")
    index.commit_every = 6
    index.add(_documents(24))
    index.close()
    fds = Path(f"/proc/{os.getpid()}/fd")

    def search_afresh():
        fresh = Index.open(tmp_path / "index")
        assert fresh.search("cong nghe thong tin", limit=3) is not None  # restores accents
        fresh.close()

    search_afresh()
    gc.collect()
    before = len(list(fds.iterdir()))
    for _ in range(40):
        search_afresh()
    gc.collect()
    assert len(list(fds.iterdir())) <= before + 2
