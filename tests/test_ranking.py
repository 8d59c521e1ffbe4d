"""Term-at-a-time BM25 over real Whoosh posting lists, and its query-planning rules."""

import math

import pytest

import vnsearch.ranking as ranking
from vnsearch import Index
from vnsearch.ranking import Ranker, WeightedTerm


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    # Enough documents that posting lists span several Whoosh blocks (128 postings),
    # added in two batches so that the index has two segments.
    index = Index.create(tmp_path_factory.mktemp("ranking") / "index")
    sentences = ["Giá dầu khí tăng mạnh trong năm {n}.",
                 "Công ty công nghệ thông tin số {n} tuyển dụng.",
                 "Đội bóng đá của tỉnh thắng trận thứ {n}."]
    docs = [{"id": f"d{n}", "title": f"Tin số {n}", "body": sentences[n % 3].format(n=n)}
            for n in range(600)]
    index.add(docs[:300])
    index.add(docs[300:])
    return index


def _public_postings(searcher, field, text):
    found = []
    if searcher.reader().doc_frequency(field, text):
        matcher = searcher.postings(field, text)
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight()))
            matcher.next()
    return found


@pytest.mark.parametrize("term", ["~dau", "dầu", "công_nghệ", ">cong nghe", "~so", "nowhere"])
def test_block_reader_matches_whooshs_matchers(news, term):
    ranking.clear_cache()
    searcher = news._current_searcher()
    ranker = Ranker(searcher)
    mine = [(base + d, tf) for reader, base in ranker.leaves
            for d, tf in zip(*ranking._segment_postings(reader, "body", term))]
    assert sorted(mine) == sorted(_public_postings(searcher, "body", term))
    # And again from the cache.
    again = [(base + d, tf) for reader, base in ranker.leaves
             for d, tf in zip(*ranking._segment_postings(reader, "body", term))]
    assert again == mine


def test_scores_are_bm25(news):
    searcher = news._current_searcher()
    ranker = Ranker(searcher)
    scores = ranker.score([WeightedTerm("body", "dầu", 2.0)])
    assert len(scores) == 200
    n, df = searcher.doc_count_all(), 200
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    docnum = next(iter(scores))
    length = searcher.doc_field_length(docnum, "body")
    average = searcher.avg_field_length("body")
    expected = 2.0 * idf * 1 * (ranking.K1 + 1) / (
        1 + ranking.K1 * (1 - ranking.B + ranking.B * length / average))
    assert scores[docnum] == pytest.approx(expected)


def test_common_terms_are_skipped_only_beside_rarer_ones(news, monkeypatch):
    monkeypatch.setattr(ranking, "SKIP_FROM", 100)
    ranker = Ranker(news._current_searcher())
    # Every title says "Tin số": alone, "số" still matches everything...
    assert len(ranker.score([WeightedTerm("title", "~so", 1.0)])) == 600
    # ...beside a rarer term it is not read at all.
    both = ranker.score([WeightedTerm("title", "~so", 1.0), WeightedTerm("title", "599", 1.0)])
    assert list(both) == [599]
    # A rare term in another field does not make it skippable.
    other = ranker.score([WeightedTerm("title", "~so", 1.0), WeightedTerm("body", "599", 1.0)])
    assert len(other) == 600


def test_small_indexes_read_every_term(articles_index):
    assert len(articles_index.search("công", limit=20)) == 6


def test_deleted_documents_never_come_back(news, tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "a", "title": "Dầu khí", "body": "dầu"},
               {"id": "b", "title": "Dầu thô", "body": "dầu"}])
    index.delete(["a"])
    assert [hit.id for hit in index.search("dầu")] == ["b"]
