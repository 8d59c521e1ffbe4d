"""Search-as-you-type: Index.suggest and search(..., prefix=True)."""

import pytest

from vnsearch import QueryError
from vnsearch.lexicon import Lexicon, _public_terms, lexicon_for, read_terms
from vnsearch.suggest import complete, prefix_expansions, split_typed

from conftest import ids


@pytest.mark.parametrize("typed", ["công ng", "cong ng", "CÔNG NG"])
def test_suggest_completes_the_last_word_with_index_words(features_index, typed):
    completions = [c.lower() for c in features_index.suggest(typed)]
    assert completions[:2] == ["công nghệ", "công nghiệp"] or \
        completions[:2] == ["công nghiệp", "công nghệ"]


def test_suggest_keeps_the_diacritics_typed(features_index):
    # "cộng" is not "công": a tone the user typed is meant.
    assert not any("công" in c for c in features_index.suggest("cộng ng"))
    assert features_index.suggest("chứng kh")[0] == "chứng khoán"


def test_suggest_keeps_the_words_typed_before_and_their_case(features_index):
    assert features_index.suggest("Giá dầu th")[0] == "Giá dầu thô"
    assert features_index.suggest("Vinam") == ["Vinamilk"]


def test_a_lone_completion_must_follow_the_word_before(features_index):
    # "thô" follows "dầu" in the index; "thị", "thế"... never do.
    assert features_index.suggest("dầu th") == ["dầu thô"]


def test_suggest_limit_and_nothing_to_complete(features_index):
    assert len(features_index.suggest("c", limit=3)) == 3
    assert features_index.suggest("") == [] and features_index.suggest("   ") == []
    assert features_index.suggest("xyzw") == []
    with pytest.raises(QueryError, match="limit"):
        features_index.suggest("công", limit=0)


def test_split_typed_knows_whether_the_last_word_is_finished():
    assert split_typed("Công ng").partial and not split_typed("Công ").partial


def test_completions_come_from_a_lexicon_most_frequent_first():
    lexicon = Lexicon.from_terms([("công_nghệ", 5), ("công_nghiệp", 9), ("công", 20),
                                  ("~cong", 30), (">cong nghe", 5)])
    assert complete("cong ng", lexicon) == ["công nghiệp", "công nghệ"]
    assert prefix_expansions("cô", lexicon) == [("công", 20)]


def test_lexicon_read_fast_equals_the_public_way(features_index):
    searcher = features_index._current_searcher()
    reader = searcher.reader()
    leaves = [reader] if reader.is_atomic() else [leaf for leaf, _ in reader.leaf_readers()]
    public = [item for leaf in leaves for field in ("title", "body")
              for item in _public_terms(leaf, field)]
    assert sorted(read_terms(searcher)) == sorted(public) and len(public) > 50


def test_lexicon_is_cached_in_the_index_folder(features_index, tmp_path):
    from vnsearch import lexicon as module
    searcher = features_index._current_searcher()
    module._lexicons.clear()
    module._segments.clear()
    first = lexicon_for(searcher, tmp_path)
    assert len(list((tmp_path / "lexicon").glob("*.pickle"))) == len(module._leaves(searcher))
    module._lexicons.clear()
    module._segments.clear()
    again = lexicon_for(searcher, tmp_path)
    assert list(again.completions("")) == list(first.completions("")) and again is not first


def test_a_lexicon_of_several_segments_answers_as_one(tmp_path):
    from vnsearch import Index
    from vnsearch.expansion import speller_for
    from vnsearch.lexicon import CombinedLexicon
    index = Index.create(tmp_path / "index")
    index.add([{"id": "1", "title": "Giá dầu thô", "body": "Giá dầu thô giảm, công nghệ mới."}])
    index.add([{"id": "2", "title": "Công nghiệp dầu khí", "body": "Ngành công nghiệp dầu khí."}])
    index.add([{"id": "3", "title": "Cộng đồng", "body": "Cộng đồng dầu khí và công nghệ."}])
    searcher = index._current_searcher()
    combined = lexicon_for(searcher, tmp_path / "index")
    assert isinstance(combined, CombinedLexicon) and len(combined.parts) == 3
    whole = Lexicon.from_terms(read_terms(searcher))
    assert list(combined.completions("")) == list(whole.completions(""))
    for key in ("cong", "dau", "cong ng", "d"):
        assert combined.most_frequent(key) == whole.most_frequent(key)
        assert combined.exact_forms(key) == whole.exact_forms(key)
        assert combined.folded_frequency(key) == whole.folded_frequency(key)
    assert combined.frequency("dầu khí") == whole.frequency("dầu khí") == 3  # title + body
    assert combined.total() == whole.total()
    assert speller_for(combined).near("congg", 1) == speller_for(whole).near("congg", 1)
    # Whole words only: not also "cong nghệ", the typed syllable before a completion.
    assert sorted(index.suggest("cong ng")) == ["công nghiệp", "công nghệ"]


# -- search(..., prefix=True) -------------------------------------------------------

@pytest.mark.parametrize("typed", ["Vinam", "vinami", "công ty sữa Vinam"])
def test_prefix_search_finds_the_word_being_typed(features_index, typed):
    assert ids(features_index.search(typed, prefix=True))[0] == "vinamilk"


def test_prefix_search_uses_the_word_before(features_index):
    results = features_index.search("giá dầu th", prefix=True)
    assert ids(results)[0] == "dau-tho"
    marked = [results[0].snippet[s:e] for s, e in results[0].highlights]
    assert "dầu thô" in " ".join(marked)


def test_prefix_search_keeps_typed_diacritics(features_index):
    # "chứng kh" completes to "chứng khoán", not to "chúng khoảng".
    found = ids(features_index.search("chứng kh", prefix=True))
    assert all(f.startswith(("chung-khoan", "phien-")) for f in found[:9])
    assert found.index("kien") >= 9


def test_without_prefix_a_partial_word_is_just_a_word(features_index):
    assert features_index.search("Vinam").total == 0


def test_prefix_is_ignored_after_a_phrase_or_a_space(features_index):
    assert features_index.search('"dầu thô"', prefix=True).total == 1
    assert features_index.search("Vinam ", prefix=True).total == 0


# -- the command line ------------------------------------------------------------------

def test_cli_suggest(features_index):
    from click.testing import CliRunner
    from vnsearch.cli import cli
    runner = CliRunner()
    result = runner.invoke(cli, ["suggest", "Giá dầu th", "--index", str(features_index.path)])
    assert result.exit_code == 0 and result.output == "Giá dầu thô\n"
    result = runner.invoke(cli, ["suggest", "cong ng", "--json", "-n", "1",
                                 "--index", str(features_index.path)])
    assert result.exit_code == 0 and result.output in ('["công nghệ"]\n', '["công nghiệp"]\n')


def test_completions_follow_changes_to_the_index(tmp_path):
    from vnsearch import Index
    index = Index.create(tmp_path / "index")
    index.add([{"id": "1", "title": "Giá dầu thô", "body": "Giá dầu thô giảm."}])
    assert index.suggest("Vietj") == []
    index.add([{"id": "2", "title": "Vietjet mở đường bay", "body": "Hãng Vietjet bay."}])
    assert index.suggest("Vietj") == ["Vietjet"]
    # One cache file per segment of the index, none of segments merged away.
    from vnsearch.lexicon import _leaves, _segment_name
    live = {_segment_name(leaf) for leaf in _leaves(index._current_searcher())}
    assert {p.stem for p in (tmp_path / "index" / "lexicon").glob("*.pickle")} == live
