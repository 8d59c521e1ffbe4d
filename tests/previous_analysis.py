"""The indexing analysis as it was before its fast path, kept as the reference it must match.

``analyse``, ``terms`` and ``postings`` are ``vnsearch.analysis`` and ``prepare`` is
``vnsearch.schema.prepare`` of commit 0a32ebb, copied unchanged but for imports: a
Syllable object per syllable, a tuple per term occurrence, positions grouped in a dict.
Tests compare :func:`vnsearch.schema.prepare` with :func:`prepare` here, so the fast path
can change no term, frequency, position or byte of an index.

Since format 3 the exact pairs ("<công nghệ") are counted, not indexed: :func:`prepare`
moves them from the terms (and the field length) to the pair counts, and nothing else
(the only change to the code of 0a32ebb).
"""

from array import array
from dataclasses import dataclass

from whoosh import formats

from vnsearch import segment
from vnsearch.analysis import FOLDED, PAIR
from vnsearch.normalize import fold, normalize_with_offsets
from vnsearch.schema import PreparedText

EXACT_PAIR = "<"

@dataclass(frozen=True, slots=True)
class Syllable:
    text: str
    folded: str
    start: int
    end: int
    joined: bool


@dataclass(frozen=True, slots=True)
class Analysis:
    syllables: list[Syllable]
    words: list[tuple[int, int]]


def analyse(text: str) -> Analysis:
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
    cluster = offsets[end - 1] if end else 0
    while end < len(offsets) - 1 and offsets[end] == cluster:
        end += 1
    return offsets[end]


def _is_wordlike(piece: str) -> bool:
    return any(c.isalnum() for c in piece)


def terms(analysis: Analysis) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    syllables = analysis.syllables
    for position, syllable in enumerate(syllables):
        folded = syllable.folded
        out.append((syllable.text, position))
        out.append((FOLDED + folded, position))
        if position + 1 < len(syllables) and syllables[position + 1].joined:
            following = syllables[position + 1]
            out.append((PAIR + folded + " " + following.folded, position))
            out.append((EXACT_PAIR + syllable.text + " " + following.text, position))
    for first, stop in analysis.words:
        word = syllables[first:stop]
        out.append(("_".join(s.text for s in word), first))
        out.append((FOLDED + "_".join(s.folded for s in word), first))
    return out


def postings(analysis: Analysis) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for term, position in terms(analysis):
        found.setdefault(term, []).append(position)
    for positions in found.values():
        positions.sort()
    return found


_POSITIONS = formats.Positions()


def prepare(text: str, positions_for_syllables_only: bool = True) -> PreparedText:
    analysed = analyse(text)
    found = postings(analysed)
    pairs = [term[1:] for term, _ in terms(analysed) if term.startswith(EXACT_PAIR)]
    found = {term: positions for term, positions in found.items()
             if not term.startswith(EXACT_PAIR)}
    frequencies = array("I", map(len, found.values()))
    if positions_for_syllables_only:
        positional = {s.text for s in analysed.syllables}
        positional.update(FOLDED + s.folded for s in analysed.syllables)
        values = [_POSITIONS.encode(positions) if term in positional else b""
                  for term, positions in found.items()]
    else:
        values = list(map(_POSITIONS.encode, found.values()))
    return PreparedText(PreparedText.TERM_SEPARATOR.join([term.encode("utf-8")
                                                          for term in found]),
                        frequencies, b"".join(values), array("I", map(len, values)),
                        sum(frequencies), PreparedText.TERM_SEPARATOR.join(map(str.encode, pairs)))
