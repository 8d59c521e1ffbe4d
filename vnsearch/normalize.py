"""Text normalisation: one spelling for every Vietnamese syllable.

The same word reaches us as NFC or NFD, with the look-alike Ð (U+00D0) for Đ, and with
its tone mark in the old ("hòa, thủy") or new ("hoà, thuỷ") place, sometimes on a plainly
wrong vowel ("thọai"). :func:`normalize` maps all of these to one string, so documents
and queries meet. Apart from NFC, every change is a same-length substitution, which keeps
character offsets valid for highlighting.

>>> normalize("Thuỷ lợi Hoà Bình")
'Thủy lợi Hòa Bình'
>>> fold("Công nghệ")
'cong nghe'
"""

import functools
import re
import unicodedata

from unidecode import unidecode

__all__ = ["normalize", "normalize_with_offsets", "fold", "has_diacritics"]

_VOWELS = "aăâeêioôơuưy"
_TONE_MARKS = "\u0301\u0300\u0309\u0303\u0323"  # sắc, huyền, hỏi, ngã, nặng

_SPLIT = {}  # toned vowel -> (the same vowel without its tone, tone number 1..5)
_JOIN = {}  # (vowel without tone, tone number) -> toned vowel
for _vowel in _VOWELS + _VOWELS.upper():
    for _tone, _mark in enumerate(_TONE_MARKS, 1):
        _toned = unicodedata.normalize("NFC", _vowel + _mark)
        _SPLIT[_toned] = (_vowel, _tone)
        _JOIN[_vowel, _tone] = _toned

_ONSETS = set(
    " b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(" ")
)
_CODAS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_OPEN_NUCLEI = set(_VOWELS) | set(
    "ai ao au âu ay ây eo êu ia iu oa oe oi ôi ơi ua uê ui uơ uy ưa ưi ưu "
    "iêu yêu oai oao oay oeo uây uôi ươi ươu uya uyu".split()
)
_CLOSED_NUCLEI = set(_VOWELS) | set("iê yê oa oă oe oo uâ uê uô uy ươ uyê".split())


def _tone_index(nucleus, closed):
    """Where standard (old-style) orthography puts the mark inside a vowel nucleus."""
    if "ươ" in nucleus:
        return nucleus.index("ơ")
    for i, vowel in enumerate(nucleus):
        if vowel in "ăâêôơ":
            return i
    if closed:
        return len(nucleus) - 1
    return 1 if len(nucleus) == 3 else 0


def _place_tone(word):
    """Move the one tone mark of a Vietnamese syllable to its canonical vowel.

    Anything that is not a well-formed syllable (a loanword, "Rosé", two marks)
    comes back untouched: guessing would corrupt foreign words.
    """
    toned = [i for i, char in enumerate(word) if char in _SPLIT]
    if len(toned) != 1:
        return word
    mark_at = toned[0]
    plain, tone = _SPLIT[word[mark_at]]
    bases = [(plain if i == mark_at else char).lower() for i, char in enumerate(word)]
    vowels = [i for i, base in enumerate(bases) if base in _VOWELS]
    first, last = vowels[0], vowels[-1]
    if last - first + 1 != len(vowels):
        return word
    onset = "".join(bases[:first])
    # The i of gi- and the u of qu- spell the consonant, so the nucleus starts after them.
    if last > first and (onset, bases[first]) in {("g", "i"), ("q", "u")}:
        onset += bases[first]
        first += 1
    nucleus, coda = "".join(bases[first : last + 1]), "".join(bases[last + 1 :])
    valid = _CLOSED_NUCLEI if coda else _OPEN_NUCLEI
    if onset not in _ONSETS or coda not in _CODAS or nucleus not in valid:
        return word
    target = first + _tone_index(nucleus, bool(coda))
    if target == mark_at:
        return word
    chars = list(word)
    chars[mark_at] = plain
    chars[target] = _JOIN[chars[target], tone]
    return "".join(chars)


def _either_case(chars):
    return "".join(sorted({c for char in chars for c in (char, char.upper())}))


def _with_tones(vowels):
    return "".join(_JOIN[v, t] for v in _either_case(vowels) for t in range(1, 6))


def _candidate_pattern():
    """A regex that finds every tone mark :func:`_place_tone` could move, and little else.

    Scanning with it runs in C and almost never matches canonical text, which keeps
    normalising a whole corpus fast; the Python code runs only around its matches.
    """
    vowel, letter = f"[{_either_case(_VOWELS)}]", r"[^\W\d_]"
    ends_open = [(n, _tone_index(n, False)) for n in _OPEN_NUCLEI]
    # Pairs (marked vowel, next vowel) that end an open syllable canonically: tài, ngoài.
    fine_before = {b: {n[i + 1] for n, i in ends_open if i == len(n) - 2 and n[i] == b}
                   for b in _VOWELS}
    misplaced_before = "|".join(
        f"[{_with_tones(b)}][{_either_case(set(_VOWELS) - fine_before[b])}]"
        for b in _VOWELS
    )
    # Pairs (vowel, marked last vowel) that end an open syllable canonically: thuế, thuở.
    fine_after = "|".join(
        f"[{_either_case(n[i - 1])}][{_with_tones(n[i])}]"
        for n, i in ends_open if i and i == len(n) - 1
    )
    return re.compile(
        f"[{_with_tones(_VOWELS)}](?:"
        # mark before a vowel: wrong in closed syllables and triphthongs (thọai, hòang),
        # and in open ones unless the pair is a falling diphthong (tài, not thủơ)
        f"{vowel}(?:(?={letter})|(?<={misplaced_before})(?!{letter}))"
        # mark on the last vowel of an open syllable: new style (hoà, thuỷ), ngoaì
        f"|(?<={vowel}.)(?<![gG][iI].|[qQ][uU].)(?<!{fine_after})(?!{letter})"
        # mark on the i of gi- or the u of qu- (gìa, qủa)
        f"|(?<=[gG][{_with_tones('i')}]|[qQ][{_with_tones('u')}])(?={vowel})"
        ")"
    )


_CANDIDATE = _candidate_pattern()


def _is_attached(char):
    """Letters glued to digits or to a stray combining mark are codes, not syllables."""
    return unicodedata.category(char)[0] in "MN"


def _place_tones(text):
    pieces, done = [], 0
    for match in _CANDIDATE.finditer(text):
        start = end = match.start()
        if start < done:
            continue
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        while end < len(text) and text[end].isalpha():
            end += 1
        word = text[start:end]
        if not ((start and _is_attached(text[start - 1]))
                or (end < len(text) and _is_attached(text[end]))):
            word = _place_tone(word)
        pieces += [text[done:start], word]
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def normalize(text: str) -> str:
    """Return *text* in the one spelling vnsearch indexes and searches.

    NFC; Ð/ð (Icelandic eth) become Đ/đ; the tone mark of every Vietnamese syllable
    moves to its old-style place (hòa, thủy, thoại, quả, ngoài). Words that are not
    Vietnamese syllables ("Rosé", "café", codes, numbers) change only by NFC. The result
    always has the length of the NFC form of *text*.

    >>> normalize("Ðảng ủy hoà giải, thuỷ lợi, thọai")
    'Đảng ủy hòa giải, thủy lợi, thoại'
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "Ð" in text or "ð" in text:
        text = text.replace("Ð", "Đ").replace("ð", "đ")
    return _place_tones(text)


# Every character below U+0300 is left alone by NFC and never composes with what precedes
# it, so NFC can work on the stretches between such characters one at a time.
_COMPOSABLE_RUN = re.compile("[\0-\u02ff]?[^\0-\u02ff]+")


def _nfc_pieces(run):
    """Split *run* into (start, NFC of piece) pairs whose NFC forms concatenate to NFC(run)."""
    pieces = []
    for i, char in enumerate(run):
        if pieces and unicodedata.combining(char):
            pieces[-1][1] += char
        else:
            pieces.append([i, char])
    merged = []
    for start, raw in pieces:
        # A few starters still compose with what precedes them (Hangul jamo, some Indic
        # vowel signs), so a piece joins the previous one when NFC would join them.
        if merged and raw[0] >= "\u0300":
            before = merged[-1][1]
            apart = unicodedata.normalize("NFC", before) + unicodedata.normalize("NFC", raw)
            if unicodedata.normalize("NFC", before + raw) != apart:
                merged[-1][1] += raw
                continue
        merged.append([start, raw])
    return [(start, unicodedata.normalize("NFC", raw)) for start, raw in merged]


def _nfc_with_offsets(text):
    """Return NFC(text) and the index in *text* of each of its characters, plus len(text)."""
    parts, offsets, done = [], [], 0
    for match in _COMPOSABLE_RUN.finditer(text):
        if unicodedata.is_normalized("NFC", match.group()):
            continue
        start, run = match.start(), match.group()
        parts.append(text[done:start])
        offsets.extend(range(done, start))
        pieces = _nfc_pieces(run)
        if "".join(piece for _, piece in pieces) != unicodedata.normalize("NFC", run):
            pieces = [(0, unicodedata.normalize("NFC", run))]  # coarser, but never wrong
        for piece_start, piece in pieces:
            parts.append(piece)
            offsets.extend([start + piece_start] * len(piece))
        done = match.end()
    parts.append(text[done:])
    offsets.extend(range(done, len(text) + 1))
    return "".join(parts), offsets


def normalize_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """Return ``(normalize(text), offsets)``, mapping normalised positions back to *text*.

    ``offsets[i]`` is the index in *text* where character ``i`` of the result came from,
    plus a final entry ``len(text)``, so the span ``[a, b)`` of the result is
    ``text[offsets[a]:offsets[b]]``. A character composed from several code points
    (NFD input) maps to the first of them. ``offsets`` is ``None`` when it would be the
    identity, which is the case for all NFC input.

    >>> normalize_with_offsets("Ho\\u0300a Bi\\u0300nh")
    ('Hòa Bình', [0, 1, 3, 4, 5, 6, 8, 9, 10])
    """
    if unicodedata.is_normalized("NFC", text):
        return normalize(text), None
    composed, offsets = _nfc_with_offsets(text)
    if offsets == list(range(len(text) + 1)):
        offsets = None
    return normalize(composed), offsets


@functools.lru_cache(maxsize=1 << 18)
def fold(token: str) -> str:
    """Lowercase *token* and strip its diacritics, the way people type without marks.

    Cached, because it runs for every token of every document.

    >>> fold("Đường"), fold("Công nghệ")
    ('duong', 'cong nghe')
    """
    return unidecode(token).lower()


def has_diacritics(text: str) -> bool:
    """Tell whether any letter of *text* carries a diacritic (folding changes it).

    Case, digits and punctuation do not count: ``has_diacritics("Cong nghe 4.0")`` is
    False, ``has_diacritics("đi")`` is True.
    """
    if text.isascii():
        return False
    text = unicodedata.normalize("NFC", text)
    return any(char.isalpha() and fold(char) != char.lower() for char in text)
