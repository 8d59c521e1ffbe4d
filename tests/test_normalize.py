import gzip
import itertools
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from vnsearch.normalize import (
    _CLOSED_NUCLEI,
    _JOIN,
    _OPEN_NUCLEI,
    _VOWELS,
    _place_tone,
    fold,
    has_diacritics,
    normalize,
    normalize_with_offsets,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
NEWS = ROOT.parent / "shared" / "data" / "news_dated.jsonl.gz"
TONE_MARKS = "\u0301\u0300\u0309\u0303\u0323"


def nfc(text):
    return unicodedata.normalize("NFC", text)


def nfd(text):
    return unicodedata.normalize("NFD", text)


def without_tones(text):
    """The text with its five Vietnamese tone marks removed, so moved marks compare equal."""
    return nfc("".join(c for c in nfd(text) if c not in TONE_MARKS))


@pytest.mark.parametrize(
    "text, expected",
    [
        # new style to old style: open oa, oe, uy
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("thuỷ", "thủy"),
        ("thủy", "thủy"),
        ("hoè", "hòe"),
        ("khoẻ mạnh", "khỏe mạnh"),
        ("uỷ ban", "ủy ban"),
        ("hoá học", "hóa học"),
        ("tuỳ", "tùy"),
        ("luỹ", "lũy"),
        ("Thuỵ Điển", "Thụy Điển"),
        # case is kept per character
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("Hoà Bình", "Hòa Bình"),
        ("THUỶ", "THỦY"),
        ("hOà", "hÒa"),
        # marks on a plainly wrong vowel
        ("thọai", "thoại"),
        ("Điện thọai", "Điện thoại"),
        ("hòang", "hoàng"),
        ("ngọam", "ngoạm"),
        ("ngoaì", "ngoài"),
        ("muôí", "muối"),
        ("vịêt", "việt"),
        ("thùyên", "thuyền"),
        ("thủơ", "thuở"),
        ("khủyu", "khuỷu"),
        ("ngòeo", "ngoèo"),
        # gi- and qu-: the i and the u belong to the consonant
        ("già", "già"),
        ("gìa", "già"),
        ("quả", "quả"),
        ("qủa", "quả"),
        ("Qủa", "Quả"),
        ("qúy", "quý"),
        ("quý", "quý"),
        ("giữa", "giữa"),
        ("quốc", "quốc"),
        ("giường", "giường"),
        ("quyền", "quyền"),
        ("gì", "gì"),
        ("gìn giữ", "gìn giữ"),
        # closed syllables: mark on the last vowel
        ("hoàng", "hoàng"),
        ("thuyền", "thuyền"),
        ("Việt Nam", "Việt Nam"),
        ("hoạch", "hoạch"),
        ("hoặc", "hoặc"),
        ("huỳnh", "huỳnh"),
        ("tuýp", "tuýp"),
        ("túyp", "tuýp"),
        # open diphthongs: mark on the first vowel, or on the one with a hat or horn
        ("mía", "mía"),
        ("tài", "tài"),
        ("của", "của"),
        ("mưa", "mưa"),
        ("cứu", "cứu"),
        ("Huế", "Huế"),
        ("thuế", "thuế"),
        ("thuở", "thuở"),
        # triphthongs: mark on the middle vowel
        ("ngoài", "ngoài"),
        ("người", "người"),
        ("khuya", "khuya"),
        ("chuyện", "chuyện"),
        ("khuỷu", "khuỷu"),
        ("rượu", "rượu"),
        ("xoáy", "xoáy"),
        ("khuấy", "khuấy"),
        ("yếu", "yếu"),
        ("hiểu", "hiểu"),
        ("ngoẹo", "ngoẹo"),
        # look-alike Đ
        ("Ðà Nẵng", "Đà Nẵng"),
        ("ðường", "đường"),
        ("ÐBSCL", "ĐBSCL"),
        # NFD input comes out composed, and canonical
        ("Ho\u0300a Bi\u0300nh", "Hòa Bình"),
        ("thuy\u0309", "thủy"),
        ("Vie\u0323\u0302t", "Việt"),
        ("Vie\u0302\u0323t", "Việt"),
    ],
)
def test_normalize_examples(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # foreign words: not Vietnamese syllables, so their accents stay put
        "Rosé",
        "café",
        "résumé",
        "naïve",
        "Pokémon",
        "José Mourinho",
        "Beyoncé",
        "Zoé",
        # English, numbers, codes
        "The quick brown fox",
        "COVID-19",
        "3.14159",
        "12/30/2020 11:27:37 AM",
        "iPhone 12 Pro",
        "TP.HCM",
        # two tone marks: not one syllable
        "hoàà",
        # glued to digits: a code, not a word
        "hoà2",
        "2hoà",
        "",
    ],
)
def test_normalize_leaves_non_vietnamese_alone(text):
    assert normalize(text) == text


def test_foreign_word_shaped_like_a_syllable_is_rewritten():
    # French "Noé" has the shape of a new-style Vietnamese syllable (like "khoé"); both
    # documents and queries go through normalize, so they still meet.
    assert normalize("Noé") == "Nóe"


def test_eth_is_mapped_even_in_icelandic():
    assert normalize("Guðrún") == "Guđrún"


def test_stray_combining_mark_after_a_word_blocks_the_move():
    # Moving the mark would let NFC compose the stray mark onto the new bare vowel.
    text = "thu\u1ef5\u0309"  # thuỵ followed by a lone hook above
    assert normalize(text) == text
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: path.name)
def test_seed_files(seed):
    text = seed.read_text(encoding="utf-8")
    result = normalize(text)
    assert len(result) == len(nfc(text))
    assert "thọai" not in result
    assert normalize(result) == result


def test_seed_typo_is_repaired():
    text = "".join(seed.read_text(encoding="utf-8") for seed in SEEDS)
    assert "thọai" in text
    assert "thoại" in normalize(text)


# Every placement of the mark in a valid syllable leads to the same, old-style spelling.

ONSETS = ["", "h", "th", "ngh", "gi", "qu", "Tr"]
CODAS = ["", "ng", "c"]


def syllables_with_every_mark_placement():
    for onset, coda in itertools.product(ONSETS, CODAS):
        for nucleus in sorted(_CLOSED_NUCLEI if coda else _OPEN_NUCLEI):
            if onset in ("gi", "qu") and nucleus[0] == onset[1]:
                continue
            letters = onset + nucleus + coda
            first = len(onset) - (onset in ("gi", "qu"))
            spots = range(first, len(onset) + len(nucleus))
            for tone in (1, 5):
                yield [
                    letters[:i] + _JOIN[letters[i], tone] + letters[i + 1 :] for i in spots
                ]


def test_every_mark_placement_agrees():
    for spellings in syllables_with_every_mark_placement():
        results = {normalize(s) for s in spellings}
        assert len(results) == 1, spellings
        canonical = results.pop()
        assert canonical in spellings
        assert {normalize(s.upper()) for s in spellings} == {canonical.upper()}


def test_fast_scan_finds_every_syllable_that_changes():
    # normalize only looks at words its regex flags; the slow per-syllable rule is the
    # reference. Try every run of up to three vowels with the mark on each of them.
    for size in (1, 2, 3):
        for vowels in itertools.product(_VOWELS, repeat=size):
            for spot in range(size):
                tone = (spot + size) % 5 + 1
                run = list(vowels)
                run[spot] = _JOIN[run[spot], tone]
                run = "".join(run)
                for onset, coda in itertools.product(["", "h", "g", "q", "ngh"], CODAS):
                    for word in (onset + run + coda, (onset + run + coda).upper()):
                        assert normalize(f"({word}) ") == f"({_place_tone(word)}) ", word


# Properties

VIETNAMESE_CHARS = (
    list(_VOWELS + _VOWELS.upper())
    + list("".join(_JOIN.values()))
    + list("bcdđghklmnpqrstvxĐÐð")
    + list("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")  # NFD marks
    + list(" ,.-_0123456789")
)
EXOTIC_CHARS = [
    "\u1100", "\u1161", "\u11a8",  # Hangul jamo compose with each other
    "\u0958",  # Devanagari qa: NFC makes two characters of it
    "\u0f73", "\u0f74", "\u0344",  # decompose into or reorder around combining marks
    "\u212b", "\u2126",  # Angstrom and Ohm signs become Å and Ω
    "\u0334", "\u0345", "\u05b0", "\u093c", "\u0b3e", "\u0b47",
    "é", "ï", "ß", "中", "½", "²",
]
texts = st.one_of(
    st.text(alphabet=st.sampled_from(VIETNAMESE_CHARS), max_size=40),
    st.text(alphabet=st.sampled_from(VIETNAMESE_CHARS + EXOTIC_CHARS), max_size=40),
    st.text(max_size=40),
)


@given(texts)
def test_normalising_twice_changes_nothing(text):
    once = normalize(text)
    assert normalize(once) == once


@given(texts)
def test_only_nfc_changes_the_length(text):
    assert len(normalize(text)) == len(nfc(text))


@given(texts)
def test_only_tone_marks_and_eth_change_after_nfc(text):
    expected = without_tones(nfc(text).replace("Ð", "Đ").replace("ð", "đ"))
    assert without_tones(normalize(text)) == expected


@settings(max_examples=300)
@given(texts)
def test_offsets_map_back_to_the_source(text):
    normalized, offsets = normalize_with_offsets(text)
    assert normalized == normalize(text)
    if offsets is None:
        assert unicodedata.is_normalized("NFC", text) or len(normalized) == len(text)
        offsets = list(range(len(text) + 1))
    assert len(offsets) == len(normalized) + 1
    assert offsets[0] == 0 and offsets[-1] == len(text)
    assert offsets == sorted(offsets)
    assert normalize(text[offsets[0] : offsets[-1]]) == normalized

    # each cluster (characters mapped to one source index) is the NFC of its source
    starts = [i for i in range(len(normalized)) if i == 0 or offsets[i] != offsets[i - 1]]
    for a, b in zip(starts, starts[1:] + [len(normalized)]):
        source = text[offsets[a] : offsets[b]]
        assert without_tones(normalize(source)) == without_tones(normalized[a:b])

    # between spaces, a span normalises exactly as it did inside the whole text
    cuts = [i for i in starts if i == 0 or " " in normalized[i - 1 : i + 1]]
    cuts.append(len(normalized))
    for a, b in zip(cuts, cuts[1:]):
        assert normalize(text[offsets[a] : offsets[b]]) == normalized[a:b]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ho\u0300a Bi\u0300nh", ("Hòa Bình", [0, 1, 3, 4, 5, 6, 8, 9, 10])),
        ("ngu\u031bo\u031b\u0300i", ("người", [0, 1, 2, 4, 7, 8])),
        ("hoa\u0300", ("hòa", [0, 1, 2, 4])),
        ("\u212b", ("Å", None)),
    ],
)
def test_offsets_examples(text, expected):
    assert normalize_with_offsets(text) == expected


@pytest.mark.parametrize("text", ["Hòa Bình", "hoà thuỷ", "Ðà Nẵng", "thọai", "", "abc"])
def test_offsets_are_none_for_nfc_text(text):
    assert normalize_with_offsets(text) == (normalize(text), None)


def test_offsets_span_finds_the_source_of_a_word():
    text = "Tra\u0300 Vinh va\u0300 Hoa\u0300 Bi\u0300nh"
    normalized, offsets = normalize_with_offsets(text)
    a = normalized.index("Hòa Bình")
    b = a + len("Hòa Bình")
    assert text[offsets[a] : offsets[b]] == "Hoa\u0300 Bi\u0300nh"


# Folding


@pytest.mark.parametrize(
    "token, expected",
    [
        ("Đường", "duong"),
        ("Công nghệ", "cong nghe"),
        ("ĐẢNG ỦY", "dang uy"),
        ("người", "nguoi"),
        ("TGĐ", "tgd"),
        ("Ho\u0300a", "hoa"),
        ("abc123", "abc123"),
        ("", ""),
    ],
)
def test_fold(token, expected):
    assert fold(token) == expected


@given(st.text(alphabet=st.sampled_from(VIETNAMESE_CHARS), max_size=20))
def test_fold_is_ascii_and_ignores_marks_and_case(text):
    folded = fold(text)
    assert folded.isascii()
    assert fold(normalize(text).upper()) == folded


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Công nghệ", True),
        ("đi", True),
        ("Đ", True),
        ("Ho\u0300a", True),
        ("Cong nghe 4.0", False),
        ("HOA BINH", False),
        ("12/30/2020 – “AM”…", False),
        ("", False),
    ],
)
def test_has_diacritics(text, expected):
    assert has_diacritics(text) is expected


@pytest.mark.skipif(not NEWS.exists(), reason="shared news corpus not available")
def test_news_corpus_ends_up_in_one_style():
    new_style = re.compile(r"\b(?:[Hh]o[àá]|[Tt]hu[ỷỵ]|[Hh]u[ỷ])\b")
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        bodies = [json.loads(line)["body"] for line in lines]
    assert any(new_style.search(body) for body in bodies)
    for body in bodies:
        result = normalize(body)
        assert not new_style.search(result)
        assert len(result) == len(nfc(body))
