"""Typos and "did you mean", the Vietnamese way: a tone is not a typo.

Folding merges different words (chó, chò, chợ are all "cho"), so fuzzy matching on
folded forms would turn "chó" into "chòe". Here:

- a word the index holds, exactly or folded, is never corrected, so a tone typed is
  always a word meant; only a word the index does not hold at all is compared, by its
  folded form, with the index's words: within 1 edit from 4 letters, 2 from 8 (a swap
  of two letters is one edit: "Vinamlik" → "Vinamilk"); a well-formed Vietnamese
  syllable missing from the index is a rare word more often than a typo, so it is
  corrected only to a word that the words beside it support;
- "did you mean" looks for a likelier query when the words exist but not together
  ("chung khoang": the index has "chung" and "khoang", rarely side by side): each
  syllable may change by one edit or by a spelling Vietnamese speakers confuse (n/ng,
  c/t at the end; ch/tr, s/x, d/gi/r at the start), and the reading whose neighbours
  the index holds together wins, its diacritics chosen from the index ("chứng khoán"),
  keeping the tones the user typed where they fit.

Pure logic: callers pass frequency functions and a :class:`vnsearch.lexicon.Lexicon`.
"""

import math
from itertools import chain
import unicodedata
from collections.abc import Callable, Mapping

from .normalize import fold, normalize
from .restore import restore

MAX_SUGGEST_SYLLABLES = 6
"""Longer queries get no "did you mean": a headline or a question with an unusual
pair of words is rarely misspelt, and the search is slower to check."""
BEAM = 6
"""Readings kept per syllable when looking for a likelier query."""
PAIR_WEIGHT = 2.0
"""How much the index's support for two neighbouring syllables counts, against how
common a correction is (log scales)."""
EDIT_COST = 5.0
"""What changing a syllable by one edit costs a reading (natural log: 1 in 150)."""
CONFUSION_COST = 1.0
"""What changing a syllable to a spelling often confused with it costs (1 in 2.7)."""
MIN_SUPPORT = 3
"""Documents in which a changed syllable must stand beside one of its neighbours."""
MARGIN = 1.5
"""How much likelier (natural log: 4.5 times) a reading must be than the query as
typed to be suggested."""

_ONSETS = set("b c ch d g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split())
_CODAS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_NUCLEI = set("a e i o u y ai ao au ay eo eu ia ie iu oa oai oao oay oe oeo oi oo "
              "ua uay ue ui uo uoi uou uu uy uya uye uyu ya ye yeu ieu uoi".split())
# Spellings Vietnamese speakers confuse (dialects merge their sounds): onsets, codas.
_ONSET_CONFUSIONS = [("ch", "tr"), ("s", "x"), ("d", "gi"), ("d", "r"), ("gi", "r"),
                     ("l", "n"), ("v", "d")]
_CODA_CONFUSIONS = [("n", "ng"), ("t", "c"), ("nh", "n"), ("ch", "t")]
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def allowed_edits(word: str) -> int:
    """Edits a word of this length may be corrected by: 0 below 4 letters, 1 below 8,
    else 2."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbouring letters as one edit.

    >>> distance("vinamlik", "vinamilk"), distance("khoang", "khoan")
    (1, 1)
    """
    previous2, previous = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def is_syllable(folded: str) -> bool:
    """Whether a folded word is spelt like a Vietnamese syllable ("khoang", not "vinamlik")."""
    if not folded.isascii() or not folded.isalpha():
        return False
    for onset in sorted(_ONSETS | {""}, key=len, reverse=True):
        if not folded.startswith(onset):
            continue
        rest = folded[len(onset):]
        for coda in _CODAS:
            if rest.endswith(coda) and rest[:len(rest) - len(coda)] in _NUCLEI:
                return True
    return False


class Speller:
    """Finds the index's folded syllables near a word: those one deletion away from
    it, or from which it is one deletion away, or both; then checks the distance.

    Rather than index every syllable's deletions (a second or more per segment on a
    big archive, paid by the first search with a typo), the word's own deletions are
    looked up with each letter inserted: the same candidates, for a few thousand
    dictionary lookups.
    """

    def __init__(self, frequencies: dict[str, int]):
        self.frequencies = frequencies
        self._letters: frozenset[str] | None = None

    def total(self) -> int:
        """All the frequencies added up (at least 1)."""
        if not hasattr(self, "_total"):
            self._total = max(1, sum(self.frequencies.values()))
        return self._total

    def _alphabet(self) -> frozenset[str]:
        """Every letter found in the syllables (those that may be suggested use no other)."""
        if self._letters is None:
            self._letters = frozenset(
                char for char in set("".join(self.frequencies)) if char.isalpha())
        return self._letters

    def near(self, word: str, edits: int) -> list[tuple[str, int]]:
        """``(candidate, edits)`` of the index's syllables within ``edits`` of ``word``
        (itself excluded), Vietnamese spelling confusions counting as one edit.

        Candidates are the syllables equal to ``word`` or to one of its deletions, or
        one insertion away from either (every syllable sharing a one-deletion form
        with it), kept when within ``edits``; ties go to the more frequent, then in
        alphabetical order.
        """
        return _near(word, edits, self._alphabet(), self.frequencies)


def _near(word: str, edits: int, alphabet, frequencies) -> list[tuple[str, int]]:
    """:meth:`Speller.near` over ``frequencies`` (anything with ``in`` and ``[]``),
    whose syllables are spelt with letters of ``alphabet``."""
    if edits < 1:
        return []
    letters = sorted(alphabet)
    keys = {word} | {word[:i] + word[i + 1:] for i in range(len(word))}
    found = {}
    for key in keys:
        for candidate in chain((key,), (key[:i] + letter + key[i:]
                                        for i in range(len(key) + 1)
                                        for letter in letters)):
            if candidate != word and candidate not in found \
                    and candidate in frequencies and _suggestible(candidate):
                d = distance(word, candidate)
                if d <= edits:
                    found[candidate] = d
    for candidate in confusions(word):
        if candidate in frequencies and candidate != word:
            found[candidate] = min(found.get(candidate, 1), 1)
    return sorted(found.items(), key=lambda item: (item[1], -frequencies[item[0]], item[0]))


def _suggestible(word: str) -> bool:
    """Whether a syllable of the index may be suggested for a typo."""
    return len(word) >= 3 and word.isalpha()


class CombinedSpeller:
    """The :class:`Speller` of several segments' lexicons read as one: a syllable is
    known if any segment holds it, its frequency the sum of theirs."""

    def __init__(self, spellers: list[Speller]):
        self.spellers = spellers
        self.frequencies = _Summed([s.frequencies for s in spellers])
        self._letters: frozenset[str] | None = None

    def total(self) -> int:
        """All the frequencies added up (at least 1)."""
        return max(1, sum(s.total() for s in self.spellers))

    def near(self, word: str, edits: int) -> list[tuple[str, int]]:
        """See :meth:`Speller.near`: what each segment's speller finds, together."""
        if self._letters is None:
            self._letters = frozenset().union(*(s._alphabet() for s in self.spellers))
        return _near(word, edits, self._letters, self.frequencies)


class _Summed(Mapping):
    """Several ``word → count`` dicts read as one, counts added."""

    def __init__(self, parts: list[dict]):
        self.parts = parts

    def __getitem__(self, key):
        found = [part[key] for part in self.parts if key in part]
        if not found:
            raise KeyError(key)
        return sum(found)

    def __contains__(self, key) -> bool:
        return any(key in part for part in self.parts)

    def __iter__(self):
        return iter({key for part in self.parts for key in part})

    def __len__(self) -> int:
        return len({key for part in self.parts for key in part})


def confusions(folded: str) -> set[str]:
    """Spellings of a folded syllable that Vietnamese speakers confuse with it.

    >>> sorted(confusions("chung"))
    ['chun', 'trung']
    """
    out = set()
    for a, b in _ONSET_CONFUSIONS:
        for x, y in ((a, b), (b, a)):
            if folded.startswith(x) and not folded.startswith(x + "h") \
                    and not (x == "g" and folded.startswith("gi")):
                out.add(y + folded[len(x):])
    for a, b in _CODA_CONFUSIONS:
        for x, y in ((a, b), (b, a)):
            if folded.endswith(x) and not (x in ("n", "c", "t") and folded.endswith(("ng", "nh", "ch"))):
                out.add(folded[:len(folded) - len(x)] + y)
    out.discard(folded)
    return out


_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_TELEX_MARKS = [("uow", "ươ"), ("uwow", "ươ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"),
                ("oo", "ô"), ("ow", "ơ"), ("uw", "ư"), ("dd", "đ")]
_VOWEL_LETTERS = set("aeiouy")


def telex(word: str) -> str | None:
    """The syllable a word typed with the Telex keys but no input method means, if any:
    "vieetj" → "việt", "dduowngf" → "đường", "nguoiwf" → "người".

    >>> telex("vieetj"), telex("thoong"), telex("vinamilk")
    ('việt', 'thông', None)
    """
    if not word.isascii() or not word.isalpha() or len(word) < 2:
        return None
    word = word.lower()
    first_vowel = next((i for i, c in enumerate(word) if c in _VOWEL_LETTERS), None)
    if first_vowel is None:
        return None
    tone = ""
    keys = [i for i, c in enumerate(word) if c in _TELEX_TONES and i > first_vowel]
    if keys:
        tone = _TELEX_TONES[word[keys[-1]]]
        word = word[:keys[-1]] + word[keys[-1] + 1:]
    changed = bool(tone)
    for typed, letter in _TELEX_MARKS:
        if typed in word:
            word = word.replace(typed, letter, 1)
            changed = True
    if "w" in word:  # a w typed once for the whole group: "nguoiwf", "tuw"
        word = word.replace("w", "", 1)
        for plain, horned in (("uo", "ươ"), ("o", "ơ"), ("u", "ư"), ("a", "ă")):
            if plain in word:
                word = word.replace(plain, horned, 1)
                changed = True
                break
        if "w" in word:
            return None
    if not changed or not is_syllable(fold(word)):
        return None
    vowel = next(i for i, c in enumerate(word) if fold(c) in _VOWEL_LETTERS)
    marked = word[:vowel + 1] + tone + word[vowel + 1:]
    return normalize(unicodedata.normalize("NFC", marked))


def correct(folded: list[str], known: Callable[[str], int], speller: Speller,
            pair_frequency: Callable[[str, str], int]) -> dict[int, str]:
    """Corrections of the syllables the index does not hold: position → folded word,
    or the exact syllable meant when the word was typed with Telex keys ("vieetj").

    ``known(folded)`` is how many documents hold a folded syllable; a word held by any
    is never corrected. Candidates are ranked by how common they are and how often
    they stand beside the neighbouring syllables.
    """
    out = {}
    for position, word in enumerate(folded):
        edits = allowed_edits(word)
        if not word.isalpha() or known(word) > 0 or (not edits and telex(word) is None):
            continue
        best = None
        meant = telex(word)
        if meant is not None and known(fold(meant)) > 0:
            out[position] = meant  # typed with Telex keys but no input method: exact
            continue
        for candidate, d in speller.near(word, edits):
            support = 0
            if position > 0:
                support += pair_frequency(folded[position - 1], candidate)
            if position + 1 < len(folded):
                support += pair_frequency(candidate, folded[position + 1])
            if is_syllable(word) and not support:
                continue  # a real syllable the index lacks: only a supported change
            score = (math.log(speller.frequencies.get(candidate, 1) + 1)
                     + PAIR_WEIGHT * math.log1p(support) - EDIT_COST * d)
            if best is None or score > best[0]:
                best = (score, candidate)
        if best is not None:
            out[position] = best[1]
    return out


def likely_reading(folded: list[str], frequency: Callable[[str], int], speller: Speller,
                   pair_frequency: Callable[[str, str], int]) -> list[str] | None:
    """A likelier sequence of folded syllables than ``folded``, or None.

    Each syllable may stay, or change by a spelling Vietnamese speakers confuse, or by
    one edit (dearer); a reading is scored as a chain of syllable pairs (how often the
    index has each syllable after the one before it) less the cost of its changes,
    and the best one is suggested if it beats the query as typed by :data:`MARGIN`.
    """
    if not 1 <= len(folded) <= MAX_SUGGEST_SYLLABLES:
        return None
    lattice = []
    for word in folded:
        options = {word: 0.0}
        if word.isalpha():
            # Short syllables get no edits ("chó" is never "chòe"), only confusions.
            near = [(c, d) for c, d in speller.near(word, min(1, allowed_edits(word)))
                    if frequency(c) > 0]
            near.sort(key=lambda item: -frequency(item[0]))
            for candidate, _ in near[:BEAM]:
                options[candidate] = EDIT_COST
            for candidate in confusions(word):
                if frequency(candidate) > 0:
                    options[candidate] = CONFUSION_COST
        lattice.append(options)

    total = speller.total()

    def start(word):
        return math.log(frequency(word) + 0.5)

    def step(previous, word):
        # log P(word | previous) from the index's pairs of neighbouring syllables,
        # backing off to how common the word is when the pair is unseen
        return (math.log(pair_frequency(previous, word) + (frequency(word) + 0.5) / total)
                - math.log(frequency(previous) + 1.0))

    paths = {word: (start(word) - cost, [word]) for word, cost in lattice[0].items()}
    for options in lattice[1:]:
        paths = {word: max(((total + step(path[-1], word) - cost, path + [word])
                            for total, path in paths.values()), key=lambda item: item[0])
                 for word, cost in options.items()}
    typed_score = start(folded[0]) + sum(step(a, b) for a, b in zip(folded, folded[1:]))
    score, path = max(paths.values(), key=lambda item: item[0])
    if path == folded or score - typed_score < MARGIN:
        return None
    for position, (word, typed) in enumerate(zip(path, folded)):
        # A change must stand beside a neighbour the way the index has it, often.
        if word != typed and not any(
                pair_frequency(a, b) >= MIN_SUPPORT for a, b in
                ((path[position - 1], word) if position else (None, None),
                 (word, path[position + 1]) if position + 1 < len(path) else (None, None))
                if a is not None):
            return None
    return path


def accented(path: list[str], typed: list[str], lexicon) -> list[str]:
    """The diacritics of a folded reading, from the index's own words, keeping the
    syllables typed where they fit and otherwise the tone typed if the index has it.

    ``typed`` are the syllables as typed (lower case), ``lexicon`` the index's
    :class:`~vnsearch.lexicon.Lexicon`.
    """
    reading = restore(path, lexicon.frequency, lambda a, b: lexicon.frequency(f"{a} {b}"),
                      lexicon.total())
    out = []
    for folded, restored, original in zip(path, reading, typed):
        if fold(original) == folded and original != folded:
            out.append(original)  # typed with marks, and still the same word
            continue
        mark = tone(original)
        if mark:
            same_tone = [text for text, df in lexicon.exact_forms(folded) if tone(text) == mark]
            if same_tone:
                out.append(same_tone[0])
                continue
        out.append(restored)
    return out


def spelled(folded: str, typed: str, lexicon) -> str:
    """The index's most common spelling of a folded word, with the typed tone if any."""
    forms = lexicon.exact_forms(folded)
    mark = tone(typed)
    for text, _ in forms:
        if mark and tone(text) == mark:
            return text
    return forms[0][0] if forms else folded


def tone(syllable: str) -> str:
    """The tone mark of a syllable ("" for none): "phúc" and "phúk" share theirs."""
    return "".join(c for c in unicodedata.normalize("NFD", syllable) if c in _TONE_MARKS)
