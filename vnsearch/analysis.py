"""Turn Vietnamese text into index terms: syllables and words, exact and folded.

One analysis of a text yields every form the index needs, so pyvi (the expensive part)
runs once per field, never once per derived form:

==================  ==========================  ==================================
form                example for "Công nghệ"     why
==================  ==========================  ==================================
exact syllable      ``công``  ``nghệ``          matches the diacritics the user typed
folded syllable     ``~cong`` ``~nghe``         unaccented queries match every reading
exact word          ``công_nghệ``               pyvi compounds: precision
folded word         ``~cong_nghe``
folded pair         ``>cong nghe``              adjacent syllables: proximity
==================  ==========================  ==================================

Exact pairs ("công nghệ" as written) are no index terms: accent restoration needs only
how often each occurs, which :func:`exact_pairs` and :func:`tally` give for the
segment's pair table (:mod:`vnsearch.pair_counts`).

Positions count syllables (punctuation takes none), so phrase queries work on the
syllable forms; a word sits at the position of its first syllable.

This module knows nothing of Whoosh: the schema wraps it in a Whoosh analyzer.
"""

import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate, chain, compress
from operator import add, not_

from . import segment
from .normalize import fold, normalize_with_offsets

FOLDED = "~"
"""Prefix of folded terms (a syllable or word with its diacritics removed)."""

PAIR = ">"
"""Prefix of folded syllable-pair terms."""

@dataclass(frozen=True, slots=True)
class Syllable:
    """One syllable of analysed text.

    ``text`` is the normalised lower-case syllable, ``folded`` the same without
    diacritics, ``start``/``end`` its span in the *original* text, and ``joined``
    whether it follows the previous syllable with no punctuation in between.
    """

    text: str
    folded: str
    start: int
    end: int
    joined: bool


@dataclass(frozen=True, slots=True)
class Analysis:
    """The syllables of a text and pyvi's words over them.

    ``words`` holds ``(first, stop)`` syllable-index ranges of the multi-syllable words
    only; a one-syllable word is just its syllable.
    """

    syllables: list[Syllable]
    words: list[tuple[int, int]]


def analyse(text: str) -> Analysis:
    """Normalise and segment ``text``; spans point into ``text`` as given.

    >>> [s.text for s in analyse("Công nghệ, thông tin").syllables]
    ['công', 'nghệ', 'thông', 'tin']
    """
    normalised, offsets = normalize_with_offsets(text)
    pieces, words = segment.segment(normalised)
    syllables: list[Syllable] = []
    index_of: dict[int, int] = {}  # piece index -> syllable index, for word pieces only
    previous_piece = -2
    for number, (piece, start, end) in enumerate(pieces):
        if not _is_wordlike(piece):
            continue
        if piece.endswith("."):  # pyvi keeps the dot of abbreviations such as "TP."
            piece, end = piece[:-1], end - 1
        if offsets is not None:
            start, end = offsets[start], _source_end(offsets, end)
        lower = piece.lower()
        index_of[number] = len(syllables)
        syllables.append(
            Syllable(lower, fold(lower), start, end, joined=previous_piece == number - 1)
        )
        previous_piece = number
    multi = []
    for first, stop in words:
        if stop - first > 1 and all(n in index_of for n in range(first, stop)):
            multi.append((index_of[first], index_of[stop - 1] + 1))
    return Analysis(syllables, multi)


def _source_end(offsets: list[int], end: int) -> int:
    """Where a span ending at ``end`` of the normalised text ends in the source.

    A character NFC could not compose (a stray combining mark) shares its cluster's
    source offset; a span ending before it must still end after the whole cluster.
    """
    cluster = offsets[end - 1] if end else 0
    while end < len(offsets) - 1 and offsets[end] == cluster:
        end += 1
    return offsets[end]


def _is_wordlike(piece: str) -> bool:
    # pyvi also yields punctuation, "\n" and "==>"; only pieces with a letter or digit
    # are searchable.
    return _ALNUM(piece) is not None


_ALNUM = re.compile(r"[^\W_]").search
"""Finds a character for which ``str.isalnum()`` holds: ``\\w`` is those and "_"."""


def terms(analysis: Analysis) -> list[tuple[str, int]]:
    """Every index term of an analysis with its position, in document order."""
    out: list[tuple[str, int]] = []
    syllables = analysis.syllables
    for position, syllable in enumerate(syllables):
        folded = syllable.folded
        out.append((syllable.text, position))
        out.append((FOLDED + folded, position))
        if position + 1 < len(syllables) and syllables[position + 1].joined:
            following = syllables[position + 1]
            out.append((PAIR + folded + " " + following.folded, position))
    for first, stop in analysis.words:
        word = syllables[first:stop]
        out.append(("_".join(s.text for s in word), first))
        out.append((FOLDED + "_".join(s.folded for s in word), first))
    return out


def exact_pairs(analysis: Analysis) -> list[str]:
    """Each two adjacent syllables as written ("công nghệ"), in document order; none
    across punctuation."""
    syllables = analysis.syllables
    return [f"{left.text} {right.text}" for left, right in zip(syllables, syllables[1:])
            if right.joined]


def postings(analysis: Analysis) -> dict[str, list[int]]:
    """Index terms mapped to their sorted positions."""
    found: dict[str, list[int]] = {}
    for term, position in terms(analysis):
        found.setdefault(term, []).append(position)
    for positions in found.values():
        positions.sort()
    return found


def tally(text: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Every index term of ``text`` with its frequency, the syllable forms in order, and
    the exact pairs: what indexing needs, without :func:`analyse`'s spans or
    a Python object per term.

    Returns ``(frequencies, forms, pairs)``: ``frequencies`` maps each term of
    ``terms(analyse(text))`` to how often it occurs there, in order of first
    occurrence; ``forms`` holds the exact and the folded form of each syllable in turn
    (syllable ``k``: ``forms[2 * k]`` and ``forms[2 * k + 1]``). A syllable form's
    positions in ``postings(analyse(text))`` are the ``k`` it occurs at, unless a word
    or pair is spelt like it (``công_nghệ`` is one syllable, and the word of "công
    nghệ"): then its frequency exceeds its occurrences in ``forms``. ``pairs`` is
    :func:`exact_pairs`.

    >>> frequencies, forms, pairs = tally("Hà Nội, Hà Nội")
    >>> frequencies["~ha_noi"], forms[:4], pairs
    (2, ['hà', '~ha', 'nội', '~noi'], ['hà nội', 'hà nội'])
    """
    normalised, _ = normalize_with_offsets(text)
    pieces, words = segment.segment_strings(normalised)
    forms = _syllable_forms(pieces)
    # before[n]: how many of the pieces before piece n are syllables
    before = [0, *accumulate(map(bool, forms))]
    if not before[-1]:
        return {}, [], []
    exact, bare, folded, folded_heads, exact_heads = zip(*compress(forms, forms))
    # The pair each syllable starts with the next one where they are joined (adjacent
    # pieces), else None; the last syllable starts none.
    folded_pairs = list(map(add, folded_heads[:-1], bare[1:]))
    folded_pairs.append(None)
    exact_pairs = list(map(add, exact_heads[:-1], exact[1:]))
    exact_pairs.append(None)
    for number in compress(range(len(pieces)), map(not_, forms)):  # punctuation
        if before[number]:  # it parts the syllable before it from the next one
            folded_pairs[before[number] - 1] = exact_pairs[before[number] - 1] = None
    # terms()'s order; no term is empty, so filter() drops exactly the missing pairs.
    found = list(filter(None, chain.from_iterable(zip(exact, folded, folded_pairs))))
    if len(words) < len(pieces):  # some word has several syllables
        for first, stop in words:
            if stop - first > 1:
                a, b = before[first], before[stop]
                if b - a == stop - first:  # every piece of the word is a syllable
                    found.append("_".join(exact[a:b]))
                    found.append(FOLDED + "_".join(bare[a:b]))
    return (Counter(found), list(chain.from_iterable(zip(exact, folded))),
            list(filter(None, exact_pairs)))


_FORMS: dict[str, tuple[str, str, str, str, str] | bool] = {}
"""A piece of segmented text -> its forms (see :func:`_form`), or False when it is no
syllable (punctuation): the same few thousand pieces make up most text."""

_FORMS_LIMIT = 200_000
"""Entries of ``_FORMS`` at most: it is emptied when full (novel tokens never end)."""


def _syllable_forms(pieces):
    """Each piece's forms (:func:`_form`), or False for punctuation, as analyse() does."""
    forms = list(map(_FORMS.get, pieces))
    if None in forms:
        forms = [_form(piece) if form is None else form for form, piece in zip(forms, pieces)]
    return forms


def _form(piece):
    """``(syllable, folded, folded term, folded pair head, exact pair head)`` of a piece
    (``("hà", "ha", "~ha", ">ha ", "hà ")``), or False when it is no syllable."""
    form = _FORMS.get(piece)
    if form is None:
        if _is_wordlike(piece):
            lower = (piece[:-1] if piece.endswith(".") else piece).lower()
            folded = fold(lower)
            form = (lower, folded, FOLDED + folded, PAIR + folded + " ", lower + " ")
        else:
            form = False
        if len(_FORMS) >= _FORMS_LIMIT:
            _FORMS.clear()
        _FORMS[piece] = form
    return form
