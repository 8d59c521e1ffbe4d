"""Abbreviations and synonyms: built in, both ways, as phrases, below the literal."""

import pytest

from vnsearch import Index, SynonymError
from vnsearch.synonyms import (BUILT_IN, FILE, Phrase, Thesaurus, built_in_groups,
                               parse_groups)

from conftest import FEATURE_ARTICLES, ids


def test_built_in_list_has_several_dozen_distinct_abbreviations():
    groups = built_in_groups()
    assert len(groups) >= 60
    abbreviations = [Phrase.parse(group[0]).folded for group in groups]
    assert len(set(abbreviations)) == len(abbreviations)
    for group in groups:
        assert len(group) >= 2 and all(Phrase.parse(p).exact for p in group)
    named = {g[0] for g in groups}
    assert {"TP.HCM", "UBND", "HĐND", "CNTT", "TGĐ", "HĐQT", "CBCNV", "SXKD", "BHXH",
            "BHYT", "THPT", "ĐH", "GD&ĐT", "KH&CN"} <= named


def test_phrase_parsing_reads_abbreviations_as_the_index_does():
    assert Phrase.parse("TP.HCM").exact == ("tp", "hcm") and Phrase.parse("TP.HCM").joined
    assert not Phrase.parse("GD&ĐT").joined and Phrase.parse("GD&ĐT").folded == ("gd", "dt")
    assert Phrase.parse("Uỷ ban nhân dân").exact == ("ủy", "ban", "nhân", "dân")


@pytest.mark.parametrize("exact, expected", [
    (["ubnd"], "Ủy ban nhân dân"),
    (["uy", "ban", "nhan", "dan"], "UBND"),           # typed without diacritics
    (["ủy", "ban", "nhân", "dân"], "UBND"),
    (["tgd"], "Tổng Giám đốc"),                        # TGĐ typed without Đ
])
def test_thesaurus_finds_phrases_both_ways(exact, expected):
    from vnsearch.normalize import fold
    matches = Thesaurus(built_in_groups()).find(exact, [fold(s) for s in exact])
    assert expected in [p.text for p in matches[0].others]


def test_a_tone_typed_must_match_and_short_abbreviations_need_their_d():
    from vnsearch.normalize import fold
    thesaurus = Thesaurus(built_in_groups())
    assert thesaurus.find(["ủy", "bàn"], ["uy", "ban"]) == []
    # "GD" is giáo dục, not GĐ (giám đốc)
    assert thesaurus.find(["gd"], ["gd"]) == []
    assert thesaurus.find(["gđ"], ["gd"])[0].others[0].text == "Giám đốc"


def test_longest_phrase_wins():
    thesaurus = Thesaurus(built_in_groups())
    words = ["phó", "tổng", "giám", "đốc"]
    from vnsearch.normalize import fold
    match = thesaurus.find(words, [fold(w) for w in words])[0]
    assert (match.start, match.stop) == (0, 4) and match.others[0].text == "PTGĐ"


@pytest.mark.parametrize("query, literal, synonym", [
    ("UBND", "ubnd", "uy-ban"),
    ("Ủy ban nhân dân", "uy-ban", "ubnd"),
    ("uy ban nhan dan", "uy-ban", "ubnd"),
    ("CNTT", "cntt-viet-tat", "cntt"),
    ("công nghệ thông tin", "cntt", "cntt-viet-tat"),
    ("TP.HCM", "tphcm", "hcm"),
    ("TPHCM", "tphcm", "hcm"),
    ("TP HCM", "tphcm", "hcm"),
    ("Thành phố Hồ Chí Minh", "hcm", "tphcm"),
])
def test_synonyms_match_both_ways_below_the_literal(features_index, query, literal, synonym):
    found = ids(features_index.search(query))
    assert found.index(literal) < found.index(synonym)


def test_synonym_matches_are_highlighted(features_index):
    hit = next(h for h in features_index.search("UBND") if h.id == "uy-ban")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["Ủy ban nhân dân"]
    hit = next(h for h in features_index.search("CNTT") if h.id == "cntt")
    assert "công nghệ thông tin" in [hit.snippet[s:e] for s, e in hit.highlights]


def test_a_synonym_phrase_must_be_whole(features_index):
    # "nhân dân" alone is not "Ủy ban nhân dân": the article with only "nhân lực",
    # "nhân viên" gets nothing from "UBND".
    assert set(ids(features_index.search("UBND"))) == {"ubnd", "uy-ban"}


def test_synonyms_can_be_turned_off(features_index):
    assert ids(features_index.search("UBND", synonyms=False)) == ["ubnd"]


def test_quoted_phrases_get_no_synonyms(features_index):
    assert ids(features_index.search('"UBND"')) == ["ubnd"]


# -- the user's synonyms ---------------------------------------------------------------

@pytest.fixture
def own_index(tmp_path):
    index = Index.create(tmp_path / "index")
    index.add(FEATURE_ARTICLES)
    return index


def test_user_synonyms_work_at_once_without_reindexing(own_index):
    # VNM, its stock ticker, is not in the articles
    assert "vinamilk" not in ids(own_index.search("VNM"))
    assert own_index.add_synonyms("VNM", "Vinamilk") == ["VNM", "Vinamilk"]
    assert ids(own_index.search("VNM")) == ["vinamilk"]
    assert own_index.synonyms() == [["VNM", "Vinamilk"]]
    # kept with the index: another process (a new Index object) sees them
    assert Index.open(own_index.path).synonyms() == own_index.synonyms()
    assert (own_index.path / FILE).read_text(encoding="utf-8").endswith(
        "VNM, Vinamilk\n")


def test_adding_to_a_group_merges_and_removing_takes_out(own_index):
    own_index.add_synonyms("KCN", "khu công nghiệp")
    assert own_index.add_synonyms("khu CN", "KCN") == ["KCN", "khu công nghiệp", "khu CN"]
    assert own_index.remove_synonym("khu CN") == 1
    assert own_index.synonyms() == [["KCN", "khu công nghiệp"]]
    own_index.remove_synonym("KCN")
    assert own_index.synonyms() == []


def test_bad_synonym_groups_say_what_to_do(own_index):
    with pytest.raises(SynonymError, match="at least two"):
        own_index.add_synonyms("KCN")
    with pytest.raises(SynonymError, match="no letters"):
        own_index.add_synonyms("KCN", "!!!")
    with pytest.raises(SynonymError, match="built-in"):
        own_index.remove_synonym("UBND")
    with pytest.raises(SynonymError, match="synonyms list"):
        own_index.remove_synonym("không có")


def test_synonyms_file_format():
    assert parse_groups("# comment\nKCN, khu công nghiệp  # note\n\n a , b\n") == \
        [["KCN", "khu công nghiệp"], ["a", "b"]]
    assert "UBND, Ủy ban nhân dân" in BUILT_IN
