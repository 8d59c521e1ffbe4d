"""Guess the accented reading of an unaccented query from the index's own vocabulary.

"dau khi" could be read many ways; the index knows which accented syllables its articles
use and how often, and which exact syllables stand side by side ("dầu khí" in an oil
company's archive, though "đầu" and "khi" are each more common). The most likely reading
is the best path through each syllable's accented candidates under a bigram model of the
index's own counts.

Pure logic: the caller passes the document frequencies of exact syllables and of exact
adjacent pairs, so this module knows nothing of Whoosh.
"""

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

from .normalize import fold, normalize

_VARIANTS = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "d": "dđ"}
_VOWELS = set("aeiouy")
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_CHECKED = ("p", "t", "c", "ch")
_CHECKED_TONES = ("\u0301", "\u0323")
BEAM = 8
"""Candidates kept per syllable: the most frequent readings."""
RARE = 1000
"""Readings this many times rarer than a syllable's commonest one are not considered."""
SPELLING_RUN = 3
"""How many of the query's syllables in a row a document must hold for its spelling of
them to count (:func:`spelled_as_in`): a pair alone is what the bigram counts already
weigh, three or more in a row are context they cannot see."""
FOLLOW = 0.9
"""Weight of a pair's own odds, ``count(a b) / count(a)``, against the odds of the second
syllable alone (a fixed mix, so a pair never seen weighs the same after a rare syllable
as after a common one)."""


@lru_cache(maxsize=4096)
def candidates(folded: str) -> tuple[str, ...]:
    """Every spelling of an unaccented syllable with Vietnamese letters and one tone.

    >>> "thông" in candidates("thong") and "đường" in candidates("duong")
    True
    """
    if not folded.isascii() or not folded.isalpha() or len(folded) > 7:
        return (folded,)
    choices = [_VARIANTS.get(c, c) if (c != "d" or i == 0) else c
               for i, c in enumerate(folded)]
    first_vowel = next((i for i, c in enumerate(folded) if c in _VOWELS), None)
    # A Vietnamese syllable closed by p, t, c or ch takes only the sắc or nặng tone
    # ("việt", "học"), or none in a foreign word ("chat"): the other four never occur.
    tones = _CHECKED_TONES if folded.endswith(_CHECKED) else _TONES[1:]
    found = {folded}
    for letters in itertools.product(*choices):
        base = "".join(letters)
        if first_vowel is None:
            found.add(base)
            continue
        for tone in tones:
            # Put the mark on the first vowel; normalize() moves it where it belongs.
            marked = base[:first_vowel + 1] + tone + base[first_vowel + 1:]
            found.add(normalize(unicodedata.normalize("NFC", marked)))
        found.add(base)  # no tone at all: foreign words ("chat", "internet")
    return tuple(sorted(c for c in found if fold(c) == folded))


def restore(folded_syllables: list[str], frequency: Callable[[str], int],
            pair_frequency: Callable[[str, str], int], total: int,
            joined: list[bool] | None = None) -> list[str]:
    """The most likely accented reading of a sequence of unaccented syllables.

    ``frequency(syllable)`` is how often the index holds an exact syllable among its
    ``total`` syllables, ``pair_frequency(a, b)`` how often ``a b`` side by side. A reading is
    scored as a whole by a bigram model of those counts: the odds of its first
    syllable, then of each syllable after the one before, ``count(a b) / count(a)``,
    mixed with the syllable's own odds (see :data:`FOLLOW`). So "gia vang" reads
    "giá vàng" because "giá" is followed by "vàng" far more often than "gia" is, however
    common "gia" is on its own. ``joined[i]`` False (punctuation between syllables
    ``i-1`` and ``i``) drops the pair there. A syllable with no known accented
    reading stays as it is.

    >>> counts = {"dầu": 5, "đầu": 50, "khí": 9, "khi": 80, "dầu khí": 5, "đầu khi": 1}
    >>> restore(["dau", "khi"], lambda s: counts.get(s, 0),
    ...         lambda a, b: counts.get(f"{a} {b}", 0), total=1000)
    ['dầu', 'khí']
    """
    size = max(total, 1)
    lattice = []
    for folded in folded_syllables:
        scored = [(frequency(c), c) for c in candidates(folded)]
        scored = sorted((s for s in scored if s[0] > 0), reverse=True)[:BEAM]
        scored = [s for s in scored if s[0] * RARE >= scored[0][0]]
        lattice.append(scored or [(1, folded)])
    if not lattice:
        return []
    # Viterbi over the lattice: the best path to each candidate of each position.
    paths = {c: (math.log(count / size), count, [c]) for count, c in lattice[0]}
    for position, column in enumerate(lattice[1:], start=1):
        linked = joined is None or joined[position]
        step = {}
        for previous, (score, previous_count, path) in paths.items():
            for count, c in column:
                odds = count / size
                if linked:
                    odds = (FOLLOW * pair_frequency(previous, c) / previous_count
                            + (1 - FOLLOW) * odds)
                value = score + math.log(odds)
                if c not in step or value > step[c][0]:
                    step[c] = (value, count, path + [c])
        paths = step
    return max(paths.values(), key=lambda item: item[0])[2]


def spelled_as_in(folded_syllables: list[str], reading: list[str],
                  texts: Iterable[str]) -> list[str]:
    """``reading`` revised by how the documents ``texts`` spell the query.

    ``texts`` are the documents that hold the query's syllables side by side best,
    best first (unaccented, they are found whatever their diacritics). Where a text
    holds :data:`SPELLING_RUN` or more of the query's syllables in a row, its spelling
    of them is a vote for that reading of each, worth the length of the run over the
    text's rank. A bigram model sees one neighbour: "phân loại khi" and "khi nào" are
    common, so it reads "loai khi nao" as "loại khi nào"; the question's paragraph
    says "loại khí nào". A syllable no text holds in such a run keeps ``reading``'s
    guess.

    >>> spelled_as_in(["loai", "khi", "nao"], ["loại", "khi", "nào"],
    ...               ["Loại khí nào làm lửa bùng phát?"])
    ['loại', 'khí', 'nào']
    """
    size = len(folded_syllables)
    if size < SPELLING_RUN:
        return list(reading)
    pattern = _any_of(tuple(sorted(set(folded_syllables))))
    votes = [Counter() for _ in folded_syllables]
    for rank, text in enumerate(texts, start=1):
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        # The query's syllables in the text, whatever their diacritics, and whether
        # each follows the one before with nothing but spaces and punctuation between.
        found, folds, follows, last = [], [], [], None
        for match in pattern.finditer(text):
            found.append(match)
            folds.append(fold(match.group()))
            follows.append(last is not None and not _WORD.search(text, last, match.start()))
            last = match.end()
        for start, word in enumerate(folds):
            for i, syllable in enumerate(folded_syllables):
                if syllable != word or (i and follows[start] and folds[start - 1] ==
                                        folded_syllables[i - 1]):
                    continue  # not the beginning of a run
                length = 1
                while (i + length < size and start + length < len(folds)
                       and follows[start + length]
                       and folds[start + length] == folded_syllables[i + length]):
                    length += 1
                if length >= SPELLING_RUN:
                    for k in range(length):
                        votes[i + k][found[start + k].group()] += length / rank
    # Tone marks placed the old way or the new ("hoà", "hòa") are one spelling.
    return [_spelling(counts) if counts else guess for counts, guess in zip(votes, reading)]


@lru_cache(maxsize=1024)
def _any_of(folded_syllables: tuple[str, ...]) -> re.Pattern:
    """A pattern matching any of ``folded_syllables`` as a whole word, with any
    diacritics and case ("dau" matches "Dầu", "đấu", "DAU")."""
    spelled = ("".join(_letter(c) for c in syllable)
               for syllable in sorted(folded_syllables, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + "|".join(spelled) + r")(?!\w)")


@lru_cache(maxsize=128)
def _letter(folded: str) -> str:
    """A pattern for every letter that folds to ``folded`` (one character)."""
    letters = {folded, folded.upper(), *_folding_to().get(folded, ())}
    if len(letters) == 1:
        return re.escape(folded)
    return "[" + "".join(re.escape(letter) for letter in sorted(letters)) + "]"


@lru_cache(maxsize=1)
def _folding_to() -> dict[str, set[str]]:
    """Each ASCII letter with the Vietnamese letters (both cases) that fold to it."""
    found: dict[str, set[str]] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        folded = fold(chr(code))
        if len(folded) == 1 and folded.isascii():
            found.setdefault(folded, set()).add(chr(code))
    return found


def _spelling(votes: Counter) -> str:
    merged: Counter = Counter()
    for word, weight in votes.items():
        merged[_normalized_lower(word)] += weight
    return merged.most_common(1)[0][0]


@lru_cache(maxsize=65536)
def _normalized_lower(word: str) -> str:
    return normalize(word).lower()


_WORD = re.compile(r"\w+")


def match_case(restored: str, typed: str) -> str:
    """``restored`` with the capitalisation the user typed ("Ha Noi" → "Hà Nội")."""
    if typed.isupper() and len(typed) > 1:
        return restored.upper()
    if typed[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
