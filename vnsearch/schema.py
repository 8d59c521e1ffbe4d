"""The Whoosh schema of a vnsearch index, and the analyzer it pickles.

Whoosh pickles the schema, analyzer included, into every index: the names
``vnsearch.schema.VietnameseAnalyzer`` and ``vnsearch.schema.VietnameseText`` are part
of the on-disk format. Change them, or what they produce, only together with
:data:`FORMAT_VERSION`.
"""

from whoosh import fields, formats
from whoosh.analysis import Analyzer, Token

from . import analysis

FORMAT_VERSION = 1
"""Bumped whenever the terms an index holds would change: old indexes must be rebuilt."""

_POSITIONS = formats.Positions()


class VietnameseAnalyzer(Analyzer):
    """Whoosh analyzer yielding every form of :mod:`vnsearch.analysis` with positions."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term, position in analysis.terms(analysis.analyse(value)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + position
            yield token


class PreparedText:
    """A field value analysed ahead of time (in a worker process), ready to index."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


def prepare(text: str) -> PreparedText:
    """Analyse ``text`` into the posting items :meth:`VietnameseText.index` returns.

    This is the expensive step of indexing (pyvi), done once per field, so it runs in
    worker processes; the result pickles cheaply.
    """
    items = []
    for term, positions in analysis.postings(analysis.analyse(text)).items():
        items.append((term.encode("utf-8"), len(positions), float(len(positions)),
                      _POSITIONS.encode(positions)))
    return PreparedText(items)


class VietnameseText(fields.TEXT):
    """A text field analysed by :class:`VietnameseAnalyzer`, accepting prepared values."""

    def __init__(self, stored=True):
        super().__init__(analyzer=VietnameseAnalyzer(), phrase=True, stored=stored)

    def index(self, value, **kwargs):
        # The fast path: postings straight from the analysis, no Token objects.
        if not isinstance(value, PreparedText):
            value = prepare(value)
        return iter(value.items)


def build_schema() -> fields.Schema:
    """The schema of a vnsearch index.

    ``hash`` and ``source`` are columns so that incremental indexing can read them for
    every document without loading the stored bodies.
    """
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=VietnameseText(),
        body=VietnameseText(),
        date=fields.DATETIME(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),
        hash=fields.ID(stored=False, sortable=True),
    )
