"""Analysis: every form of every syllable, with spans into the original text."""

import re
import unicodedata

import pytest

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collections import Counter

from vnsearch import analysis
from vnsearch.analysis import FOLDED, PAIR, analyse, exact_pairs, tally, terms
from vnsearch.normalize import normalize


def test_forms_of_cong_nghe_thong_tin():
    found = {term for term, _ in terms(analyse("Công nghệ Thông tin"))}
    assert {"công", "nghệ", "~cong", "~nghe", "công_nghệ", "~cong_nghe",
            ">cong nghe", ">nghe thong"} <= found


def test_compound_keeps_its_syllables():
    found = {term for term, _ in terms(analyse("Phó Tổng Giám đốc"))}
    assert {"phó_tổng_giám_đốc", "giám", "đốc", ">giam doc"} <= found


def test_positions_count_syllables_not_punctuation():
    positions = {term: pos for term, pos in terms(analyse("Dầu khí, công nghệ."))}
    assert positions["dầu"] == 0 and positions["khí"] == 1 and positions["công"] == 2
    assert positions["dầu_khí"] == 0
    # No pair across the comma: proximity stops at punctuation.
    assert f"{PAIR}khi cong" not in positions


def test_tone_styles_and_nfd_index_the_same():
    assert terms(analyse("hoà thuỷ")) == terms(analyse("hòa thủy"))
    assert terms(analyse("Ho\u0300a")) == terms(analyse("Hòa"))


def test_abbreviation_dot_is_not_part_of_the_term():
    syllables = analyse("TP.HCM").syllables
    assert [s.text for s in syllables] == ["tp", "hcm"]


def test_folded_form_of_d_bar():
    assert (FOLDED + "dau", 0) in terms(analyse("Đầu"))


def test_spans_of_nfd_text_point_into_the_original():
    text = "Nguye\u0302\u0303n Ho\u0300a"
    for syllable in analyse(text).syllables:
        assert normalize(text[syllable.start:syllable.end]).lower() == syllable.text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(
    list("aăâeêioôơuưyđAĐ bcdghklmnpqrstvx.,-\n") + ["\u0300", "\u0301", "\u0303",
                                                     "\u0309", "\u0323", "à", "ố",
                                                     "ữ", "Ð", "1", "TP.", "hoà", "thọai"]),
    max_size=40).map("".join))
def test_every_span_in_the_source_is_the_token(text):
    # A combining mark NFC cannot compose (after "à", say) has no letter to belong to.
    assume(not any(unicodedata.combining(c) for c in normalize(text)))
    for syllable in analyse(text).syllables:
        assert normalize(text[syllable.start:syllable.end]).lower() == syllable.text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=120))
def test_any_text_analyses(text):
    analysis = analyse(text)
    for syllable in analysis.syllables:
        assert 0 <= syllable.start < syllable.end <= len(text)
    for first, stop in analysis.words:
        assert 0 <= first < stop <= len(analysis.syllables)


def _tally_from_terms(text):
    analysed = analyse(text)
    forms = [form for s in analysed.syllables for form in (s.text, FOLDED + s.folded)]
    return (list(Counter(term for term, _ in terms(analysed)).items()), forms,
            exact_pairs(analysed))


@pytest.mark.parametrize("text", [
    "", "...", "Công nghệ thông tin, công nghệ Thông Tin", "Phó Tổng Giám đốc TP.HCM",
    "Ho\u0300a Bi\u0300nh hoà thuỷ", "1.234,5 tỷ đồng – “Top10”", "công_nghệ và công nghệ",
])
def test_tally_counts_what_terms_gives(text):
    frequencies, forms, pairs = tally(text)
    assert (list(frequencies.items()), forms, pairs) == _tally_from_terms(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("aăâeêioôơuưyđAĐ bcdghknqt.,_@:/\n")
                                + ["\u0300", "\u0323", "hoà", "TP.", "北京"]),
                max_size=60).map("".join))
def test_tally_counts_what_terms_gives_on_any_text(text):
    frequencies, forms, pairs = tally(text)
    assert (list(frequencies.items()), forms, pairs) == _tally_from_terms(text)


def test_searchable_pieces_have_a_letter_or_digit_in_every_alphabet():
    # The regular expression that finds one stands for str.isalnum, character by character.
    every = "".join(map(chr, range(0x110000)))
    found = [m.start() for m in re.finditer(analysis._ALNUM.__self__, every)]
    assert found == [code for code, char in enumerate(every) if char.isalnum()]
    assert analysis._is_wordlike("TP.") and not analysis._is_wordlike("_-_")
