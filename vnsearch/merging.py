"""Which segments a commit merges: tiers of similar sizes, and a ceiling on the size.

Whoosh's default policy (``MERGE_SMALL``) merges every segment below a Fibonacci bound
at once: building 100,000 articles in commits of 4,000, the 23rd commit merged some
92,000 documents in one go, peak RSS 7.9 GB, and every later merge is bigger still. A
merge here goes through the writer's memory (:mod:`vnsearch.writing` pools the merged
segments' postings with the new ones), so its cost in memory is proportional to the
documents it merges, and its cost in time to the documents it rewrites.

:func:`tiered_merge` bounds both, as Lucene's log merge policy does: a segment's tier
is the power of :data:`MERGE_FACTOR` its size falls in (1,000-document units); when a
tier holds :data:`MERGE_FACTOR` segments they are merged into one of the next tier, at
most one merge per commit; and no merge makes a segment of more than
:data:`MAX_MERGED_DOCS` documents. Each document is thus rewritten about
log_F(MAX_MERGED_DOCS / commit size) times however large the archive grows, the writer's
memory stays flat, and the index holds about N / MAX_MERGED_DOCS large segments plus a
few small ones.
"""

import math

MERGE_FACTOR = 8
"""Segments of one tier merged together (and the tier's width, as a ratio of sizes)."""

MAX_MERGED_DOCS = 50_000
"""No merge makes a segment larger than this many documents: the writer's memory peaks
while merging, its postings held in arrays (≥ 45 KB per merged news article, measured
part-way through a merge of 28,345, see docs/benchmarks.md)."""

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
