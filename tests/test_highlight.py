"""Snippets and highlight spans that point into the original text."""

import pytest

from vnsearch.highlight import Marks, highlight, match_spans
from vnsearch.plan import plan

from conftest import SEEDS


def marked(text, query):
    snippet, spans = highlight(text, plan(query).marks())
    return snippet, [snippet[s:e] for s, e in spans]


def test_unaccented_query_marks_accented_words():
    assert marked("Giá dầu khí tăng.", "dau khi") == ("Giá dầu khí tăng.", ["dầu khí"])


def test_accented_query_marks_only_its_own_diacritics():
    assert marked("Thông tin về hệ thống.", "thông")[1] == ["Thông"]


def test_both_tone_styles_and_nfd_are_marked_as_written():
    nfd = "Tỉnh Ho\u0300a Bình"
    assert marked("Tỉnh Hoà Bình, xã Hòa Bình", "hòa bình")[1] == ["Hoà Bình", "Hòa Bình"]
    assert marked(nfd, "hoa binh")[1] == ["Ho\u0300a Bình"]


def test_snippet_is_the_passage_with_most_query_words():
    text = ("Mở đầu bài viết. " * 30 + "Công nghệ thông tin phát triển. " +
            "Kết thúc. " * 30)
    snippet, words = marked(text, "công nghệ thông tin")
    assert words == ["Công nghệ thông tin"]
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 280


def test_no_match_gives_the_beginning():
    snippet, spans = highlight("Tin ngắn.", plan("xyz").marks())
    assert (snippet, spans) == ("Tin ngắn.", [])


@pytest.mark.parametrize("text", ["", "\n\n", "!!!", "a" * 10_000])
def test_odd_texts(text):
    snippet, spans = highlight(text, plan("a").marks())
    for start, end in spans:
        assert 0 <= start < end <= len(snippet)


# -- quoted phrases mark only where the whole phrase stands ---------------------------

def test_quoted_phrase_marks_only_the_phrase():
    text = "Nghị quyết Đại hội. Hội nghị tổng kết năm 2020 đã diễn ra."
    assert marked(text, '"hội nghị tổng kết"')[1] == ["Hội nghị tổng kết"]


def test_unaccented_phrase_marks_every_reading_of_the_run():
    text = "Họp hội nghị. Hội nghị tổng kết. Hoi nghi tong ket."
    assert marked(text, '"hoi nghi tong ket"')[1] == ["Hội nghị tổng kết", "Hoi nghi tong ket"]


def test_phrase_and_free_words_are_marked_each_their_own_way():
    text = "Giá dầu thô tăng; công nghệ mới, công ty nghệ thuật."
    assert marked(text, 'dầu "công nghệ"')[1] == ["dầu", "công nghệ"]


def test_marks_of_an_analysed_query_mark_as_typed():
    from vnsearch.analysis import analyse
    snippet, spans = highlight("Bán hàng và bạn hàng.", Marks.of(analyse("bán hàng")))
    assert [snippet[s:e] for s, e in spans] == ["Bán hàng", "hàng"]


def _every_syllable(text, marks):
    """The rule spelled out: every syllable whose folded form, or itself, is a mark."""
    import re as _re
    from vnsearch.normalize import fold, normalize_with_offsets
    normalised, offsets = normalize_with_offsets(text)
    spans = []
    for match in _re.finditer(r"\w+", normalised):
        word = match.group().lower()
        if fold(word) in marks.folded or word in marks.exact:
            start, end = match.span()
            if offsets is not None:
                start, end = offsets[start], offsets[end]
            spans.append((start, end, fold(word)))
    return spans


@pytest.mark.parametrize("marks", [
    Marks(exact=frozenset({"dầu", "khí"})),
    Marks(folded=frozenset({"dau", "khi", "2020", "d"})),
    Marks(exact=frozenset({"việt"}), folded=frozenset({"nam", "hoa", "a", "thuy"})),
])
def test_finding_marks_by_pattern_misses_no_syllable(marks):
    text = ("ĐẦU tư dầu khí, Dau khi; đâu, đầu-khí 2020 Việt Nam VIỆT NAM Hoà Bình "
            "hòa HOÀ thuỷ thủy D đ Đ d Ｄầu 2020s a à Ả à "  # NFD "à" last
            + " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))))
    assert match_spans(text, marks) == _every_syllable(text, marks)
