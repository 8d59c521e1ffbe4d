"""Typo tolerance and "did you mean": a tone is not a typo."""

import pytest

from vnsearch.lexicon import Lexicon
from vnsearch.spelling import (Speller, accented, allowed_edits, confusions, correct, telex,
                               distance, is_syllable, likely_reading)

from conftest import ids


# -- the pieces --------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    ("vinamlik", "vinamilk", 1),  # two letters swapped: one edit
    ("khoang", "khoan", 1), ("nguoi", "nguoi", 0), ("phuk", "phuc", 1),
    ("abc", "cba", 2), ("", "ab", 2),
])
def test_distance_counts_a_swap_as_one_edit(a, b, expected):
    assert distance(a, b) == expected == distance(b, a)


@pytest.mark.parametrize("word, edits", [("cho", 0), ("choe", 1), ("vinamlk", 1),
                                         ("vinamlik", 2)])
def test_allowed_edits_grow_with_length(word, edits):
    assert allowed_edits(word) == edits


@pytest.mark.parametrize("word, expected", [("khoang", True), ("nguyen", True),
                                            ("chung", True), ("vinamlik", False),
                                            ("phuk", False), ("tag", False)])
def test_is_syllable_knows_vietnamese_spelling(word, expected):
    assert is_syllable(word) == expected


def test_confusions_are_the_ones_vietnamese_speakers_make():
    assert {"chung", "trun"} <= confusions("trung")
    assert "khoan" in confusions("khoang") and "khoang" in confusions("khoan")
    assert "xo" in confusions("so") and "giau" in confusions("dau")


def test_speller_finds_near_words_but_never_the_word_itself():
    speller = Speller({"vinamilk": 3, "khoan": 5, "khoang": 2, "cho": 9, "choe": 1})
    assert speller.near("vinamlik", 2) == [("vinamilk", 1)]
    assert ("khoan", 1) in speller.near("khoang", 1)
    assert speller.near("cho", 0) == []


def test_correct_leaves_words_the_index_holds():
    speller = Speller({"cho": 9, "choe": 1, "vinamilk": 3})
    known = {"cho": 9, "choe": 1, "vinamilk": 3}.get
    corrections = correct(["cho", "vinamlik"], lambda w: known(w) or 0, speller,
                          lambda a, b: 0)
    assert corrections == {1: "vinamilk"}


def test_a_real_syllable_is_corrected_only_with_its_neighbours_support():
    speller = Speller({"khoan": 50, "chung": 80})
    pairs = {("chung", "khoan"): 40}
    frequency = {"khoan": 50, "chung": 80}
    # "khoanh" is a Vietnamese syllable: alone, nothing supports changing it...
    assert correct(["khoanh"], lambda w: frequency.get(w, 0), speller,
                   lambda a, b: pairs.get((a, b), 0)) == {}
    # ...after "chung", the pair "chung khoan" does.
    assert correct(["chung", "khoanh"], lambda w: frequency.get(w, 0), speller,
                   lambda a, b: pairs.get((a, b), 0)) == {1: "khoan"}


def test_likely_reading_prefers_what_the_index_holds_together():
    frequency = {"chung": 100, "khoang": 60, "khoan": 50, "khong": 300}
    pairs = {("chung", "khoang"): 1, ("chung", "khoan"): 40, ("chung", "khong"): 60}
    speller = Speller(frequency)
    reading = likely_reading(["chung", "khoang"], lambda w: frequency.get(w, 0), speller,
                             lambda a, b: pairs.get((a, b), 0))
    assert reading == ["chung", "khoan"]  # a confusion (n/ng) beats a deleted letter
    assert likely_reading(["chung", "khoan"], lambda w: frequency.get(w, 0), speller,
                          lambda a, b: pairs.get((a, b), 0)) is None


def test_accented_keeps_what_was_typed_and_its_tone():
    lexicon = Lexicon.from_terms([("chứng", 50), ("chúng", 60), ("khoán", 30),
                                  ("khoản", 40), ("chứng_khoán", 30)])
    assert accented(["chung", "khoan"], ["chung", "khoang"], lexicon) == ["chứng", "khoán"]
    # typed "khoảng" (hỏi): the hỏi form "khoản" is kept rather than the likelier word
    assert accented(["chung", "khoan"], ["chứng", "khoảng"], lexicon) == ["chứng", "khoản"]


# -- on an index -------------------------------------------------------------------------

@pytest.mark.parametrize("typed, corrected", [("Vinamlik", "Vinamilk"),
                                              ("vinamlik", "vinamilk"),
                                              ("sữa Vinamlik", "sữa Vinamilk")])
def test_a_word_the_index_lacks_is_corrected(features_index, typed, corrected):
    results = features_index.search(typed)
    assert ids(results) == ["vinamilk"] and results.corrected == corrected
    hit = results[0]
    assert "Vinamilk" in [hit.snippet[s:e] for s, e in hit.highlights] or \
        "sữa Vinamilk" in [hit.snippet[s:e] for s, e in hit.highlights]


def test_corrected_matches_weigh_less_than_exact_ones(features_index):
    exact = features_index.search("Vinamilk")[0].score
    corrected = features_index.search("Vinamlik")[0].score
    assert 0 < corrected < exact


@pytest.mark.parametrize("query", ["chó", "cho", "chợ", "CHÓ"])
def test_a_tone_is_not_a_typo_cho_never_matches_choe(features_index, query):
    results = features_index.search(query)
    assert "choe" not in ids(results)
    assert results.corrected is None and results.suggestion is None


def test_words_the_index_holds_are_never_corrected(features_index):
    # "chòe" is in the index: it is what the user meant, not a typo of "chó".
    results = features_index.search("chòe")
    assert ids(results) == ["choe"] and results.corrected is None


def test_quoted_phrases_are_never_corrected(features_index):
    results = features_index.search('"Vinamlik"')
    assert list(results) == [] and results.corrected is None


def test_typos_can_be_turned_off(features_index):
    results = features_index.search("Vinamlik", typos=False)
    assert list(results) == [] and results.corrected is None


@pytest.mark.parametrize("typed, meant", [("chung khoang", "chứng khoán"),
                                          ("Chung khoang", "Chứng khoán"),
                                          ("chứng khoáng", "chứng khoán"),
                                          ("trung khoán", "chứng khoán")])
def test_did_you_mean(features_index, typed, meant):
    results = features_index.search(typed)
    assert results.suggestion == meant
    # The results stay those of the query as typed: the ants come first.
    if typed.lower() == "chung khoang":
        assert ids(results)[0] == "kien"


@pytest.mark.parametrize("query", ["chứng khoán", "dầu thô", "Vinamilk", "chim chòe",
                                   "con chó"])
def test_no_suggestion_for_a_query_the_index_supports(features_index, query):
    assert features_index.search(query).suggestion is None


@pytest.mark.parametrize("typed, meant", [("vieetj", "việt"), ("dduowngf", "đường"),
                                          ("nguoiwf", "người"), ("chos", "chó"),
                                          ("khoong", "không"), ("truwowngf", "trường")])
def test_telex_keys_typed_without_an_input_method(typed, meant):
    assert telex(typed) == meant


@pytest.mark.parametrize("typed", ["vinamilk", "tag", "nam", "xyzw", "brows"])
def test_telex_leaves_other_words(typed):
    assert telex(typed) is None


def test_a_telex_typed_query_finds_the_exact_words(features_index):
    results = features_index.search("chos trung thanhf")
    assert results.corrected == "chó trung thành" and ids(results)[0] == "cho"
    # the exact syllable is meant: "chó" marks, not every "cho"
    assert "choe" not in ids(results)


def test_a_correction_keeps_the_tone_typed(features_index):
    results = features_index.search("chứng khoám")
    assert results.corrected == "chứng khoán"


def _near_by_deletion_index(frequencies, word, edits):
    """What :meth:`Speller.near` found with an index of every syllable's deletions."""
    deletions = {}
    for known in frequencies:
        if known.isalpha() and len(known) >= 3:
            deletions.setdefault(known, []).append(known)
            for i in range(len(known)):
                deletions.setdefault(known[:i] + known[i + 1:], []).append(known)
    found = {}
    for key in {word} | {word[:i] + word[i + 1:] for i in range(len(word))}:
        for candidate in deletions.get(key, ()):
            if candidate != word and distance(word, candidate) <= edits:
                found[candidate] = distance(word, candidate)
    for candidate in confusions(word):
        if candidate in frequencies and candidate != word:
            found[candidate] = min(found.get(candidate, 1), 1)
    return found


def test_near_finds_what_an_index_of_deletions_finds():
    from conftest import ARTICLES, FEATURE_ARTICLES
    from vnsearch.normalize import fold
    words = [fold(w) for a in ARTICLES + FEATURE_ARTICLES
             for w in f"{a['title']} {a['body']}".split()]
    frequencies = {}
    for w in words + ["vinamilk", "x1", "ab", "cafe2", "nguyen", "ngueyn"]:
        frequencies[w] = frequencies.get(w, 0) + 1
    speller = Speller(frequencies)
    typed = set()
    for w in list(frequencies)[:300]:
        typed |= {w, w[1:], w[:-1], w[::-1], w + "h", "t" + w, w[:2] + "x" + w[2:]}
        if len(w) > 3:
            typed.add(w[0] + w[2] + w[1] + w[3:])
    assert len(typed) > 1000
    for word in sorted(typed):
        for edits in (1, 2):
            near = speller.near(word, edits)
            assert dict(near) == _near_by_deletion_index(frequencies, word, edits), word
            assert near == sorted(near, key=lambda c: (c[1], -frequencies[c[0]], c[0]))


def test_segments_spellers_together_find_what_each_finds():
    from conftest import ARTICLES, FEATURE_ARTICLES
    from vnsearch.normalize import fold
    from vnsearch.spelling import CombinedSpeller
    words = [fold(w) for a in ARTICLES + FEATURE_ARTICLES
             for w in f"{a['title']} {a['body']}".split()]
    parts = [{}, {}, {}]
    for number, w in enumerate(words + ["vinamilk", "trung", "chung"]):
        part = parts[number % 3]
        part[w] = part.get(w, 0) + 1
    spellers = [Speller(part) for part in parts]
    combined = CombinedSpeller(spellers)
    for word in sorted({w[:-1] for w in words} | {"vinamlik", "chun", "trunq"}):
        for edits in (1, 2):
            expected = {}
            for speller in spellers:
                for candidate, d in speller.near(word, edits):
                    expected[candidate] = min(expected.get(candidate, d), d)
            near = combined.near(word, edits)
            assert dict(near) == expected, word
            assert near == sorted(near, key=lambda c: (c[1], -combined.frequencies[c[0]],
                                                        c[0]))
