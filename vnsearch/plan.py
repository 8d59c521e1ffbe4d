"""The query plan: a query analysed once, then shared by ranking and highlighting.

Query syntax, kept small on purpose so any string is a valid query:

- free words: ``công nghệ thông tin`` (analysed as one string, so pyvi can see words);
- ``"quoted phrase"``: the syllables must be adjacent;
- ``-word`` or ``-"phrase"``: exclude documents containing it.

Whoosh's own query syntax is never parsed: ``*``, ``:``, ``(`` are just characters.

:func:`plan` parses the query, analyses its free text and each phrase once (pyvi runs
once per piece), guesses the accented reading of an unaccented query from the index's
own counts, and lists the weighted terms ranking scores with. Highlighting reads the
same plan: what is marked is what was searched.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from .analysis import FOLDED, PAIR, Analysis, Syllable, analyse
from .highlight import Marks
from .normalize import fold
from .ranking import WeightedTerm
from .restore import match_case, restore, spelled_as_in

# Weights of each form's matches, measured with bench.relevance on every query set
# (XQuAD-vi questions, news headlines, the mixed archive; accented and not): an
# exact-diacritics match counts most, a pair of adjacent syllables less than a
# syllable of its own.
EXACT_WEIGHT = 2.0
FOLDED_WEIGHT = 0.5
WORD_WEIGHT = 1.0
PAIR_WEIGHT = 0.75
RESTORED_WEIGHT = 0.5
"""Share of the exact forms' weight given to the guessed reading of an unaccented query."""

WORD_EVIDENCE = 4
"""When restoring accents, a pair that pyvi joins into one word ("dầu_khí") counts this
many times more than one that straddles two words ("ban đầu | khi"): people search for
words, so "dau khi" means "dầu khí" even where "đầu khi" is the commoner sequence."""

_TOKEN = re.compile(r'(-?)"([^"]*)("?)|(\S+)')


@dataclass
class ParsedQuery:
    """A query string split into free text, required phrases and exclusions."""

    text: str = ""
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def parse_query(query: str) -> ParsedQuery:
    """Split a query into free text, ``"phrases"`` and ``-exclusions``.

    >>> parse_query('dầu khí "công nghệ" -xăng')
    ParsedQuery(text='dầu khí', phrases=['công nghệ'], excluded=['xăng'])
    """
    parsed = ParsedQuery()
    free = []
    for match in _TOKEN.finditer(query):
        minus, phrase, _, word = match.groups()
        if word is not None:
            if word.startswith("-") and len(word) > 1:
                parsed.excluded.append(word[1:])
            else:
                free.append(word)
        elif phrase.strip():
            (parsed.excluded if minus else parsed.phrases).append(phrase.strip())
    parsed.text = " ".join(free)
    return parsed


@dataclass(frozen=True)
class Phrase:
    """Adjacent syllables, matched exactly when typed with diacritics, else folded."""

    syllables: list[Syllable]
    exact: bool

    @classmethod
    def of(cls, text: str) -> "Phrase":
        syllables = analyse(text).syllables
        return cls(syllables, any(s.text != s.folded for s in syllables))

    def index_terms(self) -> list[str]:
        """The syllable terms a phrase query over the index needs, in order."""
        return [s.text if self.exact else FOLDED + s.folded for s in self.syllables]

    def keys(self) -> list[str]:
        """Per syllable, what a document's syllable must equal (exact or folded)."""
        return [s.text if self.exact else s.folded for s in self.syllables]


@dataclass
class QueryPlan:
    """Everything a search needs to know about its query, worked out once.

    ``analysis`` is the free text analysed; ``accented`` whether it was typed with
    diacritics; ``restored`` the accented reading guessed for unaccented free text
    (None when there is none) and ``reading`` its syllables; ``phrases`` must match,
    ``excluded`` must not; ``terms`` are what ranking scores.
    """

    query: str
    analysis: Analysis
    accented: bool
    restored: str | None
    reading: list[str]
    phrases: list[Phrase]
    excluded: list[Phrase]
    terms: list[WeightedTerm]
    text: str = ""
    literal: Analysis | None = None
    corrections: dict[int, str] = field(default_factory=dict)
    extra_marks: tuple = ()

    @property
    def syllables(self) -> list[Syllable]:
        """The free text's syllables searched as typed (without a last word typed in
        part, in prefix mode)."""
        return (self.literal or self.analysis).syllables

    @property
    def partial(self) -> bool:
        """Whether the last word was typed in part (prefix mode): it is searched
        through its completions, not as a word."""
        return self.literal is not None

    @property
    def literal_text(self) -> str:
        """The free text without a last word typed in part."""
        if self.literal is None:
            return self.text
        return self.text[:self.analysis.syllables[-1].start].rstrip()

    def expanded(self, expansion) -> "QueryPlan":
        """This plan with what :func:`vnsearch.expansion.expand` found added: its
        terms to rank with, its corrections and phrases to mark."""
        if not (expansion.terms or expansion.corrections or expansion.marks):
            return self
        return replace(self, terms=_merge([*self.terms, *expansion.terms]),
                       corrections=dict(expansion.corrections),
                       extra_marks=tuple(tuple(m) for m in expansion.marks if m))

    def marks(self) -> Marks:
        """What highlighting marks: what this query searched for.

        Free syllables typed with diacritics (or restored) mark only that exact
        syllable, ones typed without mark every reading; a quoted phrase marks only
        its syllables where they stand together.
        """
        exact, folded = set(), set()
        texts = self.reading or [s.text for s in self.syllables]
        for position, text in enumerate(texts):
            text = self.corrections.get(position, text).lower()
            plain = fold(text)
            if text == plain:
                folded.add(plain)
            else:
                exact.add(text)
        return Marks(frozenset(exact), frozenset(folded),
                     tuple(tuple(p.keys()) for p in self.phrases) + self.extra_marks)


def plan(query: str, frequency: Callable[[str], int] | None = None,
         total: int = 0, phrase_frequency: Callable[[str], int] | None = None,
         *, pair_frequency: Callable[[str, str], int] | None = None, prefix: bool = False,
         documents: Callable[[list[str]], Iterable[str]] | None = None) -> QueryPlan:
    """Analyse ``query`` once into a :class:`QueryPlan`.

    ``frequency(term)`` is how often the index holds an exact syllable among its
    ``total`` syllables, ``phrase_frequency(term)`` (default: ``frequency``) how often
    an exact word ``"a_b"``, ``pair_frequency(a, b)`` how often exact syllables ``a b``
    side by side (default: never); they let an unaccented query be read with the
    diacritics the index most likely means. Without them nothing is restored.
    With ``prefix``, a last free word still being typed is left out of the literal
    terms: it is searched through its completions (:mod:`vnsearch.expansion`).
    ``documents(pairs)`` gives the texts of the documents that hold runs of the
    query's syllables best, best first (``pairs``: the folded pair term of each two
    neighbouring syllables, None across punctuation): how they spell the query revises
    the guessed reading (:func:`vnsearch.restore.spelled_as_in`).
    """
    parsed = parse_query(query or "")
    analysis = analyse(parsed.text)
    literal = None
    if prefix and analysis.syllables and _ends_in_free_text(query or ""):
        literal = without_last_syllable(analysis)
    syllables = (literal or analysis).syllables
    accented = any(s.text != s.folded for s in syllables)
    reading: list[str] = []
    restored = None
    if syllables and not accented and frequency is not None:
        words = phrase_frequency or frequency
        side_by_side = pair_frequency or (lambda a, b: 0)
        reading = restore([s.folded for s in syllables], frequency,
                          lambda a, b: _pair_frequency(side_by_side, words, a, b),
                          total, joined=[s.joined for s in syllables])
        pairs = _folded_pairs(syllables)
        if documents is not None and any(pairs[i] and pairs[i + 1]
                                         for i in range(len(pairs) - 1)):
            reading = spelled_as_in([s.folded for s in syllables], reading,
                                    documents(pairs))
        restored = _spell(parsed.text, syllables, reading)
        if restored is None:
            reading = []
    phrases = [p for p in map(Phrase.of, parsed.phrases) if p.syllables]
    excluded = [p for p in map(Phrase.of, parsed.excluded) if p.syllables]
    terms = weighted_terms(literal or analysis, reading)
    if not syllables:
        for phrase in phrases:
            terms += [WeightedTerm(t, 1.0) for t in phrase.index_terms()]
    return QueryPlan(query, analysis, accented, restored, reading, phrases, excluded,
                     _merge(terms), parsed.text, literal)


def without_last_syllable(analysis: Analysis) -> Analysis:
    """The analysis of a query without its last syllable (nor a word ending there)."""
    stop = len(analysis.syllables) - 1
    return Analysis(analysis.syllables[:stop],
                    [(first, end) for first, end in analysis.words if end <= stop])


def _ends_in_free_text(query: str) -> bool:
    """Whether the last thing typed is a free word (not a phrase or an exclusion)."""
    tokens = list(_TOKEN.finditer(query))
    if not tokens or query[-1:].isspace():
        return False
    minus, phrase, _, word = tokens[-1].groups()
    return word is not None and not (word.startswith("-") and len(word) > 1)


def weighted_terms(analysis: Analysis, reading: list[str] = ()) -> list[WeightedTerm]:
    """The terms a free-text query scores with, each with its weight.

    A query typed with diacritics means them, on every syllable: its unaccented
    syllables ("tin", "Super Bowl") are meant as typed too. A query typed without any
    diacritics matches every reading through the folded forms, and its restored
    ``reading`` (see :mod:`vnsearch.restore`) adds the exact forms most likely meant.
    """
    syllables = analysis.syllables
    accented = any(s.text != s.folded for s in syllables)
    terms = []
    for syllable in syllables:
        terms.append(WeightedTerm(FOLDED + syllable.folded, FOLDED_WEIGHT))
        if accented:
            terms.append(WeightedTerm(syllable.text, EXACT_WEIGHT))
    for first, stop in analysis.words:
        word = syllables[first:stop]
        if accented:
            terms.append(WeightedTerm("_".join(s.text for s in word), WORD_WEIGHT))
        else:
            terms.append(WeightedTerm(FOLDED + "_".join(s.folded for s in word), WORD_WEIGHT))
    for left, right in zip(syllables, syllables[1:]):
        if not right.joined:
            continue
        terms.append(WeightedTerm(_folded_pair(left, right), PAIR_WEIGHT))
    for text in reading:
        terms.append(WeightedTerm(text, RESTORED_WEIGHT * EXACT_WEIGHT))
    return _merge(terms)


def _folded_pair(left: Syllable, right: Syllable) -> str:
    return f"{PAIR}{left.folded} {right.folded}"


def _folded_pairs(syllables: list[Syllable]) -> list[str | None]:
    """The folded pair term of each two neighbouring syllables, None across
    punctuation."""
    return [_folded_pair(left, right) if right.joined else None
            for left, right in zip(syllables, syllables[1:])]


def _merge(terms: list[WeightedTerm]) -> list[WeightedTerm]:
    """One entry per distinct term, weights added: a list read once."""
    merged: dict[str, float] = {}
    for term in terms:
        merged[term.text] = merged.get(term.text, 0.0) + term.weight
    return [WeightedTerm(t, w) for t, w in merged.items()]


def _pair_frequency(pairs, words, left: str, right: str) -> int:
    """Evidence that ``left right`` is meant together: how often the pair occurs, and
    more where pyvi reads it as one word (only a held pair can be a word)."""
    count = pairs(left, right)
    return count + WORD_EVIDENCE * words(f"{left}_{right}") if count else 0


def _spell(text: str, syllables: list[Syllable], reading: list[str]) -> str | None:
    """``text`` with each syllable replaced by its reading, case as typed; None when
    nothing changed."""
    pieces, last = [], 0
    for syllable, restored in zip(syllables, reading):
        pieces.append(text[last:syllable.start])
        pieces.append(match_case(restored, text[syllable.start:syllable.end]))
        last = syllable.end
    pieces.append(text[last:])
    result = "".join(pieces)
    return result if result != text else None
