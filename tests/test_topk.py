"""The vectorised top documents give exactly what scoring every posting gives."""

import heapq
import random
import re
import subprocess
import sys

import pytest

import vnsearch.ranking as ranking
from vnsearch import Index
from vnsearch.plan import plan
from vnsearch.ranking import Ranker
from vnsearch.search import FIELD_WEIGHTS, RERANK_DEPTH

from conftest import SEEDS


def _sentences():
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    return [s.strip() for s in re.split(r"(?<=[.;:])\s+|\n", text) if len(s.split()) > 3]


QUERIES = ["hội nghị", "tổng kết công tác năm", "vietsovpetro", "cong nghe thong tin",
           "triển khai nhiệm vụ năm 2021", "dau khi", "an toàn", "nghị quyết đại hội",
           "của", "năm 2020 và", "khai thac", "Hội đồng 52", "người lao động"]


@pytest.fixture(autouse=True, params=["numpy", "dictionaries"])
def path(request, monkeypatch):
    """Both ways of finding the best documents: numpy arrays and dictionaries."""
    monkeypatch.setattr(ranking, "VECTORISE_FROM", 0 if request.param == "numpy" else 10**9)
    return request.param


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """1,200 documents recombined from the seeds' sentences, in three segments, with
    exact duplicates (equal scores) and some documents deleted."""
    rng = random.Random(12)
    sentences = _sentences()
    docs = []
    for n in range(1_200):
        picked = rng.sample(sentences, rng.randint(1, 6))
        docs.append({"id": f"d{n}", "title": rng.choice(sentences)[:80],
                     "body": " ".join(picked)})
    for n in range(0, 1_200, 50):  # duplicates score alike: ties must break the same way
        docs.append({**docs[n], "id": f"copy{n}"})
    index = Index.create(tmp_path_factory.mktemp("topk") / "index")
    for start in range(0, len(docs), 600):
        index.add(docs[start:start + 600])
    index.delete([f"d{n}" for n in range(3, 1_200, 97)])
    return index


def _dictionary_scores(ranker, terms, unscored):
    """:meth:`Ranker.score` a posting at a time into a dictionary, whatever the path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranking, "VECTORISE_FROM", 10**9)
        return ranker.score(terms, FIELD_WEIGHTS, unscored)


def _exhaustive(ranker, terms, depth):
    """Every posting scored into a dictionary, deleted documents dropped, then the
    best by ``heapq.nlargest``: what searching did before."""
    unscored = set()
    scores = _dictionary_scores(ranker, terms, unscored)
    scores = {d: s for d, s in scores.items() if not ranker.is_deleted(d)}
    unscored = {d for d in unscored if not ranker.is_deleted(d)} - set(scores)
    best = heapq.nlargest(depth, scores, key=scores.__getitem__)
    return [(d, scores[d]) for d in best], len(scores) + len(unscored)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("depth", [10, RERANK_DEPTH])
def test_top_documents_equal_the_exhaustive_ranking(archive, query, depth):
    searcher = archive._current_searcher()
    assert searcher.reader().has_deletions() and len(searcher.reader().leaf_readers()) > 1
    ranker = Ranker(searcher)
    terms = plan(query, lambda t: ranker.occurrences("body", t),
                 ranker.total_length("body")).terms
    expected, total = _exhaustive(ranker, terms, depth)
    found = ranker.top(terms, FIELD_WEIGHTS, depth)
    assert list(found.scores.items()) == expected  # same documents, order, float bits
    assert found.total == total


@pytest.mark.parametrize("query", QUERIES)
def test_every_score_equals_the_dictionary_path(archive, query, path):
    # Scores of whole queries (phrases and synonyms are scored so): the same documents,
    # in the same order (it breaks ties among the best), to the bit.
    searcher = archive._current_searcher()
    ranker = Ranker(searcher)
    terms = plan(query, lambda t: ranker.occurrences("body", t),
                 ranker.total_length("body")).terms
    unscored, expected_unscored = set(), set()
    scores = ranker.score(terms, FIELD_WEIGHTS, unscored)
    expected = _dictionary_scores(ranker, terms, expected_unscored)
    assert list(scores.items()) == list(expected.items())
    assert unscored == expected_unscored
    if path == "numpy":
        assert "vnsearch.topk" in sys.modules


def test_ties_break_as_before(archive):
    searcher = archive._current_searcher()
    ranker = Ranker(searcher)
    terms = plan("vietsovpetro").terms
    found = list(ranker.top(terms, FIELD_WEIGHTS, RERANK_DEPTH).scores.values())
    assert len(set(found)) < len(found)  # the fixture has tied scores in the top
    assert list(ranker.top(terms, FIELD_WEIGHTS, RERANK_DEPTH).scores.items()) == \
        _exhaustive(ranker, terms, RERANK_DEPTH)[0]


@pytest.mark.parametrize("query", QUERIES)
def test_search_results_equal_the_general_path(archive, query):
    # Excluding a word found nowhere takes the general path, which scores every posting.
    fast = archive.search(query, limit=10)
    general = archive.search(f"{query} -xyzzy", limit=10)
    assert [(h.id, h.score, h.snippet) for h in fast] == \
        [(h.id, h.score, h.snippet) for h in general]
    assert fast.total == general.total


def test_paging_past_the_scored_matches(archive):
    # "của" alone is scored; beside a rarer word it is too common to score, so its
    # other documents follow the scored ones, in document order, as before.
    for offset in (0, 5, 40):
        fast = archive.search("vietsovpetro của", limit=30, offset=offset)
        general = archive.search("vietsovpetro của -xyzzy", limit=30, offset=offset)
        assert [h.id for h in fast] == [h.id for h in general]
        assert fast.total == general.total


def test_searching_a_small_index_does_not_import_numpy(seeds_index):
    code = ("import sys\nfrom vnsearch import Index\n"
            f"hits = Index.open({str(seeds_index.path)!r}).search('công nghệ thông tin')\n"
            "assert hits.total\n"
            "print('numpy' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout == "False\n"
