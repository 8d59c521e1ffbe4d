"""Snippets: the passage of a document that best shows why it matched, words marked.

Highlighting needs no pyvi: a document matched through its syllables (exact or folded),
so marking every syllable whose folded form the query has is enough, and it is cheap
enough to run on the ten bodies shown. Spans point into the original text, so marks
land on the words as written ("dầu khí" for the query "dau khi").
"""

import re

from .analysis import Analysis
from .normalize import fold, normalize_with_offsets

SNIPPET_CHARS = 240
_SYLLABLE = re.compile(r"\w+")


def match_spans(text: str, query: Analysis, phrases=()) -> list[tuple[int, int, str]]:
    """``(start, end, folded)`` for every syllable of ``text`` the query matches.

    A query syllable typed with diacritics marks only that exact syllable ("thông",
    not "thống"); one typed without marks every accented reading ("dau": "dầu").
    ``phrases`` are sequences of folded syllables also marked, where they occur
    together: what a synonym, a correction or a completion matched.
    """
    exact = {s.text for s in query.syllables if s.text != s.folded}
    folded_only = {s.folded for s in query.syllables if s.text == s.folded}
    if not (exact or folded_only or phrases) or not text:
        return []
    normalised, offsets = normalize_with_offsets(text)
    if phrases:
        return _with_phrases(normalised, offsets, exact, folded_only, phrases)
    spans = []
    for match in _SYLLABLE.finditer(normalised):
        word = match.group().lower()
        folded = fold(word)
        if folded in folded_only or word in exact:
            start, end = match.span()
            if offsets is not None:
                start, end = offsets[start], offsets[end]
            spans.append((start, end, folded))
    return spans


def _with_phrases(normalised, offsets, exact, folded_only, phrases):
    """:func:`match_spans` when phrases are marked too: every syllable is kept, to
    find where the phrases' syllables follow each other."""
    found, spans, marked = [], [], set()
    for match in _SYLLABLE.finditer(normalised):
        word = match.group().lower()
        folded = fold(word)
        start, end = match.span()
        if offsets is not None:
            start, end = offsets[start], offsets[end]
        found.append((start, end, folded))
        if folded in folded_only or word in exact:
            spans.append((start, end, folded))
            marked.add(start)
    first_syllables = {}
    for phrase in phrases:
        if phrase:
            first_syllables.setdefault(phrase[0], []).append(phrase)
    extra = []
    for index, (_, _, folded) in enumerate(found):
        for phrase in first_syllables.get(folded, ()):
            run = found[index:index + len(phrase)]
            if tuple(f for _, _, f in run) == phrase:
                extra.extend(s for s in run if s[0] not in marked)
                marked.update(s[0] for s in run)
    return sorted(spans + extra) if extra else spans


def highlight(text: str, query: Analysis, width: int = SNIPPET_CHARS, phrases=()):
    """The best passage of ``text`` (about ``width`` characters) and its marked spans.

    Returns ``(snippet, spans)`` with spans as ``(start, end)`` offsets into the
    snippet. The passage is the one holding the most distinct query syllables.
    ``phrases`` are marked too (see :func:`match_spans`).

    >>> highlight("Giá dầu khí tăng.", analyse("dau khi"))     # doctest: +SKIP
    ('Giá dầu khí tăng.', [(4, 7), (8, 11)])
    """
    matches = match_spans(text, query, phrases)
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
