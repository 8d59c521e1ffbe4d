"""What a query means beyond its literal words: prefix completions, typo corrections
and synonyms, as extra weighted terms for the ranker and extra marks for highlighting.

Searching calls :func:`expand` once on the analysed free text of a query and adds what
it returns to the literal terms; every extra term weighs less than a literal match.
Quoted phrases and exclusions are never expanded: they mean exactly what they say.

This module knows nothing of Whoosh: it is given a ``frequency(field, term)`` function
(document frequency of an index term) and a :class:`vnsearch.lexicon.Lexicon`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .analysis import FOLDED, PAIR, Analysis
from .normalize import fold
from .ranking import WeightedTerm
from .suggest import prefix_expansions

PREFIX_WEIGHT = 0.5
"""Weight of each completion of a last word typed in part (``prefix=True``), per
field weight: a folded syllable match's weight."""
PREFIX_COMPLETIONS = 20
"""Completions of a partly typed last word that are searched, the most frequent."""
PREFIX_ALONE = 5
"""The same for a query of one partly typed word: each one's postings are long."""


@dataclass
class Expansion:
    """Terms and marks a query gains beyond its literal words.

    ``terms`` go to the ranker with the literal ones; ``marks`` are sequences of folded
    syllables to highlight where they occur together in a document ("uy ban nhan dan"
    for a query "UBND"); ``corrected`` is the query with its typos corrected, or None.
    """

    terms: list[WeightedTerm] = field(default_factory=list)
    marks: list[tuple[str, ...]] = field(default_factory=list)
    corrected: str | None = None


def expand(analysis: Analysis, fields: dict[str, float], lexicon: Callable,
           *, prefix: bool = False) -> Expansion:
    """The extra terms of an analysed query.

    ``fields`` maps each field searched to its weight; ``lexicon()`` returns the
    index's :class:`~vnsearch.lexicon.Lexicon` (called only when needed: reading it is
    the slow part). With ``prefix``, the last syllable is also read as the beginning of
    a word: its most frequent completions are searched, those that follow the
    syllable before it in a document scoring more (through the syllable pair).
    """
    out = Expansion()
    syllables = analysis.syllables
    if prefix and syllables:
        _expand_prefix(out, syllables, fields, lexicon())
    return out


def without_last_syllable(analysis: Analysis) -> Analysis:
    """The analysis of a query without its last syllable (nor a word ending there)."""
    stop = len(analysis.syllables) - 1
    return Analysis(analysis.syllables[:stop],
                    [(first, end) for first, end in analysis.words if end <= stop])


def _expand_prefix(out, syllables, fields, lexicon):
    """Completions of the last syllable: after another syllable, only as a pair with
    it (rarer, so quick to read, and what the user means); alone, the few most
    frequent syllables. The syllable as typed counts among them if the index has it."""
    last = syllables[-1]
    before = syllables[-2].folded if len(syllables) > 1 else None
    accented = last.text != last.folded
    limit = PREFIX_COMPLETIONS if before is not None else PREFIX_ALONE
    for form, _ in prefix_expansions(last.text, lexicon, limit):
        folded = fold(form)
        out.marks.append((before, folded) if before is not None else (folded,))
        for name, weight in fields.items():
            if before is not None:
                out.terms.append(WeightedTerm(name, f"{PAIR}{before} {folded}",
                                              weight * PREFIX_WEIGHT))
            else:
                out.terms.append(WeightedTerm(name, form if accented else FOLDED + form,
                                              weight * PREFIX_WEIGHT))
