"""Snippets: the passage of a document that best shows why it matched, words marked.

Highlighting needs no pyvi: a document matched through its syllables (exact or folded),
so marking every syllable whose folded form the query has is enough, and it is cheap
enough to run on the ten bodies shown. Spans point into the original text, so marks
land on the words as written ("dầu khí" for the query "dau khi").
"""

import functools
import re
from dataclasses import dataclass

from .analysis import Analysis
from .normalize import fold, normalize_with_offsets

SNIPPET_CHARS = 240
_SYLLABLE = re.compile(r"\w+")


@dataclass(frozen=True)
class Marks:
    """What to mark in a text.

    ``exact`` syllables are marked only as written (a query syllable typed with
    diacritics: "thông", not "thống"); ``folded`` ones in every reading ("dau": "dầu");
    each of ``phrases`` is a run of syllable keys (exact, or folded when the key has no
    diacritics) marked only where the whole run stands together.
    """

    exact: frozenset = frozenset()
    folded: frozenset = frozenset()
    phrases: tuple = ()

    @classmethod
    def of(cls, query: Analysis) -> "Marks":
        """Marks for every syllable of an analysed query, as typed."""
        exact = {s.text for s in query.syllables if s.text != s.folded}
        folded = {s.folded for s in query.syllables if s.text == s.folded}
        return cls(frozenset(exact), frozenset(folded))


def match_spans(text: str, marks: Marks) -> list[tuple[int, int, str]]:
    """``(start, end, folded)`` for every syllable of ``text`` the marks match."""
    if not (marks.exact or marks.folded or marks.phrases) or not text:
        return []
    normalised, offsets = normalize_with_offsets(text)
    if not marks.phrases:
        # Only syllables that could fold to a mark are looked at, found by one regular
        # expression: a long article has thousands of syllables and shows a few.
        spans = []
        for match in _candidates(marks).finditer(normalised):
            word = match.group().lower()
            folded = fold(word)
            if folded in marks.folded or word in marks.exact:
                start, end = match.span()
                if offsets is not None:
                    start, end = offsets[start], offsets[end]
                spans.append((start, end, folded))
        return spans
    spans = []
    words = []  # every syllable, only when phrases must be found
    for match in _SYLLABLE.finditer(normalised):
        word = match.group().lower()
        folded = fold(word)
        on = folded in marks.folded or word in marks.exact
        if on or marks.phrases:
            start, end = match.span()
            if offsets is not None:
                start, end = offsets[start], offsets[end]
            if marks.phrases:
                words.append((start, end, word, folded, on))
            else:
                spans.append((start, end, folded))
    if not marks.phrases:
        return spans
    marked = [w[4] for w in words]
    by_first: dict[str, list] = {}  # phrases by their first key: one lookup a syllable
    for keys in marks.phrases:
        if keys:
            by_first.setdefault(keys[0], []).append(keys)
    for first, (_, _, text, folded, _) in enumerate(words):
        found = by_first.get(text, [])
        if folded != text and folded.isascii():
            found = found + by_first.get(folded, [])
        for keys in found:
            size = len(keys)
            if first + size <= len(words) and all(
                    _same(words[first + i], key) for i, key in enumerate(keys[1:], 1)):
                marked[first:first + size] = [True] * size
    return [(start, end, folded) for (start, end, _, folded, _), on in zip(words, marked) if on]


@functools.lru_cache(maxsize=64)
def _candidates(marks: Marks) -> re.Pattern:
    """A pattern finding every whole syllable whose folded form a mark could have.

    Each letter of a folded mark stands for every Latin letter folding to it ("d":
    d, D, đ, Đ), so a match still has to be checked; syllables in other scripts could
    only fold to a mark through unidecode's transliteration, and are not marks.
    """
    keys = sorted(marks.folded | {fold(word) for word in marks.exact}, key=len, reverse=True)
    pieces = ["".join(_letter_class(char) for char in key) for key in keys if key]
    return re.compile(r"(?<!\w)(?:" + "|".join(pieces) + r")(?!\w)")


@functools.lru_cache(maxsize=None)
def _letter_class(char: str) -> str:
    """A character class of every Latin character folding to ``char``."""
    found = [other for other in _LATIN if other != char and fold(other) == char]
    return "[" + re.escape(char) + "".join(map(re.escape, found)) + "]" if found \
        else re.escape(char)


_LATIN = "".join(chr(code) for start, stop in ((0x30, 0x7B), (0xC0, 0x250), (0x1E00, 0x1F00),
                                             (0xFF10, 0xFF5B))
                 for code in range(start, stop))
"""Digits and Latin letters, Vietnamese ones included, with their full-width forms."""


def _same(word, key: str) -> bool:
    """Whether a document syllable ``(start, end, text, folded)`` matches a phrase key."""
    return word[2] == key or (key.isascii() and word[3] == key)


def highlight(text: str, marks: Marks, width: int = SNIPPET_CHARS):
    """The best passage of ``text`` (about ``width`` characters) and its marked spans.

    Returns ``(snippet, spans)`` with spans as ``(start, end)`` offsets into the
    snippet. The passage is the one holding the most distinct query syllables.

    >>> highlight("Giá dầu khí tăng.", Marks(folded=frozenset({"dau", "khi"})))
    ('Giá dầu khí tăng.', [(4, 11)])
    """
    matches = match_spans(text, marks)
    start = _best_window(matches, width)
    start, end = _widen_to_words(text, start, start + width)
    snippet = text[start:end].replace("\n", " ").replace("\r", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shown = prefix + snippet + suffix
    spans = []
    for s, e, _ in matches:
        if s < start or e > end:
            continue
        s, e = s - start + len(prefix), e - start + len(prefix)
        if spans and not shown[spans[-1][1]:s].strip():
            s = spans.pop()[0]  # "công nghệ" reads better as one mark than two
        spans.append((s, e))
    return shown, spans


def _best_window(matches, width: int) -> int:
    """Start offset of the window of ``width`` chars covering the most distinct terms."""
    if not matches:
        return 0
    best, best_start = (-1, -1), 0
    right = 0
    for left in range(len(matches)):
        right = max(right, left)
        while right + 1 < len(matches) and matches[right + 1][1] - matches[left][0] <= width:
            right += 1
        window = matches[left:right + 1]
        score = (len({m[2] for m in window}), len(window))
        if score > best:
            best, best_start = score, matches[left][0]
    # Start a little before the first match so the reader sees some context.
    return max(0, best_start - width // 6)


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Move the window's edges out of the middle of words."""
    end = min(end, len(text))
    if start > 0:
        space = text.rfind(" ", max(0, start - 20), start + 1)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.find(" ", end, end + 20)
        end = space if space != -1 else end
    return start, end
