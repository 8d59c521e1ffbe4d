"""Searching: parse a query, build the ranked Whoosh query, collect hits with snippets.

Query syntax, kept small on purpose so any string is a valid query:

- free words: ``công nghệ thông tin`` (analysed as one string, so pyvi can see words);
- ``"quoted phrase"``: the syllables must be adjacent;
- ``-word`` or ``-"phrase"``: exclude documents containing it.

Whoosh's own query syntax is never parsed: ``*``, ``:``, ``(`` are just characters.

Ranking is BM25F over title and body. Each query syllable matches its folded form (so an
unaccented query matches every accented reading) and, when the query has diacritics,
its exact form too, which scores higher; pyvi words and adjacent syllable pairs in the
query add score where the document has them, which ranks phrases above scattered words.
"""

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from time import perf_counter

from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from .analysis import FOLDED, PAIR, Analysis, analyse
from .documents import parse_date
from .errors import QueryError
from .expansion import did_you_mean, expand, rewrite, without_last_syllable
from .highlight import highlight
from .lexicon import lexicon_for
from .normalize import has_diacritics
from .ranking import Ranker, WeightedTerm
from .restore import match_case, restore
from .synonyms import thesaurus_for

FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}
"""How much a match in each field counts."""

# Weights of each form's matches, measured with bench.relevance on both query sets
# (XQuAD-vi questions and news headlines, accented and not): an exact-diacritics match
# counts most, a pair of adjacent syllables less than a syllable of its own.
EXACT_WEIGHT = 1.5
FOLDED_WEIGHT = 0.5
WORD_WEIGHT = 1.0
PAIR_WEIGHT = 0.75
RESTORED_WEIGHT = 0.5
"""Share of EXACT_WEIGHT/WORD_WEIGHT given to the guessed reading of an unaccented query."""

_TOKEN = re.compile(r'(-?)"([^"]*)("?)|(\S+)')


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result. ``highlights`` are ``(start, end)`` spans into ``snippet``."""

    id: str
    title: str
    date: datetime | None
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    source: str | None = None


class Results(list):
    """The hits of a search, best first, plus what the engine made of the query.

    ``restored`` is the accented reading guessed for an unaccented query (None when
    the query had diacritics or nothing better was found); ``total`` counts all matches,
    ``offset`` is how many were passed over before the first hit here, ``took_ms`` how
    long the search took. ``corrected`` is the query as corrected for typos and
    ``suggestion`` a "did you mean" query (None when there is none). ``facets`` maps each
    facet asked for ("year", "month") to ``(value, count)`` pairs over all matches,
    most recent first.
    """

    def __init__(self, hits=(), query: str = "", restored: str | None = None,
                 total: int = 0, *, offset: int = 0, took_ms: float = 0.0,
                 corrected: str | None = None, suggestion: str | None = None,
                 facets: dict | None = None):
        super().__init__(hits)
        self.query = query
        self.restored = restored
        self.total = total
        self.offset = offset
        self.took_ms = took_ms
        self.corrected = corrected
        self.suggestion = suggestion
        self.facets = facets or {}


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


def weighted_terms(analysis: Analysis, fields, restored: Analysis | None = None):
    """The terms a free-text query scores with, each with its weight.

    A query typed with diacritics means them, on every syllable: its unaccented
    syllables ("tin", "Super Bowl") are meant as typed too. A query typed without any
    diacritics matches every reading through the folded forms, and its ``restored``
    reading (see :mod:`vnsearch.restore`) adds the exact forms most likely meant.
    """
    syllables = analysis.syllables
    accented = any(s.text != s.folded for s in syllables)
    terms = []
    for name in fields:
        weight = FIELD_WEIGHTS.get(name, 1.0)

        def add(text, share):
            terms.append(WeightedTerm(name, text, weight * share))

        for syllable in syllables:
            add(FOLDED + syllable.folded, FOLDED_WEIGHT)
            if accented:
                add(syllable.text, EXACT_WEIGHT)
        for first, stop in analysis.words:
            word = syllables[first:stop]
            if accented:
                add("_".join(s.text for s in word), WORD_WEIGHT)
            else:
                add(FOLDED + "_".join(s.folded for s in word), WORD_WEIGHT)
        for left, right in zip(syllables, syllables[1:]):
            add(f"{PAIR}{left.folded} {right.folded}", PAIR_WEIGHT)
        if restored is not None:
            for syllable in restored.syllables:
                add(syllable.text, RESTORED_WEIGHT * EXACT_WEIGHT)
            for first, stop in restored.words:
                add("_".join(s.text for s in restored.syllables[first:stop]),
                    RESTORED_WEIGHT * WORD_WEIGHT)
    return _merge(terms)


def _merge(terms):
    """One entry per distinct (field, term), weights added: a list read once."""
    merged: dict[tuple[str, str], float] = {}
    for term in terms:
        key = (term.field, term.text)
        merged[key] = merged.get(key, 0.0) + term.weight
    return [WeightedTerm(f, t, w) for (f, t), w in merged.items()]


def _phrase(text: str, fields):
    """The Whoosh query for adjacent syllables (exact if typed with diacritics) and
    the terms that score it."""
    syllables = analyse(text).syllables
    if not syllables:
        return None, []
    accented = has_diacritics(text)
    words = [s.text if accented else FOLDED + s.folded for s in syllables]
    per_field = []
    terms = []
    for name in fields:
        per_field.append(wq.Term(name, words[0]) if len(words) == 1
                         else wq.Phrase(name, words))
        terms += [WeightedTerm(name, w, FIELD_WEIGHTS.get(name, 1.0)) for w in words]
    return wq.Or(per_field), terms


def restore_query(text: str, ranker: Ranker) -> str | None:
    """The likely accented reading of an unaccented query, or None if it has marks
    (or no reading better than what was typed)."""
    analysis = analyse(text)
    if not analysis.syllables or has_diacritics(text):
        return None
    reading = restore([s.folded for s in analysis.syllables],
                      lambda term: ranker.doc_frequency("body", term))
    pieces, last = [], 0
    for syllable, restored in zip(analysis.syllables, reading):
        pieces.append(text[last:syllable.start])
        pieces.append(match_case(restored, text[syllable.start:syllable.end]))
        last = syllable.end
    pieces.append(text[last:])
    result = "".join(pieces)
    return result if result != text else None


FACETS = {"year": 4, "month": 7}
"""Facet names and how many characters of the ISO date each keeps."""


def search(searcher, query: str, limit: int = 10, date_from=None, date_to=None,
           sort: str = "relevance", fields=None, *, offset: int = 0,
           facets=(), prefix: bool = False, synonyms: bool = True,
           typos: bool = True, index_dir=None) -> Results:
    """Run ``query`` on a Whoosh searcher and return hits with highlighted snippets.

    ``date_from``/``date_to`` (a date, datetime or "YYYY-MM-DD") bound the publication
    date, inclusive; ``sort`` is "relevance" or "date" (newest first); ``fields``
    restricts the search to some of "title" and "body"; ``offset`` skips that many
    hits (paging); ``facets`` names counts to make over all matches ("year", "month");
    ``prefix`` reads the last word as the beginning of a word (search-as-you-type);
    ``synonyms`` searches the abbreviations and synonyms of what was typed too;
    ``typos`` corrects words the index does not hold and suggests a likelier query
    (``corrected``, ``suggestion``).
    ``index_dir`` is the index folder: the user's synonyms and the lexicon cache.
    """
    started = perf_counter()
    if sort not in ("relevance", "date"):
        raise QueryError(f"Unknown sort {sort!r}: use 'relevance' or 'date'.")
    if not isinstance(limit, int) or limit < 1:
        raise QueryError(f"The limit must be a positive whole number, not {limit!r}.")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise QueryError(f"The offset must be a whole number, 0 or more, not {offset!r}.")
    if isinstance(facets, str):
        facets = (facets,)
    for name in facets:
        if name not in FACETS:
            raise QueryError(f"Unknown facet {name!r}: use 'year' or 'month'.")
    unknown = set(fields or ()) - set(FIELD_WEIGHTS)
    if unknown:
        raise QueryError(f"Unknown field {sorted(unknown)[0]!r}: search 'title' or 'body'.")
    fields = list(fields or FIELD_WEIGHTS)
    parsed = parse_query(query or "")
    date_filter = _date_filter(date_from, date_to)
    ranker = Ranker.for_searcher(searcher)

    analysis = analyse(parsed.text)
    restored = restore_query(parsed.text, ranker) if analysis.syllables else None
    # -- query expansion (vnsearch.expansion): completions, corrections, synonyms ---
    # With ``prefix``, the last syllable is searched through its completions only.
    prefix = prefix and bool(analysis.syllables) and _ends_in_free_text(query or "")
    literal_text = parsed.text[:analysis.syllables[-1].start] if prefix else parsed.text
    if prefix:
        restored = restored[:len(literal_text)] if restored else None
    expansion = expand(analysis, {name: FIELD_WEIGHTS.get(name, 1.0) for name in fields},
                       lambda: lexicon_for(searcher, index_dir), prefix=prefix,
                       thesaurus=thesaurus_for(index_dir) if synonyms else None,
                       frequency=ranker.doc_frequency if typos else None,
                       text=parsed.text)
    literal = without_last_syllable(analysis) if prefix else analysis
    terms = weighted_terms(literal, fields, analyse(restored) if restored else None)
    terms += expansion.terms
    # -------------------------------------------------------------------------------
    required, excluded = [], []
    for text in parsed.phrases:
        phrase, phrase_terms = _phrase(text, fields)
        if phrase is not None:
            required.append(phrase)
            if not analysis.syllables:
                terms += phrase_terms
    excluded = [q for q, _ in (_phrase(t, fields) for t in parsed.excluded) if q is not None]
    if not terms and not excluded:
        raise QueryError(f"Nothing to search for in {query!r}: type some words.")

    if terms:
        scores = ranker.score(_merge(terms))
        scores = expansion.add_phrase_scores(scores, ranker.score)  # synonym phrases
    else:  # only exclusions: everything else matches
        scores = dict.fromkeys(searcher.reader().all_doc_ids(), 0.0)
    for phrase in required:
        keep = set(searcher.docs_for_query(phrase))
        scores = {d: s for d, s in scores.items() if d in keep}
    if excluded:
        drop = set(searcher.docs_for_query(wq.Or(excluded)))
        scores = {d: s for d, s in scores.items() if d not in drop}
    if date_filter is not None:
        keep = set(searcher.docs_for_query(date_filter))
        scores = {d: s for d, s in scores.items() if d in keep}
    if searcher.reader().has_deletions():
        scores = {d: s for d, s in scores.items() if not ranker.is_deleted(d)}

    if sort == "date":
        # Raw column values: numbers that sort like the dates; an undated document's
        # default cannot be turned into a datetime at all.
        dates = searcher.reader().column_reader("date", translate=False)
        top = heapq.nlargest(offset + limit, scores, key=lambda d: (dates[d], scores[d]))
    else:
        top = heapq.nlargest(offset + limit, scores, key=scores.__getitem__)
    top = top[offset:]

    shown = restored or literal_text  # what highlighting marks: as corrected, if it was
    if expansion.corrections:
        shown = rewrite(literal_text, literal.syllables, expansion.corrections)
    highlight_terms = analyse(" ".join([shown, *parsed.phrases]))
    hits = []
    for docnum in top:
        stored = searcher.stored_fields(docnum)
        snippet, spans = highlight(stored.get("body", ""), highlight_terms,
                                   phrases=expansion.marks)
        hits.append(Hit(id=stored["id"], title=stored.get("title", ""),
                        date=stored.get("date"), score=scores[docnum],
                        snippet=snippet, highlights=spans,
                        source=stored.get("source") or None))
    suggestion = did_you_mean(literal, literal_text, len(scores), ranker.doc_frequency,
                              lambda: lexicon_for(searcher, index_dir),
                              expansion.corrections) if typos else None
    return Results(hits, query=query, restored=restored, total=len(scores),
                   corrected=_in_query(query, parsed.text, expansion.corrected),
                   suggestion=_in_query(query, parsed.text, suggestion),
                   offset=offset, facets=_facets(searcher, scores, facets),
                   took_ms=(perf_counter() - started) * 1000)


def _in_query(query: str, text: str, new_text: str | None) -> str | None:
    """The whole query with its free text replaced (phrases and exclusions kept)."""
    if new_text is None:
        return None
    if (query or "").strip() == text:
        return new_text
    parsed = parse_query(query)
    return " ".join([new_text, *(f'"{p}"' for p in parsed.phrases),
                     *(f"-{e}" if " " not in e else f'-"{e}"' for e in parsed.excluded)]).strip()


def _ends_in_free_text(query: str) -> bool:
    """Whether the last thing typed is a free word (not a phrase or an exclusion)."""
    tokens = list(_TOKEN.finditer(query))
    if not tokens or query[-1:].isspace():
        return False
    minus, phrase, _, word = tokens[-1].groups()
    return word is not None and not (word.startswith("-") and len(word) > 1)


_DAY = 86_400_000_000
"""Whoosh stores dates as microseconds since year 1."""


def _facets(searcher, docnums, names) -> dict[str, list[tuple[str, int]]]:
    """Counts of matching documents per year or month, most recent first."""
    if not names:
        return {}
    dates = searcher.reader().column_reader("date", translate=False)
    days = Counter(dates[docnum] // _DAY for docnum in docnums)
    counts = {name: Counter() for name in names}
    for day, count in days.items():
        try:
            iso = long_to_datetime(day * _DAY).strftime("%Y-%m-%d")
        except (OverflowError, ValueError):  # an undated document's default value
            continue
        for name in names:
            counts[name][iso[:FACETS[name]]] += count
    return {name: sorted(found.items(), reverse=True) for name, found in counts.items()}


def _date_filter(date_from, date_to):
    start = _as_datetime(date_from, "from", time.min)
    end = _as_datetime(date_to, "to", time.max)
    if start is None and end is None:
        return None
    if start and end and start > end:
        raise QueryError(f"The date range is empty: {start:%Y-%m-%d} is after {end:%Y-%m-%d}.")
    return wq.DateRange("date", start, end)


def _as_datetime(value, name, default_time):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, default_time)
    try:
        parsed = parse_date(value)
    except ValueError:
        raise QueryError(f"Cannot read the '{name}' date {value!r}: write it as YYYY-MM-DD.") from None
    if isinstance(value, str) and len(value.strip()) <= 10:
        return datetime.combine(parsed.date(), default_time)
    return parsed


__all__ = ["Hit", "Results", "search", "parse_query"]
