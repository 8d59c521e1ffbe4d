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

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from whoosh import query as wq

from .analysis import FOLDED, PAIR, Analysis, analyse
from .documents import parse_date
from .errors import QueryError
from .highlight import highlight
from .normalize import has_diacritics

FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}
"""How much a match in each field counts."""

EXACT_WEIGHT = 1.0
FOLDED_WEIGHT = 0.5
WORD_WEIGHT = 1.0
PAIR_WEIGHT = 1.0
RESTORED_WEIGHT = 0.5

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
    the query had diacritics or nothing better was found); ``total`` counts all matches.
    """

    def __init__(self, hits=(), query: str = "", restored: str | None = None,
                 total: int = 0):
        super().__init__(hits)
        self.query = query
        self.restored = restored
        self.total = total


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


def build_query(parsed: ParsedQuery, fields=None, restored: Analysis | None = None):
    """The Whoosh query for a parsed query, or None when nothing searchable is left."""
    fields = list(fields or FIELD_WEIGHTS)
    scored = _ranked_terms(analyse(parsed.text), fields, restored) if parsed.text else None
    required = [q for q in (_phrase(p, fields) for p in parsed.phrases) if q is not None]
    excluded = [q for q in (_phrase(p, fields) for p in parsed.excluded) if q is not None]
    if required:
        positive = wq.And(required)
        if scored is not None:
            positive = wq.AndMaybe(positive, scored)
    elif scored is not None:
        positive = scored
    elif excluded:
        positive = wq.Every()
    else:
        return None
    if excluded:
        positive = wq.AndNot(positive, wq.Or(excluded))
    return positive


def _ranked_terms(analysis: Analysis, fields, restored: Analysis | None):
    syllables = analysis.syllables
    if not syllables:
        return None
    clauses = []
    for name in fields:
        weight = FIELD_WEIGHTS.get(name, 1.0)
        for syllable in syllables:
            clauses.append(wq.Term(name, FOLDED + syllable.folded, boost=weight * FOLDED_WEIGHT))
            if has_diacritics(syllable.text):
                clauses.append(wq.Term(name, syllable.text, boost=weight * EXACT_WEIGHT))
        for first, stop in analysis.words:
            word = syllables[first:stop]
            if any(has_diacritics(s.text) for s in word):
                text = "_".join(s.text for s in word)
            else:
                text = FOLDED + "_".join(s.folded for s in word)
            clauses.append(wq.Term(name, text, boost=weight * WORD_WEIGHT))
        for left, right in zip(syllables, syllables[1:]):
            clauses.append(wq.Term(name, f"{PAIR}{left.folded} {right.folded}",
                                   boost=weight * PAIR_WEIGHT))
        if restored is not None:
            for syllable in restored.syllables:
                if has_diacritics(syllable.text):
                    clauses.append(wq.Term(name, syllable.text,
                                           boost=weight * RESTORED_WEIGHT))
    return wq.Or(clauses)


def _phrase(text: str, fields):
    """Adjacent syllables: exact forms when the phrase has diacritics, else folded."""
    syllables = analyse(text).syllables
    if not syllables:
        return None
    accented = has_diacritics(text)
    words = [s.text if accented else FOLDED + s.folded for s in syllables]
    per_field = []
    for name in fields:
        if len(words) == 1:
            per_field.append(wq.Term(name, words[0]))
        else:
            per_field.append(wq.Phrase(name, words))
    return wq.Or(per_field)


def search(searcher, query: str, limit: int = 10, date_from=None, date_to=None,
           sort: str = "relevance", fields=None) -> Results:
    """Run ``query`` on a Whoosh searcher and return hits with highlighted snippets.

    ``date_from``/``date_to`` (a date, datetime or "YYYY-MM-DD") bound the publication
    date, inclusive; ``sort`` is "relevance" or "date" (newest first); ``fields``
    restricts the search to some of "title" and "body".
    """
    if sort not in ("relevance", "date"):
        raise QueryError(f"Unknown sort {sort!r}: use 'relevance' or 'date'.")
    if not isinstance(limit, int) or limit < 1:
        raise QueryError(f"The limit must be a positive whole number, not {limit!r}.")
    unknown = set(fields or ()) - set(FIELD_WEIGHTS)
    if unknown:
        raise QueryError(f"Unknown field {sorted(unknown)[0]!r}: search 'title' or 'body'.")
    parsed = parse_query(query or "")
    restored = None
    built = build_query(parsed, fields, restored)
    if built is None:
        raise QueryError(f"Nothing to search for in {query!r}: type some words.")
    date_filter = _date_filter(date_from, date_to)
    kwargs = {"limit": limit, "filter": date_filter}
    if sort == "date":
        kwargs["sortedby"] = "date"
        kwargs["reverse"] = True
    found = searcher.search(built, **kwargs)
    highlight_terms = analyse(" ".join([parsed.text, *parsed.phrases]))
    hits = []
    for hit in found:
        stored = hit.fields()
        snippet, spans = highlight(stored.get("body", ""), highlight_terms)
        hits.append(Hit(id=stored["id"], title=stored.get("title", ""),
                        date=stored.get("date"), score=float(hit.score or 0.0),
                        snippet=snippet, highlights=spans,
                        source=stored.get("source") or None))
    return Results(query=query, restored=None, total=len(found), hits=hits)


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
