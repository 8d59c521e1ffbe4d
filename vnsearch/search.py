"""Searching: run a query plan over one committed state of the index.

The query is analysed once into a :class:`~vnsearch.plan.QueryPlan` (see
:mod:`vnsearch.plan` for the syntax); ranking and highlighting both read it.

Ranking is BM25F over title and body. Each query syllable matches its folded form (so an
unaccented query matches every accented reading) and, when the query has diacritics,
its exact form too, which scores higher; pyvi words and adjacent syllable pairs in the
query add score where the document has them. Among the documents that hold every query
syllable, two rules then order the best ones whatever their scores: those holding every
syllable with the diacritics as typed come first, and, within that, those holding the
query's syllables adjacent and in order (see :func:`_order`).
"""

import bisect
import heapq
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from time import perf_counter

from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from .analysis import FOLDED, PAIR
from .documents import parse_date
from .errors import QueryError
from .expansion import did_you_mean, expand
from .highlight import highlight
from .lexicon import FIELDS, lexicon_for
from .plan import QueryPlan, parse_query, plan
from .ranking import Ranker
from .suggest import complete
from .synonyms import thesaurus_for

FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}
"""How much a match in each field counts."""

RULE_MAX = 8
"""The ordering rules apply to queries of up to this many syllables (keywords). Longer
ones (questions, whole headlines) rank by score: requiring every syllable exactly
cost title→article 0.017 nDCG@10 there."""
SPELLING_DOCUMENTS = 5
"""How many of the documents holding an unaccented query's syllables side by side are
read for how they spell them (see :func:`vnsearch.restore.spelled_as_in`)."""
SPELLING_RUNS = 16
"""At most this many runs of three syllables (the rarest) choose those documents."""
RERANK_DEPTH = 200
"""How many of the best-scored documents the ordering rules look at (at least)."""


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
    fields = {name: FIELD_WEIGHTS[name] for name in (fields or FIELD_WEIGHTS)}
    date_filter = _date_filter(date_from, date_to)
    ranker = Ranker.for_searcher(searcher)
    # Syllables are counted in bodies; pairs in titles too, where headlines say things
    # the way people search for them.
    query_plan, expansion = _plan(query, ranker, searcher, index_dir, fields,
                                  prefix=prefix, synonyms=synonyms, typos=typos)
    if not query_plan.terms and not query_plan.excluded and not expansion.phrases:
        raise QueryError(f"Nothing to search for in {query!r}: type some words.")

    def said(total):
        suggestion = did_you_mean(
            query_plan.literal or query_plan.analysis, query_plan.literal_text, total,
            ranker.doc_frequency, lambda: lexicon_for(searcher, index_dir),
            expansion.corrections) if typos else None
        return {"corrected": _in_query(query, query_plan.text, expansion.corrected),
                "suggestion": _in_query(query, query_plan.text, suggestion)}

    count = offset + limit
    if (query_plan.terms and sort == "relevance" and not facets and date_filter is None
            and not query_plan.phrases and not query_plan.excluded
            and not expansion.phrases):
        # The common case, free words only: just the best documents are ever built.
        found = ranker.top(query_plan.terms, fields, max(RERANK_DEPTH, 2 * count))
        scores = found.scores
        top = _order(query_plan, ranker, fields, scores, count)
        if len(top) < count and found.unscored:  # paging past every scored match
            extra = found.unscored[:count - len(top)]
            scores.update(dict.fromkeys(extra, 0.0))
            top += extra
        return _results(searcher, query_plan, scores, top[offset:], found.total, offset,
                        {}, started, said(found.total))

    unscored: set[int] = set()
    if query_plan.terms or expansion.phrases:
        scores = ranker.score(query_plan.terms, fields, unscored) \
            if query_plan.terms else {}
        scores = expansion.add_phrase_scores(  # synonym phrases: all their pairs
            scores, lambda terms: ranker.score(terms, fields, set()))
    else:  # only exclusions: everything else matches
        scores = dict.fromkeys(searcher.reader().all_doc_ids(), 0.0)
    keep, drop = None, set()
    for phrase in query_plan.phrases:
        found = set(searcher.docs_for_query(_phrase_query(phrase, fields)))
        keep = found if keep is None else keep & found
    if query_plan.excluded:
        drop = set(searcher.docs_for_query(
            wq.Or([_phrase_query(p, fields) for p in query_plan.excluded])))
    if date_filter is not None:
        found = set(searcher.docs_for_query(date_filter))
        keep = found if keep is None else keep & found
    if searcher.reader().has_deletions():
        drop.update(d for d in {*scores, *unscored} if ranker.is_deleted(d))
    if keep is not None or drop:
        scores = {d: s for d, s in scores.items()
                  if d not in drop and (keep is None or d in keep)}
        unscored = {d for d in unscored if d not in drop and (keep is None or d in keep)}
    unscored.difference_update(scores)

    if sort == "date":
        dates = _Dates(searcher)
        scores.update(dict.fromkeys(unscored, 0.0))
        top = heapq.nlargest(offset + limit, scores, key=lambda d: (dates[d], scores[d]))
    else:
        top = _order(query_plan, ranker, fields, scores, offset + limit)
        if len(top) < offset + limit and unscored:  # paging past every scored match
            extra = sorted(unscored)[:offset + limit - len(top)]
            scores.update(dict.fromkeys(extra, 0.0))
            top += extra
    total = len(scores) + len(unscored)
    return _results(searcher, query_plan, scores, top[offset:], total, offset,
                    _facets(searcher, [*scores, *unscored], facets), started, said(total))


def _results(searcher, query_plan, scores, top, total, offset, facets, started,
             said) -> Results:
    """The :class:`Results` of documents ``top``, each with its snippet; ``said`` holds
    what the engine says of the query (``corrected``, ``suggestion``)."""
    marks = query_plan.marks()
    hits = []
    for docnum in top:
        stored = searcher.stored_fields(docnum)
        snippet, spans = highlight(stored.get("body", ""), marks)
        hits.append(Hit(id=stored["id"], title=stored.get("title", ""),
                        date=stored.get("date"), score=scores[docnum],
                        snippet=snippet, highlights=spans,
                        source=stored.get("source") or None))
    return Results(hits, query=query_plan.query, restored=query_plan.restored, total=total,
                   offset=offset, facets=facets, took_ms=(perf_counter() - started) * 1000,
                   **said)


def completions(searcher, prefix: str, limit: int = 10, *, index_dir=None) -> list[str]:
    """Completions of ``prefix`` (what a user is typing): its last word completed by
    words of the index, most useful first (see :func:`vnsearch.suggest.complete`)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise QueryError(f"The limit must be a positive whole number, not {limit!r}.")
    ranker = Ranker.for_searcher(searcher)

    def pairs(left: str, right: str) -> int:
        return sum(ranker.doc_frequency(name, f"{PAIR}{left} {right}") for name in FIELDS)

    return complete(prefix or "", lexicon_for(searcher, index_dir), pairs, limit)


def _plan(query, ranker, searcher, index_dir, fields, *, prefix, synonyms, typos):
    """The query plan, with its completions, corrections and synonyms
    (:mod:`vnsearch.expansion`)."""
    def documents(pairs):
        # Only the fields searched: a search of bodies reads no title's spelling.
        for docnum in _spelling_documents(ranker, fields, pairs):
            stored = searcher.stored_fields(docnum)
            yield "\n".join(stored.get(name, "") for name in fields)

    def make(prefix):
        # Syllables are counted in bodies; pairs in titles too, where headlines say
        # things the way people search for them.
        return plan(query, lambda term: ranker.occurrences("body", term),
                    ranker.total_length("body"),
                    lambda term: ranker.occurrences("body", term)
                    + ranker.occurrences("title", term),
                    pair_frequency=ranker.pair_count, prefix=prefix,
                    documents=documents)

    query_plan = make(prefix)

    def expansion_of(query_plan):
        return expand(query_plan.analysis, lambda: lexicon_for(searcher, index_dir),
                      prefix=query_plan.partial,
                      thesaurus=thesaurus_for(index_dir) if synonyms else None,
                      frequency=ranker.doc_frequency if typos else None,
                      text=query_plan.text)

    expansion = expansion_of(query_plan)
    if query_plan.partial and not expansion.completions:
        # Nothing in the index begins with the last word: it is a whole word (maybe
        # misspelt, "Vinamlik"), searched and corrected as one.
        query_plan = make(False)
        expansion = expansion_of(query_plan)
    return query_plan.expanded(expansion), expansion


def _spelling_documents(ranker, fields, pairs) -> list[int]:
    """The documents that hold most runs of three of the query's syllables, whatever
    their diacritics: both folded pairs of a run (``pairs[i]`` and ``pairs[i + 1]``).
    How they spell the query confirms or corrects its guessed reading."""
    runs: Counter = Counter()
    frequency = {pair: ranker.document_frequency(pair, fields) for pair in pairs if pair}
    common = max(1_000, ranker.doc_count // 10)  # says little, costs much to read
    threes = [sorted((left, right), key=frequency.__getitem__)
              for left, right in zip(pairs, pairs[1:])
              if left and right and frequency[left] and frequency[right]
              and max(frequency[left], frequency[right]) <= common]
    # The runs with the rarest pairs say most and cost least to find.
    threes.sort(key=lambda three: (frequency[three[0]], frequency[three[1]]))
    for rarer, commoner in threes[:SPELLING_RUNS]:
        holders = ranker.holders(commoner, fields)
        for docnum in set(ranker.doc_ids(rarer, fields)):
            if docnum in holders:
                runs[docnum] += 1
    best = []
    for docnum in sorted(runs, key=lambda d: (-runs[d], d)):
        if not ranker.is_deleted(docnum):
            best.append(docnum)
            if len(best) == SPELLING_DOCUMENTS:
                break
    return best


def _in_query(query: str, text: str, new_text: str | None) -> str | None:
    """The whole query with its free text replaced (phrases and exclusions kept)."""
    if new_text is None:
        return None
    if (query or "").strip() == text:
        return new_text
    parsed = parse_query(query)
    return " ".join([new_text, *(f'"{p}"' for p in parsed.phrases),
                     *(f"-{e}" if " " not in e else f'-"{e}"' for e in parsed.excluded)]).strip()


_DAY = 86_400_000_000
"""Whoosh stores dates as microseconds since year 1."""


class _Dates:
    """Each document's date as the raw number Whoosh stores (microseconds: they sort
    like the dates), -1 for an undated document, so that it sorts after every date.

    Read segment by segment: Whoosh's reader of a column over several segments fails
    ("Invalid argument") when one segment holds no dated document at all.
    """

    def __init__(self, searcher):
        reader = searcher.reader()
        leaves = [(reader, 0)] if reader.is_atomic() else list(reader.leaf_readers())
        self._starts = [start for _, start in leaves]
        self._columns = [leaf.column_reader("date", translate=False) for leaf, _ in leaves]
        self._undated = searcher.schema["date"].default

    def __getitem__(self, docnum: int) -> int:
        leaf = bisect.bisect_right(self._starts, docnum) - 1
        value = self._columns[leaf][docnum - self._starts[leaf]]
        return -1 if value == self._undated else value


def _facets(searcher, docnums, names) -> dict[str, list[tuple[str, int]]]:
    """Counts of matching documents per year or month, most recent first."""
    if not names:
        return {}
    dates = _Dates(searcher)
    days = Counter(dates[docnum] // _DAY for docnum in docnums)
    counts = {name: Counter() for name in names}
    for day, count in days.items():
        if day < 0:  # undated
            continue
        try:
            iso = long_to_datetime(day * _DAY).strftime("%Y-%m-%d")
        except (OverflowError, ValueError):
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


def _phrase_query(phrase, fields):
    """The Whoosh query for a phrase's syllables, adjacent, in any of ``fields``."""
    words = phrase.index_terms()
    return wq.Or([wq.Term(name, words[0]) if len(words) == 1 else wq.Phrase(name, words)
                  for name in fields])


def _order(query_plan: QueryPlan, ranker: Ranker, fields, scores, count: int) -> list[int]:
    """The ``count`` best documents: by score, with two rules over the best-scored.

    Among documents holding every query syllable (folded), one holding every syllable
    with the diacritics as typed ranks above one that holds some only after folding;
    then one holding each adjacent pair of the query (folded: the rule before checked
    the diacritics) ranks above one holding the syllables scattered or in other
    compounds. Documents missing a syllable keep their place by score.
    """
    depth = max(RERANK_DEPTH, 2 * count)
    best = heapq.nlargest(depth, scores, key=scores.__getitem__)
    syllables = query_plan.syllables
    if not best or not syllables or len(syllables) > RULE_MAX:
        return best[:count]
    folded = [ranker.holders(FOLDED + text, fields) for text in {s.folded for s in syllables}]
    exact = [ranker.holders(text, fields) for text in {s.text for s in syllables}] \
        if query_plan.accented else []
    pairs = [ranker.holders(f"{PAIR}{left.folded} {right.folded}", fields)
             for left, right in zip(syllables, syllables[1:]) if right.joined]

    def tier(docnum):
        if not all(docnum in holders for holders in folded):
            return 0
        return (1 + 2 * all(docnum in holders for holders in exact)
                + all(docnum in holders for holders in pairs))

    tiers = {docnum: tier(docnum) for docnum in best}
    if max(tiers.values()) <= 1:
        return best[:count]
    # A document never ranks below one of a lower tier: its score is lifted to the
    # highest of theirs. Documents missing a syllable keep their scores.
    effective = {}
    ceiling = float("-inf")
    for level in (1, 2, 3, 4):
        members = [d for d in best if tiers[d] == level]
        for docnum in members:
            effective[docnum] = max(scores[docnum], ceiling)
        if members:
            ceiling = max(ceiling, max(effective[d] for d in members))
    ranked = sorted(best, key=lambda d: (effective.get(d, scores[d]), tiers[d], scores[d]),
                    reverse=True)
    return ranked[:count]


__all__ = ["Hit", "Results", "search", "completions", "parse_query"]
