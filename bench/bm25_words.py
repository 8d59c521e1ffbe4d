"""A second baseline: plain BM25 over pyvi words, title and body as one field (bm25s).

What a developer gets by gluing pyvi to a BM25 library: each text is segmented into
words (vnsearch's segmenter gives pyvi's exact output, faster), lower-cased, and
``bm25s`` indexes the words of title + body as one bag. No folding, no syllables: an
unaccented query only matches unaccented text, which is why its unaccented figures are
low. Needs the ``bench`` extra (``pip install -e ".[bench]"``).

    index = Bm25WordsIndex.build(docs)
    index.search("công nghệ thông tin", limit=10)   # -> ["doc-3", ...]
"""

import time

from vnsearch.analysis import analyse


def tokens(text: str) -> list[str]:
    """pyvi's words of ``text``, lower-cased, syllables of a word joined by ``_``.

    >>> tokens("Công nghệ thông tin")
    ['công_nghệ', 'thông_tin']
    """
    analysis = analyse(text or "")
    syllables = analysis.syllables
    starts = {first: stop for first, stop in analysis.words}
    out, position = [], 0
    while position < len(syllables):
        stop = starts.get(position, position + 1)
        out.append("_".join(s.text for s in syllables[position:stop]))
        position = stop
    return out


class Bm25WordsIndex:
    """A bm25s index over pyvi words of title + body."""

    def __init__(self, retriever, ids):
        self.retriever = retriever
        self.ids = ids

    @classmethod
    def build(cls, documents):
        import bm25s

        ids = [doc["id"] for doc in documents]
        corpus = [tokens(f"{doc.get('title') or ''}\n{doc.get('body') or ''}")
                  for doc in documents]
        retriever = bm25s.BM25()
        retriever.index(_as_ids(corpus), show_progress=False)
        return cls(retriever, ids)

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Ids of the best ``limit`` documents for ``query``."""
        words = [w for w in tokens(query) if w in self.retriever.vocab_dict]
        if not words:
            return []
        query_ids = [[self.retriever.vocab_dict[w] for w in words]]
        results, scores = self.retriever.retrieve(query_ids, k=min(limit, len(self.ids)),
                                                  show_progress=False)
        return [self.ids[i] for i, s in zip(results[0], scores[0]) if s > 0]

    def close(self):
        pass


def _as_ids(corpus):
    """bm25s's ``Tokenized`` form of already-tokenised texts."""
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(word, len(vocab)) for word in text] for text in corpus]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def build_timed(documents):
    """``(index, seconds)``: the build, timed."""
    start = time.perf_counter()
    index = Bm25WordsIndex.build(documents)
    return index, time.perf_counter() - start
