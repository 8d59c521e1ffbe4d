"""The fast segment writer writes what Whoosh's own writer writes.

Same documents through both writers, then everything a reader can see is compared:
terms, term statistics, postings (documents, weights, positions), block statistics,
stored fields, field lengths, and search results through the public API. The
documents are real Vietnamese text of our own: the seed articles, cut into sentences
and dealt into a few hundred documents, so that common syllables ("và", "của") span
several posting blocks.
"""

import pickle
import random
import re
from pathlib import Path

import pytest
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.writing import MERGE_SMALL, SegmentWriter

from vnsearch import Index, merging, schema, writing
from vnsearch import analysis
from vnsearch import posting_writers as disk
from vnsearch.analysis import FOLDED, PAIR

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module", autouse=True)
def positions_everywhere():
    """Whoosh's own writer leaves empty values out of a block, so that the postings
    vnsearch writes without positions (pairs, words) would not read back from its
    segments: the comparisons with it give every term its positions. The tests of
    positions for syllables only set it back."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "POSITIONS_FOR_SYLLABLES_ONLY", False)
        yield


def _sentences():
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.iterdir()))
    return [s.strip() for s in re.split(r"(?<=[.;:!?])\s+|\n+", text) if len(s.strip()) > 20]


def _documents(count, seed=7):
    """``count`` documents of 2–12 seed sentences each, the same for the same seed."""
    sentences = _sentences()
    rng = random.Random(seed)
    documents = []
    for number in range(count):
        picked = rng.sample(sentences, rng.randint(2, 12))
        documents.append({"id": f"doc-{number:04d}", "title": picked[0][:80],
                          "body": " ".join(picked[1:]),
                          "date": f"20{10 + number % 12:02d}-0{1 + number % 9}-15"})
    return documents


def _fields(document):
    return dict(id=document["id"], title=schema.prepare(document["title"]),
                _stored_title=document["title"], body=schema.prepare(document["body"]),
                _stored_body=document["body"], source="tests", hash=str(len(document["body"])))


def _build(folder, documents, make_writer, commit_every=None, **commit):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema.build_schema())
    step = commit_every or len(documents)
    for start in range(0, len(documents), step):
        writer = make_writer(ix)
        for document in documents[start:start + step]:
            writer.add_document(**_fields(document))
        writer.commit(**commit)
    return whoosh_index.open_dir(str(folder))


def _whoosh_writer(ix):
    return SegmentWriter(ix, _lk=False)


def _fast_writer(ix):
    return writing.FastSegmentWriter(ix, _lk=False)


def _contents(ix):
    """Everything a reader sees, segment by segment, in plain Python values."""
    top = ix.reader()
    return [_segment_contents(reader)
            for reader, _ in (top.leaf_readers() if not top.is_atomic() else [(top, 0)])]


def _segment_contents(reader):
    terms = {}
    for fieldname, text in reader.all_terms():
        info = reader.term_info(fieldname, text)
        matcher = reader.postings(fieldname, text)
        postings, blocks = [], []
        while matcher.is_active():
            blocks.append((matcher.block_min_length(), matcher.block_max_length(),
                           matcher.block_max_weight()))
            postings.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        terms[fieldname, text] = (
            (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
             info.max_weight(), info.min_id(), info.max_id()), postings, blocks)
    documents = [(reader.stored_fields(docnum), reader.doc_field_length(docnum, "title"),
                  reader.doc_field_length(docnum, "body"))
                 for docnum in range(reader.doc_count_all())]
    lengths = {name: reader.field_length(name) for name in ("title", "body")}
    return terms, documents, lengths


@pytest.fixture(scope="module")
def documents():
    return _documents(300)


@pytest.fixture(scope="module")
def whoosh_built(documents, tmp_path_factory):
    return _build(tmp_path_factory.mktemp("whoosh") / "index", documents, _whoosh_writer)


def test_the_documents_span_several_blocks(whoosh_built):
    reader = whoosh_built.reader()
    assert reader.doc_frequency("body", "và".encode()) > 2 * disk.BLOCK_LIMIT


def test_same_contents_as_whoosh_writer(documents, whoosh_built, tmp_path, monkeypatch):
    monkeypatch.setattr(disk, "_CHUNK", 1000)  # cross many chunk boundaries too
    fast = _build(tmp_path / "index", documents, _fast_writer)
    expected = _contents(whoosh_built)
    assert _contents(fast) == expected
    # the folded forms are there, so the comparison covered them
    assert ("body", (FOLDED + "dau").encode()) in expected[0][0]


@pytest.mark.parametrize("term_chunk", [disk.TERM_CHUNK, 5])
def test_exact_mode_writes_the_same_bytes(documents, whoosh_built, tmp_path, monkeypatch,
                                          term_chunk):
    # Also with terms written a few at a time: chunks change no byte.
    monkeypatch.setattr(disk, "EXACT", True)
    monkeypatch.setattr(disk, "TERM_CHUNK", term_chunk)
    fast = _build(tmp_path / "index", documents, _fast_writer)

    def files(ix):
        (segment,) = ix._segments()
        if segment.is_compound():
            storage = segment.open_compound_file(ix.storage)
            names = storage.list()
        else:
            storage = ix.storage
            names = [name for name in storage.list()
                     if name.startswith(segment.make_filename(""))]
        found = {}
        for name in names:
            with storage.open_file(name) as file:
                found[name.split(".", 1)[1]] = file.read()
        return found

    expected = files(whoosh_built)
    assert set(expected) >= {"pst", "trm", "_body_len.col", "_stored.col"}
    written = files(fast)
    assert written.pop("prs")  # the exact pairs' counts (tests/test_pair_counts.py)
    assert written == expected


def test_same_contents_over_several_commits(documents, tmp_path):
    # Whoosh's MERGE_SMALL merges small segments on commit: merged postings must match.
    few = documents[:60]
    plain = _build(tmp_path / "plain", few, _whoosh_writer, commit_every=7,
                   mergetype=MERGE_SMALL)
    fast = _build(tmp_path / "fast", few, _fast_writer, commit_every=7,
                  mergetype=MERGE_SMALL)
    assert len(fast._segments()) == len(plain._segments()) < 9
    assert _contents(fast) == _contents(plain)


def test_commits_merge_by_tiers_after_the_new_segment_is_live(documents, tmp_path):
    # Nine commits of 7: the first eight segments are merged into one of 56 (in a
    # commit of its own, after the eighth), the ninth stays apart. The same merges
    # done by Whoosh's own writer give the same contents.
    few = documents[:63]
    fast = _build(tmp_path / "fast", few, _fast_writer, commit_every=7)
    assert sorted(s.doc_count() for s in fast._segments()) == [7, 56]

    folder = tmp_path / "plain"
    folder.mkdir()
    plain = whoosh_index.create_in(str(folder), schema.build_schema())
    for start in range(0, len(few), 7):
        writer = _whoosh_writer(plain)
        for document in few[start:start + 7]:
            writer.add_document(**_fields(document))
        writer.commit(merge=False)
        if merging.segments_to_merge(plain._segments()):
            _whoosh_writer(plain).commit(mergetype=merging.tiered_merge)
    assert _contents(fast) == _contents(whoosh_index.open_dir(str(folder)))
    with fast.searcher() as searcher:
        assert sorted(searcher.reader().all_stored_fields(), key=lambda f: f["id"]) == \
            sorted(({"id": d["id"], "title": d["title"], "body": d["body"],
                     "source": "tests"} for d in few), key=lambda f: f["id"])


def test_small_commits_never_rewrite_a_big_segment():
    # A feed adding 50 articles a commit beside an index of 4,472: seven small segments
    # must not be merged with the big one (that rewrote all 4,822 every seventh commit).
    class Segment:
        def __init__(self, docs):
            self.docs = docs

        def doc_count(self):
            return self.docs

    big = Segment(4_472)
    small = [Segment(50) for _ in range(8)]
    assert merging.segments_to_merge([big, *small[:7]]) == []
    assert merging.segments_to_merge([big, *small]) == small
    assert merging.segments_to_merge([Segment(4_000) for _ in range(8)]) != []


def test_no_merge_makes_a_segment_above_the_ceiling(documents, tmp_path, monkeypatch):
    monkeypatch.setattr(merging, "MAX_MERGED_DOCS", 40)
    fast = _build(tmp_path / "fast", documents[:80], _fast_writer, commit_every=5)
    sizes = sorted(s.doc_count() for s in fast._segments())
    assert sum(sizes) == 80 and max(sizes) <= 40 and len(sizes) < 16


def test_cancel_leaves_the_index_as_it_was(documents, tmp_path):
    ix = _build(tmp_path / "index", documents[:5], _fast_writer)
    writer = _fast_writer(ix)
    writer.add_document(**_fields(documents[10]))
    writer.cancel()
    assert ix.doc_count() == 5
    assert sorted(ix.storage.list()) == sorted(whoosh_index.open_dir(
        str(tmp_path / "index")).storage.list())


def test_prepared_postings_are_the_analyzers():
    # The writer trusts PreparedText: it must hold what Whoosh's field would make of the
    # text through VietnameseAnalyzer, positions included.
    field = schema.build_schema()["body"]
    text = " ".join(_sentences()[:30])
    expected = sorted(fields.FieldType.index(field, text))
    assert sorted(schema.prepare(text).items) == expected
    assert len(expected) > 500


def test_only_syllables_keep_their_positions(monkeypatch):
    monkeypatch.setattr(schema, "POSITIONS_FOR_SYLLABLES_ONLY", True)
    field = schema.build_schema()["body"]
    text = " ".join(_sentences()[:30])
    expected = sorted(fields.FieldType.index(field, text))
    syllables = {s.text for s in analysis.analyse(text).syllables}
    syllables |= {FOLDED + s.folded for s in analysis.analyse(text).syllables}
    prepared = sorted(schema.prepare(text).items)
    assert [item[:3] for item in prepared] == [item[:3] for item in expected]
    for (term, _, _, value), (_, _, _, positions) in zip(prepared, expected):
        assert value == (positions if term.decode() in syllables else b"")
    assert sum(value == b"" for *_, value in prepared) > len(prepared) / 3


def test_terms_without_positions_survive_merges_and_phrases_still_match(tmp_path,
                                                                       monkeypatch):
    monkeypatch.setattr(schema, "POSITIONS_FOR_SYLLABLES_ONLY", True)
    documents = _documents(63, seed=11)
    fast = _build(tmp_path / "fast", documents, _fast_writer, commit_every=7)
    assert sorted(s.doc_count() for s in fast._segments()) == [7, 56]  # merged
    with fast.searcher() as searcher:
        reader = searcher.reader()
        kinds = set()
        for fieldname, term in reader.all_terms():
            if fieldname != "body":
                continue
            text = term.decode()
            positional = not (text.startswith(PAIR) or "_" in text)
            matcher = reader.postings(fieldname, term)
            while matcher.is_active():
                value = matcher.value()
                assert (value != b"") == positional or "_" in text, text
                matcher.next()
            kinds.add(positional)
        assert kinds == {True, False}
    index = Index.create(tmp_path / "index")
    index.add(documents)
    phrase = " ".join(documents[5]["body"].split()[2:5])
    assert "doc-0005" in [hit.id for hit in index.search(f'"{phrase}"', limit=50)]


@pytest.mark.parametrize("query", ["dầu khí", "khai thac dau", "công tác Đảng",
                                   '"kế hoạch khai thác"', "an toàn OR hiệu quả"])
def test_same_search_results_through_the_public_api(tmp_path, monkeypatch, query):
    documents = _documents(80, seed=3)
    fast = Index.create(tmp_path / "fast")
    fast.add(documents)
    monkeypatch.setattr(schema, "open_writer", _whoosh_writer)
    plain = Index.create(tmp_path / "plain")
    plain.add(documents)

    def hits(index):
        return [(hit.id, round(hit.score, 9)) for hit in index.search(query, limit=20)]

    assert hits(fast) == hits(plain)
    assert hits(fast)


def test_updates_and_deletions_match_whoosh(tmp_path, monkeypatch):
    documents = _documents(40, seed=5)
    changed = [dict(document, body=document["body"] + " Đã cập nhật số liệu mới.")
               for document in documents[::3]]
    doomed = [document["id"] for document in documents[1::5]]

    def run(path):
        index = Index.create(path)
        index.add(documents)
        report = index.add(changed)
        assert report.updated == len(changed)
        index.delete(doomed)
        return [(hit.id, round(hit.score, 9))
                for query in ("cập nhật số liệu", "khai thác dầu")
                for hit in index.search(query, limit=50)], len(index)

    fast = run(tmp_path / "fast")
    monkeypatch.setattr(schema, "open_writer", _whoosh_writer)
    assert fast == run(tmp_path / "plain")
    assert fast[1] == len(documents) - len(doomed)


def test_deletions_count_as_whoosh_counts_them_with_one_searcher(documents, tmp_path,
                                                                 monkeypatch):
    ix = _build(tmp_path / "index", documents[:8], _fast_writer)
    opened = []
    reader = writing.FastSegmentWriter.reader
    monkeypatch.setattr(writing.FastSegmentWriter, "reader",
                        lambda self, **kwargs: opened.append(1) or reader(self, **kwargs))
    results = []
    for make_writer in (_whoosh_writer, _fast_writer):
        writer = make_writer(ix)
        counts = [writer.delete_by_term("id", "doc-0001"), writer.delete_by_term("id", "doc-0001"),
                  writer.delete_by_term("id", "doc-0404")]
        for _ in range(3):
            writer.update_document(**_fields(documents[2]))
        counts.append(writer.deleted_count())
        writer.cancel()
        results.append(counts)
    assert results[0] == results[1] == [1, 0, 0, 2]
    assert len(opened) == 1  # Whoosh's writer opens a searcher per call


def test_boosts_plain_values_and_long_positions_match_whoosh(documents, tmp_path):
    # Paths vnsearch itself does not take today: field and document boosts, values
    # given as plain text (analysed by the field), and a term so frequent that its
    # positions take more than 255 bytes.
    chorus = "Dầu khí và năng lượng. " * 200
    extra = [dict(id="boost", title="Dầu khí", body=chorus, _title_boost=2.5, _boost=1.5,
                  source="tests", hash="b"),
             dict(id="plain", title="Thông tin kỹ thuật", body=documents[0]["body"],
                  source="tests", hash="p")]

    def build(folder, make_writer):
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema.build_schema())
        writer = make_writer(ix)
        for document in documents[:20]:
            writer.add_document(**_fields(document))
        for fields in extra:
            writer.add_document(**fields)
        writer.commit()
        return ix

    plain = _contents(build(tmp_path / "plain", _whoosh_writer))
    fast = _contents(build(tmp_path / "fast", _fast_writer))
    assert fast == plain
    postings = plain[0][0]["body", "và".encode()][1]
    assert max(len(value) for _, _, value in postings) > 255


def test_block_opcodes_unpickle_to_the_gaps_and_positions():
    postings = disk.FieldPostings()
    docs = [0, 1, 255, 256, 65535, 65536, 70000, 2**31 - 1]
    values = [b"", b"x", b"y" * 255, b"z" * 256, b"w" * 70000, b"v", b"u", b"t"]
    for docnum, value in zip(docs, values):
        postings.add(docnum, [b"term"], [1.0], [value])
    blocks = disk.Blocks(postings, [b"term"], None)
    ids, id_offsets, vals, value_offsets = blocks.pickled(0, len(docs),
                                                           bytearray(b"".join(values)))
    gaps = [docs[0]] + [b - a for a, b in zip(docs, docs[1:])]
    for i, (gap, value) in enumerate(zip(gaps, values)):
        assert pickle.loads(b"\x80\x03(" + ids[id_offsets[i]:id_offsets[i + 1]] + b"t.") \
            == (gap,)
        assert pickle.loads(b"\x80\x03(" + vals[value_offsets[i]:value_offsets[i + 1]]
                            + b"t.") == (value,)  # empty ones too, unlike Whoosh
