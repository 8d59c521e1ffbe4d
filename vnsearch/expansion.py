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
from .normalize import fold, has_diacritics
from .ranking import WeightedTerm
from .restore import match_case
from .spelling import (CombinedSpeller, Speller, accented, correct, likely_reading, spelled,
                       telex, tone)
from .suggest import prefix_expansions

INDEX_FIELDS = ("title", "body")
"""Fields whose words a query word is looked up in: "the index holds it"."""
CORRECTION_WEIGHT = 0.4
"""Weight of a corrected word's folded form (and its pairs with its neighbours): below
the 0.5 of a folded match of a word as typed."""
EXACT_CORRECTION_WEIGHT = 1.0
"""Weight of the exact syllable a correction spells, when it is the syllable a Telex-
typed word spells ("vieetj" → "việt") or keeps the tone typed ("Phúk" → "Phúc"):
less than a typed exact match (2.0), since it is still a guess."""
FEW = 3
"""A query finding fewer documents than this may be misspelt: look for a better one."""
RARE_PAIR = 2
"""Neighbouring query syllables in at most this many documents may be a misspelling."""

PREFIX_WEIGHT = 0.5
"""Weight of each completion of a last word typed in part (``prefix=True``): a folded
syllable match's weight."""
PREFIX_COMPLETIONS = 20
"""Completions of a partly typed last word that are searched, the most frequent."""
SYNONYM_WEIGHT = 0.2
"""Weight of a synonym phrase, below a folded syllable's (0.5) so the words typed rank
first: "UBND" puts articles saying UBND above those saying "Ủy ban
nhân dân"."""
PREFIX_ALONE = 5
"""The same for a query of one partly typed word: each one's postings are long."""


@dataclass
class Expansion:
    """Terms and marks a query gains beyond its literal words.

    ``terms`` go to the ranker with the literal ones; ``phrases`` are groups of terms
    that score only in documents matching all of a group (the adjacent syllable pairs
    of a synonym phrase); ``marks`` are sequences of folded syllables to highlight
    where they occur together in a document ("uy ban nhan dan" for a query "UBND");
    ``corrected`` is the query with its typos corrected, or None; ``corrections``
    the corrected syllables by position (highlighting marks them as corrected).
    """

    terms: list[WeightedTerm] = field(default_factory=list)
    phrases: list[list[WeightedTerm]] = field(default_factory=list)
    marks: list[tuple[str, ...]] = field(default_factory=list)
    corrected: str | None = None
    corrections: dict[int, str] = field(default_factory=dict)
    """Position of a corrected syllable → its correction as the index spells it."""
    completions: int = 0
    """How many completions of a last word typed in part are searched."""

    def add_phrase_scores(self, scores: dict, score) -> dict:
        """Add the phrases' scores to ``scores`` (docnum → score), where ``score(terms)``
        scores some terms (:meth:`vnsearch.ranking.Ranker.score` over the fields
        searched)."""
        for group in self.phrases:
            parts = [score([term]) for term in group]
            if not parts or not all(parts):
                continue
            common = set(min(parts, key=len)).intersection(*parts)
            for docnum in common:
                scores[docnum] = scores.get(docnum, 0.0) + sum(p[docnum] for p in parts)
        return scores


def expand(analysis: Analysis, lexicon: Callable,
           *, prefix: bool = False, thesaurus=None, frequency: Callable | None = None,
           text: str = "") -> Expansion:
    """The extra terms of an analysed query.

    ``lexicon()`` returns the
    index's :class:`~vnsearch.lexicon.Lexicon` (called only when needed: reading it is
    the slow part). With ``prefix``, the last syllable is also read as the beginning of
    a word: its most frequent completions are searched, those that follow the
    syllable before it in a document scoring more (through the syllable pair).
    ``thesaurus`` (a :class:`vnsearch.synonyms.Thesaurus`) adds the synonyms of the
    phrases it knows in the query. With ``frequency(field, term)`` (document frequency
    of an index term), words the index does not hold are corrected
    (:func:`vnsearch.spelling.correct`) and ``corrected`` is ``text`` (the string
    analysed) with the corrections.
    """
    out = Expansion()
    syllables = analysis.syllables
    if frequency is not None and syllables:
        typed = syllables[:-1] if prefix else syllables
        _correct(out, typed, lexicon, frequency, text)
    if prefix and syllables:
        _expand_prefix(out, syllables, lexicon())
    if thesaurus is not None and syllables:
        _expand_synonyms(out, syllables, thesaurus)
    return out


def _expand_synonyms(out, syllables, thesaurus):
    """Each synonym of a phrase of the query, as one term or as a phrase: the pairs
    of adjacent syllables, all required, or its syllables when the index cannot hold
    them as pairs ("GD&ĐT"). Its weight is shared among its terms."""
    for match in thesaurus.find([s.text for s in syllables], [s.folded for s in syllables]):
        for phrase in match.others:
            out.marks.append(phrase.folded)
            if len(phrase.exact) > 1 and phrase.joined:
                forms = [f"{PAIR}{a} {b}" for a, b in zip(phrase.folded, phrase.folded[1:])]
            else:
                forms = [exact if has_diacritics(exact) else FOLDED + folded
                         for exact, folded in zip(phrase.exact, phrase.folded)]
            share = SYNONYM_WEIGHT / len(forms)
            terms = [WeightedTerm(form, share) for form in forms]
            if len(terms) == 1:
                out.terms.extend(terms)
            else:
                out.phrases.append(terms)


def _known(frequency, first=()):
    """Whether the index holds a folded syllable, asking the fields searched first
    (their frequencies were just looked up to score the query)."""
    order = list(dict.fromkeys([*first, *INDEX_FIELDS]))

    def known(folded: str) -> int:
        for name in order:
            found = frequency(name, FOLDED + folded)
            if found:
                return found
        return 0
    return known


def _pairs(frequency):
    def pair_frequency(left: str, right: str) -> int:
        return sum(frequency(name, f"{PAIR}{left} {right}") for name in INDEX_FIELDS)
    return pair_frequency


def speller_for(lexicon) -> Speller:
    """The speller of a lexicon, made once (it indexes every syllable's deletions)."""
    speller = getattr(lexicon, "speller", None)
    if speller is None:
        parts = getattr(lexicon, "parts", None)  # a CombinedLexicon: one per segment
        speller = lexicon.speller = (
            CombinedSpeller([speller_for(part) for part in parts]) if parts
            else Speller(lexicon.folded_syllables()))
    return speller


def _correct(out, syllables, lexicon, frequency, text):
    folded = [s.folded for s in syllables]
    known = _known(frequency)
    if all(not s.isalpha() or known(s) or (len(s) < 4 and telex(s) is None)
           for s in folded):
        return  # the usual case: no need to read the lexicon
    found = lexicon()
    corrections = correct(folded, known, speller_for(found), _pairs(frequency))
    for position, candidate in corrections.items():
        typed = syllables[position].text
        telexed = has_diacritics(candidate)  # Telex decoded: the very syllable meant
        out.corrections[position] = candidate if telexed else spelled(candidate, typed, found)
        # The exact syllable counts when it is certain (Telex) or keeps the tone typed
        # ("Phúk" → "Phúc"); otherwise every reading of the correction does.
        exact = telexed or (typed != syllables[position].folded
                            and tone(out.corrections[position]) == tone(typed))
        candidate = fold(candidate)
        if exact:
            out.terms.append(WeightedTerm(out.corrections[position],
                                          EXACT_CORRECTION_WEIGHT))
        if not telexed:
            out.terms.append(WeightedTerm(FOLDED + candidate, CORRECTION_WEIGHT))
        if position > 0:
            out.terms.append(WeightedTerm(f"{PAIR}{folded[position - 1]} {candidate}",
                                          CORRECTION_WEIGHT))
        if position + 1 < len(folded):
            out.terms.append(WeightedTerm(f"{PAIR}{candidate} {folded[position + 1]}",
                                          CORRECTION_WEIGHT))
    if corrections:
        out.corrected = rewrite(text, syllables, out.corrections)


def rewrite(text: str, syllables, replacements: dict[int, str]) -> str:
    """``text`` with some syllables replaced (position → new syllable), in the case
    they were typed in."""
    pieces, last = [], 0
    for position, new in sorted(replacements.items()):
        syllable = syllables[position]
        pieces.append(text[last:syllable.start])
        pieces.append(match_case(new, text[syllable.start:syllable.end]))
        last = syllable.end
    pieces.append(text[last:])
    return "".join(pieces)


def did_you_mean(analysis: Analysis, text: str, total: int, frequency: Callable,
                 lexicon: Callable, corrections: dict[int, str] | None = None) -> str | None:
    """A likelier query than ``text`` (what ``analysis`` analysed), or None.

    Looked for only when the query may be misspelt: it finds fewer than :data:`FEW`
    documents, two of its neighbouring syllables are rarely together, or a word had
    to be corrected. See :func:`vnsearch.spelling.likely_reading`.
    """
    syllables = analysis.syllables
    if not syllables or len(syllables) > 6:
        return None
    corrections = corrections or {}
    folded = [fold(corrections[i]) if i in corrections else s.folded
              for i, s in enumerate(syllables)]
    pair_frequency = _pairs(frequency)
    if total >= FEW and not corrections and all(
            pair_frequency(a, b) > RARE_PAIR for a, b in zip(folded, folded[1:])):
        return None
    found = lexicon()
    path = likely_reading(folded, found.folded_frequency, speller_for(found), pair_frequency)
    if path is None:
        return None
    typed = [corrections.get(i, s.text) for i, s in enumerate(syllables)]
    words = accented(path, typed, found)
    for position, (word, syllable) in enumerate(zip(words, syllables)):
        # A syllable typed with diacritics changes only into a word the index holds
        # with a neighbour ("chứng khoáng" → "chứng khoán"): folded pairs mix tones,
        # "các nhánh" is not "các nhấn" because "các nhân" is common.
        if word != syllable.text and syllable.text != syllable.folded and not any(
                found.frequency(" ".join(words[a:a + 2])) for a in (position - 1, position)
                if 0 <= a and a + 1 < len(words)):
            return None
    suggestion = rewrite(text, syllables, dict(enumerate(words)))
    return suggestion if suggestion.lower() != text.lower() else None


def _expand_prefix(out, syllables, lexicon):
    """Completions of the last syllable: after another syllable, only as a pair with
    it (rarer, so quick to read, and what the user means); alone, the few most
    frequent syllables. The syllable as typed counts among them if the index has it."""
    last = syllables[-1]
    before = syllables[-2].folded if len(syllables) > 1 else None
    accented = last.text != last.folded
    limit = PREFIX_COMPLETIONS if before is not None else PREFIX_ALONE
    for form, _ in prefix_expansions(last.text, lexicon, limit):
        folded = fold(form)
        out.completions += 1
        out.marks.append((before, folded) if before is not None else (folded,))
        if before is not None:
            out.terms.append(WeightedTerm(f"{PAIR}{before} {folded}", PREFIX_WEIGHT))
        else:
            out.terms.append(WeightedTerm(form if accented else FOLDED + form,
                                          PREFIX_WEIGHT))
