"""Snippets and highlight spans that point into the original text."""

import pytest

from vnsearch.analysis import analyse
from vnsearch.highlight import highlight


def marked(text, query):
    snippet, spans = highlight(text, analyse(query))
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
    snippet, spans = highlight("Tin ngắn.", analyse("xyz"))
    assert (snippet, spans) == ("Tin ngắn.", [])


@pytest.mark.parametrize("text", ["", "\n\n", "!!!", "a" * 10_000])
def test_odd_texts(text):
    snippet, spans = highlight(text, analyse("a"))
    for start, end in spans:
        assert 0 <= start < end <= len(snippet)
