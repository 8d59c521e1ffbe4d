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
import unicodedata
from collections.abc import Callable
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


def match_case(restored: str, typed: str) -> str:
    """``restored`` with the capitalisation the user typed ("Ha Noi" → "Hà Nội")."""
    if typed.isupper() and len(typed) > 1:
        return restored.upper()
    if typed[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
