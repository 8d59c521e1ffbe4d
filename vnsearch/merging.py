"""Which segments a commit merges: tiers of similar sizes, and a ceiling on the size.

Whoosh's default policy (``MERGE_SMALL``) merges every segment below a Fibonacci bound
at once: building 100,000 articles in commits of 4,000, the 23rd commit merged some
92,000 documents in one go, peak RSS 7.9 GB, and every later merge is bigger still.

A merge streams the merged segments' postings from their files, term by term
(:mod:`vnsearch.segment_merge`), instead of pooling them in the writer's memory
posting by posting as Whoosh does: its memory no longer grows with the postings it
merges (merging 28,345 news articles: RSS 0.16–0.3 GB throughout, peak 0.34 GB, against
a pool growing to 2.8 GB), but its time does (≈ 10 ms of CPU per article, 4.6× less
than pooled), and the writer's next commit waits for it. See docs/benchmarks.md.

:func:`tiered_merge` bounds that time, as Lucene's log merge policy does: a segment's
tier is the power of :data:`MERGE_FACTOR` its size falls in (1,000-document units);
when a tier holds :data:`MERGE_FACTOR` segments they are merged into one of the next
tier, at most one merge per commit; and no merge makes a segment of more than
:data:`MAX_MERGED_DOCS` documents. Each document is thus rewritten about
log_F(MAX_MERGED_DOCS / commit size) times however large the archive grows, and the
index holds about N / MAX_MERGED_DOCS large segments plus a few small ones.
"""

import math

MERGE_FACTOR = 8
"""Segments of one tier merged together (and the tier's width, as a ratio of sizes)."""

MAX_MERGED_DOCS = 300_000
"""No merge makes a segment larger than this many documents. With commits of 4,000,
merges of eight make segments of 32,000, then of 256,000: a million articles lie in
about four large segments, not the twenty-odd of the old ceiling of 50,000 (which
bounded the memory of a pooled merge, ≥ 45 KB per article). What it bounds now is the
time a merge holds the writer: ≈ 45 minutes of CPU for 256,000 articles (extrapolated;
see docs/benchmarks.md)."""

TIER_UNIT = 1_000
"""Segments below this many documents all count as the first tier (tier 0)."""


def tiered_merge(writer, segments):
    """A Whoosh merge policy (``writer.commit(mergetype=tiered_merge)``): merges the
    segments :func:`segments_to_merge` chooses into ``writer``; returns the others."""
    group = segments_to_merge(segments, writer.docnum)
    if not group:
        return list(segments)
    from whoosh.reading import SegmentReader
    for segment in group:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    chosen = {id(segment) for segment in group}
    return [segment for segment in segments if id(segment) not in chosen]


def segments_to_merge(segments, adding=0, *, factor=None, ceiling=None):
    """The ``factor`` smallest segments of the lowest tier that holds that many, if
    together (with ``adding`` documents more) they stay within ``ceiling`` documents;
    else an empty list."""
    factor = factor or MERGE_FACTOR
    ceiling = ceiling or MAX_MERGED_DOCS
    tiers = {}
    for segment in sorted(segments, key=_live_docs):
        tiers.setdefault(tier(_live_docs(segment), factor), []).append(segment)
    for level in sorted(tiers):
        group = tiers[level][:factor]
        if len(group) == factor and sum(map(_live_docs, group)) + adding <= ceiling:
            return group
    return []


def tier(documents, factor=MERGE_FACTOR):
    """The tier of a segment of ``documents``: 0 below ``TIER_UNIT``, then one more for
    each power of ``factor`` above it. A segment of thousands is never in the tier of
    the small ones a feed of news adds, so those never rewrite it: seven commits of 50
    beside 4,472 documents merged all 4,822 again.

    >>> tier(50), tier(999), tier(1_000), tier(4_472), tier(8_000), tier(40_000)
    (0, 0, 1, 1, 2, 2)
    """
    if documents < TIER_UNIT:
        return 0
    return 1 + int(math.log(documents / TIER_UNIT, factor))


def _live_docs(segment):
    return segment.doc_count()
