"""The best documents of a query, scored over whole posting lists at once with numpy.

:meth:`vnsearch.ranking.Ranker.score` adds each posting's BM25F share into a Python
dictionary: about a microsecond a posting, and at 100,000 articles a query of common
syllables reads hundreds of thousands of postings, so its cost grows with the archive.
Here each term's postings become numpy arrays, and its contribution is added into a
dense array of scores (one float per document) in a few vectorised operations; only
the ``depth`` best documents, the ones the ordering rules of :mod:`vnsearch.search`
look at, ever become Python objects, and the number of matches is counted with a
bitmap instead of a set.

The result is the same as :meth:`Ranker.score` followed by ``heapq.nlargest``, to the
last bit: the same floating-point operations run in the same order (per term, fields
in order, then terms in order), and ties are broken as ``nlargest`` breaks them over
that dictionary, by the order in which documents were first scored (the first term and
field holding them, then document number). ``tests/test_topk.py`` checks it on a real
index against the dictionary path.
"""

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from .bm25 import B, K1, Top

_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
"""Whoosh keeps field lengths as one byte each; this decodes them all at once."""


def best_documents(ranker, scored, common, fields: dict[str, float], depth: int) -> Top:
    """The ``depth`` best documents for ``scored`` ``(term, df)`` pairs, and every match.

    ``common`` are terms that add no score but whose documents match (see
    :data:`vnsearch.ranking.COMMON`). Deleted documents never match.
    """
    scores, seen, first = _scores(ranker, scored, fields)
    names = list(fields)
    matched = seen.copy()
    for term in common:
        for name in names:
            if ranker.doc_frequency(name, term.text):
                for _, base, ids, _ in _arrays(ranker, name, term.text):
                    matched[ids + base if base else ids] = True
    alive = _alive(ranker)
    if alive is not None:
        seen &= alive
        matched &= alive
    candidates = np.flatnonzero(seen)
    if len(candidates) > depth:
        values = scores[candidates]
        floor = np.partition(values, len(values) - depth)[len(values) - depth]
        candidates = candidates[values >= floor]  # ties at the floor kept: sorted below
    order = np.lexsort((candidates, first[candidates], -scores[candidates]))[:depth]
    best = candidates[order]
    total = int(np.count_nonzero(matched))
    unscored = []
    if len(best) < depth:  # every scored match is here: paging may go past them
        matched[seen] = False
        unscored = np.flatnonzero(matched)[:depth].tolist()
    return Top(dict(zip(best.tolist(), scores[best].tolist())), unscored, total)


def all_scores(ranker, scored, fields: dict[str, float]) -> dict[int, float]:
    """Every document's score for ``scored`` ``(term, df)`` pairs, deleted ones included:
    :meth:`vnsearch.ranking.Ranker.score`'s dictionary, keys in the same order (the
    order in which documents were first scored), values to the bit."""
    scores, seen, first = _scores(ranker, scored, fields)
    ids = np.flatnonzero(seen)
    ids = ids[np.lexsort((ids, first[ids]))]
    return dict(zip(ids.tolist(), scores[ids].tolist()))


def _scores(ranker, scored, fields: dict[str, float]):
    """``(scores, seen, first)``: each document's score, whether it has one, and when it
    was first scored (term number times the number of fields, plus the field's)."""
    size = ranker.doc_count
    scores = np.zeros(size, dtype=np.float64)
    seen = np.zeros(size, dtype=bool)
    first = np.zeros(size, dtype=np.int32)  # when a document was first scored
    pseudo = np.zeros(size, dtype=np.float64)
    held = np.zeros(size, dtype=bool)  # documents holding the current term
    names = list(fields)
    for number, (term, df) in enumerate(scored):
        pseudo.fill(0.0)
        touched = []
        for position, (name, weight) in enumerate(fields.items()):
            if not weight or not ranker.doc_frequency(name, term.text):
                continue
            norm = B / ranker._average(name)
            for reader, base, ids, tfs in _arrays(ranker, name, term.text):
                lengths = _lengths(reader, name)[ids]
                ids = ids + base if base else ids
                # Ranker._pseudo_frequencies' expression, operation for operation.
                pseudo[ids] += weight * tfs / ((1 - B) + norm * lengths)
                new = ids[~seen[ids]]
                first[new] = number * len(names) + position
                seen[new] = True
                fresh = ids[~held[ids]]  # a document in both fields counts once
                held[fresh] = True
                touched.append(fresh)
        if not touched:
            continue
        ids = np.concatenate(touched) if len(touched) > 1 else touched[0]
        held[ids] = False
        factor = term.weight * ranker.idf(df) * (K1 + 1)
        tf = pseudo[ids]
        scores[ids] += factor * tf / (tf + K1)
    return scores, seen, first


def _arrays(ranker, field: str, text: str):
    """``(reader, base, ids, tfs)`` of each segment's postings of ``text``, as numpy."""
    for reader, base in ranker.leaves:
        ids, tfs = ranker._postings(reader, field, text)
        if len(ids):
            yield (reader, base, np.frombuffer(ids, dtype=np.uint32).astype(np.intp),
                   np.frombuffer(tfs, dtype=np.float32).astype(np.float64))


_length_arrays: dict = {}


def _lengths(reader, field: str) -> np.ndarray:
    """Every document's length of ``field`` in one segment, as Whoosh decodes it."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    key = (segment.segment_id(), field) if segment is not None else None
    found = _length_arrays.get(key) if key else None
    if found is None:
        count = reader.doc_count_all()
        column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        raw = np.zeros(count, dtype=np.uint8)
        if column is not None:
            stored = column._dbfile.get(column._basepos, min(column._count, count))
            raw[:len(stored)] = np.frombuffer(stored, dtype=np.uint8)
        found = _LENGTH_OF_BYTE[raw]
        if key:
            if len(_length_arrays) > 256:  # segments come and go as the index changes
                _length_arrays.clear()
            _length_arrays[key] = found
    return found


def _alive(ranker) -> np.ndarray | None:
    """Which documents are not deleted (None when none is)."""
    if not any(reader.has_deletions() for reader, _ in ranker.leaves):
        return None
    alive = np.ones(ranker.doc_count, dtype=bool)
    for reader, base in ranker.leaves:
        if reader.has_deletions():
            deleted = np.fromiter(reader.segment().deleted_docs(), dtype=np.intp)
            alive[deleted + base] = False
    return alive


def clear_cache() -> None:
    """Forget cached length arrays (tests)."""
    _length_arrays.clear()
