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
    scores = ranker.score([WeightedTerm("dầu", 2.0)], {"body": 1.0})
    assert len(scores) == 200
    n, df = searcher.doc_count_all(), 200
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    docnum = next(iter(scores))
    length = searcher.doc_field_length(docnum, "body")
    average = searcher.avg_field_length("body")
    expected = 2.0 * idf * 1 * (ranking.K1 + 1) / (
        1 + ranking.K1 * (1 - ranking.B + ranking.B * length / average))
    assert scores[docnum] == pytest.approx(expected)


def test_common_terms_add_no_score_beside_rarer_ones(news, monkeypatch):
    monkeypatch.setattr(ranking, "SKIP_FROM", 100)
    ranker = Ranker(news._current_searcher())
    # Every title says "Tin số": alone, "số" still matches everything...
    title = {"title": 1.0}
    assert len(ranker.score([WeightedTerm("~so", 1.0)], title)) == 600
    # ...beside a rarer term it adds no score, but its documents still match.
    unscored = set()
    both = ranker.score([WeightedTerm("~so", 1.0), WeightedTerm("599", 1.0)], title, unscored)
    assert list(both) == [599]
    assert len(unscored | set(both)) == 600


def test_small_indexes_read_every_term(articles_index):
    assert len(articles_index.search("công", limit=20)) == 6


def test_deleted_documents_never_come_back(news, tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "a", "title": "Dầu khí", "body": "dầu"},
               {"id": "b", "title": "Dầu thô", "body": "dầu"}])
    index.delete(["a"])
    assert [hit.id for hit in index.search("dầu")] == ["b"]


def test_bm25f_combines_fields_before_saturating(news):
    # One document frequency per term, field weights on the term frequencies: a match
    # in title and body scores less than twice a body-only match.
    ranker = Ranker(news._current_searcher())
    fields = {"title": 2.0, "body": 1.0}
    scores = ranker.score([WeightedTerm("599", 1.0)], fields)
    body_only = ranker.score([WeightedTerm("599", 1.0)], {"body": 1.0})
    assert body_only[599] < scores[599] < 3 * body_only[599]
    assert ranker.document_frequency("599", fields) == 1


def test_posting_cache_stays_within_its_bound_and_changes_no_result(news, monkeypatch):
    # The cache holds lists of 256 postings or more up to CACHE_POSTINGS in all: with a
    # bound below two lists, older lists are evicted, and searches still find the same.
    ranking.clear_cache()
    queries = ["dầu khí", "công nghệ thông tin", "bóng đá", "tin số"]
    monkeypatch.setattr(ranking, "CACHE_POSTINGS", 0)  # every list evicted at once
    uncached = {q: [(h.id, h.score) for h in news.search(q, limit=20)] for q in queries}
    assert not ranking._cache
    monkeypatch.setattr(ranking, "CACHE_FROM", 1)
    monkeypatch.setattr(ranking, "CACHE_POSTINGS", 400)
    for _ in range(2):
        for query in queries:
            assert [(h.id, h.score) for h in news.search(query, limit=20)] == uncached[query]
            assert 0 < ranking._cached_postings <= 400
            assert ranking._cached_postings == sum(len(ids) for ids, _ in ranking._cache.values())
    ranking.clear_cache()
